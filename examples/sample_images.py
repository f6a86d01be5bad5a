"""Sample image folders for the examples: real image files on disk, as your own data would be.

Not an example itself: the examples import it to write their data when no ``--folder`` is given.

- ``digits``: scikit-learn's 1,797 handwritten digits (8x8 grey, 10 classes), embedded in
  scikit-learn, so nothing is downloaded (``featclf.load_digits()``).
- ``fashion-mnist``: Fashion-MNIST (28x28 grey, 10 classes) from the folders
  ``featclf.load_fashion_mnist`` searches (``/usr/share/datasets/fashion-mnist``,
  ``$FEATCLF_DATA/fashion-mnist``, ``~/.cache/featclf/fashion-mnist``); nothing is downloaded.

Images are written as PNG files named ``<index>.png`` with a zero-padded index, so a folder
listed in name order is in the order written.
"""

from __future__ import annotations

import os

import numpy as np
from PIL import Image

import featclf

SOURCES = ("digits", "fashion-mnist")


def load(source: str):
    """The named collection as a ``featclf.ArrayDataset``."""
    if source == "digits":
        return featclf.load_digits()
    if source == "fashion-mnist":
        return featclf.load_fashion_mnist()  # DatasetNotFoundError, saying how to get it, when absent
    raise ValueError(f"Unknown sample data {source!r}: use one of {', '.join(SOURCES)}, or --folder DIR.")


def balanced_indices(labels, n: int, *, offset: int = 0) -> np.ndarray:
    """``n`` indices taking classes in turn (the same number per class, give or take one), in index order.

    ``offset`` skips that many images of each class first, so two calls with different
    offsets give disjoint sets (e.g. a collection and new images).
    """
    labels = np.asarray(labels)
    classes = np.unique(labels)
    per_class = -(-n // len(classes))  # ceil
    picked = [np.flatnonzero(labels == c)[offset:offset + per_class] for c in classes]
    order = np.argsort(np.concatenate([np.arange(len(p)) * len(classes) + k for k, p in enumerate(picked)]),
                       kind="stable")
    chosen = np.concatenate(picked)[order][:n]
    if len(chosen) < n:
        raise ValueError(f"Only {len(chosen)} images available for {n} asked (offset {offset} per class).")
    return np.sort(chosen)


def write_images(data, indices, folder: str, *, labelled: bool) -> list[str]:
    """Write images ``indices`` of ``data`` as PNG files; returns the class name of each, in order.

    ``labelled=True`` writes ``folder/<class>/<index>.png`` (a ``featclf.ImageFolder``),
    ``labelled=False`` writes ``folder/<index>.png`` (a ``featclf.UnlabelledFolder``).
    """
    names = []
    for i in indices:
        name = data.classes[data.labels[i]]
        target = os.path.join(folder, safe_name(name)) if labelled else folder
        os.makedirs(target, exist_ok=True)
        Image.fromarray(np.asarray(data.load(int(i), mode="gray"))).save(os.path.join(target, f"{i:05d}.png"))
        names.append(name)
    return names


def safe_name(class_name: str) -> str:
    """A class name usable as a folder name (Fashion-MNIST has 'T-shirt/top')."""
    return class_name.replace("/", "-")
