"""The batch engine: chunking, order, skip compaction, joblib configuration, decoding in workers, the record."""

from __future__ import annotations

import contextlib
import re
import threading
import time

import joblib
import numpy as np
import pytest
from PIL import Image

import featclf
from featclf.engine import (
    Extraction,
    SkippedInput,
    _chunks,
    _extract,
    as_sources,
    check_batch_size,
    chunk_size,
    extract,
    extract_many,
    iter_chunks,
    merge_skipped,
    paired_rows,
)
from featclf.exceptions import (
    ImageLoadError,
    ImageSizeError,
    InvalidImageError,
    InvalidParameterError,
    SkippedImagesWarning,
)
from featclf.io import convert_image
from featclf.kernels import Kernel


def record(chunk, start, log, delay=0.0):
    """A chunk function that logs what it received and where it ran."""
    if delay and start == 0:
        time.sleep(delay)  # the first chunk finishes last
    log.append({"start": start, "items": list(chunk), "thread": threading.get_ident()})
    return start, list(chunk)


class MeanKernel(Kernel):
    """Mean grey intensity and input position of each image, as float64 (the engine stores float32)."""

    mode = "grey"

    def __init__(self, seen=None, in_workers=True):
        self.seen = seen
        self.in_workers = in_workers

    def prepare(self, image, source, index):
        return np.array([convert_image(image, self.mode).mean(), index])

    def compute(self, images):
        if self.seen is not None:
            self.seen.append([int(row[1]) for row in images])
        return np.stack(images)


class MeanExtractor:
    """The engine protocol at its smallest: a kernel, the number of features, run settings."""

    n_features_out_ = 2

    def __init__(self, on_error="raise", n_jobs=None, batch_size="auto", verbose=0, seen=None, in_workers=True):
        self.on_error, self.n_jobs, self.batch_size, self.verbose = on_error, n_jobs, batch_size, verbose
        self.seen, self.in_workers = seen, in_workers
        self.fed = []

    def _kernel(self, sources):
        return MeanKernel(self.seen, self.in_workers)

    @contextlib.contextmanager
    def _sink(self, out):
        """Parent-side computation: rows of the prepared stacks, written in order."""
        extractor = self

        class Sink:
            row = 0

            def feed(self, stack):
                extractor.fed.append(len(stack))
                out[self.row : self.row + len(stack)] = stack
                self.row += len(stack)

            def finish(self):
                return {"fed": list(extractor.fed)}

        yield Sink()


@pytest.fixture
def paths(tmp_path):
    out = []
    for i in range(7):
        path = tmp_path / f"img{i}.png"
        Image.fromarray(np.full((6, 5), 10 * i, np.uint8)).save(path)
        out.append(str(path))
    return out


# --------------------------------------------------------------------------- as_sources
def test_as_sources_accepts_collections():
    stack = np.zeros((5, 5, 6), np.uint8)  # (5, 4, 4) or (3, 5, 6) would be ambiguous: see the tests below
    assert as_sources(stack) is stack
    data = featclf.ArrayDataset(stack)
    assert as_sources(data) is data.sources
    assert as_sources({"a": "a.png", "b": "b.png"}.values()) == ["a.png", "b.png"]  # ordered, re-iterable


@pytest.mark.parametrize(("X", "match"), [
    (np.zeros((4, 4), np.uint8),
     r"stack of images of shape \(N, H, W\).*got an array of shape \(4, 4\).*X\[np\.newaxis\]"),
    ("one.png", r"expected a collection of images, got a single str.*Wrap it in a list"),
    (b"\x89PNG", r"got a single bytes"),
    (Image.new("RGB", (2, 2)), r"got a single Image.*ImageFolder"),
])
def test_as_sources_refuses_single_images(X, match):
    with pytest.raises(InvalidImageError, match=match):
        as_sources(X)


# --------------------------------------------------------------------------- chunking
def test_chunks_are_contiguous_and_in_order():
    log = []
    results = list(iter_chunks(record, list(range(10)), n_jobs=1, batch_size=3, verbose=0, args=(log,)))
    assert [start for start, _ in results] == [0, 3, 6, 9]
    assert [len(items) for _, items in results] == [3, 3, 3, 1]
    assert sum((items for _, items in results), []) == list(range(10))


