"""The scikit-learn contract, checked on every registered extractor.

``check_estimator`` skips every check for a transformer whose input is not a 2-D
table, so featclf carries its own: clone, nothing set in ``__init__``, ``fit``
returns self, unfitted errors, pickling, ``n_jobs`` invariance, feature names,
dtype, composition (Pipeline, FeatureUnion, GridSearchCV, cross-validation), every
input kind, and ``on_error='skip'``.

An extractor that needs special parameters to stay small and offline in tests
lists them in ``EXTRACTOR_TEST_PARAMS``; one whose optional dependencies are
missing is skipped.
"""

from __future__ import annotations

import inspect
import io
import pickle
import re
import warnings

import numpy as np
import pytest
from PIL import Image
from sklearn.base import clone
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score
from sklearn.pipeline import FeatureUnion, Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

import featclf
from featclf.exceptions import (
    ImageLoadError,
    ImageSizeError,
    InvalidImageError,
    InvalidParameterError,
    MissingDependencyError,
    SkippedImagesError,
    SkippedImagesWarning,
)
from featclf.extract import get_extractor_class, list_extractors

#: Parameters keeping each extractor small, fast and offline in tests.
EXTRACTOR_TEST_PARAMS = {
    "pixels": {"size": (16, 16)},
    "hog": {"pixels_per_cell": (4, 4)},
    "colorhist": {"bins": 4},
    "cnn": {"backbone": "tiny"},
}
#: A parameter to grid-search per extractor (two values).
GRID_PARAMS = {
    "pixels": ("color", ["grey", "rgb"]),
    "hog": ("orientations", [6, 9]),
    "colorhist": ("color_space", ["rgb", "hsv"]),
    "cnn": ("pooling", ["avg", "avgmax"]),
}
#: Extractors with untrained (random) weights in tests: no accuracy is asserted for them.
UNTRAINED = {"cnn"}
#: Settings every extractor should take, applied when it has them.
QUIET = {"verbose": 0}

NAMES = list_extractors()
SIZE = 24


def params_for(name, **extra):
    cls = get_extractor_class(name)
    accepted = set(inspect.signature(cls.__init__).parameters)
    params = {**EXTRACTOR_TEST_PARAMS.get(name, {}), **QUIET, **extra}
    return {k: v for k, v in params.items() if k in accepted}


def make(name, **extra):
    return get_extractor_class(name)(**params_for(name, **extra))


def fit_or_skip(est, X):
    try:
        return est.fit(X)
    except MissingDependencyError as exc:
        pytest.skip(f"{type(est).__name__}: optional dependency missing ({exc})")


def two_class_images(n_per_class=8, seed=0):
    """Class 0: red horizontal stripes on dark; class 1: blue vertical stripes on grey (24x24 RGB uint8).

    Orientation separates them for HOG, hue for colour histograms, brightness for grey pixels.
    """
    rng = np.random.default_rng(seed)
    images, labels = [], []
    grid = np.arange(SIZE)
    for label in (0, 1):
        for _ in range(n_per_class):
            period = rng.integers(4, 9)
            wave = (np.sin(2 * np.pi * (grid + rng.uniform(0, period)) / period) > 0).astype(np.float64)
            stripes = wave[:, None] * np.ones(SIZE) if label == 0 else np.ones(SIZE)[:, None] * wave
            colour = np.array([200, 60, 40]) if label == 0 else np.array([40, 90, 160])
            image = stripes[..., None] * colour + rng.normal(0, 12, (SIZE, SIZE, 3)) + (20 if label == 0 else 90)
            images.append(np.clip(image, 0, 255).astype(np.uint8))
            labels.append(label)
    return images, np.array(labels)


@pytest.fixture(scope="module")
def data():
    return two_class_images()


@pytest.fixture(scope="module")
def images(data):
    return data[0][:6]


def png_bytes(array):
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


