"""The command line checks everything before extraction, keeps groups in one fold, reports a dead worker in one
line, prints one line per step off a terminal, and has no fold wording for a single train/test split."""

from __future__ import annotations

import csv
import os

import numpy as np
import pytest
from PIL import Image

import featclf
from featclf.cli import main
from featclf.evaluation import _evaluate


def _one_line_error(capsys):
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert "Traceback" not in captured.err
    return lines[0]


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (["-c", "svm:C=-1"], 2, "featclf evaluate: error: Classifier 'svm:C=-1': The 'C' parameter of SVC must be a "
                                "float in the range (0.0, inf]. Got -1 instead."),
        (["-c", "logreg:tol=-1"], 2, "Classifier 'logreg:tol=-1': The 'tol' parameter of LogisticRegression must be"),
        (["-e", "hog:pixels_per_cell=0x4"], 2, "The 'pixels_per_cell' parameter of HOG must be a pair of ints >= 1"),
        (["--n-jobs", "0"], 2, "argument --n-jobs: invalid value '0': expected a non-zero int (-1: all cores)"),
        (["--seed", "-1"], 2, "argument --seed: invalid value '-1': expected an int >= 0"),
        (["--max-examples", "-3"], 2, "argument --max-examples: invalid value '-3': expected an int >= 0"),
        (["--groups", "object"], 2, "--groups object reads a column of a CSV manifest, and DATA ('digits') is not one"),
    ],
)
def test_bad_settings_stop_before_extraction_in_one_line(argv, code, message, no_extraction, capsys, tmp_path):
    assert main(["evaluate", "digits", "-e", "pixels", "-c", "knn", *argv, "--out", str(tmp_path / "out")]) == code
    assert message in _one_line_error(capsys)


def test_a_missing_dependency_stops_before_extraction(no_extraction, monkeypatch, capsys, tmp_path):
    from featclf.exceptions import MissingDependencyError
    from featclf.extract import CNNEmbedding

    def no_torch(self):
        raise MissingDependencyError("CNNEmbedding needs the optional dependency 'torch', which is not installed. "
                                     'Install it with: pip install "featclf[cnn]"')

    monkeypatch.setattr(CNNEmbedding, "_torch", no_torch)
    argv = ["evaluate", "digits", "-e", "pixels:size=32x32", "-e", "colorhist", "-e", "cnn", "--out", str(tmp_path)]
    assert main(argv) == 2
    assert _one_line_error(capsys).endswith('Install it with: pip install "featclf[cnn]"')


def test_an_output_folder_that_is_a_file_stops_before_any_work(no_extraction, capsys, tmp_path):
    target = tmp_path / "report"
    target.write_text("not a folder")
    assert main(["evaluate", "digits", "-e", "pixels", "-c", "knn", "--out", str(target)]) == 2
    assert _one_line_error(capsys) == (
        f"featclf evaluate: error: The --out folder {str(target)!r} is an existing file, not a folder: give a folder "
        "for the reports, e.g. a new name.")


def test_an_output_folder_inside_a_file_stops_before_any_work(no_extraction, capsys, tmp_path):
    target = tmp_path / "report"
    target.write_text("not a folder")
    assert main(["evaluate", "digits", "-e", "pixels", "-c", "knn", "--out", str(target / "run1")]) == 2
    assert f"is inside {str(target)!r}, which is an existing file, not a folder" in _one_line_error(capsys)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="needs POSIX permissions and a non-root user")
