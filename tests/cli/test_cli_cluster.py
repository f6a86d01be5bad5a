"""``featclf cluster``: flat and class folders, the three outputs, folders per cluster, one-line errors before work."""

from __future__ import annotations

import csv
import json
import os

import numpy as np
import pytest
from clirun import run
from PIL import Image

from featclf.cli import main

ARGS = ["-e", "pixels:size=8x8", "-q"]


def _blobs(k=3, per=9, seed=0):
    """``k`` planted clusters of ``per`` 12x12 grey images each (a template plus a little noise)."""
    rng = np.random.default_rng(seed)
    templates = rng.integers(0, 256, size=(k, 12, 12)).astype(float)
    return [[np.clip(t + rng.normal(0, 10, t.shape), 0, 255).astype(np.uint8) for _ in range(per)] for t in templates]


@pytest.fixture
def flat(tmp_path):
    """photos/000.png ... : three planted clusters shuffled into one flat folder, with 003.png unreadable."""
    root = tmp_path / "photos"
    root.mkdir()
    images = [im for group in _blobs() for im in group]
    order = np.random.default_rng(1).permutation(len(images))
    positions = [p for p in range(len(images) + 1) if p != 3]
    for position, i in zip(positions, order):
        Image.fromarray(images[i]).save(root / f"{position:03d}.png")
    (root / "003.png").write_bytes(b"not an image")
    return root


@pytest.fixture
def classes(tmp_path):
    """animals/{a,b,c}/*.png: the planted clusters in class folders."""
    root = tmp_path / "animals"
    for name, group in zip("abc", _blobs(seed=2)):
        (root / name).mkdir(parents=True)
        for i, image in enumerate(group):
            Image.fromarray(image).save(root / name / f"{i}.png")
    return root


