"""Progress as results stream back (per few images, whatever n_jobs; no bars off a terminal), a dead worker as one
featclf error, and warnings that point at the user's line."""

from __future__ import annotations

import os
import signal
import time
import warnings

import numpy as np
import pytest
from PIL import Image
from sklearn.pipeline import make_pipeline

import featclf
from featclf.engine import FILE_CHUNK, MAX_CHUNK, _chunks, chunk_size, extract
from featclf.exceptions import SkippedImagesWarning, WorkerDiedError
from featclf.kernels import Kernel


@pytest.fixture(scope="module")
def many_paths(tmp_path_factory):
    root = tmp_path_factory.mktemp("many")
    out = []
    for i in range(100):
        path = root / f"img{i:03d}.png"
        Image.fromarray(np.full((6, 5), i, np.uint8)).save(path)
        out.append(str(path))
    return out


class MeanKernel(Kernel):
    """Mean grey level of each image; with ``die`` set, kills any process but the test's own."""

    mode = "grey"

    def __init__(self, parent=None, how=None):
        self.parent, self.how = parent, how

    def compute(self, images):
        if self.how in ("exit", "kill") and os.getpid() == self.parent:
            # this process is slow, so the worker starts (and dies) before every chunk is claimed: otherwise this
            # process computes the chunks of a worker that has completed none, and the run ends without it
            time.sleep(0.4)
        if self.how is not None and os.getpid() != self.parent:
            if self.how == "slow":
                time.sleep(1.5)
                return np.array([[image.mean()] for image in images], dtype=np.float32)
            if self.how == "exit":
                os._exit(1)
            os.kill(os.getpid(), signal.SIGKILL)
        return np.array([[image.mean()] for image in images], dtype=np.float32)


class MeanExtractor:
    """The engine protocol at its smallest."""

    n_features_out_ = 1

    def __init__(self, n_jobs=None, verbose=0, how=None):
        self.on_error, self.n_jobs, self.batch_size, self.verbose, self.how = "raise", n_jobs, "auto", verbose, how

    def _kernel(self, sources):
        return MeanKernel(os.getpid(), self.how)


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_progress_moves_every_few_files_whatever_n_jobs(many_paths, progress_bars, n_jobs):
    record = extract(MeanExtractor(n_jobs=n_jobs, verbose=1), many_paths)
    assert record.features[:, 0].tolist() == list(range(100))
    (bar,) = progress_bars
    assert bar["total"] == 100 and sum(bar["steps"]) == 100
    assert max(bar["steps"]) <= FILE_CHUNK  # never a jump of 256 images
    assert len(bar["steps"]) >= 100 // FILE_CHUNK
    assert bar["disable"] is None  # tqdm draws only when stderr is a terminal


def test_progress_does_not_wait_for_a_slow_worker(many_paths, progress_bars):
    # n_jobs=2: one worker process (1.5 s per chunk: two chunks) and this process (the rest, at once).
    # The bar advances as each chunk completes; it used to wait for chunk 0 then jump (issue 9, kind 12).
    extract(MeanExtractor(n_jobs=2), many_paths)  # the pool started: its worker is not "still starting"
    progress_bars.clear()
    progress_bars.times.clear()
    record = extract(MeanExtractor(n_jobs=2, verbose=1, how="slow"), many_paths)
    assert record.features[:, 0].tolist() == list(range(100))  # rows still in input order
    (bar,) = progress_bars
    assert sum(bar["steps"]) == 100 and max(bar["steps"]) <= FILE_CHUNK
    (times,) = progress_bars.times
    early = [t for t in times if t < times[-1] - 1.0]  # steps more than 1 s before the last
    assert len(early) >= 3, bar


def test_a_new_pool_is_not_waited_for(many_paths):
    # A new pool's worker takes about half a second to start: once every chunk is claimed and it has completed
    # none, this process computes its chunks too (issue 12: a rerun served by the cache waited for it).
    if _chunks._POOL is not None:
        _chunks._POOL.shutdown(wait=True)
        _chunks._POOL = None  # the next run starts a new pool (kept afterwards, as usual)
    began = time.perf_counter()
    record = extract(MeanExtractor(n_jobs=2, how="slow"), many_paths)
    assert time.perf_counter() - began < 1.4  # less than one chunk of the slow worker
    assert record.features[:, 0].tolist() == list(range(100))


