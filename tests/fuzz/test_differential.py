"""Differential fuzzing: random small programs run on gradiente and on torch must agree.

One test per op family draws programs of 2-5 ops with Hypothesis (``generate.py``), runs each on
both libraries in lockstep and compares dtypes, shapes, ``requires_grad``, values, errors and
gradients (``compare.py``). A failure prints the program as Python source.

Modes:

* short (default, CI): derandomised, a bounded number of examples per family, under a minute;
* long: ``GRADIENTE_FUZZ=long pytest tests/fuzz -s`` runs 30x the examples and prints a summary
  (cases run, mismatches by class, known differences used) instead of stopping at the first
  mismatch; ``GRADIENTE_FUZZ_SEED=<int>`` makes it random with that seed instead of derandomised,
  ``GRADIENTE_FUZZ_FACTOR=<int>`` changes the 30.
"""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from collections import Counter

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

import gradiente

from .compare import compare_program
from .generate import FAMILIES, draw_program
from .generate_more import MORE_SHORT_EXAMPLES
from .known_differences import KNOWN_DIFFERENCES, table

torch = pytest.importorskip("torch")

LONG = os.environ.get("GRADIENTE_FUZZ", "short") == "long"
SEED = os.environ.get("GRADIENTE_FUZZ_SEED")
SHORT_EXAMPLES = {
    "elementwise": 250,
    "reduction": 200,
    "shape": 150,
    "index": 200,
    "linalg": 100,
    "conv_pool": 120,
    "loss": 120,
    "norm_act": 150,
    "gather_scatter": 150,
    "pad_sample": 120,
    "attention": 60,
    **MORE_SHORT_EXAMPLES,
}
FACTOR = int(os.environ.get("GRADIENTE_FUZZ_FACTOR", 30)) if LONG else 1

SUMMARY = {"cases": Counter(), "mismatches": Counter(), "known": Counter(), "examples": {}}


def _settings(n):
    kwargs = dict(
        max_examples=n * FACTOR,
        deadline=None,
        database=None,
        derandomize=not (LONG and SEED),
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )
    if LONG:
        kwargs["phases"] = [p for p in settings.default.phases if p.name != "shrink"]
    return settings(**kwargs)


def fuzz(family):
    """Run the family's programs; in long mode count mismatches, else fail on the first."""
    found = []

    @_settings(SHORT_EXAMPLES[family])
    @given(st.data())
    def check(data):
        program = draw_program(data, torch, family)
        result = compare_program(program, gradiente, torch, family)
        SUMMARY["cases"][family] += 1
        for name in result.known:
            SUMMARY["known"][name] += 1
        m = result.mismatch
        if m is None:
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
        raise AssertionError(f"{len(found)} mismatches in {family}; see the summary")


@pytest.fixture(scope="module", autouse=True)
def _print_summary():
    yield
    print("\n== differential fuzzer ==")
    print(f"mode: {'long' if LONG else 'short'}; cases run: {sum(SUMMARY['cases'].values())}")
    for family, n in SUMMARY["cases"].items():
        print(f"  {family}: {n} cases")
    print(f"mismatches: {sum(SUMMARY['mismatches'].values())}")
    for klass, n in SUMMARY["mismatches"].most_common():
        print(f"  {n:5d}  {klass}")
    print("known differences (KNOWN_DIFFERENCES), cases accepted:")
    for entry in KNOWN_DIFFERENCES:
        print(f"  {SUMMARY['known'][entry.name]:5d}  {entry.name}")
    if LONG and SUMMARY["examples"]:
        print("\none program per mismatch class:")
        for klass, report in SUMMARY["examples"].items():
            print(f"--- {klass}\n{report}")


PENDING: dict[str, str] = {}  # family -> why it is expected to fail (empty: none is)


@pytest.mark.parametrize(
    "family",
    [
        pytest.param(f, marks=pytest.mark.xfail(reason=PENDING[f], strict=False))
        if f in PENDING
        else f
        for f in FAMILIES
    ],
)
def test_differential(family):
    fuzz(family)


def test_known_differences_are_documented():
    """Every accepted difference has a name and a reason (printed in the summary)."""
    assert KNOWN_DIFFERENCES
    for entry in KNOWN_DIFFERENCES:
        assert entry.name and len(entry.reason) > 20
    assert table().count("\n") == len(KNOWN_DIFFERENCES) - 1
