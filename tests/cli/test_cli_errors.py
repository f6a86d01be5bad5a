"""Command-line errors: one line on stderr, exit code 2 for usage errors and 1 for other failures."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from featclf.cli import main


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "featclf: error: the following arguments are required: COMMAND (see 'featclf --help')"),
        (["frobnicate"], "featclf: error: argument COMMAND: invalid choice: 'frobnicate'"),
        (["evaluate"], "featclf evaluate: error: the following arguments are required: DATA"),
        (["evaluate", "digits", "--cv", "1"], "argument --cv: invalid value '1': cross-validation needs at least 2"),
        (["evaluate", "digits", "--cv", "five"], "argument --cv: invalid value 'five': expected an int >= 2 or 'split'"),
        (["evaluate", "digits", "--limit", "0"], "argument --limit: invalid value '0': expected a positive int"),
        (["evaluate", "digits", "--rank-by", "auc"], "argument --rank-by: invalid choice: 'auc'"),
        (["evaluate", "digits", "-e", "hgo"], "featclf evaluate: error: Unknown extractor 'hgo'. Available: "),
        (["evaluate", "digits", "-e", "hgo"], "colorhist, hog, pixels. Did you mean 'hog'?"),
        (["evaluate", "digits", "-c", "forest"], "Unknown classifier 'forest'. Available: knn, linear-svm, logreg, rf, "
                                                 "svm."),
        (["evaluate", "digits", "-c", "svm:C"], "Cannot read 'C' in the classifier spec 'svm:C'"),
        (["evaluate", "digits", "-e", "pixels:colour=rgb"], "Extractor 'pixels' (RawPixels) has no parameter 'colour'"),
        (["evaluate", "digits", "-e", "pixels:color=blue"], "The 'color' parameter of RawPixels must be one of"),
        (["evaluate", "nowhere/at/all"], "'nowhere/at/all': no such folder or file. DATA is an image folder"),
        (["evaluate", "fashion-mnist:/no/such/dir"], "Fashion-MNIST files train-images-idx3-ubyte.gz and "
                                                     "train-labels-idx1-ubyte.gz not found in: /no/such/dir"),
        (["evaluate", "digits", "--cv", "split"], "--cv split needs a test set: pass --test DATA"),
        (["evaluate", "digits", "--cv", "3", "--test", "digits"], "--cv 3 and --test were both given"),
        (["evaluate", "digits", "--cv", "200", "-e", "pixels", "-c", "knn"],
         "The 'cv' parameter of evaluate is 200, but stratified 200-fold cross-validation needs at least 200 images "
         "per class"),
    ],
)
def test_usage_errors_exit_2_with_one_line(argv, message, capsys, tmp_path):
    assert main([*argv, "--out", str(tmp_path / "out")] if argv[:1] == ["evaluate"] and len(argv) > 1 else argv) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert message in lines[0]
    assert "Traceback" not in captured.err
    assert not (tmp_path / "out").exists()  # nothing written on error


def test_a_file_that_is_not_a_manifest(tmp_path, capsys):
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    assert main(["evaluate", str(path)]) == 2
    assert f"{path}: a file that is not a .csv manifest" in capsys.readouterr().err


def test_unreadable_image_with_on_error_raise_exits_1_naming_the_file(tmp_path, capsys):
    for name in ("a", "b"):
        (tmp_path / "data" / name).mkdir(parents=True)
        for i in range(3):
            Image.new("RGB", (8, 8), (i * 40, 0, 0) if name == "a" else (0, 0, i * 40)).save(
                tmp_path / "data" / name / f"{i}.png")
    (tmp_path / "data" / "b" / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    code = main(["evaluate", str(tmp_path / "data"), "-e", "pixels", "-c", "knn:n_neighbors=1", "--cv", "2",
                 "--on-error", "raise", "--out", str(tmp_path / "out"), "-q"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1
    assert len(err) == 1 and err[0].startswith("featclf evaluate: error: ") and "bad.png" in err[0]


def test_mixed_image_sizes_without_size_are_resized_to_the_default(tmp_path, capsys):
    for name, shape in (("a", (8, 8)), ("b", (9, 12))):
        (tmp_path / "data" / name).mkdir(parents=True)
        for i in range(2):
            Image.new("RGB", shape, (i * 90, 20, 20)).save(tmp_path / "data" / name / f"{i}.png")
    code = main(["evaluate", str(tmp_path / "data"), "-e", "pixels", "-c", "knn:n_neighbors=1", "--cv", "2", "-q",
                 "--out", str(tmp_path / "out")])
    assert code == 0, capsys.readouterr().err
    report = (tmp_path / "out" / "report.md").read_text()
    assert "  - pixels: default: the 4 fitted images have 2 sizes (from 8x8 to 12x9)" in report


def test_a_test_image_of_another_size_than_the_native_one_exit_2_with_the_fix(tmp_path, capsys):
    for split, shapes in (("train", ((8, 8), (8, 8))), ("test", ((8, 8), (9, 12)))):
        for name in ("a", "b"):
            (tmp_path / split / name).mkdir(parents=True)
            for i, shape in enumerate(shapes):
                Image.new("RGB", shape, (i * 90, 20, 20)).save(tmp_path / split / name / f"{i}.png")
    code = main(["evaluate", str(tmp_path / "train"), "--test", str(tmp_path / "test"), "-e", "pixels",
                 "-c", "knn:n_neighbors=1", "--on-error", "raise", "-q", "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1
    assert "1.png: image is 12x9 but RawPixels was fitted on 8x8 images" in err[0]
    assert "Set size=(8, 8)" in err[0]
    assert err[0].endswith("On the command line: --extractor NAME:size=HxW.")  # no other extractor named


def test_help_and_version(capsys):
    assert main(["--help"]) == 0
    assert "evaluate" in capsys.readouterr().out
    assert main(["evaluate", "--help"]) == 0
    out = capsys.readouterr().out
    assert "--extractor SPEC" in out and "--classifier SPEC" in out and "[:DIR]" in out
    assert "examples:\n  featclf evaluate photos/" in out
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("featclf ")


# --------------------------------------------------------------------------- limits (issue 9, kinds 5 and 6)
def _folder(tmp_path, big=(30, 40)):
    """Two classes of three 8x8 images; one image of ``big`` (height, width) in class a."""
    rng = np.random.default_rng(0)
    for name in ("a", "b"):
        (tmp_path / "data" / name).mkdir(parents=True)
        for i in range(3):
            Image.fromarray(rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)).save(tmp_path / "data" / name / f"{i}.png")
    Image.fromarray(rng.integers(0, 256, (*big, 3), dtype=np.uint8)).save(tmp_path / "data" / "a" / "big.png")
    return str(tmp_path / "data")


@pytest.mark.parametrize("n_jobs", ["1", "2"])
def test_max_pixels_flag_skips_larger_images_in_every_worker(tmp_path, capsys, n_jobs):
    data = _folder(tmp_path)
    argv = ["evaluate", data, "-e", "pixels:size=8x8", "-c", "knn:n_neighbors=1", "--cv", "2", "-q", "--n-jobs", n_jobs]
    assert main([*argv, "--max-pixels", "1000", "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "Skipped 1 unreadable images, e.g. " in out and "big.png: image of 40x30 pixels (width x height) is 1,200 " \
        "pixels, more than max_pixels=1,000" in out
    assert main([*argv, "--max-pixels", "none", "--out", str(tmp_path / "out2")]) == 0
    assert "Skipped" not in capsys.readouterr().out


@pytest.mark.parametrize("value", ["abc", "0", "-3"])
def test_bad_max_pixels_flag_exits_2(tmp_path, capsys, value):
    assert main(["evaluate", "digits", "--max-pixels", value, "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"argument --max-pixels: invalid value '{value}': expected a number of pixels" in err[0]


def test_absurd_output_size_and_crashing_hog_geometry_exit_2_before_extraction(tmp_path, capsys):
    assert main(["evaluate", "digits", "-e", "pixels:size=100000x100000", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "The 'size' parameter of RawPixels asks for images of 100000x100000" in err[0]
    assert main(["evaluate", "digits", "-e", "hog:pixels_per_cell=150x100", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "HOG(method='opencv') cannot use blocks of 300x200 pixels" in err[0]
    assert not (tmp_path / "o").exists()


def test_constant_features_are_one_warning_line(tmp_path, capsys):
    for name in ("a", "b"):
        (tmp_path / "data" / name).mkdir(parents=True)
        for i in range(3):
            Image.new("L", (8, 8), 100).save(tmp_path / "data" / name / f"{i}.png")
    assert main(["evaluate", str(tmp_path / "data"), "-e", "pixels", "-c", "knn:n_neighbors=1", "--cv", "2", "-q",
                 "--out", str(tmp_path / "out")]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["featclf: warning: RawPixels gave the same 64 features for all 6 images: its output cannot tell "
                   "them apart, and a classifier on it scores at chance. Check its parameters (e.g. a size or "
                   "input_size too small to keep any detail) and that the images are not all blank."]
