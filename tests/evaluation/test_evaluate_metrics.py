"""evaluate() computes exactly what scikit-learn computes for the same pipelines and folds."""

from __future__ import annotations

import joblib
import numpy as np
import pytest
from sklearn.linear_model import RidgeClassifier
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support
from sklearn.model_selection import StratifiedKFold, cross_val_predict, cross_validate

import featclf
from featclf.evaluation import corrected_resampled_ttest
from featclf.models import make_classifier

SCORING = ["accuracy", "balanced_accuracy", "f1_macro"]


@pytest.fixture(scope="module")
def result(digits_small):
    return featclf.evaluate(
        digits_small, ["pixels", "pixels:size=4x4"], ["svm", "knn", RidgeClassifier(alpha=2.0)],
        cv=3, random_state=7, verbose=0,
    )


def test_fold_scores_equal_sklearn_cross_validate(result, digits_small):
    folds = StratifiedKFold(n_splits=3, shuffle=True, random_state=7)
    y = digits_small.labels
    for extractor in ("pixels", "pixels:size=4x4"):
        name, _, spec = extractor.partition(":")
        X = featclf.RawPixels(size=(4, 4) if spec else None, verbose=0).fit_transform(digits_small)
        for label, estimator in (("svm", make_classifier("svm")), ("knn", make_classifier("knn")),
                                 ("RidgeClassifier:alpha=2.0", RidgeClassifier(alpha=2.0))):
            expected = cross_validate(estimator, X, y, cv=folds, scoring=SCORING)
            got = result.get(extractor, label)
            for metric in SCORING:
                np.testing.assert_array_equal(got.fold_scores[metric], expected[f"test_{metric}"])
                assert got.mean(metric) == pytest.approx(expected[f"test_{metric}"].mean(), abs=1e-15)
                assert got.std(metric) == pytest.approx(expected[f"test_{metric}"].std(ddof=0), abs=1e-15)


def test_confusion_matrix_and_per_class_equal_pooled_out_of_fold_predictions(result, digits_small):
    folds = StratifiedKFold(n_splits=3, shuffle=True, random_state=7)
    y = digits_small.labels
    X = featclf.RawPixels(verbose=0).fit_transform(digits_small)
    predicted = cross_val_predict(make_classifier("svm"), X, y, cv=folds)
    got = result.get("pixels", "svm")
    np.testing.assert_array_equal(got.predictions, predicted)
    cm = confusion_matrix(y, predicted, labels=range(10))
    np.testing.assert_array_equal(got.confusion_matrix, cm)
    assert got.confusion_matrix.sum(axis=1).tolist() == [24] * 10  # rows = true class
    precision, recall, f1, support = precision_recall_fscore_support(y, predicted, labels=range(10), zero_division=0)
    for k, name in enumerate(result.classes):
        entry = got.per_class[name]
        assert entry["precision"] == pytest.approx(precision[k])
        assert entry["recall"] == pytest.approx(recall[k])
        assert entry["f1"] == pytest.approx(f1[k])
        assert entry["support"] == support[k]


def test_best_and_paired_comparisons(result):
    means = [r.accuracy_mean for r in result.results]
    assert result.best is result.results[int(np.argmax(means))]
    assert len(result.comparisons) == len(result.results) - 1
    fold_sizes = result.config["fold_sizes"]
    n_train = np.mean([f["train"] for f in fold_sizes])
    n_test = np.mean([f["test"] for f in fold_sizes])
    for comparison in result.comparisons:
        other = result.get(comparison["extractor"], comparison["classifier"])
        t, p = corrected_resampled_ttest(result.best.fold_scores["accuracy"], other.fold_scores["accuracy"],
                                         n_train, n_test)
        assert comparison["method"] == "nadeau-bengio" and comparison["df"] == 2
        assert comparison["t"] == pytest.approx(t) and comparison["p_value"] == pytest.approx(p)
        assert comparison["mean_difference"] == pytest.approx(result.best.accuracy_mean - other.accuracy_mean)
        assert comparison["mean_difference"] >= 0


def test_every_combination_uses_the_same_folds(result):
    assert result.config["fold_sizes"] == [{"train": 160, "test": 80}] * 3
    for r in result.results:
        assert (r.predictions >= 0).all()  # every image predicted exactly once, out of fold
        assert r.confusion_matrix.sum() == 240
    assert [r.n_features for r in result.results][:3] == [64, 64, 64]
    assert [r.n_features for r in result.results][3:] == [16, 16, 16]


def test_rank_by_picks_the_metric(digits_small):
    result = featclf.evaluate(digits_small, ["pixels"], ["knn", "svm"], cv=3, rank_by="f1_macro", verbose=0)
    assert result.rank_by == "f1_macro"
    assert result.best.f1_macro_mean == max(r.f1_macro_mean for r in result.results)
    assert result.comparisons[0]["metric"] == "f1_macro"


def test_parallel_fitting_gives_identical_scores(digits_small):
    serial = featclf.evaluate(digits_small, ["pixels"], ["svm", "knn"], cv=3, verbose=0)
    with joblib.parallel_config(backend="threading"):  # the parallel path, without process start-up
        parallel = featclf.evaluate(digits_small, ["pixels"], ["svm", "knn"], cv=3, n_jobs=2, verbose=0)
    for a, b in zip(serial.results, parallel.results):
        np.testing.assert_array_equal(a.fold_scores["accuracy"], b.fold_scores["accuracy"])
        np.testing.assert_array_equal(a.predictions, b.predictions)


def test_train_test_mode(digits_small):
    digits = featclf.load_digits()
    test = digits.subset(np.arange(1500, 1797))
    result = featclf.evaluate(digits_small, ["pixels"], ["svm", "knn"], test=test, verbose=0)
    assert result.mode == "split" and result.config["cv"] == "split"
    X_train = featclf.RawPixels(verbose=0).fit_transform(digits_small)
    X_test = featclf.RawPixels(verbose=0).fit_transform(test)
    expected = make_classifier("svm").fit(X_train, digits_small.labels).predict(X_test)
    svm = result.get("pixels", "svm")
    assert svm.fold_scores["accuracy"].tolist() == [np.mean(expected == test.labels)]
    assert svm.std() == 0.0
    np.testing.assert_array_equal(svm.predictions[:240], -1)  # training images are never predicted
    np.testing.assert_array_equal(svm.predictions[240:], expected)
    assert svm.confusion_matrix.sum() == len(test)
    assert result.dataset["test"]["n_used"] == 297 and result.dataset["n_used"] == 240
    (comparison,) = result.comparisons
    assert comparison["method"] == "mcnemar" and 0.0 <= comparison["p_value"] <= 1.0
    assert featclf.evaluate(digits_small, ["pixels"], ["knn"], cv="split", test=test, verbose=0).mode == "split"


def test_dataset_summary_reports_imbalance():
    digits = featclf.load_digits()
    rows = np.concatenate([np.flatnonzero(digits.labels == 0)[:40], np.flatnonzero(digits.labels == 1)[:10]])
    result = featclf.evaluate(digits.subset(rows), ["pixels"], ["knn"], cv=5, verbose=0)
    summary = result.dataset
    assert summary["n_images"] == 50 and summary["n_classes"] == 10
    assert summary["class_counts"]["0"] == 40 and summary["class_counts"]["1"] == 10
    assert summary["class_counts"]["5"] == 0  # classes without images stay listed, with support 0
    assert summary["imbalance_ratio"] == 4.0
    assert result.best.per_class["5"]["support"] == 0
