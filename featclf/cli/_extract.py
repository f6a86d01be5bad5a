"""``featclf extract DATA -e SPEC [-e SPEC ...] -o FEATURES.npz``: features to a file, one row per input.

A thin layer over :func:`featclf.stages.compute_features` (one engine pass: each image
decoded once for every extractor) and :func:`featclf.report.write_features` (the file
layout, readable with numpy alone: :func:`featclf.report.read_features`).
"""

from __future__ import annotations

import argparse
import os
import sys
import textwrap
import warnings

from ..exceptions import FeatclfWarning, SkippedImagesWarning
from ._cache import add_cache_option
from ._cluster import _say
from ._data import DATA_HELP, open_collection
from ._options import (
    _max_pixels,
    _n_jobs,
    add_device_and_verbose,
    add_manifest_options,
    check_manifest_options,
    with_devices,
)

DEFAULT_EXTRACTOR = "hog"


def add_parser(subparsers):
    from ..io import DEFAULT_MAX_PIXELS

    parser = subparsers.add_parser(
        "extract", help="compute features of images with one or more extractors and write them to .npz or .parquet",
        description=textwrap.fill(
            "Compute the features of every image of DATA with each extractor (one pass: each image is decoded "
            "once for all of them) and write them to FEATURES.npz (numpy; read it back with numpy.load(path, "
            "allow_pickle=False)) or FEATURES.parquet (needs pyarrow). The file has one row per input, in input "
            "order: features/SPEC (float32, NaN where that extractor could not use the input), kept/SPEC "
            "(bool), feature_names/SPEC, sources, labels (-1 when unlabelled), class_names, and the record "
            "(JSON: every skipped input and why, each extractor's full configuration, the data's fingerprint, "
            "versions). A folder with images directly in it is read as unlabelled.", 79),
        epilog="examples:\n"
               "  featclf extract photos/ -e hog:size=64x64 -e colorhist -o features.npz\n"
               "  featclf extract labels.csv -e cnn:input_size=64 -o embeddings.npz --n-jobs 2\n"
               "  featclf extract digits -e pixels -e hog:size=16x16,pixels_per_cell=4x4 -o digits.parquet\n"
               "\n"
               "reading it back:\n"
               "  data = numpy.load('features.npz', allow_pickle=False)\n"
               "  X, y = data['features/hog:size=64x64'], data['labels']",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("data", metavar="DATA", help=DATA_HELP + "; also a flat folder of images (unlabelled)")
    parser.add_argument("-e", "--extractor", action="append", metavar="SPEC", dest="extractors",
                        help=f"NAME or NAME:key=value,..., repeatable (default: {DEFAULT_EXTRACTOR}); see "
                             "'featclf list'")
    parser.add_argument("-o", "--output", metavar="FEATURES", required=True,
                        help="the file to write: .npz, or .parquet (needs pyarrow); replaced if it exists")
    parser.add_argument("--on-error", choices=("skip", "raise"), default="skip",
                        help="unreadable images: keep their rows as NaN, marked and listed in the record "
                             "(default), or stop")
    add_manifest_options(parser)
    parser.add_argument("--max-pixels", type=_max_pixels, default=DEFAULT_MAX_PIXELS, metavar="N|none",
                        help="largest image decoded, width x height pixels; larger files are skipped as "
                             "unreadable (default: 178956970; 'none': no limit)")
    parser.add_argument("--n-jobs", type=_n_jobs, default=None, metavar="N",
                        help="parallel decoding workers (default: 1; -1: all cores); the features are the same "
                             "for every N")
    add_cache_option(parser)
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    add_device_and_verbose(parser)
    parser.set_defaults(run=run)
    return parser


def run(args) -> int:
    from ..exceptions import InvalidParameterError
    from ..models import resolve_extractor
    from ..report import check_features_path, write_features
    from ..stages import (
        check_cache_setting,
        check_extractor_ready,
        compute_features,
        configure_extractor,
        run_cache_dir,
    )

    check_manifest_options(args)
    check_features_path(args.output, option="-o")  # before any work: suffix, folder, pyarrow for .parquet
    check_cache_setting(args.cache_dir, "--cache-dir")
    components = [resolve_extractor(e) for e in with_devices(args.extractors or [DEFAULT_EXTRACTOR], args.device)]
    keys = [c.spec or c.label for c in components]
    twice = next((k for k in keys if keys.count(k) > 1), None)
    if twice is not None:
        raise InvalidParameterError(f"-e {twice} is given twice (as the same extractor): give each extractor once.")
    verbose = 0 if args.quiet else 1
    extractors = [configure_extractor(c, args.on_error, args.n_jobs, verbose, args.max_pixels) for c in components]
    for extractor in extractors:
        check_extractor_ready(extractor)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", FeatclfWarning)
        dataset = open_collection(args.data, allow_outside=args.allow_outside, encoding=args.csv_encoding)
    _say(caught, args.command)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", FeatclfWarning)
        warnings.simplefilter("ignore", SkippedImagesWarning)  # said below in one line, and listed in the record
        feature_sets = compute_features(extractors, dataset, on_error=args.on_error, n_jobs=args.n_jobs,
                                        verbose=verbose, cache_dir=run_cache_dir(args.cache_dir, components))
    _say(caught, args.command)
    record = write_features(args.output, dataset, keys, [c.label for c in components], extractors, feature_sets)
    n = record["n_inputs"]
    shapes = ", ".join(f"{e['spec']}: {e['n_features']}" for e in record["extractors"])
    print(f"Features of {n} inputs ({shapes} features each): {os.path.abspath(args.output)}")
    if record["skipped"]:
        first = record["skipped"][0]
        print(f"Skipped {len(record['skipped'])} unreadable inputs, e.g. {first['source']}: {first['reason']} "
              "(their rows are NaN, kept/SPEC is False; all listed in the record).")
    cached = [fs.train.cache for fs in feature_sets if fs.train is not None and fs.train.cache]
    if cached:
        hits, computed = sum(c["hits"] for c in cached), sum(c["computed"] for c in cached)
        written = "written" if all(c.get("written", True) for c in cached) else "not all written (see the warning)"
        print(f"Feature cache {cached[0]['path']}: {hits:,} rows read, {computed:,} computed and {written}.")
    sys.stdout.flush()
    return 0
