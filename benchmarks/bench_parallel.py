"""Extraction from image files on disk: ``n_jobs=1`` against ``n_jobs=2``, with peak memory.

The parent process prepares a list of image files, then measures each
(extractor, n_jobs) pair in a fresh Python process (so worker start-up is paid as a user
pays it, and memory figures start clean). In that process the extractor is fitted, then
``transform(paths)`` is timed twice:

* ``cold``: the first call, including the start of the joblib (loky) worker processes;
* ``warm``: a second call on the same files, with the workers already running.

Pairs run interleaved, ``--repeats`` times; the best time of each is kept.

Data (``--data``):

* ``fmnist``: the first N Fashion-MNIST training images written as 28x28 grey PNG files
  into a temporary folder (decoding them is cheap: per-image overheads dominate);
* ``openclipart``: the Open Clip Art colour PNGs (mostly RGBA, many sizes), sorted by path,
  cycled to N files when fewer exist; decoding dominates, as with most real photo
  collections. Images over ``--max-pixels`` (16 Mpixels: 19 of 8,121 files, posters of
  100-620 Mpixels that take seconds each to decode, 3 beyond Pillow's decompression-bomb
  limit) are left out. HOG then uses ``size=(64, 64)``, pixels ``size=(32, 32)``.

Memory is sampled with psutil every ``--sample-ms`` milliseconds during each call (RSS of
the measuring process, and the sum of the RSS of its worker processes); the increase of the
measuring process's RSS over its level just before the call is compared with the size of the
final float32 feature matrix. ``resource.getrusage`` figures (``ru_maxrss`` of the process,
and of its largest reaped child after the workers are shut down) are recorded too; Linux
carries ``ru_maxrss`` over from the spawning process, so its value at start is recorded.

Run it alone (timing on 2 cores)::

    flock -x /tmp/featclf-cpu.lock python benchmarks/bench_parallel.py --data fmnist

Targets: ``n_jobs=2`` at least 1.6x faster than ``n_jobs=1``; on the first (cold) call over
10,000 28x28 Fashion-MNIST PNGs, where worker start-up weighs most, at least 1.3x.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np

import _common

TARGET_SPEEDUP = 1.6
#: First call over small files (Fashion-MNIST PNGs): worker start-up is paid inside the timing.
TARGET_SPEEDUP_COLD_SMALL_FILES = 1.3
OPENCLIPART = "/work/data/openclipart/usr/share/openclipart/png"
EXTRACTORS = {  # data -> extractor name -> params
    "fmnist": {
        "hog": {"orientations": 9, "pixels_per_cell": [4, 4], "cells_per_block": [2, 2]},
        "pixels": {},
    },
    "openclipart": {
        "hog": {"orientations": 9, "pixels_per_cell": [8, 8], "cells_per_block": [2, 2], "size": [64, 64]},
        "pixels": {"size": [32, 32], "color": "rgb"},
    },
}


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", choices=["fmnist", "openclipart"], default="fmnist")
    p.add_argument("--openclipart-root", default=OPENCLIPART)
    p.add_argument("--n-images", type=int, default=10000)
    p.add_argument("--max-pixels", type=float, default=16e6,
                   help="openclipart: leave out images with more pixels (a few 100-600 Mpixel posters take "
                        "seconds each to decode, and 3 exceed Pillow's decompression-bomb limit)")
    p.add_argument("--extractor", action="append", choices=["hog", "pixels"],
                   help="extractor(s) to measure (repeatable; default: hog and pixels)")
    p.add_argument("--n-jobs", type=int, nargs="+", default=[1, 2])
    p.add_argument("--batch-size", default="auto", help="images per worker task ('auto' or an int)")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--sample-ms", type=float, default=20.0, help="memory sampling interval")
    p.add_argument("--no-warm", action="store_true", help="time only the first (cold) call of each process")
    p.add_argument("--no-probe", action="store_true", help="skip the start-up / decoding-share probe")
    p.add_argument("--quick", action="store_true", help="1,000 images, 1 repeat, own JSON file")
    p.add_argument("--keep-files", action="store_true", help="keep the temporary PNG folder")
    p.add_argument("--no-save", action="store_true")
    p.add_argument("--child", help=argparse.SUPPRESS)  # JSON spec: run one measurement and print JSON
    args = p.parse_args(argv)
    if args.quick:
        args.n_images, args.repeats = 1000, 1
    args.extractors = args.extractor or ["hog", "pixels"]
    if args.batch_size != "auto":
        args.batch_size = int(args.batch_size)
    return args


# -- measuring process ---------------------------------------------------------------------
class MemorySampler(threading.Thread):
    """Peak RSS of this process and of the sum of its descendants.

    Each sample reads ``/proc/<pid>/statm`` of this process and of the known
    descendants (a few microseconds); the list of descendants is refreshed with
    psutil every ``refresh`` samples, so sampling costs well under 1% of a core.
    """

    def __init__(self, interval_s, refresh=25):
        super().__init__(daemon=True)
        import psutil

        self.psutil = psutil
        self.proc = psutil.Process()
        self.interval_s = interval_s
        self.refresh = refresh
        self.stop_event = threading.Event()
        self.page = os.sysconf("SC_PAGE_SIZE")
        self.children = []
        self.n_samples = 0
        self.peak_self = self.peak_children = self.peak_total = 0
        self.max_workers_seen = 0

    def _rss(self, pid):
        try:
            with open(f"/proc/{pid}/statm") as f:
                return int(f.read().split()[1]) * self.page
        except (OSError, IndexError, ValueError):
            return 0

    def sample(self):
        if self.n_samples % self.refresh == 0:
            self.children = [c.pid for c in self.proc.children(recursive=True)]
        self.n_samples += 1
        rss_self = self._rss("self")
        rss_children = sum(self._rss(pid) for pid in self.children)
        self.peak_self = max(self.peak_self, rss_self)
        self.peak_children = max(self.peak_children, rss_children)
        self.peak_total = max(self.peak_total, rss_self + rss_children)
        self.max_workers_seen = max(self.max_workers_seen, len(self.children))

    def run(self):
        while not self.stop_event.is_set():
            self.sample()
            self.stop_event.wait(self.interval_s)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop_event.set()
        self.join()
        self.sample()


def child_main(spec):
    """Fit, then time two transform calls of one extractor on the listed files; print JSON."""
    import resource

    import featclf
    import psutil

    kib = 1024  # ru_maxrss is in KiB on Linux
    # Linux carries ru_maxrss over from the spawning process: note where it starts.
    maxrss_at_start = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * kib / 1e6
    with open(spec["file_list"]) as f:
        paths = f.read().split("\n")
    params = {k: tuple(v) if isinstance(v, list) else v for k, v in spec["params"].items()}
    extractor = featclf.make_extractor(spec["extractor"], **params, n_jobs=spec["n_jobs"],
                                       batch_size=spec["batch_size"], verbose=0)
    extractor.fit(paths[:1])
    proc = psutil.Process()
    calls = {}
    features = None
    for call in ("cold",) if spec["no_warm"] else ("cold", "warm"):
        features = None  # release the previous matrix before measuring
        rss_before = proc.memory_info().rss
        with MemorySampler(spec["sample_ms"] / 1000) as mem:
            t0 = time.perf_counter()
            features = extractor.transform(paths)
            seconds = time.perf_counter() - t0
        calls[call] = {
            "seconds": seconds,
            "rss_before_mb": rss_before / 1e6,
            "peak_rss_self_mb": mem.peak_self / 1e6,
            "peak_rss_self_increase_mb": (mem.peak_self - rss_before) / 1e6,
            "peak_rss_workers_sum_mb": mem.peak_children / 1e6,
            "peak_rss_total_mb": mem.peak_total / 1e6,
            "workers_seen": mem.max_workers_seen,
        }
    if spec["n_jobs"] != 1:  # reap the loky workers so RUSAGE_CHILDREN covers them
        from joblib.externals.loky import get_reusable_executor

        get_reusable_executor().shutdown(wait=True)
    out = {
        "calls": calls,
        "shape": list(features.shape),
        "dtype": str(features.dtype),
        "feature_matrix_mb": features.nbytes / 1e6,
        "checksum": float(np.float64(features.sum(dtype=np.float64))),
        "ru_maxrss_self_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * kib / 1e6,
        "ru_maxrss_self_at_start_mb": maxrss_at_start,
        "ru_maxrss_largest_child_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * kib / 1e6,
    }
    print("RESULT " + json.dumps(out))


# -- parent --------------------------------------------------------------------------------
def prepare_files(args, workdir):
    """Write or list the image files; return (file_list_path, description)."""
    if args.data == "fmnist":
        from PIL import Image

        import featclf

        images = featclf.load_fashion_mnist(split="train").sources[: args.n_images]
        folder = os.path.join(workdir, "png")
        os.makedirs(folder)
        paths = []
        for i, img in enumerate(images):
            path = os.path.join(folder, f"{i:05d}.png")
            Image.fromarray(img).save(path)
            paths.append(path)
        sizes = [os.path.getsize(p) for p in paths]
        desc = {"data": "Fashion-MNIST train[:N] written as 28x28 grey PNG files (PIL, default compression)",
                "n_unique_files": len(paths), "mean_file_bytes": float(np.mean(sizes))}
    else:
        found = _common.openclipart_pngs(args.openclipart_root)
        pixels = {p: n for p, (n, _) in found.items()}
        excluded = [p for p in found if pixels[p] > args.max_pixels]
        kept = [p for p in found if pixels[p] <= args.max_pixels]
        paths = [kept[i % len(kept)] for i in range(args.n_images)]
        desc = {"data": f"Open Clip Art colour PNGs under {args.openclipart_root}, sorted, cycled to N",
                "n_files_found": len(found),
                "excluded_over_max_pixels": {"max_pixels": args.max_pixels, "n": len(excluded),
                                             "over_pillow_bomb_limit": sum(v == float("inf") for v in pixels.values())},
                "n_unique_files": min(len(kept), args.n_images),
                "median_pixels": float(np.median([pixels[p] for p in kept])),
                "mean_pixels": float(np.mean([pixels[p] for p in paths])),
                "mean_file_bytes": float(np.mean([os.path.getsize(p) for p in paths[: len(kept)]]))}
    file_list = os.path.join(workdir, "files.txt")
    with open(file_list, "w") as f:
        f.write("\n".join(paths))
    return file_list, desc


def measure(args, file_list, extractor, n_jobs):
    spec = {"file_list": file_list, "extractor": extractor, "params": EXTRACTORS[args.data][extractor],
            "n_jobs": n_jobs, "batch_size": args.batch_size, "sample_ms": args.sample_ms, "no_warm": args.no_warm}
    proc = subprocess.run([sys.executable, os.path.abspath(__file__), "--child", json.dumps(spec)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"measurement {extractor} n_jobs={n_jobs} failed:\n{proc.stderr}")
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")][-1]
    return json.loads(line[len("RESULT "):])


PROBE = r"""
import sys, time
sys.path.insert(0, {root!r})
t0 = time.perf_counter()
import joblib
def trivial(x):
    return x
