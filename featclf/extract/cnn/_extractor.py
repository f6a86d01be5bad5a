"""CNNEmbedding: pooled embeddings of a frozen pretrained CNN, as a scikit-learn transformer.

torch is imported inside methods only (``import featclf`` never loads it). Images go
through the batch engine like every extractor's: they are decoded and resized to the
backbone's input size in the engine's workers (:class:`featclf.kernels.CNNInputKernel`),
which send uint8 stacks to the parent; the parent runs the network (:mod:`._inference`,
through this extractor's sink) while the next chunks are decoded. Under joblib's Dask
backend each worker runs a copy of the network on its chunks instead
(:class:`_NetworkKernel`), so several GPU workers each use their own device.
"""

from __future__ import annotations

import contextlib
import copy
import numbers
import os
import threading

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ... import engine
from ..._optional import import_optional
from ..._validation import check_option, check_pair
from ...exceptions import InvalidParameterError, MissingDependencyError, WeightsNotFoundError
from ...io import DEFAULT_MAX_PIXELS
from ...kernels import CNNInputKernel
from .._base import BaseExtractor
from .._registry import register_extractor
from ._backbones import BackboneConfig, get_backbone

POOLINGS = ("avg", "max", "avgmax")
COMPILE_OPTIONS = ("auto", "none", "jit", "inductor", "onnxruntime")
#: ``compile=None`` is ``'none'``: the spec grammar reads a bare ``compile=none`` as None.
_COMPILE_ACCEPTED = (*COMPILE_OPTIONS, None)
#: compile='auto' on CPU picks ONNX Runtime when the images fitted on amount to at least the
#: pixels of 1,000 images at 224x224 (its export takes 3-6 s at 224x224 on the 2-core
#: development machine and saves about 5 ms per 224x224 image; benchmarks/results/cnn_cpu.json).
ONNXRUNTIME_MIN_PIXELS = 1000 * 224 * 224
#: Images per chunk handed to a decoding worker (rounded to a multiple of the batch size).
CHUNK_IMAGES = 64


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
        ``featclf.extract.cnn`` logger; see ``extract(X).details``).
    compile : {'auto', 'none', 'jit', 'inductor', 'onnxruntime'} or None, default='auto'
        How the network is run. ``'none'`` (or None, as a spec reads ``compile=none``): eager PyTorch. ``'jit'``:
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
        the fitted instance (a fallback is reported in ``extract(X).details['compile']``
        and kept too); the compiled graph is built on the first
        ``transform`` and cached per input shape, batch size and device. On every
        path BatchNorm is folded into the convolutions (featclf's own backbones)
        and the data stay in channels-last memory order.
    n_jobs : int, optional
        Worker processes (threads for in-memory arrays) that decode and resize images
        while this process runs the network (``None`` follows
        ``joblib.parallel_config``: decoding in this process between batches).
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
        ``input_size`` accepted.
    cache_dir : str, path-like or False, optional
        Folder of the feature cache: rows of images already extracted with the same
        configuration (same file content, same parameters apart from ``n_jobs``,
        ``verbose``, ``batch_size``, ``on_error`` and ``cache_dir``) are read from it
        instead of computed, and new rows are written as they are computed (see the
        README's "Feature cache"). Default: :func:`featclf.set_config`'s ``cache_dir``,
        else ``$FEATCLF_CACHE_DIR``, else no cache; ``False``: no cache.

    Attributes
    ----------
    backbone_config_ : BackboneConfig
        The resolved backbone configuration (with the input size actually used).
    device_ : str
        Device actually used (``'cpu'``, ``'cuda:0'``, ``'mps'``).
    precision_ : str
        ``'float32'``, ``'bfloat16'`` or ``'float16'``.
    compile_ : str
        Inference path chosen in ``fit``: ``'eager'``, ``'jit'``, ``'inductor'`` or
        ``'onnxruntime'``.
    image_size_ : (int, int)
        Input size of the network ``(height, width)``, whatever the images' sizes.
    size_rule_ : str
        ``'size: ...'``: every image is brought to ``image_size_``.
    n_features_out_ : int
        Embedding dimension (doubled for ``pooling='avgmax'``).
    feature_names_out_ : ndarray of str
        ``'cnn_avg_{i}'`` / ``'cnn_max_{i}'``.
    model_ : torch.nn.Module
        The loaded network (read-only; rebuilt on demand after unpickling).

    ``transform`` changes none of these. What a run did comes back with
    ``extract(X)``: its ``details`` hold ``batch_size`` (images per forward pass,
    after any out-of-memory halving), ``oom_events`` (``(old, new)`` batch sizes of
    the back-offs), ``compile`` (the path that ran), ``device`` and ``precision``.

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
    >>> images = np.random.default_rng(0).integers(0, 255, (5, 28, 28), dtype=np.uint8)
    >>> featclf.CNNEmbedding(backbone="tiny", verbose=0).fit_transform(images).shape
    (5, 16)

    The default backbone (pretrained, 1280-d) at a resolution suited to small images:

    >>> cnn = featclf.CNNEmbedding(input_size=64, verbose=0)  # doctest: +SKIP
    >>> cnn.fit_transform(images).shape  # doctest: +SKIP
    (4, 1280)
    """

    def __init__(self, *, backbone="efficientnet_lite0", weights=None, pooling="avg", input_size=None,
                 device="auto", precision="auto", batch_size="auto", compile="auto", n_jobs=None,
                 on_error="raise", verbose=1, max_pixels=DEFAULT_MAX_PIXELS, cache_dir=None):
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
        self.max_pixels = max_pixels
        self.cache_dir = cache_dir

    # -- parameters --------------------------------------------------------------------
    def _check_params(self):
        self._check_common_params()  # on_error, n_jobs, batch_size, verbose: as every extractor
        check_option("pooling", self.pooling, POOLINGS, self)
        check_option("compile", self.compile, _COMPILE_ACCEPTED, self)
        check_pair("input_size", self.input_size, owner=self, allow_none=True, example=self._example_input_size())
        if self.weights is not None and not isinstance(self.weights, (str, bytes)) and not hasattr(
                self.weights, "__fspath__"):
            raise InvalidParameterError(
                f"The 'weights' parameter of CNNEmbedding must be a path to a state-dict file or None. "
                f"Got {type(self.weights).__name__} instead."
            )

    def _example_input_size(self):
        """The backbone's smallest usable input size (its total stride), to suggest in errors; None if unknown."""
        try:
            m = get_backbone(self.backbone).min_input_size
        except Exception:  # noqa: BLE001 - an unknown backbone is reported by its own check
            return None
        return (m, m)

    def _check_dependencies(self):
        """torch (and ONNX Runtime for ``compile='onnxruntime'``), and a known backbone name.

        torch is checked first: :mod:`._inference` imports it at module level, so importing
        that module without torch would raise a bare ``ModuleNotFoundError``.
        """
        self._torch()
        from . import _inference

        if self.compile == "onnxruntime":
            for package in _inference.ONNX_PACKAGES:
                import_optional(package, purpose="CNNEmbedding(compile='onnxruntime')")
        if isinstance(self.backbone, str):
            get_backbone(self.backbone)

    def _resolved_config(self) -> BackboneConfig:
        """The backbone's config at the input size used.

        Raises
        ------
        InvalidParameterError
            ``input_size`` below the backbone's ``min_input_size`` (its total stride: the
            embeddings would be degenerate, e.g. all zero), or of more pixels than
            ``max_pixels``.
        """
        config = get_backbone(self.backbone)
        if self.input_size is None:
            return config
        size = check_pair("input_size", self.input_size, owner=self)
        if min(size) < config.min_input_size:
            m = config.min_input_size
            raise InvalidParameterError(
                f"The 'input_size' parameter of CNNEmbedding is {size[0]}x{size[1]}, below what backbone "
                f"{config.name!r} can use: its network downsamples by {m}, so inputs smaller than {m}x{m} leave "
                f"its last feature map without image content (degenerate, e.g. all-zero, embeddings). Use "
                f"input_size={m} or larger (its default is {config.input_size[0]}x{config.input_size[1]})."
            )
        self._check_output_size("input_size", size)
        return config.replace(input_size=size)

    def describe(self) -> dict:
        """The configuration, defaults resolved from the backbone (no network is built, torch is not needed).

        As :meth:`BaseExtractor.describe`, with ``backbone`` as its name,
        ``input_size`` as the ``(height, width)`` used (the backbone's default when
        ``input_size=None``), ``weights`` as given (``None``: the backbone's own) and
        ``weights_source`` saying where the weights come from; ``backbone_config``
        holds the backbone's preprocessing as data (:meth:`BackboneConfig.describe`:
        resize policy, interpolation, mean, std, embedding dimension, licence).

        Raises
        ------
        UnknownNameError, MissingDependencyError, InvalidParameterError
            As ``fit``: an unknown backbone, a hub library missing, a bad ``input_size``.

        Examples
        --------
        >>> import featclf
        >>> info = featclf.CNNEmbedding(backbone="tiny", input_size=32).describe()
        >>> info["backbone"], info["input_size"], info["pooling"]
        ('tiny', (32, 32), 'avg')
        """
        config = self._resolved_config()
        described = super().describe()
        weights = described["weights"]
        described.update(
            backbone=config.name,
            input_size=config.input_size,
            weights_source=config.weights if weights is None else f"local state-dict file {os.fspath(weights)}",
            backbone_config=config.describe(),
        )
        return described

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
        n_images = 0 if X is None else len(engine.as_sources(X))
        config = self._resolved_config()
        self._runtime_ = _Runtime()
        runtime = self._runtime_
        runtime.model, device, dtype, self.channels_, self._output_ndim_ = self._build(config)
        self.device_ = str(device)
        self.precision_ = str(dtype).replace("torch.", "")
        self.backbone_config_ = config
        self.image_size_ = config.input_size
        self.size_rule_ = (f"size: every image brought to the network's input size "
                           f"{config.input_size[0]}x{config.input_size[1]}")
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

    def weights_file(self) -> str | None:
        """The local file this extractor's network loads its weights from, or None where there is none.

        ``weights`` when given; else the file the backbone ships in a package
        (EfficientNet-Lite0's); None for random weights, user modules and hub caches
        (torchvision, timm). Imports no torch: saved models record (and check on
        load) a SHA-256 checksum of this file.

        Returns
        -------
        str or None
        """
        from ._weights import SHIPPED_WEIGHTS

        if self.weights is not None:
            return os.fspath(self.weights)
        name = self.backbone if isinstance(self.backbone, str) else getattr(self.backbone, "name", None)
        find = SHIPPED_WEIGHTS.get(name)
        if find is None:
            return None
        try:
            return find()
        except (MissingDependencyError, WeightsNotFoundError):
            return None

    def _build(self, config: BackboneConfig):
        """Build the network on the chosen device: ``(embedder, device, dtype, channels, output ndim)``."""
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
        return embedder, device, dtype, channels, ndim

    def _loaded(self) -> _Runtime:
        """The run-time state, with the network loaded (rebuilt after unpickling); fitted attributes unchanged."""
        runtime = self._runtime_
        if runtime.model is None:
            self._torch()
            runtime.model = self._build(self.backbone_config_)[0]
        return runtime

    @property
    def model_(self):
        """The loaded network (an ``Embedder``: normalisation, backbone, pooling); loaded on demand."""
        check_is_fitted(self, "n_features_out_")
        return self._loaded().model

    # -- pickling: the network is fitted state rebuilt on demand, not pickled ----------
    def __getstate__(self):
        state = dict(super().__getstate__())
        state.pop("_runtime_", None)
        return state

    def __setstate__(self, state):
        super().__setstate__(state)
        if "n_features_out_" in state:
            self._runtime_ = _Runtime()

    # -- the engine protocol -----------------------------------------------------------
    def _choose_path(self, n_images: int) -> str:
        """The inference path for this fitted instance (``compile_``)."""
        from . import _inference

        if self.compile in ("none", None):
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

    def _runner_for(self, runtime: _Runtime, mode: str, batch: int, device):
        """``(callable, path)`` for ``mode``, built once per (mode, batch, input shape, device, precision).

        With ``compile='auto'`` a path that cannot be built falls back (onnxruntime ->
        jit -> eager) with a logged warning, and the fallback is kept for this key;
        an explicitly requested path raises.
        """
        from . import _inference

        torch = self._torch()
        h, w = self.image_size_
        key = (mode, batch, h, w, str(device), self.precision_)
        if key not in runtime.runners:
            entry = (runtime.model, "eager")
            if mode != "eager":
                example = torch.zeros((batch, h, w, 3), dtype=torch.uint8, device=device)
                dtype = _inference.PRECISIONS[self.precision_]
                try:
                    with torch.autocast(device.type, dtype=dtype, enabled=dtype != torch.float32):
                        entry = (_inference.build_runner(runtime.model, mode, example), mode)
                except Exception as exc:
                    if self.compile != "auto" or _inference.is_out_of_memory(exc):
                        raise
                    fallback = "jit" if mode == "onnxruntime" else "eager"
                    _inference.logger.warning(
                        "CNNEmbedding: backbone %r cannot be compiled with %r (%s: %s); using %r instead.",
                        self.backbone_config_.name, mode, type(exc).__name__, str(exc)[:300], fallback)
                    entry = self._runner_for(runtime, fallback, batch, device)
            runtime.runners[key] = entry
        return runtime.runners[key]

    def _batch_size(self) -> int:
        """Images per forward pass: ``batch_size``, or the measured default for the device and input size."""
        from . import _inference

        if isinstance(self.batch_size, numbers.Integral):
            return int(self.batch_size)
        return _inference.default_batch_size(self._torch().device(self.device_), self.image_size_)

    def _cache_config(self) -> dict:
        """The feature cache's key for this fitted instance: the base's, with what changes a network's numbers.

        The resolved backbone configuration (preprocessing), a checksum of the loaded
        network (architecture and every weight, :func:`._inference.network_digest`), the
        inference path, device, precision, images per forward pass (another batch size
        changes the last bits), torch's CPU thread count on the CPU (so does it) and the
        torch (and ONNX Runtime) version.
        """
        from . import _inference

        runtime = self._loaded()
        if runtime.digest is None:
            runtime.digest = _inference.network_digest(runtime.model)
        torch = self._torch()
        params = {k: v for k, v in self.get_params(deep=False).items()
                  if k not in engine.RUN_ONLY_PARAMS | {"backbone", "weights", "device", "precision", "compile"}}
        versions = {"torch": torch.__version__}
        if self.compile_ == "onnxruntime":
            import onnxruntime

            versions["onnxruntime"] = onnxruntime.__version__
        return {"params": params, "backbone": self.backbone_config_.describe(), "network": runtime.digest,
                "compile": self.compile_, "device": self.device_, "precision": self.precision_,
                "batch_size": self._batch_size(), "n_features": int(self.n_features_out_), "versions": versions,
                "cpu_threads": self._cpu_threads()}

    def _kernel(self, sources):
        batch = self._batch_size()
        config = self.backbone_config_
        return CNNInputKernel(self.image_size_, config.resize, config.crop_pct, config.interpolation,
                              chunk_size=max(batch, CHUNK_IMAGES // batch * batch))

    def _worker_kernel(self, sources):
        """The kernel for a Dask cluster: the network runs in each worker (:class:`_NetworkKernel`).

        The workers use this instance's resolved ``device_`` and ``precision_`` (e.g.
        ``cuda:0``, each worker's own GPU under ``CUDA_VISIBLE_DEVICES``); a worker without
        that device raises InvalidParameterError from its first chunk. ``details`` are
        what the local sink reports, with ``compile`` as chosen here (a fallback in a
        worker is logged there) and out-of-memory halvings logged by the workers.
        """
        pinned = copy.copy(self)
        pinned.device, pinned.precision = self.device_, self.precision_
        details = {"device": self.device_, "precision": self.precision_, "batch_size": self._batch_size(),
                   "oom_events": [], "compile": self.compile_}
        return _NetworkKernel(pinned, self._kernel(sources), details, self._cpu_threads())

    def _cpu_threads(self):
        """torch's CPU thread count here when the network runs on the CPU (it changes the last bits), else None."""
        return self._torch().get_num_threads() if str(self.device_).startswith("cpu") else None

    @contextlib.contextmanager
    def _sink(self, out):
        """Runs the network on the prepared stacks the engine feeds, writing rows into ``out``."""
        from . import _inference

        runtime = self._loaded()
        torch = self._torch()
        device = torch.device(self.device_)
        ran = {"compile": self.compile_}

        def runner_for(batch):
            runner, ran["compile"] = self._runner_for(runtime, self.compile_, batch, device)
            return runner

        runner = _inference.BatchRunner(runner_for, out, device, _inference.PRECISIONS[self.precision_],
                                        self._batch_size())
        with _device_flags(torch, device):
            yield _Sink(runner, ran, {"device": self.device_, "precision": self.precision_})


class _NetworkKernel(CNNInputKernel):
    """The CNN on a Dask cluster: images prepared as :class:`CNNInputKernel` does, then the network run in the worker.

    It reaches each worker once (the engine scatters its kernels), with a copy of the
    fitted extractor pinned to the device and precision resolved where it was fitted;
    that copy loads its network on first use and keeps it, so each worker process holds
    one network however many tasks it runs (threads of one worker take turns). Rows are
    computed with the same batch size and padding as in the caller (each row depends
    only on its own image), and on the CPU with the caller's torch thread count (another
    count changes the last bits; Dask's nanny starts workers with one), so they equal the
    local run's on the same device.
    """

    in_workers = True
    per_chunk = True

    def __init__(self, extractor, base: CNNInputKernel, details: dict, cpu_threads=None):
        super().__init__(base.input_size, base.resize, base.crop_pct, base.interpolation, base.chunk_size)
        self._extractor = extractor
        self.details = details
        self._cpu_threads = cpu_threads

    def compute(self, images) -> np.ndarray:
        images = np.asarray(images)
        out = np.empty((len(images), int(self._extractor.n_features_out_)), dtype=np.float32)
        with _NETWORK_LOCK:
            torch = self._extractor._torch()
            before = torch.get_num_threads()
            if self._cpu_threads is not None:
                torch.set_num_threads(self._cpu_threads)
            try:
                with self._extractor._sink(out) as sink:
                    sink.feed(images)
                    sink.finish()
            finally:
                torch.set_num_threads(before)
        return out


#: One network run at a time in a worker process (a Dask worker may run several threads).
_NETWORK_LOCK = threading.Lock()


class _Runtime:
    """Run-time state of a fitted CNNEmbedding, never pickled: the network and its compiled runners."""

    def __init__(self):
        self.model = None
        self.runners: dict = {}
        self.digest = None  # the network's checksum, for the feature cache


class _Sink:
    """What the engine feeds: prepared uint8 stacks in, rows written in order, run details out."""

    def __init__(self, runner, ran: dict, details: dict):
        self.runner = runner
        self.ran = ran
        self.details = details

    def feed(self, images):
        self.runner.feed(images)

    def rows_done(self) -> int:
        """Rows of the images fed so far that are computed and written (the engine caches them then)."""
        return self.runner.done

    def finish(self) -> dict:
        self.runner.finish()
        return {**self.details, "batch_size": self.runner.batch_size, "oom_events": list(self.runner.oom_events),
                "compile": self.ran["compile"]}


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