@pytest.mark.parametrize(("n", "workers", "batch_size", "expected"), [
    (1000, 1, "auto", 256), (10, 1, "auto", 10), (1000, 2, "auto", 125), (10, 2, "auto", 2),
    (100000, 2, "auto", 256), (1000, 2, 7, 7),
])
def test_chunk_size(n, workers, batch_size, expected):
    assert chunk_size(n, workers, batch_size) == expected


def test_no_sources_no_chunks():
    log = []
    assert list(iter_chunks(record, [], n_jobs=2, args=(log,))) == []
    result = extract(MeanExtractor(), [])
    assert result.features.shape == (0, 2) and result.features.dtype == np.float32
    assert result.indices.tolist() == [] and result.skipped == []


@pytest.mark.parametrize("value", [0, -1, 2.5, "big", None])
def test_bad_batch_size(value):
    with pytest.raises(InvalidParameterError, match=rf"The 'batch_size' parameter must be an int >= 1\. Got {value!r}"):
        check_batch_size(value)
    assert check_batch_size("auto") == "auto"


def test_bad_on_error():
    with pytest.raises(InvalidParameterError,
                       match=r"'on_error' parameter must be one of \{'raise', 'skip', 'nan'\}\. Got 'warn'"):
        extract(MeanExtractor(on_error="warn"), [np.zeros((2, 2))])


# --------------------------------------------------------------------------- joblib
def test_one_job_runs_inline():
    log = []
    list(iter_chunks(record, list(range(6)), n_jobs=None, batch_size=2, verbose=0, args=(log,)))
    assert {entry["thread"] for entry in log} == {threading.get_ident()}


def test_parallel_config_is_respected_and_order_kept():
    log = []
    serial = list(iter_chunks(record, list(range(12)), n_jobs=1, batch_size=3, verbose=0, args=([],)))
    with joblib.parallel_config(backend="threading", n_jobs=2):
        parallel = list(iter_chunks(record, list(range(12)), batch_size=3, verbose=0, args=(log, 0.2)))
    assert parallel == serial
    assert threading.get_ident() not in {entry["thread"] for entry in log}  # ran in the backend's threads
    assert log[0]["start"] != 0  # the slow first chunk finished after others, yet came back first


def test_extractor_output_unchanged_under_a_threading_backend(paths):
    est = featclf.RawPixels(verbose=0, batch_size=2).fit(paths)
    expected = est.transform(paths)
    with joblib.parallel_config(backend="threading", n_jobs=2):
        np.testing.assert_array_equal(est.transform(paths), expected)


def test_decoding_happens_in_workers_from_paths(paths, monkeypatch):
    """The parent sends paths; the workers decode them."""
    chunks, decoders = [], []
    real_chunk, real_decode = _extract._run_chunk, _extract.decode_image

    def spy_chunk(chunk, start, *args):
        chunks.append(list(chunk))
        return real_chunk(chunk, start, *args)

    def spy_decode(source, **kwargs):
        decoders.append(threading.get_ident())
        return real_decode(source, **kwargs)

    monkeypatch.setattr(_extract, "_run_chunk", spy_chunk)
    monkeypatch.setattr(_extract, "decode_image", spy_decode)
    with joblib.parallel_config(backend="threading", n_jobs=2):
        result = extract(MeanExtractor(batch_size=2), paths)
    assert all(isinstance(item, str) for chunk in chunks for item in chunk)
    assert sorted(sum(chunks, [])) == sorted(paths)
    assert len(decoders) == len(paths) and threading.get_ident() not in decoders
    np.testing.assert_array_equal(result.features[:, 0], [10 * i for i in range(7)])


