"""Fixtures for the evaluation tests: small labelled datasets, in memory and on disk."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

import featclf


@pytest.fixture(scope="session")
def digits_small():
    """240 digits (24 per class), a stratified, deterministic subset: fast to evaluate."""
    digits = featclf.load_digits()
    rows = np.concatenate([np.flatnonzero(digits.labels == k)[:24] for k in range(10)])
    return digits.subset(np.sort(rows))


def draw_shape(kind: str, seed: int, size=(40, 48)) -> np.ndarray:
    """An RGBA picture of a coloured shape on a transparent background, with noise."""
    rng = np.random.default_rng(seed)
    h, w = size
    yy, xx = np.mgrid[:h, :w]
    cy, cx = h / 2 + rng.uniform(-4, 4), w / 2 + rng.uniform(-4, 4)
    r = rng.uniform(9, 14)
    if kind == "disc":
        mask, colour = (yy - cy) ** 2 + (xx - cx) ** 2 < r ** 2, (220, 40, 40)
    elif kind == "square":
        mask, colour = (abs(yy - cy) < r) & (abs(xx - cx) < r), (40, 160, 60)
    else:  # bar
        mask, colour = (abs(yy - cy) < r / 3) & (abs(xx - cx) < 1.6 * r), (40, 70, 200)
    image = np.zeros((h, w, 4), np.uint8)
    noise = rng.integers(-30, 30, size=(h, w, 3))
    image[..., :3] = np.clip(np.array(colour) + noise, 0, 255)
    image[..., 3] = np.where(mask, 255, 0)
    return image


@pytest.fixture(scope="session")
def shapes_folder(tmp_path_factory):
    """root/<disc|square|bar>/**/*.png, 10 images per class, one truncated PNG among the squares."""
    root = tmp_path_factory.mktemp("shapes")
    for k, kind in enumerate(("bar", "disc", "square")):
        for i in range(10):
            folder = root / kind / ("nested" if i % 2 else "")
            folder.mkdir(parents=True, exist_ok=True)
            Image.fromarray(draw_shape(kind, seed=100 * k + i), "RGBA").save(folder / f"{kind}_{i:02d}.png")
    broken = root / "square" / "square_99_truncated.png"
    data = (root / "square" / "square_00.png").read_bytes()
    broken.write_bytes(data[: len(data) // 2])
    return root
