"""Raw pixels: the per-image maths of :class:`featclf.RawPixels`."""

from __future__ import annotations

import numpy as np

from ._base import SizedKernel


def pixel_features(image: np.ndarray) -> np.ndarray:
    """Flatten a uint8 image (H, W[, C]) into float32 values in [0, 1], row-major, channels last."""
    return image.reshape(-1).astype(np.float32) * np.float32(1 / 255)


class PixelsKernel(SizedKernel):
    """Resize (or check the size), convert to grey or RGB, scale to [0, 1], flatten.

    Parameters
    ----------
    owner, image_size, resize
        As in :class:`SizedKernel`.
    color : {'grey', 'rgb'}
    """

    def __init__(self, owner, image_size, resize, color="grey"):
        super().__init__(owner, image_size, resize)
        self.mode = "grey" if color in ("grey", "gray") else "rgb"

    def compute(self, images):
        # pixel_features of the whole stack at once: the same values as row by row, one numpy pass
        return pixel_features(np.stack(images)).reshape(len(images), -1)
