"""load_images: order, on_error='raise'|'skip', parallel workers, and no global state changed."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import warnings

import numpy as np
import pytest
from imagegen import encode, picture_grey, picture_rgb, picture_rgba, png_bomb
from PIL import Image

import featclf
from featclf import load_image, load_images
from featclf.engine import LoadedImages
from featclf.exceptions import (
    ImageLoadError,
    ImageNotFoundError,
    InvalidImageError,
    InvalidParameterError,
    SkippedImagesWarning,
)

REPO = os.path.dirname(os.path.dirname(os.path.abspath(featclf.__file__)))


@pytest.fixture
def good_and_bad(tmp_path):
    """A mixed batch: (sources, indices of good ones, {index: (named source, reason fragment)})."""
    good_png = tmp_path / "good.png"
    Image.fromarray(picture_rgba()).save(good_png)
    (tmp_path / "photo.jpg").write_bytes(encode(Image.fromarray(picture_rgb(32, 32)), "JPEG"))
    empty = tmp_path / "empty.png"
    empty.touch()
    text = tmp_path / "readme.png"
    text.write_text("not an image")
    full = encode(Image.fromarray(picture_rgb(64, 64)), "PNG")
    cut = tmp_path / "cut.png"
    cut.write_bytes(full[: len(full) // 2])
    missing = tmp_path / "missing.png"
    sources = [
        str(good_png),                       # 0 good
        missing,                             # 1 no such file
        picture_grey(),                      # 2 good (array)
        str(empty),                          # 3 empty file
        np.zeros((4, 4), np.int64),          # 4 bad dtype, in memory
        str(tmp_path / "photo.jpg"),         # 5 good
        str(text),                           # 6 not an image
        png_bomb(),                          # 7 bomb, in memory
        str(cut),                            # 8 truncated
        full,                                # 9 good (bytes)
        str(tmp_path),                       # 10 a directory
        np.full((3, 3), np.nan),             # 11 NaN
        Image.fromarray(picture_rgb()),      # 12 good (PIL)
    ]
    bad = {
        1: (str(missing), "no such file"),
        3: (str(empty), "empty"),
        4: ("item 4 (ndarray)", "unsupported dtype int64"),
        6: (str(text), "not a readable image"),
        7: ("item 7 (bytes)", "more than max_pixels=178,956,970"),
        8: (str(cut), "truncated"),
        10: (str(tmp_path), "is a directory"),
        11: ("item 11 (ndarray)", "NaN"),
    }
    good = [i for i in range(len(sources)) if i not in bad]
    return sources, good, bad


def test_images_in_input_order(tmp_path):
    arrays = [picture_rgb(8 + i, 10, seed=i) for i in range(5)]
    paths = []
    for i, a in enumerate(arrays):
        paths.append(tmp_path / f"{4 - i}.png")  # names sort in reverse: order must follow the input
        Image.fromarray(a).save(paths[-1])
    result = load_images(paths, verbose=0)
    assert isinstance(result, LoadedImages) and len(result) == 5
    assert result.indices == [0, 1, 2, 3, 4] and result.skipped == []
    for out, a in zip(result.images, arrays):
        np.testing.assert_array_equal(out, a)


def test_modes_and_background_are_passed_on():
    rgba = picture_rgba()
    assert load_images([rgba], mode="grey", verbose=0).images[0].shape == rgba.shape[:2]
    np.testing.assert_array_equal(load_images([rgba], mode="rgba", verbose=0).images[0], rgba)
    out = load_images([rgba], background=(10, 20, 30), verbose=0).images[0]
    np.testing.assert_array_equal(out[rgba[..., 3] == 0][0], [10, 20, 30])


def test_skip_leaves_out_bad_sources_and_reports_each(good_and_bad):
    sources, good, bad = good_and_bad
    with pytest.warns(SkippedImagesWarning, match=rf"^Skipped {len(bad)} of {len(sources)} images") as record:
        result = load_images(sources, on_error="skip", verbose=0)
    assert len(record) == 1
    assert result.indices == good
    assert len(result.images) == len(good)
    assert all(isinstance(im, np.ndarray) and im.dtype == np.uint8 and im.ndim == 3 for im in result.images)
    for i, im in zip(good, result.images):
        np.testing.assert_array_equal(im, load_image(sources[i]))
    assert [s.source for s in result.skipped] == [bad[i][0] for i in sorted(bad)]
    assert [s.index for s in result.skipped] == sorted(bad)
    for (_, source, reason), i in zip(result.skipped, sorted(bad)):
        assert bad[i][1] in reason, (source, reason)
    message = str(record[0].message)
    assert bad[1][0] in message and "and 3 more" in message  # names the first ones


def test_raise_stops_at_the_first_bad_source(good_and_bad):
    sources, _, bad = good_and_bad
    first_bad = min(bad)
    with pytest.raises(ImageNotFoundError, match=rf"^{re.escape(bad[first_bad][0])}: no such file"):
        load_images(sources, verbose=0)  # on_error="raise" is the default
    with pytest.raises(InvalidImageError, match=r"^item 1 \(ndarray\): unsupported dtype int64") as info:
        load_images([sources[2], sources[4], sources[3]], on_error="raise", verbose=0)
    assert isinstance(info.value, ValueError)


def test_in_memory_items_are_named_by_index():
    sources = [picture_rgb(), picture_rgb(), picture_rgb(), np.zeros((4, 4, 2), np.uint8)]
    with pytest.raises(InvalidImageError, match=r"^item 3 \(ndarray\): expected an image array"):
        load_images(sources, verbose=0)
    with pytest.warns(SkippedImagesWarning, match=r"Skipped 1 of 4 images.*item 3 \(ndarray\)"):
        result = load_images(sources, on_error="skip", verbose=0)
    assert result.skipped[0].source == "item 3 (ndarray)" and result.indices == [0, 1, 2]
    bad_bytes = [b"GIF89a-garbage", encode(Image.fromarray(picture_rgb()), "PNG")]
    with pytest.raises(ImageLoadError, match=r"^item 0 \(bytes\): not a readable image"):
        load_images(bad_bytes, verbose=0)


def test_skip_with_nothing_bad_does_not_warn(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = load_images([picture_rgb(), picture_grey()], on_error="skip", verbose=0)
    assert result.skipped == [] and result.indices == [0, 1]


def test_all_bad_gives_empty_result_not_placeholders(tmp_path):
    with pytest.warns(SkippedImagesWarning, match="Skipped 2 of 2"):
        result = load_images([tmp_path / "a.png", tmp_path / "b.png"], on_error="skip", verbose=0)
    assert result.images == [] and result.indices == [] and len(result.skipped) == 2


def test_empty_input():
    result = load_images([], verbose=0)
    assert result.images == [] and result.skipped == []


def test_generator_and_stacked_array_inputs():
    stack = np.stack([picture_grey(seed=s) for s in range(5)])  # 3 or 4 may be one channels-first image
    result = load_images(iter(list(stack)), mode="grey", verbose=0)
    np.testing.assert_array_equal(np.stack(result.images), stack)
    np.testing.assert_array_equal(np.stack(load_images(stack, mode="grey", verbose=0).images), stack)


def test_single_source_is_refused_with_a_hint(tmp_path):
    with pytest.raises(InvalidImageError, match=r"expected a collection of images, got a single str.*\[source\]"):
        load_images(str(tmp_path / "a.png"))


@pytest.mark.parametrize("on_error", ["ignore", "warn", None, "Skip"])
def test_bad_on_error(on_error):
    with pytest.raises(InvalidParameterError, match=r"The 'on_error' parameter must be one of \{'raise', 'skip'\}"):
        load_images([picture_rgb()], on_error=on_error)


def test_bad_mode():
    with pytest.raises(InvalidParameterError, match=r"The 'mode' parameter must be one of"):
        load_images([picture_rgb()], mode="hsv")


# Aborting a loky run with queued tasks (as any joblib error does) can end loky's manager thread
# with a KeyError after it has killed the workers (joblib 1.6.0: flag_executor_shutting_down pops
# pending_work_items while their ids stay in work_ids_queue). Harmless, third-party, not asserted on.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_two_workers_give_the_same_result_as_one(good_and_bad):
    sources, _, _ = good_and_bad
    sources = sources + sources  # enough for several chunks in each worker
    with pytest.warns(SkippedImagesWarning):
        serial = load_images(sources, on_error="skip", n_jobs=1, verbose=0)
    with pytest.warns(SkippedImagesWarning):
        parallel = load_images(sources, on_error="skip", n_jobs=2, verbose=0)
    assert parallel.indices == serial.indices
    assert parallel.skipped == serial.skipped
    for a, b in zip(parallel.images, serial.images):
        np.testing.assert_array_equal(a, b)
    # the first bad source in input order is raised, whichever worker finishes first; its type,
    # source and reason survive the trip from the worker; joblib's note on cancelled tasks is not shown
    with pytest.raises(ImageNotFoundError, match=r"missing.png: no such file") as info, warnings.catch_warnings():
        warnings.simplefilter("error")
        load_images(sources, n_jobs=2, verbose=0)
    assert info.value.source.endswith("missing.png") and info.value.reason == "no such file"


def test_importing_and_using_featclf_changes_no_global_pil_or_opencv_state(tmp_path):
    Image.fromarray(picture_rgba()).save(tmp_path / "a.png")
    code = f"""
import json, sys
import cv2
from PIL import Image, ImageFile

def state():
    return [ImageFile.LOAD_TRUNCATED_IMAGES, Image.MAX_IMAGE_PIXELS, cv2.getNumThreads(), cv2.useOptimized(),
            cv2.ocl.useOpenCL()]

before = state()
import featclf
after_import = state()
import featclf.io, featclf.datasets, featclf.extract
import numpy as np
featclf.load_image({str(tmp_path / "a.png")!r}, mode="grey")
featclf.load_images([{str(tmp_path / "a.png")!r}, np.zeros((5, 5, 3), np.uint8)], verbose=0)
featclf.io.resize_image(np.zeros((8, 8, 3), np.uint8), (4, 4))
featclf.RawPixels(size=(4, 4), verbose=0).fit_transform([{str(tmp_path / "a.png")!r}])
after_use = state()
print(json.dumps([before, after_import, after_use]))
"""
    env = {**os.environ, "PYTHONPATH": REPO}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    before, after_import, after_use = json.loads(proc.stdout)
    assert before[0] is False  # Pillow's default: truncated files are errors
    assert after_import == before
    assert after_use == before
