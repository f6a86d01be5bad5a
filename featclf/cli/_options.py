"""Options several subcommands share, and what they do to the extractors they are given."""

from __future__ import annotations

import argparse
import contextlib
import sys

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
    add_backend_options(parser)


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
    add_backend_options(parser)


#: Seconds to wait for a Dask scheduler to answer, then for it to have a worker.
SCHEDULER_TIMEOUT_S = 10


def add_backend_options(parser):
    """``--backend {local,dask}`` and ``--scheduler ADDRESS``, on every subcommand that extracts features."""
    parser.add_argument("--backend", choices=("local", "dask"), default="local",
                        help="where the work runs: 'local' (this machine's processes, the default) or 'dask' (a Dask "
                             "cluster: the workers read the images themselves; needs the dask extra). Results are "
                             "the same")
    parser.add_argument("--scheduler", metavar="ADDRESS", default=None,
                        help="with --backend dask: the scheduler's address, e.g. tcp://host:8786 (default: start a "
                             "local cluster of --n-jobs worker processes, one per core by default, for this command)")


@contextlib.contextmanager
def parallel_backend(args, prog: str):
    """Run the command under the backend ``args`` ask for: joblib's Dask backend with ``--backend dask``.

    Checked before any work: the dask extra is installed, ``--scheduler`` answers within
    :data:`SCHEDULER_TIMEOUT_S` seconds and has a worker; ``--scheduler`` without
    ``--backend dask`` is refused. Without ``--scheduler``, a local cluster (one worker
    process of one thread per ``--n-jobs``, default one per core) is started for the
    command, said on stderr, and closed at its end.

    Raises
    ------
    MissingDependencyError
        ``--backend dask`` without the dask extra (with the pip line).
    InvalidParameterError
        ``--scheduler`` without ``--backend dask``; a scheduler that does not answer or has no worker.
    """
    from .._optional import import_optional
    from ..exceptions import InvalidParameterError

    backend, address = getattr(args, "backend", "local"), getattr(args, "scheduler", None)
    if backend != "dask":
        if address is not None:
            raise InvalidParameterError(f"--scheduler {address} applies to a Dask cluster: add --backend dask, or "
                                        "drop --scheduler.")
        yield
        return
    import joblib

    import_optional("dask", purpose="--backend dask")
    distributed = import_optional("distributed", purpose="--backend dask")
    with contextlib.ExitStack() as stack:
        if address is None:
            n_workers = getattr(args, "n_jobs", None)
            n_workers = joblib.cpu_count() if n_workers in (None, -1) else max(1, abs(n_workers))
            cluster = stack.enter_context(distributed.LocalCluster(
                n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=None))
            if not getattr(args, "quiet", False):
                print(f"{prog}: --backend dask without --scheduler: started a local Dask cluster of {n_workers} "
                      f"worker process{'es' if n_workers > 1 else ''} ({cluster.scheduler_address}) for this "
                      "command", file=sys.stderr)
            address = cluster.scheduler_address
        client = stack.enter_context(_dask_client(distributed, address))
        stack.enter_context(joblib.parallel_config(backend="dask", client=client))
        yield


@contextlib.contextmanager
def _dask_client(distributed, address: str):
    """A client of the scheduler at ``address`` that has a worker, or InvalidParameterError naming the fix."""
    import threading

    from distributed.comm import parse_address, parse_host_port
    from distributed.comm.registry import backends

    from ..exceptions import InvalidParameterError

    timeout = SCHEDULER_TIMEOUT_S
    try:  # the address's form first: a malformed one would otherwise wait for the timeout, then say the wrong thing
        scheme, location = parse_address(address, strict=True)
        if scheme not in backends:
            raise ValueError(f"unknown protocol {scheme!r}; known: {', '.join(sorted(backends))}")
        if scheme in ("tcp", "tls"):
            parse_host_port(location)
    except ValueError as exc:
        raise InvalidParameterError(f"--scheduler {address}: not a Dask scheduler address ({exc}). Give the "
                                    "address 'dask scheduler' prints, e.g. tcp://HOST:8786.") from None
    made: dict = {}

    def connect():  # in a thread of its own: a server that is not a Dask scheduler can hold the handshake forever
        try:
            made["client"] = distributed.Client(address, timeout=f"{timeout}s", set_as_default=False)
        except Exception as exc:  # noqa: BLE001 - said below, as the one-line error
            made["error"] = exc

    thread = threading.Thread(target=connect, name="featclf-dask-connect", daemon=True)
    thread.start()
    thread.join(timeout + 5)
    if "client" not in made:
        exc = made.get("error")
        reason = "no answer" if exc is None else f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}"
        raise InvalidParameterError(
            f"--scheduler {address}: no Dask scheduler answered within {timeout} s ({reason}). Start one there with "
            f"'dask scheduler' (and workers with 'dask worker {address}'), or fix the address (e.g. "
            "tcp://HOST:8786; a port of another server, such as the dashboard's 8787, is not the scheduler's)."
        ) from None
    client = made["client"]
    with client:
        try:
            client.wait_for_workers(1, timeout=timeout)
        except (OSError, TimeoutError) as exc:
            raise InvalidParameterError(
                f"--scheduler {address}: the scheduler has no worker after {timeout} s. Start workers with "
                f"'dask worker {address}'."
            ) from exc
        yield client


def add_manifest_options(parser, *, manifest: str = "a CSV manifest") -> None:
    """``--allow-outside`` and ``--csv-encoding`` (checked by :func:`check_manifest_options`)."""
    parser.add_argument("--allow-outside", action="store_true",
                        help=f"let {manifest} list images outside its own folder (refused by default, as a "
                             "manifest from elsewhere could otherwise make featclf read and show any file)")
    parser.add_argument("--csv-encoding", metavar="ENC", default=None,
                        help=f"text encoding of {manifest}, e.g. cp1252 or latin-1 (default: UTF-8)")


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
