"""The result of :func:`featclf.evaluate`: per-combination scores, comparisons, provenance."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..exceptions import InvalidParameterError

__all__ = ["METRICS", "CombinationResult", "EvaluationResult"]

#: Metrics computed on every fold, in report order.
METRICS = ("accuracy", "balanced_accuracy", "f1_macro")


@dataclass
class CombinationResult:
    """Scores of one extractor x classifier combination.

    Attributes
    ----------
    extractor, classifier : str
        Labels (``'hog:orientations=12'``, ``'svm'``).
    extractor_params : dict
        The extractor's full configuration, defaults resolved
        (:func:`featclf.models.describe_extractor`: every parameter; for ``'cnn'`` the
        backbone, input size, pooling, weights and where they come from).
    classifier_params : dict
        Parameters as given (spec forms) or non-default parameters (objects).
    n_features : int
        Feature dimension of the extractor.
    fold_scores : dict of str to ndarray of shape (n_folds,)
        ``'accuracy'``, ``'balanced_accuracy'``, ``'f1_macro'`` of each fold, in fold order.
    confusion_matrix : ndarray of shape (n_classes, n_classes), int
        Summed over folds; rows are true classes, columns predicted, in class order.
    per_class : dict of str to dict
        For each class name: ``precision``, ``recall``, ``f1`` (from the summed
        confusion matrix, i.e. pooled over folds) and ``support`` (true images).
    extract_s : float
        Seconds spent computing this extractor's features (shared by every classifier
        combined with it: features are computed once).
    fit_s, predict_s : float
        Seconds fitting and predicting, summed over folds.
    predictions : ndarray of shape (n_used,), int
        Out-of-fold predicted class of each image used (``-1`` for images never in a
        test fold, e.g. training images in train/test mode).
    warnings : list of str
        Distinct warnings raised while fitting (e.g. convergence), instead of
        repeating them once per fold on the console.
    extractor_spec, classifier_spec : str or None
        Full spec strings that rebuild the extractor and the classifier
        (:func:`featclf.models.from_spec`); None for objects no spec names.
    """

    extractor: str
    classifier: str
    extractor_params: dict
    classifier_params: dict
    n_features: int
    fold_scores: dict
    confusion_matrix: np.ndarray
    per_class: dict
    extract_s: float
    fit_s: float
    predict_s: float
    predictions: np.ndarray
    warnings: list = field(default_factory=list)
    extractor_spec: str | None = None
    classifier_spec: str | None = None

    def mean(self, metric: str = "accuracy") -> float:
        """Mean of ``metric`` over folds."""
        return float(np.mean(self._scores(metric)))

    def std(self, metric: str = "accuracy") -> float:
        """Population standard deviation (``ddof=0``) of ``metric`` over folds (0.0 for a single split)."""
        return float(np.std(self._scores(metric), ddof=0))

    def _scores(self, metric):
        if metric not in self.fold_scores:
            shown = ", ".join(repr(m) for m in self.fold_scores)
            raise InvalidParameterError(f"The 'metric' parameter must be one of {{{shown}}}. Got {metric!r} instead.")
        return np.asarray(self.fold_scores[metric], dtype=float)

    @property
    def accuracy_mean(self) -> float:
        return self.mean("accuracy")

    @property
    def accuracy_std(self) -> float:
        return self.std("accuracy")

    @property
    def balanced_accuracy_mean(self) -> float:
        return self.mean("balanced_accuracy")

    @property
    def f1_macro_mean(self) -> float:
        return self.mean("f1_macro")

    @property
    def name(self) -> str:
        """``'extractor + classifier'``."""
        return f"{self.extractor} + {self.classifier}"

    def __repr__(self) -> str:
        from ..report import score_text

        n = len(self.fold_scores["accuracy"])
        return (f"CombinationResult({self.name!r}: accuracy {score_text(self, 'accuracy')}, "
                f"{f'{n} folds' if n > 1 else 'one train/test split'})")


@dataclass
class EvaluationResult:
    """Everything :func:`featclf.evaluate` found out, with JSON, Markdown and HTML exports.

    Attributes
    ----------
    results : list of CombinationResult
        One per extractor x classifier combination, extractors in the order given,
        classifiers within each.
    best_index : int
        Index in ``results`` of the combination with the highest mean ``rank_by`` score
        (the first one on ties).
    comparisons : list of dict
        For every other combination, the paired comparison with the best across folds:
        ``extractor``, ``classifier``, ``metric``, ``mean_difference`` (best minus
        this one), ``method`` (``'nadeau-bengio'`` corrected resampled t-test over
        folds, or ``'mcnemar'`` exact test in train/test mode), its statistic
        (``t`` and ``df``, or ``n_best_only`` and ``n_other_only``) and ``p_value``
        (two-sided; ``None`` when the test cannot be computed).
    classes : list of str
    dataset : dict
        ``name``, ``n_images``, ``n_used``, ``n_classes``, ``classes``,
        ``class_counts`` (images used per class), ``imbalance_ratio`` (largest class
        count / smallest), and ``test`` (the same for the test set, or None).
    skipped : list of dict
        Every image left out: ``source``, ``reason``, ``split`` (``'train'`` or
        ``'test'``) and ``extractors`` (labels of the extractors that failed on it). An
        image one extractor cannot read is dropped for all, so comparisons stay paired.
    config : dict
        How the evaluation was run (mode, folds, seed, extractors, classifiers, ...).
    versions : dict
        Versions of featclf, Python, numpy, scikit-learn, SciPy, OpenCV, Pillow,
        matplotlib and torch (``None`` when not installed).
    y : ndarray of shape (n_used,)
        True class of each image used, aligned with ``CombinationResult.predictions``.
    """

    results: list
    best_index: int
    comparisons: list
    classes: list
    dataset: dict
    skipped: list
    config: dict
    versions: dict
    y: np.ndarray
    created: str = ""
    _sources: list = field(default_factory=list, repr=False)
    #: What fit/fit_best need to train a model: the training collection, the resolved
    #: extractor and classifier components (by label) and the run settings.
    _training: dict = field(default_factory=dict, repr=False)

    @property
    def best(self) -> CombinationResult:
        """The best combination (highest mean ``config['rank_by']`` score)."""
        return self.results[self.best_index]

    @property
    def mode(self) -> str:
        """``'cv'`` (cross-validation) or ``'split'`` (train/test)."""
        return self.config["mode"]

    @property
    def rank_by(self) -> str:
        return self.config["rank_by"]

    def get(self, extractor: str, classifier: str) -> CombinationResult:
        """The combination with these labels.

        Raises
        ------
        KeyError
            No such combination (the message lists the labels).
        """
        for result in self.results:
            if result.extractor == extractor and result.classifier == classifier:
                return result
        pairs = ", ".join(f"({r.extractor!r}, {r.classifier!r})" for r in self.results)
        raise KeyError(f"No combination ({extractor!r}, {classifier!r}). Available: {pairs}.")

    def source(self, row: int):
        """The image source of row ``row`` of ``y`` (for thumbnails of misclassified images)."""
        dataset, index = self._sources[row]
        return dataset.sources[index]

    def describe_source(self, row: int) -> str:
        dataset, index = self._sources[row]
        return dataset.describe(index)

    # -- models --------------------------------------------------------------------------
    def fit_best(self, *, verbose: int = 0):
        """Train the best combination on every training image: a :class:`featclf.Model` to predict and save.

        As :meth:`fit` with the labels of :attr:`best`.
        """
        return self.fit(self.best.extractor, self.best.classifier, verbose=verbose)

    def fit(self, extractor: str, classifier: str, *, verbose: int = 0):
        """Train the combination with these labels on every training image (all of them in cross-validation mode).

        The features are computed again (through :func:`featclf.stages.compute_features`,
        with the evaluation's ``on_error``, ``n_jobs``, ``max_pixels`` and ``cache_dir``, so a
        feature cache gives the rows back without computing them); the classifier is
        a fresh clone of the one evaluated. The model carries this combination's
        evaluation figures (``evaluation_``: mean, standard deviation and per-fold scores,
        protocol, data), saved in its manifest.

        Parameters
        ----------
        extractor, classifier : str
            Labels, as in :meth:`get` (``result.best.extractor``).
        verbose : int, default=0

        Returns
        -------
        featclf.Model

        Raises
        ------
        KeyError
            No such combination (the message lists the labels).
        InvalidParameterError
            The result was not made by :func:`featclf.evaluate` in this process (e.g. read
            back from JSON), so it holds no training data.
        """
        from ..training import fit_model

        combination = self.get(extractor, classifier)
        if not self._training:
            raise InvalidParameterError(
                "This evaluation result holds no training data (it was not made by featclf.evaluate in this process): "
                "train the combination with featclf.train(data, extractor, classifier)."
            )
        run = self._training
        ext = next(c for c in run["extractors"] if c.label == extractor)
        clf = next(c for c in run["classifiers"] if c.label == classifier)
        figures = {
            "combination": combination.name,
            "best": combination is self.best,
            "rank_by": self.rank_by,
            "mode": self.mode,
            "cv": self.config.get("cv"),
            "n_folds": self.config.get("n_folds"),
            "random_state": self.config.get("random_state"),
            "scores": {m: {"mean": combination.mean(m), "std": combination.std(m),
                           "folds": [float(v) for v in combination.fold_scores[m]]} for m in combination.fold_scores},
            "dataset": {k: self.dataset.get(k) for k in ("name", "fingerprint", "n_images", "n_used")},
            "test": None if not self.dataset.get("test") else
            {k: self.dataset["test"].get(k) for k in ("name", "fingerprint", "n_images", "n_used")},
            "created": self.created,
        }
        return fit_model(run["dataset"], ext, clf, on_error=run["on_error"], n_jobs=run["n_jobs"], verbose=verbose,
                         max_pixels=run["max_pixels"], cache_dir=run.get("cache_dir"), evaluation=figures)

    # -- exports -------------------------------------------------------------------------
    def to_dict(self) -> dict:
        """The report as plain JSON-ready data (the schema of :meth:`to_json`)."""
        from ..report import result_to_dict

        return result_to_dict(self)

    def to_json(self, path=None, *, indent: int = 2) -> str:
        """Write the report as JSON to ``path`` (if given) and return the JSON text.

        The schema is stable and versioned (``schema_version``); see
        :mod:`featclf.report._json` for every field.
        """
        from ..report import write_json

        return write_json(self, path, indent=indent)

    def to_markdown(self, path=None) -> str:
        """The comparison table and key figures as Markdown; written to ``path`` if given."""
        from ..report import result_to_markdown

        text = result_to_markdown(self)
        if path is not None:
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
        return text

    def to_html(self, path=None, *, max_examples: int = 12) -> str:
        """A self-contained HTML report (images embedded as data URIs); written to ``path`` if given.

        Holds the comparison table, an accuracy chart with error bars, a confusion-matrix
        heatmap per combination, misclassified examples (thumbnail, true and predicted
        class; up to ``max_examples`` per combination) and a timing chart. Charts need
        matplotlib (``pip install "featclf[report]"``); without it the page says so and
        keeps the tables and thumbnails.

        Returns
        -------
        html : str
        """
        from ..report import result_to_html

        text = result_to_html(self, max_examples=max_examples)
        if path is not None:
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
        return text

    def summary_table(self) -> str:
        """The comparison table as aligned plain text (what the command line prints)."""
        from ..report import comparison_rows

        header, rows = comparison_rows(self)
        widths = [max(len(str(x)) for x in column) for column in zip(header, *rows)]
        lines = ["  ".join(str(x).ljust(w) for x, w in zip(header, widths))]
        lines.append("  ".join("-" * w for w in widths))
        lines += ["  ".join(str(x).ljust(w) for x, w in zip(row, widths)) for row in rows]
        return "\n".join(line.rstrip() for line in lines)

    def __repr__(self) -> str:
        from ..report import score_text

        best = self.best
        return (f"EvaluationResult({len(self.results)} combinations on {self.dataset['name']!r} "
                f"({self.dataset['n_used']} images, {len(self.classes)} classes); best {best.name!r}: "
                f"{self.rank_by} {score_text(best, self.rank_by)})")
