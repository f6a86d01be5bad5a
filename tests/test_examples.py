"""The scripts of examples/ run as a user runs them (a fresh process, small data) and say what they found."""

import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_example(name, *args):
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "examples", name), *args], capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def test_labelling_loop_trains_a_classifier_from_cluster_folders():
    out = run_example("labelling_loop.py", "--n", "300")
    assert re.search(r"Exported 300 images into 10 folders", out)
    counts = re.search(r"Labelled by the clusters: (\{.*\})", out).group(1)
    assert sum(int(n) for n in re.findall(r": (\d+)", counts)) == 300  # every exported image read back
    accuracy = float(re.search(r"Accuracy on 1497 new digits, with labels from the clusters alone: ([\d.]+)",
                               out).group(1))
    assert accuracy > 0.4  # labels from 10 pixel clusters of digits: far above chance (0.1)
