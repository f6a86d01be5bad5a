"""Generated collections with a known cluster structure, for the clustering tests.

Each planted cluster is a template (a random grey picture) and its images are the
template plus a little noise; a "noise" image is drawn independently of every template.
Small (12x12) and deterministic, so the tests are fast.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

SIZE = (12, 12)


def templates(k: int, seed: int = 0, spread=None) -> np.ndarray:
    """``k`` distinct grey templates, float of shape (k, 12, 12).

    ``spread=None``: independent uniform random pictures; a number: variations (that
    standard deviation) of one common picture, so templates are nearer each other than
    to an independent random picture (the planted noise).
    """
    rng = np.random.default_rng(seed)
    if spread is None:
        return rng.integers(0, 256, size=(k, *SIZE)).astype(float)
    common = rng.uniform(64, 192, size=SIZE)
    return common + rng.normal(0, spread, size=(k, *SIZE))


def blobs(sizes, seed: int = 0, noise: float = 12.0, n_noise: int = 0, spread=None):
    """Images around ``len(sizes)`` templates (``sizes[j]`` images of template j), then ``n_noise`` random images.

    Images are shuffled (a fixed permutation), so clusters are not in input order.

    Returns
    -------
    images : ndarray of shape (N, 12, 12), uint8
    truth : ndarray of shape (N,), int64
        The template of each image; -1 for the planted noise images.
    """
    rng = np.random.default_rng(seed + 1)
    base = templates(len(sizes), seed, spread)
    images, truth = [], []
    for j, count in enumerate(sizes):
        images.append(base[j] + rng.normal(0, noise, size=(count, *SIZE)))
        truth += [j] * count
    if n_noise:
        images.append(rng.integers(0, 256, size=(n_noise, *SIZE)).astype(float))
        truth += [-1] * n_noise
    images = np.clip(np.concatenate(images), 0, 255).round().astype(np.uint8)
    truth = np.asarray(truth, np.int64)
    order = rng.permutation(len(truth))
    return images[order], truth[order]


def same_partition(a, b) -> bool:
    """Whether two labelings group the items identically (up to renumbering)."""
    a, b = np.asarray(a), np.asarray(b)
    pairs = set(zip(a.tolist(), b.tolist()))
    return len(pairs) == len(set(a.tolist())) == len(set(b.tolist()))


def write_collection(folder, images, broken_at=()):
    """Write ``images`` as PNGs named 000.png, 001.png ... (sorted = input order), and broken files.

    ``broken_at`` lists positions in the final order where an unreadable file (a truncated
    PNG, or text named .png) is inserted. Returns the list of paths in order.
    """
    folder.mkdir(parents=True, exist_ok=True)
    paths, images = [], list(images)
    total = len(images) + len(broken_at)
    for position in range(total):
        path = folder / f"{position:03d}.png"
        if position in broken_at:
            if len(paths) % 2:
                path.write_bytes(b"this is not an image")
            else:
                Image.fromarray(np.zeros(SIZE, np.uint8)).save(path)
                path.write_bytes(path.read_bytes()[:30])  # truncated
        else:
            Image.fromarray(images.pop(0)).save(path)
        paths.append(str(path))
    return paths


def snapshot(folder) -> dict:
    """Every file below ``folder``: relative path -> (size, mtime_ns, bytes)."""
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns, p.read_bytes())
            for p in sorted(folder.rglob("*")) if p.is_file() or p.is_symlink()}
