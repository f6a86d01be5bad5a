"""Which preprocessing should k-means clustering use by default, per extractor? (issue 10)

For each data set, extractor and preprocessing in {none, standardise, l2, pca50, l2+pca50},
``KMeans(n_clusters=k, n_init=10, random_state=0)`` clusters the features and the clusters
are scored against the true classes with NMI and ARI (``sklearn.metrics``); the wall time
of preprocessing + k-means and the size of the largest cluster are recorded. Then
``n_clusters="auto"`` as the issue describes it: k-means for every k in ``--k-range``
(default 2..12), silhouette on a 2,000-image sample, the k of the highest silhouette.

Data sets:

1. **Open Clip Art**, k=6: 100 images from each of six category folders (``CLASSES``).
   Selection rule (deterministic): in each folder, every ``.png`` found by ``os.walk``
   that is a regular file (symbolic links are left out: many point into other categories)
   and declares at most 16 Mpixels in its header (the posters of 100+ Mpixels are left
   out, as in ``bench_parallel.py``), sorted by path; then
   ``numpy.random.default_rng(0).choice(n, 100, replace=False)``, sorted. Extractors as
   ``featclf evaluate`` uses them: ``RawPixels(size=(32, 32), color="rgb")``,
   ``HOG(size=(64, 64))``, ``ColorHistogram()`` (HSV, 8x8x8 joint), ``CNNEmbedding()``
   (EfficientNet-Lite0, ImageNet weights, 224x224). The folders ``plants`` and
   ``buildings`` hold fewer than 100 such files (66 and 68), so ``tools`` and
   ``geography`` take their place.
2. **Fashion-MNIST test set** (10,000 28x28 grey images), k=10: ``RawPixels()``
   (pixels / 255) and ``HOG(9 orientations, 4x4 cells, 2x2 blocks)`` (1,296 features,
   the reference measured before featclf); ``CNNEmbedding()`` at 224x224 only with ``--fmnist-cnn``
   (its extraction time on the first 500 images is always measured and extrapolated).

``--umap-python PY`` (an interpreter of a separate environment holding ``umap-learn``;
featclf's own does not need it) adds PCA(50) + UMAP(10 dims, n_neighbors=30, min_dist=0,
random_state=0) + k-means on Fashion-MNIST HOG and raw pixels, the reference measured before featclf
figures 0.633 and 0.619.

Run from the repository root; timings under the exclusive lock::

    flock -x /tmp/featclf-cpu.lock python benchmarks/bench_cluster_defaults.py \\
        --umap-python UMAP_ENV/bin/python

``--data openclipart|fmnist`` runs one data set (each merges its section into the same
result file); ``--quick`` (20 images per category, 1,000 Fashion-MNIST images, k 2..6)
is a smoke run written to ``results/cluster_defaults_quick.json``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import warnings

import _common  # puts the repository root on sys.path
import numpy as np

CLASSES = ["animals", "food", "geography", "people", "tools", "transportation"]
DEFAULT_COLLECTION = "/tmp/oca/usr/share/openclipart/png"
MAX_PIXELS = 16_000_000
PREPROCESSINGS = ["none", "standardise", "l2", "pca50", "l2+pca50"]
#: The preprocessing auto-k runs with, per extractor: the defaults these measurements chose.
DEFAULTS = {"pixels": "l2+pca50", "hog": "l2+pca50", "colorhist": "none", "cnn": "l2+pca50"}
SEED = 0


# --------------------------------------------------------------------------- data
def find_collection(path=None):
    for candidate in (path, os.environ.get("FEATCLF_OPENCLIPART"), DEFAULT_COLLECTION):
        if candidate and os.path.isdir(candidate):
            return candidate
    return None


def openclipart_pools(root: str) -> dict:
    """Per category: the eligible files (regular ``.png`` files of at most 16 Mpixels), sorted by path."""
    from PIL import Image

    pools = {}
    for name in CLASSES:
        found = sorted(os.path.join(d, f) for d, _, files in os.walk(os.path.join(root, name))
                       for f in files if f.lower().endswith(".png"))
        pool = []
        for path in found:
            if os.path.islink(path) or not os.path.isfile(path):
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                try:
                    with Image.open(path) as im:  # header only
                        if im.size[0] * im.size[1] > MAX_PIXELS:
                            continue
                except Image.DecompressionBombError:
                    continue
            pool.append(path)
        pools[name] = pool
    return pools


def openclipart_selection(pools: dict, per_class: int, seed: int = SEED):
    """``per_class`` files of each category: ``default_rng(seed).choice(len(pool), per_class)``, sorted."""
    paths, labels = [], []
    for j, name in enumerate(CLASSES):
        pool = pools[name]
        if len(pool) < per_class:
            raise SystemExit(f"{name}: only {len(pool)} eligible PNG files, {per_class} needed")
        pick = np.sort(np.random.default_rng(seed).choice(len(pool), per_class, replace=False))
        paths += [pool[i] for i in pick]
        labels += [j] * per_class
    return paths, np.array(labels)


def pil_modes(paths):
    from collections import Counter

    from PIL import Image

    modes = Counter()
    for path in paths:
        with Image.open(path) as im:
            modes[im.mode] += 1
    return dict(modes)


# --------------------------------------------------------------------------- clustering
def make_preprocessing(name: str, n_samples: int, n_features: int):
    from sklearn.decomposition import PCA
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, Normalizer, StandardScaler

    n_pca = min(50, n_samples, n_features)
    return {
        "none": FunctionTransformer(),
        "standardise": StandardScaler(),
        "l2": Normalizer(),
        "pca50": PCA(n_pca, random_state=SEED),
        "l2+pca50": make_pipeline(Normalizer(), PCA(n_pca, random_state=SEED)),
    }[name]


def kmeans(Z, k):
    from sklearn.cluster import KMeans

    return KMeans(n_clusters=k, n_init=10, random_state=SEED).fit(Z)


def score(y, labels) -> dict:
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    sizes = np.bincount(labels)
    return {"nmi": round(float(normalized_mutual_info_score(y, labels)), 4),
            "ari": round(float(adjusted_rand_score(y, labels)), 4),
            "largest_cluster": int(sizes.max()), "smallest_cluster": int(sizes.min())}


def grid(dataset: str, features: dict, y, k: int, echo: bool = True) -> list[dict]:
    rows = []
    for name, (F, extract_s) in features.items():
        for prep in PREPROCESSINGS:
            F64 = np.asarray(F, dtype=np.float64)
            t0 = time.perf_counter()
            Z = make_preprocessing(prep, *F64.shape).fit_transform(F64)
            prep_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            model = kmeans(Z, k)
            kmeans_s = time.perf_counter() - t0
            row = {"data": dataset, "extractor": name, "n_features": int(F.shape[1]), "preprocessing": prep,
                   **score(y, model.labels_), "cluster_s": round(prep_s + kmeans_s, 2),
                   "preprocess_s": round(prep_s, 2), "kmeans_s": round(kmeans_s, 2),
                   "extract_s": round(extract_s, 1)}
            rows.append(row)
            if echo:
                print(f"  {name:9} {prep:11} NMI {row['nmi']:.4f}  ARI {row['ari']:.4f}  largest "
                      f"{row['largest_cluster']:5}  {row['cluster_s']:.2f} s", flush=True)
    return rows


def auto_k(Z, y, k_range, sample_size) -> dict:
    """k-means for each k, silhouette on a sample (the whole set when smaller): the curve and the pick."""
    from sklearn.metrics import silhouette_score

    curve = []
    t_all = time.perf_counter()
    for k in k_range:
        model = kmeans(Z, k)
        sil = silhouette_score(Z, model.labels_, sample_size=min(sample_size, len(Z)), random_state=SEED)
        curve.append({"k": k, "silhouette": round(float(sil), 4), **score(y, model.labels_)})
    best = max(curve, key=lambda c: c["silhouette"])
    return {"chosen_k": best["k"], "nmi_at_chosen_k": best["nmi"], "curve": curve,
            "seconds": round(time.perf_counter() - t_all, 1)}


def run_auto_k(features: dict, y, args) -> dict:
    out = {}
    for name, (F, _) in features.items():
        prep = DEFAULTS[name]
        F64 = np.asarray(F, dtype=np.float64)
        Z = make_preprocessing(prep, *F64.shape).fit_transform(F64)
        res = auto_k(Z, y, args.k_range, args.silhouette_sample)
        out[name] = {"preprocessing": prep, **res}
        sil = " ".join(f"{c['k']}:{c['silhouette']:.3f}" for c in res["curve"])
        print(f"  auto-k {name:9} ({prep}): k={res['chosen_k']} (NMI {res['nmi_at_chosen_k']:.4f}, "
              f"{res['seconds']} s); silhouette {sil}", flush=True)
    return out


def run_umap(python: str, F, y, k: int, label: str) -> dict:
    """PCA(50) here, UMAP in ``python`` (a separate environment), k-means here."""
    from sklearn.decomposition import PCA

    t0 = time.perf_counter()
    Z = PCA(50, random_state=SEED).fit_transform(np.asarray(F, dtype=np.float64))
    pca_s = time.perf_counter() - t0
    code = ("import sys, time, numpy as np, umap\n"
            "Z = np.load(sys.argv[1]); t0 = time.perf_counter()\n"
            "E = umap.UMAP(n_components=10, n_neighbors=30, min_dist=0.0, random_state=0).fit_transform(Z)\n"
            "np.save(sys.argv[2], E); print(time.perf_counter() - t0, umap.__version__)\n")
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = os.path.join(tmp, "pca.npy"), os.path.join(tmp, "umap.npy")
        np.save(src, Z)
        t0 = time.perf_counter()
        done = subprocess.run([python, "-c", code, src, dst], capture_output=True, text=True)
        wall = time.perf_counter() - t0
        if done.returncode:
            raise SystemExit(f"UMAP failed in {python}:\n{done.stderr[-2000:]}")
        umap_s, version = done.stdout.split()[-2:]
        E = np.load(dst)
    t0 = time.perf_counter()
    model = kmeans(E, k)
    kmeans_s = time.perf_counter() - t0
    row = {"extractor": label, "preprocessing": "pca50+umap10", **score(y, model.labels_),
           "pca_s": round(pca_s, 2), "umap_s": round(float(umap_s), 1), "umap_process_wall_s": round(wall, 1),
           "kmeans_s": round(kmeans_s, 2), "umap_learn": version,
           "umap_params": "n_components=10, n_neighbors=30, min_dist=0.0, random_state=0"}
    print(f"  {label:9} pca50+umap10 NMI {row['nmi']:.4f}  ARI {row['ari']:.4f}  UMAP {row['umap_s']} s", flush=True)
    return row


# --------------------------------------------------------------------------- data sets
def extract(extractor, sources, label, cache=None):
    """``(features, seconds)``; with ``cache`` (a folder), reused from an earlier run of the same selection."""
    if cache:
        import hashlib

        key = hashlib.sha1(repr((label, repr(extractor), [str(s)[:200] if isinstance(s, str) else
                                  np.asarray(s).tobytes()[:64] for s in sources], len(sources))).encode())
        path = os.path.join(cache, f"{label.split()[0]}-{len(sources)}-{key.hexdigest()[:12]}.npz")
        if os.path.exists(path):
            saved = np.load(path)
            print(f"  {label}: {saved['F'].shape[1]} features from {path} (extracted in {float(saved['s']):.1f} s)")
            return saved["F"], float(saved["s"])
    t0 = time.perf_counter()
    F = extractor.fit_transform(sources)
    seconds = time.perf_counter() - t0
    print(f"  {label}: {F.shape[1]} features in {seconds:.1f} s", flush=True)
    if cache:
        os.makedirs(cache, exist_ok=True)
        np.savez(path, F=F, s=seconds)
    return F, seconds


def openclipart(args) -> dict:
    import featclf

    root = find_collection(args.collection)
    if root is None:
        print("Open Clip Art not found (set FEATCLF_OPENCLIPART or --collection); skipped", file=sys.stderr)
        return {"skipped": "collection not found"}
    pools = openclipart_pools(root)
    draws = [openclipart_selection(pools, args.per_class, seed) for seed in range(args.draws)]
    paths, y = draws[0]
    print(f"== Open Clip Art: {len(paths)} images, {len(CLASSES)} categories, k={len(CLASSES)} ==", flush=True)
    # every image of every draw is featurised once; each draw then takes its rows
    union = sorted({p for d, _ in draws for p in d})
    row_of = {p: i for i, p in enumerate(union)}
    common = {"n_jobs": args.n_jobs, "verbose": 0}
    extractors = {
        "pixels": featclf.RawPixels(size=(32, 32), color="rgb", **common),
        "hog": featclf.HOG(size=(64, 64), **common),
        "colorhist": featclf.ColorHistogram(**common),
        "cnn": featclf.CNNEmbedding(**common),
    }
    if args.draws > 1:
        print(f"  featurising the {len(union)} images of {args.draws} draws", flush=True)
    features = {name: extract(e, union, name, args.cache) for name, e in extractors.items() if name in args.extractors}

    def rows_of(d):
        index = [row_of[p] for p in d]
        return {name: (F[index], s) for name, (F, s) in features.items()}

    out = {"dataset": {"root": root, "classes": CLASSES, "per_class": args.per_class, "n_images": len(paths),
                       "eligible_per_class": {c: len(p) for c, p in pools.items()}, "pil_modes": pil_modes(paths),
                       "selection": "regular .png files (no symlinks) of at most 16 Mpixels per folder, sorted by "
                                    "path; numpy.random.default_rng(0).choice(n, per_class, replace=False), sorted",
                       "first_paths": [os.path.relpath(p, root) for p in paths[:3]]},
           "extractors": {n: repr(e) for n, e in extractors.items() if n in features}, "k": len(CLASSES)}
    if "grid" in args.parts:
        out["grid"] = {"extracted_images": len(union),  # extract_s is for all of them
                       "results": grid("openclipart", rows_of(paths), y, len(CLASSES))}
        if args.draws > 1:
            out["grid"]["draws"] = draws_summary(
                [out["grid"]["results"]] + [grid(f"openclipart draw {seed}", rows_of(d), yd, len(CLASSES), echo=False)
                                            for seed, (d, yd) in enumerate(draws) if seed > 0], args.draws)
    if "autok" in args.parts:
        print("  auto-k:", flush=True)
        out["auto_k"] = run_auto_k(rows_of(paths), y, args)
    return out


def draws_summary(tables, n) -> dict:
    """NMI and ARI over several draws of the images: mean, standard deviation, each draw's value."""
    out = {"n_draws": n, "selection_seeds": list(range(n)), "rows": []}
    for i, row in enumerate(tables[0]):
        nmi = [t[i]["nmi"] for t in tables]
        ari = [t[i]["ari"] for t in tables]
        out["rows"].append({"extractor": row["extractor"], "preprocessing": row["preprocessing"],
                            "nmi_mean": round(float(np.mean(nmi)), 4), "nmi_sd": round(float(np.std(nmi, ddof=1)), 4),
                            "ari_mean": round(float(np.mean(ari)), 4), "ari_sd": round(float(np.std(ari, ddof=1)), 4),
                            "nmi": nmi, "largest_cluster": [t[i]["largest_cluster"] for t in tables]})
    print(f"\n  over {n} draws of the images (selection seeds 0..{n - 1}):")
    _common.print_table(out["rows"], ["extractor", "preprocessing", "nmi_mean", "nmi_sd", "ari_mean", "ari_sd"])
    return out


