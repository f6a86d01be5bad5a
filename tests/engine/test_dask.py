"""The engine on a real Dask cluster (two worker processes): the same features and reports as the local run,
tasks that really run on the workers, the CNN's network in each worker, the cache, and killed workers."""

from __future__ import annotations

import os

import numpy as np
import pytest
from PIL import Image

import featclf
from featclf.engine import extract
from featclf.exceptions import WorkerDiedError
from featclf.extract import get_extractor_class
from featclf.kernels import Kernel

distributed = pytest.importorskip("distributed", reason="the dask extra is not installed")
joblib = pytest.importorskip("joblib")

#: Small, offline settings per registered extractor (as tests/engine/test_cache.py).
SMALL = {"pixels": {"size": (16, 16)}, "hog": {"pixels_per_cell": (4, 4), "size": (16, 16)},
         "colorhist": {"bins": 4}, "cnn": {"backbone": "tiny"}}


@pytest.fixture(scope="module")
def client():
    here = os.path.dirname(os.path.dirname(os.path.abspath(featclf.__file__)))
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None,
                                  env={"PYTHONPATH": here}) as cluster, distributed.Client(cluster) as client:
        # the workers run this checkout's featclf, not another install
        assert set(client.run(lambda: featclf.__file__).values()) == {featclf.__file__}
        yield client


@pytest.fixture(scope="module")
def paths(tmp_path_factory):
    """40 PNGs of a few sizes, grey level i in image i (some with transparency)."""
    root = tmp_path_factory.mktemp("dask")
    rng = np.random.default_rng(0)
    out = []
    for i in range(40):
        image = rng.integers(0, 256, (20 + i % 5, 24, 4 if i % 7 == 0 else 3), dtype=np.uint8)
        image[0, 0, 0] = i
        out.append(str(root / f"{i:03d}.png"))
        Image.fromarray(image).save(out[-1])
    return out


def make(name, **params):
    return get_extractor_class(name)(**{**SMALL[name], "verbose": 0, **params})


def on_cluster(client, run):
    """``run()`` under joblib's Dask backend: its result and the workers that ran its tasks."""
    with joblib.parallel_config(backend="dask", client=client), distributed.get_task_stream(client) as stream:
        result = run()
    return result, {task["worker"] for task in stream.data}


@pytest.mark.parametrize("name", ["hog", "colorhist", "pixels"])
def test_features_equal_the_local_run_and_come_from_the_workers(client, paths, name):
    extractor = make(name, batch_size=8).fit(paths)
    local = extract(extractor, paths)
    remote, workers = on_cluster(client, lambda: extract(extractor, paths))  # 5 tasks of 8 images
    np.testing.assert_array_equal(remote.features, local.features)  # bit-identical
    assert remote.features.dtype == np.float32 and remote.indices.tolist() == list(range(40))
    assert workers == set(client.scheduler_info()["workers"])  # both workers had some


class WhereKernel(Kernel):
    """Rows of ``[process id, id of this kernel object]``: which copy of the kernel computed each image."""

    mode = "grey"

    def compute(self, images):
        return np.array([[os.getpid(), id(self) % 2**20]] * len(images), dtype=np.float32)


class WhereExtractor:
    """The engine protocol at its smallest (as tests/engine/test_progress_and_dead_workers.py)."""

    n_features_out_ = 2
    on_error, n_jobs, verbose = "raise", None, 0

    def __init__(self, batch_size=4):
        self.batch_size = batch_size

    def _kernel(self, sources):
        return WhereKernel()


def test_kernels_reach_each_worker_once_not_with_every_task(client, paths):
    record, workers = on_cluster(client, lambda: extract(WhereExtractor(batch_size=4), paths))  # 10 tasks
    pids = set(client.run(os.getpid).values())
    copies = {tuple(row) for row in record.features.tolist()}
    assert {int(pid) for pid, _ in copies} <= pids and len(workers) == 2
    assert len(copies) == len({pid for pid, _ in copies})  # one kernel object per worker process


