"""The features stage: each extractor fitted once, images decoded once for all, rows paired across extractors."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from sklearn.decomposition import PCA

import featclf
from featclf.engine import Extraction, SkippedInput
from featclf.engine import _extract as engine_extract
from featclf.exceptions import InvalidParameterError
from featclf.stages import compute_features, pair_features


@pytest.fixture
def files(tmp_path):
    rng = np.random.default_rng(0)
    paths = []
    for i in range(9):
        path = tmp_path / f"{i}.png"
        Image.fromarray(rng.integers(0, 256, (20 + i, 24, 3), dtype=np.uint8)).save(path)
        paths.append(str(path))
    paths[4] = str(tmp_path / "missing.png")
    return paths


def extractors():
    return [featclf.RawPixels(size=(8, 8), on_error="skip", verbose=0),
            featclf.HOG(size=(16, 16), on_error="skip", verbose=0),
            featclf.ColorHistogram(bins=4, on_error="skip", verbose=0)]


def test_each_extractor_gets_its_own_record_from_one_decoding_pass(files, monkeypatch):
    decoded = []
    real = engine_extract.decode_image
    monkeypatch.setattr(engine_extract, "decode_image", lambda s, **kw: decoded.append(s) or real(s, **kw))
    sets = compute_features(extractors(), files)
    assert decoded == files  # once each, in order, for all three extractors
    for fs, alone in zip(sets, extractors()):
        expected = alone.fit(files).extract(files)
        np.testing.assert_array_equal(fs.train.features, expected.features)
        assert fs.train.indices.tolist() == [0, 1, 2, 3, 5, 6, 7, 8]
        assert [(s.index, s.source) for s in fs.train.skipped] == [(4, files[4])]
        assert fs.test is None and fs.seconds > 0
    assert [fs.n_features for fs in sets] == [64, 36, 64]


def test_a_test_set_gets_its_records_too(files):
    train, test = files[:6], files[6:]
    sets = compute_features(extractors(), train, test)
    for fs in sets:
        assert fs.train.n_inputs == 6 and fs.test.n_inputs == 3
        assert fs.test.indices.tolist() == [0, 1, 2]


def test_other_transformers_keep_every_row_or_say_which_are_missing():
    X = np.random.default_rng(1).random((10, 4))
    sets = compute_features([PCA(n_components=2)], X)  # any transformer: its rows are the inputs
    assert sets[0].train.features.shape == (10, 2) and sets[0].train.indices.tolist() == list(range(10))

    class Shortening(PCA):
        def transform(self, X):
            return super().transform(X)[:-1]

    with pytest.raises(InvalidParameterError, match=r"returned 9 rows for 10 images without saying which"):
        compute_features([Shortening(n_components=2)], X)


def test_pairing_keeps_the_images_every_extractor_read_and_aligns_rows():
    a = Extraction(np.arange(8, dtype=np.float32).reshape(4, 2), np.array([0, 1, 3, 4]),
                   [SkippedInput(2, "c.png", "truncated")], 5)
    b = Extraction(np.arange(4, dtype=np.float32).reshape(4, 1) + 10, np.array([0, 2, 3, 4]),
                   [SkippedInput(1, "b.png", "too small")], 5)
    paired = pair_features([a, b], ["hog", "cnn"])
    assert paired.indices.tolist() == [0, 3, 4]
    np.testing.assert_array_equal(paired.X[0], [[0, 1], [4, 5], [6, 7]])
    np.testing.assert_array_equal(paired.X[1], [[10], [12], [13]])
    assert paired.skipped == [
        {"index": 1, "source": "b.png", "reason": "too small", "extractors": ["cnn"]},
        {"index": 2, "source": "c.png", "reason": "truncated", "extractors": ["hog"]},
    ]


def test_images_with_transparency_give_each_extractor_what_it_gets_alone(tmp_path):
    """One pass composites a cut-out once for the extractors that need it; ColorHistogram keeps alpha."""
    rng = np.random.default_rng(3)
    paths = []
    for i, mode in enumerate(["RGBA", "LA", "RGBA", "P", "RGB"]):
        array = rng.integers(0, 256, (30, 26, 4), dtype=np.uint8)
        array[:10, :, 3] = 0  # a transparent band, with colour hidden under it
        image = Image.fromarray(array, "RGBA")
        image = image.convert(mode) if mode != "P" else image.convert("RGB").quantize(16)
        paths.append(str(tmp_path / f"{i}.png"))
        image.save(paths[-1])
    together = compute_features(extractors(), paths)
    for fs, alone in zip(together, extractors()):
        np.testing.assert_array_equal(fs.train.features, alone.fit(paths).extract(paths).features)


def _sized_files(folder, n):
    """``n`` noise PNGs of heights 60, 61, ... (width 80): n sizes."""
    folder.mkdir()
    paths = []
    for i in range(n):
        path = folder / f"{i}.png"
        Image.fromarray(np.random.default_rng(i).integers(0, 255, (60 + i, 80), dtype=np.uint8)).save(path)
        paths.append(str(path))
    return paths


def test_the_size_rule_counts_only_the_images_actually_read(tmp_path):
    paths = _sized_files(tmp_path / "mixed", 6)
    data = open(paths[5], "rb").read()
    with open(paths[5], "wb") as f:  # header sound, pixels cut: counted by a header read, fails to decode
        f.write(data[: len(data) // 2])
    (tmp_path / "bad.png").write_bytes(b"not an image")  # no header: never counted
    fs = compute_features([featclf.HOG(on_error="skip", verbose=0)], paths + [str(tmp_path / "bad.png")],
                          on_error="skip")[0]
    assert fs.train.n_kept == 5 and [s.index for s in fs.train.skipped] == [5, 6]
    assert fs.fitted == {"image_size": [64, 64], "size_rule": "default: the 5 fitted images have 5 sizes (from 60x80 "
                                                              "to 64x80), so every image is resized to HOG's default "
                                                              "64x64"}


def test_a_recount_that_would_choose_another_size_keeps_the_size_and_says_so(tmp_path):
    paths = _sized_files(tmp_path / "two", 2)
    data = open(paths[1], "rb").read()
    with open(paths[1], "wb") as f:
        f.write(data[: len(data) // 2])
    fs = compute_features([featclf.RawPixels(on_error="skip", verbose=0)], paths, on_error="skip")[0]
    assert fs.fitted["image_size"] == list(featclf.RawPixels()._default_image_size())  # the size the features have
    assert fs.fitted["size_rule"].startswith("default: the 2 fitted images have 2 sizes (from 60x80 to 61x80)")
    assert fs.fitted["size_rule"].endswith(" (1 of these images could not be decoded)")
