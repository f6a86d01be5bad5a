"""Clustering algorithms: k-means (mini-batch for large collections), HDBSCAN, agglomerative.

Every algorithm is scikit-learn's or SciPy's; featclf adds the choice of k, the numbering
of clusters and the assignment of new images:

* **k-means**: :class:`~sklearn.cluster.KMeans`, or :class:`~sklearn.cluster.MiniBatchKMeans`
  above ``MINIBATCH_ABOVE`` images (far faster there, for a slightly higher inertia).
* **HDBSCAN**: :class:`~sklearn.cluster.HDBSCAN`; it finds the number of clusters itself
  and leaves images in no dense region as noise (label ``-1``).
* **agglomerative**: hierarchical clustering (Ward linkage by default) with
  :func:`scipy.cluster.hierarchy.linkage`, the routine scikit-learn's
  ``AgglomerativeClustering`` runs without a connectivity graph; the tree is built once
  and cut at each k (``fcluster(..., 'maxclust')``). It needs memory quadratic in the
  number of images, so it is refused above ``AGGLOMERATIVE_MAX`` images.

**Choosing k** (``n_clusters='auto'``, k-means and agglomerative): the clustering is made
for every k of ``k_range`` and the k of the highest mean silhouette wins (ties: the smaller
k); the curve is kept. Silhouettes are sampled for large collections
(:data:`featclf.clustering.SILHOUETTE_SAMPLE_SIZE`).

**Numbering**: clusters are numbered by decreasing size (0 is the largest), ties by their
first image in input order, whatever the algorithm's own numbering.
"""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np

from .._validation import unknown_name
from ..exceptions import InvalidParameterError
from ..models import format_spec, parse_spec
from ._labels import NOISE, SKIPPED
from ._metrics import silhouette

__all__ = ["AGGLOMERATIVE_MAX", "METHODS", "MINIBATCH_ABOVE", "NOISE", "SKIPPED", "Method", "resolve_method"]

METHODS = ("kmeans", "hdbscan", "agglomerative")
#: Above this many images k-means is :class:`~sklearn.cluster.MiniBatchKMeans` (batches of
#: ``MINIBATCH_BATCH``); at or below, :class:`~sklearn.cluster.KMeans`.
MINIBATCH_ABOVE = 20_000
MINIBATCH_BATCH = 4096
#: The largest collection agglomerative clustering accepts: its distance matrix holds
#: n(n-1)/2 float64, 400 MB at 10,000 images (40 GB at 100,000).
AGGLOMERATIVE_MAX = 10_000
LINKAGES = ("ward", "average", "complete", "single")
#: Parameters each method takes in a spec (``'hdbscan:min_cluster_size=10'``); ``n_clusters`` and
#: ``random_state`` are cluster()'s own parameters.
METHOD_PARAMS = {
    "kmeans": ("init", "n_init", "max_iter", "tol"),
    "hdbscan": ("min_cluster_size", "min_samples", "cluster_selection_epsilon", "max_cluster_size", "alpha",
                "cluster_selection_method", "allow_single_cluster"),
    "agglomerative": ("linkage",),
}


@dataclasses.dataclass(frozen=True)
class Method:
    """A resolved clustering method: ``name`` (one of ``METHODS``), its ``params``, a ``label`` for reports."""

    name: str
    params: dict
    label: str

    @property
    def finds_k(self) -> bool:
        """Whether the algorithm finds the number of clusters itself (HDBSCAN)."""
        return self.name == "hdbscan"

    @property
    def min_images(self) -> int:
        """The fewest images the method can cluster: HDBSCAN's ``min_samples`` (default: ``min_cluster_size``, 5)."""
        if self.name != "hdbscan":
            return 2
        return int(self.params.get("min_samples") or self.params.get("min_cluster_size", 5))


def _sklearn_check(estimator, label):
    try:
        estimator._validate_params()
    except (ValueError, TypeError) as exc:  # sklearn's InvalidParameterError is both
        raise InvalidParameterError(f"Method {label!r}: {' '.join(str(exc).split())}") from None


