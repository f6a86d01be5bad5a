"""``featclf extract``: one row per input, a file numpy alone reads back, one-line errors before any work."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from PIL import Image

import featclf
from featclf.cli import main
from featclf.report import read_features

REPO = os.path.dirname(os.path.dirname(os.path.abspath(featclf.__file__)))


@pytest.fixture
def photos(tmp_path):
    """photos/a, photos/b: 3 colour PNGs each; b/bad.png (between them) unreadable."""
    rng = np.random.default_rng(0)
    for cls in "ab":
        (tmp_path / "photos" / cls).mkdir(parents=True)
        for i in range(3):
            image = rng.integers(0, 255, (20, 24, 3), dtype=np.uint8)
            Image.fromarray(image).save(tmp_path / "photos" / cls / f"{i}.png")
    (tmp_path / "photos" / "b" / "1_bad.png").write_bytes(b"\x89PNG not really")
    return tmp_path / "photos"


def test_npz_has_one_row_per_input_and_reads_back_with_numpy_alone(photos, tmp_path, capsys):
    out = tmp_path / "features.npz"
    assert main(["extract", str(photos), "-e", "hog:size=16x16", "-e", "colorhist:bins=2", "-o", str(out), "-q",
                 "--n-jobs", "2"]) == 0
    stdout = capsys.readouterr().out
    assert "Features of 7 inputs (hog:size=16x16: 36, colorhist:bins=2: 8 features each)" in stdout
    assert "Skipped 1 unreadable inputs, e.g. " in stdout and "1_bad.png" in stdout
    # a fresh interpreter with numpy only: no pickles, strings as unicode arrays, the record as JSON
    code = textwrap.dedent(f"""
        import json, sys, numpy as np
        d = np.load({str(out)!r}, allow_pickle=False)
        record = json.loads(str(d["record"]))
        X = d["features/hog:size=16x16"]
        print(json.dumps({{"files": sorted(d.files), "shape": list(X.shape), "dtype": str(X.dtype),
                          "nan_rows": np.flatnonzero(np.isnan(X).all(axis=1)).tolist(),
                          "kept": d["kept"].tolist(), "labels": d["labels"].tolist(),
                          "classes": d["class_names"].tolist(), "sources": d["sources"].tolist(),
                          "extractors": d["extractors"].tolist(), "skipped": record["skipped"],
                          "names": d["feature_names/hog:size=16x16"][:2].tolist(),
                          "featclf_imported": "featclf" in sys.modules}}))
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout)
    assert got["featclf_imported"] is False
    assert got["shape"] == [7, 36] and got["dtype"] == "float32"
    assert got["extractors"] == ["hog:size=16x16", "colorhist:bins=2"]
    assert got["classes"] == ["a", "b"] and got["labels"] == [0, 0, 0, 1, 1, 1, 1]
    bad = [i for i, s in enumerate(got["sources"]) if s.endswith("1_bad.png")]
    assert bad == [5] and got["nan_rows"] == bad and got["kept"] == [i != 5 for i in range(7)]  # b/1.png sorts first
    assert got["skipped"] == [{"index": 5, "source": got["sources"][5], "reason": got["skipped"][0]["reason"],
                               "extractors": ["hog:size=16x16", "colorhist:bins=2"]}]
    assert "not a readable image" in got["skipped"][0]["reason"]
    assert got["names"] == featclf.HOG(size=(16, 16)).fit([np.zeros((16, 16, 3), np.uint8)]).get_feature_names_out()[
        :2].tolist()
    expected = [f"features/{k}" for k in got["extractors"]] + [f"kept/{k}" for k in got["extractors"]] + [
        f"feature_names/{k}" for k in got["extractors"]] + ["class_names", "extractors", "kept", "labels", "record",
                                                           "sources"]
    assert got["files"] == sorted(expected)


