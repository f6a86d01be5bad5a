"""Clustering a collection of images: :func:`cluster`.

How the work is organised:

1. **Everything is checked before extraction starts**: the data and the labels given with
   it, every parameter, the method's own parameters (with scikit-learn's declared
   constraints), the extractor's parameters and optional dependencies (torch for
   ``'cnn'``, umap-learn for ``reduce='umap'``), and the size limits of the method.
2. **Features once** (:func:`featclf.stages.compute_features`): one engine pass; its
   extraction record says which input each row is and which inputs were skipped, so
   every skipped input keeps its place in the result (label ``SKIPPED``) and its reason.
3. **The clustering space**: the scaling that suits the extractor
   (:data:`~featclf.clustering.PREPROCESS_DEFAULTS`), then an optional PCA or UMAP.
4. **The clusters**, for the k given or for each k of ``k_range`` (the best silhouette
   wins), numbered by decreasing size.
5. **What the result reports**: distances to centres, exemplars, outliers, internal
   metrics, agreement with known classes, timings, versions, fingerprint.
"""

from __future__ import annotations

import numbers
import time
import warnings

import numpy as np

from .._validation import ON_ERROR_OPTIONS, check_int, check_n_jobs, check_option
from ..datasets import ImageDataset, encode_labels, left_out_summary
from ..engine import as_sources, warn_skipped
from ..exceptions import DatasetError, FeatclfWarning, InvalidParameterError, MissingDependencyError
from ..extract import CNNEmbedding
from ..io import DEFAULT_MAX_PIXELS, check_max_pixels
from ..models import resolve_extractor
from ..stages import (
    check_cache_setting,
    check_extractor_ready,
    collect_versions,
    compute_features,
    configure_extractor,
    dataset_fingerprint,
    log_step,
    run_cache_dir,
)
from ._algorithms import (
    AGGLOMERATIVE_MAX,
    NOISE,
    SKIPPED,
    Clusterer,
    choose_k,
    number_by_size,
    resolve_method,
)
from ._distances import nearest_centres, own_distances
from ._metrics import SILHOUETTE_SAMPLE_SIZE, agreement_metrics, internal_metrics
from ._result import ClusteringResult, created_now, source_names
from ._space import build_space, check_space, default_preprocess, describe_space, fit_space

__all__ = ["DEFAULT_EXTRACTOR", "K_MAX", "cluster"]

#: The extractor used when none is given: CNN embeddings recover object categories far better
#: than HOG or colour histograms (issue 10's measurement on Open Clip Art). Needs torch.
DEFAULT_EXTRACTOR = "cnn"
#: The largest k tried by default with ``n_clusters='auto'``.
K_MAX = 20
#: With ``n_clusters='auto'`` the default range stops at ``n_images // IMAGES_PER_CLUSTER``
#: (clusters of at least this many images on average).
IMAGES_PER_CLUSTER = 5


# --------------------------------------------------------------------------- checks
def _check_data(data):
    """``(sources, name, left_out)``: the collection as a sequence of sources, checked to hold images."""
    if isinstance(data, ImageDataset):
        sources, name, left_out = data.sources, data.name, data.left_out
    else:
        sources, name, left_out = as_sources(data), "images", []  # a single image or a non-collection is refused
    if len(sources) == 0:
        raise DatasetError(f"{name}: there are no images to cluster.")
    return sources, name, left_out


def _check_labels(labels, data, n):
    """``(true labels as int64 or None, class names or None)``; ``labels=`` wins over the dataset's own.

    Encoded as a dataset's labels are (:func:`featclf.datasets.encode_labels`: missing values
    and text mixed with other types are refused), with the errors as this parameter's.
    """
    if labels is None:
        if isinstance(data, ImageDataset) and data.is_labelled:
            return np.asarray(data.labels, np.int64), list(data.classes)
        return None, None
    try:
        values = labels if isinstance(labels, np.ndarray) else np.asarray(list(labels), dtype=object)
    except TypeError:
        raise InvalidParameterError(
            f"The 'labels' parameter of cluster must hold one known class per image (a list or array of {n}). "
            f"Got {type(labels).__name__} instead."
        ) from None
    if values.shape != (n,):
        raise InvalidParameterError(
            f"The 'labels' parameter of cluster must hold one known class per image ({n}); got shape "
            f"{values.shape}."
        )
    try:
        return encode_labels(values, "The 'labels' parameter of cluster")
    except DatasetError as exc:
        raise InvalidParameterError(f"{exc} Or pass labels=None (the clusters are then not scored).") from None