def test_in_memory_arrays_go_to_threads_files_to_processes(paths, monkeypatch):
    """Arrays cost more to ship to a process than to compute: threads; encoded files: processes."""
    ran = []
    real_parallel, real_shared = joblib.Parallel, _chunks._shared_work

    def spy_parallel(*args, **kwargs):
        ran.append(("joblib", kwargs.get("prefer")))
        return real_parallel(*args, **kwargs)

    def spy_shared(*args, **kwargs):
        ran.append(("parent + loky", None))
        return real_shared(*args, **kwargs)

    monkeypatch.setattr(_chunks.joblib, "Parallel", spy_parallel)
    monkeypatch.setattr(_chunks, "_shared_work", spy_shared)
    stack = np.zeros((8, 6, 5), np.uint8)
    extract(MeanExtractor(n_jobs=2, batch_size=2), stack)
    extract(MeanExtractor(n_jobs=2, batch_size=2), list(stack))
    extract(MeanExtractor(n_jobs=2, batch_size=2), paths)
    extract(MeanExtractor(n_jobs=2, batch_size=2, in_workers=False), paths)  # a model in the parent: no help
    with joblib.parallel_config(backend="threading"):  # a backend the user chose: all chunks go to it
        extract(MeanExtractor(n_jobs=2, batch_size=2), paths)
    assert ran == [("joblib", "threads"), ("joblib", "threads"), ("parent + loky", None), ("joblib", None),
                   ("joblib", None)]


def test_the_parent_computes_chunks_beside_one_fewer_loky_worker(paths, tmp_path, monkeypatch):
    """n_jobs=2 with loky: this process and one worker process share the chunks; results in input order."""
    where = []
    real = _chunks._guarded

    def spy(func, chunk, start, *args):
        where.append(start)
        return real(func, chunk, start, *args)

    monkeypatch.setattr(_chunks, "_guarded", spy)  # in the parent only: workers run their own copy
    sources = [*paths * 6, str(tmp_path / "gone.png")]
    serial = extract(MeanExtractor(on_error="skip", batch_size=1), sources)
    where.clear()
    shared = extract(MeanExtractor(on_error="skip", batch_size=1, n_jobs=2), sources)
    np.testing.assert_array_equal(shared.features, serial.features)
    assert shared.indices.tolist() == serial.indices.tolist() and shared.skipped == serial.skipped
    assert 0 < len(where) < len(sources)  # the parent did some of the chunks, the worker the others


# --------------------------------------------------------------------------- extract
def test_extract_writes_float32_rows_in_input_order(paths):
    result = extract(MeanExtractor(batch_size=3), paths)
    assert isinstance(result, Extraction) and result.features.dtype == np.float32
    np.testing.assert_array_equal(result.features, [[10 * i, i] for i in range(7)])
    assert result.indices.tolist() == list(range(7)) and result.skipped == [] and result.n_inputs == 7


def test_skip_compacts_rows_and_reports_sources(paths, tmp_path):
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    sources = [paths[0], str(bad), paths[2], b"", paths[4], str(tmp_path / "gone.png"), paths[6]]
    seen = []
    result = extract(MeanExtractor(on_error="skip", batch_size=2, seen=seen), sources)
    assert result.indices.tolist() == [0, 2, 4, 6]
    np.testing.assert_array_equal(result.features, [[0, 0], [20, 2], [40, 4], [60, 6]])
    assert [src for _, src, _ in result.skipped] == [str(bad), "item 3 (bytes)", str(tmp_path / "gone.png")]
    assert [s.index for s in result.skipped] == [1, 3, 5] and result.skipped_indices.tolist() == [1, 3, 5]
    assert all(isinstance(s, SkippedInput) for s in result.skipped)
    assert sum(seen, []) == [0, 2, 4, 6]  # compute sees the loaded images only


def test_raise_stops_at_the_bad_source(paths, tmp_path):
    sources = [paths[0], str(tmp_path / "gone.png")]
    with pytest.raises(ImageLoadError, match=r"gone\.png: no such file"):
        extract(MeanExtractor(), sources)


