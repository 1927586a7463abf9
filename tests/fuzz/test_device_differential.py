"""The differential fuzzer again, with gradiente on the CUDA code path.

The same random programs as ``test_differential.py`` (every family), but gradiente runs them on
the NumPy stand-in for CUDA (``backend.set_stand_in_cuda``: CuPy's rules, CuPy's code path):
inputs, literals and factory results are made there through the default device, and every
tensor a step or the backward pass produces must be on ``cuda:0`` too. Torch runs on the CPU and
stays the reference for values, dtypes, errors and gradients, so a program that passes here
behaves on a GPU as on the CPU (up to CUDA's own kernels, which only a GPU can check).

A mismatch that the same program shows with gradiente on the CPU too is the CPU fuzzer's
(its open classes are listed in ``tests/fuzz/README.md``): it is counted apart, not failed on.
Ops that built a result on the host and copied it to the device are counted (each costs a
host-to-device copy on a GPU) and listed in the summary; they are not failures.

``GRADIENTE_FUZZ=long`` runs 30x the programs and prints the mismatches by class, as the CPU
fuzzer does; the short mode (CI) runs a third of the CPU fuzzer's short counts.
"""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from collections import Counter

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

import gradiente
from gradiente import backend as B

from . import compare
from .compare import compare_program
from .generate import FAMILIES, draw_program
from .test_differential import SHORT_EXAMPLES

torch = pytest.importorskip("torch")

LONG = os.environ.get("GRADIENTE_FUZZ", "short") == "long"
SEED = os.environ.get("GRADIENTE_FUZZ_SEED")
FACTOR = int(os.environ.get("GRADIENTE_FUZZ_FACTOR", 30)) if LONG else 1

SUMMARY = {
    "cases": Counter(),
    "mismatches": Counter(),
    "cpu too": Counter(),
    "host": Counter(),
    "examples": {},
}


class OnTheDevice:
    """gradiente as the fuzzer sees it, with the upstream gradients put on the device.

    Everything else is gradiente itself: the default device (set around each program) puts
    inputs, literals and factory results on the stand-in CUDA device."""

    def __getattr__(self, name):
        return getattr(gradiente, name)

    @staticmethod
    def from_numpy(array):
        return gradiente.from_numpy(array).to("cuda")


ON_THE_DEVICE = OnTheDevice()


@pytest.fixture(scope="module", autouse=True)
def stand_in_cuda():
    B.set_stand_in_cuda(1, strict=True)
    yield
    gradiente.set_default_device(None)
    B.set_stand_in_cuda(0)
    _print_summary()


def _print_summary():
    print("\n== differential fuzzer on the stand-in CUDA device ==")
    print(f"mode: {'long' if LONG else 'short'}; cases run: {sum(SUMMARY['cases'].values())}")
    print(f"mismatches: {sum(SUMMARY['mismatches'].values())}")
    for klass, n in SUMMARY["mismatches"].most_common():
        print(f"  {n:5d}  {klass}")
    if SUMMARY["cpu too"]:
        print("mismatches the CPU run has too (not counted here: the CPU fuzzer's classes):")
        for klass, n in SUMMARY["cpu too"].most_common():
            print(f"  {n:5d}  {klass}")
    if SUMMARY["host"]:
        print("ops that built a result on the host (programs):")
        for op, n in SUMMARY["host"].most_common():
            print(f"  {n:5d}  {op}")
    if LONG and SUMMARY["examples"]:
        print("\none program per mismatch class:")
        for klass, report in SUMMARY["examples"].items():
            print(f"--- {klass}\n{report}")


def _settings(n):
    kwargs = dict(
        max_examples=max(n * FACTOR // (1 if LONG else 3), 10),
        deadline=None,
        database=None,
        derandomize=not (LONG and SEED),
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )
    if LONG:
        kwargs["phases"] = [p for p in settings.default.phases if p.name != "shrink"]
    return settings(**kwargs)


def _compare_on_the_device(program, family):
    B.host_results.clear()
    gradiente.set_default_device("cuda")
    compare.EXPECT_DEVICE[0] = "cuda:0"
    try:
        return compare_program(program, ON_THE_DEVICE, torch, family)
    finally:
        compare.EXPECT_DEVICE[0] = None
        gradiente.set_default_device(None)
        for op in B.host_results:
            SUMMARY["host"][op] += 1


@pytest.mark.parametrize("family", list(FAMILIES))
def test_device_differential(family):
    found = []

    @_settings(SHORT_EXAMPLES[family])
    @given(st.data())
    def check(data):
        program = draw_program(data, torch, family)
        result = _compare_on_the_device(program, family)
        SUMMARY["cases"][family] += 1
        m = result.mismatch
        if m is None:
            return
        on_the_cpu = compare_program(program, gradiente, torch, family).mismatch
        if on_the_cpu is not None and on_the_cpu.klass == m.klass:
            # the CPU fuzzer's business (its open classes are listed in tests/fuzz/README.md)
            SUMMARY["cpu too"][f"{family} | {m.klass}"] += 1
            return
        if LONG:
            SUMMARY["mismatches"][f"{family} | {m.klass}"] += 1
            SUMMARY["examples"].setdefault(f"{family} | {m.klass}", m.report())
            found.append(m)
            return
        raise AssertionError(m.report())

    if LONG and SEED:
        check = seed(int(SEED))(check)
    check()
    if found:
        raise AssertionError(f"{len(found)} mismatches in {family} on the device; see the summary")
