"""ImageFolder and UnlabelledFolder on a messy generated collection."""

from __future__ import annotations

import os
import re
import warnings
from pathlib import Path

import numpy as np
import pytest
from datagen import save_image

import featclf
from featclf import ImageFolder, UnlabelledFolder, load_image
from featclf.datasets import ImageDataset, find_images
from featclf.exceptions import DatasetError, DatasetNotFoundError, FeatclfWarning


def folder(root, **kwargs):
    with pytest.warns(FeatclfWarning, match="empty_class"):
        return ImageFolder(root, **kwargs)


def test_finds_exactly_the_images_and_the_classes(collection):
    ds = folder(collection.root)
    assert ds.classes == ["birds", "cats", "dogs"]
    expected = [p for c in ds.classes for p in collection.images[c]]
    assert ds.paths == expected
    assert len(ds) == 13


def test_paths_labels_classes_contract(collection):
    ds = folder(Path(collection.root))  # PathLike root accepted
    assert isinstance(ds, ImageDataset)
    assert isinstance(ds.paths, list) and all(isinstance(p, str) for p in ds.paths)
    assert isinstance(ds.labels, np.ndarray) and ds.labels.dtype == np.int64 and ds.labels.shape == (len(ds.paths),)
    assert isinstance(ds.classes, list) and ds.classes == sorted(ds.classes)
    for path, label in zip(ds.paths, ds.labels):
        first_level = Path(path).relative_to(collection.root).parts[0]
        assert ds.classes[label] == first_level
    assert ds.class_counts() == {"birds": 5, "cats": 5, "dogs": 3}
    summary = ds.summary()
    assert summary["n_images"] == 13 and summary["class_counts"] == ds.class_counts()
    assert summary["n_classes"] == 3 and summary["classes"] == ds.classes
    assert repr(ds) == f"ImageFolder('root': {len(ds)} images, 3 classes)"
    assert ds.sources is ds.paths


def test_non_image_hidden_and_broken_entries_are_ignored(collection):
    paths = folder(collection.root).paths
    names = {os.path.basename(p) for p in paths}
    assert not names & {"readme.txt", "bark.ogg", "vector.svg", "data.dat", "LICENSE", "notes.txt"}
    assert ".thumb.png" not in names and "broken.png" not in names
    assert not any("/.cache/" in p or "/.hidden_class/" in p for p in paths)
    assert "photo.JPG" in names  # upper-case extensions count


def test_symlinked_folder_followed_and_loop_walked_once(collection):
    paths = folder(collection.root).paths
    assert os.path.join(collection.root, "birds", "linked", "g.png") in paths
    assert len(paths) == len(set(paths))
    assert not any("/loop/" in p for p in paths)
    assert len({os.path.realpath(p) for p in paths}) == len(paths)


def test_empty_class_folder_warns_and_is_left_out(collection):
    with pytest.warns(FeatclfWarning, match=r"Class folders with no images left out: empty_class \(0 images; "
                                            r"1 file left out \(\.txt: 1\)\)"):
        ds = ImageFolder(collection.root)
    assert "empty_class" not in ds.classes


def test_order_is_deterministic_and_sorted(collection, tmp_path):
    first, second = folder(collection.root), folder(collection.root)
    assert first.paths == second.paths and (first.labels == second.labels).all()
    for c, name in enumerate(first.classes):
        in_class = [p for p, l in zip(first.paths, first.labels) if l == c]
        assert in_class == sorted(in_class)
    assert (np.diff(first.labels) >= 0).all()  # class by class


def test_every_image_of_mixed_modes_loads_as_rgb(collection):
    ds = folder(collection.root)
    for i, path in enumerate(ds.paths):
        image = ds.load(i)
        assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3, path
        np.testing.assert_array_equal(image, load_image(path))
    # transparent black corners come out white
    for path in ds.paths:
        if path.endswith(("z_last.png", "grey_alpha.png", "b.webp", "h.png")):
            assert (load_image(path)[0, 0] == 255).all(), path


def test_custom_extensions(collection):
    ds = folder(collection.root, extensions=(".PNG",))
    assert all(p.endswith(".png") for p in ds.paths)
    assert ds.classes == ["birds", "cats", "dogs"]
    assert sum(p.endswith(".png") for c in collection.images.values() for p in c) == len(ds)


def test_loose_images_in_root_warn(tmp_path):
    save_image(tmp_path / "a" / "x.png")
    save_image(tmp_path / "loose.png")
    save_image(tmp_path / ".hidden.png")
    with pytest.warns(FeatclfWarning, match=r"1 images directly in the root belong to no class.*loose.png"):
        ds = ImageFolder(tmp_path)
    assert ds.classes == ["a"] and len(ds) == 1


