"""Files that cannot be opened are told apart from corrupt ones; 16-bit grey PNG colour keys (issue 9, small items)."""

from __future__ import annotations

import builtins
import io
import os
import re
import struct
import zlib

import numpy as np
import pytest
from imagegen import permissions_ignored
from PIL import Image

from featclf import load_image, load_images
from featclf.exceptions import ImageLoadError, SkippedImagesWarning
from featclf.io import decode_image

ROOT = permissions_ignored()
WHITE = (255, 255, 255)


# --------------------------------------------------------------------------- permissions
@pytest.mark.skipif(ROOT, reason="root reads every file whatever its permissions")
@pytest.mark.parametrize("n_jobs", [1, 2])
def test_an_unreadable_file_is_a_permission_problem_not_corruption(tmp_path, n_jobs):
    Image.new("RGB", (4, 4)).save(tmp_path / "ok.png")
    locked = tmp_path / "locked.png"
    Image.new("RGB", (4, 4)).save(locked)
    locked.chmod(0)
    try:
        with pytest.raises(ImageLoadError, match=rf"^{re.escape(str(locked))}: permission denied: the file cannot be "
                                                 r"read\. Give read permission \(chmod a\+r FILE\)"):
            load_image(locked)
        with pytest.warns(SkippedImagesWarning):
            result = load_images([tmp_path / "ok.png", locked], on_error="skip", n_jobs=n_jobs, verbose=0)
    finally:
        locked.chmod(0o644)
    assert result.skipped == [(1, str(locked), "permission denied: the file cannot be read")]


@pytest.mark.skipif(ROOT, reason="root searches every folder whatever its permissions")
def test_a_file_in_an_unsearchable_folder_is_a_permission_problem(tmp_path):
    folder = tmp_path / "closed"
    folder.mkdir()
    Image.new("RGB", (4, 4)).save(folder / "x.png")
    folder.chmod(0)
    try:
        with pytest.raises(ImageLoadError, match=r"x.png: permission denied: a folder on its path cannot be searched"):
            load_image(folder / "x.png")
    finally:
        folder.chmod(0o755)


def test_permission_errors_are_said_as_such_even_when_simulated(tmp_path, monkeypatch):
    """The same two cases as above, simulated, so that they are checked when the tests run as root."""
    path = tmp_path / "x.png"
    Image.new("RGB", (4, 4)).save(path)
    real_open, real_stat = builtins.open, os.stat

    def deny_open(file, mode="r", *args, **kwargs):
        if os.fspath(file) == str(path):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", deny_open)
    with pytest.raises(ImageLoadError, match=r"x.png: permission denied: the file cannot be read\. Give read "
                                             r"permission \(chmod a\+r FILE\), or pass on_error='skip'") as info:
        load_image(path)
    assert "corrupt" not in str(info.value)
    monkeypatch.setattr(builtins, "open", real_open)

    def deny_stat(file, *args, **kwargs):
        if os.fspath(file) == str(path):
            raise PermissionError(13, "Permission denied", str(file))
        return real_stat(file, *args, **kwargs)

    monkeypatch.setattr(os, "stat", deny_stat)
    with pytest.raises(ImageLoadError, match=r"x.png: permission denied: a folder on its path cannot be searched"):
        load_image(path)


def test_a_pipe_is_refused_instead_of_blocking(tmp_path):
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    with pytest.raises(ImageLoadError, match=r"pipe.png: not a regular file \(a pipe, socket or device\)"):
        load_image(fifo)


def test_a_path_through_a_file_is_named(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(ImageLoadError, match=r"file/x.png: cannot be opened \(Not a directory\)"):
        load_image(tmp_path / "file" / "x.png")


# --------------------------------------------------------------------------- 16-bit grey colour keys
def _png16_grey(values: np.ndarray, key: int | None) -> bytes:
    """A 16-bit greyscale PNG written byte by byte (IHDR, optional tRNS, IDAT, IEND)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    h, w = values.shape
    raw = b"".join(b"\0" + values[y].astype(">u2").tobytes() for y in range(h))
    trns = chunk(b"tRNS", struct.pack(">H", key)) if key is not None else b""
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, 0, 0, 0, 0)) + trns
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


VALUES = np.array([[1000, 1001, 0], [65535, 1000, 30000]], dtype=np.uint16)  # 1000 and 1001 both scale to 4


def _by_pillow(values, key):
    out = io.BytesIO()
    Image.fromarray(values).save(out, "PNG", transparency=key)
    return out.getvalue()


@pytest.mark.parametrize("writer", [_png16_grey, _by_pillow])
@pytest.mark.parametrize("background", [WHITE, (0, 128, 255)])
def test_sixteen_bit_grey_colour_key_is_composited_at_full_depth(tmp_path, writer, background):
    data = writer(VALUES, 1000)
    assert b"tRNS" in data and data[data.index(b"tRNS") + 4: data.index(b"tRNS") + 6] == b"\x03\xe8"
    with Image.open(io.BytesIO(data)) as im:
        assert im.mode == "I;16" and im.info["transparency"] == 1000
    path = tmp_path / "key16.png"
    path.write_bytes(data)
    grey = np.round(VALUES / 257).astype(np.uint8)
    transparent = VALUES == 1000
    expected = np.where(transparent[..., None], np.array(background, np.uint8), np.dstack([grey] * 3))
    for source in (path, data):
        np.testing.assert_array_equal(load_image(source, background=background), expected)
        rgba = load_image(source, mode="rgba")
        np.testing.assert_array_equal(rgba[..., 3], np.where(transparent, 0, 255))
        np.testing.assert_array_equal(rgba[..., 0], grey)
        np.testing.assert_array_equal(decode_image(source, background=background), expected)
    assert load_image(path)[0, 1].tolist() == [4, 4, 4]  # 1001 is not the key, although it is 4 in 8 bits too
    np.testing.assert_array_equal(load_image(path, mode="grey")[transparent], 255)


def test_sixteen_bit_grey_without_a_key_stays_grey(tmp_path):
    data = _png16_grey(VALUES, None)
    np.testing.assert_array_equal(decode_image(data), np.round(VALUES / 257).astype(np.uint8))
