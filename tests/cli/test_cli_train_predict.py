"""``featclf train | predict | info`` and ``evaluate --save-best``, driven as real commands in subprocesses.

Round trips equal in-process predictions exactly (labels and probabilities, CSV numbers being
exact reprs); every error is one line on stderr with a non-zero exit (2 for usage errors).
"""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
import zipfile

import numpy as np
import pytest
from modelgen import class_folder, new_images, picture
from PIL import Image

import featclf
from featclf.cli import main
from featclf.training import load_model

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TRAIN = ["-e", "hog:size=16x16,pixels_per_cell=4x4", "-c", "logreg", "-q"]


def featclf_command(*argv, cwd=None):
    env = {**os.environ, "PYTHONPATH": REPO}
    return subprocess.run([sys.executable, "-m", "featclf", *map(str, argv)], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=300)


def rows(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli-models")
    train = class_folder(root / "train")
    images = new_images(root / "new")
    return root, train, images


@pytest.fixture(scope="module")
def trained(folders):
    """A model trained by the real command in its own process."""
    root, train, _ = folders
    path = root / "shapes.featclf"
    done = featclf_command("train", train, *TRAIN, "-o", path)
    assert done.returncode == 0, done.stderr
    assert f"Model: {path}" in done.stdout and "on 30 images of train (3 classes: circle, noise, stripes)" in done.stdout
    return path


def test_train_then_predict_equals_in_process_predictions_exactly(folders, trained, tmp_path):
    _, train, images = folders
    out = tmp_path / "p.csv"
    done = featclf_command("predict", trained, *images, "-o", out, "--top-k", "2", "-q")
    assert done.returncode == 0, done.stderr
    assert f"Predictions: {out} (6 images, 1 unreadable)" in done.stdout
    assert "1 of 6 images could not be read, e.g." in done.stderr and "Traceback" not in done.stderr
    got = rows(out)
    model = featclf.train(featclf.ImageFolder(train), TRAIN[1], "logreg", verbose=0)  # trained here, in-process
    readable = [p for i, p in enumerate(images) if i != 2]
    proba = model.predict_proba(readable)
    labels = model.predict(readable)
    kept = [r for r in got if r["label"]]
    assert [r["path"] for r in got] == images and len(kept) == 5
    assert [r["label"] for r in kept] == labels.tolist()
    assert [float(r["probability"]) for r in kept] == [row[list(model.classes_).index(lab)] for row, lab in
                                                        zip(proba, labels)]
    assert [len(r["top_k"].split("; ")) for r in kept] == [2] * 5
    assert got[2]["label"] == "" and got[2]["reason"] == "not a readable image (Pillow cannot identify the format)"


def test_a_model_saved_in_this_process_predicts_identically_in_another(folders, tmp_path):
    _, train, images = folders
    model = featclf.train(featclf.ImageFolder(train), "pixels:size=8x8", "knn", verbose=0)
    model.save(tmp_path / "knn.featclf")
    readable = images[:2]
    done = featclf_command("predict", tmp_path / "knn.featclf", *readable, "-o", tmp_path / "p.csv", "-q")
    assert done.returncode == 0, done.stderr
    expected = model.predict_records(readable, top_k=3)
    assert [(r["label"], float(r["probability"])) for r in rows(tmp_path / "p.csv")] == [
        (p.label, p.score) for p in expected]
    again = load_model(tmp_path / "knn.featclf")  # and back here
    np.testing.assert_array_equal(again.predict_proba(readable), model.predict_proba(readable))


def test_predict_prints_a_table_and_reads_folders_and_patterns(folders, trained):
    root, train, images = folders
    done = featclf_command("predict", trained, os.path.dirname(images[0]), os.path.join(train, "circle", "1*.png"),
                           "--top-k", "1", "-q")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["path", "label", "probability", "top_k", "reason"]
    assert len(lines) == 2 + 6 + 1  # header, rule, the folder's 6 files, circle/1.png
    assert lines[-1].split()[:2] == [os.path.join(train, "circle", "1.png"), "circle"]


def test_missing_files_keep_their_rows_and_empty_sources_are_left_out_with_a_warning(folders, trained, tmp_path):
    root, train, images = folders
    (tmp_path / "empty").mkdir()
    absent = os.fspath(tmp_path / "absent.png")
    pattern = os.fspath(tmp_path / "*.jpeg")
    out = tmp_path / "preds.csv"
    done = featclf_command("predict", trained, images[0], absent, pattern, tmp_path / "empty", "-o", out, "-q")
    assert done.returncode == 0, done.stderr
    got = rows(out)
    assert [r["path"] for r in got] == [images[0], absent]
    assert got[0]["label"] == "circle" and got[0]["reason"] == ""
    assert (got[1]["label"], got[1]["probability"], got[1]["reason"]) == ("", "", "no such file")
    warned = [line for line in done.stderr.splitlines() if ": warning: " in line]
    assert warned == [f"featclf predict: warning: {pattern!r}: the pattern matches no file. Left out; predicting the "
                      "other SOURCES.",
                      f"featclf predict: warning: {tmp_path / 'empty'}: no images found (extensions: those the "
                      "installed Pillow decodes, see featclf.io.image_extensions()). Left out; predicting the other "
                      "SOURCES."], done.stderr
    assert "1 of 2 images could not be read, e.g. " + absent + ": no such file" in done.stderr


def test_predict_keeps_the_model_s_max_pixels_unless_given(folders, tmp_path, capsys):
    _, train, _ = folders
    path = tmp_path / "small.featclf"
    assert main(["train", train, *TRAIN, "--max-pixels", "300", "-o", str(path)]) == 0  # 16x16 = 256 pixels
    large = tmp_path / "large.png"
    Image.fromarray(picture("circle", 1, size=20)).save(large)  # 400 pixels
    assert main(["predict", str(path), str(large), "-o", str(tmp_path / "p.csv")]) == 0
    first = rows(tmp_path / "p.csv")[0]
    assert first["label"] == "" and "20x20" in first["reason"] and "300" in first["reason"], first
    assert main(["predict", str(path), str(large), "--max-pixels", "none", "-o", str(tmp_path / "p.csv")]) == 0
    assert rows(tmp_path / "p.csv")[0]["label"] == "circle"
    capsys.readouterr()


def test_info_prints_the_manifest_without_unpickling(trained, tmp_path):
    damaged = tmp_path / "damaged.featclf"
    with zipfile.ZipFile(trained) as archive, zipfile.ZipFile(damaged, "w") as out:
        out.writestr("manifest.json", archive.read("manifest.json"))
        out.writestr("model.joblib", b"this is no pickle")  # loading would fail; reading the manifest does not
    done = featclf_command("info", damaged)
    assert done.returncode == 0, done.stderr
    manifest = json.loads(done.stdout)
    assert manifest["format"] == "featclf-model" and manifest["classes"] == ["circle", "noise", "stripes"]
    assert manifest["extractor"]["label"] == "hog:size=16x16,pixels_per_cell=4x4"
    done = featclf_command("predict", damaged, tmp_path)
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert "damaged.featclf: its model.joblib does not match the checksum in its manifest" in done.stderr
    assert "the file was changed after it was saved. Nothing was loaded" in done.stderr
    verbose = featclf_command("predict", damaged, tmp_path, "--verbose")
    assert verbose.returncode == 2 and "Traceback (most recent call last)" in verbose.stderr


def test_evaluate_save_best_saves_the_best_with_its_figures(folders, tmp_path):
    _, train, images = folders
    done = featclf_command("evaluate", train, "-e", "hog:size=16x16", "-e", "pixels:size=8x8", "-c", "logreg",
                           "--cv", "3", "-q", "--out", tmp_path / "report", "--save-best", tmp_path / "best.featclf")
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "report" / "report.json").read_text())
    best = load_model(tmp_path / "best.featclf")
    first = report["best"]
    assert best.evaluation_["combination"] == f"{first['extractor']} + {first['classifier']}"
    assert best.evaluation_["scores"]["accuracy"]["mean"] == first["mean"]
    assert best.evaluation_["scores"]["accuracy"]["std"] == first["std"]
    assert f"Model: {tmp_path / 'best.featclf'}" in done.stdout


