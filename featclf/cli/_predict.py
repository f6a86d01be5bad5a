"""``featclf predict MODEL SOURCES... [-o preds.csv] [--top-k K]``: predict class names with a saved model."""

from __future__ import annotations

import argparse
import glob
import os
import sys
import textwrap
import warnings

from ..exceptions import DatasetError, DatasetNotFoundError, FeatclfWarning, InvalidParameterError, SkippedImagesWarning
from ._evaluate import _open
from ._options import _positive, add_manifest_options
from ._train import add_run_options, say

GLOB_CHARS = "*?["


def expand_sources(items) -> list[str]:
    """The image paths named by SOURCES: files as given, folders recursively, glob patterns expanded (sorted).

    A folder is read as :class:`featclf.UnlabelledFolder` (every image below it; other files
    left out and counted in a warning). A file named directly is kept whatever it holds, even
    when it does not exist: its row then says why it has no prediction (``no such file``), as
    an unreadable file's does. A folder or a pattern that gives no image is left out with one
    warning naming it, and the others are predicted.

    Warns
    -----
    FeatclfWarning
        A folder without images, or a pattern that matches nothing (one warning each).

    Raises
    ------
    DatasetNotFoundError
        No image at all remains among SOURCES.
    """
    from ..datasets import UnlabelledFolder

    paths: list[str] = []
    empty: list[str] = []

    def folder(path):
        try:
            return UnlabelledFolder(path).sources
        except DatasetError as exc:  # no images in it: left out, said once
            warnings.warn(f"{' '.join(str(exc).split())} Left out; predicting the other SOURCES.", FeatclfWarning,
                          stacklevel=3)
            empty.append(path)
            return []

    for item in items:
        if os.path.isdir(item):
            paths += folder(item)
        elif os.path.exists(item) or not any(c in item for c in GLOB_CHARS):
            paths.append(item)  # a missing file keeps its row, with the reason
        else:
            matches = sorted(glob.glob(item, recursive=True))
            if not matches:
                warnings.warn(f"{item!r}: the pattern matches no file. Left out; predicting the other SOURCES.",
                              FeatclfWarning, stacklevel=2)
                empty.append(item)
            for match in matches:
                paths += folder(match) if os.path.isdir(match) else [match]
    if not paths:
        raise DatasetNotFoundError(
            f"No image among SOURCES ({', '.join(map(repr, empty))}): folders without images or patterns matching no "
            "file. SOURCES are image files, folders (read recursively) or glob patterns such as 'photos/**/*.jpg'.")
    return paths


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "predict", help="predict the class of images with a saved model",
        description=textwrap.fill(
            "Predict the class of every image of SOURCES with MODEL (from featclf train or featclf evaluate "
            "--save-best): one row per image, in order, with its label, the probability (or decision score) of "
            "that label and the top-K classes; unreadable images keep their row with the reason. Without -o the "
            "rows are printed as a table. Loading a model file runs code (a pickle): load only trusted files.", 79),
        epilog="examples:\n"
               "  featclf predict photos.featclf new/ -o predictions.csv\n"
               "  featclf predict photos.featclf 'inbox/**/*.jpg' cat.png --top-k 5\n"
               "  featclf predict photos.featclf --test test-photos/",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("model", metavar="MODEL", help="a model file (featclf train -o MODEL)")
    parser.add_argument("sources", metavar="SOURCES", nargs="*",
                        help="image files, folders (read recursively) or glob patterns (quoted: 'photos/**/*.jpg')")
    parser.add_argument("-o", "--output", metavar="CSV", default=None,
                        help="write the predictions to this CSV file (columns path, label, probability|score, top_k, "
                             "reason) instead of printing a table")
    parser.add_argument("--top-k", type=_positive, default=3, metavar="K", dest="top_k",
                        help="classes listed per image, best first (default: 3)")
    parser.add_argument("--test", metavar="DATA", default=None,
                        help="a labelled set (folder of class folders, CSV manifest, ...) instead of SOURCES: predict "
                             "it and print the accuracy; its class names must be among the model's")
    parser.add_argument("--accept-changed-weights", action="store_true",
                        help="load a CNN model even though its weights file changed since it was saved")
    add_manifest_options(parser, manifest="a --test CSV manifest")
    add_run_options(parser, seed_help=None, model_settings=True)
    parser.set_defaults(run=run, more_positionals="sources")
    return parser


