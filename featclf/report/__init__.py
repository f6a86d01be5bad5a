"""Reports of an evaluation: JSON (stable schema), Markdown, and self-contained HTML; the HTML page of a clustering.

Use them through :class:`featclf.evaluation.EvaluationResult`: ``result.to_json(path)``,
``result.to_markdown()``, ``result.to_html(path)``, or :func:`write_reports` for all three;
and :meth:`featclf.clustering.ClusteringResult.to_html` (:func:`clustering_to_html`); features
files of ``featclf extract`` (:func:`write_features`, :func:`read_features`: ``.npz``, ``.parquet``).
"""

from __future__ import annotations

import os

from ._clusters import clustering_to_html
from ._features import FEATURE_FILE_SUFFIXES, check_features_path, read_features, write_features
from ._html import result_to_html
from ._json import SCHEMA_VERSION, json_ready, result_to_dict, write_json
from ._markdown import comparison_rows, result_to_markdown, score_text
from ._output import check_output_dir

__all__ = ["FEATURE_FILE_SUFFIXES", "SCHEMA_VERSION", "check_features_path", "check_output_dir", "clustering_to_html",
           "comparison_rows", "json_ready", "read_features", "result_to_dict", "result_to_html", "result_to_markdown",
           "score_text", "write_features", "write_json", "write_reports"]


def write_reports(result, out_dir, *, max_examples: int = 12) -> dict:
    """Write ``report.json``, ``report.md`` and ``report.html`` into ``out_dir`` (created if needed).

    Returns
    -------
    paths : dict
        ``{'json': path, 'markdown': path, 'html': path}``.

    Raises
    ------
    InvalidParameterError
        ``out_dir`` is a file or not writable (see :func:`check_output_dir`).
    """
    out_dir = check_output_dir(out_dir, create=True)
    paths = {"json": os.path.join(out_dir, "report.json"), "markdown": os.path.join(out_dir, "report.md"),
             "html": os.path.join(out_dir, "report.html")}
    result.to_json(paths["json"])
    result.to_markdown(paths["markdown"])
    result.to_html(paths["html"], max_examples=max_examples)
    return paths

from .._public import set_public_module  # noqa: E402

set_public_module(globals(), __all__, "featclf.report")
