"""Decode any supported image source into a numpy array with one output contract.

Output contract (identical whatever the source):

* ``mode="rgb"`` (default): ``ndarray of shape (H, W, 3)``, dtype ``uint8``, channel
  order R, G, B. Transparency is composited onto ``background`` (white by default).
* ``mode="grey"`` (alias ``"gray"``): ``(H, W)`` uint8, ITU-R 601-2 luma of the
  composited RGB image (``0.299 R + 0.587 G + 0.114 B``, as Pillow and OpenCV do).
* ``mode="rgba"``: ``(H, W, 4)`` uint8, colour *not* composited, alpha kept
  (255 everywhere for sources without alpha). Used by extractors that must ignore
  transparent pixels.

Sources: a path (``str`` or ``os.PathLike``), encoded bytes, a PIL image, or a
numpy array of shape ``(H, W)``, ``(H, W, 1)``, ``(H, W, 3)`` (RGB order) or
``(H, W, 4)`` (RGBA) with dtype ``uint8``, ``uint16`` (scaled by 1/257), ``bool``
or floating point in ``[0, 1]``.

Encoded sources are decoded with Pillow (PNG, JPEG, BMP, TIFF, WebP, GIF -- first
frame -- and the other formats Pillow reads). EXIF orientation is applied. Modes:
1-bit, grey, grey+alpha, palette (with or without transparency), grey and RGB with a
transparent colour key (PNG ``tRNS``), RGB, RGBA, CMYK,
YCbCr, LAB, HSV, 16-bit and 32-bit integer grey (scaled to 8 bits: ``I;16`` by
1/257, ``I`` clipped to 16 bits first; a 16-bit ``tRNS`` transparent grey level is
compared at full depth and composited like an 8-bit one), 32-bit float grey (``[0, 1]`` scaled by 255,
otherwise clipped to ``[0, 255]``).

Nothing here changes global Pillow or OpenCV state.
"""

from __future__ import annotations

import io
import os
import stat
import struct
import warnings

import numpy as np
from PIL import Image, UnidentifiedImageError

from .._validation import check_int, check_option
from ..exceptions import (
    ImageLoadError,
    ImageNotFoundError,
    ImageTooLargeError,
    InvalidImageError,
)

__all__ = [
    "DEFAULT_MAX_PIXELS", "MODES", "WHITE", "check_background", "check_max_pixels", "check_mode",
    "convert_image", "decode_image", "describe_source", "load_image", "resize_image",
]

MODES = ("rgb", "grey", "gray", "rgba")
#: The default background transparent pixels are composited onto.
WHITE = (255, 255, 255)
#: on_error='skip' works where rows may be dropped (extract(), evaluate, cluster); an extractor's
#: transform (e.g. inside a Pipeline) must keep one row per input, so there it is on_error='nan'.
_SKIP_ONLY = ("pass on_error='skip' to leave unreadable images out (extract(), evaluate, cluster), or "
              "on_error='nan' to keep a row of NaN for each (an extractor's transform, e.g. in a Pipeline)")
