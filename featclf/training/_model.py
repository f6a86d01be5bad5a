"""Saved models: :func:`train`, :class:`Model` (extractor + classifier predicting class names), :func:`load_model`.

A model is trained on every image of a labelled collection (no folds: :func:`featclf.evaluate`
says how well a combination does; :meth:`EvaluationResult.fit_best` trains the best one).
Its features go through the shared stages (:func:`featclf.stages.compute_features` to
train, :func:`featclf.stages.extract_features` to predict), so unreadable images are
recorded with their reason, never dropped silently.

A saved model is one zip file (:mod:`featclf.stages._saved`): ``manifest.json``, readable
without loading anything (:func:`read_model_manifest`, ``featclf info MODEL``), beside the
pickled model. **Loading a model file runs code** (a pickle, as any scikit-learn model):
load only files you trust.
"""

from __future__ import annotations

import contextlib
import csv
import datetime
import hashlib
import io
import os
import warnings
from dataclasses import dataclass

import numpy as np
from sklearn.utils.metaestimators import available_if

from .._validation import ON_ERROR_OPTIONS, check_int, check_n_jobs, check_option
from ..datasets import ImageDataset
from ..engine import as_sources, warn_skipped
from ..exceptions import DatasetError, FeatclfError, InvalidParameterError, ModelFileError, SkippedImagesError
from ..io import DEFAULT_MAX_PIXELS, check_max_pixels, describe_source
from ..models import check_classifier_fits, describe_estimator, resolve_classifier, resolve_extractor
from ..stages import (
    check_cache_setting,
    check_extractor_ready,
    collect_versions,
    compute_features,
    configure_extractor,
    dataset_fingerprint,
    extract_features,
    fitted_settings,
    load_saved,
    log_step,
    read_manifest,
    run_cache_dir,
    save_payload,
)

__all__ = ["FORMAT", "Model", "Prediction", "Predictions", "load_model", "read_model_manifest", "train"]

FORMAT = "featclf-model"


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def describe_cnn(extractor) -> dict | None:
    """For a fitted CNN extractor: backbone, weights source and file, SHA-256 of that file, input size, pooling.

    None for extractors without a ``weights_file`` method (every extractor but the CNN's).
    """
    if not hasattr(extractor, "weights_file") or not hasattr(extractor, "backbone_config_"):
        return None
    config = extractor.backbone_config_
    path = extractor.weights_file()
    return {
        "backbone": config.name,
        "weights_source": config.weights if extractor.weights is None else f"file given: {os.fspath(extractor.weights)}",
        "weights_file": path,
        "weights_sha256": _sha256(path) if path is not None and os.path.isfile(path) else None,
        "input_size": [int(v) for v in config.input_size],
        "pooling": extractor.pooling,
        "embedding_dim": int(extractor.n_features_out_),
        "license": config.license,
    }


# --------------------------------------------------------------------------- predictions
@dataclass(frozen=True)
class Prediction:
    """The prediction for one input.

    Attributes
    ----------
    index : int
        Position of the input in what was passed.
    source : str
        Its path, or ``"item N (type)"`` for in-memory images.
    label : str or None
        Predicted class name (what :meth:`Model.predict` gives); None when the input
        could not be read (``reason`` says why).
    score : float or None
        The probability of ``label`` when the classifier has ``predict_proba``, else its
        decision score (``decision_function``), else None.
    top_k : tuple of (str, float)
        The ``k`` classes of highest probability (or score), best first.
    reason : str or None
        Why the input has no prediction (unreadable, too large, ...); None when it has one.
    """

    index: int
    source: str
    label: str | None
    score: float | None
    top_k: tuple = ()
    reason: str | None = None


