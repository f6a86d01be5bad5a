"""In-memory datasets: ArrayDataset, scikit-learn's digits, Fashion-MNIST from IDX files."""

from __future__ import annotations

import gzip
import os
import re

import numpy as np
import pytest
from datagen import write_fashion_mnist, write_idx

import featclf
from featclf import ArrayDataset, load_digits, load_fashion_mnist, load_image, load_images
from featclf.datasets import FASHION_MNIST_CLASSES, read_idx
from featclf.datasets import _arrays as arrays_module
from featclf.exceptions import DatasetError, DatasetNotFoundError, InvalidParameterError

REAL_FMNIST = "/usr/share/datasets/fashion-mnist"


# --------------------------------------------------------------------------- ArrayDataset
def test_string_labels_are_encoded_to_sorted_classes():
    images = np.zeros((4, 5, 6), np.uint8)
    ds = ArrayDataset(images, ["dog", "cat", "dog", "bird"])
    assert ds.classes == ["bird", "cat", "dog"]
    assert ds.labels.tolist() == [2, 1, 2, 0] and ds.labels.dtype == np.int64
    assert ds.class_counts() == {"bird": 1, "cat": 1, "dog": 2}
    assert len(ds) == 4 and ds.name == "arrays"


def test_int_labels_with_and_without_class_names():
    images = np.zeros((3, 4, 4, 3), np.uint8)
    named = ArrayDataset(images, [0, 2, 2], classes=["a", "b", "c"])
    assert named.labels.tolist() == [0, 2, 2] and named.classes == ["a", "b", "c"]
    assert named.class_counts() == {"a": 1, "b": 0, "c": 2}
    unnamed = ArrayDataset(images, [5, 9, 5])
    assert unnamed.classes == ["5", "9"] and unnamed.labels.tolist() == [0, 1, 0]


def test_unlabelled_and_list_of_mixed_sizes():
    ds = ArrayDataset([np.zeros((4, 4), np.uint8), np.ones((6, 3, 3), np.float64)])
    assert ds.labels is None and ds.classes is None and len(ds) == 2
    assert load_images(ds, verbose=0).images[1].shape == (6, 3, 3)


def test_mismatched_lengths():
    with pytest.raises(DatasetError, match=r"^arrays: got 3 images but 2 labels; pass exactly one label per image"):
        ArrayDataset(np.zeros((3, 4, 4), np.uint8), ["a", "b"])
    with pytest.raises(DatasetError, match=r"^mine: got 2 images but 3 labels"):
        ArrayDataset([np.zeros((4, 4))] * 2, [0, 1, 1], classes=["a", "b"], name="mine")


def test_bad_images_array_shape():
    with pytest.raises(DatasetError, match=r"images must be an array of shape \(N, H, W\) or \(N, H, W, C\).*got shape \(4, 4\)"):
        ArrayDataset(np.zeros((4, 4), np.uint8))


def test_labels_out_of_range_and_two_dimensional():
    with pytest.raises(DatasetError, match=r"labels must be integers in \[0, 1\] indexing classes; got values in \[0, 2\]"):
        ArrayDataset(np.zeros((2, 4, 4), np.uint8), [0, 2], classes=["a", "b"])
    with pytest.raises(DatasetError, match=r"labels must be one-dimensional; got shape \(2, 1\)"):
        ArrayDataset(np.zeros((2, 4, 4), np.uint8), [["a"], ["b"]])


def test_subset_of_an_array_dataset():
    images = np.arange(5 * 4 * 4, dtype=np.uint8).reshape(5, 4, 4)
    ds = ArrayDataset(images, list("abcab"))
    sub = ds.subset([4, 0])
    np.testing.assert_array_equal(sub.sources, images[[4, 0]])
    assert sub.labels.tolist() == [1, 0] and sub.classes == ["a", "b", "c"]
    assert ds.describe(3) == "item 3 (ndarray)"


# --------------------------------------------------------------------------- digits
def test_load_digits():
    ds = load_digits()
    assert isinstance(ds, ArrayDataset) and ds.name == "digits"
    assert ds.sources.shape == (1797, 8, 8) and ds.sources.dtype == np.uint8
    assert ds.sources.max() == 255 and ds.sources.min() == 0
    assert ds.classes == [str(d) for d in range(10)]
    from sklearn.datasets import load_digits as sk_digits

    bunch = sk_digits()
    np.testing.assert_array_equal(ds.labels, bunch.target)
    np.testing.assert_array_equal(ds.sources, np.round(bunch.images * 255 / 16).astype(np.uint8))
    assert load_image(ds.sources[0]).shape == (8, 8, 3)
    assert featclf.load_digits is load_digits


# --------------------------------------------------------------------------- Fashion-MNIST
@pytest.mark.parametrize("gz", [True, False])
def test_fashion_mnist_from_a_folder(tmp_path, gz):
    written = write_fashion_mnist(tmp_path, n_train=12, n_test=5, gz=gz)
    for split in ("train", "test"):
        ds = load_fashion_mnist(tmp_path, split=split)
        images, labels = written[split]
        np.testing.assert_array_equal(ds.sources, images)
        np.testing.assert_array_equal(ds.labels, labels)
        assert ds.classes == FASHION_MNIST_CLASSES and ds.name == f"fashion-mnist-{split}"
    assert len(load_fashion_mnist(str(tmp_path))) == 12  # train by default, str root