@pytest.mark.parametrize("n_jobs", [1, 2])
@pytest.mark.parametrize("bad", [(0,), (3,), (6,), (0, 1, 5, 6)])
def test_record_indices_are_the_positions_of_kept_and_skipped_inputs(paths, tmp_path, bad, n_jobs):
    sources = [str(tmp_path / f"gone{i}.png") if i in bad else p for i, p in enumerate(paths)]
    result = extract(MeanExtractor(on_error="skip", n_jobs=n_jobs, batch_size=2), sources)
    kept = [i for i in range(7) if i not in bad]
    assert result.indices.tolist() == kept and result.skipped_indices.tolist() == list(bad)
    np.testing.assert_array_equal(result.features[:, 1], kept)  # each row is the image at its index
    assert [s.source for s in result.skipped] == [sources[i] for i in bad]


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_parent_computation_receives_prepared_stacks_in_order(paths, tmp_path, n_jobs):
    """A kernel computed in the parent (a model on one device) gets stacks of prepared images, in order."""
    sources = [paths[0], str(tmp_path / "gone.png"), *paths[2:]]
    extractor = MeanExtractor(on_error="skip", n_jobs=n_jobs, batch_size=2, in_workers=False)
    result = extract(extractor, sources)
    assert result.indices.tolist() == [0, 2, 3, 4, 5, 6]
    np.testing.assert_array_equal(result.features[:, 1], [0, 2, 3, 4, 5, 6])
    assert sum(extractor.fed) == 6 and result.details == {"fed": extractor.fed}


def test_extract_many_decodes_each_input_once(paths, tmp_path, monkeypatch):
    decoded = []
    real = _extract.decode_image
    monkeypatch.setattr(_extract, "decode_image", lambda source, **kw: decoded.append(source) or real(source, **kw))
    sources = [*paths[:3], str(tmp_path / "gone.png"), *paths[3:]]
    first, second = MeanExtractor(on_error="skip"), MeanExtractor(on_error="skip", in_workers=False)
    records = extract_many([first, second], sources)
    assert decoded == sources  # once each, in order, for both extractors
    alone = extract(MeanExtractor(on_error="skip"), sources)
    for record in records:
        np.testing.assert_array_equal(record.features, alone.features)
        assert record.indices.tolist() == alone.indices.tolist() and record.skipped == alone.skipped


def test_a_preparation_error_is_raised_even_when_skipping(paths):
    class Strict(MeanKernel):
        def prepare(self, image, source, index):
            raise ImageSizeError(f"{source}: wrong size")

    extractor = MeanExtractor(on_error="skip")
    extractor._kernel = lambda sources: Strict()
    with pytest.raises(ImageSizeError, match="wrong size"):
        extract(extractor, paths)


class SizeCheckingKernel(MeanKernel):
    """Refuses images that are not 6x5, as that image's error (a SizedKernel fitted on a native size does)."""

    def prepare(self, image, source, index):
        if image.shape[:2] != (6, 5):
            raise ImageSizeError(f"item {index}: image is not 6x5", source=f"item {index}", reason="not 6x5")
        return super().prepare(image, source, index)


class SizeCheckingExtractor(MeanExtractor):
    def _kernel(self, sources):
        return SizeCheckingKernel(self.seen, self.in_workers)


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_an_image_size_error_about_one_image_is_skipped_for_every_extractor_of_the_pass(paths, n_jobs):
    sources = [*paths[:2], np.zeros((7, 5), np.uint8), *paths[2:], b"junk"]
    settings = {"on_error": "skip", "n_jobs": n_jobs, "batch_size": 2}
    checking, plain = SizeCheckingExtractor(**settings), MeanExtractor(**settings)
    for records in (extract_many([checking, plain], sources), extract_many([plain, checking], sources)):
        for result in records:
            assert result.indices.tolist() == [0, 1, 3, 4, 5, 6, 7]
            assert [(s.index, s.source) for s in result.skipped] == [(2, "item 2"), (8, "item 8 (bytes)")]
            assert result.skipped[0].reason == "not 6x5"
    with pytest.raises(ImageSizeError, match="item 2: image is not 6x5"):
        extract(SizeCheckingExtractor(n_jobs=n_jobs, batch_size=2), sources)
    nan = extract(SizeCheckingExtractor(on_error="nan", n_jobs=n_jobs, batch_size=2), sources)
    assert nan.skipped_indices.tolist() == [2, 8]  # 'nan' skips here: the extractor's transform fills the rows
    filled = nan.filled()
    assert filled.shape == (9, 2) and np.isnan(filled[[2, 8]]).all()
    np.testing.assert_array_equal(filled[nan.indices], nan.features)


