"""Kind 11: every fix an error suggests works when applied (no loop back to the refused value)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

import featclf
from featclf.engine import worker_died
from featclf.exceptions import ImageLoadError, InvalidParameterError, SkippedImagesError, SkippedImagesWarning


def _data(counts):
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(len(counts)), counts)
    return featclf.ArrayDataset(rng.integers(0, 256, (len(labels), 8, 8), dtype=np.uint8), labels)


@pytest.mark.parametrize("counts, cv, fewest", [((3, 6), 5, 3), ((2, 9), 2 + 1, 2), ((4, 4), 31, 4)])
def test_a_too_high_cv_suggests_the_smallest_class_count_and_it_works(counts, cv, fewest):
    data = _data(counts)
    with pytest.raises(InvalidParameterError, match=rf"Lower cv to at most {fewest} \(e\.g\. cv={fewest}; "
                                                    rf"command line: --cv {fewest}\)"):
        featclf.evaluate(data, extractors=["pixels"], classifiers=["knn:n_neighbors=1"], cv=cv, verbose=0)
    result = featclf.evaluate(data, extractors=["pixels"], classifiers=["knn:n_neighbors=1"], cv=fewest, verbose=0)
    assert len(result.results[0].fold_scores["accuracy"]) == fewest


@pytest.mark.parametrize("cv", [2, 5])
def test_a_class_of_one_image_never_suggests_a_cv(cv):
    with pytest.raises(InvalidParameterError,
                       match=r"single image cannot be cross-validated at any cv.*--test") as info:
        featclf.evaluate(_data((1, 6)), extractors=["pixels"], classifiers=["knn"], cv=cv, verbose=0)
    assert "e.g. cv=" not in str(info.value)


def test_a_size_beyond_max_pixels_suggests_a_size_that_fits():
    with pytest.raises(InvalidParameterError, match=r"more than max_pixels=1,000,000 \(.*typo.*\)\. Use a smaller "
                       r"size of at most 1,000,000 pixels, e\.g\. size=\(64, 64\) \(command line: NAME:size=64x64\); "
                       r"or, if that size is really meant, raise max_pixels to at least 25000000 \(command line: "
                       r"--max-pixels 25000000\)") as info:
        featclf.HOG(size=(5000, 5000), max_pixels=1_000_000).fit(None)
    assert "would not fit in memory" not in str(info.value)
    assert featclf.HOG(size=(64, 64), max_pixels=1_000_000).fit(None).image_size_ == (64, 64)


@pytest.mark.parametrize("max_pixels", [10, 63])
def test_a_tiny_max_pixels_suggests_raising_it_not_the_refused_size(max_pixels):
    with pytest.raises(InvalidParameterError, match=r"\. If that size is really meant, raise max_pixels to at least "
                       r"4096 \(command line: --max-pixels 4096\)\.$") as info:
        featclf.HOG(size=(64, 64), max_pixels=max_pixels).fit(None)
    assert "size=(64, 64)" not in str(info.value)
    assert featclf.HOG(size=(64, 64), max_pixels=4096).fit(None).n_features_out_ > 0


@pytest.mark.parametrize("cls, kwargs, example", [
    (featclf.HOG, {"size": 0}, (64, 64)),
    (featclf.RawPixels, {"size": (0, 3)}, (32, 32)),
    (featclf.HOG, {"size": -1, "pixels_per_cell": (16, 16), "cells_per_block": (5, 5)}, (80, 80)),
])
def test_a_bad_size_suggests_the_extractors_default(cls, kwargs, example):
    with pytest.raises(InvalidParameterError, match=rf"must be a pair of ints >= 1 \(e\.g\. \({example[0]}, "
                                                    rf"{example[1]}\)\) or None"):
        cls(**kwargs).fit(None)
    fixed = {**kwargs, "size": example}
    assert cls(**fixed).fit(None).image_size_ == example


@pytest.mark.parametrize("backbone", [None, "tiny"])
def test_a_bad_cnn_input_size_suggests_the_backbones_minimum(backbone):
    pytest.importorskip("torch")
    from featclf.extract.cnn import CNNEmbedding, get_backbone

    kwargs = {} if backbone is None else {"backbone": backbone}
    m = get_backbone(CNNEmbedding(**kwargs).backbone).min_input_size
    with pytest.raises(InvalidParameterError, match=rf"'input_size' parameter of CNNEmbedding must be a pair of ints "
                                                    rf">= 1 \(e\.g\. \({m}, {m}\)\)"):
        CNNEmbedding(input_size=0, **kwargs).fit()
    assert CNNEmbedding(input_size=(m, m), **kwargs)._resolved_config().input_size == (m, m)


def test_an_unreadable_image_in_a_pipeline_suggests_nan_which_works(tmp_path):
    from PIL import Image

    good = []
    for i in range(3):
        good.append(str(tmp_path / f"good{i}.png"))
        Image.fromarray(np.full((8, 8), 60 * i, np.uint8)).save(good[-1])
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not an image")
    X, y = [good[0], str(bad), good[1], good[2]], [0, 1, 0, 1]
    pipe = make_pipeline(featclf.RawPixels(size=(8, 8), verbose=0), LogisticRegression())
    with pytest.raises(ImageLoadError, match=r"on_error='skip' to leave unreadable images out \(extract\(\), "
                                             r"evaluate, cluster\), or on_error='nan' to keep a row of NaN for each "
                                             r"\(an extractor's transform, e\.g\. in a Pipeline\)"):
        pipe.fit(X, y)
    with pytest.raises(SkippedImagesError):  # why the Pipeline hint is not 'skip'
        pipe.set_params(rawpixels__on_error="skip").fit(X, y)
    with pytest.warns(SkippedImagesWarning, match="Filled with NaN the rows of 1 of 4 images"):
        features = featclf.RawPixels(size=(8, 8), on_error="nan", verbose=0).fit(X).transform(X)
    assert features.shape == (4, 64) and np.isnan(features[1]).all() and not np.isnan(features[0]).any()


@pytest.mark.parametrize("n_workers, fewer", [(2, 1), (8, 4)])
def test_a_dead_worker_names_fixes_that_exist_on_the_command_line(n_workers, fewer):
    message = str(worker_died("extracting features", n_workers))
    assert f"--n-jobs {fewer}" in message and "(command line: -e NAME:batch_size=16, --max-pixels N)" in message
    featclf.models.resolve_extractor("pixels:batch_size=16")  # the spec it names is accepted
