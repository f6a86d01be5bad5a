"""The result of :func:`featclf.cluster`: one label per input, the fitted clustering, its exports."""

from __future__ import annotations

import copy
import csv
import datetime
import json
from typing import NamedTuple

import numpy as np

from .._validation import ON_ERROR_OPTIONS, check_int, check_n_jobs, check_option
from ..engine import Extraction, as_sources, warn_skipped
from ..exceptions import ImageLoadError, InvalidImageError, InvalidParameterError
from ..extract import BaseExtractor
from ..report import json_ready
from ..stages import check_save_path as _check_save_path
from ..stages import load_saved, save_payload
from ..stages import read_manifest as _read_manifest
from ._algorithms import NOISE, SKIPPED
from ._distances import distances_to, nearest_centres
from ._space import to_space

__all__ = ["JSON_SCHEMA_VERSION", "ClusteringResult", "Neighbours", "check_save_path", "load_clustering",
           "read_manifest"]

#: Version of the JSON export's layout (:meth:`ClusteringResult.to_json`): fields are only added
#: within a version; renaming or removing one bumps it.
JSON_SCHEMA_VERSION = 1
#: Columns of the CSV export, in order (``class`` is added last when true labels are known).
CSV_COLUMNS = ("index", "source", "cluster", "distance", "exemplar", "outlier", "reason")


class Neighbours(NamedTuple):
    """The images nearest a query (:meth:`ClusteringResult.similar`), nearest first.

    Attributes
    ----------
    indices : ndarray of shape (n,), intp
        Input positions in the clustered collection.
    distances : ndarray of shape (n,), float64
        Euclidean distances to the query in the clustering space.
    sources : list of str
        The path (or ``"item N (type)"``) of each.
    """

    indices: np.ndarray
    distances: np.ndarray
    sources: list


