"""Dask vs local: extraction of image files on a ``dask.distributed.LocalCluster`` against ``n_jobs=2`` locally.

Data: the first N Fashion-MNIST training images written as 28x28 grey PNG files into a
temporary folder (``bench_cache.write_files``). Extractors: ``hog:pixels_per_cell=4x4``
(N = 10,000; ``--quick``: 1,000) and ``cnn:input_size=64`` (EfficientNet-Lite0 at 64x64;
N = 500; ``--quick``: 100). Each extractor is fitted once in this process, then
``extract(paths)`` is timed:

* ``local``: ``n_jobs=2`` (the calling process and one loky worker process, reused between calls);
* ``dask``: the same extractor under ``joblib.parallel_config(backend="dask")`` on a
  ``LocalCluster(n_workers=2, threads_per_worker=1, processes=True)`` -- the README's
  "On a cluster (Dask)" usage; each chunk is a task, the workers read the files.

The cluster's start-up (and the client's connection) is timed apart and left out of the ratio.
Before timing, one small run of each extractor both ways warms the local workers and the cluster
(imports; the CNN's network built once in each worker). Then local and dask runs alternate,
``--repeats`` times (``--quick``: 1); the best of each is kept and the features of every run are
asserted bit-identical to the first local run's. Figure: wall time dask / local. Each repetition
also times an extraction of 2 images both ways: the fixed cost of one call (for Dask the scatter of
the extractor to the workers and, for the CNN, its network built again in each worker: the scattered
copy lives for one extraction).

    flock -x /tmp/featclf-cpu.lock python benchmarks/bench_dask.py
    flock -x /tmp/featclf-cpu.lock python benchmarks/bench_dask.py --quick   # under a minute

Target (ours, not from the issue): dask / local <= 1.5 for each extractor on the full run (the
same two worker processes; Dask adds its scheduler round trips and the per-extraction scatter of
the extractor's kernels).
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time

import _common
import bench_cache
import numpy as np

SETS = {"hog": {"spec": "hog:pixels_per_cell=4x4", "n": 10000, "quick_n": 1000},
        "cnn": {"spec": "cnn:input_size=64", "n": 500, "quick_n": 100}}
N_WORKERS = 2
WARM_N = 50
FIXED_N = 2  # an extraction of 2 images: the per-call cost (for Dask: scatter, and the CNN's network per worker)
TARGET_RATIO = 1.5


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sets", nargs="+", choices=list(SETS), default=list(SETS))
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--quick", action="store_true", help="1,000 HOG images, 100 CNN images, one repeat")
    p.add_argument("--no-save", action="store_true")
    return p.parse_args(argv)


def start_cluster():
    """``(cluster, client, seconds)``: two worker processes that import this checkout's featclf."""
    from dask.distributed import Client, LocalCluster

    import featclf

    t0 = time.perf_counter()
    cluster = LocalCluster(n_workers=N_WORKERS, threads_per_worker=1, processes=True, dashboard_address=None,
                           env={"PYTHONPATH": _common.ROOT})
    client = Client(cluster)
    client.wait_for_workers(N_WORKERS)
    seconds = time.perf_counter() - t0
    assert set(client.run(lambda: featclf.__file__).values()) == {featclf.__file__}, "workers import another featclf"
    return cluster, client, seconds


def measure(name, n, paths, client, repeats):
    import joblib

    import featclf

    extractor = featclf.make_extractor(SETS[name]["spec"]).set_params(verbose=0, n_jobs=N_WORKERS).fit(paths[:n])

    def local(p):
        return _common.timed(extractor.extract, p)

    def dask(p):
        with joblib.parallel_config(backend="dask", client=client):
            return _common.timed(extractor.extract, p)

    warm = {"local": local(paths[:WARM_N])[1], "dask": dask(paths[:WARM_N])[1]}
    times, fixed = {"local": [], "dask": []}, {"local": [], "dask": []}
    reference = None
    for _ in range(repeats):  # interleaved
        for label, run in (("local", local), ("dask", dask)):
            fixed[label].append(run(paths[:FIXED_N])[1])
            record, seconds = run(paths[:n])
            times[label].append(seconds)
            if reference is None:
                reference = record.features
            assert record.features.shape == (n, reference.shape[1]), record.features.shape
            np.testing.assert_array_equal(record.features, reference)  # bit-identical, every run
    best = {label: min(ts) for label, ts in times.items()}
    ratio = best["dask"] / best["local"]
    return {"spec": SETS[name]["spec"], "n_images": n, "n_features": int(reference.shape[1]),
            "best_s": best, "all_s": times, "warm_up_s": warm, "warm_up_images": WARM_N,
            "fixed_cost_s": {label: min(ts) for label, ts in fixed.items()}, "fixed_cost_images": FIXED_N,
            "images_per_s": {label: n / s for label, s in best.items()},
            "dask_over_local": ratio, "same_features": True}


def main(argv=None):
    args = parse_args(argv)
    if args.quick:
        args.repeats = 1
    sizes = {name: SETS[name]["quick_n" if args.quick else "n"] for name in args.sets}
    workdir = tempfile.mkdtemp(prefix="featclf-bench-dask-")
    try:
        paths = bench_cache.write_files("png28", max(sizes.values()), os.path.join(workdir, "png28"))
        cluster, client, startup_s = start_cluster()
        try:
            results = {name: measure(name, n, paths, client, args.repeats) for name, n in sizes.items()}
        finally:
            client.close()
            cluster.close()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    rows = [{"extractor": r["spec"], "n": r["n_images"], "local s": r["best_s"]["local"],
             "dask s": r["best_s"]["dask"], "dask/local": r["dask_over_local"],
             "local img/s": r["images_per_s"]["local"], "dask img/s": r["images_per_s"]["dask"],
             "2-image call local s": r["fixed_cost_s"]["local"], "2-image call dask s": r["fixed_cost_s"]["dask"],
             "same": r["same_features"]} for r in results.values()]
    _common.print_table(rows, list(rows[0]))
    print(f"cluster start-up (2 worker processes, client connected): {startup_s:.2f} s (not in the ratio)")
    payload = {**_common.header(),
               "parameters": {"repeats": args.repeats, "n_workers": N_WORKERS, "threads_per_worker": 1,
                              "local_n_jobs": N_WORKERS, "data": "Fashion-MNIST training images, 28x28 PNG files"},
               "cluster_startup_s": startup_s, "load_average_after": os.getloadavg(), "sets": results,
               "targets": {f"{name}_dask_over_local": _common.target(round(r["dask_over_local"], 2), TARGET_RATIO,
                                                                       unit="x", higher_is_better=False)
                           for name, r in results.items()}}
    if not args.no_save:
        print("saved", _common.save_json("dask_quick" if args.quick else "dask", payload))


if __name__ == "__main__":
    main()