@pytest.fixture
def cnn_files(folders, tmp_path):
    torch = pytest.importorskip("torch")
    from featclf.extract.cnn._efficientnet_lite import tiny_cnn

    _, train, _ = folders
    weights = tmp_path / "tiny.pth"
    torch.save(tiny_cnn(seed=1).state_dict(), weights)
    path = tmp_path / "cnn.featclf"
    assert main(["train", train, "-e", f"cnn:backbone=tiny,weights={weights},input_size=16", "-c", "logreg",
                 "-q", "-o", str(path), "--device", "cpu"]) == 0
    return path, weights


def test_a_swapped_cnn_weights_file_is_refused_by_name(cnn_files, folders, tmp_path):
    import torch

    from featclf.extract.cnn._efficientnet_lite import tiny_cnn

    path, weights = cnn_files
    images = folders[2][:2]
    assert featclf_command("predict", path, *images, "-q").returncode == 0
    torch.save(tiny_cnn(seed=3).state_dict(), weights)
    done = featclf_command("predict", path, *images, "-q")
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert "tiny.pth changed since the model was saved (SHA-256 " in done.stderr and ", recorded " in done.stderr
    assert "--accept-changed-weights" in done.stderr
    assert featclf_command("predict", path, *images, "-q", "--accept-changed-weights").returncode == 0


