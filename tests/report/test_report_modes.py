"""Reports say what the Markdown says (close-to-best line), have no fold wording for a single split, note glyphs
the chart font lacks instead of leaking matplotlib's warnings, and show the demo's table whole at 1400 px."""

from __future__ import annotations

import re
import shutil
import subprocess
import warnings

import numpy as np
import pytest

import featclf
from featclf.report import comparison_rows, score_text
from featclf.report._blocks import breakable, table


def _close_line(markdown):
    match = re.search(r"\*\*Not significantly worse than the best\*\* \(p >= 0.05\): (.*)\.\n", markdown)
    return match and match.group(1)


def test_html_has_the_markdowns_close_to_the_best_line(digits_result):
    names = _close_line(digits_result.to_markdown())
    assert names  # the fixture has combinations within noise of the best
    html = digits_result.to_html()
    assert f"<li><b>Not significantly worse than the best</b> (p &gt;= 0.05): {names}.</li>" in html


def test_no_close_line_when_every_other_is_significantly_worse(digits_result):
    import copy

    result = copy.copy(digits_result)
    result.comparisons = [{**c, "p_value": 0.001} for c in digits_result.comparisons]
    assert _close_line(result.to_markdown()) is None
    assert "Not significantly worse" not in result.to_html()


@pytest.fixture(scope="module")
def split_result():
    digits = featclf.load_digits()
    train, test = digits.subset(np.arange(0, 900)), digits.subset(np.arange(900, 1797))
    return featclf.evaluate(train, ["pixels"], ["knn", "svm"], test=test, verbose=0)


def test_a_single_split_has_no_plus_minus_and_no_fold_wording(split_result):
    best = split_result.best
    assert score_text(best, "accuracy") == f"{best.mean('accuracy'):.4f}"
    header, rows = comparison_rows(split_result)
    assert all("±" not in cell for row in rows for cell in row)
    assert "±" not in split_result.summary_table() and "±" not in repr(split_result) and "±" not in repr(best)
    assert "one train/test split" in repr(best)
    markdown = split_result.to_markdown()
    html = split_result.to_html()
    for text in (markdown, html):
        assert "± 0.0000" not in text
        assert "summed over folds" not in text and "out-of-fold" not in text
    assert "fit and predict of the one train/test split" in markdown
    assert "one train/test split" in markdown and "seed" not in markdown  # no seed was used
    assert "On the test set; rows are true classes" in html
    assert split_result.config["random_state"] is None


def test_cross_validation_keeps_its_fold_wording(digits_result):
    assert " ± " in score_text(digits_result.best, "accuracy")
    assert "summed over folds" in digits_result.to_markdown()
    assert "out-of-fold predictions" in digits_result.to_html()


def test_names_the_chart_font_lacks_are_noted_once_and_matplotlib_warns_nothing():
    pytest.importorskip("matplotlib")
    rng = np.random.default_rng(0)
    data = featclf.ArrayDataset(rng.integers(0, 255, (30, 6, 6), dtype=np.uint8), ["猫", "dog", "🐶 puppy"] * 10)
    result = featclf.evaluate(data, ["pixels"], ["knn", "svm"], cv=2, verbose=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning, matplotlib's "Glyph ... missing" included, fails the test
        html = result.to_html()
    notice = re.search(r'<div class="notice" id="missing-glyphs">(.*?)</div>', html).group(1)
    assert "(猫 🐶)" in notice and "as boxes" in notice
    assert "<td>猫</td>" in html  # the tables keep the full names


def test_plain_names_need_no_notice(digits_result):
    pytest.importorskip("matplotlib")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert 'id="missing-glyphs"' not in digits_result.to_html()


def test_long_specs_can_wrap_in_tables():
    assert breakable("hog:size=16x16,pixels_per_cell=4x4") == "hog:<wbr>size=16x16,<wbr>pixels_per_cell=4x4"
    assert breakable("a <b>, c") == "a &lt;b&gt;, c"  # escaped; no break before a space
    assert "<td>a/<wbr>b.png</td>" in table(["path"], [["a/b.png"]])
    assert '<td class="num">0.9000 ± 0.0100</td>' in table(["x"], [["0.9000 ± 0.0100"]], numeric={0})


@pytest.mark.browser
def test_demo_comparison_table_shows_every_column_at_1400px(tmp_path):
    browser = next((shutil.which(name) for name in ("chromium", "chromium-browser", "google-chrome")
                    if shutil.which(name)), None)
    if browser is None:
        pytest.skip("needs Chromium for the browser test: apt-get install chromium (.ci/run installs it)")
    from featclf.cli._demo import DEMO_CLASSIFIERS, DEMO_EXTRACTORS

    result = featclf.evaluate(featclf.load_digits(), list(DEMO_EXTRACTORS), list(DEMO_CLASSIFIERS), cv=5, verbose=0)
    page = result.to_html().replace(
        "</body>", '<script>document.body.insertAdjacentHTML("beforeend", "<p id=measure>" + '
                   '[...document.querySelectorAll(".scroll")].map(d => d.scrollWidth + "/" + d.clientWidth)'
                   '.join(" ") + "</p>")</script></body>')
    path = tmp_path / "demo.html"
    path.write_text(page, encoding="utf-8")
    widths = {}
    for width in (1400, 1280):
        proc = subprocess.run(
            [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-background-networking",
             "--disable-component-update", "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}",
             f"--window-size={width},1000", "--dump-dom", path.as_uri()],
            capture_output=True, text=True, timeout=120,
        )
        measured = re.search(r'<p id="measure">([^<]*)</p>', proc.stdout)
        assert measured, proc.stderr[-2000:]
        widths[width] = [tuple(map(int, pair.split("/"))) for pair in measured.group(1).split()]
    for width, tables in widths.items():
        scroll, client = tables[0]  # the comparison table
        assert scroll <= client, (width, tables)  # no horizontal scrollbar hiding the timing columns