# --------------------------------------------------------------------------- construction
@pytest.mark.parametrize("name", NAMES)
def test_init_stores_parameters_only(name):
    cls = get_extractor_class(name)
    signature = inspect.signature(cls.__init__)
    assert all(p.kind is p.KEYWORD_ONLY for n, p in signature.parameters.items() if n != "self")
    default = cls()
    assert set(vars(default)) == set(default.get_params(deep=False)) == set(signature.parameters) - {"self"}
    params = params_for(name)
    est = cls(**params)
    assert set(vars(est)) == set(est.get_params(deep=False))
    for key, value in params.items():
        assert getattr(est, key) is value


@pytest.mark.parametrize("name", NAMES)
def test_clone(name, images):
    est = make(name)
    copy = clone(est)
    assert type(copy) is type(est) and copy is not est
    assert copy.get_params() == est.get_params()
    fit_or_skip(est, images)
    fresh = clone(est)
    assert not hasattr(fresh, "n_features_out_")


@pytest.mark.parametrize("name", NAMES)
def test_fit_returns_self_and_keeps_parameters(name, images):
    est = make(name)
    before = est.get_params()
    assert fit_or_skip(est, images) is est
    assert est.get_params() == before
    assert est.n_features_out_ > 0


@pytest.mark.parametrize("name", NAMES)
def test_transform_before_fit_raises_not_fitted(name, images):
    est = make(name)
    with pytest.raises(NotFittedError, match=f"This {type(est).__name__} instance is not fitted yet"):
        est.transform(images)
    with pytest.raises(NotFittedError, match="not fitted yet"):
        est.get_feature_names_out()


# --------------------------------------------------------------------------- output
@pytest.mark.parametrize("name", NAMES)
def test_output_float32_with_one_name_per_column(name, images):
    est = fit_or_skip(make(name), images)
    out = est.transform(images)
    assert out.dtype == np.float32
    assert out.shape == (len(images), est.n_features_out_)
    assert np.isfinite(out).all()
    names = est.get_feature_names_out()
    assert len(names) == out.shape[1]
    assert all(isinstance(n, str) for n in names)
    assert len(set(names)) == len(names)
    assert out.std(axis=0).max() > 0  # the images differ, so must some features


@pytest.mark.parametrize("name", NAMES)
def test_rows_follow_input_order(name, images):
    est = fit_or_skip(make(name), images)
    together = est.transform(images)
    one_by_one = np.vstack([est.transform([im]) for im in images])
    np.testing.assert_array_equal(together, one_by_one)
    np.testing.assert_array_equal(est.transform(images[::-1]), together[::-1])


@pytest.mark.parametrize("name", NAMES)
def test_pickle_round_trip_gives_identical_output(name, images):
    est = fit_or_skip(make(name), images)
    expected = est.transform(images)
    restored = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(restored.transform(images), expected)
    np.testing.assert_array_equal(restored.get_feature_names_out(), est.get_feature_names_out())
    unfitted = pickle.loads(pickle.dumps(make(name)))
    np.testing.assert_array_equal(fit_or_skip(unfitted, images).transform(images), expected)


def _same(a, b) -> bool:
    if a is b:
        return True
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and np.array_equal(a, b)
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("on_error", ["skip", "nan"])
def test_transform_and_extract_leave_the_estimator_unchanged(name, images, tmp_path, on_error):
    """As scikit-learn's check_dict_unchanged: per-call results come back, none is stored on the estimator."""
    sources = [str(tmp_path / "missing.png"), *images[:3]]
    for est in (fit_or_skip(make(name, on_error=on_error), images), pickle.loads(pickle.dumps(
            fit_or_skip(make(name, on_error=on_error), images)))):  # an unpickled one rebuilds caches on demand
        before = dict(est.__dict__)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SkippedImagesWarning)
            try:
                est.transform(sources)
            except SkippedImagesError:
                assert on_error == "skip"
        est.extract(sources)
        assert est.__dict__.keys() == before.keys()
        changed = [key for key, value in before.items() if not _same(value, est.__dict__[key])]
        assert not changed, f"{type(est).__name__} changed {changed} while transforming"


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("n_jobs", [1, 2])
@pytest.mark.parametrize("bad", [(0,), (2,), (4,), (0, 2, 4)], ids=["start", "middle", "end", "all-three"])
def test_record_indices_are_the_input_positions(name, images, tmp_path, n_jobs, bad):
    """Skips at the start, middle and end: every row is the image at its index; every skip is listed."""
    sources = [str(tmp_path / f"gone{i}.png") if i in bad else images[i] for i in range(5)]
    est = fit_or_skip(make(name, on_error="skip", n_jobs=n_jobs, batch_size=2), images)
    record = est.extract(sources)
    kept = [i for i in range(5) if i not in bad]
    assert record.indices.tolist() == kept and record.n_inputs == 5
    assert [(s.index, s.source) for s in record.skipped] == [(i, sources[i]) for i in bad]
    assert all("no such file" in s.reason for s in record.skipped)
    np.testing.assert_array_equal(record.features, est.transform([images[i] for i in kept]))


