"""Process-wide settings: :func:`featclf.set_config`, :func:`featclf.get_config`, :func:`featclf.config_context`.

One setting so far, ``cache_dir``: where the feature cache lives
(:mod:`featclf.engine`'s cache). It is resolved, most specific first, from

1. the ``cache_dir`` given to an extractor or entry point (``False`` there: no cache);
2. ``featclf.set_config(cache_dir=...)`` or a ``featclf.config_context(cache_dir=...)`` block;
3. the environment variable ``FEATCLF_CACHE_DIR`` (an empty value: unset).

With none of them, nothing is cached and nothing is written anywhere.
"""

from __future__ import annotations

import contextlib
import os

from .exceptions import InvalidParameterError

#: The environment variable read when no cache directory is given or set.
CACHE_DIR_ENV = "FEATCLF_CACHE_DIR"

_SETTINGS: dict = {"cache_dir": None}


def _check_cache_dir(value, owner="set_config"):
    if value is None or value is False:
        return value
    if isinstance(value, (str, os.PathLike)) and os.fspath(value):
        return os.fspath(value)
    raise InvalidParameterError(
        f"The 'cache_dir' parameter of {owner} must be a folder path, None (the global setting or "
        f"${CACHE_DIR_ENV}) or False (no cache). Got {value!r} instead."
    )


def set_config(*, cache_dir=None) -> None:
    """Set featclf's process-wide settings.

    Parameters
    ----------
    cache_dir : str or path-like, False or None, default=None
        The folder of the feature cache for every extractor and entry point that is not
        given its own ``cache_dir``; ``None`` unsets it (``$FEATCLF_CACHE_DIR`` applies,
        if set); ``False``: no cache, whatever the environment.

    Raises
    ------
    InvalidParameterError
        ``cache_dir`` is not a path, ``None`` or ``False``.

    Examples
    --------
    >>> import featclf
    >>> featclf.set_config(cache_dir="/tmp/featclf-cache")
    >>> featclf.get_config()["cache_dir"]
    '/tmp/featclf-cache'
    >>> featclf.set_config(cache_dir=None)
    """
    _SETTINGS["cache_dir"] = _check_cache_dir(cache_dir)


def get_config() -> dict:
    """featclf's settings as they apply now: ``{"cache_dir": path or None}``.

    ``cache_dir`` is the one set with :func:`set_config` (or :func:`config_context`),
    else ``$FEATCLF_CACHE_DIR``, else ``None`` (no cache).
    """
    return {"cache_dir": resolve_cache_dir(None)}


@contextlib.contextmanager
def config_context(*, cache_dir=None):
    """Settings for the ``with`` block only, as :func:`set_config`; the previous ones are restored after it.

    Examples
    --------
    >>> import featclf
    >>> with featclf.config_context(cache_dir="/tmp/featclf-cache"):
    ...     featclf.get_config()["cache_dir"]
    '/tmp/featclf-cache'
    """
    previous = dict(_SETTINGS)
    set_config(cache_dir=cache_dir)
    try:
        yield
    finally:
        _SETTINGS.update(previous)


def resolve_cache_dir(given, owner=None):
    """The cache folder that applies: ``given`` (``False``: none), else the setting, else the environment.

    Returns
    -------
    str or None
        ``None``: no cache.
    """
    given = _check_cache_dir(given, owner or "set_config")
    if given is False:
        return None
    if given is not None:
        return given
    setting = _SETTINGS["cache_dir"]
    if setting is False:
        return None
    if setting is not None:
        return setting
    return os.environ.get(CACHE_DIR_ENV) or None


__all__ = ["CACHE_DIR_ENV", "config_context", "get_config", "resolve_cache_dir", "set_config"]
