"""Turn what users pass for extractors and classifiers into named, unfitted estimators.

Accepted forms, for both extractors and classifiers:

* a registry name: ``"hog"``, ``"svm"``;
* a spec string with parameters: ``"hog:orientations=12"`` (see :mod:`featclf.models._spec`);
* a ``(name, params)`` pair: ``("hog", {"orientations": 12})``;
* an object: an extractor instance, or any scikit-learn classifier.

Each resolves to a :class:`Component` carrying a readable label for reports.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field

from ..exceptions import InvalidParameterError
from ._spec import format_spec, parse_spec

__all__ = ["Component", "check_classifier", "resolve_classifier", "resolve_extractor", "unique_labels"]

#: Parameters that change how work is run, not the features; left out of labels.
OPERATIONAL_PARAMS = frozenset({"n_jobs", "verbose", "batch_size", "on_error", "device"})


@dataclass
class Component:
    """A resolved extractor or classifier.

    Attributes
    ----------
    label : str
        Short readable name used in reports (``'hog'``, ``'hog:orientations=12'``,
        ``'StandardScaler+SVC:C=3'``).
    name : str
        Registry name, or the class name for objects.
    params : dict
        Parameters given by the user (spec forms), or the non-default parameters of an object.
    estimator : object
        The unfitted estimator; callers ``clone`` it before fitting.
    """

    label: str
    name: str
    params: dict = field(default_factory=dict)
    estimator: object = None


def _changed_params(estimator) -> dict:
    """Parameters of ``estimator`` that differ from its constructor's defaults (shallow)."""
    try:
        signature = inspect.signature(type(estimator).__init__)
        params = estimator.get_params(deep=False)
    except (TypeError, ValueError, AttributeError):
        return {}
    changed = {}
    for key, value in params.items():
        default = signature.parameters[key].default if key in signature.parameters else inspect.Parameter.empty
        try:
            same = bool(value is default or value == default)
        except (TypeError, ValueError):  # arrays and other values without a plain ==
            same = False
        if not same and key not in OPERATIONAL_PARAMS:
            changed[key] = value
    return changed


def _plain(value):
    """A JSON-friendly rendering of a parameter value."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return repr(value)


def _split(item, kind):
    if isinstance(item, str):
        return parse_spec(item, kind=kind)
    if isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str) and isinstance(item[1], dict):
        return item[0], dict(item[1])
    return None


def resolve_extractor(item) -> Component:
    """Resolve an extractor given as a name, spec, ``(name, params)`` pair or object."""
    from ..extract import BaseExtractor, get_extractor_class

    split = _split(item, "extractor")
    if split is not None:
        name, params = split
        cls = get_extractor_class(name)
        try:
            estimator = cls(**params)
        except TypeError:
            valid = [p for p in inspect.signature(cls).parameters if p not in ("self",)]
            bad = sorted(set(params) - set(valid))
            raise InvalidParameterError(
                f"Extractor {name!r} ({cls.__name__}) has no parameter {bad[0] if bad else '?'!r}. "
                f"Valid parameters: {', '.join(valid)}."
            ) from None
        shown = {k: v for k, v in params.items() if k not in OPERATIONAL_PARAMS}
        return Component(format_spec(name, shown), name, {k: _plain(v) for k, v in params.items()}, estimator)
    if isinstance(item, BaseExtractor) or (hasattr(item, "fit") and hasattr(item, "transform")):
        name = vars(type(item)).get("registry_name") or type(item).__name__  # subclasses: their own name
        changed = _changed_params(item)
        return Component(format_spec(name, changed), name, {k: _plain(v) for k, v in changed.items()}, item)
    raise InvalidParameterError(
        f"Cannot use {item!r} as an extractor: pass a name ('hog'), a spec ('hog:orientations=12'), "
        "a (name, params) pair, or an extractor object such as featclf.HOG()."
    )


def _estimator_label(estimator) -> tuple[str, dict]:
    steps = getattr(estimator, "steps", None)
    if steps:
        names = "+".join(type(step).__name__ for _, step in steps if step not in (None, "passthrough"))
        final = steps[-1][1]
        changed = _changed_params(final) if final not in (None, "passthrough") else {}
        return names, changed
    return type(estimator).__name__, _changed_params(estimator)


def _nested_estimators(estimator):
    """``estimator`` and every estimator among its deep parameters (Pipeline steps, meta-estimators' parts)."""
    yield estimator
    try:
        params = estimator.get_params(deep=True)
    except Exception:  # noqa: BLE001 - not a scikit-learn estimator: nothing nested to check
        return
    for value in params.values():
        if hasattr(value, "get_params") and not isinstance(value, type):
            yield value


def check_classifier(estimator, label=None):
    """Check the parameters of a classifier, and of every estimator inside it, before any fit.

    Uses scikit-learn's own validation: each estimator that declares
    ``_parameter_constraints`` (every scikit-learn estimator since 1.2) is checked
    with its ``_validate_params()``, which is what its ``fit`` runs first, so the
    message is scikit-learn's ("The 'C' parameter of SVC must be a float in the range
    (0.0, inf]. Got -1 instead."). That method is private: where an estimator lacks
    it, nothing is checked here and ``fit`` checks as usual. Constraints between
    parameters that scikit-learn checks only inside ``fit`` (a solver that does not
    support a penalty) are not covered.

    Parameters
    ----------
    estimator : scikit-learn estimator
    label : str, optional
        How the classifier is named in the message (e.g. ``'svm:C=-1'``).

    Raises
    ------
    InvalidParameterError
        A parameter outside its declared constraints; the message names the classifier.
    """
    label = label or type(estimator).__name__
    for part in _nested_estimators(estimator):
        validate = getattr(part, "_validate_params", None)
        if validate is None or not hasattr(type(part), "_parameter_constraints"):
            continue
        try:
            validate()
        except (ValueError, TypeError) as exc:  # sklearn's InvalidParameterError is both
            raise InvalidParameterError(f"Classifier {label!r}: {' '.join(str(exc).split())}") from None


def resolve_classifier(item) -> Component:
    """Resolve a classifier given as a preset name, spec, ``(name, params)`` pair or scikit-learn estimator.

    Its parameters are checked at once with :func:`check_classifier`.

    Raises
    ------
    UnknownNameError
        An unknown preset (suggests the nearest).
    InvalidParameterError
        A parameter the estimator does not take, or a value outside scikit-learn's constraints.
    """
    from ._presets import make_classifier

    split = _split(item, "classifier")
    if split is not None:
        name, params = split
        estimator = make_classifier(name, **params)
        label = format_spec(name, params)
        check_classifier(estimator, label)
        return Component(label, name, {k: _plain(v) for k, v in params.items()}, estimator)
    if hasattr(item, "fit") and hasattr(item, "predict") and hasattr(item, "get_params"):
        name, changed = _estimator_label(item)
        label = format_spec(name, changed)
        check_classifier(item, label)
        return Component(label, name, {k: _plain(v) for k, v in changed.items()}, item)
    raise InvalidParameterError(
        f"Cannot use {item!r} as a classifier: pass a preset name ('svm'), a spec ('svm:C=1'), a (name, params) "
        "pair, or a scikit-learn estimator with fit and predict."
    )


def unique_labels(components: list[Component]) -> list[Component]:
    """Make labels unique by numbering repeats (``'svm'``, ``'svm #2'``)."""
    seen: dict[str, int] = {}
    for component in components:
        count = seen.get(component.label, 0) + 1
        seen[component.label] = count
        if count > 1:
            component.label = f"{component.label} #{count}"
    return components
