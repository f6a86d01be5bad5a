"""HTML building blocks shared by every report page.

Each page featclf writes (the evaluation report today, others later) is one
self-contained file: the style sheet is inline and every image is a ``data:`` URI,
so the file opens anywhere, offline, and references no network resource. This
module holds the pieces such a page is made of, so that pages share one look and
one escaping rule instead of copies:

- :data:`CSS`, the one style sheet (tables, best row, notices, charts, thumbnails);
- :func:`escape` for any text put into HTML;
- :func:`png_data_uri`, :func:`thumbnail_uri` and :func:`img` for embedded images;
- :func:`table` and :func:`matrix_table` for tables;
- :func:`page`, which wraps a title and body sections into a full HTML document.

Functions return HTML fragments as ``str``; text arguments are escaped here, while
arguments that are already HTML (``sections``) are inserted as given.
"""

from __future__ import annotations

import base64
import html
import io
import re

import numpy as np

__all__ = ["CSS", "breakable", "escape", "img", "matrix_table", "page", "png_data_uri", "table", "thumbnail_uri"]

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2em auto;max-width:1150px;
padding:0 1em;color:#222;line-height:1.4}
h1{font-size:1.6em;margin-bottom:.3em}h2{margin-top:1.8em;border-bottom:1px solid #ddd;padding-bottom:.2em}
table{border-collapse:collapse;margin:.6em 0;font-size:.9em}
th,td{border:1px solid #ccc;padding:.3em .45em;text-align:left}th{background:#f3f3f3}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr.best td{background:#fff3e0;font-weight:600}
.notice{background:#fff8e1;border:1px solid #f0c36d;padding:.6em 1em;border-radius:4px;margin:1em 0}
.facts li{margin:.2em 0}
.charts img{max-width:100%;height:auto;display:block;margin:.5em 0}
.matrices{display:flex;flex-wrap:wrap;gap:1.2em}
.matrices figure{margin:0;flex:0 1 540px}.matrices img{width:100%;height:auto}
.thumbs{display:flex;flex-wrap:wrap;gap:.7em;margin:.6em 0}
.thumbs figure{margin:0;width:104px;text-align:center;font-size:.75em}
.thumbs .frame{width:96px;height:96px;display:flex;align-items:center;justify-content:center;
border:1px solid #ccc;background:#fff;margin:0 auto}
.thumbs img{max-width:96px;max-height:96px;image-rendering:pixelated}
.scroll{overflow-x:auto}
.thumbs .true{color:#1b7e3c}.thumbs .pred{color:#b3261e}
table.cm td{width:2.2em;text-align:center;font-size:.8em}
details{margin:.6em 0}summary{cursor:pointer;font-weight:600}
pre{background:#f6f6f6;padding:.8em;overflow:auto;font-size:.8em}
footer{margin-top:3em;color:#777;font-size:.8em}
"""
"""The style sheet of every report page (inlined by :func:`page`).

Classes: ``scroll`` (a table that scrolls sideways), ``tr.best``, ``td.num``, ``notice``,
``facts``, ``charts``, ``matrices``, ``thumbs`` (a grid of ``<figure>`` with a 96 px
``frame``; ``true``/``pred`` captions), ``table.cm`` (see :func:`matrix_table`).
"""


def escape(text) -> str:
    """``str(text)`` with ``& < > " '`` escaped, safe in element content and quoted attributes."""
    return html.escape(str(text), quote=True)


_BREAK_AFTER = re.compile(r"([,:/+])(?=\S)")


def breakable(text) -> str:
    """:func:`escape`, plus ``<wbr>`` after ``, : / +`` so long specs and paths can wrap there.

    ``hog:size=16x16,pixels_per_cell=4x4`` has no space; without break opportunities a
    table holding it is wider than the page and hides its last columns behind a scrollbar.
    """
    return _BREAK_AFTER.sub(r"\1<wbr>", escape(text))


def png_data_uri(png: bytes) -> str:
    """A ``data:image/png;base64,...`` URI of the PNG file content ``png``."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def thumbnail_uri(image: np.ndarray, size: int = 96) -> str:
    """A PNG data URI of ``image`` fitted in ``size`` x ``size`` pixels.

    Small images (digits are 8x8) are enlarged by an integer factor with nearest
    neighbour so pixels stay sharp; large ones are shrunk with Lanczos filtering.
    The aspect ratio is kept and neither side of the result exceeds ``size``.

    Parameters
    ----------
    image : ndarray of shape (H, W) or (H, W, 3), dtype uint8
        A grey or RGB image, as returned by :func:`featclf.load_image`.
    size : int, default 96
        Largest side of the thumbnail, in pixels.

    Returns
    -------
    uri : str
        ``data:image/png;base64,...``
    """
    from PIL import Image

    pil = Image.fromarray(np.ascontiguousarray(image))
    w, h = pil.size
    if max(w, h) < size:
        factor = max(1, size // max(w, h))
        pil = pil.resize((w * factor, h * factor), Image.Resampling.NEAREST)
    else:
        pil.thumbnail((size, size), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    pil.save(buffer, format="PNG", optimize=True)
    return png_data_uri(buffer.getvalue())


def img(src: str, alt, *, title=None) -> str:
    """An ``<img>`` element; ``src`` is a data URI (inserted as is), ``alt`` and ``title`` are escaped."""
    title_attr = "" if title is None else f' title="{escape(title)}"'
    return f'<img alt="{escape(alt)}"{title_attr} src="{src}">'


def table(header, rows, *, best_row=None, numeric=()) -> str:
    """A table of text cells (escaped), wrapped to scroll sideways when too wide.

    Text cells may wrap after ``, : / +`` (:func:`breakable`); numeric cells never wrap.

    Parameters
    ----------
    header : sequence
        Column titles.
    rows : sequence of sequences
        Cell values, converted with ``str``.
    best_row : int, optional
        Index of the row to highlight (``class="best"``).
    numeric : collection of int
        Indices of the columns that are right-aligned numbers (``class="num"``).
    """
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    out = [f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>']
    for i, row in enumerate(rows):
        cls = ' class="best"' if i == best_row else ""
        cells = "".join(f'<td class="num">{escape(x)}</td>' if j in numeric else f"<td>{breakable(x)}</td>"
                        for j, x in enumerate(row))
        out.append(f"<tr{cls}>{cells}</tr>")
    out.append("</tbody></table></div>")
    return "".join(out)


def matrix_table(counts, row_names, column_names, *, corner="") -> str:
    """A matrix of counts as a table whose cells are shaded by their share of the row total.

    Used for confusion matrices (true class by predicted class) when matplotlib is
    missing; zero cells are left blank.

    Parameters
    ----------
    counts : ndarray of shape (n_rows, n_columns), integer dtype
    row_names : sequence of length n_rows
    column_names : sequence of length n_columns
    corner : str
        Text of the top-left header cell.
    """
    counts = np.asarray(counts)
    totals = counts.sum(axis=1)
    head = f"<tr><th>{escape(corner)}</th>" + "".join(f"<th>{escape(c)}</th>" for c in column_names) + "</tr>"
    body = []
    for i, name in enumerate(row_names):
        cells = []
        for j in range(counts.shape[1]):
            share = counts[i, j] / totals[i] if totals[i] else 0.0
            colour = f"rgba(33,113,181,{share:.2f})"
            text = "#fff" if share > 0.5 else "#000"
            cells.append(f'<td style="background:{colour};color:{text}">{int(counts[i, j]) or ""}</td>')
        body.append(f"<tr><th>{escape(name)}</th>{''.join(cells)}</tr>")
    return f'<table class="cm">{head}{"".join(body)}</table>'


def page(title, sections, *, footer=None) -> str:
    """A full, self-contained HTML document: ``<head>`` with :data:`CSS` inline, ``<h1>`` title, sections.

    Parameters
    ----------
    title : str
        Page title, used for ``<title>`` and the ``<h1>`` heading (escaped).
    sections : iterable of str
        HTML fragments of the body, in order, each on its own line (inserted as is).
    footer : str, optional
        Text of a ``<footer>`` after the sections (escaped).

    Returns
    -------
    document : str
        Starts with ``<!DOCTYPE html>`` and ends with ``</html>``.
    """
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             f"<title>{escape(title)}</title><style>{CSS}</style></head><body>", f"<h1>{escape(title)}</h1>"]
    parts += sections
    if footer is not None:
        parts.append(f"<footer>{escape(footer)}</footer>")
    parts.append("</body></html>")
    return "\n".join(parts)
