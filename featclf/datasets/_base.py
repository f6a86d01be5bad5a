"""The dataset contract: sources (lazy) and aligned labels."""

from __future__ import annotations

from collections import Counter

import numpy as np

from ..exceptions import DatasetError
from ..io import describe_source, load_image


class ImageDataset:
    """A lazy collection of image sources with optional labels.

    Images are not decoded here: a dataset holds *sources* (paths, or in-memory
    arrays) and labels; extractors decode them in their workers. Every featclf
    dataset (:class:`ImageFolder`, :class:`UnlabelledFolder`, :class:`CSVManifest`,
    :class:`ArrayDataset`) is an ``ImageDataset`` and can be passed wherever a list
    of sources is accepted.

    Parameters
    ----------
    sources : sequence
        One source per image: paths (str), or arrays, or a stacked array of shape
        ``(N, H, W[, C])``.
    labels : array-like of int of shape (N,), optional
        Index into ``classes`` of each image; ``None`` for unlabelled data.
    classes : list of str, optional
        Class names, in label order.
    name : str
        A short name shown in reports.

    Attributes
    ----------
    sources, labels, classes, name
    """

    def __init__(self, sources, labels=None, classes=None, name: str = "images"):
        self.sources = sources
        self.labels = None if labels is None else np.asarray(labels, dtype=np.int64)
        self.classes = None if classes is None else [str(c) for c in classes]
        self.name = name
        if self.labels is not None:
            if self.labels.shape != (len(sources),):
                raise DatasetError(
                    f"{name}: got {len(sources)} images but {self.labels.shape[0] if self.labels.ndim else 0} labels; "
                    "pass exactly one label per image."
                )
            if self.classes is None:
                raise DatasetError(f"{name}: labels were given without class names (classes=...).")
            if len(self.labels) and (self.labels.min() < 0 or self.labels.max() >= len(self.classes)):
                raise DatasetError(
                    f"{name}: labels must be integers in [0, {len(self.classes) - 1}] indexing classes; "
                    f"got values in [{self.labels.min()}, {self.labels.max()}]."
                )

    def __len__(self) -> int:
        return len(self.sources)

    def __repr__(self) -> str:
        classes = f", {len(self.classes)} classes" if self.classes is not None else ", unlabelled"
        return f"{type(self).__name__}({self.name!r}: {len(self)} images{classes})"

    @property
    def is_labelled(self) -> bool:
        return self.labels is not None

    def describe(self, index: int) -> str:
        """Name the image at ``index`` for messages: its path, or ``"item N"``."""
        return describe_source(self.sources[index], index)

    def load(self, index: int, *, mode: str = "rgb") -> np.ndarray:
        """Decode the image at ``index`` (see :func:`featclf.load_image`)."""
        return load_image(self.sources[index], mode=mode, index=index)

    def subset(self, indices) -> ImageDataset:
        """A new dataset holding the images at ``indices`` (same classes)."""
        indices = np.asarray(indices, dtype=np.intp)
        if isinstance(self.sources, np.ndarray):
            sources = self.sources[indices]
        else:
            sources = [self.sources[i] for i in indices]
        labels = None if self.labels is None else self.labels[indices]
        return ImageDataset(sources, labels, self.classes, self.name)

    def class_counts(self) -> dict[str, int]:
        """Number of images per class, in class order (empty dict when unlabelled)."""
        if self.labels is None:
            return {}
        counts = Counter(self.labels.tolist())
        return {name: counts.get(i, 0) for i, name in enumerate(self.classes)}

    def summary(self) -> dict:
        """Name, number of images, classes and counts per class."""
        counts = self.class_counts()
        return {
            "name": self.name,
            "n_images": len(self),
            "n_classes": len(self.classes) if self.classes is not None else 0,
            "classes": list(self.classes) if self.classes is not None else [],
            "class_counts": counts,
        }


def encode_labels(values, name: str):
    """Map arbitrary label values to (int labels, sorted class names)."""
    values = np.asarray(values)
    if values.ndim != 1:
        raise DatasetError(f"{name}: labels must be one-dimensional; got shape {values.shape}.")
    classes, labels = np.unique(values, return_inverse=True)
    return labels.astype(np.int64), [str(c) for c in classes]