def test_the_cnn_runs_in_the_workers_equal_to_the_local_run_without_shipping_its_network(client, paths):
    pytest.importorskip("torch")
    import pickle

    extractor = make("cnn", batch_size=4).fit(paths)
    extractor.model_  # loaded here: what travels must still not hold it
    kernel = extractor._worker_kernel(paths)
    assert kernel.in_workers and kernel.per_chunk and kernel.chunk_size == extractor._kernel(paths).chunk_size
    assert len(pickle.dumps(kernel)) < 20_000  # the fitted settings, not the network's weights
    local = extract(extractor, paths)
    remote, workers = on_cluster(client, lambda: extract(extractor, paths, batch_size=4))  # 10 tasks of 4 images
    np.testing.assert_array_equal(remote.features, local.features)  # bit-identical
    assert remote.details == local.details  # device, precision, batch size, inference path
    assert workers == set(client.scheduler_info()["workers"])


def test_the_default_cnn_on_the_cluster_uses_the_callers_thread_count(client, paths):
    """EfficientNet-Lite0 at 224 gives other last bits with another torch thread count; the nanny starts workers
    with one, so the workers take the caller's count: rows bit-identical to the local run (the cache key has it)."""
    torch = pytest.importorskip("torch")
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        extractor = get_extractor_class("cnn")(input_size=224, verbose=0).fit(paths[:6])
        local = extract(extractor, paths[:6])
        remote, _ = on_cluster(client, lambda: extract(extractor, paths[:6]))
        assert extractor._cache_config()["cpu_threads"] == 2
    finally:
        torch.set_num_threads(before)
    assert set(client.run(lambda: __import__("torch").get_num_threads()).values()) == {1}  # as the nanny set
    np.testing.assert_array_equal(remote.features, local.features)


def test_evaluate_and_cluster_equal_the_local_run(client, tmp_path):
    root = tmp_path / "shapes"
    rng = np.random.default_rng(1)
    for k, kind in enumerate(("a", "b", "c")):
        (root / kind).mkdir(parents=True)
        for i in range(8):
            image = np.clip(rng.normal(60 + 70 * k, 25, (16, 16, 3)), 0, 255).astype(np.uint8)
            Image.fromarray(image).save(root / kind / f"{i}.png")
    data = featclf.ImageFolder(root)
    run = lambda: featclf.evaluate(data, ["colorhist:bins=4", "pixels:size=8x8"], ["logreg"], cv=3,  # noqa: E731
                                   verbose=0)
    local = run()
    remote, workers = on_cluster(client, run)
    assert workers
    assert untimed(remote.to_dict()) == untimed(local.to_dict())
    grouping = lambda: featclf.cluster(data, "colorhist:bins=4", n_clusters=3, verbose=0)  # noqa: E731
    local, (remote, workers) = grouping(), on_cluster(client, grouping)
    assert workers and remote.labels_.tolist() == local.labels_.tolist()
    assert untimed(remote.to_dict()) == untimed(local.to_dict())


def untimed(value):
    """A report without what differs between two runs of the same work: its timings and creation time."""
    if isinstance(value, dict):
        return {k: untimed(v) for k, v in value.items() if k not in ("timings", "created")}
    if isinstance(value, list):
        return [untimed(v) for v in value]
    return value


@pytest.mark.parametrize("name", ["hog", "cnn"])
def test_the_cache_is_read_in_the_workers_and_written_here(client, paths, tmp_path, name):
    if name == "cnn":
        pytest.importorskip("torch")
    extractor = make(name, cache_dir=str(tmp_path / "cache"), batch_size=8).fit(paths)
    first, _ = on_cluster(client, lambda: extract(extractor, paths[::2]))
    assert (first.cache["hits"], first.cache["computed"]) == (0, 20)
    again, workers = on_cluster(client, lambda: extract(extractor, paths))
    assert (again.cache["hits"], again.cache["computed"]) == (20, 20) and workers
    np.testing.assert_array_equal(again.features, extract(make(name, batch_size=8).fit(paths), paths).features)


# -- killed workers (last: the cluster restarts its workers) -----------------------------------------------
class KillKernel(Kernel):
    """Mean grey level; in a Dask worker, an image of level 30 kills the worker while ``marker`` exists
    (``once``: the marker is removed first, so Dask's retry of the task succeeds)."""

    mode = "grey"

    def __init__(self, marker, parent, once):
        self._marker, self._parent, self._once = marker, parent, once  # private: not in the cache key

    def compute(self, images):
        means = [float(image.mean()) for image in images]
        if os.getpid() != self._parent and 30 in means and os.path.exists(self._marker):
            if self._once:
                os.remove(self._marker)
            os._exit(1)
        return np.array([[m] for m in means], dtype=np.float32)