@pytest.mark.parametrize("name", NAMES)
def test_pickles_name_public_modules_only(name, images):
    """Saved models must survive moving a private file: a fitted extractor's pickle names public paths only."""
    est = fit_or_skip(make(name), images)
    data = pickle.dumps(est)
    modules = {m.decode() for m in re.findall(rb"featclf(?:\.[A-Za-z0-9_]+)+", data)}
    private = sorted(m for m in modules if any(part.startswith("_") for part in m.split(".")[1:]))
    assert not private, f"private module paths in the pickle of {type(est).__name__}: {private}"
    assert type(est).__module__ == "featclf.extract" and "featclf.extract" in modules


@pytest.mark.parametrize("name", NAMES)
def test_same_output_for_one_and_two_jobs(name, images):
    one = fit_or_skip(make(name, n_jobs=1, batch_size=2), images).transform(images)
    two = make(name, n_jobs=2, batch_size=2).fit(images).transform(images)
    np.testing.assert_array_equal(one, two)


# --------------------------------------------------------------------------- input kinds
def _as_kind(kind, arrays, tmp_path):
    if kind == "arrays":
        return list(arrays)
    if kind == "stacked array":
        return np.stack(arrays)
    if kind == "paths":
        paths = []
        for i, array in enumerate(arrays):
            paths.append(str(tmp_path / f"img{i:02d}.png"))
            Image.fromarray(array).save(paths[-1])
        return paths
    if kind == "bytes":
        return [png_bytes(a) for a in arrays]
    if kind == "PIL images":
        return [Image.fromarray(a) for a in arrays]
    if kind == "ArrayDataset":
        return featclf.ArrayDataset(list(arrays), labels=[i % 2 for i in range(len(arrays))])
    if kind == "UnlabelledFolder":
        _as_kind("paths", arrays, tmp_path)
        return featclf.UnlabelledFolder(tmp_path)
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["stacked array", "paths", "bytes", "PIL images", "ArrayDataset",
                                  "UnlabelledFolder"])
@pytest.mark.parametrize("name", NAMES)
def test_every_input_kind_gives_the_same_features(name, kind, images, tmp_path):
    est = fit_or_skip(make(name), images)
    expected = est.transform(images)
    X = _as_kind(kind, images, tmp_path)
    np.testing.assert_array_equal(est.transform(X), expected)
    np.testing.assert_array_equal(clone(est).fit(X).transform(X), expected)


