"""The benchmark suite's runner (benchmarks/run.py) on fake result files: table, summary, lock, skips.

No timing runs here: the runner's own code is checked so that it cannot break silently.
"""

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import types

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUN_PY = os.path.join(ROOT, "benchmarks", "run.py")


@pytest.fixture(scope="module")
def run():
    spec = importlib.util.spec_from_file_location("benchmarks_run", RUN_PY)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop(spec.name, None)


HEADER = {
    "machine": {"cpu_count": 2, "cpu_model": "Test CPU", "ram_gib": 8.0},
    "versions": {"python": "3.11.7", "numpy": "2.4.6", "scikit-learn": "1.9.1", "featclf": "0.1.0",
                 "featclf_git": "abc1234", "featclf_git_dirty": False},
}


def fmnist_run(config, n_train, accuracy, command):
    return {"config": config, "variant": None, "n_train": n_train, "n_test": 2000 if n_train == 2000 else 10000,
            "evaluated_on": "test", "accuracy": accuracy, "command": command, "date": "2026-11-29T19:00:00+00:00",
            **HEADER}


def write(folder, name, data):
    path = os.path.join(folder, name)
    with open(path, "w") as f:
        json.dump(data, f)
    return path


@pytest.fixture
def results(tmp_path):
    quick = write(tmp_path, "fashion_mnist_quick.json", {**HEADER, "runs": {
        "pixels-svc@2000": fmnist_run("pixels-svc", 2000, 0.8305, "python bench_fashion_mnist.py --quick"),
        "hog-svc@2000": fmnist_run("hog-svc", 2000, 0.8712, "python bench_fashion_mnist.py --quick"),
        "colorhist-svc@2000": fmnist_run("colorhist-svc", 2000, 0.395, "python bench_fashion_mnist.py --quick"),
    }})
    write(tmp_path, "fashion_mnist.json", {**HEADER, "runs": {
        "pixels-svc@60000": fmnist_run("pixels-svc", 60000, 0.9002, "python bench_fashion_mnist.py --train-size 60000"),
        "hog-svc@60000": fmnist_run("hog-svc", 60000, 0.9278, "python bench_fashion_mnist.py --train-size 60000"),
    }})
    hog = write(tmp_path, "hog_quick.json", {
        "command": "python benchmarks/bench_hog.py --quick", "date": "2026-11-29T19:05:00+00:00", **HEADER,
        "methods": {"featclf.HOG": {"best_s": 0.03, "us_per_image": 30.0},
                    "skimage.feature.hog loop": {"best_s": 0.9, "us_per_image": 900.0},
                    "cv2.HOGDescriptor loop": {"best_s": 0.031, "us_per_image": 31.0}},
        "speed_vs_bare_cv2": {"featclf.HOG": 1.033},
        "colorhist": {"baseline": "numpy histogramdd loop",
                      "methods": {"featclf.ColorHistogram": {"best_s": 0.05, "us_per_image": 50.0},
                                  "numpy histogramdd loop": {"best_s": 0.1, "us_per_image": 100.0}}},
        "targets": {"speedup_vs_skimage": {"target": ">= 20.0x", "value": 30.0, "met": True}},
    })
    return tmp_path, quick, hog


def report_of(quick, hog):
    return {"command": "python -m benchmarks --quick", "started": "2026-11-29T19:00:00+00:00", "quick": True,
            "device": "cpu", "lock": "/tmp/featclf-cpu.lock", "seconds": 321.0, "waited_s": 20.0, "parts": [
                {"name": "fashion_mnist", "what": "Fashion-MNIST accuracy", "status": "ok", "seconds": 30.0,
                 "files": [quick]},
                {"name": "hog", "what": "HOG throughput", "status": "ok", "seconds": 12.5, "files": [hog]},
                {"name": "dask", "what": "Dask vs local", "status": "skipped",
                 "reason": "bench_dask.py comes with Dask support; not on this branch", "files": []},
            ]}


