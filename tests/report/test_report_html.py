"""The HTML report: self-contained, complete, escaped, degrades without matplotlib, renders in a browser."""

from __future__ import annotations

import base64
import io
import os
import re
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

import featclf
from featclf.report import write_reports
from featclf.report._html import misclassified_rows

DATA_URI = re.compile(r'<img [^>]*src="(data:image/png;base64,[A-Za-z0-9+/=]+)"')


def assert_self_contained(text):
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", text, re.I)
    assert not re.search(r"https?://", text.replace("featclf", ""))  # no network address at all
    assert "<script" not in text and "<link" not in text and "@import" not in text
    for src in re.findall(r'<img [^>]*src="([^"]*)"', text):
        assert src.startswith("data:image/png;base64,")


def decode(uri):
    return Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1])))


def test_html_is_self_contained_with_table_charts_heatmaps_and_thumbnails(digits_result, tmp_path):
    path = tmp_path / "report.html"
    text = digits_result.to_html(path, max_examples=5)
    assert path.read_text(encoding="utf-8") == text
    assert text.startswith("<!DOCTYPE html>") and text.rstrip().endswith("</html>")
    assert_self_contained(text)
    assert '<h2 id="comparison">Comparison</h2><div class="scroll"><table>' in text.replace("\n", "")
    assert "<th>balanced acc.</th>" in text and '<tr class="best">' in text
    images = DATA_URI.findall(text)
    n = len(digits_result.results)
    wrong = sum(min(5, int(np.sum(r.predictions != digits_result.y))) for r in digits_result.results)
    # accuracy chart + timing chart + one heatmap per combination + the misclassified thumbnails
    # (one data URI per shown example; the same image is encoded once and reused)
    assert len(images) == 2 + n + wrong
    for alt in ("of each combination with error bars", "extraction, fit and predict times"):
        assert alt in text
    assert text.count('alt="confusion matrix of') == n
    assert decode(images[0]).size[0] > 400  # the accuracy chart is a real picture
    thumbnail = decode(images[2 + n])
    assert thumbnail.size == (96, 96)  # 8x8 digits enlarged 12x, nearest neighbour
    assert text.count('<span class="true">true: ') == wrong
    assert "missing-matplotlib" not in text


def test_thumbnails_show_the_misclassified_images(digits_result):
    best = digits_result.best
    rows = misclassified_rows(digits_result, best, 6)
    assert rows == misclassified_rows(digits_result, best, 6)  # deterministic
    assert all(best.predictions[r] != digits_result.y[r] for r in rows)
    classes = [digits_result.y[r] for r in rows]
    assert len(set(classes)) == len(classes) or len(rows) < 6 or len(set(classes)) == min(
        6, len({digits_result.y[r] for r in np.flatnonzero(best.predictions != digits_result.y)}))
    text = digits_result.to_html(max_examples=6)
    first = DATA_URI.findall(text)[2 + len(digits_result.results)]
    expected = featclf.load_image(digits_result.source(rows[0]))
    shown = np.asarray(decode(first).convert("RGB"))
    np.testing.assert_array_equal(shown[::12, ::12], expected)  # the very pixels of that image


def test_html_escapes_names_and_lists_skipped_files(files_result):
    text = files_result.to_html()
    assert_self_contained(text)
    assert "red &lt;&amp;&gt; co" in text and "red <&> co" not in text
    assert '<h2 id="skipped">Skipped images</h2>' in text and "img_9_broken.png" in text
    assert "grün" in text


def test_without_matplotlib_json_markdown_and_html_still_work(digits_result, monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ImportError
    paths = write_reports(digits_result, tmp_path / "out")
    text = open(paths["html"], encoding="utf-8").read()
    assert 'id="missing-matplotlib"' in text
    assert "needs the optional dependency &#x27;matplotlib&#x27;" in text
    assert 'pip install &quot;featclf[report]&quot;' in text
    assert_self_contained(text)
    assert "<table" in text and text.count('<table class="cm">') == len(digits_result.results)
    assert 'alt="confusion matrix of' not in text  # no chart pictures, but the thumbnails remain
    assert len(DATA_URI.findall(text)) > 0
    assert open(paths["markdown"], encoding="utf-8").read().startswith("# featclf evaluation")
    assert os.path.getsize(paths["json"]) > 1000


def test_charts_change_no_matplotlib_global_state(tmp_path):
    repo = os.path.dirname(os.path.dirname(os.path.abspath(featclf.__file__)))
    code = f"""
import sys, numpy as np, matplotlib, featclf
# read rcParams raw: matplotlib.get_backend() itself would import pyplot to resolve the backend
raw = lambda: {{k: repr(dict.__getitem__(matplotlib.rcParams, k)) for k in dict.keys(matplotlib.rcParams)}}
before = raw()
data = featclf.ArrayDataset(np.random.default_rng(0).integers(0, 255, (12, 6, 6), dtype=np.uint8), [0, 1] * 6)
featclf.evaluate(data, ["pixels"], ["knn:n_neighbors=1"], cv=2, verbose=0).to_html({str(tmp_path / 'r.html')!r})
after = raw()
assert after == before, [k for k in before if before[k] != after[k]]
assert "matplotlib.pyplot" not in sys.modules
print("ok")
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": repo})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"
    assert 'alt="confusion matrix of' in (tmp_path / "r.html").read_text(encoding="utf-8")


@pytest.mark.browser
def test_html_renders_in_a_headless_browser(digits_result, tmp_path, chromium_screenshot):
    for name, result in (("digits", digits_result),):
        page = tmp_path / f"{name}.html"
        result.to_html(page)
        pixels = chromium_screenshot(page)
        grey = pixels.mean(axis=2)
        assert grey.std() > 20  # not a blank page
        colours = np.unique(pixels.reshape(-1, 3) // 8, axis=0)
        assert len(colours) > 50  # text, table shading, chart colours
        assert (grey[:150] < 100).sum() > 500  # the title and key figures are drawn at the top
        # the orange highlight of the best row in the comparison table (#fff3e0) is on screen
        best_row = np.all(np.abs(pixels.astype(int) - [255, 243, 224]) <= 2, axis=2)
        assert best_row.sum() > 2000
