"""Large images: converted a strip at a time (same values), and the max_pixels guard."""

from __future__ import annotations

import io
import re
import warnings

import numpy as np
import pytest
from imagegen import encode, picture_grey, picture_rgb, picture_rgba, png_bomb
from PIL import Image, ImageOps

import featclf.io._image as image_module
from featclf import load_image
from featclf.exceptions import ImageTooLargeError, InvalidParameterError
from featclf.io import DEFAULT_MAX_PIXELS, decode_image


def _mode_pictures():
    """One PIL picture per decoding branch (19 x 23: several strips of a few rows when strips are tiny)."""
    h, w = 19, 23
    rgb, grey, rgba = picture_rgb(h, w), picture_grey(h, w), picture_rgba(h, w)
    palette = Image.fromarray(rgb).quantize(16)
    palette_trns = palette.copy()
    palette_trns.info["transparency"] = 3
    grey_palette = Image.fromarray(grey).convert("P")  # a palette of grey levels only
    grey_palette.info["transparency"] = 0
    key = Image.fromarray(rgb)
    key.info["transparency"] = tuple(int(v) for v in rgb[0, 0])
    floats = Image.fromarray(grey.astype(np.float32) / 255.0, mode="F")
    floats_wide = Image.fromarray(grey.astype(np.float32) * 3.0, mode="F")
    return {
        "L": Image.fromarray(grey), "RGB": Image.fromarray(rgb), "RGBA": Image.fromarray(rgba),
        "LA": Image.fromarray(rgba).convert("LA"), "1": Image.fromarray(grey > 128),
        "P": palette, "P+tRNS": palette_trns, "P grey+tRNS": grey_palette, "RGB+key": key,
        "I;16": Image.fromarray(grey.astype(np.uint16) * 257), "I": Image.fromarray(grey.astype(np.int32) * 300),
        "F [0, 1]": floats, "F wide": floats_wide, "CMYK": Image.fromarray(rgb).convert("CMYK"),
    }


@pytest.mark.parametrize("name", sorted(_mode_pictures()))
@pytest.mark.parametrize("background", [None, (255, 255, 255), (10, 200, 30), (90, 90, 90)])
def test_strip_conversion_equals_whole_image_conversion(monkeypatch, name, background):
    picture = _mode_pictures()[name]
    whole = decode_image(picture, background=background)
    monkeypatch.setattr(image_module, "_STRIP_PIXELS", 2 * 23 + 5)  # strips of 2 rows (the last one shorter)
    strips = decode_image(picture, background=background)
    assert strips.dtype == whole.dtype and strips.shape == whole.shape
    np.testing.assert_array_equal(strips, whole)


@pytest.mark.parametrize("orientation", range(1, 9))
@pytest.mark.parametrize("strip_pixels", [1, 40, 1 << 18])
def test_orientation_written_through_views_equals_exif_transpose(monkeypatch, orientation, strip_pixels):
    monkeypatch.setattr(image_module, "_STRIP_PIXELS", strip_pixels)
    exif = Image.Exif()
    exif[0x0112] = orientation
    stored = picture_rgb(7, 11)
    data = encode(Image.fromarray(stored), "PNG", exif=exif.tobytes())
    with Image.open(io.BytesIO(data)) as im:
        expected = np.asarray(ImageOps.exif_transpose(im).convert("RGB"))
    out = load_image(data)
    assert out.flags.c_contiguous
    np.testing.assert_array_equal(out, expected)


def test_a_large_image_is_converted_without_a_full_size_temporary(monkeypatch):
    """Pillow's tobytes (what np.asarray(im) uses) never sees more than one strip of a large image."""
    picture = Image.fromarray(picture_grey(600, 1000))
    expected = np.asarray(picture.copy())
    sizes = []
    real = Image.Image.tobytes

    def spy(self, *args, **kwargs):
        sizes.append(self.size[0] * self.size[1])
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Image.Image, "tobytes", spy)
    out = decode_image(picture)
    np.testing.assert_array_equal(out, expected)
    assert sizes and max(sizes) <= image_module._STRIP_PIXELS


# --------------------------------------------------------------------------- max_pixels
def _png(h, w):
    return encode(Image.fromarray(picture_grey(h, w)), "PNG")


@pytest.mark.parametrize("as_file", [True, False])
def test_max_pixels_refuses_larger_images_naming_file_size_and_fix(tmp_path, as_file):
    data = _png(30, 40)
    source = tmp_path / "big.png" if as_file else data
    if as_file:
        source.write_bytes(data)
    name = re.escape(str(source)) if as_file else r"in-memory bytes"
    with pytest.raises(ImageTooLargeError, match=rf"^{name}: image of 40x30 pixels \(width x height\) is 1,200 pixels, "
                       r"more than max_pixels=1,000 .*pass max_pixels=1200 \(or max_pixels=None for no limit; "
                       r"--max-pixels 1200 on the command line\)"):
        load_image(source, max_pixels=1000)
    assert load_image(source, max_pixels=1200).shape == (30, 40, 3)
    assert load_image(source, max_pixels=None).shape == (30, 40, 3)


def test_max_pixels_applies_to_pil_images_but_not_to_arrays():
    array = picture_grey(30, 40)
    with pytest.raises(ImageTooLargeError, match=r"^in-memory Image: image of 40x30 pixels"):
        load_image(Image.fromarray(array), max_pixels=100)
    assert load_image(array, max_pixels=100).shape == (30, 40, 3)  # already decoded: nothing to guard


@pytest.mark.parametrize("value", [0, -5, 1.5, "big", True])
def test_bad_max_pixels(value):
    with pytest.raises(InvalidParameterError, match=r"The 'max_pixels' parameter must be an int >= 1 or None"):
        load_image(picture_grey(), max_pixels=value)


def test_featclf_limit_decides_whatever_pillows_global(monkeypatch):
    """Pillow's process-wide limit neither warns, nor refuses what max_pixels allows, nor allows what it refuses."""
    data = _png(30, 40)  # 1,200 pixels
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)  # Pillow alone would refuse (above 2 x 100)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert load_image(data).shape == (30, 40, 3)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # Pillow alone would warn (between 1 and 2 x 1,000)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert load_image(data).shape == (30, 40, 3)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", None)  # Pillow alone would decode anything
    with pytest.raises(ImageTooLargeError, match=r"more than max_pixels=178,956,970"):
        load_image(png_bomb(20_000, 10_000))
    assert Image.MAX_IMAGE_PIXELS is None  # featclf changed nothing


def test_default_max_pixels_is_pillows_default_refusal_point():
    assert DEFAULT_MAX_PIXELS == 2 * Image.MAX_IMAGE_PIXELS == 178_956_970


def test_no_decompression_bomb_warning_between_pillows_two_limits():
    """An image between Pillow's warning and error limits (e.g. 10000 x 10000) loads under warnings-as-errors."""
    data = png_bomb(10_000, 10_000)  # declares 100 MP: Pillow warns; decoding fails (no pixel data)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(Exception) as info:
            load_image(data)
    assert not isinstance(info.value, Warning), info.value