_SKIP_HINT = "Fix or remove the file, or " + _SKIP_ONLY
_ORIENTATION = 0x0112  # the EXIF orientation tag
#: Pillow's own refusal point at its default settings (``2 * PIL.Image.MAX_IMAGE_PIXELS``):
#: featclf's default ``max_pixels``, so that every image Pillow opens by default still loads.
DEFAULT_MAX_PIXELS = 2 * (1024 * 1024 * 1024 // 4 // 3)
#: Pixels converted at a time (a strip of rows): an image larger than this is copied out of
#: Pillow's storage strip by strip, so no full-size temporary exists besides the result.
_STRIP_PIXELS = 1 << 18
_MAX_PIXELS_HINT = "If the image is genuine, pass max_pixels={needed} (or max_pixels=None for no limit; " \
                   "--max-pixels {needed} on the command line)"


def describe_source(source, index: int | None = None) -> str:
    """Name a source in messages: its path, or ``"item N"`` for in-memory images."""
    if isinstance(source, (str, os.PathLike)):
        return os.fspath(source)
    kind = type(source).__name__
    return f"item {index} ({kind})" if index is not None else f"in-memory {kind}"


def _is_path(source) -> bool:
    return isinstance(source, (str, os.PathLike))


def check_max_pixels(max_pixels, owner=None):
    """Validate a ``max_pixels`` setting: an int >= 1, or ``None`` for no limit."""
    return check_int("max_pixels", max_pixels, owner=owner, allow_none=True)


def _check_pixels(size, max_pixels, label: str) -> None:
    """Refuse an image of ``size=(width, height)`` above ``max_pixels`` (featclf's decompression-bomb guard)."""
    width, height = size
    if max_pixels is not None and width * height > max_pixels:
        raise ImageTooLargeError(
            label, f"image of {width}x{height} pixels (width x height) is {width * height:,} pixels, more than "
            f"max_pixels={max_pixels:,} (featclf's guard against decompression bombs)",
            _MAX_PIXELS_HINT.format(needed=width * height),
        )


def _check_not_empty(size, label: str) -> None:
    """Refuse an image of ``size=(width, height)`` with no pixel: this source's (skippable) error."""
    width, height = size
    if width <= 0 or height <= 0:
        raise InvalidImageError(label, f"empty image of {width}x{height} pixels (width x height): nothing to read")


# --------------------------------------------------------------------------- decoding
def _open_encoded(source, label: str, background=None, max_pixels=DEFAULT_MAX_PIXELS) -> np.ndarray:
    """Decode a path or bytes with Pillow into a canonical uint8 array (H, W), (H, W, 3) or (H, W, 4).

    The image size is read from the header and checked against ``max_pixels`` before
    anything is decoded. Pillow's own guard (a process-wide setting,
    ``PIL.Image.MAX_IMAGE_PIXELS``) is not the rule: its warning is silenced here, and
    where it refuses an image that ``max_pixels`` allows, the file is opened again through
    its format's plugin without that guard (:func:`_open_unguarded`), so the same images
    load in every process and thread whatever that setting.
    """
    if _is_path(source):
        fp = _open_file(os.fspath(source), label)
    else:
        if len(source) == 0:
            raise ImageLoadError(label, "empty bytes: nothing to decode")
        fp = io.BytesIO(source)
    try:
        with fp, warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # featclf's own check decides
            try:
                with Image.open(fp) as im:
                    return _decode_opened(im, label, background, max_pixels)
            except Image.DecompressionBombError:
                fp.seek(0)
                with _open_unguarded(fp) as im:  # max_pixels decides, not the global
                    return _decode_opened(im, label, background, max_pixels)
    except ImageTooLargeError:
        raise
    except Image.DecompressionBombError as exc:  # a plugin's own guard while decoding (e.g. TIFF tiles, GIF frames)
        raise ImageTooLargeError(
            label, f"Pillow's decoder for this format refuses it while decoding ({exc})",
            "This format's decoder checks Pillow's process-wide limit itself; convert the image to PNG or JPEG",
        ) from None
    except UnidentifiedImageError:
        raise ImageLoadError(
            label, "not a readable image (Pillow cannot identify the format)",
            "Supported: PNG, JPEG, BMP, TIFF, WebP, GIF and other formats Pillow reads. " + _SKIP_HINT,
        ) from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ImageLoadError(
            label, f"cannot be decoded, the file is truncated or corrupt ({exc})", _SKIP_HINT
        ) from None


def _open_file(path: str, label: str):
    """Open ``path`` for reading; the reasons it cannot be opened are told apart from decoding faults."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise ImageNotFoundError(label, "no such file", "Check the path and the current directory") from None
    except PermissionError:
        raise ImageLoadError(label, "permission denied: a folder on its path cannot be searched",
                             "Give its folders search permission (chmod a+rx DIR), or " + _SKIP_ONLY) from None
    except OSError as exc:
        raise ImageLoadError(label, f"cannot be opened ({exc.strerror or exc})", _SKIP_HINT) from None
    if stat.S_ISDIR(info.st_mode):
        raise ImageLoadError(
            label, "is a directory, not an image file",
            "Pass the image files inside it, or use featclf.ImageFolder / featclf.UnlabelledFolder for a folder",
        )
    if not stat.S_ISREG(info.st_mode):  # a FIFO or a device: reading could block or never end
        raise ImageLoadError(label, "not a regular file (a pipe, socket or device)", "Pass image files")
    if info.st_size == 0:
        raise ImageLoadError(label, "the file is empty (0 bytes)", _SKIP_HINT)
    try:
        return open(path, "rb")  # closed by the caller's with block
    except PermissionError:
        raise ImageLoadError(label, "permission denied: the file cannot be read",
                             "Give read permission (chmod a+r FILE), or " + _SKIP_ONLY) from None
    except OSError as exc:
        raise ImageLoadError(label, f"cannot be opened ({exc.strerror or exc})", _SKIP_HINT) from None


def _decode_opened(im: Image.Image, label: str, background, max_pixels) -> np.ndarray:
    _check_not_empty(im.size, label)  # from the header: nothing decoded yet
    _check_pixels(im.size, max_pixels, label)
    im.load()  # decode fully now, so that truncated files fail here
    return _pil_to_array(im, background)


def _open_unguarded(fp):
    """``Image.open(fp)`` without Pillow's process-wide size guard: the format's own plugin reads the header.

    ``Image.open`` refuses images above ``2 * PIL.Image.MAX_IMAGE_PIXELS``, a module
    global that cannot be set per call or per thread (changing it would change it for
    every thread of the user's process). Instead the first registered plugin that
    accepts the file's signature opens it, as ``Image.open`` does; featclf's own
    ``max_pixels`` check follows. Used only for images Pillow's guard refuses.
    """
    Image.init()
    prefix = fp.read(16)
    for name in Image.ID:
        factory, accept = Image.OPEN[name]
        if accept is not None and accept(prefix) is not True:  # False, or a str: "not this format"
            continue
        fp.seek(0)
        try:
            return factory(fp, getattr(fp, "name", ""))
        except (SyntaxError, IndexError, TypeError, struct.error):
            continue
    raise UnidentifiedImageError("cannot identify image file")


def _pil_to_array(im: Image.Image, background=None) -> np.ndarray:
    """Canonical uint8 array from a PIL image of any mode, EXIF orientation applied.

    With a ``background``, transparency is composited onto it here (see
    :func:`decode_image`), so the result never has an alpha channel.

    Memory: Pillow's decoded image plus the result, nothing else of full size. Every
    conversion is per pixel, so an image of more than ``_STRIP_PIXELS`` pixels is
    converted a strip of rows at a time into the preallocated result (the same values
    as converting it whole); the EXIF orientation is applied by writing the strips
    through a flipped or transposed view of the result, not by a transposed copy.
    """
    im.load()
    orientation = im.getexif().get(_ORIENTATION, 1)  # getexif also reads an XMP orientation
    convert = _strip_converter(im, background)
    width, height = im.size
    rows = max(1, _STRIP_PIXELS // max(1, width))
    if rows >= height and orientation not in _ORIENTED:
        return convert(im)  # small and upright: one step, no copy
    first = convert(im.crop((0, 0, width, min(rows, height))))
    out_shape = (height, width) if orientation not in _ORIENTED or orientation < 5 else (width, height)
    out = np.empty(out_shape + first.shape[2:], dtype=first.dtype)
    target = _ORIENTED.get(orientation, lambda a: a)(out)  # ``out`` seen in the source's orientation
    target[: first.shape[0]] = first
    del first
    for top in range(rows, height, rows):
        target[top : top + rows] = convert(im.crop((0, top, width, min(top + rows, height))))
    return out


#: For each EXIF orientation ``ImageOps.exif_transpose`` acts on, a view of the upright
#: result in the source's orientation: writing the source's pixels through it leaves the
#: result upright (orientations 5-8 swap height and width).
_ORIENTED = {
    2: lambda a: a[:, ::-1],  # FLIP_LEFT_RIGHT
    3: lambda a: a[::-1, ::-1],  # ROTATE_180
    4: lambda a: a[::-1],  # FLIP_TOP_BOTTOM
    5: lambda a: a.swapaxes(0, 1),  # TRANSPOSE
    6: lambda a: np.rot90(a, 1),  # ROTATE_270 (the result is the source turned 90 degrees clockwise)
    7: lambda a: a[::-1, ::-1].swapaxes(0, 1),  # TRANSVERSE
    8: lambda a: np.rot90(a, -1),  # ROTATE_90
}


def _strip_converter(im: Image.Image, background):
    """A function taking a strip of ``im`` (a PIL image of its rows) to its canonical (or composited) array.

    Decisions that depend on the whole image are taken here, once: which palette
    colours are used (from Pillow's histogram of palette indices) and whether a float
    image lies in ``[0, 1]``.
    """
    mode = im.mode
    if mode == "F":  # no alpha: the background plays no part
        scale = _float_in_unit_range(im)
        return lambda strip: _float_to_uint8(strip, scale)
    if background is not None:
        if mode == "RGBA":
            if background == WHITE:
                return lambda strip: _composite(np.asarray(strip), background)
            return lambda strip: _paste_rgba(strip, background)
        if mode == "LA" and background[0] == background[1] == background[2]:
            return lambda strip: _paste_grey_alpha(strip, int(background[0]))
        if mode == "P" and _palette_has_alpha(im):
            return _palette_flattener(im, background)
        return lambda strip: _composited(_pil_canonical(strip), background)
    return _pil_canonical


def _composited(canon: np.ndarray, background) -> np.ndarray:
    return _composite(canon, background) if canon.ndim == 3 and canon.shape[2] == 4 else canon


def _paste_rgba(strip: Image.Image, background) -> np.ndarray:
    out = Image.new("RGB", strip.size, background)
    out.paste(strip, (0, 0), strip)
    return np.asarray(out)


def _paste_grey_alpha(strip: Image.Image, level: int) -> np.ndarray:
    grey, alpha = strip.split()
    out = Image.new("L", strip.size, level)
    out.paste(grey, (0, 0), alpha)
    return np.asarray(out)


def _pil_canonical(im: Image.Image) -> np.ndarray:
    """The canonical array of a PIL image (or strip) of any mode but ``F`` of unknown range."""
    mode = im.mode
    if mode in ("1", "L", "RGB") and "transparency" in im.info:  # a tRNS colour key: one colour is transparent
        return np.asarray(im.convert("RGBA"), dtype=np.uint8)
    if mode in ("L", "RGB", "RGBA"):
        return np.asarray(im, dtype=np.uint8)
    if mode == "1":
        return np.asarray(im.convert("L"), dtype=np.uint8)
    if mode in ("LA", "La"):
        la = np.asarray(im.convert("LA"), dtype=np.uint8)
        grey = la[..., 0]
        return np.dstack([grey, grey, grey, la[..., 1]])
    if mode in ("P", "PA"):
        return np.asarray(im.convert("RGBA" if _palette_has_alpha(im) else "RGB"), dtype=np.uint8)
    if mode == "RGBa":
        return np.asarray(im.convert("RGBA"), dtype=np.uint8)
    if mode.startswith("I;16") or mode == "I":
        values = np.asarray(im)
        grey = _scale_uint16(np.clip(values, 0, 65535).astype(np.uint16))
        key = im.info.get("transparency")
        if isinstance(key, (int, np.integer)):  # a 16-bit tRNS colour key: that grey level is transparent
            return np.dstack([grey, grey, grey, np.where(values == key, 0, 255).astype(np.uint8)])
        return grey
    if mode == "F":
        return _float_to_uint8(im, _float_in_unit_range(im))
    return np.asarray(im.convert("RGB"), dtype=np.uint8)  # CMYK, YCbCr, LAB, HSV, ...


def _float_in_unit_range(im: Image.Image) -> bool:
    """Whether a float (``F``) image's values, NaN left out, all lie in [0, 1] (read a strip at a time)."""
    width, height = im.size
    rows = max(1, _STRIP_PIXELS // max(1, width))
    low, high = np.inf, -np.inf
    for top in range(0, height, rows):
        arr = np.asarray(im.crop((0, top, width, min(top + rows, height))), dtype=np.float32)
        finite = arr[~np.isnan(arr)]
        if finite.size:
            low, high = min(low, float(finite.min())), max(high, float(finite.max()))
    return low <= high and low >= 0 and high <= 1


def _float_to_uint8(im: Image.Image, scale: bool) -> np.ndarray:
    arr = np.asarray(im, dtype=np.float32)
    if scale:
        arr = arr * 255
    return np.clip(np.nan_to_num(arr), 0, 255).round().astype(np.uint8)


def _palette_has_alpha(im: Image.Image) -> bool:
    return im.mode == "PA" or "transparency" in im.info or (im.palette is not None and im.palette.mode == "RGBA")


def _palette_flattener(im: Image.Image, background):
    """Composite a palette image with transparency: its 256 colours, then look the pixels up.

    Bit-identical to compositing ``convert('RGBA')``. The RGBA colour Pillow's convert
    gives each index comes from a probe image with the same palette and transparency
    information, whatever form that information takes. The result is grey ``(H, W)``
    when every colour the image uses (Pillow's histogram of its indices) composites to
    a grey level.
    """
    import cv2

    probe = im.crop((0, 0, 256, 1))
    probe.putdata(range(256))
    colours = _composite_formula(np.asarray(probe.convert("RGBA"), dtype=np.uint8)[0], background)
    used = np.asarray(im.histogram()[:256]) > 0
    not_grey = (colours[:, 0] != colours[:, 1]) | (colours[:, 1] != colours[:, 2])
    if not (not_grey & used).any():  # every colour used is grey
        grey = np.ascontiguousarray(colours[:, 0])
        return lambda strip: cv2.LUT(np.asarray(strip, dtype=np.uint8), grey)
    table = colours.reshape(1, 256, 3)
    return lambda strip: cv2.LUT(cv2.cvtColor(np.asarray(strip, dtype=np.uint8), cv2.COLOR_GRAY2RGB), table)


def _scale_uint16(arr: np.ndarray) -> np.ndarray:
    return ((arr.astype(np.uint32) * 255 + 32767) // 65535).astype(np.uint8)


def _is_canonical_shape(shape) -> bool:
    """(H, W), (H, W, 3) or (H, W, 4) with H, W >= 1."""
    return (len(shape) == 2 or (len(shape) == 3 and shape[2] in (3, 4))) and shape[0] > 0 and shape[1] > 0


def _array_to_canonical(arr: np.ndarray, label: str) -> np.ndarray:
    """Validate an in-memory image and convert it to canonical uint8."""
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[..., 0]
    if not (arr.ndim == 2 or (arr.ndim == 3 and arr.shape[2] in (3, 4))):
        raise InvalidImageError(
            label, f"expected an image array of shape (H, W), (H, W, 1), (H, W, 3) or (H, W, 4); got shape {arr.shape}",
            "For a stack of images pass a list of arrays, or an array of shape (N, H, W[, C]) to an extractor",
        )
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise InvalidImageError(label, f"empty image of shape {arr.shape}")
    if arr.dtype == np.uint8:
        return arr
    if arr.dtype == np.bool_:
        return arr.astype(np.uint8) * 255
    if arr.dtype == np.uint16:
        return _scale_uint16(arr)
    if np.issubdtype(arr.dtype, np.floating):
        if not np.isfinite(arr).all():
            raise InvalidImageError(
                label, "float image contains NaN or infinite values",
                "Replace them first, e.g. np.nan_to_num(image, nan=0.0, posinf=1.0, neginf=0.0)",
            )
        low, high = float(arr.min()), float(arr.max())
        if low < 0 or high > 1:
            raise InvalidImageError(
                label, f"float images must lie in [0, 1]; got values in [{low:g}, {high:g}]",
                "Divide by 255 if the values are 0-255, or pass a uint8 array",
            )
        return (arr * 255).round().astype(np.uint8)
    raise InvalidImageError(
        label, f"unsupported dtype {arr.dtype}",
        "Pass uint8 (0-255), uint16, bool, or floating point in [0, 1], e.g. arr.astype(np.uint8)",
    )


def _composite_formula(rgba: np.ndarray, background) -> np.ndarray:
    """``round((c*a + bg*(255 - a)) / 255)`` per colour channel, in integers (the definition)."""
    alpha = rgba[..., 3:4].astype(np.uint16)
    bg = np.asarray(background, dtype=np.uint16).reshape((1,) * (rgba.ndim - 1) + (3,))
    rgb = (rgba[..., :3].astype(np.uint16) * alpha + bg * (255 - alpha) + 127) // 255
    return rgb.astype(np.uint8)


def _composite(rgba: np.ndarray, background) -> np.ndarray:
    """An (H, W, 4) image composited onto an opaque ``background``: (H, W, 3).

    Bit-identical to :func:`_composite_formula` (``round((c*a + bg*(255 - a)) / 255)``,
    which the tests check on every (colour, alpha, background) triple), without its
    full-resolution uint16 temporaries:

    * onto white, with OpenCV: ``255 - round((255 - c) * a / 255)`` (the same value, as
      ``255 * (255 - a)`` is a multiple of 255 and no quotient ends in .5), the product
      being OpenCV's exactly rounded alpha premultiplication (``COLOR_RGBA2mRGBA``)
      of the inverted colours;
    * onto any other colour, Pillow's paste with a mask, which blends each channel as
      ``(t + 128 + ((t + 128) >> 8)) >> 8`` with ``t = c*a + bg*(255 - a)``: the same
      rounded division by 255.
    """
    import cv2

    rgba = np.ascontiguousarray(rgba)
    if tuple(background) == WHITE:
        work = cv2.bitwise_xor(rgba, (255, 255, 255, 0))  # 255 - c, alpha kept (a new array)
        cv2.cvtColor(work, cv2.COLOR_RGBA2mRGBA, dst=work)  # in place: one full-size array less
        rgb = cv2.cvtColor(work, cv2.COLOR_RGBA2RGB)
        return cv2.bitwise_not(rgb, dst=rgb)
    h, w = rgba.shape[:2]
    src = Image.frombuffer("RGBA", (w, h), rgba, "raw", "RGBA", 0, 1)
    out = Image.new("RGB", (w, h), tuple(int(v) for v in background))
    out.paste(src, (0, 0), src)
    return np.asarray(out)


def _to_mode(canon: np.ndarray, mode: str, background) -> np.ndarray:
    """Convert a canonical array to the requested output mode."""
    if mode == "rgba":
        if canon.ndim == 2:
            canon = np.dstack([canon, canon, canon])
        if canon.shape[2] == 3:
            canon = np.dstack([canon, np.full(canon.shape[:2], 255, np.uint8)])
        return canon
    if canon.ndim == 3 and canon.shape[2] == 4:
        canon = _composite(canon, background)
    if mode == "rgb":
        return np.dstack([canon, canon, canon]) if canon.ndim == 2 else canon
    if canon.ndim == 2:
        return canon
    import cv2

    return cv2.cvtColor(np.ascontiguousarray(canon), cv2.COLOR_RGB2GRAY)


def check_mode(mode: str) -> str:
    """Validate an output layout name; ``'gray'`` is read as ``'grey'``."""
    mode = check_option("mode", mode, MODES)
    return "grey" if mode == "gray" else mode


def check_background(background):
    """Validate a background colour: an ``(R, G, B)`` tuple of ints in [0, 255]."""
    bg = tuple(background) if isinstance(background, (tuple, list)) else None
    if bg is None or len(bg) != 3 or not all(isinstance(v, (int, np.integer)) and 0 <= v <= 255 for v in bg):
        from ..exceptions import InvalidParameterError

        raise InvalidParameterError(
            f"The 'background' parameter must be an (R, G, B) tuple of ints in [0, 255]. Got {background!r} instead."
        )
    return bg


def decode_image(source, *, index: int | None = None, background=None, max_pixels=DEFAULT_MAX_PIXELS,
                 data: bytes | None = None) -> np.ndarray:
    """Decode one image source into its canonical uint8 array, before any layout conversion.

    The canonical array is ``(H, W)`` for grey sources, ``(H, W, 3)`` RGB, or
    ``(H, W, 4)`` RGBA for sources with transparency (colour not composited).
    :func:`convert_image` turns it into any output layout, so a batch engine can
    decode an image once and give several extractors the layout each needs;
    ``load_image(source, mode=m)`` is ``convert_image(decode_image(source), m)``.

    Parameters
    ----------
    source, index
        As in :func:`load_image`.
    background : tuple of 3 ints, optional
        Composite transparency onto this colour while decoding, so the result has no
        alpha channel: for a consumer of ``'rgb'`` or ``'grey'`` only, and faster
        (a palette image composites its 256 colours, not its pixels; grey + alpha
        composites one band, not three). The result is then
        ``(H, W)`` for grey sources, also for grey + alpha sources and palette images
        whose colours composite to grey levels on this background, and ``(H, W, 3)``
        otherwise. For ``mode`` in ``'rgb'``, ``'grey'``,
        ``convert_image(decode_image(s, background=bg), mode, background=bg)`` equals
        ``convert_image(decode_image(s), mode, background=bg)`` bit for bit.
    max_pixels : int or None, default=DEFAULT_MAX_PIXELS
        As in :func:`load_image`.
    data : bytes, optional
        For a path: the file's bytes, already read (the engine's cache hashes and decodes
        the same bytes, reading each file once); decoded instead of the file, and errors
        still name the path.

    Returns
    -------
    image : ndarray of dtype uint8, shape (H, W), (H, W, 3) or (H, W, 4)
        May share memory with an in-memory uint8 source.

    Raises
    ------
    As :func:`load_image`.
    """
    if background is not None and background is not WHITE:
        background = check_background(background)
    if isinstance(source, np.ndarray):
        if source.dtype == np.uint8 and _is_canonical_shape(source.shape):  # the common case, checked cheaply
            canon = source
        else:
            canon = _array_to_canonical(source, describe_source(source, index))
        if background is not None and canon.ndim == 3 and canon.shape[2] == 4:
            canon = _composite(canon, background)
        return canon
    label = describe_source(source, index)
    if _is_path(source) or isinstance(source, (bytes, bytearray, memoryview)):
        return _open_encoded(source if not data else data, label, background, max_pixels)
    if isinstance(source, Image.Image):
        _check_not_empty(source.size, label)
        _check_pixels(source.size, max_pixels, label)  # its pixels may not be decoded yet
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # featclf's own check decides
                return _pil_to_array(source, background)
        except Exception as exc:  # noqa: BLE001 - any failure to read this source is this source's error
            closed = getattr(source, "fp", None) is None and getattr(source, "_im", None) is None
            reason = (f"cannot be read: the PIL image was closed before its pixels were loaded "
                      f"({type(exc).__name__})" if closed else f"cannot be converted ({type(exc).__name__}: {exc})")
            raise ImageLoadError(
                label, reason, "Call image.load() (or np.asarray(image)) inside the 'with Image.open(...)' block, "
                "or pass the path",
            ) from None
    raise InvalidImageError(
        label, f"unsupported source type {type(source).__name__}",
        "Pass a path, encoded bytes, a PIL image or a numpy array",
    )


def convert_image(image: np.ndarray, mode: str = "rgb", *, background=WHITE) -> np.ndarray:
    """Convert a canonical image (from :func:`decode_image`) to an output layout.

    Parameters
    ----------
    image : ndarray of shape (H, W), (H, W, 3) or (H, W, 4), uint8
    mode : {'rgb', 'grey', 'gray', 'rgba'}, default='rgb'
        As in :func:`load_image`.
    background : tuple of 3 ints, default=(255, 255, 255)
        Colour that transparent pixels are composited onto (``'rgb'`` and ``'grey'``).

    Returns
    -------
    ndarray of dtype uint8, shape (H, W, 3), (H, W) or (H, W, 4) following ``mode``
        The input itself when it already has that layout.
    """
    mode = check_mode(mode)
    if background is not WHITE:
        background = check_background(background)
    return _to_mode(image, mode, background)


def load_image(source, *, mode: str = "rgb", background=WHITE, index: int | None = None,
               max_pixels=DEFAULT_MAX_PIXELS) -> np.ndarray:
    """Decode one image source into a uint8 array.

    Parameters
    ----------
    source : str, os.PathLike, bytes, PIL.Image.Image or ndarray
        A path to an image file, encoded image bytes, a PIL image, or an array of
        shape ``(H, W)``, ``(H, W, 1)``, ``(H, W, 3)`` (RGB) or ``(H, W, 4)`` (RGBA).
    mode : {'rgb', 'grey', 'gray', 'rgba'}, default='rgb'
        Output layout: ``(H, W, 3)`` RGB, ``(H, W)`` luma, or ``(H, W, 4)`` with
        alpha kept and colour not composited.
    background : tuple of 3 ints, default=(255, 255, 255)
        Colour that transparent pixels are composited onto (``'rgb'`` and ``'grey'``).
    index : int, optional
        Position of the source in a batch, used to name in-memory sources in errors.
    max_pixels : int or None, default=DEFAULT_MAX_PIXELS
        The largest image (width x height pixels) decoded: a file or PIL image that
        declares more is refused with :class:`ImageTooLargeError` before anything is
        decoded (a guard against decompression bombs: a few bytes declaring a huge
        image). ``None``: no limit. The default, 178,956,970 (about 179 megapixels,
        0.5 GB as RGB), is where Pillow refuses at its default settings, so images Pillow
        opens load. Pillow's own setting (``PIL.Image.MAX_IMAGE_PIXELS``, process-wide)
        plays no part and its ``DecompressionBombWarning`` is never shown: only this
        parameter decides, identically in every worker process and thread. In-memory
        arrays, already decoded, are not checked.

    Returns
    -------
    image : ndarray of dtype uint8
        Shape ``(H, W, 3)``, ``(H, W)`` or ``(H, W, 4)`` following ``mode``. May share
        memory with an in-memory uint8 source of the requested layout.

    Raises
    ------
    ImageNotFoundError
        The path does not exist.
    ImageLoadError
        The path is a directory, a pipe or device, an empty file, not readable (permission
        denied: said as such, not as corruption), not an image, or truncated/corrupt.
    ImageTooLargeError
        The file (or PIL image) has more than ``max_pixels`` pixels; the message gives
        its size and the ``max_pixels`` that would accept it.
    InvalidImageError
        An array of the wrong shape, dtype or range, an image with no pixel (a zero width
        or height, from any source: array, PIL image or file header), or an unsupported
        source type.

    Examples
    --------
    >>> import numpy as np, featclf
    >>> featclf.load_image(np.zeros((4, 5), dtype=bool)).shape
    (4, 5, 3)
    """
    mode = check_mode(mode)
    if background is not WHITE:
        background = check_background(background)
    flatten = None if mode == "rgba" else background  # composite while decoding: same values, less work
    max_pixels = check_max_pixels(max_pixels)
    return _to_mode(decode_image(source, index=index, background=flatten, max_pixels=max_pixels), mode, background)


def resize_image(image: np.ndarray, size) -> np.ndarray:
    """Resize to ``size=(height, width)``: area averaging to shrink, bilinear to enlarge.

    Parameters
    ----------
    image : ndarray of shape (H, W), (H, W, 3) or (H, W, 4), uint8
    size : (int, int)
        ``(height, width)``.

    Returns
    -------
    ndarray of shape (height, width[, C]), uint8
        The input itself when it has that size already. RGBA images are resized with
        premultiplied alpha (colour weighted by alpha, then divided by the resized
        alpha), as image libraries composite: the colour hidden under fully
        transparent pixels never leaks into the result, and pixels fully transparent
        after resizing stay fully transparent.
    """
    import cv2

    height, width = size
    if image.shape[:2] == (height, width):
        return image
    shrink = height <= image.shape[0] and width <= image.shape[1]
    interp = cv2.INTER_AREA if shrink else cv2.INTER_LINEAR
    image = np.ascontiguousarray(image)
    if image.ndim == 3 and image.shape[2] == 4 and not image[..., 3].all():
        return _resize_premultiplied(cv2, image, (width, height), interp)
    return cv2.resize(image, (width, height), interpolation=interp)


def _resize_premultiplied(cv2, rgba: np.ndarray, dsize, interp) -> np.ndarray:
    alpha = rgba[..., 3:4].astype(np.float32)
    weighted = np.concatenate([rgba[..., :3] * alpha, alpha], axis=2)  # colour x alpha, alpha (0-255 scale)
    resized = cv2.resize(weighted, dsize, interpolation=interp)
    out_alpha = resized[..., 3:4]
    colour = np.divide(resized[..., :3], out_alpha, out=np.zeros_like(resized[..., :3]), where=out_alpha > 0)
    out = np.empty((dsize[1], dsize[0], 4), dtype=np.uint8)
    out[..., :3] = np.clip(np.rint(colour), 0, 255)
    out[..., 3:] = np.clip(np.rint(out_alpha), 0, 255)
    return out
