"""``featclf evaluate DATA --extractor SPEC ... --classifier SPEC ... --cv K --out DIR``."""

from __future__ import annotations

import argparse
import os
import sys
import textwrap
import warnings

from ..exceptions import ConstantFeaturesWarning, FeatclfWarning, SkippedImagesWarning
from ._cache import add_cache_option
from ._data import DATA_HELP, open_dataset, stratified_subset
from ._options import (
    _max_pixels,
    _n_jobs,
    _non_negative,
    _positive,
    add_device_and_verbose,
    add_manifest_options,
    check_manifest_options,
    with_devices,
)

DEFAULT_OUT = "featclf-report"


def _cv(text: str):
    if text == "split":
        return text
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid value {text!r}: expected an int >= 2 or 'split'") from None
    if value < 2:
        raise argparse.ArgumentTypeError(f"invalid value {text!r}: cross-validation needs at least 2 folds")
    return value


def add_common_options(parser, *, default_out=DEFAULT_OUT):
    """Options shared by ``evaluate`` and ``demo``."""
    parser.add_argument("--out", metavar="DIR", default=default_out,
                        help=f"folder for report.json, report.md and report.html (default: ./{default_out})")
    parser.add_argument("--n-jobs", type=_n_jobs, default=None, metavar="N",
                        help="parallel workers for extraction and fitting (default: 1; -1: all cores); the scores "
                             "are the same for every N")
    parser.add_argument("--max-examples", type=_non_negative, default=12, metavar="N",
                        help="misclassified thumbnails per combination in the HTML report (default: 12)")
    parser.add_argument("--seed", type=_non_negative, default=0,
                        help="seed of the folds (and of --limit) (default: 0)")
    add_cache_option(parser)
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="no progress on stderr (progress bars are drawn only on a terminal; otherwise one line "
                             "per step)")
    add_device_and_verbose(parser)


