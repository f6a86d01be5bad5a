"""Provenance: which software produced a result, and from which data.

One collector for every place that records it: evaluation reports, benchmarks, and
later saved models.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import platform
import sys

import numpy as np

__all__ = ["collect_versions", "dataset_fingerprint"]

_OPENCV_DISTRIBUTIONS = ("opencv-python-headless", "opencv-python", "opencv-contrib-python-headless",
                         "opencv-contrib-python")


def _version(*dists):
    for dist in dists:
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            continue
    return None


def collect_versions() -> dict:
    """Versions of featclf, Python and the libraries that change its numbers, read from package metadata.

    Nothing is imported for this (torch is never imported just to learn its version).

    Returns
    -------
    dict
        ``featclf``, ``python``, ``numpy``, ``scikit-learn``, ``scipy``,
        ``scikit-image``, ``opencv``, ``pillow``, ``joblib``, ``matplotlib``,
        ``torch``, ``onnxruntime``, ``umap-learn`` (``None`` when not installed) and ``platform``.
    """
    from .._version import __version__

    # The distribution's version whether or not cv2 is imported (its __version__ drops the build
    # number: 4.14.0 for 4.14.0.94), so two calls in one environment always agree.
    opencv = _version(*_OPENCV_DISTRIBUTIONS)
    if opencv is None and "cv2" in sys.modules:  # an OpenCV built from source
        opencv = sys.modules["cv2"].__version__
    return {
        "featclf": __version__,
        "python": platform.python_version(),
        "numpy": _version("numpy"),
        "scikit-learn": _version("scikit-learn"),
        "scipy": _version("scipy"),
        "scikit-image": _version("scikit-image"),
        "opencv": opencv,
        "pillow": _version("pillow", "Pillow"),
        "joblib": _version("joblib"),
        "matplotlib": _version("matplotlib"),
        "torch": _version("torch"),
        "onnxruntime": _version("onnxruntime"),
        "umap-learn": _version("umap-learn"),
        "platform": platform.platform(),
    }


def _file_content_digest(path: str) -> bytes | None:
    """SHA-256 of a file's bytes, read in 1 MB blocks (None when it cannot be read)."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return None
    return digest.digest()


def _source_digest(source, content: bool = False) -> bytes:
    """What identifies one source: a file's path, size and modification time (``content``: its bytes' SHA-256
    instead, so a copy elsewhere or a touched file keeps its digest); an array's bytes."""
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        if content:
            found = _file_content_digest(path)
            return b"file:" + found if found is not None else f"path:{path}:unreadable".encode()
        try:
            stat = os.stat(path)
            return f"path:{path}:{stat.st_size}:{stat.st_mtime_ns}".encode()
        except OSError:
            return f"path:{path}:missing".encode()
    if isinstance(source, np.ndarray):
        return b"array:" + f"{source.shape}:{source.dtype}:".encode() + np.ascontiguousarray(source).tobytes()
    if isinstance(source, (bytes, bytearray, memoryview)):
        return b"bytes:" + bytes(source)
    if hasattr(source, "tobytes") and hasattr(source, "size"):  # a PIL image
        return f"pil:{source.mode}:{source.size}:".encode() + source.tobytes()
    return f"other:{type(source).__name__}:{source!r}".encode()


def dataset_fingerprint(dataset, *, content: bool = False) -> dict:
    """A fingerprint of a collection of images: what they are, how many, in which classes.

    Parameters
    ----------
    dataset : ImageDataset or sequence of sources
    content : bool, default=False
        Hash each file's bytes (SHA-256, every file read once more) instead of its path, size
        and modification time: the fingerprint then says which images a model was trained on,
        wherever they are kept. Saved models use it; reports use the cheap form.

    Returns
    -------
    dict
        ``n_images``; ``sha256``, a hash over the sources in order (a file's path,
        size and modification time, an in-memory image's bytes, shape and dtype,
        and the labels when there are some), so any added, removed, moved or
        rewritten file changes it; ``class_counts`` (class name -> images) for
        labelled datasets, else ``None``.
    """
    sources = getattr(dataset, "sources", dataset)
    digest = hashlib.sha256()
    for source in sources:  # a stack's images one by one: a stack and a list of its images agree
        item = _source_digest(source, content)
        digest.update(len(item).to_bytes(8, "little"))
        digest.update(item)
    labels = getattr(dataset, "labels", None)
    counts = None
    if labels is not None:
        digest.update(b"labels:" + np.asarray(labels, dtype=np.int64).tobytes())
        digest.update(("\0".join(map(str, dataset.classes))).encode())
        counts = dataset.class_counts()
    return {"n_images": len(sources), "sha256": digest.hexdigest(), "class_counts": counts,
            "of": "file contents" if content else "file paths, sizes and modification times"}
