"""Generated labelled folders for the saved-model tests (class folders of small PNGs, written into tmp_path)."""

from __future__ import annotations

import os

import numpy as np
from PIL import Image

CLASSES = ("circle", "stripes", "noise")


def picture(kind: str, i: int, size: int = 16) -> np.ndarray:
    """A grey ``size x size`` picture of one of three kinds, varied by ``i`` (uint8)."""
    rng = np.random.default_rng(1000 * CLASSES.index(kind) + i)
    yy, xx = np.mgrid[0:size, 0:size]
    if kind == "circle":
        r = size / 4 + (i % 3)
        image = 200.0 * (((yy - size / 2) ** 2 + (xx - size / 2) ** 2) < r * r)
    elif kind == "stripes":
        image = 200.0 * (((xx + i) // 2) % 2)
    else:
        image = rng.uniform(0, 255, (size, size))
    return np.clip(image + rng.normal(0, 20, (size, size)), 0, 255).astype(np.uint8)


def class_folder(root, classes=CLASSES, per_class: int = 10) -> str:
    """``root/<class>/<i>.png``: ``per_class`` pictures of each class."""
    for kind in classes:
        os.makedirs(os.path.join(root, kind), exist_ok=True)
        for i in range(per_class):
            Image.fromarray(picture(kind, i)).save(os.path.join(root, kind, f"{i}.png"))
    return os.fspath(root)


def new_images(root, n: int = 6, unreadable_at: int | None = 2) -> list[str]:
    """``n`` new pictures (kinds in turn) in ``root``, the one at ``unreadable_at`` an unreadable file."""
    os.makedirs(root, exist_ok=True)
    paths = []
    for i in range(n):
        path = os.path.join(root, f"new_{i}.png")
        if i == unreadable_at:
            with open(path, "wb") as f:
                f.write(b"not an image")
        else:
            Image.fromarray(picture(CLASSES[i % 3], 50 + i)).save(path)
        paths.append(path)
    return paths