def fmnist(args) -> dict:
    import featclf

    ds = featclf.load_fashion_mnist(split="test")
    X, y = ds.sources[: args.fmnist_size], np.asarray(ds.labels[: args.fmnist_size])
    print(f"== Fashion-MNIST test: {len(y)} images, k=10 ==", flush=True)
    extractors = {
        "pixels": featclf.RawPixels(verbose=0),
        "hog": featclf.HOG(orientations=9, pixels_per_cell=(4, 4), cells_per_block=(2, 2), verbose=0),
    }
    if args.fmnist_cnn:
        extractors["cnn"] = featclf.CNNEmbedding(n_jobs=args.n_jobs, verbose=0)
    features = {name: extract(e, X, name, args.cache) for name, e in extractors.items() if name in args.extractors}
    out = {"dataset": {"name": "Fashion-MNIST test", "n_images": len(y)},
           "extractors": {n: repr(e) for n, e in extractors.items() if n in features}, "k": 10}
    if "cnn-speed" in args.parts and not args.fmnist_cnn:
        cnn = featclf.CNNEmbedding(n_jobs=args.n_jobs, verbose=0)
        t0 = time.perf_counter()
        cnn.fit_transform(X[:500])
        seconds = time.perf_counter() - t0
        out["cnn_speed"] = {"images": 500, "seconds": round(seconds, 1), "path": getattr(cnn, "compile_", None),
                            "extrapolated_s_for_all": round(seconds * len(y) / 500)}
        print(f"  cnn: 500 images in {seconds:.1f} s ({500 / seconds:.1f} images/s)", flush=True)
    if "grid" in args.parts:
        out["grid"] = {"results": grid("fmnist", features, y, 10)}
    if "umap" in args.parts and args.umap_python:
        print("  UMAP:", flush=True)
        out["umap"] = {"results": [run_umap(args.umap_python, features[n][0], y, 10, n)
                                   for n in ("hog", "pixels") if n in features]}
    if "autok" in args.parts:
        print("  auto-k:", flush=True)
        out["auto_k"] = run_auto_k(features, y, args)
    return out