class Predictions(list):
    """One :class:`Prediction` per input, in input order (a list), with CSV and table exports.

    Attributes
    ----------
    score_kind : {'probability', 'score', None}
        What ``Prediction.score`` holds: a probability (``predict_proba``), a decision
        score (``decision_function``), or nothing (a classifier with neither).
    """

    def __init__(self, records, score_kind):
        super().__init__(records)
        self.score_kind = score_kind

    @property
    def labels(self) -> list:
        """The predicted class names, None for unreadable inputs (one per input)."""
        return [p.label for p in self]

    @property
    def skipped(self) -> list:
        """The predictions without a label (unreadable inputs), with their reason."""
        return [p for p in self if p.reason is not None]

    def _rows(self, digits=None):
        kind = self.score_kind or "score"

        def number(v):
            return "" if v is None else (repr(float(v)) if digits is None else f"{v:.{digits}f}")

        header = ["path", "label", kind, "top_k", "reason"]
        rows = [[p.source, p.label or "", number(p.score),
                 "; ".join(f"{name} {number(v)}" for name, v in p.top_k), p.reason or ""] for p in self]
        return header, rows

    def to_csv(self, path=None) -> str:
        """The predictions as CSV (columns ``path, label, probability|score, top_k, reason``); written to ``path``.

        ``top_k`` is ``"name value; name value; ..."``, best first; ``reason`` is empty for
        predicted inputs. Numbers are written exactly (Python's shortest round-trip repr).

        Returns
        -------
        str
        """
        header, rows = self._rows()
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
        text = buffer.getvalue()
        if path is not None:
            with open(path, "w", encoding="utf-8", newline="") as f:
                f.write(text)
        return text

    def to_table(self) -> str:
        """The predictions as an aligned plain-text table (what ``featclf predict`` prints without ``-o``)."""
        header, rows = self._rows(digits=3)
        widths = [max(len(str(x)) for x in column) for column in zip(header, *rows)]
        lines = ["  ".join(str(x).ljust(w) for x, w in zip(header, widths))]
        lines.append("  ".join("-" * w for w in widths))
        lines += ["  ".join(str(x).ljust(w) for x, w in zip(row, widths)) for row in rows]
        return "\n".join(line.rstrip() for line in lines)


# --------------------------------------------------------------------------- the model
def _classifier_has(name):
    """For ``available_if``: the model has ``name`` when its classifier has it (as scikit-learn's Pipeline)."""
    def check(model):
        if not hasattr(model.classifier_, name):
            raise AttributeError(f"This model's classifier ({model.classifier_label}) has no {name}"
                                 + ("; use decision_function." if name == "predict_proba" else "; use predict_proba."))
        return True
    return check


