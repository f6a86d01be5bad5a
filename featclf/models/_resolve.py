"""Turn what users pass for extractors and classifiers into named, unfitted estimators.

Accepted forms, for both extractors and classifiers:

* a registry name: ``"hog"``, ``"svm"``;
* a spec string with parameters: ``"hog:orientations=12"`` (see :mod:`featclf.models._spec`);
* a ``(name, params)`` pair: ``("hog", {"orientations": 12})``;
* an object: an extractor instance, or any scikit-learn classifier.

Each resolves to a :class:`Component` carrying a readable label for reports, the full
spec string that rebuilds it (:func:`to_spec`; :func:`from_spec` reads it back) and,
for extractors, the full configuration with defaults resolved (:func:`describe_extractor`).
"""

from __future__ import annotations

import inspect
import numbers
import os
import warnings
from dataclasses import dataclass, field

import numpy as np

from .._spec import format_spec, parse_spec, same_value
from .._validation import unknown_name
from ..exceptions import InvalidParameterError, UnknownNameError

__all__ = ["Component", "check_classifier", "check_classifier_fits", "describe_estimator", "describe_extractor",
           "from_spec", "resolve_classifier", "resolve_extractor", "to_spec", "unique_labels"]

#: Parameters that change how work is run, not the features; left out of labels.
OPERATIONAL_PARAMS = frozenset({"n_jobs", "verbose", "batch_size", "on_error", "device", "cache_dir"})


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
    spec : str or None
        The full spec string (:func:`to_spec`): ``from_spec(spec)`` rebuilds an estimator
        with the same parameters. ``None`` for an object no spec can name (a classifier
        that is not a featclf preset, an extractor outside the registry).
    config : dict
        For extractors, the full configuration with defaults resolved, as plain data
        (:func:`describe_extractor`; once configured for a run, with its run settings); for
        classifiers, ``{"spec": full spec with defaults or None, "class": ..., "params": {...}}``
        (:func:`describe_estimator`: every parameter of the estimator and of each pipeline step).
    """

    label: str
    name: str
    params: dict = field(default_factory=dict)
    estimator: object = None
    spec: str | None = None
    config: dict = field(default_factory=dict)


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
    """A parameter value as plain JSON data (numbers, strings, lists, dicts; other objects as their repr)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    return " ".join(repr(value).split())


def describe_estimator(estimator) -> dict:
    """An estimator's full configuration as plain data: its class and every parameter (``get_params(deep=False)``).

    Nested estimators (a Pipeline's steps) are described the same way, recursively.
    """
    cls = type(estimator)
    entry = {"class": f"{cls.__module__}.{cls.__qualname__}"}
    try:
        params = estimator.get_params(deep=False)
    except (AttributeError, TypeError):
        return entry
    out = {}
    for key, value in params.items():
        if key == "steps" and isinstance(value, list):
            out[key] = [[name, describe_estimator(step) if hasattr(step, "get_params") else _plain(step)]
                        for name, step in value]
        elif hasattr(value, "get_params") and not isinstance(value, type):
            out[key] = describe_estimator(value)
        else:
            out[key] = _plain(value)
    entry["params"] = out
    return entry


def _split(item, kind):
    if isinstance(item, str):
        return parse_spec(item, kind=kind)
    if isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str) and isinstance(item[1], dict):
        return item[0], dict(item[1])
    return None


def resolve_extractor(item) -> Component:
    """Resolve an extractor given as a name, spec, ``(name, params)`` pair or object."""
    from ..extract import BaseExtractor, make_extractor

    split = _split(item, "extractor")
    if split is not None:
        name, params = split
        estimator = make_extractor(name, **params)
        shown = {k: v for k, v in params.items() if k not in OPERATIONAL_PARAMS}
        component = Component(format_spec(name, shown, strict=False), name, {k: _plain(v) for k, v in params.items()},
                              estimator)
    elif isinstance(item, BaseExtractor) or (hasattr(item, "fit") and hasattr(item, "transform")):
        name = vars(type(item)).get("registry_name") or type(item).__name__  # subclasses: their own name
        changed = _changed_params(item)
        component = Component(format_spec(name, changed, strict=False), name,
                              {k: _plain(v) for k, v in changed.items()}, item)
    else:
        raise InvalidParameterError(
            f"Cannot use {item!r} as an extractor: pass a name ('hog'), a spec ('hog:orientations=12'), "
            "a (name, params) pair, or an extractor object such as featclf.HOG()."
        )
    component.spec = _spec_or_none(component.estimator)
    component.config = describe_extractor(component.estimator)
    return component


