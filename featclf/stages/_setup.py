"""Setting up an extractor for an entry point, and its progress lines: shared by evaluate and cluster.

An entry point (:func:`featclf.evaluate`, :func:`featclf.cluster`) takes run settings
(``on_error``, ``n_jobs``, ``verbose``, ``max_pixels``) once and hands them to every
extractor it runs; every parameter and optional dependency of the extractor is checked
here, before any image is decoded.
"""

from __future__ import annotations

import sys

from .._config import resolve_cache_dir
from ..engine import check_cache_dir
from ..extract import BaseExtractor
from ..io import DEFAULT_MAX_PIXELS
from ..models import describe_extractor

__all__ = ["check_cache_setting", "check_extractor_ready", "configure_extractor", "log_step", "run_cache_dir"]


def check_cache_setting(cache_dir, owner: str):
    """Validate an entry point's ``cache_dir`` and the cache folder that applies (created if missing), before any work.

    Returns ``cache_dir`` as given (``None``: the global setting applies, in the engine).

    Raises
    ------
    InvalidParameterError
        Not a path, ``None`` or ``False``.
    CacheError
        The folder that applies is a file, cannot be written, or holds a damaged cache.
    """
    folder = resolve_cache_dir(cache_dir, owner)
    if folder is not None:
        check_cache_dir(folder)
    return cache_dir


def configure_extractor(component, on_error, n_jobs, verbose, max_pixels=DEFAULT_MAX_PIXELS):
    """A fresh clone of ``component.estimator`` carrying the entry point's run settings.

    ``on_error`` and ``verbose`` are always set (where the extractor has them); ``n_jobs``
    only where the extractor's own is None, and ``max_pixels`` only where the extractor's
    own is the default (an extractor's explicit setting wins). ``cache_dir`` is set to
    None: a cache folder is a setting of the run (:func:`run_cache_dir` gives it to
    :func:`compute_features`), so that no saved model, clustering or report carries a
    cache folder of this machine.

    Parameters
    ----------
    component : featclf.models.Component
        A resolved extractor (:func:`featclf.models.resolve_extractor`).
    on_error : {'raise', 'skip'}
    n_jobs : int or None
    verbose : int
    max_pixels : int or None

    Returns
    -------
    transformer
        Unfitted.

    Notes
    -----
    ``component.config`` becomes the configuration of the returned extractor, so that
    reports record what ran (e.g. ``on_error='skip'`` when the entry point skipped), not
    what the spec alone builds.
    """
    from sklearn.base import clone

    extractor = clone(component.estimator)
    params = extractor.get_params(deep=False)
    updates = {}
    if "on_error" in params:
        updates["on_error"] = on_error
    if "n_jobs" in params and n_jobs is not None and params["n_jobs"] is None:
        updates["n_jobs"] = n_jobs
    if "verbose" in params:
        updates["verbose"] = verbose
    if "max_pixels" in params and params["max_pixels"] == DEFAULT_MAX_PIXELS:  # an extractor's own setting wins
        updates["max_pixels"] = max_pixels
    if params.get("cache_dir") is not None:
        updates["cache_dir"] = None
    if updates:
        extractor.set_params(**updates)
    component.config = describe_extractor(extractor)  # what runs, run settings included
    return extractor


def run_cache_dir(cache_dir, components):
    """The cache folder of an entry point's run: its own ``cache_dir``, else the first extractor's given one.

    :func:`configure_extractor` takes the folder off the extractors it configures; an
    extractor made with ``cache_dir=`` still has its features cached, through the run.
    ``None``: the global setting applies (in the engine).
    """
    if cache_dir is not None:
        return cache_dir
    own = (c.estimator.get_params(deep=False).get("cache_dir") for c in components
           if hasattr(c.estimator, "get_params"))
    return next((folder for folder in own if folder is not None), None)


def check_extractor_ready(extractor) -> None:
    """Validate a featclf extractor's parameters and optional dependencies now, before any extraction.

    Raises
    ------
    InvalidParameterError
        A bad parameter.
    MissingDependencyError
        An optional dependency this configuration needs (e.g. torch for ``'cnn'``).
    """
    if isinstance(extractor, BaseExtractor):
        extractor._check_common_params()
        extractor._check_params()
        extractor._check_dependencies()


def log_step(verbose, message: str) -> None:
    """One ``[featclf] message`` line on stderr when ``verbose`` (above a progress bar, if one is drawn)."""
    if verbose:
        from tqdm.auto import tqdm

        tqdm.write(f"[featclf] {message}", file=sys.stderr)
        sys.stderr.flush()