class Model:
    """A fitted extractor and classifier that predict class **names** from images.

    Made by :func:`featclf.train`, :meth:`EvaluationResult.fit_best` and
    :meth:`EvaluationResult.fit`; saved with :meth:`save`, loaded with
    :func:`featclf.load_model`.

    Attributes
    ----------
    extractor_ : transformer
        The fitted extractor (its image size chosen on the training images).
    classifier_ : scikit-learn classifier
        Fitted on the extractor's features; it predicts class indices of ``class_names_``.
    classes_ : ndarray of shape (n_classes,), object (str)
        The class names the classifier knows, in the order of the columns of
        :meth:`predict_proba` and :meth:`decision_function`.
    extractor_label, classifier_label : str
        Spec labels (``'hog:size=64x64'``, ``'svm'``).
    training_ : dict
        The training data: ``name``, ``fingerprint`` (:func:`featclf.stages.dataset_fingerprint`
        with ``content=True``: ``n_images``, ``sha256`` over the files' contents and the labels,
        ``class_counts``), ``n_used``, ``n_skipped``, ``class_counts``
        (images used per class), and the run settings (``on_error``, ``max_pixels``).
    evaluation_ : dict or None
        The evaluation figures the model came with (:meth:`EvaluationResult.fit_best`).
    versions_ : dict
        Library versions it was trained with (:func:`featclf.stages.collect_versions`).
    created_ : str
        ISO time of training.
    """

    def __init__(self, extractor, classifier, class_names, *, extractor_label, classifier_label, training,
                 evaluation=None, versions=None, created=""):
        self.extractor_ = extractor
        self.classifier_ = classifier
        self.class_names_ = list(class_names)
        self.extractor_label = extractor_label
        self.classifier_label = classifier_label
        self.training_ = training
        self.evaluation_ = evaluation
        self.versions_ = versions if versions is not None else collect_versions()
        self.created_ = created
        self.classes_ = np.asarray([self.class_names_[int(k)] for k in classifier.classes_], dtype=object)

    def __repr__(self) -> str:
        return (f"Model({self.extractor_label!r} + {self.classifier_label!r}, {len(self.classes_)} classes, trained "
                f"on {self.training_.get('n_used')} images of {self.training_.get('name')!r})")

    # -- features ------------------------------------------------------------------------
    def _extract(self, X, verbose=0):
        """The extraction record of ``X`` (every input a row or skipped with its reason) and the source names."""
        sources = getattr(X, "sources", None)
        sources = as_sources(X) if sources is None else sources
        record = extract_features([self.extractor_], X, on_error="skip", verbose=verbose)[0]
        return record, sources

    def _strict(self, X):
        """Features with one row per input, or an error naming the inputs that cannot be read."""
        record, _ = self._extract(X)
        if record.skipped:
            shown = "; ".join(f"{s.source}: {s.reason}" for s in record.skipped[:5])
            raise SkippedImagesError(
                f"{len(record.skipped)} of {record.n_inputs} images cannot be read, so no prediction can be returned "
                f"for them ({shown}{' ...' if len(record.skipped) > 5 else ''}). Use model.predict_records(X), which "
                "keeps one row per input with the reason, or leave those files out.",
                record.skipped, record.n_inputs)
        return record.features

    @contextlib.contextmanager
    def _classifier_errors(self):
        """Any error of the classifier while predicting, as one featclf error naming it (not a raw traceback)."""
        try:
            yield
        except FeatclfError:
            raise
        except Exception as exc:  # noqa: BLE001 - a third-party classifier may raise anything
            raise InvalidParameterError(
                f"This model's classifier {self.classifier_label!r} failed to predict: {type(exc).__name__}: "
                f"{' '.join(str(exc).split())} Train the model again with other classifier parameters (featclf "
                "train DATA -c SPEC)."
            ) from exc

    def _names(self, indices) -> np.ndarray:
        return np.asarray([self.class_names_[int(k)] for k in indices], dtype=object)

    # -- the scikit-learn face -----------------------------------------------------------
    def predict(self, X) -> np.ndarray:
        """Predicted class name of each input.

        Parameters
        ----------
        X : list of image sources (paths, arrays, PIL images, bytes), dataset, or ndarray of shape (N, H, W[, C])

        Returns
        -------
        ndarray of shape (n_inputs,), object (str)

        Raises
        ------
        SkippedImagesError
            Some inputs cannot be read (listed; :meth:`predict_records` keeps their rows).
        """
        X = self._strict(X)
        with self._classifier_errors():
            return self._names(self.classifier_.predict(X))

    @available_if(_classifier_has("predict_proba"))
    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, columns in the order of ``classes_`` (classifiers with ``predict_proba``).

        Returns
        -------
        ndarray of shape (n_inputs, n_classes), float64

        Raises
        ------
        AttributeError
            The classifier has no ``predict_proba`` (e.g. the ``svm`` preset: use
            :meth:`decision_function`); ``hasattr(model, 'predict_proba')`` is then False.
        SkippedImagesError
            As :meth:`predict`.
        """
        X = self._strict(X)
        with self._classifier_errors():
            return np.asarray(self.classifier_.predict_proba(X))

    @available_if(_classifier_has("decision_function"))
    def decision_function(self, X) -> np.ndarray:
        """Decision scores (classifiers with ``decision_function``), as the classifier gives them.

        Returns
        -------
        ndarray of shape (n_inputs, n_classes), or (n_inputs,) for two classes (positive: ``classes_[1]``)

        Raises
        ------
        AttributeError
            The classifier has no ``decision_function`` (e.g. ``rf``).
        SkippedImagesError
            As :meth:`predict`.
        """
        X = self._strict(X)
        with self._classifier_errors():
            return np.asarray(self.classifier_.decision_function(X))

    @property
    def score_kind(self) -> str | None:
        """``'probability'`` (``predict_proba``), ``'score'`` (``decision_function``) or None."""
        if hasattr(self.classifier_, "predict_proba"):
            return "probability"
        if hasattr(self.classifier_, "decision_function"):
            return "score"
        return None

    def predict_records(self, X, *, top_k: int = 3, verbose: int = 0) -> Predictions:
        """One :class:`Prediction` per input, in input order: label, probability or score, top-k, or the reason.

        Unreadable inputs keep their row (``label`` None, ``reason`` set): the output is
        never shorter than the input. Labels are the classifier's ``predict`` (the same as
        :meth:`predict`); ``score`` is the probability of that label (or its decision score).

        Parameters
        ----------
        X : list of image sources, dataset, or ndarray of shape (N, H, W[, C])
        top_k : int, default=3
            Classes listed per input, best first (at most the number of classes).
        verbose : int, default=0
            Progress bar of the extraction.

        Returns
        -------
        Predictions
            A list of :class:`Prediction`, with ``.to_csv(path)`` and ``.to_table()``.

        Raises
        ------
        InvalidParameterError
            The classifier fails to predict (e.g. ``n_neighbors`` above the images it was
            fitted on); the message names it.

        Notes
        -----
        No :class:`~featclf.exceptions.SkippedImagesWarning`: inputs that cannot be read keep
        their rows, with the reason (``Predictions.skipped``), so nothing is left out to warn of.
        """
        top_k = check_int("top_k", top_k, minimum=1, owner="predict_records")
        record, sources = self._extract(X, verbose=verbose)
        kind = self.score_kind
        predicted = scores = None
        if record.n_kept:
            with self._classifier_errors():
                # A Pipeline's preprocessing (scaling, PCA) runs once for predict and the scores, exactly as
                # Pipeline.predict runs it: the same numbers, one pass fewer.
                steps = getattr(self.classifier_, "steps", None)
                final = self.classifier_[-1] if steps and len(steps) > 1 else self.classifier_
                features = self.classifier_[:-1].transform(record.features) if final is not self.classifier_ \
                    else record.features
                predicted = np.asarray(final.predict(features))
                if kind == "probability":
                    scores = np.asarray(final.predict_proba(features), dtype=float)
                elif kind == "score":
                    scores = np.asarray(final.decision_function(features), dtype=float)
                    if scores.ndim == 1:  # two classes: the score is for classes_[1]
                        scores = np.column_stack([-scores, scores])
        out: list = [None] * record.n_inputs
        k = min(top_k, len(self.classes_))
        names = [self.class_names_[int(p)] for p in predicted] if record.n_kept else []
        inputs = record.indices.tolist()
        if scores is not None:  # top-k of every row at once; Python floats and names for the records
            order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
            top_names = self.classes_[order].tolist()
            top_scores = np.take_along_axis(scores, order, axis=1).tolist()
            column = {int(c): j for j, c in enumerate(self.classifier_.classes_)}
            own = scores[np.arange(len(predicted)), [column[int(p)] for p in predicted]].tolist()
            for row, index in enumerate(inputs):
                out[index] = Prediction(index, describe_source(sources[index], index), names[row], own[row],
                                        tuple(zip(top_names[row], top_scores[row])))
        else:
            for row, index in enumerate(inputs):
                out[index] = Prediction(index, describe_source(sources[index], index), names[row], None,
                                        ((names[row], None),))
        for skipped in record.skipped:
            out[skipped.index] = Prediction(int(skipped.index), str(skipped.source), None, None, (),
                                            str(skipped.reason))
        return Predictions(out, kind)

    # -- saving --------------------------------------------------------------------------
    def manifest(self) -> dict:
        """What the saved file's ``manifest.json`` records (plain JSON data), read back by :func:`read_model_manifest`."""
        extractor = {"label": self.extractor_label, **describe_estimator(self.extractor_),
                     "fitted": fitted_settings(self.extractor_),
                     "n_features": int(getattr(self.extractor_, "n_features_out_", 0) or 0) or None}
        cnn = describe_cnn(self.extractor_)
        if cnn is not None:
            extractor["cnn"] = cnn
        return _json({
            "created": self.created_,
            "versions": self.versions_,
            "extractor": extractor,
            "classifier": {"label": self.classifier_label, **describe_estimator(self.classifier_)},
            "classes": [str(c) for c in self.classes_],
            "score_kind": self.score_kind,
            "training": self.training_,
            "evaluation": self.evaluation_,
        })

    def save(self, path) -> None:
        """Save the model to one file (a zip: ``manifest.json`` + the pickled model), to predict elsewhere.

        The manifest (readable without loading anything: ``featclf info MODEL``,
        :func:`read_model_manifest`) records the library versions, the extractor's and
        classifier's full configuration (for a CNN: backbone, weights source, SHA-256 of
        the weights file, input size, pooling), the class names, a fingerprint of the
        training data and the evaluation figures, if any. A CNN's weights are not in the
        file: they are reloaded from the same file on use, and :func:`load_model` refuses
        a file whose checksum changed. Written to a temporary file first, then renamed: an
        existing file is replaced only by a complete one.

        Raises
        ------
        ModelFileError
            ``path`` is a folder, or its folder does not exist or cannot be written.
        """
        save_payload(self, path, self.manifest(), kind=FORMAT)


