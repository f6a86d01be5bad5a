"""The HTML report: one self-contained file.

Every image is embedded as a ``data:`` URI and the style sheet is inline, so the
file opens anywhere, offline, and can be mailed or archived as is; it references no
network resource. Charts need matplotlib (the ``report`` extra); without it the page
says what is missing and still shows the tables, the confusion matrices (as coloured
tables) and the misclassified thumbnails (drawn with Pillow, a core dependency).
"""

from __future__ import annotations

import base64
import html
import io
import json

import numpy as np

from ..exceptions import FeatclfError, MissingDependencyError
from ._json import ranking, result_to_dict
from ._markdown import _METRIC_NAMES, comparison_rows, describe_protocol

__all__ = ["misclassified_rows", "result_to_html", "thumbnail_uri"]

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2em auto;max-width:1150px;
padding:0 1em;color:#222;line-height:1.4}
h1{font-size:1.6em;margin-bottom:.3em}h2{margin-top:1.8em;border-bottom:1px solid #ddd;padding-bottom:.2em}
table{border-collapse:collapse;margin:.6em 0;font-size:.9em}
th,td{border:1px solid #ccc;padding:.3em .55em;text-align:left}th{background:#f3f3f3}
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


def _e(text) -> str:
    return html.escape(str(text), quote=True)


def _png_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def thumbnail_uri(image: np.ndarray, size: int = 96) -> str:
    """A PNG data URI of ``image`` (uint8 RGB) fitted in ``size`` x ``size`` pixels.

    Small images (digits are 8x8) are enlarged by an integer factor with nearest
    neighbour so pixels stay sharp; large ones are shrunk with Lanczos filtering.
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
    return _png_uri(buffer.getvalue())


def misclassified_rows(result, combination, max_examples: int) -> list[int]:
    """Rows (into ``result.y``) misclassified by ``combination``, spread over true classes.

    Deterministic: classes are visited round-robin in class order and, within a
    class, images in dataset order, until ``max_examples`` rows are chosen.
    """
    predicted = combination.predictions
    wrong = np.flatnonzero((predicted >= 0) & (predicted != result.y))
    by_class = [list(wrong[result.y[wrong] == k]) for k in range(len(result.classes))]
    chosen: list[int] = []
    depth = 0
    while len(chosen) < max_examples and any(depth < len(rows) for rows in by_class):
        for rows in by_class:
            if depth < len(rows) and len(chosen) < max_examples:
                chosen.append(int(rows[depth]))
        depth += 1
    return chosen


def _table(header, rows, *, best_row=None, numeric=()) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    out = [f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>']
    for i, row in enumerate(rows):
        cls = ' class="best"' if i == best_row else ""
        cells = "".join(f'<td class="num">{_e(x)}</td>' if j in numeric else f"<td>{_e(x)}</td>"
                        for j, x in enumerate(row))
        out.append(f"<tr{cls}>{cells}</tr>")
    out.append("</tbody></table></div>")
    return "".join(out)


def _confusion_table(confusion, classes) -> str:
    """A confusion matrix as a coloured HTML table (used when matplotlib is missing)."""
    totals = confusion.sum(axis=1)
    head = "<tr><th>true \\ predicted</th>" + "".join(f"<th>{_e(c)}</th>" for c in classes) + "</tr>"
    body = []
    for i, name in enumerate(classes):
        cells = []
        for j in range(len(classes)):
            share = confusion[i, j] / totals[i] if totals[i] else 0.0
            colour = f"rgba(33,113,181,{share:.2f})"
            text = "#fff" if share > 0.5 else "#000"
            cells.append(f'<td style="background:{colour};color:{text}">{int(confusion[i, j]) or ""}</td>')
        body.append(f"<tr><th>{_e(name)}</th>{''.join(cells)}</tr>")
    return f'<table class="cm">{head}{"".join(body)}</table>'


def _charts(result, order):
    """(accuracy png, timing png, {index: confusion png}) or raise MissingDependencyError."""
    from . import _plots

    _plots.require_matplotlib()
    metric = result.rank_by
    res = [result.results[i] for i in order]
    accuracy = _plots.accuracy_chart(
        [r.name for r in res], [r.mean(metric) for r in res], [r.std(metric) for r in res],
        [r.fold_scores[metric] for r in res], metric=metric, best=0,
    )
    extractors = []
    extract_s = []
    for r in result.results:
        if r.extractor not in extractors:
            extractors.append(r.extractor)
            extract_s.append(r.extract_s)
    timing = _plots.timing_chart(extractors, extract_s, [r.name for r in res], np.array([r.fit_s for r in res]),
                                 np.array([r.predict_s for r in res]))
    confusions = {i: _plots.confusion_chart(result.results[i].confusion_matrix, result.classes,
                                            title=result.results[i].name) for i in order}
    return accuracy, timing, confusions


def result_to_html(result, *, max_examples: int = 12) -> str:
    """Render ``result`` as one self-contained HTML page (see the module docstring)."""
    ds = result.dataset
    best = result.best
    metric = result.rank_by
    order = ranking(result)
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             f"<title>featclf evaluation: {_e(ds['name'])}</title><style>{_CSS}</style></head><body>",
             f"<h1>featclf evaluation: {_e(ds['name'])}</h1>", '<ul class="facts">']
    imbalance = f", imbalance ratio {ds['imbalance_ratio']:.2f}" if ds["imbalance_ratio"] else ""
    parts.append(f"<li><b>Data</b>: {ds['n_used']} images used of {ds['n_images']}, {ds['n_classes']} classes"
                 f"{_e(imbalance)}.</li>")
    parts.append(f"<li><b>Protocol</b>: {_e(describe_protocol(result))}</li>")
    parts.append(f"<li><b>Best</b>: {_e(best.name)}: {_METRIC_NAMES[metric]} {best.mean(metric):.4f} ± "
                 f"{best.std(metric):.4f}.</li>")
    if result.skipped:
        parts.append(f'<li><b>Skipped</b>: {len(result.skipped)} images could not be used '
                     f'(<a href="#skipped">listed below</a>).</li>')
    parts.append("</ul>")

    try:
        charts = _charts(result, order)
        missing = None
    except MissingDependencyError as exc:
        charts, missing = None, str(exc)
    if missing:
        parts.append(f'<div class="notice" id="missing-matplotlib"><b>Charts not drawn.</b> {_e(missing)}. '
                     "The tables, confusion matrices (as coloured tables) and thumbnails below are complete; "
                     "report.json and report.md hold every figure.</div>")

    parts.append('<h2 id="comparison">Comparison</h2>')
    header, rows = comparison_rows(result)
    parts.append(_table(header, rows, best_row=0, numeric={0, 3, 4, 5, 7, 8, 9, 10}))
    parts.append("<p>Times in seconds: extraction per extractor (computed once, shared by its classifiers); "
                 "fit and predict summed over folds. “vs best”: difference in mean score and the p-value of the "
                 "paired test against the best combination.</p>")

    if charts:
        accuracy_png, timing_png, confusion_pngs = charts
        parts.append(f'<h2 id="accuracy">{_e(_METRIC_NAMES[metric].capitalize())}</h2><div class="charts">')
        parts.append(f'<img alt="{_e(_METRIC_NAMES[metric])} of each combination with error bars" '
                     f'src="{_png_uri(accuracy_png)}"></div>')
        parts.append('<h2 id="timing">Time</h2><div class="charts">')
        parts.append(f'<img alt="extraction, fit and predict times" src="{_png_uri(timing_png)}"></div>')

    parts.append(f'<h2 id="per-class">Per class: {_e(best.name)}</h2>')
    per_class = [[name, ds["class_counts"].get(name, 0), f"{v['precision']:.3f}", f"{v['recall']:.3f}",
                  f"{v['f1']:.3f}", v["support"]] for name, v in best.per_class.items()]
    parts.append(_table(["class", "images", "precision", "recall", "F1", "support"], per_class,
                        numeric={1, 2, 3, 4, 5}))

    parts.append('<h2 id="confusion">Confusion matrices</h2>')
    parts.append("<p>Summed over folds; rows are true classes, columns predicted classes; colour is the share "
                 "of the true class.</p>")
    parts.append('<div class="matrices">')
    for i in order:
        r = result.results[i]
        if charts:
            parts.append(f'<figure><img alt="confusion matrix of {_e(r.name)}" src="{_png_uri(charts[2][i])}">'
                         f"</figure>")
        else:
            parts.append(f"<figure><figcaption>{_e(r.name)}</figcaption>"
                         f"{_confusion_table(r.confusion_matrix, result.classes)}</figure>")
    parts.append("</div>")

    parts.append('<h2 id="misclassified">Misclassified examples</h2>')
    parts.append(f"<p>Up to {max_examples} per combination, spread over the true classes "
                 "(out-of-fold predictions: each image was predicted by a model that never saw it).</p>")
    cache: dict[int, tuple] = {}  # row -> (data URI or "", error text)
    for position, i in enumerate(order):
        r = result.results[i]
        wrong_total = int(np.sum((r.predictions >= 0) & (r.predictions != result.y)))
        predicted_total = int(np.sum(r.predictions >= 0))
        chosen = misclassified_rows(result, r, max_examples)
        parts.append(f"<details{' open' if position == 0 else ''}><summary>{_e(r.name)}: {wrong_total} of "
                     f"{predicted_total} misclassified</summary>")
        if not chosen:
            parts.append("<p>No misclassified image.</p>")
        parts.append('<div class="thumbs">')
        for row in chosen:
            if row not in cache:
                try:
                    from ..io import load_image

                    cache[row] = (thumbnail_uri(load_image(result.source(row))), "")
                except (FeatclfError, OSError, ValueError) as exc:  # e.g. the file was removed since
                    cache[row] = ("", str(exc))
            uri, error = cache[row]
            label = result.describe_source(row)
            true_name = result.classes[result.y[row]]
            pred_name = result.classes[r.predictions[row]]
            image = (f'<div class="frame"><img alt="{_e(label)}" title="{_e(label)}" src="{uri}"></div>' if uri
                     else f'<div class="frame">(could not load: {_e(error)})</div>')
            parts.append(f'<figure>{image}<figcaption><span class="true">true: {_e(true_name)}</span><br>'
                         f'<span class="pred">predicted: {_e(pred_name)}</span></figcaption></figure>')
        parts.append("</div></details>")

    warned = [(r.name, w) for r in result.results for w in r.warnings]
    if warned:
        parts.append('<h2 id="warnings">Warnings while fitting</h2><ul>')
        parts += [f"<li>{_e(name)}: {_e(w[:300])}</li>" for name, w in warned]
        parts.append("</ul>")
    if result.skipped:
        parts.append('<h2 id="skipped">Skipped images</h2>')
        parts.append(_table(["source", "split", "reason", "extractors"],
                            [[s["source"], s["split"], s["reason"], ", ".join(s["extractors"])]
                             for s in result.skipped]))
    data = result_to_dict(result)
    parts.append('<h2 id="configuration">Configuration and versions</h2>')
    versions = ", ".join(f"{k} {v}" for k, v in data["versions"].items() if v is not None and k != "platform")
    parts.append(f"<p>{_e(versions)}.</p>")
    parts.append("<details><summary>Full configuration (as in report.json)</summary>"
                 f"<pre>{_e(json.dumps({'config': data['config'], 'versions': data['versions']}, indent=1))}</pre>"
                 "</details>")
    parts.append(f"<footer>Generated by {_e(data['generator'])} on {_e(result.created)}.</footer>")
    parts.append("</body></html>")
    return "\n".join(parts)
