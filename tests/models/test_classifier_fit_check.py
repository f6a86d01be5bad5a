"""check_classifier_fits: what scikit-learn checks only in fit or predict is refused before any extraction."""

from __future__ import annotations

import pytest
from sklearn.linear_model import LinearRegression
from sklearn.neighbors import KNeighborsClassifier

import featclf
from featclf.exceptions import InvalidParameterError
from featclf.models import check_classifier_fits, list_classifiers, make_classifier
from featclf.models._resolve import FIT_CHECK_ROWS


def test_a_penalty_the_solver_does_not_support_is_refused_naming_the_spec():
    with pytest.raises(InvalidParameterError, match=r"^Classifier 'logreg:penalty=l1' cannot be fitted: Solver lbfgs "
                                                    r"supports only 'l2' or None penalties, got l1 penalty\. Fix its "
                                                    r"parameters \(checked before extraction by fitting it on 89 "
                                                    r"synthetic rows of 10 classes"):
        check_classifier_fits(make_classifier("logreg:penalty=l1"), "logreg:penalty=l1", 89, 10)


def test_more_neighbours_than_training_rows_fail_and_as_many_pass():
    with pytest.raises(InvalidParameterError, match=r"Classifier 'knn:n_neighbors=90' cannot be fitted: Expected "
                                                    r"n_neighbors <= n_samples_fit, but n_neighbors = 90, "
                                                    r"n_samples_fit = 89"):
        check_classifier_fits(make_classifier("knn:n_neighbors=90"), "knn:n_neighbors=90", 89, 10)
    check_classifier_fits(make_classifier("knn:n_neighbors=89"), "knn:n_neighbors=89", 89, 10)


def test_a_failure_on_the_capped_rows_is_confirmed_on_all_rows():
    # FIT_CHECK_ROWS synthetic rows are too few for these neighbours, the real training set is not
    n = FIT_CHECK_ROWS + 500
    check_classifier_fits(KNeighborsClassifier(n_neighbors=FIT_CHECK_ROWS + 100), "knn", n, 3)
    with pytest.raises(InvalidParameterError, match=rf"n_samples_fit = {n}.*fitting it on {n} synthetic rows"):
        check_classifier_fits(KNeighborsClassifier(n_neighbors=n + 1), "knn", n, 3)


def test_pca_components_get_enough_synthetic_features_but_not_more_rows_than_real():
    check_classifier_fits(make_classifier("svm:pca=50"), "svm:pca=50", 60, 3)  # 50 <= 60 rows: fits for real too
    with pytest.raises(InvalidParameterError, match=r"Classifier 'svm:pca=50' cannot be fitted: n_components=50 must "
                                                    r"be between 0 and min\(n_samples, n_features\)=40"):
        check_classifier_fits(make_classifier("svm:pca=50"), "svm:pca=50", 40, 3)


def test_a_regressor_is_refused_as_not_a_classifier():
    with pytest.raises(InvalidParameterError, match=r"^LinearRegression has no classes_ after fitting, so it is not a "
                                                    r"classifier"):
        check_classifier_fits(LinearRegression(), "LinearRegression", 30, 3)


@pytest.mark.parametrize("name", list_classifiers())
def test_every_preset_passes_and_is_left_unfitted(name):
    estimator = make_classifier(name)
    check_classifier_fits(estimator, name, 30, 3)
    final = estimator.steps[-1][1] if hasattr(estimator, "steps") else estimator
    assert not hasattr(final, "classes_")


def _shapes(tmp_path):
    from modelgen import class_folder

    return featclf.ImageFolder(class_folder(tmp_path / "train"))  # 3 classes x 10 images


def test_train_refuses_before_extracting(tmp_path, monkeypatch):
    import featclf.training._model as model_module

    def no_extraction(*args, **kwargs):
        raise AssertionError("extraction started")

    monkeypatch.setattr(model_module, "compute_features", no_extraction)
    data = _shapes(tmp_path)
    with pytest.raises(InvalidParameterError, match=r"Classifier 'knn:n_neighbors=31' cannot be fitted: .*"
                                                    r"n_samples_fit = 30.*fitting it on 30 synthetic rows of 3 classes"):
        featclf.train(data, "hog:size=16x16", "knn:n_neighbors=31", verbose=0)
    with pytest.raises(InvalidParameterError, match=r"Classifier 'logreg:penalty=l1' cannot be fitted"):
        featclf.train(data, "hog:size=16x16", "logreg:penalty=l1", verbose=0)


def test_evaluate_checks_on_the_smallest_training_fold_before_extracting(tmp_path, monkeypatch):
    import featclf.evaluation._evaluate as evaluate_module

    data = _shapes(tmp_path)
    real = evaluate_module.compute_features
    monkeypatch.setattr(evaluate_module, "compute_features", lambda *a, **k: pytest.fail("extraction started"))
    # 5 stratified folds of 30 images: 24 training images in each
    with pytest.raises(InvalidParameterError, match=r"Classifier 'knn:n_neighbors=25' cannot be fitted: .*"
                                                    r"n_samples_fit = 24.*fitting it on 24 synthetic rows of 3 classes"):
        featclf.evaluate(data, ["hog:size=16x16"], ["svm", "knn:n_neighbors=25"], cv=5, verbose=0)
    monkeypatch.setattr(evaluate_module, "compute_features", real)
    result = featclf.evaluate(data, ["hog:size=16x16"], ["knn:n_neighbors=24"], cv=5, verbose=0)
    assert result.config["fold_sizes"] == [{"train": 24, "test": 6}] * 5


def test_a_classifier_that_fails_at_prediction_gives_one_error_naming_it(tmp_path):
    from modelgen import new_images

    model = featclf.train(_shapes(tmp_path), "hog:size=16x16", "knn", verbose=0)
    model.classifier_[-1].n_neighbors = 500  # as a model whose parameters no longer fit its training set
    images = new_images(tmp_path / "new")
    readable = [p for i, p in enumerate(images) if i != 2]
    message = r"^This model's classifier 'knn' failed to predict: ValueError: Expected n_neighbors <= n_samples_fit"
    for call in (lambda: model.predict(readable), lambda: model.predict_proba(readable),
                 lambda: model.predict_records(images)):
        with pytest.raises(InvalidParameterError, match=message) as info:
            call()
        assert isinstance(info.value.__cause__, ValueError)  # the original kept for --verbose
