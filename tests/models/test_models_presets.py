"""Classifier presets and the NAME:key=value spec grammar shared by the API and the CLI."""

from __future__ import annotations

import pytest
from sklearn.base import clone
from sklearn.decomposition import PCA
from sklearn.ensemble import RandomForestClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from featclf.exceptions import InvalidParameterError, UnknownNameError
from featclf.models import format_spec, list_classifiers, make_classifier, parse_spec


def test_list_classifiers():
    assert list_classifiers() == ["knn", "linear-svm", "logreg", "rf", "svm"]
    assert list_classifiers("*svm") == ["linear-svm", "svm"]


@pytest.mark.parametrize("name", ["knn", "linear-svm", "logreg", "rf", "svm"])
def test_every_preset_builds_a_fresh_clonable_classifier(name):
    estimator = make_classifier(name)
    assert hasattr(estimator, "fit") and hasattr(estimator, "predict")
    assert clone(estimator).get_params().keys() == estimator.get_params().keys()
    assert make_classifier(name) is not make_classifier(name)


def test_svm_preset_standardises_then_fits_an_rbf_svc():
    model = make_classifier("svm")
    assert isinstance(model, Pipeline)
    assert [type(step).__name__ for _, step in model.steps] == ["StandardScaler", "SVC"]
    assert model[-1].kernel == "rbf" and model[-1].C == 10.0


def test_preset_parameters_go_to_the_final_estimator_and_pca_and_scale_add_steps():
    model = make_classifier("svm", C=1.5, gamma=0.01, pca=20)
    assert isinstance(model[0], StandardScaler) and isinstance(model[1], PCA) and model[1].n_components == 20
    assert isinstance(model[2], SVC) and model[2].C == 1.5 and model[2].gamma == 0.01
    assert isinstance(make_classifier("svm", scale=False), SVC)
    forest = make_classifier("rf", n_estimators=10)
    assert isinstance(forest, RandomForestClassifier) and forest.n_estimators == 10 and forest.random_state == 0
    assert isinstance(make_classifier("rf", pca=0.9)[0], PCA)


@pytest.mark.parametrize(
    ("name", "params", "error", "match"),
    [
        ("svn", {}, UnknownNameError, r"Unknown classifier 'svn'. Available: knn, linear-svm, logreg, rf, svm. "
                                      r"Did you mean 'svm'\?"),
        ("forest", {}, UnknownNameError, r"Unknown classifier 'forest'"),
        ("svm", {"depth": 3}, InvalidParameterError, r"Classifier 'svm' \(SVC\) has no parameter 'depth'. Valid "
                                                     r"parameters: C, .*pca, scale"),
        ("svm", {"pca": 0}, InvalidParameterError, r"The 'pca' parameter of classifier 'svm' must be None, an int "
                                                   r">= 1 .* Got 0 instead"),
        ("svm", {"pca": 1.5}, InvalidParameterError, r"Got 1.5 instead"),
        ("svm", {"scale": "yes"}, InvalidParameterError, r"The 'scale' parameter of classifier 'svm' must be True "
                                                         r"or False. Got 'yes' instead"),
    ],
)
def test_preset_errors(name, params, error, match):
    with pytest.raises(error, match=match):
        make_classifier(name, **params)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("hog", ("hog", {})),
        ("hog:", ("hog", {})),
        ("hog:orientations=12", ("hog", {"orientations": 12})),
        ("hog:orientations=12,pixels_per_cell=4x4", ("hog", {"orientations": 12, "pixels_per_cell": (4, 4)})),
        ("pixels:size=(16, 16),color=rgb", ("pixels", {"size": (16, 16), "color": "rgb"})),
        ("pixels:size=[8,8]", ("pixels", {"size": [8, 8]})),
        ("svm:C=0.5,gamma=scale,pca=none", ("svm", {"C": 0.5, "gamma": "scale", "pca": None})),
        ("colorhist:joint=false,color_space='lab'", ("colorhist", {"joint": False, "color_space": "lab"})),
        (" linear-svm : C = 2 ", ("linear-svm", {"C": 2})),
    ],
)
def test_parse_spec(spec, expected):
    assert parse_spec(spec) == expected


@pytest.mark.parametrize(
    ("spec", "match"),
    [
        (":C=1", r"Empty name in ':C=1'"),
        ("svm:C", r"Cannot read 'C' in the spec 'svm:C': expected key=value pairs"),
        ("svm:1C=2", r"Cannot read '1C=2'"),
        ("svm:C=1,C=2", r"The parameter 'C' is given twice"),
        ("pixels:size=(8,8", r"Unbalanced brackets in 'pixels:size=\(8,8'"),
        ("pixels:size=8,8)", r"Unbalanced brackets"),
    ],
)
def test_parse_spec_errors(spec, match):
    with pytest.raises(InvalidParameterError, match=match):
        parse_spec(spec)
    with pytest.raises(InvalidParameterError, match="must be a string"):
        parse_spec(3)


@pytest.mark.parametrize("params", [{}, {"orientations": 12}, {"size": (16, 16), "color": "rgb"},
                                    {"C": 0.5, "pca": None, "joint": False}, {"name": "a b"}])
def test_format_spec_round_trips(params):
    assert parse_spec(format_spec("x", params)) == ("x", params)
