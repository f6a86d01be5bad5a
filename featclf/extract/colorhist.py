"""Colour histograms in RGB, HSV or CIE Lab, ignoring pixels that were transparent in the source."""

from __future__ import annotations

import numbers

import numpy as np

from .._validation import check_option
from ..exceptions import InvalidParameterError
from ..io import DEFAULT_MAX_PIXELS
from ..kernels import CHANNELS, COLOR_SPACES, ColorHistogramKernel
from ._base import BaseExtractor
from ._registry import register_extractor


@register_extractor("colorhist")
class ColorHistogram(BaseExtractor):
    """Normalised colour histograms in RGB, HSV or CIE Lab.

    For each image:

    1. Decode keeping the alpha channel (colour not composited onto a background);
       resize to ``size`` if given. Images need not share one size.
    2. Leave out the pixels that are fully transparent in the source (alpha = 0,
       e.g. the background of a cut-out). Other pixels count fully, whatever their
       alpha. Sources without alpha keep every pixel.
    3. Convert the remaining pixels to ``color_space`` with OpenCV's 8-bit
       conversions. Channel ranges (value ``v`` lies in ``[0, range)``):

       * ``'rgb'``: R, G, B in 0-255.
       * ``'hsv'``: H in 0-179 (degrees / 2: OpenCV's 8-bit hue), S and V in 0-255.
         Hue wraps: reds sit in both the first and the last hue bin.
       * ``'lab'``: L in 0-255 (L* x 255 / 100), a and b in 0-255 (a* + 128,
         b* + 128). sRGB colours use only about 42-226 of a and 20-223 of b, so
         the outer a/b bins stay empty.

    4. Count pixels in ``bins`` equal-width bins per channel (value ``v`` goes to
       bin ``v * bins // range``, an exact integer rule), either jointly (one 3-D histogram, flattened
       row-major: ``prod(bins)`` features) or per channel (three histograms
       concatenated: ``sum(bins)`` features).
    5. Normalise each histogram to sum to 1 (divide by the number of counted
       pixels). An image whose pixels are all transparent gives a row of zeros,
       the only rows that do not sum to 1.

    Grey images are R = G = B. Their RGB histograms fill only bins with equal R,
    G and B indices (the diagonal of the joint histogram; three identical
    per-channel histograms); in HSV, hue and saturation are 0, so all the mass is
    in the first H and S bins and V carries the grey levels; in Lab, a and b are
    128 (neutral), so all the mass is in the middle a and b bins.

    Parameters
    ----------
    color_space : {'rgb', 'hsv', 'lab'}, default='hsv'
        Colour space of the histogram.
    bins : int or (int, int, int), default=8
        Bins per channel (the same for all three, or one per channel), each at
        most the channel's range (180 for hue, 256 otherwise).
    joint : bool, default=True
        ``True``: one joint 3-D histogram; ``False``: per-channel histograms, concatenated.
    size : (int, int) or None, default=None
        ``(height, width)`` to resize to before counting; ``None`` counts the images
        as they come (any sizes; a histogram is normalised anyway).
    n_jobs : int, optional
        Parallel workers for decoding and extraction: for files, this process and
        ``n_jobs - 1`` worker processes; for in-memory arrays, threads. ``-1``: all
        cores; ``None`` follows ``joblib.parallel_config``.
    batch_size : int or 'auto', default='auto'
        Images per worker task.
    on_error : {'raise', 'skip', 'nan'}, default='raise'
        Images that cannot be loaded: stop; ``'skip'``: leave them out of
        :meth:`extract` (``transform`` then raises, as it returns one row per input);
        ``'nan'``: keep their rows, as NaN.
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
    image_size_ : (int, int) or None
        ``size`` as a pair, or ``None`` (images used as they come).
    size_rule_ : str
        ``'size: ...'`` or ``'any: ...'``.
    n_features_out_ : int
        ``prod(bins)`` (joint) or ``sum(bins)`` (per channel).
    feature_names_out_ : ndarray of str
        Joint: ``"colorhist_{space}_{c0}{i}_{c1}{j}_{c2}{k}"``, e.g.
        ``"colorhist_hsv_h0_s3_v7"``; per channel: ``"colorhist_{space}_{c}{i}"``,
        e.g. ``"colorhist_rgb_g5"``.

    Examples
    --------
    >>> import numpy as np, featclf
    >>> image = np.zeros((4, 4, 3), np.uint8); image[:, 2:] = (255, 0, 0)
    >>> hist = featclf.ColorHistogram(color_space="rgb", bins=2, verbose=0).fit_transform([image])
    >>> hist.shape, hist[0][hist[0] > 0].tolist()
    ((1, 8), [0.5, 0.5])
    """

    _image_mode = "rgba"
    _needs_common_size = False  # a histogram has the same length whatever the image size

    def __init__(self, *, color_space="hsv", bins=8, joint=True, size=None, n_jobs=None, batch_size="auto",
                 on_error="raise", verbose=1, max_pixels=DEFAULT_MAX_PIXELS, cache_dir=None):
        self.color_space = color_space
        self.bins = bins
        self.joint = joint
        self.size = size
        self.n_jobs = n_jobs
        self.batch_size = batch_size
        self.on_error = on_error
        self.verbose = verbose
        self.max_pixels = max_pixels
        self.cache_dir = cache_dir

    def _bins(self) -> tuple[int, int, int]:
        bins = self.bins
        if isinstance(bins, numbers.Integral) and not isinstance(bins, bool):
            bins = (bins,) * 3
        ok = (
            isinstance(bins, (tuple, list)) and len(bins) == 3
            and all(isinstance(b, numbers.Integral) and not isinstance(b, bool) and b >= 1 for b in bins)
        )
        if not ok:
            raise InvalidParameterError(
                f"The 'bins' parameter of ColorHistogram must be an int >= 1 or a tuple of 3 ints >= 1 "
                f"(one per channel, e.g. (8, 4, 4)). Got {self.bins!r} instead."
            )
        space = self.color_space
        for (name, value_range), b in zip(CHANNELS[space], bins):
            if b > value_range:
                raise InvalidParameterError(
                    f"The 'bins' parameter of ColorHistogram asks for {b} bins on channel {name!r} of "
                    f"color_space={space!r}, which has only {value_range} values (0-{value_range - 1}). "
                    f"Use at most {value_range} bins. Got {self.bins!r} instead."
                )
        return tuple(int(b) for b in bins)

    def _check_params(self):
        check_option("color_space", self.color_space, COLOR_SPACES, self)
        if not isinstance(self.joint, (bool, np.bool_)):
            raise InvalidParameterError(
                f"The 'joint' parameter of ColorHistogram must be True (one 3-D histogram) or False "
                f"(per-channel histograms). Got {self.joint!r} instead."
            )
        self._bins()

    def _output_names(self, image_shape=None):
        space = self.color_space
        names = [name for name, _ in CHANNELS[space]]
        b0, b1, b2 = self._bins()
        if self.joint:
            return [
                f"colorhist_{space}_{names[0]}{i}_{names[1]}{j}_{names[2]}{k}"
                for i in range(b0) for j in range(b1) for k in range(b2)
            ]
        return [f"colorhist_{space}_{name}{i}" for name, b in zip(names, (b0, b1, b2)) for i in range(b)]

    def _kernel(self, sources):
        return ColorHistogramKernel(*self._sized(), color_space=self.color_space, bins=self._bins(),
                                    joint=self.joint)
