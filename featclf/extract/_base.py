"""Base class shared by every featclf extractor (scikit-learn transformer contract)."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from .. import engine
from .._validation import ON_ERROR_OPTIONS, check_int, check_n_jobs, check_option, check_pair
from ..exceptions import ImageSizeError, InvalidParameterError
from ..io import DEFAULT_MAX_PIXELS, check_max_pixels, load_image


class BaseExtractor(TransformerMixin, BaseEstimator):
    """Common machinery of image feature extractors.

    Subclasses store their parameters in ``__init__`` (nothing else) and define:

    * ``_check_params()``: validate parameters, raising InvalidParameterError;
    * ``_output_names(image_shape)``: one feature name per column, for images of
      ``image_shape`` (as prepared, after resizing);
    * optionally ``_n_output(image_shape)``: the number of columns, without building
      the names (default: ``len(_output_names(image_shape))``), which raises
      :class:`ImageSizeError` for images the extractor cannot use;
    * ``_kernel(sources)``: the :class:`featclf.kernels.Kernel` holding the per-image
      maths, built from the fitted configuration (what the engine runs in workers).

    The batch engine (:mod:`featclf.engine`) handles decoding in workers,
    parallelism, progress and ``on_error``.

    Fitting looks at parameters and, when ``size=None``, at the first image to learn
    the common image size. Feature names are built when asked for
    (``feature_names_out_``, ``get_feature_names_out``), not at fit.

    Output sizes are checked before any image is decoded: a ``size`` of more pixels
    than ``max_pixels`` (the largest image featclf decodes) is refused at ``fit``, and
    a feature matrix larger than the memory available at ``transform``
    (:func:`featclf.engine.check_output_memory`). ``transform`` before ``fit`` raises sklearn's
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

    def _output_names(self, image_shape) -> list[str]:
        raise NotImplementedError

    def _n_output(self, image_shape) -> int:
        return len(self._output_names(image_shape))

    def _kernel(self, sources):
        raise NotImplementedError

    # -- shared machinery --------------------------------------------------------------
    def _check_common_params(self):
        check_option("on_error", self.on_error, ON_ERROR_OPTIONS, self)
        check_n_jobs(self.n_jobs, self)
        engine.check_batch_size(self.batch_size, self)
        check_int("verbose", self.verbose, minimum=0, owner=self)
        check_max_pixels(getattr(self, "max_pixels", DEFAULT_MAX_PIXELS), self)
        self._check_output_size("size", check_pair("size", getattr(self, "size", None), owner=self, allow_none=True))

    def _check_output_size(self, name, size) -> None:
        """Refuse a target image size (``size``, ``input_size``) of more pixels than ``max_pixels``.

        The rule: an extractor never brings images to a size larger than the largest
        image featclf decodes (``max_pixels``, 179 megapixels by default); such a size
        is a typo or a unit mistake, whose features would not fit in memory.
        """
        limit = getattr(self, "max_pixels", DEFAULT_MAX_PIXELS)
        if size is None or limit is None or size[0] * size[1] <= limit:
            return
        h, w = size
        raise InvalidParameterError(
            f"The {name!r} parameter of {type(self).__name__} asks for images of {h}x{w} = {h * w:,} pixels, more "
            f"than max_pixels={limit:,} (the largest image featclf decodes): features of that size would not fit "
            f"in memory. Use a smaller {name}, e.g. {name}=(64, 64); or, if that size is really meant, raise "
            f"max_pixels to at least {h * w}."
        )

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
        InvalidParameterError
            Also a ``size`` of more pixels than ``max_pixels`` (see the class docstring).
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
        self.n_features_out_ = int(self._n_output(probe))
        return self

    @property
    def feature_names_out_(self):
        """One name per output column (ndarray of str objects), built when asked for."""
        names = self.__dict__.get("_feature_names")
        if names is not None:
            return names
        if "n_features_out_" not in self.__dict__:
            raise AttributeError(f"{type(self).__name__} has no attribute 'feature_names_out_' before fit")
        probe = None if self.image_size_ is None else self._decoded_shape(self.image_size_)
        return np.asarray(self._output_names(probe), dtype=object)

    @feature_names_out_.setter
    def feature_names_out_(self, names):
        self.__dict__["_feature_names"] = names

    def _decoded_shape(self, size):
        return tuple(size) + ({"rgb": (3,), "rgba": (4,), "grey": ()}[self._image_mode])

    def _first_image_size(self, sources):
        last_error = None
        for i, source in enumerate(sources):
            try:
                return load_image(source, mode="grey", index=i,
                                  max_pixels=getattr(self, "max_pixels", DEFAULT_MAX_PIXELS)).shape[:2]
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
