"""HOG: the per-image maths of :class:`featclf.HOG` (OpenCV's descriptor in scikit-image's layout, or scikit-image)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..exceptions import InvalidParameterError, MissingDependencyError
from ..io import convert_image
from ._base import SizedKernel

BLOCK_NORMS = ("L1", "L1-sqrt", "L2", "L2-Hys")
METHODS = ("opencv", "skimage")
COLORS = ("rgb", "grey", "gray")

#: The clipping threshold of L2-Hys, as in scikit-image and OpenCV (Dalal & Triggs).
L2HYS_THRESHOLD = 0.2


def opencv_hog_class():
    """``cv2.HOGDescriptor``, or a clear error where the installed OpenCV lacks it (5.x)."""
    import cv2

    cls = getattr(cv2, "HOGDescriptor", None)
    if cls is None:
        raise MissingDependencyError(
            f"HOG(method='opencv') needs cv2.HOGDescriptor, which the installed OpenCV "
            f"{getattr(cv2, '__version__', '(unknown version)')} does not have (OpenCV 5 removed it). "
            'Install OpenCV 4 with: pip install "opencv-python-headless<5" '
            "(or use HOG(method='skimage'), which is about 30x slower)."
        )
    return cls


#: Floats ``cv::AutoBuffer<float>`` holds inside itself (1024 / sizeof(float) + 8) before it
#: allocates on the heap.
_AUTOBUFFER_FLOATS = 1024 // 4 + 8


def opencv_block_is_safe(block_size) -> bool:
    """Whether OpenCV's ``HOGDescriptor`` can compute blocks of ``block_size=(height, width)`` pixels.

    OpenCV 4's ``HOGCache::init`` fills the Gaussian window's column offsets with a
    SIMD loop bounded by the block's *height* instead of its width (``hog.cpp``:
    ``for (; j <= blockSize.height - 4; j += 4) v_store(_dj + j, ...)``), into a buffer
    of ``width`` floats -- held inside the ``AutoBuffer`` object itself (264 floats) for
    widths up to 264, on the heap beyond. For a block taller than wide the loop writes
    ``4 * (height // 4)`` floats: past that buffer once this exceeds ``max(width, 264)``,
    which corrupts the stack or the heap (measured: a segmentation fault or abort from
    blocks 272 pixels tall and narrower, e.g. 300x200; blocks of 268-271 rows overflow
    without crashing every time). The values it writes within the buffer are the
    correct ones, so every other geometry computes correctly.

    Returns
    -------
    bool
        ``False`` for blocks taller than wide with ``4 * (height // 4) > max(width, 264)``.
    """
    height, width = int(block_size[0]), int(block_size[1])
    return height <= width or 4 * (height // 4) <= max(width, _AUTOBUFFER_FLOATS)


def opencv_descriptor(image_size, orientations, pixels_per_cell, cells_per_block):
    """A ``cv2.HOGDescriptor`` computing scikit-image's HOG geometry on one window.

    The window covers the whole number of cells that fit in ``image_size``
    ``(height, width)``; blocks of ``cells_per_block`` cells move by one cell, as in
    scikit-image. Gradients are unsigned (0-180 degrees), normalisation L2-Hys with
    threshold 0.2, no gamma correction.

    Returns
    -------
    cv2.HOGDescriptor

    Raises
    ------
    MissingDependencyError
        The installed OpenCV has no ``HOGDescriptor`` (OpenCV 5).
    InvalidParameterError
        A block geometry OpenCV would crash on (see :func:`opencv_block_is_safe`).
    """
    (ch, cw), (by, bx) = pixels_per_cell, cells_per_block
    if not opencv_block_is_safe((by * ch, bx * cw)):
        raise InvalidParameterError(
            f"OpenCV's HOGDescriptor cannot compute blocks of {by * ch}x{bx * cw} pixels (height x width): it writes "
            "past one of its buffers for blocks taller than wide and 268 pixels tall or more. Use HOG(method="
            "'skimage') or a smaller block."
        )
    win = ((image_size[1] // cw) * cw, (image_size[0] // ch) * ch)  # OpenCV sizes are (width, height)
    cls = opencv_hog_class()
    import cv2

    return cls(
        win, (bx * cw, by * ch), (cw, ch), (cw, ch), orientations,
        1,  # derivAperture (unused)
        -1.0,  # winSigma: default Gaussian window, (block width + block height) / 8 pixels
        cv2.HOGDESCRIPTOR_L2HYS, L2HYS_THRESHOLD,
        False,  # gammaCorrection
        64,  # nlevels (detection only)
        False,  # signedGradient: orientations over 0-180 degrees, as scikit-image
    )


@lru_cache(maxsize=32)
def opencv_to_skimage_order(n_blocks, cells_per_block, orientations) -> np.ndarray:
    """Permutation taking OpenCV's HOG vector to scikit-image's layout.

    OpenCV enumerates blocks column by column (x outer, y inner) and, inside a block,
    cells column by column too; scikit-image enumerates both row by row. Returns
    ``perm`` such that ``opencv_vector[perm]`` is laid out as
    ``(block_row, block_col, cell_row, cell_col, orientation)``, row-major.
    """
    (nby, nbx), (cy, cx) = n_blocks, cells_per_block
    opencv_index = np.arange(nbx * nby * cx * cy * orientations).reshape(nbx, nby, cx, cy, orientations)
    perm = opencv_index.transpose(1, 0, 3, 2, 4).reshape(-1)
    perm.setflags(write=False)
    return perm


class HOGKernel(SizedKernel):
    """HOG of each image at the fitted size, in scikit-image's layout.

    Grey images are used as they are (their features equal those of the same image
    stored as RGB, see :class:`featclf.HOG`), so they are never copied to three channels.

    Parameters
    ----------
    owner, image_size, resize
        As in :class:`SizedKernel`.
    orientations : int
    pixels_per_cell, cells_per_block : (int, int)
    block_norm : {'L2-Hys', 'L1', 'L1-sqrt', 'L2'}
    method : {'opencv', 'skimage'}
    color : {'rgb', 'grey'}
    """

    def __init__(self, owner, image_size, resize, *, orientations, pixels_per_cell, cells_per_block,
                 block_norm="L2-Hys", method="opencv", color="rgb"):
        super().__init__(owner, image_size, resize)
        self.orientations = int(orientations)
        self.pixels_per_cell = tuple(int(v) for v in pixels_per_cell)
        self.cells_per_block = tuple(int(v) for v in cells_per_block)
        self.block_norm = block_norm
        self.method = method
        self.mode = "grey" if color in ("grey", "gray") else "rgb"
        self._descriptor = None  # cv2.HOGDescriptor, built on first use in each process

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_descriptor"] = None  # an OpenCV object: not picklable, rebuilt where it runs
        return state

    def prepare(self, image, source, index):
        if image.ndim != 2:  # grey images stay grey whatever the mode: same features, a third of the work
            image = convert_image(image, self.mode)
        return self.fit_size(image, source, index)

    def compute(self, images):
        if self.method == "skimage":
            return self._compute_skimage(images)
        return self._compute_opencv(images)

    def _compute_opencv(self, images):
        (ch, cw), (cy, cx) = self.pixels_per_cell, self.cells_per_block
        h, w = self.image_size
        if self._descriptor is None:
            self._descriptor = opencv_descriptor((h, w), self.orientations, (ch, cw), (cy, cx))
        perm = opencv_to_skimage_order((h // ch - cy + 1, w // cw - cx + 1), (cy, cx), self.orientations)
        if h >= 2 and len({image.shape for image in images}) == 1:
            raw = self._compute_stacked(images)
        else:  # images of different layouts (grey and colour): one call each
            raw = np.empty((len(images), len(perm)), dtype=np.float32)
            for row, image in enumerate(images):
                # One window at the top-left corner of the full image: pixels beyond the last whole
                # cell still serve as gradient neighbours, as in scikit-image.
                raw[row] = self._descriptor.compute(np.ascontiguousarray(image), (cw, ch), (0, 0),
                                                    ((0, 0),)).reshape(-1)
        return raw[:, perm]

    def _compute_stacked(self, images):
        """All images in one OpenCV call: stacked one above the other, one window each.

        OpenCV computes gradients with a reflected border (row -1 is row 1), which makes
        them zero on the image border. Between two stacked images go two rows that
        reproduce that border exactly -- each image's row 1 above it and its row
        ``h - 2`` below it -- so every window's features are bit-identical to those of
        its image alone (tested), while the Python-level cost is paid once per batch
        and the GIL is released for the whole batch.
        """
        (ch, cw) = self.pixels_per_cell
        n = len(images)
        h = images[0].shape[0]
        tall = np.empty((n, h + 2, *images[0].shape[1:]), dtype=np.uint8)
        tall[:, 1 : h + 1] = images
        tall[:, 0] = tall[:, 2]  # row 1 of each image, above it
        tall[:, h + 1] = tall[:, h - 1]  # row h - 2 of each image, below it
        tall = tall.reshape(n * (h + 2), *images[0].shape[1:])
        locations = tuple((0, i * (h + 2) + 1) for i in range(n))
        return self._descriptor.compute(tall, (cw, ch), (0, 0), locations).reshape(n, -1)

    def _compute_skimage(self, images):
        from skimage.feature import hog

        out = None
        for row, image in enumerate(images):
            values = hog(image, orientations=self.orientations, pixels_per_cell=self.pixels_per_cell,
                         cells_per_block=self.cells_per_block, block_norm=self.block_norm, feature_vector=True,
                         channel_axis=None if image.ndim == 2 else -1)
            if out is None:
                out = np.empty((len(images), len(values)), dtype=np.float32)
            out[row] = values
        return out
