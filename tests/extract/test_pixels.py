"""Raw pixels: scaling, layout, grey conversion, resizing, names, errors."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from featclf.exceptions import ImageSizeError, InvalidParameterError
from featclf.extract.pixels import RawPixels


def pixels(**params):
    return RawPixels(verbose=0, **params)


def test_grey_values_scaled_to_unit_interval_row_major():
    image = np.array([[0, 51], [102, 255]], np.uint8)
    est = pixels().fit([image])
    out = est.transform([image])
    np.testing.assert_allclose(out, [[0, 0.2, 0.4, 1.0]], rtol=1e-6)
    assert est.get_feature_names_out().tolist() == ["pixel_r0_c0", "pixel_r0_c1", "pixel_r1_c0", "pixel_r1_c1"]


def test_rgb_channels_last():
    image = np.zeros((1, 2, 3), np.uint8)
    image[0, 0] = (255, 0, 51)
    image[0, 1] = (0, 102, 0)
    est = pixels(color="rgb").fit([image])
    np.testing.assert_allclose(est.transform([image]), [[1, 0, 0.2, 0, 0.4, 0]], rtol=1e-6)
    assert est.get_feature_names_out()[:4].tolist() == ["pixel_r0_c0_R", "pixel_r0_c0_G", "pixel_r0_c0_B",
                                                         "pixel_r0_c1_R"]


def test_colour_to_grey_uses_luma():
    image = np.zeros((1, 3, 3), np.uint8)
    image[0] = [(255, 0, 0), (0, 255, 0), (0, 0, 255)]
    out = pixels().fit_transform([image])[0] * 255
    np.testing.assert_allclose(out, [0.299 * 255, 0.587 * 255, 0.114 * 255], atol=0.6)


def test_gray_spelling_is_accepted():
    image = np.arange(12, dtype=np.uint8).reshape(3, 4)
    np.testing.assert_array_equal(pixels(color="gray").fit_transform([image]), pixels().fit_transform([image]))


def test_size_resizes_with_area_averaging():
    image = np.zeros((4, 4), np.uint8)
    image[:, :2] = 200
    est = pixels(size=(2, 2)).fit([image])
    assert est.image_size_ == (2, 2)
    np.testing.assert_allclose(est.transform([image, cv2.resize(image, (8, 8), interpolation=cv2.INTER_NEAREST)]) * 255,
                               [[200, 0, 200, 0]] * 2, atol=0.6)


def test_size_none_learns_the_size_from_the_first_image():
    est = pixels().fit(np.zeros((5, 5, 7), np.uint8))
    assert est.image_size_ == (5, 7) and est.n_features_out_ == 35


def test_mixed_sizes_need_size():
    est = pixels().fit([np.zeros((5, 5), np.uint8)])
    with pytest.raises(ImageSizeError, match=r"item 1 \(ndarray\): image is 6x5 but RawPixels was fitted on 5x5.*"
                                             r"Set size=\(5, 5\)"):
        est.transform([np.zeros((5, 5), np.uint8), np.zeros((6, 5), np.uint8)])


@pytest.mark.parametrize(("params", "match"), [
    ({"color": "cmyk"}, r"The 'color' parameter of RawPixels must be one of \{'grey', 'gray', 'rgb'\}\. Got 'cmyk'"),
    ({"size": (8,)}, r"The 'size' parameter of RawPixels must be a pair of ints >= 1.*Got \(8,\) instead"),
    ({"size": (8, 8.5)}, r"'size'.*Got \(8, 8\.5\) instead"),
    ({"verbose": -1}, r"The 'verbose' parameter of RawPixels must be an int >= 0\. Got -1"),
    ({"batch_size": "many"}, r"The 'batch_size' parameter of RawPixels must be an int >= 1\. Got 'many'"),
])
def test_bad_parameters(params, match):
    with pytest.raises(InvalidParameterError, match=match):
        RawPixels(**params).fit(np.zeros((1, 4, 4), np.uint8))


def test_fit_on_nothing_says_so():
    with pytest.raises(ImageSizeError, match="Cannot fit on an empty collection of images"):
        pixels().fit([])
