"""Assigning new images, similar images, and a saved clustering that reloads in a fresh process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile

import numpy as np
import pytest
from clustergen import blobs, templates, write_collection

import featclf
from featclf.clustering import NOISE, SKIPPED, read_manifest
from featclf.exceptions import FeatclfWarning, InvalidParameterError, ModelFileError, SkippedImagesWarning

REPO = os.path.dirname(os.path.dirname(os.path.abspath(featclf.__file__)))


@pytest.fixture(scope="module")
def on_disk(tmp_path_factory):
    """29 PNGs of 3 planted clusters with unreadable files at positions 0, 14 and 31."""
    images, truth = blobs((10, 10, 9), seed=40)
    paths = write_collection(tmp_path_factory.mktemp("pred") / "photos", images, broken_at=(0, 14, 31))
    with pytest.warns(SkippedImagesWarning):
        result = featclf.cluster(paths, "pixels", n_clusters=3, verbose=0)
    return paths, result


def new_images(k_seed, which, n=4, seed=99):
    """New images of the planted templates ``which`` (same templates as blobs(seed=k_seed))."""
    rng = np.random.default_rng(seed)
    base = templates(3, k_seed)
    return np.clip(base[which] + rng.normal(0, 12, size=(len(which), 12, 12)), 0, 255).round().astype(np.uint8)


def test_predict_on_the_clustered_images_returns_their_clusters(on_disk):
    paths, result = on_disk
    with pytest.warns(SkippedImagesWarning, match=r"Skipped 3 of 32"):
        assert np.array_equal(result.predict(paths), result.labels_)  # skipped ones SKIPPED again, in place


def test_predict_assigns_new_images_of_a_planted_cluster_to_it(on_disk):
    paths, result = on_disk
    which = np.array([2, 0, 1, 1, 0])
    predicted = result.predict(new_images(40, which))
    with pytest.warns(SkippedImagesWarning):
        train = featclf.load_images(paths, on_error="skip", verbose=0)
    # the cluster of each template: the cluster of the clustered images closest to it
    base = templates(3, 40)
    own = [result.labels_[train.indices[np.argmin([np.abs(im.astype(float)[..., 0] - base[t]).sum()
                                                   for im in train.images])]] for t in range(3)]
    assert predicted.tolist() == [own[t] for t in which]


def test_predict_gives_one_entry_per_input_with_unreadable_ones_marked(on_disk):
    paths, result = on_disk
    sources = [paths[1], b"not an image", paths[2], "/no/such/file.png"]
    with pytest.warns(SkippedImagesWarning, match=r"Skipped 2 of 4 images"):
        predicted = result.predict(sources)
    assert predicted.tolist() == [result.labels_[1], SKIPPED, result.labels_[2], SKIPPED]
    with pytest.raises(featclf.exceptions.ImageNotFoundError, match=r"/no/such/file.png"):
        result.predict(sources[2:], on_error="raise")


def test_predict_with_hdbscan_and_agglomerative():
    images, truth = blobs((15, 15, 15), seed=7, n_noise=3, spread=40)
    odd = np.random.default_rng(5).integers(0, 256, size=(2, 12, 12)).astype(np.uint8)
    hdb = featclf.cluster(images, "pixels", method="hdbscan", verbose=0)
    clustered = truth >= 0
    assert np.array_equal(hdb.predict(images[clustered]), hdb.labels_[clustered])  # within each cluster's reach
    assert (hdb.predict(odd) == NOISE).all()  # farther than any image of the nearest cluster
    agg = featclf.cluster(images[clustered], "pixels", n_clusters=3, method="agglomerative", verbose=0)
    assert np.array_equal(agg.predict(images[clustered]), agg.labels_)  # well-separated: nearest centroid agrees


def test_similar_to_an_image_of_the_collection(on_disk):
    paths, result = on_disk
    found = result.similar(5, n=4)
    assert 5 not in found.indices and len(found.indices) == 4
    assert (result.labels_[found.indices] == result.labels_[5]).all()
    assert np.all(np.diff(found.distances) >= 0) and found.sources == [paths[i] for i in found.indices]
    with pytest.raises(InvalidParameterError, match=r"input 14 \(.*014.png\) could not be used .* no features"):
        result.similar(14)
    assert len(result.similar(1, n=100).indices) == 28  # every other clustered image


def test_similar_to_a_new_image(on_disk):
    paths, result = on_disk
    found = result.similar(paths[3], n=1)
    assert found.indices.tolist() == [3] and found.distances[0] == pytest.approx(0, abs=1e-6)
    from PIL import Image

    found = result.similar(Image.open(paths[7]), n=2)
    assert found.indices[0] == 7
    with pytest.raises(featclf.exceptions.ImageLoadError, match=r"not an image|cannot identify") as caught:
        result.similar(paths[0])
    assert "similar() needs a readable query image" in str(caught.value) and "on_error" not in str(caught.value)
    with pytest.raises(featclf.exceptions.InvalidImageError, match="similar"):
        result.similar(np.zeros((4, 4, 7), np.uint8))  # not an image: 7 channels


def test_saved_clustering_reloads_in_a_fresh_process_and_assigns_identically(on_disk, tmp_path):
    paths, result = on_disk
    path = tmp_path / "clusters.featclf"
    result.save(path)
    assert os.listdir(tmp_path) == ["clusters.featclf"]  # no temporary file left
    manifest = read_manifest(path)
    assert manifest["format"] == "featclf-clustering" and manifest["format_version"] == 1
    assert manifest["cluster_sizes"] == result.cluster_sizes_.tolist() and manifest["n_inputs"] == 32
    assert manifest["versions"]["featclf"] == featclf.__version__
    new = new_images(40, np.array([0, 1, 2]))
    np.save(tmp_path / "new.npy", new)
    code = f"""