def describe_extractor(extractor) -> dict:
    """An extractor's full configuration as plain (JSON-ready) data: what reports and saved models record.

    Parameters
    ----------
    extractor : transformer
        A featclf extractor (its :meth:`~featclf.extract.BaseExtractor.describe`: every
        parameter, defaults resolved, e.g. the CNN's backbone, input size and weights
        source) or any transformer with ``get_params`` (every parameter).

    Returns
    -------
    dict
        ``{parameter: value}``, tuples as lists, other objects as their ``repr``. The
        spec string that rebuilds the extractor is :func:`to_spec`.

    Examples
    --------
    >>> from featclf.models import describe_extractor
    >>> import featclf
    >>> info = describe_extractor(featclf.CNNEmbedding(backbone="tiny", input_size=32))
    >>> info["backbone"], info["input_size"], info["weights_source"]
    ('tiny', [32, 32], 'random (seeded)')
    """
    if hasattr(extractor, "describe"):
        params = extractor.describe()
    else:
        try:
            params = extractor.get_params(deep=False)
        except (AttributeError, TypeError):
            params = {}
    return {k: _plain(v) for k, v in params.items()}


def _spec_or_none(estimator):
    try:
        return to_spec(estimator)
    except (InvalidParameterError, UnknownNameError):
        return None


def to_spec(obj, *, defaults: bool = False) -> str:
    """The spec string of an extractor or classifier: ``from_spec(to_spec(obj))`` rebuilds the same object.

    Parameters
    ----------
    obj : extractor, classifier or Component
        A registered extractor (``HOG(size=(64, 64))``), a classifier built by a preset
        (``make_classifier("svm", C=1)``, or the same pipeline built by hand), or a
        resolved :class:`Component` (its estimator).
    defaults : bool, default=False
        ``False``: the parameters that differ from what the name alone builds (the
        shortest spec). ``True``: every parameter, defaults included (unchanged if a
        later featclf changes a default).

    Returns
    -------
    str
        ``"NAME"`` or ``"NAME:key=value,..."``, parameters in the constructor's order
        (a classifier's ``scale`` and ``pca`` last); pairs of ints as ``64x64``. The
        string is checked: rebuilt, it gives the same ``get_params()``.

    Raises
    ------
    InvalidParameterError
        ``obj`` has no spec: an extractor outside the registry, a classifier no preset
        builds (another pipeline, a meta-estimator), or a parameter value without a
        spec form (an object, an array); the message says which.

    Examples
    --------
    >>> import featclf
    >>> from featclf.models import to_spec
    >>> to_spec(featclf.HOG(size=(64, 64), pixels_per_cell=(4, 4)))
    'hog:pixels_per_cell=4x4,size=64x64'
    >>> to_spec(featclf.make_classifier("svm", C=1.0, pca=50))
    'svm:C=1.0,pca=50'
    """
    from ..extract import BaseExtractor

    estimator = obj.estimator if isinstance(obj, Component) else obj
    if isinstance(estimator, BaseExtractor):
        spec = _extractor_spec(estimator, defaults)
    elif hasattr(estimator, "fit") and hasattr(estimator, "predict"):
        spec = _classifier_spec(estimator, defaults)
    else:
        raise InvalidParameterError(
            f"Cannot write {type(estimator).__name__} as a spec: to_spec takes a featclf extractor, a classifier "
            "built by a featclf preset, or a resolved Component."
        )
    rebuilt = from_spec(spec)
    if not _same_params(rebuilt, estimator):
        raise InvalidParameterError(  # a guard: the spec must rebuild what it names
            f"The spec {spec!r} does not rebuild {estimator!r} (its parameters differ); build it in Python instead."
        )
    return spec


def from_spec(spec: str):
    """Build the extractor or classifier a spec string names (the inverse of :func:`to_spec`).

    Parameters
    ----------
    spec : str
        ``"NAME"`` or ``"NAME:key=value,..."`` where NAME is an extractor
        (:func:`featclf.list_extractors`) or a classifier preset
        (:func:`featclf.list_classifiers`).

    Returns
    -------
    estimator
        Unfitted: :func:`featclf.make_extractor` or :func:`featclf.make_classifier` of the spec.

    Raises
    ------
    UnknownNameError
        NAME is neither (the message lists both and suggests the nearest).
    InvalidParameterError
        A malformed ``key=value``, or a parameter NAME does not take (listing those it takes).

    Examples
    --------
    >>> from featclf.models import from_spec
    >>> from_spec("hog:size=64x64,pixels_per_cell=4x4")
    HOG(pixels_per_cell=(4, 4), size=(64, 64))
    >>> from_spec("rf:n_estimators=50")
    RandomForestClassifier(n_estimators=50, random_state=0)
    """
    from ..extract import list_extractors, make_extractor
    from ._presets import list_classifiers, make_classifier

    name, _ = parse_spec(spec)
    if name in list_extractors():
        return make_extractor(spec)
    if name in list_classifiers():
        return make_classifier(spec)
    raise unknown_name("extractor or classifier", name, list_extractors() + list_classifiers())


