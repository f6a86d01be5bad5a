"""Every parameter, the data, the labels and the optional dependencies are checked before extraction."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from clustergen import blobs

import featclf
from featclf.clustering import _cluster
from featclf.exceptions import (
    DatasetError,
    InvalidImageError,
    InvalidParameterError,
    MissingDependencyError,
    UnknownNameError,
)

IMAGES, TRUTH = blobs((5, 5, 5), seed=30)


@pytest.fixture
def no_cluster_extraction(monkeypatch):
    """Fail the test if cluster computes any feature (for errors that must come before extraction).

    (Here, not in a conftest.py: a tests/clustering/conftest.py is imported as ``conftest`` before
    tests/conftest.py under --doctest-modules, and the two clash.)
    """

    def refuse(*args, **kwargs):
        raise AssertionError("features were computed before the error")

    monkeypatch.setattr(_cluster, "compute_features", refuse)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"n_clusters": 1}, InvalidParameterError, r"The 'n_clusters' parameter of cluster must be an int >= 2 or 'auto'"),
    ({"n_clusters": "many"}, InvalidParameterError, r"must be an int >= 2 or 'auto'. Got 'many'"),
    ({"n_clusters": True}, InvalidParameterError, r"must be an int >= 2 or 'auto'. Got True"),
    ({"n_clusters": 16}, InvalidParameterError, r"is 16, more than the 15 images given"),
    ({"n_clusters": 3, "k_range": [2, 3]}, InvalidParameterError, r"'k_range' parameter of cluster is for "
                                                                  r"n_clusters='auto'"),
    ({"k_range": [1, 2]}, InvalidParameterError, r"'k_range' parameter of cluster must be a non-empty collection"),
    ({"k_range": []}, InvalidParameterError, r"must be a non-empty collection of ints >= 2"),
    ({"k_range": 5}, InvalidParameterError, r"must be a non-empty collection of ints >= 2 .* Got 5"),
    ({"k_range": [15, 20]}, InvalidParameterError, r"asks for at least 15 clusters, but there are 15 images"),
    ({"method": "hdbscan", "n_clusters": 3}, InvalidParameterError, r"method='hdbscan' finds the number of "
                                                                    r"clusters itself; got n_clusters=3"),
    ({"method": "hdbscan", "k_range": [2, 3]}, InvalidParameterError, r"method='hdbscan' finds the number"),
    ({"method": "hdbscan:min_cluster_size=16"}, InvalidParameterError, r"method='hdbscan:min_cluster_size=16' "
                                                                       r"needs at least 16 images .* 15 were given"),
    ({"method": "hdbscan:min_samples=20"}, InvalidParameterError, r"needs at least 20 images"),
    ({"n_clusters": np.array([2, 3])}, InvalidParameterError, r"must be an int >= 2 or 'auto'. Got array"),
    ({"method": "kmean"}, UnknownNameError, r"Unknown clustering method 'kmean'. .* Did you mean 'kmeans'\?"),
    ({"method": 3}, InvalidParameterError, r"The 'method' parameter of cluster must be one of"),
    ({"method": "hdbscan:min_cluster_size=0"}, InvalidParameterError,
     r"Method 'hdbscan:min_cluster_size=0': The 'min_cluster_size' parameter of HDBSCAN must be an int in the range"),
    ({"method": "kmeans:n_init=-1"}, InvalidParameterError, r"Method 'kmeans:n_init=-1': The 'n_init' parameter"),
    ({"method": "kmeans:algorithm=elkan"}, InvalidParameterError, r"kmeans takes no parameter 'algorithm' here"),
    ({"method": "kmeans:n_clusters=3"}, InvalidParameterError, r"pass n_clusters to cluster\(\) itself"),
    ({"method": ("agglomerative", {"linkage": "centroid"})}, InvalidParameterError,
     r"The 'linkage' parameter of method 'agglomerative' must be one of \{'ward', 'average'"),
    ({"preprocess": "l1"}, InvalidParameterError, r"The 'preprocess' parameter of cluster must be one of"),
    ({"reduce": "tsne"}, InvalidParameterError, r"The 'reduce' parameter of cluster must be one of \{None, 'pca'"),
    ({"n_components": 5}, InvalidParameterError, r"sets the dimensions of a reduction, but reduce=None"),
    ({"reduce": "pca", "n_components": 0}, InvalidParameterError, r"'n_components' parameter of cluster must be an"),
    ({"random_state": -1}, InvalidParameterError, r"'random_state' parameter of cluster must be an int >= 0"),
    ({"on_error": "nan"}, InvalidParameterError, r"'on_error' parameter of cluster must be one of \{'raise', 'skip'"),
    ({"n_jobs": 0}, InvalidParameterError, r"'n_jobs' parameter of cluster must be a non-zero int"),
    ({"verbose": -1}, InvalidParameterError, r"'verbose' parameter of cluster must be an int >= 0"),
    ({"n_exemplars": 0}, InvalidParameterError, r"'n_exemplars' parameter of cluster must be an int >= 1"),
    ({"n_outliers": -1}, InvalidParameterError, r"'n_outliers' parameter of cluster must be an int >= 0"),
    ({"max_pixels": 0}, InvalidParameterError, r"max_pixels"),
    ({"labels": [0, 1]}, InvalidParameterError, r"'labels' parameter of cluster must hold one known class per "
                                                r"image \(15\); got shape \(2,\)"),
    ({"labels": [0] * 14 + [None]}, InvalidParameterError, r"^The 'labels' parameter of cluster: 1 missing labels "
                                                           r"\(None, NaN or empty\) at positions 14\..* Or pass "
                                                           r"labels=None"),
    ({"labels": [0] * 14 + ["a"]}, InvalidParameterError, r"^The 'labels' parameter of cluster: labels mix text and "
                                                          r"other types \(int, str\).*\[str\(y\) for y in labels\]"),
    ({"labels": 5}, InvalidParameterError, r"must hold one known class per image \(a list or array of 15\). Got int"),
    ({"labels": np.zeros((15, 1))}, InvalidParameterError, r"one known class per image \(15\); got shape \(15, 1\)"),
    ({"extractor": "hgo"}, UnknownNameError, r"Unknown extractor 'hgo'.*Did you mean 'hog'\?"),
    ({"extractor": "hog:orientations=0"}, InvalidParameterError, r"orientations"),
    ({"extractor": "hog:colour=1"}, InvalidParameterError, r"Extractor 'hog' \(HOG\) has no parameter 'colour'"),
])
def test_bad_parameters_are_refused_before_extraction(no_cluster_extraction, kwargs, error, match):
    kwargs = {"extractor": "pixels", "verbose": 0, **kwargs}
    with pytest.raises(error, match=match):
        featclf.cluster(IMAGES, **kwargs)


@pytest.mark.parametrize("data, error, match", [
    ([], DatasetError, r"there are no images to cluster"),
    (np.zeros((12, 12), np.uint8), InvalidImageError, r"got an array of shape \(12, 12\) \(one grey image\?\)"),
    (featclf.ArrayDataset(np.zeros((0, 4, 4), np.uint8)), DatasetError, r"arrays: there are no images to cluster"),
])
def test_bad_data_is_refused_before_extraction(no_cluster_extraction, data, error, match):
    with pytest.raises(error, match=match):
        featclf.cluster(data, "pixels", verbose=0)


def test_agglomerative_is_refused_above_its_size_limit(no_cluster_extraction, monkeypatch):
    monkeypatch.setattr(_cluster, "AGGLOMERATIVE_MAX", 10)
    with pytest.raises(InvalidParameterError, match=r"method='agglomerative' needs memory quadratic .* at most 10 "
                                                    r"images. Use method='kmeans'"):
        featclf.cluster(IMAGES, "pixels", method="agglomerative", verbose=0)


def test_missing_torch_names_the_extra_and_the_extractors_that_need_none(no_cluster_extraction, monkeypatch):
    from featclf.extract import CNNEmbedding

    def no_torch(self):
        from featclf._optional import import_optional

        return import_optional("featclf_no_such_module_torch", purpose="CNNEmbedding")

    monkeypatch.setattr(CNNEmbedding, "_torch", no_torch)
    with pytest.raises(MissingDependencyError, match=r"CNNEmbedding needs .* Install it with: pip install .* Or "
                                                     r"cluster without torch, with extractor='hog'"):
        featclf.cluster(IMAGES, verbose=0)  # the default extractor is 'cnn'


def test_missing_umap_gives_the_install_command(no_cluster_extraction, monkeypatch):
    monkeypatch.setitem(sys.modules, "umap", None)  # import umap raises ImportError
    with pytest.raises(MissingDependencyError, match=r"cluster\(reduce='umap'\) needs the optional dependency "
                                                     r"'umap'.*pip install \"featclf\[cluster\]\""):
        featclf.cluster(IMAGES, "pixels", reduce="umap", verbose=0)


def test_similar_and_predict_check_their_parameters():
    result = featclf.cluster(IMAGES, "pixels", n_clusters=3, verbose=0)
    with pytest.raises(InvalidParameterError, match=r"'n' parameter of similar must be an int >= 1"):
        result.similar(0, n=0)
    with pytest.raises(InvalidParameterError, match=r"query 15 is not a position of the clustered collection"):
        result.similar(15)
    with pytest.raises(InvalidParameterError, match=r"'on_error' parameter of predict must be one of"):
        result.predict(IMAGES, on_error="ignore")
    with pytest.raises(InvalidParameterError, match=r"'n_jobs' parameter of predict"):
        result.predict(IMAGES, n_jobs=0)
