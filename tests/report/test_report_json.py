"""The JSON report follows its documented schema."""

from __future__ import annotations

import copy
import json
import math

import numpy as np

from featclf.report import SCHEMA_VERSION

RESULT_KEYS = {
    "extractor", "classifier", "extractor_spec", "classifier_spec", "extractor_params", "classifier_params",
    "n_features", "accuracy_mean",
    "accuracy_std", "fold_scores", "balanced_accuracy_mean", "balanced_accuracy_std",
    "balanced_accuracy_fold_scores", "f1_macro_mean", "f1_macro_std", "f1_macro_fold_scores", "per_class",
    "confusion_matrix", "timings", "warnings", "rank", "is_best",
}


def test_schema_keys_and_values(digits_result, tmp_path):
    path = tmp_path / "report.json"
    text = digits_result.to_json(path)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data == json.loads(text) == digits_result.to_dict()
    assert data["schema_version"] == SCHEMA_VERSION == 1
    assert {"results", "dataset", "classes", "skipped", "versions", "best", "comparisons", "config", "mode",
            "rank_by", "created", "generator"} <= set(data)
    assert data["classes"] == [str(k) for k in range(10)]
    assert data["dataset"]["n_images"] == 200 and data["dataset"]["class_counts"] == {str(k): 20 for k in range(10)}
    assert data["dataset"]["imbalance_ratio"] == 1.0
    assert data["skipped"] == []
    assert {"featclf", "scikit-learn", "numpy", "opencv", "torch"} <= set(data["versions"])
    assert len(data["results"]) == 4
    for entry in data["results"]:
        assert set(entry) == RESULT_KEYS
        assert len(entry["fold_scores"]) == 3
        assert entry["accuracy_mean"] == np.mean(entry["fold_scores"])
        assert entry["accuracy_std"] == np.std(entry["fold_scores"], ddof=0)  # population std
        assert set(entry["timings"]) == {"extract_s", "fit_s", "predict_s"}
        assert all(v >= 0 for v in entry["timings"].values())
        cm = np.array(entry["confusion_matrix"])
        assert cm.shape == (10, 10) and cm.sum(axis=1).tolist() == [20] * 10  # rows = true class
        assert list(entry["per_class"]) == data["classes"]
        assert set(entry["per_class"]["3"]) == {"precision", "recall", "f1", "support"}
        assert entry["per_class"]["3"]["recall"] == cm[3, 3] / 20
    assert sorted(e["rank"] for e in data["results"]) == [1, 2, 3, 4]
    (best,) = [e for e in data["results"] if e["is_best"]]
    assert best["rank"] == 1
    assert (data["best"]["extractor"], data["best"]["classifier"]) == (best["extractor"], best["classifier"])
    assert {(c["extractor"], c["classifier"]) for c in data["comparisons"]} == {
        (e["extractor"], e["classifier"]) for e in data["results"] if not e["is_best"]}
    assert data["config"]["n_folds"] == 3 and data["config"]["random_state"] == 0


def test_skipped_files_are_listed(files_result):
    data = files_result.to_dict()
    (skipped,) = data["skipped"]
    assert skipped["source"].endswith("img_9_broken.png") and skipped["split"] == "train"
    assert skipped["extractors"] == ["pixels:size=6x6", "colorhist:bins=4"]
    assert data["dataset"]["n_images"] == 25 and data["dataset"]["n_used"] == 24
    assert data["classes"] == ["blue|ish", "grün", "red <&> co"]  # sorted folder names


def test_non_finite_numbers_become_null(digits_result):
    result = copy.copy(digits_result)
    result.comparisons = [dict(c) for c in digits_result.comparisons]
    result.comparisons[0]["t"] = math.inf
    data = json.loads(result.to_json())  # strict JSON: no Infinity literal
    assert data["comparisons"][0]["t"] is None
