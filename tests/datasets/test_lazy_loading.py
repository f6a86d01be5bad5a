"""Datasets are lazy: constructing one decodes nothing; extraction decodes each image once."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from datagen import save_image
from PIL import Image

from featclf import CSVManifest, ImageFolder, UnlabelledFolder
from featclf.io import _image


@pytest.fixture
def counted(monkeypatch):
    """Count Pillow opens and featclf decodes (per source) during the test."""
    counts = {"pil_open": 0, "decoded": Counter()}
    real_open, real_decode = Image.open, _image._open_encoded

    def pil_open(*args, **kwargs):
        counts["pil_open"] += 1
        return real_open(*args, **kwargs)

    def decode(source, *args):
        counts["decoded"][str(source)] += 1
        return real_decode(source, *args)

    monkeypatch.setattr(Image, "open", pil_open)
    monkeypatch.setattr(_image, "_open_encoded", decode)
    return counts


@pytest.fixture
def tree(tmp_path):
    for i in range(6):
        save_image(tmp_path / "imgs" / f"class{i % 2}" / f"sub{i % 3}" / f"{i}.png", "RGBA", seed=i)
    (tmp_path / "imgs" / "list.csv").write_text(
        "path,label\n" + "".join(f"class{i % 2}/sub{i % 3}/{i}.png,c{i % 2}\n" for i in range(6))
    )
    return tmp_path / "imgs"


def test_constructing_datasets_decodes_nothing(tree, counted):
    folder = ImageFolder(tree)
    unlabelled = UnlabelledFolder(tree)
    manifest = CSVManifest(tree / "list.csv")
    assert len(folder) == len(unlabelled) == len(manifest) == 6
    assert folder.summary()["n_images"] == 6 and folder.class_counts() == {"class0": 3, "class1": 3}
    assert counted["pil_open"] == 0 and sum(counted["decoded"].values()) == 0
    assert all(isinstance(p, str) for p in folder.sources)  # sources, not pixels


def test_extraction_decodes_each_image_exactly_once(tree, counted):
    from featclf import RawPixels

    folder = ImageFolder(tree)
    features = RawPixels(size=(4, 4), n_jobs=1, verbose=0).fit(folder).transform(folder)
    assert features.shape == (6, 16)
    assert counted["decoded"] == Counter({p: 1 for p in folder.paths})
    assert counted["pil_open"] == 6


def test_loading_one_item_decodes_only_that_item(tree, counted):
    folder = ImageFolder(tree)
    image = folder.load(2)
    assert image.shape == (5, 6, 3) and image.dtype == np.uint8
    assert counted["decoded"] == Counter({folder.paths[2]: 1})
