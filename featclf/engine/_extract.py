"""The one extraction loop every extractor goes through.

The engine is handed extractors, not callables, so it knows what runs (and, later,
how to key a cache). From each extractor it asks two things (the engine protocol):

``extractor._kernel(sources)``
    A :class:`featclf.kernels.Kernel`: a plain, picklable object from a module that
    imports neither scikit-learn nor torch, holding the per-image preparation
    (``prepare``: layout conversion, resizing) and the batch computation
    (``compute``). This is all a worker process receives and imports.
``extractor._sink(out)``
    Only for kernels with ``in_workers = False`` (a model on one device, e.g. the
    CNN): a context manager giving an object with ``feed(prepared)``, which computes
    the rows of a stack of prepared images into ``out`` in order, and ``finish()``,
    which completes the pending rows and returns a dict of run details. With a feature
    cache, also ``rows_done()``: how many of the rows fed so far are written, so that
    they are cached as they are computed.
``extractor._worker_kernel(sources)``
    Only for kernels with ``in_workers = False``, under joblib's Dask backend: a kernel
    that computes in the workers (``in_workers = True``, ``per_chunk = True``: its
    ``compute`` receives a chunk's prepared images at once), each worker keeping one
    copy of the model (the kernels reach each worker once,
    :func:`featclf.engine._chunks.iter_chunks`), so several GPU workers each run their own.
``extractor._cache_config()``
    With a feature cache: what of the fitted extractor changes its numbers, as data
    (:mod:`featclf.engine._cache` builds the key from it, the kernel's configuration and
    the input preparation).

Two stages, per image then per batch:

1. **Prepare, in the workers.** Each source is decoded once
   (:func:`featclf.io.decode_image`) and every kernel at once prepares its own input
   from that one decoded image (:func:`featclf.io.convert_image`, resizing), so several
   extractors over the same collection decode every image once. When no kernel keeps
   alpha, transparency is composited onto white while decoding (``background=WHITE``).
2. **Compute, in the workers or in the parent.** Handcrafted kernels compute their
   rows in the workers, which send back only feature rows; a kernel that runs a
   model in the parent receives stacks of prepared images instead, while the
   workers go on decoding the next chunks. Under a Dask backend every kernel computes
   in the workers (a model's kernel through ``_worker_kernel``): only rows travel back.

Workers are processes for encoded sources (the calling process and ``n_jobs - 1``
processes of featclf's own loky pool, or joblib's workers under a backend chosen with
``joblib.parallel_config``) and joblib threads for in-memory arrays, which cost more to
ship than to compute; chunks stream back in input order into one preallocated float32
matrix per extractor.

Memory, known before anything is decoded: those matrices (refused with
:class:`~featclf.exceptions.OutputTooLargeError` when they would not fit in the memory
available), plus, per worker, one chunk of rows, ``DECODE_BATCH`` *prepared* images
(resized) and **one full-size decoded image at a time**: each image is decoded, prepared
by every kernel and dropped before the next is decoded (decoding itself holds Pillow's
image and the array it becomes, see :func:`featclf.io.decode_image`). Images larger than
the extractors' ``max_pixels`` are refused from their header, in every worker.

Degenerate output: when an extractor gives the same row for every image (more than
one kept), a :class:`~featclf.exceptions.ConstantFeaturesWarning` names it; a column
that is constant (an empty histogram bin, a padding value) is normal and not reported.
"""

from __future__ import annotations

import contextlib
import os
import time
import warnings

import numpy as np

from .._config import resolve_cache_dir
from .._public import user_stacklevel
from .._validation import EXTRACTOR_ON_ERROR_OPTIONS, available_memory, check_option, format_bytes
from ..exceptions import ConstantFeaturesWarning, ImageLoadError, ImageSizeError, InvalidImageError, OutputTooLargeError
from ..io import DEFAULT_MAX_PIXELS, WHITE, check_max_pixels, convert_image, decode_image
from ._cache import (
    CacheReader,
    CacheWriter,
    check_cache_dir,
    config_id,
    entry_key,
    kernel_state,
    library_versions,
)
from ._chunks import as_sources, dask_client, in_memory, iter_chunks, prefer_threads
from ._record import Extraction, SkippedInput

