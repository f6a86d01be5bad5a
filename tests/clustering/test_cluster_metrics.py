"""The metrics are scikit-learn's (checked against direct calls) and the Hungarian matching against brute force."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from clustergen import blobs

import featclf
from featclf.clustering import SKIPPED, agreement_metrics, internal_metrics, matched_accuracy


def brute_force_accuracy(y_true, y_pred):
    """Best one-to-one matching of clusters to classes, by trying every injection (small cases only)."""
    clusters = sorted(set(y_pred) - {-1})
    classes = sorted(set(y_true))
    best = 0
    if len(clusters) <= len(classes):
        for chosen in itertools.permutations(classes, len(clusters)):
            pairs = dict(zip(clusters, chosen))
            best = max(best, sum(pairs.get(p) == t for p, t in zip(y_pred, y_true)))
    else:
        for chosen in itertools.permutations(clusters, len(classes)):
            pairs = dict(zip(chosen, classes))
            best = max(best, sum(pairs.get(p) == t for p, t in zip(y_pred, y_true)))
    return best / len(y_true)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("n_clusters, n_classes", [(3, 3), (2, 4), (5, 3)])
def test_matched_accuracy_is_the_best_one_to_one_matching(seed, n_clusters, n_classes):
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, n_classes, 30)
    y_pred = rng.integers(-1 if seed % 2 else 0, n_clusters, 30)  # with noise on odd seeds
    accuracy, mapping = matched_accuracy(y_true, y_pred)
    assert accuracy == pytest.approx(brute_force_accuracy(y_true.tolist(), y_pred.tolist()))
    assert -1 not in mapping and len(set(mapping.values())) == len(mapping)  # one to one, noise never matched
    assert accuracy == pytest.approx(sum(mapping.get(p) == t for p, t in zip(y_pred, y_true)) / 30)


def test_matched_accuracy_edge_cases():
    assert matched_accuracy([0, 0, 1], [5, 5, 7]) == (1.0, {5: 0, 7: 1})
    assert matched_accuracy([0, 1, 2], [-1, -1, -1]) == (0.0, {})
    assert matched_accuracy([], []) == (0.0, {})


def test_agreement_metrics_are_scikit_learns_with_noise_as_a_group():
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    y_true = np.array([0, 0, 0, 1, 1, 1, 2, 2])
    y_pred = np.array([1, 1, -1, 0, 0, 0, -1, 2])
    scores = agreement_metrics(y_true, y_pred)
    assert scores["nmi"] == pytest.approx(normalized_mutual_info_score(y_true, y_pred))
    assert scores["ari"] == pytest.approx(adjusted_rand_score(y_true, y_pred))
    assert scores["matched_accuracy"] == pytest.approx(6 / 8) and scores["matching"] == {0: 1, 1: 0, 2: 2}


def test_internal_metrics_are_scikit_learns_without_noise():
    from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score, silhouette_score

    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    labels = np.repeat([0, 1, 2, -1], 10)
    scores = internal_metrics(X, labels, random_state=0)
    keep = labels >= 0
    assert scores["silhouette"] == pytest.approx(silhouette_score(X[keep], labels[keep]))
    assert scores["davies_bouldin"] == pytest.approx(davies_bouldin_score(X[keep], labels[keep]))
    assert scores["calinski_harabasz"] == pytest.approx(calinski_harabasz_score(X[keep], labels[keep]))
    assert scores["n_scored"] == 30 and scores["silhouette_sample_size"] is None


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_chunked_dispersion_scores_equal_scikit_learns_over_many_chunks(dtype, monkeypatch):
    from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score, silhouette_score

    import featclf.clustering._distances as distances

    monkeypatch.setattr(distances, "CHUNK_BYTES", 8 * 5 * 64)  # 64 rows a chunk: 2,500 rows take 40 chunks
    rng = np.random.default_rng(3)
    labels = rng.integers(-1, 6, size=2500)  # noise mixed in, clusters of unequal sizes
    X = (rng.normal(size=(2500, 5)) + 3 * labels[:, None]).astype(dtype)
    keep = labels >= 0
    scores = internal_metrics(X, labels, random_state=4)
    assert scores["davies_bouldin"] == pytest.approx(davies_bouldin_score(X[keep], labels[keep]), rel=1e-5)
    assert scores["calinski_harabasz"] == pytest.approx(calinski_harabasz_score(X[keep], labels[keep]), rel=1e-5)
    # above the sample size the silhouette is the one scikit-learn's sample_size draws, same seed
    assert keep.sum() > 2000 and scores["silhouette_sample_size"] == 2000
    assert scores["silhouette"] == pytest.approx(silhouette_score(X[keep], labels[keep], sample_size=2000,
                                                                  random_state=4))


def test_dispersion_scores_edge_cases_as_scikit_learn():
    from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score

    same = np.repeat([[1.0, 2.0], [5.0, 5.0]], 5, axis=0)  # every image on its centroid
    labels = np.repeat([0, 1], 5)
    scores = internal_metrics(same, labels, random_state=0)
    assert scores["davies_bouldin"] == davies_bouldin_score(same, labels) == 0.0
    assert scores["calinski_harabasz"] == calinski_harabasz_score(same, labels) == 1.0
    overlapping = np.random.default_rng(0).normal(size=(12, 2))  # two clusters with one centroid
    overlapping[6:] = overlapping[:6]
    labels = np.repeat([0, 1], 6)
    assert internal_metrics(overlapping, labels, 0)["davies_bouldin"] == davies_bouldin_score(overlapping, labels)


def test_internal_metrics_memory_does_not_grow_with_the_space():
    import tracemalloc

    def peak(n):
        X = np.random.default_rng(0).normal(size=(n, 200)).astype(np.float32)
        labels = np.random.default_rng(1).integers(-1, 4, size=n)
        tracemalloc.start()
        try:
            internal_metrics(X, labels, random_state=0)
            return tracemalloc.get_traced_memory()[1], X.nbytes
        finally:
            tracemalloc.stop()

    (small, small_bytes), (large, large_bytes) = peak(60_000), peak(180_000)  # both above a few 32 MB chunks
    # chunks of fixed size and a 2,000-row sample: a few per-row numbers more, no copy of X
    # (scikit-learn's Davies-Bouldin and Calinski-Harabasz copy every cluster's rows: > 1x X more)
    assert large - small < 0.2 * (large_bytes - small_bytes)


@pytest.mark.parametrize("labels", [np.zeros(10, int), np.arange(10), np.full(10, -1)])
def test_undefined_internal_metrics_are_none(labels):
    scores = internal_metrics(np.random.default_rng(1).normal(size=(10, 2)), labels, random_state=0)
    assert scores["silhouette"] is None and scores["davies_bouldin"] is None and scores["calinski_harabasz"] is None


def test_result_metrics_match_scikit_learn_on_the_clustered_images(tmp_path):
    from sklearn.metrics import adjusted_rand_score, davies_bouldin_score, normalized_mutual_info_score

    images, truth = blobs((8, 8, 8), seed=2, noise=60)  # overlapping: scores below 1
    names = np.array(["a", "b", "c"])[truth]
    result = featclf.cluster(images, "pixels", n_clusters=4, labels=names, verbose=0)
    assert result.classes_ == ["a", "b", "c"]
    used = result.labels_ != SKIPPED
    assert result.metrics_["nmi"] == pytest.approx(normalized_mutual_info_score(truth[used], result.labels_[used]))
    assert result.metrics_["ari"] == pytest.approx(adjusted_rand_score(truth[used], result.labels_[used]))
    assert result.metrics_["davies_bouldin"] == pytest.approx(
        davies_bouldin_score(result.embedding_, result.labels_[result.indices_]))
    assert result.metrics_["matched_accuracy"] == pytest.approx(brute_force_accuracy(truth.tolist(),
                                                                                      result.labels_.tolist()))
    table, rows, classes = result.contingency()
    assert rows == [0, 1, 2, 3] and classes == ["a", "b", "c"] and table.sum() == len(truth)
    assert table.sum(axis=1).tolist() == result.cluster_sizes_.tolist()


def test_no_agreement_metrics_without_labels():
    images, _ = blobs((6, 6), seed=3)
    result = featclf.cluster(images, "pixels", n_clusters=2, verbose=0)
    assert result.metrics_["nmi"] is None and result.true_labels_ is None
    with pytest.raises(featclf.exceptions.InvalidParameterError, match=r"no true labels are known"):
        result.contingency()
