"""load_image: every source kind, mode and format gives the documented uint8 contract."""

from __future__ import annotations

import io
import pathlib

import numpy as np
import pytest
from imagegen import composite, encode, exif_jpeg, luma, picture_grey, picture_rgb, picture_rgba
from PIL import Image

from featclf import load_image
from featclf.exceptions import InvalidImageError, InvalidParameterError

WHITE = np.array([255, 255, 255], np.uint8)


def sources_of(array: np.ndarray, png_path: pathlib.Path) -> dict:
    """The same picture as every source kind: paths, bytes, PIL images and numpy variants."""
    sources = {
        "str": str(png_path),
        "Path": png_path,
        "bytes": png_path.read_bytes(),
        "bytearray": bytearray(png_path.read_bytes()),
        "PIL (opened file)": Image.open(png_path),
        "PIL (in memory)": Image.fromarray(array),
        "uint8": array,
        "uint16": array.astype(np.uint16) * 257,
        "float64 [0, 1]": array / 255.0,
        "float32 [0, 1]": (array / 255.0).astype(np.float32),
        "non-contiguous": np.asfortranarray(array),
    }
    if array.ndim == 2:
        sources["HxWx1"] = array[..., None]
    return sources


@pytest.mark.parametrize("kind", ["grey", "rgb", "rgba"])
@pytest.mark.parametrize("mode", ["rgb", "grey", "rgba"])
def test_same_picture_every_source_kind_gives_identical_array(tmp_path, kind, mode):
    array = {"grey": picture_grey, "rgb": picture_rgb, "rgba": picture_rgba}[kind]()
    png = tmp_path / "picture.png"
    Image.fromarray(array).save(png)
    sources = sources_of(array, png)
    reference = load_image(array, mode=mode)
    for name, source in sources.items():
        out = load_image(source, mode=mode)
        assert out.dtype == np.uint8, name
        np.testing.assert_array_equal(out, reference, err_msg=f"source kind {name!r}")


def test_bool_array_and_one_bit_png_match_uint8(tmp_path):
    mask = picture_grey() > 127
    Image.fromarray(mask).convert("1").save(tmp_path / "mask.png")
    assert Image.open(tmp_path / "mask.png").mode == "1"
    expected = np.repeat((mask.astype(np.uint8) * 255)[..., None], 3, axis=2)
    for source in (mask, tmp_path / "mask.png", mask.astype(np.uint8) * 255, mask[..., None]):
        np.testing.assert_array_equal(load_image(source), expected)
    np.testing.assert_array_equal(load_image(mask, mode="grey"), expected[..., 0])


# --------------------------------------------------------------------------- output modes
def test_rgb_default_contract_for_grey_input():
    grey = picture_grey()
    out = load_image(grey)
    assert out.shape == grey.shape + (3,) and out.dtype == np.uint8
    for c in range(3):
        np.testing.assert_array_equal(out[..., c], grey)


def test_grey_mode_is_luma_of_rgb():
    rgb = picture_rgb()
    out = load_image(rgb, mode="grey")
    assert out.shape == rgb.shape[:2] and out.dtype == np.uint8
    assert np.abs(out.astype(float) - luma(rgb.astype(float))).max() <= 1
    np.testing.assert_array_equal(load_image(rgb, mode="gray"), out)  # US spelling accepted


def test_grey_mode_keeps_grey_values_exactly():
    grey = picture_grey()
    np.testing.assert_array_equal(load_image(grey, mode="grey"), grey)


def test_rgba_mode_keeps_alpha_and_does_not_composite():
    rgba = picture_rgba()
    np.testing.assert_array_equal(load_image(rgba, mode="rgba"), rgba)
    opaque = load_image(picture_rgb(), mode="rgba")
    assert opaque.shape[2] == 4 and (opaque[..., 3] == 255).all()
    grey = load_image(picture_grey(), mode="rgba")
    np.testing.assert_array_equal(grey[..., 0], picture_grey())
    assert (grey[..., 3] == 255).all()


def test_transparent_background_composites_to_white_not_black(tmp_path):
    rgba = picture_rgba()
    Image.fromarray(rgba).save(tmp_path / "t.png")
    out = load_image(tmp_path / "t.png")
    transparent = rgba[..., 3] == 0
    assert transparent.any() and (rgba[transparent][:, :3] == 0).all()  # black under alpha 0
    assert (out[transparent] == 255).all()
    np.testing.assert_array_equal(out, composite(rgba))
    assert (load_image(tmp_path / "t.png", mode="grey")[transparent] == 255).all()


