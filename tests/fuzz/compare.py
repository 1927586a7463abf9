"""Run one fuzz program on gradiente and torch in lockstep and report the first mismatch.

After every step the two runs must agree on whether the step raised, and on every variable:
dtype, shape, ``requires_grad`` and values. Then a random upstream gradient is pushed back from
the last step's float outputs to the inputs that require grad, and the gradients must agree too
(or both backward passes must raise).

Tolerances (``tolerance``): integers and bools exactly; float64 to ``rtol = 1e-10``; float32 to
a few ulps per step of the program (``4 · 2⁻²³ · (steps + 1)``); ``atol = rtol · scale`` where
``scale`` is the largest finite magnitude seen in the program so far, because a last-ulp
difference in a large intermediate value (``exp(x) - exp(y)``) shows up as an absolute error in a
small result. NaN placement must match exactly, infinities exactly, and the sign of a zero in
forward values where both sides are zero.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .known_differences import match_known
from .program import make_input, run_step


@dataclass
class Mismatch:
    kind: str  # "dtype", "shape", "requires_grad", "value", "nan", "signed zero", "raises", ...
    op: str  # the op of the step where it showed (see Step.op)
    step: int  # the step number (-1: inputs; len(steps): the backward pass)
    message: str
    source: str = ""

    @property
    def klass(self):
        return f"{self.kind}: {self.op}"

    def report(self):
        return f"{self.klass} (step {self.step}): {self.message}\n\n{self.source}\n"


# True while the program being compared has a float32 tensor anywhere: its float64 results may
# then carry float32 rounding (a float64 leaf added to a float32 tensor gets a float32 gradient).
LOW_PRECISION = [False]


# The device every gradiente tensor must be on ("cuda:0" when the device fuzzer runs gradiente
# on the stand-in CUDA device; None: not checked).
EXPECT_DEVICE = [None]


class Result:
    """What comparing one program gave: a mismatch (or None) and the known differences used."""

    def __init__(self):
        self.mismatch = None
        self.known = []


def _numpy(t):
    return t.detach().cpu().numpy() if hasattr(t, "cpu") else t.detach().numpy()


def tolerance(dtype, steps, scale, size=1):
    """(rtol, atol) for a result of ``dtype`` after ``steps`` ops; ``size`` is the largest
    tensor in the program: a sum of n terms in another order differs by about log2(n) ulps."""
    terms = 1 + np.log2(max(size, 1))
    if dtype == "float64":
        rtol = 1e-10 * (steps + 1) * terms
    else:
        rtol = 4 * 2.0**-23 * (steps + 1) * terms
    return rtol, rtol * scale


def _magnitude(arr):
    if arr.dtype.kind != "f" or arr.size == 0:
        return 0.0
    finite = np.abs(arr[np.isfinite(arr)])
    return float(finite.max(initial=0.0))


def compare_tensors(g, t, steps, scale, signed_zeros=True, size=1):
    """None if gradiente tensor ``g`` matches torch tensor ``t``, else (kind, message)."""
    if str(g.dtype) != str(t.dtype):
        return "dtype", f"dtype {g.dtype}, torch {t.dtype}"
    if tuple(g.shape) != tuple(t.shape):
        return "shape", f"shape {tuple(g.shape)}, torch {tuple(t.shape)}"
    if g.requires_grad != t.requires_grad:
        return "requires_grad", f"requires_grad {g.requires_grad}, torch {t.requires_grad}"
    if EXPECT_DEVICE[0] is not None and str(g.device) != EXPECT_DEVICE[0]:
        return "device", f"device {g.device}, expected {EXPECT_DEVICE[0]}"
    a, e = np.asarray(_numpy(g)), np.asarray(_numpy(t))
    if e.dtype.kind != "f":
        if not np.array_equal(a, e):
            return "value", f"values\n{a}\ntorch\n{e}"
        return None
    if not np.array_equal(np.isnan(a), np.isnan(e)):
        return "nan", f"NaN placement differs: values\n{a}\ntorch\n{e}"
    if not np.array_equal(np.isinf(a) & (a > 0), np.isinf(e) & (e > 0)) or not np.array_equal(
        np.isinf(a) & (a < 0), np.isinf(e) & (e < 0)
    ):
        return "value", f"infinities differ: values\n{a}\ntorch\n{e}"
    precision = "float32" if LOW_PRECISION[0] else str(e.dtype)
    rtol, atol = tolerance(precision, steps, max(scale, _magnitude(e), 1.0), size)
    finite = np.isfinite(e)
    err = np.abs(a[finite].astype(np.float64) - e[finite])
    bound = atol + rtol * np.abs(e[finite].astype(np.float64))
    if np.any(err > bound):
        worst = float((err - bound).max())
        return "value", f"values differ (worst excess {worst:.3g})\n{a}\ntorch\n{e}"
    if signed_zeros:
        zeros = (a == 0) & (e == 0)
        if np.any(np.signbit(a[zeros]) != np.signbit(e[zeros])):
            return "signed zero", f"sign of zero differs: values\n{a}\ntorch\n{e}"
    return None


def compare_values(g, t, steps, scale, signed_zeros=True):
    """Compare two variable values (tensors, lists/tuples of tensors, Python values)."""
    if isinstance(t, (list, tuple)):
        if not isinstance(g, (list, tuple)) or len(g) != len(t):
            return "structure", f"{type(g).__name__} of {len(g)}, torch {len(t)} items"
        for gi, ti in zip(g, t, strict=True):
            bad = compare_values(gi, ti, steps, scale, signed_zeros)
            if bad:
                return bad
        return None
    if hasattr(t, "dtype") and hasattr(t, "shape"):
        if not hasattr(g, "dtype"):
            return "type", f"a {type(g).__name__}, torch a tensor"
        return compare_tensors(g, t, steps, scale, signed_zeros)
    if g != t and not (g != g and t != t):
        return "value", f"{g!r}, torch {t!r}"
    return None


def _tensors(value):
    if isinstance(value, (list, tuple)):
        return [v for item in value for v in _tensors(item)]
    return [value] if hasattr(value, "requires_grad") else []


def _error(e):
    return f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"


def compare_program(program, gradiente, torch, family=""):
    """Run ``program`` in both libraries step by step; a ``Result`` with the first mismatch."""
    result = Result()
    steps = program.steps
    g_env = {x.name: make_input(gradiente, x) for x in program.inputs}
    t_env = {x.name: make_input(torch, x) for x in program.inputs}
    scale = max([_magnitude(np.asarray(_numpy(v))) for v in t_env.values()] + [1.0])
    LOW_PRECISION[0] = any(x.array.dtype == np.float32 for x in program.inputs)

    def fail(kind, op, i, message):
        result.mismatch = Mismatch(kind, op, i, message, program.source(failing=i))
        return result

    last = None
    for i, s in enumerate(steps):
        g_err = t_err = None
        try:
            run_step(torch, t_env, s)
        except Exception as e:  # noqa: BLE001
            t_err = e
        try:
            run_step(gradiente, g_env, s)
        except Exception as e:  # noqa: BLE001
            g_err = e
        if (t_err is None) != (g_err is None):
            known = match_known(s, t_err, g_err, t_env, g_env)
            if known is not None:
                result.known.append(known.name)
                return result  # the rest of the program has no torch values to compare with
            if t_err is not None:
                return fail("no error", s.op, i, f"torch raises {_error(t_err)}; gradiente not")
            return fail("raises", s.op, i, f"gradiente raises {_error(g_err)}; torch does not")
        if t_err is not None:
            return result  # both raised: the program ends here
        last = s
        for name, t_val in t_env.items():
            for tv in _tensors(t_val):
                scale = max(scale, _magnitude(np.asarray(_numpy(tv))))
                LOW_PRECISION[0] |= str(tv.dtype) == "torch.float32"
            if name not in g_env:
                return fail("missing", s.op, i, f"gradiente did not define {name}")
            bad = compare_values(g_env[name], t_val, i + 1, scale)
            if bad:
                known = match_known(s, None, None, t_env, g_env, kind=bad[0])
                if known is not None:
                    result.known.append(known.name)
                    return result
                return fail(bad[0], s.op, i, f"{name}: {bad[1]}")
    if last is None:
        return result
    return compare_gradients(program, last, g_env, t_env, gradiente, torch, scale, result, fail)


def _targets(step, env):
    if step.out is None:
        names = [step.args[0].name]
    elif isinstance(step.out, tuple):
        names = list(step.out)
    else:
        names = [step.out.lstrip("*")]
    return [t for n in names for t in _tensors(env[n])]


def compare_gradients(program, last, g_env, t_env, gradiente, torch, scale, result, fail):
    """Backward from the last step's outputs with a random upstream gradient; compare grads."""
    n = len(program.steps)
    t_targets = [t for t in _targets(last, t_env) if t.dtype.is_floating_point and t.requires_grad]
    g_targets = [g for g in _targets(last, g_env) if g.dtype.is_floating_point and g.requires_grad]
    names = [x.name for x in program.inputs if x.requires_grad]
    if not t_targets or not names:
        return result
    rng = np.random.default_rng(program.seed)
    ups = [rng.standard_normal(tuple(t.shape)).astype(str(t.dtype)[6:]) for t in t_targets]
    g_err = t_err = None
    try:
        t_grads = torch.autograd.grad(
            t_targets, [t_env[k] for k in names], [torch.from_numpy(u) for u in ups],
            allow_unused=True,
        )  # fmt: skip
    except Exception as e:  # noqa: BLE001
        t_err = e
    try:
        g_grads = gradiente.autograd.grad(
            g_targets, [g_env[k] for k in names], [gradiente.from_numpy(u) for u in ups],
            allow_unused=True,
        )  # fmt: skip
    except Exception as e:  # noqa: BLE001
        g_err = e
    if t_err is not None and g_err is None:
        known = match_known(last, t_err, None, t_env, g_env, kind="backward")
        if known is not None:
            result.known.append(known.name)
            return result
        return fail("backward no error", last.op, n, f"torch raises {_error(t_err)}; gradiente not")
    if g_err is not None and t_err is None:
        return fail("backward raises", last.op, n, f"gradiente raises {_error(g_err)}")
    if t_err is not None:
        return result
    for u in ups:
        scale = max(scale, _magnitude(u))
    for t in t_grads:
        if t is not None:
            scale = max(scale, _magnitude(np.asarray(_numpy(t))))
    for name, g, t in zip(names, g_grads, t_grads, strict=True):
        if t is None:
            if g is not None and np.any(np.asarray(_numpy(g)) != 0):
                return fail("grad", last.op, n, f"d/d{name}: torch has none, gradiente nonzero")
            continue
        if g is None:
            if t.numel() == 0:
                continue
            return fail("grad None", last.op, n, f"d/d{name}: gradiente None, torch a tensor")
        size = max(x.array.size for x in program.inputs)
        bad = compare_tensors(g, t, n + 1, scale, signed_zeros=False, size=size)
        if bad:
            return fail("grad " + bad[0], last.op, n, f"d/d{name}: {bad[1]}")
    return result
