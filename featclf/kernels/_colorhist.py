"""Colour histograms: the per-image maths of :class:`featclf.ColorHistogram`."""

from __future__ import annotations

import numpy as np

from ..io import convert_image
from ._base import SizedKernel

COLOR_SPACES = ("rgb", "hsv", "lab")

#: Channel names and 8-bit value ranges (values lie in ``[0, range)``), as OpenCV converts uint8 images.
CHANNELS = {
    "rgb": (("r", 256), ("g", 256), ("b", 256)),
    "hsv": (("h", 180), ("s", 256), ("v", 256)),  # OpenCV 8-bit hue: degrees / 2, 0-179
    "lab": (("L", 256), ("a", 256), ("b", 256)),  # L * 255 / 100, a + 128, b + 128
}


def bin_lut(color_space: str, bins) -> np.ndarray:
    """A ``(1, 256, 3)`` uint8 table from 8-bit channel value to bin: ``value * bins // range``."""
    lut = np.empty((1, 256, 3), dtype=np.uint8)
    values = np.arange(256)
    for c, ((_, value_range), n_bins) in enumerate(zip(CHANNELS[color_space], bins)):
        lut[0, :, c] = np.minimum(values * n_bins // value_range, n_bins - 1)  # hue never exceeds 179
    return lut


_CONVERSIONS = {"hsv": "COLOR_RGB2HSV", "lab": "COLOR_RGB2Lab"}


def color_histogram(rgba: np.ndarray, color_space: str = "rgb", bins=(8, 8, 8), joint: bool = True,
                    lut: np.ndarray | None = None) -> np.ndarray:
    """Normalised colour histogram of one RGBA uint8 image, transparent pixels left out.

    Parameters
    ----------
    rgba : ndarray of shape (H, W, 4), uint8
        Colour not composited, alpha last (``load_image(..., mode='rgba')``).
    color_space : {'rgb', 'hsv', 'lab'}
    bins : tuple of 3 ints
        Bins per channel; channel value ``v`` in ``[0, range)`` falls in bin ``v * bins // range``.
    joint : bool
        One 3-D histogram (``prod(bins)`` values, flattened row-major) or three 1-D
        histograms concatenated (``sum(bins)`` values).
    lut : ndarray, optional
        ``bin_lut(color_space, bins)``, when the caller has it already.

    Returns
    -------
    ndarray of shape (prod(bins),) or (sum(bins),), float64
        Each histogram sums to 1 over the pixels whose alpha is not 0; all zeros
        when every pixel is fully transparent.
    """
    counts, n_pixels = histogram_counts(rgba, color_space, bins, joint, lut)
    return counts / n_pixels if n_pixels else counts


def histogram_counts(rgba: np.ndarray, color_space: str = "rgb", bins=(8, 8, 8), joint: bool = True,
                     lut: np.ndarray | None = None) -> tuple[np.ndarray, int]:
    """Unnormalised :func:`color_histogram`: ``(counts, n_pixels)``, counts float64, n_pixels the opaque pixels.

    Counts of parts of an image (strips of rows) add up to the counts of the whole image.
    """
    import cv2

    bins = [int(b) for b in bins]
    size = int(np.prod(bins)) if joint else sum(bins)
    alpha = np.ascontiguousarray(rgba[..., 3])
    mask, n_pixels = None, alpha.size
    if not alpha.all():
        mask = (alpha != 0).view(np.uint8)
        n_pixels = cv2.countNonZero(mask)
        if n_pixels == 0:
            return np.zeros(size), 0
    pixels = cv2.cvtColor(np.ascontiguousarray(rgba), cv2.COLOR_RGBA2RGB)
    if color_space in _CONVERSIONS:
        pixels = cv2.cvtColor(pixels, getattr(cv2, _CONVERSIONS[color_space]))
    # Bin indices first, with an exact integer table; calcHist then counts integers k in [k, k + 1).
    binned = cv2.LUT(pixels, bin_lut(color_space, bins) if lut is None else lut)
    if joint:
        counts = cv2.calcHist([binned], [0, 1, 2], mask, bins, [0, bins[0], 0, bins[1], 0, bins[2]])
    else:
        counts = np.concatenate([
            cv2.calcHist([binned], [c], mask, [b], [0, b]).reshape(-1) for c, b in enumerate(bins)
        ])
    return counts.reshape(-1).astype(np.float64), int(n_pixels)


#: Pixels converted to RGBA and counted at a time in :meth:`ColorHistogramKernel.prepare`: a
#: full-size image needs no full-size RGBA, RGB or bin-index copy (each a strip at a time).
STRIP_PIXELS = 1 << 20


class ColorHistogramKernel(SizedKernel):
    """Histogram of each RGBA image, transparent pixels left out, computed in :meth:`prepare`.

    Parameters
    ----------
    owner, image_size, resize
        As in :class:`SizedKernel` (``image_size=None``: images of any size).
    color_space : {'rgb', 'hsv', 'lab'}
    bins : (int, int, int)
    joint : bool
    """

    mode = "rgba"

    def __init__(self, owner, image_size, resize, *, color_space, bins, joint):
        super().__init__(owner, image_size, resize)
        self.color_space = color_space
        self.bins = tuple(int(b) for b in bins)
        self.joint = bool(joint)
        self.lut = bin_lut(self.color_space, self.bins)

    def prepare(self, image, source, index):
        """The image's histogram, ndarray of shape (n_features,), float32.

        Computed here, right after decoding, so that a worker never keeps full-size
        images across a batch (``size=None`` keeps images at their native size): what
        a batch holds is one small row per image, whatever the images' size.
        """
        if self.image_size is not None:  # brought to its (small) size first, as RGBA
            image = self.fit_size(convert_image(image, self.mode), source, index)
        rows = max(1, STRIP_PIXELS // max(1, image.shape[1]))
        total, n_pixels = 0.0, 0
        for top in range(0, image.shape[0], rows):  # a strip at a time: no full-size temporary
            counts, n = histogram_counts(convert_image(image[top : top + rows], self.mode), self.color_space,
                                         self.bins, self.joint, lut=self.lut)
            total, n_pixels = total + counts, n_pixels + n
        return (total / n_pixels if n_pixels else total).astype(np.float32)

    def compute(self, images):
        """Rows of the histograms :meth:`prepare` computed: ndarray of shape (len(images), n_features)."""
        return np.stack(images).astype(np.float32, copy=False)
