"""CNNEmbedding through the one batch engine: throughput before and after, same run, same files.

The CNN used to run its own batch loop; it now goes through the engine (decoding and
resizing in the engine's workers, the network in the parent through the extractor's
sink). This measures that the move cost nothing: ``CNNEmbedding(input_size=224,
compile=<path>).transform(files)`` on the same JPEG files (those of ``bench_cnn.py``),
with the code of a reference commit (``--ref``, default: the last commit before the
engine change) and with the working tree, each in a fresh process per measurement,
interleaved (ref then tree, tree then ref, ...), the best kept. Both CPU paths ``compile='auto'``
uses: ``jit`` (small jobs) and ``onnxruntime`` (large jobs), decoding in the parent
(``n_jobs=None``) and in two workers (``n_jobs=2``).

Run it alone::

    flock -x /tmp/featclf-cpu.lock python benchmarks/bench_engine_cnn.py

Target: throughput of the working tree >= 0.95x the reference's, for every path.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

import _common

#: The last commit before the CNN went through the engine.
DEFAULT_REF = "8a62638"
TARGET_RATIO = 0.95

CHILD = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
import featclf
assert featclf.__file__.startswith(sys.argv[1]), featclf.__file__
paths = open(sys.argv[2]).read().split("\n")
compile_, n_jobs, rounds = sys.argv[3], None if sys.argv[4] == "None" else int(sys.argv[4]), int(sys.argv[5])
est = featclf.CNNEmbedding(input_size=224, compile=compile_, n_jobs=n_jobs, verbose=0).fit()
first = est.transform(paths[:8])  # builds the graph; starts the workers
best = float("inf")
for _ in range(rounds):
    t = time.perf_counter()
    out = est.transform(paths)
    best = min(best, time.perf_counter() - t)
print("RESULT " + json.dumps({"best_s": best, "images_per_s": len(paths) / best, "checksum": float(out.sum())}))
"""


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--ref", default=DEFAULT_REF, help="reference commit (default: before the engine change)")
    p.add_argument("--n-files", type=int, default=128)
    p.add_argument("--repeats", type=int, default=3, help="interleaved fresh-process repetitions (best kept)")
    p.add_argument("--rounds", type=int, default=3, help="timed transforms in each process (best kept)")
    p.add_argument("--paths", nargs="+", default=["jit", "onnxruntime"])
    p.add_argument("--n-jobs", nargs="+", default=["None", "2"])
    p.add_argument("--quick", action="store_true", help="32 files, 1 repeat, jit only; not saved")
    p.add_argument("--no-save", action="store_true")
    args = p.parse_args(argv)
    if args.quick:
        args.n_files, args.repeats, args.rounds, args.paths, args.no_save = 32, 1, 1, ["jit"], True
    return args


def run_child(root, file_list, compile_, n_jobs, rounds):
    proc = subprocess.run([sys.executable, "-c", CHILD, root, file_list, compile_, n_jobs, str(rounds)],
                          capture_output=True, text=True, check=True)
    line = next(x for x in proc.stdout.splitlines() if x.startswith("RESULT "))
    return json.loads(line[len("RESULT "):])


def main(argv=None):
    args = parse_args(argv)
    from bench_cnn import make_files

    workdir = tempfile.mkdtemp(prefix="featclf-bench-engine-cnn-")
    try:
        ref_root = os.path.join(workdir, "ref")
        subprocess.run(["git", "-C", _common.ROOT, "worktree", "add", "--detach", "-q", ref_root, args.ref],
                       check=True)
        ref_commit = subprocess.run(["git", "-C", ref_root, "rev-parse", "--short", "HEAD"], capture_output=True,
                                    text=True, check=True).stdout.strip()
        paths = make_files(workdir, args.n_files)
        file_list = os.path.join(workdir, "files.txt")
        with open(file_list, "w") as f:
            f.write("\n".join(paths))
        versions = {"reference": ref_root, "working tree": _common.ROOT}
        runs = {(v, p, j): [] for v in versions for p in args.paths for j in args.n_jobs}
        for rep in range(args.repeats):
            for path in args.paths:
                for n_jobs in args.n_jobs:
                    order = list(versions.items())
                    for version, root in order if rep % 2 == 0 else order[::-1]:  # alternate who goes first
                        r = run_child(root, file_list, path, n_jobs, args.rounds)
                        runs[(version, path, n_jobs)].append(r)
                        print(f"  rep {rep + 1}: {version:12s} {path:11s} n_jobs={n_jobs}: "
                              f"{r['images_per_s']:.1f} images/s", flush=True)
    finally:
        subprocess.run(["git", "-C", _common.ROOT, "worktree", "remove", "--force", os.path.join(workdir, "ref")],
                       capture_output=True)
        shutil.rmtree(workdir, ignore_errors=True)

    rows, results, targets = [], {}, {}
    for path in args.paths:
        for n_jobs in args.n_jobs:
            best = {v: max(r["images_per_s"] for r in runs[(v, path, n_jobs)]) for v in versions}
            ratio = best["working tree"] / best["reference"]
            same = len({round(r["checksum"], 3) for v in versions for r in runs[(v, path, n_jobs)]}) == 1
            key = f"{path}_n_jobs_{n_jobs}"
            results[key] = {"images_per_s": {v: round(x, 1) for v, x in best.items()}, "ratio": round(ratio, 3),
                            "all_images_per_s": {v: [round(r["images_per_s"], 1) for r in runs[(v, path, n_jobs)]]
                                                 for v in versions},
                            "same_features_checksum": same}
            targets[key] = _common.target(round(ratio, 3), TARGET_RATIO, unit="x")
            rows.append({"path": path, "n_jobs": n_jobs, "reference_img_s": round(best["reference"], 1),
                         "tree_img_s": round(best["working tree"], 1), "ratio": round(ratio, 3),
                         "same_checksum": same})
    print(f"\n{args.n_files} JPEG files at 224x224; best of {args.repeats} interleaved fresh processes x "
          f"{args.rounds} transforms; reference {ref_commit}")
    _common.print_table(rows, ["path", "n_jobs", "reference_img_s", "tree_img_s", "ratio", "same_checksum"])
    for name, t in targets.items():
        print(f"{name}: {t['value']}x (target {t['target']}: {'met' if t['met'] else 'NOT met'})")
    payload = {
        **_common.header(),
        "benchmark": "CNNEmbedding throughput from files before (own batch loop) and after (through the engine)",
        "parameters": {"reference": ref_commit, "n_files": args.n_files, "repeats": args.repeats,
                       "rounds": args.rounds, "paths": args.paths, "n_jobs": args.n_jobs, "input_size": 224,
                       "files": "JPEG quality 90, 300-640 px a side, crops of scikit-image photos (bench_cnn.py)"},
        "baseline": f"the same transform with the code of {ref_commit}, same files, same run",
        "results": results,
        "targets": targets,
    }
    if not args.no_save:
        print("saved", _common.save_json("engine_cnn", payload))
    return 0


if __name__ == "__main__":
    sys.exit(main())
