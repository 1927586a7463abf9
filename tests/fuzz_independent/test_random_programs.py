"""Independent differential fuzzer: random programs of 1-6 steps run on torch and gradiente.

Programs are drawn with Hypothesis (``builder.py``, ``ops_tensor.py``, ``ops_nn.py``) over
tensors of random shapes (0-d, size-0 and size-1 dims), dtypes (float32/64, float16, bfloat16,
int64, int32, bool, uint8) and layouts (transposed, stepped, expanded, permuted, channels-last),
with ``requires_grad`` on most float leaves. ``compare.py`` checks every step's values, dtypes,
shapes and errors, every variable again at the end, and the leaves' gradients. Deliberate or open
differences are skipped through ``known.py``.

* short (default, CI): 200 derandomised programs;
* long: ``GRADIENTE_INDEP_FUZZ=5000 pytest tests/fuzz_independent -q -s`` runs that many programs
  with random seeds and prints mismatches grouped by class (the report-only ``message`` and
  ``stride`` classes too) instead of failing on the first.
"""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gradiente

from .builder import Builder
from .compare import compare_program
from .known import match_known
from .ops_misc import MISC_FAMILIES
from .ops_nn import NN_FAMILIES
from .ops_tensor import TENSOR_FAMILIES

torch = pytest.importorskip("torch")

FAMILIES = {**TENSOR_FAMILIES, **NN_FAMILIES, **MISC_FAMILIES}
WEIGHTS = {"unary": 3, "binary": 4, "reduce": 3, "pair": 2, "index": 3, "scatter": 2,
           "view": 3, "join": 2, "ternary": 2, "cast": 1, "inplace": 3, "matmul": 2,
           "activation": 3, "pad_sample": 2, "conv_pool": 2, "loss": 2, "misc": 3}  # fmt: skip
LONG = int(os.environ.get("GRADIENTE_INDEP_FUZZ", "0"))
EXAMPLES = LONG or 200


def draw_program(data):
    """A program of 1-6 drawn ops (some ops add a clone step or a helper step)."""
    n_ops = data.draw(st.integers(1, 6))
    b = Builder(data, torch, max_steps=n_ops + 6)
    pool = [f for f, w in WEIGHTS.items() for _ in range(w)]
    for _ in range(n_ops):
        if b.full():
            break
        family = data.draw(st.sampled_from(pool))
        try:
            FAMILIES[family](b)
        except Exception as e:  # noqa: BLE001 - a drawing slip of this fuzzer, not a finding
            GENERATOR_SLIPS[f"{family}: {type(e).__name__}: {e}"] += 1
            break
    return b.program()


def _known(category, op, detail, program):
    reason = match_known(category, op, detail, program)
    if reason:
        KNOWN_USED[reason] += 1
    return reason


KNOWN_USED = Counter()
GENERATOR_SLIPS = Counter()
TORCH_ERRORS = Counter()  # by op: where the drawn programs were invalid


def test_random_programs():
    found, classes, examples = [], Counter(), {}
    stats = Counter()

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=not LONG,
        suppress_health_check=list(HealthCheck),
        phases=[p for p in settings.default.phases if p.name != "shrink"],
    )
    @given(st.data())
    def check(data):
        program = draw_program(data)
        stats["programs"] += 1
        if program.error is not None:
            stats["torch errors"] += 1
            TORCH_ERRORS[program.steps[program.error[0]].op] += 1
        outcome = compare_program(program, gradiente, torch, _known)
        for category, op, detail, step in outcome.mismatches:
            key = f"{category}: {op}"
            classes[key] += 1
            examples.setdefault(key, (detail, program.source(mark=step)))
        if outcome.failing():
            found.append(outcome)

    check()
    report = _summary(stats, classes, examples)
    if LONG:
        print(report)
    else:
        assert not found, report


def _summary(stats, classes, examples):
    lines = [f"programs: {stats['programs']} (torch raised in {stats['torch errors']})"]
    lines.append(
        "torch raised at: " + ", ".join(f"{k} {n}" for k, n in TORCH_ERRORS.most_common(12))
    )
    for key, n in classes.most_common():
        detail, source = examples[key]
        lines.append(f"\n=== {n} x {key}\n{detail[:600]}\n{source[-1500:]}")
    for slip, n in GENERATOR_SLIPS.most_common():
        lines.append(f"generator slip ({n}): {slip}")
    for reason, n in KNOWN_USED.most_common():
        lines.append(f"known ({n}): {reason}")
    return "\n".join(lines)