def _extractor_spec(extractor, defaults: bool) -> str:
    from ..extract import get_extractor_class

    cls = type(extractor)
    name = vars(cls).get("registry_name")
    try:
        registered = get_extractor_class(name) is cls
    except UnknownNameError:
        registered = False
    if not registered:
        raise InvalidParameterError(
            f"{cls.__name__} is not a registered extractor, so no spec names it: register it with "
            "featclf.extract.register_extractor(NAME), or build it in Python."
        )
    params = extractor.get_params(deep=False)
    base = cls().get_params(deep=False)
    order = [k for k in _constructor_order(cls) if k in params]
    return format_spec(name, {k: params[k] for k in order if defaults or not same_value(params[k], base.get(k))})


def _constructor_order(cls) -> list[str]:
    return [p for p in inspect.signature(cls).parameters if p != "self"]


def _classifier_spec(estimator, defaults: bool) -> str:
    from ._presets import _PRESETS

    steps = getattr(estimator, "steps", None)
    if steps is None:
        steps = [("clf", estimator)]
    names = [n for n, _ in steps]
    final = steps[-1][1]
    scale = "scale" in names
    pca_step = dict(steps).get("pca")
    pca = getattr(pca_step, "n_components", None)
    for preset_name in sorted(_PRESETS):
        preset = _PRESETS[preset_name]
        if type(final) is not preset.estimator_class():
            continue
        expected = (["scale"] if scale else []) + (["pca"] if pca_step is not None else []) + ["clf"]
        if names != expected:
            continue
        base = {**type(final)().get_params(deep=False), **preset.defaults}
        params = final.get_params(deep=False)
        chosen = {k: params[k] for k in _constructor_order(type(final))
                  if k in params and (defaults or not same_value(params[k], base.get(k)))}
        if defaults or scale != preset.scale:
            chosen["scale"] = scale
        if defaults or pca is not None:
            chosen["pca"] = pca
        spec = format_spec(preset_name, chosen)
        if _same_params(from_spec(spec), estimator):
            return spec
    raise InvalidParameterError(
        f"{_estimator_label(estimator)[0]} is not built by a featclf classifier preset, so no spec names it: "
        f"presets are {', '.join(sorted(_PRESETS))} (featclf.list_classifiers()); build it in Python instead."
    )


def _flat_params(estimator) -> dict:
    """Deep parameters without the estimator objects themselves (their own parameters are included)."""
    params = estimator.get_params(deep=True)
    return {k: v for k, v in params.items() if not hasattr(v, "get_params") and k != "steps"}


def _same_params(a, b) -> bool:
    if type(a) is not type(b):
        return False
    if getattr(a, "steps", None) is not None and [n for n, _ in a.steps] != [n for n, _ in b.steps]:
        return False
    pa, pb = _flat_params(a), _flat_params(b)
    return pa.keys() == pb.keys() and all(same_value(pa[k], pb[k]) for k in pa)


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


#: Rows of the synthetic set :func:`check_classifier_fits` fits on at most (a failure at this size is
#: confirmed at the full size before it is reported: failures that depend on the row count come from too few rows).
FIT_CHECK_ROWS = 1000


def _synthetic_set(n_rows, n_classes, n_features, seed=0):
    """Well-separated features: a one-hot of ``class % n_features`` plus ``class // n_features`` in the last
    column (so more classes than features stay apart), plus uniform noise in [0, 0.1): non-negative, float64."""
    y = np.arange(n_rows) % n_classes
    X = np.random.default_rng(seed).uniform(0.0, 0.1, size=(n_rows, n_features + 1))
    X[np.arange(n_rows), y % n_features] += 1.0
    X[:, -1] += y // n_features
    return X, y