# --------------------------------------------------------------------------- errors: one line, exit 2
def _clustering_file(tmp_path):
    result = featclf.cluster([np.full((8, 8), v, np.uint8) for v in (0, 10, 200, 210)], "pixels", 2, verbose=0)
    result.save(tmp_path / "clusters.featclf")
    return tmp_path / "clusters.featclf"


ERRORS = {
    "no such DATA": (["train", "{tmp}/nowhere", "-o", "{tmp}/m.featclf"], r"'.*nowhere': no such folder or file"),
    "empty folder": (["train", "{tmp}/empty", "-o", "{tmp}/m.featclf"], r"empty: no class folder with images found"),
    "one class": (["train", "{tmp}/one", "-o", "{tmp}/m.featclf", "-e", "hog:size=16x16"],
                  r"a classifier needs images of at least 2 classes; got 1 \('circle'\)"),
    "malformed key=value": (["train", "{train}", "-e", "hog:size", "-o", "{tmp}/m.featclf"],
                            r"Cannot read 'size' in the extractor spec 'hog:size': expected key=value"),
    "unknown extractor": (["train", "{train}", "-e", "hgo", "-o", "{tmp}/m.featclf"], r"Did you mean 'hog'"),
    "bad classifier value": (["train", "{train}", "-c", "svm:C=-1", "-o", "{tmp}/m.featclf"],
                             r"Classifier 'svm:C=-1': The 'C' parameter of SVC must be"),
    "classifier that cannot be fitted": (["train", "{train}", "-c", "logreg:penalty=l1", "-o", "{tmp}/m.featclf"],
                                         r"Classifier 'logreg:penalty=l1' cannot be fitted: Solver lbfgs supports only"),
    "more neighbours than images": (["train", "{train}", "-c", "knn:n_neighbors=500", "-o", "{tmp}/m.featclf"],
                                    r"Classifier 'knn:n_neighbors=500' cannot be fitted: Expected n_neighbors <= "
                                    r"n_samples_fit, but n_neighbors = 500, n_samples_fit = \d+"),
    "output folder missing": (["train", "{train}", "-o", "{tmp}/nowhere/m.featclf"],
                              r"-o .*nowhere/m.featclf: the folder .*nowhere does not exist"),
    "device without a CNN": (["train", "{train}", "--device", "cuda", "-o", "{tmp}/m.featclf"],
                             r"--device applies to CNN extractors"),
    "no such MODEL": (["predict", "{tmp}/absent.featclf", "{train}"], r"absent.featclf: no such file"),
    "truncated MODEL": (["predict", "{tmp}/truncated.featclf", "{train}"],
                        r"truncated.featclf: not a featclf model file \(BadZipFile.*damaged \(e.g. truncated\)"),
    "not a model": (["predict", "{tmp}/notes.csv", "{train}"], r"notes.csv: not a featclf model file"),
    "a clustering file": (["predict", "{clusters}", "{train}"], r"not a featclf model file \(it is a clustering file"),
    "pattern matching nothing": (["predict", "{model}", "{tmp}/*.jpeg"], r"No image among SOURCES \('.*\*.jpeg'\)"),
    "empty SOURCE folder": (["predict", "{model}", "{tmp}/empty", "{tmp}/*.jpeg"],
                            r"No image among SOURCES \('.*empty', '.*\*.jpeg'\): folders without images"),
    "other class names": (["predict", "{model}", "--test", "{tmp}/other"],
                          r"--test .*other: classes 'cow' are not among the model's \(circle, noise, stripes\)"),
    "neither SOURCES nor --test": (["predict", "{model}"], r"needs SOURCES .* or --test DATA"),
    "info on no model": (["info", "{tmp}/notes.csv"], r"notes.csv: not a featclf model or clustering file"),
}


@pytest.mark.parametrize("case", sorted(ERRORS))
def test_every_error_is_one_line_and_exit_2(case, folders, trained, tmp_path, capsys):
    argv, message = ERRORS[case]
    (tmp_path / "empty").mkdir()
    class_folder(tmp_path / "one", classes=("circle",), per_class=3)
    for name in ("circle", "cow"):  # a labelled set with a class the model never saw
        (tmp_path / "other" / name).mkdir(parents=True)
        Image.fromarray(picture("circle", 0)).save(tmp_path / "other" / name / "0.png")
    (tmp_path / "truncated.featclf").write_bytes(trained.read_bytes()[:500])
    (tmp_path / "notes.csv").write_text("path,label\n")
    clusters = _clustering_file(tmp_path) if case == "a clustering file" else ""
    fill = {"tmp": tmp_path, "train": folders[1], "model": trained, "clusters": clusters}
    code = main([a.format(**fill) for a in argv])
    err = capsys.readouterr().err
    assert code == 2, err
    lines = [line for line in err.splitlines() if ": warning: " not in line]
    assert len(lines) == 1 and lines[0].startswith(f"featclf {argv[0]}: error: "), err
    assert re.search(message, lines[0]), lines[0]
