"""Peak memory on very large images: sixteen 12000x12000 grey PNGs through HOG(size=(64, 64)) and ColorHistogram().

The case of issue 9 (kind 5): a batch of full-size images decoded before any was
resized drove one worker to 6.9 GB. The rule now: a worker holds about one full-size
decoded image at a time (each image decoded, prepared by every extractor and dropped
before the next is decoded; decoding holds Pillow's image and the array it becomes,
converted a strip of rows at a time, with no other full-size temporary).

ColorHistogram (default ``size=None``: images kept at their native size) once kept
every full-size RGBA image of a batch until computing the histograms (9.9 GB on this
case); its kernel now computes each histogram right after decoding. It is compared with
``--colorhist-before`` (the commit before that change).

Each measurement is a fresh child process running
``featclf.HOG(size=(64, 64), n_jobs=1).fit(None).transform(paths)`` (or
``featclf.ColorHistogram(n_jobs=1).fit(paths).transform(paths)``) on the same
generated files (mostly constant, so each PNG is small on disk); its peak RSS is its
own ``resource.getrusage(RUSAGE_SELF).ru_maxrss``, next to its RSS after importing
featclf. Compared, in the same run, with the code of two reference commits taken with
``git archive``: ``--old`` (the batch decode of the report: the last commit before the
engine prepared each image right after decoding) and ``--parent`` (before the strip
conversion). Features are checked identical across the three (checksums).

Run it alone::

    flock -x /tmp/featclf-cpu.lock python benchmarks/bench_memory.py

Target: the working tree's peak RSS under 1.5 GB (n_jobs=1). The ``--old`` baseline
needs about 7 GB: it runs on all images only when that much memory is available
(``--old-images`` otherwise, recorded).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time

import _common

#: The last commit before "engine: each image prepared right after decoding" (e6ba7f8).
OLD_REF = "28c8b8c"
#: The parent of this change (decoding without strips).
PARENT_REF = "ade6118"
#: The commit before ColorHistogram computed each histogram in ``prepare``.
COLORHIST_BEFORE_REF = "7d72b0e"
#: What each child runs, by extractor.
EXTRACTORS = {
    "hog": "featclf.HOG(size=(64, 64), n_jobs=1, verbose=0).fit(None)",
    "colorhist": "featclf.ColorHistogram(n_jobs=1, verbose=0).fit(paths)",
}
TARGET_GB = 1.5

CHILD = r"""
import json, resource, sys, time, warnings
sys.path.insert(0, sys.argv[1])
warnings.simplefilter("ignore")  # the old code lets Pillow's DecompressionBombWarning through
import featclf
assert featclf.__file__.startswith(sys.argv[1]), featclf.__file__
paths = sys.argv[2].split("\n")
imported = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
t = time.perf_counter()
X = eval(sys.argv[3], {"featclf": featclf, "paths": paths}).transform(paths)
seconds = time.perf_counter() - t
print("RESULT " + json.dumps({"peak_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e9,
                              "rss_after_import_gb": imported / 1e9, "seconds": seconds, "rows": int(X.shape[0]),
                              "checksum": float(X.astype("float64").sum())}))
