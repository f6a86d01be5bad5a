"""The HTML page of a clustering: one self-contained file, built from the blocks in ``_blocks``.

Like the evaluation report, every image is a ``data:`` URI and the style sheet is inline,
so the file opens anywhere, offline, and references no network resource. The charts (the
2-D projection and the k-selection curve) need matplotlib (the ``report`` extra); without
it the page says what is missing and still shows every table and thumbnail.

The page is built from a clustering result (:class:`featclf.clustering.ClusteringResult`,
read through its public attributes only, so this layer imports nothing from the
clustering package above it).
"""

from __future__ import annotations

import json

import numpy as np

from ..exceptions import FeatclfError, MissingDependencyError
from ._blocks import escape, img, matrix_table, page, png_data_uri, table, thumbnail_uri
from ._markdown import extractor_settings

__all__ = ["PROJECTION_MAX_POINTS", "clustering_to_html", "gallery_order", "projection_2d"]

#: At most this many images are drawn in the 2-D projection (a fixed random sample above it).
PROJECTION_MAX_POINTS = 20_000
NOISE, SKIPPED = -1, -2  # the labels of featclf.clustering (a fixed part of its documented layout)


def gallery_order(labels, distances, exemplars, cluster) -> np.ndarray:
    """Input positions of ``cluster``'s images as the gallery shows them.

    Its exemplars first (nearest the centre first), then the others by increasing
    distance to the centre (ties: input order). For noise (``cluster=-1``, no centre):
    input order.
    """
    members = np.flatnonzero(labels == cluster)
    if cluster == NOISE:
        return members
    first = np.asarray(exemplars[cluster], dtype=np.intp)
    rest = members[~np.isin(members, first)]
    rest = rest[np.lexsort((rest, distances[rest]))]
    return np.concatenate([first, rest])


def projection_2d(embedding, max_points: int = PROJECTION_MAX_POINTS, random_state: int = 0):
    """``(rows, points)``: a PCA of ``embedding`` to 2-D, on at most ``max_points`` rows.

    ``rows`` are the rows of ``embedding`` drawn (all, or a sorted random sample of
    ``max_points`` for ``random_state``); ``points`` has shape ``(len(rows), 2)``. A space
    of one dimension gets a zero second coordinate.
    """
    embedding = np.asarray(embedding, dtype=np.float64)
    rows = np.arange(len(embedding))
    if len(rows) > max_points:
        rows = np.sort(np.random.default_rng(random_state).choice(len(rows), max_points, replace=False))
    X = embedding[rows]
    n_components = min(2, X.shape[1], len(X))
    if n_components == 0:
        return rows, np.zeros((len(rows), 2))
    from sklearn.decomposition import PCA

    points = PCA(n_components=n_components, random_state=random_state).fit_transform(X)
    if points.shape[1] < 2:
        points = np.column_stack([points, np.zeros((len(points), 2 - points.shape[1]))])
    return rows, points


def _number(value, digits=3) -> str:
    return "n/a" if value is None or (isinstance(value, float) and not np.isfinite(value)) else f"{value:.{digits}f}"


class _Thumbnails:
    """Thumbnails of inputs, each made once (an image may be an exemplar and an outlier)."""

    def __init__(self, result):
        from ..engine import as_sources

        self.sources = as_sources(result.data) if result.data is not None else result.sources_
        self.names = result.sources_
        self.max_pixels = result.config_.get("max_pixels")
        self.classes = result.classes_
        self.truth = result.true_labels_
        self.cache: dict[int, tuple] = {}

    def figure(self, index: int, caption: str) -> str:
        if index not in self.cache:
            try:
                from ..io import load_image

                self.cache[index] = (thumbnail_uri(load_image(self.sources[index], index=index,
                                                              max_pixels=self.max_pixels)), "")
            except (FeatclfError, OSError, ValueError) as exc:  # e.g. the file was removed since
                self.cache[index] = ("", " ".join(str(exc).split()))
        uri, error = self.cache[index]
        name = self.names[index]
        frame = img(uri, name, title=name) if uri else f"(could not load: {escape(error)})"
        known = (f'<br><span class="true">{escape(self.classes[self.truth[index]])}</span>'
                 if self.truth is not None else "")
        return f'<figure><div class="frame">{frame}</div><figcaption>{escape(caption)}{known}</figcaption></figure>'

    def grid(self, indices, captions) -> str:
        return '<div class="thumbs">' + "".join(self.figure(int(i), c) for i, c in zip(indices, captions)) + "</div>"


def _charts(result):
    """``(scatter png, k-curve png or None, note)``; raises MissingDependencyError without matplotlib."""
    from . import _plots

    _plots.require_matplotlib()
    scatter = None
    note = ""
    if len(result.embedding_):
        rows, points = projection_2d(result.embedding_)
        labels = result.labels_[result.indices_[rows]]
        scatter = _plots.scatter_chart(points, labels, noise_label=NOISE)
        if len(rows) < len(result.embedding_):
            note = f"A random sample of {len(rows):,} of the {len(result.embedding_):,} images is drawn. "
    curve = None
    if result.k_curve_:
        curve = _plots.k_curve_chart([c["k"] for c in result.k_curve_],
                                     [np.nan if c["silhouette"] is None else c["silhouette"] for c in result.k_curve_],
                                     result.config_["n_clusters_chosen"])
    return scatter, curve, note


