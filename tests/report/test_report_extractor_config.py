"""Reports record each extractor's full configuration and the spec that rebuilds it (issue 11)."""

from __future__ import annotations

import json

import numpy as np
import pytest

import featclf
from featclf.models import from_spec

pytest.importorskip("torch")


@pytest.fixture(scope="module")
def cnn_result():
    digits = featclf.load_digits()
    rows = np.concatenate([np.flatnonzero(digits.labels == k)[:6] for k in range(3)])
    return featclf.evaluate(digits.subset(rows), ["cnn:backbone=tiny,input_size=12", featclf.HOG(size=(16, 16))],
                            ["knn:n_neighbors=1"], cv=2, verbose=0)


def test_json_names_the_cnn_backbone_input_size_and_weights(cnn_result):
    data = cnn_result.to_dict()
    cnn = next(r for r in data["results"] if r["extractor"].startswith("cnn"))
    params = cnn["extractor_params"]
    assert params["backbone"] == "tiny" and params["input_size"] == [12, 12] and params["pooling"] == "avg"
    assert params["weights"] is None and params["weights_source"] == "random (seeded)"
    assert params["backbone_config"]["embedding_dim"] == 16 and params["backbone_config"]["input_size"] == [12, 12]
    assert cnn["extractor_spec"] == "cnn:backbone=tiny,input_size=12"
    assert cnn["classifier_spec"] == "knn:n_neighbors=1"
    entry = data["config"]["extractors"][0]
    assert entry["spec"] == "cnn:backbone=tiny,input_size=12" and entry["params"] == params


def test_default_cnn_resolves_input_size_from_its_backbone():
    from featclf.models import resolve_extractor

    config = resolve_extractor("cnn").config
    assert config["backbone"] == "efficientnet_lite0" and config["input_size"] == [224, 224]


def test_every_spec_in_the_report_rebuilds_its_object(cnn_result):
    data = cnn_result.to_dict()
    hog = next(r for r in data["results"] if r["extractor"].startswith("HOG") or r["extractor"].startswith("hog"))
    assert hog["extractor_spec"] == "hog:size=16x16"
    assert hog["extractor_params"]["size"] == [16, 16] and hog["extractor_params"]["orientations"] == 9
    for r in data["results"]:
        assert from_spec(r["extractor_spec"]).get_params() == featclf.make_extractor(r["extractor_spec"]).get_params()
        assert type(from_spec(r["classifier_spec"])).__name__ == "Pipeline"


def test_markdown_and_html_show_spec_and_resolved_settings(cnn_result):
    markdown = cnn_result.to_markdown()
    line = next(x for x in markdown.splitlines() if "`cnn:backbone=tiny,input_size=12`" in x)
    assert "backbone=tiny" in line and "input_size=12x12" in line and "weights_source=random (seeded)" in line
    assert "n_jobs" not in line  # run settings are in the JSON only
    html = cnn_result.to_html()
    assert "cnn:backbone=tiny,input_size=12" in html and "input_size=12x12" in html


def test_clustering_json_records_the_resolved_extractor(tmp_path):
    images = np.random.default_rng(0).integers(0, 255, (12, 20, 20), dtype=np.uint8)
    result = featclf.cluster(images, "cnn:backbone=tiny,input_size=8", n_clusters=2, verbose=0)
    result.to_json(tmp_path / "c.json")
    extractor = json.loads((tmp_path / "c.json").read_text())["config"]["extractor"]
    assert extractor["spec"] == "cnn:backbone=tiny,input_size=8"
    assert extractor["params"]["backbone"] == "tiny" and extractor["params"]["input_size"] == [8, 8]
    html = result.to_html()
    assert "cnn:backbone=tiny,input_size=8" in html and "input_size=8x8" in html
