"""Fashion-MNIST accuracy of featclf features + classical classifiers, beside published figures.

Configurations (``--config``)::

    pixels-svc   RawPixels (/255)                       + SVC(C=10, kernel='rbf', gamma='scale')
    pixels-rf    RawPixels (/255)                       + RandomForest(100 trees, entropy, random_state=0)
    hog-svc      HOG(9 orientations, 4x4 cells, 2x2 blocks) + SVC(C=10, kernel='rbf', gamma='scale')
    colorhist-svc  ColorHistogram() (defaults: HSV, 8x8x8 joint) + SVC(C=10, kernel='rbf', gamma='scale');
                 on these grey images only the V (brightness) bins are filled: an intensity histogram,
                 no published figure (run only when asked, or by --quick)

each trained on ``train[:10000]`` and/or the full 60,000 training images (``--train-size``) and
scored on the full 10,000-image test set. Full-size SVC fits take many minutes on one core,
so configurations run as separate processes that merge their result into
``benchmarks/results/fashion_mnist.json`` (under a file lock), e.g.::

    flock -s /tmp/featclf-cpu.lock python benchmarks/bench_fashion_mnist.py --config pixels-svc --train-size 60000

``--C``, ``--gamma`` and ``--hog-*`` options record a *variant* (stored under its own key,
never as the default configuration), so anything tried beyond the named parameters stays
visible beside the default result. ``--quick`` runs a small smoke test (2,000 / 2,000)
and writes ``fashion_mnist_quick.json``.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

import _common

CONFIGS = {
    "pixels-svc": ("pixels", "svc"),
    "pixels-rf": ("pixels", "rf"),
    "hog-svc": ("hog", "svc"),
    "colorhist-svc": ("colorhist", "svc"),
}
DEFAULT_CONFIGS = ["pixels-svc", "pixels-rf", "hog-svc"]  # "all": the configurations with a published figure
HOG_DEFAULTS = {"orientations": 9, "pixels_per_cell": (4, 4), "cells_per_block": (2, 2), "block_norm": "L2-Hys"}
# Published figures: Fashion-MNIST paper (arXiv:1708.07747, sklearn benchmark, full training set)
# and the README benchmark table (HOG+SVM, @subalde).
PUBLISHED = {
    "pixels-svc": {"accuracy": 0.897, "source": "Fashion-MNIST paper / benchmark: SVC(C=10, kernel='rbf'), full train"},
    "pixels-rf": {"accuracy": 0.873, "source": "Fashion-MNIST paper / benchmark: RandomForest(100, entropy), full train"},
    "hog-svc": {"accuracy": 0.926, "source": "Fashion-MNIST README benchmark table: HOG+SVM (@subalde), full train"},
}
# Measured earlier on this machine, before featclf, train[:10000] -> test.
MEASURED_BEFORE_10K = {"pixels-svc": 0.867, "pixels-rf": 0.854, "hog-svc (skimage)": 0.883, "hog-svc (OpenCV)": 0.902}
TARGETS = [  # (run key, threshold)
    ("hog-svc@10000", 0.90),
    ("hog-svc@60000", 0.926),
    ("pixels-svc@60000", 0.897),
    ("pixels-rf@60000", 0.873),
]


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", action="append", choices=[*CONFIGS, "all"],
                   help="configuration(s) to run (repeatable; default: all = the three with a published figure)")
    p.add_argument("--train-size", action="append", type=int,
                   help="training images, the first N of the training split (repeatable; default: 10000)")
    p.add_argument("--n-test", type=int, default=10000, help="test images (default: the full 10,000)")
    p.add_argument("--eval-on", choices=["test", "validation"], default="test",
                   help="'validation' scores on train[50000:60000] instead of the test set (n_train <= 50000): "
                        "for choosing variants without looking at the test set")
    p.add_argument("--C", type=float, default=10.0, help="SVC C (default 10; anything else is a variant)")
    p.add_argument("--gamma", default="scale", help="SVC gamma (default 'scale'; anything else is a variant)")
    p.add_argument("--hog-block-norm", default="L2-Hys", help="HOG block_norm (variant if not L2-Hys)")
    p.add_argument("--hog-orientations", type=int, default=9)
    p.add_argument("--hog-pixels-per-cell", type=int, nargs=2, default=(4, 4))
    p.add_argument("--hog-cells-per-block", type=int, nargs=2, default=(2, 2))
    p.add_argument("--svc-cache-mb", type=float, default=2000,
                   help="SVC kernel cache (speed only, does not change the model)")
    p.add_argument("--quick", action="store_true", help="smoke test: 2,000 train / 2,000 test, own JSON file")
    p.add_argument("--no-save", action="store_true")
    args = p.parse_args(argv)
    configs = args.config or ["all"]
    args.configs = DEFAULT_CONFIGS if "all" in configs else list(dict.fromkeys(configs))
    args.train_sizes = args.train_size or [10000]
    if args.quick:
        args.train_sizes, args.n_test = [2000], 2000
        if not args.config:
            args.configs = list(CONFIGS)
    try:
        args.gamma = float(args.gamma)
    except ValueError:
        pass
    return args


def make_features(kind, args):
    import featclf

    if kind == "pixels":
        return featclf.RawPixels(n_jobs=1, verbose=0), {}
    if kind == "colorhist":
        return featclf.ColorHistogram(n_jobs=1, verbose=0), {"color_space": "hsv", "bins": 8, "joint": True}
    params = {
        "orientations": args.hog_orientations,
        "pixels_per_cell": tuple(args.hog_pixels_per_cell),
        "cells_per_block": tuple(args.hog_cells_per_block),
        "block_norm": args.hog_block_norm,
    }
    return featclf.HOG(**params, n_jobs=1, verbose=0), params


def make_classifier(kind, args):
    if kind == "svc":
        from sklearn.svm import SVC

        params = {"C": args.C, "kernel": "rbf", "gamma": args.gamma}
        return SVC(**params, cache_size=args.svc_cache_mb), params
    from sklearn.ensemble import RandomForestClassifier

    params = {"n_estimators": 100, "criterion": "entropy", "random_state": 0}
    return RandomForestClassifier(**params, n_jobs=1), params


def variant_label(config, feat_params, clf_params):
    """'' for the named configuration, else a short description of what differs."""
    diffs = []
    if CONFIGS[config][1] == "svc":
        if clf_params["C"] != 10.0:
            diffs.append(f"C={clf_params['C']:g}")
        if clf_params["gamma"] != "scale":
            diffs.append(f"gamma={clf_params['gamma']}")
    for name, default in HOG_DEFAULTS.items():
        if name in feat_params and feat_params[name] != default:
            value = feat_params[name]
            diffs.append(f"{name}={'x'.join(map(str, value)) if isinstance(value, tuple) else value}")
    return ",".join(diffs)


def run_one(config, n_train, train, test, args):
    feat_kind, clf_kind = CONFIGS[config]
    extractor, feat_params = make_features(feat_kind, args)
    clf, clf_params = make_classifier(clf_kind, args)
    variant = variant_label(config, feat_params, clf_params)

    Xtr_img, ytr = train.sources[:n_train], train.labels[:n_train]
    if args.eval_on == "validation":
        if n_train > 50000:
            raise SystemExit("--eval-on validation scores on train[50000:60000]: use --train-size <= 50000")
        Xte_img, yte = train.sources[50000:], train.labels[50000:]
    else:
        Xte_img, yte = test.sources[: args.n_test], test.labels[: args.n_test]
    (_, t_fit_x) = _common.timed(extractor.fit, Xtr_img)
    Xtr, t_tr = _common.timed(extractor.transform, Xtr_img)
    Xte, t_te = _common.timed(extractor.transform, Xte_img)
    _, t_fit = _common.timed(clf.fit, Xtr, ytr)
    pred, t_pred = _common.timed(clf.predict, Xte)
    accuracy = float(np.mean(pred == yte))
    key = f"{config}@{n_train}" + (f"+{variant}" if variant else "") + (" [validation]" if args.eval_on != "test" else "")
    run = {
        "config": config,
        "variant": variant or None,
        "n_train": int(n_train),
        "n_test": int(len(yte)),
        "evaluated_on": "test" if args.eval_on == "test" else "validation: train[50000:60000]",
        "features": {"extractor": type(extractor).__name__, **{k: list(v) if isinstance(v, tuple) else v
                                                                for k, v in feat_params.items()},
                     "n_features": int(Xtr.shape[1])},
        "classifier": {"name": type(clf).__name__, **clf_params},
        "accuracy": round(accuracy, 4),
        "extract_s": round(t_fit_x + t_tr + t_te, 2),
        "fit_s": round(t_fit, 2),
        "predict_s": round(t_pred, 2),
        "published_accuracy": (PUBLISHED[config]["accuracy"]
                               if config in PUBLISHED and n_train == 60000 and not variant else None),
        "svc_gamma_scale_value": (float(1.0 / (Xtr.shape[1] * Xtr.var())) if clf_kind == "svc" else None),
        **_common.header(),
    }
    print(f"{key}: accuracy {accuracy:.4f}  (extract {run['extract_s']} s, fit {run['fit_s']} s, "
          f"predict {run['predict_s']} s)", flush=True)
    return key, run


def summarise(data, with_targets=True):
    runs = data.get("runs", {})
    data["published"] = PUBLISHED
    data["measured_before_10k"] = {"figures": MEASURED_BEFORE_10K, "source": "measured on this machine before featclf"}
    data["targets"] = {
        key: _common.target(runs.get(key, {}).get("accuracy"), threshold) for key, threshold in TARGETS
    } if with_targets else {}
    rows = []
    for key, run in sorted(runs.items(), key=lambda kv: (kv[1]["config"], kv[1]["n_train"], kv[0])):
        rows.append({"run": key, "accuracy": run["accuracy"], "published": run.get("published_accuracy"),
                     "target": data["targets"].get(key, {}).get("target"),
                     "met": data["targets"].get(key, {}).get("met"),
                     "extract_s": run["extract_s"], "fit_s": run["fit_s"], "predict_s": run["predict_s"]})
    _common.print_table(rows, ["run", "accuracy", "published", "target", "met", "extract_s", "fit_s", "predict_s"])


def main(argv=None):
    args = parse_args(argv)
    import featclf

    train = featclf.load_fashion_mnist(split="train")
    test = featclf.load_fashion_mnist(split="test")
    name = "fashion_mnist_quick" if args.quick else "fashion_mnist"
    for n_train in args.train_sizes:
        for config in args.configs:
            key, run = run_one(config, n_train, train, test, args)
            if args.no_save:
                continue
            with _common.locked_json(name) as data:
                data.update({k: v for k, v in _common.header().items() if k != "command"})
                data["description"] = ("Fashion-MNIST: featclf features + classifiers, train[:N] -> test; "
                                       "each run carries its own command and date (runs are separate processes).")
                data.setdefault("runs", {})[key] = run
                summarise(data, with_targets=not args.quick)
    if args.no_save:
        return 0
    print(f"saved {_common.results_path(name)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