def resolve_method(method) -> Method:
    """Resolve ``method`` (a name, a ``'name:key=value'`` spec or a ``(name, params)`` pair), checking its params.

    Raises
    ------
    UnknownNameError
        An unknown method (lists the options, suggests the nearest).
    InvalidParameterError
        A parameter the method does not take, or a value scikit-learn refuses.
    """
    if isinstance(method, tuple) and len(method) == 2 and isinstance(method[0], str) and isinstance(method[1], dict):
        name, params = method[0], dict(method[1])
    elif isinstance(method, str):
        name, params = parse_spec(method, kind="method")
    else:
        raise InvalidParameterError(
            f"The 'method' parameter of cluster must be one of {{{', '.join(map(repr, METHODS))}}}, a spec such as "
            f"'hdbscan:min_cluster_size=10', or a (name, params) pair. Got {method!r} instead."
        )
    if name not in METHODS:
        raise unknown_name("clustering method", name, METHODS)
    label = format_spec(name, params)
    for key in params:
        if key in ("n_clusters", "random_state"):
            raise InvalidParameterError(
                f"Method {label!r}: pass {key} to cluster() itself (cluster(..., {key}=...)), not in the method spec."
            )
        if key not in METHOD_PARAMS[name]:
            raise InvalidParameterError(
                f"Method {label!r}: {name} takes no parameter {key!r} here. Valid parameters: "
                f"{', '.join(METHOD_PARAMS[name])}."
            )
    if name == "kmeans":
        from sklearn.cluster import KMeans, MiniBatchKMeans

        _sklearn_check(KMeans(**params), label)
        _sklearn_check(MiniBatchKMeans(**params), label)
    elif name == "hdbscan":
        from sklearn.cluster import HDBSCAN

        _sklearn_check(HDBSCAN(**params), label)
    elif params.get("linkage", "ward") not in LINKAGES:
        raise InvalidParameterError(
            f"The 'linkage' parameter of method 'agglomerative' must be one of {{{', '.join(map(repr, LINKAGES))}}}. "
            f"Got {params['linkage']!r} instead."
        )
    return Method(name, params, label)


@dataclasses.dataclass
class Fitted:
    """One clustering of the rows of X, in the algorithm's own numbering."""

    labels: np.ndarray
    model: object = None  # the fitted k-means estimator (kept for predict), else None
    algorithm: str = ""
    inertia: float | None = None


class Clusterer:
    """Fits ``method`` on X for any k (the agglomerative tree is built once for every k)."""

    def __init__(self, method: Method, X, random_state: int):
        self.method = method
        self.X = X
        self.random_state = random_state
        self._tree = None

    def fit(self, k) -> Fitted:
        name, params, X = self.method.name, self.method.params, self.X
        if name == "kmeans":
            from sklearn.cluster import KMeans, MiniBatchKMeans

            if len(X) > MINIBATCH_ABOVE:
                model = MiniBatchKMeans(n_clusters=k, random_state=self.random_state,
                                        **{"batch_size": MINIBATCH_BATCH, **params})
            else:
                model = KMeans(n_clusters=k, random_state=self.random_state, **params)
            with warnings.catch_warnings():
                # "Number of distinct clusters found smaller than n_clusters": duplicate images; the result says so
                warnings.filterwarnings("ignore", message="Number of distinct clusters")
                model.fit(X)
            return Fitted(np.asarray(model.labels_, np.int64), model, type(model).__name__, float(model.inertia_))
        if name == "hdbscan":
            from sklearn.cluster import HDBSCAN

            model = HDBSCAN(**{"copy": True, **params}).fit(X)  # never writes into the space
            return Fitted(np.asarray(model.labels_, np.int64), None, "HDBSCAN")
        from scipy.cluster.hierarchy import fcluster, linkage

        if self._tree is None:
            self._tree = linkage(np.asarray(X, dtype=np.float64), method=params.get("linkage", "ward"),
                                 metric="euclidean")
        labels = fcluster(self._tree, k, criterion="maxclust").astype(np.int64) - 1
        return Fitted(labels, None, f"agglomerative ({params.get('linkage', 'ward')} linkage)")


def choose_k(clusterer: Clusterer, k_values, random_state) -> tuple[Fitted, list[dict]]:
    """Cluster for every k of ``k_values``; keep the one of highest silhouette (ties: smaller k).

    Returns
    -------
    best : Fitted
    curve : list of dict
        ``{"k", "silhouette", "inertia", "n_clusters_found"}`` per k (silhouette None when
        undefined; inertia None except for k-means).
    """
    best, best_score, curve = None, None, []
    for k in k_values:
        fitted = clusterer.fit(k)
        score = silhouette(clusterer.X, fitted.labels, random_state)
        curve.append({"k": int(k), "silhouette": score, "inertia": fitted.inertia,
                      "n_clusters_found": int(len(np.unique(fitted.labels)))})
        if best is None or (score is not None and (best_score is None or score > best_score)):
            best, best_score = fitted, score
    return best, curve


def number_by_size(labels) -> tuple[np.ndarray, np.ndarray]:
    """Renumber clusters by decreasing size (ties: first image in input order); noise stays ``-1``.

    Returns
    -------
    labels : ndarray of int64
    old_ids : ndarray of int64
        The algorithm's id of each new cluster: new cluster ``j`` was ``old_ids[j]``.
    """
    labels = np.asarray(labels, np.int64)
    ids, first, counts = np.unique(labels[labels >= 0], return_index=True, return_counts=True)
    first_input = np.flatnonzero(labels >= 0)[first] if len(ids) else first
    order = np.lexsort((first_input, -counts))
    old_ids = ids[order]
    lookup = np.full(int(ids.max()) + 1 if len(ids) else 0, NOISE, dtype=np.int64)
    lookup[old_ids] = np.arange(len(old_ids))
    out = np.full_like(labels, NOISE)
    clustered = labels >= 0
    out[clustered] = lookup[labels[clustered]]
    return out, old_ids
