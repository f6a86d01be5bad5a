"""Generated data for the dataset tests: image trees, IDX files (helpers imported by the tests)."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
from PIL import Image


def save_image(path: Path, mode: str = "RGB", size=(6, 5), seed: int = 0, **params) -> Path:
    """Save a small image of the given Pillow mode; RGBA/LA get a fully transparent black corner."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    w, h = size
    rgb = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    if mode == "RGBA":
        rgba = np.dstack([rgb, np.full((h, w), 255, np.uint8)])
        rgba[0, 0] = (0, 0, 0, 0)
        im = Image.fromarray(rgba)
    elif mode == "LA":
        la = np.dstack([rgb[..., 0], np.full((h, w), 255, np.uint8)])
        la[0, 0] = (0, 0)
        im = Image.fromarray(la, "LA")
    elif mode == "P":
        im = Image.fromarray(rgb).quantize(colors=8)
    elif mode == "I;16":
        im = Image.fromarray(rgb[..., 0].astype(np.uint16) * 257)
    else:
        im = Image.fromarray(rgb).convert(mode)
    im.save(path, **params)
    return path


def write_idx(path: Path, array: np.ndarray, *, gz: bool | None = None) -> Path:
    """Write an IDX file of unsigned bytes (gzipped when the name ends in .gz)."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(struct.pack(">I", d) for d in array.shape)
    data = header + array.tobytes()
    gz = str(path).endswith(".gz") if gz is None else gz
    path.parent.mkdir(parents=True, exist_ok=True)
    with (gzip.open(path, "wb") if gz else open(path, "wb")) as f:
        f.write(data)
    return path


def write_fashion_mnist(folder: Path, n_train: int = 12, n_test: int = 5, *, gz: bool = True, seed: int = 0):
    """Four small Fashion-MNIST-shaped IDX files; returns {split: (images, labels)}."""
    rng = np.random.default_rng(seed)
    out = {}
    suffix = ".gz" if gz else ""
    for split, stem, n in (("train", "train", n_train), ("test", "t10k", n_test)):
        images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        labels = (np.arange(n) % 10).astype(np.uint8)
        write_idx(folder / f"{stem}-images-idx3-ubyte{suffix}", images)
        write_idx(folder / f"{stem}-labels-idx1-ubyte{suffix}", labels)
        out[split] = (images, labels)
    return out

