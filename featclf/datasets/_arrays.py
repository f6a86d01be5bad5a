"""In-memory datasets: user arrays, scikit-learn's digits, Fashion-MNIST from IDX files."""

from __future__ import annotations

import gzip
import os
import zlib

import numpy as np

from .._validation import check_option
from ..exceptions import DatasetError, DatasetNotFoundError
from ._base import ImageDataset, encode_labels


class ArrayDataset(ImageDataset):
    """Images already in memory, with optional labels.

    Parameters
    ----------
    images : ndarray of shape (N, H, W[, C]) or list of arrays
        Anything :func:`featclf.load_image` accepts, one per image.
    labels : array-like of shape (N,), optional
        Integer indices into ``classes`` when ``classes`` is given; otherwise any
        values (strings, ints), encoded as indices into their sorted unique values.
    classes : list of str, optional
    name : str, default='arrays'
    """

    def __init__(self, images, labels=None, classes=None, *, name: str = "arrays"):
        if isinstance(images, np.ndarray) and images.ndim not in (3, 4):
            raise DatasetError(
                f"{name}: images must be an array of shape (N, H, W) or (N, H, W, C), or a list of images; "
                f"got shape {images.shape}."
            )
        if labels is not None and classes is None:
            labels, classes = encode_labels(labels, name)
        super().__init__(images, labels, classes, name=name)


def load_digits() -> ArrayDataset:
    """scikit-learn's handwritten digits: 1,797 grey 8x8 images, 10 classes.

    Ships with scikit-learn (no download); featclf's embedded default dataset.
    Pixel values 0-16 are scaled to uint8 0-255.
    """
    from sklearn.datasets import load_digits as sk_digits

    bunch = sk_digits()
    images = np.round(bunch.images * (255.0 / 16.0)).astype(np.uint8)
    return ArrayDataset(images, bunch.target, [str(c) for c in bunch.target_names], name="digits")


FASHION_MNIST_CLASSES = [
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
]
_FMNIST_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def fashion_mnist_dirs() -> list[str]:
    """Folders searched for Fashion-MNIST, in order."""
    dirs = []
    if os.environ.get("FEATCLF_DATA"):
        dirs.append(os.path.join(os.environ["FEATCLF_DATA"], "fashion-mnist"))
    dirs.append("/usr/share/datasets/fashion-mnist")
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    dirs.append(os.path.join(cache, "featclf", "fashion-mnist"))
    return dirs


def _find_file(directory: str, stem: str):
    for name in (stem + ".gz", stem):
        path = os.path.join(directory, name)
        if os.path.isfile(path):
            return path
    return None


def read_idx(path: str) -> np.ndarray:
    """Read an IDX file (optionally gzipped) of unsigned bytes into an array."""
    opener = gzip.open if path.endswith(".gz") else open
    try:
        with opener(path, "rb") as f:
            data = f.read()
    except (OSError, EOFError, zlib.error) as exc:  # not gzip, or a truncated download
        raise DatasetError(f"{path}: cannot be read ({exc}). The file is corrupt or truncated: "
                           "Download it again.") from None
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise DatasetError(f"{path}: not an IDX file of unsigned bytes (bad magic number).")
    ndim = data[3]
    offset = 4 + 4 * ndim
    if len(data) < offset:
        raise DatasetError(f"{path}: truncated IDX file: the header is cut short. Download it again.")
    dims = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    expected = int(np.prod(dims))
    if len(data) - offset != expected:
        raise DatasetError(f"{path}: truncated IDX file: expected {expected} values for shape {dims}, "
                           f"found {len(data) - offset}. Download it again.")
    return np.frombuffer(data, dtype=np.uint8, offset=offset).reshape(dims)


def load_fashion_mnist(root=None, *, split: str = "train") -> ArrayDataset:
    """Fashion-MNIST (28x28 grey, 10 classes) from its four IDX files.

    Parameters
    ----------
    root : str or os.PathLike, optional
        Folder holding ``train-images-idx3-ubyte.gz``, ``train-labels-idx1-ubyte.gz``,
        ``t10k-images-idx3-ubyte.gz`` and ``t10k-labels-idx1-ubyte.gz`` (gzipped or not).
        By default ``$FEATCLF_DATA/fashion-mnist``, ``/usr/share/datasets/fashion-mnist``
        and ``~/.cache/featclf/fashion-mnist`` are searched. Nothing is downloaded.
    split : {'train', 'test'}, default='train'
        60,000 training or 10,000 test images.

    Raises
    ------
    DatasetNotFoundError
        The files are not there; the message says how to obtain them.
    """
    check_option("split", split, tuple(_FMNIST_FILES))
    dirs = [os.fspath(root)] if root is not None else fashion_mnist_dirs()
    images_stem, labels_stem = _FMNIST_FILES[split]
    for directory in dirs:
        images_path, labels_path = _find_file(directory, images_stem), _find_file(directory, labels_stem)
        if images_path and labels_path:
            images, labels = read_idx(images_path), read_idx(labels_path)
            if images.ndim != 3 or labels.shape != (images.shape[0],):
                raise DatasetError(f"{directory}: image and label files do not match "
                                   f"({images.shape} images, {labels.shape} labels).")
            return ArrayDataset(images, labels, FASHION_MNIST_CLASSES, name=f"fashion-mnist-{split}")
    raise DatasetNotFoundError(
        f"Fashion-MNIST files {images_stem}.gz and {labels_stem}.gz not found in: {', '.join(dirs)}. "
        "Get the four IDX .gz files from the dataset's official site (github.com/zalandoresearch/fashion-mnist) "
        "into one of these folders (or pass root=DIR); on Debian: apt-get install dataset-fashion-mnist."
    )
