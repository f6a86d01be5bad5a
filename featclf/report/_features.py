"""Features to a file: what ``featclf extract`` writes, readable with numpy alone.

One row per input, always: an input an extractor could not use keeps its row (NaN)
and is marked in that extractor's ``kept`` mask and listed, with its reason, in the
record. Nothing in the file needs unpickling.

``.npz`` layout (:func:`numpy.load` with ``allow_pickle=False``; strings are unicode
arrays, the record is JSON)::

    sources                  <U  (n,)      each input's path, or "item N (type)"
    labels                   int64 (n,)    class index of each input; -1 when unlabelled
    class_names              <U  (k,)      class names, in label order (empty when unlabelled)
    extractors               <U  (e,)      the key of each extractor: its full spec string
    kept                     bool (n,)     inputs every extractor could use
    features/KEY             float32 (n, f)  one row per input; NaN where KEY's extractor skipped it
    kept/KEY                 bool (n,)     inputs KEY's extractor could use
    feature_names/KEY        <U  (f,)      column names, when the extractor has get_feature_names_out
    record                   <U  ()        JSON: format, version, n_inputs, dataset (name, fingerprint,
                                           class counts), extractors (spec, label, params with
                                           defaults resolved, fitted image size and rule, n_features,
                                           seconds, details), skipped ([{index, source, reason,
                                           extractors}]), versions, created

``.parquet`` (needs pyarrow): one row per input, columns ``source``, ``label``
(class name or null), ``kept`` and, per extractor, ``KEY/kept`` and one float32
column per feature (``KEY/NAME``); the record as JSON in the schema metadata
under ``featclf``.
"""

from __future__ import annotations

import datetime
import json
import os

import numpy as np

from .._optional import import_optional
from ..engine import merge_skipped
from ..exceptions import InvalidParameterError, MissingDependencyError
from ..stages import collect_versions, dataset_fingerprint
from ._json import json_ready
from ._output import check_output_dir

__all__ = ["FEATURES_FORMAT", "FEATURE_FILE_SUFFIXES", "check_features_path", "read_features", "write_features"]

FEATURES_FORMAT = "featclf-features"
FEATURES_VERSION = 1
FEATURE_FILE_SUFFIXES = (".npz", ".parquet")


def check_features_path(path, *, option: str = "path") -> str:
    """Check, before any extraction, that features can be written to ``path``.

    Parameters
    ----------
    path : str or path-like
        Ends in ``.npz`` or ``.parquet``; not a folder; its folder is writable, or can
        be created (:func:`featclf.report.check_output_dir`).
    option : str, default='path'
        How the path is named in messages (``'-o'`` on the command line).

    Returns
    -------
    str
        The suffix, ``'.npz'`` or ``'.parquet'``.

    Raises
    ------
    InvalidParameterError
        Another suffix, a folder, or a folder that cannot be written in or created
        (as :func:`check_output_dir`).
    MissingDependencyError
        ``.parquet`` without pyarrow (the message says how to install it, or to use ``.npz``).
    """
    path = os.fspath(path)
    if os.path.isdir(path):
        raise InvalidParameterError(f"{option} {path} is a folder: name a file inside it, e.g. {path}/features.npz.")
    suffix = os.path.splitext(path)[1].lower()
    if suffix not in FEATURE_FILE_SUFFIXES:
        raise InvalidParameterError(
            f"{option} {path}: features are written to a .npz file (numpy) or a .parquet file (pyarrow); "
            f"name the file e.g. {os.path.splitext(path)[0] or 'features'}.npz."
        )
    check_output_dir(os.path.dirname(os.path.abspath(path)), option=option)
    if suffix == ".parquet":
        try:
            import_optional("pyarrow", purpose="Writing features to .parquet")
        except MissingDependencyError as exc:
            raise MissingDependencyError(f"{exc} (or write {os.path.splitext(path)[0]}.npz, which needs numpy "
                                         "only).") from exc
    return suffix


def _column_names(extractor, n_features: int):
    getter = getattr(extractor, "get_feature_names_out", None)
    if getter is None:
        return None
    try:
        names = np.asarray(getter(), dtype=str)
    except Exception:  # noqa: BLE001 - a transformer whose names need input features: none recorded
        return None
    return names if names.shape == (n_features,) else None