@pytest.mark.parametrize("background", [(10, 20, 30), (0, 0, 0), [200, 100, 0]])
def test_background_colour_is_used_for_compositing(background):
    rgba = picture_rgba()
    out = load_image(rgba, background=background)
    transparent, opaque = rgba[..., 3] == 0, rgba[..., 3] == 255
    assert (out[transparent] == np.asarray(background, np.uint8)).all()
    np.testing.assert_array_equal(out[opaque], rgba[opaque][:, :3])
    np.testing.assert_array_equal(out, composite(rgba, background))
    grey = load_image(rgba, mode="grey", background=background)
    assert abs(int(grey[0, 0]) - luma(np.asarray(background, float))) <= 1


def test_background_is_ignored_by_rgba_mode():
    rgba = picture_rgba()
    np.testing.assert_array_equal(load_image(rgba, mode="rgba", background=(1, 2, 3)), rgba)


# --------------------------------------------------------------------------- file modes
def _modes_cases():
    """(name, PIL image to save as PNG, expected RGB output)."""
    grey = picture_grey()
    rgb = picture_rgb()
    rgba = picture_rgba()
    la = np.dstack([grey, rgba[..., 3]])
    la_expected = composite(np.dstack([grey, grey, grey, rgba[..., 3]]))
    palette = Image.fromarray(rgb).quantize(colors=16)
    palette_rgb = np.asarray(palette.convert("RGB"))
    return [
        ("L", Image.fromarray(grey), np.dstack([grey] * 3)),
        ("LA", Image.fromarray(la, "LA"), la_expected),
        ("P", palette, palette_rgb),
        ("RGB", Image.fromarray(rgb), rgb),
        ("RGBA", Image.fromarray(rgba), composite(rgba)),
    ]


@pytest.mark.parametrize("name, image, expected", _modes_cases(), ids=lambda v: v if isinstance(v, str) else "")
def test_png_modes(tmp_path, name, image, expected):
    path = tmp_path / f"{name}.png"
    image.save(path)
    assert Image.open(path).mode == name
    out = load_image(path)
    assert out.shape == expected.shape and out.dtype == np.uint8
    np.testing.assert_array_equal(out, expected)


def test_la_fully_transparent_black_is_white(tmp_path):
    Image.new("LA", (6, 4), (0, 0)).save(tmp_path / "la.png")
    assert (load_image(tmp_path / "la.png") == 255).all()
    np.testing.assert_array_equal(load_image(tmp_path / "la.png", mode="rgba")[0, 0], [0, 0, 0, 0])


def test_palette_with_trns_transparency(tmp_path):
    im = Image.new("P", (6, 4), 0)
    im.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)  # index 0 black (transparent), index 1 red
    im.putpixel((5, 3), 1)
    im.save(tmp_path / "p.png", transparency=0)
    reopened = Image.open(tmp_path / "p.png")
    assert reopened.mode == "P" and "transparency" in reopened.info
    out = load_image(tmp_path / "p.png")
    np.testing.assert_array_equal(out[0, 0], WHITE)  # transparent black -> white
    np.testing.assert_array_equal(out[3, 5], [255, 0, 0])
    rgba = load_image(tmp_path / "p.png", mode="rgba")
    assert rgba[0, 0, 3] == 0 and rgba[3, 5, 3] == 255
    np.testing.assert_array_equal(load_image(tmp_path / "p.png", background=(0, 0, 255))[0, 0], [0, 0, 255])


def test_palette_without_transparency_is_opaque(tmp_path):
    im = Image.new("P", (6, 4), 0)
    im.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    im.save(tmp_path / "p.png")
    assert "transparency" not in Image.open(tmp_path / "p.png").info
    np.testing.assert_array_equal(load_image(tmp_path / "p.png")[0, 0], [0, 0, 0])  # black stays black
    assert (load_image(tmp_path / "p.png", mode="rgba")[..., 3] == 255).all()


@pytest.mark.parametrize("suffix", [".png", ".tif"])
def test_sixteen_bit_grey_is_scaled_to_eight_bits(tmp_path, suffix):
    values = np.array([[0, 257, 32896, 65535], [128, 1000, 50000, 65279]], dtype=np.uint16)
    path = tmp_path / f"g16{suffix}"
    Image.fromarray(values).save(path)
    assert Image.open(path).mode in ("I;16", "I")  # really 16-bit on disk
    expected = np.round(values / 257.0).astype(np.uint8)
    np.testing.assert_array_equal(load_image(path, mode="grey"), expected)
    np.testing.assert_array_equal(load_image(values, mode="grey"), expected)


