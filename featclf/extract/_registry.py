"""Registry of extractors: ``make_extractor(name, **params)`` and ``list_extractors()``."""

from __future__ import annotations

import fnmatch

from .._spec import spec_with_params
from .._validation import check_parameter_names, parameter_names, unknown_name

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

    Parameters
    ----------
    name : str
        A registry name (:func:`list_extractors`) or a spec string
        ``"NAME:key=value,..."`` (the grammar of :func:`featclf.models.parse_spec`), e.g.
        ``"hog:size=64x64,pixels_per_cell=4x4"``: the form reports and the command line print.
    **params
        Parameters of the extractor's class (added to those of the spec; a parameter
        given in both is an error).

    Returns
    -------
    extractor : BaseExtractor
        Unfitted.

    Raises
    ------
    UnknownNameError
        ``name`` is not registered (the message lists the names and suggests the nearest).
    InvalidParameterError
        A malformed spec, a parameter given twice, or a parameter the class does not take
        (the message lists those it takes and suggests the nearest).

    Examples
    --------
    >>> import featclf
    >>> featclf.make_extractor("hog", orientations=12)
    HOG(orientations=12)
    >>> featclf.make_extractor("hog:size=64x64,pixels_per_cell=4x4")
    HOG(pixels_per_cell=(4, 4), size=(64, 64))
    """
    name, params = spec_with_params(name, params, kind="extractor")
    cls = get_extractor_class(name)
    check_parameter_names(f"Extractor {name!r} ({cls.__name__})", params, parameter_names(cls))
    return cls(**params)