def test_hidden_entries_alone_do_not_warn_but_are_counted(tmp_path):
    save_image(tmp_path / "a" / "x.png")
    save_image(tmp_path / ".DS_thumb.png")
    save_image(tmp_path / "a" / ".git" / "y.png")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ds = ImageFolder(tmp_path)
    assert len(ds) == 1
    assert sorted((os.path.basename(x.path), x.kind) for x in ds.left_out) == [
        (".DS_thumb.png", "hidden"), (".git", "hidden folder")]
    (tmp_path / "index.txt").write_text("x")
    with pytest.warns(FeatclfWarning, match=r": 1 image in 1 class; 2 files and 1 folder left out \(\.txt: 1; "):
        ImageFolder(tmp_path)


def test_missing_root(tmp_path):
    missing = tmp_path / "nope"
    with pytest.raises(DatasetNotFoundError, match=rf"^{re.escape(str(missing))}: no such folder") as info:
        ImageFolder(missing)
    assert isinstance(info.value, FileNotFoundError) and isinstance(info.value, DatasetError)
    with pytest.raises(DatasetNotFoundError, match="no such folder"):
        UnlabelledFolder(missing)


def test_root_is_a_file(tmp_path):
    path = save_image(tmp_path / "x.png")
    with pytest.raises(DatasetError, match=rf"^{re.escape(str(path))}: not a folder") as info:
        ImageFolder(path)
    assert isinstance(info.value, ValueError)


def test_no_class_folders(tmp_path):
    with pytest.raises(DatasetError, match=r"no class folder with images found.*root/<class>/<image>"):
        ImageFolder(tmp_path)
    save_image(tmp_path / "loose.png")
    with pytest.raises(DatasetError, match=r"holds 1 images directly: for unlabelled images use featclf.UnlabelledFolder"):
        ImageFolder(tmp_path)
    (tmp_path / "only_text").mkdir()
    (tmp_path / "only_text" / "a.txt").write_text("x")
    with pytest.raises(DatasetError, match="no class folder with images"):
        ImageFolder(tmp_path)


def test_public_name():
    assert featclf.ImageFolder is ImageFolder and featclf.UnlabelledFolder is UnlabelledFolder


# --------------------------------------------------------------------------- unlabelled
def test_unlabelled_folder_finds_every_image_below_root(collection):
    ds = UnlabelledFolder(collection.root)
    expected = sorted(p for c in collection.images.values() for p in c)
    assert ds.paths == expected
    assert ds.labels is None and ds.classes is None and not ds.is_labelled
    assert ds.class_counts() == {} and ds.summary()["n_classes"] == 0
    assert repr(ds) == f"UnlabelledFolder('root': {len(expected)} images, unlabelled)"


def test_unlabelled_folder_includes_loose_images(tmp_path):
    save_image(tmp_path / "loose.png")
    save_image(tmp_path / "a" / "b" / "deep.jpg")
    save_image(tmp_path / ".hidden.png")
    assert UnlabelledFolder(tmp_path).paths == [str(tmp_path / "a" / "b" / "deep.jpg"), str(tmp_path / "loose.png")]


def test_unlabelled_folder_without_images(tmp_path):
    (tmp_path / "a.txt").write_text("x")
    with pytest.raises(DatasetError, match=rf"^{re.escape(str(tmp_path))}: no images found \(extensions: those the "
                       r"installed Pillow decodes.*\. 1 file left out \(\.txt: 1\), see \.left_out"):
        UnlabelledFolder(tmp_path)


def test_find_images_is_sorted_and_recursive(collection):
    found = find_images(os.path.join(collection.root, "cats"))
    assert found == collection.images["cats"]


def test_subset_keeps_classes_and_aligned_labels(collection):
    ds = folder(collection.root)
    sub = ds.subset([0, len(ds) - 1])
    assert sub.classes == ds.classes
    assert list(sub.sources) == [ds.paths[0], ds.paths[-1]]
    assert list(sub.labels) == [ds.labels[0], ds.labels[-1]]


def test_loose_file_check_uses_the_given_extensions(tmp_path):
    save_image(tmp_path / "a" / "x.jpg")
    save_image(tmp_path / "loose.png")  # not an image for extensions=(".jpg",)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an extension the user did not select is left out on purpose: no warning
        ds = ImageFolder(tmp_path, extensions=(".jpg",))
    assert ds.paths == [str(tmp_path / "a" / "x.jpg")]
    assert ds.left_out == [(str(tmp_path / "loose.png"), "extension not selected", ".png not in extensions=")]
