"""``featclf demo``: the main job on the embedded digits dataset, in a few seconds."""

from __future__ import annotations

from ._evaluate import DEFAULT_OUT, add_common_options, run_evaluation

#: What the demo compares on 8x8 digits (enlarged to 16x16 so HOG has 4x4-pixel cells).
DEMO_EXTRACTORS = ("pixels", "hog:size=16x16,pixels_per_cell=4x4")
DEMO_CLASSIFIERS = ("svm", "rf", "knn")


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "demo", help="evaluate raw pixels and HOG x RBF SVM, random forest, k-NN on the embedded digits",
        description="Run the main job on scikit-learn's handwritten digits (1,797 images, embedded, no download): "
                    f"extractors {', '.join(DEMO_EXTRACTORS)} x classifiers {', '.join(DEMO_CLASSIFIERS)}, "
                    "5-fold stratified cross-validation; writes report.json, report.md and report.html.",
    )
    add_common_options(parser, default_out=DEFAULT_OUT)
    parser.set_defaults(run=run)
    return parser


def run(args) -> int:
    from ..datasets import load_digits
    from ..extract import list_extractors

    extractors = [spec for spec in DEMO_EXTRACTORS if spec.partition(":")[0] in list_extractors()]
    return run_evaluation(load_digits(), None, args, extractors=extractors, classifiers=list(DEMO_CLASSIFIERS),
                          cv=5)