def _json(value):
    from ..report import json_ready

    return json_ready(value)


def read_model_manifest(path) -> dict:
    """The manifest of a saved model, read without unpickling anything (safe on any file).

    Raises
    ------
    ModelFileError
        No such file, not a zip archive, not a featclf model (e.g. a saved clustering), or a newer format.
    """
    return read_manifest(path, kind=FORMAT)


def load_model(path, *, accept_changed_weights: bool = False) -> Model:
    """Load a model saved with :meth:`Model.save` (or ``featclf train``).

    **Loading runs code** from the file (a pickle, as any scikit-learn model): load only
    files you trust. Its manifest alone can be read safely with
    :func:`read_model_manifest` (``featclf info MODEL``).

    Parameters
    ----------
    path : str or path-like
    accept_changed_weights : bool, default=False
        Load a CNN model even though its weights file no longer matches the checksum
        recorded when it was saved (its features, hence its predictions, change).

    Returns
    -------
    Model

    Warns
    -----
    VersionMismatchWarning
        Saved with other versions of featclf or of the libraries that make its numbers
        (scikit-learn, numpy, SciPy, torch, OpenCV, ...): the message lists them.

    Raises
    ------
    ModelFileError
        No such file; not a featclf model file (or a saved clustering); damaged
        (truncated, altered) or needing libraries not installed; a newer format; a CNN
        whose weights file is missing or changed (naming both checksums), unless
        ``accept_changed_weights``.

    Examples
    --------
    >>> model = featclf.train(featclf.load_digits(), "pixels", "logreg", verbose=0)  # doctest: +SKIP
    >>> model.save("digits.featclf")                                                 # doctest: +SKIP
    >>> featclf.load_model("digits.featclf").predict(images)                         # doctest: +SKIP
    array(['3', '7'], dtype=object)
    """
    model, manifest = load_saved(path, expected=Model, kind=FORMAT)
    cnn = (manifest.get("extractor") or {}).get("cnn") or {}
    recorded = cnn.get("weights_sha256")
    if recorded and not accept_changed_weights:
        weights = model.extractor_.weights_file()
        fix = "Restore that file, or load with accept_changed_weights=True (command line: --accept-changed-weights)"
        if weights is None or not os.path.isfile(weights):
            raise ModelFileError(f"{os.fspath(path)}: the CNN weights file it was saved with ({weights or cnn.get('weights_file')}) "
                                 f"is missing; its SHA-256 was {recorded}. {fix}.")
        now = _sha256(weights)
        if now != recorded:
            raise ModelFileError(
                f"{os.fspath(path)}: the CNN weights file {weights} changed since the model was saved (SHA-256 "
                f"{now}, recorded {recorded}): its features, hence its predictions, would differ. {fix}.")
    _check_manifest_describes(model, manifest, path)
    return model