#: Images prepared at a time inside a worker's chunk of encoded sources (each decoded, prepared
#: and dropped in turn), then computed together: a chunk holds at most this many prepared images
#: (in-memory arrays, already decoded, are computed a chunk at a time).
DECODE_BATCH = 16


def _concat(parts):
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def _decode_background(kernels):
    """``WHITE`` when every kernel takes composited images (mode 'rgb' or 'grey'), else ``None``.

    Those kernels' :meth:`~featclf.kernels.Kernel.prepare` start from
    ``convert_image(image, mode)``, which composites onto white: decoding with the
    compositing done on Pillow's image gives them the same values for less work.
    A kernel that keeps alpha ('rgba') needs the canonical RGBA image.
    """
    return WHITE if all(kernel.mode in ("rgb", "grey") for kernel in kernels) else None


def _run_chunk(chunk, start, kernels, skip, max_pixels=DEFAULT_MAX_PIXELS, reader=None):
    """Decode, prepare and compute one chunk (runs in a worker).

    Each image is decoded (refused above ``max_pixels``) and at once prepared by every
    kernel, so a full-size decoded image lives only until its (small) prepared versions
    exist and is dropped before the next one is decoded (an image with
    transparency is composited once for all the kernels that need it); the kernels then
    compute a batch of prepared images at a time. Returns ``(outputs per kernel, kept
    indices, skipped, seconds, cached)``, ``seconds`` holding the decoding time and each
    kernel's own preparation and computation time.

    With a cache ``reader`` (:class:`~featclf.engine._cache.CacheReader`), each source's
    content is hashed first (a file is read once: hashed, then decoded from the same
    bytes), a batch's rows are looked up in one query, and only the kernels whose row is
    missing prepare and compute the image (an image every kernel has is not decoded).
    ``cached`` is then ``(per kernel, memos)``: per kernel ``(fresh, keys, hits)``, which
    kept rows were computed here (bool per kept index), the row keys of the kept inputs,
    and for a kernel that computes in the parent the cached rows (its output then holds
    only the fresh images); ``memos``, the files hashed here whose digests the cache may
    keep (:meth:`~featclf.engine._cache.CacheReader.digests`). Without a reader ``cached``
    is ``None``.
    """
    clock = time.perf_counter
    background = _decode_background(kernels)
    # Encoded sources are decoded DECODE_BATCH at a time (full-size images are the largest
    # transient memory); in-memory arrays are decoded already: one batch per chunk.
    step = len(chunk) if in_memory(chunk) else DECODE_BATCH
    outputs = [[] for _ in kernels]
    seconds = [0.0] * (len(kernels) + 1)  # decoding, then one per kernel
    indices, skipped = [], []
    cached = None if reader is None else [([], [], []) for _ in kernels]
    memos = []
    for offset in range(start, start + len(chunk), step):
        stop = min(offset + step, start + len(chunk))
        prepared = [[] for _ in kernels]
        kept = []
        if reader is not None:
            began = clock()
            contents, hashed = reader.digests(chunk[offset - start : stop - start])
            memos += hashed
            keys = [None if digest is None else [entry_key(c, digest) for c in reader.configs]
                    for digest, _ in contents]
            found = reader.fetch(key for row in keys if row is not None for key in row)
            batch_rows = [[] for _ in kernels]  # per kernel, per kept image: a cached row or None
            seconds[0] += clock() - began
        for index in range(offset, stop):
            source = chunk[index - start]
            wanted = range(len(kernels))
            if reader is not None:
                row_keys = keys[index - offset]
                hits = [None if row_keys is None else found.get(row_keys[k]) for k in range(len(kernels))]
                wanted = [k for k, hit in enumerate(hits) if hit is None]
                if not wanted:  # every kernel has this image's row: not decoded
                    for k, hit in enumerate(hits):
                        batch_rows[k].append(hit)
                    kept.append(index)
                    continue
            began = clock()
            data = None if reader is None else contents[index - offset][1]
            try:
                image = decode_image(source, index=index, background=background, max_pixels=max_pixels, data=data)
            except (ImageLoadError, InvalidImageError) as exc:
                if not skip:
                    raise
                skipped.append(SkippedInput(index, exc.source, exc.reason))
                continue
            done = clock()
            seconds[0] += done - began
            flat = None  # the image composited onto white, made once for every kernel that needs it
            ready = {}
            try:
                for k in wanted:
                    kernel = kernels[k]
                    if kernel.mode != "rgba" and image.ndim == 3 and image.shape[2] == 4:
                        if flat is None:
                            flat = convert_image(image, "rgb")
                        ready[k] = kernel.prepare(flat, source, index)
                    else:
                        ready[k] = kernel.prepare(image, source, index)
                    began, done = done, clock()
                    seconds[k + 1] += done - began
            except ImageSizeError as exc:  # this image's size (it names it), or a setting (no source: raised)
                if not skip or exc.source is None:
                    raise
                skipped.append(SkippedInput(index, exc.source, exc.reason))
                continue
            finally:
                del image, flat  # the full-size image goes before the next one is decoded
            for k, one in ready.items():
                prepared[k].append(one)
            if reader is not None:
                for k, hit in enumerate(hits):
                    batch_rows[k].append(hit)
            kept.append(index)
        if not kept:  # every image of this batch was skipped
            continue
        for k, kernel in enumerate(kernels):
            began = clock()
            if reader is None:
                outputs[k].append(kernel.compute(prepared[k]) if _per_batch(kernel) else np.stack(prepared[k]))
            else:
                outputs[k].append(_merge_batch(kernel, prepared[k], batch_rows[k], cached[k]))
                cached[k][1].extend(keys[i - offset][k] if keys[i - offset] is not None else None for i in kept)
            seconds[k + 1] += clock() - began
        indices.extend(kept)
    if cached is not None:
        cached = [(np.asarray(fresh, dtype=bool), row_keys, _concat(hits) if hits else None)
                  for fresh, row_keys, hits in cached]
    outputs = [_concat([p for p in parts if p is not None]) for parts in outputs]
    for k, kernel in enumerate(kernels):  # a model computing here: the chunk's images at once, in its batches
        if kernel.in_workers and not _per_batch(kernel) and indices:
            began = clock()
            computed = None if outputs[k] is None else kernel.compute(outputs[k])
            if cached is not None:
                fresh, row_keys, hits = cached[k]
                computed = _in_order(fresh, computed, hits)
                cached[k] = (fresh, row_keys, None)
            outputs[k] = computed
            seconds[k + 1] += clock() - began
    return outputs, indices, skipped, seconds, None if cached is None else (cached, memos)


