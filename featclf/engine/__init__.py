"""The batch engine: chunks, parallel loading, the one extraction loop and its record.

Below the extractors and above single-image input (:mod:`featclf.io`): every
extractor's batch work goes through :func:`extract` / :func:`extract_many`, which
return one :class:`Extraction` record each (features, the input index of each row,
every skipped input with its index and reason). :func:`load_images` decodes a batch
through the same chunks. The feature cache (``cache_dir``; :func:`cache_info`,
:func:`clear_cache`) is read and written by the same loop. Under joblib's Dask backend
(``joblib.parallel_config(backend="dask")``) the chunks are tasks on that cluster. Nothing here imports scikit-learn, SciPy or torch, so worker
processes start fast.
"""

from ._cache import (
    FEATURE_FORMAT,
    RUN_ONLY_PARAMS,
    cache_info,
    check_cache_dir,
    check_cache_param,
    clear_cache,
    parse_age,
)
from ._chunks import (
    FILE_CHUNK,
    MAX_CHUNK,
    as_sources,
    check_batch_size,
    chunk_size,
    in_memory,
    iter_chunks,
    prefer_threads,
    worker_died,
)
from ._extract import DECODE_BATCH, check_output_memory, extract, extract_many, warn_constant
from ._loading import LoadedImages, load_images
from ._record import Extraction, SkippedInput, merge_skipped, paired_rows, warn_skipped

__all__ = [
    "DECODE_BATCH",
    "FEATURE_FORMAT",
    "RUN_ONLY_PARAMS",
    "FILE_CHUNK",
    "MAX_CHUNK",
    "Extraction",
    "LoadedImages",
    "SkippedInput",
    "as_sources",
    "cache_info",
    "check_batch_size",
    "check_cache_dir",
    "check_cache_param",
    "check_output_memory",
    "chunk_size",
    "clear_cache",
    "extract",
    "extract_many",
    "in_memory",
    "iter_chunks",
    "load_images",
    "merge_skipped",
    "paired_rows",
    "parse_age",
    "prefer_threads",
    "warn_constant",
    "warn_skipped",
    "worker_died",
]

from .._public import set_public_module  # noqa: E402

set_public_module(globals(), __all__, "featclf.engine")
