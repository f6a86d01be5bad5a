"""The JSON report: a documented, versioned schema.

Schema (``schema_version`` 1). Fields are only ever added within a schema version;
renaming or removing one bumps it. Floats that are not finite (an infinite t
statistic) are written as ``null``.

.. code-block:: text

    {
      "schema_version": 1,
      "generator": "featclf 0.1.0",
      "created": "2026-11-21T10:00:00+00:00",     # UTC, ISO 8601
      "mode": "cv" | "split",                     # K-fold cross-validation, or train/test
      "rank_by": "accuracy",                      # metric that picks the best and is compared
      "dataset": {
        "name": str, "n_images": int,             # images in the dataset
        "fingerprint": str,                       # sha256 over the sources (path, size, mtime;
                                                  # in-memory bytes) and labels: featclf.stages.
                                                  # dataset_fingerprint; added within version 1
        "n_used": int,                            # images every extractor could read
        "n_classes": int, "classes": [str],
        "class_counts": {class: int},             # images used, per class
        "imbalance_ratio": float | null,          # largest class count / smallest
        "left_out": {                             # entries a folder scan did not take (0 for other
          "n": int,                               # datasets); added within version 1
          "kinds": {kind: int},                   # e.g. "not an image format", "hidden", "symlink loop"
          "extensions": {ext: int},               # files left out for their format, by extension
          "examples": [{"path", "kind", "detail"}]  # the first 20
        },
        "test": {same fields} | null              # the test set in "split" mode
      },
      "classes": [str],                           # class order of every matrix and list
      "results": [                                # one per extractor x classifier
        {
          "extractor": str, "classifier": str,    # labels, e.g. "hog:orientations=12", "svm"
          "extractor_spec": str | null,           # full spec strings: featclf.models.from_spec(spec)
          "classifier_spec": str | null,          # rebuilds the object (null: no spec names it);
                                                  # added within version 1
          "extractor_params": {},                 # every parameter, defaults resolved (for "cnn":
                                                  # backbone, input_size, pooling, weights,
                                                  # weights_source, backbone_config); complete
                                                  # since issue 11 (was: the parameters given);
                                                  # run settings (on_error, n_jobs, verbose,
                                                  # max_pixels) as they ran, as in "config"
          "classifier_params": {                  # the full configuration (since issue 11 fixes;
            "spec": str | null,                   # was: the parameters given): the spec with every
            "class": str,                         # parameter, defaults included; the estimator's
            "params": {}                          # class and every get_params(deep=False) value,
          },                                      # pipeline "steps" as [[name, {class, params}]]
          "n_features": int,
          "accuracy_mean": float,
          "accuracy_std": float,                  # population std (ddof=0) of the fold scores
          "fold_scores": [float],                 # accuracy of each fold, in fold order
          "balanced_accuracy_mean": float, "balanced_accuracy_std": float,
          "balanced_accuracy_fold_scores": [float],
          "f1_macro_mean": float, "f1_macro_std": float, "f1_macro_fold_scores": [float],
          "per_class": {class: {"precision": float, "recall": float, "f1": float, "support": int}},
          "confusion_matrix": [[int]],            # summed over folds; rows = true class, columns =
                                                  # predicted class, both in "classes" order
          "timings": {
            "extract_s": float,                   # this extractor's features (computed once, shared
                                                  # by every classifier combined with it): its fit,
                                                  # plus its share of the one pass that decodes each
                                                  # image once for every extractor (decoding split
                                                  # equally, computation as measured)
            "fit_s": float, "predict_s": float    # summed over folds
          },
          "warnings": [str],                      # distinct warnings while fitting (e.g. convergence)
          "rank": int,                            # 1 = best by rank_by
          "is_best": bool
        }
      ],
      "best": {"extractor": str, "classifier": str, "metric": str, "mean": float, "std": float},
      "comparisons": [                            # every other combination vs the best, same folds
        {
          "extractor": str, "classifier": str, "metric": str,
          "mean_difference": float,               # best minus this one
          "method": "nadeau-bengio",              # corrected resampled t-test (cv mode)
          "t": float | null, "df": int, "p_value": float | null
          # or, in split mode: "method": "mcnemar", "n_best_only": int, "n_other_only": int,
          # "p_value": float (exact two-sided McNemar test on the test images)
        }
      ],
      "skipped": [                                # every image left out
        {"source": str, "reason": str, "split": "train" | "test", "extractors": [str]}
      ],
      "config": {
        "mode": str,
        "cv": int | str | "split",                # K for cv=K; the splitter's repr when one was given
        "n_folds": int,
        "splitter": str | null,                   # the splitter that made the folds, as given (repr);
                                                  # for cv=K the StratifiedKFold (or, with groups,
                                                  # StratifiedGroupKFold) it stands for
        "random_state": int | null,               # the seed, only where one was used (cv=K); a
                                                  # splitter keeps its own (in its repr)
        "groups": {"n_groups": int, "source": "argument" | "dataset"} | null,  # added within version 1
        "fit_threads": int,                       # native threads per fit (same for every n_jobs);
                                                  # added within version 1
        "rank_by": str, "on_error": str, "n_jobs": int | null,
        "fold_sizes": [{"train": int, "test": int}],
        "extractors": [{"label": str, "name": str, "spec": str | null,   # spec: added within version 1
                        "params": {},                                   # as results' extractor_params
                        "fitted": {"image_size": [int, int] | null,   # as featurised (null: any size)
                                   "size_rule": str}}],               # why: "native: ...", "default: ...",
                                                                      # "size: ..." or "any: ..."
        "classifiers": [{"label": str, "name": str, "spec": str | null,
                         "params": {}}],                                # as results' classifier_params
        "features": str
      },
      "versions": {"featclf": str, "python": str, "numpy": str, "scikit-learn": str, "scipy": str,
                   "opencv": str, "pillow": str, "matplotlib": str | null, "torch": str | null,
                   "platform": str}
    }
"""