def rows(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_a_flat_folder_is_clustered_into_csv_json_and_html(flat, tmp_path, capsys):
    out = tmp_path / "out"
    code, stdout, stderr = run(["cluster", str(flat), *ARGS, "--out", str(out)], capsys)
    assert code == 0, stderr
    assert stderr == ""  # -q: no progress; the skipped image is said once, on stdout
    assert sorted(os.listdir(out)) == ["clusters.csv", "clusters.html", "clusters.json"]
    table = rows(out / "clusters.csv")
    assert [r["source"] for r in table] == [str(flat / f"{i:03d}.png") for i in range(28)]
    assert table[3]["cluster"] == "" and "not a readable image" in table[3]["reason"]
    report = json.loads((out / "clusters.json").read_text(encoding="utf-8"))
    assert report["n_clusters"] == 3 and report["cluster_sizes"] == [9, 9, 9]  # auto-k finds the planted three
    assert report["dataset"]["classes"] is None and report["metrics"]["nmi"] is None
    lines = stdout.splitlines()
    assert lines[0] == "3 clusters (kmeans, pixels:size=8x8, l2)"
    assert lines[1] == "sizes: 9, 9, 9" and lines[3].startswith("silhouette ")
    assert f"Skipped 1 unreadable images, e.g. {flat / '003.png'}: not a readable image" in stdout
    assert f"Clusters: {out / 'clusters.html'} (also clusters.csv, clusters.json)" in stdout
    assert "<h3>Cluster 2: 9 images</h3>" in (out / "clusters.html").read_text(encoding="utf-8")


def test_class_folders_score_the_clusters_and_unlabelled_ignores_them(classes, tmp_path, capsys):
    code, stdout, stderr = run(["cluster", str(classes), *ARGS, "-k", "3", "--out", str(tmp_path / "a")], capsys)
    assert code == 0, stderr
    assert "NMI 1.000, ARI 1.000, matched accuracy 1.000" in stdout
    report = json.loads((tmp_path / "a" / "clusters.json").read_text(encoding="utf-8"))
    assert report["dataset"]["classes"] == ["a", "b", "c"] and report["contingency"] is not None
    code, stdout, stderr = run(["cluster", str(classes), *ARGS, "-k", "3", "--unlabelled", "--out",
                                str(tmp_path / "u")], capsys)
    assert code == 0, stderr
    assert "NMI" not in stdout
    labelled = rows(tmp_path / "a" / "clusters.csv")[0].keys()
    assert rows(tmp_path / "u" / "clusters.csv")[0].keys() == labelled - {"class"}


@pytest.mark.parametrize("mode", ["symlink", "copy"])
def test_export_folders_then_a_rerun_is_refused_before_extraction(flat, tmp_path, capsys, mode, monkeypatch):
    out = tmp_path / "out"
    before = {p.name: p.stat().st_mtime_ns for p in flat.iterdir()}
    code, stdout, stderr = run(["cluster", str(flat), *ARGS, "--out", str(out), "--export-folders", mode], capsys)
    assert code == 0, stderr
    assert sorted(os.listdir(out / "folders")) == [".featclf-export.csv", "cluster_00", "cluster_01", "cluster_02"]
    assert sum(len(os.listdir(out / "folders" / f"cluster_0{j}")) for j in range(3)) == 27
    assert os.path.islink(next((out / "folders" / "cluster_00").iterdir())) == (mode == "symlink")
    assert f"Folders: {out / 'folders'} (3 folders of" in stdout
    assert {p.name: p.stat().st_mtime_ns for p in flat.iterdir()} == before  # the originals untouched
    from featclf.clustering import _cluster

    def refuse(*args, **kwargs):
        raise AssertionError("features were computed before the error")

    monkeypatch.setattr(_cluster, "compute_features", refuse)
    code, stdout, stderr = run(["cluster", str(flat), *ARGS, "--out", str(out), "--export-folders", mode], capsys)
    assert code == 2 and stdout == ""
    assert stderr.count("\n") == 1 and "is not empty" in stderr and "pass another --out DIR." in stderr


def test_the_same_clusters_for_one_and_two_workers(flat, tmp_path, capsys):
    for n_jobs in ("1", "2"):
        code, _, stderr = run(["cluster", str(flat), "-e", "hog:pixels_per_cell=4x4", "-q", "--n-jobs", n_jobs,
                               "--out", str(tmp_path / n_jobs)], capsys)
        assert code == 0, stderr
    assert rows(tmp_path / "1" / "clusters.csv") == rows(tmp_path / "2" / "clusters.csv")


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (["-k", "1"], 2, "argument -k/--n-clusters: invalid value '1': expected a number of clusters >= 2 or 'auto'"),
        (["-k", "many"], 2, "argument -k/--n-clusters: invalid value 'many'"),
        (["--reduce", "tsne"], 2, "argument --reduce: invalid choice: 'tsne'"),
        (["--export-folders", "move"], 2, "argument --export-folders: invalid choice: 'move'"),
        (["--method", "dbscan"], 2, "featclf cluster: error: Unknown clustering method 'dbscan'. Available: "
                                    "agglomerative, hdbscan, kmeans. Did you mean 'hdbscan'?"),
        (["--method", "hdbscan", "-k", "3"], 2, "method='hdbscan' finds the number of clusters itself"),
        (["-e", "hgo"], 2, "Unknown extractor 'hgo'"),
        (["--allow-outside"], 2, "--allow-outside apply to CSV manifests, and DATA is not one"),
        (["--max-thumbnails", "0"], 2, "argument --max-thumbnails: invalid value '0': expected a positive int"),
        (["--export-folders", "copy", "--out", "{flat}/out"], 2, "The --export-folders folder '{flat}/out/folders' is "
                                                                 "inside the clustered images' folder '{flat}'"),
        (["--save", "{flat}"], 2, "error: --save {flat}: is a folder; pass a file name to save the clustering to, "
                                  "e.g. {flat}/clustering.featclf."),
        (["--save", "{flat}/nowhere/m.zip"], 2, "error: --save {flat}/nowhere/m.zip: the folder {flat}/nowhere does "
                                                "not exist; create it first."),
        (["--save", "{flat}/003.png/m.zip"], 2, "error: --save {flat}/003.png/m.zip: {flat}/003.png is a file, not a "
                                                "folder"),
        (["--limit", "0"], 2, "argument --limit: invalid value '0': expected a positive int"),
        (["--split", "val"], 2, "argument --split: invalid choice: 'val'"),
        (["--split", "test"], 2, "error: --split picks a split of fashion-mnist, and DATA is '{flat}': drop --split "
                                 "test."),
    ],
)
def test_bad_settings_stop_before_extraction_in_one_line(flat, argv, code, message, no_extraction, capsys, tmp_path):
    argv = [a.format(flat=flat) for a in argv]
    out = ["--out", str(tmp_path / "out")] if "--out" not in argv else []
    assert main(["cluster", str(flat), "-e", "pixels", *argv, *out]) == code
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert message.format(flat=flat) in err
    assert not (tmp_path / "out").exists() and not (flat / "out").exists()


