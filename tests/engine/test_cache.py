"""The feature cache: keys (content + configuration), bit-identical rows, kills, torn rows, concurrent writers."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
from PIL import Image

import featclf
from featclf.engine import extract_many
from featclf.exceptions import CacheError, InvalidParameterError, MissingDependencyError
from featclf.extract import get_extractor_class, list_extractors

REPO = os.path.dirname(os.path.dirname(os.path.abspath(featclf.__file__)))
#: Small, offline settings per registered extractor (as tests/extract/test_common.py).
SMALL = {"pixels": {"size": (16, 16)}, "hog": {"pixels_per_cell": (4, 4)}, "colorhist": {"bins": 4},
         "cnn": {"backbone": "tiny"}}


def make(name, **params):
    return get_extractor_class(name)(**{**SMALL.get(name, {}), "verbose": 0, **params})


def fit_or_skip(extractor, X):
    try:
        return extractor.fit(X)
    except MissingDependencyError as exc:
        pytest.skip(f"{type(extractor).__name__}: optional dependency missing ({exc})")


def arrays(n, seed=0, shape=(20, 24, 3)):
    return list(np.random.default_rng(seed).integers(0, 256, (n, *shape), dtype=np.uint8))


def save(folder, images, prefix="img"):
    os.makedirs(folder, exist_ok=True)
    paths = []
    for i, image in enumerate(images):
        path = os.path.join(folder, f"{prefix}{i:04d}.png")
        Image.fromarray(image).save(path)
        paths.append(path)
    return paths


def entries(cache):
    with sqlite3.connect(os.path.join(cache, "features.sqlite3")) as conn:
        return conn.execute("SELECT COUNT(*) FROM features").fetchone()[0]


@pytest.fixture(autouse=True)
def no_global_cache(monkeypatch):
    monkeypatch.delenv("FEATCLF_CACHE_DIR", raising=False)
    featclf.set_config(cache_dir=None)
    yield
    featclf.set_config(cache_dir=None)


# --------------------------------------------------------------------------- settings
def test_cache_dir_resolution_order(tmp_path, monkeypatch):
    assert featclf.get_config() == {"cache_dir": None}
    monkeypatch.setenv("FEATCLF_CACHE_DIR", str(tmp_path / "env"))
    assert featclf.get_config()["cache_dir"] == str(tmp_path / "env")
    featclf.set_config(cache_dir=tmp_path / "set")
    assert featclf.get_config()["cache_dir"] == str(tmp_path / "set")
    with featclf.config_context(cache_dir=tmp_path / "block"):
        assert featclf.get_config()["cache_dir"] == str(tmp_path / "block")
    assert featclf.get_config()["cache_dir"] == str(tmp_path / "set")
    images = arrays(3)
    hog = make("hog").fit(images)
    assert hog.extract(images).cache["path"] == str(tmp_path / "set" / "features.sqlite3")
    hog.set_params(cache_dir=tmp_path / "own")
    assert hog.extract(images).cache["path"] == str(tmp_path / "own" / "features.sqlite3")
    hog.set_params(cache_dir=False)  # no cache, whatever the settings
    assert hog.extract(images).cache == {}


def test_without_a_cache_nothing_is_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    images = arrays(4)
    record = make("hog").fit(images).extract(save(tmp_path / "in", images))
    assert record.cache == {}
    assert sorted(os.listdir(tmp_path)) == ["in"]


def test_bad_cache_dir_is_refused_before_extraction(tmp_path):
    images = arrays(2)
    with pytest.raises(InvalidParameterError, match=r"'cache_dir' parameter of HOG must be a folder path"):
        make("hog", cache_dir=3).fit(images)
    with pytest.raises(InvalidParameterError, match=r"'cache_dir' parameter of set_config"):
        featclf.set_config(cache_dir=["x"])
    a_file = tmp_path / "file"
    a_file.write_text("x")
    hog = make("hog", cache_dir=a_file).fit(images)
    with pytest.raises(CacheError, match=r"is a file, not a folder\. Give a folder path as cache_dir"):
        hog.extract(images)
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "features.sqlite3").write_bytes(b"not a database" * 100)
    with pytest.raises(CacheError, match=r"is damaged or not a featclf cache \(.*\)\. Delete it \(rm "):
        hog.set_params(cache_dir=tmp_path / "junk").extract(images)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_unwritable_cache_dir_is_refused(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    images = arrays(2)
    with pytest.raises(CacheError, match=r"is not writable"):
        make("hog", cache_dir=folder).fit(images).extract(images)


# --------------------------------------------------------------------------- hits and misses
def test_hits_and_misses(tmp_path):
    cache = tmp_path / "cache"
    images = arrays(6)
    paths = save(tmp_path / "a", images)
    hog = make("hog", cache_dir=cache, n_jobs=1).fit(paths)
    assert hog.extract(paths).cache["computed"] == 6
    # the same content under other paths (and as bytes) hits
    moved = save(tmp_path / "b", images, prefix="other")
    assert hog.extract(moved).cache == {"path": str(cache / "features.sqlite3"), "hits": 6, "computed": 0,
                                      "written": True}
    with open(paths[0], "rb") as f:
        assert hog.extract([f.read()]).cache["hits"] == 1
    # one changed pixel misses, only for that image
    changed = [image.copy() for image in images]
    changed[2][5, 5, 0] ^= 1
    changed_paths = save(tmp_path / "c", changed)
    record = hog.extract(changed_paths)
    assert (record.cache["hits"], record.cache["computed"]) == (5, 1)
    # a changed parameter misses; run-only parameters hit
    other = make("hog", cache_dir=cache, orientations=6).fit(paths)
    assert other.extract(paths).cache["computed"] == 6
    for run_only in ({"n_jobs": 2}, {"batch_size": 2}, {"verbose": 1}, {"on_error": "skip"}):
        same = make("hog", cache_dir=cache, **run_only).fit(paths)
        assert same.extract(paths).cache["hits"] == 6, run_only
    # arrays: bytes, shape and dtype are the content
    assert hog.extract(images).cache["computed"] == 6
    assert hog.extract(images).cache["hits"] == 6
    reshaped = [image.reshape(24, 20, 3) for image in images]  # same bytes, another shape
    assert make("hog", cache_dir=cache, size=(24, 24)).fit(reshaped).extract(reshaped).cache["hits"] == 0


def test_fitted_size_is_part_of_the_key(tmp_path):
    cache = tmp_path / "cache"
    small, large = arrays(3, shape=(16, 16)), arrays(3, shape=(16, 16))
    native = make("pixels", size=None, cache_dir=cache).fit(small)  # keeps 16x16
    resized = make("pixels", size=None, cache_dir=cache).fit(small + arrays(1, shape=(20, 20)))  # default 32x32
    assert native.extract(large).cache["computed"] == 3
    record = resized.extract(large)
    assert record.cache["computed"] == 3 and record.features.shape == (3, 32 * 32)


def test_skipped_inputs_are_not_cached_and_keep_their_index(tmp_path):
    cache = tmp_path / "cache"
    images = arrays(4)
    paths = save(tmp_path / "in", images)
    sources = [paths[0], str(tmp_path / "missing.png"), paths[2], b"not an image"]
    hog = make("hog", cache_dir=cache, on_error="skip").fit(paths)
    for expected_hits in (0, 2):
        record = hog.extract(sources)
        assert record.indices.tolist() == [0, 2]
        assert [s.index for s in record.skipped] == [1, 3]
        assert record.skipped[0].source == str(tmp_path / "missing.png")
        assert record.cache["hits"] == expected_hits
    assert entries(cache) == 2


@pytest.mark.parametrize("name", list_extractors())
@pytest.mark.parametrize("kind", ["paths", "arrays", "bytes", "PIL images"])
def test_cached_rows_are_bit_identical_to_computed_ones(name, kind, tmp_path):
    images = arrays(9, seed=1)
    paths = save(tmp_path / "in", images)
    if kind == "paths":
        sources = paths
    elif kind == "arrays":
        sources = images
    elif kind == "bytes":
        sources = [open(p, "rb").read() for p in paths]
    else:
        sources = [Image.fromarray(image) for image in images]
    plain = fit_or_skip(make(name), sources)
    expected = plain.transform(sources)
    cached = fit_or_skip(make(name, cache_dir=tmp_path / "cache"), sources)
    part = cached.extract(sources[:4])  # a part first: the full run mixes cached and computed rows
    assert part.cache["computed"] == 4
    mixed = cached.extract(sources)
    assert (mixed.cache["hits"], mixed.cache["computed"]) == (4, 5)
    again = cached.extract(sources)
    assert again.cache["hits"] == 9
    for record in (mixed, again):
        assert record.features.dtype == np.float32
        assert record.features.tobytes() == expected.tobytes()


def test_one_pass_of_several_extractors_caches_each(tmp_path):
    images = arrays(5)
    paths = save(tmp_path / "in", images)
    extractors = [make(name, cache_dir=tmp_path / "cache").fit(paths) for name in ("pixels", "hog", "colorhist")]
    first = extract_many(extractors, paths)
    extractors[1].set_params(orientations=6).fit(paths)  # only HOG changes
    second = extract_many(extractors, paths)
    assert [r.cache["hits"] for r in first] == [0, 0, 0]
    assert [r.cache["hits"] for r in second] == [5, 0, 5]
    assert second[0].features.tobytes() == first[0].features.tobytes()


# --------------------------------------------------------------------------- damage, kills, concurrency
def test_torn_and_corrupt_rows_are_recomputed(tmp_path):
    cache = tmp_path / "cache"
    images = arrays(5)
    paths = save(tmp_path / "in", images)
    hog = make("hog", cache_dir=cache).fit(paths)
    expected = hog.extract(paths).features
    db = cache / "features.sqlite3"
    with sqlite3.connect(db) as conn:
        keys = [k for (k,) in conn.execute("SELECT key FROM features ORDER BY key")]
        conn.execute("UPDATE features SET data = substr(data, 1, length(data) - 7) WHERE key = ?", (keys[0],))
        flipped = conn.execute("SELECT data FROM features WHERE key = ?", (keys[1],)).fetchone()[0]
        flipped = bytes([flipped[0] ^ 0xFF]) + flipped[1:]
        conn.execute("UPDATE features SET data = ? WHERE key = ?", (flipped, keys[1]))
    record = hog.extract(paths)
    assert (record.cache["hits"], record.cache["computed"]) == (3, 2)
    assert record.features.tobytes() == expected.tobytes()
    assert hog.extract(paths).cache["hits"] == 5  # repaired


_CHILD = textwrap.dedent("""
    import sys, time
    import featclf
    from featclf.engine import _extract

    decode = _extract.decode_image

    def slow(*args, **kwargs):  # a slow decoder, so that the kill lands in the middle
        time.sleep(0.01)
        return decode(*args, **kwargs)

    _extract.decode_image = slow
    paths = open(sys.argv[1]).read().split()
    hog = featclf.HOG(pixels_per_cell=(4, 4), cache_dir=sys.argv[2], n_jobs=int(sys.argv[3]), verbose=0,
                      batch_size=8).fit(paths)
    print("computed", hog.extract(paths).cache["computed"], flush=True)
