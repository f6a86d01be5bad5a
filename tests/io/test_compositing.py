"""Alpha compositing: the fast paths give, bit for bit, the integer formula featclf always used.

The formula, per colour channel ``c`` with alpha ``a`` onto background ``bg``:
``(c*a + bg*(255 - a) + 127) // 255``, i.e. ``c*a/255 + bg*(1 - a/255)`` rounded half up
(no value falls on a half). It is written out here, independently of featclf.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image

from featclf.io import WHITE, convert_image, decode_image, load_image

BACKGROUNDS = [(255, 255, 255), (0, 0, 0), (12, 200, 77)]


def formula(rgba: np.ndarray, background) -> np.ndarray:
    a = rgba[..., 3:4].astype(np.uint32)
    bg = np.asarray(background, np.uint32)
    return ((rgba[..., :3].astype(np.uint32) * a + bg * (255 - a) + 127) // 255).astype(np.uint8)


def every_value_alpha_pair(width: int = 256) -> np.ndarray:
    """All 65,536 (value, alpha) pairs in every colour channel (the channels shifted), ``width`` pixels a row."""
    value, alpha = (g.ravel() for g in np.meshgrid(np.arange(256), np.arange(256), indexing="ij"))
    pixels = np.stack([value, (value + 85) % 256, (value + 170) % 256, alpha], axis=-1).astype(np.uint8)
    rows = -(-len(pixels) // width)
    return np.resize(pixels, (rows * width, 4)).reshape(rows, width, 4)


# Odd widths run the scalar tails of OpenCV's and Pillow's vectorised loops, not only their SIMD bodies.
@pytest.mark.parametrize("width", [256, 255, 7, 1])
@pytest.mark.parametrize("background", BACKGROUNDS)
def test_compositing_equals_the_formula_on_every_value_and_alpha(background, width):
    rgba = every_value_alpha_pair(width)
    expected = formula(rgba, background)
    np.testing.assert_array_equal(convert_image(rgba, "rgb", background=background), expected)
    np.testing.assert_array_equal(decode_image(rgba, background=background), expected)
    np.testing.assert_array_equal(load_image(rgba, background=background), expected)


def test_compositing_equals_the_formula_on_every_background_level():
    """Every (value, alpha, background level) triple: 86 backgrounds cover the 256 levels across the channels."""
    rgba = every_value_alpha_pair()
    for j in range(86):
        background = tuple((3 * j + c) % 256 for c in range(3))
        np.testing.assert_array_equal(convert_image(rgba, "rgb", background=background), formula(rgba, background),
                                      err_msg=str(background))


@pytest.mark.parametrize("background", BACKGROUNDS)
def test_rgba_png_file_decodes_to_the_formula(tmp_path, background):
    rgba = every_value_alpha_pair(255)
    Image.fromarray(rgba).save(tmp_path / "all.png")
    expected = formula(rgba, background)
    np.testing.assert_array_equal(load_image(tmp_path / "all.png", background=background), expected)
    np.testing.assert_array_equal(decode_image(tmp_path / "all.png", background=background), expected)
    canonical = decode_image(tmp_path / "all.png")  # alpha kept: compositing later gives the same
    np.testing.assert_array_equal(canonical, rgba)
    np.testing.assert_array_equal(convert_image(canonical, "rgb", background=background), expected)
    grey = cv2.cvtColor(expected, cv2.COLOR_RGB2GRAY)
    np.testing.assert_array_equal(load_image(tmp_path / "all.png", mode="grey", background=background), grey)


def _palette_png(path, colours, alphas, size=(40, 30), seed=0):
    """A palette PNG using ``colours`` (list of RGB) with per-entry ``alphas`` (tRNS bytes)."""
    rng = np.random.default_rng(seed)
    indices = rng.integers(0, len(colours), size=size[::-1]).astype(np.uint8)
    im = Image.fromarray(indices, mode="L").convert("P")
    palette = [v for colour in colours for v in colour]
    im.putpalette(palette + [0] * (768 - len(palette)))
    im.save(path, transparency=bytes(alphas))
    reopened = Image.open(path)
    assert reopened.mode == "P" and "transparency" in reopened.info
    rgba = np.dstack([np.asarray(colours, np.uint8)[indices], np.asarray(alphas, np.uint8)[indices]])
    return rgba


@pytest.mark.parametrize("kind", ["grey palette", "colour palette", "grey palette, unused colour entry"])
@pytest.mark.parametrize("background", BACKGROUNDS)
def test_palette_png_with_transparency_decodes_to_the_formula(tmp_path, kind, background):
    levels = [0, 30, 128, 200, 255]
    colours = [(v, v, v) for v in levels]
    if kind == "colour palette":
        colours[2] = (250, 10, 60)
    alphas = [255, 0, 128, 77, 1]
    rgba = _palette_png(tmp_path / "p.png", colours, alphas)
    if kind == "grey palette, unused colour entry":
        im = Image.open(tmp_path / "p.png")
        im.load()
        palette = im.getpalette() + [0] * 768
        palette[3 * 9 : 3 * 10] = [255, 0, 0]  # index 9 is red and opaque, but no pixel uses it
        im.putpalette(palette[:768])
        im.save(tmp_path / "p.png", transparency=bytes(alphas + [255] * 5))
    expected = formula(rgba, background)
    np.testing.assert_array_equal(load_image(tmp_path / "p.png", background=background), expected)
    flat = decode_image(tmp_path / "p.png", background=background)
    grey = expected[..., 0] if (expected == expected[..., :1]).all() else None
    if grey is not None:  # every colour used composites to a grey level: a grey image, the same values
        np.testing.assert_array_equal(flat, grey)
    else:
        np.testing.assert_array_equal(flat, expected)
    np.testing.assert_array_equal(convert_image(flat, "rgb", background=background), expected)
    np.testing.assert_array_equal(load_image(tmp_path / "p.png", mode="grey", background=background),
                                  cv2.cvtColor(expected, cv2.COLOR_RGB2GRAY))


@pytest.mark.parametrize("background", BACKGROUNDS)
def test_grey_alpha_png_decodes_to_the_formula(tmp_path, background):
    pairs = every_value_alpha_pair(255)
    grey, alpha = pairs[..., 0], pairs[..., 3]
    Image.fromarray(np.dstack([grey, alpha]), mode="LA").save(tmp_path / "la.png")
    expected = formula(np.dstack([grey, grey, grey, alpha]), background)
    np.testing.assert_array_equal(load_image(tmp_path / "la.png", background=background), expected)
    flat = decode_image(tmp_path / "la.png", background=background)
    np.testing.assert_array_equal(convert_image(flat, "rgb", background=background), expected)
    if background == WHITE:
        assert flat.ndim == 2  # composited on the grey band alone
    np.testing.assert_array_equal(load_image(tmp_path / "la.png", mode="grey", background=background),
                                  cv2.cvtColor(expected, cv2.COLOR_RGB2GRAY))


def test_grey_levels_stay_exact_through_luma():
    """The grey shortcuts rely on it: luma of (v, v, v) is v for every level."""
    levels = np.arange(256, dtype=np.uint8)[None, :]
    np.testing.assert_array_equal(cv2.cvtColor(np.dstack([levels] * 3), cv2.COLOR_RGB2GRAY), levels)


@pytest.mark.parametrize("orientation", [1, 3, 6, 8])
def test_decoding_with_background_applies_exif_orientation(orientation):
    from imagegen import exif_jpeg

    data = exif_jpeg(orientation)
    np.testing.assert_array_equal(decode_image(data, background=WHITE), decode_image(data))
