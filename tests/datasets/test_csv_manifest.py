"""CSVManifest: path/label columns, relative paths resolved against the CSV's folder."""

from __future__ import annotations

import os
import re

import numpy as np
import pytest
from datagen import save_image

from featclf import CSVManifest, load_image, load_images
from featclf.exceptions import DatasetError, DatasetNotFoundError, SkippedImagesWarning


@pytest.fixture
def manifest_dir(tmp_path):
    """data/manifest.csv beside data/images/..., and an image outside data/."""
    data = tmp_path / "data"
    save_image(data / "images" / "cat1.png", "RGBA", seed=1)
    save_image(data / "images" / "cat2.jpg", "RGB", seed=2)
    save_image(data / "images" / "sub" / "dog1.png", "P", seed=3)
    save_image(tmp_path / "elsewhere" / "dog2.png", "LA", seed=4)
    return data


def write_csv(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_relative_paths_resolve_against_the_csv_folder_not_the_cwd(manifest_dir, tmp_path, monkeypatch):
    csv_path = write_csv(
        manifest_dir / "manifest.csv",
        "path,label\nimages/cat1.png,cat\nimages/sub/dog1.png,dog\n../elsewhere/dog2.png,dog\nimages/cat2.jpg,cat\n",
    )
    other = tmp_path / "somewhere_else"
    other.mkdir()
    monkeypatch.chdir(other)
    ds = CSVManifest(os.path.relpath(csv_path, other), allow_outside=True)
    assert ds.paths == [
        str(manifest_dir / "images" / "cat1.png"),
        str(manifest_dir / "images" / "sub" / "dog1.png"),
        str(tmp_path / "elsewhere" / "dog2.png"),  # '..' normalised
        str(manifest_dir / "images" / "cat2.jpg"),
    ]
    assert all(os.path.isabs(p) and os.path.isfile(p) for p in ds.paths)
    assert ds.classes == ["cat", "dog"]
    assert ds.labels.tolist() == [0, 1, 1, 0]  # manifest order kept
    assert ds.name == "manifest"
    for path in ds.paths:
        assert load_image(path).dtype == np.uint8


def test_absolute_paths_are_kept(manifest_dir):
    absolute = manifest_dir / "images" / "cat1.png"
    ds = CSVManifest(write_csv(manifest_dir / "m.csv", f"path,label\n{absolute},cat\n"))
    assert ds.paths == [str(absolute)]


def test_custom_column_names_extra_columns_bom_and_spaces(manifest_dir):
    text = "\ufeffid,file,category,notes\n1, images/cat1.png , kitten ,x\n2,images/sub/dog1.png,puppy,\n"
    ds = CSVManifest(write_csv(manifest_dir / "m.csv", text), path_column="file", label_column="category")
    assert ds.paths == [str(manifest_dir / "images" / "cat1.png"), str(manifest_dir / "images" / "sub" / "dog1.png")]
    assert ds.classes == ["kitten", "puppy"] and ds.labels.tolist() == [0, 1]


def test_unlabelled_manifest(manifest_dir):
    ds = CSVManifest(write_csv(manifest_dir / "m.csv", "path\nimages/cat1.png\n"), label_column=None)
    assert ds.labels is None and ds.classes is None and len(ds) == 1


def test_missing_column_names_it_and_the_header(manifest_dir):
    csv_path = write_csv(manifest_dir / "m.csv", "path,category\nimages/cat1.png,cat\n")
    with pytest.raises(
        DatasetError,
        match=rf"^{re.escape(str(csv_path))}: no column 'label'; the header has \['path', 'category'\]\. "
        r"Set label_column= to the column's name",
    ) as info:
        CSVManifest(csv_path)
    assert isinstance(info.value, ValueError)
    with pytest.raises(DatasetError, match=r"no column 'file'.*Set path_column="):
        CSVManifest(csv_path, path_column="file", label_column="category")


def test_empty_label_names_the_line_and_the_path(manifest_dir):
    csv_path = write_csv(manifest_dir / "m.csv", "path,label\nimages/cat1.png,cat\nimages/cat2.jpg,\n")
    with pytest.raises(DatasetError, match=rf"^{re.escape(str(csv_path))}, line 3: empty 'label' value for .*cat2.jpg"):
        CSVManifest(csv_path)


def test_empty_path(manifest_dir):
    csv_path = write_csv(manifest_dir / "m.csv", "path,label\n ,cat\n")
    with pytest.raises(DatasetError, match=r"line 2: empty 'path' value"):
        CSVManifest(csv_path)


def test_no_rows(manifest_dir):
    with pytest.raises(DatasetError, match=r"the manifest lists no images"):
        CSVManifest(write_csv(manifest_dir / "m.csv", "path,label\n"))
    for text in ("", "\n \n"):
        with pytest.raises(DatasetError, match=r"empty.csv: the file is empty. A manifest starts with a header line"):
            CSVManifest(write_csv(manifest_dir / "empty.csv", text))


def test_missing_csv(tmp_path):
    missing = tmp_path / "nope.csv"
    with pytest.raises(DatasetNotFoundError, match=rf"^{re.escape(str(missing))}: no such CSV file") as info:
        CSVManifest(missing)
    assert isinstance(info.value, FileNotFoundError)


def test_listed_file_that_is_missing_is_reported_when_loaded_by_name(manifest_dir):
    csv_path = write_csv(manifest_dir / "m.csv", "path,label\nimages/cat1.png,cat\nimages/gone.png,cat\n")
    ds = CSVManifest(csv_path)  # lazy: the manifest itself does not open the files
    assert len(ds) == 2
    with pytest.warns(SkippedImagesWarning, match=r"Skipped 1 of 2"):
        result = load_images(ds, on_error="skip", verbose=0)
    assert result.skipped == [(1, str(manifest_dir / "images" / "gone.png"), "no such file")]
    assert result.indices == [0]
