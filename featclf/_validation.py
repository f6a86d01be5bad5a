"""Parameter checks shared across featclf, with scikit-learn-shaped messages."""

from __future__ import annotations

import difflib
import inspect
import numbers
import os
from collections.abc import Iterable

from .exceptions import InvalidParameterError, UnknownNameError

ON_ERROR_OPTIONS = ("raise", "skip")
#: An extractor's ``on_error`` also takes ``'nan'``: keep one row per input, NaN where unusable.
EXTRACTOR_ON_ERROR_OPTIONS = ("raise", "skip", "nan")


def _owner(owner) -> str:
    if owner is None:
        return ""
    return f" of {owner if isinstance(owner, str) else type(owner).__name__}"


def check_option(name: str, value, options: Iterable, owner=None):
    """Return ``value`` if it is one of ``options``; raise InvalidParameterError otherwise."""
    options = tuple(options)
    if value not in options:
        shown = ", ".join(repr(o) for o in options)
        raise InvalidParameterError(
            f"The {name!r} parameter{_owner(owner)} must be one of {{{shown}}}. Got {value!r} instead."
        )
    return value


def check_int(name: str, value, *, minimum: int = 1, owner=None, allow_none: bool = False):
    """Return ``value`` as int if it is an integer >= ``minimum``."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        extra = " or None" if allow_none else ""
        raise InvalidParameterError(
            f"The {name!r} parameter{_owner(owner)} must be an int >= {minimum}{extra}. Got {value!r} instead."
        )
    return int(value)


def check_n_jobs(value, owner=None):
    """``None`` or a non-zero int, as joblib takes it (``-1``: all cores, ``-2``: all but one, ...)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value == 0:
        raise InvalidParameterError(
            f"The 'n_jobs' parameter{_owner(owner)} must be a non-zero int (-1 for all cores) or None. "
            f"Got {value!r} instead."
        )
    return int(value)


def check_pair(name: str, value, *, minimum: int = 1, owner=None, allow_none: bool = False, example=None):
    """Return ``value`` as a (int, int) tuple, e.g. ``size=(height, width)`` or ``pixels_per_cell``.

    ``example``: the valid pair the error message suggests (e.g. the extractor's default
    size), so that the suggestion works; default ``(max(minimum, 8),) * 2``.
    """
    if value is None and allow_none:
        return None
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        value = (value, value)
    ok = (
        isinstance(value, (tuple, list))
        and len(value) == 2
        and all(isinstance(v, numbers.Integral) and not isinstance(v, bool) and v >= minimum for v in value)
    )
    if not ok:
        extra = " or None" if allow_none else ""
        ex = tuple(example) if example is not None else (max(minimum, 8),) * 2
        raise InvalidParameterError(
            f"The {name!r} parameter{_owner(owner)} must be a pair of ints >= {minimum} "
            f"(e.g. ({ex[0]}, {ex[1]})){extra}. Got {value!r} instead."
        )
    return (int(value[0]), int(value[1]))


def unknown_name(kind: str, name, options: Iterable[str]) -> UnknownNameError:
    """Build the error for an unknown registry name, listing the options and the nearest one."""
    options = sorted(options)
    message = f"Unknown {kind} {name!r}. Available: {', '.join(options)}."
    close = difflib.get_close_matches(str(name).lower(), [o.lower() for o in options], n=1, cutoff=0.5)
    if close:
        nearest = next(o for o in options if o.lower() == close[0])
        message += f" Did you mean {nearest!r}?"
    return UnknownNameError(message)


def parameter_names(cls) -> list[str]:
    """The keyword parameters of ``cls``'s constructor, in signature order."""
    return [p.name for p in inspect.signature(cls).parameters.values()
            if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD) and p.name != "self"]


def check_parameter_names(what: str, params, valid) -> None:
    """Raise InvalidParameterError for the first of ``params`` not in ``valid``: lists them, suggests the nearest."""
    unknown = [key for key in params if key not in valid]
    if not unknown:
        return
    message = f"{what} has no parameter {unknown[0]!r}. Valid parameters: {', '.join(valid)}."
    close = difflib.get_close_matches(unknown[0].lower(), [v.lower() for v in valid], n=1, cutoff=0.6)
    if close:
        message += f" Did you mean {next(v for v in valid if v.lower() == close[0])!r}?"
    raise InvalidParameterError(message)


def available_memory() -> int | None:
    """Bytes of memory available to allocate now, or None when unknown.

    psutil's ``virtual_memory().available`` when psutil is installed; else Linux
    ``MemAvailable`` (``/proc/meminfo``); else the free physical pages (``os.sysconf``).
    """
    try:
        import psutil
    except ImportError:
        pass
    else:
        try:
            return int(psutil.virtual_memory().available)
        except Exception:  # noqa: BLE001 - an unsupported platform: fall back below
            pass
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def effective_workers(n_jobs, n_tasks: int) -> int:
    """Workers featclf runs for ``n_tasks`` tasks: ``min(n_jobs, cores, n_tasks)``, at least 1.

    ``n_jobs`` as joblib reads it (None: the active ``joblib.parallel_config``, else 1;
    -1: every core). The cores are ``joblib.cpu_count()`` (which honours cgroup and
    affinity limits), for joblib's local backends (processes, threads) only: a backend
    chosen with ``parallel_config`` (e.g. Dask) runs elsewhere. More workers than cores
    or than tasks only cost memory and start-up time (``n_jobs=1000`` on 2 cores: 2).
    """
    import joblib

    n = joblib.effective_n_jobs(n_jobs)
    backend, _ = joblib.parallel.get_active_backend()
    if type(backend).__name__ in ("LokyBackend", "ThreadingBackend", "MultiprocessingBackend", "SequentialBackend"):
        n = min(n, joblib.cpu_count())
    return max(1, min(n, int(n_tasks)))


def format_bytes(n: float) -> str:
    """``1.5 GB`` style (decimal units)."""
    for unit in ("bytes", "kB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} TB"  # pragma: no cover
