"""Shared test configuration: GPU tests are skipped cleanly without CUDA."""

import pytest


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

