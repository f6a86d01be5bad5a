"""Run the benchmark suite: every part's script as a subprocess, one table, one Markdown summary.

    python -m benchmarks --quick            # the smoke run (under 10 minutes on 2 cores)
    python -m benchmarks                    # the full runs (hours: full-size SVC fits, 10,000-image sets)
    python -m benchmarks --only hog cache   # some parts
    python -m benchmarks --device cuda      # add the GPU parts (skipped, with the reason, without a GPU)
    python benchmarks/run.py --list         # the parts, their scripts, options and result files

Each part runs ``python benchmarks/<script> <options>`` in its own process while this runner
holds the machine's one lock file, ``/tmp/featclf-cpu.lock`` (``FEATCLF_CPU_LOCK`` overrides it):
exclusively for timing parts, shared for accuracy parts. The scripts do not take the lock
themselves; when a parent process already holds it (``flock -x /tmp/featclf-cpu.lock python -m
benchmarks``), the runner sees that in ``/proc/locks`` and does not take it a second time (which
would wait forever). Each script writes its own ``results/<name>.json`` (``<name>_quick.json``
with ``--quick``) with the command, date, machine, versions and git commit; the runner reads the
files written during this run, prints one table and writes ``results/suite.json`` (or
``suite_quick.json``) and ``results/SUMMARY.md``, where every figure names its result file,
machine, versions, commit and command. A part whose script is missing (``bench_dask.py`` on a
branch without Dask support) or that needs a GPU not present is skipped and listed as such.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import fcntl
import glob
import json
import os
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass, field

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
RESULTS = os.path.join(HERE, "results")
LOCK = os.environ.get("FEATCLF_CPU_LOCK", "/tmp/featclf-cpu.lock")
# Published Fashion-MNIST figures (full 60,000-image training set), as in bench_fashion_mnist.PUBLISHED.
PUBLISHED_FMNIST = {"pixels-svc": 0.897, "pixels-rf": 0.873, "hog-svc": 0.926}


@dataclass(frozen=True)
class Part:
    """One part of the suite: a script, its options for the full and the quick run, its result file(s).

    ``results`` are result names (``results/<name>.json``); a name may hold a ``*`` (one file per
    device). ``--quick`` reads ``<name>_quick.json``. ``lock`` is ``"x"`` (timing: alone) or ``"s"``
    (accuracy: shared). ``gpu`` parts run only with ``--device cuda``; parts with ``default=False``
    run only when named with ``--only``.
    """

    name: str
    script: str
    what: str
    full: tuple = ()
    quick: tuple = ("--quick",)
    results: tuple = ()
    lock: str = "x"
    gpu: bool = False
    default: bool = True
    optional: str = ""  # why the script may be missing (then the part is skipped, not failed)
    notes: tuple = field(default=())


PARTS = [
    Part("fashion_mnist", "bench_fashion_mnist.py",
         "Fashion-MNIST accuracy: raw pixels + SVC / RF, HOG + SVC beside the published figures; "
         "colour histogram + SVC",
         full=("--train-size", "60000", "--config", "all", "--config", "colorhist-svc"),
         quick=("--quick",), results=("fashion_mnist",), lock="s"),
    Part("cnn_accuracy", "bench_cnn_accuracy.py",
         "Fashion-MNIST accuracy of CNN embeddings + logistic regression / SVM vs raw pixels and HOG",
         full=(), quick=("--quick", "--skip", "openclipart", "--train-size", "1000"), results=("cnn_accuracy",), lock="s"),
    Part("cluster", "bench_cluster.py",
         "k-means NMI on Fashion-MNIST: raw pixels, HOG, and the best option (UMAP on CNN embeddings)",
         full=("--parts", "fmnist"), quick=("--quick", "--parts", "fmnist", "--repeats", "1", "--fmnist-n", "1000"),
         results=("cluster",)),
    Part("hog", "bench_hog.py",
         "HOG throughput vs a scikit-image loop and bare OpenCV; colour histogram vs a NumPy loop",
         results=("hog",)),
    Part("cnn", "bench_cnn.py",
         "CNN embedding images/s from files and arrays vs the naive per-image loop and the model-only ceiling",
         results=("cnn_cpu",)),
    Part("parallel", "bench_parallel.py", "extraction from files, n_jobs=1 vs 2 (cold and warm), peak memory",
         full=("--data", "fmnist"), quick=("--quick", "--data", "fmnist"), results=("parallel_fmnist",)),
    Part("memory", "bench_memory.py", "peak RSS of HOG and colour histograms on very large PNGs",
         results=("memory",)),
    Part("cache", "bench_cache.py", "the feature cache: no cache vs first run vs rerun vs rerun after a kill",
         full=("--cli", "--repeats", "2"), results=("cache",)),
    # The Dask slot: bench_dask.py comes with Dask support (a LocalCluster vs local extraction).
    Part("dask", "bench_dask.py", "Dask (LocalCluster) vs local extraction, same features",
         results=("dask",), optional="bench_dask.py comes with Dask support; not on this branch"),
    Part("cnn_gpu", "bench_cnn.py", "GPU: CNN embedding images/s from files and arrays vs the model-only ceiling",
         full=("--device", "cuda"), quick=("--quick", "--device", "cuda"), results=("cnn_gpu_*",), gpu=True),
    # Run only when named (--only): figures kept in the README, not part of the suite.
    Part("decode", "bench_decode.py", "HOG from PNG files vs Pillow + scikit-image and OpenCV loops",
         results=("decode",), default=False),
    Part("predict", "bench_predict.py", "saved models: featclf predict vs extraction alone",
         results=("predict",), default=False),
    Part("cluster_defaults", "bench_cluster_defaults.py", "k-means preprocessing grid per extractor",
         results=("cluster_defaults",), default=False),
]
BY_NAME = {p.name: p for p in PARTS}


# --------------------------------------------------------------------------- the lock
def _ancestors() -> set:
    pids, pid = set(), os.getpid()
    while pid > 1:
        pids.add(pid)
        try:
            with open(f"/proc/{pid}/stat") as f:
                pid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            break
    return pids


def lock_held_by_ancestor(path: str = LOCK) -> bool:
    """Whether this process or one of its parents holds a lock on ``path`` (from ``/proc/locks``)."""
    try:
        st = os.stat(path)
        with open("/proc/locks") as f:
            lines = f.read().splitlines()
    except OSError:
        return False
    ancestors = _ancestors()
    for line in lines:
        fields = line.split()
        if "->" in fields:  # a waiter, not a holder
            continue
        try:
            pid, dev_inode = int(fields[4]), fields[5]
        except (IndexError, ValueError):
            continue
        if pid in ancestors and int(dev_inode.rsplit(":", 1)[1]) == st.st_ino:
            return True
    return False


@contextlib.contextmanager
def cpu_lock(mode: str, path: str = LOCK):
    """Hold ``path`` exclusively (``mode="x"``) or shared (``"s"``) unless a parent process holds it."""
    if lock_held_by_ancestor(path):
        yield "held by a parent process"
        return
    with open(path, "a") as f:
        kind = fcntl.LOCK_EX if mode == "x" else fcntl.LOCK_SH
        try:
            fcntl.flock(f, kind | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"  waiting for {path} (another benchmark holds it)...", flush=True)
            fcntl.flock(f, kind)
        try:
            yield "exclusive" if mode == "x" else "shared"
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


# --------------------------------------------------------------------------- results
def result_files(part: Part, quick: bool, since: float | None = None, results_dir: str = RESULTS) -> list:
    """The result files of ``part`` (written at or after ``since`` when given), sorted."""
    out = []
    for name in part.results:
        pattern = os.path.join(results_dir, name + ("_quick" if quick else "") + ".json")
        for path in sorted(glob.glob(pattern)):
            if not quick and path.endswith("_quick.json"):
                continue
            if since is None or os.path.getmtime(path) >= since:
                out.append(path)
    return out


def provenance(data: dict) -> list:
    """Every distinct (command, machine, versions) recorded in a result file, with the dates it ran (top level
    or one or two levels down: some files merge runs made by separate commands)."""
    found = {}

    def visit(d, depth):
        if not isinstance(d, dict):
            return
        if "command" in d:
            machine = d.get("machine") or data.get("machine") or {}
            versions = d.get("versions") or data.get("versions") or {}
            key = (d["command"], json.dumps(machine, sort_keys=True), json.dumps(versions, sort_keys=True))
            entry = found.setdefault(key, {"command": d["command"], "dates": [], "machine": machine,
                                           "versions": versions})
            if d.get("date") and d["date"] not in entry["dates"]:
                entry["dates"].append(d["date"])
        if depth < 2:
            for v in d.values():
                visit(v, depth + 1)

    visit(data, 0)
    return list(found.values())


def _fmt(v) -> str:
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:.4g}"
    return "-" if v is None else str(v)


def headline(part_name: str, data: dict) -> list:
    """The figures of one result file worth a line in the table: ``[(label, value, note), ...]``."""
    rows = []
    if part_name == "fashion_mnist":
        order = [*PUBLISHED_FMNIST, "colorhist-svc"]
        runs = sorted(data.get("runs", {}).items(), key=lambda kv: (
            order.index(kv[1]["config"]) if kv[1]["config"] in order else len(order), kv[1]["n_train"], kv[0]))
        for key, run in runs:
            if run.get("variant") or run.get("evaluated_on", "test") != "test":
                continue
            published = PUBLISHED_FMNIST.get(run["config"])
            note = f"train {run['n_train']:,}, test {run['n_test']:,}"
            if published is not None:
                note += f"; published {published} (full 60,000)"
            rows.append((f"{key} accuracy", run["accuracy"], note))
    elif part_name == "cnn_accuracy":
        fm = data.get("fashion_mnist", {})
        for r in fm.get("results", []):
            rows.append((f"{r['features']} + {r['classifier']} accuracy", r["accuracy"], fm.get("split", "")))
    elif part_name == "cluster":
        for part in ("fmnist", "openclipart", "large"):
            for r in data.get(part, {}).get("rows", []):
                rows.append((f"{part}: {r['label']} NMI", r.get("nmi"),
                             f"{r.get('process_wall_s')} s, peak growth {r.get('peak_growth_mb')} MB"))
    elif part_name == "hog":
        for name, m in data.get("methods", {}).items():
            rows.append((f"{name} us/image", m["us_per_image"],
                         f"{data.get('speed_vs_bare_cv2', {}).get(name)}x the bare cv2 loop, "
                         f"{round(data['methods']['skimage.feature.hog loop']['best_s'] / m['best_s'], 2)}x the "
                         f"scikit-image loop"))
        ch = data.get("colorhist")
        if ch:
            for name, m in ch["methods"].items():
                rows.append((f"{name} us/image", m["us_per_image"],
                             f"{round(ch['methods'][ch['baseline']]['best_s'] / m['best_s'], 2)}x the NumPy loop"))
    elif part_name == "cache":
        for name, s in data.get("sets", {}).items():
            rows.append((f"{name}: rerun speedup", round(s["rerun_speedup"], 2),
                         f"{s['n_images']:,} images; no cache {s['extract_s']['no_cache']:.2f} s, "
                         f"rerun {s['extract_s']['rerun']:.2f} s, same features: {_fmt(s['same_features'])}"))
    elif part_name == "parallel":
        for extractor, r in (data.get("results") or {}).items():
            for n_jobs, m in r.get("by_n_jobs", {}).items():
                memory = m.get("memory_worst_rep", {})
                rows.append((f"{extractor} n_jobs={n_jobs}: cold s", m.get("cold_best_s"),
                             f"warm {_fmt(m.get('warm_best_s'))} s; speedup cold {_fmt(m.get('speedup_cold'))}x, "
                             f"warm {_fmt(m.get('speedup_warm'))}x; peak RSS increase "
                             f"{_fmt(memory.get('peak_rss_self_increase_mb'))} MB + workers "
                             f"{_fmt(memory.get('peak_rss_workers_sum_mb'))} MB; feature matrix "
                             f"{_fmt(m.get('feature_matrix_mb'))} MB"))
    elif part_name == "memory":
        for extractor, by_code in (data.get("runs") or {}).items():
            for code, r in by_code.items():
                rows.append((f"{extractor}, {code}: peak RSS GB", r.get("peak_rss_gb"),
                             f"{r.get('images')} images of {data.get('params', {}).get('side')} px a side"))
    for name, t in (data.get("targets") or {}).items():
        if isinstance(t, dict) and "value" in t:
            rows.append((f"target {name}", t["value"], f"{t['target']}: {'met' if t['met'] else 'NOT met'}"))
    return rows


def fashion_mnist_comparison(quick_data: dict, full_data: dict | None) -> list:
    """Rows ``(config, quick accuracy, quick train size, full accuracy at 60,000, published, difference)``."""
    rows = []
    full_runs = (full_data or {}).get("runs", {})
    for key, run in sorted(quick_data.get("runs", {}).items()):
        if run.get("variant") or run.get("evaluated_on", "test") != "test":
            continue
        config = run["config"]
        published = PUBLISHED_FMNIST.get(config)
        full = full_runs.get(f"{config}@60000", {}).get("accuracy")
        rows.append({"config": config, "accuracy": run["accuracy"], "n_train": run["n_train"],
                     "n_test": run["n_test"], "full_60000": full, "published": published,
                     "points_vs_published": (None if published is None
                                             else round(100 * (run["accuracy"] - published), 1))})
    order = list(PUBLISHED_FMNIST)  # the published configurations first, in the paper's order
    return sorted(rows, key=lambda r: (order.index(r["config"]) if r["config"] in order else len(order), r["config"]))


def _versions_line(v: dict) -> str:
    keys = ["python", "numpy", "scikit-learn", "scikit-image", "opencv", "torch"]
    out = ", ".join(f"{k} {v[k]}" for k in keys if v.get(k))
    commit = v.get("featclf_git")
    if commit:
        out += f"; featclf {v.get('featclf', '?')} at commit `{commit}`" + (" (uncommitted changes)"
                                                                            if v.get("featclf_git_dirty") else "")
    return out


def _machine_line(m: dict) -> str:
    return f"{m.get('cpu_count', '?')} cores ({m.get('cpu_model', '?')}), {m.get('ram_gib', '?')} GiB RAM"


def summary_markdown(report: dict, results_dir: str = RESULTS) -> str:
    """The Markdown summary of one suite run (``report`` as written to ``suite[_quick].json``)."""
    quick = report["quick"]
    lines = [f"# Benchmark suite: {'quick' if quick else 'full'} run", "",
             f"Command: `{report['command']}` (started {report['started']}, {report['seconds']:.0f} s in all, of "
             f"which {report.get('waited_s', 0):.0f} s waiting for the lock while other work held it).",
             *([f"Load average (1 min) of the machine at the start and the end: {report['load_start']}, "
                f"{report['load_end']} (other work runs beside the lock: timings are indicative)."]
               if "load_start" in report else []),
             f"Lock: `{report['lock']}`. Each figure below names the result file it comes from (under "
             "`benchmarks/results/`) and the machine, versions, commit and command recorded in that file.", "",
             "| part | status | seconds | result files |", "|---|---|---|---|"]
    for p in report["parts"]:
        files = ", ".join(f"`{os.path.basename(f)}`" for f in p["files"]) or "-"
        status = p["status"] + (f" ({p['reason']})" if p.get("reason") else "")
        lines.append(f"| {p['name']} | {status} | {_fmt(p.get('seconds'))} | {files} |")
    for p in report["parts"]:
        if not p["files"]:
            continue
        lines += ["", f"## {p['name']}: {p['what']}", ""]
        for path in p["files"]:
            name = os.path.basename(path)
            with open(path) as f:
                data = json.load(f)
            lines.append(f"From `{name}`:")
            lines.append("")
            for prov in provenance(data):
                dates = sorted(prov["dates"])
                when = (dates[0] if len(dates) == 1 else f"{len(dates)} runs, {dates[0]} to {dates[-1]}"
                        if dates else "date not recorded")
                lines.append(f"- command `{prov['command']}`, {when}; machine: "
                             f"{_machine_line(prov['machine'])}; {_versions_line(prov['versions'])}")
            lines += ["", "| figure | value | note |", "|---|---|---|"]
            lines += [f"| {label} | {_fmt(value)} | {note} |" for label, value, note in headline(p["name"], data)]
            if quick and p["name"] != "fashion_mnist":
                part = BY_NAME.get(p["name"])
                full = [f"`{os.path.basename(f)}`" for f in result_files(part, False, results_dir=results_dir)
                        ] if part else []
                lines += ["", "Smoke figures of a smaller, shorter run (see the part's `--quick` options): the "
                              "targets were set for the full run" + (f", whose figures are in {', '.join(full)}"
                                                                      if full else "") + "."]
            if p["name"] == "fashion_mnist" and quick:
                full_path = os.path.join(results_dir, "fashion_mnist.json")
                full = None
                if os.path.exists(full_path):
                    with open(full_path) as f:
                        full = json.load(f)
                lines += ["", *fashion_mnist_note(fashion_mnist_comparison(data, full), full)]
    return "\n".join(lines) + "\n"


def fashion_mnist_note(rows: list, full: dict | None) -> list:
    """The quick run's Fashion-MNIST accuracies beside the published figures and the full run's."""
    out = ["Quick vs published (points = 100 x (quick - published)); the full run's figure from "
           "`fashion_mnist.json` (trained on all 60,000 training images):", "",
           "| configuration | quick accuracy | quick train / test | full run, train 60,000 | published | points |",
           "|---|---|---|---|---|---|"]
    for r in rows:
        out.append(f"| {r['config']} | {r['accuracy']} | {r['n_train']:,} / {r['n_test']:,} | {_fmt(r['full_60000'])}"
                   f" | {_fmt(r['published'])} | {_fmt(r['points_vs_published'])} |")
    off = [r for r in rows if r["points_vs_published"] is not None and abs(r["points_vs_published"]) > 0.5]
    if off:
        sizes = sorted({r["n_train"] for r in off})
        full_line = "not in this checkout"
        if full:
            full_line = ", ".join(f"{r['config']} {r['full_60000']}" for r in rows if r["full_60000"] is not None)
        out += ["", f"The quick run differs from the published figures by more than 0.5 points because it trains "
                    f"on {', '.join(f'{n:,}' for n in sizes)} images instead of 60,000 (and tests on a subset) to "
                    f"finish in minutes. The published figures are reproduced by the full run, trained on all "
                    f"60,000 images and tested on all 10,000: {full_line} (`fashion_mnist.json`)."]
    return out


# --------------------------------------------------------------------------- running
def cuda_available() -> tuple:
    """``(True, "")`` when torch sees a CUDA device, else ``(False, reason)``."""
    code = "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 3)"
    try:
        rc = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=120).returncode
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, f"could not ask torch for a GPU: {exc}"
    if rc == 0:
        return True, ""
    return False, "no CUDA device (torch.cuda.is_available() is False)" if rc == 3 else "torch is not installed"


def select(names, device: str) -> list:
    """The parts named (in that order), else every default part (GPU parts with ``device='cuda'``)."""
    if names:
        return [BY_NAME[n] for n in dict.fromkeys(names)]
    return [p for p in PARTS if p.default and (not p.gpu or device.startswith("cuda"))]


def run_part(part: Part, args, gpu_state) -> dict:
    entry = {"name": part.name, "what": part.what, "script": part.script, "files": []}
    script = os.path.join(os.path.relpath(HERE, ROOT), part.script)  # run from ROOT: recorded as typed
    if not os.path.exists(os.path.join(ROOT, script)):
        return {**entry, "status": "skipped", "reason": part.optional or f"{part.script} not found"}
    if part.gpu:
        if not args.device.startswith("cuda"):
            return {**entry, "status": "skipped", "reason": "GPU part: pass --device cuda"}
        ok, reason = gpu_state()
        if not ok:
            return {**entry, "status": "skipped", "reason": reason}
    options = [args.device if part.gpu and o == "cuda" else o for o in (part.quick if args.quick else part.full)]
    cmd = [sys.executable, script, *options]
    entry["command"] = " ".join(shlex.quote(c) for c in cmd)
    os.makedirs(args.log_dir, exist_ok=True)
    log = os.path.join(args.log_dir, f"{part.name}{'_quick' if args.quick else ''}.log")
    print(f"== {part.name}: {entry['command']} (log: {log})", flush=True)
    asked = time.perf_counter()
    with cpu_lock(part.lock) as how:
        entry["lock"] = how
        began, t0 = time.time(), time.perf_counter()
        entry["waited_s"] = round(t0 - asked, 1)  # for the lock: other benchmarks' time, not this part's
        with open(log, "w") as out:
            try:
                rc = subprocess.run(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                    timeout=args.part_timeout).returncode
            except subprocess.TimeoutExpired:
                rc = None
        entry["seconds"] = round(time.perf_counter() - t0, 1)
    entry["log"] = os.path.relpath(log, ROOT)
    entry["files"] = result_files(part, args.quick, since=began - 1)
    if rc is None:
        entry.update(status="failed", reason=f"stopped after --part-timeout {args.part_timeout} s")
    elif rc != 0:
        entry.update(status="failed", reason=f"exit status {rc}; see {os.path.relpath(log, ROOT)}")
    elif not entry["files"]:
        entry.update(status="failed", reason="no result file written")
    else:
        entry["status"] = "ok"
    if entry["status"] == "failed":
        with open(log) as f:
            tail = f.read().splitlines()[-8:]
        print("   " + "\n   ".join(tail), file=sys.stderr)
    return entry


def print_table(report: dict) -> None:
    rows = []
    for p in report["parts"]:
        first = True
        figures = []
        for path in p["files"]:
            with open(path) as f:
                data = json.load(f)
            figures += [(os.path.basename(path), *h) for h in headline(p["name"], data)]
        if not figures:
            rows.append((p["name"], p["status"] + (f": {p['reason']}" if p.get("reason") else ""), "", "", ""))
        for file, label, value, note in figures:
            rows.append((p["name"] if first else "", p["status"] if first else "", file, label, _fmt(value)))
            first = False
    head = ("part", "status", "result file", "figure", "value")
    widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]
    for r in [head, tuple("-" * w for w in widths), *rows]:
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths)))


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[0],
                                epilog=__doc__.split("\n\n", 1)[1],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="each script's smoke options, written to results/*_quick.json")
    p.add_argument("--only", nargs="+", metavar="NAME", choices=list(BY_NAME),
                   help=f"parts to run, of: {', '.join(BY_NAME)}")
    p.add_argument("--device", default="cpu", help="'cuda' adds the GPU parts (default: cpu)")
    p.add_argument("--part-timeout", type=float, default=None, help="seconds after which a part is stopped")
    p.add_argument("--list", action="store_true", help="list the parts and exit")
    p.add_argument("--resummarize", action="store_true",
                   help="rewrite the table and SUMMARY.md from the last suite[_quick].json, running nothing")
    p.add_argument("--log-dir", default=os.path.join(RESULTS, "logs"),
                   help="each part's output (default: results/logs)")
    args = p.parse_args(argv)
    if not (args.device in ("cpu", "cuda") or args.device.startswith("cuda:")):
        p.error(f"--device must be 'cpu', 'cuda' or 'cuda:N'. Got {args.device!r} instead.")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    parts = select(args.only, args.device)
    if args.resummarize:
        path = os.path.join(RESULTS, "suite_quick.json" if args.quick else "suite.json")
        if not os.path.exists(path):
            raise SystemExit(f"python -m benchmarks: error: no {os.path.relpath(path, ROOT)} to summarise: run the "
                             f"suite first{' with --quick' if args.quick else ''}.")
        with open(path) as f:
            report = json.load(f)
        report["parts"] = [{**p, "files": [os.path.join(ROOT, x) for x in p["files"]]} for p in report["parts"]]
        write_report(report, args.quick)
        return 0
    if args.list:
        for p in PARTS:
            print(f"{p.name:17s} {p.script:26s} full: {' '.join(p.full) or '(defaults)'}; quick: {' '.join(p.quick)}; "
                  f"results: {', '.join(r + '.json' for r in p.results)}{'' if p.default else ' (only with --only)'}")
        return 0
    cache = {}

    def gpu_state():
        if "gpu" not in cache:
            cache["gpu"] = cuda_available()
        return cache["gpu"]

    started = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
    t0 = time.perf_counter()
    given = argv if argv is not None else sys.argv[1:]
    report = {"command": " ".join(["python -m benchmarks", *(shlex.quote(a) for a in given)]),
              "started": started, "load_start": round(os.getloadavg()[0], 2), "quick": args.quick,
              "device": args.device, "lock": LOCK, "parts": []}
    for part in parts:
        report["parts"].append(run_part(part, args, gpu_state))
    report["seconds"] = round(time.perf_counter() - t0, 1)
    report["waited_s"] = round(sum(p.get("waited_s", 0) for p in report["parts"]), 1)
    report["load_end"] = round(os.getloadavg()[0], 2)
    failed = any(p["status"] == "failed" for p in report["parts"])
    if args.only:  # some parts: merged into the last suite file, so the summary keeps the other parts
        report = merge_into_last(report, args.quick)
    write_report(report, args.quick)
    return 1 if failed else 0


def merge_into_last(report: dict, quick: bool) -> dict:
    """``report`` (a run of some parts) merged into the last ``suite[_quick].json``: its parts replaced, the others
    kept, both commands named. Without a last suite file, ``report`` as it is."""
    path = os.path.join(RESULTS, "suite_quick.json" if quick else "suite.json")
    if not os.path.exists(path):
        return report
    with open(path) as f:
        last = json.load(f)
    ran = {p["name"]: p for p in report["parts"]}
    parts = [ran.pop(p["name"], {**p, "files": [os.path.join(ROOT, x) for x in p["files"]]}) for p in last["parts"]]
    return {**last, "command": f"{last['command']}; then {report['command']} ({report['started']})",
            "parts": parts + list(ran.values()), "seconds": round(last["seconds"] + report["seconds"], 1),
            "waited_s": round(last.get("waited_s", 0) + report["waited_s"], 1), "load_end": report["load_end"]}


def write_report(report: dict, quick: bool) -> None:
    """Print the table; write ``suite[_quick].json`` and ``SUMMARY.md``."""
    print()
    print_table(report)
    suite = os.path.join(RESULTS, "suite_quick.json" if quick else "suite.json")
    with open(suite, "w") as f:
        json.dump({**report, "parts": [{**p, "files": [os.path.relpath(x, ROOT) for x in p["files"]]}
                                       for p in report["parts"]]}, f, indent=2)
        f.write("\n")
    summary = os.path.join(RESULTS, "SUMMARY.md")
    with open(summary, "w") as f:
        f.write(summary_markdown(report))
    print(f"\nwrote {os.path.relpath(suite, ROOT)} and {os.path.relpath(summary, ROOT)} "
          f"({report['seconds']:.0f} s, of which {report['waited_s']:.0f} s waiting for the lock)")


if __name__ == "__main__":
    sys.exit(main())
