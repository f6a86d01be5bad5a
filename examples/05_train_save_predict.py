"""Train once, save the model to one file, predict new images from another process.

What it shows (public API only): ``featclf.train`` (extractor + classifier fitted on every
image of a labelled folder), ``Model.save`` (one zip file: a readable manifest and the
pickled model), then, in a separate Python process that shares nothing but that file,
``featclf.load_model`` and ``Model.predict_records``: one row per input, in input order,
with the label, its probability and the top classes, or, for an input that cannot be read
(the example adds one broken file on purpose), no label and the reason. The rows are
written as CSV. The same second step on the command line:
``featclf predict model.featclf new/ -o predictions.csv``.

Loading a model runs code from the file (a pickle, as any scikit-learn model): load only
files you trust (``featclf info model.featclf`` reads the manifest without loading anything).

Data: by default scikit-learn's 8x8 handwritten digits (embedded, no download), written as
PNG files into a temporary folder: ``--limit`` images (the same number per class) in
``<class>/`` folders to train on, and 200 other digits in one flat folder as new images;
``--data fashion-mnist`` uses Fashion-MNIST where it is installed. Or your own images:
``--folder DIR`` (labelled, ``<class>/<image>``) and ``--new DIR`` (images to predict).

Time here (2 cores): 13 s with the default ``--limit 1000`` (machine busy, load 9); 10 s with
``--limit 200`` (load 2): much of it is starting the two Python processes.

    python examples/05_train_save_predict.py
    python examples/05_train_save_predict.py --folder ~/photos --new ~/inbox --out photos-model
    python examples/05_train_save_predict.py predict photos-model/model.featclf ~/inbox -o predictions.csv
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile

import sample_images

import featclf

EXTRACTOR = {"digits": "hog:size=16x16,pixels_per_cell=4x4", "fashion-mnist": "hog:pixels_per_cell=4x4",
             None: "hog:size=64x64"}


def train_and_save(argv) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folder", help="your own labelled folder, <class>/<image> (default: sample data)")
    parser.add_argument("--new", help="with --folder: a folder of images to predict")
    parser.add_argument("--data", choices=sample_images.SOURCES, default="digits",
                        help="sample data written as PNG files when no --folder is given (default: digits)")
    parser.add_argument("--limit", type=int, default=1000, help="training images of the sample data (default 1000)")
    parser.add_argument("--classifier", default="logreg", help="classifier preset or spec (default: logreg)")
    parser.add_argument("--out", default="featclf-model", help="folder for model.featclf and predictions.csv")
    args = parser.parse_args(argv)
    if bool(args.folder) != bool(args.new):
        parser.error("--folder and --new go together: the labelled images to train on, and the images to predict")

    truth = None
    if args.folder:
        folder, new, extractor = args.folder, args.new, EXTRACTOR[None]
    else:
        work = tempfile.mkdtemp(prefix="featclf-train-")
        folder, new, extractor = os.path.join(work, "train"), os.path.join(work, "new"), EXTRACTOR[args.data]
        sample = sample_images.load(args.data)
        sample_images.write_images(sample, sample_images.balanced_indices(sample.labels, args.limit), folder,
                                   labelled=True)
        per_class = -(-args.limit // len(sample.classes))  # skip the images trained on
        truth = sample_images.write_images(sample, sample_images.balanced_indices(sample.labels, 200, offset=per_class),
                                           new, labelled=False)
        with open(os.path.join(new, "zz_broken.png"), "wb") as f:  # an unreadable input keeps its row
            f.write(b"not an image")

    model = featclf.train(featclf.ImageFolder(folder), extractor, args.classifier, verbose=0)
    os.makedirs(args.out, exist_ok=True)
    saved = os.path.join(args.out, "model.featclf")
    model.save(saved)
    print(f"[process {os.getpid()}] Trained {extractor} + {args.classifier} on {len(model.classes_)} classes; "
          f"saved {saved} ({os.path.getsize(saved) / 1e6:.2f} MB)")

    # A fresh Python process: nothing is shared with this one but the saved file.
    predictions = os.path.join(args.out, "predictions.csv")
    subprocess.run([sys.executable, os.path.abspath(__file__), "predict", saved, new, "-o", predictions], check=True)

    if truth is not None:
        with open(predictions, newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        # Files sort in the order written, the broken one last: the first rows are the images, in order.
        correct = sum(row["label"] == sample_images.safe_name(name) for row, name in zip(rows, truth))
        print(f"Accuracy on {len(truth)} new images, predicted by the other process: {correct / len(truth):.3f}")
    return 0


def predict(argv) -> int:
    parser = argparse.ArgumentParser(prog="05_train_save_predict.py predict",
                                     description="Predict every file of a folder with a saved model.")
    parser.add_argument("model", help="a file written by Model.save (only files you trust: loading runs code)")
    parser.add_argument("folder", help="a folder of images to predict (every file directly in it)")
    parser.add_argument("-o", "--output", required=True, help="CSV file for the predictions")
    args = parser.parse_args(argv)

    model = featclf.load_model(args.model)
    files = sorted(os.path.join(args.folder, name) for name in os.listdir(args.folder))
    records = model.predict_records(files, top_k=3)
    records.to_csv(args.output)
    unread = [r for r in records if r.label is None]
    print(f"[process {os.getpid()}] Predicted {len(records) - len(unread)} of {len(files)} files "
          f"({len(unread)} unreadable, listed with their reason); wrote {args.output}")
    return 0


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["predict"]:
        return predict(argv[1:])
    return train_and_save(argv)


if __name__ == "__main__":
    raise SystemExit(main())