def test_an_output_folder_that_cannot_be_written_stops_before_any_work(no_extraction, capsys, tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        assert main(["evaluate", "digits", "-e", "pixels", "-c", "knn", "--out", str(locked / "r")]) == 2
        assert "Cannot write the reports in the --out folder" in _one_line_error(capsys)
    finally:
        locked.chmod(0o700)


def test_a_dead_worker_is_one_line_naming_the_cause_and_the_fix(monkeypatch, capsys, tmp_path):
    from featclf.engine import worker_died

    def dies(*args, **kwargs):
        raise worker_died("extracting features (HOG)", 2)

    monkeypatch.setattr(featclf.evaluation, "evaluate", dies)
    assert main(["evaluate", "digits", "-e", "hog", "--n-jobs", "2", "--out", str(tmp_path / "out")]) == 1
    line = _one_line_error(capsys)
    assert line.startswith("featclf evaluate: error: A worker process died while extracting features (HOG) with "
                           "n_jobs=2: most likely the system killed it for lack of memory")
    assert "on the command line --n-jobs 1" in line


def test_progress_off_a_terminal_is_one_line_per_step_and_quiet_is_silent(capsys, tmp_path):
    assert main(["evaluate", "digits", "-e", "pixels", "-c", "knn", "-c", "logreg", "--cv", "3", "--limit", "300",
                 "--out", str(tmp_path / "a")]) == 0
    err = capsys.readouterr().err
    assert err.splitlines() == [
        "[featclf] extracting pixels from 300 images",
        *[line for line in err.splitlines() if line.startswith("[featclf]   pixels: 64 features in ")],
        "[featclf] fitting 2 combinations x 3 folds",
        *[line for line in err.splitlines() if line.startswith("[featclf]   pixels + ")],
    ]
    assert len(err.splitlines()) == 5 and "\r" not in err
    assert main(["evaluate", "digits", "-e", "pixels", "-c", "knn", "--cv", "3", "--limit", "300", "-q",
                 "--out", str(tmp_path / "b")]) == 0
    assert capsys.readouterr().err == ""


@pytest.fixture(scope="module")
def shots_manifest(tmp_path_factory):
    """A CSV manifest of near-duplicate shots: 4 classes x 6 objects x 3 shots, with an 'object' column."""
    root = tmp_path_factory.mktemp("shots")
    rng = np.random.default_rng(1)
    rows = []
    for k in range(4):
        for o in range(6):
            base = rng.integers(0, 255, (8, 8))
            for s in range(3):
                name = f"c{k}_o{o}_s{s}.png"
                Image.fromarray(np.clip(base + rng.integers(-3, 4, (8, 8)), 0, 255).astype(np.uint8)).save(root / name)
                rows.append({"path": name, "label": f"class{k}", "object": f"{k}-{o}"})
    with open(root / "labels.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["path", "label", "object"])
        writer.writeheader()
        writer.writerows(rows)
    return root / "labels.csv"


def test_groups_from_a_manifest_column_keep_each_object_in_one_fold(shots_manifest, tmp_path, capsys, monkeypatch):
    seen = []
    original = _evaluate.make_folds
    monkeypatch.setattr(_evaluate, "make_folds", lambda *a: seen.append(a) or original(*a))
    argv = ["evaluate", str(shots_manifest), "-e", "pixels", "-c", "knn:n_neighbors=1", "--cv", "3", "-q"]
    assert main([*argv, "--groups", "object", "--out", str(tmp_path / "g")]) == 0
    _, _, groups, _ = seen[-1]
    dataset = featclf.CSVManifest(shots_manifest)
    assert [g.rsplit("-", 1)[0] for g in groups] == [str(label) for label in dataset.labels]  # aligned with images
    import json

    report = json.loads((tmp_path / "g" / "report.json").read_text())
    assert report["config"]["groups"] == {"n_groups": 24, "source": "dataset"}  # the manifest's column
    assert report["config"]["splitter"] == "StratifiedGroupKFold(n_splits=3, random_state=0, shuffle=True)"
    grouped = report["results"][0]["accuracy_mean"]
    assert main([*argv, "--out", str(tmp_path / "n")]) == 0
    leaky = json.loads((tmp_path / "n" / "report.json").read_text())["results"][0]["accuracy_mean"]
    assert grouped < 0.6 < leaky  # without groups, near-duplicates leak across folds
    # with --limit the groups follow the images kept
    assert main([*argv, "--groups", "object", "--limit", "36", "--out", str(tmp_path / "l")]) == 0
    _, _, groups, _ = seen[-1]
    assert len(groups) == 36


def test_groups_column_missing_or_empty(shots_manifest, tmp_path, capsys):
    argv = ["evaluate", str(shots_manifest), "-e", "pixels", "-c", "knn", "--out", str(tmp_path / "o")]
    assert main([*argv, "--groups", "session"]) == 2
    assert f"{shots_manifest}: no column 'session'; the header has ['path', 'label', 'object']. Set " \
           "group_column= to the column's name (on the command line, --groups COLUMN)." in _one_line_error(capsys)
    text = shots_manifest.read_text().splitlines()
    text[5] = text[5].rsplit(",", 1)[0] + ","
    broken = shots_manifest.parent / "broken.csv"
    broken.write_text("\n".join(text) + "\n")
    assert main(["evaluate", str(broken), "-e", "pixels", "-c", "knn", "--groups", "object", "--out",
                 str(tmp_path / "p")]) == 2
    assert f"{broken}, line 6: empty 'object' value (a missing group). Give every row a group" \
        in _one_line_error(capsys)


def test_manifest_options_on_data_that_is_no_manifest_are_refused(tmp_path, capsys):
    for extra, said in ((["--allow-outside"], "--allow-outside apply"),
                        (["--csv-encoding", "cp1252"], "--csv-encoding apply"),
                        (["--allow-outside", "--csv-encoding", "cp1252"], "--allow-outside and --csv-encoding apply")):
        assert main(["evaluate", "digits", "-e", "pixels", "-c", "knn", *extra, "--out", str(tmp_path / "o")]) == 2
        assert f"{said} to CSV manifests, and neither DATA nor --test is one" in _one_line_error(capsys)
    assert not (tmp_path / "o").exists()


def test_a_single_train_test_split_has_no_plus_minus_or_fold_wording(tmp_path, capsys):
    assert main(["evaluate", "digits", "--test", "digits", "-e", "pixels", "-c", "knn", "-c", "svm", "--limit", "300",
                 "--out", str(tmp_path / "s")]) == 0
    captured = capsys.readouterr()
    assert "±" not in captured.out and "±" not in captured.err
    assert "fold" not in captured.out.lower() and "fold" not in captured.err.lower()
    assert "[featclf] fitting 2 combinations x 1 train/test split" in captured.err
    for name in ("report.md", "report.html"):
        text = (tmp_path / "s" / name).read_text(encoding="utf-8")
        assert "± 0.0000" not in text and "±" not in text.split("Configuration")[0], name
        assert "summed over folds" not in text and "out-of-fold" not in text, name


@pytest.mark.parametrize("command", [
    ["evaluate", "digits", "-e", "pixels", "-e", "hog:size=16x16", "-c", "knn"],
    ["demo"],
    ["cluster", "digits", "-e", "pixels", "-k", "3"],
    ["extract", "digits", "-e", "pixels"],
    ["train", "digits", "-e", "pixels", "-c", "knn"],
])
def test_device_on_extractors_without_one_is_refused_before_extraction(command, no_extraction, capsys, tmp_path):
    out = {"extract": ["-o", str(tmp_path / "f.npz")], "train": ["-o", str(tmp_path / "m.featclf")]}.get(
        command[0], ["--out", str(tmp_path / "out")])
    assert main([*command, *out, "--device", "cuda"]) == 2
    line = _one_line_error(capsys)
    assert "--device applies to CNN extractors" in line and "drop --device" in line
    assert not (tmp_path / "out").exists() and not (tmp_path / "f.npz").exists()


def test_device_is_set_on_the_cnn_extractors_only():
    from featclf.cli._options import with_devices

    pytest.importorskip("torch")
    placed = with_devices(["pixels", "cnn:input_size=64"], "cpu")
    assert placed[0] == "pixels" and placed[1].device == "cpu" and placed[1].input_size == 64


@pytest.mark.parametrize("command", [["evaluate", "nowhere-dir", "-e", "pixels"], ["cluster", "nowhere-dir"],
                                     ["extract", "nowhere-dir", "-o", "x.npz"], ["demo", "--out", "/proc/no"]])
def test_verbose_prints_the_traceback_then_the_one_line(command, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main([*command, "--verbose"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("Traceback") and err.strip().splitlines()[-1].startswith(f"featclf {command[0]}: error: ")


def test_an_unforeseen_library_error_is_one_line_and_verbose_shows_the_traceback(monkeypatch, capsys, tmp_path):
    from featclf.cli import _evaluate as cli_evaluate

    def broken(*args, **kwargs):
        raise ZeroDivisionError("a library failed")

    monkeypatch.setattr(cli_evaluate, "run_evaluation", broken)
    assert main(["evaluate", "digits", "-e", "pixels", "-c", "knn", "--out", str(tmp_path / "o")]) == 1
    line = _one_line_error(capsys)
    assert line.startswith("featclf evaluate: error: ZeroDivisionError: a library failed (--verbose shows where).")
    assert main(["evaluate", "digits", "-e", "pixels", "-c", "knn", "--out", str(tmp_path / "o"), "--verbose"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Traceback") and "ZeroDivisionError: a library failed. This is not" in err
