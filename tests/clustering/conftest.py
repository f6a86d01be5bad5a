"""Fixtures for the clustering tests (generators in clustergen.py)."""

from __future__ import annotations

import pytest


@pytest.fixture
def no_cluster_extraction(monkeypatch):
    """Fail the test if cluster computes any feature (for errors that must come before extraction)."""
    from featclf.clustering import _cluster

    def refuse(*args, **kwargs):
        raise AssertionError("features were computed before the error")

    monkeypatch.setattr(_cluster, "compute_features", refuse)