def best_per_extractor(rows) -> dict:
    best = {}
    for r in rows:
        key = r["extractor"]
        if key not in best or r["nmi"] > best[key]["nmi"]:
            best[key] = {"preprocessing": r["preprocessing"], "nmi": r["nmi"], "ari": r["ari"]}
    return best


PARTS = ["grid", "autok", "umap", "cnn-speed"]


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", choices=["all", "openclipart", "fmnist"], default="all")
    p.add_argument("--parts", nargs="+", choices=PARTS, default=PARTS,
                   help="what to run (default: all); each part merges into the result file with its own command")
    p.add_argument("--collection",
                   help=f"Open Clip Art png folder (default: $FEATCLF_OPENCLIPART, {DEFAULT_COLLECTION})")
    p.add_argument("--per-class", type=int, default=100)
    p.add_argument("--draws", type=int, default=5,
                   help="Open Clip Art: also cluster this many draws of the images (seeds 0..N-1); mean and sd")
    p.add_argument("--fmnist-size", type=int, default=10000)
    p.add_argument("--fmnist-cnn", action="store_true", help="CNN embeddings of the Fashion-MNIST images too")
    p.add_argument("--extractors", nargs="+", default=["pixels", "hog", "colorhist", "cnn"])
    p.add_argument("--k-range", type=int, nargs=2, default=[2, 12], metavar=("MIN", "MAX"))
    p.add_argument("--silhouette-sample", type=int, default=2000)
    p.add_argument("--umap-python", help="python of an environment with umap-learn (adds the UMAP rows)")
    p.add_argument("--cache", help="folder to keep extracted features in between runs (extraction time kept too)")
    p.add_argument("--n-jobs", type=int, default=2)
    p.add_argument("--quick", action="store_true", help="smoke run (results/cluster_defaults_quick.json)")
    p.add_argument("--no-save", action="store_true")
    args = p.parse_args(argv)
    if args.quick:
        args.per_class, args.fmnist_size, args.k_range, args.draws = 20, 1000, [2, 6], 2
    args.k_range = list(range(args.k_range[0], args.k_range[1] + 1))
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    import torch

    head = _common.header()
    head["versions"]["torch"] = torch.__version__
    head["parameters"] = {"kmeans": "KMeans(n_clusters=k, n_init=10, random_state=0)",
                          "pca": "PCA(50, random_state=0)", "standardise": "StandardScaler()", "l2": "Normalizer()",
                          "auto_k": {"k_range": args.k_range, "silhouette_sample": args.silhouette_sample,
                                     "preprocessing": DEFAULTS}, "n_jobs": args.n_jobs, "cache": args.cache}
    sections = {}
    if args.data in ("all", "openclipart"):
        sections["openclipart"] = openclipart(args)
    if args.data in ("all", "fmnist"):
        sections["fmnist"] = fmnist(args)
    for name, sec in sections.items():
        if "grid" in sec:
            print(f"\n{name}:")
            _common.print_table(sec["grid"]["results"], ["extractor", "preprocessing", "nmi", "ari", "largest_cluster",
                                                         "cluster_s", "extract_s"])
            sec["grid"]["best_by_nmi"] = best_per_extractor(sec["grid"]["results"])
        for part in ("grid", "auto_k", "umap", "cnn_speed"):
            if part in sec:
                sec[part] = {**head, **sec[part]}
    if not args.no_save:
        name = "cluster_defaults_quick" if args.quick else "cluster_defaults"
        with _common.locked_json(name) as data:
            data["what"] = ("k-means NMI/ARI and wall time per extractor x preprocessing, and silhouette auto-k, "
                            "to choose featclf.cluster's default preprocessing (issue 10); each part keeps the "
                            "command, date, machine and versions of the run that measured it")
            for sec_name, sec in sections.items():
                data.setdefault(sec_name, {}).update(sec)
        print(f"Saved {_common.results_path(name)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
