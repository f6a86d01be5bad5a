"""Classifier presets: named, sensible scikit-learn pipelines (``svm``, ``rf``, ...).

A preset is data: the final estimator, its default parameters, and whether features
are standardised first. :func:`make_classifier` builds a fresh, unfitted estimator
(a :class:`~sklearn.pipeline.Pipeline` when there is more than one step), so every
learned step -- scaling, optional PCA, the classifier -- is fitted together on the
training data only, e.g. inside each cross-validation fold.

==============  =========================================================  ============
name            estimator (defaults)                                       standardise
==============  =========================================================  ============
``svm``         ``SVC(kernel='rbf', C=10, gamma='scale')``                  yes
``linear-svm``  ``LinearSVC(C=1.0, max_iter=10000)``                        yes
``rf``          ``RandomForestClassifier(n_estimators=100, random_state=0)`` no
``logreg``      ``LogisticRegression(C=1.0, max_iter=2000)``                yes
``knn``         ``KNeighborsClassifier(n_neighbors=5)``                     yes
==============  =========================================================  ============

Every preset also takes ``scale`` (bool: standardise features first) and ``pca``
(``None``, an int number of components, or a float fraction of variance kept:
adds ``PCA`` after scaling). Other parameters go to the final estimator, e.g.
``make_classifier("svm", C=1, pca=50)`` or ``"svm:C=1,pca=50"`` on the command line.
"""

from __future__ import annotations

import fnmatch
import importlib
from dataclasses import dataclass, field

from .._spec import spec_with_params
from .._validation import check_parameter_names, parameter_names, unknown_name
from ..exceptions import InvalidParameterError

__all__ = ["ClassifierPreset", "get_classifier_preset", "list_classifiers", "make_classifier"]


@dataclass(frozen=True)
class ClassifierPreset:
    """A named classifier recipe.

    Attributes
    ----------
    name : str
        Registry name (``'svm'``).
    estimator : str
        Import path of the final estimator class (``'sklearn.svm.SVC'``).
    defaults : dict
        Parameters of the final estimator that differ from scikit-learn's defaults.
    scale : bool
        Standardise features (``StandardScaler``) before the estimator.
    description : str
        One line for listings and reports.
    """

    name: str
    estimator: str
    defaults: dict = field(default_factory=dict)
    scale: bool = True
    description: str = ""

    def estimator_class(self):
        module, _, cls = self.estimator.rpartition(".")
        return getattr(importlib.import_module(module), cls)


_PRESETS: dict[str, ClassifierPreset] = {}


def _register(preset: ClassifierPreset) -> None:
    _PRESETS[preset.name] = preset


_register(ClassifierPreset("svm", "sklearn.svm.SVC", {"kernel": "rbf", "C": 10.0, "gamma": "scale"}, True,
                           "RBF support vector machine on standardised features"))
_register(ClassifierPreset("linear-svm", "sklearn.svm.LinearSVC", {"C": 1.0, "max_iter": 10000}, True,
                           "linear support vector machine on standardised features"))
_register(ClassifierPreset("rf", "sklearn.ensemble.RandomForestClassifier",
                           {"n_estimators": 100, "random_state": 0}, False, "random forest of 100 trees"))
_register(ClassifierPreset("logreg", "sklearn.linear_model.LogisticRegression", {"C": 1.0, "max_iter": 2000}, True,
                           "multinomial logistic regression on standardised features"))
_register(ClassifierPreset("knn", "sklearn.neighbors.KNeighborsClassifier", {"n_neighbors": 5}, True,
                           "5-nearest neighbours on standardised features"))


def list_classifiers(pattern: str = "*") -> list[str]:
    """Sorted names of the classifier presets, optionally filtered by a glob ``pattern``.

    Examples
    --------
    >>> list_classifiers()
    ['knn', 'linear-svm', 'logreg', 'rf', 'svm']
    """
    return sorted(n for n in _PRESETS if fnmatch.fnmatch(n, pattern))


def get_classifier_preset(name: str) -> ClassifierPreset:
    """The preset registered under ``name``; unknown names list the options and suggest the nearest."""
    try:
        return _PRESETS[name]
    except (KeyError, TypeError):
        raise unknown_name("classifier", name, _PRESETS) from None


def make_classifier(name: str, **params):
    """Build a fresh, unfitted classifier from a preset.

    Parameters
    ----------
    name : str
        One of :func:`list_classifiers`, or a spec string ``"NAME:key=value,..."``
        (``"svm:C=1,pca=50"``): the form reports and the command line print.
    **params
        ``scale`` (bool), ``pca`` (None, int or float in (0, 1)), and parameters of
        the final estimator overriding the preset's defaults (added to those of the
        spec; a parameter given in both is an error).

    Returns
    -------
    estimator : scikit-learn classifier
        ``Pipeline([('scale', StandardScaler()), ('pca', PCA(...)), ('clf', ...)])``
        with the steps that apply, or the bare estimator when it is the only step.

    Raises
    ------
    UnknownNameError
        ``name`` is not a preset (the message suggests the nearest).
    InvalidParameterError
        A malformed spec, a parameter given twice, or one the estimator does not take
        (the message lists those it takes and suggests the nearest).

    Examples
    --------
    >>> make_classifier("svm")
    Pipeline(steps=[('scale', StandardScaler()), ('clf', SVC(C=10.0))])
    >>> make_classifier("rf", n_estimators=50)
    RandomForestClassifier(n_estimators=50, random_state=0)
    >>> make_classifier("svm:C=1,pca=50")
    Pipeline(steps=[('scale', StandardScaler()),
                    ('pca', PCA(n_components=50, random_state=0)),
                    ('clf', SVC(C=1))])
    """
    name, params = spec_with_params(name, params, kind="classifier")
    preset = get_classifier_preset(name)
    scale = params.pop("scale", preset.scale)
    pca = params.pop("pca", None)
    if not isinstance(scale, bool):
        raise InvalidParameterError(
            f"The 'scale' parameter of classifier {name!r} must be True or False. Got {scale!r} instead."
        )
    cls = preset.estimator_class()
    check_parameter_names(f"Classifier {name!r} ({cls.__name__})", params, parameter_names(cls) + ["pca", "scale"])
    estimator = cls(**{**preset.defaults, **params})
    steps = []
    if scale:
        from sklearn.preprocessing import StandardScaler

        steps.append(("scale", StandardScaler()))
    if pca is not None:
        steps.append(("pca", _make_pca(name, pca)))
    if not steps:
        return estimator
    from sklearn.pipeline import Pipeline

    return Pipeline(steps + [("clf", estimator)])


def _make_pca(name, pca):
    from sklearn.decomposition import PCA

    ok_int = isinstance(pca, int) and not isinstance(pca, bool) and pca >= 1
    ok_float = isinstance(pca, float) and 0.0 < pca < 1.0
    if not (ok_int or ok_float):
        raise InvalidParameterError(
            f"The 'pca' parameter of classifier {name!r} must be None, an int >= 1 (components) or a float in "
            f"(0, 1) (fraction of variance kept). Got {pca!r} instead."
        )
    return PCA(n_components=pca, random_state=0)