# --------------------------------------------------------------------------- on_error
@pytest.mark.parametrize("name", NAMES)
def test_skip_exposes_kept_indices_and_skipped(name, images, tmp_path):
    good = [str(tmp_path / "a.png"), str(tmp_path / "b.png")]
    Image.fromarray(images[0]).save(good[0])
    Image.fromarray(images[1]).save(good[1])
    missing = str(tmp_path / "missing.png")
    sources = [missing, good[0], b"not an image", good[1], images[2]]
    est = fit_or_skip(make(name, on_error="skip"), sources)
    record = est.extract(sources)
    np.testing.assert_array_equal(record.indices, [1, 3, 4])
    assert [src for _, src, _ in record.skipped] == [missing, "item 2 (bytes)"]
    assert [index for index, _, _ in record.skipped] == [0, 2]
    assert "no such file" in record.skipped[0][2]
    y = np.arange(5)
    assert y[record.indices].tolist() == [1, 3, 4]  # labels align with rows
    expected = est.transform([images[0], images[1], images[2]])
    np.testing.assert_array_equal(record.features, expected)
    again = est.extract([images[0], images[1], images[2]])
    assert again.skipped == [] and again.indices.tolist() == [0, 1, 2]  # each record is its own call's
    # transform never returns fewer rows than inputs: it refuses, naming the images and the fixes
    with pytest.raises(SkippedImagesError, match=r"cannot use 2 of 5 images \(.*missing\.png: no such file; "
                       r"item 2 \(bytes\): not a readable image.*extract\(X\).*on_error='nan'") as caught:
        est.transform(sources)
    assert [(s.index, s.source) for s in caught.value.skipped] == [(0, missing), (2, "item 2 (bytes)")]
    assert caught.value.n_inputs == 5
    # on_error='nan' keeps one row per input, NaN where unusable, and names them
    with pytest.warns(SkippedImagesWarning, match=r"Filled with NaN the rows of 2 of 5 images.*missing\.png"):
        out = est.set_params(on_error="nan").transform(sources)
    assert out.shape == (5, est.n_features_out_) and out.dtype == np.float32
    assert np.isnan(out[[0, 2]]).all() and not np.isnan(out[[1, 3, 4]]).any()
    np.testing.assert_array_equal(out[[1, 3, 4]], expected)
    np.testing.assert_array_equal(out, est.extract(sources).filled())


@pytest.mark.parametrize("name", NAMES)
def test_raise_names_the_bad_source(name, images, tmp_path):
    est = fit_or_skip(make(name), images)
    missing = str(tmp_path / "missing.png")
    with pytest.raises(ImageLoadError, match=r"missing\.png: no such file"):
        est.transform([images[0], missing])


@pytest.mark.parametrize("name", NAMES)
def test_skip_with_every_image_bad_gives_no_rows(name, images, tmp_path):
    est = fit_or_skip(make(name, on_error="skip"), images)
    bad = [b"", str(tmp_path / "none.png")]
    record = est.extract(bad)
    assert record.features.shape == (0, est.n_features_out_) and record.features.dtype == np.float32
    assert record.indices.tolist() == [] and len(record.skipped) == 2 and record.skipped_indices.tolist() == [0, 1]
    with pytest.raises(SkippedImagesError, match=r"cannot use 2 of 2 images"):
        est.transform(bad)
    with pytest.warns(SkippedImagesWarning, match="2 of 2 images"):
        out = est.set_params(on_error="nan").transform(bad)
    assert out.shape == (2, est.n_features_out_) and np.isnan(out).all()


# --------------------------------------------------------------------------- composition
@pytest.mark.parametrize("name", NAMES)
def test_pipeline_cross_val_score(name, data):
    X, y = data
    pipe = Pipeline([("features", make(name)), ("scale", StandardScaler()),
                     ("clf", LogisticRegression(max_iter=2000))])
    try:
        scores = cross_val_score(pipe, X, y, cv=StratifiedKFold(2, shuffle=True, random_state=0),
                                 error_score="raise")
    except MissingDependencyError as exc:
        pytest.skip(str(exc))
    assert scores.shape == (2,)
    if name not in UNTRAINED:
        assert scores.min() >= 0.9


@pytest.mark.parametrize("name", NAMES)
def test_grid_search_over_a_parameter(name, data):
    if name not in GRID_PARAMS:
        pytest.skip(f"no grid parameter listed for {name!r} in GRID_PARAMS")
    X, y = data
    param, values = GRID_PARAMS[name]
    pipe = Pipeline([("features", make(name)), ("clf", LogisticRegression(max_iter=2000))])
    search = GridSearchCV(pipe, {f"features__{param}": values}, cv=2, error_score="raise").fit(X, y)
    assert search.best_params_[f"features__{param}"] in values
    assert len(search.cv_results_["params"]) == 2
    assert search.predict(X[:3]).shape == (3,)
    widths = {v: make(name, **{param: v}).fit(X).n_features_out_ for v in values}
    fitted = search.best_estimator_.named_steps["features"]
    assert fitted.n_features_out_ == widths[search.best_params_[f"features__{param}"]]


