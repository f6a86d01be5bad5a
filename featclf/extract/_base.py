"""Base class shared by every featclf extractor (scikit-learn transformer contract)."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from .. import engine
from .._validation import ON_ERROR_OPTIONS, check_int, check_n_jobs, check_option, check_pair
from ..exceptions import ImageSizeError
from ..io import load_image


class BaseExtractor(TransformerMixin, BaseEstimator):
    """Common machinery of image feature extractors.

    Subclasses store their parameters in ``__init__`` (nothing else) and define:

    * ``_check_params()``: validate parameters, raising InvalidParameterError;
    * ``_output_names(image_shape)``: one feature name per column, for images of
      ``image_shape`` (as prepared, after resizing);
    * ``_kernel(sources)``: the :class:`featclf.kernels.Kernel` holding the per-image
      maths, built from the fitted configuration (what the engine runs in workers);
    * optionally ``_check_dependencies()``: import the optional packages this
      configuration needs (MissingDependencyError otherwise), so that entry points such
      as :func:`featclf.evaluate` can check them before any extraction starts.

    The batch engine (:mod:`featclf.engine`) handles decoding in workers,
    parallelism, progress and ``on_error``.

    Fitting looks at parameters and, when ``size=None``, at the first image to learn
    the common image size. ``transform`` before ``fit`` raises sklearn's
    ``NotFittedError``. ``transform`` leaves the estimator unchanged; which inputs
    were skipped, and the input position of every row, come with :meth:`extract`.
    """

    _image_mode = "rgb"
    #: Whether features have a fixed length only for one image size. When False
    #: (e.g. histograms), ``size=None`` accepts images of any size and ``fit`` reads none.
    _needs_common_size = True

    # -- to be provided by subclasses --------------------------------------------------
    def _check_params(self) -> None:  # pragma: no cover - trivial default
        pass

    def _check_dependencies(self) -> None:
        """Raise MissingDependencyError if an optional package this configuration needs is missing."""

    def _output_names(self, image_shape) -> list[str]:
        raise NotImplementedError

    def _kernel(self, sources):
        raise NotImplementedError

    # -- shared machinery --------------------------------------------------------------
    def _check_common_params(self):
        check_option("on_error", self.on_error, ON_ERROR_OPTIONS, self)
        check_n_jobs(self.n_jobs, self)
        engine.check_batch_size(self.batch_size, self)
        check_int("verbose", self.verbose, minimum=0, owner=self)
        check_pair("size", getattr(self, "size", None), owner=self, allow_none=True)

    def fit(self, X, y=None):
        """Validate parameters and learn the image size when ``size=None``.

        Parameters
        ----------
        X : list of image sources, dataset, ndarray of shape (N, H, W[, C]), or None
            Read only with ``size=None`` (its first readable image gives the size);
            ``None`` is accepted when nothing needs reading.
        y : ignored

        Returns
        -------
        self

        Raises
        ------
        InvalidParameterError
            A bad parameter (named, with the accepted values).
        InvalidImageError
            ``X`` is a single image or not a collection.
        ImageSizeError
            Images (or ``size``) too small for the extractor; an empty collection.
        """
        self._check_common_params()
        self._check_params()
        # A single image or a non-collection is refused here, not at transform. None is accepted
        # when nothing is read (``size`` set, or histograms, whose length needs no image size).
        sources = None if X is None else engine.as_sources(X)
        size = getattr(self, "size", None)
        if size is not None:
            self.image_size_ = check_pair("size", size, owner=self)
        elif self._needs_common_size:
            self.image_size_ = self._first_image_size(engine.as_sources(X) if sources is None else sources)
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

    def _sized(self):
        """``(owner, image_size, resize)``: the arguments of a :class:`featclf.kernels.SizedKernel`."""
        return type(self).__name__, self.image_size_, getattr(self, "size", None) is not None

    def extract(self, X):
        """Extract features, with the record of which input each row is and which were skipped.

        Parameters
        ----------
        X : list of image sources, dataset, or ndarray of shape (N, H, W[, C])

        Returns
        -------
        Extraction
            ``features`` : ndarray of shape (n_kept, n_features_out_), float32, one row
            per usable input in input order; ``indices`` : the input position of each
            row; ``skipped`` : every input left out with ``on_error='skip'``, as
            ``(index, source, reason)``; ``n_inputs``.

        Raises
        ------
        NotFittedError
            Before ``fit``.
        FeatclfError
            With ``on_error='raise'``, the error of the first unreadable input.

        Examples
        --------
        >>> import numpy as np, featclf
        >>> images = [np.zeros((4, 4), np.uint8), b"not an image", np.ones((4, 4), np.uint8)]
        >>> record = featclf.RawPixels(on_error="skip").fit(images).extract(images)
        >>> record.features.shape, record.indices.tolist()
        ((2, 16), [0, 2])
        >>> record.skipped[0].index, record.skipped[0].source
        (1, 'item 1 (bytes)')
        """
        check_is_fitted(self, "n_features_out_")
        self._check_common_params()  # run settings may have changed with set_params since fit
        return engine.extract(self, X)

    def transform(self, X):
        """Extract features.

        Parameters
        ----------
        X : list of image sources, dataset, or ndarray of shape (N, H, W[, C])

        Returns
        -------
        features : ndarray of shape (n_kept, n_features_out_), float32
            One row per image, in input order; with ``on_error='skip'`` rows of
            unreadable images are left out, with a SkippedImagesWarning naming them
            (:meth:`extract` returns which input each row is).
        """
        record = self.extract(X)
        engine.warn_skipped(record.skipped, record.n_inputs)
        return record.features

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
