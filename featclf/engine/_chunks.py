"""Chunks of sources streamed through joblib workers, in input order.

Sources are split into contiguous chunks that joblib workers process
(``Parallel(return_as="generator_unordered")``, so ``joblib.parallel_config``
applies unchanged; under its Dask backend, chunks are tasks on that cluster). Progress advances as each chunk
completes, in any order; results are handed on in input order. A featclf error raised
in a chunk travels back as a value and is raised when that chunk's turn comes, so the
error reported is the one of the *first* bad source in input order, whatever the number
of workers. Workers: ``min(n_jobs, cores, chunks)``
(:func:`featclf._validation.effective_workers`), so ``n_jobs=1000`` on 2 cores starts 2.
"""

from __future__ import annotations

import itertools
import math
import os
import warnings
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet

import joblib
import numpy as np

from .._validation import check_int, effective_workers
from ..datasets import ImageDataset
from ..exceptions import FeatclfError, InvalidImageError, WorkerDiedError

#: Largest chunk handed to one worker task (in-memory arrays: cheap, so large chunks).
MAX_CHUNK = 256
#: Largest chunk of encoded sources (files, bytes) handed to one worker task: progress is
#: counted as chunks come back, so the bar moves every few images even for large photos.
FILE_CHUNK = 32
#: Seconds of work after which the progress bar appears (``verbose=1``).
PROGRESS_DELAY_S = 2.0


def as_sources(X, *, one_shot: bool = False) -> Sequence:
    """Turn what a user passes into an indexable sequence of image sources, one per image.

    Accepted, so that no input is ever read as something else:

    * a featclf dataset (its ``sources``);
    * a list or tuple of sources (paths, bytes, PIL images, arrays), or any other ordered
      collection that can be iterated more than once (e.g. ``dict.values()``);
    * a 1-D numpy array of paths or other sources (dtype str, bytes or object), e.g. what
      ``train_test_split(np.array(paths))`` returns, or a 2-D one with a single column;
    * a pandas Series of sources, or a one-column DataFrame (what ``ColumnTransformer``
      passes for ``["path"]``);
    * a numeric numpy stack of images: ``(N, H, W)`` grey or ``(N, H, W, C)`` with C in
      1, 3, 4.

    The rule for 3-D numeric arrays: ``(N, H, W)`` is a stack of N grey images, except

    * when its last axis is 1 to 4, where it could be one image ``(H, W, C)`` with 1 to 4
      channels as well: refused, with both fixes (``[image]`` or ``X[..., np.newaxis]``),
      rather than read as N images of width 1 to 4 (one row per image row);
    * when its first axis is 3 or 4 and both others are larger, where it could be one
      channels-first image ``(C, H, W)``, which featclf never reads (``load_image``
      refuses it): refused, with both fixes (``np.moveaxis(X, 0, -1)[np.newaxis]`` or
      ``list(X)``), rather than read as 3 or 4 rows.

    Refused (unless ``one_shot=True``, for callers that read the input once, such as
    :func:`featclf.load_images`): one-shot iterators (a generator, ``map``, ``iter(list)``: anything whose
    ``iter(X)`` is ``X``), which ``fit`` would consume and leave ``transform`` with no
    image (fix: ``list(X)``); sets, which have no order, so rows could not be matched to
    labels; and mappings, which would be read as their keys.

    Raises
    ------
    InvalidImageError
        A one-shot iterator, a set or a mapping; a single image (path, bytes, PIL image,
        2-D array, or a 3-D array as above: last axis 1 to 4, or first axis 3 or 4), a
        DataFrame of several columns, or something that is not a collection; the message
        gives the fix.
    """
    if isinstance(X, ImageDataset):
        return X.sources
    if hasattr(X, "columns") and hasattr(X, "iloc"):  # a pandas DataFrame (duck-typed: pandas is optional)
        if X.shape[1] != 1:
            raise InvalidImageError(
                "input", f"a DataFrame of {X.shape[1]} columns ({', '.join(map(str, X.columns))}); featclf reads one "
                "column of image sources", "Select the column of paths, e.g. X['path'] or X[['path']]",
            )
        X = X.iloc[:, 0]
    if hasattr(X, "iloc") and hasattr(X, "to_numpy"):  # a pandas Series: its values, by position
        return list(X.to_numpy())
    if isinstance(X, np.ndarray):
        return _array_sources(X)
    if isinstance(X, (str, os.PathLike, bytes, bytearray)) or hasattr(X, "getpixel"):
        raise InvalidImageError(
            "input", f"expected a collection of images, got a single {type(X).__name__}",
            "Wrap it in a list: [source]. For a folder use featclf.ImageFolder(path) or featclf.UnlabelledFolder(path)",
        )
    if isinstance(X, Sequence):
        return X
    if isinstance(X, Mapping):
        raise InvalidImageError(
            "input", f"expected a collection of images, got a mapping ({type(X).__name__}), which would be read as "
            "its keys", "Pass list(X.values()) for its values as images, or list(X) for its keys",
        )
    if isinstance(X, AbstractSet):
        raise InvalidImageError(
            "input", f"expected an ordered collection of images, got a {type(X).__name__}, which has no order: its "
            "rows could not be matched to labels or to the inputs", "Pass a list in the order you want, e.g. sorted(X)",
        )
    try:
        is_one_shot = iter(X) is X
    except TypeError:
        is_one_shot = False
    if is_one_shot and not one_shot:
        raise InvalidImageError(
            "input", f"expected a collection of images, got a one-shot iterator ({type(X).__name__}): fit would "
            "consume it and leave nothing to transform", "Pass list(X)",
        )
    try:
        return list(X)
    except TypeError:
        raise InvalidImageError(
            "input", f"expected a collection of images, got {type(X).__name__}",
            "Pass a list of paths, bytes, PIL images or arrays, an array of shape (N, H, W[, C]), or a dataset",
        ) from None


