"""gradiente._malloc: freed arrays stay in the heap, so a training loop stops page-faulting."""

import subprocess
import sys

import pytest

LOOP = """
import resource, sys
import gradiente as gd
F = gd.nn.functional
x = gd.randn(64, 1, 28, 28)
w = gd.randn(6, 1, 5, 5, requires_grad=True)
g = gd.ones(64, 6, 28, 28)
for _ in range(10):
    F.conv2d(x, w, None, padding=2).backward(g)
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):
    F.conv2d(x, w, None, padding=2).backward(g)
faults = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 20
print(gd.backend.malloc_tuned, faults)
"""


def _run(env_value):
    env = {"GRADIENTE_MALLOC_TUNING": env_value, "OMP_WAIT_POLICY": "PASSIVE"}
    out = subprocess.run(
        [sys.executable, "-c", LOOP],
        capture_output=True,
        text=True,
        check=True,
        env={**__import__("os").environ, **env},
    )
    tuned, faults = out.stdout.split()
    return tuned == "True", float(faults)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_a_conv_training_loop_reuses_its_memory():
    tuned, faults = _run("1")
    assert tuned
    # the step's arrays (a 1.2 MB gradient copy, the 5 MB columns, ...) come back from the
    # heap: without the tuning this loop took ~600 page faults a step on this machine
    assert faults < 50


def test_the_tuning_can_be_switched_off():
    tuned, _ = _run("0")
    assert not tuned
