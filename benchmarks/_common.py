"""Helpers shared by the benchmark scripts: machine info, versions, timing, JSON results.

Run the scripts from anywhere as ``python benchmarks/bench_<name>.py``; this module puts
the repository root on ``sys.path`` so the working tree's ``featclf`` is the one measured.
"""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import json
import os
import platform
import shlex
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = os.path.join(ROOT, "benchmarks", "results")
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)


def command_line() -> str:
    """The exact command that ran this script (interpreter and arguments)."""
    return " ".join(shlex.quote(a) for a in [sys.executable, *sys.argv])


def machine_info() -> dict:
    """CPU count, CPU model (from /proc/cpuinfo), RAM, OS."""
    model = platform.processor() or "unknown"
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    ram_gib = None
    with contextlib.suppress(OSError), open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                ram_gib = round(int(line.split()[1]) / 2**20, 1)
                break
    return {
        "cpu_count": os.cpu_count(),
        "cpu_affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "cpu_model": model,
        "ram_gib": ram_gib,
        "platform": platform.platform(),
    }


def versions() -> dict:
    """featclf's provenance record (:func:`featclf.stages.collect_versions`, the one every report uses),
    plus the git commit of the working tree measured."""
    import subprocess

    from featclf.stages import collect_versions

    out = collect_versions()
    try:
        out["featclf_git"] = subprocess.run(
            ["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True,
        ).stdout.strip()
        dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, check=True).stdout.strip()
        out["featclf_git_dirty"] = bool(dirty)
    except Exception:  # noqa: BLE001 - no git: recorded as unknown, not fatal
        out["featclf_git"] = None
    return out


def openclipart_pngs(root: str) -> dict:
    """Every PNG under ``root`` (sorted by path) -> ``(pixels, mode)`` read from its header alone.

    Files beyond Pillow's decompression-bomb limit (which featclf refuses too) count as
    infinitely many pixels; ``mode`` gains ``+tRNS`` when a transparent colour is declared.
    Exits with a hint when there is none.
    """
    import warnings

    from PIL import Image

    found = sorted(os.path.join(d, f) for d, _, files in os.walk(root) for f in files if f.lower().endswith(".png"))
    if not found:
        raise SystemExit(f"No PNG files under {root}: set FEATCLF_OPENCLIPART or pass the collection's folder.")

    def header(path):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                with Image.open(path) as im:  # header only
                    return im.size[0] * im.size[1], im.mode + ("+tRNS" if "transparency" in im.info else "")
        except Image.DecompressionBombError:
            return float("inf"), None

    return {path: header(path) for path in found}


def header() -> dict:
    """The common part of every result file."""
    return {
        "command": command_line(),
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": machine_info(),
        "versions": versions(),
    }


def timed(func, *args, **kwargs):
    """``(result, seconds)`` of one call."""
    t0 = time.perf_counter()
    result = func(*args, **kwargs)
    return result, time.perf_counter() - t0


def target(value, threshold, *, unit="", higher_is_better=True) -> dict:
    """A target record: ``{"target": ">= 20x", "value": ..., "met": bool}``."""
    met = bool(value is not None and (value >= threshold if higher_is_better else value <= threshold))
    op = ">=" if higher_is_better else "<="
    return {"target": f"{op} {threshold}{unit}", "value": value, "met": met}


def results_path(name: str) -> str:
    return os.path.join(RESULTS, f"{name}.json")


def save_json(name: str, payload: dict) -> str:
    """Write ``benchmarks/results/<name>.json`` atomically; return the path."""
    os.makedirs(RESULTS, exist_ok=True)
    path = results_path(name)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(payload, f, indent=2, sort_keys=False)
        f.write("\n")
    os.replace(tmp, path)
    return path


@contextlib.contextmanager
def locked_json(name: str):
    """Read-modify-write ``benchmarks/results/<name>.json`` under a file lock.

    For scripts run as several concurrent processes that merge into one file::

        with locked_json("fashion_mnist") as data:
            data.setdefault("runs", {})[key] = run
    """
    os.makedirs(RESULTS, exist_ok=True)
    path = results_path(name)
    with open(os.path.join(tempfile.gettempdir(), f"featclf-bench-{name}.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        data = {}
        if os.path.exists(path):
            with open(path) as f:
                data = json.load(f)
        yield data
        save_json(name, data)


def print_table(rows: list[dict], columns: list[str]) -> None:
    """Print ``rows`` (dicts) as an aligned text table of ``columns``."""
    def fmt(v):
        if isinstance(v, float):
            return f"{v:.4g}"
        return "" if v is None else str(v)

    cells = [[fmt(r.get(c)) for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) if cells else len(c) for i, c in enumerate(columns)]
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths)))
    print("  ".join("-" * w for w in widths))
    for row in cells:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths)))