def _array_sources(X: np.ndarray) -> Sequence:
    """The sources a numpy array holds: a stack of images, or an array of paths and other sources."""
    if X.dtype.kind in "OUS":  # paths, bytes or objects, one per element
        if X.ndim == 1:
            return list(X)
        if X.ndim == 2 and X.shape[1] == 1:
            return list(X[:, 0])
        raise InvalidImageError(
            "input", f"expected a 1-D array of image sources (one per image); got an array of shape {X.shape} "
            f"and dtype {X.dtype}", "Pass a 1-D array or a list, e.g. X.ravel() if every element is an image source",
        )
    if X.ndim == 4:
        return X
    if X.ndim == 3:
        n, h, w = X.shape
        if w <= 4:
            raise InvalidImageError(
                "input", f"an array of shape {X.shape} is ambiguous: one image of {n}x{h} with {w} channel"
                f"{'s' if w > 1 else ''}, or a stack of {n} grey images of width {w}",
                "For one image pass [image] or image[np.newaxis]; for a stack of grey images pass "
                "X[..., np.newaxis] (shape (N, H, W, 1))",
            )
        if n in (3, 4) and h > n and w > n:
            raise InvalidImageError(
                "input", f"an array of shape {X.shape} may be one channels-first image ({n} channels of {h}x{w}), "
                f"which featclf does not read, or a stack of {n} grey images of {h}x{w}",
                "For one channels-first image pass np.moveaxis(X, 0, -1)[np.newaxis] (shape (1, H, W, C)); "
                "for a stack of grey images pass list(X)",
            )
        return X
    if X.ndim == 2:
        raise InvalidImageError(
            "input", f"expected a stack of images of shape (N, H, W) or (N, H, W, C), or a list of images; got an "
            f"array of shape {X.shape} (one grey image?)",
            "Pass [image] (a list of one image), or add the batch axis with X[np.newaxis] (a stack of one)",
        )
    raise InvalidImageError(
        "input", f"expected a stack of images of shape (N, H, W) or (N, H, W, C), or a 1-D array of paths; got an "
        f"array of shape {X.shape} and dtype {X.dtype}", "Pass a list of images or paths",
    )


def in_memory(sources: Sequence) -> bool:
    """Whether every source is an in-memory image (a stack, or a list of arrays or PIL images).

    Such sources cost nothing to decode, so shipping them to worker processes costs
    more than the work (and a PIL image whose file was closed cannot be pickled): the
    engine then prefers threads (OpenCV and numpy release the GIL in their loops).
    """
    if isinstance(sources, np.ndarray):
        return True
    return len(sources) > 0 and all(isinstance(s, np.ndarray) or hasattr(s, "getpixel") for s in sources)


def prefer_threads(sources: Sequence) -> bool:
    """Whether to run workers as threads: in-memory images only, or any PIL image among the sources.

    A PIL image is pickled by re-encoding its pixels, and one whose file was closed cannot
    be pickled at all; threads read it where it is.
    """
    return in_memory(sources) or any(hasattr(s, "getpixel") for s in sources)


