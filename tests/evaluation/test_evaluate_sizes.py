"""Kind 11: plain extractor names work on folders of mixed sizes; same-size data keeps its native size."""

from __future__ import annotations

import json
import os
import shutil

import numpy as np
import pytest
from conftest import draw_shape
from PIL import Image
from realdata import find_openclipart
from sklearn.base import clone

import featclf

OPENCLIPART = find_openclipart()
OCA_CLASSES = ["containers", "logos", "science"]  # 44 PNGs of many sizes


def _rules(result) -> dict:
    return {x["label"]: x["fitted"] for x in result.config["extractors"]}


@pytest.fixture(scope="module")
def mixed_folder(tmp_path_factory):
    """root/<bar|disc|square>/*.png, 8 images per class, each of another size (portrait, landscape, tiny, large)."""
    root = tmp_path_factory.mktemp("mixed")
    sizes = [(40, 48), (33, 70), (90, 41), (20, 22), (120, 160), (64, 64), (48, 36), (57, 57)]
    for k, kind in enumerate(("bar", "disc", "square")):
        (root / kind).mkdir()
        for i, size in enumerate(sizes):
            Image.fromarray(draw_shape(kind, seed=100 * k + i, size=size), "RGBA").save(root / kind / f"{i}.png")
    return root


def test_plain_names_work_on_a_folder_of_mixed_sizes(mixed_folder, tmp_path):
    """The issue's call: plain names and presets on a folder of images of many sizes."""
    data = featclf.ImageFolder(mixed_folder)
    result = featclf.evaluate(data, extractors=["pixels", "hog", "colorhist"], classifiers=["svm", "rf"], cv=2,
                              verbose=0)
    assert result.skipped == [] and result.dataset["n_used"] == 24
    assert [r.n_features for r in result.results] == [1024, 1024, 1764, 1764, 512, 512]
    rules = _rules(result)
    assert rules["pixels"]["image_size"] == [32, 32] and rules["hog"]["image_size"] == [64, 64]
    assert rules["pixels"]["size_rule"] == ("default: the 24 fitted images have 8 sizes (from 20x22 to 120x160), so "
                                            "every image is resized to RawPixels's default 32x32")
    assert rules["hog"]["size_rule"].startswith("default: ") and rules["hog"]["size_rule"].endswith("64x64")
    assert rules["colorhist"] == {"image_size": None,
                                  "size_rule": "any: images used as they come (these features need no common size)"}
    assert result.best.accuracy_mean > 0.8
    markdown = result.to_markdown()
    assert "- image sizes:\n  - pixels: default: the 24 fitted images have 8 sizes" in markdown
    result.to_json(tmp_path / "report.json")
    saved = json.loads((tmp_path / "report.json").read_text())
    assert saved["config"]["extractors"][0]["fitted"] == rules["pixels"]
    result.to_html(tmp_path / "report.html")
    assert "Image sizes:" in (tmp_path / "report.html").read_text()


def test_train_test_mode_fits_the_size_on_the_training_images_only():
    """The size is chosen by fit on the training set; a test image of another native size is skipped, named."""
    train = featclf.ArrayDataset((np.ones((6, 28, 28)) * np.arange(6)[:, None, None] * 40).astype(np.uint8),
                                 [0, 1, 0, 1, 0, 1], classes=["a", "b"])
    images = [np.full((28, 28), 200, np.uint8), np.full((30, 28), 10, np.uint8), np.full((28, 28), 10, np.uint8)]
    test = featclf.ArrayDataset(images, [1, 0, 0], classes=["a", "b"], name="test")
    with pytest.warns(featclf.exceptions.SkippedImagesWarning, match=r"1 of 9 images.*image is 30x28 but RawPixels"):
        result = featclf.evaluate(train, ["pixels"], ["knn:n_neighbors=1"], test=test, verbose=0)
    assert _rules(result)["pixels"]["image_size"] == [28, 28]
    assert [(s["source"], s["split"]) for s in result.skipped] == [("item 1 (ndarray)", "test")]


def test_same_size_data_keeps_its_native_size(digits_small):
    result = featclf.evaluate(digits_small, ["pixels", "hog:pixels_per_cell=2x2"], ["knn"], cv=3, verbose=0)
    rules = _rules(result)
    assert rules["pixels"] == {"image_size": [8, 8], "size_rule": "native: all 240 fitted images are 8x8, kept as "
                                                                  "they come"}
    assert rules["hog:pixels_per_cell=2x2"]["image_size"] == [8, 8]
    assert [r.n_features for r in result.results] == [64, 3 * 3 * 4 * 9]
    assert result.results[0].mean() > 0.9


def test_fashion_mnist_keeps_28x28():
    try:
        data = featclf.load_fashion_mnist(split="test")
    except featclf.exceptions.DatasetNotFoundError:
        pytest.skip("Fashion-MNIST IDX files not installed (apt-get install dataset-fashion-mnist)")
    sample = data.subset(np.arange(200))
    for extractor in (featclf.RawPixels(verbose=0), featclf.HOG(pixels_per_cell=(4, 4), verbose=0)):
        extractor.fit(sample)
        assert extractor.image_size_ == (28, 28) and extractor.size_rule_.startswith("native: all 200 fitted")
        resized = clone(extractor).set_params(size=(28, 28)).fit(None)  # the published figures' setting
        np.testing.assert_array_equal(extractor.transform(sample.sources[:20]), resized.transform(sample.sources[:20]))


@pytest.mark.skipif(OPENCLIPART is None or not all(os.path.isdir(os.path.join(OPENCLIPART, c)) for c in OCA_CLASSES),
                    reason="Open Clip Art not found (set FEATCLF_OPENCLIPART to its png/ folder)")
def test_plain_names_work_on_open_clip_art(tmp_path):
    """Real drawings of many sizes (e.g. 1052x744 next to 300x300): the issue's call, unchanged."""
    root = tmp_path / "png"
    for name in OCA_CLASSES:
        shutil.copytree(os.path.join(OPENCLIPART, name), root / name)
    data = featclf.ImageFolder(root)
    sizes = {Image.open(p).size for p in data.paths}
    assert len(sizes) > 5  # the collection is indeed of mixed sizes
    result = featclf.evaluate(data, extractors=["pixels", "hog", "colorhist"], classifiers=["svm", "rf"], cv=2,
                              verbose=0)
    assert result.dataset["n_used"] == len(data) and result.skipped == []
    rules = _rules(result)
    assert rules["pixels"]["image_size"] == [32, 32] and rules["hog"]["image_size"] == [64, 64]
    assert rules["pixels"]["size_rule"].startswith(f"default: the {len(data)} fitted images have {len(sizes)} sizes")
    assert len(result.results) == 6 and all(np.isfinite(r.mean()) for r in result.results)
