"""Public paths: every public class and function reports the package face it is imported from.

As httpx does, each package's ``__init__.py`` ends with ``set_public_module(...)``, so
reprs, documentation and pickles (and the saved models built on them) name
``featclf.extract.HOG``, never ``featclf.extract.hog.HOG``: moving a private file then
breaks nothing downstream.
"""

from __future__ import annotations

import sys

#: Top-level packages whose frames are not the user's code, for :func:`user_stacklevel`.
INTERNAL_PACKAGES = frozenset({"featclf", "sklearn", "joblib", "threadpoolctl"})


def set_public_module(namespace: dict, names, module: str) -> None:
    """Rewrite ``__module__`` of the classes and functions ``names`` of ``namespace`` to ``module``.

    Only objects defined inside ``module``'s own package are rewritten (a name the face
    merely re-exports from elsewhere keeps the path of the face that owns it).
    """
    for name in names:
        obj = namespace[name]
        owner = getattr(obj, "__module__", None)
        if isinstance(obj, type) or callable(obj):
            if owner and (owner == module or owner.startswith(module + ".")):
                try:
                    obj.__module__ = module
                except (AttributeError, TypeError):  # builtins and some C types
                    pass


def user_stacklevel() -> int:
    """The ``stacklevel`` that makes a warning point at the user's line.

    Call it in the function that calls :func:`warnings.warn`; it walks the stack out of
    featclf, scikit-learn and joblib (a transformer is often called through a Pipeline or
    ``fit_transform``'s wrapper) to the first frame of other code, and returns its level
    (``1`` being the calling function). ``warnings.warn(..., skip_file_prefixes=...)`` does
    the same from Python 3.12 only.
    """
    frame = sys._getframe(1)
    level = 1
    while frame.f_back is not None:
        if frame.f_globals.get("__name__", "").partition(".")[0] not in INTERNAL_PACKAGES:
            break
        frame = frame.f_back
        level += 1
    return level
