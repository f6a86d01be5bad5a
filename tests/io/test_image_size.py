"""image_size: the size decoding would give, read from the header (what an extractor's fit reads)."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
from imagegen import encode, exif_jpeg, picture_grey, picture_rgb, picture_rgba, png_bomb
from PIL import Image, ImageFile

from featclf import load_image
from featclf.exceptions import ImageLoadError, ImageNotFoundError, ImageTooLargeError, InvalidImageError
from featclf.io import image_size


def sources(tmp_path):
    """Pictures of several sizes, modes and formats, as every source kind."""
    out = {}
    for name, array in {"grey": picture_grey(9, 31), "rgb": picture_rgb(12, 20), "rgba": picture_rgba(40, 7)}.items():
        image = Image.fromarray(array)
        for fmt in ("PNG", "BMP", "TIFF", "WEBP", "GIF"):
            if fmt in ("BMP", "GIF") and name == "rgba":
                continue
            path = tmp_path / f"{name}.{fmt.lower()}"
            image.save(path, fmt)
            out[f"{name} {fmt} path"] = str(path)
        out[f"{name} PNG bytes"] = encode(image, "PNG")
        out[f"{name} PIL"] = image
        out[f"{name} array"] = array
        out[f"{name} float array"] = array / 255.0
    out["grey HxWx1"] = picture_grey(5, 6)[..., None]
    out["palette PNG"] = encode(Image.fromarray(picture_rgb(13, 17)).convert("P"), "PNG")
    out["16-bit PNG"] = encode(Image.fromarray((picture_grey(11, 3).astype(np.uint16) * 257)), "PNG")
    for orientation in range(1, 9):  # stored 16 high x 32 wide; 5-8 are upright 32 x 16
        out[f"EXIF orientation {orientation}"] = exif_jpeg(orientation)
    return out


def test_the_size_is_the_decoded_size_for_every_source(tmp_path):
    for name, source in sources(tmp_path).items():
        assert image_size(source, index=0) == load_image(source).shape[:2], name
    assert image_size(exif_jpeg(6)) == (32, 16) and image_size(exif_jpeg(3)) == (16, 32)
    assert image_size(Image.open(io.BytesIO(exif_jpeg(8)))) == (32, 16)


def test_files_are_read_from_their_header_only(tmp_path, monkeypatch):
    paths = [p for n, p in sources(tmp_path).items() if n.endswith("path")]
    loaded = []
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda im: loaded.append(im))
    assert [image_size(p) for p in paths] and loaded == []


@pytest.mark.parametrize("make, error, match", [
    (lambda d: str(d / "missing.png"), ImageNotFoundError, r"missing\.png: no such file"),
    (lambda d: str(d), ImageLoadError, r"is a directory"),
    (lambda d: b"", ImageLoadError, r"item 4 \(bytes\): empty bytes"),
    (lambda d: b"not an image", ImageLoadError, r"item 4 \(bytes\): not a readable image"),
    (lambda d: png_bomb(), ImageTooLargeError, r"item 4 \(bytes\): image of .* more than max_pixels="),
    (lambda d: np.zeros((4, 4, 5), np.uint8), InvalidImageError, r"item 4 \(ndarray\)"),
    (lambda d: np.full((4, 4), 2.0), InvalidImageError, r"item 4 \(ndarray\)"),
    (lambda d: 42, InvalidImageError, r"unsupported source type int"),
], ids=["missing", "directory", "empty bytes", "not an image", "bomb", "5 channels", "floats above 1", "an int"])
def test_unreadable_sources_raise_the_error_decoding_raises(tmp_path, make, error, match):
    source = make(tmp_path)
    with pytest.raises(error, match=match) as caught:
        image_size(source, index=4)
    with pytest.raises(error, match=re.escape(str(caught.value))):
        load_image(source, index=4)
