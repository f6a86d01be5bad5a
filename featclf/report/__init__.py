"""Reports of an evaluation: JSON (stable schema), Markdown, and self-contained HTML.

Use them through :class:`featclf.evaluation.EvaluationResult`: ``result.to_json(path)``,
``result.to_markdown()``, ``result.to_html(path)``, or :func:`write_reports` for all three.
"""

from __future__ import annotations

import os

from ._html import result_to_html
from ._json import SCHEMA_VERSION, result_to_dict, write_json
from ._markdown import comparison_rows, result_to_markdown, score_text

__all__ = ["SCHEMA_VERSION", "check_output_dir", "comparison_rows", "result_to_dict", "result_to_html",
           "result_to_markdown", "score_text", "write_json", "write_reports"]


def check_output_dir(out_dir, *, option="out_dir") -> str:
    """Make sure reports can be written in ``out_dir``: create it if needed and try writing a file there.

    Meant to be called before long work (the command line checks ``--out`` before
    extraction), so that the results are not lost for want of a folder.

    Parameters
    ----------
    out_dir : str or os.PathLike
    option : str
        How the folder was given, for the message (``'out_dir'``, ``'--out'``).

    Returns
    -------
    out_dir : str

    Raises
    ------
    InvalidParameterError
        ``out_dir`` is an existing file, cannot be created, or is not writable.
    """
    import tempfile

    from ..exceptions import InvalidParameterError

    out_dir = os.fspath(out_dir)
    if os.path.exists(out_dir) and not os.path.isdir(out_dir):
        raise InvalidParameterError(
            f"The {option} folder {out_dir!r} is an existing file, not a folder: give a folder for the reports, "
            "e.g. a new name."
        )
    try:
        os.makedirs(out_dir, exist_ok=True)
        with tempfile.TemporaryFile(dir=out_dir):
            pass
    except OSError as exc:
        raise InvalidParameterError(
            f"Cannot write the reports in the {option} folder {out_dir!r}: {exc.strerror or exc}. Give a folder you "
            "can write in."
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
    out_dir = check_output_dir(out_dir)
    paths = {"json": os.path.join(out_dir, "report.json"), "markdown": os.path.join(out_dir, "report.md"),
             "html": os.path.join(out_dir, "report.html")}
    result.to_json(paths["json"])
    result.to_markdown(paths["markdown"])
    result.to_html(paths["html"], max_examples=max_examples)
    return paths

from .._public import set_public_module  # noqa: E402

set_public_module(globals(), __all__, "featclf.report")