def test_cmyk_jpeg_is_converted_to_rgb(tmp_path):
    # C, M, Y, K blocks: cyan, magenta, yellow, black
    im = Image.new("CMYK", (32, 8))
    for i, ink in enumerate([(255, 0, 0, 0), (0, 255, 0, 0), (0, 0, 255, 0), (0, 0, 0, 255)]):
        im.paste(ink, (8 * i, 0, 8 * i + 8, 8))
    im.save(tmp_path / "cmyk.jpg", quality=95)
    assert Image.open(tmp_path / "cmyk.jpg").mode == "CMYK"
    out = load_image(tmp_path / "cmyk.jpg")
    assert out.shape == (8, 32, 3)
    for i, rgb in enumerate([(0, 255, 255), (255, 0, 255), (255, 255, 0), (0, 0, 0)]):
        centre = out[4, 8 * i + 4].astype(int)
        assert np.abs(centre - rgb).max() <= 12, (i, centre)


@pytest.mark.parametrize(
    "orientation, shape, marker, opposite",
    [
        (1, (16, 32), (0, 0), (15, 31)),  # no rotation: marker stays top-left
        (3, (16, 32), (15, 31), (0, 0)),  # rotated 180 degrees: marker bottom-right
        (6, (32, 16), (0, 15), (31, 0)),  # rotated 90 degrees clockwise: marker top-right
        (8, (32, 16), (31, 0), (0, 15)),  # rotated 90 degrees counter-clockwise: marker bottom-left
    ],
)
def test_exif_orientation_is_applied(tmp_path, orientation, shape, marker, opposite):
    data = exif_jpeg(orientation)
    (tmp_path / "exif.jpg").write_bytes(data)
    for source in (tmp_path / "exif.jpg", data, Image.open(io.BytesIO(data))):
        out = load_image(source)
        assert out.shape == shape + (3,)
        # corner pixels of the displayed image: red marker at one, white at the opposite
        r, c = marker
        assert out[r, c, 0] > 200 and out[r, c, 1] < 60 and out[r, c, 2] < 60, (orientation, out[r, c])
        assert (out[opposite] > 200).all()
    assert load_image(data, mode="grey").shape == shape


# --------------------------------------------------------------------------- formats
LOSSLESS = {"PNG": {}, "BMP": {}, "TIFF": {}, "WEBP": {"lossless": True}}


@pytest.mark.parametrize("fmt", sorted(LOSSLESS))
def test_lossless_formats_round_trip_exactly(fmt):
    rgb = picture_rgb()
    data = encode(Image.fromarray(rgb), fmt, **LOSSLESS[fmt])
    assert Image.open(io.BytesIO(data)).format == fmt
    np.testing.assert_array_equal(load_image(data), rgb)


@pytest.mark.parametrize("fmt, params", [("JPEG", {"quality": 95}), ("WEBP", {"quality": 90})])
def test_lossy_formats_decode_close_to_original(fmt, params):
    smooth = np.zeros((32, 48, 3), np.uint8)
    smooth[..., 0] = np.linspace(0, 255, 48, dtype=np.uint8)[None, :]
    smooth[..., 1] = np.linspace(0, 255, 32, dtype=np.uint8)[:, None]
    smooth[..., 2] = 128
    out = load_image(encode(Image.fromarray(smooth), fmt, **params))
    assert out.shape == smooth.shape and out.dtype == np.uint8
    assert np.abs(out.astype(int) - smooth).mean() < 4


@pytest.mark.parametrize("fmt, params", [("PNG", {}), ("WEBP", {"lossless": True}), ("TIFF", {})])
def test_rgba_formats_composite_transparency_to_white(fmt, params):
    rgba = picture_rgba()
    out = load_image(encode(Image.fromarray(rgba), fmt, **params))
    np.testing.assert_array_equal(out, composite(rgba))


def test_gif_gives_first_frame_of_animation(tmp_path):
    frames = []
    for colour in [(255, 0, 0), (0, 255, 0), (0, 0, 255)]:
        frame = np.zeros((10, 12, 3), np.uint8)
        frame[:] = colour
        frame[2:5, 3:7] = (255, 255, 255)
        frames.append(Image.fromarray(frame).convert("P"))
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:], duration=100)
    assert Image.open(tmp_path / "anim.gif").n_frames == 3
    out = load_image(tmp_path / "anim.gif")
    assert out.shape == (10, 12, 3)
    np.testing.assert_array_equal(out[0, 0], [255, 0, 0])
    np.testing.assert_array_equal(out[3, 4], [255, 255, 255])


