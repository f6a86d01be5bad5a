"""Reports record each classifier's full configuration, and each extractor's run settings as they ran."""

from __future__ import annotations

import json

import pytest
from sklearn.naive_bayes import GaussianNB

import featclf
from featclf.models import from_spec


@pytest.fixture(scope="module")
def result():
    return featclf.evaluate(featclf.load_digits(), ["pixels"], ["svm:C=1", GaussianNB()], cv=3, verbose=0)


def test_json_records_every_classifier_parameter_and_its_full_spec(result, tmp_path):
    result.to_json(tmp_path / "report.json")
    data = json.loads((tmp_path / "report.json").read_text())
    svm, nb = (r["classifier_params"] for r in data["results"])
    assert svm["class"] == "sklearn.pipeline.Pipeline"
    (scale_name, scale), (clf_name, clf) = svm["params"]["steps"]
    assert (scale_name, scale) == ("scale", {"class": "sklearn.preprocessing._data.StandardScaler",
                                            "params": {"copy": True, "with_mean": True, "with_std": True}})
    assert clf_name == "clf" and clf["class"] == "sklearn.svm._classes.SVC"
    assert clf["params"] == json.loads(json.dumps(from_spec("svm:C=1").steps[-1][1].get_params()))  # defaults too
    assert svm["spec"].startswith("svm:C=1,kernel=rbf,degree=3,gamma=scale,")
    assert svm["spec"].endswith(",scale=True,pca=None")
    assert from_spec(svm["spec"]).get_params(deep=False).keys() == from_spec("svm:C=1").get_params(deep=False).keys()
    assert nb == {"spec": None, "class": "sklearn.naive_bayes.GaussianNB",
                  "params": {"priors": None, "var_smoothing": 1e-09}}
    assert data["config"]["classifiers"][0]["params"] == svm and data["config"]["classifiers"][1]["params"] == nb


def test_extractor_params_record_the_run_settings_that_ran(result):
    from featclf.report import result_to_dict

    data = result_to_dict(result)
    assert data["config"]["on_error"] == "skip"
    recorded = [r["extractor_params"] for r in data["results"]] + [x["params"] for x in data["config"]["extractors"]]
    for params in recorded:
        assert (params["on_error"], params["verbose"]) == ("skip", 0)


def test_markdown_and_html_list_each_classifier_s_steps_and_settings(result, tmp_path):
    markdown = result.to_markdown()
    assert ("  - svm:C=1: `svm:C=1`; scale: StandardScaler > clf: SVC; C=1, break_ties=False, cache_size=200, "
            "class_weight=None, coef0=0.0") in markdown
    assert "  - GaussianNB: `(no spec: built in Python)`; GaussianNB; priors=None, var_smoothing=1e-09" in markdown
    result.to_html(tmp_path / "report.html")
    html = (tmp_path / "report.html").read_text()
    assert "steps; settings of the final estimator (defaults included)" in html
    assert "scale: StandardScaler &gt; clf: SVC; C=1, break_ties=False" in html