def _per_batch(kernel) -> bool:
    """Whether the kernel computes in the workers ``DECODE_BATCH`` images at a time (else: a chunk at once)."""
    return kernel.in_workers and not getattr(kernel, "per_chunk", False)


def _in_order(fresh, computed, cached_rows):
    """One block of rows in input order: ``computed`` where ``fresh`` (bool per row), ``cached_rows`` elsewhere."""
    if cached_rows is None:
        return computed
    if computed is None:
        return cached_rows
    block = np.empty((len(fresh), computed.shape[1]), dtype=np.float32)
    block[fresh] = computed
    block[~fresh] = cached_rows
    return block


def _merge_batch(kernel, prepared, rows, cached):
    """A batch's output for one kernel with a cache: cached rows and the rows computed now, in input order.

    ``rows`` holds, per kept image, its cached row or ``None`` (prepared now, in order).
    For a kernel computing in the workers a batch at a time, the full block of rows; for
    one computing in the parent or a chunk at a time, the stack of the images to compute
    (the cached rows go to ``cached``).
    """
    fresh, _, hits = cached
    fresh.extend(row is None for row in rows)
    found = [row for row in rows if row is not None]
    if not _per_batch(kernel):
        if found:
            hits.append(np.stack(found))
        return np.stack(prepared) if prepared else None
    computed = kernel.compute(prepared) if prepared else None
    return _in_order(np.array([row is None for row in rows], dtype=bool), computed,
                     np.stack(found) if found else None)


