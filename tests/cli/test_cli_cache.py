"""The feature cache from the command line and the entry points: --cache-dir, featclf cache info|clear."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest
from PIL import Image

import featclf
from featclf.cli import main
from featclf.report import read_features


@pytest.fixture(autouse=True)
def no_global_cache(monkeypatch):
    monkeypatch.delenv("FEATCLF_CACHE_DIR", raising=False)
    featclf.set_config(cache_dir=None)
    yield
    featclf.set_config(cache_dir=None)


@pytest.fixture
def photos(tmp_path):
    """photos/a, photos/b: 6 grey 24x24 PNGs each."""
    rng = np.random.default_rng(0)
    for cls in "ab":
        (tmp_path / "photos" / cls).mkdir(parents=True)
        for i in range(6):
            Image.fromarray(rng.integers(0, 255, (24, 24), dtype=np.uint8)).save(tmp_path / "photos" / cls / f"{i}.png")
    return tmp_path / "photos"


def _newest(cache):
    with sqlite3.connect(cache / "features.sqlite3") as conn:
        return conn.execute("SELECT COUNT(*), MAX(created) FROM features").fetchone()


def test_extract_twice_reads_the_second_time(photos, tmp_path, capsys):
    cache = tmp_path / "cache"
    args = ["extract", str(photos), "-e", "hog:size=16x16", "-e", "pixels", "-q", "--cache-dir", str(cache)]
    assert main([*args, "-o", str(tmp_path / "one.npz")]) == 0
    assert f"Feature cache {cache / 'features.sqlite3'}: 0 rows read, 24 computed and written." in \
        capsys.readouterr().out
    assert main([*args, "-o", str(tmp_path / "two.npz"), "--n-jobs", "2"]) == 0
    assert ": 24 rows read, 0 computed and written." in capsys.readouterr().out
    one, two = read_features(tmp_path / "one.npz"), read_features(tmp_path / "two.npz")
    for key in ("hog:size=16x16", "pixels"):
        assert one["features"][key].tobytes() == two["features"][key].tobytes()


def test_cache_info_and_clear(photos, tmp_path, capsys):
    cache = tmp_path / "cache"
    assert main(["extract", str(photos), "-e", "hog:size=16x16", "-q", "--cache-dir", str(cache), "-o",
                 str(tmp_path / "f.npz")]) == 0
    capsys.readouterr()
    assert main(["cache", "info", "--cache-dir", str(cache)]) == 0
    out = capsys.readouterr().out
    assert f"Feature cache {cache / 'features.sqlite3'}: 12 rows, " in out
    assert "  HOG [" in out and "] 12 rows, written " in out and "size=[16, 16]" in out
    assert main(["cache", "clear", "--older-than", "7d", "--cache-dir", str(cache)]) == 0
    assert "Deleted 0 of 12 rows written before " in capsys.readouterr().out
    assert main(["cache", "clear", "--cache-dir", str(cache)]) == 0
    assert f"Deleted 12 of 12 rows from {cache / 'features.sqlite3'}" in capsys.readouterr().out


def test_cache_errors_are_one_line_usage_errors(photos, tmp_path, capsys, monkeypatch):
    assert main(["cache", "clear", "--older-than", "a week", "--cache-dir", str(tmp_path)]) == 2
    assert "argument --older-than: invalid age 'a week': expected e.g. 7d, 12h" in capsys.readouterr().err
    assert main(["cache", "info"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("featclf cache: error: No cache folder given: pass cache_dir (--cache-dir DIR)")
    assert "Traceback" not in err and err.count("\n") == 1
    a_file = tmp_path / "a_file"
    a_file.write_text("x")
    assert main(["extract", str(photos), "-q", "--cache-dir", str(a_file), "-o", str(tmp_path / "f.npz")]) == 2
    assert "is a file, not a folder" in capsys.readouterr().err
    assert not (tmp_path / "f.npz").exists()
    assert main(["cluster", str(photos), "-q", "--cache-dir", str(a_file), "--out", str(tmp_path / "c")]) == 2
    assert "is a file, not a folder" in capsys.readouterr().err


def test_environment_variable_applies(photos, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("FEATCLF_CACHE_DIR", str(tmp_path / "env"))
    assert main(["extract", str(photos), "-e", "pixels", "-q", "-o", str(tmp_path / "f.npz")]) == 0
    assert f"Feature cache {tmp_path / 'env' / 'features.sqlite3'}: 0 rows read, 12 computed" in \
        capsys.readouterr().out


def test_evaluate_and_cluster_share_the_cache(photos, tmp_path):
    cache = tmp_path / "cache"
    dataset = featclf.ImageFolder(photos)
    first = featclf.evaluate(dataset, ["hog:size=16x16", "pixels"], ["knn"], cv=2, verbose=0, cache_dir=cache)
    count, newest = _newest(cache)
    assert count == 24
    again = featclf.evaluate(dataset, ["hog:size=16x16", "pixels"], ["knn"], cv=2, verbose=0, cache_dir=cache)
    assert _newest(cache) == (count, newest)  # every row read, none written again
    assert [r.fold_scores["accuracy"].tolist() for r in again.results] == \
        [r.fold_scores["accuracy"].tolist() for r in first.results]
    result = featclf.cluster(dataset, "hog:size=16x16", 2, verbose=0, cache_dir=cache)
    assert _newest(cache) == (count, newest)
    assert result.extractor_.get_params()["cache_dir"] is None  # a saved clustering carries no cache folder


def test_train_then_predict_read_the_rows_from_the_cache(photos, tmp_path, capsys):
    """train fills the cache; predict on the same images computes nothing; the model file holds no cache folder."""
    cache = tmp_path / "cache"
    model = tmp_path / "m.featclf"
    assert main(["train", str(photos), "-e", "hog:size=16x16", "-c", "logreg", "-o", str(model), "-q",
                 "--cache-dir", str(cache)]) == 0
    assert _newest(cache)[0] == 12
    written = _newest(cache)[1]
    capsys.readouterr()
    assert main(["predict", str(model), str(photos), "-o", str(tmp_path / "p.csv"), "-q",
                 "--cache-dir", str(cache)]) == 0
    assert _newest(cache) == (12, written)  # nothing computed or written again
    assert str(cache) not in featclf.load_model(model).extractor_.get_params().values()
    assert main(["predict", str(model), str(photos), "-o", str(tmp_path / "q.csv"), "-q",
                 "--cache-dir", str(tmp_path / "other")]) == 0
    assert _newest(tmp_path / "other")[0] == 12  # predict goes through the cache it is given
    assert (tmp_path / "p.csv").read_text() == (tmp_path / "q.csv").read_text()


def test_train_and_predict_refuse_a_bad_cache_dir_before_work(photos, tmp_path, capsys):
    afile = tmp_path / "afile"
    afile.write_text("x")
    assert main(["train", str(photos), "-o", str(tmp_path / "m.featclf"), "--cache-dir", str(afile)]) == 2
    assert "is a file, not a folder" in capsys.readouterr().err
    assert not (tmp_path / "m.featclf").exists()


def test_fit_best_uses_the_evaluation_cache(photos, tmp_path):
    cache = tmp_path / "cache"
    data = featclf.ImageFolder(photos)
    result = featclf.evaluate(data, ["hog:size=16x16"], ["logreg"], cv=2, verbose=0, cache_dir=cache)
    count, written = _newest(cache)
    model = result.fit_best()
    assert _newest(cache) == (count, written)
    assert model.predict(data.paths).tolist() == featclf.train(data, "hog:size=16x16", "logreg", verbose=0,
                                                               cache_dir=False).predict(data.paths).tolist()