def clustering_to_html(result, *, max_per_cluster: int = 24) -> str:
    """Render a clustering as one self-contained HTML page.

    Sections: key figures; a table of the clusters (size, share, mean distance to the
    centre, most common known class); a 2-D projection of the clustering space (PCA of
    ``embedding_``, at most :data:`PROJECTION_MAX_POINTS` images drawn) coloured by cluster;
    the k-selection curve (``n_clusters='auto'``); the cluster x class table when classes
    are known; a gallery per cluster, exemplars first (shown), then the others by distance
    to the centre (in a collapsed ``<details>``), at most ``max_per_cluster`` thumbnails per
    cluster, the page saying how many are not shown; HDBSCAN's noise; the outliers; every
    skipped input with its reason; configuration and versions.

    Parameters
    ----------
    result : ClusteringResult
        Read through its public attributes (``labels_``, ``distances_``, ``exemplars_``,
        ``embedding_``, ...) and :meth:`~featclf.clustering.ClusteringResult.contingency`.
        Thumbnails are decoded from ``result.data`` (or, for a loaded clustering, from the
        paths in ``sources_``: in-memory images then show "could not load").
    max_per_cluster : int, default=24
        Thumbnails per cluster (exemplars included; also caps noise and outliers).

    Returns
    -------
    document : str
    """
    labels, distances = result.labels_, result.distances_
    n = len(labels)
    config, metrics = result.config_, result.metrics_
    thumbs = _Thumbnails(result)
    labelled = result.true_labels_ is not None
    parts = ['<ul class="facts">']
    n_clustered = int(np.sum(labels >= 0))
    listed = ' (<a href="#skipped">listed below</a>)' if result.n_skipped else ""
    parts.append(f"<li><b>Data</b>: {escape(result.dataset_.get('name', 'images'))}, {n} inputs: {n_clustered} "
                 f"clustered, {result.n_noise} noise, {result.n_skipped} skipped{listed}.</li>")
    left_out = result.dataset_.get("left_out") or {}
    if left_out.get("n"):
        from ..datasets import describe_left_out

        parts.append(f"<li><b>Left out by the folder scan</b>: {escape(describe_left_out(left_out))}.</li>")
    k_text = (f"k = {result.n_clusters_}, chosen by silhouette over k = {config['k_range'][0]} to "
              f"{config['k_range'][-1]}" if result.k_curve_ else f"{result.n_clusters_} clusters")
    parts.append(f"<li><b>Clustering</b>: {escape(k_text)}; {escape(config['method'])} "
                 f"({escape(config.get('algorithm') or '')}) on {escape(config['extractor']['label'])} features, "
                 f"clustering space: {escape(config['space'])}.</li>")
    scores = [f"silhouette {_number(metrics.get('silhouette'))}",
              f"Davies-Bouldin {_number(metrics.get('davies_bouldin'))}",
              f"Calinski-Harabasz {_number(metrics.get('calinski_harabasz'), 1)}"]
    parts.append(f"<li><b>Internal metrics</b>: {escape(', '.join(scores))}.</li>")
    if metrics.get("nmi") is not None:
        parts.append(f"<li><b>Agreement with the known classes</b>: NMI {_number(metrics['nmi'])}, ARI "
                     f"{_number(metrics['ari'])}, matched accuracy {_number(metrics['matched_accuracy'])}.</li>")
    parts.append(f"<li><b>Time</b>: {_number(result.timings_.get('total_s'), 1)} s.</li></ul>")

    try:
        scatter, curve, sample_note = _charts(result)
        missing = None
    except MissingDependencyError as exc:
        scatter = curve = None
        sample_note, missing = "", str(exc)
    if missing:
        parts.append(f'<div class="notice" id="missing-matplotlib"><b>Charts not drawn.</b> {escape(missing)}. '
                     "The tables and thumbnails below are complete.</div>")

    parts.append('<h2 id="overview">Clusters</h2>')
    header = ["cluster", "images", "share", "mean distance to centre"] + (["most common class"] if labelled else [])
    rows = []
    table_counts = result.contingency()[0] if labelled else None
    for j in range(result.n_clusters_):
        mine = labels == j
        row = [f"cluster {j}", int(result.cluster_sizes_[j]), f"{result.cluster_sizes_[j] / max(n_clustered, 1):.1%}",
               _number(float(np.mean(distances[mine])))]
        if labelled:
            top = int(np.argmax(table_counts[j]))
            row.append(f"{result.classes_[top]} ({table_counts[j, top] / max(table_counts[j].sum(), 1):.0%})")
        rows.append(row)
    if result.n_noise:
        rows.append(["noise", result.n_noise, "", ""] + ([""] if labelled else []))
    parts.append(table(header, rows, numeric={1, 2, 3}))

    if scatter is not None:
        parts.append('<h2 id="projection">2-D projection</h2><div class="charts">')
        parts.append(img(png_data_uri(scatter), "the clustered images projected to 2-D, coloured by cluster"))
        parts.append(f"</div><p>{escape(sample_note)}The first two principal components of the clustering space "
                     f"({escape(config['space'])}); clusters that overlap here may still be apart in the full "
                     "space.</p>")
    if result.k_curve_:
        parts.append('<h2 id="k-selection">Choice of k</h2>')
        if curve is not None:
            chart = img(png_data_uri(curve), "mean silhouette of each k tried")
            parts.append(f'<div class="charts">{chart}</div>')
        chosen = config["n_clusters_chosen"]
        curve_rows = [[c["k"], _number(c["silhouette"]), "" if c.get("inertia") is None else f"{c['inertia']:.4g}",
                       c.get("n_clusters_found", "")] for c in result.k_curve_]
        best = next((i for i, c in enumerate(result.k_curve_) if c["k"] == chosen), None)
        parts.append(table(["k", "mean silhouette", "inertia", "clusters found"], curve_rows, best_row=best,
                           numeric={0, 1, 2, 3}))
    if labelled:
        counts, row_names, classes = result.contingency()
        parts.append('<h2 id="contingency">Clusters and known classes</h2>')
        parts.append("<p>Images per cluster (rows) and known class (columns); colour is the share of the "
                     "cluster.</p>")
        names = [f"cluster {r}" if r != "noise" else r for r in row_names]
        parts.append('<div class="scroll">' + matrix_table(counts, names, classes, corner="cluster \\ class")
                     + "</div>")

    parts.append('<h2 id="galleries">Images by cluster</h2>')
    parts.append(f"<p>Exemplars (the images nearest the centre) first, then the others by distance to the centre; at "
                 f"most {max_per_cluster} per cluster. Captions: input position and distance to the centre"
                 f"{', and the known class' if labelled else ''}.</p>")
    for j in range(result.n_clusters_):
        order = gallery_order(labels, distances, result.exemplars_, j)
        shown = order[:max_per_cluster]
        n_first = min(len(result.exemplars_[j]), len(shown))
        captions = [f"#{i} · {distances[i]:.3g}" for i in shown]
        parts.append(f'<section id="cluster-{j}"><h3>Cluster {j}: {len(order)} images</h3>')
        parts.append(thumbs.grid(shown[:n_first], captions[:n_first]))
        rest = len(order) - n_first
        if rest:
            hidden = len(order) - len(shown)
            note = f" ({hidden} not shown)" if hidden else ""
            parts.append(f"<details><summary>{rest} more images{escape(note)}</summary>"
                         f"{thumbs.grid(shown[n_first:], captions[n_first:])}</details>")
        parts.append("</section>")
    if result.n_noise:
        order = gallery_order(labels, distances, result.exemplars_, NOISE)
        shown = order[:max_per_cluster]
        hidden = len(order) - len(shown)
        parts.append(f'<section id="noise"><h3>Noise: {len(order)} images</h3>')
        note = f" ({hidden} not shown)" if hidden else ""
        parts.append(f"<details><summary>Images in no cluster, in input order{note}</summary>"
                     f"{thumbs.grid(shown, [f'#{i}' for i in shown])}</details></section>")
    if len(result.outliers_):
        parts.append('<h2 id="outliers">Outliers</h2>')
        parts.append("<p>The images farthest from every centre, farthest first (caption: input position, cluster, "
                     "distance to the nearest centre).</p>")
        shown = result.outliers_[:max_per_cluster]
        captions = [f"#{i} · {'noise' if labels[i] == NOISE else f'cluster {labels[i]}'} · {d:.3g}"
                    for i, d in zip(shown, result.outlier_distances_)]
        parts.append(thumbs.grid(shown, captions))
    if result.skipped_:
        parts.append('<h2 id="skipped">Skipped inputs</h2>')
        parts.append(f"<p>{len(result.skipped_)} inputs could not be used: they are in no cluster (label -2) and in "
                     "no export folder.</p>")
        parts.append(table(["input", "source", "reason"], [[s.index, s.source, s.reason] for s in result.skipped_],
                           numeric={0}))
    parts.append('<h2 id="configuration">Configuration and versions</h2>')
    versions = ", ".join(f"{k} {v}" for k, v in result.versions_.items() if v is not None and k != "platform")
    parts.append(f"<p>{escape(versions)}.</p>")
    plain = json.loads(result.to_json())
    parts.append(table(["extractor", "spec", "settings (defaults resolved)"],
                       [list(row) for row in extractor_settings(plain["config"])]))
    parts.append("<details><summary>Full configuration (as in the JSON export)</summary>"
                 f"<pre>{escape(json.dumps({'config': plain['config'], 'versions': plain['versions']}, indent=1))}"
                 "</pre></details>")
    return page(f"featclf clustering: {result.dataset_.get('name', 'images')}", parts,
                footer=f"Generated by {plain['generator']} on {result.created_}.")