def chunk_size(n: int, n_workers: int, batch_size, cap: int = MAX_CHUNK) -> int:
    """Sources per worker task: ``batch_size``, or for ``'auto'`` about four tasks per worker (at most ``cap``)."""
    if batch_size != "auto":
        return batch_size
    if n_workers <= 1:
        return max(1, min(cap, n))
    return max(1, min(cap, math.ceil(n / (4 * n_workers))))


def check_batch_size(batch_size, owner=None):
    """``'auto'`` or an int >= 1; raises InvalidParameterError otherwise."""
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


def iter_chunks(func, sources: Sequence, *, n_jobs=None, batch_size="auto", verbose=1, desc="", args=(),
                prefer=None, parent_helps=False):
    """Yield ``func(chunk, start, *args)`` for consecutive chunks of ``sources``, in order.

    Parameters
    ----------
    func : callable
        ``func(chunk, start, *args)``, a module-level function (it is pickled to workers).
    sources : sequence
        Indexable; ``sources[s:e]`` is what a chunk receives.
    n_jobs : int, optional
        Workers; ``None`` follows ``joblib.parallel_config``. At most the number of
        cores (local backends) and of chunks are used (:func:`effective_workers`).
    batch_size : int or 'auto'
        Sources per chunk (see :func:`chunk_size`).
    verbose : int
        Progress bar (``desc`` names it) after ``PROGRESS_DELAY_S`` seconds, advanced as
        each chunk comes back (at most ``FILE_CHUNK`` encoded sources per chunk), whatever
        the number of workers; never drawn when stderr is not a terminal (tqdm's
        ``disable=None``), so logs of non-interactive runs hold no bar.
    args : tuple
        Passed to ``func`` after ``start``.
    prefer : {None, 'threads'}
        joblib's soft hint.
    parent_helps : bool

    ``func`` runs in joblib workers when ``n_jobs`` (or the active
    ``joblib.parallel_config``) asks for more than one; results are handed on in input
    order (chunks done early wait in a buffer) while the bar advances as each chunk
    completes, in any order. ``prefer='threads'`` is
    joblib's soft hint (a backend chosen with ``parallel_config`` wins). A featclf
    error raised in a chunk is re-raised here when that chunk's turn comes. A worker
    process that dies (killed for lack of memory, a crash in native code) raises
    :class:`~featclf.exceptions.WorkerDiedError`, naming the likely cause and the fix.

    With ``parent_helps=True`` and joblib's default process backend (loky), the
    calling process is one of the ``n_jobs`` workers: it starts ``n_jobs - 1`` loky
    processes (a pool of featclf's own, kept between calls as joblib's) and computes the next
    unclaimed chunk whenever the next result in order is not ready. It works while
    they start (each takes about half a second of CPU to import numpy, joblib, Pillow
    and OpenCV) instead of waiting, and one fewer process is started. With threads or
    another backend chosen in ``joblib.parallel_config`` the chunks all go to joblib's
    workers.

    Under joblib's Dask backend (:func:`dask_client`), every chunk is a task submitted
    with that backend's client, whatever ``n_jobs`` (the cluster's size decides; a
    single chunk too, as the workers may hold devices the caller lacks): each task
    carries its slice of ``sources`` (paths: the workers read the images themselves),
    while ``args`` are scattered to every worker once per call (:func:`_dask_work`). A
    worker that dies is replaced and its tasks rerun by Dask; a task that kills
    ``distributed.scheduler.allowed-failures + 1`` workers raises
    :class:`~featclf.exceptions.WorkerDiedError`.
    """
    from tqdm.auto import tqdm

    n = len(sources)
    if n == 0:
        return
    n_workers = effective_workers(n_jobs, n)
    size = chunk_size(n, n_workers, batch_size, MAX_CHUNK if in_memory(sources) else FILE_CHUNK)
    starts = range(0, n, size)
    n_workers = effective_workers(n_jobs, len(starts))  # never more workers than chunks (or cores)
    client = dask_client()  # on a Dask cluster even one chunk goes to the workers (they may hold the GPUs)
    if n_workers == 1 and client is None:  # no worker to feed: run inline, without joblib's overhead
        done = ((i, _guarded(func, sources[s : s + size], s, *args)) for i, s in enumerate(starts))
    elif parent_helps and prefer is None and _loky_default():
        done = _shared_work(func, sources, starts, size, n_workers, args)
    elif client is not None:
        done = _dask_work(client, func, sources, starts, size, args)
    else:
        tasks = (joblib.delayed(_numbered)(i, func, sources[s : s + size], s, *args) for i, s in enumerate(starts))
        done = joblib.Parallel(n_jobs=n_workers, return_as="generator_unordered", prefer=prefer)(tasks)
    ready: dict = {}  # chunks done ahead of their turn
    wanted = 0
    try:
        with tqdm(total=n, desc=desc, unit="img", disable=None if verbose else True, delay=PROGRESS_DELAY_S,
                  leave=False) as bar:
            for number, result in _alive(done, n_workers, desc):  # in the order chunks complete
                ready[number] = result
                if not isinstance(result, _Failed):
                    bar.update(min(size, n - starts[number]))  # progress as each chunk completes
                while wanted in ready:  # results (and errors) in input order
                    result = ready.pop(wanted)
                    if isinstance(result, _Failed):
                        raise result.error
                    yield result
                    wanted += 1
    finally:
        with warnings.catch_warnings():  # joblib's note about cancelled tasks is noise after an error
            warnings.filterwarnings("ignore", category=UserWarning,
                                    message=r"\d+ tasks (have been successfully executed|which were still being)")
            if hasattr(done, "close"):
                done.close()


