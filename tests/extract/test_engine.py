"""The batch engine: chunking, order, skip compaction, joblib configuration, decoding in workers."""

from __future__ import annotations

import threading
import time

import joblib
import numpy as np
import pytest
from PIL import Image

import featclf
from featclf.exceptions import ImageLoadError, InvalidImageError, InvalidParameterError
from featclf.extract import _engine
from featclf.extract._engine import as_sources, check_batch_size, extract, iter_chunks
from featclf.io import _image


def record(chunk, start, log, delay=0.0):
    """A chunk function that logs what it received and where it ran."""
    if delay and start == 0:
        time.sleep(delay)  # the first chunk finishes last
    log.append({"start": start, "items": list(chunk), "thread": threading.get_ident()})
    return start, list(chunk)


def mean_features(images, sources, indices):
    """compute(): mean intensity and the position, as float64 (the engine stores float32)."""
    return np.array([[float(im.mean()), float(i)] for im, i in zip(images, indices)])


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
    stack = np.zeros((3, 4, 4), np.uint8)
    assert as_sources(stack) is stack
    data = featclf.ArrayDataset(stack)
    assert as_sources(data) is data.sources
    assert as_sources(x for x in ["a.png", "b.png"]) == ["a.png", "b.png"]


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
    assert _engine._chunk_size(n, workers, batch_size) == expected


def test_no_sources_no_chunks():
    log = []
    assert list(iter_chunks(record, [], n_jobs=2, args=(log,))) == []
    result = extract(mean_features, [], 2, verbose=0)
    assert result.features.shape == (0, 2) and result.features.dtype == np.float32
    assert result.indices.tolist() == [] and result.skipped == []


@pytest.mark.parametrize("value", [0, -1, 2.5, "big", None])
def test_bad_batch_size(value):
    with pytest.raises(InvalidParameterError, match=rf"The 'batch_size' parameter must be an int >= 1\. Got {value!r}"):
        check_batch_size(value)
    assert check_batch_size("auto") == "auto"


def test_bad_on_error():
    with pytest.raises(InvalidParameterError,
                       match=r"'on_error' parameter must be one of \{'raise', 'skip'\}\. Got 'warn'"):
        extract(mean_features, [np.zeros((2, 2))], 2, on_error="warn")


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
    real_chunk, real_load = _engine._extract_chunk, _image.load_image

    def spy_chunk(chunk, start, *args):
        chunks.append(list(chunk))
        return real_chunk(chunk, start, *args)

    def spy_load(source, **kwargs):
        decoders.append(threading.get_ident())
        return real_load(source, **kwargs)

    monkeypatch.setattr(_engine, "_extract_chunk", spy_chunk)
    monkeypatch.setattr(_image, "load_image", spy_load)
    with joblib.parallel_config(backend="threading", n_jobs=2):
        result = extract(mean_features, paths, 2, mode="grey", batch_size=2, verbose=0)
    assert all(isinstance(item, str) for chunk in chunks for item in chunk)
    assert sorted(sum(chunks, [])) == sorted(paths)
    assert len(decoders) == len(paths) and threading.get_ident() not in decoders
    np.testing.assert_array_equal(result.features[:, 0], [10 * i for i in range(7)])


# --------------------------------------------------------------------------- extract
def test_extract_writes_float32_rows_in_input_order(paths):
    result = extract(mean_features, paths, 2, mode="grey", batch_size=3, verbose=0)
    assert result.features.dtype == np.float32
    np.testing.assert_array_equal(result.features, [[10 * i, i] for i in range(7)])
    assert result.indices.tolist() == list(range(7)) and result.skipped == []


def test_skip_compacts_rows_and_reports_sources(paths, tmp_path):
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    sources = [paths[0], str(bad), paths[2], b"", paths[4], str(tmp_path / "gone.png"), paths[6]]
    seen = []

    def compute(images, kept_sources, indices):
        seen.append((len(images), list(kept_sources), list(indices)))
        return mean_features(images, kept_sources, indices)

    result = extract(compute, sources, 2, mode="grey", on_error="skip", batch_size=2, verbose=0)
    assert result.indices.tolist() == [0, 2, 4, 6]
    np.testing.assert_array_equal(result.features, [[0, 0], [20, 2], [40, 4], [60, 6]])
    assert [src for src, _ in result.skipped] == [str(bad), "item 3 (bytes)", str(tmp_path / "gone.png")]
    assert all(n == len(s) == len(i) for n, s, i in seen)  # compute sees the loaded images only
    assert [s for _, chunk_sources, _ in seen for s in chunk_sources] == [paths[0], paths[2], paths[4], paths[6]]


def test_raise_stops_at_the_bad_source(paths, tmp_path):
    sources = [paths[0], str(tmp_path / "gone.png")]
    with pytest.raises(ImageLoadError, match=r"gone\.png: no such file"):
        extract(mean_features, sources, 2, verbose=0)


# --------------------------------------------------------------------------- progress
@pytest.mark.parametrize("verbose", [0, 1])
def test_progress_bar_only_when_verbose(paths, verbose, capsys, monkeypatch):
    monkeypatch.setattr(_engine, "PROGRESS_DELAY_S", 0)
    extract(mean_features, paths, 2, mode="grey", batch_size=2, verbose=verbose, desc="testing bar")
    err = capsys.readouterr().err
    if verbose:
        assert "testing bar" in err and "img" in err
    else:
        assert err == ""
