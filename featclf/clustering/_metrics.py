"""Cluster quality: internal metrics (no labels needed) and agreement with known classes.

Every score is scikit-learn's (:mod:`sklearn.metrics`) except the matched accuracy, which
pairs clusters with classes one to one by the Hungarian method
(:func:`scipy.optimize.linear_sum_assignment`).
"""

from __future__ import annotations

import numpy as np

__all__ = ["SILHOUETTE_SAMPLE_SIZE", "agreement_metrics", "internal_metrics", "matched_accuracy", "silhouette"]

#: Silhouettes are computed on a random sample of this many images (the same sample for every k,
#: drawn with ``random_state``) when there are more: the exact score costs time and memory
#: quadratic in the number of images, the sampled one about 0.01 of standard error.
SILHOUETTE_SAMPLE_SIZE = 2000


def silhouette(X, labels, random_state) -> float | None:
    """Mean silhouette of ``labels`` on ``X`` (Euclidean), sampled above ``SILHOUETTE_SAMPLE_SIZE`` rows.

    Parameters
    ----------
    X : ndarray of shape (n, d)
    labels : ndarray of shape (n,), int
        Noise (``-1``) excluded by the caller.
    random_state : int
        Seed of the sample (:func:`sklearn.metrics.silhouette_score`'s ``sample_size``).

    Returns
    -------
    float in [-1, 1], or None
        None when the score is undefined: fewer than 2 clusters, or as many clusters as images.
    """
    from sklearn.metrics import silhouette_score

    n_labels = len(np.unique(labels))
    if n_labels < 2 or n_labels > len(labels) - 1:
        return None
    sample = SILHOUETTE_SAMPLE_SIZE if len(labels) > SILHOUETTE_SAMPLE_SIZE else None
    if sample is not None:
        # sklearn draws the sample itself; check it holds two clusters (it nearly always does)
        rows = np.random.RandomState(random_state).permutation(len(labels))[:sample]
        if len(np.unique(labels[rows])) < 2:
            return None
    return float(silhouette_score(X, labels, sample_size=sample, random_state=random_state))


def internal_metrics(X, labels, random_state) -> dict:
    """Silhouette, Davies-Bouldin and Calinski-Harabasz scores of a clustering, noise left out.

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
    from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score

    keep = labels >= 0
    if not keep.all():  # (a boolean index copies the whole space: only when there is noise)
        X, labels = X[keep], labels[keep]
    n_labels = len(np.unique(labels))
    defined = 2 <= n_labels <= len(labels) - 1
    return {
        "silhouette": silhouette(X, labels, random_state) if defined else None,
        "silhouette_sample_size": SILHOUETTE_SAMPLE_SIZE if defined and len(labels) > SILHOUETTE_SAMPLE_SIZE
        else None,
        "davies_bouldin": float(davies_bouldin_score(X, labels)) if defined else None,
        "calinski_harabasz": float(calinski_harabasz_score(X, labels)) if defined else None,
        "n_scored": int(len(labels)),
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