def _numbered(number, func, chunk, start, *args):
    return number, _guarded(func, chunk, start, *args)


class _Shared:
    """The arguments every chunk shares, scattered to each Dask worker once (one object per worker process).

    Every task a worker runs receives that worker's one copy, so state a kernel builds
    on first use (a CNN's loaded network) is built once per worker, not once per task.
    """

    def __init__(self, args: tuple):
        self.args = args


def _numbered_shared(number, func, chunk, start, shared: _Shared):
    return number, _guarded(func, chunk, start, *shared.args)


def _dask_work(client, func, sources, starts, size, args):
    """``(number, result)`` of each chunk as it completes, each chunk a task on the Dask cluster of ``client``.

    ``args`` are scattered to every worker once; at most two tasks per worker thread are
    in flight (the others wait here, so in-memory sources are not all shipped at once).
    Submitted with the client itself rather than through joblib's Dask backend, whose
    generators never return when the scheduler gives up on a task (``KilledWorker``).
    """
    from distributed import as_completed

    shared = client.scatter(_Shared(args), broadcast=True, hash=False)
    depth = 2 * max(1, sum(client.nthreads().values()))
    numbers = iter(range(len(starts)))

    def submit(number):
        s = starts[number]
        chunk = [os.path.abspath(x) if isinstance(x, (str, os.PathLike)) else x for x in sources[s : s + size]]
        return client.submit(_numbered_shared, number, func, chunk, s, shared, pure=False)  # workers' own folders

    running = as_completed([submit(number) for number in itertools.islice(numbers, depth)],
                           loop=client.loop, with_results=True)
    try:
        for future, result in running:
            if future.status != "finished":  # cancelled: what every task shares was lost with the workers
                raise WorkerDiedError(
                    f"Dask workers died while extracting features: the data every task shares (scattered to them "
                    f"once) was lost with them ({type(result).__name__}), so the run cannot go on. Most likely they "
                    "ran out of memory or were killed: give each worker more memory (dask worker --memory-limit), "
                    "and rerun; with a cache folder (cache_dir, --cache-dir) a rerun resumes where this one stopped.")
            yield result
            if (number := next(numbers, None)) is not None:
                running.add(submit(number))
    finally:
        client.cancel(list(running.futures))
        shared.release()


def dask_client():
    """The Dask client of the active joblib backend (``parallel_config(backend='dask')``), or None.

    None for joblib's local backends (processes, threads), where the engine runs as
    documented in :func:`iter_chunks`.
    """
    backend, _ = joblib.parallel.get_active_backend()
    return getattr(backend, "client", None) if type(backend).__name__ == "DaskDistributedBackend" else None