def _operational(extractors, name, given):
    """A run-wide setting: the one given, else the first extractor's own."""
    if given is not None:
        return given
    for extractor in extractors:
        value = getattr(extractor, name, None)
        if value is not None:
            return value
    return None


def _max_pixels(extractors):
    """The pass's decoding limit: the strictest ``max_pixels`` of its extractors (``None``: no limit)."""
    limits = [check_max_pixels(getattr(e, "max_pixels", DEFAULT_MAX_PIXELS), e) for e in extractors]
    finite = [limit for limit in limits if limit is not None]
    return min(finite) if finite else None


def check_output_memory(extractors, n: int) -> None:
    """Refuse, before decoding, feature matrices of ``n`` rows that would not fit in the memory available.

    The rule: the float32 matrices of the pass (``n * sum(n_features_out_) * 4`` bytes)
    must fit in the memory available now (``MemAvailable``); unknown: not checked.

    Raises
    ------
    OutputTooLargeError
        With each extractor's share and the fixes.
    """
    needed = 4 * n * sum(int(e.n_features_out_) for e in extractors)
    available = available_memory()
    if available is None or needed <= available:
        return
    parts = ", ".join(f"{type(e).__name__}: {int(e.n_features_out_):,} features" for e in extractors)
    raise OutputTooLargeError(
        f"The features of {n:,} images would take {format_bytes(needed)} ({parts}; float32), more than the "
        f"{format_bytes(available)} of memory available. Use a smaller 'size' (or fewer features per image), "
        "or extract a part of the images at a time."
    )


def warn_constant(extractor, record) -> None:
    """Warn (ConstantFeaturesWarning) when every row of a record of more than one row is the same."""
    features = record.features
    if features.shape[0] < 2 or features.shape[1] == 0:
        return
    if np.array_equal(features.min(axis=0), features.max(axis=0)):
        name = type(extractor).__name__
        zero = " (all zero)" if not features[0].any() else ""
        warnings.warn(
            f"{name} gave the same {features.shape[1]} features for all {features.shape[0]} images{zero}: its "
            "output cannot tell them apart, and a classifier on it scores at chance. Check its parameters (e.g. a "
            "size or input_size too small to keep any detail) and that the images are not all blank.",
            ConstantFeaturesWarning, stacklevel=user_stacklevel(),
        )


def _open_cache(extractors, kernels, cache_dir, max_pixels):
    """``(writer, reader, config ids)`` for the pass, or ``(None, None, None)`` without a cache folder."""
    folder = resolve_cache_dir(_operational(extractors, "cache_dir", cache_dir), "extract")
    if folder is None:
        return None, None, None
    path = check_cache_dir(folder)
    background = _decode_background(kernels)
    versions = library_versions()
    writer = CacheWriter(path)
    configs = []
    for extractor, kernel in zip(extractors, kernels):
        description = {
            "extractor": f"{type(extractor).__module__}.{type(extractor).__qualname__}",
            "config": extractor._cache_config(),
            "kernel": kernel_state(kernel),
            "preparation": {"mode": kernel.mode, "background": None if background is None else list(background),
                            "max_pixels": max_pixels},
            "n_features": int(extractor.n_features_out_),
            "versions": versions,
        }
        config = config_id(description)
        writer.register(config, type(extractor).__name__, description)
        configs.append(config)
    return writer, CacheReader(path, tuple(configs)), configs


