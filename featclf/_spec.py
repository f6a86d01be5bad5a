"""Names with parameters: ``"hog"``, ``("hog", {"orientations": 12})`` or ``"hog:orientations=12"``.

The string form is shared by the Python API and the command line
(``--extractor hog:orientations=12,pixels_per_cell=4x4``). Grammar::

    spec   := NAME [":" params]
    params := key "=" value ("," key "=" value)*

Values are read as Python literals when they parse as one (``12``, ``0.5``,
``(4, 4)``, ``None``, ``True``, ``'rgb'``); ``4x4`` reads as the pair ``(4, 4)``;
``true``/``false``/``none`` in any case read as ``True``/``False``/``None``; ``inf``, ``-inf`` and ``nan`` as floats;
a number too large for a float (``1e400``) is refused rather than read as ``inf``;
anything else is kept as a string (``color=rgb``). Commas inside brackets or quotes do
not split parameters, so ``size=(32,32)`` and ``weights='a,b.pt'`` work.

:func:`format_spec` writes the inverse: pairs of ints as ``64x64``, other tuples and
lists without spaces (``(8,4,4)``), strings bare when they read back as themselves
(``rgb``, ``timm/convnext_tiny``) and quoted otherwise (``'12'``, ``'a,b'``), numbers,
booleans and ``None`` as Python writes them. It refuses a value that would not read
back as itself (an object, an array), naming the parameter, so every string it
returns rebuilds the same parameters: ``parse_spec(format_spec(name, params)) ==
(name, params)``.
"""

from __future__ import annotations

import ast
import math
import os
import re

from .exceptions import InvalidParameterError

__all__ = ["format_spec", "format_value", "parse_spec", "parse_value", "same_value"]

_PAIR = re.compile(r"^\s*(\d+)\s*[xX]\s*(\d+)\s*$")
_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_WORDS = {"true": True, "false": False, "none": None}


def parse_value(text: str):
    """Read one parameter value (see the module docstring for the rules).

    Raises
    ------
    InvalidParameterError
        A number literal beyond the float range (``1e400``, read by Python as ``inf``):
        ``inf`` is written ``inf``, so an overflow is never taken for it silently.
    """
    text = text.strip()
    pair = _PAIR.match(text)
    if pair:
        return (int(pair.group(1)), int(pair.group(2)))
    if text.lower() in _WORDS:
        return _WORDS[text.lower()]
    if text.lower().lstrip("+-") in ("inf", "infinity", "nan"):  # floats Python's literals lack
        return float(text)
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return text
    if not _all_finite(value):  # a number literal too large for a float (1e400) reads as inf
        raise InvalidParameterError(f"{text} is beyond the float range (about 1.8e308); write inf if you mean "
                                    "infinity, or a smaller number.")
    return value


def _all_finite(value) -> bool:
    """False when ``value`` (a literal: number, tuple, list, dict...) holds a non-finite float or complex part."""
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, complex):
        return math.isfinite(value.real) and math.isfinite(value.imag)
    if isinstance(value, (tuple, list, set, frozenset)):
        return all(_all_finite(v) for v in value)
    if isinstance(value, dict):
        return all(_all_finite(k) and _all_finite(v) for k, v in value.items())
    return True


def _split_top_level(text: str, spec: str) -> list[str]:
    """Split at commas outside brackets and quotes."""
    parts, depth, current, quote = [], 0, [], None
    for char in text:
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
            if depth < 0:
                break
        if char == "," and depth == 0 and not quote:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    if quote:
        raise InvalidParameterError(f"Unclosed quote {quote} in {spec!r}: close the quoted value.")
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
        An empty name, a parameter without ``=``, a bad or repeated key, a number beyond
        the float range (``C=1e400``: write ``inf`` for infinity).

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
        try:
            params[key] = parse_value(value)
        except InvalidParameterError as exc:
            raise InvalidParameterError(f"The parameter {key!r} in the {kind}spec {spec!r}: {exc}") from None
    return name, params


