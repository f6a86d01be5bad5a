"""export_folders: one folder per cluster, originals untouched, read back as an ImageFolder to train a classifier."""

from __future__ import annotations

import csv
import os
import warnings

import numpy as np
import pytest
from clustergen import blobs, snapshot, write_collection
from PIL import Image
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

import featclf
from featclf.clustering import NOISE, SKIPPED
from featclf.exceptions import FeatclfWarning, InvalidParameterError, SkippedImagesWarning

BROKEN = (3, 12)


@pytest.fixture
def nested(tmp_path):
    """31 images in two subfolders with the same file names (000.png ... in both), two of them broken."""
    images, truth = blobs((11, 10, 8), seed=31)
    first = write_collection(tmp_path / "photos" / "a", images[:15], broken_at=BROKEN)
    second = write_collection(tmp_path / "photos" / "b", images[15:])
    full = np.full(len(first) + len(second), -1)
    full[[i for i in range(len(first)) if i not in BROKEN]] = truth[:15]
    full[len(first):] = truth[15:]
    return tmp_path / "photos", first + second, full


def listing(dest):
    with open(dest / ".featclf-export.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def clustered(paths, **kwargs):
    with pytest.warns(SkippedImagesWarning):
        return featclf.cluster(featclf.UnlabelledFolder(paths) if not isinstance(paths, list) else paths,
                               "pixels", n_clusters=3, verbose=0, **kwargs)


@pytest.mark.parametrize("mode", ["copy", "symlink"])
def test_one_folder_per_cluster_with_every_image_and_the_originals_untouched(nested, tmp_path, mode):
    root, paths, truth = nested
    before = snapshot(root)
    result = clustered(root)
    dest = tmp_path / "export" / "clusters"  # parents created
    counts = result.export_folders(dest, mode=mode)
    assert snapshot(root) == before  # files, sizes, mtimes, bytes
    assert counts == {"cluster_00": result.cluster_sizes_[0], "cluster_01": result.cluster_sizes_[1],
                      "cluster_02": result.cluster_sizes_[2]}
    assert sorted(os.listdir(dest)) == [".featclf-export.csv", "cluster_00", "cluster_01", "cluster_02"]
    rows = listing(dest)
    assert [int(r["index"]) for r in rows] == list(range(len(paths)))
    for i, row in enumerate(rows):
        assert row["source"] == paths[i]
        if result.labels_[i] == SKIPPED:
            assert row["folder"] == row["file"] == "" and row["reason"]
            continue
        assert row["folder"] == f"cluster_{result.labels_[i]:02d}"
        exported = dest / row["file"]
        assert exported.name == f"{i:02d}_{os.path.basename(paths[i])}"  # same basenames in a/ and b/: no loss
        assert exported.read_bytes() == open(paths[i], "rb").read()
        assert exported.is_symlink() == (mode == "symlink")
        if mode == "copy":
            assert exported.stat().st_mtime_ns == os.stat(paths[i]).st_mtime_ns
    n_files = sum(len(os.listdir(dest / f)) for f in counts)
    assert n_files == len(paths) - len(BROKEN)  # every readable image once; the skipped ones listed only


@pytest.mark.parametrize("mode", ["copy", "symlink"])
def test_renamed_folders_read_back_as_an_imagefolder_that_trains_a_classifier(nested, tmp_path, mode):
    root, paths, truth = nested
    result = clustered(root)
    dest = tmp_path / "export"
    result.export_folders(dest, mode=mode)
    names = {}
    for j in range(result.n_clusters_):  # the analyst names each cluster by what it shows
        members = truth[result.labels_ == j]
        names[j] = f"kind_{np.bincount(members).argmax()}"
        os.rename(dest / f"cluster_{j:02d}", dest / names[j])
    with warnings.catch_warnings():
        warnings.simplefilter("error", FeatclfWarning)  # the listing is not a stray file
        data = featclf.ImageFolder(dest)
    assert sorted(data.classes) == sorted(names.values())
    assert len(data) == len(paths) - len(BROKEN)
    model = make_pipeline(featclf.RawPixels(size=(12, 12)), LogisticRegression(max_iter=500))
    model.fit(data.paths, data.labels)
    originals = [p for i, p in enumerate(paths) if i not in BROKEN]
    predicted = [data.classes[k] for k in model.predict(originals)]
    expected = [names[result.labels_[i]] for i in range(len(paths)) if i not in BROKEN]
    assert predicted == expected


def test_in_memory_images_are_written_as_png(tmp_path):
    images, _ = blobs((6, 6), seed=4)
    rgba = np.concatenate([np.repeat(images[..., None], 3, axis=-1), np.full((*images.shape, 1), 128, np.uint8)], -1)
    sources = [images[0], Image.fromarray(images[1])] + list(images[2:]) + [rgba[0]]
    result = featclf.cluster(sources, "pixels", n_clusters=2, verbose=0)
    dest = tmp_path / "out"
    dest.mkdir()  # an existing empty folder is accepted
    result.export_folders(dest, mode="symlink")
    for row in listing(dest):
        i = int(row["index"])
        assert row["file"].endswith(f"{i:02d}.png")
        written = np.asarray(Image.open(dest / row["file"]))
        assert np.array_equal(written, rgba[0] if i == len(sources) - 1 else images[i])


def test_noise_has_its_own_folder(tmp_path):
    images, truth = blobs((15, 15, 15), seed=7, n_noise=3, spread=40)
    result = featclf.cluster(images, "pixels", method="hdbscan", verbose=0)
    assert result.n_noise
    counts = result.export_folders(tmp_path / "out", mode="copy")
    assert list(counts)[-1] == "noise" and counts["noise"] == result.n_noise
    for row in listing(tmp_path / "out"):
        assert (row["folder"] == "noise") == (result.labels_[int(row["index"])] == NOISE)


def test_a_loaded_clustering_exports_files_but_not_in_memory_images(nested, tmp_path):
    root, paths, truth = nested
    result = clustered(root)
    result.save(tmp_path / "c.featclf")
    loaded = featclf.load_clustering(tmp_path / "c.featclf")
    assert loaded.export_folders(tmp_path / "out") == result.export_folders(tmp_path / "out2")
    images, _ = blobs((5, 5), seed=2)
    arrays = featclf.cluster(images, "pixels", n_clusters=2, verbose=0)
    arrays.save(tmp_path / "a.featclf")
    with pytest.raises(InvalidParameterError, match=r"10 clustered images are no longer files, e\.g\. 'item 0 "
                                                    r"\(ndarray\)'\. A loaded clustering holds no images"):
        featclf.load_clustering(tmp_path / "a.featclf").export_folders(tmp_path / "out3")
    assert not (tmp_path / "out3").exists()


def test_refusals_leave_everything_as_it_was(nested, tmp_path):
    root, paths, truth = nested
    result = clustered(root)
    before = snapshot(root)
    full = tmp_path / "full"
    full.mkdir()
    (full / "notes.txt").write_text("keep me")
    with pytest.raises(InvalidParameterError, match=r"is not empty \(1 entries, e\.g\. 'notes\.txt'\).*Give a new "
                                                    r"folder name, or empty that folder first"):
        result.export_folders(full)
    assert os.listdir(full) == ["notes.txt"]
    with pytest.raises(InvalidParameterError, match=r"is an existing file, not a folder"):
        result.export_folders(full / "notes.txt")
    with pytest.raises(InvalidParameterError, match=r"inside the clustered images' folder .*photos'.*Give a folder "
                                                    r"outside it"):
        result.export_folders(root / "clusters")  # the dataset root
    with pytest.raises(InvalidParameterError, match=r"inside the clustered images' folder .*a'"):
        result.export_folders(root / "a" / "deeper" / "clusters")  # a source's own folder
    link = tmp_path / "link"
    link.symlink_to(root / "b")
    with pytest.raises(InvalidParameterError, match=r"inside the clustered images' folder .*b'"):
        result.export_folders(link / "clusters")  # symlinks resolved
    with pytest.raises(InvalidParameterError, match=r"The 'mode' parameter of export_folders must be one of"):
        result.export_folders(tmp_path / "x", mode="move")
    assert not (tmp_path / "x").exists() and not (root / "clusters").exists()
    assert snapshot(root) == before


def test_sources_given_as_a_list_are_guarded_by_their_folders(nested, tmp_path):
    root, paths, truth = nested
    result = clustered(paths[:16])  # only folder a/
    with pytest.raises(InvalidParameterError, match=r"inside the clustered images' folder .*a'"):
        result.export_folders(root / "a" / "out")
    assert result.export_folders(root / "b" / "out", mode="symlink")  # b/ is not part of this collection


def test_an_image_removed_since_clustering_is_refused_before_writing(nested, tmp_path):
    root, paths, truth = nested
    result = clustered(root)
    os.remove(paths[5])
    with pytest.raises(InvalidParameterError, match=r"1 clustered images are no longer files, e\.g\. '.*005\.png'\. "
                                                    r"Nothing was written"):
        result.export_folders(tmp_path / "out")
    assert not (tmp_path / "out").exists()
