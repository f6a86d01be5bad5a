"""Cross-validated comparison of extractors x classifiers: :func:`evaluate`.

How the work is organised, and why it is leak-free:

1. **Features once per extractor** (:func:`featclf.stages.compute_features`). Each
   extractor is fitted and applied to all images once (every image is decoded once
   for all extractors), and its feature matrix is reused by every classifier and
   every fold. This is not leakage: featclf's extractors learn nothing from the data
   (see :mod:`featclf.stages`). A user extractor that learns statistics from the
   images (a fitted PCA, a codebook) must go inside the classifier pipeline instead,
   where it is fitted per fold.
2. **Every learned step inside the fold.** Classifiers are scikit-learn estimators
   (presets are Pipelines: scaling, optional PCA, classifier); each fold fits a fresh
   ``clone`` on that fold's training rows only.
3. **Paired folds.** One stratified k-fold split (shuffled with a fixed seed) is made
   once and used for every combination, so two combinations are compared on exactly
   the same images, fold by fold.
4. **Paired images.** With ``on_error='skip'`` an image that one extractor cannot read
   is dropped for every extractor (and reported), so all combinations see the same rows.
"""

from __future__ import annotations

import datetime
import numbers
import sys
import time
import warnings

import numpy as np

from .._validation import ON_ERROR_OPTIONS, check_int, check_n_jobs, check_option
from ..datasets import ImageDataset, left_out_summary
from ..engine import warn_skipped
from ..exceptions import DatasetError, InvalidParameterError
from ..extract import BaseExtractor, list_extractors
from ..io import DEFAULT_MAX_PIXELS, check_max_pixels
from ..models import resolve_classifier, resolve_extractor, unique_labels
from ..stages import collect_versions, compute_features, dataset_fingerprint, pair_features
from . import _stats
from ._result import METRICS, CombinationResult, EvaluationResult

__all__ = ["DEFAULT_CLASSIFIERS", "DEFAULT_EXTRACTORS", "evaluate"]

#: Extractors used when none are given (those registered at call time). Sizes are set so that
#: collections of mixed image sizes work out of the box.
DEFAULT_EXTRACTORS = ("pixels:size=32x32", "hog:size=64x64", "colorhist")
#: Classifiers used when none are given.
DEFAULT_CLASSIFIERS = ("svm", "logreg", "rf")


# --------------------------------------------------------------------------- checks
def _check_dataset(dataset, name: str) -> ImageDataset:
    if not isinstance(dataset, ImageDataset):
        raise DatasetError(
            f"evaluate needs a labelled featclf dataset for {name!r}; got {type(dataset).__name__}. "
            "Use featclf.ImageFolder(path), featclf.CSVManifest(csv), featclf.ArrayDataset(images, labels), "
            "featclf.load_digits() or featclf.load_fashion_mnist()."
        )
    if not dataset.is_labelled:
        raise DatasetError(
            f"{dataset.name}: evaluate needs labelled images, and this dataset has no labels. Use "
            "featclf.ImageFolder (one subfolder per class) or featclf.CSVManifest with a label column."
        )
    if len(dataset) == 0:
        raise DatasetError(f"{dataset.name}: the dataset holds no images.")
    return dataset


def _check_cv(cv, test, random_state):
    """Return (mode, splitter or None, n_splits)."""
    from sklearn.model_selection import StratifiedKFold

    if cv is None:
        cv = "split" if test is not None else 5
    if cv == "split":
        if test is None:
            raise InvalidParameterError(
                "cv='split' evaluates on a separate test set, but no test set was given: pass test=<dataset> "
                "(e.g. featclf.load_fashion_mnist(split='test')), or cv=K for K-fold cross-validation."
            )
        return "split", None, 1
    if test is not None:
        raise InvalidParameterError(
            f"Both cv={cv!r} and a test set were given: pass test=<dataset> (with cv=None or 'split') for a "
            "train/test evaluation, or cv=K without test for K-fold cross-validation."
        )
    if isinstance(cv, numbers.Integral) and not isinstance(cv, bool):
        n_splits = check_int("cv", cv, minimum=2, owner="evaluate")
        return "cv", StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=random_state), n_splits
    if hasattr(cv, "split") and hasattr(cv, "get_n_splits"):
        return "cv", cv, None
    raise InvalidParameterError(
        f"The 'cv' parameter of evaluate must be an int >= 2 (stratified K-fold), 'split' (train/test), None, or a "
        f"scikit-learn splitter. Got {cv!r} instead."
    )


