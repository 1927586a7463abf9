"""The module-level fuzzer with gradiente on the CUDA code path (the NumPy stand-in for CUDA:
CuPy's rules, CuPy's code path).

The same random models and training loops as ``test_modules.py``; gradiente runs them with the
stand-in CUDA device as its default device, so layers, inputs, targets and loaded checkpoints
are made there, and every tensor it records (outputs, losses, gradients, parameters, buffers,
optimizer state) must be on ``cuda:0``. Torch runs on the CPU and stays the reference.

Short mode (CI) runs 25 programs per family; ``GRADIENTE_FUZZ=long`` runs ``GRADIENTE_FUZZ_FACTOR``
(default 20) times that and prints a summary by mismatch class.
"""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from collections import Counter

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

import gradiente
from gradiente import backend as B

from . import run
from .generate import FAMILIES, draw_case
from .run import compare_source

torch = pytest.importorskip("torch")

LONG = os.environ.get("GRADIENTE_FUZZ", "short") == "long"
SEED = os.environ.get("GRADIENTE_FUZZ_SEED")
FACTOR = int(os.environ.get("GRADIENTE_FUZZ_FACTOR", 20)) if LONG else 1
SHORT_EXAMPLES = 25

SUMMARY = {"cases": Counter(), "mismatches": Counter(), "examples": {}}


@pytest.fixture(scope="module", autouse=True)
def stand_in_cuda():
    B.set_stand_in_cuda(1, strict=True)
    yield
    B.set_stand_in_cuda(0)
    print("\n== module fuzzer on the stand-in CUDA device ==")
    print(f"mode: {'long' if LONG else 'short'}; programs run: {sum(SUMMARY['cases'].values())}")
    print(f"mismatches: {sum(SUMMARY['mismatches'].values())}")
    for klass, n in SUMMARY["mismatches"].most_common():
        print(f"  {n:5d}  {klass}")
    if LONG and SUMMARY["examples"]:
        for klass, report in SUMMARY["examples"].items():
            print(f"--- {klass}\n{report}")


def _compare_on_the_device(source):
    gradiente.set_default_device("cuda")
    run.EXPECT_DEVICE[0] = "cuda:0"
    try:
        return compare_source(source, gradiente, torch)
    finally:
        run.EXPECT_DEVICE[0] = None
        gradiente.set_default_device(None)


@pytest.mark.parametrize("family", list(FAMILIES))
def test_module_fuzz_on_the_device(family):
    found = []

    @settings(
        max_examples=SHORT_EXAMPLES * FACTOR,
        deadline=None,
        database=None,
        derandomize=not (LONG and SEED),
        suppress_health_check=list(HealthCheck),
        print_blob=False,
        phases=[p for p in settings.default.phases if not (LONG and p.name == "shrink")],
    )
    @given(st.data())
    def check(data):
        case = draw_case(data, family)
        m = _compare_on_the_device(case.source)
        SUMMARY["cases"][family] += 1
        if m is None:
            return
        klass = f"{family} | {m.klass}"
        if LONG or m.float32_only:  # float32-only: rounding, counted but not failed on
            SUMMARY["mismatches"][klass] += 1
            SUMMARY["examples"].setdefault(klass, m.report(case.source))
            found.append(m)
            return
        raise AssertionError(m.report(case.source))

    if LONG and SEED:
        check = seed(int(SEED))(check)
    check()
    if found and LONG:
        raise AssertionError(f"{len(found)} mismatches in {family} on the device")