def test_gif_transparency_composites_to_background(tmp_path):
    im = Image.new("P", (6, 4), 0)
    im.putpalette([0, 0, 0, 0, 255, 0] + [0] * 762)
    im.putpixel((0, 0), 1)
    im.save(tmp_path / "t.gif", transparency=0)
    out = load_image(tmp_path / "t.gif")
    np.testing.assert_array_equal(out[0, 0], [0, 255, 0])
    np.testing.assert_array_equal(out[3, 5], WHITE)


def test_uppercase_extension_and_misleading_extension(tmp_path):
    rgb = picture_rgb()
    (tmp_path / "a.PNG").write_bytes(encode(Image.fromarray(rgb), "PNG"))
    (tmp_path / "really_png.jpg").write_bytes(encode(Image.fromarray(rgb), "PNG"))  # content decides
    np.testing.assert_array_equal(load_image(tmp_path / "a.PNG"), rgb)
    np.testing.assert_array_equal(load_image(tmp_path / "really_png.jpg"), rgb)


# --------------------------------------------------------------------------- parameters
@pytest.mark.parametrize("mode", ["bgr", "RGB", "", None])
def test_bad_mode_names_the_parameter_and_options(mode):
    with pytest.raises(InvalidParameterError, match=r"The 'mode' parameter must be one of \{'rgb'.*Got") as info:
        load_image(picture_rgb(), mode=mode)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("background", [(256, 0, 0), (1, 2), "white", (1.5, 0, 0), 255, (-1, 0, 0)])
def test_bad_background(background):
    with pytest.raises(InvalidParameterError, match=r"'background' parameter must be an \(R, G, B\) tuple"):
        load_image(picture_rgba(), background=background)


@pytest.mark.parametrize("source", [5, None, [[0, 1], [2, 3]], object()])
def test_unsupported_source_type(source):
    with pytest.raises(InvalidImageError, match=rf"unsupported source type {type(source).__name__}") as info:
        load_image(source)
    assert isinstance(info.value, ValueError)
    assert "Pass a path, encoded bytes, a PIL image or a numpy array" in str(info.value)


@pytest.mark.parametrize("mode, fill, key", [("RGB", (0, 0, 0), (0, 0, 0)), ("L", 0, 0)])
def test_colour_key_transparency_on_grey_and_rgb(tmp_path, mode, fill, key):
    """PNG tRNS on a grey or RGB image marks one colour transparent: it must composite, not stay black."""
    im = Image.new(mode, (6, 4), fill)
    im.putpixel((5, 3), (200, 10, 10) if mode == "RGB" else 100)
    im.save(tmp_path / "key.png", transparency=key)
    assert Image.open(tmp_path / "key.png").info["transparency"] == key
    out = load_image(tmp_path / "key.png")
    np.testing.assert_array_equal(out[0, 0], WHITE)
    np.testing.assert_array_equal(out[3, 5], [200, 10, 10] if mode == "RGB" else [100, 100, 100])
    rgba = load_image(tmp_path / "key.png", mode="rgba")
    assert rgba[0, 0, 3] == 0 and rgba[3, 5, 3] == 255


# --------------------------------------------------------------------------- resizing with transparency
def test_resizing_rgba_never_lets_the_colour_under_transparent_pixels_leak():
    """Premultiplied alpha: half opaque red, half transparent black shrinks to red at half alpha."""
    from featclf.io import resize_image

    image = np.zeros((4, 4, 4), np.uint8)
    image[:, :2] = (255, 0, 0, 255)
    np.testing.assert_array_equal(resize_image(image, (1, 1)), [[[255, 0, 0, 128]]])
    np.testing.assert_array_equal(resize_image(image, (4, 2)), [[[255, 0, 0, 255], [0, 0, 0, 0]]] * 4)
    opaque = image.copy()
    opaque[..., 3] = 255  # no transparency: an ordinary area average
    np.testing.assert_array_equal(resize_image(opaque, (1, 1)), [[[128, 0, 0, 255]]])
    bigger = resize_image(image, (8, 8))  # enlarging: transparent pixels stay colourless
    assert bigger.shape == (8, 8, 4) and (bigger[..., 3] == 0).sum() > 0
    assert (bigger[..., :3][bigger[..., 3] > 0][:, 1:] == 0).all()  # no green or blue appears
