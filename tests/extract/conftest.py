"""Fixtures shared by the extractor tests."""

import pytest


@pytest.fixture(scope="module")
def torch_two_threads():
    """Run a module's torch work on at most 2 threads (this machine's cores), then restore."""
    torch = pytest.importorskip("torch")
    old = torch.get_num_threads()
    torch.set_num_threads(min(old, 2))
    yield
    torch.set_num_threads(old)