class _Pending:
    """The rows a parent-side sink computes with a cache: computed into ``buffer``, then placed and stored.

    The sink writes the rows of the images fed to it in order into ``buffer``; as they
    are done (``sink.rows_done()``), each goes to its row of the output and to the cache.
    """

    def __init__(self, n, width):
        self.buffer = np.empty((n, width), dtype=np.float32)
        self.targets: list = []  # output row of each fed image
        self.keys: list = []
        self.placed = 0

    def flush(self, done, out, config, writer):
        if done <= self.placed:
            return
        rows = self.buffer[self.placed : done]
        out[self.targets[self.placed : done]] = rows
        writer.store((key, config, row) for key, row in zip(self.keys[self.placed : done], rows) if key is not None)
        self.placed = done


def extract_many(extractors, X, *, on_error=None, n_jobs=None, batch_size=None, verbose=None,
                 cache_dir=None) -> list[Extraction]:
    """Run fitted extractors over the same inputs, decoding each input once.

    Parameters
    ----------
    extractors : list of fitted featclf extractors
        Objects following the engine protocol (module docstring).
    X : list of image sources, dataset, or ndarray of shape (N, H, W[, C])
    on_error : {'raise', 'skip', 'nan'}, optional
        Default: the first extractor's ``on_error``. An input that cannot be decoded,
        or whose size one extractor cannot use (an
        :class:`~featclf.exceptions.ImageSizeError` naming the image), is skipped for
        every extractor of the pass (its reason names the extractor). ``'nan'`` skips
        here as ``'skip'``: the records list what was skipped, and the extractor's
        ``transform`` fills those rows with NaN (:meth:`Extraction.filled`).
    n_jobs, batch_size, verbose : optional
        Workers, sources per worker task and progress bar; default: the first
        extractor's own settings (a kernel that needs a particular chunk size, such
        as the CNN's, sets ``batch_size`` for the whole pass). Images are decoded
        under the strictest ``max_pixels`` of the extractors (an image above it is
        that input's :class:`~featclf.exceptions.ImageTooLargeError`, skippable).
    cache_dir : str, path-like or False, optional
        The feature cache folder (:mod:`featclf.engine._cache` gives the rules); default:
        the first extractor's ``cache_dir``, else :func:`featclf.set_config`'s, else
        ``$FEATCLF_CACHE_DIR``; ``False`` or none of them: no cache, nothing written.
        Rows found there are not computed (an image every extractor has is not
        decoded; a file remembered unchanged whose rows are all there is found before
        the pass, so that only the rest goes to the workers); rows computed are written
        as each chunk comes back. Each record's
        ``cache`` says how many rows came from the cache and how many were computed.

    Returns
    -------
    list of Extraction
        One record per extractor, in the order given.

    Raises
    ------
    NotFittedError
        An extractor is not fitted.
    InvalidImageError
        ``X`` is a single image rather than a collection.
    OutputTooLargeError
        Before decoding anything: the feature matrices would not fit in the memory
        available (see :func:`check_output_memory`).
    CacheError
        Before decoding anything: the cache folder is a file, cannot be written, or holds
        a damaged database.

    Warns
    -----
    ConstantFeaturesWarning
        An extractor gave the same features for every image (more than one kept).
    FeatclfError
        With ``on_error='raise'``, the error of the first bad input in input order.
        Whatever ``on_error``, an :class:`~featclf.exceptions.ImageSizeError` about a
        setting rather than one image (no ``source``).
    """
    for extractor in extractors:
        if not hasattr(extractor, "n_features_out_"):
            from sklearn.exceptions import NotFittedError  # only on this error path: workers never import sklearn

            raise NotFittedError(
                f"This {type(extractor).__name__} instance is not fitted yet. Call 'fit' with appropriate "
                "arguments before extracting features with it."
            )
    sources = as_sources(X)
    n = len(sources)
    on_error = check_option("on_error", _operational(extractors, "on_error", on_error) or "raise",
                            EXTRACTOR_ON_ERROR_OPTIONS)
    n_jobs = _operational(extractors, "n_jobs", n_jobs)
    verbose = _operational(extractors, "verbose", verbose)
    max_pixels = _max_pixels(extractors)
    check_output_memory(extractors, n)
    kernels = [extractor._kernel(sources) for extractor in extractors]
    writer, reader, configs = _open_cache(extractors, kernels, cache_dir, max_pixels)
    if dask_client() is not None:  # on a cluster, models compute in the workers too (the cache key is the same)
        kernels = [k if k.in_workers else e._worker_kernel(sources) for e, k in zip(extractors, kernels)]
    try:
        began = time.perf_counter()
        known = _remembered(reader, sources)
        if not known:
            records = _extract_pass(extractors, kernels, sources, n, on_error, n_jobs, batch_size, verbose,
                                    max_pixels, writer, reader, configs)
        else:  # the rest only goes through the pass (none: no worker is started)
            have = np.fromiter(sorted(known), dtype=np.intp, count=len(known))
            rest = np.setdiff1d(np.arange(n), have, assume_unique=True)
            part = None if len(rest) == 0 else _extract_pass(
                extractors, kernels, [sources[i] for i in rest], len(rest), on_error, n_jobs, batch_size, verbose,
                max_pixels, writer, reader, configs)
            records = [_with_known(r, extractor, known, have, rest, part, n, writer.path,
                                   time.perf_counter() - began)
                       for r, extractor in enumerate(extractors)]
    finally:
        if writer is not None:
            writer.close()
    for extractor, record in zip(extractors, records):
        if writer is not None:
            record.cache["written"] = writer.error is None
        warn_constant(extractor, record)
    return records


