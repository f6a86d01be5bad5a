"""Generated test pictures for the image input layer (helpers imported by the tests).

Every picture is small, deterministic and written by the tests themselves
(Pillow, into ``tmp_path``); nothing is downloaded.
"""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
from PIL import Image


def picture_rgb(h: int = 12, w: int = 20, seed: int = 0) -> np.ndarray:
    """A deterministic RGB picture with many distinct colours (uint8, H x W x 3)."""
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, size=(h, w, 3), dtype=np.uint8)


def picture_grey(h: int = 12, w: int = 20, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, size=(h, w), dtype=np.uint8)


def picture_rgba(h: int = 12, w: int = 20, seed: int = 2) -> np.ndarray:
    """RGBA with a fully transparent, *black* background and an opaque / half-transparent subject.

    Left third: alpha 0 with colour (0, 0, 0) -- a naive conversion shows it black.
    Middle third: alpha 128. Right third: alpha 255.
    """
    rgba = np.zeros((h, w, 4), dtype=np.uint8)
    rgba[..., :3] = picture_rgb(h, w, seed)
    third = w // 3
    rgba[:, :third, :3] = 0
    rgba[:, :third, 3] = 0
    rgba[:, third : 2 * third, 3] = 128
    rgba[:, 2 * third :, 3] = 255
    return rgba


def composite(rgba: np.ndarray, background=(255, 255, 255)) -> np.ndarray:
    """Reference alpha compositing (round half up), independent of featclf."""
    a = rgba[..., 3:4].astype(np.float64) / 255.0
    out = rgba[..., :3] * a + np.asarray(background, np.float64) * (1 - a)
    return np.floor(out + 0.5).astype(np.uint8)


def luma(rgb: np.ndarray) -> np.ndarray:
    """ITU-R 601-2 luma, float (compare with a tolerance of 1 for rounding)."""
    return rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114


def encode(image: Image.Image, fmt: str, **params) -> bytes:
    buf = io.BytesIO()
    image.save(buf, fmt, **params)
    return buf.getvalue()


def png_bomb(width: int = 100_000, height: int = 100_000) -> bytes:
    """A tiny valid 1x1 PNG whose IHDR is patched to declare ``width x height`` (CRC fixed)."""
    data = bytearray(encode(Image.new("L", (1, 1), 0), "PNG"))
    assert data[12:16] == b"IHDR"
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    return bytes(data)


def exif_jpeg(orientation: int) -> bytes:
    """A 16 (high) x 32 (wide) white JPEG, red 8x8 block at the stored top-left, EXIF orientation set."""
    stored = np.full((16, 32, 3), 255, np.uint8)
    stored[:8, :8] = (255, 0, 0)
    exif = Image.Exif()
    exif[0x0112] = orientation
    return encode(Image.fromarray(stored), "JPEG", quality=95, exif=exif.tobytes())


def permissions_ignored() -> bool:
    """True when file permissions do not stop this process (root: os.geteuid() == 0 with its usual
    capabilities), probed on a real chmod-000 file; tests of permission errors skip then."""
    import os
    import tempfile

    with tempfile.NamedTemporaryFile() as f:
        os.chmod(f.name, 0)
        try:
            open(f.name, "rb").close()
        except PermissionError:
            return False
        return True
