"""``featclf info MODEL``: print a saved model's (or clustering's) manifest, without loading (unpickling) it."""

from __future__ import annotations

import argparse
import json
import sys


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "info", help="show what a saved model or clustering holds, without loading it",
        description="Print the manifest of a model file (featclf train, featclf evaluate --save-best) or of a saved "
                    "clustering as JSON: versions, configuration, class names, training data, evaluation figures. "
                    "Nothing in the file is unpickled, so this is safe on any file.",
        epilog="example:\n  featclf info photos.featclf",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("model", metavar="MODEL", help="a file saved by featclf (model or clustering)")
    parser.add_argument("-v", "--verbose", action="store_true", help="on error, print the full traceback too")
    parser.set_defaults(run=run)
    return parser


def run(args) -> int:
    from ..stages import read_manifest

    manifest = read_manifest(args.model)
    print(json.dumps(manifest, indent=2, ensure_ascii=False))
    sys.stdout.flush()
    return 0
