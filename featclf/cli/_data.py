"""The DATA argument of the command line: a folder, a CSV manifest, ``digits`` or ``fashion-mnist[:DIR]``."""

from __future__ import annotations

import os

import numpy as np

from ..exceptions import DatasetError, DatasetNotFoundError, InvalidParameterError

__all__ = ["DATA_HELP", "is_manifest", "open_dataset", "stratified_subset"]

DATA_HELP = ("an image folder (one subfolder per class), a CSV manifest (.csv with path,label columns), "
             "'digits' (scikit-learn's 8x8 digits, embedded), or 'fashion-mnist[:DIR]' (IDX files in DIR or the "
             "default locations)")


def is_manifest(text: str) -> bool:
    """Whether a DATA argument names a CSV manifest (an existing ``.csv`` file)."""
    return text.lower().endswith(".csv") and os.path.isfile(text)


def open_dataset(text: str, *, split: str = "train", allow_outside: bool = False, encoding: str | None = None,
                 group_column: str | None = None):
    """Open the dataset named by a DATA argument.

    Parameters
    ----------
    text : str
        ``'digits'``, ``'fashion-mnist'``, ``'fashion-mnist:DIR'``, a folder, or a ``.csv`` file.
        (A folder literally named ``digits`` is reached as ``./digits``.)
    split : {'train', 'test'}
        For Fashion-MNIST, which split.
    allow_outside, encoding, group_column
        For a CSV manifest (see :class:`featclf.CSVManifest`): ``--allow-outside``,
        ``--csv-encoding``, ``--groups``.

    Raises
    ------
    InvalidParameterError
        ``group_column`` for DATA that is not a CSV manifest.
    DatasetNotFoundError
        Nothing of that name exists; the message lists the accepted forms.
    """
    from .. import datasets

    if group_column is not None and not is_manifest(text):
        raise InvalidParameterError(
            f"--groups {group_column} reads a column of a CSV manifest, and DATA ({text!r}) is not one: list the "
            "images in a .csv with path,label,group columns, or call featclf.evaluate(..., groups=...) from Python."
        )
    name, _, rest = text.partition(":")
    if text == "digits":
        return datasets.load_digits()
    if name == "fashion-mnist":
        return datasets.load_fashion_mnist(rest or None, split=split)
    if os.path.isdir(text):
        return datasets.ImageFolder(text)
    if os.path.isfile(text):
        if text.lower().endswith(".csv"):
            return datasets.CSVManifest(text, allow_outside=allow_outside, encoding=encoding, group_column=group_column)
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
