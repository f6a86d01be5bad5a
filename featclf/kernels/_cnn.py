"""CNN input preparation: decoding workers bring images to a backbone's input (no torch here)."""

from __future__ import annotations

import numpy as np

from ..io import convert_image
from ._base import Kernel


def _cv2_flag(cv2, interpolation: str) -> int:
    return {"bilinear": cv2.INTER_LINEAR, "bicubic": cv2.INTER_CUBIC, "nearest": cv2.INTER_NEAREST,
            "area": cv2.INTER_AREA}[interpolation]


def fit_to_input(image: np.ndarray, size, resize: str = "stretch", crop_pct: float = 1.0,
                 interpolation: str = "bilinear") -> np.ndarray:
    """Bring a uint8 RGB image ``(h, w, 3)`` to ``size=(H, W)`` following a backbone's resize policy.

    Parameters
    ----------
    image : ndarray of shape (h, w, 3), uint8
    size : (int, int)
        ``(H, W)``, the network's input size.
    resize : {'stretch', 'center_crop'}, default='stretch'
        ``'stretch'``: the whole image is resized to ``(H, W)`` (aspect ratio not kept).
        ``'center_crop'``: resized so that it covers ``(H / crop_pct, W / crop_pct)``
        with its aspect ratio kept, then the central ``(H, W)`` region is cut out.
    crop_pct : float, default=1.0
    interpolation : {'bilinear', 'bicubic', 'nearest', 'area'}, default='bilinear'
        Used when enlarging; shrinking in both directions averages pixel areas
        (``cv2.INTER_AREA``, anti-aliased).

    Returns
    -------
    ndarray of shape (H, W, 3), uint8, C-contiguous
    """
    import cv2

    height, width = size
    h, w = image.shape[:2]
    if resize == "center_crop":
        scale = max(height / h, width / w) / crop_pct
        rh, rw = max(height, round(h * scale)), max(width, round(w * scale))
        resized = _resize(cv2, image, rh, rw, interpolation)
        top, left = (rh - height) // 2, (rw - width) // 2
        return np.ascontiguousarray(resized[top : top + height, left : left + width])
    return _resize(cv2, image, height, width, interpolation)


def _resize(cv2, image, height, width, interpolation):
    h, w = image.shape[:2]
    if (h, w) == (height, width):
        return np.ascontiguousarray(image)
    flag = cv2.INTER_AREA if (height <= h and width <= w) else _cv2_flag(cv2, interpolation)
    return cv2.resize(np.ascontiguousarray(image), (width, height), interpolation=flag)


class CNNInputKernel(Kernel):
    """Decoded images brought to a network's input, ``(H, W, 3)`` uint8; the network runs in the parent.

    Parameters
    ----------
    input_size : (int, int)
    resize, crop_pct, interpolation
        The backbone's resize policy, as in :func:`fit_to_input`.
    chunk_size : int
        Images per worker task (a multiple of the network's batch size).
    """

    in_workers = False

    def __init__(self, input_size, resize="stretch", crop_pct=1.0, interpolation="bilinear", chunk_size=None):
        self.input_size = (int(input_size[0]), int(input_size[1]))
        self.resize = resize
        self.crop_pct = float(crop_pct)
        self.interpolation = interpolation
        self.chunk_size = chunk_size

    def prepare(self, image, source, index):
        return fit_to_input(convert_image(image, "rgb"), self.input_size, self.resize, self.crop_pct,
                            self.interpolation)
