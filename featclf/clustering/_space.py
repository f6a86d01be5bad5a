"""The clustering space: the features as clustered, after per-extractor scaling and optional reduction.

One fitted scikit-learn :class:`~sklearn.pipeline.Pipeline` holds every step, so the
images of :meth:`ClusteringResult.predict` and :meth:`ClusteringResult.similar` go through
exactly what the collection went through.

Steps, in order:

1. **Scaling**, chosen per extractor (``preprocess='auto'``, the table
   :data:`PREPROCESS_DEFAULTS`) or given: ``'l2'`` (each row divided by its Euclidean norm,
   :class:`~sklearn.preprocessing.Normalizer`), ``'standard'`` (each column to zero mean
   and unit variance, :class:`~sklearn.preprocessing.StandardScaler`) or ``'none'``.
2. **Reduction**, optional: ``'pca'`` (:class:`~sklearn.decomposition.PCA` to
   ``n_components``, 50 by default) or ``'umap'`` (``umap-learn``, the ``cluster`` extra: a
   PCA to 50 dimensions first when there are more, then UMAP to ``n_components``, 10 by
   default, with ``n_neighbors`` 15 or fewer for small collections and ``min_dist``
   :data:`UMAP_MIN_DIST`).
"""

from __future__ import annotations

import warnings

from .._optional import import_optional
from .._public import user_stacklevel
from .._validation import check_int, check_option
from ..exceptions import FeatclfWarning, InvalidParameterError

__all__ = ["PCA_BEFORE_UMAP", "PREPROCESS_DEFAULTS", "PREPROCESS_OPTIONS", "REDUCE_DEFAULT_COMPONENTS",
           "REDUCE_OPTIONS", "UMAP_MIN_DIST", "build_space", "check_space", "default_preprocess", "umap_settings"]

#: The scaling ``preprocess='auto'`` applies, by extractor registry name; any other extractor
#: (a user transformer) gets ``'none'``. The one place to change a default.
#:
#: Measured with benchmarks/bench_cluster_defaults.py (results in benchmarks/results/
#: cluster_defaults.json, with the command): k-means NMI on Open Clip Art (600 images of 6
#: categories, mean of 5 draws) and the Fashion-MNIST test set (10,000 images, k=10):
#:
#: * raw pixels: l2 0.050 / 0.615 against none 0.054 / 0.516 (+0.10 on Fashion-MNIST);
#: * HOG: l2 0.090 / 0.601 against none 0.082 / 0.602; standardising 0.067 / 0.609 (worse on colour);
#: * colour histograms: none 0.107 (rows already sum to 1); standardising put 594-595 of 600
#:   images in one cluster (NMI 0.016);
#: * CNN embeddings (EfficientNet-Lite0): l2 0.211, none 0.211, PCA(50) after l2 0.224 -- the
#:   reduction ``reduce='pca'`` helps them more than the scaling, and makes k-means about 2-3x faster.
PREPROCESS_DEFAULTS = {
    "cnn": "l2",
    "colorhist": "none",
    "hog": "l2",
    "pixels": "l2",
}
PREPROCESS_OPTIONS = ("auto", "l2", "standard", "none")
REDUCE_OPTIONS = (None, "pca", "umap")
#: Dimensions kept by each reduction when ``n_components`` is None.
REDUCE_DEFAULT_COMPONENTS = {"pca": 50, "umap": 10}
#: ``reduce='umap'`` first reduces features of more dimensions than this with a PCA (UMAP's usual
#: practice: far faster, and the measurement of issue 10 was made so: PCA(50), then UMAP(10)).
PCA_BEFORE_UMAP = 50
#: UMAP's neighbourhood size (its own default), lowered to ``n - 1`` for smaller collections.
UMAP_NEIGHBOURS = 15
#: UMAP's ``min_dist``: 0.0, umap-learn's recommendation for clustering ("Using UMAP for
#: Clustering" in its documentation: points packed into denser clumps), not its default 0.1
#: (made for pictures). Measured on the Fashion-MNIST test set, k=10, l2 + PCA(50) + UMAP(10)
#: + k-means: NMI 0.652 on raw pixels against 0.635 with 0.1; HOG 0.643 with either.
UMAP_MIN_DIST = 0.0


def default_preprocess(extractor_name: str) -> str:
    """The scaling ``preprocess='auto'`` means for an extractor (:data:`PREPROCESS_DEFAULTS`, else ``'none'``)."""
    return PREPROCESS_DEFAULTS.get(extractor_name, "none")


