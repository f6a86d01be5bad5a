"""Folder scans: every format the installed Pillow decodes is taken; everything else is counted and reported;
symlinks and hard links never make a file count twice or under two classes (issue 9, kind 4)."""

from __future__ import annotations

import os
import re
import warnings

import numpy as np
import pytest
from datagen import save_image
from imagegen import permissions_ignored
from PIL import Image, features

from featclf import ImageFolder, UnlabelledFolder, load_image
from featclf.datasets import find_images
from featclf.exceptions import DatasetError, FeatclfWarning
from featclf.io import _formats, extension_problem, image_extensions

# (format, extension, Pillow feature its writer needs or None, save params)
WRITABLE = [
    ("TGA", ".tga", None, {}),
    ("AVIF", ".avif", "avif", {"quality": 90}),
    ("WEBP", ".webp", "webp", {"lossless": True}),
    ("JPEG2000", ".jp2", "jpg_2000", {}),
    ("QOI", ".qoi", None, {}),
    ("SGI", ".sgi", None, {}),
    ("PCX", ".pcx", None, {}),
    ("ICO", ".ico", None, {}),
]


def _can_write(fmt, feature) -> bool:
    Image.init()
    return fmt in Image.SAVE and (feature is None or features.check(feature))


def _write(path, fmt, params, seed=0):
    path.parent.mkdir(parents=True, exist_ok=True)
    rgb = np.random.default_rng(seed).integers(0, 256, (16, 16, 3), dtype=np.uint8)
    Image.fromarray(rgb).save(path, fmt, **params)
    return rgb


@pytest.fixture
def fresh_formats():
    _formats._extension_table.cache_clear()
    yield
    _formats._extension_table.cache_clear()


@pytest.mark.parametrize(("fmt", "ext", "feature", "params"), WRITABLE, ids=[w[0] for w in WRITABLE])
def test_a_class_of_any_format_pillow_decodes_is_found(tmp_path, fmt, ext, feature, params):
    if not _can_write(fmt, feature):
        pytest.skip(f"this Pillow cannot write {fmt}")
    expected = _write(tmp_path / "animals" / f"a{ext}", fmt, params)
    _write(tmp_path / "animals" / f"B{ext.upper()}", fmt, params, seed=1)  # upper-case extension
    save_image(tmp_path / "plants" / "p.png")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing left out, nothing to say
        ds = ImageFolder(tmp_path)
    assert ds.classes == ["animals", "plants"]
    assert ds.class_counts() == {"animals": 2, "plants": 1}
    assert ds.left_out == []
    assert ext in image_extensions() and extension_problem(ext) is None
    decoded = load_image(ds.paths[ds.paths.index(str(tmp_path / "animals" / f"a{ext}"))])
    assert decoded.shape == (16, 16, 3)
    if fmt in ("TGA", "QOI", "SGI", "PCX", "WEBP"):  # lossless as written
        np.testing.assert_array_equal(decoded, expected)
    assert find_images(tmp_path / "animals") == sorted(str(p) for p in (tmp_path / "animals").iterdir())
    assert len(UnlabelledFolder(tmp_path)) == 3


def test_the_extension_set_follows_pillow_not_a_fixed_list():
    exts = image_extensions()
    Image.init()
    readable = {e for e, f in Image.registered_extensions().items() if f in Image.OPEN and f not in
                ("MPEG", "BUFR", "GRIB", "HDF5", "WMF", "EPS")}
    jpeg_family = {".jpg", ".jpeg", ".jpe", ".jfif"}
    assert {".png", ".bmp", ".gif", ".tif", ".tiff", ".tga", ".qoi", ".psd", ".ico"} <= exts
    assert readable - exts <= {".jp2", ".j2k", ".jpc", ".jpf", ".jpx", ".j2c", ".webp", ".avif", ".avifs"} | jpeg_family
    assert ".mpo" in exts  # an MPO is read by Pillow's JPEG reader
    assert not exts & {".pdf", ".palm", ".mpg", ".mpeg", ".txt", ".svg", ".grib", ".h5"}
    assert extension_problem(".pdf") == "Pillow writes PDF files but cannot read them"
    assert extension_problem(".mpg") == "Pillow identifies MPEG video files but cannot decode them"
    assert extension_problem(".grib") == "Pillow identifies GRIB files but has no decoder for them"
    assert extension_problem(".svg") == "not an image format"
    assert extension_problem("") == "no file extension"