def spec_with_params(name, params: dict, *, kind: str) -> tuple[str, dict]:
    """The registry name and parameters of ``make_extractor(name, **params)`` / ``make_classifier``.

    ``name`` is a plain name or a spec (``'hog:size=64x64'``); its parameters and the keyword
    ``params`` are merged.

    Raises
    ------
    InvalidParameterError
        A malformed spec (:func:`parse_spec`), or a parameter given both in the spec and as a keyword.
    """
    spec = name
    name, given = parse_spec(name, kind=kind) if isinstance(name, str) else (name, {})
    twice = sorted(set(given) & set(params))
    if twice:
        raise InvalidParameterError(
            f"The parameter {twice[0]!r} is given both in the spec {spec!r} and as a keyword argument: give it once."
        )
    return name, {**given, **params}


def same_value(a, b) -> bool:
    """Whether two parameter values are the same, types included (``10 != 10.0``, ``(4, 4) != [4, 4]``, nan == nan)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same_value(a[k], b[k]) for k in a)
    if isinstance(a, float) and math.isnan(a) and math.isnan(b):
        return True
    try:
        return bool(a == b)
    except (TypeError, ValueError):  # arrays and other values without a plain ==
        return a is b


def _literal(value) -> str:
    if isinstance(value, (tuple, list)):
        inner = ",".join(_literal(v) for v in value)
        if isinstance(value, list):
            return f"[{inner}]"
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, dict):
        return "{" + ",".join(f"{_literal(k)}:{_literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)  # inf, -inf, nan: read back by parse_value, not inside brackets
    return repr(value)


def format_value(value, *, key: str = "value", spec: str = "") -> str:
    """One parameter value as :func:`parse_value` reads it back (see the module docstring).

    Raises
    ------
    InvalidParameterError
        ``value`` has no spec form that reads back as itself (an object, an array, a
        non-finite float inside a tuple); the message names ``key`` and ``spec``.
    """
    if hasattr(value, "__fspath__"):
        value = os.fspath(value)
    if hasattr(value, "item") and getattr(value, "shape", None) == ():  # numpy scalars
        value = value.item()
    if isinstance(value, tuple) and len(value) == 2 and all(
            isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in value):
        text = f"{value[0]}x{value[1]}"
    elif isinstance(value, str):
        text = value if same_value(parse_value(value), value) and not _needs_quotes(value) else repr(value)
    else:
        text = _literal(value)
    if not same_value(parse_value(text), value):
        where = f" in {spec!r}" if spec else ""
        raise InvalidParameterError(
            f"The parameter {key!r}{where} is {value!r}, which has no spec form (NAME:key=value): a spec holds "
            "numbers, strings, booleans, None and tuples or lists of them. Build this object in Python instead."
        )
    return text


def _needs_quotes(text: str) -> bool:
    return any(c in text for c in ",()[]{}'\"") or text != text.strip()


def format_spec(name: str, params: dict, *, strict: bool = True) -> str:
    """The inverse of :func:`parse_spec`: ``format_spec('hog', {'orientations': 12}) == 'hog:orientations=12'``.

    Parameters
    ----------
    name : str
    params : dict
    strict : bool, default=True
        ``False`` writes a value with no spec form as its ``repr`` instead of raising:
        for labels that are only read by people.

    Raises
    ------
    InvalidParameterError
        With ``strict=True``, a value with no spec form (see :func:`format_value`).

    Examples
    --------
    >>> format_spec("hog", {"size": (64, 64), "color": "grey", "block_norm": "L2-Hys"})
    'hog:size=64x64,color=grey,block_norm=L2-Hys'
    """
    if not params:
        return name
    return name + ":" + ",".join(f"{k}={_format_item(k, v, name, strict)}" for k, v in params.items())


def _format_item(key, value, name, strict):
    try:
        return format_value(value, key=key, spec=name)
    except InvalidParameterError:
        if strict:
            raise
        return repr(value)