""")


def _child(tmp_path, paths, cache, n_jobs=1):
    listing = tmp_path / f"list{len(paths)}_{time.monotonic_ns()}.txt"
    listing.write_text("\n".join(paths))
    script = tmp_path / "child.py"
    script.write_text(_CHILD)
    env = {**os.environ, "PYTHONPATH": REPO}
    return subprocess.Popen([sys.executable, str(script), str(listing), str(cache), str(n_jobs)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_sigkill_mid_extraction_then_rerun_computes_only_the_missing_images(tmp_path):
    cache = tmp_path / "cache"
    images = arrays(300, shape=(24, 24))
    paths = save(tmp_path / "in", images)
    expected = make("hog").fit(paths).transform(paths)
    child = _child(tmp_path, paths, cache)
    deadline = time.monotonic() + 60
    done = 0
    while time.monotonic() < deadline and child.poll() is None:
        if os.path.exists(cache / "features.sqlite3"):
            try:
                done = entries(cache)
            except sqlite3.OperationalError:  # tables not made yet
                done = 0
            if done >= 60:
                break
        time.sleep(0.02)
    assert child.poll() is None, f"the extraction ended before the kill: {child.communicate()}"
    child.send_signal(signal.SIGKILL)
    child.wait()
    with sqlite3.connect(cache / "features.sqlite3") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    kept = entries(cache)
    assert 60 <= kept < 300
    record = make("hog", cache_dir=cache).fit(paths).extract(paths)
    assert (record.cache["hits"], record.cache["computed"]) == (kept, 300 - kept)
    assert record.features.tobytes() == expected.tobytes()


def test_two_processes_fill_one_cache_at_once(tmp_path):
    cache = tmp_path / "cache"
    images = arrays(160, shape=(24, 24))
    paths = save(tmp_path / "in", images)
    expected = make("hog").fit(paths).transform(paths)
    # overlapping halves, one with two workers
    children = [_child(tmp_path, paths[:110], cache, 1), _child(tmp_path, paths[50:], cache, 2)]
    for child in children:
        out, err = child.communicate(timeout=120)
        assert child.returncode == 0, err
        assert out.startswith("computed")
    with sqlite3.connect(cache / "features.sqlite3") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert entries(cache) == 160
    record = make("hog", cache_dir=cache).fit(paths).extract(paths)
    assert record.cache["hits"] == 160
    assert record.features.tobytes() == expected.tobytes()


# --------------------------------------------------------------------------- info and clearing
def test_info_and_clear(tmp_path):
    cache = tmp_path / "cache"
    assert featclf.cache_info(cache) == {"path": str(cache / "features.sqlite3"), "size_bytes": 0, "entries": 0,
                                         "extractors": []}
    images = arrays(4)
    make("hog", cache_dir=cache).fit(images).extract(images)
    make("pixels", cache_dir=cache).fit(images).extract(images[:3])
    info = featclf.cache_info(cache)
    assert info["entries"] == 7 and info["size_bytes"] > 0
    assert [(e["extractor"], e["entries"]) for e in info["extractors"]] == [("HOG", 4), ("RawPixels", 3)]
    assert info["extractors"][0]["description"]["config"]["params"]["pixels_per_cell"] == [4, 4]
    assert featclf.clear_cache(cache, older_than="1h") == 0
    with sqlite3.connect(cache / "features.sqlite3") as conn:  # make the HOG rows two days old
        conn.execute("UPDATE features SET created = created - 2 * 86400 WHERE n_features != 256")
    assert featclf.clear_cache(cache, older_than="1d") == 4
    assert [e["extractor"] for e in featclf.cache_info(cache)["extractors"]] == ["RawPixels"]
    assert featclf.clear_cache(cache) == 3
    assert featclf.cache_info(cache)["entries"] == 0
    with pytest.raises(InvalidParameterError, match=r"'older_than' parameter must be an age such as '7d'"):
        featclf.clear_cache(cache, older_than="a week")
    with pytest.raises(CacheError, match=r"No cache folder given: pass cache_dir"):
        featclf.cache_info()


# --------------------------------------------------------------------------- files remembered by their status
def memos(cache):
    with sqlite3.connect(os.path.join(cache, "features.sqlite3")) as conn:
        return dict(conn.execute("SELECT path, stat FROM files").fetchall())


def test_unchanged_files_are_not_read_again(tmp_path, monkeypatch):
    from featclf.engine import _cache

    paths = save(tmp_path / "a", arrays(5))
    cache = str(tmp_path / "cache")
    assert extract_many([make("hog").fit(paths)], paths, cache_dir=cache)[0].cache["computed"] == 5
    assert memos(cache) == {}  # files written just now (within RACY_S) are not remembered
    monkeypatch.setattr(_cache, "RACY_S", -1.0)  # as if they had been written long ago
    hog = make("hog").fit(paths)
    extract_many([hog], paths, cache_dir=cache)
    assert sorted(memos(cache)) == sorted(os.path.abspath(p) for p in paths)
    read = []
    real_content, real_file = _cache.content_digest, _cache._file_digest
    monkeypatch.setattr(_cache, "content_digest", lambda source: read.append(source) or real_content(source))
    monkeypatch.setattr(_cache, "_file_digest", lambda path, size: read.append(path) or real_file(path, size))
    again = extract_many([hog], paths, cache_dir=cache)[0]
    assert again.cache == {"path": again.cache["path"], "hits": 5, "computed": 0, "written": True}
    assert read == []  # no file was read or hashed
    fresh = extract_many([make("hog").fit(paths)], paths, cache_dir=False)[0]
    np.testing.assert_array_equal(again.features, fresh.features)


def test_a_rewritten_file_with_its_old_size_and_times_is_hashed_again(tmp_path, monkeypatch):
    """A file rewritten in place, its size kept and its modification time set back (touch -r, cp -p) is a miss:
    its change time (ctime) moved."""
    from featclf.engine import _cache

    monkeypatch.setattr(_cache, "RACY_S", -1.0)
    images = arrays(3, shape=(16, 16, 3))
    paths = []
    for i, image in enumerate(images):
        paths.append(str(tmp_path / f"{i}.bmp"))  # BMP: the size depends on the dimensions only
        Image.fromarray(image).save(paths[-1])
    cache = str(tmp_path / "cache")
    hog = make("hog").fit(paths)
    first = extract_many([hog], paths, cache_dir=cache)[0]
    before = os.stat(paths[1])
    time.sleep(0.05)
    changed = images[1].copy()
    changed[:8] = 255 - changed[:8]
    Image.fromarray(changed).save(paths[1])
    os.utime(paths[1], ns=(before.st_atime_ns, before.st_mtime_ns))
    after = os.stat(paths[1])
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    again = extract_many([hog], paths, cache_dir=cache)[0]
    assert again.cache["computed"] == 1
    fresh = extract_many([make("hog").fit(paths)], paths, cache_dir=False)[0]
    np.testing.assert_array_equal(again.features, fresh.features)
    assert not np.array_equal(again.features[1], first.features[1])


def test_a_file_replaced_by_another_at_the_same_path_is_hashed_again(tmp_path, monkeypatch):
    """Another file moved over the path (new inode) is not taken for the one remembered."""
    from featclf.engine import _cache

    monkeypatch.setattr(_cache, "RACY_S", -1.0)
    paths = save(tmp_path / "a", arrays(2, seed=1))
    other = save(tmp_path / "b", arrays(1, seed=2))[0]
    cache = str(tmp_path / "cache")
    hog = make("hog").fit(paths)
    extract_many([hog], paths, cache_dir=cache)
    os.replace(other, paths[0])
    again = extract_many([hog], paths, cache_dir=cache)[0]
    assert again.cache["computed"] == 1
    fresh = extract_many([make("hog").fit(paths)], paths, cache_dir=False)[0]
    np.testing.assert_array_equal(again.features, fresh.features)


def test_files_the_cache_holds_whole_are_found_before_the_pass(tmp_path, monkeypatch):
    """Remembered files with every row cached never reach the engine's pass; the rest does, with its own
    positions, skips and warnings kept right."""
    import warnings

    from featclf.engine import _cache, _extract
    from featclf.exceptions import ConstantFeaturesWarning

    monkeypatch.setattr(_cache, "RACY_S", -1.0)
    old = save(tmp_path / "a", arrays(6, seed=3))
    cache = str(tmp_path / "cache")
    hog = make("hog").fit(old)
    extract_many([hog], old, cache_dir=cache)
    blank = np.zeros((20, 24, 3), dtype=np.uint8)
    new = save(tmp_path / "b", [blank, blank])  # two identical new images: constant only among themselves
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not an image")
    paths = [old[0], new[0], old[1], str(broken), old[2], new[1], old[3], old[4], old[5]]
    passes = []
    real = _extract._extract_pass
    monkeypatch.setattr(_extract, "_extract_pass", lambda *a, **k: passes.append(a[3]) or real(*a, **k))
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConstantFeaturesWarning)
        record = extract_many([hog], paths, cache_dir=cache, on_error="skip", n_jobs=1)[0]  # RACY_S patched here
    assert passes == [3]  # the two new images and the broken file
    assert record.cache["hits"] == 6 and record.cache["computed"] == 2
    assert record.indices.tolist() == [0, 1, 2, 4, 5, 6, 7, 8]
    assert [(s.index, s.source) for s in record.skipped] == [(3, str(broken))]
    fresh = extract_many([make("hog").fit(old)], paths, cache_dir=False, on_error="skip")[0]
    np.testing.assert_array_equal(record.features, fresh.features)
    passes.clear()
    again = extract_many([hog], [p for p in paths if p != str(broken)], cache_dir=cache, n_jobs=2)[0]
    assert passes == []  # everything found: no pass, no worker started
    np.testing.assert_array_equal(again.features, np.delete(fresh.filled(), 3, axis=0))


# --------------------------------------------------------------------------- the review's findings (issue 12)
def test_a_row_moved_under_another_key_is_a_miss(tmp_path):
    """Each row's CRC-32 covers its key: a valid row put under another image's key is never returned."""
    paths = save(tmp_path / "a", arrays(2, seed=5))
    cache = str(tmp_path / "cache")
    hog = make("hog").fit(paths)
    first = extract_many([hog], paths, cache_dir=cache)[0]
    with sqlite3.connect(os.path.join(cache, "features.sqlite3")) as conn:
        (k0, d0, c0), (k1, _, _) = conn.execute("SELECT key, data, crc FROM features ORDER BY rowid").fetchall()
        conn.execute("UPDATE features SET data = ?, crc = ? WHERE key = ?", (d0, c0, k1))
    again = extract_many([hog], paths, cache_dir=cache)[0]
    assert again.cache["computed"] == 1
    np.testing.assert_array_equal(again.features, first.features)


def test_a_cache_deleted_while_the_process_runs_is_not_read_through_a_stale_handle(tmp_path):
    import shutil

    paths = save(tmp_path / "a", arrays(3, seed=6))
    cache = str(tmp_path / "cache")
    hog = make("hog").fit(paths)
    extract_many([hog], paths, cache_dir=cache)
    shutil.rmtree(cache)
    again = extract_many([hog], paths, cache_dir=cache)[0]
    assert (again.cache["hits"], again.cache["computed"]) == (0, 3)
    assert featclf.cache_info(cache)["entries"] == 3


def test_a_lock_held_too_long_is_said_as_a_lock_not_as_damage(tmp_path, monkeypatch):
    from featclf.engine import _cache

    cache = tmp_path / "cache"
    images = arrays(2)
    hog = make("hog").fit(images)
    extract_many([hog], images, cache_dir=cache)
    monkeypatch.setattr(_cache, "BUSY_TIMEOUT_S", 0.3)
    holder = sqlite3.connect(cache / "features.sqlite3", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(CacheError, match=r"is locked by another process .* wait for it to finish") as caught:
            featclf.clear_cache(cache)
        assert "Delete it" not in str(caught.value)
    finally:
        holder.execute("ROLLBACK")
        holder.close()


@pytest.mark.parametrize("message, said", [
    ("attempt to write a readonly database", r"read-only for this user\. Fix the permissions"),
    ("database or disk is full", r"the disk is full\. Free disk space"),
    ("database disk image is malformed", r"is damaged or not a featclf cache .*\. Delete it \(rm .*features"),
])
def test_each_database_trouble_gets_its_own_fix(tmp_path, message, said):
    """The writer's warning names what is wrong (never 'free disk space' for damage, never 'delete' for a lock)."""
    from featclf.engine._cache import CacheWriter, check_cache_dir
    from featclf.exceptions import CacheWarning

    writer = CacheWriter(check_cache_dir(tmp_path / "cache"))
    writer.error = sqlite3.OperationalError(message)
    with pytest.warns(CacheWarning, match=said):
        writer.close()


def test_cache_info_on_a_file_is_an_error(tmp_path):
    afile = tmp_path / "afile"
    afile.write_text("x")
    with pytest.raises(CacheError, match="is a file, not a folder"):
        featclf.cache_info(afile)


def test_models_and_clusterings_carry_no_cache_folder(tmp_path):
    """An extractor's own cache_dir caches the run, and the saved model or clustering does not keep it."""
    digits = featclf.load_digits()
    subset = digits.subset(range(60))
    cache = tmp_path / "own-cache"
    model = featclf.train(subset, featclf.HOG(pixels_per_cell=(4, 4), cache_dir=cache), "logreg", verbose=0)
    assert entries(str(cache)) == 60
    assert model.extractor_.get_params()["cache_dir"] is None
    model.save(tmp_path / "m.featclf")
    assert str(cache) not in (tmp_path / "m.featclf").read_bytes().decode("latin-1")
    clustering = featclf.cluster(subset, featclf.HOG(pixels_per_cell=(4, 4), cache_dir=cache), 3, verbose=0)
    clustering.save(tmp_path / "c.featclf")
    assert str(cache) not in (tmp_path / "c.featclf").read_bytes().decode("latin-1")