def with_import(x):
    import featclf.engine._extract, featclf.kernels  # what a worker imports to run a chunk of a kernel
    return x
mode = sys.argv[1]
t = time.perf_counter()
if mode == "import":
    import featclf.engine._extract, featclf.kernels
else:
    joblib.Parallel(n_jobs=2)(joblib.delayed(trivial if mode == "workers" else with_import)(i) for i in range(4))
print(time.perf_counter() - t)
"""


def probe(args, file_list):
    """Where the time of one call goes: worker start-up, imports, decoding vs features."""
    import featclf
    from featclf.io import load_image

    out = {}
    for mode, label in [("workers", "start 2 loky workers, trivial task"),
                        ("workers+import", "start 2 loky workers that import the engine and the kernels"),
                        ("import", "import the engine and the kernels in one process")]:
        secs = [float(subprocess.run([sys.executable, "-c", PROBE.format(root=_common.ROOT), mode],
                                     capture_output=True, text=True, check=True).stdout) for _ in range(3)]
        out[mode] = {"what": label, "best_s": round(min(secs), 3)}
    with open(file_list) as f:
        paths = f.read().split("\n")[:1000]
    mode = "grey" if args.data == "fmnist" else "rgb"
    params = {k: tuple(v) if isinstance(v, list) else v for k, v in EXTRACTORS[args.data]["hog"].items()}
    hog = featclf.make_extractor("hog", **params, n_jobs=1, verbose=0).fit(paths[:1])
    hog.transform(paths[:50])
    decode_s = total_s = float("inf")
    for _ in range(3):  # interleaved, best of 3
        decode_s = min(decode_s, _common.timed(lambda: [load_image(p, mode=mode) for p in paths])[1])
        total_s = min(total_s, _common.timed(hog.transform, paths)[1])
    out["decode_share_n_jobs_1"] = {
        "what": "load_image alone vs HOG transform (decode + resize + HOG), 1,000 files, one process",
        "decode_us_per_image": round(1e6 * decode_s / len(paths), 1),
        "hog_transform_us_per_image": round(1e6 * total_s / len(paths), 1),
        "decode_fraction": round(decode_s / total_s, 3),
    }
    return out


def main(argv=None):
    args = parse_args(argv)
    if args.child:
        child_main(json.loads(args.child))
        return 0
    calls = ("cold",) if args.no_warm else ("cold", "warm")
    workdir = tempfile.mkdtemp(prefix="featclf-bench-parallel-")
    try:
        t0 = time.perf_counter()
        file_list, data_desc = prepare_files(args, workdir)
        data_desc["prepare_s"] = round(time.perf_counter() - t0, 2)
        print(f"{args.n_images} files ready ({data_desc['data']}) in {data_desc['prepare_s']} s", flush=True)
        runs = {(e, j): [] for e in args.extractors for j in args.n_jobs}
        for rep in range(args.repeats):
            for extractor in args.extractors:
                for n_jobs in args.n_jobs:
                    r = measure(args, file_list, extractor, n_jobs)
                    runs[(extractor, n_jobs)].append(r)
                    print(f"  rep {rep + 1}: {extractor} n_jobs={n_jobs}: "
                          + ", ".join(f"{c} {r['calls'][c]['seconds']:.2f} s" for c in calls), flush=True)
        # after the measurements: the probe grows this process, whose peak RSS the
        # measuring processes would otherwise inherit in ru_maxrss
        profile = None if args.no_probe else probe(args, file_list)
        if profile:
            print("probe:", json.dumps(profile), flush=True)
    finally:
        if args.keep_files:
            print("files kept in", workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    results, rows, targets = {}, [], {}
    n = args.n_images
    for extractor in args.extractors:
        entry = {"params": EXTRACTORS[args.data][extractor], "by_n_jobs": {}}
        for n_jobs in args.n_jobs:
            rs = runs[(extractor, n_jobs)]
            mem = max(rs, key=lambda r: r["calls"]["cold"]["peak_rss_total_mb"])  # worst case
            e = {}
            for c in calls:
                ts = [r["calls"][c]["seconds"] for r in rs]
                e[f"{c}_best_s"] = round(min(ts), 3)
                e[f"{c}_all_s"] = [round(t, 3) for t in ts]
                e[f"us_per_image_{c}"] = round(1e6 * min(ts) / n, 1)
            e |= {
                "shape": rs[0]["shape"], "feature_matrix_mb": round(rs[0]["feature_matrix_mb"], 2),
                "checksums": sorted({r["checksum"] for r in rs}),
                "memory_worst_rep": {k: (round(v, 1) if isinstance(v, float) else v)
                                     for k, v in mem["calls"]["cold"].items() if k != "seconds"}
                | {"ru_maxrss_self_mb": round(mem["ru_maxrss_self_mb"], 1),
                   "ru_maxrss_self_at_start_mb": round(mem["ru_maxrss_self_at_start_mb"], 1),
                   "ru_maxrss_largest_child_mb": round(mem["ru_maxrss_largest_child_mb"], 1)},
            }
            entry["by_n_jobs"][str(n_jobs)] = e
        base = entry["by_n_jobs"].get("1")
        for n_jobs in args.n_jobs:
            e = entry["by_n_jobs"][str(n_jobs)]
            if base:
                for c in calls:
                    e[f"speedup_{c}"] = round(base[f"{c}_best_s"] / e[f"{c}_best_s"], 2)
            m = e["memory_worst_rep"]
            rows.append({"extractor": extractor, "n_jobs": n_jobs, "cold_s": e["cold_best_s"],
                         "warm_s": e.get("warm_best_s"), "speedup_cold": e.get("speedup_cold"),
                         "speedup_warm": e.get("speedup_warm"), "matrix_mb": e["feature_matrix_mb"],
                         "self_peak_incr_mb": m["peak_rss_self_increase_mb"],
                         "workers_peak_mb": m["peak_rss_workers_sum_mb"]})
        if base and "2" in entry["by_n_jobs"]:
            e2 = entry["by_n_jobs"]["2"]
            entry["identical_output_1_vs_2"] = base["checksums"] == e2["checksums"]
            for c in calls:
                goal = TARGET_SPEEDUP_COLD_SMALL_FILES if (args.data, c) == ("fmnist", "cold") else TARGET_SPEEDUP
                targets[f"{extractor}_speedup_n_jobs_2_{c}"] = _common.target(e2[f"speedup_{c}"], goal, unit="x")
        results[extractor] = entry

    print(f"\n{n} files, {data_desc['data']}; best of {args.repeats} (fresh process per measurement)")
    _common.print_table(rows, ["extractor", "n_jobs", "cold_s", "warm_s", "speedup_cold", "speedup_warm",
                               "matrix_mb", "self_peak_incr_mb", "workers_peak_mb"])
    for name, t in targets.items():
        print(f"{name}: {t['value']}x (target {t['target']}: {'met' if t['met'] else 'NOT met'})")
    payload = {
        **_common.header(),
        "benchmark": "extraction of image files from disk, n_jobs=1 vs n_jobs=2, with peak memory",
        "parameters": {"data": args.data, "n_images": n, "extractors": args.extractors, "n_jobs": args.n_jobs,
                       "batch_size": args.batch_size, "repeats": args.repeats, "sample_ms": args.sample_ms,
                       "calls": list(calls)},
        "data": data_desc,
        "method": ("each measurement in a fresh process; cold = first transform (loky worker start-up included), "
                   "warm = second transform in the same process; best of repeats. Memory: psutil RSS sampled "
                   "every sample_ms ms (measuring process, and sum over its worker processes); increase over "
                   "the RSS just before the call; getrusage ru_maxrss (self, largest reaped child; Linux carries "
                   "ru_maxrss over from the spawning process, hence ru_maxrss_self_at_start_mb)."),
        "baseline": "n_jobs=1, same files, same run",
        "profile": profile,
        "results": results,
        "targets": targets,
    }
    if not args.no_save:
        name = f"parallel_{args.data}" + ("_quick" if args.quick else "")
        print("saved", _common.save_json(name, payload))
    return 0


if __name__ == "__main__":
    sys.exit(main())