def write_features(path, dataset, keys, labels, extractors, feature_sets) -> dict:
    """Write the features of fitted extractors on ``dataset``, one row per input (see the module docstring).

    Parameters
    ----------
    path : str or path-like
        ``.npz`` or ``.parquet`` (checked with :func:`check_features_path`).
    dataset : ImageDataset
        The inputs, in order (labels and classes when labelled).
    keys : list of str
        A unique key per extractor (its full spec string).
    labels : list of str
        A readable label per extractor.
    extractors : list of fitted transformers
        As run by :func:`featclf.stages.compute_features` (their configuration is recorded).
    feature_sets : list of FeatureSet
        From :func:`featclf.stages.compute_features` on ``dataset``.

    Returns
    -------
    dict
        The record written (JSON-ready).

    Raises
    ------
    InvalidParameterError
        Keys not unique, or as :func:`check_features_path`.
    MissingDependencyError
        ``.parquet`` without pyarrow.
    OSError
        The file cannot be written.
    """
    from ..models import describe_extractor
    suffix = check_features_path(path)
    check_output_dir(os.path.dirname(os.path.abspath(path)), create=True)
    if len(set(keys)) != len(keys):
        twice = next(k for k in keys if keys.count(k) > 1)
        raise InvalidParameterError(f"The extractor {twice!r} is given twice: give each extractor once.")
    n = len(dataset)
    sources = np.asarray([dataset.describe(i) if not isinstance(s, (str, os.PathLike)) else os.fspath(s)
                          for i, s in enumerate(dataset.sources)], dtype=str).reshape(n)
    has_labels = getattr(dataset, "labels", None) is not None
    y = np.asarray(dataset.labels, dtype=np.int64) if has_labels else np.full(n, -1, np.int64)
    classes = np.asarray(list(dataset.classes) if has_labels else [], dtype=str)
    records = [fs.train for fs in feature_sets]
    kept_all = np.ones(n, bool)
    arrays, entries = {}, []
    for key, label, extractor, fs, record in zip(keys, labels, extractors, feature_sets, records):
        full = np.full((n, fs.n_features), np.nan, dtype=np.float32)
        full[record.indices] = record.features
        kept = np.zeros(n, bool)
        kept[record.indices] = True
        kept_all &= kept
        arrays[f"features/{key}"], arrays[f"kept/{key}"] = full, kept
        names = _column_names(extractor, fs.n_features)
        if names is not None:
            arrays[f"feature_names/{key}"] = names
        entries.append({"spec": key, "label": label, "params": describe_extractor(extractor),
                        "fitted": fs.fitted, "n_features": fs.n_features, "seconds": fs.seconds,
                        "details": record.details})
    fingerprint = dataset_fingerprint(dataset)
    meta = {
        "format": FEATURES_FORMAT, "version": FEATURES_VERSION, "n_inputs": n,
        "dataset": {"name": getattr(dataset, "name", "images"), **fingerprint},
        "extractors": entries,
        "skipped": merge_skipped(records, list(keys)),
        "versions": collect_versions(),
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
    text = json.dumps(json_ready(meta), ensure_ascii=False, allow_nan=False)
    if suffix == ".npz":
        with open(path, "wb") as f:
            np.savez_compressed(f, sources=sources, labels=y, class_names=classes,
                                extractors=np.asarray(keys, dtype=str), kept=kept_all, record=np.asarray(text),
                                **arrays)
    else:
        _write_parquet(path, sources, y, classes, keys, arrays, kept_all, text)
    return json.loads(text)


def _write_parquet(path, sources, y, classes, keys, arrays, kept_all, text):
    pa = import_optional("pyarrow", purpose="Writing features to .parquet")
    parquet = import_optional("pyarrow.parquet", purpose="Writing features to .parquet")
    columns = {"source": pa.array(sources.tolist()),
               "label": pa.array([str(classes[v]) if v >= 0 else None for v in y], type=pa.string()),
               "kept": pa.array(kept_all)}
    for key in keys:
        features = arrays[f"features/{key}"]
        names = arrays.get(f"feature_names/{key}")
        names = names.tolist() if names is not None else [str(j) for j in range(features.shape[1])]
        columns[f"{key}/kept"] = pa.array(arrays[f"kept/{key}"])
        for j, name in enumerate(names):
            columns[f"{key}/{name}"] = pa.array(features[:, j], type=pa.float32())
    table = pa.table(columns).replace_schema_metadata({"featclf": text})
    parquet.write_table(table, path)


def read_features(path) -> dict:
    """Read a ``.npz`` features file back with numpy alone (``allow_pickle=False``).

    Returns
    -------
    dict
        ``sources``, ``labels``, ``class_names``, ``extractors``, ``kept`` (arrays),
        ``features``, ``kept_by``, ``feature_names`` (dicts keyed by extractor key) and
        ``record`` (the parsed JSON).

    Raises
    ------
    InvalidParameterError
        Not a featclf features file.
    """
    with np.load(path, allow_pickle=False) as data:
        if "record" not in data.files:
            raise InvalidParameterError(f"{path} is not a featclf features file (no 'record' in it).")
        record = json.loads(str(data["record"]))
        keys = [str(k) for k in data["extractors"]]
        return {
            "sources": data["sources"], "labels": data["labels"], "class_names": data["class_names"],
            "extractors": keys, "kept": data["kept"],
            "features": {k: data[f"features/{k}"] for k in keys},
            "kept_by": {k: data[f"kept/{k}"] for k in keys},
            "feature_names": {k: data[f"feature_names/{k}"] for k in keys if f"feature_names/{k}" in data.files},
            "record": record,
        }
