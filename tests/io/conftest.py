"""Fixtures for the image input layer tests (picture generators live in imagegen.py)."""

from __future__ import annotations

import pytest
from PIL import Image


@pytest.fixture
def write(tmp_path):
    """``write(name, data)``: write bytes (or save a PIL image by extension) in tmp_path; returns the Path."""

    def _write(name: str, data, **params):
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, Image.Image):
            data.save(path, **params)
        else:
            path.write_bytes(data)
        return path

    return _write