def test_the_worker_count_is_capped_by_cores_and_tasks(monkeypatch, many_paths):
    import joblib

    from featclf._validation import effective_workers

    monkeypatch.setattr(joblib, "cpu_count", lambda *a, **k: 2)
    assert [effective_workers(n, t) for n, t in [(1000, 50), (-1, 50), (1000, 1), (None, 9), (2, 9)]] == [
        2, 2, 1, 1, 2]
    pools = []
    real = _chunks._helper_pool
    monkeypatch.setattr(_chunks, "_helper_pool", lambda n: pools.append(n) or real(n))
    record = extract(MeanExtractor(n_jobs=1000, verbose=0), many_paths)
    assert record.features.shape == (100, 1) and pools == [1]  # 2 workers: this process and one helper
    with joblib.parallel_config(backend="threading"):
        assert effective_workers(1000, 50) == 2


def test_no_bar_at_verbose_0(many_paths, progress_bars):
    extract(MeanExtractor(verbose=0), many_paths)
    assert progress_bars[0]["disable"] is True


def test_chunks_of_files_are_small_and_of_arrays_large():
    assert chunk_size(10_000, 1, "auto", FILE_CHUNK) == FILE_CHUNK == 32
    assert chunk_size(10_000, 1, "auto") == MAX_CHUNK
    assert chunk_size(100, 2, "auto", FILE_CHUNK) == 13  # about four tasks per worker
    assert chunk_size(10_000, 2, 7, FILE_CHUNK) == 7  # batch_size wins


def test_a_bar_on_a_terminal_draws_and_off_one_prints_nothing(many_paths, monkeypatch, capsys):
    import io

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.setattr(_chunks, "PROGRESS_DELAY_S", 0.0)
    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    extract(MeanExtractor(verbose=1), many_paths)
    assert "MeanExtractor:" in terminal.getvalue() and "/100 [" in terminal.getvalue()
    pipe = io.StringIO()  # a log file: not a terminal
    monkeypatch.setattr("sys.stderr", pipe)
    extract(MeanExtractor(verbose=1), many_paths)
    assert pipe.getvalue() == ""


@pytest.mark.parametrize("how", ["exit", "kill"])
@pytest.mark.parametrize("shared", [True, False])  # featclf's own pool with this process helping, or joblib's
def test_a_worker_that_dies_is_one_featclf_error_with_the_fix(many_paths, how, shared, monkeypatch):
    if not shared:
        monkeypatch.setattr(_chunks, "_loky_default", lambda: False)
        monkeypatch.setattr(_chunks, "prefer_threads", lambda sources: False)
    with pytest.raises(WorkerDiedError, match=r"A worker process died while extracting features \(MeanExtractor\) with "
                                              r"n_jobs=2: most likely the system killed it for lack of memory \(or it "
                                              r"crashed in native code\). Use fewer workers \(n_jobs=1, on the "
                                              r"command line --n-jobs 1\); for extraction also a smaller batch_size "
                                              r"or max_pixels"):
        extract(MeanExtractor(n_jobs=2, how=how), many_paths)
    # the pool is replaced: the next run works
    assert extract(MeanExtractor(n_jobs=2), many_paths).features[:, 0].tolist() == list(range(100))


def test_worker_died_is_a_featclf_error_and_a_runtime_error():
    error = _chunks.worker_died("doing things", 8)
    assert isinstance(error, featclf.FeatclfError) and isinstance(error, RuntimeError)
    assert "n_jobs=8" in str(error) and "(n_jobs=4, on the command line --n-jobs 4)" in str(error)


# --------------------------------------------------------------------------- warnings point at the user's line
def _images():
    return [np.zeros((4, 4), np.uint8), b"not an image", np.ones((4, 4), np.uint8)]


def test_skipped_images_warning_points_at_the_users_line():
    images = _images()
    calls = {  # transform keeps one row per input: on_error="nan" marks the unusable rows (and warns)
        "transform": lambda: featclf.RawPixels(on_error="nan").fit(images).transform(images),
        "fit_transform": lambda: featclf.RawPixels(on_error="nan").fit_transform(images),  # sklearn's wrapper
        "pipeline": lambda: make_pipeline(featclf.RawPixels(on_error="nan")).fit_transform(images),
        "load_images": lambda: featclf.load_images(images, on_error="skip"),
    }
    for name, call in calls.items():
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            call()
        skipped = [w for w in caught if issubclass(w.category, SkippedImagesWarning)]
        assert len(skipped) == 1, name
        # the lambda above is the user's code: the warning names this file, not featclf or scikit-learn
        assert skipped[0].filename == __file__, (name, skipped[0].filename)


def test_evaluate_warns_at_the_users_line():
    images = np.random.default_rng(0).integers(0, 255, (12, 5, 5), dtype=np.uint8)
    data = featclf.ArrayDataset(list(images[:5]) + [b"broken"] + list(images[6:]), [0, 1] * 6)
    with pytest.warns(SkippedImagesWarning, match="Skipped 1 of 12 images") as caught:
        featclf.evaluate(data, ["pixels"], ["knn:n_neighbors=1"], cv=2, verbose=0)
    assert caught[0].filename == __file__
