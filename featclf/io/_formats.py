"""Which file extensions are images: the ones the installed Pillow can decode.

A folder scan takes a file when its extension (case-insensitive) belongs to a format
that Pillow, as installed, reads to pixels -- ``PIL.Image.registered_extensions()``
after ``Image.init()``, less the formats this installation cannot decode:

* formats Pillow only writes (``.pdf``, ``.palm``);
* formats Pillow only identifies (MPEG) or hands to an application handler that is not
  registered (the "stub" formats BUFR, GRIB, HDF5, WMF/EMF);
* formats whose codec is not in this Pillow build or not installed: JPEG 2000
  (OpenJPEG), WebP, AVIF (libavif), JPEG (libjpeg), EPS/PS (Ghostscript).

So AVIF, TGA, JPEG 2000, QOI, PSD, ICO, ... files count when the installed Pillow
reads them, and :func:`extension_problem` says why any other extension does not.
The answer is computed once per process (Pillow's plugins do not change at run time).
"""

from __future__ import annotations

import functools
import inspect
import sys

__all__ = ["extension_problem", "image_extensions"]

#: Formats opened by another format's reader (an MPO file is a JPEG with extra frames).
_OPENED_AS = {"MPO": "JPEG"}
#: Formats whose decoder is an optional part of Pillow: format -> (PIL.features name, what is missing).
_CODECS = {
    "JPEG": ("jpg", "libjpeg"),
    "JPEG2000": ("jpg_2000", "the JPEG 2000 decoder (OpenJPEG)"),
    "WEBP": ("webp", "the WebP decoder (libwebp)"),
    "AVIF": ("avif", "the AVIF decoder (libavif)"),
}


def _format_problem(fmt: str) -> str | None:
    """Why the installed Pillow cannot decode ``fmt`` to pixels, or ``None`` when it can."""
    from PIL import Image, ImageFile, features

    reader = Image.OPEN.get(_OPENED_AS.get(fmt, fmt))
    if reader is None:
        return f"Pillow writes {fmt} files but cannot read them"
    factory = reader[0]
    if inspect.isclass(factory) and issubclass(factory, ImageFile.StubImageFile):
        if getattr(sys.modules.get(factory.__module__), "_handler", None) is None:
            return f"Pillow identifies {fmt} files but has no decoder for them"
    if fmt == "MPEG":
        return "Pillow identifies MPEG video files but cannot decode them"
    if fmt == "EPS":
        from PIL import EpsImagePlugin

        if not EpsImagePlugin.has_ghostscript():
            return "reading EPS/PostScript needs Ghostscript, which is not installed"
    codec = _CODECS.get(_OPENED_AS.get(fmt, fmt))
    if codec is not None and not features.check(codec[0]):
        return f"this Pillow build lacks {codec[1]}"
    return None


@functools.lru_cache(maxsize=1)
def _extension_table() -> dict[str, str | None]:
    from PIL import Image

    Image.init()  # registers every plugin Pillow has (Image.open does the same on first use)
    return {ext.lower(): _format_problem(fmt) for ext, fmt in Image.registered_extensions().items()}


def image_extensions() -> frozenset[str]:
    """The file extensions a folder scan takes as images: those the installed Pillow decodes.

    Returns
    -------
    frozenset of str
        Lower-case extensions with the dot, e.g. ``{'.png', '.jpg', '.avif', '.tga', ...}``.
        Depends on the installed Pillow and its codecs (see the module docstring).
    """
    return frozenset(ext for ext, problem in _extension_table().items() if problem is None)


def extension_problem(ext: str) -> str | None:
    """Why files ending in ``ext`` are not read as images, or ``None`` when they are.

    Parameters
    ----------
    ext : str
        An extension with its dot (``'.jp2'``), any case; ``''`` for no extension.

    Returns
    -------
    str or None
        E.g. ``'not an image format'``, or ``'this Pillow build lacks the JPEG 2000
        decoder (OpenJPEG)'``.
    """
    ext = ext.lower()
    table = _extension_table()
    if ext not in table:
        return "not an image format" if ext else "no file extension"
    return table[ext]