"""


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n-images", type=int, default=16)
    p.add_argument("--side", type=int, default=12000, help="image height and width (default: 12000)")
    p.add_argument("--old", default=OLD_REF, help=f"reference commit with the batch decode (default: {OLD_REF})")
    p.add_argument("--parent", default=PARENT_REF, help=f"reference commit before this change ({PARENT_REF})")
    p.add_argument("--colorhist-before", default=COLORHIST_BEFORE_REF,
                   help=f"reference commit before ColorHistogram's prepare (default: {COLORHIST_BEFORE_REF})")
    p.add_argument("--extractors", default="hog,colorhist", help="comma-separated, of: hog, colorhist")
    p.add_argument("--old-images", type=int, default=None,
                   help="images for the --old baseline (default: all when the memory allows, else 4)")
    p.add_argument("--quick", action="store_true", help="4 images of 6000x6000, written to results/memory_quick.json")
    p.add_argument("--no-save", action="store_true")
    return p.parse_args(argv)


def make_images(folder, n, side):
    """``n`` grey PNGs of ``side`` x ``side``: a constant background with a few bars (small on disk)."""
    import numpy as np
    from PIL import Image

    image = np.full((side, side), 200, np.uint8)
    image[side // 100 : side // 50, side // 100 : side // 2] = 30
    paths = []
    for i in range(n):
        image[side // 40 + 10 * i : side // 40 + 10 * i + 10, side // 40 : side // 10] = 10 * i
        path = os.path.join(folder, f"big{i:02d}.png")
        Image.fromarray(image).save(path, compress_level=1)
        paths.append(path)
    return paths


def code_of(ref, folder):
    """The ``featclf`` package of commit ``ref``, extracted under ``folder`` (no checkout, no worktree)."""
    archive = os.path.join(folder, f"{ref}.tar")
    subprocess.run(["git", "-C", _common.ROOT, "archive", "-o", archive, ref, "featclf"], check=True)
    root = os.path.join(folder, ref)
    with tarfile.open(archive) as tar:
        tar.extractall(root, filter="data")
    return root


def measure(root, paths, extractor="hog"):
    proc = subprocess.run([sys.executable, "-c", CHILD, root, "\n".join(paths), EXTRACTORS[extractor]],
                          capture_output=True, text=True,
                          env={**os.environ, "OMP_NUM_THREADS": "1"})
    line = next((x for x in proc.stdout.splitlines() if x.startswith("RESULT ")), None)
    if proc.returncode != 0 or line is None:
        return {"error": f"exit {proc.returncode}: {proc.stderr.strip().splitlines()[-1:]}"}
    return json.loads(line[len("RESULT "):])


def main(argv=None):
    args = parse_args(argv)
    if args.quick:
        args.n_images, args.side = 4, 6000
    from featclf._validation import available_memory

    with tempfile.TemporaryDirectory(prefix="featclf-bench-memory-") as tmp:
        began = time.perf_counter()
        paths = make_images(tmp, args.n_images, args.side)
        sizes = [os.path.getsize(p) for p in paths]
        print(f"{len(paths)} PNGs of {args.side}x{args.side} written in {time.perf_counter() - began:.1f} s "
              f"({min(sizes) / 1e3:.0f}-{max(sizes) / 1e3:.0f} kB each)", flush=True)
        # The old codes hold a batch of decoded images at once (3 bytes a pixel as RGB, 4 as RGBA): they run
        # on all the images only when that fits in the memory available, with a margin for the other work here.
        available = available_memory() or 0

        def images_for(bytes_per_pixel):
            need = bytes_per_pixel * args.side**2 * args.n_images * 1.2
            return args.old_images or (args.n_images if available > need + 4e9 else min(4, args.n_images))

        plans = {
            "hog": {"working tree": (_common.ROOT, len(paths)), "parent": (code_of(args.parent, tmp), len(paths)),
                    "old": (code_of(args.old, tmp), images_for(3))},
            "colorhist": {"working tree": (_common.ROOT, len(paths)),
                          "before": (code_of(args.colorhist_before, tmp), images_for(4))},
        }
        runs = {}
        for extractor in args.extractors.split(","):
            runs[extractor] = {}
            for name, (root, n) in plans[extractor].items():
                runs[extractor][name] = {"images": n, **measure(root, paths[:n], extractor)}
                print(f"{extractor:9s} {name:13s} {runs[extractor][name]}", flush=True)
    same, targets = {}, {}
    table = [("extractor", "code", "images", "peak RSS GB", "RSS after import GB", "s")]
    for extractor, by_code in runs.items():
        tree = by_code["working tree"]
        same[extractor] = all(r.get("checksum") == tree.get("checksum")
                              for r in by_code.values() if r["images"] == tree["images"])
        for name, r in by_code.items():
            table.append((extractor, name, r["images"], f"{r.get('peak_rss_gb', float('nan')):.2f}",
                          f"{r.get('rss_after_import_gb', float('nan')):.2f}", f"{r.get('seconds', float('nan')):.1f}"))
        targets[f"{extractor}_peak_rss_under_1.5_gb"] = _common.target(tree.get("peak_rss_gb"), TARGET_GB,
                                                                       unit=" GB", higher_is_better=False)
    for row in table:
        print(" | ".join(f"{c!s:>20s}" for c in row))
    print(f"features identical across the code versions measured on the same images: {same}")
    payload = {
        **_common.header(),
        "params": {"n_images": args.n_images, "side": args.side, "extractors": EXTRACTORS,
                   "old_ref": args.old, "parent_ref": args.parent, "colorhist_before_ref": args.colorhist_before,
                   "file_kb": [round(s / 1e3, 1) for s in sizes], "memory_available_gb": round(available / 1e9, 1)},
        "runs": runs,
        "features_identical": same,
        "targets": targets,
    }
    if not args.no_save:
        print("saved", _common.save_json("memory_quick" if args.quick else "memory", payload))
    return 0


if __name__ == "__main__":
    sys.exit(main())