def test_data_errors_exit_2_and_an_unreadable_image_with_raise_exits_1(flat, tmp_path, capsys):
    code, _, stderr = run(["cluster", str(tmp_path / "nowhere"), *ARGS], capsys)
    assert code == 2 and "no such folder or file" in stderr
    code, _, stderr = run(["cluster", "digits", "--unlabelled", *ARGS, "--out", str(tmp_path / "d")], capsys)
    assert code == 2 and "--unlabelled reads a folder without class folders, and DATA ('digits') is not" in stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    code, _, stderr = run(["cluster", str(empty), *ARGS, "--out", str(tmp_path / "e")], capsys)
    assert code == 2 and stderr.count("\n") == 1 and "empty: no images found" in stderr  # not the class layout
    (empty / "sub").mkdir()
    (empty / "sub" / "notes.txt").write_text("no images here")
    code, _, stderr = run(["cluster", str(empty), *ARGS, "--out", str(tmp_path / "e")], capsys)
    assert code == 2 and stderr.count("\n") == 1 and "empty: no images found" in stderr
    code, _, stderr = run(["cluster", str(tmp_path / "nowhere"), *ARGS], capsys)
    assert "or a flat folder of images." in stderr  # cluster reads flat folders too
    code, _, stderr = run(["cluster", str(flat), *ARGS, "--on-error", "raise", "--out", str(tmp_path / "r")], capsys)
    assert code == 1 and stderr.count("\n") == 1 and "003.png" in stderr


def test_an_out_folder_that_is_a_file_stops_before_any_work(flat, tmp_path, no_extraction, capsys):
    target = tmp_path / "report"
    target.write_text("not a folder")
    code, _, stderr = run(["cluster", str(flat), *ARGS, "--out", str(target)], capsys)
    assert code == 2 and "The --out folder" in stderr and "is an existing file" in stderr


def test_cnn_embeddings_through_the_command_line(classes, tmp_path, capsys):
    pytest.importorskip("torch")
    out = tmp_path / "out"
    code, stdout, stderr = run(["cluster", str(classes), "-e", "cnn:backbone=tiny", "-k", "3", "-q", "--out",
                                str(out)], capsys)
    assert code == 0, stderr
    assert stdout.startswith("3 clusters (kmeans, cnn:backbone=tiny, l2)")
    assert json.loads((out / "clusters.json").read_text(encoding="utf-8"))["config"]["preprocess"] == "l2"


def test_save_writes_a_clustering_that_assigns_the_images_their_clusters(flat, tmp_path, capsys):
    import featclf

    model = tmp_path / "photos.clusters"
    code, stdout, stderr = run(["cluster", str(flat), *ARGS, "--out", str(tmp_path / "out"), "--save", str(model)],
                               capsys)
    assert code == 0, stderr
    assert f"Model: {model} (assign new images with featclf.load_clustering({str(model)!r}).predict(sources))" in stdout
    table = rows(tmp_path / "out" / "clusters.csv")
    sources = [r["source"] for r in table]
    expected = [int(r["cluster"]) if r["cluster"] else featclf.clustering.SKIPPED for r in table]
    with pytest.warns(featclf.exceptions.SkippedImagesWarning, match="003.png"):
        assert featclf.load_clustering(model).predict(sources).tolist() == expected


