"""Shared test configuration: GPU tests are skipped cleanly without CUDA; the `write` fixture (picture generators live in imagegen.py)."""

import pytest
from PIL import Image


def _cuda_available() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return torch.cuda.is_available()


def pytest_collection_modifyitems(config, items):
    if any("gpu" in item.keywords for item in items) and not _cuda_available():
        skip = pytest.mark.skip(reason="needs a CUDA GPU (none available here)")
        for item in items:
            if "gpu" in item.keywords:
                item.add_marker(skip)


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
