"""Charts for the HTML report, drawn with matplotlib's object API (no pyplot).

``matplotlib.figure.Figure`` with the Agg canvas renders to PNG bytes without
pyplot and without touching global state (no ``matplotlib.use``, no open figure
registry). matplotlib is the ``report`` extra: :func:`require_matplotlib` raises
:class:`~featclf.exceptions.MissingDependencyError` saying what to install.
"""

from __future__ import annotations

import functools
import io
import warnings

import numpy as np

from .._optional import import_optional

__all__ = ["accuracy_chart", "confusion_chart", "k_curve_chart", "missing_glyphs", "require_matplotlib",
           "scatter_chart", "timing_chart"]

_DPI = 96


def require_matplotlib():
    """Import matplotlib's Figure and Agg canvas, or raise MissingDependencyError."""
    import_optional("matplotlib", purpose="The HTML report's charts")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    return Figure, FigureCanvasAgg


#: matplotlib's notice for a character its fonts cannot draw (drawn as a box instead).
_MISSING_GLYPH = r"Glyph \d+ .* missing from (current )?font"


def _png(fig, canvas_cls) -> bytes:
    canvas_cls(fig)
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        # Names come from the user's data (class folders in any script). A character the font
        # lacks is drawn as a box; the page says so once (missing_glyphs), instead of one
        # matplotlib warning per character and chart leaking to the console.
        warnings.filterwarnings("ignore", message=_MISSING_GLYPH, category=UserWarning)
        fig.savefig(buffer, format="png", dpi=_DPI)
    return buffer.getvalue()


def missing_glyphs(texts) -> list[str]:
    """Characters of ``texts`` that the charts' font cannot draw (sorted, without repeats).

    The font is the one matplotlib picks for the default family (DejaVu Sans unless
    configured otherwise); its fallbacks are not consulted.
    """
    charmap = _charmap()
    return sorted({ch for text in texts for ch in str(text) if not ch.isspace() and ord(ch) not in charmap})


@functools.lru_cache(maxsize=1)
def _charmap() -> frozenset:
    from matplotlib import font_manager, ft2font

    return frozenset(ft2font.FT2Font(font_manager.findfont(font_manager.FontProperties())).get_charmap())


def accuracy_chart(labels, means, stds, fold_scores, *, metric="accuracy", best=0, folds=True) -> bytes:
    """Mean score of each combination with ±1 std error bars and the fold scores as dots.

    With ``folds=False`` (a single train/test split) only the scores are drawn: no
    error bars, no fold dots, no fold wording.

    Parameters
    ----------
    labels : list of str, shape (n,)
        Combination names, drawn top to bottom.
    means, stds : array-like of shape (n,)
    fold_scores : list of array-like
        The fold scores of each combination.
    best : int
        Index (in ``labels``) of the best combination, highlighted.

    Returns
    -------
    png : bytes
    """
    Figure, Canvas = require_matplotlib()
    n = len(labels)
    fig = Figure(figsize=(8, 0.45 * n + 1.3), layout="constrained")
    ax = fig.add_subplot()
    ypos = np.arange(n)[::-1]
    colours = ["#d95f02" if i == best else "#1b9e77" for i in range(n)]
    if folds:
        for i in range(n):
            scores = np.asarray(fold_scores[i], dtype=float)
            ax.scatter(scores, np.full(scores.shape, ypos[i]) + 0.18, s=10, color="#999999", zorder=2)
        ax.errorbar(means, ypos, xerr=stds, fmt="none", ecolor="#333333", capsize=4, zorder=3)
    ax.scatter(means, ypos, color=colours, s=45, zorder=4)
    ax.set_yticks(ypos, labels)
    lo = min(float(np.min(np.concatenate([np.ravel(f) for f in fold_scores]))), float(np.min(np.subtract(means, stds))))
    ax.set_xlim(max(0.0, lo - 0.03), min(1.0, max(np.add(means, stds)) + 0.02) + 0.005)
    ax.set_xlabel(f"{metric.replace('_', ' ')} (mean ± std over folds; grey dots: folds)" if folds
                  else f"{metric.replace('_', ' ')} on the test set")
    ax.grid(axis="x", alpha=0.3)
    return _png(fig, Canvas)


def timing_chart(extractor_labels, extract_s, combo_labels, fit_s, predict_s, *, folds=True) -> bytes:
    """Extraction time per extractor, and fit + predict time per combination (summed over folds).

    ``folds=False``: a single train/test split (the axis says so instead of "summed over folds").

    Returns
    -------
    png : bytes
    """
    Figure, Canvas = require_matplotlib()
    n_e, n_c = len(extractor_labels), len(combo_labels)
    fig = Figure(figsize=(10, 0.38 * max(n_e, n_c) + 1.4), layout="constrained")
    left, right = fig.subplots(1, 2, width_ratios=[1, 1.6])
    ye = np.arange(n_e)[::-1]
    left.barh(ye, extract_s, color="#7570b3")
    left.set_yticks(ye, extractor_labels)
    left.set_xlabel("extraction, s (once per extractor)")
    yc = np.arange(n_c)[::-1]
    right.barh(yc, fit_s, color="#1b9e77", label="fit")
    right.barh(yc, predict_s, left=fit_s, color="#e7298a", label="predict")
    right.set_yticks(yc, combo_labels)
    right.set_xlabel("fit + predict, s (summed over folds)" if folds else "fit + predict, s")
    right.legend(loc="lower right", fontsize="small")
    for ax in (left, right):
        ax.grid(axis="x", alpha=0.3)
    return _png(fig, Canvas)


