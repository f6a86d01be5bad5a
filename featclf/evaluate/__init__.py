"""Cross-validated comparison of extractors x classifiers.

The main entry point is :func:`featclf.evaluate` (this package's :func:`evaluate`).
This package is also callable itself, so ``featclf.evaluate(...)`` works whichever
way Python bound the name (the function, or this subpackage once one of its modules
has been imported).
"""

import sys as _sys
import types as _types

from ._evaluate import DEFAULT_CLASSIFIERS, DEFAULT_EXTRACTORS, FeatureSet, collect_versions, compute_features, evaluate
from ._result import METRICS, CombinationResult, EvaluationResult
from ._stats import corrected_resampled_ttest, mcnemar_exact

__all__ = [
    "DEFAULT_CLASSIFIERS",
    "DEFAULT_EXTRACTORS",
    "METRICS",
    "CombinationResult",
    "EvaluationResult",
    "FeatureSet",
    "collect_versions",
    "compute_features",
    "corrected_resampled_ttest",
    "evaluate",
    "mcnemar_exact",
]


class _CallableModule(_types.ModuleType):
    """Lets ``featclf.evaluate(...)`` call :func:`evaluate` even when the name is bound to this package.

    Importing a submodule (``featclf.evaluate._stats``) makes Python bind the
    subpackage as the attribute ``featclf.evaluate``; without this, the public
    function would then be shadowed by the module.
    """

    def __call__(self, *args, **kwargs):
        return evaluate(*args, **kwargs)


_sys.modules[__name__].__class__ = _CallableModule
__signature__ = __import__("inspect").signature(evaluate)  # inspect.signature(featclf.evaluate) either way
