"""Names with parameters: ``"hog"``, ``("hog", {"orientations": 12})`` or ``"hog:orientations=12"``.

The string form is shared by the Python API and the command line
(``--extractor hog:orientations=12,pixels_per_cell=4x4``). Grammar::

    spec   := NAME [":" params]
    params := key "=" value ("," key "=" value)*

Values are read as Python literals when they parse as one (``12``, ``0.5``,
``(4, 4)``, ``None``, ``True``, ``'rgb'``); ``4x4`` reads as the pair ``(4, 4)``;
``true``/``false``/``none`` in any case read as ``True``/``False``/``None``; ``inf``, ``-inf`` and ``nan`` as floats;
anything else is kept as a string (``color=rgb``). Commas inside brackets do not
split parameters, so ``size=(32,32)`` works.
"""

from __future__ import annotations

import ast
import re

from ..exceptions import InvalidParameterError

__all__ = ["format_spec", "parse_spec", "parse_value"]

_PAIR = re.compile(r"^\s*(\d+)\s*[xX]\s*(\d+)\s*$")
_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_WORDS = {"true": True, "false": False, "none": None}


def parse_value(text: str):
    """Read one parameter value (see the module docstring for the rules)."""
    text = text.strip()
    pair = _PAIR.match(text)
    if pair:
        return (int(pair.group(1)), int(pair.group(2)))
    if text.lower() in _WORDS:
        return _WORDS[text.lower()]
    if text.lower().lstrip("+-") in ("inf", "infinity", "nan"):  # floats Python's literals lack
        return float(text)
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return text


def _split_top_level(text: str, spec: str) -> list[str]:
    parts, depth, current = [], 0, []
    for char in text:
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
            if depth < 0:
                break
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    if depth != 0:
        raise InvalidParameterError(f"Unbalanced brackets in {spec!r}: check the parentheses of its values.")
    parts.append("".join(current))
    return parts


def parse_spec(spec: str, *, kind: str = "") -> tuple[str, dict]:
    """Split ``"name:key=value,..."`` into ``(name, params)``.

    Parameters
    ----------
    spec : str
        E.g. ``"hog"``, ``"hog:orientations=12,pixels_per_cell=4x4"``, ``"svm:C=10"``.
    kind : str, default=''
        What the spec names (``'extractor'``, ``'classifier'``), for error messages.

    Returns
    -------
    name : str
    params : dict

    Raises
    ------
    InvalidParameterError
        An empty name, a parameter without ``=``, a bad or repeated key.

    Examples
    --------
    >>> parse_spec("hog:orientations=12,pixels_per_cell=4x4")
    ('hog', {'orientations': 12, 'pixels_per_cell': (4, 4)})
    >>> parse_spec("pixels:size=(16,16),color=rgb")
    ('pixels', {'size': (16, 16), 'color': 'rgb'})
    """
    kind = f"{kind} " if kind else ""
    if not isinstance(spec, str):
        raise InvalidParameterError(f"A {kind}spec must be a string like 'hog:orientations=12'. Got {spec!r} instead.")
    name, sep, rest = spec.partition(":")
    name = name.strip()
    if not name:
        raise InvalidParameterError(f"Empty {kind}name in {spec!r}: expected NAME or NAME:key=value,...")
    params: dict = {}
    if not sep or not rest.strip():
        return name, params
    for item in _split_top_level(rest, spec):
        key, eq, value = item.partition("=")
        key = key.strip()
        if not eq or not _KEY.match(key):
            raise InvalidParameterError(
                f"Cannot read {item.strip()!r} in the {kind}spec {spec!r}: expected key=value pairs separated "
                f"by commas, e.g. '{name}:key=value,other=2'."
            )
        if key in params:
            raise InvalidParameterError(f"The parameter {key!r} is given twice in the {kind}spec {spec!r}.")
        params[key] = parse_value(value)
    return name, params


def _format_value(value) -> str:
    if isinstance(value, tuple) and len(value) == 2 and all(isinstance(v, int) and not isinstance(v, bool)
                                                            for v in value):
        return f"{value[0]}x{value[1]}"
    if isinstance(value, str):
        return value if parse_value(value) == value and "," not in value else repr(value)
    return repr(value)


def format_spec(name: str, params: dict) -> str:
    """The inverse of :func:`parse_spec`: ``format_spec('hog', {'orientations': 12}) == 'hog:orientations=12'``."""
    if not params:
        return name
    return name + ":" + ",".join(f"{k}={_format_value(v)}" for k, v in params.items())
