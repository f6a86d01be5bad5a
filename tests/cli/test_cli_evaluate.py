"""The featclf command: evaluate and demo, through main([...]) and one real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

import featclf
from featclf.cli import main

REPO = os.path.dirname(os.path.dirname(os.path.abspath(featclf.__file__)))


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """root/<class>/*.png: 3 colour classes x 6 images, plus one truncated file; and a CSV manifest."""
    root = tmp_path_factory.mktemp("cli") / "images"
    rng = np.random.default_rng(1)
    rows = ["path,label"]
    for name, colour in {"red": (210, 30, 30), "green": (30, 180, 40), "blue": (30, 40, 210)}.items():
        (root / name).mkdir(parents=True)
        for i in range(6):
            image = np.clip(np.array(colour) + rng.integers(-60, 60, size=(12, 14, 3)), 0, 255).astype(np.uint8)
            Image.fromarray(image).save(root / name / f"{i}.png")
            rows.append(f"images/{name}/{i}.png,{name}")
    good = (root / "red" / "0.png").read_bytes()
    (root / "red" / "9_truncated.png").write_bytes(good[:30])
    (root.parent / "manifest.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return root


def read_report(out):
    assert sorted(os.listdir(out)) == ["report.html", "report.json", "report.md"]
    return json.loads((out / "report.json").read_text(encoding="utf-8"))


def test_evaluate_digits_writes_three_reports_and_prints_the_table(tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["evaluate", "digits", "-e", "pixels", "-e", "pixels:size=4x4", "-c", "knn", "-c", "svm:C=1",
                 "--cv", "3", "--limit", "150", "--out", str(out), "-q"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert captured.err == ""
    report = read_report(out)
    assert report["dataset"]["n_images"] == 150 and report["config"]["n_folds"] == 3
    assert [x["label"] for x in report["config"]["extractors"]] == ["pixels", "pixels:size=4x4"]
    assert [x["label"] for x in report["config"]["classifiers"]] == ["knn", "svm:C=1"]
    lines = captured.out.splitlines()
    assert lines[0].split()[:4] == ["rank", "extractor", "classifier", "accuracy"]
    assert len([line for line in lines if line[:1].isdigit()]) == 4
    assert f"Report: {out / 'report.html'} (also report.json, report.md)" in captured.out
    assert "Best: " in captured.out


def test_evaluate_an_image_folder_and_a_csv_manifest(folder, tmp_path, capsys):
    out = tmp_path / "folder"
    assert main(["evaluate", str(folder), "-e", "colorhist:bins=4", "-c", "knn:n_neighbors=1", "--cv", "2",
                 "--out", str(out), "-q"]) == 0
    report = read_report(out)
    assert report["classes"] == ["blue", "green", "red"] and report["dataset"]["n_used"] == 18
    assert report["skipped"][0]["source"].endswith("9_truncated.png")
    stdout = capsys.readouterr().out
    assert "Skipped 1 unreadable images, e.g. " in stdout and "9_truncated.png" in stdout
    out = tmp_path / "csv"
    assert main(["evaluate", str(folder.parent / "manifest.csv"), "-e", "colorhist:bins=4", "-c", "knn",
                 "--cv", "2", "--out", str(out), "-q"]) == 0
    report = read_report(out)
    assert report["dataset"]["name"] == "manifest" and report["dataset"]["n_used"] == 18 and not report["skipped"]
    assert report["results"][0]["accuracy_mean"] > 0.9


def test_evaluate_fashion_mnist_with_its_test_split(tmp_path):
    try:
        featclf.load_fashion_mnist(split="test")
    except featclf.exceptions.DatasetNotFoundError:
        pytest.skip("Fashion-MNIST IDX files not installed (apt-get install dataset-fashion-mnist)")
    out = tmp_path / "fm"
    assert main(["evaluate", "fashion-mnist", "--cv", "split", "--limit", "300", "-e", "pixels", "-c", "knn",
                 "--out", str(out), "-q"]) == 0
    report = read_report(out)
    assert report["mode"] == "split" and report["dataset"]["n_used"] == 300
    assert report["dataset"]["test"]["name"] == "fashion-mnist-test" and report["dataset"]["test"]["n_used"] == 300
    assert 0.5 < report["results"][0]["accuracy_mean"] < 0.95


def test_demo_runs_the_main_job_and_says_where_the_report_is(tmp_path, monkeypatch, capsys):
    from featclf.cli import _demo

    monkeypatch.setattr(_demo, "DEMO_CLASSIFIERS", ("knn",))  # the wiring, quickly; README's command runs it all
    monkeypatch.chdir(tmp_path)
    assert main(["demo", "-q"]) == 0
    report = read_report(tmp_path / "featclf-report")  # the default output folder
    assert report["dataset"]["name"] == "digits" and report["dataset"]["n_used"] == 1797
    assert [x["name"] for x in report["config"]["extractors"]] == ["pixels", "hog"]
    assert report["config"]["n_folds"] == 5
    assert str(tmp_path / "featclf-report" / "report.html") in capsys.readouterr().out


def test_demo_lists_what_it_compares():
    from featclf.cli._demo import DEMO_CLASSIFIERS, DEMO_EXTRACTORS

    assert DEMO_EXTRACTORS == ("pixels", "hog:size=16x16,pixels_per_cell=4x4")
    assert DEMO_CLASSIFIERS == ("svm", "rf", "knn")


def test_python_dash_m_featclf_in_a_subprocess(tmp_path):
    env = {**os.environ, "PYTHONPATH": REPO}
    proc = subprocess.run(
        [sys.executable, "-m", "featclf", "evaluate", "digits", "--limit", "100", "--cv", "2", "-e", "pixels",
         "-c", "knn", "--out", str(tmp_path / "r")],
        capture_output=True, text=True, timeout=300, env=env,
    )
    assert proc.returncode == 0, proc.stderr
    best_row = proc.stdout.splitlines()[2].split()
    assert best_row[:3] == ["1", "pixels", "knn"]
    assert "[featclf] extracting pixels from 100 images" in proc.stderr  # progress on stderr without -q
    read_report(tmp_path / "r")
    proc = subprocess.run([sys.executable, "-m", "featclf", "evaluate", "digits", "-e", "hgo"],
                          capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 2
    available = ", ".join(featclf.list_extractors())
    assert proc.stderr.strip().splitlines() == [
        f"featclf evaluate: error: Unknown extractor 'hgo'. Available: {available}. Did you mean 'hog'?"
    ]
