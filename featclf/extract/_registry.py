"""Registry of extractors: ``make_extractor(name, **params)`` and ``list_extractors()``."""

from __future__ import annotations

import fnmatch

from .._validation import unknown_name

_EXTRACTORS: dict[str, type] = {}


def register_extractor(name: str):
    """Class decorator registering an extractor under ``name``."""

    def decorator(cls):
        if name in _EXTRACTORS and _EXTRACTORS[name] is not cls:
            raise ValueError(f"An extractor named {name!r} is already registered ({_EXTRACTORS[name].__name__}).")
        _EXTRACTORS[name] = cls
        cls.registry_name = name
        return cls

    return decorator


def list_extractors(pattern: str = "*") -> list[str]:
    """Sorted names of the registered extractors, optionally filtered by a glob ``pattern``.

    Examples
    --------
    >>> import featclf
    >>> featclf.list_extractors()
    ['cnn', 'colorhist', 'hog', 'pixels']
    """
    return sorted(n for n in _EXTRACTORS if fnmatch.fnmatch(n, pattern))


def get_extractor_class(name: str) -> type:
    """The class registered under ``name``; unknown names list the options and suggest the nearest."""
    try:
        return _EXTRACTORS[name]
    except (KeyError, TypeError):
        raise unknown_name("extractor", name, _EXTRACTORS) from None


def make_extractor(name: str, **params):
    """Create the extractor registered under ``name`` with ``params``.

    Examples
    --------
    >>> import featclf
    >>> featclf.make_extractor("hog", orientations=12)
    HOG(orientations=12)
    """
    return get_extractor_class(name)(**params)