class KillExtractor:
    n_features_out_ = 1
    on_error, n_jobs, verbose, batch_size = "raise", None, 0, 4

    def __init__(self, marker, once=False):
        self.marker, self.once = marker, once

    def _kernel(self, sources):
        return KillKernel(self.marker, os.getpid(), self.once)

    def _cache_config(self):
        return {}


@pytest.fixture(scope="module")
def grey_paths(tmp_path_factory):
    root = tmp_path_factory.mktemp("grey")
    out = []
    for i in range(40):
        out.append(str(root / f"{i:03d}.png"))
        Image.fromarray(np.full((6, 5), i, np.uint8)).save(out[-1])
    return out


def test_a_worker_killed_once_is_replaced_and_its_task_rerun(client, grey_paths, tmp_path):
    marker = tmp_path / "kill"
    marker.touch()
    record, _ = on_cluster(client, lambda: extract(KillExtractor(str(marker), once=True), grey_paths))
    assert not marker.exists()  # a worker died ...
    assert record.features[:, 0].tolist() == list(range(40))  # ... and Dask reran its task elsewhere
    client.wait_for_workers(2, timeout=60)


def test_a_task_that_kills_its_workers_is_one_error_and_a_rerun_resumes_from_the_cache(client, grey_paths, tmp_path):
    marker, cache = tmp_path / "kill", str(tmp_path / "cache")
    marker.touch()
    scheduler = client.cluster.scheduler
    allowed, scheduler.allowed_failures = scheduler.allowed_failures, 0  # give up at the first death
    try:
        with pytest.raises(WorkerDiedError, match=r"^Dask workers died while extracting features .*\(KilledWorker: "
                                                  r"Attempted to run task .*\)\. Most likely .* With a cache folder "
                                                  r".* a rerun resumes"):
            on_cluster(client, lambda: extract(KillExtractor(str(marker)), grey_paths, cache_dir=cache))
    finally:
        scheduler.allowed_failures = allowed
    client.wait_for_workers(2, timeout=60)
    marker.unlink()
    record, _ = on_cluster(client, lambda: extract(KillExtractor(str(marker)), grey_paths, cache_dir=cache))
    assert record.features[:, 0].tolist() == list(range(40))
    assert 0 < record.cache["hits"] < 40 and record.cache["hits"] + record.cache["computed"] == 40


# -- the command line ---------------------------------------------------------------------------------------
def test_cli_on_the_cluster_equals_the_local_run(client, paths, tmp_path, capsys):
    from clirun import run

    address = client.scheduler.address
    spec = ["-e", "hog:size=16x16,pixels_per_cell=4x4", "-q"]
    assert run(["extract", os.path.dirname(paths[0]), *spec, "-o", str(tmp_path / "l.npz")], capsys)[0] == 0
    code, _, err = run(["extract", os.path.dirname(paths[0]), *spec, "-o", str(tmp_path / "d.npz"), "--backend",
                        "dask", "--scheduler", address], capsys)
    assert code == 0, err
    local, remote = np.load(tmp_path / "l.npz"), np.load(tmp_path / "d.npz")
    keys = [k for k in local.files if k.startswith("features/")]
    assert len(keys) == 1 and local[keys[0]].shape == (40, 324)
    np.testing.assert_array_equal(remote[keys[0]], local[keys[0]])
    # train here, predict on the cluster: the same probabilities
    folder = tmp_path / "train"
    for k in range(2):
        (folder / f"c{k}").mkdir(parents=True)
        for i in range(6):
            Image.open(paths[6 * k + i]).save(folder / f"c{k}" / f"{i}.png")
    model = tmp_path / "m.featclf"
    assert run(["train", str(folder), *spec, "-c", "logreg", "-o", str(model)], capsys)[0] == 0
    for name, extra in (("l", []), ("d", ["--backend", "dask", "--scheduler", address])):
        assert run(["predict", str(model), *paths[12:20], "-o", str(tmp_path / f"{name}.csv"), "-q", *extra],
                   capsys)[0] == 0
    assert (tmp_path / "l.csv").read_text() == (tmp_path / "d.csv").read_text()