# --------------------------------------------------------------------------- pairing and merging
def _record(indices, skipped, n):
    features = np.asarray(indices, dtype=np.float32).reshape(-1, 1) * 10
    return Extraction(features, np.asarray(indices, dtype=np.intp), [SkippedInput(i, f"s{i}", r) for i, r in skipped],
                      n)


def test_paired_rows_keeps_what_every_record_kept_and_aligns_rows():
    a = _record([0, 1, 3, 4], [(2, "bad")], 5)
    b = _record([0, 2, 3, 4], [(1, "odd")], 5)
    kept, rows = paired_rows([a, b])
    assert kept.tolist() == [0, 3, 4]
    assert rows[0].tolist() == [0, 2, 3] and rows[1].tolist() == [0, 2, 3]
    for record, r in zip((a, b), rows):
        np.testing.assert_array_equal(record.features[r, 0], kept * 10)  # the rows of the same inputs
    empty_kept, empty_rows = paired_rows([])
    assert empty_kept.tolist() == [] and empty_rows == []


def test_merge_skipped_names_every_record_that_skipped_an_input():
    a = _record([0, 1, 3], [(2, "bad"), (4, "gone")], 5)
    b = _record([0, 3], [(1, "odd"), (2, "bad too"), (4, "gone")], 5)
    assert merge_skipped([a, b], ["hog", "cnn"]) == [
        {"index": 1, "source": "s1", "reason": "odd", "extractors": ["cnn"]},
        {"index": 2, "source": "s2", "reason": "bad", "extractors": ["hog", "cnn"]},
        {"index": 4, "source": "s4", "reason": "gone", "extractors": ["hog", "cnn"]},
    ]


# --------------------------------------------------------------------------- progress
@pytest.mark.parametrize("verbose", [0, 1])
def test_progress_bar_only_when_verbose(paths, verbose, capsys, monkeypatch):
    monkeypatch.setattr(_chunks, "PROGRESS_DELAY_S", 0)
    import sys

    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)  # bars are drawn on a terminal only
    extract(MeanExtractor(batch_size=2, verbose=verbose), paths)
    err = capsys.readouterr().err
    if verbose:
        assert "MeanExtractor" in err and "img" in err
    else:
        assert err == ""