def _too_few_for(method, n, what) -> str | None:
    """The message when ``n`` images are too few for ``method`` (HDBSCAN's ``min_samples``), else None."""
    if method.name != "hdbscan" or n >= method.min_images:
        return None
    return (f"method={method.label!r} needs at least {method.min_images} images (its min_samples, by default "
            f"min_cluster_size), and {what}. Lower them (e.g. method='hdbscan:min_cluster_size={max(2, n)}'), or "
            "use method='kmeans'.")


def _check_k(n_clusters, k_range, method, n):
    """``(n_clusters, k_values or None)`` checked against the method and the number of images."""
    auto = isinstance(n_clusters, str) and n_clusters == "auto"
    if not auto and isinstance(n_clusters, str):
        raise InvalidParameterError(
            f"The 'n_clusters' parameter of cluster must be an int >= 2 or 'auto'. Got {n_clusters!r} instead."
        )
    if method.finds_k:
        too_few = _too_few_for(method, n, f"{n} were given")
        if too_few:
            raise InvalidParameterError(too_few)
        if not auto:
            raise InvalidParameterError(
                f"method={method.label!r} finds the number of clusters itself; got n_clusters={n_clusters!r}. Pass "
                "n_clusters='auto' (the default) with it, or use method='kmeans' or 'agglomerative' for a given k."
            )
        if k_range is not None:
            raise InvalidParameterError(
                f"The 'k_range' parameter of cluster chooses k for k-means and agglomerative clustering; "
                f"method={method.label!r} finds the number of clusters itself. Drop k_range."
            )
        return "auto", None
    if auto:
        if k_range is None:
            return "auto", None  # the default range depends on the number of images read
        try:
            values = sorted(set(k_range))
        except TypeError:
            values = None
        if not values or not all(isinstance(k, numbers.Integral) and not isinstance(k, bool) and k >= 2
                                 for k in values):
            raise InvalidParameterError(
                f"The 'k_range' parameter of cluster must be a non-empty collection of ints >= 2 (e.g. range(2, 11)). "
                f"Got {k_range!r} instead."
            )
        if values[0] > n - 1:
            raise InvalidParameterError(
                f"The 'k_range' parameter of cluster asks for at least {values[0]} clusters, but there are {n} "
                f"images; silhouettes need k <= {n - 1}. Use smaller values."
            )
        return "auto", [int(k) for k in values]
    if k_range is not None:
        raise InvalidParameterError(
            f"The 'k_range' parameter of cluster is for n_clusters='auto'; got n_clusters={n_clusters!r}. Drop "
            "k_range, or pass n_clusters='auto'."
        )
    if isinstance(n_clusters, bool) or not isinstance(n_clusters, numbers.Integral) or n_clusters < 2:
        raise InvalidParameterError(
            f"The 'n_clusters' parameter of cluster must be an int >= 2 or 'auto'. Got {n_clusters!r} instead."
        )
    if n_clusters > n:
        raise InvalidParameterError(
            f"The 'n_clusters' parameter of cluster is {n_clusters}, more than the {n} images given. Use at most {n}."
        )
    return int(n_clusters), None


def _ready_extractor(extractor, on_error, n_jobs, verbose, max_pixels):
    """The resolved, configured and checked extractor (its dependencies imported now)."""
    component = resolve_extractor(extractor)
    ready = configure_extractor(component, on_error, n_jobs, verbose, max_pixels)
    try:
        check_extractor_ready(ready)
    except MissingDependencyError as exc:
        if isinstance(ready, CNNEmbedding):
            raise MissingDependencyError(
                f"{exc} Or cluster without torch, with extractor='hog' (shapes and outlines) or "
                "extractor='colorhist' (colours); CNN embeddings recover object categories far better."
            ) from exc
        raise
    return component, ready


