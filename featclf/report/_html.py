"""The HTML evaluation report: one self-contained file, built from the blocks in ``_blocks``.

Every image is embedded as a ``data:`` URI and the style sheet is inline, so the
file opens anywhere, offline, and can be mailed or archived as is; it references no
network resource. Charts need matplotlib (the ``report`` extra); without it the page
says what is missing and still shows the tables, the confusion matrices (as coloured
tables) and the misclassified thumbnails (drawn with Pillow, a core dependency).
"""

from __future__ import annotations

import json

import numpy as np

from ..exceptions import FeatclfError, MissingDependencyError
from ._blocks import escape, img, matrix_table, page, png_data_uri, table, thumbnail_uri
from ._json import ranking, result_to_dict
from ._markdown import (
    _METRIC_NAMES,
    classifier_settings,
    close_to_best,
    comparison_rows,
    describe_protocol,
    extractor_settings,
    left_out_text,
    score_text,
    size_rules,
    timing_note,
)

__all__ = ["misclassified_rows", "result_to_html"]


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


def _charts(result, order):
    """(accuracy png, timing png, {index: confusion png}) or raise MissingDependencyError."""
    from . import _plots

    _plots.require_matplotlib()
    metric = result.rank_by
    res = [result.results[i] for i in order]
    accuracy = _plots.accuracy_chart(
        [r.name for r in res], [r.mean(metric) for r in res], [r.std(metric) for r in res],
        [r.fold_scores[metric] for r in res], metric=metric, best=0, folds=result.mode == "cv",
    )
    extractors = []
    extract_s = []
    for r in result.results:
        if r.extractor not in extractors:
            extractors.append(r.extractor)
            extract_s.append(r.extract_s)
    timing = _plots.timing_chart(extractors, extract_s, [r.name for r in res], np.array([r.fit_s for r in res]),
                                 np.array([r.predict_s for r in res]), folds=result.mode == "cv")
    confusions = {i: _plots.confusion_chart(result.results[i].confusion_matrix, result.classes,
                                            title=result.results[i].name) for i in order}
    missing = _plots.missing_glyphs([*result.classes, *(r.name for r in res)])
    return accuracy, timing, confusions, missing