from __future__ import annotations

import json
import math

import numpy as np

__all__ = ["SCHEMA_VERSION", "json_ready", "result_to_dict", "write_json"]

SCHEMA_VERSION = 1


def json_ready(value):
    """Numpy scalars and arrays to plain Python, recursively; non-finite floats to None (JSON has no NaN)."""
    if isinstance(value, dict):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(v) for v in value]
    if isinstance(value, np.ndarray):
        return json_ready(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def ranking(result) -> list[int]:
    """Indices of ``result.results`` from best to worst by ``rank_by`` (stable on ties)."""
    metric = result.rank_by
    order = sorted(range(len(result.results)), key=lambda i: -result.results[i].mean(metric))
    best = result.best_index  # keep the designated best first even on exact ties
    return [best] + [i for i in order if i != best]


def _combination(r, rank, is_best) -> dict:
    out = {
        "extractor": r.extractor,
        "classifier": r.classifier,
        "extractor_spec": r.extractor_spec,
        "classifier_spec": r.classifier_spec,
        "extractor_params": r.extractor_params,
        "classifier_params": r.classifier_params,
        "n_features": r.n_features,
        "accuracy_mean": r.mean("accuracy"),
        "accuracy_std": r.std("accuracy"),
        "fold_scores": r.fold_scores["accuracy"],
        "balanced_accuracy_mean": r.mean("balanced_accuracy"),
        "balanced_accuracy_std": r.std("balanced_accuracy"),
        "balanced_accuracy_fold_scores": r.fold_scores["balanced_accuracy"],
        "f1_macro_mean": r.mean("f1_macro"),
        "f1_macro_std": r.std("f1_macro"),
        "f1_macro_fold_scores": r.fold_scores["f1_macro"],
        "per_class": r.per_class,
        "confusion_matrix": r.confusion_matrix,
        "timings": {"extract_s": r.extract_s, "fit_s": r.fit_s, "predict_s": r.predict_s},
        "warnings": list(r.warnings),
        "rank": rank,
        "is_best": is_best,
    }
    return out


def result_to_dict(result) -> dict:
    """The report as JSON-ready data, following the schema in this module's docstring."""
    from .._version import __version__

    ranks = {index: position + 1 for position, index in enumerate(ranking(result))}
    best = result.best
    data = {
        "schema_version": SCHEMA_VERSION,
        "generator": f"featclf {__version__}",
        "created": result.created,
        "mode": result.mode,
        "rank_by": result.rank_by,
        "dataset": result.dataset,
        "classes": list(result.classes),
        "results": [_combination(r, ranks[i], i == result.best_index) for i, r in enumerate(result.results)],
        "best": {"extractor": best.extractor, "classifier": best.classifier, "metric": result.rank_by,
                 "mean": best.mean(result.rank_by), "std": best.std(result.rank_by)},
        "comparisons": result.comparisons,
        "skipped": result.skipped,
        "config": result.config,
        "versions": result.versions,
    }
    return json_ready(data)


def write_json(result, path=None, *, indent: int = 2) -> str:
    """Serialise ``result`` (writing it to ``path`` when given) and return the text."""
    text = json.dumps(result_to_dict(result), indent=indent, ensure_ascii=False, allow_nan=False)
    if path is not None:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text + "\n")
    return text
