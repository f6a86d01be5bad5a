"""Planted structure is found: auto-k, HDBSCAN's noise, numbering, exemplars, outliers, large-set paths."""

from __future__ import annotations

import json

import numpy as np
import pytest
from clustergen import blobs, same_partition

import featclf
from featclf.clustering import NOISE, _algorithms, _metrics


@pytest.mark.parametrize("method", ["kmeans", "agglomerative"])
@pytest.mark.parametrize("sizes", [(12, 12, 12), (10, 14, 9, 12, 11), (8, 8, 9, 10, 8, 9, 12)])
def test_auto_k_finds_the_planted_number_of_clusters(method, sizes):
    images, truth = blobs(sizes, seed=len(sizes))
    result = featclf.cluster(images, "pixels", method=method, verbose=0)
    assert result.n_clusters_ == len(sizes)
    assert same_partition(result.labels_, truth)
    curve = result.k_curve_
    assert [c["k"] for c in curve] == list(range(2, min(20, len(truth) // 5) + 1))
    best = max(curve, key=lambda c: c["silhouette"])
    assert best["k"] == len(sizes) == result.config_["n_clusters_chosen"]
    assert result.metrics_["silhouette"] == pytest.approx(best["silhouette"])


def test_k_range_is_honoured_and_values_above_n_minus_1_dropped():
    images, truth = blobs((5, 5, 5), seed=3)
    result = featclf.cluster(images, "pixels", k_range=[4, 2, 3, 40], verbose=0)
    assert [c["k"] for c in result.k_curve_] == [2, 3, 4]
    assert result.config_["k_range"] == [2, 3, 4]
    assert result.n_clusters_ == 3


def test_a_given_k_is_used_and_no_curve_is_kept():
    images, truth = blobs((10, 10, 10, 10), seed=4)
    result = featclf.cluster(images, "pixels", n_clusters=2, verbose=0)
    assert result.n_clusters_ == 2 and result.k_curve_ is None and result.config_["k_range"] is None
    assert (result.labels_ >= 0).all()


@pytest.mark.parametrize("sizes, n_noise", [((15, 15, 15), 4), ((12, 20), 6)])
def test_hdbscan_marks_the_planted_noise(sizes, n_noise):
    # templates nearer each other than to the noise images (spread=40)
    images, truth = blobs(sizes, seed=7, n_noise=n_noise, spread=40)
    result = featclf.cluster(images, "pixels", method="hdbscan", verbose=0)
    assert result.n_clusters_ == len(sizes)
    assert (result.labels_[truth == -1] == NOISE).all()
    assert (result.labels_[truth >= 0] >= 0).all()
    assert same_partition(result.labels_[truth >= 0], truth[truth >= 0])
    assert result.n_noise == n_noise
    assert np.isnan(result.distances_[truth == -1]).all() and not np.isnan(result.distances_[truth >= 0]).any()


def test_hdbscan_that_finds_no_cluster_warns_and_still_labels_every_image():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(12, 12, 12)).astype(np.uint8)
    with pytest.warns(featclf.exceptions.FeatclfWarning, match=r"HDBSCAN found no cluster: all 12 images are noise"):
        result = featclf.cluster(images, "pixels", method="hdbscan:min_cluster_size=6", verbose=0)
    assert result.n_clusters_ == 0 and (result.labels_ == NOISE).all()
    assert result.metrics_["silhouette"] is None and len(result.outliers_) == 0
    assert (result.predict(list(images[:3])) == NOISE).all()


def test_clusters_are_numbered_by_decreasing_size():
    images, truth = blobs((4, 15, 9, 6), seed=5)
    result = featclf.cluster(images, "pixels", n_clusters=4, verbose=0)
    assert result.cluster_sizes_.tolist() == [15, 9, 6, 4]
    assert np.bincount(result.labels_).tolist() == [15, 9, 6, 4]
    # cluster 0 holds the planted cluster of 15 images
    assert set(truth[result.labels_ == 0].tolist()) == {1}


def test_distances_exemplars_and_outliers():
    images, truth = blobs((10, 10, 10), seed=6, n_noise=1)  # one image unlike every template
    result = featclf.cluster(images, "pixels", n_clusters=3, n_exemplars=3, n_outliers=2, verbose=0)
    space, centres = result.embedding_, result.centres_
    expected = np.linalg.norm(space.astype(float) - centres[result.labels_[result.indices_]], axis=1)
    np.testing.assert_allclose(result.distances_[result.indices_], expected, rtol=1e-6)
    for j, members in enumerate(result.exemplars_):
        assert len(members) == 3 and (result.labels_[members] == j).all()
        in_cluster = np.flatnonzero(result.labels_ == j)
        nearest = in_cluster[np.argsort(result.distances_[in_cluster], kind="stable")[:3]]
        assert members.tolist() == nearest.tolist()
    assert len(result.outliers_) == 2
    assert result.outliers_[0] == np.flatnonzero(truth == -1)[0]  # the planted odd image is the farthest
    assert result.outlier_distances_[0] >= result.outlier_distances_[1]


def test_minibatch_kmeans_above_the_threshold(monkeypatch):
    monkeypatch.setattr(_algorithms, "MINIBATCH_ABOVE", 20)
    images, truth = blobs((10, 10, 10), seed=8)
    result = featclf.cluster(images, "pixels", n_clusters=3, verbose=0)
    assert result.config_["algorithm"] == "MiniBatchKMeans"
    assert same_partition(result.labels_, truth)
    assert (result.predict(images) == result.labels_).all()


def test_silhouette_is_sampled_for_large_collections(monkeypatch):
    from sklearn.metrics import silhouette_score

    monkeypatch.setattr(_metrics, "SILHOUETTE_SAMPLE_SIZE", 25)
    images, truth = blobs((15, 15, 15), seed=9)
    result = featclf.cluster(images, "pixels", n_clusters=3, random_state=4, verbose=0)
    assert result.metrics_["silhouette_sample_size"] == 25
    expected = silhouette_score(result.embedding_, result.labels_[result.indices_], sample_size=25, random_state=4)
    assert result.metrics_["silhouette"] == pytest.approx(expected)


def test_the_same_call_gives_the_same_clusters():
    images, truth = blobs((10, 10, 10), seed=10)
    a = featclf.cluster(images, "pixels", verbose=0, random_state=3)
    b = featclf.cluster(images, "pixels", verbose=0, random_state=3)
    assert (a.labels_ == b.labels_).all() and np.array_equal(a.distances_, b.distances_)


def test_pca_reduction():
    images, truth = blobs((10, 10, 10), seed=11)
    result = featclf.cluster(images, "pixels", reduce="pca", n_components=5, verbose=0)
    assert result.embedding_.shape == (30, 5) and result.config_["space"] == "l2 + pca(5)"
    assert result.config_["umap"] is None
    assert result.n_clusters_ == 3 and same_partition(result.labels_, truth)
    assert (result.predict(images) == result.labels_).all()
    with pytest.warns(featclf.exceptions.FeatclfWarning, match=r"n_components=500, but a PCA of 30 images .* at most "
                                                                r"30 components: keeping 30") as caught:
        result = featclf.cluster(images, "pixels", 3, reduce="pca", n_components=500, verbose=0)
    assert result.embedding_.shape == (30, 30) and caught[0].filename == __file__  # points at the caller


def test_umap_reduction(tmp_path):
    pytest.importorskip("umap")
    from featclf.clustering import UMAP_MIN_DIST, read_manifest

    images, truth = blobs((15, 15, 15), seed=12)
    result = featclf.cluster(images, "pixels", reduce="umap", n_components=2, verbose=0)
    assert UMAP_MIN_DIST == 0.0 and result.space_.named_steps["umap"].min_dist == 0.0  # not umap-learn's 0.1
    assert result.embedding_.shape == (45, 2)
    assert result.config_["space"] == "l2 + pca(45) + umap(2, n_neighbors=15, min_dist=0.0)"  # PCA <= n
    assert result.config_["umap"] == {"n_neighbors": 15, "min_dist": 0.0}
    assert json.loads(result.to_json())["config"]["umap"] == {"n_neighbors": 15, "min_dist": 0.0}
    result.save(tmp_path / "umap.zip")
    assert read_manifest(tmp_path / "umap.zip")["config"]["umap"] == {"n_neighbors": 15, "min_dist": 0.0}
    assert result.n_clusters_ == 3 and same_partition(result.labels_, truth)
    assert result.predict(images).shape == (45,)


def test_cnn_embeddings_are_l2_normalised_by_default():
    pytest.importorskip("torch")
    images, truth = blobs((6, 6), seed=13)
    result = featclf.cluster(images, ("cnn", {"backbone": "tiny"}), n_clusters=2, verbose=0)
    assert result.config_["preprocess"] == "l2" and result.config_["preprocess_requested"] == "auto"
    np.testing.assert_allclose(np.linalg.norm(result.embedding_, axis=1), 1.0, rtol=1e-5)


@pytest.mark.parametrize("extractor, scaling", [("hog:pixels_per_cell=4x4", "l2"), ("pixels", "l2"),
                                                ("colorhist", "none")])
def test_handcrafted_features_get_the_measured_default_scaling(extractor, scaling):
    images, truth = blobs((6, 6), seed=14)
    result = featclf.cluster(images, extractor, n_clusters=2, verbose=0)
    name = extractor.partition(":")[0]
    assert result.config_["preprocess"] == scaling == featclf.clustering.PREPROCESS_DEFAULTS[name]
    norms = np.linalg.norm(result.embedding_, axis=1)
    if scaling == "l2":
        np.testing.assert_allclose(norms[norms > 0], 1.0, rtol=1e-5)
    else:  # colour histograms as they come: each row sums to 1, so its norm is below 1
        assert (norms < 1).all()


def test_standard_scaling_when_asked():
    images, truth = blobs((8, 8), seed=15)
    result = featclf.cluster(images, "pixels", n_clusters=2, preprocess="standard", verbose=0)
    np.testing.assert_allclose(result.embedding_.mean(axis=0), 0, atol=1e-5)


def test_duplicate_images_give_fewer_clusters_than_asked_and_predict_still_works():
    images = np.concatenate([np.zeros((10, 12, 12), np.uint8), np.full((5, 12, 12), 200, np.uint8)])
    # unscaled: under the default L2 scaling every constant image points the same way
    result = featclf.cluster(images, "pixels", n_clusters=3, preprocess="none", verbose=0)
    assert result.n_clusters_ == 2 and result.cluster_sizes_.tolist() == [10, 5]
    assert result.config_["n_clusters_requested"] == 3 and result.config_["n_clusters_chosen"] == 2
    assert result.predict(images).tolist() == [0] * 10 + [1] * 5
    assert result.predict(np.full((1, 12, 12), 90, np.uint8)).tolist() == [0]  # never an empty cluster
