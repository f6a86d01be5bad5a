"""Exceptions and warnings raised by featclf.

Every error featclf raises on purpose derives from :class:`FeatclfError`, and
also from the built-in exception that fits, so ``except OSError`` or
``except ValueError`` keeps working for code that does not know featclf::

    FeatclfError
    ├── ImageLoadError (OSError)            a source could not be read or decoded
    │   ├── ImageNotFoundError (FileNotFoundError)
    │   └── ImageTooLargeError              absurd dimensions (decompression bomb)
    ├── InvalidImageError (ValueError)      an in-memory image of the wrong shape, dtype or range
    ├── DatasetError (ValueError)           a dataset layout or manifest that cannot be used
    │   └── DatasetNotFoundError (FileNotFoundError)
    ├── InvalidParameterError (ValueError)  a bad parameter value (names the parameter and the options)
    ├── UnknownNameError (KeyError)         an unknown registry name (lists the options, suggests the nearest)
    ├── ImageSizeError (ValueError)         images that do not fit the extractor's geometry
    ├── SkippedImagesError (ValueError)     ``transform`` would have to leave out skipped images
    ├── OutputTooLargeError (MemoryError)   features that could not fit in the memory available
    ├── WeightsNotFoundError (FileNotFoundError)  pretrained weights not available offline
    ├── MissingDependencyError (ImportError)      an optional extra is not installed
    ├── ModelFileError (ValueError)         a saved model or clustering file that cannot be read
    ├── WorkerDiedError (RuntimeError)     a worker process died (e.g. killed for lack of memory)
    └── CacheError (OSError)               a feature cache folder that cannot be used (a file, not writable, damaged)

    FeatclfWarning (UserWarning)
    ├── SkippedImagesWarning               images skipped (``on_error="skip"``) or NaN rows (``"nan"``)
    ├── ConstantFeaturesWarning            an extractor gave the same features for every image
    ├── VersionMismatchWarning             a saved model or clustering made with other library versions
    └── CacheWarning                       the feature cache could not be written; the extraction went on

Errors about one image carry the offending source in ``.source`` (a path, or
``"item N"`` for in-memory images) and the reason in ``.reason`` (an
:class:`ImageSizeError` about one image too; one about a setting has ``None`` there).
"""

from __future__ import annotations

__all__ = [
    "CacheError",
    "CacheWarning",
    "ConstantFeaturesWarning",
    "DatasetError",
    "DatasetNotFoundError",
    "FeatclfError",
    "FeatclfWarning",
    "ImageLoadError",
    "ImageNotFoundError",
    "ImageSizeError",
    "ImageTooLargeError",
    "InvalidImageError",
    "InvalidParameterError",
    "MissingDependencyError",
    "ModelFileError",
    "OutputTooLargeError",
    "SkippedImagesError",
    "SkippedImagesWarning",
    "UnknownNameError",
    "VersionMismatchWarning",
    "WeightsNotFoundError",
    "WorkerDiedError",
]


class FeatclfError(Exception):
    """Base class of every error raised by featclf."""

    def __reduce__(self):  # class, arguments, attributes: picklable across joblib and Dask workers, also where
        # distributed's tblib replaces the pickling of built-in exceptions (it cannot rebuild an error that is
        # both a ValueError and an OSError, such as DatasetNotFoundError)
        return (type(self), self.args, self.__dict__ or None)


class _SourceError(FeatclfError):
    """An error about one image source; the message names the source."""

    def __init__(self, source: str, reason: str, hint: str | None = None):
        self.source = source
        self.reason = reason
        self.hint = hint
        message = f"{source}: {reason}"
        if hint:
            message += f". {hint}"
        super().__init__(message)

    def __reduce__(self):  # keep the exception picklable across joblib workers
        return (type(self), (self.source, self.reason, self.hint))

    def __str__(self) -> str:
        return self.args[0]


class ImageLoadError(_SourceError, OSError):
    """An image source could not be opened or decoded."""


