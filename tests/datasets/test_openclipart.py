"""Acceptance on a real collection no one here wrote: Open Clip Art PNGs (skipped when absent).

A small subset (three category folders, nested, with symlinked files and RGBA / LA /
palette / grey PNGs with transparent backgrounds) is copied to tmp_path, non-image and
hidden files are added, and the folder loader and the image loader are checked against
it. The fuller run with recorded counts is ``benchmarks/acceptance_openclipart.py``.
"""

from __future__ import annotations

import os
import re
import shutil

import numpy as np
import pytest
from realdata import find_openclipart
from PIL import Image

from featclf import ImageFolder, load_images
from featclf.exceptions import FeatclfWarning, ImageLoadError, SkippedImagesWarning

COLLECTION = find_openclipart()
CLASSES = ["containers", "logos", "science"]  # 44 PNGs, about 14 megapixels

pytestmark = pytest.mark.skipif(
    COLLECTION is None or not all(os.path.isdir(os.path.join(COLLECTION, c)) for c in CLASSES),
    reason="Open Clip Art not found (set FEATCLF_OPENCLIPART to its png/ folder)",
)


def pngs_below(root):
    """Independent reference listing: relative paths of .png entries (files or links to files)."""
    return sorted(
        os.path.relpath(os.path.join(d, f), root)
        for d, _, files in os.walk(root) for f in files
        if f.lower().endswith(".png") and os.path.isfile(os.path.join(d, f))
    )


@pytest.fixture(scope="module")
def subset(tmp_path_factory):
    root = tmp_path_factory.mktemp("openclipart") / "png"
    expected = []
    for name in CLASSES:
        expected += [os.path.join(str(root), name, r) for r in pngs_below(os.path.join(COLLECTION, name))]
        shutil.copytree(os.path.join(COLLECTION, name), root / name, symlinks=False)
        for extra in ("README.txt", "sound.ogg", "drawing.svg", "index.dat"):
            (root / name / extra).write_bytes(b"not an image")
        Image.new("RGBA", (4, 4)).save(root / name / ".hidden.png")
    os.makedirs(root / "science" / "astronomy" / "notes")
    (root / "science" / "astronomy" / "notes" / "stars.txt").write_text("x")
    return str(root), sorted(expected)


def test_folder_finds_exactly_the_images_and_the_classes(subset):
    root, expected = subset
    with pytest.warns(FeatclfWarning) as record:  # the added files are counted, by extension
        ds = ImageFolder(root)
    assert len(record) == 1 and str(record[0].message) == (
        f"{root}: {len(expected)} images in 3 classes; 16 files left out (.txt: 4; .dat: 3; .ogg: 3; .svg: 3; "
        "hidden: 3), see .left_out.")
    assert sorted(ds.paths) == expected and len(expected) >= 40
    assert ds.classes == CLASSES
    assert any(p.count(os.sep) - root.count(os.sep) > 2 for p in ds.paths)  # nested folders were walked
    for path, label in zip(ds.paths, ds.labels):
        assert os.path.relpath(path, root).split(os.sep)[0] == ds.classes[label]


def test_every_image_is_rgb_uint8_and_transparency_is_white(subset):
    root, _ = subset
    ds = ImageFolder(root)
    result = load_images(ds, n_jobs=1, verbose=0)
    assert result.indices == list(range(len(ds))) and result.skipped == []
    checked = 0
    for path, image in zip(ds.paths, result.images):
        assert image.ndim == 3 and image.shape[2] == 3 and image.dtype == np.uint8, path
        with Image.open(path) as im:
            if im.mode not in ("RGBA", "LA", "PA") and "transparency" not in im.info:
                continue
            alpha = np.asarray(im.convert("RGBA"))[..., 3]
        assert image.shape[:2] == alpha.shape
        if (alpha == 0).any():
            assert (image[alpha == 0] == 255).all(), f"{path}: transparent pixels are not white"
            checked += 1
    assert checked >= 30  # most clip art has a transparent background


def test_truncated_file_is_named_and_skipped(subset, tmp_path):
    root, _ = subset
    copy = tmp_path / "png"
    shutil.copytree(root, copy)
    ds = ImageFolder(copy)
    victim_index = len(ds) // 2
    victim = ds.paths[victim_index]
    data = open(victim, "rb").read()
    with open(victim, "wb") as f:
        f.write(data[: len(data) // 2])

    with pytest.raises(ImageLoadError, match=rf"^{re.escape(victim)}: cannot be decoded.*truncated") as info:
        load_images(ds, on_error="raise", verbose=0)
    assert isinstance(info.value, OSError) and info.value.source == victim

    with pytest.warns(SkippedImagesWarning, match=rf"Skipped 1 of {len(ds)} images.*{re.escape(victim)}"):
        result = load_images(ds, on_error="skip", verbose=0)
    assert [source for _, source, _ in result.skipped] == [victim]
    assert "truncated" in result.skipped[0].reason
    assert result.indices == [i for i in range(len(ds)) if i != victim_index]
    assert all(im.ndim == 3 and im.shape[2] == 3 and im.dtype == np.uint8 for im in result.images)
