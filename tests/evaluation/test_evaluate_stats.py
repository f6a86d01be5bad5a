"""The statistics behind the comparisons, checked against hand computation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from featclf.evaluation import corrected_resampled_ttest, mcnemar_exact
from featclf.evaluation._stats import imbalance_ratio, population_std


def test_nadeau_bengio_matches_a_hand_computed_example():
    # d = a - b = [0.10, 0.00, 0.05]; mean(d) = 0.05; var(d, ddof=1) = (0.05² + 0.05² + 0) / 2 = 0.0025
    # correction: 1/k + n_test/n_train = 1/3 + 40/80 = 5/6
    # t = 0.05 / sqrt(5/6 * 0.0025) = 1 / sqrt(5/6) = sqrt(1.2)
    # Student's t with 2 degrees of freedom has CDF F(t) = 1/2 + t / (2 sqrt(2 + t²)), so the
    # two-sided p = 2 (1 - F(|t|)) = 1 - |t| / sqrt(2 + t²) = 1 - sqrt(1.2 / 3.2)
    t, p = corrected_resampled_ttest([0.90, 0.80, 0.85], [0.80, 0.80, 0.80], n_train=80, n_test=40)
    assert t == pytest.approx(math.sqrt(1.2), rel=1e-12)
    assert p == pytest.approx(1 - math.sqrt(1.2 / 3.2), rel=1e-12)


def test_nadeau_bengio_is_more_conservative_than_the_naive_paired_t_test():
    rng = np.random.default_rng(0)
    a = 0.8 + rng.normal(0, 0.02, 10)
    b = a - 0.01 + rng.normal(0, 0.01, 10)
    d = a - b
    naive_t = d.mean() / math.sqrt(d.var(ddof=1) / 10)  # the uncorrected paired t statistic
    t, p = corrected_resampled_ttest(a, b, n_train=900, n_test=100)
    # correction factor (1/10 + 100/900) / (1/10) = 2.11: |t| shrinks by sqrt(2.11)
    assert t == pytest.approx(naive_t / math.sqrt((1 / 10 + 100 / 900) / (1 / 10)), rel=1e-9)
    assert 0 < p < 1


def test_nadeau_bengio_is_antisymmetric():
    a, b = [0.91, 0.88, 0.90, 0.87, 0.92], [0.89, 0.88, 0.86, 0.88, 0.90]
    t_ab, p_ab = corrected_resampled_ttest(a, b, 800, 200)
    t_ba, p_ba = corrected_resampled_ttest(b, a, 800, 200)
    assert t_ab == pytest.approx(-t_ba) and p_ab == pytest.approx(p_ba)


def test_nadeau_bengio_degenerate_cases():
    assert corrected_resampled_ttest([0.9, 0.8], [0.9, 0.8], 10, 10) == (0.0, 1.0)  # identical models
    t, p = corrected_resampled_ttest([0.9, 0.8], [0.8, 0.7], 10, 10)  # constant difference
    assert t == math.inf and p == 0.0


@pytest.mark.parametrize(
    ("a", "b", "n_train", "n_test", "match"),
    [
        ([0.9], [0.8], 10, 10, "at least 2 folds; got 1"),
        ([0.9, 0.8], [0.8], 10, 10, "equal length"),
        ([0.9, 0.8], [0.8, 0.7], 0, 10, "must be positive"),
    ],
)
def test_nadeau_bengio_errors(a, b, n_train, n_test, match):
    with pytest.raises(ValueError, match=match):
        corrected_resampled_ttest(a, b, n_train, n_test)


def test_mcnemar_exact_by_hand():
    # a right / b wrong on 5 images, the reverse on 1: P(X <= 1 | n=6, 1/2) = (1 + 6) / 64
    a = [1, 1, 1, 1, 1, 0, 1, 0]
    b = [0, 0, 0, 0, 0, 1, 1, 0]
    assert mcnemar_exact(a, b) == (5, 1, pytest.approx(14 / 64))
    assert mcnemar_exact(a, a) == (0, 0, 1.0)
    with pytest.raises(ValueError, match="same shape"):
        mcnemar_exact([1, 0], [1])


def test_population_std_and_imbalance_ratio():
    assert population_std([1.0, 3.0]) == 1.0  # ddof=0, not sqrt(2)
    assert imbalance_ratio([10, 0, 40, 20]) == 4.0  # empty classes ignored
    assert imbalance_ratio([]) is None
