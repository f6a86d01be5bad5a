"""Cross-validated comparison of extractors x classifiers.

The main entry point is :func:`featclf.evaluate`. The package is named ``evaluation``
so that the function and the package never share a name.
"""

from ._evaluate import DEFAULT_CLASSIFIERS, DEFAULT_EXTRACTORS, evaluate
from ._result import METRICS, CombinationResult, EvaluationResult
from ._stats import corrected_resampled_ttest, mcnemar_exact

__all__ = [
    "DEFAULT_CLASSIFIERS",
    "DEFAULT_EXTRACTORS",
    "METRICS",
    "CombinationResult",
    "EvaluationResult",
    "corrected_resampled_ttest",
    "evaluate",
    "mcnemar_exact",
]

from .._public import set_public_module  # noqa: E402

set_public_module(globals(), __all__, "featclf.evaluation")
