"""Base class shared by every featclf extractor (scikit-learn transformer contract)."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from .._validation import ON_ERROR_OPTIONS, check_int, check_option, check_pair
from ..exceptions import ImageSizeError
from ..io._image import describe_source, load_image, resize_image, warn_skipped
from . import _engine


class BaseExtractor(TransformerMixin, BaseEstimator):
    """Common machinery of image feature extractors.

    Subclasses store their parameters in ``__init__`` (nothing else) and define:

    * ``_image_mode``: the layout images are decoded to (``'rgb'``, ``'grey'``, ``'rgba'``);
    * ``_check_params()``: validate parameters, raising InvalidParameterError;
    * ``_output_names(image_shape)``: one feature name per column, for images of
      ``image_shape`` (as decoded, after resizing);
    * ``_features(image)``: the pure per-image function, returning a 1-D array;
      or override ``_compute_batch`` for vectorised work on a chunk.

    The batch engine (:mod:`featclf.extract._engine`) handles decoding in workers,
    parallelism, progress and ``on_error``.

    Fitting looks at parameters and, when ``size=None``, at the first image to learn
    the common image size. ``transform`` before ``fit`` raises sklearn's
    ``NotFittedError``.

    After each ``transform``, ``skipped_`` lists the ``(source, reason)`` of images
    left out with ``on_error='skip'`` and ``kept_indices_`` gives the input position of
    each output row, so labels can be aligned: ``y[extractor.kept_indices_]``.
    """

    _image_mode = "rgb"
    #: Whether features have a fixed length only for one image size. When False
    #: (e.g. histograms), ``size=None`` accepts images of any size and ``fit`` reads none.
    _needs_common_size = True

    # -- to be provided by subclasses --------------------------------------------------
    def _check_params(self) -> None:  # pragma: no cover - trivial default
        pass

    def _output_names(self, image_shape) -> list[str]:
        raise NotImplementedError

    def _features(self, image: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    # -- shared machinery --------------------------------------------------------------
    def _check_common_params(self):
        check_option("on_error", self.on_error, ON_ERROR_OPTIONS, self)
        check_int("n_jobs", self.n_jobs, minimum=-64, owner=self, allow_none=True)
        _engine.check_batch_size(self.batch_size, self)
        check_int("verbose", self.verbose, minimum=0, owner=self)
        check_pair("size", getattr(self, "size", None), owner=self, allow_none=True)

    def fit(self, X, y=None):
        """Validate parameters and learn the image size when ``size=None``.

        Parameters
        ----------
        X : list of image sources, dataset, or ndarray of shape (N, H, W[, C])
        y : ignored

        Returns
        -------
        self
        """
        self._check_common_params()
        self._check_params()
        size = getattr(self, "size", None)
        if size is not None:
            self.image_size_ = check_pair("size", size, owner=self)
        elif self._needs_common_size:
            self.image_size_ = self._first_image_size(_engine.as_sources(X))
        else:
            self.image_size_ = None
        probe = None if self.image_size_ is None else self._decoded_shape(self.image_size_)
        self.feature_names_out_ = np.asarray(self._output_names(probe), dtype=object)
        self.n_features_out_ = len(self.feature_names_out_)
        return self

    def _decoded_shape(self, size):
        return tuple(size) + ({"rgb": (3,), "rgba": (4,), "grey": ()}[self._image_mode])

    def _first_image_size(self, sources):
        last_error = None
        for i, source in enumerate(sources):
            try:
                return load_image(source, mode="grey", index=i).shape[:2]
            except Exception as exc:  # noqa: BLE001 - re-raised below unless skipping
                if self.on_error != "skip":
                    raise
                last_error = exc
        if last_error is not None:
            raise last_error
        raise ImageSizeError("Cannot fit on an empty collection of images: pass at least one image.")

    def _prepare(self, image, source, index):
        """Resize to ``size``, or check that the image has the fitted size."""
        if getattr(self, "size", None) is not None:
            return resize_image(image, self.image_size_)
        if self.image_size_ is None:
            return image
        if image.shape[:2] != tuple(self.image_size_):
            h, w = image.shape[:2]
            fh, fw = self.image_size_
            raise ImageSizeError(
                f"{describe_source(source, index)}: image is {h}x{w} but {type(self).__name__} was fitted on "
                f"{fh}x{fw} images (size=None uses images as they come, so they must share one size). "
                f"Set size=({fh}, {fw}) (height, width) to resize every image."
            )
        return image

    def _decode_mode(self, sources) -> str:
        """The layout ``transform`` decodes ``sources`` to: ``_image_mode``, unless a subclass knows better."""
        return self._image_mode

    def _compute_batch(self, images, sources, indices) -> np.ndarray:
        out = np.empty((len(images), self.n_features_out_), dtype=np.float32)
        for row, (image, source, index) in enumerate(zip(images, sources, indices)):
            out[row] = self._features(self._prepare(image, source, index))
        return out

    def transform(self, X):
        """Extract features.

        Parameters
        ----------
        X : list of image sources, dataset, or ndarray of shape (N, H, W[, C])

        Returns
        -------
        features : ndarray of shape (n_kept, n_features_out_), float32
            One row per image, in input order; with ``on_error='skip'`` rows of
            unreadable images are left out (see ``kept_indices_``, ``skipped_``).
        """
        check_is_fitted(self, "n_features_out_")
        sources = _engine.as_sources(X)
        result = _engine.extract(
            self._compute_batch, sources, self.n_features_out_, mode=self._decode_mode(sources),
            on_error=self.on_error, n_jobs=self.n_jobs, batch_size=self.batch_size,
            verbose=self.verbose, desc=type(self).__name__,
        )
        self.skipped_ = result.skipped
        self.kept_indices_ = result.indices
        warn_skipped(result.skipped, len(sources))
        return result.features

    def get_feature_names_out(self, input_features=None):
        """One readable name per output column.

        Returns
        -------
        ndarray of str objects, shape (n_features_out_,)
        """
        check_is_fitted(self, "n_features_out_")
        return self.feature_names_out_.copy()

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True  # paths
        tags.requires_fit = True
        return tags
