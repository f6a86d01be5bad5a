"""Bad input: each raises featclf's error (also the matching built-in) naming the source and the reason."""

from __future__ import annotations

import io
import os
import re
import struct
import subprocess
import sys
import time

import numpy as np
import pytest
from imagegen import encode, picture_rgb, png_bomb
from PIL import Image

import featclf
from featclf import load_image
from featclf.exceptions import (
    FeatclfError,
    ImageLoadError,
    ImageNotFoundError,
    ImageTooLargeError,
    InvalidImageError,
)

REPO = os.path.dirname(os.path.dirname(os.path.abspath(featclf.__file__)))


def raises(error, builtin, match):
    """pytest.raises for a featclf error that must also be the given built-in exception."""
    assert issubclass(error, FeatclfError) and issubclass(error, builtin)
    return pytest.raises(error, match=match)


def check_source_error(info, source: str, reason_fragment: str):
    err = info.value
    assert err.source == source
    assert reason_fragment in err.reason
    assert str(err).startswith(f"{source}: ")


# --------------------------------------------------------------------------- files
def test_nonexistent_path(tmp_path):
    path = tmp_path / "missing" / "cat.png"
    with raises(ImageNotFoundError, FileNotFoundError, match=rf"^{re.escape(str(path))}: no such file") as info:
        load_image(path)
    check_source_error(info, str(path), "no such file")
    assert "Check the path" in str(info.value)


def test_directory(tmp_path):
    with raises(ImageLoadError, OSError, match=rf"^{re.escape(str(tmp_path))}: is a directory, not an image") as info:
        load_image(str(tmp_path))
    assert "featclf.ImageFolder" in str(info.value)  # says what to do instead


def test_zero_byte_file(tmp_path):
    path = tmp_path / "empty.png"
    path.touch()
    with raises(ImageLoadError, OSError, match=rf"^{re.escape(str(path))}: the file is empty \(0 bytes\)") as info:
        load_image(path)
    assert "on_error='skip'" in str(info.value)


def test_non_image_file_renamed_png(tmp_path):
    path = tmp_path / "notes.png"
    path.write_text("shopping list: milk, eggs\n" * 20)
    with raises(ImageLoadError, OSError, match=rf"^{re.escape(str(path))}: not a readable image") as info:
        load_image(path)
    assert "PNG, JPEG" in str(info.value)  # lists what is supported


