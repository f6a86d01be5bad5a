"""``featclf list``: what SPEC can name, with the defaults a spec starts from."""

from __future__ import annotations

import json
import re

import featclf
from featclf.cli import main
from featclf.models import from_spec, get_classifier_preset


def test_json_lists_every_extractor_backbone_and_preset_with_its_defaults(capsys):
    assert main(["list", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [x["name"] for x in data["extractors"]] == featclf.list_extractors()
    assert [c["name"] for c in data["classifiers"]] == featclf.list_classifiers()
    for x in data["extractors"]:  # the defaults listed are those the name alone builds
        built = featclf.make_extractor(x["name"]).get_params()
        for key, value in {**x["parameters"], **x["run_settings"]}.items():
            assert value == (list(built[key]) if isinstance(built[key], tuple) else built[key]), (x["name"], key)
        assert set(x["parameters"]) | set(x["run_settings"]) == set(built)
    hog = next(x for x in data["extractors"] if x["name"] == "hog")
    assert hog["parameters"]["pixels_per_cell"] == [8, 8] and "n_jobs" in hog["run_settings"]
    svm = next(c for c in data["classifiers"] if c["name"] == "svm")
    assert svm["defaults"] == get_classifier_preset("svm").defaults and svm["scale"] is True
    backbones = {b["name"]: b for b in data["backbones"]}
    assert set(backbones) >= {"efficientnet_lite0", "tiny"} and backbones["efficientnet_lite0"]["default"] is True
    assert backbones["efficientnet_lite0"]["input_size"] == [224, 224]
    assert backbones["efficientnet_lite0"]["embedding_dim"] == 1280
    assert set(data["backbone_hubs"]) == {"torchvision", "timm"}


def test_text_listing_shows_values_in_spec_form(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Extractors (-e NAME or NAME:key=value,...; defaults shown):\n")
    assert "orientations=9, pixels_per_cell=8x8, cells_per_block=2x2, block_norm=L2-Hys" in out
    assert re.search(r"\n  efficientnet_lite0 +1280-d, input 224x224, weights: ImageNet-1k.*\(default\)\n", out)
    assert "  svm         sklearn.svm.SVC: RBF support vector machine on standardised features\n" in out
    assert "kernel=rbf, C=10.0, gamma=scale, scale=True, pca=None" in out
    # what is listed is a spec that builds: the hog line's values, copied into a spec
    line = next(x.strip() for x in out.splitlines() if x.strip().startswith("orientations=9"))
    rest = next(x.strip() for x in out.splitlines() if x.strip().startswith("color=rgb"))
    assert from_spec("hog:" + (line + rest).replace(" ", "")).get_params() == featclf.HOG().get_params()
