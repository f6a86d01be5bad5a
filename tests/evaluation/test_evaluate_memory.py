"""Kind 5: a run whose features (and the classifiers' copies) would not fit is refused before extraction."""

from __future__ import annotations

import numpy as np
import pytest

import featclf
from featclf.exceptions import OutputTooLargeError
from featclf.stages import _features

N = 40  # images
F = 100 * 100  # pixels:size=100x100 features
# the documented estimate: 4 n sum(F) + fit_workers * 16 n max(F), against 80 % of what is available
NEEDED_1 = 4 * N * F + 1 * 16 * N * F  # 8.0 MB with one fit at a time
NEEDED_2 = 4 * N * F + 2 * 16 * N * F  # 14.4 MB with two parallel fits


@pytest.fixture()
def data():
    rng = np.random.default_rng(0)
    return featclf.ArrayDataset(rng.integers(0, 256, (N, 12, 12), dtype=np.uint8), [0, 1] * (N // 2))


@pytest.fixture()
def no_extraction(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("extraction started")

    monkeypatch.setattr(_features, "extract_many", refuse)


def memory(monkeypatch, n_bytes):
    monkeypatch.setattr(_features, "available_memory", lambda: n_bytes)


@pytest.mark.parametrize("n_jobs, needed", [(1, NEEDED_1), (2, NEEDED_2)])
def test_evaluate_refuses_before_extraction_naming_the_extractor(monkeypatch, data, no_extraction, n_jobs, needed):
    monkeypatch.setattr("joblib.cpu_count", lambda *a, **k: 2)
    memory(monkeypatch, int(needed / 0.8) - 1)
    with pytest.raises(OutputTooLargeError, match=rf"about {needed / 1e6:.1f} MB for the features of 40 images, "
                       r"more than 80% of the .* available now; the largest is RawPixels with 10,000 features "
                       rf"per image .*{n_jobs} parallel fit\(s\).*Use a smaller 'size'.*--limit.*--n-jobs"):
        featclf.evaluate(data, extractors=["pixels:size=100x100"], classifiers=["knn"], cv=2, n_jobs=n_jobs,
                         verbose=0)


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_evaluate_runs_when_the_estimate_fits(monkeypatch, data, n_jobs):
    monkeypatch.setattr("joblib.cpu_count", lambda *a, **k: 2)
    memory(monkeypatch, int((NEEDED_1 if n_jobs == 1 else NEEDED_2) / 0.8) + 1)
    result = featclf.evaluate(data, extractors=["pixels:size=100x100"], classifiers=["knn"], cv=2,
                              n_jobs=n_jobs, verbose=0)
    assert result.results[0].n_features == F


def test_every_extractor_counts(monkeypatch, data, no_extraction):
    # pixels 10,000 + colorhist: the float32 part counts both, the fit copies the largest
    memory(monkeypatch, int(NEEDED_1 / 0.8) + 1)  # fits pixels alone, not with a second extractor of 10,000
    with pytest.raises(OutputTooLargeError, match="the largest is RawPixels"):
        featclf.evaluate(data, extractors=["pixels:size=100x100", "pixels:size=100x100,color=gray"],
                         classifiers=["knn"], cv=2, verbose=0)


def test_cluster_refuses_before_extraction(monkeypatch, data, no_extraction):
    memory(monkeypatch, 1_000_000)
    with pytest.raises(OutputTooLargeError, match="the largest is RawPixels with 10,000 features"):
        featclf.cluster(data, "pixels:size=100x100", n_clusters=2, verbose=0)


def test_unknown_available_memory_is_not_checked(monkeypatch, data):
    memory(monkeypatch, None)
    result = featclf.evaluate(data, extractors=["pixels:size=100x100"], classifiers=["knn"], cv=2, verbose=0)
    assert result.results[0].n_features == F
