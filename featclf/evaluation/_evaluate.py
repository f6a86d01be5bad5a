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
   the same images, fold by fold. With ``groups`` the split keeps each group in one fold
   (near-duplicate shots of one object never straddle training and test).
4. **Paired images.** With ``on_error='skip'`` an image that one extractor cannot read
   is dropped for every extractor (and reported), so all combinations see the same rows.

Rules that keep work from being thrown away or results from being wrong:

* **Everything is checked before extraction starts**: every parameter (classifiers'
  with scikit-learn's own declared constraints, see :func:`featclf.models.check_classifier`;
  extractors' with their own checks), every optional dependency the extractors need
  (e.g. torch for ``'cnn'``), ``n_jobs``, ``groups``, and the folds themselves (made on the
  labels, which need no image). What scikit-learn only checks in ``fit`` or ``predict``
  (a solver that does not support a penalty, ``n_neighbors`` above the training images)
  is caught by fitting each classifier on a small synthetic set as large as its smallest
  training fold (:func:`featclf.models.check_classifier_fits`), as one
  :class:`~featclf.exceptions.InvalidParameterError` naming the classifier.
* **Folds that cannot be right are refused**, before fitting: a fold whose test part holds
  a class its training part lacks (e.g. an unshuffled ``KFold`` on class-sorted images,
  which scores 0), an empty part, or, with ``groups``, a group split between training and
  test (a splitter that ignores groups).
* **The same report whatever n_jobs**: every fit runs with native thread pools (BLAS,
  OpenMP) limited to ``FIT_THREADS`` (threadpoolctl, as scikit-learn does in its own
  parallel loops), on the serial path as in parallel workers, so the floating-point order,
  hence the scores, do not depend on ``n_jobs``, and parallel folds never oversubscribe
  the cores. Parallelism comes from ``n_jobs`` (folds and combinations in parallel).
* **A worker that dies** (killed for lack of memory) ends the run with one
  :class:`~featclf.exceptions.WorkerDiedError` naming the cause and the fix.
"""

from __future__ import annotations

import datetime
import numbers
import time
import warnings
from concurrent.futures import BrokenExecutor

import numpy as np

from .._validation import ON_ERROR_OPTIONS, check_int, check_n_jobs, check_option, effective_workers
from ..datasets import ImageDataset, left_out_summary, missing_positions
from ..engine import warn_skipped, worker_died
from ..exceptions import DatasetError, InvalidParameterError
from ..extract import list_extractors
from ..io import DEFAULT_MAX_PIXELS, check_max_pixels
from ..models import check_classifier_fits, resolve_classifier, resolve_extractor, unique_labels
from ..report import score_text
from ..stages import (
    check_cache_setting,
    check_extractor_ready,
    collect_versions,
    compute_features,
    configure_extractor,
    dataset_fingerprint,
    log_step,
    pair_features,
    run_cache_dir,
)
from . import _stats
from ._result import METRICS, CombinationResult, EvaluationResult

__all__ = ["DEFAULT_CLASSIFIERS", "DEFAULT_EXTRACTORS", "evaluate"]

#: Extractors used when none are given (those registered at call time). Sizes are set so that
#: collections of mixed image sizes work out of the box.
DEFAULT_EXTRACTORS = ("pixels:size=32x32", "hog:size=64x64", "colorhist")
#: Classifiers used when none are given.
DEFAULT_CLASSIFIERS = ("svm", "logreg", "rf")
#: Native threads (BLAS, OpenMP) of each fit, whatever ``n_jobs``: the same on every path, so
#: scores do not depend on ``n_jobs`` and parallel fits never oversubscribe the cores.
FIT_THREADS = 1


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


def _check_cv(cv, test, random_state, grouped=False):
    """Return (mode, splitter or None, n_splits); ``cv=K`` with groups gives a StratifiedGroupKFold."""
    from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

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
        kind = StratifiedGroupKFold if grouped else StratifiedKFold
        return "cv", kind(n_splits=n_splits, shuffle=True, random_state=random_state), n_splits
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
            fewest = min(n for _, n in low)
            if fewest >= 2:  # a cv that works: the smallest class count
                fix = f"Lower cv to at most {fewest} (e.g. cv={fewest}; command line: --cv {fewest}), or add images."
            else:  # a class of one image cannot be in both a training and a test part
                fix = ("A class of a single image cannot be cross-validated at any cv: add images to it, leave it "
                       "out, or use a separate test set (test=...; command line: --test DATA).")
            raise InvalidParameterError(
                f"The 'cv' parameter of evaluate is {n_splits}, but stratified {n_splits}-fold cross-validation needs "
                f"at least {n_splits} images per class; these classes have fewer: {shown}. {fix}"
            )


def _check_groups(groups, train, mode):
    """``groups`` as an array aligned with ``train`` (or the dataset's own ``groups``), or None."""
    source = "argument"
    if groups is None:
        groups, source = getattr(train, "groups", None), "dataset"
    if groups is None:
        return None, None
    if mode != "cv":
        if source == "dataset":
            return None, None  # a train/test evaluation has no folds to keep groups in
        raise InvalidParameterError(
            "The 'groups' parameter of evaluate keeps each group in one cross-validation fold, but this is a "
            "train/test evaluation (a test set was given): drop groups, or pass cv=K without a test set."
        )
    try:
        groups = np.asarray(groups)
    except (TypeError, ValueError) as exc:
        raise InvalidParameterError(f"The 'groups' parameter of evaluate must be array-like: {exc}") from None
    if groups.ndim != 1 or len(groups) != len(train):
        raise InvalidParameterError(
            f"The 'groups' parameter of evaluate must hold one group per image of the dataset ({len(train)}); got "
            f"an array of shape {groups.shape}."
        )
    missing = missing_positions(groups)  # None, NaN, NaT, pandas.NA and empty strings, as for labels
    if missing:
        shown = ", ".join(map(str, missing[:10])) + (" ..." if len(missing) > 10 else "")
        raise InvalidParameterError(
            f"The 'groups' parameter of evaluate has no group for {len(missing)} images (positions {shown}): "
            "give every image a group (an image alone can be its own group)."
        )
    return groups, source


def _plain(value):
    """A numpy scalar as the Python value it holds (for messages)."""
    return value.item() if isinstance(value, np.generic) else value


def _describe_splitter(splitter) -> str:
    return " ".join(repr(splitter).split())


def make_folds(splitter, y, groups, classes):
    """The folds of ``splitter`` on labels ``y`` (and ``groups``), checked to be usable.

    Parameters
    ----------
    splitter : scikit-learn splitter
    y : ndarray of shape (n,), int
        Class index of each image.
    groups : ndarray of shape (n,) or None
    classes : list of str

    Returns
    -------
    list of (train_rows, test_rows), ndarrays of intp

    Raises
    ------
    InvalidParameterError
        The splitter fails (e.g. more folds than groups), or a fold cannot give a right
        score: an empty part, test images of a class absent from the training part (an
        unshuffled ``KFold`` on class-sorted data gives 0 accuracy), or, with groups, a
        group on both sides (the splitter ignores groups). The message names the fold
        and the fix.
    """
    name = _describe_splitter(splitter)
    try:
        with warnings.catch_warnings():  # whether groups were kept apart is checked below, on the folds
            warnings.filterwarnings("ignore", message="The groups parameter is ignored", category=UserWarning)
            folds = [(np.asarray(a, dtype=np.intp), np.asarray(b, dtype=np.intp))
                     for a, b in splitter.split(np.zeros((len(y), 1)), y, groups)]
    except ValueError as exc:
        raise InvalidParameterError(f"The 'cv' splitter {name} cannot split these {len(y)} images: {exc}") from None
    if not folds:
        raise InvalidParameterError(f"The 'cv' splitter {name} made no folds.")
    absent = []
    for number, (train_rows, test_rows) in enumerate(folds, start=1):
        if len(train_rows) == 0 or len(test_rows) == 0:
            raise InvalidParameterError(
                f"The 'cv' splitter {name} made fold {number} with {len(train_rows)} training and {len(test_rows)} "
                "test images; every fold needs both. Use fewer folds."
            )
        unseen = np.setdiff1d(y[test_rows], y[train_rows])
        if unseen.size:
            absent.append((number, [classes[k] for k in unseen]))
        if groups is not None:
            shared = np.intersect1d(groups[train_rows], groups[test_rows])
            if shared.size:
                raise InvalidParameterError(
                    f"The 'cv' splitter {name} ignores groups: group {_plain(shared[0])!r} has images in both the "
                    f"training and the test part of fold {number} ({shared.size} groups do), so near-duplicates of one "
                    "group would be scored as unseen. Use a group-aware splitter: cv=K (stratified and grouped), "
                    "StratifiedGroupKFold(n_splits=K, shuffle=True, random_state=0) or GroupKFold(n_splits=K)."
                )
    if absent:
        shown = "; ".join(f"fold {n}: {', '.join(map(repr, names[:5]))}{' ...' if len(names) > 5 else ''}"
                          for n, names in absent[:5])
        grouped = ("StratifiedGroupKFold(n_splits=K, shuffle=True, random_state=0) (each class needs images of at "
                   "least K groups), "
                   if groups is not None else "")
        raise InvalidParameterError(
            f"The 'cv' splitter {name} makes {len(absent)} of {len(folds)} folds whose test images belong to classes "
            f"absent from their training part ({shown}); no classifier can predict a class it never saw, so these "
            "scores would be wrong (an unshuffled KFold on images sorted by class scores 0). Use cv=K (stratified "
            f"and shuffled), {grouped}StratifiedKFold(n_splits=K, shuffle=True, random_state=0), or "
            "KFold(n_splits=K, shuffle=True, random_state=0)."
        )
    return folds


# --------------------------------------------------------------------------- fitting
def _fit_predict(key, estimator, X, y, train_rows, test_rows, label):
    """Fit a clone on the training rows, predict the test rows; time both; collect warnings.

    ``key`` is ``(extractor, classifier, fold)`` indices, ``label`` the two labels (for messages).

    Runs with native thread pools limited to ``FIT_THREADS`` (module docstring). Returns
    ``(key, (predicted, fit_s, predict_s, messages))``.
    """
    from sklearn.base import clone
    from threadpoolctl import threadpool_limits

    model = clone(estimator)
    with warnings.catch_warnings(record=True) as caught, threadpool_limits(limits=FIT_THREADS):
        warnings.simplefilter("always")
        try:
            start = time.perf_counter()
            model.fit(X[train_rows], y[train_rows])
            fit_s = time.perf_counter() - start
            start = time.perf_counter()
            predicted = np.asarray(model.predict(X[test_rows]))
            predict_s = time.perf_counter() - start
        except (ValueError, TypeError) as exc:  # scikit-learn's checks made in fit (e.g. solver vs penalty)
            raise InvalidParameterError(
                f"Classifier {label[1]!r} could not be fitted on fold {key[2] + 1} of the {label[0]!r} features: "
                f"{type(exc).__name__}: {' '.join(str(exc).split())} Check the classifier's parameters."
            ) from exc
    messages = set()
    for w in caught:
        if issubclass(w.category, (DeprecationWarning, PendingDeprecationWarning)):
            # meant for developers, not about this fit's quality: pass on, do not fold into the report
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        else:
            messages.add(f"{w.category.__name__}: {str(w.message).strip()}")
    return key, (predicted, fit_s, predict_s, sorted(messages))


def _fit_all(tasks, clf_components, ext_components, X_by_extractor, y, folds, n_jobs, verbose, on_done):
    """Run every (extractor, classifier, fold) task, with progress.

    ``on_done(e, c, outcomes)`` is called once all folds of a combination are done,
    ``outcomes`` being ``(predicted, fit_s, predict_s, messages)`` per fold, in fold order.

    Tasks stream back as they finish (any order), so the bar (on a terminal) moves per fit
    and each combination is reported as soon as its last fold is done.
    """
    from joblib import Parallel, delayed
    from threadpoolctl import threadpool_limits
    from tqdm.auto import tqdm

    left = {}
    for e, c, _ in tasks:
        left[(e, c)] = left.get((e, c), 0) + 1
    by_task = {}
    jobs = (delayed(_fit_predict)((e, c, f), clf_components[c].estimator, X_by_extractor[e], y, folds[f][0],
                                  folds[f][1], (ext_components[e].label, clf_components[c].label))
            for e, c, f in tasks)
    # limited here too: threads of a threading backend share the process's pools
    with threadpool_limits(limits=FIT_THREADS), tqdm(total=len(tasks), desc="fitting", unit="fit", leave=False,
                                                     disable=None if verbose else True) as bar:
        try:
            workers = effective_workers(n_jobs, len(tasks))
            for key, output in Parallel(n_jobs=workers, return_as="generator_unordered")(jobs):
                by_task[key] = output
                bar.update(1)
                e, c, _ = key
                left[(e, c)] -= 1
                if left[(e, c)] == 0:
                    on_done(e, c, [by_task[(e, c, f)] for f in range(len(folds))])
        except BrokenExecutor as exc:  # a worker process died: loky's TerminatedWorkerError
            raise worker_died("fitting the classifiers", effective_workers(n_jobs, len(tasks))) from exc


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


# --------------------------------------------------------------------------- main entry
def evaluate(dataset, extractors=None, classifiers=None, *, cv=None, test=None, groups=None, random_state=0,
             rank_by="accuracy", on_error="skip", n_jobs=None, verbose=1,
             max_pixels=DEFAULT_MAX_PIXELS, cache_dir=None) -> EvaluationResult:
    """Compare every extractor x classifier combination with cross-validation.

    Features are computed once per extractor and reused across classifiers and
    folds; every learned step (scaling, PCA, the classifier) is fitted inside each
    fold. All combinations use the same folds, so they are compared pairwise on the
    same images (corrected resampled t-test of Nadeau & Bengio). Everything that can be
    checked is checked before extraction starts (module docstring), and the scores do
    not depend on ``n_jobs``.

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
        test set); with groups, ``StratifiedGroupKFold``. ``'split'``: train on
        ``dataset``, test on ``test`` (the default when ``test`` is given). A splitter
        object (``KFold(3)``, ``GroupKFold(5)``, ...) is used as given and recorded in
        the report as given; its folds are checked before fitting (see Raises).
    test : ImageDataset, optional
        A separate test set with the same classes (e.g. Fashion-MNIST's test split).
    groups : array-like of shape (n_images,), optional
        A group per image of ``dataset`` (e.g. the object or session it shows): each
        group is kept in one fold, so near-duplicate shots never straddle training and
        test. Default: the dataset's own ``groups`` attribute, when it has one. Passed
        to the splitter's ``split``; cross-validation only.
    random_state : int, default=0
        Seed of the fold assignment of ``cv=K``; a splitter object keeps its own, and
        the report records a seed only where one was used.
    rank_by : {'accuracy', 'balanced_accuracy', 'f1_macro'}, default='accuracy'
        Metric that picks the best combination and that the comparisons test.
    on_error : {'skip', 'raise'}, default='skip'
        Images that cannot be loaded: skipped (and reported in ``result.skipped``;
        an image skipped by one extractor is dropped for all) or an error.
    n_jobs : int, optional
        Parallel workers for extraction (extractors whose own ``n_jobs`` is None) and
        for fitting folds; None follows ``joblib.parallel_config`` (one by default).
        Each fit uses ``FIT_THREADS`` native threads whatever ``n_jobs``, so the
        report's scores are the same for every ``n_jobs``.
    verbose : int, default=1
        0: silent. 1: one line per step on stderr, and on a terminal progress bars
        for extraction (per few images) and fitting (per fold); no bars when stderr
        is not a terminal.
    max_pixels : int or None, default=178956970
        The largest image decoded (width x height pixels), in every worker: a larger
        image is refused from its header (skipped and reported with
        ``on_error='skip'``); ``None``: no limit. Set on every extractor whose own
        ``max_pixels`` is the default (see :func:`featclf.load_image`).
    cache_dir : str, path-like or False, optional
        Folder of the feature cache, set on every extractor without its own: images
        already extracted with the same configuration are read from it, new rows are
        written as they are computed (README, "Feature cache"). Default:
        :func:`featclf.set_config`'s, else ``$FEATCLF_CACHE_DIR``, else none; ``False``:
        none. Checked (created, writable) before any work.

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
        A bad parameter (classifiers' checked with scikit-learn's own constraints), a
        class with fewer images than folds, bad ``groups``, folds that cannot give a
        right score (a test class absent from its training part, a group on both
        sides), or a classifier whose fit fails.
    MissingDependencyError
        An extractor needs an optional dependency that is not installed (raised
        before any extraction).
    WorkerDiedError
        A worker process died (most often killed for lack of memory).

    Examples
    --------
    >>> import featclf
    >>> digits = featclf.load_digits()
    >>> result = featclf.evaluate(digits, ["pixels"], ["logreg", "knn"], cv=3, verbose=0)
    >>> result.best.classifier in ("logreg", "knn")
    True
    >>> result.to_json("report.json")  # doctest: +SKIP
    """
    # 0. Every check that needs no image, before any extraction.
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
    cache_dir = check_cache_setting(cache_dir, "evaluate")
    mode = "split" if (cv == "split" or (cv is None and test is not None)) else "cv"
    groups, groups_source = _check_groups(groups, train, mode)
    mode, splitter, n_splits = _check_cv(cv, test, random_state, grouped=groups is not None)

    if extractors is None:
        extractors = [spec for spec in DEFAULT_EXTRACTORS if spec.partition(":")[0] in list_extractors()]
    if classifiers is None:
        classifiers = list(DEFAULT_CLASSIFIERS)
    if isinstance(extractors, (str, tuple)) or not hasattr(extractors, "__iter__"):
        extractors = [extractors]
    if isinstance(classifiers, (str, tuple)) or not hasattr(classifiers, "__iter__"):
        classifiers = [classifiers]
    ext_components = unique_labels([resolve_extractor(e) for e in extractors])
    clf_components = unique_labels([resolve_classifier(c) for c in classifiers])  # sklearn's checks, too
    if not ext_components or not clf_components:
        raise InvalidParameterError(
            f"evaluate needs at least one extractor and one classifier; got {len(ext_components)} extractors and "
            f"{len(clf_components)} classifiers."
        )
    classes = list(train.classes)
    _check_class_counts(train.labels, classes, n_splits if mode == "cv" else None)
    n_folds = 1
    smallest = np.asarray(train.labels)  # labels of the smallest training set a classifier is fitted on
    if mode == "cv":
        planned = make_folds(splitter, train.labels, groups, classes)  # as if every image can be read
        n_folds = len(planned)
        smallest = np.asarray(train.labels)[min((a for a, _ in planned), key=len)]
    for component in clf_components:  # what scikit-learn checks only in fit or predict, before extraction
        check_classifier_fits(component.estimator, component.label, len(smallest), len(np.unique(smallest)))
    extractors_ready = [configure_extractor(component, on_error, n_jobs, verbose, max_pixels)
                        for component in ext_components]
    for extractor in extractors_ready:
        check_extractor_ready(extractor)

    # 1. Features, once per extractor (every image decoded once for all of them).
    log_step(verbose, f"extracting {', '.join(c.label for c in ext_components)} from {len(train)}"
                  f"{' + ' + str(len(test)) if test else ''} images")
    fit_workers = effective_workers(n_jobs, len(ext_components) * len(clf_components) * n_folds)
    feature_sets = compute_features(extractors_ready, train, test, on_error=on_error, verbose=verbose,
                                    fit_workers=fit_workers, cache_dir=run_cache_dir(cache_dir, ext_components))
    for component, fs in zip(ext_components, feature_sets):
        log_step(verbose, f"  {component.label}: {fs.n_features} features in {fs.seconds:.1f} s{fs.cache_note()}")

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

    # 3. The folds, made once (on the images kept) and shared by every combination.
    _check_class_counts(y_train, classes, n_splits if mode == "cv" else None)
    if mode == "cv":
        folds = make_folds(splitter, y, None if groups is None else groups[keep_train], classes)
    else:
        if len(keep_test) == 0:
            raise DatasetError(f"{test.name}: no test image could be read by every extractor.")
        folds = [(np.arange(len(y_train)), np.arange(len(y_train), len(y)))]

    # 4. Fit and predict every classifier on every fold (in parallel when asked).
    tasks = [(e, c, f) for e in range(len(ext_components)) for c in range(len(clf_components))
             for f in range(len(folds))]
    n_combinations = len(ext_components) * len(clf_components)
    log_step(verbose, f"fitting {n_combinations} combination{'s' if n_combinations > 1 else ''} x "
                  + (f"{len(folds)} folds" if mode == "cv" else "1 train/test split"))
    combined: dict = {}

    def combine(e, c, outcomes):  # as soon as a combination's last fold is done
        combined[(e, c)] = r = _combination(ext_components[e], clf_components[c], feature_sets[e], folds, outcomes,
                                            y, classes)
        log_step(verbose, f"  {r.name}: {rank_by} {score_text(r, rank_by)}")

    _fit_all(tasks, clf_components, ext_components, X_by_extractor, y, folds, n_jobs, verbose, combine)
    results = [combined[(e, c)] for e in range(len(ext_components)) for c in range(len(clf_components))]

    # 5. The best combination, and every other compared with it on the same folds.
    means = [r.mean(rank_by) for r in results]
    best_index = int(np.argmax(means))
    n_train = float(np.mean([len(a) for a, _ in folds]))
    n_test = float(np.mean([len(b) for _, b in folds]))
    comparisons = [_compare(results[best_index], r, rank_by, mode, folds, y, n_train, n_test)
                   for i, r in enumerate(results) if i != best_index]

    config = _config(mode, cv, folds, splitter, random_state, rank_by, on_error, n_jobs, ext_components,
                     clf_components, groups, groups_source)
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
        _training={"dataset": train, "extractors": ext_components, "classifiers": clf_components,
                   "on_error": on_error, "n_jobs": n_jobs, "max_pixels": max_pixels, "cache_dir": cache_dir},
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
        extractor=ext.label, classifier=clf.label, extractor_params=ext.config,
        classifier_params=clf.config, n_features=feature_set.n_features,
        extractor_spec=ext.spec, classifier_spec=clf.spec,
        fold_scores={m: np.asarray(v) for m, v in scores.items()}, confusion_matrix=confusion,
        per_class=_per_class(confusion, classes), extract_s=feature_set.seconds, fit_s=fit_s,
        predict_s=predict_s, predictions=predictions, warnings=sorted(messages),
    )


def _config(mode, cv, folds, splitter, random_state, rank_by, on_error, n_jobs, ext_components,
            clf_components, groups, groups_source) -> dict:
    """The protocol as recorded in the report.

    ``cv`` is the number of folds when ``cv=K`` was given, the splitter's repr when a
    splitter was given, or ``'split'``; ``splitter`` is the splitter that made the folds
    (as given, or the one ``cv=K`` stands for); ``random_state`` is the seed only where one
    was used (``cv=K``), else None; ``groups`` is None or ``{'n_groups', 'source'}``.
    """
    seed_used = mode == "cv" and (cv is None or isinstance(cv, numbers.Integral))
    return {
        "mode": mode,
        "cv": "split" if mode == "split" else (len(folds) if seed_used else _describe_splitter(splitter)),
        "n_folds": len(folds),
        "splitter": _describe_splitter(splitter) if splitter is not None else None,
        "random_state": random_state if seed_used else None,
        "groups": None if groups is None else {"n_groups": int(len(np.unique(groups))), "source": groups_source},
        "rank_by": rank_by,
        "on_error": on_error,
        "n_jobs": n_jobs,
        "fit_threads": FIT_THREADS,
        "fold_sizes": [{"train": int(len(a)), "test": int(len(b))} for a, b in folds],
        "extractors": [{"label": x.label, "name": x.name, "spec": x.spec, "params": x.config}
                       for x in ext_components],
        "classifiers": [{"label": x.label, "name": x.name, "spec": x.spec, "params": x.config}
                        for x in clf_components],
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


