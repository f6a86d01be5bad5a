"""Provenance: one version collector (no heavy imports) and a dataset fingerprint that changes with the data."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import sklearn
from PIL import Image

import featclf
from featclf.stages import collect_versions, dataset_fingerprint


def test_versions_name_the_libraries_that_change_the_numbers():
    versions = collect_versions()
    assert versions["featclf"] == featclf.__version__ and versions["numpy"] == np.__version__
    assert versions["scikit-learn"] == sklearn.__version__ and versions["opencv"].startswith("4.")
    assert set(versions) >= {"python", "scipy", "scikit-image", "pillow", "joblib", "torch", "onnxruntime",
                             "platform"}


def test_versions_are_the_same_whether_or_not_opencv_was_imported_first():
    # a clustering saved by a process that had imported cv2 and loaded by one that had not warned
    # "opencv 4.14.0 -> 4.14.0.94": one source for every version
    code = ("import json, sys; from featclf.stages import collect_versions; before = collect_versions(); "
            "import cv2; after = collect_versions(); print(json.dumps([before, after, 'cv2' in sys.modules]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    before, after, imported = json.loads(out)
    assert imported and before == after and before["opencv"] is not None


def test_collecting_versions_does_not_import_torch():
    code = ("import json, sys; from featclf.stages import collect_versions; v = collect_versions(); "
            "print(json.dumps(['torch' in sys.modules, v['torch'] is not None]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == [False, True]  # the version is read from metadata, torch stays unloaded


def test_fingerprint_changes_with_content_order_labels_and_files(tmp_path):
    paths = []
    for i in range(3):
        paths.append(str(tmp_path / f"{i}.png"))
        Image.fromarray(np.full((4, 4), 40 * i, np.uint8)).save(paths[-1])
    base = dataset_fingerprint(paths)
    assert base["n_images"] == 3 and base["class_counts"] is None and len(base["sha256"]) == 64
    assert dataset_fingerprint(list(paths))["sha256"] == base["sha256"]  # deterministic
    assert dataset_fingerprint(paths[::-1])["sha256"] != base["sha256"]  # order matters
    assert dataset_fingerprint(paths[:2])["sha256"] != base["sha256"]  # a file fewer
    Image.fromarray(np.full((5, 4), 7, np.uint8)).save(paths[1])  # rewritten: size changes
    os.utime(paths[1], ns=(1, 1))
    assert dataset_fingerprint(paths)["sha256"] != base["sha256"]


def test_fingerprint_of_arrays_and_labelled_datasets():
    images = np.zeros((4, 3, 3), np.uint8)
    data = featclf.ArrayDataset(images, np.array([0, 1, 1, 0]), classes=["a", "b"])
    fp = dataset_fingerprint(data)
    assert fp["class_counts"] == {"a": 2, "b": 2} and fp["n_images"] == 4
    relabelled = featclf.ArrayDataset(images, np.array([0, 1, 0, 0]), classes=["a", "b"])
    assert dataset_fingerprint(relabelled)["sha256"] != fp["sha256"]
    changed = images.copy()
    changed[2, 1, 1] = 1
    assert dataset_fingerprint(featclf.ArrayDataset(changed, np.array([0, 1, 1, 0]), classes=["a", "b"]))[
        "sha256"] != fp["sha256"]
    assert dataset_fingerprint(list(images))["sha256"] == dataset_fingerprint(list(images.copy()))["sha256"]


def test_a_stack_and_the_list_of_its_images_have_one_fingerprint():
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    assert dataset_fingerprint(images)["sha256"] == dataset_fingerprint(list(images))["sha256"]


def test_versions_are_the_same_before_and_after_cv2_is_imported():
    """A saved model compares versions at load: cv2's __version__ (4.14.0) and its distribution's (4.14.0.94) must
    not differ between a process that imported cv2 and one that did not."""
    import subprocess
    import sys

    code = ("from featclf.stages import collect_versions; a = collect_versions()['opencv']; import cv2; "
            "b = collect_versions()['opencv']; print(a == b, a)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out[0] == "True" and out[1].startswith("4.")


def test_a_content_fingerprint_follows_the_bytes_not_the_path_or_time(tmp_path):
    import shutil

    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    paths = []
    for i in range(3):
        paths.append(str(first / f"{i}.png"))
        Image.fromarray(np.full((4, 4), 40 * i, np.uint8)).save(paths[-1])
    base = dataset_fingerprint(paths, content=True)
    assert base["of"] == "file contents" and dataset_fingerprint(paths)["of"].startswith("file paths")
    shutil.copytree(first, second)
    copies = [str(second / os.path.basename(p)) for p in paths]
    os.utime(copies[0], ns=(1, 1))
    assert dataset_fingerprint(copies, content=True)["sha256"] == base["sha256"]  # same bytes elsewhere, touched
    assert dataset_fingerprint(copies)["sha256"] != dataset_fingerprint(paths)["sha256"]  # the cheap form differs
    Image.fromarray(np.full((4, 4), 41, np.uint8)).save(copies[1])  # one pixel value changed
    assert dataset_fingerprint(copies, content=True)["sha256"] != base["sha256"]
