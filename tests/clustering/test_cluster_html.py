"""The HTML page of a clustering: every cluster and input accounted for, self-contained, renders in a browser."""

from __future__ import annotations

import base64
import io
import re
import sys

import numpy as np
import pytest
from clustergen import blobs, write_collection
from PIL import Image

import featclf
from featclf.exceptions import InvalidParameterError, SkippedImagesWarning
from featclf.report import clustering_to_html
from featclf.report._clusters import gallery_order, projection_2d

DATA_URI = re.compile(r'<img [^>]*src="(data:image/png;base64,[A-Za-z0-9+/=]+)"')
BROKEN = (2, 17)


def assert_self_contained(text):
    assert text.startswith("<!DOCTYPE html>") and text.rstrip().endswith("</html>")
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", text, re.I)
    assert not re.search(r"https?://", text)
    assert "<script" not in text and "<link" not in text and "@import" not in text
    for src in re.findall(r'<img [^>]*src="([^"]*)"', text):
        assert src.startswith("data:image/png;base64,")


def section(text, ident):
    match = re.search(rf'<section id="{ident}">(.*?)</section>', text, re.S)
    assert match, ident
    return match.group(1)


def titles(fragment):
    return re.findall(r'<img alt="[^"]*" title="([^"]*)"', fragment)


@pytest.fixture(scope="module")
def on_disk(tmp_path_factory):
    """33 files in three planted clusters, two unreadable, clustered with k chosen automatically."""
    images, truth = blobs((12, 11, 8), seed=41)
    paths = write_collection(tmp_path_factory.mktemp("html") / "photos", images, broken_at=BROKEN)
    with pytest.warns(SkippedImagesWarning):
        result = featclf.cluster(paths, "pixels", verbose=0)
    return paths, result


def test_every_cluster_with_its_size_and_its_images_exemplars_first(on_disk, tmp_path):
    paths, result = on_disk
    text = result.to_html(tmp_path / "c.html", max_per_cluster=7)
    assert (tmp_path / "c.html").read_text(encoding="utf-8") == text
    assert_self_contained(text)
    assert result.n_clusters_ == 3
    for j in range(3):
        part = section(text, f"cluster-{j}")
        size = int(result.cluster_sizes_[j])
        assert f"<h3>Cluster {j}: {size} images</h3>" in part
        shown = titles(part)
        order = gallery_order(result.labels_, result.distances_, result.exemplars_, j)
        assert shown == [paths[i] for i in order[:7]]  # exemplars, then the nearest others
        assert shown[:5] == [paths[i] for i in result.exemplars_[j]]
        assert f"<summary>{size - 5} more images ({size - 7} not shown)</summary>" in part
        visible = part.split("<details>")[0]
        assert len(titles(visible)) == 5  # the exemplars are open; the rest is collapsed
    rows = re.findall(r"<tr><td>cluster (\d)</td><td class=\"num\">(\d+)</td>", text)
    assert [(int(j), int(n)) for j, n in rows] == [(j, int(s)) for j, s in enumerate(result.cluster_sizes_)]


def test_gallery_order_is_exemplars_then_distance_then_input_order():
    labels = np.array([0, 0, 0, 0, -1, 0, -2])
    distances = np.array([0.5, 0.1, 0.3, 0.3, np.nan, 0.2, np.nan])
    assert gallery_order(labels, distances, [np.array([1, 5])], 0).tolist() == [1, 5, 2, 3, 0]
    assert gallery_order(labels, distances, [np.array([1, 5])], -1).tolist() == [4]


def test_skipped_inputs_k_curve_outliers_and_charts_are_shown(on_disk):
    paths, result = on_disk
    text = result.to_html()
    skipped = text.split('<h2 id="skipped">')[1].split("<h2")[0]
    for index in BROKEN:
        assert f'<td class="num">{index}</td><td>{paths[index].replace("/", "/<wbr>")}</td>' in skipped
    assert len(re.findall(r"<tr>", skipped)) == len(BROKEN) + 1
    assert '<h2 id="k-selection">' in text and 'alt="mean silhouette of each k tried"' in text
    assert '<tr class="best"><td class="num">3</td>' in text  # the chosen k highlighted in the curve's table
    assert 'alt="the clustered images projected to 2-D, coloured by cluster"' in text
    outliers = text.split('<h2 id="outliers">')[1].split("<h2")[0]
    assert titles(outliers) == [paths[i] for i in result.outliers_]
    assert 'id="contingency"' not in text  # no known classes
    scatter = DATA_URI.findall(text)[0]
    assert Image.open(io.BytesIO(base64.b64decode(scatter.split(",", 1)[1]))).size[0] > 500