# --------------------------------------------------------------------------- main entry
def cluster(data, extractor=DEFAULT_EXTRACTOR, n_clusters="auto", *, labels=None, preprocess="auto", reduce=None,
            n_components=None, method="kmeans", k_range=None, n_exemplars=5, n_outliers=10, random_state=0,
            on_error="skip", n_jobs=None, verbose=1, max_pixels=DEFAULT_MAX_PIXELS, cache_dir=None) -> ClusteringResult:
    """Cluster a collection of images; every input is clustered or accounted for.

    Features are computed once (one engine pass), scaled as suits the extractor,
    optionally reduced, and clustered. Every parameter is checked before any image is
    decoded. The result has one label per input, in input order: inputs that could not be
    read are marked ``SKIPPED`` (-2) with their reason, never dropped.

    Parameters
    ----------
    data : ImageDataset, list of sources, or ndarray of shape (N, H, W[, C])
        :class:`featclf.UnlabelledFolder` (a folder of images), :class:`featclf.ImageFolder`
        (its classes are then the true labels), :class:`featclf.CSVManifest`, arrays, or a
        list of paths.
    extractor : str, (name, params) pair or extractor object, default='cnn'
        A registry name (``'hog'``), a spec (``'cnn:input_size=64'``), or an object such
        as ``featclf.HOG(size=(64, 64))``. The default, CNN embeddings, needs the ``cnn``
        extra (torch); without it, ``extractor='hog'`` or ``'colorhist'`` need nothing
        more.
    n_clusters : int >= 2 or 'auto', default='auto'
        ``'auto'``: k-means and agglomerative clustering try every k of ``k_range`` and
        keep the k of the highest mean silhouette (ties: the smaller k); HDBSCAN finds
        the number itself (and takes only ``'auto'``).
    labels : array-like of shape (N,), optional
        The known class of each image (any values), to score the clusters against
        (NMI, ARI, matched accuracy); they are not used to cluster. Default: the
        dataset's own labels (an ``ImageFolder``'s classes); ``labels=`` wins.
    preprocess : {'auto', 'l2', 'standard', 'none'}, default='auto'
        Scaling of the features: ``'auto'`` is the default of the extractor
        (:data:`featclf.clustering.PREPROCESS_DEFAULTS`: ``'l2'`` for CNN embeddings,
        HOG and raw pixels, ``'none'`` for colour histograms, chosen by measurement:
        L2-normalised raw pixels reach NMI 0.615 against 0.516 unscaled on the
        Fashion-MNIST test set; standardised colour histograms fall into one cluster);
        ``'l2'`` divides each image's features by their norm, so images that differ only
        in overall brightness or contrast become the same point: when brightness is what
        tells your groups apart (e.g. dark and light images of one pattern), pass
        ``preprocess='none'``; ``'standard'`` scales each column to unit variance.
    reduce : {None, 'pca', 'umap'}, default=None
        Optional reduction after scaling: a PCA, or UMAP (needs umap-learn:
        ``pip install "featclf[cluster]"``; features of more than 50 dimensions first
        go through a PCA to 50; ``min_dist``
        :data:`featclf.clustering.UMAP_MIN_DIST`). UMAP separates classes better at a
        cost in time: k-means NMI on the Fashion-MNIST test set, k=10, with
        ``reduce='umap'``: HOG 0.643, raw pixels 0.652, CNN embeddings
        (``'cnn:input_size=128'``) 0.677, against 0.601 and 0.615 for HOG and raw
        pixels without.
    n_components : int, optional
        Dimensions kept by the reduction: default 50 for PCA, 10 for UMAP.
    method : str or (name, params) pair, default='kmeans'
        ``'kmeans'`` (:class:`~sklearn.cluster.KMeans`; :class:`~sklearn.cluster.MiniBatchKMeans`
        above :data:`featclf.clustering.MINIBATCH_ABOVE` images), ``'hdbscan'``
        (:class:`~sklearn.cluster.HDBSCAN`: images in no dense region are noise, label -1)
        or ``'agglomerative'`` (Ward linkage; at most
        :data:`featclf.clustering.AGGLOMERATIVE_MAX` images). Parameters as a spec:
        ``'hdbscan:min_cluster_size=10'``, ``'kmeans:n_init=10'``,
        ``'agglomerative:linkage=average'``.
    k_range : collection of int, optional
        The k tried with ``n_clusters='auto'``; default 2 to ``min(20, n // 5)`` for
        ``n`` images read (clusters of 5 images or more on average); values above
        ``n - 1`` are dropped.
    n_exemplars : int, default=5
        Images kept per cluster as its exemplars (the nearest its centre).
    n_outliers : int, default=10
        Images kept as outliers (the farthest from every centre).
    random_state : int, default=0
        Seed of k-means, PCA, UMAP and the silhouette sample: the same call gives the
        same clusters.
    on_error : {'skip', 'raise'}, default='skip'
        Inputs that cannot be used: marked ``SKIPPED`` and listed with their reason
        (a SkippedImagesWarning names them), or an error.
    n_jobs : int, optional
        Workers decoding images (None follows ``joblib.parallel_config``). The labels
        do not depend on it: features are the same, and the clustering runs in this
        process with scikit-learn's native threads.
    verbose : int, default=1
        0: silent. 1: one line per step on stderr, and a progress bar on a terminal.
    max_pixels : int or None, default=178956970
        The largest image decoded (width x height); larger ones are refused from
        their header (skipped). ``None``: no limit.
    cache_dir : str, path-like or False, optional
        Folder of the feature cache, set on every extractor without its own: images
        already extracted with the same configuration are read from it, new rows are
        written as they are computed (README, "Feature cache"). Default:
        :func:`featclf.set_config`'s, else ``$FEATCLF_CACHE_DIR``, else none; ``False``:
        none. Checked (created, writable) before any work.

    Returns
    -------
    ClusteringResult
        ``labels_``, ``distances_``, ``cluster_sizes_``, ``exemplars_``, ``outliers_``,
        ``metrics_``, ``k_curve_``, ``skipped_``; ``predict(sources)``,
        ``similar(query)``, ``to_csv(path)``, ``to_json(path)``, ``to_html(path)``,
        ``export_folders(dest)``, ``save(path)``.

    Warns
    -----
    SkippedImagesWarning
        Some inputs could not be used (each is in ``skipped_`` and marked ``SKIPPED``).
    FeatclfWarning
        HDBSCAN found no cluster (every image is noise).

    Raises
    ------
    DatasetError
        No images, or too few readable images for the clusters asked for.
    UnknownNameError
        An unknown extractor or method (the nearest name is suggested).
    InvalidParameterError
        A bad parameter (named, with the accepted values), checked before extraction.
    MissingDependencyError
        torch for ``'cnn'`` (the message also names ``'hog'`` and ``'colorhist'``), or
        umap-learn for ``reduce='umap'``: before extraction.
    WorkerDiedError
        A decoding worker died (most often for lack of memory).

    Examples
    --------
    >>> import featclf
    >>> digits = featclf.load_digits()
    >>> result = featclf.cluster(digits, "pixels", n_clusters=10, verbose=0)
    >>> result.labels_.shape, result.n_clusters_
    ((1797,), 10)
    >>> round(result.metrics_["nmi"], 2) > 0.5
    True
    >>> result.to_csv("clusters.csv")  # doctest: +SKIP
    """
    began = time.perf_counter()
    # 0. Every check that needs no image, before any extraction.
    sources, name, left_out = _check_data(data)
    n = len(sources)
    random_state = check_int("random_state", random_state, minimum=0, owner="cluster")
    on_error = check_option("on_error", on_error, ON_ERROR_OPTIONS, "cluster")
    verbose = check_int("verbose", verbose, minimum=0, owner="cluster")
    n_jobs = check_n_jobs(n_jobs, "cluster")
    max_pixels = check_max_pixels(max_pixels, "cluster")
    cache_dir = check_cache_setting(cache_dir, "cluster")
    n_exemplars = check_int("n_exemplars", n_exemplars, minimum=1, owner="cluster")
    n_outliers = check_int("n_outliers", n_outliers, minimum=0, owner="cluster")
    resolved = resolve_method(method)
    n_clusters, k_values = _check_k(n_clusters, k_range, resolved, n)
    if resolved.name == "agglomerative" and n > AGGLOMERATIVE_MAX:
        raise InvalidParameterError(
            f"method='agglomerative' needs memory quadratic in the number of images (n(n-1)/2 distances: "
            f"{n * (n - 1) / 2 * 8 / 1e9:.1f} GB for these {n}); it takes at most {AGGLOMERATIVE_MAX:,} images. Use "
            "method='kmeans' (any size) or 'hdbscan', or cluster a sample."
        )
    true_labels, classes = _check_labels(labels, data, n)
    preprocess_requested = preprocess
    preprocess, reduce, n_components = check_space(preprocess, reduce, n_components)
    component, ready = _ready_extractor(extractor, on_error, n_jobs, verbose, max_pixels)

    # 1. Features, once: the record says which input each row is and which were skipped.
    log_step(verbose, f"extracting {component.label} from {n} images")
    feature_set = compute_features([ready], data if isinstance(data, ImageDataset) else sources, on_error=on_error,
                                   verbose=verbose, cache_dir=run_cache_dir(cache_dir, [component]))[0]
    record = feature_set.train
    warn_skipped(record.skipped, n)
    used = np.asarray(record.indices, np.intp)
    n_used = len(used)
    log_step(verbose, f"  {feature_set.n_features} features in {feature_set.seconds:.1f} s{feature_set.cache_note()}"
                      + (f"; {len(record.skipped)} of {n} inputs skipped" if record.skipped else ""))
    too_few = _too_few_for(resolved, n_used, f"only {n_used} of {n} could be read")
    if too_few:
        raise DatasetError(f"{name}: {too_few}")
    if n_used < 2:
        raise DatasetError(f"{name}: {n_used} of {n} images could be read; clustering needs at least 2 (see the "
                           "skipped inputs in the warning).")
    if isinstance(n_clusters, int) and n_clusters > n_used:
        raise DatasetError(
            f"{name}: n_clusters={n_clusters}, but only {n_used} of {n} images could be read "
            f"({len(record.skipped)} skipped, see the warning). Use n_clusters <= {n_used}, or fix the files."
        )
    if n_clusters == "auto" and not resolved.finds_k:
        if k_values is None:
            k_values = list(range(2, max(2, min(K_MAX, n_used // IMAGES_PER_CLUSTER)) + 1))
        k_values = [k for k in k_values if k <= n_used - 1]
        if not k_values:
            raise DatasetError(
                f"{name}: only {n_used} of {n} images could be read, too few to choose k by silhouette (k <= "
                f"{n_used - 1}); pass n_clusters, or fix the files."
            )

    # 2. The clustering space.
    if preprocess == "auto":
        preprocess = default_preprocess(component.name)
    step = time.perf_counter()
    space_pipeline = build_space(preprocess, reduce, n_components, n_used, feature_set.n_features, random_state)
    space = fit_space(space_pipeline, record.features)
    space_s = time.perf_counter() - step
    space_text = describe_space(space_pipeline, preprocess)
    log_step(verbose, f"clustering space: {space_text}, {space.shape[1]} dimensions")

    # 3. The clusters (every k of the range with n_clusters='auto').
    step = time.perf_counter()
    clusterer = Clusterer(resolved, space, random_state)
    curve = None
    if resolved.finds_k:
        fitted = clusterer.fit(None)
    elif n_clusters == "auto":
        log_step(verbose, f"choosing k among {k_values[0]}..{k_values[-1]} by silhouette")
        fitted, curve = choose_k(clusterer, k_values, random_state)
    else:
        fitted = clusterer.fit(n_clusters)
    cluster_s = time.perf_counter() - step
    row_labels, old_ids = number_by_size(fitted.labels)
    k = len(old_ids)
    if resolved.name == "hdbscan" and k == 0:
        warnings.warn(f"{name}: HDBSCAN found no cluster: all {n_used} images are noise. Lower min_cluster_size "
                      f"(method='hdbscan:min_cluster_size=3'), or use method='kmeans'.", FeatclfWarning, stacklevel=2)
    if fitted.model is not None:
        centres = np.asarray(fitted.model.cluster_centers_, np.float32)[old_ids]
    else:
        centres = np.stack([space[row_labels == j].mean(axis=0) for j in range(k)]).astype(np.float32) if k else \
            np.empty((0, space.shape[1]), np.float32)
    row_distances = own_distances(space, centres, row_labels)
    log_step(verbose, f"  {k} clusters ({fitted.algorithm}) in {cluster_s:.1f} s")

    # 4. Per input: label and distance; exemplars and outliers.
    step = time.perf_counter()
    labels_ = np.full(n, SKIPPED, dtype=np.int64)
    labels_[used] = row_labels
    distances_ = np.full(n, np.nan)
    distances_[used] = row_distances
    exemplars = []
    for j in range(k):
        rows = np.flatnonzero(row_labels == j)
        order = np.lexsort((used[rows], row_distances[rows]))[:n_exemplars]
        exemplars.append(used[rows[order]])
    _, nearest_distance = nearest_centres(space, centres)
    if k:
        order = np.lexsort((used, -nearest_distance))[:n_outliers]
        outliers, outlier_distances = used[order], nearest_distance[order]
    else:
        outliers, outlier_distances = np.empty(0, np.intp), np.empty(0)
    radii = None
    if resolved.name == "hdbscan" and k:
        radii = np.array([row_distances[row_labels == j].max() for j in range(k)])
    metrics = internal_metrics(space, row_labels, random_state)
    agreement = {"nmi": None, "ari": None, "matched_accuracy": None, "matching": None}
    if true_labels is not None:
        agreement = agreement_metrics(true_labels[used], row_labels)
    metrics.update(agreement)
    metrics_s = time.perf_counter() - step

    config = {
        "extractor": {"label": component.label, "name": component.name, "spec": component.spec,
                      "params": component.config,
                      "fitted": feature_set.fitted},
        "preprocess": preprocess,
        "preprocess_requested": preprocess_requested,
        "reduce": reduce,
        "n_components": int(space.shape[1]) if reduce else None,
        "umap": ({"n_neighbors": int(space_pipeline.named_steps["umap"].n_neighbors),
                  "min_dist": float(space_pipeline.named_steps["umap"].min_dist)} if reduce == "umap" else None),
        "space": space_text,
        "method": resolved.label,
        "method_params": resolved.params,
        "algorithm": fitted.algorithm,
        "n_clusters_requested": n_clusters,
        "n_clusters_chosen": k,
        "k_range": k_values,
        "random_state": random_state,
        "silhouette_sample_size": SILHOUETTE_SAMPLE_SIZE,
        "on_error": on_error,
        "n_jobs": n_jobs,
        "max_pixels": max_pixels,
        "n_exemplars": n_exemplars,
        "n_outliers": n_outliers,
        "numbering": "clusters numbered by decreasing size (ties: first image in input order); "
                     f"noise {NOISE}, skipped {SKIPPED}",
    }
    result = ClusteringResult(
        data=data, labels_=labels_, distances_=distances_, n_clusters_=k,
        cluster_sizes_=np.bincount(row_labels[row_labels >= 0], minlength=k).astype(np.int64),
        centres_=centres, exemplars_=exemplars, outliers_=outliers, outlier_distances_=outlier_distances,
        metrics_=metrics, k_curve_=curve, skipped_=list(record.skipped), sources_=source_names(sources),
        embedding_=space, indices_=used, true_labels_=true_labels, classes_=classes, extractor_=ready,
        space_=space_pipeline, model_=fitted.model, _model_ids=old_ids, _radii=radii, config_=config,
        dataset_={"name": name, "n_inputs": n, "fingerprint": dataset_fingerprint(data),
                  "left_out": left_out_summary(left_out)},
        timings_={"extract_s": feature_set.seconds, "space_s": space_s, "cluster_s": cluster_s,
                  "metrics_s": metrics_s, "total_s": time.perf_counter() - began},
        versions_=collect_versions(), created_=created_now(),
    )
    log_step(verbose, f"done: {k} clusters in {result.timings_['total_s']:.1f} s (result.summary() says more)")
    return result
