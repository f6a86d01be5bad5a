"""The exception tree: one base class, matching built-ins, picklable with the message intact."""

from __future__ import annotations

import pickle

import pytest

from featclf import exceptions as exc

#: Every public exception/warning and the built-in(s) it must also be.
EXPECTED = {
    "FeatclfError": (Exception,),
    "ImageLoadError": (OSError,),
    "ImageNotFoundError": (exc.ImageLoadError, FileNotFoundError),
    "ImageTooLargeError": (exc.ImageLoadError, OSError),
    "InvalidImageError": (ValueError,),
    "DatasetError": (ValueError,),
    "DatasetNotFoundError": (exc.DatasetError, FileNotFoundError),
    "InvalidParameterError": (ValueError,),
    "UnknownNameError": (KeyError,),
    "ImageSizeError": (ValueError,),
    "WeightsNotFoundError": (FileNotFoundError,),
    "MissingDependencyError": (ImportError,),
    "ModelFileError": (ValueError,),
    "SkippedImagesError": (ValueError,),
    "OutputTooLargeError": (MemoryError,),
    "WorkerDiedError": (RuntimeError,),
    "CacheError": (OSError,),
    "FeatclfWarning": (UserWarning,),
    "SkippedImagesWarning": (exc.FeatclfWarning, UserWarning),
    "ConstantFeaturesWarning": (exc.FeatclfWarning, UserWarning),
    "VersionMismatchWarning": (exc.FeatclfWarning, UserWarning),
    "CacheWarning": (exc.FeatclfWarning, UserWarning),
}
SOURCE_ERRORS = ("ImageLoadError", "ImageNotFoundError", "ImageTooLargeError", "InvalidImageError")


def make(name):
    cls = getattr(exc, name)
    if name in SOURCE_ERRORS:
        return cls("/data/cats/1.png", "the file is empty (0 bytes)", "Fix or remove the file")
    return cls(f"something about {name} went wrong: 'x' must be one of {{'a', 'b'}}")


def test_every_public_exception_is_covered():
    assert sorted(exc.__all__) == sorted(EXPECTED)
    assert exc.__all__ == sorted(exc.__all__)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_hierarchy(name):
    cls = getattr(exc, name)
    base = exc.FeatclfWarning if issubclass(cls, Warning) else exc.FeatclfError
    assert issubclass(cls, base)
    for builtin in EXPECTED[name]:
        assert issubclass(cls, builtin), (name, builtin)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_picklable_with_message_intact(name):
    error = make(name)
    clone = pickle.loads(pickle.dumps(error))
    assert type(clone) is type(error)
    assert str(clone) == str(error)
    if name in SOURCE_ERRORS:
        assert (clone.source, clone.reason, clone.hint) == (error.source, error.reason, error.hint)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_picklable_where_dask_replaced_the_pickling_of_exceptions(name):
    # importing dask.distributed installs tblib's pickling of every exception class, in workers and client
    pickling_support = pytest.importorskip("tblib.pickling_support")
    import copyreg

    before = dict(copyreg.dispatch_table)
    pickling_support.install(getattr(exc, name))
    try:
        error = make(name)
        clone = pickle.loads(pickle.dumps(error))
    finally:
        copyreg.dispatch_table.clear()
        copyreg.dispatch_table.update(before)
    assert type(clone) is type(error) and str(clone) == str(error)


@pytest.mark.parametrize("name", SOURCE_ERRORS)
def test_source_errors_name_the_source_then_the_reason(name):
    error = make(name)
    assert str(error) == "/data/cats/1.png: the file is empty (0 bytes). Fix or remove the file"
    assert getattr(exc, name)("item 3 (ndarray)", "bad dtype").args == ("item 3 (ndarray): bad dtype",)
    with pytest.raises(getattr(exc, name), match=r"^/data/cats/1\.png: the file is empty"):
        raise error


def test_unknown_name_error_message_is_not_quoted():
    error = exc.UnknownNameError("Unknown extractor 'hgo'. Available: hog, pixels. Did you mean 'hog'?")
    assert str(error) == "Unknown extractor 'hgo'. Available: hog, pixels. Did you mean 'hog'?"
    assert str(pickle.loads(pickle.dumps(error))) == str(error)


def test_catching_by_builtin_works_for_code_that_does_not_know_featclf():
    from featclf import load_image

    with pytest.raises(FileNotFoundError, match="no such file"):
        load_image("/nonexistent/featclf/test.png")
    with pytest.raises(OSError, match="empty bytes"):
        load_image(b"")


def test_image_size_error_about_one_image_keeps_its_source_through_pickling():
    error = exc.ImageSizeError("a.png: image is 9x9 but HOG was fitted on 8x8 images", source="a.png",
                               reason="image is 9x9 but HOG was fitted on 8x8 images")
    clone = pickle.loads(pickle.dumps(error))
    assert (str(clone), clone.source, clone.reason) == (str(error), "a.png", error.reason)
    assert exc.ImageSizeError("size too small").source is None  # a setting, not one image


def test_skipped_images_error_keeps_the_skipped_list_through_pickling():
    from featclf.engine import SkippedInput

    error = exc.SkippedImagesError("cannot use 1 of 3 images", [SkippedInput(1, "b.png", "no such file")], 3)
    clone = pickle.loads(pickle.dumps(error))
    assert str(clone) == str(error) and clone.skipped == error.skipped and clone.n_inputs == 3
    assert clone.skipped[0].source == "b.png"
