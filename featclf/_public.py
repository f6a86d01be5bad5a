"""Public paths: every public class and function reports the package face it is imported from.

As httpx does, each package's ``__init__.py`` ends with ``set_public_module(...)``, so
reprs, documentation and pickles (and the saved models built on them) name
``featclf.extract.HOG``, never ``featclf.extract.hog.HOG``: moving a private file then
breaks nothing downstream.
"""

from __future__ import annotations


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
