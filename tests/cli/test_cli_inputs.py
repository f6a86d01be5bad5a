"""The command line on folders that leave files out and on untrusted manifests (issue 9, kinds 4 and 8):
one line per warning or error, never a traceback."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from clirun import run
from PIL import Image


def _images(folder, n=4, seed=0):
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        Image.fromarray(rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)).save(folder / f"{i}.png")


@pytest.fixture
def root(tmp_path):
    """root/{cats,dogs}/*.png, root/animals holding only .xyz files, a loop animals -> root, a README."""
    root = tmp_path / "root"
    _images(root / "cats", seed=1)
    _images(root / "dogs", seed=2)
    (root / "animals").mkdir()
    for i in range(3):
        (root / "animals" / f"{i}.xyz").write_text("?")
    os.symlink("..", root / "dogs" / "loop")
    (root / "cats" / "README.txt").write_text("cats")
    return root


ARGS = ["-e", "pixels:size=4x4", "-c", "knn:n_neighbors=1", "--cv", "2", "-q"]


def test_what_a_folder_scan_left_out_is_said_on_one_line_and_in_the_report(root, tmp_path, capsys):
    out = tmp_path / "out"
    code, stdout, stderr = run(["evaluate", str(root), *ARGS, "--out", str(out)], capsys)
    assert code == 0, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"featclf evaluate: warning: {root}: 8 images in 2 classes; 4 files and 1 folder left "
                               "out (.xyz: 3; .txt: 1; symlink loop: 1")
    assert "Class folders with no images left out: animals (0 images; 3 files left out (.xyz: 3))" in lines[0]
    assert "Folder scan of root: 4 files and 1 folder left out (.xyz: 3; .txt: 1; symlink loop: 1" in stdout
    report = json.loads((out / "report.json").read_text())
    left_out = report["dataset"]["left_out"]
    assert left_out["n"] == 5 and left_out["extensions"] == {".xyz": 3, ".txt": 1}
    assert report["dataset"]["n_images"] == 8 and report["classes"] == ["cats", "dogs"]
    assert "**Left out by the folder scan**" in (out / "report.md").read_text()
    assert "<b>Left out by the folder scan</b>" in (out / "report.html").read_text()


def test_a_file_under_two_classes_is_named_on_the_command_line(root, tmp_path, capsys):
    os.symlink("../dogs/1.png", root / "cats" / "dog.png")
    code, stdout, stderr = run(["evaluate", str(root), *ARGS, "--out", str(tmp_path / "out")], capsys)
    assert code == 0, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("featclf evaluate: warning: ")
    assert (f"1 image files are reachable under two classes and were left out of every class: "
            f"{root / 'cats' / 'dog.png'} is also {root / 'dogs' / '1.png'}") in lines[0]
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["dataset"]["class_counts"] == {"cats": 4, "dogs": 3}
    assert report["dataset"]["left_out"]["kinds"]["in two classes"] == 2
    assert "in two classes: 2" in stdout


@pytest.fixture
def manifest(tmp_path):
    data = tmp_path / "data"
    _images(data / "a", seed=1)
    _images(data / "b", seed=2)
    _images(tmp_path / "elsewhere", n=1, seed=3)
    rows = [f"{c}/{i}.png,{c}" for c in "ab" for i in range(4)]
    return data, rows


def _write(data, rows, encoding="utf-8"):
    path = data / "labels.csv"
    path.write_bytes(("path,label\n" + "\n".join(rows) + "\n").encode(encoding))
    return path


def test_a_manifest_pointing_outside_its_folder_needs_allow_outside(manifest, tmp_path, capsys):
    data, rows = manifest
    csv_path = _write(data, [*rows, "../elsewhere/0.png,a"])
    out = tmp_path / "out"
    code, _, stderr = run(["evaluate", str(csv_path), *ARGS, "--out", str(out)], capsys)
    assert code == 2 and len(stderr.strip().splitlines()) == 1
    assert "1 listed paths lead outside the manifest's folder (line 10: ../elsewhere/0.png)" in stderr
    assert "(command line: --allow-outside)" in stderr and not out.exists()
    code, _, stderr = run(["evaluate", str(csv_path), *ARGS, "--out", str(out), "--allow-outside"], capsys)
    assert code == 0, stderr
    assert json.loads((out / "report.json").read_text())["dataset"]["n_images"] == 9


def test_the_test_set_manifest_is_checked_too(manifest, tmp_path, capsys):
    data, rows = manifest
    train = _write(data, rows)
    test = data / "test.csv"
    test.write_text("path,label\n../elsewhere/0.png,a\na/0.png,a\nb/0.png,b\n")
    code, _, stderr = run(["evaluate", str(train), "--test", str(test), "-e", "pixels:size=4x4", "-c", "knn",
                           "-q", "--out", str(tmp_path / "out")], capsys)
    assert code == 2 and "test.csv: 1 listed paths lead outside" in stderr


def test_a_latin1_manifest_exits_2_naming_the_line_and_the_flag_works(manifest, tmp_path, capsys):
    data, rows = manifest
    csv_path = _write(data, [r.replace(",b", ",b\u00e9") for r in rows], encoding="latin-1")
    code, _, stderr = run(["evaluate", str(csv_path), *ARGS, "--out", str(tmp_path / "out")], capsys)
    assert code == 2 and len(stderr.strip().splitlines()) == 1
    assert f"{csv_path}, line 6: not valid UTF-8 text (byte 0xe9 at column 10)" in stderr
    assert "re-save it as UTF-8" in stderr and "--csv-encoding cp1252" in stderr
    code, _, stderr = run(["evaluate", str(csv_path), *ARGS, "--out", str(tmp_path / "out"),
                           "--csv-encoding", "latin-1"], capsys)
    assert code == 0, stderr
    assert json.loads((tmp_path / "out" / "report.json").read_text())["classes"] == ["a", "b\u00e9"]


@pytest.mark.parametrize(("content", "message"), [
    (b"", "labels.csv: the file is empty"),
    (b"PK\x03\x04\x14\x00\x06\x00rest", "labels.csv: not a text file"),
    (b"path;label\na/0.png;a\n", "The header looks ';'-separated"),
    (b"path,label\na/0.png,a\na/1.png,\nb/0.png,b\n", "labels.csv, line 3: empty 'label' value for a/1.png"),
    (b"path,label\na/0.png,a\na/0.png,a\n", "images are listed more than once (lines 2 and 3: a/0.png)"),
    (b"\xff\xfep\x00a\x00", "labels.csv: the file is UTF-16 text"),
])
def test_other_manifest_faults_exit_2_with_one_line(manifest, tmp_path, capsys, content, message):
    data, _ = manifest
    (data / "labels.csv").write_bytes(content)
    code, _, stderr = run(["evaluate", str(data / "labels.csv"), *ARGS, "--out", str(tmp_path / "out")], capsys)
    assert code == 2 and len(stderr.strip().splitlines()) == 1
    assert message in stderr


def test_an_unknown_csv_encoding_exits_2(manifest, tmp_path, capsys):
    data, rows = manifest
    code, _, stderr = run(["evaluate", str(_write(data, rows)), *ARGS, "--csv-encoding", "klingon",
                           "--out", str(tmp_path / "out")], capsys)
    assert code == 2 and "The 'encoding' parameter of CSVManifest must be a text encoding" in stderr
