"""``featclf train DATA -e SPEC -c SPEC -o MODEL``: train one extractor + classifier and save it to a model file."""

from __future__ import annotations

import argparse
import sys
import textwrap
import warnings

from ..exceptions import FeatclfWarning, SkippedImagesWarning
from ._data import DATA_HELP
from ._evaluate import _open
from ._options import add_manifest_options, add_run_options, check_manifest_options, with_device


def add_parser(subparsers):
    from ..evaluation import DEFAULT_CLASSIFIERS

    parser = subparsers.add_parser(
        "train", help="train one extractor + classifier on labelled images and save the model",
        description=textwrap.fill(
            "Train one extractor + classifier on every image of DATA and save it to MODEL, a zip file holding "
            "manifest.json (versions, full configuration, class names, a fingerprint of DATA; see featclf info) "
            "and the pickled model. Use featclf evaluate first to choose the combination (or featclf evaluate "
            "--save-best MODEL). Loading a model file runs code (a pickle): share and load only trusted files.",
            79),
        epilog="examples:\n"
               "  featclf train photos/ -e hog:size=64x64 -c svm -o photos.featclf\n"
               "  featclf train labels.csv -e cnn:input_size=128 -c logreg -o model.featclf --device cuda\n"
               "  featclf predict photos.featclf new/ -o predictions.csv",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("data", metavar="DATA", help=DATA_HELP)
    parser.add_argument("-e", "--extractor", default="hog:size=64x64", metavar="SPEC",
                        help="NAME or NAME:key=value,... (default: hog:size=64x64); see featclf.list_extractors()")
    parser.add_argument("-c", "--classifier", default=DEFAULT_CLASSIFIERS[0], metavar="SPEC",
                        help=f"a classifier preset (svm, linear-svm, rf, logreg, knn) with optional key=value "
                             f"parameters (default: {DEFAULT_CLASSIFIERS[0]})")
    parser.add_argument("-o", "--output", metavar="MODEL", required=True, help="the model file to write")
    parser.add_argument("--on-error", choices=("skip", "raise"), default="skip",
                        help="unreadable images: skip them (counted in the model's manifest; default) or stop")
    add_manifest_options(parser)
    add_run_options(parser)
    parser.set_defaults(run=run)
    return parser


def run(args) -> int:
    from ..models import resolve_classifier
    from ..stages import check_cache_setting, check_save_path
    from ..training import FORMAT, train

    check_manifest_options(args)
    check_save_path(args.output, kind=FORMAT, option="-o")
    check_cache_setting(args.cache_dir, "--cache-dir")
    extractor = with_device(args.extractor, args.device)
    resolve_classifier(args.classifier)  # names and parameters checked before the data is opened
    dataset = _open(args.data, args)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", FeatclfWarning)
        warnings.simplefilter("ignore", SkippedImagesWarning)  # said below in one line
        model = train(dataset, extractor, args.classifier, n_jobs=args.n_jobs, on_error=args.on_error,
                      max_pixels=args.max_pixels, random_state=args.seed, verbose=0 if args.quiet else 1,
                      cache_dir=args.cache_dir)
    say(caught, args.command)
    model.save(args.output)
    print(f"Trained {model.extractor_label} + {model.classifier_label} on {model.training_['n_used']} images of "
          f"{model.training_['name']} ({len(model.classes_)} classes: {', '.join(map(str, model.classes_[:10]))}"
          f"{' ...' if len(model.classes_) > 10 else ''}).")
    if model.training_["n_skipped"]:
        print(f"Skipped {model.training_['n_skipped']} unreadable images (counted in the model's manifest).")
    print(f"Model: {args.output} (featclf info {args.output}; featclf predict {args.output} IMAGES...)")
    sys.stdout.flush()
    return 0


def say(caught, command) -> None:
    """featclf's warnings as one line each on stderr; others as Python shows them."""
    for warning in caught:
        if issubclass(warning.category, FeatclfWarning):
            print(f"featclf {command}: warning: {' '.join(str(warning.message).split())}", file=sys.stderr)
        else:
            warnings.showwarning(warning.message, warning.category, warning.filename, warning.lineno)