def test_feature_union_hog_and_colour_histogram(data):
    X, y = data
    hog = make("hog")
    colour = make("colorhist")
    union = FeatureUnion([("hog", hog), ("colour", colour)])
    out = union.fit_transform(X)
    expected = np.hstack([clone(hog).fit_transform(X), clone(colour).fit_transform(X)])
    np.testing.assert_array_equal(out, expected)
    assert out.dtype == np.float32
    names = union.get_feature_names_out()
    assert len(names) == out.shape[1]
    assert names[0] == "hog__hog_b0_0_c0_0_o0"
    assert names[-1] == "colour__colorhist_hsv_h3_s3_v3"
    pipe = Pipeline([("features", union), ("scale", StandardScaler()), ("clf", LogisticRegression(max_iter=2000))])
    assert cross_val_score(pipe, X, y, cv=StratifiedKFold(2, shuffle=True, random_state=0)).min() >= 0.9


# --------------------------------------------------------------------------- one row per input, in meta-estimators
#: Test images of both classes interleaved, so that a row shifted by one changes most predictions.
INTERLEAVED = [0, 8, 1, 9, 2, 10, 3, 11, 4, 12]


def _with_bad_file(X, position, tmp_path):
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not a png")
    sources = [X[i] for i in INTERLEAVED]
    sources[position] = str(broken)
    return sources, str(broken)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("n_jobs", [1, 2])
@pytest.mark.parametrize("position", [0, 4, 9], ids=["start", "middle", "end"])
def test_pipeline_predict_gives_one_prediction_per_input_or_refuses(name, data, tmp_path, n_jobs, position):
    """The issue's case: with skip, predict refuses (no shifted rows); with nan, one aligned prediction per path."""
    X, y = data
    sources, broken = _with_bad_file(X, position, tmp_path)
    good = [i for i in range(len(sources)) if i != position]
    settings = {"n_jobs": n_jobs, "batch_size": 3}
    pipe = make_pipeline(make(name, on_error="skip", **settings), LogisticRegression(max_iter=2000))
    try:
        pipe.fit(X, y)
    except MissingDependencyError as exc:
        pytest.skip(str(exc))
    with pytest.raises(SkippedImagesError, match=rf"cannot use 1 of 10 images \({re.escape(broken)}: not a readable"):
        pipe.predict(sources)

    hgb = HistGradientBoostingClassifier(max_iter=20, min_samples_leaf=1, random_state=0)
    pipe = make_pipeline(make(name, on_error="nan", **settings), hgb).fit(X, y)
    with pytest.warns(SkippedImagesWarning, match=rf"1 of 10 images.*{re.escape(broken)}") as caught:
        predicted = pipe.predict(sources)
    assert predicted.shape == (10,)
    assert caught[0].filename == __file__  # the warning points at this line, not inside scikit-learn
    np.testing.assert_array_equal(predicted[good], pipe.predict([sources[i] for i in good]))
    if name not in UNTRAINED:
        np.testing.assert_array_equal(predicted[good], y[INTERLEAVED][good])  # aligned with the paths


@pytest.mark.parametrize("name", NAMES)
def test_cross_validation_and_grid_search_with_a_bad_file_never_shorten_rows(name, data, tmp_path):
    X, y = data
    sources = list(X)
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not a png")
    sources[3] = str(broken)
    cv = StratifiedKFold(2, shuffle=True, random_state=0)
    pipe = make_pipeline(make(name, on_error="skip"), LogisticRegression(max_iter=2000))
    with pytest.raises(SkippedImagesError, match=r"broken\.png: not a readable image"):
        cross_val_score(pipe, sources, y, cv=cv, error_score="raise")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scikit-learn's FitFailedWarning and "Scoring failed" warnings
        assert np.isnan(cross_val_score(pipe, sources, y, cv=cv)).all()  # every fold touches the bad file
    param, values = GRID_PARAMS[name]
    with pytest.raises(SkippedImagesError, match=r"broken\.png"):
        GridSearchCV(pipe, {f"{pipe.steps[0][0]}__{param}": values}, cv=cv, error_score="raise").fit(sources, y)

    hgb = HistGradientBoostingClassifier(max_iter=20, min_samples_leaf=1, random_state=0)
    pipe = make_pipeline(make(name, on_error="nan"), hgb)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SkippedImagesWarning)
        scores = cross_val_score(pipe, sources, y, cv=cv, error_score="raise")
        search = GridSearchCV(pipe, {f"{pipe.steps[0][0]}__{param}": values}, cv=cv, error_score="raise")
        search.fit(sources, y)
        assert search.predict(sources).shape == (len(sources),)
    assert scores.shape == (2,) and np.isfinite(scores).all()


