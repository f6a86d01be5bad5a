"""The batch-extraction engine: the one place every extractor's work goes through.

Sources are split into contiguous chunks that joblib workers process in order
(``Parallel(return_as="generator")``, so ``joblib.parallel_config`` -- including a
Dask backend -- applies unchanged). Workers receive *sources* (paths, bytes, or the
slice of an in-memory stack), decode them themselves, compute features and send back
only the feature rows, which the parent writes into one preallocated float32 matrix.
Peak memory is the final matrix plus, per worker, one chunk of feature rows and
``DECODE_BATCH`` decoded images.
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import joblib
import numpy as np

from ..exceptions import FeatclfError, InvalidImageError, InvalidParameterError
from ..io._image import _WHITE

#: Largest chunk handed to one worker task.
MAX_CHUNK = 256
#: Seconds of work after which the progress bar appears (``verbose=1``).
PROGRESS_DELAY_S = 2.0


def as_sources(X) -> Sequence:
    """Turn what a user passes (list of sources, dataset, stacked array) into an indexable sequence.

    A dataset object contributes its ``sources``. A numpy array of shape ``(N, H, W)``
    or ``(N, H, W, C)`` is a stack of ``N`` images. A single path, bytes object or PIL
    image is refused: extractors and batch loaders take collections.
    """
    from ..datasets import ImageDataset

    if isinstance(X, ImageDataset):
        return X.sources
    if isinstance(X, np.ndarray):
        if X.ndim in (3, 4):
            return X
        raise InvalidImageError(
            "input", f"expected a stack of images of shape (N, H, W) or (N, H, W, C); got an array of shape {X.shape}",
            "Pass a list of images, or add the batch axis with X[np.newaxis]",
        )
    if isinstance(X, (str, os.PathLike, bytes, bytearray)) or hasattr(X, "getpixel"):
        raise InvalidImageError(
            "input", f"expected a collection of images, got a single {type(X).__name__}",
            "Wrap it in a list: [source]. For a folder use featclf.ImageFolder(path) or featclf.UnlabelledFolder(path)",
        )
    if isinstance(X, Sequence):
        return X
    return list(X)


def _chunk_size(n: int, n_workers: int, batch_size) -> int:
    if batch_size != "auto":
        return batch_size
    if n_workers <= 1:
        return max(1, min(MAX_CHUNK, n))
    return max(1, min(MAX_CHUNK, math.ceil(n / (4 * n_workers))))


def check_batch_size(batch_size, owner=None):
    from .._validation import check_int

    if batch_size == "auto":
        return batch_size
    return check_int("batch_size", batch_size, owner=owner)


class _Failed:
    """A chunk's featclf error, carried back to the parent to be raised in input order."""

    def __init__(self, error: FeatclfError):
        self.error = error


def _guarded(func, chunk, start, *args):
    try:
        return func(chunk, start, *args)
    except FeatclfError as exc:
        return _Failed(exc)


def iter_chunks(func, sources: Sequence, *, n_jobs=None, batch_size="auto", verbose=1, desc="", args=()):
    """Yield ``func(chunk, start, *args)`` for consecutive chunks of ``sources``, in order.

    ``func`` runs in joblib workers when ``n_jobs`` (or the active
    ``joblib.parallel_config``) asks for more than one; results stream back in input
    order while later chunks are still being computed. A featclf error raised in a
    chunk is re-raised here when that chunk's turn comes, so the error reported is the
    one of the *first* bad source in input order, whatever the number of workers.
    """
    from tqdm.auto import tqdm

    n = len(sources)
    if n == 0:
        return
    n_workers = joblib.effective_n_jobs(n_jobs)
    size = _chunk_size(n, n_workers, batch_size)
    starts = range(0, n, size)
    if n_workers == 1:  # no worker to feed: run inline, without joblib's overhead
        results = (_guarded(func, sources[s : s + size], s, *args) for s in starts)
    else:
        tasks = (joblib.delayed(_guarded)(func, sources[s : s + size], s, *args) for s in starts)
        results = joblib.Parallel(n_jobs=n_jobs, return_as="generator")(tasks)
    try:
        with tqdm(total=n, desc=desc, unit="img", disable=not verbose, delay=PROGRESS_DELAY_S, leave=False) as bar:
            for start, result in zip(starts, results):
                if isinstance(result, _Failed):
                    raise result.error
                yield result
                bar.update(min(size, n - start))
    finally:
        with warnings.catch_warnings():  # joblib's note about cancelled tasks is noise after an error
            warnings.filterwarnings("ignore", category=UserWarning,
                                    message=r"\d+ tasks (have been successfully executed|which were still being)")
            if hasattr(results, "close"):
                results.close()


@dataclass
class Extraction:
    """Features of the sources that loaded, with the skipped ones accounted for.

    Attributes
    ----------
    features : ndarray of shape (n_kept, n_features), float32
    indices : ndarray of shape (n_kept,), int
        Input position of each row.
    skipped : list of (source, reason)
    """

    features: np.ndarray
    indices: np.ndarray
    skipped: list = field(default_factory=list)


#: Images decoded at a time inside a worker's chunk: full-size decoded images are the
#: largest transient memory, so a chunk is decoded and featurised a few images at a time.
DECODE_BATCH = 16


def _extract_chunk(chunk, start, compute, mode, background, skip):
    from ..io._image import _load_chunk

    parts, indices, skipped = [], [], []
    for offset in range(0, len(chunk), DECODE_BATCH):
        loaded = _load_chunk(chunk[offset : offset + DECODE_BATCH], start + offset, mode, background, skip)
        skipped.extend(loaded.skipped)
        if loaded.images:
            kept_sources = [chunk[i - start] for i in loaded.indices]
            parts.append(compute(loaded.images, kept_sources, loaded.indices))
            indices.extend(loaded.indices)
    features = np.concatenate(parts) if len(parts) > 1 else (parts[0] if parts else None)
    return features, indices, skipped


def extract(compute, sources: Sequence, n_features: int, *, mode="rgb", background=_WHITE,
            on_error="raise", n_jobs=None, batch_size="auto", verbose=1, desc="extracting") -> Extraction:
    """Run ``compute(images, sources, indices) -> (k, n_features) array`` over all sources.

    Images are decoded in the workers with :func:`featclf.load_image` (``mode``,
    ``background``). With ``on_error='skip'`` unreadable sources are left out and
    reported in ``Extraction.skipped``; rows stay in input order.
    """
    if on_error not in ("raise", "skip"):
        raise InvalidParameterError(
            f"The 'on_error' parameter must be one of {{'raise', 'skip'}}. Got {on_error!r} instead."
        )
    n = len(sources)
    out = np.empty((n, n_features), dtype=np.float32)
    indices = np.empty(n, dtype=np.intp)
    skipped: list = []
    cursor = 0
    for features, kept, skips in iter_chunks(
        _extract_chunk, sources, n_jobs=n_jobs, batch_size=batch_size, verbose=verbose, desc=desc,
        args=(compute, mode, background, on_error == "skip"),
    ):
        k = len(kept)
        if k:
            out[cursor : cursor + k] = features
            indices[cursor : cursor + k] = kept
        cursor += k
        skipped.extend(skips)
    if cursor < n:  # rows were skipped: keep the filled prefix (no copy of the features)
        out, indices = out[:cursor], indices[:cursor]
    return Extraction(out, indices, skipped)