def test_a_format_whose_decoder_is_missing_is_left_out_with_the_reason(tmp_path, monkeypatch, fresh_formats):
    real_check = features.check
    monkeypatch.setattr(features, "check", lambda name: False if name == "jpg_2000" else real_check(name))
    assert extension_problem(".JP2") == "this Pillow build lacks the JPEG 2000 decoder (OpenJPEG)"
    assert ".jp2" not in image_extensions()
    for name in ("a.jp2", "b.j2k", "c.jp2"):
        (tmp_path / "animals").mkdir(exist_ok=True)
        (tmp_path / "animals" / name).write_bytes(b"\0\0\0\x0cjP  \r\n\x87\n")
    save_image(tmp_path / "plants" / "p.png")
    with pytest.warns(FeatclfWarning, match=re.escape(
            "1 image in 1 class; 3 files left out (.jp2: 2; .j2k: 1), see .left_out. (.jp2: this Pillow build "
            "lacks the JPEG 2000 decoder (OpenJPEG); .j2k: this Pillow build lacks")) as record:
        ds = ImageFolder(tmp_path)
    assert "Class folders with no images left out: animals (0 images; 3 files left out (.jp2: 2; .j2k: 1))" in str(
        record[0].message)
    assert {x.kind for x in ds.left_out} == {"no decoder installed"}
    assert ds.summary()["left_out"]["extensions"] == {".jp2": 2, ".j2k": 1}


def test_a_class_holding_only_unknown_files_says_what_it_held(tmp_path):
    for i in range(3):
        (tmp_path / "animals" / f"x{i}.xyz").parent.mkdir(exist_ok=True)
        (tmp_path / "animals" / f"x{i}.xyz").write_text("?")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetError, match=re.escape(
            "no class folder with images found. Expected the layout root/<class>/<image> (extensions: those the "
            "installed Pillow decodes, see featclf.io.image_extensions()). Class folders found: animals (0 images; "
            "3 files left out (.xyz: 3)), empty (empty).")):
        ImageFolder(tmp_path)
    save_image(tmp_path / "plants" / "p.png")
    with pytest.warns(FeatclfWarning, match=re.escape("animals (0 images; 3 files left out (.xyz: 3)), empty (empty)")):
        ds = ImageFolder(tmp_path)
    assert ds.classes == ["plants"]
    summary = ds.summary()["left_out"]
    assert summary["n"] == 3 and summary["kinds"] == {"not an image format": 3}
    assert summary["extensions"] == {".xyz": 3}
    assert summary["examples"][0] == {"path": str(tmp_path / "animals" / "x0.xyz"), "kind": "not an image format",
                                      "detail": "not an image format"}


def _two_classes(root):
    for i in range(2):
        save_image(root / "animals" / f"a{i}.png", seed=i)
        save_image(root / "plants" / f"p{i}.png", seed=10 + i)


def _scan_quietly(cls, root):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ds = cls(root)
    return ds, [str(w.message) for w in caught]


@pytest.mark.parametrize("target", ["..", ".", "../..", "ROOT_ABS", "ANCESTOR"])
def test_a_symlink_loop_is_never_followed_and_images_count_once(tmp_path, target):
    root = tmp_path / "root"
    _two_classes(root)
    link = root / "animals" / "sub" / "loop"
    link.parent.mkdir()
    target = {"ROOT_ABS": str(root), "ANCESTOR": str(tmp_path)}.get(target, target)
    os.symlink(target, link)
    ds, messages = _scan_quietly(ImageFolder, root)
    assert ds.class_counts() == {"animals": 2, "plants": 2}
    assert [(x.path, x.kind) for x in ds.left_out] == [(str(link), "symlink loop")]
    assert len(messages) == 1 and "1 folder left out (symlink loop: 1)" in messages[0]
    unlabelled, _ = _scan_quietly(UnlabelledFolder, root)
    assert len(unlabelled) == 4 and len({os.path.realpath(p) for p in unlabelled.paths}) == 4


def test_a_loop_through_a_folder_outside_the_root_is_cut(tmp_path):
    root = tmp_path / "root"
    _two_classes(root)
    outside = tmp_path / "outside"
    save_image(outside / "o.png")
    os.symlink(outside, root / "animals" / "linked")
    os.symlink(root, outside / "back")  # animals/linked/back -> root: a loop through the outside folder
    ds, _ = _scan_quietly(ImageFolder, root)
    assert ds.class_counts() == {"animals": 3, "plants": 2}
    assert [(os.path.relpath(x.path, root), x.kind) for x in ds.left_out] == [("animals/linked/back", "symlink loop")]


@pytest.mark.parametrize("how", ["file symlink", "folder symlink", "hard link"])
def test_a_file_reachable_under_two_classes_is_left_out_of_both_and_named(tmp_path, how):
    _two_classes(tmp_path)
    if how == "file symlink":
        os.symlink("../plants/p1.png", tmp_path / "animals" / "z.png")
        pair, counts = ("animals/z.png", "plants/p1.png"), {"animals": 2, "plants": 1}
    elif how == "folder symlink":
        os.symlink("../plants", tmp_path / "animals" / "more")
        pair, counts = ("animals/more/p0.png", "plants/p0.png"), {"animals": 2}
    else:
        os.link(tmp_path / "animals" / "a0.png", tmp_path / "plants" / "copy.png")
        pair, counts = ("animals/a0.png", "plants/copy.png"), {"animals": 1, "plants": 2}
    first, second = (str(tmp_path / p) for p in pair)
    with pytest.warns(FeatclfWarning, match=re.escape(
            f"image files are reachable under two classes and were left out of every class: {first} is also "
            f"{second}")) as record:
        ds = ImageFolder(tmp_path)
    message = str(record[0].message)
    assert "contradictory labels" in message and "remove the link or the copy" in message
    assert ds.class_counts() == counts
    assert not {first, second} & set(ds.paths)
    in_two = {(x.path, x.detail) for x in ds.left_out if x.kind == "in two classes"}
    assert (first, f"also {second}") in in_two and (second, f"also {first}") in in_two
    if how == "folder symlink":  # every image of plants was in two classes: the class is empty and says so
        assert "Class folders with no images left out: plants (0 images; 2 files left out (in two classes: 2))" \
            in message


