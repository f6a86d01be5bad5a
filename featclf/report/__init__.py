"""Reports of an evaluation: JSON (stable schema), Markdown, and self-contained HTML.

Use them through :class:`featclf.evaluation.EvaluationResult`: ``result.to_json(path)``,
``result.to_markdown()``, ``result.to_html(path)``, or :func:`write_reports` for all three.
"""

from __future__ import annotations

import os

from ._html import result_to_html
from ._json import SCHEMA_VERSION, result_to_dict, write_json
from ._markdown import comparison_rows, result_to_markdown

__all__ = ["SCHEMA_VERSION", "comparison_rows", "result_to_dict", "result_to_html", "result_to_markdown",
           "write_json", "write_reports"]


def write_reports(result, out_dir, *, max_examples: int = 12) -> dict:
    """Write ``report.json``, ``report.md`` and ``report.html`` into ``out_dir`` (created if needed).

    Returns
    -------
    paths : dict
        ``{'json': path, 'markdown': path, 'html': path}``.
    """
    out_dir = os.fspath(out_dir)
    os.makedirs(out_dir, exist_ok=True)
    paths = {"json": os.path.join(out_dir, "report.json"), "markdown": os.path.join(out_dir, "report.md"),
             "html": os.path.join(out_dir, "report.html")}
    result.to_json(paths["json"])
    result.to_markdown(paths["markdown"])
    result.to_html(paths["html"], max_examples=max_examples)
    return paths

from .._public import set_public_module  # noqa: E402

set_public_module(globals(), __all__, "featclf.report")
