"""Options several subcommands share, and what they do to the extractors they are given."""

from __future__ import annotations

import argparse

from ._cache import add_cache_option


def _int_type(minimum=None, nonzero=False, what="a positive int"):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"invalid value {text!r}: expected {what}") from None
        if (minimum is not None and value < minimum) or (nonzero and value == 0):
            raise argparse.ArgumentTypeError(f"invalid value {text!r}: expected {what}")
        return value

    return parse


_positive = _int_type(1)
_n_jobs = _int_type(nonzero=True, what="a non-zero int (-1: all cores)")
_non_negative = _int_type(0, what="an int >= 0")


def _max_pixels(text: str):
    if text.lower() == "none":
        return None
    try:
        value = int(text.replace("_", "").replace(",", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid value {text!r}: expected a number of pixels or 'none'") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"invalid value {text!r}: expected a number of pixels >= 1 or 'none'")
    return value


def add_run_options(parser, *, seed_help="random_state of the classifier (default: 0)", model_settings=False):
    """Options of every model subcommand: --n-jobs, --max-pixels, --device, --seed, --cache-dir, --quiet, --verbose.

    With ``model_settings`` (``predict``), ``--max-pixels`` defaults to the model's own setting:
    the attribute is absent from ``args`` unless given.
    """
    from ..io import DEFAULT_MAX_PIXELS

    default_text = "the model's own" if model_settings else str(DEFAULT_MAX_PIXELS)
    parser.add_argument("--n-jobs", type=_n_jobs, default=None, metavar="N",
                        help="parallel decoding workers (default: 1; -1: all cores); the results are the same for "
                             "every N")
    parser.add_argument("--max-pixels", type=_max_pixels, metavar="N|none",
                        default=argparse.SUPPRESS if model_settings else DEFAULT_MAX_PIXELS,
                        help="largest image decoded, width x height pixels; larger files are refused as unreadable "
                             f"(default: {default_text}; "
                             "'none': no limit)")
    parser.add_argument("--device", metavar="DEVICE", default=None,
                        help="for a CNN extractor: auto, cpu, cuda, cuda:N or mps (default: the extractor's own, "
                             "auto)")
    if seed_help:
        parser.add_argument("--seed", type=_non_negative, default=0, help=seed_help)
    add_cache_option(parser)
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    parser.add_argument("-v", "--verbose", action="store_true", help="on error, print the full traceback too")


def with_device(extractor, device):
    """The extractor spec or object ``extractor`` with ``device`` set; an error for extractors without one."""
    return with_devices([extractor], device)[0]


def with_devices(extractors, device):
    """``extractors`` (specs or objects) with ``device`` set on those that have one (CNN embeddings).

    Raises
    ------
    InvalidParameterError
        ``device`` is given and none of the extractors runs anywhere but the CPU.
    """
    from ..exceptions import InvalidParameterError
    from ..models import resolve_extractor

    if device is None:
        return extractors  # as given (None: the entry point's defaults)
    if extractors is None:
        raise InvalidParameterError("--device applies to CNN extractors: name one with -e cnn (the default "
                                    "extractors here are handcrafted), or drop --device.")
    out, placed = [], False
    for extractor in extractors:
        component = resolve_extractor(extractor)
        if "device" in component.estimator.get_params(deep=False):
            out.append(component.estimator.set_params(device=device))
            placed = True
        else:
            out.append(extractor)
    if not placed:
        labels = ", ".join(repr(resolve_extractor(e).label) for e in extractors)
        raise InvalidParameterError(f"--device applies to CNN extractors (e.g. -e cnn:backbone=efficientnet_lite0), "
                                    f"and {labels} run on the CPU: drop --device.")
    return out


def add_device_and_verbose(parser):
    """``--device`` (for CNN extractors) and ``-v/--verbose`` (the traceback of an error)."""
    parser.add_argument("--device", metavar="DEVICE", default=None,
                        help="for a CNN extractor: auto, cpu, cuda, cuda:N or mps (default: the extractor's own, "
                             "auto)")
    parser.add_argument("-v", "--verbose", action="store_true", help="on error, print the full traceback too")


def check_manifest_options(args, *, with_test: bool = False) -> None:
    """Refuse ``--allow-outside`` / ``--csv-encoding`` when neither DATA (nor ``--test``) is a CSV manifest.

    Raises
    ------
    InvalidParameterError
        Naming the options given and the fix.
    """
    from ..exceptions import InvalidParameterError
    from ._data import is_manifest

    given = " and ".join(o for o, v in (("--allow-outside", args.allow_outside), ("--csv-encoding", args.csv_encoding))
                         if v)
    texts = [args.data, getattr(args, "test", None)] if with_test else [args.data]
    if given and not any(is_manifest(t) for t in texts if t):
        which = "neither DATA nor --test is one" if with_test else "DATA is not one"
        raise InvalidParameterError(f"{given} apply to CSV manifests, and {which}: drop {given}, or pass a .csv "
                                    "manifest.")