# --------------------------------------------------------------------------- the size rule (size=None)
#: Sizes (height, width) of a mixed collection: portrait, landscape, tiny and large.
MIXED_SIZES = [(24, 24), (30, 20), (17, 41), (64, 48), (24, 24), (90, 120)]


def _reads_sizes_at_fit(est) -> bool:
    return est._needs_common_size and "size" in est.get_params() and est.size is None


def _mixed_images(seed=0):
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 256, (h, w, 3), dtype=np.uint8) for h, w in MIXED_SIZES]


@pytest.mark.parametrize("name", NAMES)
def test_size_none_keeps_a_size_all_fitted_images_share(name, images):
    est = fit_or_skip(make(name, size=None), images)
    if _reads_sizes_at_fit(est):
        assert est.image_size_ == (SIZE, SIZE)
        assert est.size_rule_ == f"native: all 6 fitted images are {SIZE}x{SIZE}, kept as they come"
        np.testing.assert_array_equal(est.transform(images), clone(est).set_params(size=(SIZE, SIZE)).fit(
            images).transform(images))  # kept as they come: no resizing
    else:
        assert est.size_rule_.startswith(("any: ", "size: "))


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("n_jobs", [1, 2])
def test_default_constructor_works_on_images_of_many_sizes(name, tmp_path, n_jobs):
    """Kind 11: plain names and default constructors use images as they come, whatever their sizes."""
    arrays = _mixed_images()
    paths = _as_kind("paths", arrays, tmp_path)
    est = fit_or_skip(make(name, size=None, n_jobs=n_jobs), paths)
    out = est.transform(paths)
    assert out.shape == (len(paths), est.n_features_out_) and np.isfinite(out).all()
    if _reads_sizes_at_fit(est):
        default = est._default_image_size()
        assert est.image_size_ == default
        assert est.size_rule_ == (f"default: the 6 fitted images have 5 sizes (from 24x24 to 90x120), so every "
                                  f"image is resized to {type(est).__name__}'s default {default[0]}x{default[1]}")
        np.testing.assert_array_equal(out, make(name, size=default).fit(None).transform(paths))
        np.testing.assert_array_equal(est.transform(arrays), out)  # arrays: the same sizes, the same rule
        assert clone(est).fit(arrays).image_size_ == default


@pytest.mark.parametrize("name", NAMES)
def test_fit_reads_image_sizes_from_headers_without_decoding(name, tmp_path, monkeypatch):
    from PIL import ImageFile

    paths = _as_kind("paths", _mixed_images(), tmp_path)
    decoded = []
    original = ImageFile.ImageFile.load
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda im: decoded.append(im) or original(im))
    est = fit_or_skip(make(name, size=None), paths)
    assert decoded == []
    assert est.transform(paths[:2]).shape[0] == 2 and decoded  # the counter works: transform decodes


@pytest.mark.parametrize("name", NAMES)
def test_fit_on_unreadable_images_says_how_many_and_why(name, images, tmp_path):
    est = make(name, size=None, on_error="skip")
    bad = [str(tmp_path / "gone.png"), b"not an image", str(tmp_path), b"", str(tmp_path / "gone2.png")]
    if not _reads_sizes_at_fit(est):
        pytest.skip(f"{type(est).__name__}(size=None) reads no image at fit")
    with pytest.raises(ImageLoadError, match=rf"^all 5 images given to {type(est).__name__}\.fit: none could be read "
                       r"\(.*gone\.png: no such file; item 1 \(bytes\): not a readable image.*; .*is a directory.*; "
                       r"and 2 more\)"):
        est.fit(bad)
    assert est.fit([bad[0], images[0], bad[1]]).image_size_ == (SIZE, SIZE)  # the readable ones decide
    with pytest.raises(ImageLoadError, match=r"gone\.png: no such file"):
        make(name, size=None).fit([images[0], bad[0]])  # on_error='raise': the first bad image, before any work


