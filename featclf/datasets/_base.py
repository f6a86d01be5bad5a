"""The dataset contract: sources (lazy) and aligned labels."""

from __future__ import annotations

from collections import Counter

import numpy as np

from ..exceptions import DatasetError
from ..io import describe_source, load_image
from ._scan import left_out_summary


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
    left_out : list of LeftOut, optional
        What a folder scan did not take (see :class:`ImageFolder`); empty otherwise.
    groups : array-like of shape (N,), optional
        The group of each image (e.g. the object or session it shows), for grouped
        cross-validation: :func:`featclf.evaluate` keeps each group in one fold.

    Attributes
    ----------
    sources, labels, classes, name, left_out, groups

    Raises
    ------
    DatasetError
        Labels that are missing (``None``, NaN, NaT, ``pandas.NA``, empty strings: the
        message names their positions), not integers, out of range, or not one per image;
        groups missing or not one per image.
    """

    def __init__(self, sources, labels=None, classes=None, name: str = "images", *, left_out=None, groups=None):
        self.sources = sources
        self.groups = None if groups is None else _group_array(groups, len(sources), name)
        self.labels = None if labels is None else _integer_labels(labels, name)
        self.classes = None if classes is None else [str(c) for c in classes]
        self.name = name
        self.left_out = list(left_out) if left_out is not None else []
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
        groups = None if self.groups is None else self.groups[indices]
        return ImageDataset(sources, labels, self.classes, self.name, left_out=self.left_out, groups=groups)

    def class_counts(self) -> dict[str, int]:
        """Number of images per class, in class order (empty dict when unlabelled)."""
        if self.labels is None:
            return {}
        counts = Counter(self.labels.tolist())
        return {name: counts.get(i, 0) for i, name in enumerate(self.classes)}

    def summary(self) -> dict:
        """Name, number of images, classes, counts per class, and what a folder scan left out.

        ``"left_out"`` is ``{"n", "kinds", "extensions", "examples"}``: how many entries
        the scan did not take, counted by kind and by extension (see :class:`ImageFolder`).
        """
        counts = self.class_counts()
        return {
            "name": self.name,
            "n_images": len(self),
            "n_classes": len(self.classes) if self.classes is not None else 0,
            "classes": list(self.classes) if self.classes is not None else [],
            "class_counts": counts,
            "left_out": left_out_summary(self.left_out),
        }


def _is_missing(value) -> bool:
    if value is None:
        return True
    if isinstance(value, (str, bytes)):
        return not value.strip()
    try:
        return bool(value != value)  # NaN (float, numpy, Decimal), NaT
    except TypeError:  # pandas.NA: its comparisons are NA, whose truth value is ambiguous
        return True


def missing_positions(values) -> list[int]:
    """Positions of missing labels, as ``pandas.isna`` sees them plus empty strings, without pandas.

    Missing: ``None``, NaN, NaT, ``pandas.NA``, and empty or blank strings. The string
    ``"nan"`` is a label like any other.
    """
    arr = values if isinstance(values, np.ndarray) else np.asarray(values, dtype=object)
    if arr.dtype.kind in "fc":
        return np.flatnonzero(np.isnan(arr)).tolist()
    if arr.dtype.kind in "mM":
        return np.flatnonzero(np.isnat(arr)).tolist()
    if arr.dtype.kind in "iub":
        return []
    return [i for i, v in enumerate(arr.ravel()) if _is_missing(v)]


def _check_missing(values, name: str, what: str = "label") -> None:
    missing = missing_positions(values)
    if missing:
        more = f", ... ({len(missing)} in all)" if len(missing) > 10 else ""
        shown = ", ".join(str(i) for i in missing[:10]) + more
        alone = " (an image alone can be its own group)" if what == "group" else ""
        raise DatasetError(
            f"{name}: {len(missing)} missing {what}s (None, NaN or empty) at positions {shown}. Every image needs a "
            f"{what}{alone}: fill them in, or remove those images and their {what}s before building the dataset."
        )


def _group_array(groups, n: int, name: str) -> np.ndarray:
    """Groups as a 1-D object array of one group per image; missing ones are an error naming their positions."""
    groups = np.asarray(groups, dtype=object)
    if groups.shape != (n,):
        raise DatasetError(f"{name}: got {n} images but groups of shape {groups.shape}; pass one group per image.")
    _check_missing(groups, name, "group")
    return groups


def _integer_labels(labels, name: str) -> np.ndarray:
    """Labels as int64 class indices; missing, fractional or non-numeric values are errors."""
    arr = np.asarray(labels)
    if arr.dtype.kind in "iu":
        return arr.astype(np.int64)
    _check_missing(arr, name)
    try:
        as_float = arr.astype(np.float64)
    except (TypeError, ValueError):
        raise DatasetError(
            f"{name}: labels given with classes= must be integer indices into classes; got {arr.dtype} values such "
            f"as {arr.ravel().tolist()[0]!r}. Pass labels without classes= to have them encoded."
        ) from None
    if (as_float != np.round(as_float)).any():
        bad = np.flatnonzero(as_float != np.round(as_float))
        raise DatasetError(
            f"{name}: labels given with classes= must be integer indices into classes; got {as_float[bad[0]]:g} at "
            f"position {bad[0]}. Pass labels without classes= to have them encoded."
        )
    return as_float.astype(np.int64)


def encode_labels(values, name: str):
    """Map arbitrary label values to (int labels, sorted class names).

    Raises
    ------
    DatasetError
        Labels that are not one-dimensional, missing (positions named) or of mixed types.
    """
    arr = values if isinstance(values, np.ndarray) else np.asarray(values, dtype=object)
    if arr.ndim != 1:
        raise DatasetError(f"{name}: labels must be one-dimensional; got shape {arr.shape}.")
    _check_missing(arr, name)
    if arr.dtype == object:
        text = [isinstance(v, (str, bytes)) for v in arr]
        if any(text) and not all(text):
            kinds = sorted({type(v).__name__ for v in arr})
            raise DatasetError(f"{name}: labels mix text and other types ({', '.join(kinds)}), which would be "
                               "compared as text. Use one type for all labels, e.g. [str(y) for y in labels].")
        arr = np.asarray(arr.tolist())  # back to a numeric or string dtype for np.unique
    classes, labels = np.unique(arr, return_inverse=True)
    return labels.astype(np.int64).ravel(), [str(c) for c in classes]
