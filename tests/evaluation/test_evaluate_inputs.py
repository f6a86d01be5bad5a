"""evaluate(): features once per extractor, skipped images, accepted inputs, and every error path."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from sklearn.neighbors import KNeighborsClassifier

import featclf
from featclf.engine import Extraction, SkippedInput
from featclf.engine import _extract as engine_extract
from featclf.exceptions import (
    DatasetError,
    ImageLoadError,
    InvalidParameterError,
    SkippedImagesWarning,
    UnknownNameError,
)
from featclf.extract import RawPixels
from featclf.kernels import PixelsKernel


def test_features_are_computed_once_per_extractor(digits_small, monkeypatch):
    calls = []  # (size param, number of images) of each extraction pass of an extractor
    batches = []
    decoded = []
    original_kernel = RawPixels._kernel
    original_compute = PixelsKernel.compute
    original_decode = engine_extract.decode_image

    def counting_kernel(self, sources):
        calls.append((self.size, len(sources)))
        return original_kernel(self, sources)

    def counting_compute(self, images):
        batches.append(len(images))
        return original_compute(self, images)

    monkeypatch.setattr(RawPixels, "_kernel", counting_kernel)
    monkeypatch.setattr(PixelsKernel, "compute", counting_compute)
    monkeypatch.setattr(engine_extract, "decode_image", lambda s, **kw: decoded.append(1) or original_decode(s, **kw))
    result = featclf.evaluate(digits_small, ["pixels", "pixels:size=4x4"], ["knn", "svm", "knn:n_neighbors=3"],
                              cv=4, verbose=0)
    assert len(result.results) == 6  # 2 extractors x 3 classifiers, each over 4 folds
    assert calls == [(None, 240), ((4, 4), 240)]  # one transform per extractor, of every image
    assert sum(batches) == 2 * 240  # every image featurised exactly once per extractor
    assert len(decoded) == 240  # and decoded once for both


class FlakyPixels(RawPixels):
    """Raw pixels that 'cannot read' the images at given positions (reported like on_error='skip')."""

    def __init__(self, *, fail_at=(), size=None, color="grey", n_jobs=None, batch_size="auto", on_error="raise",
                 verbose=1):
        super().__init__(size=size, color=color, n_jobs=n_jobs, batch_size=batch_size, on_error=on_error,
                         verbose=verbose)
        self.fail_at = fail_at

    def extract(self, X):
        record = super().extract(X)
        keep = np.setdiff1d(np.arange(len(X)), self.fail_at)
        skipped = [SkippedInput(i, f"item {i}", "flaky reader") for i in self.fail_at]
        return Extraction(record.features[keep], keep, skipped, len(X))


def test_an_image_one_extractor_cannot_read_is_dropped_for_all(digits_small):
    with pytest.warns(SkippedImagesWarning, match="Skipped 2 of 240 images"):
        result = featclf.evaluate(digits_small, ["pixels", FlakyPixels(fail_at=(3, 100))], ["knn"], cv=3, verbose=0)
    assert result.dataset["n_used"] == 238 and result.dataset["n_images"] == 240
    assert [r.confusion_matrix.sum() for r in result.results] == [238, 238]  # both see the same images
    assert result.skipped == [
        {"source": "item 3", "reason": "flaky reader", "split": "train", "extractors": ["FlakyPixels:fail_at=3x100"]},
        {"source": "item 100", "reason": "flaky reader", "split": "train", "extractors": ["FlakyPixels:fail_at=3x100"]},
    ]
    kept = np.setdiff1d(np.arange(240), [3, 100])
    np.testing.assert_array_equal(result.y, digits_small.labels[kept])  # labels aligned with kept rows
    np.testing.assert_array_equal(result.source(3), digits_small.sources[4])  # row 3 is image 4 now


def test_unreadable_files_are_skipped_and_reported(shapes_folder):
    data = featclf.ImageFolder(shapes_folder)
    assert len(data) == 31
    with pytest.warns(SkippedImagesWarning) as record:
        result = featclf.evaluate(data, ["pixels", "colorhist"], ["knn"], cv=3, verbose=0)
    # one warning for the evaluation, not one per extractor
    assert len([w for w in record if issubclass(w.category, SkippedImagesWarning)]) == 1
    assert "Skipped 1 of 31 images" in str(record[0].message)
    assert result.dataset["n_used"] == 30
    (skipped,) = result.skipped
    assert skipped["source"].endswith("square_99_truncated.png")
    assert skipped["extractors"] == ["pixels", "colorhist"] and skipped["split"] == "train"
    assert "truncated" in skipped["reason"] or "cannot" in skipped["reason"]
    assert result.best.accuracy_mean > 0.9  # colour and shape separate these classes easily
    with pytest.raises(ImageLoadError, match="square_99_truncated.png"):
        featclf.evaluate(data, ["pixels"], ["knn"], cv=3, on_error="raise", verbose=0)


def test_extractors_and_classifiers_in_every_accepted_form(digits_small):
    result = featclf.evaluate(
        digits_small,
        ["pixels", ("pixels", {"size": (4, 4)}), "pixels:size=2x2", RawPixels(size=(3, 3))],
        ["knn", ("knn", {"n_neighbors": 1}), "knn:n_neighbors=7", KNeighborsClassifier(n_neighbors=2)],
        cv=3, verbose=0,
    )
    extractors = [x["label"] for x in result.config["extractors"]]
    classifiers = [x["label"] for x in result.config["classifiers"]]
    assert extractors == ["pixels", "pixels:size=4x4", "pixels:size=2x2", "pixels:size=3x3"]
    assert classifiers == ["knn", "knn:n_neighbors=1", "knn:n_neighbors=7", "KNeighborsClassifier:n_neighbors=2"]
    assert [r.n_features for r in result.results[::4]] == [64, 16, 4, 9]


def test_repeated_specs_get_distinct_labels(digits_small):
    result = featclf.evaluate(digits_small, ["pixels"], ["knn", "knn"], cv=3, verbose=0)
    assert [r.classifier for r in result.results] == ["knn", "knn #2"]


def test_default_extractors_and_classifiers():
    from featclf.evaluation import DEFAULT_CLASSIFIERS, DEFAULT_EXTRACTORS

    assert DEFAULT_EXTRACTORS == ("pixels:size=32x32", "hog:size=64x64", "colorhist")
    assert DEFAULT_CLASSIFIERS == ("svm", "logreg", "rf")


def test_default_extractors_work_on_images_of_mixed_sizes(shapes_folder):
    """Real folders hold images of many sizes: the defaults resize (pixels, HOG) or need no size (histograms)."""
    import shutil

    from PIL import Image

    root = shapes_folder.parent / "mixed"
    if not root.exists():
        shutil.copytree(shapes_folder, root, ignore=shutil.ignore_patterns("*truncated*"))
        for path in sorted(root.rglob("*_0[0-4].png")):
            Image.open(path).resize((70, 33)).save(path)
    result = featclf.evaluate(featclf.ImageFolder(root), classifiers=["knn"], cv=3, verbose=0)
    assert [x["label"] for x in result.config["extractors"]] == ["pixels:size=32x32", "hog:size=64x64", "colorhist"]
    assert [r.n_features for r in result.results] == [1024, 1764, 512]
    assert result.skipped == [] and result.dataset["n_used"] == 30


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"extractors": ["hgo"]}, UnknownNameError, r"Unknown extractor 'hgo'.*Did you mean 'hog'\?"),
        ({"classifiers": ["svn"]}, UnknownNameError, r"Unknown classifier 'svn'.*Did you mean 'svm'\?"),
        ({"extractors": ["pixels:size"]}, InvalidParameterError, r"Cannot read 'size' in the extractor spec"),
        ({"extractors": ["pixels:colour=rgb"]}, InvalidParameterError,
         r"Extractor 'pixels' \(RawPixels\) has no parameter 'colour'. Valid parameters: size, color"),
        ({"classifiers": ["svm:c=1"]}, InvalidParameterError, r"Classifier 'svm' \(SVC\) has no parameter 'c'"),
        ({"classifiers": [42]}, InvalidParameterError, r"Cannot use 42 as a classifier"),
        ({"extractors": [42]}, InvalidParameterError, r"Cannot use 42 as an extractor"),
        ({"extractors": []}, InvalidParameterError, r"at least one extractor and one classifier"),
        ({"cv": 1}, InvalidParameterError, r"The 'cv' parameter of evaluate must be an int >= 2. Got 1"),
        ({"cv": "folds"}, InvalidParameterError, r"The 'cv' parameter of evaluate must be an int >= 2 \(strat"),
        ({"cv": "split"}, InvalidParameterError, r"cv='split' .* no test set was given"),
        ({"cv": 30}, InvalidParameterError, r"needs at least 30 images per class; these classes have fewer: "
                                            r"'0' \(24\)"),
        ({"rank_by": "auc"}, InvalidParameterError, r"The 'rank_by' parameter of evaluate must be one of"),
        ({"on_error": "ignore"}, InvalidParameterError, r"The 'on_error' parameter of evaluate must be one of"),
        ({"random_state": -1}, InvalidParameterError, r"The 'random_state' parameter of evaluate"),
    ],
)
def test_parameter_errors(digits_small, kwargs, error, match):
    args = {"extractors": ["pixels"], "classifiers": ["knn"], "cv": 3, "verbose": 0, **kwargs}
    with pytest.raises(error, match=match):
        featclf.evaluate(digits_small, **args)


def test_dataset_errors(digits_small, shapes_folder):
    with pytest.raises(DatasetError, match="needs a labelled featclf dataset for 'dataset'; got list"):
        featclf.evaluate(["a.png"], ["pixels"], ["knn"], verbose=0)
    with pytest.raises(DatasetError, match="evaluate needs labelled images"):
        featclf.evaluate(featclf.UnlabelledFolder(shapes_folder), ["pixels"], ["knn"], verbose=0)
    other = featclf.ArrayDataset(np.zeros((4, 8, 8), np.uint8), ["a", "b", "a", "b"])
    with pytest.raises(DatasetError, match="test set's classes differ"):
        featclf.evaluate(digits_small, ["pixels"], ["knn"], test=other, verbose=0)
    with pytest.raises(InvalidParameterError, match="Both cv=3 and a test set were given"):
        featclf.evaluate(digits_small, ["pixels"], ["knn"], cv=3, test=digits_small, verbose=0)
    one_class = featclf.ArrayDataset(np.zeros((6, 8, 8), np.uint8), [0] * 6, ["a", "b"])
    with pytest.raises(DatasetError, match="at least 2 classes"):
        featclf.evaluate(one_class, ["pixels"], ["knn"], cv=2, verbose=0)


def test_evaluate_is_the_function_after_the_subpackage_is_imported(digits_small):
    import inspect

    import featclf.evaluation._stats  # noqa: F401 - binds featclf.evaluation, never featclf.evaluate

    assert callable(featclf.evaluate)
    assert "extractors" in inspect.signature(featclf.evaluate).parameters
    assert featclf.evaluate(digits_small, ["pixels"], ["knn"], cv=2, verbose=0).best.classifier == "knn"


def test_versions_are_recorded_without_importing_torch():
    repo = os.path.dirname(os.path.dirname(os.path.abspath(featclf.__file__)))
    code = """
