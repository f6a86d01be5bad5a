"""The Markdown report and the plain-text table."""

from __future__ import annotations


def _table_lines(text):
    return [line for line in text.splitlines() if line.startswith("| ")]


def test_markdown_comparison_table(digits_result, tmp_path):
    text = digits_result.to_markdown(tmp_path / "report.md")
    assert (tmp_path / "report.md").read_text(encoding="utf-8") == text
    assert text.startswith("# featclf evaluation: digits\n")
    lines = text.splitlines()
    header = lines.index("| rank | extractor | classifier | accuracy | balanced acc. | macro-F1 | vs best (accuracy) "
                         "| features | extract s | fit s | predict s |")
    assert lines[header + 1] == "|" + "|".join(["---"] * 11) + "|"
    rows = [line.split(" | ") for line in lines[header + 2 : header + 6]]
    best = digits_result.best
    assert rows[0][:3] == ["| 1", best.extractor, best.classifier]
    assert rows[0][3] == f"{best.accuracy_mean:.4f} ± {best.accuracy_std:.4f}"
    assert rows[0][6] == "best"
    assert [r[0] for r in rows] == ["| 1", "| 2", "| 3", "| 4"]
    assert all("(p=" in r[6] or "(p<" in r[6] for r in rows[1:])
    assert "3-fold stratified cross-validation" in text and "Nadeau & Bengio" in text
    assert f"**Best**: {best.extractor} + {best.classifier}" in text


def test_markdown_escapes_pipes_and_lists_skipped_files(files_result):
    text = files_result.to_markdown()
    assert "| blue\\|ish |" in text  # a '|' in a class name does not break the table
    assert "img_9_broken.png" in text and "## Skipped images" in text
    per_class = [line for line in _table_lines(text) if line.startswith("| grün |")]
    assert per_class and per_class[0].split(" | ")[1] == "8"


def test_summary_table_is_aligned_plain_text(digits_result):
    lines = digits_result.summary_table().splitlines()
    assert lines[0].split()[:4] == ["rank", "extractor", "classifier", "accuracy"]
    assert set(lines[1]) <= {"-", " "}
    assert len(lines) == 2 + len(digits_result.results)
    column = lines[0].index("classifier")
    assert all(line[column - 2 : column] == "  " for line in lines[2:])  # columns line up
