"""Base class shared by every featclf extractor (scikit-learn transformer contract)."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from .. import engine
from .._validation import (
    EXTRACTOR_ON_ERROR_OPTIONS,
    check_int,
    check_n_jobs,
    check_option,
    check_pair,
    parameter_names,
)
from ..exceptions import ImageLoadError, ImageSizeError, InvalidImageError, InvalidParameterError, SkippedImagesError
from ..io import DEFAULT_MAX_PIXELS, check_max_pixels, image_size

#: Reasons shown when every image given to ``fit`` fails.
_SHOWN_REASONS = 3


def _hw(size) -> str:
    return f"{size[0]}x{size[1]}"


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
      maths, built from the fitted configuration (what the engine runs in workers);
    * optionally ``_check_dependencies()``: import the optional packages this
      configuration needs (MissingDependencyError otherwise), so that entry points such
      as :func:`featclf.evaluate` can check them before any extraction starts.

    The batch engine (:mod:`featclf.engine`) handles decoding in workers,
    parallelism, progress and ``on_error``.

    **The size rule** (``size=None``, for extractors whose features need one image
    size): ``fit`` reads the size of every image it is given from its header (no pixel
    is decoded; arrays give their shape) and

    * keeps it when all of them share one size (``size_rule_`` starts with
      ``'native'``): digits, Fashion-MNIST and other same-size data are featurised as
      they come, and an image of another size met later is that image's
      :class:`~featclf.exceptions.ImageSizeError`, skippable with ``on_error='skip'``;
    * otherwise resizes every image to the extractor's documented default size
      (``size_rule_`` starts with ``'default'``): a folder of photos of many sizes
      works with the default constructor. The default also applies when the shared
      size is one the extractor cannot use (``_unusable_size(size)`` gives why, e.g.
      digits' 8x8 is smaller than one HOG block); ``size_rule_`` then says so.

    The size used is ``image_size_``. With ``size`` set, every image is resized to it
    (``'size'``); extractors whose features need no common size use images as they
    come (``'any'``, ``image_size_ = None``).

    **One row per input** (the ``on_error`` rule): scikit-learn pairs a transformer's
    rows with its inputs by position, so ``transform`` returns one row per input or
    raises. ``on_error='raise'`` stops at the first image that cannot be used;
    ``'nan'`` keeps its row, filled with NaN (with a SkippedImagesWarning naming the
    images), for estimators that accept NaN (``HistGradientBoostingClassifier``) or
    after ``SimpleImputer``; ``'skip'`` leaves such images out of :meth:`extract`,
    whose record says which input each row is, and makes ``transform`` raise
    :class:`~featclf.exceptions.SkippedImagesError` (listing them and these fixes)
    rather than return fewer rows. ``transform`` before ``fit`` raises sklearn's
    ``NotFittedError``; ``transform`` leaves the estimator unchanged.

    Feature names are built when asked for (``feature_names_out_``,
    ``get_feature_names_out``), not at fit. Output sizes are checked before any image
    is decoded: a ``size`` of more pixels than ``max_pixels`` (the largest image
    featclf decodes) is refused at ``fit``, and a feature matrix larger than the memory
    available at ``transform`` (:func:`featclf.engine.check_output_memory`).
    """

    _image_mode = "rgb"
    #: Whether features have a fixed length only for one image size. When False
    #: (e.g. histograms), ``size=None`` accepts images of any size and ``fit`` reads none.
    _needs_common_size = True
    #: ``(height, width)`` images of several sizes are resized to with ``size=None``
    #: (see the size rule); ``None``: such images are refused (a subclass without a default).
    _default_size = None

    # -- to be provided by subclasses --------------------------------------------------
    def _check_params(self) -> None:  # pragma: no cover - trivial default
        pass

    def _check_dependencies(self) -> None:
        """Raise MissingDependencyError if an optional package this configuration needs is missing."""

    def _output_names(self, image_shape) -> list[str]:
        raise NotImplementedError

    def _n_output(self, image_shape) -> int:
        return len(self._output_names(image_shape))

    def _kernel(self, sources):
        raise NotImplementedError

    def _cache_config(self) -> dict:
        """What of this fitted extractor changes its numbers, for the feature cache's key.

        Every parameter but those that only change how work runs
        (:data:`featclf.engine.RUN_ONLY_PARAMS`), the fitted image size and whether images
        are resized to it, and the number of features; the engine adds the kernel's
        configuration, the input preparation and library versions. Subclasses whose
        numbers depend on more (the CNN's network) extend it.
        """
        params = {k: v for k, v in self.get_params(deep=False).items() if k not in engine.RUN_ONLY_PARAMS}
        _, size, resize = self._sized()
        return {"params": params, "image_size": size, "resize": resize, "n_features": int(self.n_features_out_)}

    # -- description ---------------------------------------------------------------------
    def describe(self) -> dict:
        """This extractor's configuration, defaults resolved, as reports and saved models record it.

        Every parameter of ``get_params(deep=False)``; where a default is decided by
        another parameter (the CNN's input size and weights come from its backbone),
        the value it resolves to, and what it was resolved from. Nothing is computed
        from images and nothing is set on the extractor: the image size ``fit`` chooses
        from the data is ``image_size_`` (with ``size_rule_``).

        Returns
        -------
        dict
            ``{parameter: value}`` in the constructor's order (values as given: tuples
            stay tuples), plus the extras a subclass documents.

        Examples
        --------
        >>> import featclf
        >>> featclf.HOG(size=(64, 64)).describe()["size"]
        (64, 64)
        """
        params = self.get_params(deep=False)
        return {name: params[name] for name in parameter_names(type(self)) if name in params}

    # -- shared machinery --------------------------------------------------------------
    def _default_image_size(self):
        """The size images of several sizes are resized to (``_default_size``; subclasses may adapt it)."""
        return self._default_size

    def _unusable_size(self, size):
        """Why images of ``size=(height, width)`` cannot be used as they come, or ``None`` (they can)."""
        return None

    def _check_common_params(self):
        check_option("on_error", self.on_error, EXTRACTOR_ON_ERROR_OPTIONS, self)
        check_n_jobs(self.n_jobs, self)
        engine.check_batch_size(self.batch_size, self)
        check_int("verbose", self.verbose, minimum=0, owner=self)
        check_max_pixels(getattr(self, "max_pixels", DEFAULT_MAX_PIXELS), self)
        engine.check_cache_param(getattr(self, "cache_dir", None), self)
        size = check_pair("size", getattr(self, "size", None), owner=self, allow_none=True,
                          example=self._example_size())
        self._check_output_size("size", size)

    def _example_size(self):
        """A size to suggest in errors: the default image size, when it can be worked out (else None)."""
        try:
            return self._default_image_size()
        except Exception:  # noqa: BLE001 - other parameters invalid: their own check reports them
            return None

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
        side = min(64, math.isqrt(limit))
        smaller = (f"Use a smaller {name} of at most {limit:,} pixels, e.g. {name}=({side}, {side}) "
                   f"(command line: NAME:{name}={side}x{side}); or, if that size is really meant, r" if side >= 8
                   else "If that size is really meant, r")
        raise InvalidParameterError(
            f"The {name!r} parameter of {type(self).__name__} asks for images of {h}x{w} = {h * w:,} pixels, more "
            f"than max_pixels={limit:,} (the largest image featclf decodes; a size beyond it is usually a typo or a "
            f"unit mistake). {smaller}aise max_pixels to at least {h * w} "
            f"(command line: --max-pixels {h * w})."
        )

    def fit(self, X, y=None):
        """Validate parameters and, when ``size=None``, choose the image size (the size rule).

        Parameters
        ----------
        X : list of image sources, dataset, ndarray of shape (N, H, W[, C]), or None
            With ``size=None``, the size of each image is read from its header (the
            class docstring gives the rule); ``None`` is accepted when nothing needs
            reading (``size`` set, or features that need no common size).
        y : ignored

        Returns
        -------
        self
            With ``image_size_`` (``(height, width)``, or ``None`` for any size) and
            ``size_rule_`` (str: ``'native: ...'``, ``'default: ...'``, ``'size: ...'``
            or ``'any: ...'``, the rule that chose it and why).

        Raises
        ------
        InvalidParameterError
            A bad parameter (named, with the accepted values).
        InvalidImageError
            ``X`` is a single image or not a collection.
        ImageSizeError
            Images (or ``size``) too small for the extractor; an empty collection.
        ImageLoadError
            With ``on_error='raise'``, the first image whose header cannot be read;
            otherwise, when no image can be read (how many, and the first reasons).
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
            self.size_rule_ = f"size: every image resized to {_hw(self.image_size_)} (size set)"
        elif self._needs_common_size:
            self.image_size_, self.size_rule_ = self._choose_size(engine.as_sources(X) if sources is None else sources)
        else:
            self.image_size_ = None
            self.size_rule_ = "any: images used as they come (these features need no common size)"
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

    def _image_sizes(self, sources) -> tuple[Counter, list]:
        """How many images have each ``(height, width)`` (headers only), and the unreadable ones."""
        if isinstance(sources, np.ndarray):  # a stack: one size
            return Counter({tuple(int(v) for v in sources.shape[1:3]): len(sources)}), []
        sizes, failed = Counter(), []
        for i, source in enumerate(sources):
            try:
                sizes[image_size(source, index=i, max_pixels=getattr(self, "max_pixels", DEFAULT_MAX_PIXELS))] += 1
            except (ImageLoadError, InvalidImageError) as exc:
                if self.on_error == "raise":
                    raise
                failed.append(exc)
        return sizes, failed

    def _choose_size(self, sources):
        """``(image_size_, size_rule_)`` for ``size=None``: the common size, or the default one.

        The sizes counted (headers read) are kept in ``_fit_sizes`` so that the rule can be
        recounted once the images have been decoded (:meth:`_recount_size_rule`).
        """
        name = type(self).__name__
        sizes, failed = self._image_sizes(sources)
        if not sizes:
            if not failed:
                raise ImageSizeError("Cannot fit on an empty collection of images: pass at least one image.")
            shown = "; ".join(f"{exc.source}: {exc.reason}" for exc in failed[:_SHOWN_REASONS])
            more = f"; and {len(failed) - _SHOWN_REASONS} more" if len(failed) > _SHOWN_REASONS else ""
            raise ImageLoadError(
                f"all {len(failed)} images given to {name}.fit", f"none could be read ({shown}{more})",
                "Check the paths, and pass images that can be read",
            )
        self._fit_sizes = sizes
        return self._size_rule(sizes)

    def _recount_size_rule(self, unread) -> None:
        """Recount ``size_rule_`` without ``unread`` (sources whose header read at fit but whose pixels did not).

        The size chosen at fit stays (the features were computed at it); only the counts in
        the rule change, so that it counts the images actually read. Where the recount would
        choose another size, the rule is kept and says how many of its images could not be decoded.
        """
        sizes = Counter(getattr(self, "_fit_sizes", None) or {})
        gone = Counter()
        for source in unread:
            try:
                gone[image_size(source, max_pixels=getattr(self, "max_pixels", DEFAULT_MAX_PIXELS))] += 1
            except (ImageLoadError, InvalidImageError):
                continue  # not counted at fit either
        if not gone or not sizes or not self.size_rule_.startswith(("native", "default")):
            return
        kept = sizes - gone
        if kept:
            size, rule = self._size_rule(kept)
            if size == self.image_size_:
                self.size_rule_ = rule
                return
        n = sum(gone.values())
        self.size_rule_ += f" ({n} of these images could not be decoded)"

    def _size_rule(self, sizes):
        """``(image_size_, size_rule_)`` for images of ``sizes`` (a Counter of ``(height, width)``)."""
        name = type(self).__name__
        n = sum(sizes.values())
        default = self._default_image_size()
        if len(sizes) == 1:
            (common,) = sizes
            why = self._unusable_size(common)
            if why is None or default is None:  # without a default, the extractor's own error says why
                return common, f"native: all {n} fitted images are {_hw(common)}, kept as they come"
            return tuple(default), (f"default: the native {_hw(common)} of all {n} fitted images is {why}, so "
                                    f"every image is resized to {name}'s default {_hw(default)}")
        smallest = min(sizes, key=lambda s: (s[0] * s[1], s))
        largest = max(sizes, key=lambda s: (s[0] * s[1], s))
        if default is None:
            common, count = sizes.most_common(1)[0]
            raise ImageSizeError(
                f"{name} cannot use images of {len(sizes)} sizes as they come (from {_hw(smallest)} to "
                f"{_hw(largest)}; the most common is {_hw(common)}, {count} of {n} images) and has no default "
                f"size. Set size=(height, width) to resize every image, e.g. size=(64, 64)."
            )
        return tuple(default), (f"default: the {n} fitted images have {len(sizes)} sizes (from {_hw(smallest)} to "
                                f"{_hw(largest)}), so every image is resized to {name}'s default {_hw(default)}")

    def _sized(self):
        """``(owner, image_size, resize)``: the arguments of a :class:`featclf.kernels.SizedKernel`."""
        native = getattr(self, "size", None) is None and getattr(self, "size_rule_", "").startswith("native")
        return type(self).__name__, self.image_size_, not native

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
            ``(index, source, reason)``; ``n_inputs``. With ``on_error='nan'``, the same
            record (``record.filled()`` is what ``transform`` returns).

        Raises
        ------
        NotFittedError
            Before ``fit``.
        FeatclfError
            With ``on_error='raise'``, the error of the first input that cannot be used.

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
        """Extract features: one row per input, or an error.

        Parameters
        ----------
        X : list of image sources, dataset, or ndarray of shape (N, H, W[, C])

        Returns
        -------
        features : ndarray of shape (n_inputs, n_features_out_), float32
            Row ``i`` is input ``i``. With ``on_error='nan'``, the rows of images that
            cannot be used are NaN, and a SkippedImagesWarning names those images
            (:meth:`extract` gives the same list as a record).

        Raises
        ------
        NotFittedError
            Before ``fit``.
        FeatclfError
            With ``on_error='raise'``, the error of the first image that cannot be used.
        SkippedImagesError
            With ``on_error='skip'``, when some images cannot be used: a transformer
            that returned fewer rows would shift every later row against its input in
            a pipeline. The message lists them and the fixes: :meth:`extract` (the
            rows it could compute, with their input positions), ``on_error='nan'``,
            or fixing the files.
        """
        record = self.extract(X)
        if not record.skipped:
            return record.features
        if self.on_error == "nan":
            engine.warn_skipped(record.skipped, record.n_inputs, what="Filled with NaN the rows of")
            return record.filled(np.nan)
        raise self._skipped_error(record)

    def _skipped_error(self, record) -> SkippedImagesError:
        name = type(self).__name__
        k = len(record.skipped)
        shown = "; ".join(f"{s.source}: {s.reason}" for s in record.skipped[:_SHOWN_REASONS])
        more = f"; and {k - _SHOWN_REASONS} more" if k > _SHOWN_REASONS else ""
        return SkippedImagesError(
            f"{name}(on_error='skip') cannot use {k} of {record.n_inputs} images ({shown}{more}), and transform "
            "must return one row per image: scikit-learn pairs rows with inputs by position, so fewer rows would "
            "shift every later one. Either call extract(X), which returns the rows it could compute with the "
            "input position of each (record.indices) and the skipped images (record.skipped); or set "
            "on_error='nan' (in a pipeline: set_params(<step>__on_error='nan')) to keep one row per image, NaN "
            "where unusable, for HistGradientBoostingClassifier or after SimpleImputer; or fix or remove the files.",
            record.skipped, record.n_inputs,
        )

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