def _check_manifest_describes(model, manifest: dict, path) -> None:
    """Refuse a file whose manifest (what ``featclf info`` shows) does not describe the model inside it."""
    import json

    actual = json.loads(json.dumps(model.manifest()))
    differ = [key for key in ("classes", "classifier", "score_kind", "extractor")
              if _without_cnn(actual.get(key)) != _without_cnn(manifest.get(key))]
    if differ:
        raise ModelFileError(
            f"{os.fspath(path)}: its manifest does not describe the model inside it ({', '.join(differ)} differ): the "
            "manifest was edited after saving, so featclf info shows something else than what would predict. Use "
            "the original file, or save the model again."
        )


def _without_cnn(entry):
    # the CNN's weights entry is checked above, against the weights file itself
    return {k: v for k, v in entry.items() if k != "cnn"} if isinstance(entry, dict) else entry


# --------------------------------------------------------------------------- training
def _check_labelled(data) -> ImageDataset:
    if not isinstance(data, ImageDataset):
        raise DatasetError(
            f"train needs a labelled featclf dataset; got {type(data).__name__}. Use featclf.ImageFolder(path), "
            "featclf.CSVManifest(csv), featclf.ArrayDataset(images, labels), featclf.load_digits() or "
            "featclf.load_fashion_mnist()."
        )
    if not data.is_labelled:
        raise DatasetError(f"{data.name}: train needs labelled images, and this dataset has no labels. Use "
                           "featclf.ImageFolder (one subfolder per class) or featclf.CSVManifest with a label column.")
    if len(data) == 0:
        raise DatasetError(f"{data.name}: the dataset holds no images.")
    return data


