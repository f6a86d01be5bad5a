"""Image sizes from file headers: what an extractor's ``fit`` reads to choose a common size."""

from __future__ import annotations

import io
import os
import warnings

import numpy as np
from PIL import Image

from ._image import DEFAULT_MAX_PIXELS, _check_not_empty, _check_pixels, _open_unguarded, decode_image, describe_source

__all__ = ["image_size"]

_ORIENTATION = 0x0112  # the EXIF orientation tag
_SWAPS_AXES = frozenset({5, 6, 7, 8})  # orientations that rotate by 90 degrees (transpose, rotate, transverse)


def image_size(source, *, index: int | None = None, max_pixels=DEFAULT_MAX_PIXELS) -> tuple[int, int]:
    """``(height, width)`` of an image as :func:`decode_image` would return it, read cheaply.

    Files and encoded bytes are read from their header only (Pillow's ``Image.open``
    parses the header and decodes no pixel), with EXIF orientation applied as
    decoding applies it (a photo stored sideways reports its upright size). PIL images
    give their ``size``; arrays their shape.

    Parameters
    ----------
    source : str, os.PathLike, bytes, PIL.Image.Image or ndarray
        As in :func:`load_image`.
    index : int, optional
        Position of the source in a batch, to name in-memory sources in errors.
    max_pixels : int or None, default=DEFAULT_MAX_PIXELS
        As in :func:`load_image`: an image declaring more pixels is refused from its
        header (Pillow's process-wide guard is not the rule, as when decoding).

    Returns
    -------
    (int, int)
        ``(height, width)`` in pixels.

    Raises
    ------
    ImageTooLargeError
        The header declares more than ``max_pixels`` pixels.
    ImageLoadError, ImageNotFoundError, InvalidImageError
        As :func:`load_image`, for a source whose header cannot be read: it is then
        decoded, to raise that source's own error. A file whose header is sound but
        whose pixels are truncated passes here and fails when decoded. An image with a
        zero width or height (any source) raises ``InvalidImageError``.

    Notes
    -----
    An orientation stored in a PNG's ``eXIf`` chunk placed after the pixel data is
    seen only when decoding (reading it would decode the image); such files are rare.

    Examples
    --------
    >>> import numpy as np
    >>> image_size(np.zeros((4, 5, 3), np.uint8))
    (4, 5)
    """
    size = None  # (width, height) as stored, and the upright (height, width)
    if isinstance(source, (str, os.PathLike, bytes, bytearray, memoryview)):
        try:
            with warnings.catch_warnings():  # featclf's max_pixels decides, not Pillow's global guard
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                path = isinstance(source, (str, os.PathLike))
                with open(os.fspath(source), "rb") if path else io.BytesIO(source) as fp:
                    with _open_header(fp) as im:
                        size = im.size, _upright(im)
        except Exception:  # noqa: BLE001 - decoding below raises this source's own featclf error
            pass
    elif isinstance(source, Image.Image):
        try:
            size = source.size, _upright(source)
        except Exception:  # noqa: BLE001 - as above
            pass
    elif isinstance(source, np.ndarray) and source.ndim in (2, 3) and source.dtype == np.uint8:
        if (source.ndim == 2 or source.shape[2] in (1, 3, 4)) and source.shape[0] > 0 and source.shape[1] > 0:
            return int(source.shape[0]), int(source.shape[1])
    if size is not None:
        _check_not_empty(size[0], describe_source(source, index))
        _check_pixels(size[0], max_pixels, describe_source(source, index))
        return size[1]
    return tuple(int(v) for v in decode_image(source, index=index, max_pixels=max_pixels).shape[:2])


def _open_header(fp) -> Image.Image:
    """``Image.open(fp)``, also for images above Pillow's process-wide guard (their header only)."""
    try:
        return Image.open(fp)
    except Image.DecompressionBombError:
        fp.seek(0)
        return _open_unguarded(fp)


def _upright(im: Image.Image) -> tuple[int, int]:
    """``(height, width)`` after EXIF orientation, from what the header gave (never decodes)."""
    width, height = im.size
    # Image.getexif of the base class reads the EXIF (and XMP) the header held; PNG's own getexif
    # would decode the whole image to look for an eXIf chunk after the pixels.
    if Image.Image.getexif(im).get(_ORIENTATION, 1) in _SWAPS_AXES:
        width, height = height, width
    return int(height), int(width)
