"""``featclf cluster DATA -k K|auto --extractor SPEC --out DIR``: cluster a collection, write CSV, JSON and HTML."""

from __future__ import annotations

import argparse
import os
import sys
import textwrap
import warnings

from ..exceptions import FeatclfWarning, SkippedImagesWarning
from ._cache import add_cache_option
from ._data import DATA_HELP, open_collection, stratified_subset
from ._options import (
    _max_pixels,
    _n_jobs,
    _non_negative,
    _positive,
    add_device_and_verbose,
    add_manifest_options,
    check_manifest_options,
    with_device,
)

DEFAULT_OUT = "featclf-clusters"
#: Where ``--export-folders`` writes, inside ``--out``.
FOLDERS = "folders"
OUTPUTS = {"csv": "clusters.csv", "json": "clusters.json", "html": "clusters.html"}


def _k(text: str):
    if text == "auto":
        return text
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid value {text!r}: expected a number of clusters >= 2 or 'auto'") \
            from None
    if value < 2:
        raise argparse.ArgumentTypeError(f"invalid value {text!r}: expected a number of clusters >= 2 or 'auto'")
    return value


def add_parser(subparsers):
    from ..clustering import DEFAULT_EXTRACTOR, EXPORT_MODES, METHODS, REDUCE_OPTIONS
    from ..io import DEFAULT_MAX_PIXELS

    parser = subparsers.add_parser(
        "cluster", help="cluster unlabelled images and write clusters.csv, clusters.json and clusters.html",
        description=textwrap.fill(
            "Cluster the images of DATA (k-means with k chosen by silhouette by default) and write "
            "clusters.csv (one row per input, in input order), clusters.json (metrics, k curve, sizes, "
            "configuration) and clusters.html (galleries per cluster). A folder whose images are all in "
            "subfolders is read as labelled (subfolders = classes, used only to score the clusters: NMI, "
            "ARI); a folder holding images directly, or any folder with --unlabelled, as every image below it.",
            79),
        epilog="examples:\n"
               "  featclf cluster photos/ --out clusters\n"
               "  featclf cluster photos/ -k 8 -e hog:size=64x64 --reduce umap --export-folders symlink\n"
               "  featclf cluster photos/ -e hog:size=64x64 --save photos.clusters   # then, in Python:\n"
               "      featclf.load_clustering('photos.clusters').predict(['new.jpg'])\n"
               "  featclf cluster fashion-mnist --limit 2000 -e hog -k 10 --reduce pca\n"
               "  featclf cluster fashion-mnist --split test -e hog -k 10 --reduce umap",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("data", metavar="DATA", help=DATA_HELP + "; for cluster, also a flat folder of images")
    parser.add_argument("-k", "--n-clusters", type=_k, default="auto", metavar="K|auto", dest="n_clusters",
                        help="number of clusters, or 'auto' (default): the best mean silhouette over k = 2 to "
                             "min(20, n/5); hdbscan finds k itself")
    parser.add_argument("-e", "--extractor", default=DEFAULT_EXTRACTOR, metavar="SPEC",
                        help=f"NAME or NAME:key=value,... (default: {DEFAULT_EXTRACTOR}, needs torch); see "
                             "featclf.list_extractors()")
    parser.add_argument("--reduce", choices=[r for r in REDUCE_OPTIONS if r is not None], default=None,
                        help="reduce the features first: PCA to 50 dimensions, or UMAP (umap-learn) to 10")
    parser.add_argument("--method", default="kmeans", metavar="|".join(METHODS),
                        help="clustering method, optionally with parameters, e.g. hdbscan:min_cluster_size=10 "
                             "(default: kmeans)")
    parser.add_argument("--out", metavar="DIR", default=DEFAULT_OUT,
                        help=f"folder for clusters.csv, clusters.json and clusters.html (default: ./{DEFAULT_OUT}); "
                             "those files are replaced")
    parser.add_argument("--export-folders", choices=EXPORT_MODES, default=None, metavar="symlink|copy",
                        help=f"also write DIR/{FOLDERS}/cluster_00, ... with links to (or copies of) the images, to "
                             "look at and rename into class folders; DIR/folders must not exist or be empty")
    parser.add_argument("--save", metavar="MODEL", default=None,
                        help="also save the fitted clustering to the file MODEL (replaced if it exists; its folder "
                             "must exist, or be DIR), to assign new images later: "
                             "featclf.load_clustering(MODEL).predict(sources)")
    parser.add_argument("--limit", type=_positive, default=None, metavar="N",
                        help="cluster a random subset of at most N images, seeded by --seed (stratified by class "
                             "when DATA has classes), e.g. for a quick look at a large collection")
    parser.add_argument("--split", choices=("train", "test"), default=None,
                        help="fashion-mnist: which split to cluster (default: train)")
    parser.add_argument("--unlabelled", action="store_true",
                        help="read a folder as unlabelled even when its images are all in subfolders")
    parser.add_argument("--on-error", choices=("skip", "raise"), default="skip",
                        help="unreadable images: skip them (listed in the outputs; default) or stop")
    add_manifest_options(parser)
    parser.add_argument("--max-pixels", type=_max_pixels, default=DEFAULT_MAX_PIXELS, metavar="N|none",
                        help="largest image decoded, width x height pixels; larger files are skipped as "
                             "unreadable (default: 178956970; 'none': no limit)")
    parser.add_argument("--n-jobs", type=_n_jobs, default=None, metavar="N",
                        help="parallel decoding workers (default: 1; -1: all cores); the clusters are the same for "
                             "every N")
    parser.add_argument("--max-thumbnails", type=_positive, default=24, metavar="N",
                        help="thumbnails per cluster in clusters.html (default: 24)")
    parser.add_argument("--seed", type=_non_negative, default=0,
                        help="random_state of the clustering, and of --limit's subset (default: 0)")
    add_cache_option(parser)
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    add_device_and_verbose(parser)
    parser.set_defaults(run=run)
    return parser


def run(args) -> int:
    from ..clustering import check_export_folder, check_save_path, cluster
    from ..datasets import describe_left_out
    from ..exceptions import InvalidParameterError, ModelFileError
    from ..report import check_output_dir

    check_manifest_options(args)
    if args.split is not None and args.data.partition(":")[0] != "fashion-mnist":
        raise InvalidParameterError(f"--split picks a split of fashion-mnist, and DATA is {args.data!r}: drop "
                                    f"--split {args.split}.")
    extractor = with_device(args.extractor, args.device)
    check_output_dir(args.out, option="--out")
    in_new_out = args.save is not None and not os.path.exists(args.out) and \
        os.path.dirname(os.path.abspath(args.save)) == os.path.abspath(args.out)
    if args.save is not None and not in_new_out:  # into a new --out folder: checked as --out, created below
        try:
            check_save_path(args.save, option="--save")
        except ModelFileError as exc:  # a usage error here, found before any work
            raise InvalidParameterError(str(exc)) from None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", FeatclfWarning)
        dataset = open_collection(args.data, unlabelled=args.unlabelled, split=args.split or "train",
                                  allow_outside=args.allow_outside, encoding=args.csv_encoding)
    _say(caught)
    folders = os.path.join(args.out, FOLDERS)
    if args.export_folders:  # refused before extraction: a full folder, or one inside the images' own folder
        try:
            check_export_folder(folders, dataset.sources, getattr(dataset, "root", None), option="--export-folders")
        except InvalidParameterError as exc:
            raise InvalidParameterError(f"{exc} On the command line the folders go to DIR/{FOLDERS}: pass another "
                                        "--out DIR.") from None
    n_all = len(dataset)
    if args.limit is not None:
        dataset = stratified_subset(dataset, args.limit, random_state=args.seed)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", FeatclfWarning)
        warnings.simplefilter("ignore", SkippedImagesWarning)  # said below in one line, and listed in the outputs
        result = cluster(dataset, extractor, args.n_clusters, reduce=args.reduce, method=args.method,
                         random_state=args.seed, n_jobs=args.n_jobs, on_error=args.on_error,
                         max_pixels=args.max_pixels, cache_dir=args.cache_dir, verbose=0 if args.quiet else 1)
    _say(caught)
    check_output_dir(args.out, option="--out", create=True)
    paths = {kind: os.path.join(args.out, name) for kind, name in OUTPUTS.items()}
    result.to_csv(paths["csv"])
    result.to_json(paths["json"])
    result.to_html(paths["html"], max_per_cluster=args.max_thumbnails)
    print(result.summary())
    if len(dataset) < n_all:
        kind = "stratified by class" if dataset.labels is not None else "a random sample"
        print(f"Subset: {len(dataset)} of {n_all} images (--limit {args.limit}, {kind}, --seed {args.seed}).")
    elif args.limit is not None:
        print(f"All {n_all} images: --limit {args.limit} is not below their number.")
    if result.skipped_:
        first = result.skipped_[0]
        print(f"Skipped {len(result.skipped_)} unreadable images, e.g. {first.source}: {first.reason} (all listed in "
              "clusters.csv and clusters.html).")
    left_out = describe_left_out(result.dataset_["left_out"]) if result.dataset_.get("left_out") else ""
    if left_out:
        print(f"Folder scan of {result.dataset_['name']}: {left_out} (counted in clusters.json).")
    print(f"Clusters: {os.path.abspath(paths['html'])} (also clusters.csv, clusters.json)")
    if args.save is not None:
        result.save(args.save)
        print(f"Model: {os.path.abspath(args.save)} (assign new images with "
              f"featclf.load_clustering({args.save!r}).predict(sources))")
    if args.export_folders:
        counts = result.export_folders(folders, mode=args.export_folders)
        kind = "links to" if args.export_folders == "symlink" else "copies of"
        print(f"Folders: {os.path.abspath(folders)} ({len(counts)} folders of {kind} the images; rename them into "
              "class names to train a classifier on them)")
    sys.stdout.flush()
    return 0


def _say(caught, command: str = "cluster") -> None:
    """featclf's warnings as one line each on stderr (``featclf COMMAND: warning: ...``); others as Python shows."""
    for warning in caught:
        if issubclass(warning.category, FeatclfWarning):
            print(f"featclf {command}: warning: {' '.join(str(warning.message).split())}", file=sys.stderr)
        else:
            warnings.showwarning(warning.message, warning.category, warning.filename, warning.lineno)
