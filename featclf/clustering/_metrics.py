"""Cluster quality: internal metrics (no labels needed) and agreement with known classes.

Every score is scikit-learn's (:mod:`sklearn.metrics`), except: the matched accuracy, which
pairs clusters with classes one to one by the Hungarian method
(:func:`scipy.optimize.linear_sum_assignment`); and Davies-Bouldin and Calinski-Harabasz,
scikit-learn's definitions computed a chunk of rows at a time (:func:`dispersion_scores`;
scikit-learn's own copy the whole space several times over), tested equal to scikit-learn's.
"""

from __future__ import annotations

import numpy as np

__all__ = ["SILHOUETTE_SAMPLE_SIZE", "agreement_metrics", "dispersion_scores", "internal_metrics", "matched_accuracy",
           "silhouette"]

#: Silhouettes are computed on a random sample of this many images (the same sample for every k,
#: drawn with ``random_state``) when there are more: the exact score costs time and memory
#: quadratic in the number of images, the sampled one about 0.01 of standard error.
SILHOUETTE_SAMPLE_SIZE = 2000


def silhouette(X, labels, random_state, rows=None) -> float | None:
    """Mean silhouette of ``labels`` on ``X`` (Euclidean), sampled above ``SILHOUETTE_SAMPLE_SIZE`` rows.

    Parameters
    ----------
    X : ndarray of shape (n, d)
    labels : ndarray of shape (n,), int
    random_state : int
        Seed of the sample: the rows scored are ``RandomState(random_state).permutation(m)[:2000]``
        of the ``m`` rows considered, as :func:`sklearn.metrics.silhouette_score` draws its
        ``sample_size`` (the same numbers).
    rows : ndarray of intp, optional
        The rows to consider (e.g. all but noise); default all. Only the sample is copied.

    Returns
    -------
    float in [-1, 1], or None
        None when the score is undefined: fewer than 2 clusters, or as many clusters as images
        (or a sample holding one cluster).
    """
    from sklearn.metrics import silhouette_score

    rows = np.arange(len(labels)) if rows is None else np.asarray(rows, np.intp)
    considered = labels[rows]
    n_labels = len(np.unique(considered))
    if n_labels < 2 or n_labels > len(rows) - 1:
        return None
    if len(rows) > SILHOUETTE_SAMPLE_SIZE:
        pick = np.random.RandomState(random_state).permutation(len(rows))[:SILHOUETTE_SAMPLE_SIZE]
        rows, considered = rows[pick], considered[pick]
        if len(np.unique(considered)) < 2:  # (nearly never)
            return None
    return float(silhouette_score(X[rows], considered))


def dispersion_scores(X, labels, rows) -> tuple[float, float]:
    """Davies-Bouldin and Calinski-Harabasz scores of ``labels`` over ``rows`` of ``X``, in bounded memory.

    The definitions and edge cases of scikit-learn's :func:`~sklearn.metrics.davies_bouldin_score`
    (Davies & Bouldin 1979) and :func:`~sklearn.metrics.calinski_harabasz_score` (Calinski &
    Harabasz 1974), computed from per-cluster sums and distances to the centroids, a chunk of
    rows at a time in float64 (scikit-learn's copy every cluster's rows: about 4-5 copies of
    the space at once, 2 GB at 100,000 images of 1,296 features). Equal to scikit-learn's to
    float rounding (tested).

    Parameters
    ----------
    X : ndarray of shape (n, d)
    labels : ndarray of shape (n,), int
    rows : ndarray of intp
        The rows scored (noise left out); at least 2 clusters among them.

    Returns
    -------
    (davies_bouldin, calinski_harabasz) : tuple of float
    """
    from sklearn.metrics import pairwise_distances

    from ._distances import own_distances, rows_per_chunk

    ids, position = np.unique(labels[rows], return_inverse=True)
    k, n = len(ids), len(rows)
    sums = np.zeros((k, X.shape[1]))
    step = rows_per_chunk(X)
    for start in range(0, n, step):
        np.add.at(sums, position[start:start + step], np.asarray(X[rows[start:start + step]], np.float64))
    counts = np.bincount(position, minlength=k)
    centroids = sums / counts[:, None]
    cluster_of = np.full(len(labels), -1, np.int64)
    cluster_of[rows] = position
    distance = own_distances(X, centroids, cluster_of)[rows]

    intra = np.bincount(position, weights=distance, minlength=k) / counts  # mean distance to the centroid
    between = pairwise_distances(centroids)
    if np.allclose(intra, 0) or np.allclose(between, 0):
        davies_bouldin = 0.0
    else:
        between[between == 0] = np.inf
        davies_bouldin = float(np.mean(np.max((intra[:, None] + intra) / between, axis=1)))

    mean = sums.sum(axis=0) / n
    extra = float(np.sum(counts * np.sum((centroids - mean) ** 2, axis=1)))
    within = float(np.sum(distance ** 2))
    calinski_harabasz = 1.0 if within == 0 else extra * (n - k) / (within * (k - 1))
    return davies_bouldin, calinski_harabasz


