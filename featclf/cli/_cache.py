"""``featclf cache info|clear``, and the ``--cache-dir`` option of the subcommands that extract features.

A thin layer over :func:`featclf.cache_info` and :func:`featclf.clear_cache`.
"""

from __future__ import annotations

import argparse
import datetime
import textwrap

__all__ = ["add_cache_option", "add_parser"]

CACHE_DIR_HELP = ("feature cache folder: rows of images already extracted with the same settings are read from it "
                  "instead of computed, new rows are written as they are computed, so an interrupted run resumes "
                  "(default: $FEATCLF_CACHE_DIR if set, else no cache and nothing written)")


def add_cache_option(parser) -> None:
    """``--cache-dir DIR`` on a subcommand that extracts features."""
    parser.add_argument("--cache-dir", metavar="DIR", default=None, help=CACHE_DIR_HELP)


def _age(text: str) -> float:
    from ..engine import parse_age
    from ..exceptions import InvalidParameterError

    try:
        return parse_age(text)
    except InvalidParameterError:
        raise argparse.ArgumentTypeError(f"invalid age {text!r}: expected e.g. 7d, 12h, 30m, 90s or 2w") from None


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "cache", help="show or clear the feature cache",
        description=textwrap.fill(
            "Show what the feature cache holds (size, rows, rows per extractor configuration), or delete its rows "
            "(all, or those written before --older-than). The cache folder is --cache-dir, else "
            "$FEATCLF_CACHE_DIR.", 79),
        epilog="examples:\n"
               "  featclf cache info --cache-dir ~/.cache/featclf\n"
               "  featclf cache clear --older-than 7d --cache-dir ~/.cache/featclf",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", parser_class=type(parser))
    actions.required = True
    info = actions.add_parser("info", help="size, rows and rows per extractor configuration")
    clear = actions.add_parser("clear", help="delete rows: all, or those older than --older-than")
    for sub in (info, clear):
        sub.add_argument("--cache-dir", metavar="DIR", default=None,
                         help="the cache folder (default: $FEATCLF_CACHE_DIR)")
    clear.add_argument("--older-than", type=_age, default=None, metavar="AGE",
                       help="only rows written more than AGE ago, e.g. 7d, 12h, 30m (default: every row)")
    parser.set_defaults(run=run)
    return parser


def _when(seconds) -> str:
    return datetime.datetime.fromtimestamp(seconds).strftime("%Y-%m-%d %H:%M")


def run(args) -> int:
    from ..engine import cache_info, clear_cache

    if args.action == "clear":
        info = cache_info(args.cache_dir)
        deleted = clear_cache(args.cache_dir, older_than=args.older_than)
        which = "" if args.older_than is None else " written before " + _when(
            datetime.datetime.now().timestamp() - args.older_than)
        print(f"Deleted {deleted:,} of {info['entries']:,} rows{which} from {info['path']}")
        return 0
    info = cache_info(args.cache_dir)
    size = info["size_bytes"] / 2**20
    print(f"Feature cache {info['path']}: {info['entries']:,} rows, {size:,.1f} MiB")
    for entry in info["extractors"]:
        params = entry["description"].get("config", {}).get("params", {})
        shown = ", ".join(f"{k}={v}" for k, v in params.items() if k != "max_pixels")
        print(f"  {entry['extractor']} [{entry['config']}] {entry['entries']:,} rows, written "
              f"{_when(entry['oldest'])} .. {_when(entry['newest'])}" + (f"  ({shown})" if shown else ""))
    return 0
