"""Clustering unlabelled images: :func:`cluster`, its result, and saved clusterings.

The main entry point is :func:`featclf.cluster`. The package is named ``clustering`` so
that the function and the package never share a name.

Labels of a result: cluster ids ``0 .. k - 1`` numbered by decreasing size, ``NOISE``
(-1) for an image HDBSCAN left in no cluster, ``SKIPPED`` (-2) for an input that could
not be used. Every input has one, in input order.
"""

from ._algorithms import AGGLOMERATIVE_MAX, METHODS, MINIBATCH_ABOVE, NOISE, SKIPPED
from ._cluster import DEFAULT_EXTRACTOR, K_MAX, cluster
from ._folders import EXPORT_LISTING, EXPORT_MODES, check_export_folder
from ._metrics import SILHOUETTE_SAMPLE_SIZE, agreement_metrics, internal_metrics, matched_accuracy
from ._result import JSON_SCHEMA_VERSION, ClusteringResult, Neighbours, check_save_path, load_clustering, read_manifest
from ._space import PREPROCESS_DEFAULTS, PREPROCESS_OPTIONS, REDUCE_OPTIONS, UMAP_MIN_DIST

__all__ = [
    "AGGLOMERATIVE_MAX",
    "DEFAULT_EXTRACTOR",
    "EXPORT_LISTING",
    "EXPORT_MODES",
    "JSON_SCHEMA_VERSION",
    "K_MAX",
    "METHODS",
    "MINIBATCH_ABOVE",
    "NOISE",
    "PREPROCESS_DEFAULTS",
    "PREPROCESS_OPTIONS",
    "REDUCE_OPTIONS",
    "SILHOUETTE_SAMPLE_SIZE",
    "SKIPPED",
    "UMAP_MIN_DIST",
    "ClusteringResult",
    "Neighbours",
    "agreement_metrics",
    "check_export_folder",
    "check_save_path",
    "cluster",
    "internal_metrics",
    "load_clustering",
    "matched_accuracy",
    "read_manifest",
]

from .._public import set_public_module  # noqa: E402

set_public_module(globals(), __all__, "featclf.clustering")