@pytest.mark.parametrize("command", ["evaluate", "cluster", "extract", "train", "predict"])
def test_cli_scheduler_without_the_dask_backend_is_refused(command, capsys, tmp_path):
    from clirun import run

    argv = [command, str(tmp_path), "--scheduler", "tcp://127.0.0.1:8786"]
    if command in ("extract", "train"):
        argv += ["-o", str(tmp_path / "out")]
    if command == "predict":
        argv += ["x.png"]
    code, _, err = run(argv, capsys)
    assert code == 2
    assert err == (f"featclf {command}: error: --scheduler tcp://127.0.0.1:8786 applies to a Dask cluster: add "
                   "--backend dask, or drop --scheduler.\n")


def test_cli_an_unreachable_scheduler_is_one_line_before_any_work(capsys, tmp_path, monkeypatch, no_extraction):
    from clirun import run

    from featclf.cli import _options

    monkeypatch.setattr(_options, "SCHEDULER_TIMEOUT_S", 1)
    code, _, err = run(["cluster", str(tmp_path), "--backend", "dask", "--scheduler", "tcp://127.0.0.1:9"], capsys)
    assert code == 2 and err.count("\n") == 1
    assert err.startswith("featclf cluster: error: --scheduler tcp://127.0.0.1:9: no Dask scheduler answered within "
                          "1 s (")
    assert err.endswith("Start one there with 'dask scheduler' (and workers with 'dask worker tcp://127.0.0.1:9'), "
                        "or fix the address (e.g. tcp://HOST:8786; a port of another server, such as the dashboard's "
                        "8787, is not the scheduler's).\n")


@pytest.mark.parametrize("address, why", [
    ("notanaddress", "Invalid url scheme"),
    ("127.0.0.1", "Invalid url scheme"),
    ("http://127.0.0.1:8787", "unknown protocol 'http'"),
    ("tcp://127.0.0.1", "port"),
])
def test_cli_a_malformed_scheduler_address_is_one_line_at_once(address, why, capsys, tmp_path, no_extraction):
    import time

    from clirun import run

    began = time.perf_counter()
    code, _, err = run(["extract", str(tmp_path), "-o", str(tmp_path / "f.npz"), "--backend", "dask",
                        "--scheduler", address], capsys)
    assert code == 2 and err.count("\n") == 1
    assert err.startswith(f"featclf extract: error: --scheduler {address}: not a Dask scheduler address (")
    assert why in err and err.endswith("e.g. tcp://HOST:8786.\n")
    assert time.perf_counter() - began < 5  # no wait for a connection timeout


def test_cli_a_server_that_is_not_a_scheduler_is_one_line_not_a_hang(capsys, tmp_path, monkeypatch, no_extraction):
    import socket
    import threading

    from clirun import run

    from featclf.cli import _options

    monkeypatch.setattr(_options, "SCHEDULER_TIMEOUT_S", 1)
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    accepted = []
    threading.Thread(target=lambda: accepted.append(server.accept()), daemon=True).start()  # accepts, never answers
    address = f"tcp://127.0.0.1:{server.getsockname()[1]}"
    try:
        code, _, err = run(["extract", str(tmp_path), "-o", str(tmp_path / "f.npz"), "--backend", "dask",
                            "--scheduler", address], capsys)
    finally:
        server.close()
    assert code == 2 and err.count("\n") == 1
    assert err.startswith(f"featclf extract: error: --scheduler {address}: no Dask scheduler answered within 1 s")


def test_cli_dask_backend_without_the_extra_names_the_pip_line(capsys, tmp_path, monkeypatch, no_extraction):
    import sys

    from clirun import run

    monkeypatch.setitem(sys.modules, "dask", None)
    monkeypatch.setitem(sys.modules, "distributed", None)
    code, _, err = run(["evaluate", str(tmp_path), "--backend", "dask"], capsys)
    assert code == 2
    assert err == ("featclf evaluate: error: --backend dask needs the optional dependency 'dask', which is not "
                   "installed. Install it with: pip install \"featclf[dask]\"\n")