class ClusteringResult:
    """A clustering of a collection of images (made by :func:`featclf.cluster`).

    Every input has a label, in input order: nothing is dropped. Labels are cluster ids
    ``0 .. n_clusters_ - 1`` numbered by decreasing size (0 is the largest), ``NOISE``
    (``-1``) for an image HDBSCAN left in no cluster, and ``SKIPPED`` (``-2``) for an input
    that could not be used (listed with its reason in ``skipped_``).

    Distances are Euclidean, in the clustering space: the features after the scaling and
    reduction recorded in ``config_`` (``space_`` holds the fitted steps).

    Attributes
    ----------
    labels_ : ndarray of shape (n_inputs,), int64
        Cluster of each input; ``-1`` noise, ``-2`` skipped.
    distances_ : ndarray of shape (n_inputs,), float64
        Distance of each image to the centre of its own cluster; NaN for noise and skipped.
    n_clusters_ : int
        Number of clusters (noise is not one).
    cluster_sizes_ : ndarray of shape (n_clusters_,), int64
        Images per cluster, by cluster id (so, decreasing).
    centres_ : ndarray of shape (n_clusters_, n_dims), float32
        Centre of each cluster in the clustering space: k-means' centres, or the mean of
        the cluster's images for HDBSCAN and agglomerative clustering.
    exemplars_ : list of ndarray of intp
        For each cluster, the input positions of its images nearest its centre (up to
        ``n_exemplars``), nearest first.
    outliers_ : ndarray of intp
        Input positions of the images farthest from every centre (the largest distance to
        the nearest centre; noise included), farthest first, up to ``n_outliers``.
    outlier_distances_ : ndarray of float64
        Their distance to the nearest centre.
    metrics_ : dict
        ``silhouette``, ``davies_bouldin``, ``calinski_harabasz``, ``silhouette_sample_size``,
        ``n_scored`` (:func:`featclf.clustering.internal_metrics`; noise left out); and,
        when true labels are known, ``nmi``, ``ari``, ``matched_accuracy`` and ``matching``
        (:func:`featclf.clustering.agreement_metrics`), else None for those.
    k_curve_ : list of dict or None
        With ``n_clusters='auto'`` (k-means, agglomerative): ``{"k", "silhouette", "inertia",
        "n_clusters_found"}`` for every k tried; None otherwise.
    skipped_ : list of SkippedInput
        Every input that could not be used: ``(index, source, reason)``.
    sources_ : list of str
        Each input's path, or ``"item N (type)"`` for in-memory images.
    embedding_ : ndarray of shape (n_used, n_dims), float32
        The used images in the clustering space; row ``i`` is input ``indices_[i]``.
    indices_ : ndarray of shape (n_used,), intp
        Input position of each row of ``embedding_``.
    true_labels_ : ndarray of shape (n_inputs,), int64, or None
        Known class of each input (index into ``classes_``).
    classes_ : list of str or None
    extractor_ : transformer
        The fitted extractor (e.g. its image size), used again by :meth:`predict` and
        :meth:`similar`.
    space_ : sklearn.pipeline.Pipeline
        The fitted scaling and reduction.
    model_ : estimator or None
        The fitted k-means estimator (None for the other methods).
    config_ : dict
        Extractor, scaling, reduction, method, algorithm, k requested and chosen, seeds.
    dataset_ : dict
        ``name``, ``n_inputs``, ``fingerprint`` (:func:`featclf.stages.dataset_fingerprint`),
        ``left_out`` (what a folder scan did not take).
    timings_ : dict
        Seconds: ``extract_s``, ``space_s``, ``cluster_s`` (every k tried), ``metrics_s``, ``total_s``.
    versions_ : dict
        :func:`featclf.stages.collect_versions` at clustering time.
    created_ : str
        UTC time, ISO 8601.

    Notes
    -----
    The result holds the collection it was made from (:attr:`data`) while in memory, for
    exports that show the images; it is not saved or pickled (``sources_`` names every
    image).
    """

    def __init__(self, **attributes):
        self._data = attributes.pop("data", None)
        self._radii = None  # HDBSCAN: each cluster's farthest image from its centroid (predict's reach)
        self._model_ids = None  # the k-means estimator's id of each cluster (predict renumbers with it)
        for name, value in attributes.items():
            setattr(self, name, value)

    @property
    def data(self):
        """The collection as given to :func:`featclf.cluster` (a dataset, list or array); None once loaded."""
        return self._data

    # -- pickling: the collection itself is not part of the saved clustering ------------
    def __getstate__(self):
        state = dict(self.__dict__)
        state["_data"] = None
        return state

    def __repr__(self) -> str:
        n = len(self.labels_)
        parts = [f"{self.n_clusters_} clusters of {n - self.n_skipped} images"]
        if self.n_noise:
            parts.append(f"{self.n_noise} noise")
        if self.n_skipped:
            parts.append(f"{self.n_skipped} skipped")
        return f"ClusteringResult({', '.join(parts)}; {self.config_['method']}, {self.config_['extractor']['label']})"

    # -- counts ---------------------------------------------------------------------------
    @property
    def n_noise(self) -> int:
        """Images left in no cluster (HDBSCAN's noise)."""
        return int(np.sum(self.labels_ == NOISE))

    @property
    def n_skipped(self) -> int:
        """Inputs that could not be used."""
        return int(np.sum(self.labels_ == SKIPPED))

    def summary(self) -> str:
        """A few lines for people: k, sizes, noise, skipped, silhouette, NMI/ARI when labels are known."""
        m = self.metrics_
        lines = [f"{self.n_clusters_} clusters ({self.config_['method']}, {self.config_['extractor']['label']}, "
                 f"{self.config_['space']})"]
        sizes = ", ".join(str(int(s)) for s in self.cluster_sizes_[:20])
        more = " ..." if self.n_clusters_ > 20 else ""
        lines.append(f"sizes: {sizes}{more}")
        if self.n_noise:
            lines.append(f"noise: {self.n_noise} images")
        if self.n_skipped:
            lines.append(f"skipped: {self.n_skipped} inputs that could not be read")
        scores = [f"{name} {m[key]:.3f}" for key, name in (("silhouette", "silhouette"),
                                                              ("davies_bouldin", "Davies-Bouldin"))
                  if m.get(key) is not None]
        if m.get("nmi") is not None:
            scores += [f"NMI {m['nmi']:.3f}", f"ARI {m['ari']:.3f}", f"matched accuracy {m['matched_accuracy']:.3f}"]
        if scores:
            scored = f" (internal scores on the {m['n_scored']} clustered images)" if self.n_noise else ""
            lines.append(", ".join(scores) + scored)
        return "\n".join(lines)

    # -- new images -----------------------------------------------------------------------
    def _extract(self, sources, on_error, n_jobs, verbose) -> Extraction:
        """Features of new images with the fitted extractor: a record (rows and skipped inputs)."""
        extractor = self.extractor_
        if isinstance(extractor, BaseExtractor):
            run = copy.copy(extractor)  # fitted state shared, run settings changed on the copy only
            settings = {"on_error": on_error, "verbose": verbose}
            if n_jobs is not None:
                settings["n_jobs"] = n_jobs
            run.set_params(**settings)
            return run.extract(sources)
        features = np.asarray(extractor.transform(sources), dtype=np.float32)
        return Extraction(features, np.arange(len(features), dtype=np.intp), [], len(features))

    def _assign(self, space) -> tuple[np.ndarray, np.ndarray]:
        """Cluster and distance to the nearest centre of rows of the clustering space (see :meth:`predict`)."""
        nearest, distance = nearest_centres(space, self.centres_)
        if self.n_clusters_ == 0:  # HDBSCAN found no cluster: everything is noise
            return nearest, distance
        if self.model_ is not None:  # k-means: its own predict, the rule that made labels_
            own = self._old_to_new[np.asarray(self.model_.predict(space), np.int64)]
            # a centre k-means left empty (duplicate images) is no cluster: the nearest real one instead
            nearest = np.where(own >= 0, own, nearest)
        elif self._radii is not None:  # HDBSCAN: outside every cluster's reach is noise
            nearest = np.where(distance <= self._radii[np.maximum(nearest, 0)], nearest, NOISE)
        return nearest, distance

    @property
    def _old_to_new(self) -> np.ndarray:
        lookup = np.full(len(self.model_.cluster_centers_), NOISE, dtype=np.int64)
        lookup[self._model_ids] = np.arange(len(self._model_ids))
        return lookup

    def predict(self, sources, *, on_error="skip", n_jobs=None, verbose=0) -> np.ndarray:
        """The cluster of new images, with the fitted extractor, scaling, reduction and centres.

        Assignment rule, by method:

        * k-means: the nearest centre (the fitted estimator's own ``predict``), so the
          images clustered get back their ``labels_`` (same features, same rule);
        * agglomerative: the nearest cluster centroid (the mean of its images). A
          hierarchical clustering has no rule for new points; the nearest centroid is
          the usual stand-in, and an image it clustered may come out elsewhere;
        * HDBSCAN: the nearest centroid when the image is no farther from it than the
          farthest image of that cluster, else ``NOISE`` (-1).

        With ``reduce='umap'`` new images go through UMAP's ``transform``, which places
        even the clustered images slightly differently from the embedding they were
        clustered in.

        Parameters
        ----------
        sources : list of image sources, dataset, or ndarray of shape (N, H, W[, C])
        on_error : {'skip', 'raise'}, default='skip'
            An image that cannot be used gets ``SKIPPED`` (-2), with a SkippedImagesWarning
            naming it; ``'raise'``: its error.
        n_jobs : int, optional
            Decoding workers (default: the extractor's own setting).
        verbose : int, default=0

        Returns
        -------
        ndarray of shape (n_inputs,), int64
            One cluster per input, in input order: never a shorter output.

        Raises
        ------
        InvalidParameterError
            A bad parameter.
        FeatclfError
            With ``on_error='raise'``, the first image that cannot be used.
        """
        check_option("on_error", on_error, ON_ERROR_OPTIONS, "predict")
        check_n_jobs(n_jobs, "predict")
        check_int("verbose", verbose, minimum=0, owner="predict")
        record = self._extract(sources, on_error, n_jobs, verbose)
        labels = np.full(record.n_inputs, SKIPPED, dtype=np.int64)
        if record.n_kept:
            labels[record.indices] = self._assign(to_space(self.space_, record.features))[0]
        warn_skipped(record.skipped, record.n_inputs)
        return labels

    def similar(self, query, n: int = 5) -> Neighbours:
        """The images of the collection nearest to ``query``, in the clustering space.

        Parameters
        ----------
        query : int or image source
            An input position of the clustered collection (the query itself is left
            out of the answer), or a new image (path, array, PIL image, bytes), which
            goes through the fitted extractor, scaling and reduction.
        n : int, default=5
            How many (fewer when the collection holds fewer).

        Returns
        -------
        Neighbours
            ``indices``, ``distances`` (float64) and ``sources``, nearest first (ties:
            input order).

        Raises
        ------
        InvalidParameterError
            A position out of range or of a skipped input (it has no features).
        FeatclfError
            A new image that cannot be read (its own error: path and reason).
        """
        n = check_int("n", n, minimum=1, owner="similar")
        exclude = None
        if isinstance(query, (int, np.integer)) and not isinstance(query, bool):
            index = int(query)
            if not 0 <= index < len(self.labels_):
                raise InvalidParameterError(
                    f"similar: query {index} is not a position of the clustered collection (0 to "
                    f"{len(self.labels_) - 1}). Pass a position, or a new image (a path or an array)."
                )
            row = np.searchsorted(self.indices_, index)
            if row >= len(self.indices_) or self.indices_[row] != index:
                reason = next((s.reason for s in self.skipped_ if s.index == index), "it was skipped")
                raise InvalidParameterError(
                    f"similar: input {index} ({self.sources_[index]}) could not be used ({reason}), so it has no "
                    "features to compare. Pass another position, or a readable image."
                )
            point, exclude = self.embedding_[row], row
        else:
            try:
                record = self._extract([query], "raise", None, 0)
            except (ImageLoadError, InvalidImageError) as exc:  # its hint is about batch options similar lacks
                raise type(exc)(exc.source, exc.reason, "similar() needs a readable query image: pass another "
                                "file, an array, or the position of an image of the collection") from None
            point = to_space(self.space_, record.features)[0]
        distances = distances_to(self.embedding_, point)
        if exclude is not None:
            distances[exclude] = np.inf
        order = np.lexsort((self.indices_, distances))[: min(n, len(distances) - (exclude is not None))]
        indices = self.indices_[order]
        return Neighbours(indices, distances[order], [self.sources_[i] for i in indices])

    # -- tables -----------------------------------------------------------------------------
    def contingency(self):
        """Images per cluster and known class (the cluster x class table).

        Returns
        -------
        table : ndarray of shape (n_rows, n_classes), int64
            Rows: clusters ``0 .. n_clusters_ - 1``, then a ``'noise'`` row when there is
            noise; columns: ``classes_``. Skipped inputs are not counted.
        rows : list of int or str
        classes : list of str

        Raises
        ------
        InvalidParameterError
            When no true labels are known.
        """
        if self.true_labels_ is None:
            raise InvalidParameterError(
                "contingency: no true labels are known for this clustering. Cluster an ImageFolder, or pass "
                "labels= to featclf.cluster."
            )
        rows = list(range(self.n_clusters_)) + (["noise"] * bool(self.n_noise))
        table = np.zeros((len(rows), len(self.classes_)), dtype=np.int64)
        used = self.labels_ != SKIPPED
        row_of = np.where(self.labels_[used] == NOISE, self.n_clusters_, self.labels_[used])
        np.add.at(table, (row_of, self.true_labels_[used]), 1)
        return table, rows, list(self.classes_)

    # -- exports ----------------------------------------------------------------------------
    def _flags(self):
        exemplar = np.zeros(len(self.labels_), dtype=bool)
        for members in self.exemplars_:
            exemplar[members] = True
        outlier = np.zeros(len(self.labels_), dtype=bool)
        outlier[self.outliers_] = True
        return exemplar, outlier

    def to_csv(self, path) -> None:
        """Write one row per input, in input order: where each image went.

        Columns: ``index`` (input position), ``source`` (path, or ``"item N (type)"``),
        ``cluster`` (the id; ``noise`` for noise; empty for a skipped input), ``distance``
        (to its cluster's centre, in the clustering space; empty for noise and skipped),
        ``exemplar`` and ``outlier`` (1 or 0: among ``exemplars_`` / ``outliers_``),
        ``reason`` (why a skipped input could not be used; empty otherwise), and ``class``
        (the known class) when true labels are known. UTF-8, written with :mod:`csv`.

        Parameters
        ----------
        path : str or path-like
            Overwritten if it exists.
        """
        exemplar, outlier = self._flags()
        reasons = {s.index: s.reason for s in self.skipped_}
        labelled = self.true_labels_ is not None
        with open(path, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(CSV_COLUMNS + (("class",) if labelled else ()))
            for i, (label, distance) in enumerate(zip(self.labels_, self.distances_)):
                cluster = "" if label == SKIPPED else "noise" if label == NOISE else int(label)
                row = [i, self.sources_[i], cluster, "" if np.isnan(distance) else f"{distance:.6g}",
                       int(exemplar[i]), int(outlier[i]), reasons.get(i, "")]
                if labelled:
                    row.append(self.classes_[self.true_labels_[i]])
                writer.writerow(row)

    def to_dict(self) -> dict:
        """Everything :meth:`to_json` writes, as plain Python (see there for the layout)."""
        from .._version import __version__

        def image(i, distance):
            return {"index": int(i), "source": self.sources_[i], "distance": distance}

        clusters = [{"cluster": j, "size": int(self.cluster_sizes_[j]),
                     "exemplars": [image(i, self.distances_[i]) for i in self.exemplars_[j]]}
                    for j in range(self.n_clusters_)]
        k_selection = None
        if self.k_curve_ is not None:
            k_selection = {"criterion": "silhouette", "chosen": self.config_["n_clusters_chosen"],
                           "curve": self.k_curve_}
        contingency = None
        if self.true_labels_ is not None:
            table, rows, classes = self.contingency()
            contingency = {"rows": rows, "classes": classes, "table": table}
        return json_ready({
            "schema_version": JSON_SCHEMA_VERSION,
            "generator": f"featclf {__version__}",
            "created": self.created_,
            "dataset": {**self.dataset_, "n_clustered": int(np.sum(self.labels_ >= 0)), "n_noise": self.n_noise,
                        "n_skipped": self.n_skipped, "classes": self.classes_},
            "config": self.config_,
            "n_clusters": self.n_clusters_,
            "cluster_sizes": self.cluster_sizes_,
            "clusters": clusters,
            "outliers": [image(i, d) for i, d in zip(self.outliers_, self.outlier_distances_)],
            "metrics": self.metrics_,
            "k_selection": k_selection,
            "contingency": contingency,
            "skipped": [{"index": int(s.index), "source": s.source, "reason": s.reason} for s in self.skipped_],
            "timings": self.timings_,
            "versions": self.versions_,
        })

    def to_json(self, path=None, *, indent: int = 2) -> str:
        """The clustering as JSON (written to ``path`` when given); returns the text.

        Layout (``schema_version`` 1; fields are only added within a version; floats that
        are not finite are written as ``null``)::

            {
              "schema_version": 1, "generator": "featclf X.Y", "created": ISO 8601 UTC,
              "dataset": {"name", "n_inputs", "fingerprint": {"n_images", "sha256", "class_counts"},
                          "left_out": {"n", "kinds", "extensions", "examples"},
                          "n_clustered", "n_noise", "n_skipped", "classes": [str] | null},
              "config": {"extractor": {"label", "name", "spec", "params", "fitted"}, "preprocess",
                         "preprocess_requested", "reduce", "n_components",
                         "umap": {"n_neighbors", "min_dist"} | null, "space", "method",
                         "method_params", "algorithm", "n_clusters_requested", "n_clusters_chosen",
                         "k_range", "random_state", "silhouette_sample_size", "on_error", "n_jobs",
                         "max_pixels", "n_exemplars", "n_outliers", "numbering"},
              "n_clusters": int, "cluster_sizes": [int],
              "clusters": [{"cluster", "size", "exemplars": [{"index", "source", "distance"}]}],
              "outliers": [{"index", "source", "distance"}],   # distance to the nearest centre
              "metrics": {"silhouette", "silhouette_sample_size", "davies_bouldin",
                          "calinski_harabasz", "n_scored", "nmi", "ari", "matched_accuracy",
                          "matching": {cluster: class index}},  # agreement: null without labels
              "k_selection": {"criterion": "silhouette", "chosen": k,
                              "curve": [{"k", "silhouette", "inertia", "n_clusters_found"}]} | null,
              "contingency": {"rows": [cluster | "noise"], "classes": [str], "table": [[int]]} | null,
              "skipped": [{"index", "source", "reason"}],
              "timings": {"extract_s", "space_s", "cluster_s", "metrics_s", "total_s"},
              "versions": {"featclf", "python", "numpy", "scikit-learn", ...}
            }

        Per-image rows are in :meth:`to_csv`.
        """
        text = json.dumps(self.to_dict(), indent=indent, ensure_ascii=False, allow_nan=False)
        if path is not None:
            with open(path, "w", encoding="utf-8") as f:
                f.write(text + "\n")
        return text

    def to_html(self, path=None, *, max_per_cluster: int = 24) -> str:
        """The clustering as one self-contained HTML page (written to ``path`` when given); returns the text.

        The page (:func:`featclf.report.clustering_to_html`): key figures and metrics; a
        table of the clusters; a 2-D projection (PCA) of the clustering space coloured by
        cluster (at most 20,000 images drawn); the k-selection curve with
        ``n_clusters='auto'``; the cluster x class table when classes are known; a
        thumbnail gallery per cluster, exemplars first and the others, nearest the centre
        first, in a collapsed section, at most ``max_per_cluster`` each (the page says how
        many are not shown); noise; outliers; every skipped input with its reason;
        configuration and versions. Every image is an embedded ``data:`` URI and the style
        is inline: the file references nothing outside itself. The charts need matplotlib
        (``pip install "featclf[report]"``); without it the page says so and keeps the
        tables and thumbnails.

        Thumbnails are decoded from the collection (:attr:`data`); a loaded clustering has
        only the paths in ``sources_``, and its in-memory images show "could not load".

        Parameters
        ----------
        path : str or path-like, optional
            Written as UTF-8 (overwritten if it exists).
        max_per_cluster : int, default=24
            Thumbnails per cluster (also caps the noise and outlier galleries).

        Raises
        ------
        InvalidParameterError
            ``max_per_cluster`` is not an int >= 1.
        """
        from ..report import clustering_to_html

        max_per_cluster = check_int("max_per_cluster", max_per_cluster, minimum=1, owner="to_html")
        text = clustering_to_html(self, max_per_cluster=max_per_cluster)
        if path is not None:
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
        return text

    def export_folders(self, dest, mode="symlink") -> dict:
        """Write one folder per cluster, for an analyst to look at and rename into class names.

        Layout of ``dest``: ``cluster_00``, ``cluster_01``, ... (cluster ids, zero-padded to
        at least two digits so they sort by id; 0 is the largest cluster), ``noise`` for
        HDBSCAN's noise when there is any, and ``.featclf-export.csv`` listing every input
        (``index``, ``source``, ``folder``, ``file`` relative to ``dest``, and ``reason`` for
        a skipped input, which is not exported). Each image is named ``<input index>_<its
        file name>`` (the index zero-padded to a fixed width), so two images with the same
        file name never collide and every file leads back to its row of :meth:`to_csv`.
        In-memory images (arrays, PIL images, bytes) are written as ``<index>.png`` in
        either mode, grey, RGB or RGBA as decoded.

        Renamed into class names (or merged, or pruned), the folders read back as
        :class:`featclf.ImageFolder` to train a classifier; the listing is a hidden file,
        which the scan leaves out without a warning. With ``mode='symlink'`` two inputs that
        are the same file (the same path twice, or two links to one file) follow
        ImageFolder's rule: one image, or none when they landed in two clusters.

        The originals are never moved, renamed, changed or overwritten: files are linked
        or copied into a new folder.

        Parameters
        ----------
        dest : str or path-like
            A folder that does not exist yet (created, with its parents) or is empty.
            Refused when it is inside the dataset's folder or the folder of any clustered
            image (symbolic links resolved): the export would add files to the collection.
        mode : {'symlink', 'copy'}, default='symlink'
            ``'symlink'``: absolute symbolic links to the originals (no space used; the
            folders break if the originals move). ``'copy'``: copies, with the originals'
            modification times and permission bits.

        Returns
        -------
        dict
            ``{folder name: number of images}``, clusters in id order, then ``noise``.

        Raises
        ------
        InvalidParameterError
            A bad ``mode``; ``dest`` is a file, not empty, or inside the source tree; a
            clustered image is no longer a file (or, for a loaded clustering, was an
            in-memory image: only the result :func:`featclf.cluster` returned holds those).
            Nothing is written then.
        OSError
            The folder cannot be written (e.g. no space, or a file system without
            symbolic links: use ``mode='copy'``).
        """
        from ._folders import export_folders

        return export_folders(self, dest, mode)

    def save(self, path) -> None:
        """Save the fitted clustering to one file, to assign new images elsewhere (:func:`featclf.load_clustering`).

        The file is a zip archive holding ``manifest.json`` (format, versions, configuration,
        sizes: readable without loading anything, :func:`featclf.clustering.read_manifest`)
        and the pickled result (joblib). It holds the extractor's settings (not a CNN's
        weights, reloaded from the backbone on use), the scaling and reduction, the centres
        and the clustering space of the collection (``n_used x n_dims`` float32, for
        :meth:`similar`), not the images. Written to a temporary file first, then renamed:
        an existing file is replaced only by a complete one.
        """
        save_payload(self, path, json_ready({
            "created": self.created_,
            "versions": self.versions_,
            "config": self.config_,
            "n_clusters": self.n_clusters_,
            "cluster_sizes": self.cluster_sizes_,
            "n_inputs": len(self.labels_),
            "dataset": self.dataset_,
        }), kind="featclf-clustering")


def load_clustering(path) -> ClusteringResult:
    """Load a clustering saved with :meth:`ClusteringResult.save`.

    **Loading runs code** from the file (a pickle, as any scikit-learn model): load only
    files you trust. Its manifest alone can be read safely with
    :func:`featclf.clustering.read_manifest`.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    ClusteringResult
        Ready for :meth:`~ClusteringResult.predict`, :meth:`~ClusteringResult.similar`
        and the exports (the images are not saved: ``sources_`` names them).

    Warns
    -----
    VersionMismatchWarning
        (a FeatclfWarning) The file was saved with other versions of featclf or of the libraries that make
        its numbers (scikit-learn, numpy, SciPy, torch, umap-learn, OpenCV,
        scikit-image): the message lists them; new images may be assigned differently.

    Raises
    ------
    ModelFileError
        No such file, not a featclf clustering file, a newer format, or a payload that
        cannot be unpickled (e.g. saved with umap-learn, not installed here).

    Examples
    --------
    >>> result.save("clusters.featclf")                          # doctest: +SKIP
    >>> featclf.load_clustering("clusters.featclf").predict(["new.png"])  # doctest: +SKIP
    array([3])
    """
    return load_saved(path, expected=ClusteringResult, kind="featclf-clustering")[0]


def check_save_path(path, *, option: str | None = None) -> None:
    """Refuse, before any work, a place a clustering cannot be saved to (see :func:`featclf.stages.check_save_path`).

    Raises
    ------
    ModelFileError
        ``path`` is a folder, its folder does not exist or is a file, or cannot be written in.
    """
    _check_save_path(path, kind="featclf-clustering", option=option)


def read_manifest(path) -> dict:
    """The manifest of a saved clustering, read without unpickling anything (safe on any file).

    Raises
    ------
    ModelFileError
        No such file, not a zip archive, no featclf clustering manifest, or a newer format.
    """
    return _read_manifest(path, kind="featclf-clustering")


def created_now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def source_names(sources) -> list[str]:
    """Each input's name for exports: its path, or ``"item N (type)"``."""
    from ..io import describe_source

    return [describe_source(s, i) for i, s in enumerate(as_sources(sources))]
