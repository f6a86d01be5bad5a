"""Shared test configuration: GPU tests are skipped cleanly without CUDA; the `write` fixture (picture generators live in imagegen.py)."""

import pytest
from PIL import Image


def _cuda_available() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return torch.cuda.is_available()


def pytest_collection_modifyitems(config, items):
    if any("gpu" in item.keywords for item in items) and not _cuda_available():
        skip = pytest.mark.skip(reason="needs a CUDA GPU (none available here)")
        for item in items:
            if "gpu" in item.keywords:
                item.add_marker(skip)


@pytest.fixture
def write(tmp_path):
    """``write(name, data)``: write bytes (or save a PIL image by extension) in tmp_path; returns the Path."""

    def _write(name: str, data, **params):
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, Image.Image):
            data.save(path, **params)
        else:
            path.write_bytes(data)
        return path

    return _write


@pytest.fixture
def progress_bars(monkeypatch):
    """Record every tqdm bar featclf opens: a list of ``{desc, disable, total, steps}``, one per bar.

    ``bars.times[i]``: the ``time.monotonic()`` of each step of bar ``i``.
    """
    import time

    import tqdm.auto

    class Bars(list):
        times: list

    bars = Bars()
    bars.times = []

    class Recording(tqdm.auto.tqdm):
        def __init__(self, *args, **kwargs):
            self.record = {key: kwargs.get(key) for key in ("desc", "disable", "total")} | {"steps": []}
            bars.append(self.record)
            self.times = []
            bars.times.append(self.times)
            super().__init__(*args, **kwargs)

        def update(self, n=1):
            self.record["steps"].append(n)
            self.times.append(time.monotonic())
            return super().update(n)

    monkeypatch.setattr(tqdm.auto, "tqdm", Recording)
    return bars


@pytest.fixture
def no_extraction(monkeypatch):
    """Fail the test if evaluate or cluster computes any feature (for errors that must come before extraction)."""
    from featclf import stages
    from featclf.clustering import _cluster
    from featclf.evaluation import _evaluate

    def refuse(*args, **kwargs):
        raise AssertionError("features were computed before the error")

    monkeypatch.setattr(_evaluate, "compute_features", refuse)
    monkeypatch.setattr(_cluster, "compute_features", refuse)
    monkeypatch.setattr(stages, "compute_features", refuse)


@pytest.fixture
def chromium_screenshot(tmp_path):
    """``chromium_screenshot(page)``: the pixels (2000, 1200, 3) of an HTML file in headless Chromium; skips without it."""
    import shutil
    import subprocess

    import numpy as np

    browser = next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)
    if browser is None:
        pytest.skip("needs Chromium for the browser test: apt-get install chromium (.ci/run installs it)")

    def _shot(page):
        shot = tmp_path / f"{page.stem}.png"
        proc = subprocess.run(
            [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}", "--window-size=1200,2000",
             "--hide-scrollbars", page.as_uri()],
            capture_output=True, text=True, timeout=120,
        )
        assert proc.returncode == 0 and shot.exists(), proc.stderr[-2000:]
        pixels = np.asarray(Image.open(shot).convert("RGB"))
        assert pixels.shape == (2000, 1200, 3)
        return pixels

    return _shot
