"""Distances in the clustering space, computed a chunk of rows at a time.

Every function here holds at most a few float64 copies of :data:`CHUNK_BYTES` worth of
rows at once, whatever the number of images: 100,000 images cluster without a second full
copy of the space (``benchmarks/bench_cluster.py``, part ``large``).
"""

from __future__ import annotations

import numpy as np

from ._labels import NOISE

__all__ = ["CHUNK_BYTES", "distances_to", "nearest_centres", "own_distances", "rows_per_chunk"]

#: The float64 rows one step of these functions converts at a time (each step holds 2-3 such blocks).
CHUNK_BYTES = 32 * 2**20


def rows_per_chunk(X) -> int:
    """How many rows of ``X`` make :data:`CHUNK_BYTES` of float64 (at least 64)."""
    return max(64, CHUNK_BYTES // (8 * max(1, X.shape[1])))


def own_distances(X, centres, labels, chunk: int | None = None) -> np.ndarray:
    """Euclidean distance of each row to the centre of its own cluster (float64; NaN for noise, label -1)."""
    chunk = chunk or rows_per_chunk(X)
    out = np.full(len(X), np.nan)
    for start in range(0, len(X), chunk):
        rows = slice(start, start + chunk)
        lab = labels[rows]
        ok = lab >= 0
        if ok.any():
            diff = X[rows][ok].astype(np.float64) - centres[lab[ok]].astype(np.float64)
            sub = np.sqrt(np.einsum("ij,ij->i", diff, diff))
            part = out[rows]
            part[ok] = sub
            out[rows] = part
    return out


def distances_to(X, point, chunk: int | None = None) -> np.ndarray:
    """Euclidean distance of every row of ``X`` to ``point`` (float64), a chunk of rows at a time."""
    chunk = chunk or rows_per_chunk(X)
    point = np.asarray(point, np.float64)
    out = np.empty(len(X))
    for start in range(0, len(X), chunk):
        diff = np.asarray(X[start:start + chunk], np.float64) - point
        out[start:start + chunk] = np.sqrt(np.einsum("ij,ij->i", diff, diff))
    return out


def nearest_centres(X, centres, chunk: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Index of the nearest centre of each row and the distance to it (float64), a chunk of rows at a time.

    The nearest centre is scikit-learn's :func:`~sklearn.metrics.pairwise_distances_argmin_min`;
    the distance is then computed directly, as :func:`own_distances` does (the expansion
    ``|x|^2 - 2 x.c + |c|^2`` scikit-learn uses loses digits), so that an image's distance to
    its own centre is the same number whichever function computed it.
    """
    from sklearn.metrics import pairwise_distances_argmin_min

    chunk = chunk or rows_per_chunk(X)
    index = np.full(len(X), NOISE, np.int64)
    if len(centres) == 0:
        return index, np.full(len(X), np.nan)
    centres64 = np.asarray(centres, np.float64)
    for start in range(0, len(X), chunk):
        rows = slice(start, start + chunk)
        index[rows] = pairwise_distances_argmin_min(np.asarray(X[rows], np.float64), centres64)[0]
    return index, own_distances(X, centres, index, chunk)