def _check_class_counts(y, classes, n_splits):
    counts = np.bincount(y, minlength=len(classes))
    present = counts[counts > 0]
    if present.size < 2:
        raise DatasetError(
            f"evaluate needs images of at least 2 classes; got {present.size} class with images "
            f"({', '.join(c for c, n in zip(classes, counts) if n)})."
        )
    if n_splits is not None:
        low = [(classes[i], int(n)) for i, n in enumerate(counts) if 0 < n < n_splits]
        if low:
            shown = ", ".join(f"{c!r} ({n})" for c, n in low[:5])
            raise InvalidParameterError(
                f"The 'cv' parameter of evaluate is {n_splits}, but stratified {n_splits}-fold cross-validation needs "
                f"at least {n_splits} images per class; these classes have fewer: {shown}. Lower cv (e.g. "
                f"cv={max(2, min(n for _, n in low))}) or add images."
            )


# --------------------------------------------------------------------------- fitting
def _fit_predict(estimator, X, y, train_rows, test_rows):
    """Fit a clone on the training rows, predict the test rows; time both; collect warnings."""
    from sklearn.base import clone

    model = clone(estimator)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        start = time.perf_counter()
        model.fit(X[train_rows], y[train_rows])
        fit_s = time.perf_counter() - start
        start = time.perf_counter()
        predicted = np.asarray(model.predict(X[test_rows]))
        predict_s = time.perf_counter() - start
    messages = set()
    for w in caught:
        if issubclass(w.category, (DeprecationWarning, PendingDeprecationWarning)):
            # meant for developers, not about this fit's quality: pass on, do not fold into the report
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        else:
            messages.add(f"{w.category.__name__}: {str(w.message).strip()}")
    return predicted, fit_s, predict_s, sorted(messages)


def _fold_scores(y_true, y_pred) -> dict:
    from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. "y_pred contains classes not in y_true": scores stay defined
        return {
            "accuracy": float(accuracy_score(y_true, y_pred)),
            "balanced_accuracy": float(balanced_accuracy_score(y_true, y_pred)),
            "f1_macro": float(f1_score(y_true, y_pred, average="macro", zero_division=0)),
        }


def _per_class(confusion: np.ndarray, classes) -> dict:
    tp = np.diag(confusion).astype(float)
    support = confusion.sum(axis=1)
    predicted = confusion.sum(axis=0)
    out = {}
    for i, name in enumerate(classes):
        precision = tp[i] / predicted[i] if predicted[i] else 0.0
        recall = tp[i] / support[i] if support[i] else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        out[name] = {"precision": float(precision), "recall": float(recall), "f1": float(f1),
                     "support": int(support[i])}
    return out


def _configure_extractor(component, on_error, n_jobs, verbose, max_pixels=DEFAULT_MAX_PIXELS):
    from sklearn.base import clone

    extractor = clone(component.estimator)
    params = extractor.get_params(deep=False)
    updates = {}
    if "on_error" in params:
        updates["on_error"] = on_error
    if "n_jobs" in params and n_jobs is not None and params["n_jobs"] is None:
        updates["n_jobs"] = n_jobs
    if "verbose" in params:
        updates["verbose"] = verbose
    if "max_pixels" in params and params["max_pixels"] == DEFAULT_MAX_PIXELS:  # an extractor's own setting wins
        updates["max_pixels"] = max_pixels
    return extractor.set_params(**updates) if updates else extractor


def _check_extractor_params(extractor):
    """Validate a featclf extractor's parameters now (``fit`` would, but only after earlier extractors ran)."""
    if isinstance(extractor, BaseExtractor):
        extractor._check_common_params()
        extractor._check_params()


