"""Batch image loading: :func:`featclf.load_images`, through the engine's chunks."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from .._validation import ON_ERROR_OPTIONS, check_n_jobs, check_option
from ..exceptions import ImageLoadError, InvalidImageError
from ..io import DEFAULT_MAX_PIXELS, WHITE, check_background, check_max_pixels, check_mode, load_image
from ._chunks import as_sources, iter_chunks, prefer_threads
from ._record import SkippedInput, warn_skipped


@dataclass
class LoadedImages:
    """The result of :func:`load_images`.

    Attributes
    ----------
    images : list of ndarray of dtype uint8
        Decoded images in input order, each ``(H, W, 3)``, ``(H, W)`` or ``(H, W, 4)``
        following ``mode``; skipped sources are left out (no placeholders).
    indices : list of int
        Position in the input of each entry of ``images``.
    skipped : list of SkippedInput
        Each skipped source: ``(index, source, reason)``, with its path (or
        ``"item N"`` for in-memory images) and why.
    """

    images: list = field(default_factory=list)
    indices: list = field(default_factory=list)
    skipped: list = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.images)


def _load_chunk(chunk, start, mode, background, skip, max_pixels):
    out = LoadedImages()
    for index, source in enumerate(chunk, start):
        try:
            out.images.append(load_image(source, mode=mode, background=background, index=index, max_pixels=max_pixels))
            out.indices.append(index)
        except (ImageLoadError, InvalidImageError) as exc:
            if not skip:
                raise
            out.skipped.append(SkippedInput(index, exc.source, exc.reason))
    return out


def load_images(
    sources: Iterable,
    *,
    mode: str = "rgb",
    background=WHITE,
    on_error: str = "raise",
    n_jobs: int | None = None,
    verbose: int = 1,
    max_pixels=DEFAULT_MAX_PIXELS,
) -> LoadedImages:
    """Decode many image sources, optionally in parallel.

    Parameters
    ----------
    sources : iterable
        Anything :func:`featclf.load_image` accepts, one per image (or a dataset object);
        a generator is accepted here (each image is read once); sets and dicts are
        refused (no order, or keys), as by the extractors.
    mode, background
        As in :func:`featclf.load_image`.
    on_error : {'raise', 'skip'}, default='raise'
        ``'raise'`` stops at the first bad source with its error. ``'skip'`` leaves
        bad sources out, lists them in ``.skipped`` and warns how many were skipped.
    n_jobs : int, optional
        Parallel workers (joblib; processes for files, threads for in-memory arrays);
        ``None`` follows ``joblib.parallel_config``.
    verbose : int, default=1
        Show a progress bar on long work; ``0`` for silence.
    max_pixels : int or None, default=DEFAULT_MAX_PIXELS (178,956,970)
        The largest image decoded, in every worker: above it a source is refused from
        its header (:class:`~featclf.exceptions.ImageTooLargeError`, skipped with
        ``on_error='skip'``); ``None``: no limit. See :func:`featclf.load_image`.

    Returns
    -------
    LoadedImages
        ``.images`` (input order, skipped ones left out), ``.indices``, ``.skipped``.

    Raises
    ------
    InvalidParameterError
        A bad ``mode``, ``background``, ``on_error``, ``n_jobs`` or ``max_pixels``.
    InvalidImageError
        ``sources`` is a single image rather than a collection; or, with
        ``on_error='raise'``, an in-memory image of the wrong shape, dtype or range.
    ImageLoadError, ImageNotFoundError, ImageTooLargeError
        With ``on_error='raise'``, the first source (in input order) that cannot be read.
    """
    check_option("on_error", on_error, ON_ERROR_OPTIONS)
    check_n_jobs(n_jobs, "load_images")
    max_pixels = check_max_pixels(max_pixels, "load_images")
    mode = check_mode(mode)
    if background is not WHITE:
        background = check_background(background)
    # Read once, so a one-shot iterator (a generator) is fine here, unlike an extractor's fit.
    sources = as_sources(sources, one_shot=True)
    result = LoadedImages()
    for part in iter_chunks(
        _load_chunk, sources, n_jobs=n_jobs, verbose=verbose, desc="loading images",
        args=(mode, background, on_error == "skip", max_pixels), prefer="threads" if prefer_threads(sources) else None,
        parent_helps=True,
    ):
        result.images.extend(part.images)
        result.indices.extend(part.indices)
        result.skipped.extend(part.skipped)
    warn_skipped(result.skipped, len(sources))
    return result