import json, sys
import numpy as np
import featclf
data = featclf.ArrayDataset(np.random.default_rng(0).integers(0, 255, (12, 6, 6), dtype=np.uint8), [0, 1] * 6)
result = featclf.evaluate(data, ["pixels"], ["knn:n_neighbors=1"], cv=2, verbose=0)
print(json.dumps([result.versions, "torch" in sys.modules]))
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": repo})
    assert proc.returncode == 0, proc.stderr
    versions, torch_imported = json.loads(proc.stdout)
    assert torch_imported is False
    import numpy
    import sklearn

    assert versions["featclf"] == featclf.__version__
    assert versions["numpy"] == numpy.__version__ and versions["scikit-learn"] == sklearn.__version__
    assert versions["opencv"].startswith("4.")
    assert set(versions) >= {"python", "scipy", "pillow", "matplotlib", "torch", "platform"}


def test_fit_warnings_are_collected_once_per_combination_not_repeated_per_fold(digits_small, recwarn):
    from sklearn.linear_model import LogisticRegression

    result = featclf.evaluate(digits_small, ["pixels"], [LogisticRegression(max_iter=2), "knn"], cv=3, verbose=0)
    logreg, knn = result.results
    assert len(logreg.warnings) == 1 and logreg.warnings[0].startswith("ConvergenceWarning: lbfgs failed to converge")
    assert knn.warnings == []
    assert not [w for w in recwarn if "converge" in str(w.message)]  # in the result and reports, not the console
    assert "ConvergenceWarning" in result.to_markdown() and "ConvergenceWarning" in result.to_html()


def test_progress_lines_go_to_stderr_only_when_verbose(digits_small, capsys):
    featclf.evaluate(digits_small, ["pixels"], ["knn"], cv=2, verbose=0)
    assert capsys.readouterr().err == ""
    featclf.evaluate(digits_small, ["pixels"], ["knn"], cv=2, verbose=1)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "[featclf] extracting pixels from 240 images" in captured.err
    assert "pixels + knn: accuracy" in captured.err