def _check_two_classes(y, classes, name, after=""):
    present = [classes[k] for k in np.unique(y)]
    if len(present) < 2:
        raise DatasetError(
            f"{name}: a classifier needs images of at least 2 classes{after}; got {len(present)} "
            f"({', '.join(map(repr, present)) or 'none'}). Add a folder (class) of images."
        )


def _seeded(estimator, random_state):
    """``estimator`` with every ``random_state`` parameter (nested ones too) set to ``random_state``."""
    keys = [k for k in estimator.get_params(deep=True) if k == "random_state" or k.endswith("__random_state")]
    return estimator.set_params(**{k: random_state for k in keys}) if keys else estimator


def fit_model(dataset, ext_component, clf_component, *, on_error="skip", n_jobs=None, verbose=0,
              max_pixels=DEFAULT_MAX_PIXELS, random_state=None, evaluation=None, cache_dir=None) -> Model:
    """Train a :class:`Model` from resolved components (:func:`train` after its checks; ``fit_best``).

    The extractor is configured and checked, fitted on ``dataset`` and its features computed
    through :func:`featclf.stages.compute_features`; the classifier (a clone) is fitted on
    the rows that could be read.
    """
    from sklearn.base import clone

    extractor = configure_extractor(ext_component, on_error, n_jobs, verbose, max_pixels)
    check_extractor_ready(extractor)
    classifier = clone(clf_component.estimator)
    if random_state is not None:
        classifier = _seeded(classifier, random_state)
    labels = np.asarray(dataset.labels)  # what scikit-learn checks only in fit or predict, before extraction
    check_classifier_fits(classifier, clf_component.label, len(labels), len(np.unique(labels)))
    log_step(verbose, f"extracting {ext_component.label} from {len(dataset)} images")
    features = compute_features([extractor], dataset, on_error=on_error, n_jobs=n_jobs, verbose=verbose,
                                cache_dir=run_cache_dir(cache_dir, [ext_component]))[0]
    record = features.train
    if record.skipped:
        warn_skipped(record.skipped, record.n_inputs)
    y = np.asarray(dataset.labels)[record.indices]
    if len(y) == 0:
        raise DatasetError(f"{dataset.name}: no image could be read; see the skipped files.")
    _check_two_classes(y, list(dataset.classes), dataset.name, " that could be read")
    log_step(verbose, f"fitting {clf_component.label} on {len(y)} images x {features.n_features} features")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        classifier.fit(record.features, y)
    classes = list(dataset.classes)
    counts = np.bincount(y, minlength=len(classes))
    training = {
        "name": dataset.name,
        "fingerprint": dataset_fingerprint(dataset, content=True),
        "n_used": int(len(y)),
        "n_skipped": len(record.skipped),
        "class_counts": {c: int(n) for c, n in zip(classes, counts)},
        "on_error": on_error,
        "max_pixels": max_pixels,
        "random_state": random_state,
    }
    return Model(extractor, classifier, classes, extractor_label=ext_component.label,
                 classifier_label=clf_component.label, training=training, evaluation=evaluation,
                 created=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"))


def train(data, extractor="hog", classifier="svm", *, n_jobs=None, on_error="skip", max_pixels=DEFAULT_MAX_PIXELS,
          random_state=None, verbose=1, cache_dir=None) -> Model:
    """Train one extractor + classifier on every image of a labelled collection.

    Parameters
    ----------
    data : ImageDataset
        Labelled images (:class:`featclf.ImageFolder`, :class:`featclf.CSVManifest`,
        :class:`featclf.ArrayDataset`, :func:`featclf.load_digits`, ...), of at least 2 classes.
    extractor : str, (name, params) or extractor object, default='hog'
        As in :func:`featclf.evaluate` (``'hog:size=64x64'``, ``featclf.HOG()``).
    classifier : str, (name, params) or scikit-learn classifier, default='svm'
        A preset name or spec (``'svm:C=1'``, ``'logreg'``) or any scikit-learn classifier.
    n_jobs : int, optional
        Parallel decoding workers (extractors whose own ``n_jobs`` is None).
    on_error : {'skip', 'raise'}, default='skip'
        Unreadable training images: skipped (warned, counted in ``training_``) or an error.
    max_pixels : int or None, default=178956970
        The largest image decoded (see :func:`featclf.load_image`).
    random_state : int, optional
        Set on every ``random_state`` parameter of the classifier (e.g. ``rf``'s); None
        keeps the classifier's own (the presets use 0).
    verbose : int, default=1
        Progress on stderr.
    cache_dir : str, path-like or False, optional
        Folder of the feature cache for this run, as in :func:`featclf.evaluate` (default:
        :func:`featclf.set_config`'s, else ``$FEATCLF_CACHE_DIR``; ``False``: none). The
        saved model does not carry it; :meth:`Model.predict` uses the global setting.

    Returns
    -------
    Model

    Raises
    ------
    DatasetError
        Unlabelled or empty data, or fewer than 2 classes (among the images that could be read).
    UnknownNameError, InvalidParameterError, MissingDependencyError
        An unknown name, a bad parameter, a missing optional dependency: all before any extraction.
    CacheError
        The cache folder is a file, cannot be written, or holds a damaged cache: before any extraction.

    Examples
    --------
    >>> import featclf
    >>> model = featclf.train(featclf.load_digits(), "pixels", "logreg", verbose=0)
    >>> model.classes_[:3].tolist()
    ['0', '1', '2']
    """
    data = _check_labelled(data)
    on_error = check_option("on_error", on_error, ON_ERROR_OPTIONS, "train")
    check_n_jobs(n_jobs, "train")
    check_int("verbose", verbose, minimum=0, owner="train")
    if random_state is not None:
        check_int("random_state", random_state, minimum=0, owner="train")
    max_pixels = check_max_pixels(max_pixels, "train")
    cache_dir = check_cache_setting(cache_dir, "train")
    _check_two_classes(np.asarray(data.labels), list(data.classes), data.name)
    ext_component = resolve_extractor(extractor)
    clf_component = resolve_classifier(classifier)
    return fit_model(data, ext_component, clf_component, on_error=on_error, n_jobs=n_jobs, verbose=verbose,
                     max_pixels=max_pixels, random_state=random_state, cache_dir=cache_dir)