@pytest.mark.parametrize("fmt, suffix", [("PNG", ".png"), ("JPEG", ".jpg")])
def test_truncated_file(tmp_path, fmt, suffix):
    data = encode(Image.fromarray(picture_rgb(64, 64)), fmt)
    path = tmp_path / f"cut{suffix}"
    path.write_bytes(data[: len(data) // 2])
    with raises(ImageLoadError, OSError, match=rf"^{re.escape(str(path))}: cannot be decoded.*truncated"):
        load_image(path)
    with raises(ImageLoadError, OSError, match=r"^in-memory bytes: cannot be decoded.*truncated"):
        load_image(data[: len(data) // 2])
    with raises(ImageLoadError, OSError, match=r"^item 7 \(bytes\): cannot be decoded"):
        load_image(data[: len(data) // 2], index=7)


def test_truncated_file_does_not_depend_on_global_pil_setting(tmp_path, monkeypatch):
    """Truncation must be detected even when *we* do not set LOAD_TRUNCATED_IMAGES (default False)."""
    from PIL import ImageFile

    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
    data = encode(Image.fromarray(picture_rgb(64, 64)), "PNG")
    with pytest.raises(ImageLoadError):
        load_image(data[: len(data) // 2])


def test_empty_bytes():
    with raises(ImageLoadError, OSError, match=r"^item 2 \(bytes\): empty bytes"):
        load_image(b"", index=2)


@pytest.mark.parametrize("as_file", [True, False])
def test_decompression_bomb(tmp_path, as_file):
    data = png_bomb(100_000, 100_000)
    assert len(data) < 100
    assert struct.unpack(">II", data[16:24]) == (100_000, 100_000) and data[12:16] == b"IHDR"
    source = tmp_path / "bomb.png" if as_file else data
    if as_file:
        source.write_bytes(data)
    name = re.escape(str(source)) if as_file else "in-memory bytes"
    start = time.perf_counter()
    with raises(ImageTooLargeError, OSError, match=rf"^{name}: image of 100000x100000 pixels \(width x height\) "
                r"is 10,000,000,000 pixels, more than max_pixels=178,956,970") as info:
        load_image(source)
    assert time.perf_counter() - start < 5  # refused up front, not decoded
    assert "decompression bomb" in str(info.value) and "pass max_pixels=10000000000" in str(info.value)
    assert "MAX_IMAGE_PIXELS" not in str(info.value)  # no advice to change a process-wide global
    assert isinstance(info.value, ImageLoadError)


def test_decompression_bomb_is_refused_without_allocating(tmp_path):
    """Under a 1.5 GiB address-space limit, a 10-gigapixel image must fail with ImageTooLargeError.

    If the loader tried to allocate the declared image (10 GB for 8-bit grey) the
    child would die with MemoryError instead.
    """
    pytest.importorskip("resource")  # POSIX only
    (tmp_path / "bomb.png").write_bytes(png_bomb(100_000, 100_000))
    code = (
        "import resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_AS, (1536 * 2**20, 1536 * 2**20))\n"
        "import featclf\n"
        "from featclf.exceptions import ImageTooLargeError\n"
        "try:\n"
        "    featclf.load_image(sys.argv[1])\n"
        "except ImageTooLargeError as exc:\n"
        "    print('REFUSED', exc.source)\n"
    )
    env = {**os.environ, "PYTHONPATH": REPO, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, "-c", code, str(tmp_path / "bomb.png")],
                          capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"REFUSED {tmp_path / 'bomb.png'}"


# --------------------------------------------------------------------------- arrays
@pytest.mark.parametrize(
    "array, reason",
    [
        (np.zeros(10, np.uint8), r"expected an image array of shape \(H, W\).*got shape \(10,\)"),
        (np.zeros((2, 4, 4, 3), np.uint8), r"got shape \(2, 4, 4, 3\)"),
        (np.zeros((4, 4, 2), np.uint8), r"got shape \(4, 4, 2\)"),
        (np.zeros((4, 4, 5), np.uint8), r"got shape \(4, 4, 5\)"),
        (np.zeros((0, 4), np.uint8), r"empty image of shape \(0, 4\)"),
        (np.zeros((4, 4), np.int64), r"unsupported dtype int64.*astype\(np.uint8\)"),
        (np.zeros((4, 4), np.int32), r"unsupported dtype int32"),
        (np.zeros((4, 4), np.complex128), r"unsupported dtype complex128"),
        (np.zeros((4, 4), object), r"unsupported dtype object"),
        (np.full((4, 4), 1.5), r"float images must lie in \[0, 1\]; got values in \[1.5, 1.5\].*Divide by 255"),
        (np.full((4, 4), -0.25, np.float32), r"float images must lie in \[0, 1\]; got values in \[-0.25"),
        (np.linspace(0, 255, 16).reshape(4, 4), r"got values in \[0, 255\]"),
        (np.array([[0.5, np.nan], [0.1, 0.2]]), r"NaN or infinite values.*np.nan_to_num"),
        (np.array([[0.5, np.inf], [0.1, 0.2]]), r"NaN or infinite values"),
    ],
    ids=lambda v: v.dtype.name + str(v.shape) if isinstance(v, np.ndarray) else "",
)
def test_bad_arrays_name_the_item_and_the_reason(array, reason):
    with raises(InvalidImageError, ValueError, match=rf"^item 3 \(ndarray\): .*{reason}") as info:
        load_image(array, index=3)
    assert info.value.source == "item 3 (ndarray)"
    with raises(InvalidImageError, ValueError, match=rf"^in-memory ndarray: .*{reason}"):
        load_image(array)


def test_stack_of_images_hint():
    with pytest.raises(InvalidImageError, match=r"For a stack of images pass a list of arrays"):
        load_image(np.zeros((2, 4, 4, 3), np.uint8))


def test_pil_image_that_cannot_be_converted(tmp_path):
    data = encode(Image.fromarray(picture_rgb(64, 64)), "PNG")
    im = Image.open(io.BytesIO(data[: len(data) // 2]))  # lazy: fails on load
    with raises(ImageLoadError, OSError, match=r"^item 4 \(PngImageFile\): cannot be converted"):
        load_image(im, index=4)


def test_errors_are_reported_without_chained_pil_tracebacks(tmp_path):
    path = tmp_path / "notes.png"
    path.write_text("not an image")
    with pytest.raises(ImageLoadError) as info:
        load_image(path)
    assert info.value.__suppress_context__ and info.value.__cause__ is None