def _check_output(path) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise InvalidParameterError(f"-o {path}: is a folder; pass a file name, e.g. -o predictions.csv.")
    if not os.path.isdir(folder):
        raise InvalidParameterError(f"-o {path}: the folder {folder} does not exist; create it first.")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InvalidParameterError(f"-o {path}: the folder {folder} cannot be written to; choose another place.")


def run(args) -> int:
    from .._config import config_context
    from ..stages import check_cache_setting
    from ..training import load_model

    if bool(args.sources) == bool(args.test):
        raise InvalidParameterError("featclf predict needs SOURCES (images, folders, patterns) or --test DATA (a "
                                    "labelled set), and not both.")
    if args.output is not None:
        _check_output(args.output)
    check_cache_setting(args.cache_dir, "--cache-dir")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", FeatclfWarning)
        model = load_model(args.model, accept_changed_weights=args.accept_changed_weights)
        test = None
        if args.test:
            test = _open(args.test, args, split="test")
            if not test.is_labelled:
                raise InvalidParameterError(f"--test {args.test}: holds no labels; pass a labelled set, or the images "
                                            "as SOURCES.")
            unknown = [c for c in test.classes if c not in set(map(str, model.classes_))]
            if unknown:
                raise InvalidParameterError(
                    f"--test {args.test}: classes {', '.join(map(repr, unknown[:10]))} are not among the model's "
                    f"({', '.join(map(str, model.classes_[:20]))}): it was trained on other class names. Use a test "
                    "set with the model's classes, or train a model on these.")
            sources = test
        else:
            sources = expand_sources(args.sources)
    say(caught, args.command)
    extractor = model.extractor_
    given = {"n_jobs": args.n_jobs} if args.n_jobs is not None else {}
    if hasattr(args, "max_pixels"):  # given on the command line; else the model's own
        given["max_pixels"] = args.max_pixels
    extractor.set_params(**{k: v for k, v in given.items() if k in extractor.get_params(deep=False)})
    if args.device is not None:
        if "device" not in extractor.get_params(deep=False):
            raise InvalidParameterError(f"--device applies to CNN models, and this model's extractor "
                                        f"({model.extractor_label}) runs on the CPU: drop --device.")
        extractor.set_params(device=args.device).fit(None)  # the network rebuilt on that device
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", FeatclfWarning)
        warnings.simplefilter("ignore", SkippedImagesWarning)  # the rows say it; one line below
        with config_context(cache_dir=args.cache_dir):  # None: $FEATCLF_CACHE_DIR, else none
            predictions = model.predict_records(sources, top_k=args.top_k, verbose=0 if args.quiet else 1)
    say(caught, args.command)
    skipped = predictions.skipped
    if args.output is not None:
        predictions.to_csv(args.output)
        print(f"Predictions: {args.output} ({len(predictions)} images, {len(skipped)} unreadable)")
    else:
        print(predictions.to_table())
    if skipped:
        print(f"featclf predict: {len(skipped)} of {len(predictions)} images could not be read, e.g. "
              f"{skipped[0].source}: {skipped[0].reason} (their rows say why).", file=sys.stderr)
    if test is not None:
        truth = [test.classes[int(k)] for k in test.labels]
        scored = [(p.label, t) for p, t in zip(predictions, truth) if p.label is not None]
        accuracy = sum(a == b for a, b in scored) / len(scored) if scored else float("nan")
        print(f"Accuracy on {test.name}: {accuracy:.4f} ({len(scored)} images"
              f"{f', {len(skipped)} unreadable left out' if skipped else ''})")
    sys.stdout.flush()
    return 0
