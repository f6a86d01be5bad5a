"""The ``featclf`` command: a thin layer over the Python API.

Subcommands live in their own modules, each providing ``add_parser(subparsers)``
that registers its parser with ``set_defaults(run=...)``; ``run(args)`` returns the
exit code: ``evaluate``, ``cluster``, ``train``, ``predict``, ``info``, ``extract``, ``list``,
``cache`` and ``demo``. A subcommand with a ``--verbose`` option prints the traceback of an error
before its one-line message.

Exit codes: 0 success; 2 usage errors (bad arguments, unknown names, bad parameter
values, unusable data, images whose sizes need ``size=``, a missing optional dependency, a
cache folder that cannot be used: all found before any extraction; a model file that cannot
be read), printed as one line; 1 other failures (an unreadable image with ``--on-error raise``,
a file that cannot be written), also one line, without a traceback (``--verbose`` prints the
traceback too). Options shared by the subcommands that extract features: ``--n-jobs``,
``--max-pixels``, ``--device`` (CNN extractors), ``--cache-dir``, ``--backend``/``--scheduler``
(a Dask cluster), ``--quiet``, ``--verbose``,
and ``--seed`` where something is random (folds, subsets, clustering, classifiers).
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback

from .._version import __version__
from ..exceptions import (
    CacheError,
    DatasetError,
    FeatclfError,
    ImageSizeError,
    InvalidParameterError,
    MissingDependencyError,
    ModelFileError,
    UnknownNameError,
)
from ._options import parallel_backend

__all__ = ["build_parser", "main"]


class _Parser(argparse.ArgumentParser):
    """argparse with one-line usage errors: ``featclf evaluate: error: ... (see --help)``."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    from . import _cache, _cluster, _demo, _evaluate, _extract, _info, _list, _predict, _train

    parser = _Parser(
        prog="featclf",
        description="Image features for classical machine learning: compare extractors x classifiers with "
                    "honest cross-validation and get JSON, Markdown and HTML reports.",
    )
    parser.add_argument("--version", action="version", version=f"featclf {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    subparsers.required = True
    for module in (_evaluate, _train, _predict, _info, _cluster, _extract, _list, _cache, _demo):
        module.add_parser(subparsers)
    return parser


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def main(argv=None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``) and return the exit code."""
    parser = build_parser()
    try:
        args, extra = parser.parse_known_args(argv)
        # A list of positionals after options (featclf predict MODEL --top-k 5 a.png b.png): argparse (before
        # Python 3.12) gives the list nothing once an option came between; the subcommand names that list.
        rest = getattr(args, "more_positionals", None)
        if extra and rest and not any(e.startswith("-") for e in extra):
            getattr(args, rest).extend(extra)
        elif extra:
            parser.parse_args(argv)  # the usual one-line error about the unrecognised arguments
    except SystemExit as exc:  # --help, --version, usage errors: argparse already printed
        return exc.code if isinstance(exc.code, int) else 2
    prog = f"featclf {args.command}"
    try:
        with parallel_backend(args, prog):
            return args.run(args)
    except BrokenPipeError:  # the reader went away (featclf cache info | head -1): Python's documented recipe
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141  # 128 + SIGPIPE, as a shell reports it
    except (FeatclfError, OSError, KeyboardInterrupt) as exc:
        if getattr(args, "verbose", False) is True:  # --verbose: the traceback, then the one line
            traceback.print_exc(file=sys.stderr)
        return _report(prog, exc)
    except Exception as exc:  # noqa: BLE001 - a library's own error featclf did not foresee: one line, not a dump
        if getattr(args, "verbose", False) is True:
            traceback.print_exc(file=sys.stderr)
        where = "" if getattr(args, "verbose", False) is True else " (--verbose shows where)"
        print(f"{prog}: error: {type(exc).__name__}: {_one_line(exc)}{where}. This is not a message featclf wrote: "
              "please report it, with the command, at the project's issue tracker.", file=sys.stderr)
        return 1


def _report(prog: str, exc: BaseException) -> int:
    """Print the one-line message of ``exc`` on stderr and return the exit code."""
    if isinstance(exc, KeyboardInterrupt):
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
    message = _one_line(exc)
    if isinstance(exc, ImageSizeError):
        # The extractor's own message names its spec (e.g. hog:size=16x16) where it knows it.
        hint = "" if "on the command line:" in message else " On the command line: --extractor NAME:size=HxW."
        print(f"{prog}: error: {message}{hint}", file=sys.stderr)
        return 2
    print(f"{prog}: error: {message}", file=sys.stderr)
    usage = (UnknownNameError, InvalidParameterError, DatasetError, MissingDependencyError, ModelFileError,
             CacheError)
    return 2 if isinstance(exc, usage) else 1