def _log(verbose, message):
    if verbose:
        print(f"[featclf] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- main entry
def evaluate(dataset, extractors=None, classifiers=None, *, cv=None, test=None, random_state=0,
             rank_by="accuracy", on_error="skip", n_jobs=None, verbose=1,
             max_pixels=DEFAULT_MAX_PIXELS) -> EvaluationResult:
    """Compare every extractor x classifier combination with cross-validation.

    Features are computed once per extractor and reused across classifiers and
    folds; every learned step (scaling, PCA, the classifier) is fitted inside each
    fold. All combinations use the same stratified folds, so they are compared
    pairwise on the same images (corrected resampled t-test of Nadeau & Bengio).

    Parameters
    ----------
    dataset : ImageDataset
        Labelled images: :class:`featclf.ImageFolder`, :class:`featclf.CSVManifest`,
        :class:`featclf.ArrayDataset`, :func:`featclf.load_digits`, ...
    extractors : list, optional
        Each a registry name (``'hog'``), a spec (``'hog:orientations=12'``), a
        ``(name, params)`` pair, or an extractor object. Default: the registered ones
        among ``('pixels:size=32x32', 'hog:size=64x64', 'colorhist')``.
    classifiers : list, optional
        Each a preset name (``'svm'``, ``'linear-svm'``, ``'rf'``, ``'logreg'``,
        ``'knn'``; see :func:`featclf.models.make_classifier`), a spec (``'svm:C=1'``),
        a ``(name, params)`` pair, or any scikit-learn classifier. Default:
        ``('svm', 'logreg', 'rf')``.
    cv : int, 'split', scikit-learn splitter or None, default=None
        ``K``: stratified K-fold, shuffled with ``random_state`` (5 when None and no
        test set). ``'split'``: train on ``dataset``, test on ``test`` (the default
        when ``test`` is given).
    test : ImageDataset, optional
        A separate test set with the same classes (e.g. Fashion-MNIST's test split).
    random_state : int, default=0
        Seed of the fold assignment.
    rank_by : {'accuracy', 'balanced_accuracy', 'f1_macro'}, default='accuracy'
        Metric that picks the best combination and that the comparisons test.
    on_error : {'skip', 'raise'}, default='skip'
        Images that cannot be loaded: skipped (and reported in ``result.skipped``;
        an image skipped by one extractor is dropped for all) or an error.
    n_jobs : int, optional
        Parallel workers for extraction (extractors whose own ``n_jobs`` is None) and
        for fitting folds; None follows ``joblib.parallel_config`` (one by default).
    verbose : int, default=1
        0: silent. 1: one line per step on stderr and progress bars on long extractions.
    max_pixels : int or None, default=178956970
        The largest image decoded (width x height pixels), in every worker: a larger
        image is refused from its header (skipped and reported with
        ``on_error='skip'``); ``None``: no limit. Set on every extractor whose own
        ``max_pixels`` is the default (see :func:`featclf.load_image`).

    Warns
    -----
    ConstantFeaturesWarning
        An extractor gave the same features for every image (its combinations score
        at chance).

    Returns
    -------
    EvaluationResult
        ``.results`` (per combination), ``.best``, ``.comparisons``, ``.dataset``,
        ``.skipped``, ``.config``, ``.versions``; ``.to_json(path)``,
        ``.to_markdown()``, ``.to_html(path)``.

    Raises
    ------
    DatasetError
        Unlabelled or empty data, test classes that differ, fewer than two classes.
    UnknownNameError
        An unknown extractor or classifier name (the message suggests the nearest).
    InvalidParameterError
        A bad parameter, or a class with fewer images than folds.

    Examples
    --------
    >>> import featclf
    >>> digits = featclf.load_digits()
    >>> result = featclf.evaluate(digits, ["pixels"], ["logreg", "knn"], cv=3, verbose=0)
    >>> result.best.classifier in ("logreg", "knn")
    True
    >>> result.to_json("report.json")  # doctest: +SKIP
    """
    from joblib import Parallel, delayed

    train = _check_dataset(dataset, "dataset")
    if test is not None:
        test = _check_dataset(test, "test")
        if list(test.classes) != list(train.classes):
            raise DatasetError(
                f"The test set's classes differ from the training set's: {test.classes} vs {train.classes}. "
                "Both must list the same classes in the same order."
            )
    check_int("random_state", random_state, minimum=0, owner="evaluate")
    rank_by = check_option("rank_by", rank_by, METRICS, "evaluate")
    on_error = check_option("on_error", on_error, ON_ERROR_OPTIONS, "evaluate")
    check_int("verbose", verbose, minimum=0, owner="evaluate")
    check_n_jobs(n_jobs, "evaluate")
    max_pixels = check_max_pixels(max_pixels, "evaluate")
    mode, splitter, n_splits = _check_cv(cv, test, random_state)

    if extractors is None:
        extractors = [spec for spec in DEFAULT_EXTRACTORS if spec.partition(":")[0] in list_extractors()]
    if classifiers is None:
        classifiers = list(DEFAULT_CLASSIFIERS)
    if isinstance(extractors, (str, tuple)) or not hasattr(extractors, "__iter__"):
        extractors = [extractors]
    if isinstance(classifiers, (str, tuple)) or not hasattr(classifiers, "__iter__"):
        classifiers = [classifiers]
    ext_components = unique_labels([resolve_extractor(e) for e in extractors])
    clf_components = unique_labels([resolve_classifier(c) for c in classifiers])
    if not ext_components or not clf_components:
        raise InvalidParameterError(
            f"evaluate needs at least one extractor and one classifier; got {len(ext_components)} extractors and "
            f"{len(clf_components)} classifiers."
        )
    classes = list(train.classes)
    # Fail fast, before minutes of extraction: folds vs class sizes, and every extractor's parameters.
    _check_class_counts(train.labels, classes, n_splits if mode == "cv" else None)
    extractors_ready = [_configure_extractor(component, on_error, n_jobs, verbose, max_pixels)
                        for component in ext_components]
    for extractor in extractors_ready:
        _check_extractor_params(extractor)

    # 1. Features, once per extractor (every image decoded once for all of them).
    _log(verbose, f"extracting {', '.join(c.label for c in ext_components)} from {len(train)}"
                  f"{' + ' + str(len(test)) if test else ''} images")
    feature_sets = compute_features(extractors_ready, train, test, on_error=on_error, verbose=verbose)
    for component, fs in zip(ext_components, feature_sets):
        _log(verbose, f"  {component.label}: {fs.n_features} features in {fs.seconds:.1f} s")

    # 2. Keep only images every extractor could read (paired comparisons).
    names = [c.label for c in ext_components]
    splits = [("train", pair_features([fs.train for fs in feature_sets], names))]
    if test is not None:
        splits.append(("test", pair_features([fs.test for fs in feature_sets], names)))
    skipped = [{"source": s["source"], "reason": s["reason"], "split": split, "extractors": s["extractors"]}
               for split, paired in splits for s in paired.skipped]
    if skipped:
        warn_skipped([(s["source"], s["reason"]) for s in skipped], len(train) + (len(test) if test else 0))
    keep_train = splits[0][1].indices
    keep_test = splits[1][1].indices if test is not None else np.empty(0, np.intp)
    X_by_extractor = [np.concatenate([paired.X[e] for _, paired in splits]) if len(splits) > 1
                      else splits[0][1].X[e] for e in range(len(feature_sets))]
    y_train = train.labels[keep_train]
    y = y_train if test is None else np.concatenate([y_train, test.labels[keep_test]])
    sources = [(train, int(i)) for i in keep_train] + [(test, int(i)) for i in keep_test]
    if len(y_train) == 0:
        raise DatasetError(f"{train.name}: no image could be read by every extractor; see the skipped files.")

    # 3. The folds, made once and shared by every combination.
    _check_class_counts(y_train, classes, n_splits if mode == "cv" else None)
    if mode == "cv":
        folds = [(np.asarray(a), np.asarray(b)) for a, b in splitter.split(np.zeros((len(y), 1)), y)]
    else:
        if len(keep_test) == 0:
            raise DatasetError(f"{test.name}: no test image could be read by every extractor.")
        folds = [(np.arange(len(y_train)), np.arange(len(y_train), len(y)))]

    # 4. Fit and predict every classifier on every fold (in parallel when asked).
    tasks = [(e, c, f) for e in range(len(ext_components)) for c in range(len(clf_components))
             for f in range(len(folds))]
    n_combinations = len(ext_components) * len(clf_components)
    _log(verbose, f"fitting {n_combinations} combination{'s' if n_combinations > 1 else ''} x {len(folds)} "
                  f"{'folds' if mode == 'cv' else 'train/test split'}")
    outputs = Parallel(n_jobs=n_jobs)(
        delayed(_fit_predict)(clf_components[c].estimator, X_by_extractor[e], y, folds[f][0], folds[f][1])
        for e, c, f in tasks
    )
    by_task = dict(zip(tasks, outputs))

    results = []
    for e, ext in enumerate(ext_components):
        for c, clf in enumerate(clf_components):
            outcomes = [by_task[(e, c, f)] for f in range(len(folds))]
            results.append(_combination(ext, clf, feature_sets[e], folds, outcomes, y, classes))
            _log(verbose, f"  {results[-1].name}: {rank_by} {results[-1].mean(rank_by):.4f} "
                          f"± {results[-1].std(rank_by):.4f}")

    # 5. The best combination, and every other compared with it on the same folds.
    means = [r.mean(rank_by) for r in results]
    best_index = int(np.argmax(means))
    n_train = float(np.mean([len(a) for a, _ in folds]))
    n_test = float(np.mean([len(b) for _, b in folds]))
    comparisons = [_compare(results[best_index], r, rank_by, mode, folds, y, n_train, n_test)
                   for i, r in enumerate(results) if i != best_index]

    config = _config(mode, n_splits, folds, splitter, random_state, rank_by, on_error, n_jobs, ext_components,
                     clf_components)
    for entry, feature_set in zip(config["extractors"], feature_sets):
        entry["fitted"] = feature_set.fitted  # the image size each extractor chose, and why (the size rule)
    config["max_pixels"] = max_pixels
    dataset_summary = _summary(train, y_train, len(train), classes)
    if test is not None:
        dataset_summary["test"] = _summary(test, y[len(y_train):], len(test), classes)
    return EvaluationResult(
        results=results, best_index=best_index, comparisons=comparisons, classes=classes,
        dataset=dataset_summary, skipped=skipped, config=config, versions=collect_versions(), y=y,
        created=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"), _sources=sources,
    )


def _combination(ext, clf, feature_set, folds, outcomes, y, classes) -> CombinationResult:
    """Scores, confusion matrix, predictions and timings of one extractor x classifier over the folds."""
    n_classes = len(classes)
    scores = {m: [] for m in METRICS}
    confusion = np.zeros((n_classes, n_classes), dtype=np.int64)
    predictions = np.full(len(y), -1, dtype=np.int64)
    fit_s = predict_s = 0.0
    messages: set = set()
    for (_, test_rows), (predicted, f_s, p_s, msgs) in zip(folds, outcomes):
        for metric, value in _fold_scores(y[test_rows], predicted).items():
            scores[metric].append(value)
        np.add.at(confusion, (y[test_rows], predicted.astype(np.int64)), 1)
        predictions[test_rows] = predicted
        fit_s += f_s
        predict_s += p_s
        messages.update(msgs)
    return CombinationResult(
        extractor=ext.label, classifier=clf.label, extractor_params=ext.params,
        classifier_params=clf.params, n_features=feature_set.n_features,
        fold_scores={m: np.asarray(v) for m, v in scores.items()}, confusion_matrix=confusion,
        per_class=_per_class(confusion, classes), extract_s=feature_set.seconds, fit_s=fit_s,
        predict_s=predict_s, predictions=predictions, warnings=sorted(messages),
    )


def _config(mode, n_splits, folds, splitter, random_state, rank_by, on_error, n_jobs, ext_components,
            clf_components) -> dict:
    """The protocol as recorded in the report."""
    return {
        "mode": mode,
        "cv": n_splits if mode == "cv" else "split",
        "n_folds": len(folds),
        "splitter": repr(splitter) if splitter is not None else None,
        "random_state": random_state,
        "rank_by": rank_by,
        "on_error": on_error,
        "n_jobs": n_jobs,
        "fold_sizes": [{"train": int(len(a)), "test": int(len(b))} for a, b in folds],
        "extractors": [{"label": x.label, "name": x.name, "params": x.params} for x in ext_components],
        "classifiers": [{"label": x.label, "name": x.name, "params": x.params} for x in clf_components],
        "features": "computed once per extractor on all images (extractors are unsupervised and per-image), "
                    "reused across classifiers and folds; scaling, PCA and classifiers fitted inside each fold",
    }


def _summary(dataset, y_used, n_images, classes) -> dict:
    counts = np.bincount(y_used, minlength=len(classes)) if len(y_used) else np.zeros(len(classes), int)
    return {
        "name": dataset.name,
        "fingerprint": dataset_fingerprint(dataset)["sha256"],
        "n_images": int(n_images),
        "n_used": int(len(y_used)),
        "n_classes": len(classes),
        "classes": list(classes),
        "class_counts": {name: int(n) for name, n in zip(classes, counts)},
        "imbalance_ratio": _stats.imbalance_ratio(counts),
        "left_out": left_out_summary(getattr(dataset, "left_out", [])),  # what a folder scan did not take
        "test": None,
    }


def _compare(best, other, metric, mode, folds, y, n_train, n_test) -> dict:
    entry = {
        "extractor": other.extractor,
        "classifier": other.classifier,
        "metric": metric,
        "mean_difference": best.mean(metric) - other.mean(metric),
    }
    if mode == "cv":
        k = len(folds)
        if k >= 2:
            t, p = _stats.corrected_resampled_ttest(best.fold_scores[metric], other.fold_scores[metric],
                                                    n_train, n_test)
        else:
            t, p = None, None
        entry.update({"method": "nadeau-bengio", "t": t, "df": k - 1, "p_value": p})
    else:
        rows = folds[0][1]
        n01, n10, p = _stats.mcnemar_exact(best.predictions[rows] == y[rows], other.predictions[rows] == y[rows])
        entry.update({"method": "mcnemar", "n_best_only": n01, "n_other_only": n10, "p_value": p})
    return entry