def test_known_classes_give_the_cluster_by_class_table():
    images, truth = blobs((9, 7), seed=5, n_noise=3, spread=40)
    names = np.where(truth < 0, "odd", np.where(truth == 0, "a <b>", "c"))
    result = featclf.cluster(images, "pixels", method="hdbscan", labels=names, verbose=0)
    text = clustering_to_html(result, max_per_cluster=2)
    assert_self_contained(text)
    table, rows, classes = result.contingency()
    part = text.split('<h2 id="contingency">')[1].split("<h2")[0]
    assert "<th>a &lt;b&gt;</th>" in part and "<th>noise</th>" in part
    cells = [int(c or 0) for c in re.findall(r'<td style="[^"]*">(\d*)</td>', part)]
    assert cells == table.ravel().tolist()
    assert result.n_noise and f"Noise: {result.n_noise} images" in text
    noise = section(text, "noise")
    assert len(titles(noise)) == min(2, result.n_noise)
    assert "NMI" in text and 'id="k-selection"' not in text  # HDBSCAN: no k curve


def test_without_matplotlib_the_tables_and_thumbnails_remain(on_disk, monkeypatch):
    paths, result = on_disk
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    text = result.to_html()
    assert 'id="missing-matplotlib"' in text and "pip install &quot;featclf[report]&quot;" in text
    assert "projected to 2-D" not in text and "<h3>Cluster 0:" in text
    assert len(DATA_URI.findall(text)) == len(titles(text))  # no chart: only the thumbnails, one per figure


def test_a_loaded_clustering_of_arrays_says_what_it_cannot_show(tmp_path):
    images, _ = blobs((6, 6), seed=8)
    result = featclf.cluster(images, "pixels", n_clusters=2, verbose=0)
    result.save(tmp_path / "c.featclf")
    text = featclf.load_clustering(tmp_path / "c.featclf").to_html()
    assert_self_contained(text)
    assert "(could not load: " in text and "<h3>Cluster 0: 6 images</h3>" in text


def test_projection_is_a_pca_on_a_bounded_sample():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 6)).astype(np.float32)
    rows, points = projection_2d(X, max_points=20)
    assert rows.tolist() == sorted(rows.tolist()) and len(rows) == 20 and points.shape == (20, 2)
    rows, points = projection_2d(X[:, :1])
    assert points.shape == (50, 2) and not points[:, 1].any()


def test_bad_max_per_cluster_is_refused(on_disk):
    with pytest.raises(InvalidParameterError, match=r"max_per_cluster"):
        on_disk[1].to_html(max_per_cluster=0)


@pytest.mark.browser
def test_the_page_renders_in_a_headless_browser(on_disk, tmp_path, chromium_screenshot):
    page = tmp_path / "clusters.html"
    on_disk[1].to_html(page)
    pixels = chromium_screenshot(page)
    grey = pixels.mean(axis=2)
    assert grey.std() > 20 and (grey[:150] < 100).sum() > 500  # not blank; the title and figures at the top
    assert len(np.unique(pixels.reshape(-1, 3) // 8, axis=0)) > 30  # the scatter's cluster colours
    best_k = np.all(np.abs(pixels.astype(int) - [255, 243, 224]) <= 2, axis=2)
    assert best_k.sum() > 500  # the chosen k's row of the curve table is on screen


def test_a_clustering_that_is_all_noise_still_has_a_page():
    images = np.random.default_rng(0).integers(0, 256, size=(12, 12, 12)).astype(np.uint8)
    with pytest.warns(featclf.exceptions.FeatclfWarning, match=r"HDBSCAN found no cluster"):
        result = featclf.cluster(images, "pixels", method="hdbscan:min_cluster_size=6", labels=[0, 1] * 6, verbose=0)
    text = result.to_html(max_per_cluster=20)
    assert_self_contained(text)
    assert "<h3>Noise: 12 images</h3>" in text and "<h3>Cluster" not in text
    assert len(titles(section(text, "noise"))) == 12
    assert "<th>noise</th>" in text.split('<h2 id="contingency">')[1]