def test_summary_names_file_machine_versions_commit_and_command(run, results):
    folder, quick, hog = results
    text = run.summary_markdown(report_of(quick, hog), results_dir=str(folder))
    assert text.startswith("# Benchmark suite: quick run\n")
    assert ("Command: `python -m benchmarks --quick` (started 2026-11-29T19:00:00+00:00, 321 s in all, of which 20 s "
            "waiting for the lock while other work held it).") in text
    assert "| dask | skipped (bench_dask.py comes with Dask support; not on this branch) | - | - |" in text
    assert "From `fashion_mnist_quick.json`:" in text and "From `hog_quick.json`:" in text
    assert ("- command `python benchmarks/bench_hog.py --quick`, 2026-11-29T19:05:00+00:00; machine: 2 cores "
            "(Test CPU), 8.0 GiB RAM; python 3.11.7, numpy 2.4.6, scikit-learn 1.9.1; featclf 0.1.0 at commit "
            "`abc1234`") in text
    assert "| featclf.HOG us/image | 30 | 1.033x the bare cv2 loop, 30.0x the scikit-image loop |" in text
    assert "| featclf.ColorHistogram us/image | 50 | 2.0x the NumPy loop |" in text
    assert "| target speedup_vs_skimage | 30 | >= 20.0x: met |" in text
    assert "Smoke figures of a smaller, shorter run (see the part's `--quick` options): the targets were set " \
           "for the full run." in text  # no hog.json in the folder: no full-run file to name
    write(folder, "hog.json", {})
    text = run.summary_markdown(report_of(quick, hog), results_dir=str(folder))
    assert "the targets were set for the full run, whose figures are in `hog.json`." in text


def test_fashion_mnist_quick_rows_sit_beside_published_and_full_figures(run, results):
    folder, quick, hog = results
    text = run.summary_markdown(report_of(quick, hog), results_dir=str(folder))
    assert "| pixels-svc | 0.8305 | 2,000 / 2,000 | 0.9002 | 0.897 | -6.7 |" in text
    assert "| hog-svc | 0.8712 | 2,000 / 2,000 | 0.9278 | 0.926 | -5.5 |" in text
    assert "| colorhist-svc | 0.395 | 2,000 / 2,000 | - | - | - |" in text
    assert "trains on 2,000 images instead of 60,000" in text
    assert "pixels-svc 0.9002, hog-svc 0.9278 (`fashion_mnist.json`)" in text


def test_fashion_mnist_within_half_a_point_needs_no_explanation(run):
    quick = {"runs": {"hog-svc@60000": fmnist_run("hog-svc", 60000, 0.9278, "c")}}
    rows = run.fashion_mnist_comparison(quick, None)
    assert rows == [{"config": "hog-svc", "accuracy": 0.9278, "n_train": 60000, "n_test": 10000, "full_60000": None,
                     "published": 0.926, "points_vs_published": 0.2}]
    assert not any("differs" in line for line in run.fashion_mnist_note(rows, None))


def test_table_lists_every_part_and_its_figures(run, results, capsys):
    _, quick, hog = results
    run.print_table(report_of(quick, hog))
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["part", "status", "result", "file", "figure", "value"]
    fmnist = [line.split() for line in out if "fashion_mnist_quick.json" in line]
    assert fmnist[0] == ["fashion_mnist", "ok", "fashion_mnist_quick.json", "pixels-svc@2000", "accuracy", "0.8305"]
    assert [row[1] for row in fmnist[1:]] == ["hog-svc@2000", "colorhist-svc@2000"]  # published ones first
    assert any(line.startswith("dask ") and "skipped: bench_dask.py comes with Dask support" in line for line in out)


def test_result_files_keep_this_runs_files_of_the_mode_asked(run, tmp_path):
    part = run.Part("cnn_gpu", "bench_cnn.py", "gpu", results=("cnn_gpu_*",), gpu=True)
    for name in ["cnn_gpu_h200.json", "cnn_gpu_h200_quick.json", "cnn_cpu.json"]:
        write(tmp_path, name, {})
    old = os.path.join(tmp_path, "cnn_gpu_h200.json")
    os.utime(old, (1000, 1000))
    names = [os.path.basename(p) for p in run.result_files(part, quick=False, results_dir=str(tmp_path))]
    assert names == ["cnn_gpu_h200.json"]
    names = [os.path.basename(p) for p in run.result_files(part, quick=True, results_dir=str(tmp_path))]
    assert names == ["cnn_gpu_h200_quick.json"]
    assert run.result_files(part, quick=False, since=2000, results_dir=str(tmp_path)) == []