# --------------------------------------------------------------------------- cheap workers
def test_what_workers_import_and_run_pulls_in_neither_sklearn_nor_scipy_nor_torch(tmp_path):
    """A worker imports the engine's chunk function and unpickles kernels: that must start fast."""
    import pickle
    import subprocess
    import sys

    kernels = []
    for name in featclf.list_extractors():
        params = {"backbone": "tiny"} if name == "cnn" else {}
        kernels.append(featclf.make_extractor(name, **params).fit([np.zeros((16, 16), np.uint8)])._kernel([]))
    path = tmp_path / "kernels.pkl"
    path.write_bytes(pickle.dumps((_chunks._guarded, _extract._run_chunk, kernels)))
    code = (
        "import pickle, sys\n"
        f"pickle.loads(open({str(path)!r}, 'rb').read())\n"
        "print(sorted(m for m in ('sklearn', 'scipy', 'torch', 'skimage', 'matplotlib') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# --------------------------------------------------------------------------- what users pass (issue 9, kinds 1, 2, 10)
def _extractor(name):
    if name == "cnn":
        pytest.importorskip("torch")
        return featclf.CNNEmbedding(backbone="tiny", verbose=0)
    return {"hog": featclf.HOG, "pixels": featclf.RawPixels, "colorhist": featclf.ColorHistogram}[name](
        size=(32, 32), verbose=0)


EXTRACTORS = ["hog", "pixels", "colorhist", "cnn"]


@pytest.mark.parametrize("name", EXTRACTORS)
@pytest.mark.parametrize("shape", [(48, 64, 1), (48, 64, 2), (48, 64, 3), (48, 64, 4), (5, 7, 3), (6, 6, 1)])
def test_one_image_with_channels_last_is_never_read_as_a_stack_of_thin_grey_images(shape, name):
    image = np.random.default_rng(0).integers(0, 256, shape, dtype=np.uint8)
    est = _extractor(name)
    with pytest.raises(InvalidImageError, match=re.escape(f"shape {shape} is ambiguous: one image of "
                                                          f"{shape[0]}x{shape[1]} with {shape[2]} channel") +
                       r".*pass \[image\] or image\[np\.newaxis\].*X\[\.\.\., np\.newaxis\]"):
        est.fit_transform(image)
    with pytest.raises(InvalidImageError, match=re.escape(f"shape {shape} is ambiguous")):
        est.fit([np.zeros((32, 32, 3), np.uint8)]).transform(image)
    if shape[2] in (1, 3, 4):  # the layouts load_image reads: the first fix works
        one = est.fit([image]).transform([image])
        assert one.shape == (1, est.n_features_out_)
        np.testing.assert_array_equal(est.transform(image[np.newaxis]), one)


@pytest.mark.parametrize("name", EXTRACTORS)
@pytest.mark.parametrize("shape", [(3, 48, 64), (4, 48, 64), (3, 5, 6)])
def test_a_channels_first_image_is_refused_with_both_fixes(shape, name):
    image = np.random.default_rng(0).integers(0, 256, shape, dtype=np.uint8)
    est = _extractor(name)
    with pytest.raises(InvalidImageError, match=re.escape(f"shape {shape} may be one channels-first image") +
                       r".*np\.moveaxis\(X, 0, -1\)\[np\.newaxis\].*list\(X\)"):
        est.fit_transform(image)
    one = est.fit_transform(np.moveaxis(image, 0, -1)[np.newaxis])  # the first fix: one row
    np.testing.assert_array_equal(one, est.transform([np.moveaxis(image, 0, -1)]))
    assert est.transform(list(image)).shape == (shape[0], est.n_features_out_)  # the second: one per grey image


def test_a_stack_of_three_or_four_grey_images_with_small_sides_is_still_a_stack():
    stack = np.random.default_rng(2).integers(0, 256, (3, 3, 8), dtype=np.uint8)  # 3 images of 3x8
    assert featclf.RawPixels(size=(3, 8), verbose=0).fit_transform(stack).shape == (3, 24)


def test_a_stack_of_grey_images_of_width_3_has_a_fix_that_works():
    stack = np.random.default_rng(1).integers(0, 256, (6, 10, 3), dtype=np.uint8)
    with pytest.raises(InvalidImageError, match=r"X\[\.\.\., np\.newaxis\]"):
        featclf.RawPixels(verbose=0).fit(stack)
    out = featclf.RawPixels(verbose=0).fit_transform(stack[..., np.newaxis])  # the second fix
    np.testing.assert_array_equal(out, stack.reshape(6, -1).astype(np.float32) * np.float32(1 / 255))


def test_a_single_grey_image_has_a_fix_that_works():
    image = np.arange(20, dtype=np.uint8).reshape(4, 5)
    with pytest.raises(InvalidImageError, match=r"shape \(4, 5\) \(one grey image\?\).*X\[np\.newaxis\]"):
        featclf.RawPixels(verbose=0).fit_transform(image)
    assert featclf.RawPixels(verbose=0).fit_transform(image[np.newaxis]).shape == (1, 20)


def test_the_containers_scikit_learn_users_pass_give_the_same_rows(paths):
    import pandas as pd

    est = featclf.RawPixels(verbose=0).fit(paths)
    expected = est.transform(paths)
    frame = pd.DataFrame({"path": paths}, index=range(100, 100 + len(paths)))  # a non-default index
    for X in [tuple(paths), np.array(paths), np.array(paths, dtype=object), np.array(paths)[:, np.newaxis],
              pd.Series(paths, index=frame.index), frame, frame[["path"]], frame["path"]]:
        record = est.extract(X)
        np.testing.assert_array_equal(record.features, expected)
        assert record.indices.tolist() == list(range(len(paths)))  # positions, never the frame's labels
    train, _ = np.array(paths)[:5], None  # what train_test_split(np.array(paths)) returns
    np.testing.assert_array_equal(est.transform(train), expected[:5])


def test_containers_that_cannot_be_read_as_one_source_per_image_are_refused_with_the_fix(paths):
    import pandas as pd

    two_columns = pd.DataFrame({"path": paths, "label": range(len(paths))})
    with pytest.raises(InvalidImageError, match=r"DataFrame of 2 columns \(path, label\).*X\['path'\]"):
        featclf.RawPixels(verbose=0).fit(two_columns)
    with pytest.raises(InvalidImageError, match=r"1-D array of image sources.*shape \(2, 2\)"):
        featclf.RawPixels(verbose=0).fit(np.array([paths[:2], paths[2:4]]))
    with pytest.raises(InvalidImageError, match=r"or a 1-D array of paths; got an array of shape \(7,\)"):
        featclf.RawPixels(verbose=0).fit(np.arange(7))


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_a_closed_pil_image_is_that_source_s_error_and_can_be_skipped(paths, n_jobs):
    with Image.open(paths[1]) as closed:
        pass
    with Image.open(paths[2]) as loaded:
        loaded.load()
    sources = [paths[0], closed, loaded, np.asarray(Image.open(paths[3]))]
    with pytest.raises(ImageLoadError, match=r"item 1 \(PngImageFile\): cannot be read: the PIL image was closed.*"
                                             r"image\.load\(\)"):
        featclf.RawPixels(verbose=0, n_jobs=n_jobs).fit(paths).extract(sources)
    record = featclf.RawPixels(verbose=0, n_jobs=n_jobs, on_error="skip").fit(paths).extract(sources)
    assert record.indices.tolist() == [0, 2, 3] and record.skipped_indices.tolist() == [1]
    np.testing.assert_array_equal(record.features[1:], featclf.RawPixels(verbose=0).fit(paths).transform(paths[2:4]))


# ------------------------------------------------------------------------- one-shot iterators, sets, mappings (kind 2)
def _unordered_or_one_shot(paths):
    return {
        "generator": ((p for p in paths), r"one-shot iterator \(generator\).*Pass list\(X\)"),
        "map": (map(str, paths), r"one-shot iterator \(map\).*Pass list\(X\)"),
        "iter": (iter(paths), r"one-shot iterator \(list_iterator\).*Pass list\(X\)"),
        "set": (set(paths), r"got a set, which has no order.*sorted\(X\)"),
        "frozenset": (frozenset(paths), r"got a frozenset, which has no order.*sorted\(X\)"),
        "dict": (dict.fromkeys(paths, 0), r"got a mapping \(dict\), which would be read as its keys.*X\.values"),
    }


@pytest.mark.parametrize("kind", ["generator", "map", "iter", "set", "frozenset", "dict"])
@pytest.mark.parametrize("name", EXTRACTORS)
def test_one_shot_iterators_sets_and_mappings_are_refused_with_the_fix(paths, kind, name):
    est = _extractor(name)
    X, match = _unordered_or_one_shot(paths)[kind]
    with pytest.raises(InvalidImageError, match=match):
        est.fit_transform(X)
    X, match = _unordered_or_one_shot(paths)[kind]
    with pytest.raises(InvalidImageError, match=match):
        est.fit(paths).transform(X)
    assert est.fit_transform(list(paths)).shape == (len(paths), est.n_features_out_)  # the fix works


@pytest.mark.parametrize("kind", ["set", "frozenset", "dict"])
def test_load_images_refuses_sets_and_mappings_but_reads_a_generator_once(paths, kind):
    X, match = _unordered_or_one_shot(paths)[kind]
    with pytest.raises(InvalidImageError, match=match):
        featclf.load_images(X, verbose=0)
    loaded = featclf.load_images((p for p in paths), verbose=0)
    assert len(loaded.images) == len(paths)


# --------------------------------------------------------------------------- images with no pixel (kind 10)
def _empty_sources():
    return {
        "PIL 0x5": (Image.new("L", (0, 5)), r"empty image of 0x5 pixels"),
        "PIL RGB 7x0": (Image.new("RGB", (7, 0)), r"empty image of 7x0 pixels"),
        "PIL RGBA 0x0": (Image.new("RGBA", (0, 0)), r"empty image of 0x0 pixels"),
        "array (0, 4)": (np.zeros((0, 4), np.uint8), r"empty image of shape \(0, 4\)"),
        "array (4, 0, 3)": (np.zeros((4, 0, 3), np.uint8), r"empty image of shape \(4, 0, 3\)"),
    }


@pytest.mark.parametrize("n_jobs", [1, 2])
@pytest.mark.parametrize("kind", list(_empty_sources()))
@pytest.mark.parametrize("name", EXTRACTORS)
def test_an_image_with_no_pixel_is_that_images_error_skippable(name, kind, n_jobs):
    empty, reason = _empty_sources()[kind]
    good = [np.full((20, 20, 3), 40 * i, np.uint8) for i in range(1, 3)]
    sources = [good[0], empty, good[1]]
    est = _extractor(name).set_params(n_jobs=n_jobs)
    with pytest.raises(InvalidImageError, match=r"item 1 \(\w+\): " + reason):
        est.fit(good).transform(sources)
    record = est.set_params(on_error="skip").fit(good).extract(sources)
    assert record.indices.tolist() == [0, 2] and [s.index for s in record.skipped] == [1]
    assert re.search(reason, record.skipped[0].reason)
    np.testing.assert_array_equal(record.features, est.transform(good))
    with pytest.warns(SkippedImagesWarning, match=r"1 of 3 images"):
        out = est.set_params(on_error="nan").transform(sources)
    assert np.isnan(out[1]).all() and np.array_equal(out[[0, 2]], record.features)


@pytest.mark.parametrize("kind", list(_empty_sources()))
def test_an_image_with_no_pixel_is_refused_at_fit_and_by_load_image(kind):
    empty, reason = _empty_sources()[kind]
    good = np.full((20, 20), 9, np.uint8)
    with pytest.raises(InvalidImageError, match=reason):
        featclf.RawPixels(verbose=0).fit([good, empty])  # size=None reads sizes: on_error='raise' refuses it
    est = featclf.RawPixels(on_error="skip", verbose=0).fit([good, empty])
    assert est.image_size_ == (20, 20)  # the readable image decides
    with pytest.raises(InvalidImageError, match=reason):
        featclf.load_image(empty)


class ChunkKernel(MeanKernel):
    """A model computing in the workers a chunk at a time (what a CNN's kernel is on a Dask cluster); its rows are
    the mean grey level and the number in the file's name."""

    per_chunk = True

    def prepare(self, image, source, index):
        return np.array([convert_image(image, self.mode).mean(), int(source.rsplit("/", 1)[1].split(".")[0])])


class ChunkExtractor(MeanExtractor):
    def _kernel(self, sources):
        return ChunkKernel(self.seen)

    def _cache_config(self):
        return {}


def test_a_per_chunk_kernel_gets_each_chunk_at_once_and_only_the_missing_images(tmp_path):
    # 40 files: chunks of 20, decoded DECODE_BATCH (16) at a time, computed once per chunk
    sources = []
    for i in range(40):
        sources.append(str(tmp_path / f"{i}.png"))
        Image.fromarray(np.full((6, 5), 3 * i, np.uint8)).save(sources[-1])
    seen = []
    expected = np.array([[3 * i, i] for i in range(40)], dtype=np.float32)
    first = extract(ChunkExtractor(seen=seen, batch_size=20, n_jobs=1), sources[::2], cache_dir=tmp_path / "c")
    np.testing.assert_array_equal(first.features, expected[::2])
    assert seen == [list(range(0, 40, 2))]  # one chunk of 20, computed at once
    seen.clear()
    again = extract(ChunkExtractor(seen=seen, batch_size=20, n_jobs=1), sources, cache_dir=tmp_path / "c")
    np.testing.assert_array_equal(again.features, expected)  # cached and computed rows in input order
    assert seen == [list(range(1, 20, 2)), list(range(21, 40, 2))] and again.cache["hits"] == 20  # the missing