@pytest.mark.parametrize("how", ["file symlink", "hard link", "folder linked twice"])
def test_a_second_name_in_the_same_class_counts_once_and_is_reported(tmp_path, how):
    root = tmp_path / "root"
    _two_classes(root)
    animals = root / "animals"
    if how == "file symlink":
        os.symlink("a0.png", animals / "z.png")
        expected = [("z.png", "duplicate", f"the same file as {animals / 'a0.png'}")]
    elif how == "hard link":
        os.link(animals / "a1.png", animals / "b.png")
        expected = [("b.png", "duplicate", f"the same file as {animals / 'a1.png'}")]
    else:
        save_image(tmp_path / "shared" / "s.png")
        os.symlink(tmp_path / "shared", animals / "x")
        os.symlink(tmp_path / "shared", animals / "y")
        expected = [("y", "folder already scanned", f"the same folder as {animals / 'x'}, walked once")]
    with pytest.warns(FeatclfWarning, match=r"left out \((duplicate|folder already scanned): 1\)"):
        ds = ImageFolder(root)
    assert [(os.path.relpath(x.path, animals), x.kind, x.detail) for x in ds.left_out] == expected
    assert ds.class_counts() == {"animals": 3 if how == "folder linked twice" else 2, "plants": 2}
    assert len({os.stat(p).st_ino for p in ds.paths}) == len(ds.paths)


def test_broken_links_are_counted(tmp_path):
    _two_classes(tmp_path)
    os.symlink(tmp_path / "nowhere.png", tmp_path / "plants" / "gone.png")
    with pytest.warns(FeatclfWarning, match=r"1 file left out \(broken link: 1\)"):
        ds = ImageFolder(tmp_path)
    assert ds.left_out[0].detail == f"a link to {tmp_path / 'nowhere.png'}, which does not exist"


def test_an_unreadable_folder_is_reported(tmp_path, monkeypatch):
    _two_classes(tmp_path)
    locked = tmp_path / "animals" / "locked"
    save_image(locked / "x.png")
    real_scandir = os.scandir

    def scandir(path):
        if os.fspath(path) == str(locked):
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    with pytest.warns(FeatclfWarning, match=r"1 folder left out \(unreadable folder: 1\)"):
        ds = ImageFolder(tmp_path)
    assert ds.class_counts() == {"animals": 2, "plants": 2}
    assert ds.left_out == [(str(locked), "unreadable folder", "cannot be listed (Permission denied)")]


@pytest.mark.skipif(permissions_ignored(), reason="root reads every folder whatever its permissions")
def test_an_unreadable_folder_is_reported_for_real(tmp_path):
    _two_classes(tmp_path)
    locked = tmp_path / "plants" / "locked"
    save_image(locked / "x.png")
    locked.chmod(0)
    try:
        with pytest.warns(FeatclfWarning, match=r"unreadable folder: 1"):
            ds = ImageFolder(tmp_path)
    finally:
        locked.chmod(0o755)
    assert ds.left_out[0].kind == "unreadable folder"


@pytest.mark.parametrize("target", [".", ".."])
def test_a_class_folder_that_is_a_link_back_to_the_root_is_no_class(tmp_path, target):
    root = tmp_path / "root"
    _two_classes(root)
    os.symlink(target, root / "zzz")
    with pytest.warns(FeatclfWarning, match=r"1 folder left out \(symlink loop: 1\)"):
        ds = ImageFolder(root)
    assert ds.classes == ["animals", "plants"] and len(ds) == 4
    assert [(x.path, x.kind) for x in ds.left_out] == [(str(root / "zzz"), "symlink loop")]


def test_a_class_folder_aliasing_another_class_leaves_both_out(tmp_path):
    _two_classes(tmp_path)
    os.symlink("animals", tmp_path / "beasts")
    with pytest.warns(FeatclfWarning, match=re.escape(
            f"2 image files are reachable under two classes and were left out of every class: "
            f"{tmp_path / 'animals' / 'a0.png'} is also {tmp_path / 'beasts' / 'a0.png'}; ")):
        ds = ImageFolder(tmp_path)
    assert ds.classes == ["plants"]
