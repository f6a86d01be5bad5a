"""Datasets read from disk: labelled folders, unlabelled folders, CSV manifests."""

from __future__ import annotations

import csv
import os
import warnings

from ..exceptions import DatasetError, DatasetNotFoundError, FeatclfWarning
from ..io import IMAGE_EXTENSIONS
from ._base import ImageDataset, encode_labels


def _check_root(root) -> str:
    root = os.fspath(root)
    if not os.path.exists(root):
        raise DatasetNotFoundError(f"{root}: no such folder. Check the path.")
    if not os.path.isdir(root):
        raise DatasetError(f"{root}: not a folder. Pass the folder that holds the images.")
    return root


def _hidden(name: str) -> bool:
    return name.startswith(".")


def find_images(root: str, extensions=IMAGE_EXTENSIONS) -> list[str]:
    """All image files below ``root`` (recursive, symlinks followed, hidden entries skipped), sorted."""
    extensions = {e.lower() for e in extensions}
    found = []
    seen = set()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
        real = os.path.realpath(dirpath)
        if real in seen:  # a symlink loop: do not walk the same folder twice
            dirnames[:] = []
            continue
        seen.add(real)
        dirnames[:] = sorted(d for d in dirnames if not _hidden(d))
        for name in filenames:
            if not _hidden(name) and os.path.splitext(name)[1].lower() in extensions:
                path = os.path.join(dirpath, name)
                if os.path.isfile(path):  # skips broken symlinks
                    found.append(path)
    return sorted(found)


class ImageFolder(ImageDataset):
    """Labelled images in the ImageFolder layout: ``root/<class>/**/<image>``.

    Each first-level subfolder of ``root`` is a class; images are found recursively
    below it (nested folders are fine), symlinks followed. Only files with an image
    extension count (``.txt``, ``.svg`` and other files beside the images are
    ignored); hidden files and folders are ignored. Class names and paths are sorted,
    so the order is deterministic. Nothing is decoded here.

    Parameters
    ----------
    root : str or os.PathLike
    extensions : iterable of str, optional
        Lower-case extensions with the dot; default :data:`featclf.io.IMAGE_EXTENSIONS`.

    Attributes
    ----------
    paths : list of str
        Image paths, class by class.
    labels : ndarray of int of shape (n_images,)
        Index into ``classes`` of each path.
    classes : list of str
        Sorted class names (folders holding at least one image).

    Raises
    ------
    DatasetNotFoundError
        ``root`` does not exist.
    DatasetError
        ``root`` holds no class folder with images.

    Examples
    --------
    >>> ds = featclf.ImageFolder("photos")  # doctest: +SKIP
    >>> ds.classes, len(ds.paths)            # doctest: +SKIP
    (['cats', 'dogs'], 240)
    """

    def __init__(self, root, *, extensions=IMAGE_EXTENSIONS):
        root = _check_root(root)
        class_dirs = sorted(
            d for d in os.listdir(root) if not _hidden(d) and os.path.isdir(os.path.join(root, d))
        )
        paths, labels, classes, empty = [], [], [], []
        for name in class_dirs:
            found = find_images(os.path.join(root, name), extensions)
            if not found:
                empty.append(name)
                continue
            labels.extend([len(classes)] * len(found))
            classes.append(name)
            paths.extend(found)
        exts = {e.lower() for e in extensions}
        loose = sorted(f for f in os.listdir(root) if not _hidden(f) and os.path.splitext(f)[1].lower() in exts
                       and os.path.isfile(os.path.join(root, f)))
        if not classes:
            hint = (f" It holds {len(loose)} images directly: for unlabelled images use featclf.UnlabelledFolder."
                    if loose else "")
            raise DatasetError(
                f"{root}: no class folder with images found. Expected the layout root/<class>/<image> "
                f"(extensions: {', '.join(sorted(extensions))}).{hint}"
            )
        if empty:
            warnings.warn(f"{root}: class folders with no images left out: {', '.join(empty)}", FeatclfWarning,
                          stacklevel=2)
        if loose:
            warnings.warn(f"{root}: {len(loose)} images directly in the root belong to no class and are ignored "
                          f"(e.g. {loose[0]})", FeatclfWarning, stacklevel=2)
        self.root = root
        super().__init__(paths, labels, classes, name=os.path.basename(os.path.normpath(root)) or root)

    @property
    def paths(self) -> list[str]:
        return self.sources


class UnlabelledFolder(ImageDataset):
    """Every image below ``root`` (recursive), without labels -- for clustering.

    Same scanning rules as :class:`ImageFolder`: image extensions only, hidden
    entries ignored, symlinks followed, sorted paths.

    Attributes
    ----------
    paths : list of str
    labels : None
    classes : None
    """

    def __init__(self, root, *, extensions=IMAGE_EXTENSIONS):
        root = _check_root(root)
        paths = find_images(root, extensions)
        if not paths:
            raise DatasetError(f"{root}: no images found (extensions: {', '.join(sorted(extensions))}).")
        self.root = root
        super().__init__(paths, None, None, name=os.path.basename(os.path.normpath(root)) or root)

    @property
    def paths(self) -> list[str]:
        return self.sources


class CSVManifest(ImageDataset):
    """Images listed in a CSV file with a path column and a label column.

    Relative paths are resolved against the folder of the CSV file. Label values
    may be any strings; classes are their sorted unique values.

    Parameters
    ----------
    csv_path : str or os.PathLike
    path_column : str, default='path'
    label_column : str or None, default='label'
        ``None`` reads an unlabelled manifest.
    """

    def __init__(self, csv_path, *, path_column: str = "path", label_column: str | None = "label"):
        csv_path = os.fspath(csv_path)
        if not os.path.isfile(csv_path):
            raise DatasetNotFoundError(f"{csv_path}: no such CSV file.")
        base = os.path.dirname(os.path.abspath(csv_path))
        with open(csv_path, newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            header = reader.fieldnames or []
            for column, param in ((path_column, "path_column"), (label_column, "label_column")):
                if column is not None and column not in header:
                    raise DatasetError(
                        f"{csv_path}: no column {column!r}; the header has {header}. "
                        f"Set {param}= to the column's name."
                    )
            paths, values = [], []
            for line, row in enumerate(reader, start=2):
                path = (row.get(path_column) or "").strip()
                if not path:
                    raise DatasetError(f"{csv_path}, line {line}: empty {path_column!r} value.")
                paths.append(os.path.normpath(os.path.join(base, path)))
                if label_column is not None:
                    value = (row.get(label_column) or "").strip()
                    if not value:
                        raise DatasetError(f"{csv_path}, line {line}: empty {label_column!r} value for {path}.")
                    values.append(value)
        if not paths:
            raise DatasetError(f"{csv_path}: the manifest lists no images.")
        labels, classes = encode_labels(values, csv_path) if label_column is not None else (None, None)
        self.csv_path = csv_path
        super().__init__(paths, labels, classes, name=os.path.splitext(os.path.basename(csv_path))[0])

    @property
    def paths(self) -> list[str]:
        return self.sources
