"""Kernels: the per-image maths of every extractor, as the batch engine runs it in workers.

Each extractor (a scikit-learn transformer in :mod:`featclf.extract`) builds a
kernel from its fitted configuration; the engine ships the kernel to its workers.
Modules here import numpy, OpenCV and featclf's input layer only -- never
scikit-learn or torch -- so a worker process starts in a fraction of a second.
(``HOG(method='skimage')`` imports scikit-image, and with it SciPy, when it runs.)
"""

from ._base import Kernel, SizedKernel
from ._cnn import CNNInputKernel, fit_to_input
from ._colorhist import CHANNELS, COLOR_SPACES, ColorHistogramKernel, bin_lut, color_histogram
from ._hog import (
    BLOCK_NORMS,
    COLORS,
    L2HYS_THRESHOLD,
    METHODS,
    HOGKernel,
    opencv_block_is_safe,
    opencv_descriptor,
    opencv_hog_class,
    opencv_to_skimage_order,
)
from ._pixels import PixelsKernel, pixel_features

__all__ = [
    "BLOCK_NORMS",
    "CHANNELS",
    "COLORS",
    "COLOR_SPACES",
    "CNNInputKernel",
    "ColorHistogramKernel",
    "HOGKernel",
    "Kernel",
    "L2HYS_THRESHOLD",
    "METHODS",
    "PixelsKernel",
    "SizedKernel",
    "bin_lut",
    "color_histogram",
    "fit_to_input",
    "opencv_block_is_safe",
    "opencv_descriptor",
    "opencv_hog_class",
    "opencv_to_skimage_order",
    "pixel_features",
]

from .._public import set_public_module  # noqa: E402

set_public_module(globals(), __all__, "featclf.kernels")
