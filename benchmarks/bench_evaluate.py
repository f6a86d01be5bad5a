"""Benchmark of the whole evaluation report on a real colour collection (issue 5).

About 800 Open Clip Art PNGs (8 category folders, 100 images each picked evenly from the
sorted file list, deterministic; RGBA / LA / palette PNGs with transparent backgrounds and
many sizes) are evaluated with 3 handcrafted extractors x 3 classifiers x 5 stratified
folds, and the whole report (JSON, Markdown, HTML) is written. Target: under 2 minutes
wall time on the 2-core development machine.

Baseline, in the same run: what a user writes without featclf.evaluate --
``cross_validate(Pipeline([extractor, classifier]))`` -- recomputes the features for every
fold (and for every classifier). It is run for one combination (HOG + SVM) on the same
folds; its fold scores must equal evaluate's for that combination (the features of an
image do not depend on the fold), and its time is compared with evaluate's time for all
nine combinations.

Decode once for many extractors, in the same run (``--extract-repeats``, interleaved, best
kept): the three extractors over the same images through one engine pass
(:func:`featclf.engine.extract_many`, what ``evaluate`` does: every image decoded once)
against one pass per extractor (each decoding every image again). Target: at most 0.6x
the time, with identical features.

The collection is found at ``--root``, ``$FEATCLF_OPENCLIPART`` or
``/work/data/openclipart/usr/share/openclipart/png``; exit status 2 when absent.
Results go to ``benchmarks/results/evaluate_openclipart.json``; the reports to ``--out``.

    python benchmarks/bench_evaluate.py [--n-jobs 2] [--out DIR] [--no-baseline]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common  # noqa: E402  (puts the repository root on sys.path)

import numpy as np  # noqa: E402

DEFAULT_COLLECTION = "/work/data/openclipart/usr/share/openclipart/png"
CLASSES = ["animals", "computer", "geography", "office", "people", "plants", "tools", "transportation"]
EXTRACTORS = ["pixels:size=32x32,color=rgb", "hog:size=64x64", "colorhist"]
CLASSIFIERS = ["svm", "rf", "logreg"]
TARGET_S = 120.0
TARGET_DECODE_ONCE_RATIO = 0.6


def find_collection(path=None):
    for candidate in (path, os.environ.get("FEATCLF_OPENCLIPART"), DEFAULT_COLLECTION):
        if candidate and os.path.isdir(candidate):
            return candidate
    return None


def build_dataset(root: str, per_class: int):
    """``per_class`` images of each class in CLASSES, evenly spaced in sorted order (deterministic)."""
    import featclf

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # root-level files and empty folders of the full collection
        folder = featclf.ImageFolder(root)
    paths, labels = [], []
    for j, name in enumerate(CLASSES):
        rows = np.flatnonzero(folder.labels == folder.classes.index(name))
        pick = rows[np.linspace(0, len(rows) - 1, min(per_class, len(rows))).round().astype(int)]
        paths += [folder.sources[i] for i in pick]
        labels += [j] * len(pick)
    return featclf.ImageDataset(paths, labels, CLASSES, name=f"openclipart-{len(CLASSES)}")


def naive_baseline(dataset, n_jobs, random_state):
    """cross_validate(Pipeline([HOG, SVM])) on the same folds: features recomputed in every fold."""
    from sklearn.model_selection import StratifiedKFold, cross_validate
    from sklearn.pipeline import Pipeline

    from featclf.models import make_classifier, resolve_extractor

    extractor = resolve_extractor(EXTRACTORS[1]).estimator.set_params(verbose=0, on_error="skip")
    model = Pipeline([("features", extractor), ("clf", make_classifier("svm"))])
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=random_state)
    start = time.perf_counter()
    scores = cross_validate(model, dataset.sources, dataset.labels, cv=folds, n_jobs=n_jobs)
    return time.perf_counter() - start, scores["test_score"]


def decode_once_vs_per_extractor(dataset, n_jobs, repeats):
    """Extraction time of one shared pass against one pass per extractor; identical features required."""
    from featclf.engine import extract_many
    from featclf.models import resolve_extractor

    extractors = [resolve_extractor(spec).estimator.set_params(verbose=0, on_error="skip", n_jobs=n_jobs)
                  for spec in EXTRACTORS]
    for extractor in extractors:
        extractor.fit(dataset)
    times = {"decode once (one pass)": [], "one pass per extractor": []}
    for _ in range(repeats):
        shared, seconds = _common.timed(extract_many, extractors, dataset)
        times["decode once (one pass)"].append(seconds)
        separate, seconds = _common.timed(lambda: [e.extract(dataset) for e in extractors])
        times["one pass per extractor"].append(seconds)
    identical = all(np.array_equal(a.features, b.features) and np.array_equal(a.indices, b.indices)
                    for a, b in zip(shared, separate))
    best = {name: min(ts) for name, ts in times.items()}
    ratio = best["decode once (one pass)"] / best["one pass per extractor"]
    return {
        "what": "the 3 extractors over the same images: featclf.engine.extract_many (each image decoded once) vs "
                "extractor.extract per extractor (each decodes every image); same n_jobs; interleaved, best kept",
        "n_images": len(dataset), "n_jobs": n_jobs, "repeats": repeats,
        "best_s": {name: round(t, 2) for name, t in best.items()},
        "all_s": {name: [round(t, 2) for t in ts] for name, ts in times.items()},
        "ratio": round(ratio, 3),
        "identical_features": bool(identical),
        "skipped": len(shared[0].skipped),
        "target": _common.target(round(ratio, 3), TARGET_DECODE_ONCE_RATIO, unit="x", higher_is_better=False),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=None, help="the Open Clip Art png folder")
    parser.add_argument("--per-class", type=int, default=100)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--out", default=None, help="folder for the reports (default: a temporary folder)")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--extract-repeats", type=int, default=3,
                        help="interleaved repetitions of the decode-once comparison (0 to skip it)")
    parser.add_argument("--only-extraction", action="store_true", help="run only the decode-once comparison")
    args = parser.parse_args(argv)

    root = find_collection(args.root)
    if root is None:
        print("Open Clip Art not found: apt-get download openclipart-png && dpkg -x openclipart-png_*.deb DIR, "
              "then --root DIR/usr/share/openclipart/png or FEATCLF_OPENCLIPART=...", file=sys.stderr)
        return 2
    out = args.out or tempfile.mkdtemp(prefix="featclf-bench-evaluate-")

    import featclf
    from featclf.report import write_reports

    dataset = build_dataset(root, args.per_class)
    decode_once = None
    if args.extract_repeats:
        print(f"decode once vs one pass per extractor, {len(dataset)} images, best of {args.extract_repeats} ...")
        decode_once = decode_once_vs_per_extractor(dataset, args.n_jobs, args.extract_repeats)
        t = decode_once["target"]
        print(f"  {decode_once['best_s']}; ratio {decode_once['ratio']} (target {t['target']}: "
              f"{'met' if t['met'] else 'NOT met'}); identical features: {decode_once['identical_features']}")
    if args.only_extraction:
        payload = {**_common.header(), "what": "decode once vs one pass per extractor on Open Clip Art",
                   "dataset": {"root": root, "per_class": args.per_class, "n_images": len(dataset)},
                   "extractors": EXTRACTORS, "decode_once": decode_once}
        print("Saved", _common.save_json("evaluate_decode_once", payload))
        return 0

    wall_start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", featclf.exceptions.SkippedImagesWarning)  # listed in the report
        result, evaluate_s = _common.timed(featclf.evaluate, dataset, EXTRACTORS, CLASSIFIERS, cv=5,
                                           n_jobs=args.n_jobs, verbose=1)
    paths, reports_s = _common.timed(write_reports, result, out)
    wall_s = time.perf_counter() - wall_start

    data = result.to_dict()
    rows = [{
        "extractor": r["extractor"], "classifier": r["classifier"], "n_features": r["n_features"],
        "accuracy_mean": round(r["accuracy_mean"], 4), "accuracy_std": round(r["accuracy_std"], 4),
        "balanced_accuracy_mean": round(r["balanced_accuracy_mean"], 4), "f1_macro_mean": round(r["f1_macro_mean"], 4),
        "extract_s": round(r["timings"]["extract_s"], 2), "fit_s": round(r["timings"]["fit_s"], 2),
        "predict_s": round(r["timings"]["predict_s"], 2), "rank": r["rank"],
    } for r in data["results"]]
    _common.print_table(sorted(rows, key=lambda r: r["rank"]),
                        ["rank", "extractor", "classifier", "accuracy_mean", "accuracy_std", "balanced_accuracy_mean",
                         "n_features", "extract_s", "fit_s", "predict_s"])
    extraction_s = sum({r["extractor"]: r["extract_s"] for r in rows}.values())
    print(f"\n{len(result.y)} images, {len(CLASSES)} classes, {len(result.results)} combinations x 5 folds")
    print(f"evaluate {evaluate_s:.1f} s (extraction {extraction_s:.1f} s), reports {reports_s:.1f} s, "
          f"whole job {wall_s:.1f} s (target < {TARGET_S:.0f} s)")

    payload = {
        **_common.header(),
        "what": "featclf.evaluate + JSON/Markdown/HTML reports on Open Clip Art: 3 extractors x 3 classifiers x "
                "5 stratified folds",
        "dataset": {**data["dataset"], "root": root, "per_class": args.per_class,
                    "selection": "evenly spaced picks from each class folder's sorted file list"},
        "extractors": EXTRACTORS,
        "classifiers": CLASSIFIERS,
        "n_jobs": args.n_jobs,
        "skipped": data["skipped"],
        "results": rows,
        "best": data["best"],
        "seconds": {"evaluate": round(evaluate_s, 2), "extraction": round(extraction_s, 2),
                    "reports": round(reports_s, 2), "whole_job": round(wall_s, 2)},
        "report_bytes": {kind: os.path.getsize(path) for kind, path in paths.items()},
        "target_whole_job_s": _common.target(round(wall_s, 2), TARGET_S, unit=" s", higher_is_better=False),
        "decode_once": decode_once,
    }

    if not args.no_baseline:
        print("\nbaseline: cross_validate(Pipeline([HOG, SVM])), features recomputed in every fold ...")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", featclf.exceptions.SkippedImagesWarning)
            baseline_s, baseline_scores = naive_baseline(dataset, args.n_jobs, random_state=0)
        ours = result.get(EXTRACTORS[1], "svm")
        same = bool(np.array_equal(baseline_scores, ours.fold_scores["accuracy"])) if not result.skipped else None
        print(f"baseline, 1 combination: {baseline_s:.1f} s, accuracy {baseline_scores.mean():.4f}; "
              f"featclf.evaluate, 9 combinations + reports: {wall_s:.1f} s; identical fold scores: {same}")
        payload["baseline"] = {
            "what": "sklearn cross_validate(Pipeline([HOG(size=64x64), svm preset]), 5 folds, same folds and "
                    "n_jobs): features recomputed in each fold",
            "combinations": 1,
            "seconds": round(baseline_s, 2),
            "accuracy_fold_scores": [round(float(s), 6) for s in baseline_scores],
            "identical_fold_scores_to_evaluate": same,
            "evaluate_seconds_per_combination": round(evaluate_s / len(result.results), 2),
        }

    saved = _common.save_json("evaluate_openclipart", payload)
    print(f"\nReports: {paths['html']}\nSaved {saved}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
