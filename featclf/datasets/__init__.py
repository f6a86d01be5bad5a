"""Datasets: lazy collections of image sources with aligned labels."""

from ._arrays import FASHION_MNIST_CLASSES, ArrayDataset, load_digits, load_fashion_mnist, read_idx
from ._base import ImageDataset, encode_labels, missing_positions
from ._folders import CSVManifest, ImageFolder, UnlabelledFolder, find_images
from ._scan import LeftOut, describe_left_out, left_out_summary

__all__ = [
    "FASHION_MNIST_CLASSES",
    "ArrayDataset",
    "CSVManifest",
    "ImageDataset",
    "ImageFolder",
    "LeftOut",
    "UnlabelledFolder",
    "describe_left_out",
    "encode_labels",
    "find_images",
    "left_out_summary",
    "load_digits",
    "load_fashion_mnist",
    "missing_positions",
    "read_idx",
]

from .._public import set_public_module  # noqa: E402

set_public_module(globals(), __all__, "featclf.datasets")