def check_classifier_fits(estimator, label, n_samples, n_classes):
    """Fit (and predict with) a clone of a classifier on a small synthetic set shaped like its training set.

    Catches, before any extraction, what scikit-learn checks only inside ``fit`` or
    ``predict``: parameter combinations (``logreg:penalty=l1`` with the lbfgs solver),
    and parameters too large for the number of training images (``knn:n_neighbors=500``
    on 89 images, ``pca=50`` on 30). The set has ``n_samples`` rows (at most
    ``FIT_CHECK_ROWS``; a failure on fewer rows is confirmed on all ``n_samples``),
    labels cycling over ``n_classes`` classes, and well-separated non-negative features,
    at least as many as any integer ``n_components`` inside the classifier. The
    classifier's real features are not known yet: a classifier that needs a property of
    them (more features than a PCA keeps) can still fail at the real fit.

    Parameters
    ----------
    estimator : scikit-learn classifier
        Not modified (a clone is fitted).
    label : str
        How the classifier is named in the message (its spec, e.g. ``'logreg:penalty=l1'``).
    n_samples : int
        Rows of the smallest training set it will be fitted on (``n`` to train on ``n``
        images; about ``n * (K - 1) / K`` for K-fold cross-validation).
    n_classes : int
        Classes in that training set.

    Raises
    ------
    InvalidParameterError
        ``Classifier 'logreg:penalty=l1' cannot be fitted: <scikit-learn's message>. Fix its
        parameters (...)``, the parenthesis saying on what it was checked; or the estimator
        has no ``classes_`` once fitted (a regressor, a clusterer).
    """
    from sklearn.base import clone

    n_samples, n_classes = int(n_samples), max(int(n_classes), 2)
    wanted = [v for part in _nested_estimators(estimator)
              for k, v in _own_params(part).items()
              if k == "n_components" and isinstance(v, numbers.Integral) and not isinstance(v, bool)]
    n_features = max([8, *wanted])

    def failure(rows):
        """The exception of fitting a clone on ``rows`` synthetic rows and predicting with it, or None."""
        X, y = _synthetic_set(rows, n_classes, n_features)
        model = clone(estimator)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # convergence and the like: about the synthetic data, not the spec
                model.fit(X, y)
                model.predict(X[:n_classes])
        except Exception as exc:  # noqa: BLE001 - any failure of a third-party fit becomes one named error
            return exc
        if not hasattr(model, "classes_"):
            raise InvalidParameterError(
                f"{label} has no classes_ after fitting, so it is not a classifier (a regressor or clusterer?): "
                "pass a scikit-learn classifier or a preset (svm, linear-svm, logreg, rf, knn)."
            )
        return None

    rows = min(n_samples, FIT_CHECK_ROWS)
    exc = failure(rows)
    if exc is not None and rows < n_samples:
        exc = failure(n_samples)  # confirmed on every row: failures of too few rows are not the spec's
    if exc is not None:
        reason = " ".join(str(exc).split()).rstrip(".") or type(exc).__name__
        raise InvalidParameterError(
            f"Classifier {label!r} cannot be fitted: {reason}. Fix its parameters (checked before extraction by "
            f"fitting it on {n_samples} synthetic rows of {n_classes} classes, as many as its smallest training "
            "set)."
        )


def _own_params(estimator) -> dict:
    try:
        return estimator.get_params(deep=False)
    except Exception:  # noqa: BLE001 - not a scikit-learn estimator
        return {}


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
        label = format_spec(name, params, strict=False)
        check_classifier(estimator, label)
        plain = {k: _plain(v) for k, v in params.items()}
        return _classifier_component(label, name, plain, estimator)
    if hasattr(item, "fit") and hasattr(item, "predict") and hasattr(item, "get_params"):
        name, changed = _estimator_label(item)
        label = format_spec(name, changed, strict=False)
        check_classifier(item, label)
        plain = {k: _plain(v) for k, v in changed.items()}
        return _classifier_component(label, name, plain, item)
    raise InvalidParameterError(
        f"Cannot use {item!r} as a classifier: pass a preset name ('svm'), a spec ('svm:C=1'), a (name, params) "
        "pair, or a scikit-learn estimator with fit and predict."
    )


def _classifier_component(label, name, params, estimator) -> Component:
    """A classifier's Component; its ``config`` is the full spec (defaults included) and :func:`describe_estimator`."""
    spec = _spec_or_none(estimator)
    try:
        full = to_spec(estimator, defaults=True) if spec is not None else None
    except InvalidParameterError:
        full = None
    return Component(label, name, params, estimator, spec, {"spec": full, **describe_estimator(estimator)})


def unique_labels(components: list[Component]) -> list[Component]:
    """Make labels unique by numbering repeats (``'svm'``, ``'svm #2'``)."""
    seen: dict[str, int] = {}
    for component in components:
        count = seen.get(component.label, 0) + 1
        seen[component.label] = count
        if count > 1:
            component.label = f"{component.label} #{count}"
    return components
