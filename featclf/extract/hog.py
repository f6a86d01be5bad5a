"""Histogram of Oriented Gradients (HOG): OpenCV's fast descriptor or scikit-image's reference."""

from __future__ import annotations

from .._optional import import_optional
from .._validation import check_int, check_option, check_pair
from ..exceptions import ImageSizeError, InvalidParameterError
from ..io import DEFAULT_MAX_PIXELS
from ..kernels import BLOCK_NORMS, COLORS, METHODS, HOGKernel, opencv_block_is_safe, opencv_hog_class
from ._base import BaseExtractor
from ._registry import register_extractor


@register_extractor("hog")
class HOG(BaseExtractor):
    """Histogram of Oriented Gradients (Dalal & Triggs), with scikit-image's parameters.

    The algorithm, for each image:

    1. Decode, resize to ``size`` if given, and keep it in colour (``color='rgb'``)
       or convert it to grey (``color='grey'``).
    2. Compute horizontal and vertical gradients with the centred kernel
       ``[-1, 0, 1]`` (no smoothing, no gamma correction); the gradients on the
       image border are zero. For a colour image, each pixel keeps the gradient of
       the channel where its magnitude is largest (as ``skimage.feature.hog`` with
       ``channel_axis=-1``). A grey image gives exactly the features of the same
       image stored as RGB.
    3. Divide the image into cells of ``pixels_per_cell`` pixels (pixels beyond the
       last whole cell are ignored) and, in each cell, accumulate gradient
       magnitudes into ``orientations`` bins of unsigned orientation (0 to 180
       degrees; bin ``k`` is centred on ``(k + 0.5) * 180 / orientations``).
    4. Group cells into overlapping blocks of ``cells_per_block`` cells, moving by
       one cell, and normalise each block's concatenated histograms (``block_norm``).
    5. Concatenate the normalised blocks into one vector of length
       ``n_blocks_row * n_blocks_col * cells_row * cells_col * orientations`` with
       ``n_blocks = image_cells - cells_per_block + 1`` per axis, laid out as
       scikit-image does: ``(block_row, block_col, cell_row, cell_col,
       orientation)``, row-major. That is also the order of the feature names
       ``"hog_b{block_row}_{block_col}_c{cell_row}_{cell_col}_o{k}"``.

    Parameters
    ----------
    orientations : int, default=9
        Number of orientation bins over 0-180 degrees.
    pixels_per_cell : (int, int), default=(8, 8)
        Cell size ``(rows, cols)`` in pixels.
    cells_per_block : (int, int), default=(2, 2)
        Block size ``(rows, cols)`` in cells.
    block_norm : {'L2-Hys', 'L1', 'L1-sqrt', 'L2'}, default='L2-Hys'
        Block normalisation, as in ``skimage.feature.hog``: ``'L1'`` divides by the
        L1 norm; ``'L1-sqrt'`` then takes the square root; ``'L2'`` divides by the L2
        norm; ``'L2-Hys'`` divides by the L2 norm, clips values at 0.2 and
        normalises again. ``method='opencv'`` implements ``'L2-Hys'`` only.
    size : (int, int) or None, default=None
        ``(height, width)`` to resize to. ``None``: images as they come when all the
        images given to ``fit`` share one size (kept: Fashion-MNIST stays 28x28);
        otherwise, or when that shared size is smaller than one block (digits' 8x8),
        every image is resized to 64x64, or to one block where a block is larger (the
        size rule of :class:`~featclf.extract.BaseExtractor`; ``size_rule_`` says which
        applied and why). Images must be at least ``pixels_per_cell * cells_per_block``
        in each dimension.
    color : {'rgb', 'grey'}, default='rgb'
        ``'rgb'``: the per-pixel strongest channel gradient (step 2); ``'grey'``:
        convert to grey (ITU-R 601-2 luma) first, a little faster on colour images.
        Grey images give the same features either way.
    method : {'opencv', 'skimage'}, default='opencv'
        ``'opencv'``: ``cv2.HOGDescriptor`` (about 30x faster; needs OpenCV 4,
        ``opencv-python-headless<5``); ``'skimage'``: ``skimage.feature.hog``, the
        reference. Their numbers differ: see Notes.
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
        ``"hog_b{block_row}_{block_col}_c{cell_row}_{cell_col}_o{k}"``, in output order.

    Raises
    ------
    ImageSizeError
        From ``fit``, when the images (or ``size``) are smaller than one block
        (the message gives the minimum size).
    InvalidParameterError
        A bad parameter, or ``block_norm`` other than ``'L2-Hys'`` with ``method='opencv'``.
    MissingDependencyError
        ``method='opencv'`` with an OpenCV that has no ``HOGDescriptor`` (OpenCV 5).

    Notes
    -----
    Both methods share steps 1, 2 (identical gradients, including zero gradients
    on the border and the strongest-channel rule with ties going to the first
    channel), the cell and block geometry and the output layout. OpenCV's own
    layout enumerates blocks, and cells inside a block, column by column; featclf
    permutes it into scikit-image's row-major layout (see
    :func:`opencv_to_skimage_order`), so the columns of the two methods correspond.
    The values differ in three ways:

    * Orientation voting: scikit-image gives a pixel's whole magnitude to the bin
      containing its orientation; OpenCV splits it linearly between the two
      nearest bin centres. A vertical edge (horizontal gradient, 0 degrees) falls
      entirely in bin 0 with scikit-image, but half in bin 0 and half in the last
      bin with OpenCV; a horizontal edge (90 degrees, a bin centre with 9 bins)
      falls in bin 4 with both.
    * Spatial voting: scikit-image averages each cell's votes over its pixels and
      shares cell histograms between blocks. OpenCV weights each pixel by a
      Gaussian window centred on the block (sigma = (block width + block height)
      / 8 pixels) and splits its vote bilinearly between the nearest cells of the
      block, so histograms are computed per block.
    * L2-Hys: scikit-image computes ``v / sqrt(|v|^2 + 1e-10)``, clips at 0.2 and
      normalises again the same way, so its features do not depend on contrast.
      OpenCV divides first by ``|v| + 0.1 * len(v)`` (gradients on the 0-255
      scale), clips at 0.2, then divides by ``|v| + 1e-3``: faint blocks (an edge
      of a few grey levels) stay under the clip after the first step, so they
      come out L2-normalised but hardly clipped, while strong blocks are clipped
      as in scikit-image. Block norms are 1 within 2e-3 in both.

    Measured on 1,000 Fashion-MNIST test images (28x28, 4x4-pixel cells, 2x2
    blocks, 9 orientations; tested in ``tests/extract/test_hog.py``): the two
    vectors have the same length and layout; their per-image Pearson correlation
    is 0.67 at worst and 0.80 in median; the scikit-image vector nearest to each
    OpenCV vector (Euclidean) is that of the same image for 98% of images. With
    an SVC(C=10) on Fashion-MNIST, OpenCV's HOG scored 0.902 against 0.883 for
    scikit-image's (train[:10000], see ``/benchmarks``).

    References
    ----------
    .. [1] Dalal, N. and Triggs, B., "Histograms of Oriented Gradients for Human
       Detection", CVPR 2005.
    .. [2] ``skimage.feature.hog`` and OpenCV's ``cv::HOGDescriptor``.

    Examples
    --------
    >>> import numpy as np, featclf
    >>> X = np.random.default_rng(0).integers(0, 256, (2, 28, 28), dtype=np.uint8)
    >>> featclf.HOG(pixels_per_cell=(4, 4), verbose=0).fit_transform(X).shape
    (2, 1296)
    """

    #: The size images of several sizes are resized to with ``size=None``: square, as whole images
    #: to classify are of any aspect (Dalal & Triggs' 128x64 window is a standing person's), and
    #: the size of ``evaluate``'s own ``hog:size=64x64`` default (1,764 features with 8x8 cells).
    _default_size = (64, 64)

    def __init__(self, *, orientations=9, pixels_per_cell=(8, 8), cells_per_block=(2, 2), block_norm="L2-Hys",
                 size=None, color="rgb", method="opencv", n_jobs=None, batch_size="auto", on_error="raise",
                 verbose=1, max_pixels=DEFAULT_MAX_PIXELS, cache_dir=None):
        self.orientations = orientations
        self.pixels_per_cell = pixels_per_cell
        self.cells_per_block = cells_per_block
        self.block_norm = block_norm
        self.size = size
        self.color = color
        self.method = method
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
        check_int("orientations", self.orientations, owner=self)
        check_pair("pixels_per_cell", self.pixels_per_cell, owner=self)
        check_pair("cells_per_block", self.cells_per_block, owner=self)
        check_option("block_norm", self.block_norm, BLOCK_NORMS, self)
        check_option("color", self.color, COLORS, self)
        check_option("method", self.method, METHODS, self)
        if self.method == "opencv":
            if self.block_norm != "L2-Hys":
                raise InvalidParameterError(
                    f"The 'block_norm' parameter of HOG must be 'L2-Hys' with method='opencv' (OpenCV's "
                    f"HOGDescriptor implements no other normalisation). Got {self.block_norm!r} instead. "
                    f"Pass method='skimage' to use block_norm in {{'L1', 'L1-sqrt', 'L2', 'L2-Hys'}}."
                )
            opencv_hog_class()
            (ch, cw), (cy, cx) = self._geometry()
            if not opencv_block_is_safe((ch * cy, cw * cx)):
                bh, bw = ch * cy, cw * cx
                raise InvalidParameterError(
                    f"HOG(method='opencv') cannot use blocks of {bh}x{bw} pixels (height x width: pixels_per_cell="
                    f"({ch}, {cw}) x cells_per_block=({cy}, {cx})): OpenCV's HOGDescriptor writes past one of its "
                    f"buffers for blocks taller than wide and 268 pixels tall or more, which crashes the process. "
                    f"Pass method='skimage' (the same feature layout, scikit-image's values), or use blocks at "
                    f"most 267 pixels tall or at least as wide as tall (smaller pixels_per_cell or cells_per_block)."
                )
        else:
            import_optional("skimage", purpose="HOG(method='skimage')")

    def _default_image_size(self):
        (ch, cw), (cy, cx) = self._geometry()
        return max(self._default_size[0], ch * cy), max(self._default_size[1], cw * cx)

    def _unusable_size(self, size):
        (ch, cw), (cy, cx) = self._geometry()
        if size[0] < ch * cy or size[1] < cw * cx:
            return f"smaller than one HOG block {ch * cy}x{cw * cx} (pixels_per_cell * cells_per_block)"
        return None

    def _geometry(self):
        """``(pixels_per_cell, cells_per_block)`` as (rows, cols) int pairs."""
        return check_pair("pixels_per_cell", self.pixels_per_cell), check_pair("cells_per_block", self.cells_per_block)

    def _blocks(self, image_shape):
        """``(n_block_rows, n_block_cols)`` for images of ``image_shape``; ImageSizeError if below one block."""
        (ch, cw), (cy, cx) = self._geometry()
        h, w = image_shape[:2]
        min_h, min_w = ch * cy, cw * cx
        if h < min_h or w < min_w:
            raise ImageSizeError(
                f"Images of {h}x{w} (height x width) are too small for HOG(pixels_per_cell=({ch}, {cw}), "
                f"cells_per_block=({cy}, {cx})): one block needs at least {min_h}x{min_w} pixels "
                f"(pixels_per_cell * cells_per_block). Set size=({max(h, min_h)}, {max(w, min_w)}) or larger "
                f"to resize (on the command line: hog:size={max(h, min_h)}x{max(w, min_w)}), or use smaller "
                f"pixels_per_cell or cells_per_block."
            )
        return h // ch - cy + 1, w // cw - cx + 1

    def _n_output(self, image_shape):
        (_, _), (cy, cx) = self._geometry()
        nby, nbx = self._blocks(image_shape)
        return nby * nbx * cy * cx * self.orientations

    def _output_names(self, image_shape):
        (_, _), (cy, cx) = self._geometry()
        nby, nbx = self._blocks(image_shape)
        return [
            f"hog_b{by}_{bx}_c{y}_{x}_o{k}"
            for by in range(nby) for bx in range(nbx) for y in range(cy) for x in range(cx)
            for k in range(self.orientations)
        ]

    def _kernel(self, sources):
        ppc, cpb = self._geometry()
        return HOGKernel(*self._sized(), orientations=self.orientations, pixels_per_cell=ppc, cells_per_block=cpb,
                         block_norm=self.block_norm, method=self.method, color=self.color)
