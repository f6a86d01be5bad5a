"""Every input is clustered or accounted for: skipped inputs keep their place, exports follow input order."""

from __future__ import annotations

import csv
import json
import re

import numpy as np
import pytest
from clustergen import blobs, same_partition, snapshot, write_collection
from PIL import Image

import featclf
from featclf.clustering import NOISE, SKIPPED
from featclf.exceptions import SkippedImagesWarning

BROKEN = (0, 14, 31)  # first, middle, last of 32 inputs


@pytest.fixture
def folder_with_broken(tmp_path):
    images, truth = blobs((10, 10, 9), seed=20)
    paths = write_collection(tmp_path / "photos", images, broken_at=BROKEN)
    full_truth = np.full(len(paths), -1)
    full_truth[[i for i in range(len(paths)) if i not in BROKEN]] = truth
    return tmp_path / "photos", paths, full_truth


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.mark.parametrize("as_folder", [True, False])
def test_skipped_inputs_keep_their_place(folder_with_broken, as_folder):
    root, paths, truth = folder_with_broken
    data = featclf.UnlabelledFolder(root) if as_folder else paths
    with pytest.warns(SkippedImagesWarning, match=r"Skipped 3 of 32 images"):
        result = featclf.cluster(data, "pixels", n_clusters=3, verbose=0)
    assert result.labels_.shape == (32,)
    assert np.flatnonzero(result.labels_ == SKIPPED).tolist() == list(BROKEN)
    assert [s.index for s in result.skipped_] == list(BROKEN)
    assert [s.source for s in result.skipped_] == [paths[i] for i in BROKEN]
    assert np.isnan(result.distances_[list(BROKEN)]).all()
    kept = truth >= 0
    assert same_partition(result.labels_[kept], truth[kept])
    assert result.sources_ == paths and result.dataset_["n_inputs"] == 32


def test_csv_has_one_row_per_input_in_input_order(folder_with_broken, tmp_path):
    root, paths, truth = folder_with_broken
    with pytest.warns(SkippedImagesWarning):
        result = featclf.cluster(paths, "pixels", n_clusters=3, n_exemplars=2, n_outliers=1, verbose=0)
    result.to_csv(tmp_path / "clusters.csv")
    rows = read_csv(tmp_path / "clusters.csv")
    assert list(rows[0]) == ["index", "source", "cluster", "distance", "exemplar", "outlier", "reason"]
    assert [int(r["index"]) for r in rows] == list(range(32))
    assert [r["source"] for r in rows] == paths
    for i, row in enumerate(rows):
        if i in BROKEN:
            assert row["cluster"] == "" and row["distance"] == "" and row["reason"]
            assert row["reason"] == result.skipped_[BROKEN.index(i)].reason
        else:
            assert int(row["cluster"]) == result.labels_[i] and row["reason"] == ""
            assert float(row["distance"]) == pytest.approx(result.distances_[i], rel=1e-5)
    assert sum(int(r["exemplar"]) for r in rows) == 6 and sum(int(r["outlier"]) for r in rows) == 1
    assert {i for i, r in enumerate(rows) if r["exemplar"] == "1"} == set(np.concatenate(result.exemplars_).tolist())


def test_csv_says_noise_and_gives_the_class_when_known(tmp_path):
    images, truth = blobs((15, 15), seed=7, n_noise=3, spread=40)
    names = np.where(truth >= 0, truth, 9).astype(str)
    result = featclf.cluster(images, "pixels", method="hdbscan", labels=names, verbose=0)
    result.to_csv(tmp_path / "c.csv")
    rows = read_csv(tmp_path / "c.csv")
    assert list(rows[0])[-1] == "class" and [r["class"] for r in rows] == names.tolist()
    noise = [i for i, r in enumerate(rows) if r["cluster"] == "noise"]
    assert noise == np.flatnonzero(result.labels_ == NOISE).tolist() == np.flatnonzero(truth < 0).tolist()
    assert all(rows[i]["distance"] == "" for i in noise)
    assert rows[noise[0]]["source"] == f"item {noise[0]} (ndarray)"


def test_json_export(folder_with_broken, tmp_path):
    root, paths, truth = folder_with_broken
    with pytest.warns(SkippedImagesWarning):
        result = featclf.cluster(paths, "pixels", verbose=0)
    text = result.to_json(tmp_path / "c.json")
    data = json.loads((tmp_path / "c.json").read_text(encoding="utf-8"))
    assert data == json.loads(text)
    assert data["schema_version"] == 1 and data["n_clusters"] == 3
    assert data["cluster_sizes"] == [10, 10, 9]
    assert [s["index"] for s in data["skipped"]] == list(BROKEN)
    assert data["dataset"]["n_inputs"] == 32 and data["dataset"]["n_skipped"] == 3
    assert data["dataset"]["fingerprint"]["sha256"] == result.dataset_["fingerprint"]["sha256"]
    assert data["k_selection"]["chosen"] == 3
    assert [c["k"] for c in data["k_selection"]["curve"]] == list(range(2, 6))
    assert set(data["config"]) == {
        "extractor", "preprocess", "preprocess_requested", "reduce", "n_components", "umap", "space", "method",
        "method_params", "algorithm", "n_clusters_requested", "n_clusters_chosen", "k_range", "random_state",
        "silhouette_sample_size", "on_error", "n_jobs", "max_pixels", "n_exemplars", "n_outliers", "numbering"}
    assert set(data) == {"schema_version", "generator", "created", "dataset", "config", "n_clusters",
                         "cluster_sizes", "clusters", "outliers", "metrics", "k_selection", "contingency", "skipped",
                         "timings", "versions"}
    assert data["config"]["extractor"]["label"] == "pixels" and data["config"]["method"] == "kmeans"
    assert data["config"]["algorithm"] == "KMeans" and data["versions"]["scikit-learn"]
    assert set(data["timings"]) == {"extract_s", "space_s", "cluster_s", "metrics_s", "total_s"}
    assert data["clusters"][0]["exemplars"][0]["source"] in paths
    assert data["metrics"]["nmi"] is None and data["contingency"] is None


