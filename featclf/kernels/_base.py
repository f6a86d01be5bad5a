"""The kernel contract: what the batch engine runs for one extractor, per image and per batch."""

from __future__ import annotations

import numpy as np

from ..exceptions import ImageSizeError
from ..io import convert_image, describe_source, resize_image


class Kernel:
    """Per-image preparation and batch computation of one extractor, as the engine runs them.

    A kernel is a plain, picklable object built by a fitted extractor (its
    ``_kernel(sources)`` method) from its fitted configuration. It is all a worker
    process receives, and its module imports only numpy, OpenCV and featclf's input
    layer: never scikit-learn or torch, so workers start fast.

    Attributes
    ----------
    mode : {'rgb', 'grey', 'rgba'}
        Layout :meth:`prepare` converts decoded images to. When every kernel of a run
        has mode ``'rgb'`` or ``'grey'``, the engine decodes with transparency already
        composited onto white (``decode_image(source, background=WHITE)``): ``prepare``
        then receives ``(H, W)`` or ``(H, W, 3)`` images, whose
        ``convert_image(image, mode)`` is bit-identical to that of the RGBA image.
    in_workers : bool
        ``True``: :meth:`compute` runs in the workers and only feature rows travel.
        ``False``: the workers send stacks of prepared images and the extractor's
        sink computes them in the parent (a model on one device).
    chunk_size : int or None
        Sources per worker task, when the kernel needs a particular one.
    per_chunk : bool
        With ``in_workers``: ``True`` gives :meth:`compute` a chunk's prepared images at
        once (a model's batches, e.g. the CNN on a Dask cluster), ``False`` a few at a
        time, as they are decoded.
    """

    mode = "rgb"
    in_workers = True
    chunk_size = None
    per_chunk = False

    def prepare(self, image: np.ndarray, source, index: int) -> np.ndarray:
        """Bring one decoded image (from :func:`featclf.io.decode_image`) to this kernel's input.

        Parameters
        ----------
        image : ndarray of shape (H, W), (H, W, 3) or (H, W, 4), uint8
        source, index
            The input it came from and its position, to name it in errors.
        """
        return convert_image(image, self.mode)

    def compute(self, images: list) -> np.ndarray:
        """Feature rows of prepared images: ndarray of shape (len(images), n_features), float32."""
        raise NotImplementedError


class SizedKernel(Kernel):
    """A kernel whose images are resized to one size, or must all have it.

    Parameters
    ----------
    owner : str
        The extractor's class name, for error messages.
    image_size : (int, int) or None
        ``(height, width)`` the images are brought to; ``None``: any size.
    resize : bool
        Resize to ``image_size`` (the user set ``size``, or ``size=None`` fitted on
        images of several sizes) or only check it (``size=None`` fitted on images that
        share one size, kept as they come).
    """

    def __init__(self, owner: str, image_size, resize: bool):
        self.owner = owner
        self.image_size = None if image_size is None else (int(image_size[0]), int(image_size[1]))
        self.resize = bool(resize)

    def prepare(self, image, source, index):
        return self.fit_size(convert_image(image, self.mode), source, index)

    def fit_size(self, image: np.ndarray, source, index: int) -> np.ndarray:
        """The image at ``image_size``: resized, or checked when resizing is off.

        Raises
        ------
        ImageSizeError
            ``resize`` is off and the image has another size than the fitted one: this
            image's error (``source`` and ``reason`` set), skippable with ``on_error='skip'``.
        """
        size = self.image_size
        if size is None or image.shape[:2] == size:
            return image
        if self.resize:
            return resize_image(image, size)
        h, w = image.shape[:2]
        fh, fw = size
        label = describe_source(source, index)
        reason = (f"image is {h}x{w} but {self.owner} was fitted on {fh}x{fw} images (with size=None it keeps "
                  f"the size its fitted images share)")
        raise ImageSizeError(
            f"{label}: {reason}. Set size=({fh}, {fw}) (height, width) to resize every image to it, or "
            f"on_error='skip' to leave such images out (extract(), evaluate, cluster; in a Pipeline, "
            f"on_error='nan' keeps a row of NaN for each)",
            source=label, reason=reason,
        )