def result_to_html(result, *, max_examples: int = 12) -> str:
    """Render ``result`` as one self-contained HTML page (see the module docstring)."""
    ds = result.dataset
    best = result.best
    metric = result.rank_by
    order = ranking(result)
    parts = ['<ul class="facts">']
    imbalance = f", imbalance ratio {ds['imbalance_ratio']:.2f}" if ds["imbalance_ratio"] else ""
    parts.append(f"<li><b>Data</b>: {ds['n_used']} images used of {ds['n_images']}, {ds['n_classes']} classes"
                 f"{escape(imbalance)}.</li>")
    if left_out_text(result):
        parts.append(f"<li><b>Left out by the folder scan</b> (not images featclf reads, hidden, links, ...): "
                     f"{escape(left_out_text(result))}</li>")
    parts.append(f"<li><b>Protocol</b>: {escape(describe_protocol(result))}</li>")
    parts.append(f"<li><b>Best</b>: {escape(best.name)}: {_METRIC_NAMES[metric]} {score_text(best, metric)}.</li>")
    close = close_to_best(result)
    if close:
        parts.append(f"<li><b>Not significantly worse than the best</b> (p &gt;= 0.05): "
                     f"{escape(', '.join(close))}.</li>")
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
        parts.append(f'<div class="notice" id="missing-matplotlib"><b>Charts not drawn.</b> {escape(missing)}. '
                     "The tables, confusion matrices (as coloured tables) and thumbnails below are complete; "
                     "report.json and report.md hold every figure.</div>")

    parts.append('<h2 id="comparison">Comparison</h2>')
    header, rows = comparison_rows(result)
    parts.append(table(header, rows, best_row=0, numeric={0, 3, 4, 5, 7, 8, 9, 10}))
    parts.append(f"<p>{escape(timing_note(result))} “vs best”: difference in {'mean ' if result.mode == 'cv' else ''}"
                 "score and the p-value of the paired test against the best combination.</p>")

    if charts and charts[3]:
        shown = " ".join(charts[3][:20]) + (" ..." if len(charts[3]) > 20 else "")
        parts.append(f'<div class="notice" id="missing-glyphs">The charts\' font cannot draw some characters of the '
                     f"class or combination names ({escape(shown)}); the charts show them as boxes. The tables "
                     "give every name in full.</div>")
    if charts:
        accuracy_png, timing_png, confusion_pngs, _ = charts
        parts.append(f'<h2 id="accuracy">{escape(_METRIC_NAMES[metric].capitalize())}</h2><div class="charts">')
        alt = f"{_METRIC_NAMES[metric]} of each combination" + (" with error bars" if result.mode == "cv" else "")
        parts.append(img(png_data_uri(accuracy_png), alt) + "</div>")
        parts.append('<h2 id="timing">Time</h2><div class="charts">')
        parts.append(img(png_data_uri(timing_png), "extraction, fit and predict times") + "</div>")

    parts.append(f'<h2 id="per-class">Per class: {escape(best.name)}</h2>')
    per_class = [[name, ds["class_counts"].get(name, 0), f"{v['precision']:.3f}", f"{v['recall']:.3f}",
                  f"{v['f1']:.3f}", v["support"]] for name, v in best.per_class.items()]
    parts.append(table(["class", "images", "precision", "recall", "F1", "support"], per_class,
                       numeric={1, 2, 3, 4, 5}))

    parts.append('<h2 id="confusion">Confusion matrices</h2>')
    parts.append(f"<p>{'Summed over folds' if result.mode == 'cv' else 'On the test set'}; rows are true classes, "
                 "columns predicted classes; colour is the share of the true class.</p>")
    parts.append('<div class="matrices">')
    for i in order:
        r = result.results[i]
        if charts:
            parts.append(f"<figure>{img(png_data_uri(charts[2][i]), f'confusion matrix of {r.name}')}</figure>")
        else:
            matrix = matrix_table(r.confusion_matrix, result.classes, result.classes, corner="true \\ predicted")
            parts.append(f"<figure><figcaption>{escape(r.name)}</figcaption>{matrix}</figure>")
    parts.append("</div>")

    parts.append('<h2 id="misclassified">Misclassified examples</h2>')
    seen = ("out-of-fold predictions: each image was predicted by a model that never saw it" if result.mode == "cv"
            else "test images, predicted by a model trained on the training images only")
    parts.append(f"<p>Up to {max_examples} per combination, spread over the true classes ({seen}).</p>")
    cache: dict[int, tuple] = {}  # row -> (data URI or "", error text)
    for position, i in enumerate(order):
        r = result.results[i]
        wrong_total = int(np.sum((r.predictions >= 0) & (r.predictions != result.y)))
        predicted_total = int(np.sum(r.predictions >= 0))
        chosen = misclassified_rows(result, r, max_examples)
        parts.append(f"<details{' open' if position == 0 else ''}><summary>{escape(r.name)}: {wrong_total} of "
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
            image = (f'<div class="frame">{img(uri, label, title=label)}</div>' if uri
                     else f'<div class="frame">(could not load: {escape(error)})</div>')
            parts.append(f'<figure>{image}<figcaption><span class="true">true: {escape(true_name)}</span><br>'
                         f'<span class="pred">predicted: {escape(pred_name)}</span></figcaption></figure>')
        parts.append("</div></details>")

    warned = [(r.name, w) for r in result.results for w in r.warnings]
    if warned:
        parts.append('<h2 id="warnings">Warnings while fitting</h2><ul>')
        parts += [f"<li>{escape(name)}: {escape(w[:300])}</li>" for name, w in warned]
        parts.append("</ul>")
    if result.skipped:
        parts.append('<h2 id="skipped">Skipped images</h2>')
        parts.append(table(["source", "split", "reason", "extractors"],
                           [[s["source"], s["split"], s["reason"], ", ".join(s["extractors"])]
                            for s in result.skipped]))
    data = result_to_dict(result)
    parts.append('<h2 id="configuration">Configuration and versions</h2>')
    versions = ", ".join(f"{k} {v}" for k, v in data["versions"].items() if v is not None and k != "platform")
    parts.append(f"<p>{escape(versions)}.</p>")
    parts.append("<p>Extractors (the spec rebuilds each: <code>featclf.models.from_spec(spec)</code>):</p>")
    parts.append(table(["extractor", "spec", "settings (defaults resolved)"],
                       [[label, spec, settings] for label, spec, settings in extractor_settings(data["config"])]))
    parts.append(table(["classifier", "spec", "steps; settings of the final estimator (defaults included)"],
                       [[label, spec, settings] for label, spec, settings in classifier_settings(data["config"])]))
    sizes = size_rules(data["config"])
    if sizes:
        parts.append("<p>Image sizes:</p><ul>" + "".join(f"<li>{escape(label)}: {escape(rule)}</li>"
                                                          for label, rule in sizes) + "</ul>")
    parts.append("<details><summary>Full configuration (as in report.json)</summary>"
                 f"<pre>{escape(json.dumps({'config': data['config'], 'versions': data['versions']}, indent=1))}</pre>"
                 "</details>")
    return page(f"featclf evaluation: {ds['name']}", parts,
                footer=f"Generated by {data['generator']} on {result.created}.")
