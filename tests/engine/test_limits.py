"""Bounded memory and degenerate output: max_pixels in every worker, output sizes refused up front,
no DecompressionBombWarning, and a warning when an extractor's output is the same for every image."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
from PIL import Image

import featclf
import featclf.engine._extract as extract_module
from featclf.exceptions import (
    ConstantFeaturesWarning,
    ImageTooLargeError,
    InvalidParameterError,
    OutputTooLargeError,
    SkippedImagesWarning,
)


def _files(tmp_path, shapes):
    """One PNG per (height, width), random content, named by position."""
    rng = np.random.default_rng(0)
    paths = []
    for i, (h, w) in enumerate(shapes):
        path = tmp_path / f"{i}_{h}x{w}.png"
        Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)).save(path)
        paths.append(str(path))
    return paths


EXTRACTORS = {
    "pixels": lambda **kw: featclf.RawPixels(size=(8, 8), verbose=0, **kw),
    "hog": lambda **kw: featclf.HOG(size=(16, 16), verbose=0, **kw),
    "colorhist": lambda **kw: featclf.ColorHistogram(verbose=0, **kw),
}


# --------------------------------------------------------------------------- max_pixels, in every worker
@pytest.mark.parametrize("name", sorted(EXTRACTORS))
@pytest.mark.parametrize("n_jobs", [1, 2])
def test_images_above_max_pixels_are_refused_in_every_worker(tmp_path, name, n_jobs):
    paths = _files(tmp_path, [(20, 20), (30, 40), (20, 20), (10, 10)])  # 400, 1200, 400, 100 pixels
    with pytest.raises(ImageTooLargeError, match=rf"^{re.escape(paths[1])}: image of 40x30 pixels \(width x height\) "
                       r"is 1,200 pixels, more than max_pixels=1,000 .*pass max_pixels=1200"):
        EXTRACTORS[name](max_pixels=1000, n_jobs=n_jobs).fit(paths[2:]).transform(paths)
    extractor = EXTRACTORS[name](max_pixels=1000, n_jobs=n_jobs, on_error="skip").fit(paths[2:])
    record = extractor.extract(paths)
    assert record.indices.tolist() == [0, 2, 3]
    assert [(s.index, s.source) for s in record.skipped] == [(1, paths[1])]
    assert "more than max_pixels=1,000" in record.skipped[0].reason
    full = EXTRACTORS[name](max_pixels=1200, n_jobs=n_jobs).fit(paths[2:]).transform(paths)
    np.testing.assert_array_equal(full[[0, 2, 3]], record.features)


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_load_images_honours_max_pixels_in_workers(tmp_path, n_jobs):
    paths = _files(tmp_path, [(20, 20), (30, 40)])
    with pytest.warns(SkippedImagesWarning, match="more than max_pixels=500"):
        loaded = featclf.load_images(paths, max_pixels=500, on_error="skip", n_jobs=n_jobs, verbose=0)
    assert loaded.indices == [0] and loaded.skipped[0].index == 1
    assert len(featclf.load_images(paths, max_pixels=None, n_jobs=n_jobs, verbose=0)) == 2


def test_the_strictest_max_pixels_of_a_pass_decides(tmp_path):
    paths = _files(tmp_path, [(20, 20), (30, 40)])
    loose = featclf.RawPixels(size=(8, 8), verbose=0, on_error="skip", max_pixels=None).fit(None)
    strict = featclf.HOG(size=(16, 16), verbose=0, max_pixels=1000).fit(None)
    records = featclf.engine.extract_many([loose, strict], paths)
    assert [r.indices.tolist() for r in records] == [[0], [0]]


@pytest.mark.parametrize("value", [0, -1, 2.5, "1000"])
def test_bad_max_pixels_is_refused_at_fit(value):
    with pytest.raises(InvalidParameterError, match=r"The 'max_pixels' parameter of RawPixels must be an int >= 1 or "
                       rf"None. Got {re.escape(repr(value))} instead."):
        featclf.RawPixels(max_pixels=value).fit(None)


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_no_decompression_bomb_warning_reaches_the_user(tmp_path, monkeypatch, n_jobs):
    """Images between Pillow's warning and refusal limits, and beyond them: featclf's limit alone decides."""
    paths = _files(tmp_path, [(30, 40), (20, 20), (40, 40)])  # 1,200 / 400 / 1,600 pixels
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 700)  # Pillow: warn above 700, refuse above 1,400
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        X = featclf.HOG(size=(16, 16), verbose=0, n_jobs=n_jobs).fit_transform(paths)
        loaded = featclf.load_images(paths, n_jobs=n_jobs, verbose=0)
        one = featclf.load_image(paths[2])
    assert X.shape[0] == 3 and len(loaded) == 3 and one.shape == (40, 40, 3)


# --------------------------------------------------------------------------- output sizes, before decoding
@pytest.mark.parametrize("make, name", [
    (lambda: featclf.RawPixels(size=(100_000, 100_000)), "size"),
    (lambda: featclf.HOG(size=(20_000, 10_000)), "size"),
    (lambda: featclf.ColorHistogram(size=(50_000, 50_000)), "size"),
    (lambda: featclf.RawPixels(size=(400, 400), max_pixels=1000), "size"),
])
def test_a_size_beyond_max_pixels_is_refused_at_fit(make, name):
    extractor = make()
    h, w = extractor.size
    with pytest.raises(InvalidParameterError, match=rf"The '{name}' parameter of {type(extractor).__name__} asks for "
                       rf"images of {h}x{w} = {h * w:,} pixels, more than max_pixels=.*raise max_pixels to at "
                       rf"least {h * w} \(command line: --max-pixels {h * w}\)\."):
        extractor.fit(["never/read.png"])


def test_feature_names_are_built_when_asked_not_at_fit():
    extractor = featclf.RawPixels(size=(20_000, 20_000), max_pixels=None, verbose=0).fit(None)
    assert extractor.n_features_out_ == 400_000_000
    assert "feature_names_out_" not in vars(extractor)
    small = featclf.HOG(size=(16, 16), pixels_per_cell=(8, 8), orientations=2, verbose=0).fit(None)
    assert small.get_feature_names_out().tolist() == [
        f"hog_b0_0_c{y}_{x}_o{k}" for y in range(2) for x in range(2) for k in range(2)]
    assert len(small.feature_names_out_) == small.n_features_out_ == 8


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_a_feature_matrix_beyond_available_memory_is_refused_before_decoding(monkeypatch, n_jobs):
    monkeypatch.setattr(extract_module, "available_memory", lambda: 10_000_000)  # 10 MB
    pixels = featclf.RawPixels(size=(100, 100), verbose=0, n_jobs=n_jobs).fit(None)  # 40 kB a row
    missing = [f"/no/such/{i}.png" for i in range(300)]  # would fail if anything were decoded
    with pytest.raises(OutputTooLargeError, match=r"^The features of 300 images would take 12\.0 MB \(RawPixels: "
                       r"10,000 features; float32\), more than the 10\.0 MB of memory available\. Use a smaller "
                       r"'size'"):
        pixels.transform(missing)
    with pytest.raises(MemoryError):
        featclf.RawPixels(size=(20_000, 20_000), max_pixels=None, verbose=0).fit(None).transform(missing[:1])


# --------------------------------------------------------------------------- constant output
def test_output_constant_over_all_images_warns_naming_the_extractor():
    same = list(np.full((4, 8, 8), 77, np.uint8))  # a list: a (4, 8, 8) array may be one channels-first image
    with pytest.warns(ConstantFeaturesWarning, match=r"^RawPixels gave the same 64 features for all 4 images: its "
                      r"output cannot tell them apart"):
        featclf.RawPixels(verbose=0).fit_transform(same)
    with pytest.warns(ConstantFeaturesWarning, match=r"^HOG gave the same 36 features for all 4 images \(all zero\)"):
        featclf.HOG(pixels_per_cell=(4, 4), verbose=0).fit(same).extract(same)


def test_constant_columns_or_a_single_image_do_not_warn():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (5, 8, 8, 3), dtype=np.uint8)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConstantFeaturesWarning)
        X = featclf.ColorHistogram(color_space="lab", bins=8, verbose=0).fit_transform(images)
        assert (X.min(0) == X.max(0)).any()  # Lab's outer a/b bins stay empty: constant columns, rows differ
        featclf.RawPixels(verbose=0).fit_transform(images[:1])  # one image: nothing to compare


def test_evaluate_warns_about_constant_output():
    images = np.full((12, 8, 8), 9, np.uint8)
    data = featclf.ArrayDataset(images, [0, 1] * 6)
    with pytest.warns(ConstantFeaturesWarning, match="^RawPixels gave the same 64 features for all 12 images"):
        featclf.evaluate(data, ["pixels"], ["knn"], cv=2, verbose=0)
