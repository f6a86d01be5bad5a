"""Untrusted manifests and labels (issue 9, kind 8): paths outside the manifest's folder, encodings and other
CSV faults, missing labels."""

from __future__ import annotations

import os
import re
from decimal import Decimal

import numpy as np
import pytest
from datagen import save_image
from PIL import Image

from featclf import ArrayDataset, CSVManifest
from featclf.datasets import ImageDataset
from featclf.exceptions import DatasetError, InvalidParameterError


@pytest.fixture
def data(tmp_path):
    """data/ with two images and a subfolder; secret/ beside it (outside)."""
    folder = tmp_path / "data"
    save_image(folder / "a.png", seed=1)
    save_image(folder / "sub" / "b.png", seed=2)
    save_image(tmp_path / "secret" / "photo.png", seed=3)
    return folder


def write(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


# --------------------------------------------------------------------------- paths outside the folder
def _outside_cases(data):
    tmp = data.parent
    os.symlink(tmp / "secret", data / "link_dir")
    os.symlink(tmp / "secret" / "photo.png", data / "link.png")
    return {
        "dotdot": "../secret/photo.png",
        "dotdot missing": "../secret/missing.png",
        "nested dotdot": "sub/../../secret/photo.png",
        "absolute": str(tmp / "secret" / "photo.png"),
        "absolute missing": str(tmp / "secret" / "nothing-here.png"),
        "absolute system file": "/etc/passwd",
        "symlinked folder": "link_dir/photo.png",
        "symlinked file": "link.png",
    }


@pytest.mark.parametrize("case", ["dotdot", "dotdot missing", "nested dotdot", "absolute", "absolute missing",
                                  "absolute system file", "symlinked folder", "symlinked file"])
def test_paths_outside_the_manifest_folder_are_refused_by_default(data, case):
    listed = _outside_cases(data)[case]
    csv_path = write(data / "m.csv", f"path,label\na.png,x\n{listed},y\n")
    expected = (f"{csv_path}: 1 listed paths lead outside the manifest's folder (line 3: {listed}). A manifest may "
                "only list images inside its own folder, so that a manifest from elsewhere cannot make featclf read "
                "other files. If you trust this manifest, pass allow_outside=True (command line: --allow-outside)")
    with pytest.raises(DatasetError, match="^" + re.escape(expected)):
        CSVManifest(csv_path)
    ds = CSVManifest(csv_path, allow_outside=True)
    assert ds.paths[1] == os.path.normpath(os.path.join(data, listed))


def test_the_refusal_is_the_same_whether_the_outside_file_exists_or_not(data):
    messages = []
    for name in ("photo.png", "missing.png"):
        csv_path = write(data / "m.csv", f"path,label\n../secret/{name},y\n")
        with pytest.raises(DatasetError) as info:
            CSVManifest(csv_path)
        messages.append(str(info.value).replace(name, "NAME"))
    assert messages[0] == messages[1]


def test_paths_inside_the_folder_are_fine_however_written(data):
    absolute = data / "a.png"
    os.symlink(data / "sub", data / "alias")  # a link that stays inside
    csv_path = write(data / "m.csv", f"path,label\n{absolute},x\nsub/./b.png,y\n./alias/../a.png,x\n")
    with pytest.raises(DatasetError, match=r"listed more than once \(lines 2 and 4: ./alias/../a.png\)"):
        CSVManifest(csv_path)
    csv_path = write(data / "m.csv", f"path,label\n{absolute},x\nalias/b.png,y\n")
    assert CSVManifest(csv_path).paths == [str(absolute), str(data / "alias" / "b.png")]


def test_many_outside_paths_are_counted_and_the_first_shown(data):
    rows = "".join(f"../secret/{i}.png,y\n" for i in range(8))
    with pytest.raises(DatasetError, match=r"8 listed paths lead outside .*\(line 2: ../secret/0.png; .*line 6: "
                                           r"../secret/4.png \(and 3 more\)\)"):
        CSVManifest(write(data / "m.csv", "path,label\n" + rows))


# --------------------------------------------------------------------------- encodings and CSV faults
def test_latin1_manifest_names_the_file_line_and_fix(data):
    csv_path = write(data / "m.csv", "path,label\na.png,chat\nsub/b.png,caf\u00e9\n", encoding="latin-1")
    with pytest.raises(DatasetError, match="^" + re.escape(
            f"{csv_path}, line 3: not valid UTF-8 text (byte 0xe9 at column 14). The file was probably saved as "
            "Windows-1252 or Latin-1: re-save it as UTF-8 (a spreadsheet's 'CSV UTF-8'), or pass its encoding: "
            "encoding='cp1252' (command line: --csv-encoding cp1252) reads both.")):
        CSVManifest(csv_path)
    ds = CSVManifest(csv_path, encoding="latin-1")
    assert ds.classes == ["caf\u00e9", "chat"]
    assert CSVManifest(csv_path, encoding="cp1252").classes == ["caf\u00e9", "chat"]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig"])
def test_utf8_with_or_without_bom(data, encoding):
    ds = CSVManifest(write(data / "m.csv", "path,label\na.png,caf\u00e9\n", encoding=encoding))
    assert ds.classes == ["caf\u00e9"]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be"])
def test_utf16_is_recognised(data, encoding):
    text = "\ufeffpath,label\na.png,x\n" if encoding == "utf-16-be" else "path,label\na.png,x\n"
    csv_path = write(data / "m.csv", text, encoding=encoding)
    with pytest.raises(DatasetError, match=r"m.csv: the file is UTF-16 text .* pass encoding='utf-16'"):
        CSVManifest(csv_path)
    assert CSVManifest(csv_path, encoding="utf-16").classes == ["x"]


def test_a_wrong_explicit_encoding_and_an_unknown_one(data):
    csv_path = write(data / "m.csv", "path,label\na.png,caf\u00e9\n")
    with pytest.raises(DatasetError, match=r"line 2: not valid ascii text .*Pass the file's real encoding"):
        CSVManifest(csv_path, encoding="ascii")
    with pytest.raises(InvalidParameterError, match=r"The 'encoding' parameter of CSVManifest must be a text "
                                                    r"encoding Python knows.*Got 'utf-9' instead"):
        CSVManifest(csv_path, encoding="utf-9")


def test_a_binary_file_named_csv(data):
    csv_path = data / "m.csv"
    csv_path.write_bytes(b"PK\x03\x04\x14\x00\x06\x00" + bytes(range(256)))  # what an .xlsx starts with
    with pytest.raises(DatasetError, match=r"m.csv: not a text file .*Export it from the spreadsheet as 'CSV UTF-8'"):
        CSVManifest(csv_path)


def test_semicolon_separated_header_gets_the_hint(data):
    with pytest.raises(DatasetError, match=r"no column 'path'; the header has \['path;label'\]. The header looks "
                                           r"';'-separated: save the file comma-separated"):
        CSVManifest(write(data / "m.csv", "path;label\na.png;x\n"))


def test_a_broken_csv_line(data):
    with pytest.raises(DatasetError, match=r"m.csv, line 3: not a readable CSV line"):
        CSVManifest(write(data / "m.csv", 'path,label\na.png,x\n"sub/b.png,y\n'), label_column=None)


def test_every_empty_label_cell_is_named(data):
    csv_path = write(data / "m.csv", "path,label\na.png,x\nsub/b.png,\nc.png,  \nd.png\n")
    with pytest.raises(DatasetError, match="^" + re.escape(
            f"{csv_path}, lines 3, 4, 5: empty 'label' value for sub/b.png and others (a missing label). Every "
            "image needs a label")):
        CSVManifest(csv_path)
    with pytest.raises(DatasetError, match=r"lines 2, 3: empty 'path' value"):
        CSVManifest(write(data / "m.csv", "path,label\n,x\n  ,y\na.png,x\n"))


# --------------------------------------------------------------------------- missing labels in memory
IMAGES = np.zeros((4, 5, 6), dtype=np.uint8)


def _na_values():
    values = {"nan": [0.0, np.nan, 1.0, 0.0], "None": ["a", None, "b", "a"], "empty string": ["a", "b", "", "a"],
              "blank string": ["a", "b", "a", "  "], "numpy nan object": np.array([1, 2, np.nan, 1], dtype=object),
              "Decimal NaN": [Decimal(1), Decimal("NaN"), Decimal(2), Decimal(1)],
              "NaT": np.array(["2020-01-01", "NaT", "2020-01-02", "2020-01-01"], dtype="datetime64[D]")}
    positions = {"nan": [1], "None": [1], "empty string": [2], "blank string": [3], "numpy nan object": [2],
                 "Decimal NaN": [1], "NaT": [1]}
    return values, positions


@pytest.mark.parametrize("case", list(_na_values()[0]))
def test_missing_labels_are_an_error_naming_positions(case):
    values, positions = _na_values()
    shown = ", ".join(map(str, positions[case]))
    with pytest.raises(DatasetError, match=rf"^arrays: {len(positions[case])} missing labels \(None, NaN or empty\) "
                                           rf"at positions {shown}\. Every image needs a label"):
        ArrayDataset(IMAGES, values[case])


def test_pandas_missing_values():
    pd = pytest.importorskip("pandas")
    for labels, where in [(pd.Series(["a", pd.NA, "b", None], dtype="string"), "1, 3"),
                          (pd.Series([1, None, 2, 1], dtype="Int64"), "1"),
                          (pd.Series(["a", "b", np.nan, "a"], dtype="category"), "2"),
                          (pd.Series([pd.NaT, pd.Timestamp(0), pd.Timestamp(1), pd.Timestamp(0)]), "0")]:
        with pytest.raises(DatasetError, match=rf"missing labels \(None, NaN or empty\) at positions {where}\."):
            ArrayDataset(IMAGES, labels)
    assert ArrayDataset(IMAGES, pd.Series(["a", "b", "b", "a"])).classes == ["a", "b"]


def test_many_missing_labels_are_counted():
    with pytest.raises(DatasetError, match=r"20 missing labels .* at positions 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, "
                                           r"\.\.\. \(20 in all\)"):
        ArrayDataset(np.zeros((20, 3, 3), np.uint8), [None] * 20)


def test_labels_that_are_fine():
    assert ArrayDataset(IMAGES, ["nan", "b", "nan", "b"]).classes == ["b", "nan"]  # the string is a label
    assert ArrayDataset(IMAGES, [0.0, 1.0, 1.0, 0.0]).labels.tolist() == [0, 1, 1, 0]
    assert ArrayDataset(IMAGES, np.array([3, 1, 3, 1])).classes == ["1", "3"]


def test_mixed_text_and_numbers_are_refused_rather_than_compared_as_text():
    with pytest.raises(DatasetError, match=r"labels mix text and other types \(int, str\)"):
        ArrayDataset(IMAGES, [1, "1", 2, 2])


@pytest.mark.parametrize(("labels", "match"), [
    ([0.0, np.nan, 1.0, 0.0], r"1 missing labels \(None, NaN or empty\) at positions 1"),
    ([0, 1.5, 1, 0], r"must be integer indices into classes; got 1.5 at position 1"),
    (["a", "b", "a", "b"], r"must be integer indices into classes; got <U1 values such as 'a'"),
])
def test_labels_with_classes_must_be_integer_indices(labels, match):
    with pytest.raises(DatasetError, match=match):
        ArrayDataset(IMAGES, labels, classes=["x", "y"])
    with pytest.raises(DatasetError, match=match):
        ImageDataset(list(IMAGES), labels, ["x", "y"])
    assert ArrayDataset(IMAGES, [0.0, 1.0, 1.0, 0.0], classes=["x", "y"]).labels.tolist() == [0, 1, 1, 0]


def test_manifest_group_column_gives_aligned_groups_that_follow_subsets(tmp_path):
    for i in range(4):
        Image.fromarray(np.full((4, 4), i * 40, np.uint8)).save(tmp_path / f"{i}.png")
    (tmp_path / "m.csv").write_text("path,label,shot\n0.png,a,x\n1.png,b,y\n2.png,a,x\n3.png,b,z\n")
    ds = CSVManifest(tmp_path / "m.csv", group_column="shot")
    assert ds.groups.tolist() == ["x", "y", "x", "z"]
    assert ds.subset([3, 0]).groups.tolist() == ["z", "x"]
    assert CSVManifest(tmp_path / "m.csv").groups is None
    (tmp_path / "e.csv").write_text("path,label,shot\n0.png,a,x\n1.png,b, \n")
    with pytest.raises(DatasetError, match=r"e\.csv, line 3: empty 'shot' value \(a missing group\)"):
        CSVManifest(tmp_path / "e.csv", group_column="shot")
    with pytest.raises(DatasetError, match=r"no column 'session'; the header has \['path', 'label', 'shot'\]"):
        CSVManifest(tmp_path / "m.csv", group_column="session")


@pytest.mark.parametrize("groups, match", [
    (["a", None, "b", float("nan")], r"2 missing groups \(None, NaN or empty\) at positions 1, 3"),
    (["a", "", "b", "c"], r"1 missing groups .* at positions 1\. Every image needs a group \(an image alone"),
    (["a", "b"], r"got 4 images but groups of shape \(2,\); pass one group per image"),
])
def test_dataset_groups_missing_or_misaligned_are_errors(groups, match):
    images = np.zeros((4, 3, 3), np.uint8)
    with pytest.raises(DatasetError, match=match):
        ImageDataset(images, [0, 1, 0, 1], ["p", "q"], "four", groups=groups)
