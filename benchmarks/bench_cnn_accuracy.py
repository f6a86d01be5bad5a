"""Accuracy of frozen CNN embeddings (EfficientNet-Lite0, ImageNet) against handcrafted features.

Two data sets, each with its baselines on the same split or folds, in the same run:

1. **Fashion-MNIST** (28x28 grey clothes): train on the first ``--train-size`` training
   images (default 10,000), test on the first ``--test-size`` test images (default all
   10,000) -- the split of the reference table measured before featclf. CNN embeddings are computed at
   each of ``--input-sizes`` (default 64x64 -- 28x28 images need not be blown up to 224,
   and 64 is about 10x cheaper on CPU -- and 224x224, the size the weights were trained
   at). Compared: CNN + logistic regression (the ``logreg`` preset:
   standardise + LogisticRegression(C=1)), CNN + RBF SVM (``svm`` preset), raw pixels +
   logistic regression, raw pixels + SVM, HOG(9, 4x4 cells, 2x2 blocks) + SVM.
2. **Open Clip Art** (real colour clip art, transparent backgrounds, many sizes): the
   selection of ``bench_evaluate.py`` (8 category folders, 100 images each, evenly spaced
   in sorted order), 5 stratified folds shared by every combination, through
   ``featclf.evaluate``: CNN embeddings at 224x224 + logistic regression / SVM against
   raw pixels (32x32 RGB), HOG (64x64) and colour histograms, each + SVM / logistic
   regression. The issue expects the CNN + a linear classifier to beat the best
   handcrafted extractor + SVM by a wide margin; the script reports the gap and the
   corrected resampled t-test (Nadeau & Bengio) of that pair.

Results go to ``benchmarks/results/cnn_accuracy.json``. Run (shared lock: this is not a
timing benchmark)::

    flock -s /tmp/featclf-cpu.lock python benchmarks/bench_cnn_accuracy.py

``--quick`` (2,000 / 1,000 Fashion-MNIST images unless ``--train-size`` / ``--test-size`` say
otherwise, CNN at 64x64, 30 Open Clip Art images per class) is a smoke run written to
``cnn_accuracy_quick.json``.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings

import _common
from bench_evaluate import CLASSES, build_dataset, find_collection

HANDCRAFTED_OCA = ["pixels:size=32x32,color=rgb", "hog:size=64x64", "colorhist"]


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--train-size", type=int, default=None, help="default 10,000 (--quick: 2,000)")
    p.add_argument("--test-size", type=int, default=None, help="default 10,000 (--quick: 1,000)")
    p.add_argument("--input-sizes", type=int, nargs="+", default=[64, 224],
                   help="CNN input sizes for Fashion-MNIST (default 64 224)")
    p.add_argument("--per-class", type=int, default=100, help="Open Clip Art images per class (default 100)")
    p.add_argument("--root", default=None, help="Open Clip Art png folder")
    p.add_argument("--n-jobs", type=int, default=2)
    p.add_argument("--skip", choices=["fashion-mnist", "openclipart"], action="append", default=[])
    p.add_argument("--quick", action="store_true")
    args = p.parse_args(argv)
    if args.quick:
        args.per_class, args.input_sizes = 30, [64]
    args.train_size = args.train_size or (2000 if args.quick else 10000)
    args.test_size = args.test_size or (1000 if args.quick else 10000)
    return args


def fashion_mnist(args):
    import featclf
    from featclf.models import make_classifier

    train = featclf.load_fashion_mnist(split="train")
    test = featclf.load_fashion_mnist(split="test")
    X_train, y_train = train.sources[: args.train_size], train.labels[: args.train_size]
    X_test, y_test = test.sources[: args.test_size], test.labels[: args.test_size]
    extractors = {
        f"cnn (efficientnet_lite0, {size}x{size})": featclf.CNNEmbedding(input_size=size, n_jobs=1, verbose=0)
        for size in args.input_sizes
    }
    extractors["pixels"] = featclf.RawPixels(verbose=0)
    extractors["hog (9, 4x4, 2x2)"] = featclf.HOG(orientations=9, pixels_per_cell=(4, 4), cells_per_block=(2, 2),
                                                  verbose=0)
    plan = {"cnn": ["logreg", "svm"], "pixels": ["logreg", "svm"], "hog": ["svm"]}
    rows = []
    for label, extractor in extractors.items():
        t0 = time.perf_counter()
        F_train = extractor.fit(X_train).transform(X_train)
        F_test = extractor.transform(X_test)
        extract_s = time.perf_counter() - t0
        path = f", {extractor.compile_} path" if hasattr(extractor, "compile_") else ""
        print(f"{label}: {F_train.shape[1]} features, {extract_s:.1f} s for {len(X_train) + len(X_test)} images"
              f"{path}", flush=True)
        for clf_name in plan[label.split()[0]]:
            clf = make_classifier(clf_name)
            t0 = time.perf_counter()
            clf.fit(F_train, y_train)
            fit_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            accuracy = float((clf.predict(F_test) == y_test).mean())
            predict_s = time.perf_counter() - t0
            rows.append({"features": label, "classifier": clf_name, "n_features": int(F_train.shape[1]),
                         "accuracy": round(accuracy, 4), "extract_s": round(extract_s, 1),
                         "fit_s": round(fit_s, 1), "predict_s": round(predict_s, 1)})
            print(f"  + {clf_name}: accuracy {accuracy:.4f} (fit {fit_s:.1f} s, predict {predict_s:.1f} s)", flush=True)
    _common.print_table(rows, ["features", "classifier", "n_features", "accuracy", "extract_s", "fit_s", "predict_s"])
    acc = {(r["features"], r["classifier"]): r["accuracy"] for r in rows}
    best_cnn_logreg = max(v for (f, c), v in acc.items() if f.startswith("cnn") and c == "logreg")
    best_hand_svm = max(v for (f, c), v in acc.items() if not f.startswith("cnn") and c == "svm")
    return {
        "split": f"train = first {len(X_train)} training images, test = first {len(X_test)} test images",
        "cnn_input_sizes": args.input_sizes,
        "results": rows,
        "best_cnn_logreg_minus_pixels_logreg": round(best_cnn_logreg - acc[("pixels", "logreg")], 4),
        "best_cnn_logreg_minus_best_handcrafted_svm": round(best_cnn_logreg - best_hand_svm, 4),
    }


def openclipart(args):
    import featclf
    from featclf.evaluation._stats import corrected_resampled_ttest

    root = find_collection(args.root)
    if root is None:
        print("Open Clip Art not found (see bench_evaluate.py); skipped", file=sys.stderr)
        return {"skipped": "collection not found"}
    dataset = build_dataset(root, args.per_class)
    extractors = ["cnn", *HANDCRAFTED_OCA]
    classifiers = ["logreg", "svm"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", featclf.exceptions.SkippedImagesWarning)
        result, seconds = _common.timed(featclf.evaluate, dataset, extractors, classifiers, cv=5,
                                        n_jobs=args.n_jobs, verbose=1)
    data = result.to_dict()
    rows = [{
        "extractor": r["extractor"], "classifier": r["classifier"], "n_features": r["n_features"],
        "accuracy_mean": round(r["accuracy_mean"], 4), "accuracy_std": round(r["accuracy_std"], 4),
        "balanced_accuracy_mean": round(r["balanced_accuracy_mean"], 4), "extract_s": round(r["timings"]["extract_s"], 1),
    } for r in data["results"]]
    _common.print_table(sorted(rows, key=lambda r: -r["accuracy_mean"]),
                        ["extractor", "classifier", "accuracy_mean", "accuracy_std", "balanced_accuracy_mean",
                         "n_features", "extract_s"])
    cnn = result.get("cnn", "logreg")
    best_hand = max((result.get(e, "svm") for e in HANDCRAFTED_OCA), key=lambda r: r.mean("accuracy"))
    n = len(result.y)
    t, p = corrected_resampled_ttest(cnn.fold_scores["accuracy"], best_hand.fold_scores["accuracy"],
                                     n_train=n * 4 / 5, n_test=n / 5)
    gap = cnn.mean("accuracy") - best_hand.mean("accuracy")
    print(f"\nCNN + logreg {cnn.mean('accuracy'):.4f} vs best handcrafted + SVM ({best_hand.name}) "
          f"{best_hand.mean('accuracy'):.4f}: +{gap:.4f} (corrected t = {t:.2f}, p = {p:.2g}); {seconds:.0f} s")
    return {
        "dataset": {**data["dataset"], "root": root, "per_class": args.per_class, "classes": CLASSES,
                    "selection": "as benchmarks/bench_evaluate.py: evenly spaced picks from each sorted class folder"},
        "folds": "5 stratified folds (random_state=0), the same for every combination",
        "skipped": data["skipped"],
        "results": rows,
        "cnn_logreg": round(cnn.mean("accuracy"), 4),
        "best_handcrafted_svm": {"name": best_hand.name, "accuracy": round(best_hand.mean("accuracy"), 4)},
        "gap": round(gap, 4),
        "corrected_resampled_ttest": {"t": round(float(t), 3), "p": float(p)},
        "evaluate_seconds": round(seconds, 1),
    }


def main(argv=None):
    args = parse_args(argv)
    import torch

    payload = {**_common.header(), "what": "accuracy of CNNEmbedding (EfficientNet-Lite0) + linear classifiers vs "
                                           "handcrafted features + SVM on Fashion-MNIST and Open Clip Art"}
    payload["versions"]["torch"] = torch.__version__
    if "fashion-mnist" not in args.skip:
        print("== Fashion-MNIST ==", flush=True)
        payload["fashion_mnist"] = fashion_mnist(args)
    if "openclipart" not in args.skip:
        print("\n== Open Clip Art ==", flush=True)
        payload["openclipart"] = openclipart(args)
        oca = payload["openclipart"]
        if "gap" in oca:
            payload["targets"] = {"openclipart_cnn_linear_beats_best_handcrafted_svm_by_10_points":
                                  _common.target(oca["gap"], 0.10)}
    saved = _common.save_json("cnn_accuracy_quick" if args.quick else "cnn_accuracy", payload)
    print(f"Saved {saved}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
