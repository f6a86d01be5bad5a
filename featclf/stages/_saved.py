"""Saved files of fitted objects (models, clusterings): one zip file, a JSON manifest beside a joblib pickle.

Layout of the file (``format_version`` 1)::

    manifest.json       {"format": "featclf-model" | "featclf-clustering", "format_version": 1,
                         "created", "versions": {...}, ... (what the kind records), "payload",
                         "payload_sha256"}
    <payload>.joblib    the fitted object, pickled by joblib

The SHA-256 of the payload is checked before anything is unpickled: a payload changed after
saving (a flipped byte, another pickle put in its place) is refused, never run.

The manifest is read without unpickling anything (:func:`read_manifest`), so a file can be
inspected safely (``featclf info MODEL``). Loading the payload **runs code** (it is a
pickle): load only files you trust, as with any scikit-learn model.

One module for every kind of saved file: :class:`featclf.training.Model` (``'featclf-model'``)
and :class:`featclf.clustering.ClusteringResult` (``'featclf-clustering'``).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import warnings
import zipfile

from .._public import user_stacklevel
from ..exceptions import ModelFileError, VersionMismatchWarning
from ._provenance import collect_versions

__all__ = ["FORMAT_VERSION", "KINDS", "load_saved", "read_manifest", "save_payload"]

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
#: Each kind of saved file: its ``format`` name, its payload's name in the zip, what it is
#: called in messages, and how a user saves one.
KINDS = {
    "featclf-model": {"payload": "model.joblib", "what": "model", "how": "model.save(path) or featclf train"},
    "featclf-clustering": {"payload": "clustering.joblib", "what": "clustering", "how": "result.save(path)"},
}
#: Libraries whose version, when it differs from the saving one, is warned about on load:
#: those that pickle the fitted objects or change the numbers.
CHECKED_VERSIONS = ("featclf", "scikit-learn", "numpy", "scipy", "torch", "umap-learn", "opencv", "scikit-image")


def _kind(kind: str) -> dict:
    if kind not in KINDS:  # a programming error inside featclf
        raise ValueError(f"Unknown saved-file kind {kind!r}; one of {sorted(KINDS)}.")
    return KINDS[kind]


def save_payload(obj, path, fields: dict, *, kind: str) -> None:
    """Write ``obj`` (pickled by joblib) and a manifest of ``fields`` to ``path`` (see the module docstring).

    ``fields`` must be plain JSON (e.g. ``created``, ``versions``, ``config``); ``format``,
    ``format_version`` and ``payload`` are added. The archive is written to a temporary file
    in the same folder, then renamed over ``path``: an existing file is only ever replaced
    by a complete one, and nothing is left behind on error.

    Parameters
    ----------
    obj : object
    path : str or path-like
    fields : dict
    kind : {'featclf-model', 'featclf-clustering'}

    Raises
    ------
    ModelFileError
        ``path`` is a folder, or its folder does not exist.
    """
    import joblib

    spec = _kind(kind)
    check_save_path(path, kind=kind)
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".featclf-", suffix=".tmp", dir=folder)
    os.close(fd)
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED) as archive:
            with archive.open(spec["payload"], "w", force_zip64=True) as f:
                joblib.dump(obj, f)
            with archive.open(spec["payload"]) as f:  # read back: the digest of what is stored
                digest = _sha256(f)
            manifest = {"format": kind, "format_version": FORMAT_VERSION, **fields, "payload": spec["payload"],
                        "payload_sha256": digest}
            archive.writestr(MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False, allow_nan=False))
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def check_save_path(path, *, kind: str, option: str | None = None) -> None:
    """Refuse, before any work, a place a saved file cannot be written to.

    Parameters
    ----------
    path : str or path-like
    kind : {'featclf-model', 'featclf-clustering'}
    option : str, optional
        The command-line option that named ``path`` (e.g. ``'-o'``), for the message.

    Raises
    ------
    ModelFileError
        ``path`` is a folder, its folder does not exist, or the folder cannot be written.
    """
    spec = _kind(kind)
    path = os.fspath(path)
    named = f"{option} {path}" if option else path
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise ModelFileError(f"{named}: is a folder; pass a file name to save the {spec['what']} to, e.g. "
                             f"{os.path.join(path, spec['what'] + '.featclf')}.")
    if os.path.exists(folder) and not os.path.isdir(folder):
        raise ModelFileError(f"{named}: {folder} is a file, not a folder; save to a file in a folder.")
    if not os.path.isdir(folder):
        raise ModelFileError(f"{named}: the folder {folder} does not exist; create it first.")
    try:  # a real write, not os.access: root, read-only mounts and ACLs answer differently
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise ModelFileError(f"{named}: cannot write in the folder {folder} ({exc.strerror or exc}); save to a "
                             "folder you can write in.") from None


def _sha256(stream) -> str:
    digest = hashlib.sha256()
    for block in iter(lambda: stream.read(1 << 20), b""):
        digest.update(block)
    return digest.hexdigest()


def read_manifest(path, *, kind: str | None = None) -> dict:
    """The manifest of a saved file, read without unpickling anything.

    Parameters
    ----------
    path : str or path-like
    kind : {'featclf-model', 'featclf-clustering'}, optional
        The kind expected; None accepts either.

    Raises
    ------
    ModelFileError
        No such file, not a zip archive, no featclf manifest, another kind, or a newer format.
    """
    what = _kind(kind)["what"] if kind else "model or clustering"
    how = _kind(kind)["how"] if kind else "model.save(path) or result.save(path)"
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise ModelFileError(f"{path}: no such file." if not os.path.exists(path) else
                             f"{path}: is a folder, not a saved featclf {what} file.")
    try:
        with zipfile.ZipFile(path) as archive:
            manifest = json.loads(archive.read(MANIFEST).decode("utf-8"))
    except (zipfile.BadZipFile, KeyError, UnicodeDecodeError, json.JSONDecodeError, OSError) as exc:
        raise ModelFileError(
            f"{path}: not a featclf {what} file ({type(exc).__name__}: {' '.join(str(exc).split())}): damaged "
            f"(e.g. truncated) or not saved by featclf. Save one with {how}."
        ) from None
    found = manifest.get("format") if isinstance(manifest, dict) else None
    if found not in KINDS or (kind is not None and found != kind):
        other = f" (it is a {KINDS[found]['what']} file, saved as {found!r})" if found in KINDS else \
            f" (its manifest names no {kind or 'featclf'!r} format)"
        raise ModelFileError(f"{path}: not a featclf {what} file{other}.")
    if not isinstance(manifest.get("format_version"), int) or manifest["format_version"] > FORMAT_VERSION:
        raise ModelFileError(
            f"{path}: saved in format version {manifest.get('format_version')!r}, newer than this featclf reads "
            f"({FORMAT_VERSION}). Upgrade featclf (pip install -U featclf)."
        )
    return manifest


def changed_versions(manifest: dict) -> list[str]:
    """``'name saved -> now'`` for each library of ``CHECKED_VERSIONS`` whose version differs from the saving one."""
    now = collect_versions()
    saved = manifest.get("versions") or {}
    return [f"{name} {saved.get(name)} -> {now.get(name)}" for name in CHECKED_VERSIONS
            if saved.get(name) is not None and saved.get(name) != now.get(name)]


def load_saved(path, *, expected: type, kind: str):
    """Load the object saved in ``path`` (:func:`save_payload`'s layout), checking its versions and type.

    **Loading runs code** from the file (a pickle): load only files you trust.

    Returns
    -------
    (object, manifest)

    Warns
    -----
    VersionMismatchWarning
        Saved with other versions of the libraries in ``CHECKED_VERSIONS`` (listed).

    Raises
    ------
    ModelFileError
        Not a featclf file of this kind, a newer format, a payload that cannot be
        unpickled (truncated, tampered with, or needing a library not installed), or an
        object that is not an ``expected``.
    """
    import joblib

    spec = _kind(kind)
    manifest = read_manifest(path, kind=kind)
    path = os.fspath(path)
    changed = changed_versions(manifest)
    if changed:
        warnings.warn(
            f"{path}: saved with other library versions ({'; '.join(changed)}); its predictions may differ from "
            f"those it gave when it was saved. Install the versions listed in its manifest to reproduce them.",
            VersionMismatchWarning, stacklevel=user_stacklevel(),
        )
    payload = manifest.get("payload", spec["payload"])
    expected_digest = manifest.get("payload_sha256")  # absent from files saved before it was recorded
    if expected_digest is not None:  # checked before anything is unpickled: a changed payload never runs
        try:
            with zipfile.ZipFile(path) as archive, archive.open(payload) as f:
                found_digest = _sha256(f)
        except (KeyError, OSError, zipfile.BadZipFile) as exc:
            raise ModelFileError(f"{path}: the saved {spec['what']} cannot be read ({type(exc).__name__}: "
                                 f"{' '.join(str(exc).split())[:300]}): the file is damaged.") from None
        if found_digest != expected_digest:
            raise ModelFileError(
                f"{path}: its {payload} does not match the checksum in its manifest (sha256 {found_digest[:12]}... "
                f"instead of {expected_digest[:12]}...): the file was changed after it was saved. Nothing was "
                "loaded; use the original file, or save the model again."
            )
    try:
        with zipfile.ZipFile(path) as archive, archive.open(payload) as f:
            obj = joblib.load(f)
    except (ImportError, AttributeError, EOFError, KeyError, ValueError, TypeError, IndexError, OSError,
            zipfile.BadZipFile, __import__("pickle").UnpicklingError) as exc:
        raise ModelFileError(
            f"{path}: the saved {spec['what']} cannot be loaded ({type(exc).__name__}: "
            f"{' '.join(str(exc).split())[:300]}). The file may be truncated or altered; otherwise install the "
            f"libraries it was saved with (listed by featclf info {path})."
        ) from None
    if not isinstance(obj, expected):
        raise ModelFileError(f"{path}: holds a {type(obj).__name__}, not a {expected.__name__}.")
    return obj, manifest
