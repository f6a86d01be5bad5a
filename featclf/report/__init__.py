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

__all__ = ["FEATURE_FILE_SUFFIXES", "SCHEMA_VERSION", "check_features_path", "check_output_dir", "clustering_to_html",
           "comparison_rows", "json_ready", "read_features", "result_to_dict", "result_to_html", "result_to_markdown",
           "score_text", "write_features", "write_json", "write_reports"]


def check_output_dir(out_dir, *, option="out_dir", create=False) -> str:
    """Make sure reports can be written in ``out_dir``, before long work, without leaving anything behind.

    The folder (or, when it does not exist yet, its nearest existing parent, where it
    will be created) must be a folder this process can write in: a temporary file is
    written there and removed. Nothing is created unless ``create=True``. The command
    line checks ``--out`` this way before extraction, so results are not lost for want
    of a folder.

    Parameters
    ----------
    out_dir : str or os.PathLike
    option : str
        How the folder was given, for the message (``'out_dir'``, ``'--out'``).
    create : bool, default=False
        Create the folder (and its parents).

    Returns
    -------
    out_dir : str

    Raises
    ------
    InvalidParameterError
        ``out_dir`` (or a parent) is an existing file, or the folder cannot be written or created.
    """
    import tempfile

    from ..exceptions import InvalidParameterError

    out_dir = os.fspath(out_dir)
    existing = os.path.abspath(out_dir)
    while not os.path.exists(existing) and os.path.dirname(existing) != existing:
        existing = os.path.dirname(existing)
    if not os.path.isdir(existing):
        where = "is" if existing == os.path.abspath(out_dir) else f"is inside {existing!r}, which is"
        raise InvalidParameterError(
            f"The {option} folder {out_dir!r} {where} an existing file, not a folder: give a folder for the reports, "
            "e.g. a new name."
        )
    try:
        with tempfile.TemporaryFile(dir=existing):
            pass
        if create:
            os.makedirs(out_dir, exist_ok=True)
    except OSError as exc:
        raise InvalidParameterError(
            f"Cannot write the reports in the {option} folder {out_dir!r}: {exc.strerror or exc} ({existing}). Give a "
            "folder you can write in."
        ) from None
    return out_dir


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