def test_features_equal_the_extractors_own_and_the_record_holds_the_configuration(photos, tmp_path):
    out = tmp_path / "f.npz"
    assert main(["extract", str(photos), "-e", "pixels:size=4x4", "-o", str(out), "-q"]) == 0
    data = read_features(out)
    dataset = featclf.ImageFolder(photos)
    kept = data["kept"]
    direct = featclf.RawPixels(size=(4, 4), on_error="skip", verbose=0).fit(dataset).extract(dataset)
    np.testing.assert_array_equal(data["features"]["pixels:size=4x4"][kept], direct.features)
    entry = data["record"]["extractors"][0]
    assert entry["spec"] == "pixels:size=4x4" and entry["params"]["size"] == [4, 4] and entry["n_features"] == 16
    assert data["record"]["n_inputs"] == 7 and data["record"]["dataset"]["n_images"] == 7
    assert data["record"]["versions"]["numpy"] == np.__version__


def test_flat_folder_is_unlabelled(tmp_path):
    (tmp_path / "flat").mkdir()
    for i in range(3):
        Image.fromarray(np.full((8, 8), 40 * i, np.uint8)).save(tmp_path / "flat" / f"{i}.png")
    assert main(["extract", str(tmp_path / "flat"), "-e", "pixels", "-o", str(tmp_path / "f.npz"), "-q"]) == 0
    data = read_features(tmp_path / "f.npz")
    assert data["labels"].tolist() == [-1, -1, -1] and data["class_names"].shape == (0,)


@pytest.mark.parametrize("argv, message", [
    (["-e", "hog:sise=8"], "featclf extract: error: Extractor 'hog' (HOG) has no parameter 'sise'. Valid parameters: "
                           "orientations, "),
    (["-e", "hgo"], "Unknown extractor 'hgo'. Available: cnn, colorhist, hog, pixels. Did you mean 'hog'?"),
    (["-e", "hog:size"], "Cannot read 'size' in the extractor spec 'hog:size': expected key=value pairs"),
    (["-e", "pixels", "-e", "pixels:size=None"], "-e pixels is given twice (as the same extractor)"),
    (["-o", "{tmp}/f.csv"], "-o {tmp}/f.csv: features are written to a .npz file (numpy) or a .parquet file"),
    (["-o", "{tmp}"], "is a folder: name a file inside it"),
    (["--allow-outside"], "--allow-outside apply to CSV manifests, and DATA is not one"),
])
def test_usage_errors_are_one_line_exit_2_and_nothing_is_written(photos, tmp_path, capsys, argv, message):
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    if "-o" not in argv:
        argv += ["-o", str(tmp_path / "out.npz")]
    assert main(["extract", str(photos), *argv]) == 2
    err = capsys.readouterr().err
    assert message.replace("{tmp}", str(tmp_path)) in err and err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "out.npz").exists()


def test_parquet_without_pyarrow_is_refused_before_reading_data(tmp_path, capsys, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_pyarrow(name, *args, **kwargs):
        if name.split(".")[0] == "pyarrow":
            raise ImportError("No module named 'pyarrow'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pyarrow)
    assert main(["extract", str(tmp_path / "does-not-exist"), "-o", str(tmp_path / "f.parquet")]) == 2
    err = capsys.readouterr().err
    assert err == (f"featclf extract: error: Writing features to .parquet needs the optional dependency 'pyarrow', "
                   f"which is not installed. Install it with: pip install pyarrow (or write {tmp_path}/f.npz, which "
                   "needs numpy only).\n")


def test_verbose_prints_the_traceback_then_the_line(tmp_path, capsys):
    assert main(["extract", str(tmp_path / "nowhere"), "-o", str(tmp_path / "f.npz"), "--verbose"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("Traceback (most recent call last):") and "DatasetNotFoundError" in err
    assert err.splitlines()[-1].startswith("featclf extract: error: ") and "no such folder or file" in err


def test_unreadable_input_with_on_error_raise_exits_1(photos, tmp_path, capsys):
    assert main(["extract", str(photos), "-e", "pixels:size=4x4", "-o", str(tmp_path / "f.npz"), "-q",
                 "--on-error", "raise"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("featclf extract: error: ") and "1_bad.png" in err and err.count("\n") == 1
    assert not (tmp_path / "f.npz").exists()


def test_help_has_examples(capsys):
    assert main(["extract", "--help"]) == 0
    out = capsys.readouterr().out
    assert "featclf extract photos/ -e hog:size=64x64 -e colorhist -o features.npz" in out
    assert "allow_pickle=False" in out