def test_the_source_folder_is_left_unchanged(folder_with_broken, tmp_path):
    root, paths, truth = folder_with_broken
    (root / "sub").mkdir()
    Image.fromarray(np.full((12, 12), 7, np.uint8)).save(root / "sub" / "extra.png")
    before = snapshot(root)
    out = tmp_path / "out"
    out.mkdir()
    with pytest.warns(SkippedImagesWarning):
        result = featclf.cluster(featclf.UnlabelledFolder(root), "pixels", n_clusters=3, verbose=0)
        result.predict(paths)
    result.similar(1)
    result.to_csv(out / "c.csv")
    result.to_json(out / "c.json")
    result.save(out / "c.featclf")
    assert snapshot(root) == before


def test_n_jobs_1_and_2_give_identical_labels(folder_with_broken):
    root, paths, truth = folder_with_broken
    with pytest.warns(SkippedImagesWarning):
        one = featclf.cluster(paths, "hog:pixels_per_cell=4x4", n_jobs=1, verbose=0)
    with pytest.warns(SkippedImagesWarning):
        two = featclf.cluster(paths, "hog:pixels_per_cell=4x4", n_jobs=2, verbose=0)
    assert np.array_equal(one.labels_, two.labels_)
    assert np.array_equal(one.distances_, two.distances_, equal_nan=True)
    assert one.skipped_ == two.skipped_
    with pytest.warns(SkippedImagesWarning):
        assert np.array_equal(one.predict(paths, n_jobs=2), one.labels_)


def test_an_image_folder_gives_the_true_labels(tmp_path):
    images, truth = blobs((6, 6, 6), seed=21)
    for i, (image, t) in enumerate(zip(images, truth)):
        (tmp_path / f"class{t}").mkdir(exist_ok=True)
        Image.fromarray(image).save(tmp_path / f"class{t}" / f"{i:03d}.png")
    folder = featclf.ImageFolder(tmp_path)
    result = featclf.cluster(folder, "pixels", verbose=0)
    assert result.classes_ == ["class0", "class1", "class2"]
    assert result.metrics_["nmi"] == pytest.approx(1.0) and result.metrics_["matched_accuracy"] == 1.0
    relabelled = featclf.cluster(folder, "pixels", labels=["x"] * 18, verbose=0)  # labels= wins
    assert relabelled.classes_ == ["x"]


def test_with_on_error_raise_an_unreadable_input_stops_the_run(folder_with_broken):
    root, paths, truth = folder_with_broken
    with pytest.raises(featclf.exceptions.ImageLoadError, match=r"000\.png"):
        featclf.cluster(paths, "pixels", n_clusters=3, on_error="raise", verbose=0)


def test_too_few_readable_images_is_a_dataset_error(folder_with_broken):
    root, paths, truth = folder_with_broken
    broken = [paths[i] for i in BROKEN] + [paths[1], paths[2]]
    with pytest.warns(SkippedImagesWarning), pytest.raises(featclf.exceptions.DatasetError,
                                                           match=r"n_clusters=3, but only 2 of 5 images could be read"):
        featclf.cluster(broken, "pixels", n_clusters=3, verbose=0)
    with pytest.warns(SkippedImagesWarning), pytest.raises(featclf.exceptions.DatasetError,
                                                           match=r"0 of 3 images could be read; clustering needs"):
        featclf.cluster(broken[:3], "pixels:size=12x12", verbose=0)
    with pytest.warns(SkippedImagesWarning), pytest.raises(featclf.exceptions.DatasetError,
                                                           match=r"needs at least 5 images .* only 2 of 5 could"):
        featclf.cluster(broken, "pixels", method="hdbscan", verbose=0)
    # an extractor that reads image sizes in fit says so itself, naming the files
    with pytest.raises(featclf.exceptions.ImageLoadError, match=r"all 3 images given to RawPixels.fit: none could"):
        featclf.cluster(broken[:3], "pixels", verbose=0)


def test_verbose_prints_steps_and_the_end(capsys):
    images, truth = blobs((6, 6), seed=22)
    featclf.cluster(images, "pixels", n_clusters=2, verbose=1)
    err = capsys.readouterr().err
    assert "[featclf] extracting pixels from 12 images" in err
    assert re.search(r"\[featclf\] done: 2 clusters in [\d.]+ s \(result.summary\(\) says more\)", err)
    assert "sizes" not in err  # the summary is the caller's to print (the command line prints it once)