def _alive(results, n_workers, desc):
    """``results``, with a dead worker process reported as WorkerDiedError instead of joblib's traceback."""
    from concurrent.futures import BrokenExecutor

    during = f"extracting features ({desc})" if desc else "extracting features"
    try:
        yield from results
    except BrokenExecutor as exc:  # loky's TerminatedWorkerError, BrokenProcessPool
        raise worker_died(during, n_workers) from exc
    except Exception as exc:
        if type(exc).__name__ != "KilledWorker":  # distributed's: the same task killed several workers
            raise
        raise WorkerDiedError(
            f"Dask workers died while {during}: the scheduler gave up on a task that killed every worker that "
            f"ran it (KilledWorker: {' '.join(str(exc).split()).split('. ')[0]}). Most likely they ran out of "
            "memory (or crashed in native code): give each worker more memory (dask worker --memory-limit) or "
            "fewer threads (--nthreads 1), and use a smaller batch_size or max_pixels (command line: "
            "-e NAME:batch_size=16, --max-pixels N). With a cache folder (cache_dir, --cache-dir) a rerun "
            "resumes where this one stopped."
        ) from exc



def worker_died(during: str, n_workers: int) -> WorkerDiedError:
    """The error for a worker process that died ``during`` a phase run with ``n_workers`` workers."""
    fewer = max(1, n_workers // 2)
    return WorkerDiedError(
        f"A worker process died while {during} with n_jobs={n_workers}: most likely the system killed it for "
        f"lack of memory (or it crashed in native code). Use fewer workers (n_jobs={fewer}, on the command line "
        f"--n-jobs {fewer}); for extraction also a smaller batch_size or max_pixels, so that each worker holds "
        "fewer decoded images (command line: -e NAME:batch_size=16, --max-pixels N)."
    )


def _loky_default() -> bool:
    """Whether joblib would use its default process backend (loky) here."""
    backend, _ = joblib.parallel.get_active_backend()
    return type(backend).__name__ == "LokyBackend"


_POOL = None
#: Seconds an idle helper process waits for work before it exits (as joblib's loky workers).
POOL_IDLE_TIMEOUT_S = 300


def _helper_pool(n: int):
    """featclf's own loky process pool of ``n`` workers, kept between calls like joblib's.

    A pool of its own, so that it never resizes or reconfigures the reusable executor
    joblib shares with scikit-learn.
    """
    from joblib.externals.loky import ProcessPoolExecutor

    global _POOL
    broken = getattr(getattr(_POOL, "_flags", None), "broken", None) is not None  # a worker died: start afresh
    if _POOL is None or _POOL._max_workers != n or broken:
        if _POOL is not None:
            _POOL.shutdown(wait=False)
        _POOL = ProcessPoolExecutor(max_workers=n, timeout=POOL_IDLE_TIMEOUT_S)
    return _POOL


def _shared_work(func, sources, starts, size, n_workers, args):
    """``(number, result)`` of each chunk as it completes, computed by ``n_workers - 1`` loky processes and this one.

    Chunks are claimed in input order; a few are kept in flight on the workers, and
    whenever none of them is done this process computes the next unclaimed chunk
    itself, so progress never waits for a slow worker (e.g. one still starting). When
    the pool is new and every chunk is claimed before its workers have completed any
    (they are still starting: a short job, or a rerun served by the feature cache),
    this process computes their chunks too instead of waiting for them to start.
    """
    from concurrent.futures import FIRST_COMPLETED, wait

    previous = _POOL
    executor = _helper_pool(n_workers - 1)
    starting = executor is not previous  # a new pool: its workers take about half a second to start
    depth = 2 * (n_workers - 1)
    claimed = iter(range(len(starts)))
    in_flight: dict = {}

    def submit():
        while len(in_flight) < depth and (number := next(claimed, None)) is not None:
            s = starts[number]
            in_flight[number] = executor.submit(_guarded, func, sources[s : s + size], s, *args)

    pool_done = 0  # chunks the workers have completed: none yet while they start
    try:
        submit()
        while in_flight:
            finished = [number for number, future in in_flight.items() if future.done()]
            if not finished:
                if (number := next(claimed, None)) is not None:  # help: the next unclaimed chunk, here
                    s = starts[number]
                    yield number, _guarded(func, sources[s : s + size], s, *args)
                    submit()
                    continue
                if starting and pool_done == 0:  # all claimed, the new workers still starting: do their chunks
                    number = min(in_flight)  # (a chunk is a pure function of its sources: its twice is the same)
                    in_flight.pop(number).cancel()
                    s = starts[number]
                    yield number, _guarded(func, sources[s : s + size], s, *args)
                    continue
                wait(list(in_flight.values()), return_when=FIRST_COMPLETED)  # everything is claimed
                finished = [number for number, future in in_flight.items() if future.done()]
            for number in sorted(finished):
                pool_done += 1
                yield number, in_flight.pop(number).result()
            submit()
    finally:
        for future in in_flight.values():
            future.cancel()
