"""The DATA argument of the command line: a folder, a CSV manifest, ``digits`` or ``fashion-mnist[:DIR]``."""

from __future__ import annotations

import os

import numpy as np

from ..exceptions import DatasetError, DatasetNotFoundError, InvalidParameterError

__all__ = ["DATA_HELP", "holds_images_directly", "is_manifest", "open_collection", "open_dataset", "stratified_subset"]

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


def holds_images_directly(folder: str) -> bool:
    """Whether ``folder`` itself (not a subfolder) holds a file featclf reads as an image (hidden names aside)."""
    from ..io import extension_problem

    try:
        with os.scandir(folder) as entries:
            return any(not e.name.startswith(".") and e.is_file() and extension_problem(os.path.splitext(e.name)[1])
                       is None for e in entries)
    except OSError:
        return False  # ImageFolder then says why the folder cannot be listed


def open_collection(text: str, *, unlabelled: bool = False, split: str = "train", allow_outside: bool = False,
                    encoding: str | None = None):
    """Open the DATA argument of ``featclf cluster``: as :func:`open_dataset`, with a rule for folders.

    A folder is read as an :class:`~featclf.ImageFolder` (its first-level subfolders are known
    classes, used only to score the clusters: NMI, ARI) when every image is in a subfolder;
    a folder that holds images directly (a flat folder), or any folder with
    ``unlabelled=True`` (``--unlabelled``), is read as an :class:`~featclf.UnlabelledFolder`:
    every image below it, recursively, none left out for being outside a class folder.
    ``split`` is Fashion-MNIST's (``'train'`` or ``'test'``).

    Raises
    ------
    InvalidParameterError
        ``unlabelled=True`` for DATA that is not a folder.
    DatasetNotFoundError, DatasetError
        As :func:`open_dataset`.
    """
    from .. import datasets

    named = text == "digits" or text.partition(":")[0] == "fashion-mnist"  # as open_dataset: names before folders
    if os.path.isdir(text) and not named:
        if unlabelled or holds_images_directly(text):
            return datasets.UnlabelledFolder(text)
        try:
            return datasets.ImageFolder(text)
        except DatasetError:
            # no images anywhere below: the flat-folder message ("no images found"), not the class-layout one
            datasets.UnlabelledFolder(text)
            raise
    if not named and not os.path.exists(text):
        raise DatasetNotFoundError(f"{text!r}: no such folder or file. DATA is {DATA_HELP}, or a flat folder of "
                                   "images.")
    if unlabelled:
        raise InvalidParameterError(
            f"--unlabelled reads a folder without class folders, and DATA ({text!r}) is not a folder: drop "
            "--unlabelled (the clusters are made without labels anyway; known ones only score them)."
        )
    return open_dataset(text, split=split, allow_outside=allow_outside, encoding=encoding)


def stratified_subset(dataset, n: int, *, random_state: int = 0):
    """At most ``n`` images of ``dataset``, in input order, keeping class proportions (deterministic for a seed).

    An unlabelled dataset gets a plain random sample of ``n`` images, seeded the same way.
    """
    if n >= len(dataset):
        return dataset
    from sklearn.model_selection import train_test_split

    n_classes = 0 if dataset.labels is None else len(np.unique(dataset.labels))
    if n < n_classes:
        raise InvalidParameterError(f"--limit {n}: a stratified subset of {dataset.name} needs at least one image of "
                                    f"each of its {n_classes} classes; pass --limit {n_classes} or more.")
    try:
        chosen, _ = train_test_split(np.arange(len(dataset)), train_size=n, stratify=dataset.labels,
                                     random_state=random_state)
    except ValueError as exc:
        raise InvalidParameterError(f"Cannot take a stratified subset of {n} images of {dataset.name}: "
                                    f"{str(exc).rstrip('.')}. Raise --limit.") from None
    return dataset.subset(np.sort(chosen))
