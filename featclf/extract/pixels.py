"""Raw pixels: resize, optionally convert to grey, scale to [0, 1], flatten."""

from __future__ import annotations

import numpy as np

from .._validation import check_option
from ..io import DEFAULT_MAX_PIXELS
from ..kernels import PixelsKernel
from ._base import BaseExtractor
from ._registry import register_extractor


@register_extractor("pixels")
class RawPixels(BaseExtractor):
    """Raw pixel values as features.

    Each image is resized to ``size``, converted to grey or kept as RGB, scaled to
    ``[0, 1]`` and flattened row by row (channels last).

    Parameters
    ----------
    size : (int, int) or None, default=None
        ``(height, width)`` to resize to. ``None``: images as they come when all the
        images given to ``fit`` share one size (kept: digits stay 8x8); otherwise
        every image is resized to 32x32 (the size rule of
        :class:`~featclf.extract.BaseExtractor`; ``size_rule_`` says which applied).
    color : {'grey', 'rgb'}, default='grey'
        Grey (``H * W`` features) or RGB (``H * W * 3`` features).
    n_jobs : int, optional
        Parallel workers for decoding and extraction: for files, this process and
        ``n_jobs - 1`` worker processes; for in-memory arrays, threads. ``-1``: all
        cores; ``None`` follows ``joblib.parallel_config``.
    batch_size : int or 'auto', default='auto'
        Images per worker task.
    on_error : {'raise', 'skip', 'nan'}, default='raise'
        Images that cannot be used (unreadable, or of another size than a kept native
        size): stop; ``'skip'``: leave them out of :meth:`extract` (``transform``
        then raises, as it returns one row per input); ``'nan'``: keep their rows, as NaN.
    verbose : int, default=1
        Progress bar on long work; 0 for silence.
    max_pixels : int or None, default=178956970
        The largest image decoded (width x height pixels), in every worker process:
        a file or PIL image declaring more is refused from its header, before any
        decoding (:class:`~featclf.exceptions.ImageTooLargeError`, skipped with
        ``on_error='skip'``); ``None``: no limit. The default is where Pillow refuses
        at its default settings (see :func:`featclf.load_image`). Also the largest
        ``size`` accepted.
    cache_dir : str, path-like or False, optional
        Folder of the feature cache: rows of images already extracted with the same
        configuration (same file content, same parameters apart from ``n_jobs``,
        ``verbose``, ``batch_size``, ``on_error`` and ``cache_dir``) are read from it
        instead of computed, and new rows are written as they are computed (see the
        README's "Feature cache"). Default: :func:`featclf.set_config`'s ``cache_dir``,
        else ``$FEATCLF_CACHE_DIR``, else no cache; ``False``: no cache.

    Attributes
    ----------
    image_size_ : (int, int)
        ``(height, width)`` of the images as featurised.
    size_rule_ : str
        Why that size: ``'native: ...'``, ``'default: ...'`` or ``'size: ...'``.
    n_features_out_ : int
    feature_names_out_ : ndarray of str
        ``"pixel_r{row}_c{col}"`` (grey) or ``"pixel_r{row}_c{col}_{R|G|B}"``.

    Examples
    --------
    >>> import numpy as np, featclf
    >>> X = np.random.default_rng(0).integers(0, 256, (2, 5, 5), dtype=np.uint8)  # 2 grey 5x5 images
    >>> featclf.RawPixels().fit_transform(X).shape
    (2, 25)
    """

    #: The size images of several sizes are resized to with ``size=None`` (CIFAR's 32x32; the
    #: size of ``evaluate``'s own ``pixels:size=32x32`` default: 1,024 grey features).
    _default_size = (32, 32)

    def __init__(self, *, size=None, color="grey", n_jobs=None, batch_size="auto", on_error="raise", verbose=1,
                 max_pixels=DEFAULT_MAX_PIXELS, cache_dir=None):
        self.size = size
        self.color = color
        self.n_jobs = n_jobs
        self.batch_size = batch_size
        self.on_error = on_error
        self.verbose = verbose
        self.max_pixels = max_pixels
        self.cache_dir = cache_dir

    @property
    def _image_mode(self):
        return "grey" if self.color in ("grey", "gray") else "rgb"

    def _check_params(self):
        check_option("color", self.color, ("grey", "gray", "rgb"), self)

    def _output_names(self, image_shape):
        h, w = image_shape[:2]
        if len(image_shape) == 2:
            return [f"pixel_r{r}_c{c}" for r in range(h) for c in range(w)]
        return [f"pixel_r{r}_c{c}_{ch}" for r in range(h) for c in range(w) for ch in "RGB"]

    def _n_output(self, image_shape):
        return int(np.prod(image_shape))

    def _kernel(self, sources):
        return PixelsKernel(*self._sized(), color=self.color)