def check_space(preprocess, reduce, n_components, owner="cluster"):
    """Check the space parameters before any extraction; import umap-learn now when asked for.

    Returns
    -------
    (preprocess, reduce, n_components)
        ``n_components`` filled with the reduction's default (None without reduction).

    Raises
    ------
    InvalidParameterError
        An unknown option, ``n_components`` without a reduction or below 1 (2 for UMAP).
    MissingDependencyError
        ``reduce='umap'`` without umap-learn (the message gives the install command).
    """
    check_option("preprocess", preprocess, PREPROCESS_OPTIONS, owner)
    check_option("reduce", reduce, REDUCE_OPTIONS, owner)
    if reduce is None:
        if n_components is not None:
            raise InvalidParameterError(
                f"The 'n_components' parameter of {owner} sets the dimensions of a reduction, but reduce=None. "
                f"Pass reduce='pca' or reduce='umap' with it, or drop n_components."
            )
        return preprocess, None, None
    if n_components is None:
        n_components = REDUCE_DEFAULT_COMPONENTS[reduce]
    n_components = check_int("n_components", n_components, minimum=1, owner=owner)
    if reduce == "umap":
        import_optional("umap", purpose=f"{owner}(reduce='umap')")
    return preprocess, reduce, n_components


def build_space(preprocess: str, reduce, n_components, n_samples: int, n_features: int, random_state: int):
    """The unfitted pipeline of the clustering space for ``n_samples`` rows of ``n_features`` columns.

    ``preprocess`` is resolved already (not ``'auto'``). PCA never asks for more components
    than ``min(n_samples, n_features)``.

    Returns
    -------
    sklearn.pipeline.Pipeline
    """
    from sklearn.decomposition import PCA
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import Normalizer, StandardScaler

    steps = []
    if preprocess == "l2":
        steps.append(("l2", Normalizer(norm="l2")))
    elif preprocess == "standard":
        steps.append(("standard", StandardScaler()))
    most = max(1, min(n_samples, n_features))
    if reduce == "pca" and n_components > most:
        warnings.warn(f"cluster: n_components={n_components}, but a PCA of {n_samples} images of {n_features} "
                      f"features has at most {most} components: keeping {most}.", FeatclfWarning,
                      stacklevel=user_stacklevel())
    if reduce == "pca":
        steps.append(("pca", PCA(n_components=min(n_components, most), random_state=random_state)))
    elif reduce == "umap":
        umap = import_optional("umap", purpose="cluster(reduce='umap')")
        if n_features > PCA_BEFORE_UMAP:
            steps.append(("pca", PCA(n_components=min(PCA_BEFORE_UMAP, most), random_state=random_state)))
        steps.append(("umap", umap.UMAP(n_components=n_components, **umap_settings(n_samples),
                                        random_state=random_state)))
    if not steps:
        steps.append(("none", "passthrough"))
    return Pipeline(steps)


def umap_settings(n_samples: int) -> dict:
    """UMAP's ``n_neighbors`` and ``min_dist`` for ``n_samples`` rows (:data:`UMAP_NEIGHBOURS`, :data:`UMAP_MIN_DIST`)."""
    return {"n_neighbors": max(2, min(UMAP_NEIGHBOURS, n_samples - 1)), "min_dist": UMAP_MIN_DIST}


def describe_space(pipeline, preprocess: str) -> str:
    """The steps of a fitted space in words: ``'l2'``, ``'none + pca(50)'``,
    ``'none + pca(50) + umap(10, n_neighbors=15, min_dist=0.0)'``."""
    parts = [preprocess]
    for name, step in pipeline.steps:
        if name == "pca":
            parts.append(f"pca({getattr(step, 'n_components_', None) or step.n_components})")
        elif name == "umap":
            parts.append(f"umap({step.n_components}, n_neighbors={step.n_neighbors}, min_dist={step.min_dist})")
    return " + ".join(parts)


def fit_space(pipeline, X):
    """Fit ``pipeline`` on ``X`` and return ``X`` in the clustering space (float32).

    Without UMAP the pipeline is fitted, then ``transform`` gives the rows, so a row is the
    same whether it is computed here or later by :meth:`ClusteringResult.predict` (a PCA's
    ``fit_transform`` rounds differently from its ``transform``). With UMAP the rows are
    UMAP's own embedding of the collection (its ``transform`` of the same images differs).
    """
    import numpy as np

    with warnings.catch_warnings():
        # umap-learn: "n_jobs value 1 overridden to 1 by setting random_state": expected, a seed is always set
        warnings.filterwarnings("ignore", message=".*overridden to 1 by setting random_state.*")
        if "umap" in pipeline.named_steps:
            space = pipeline.fit_transform(X)
        else:
            space = pipeline.fit(X).transform(X)
    return np.asarray(space, dtype=np.float32)


def to_space(pipeline, X):
    """``X`` (new rows) in the fitted clustering space (float32)."""
    import numpy as np

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*overridden to 1 by setting random_state.*")
        return np.asarray(pipeline.transform(X), dtype=np.float32)
