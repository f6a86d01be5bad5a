"""Statistics for comparing classifiers evaluated on the same folds.

Pure functions (numbers in, numbers out) so they can be checked by hand.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["corrected_resampled_ttest", "imbalance_ratio", "mcnemar_exact", "population_std"]


def population_std(values) -> float:
    """Standard deviation with ``ddof=0`` (the spread of the observed fold scores)."""
    values = np.asarray(values, dtype=float)
    return float(values.std(ddof=0)) if values.size else float("nan")


def corrected_resampled_ttest(scores_a, scores_b, n_train: float, n_test: float) -> tuple[float, float]:
    """Corrected resampled t-test of Nadeau & Bengio (2003) for paired fold scores.

    Plain paired t-tests over cross-validation folds are too optimistic: the training
    sets of different folds overlap, so the fold scores are not independent. Nadeau and
    Bengio correct the variance of the mean difference by the ratio of test to
    training set sizes:

    1. ``d_j = a_j - b_j`` for each of the ``k`` folds (same folds for both models);
    2. ``t = mean(d) / sqrt((1/k + n_test/n_train) * var(d, ddof=1))``;
    3. two-sided ``p = 2 * (1 - T_{k-1}(|t|))`` with Student's t distribution and
       ``k - 1`` degrees of freedom.

    Parameters
    ----------
    scores_a, scores_b : array-like of shape (k,)
        Scores of two models on the same ``k >= 2`` folds, in fold order.
    n_train, n_test : float
        Number of training and test samples per fold (the mean over folds when they
        differ by one, as in k-fold with ``n`` not divisible by ``k``).

    Returns
    -------
    t : float
        Positive when ``a`` scores higher on average.
    p_value : float
        Two-sided. When every difference is identical (zero variance) the test is
        degenerate: ``t = 0, p = 1`` if the differences are all zero, otherwise
        ``t = ±inf, p = 0``. Differences are rounded to 12 decimals first, so float
        noise does not turn a constant difference into a huge finite ``t``.

    Raises
    ------
    ValueError
        Fewer than two folds, score arrays of different lengths, or non-positive sizes.

    References
    ----------
    C. Nadeau and Y. Bengio, "Inference for the Generalization Error", Machine
    Learning 52, 239-281 (2003). Also R. Bouckaert and E. Frank, "Evaluating the
    Replicability of Significance Tests for Comparing Learning Algorithms", PAKDD 2004.

    Examples
    --------
    >>> t, p = corrected_resampled_ttest([0.9, 0.8, 0.85], [0.8, 0.8, 0.8], n_train=80, n_test=40)
    >>> round(t, 4), round(p, 4)
    (1.0954, 0.3876)
    """
    a = np.asarray(scores_a, dtype=float)
    b = np.asarray(scores_b, dtype=float)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"scores_a and scores_b must be 1-D and of equal length; got shapes {a.shape} and {b.shape}.")
    k = a.size
    if k < 2:
        raise ValueError(f"The corrected resampled t-test needs at least 2 folds; got {k}.")
    if not (n_train > 0 and n_test > 0):
        raise ValueError(f"n_train and n_test must be positive; got {n_train} and {n_test}.")
    d = np.round(a - b, 12)  # drop float noise (0.9 - 0.8 != 0.8 - 0.7) so constant differences stay constant
    mean = float(d.mean())
    var = float(d.var(ddof=1))
    if var <= 0.0 or not math.isfinite(var):
        if mean == 0.0:
            return 0.0, 1.0
        return math.copysign(math.inf, mean), 0.0
    t = mean / math.sqrt((1.0 / k + n_test / n_train) * var)
    from scipy import stats

    p = float(2.0 * stats.t.sf(abs(t), df=k - 1))
    return float(t), min(p, 1.0)


def mcnemar_exact(correct_a, correct_b) -> tuple[int, int, float]:
    """Exact McNemar test for two classifiers evaluated on the same test images.

    Used in train/test mode, where there is a single split and no fold scores.
    Only discordant images count: ``n01`` where ``a`` is right and ``b`` wrong,
    ``n10`` where ``b`` is right and ``a`` wrong. Under the null hypothesis of equal
    error rates ``n01 ~ Binomial(n01 + n10, 1/2)``; the two-sided p-value is
    ``min(1, 2 * P(X <= min(n01, n10)))``.

    Parameters
    ----------
    correct_a, correct_b : array-like of bool of shape (n,)

    Returns
    -------
    n01 : int
        Images ``a`` gets right and ``b`` gets wrong.
    n10 : int
        Images ``b`` gets right and ``a`` gets wrong.
    p_value : float
        Two-sided; 1.0 when there is no discordant image.

    Examples
    --------
    >>> mcnemar_exact([1, 1, 1, 1, 0], [0, 0, 0, 1, 0])
    (3, 0, 0.25)
    """
    a = np.asarray(correct_a, dtype=bool)
    b = np.asarray(correct_b, dtype=bool)
    if a.shape != b.shape:
        raise ValueError(f"correct_a and correct_b must have the same shape; got {a.shape} and {b.shape}.")
    n01 = int(np.sum(a & ~b))
    n10 = int(np.sum(~a & b))
    n = n01 + n10
    if n == 0:
        return n01, n10, 1.0
    from scipy import stats

    p = float(min(1.0, 2.0 * stats.binom.cdf(min(n01, n10), n, 0.5)))
    return n01, n10, p


def imbalance_ratio(counts) -> float | None:
    """Largest class count divided by the smallest non-zero one (1.0 = balanced); None without counts."""
    values = [int(c) for c in counts if int(c) > 0]
    if not values:
        return None
    return max(values) / min(values)
