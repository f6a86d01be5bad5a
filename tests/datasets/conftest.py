"""Fixtures for the dataset tests: a messy image collection like real ones (see datagen.py)."""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest
from datagen import save_image


@dataclass
class Collection:
    root: str
    images: dict  # class name -> sorted list of the image paths that must be found
    outside: str  # a folder outside root, reached through a symlink


@pytest.fixture
def collection(tmp_path):
    """root/<class>/**/<image> with mixed modes and formats, nested folders, non-image files,
    hidden files and folders, a symlinked folder, a symlink loop and an empty class folder.
    Files are created in non-sorted order."""
    root = tmp_path / "root"
    outside = tmp_path / "outside"
    found = {"dogs": [], "cats": [], "birds": []}

    def img(cls, rel, mode="RGB", **params):
        path = save_image(root / cls / rel, mode, seed=len(found[cls]), **params)
        found[cls].append(str(path))

    img("dogs", "z_last.png", "RGBA")
    img("dogs", "a.tif", "I;16")
    img("dogs", "nested/deeper/b.webp", "RGBA", lossless=True)
    img("cats", "photo.JPG", "RGB", quality=90)
    img("cats", "mono.bmp", "L")
    img("cats", "sub/anim.gif", "P")
    img("cats", "sub/grey_alpha.png", "LA")
    img("cats", "x.jpeg", "CMYK")
    img("birds", "palette.png", "P")
    img("birds", "bw.png", "1")
    img("birds", "photo.tiff", "RGB")

    # files that are not images (ignored, not errors)
    for rel in ["dogs/readme.txt", "dogs/bark.ogg", "cats/vector.svg", "cats/sub/data.dat", "birds/LICENSE"]:
        (root / rel).write_text("not an image\n")
    # hidden files and folders (ignored)
    save_image(root / "cats" / ".thumb.png")
    save_image(root / "cats" / ".cache" / "c.png")
    save_image(root / ".hidden_class" / "h.png")
    # an empty class folder (only a non-image file)
    (root / "empty_class").mkdir()
    (root / "empty_class" / "notes.txt").write_text("nothing yet")
    # a symlinked folder, followed
    g = save_image(outside / "g.png", "RGB", seed=7)
    save_image(outside / "h.png", "RGBA", seed=8)
    os.symlink(outside, root / "birds" / "linked")
    found["birds"] += [str(root / "birds" / "linked" / "g.png"), str(root / "birds" / "linked" / "h.png")]
    assert g.exists()
    # a symlink loop: cats/sub/loop -> cats
    os.symlink(root / "cats", root / "cats" / "sub" / "loop")
    # a broken symlink with an image name
    os.symlink(tmp_path / "nowhere.png", root / "dogs" / "broken.png")

    return Collection(str(root), {k: sorted(v) for k, v in found.items()}, str(outside))