def _remembered(reader, sources) -> dict:
    """``{index: rows}`` of the files the cache holds whole, found without reading them (file sources only)."""
    if reader is None or not isinstance(sources, list) or not sources:
        return {}
    if not all(isinstance(source, (str, os.PathLike)) for source in sources):
        return {}  # in-memory sources are named by position ("item N"): they keep their positions in one pass
    return reader.remembered(sources)


def _with_known(r, extractor, known, have, rest, part, n, path, wall) -> Extraction:
    """Extractor ``r``'s record of the whole input: the rows found in the cache (``known``, at the sorted input
    positions ``have``) and the pass over the ``rest``."""
    have = have if r == 0 else have.copy()  # records share no index array
    rows = np.stack([known[i][r] for i in have.tolist()])
    if part is None:
        return Extraction(rows, have, [], n, {}, {"wall_s": wall, "decode_s": 0.0, "compute_s": 0.0,
                                                  "attributed_s": wall},
                          {"path": path, "hits": len(have), "computed": 0})
    done = rest[part[r].indices]
    indices = np.sort(np.concatenate([have, done]))
    features = np.empty((len(indices), extractor.n_features_out_), dtype=np.float32)
    features[np.searchsorted(indices, have)] = rows
    features[np.searchsorted(indices, done)] = part[r].features
    skipped = [s._replace(index=int(rest[s.index])) for s in part[r].skipped]
    cache = {**part[r].cache, "hits": part[r].cache["hits"] + len(have)}
    return Extraction(features, indices, skipped, n, part[r].details, {**part[r].timings, "wall_s": wall}, cache)