def test_limit_takes_a_stratified_subset_of_labelled_data(classes, tmp_path, capsys):
    out = tmp_path / "out"
    code, stdout, stderr = run(["cluster", str(classes), *ARGS, "-k", "3", "--limit", "9", "--out", str(out)], capsys)
    assert code == 0, stderr
    table = rows(out / "clusters.csv")
    assert [r["class"] for r in table].count("a") == [r["class"] for r in table].count("b") == 3
    assert len(table) == 9 and [r["source"] for r in table] == sorted(r["source"] for r in table)  # input order
    assert json.loads((out / "clusters.json").read_text(encoding="utf-8"))["dataset"]["n_inputs"] == 9
    assert "Subset: 9 of 27 images (--limit 9, stratified by class, --seed 0)." in stdout
    code, stdout, stderr = run(["cluster", str(classes), *ARGS, "--limit", "100", "--out", str(out)], capsys)
    assert code == 0 and len(rows(out / "clusters.csv")) == 27 and "Subset" not in stdout  # N >= the images: all
    assert "All 27 images: --limit 100 is not below their number." in stdout


def test_limit_takes_a_seeded_sample_of_unlabelled_data(flat, tmp_path, capsys):
    chosen = {}
    for seed in ("0", "0", "1"):
        out = tmp_path / seed
        code, stdout, stderr = run(["cluster", str(flat), *ARGS, "-k", "2", "--limit", "10", "--seed", seed, "--out",
                                    str(out)], capsys)
        assert code == 0, stderr
        assert f"Subset: 10 of 28 images (--limit 10, a random sample, --seed {seed})." in stdout
        sources = [r["source"] for r in rows(out / "clusters.csv")]
        assert len(sources) == 10 and sources == sorted(sources) and set(sources) <= {str(p) for p in flat.iterdir()}
        assert chosen.setdefault(seed, sources) == sources  # the same seed, the same images
    assert chosen["0"] != chosen["1"]


def test_a_limit_below_the_number_of_classes_stops_before_extraction(classes, tmp_path, no_extraction, capsys):
    code, stdout, stderr = run(["cluster", str(classes), *ARGS, "--limit", "2", "--out", str(tmp_path / "o")], capsys)
    assert code == 2 and stdout == "" and stderr.count("\n") == 1
    assert stderr == ("featclf cluster: error: --limit 2: a stratified subset of animals needs at least one image of each "
                      "of its 3 classes; pass --limit 3 or more.\n")


def test_fashion_mnist_split_and_limit(tmp_path, capsys):
    import featclf

    try:
        featclf.load_fashion_mnist(split="test")
    except featclf.exceptions.DatasetNotFoundError:
        pytest.skip("Fashion-MNIST IDX files not installed (apt-get install dataset-fashion-mnist)")
    for split, name, total in ((None, "fashion-mnist-train", 60000), ("test", "fashion-mnist-test", 10000)):
        out = tmp_path / (split or "default")
        code, stdout, stderr = run(["cluster", "fashion-mnist", *ARGS, "-k", "10", "--limit", "200", "--out", str(out),
                                    *(["--split", split] if split else [])], capsys)
        assert code == 0, stderr
        dataset = json.loads((out / "clusters.json").read_text(encoding="utf-8"))["dataset"]
        assert dataset["name"] == name and dataset["n_inputs"] == 200
        assert set(dataset["fingerprint"]["class_counts"].values()) == {20}
        assert f"Subset: 200 of {total} images (--limit 200, stratified by class, --seed 0)." in stdout


def test_save_into_the_new_out_folder(flat, tmp_path, capsys):
    out = tmp_path / "new" / "out"
    code, stdout, stderr = run(["cluster", str(flat), *ARGS, "--out", str(out), "--save", str(out / "m.zip")], capsys)
    assert code == 0, stderr
    assert sorted(os.listdir(out)) == ["clusters.csv", "clusters.html", "clusters.json", "m.zip"]