def confusion_chart(confusion, classes, *, title="") -> bytes:
    """Heatmap of a confusion matrix (rows = true class), coloured by row share, annotated with counts.

    Parameters
    ----------
    confusion : ndarray of shape (n_classes, n_classes)
    classes : list of str

    Returns
    -------
    png : bytes
    """
    Figure, Canvas = require_matplotlib()
    confusion = np.asarray(confusion)
    k = len(classes)
    side = min(11.0, max(3.2, 0.32 * k + 1.9))
    fig = Figure(figsize=(side + 0.9, side), layout="constrained")
    ax = fig.add_subplot()
    totals = confusion.sum(axis=1, keepdims=True)
    share = np.divide(confusion, totals, out=np.zeros(confusion.shape, float), where=totals > 0)
    image = ax.imshow(share, cmap="Blues", vmin=0.0, vmax=1.0)
    names = [c if len(c) <= 18 else c[:17] + "…" for c in classes]
    ax.set_xticks(range(k), names, rotation=45 if k > 4 else 0, ha="right" if k > 4 else "center",
                  fontsize="small")
    ax.set_yticks(range(k), names, fontsize="small")
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    if title:
        ax.set_title(title, fontsize="medium")
    if k <= 25:
        for i in range(k):
            for j in range(k):
                if confusion[i, j]:
                    ax.text(j, i, str(int(confusion[i, j])), ha="center", va="center", fontsize="x-small" if k > 12
                            else "small", color="white" if share[i, j] > 0.5 else "black")
    fig.colorbar(image, ax=ax, shrink=0.8, label="share of the true class")
    return _png(fig, Canvas)


def scatter_chart(points, labels, *, noise_label=-1, title="") -> bytes:
    """2-D points coloured by cluster (a projection of a clustering), noise in small grey dots.

    Parameters
    ----------
    points : ndarray of shape (n, 2)
    labels : ndarray of shape (n,), int
        Cluster ids ``0 .. k - 1``; ``noise_label`` for noise. Colours come from
        matplotlib's ``tab20`` and repeat beyond 20 clusters; the legend names the first 20.
    title : str

    Returns
    -------
    png : bytes
    """
    Figure, Canvas = require_matplotlib()
    points = np.asarray(points, dtype=float)
    labels = np.asarray(labels)
    fig = Figure(figsize=(7.5, 6), layout="constrained")
    ax = fig.add_subplot()
    noise = labels == noise_label
    if noise.any():
        ax.scatter(points[noise, 0], points[noise, 1], s=6, color="#bbbbbb", label="noise", zorder=1)
    from matplotlib import colormaps

    palette = colormaps["tab20"]
    size = 14 if len(labels) <= 2000 else 5
    for j in np.unique(labels[~noise]):
        mine = labels == j
        ax.scatter(points[mine, 0], points[mine, 1], s=size, color=palette(int(j) % 20),
                   label=str(int(j)) if j < 20 else None, zorder=2, linewidths=0)
    ax.set_xlabel("first principal component")
    ax.set_ylabel("second principal component")
    if title:
        ax.set_title(title, fontsize="medium")
    ax.legend(title="cluster", fontsize="small", markerscale=1.5, loc="center left", bbox_to_anchor=(1.01, 0.5))
    ax.grid(alpha=0.2)
    return _png(fig, Canvas)


def k_curve_chart(ks, silhouettes, chosen) -> bytes:
    """The mean silhouette of each k tried, the chosen k highlighted.

    Parameters
    ----------
    ks : sequence of int
    silhouettes : sequence of float (NaN where no score)
    chosen : int

    Returns
    -------
    png : bytes
    """
    Figure, Canvas = require_matplotlib()
    ks = np.asarray(ks)
    scores = np.asarray(silhouettes, dtype=float)
    fig = Figure(figsize=(7, 3.4), layout="constrained")
    ax = fig.add_subplot()
    ax.plot(ks, scores, marker="o", color="#1b9e77")
    best = ks == chosen
    ax.scatter(ks[best], scores[best], s=90, color="#d95f02", zorder=3, label=f"chosen: k = {chosen}")
    ax.set_xlabel("k (number of clusters tried)")
    ax.set_ylabel("mean silhouette")
    ax.set_xticks(ks)
    ax.legend(loc="best", fontsize="small")
    ax.grid(alpha=0.3)
    return _png(fig, Canvas)
