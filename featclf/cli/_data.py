"""The DATA argument of the command line: a folder, a CSV manifest, ``digits`` or ``fashion-mnist[:DIR]``."""

from __future__ import annotations

import csv
import os

import numpy as np

from ..exceptions import DatasetError, DatasetNotFoundError, InvalidParameterError

__all__ = ["DATA_HELP", "groups_of", "manifest_groups", "open_dataset", "stratified_subset"]

DATA_HELP = ("an image folder (one subfolder per class), a CSV manifest (.csv with path,label columns), "
             "'digits' (scikit-learn's 8x8 digits, embedded), or 'fashion-mnist[:DIR]' (IDX files in DIR or the "
             "default locations)")


def open_dataset(text: str, *, split: str = "train", allow_outside: bool = False, encoding: str | None = None):
    """Open the dataset named by a DATA argument.

    Parameters
    ----------
    text : str
        ``'digits'``, ``'fashion-mnist'``, ``'fashion-mnist:DIR'``, a folder, or a ``.csv`` file.
        (A folder literally named ``digits`` is reached as ``./digits``.)
    split : {'train', 'test'}
        For Fashion-MNIST, which split.
    allow_outside, encoding
        For a CSV manifest (see :class:`featclf.CSVManifest`): ``--allow-outside``, ``--csv-encoding``.

    Raises
    ------
    DatasetNotFoundError
        Nothing of that name exists; the message lists the accepted forms.
    """
    from .. import datasets

    name, _, rest = text.partition(":")
    if text == "digits":
        return datasets.load_digits()
    if name == "fashion-mnist":
        return datasets.load_fashion_mnist(rest or None, split=split)
    if os.path.isdir(text):
        return datasets.ImageFolder(text)
    if os.path.isfile(text):
        if text.lower().endswith(".csv"):
            return datasets.CSVManifest(text, allow_outside=allow_outside, encoding=encoding)
        raise DatasetError(f"{text}: a file that is not a .csv manifest. DATA is {DATA_HELP}.")
    raise DatasetNotFoundError(f"{text!r}: no such folder or file. DATA is {DATA_HELP}.")


def stratified_subset(dataset, n: int, *, random_state: int = 0):
    """At most ``n`` images of ``dataset``, keeping class proportions (deterministic for a seed)."""
    if n >= len(dataset):
        return dataset
    from sklearn.model_selection import train_test_split

    try:
        chosen, _ = train_test_split(np.arange(len(dataset)), train_size=n, stratify=dataset.labels,
                                     random_state=random_state)
    except ValueError as exc:
        raise InvalidParameterError(f"Cannot take a stratified subset of {n} images of {dataset.name}: {exc} "
                                    "Raise --limit.") from None
    return dataset.subset(np.sort(chosen))


def manifest_groups(dataset, csv_path: str, column: str) -> np.ndarray:
    """The value of ``column`` of a CSV manifest for each image of ``dataset`` (read from ``csv_path``).

    Rows are matched by path, resolved as :class:`featclf.CSVManifest` resolves them
    (relative to the CSV's folder), so the groups follow the dataset's images whatever
    rows it kept.

    Raises
    ------
    InvalidParameterError
        DATA is not a CSV manifest, the column is missing, or an image has no group.
    """
    from .. import datasets

    if not isinstance(dataset, datasets.CSVManifest):
        raise InvalidParameterError(
            f"--groups COLUMN reads a column of a CSV manifest, and DATA ({csv_path!r}) is not one: list the images "
            "in a .csv with path,label,group columns, or call featclf.evaluate(..., groups=...) from Python."
        )
    base = os.path.dirname(os.path.abspath(csv_path))
    with open(csv_path, newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        if column not in (reader.fieldnames or []):
            raise InvalidParameterError(
                f"--groups {column}: {csv_path} has no column {column!r}; its header has {reader.fieldnames}."
            )
        path_column = getattr(dataset, "path_column", "path")
        by_path = {}
        for row in reader:
            path = (row.get(path_column) or "").strip()
            if path:
                by_path[os.path.normpath(os.path.join(base, path))] = (row.get(column) or "").strip()
    return groups_of(dataset, by_path, what=f"--groups {column}")


def groups_of(dataset, by_source: dict, *, what: str = "--groups") -> np.ndarray:
    """The group of each source of ``dataset``, looked up in ``by_source`` (empty or missing: an error)."""
    groups = [by_source.get(source, "") for source in dataset.sources]
    missing = [dataset.describe(i) for i, g in enumerate(groups) if g == ""]
    if missing:
        raise InvalidParameterError(
            f"{what}: {len(missing)} images have no group, e.g. {missing[0]}; give every row a group (an image alone "
            "can be its own group)."
        )
    return np.asarray(groups, dtype=object)
