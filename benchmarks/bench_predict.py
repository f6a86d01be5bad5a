"""Saved-model prediction cost (issue 11): ``featclf predict`` vs extraction alone; loading a CNN model.

Targets:

* ``featclf predict`` on 1,000 image files costs at most 1.1x the extraction of the same
  files (prediction adds almost nothing). Measured two ways, each against its baseline in
  the same run, best of interleaved repetitions:

  - in-process: ``model.predict_records(paths)`` (features through the engine, the
    classifier's ``predict`` and ``predict_proba``/``decision_function``, one record per
    input) vs ``model.extractor_.transform(paths)`` (the same fitted extractor, the same
    engine, nothing else) -- the target;
  - command: ``featclf predict MODEL FOLDER -o preds.csv -q`` vs a fresh process that loads
    the same model and runs ``model.extractor_.transform(paths)`` (interpreter start-up,
    imports and loading in both), reported beside it.

  The classifier's own cost is reported beside it: its ``predict`` and ``predict_proba`` (or
  ``decision_function``) on the extracted features through scikit-learn's API, and the ratio of
  ``predict_records`` to extraction plus that (what featclf adds beyond the two).

  Data: 1,000 Fashion-MNIST test images written as 28x28 PNG files; model:
  ``HOG(9, 4x4 cells, 2x2 blocks)`` + ``logreg`` (and ``svm``) trained on 2,000 in-memory
  training images.
* Loading a CNN model (EfficientNet-Lite0 at 64x64 + logreg, trained on 200 images) takes
  under 2 s: ``import featclf`` + ``featclf.load_model(path)`` timed inside fresh processes
  (the imports it needs, unpickling, the SHA-256 check of the 19 MB weights file, the version
  check), best of 3; the first prediction of one image after it (building the network) is
  reported beside it.

Run::

    flock -x /tmp/featclf-cpu.lock python benchmarks/bench_predict.py
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

from _common import ROOT, header, print_table, save_json, target

N_TRAIN = 2000


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n-images", type=int, default=1000)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--quick", action="store_true", help="200 images, 2 repeats, own JSON file")
    p.add_argument("--no-cnn", action="store_true", help="skip the CNN load timing")
    p.add_argument("--no-save", action="store_true")
    return p.parse_args(argv)


def write_files(folder, n):
    from PIL import Image

    import featclf

    images = featclf.load_fashion_mnist(split="test").sources[:n]
    paths = []
    for i, image in enumerate(images):
        path = os.path.join(folder, f"{i:05d}.png")
        Image.fromarray(image).save(path)
        paths.append(path)
    return paths


def train_models(folder):
    import featclf

    train = featclf.load_fashion_mnist(split="train").subset(range(N_TRAIN))
    out = {}
    for clf in ("logreg", "svm"):
        model = featclf.train(train, "hog:pixels_per_cell=4x4", clf, verbose=0)
        path = os.path.join(folder, f"hog-{clf}.featclf")
        model.save(path)
        out[clf] = (model, path)
    return out


def in_process(models, paths, repeats):
    """Best seconds of extraction alone and of predict_records, per classifier, interleaved."""
    best = {}
    for _ in range(repeats):
        for clf, (model, _) in models.items():
            t0 = time.perf_counter()
            features = model.extractor_.transform(paths)
            t1 = time.perf_counter()
            records = model.predict_records(paths, top_k=3)
            t2 = time.perf_counter()
            model.classifier_.predict(features)  # what the classifier alone costs through scikit-learn's API
            getattr(model.classifier_, "predict_proba" if clf == "logreg" else "decision_function")(features)
            t3 = time.perf_counter()
            assert len(records) == len(paths) and not records.skipped
            for key, value in ((f"extract/{clf}", t1 - t0), (f"predict/{clf}", t2 - t1),
                               (f"classifier/{clf}", t3 - t2)):
                best[key] = min(best.get(key, float("inf")), value)
    return best


def command(models, folder, paths, repeats, workdir):
    """Best wall seconds of ``featclf predict`` vs a process loading the model and extracting the same files."""
    env = {**os.environ, "PYTHONPATH": ROOT}
    extract_code = ("import featclf, glob; m = featclf.load_model({model!r}); "
                    "m.extractor_.set_params(verbose=0).transform(sorted(glob.glob({pattern!r})))")
    best = {}
    for _ in range(repeats):
        for clf, (_, path) in models.items():
            runs = {
                f"extract-process/{clf}": [sys.executable, "-c", extract_code.format(
                    model=path, pattern=os.path.join(folder, "*.png"))],
                f"featclf-predict/{clf}": [sys.executable, "-m", "featclf", "predict", path, folder, "-o",
                                           os.path.join(workdir, f"preds-{clf}.csv"), "-q"],
            }
            for key, argv in runs.items():
                t0 = time.perf_counter()
                subprocess.run(argv, check=True, env=env, capture_output=True)
                best[key] = min(best.get(key, float("inf")), time.perf_counter() - t0)
    return best


#: Timed in a fresh process. load_s includes the imports the load needs (featclf, scikit-learn,
#: SciPy: unavoidable to unpickle a scikit-learn classifier), also reported alone (libraries_s).
LOAD_CODE = """
import time, json, sys
t0 = time.perf_counter()
import featclf, featclf.training
libraries = time.perf_counter() - t0
model = featclf.load_model(sys.argv[1])
t1 = time.perf_counter()
torch_imported = "torch" in sys.modules
model.predict_records([sys.argv[2]])
t2 = time.perf_counter()
print(json.dumps({"load_s": t1 - t0, "libraries_s": libraries, "first_prediction_s": t2 - t1,
                  "torch_imported_by_load": torch_imported}))
