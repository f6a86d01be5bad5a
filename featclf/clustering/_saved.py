"""Saving and loading a fitted clustering: one zip file, a JSON manifest beside a joblib pickle.

Layout of the file (``format_version`` 1)::

    manifest.json       {"format": "featclf-clustering", "format_version": 1, "created",
                         "versions": {...}, "config": {...}, "n_clusters", "cluster_sizes",
                         "n_inputs", "dataset": {...}, "payload": "clustering.joblib"}
    clustering.joblib   the ClusteringResult, pickled by joblib

The manifest is read without unpickling anything (:func:`read_manifest`), so a file can be
inspected safely. Loading the payload **runs code** (it is a pickle): load only files you
trust, as with any scikit-learn model.

Kept in this one small module so that the saved-model format of the command line (issue
11) can take it over.
"""

from __future__ import annotations

import json
import os
import tempfile
import warnings
import zipfile

from .._public import user_stacklevel
from ..exceptions import FeatclfWarning, ModelFileError

__all__ = ["FORMAT", "FORMAT_VERSION", "check_save_path", "load_saved", "read_manifest", "save_payload"]

FORMAT = "featclf-clustering"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
PAYLOAD = "clustering.joblib"
#: Libraries whose version, when it differs from the saving one, is warned about on load:
#: those that pickle the fitted objects or change the numbers.
CHECKED_VERSIONS = ("featclf", "scikit-learn", "numpy", "scipy", "torch", "umap-learn", "opencv", "scikit-image")


def save_payload(obj, path, fields: dict) -> None:
    """Write ``obj`` (pickled by joblib) and a manifest of ``fields`` to ``path`` (see the module docstring).

    ``fields`` must be plain JSON (e.g. ``created``, ``versions``, ``config``); ``format``,
    ``format_version`` and ``payload`` are added. The archive is written to a temporary file
    in the same folder, then renamed over ``path``: an existing file is only ever replaced
    by a complete one, and nothing is left behind on error.

    Raises
    ------
    ModelFileError
        ``path`` is a folder, or its folder does not exist.
    """
    import joblib

    path = check_save_path(path)
    folder = os.path.dirname(os.path.abspath(path))
    manifest = {"format": FORMAT, "format_version": FORMAT_VERSION, **fields, "payload": PAYLOAD}
    text = json.dumps(manifest, indent=2, ensure_ascii=False, allow_nan=False)
    fd, tmp = tempfile.mkstemp(prefix=".featclf-", suffix=".tmp", dir=folder)
    os.close(fd)
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED) as archive:
            archive.writestr(MANIFEST, text)
            with archive.open(PAYLOAD, "w", force_zip64=True) as f:
                joblib.dump(obj, f)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def check_save_path(path, *, option: str | None = None) -> str:
    """Make sure a clustering can be saved to ``path``, before long work, without writing anything there.

    ``path`` must not be a folder, and its folder must exist and be writable (a temporary
    file is created there and removed). An existing file at ``path`` is fine: saving
    replaces it.

    Parameters
    ----------
    path : str or os.PathLike
    option : str, optional
        How the path was given, for the message (e.g. ``'--save'``).

    Returns
    -------
    path : str

    Raises
    ------
    ModelFileError
        ``path`` is a folder, or its folder does not exist or cannot be written in.
    """
    path = os.fspath(path)
    named = f"{option} {path}" if option else path
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise ModelFileError(f"{named}: is a folder; pass a file name to save the clustering to, e.g. "
                             f"{os.path.join(path, 'clusters.zip')}.")
    if os.path.exists(folder) and not os.path.isdir(folder):
        raise ModelFileError(f"{named}: {folder} is a file, not a folder; save to a file in a folder.")
    if not os.path.isdir(folder):
        raise ModelFileError(f"{named}: the folder {folder} does not exist; create it first.")
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise ModelFileError(f"{named}: cannot write in the folder {folder} ({exc.strerror or exc}); save to a "
                             "folder you can write in.") from None
    return path


def read_manifest(path) -> dict:
    """The manifest of a saved clustering, read without unpickling anything.

    Raises
    ------
    ModelFileError
        No such file, not a zip archive, no featclf manifest, or a newer format.
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise ModelFileError(f"{path}: no such file.")
    try:
        with zipfile.ZipFile(path) as archive:
            manifest = json.loads(archive.read(MANIFEST).decode("utf-8"))
    except (zipfile.BadZipFile, KeyError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFileError(
            f"{path}: not a featclf clustering file ({type(exc).__name__}: {exc}). Save one with result.save(path)."
        ) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ModelFileError(f"{path}: not a featclf clustering file (its manifest names no {FORMAT!r} format).")
    if not isinstance(manifest.get("format_version"), int) or manifest["format_version"] > FORMAT_VERSION:
        raise ModelFileError(
            f"{path}: saved in format version {manifest.get('format_version')!r}, newer than this featclf reads "
            f"({FORMAT_VERSION}). Upgrade featclf (pip install -U featclf)."
        )
    return manifest


def load_saved(path, *, expected: type):
    """Load the object saved in ``path`` (:func:`save_payload`'s layout), checking its versions and type.

    **Loading runs code** from the file (a pickle): load only files you trust.

    Warns
    -----
    FeatclfWarning
        Saved with other versions of the libraries in ``CHECKED_VERSIONS`` (listed).

    Raises
    ------
    ModelFileError
        Not a featclf file of this kind, a newer format, a payload that cannot be
        unpickled, or an object that is not an ``expected``.
    """
    import joblib

    from ..stages import collect_versions

    manifest = read_manifest(path)
    now = collect_versions()
    saved = manifest.get("versions") or {}
    changed = [f"{name} {saved.get(name)} -> {now.get(name)}" for name in CHECKED_VERSIONS
               if saved.get(name) is not None and saved.get(name) != now.get(name)]
    if changed:
        warnings.warn(
            f"{os.fspath(path)}: saved with other library versions ({'; '.join(changed)}); new images may be "
            "assigned differently than they would have been when it was saved.", FeatclfWarning,
            stacklevel=user_stacklevel(),
        )
    try:
        with zipfile.ZipFile(os.fspath(path)) as archive, archive.open(manifest.get("payload", PAYLOAD)) as f:
            obj = joblib.load(f)
    except (ImportError, AttributeError, EOFError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise ModelFileError(
            f"{os.fspath(path)}: the saved clustering cannot be loaded ({type(exc).__name__}: {exc}). Install the "
            "libraries it was saved with (listed in its manifest: featclf.clustering.read_manifest(path))."
        ) from None
    if not isinstance(obj, expected):
        raise ModelFileError(f"{os.fspath(path)}: holds a {type(obj).__name__}, not a {expected.__name__}.")
    return obj