def test_missing_script_and_gpu_parts_are_skipped_with_the_reason(run):
    args = types.SimpleNamespace(device="cpu", quick=True)
    missing = run.Part("dask", "bench_no_such_script.py", "Dask", optional="comes with Dask support")
    assert run.run_part(missing, args, None)["status"] == "skipped"
    assert run.run_part(missing, args, None)["reason"] == "comes with Dask support"
    gpu = run.BY_NAME["cnn_gpu"]
    entry = run.run_part(gpu, args, None)
    assert (entry["status"], entry["reason"]) == ("skipped", "GPU part: pass --device cuda")
    args.device = "cuda"
    entry = run.run_part(gpu, args, lambda: (False, "no CUDA device (torch.cuda.is_available() is False)"))
    assert (entry["status"], entry["reason"]) == ("skipped", "no CUDA device (torch.cuda.is_available() is False)")
    assert [p.name for p in run.select(None, "cpu")] == [p.name for p in run.PARTS if p.default and not p.gpu]
    assert "cnn_gpu" in [p.name for p in run.select(None, "cuda")]


def test_usage_errors_exit_2(run, capsys):
    with pytest.raises(SystemExit) as exc:
        run.parse_args(["--only", "nope"])
    assert exc.value.code == 2
    with pytest.raises(SystemExit) as exc:
        run.parse_args(["--device", "gpu"])
    assert exc.value.code == 2
    assert "--device must be 'cpu', 'cuda' or 'cuda:N'. Got 'gpu' instead." in capsys.readouterr().err


@pytest.mark.skipif(shutil.which("flock") is None, reason="needs util-linux flock")
def test_lock_held_by_a_parent_is_not_taken_twice(run, tmp_path):
    lock = str(tmp_path / "cpu.lock")
    code = (f"import importlib.util as u, sys; s = u.spec_from_file_location('r', {RUN_PY!r}); "
            f"m = sys.modules['r'] = u.module_from_spec(s); s.loader.exec_module(m)\n"
            f"with m.cpu_lock('x', {lock!r}) as how: print(how)")
    held = subprocess.run(["flock", "-x", lock, sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert held.stdout.strip() == "held by a parent process", held.stderr
    free = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert free.stdout.strip() == "exclusive", free.stderr


def test_provenance_groups_runs_of_one_command_and_keeps_each_command(run):
    data = {**HEADER, "runs": {
        "a": {"command": "python x.py --quick", "date": "2026-11-29T19:00:00+00:00"},
        "b": {"command": "python x.py --quick", "date": "2026-11-29T19:01:00+00:00"},
        "c": {"command": "python x.py --train-size 60000", "date": "2026-11-21T05:48:34+00:00"},
    }}
    found = run.provenance(data)
    assert [(p["command"], p["dates"]) for p in found] == [
        ("python x.py --quick", ["2026-11-29T19:00:00+00:00", "2026-11-29T19:01:00+00:00"]),
        ("python x.py --train-size 60000", ["2026-11-21T05:48:34+00:00"]),
    ]
    assert found[0]["versions"]["featclf_git"] == "abc1234"


def test_a_run_of_some_parts_is_merged_into_the_last_suite_file(run, results, monkeypatch):
    """--only replaces its parts in the last suite file and keeps the others (a partial run never drops them)."""
    folder, quick, hog = results
    monkeypatch.setattr(run, "RESULTS", str(folder))
    monkeypatch.setattr(run, "ROOT", str(folder))
    last = report_of(quick, hog)
    write(folder, "suite_quick.json", {**last, "parts": [{**p, "files": [os.path.relpath(x, folder) for x in
                                                                          p["files"]]} for p in last["parts"]]})
    dask = write(folder, "dask_quick.json", {"command": "python benchmarks/bench_dask.py --quick", **HEADER})
    new = {"command": "python -m benchmarks --quick --only dask", "started": "2026-11-29T21:00:00+00:00",
           "seconds": 35.0, "waited_s": 1.0, "load_end": 1.5,
           "parts": [{"name": "dask", "what": "Dask vs local", "status": "ok", "seconds": 35.0, "files": [dask]}]}
    merged = run.merge_into_last(new, quick=True)
    assert [(p["name"], p["status"]) for p in merged["parts"]] == [("fashion_mnist", "ok"), ("hog", "ok"),
                                                                    ("dask", "ok")]
    assert merged["parts"][0]["files"] == [quick]  # the kept parts' files as absolute paths again
    assert merged["command"] == ("python -m benchmarks --quick; then python -m benchmarks --quick --only dask "
                                 "(2026-11-29T21:00:00+00:00)")
    assert merged["seconds"] == 356.0