class ImageNotFoundError(ImageLoadError, FileNotFoundError):
    """An image path does not exist."""


class ImageTooLargeError(ImageLoadError):
    """An image declares dimensions beyond the safety limit (decompression bomb)."""


class InvalidImageError(_SourceError, ValueError):
    """An in-memory image has the wrong shape, dtype or value range."""


class DatasetError(FeatclfError, ValueError):
    """A dataset (folder, manifest, arrays) cannot be used as given."""


class DatasetNotFoundError(DatasetError, FileNotFoundError):
    """A dataset's files could not be found."""


class InvalidParameterError(FeatclfError, ValueError):
    """A parameter has an invalid value."""


class UnknownNameError(FeatclfError, KeyError):
    """A name that no registry knows."""

    def __str__(self) -> str:  # KeyError would show the message in quotes
        return str(self.args[0])


class ImageSizeError(FeatclfError, ValueError):
    """Images whose size does not suit the extractor (too small, or mixed sizes).

    Parameters
    ----------
    message : str
    source, reason : str, optional
        Set when the error is about one image (e.g. an image of another size than the
        extractor was fitted on): that image's error, skippable with ``on_error='skip'``
        like an unreadable file. ``None`` when it is about a setting (``size`` too small
        for HOG's cells), which no image can avoid.
    """

    def __init__(self, message: str, source: str | None = None, reason: str | None = None):
        super().__init__(message)
        self.source = source
        self.reason = reason

    def __reduce__(self):  # keep source and reason across joblib workers
        return (type(self), (self.args[0], self.source, self.reason))


class SkippedImagesError(FeatclfError, ValueError):
    """``transform`` with ``on_error='skip'`` met images it cannot use.

    ``transform`` returns one row per input (scikit-learn pairs rows with inputs by
    position), so it refuses to leave rows out; the message lists the images and the
    fixes (``extract(X)``, or ``on_error='nan'``).

    Attributes
    ----------
    skipped : list of (index, source, reason)
        Every input that could not be used (:class:`featclf.engine.SkippedInput`).
    n_inputs : int
        Number of inputs given.
    """

    def __init__(self, message: str, skipped=(), n_inputs: int = 0):
        super().__init__(message)
        self.skipped = list(skipped)
        self.n_inputs = n_inputs

    def __reduce__(self):  # picklable across joblib workers (e.g. cross_val_score(n_jobs=2))
        return (type(self), (self.args[0], self.skipped, self.n_inputs))


class OutputTooLargeError(FeatclfError, MemoryError):
    """Features (the matrix of a collection, or one row and its names) that would not fit in the memory available.

    Raised before any image is decoded: output sizes are known in advance.
    """


class WeightsNotFoundError(FeatclfError, FileNotFoundError):
    """Pretrained weights are not available on this machine."""


class MissingDependencyError(FeatclfError, ImportError):
    """An optional dependency (an extra) is needed and not installed."""


class ModelFileError(FeatclfError, ValueError):
    """A saved model or clustering file that cannot be read: not featclf's, damaged, or of a newer format."""


class WorkerDiedError(FeatclfError, RuntimeError):
    """A worker process ended abruptly (killed by the system, most often for lack of memory,
    or crashed in native code); the message names the likely cause and the settings to lower."""


class CacheError(FeatclfError, OSError):
    """A feature cache folder that cannot be used: a file, not writable, or a damaged database."""


class FeatclfWarning(UserWarning):
    """Base class of featclf's warnings."""


class SkippedImagesWarning(FeatclfWarning):
    """Some images could not be used: skipped (``on_error="skip"``) or their rows filled with NaN (``"nan"``)."""


class ConstantFeaturesWarning(FeatclfWarning):
    """An extractor gave the same features for every image: its output tells the images apart in no way."""


class VersionMismatchWarning(FeatclfWarning):
    """A saved model or clustering was made with other versions of featclf or of the libraries that make its numbers."""


class CacheWarning(FeatclfWarning):
    """The feature cache could not be written (disk full, a lock held too long); the extraction went on without it."""
