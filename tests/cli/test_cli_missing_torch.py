"""Without torch, every entry point that needs it says what to install (issue 9, kind 7).

torch is hidden by a meta-path hook in a fresh interpreter, so the import state is clean.
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HINT = 'pip install "featclf[cnn]"'

BLOCK = """
import sys

class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("torch", "torchvision"):
            raise ImportError(f"No module named {name!r} (blocked by the test)")

sys.meta_path.insert(0, Block())
"""


def run(code, *args):
    return subprocess.run([sys.executable, "-c", BLOCK + code, *args], capture_output=True, text=True,
                          timeout=300, env={**os.environ, "PYTHONPATH": REPO}, check=False)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("folder")
    rng = np.random.default_rng(0)
    for label in ("a", "b"):
        (root / label).mkdir()
        for i in range(6):
            Image.fromarray(rng.integers(0, 256, (16, 16), dtype=np.uint8)).save(root / label / f"{i}.png")
    return root


@pytest.mark.parametrize("argv", [
    ["evaluate", "{folder}", "-e", "pixels", "-e", "cnn", "-c", "logreg"],
    ["evaluate", "{folder}", "-e", "cnn:backbone=tiny"],
    ["cluster", "{folder}", "-e", "cnn"],
])
def test_cli_without_torch_one_line_exit_2(folder, argv):
    argv = [a.format(folder=folder) for a in argv]
    proc = run("import runpy; sys.argv = ['featclf'] + sys.argv[1:]; runpy.run_module('featclf', run_name='__main__')",
               *argv)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert "CNNEmbedding needs the optional dependency 'torch'" in lines[0] and HINT in lines[0]


@pytest.mark.parametrize("call", [
    "featclf.evaluate(data, extractors=['cnn'])",
    "featclf.evaluate(data, extractors=['pixels', 'cnn'], classifiers=['logreg'])",
    "featclf.cluster(data, extractor='cnn')",
    "featclf.make_extractor('cnn').fit(data)",
    "featclf.make_extractor('cnn', compile='onnxruntime').fit()",
])
def test_python_without_torch_raises_missing_dependency(call):
    code = f"""
import numpy as np
import featclf
data = featclf.ArrayDataset(np.zeros((12, 16, 16), np.uint8), [0, 1] * 6)
try:
    {call}
except featclf.exceptions.MissingDependencyError as exc:
    print("MissingDependencyError:", exc)
"""
    proc = run(code)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("MissingDependencyError: CNNEmbedding needs the optional dependency 'torch'")
    assert HINT in proc.stdout
