"""Small evaluation results to render: digits in memory, and image files with one unreadable file."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

import featclf


@pytest.fixture(scope="session")
def digits_result():
    """pixels and 4x4 pixels x svm and knn, 3 folds, on 200 digits (20 per class)."""
    digits = featclf.load_digits()
    rows = np.concatenate([np.flatnonzero(digits.labels == k)[:20] for k in range(10)])
    return featclf.evaluate(digits.subset(np.sort(rows)), ["pixels", "pixels:size=4x4"], ["svm", "knn"], cv=3,
                            verbose=0)


@pytest.fixture(scope="session")
def files_result(tmp_path_factory):
    """Colour PNG files in class folders with awkward names, one truncated file (skipped)."""
    root = tmp_path_factory.mktemp("files")
    rng = np.random.default_rng(0)
    classes = {"red <&> co": (200, 30, 30), "blue|ish": (30, 30, 200), "grün": (30, 170, 30)}
    for name, colour in classes.items():
        (root / name).mkdir()
        for i in range(8):
            image = np.clip(np.array(colour) + rng.integers(-90, 90, size=(20, 24, 3)), 0, 255).astype(np.uint8)
            Image.fromarray(image).save(root / name / f"img_{i}.png")
    data = (root / "grün" / "img_0.png").read_bytes()
    (root / "grün" / "img_9_broken.png").write_bytes(data[:40])
    dataset = featclf.ImageFolder(root)
    with pytest.warns(featclf.exceptions.SkippedImagesWarning):
        return featclf.evaluate(dataset, ["pixels:size=6x6", "colorhist:bins=4"], ["knn:n_neighbors=1", "svm"],
                                cv=2, verbose=0)
