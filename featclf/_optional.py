"""Import optional dependencies (extras) with a message that says what to install."""

from __future__ import annotations

import importlib

from .exceptions import MissingDependencyError

_EXTRAS = {"torch": "cnn", "dask": "dask", "distributed": "dask", "matplotlib": "report", "umap": "cluster"}


def import_optional(module: str, *, purpose: str):
    """Import ``module`` or raise MissingDependencyError naming the extra to install."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        top = module.split(".")[0]
        extra = _EXTRAS.get(top)
        how = f'pip install "featclf[{extra}]"' if extra else f"pip install {top}"
        raise MissingDependencyError(
            f"{purpose} needs the optional dependency {top!r}, which is not installed. Install it with: {how}"
        ) from exc