import json, warnings, numpy as np, featclf
warnings.simplefilter("ignore", featclf.exceptions.SkippedImagesWarning)
loaded = featclf.load_clustering({str(path)!r})
paths = {paths!r}
new = np.load({str(tmp_path / 'new.npy')!r})
print(json.dumps({{"train": loaded.predict(paths).tolist(), "new": loaded.predict(list(new)).tolist(),
                  "labels": loaded.labels_.tolist(), "similar": loaded.similar(5, n=3).indices.tolist()}}))
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": REPO})
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["labels"] == result.labels_.tolist()
    assert out["train"] == result.labels_.tolist()
    assert out["new"] == result.predict(list(new)).tolist()  # 3 images: a list (a (3, H, W) stack is ambiguous)
    assert out["similar"] == result.similar(5, n=3).indices.tolist()


def test_a_loaded_clustering_exports_as_the_original(on_disk, tmp_path):
    paths, result = on_disk
    result.save(tmp_path / "c.featclf")
    loaded = featclf.load_clustering(tmp_path / "c.featclf")
    assert loaded._data is None and loaded.to_dict() == result.to_dict()


def _rewrite_manifest(src, dst, change):
    with zipfile.ZipFile(src) as a, zipfile.ZipFile(dst, "w") as b:
        for item in a.infolist():
            data = a.read(item.filename)
            if item.filename == "manifest.json":
                manifest = json.loads(data)
                change(manifest)
                data = json.dumps(manifest).encode()
            b.writestr(item, data)


def test_loading_warns_when_versions_differ(on_disk, tmp_path):
    paths, result = on_disk
    result.save(tmp_path / "c.featclf")
    _rewrite_manifest(tmp_path / "c.featclf", tmp_path / "old.featclf",
                      lambda m: m["versions"].update({"scikit-learn": "0.0.1", "featclf": "0.0.0"}))
    with pytest.warns(FeatclfWarning, match=r"saved with other library versions \(featclf 0.0.0 -> .*; scikit-learn "
                                            r"0.0.1 -> "):
        featclf.load_clustering(tmp_path / "old.featclf")


def test_files_that_are_not_saved_clusterings_are_refused(on_disk, tmp_path):
    paths, result = on_disk
    (tmp_path / "text.featclf").write_text("hello")
    with pytest.raises(ModelFileError, match=r"text.featclf: not a featclf clustering file \(BadZipFile"):
        featclf.load_clustering(tmp_path / "text.featclf")
    with pytest.raises(ModelFileError, match=r"missing.featclf: no such file"):
        featclf.load_clustering(tmp_path / "missing.featclf")
    result.save(tmp_path / "c.featclf")
    _rewrite_manifest(tmp_path / "c.featclf", tmp_path / "new.featclf", lambda m: m.update(format_version=99))
    with pytest.raises(ModelFileError, match=r"format version 99, newer than this featclf reads \(1\). Upgrade"):
        featclf.load_clustering(tmp_path / "new.featclf")
    _rewrite_manifest(tmp_path / "c.featclf", tmp_path / "other.featclf", lambda m: m.update(format="other"))
    with pytest.raises(ModelFileError, match=r"not a featclf clustering file \(its manifest names no"):
        read_manifest(tmp_path / "other.featclf")
    with pytest.raises(ModelFileError, match=r"the folder .*nowhere does not exist"):
        result.save(tmp_path / "nowhere" / "c.featclf")
    with pytest.raises(ModelFileError, match=r"is a folder"):
        result.save(tmp_path)
