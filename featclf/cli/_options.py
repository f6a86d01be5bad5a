"""Options several subcommands share, and what they do to the extractors they are given."""

from __future__ import annotations

import argparse

from ._evaluate import _max_pixels, _n_jobs, _non_negative


def add_run_options(parser, *, seed_help="random_state of the classifier (default: 0)", model_settings=False):
    """Options of every model subcommand: --n-jobs, --max-pixels, --device, --seed, --quiet, --verbose.

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
        return list(extractors)
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
