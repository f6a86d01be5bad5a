"""CSV header names are read stripped; a missing column names the fix in Python and on the command line."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

import featclf
from featclf.exceptions import DatasetError


@pytest.fixture()
def folder(tmp_path):
    for name in ("x.png", "y.png"):
        Image.fromarray(np.zeros((4, 4), np.uint8)).save(tmp_path / name)
    return tmp_path


@pytest.mark.parametrize("header", ["path, label", " path ,label ", "path,\tlabel"])
def test_spaces_around_header_names_are_ignored(folder, header):
    (folder / "m.csv").write_text(f"{header}\nx.png,a\ny.png,b\n")
    data = featclf.CSVManifest(folder / "m.csv")
    assert data.classes == ["a", "b"] and data.labels.tolist() == [0, 1]


def test_a_missing_column_names_the_parameter_and_the_command_line_fix(folder):
    (folder / "m.csv").write_text("file,label\nx.png,a\n")
    with pytest.raises(DatasetError, match=r"no column 'path'; the header has \['file', 'label'\]\. Set path_column= "
                                           r"to the column's name \(on the command line, name the column 'path'\)"):
        featclf.CSVManifest(folder / "m.csv")
