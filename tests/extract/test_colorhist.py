"""Colour histograms: golden values, the binning rule, invariances, transparency, grey input, errors."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image
from realdata import find_openclipart

from featclf.exceptions import InvalidParameterError
from featclf.extract.colorhist import ColorHistogram
from featclf.kernels import color_histogram

SPACES = ["rgb", "hsv", "lab"]


def hist(**params):
    return ColorHistogram(verbose=0, **params)


def random_rgb(shape=(12, 10), seed=0):
    return np.random.default_rng(seed).integers(0, 256, (*shape, 3), dtype=np.uint8)


# --------------------------------------------------------------------------- golden values
def test_two_colours_give_two_bins_with_their_shares():
    image = np.zeros((4, 4, 3), np.uint8)
    image[:] = (255, 0, 0)
    image[3, :] = (0, 0, 255)  # 4 of 16 pixels blue
    est = hist(color_space="rgb", bins=2).fit(None)
    row = est.transform([image])[0]
    names = est.get_feature_names_out()
    assert np.count_nonzero(row) == 2
    assert dict(zip(names[row > 0], row[row > 0])) == {"colorhist_rgb_r0_g0_b1": 0.25, "colorhist_rgb_r1_g0_b0": 0.75}


def test_hsv_primary_colours_land_in_their_hue_bins():
    image = np.array([[(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255)]], np.uint8)
    est = hist(color_space="hsv", bins=(6, 2, 2), joint=False).fit(None)
    row = est.transform([image])[0]
    hue = dict(zip(est.get_feature_names_out()[:6], row[:6]))
    # OpenCV 8-bit hue = degrees / 2: red 0, green 60, blue 120 -> bins 0, 2, 4 of 6 (30 per bin); white has hue 0
    assert hue == {"colorhist_hsv_h0": 0.5, "colorhist_hsv_h1": 0, "colorhist_hsv_h2": 0.25,
                   "colorhist_hsv_h3": 0, "colorhist_hsv_h4": 0.25, "colorhist_hsv_h5": 0}
    np.testing.assert_array_equal(row[6:8], [0.25, 0.75])  # saturation: white 0, primaries 255
    np.testing.assert_array_equal(row[8:10], [0, 1])  # value: all 255


def test_lab_white_and_black():
    image = np.array([[(255, 255, 255), (0, 0, 0)]], np.uint8)
    est = hist(color_space="lab", bins=4).fit(None)
    row = est.transform([image])[0]
    names = est.get_feature_names_out()
    # L 255 (white) / 0 (black) -> bins 3 / 0; a = b = 128 (neutral) -> bin 2 of 4
    assert dict(zip(names[row > 0], row[row > 0])) == {"colorhist_lab_L0_a2_b2": 0.5, "colorhist_lab_L3_a2_b2": 0.5}


@pytest.mark.parametrize("space", SPACES)
@pytest.mark.parametrize("bins", [(8, 8, 8), (5, 3, 7), (1, 2, 180)])
def test_matches_histogramdd_on_opencv_conversions(space, bins):
    """An independent reference: numpy's histogramdd with equal-width edges over each channel's range."""
    image = random_rgb((40, 30), seed=sum(bins))
    if space == "rgb" and bins[2] == 180:
        bins = (1, 2, 256)
    ranges = {"rgb": (256, 256, 256), "hsv": (180, 256, 256), "lab": (256, 256, 256)}[space]
    converted = image if space == "rgb" else cv2.cvtColor(
        image, cv2.COLOR_RGB2HSV if space == "hsv" else cv2.COLOR_RGB2Lab)
    edges = [np.linspace(0, r, b + 1) for r, b in zip(ranges, bins)]
    expected, _ = np.histogramdd(converted.reshape(-1, 3).astype(float), bins=edges)
    expected /= expected.sum()
    joint = hist(color_space=space, bins=bins).fit(None).transform([image])[0]
    np.testing.assert_allclose(joint, expected.reshape(-1), rtol=1e-6)
    per_channel = hist(color_space=space, bins=bins, joint=False).fit(None).transform([image])[0]
    marginals = [expected.sum(axis=tuple(a for a in range(3) if a != c)) for c in range(3)]
    np.testing.assert_allclose(per_channel, np.concatenate(marginals), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize(("value", "bin_index"), [(0, 0), (63, 0), (64, 1), (127, 1), (128, 2), (255, 3)])
def test_bin_edges_rgb(value, bin_index):
    row = color_histogram(np.full((1, 1, 4), (value, 0, 0, 255), np.uint8), "rgb", (4, 1, 1), joint=False)
    assert row[bin_index] == 1


@pytest.mark.parametrize("space", SPACES)
@pytest.mark.parametrize("joint", [True, False])
def test_histograms_sum_to_one(space, joint):
    out = hist(color_space=space, bins=(4, 3, 5), joint=joint).fit(None).transform([random_rgb(), random_rgb(seed=1)])
    assert out.dtype == np.float32
    if joint:
        np.testing.assert_allclose(out.sum(axis=1), 1, rtol=1e-6)
        assert out.shape == (2, 60)
    else:
        assert out.shape == (2, 12)
        for part in np.split(out, [4, 7], axis=1):
            np.testing.assert_allclose(part.sum(axis=1), 1, rtol=1e-6)


# --------------------------------------------------------------------------- invariances
@pytest.mark.parametrize("space", SPACES)
@pytest.mark.parametrize("joint", [True, False])
def test_unchanged_under_pixel_permutation(space, joint):
    image = random_rgb((16, 9), seed=4)
    flat = image.reshape(-1, 3)
    shuffled = flat[np.random.default_rng(5).permutation(len(flat))].reshape(image.shape)
    reshaped = flat.reshape(8, 18, 3)  # another shape, same pixels
    out = hist(color_space=space, bins=6, joint=joint).fit(None).transform([image, shuffled, reshaped])
    np.testing.assert_array_equal(out[1], out[0])
    np.testing.assert_array_equal(out[2], out[0])


@pytest.mark.parametrize("space", SPACES)
def test_transparent_pixels_do_not_count(space):
    opaque = random_rgb((6, 6), seed=6)
    rgba = np.zeros((12, 6, 4), np.uint8)
    rgba[:6, :, :3], rgba[:6, :, 3] = opaque, 255
    rgba[6:, :, :3] = (255, 0, 255)  # a colour that must not show
    est = hist(color_space=space, bins=4).fit(None)
    expected = est.transform([opaque])[0]
    np.testing.assert_array_equal(est.transform([rgba])[0], expected)
    recoloured = rgba.copy()
    recoloured[6:, :, :3] = (0, 255, 0)
    np.testing.assert_array_equal(est.transform([recoloured])[0], expected)


def test_transparent_pixels_do_not_count_in_png_files(tmp_path):
    rgba = np.zeros((8, 8, 4), np.uint8)
    rgba[:2, :] = (10, 200, 30, 255)  # 16 opaque green pixels
    rgba[2:4, :] = (200, 10, 10, 128)  # 16 half-transparent red pixels: counted, colour not composited
    rgba[4:, :] = (0, 0, 0, 0)  # 32 transparent pixels
    path = tmp_path / "cutout.png"
    Image.fromarray(rgba, "RGBA").save(path)
    est = hist(color_space="rgb", bins=2).fit(None)
    row = est.transform([str(path)])[0]
    names = est.get_feature_names_out()
    assert dict(zip(names[row > 0], row[row > 0])) == {"colorhist_rgb_r0_g1_b0": 0.5, "colorhist_rgb_r1_g0_b0": 0.5}


def test_all_transparent_image_gives_zeros():
    rgba = np.zeros((5, 5, 4), np.uint8)
    rgba[..., :3] = 200
    out = hist(bins=3).fit(None).transform([rgba, random_rgb()])
    assert not out[0].any()
    assert out[1].sum() == pytest.approx(1)


# --------------------------------------------------------------------------- grey input
def test_grey_rgb_histogram_is_diagonal():
    grey = np.arange(64, dtype=np.uint8).reshape(8, 8) * 4
    est = hist(color_space="rgb", bins=4).fit(None)
    row = est.transform([grey])[0]
    names = est.get_feature_names_out()
    assert dict(zip(names[row > 0], row[row > 0])) == {
        f"colorhist_rgb_r{i}_g{i}_b{i}": 0.25 for i in range(4)}
    per_channel = hist(color_space="rgb", bins=4, joint=False).fit(None).transform([grey])[0]
    np.testing.assert_array_equal(per_channel, np.tile([0.25] * 4, 3))


def test_grey_hsv_has_no_hue_or_saturation():
    grey = np.arange(64, dtype=np.uint8).reshape(8, 8) * 4
    row = hist(color_space="hsv", bins=4, joint=False).fit(None).transform([grey])[0]
    np.testing.assert_array_equal(row, [1, 0, 0, 0] + [1, 0, 0, 0] + [0.25] * 4)


def test_grey_lab_is_neutral():
    grey = np.arange(64, dtype=np.uint8).reshape(8, 8) * 4
    row = hist(color_space="lab", bins=4, joint=False).fit(None).transform([grey])[0]
    np.testing.assert_array_equal(row[4:], [0, 0, 1, 0] * 2)  # a = b = 128
    assert row[:4].sum() == pytest.approx(1)


def test_grey_array_equals_its_rgb_version():
    grey = np.random.default_rng(8).integers(0, 256, (10, 10), dtype=np.uint8)
    out = hist(color_space="hsv").fit(None).transform([grey, np.dstack([grey] * 3)])
    np.testing.assert_array_equal(out[0], out[1])


# --------------------------------------------------------------------------- sizes
def test_images_of_any_size_without_size():
    images = [random_rgb((5, 7)), random_rgb((30, 2), seed=1), np.zeros((1, 1), np.uint8)]
    est = hist(bins=2).fit(images[:1])
    assert est.image_size_ is None
    out = est.transform(images)
    assert out.shape == (3, 8)
    np.testing.assert_allclose(out.sum(axis=1), 1)


def test_size_resizes_before_counting():
    image = np.zeros((40, 40, 3), np.uint8)
    image[:, :20] = (255, 0, 0)
    image[:, 20:] = (0, 0, 255)
    est = hist(color_space="rgb", bins=2, size=(4, 4)).fit(None)
    assert est.image_size_ == (4, 4)
    row = est.transform([image])[0]
    np.testing.assert_array_equal(row[[4, 1]], [0.5, 0.5])  # r1_g0_b0 and r0_g0_b1


# --------------------------------------------------------------------------- errors
@pytest.mark.parametrize(("params", "match"), [
    ({"color_space": "xyz"},
     r"The 'color_space' parameter of ColorHistogram must be one of \{'rgb', 'hsv', 'lab'\}\. Got 'xyz' instead"),
    ({"bins": 0}, r"The 'bins' parameter of ColorHistogram must be an int >= 1 or a tuple of 3 ints.*Got 0 instead"),
    ({"bins": (8, 8)}, r"'bins'.*tuple of 3 ints.*Got \(8, 8\) instead"),
    ({"bins": True}, r"'bins'.*Got True instead"),
    ({"bins": (200, 8, 8)}, r"200 bins on channel 'h' of color_space='hsv'.*only 180 values.*at most 180"),
    ({"bins": 257, "color_space": "rgb"}, r"257 bins on channel 'r'.*at most 256"),
    ({"joint": "yes"}, r"The 'joint' parameter of ColorHistogram must be True .* or False .*Got 'yes' instead"),
    ({"size": (4, 0)}, r"The 'size' parameter of ColorHistogram must be a pair of ints >= 1.*Got \(4, 0\)"),
    ({"batch_size": 0}, r"The 'batch_size' parameter of ColorHistogram must be an int >= 1\. Got 0"),
])
def test_bad_parameters(params, match):
    with pytest.raises(InvalidParameterError, match=match):
        ColorHistogram(**params).fit(None)


def test_hue_can_have_one_bin_per_value():
    est = hist(color_space="hsv", bins=(180, 1, 1), joint=False).fit(None)
    assert est.n_features_out_ == 182


# --------------------------------------------------------------------------- real data
OPENCLIPART = find_openclipart()


def test_open_clip_art_cutouts_ignore_their_transparent_background():
    """On real cut-outs (RGBA, grey+alpha and palette PNGs), the histogram is that of the opaque pixels only."""
    import glob
    import os

    if OPENCLIPART is None:
        pytest.skip("Open Clip Art not found (set FEATCLF_OPENCLIPART to its png/ folder)")
    from featclf import load_image

    paths = sorted(glob.glob(os.path.join(OPENCLIPART, "animals", "**", "*.png"), recursive=True))[:12]
    assert paths
    est = hist(color_space="hsv", bins=(6, 4, 4)).fit(None)
    out = est.transform(paths)
    composited = est.transform([load_image(p, mode="rgb") for p in paths])  # background made white, no alpha
    checked = 0
    for path, row, flat in zip(paths, out, composited):
        rgba = load_image(path, mode="rgba")
        opaque = rgba[..., 3] != 0
        if opaque.all():
            continue
        hsv = cv2.cvtColor(np.ascontiguousarray(rgba[..., :3]), cv2.COLOR_RGB2HSV)[opaque].astype(float)
        expected, _ = np.histogramdd(hsv, bins=[np.linspace(0, 180, 7), np.linspace(0, 256, 5), np.linspace(0, 256, 5)])
        np.testing.assert_allclose(row, expected.reshape(-1) / opaque.sum(), rtol=1e-6, atol=1e-9)
        assert not np.allclose(row, flat)  # counting the background would change it
        checked += 1
    assert checked >= 5


def test_resized_cut_outs_count_no_colour_from_under_transparent_pixels():
    image = np.zeros((4, 4, 4), np.uint8)
    image[:, :2] = (255, 0, 0, 255)  # half opaque pure red, half transparent black
    full = ColorHistogram(color_space="rgb", bins=4, verbose=0).fit([image]).transform([image])
    small = ColorHistogram(color_space="rgb", bins=4, size=(1, 1), verbose=0).fit([image]).transform([image])
    assert full.argmax() == 48 and full.max() == 1.0  # (r bin 3, g 0, b 0)
    np.testing.assert_array_equal(small, full)


@pytest.mark.parametrize("space", ["rgb", "hsv", "lab"])
@pytest.mark.parametrize("joint", [True, False])
def test_histogram_counted_a_strip_of_rows_at_a_time_equals_the_whole_images(space, joint, monkeypatch):
    """Kind 5: the kernel counts strips (no full-size RGBA copy); the result is the whole image's, bit for bit."""
    from featclf.io import convert_image
    from featclf.kernels import _colorhist

    monkeypatch.setattr(_colorhist, "STRIP_PIXELS", 1000)  # many strips, one partial
    rng = np.random.default_rng(3)
    rgba = rng.integers(0, 256, (95, 70, 4), dtype=np.uint8)
    rgba[..., 3][rgba[..., 3] < 90] = 0
    images = [rgba, rng.integers(0, 256, (81, 40), dtype=np.uint8), rng.integers(0, 256, (33, 120, 3), dtype=np.uint8),
              np.zeros((50, 50, 4), np.uint8)]
    kernel = _colorhist.ColorHistogramKernel("ColorHistogram", None, False, color_space=space, bins=(8, 6, 4),
                                             joint=joint)
    for image in images:
        expected = color_histogram(convert_image(image, "rgba"), space, (8, 6, 4), joint).astype(np.float32)
        np.testing.assert_array_equal(kernel.prepare(image, None, 0), expected)