def add_parser(subparsers):
    from ..evaluation import DEFAULT_CLASSIFIERS, DEFAULT_EXTRACTORS
    from ..io import DEFAULT_MAX_PIXELS

    parser = subparsers.add_parser(
        "evaluate", help="compare extractors x classifiers with cross-validation and write reports",
        description=textwrap.fill(
            "Compare every extractor x classifier combination on labelled images with stratified "
            "cross-validation (the same folds for all), and write report.json, report.md and "
            "report.html. SPEC is NAME or NAME:key=value,... e.g. hog:orientations=12,pixels_per_cell=4x4 "
            "or svm:C=1,pca=50.", 79),
        epilog="examples:\n"
               "  featclf evaluate photos/ -e pixels:size=32x32 -e hog:size=64x64 -e colorhist -c svm -c rf\n"
               "  featclf evaluate labels.csv --cv 10 --rank-by balanced_accuracy --out report\n"
               "  featclf evaluate fashion-mnist --cv split --limit 10000 -e hog:pixels_per_cell=4x4 -c svm",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("data", metavar="DATA", help=DATA_HELP)
    parser.add_argument("-e", "--extractor", action="append", metavar="SPEC", dest="extractors",
                        help=f"an extractor, repeatable (default: {', '.join(DEFAULT_EXTRACTORS)}); "
                             "see featclf.list_extractors()")
    parser.add_argument("-c", "--classifier", action="append", metavar="SPEC", dest="classifiers",
                        help=f"a classifier preset (svm, linear-svm, rf, logreg, knn), repeatable "
                             f"(default: {', '.join(DEFAULT_CLASSIFIERS)})")
    parser.add_argument("--cv", type=_cv, default=None, metavar="K|split",
                        help="K-fold stratified cross-validation (default 5), or 'split' to train on DATA and test "
                             "on --test (fashion-mnist: its own test split)")
    parser.add_argument("--test", metavar="DATA", default=None,
                        help="a separate test set with the same classes (implies --cv split)")
    parser.add_argument("--limit", type=_positive, default=None, metavar="N",
                        help="use a stratified subset of at most N images (of the test set too)")
    parser.add_argument("--rank-by", choices=("accuracy", "balanced_accuracy", "f1_macro"), default="accuracy",
                        help="metric that picks the best combination (default: accuracy)")
    parser.add_argument("--on-error", choices=("skip", "raise"), default="skip",
                        help="unreadable images: skip and report them (default) or stop")
    add_manifest_options(parser)
    parser.add_argument("--max-pixels", type=_max_pixels, default=DEFAULT_MAX_PIXELS, metavar="N|none",
                        help="largest image decoded, width x height pixels, in every worker; larger files are "
                             "refused from their header as unreadable (default: 178956970, where Pillow refuses "
                             "by default; 'none': no limit)")
    parser.add_argument("--groups", metavar="COLUMN", default=None,
                        help="CSV manifests: a column naming each image's group (e.g. the object or session it "
                             "shows); every group is kept in one fold, so near-duplicates never straddle training "
                             "and test")
    parser.add_argument("--save-best", metavar="MODEL", default=None,
                        help="also train the best combination on every image of DATA and save it to this model file "
                             "(featclf predict MODEL ...; its manifest holds the evaluation figures)")
    add_common_options(parser)
    parser.set_defaults(run=run)
    return parser


def _open(text: str, args, *, split: str = "train", group_column: str | None = None):
    """Open a DATA argument; the warnings of a folder scan are printed as one line each, not as Python warnings."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", FeatclfWarning)
        dataset = open_dataset(text, split=split, allow_outside=args.allow_outside, encoding=args.csv_encoding,
                               group_column=group_column)
    for warning in caught:
        if issubclass(warning.category, FeatclfWarning):
            print(f"featclf {args.command}: warning: {' '.join(str(warning.message).split())}", file=sys.stderr)
        else:
            warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)
    return dataset


def _open_test(args):
    if args.test is not None:
        return _open(args.test, args, split="test")
    if args.cv == "split":
        if args.data.partition(":")[0] == "fashion-mnist":
            return _open(args.data, args, split="test")
        from ..exceptions import InvalidParameterError

        raise InvalidParameterError(
            f"--cv split needs a test set: pass --test DATA (only fashion-mnist has a built-in test split, "
            f"and DATA is {args.data!r})."
        )
    return None


def run_evaluation(dataset, test, args, *, extractors, classifiers, cv):
    """Evaluate, write the three reports and print the table; return the exit code.

    The output folder is checked (created, written to) before any work, as :func:`featclf.evaluate`
    checks every parameter and optional dependency before extraction.
    """
    from ..datasets import describe_left_out
    from ..evaluation import evaluate
    from ..report import check_output_dir, score_text, write_reports
    extractors = with_devices(extractors, getattr(args, "device", None))
    check_output_dir(args.out, option="--out")
    save_best = getattr(args, "save_best", None)
    if save_best is not None:
        from ..stages import check_save_path

        check_save_path(save_best, kind="featclf-model", option="--save-best")
    if getattr(args, "limit", None) is not None:
        dataset = stratified_subset(dataset, args.limit, random_state=args.seed)  # groups follow their images
        if test is not None:
            test = stratified_subset(test, args.limit, random_state=args.seed)
    from ..io import DEFAULT_MAX_PIXELS

    max_pixels = getattr(args, "max_pixels", DEFAULT_MAX_PIXELS)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("ignore", SkippedImagesWarning)  # said below in one line, and listed in the report
        warnings.simplefilter("always", ConstantFeaturesWarning)
        result = evaluate(dataset, extractors, classifiers, cv=cv, test=test, random_state=args.seed,
                          rank_by=getattr(args, "rank_by", "accuracy"), on_error=getattr(args, "on_error", "skip"),
                          n_jobs=args.n_jobs, verbose=0 if args.quiet else 1,
                          max_pixels=max_pixels, cache_dir=getattr(args, "cache_dir", None))
    for warning in caught:  # featclf's own warnings as one line each; others as Python shows them
        if issubclass(warning.category, ConstantFeaturesWarning):
            print(f"featclf: warning: {warning.message}", file=sys.stderr)
        else:
            warnings.showwarning(warning.message, warning.category, warning.filename, warning.lineno)
    paths = write_reports(result, args.out, max_examples=args.max_examples)
    print(result.summary_table())
    print()
    best = result.best
    print(f"Best: {best.name} ({result.rank_by} {score_text(best, result.rank_by)})")
    if result.skipped:
        first = result.skipped[0]
        print(f"Skipped {len(result.skipped)} unreadable images, e.g. {first['source']}: {first['reason']} "
              "(all listed in the report).")
    for part in (result.dataset, result.dataset.get("test") or {}):
        left_out = describe_left_out(part["left_out"]) if part.get("left_out") else ""
        if left_out:
            print(f"Folder scan of {part['name']}: {left_out} (counted in the report).")
    print(f"Report: {os.path.abspath(paths['html'])} (also report.json, report.md)")
    if save_best is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SkippedImagesWarning)  # already said above
            model = result.fit_best(verbose=0 if args.quiet else 1)
        model.save(save_best)
        print(f"Model: {save_best} ({model.extractor_label} + {model.classifier_label} trained on "
              f"{model.training_['n_used']} images; featclf predict {save_best} IMAGES...)")
    sys.stdout.flush()
    return 0


def run(args) -> int:
    check_manifest_options(args, with_test=True)
    dataset = _open(args.data, args, group_column=args.groups)
    test = _open_test(args)
    cv = args.cv if args.cv is not None else (None if test is not None else 5)
    if test is not None and cv != "split" and cv is not None:
        from ..exceptions import InvalidParameterError

        raise InvalidParameterError(f"--cv {cv} and --test were both given: use --test (train/test) or --cv K "
                                    "(cross-validation), not both.")
    return run_evaluation(dataset, test, args, extractors=args.extractors, classifiers=args.classifiers, cv=cv)