@pytest.mark.parametrize("name", NAMES)
def test_an_image_of_another_size_than_the_kept_one_is_skippable(name, images):
    est = fit_or_skip(make(name, size=None), images)
    if not _reads_sizes_at_fit(est):
        pytest.skip(f"{type(est).__name__}(size=None) uses images of any size")
    odd = np.zeros((SIZE + 6, SIZE, 3), np.uint8)
    sources = [images[0], odd, images[1]]
    cls = type(est).__name__
    with pytest.raises(ImageSizeError, match=rf"item 1 \(ndarray\): image is {SIZE + 6}x{SIZE} but {cls} was fitted on "
                       rf"{SIZE}x{SIZE} images.*Set size=\({SIZE}, {SIZE}\)"):
        est.transform(sources)
    for n_jobs in (1, 2):
        record = clone(est).set_params(on_error="skip", n_jobs=n_jobs).fit(images).extract(sources)
        assert record.indices.tolist() == [0, 2] and [s.index for s in record.skipped] == [1]
        assert f"image is {SIZE + 6}x{SIZE} but {cls} was fitted on {SIZE}x{SIZE}" in record.skipped[0].reason
    with pytest.warns(SkippedImagesWarning, match=r"1 of 3 images"):
        out = est.set_params(on_error="nan").transform(sources)
    assert np.isnan(out[1]).all() and np.array_equal(out[[0, 2]], est.transform(images[:2]))


# --------------------------------------------------------------------------- settings and inputs checked where used
@pytest.mark.parametrize("name", NAMES)
def test_run_settings_changed_after_fit_are_checked_with_the_owner_named(name, images):
    est = fit_or_skip(make(name), images)
    for key, value, match in [("n_jobs", 0, r"'n_jobs' parameter of \w+ must be a non-zero int"),
                              ("n_jobs", "x", r"'n_jobs' parameter of \w+ must be a non-zero int"),
                              ("on_error", "bogus", r"'on_error' parameter of \w+ must be one of")]:
        with pytest.raises(InvalidParameterError, match=match):
            clone(est).set_params(**{key: value}).fit(images)
        with pytest.raises(InvalidParameterError, match=match):
            pickle.loads(pickle.dumps(est)).set_params(**{key: value}).extract(images)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("X", ["one.png", 42], ids=["a path", "a number"])
def test_fit_refuses_a_single_image_or_a_non_collection(name, X):
    with pytest.raises(InvalidImageError, match=r"expected a collection of images|Wrap it in a list|not iterable"):
        make(name, size=(16, 16)).fit(X)


def test_extract_many_refuses_unfitted_extractors(images):
    from featclf.engine import extract_many

    with pytest.raises(NotFittedError, match="HOG instance is not fitted yet"):
        extract_many([make("hog")], images)


@pytest.mark.parametrize("name", NAMES)
def test_prepared_image_does_not_grow_with_the_image(name):
    """A worker keeps each image's prepared form across a batch: it must not scale with the image.

    Fitted on images of two sizes (so every extractor resizes to one size, or needs none),
    the prepared forms of a 64x64 and a 640x640 image have the same, small size.
    """
    rng = np.random.default_rng(0)
    fit_images = [rng.integers(0, 256, (32, 32, 3), dtype=np.uint8),
                  rng.integers(0, 256, (40, 48, 3), dtype=np.uint8)]
    est = fit_or_skip(make(name, size=None), fit_images)
    kernel = est._kernel(fit_images)
    small, large = (kernel.prepare(rng.integers(0, 256, (side, side, 3), dtype=np.uint8), None, 0)
                    for side in (64, 640))
    assert small.nbytes == large.nbytes
    assert large.nbytes < 640 * 640 * 3 // 4