def test_fashion_mnist_default_search_finds_featclf_data_first(tmp_path, monkeypatch):
    write_fashion_mnist(tmp_path / "fashion-mnist", n_train=3, n_test=2)
    monkeypatch.setenv("FEATCLF_DATA", str(tmp_path))
    ds = load_fashion_mnist(split="test")
    assert len(ds) == 2  # ours, not a system-wide copy


def test_fashion_mnist_search_dirs(tmp_path, monkeypatch):
    monkeypatch.setenv("FEATCLF_DATA", str(tmp_path / "d"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert arrays_module.fashion_mnist_dirs() == [
        str(tmp_path / "d" / "fashion-mnist"),
        "/usr/share/datasets/fashion-mnist",
        str(tmp_path / "cache" / "featclf" / "fashion-mnist"),
    ]
    monkeypatch.delenv("FEATCLF_DATA")
    assert arrays_module.fashion_mnist_dirs()[0] == "/usr/share/datasets/fashion-mnist"


def test_fashion_mnist_not_found_says_how_to_get_it(tmp_path, monkeypatch):
    searched = [str(tmp_path / "a" / "fashion-mnist"), str(tmp_path / "b")]
    monkeypatch.setattr(arrays_module, "fashion_mnist_dirs", lambda: searched)  # hide any system copy
    with pytest.raises(DatasetNotFoundError, match=r"Fashion-MNIST files train-images-idx3-ubyte.gz and "
                       r"train-labels-idx1-ubyte.gz not found in: " + re.escape(", ".join(searched))) as info:
        load_fashion_mnist()
    message = str(info.value)
    assert "github.com/zalandoresearch/fashion-mnist" in message
    assert "root=DIR" in message and "apt-get install dataset-fashion-mnist" in message
    assert isinstance(info.value, FileNotFoundError)
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetNotFoundError, match=rf"t10k-images-idx3-ubyte.gz .*not found in: {re.escape(str(tmp_path / 'empty'))}\."):
        load_fashion_mnist(tmp_path / "empty", split="test")


def test_fashion_mnist_half_present_is_not_found(tmp_path):
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", np.zeros((2, 28, 28), np.uint8))
    with pytest.raises(DatasetNotFoundError, match="not found"):
        load_fashion_mnist(tmp_path)


def test_fashion_mnist_bad_split(tmp_path):
    with pytest.raises(InvalidParameterError, match=r"The 'split' parameter must be one of \{'train', 'test'\}. Got 'val'"):
        load_fashion_mnist(tmp_path, split="val")


def test_fashion_mnist_images_and_labels_that_do_not_match(tmp_path):
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", np.zeros((3, 28, 28), np.uint8))
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.zeros(2, np.uint8))
    with pytest.raises(DatasetError, match=r"image and label files do not match \(\(3, 28, 28\) images, \(2,\) labels\)"):
        load_fashion_mnist(tmp_path)


def test_read_idx_round_trip_and_corrupt_files(tmp_path):
    array = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    np.testing.assert_array_equal(read_idx(str(write_idx(tmp_path / "a.gz", array))), array)
    np.testing.assert_array_equal(read_idx(str(write_idx(tmp_path / "a.idx", array))), array)

    (tmp_path / "magic").write_bytes(b"\x00\x00\x0d\x01" + b"\x00" * 8)  # float IDX, not unsigned bytes
    with pytest.raises(DatasetError, match=r"magic: not an IDX file of unsigned bytes \(bad magic number\)"):
        read_idx(str(tmp_path / "magic"))

    full = (tmp_path / "a.idx").read_bytes()
    (tmp_path / "cut").write_bytes(full[:-5])
    with pytest.raises(DatasetError, match=r"cut: truncated IDX file: expected 24 values for shape \(2, 3, 4\), found 19"):
        read_idx(str(tmp_path / "cut"))
    (tmp_path / "header").write_bytes(full[:9])
    with pytest.raises(DatasetError, match=r"header: truncated IDX file"):
        read_idx(str(tmp_path / "header"))

    (tmp_path / "bad.gz").write_bytes(b"this is not gzip data")
    with pytest.raises(DatasetError, match=r"bad.gz: cannot be read \(.*\).*Download it again"):
        read_idx(str(tmp_path / "bad.gz"))
    (tmp_path / "cut.gz").write_bytes(gzip.compress(full)[:-12])
    with pytest.raises(DatasetError, match=r"cut.gz: cannot be read"):
        read_idx(str(tmp_path / "cut.gz"))


@pytest.mark.skipif(not os.path.isdir(REAL_FMNIST), reason=f"real Fashion-MNIST not installed in {REAL_FMNIST}")
def test_real_fashion_mnist_test_split():
    ds = load_fashion_mnist(REAL_FMNIST, split="test")
    assert ds.sources.shape == (10_000, 28, 28) and ds.sources.dtype == np.uint8
    assert np.bincount(ds.labels).tolist() == [1000] * 10  # the test split is balanced
