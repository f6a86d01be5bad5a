"""Models: classifier presets and the name/spec resolution shared by the API and the CLI.

``to_spec(obj)`` writes the spec string of an extractor or classifier and ``from_spec(spec)``
rebuilds it: the strings reports, saved models and the command line print.
"""

from ._presets import ClassifierPreset, get_classifier_preset, list_classifiers, make_classifier
from ._resolve import (
    Component,
    check_classifier,
    check_classifier_fits,
    describe_estimator,
    describe_extractor,
    from_spec,
    resolve_classifier,
    resolve_extractor,
    to_spec,
    unique_labels,
)
from ._spec import format_spec, parse_spec

__all__ = [
    "ClassifierPreset",
    "Component",
    "check_classifier",
    "check_classifier_fits",
    "describe_estimator",
    "describe_extractor",
    "format_spec",
    "from_spec",
    "get_classifier_preset",
    "list_classifiers",
    "make_classifier",
    "parse_spec",
    "resolve_classifier",
    "resolve_extractor",
    "to_spec",
    "unique_labels",
]

from .._public import set_public_module  # noqa: E402

set_public_module(globals(), __all__, "featclf.models")