"""


def cnn_load(workdir, paths, repeats=3):
    import featclf

    train = featclf.load_fashion_mnist(split="train").subset(range(200))
    model = featclf.train(train, "cnn:input_size=64", "logreg", verbose=0)
    path = os.path.join(workdir, "cnn.featclf")
    model.save(path)
    env = {**os.environ, "PYTHONPATH": ROOT}
    runs = []
    for _ in range(repeats):
        out = subprocess.run([sys.executable, "-c", LOAD_CODE, path, paths[0]], check=True, env=env,
                             capture_output=True, text=True).stdout
        runs.append(json.loads(out.strip().splitlines()[-1]))
    best = min(runs, key=lambda r: r["load_s"])
    return {"file_mb": round(os.path.getsize(path) / 2**20, 2), "runs": runs, "best": best}


def main(argv=None):
    args = parse_args(argv)
    if args.quick:
        args.n_images, args.repeats = 200, 2
    load_before = os.getloadavg()  # the machine is shared: how busy it was, recorded with the figures
    with tempfile.TemporaryDirectory(prefix="featclf-bench-predict-") as workdir:
        folder = os.path.join(workdir, "images")
        os.makedirs(folder)
        paths = write_files(folder, args.n_images)
        models = train_models(workdir)
        inproc = in_process(models, paths, args.repeats)
        cmd = command(models, folder, paths, max(2, args.repeats // 2), workdir)
        cnn = None if args.no_cnn else cnn_load(workdir, paths)
    rows = []
    for clf in models:
        rows.append({"classifier": clf, "how": "in-process", "extraction_s": inproc[f"extract/{clf}"],
                     "predict_s": inproc[f"predict/{clf}"],
                     "ratio": inproc[f"predict/{clf}"] / inproc[f"extract/{clf}"],
                     "sklearn_label_and_score_s": inproc[f"classifier/{clf}"],
                     "ratio_to_extraction_plus_sklearn": inproc[f"predict/{clf}"] / (
                         inproc[f"extract/{clf}"] + inproc[f"classifier/{clf}"])})
        rows.append({"classifier": clf, "how": "command (fresh process)", "extraction_s": cmd[f"extract-process/{clf}"],
                     "predict_s": cmd[f"featclf-predict/{clf}"],
                     "ratio": cmd[f"featclf-predict/{clf}"] / cmd[f"extract-process/{clf}"]})
    print(f"{args.n_images} Fashion-MNIST PNG files, HOG(9, 4x4, 2x2), best of {args.repeats} (in-process) and "
          f"{max(2, args.repeats // 2)} (command)")
    print_table(rows, ["classifier", "how", "extraction_s", "predict_s", "ratio", "sklearn_label_and_score_s",
                       "ratio_to_extraction_plus_sklearn"])
    targets = {
        "predict_vs_extraction_logreg": target(round(rows[0]["ratio"], 3), 1.1, unit="x", higher_is_better=False),
        "predict_vs_extraction_svm": target(round(rows[2]["ratio"], 3), 1.1, unit="x", higher_is_better=False),
    }
    if cnn is not None:
        print(f"CNN model ({cnn['file_mb']} MB file): import featclf + load_model in a fresh process "
              f"{cnn['best']['load_s']:.3f} s (of which importing featclf, scikit-learn and SciPy "
              f"{cnn['best']['libraries_s']:.3f} s; torch imported: {cnn['best']['torch_imported_by_load']}); first "
              f"prediction of one image after it {cnn['best']['first_prediction_s']:.3f} s (builds the network)")
        targets["cnn_load_s"] = target(round(cnn["best"]["load_s"], 3), 2.0, unit=" s", higher_is_better=False)
    for name, record in targets.items():
        print(f"target {name}: {record['target']}, value {record['value']}: {'met' if record['met'] else 'NOT met'}")
    if not args.no_save:
        payload = {**header(), "parameters": {"n_images": args.n_images, "n_train": N_TRAIN, "repeats": args.repeats,
                                              "extractor": "hog:pixels_per_cell=4x4", "data": "fashion-mnist test PNG"},
                   "rows": rows, "cnn_load": cnn, "targets": targets,
                   "load_average_1_5_15min": {"before": load_before, "after": os.getloadavg()}}
        print("saved", save_json("predict_quick" if args.quick else "predict", payload))


if __name__ == "__main__":
    main()
