"""The features stage: each extractor fitted and run once, images decoded once, rows paired.

Shared by every entry point that turns a collection into features (evaluation, and
later clustering, saved-model training and the ``extract`` command).

Why computing features once, before any split, does not leak: featclf's extractors
learn nothing from the images' pixels or labels. ``fit`` validates parameters and,
with ``size=None``, reads every image's size from its header to choose one (kept when
they all share it, else the extractor's default: the size rule of
:class:`featclf.extract.BaseExtractor`); each image's features depend on that image
alone (HOG, colour histograms and raw pixels are pure per-image functions, CNN
embeddings come from a frozen pretrained network). The size is chosen once on the
collection features are computed for, not per fold: per fold, a training part whose
images happened to share one size while the collection does not would keep that size,
and the other images of its test part would have to be left out. A user extractor that
learns statistics from the images (a fitted PCA, a codebook) belongs inside the
classifier pipeline instead.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field

import numpy as np

from .._validation import available_memory, format_bytes
from ..engine import Extraction, as_sources, extract_many, merge_skipped, paired_rows
from ..exceptions import InvalidParameterError, OutputTooLargeError, SkippedImagesWarning
from ..extract import BaseExtractor

__all__ = ["MEMORY_MARGIN", "FeatureSet", "PairedFeatures", "check_run_memory", "compute_features", "extract_features",
           "fitted_settings",
           "pair_features"]

#: The share of the available memory a run may plan to hold; the rest is left for Python,
#: the images being decoded, the classifiers' own state and the rest of the machine.
MEMORY_MARGIN = 0.8


def check_run_memory(extractors, n: int, *, fit_workers: int = 1) -> None:
    """Refuse, before any image is decoded, a run whose features would not fit in memory.

    The estimate (bytes), for ``n`` images and fitted extractors of ``F_e`` features each::

        4 * n * sum(F_e)                       the float32 features of every extractor, kept together
      + fit_workers * 16 * n * max(F_e)        per parallel fit: scikit-learn's float64 copy of
                                               the largest matrix, and one transformed copy
                                               (e.g. a scaler's output)

    must be at most ``MEMORY_MARGIN`` (80 %) of the memory available now
    (:func:`featclf._validation.available_memory`: psutil, else ``MemAvailable``);
    when the available memory is unknown nothing is checked.

    Parameters
    ----------
    extractors : list of fitted transformers
        Those without ``n_features_out_`` count as 0 features.
    n : int
        Images the run will extract (train + test).
    fit_workers : int, default=1
        Fits the caller runs at the same time on these features (0: none).

    Raises
    ------
    OutputTooLargeError
        Naming the largest extractor, the estimate, the memory available and the fixes.
    """
    sizes = [int(getattr(e, "n_features_out_", 0) or 0) for e in extractors]
    if not sizes or n <= 0:
        return
    needed = 4 * n * sum(sizes) + max(0, int(fit_workers)) * 16 * n * max(sizes)
    available = available_memory()
    if available is None or needed <= MEMORY_MARGIN * available:
        return
    largest = extractors[sizes.index(max(sizes))]
    raise OutputTooLargeError(
        f"This run would hold about {format_bytes(needed)} for the features of {n:,} images, more than "
        f"{MEMORY_MARGIN:.0%} of the {format_bytes(available)} of memory available now; the largest is "
        f"{type(largest).__name__} with {max(sizes):,} features per image (estimate: float32 features of every "
        f"extractor + {max(0, int(fit_workers))} parallel fit(s) x 2 float64 copies of the largest). Use a smaller "
        "'size' (e.g. size=64x64) or fewer features per image (e.g. fewer HOG orientations), fewer images "
        "(--limit on the command line), or fewer parallel fits (n_jobs / --n-jobs)."
    )



@dataclass
class FeatureSet:
    """Features of one extractor on the training images (and the test images).

    Attributes
    ----------
    train : Extraction
        The record on the training collection (features, input index of each row, skipped).
    test : Extraction or None
        The same on the test collection, when there is one.
    seconds : float
        Wall time attributable to this extractor: its ``fit``, plus its share of the
        extraction passes (:attr:`featclf.engine.Extraction.timings`).
    fitted : dict
        What ``fit`` chose (:func:`fitted_settings`), for the report.
    """

    train: Extraction
    test: Extraction | None = None
    seconds: float = 0.0
    fitted: dict = field(default_factory=dict)

    @property
    def n_features(self) -> int:
        """Number of feature columns of this extractor."""
        return int(self.train.features.shape[1])

    def cache_note(self) -> str:
        """``' (N of M rows read from the feature cache)'`` when a cache was used, else ``''``: for log lines."""
        records = [r for r in (self.train, self.test) if r is not None and r.cache]
        if not records:
            return ""
        hits = sum(r.cache["hits"] for r in records)
        return f" ({hits} of {sum(r.n_kept for r in records)} rows read from the feature cache)"


def fitted_settings(extractor) -> dict:
    """What a fitted extractor chose from its data, for reports: its image size and why.

    Returns
    -------
    dict
        ``{"image_size": [height, width] or None, "size_rule": str}`` for featclf
        extractors (``size_rule_``: ``'native: ...'``, ``'default: ...'``,
        ``'size: ...'`` or ``'any: ...'``); empty for a transformer without them.
    """
    if not hasattr(extractor, "size_rule_"):
        return {}
    size = getattr(extractor, "image_size_", None)
    return {"image_size": None if size is None else [int(v) for v in size], "size_rule": str(extractor.size_rule_)}


def _how(extractor) -> str:
    """``'engine'`` (the shared pass), ``'extract'`` (its own record) or ``'transform'`` (every row kept)."""
    cls = type(extractor)
    if isinstance(extractor, BaseExtractor):
        if cls.extract is BaseExtractor.extract and cls.transform is BaseExtractor.transform:
            return "engine"
        return "extract" if cls.extract is not BaseExtractor.extract else "transform"
    return "extract" if hasattr(extractor, "extract") else "transform"


def _record_of(extractor, data) -> Extraction:
    """The record of an extractor outside the shared pass: its ``extract``, else ``transform``."""
    n = len(data)
    if _how(extractor) == "extract":
        record = extractor.extract(data)
    else:
        features = np.asarray(extractor.transform(data))
        record = Extraction(features, np.arange(min(n, len(features)), dtype=np.intp), [], n)
    features = np.asarray(record.features)
    if features.ndim != 2 or features.shape[0] != len(record.indices):
        raise InvalidParameterError(
            f"{type(extractor).__name__} returned an array of shape {features.shape} for {n} images "
            f"({len(record.indices)} kept); an extractor must return one row per kept image (a 2-D array)."
        )
    if len(record.indices) + len(record.skipped) != n:
        raise InvalidParameterError(
            f"{type(extractor).__name__} returned {len(record.indices)} rows for {n} images without saying which "
            "images are missing; an extractor must return one row per image, or a featclf Extraction record "
            "(from an extract(X) method) listing the skipped ones."
        )
    record.features = features.astype(np.float32, copy=False)
    return record


def _run(extractors, data, on_error, n_jobs, verbose, cache_dir=None) -> tuple[list[Extraction], list[float]]:
    """One record per extractor on ``data``: featclf extractors in one pass (each image decoded once)."""
    records: list = [None] * len(extractors)
    seconds = [0.0] * len(extractors)
    shared = [i for i, e in enumerate(extractors) if _how(e) == "engine"]
    if shared:
        group = extract_many([extractors[i] for i in shared], data, on_error=on_error, n_jobs=n_jobs,
                             verbose=verbose, cache_dir=cache_dir)
        for i, record in zip(shared, group):
            records[i], seconds[i] = record, record.timings["attributed_s"]
    for i, extractor in enumerate(extractors):
        if records[i] is None:
            began = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", SkippedImagesWarning)  # reported once, by the caller
                records[i] = _record_of(extractor, data)
            seconds[i] = time.perf_counter() - began
    return records, seconds


def compute_features(extractors, train, test=None, *, on_error=None, n_jobs=None, verbose=0,
                     fit_workers=1, cache_dir=None) -> list[FeatureSet]:
    """Fit each extractor on the training images and compute the features of train (and test).

    The one place where entry points compute features: featclf extractors run
    together through :func:`featclf.engine.extract_many`, so each image is decoded
    once for all of them, and each result is reused by every classifier and fold.
    ``fit`` sees only the training images. The feature cache applies here (``cache_dir``).

    Parameters
    ----------
    extractors : list of transformers
        Fresh (cloned) extractors, configured as they should run; featclf extractors
        or any transformer with ``fit`` and ``transform`` (or ``extract``).
    train : ImageDataset or list of sources
    test : ImageDataset or list of sources, optional
    on_error : {'raise', 'skip'}, optional
        For the shared pass; default: the first extractor's own.
    n_jobs : int, optional
        Workers of the shared pass; default: the first extractor's own.
    verbose : int, default=0
    fit_workers : int, default=1
        Fits the caller will run at the same time on the features, for the memory
        check (:func:`check_run_memory`), made after ``fit`` and before any extraction.
    cache_dir : str, path-like or False, optional
        The feature cache of the shared pass (:func:`featclf.engine.extract_many`);
        default: the first extractor's own, else the global setting.

    Returns
    -------
    list of FeatureSet
        One per extractor, in the order given, each with one record per collection
        (``train``, ``test``): every input is either a row or in ``skipped``.

    Raises
    ------
    NotFittedError, FeatclfError
        As :func:`featclf.engine.extract_many` (with ``on_error='raise'``, the first
        unreadable image) and the extractors' ``fit``.
    OutputTooLargeError
        The run would not fit in the memory available (:func:`check_run_memory`).
    InvalidParameterError
        A transformer outside featclf returns rows that are not one per image
        without a record of which images are missing.
    """
    fit_seconds = []
    for extractor in extractors:
        began = time.perf_counter()
        extractor.fit(train)
        fit_seconds.append(time.perf_counter() - began)
    check_run_memory(extractors, len(train) + (len(test) if test is not None else 0), fit_workers=fit_workers)
    train_records, train_seconds = _run(extractors, train, on_error, n_jobs, verbose, cache_dir)
    for extractor, record in zip(extractors, train_records):
        if record.skipped and hasattr(extractor, "_recount_size_rule"):  # the size rule counts images read
            sources = as_sources(train)
            extractor._recount_size_rule([sources[int(s.index)] for s in record.skipped])
    if test is None:
        test_records, test_seconds = [None] * len(extractors), [0.0] * len(extractors)
    else:
        test_records, test_seconds = _run(extractors, test, on_error, n_jobs, verbose, cache_dir)
    return [FeatureSet(a, b, f + s + t, fitted_settings(e)) for a, b, f, s, t, e in
            zip(train_records, test_records, fit_seconds, train_seconds, test_seconds, extractors)]


def extract_features(extractors, data, *, on_error=None, n_jobs=None, verbose=0) -> list[Extraction]:
    """Features of ``data`` from extractors fitted already (a saved model's): no ``fit``, one record each.

    As :func:`compute_features` without fitting: featclf extractors run together through
    :func:`featclf.engine.extract_many` (each image decoded once); every input is either a
    row or in the record's ``skipped`` list.

    Parameters
    ----------
    extractors : list of fitted transformers
    data : ImageDataset or list of sources
    on_error : {'raise', 'skip'}, optional
    n_jobs : int, optional
    verbose : int, default=0

    Returns
    -------
    list of Extraction
        One per extractor, in the order given.
    """
    check_run_memory(extractors, len(data))
    return _run(extractors, data, on_error, n_jobs, verbose)[0]


@dataclass
class PairedFeatures:
    """Features of several extractors on the same images: the images every extractor could read.

    Attributes
    ----------
    X : list of ndarray of shape (n_kept, n_features_e), float32
        One matrix per extractor; row ``i`` of every matrix is the image ``indices[i]``.
    indices : ndarray of shape (n_kept,), intp
        Input position of each row.
    skipped : list of dict
        Every image some extractor left out: ``index``, ``source``, ``reason`` and the
        ``extractors`` that left it out (see :func:`featclf.engine.merge_skipped`).
    """

    X: list
    indices: np.ndarray
    skipped: list


def pair_features(records, names) -> PairedFeatures:
    """Keep the images every record kept and align the rows of every extractor on them.

    Parameters
    ----------
    records : list of Extraction
        One per extractor, of the same inputs.
    names : list of str
        A label per extractor, for the skipped list.

    Returns
    -------
    PairedFeatures
    """
    kept, rows = paired_rows(records)
    return PairedFeatures([r.features[i] for r, i in zip(records, rows)], kept, merge_skipped(records, names))