def _extract_pass(extractors, kernels, sources, n, on_error, n_jobs, batch_size, verbose, max_pixels,
                  writer, reader, configs):
    """The pass of :func:`extract_many`, its arguments checked (``writer``: the cache, or None)."""
    if batch_size is None:
        hints = [k.chunk_size for k in kernels if k.chunk_size is not None]
        batch_size = hints[0] if hints else _operational(extractors, "batch_size", None) or "auto"
    outs = [np.empty((n, extractor.n_features_out_), dtype=np.float32) for extractor in extractors]
    indices = np.empty(n, dtype=np.intp)
    skipped: list = []
    details = [dict(getattr(k, "details", {})) for k in kernels]  # a sink's come at the end; a worker kernel's here
    seconds = np.zeros(len(extractors) + 1)
    began = time.perf_counter()
    cursor = 0
    desc = "+".join(type(e).__name__ for e in extractors)
    hits = [0] * len(extractors)
    # With a cache, a parent-side sink computes only the missing rows, into a buffer of its own.
    pending = [None if writer is None or k.in_workers else _Pending(n, e.n_features_out_)
               for e, k in zip(extractors, kernels)]
    with contextlib.ExitStack() as stack:
        sinks = [None if k.in_workers else stack.enter_context(e._sink(out if p is None else p.buffer))
                 for e, k, out, p in zip(extractors, kernels, outs, pending)]
        for results, kept, skips, chunk_seconds, cached in iter_chunks(
            _run_chunk, sources, n_jobs=n_jobs, batch_size=batch_size, verbose=verbose, desc=desc,
            args=(kernels, on_error != "raise", max_pixels, reader),
            prefer="threads" if prefer_threads(sources) else None,
            parent_helps=all(k.in_workers for k in kernels),  # a model in the parent keeps it busy
        ):
            seconds += chunk_seconds
            k = len(kept)
            if cached is not None and cached[1]:
                writer.store_digests(cached[1])
            if k:
                stored = []
                for r, (result, out, sink) in enumerate(zip(results, outs, sinks)):
                    if cached is not None:
                        fresh, keys, hit_rows = cached[0][r]
                        hits[r] += int(k - fresh.sum())
                    if sink is None:
                        out[cursor : cursor + k] = result
                        if cached is not None:
                            stored += [(keys[i], configs[r], result[i]) for i in np.flatnonzero(fresh)
                                       if keys[i] is not None]
                        continue
                    fed = time.perf_counter()
                    if cached is not None:
                        rows = cursor + np.arange(k)
                        if hit_rows is not None:
                            out[rows[~fresh]] = hit_rows
                        pending[r].targets.extend(rows[fresh])
                        pending[r].keys.extend(keys[i] for i in np.flatnonzero(fresh))
                    if result is not None:
                        sink.feed(result)
                    if cached is not None:
                        pending[r].flush(sink.rows_done(), out, configs[r], writer)
                    seconds[r + 1] += time.perf_counter() - fed
                if stored:
                    writer.store(stored)  # one transaction per chunk
                indices[cursor : cursor + k] = kept
            cursor += k
            skipped.extend(skips)
        for r, sink in enumerate(sinks):
            if sink is not None:
                finished = time.perf_counter()
                details[r] = sink.finish()
                if pending[r] is not None:
                    pending[r].flush(len(pending[r].targets), outs[r], configs[r], writer)
                seconds[r + 1] += time.perf_counter() - finished
    wall = time.perf_counter() - began
    records = []
    for r, (out, detail) in enumerate(zip(outs, details)):
        if cursor < n:  # inputs were skipped: keep the filled prefix (no copy of the features)
            out = out[:cursor]
        own = seconds[0] / len(extractors) + seconds[r + 1]
        timings = {"wall_s": wall, "decode_s": float(seconds[0]), "compute_s": float(seconds[r + 1]),
                   "attributed_s": float(wall * own / seconds.sum()) if seconds.sum() > 0 else wall / len(extractors)}
        rows = indices[:cursor] if r == 0 else indices[:cursor].copy()  # records share no index array
        cache = {} if writer is None else {"path": writer.path, "hits": hits[r], "computed": len(rows) - hits[r]}
        records.append(Extraction(out, rows, list(skipped), n, detail, timings, cache))
    return records


def extract(extractor, X, **options) -> Extraction:
    """Run one fitted extractor over ``X``: :func:`extract_many` with one extractor.

    Parameters
    ----------
    extractor : fitted featclf extractor
    X : list of image sources, dataset, or ndarray of shape (N, H, W[, C])
    **options
        ``on_error``, ``n_jobs``, ``batch_size``, ``verbose``, ``cache_dir``, as in :func:`extract_many`.

    Returns
    -------
    Extraction
        ``features`` (float32, ``(n_kept, n_features)``), ``indices``, ``skipped``.

    Raises
    ------
    As :func:`extract_many`.
    """
    return extract_many([extractor], X, **options)[0]


__all__ = ["DECODE_BATCH", "check_output_memory", "extract", "extract_many", "warn_constant"]