def internal_metrics(X, labels, random_state) -> dict:
    """Silhouette, Davies-Bouldin and Calinski-Harabasz scores of a clustering, noise left out.

    Memory: a silhouette sample and a few chunks of rows, never a copy of ``X``
    (:func:`dispersion_scores`).

    Parameters
    ----------
    X : ndarray of shape (n, d)
        The clustering space.
    labels : ndarray of shape (n,), int
        Cluster of each row; ``-1`` (noise) rows are left out.
    random_state : int

    Returns
    -------
    dict
        ``silhouette`` (higher is better, in [-1, 1]), ``davies_bouldin`` (lower is
        better, >= 0), ``calinski_harabasz`` (higher is better, >= 0), each None when
        undefined (fewer than 2 clusters, or as many clusters as images);
        ``silhouette_sample_size`` (None when every image was used) and ``n_scored``.
    """
    rows = np.flatnonzero(labels >= 0)
    n_labels = len(np.unique(labels[rows]))
    defined = 2 <= n_labels <= len(rows) - 1
    davies_bouldin, calinski_harabasz = dispersion_scores(X, labels, rows) if defined else (None, None)
    return {
        "silhouette": silhouette(X, labels, random_state, rows) if defined else None,
        "silhouette_sample_size": SILHOUETTE_SAMPLE_SIZE if defined and len(rows) > SILHOUETTE_SAMPLE_SIZE
        else None,
        "davies_bouldin": davies_bouldin,
        "calinski_harabasz": calinski_harabasz,
        "n_scored": int(len(rows)),
    }


def matched_accuracy(y_true, y_pred) -> tuple[float, dict]:
    """Accuracy of clusters matched one to one with classes (the Hungarian method).

    Clusters and classes are paired so that the most images fall in a matched pair
    (:func:`scipy.optimize.linear_sum_assignment` on the contingency table, Kuhn's
    Hungarian method); the accuracy is the share of images in matched pairs. With more
    clusters than classes the extra clusters match nothing and their images count as
    wrong (and the other way round), so the score is not inflated by over-splitting. Noise
    (``y_pred == -1``) is never matched.

    Parameters
    ----------
    y_true : array-like of shape (n,), int
    y_pred : array-like of shape (n,), int
        Cluster of each image; ``-1`` for noise.

    Returns
    -------
    accuracy : float in [0, 1]
    mapping : dict of int to int
        The class matched with each matched cluster.

    Examples
    --------
    >>> matched_accuracy([0, 0, 1, 1, 2], [1, 1, 0, 0, 0])
    (0.8, {0: 1, 1: 0})
    """
    from scipy.optimize import linear_sum_assignment

    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    if len(y_true) == 0:
        return 0.0, {}
    clusters = np.unique(y_pred[y_pred >= 0])
    classes = np.unique(y_true)
    table = np.zeros((len(clusters), len(classes)), dtype=np.int64)
    clustered = y_pred >= 0
    np.add.at(table, (np.searchsorted(clusters, y_pred[clustered]), np.searchsorted(classes, y_true[clustered])), 1)
    rows, cols = linear_sum_assignment(table, maximize=True)
    matched = int(table[rows, cols].sum())
    mapping = {int(clusters[r]): int(classes[c]) for r, c in zip(rows, cols)}
    return matched / len(y_true), dict(sorted(mapping.items()))


def agreement_metrics(y_true, y_pred) -> dict:
    """How well clusters recover known classes: NMI, ARI and matched accuracy.

    Computed over every clustered image; noise (``-1``) counts as one more group for NMI
    and ARI (scikit-learn's :func:`~sklearn.metrics.normalized_mutual_info_score`, arithmetic
    normalisation, and :func:`~sklearn.metrics.adjusted_rand_score`) and is never matched
    for the accuracy (:func:`matched_accuracy`): leaving images out as noise is not
    rewarded.

    Returns
    -------
    dict
        ``nmi`` (in [0, 1]), ``ari`` (1 perfect, about 0 for chance, can be negative),
        ``matched_accuracy`` (in [0, 1]), ``matching`` (cluster -> class index).
    """
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    accuracy, mapping = matched_accuracy(y_true, y_pred)
    return {
        "nmi": float(normalized_mutual_info_score(y_true, y_pred)),
        "ari": float(adjusted_rand_score(y_true, y_pred)),
        "matched_accuracy": float(accuracy),
        "matching": mapping,
    }
