"""Snapshots of values and their comparison, and running a drawn program on gradiente.

``snap(value)`` turns what a step gave (a tensor, a tuple of tensors, a Python number, a
``Size``...) into plain data: for a tensor its dtype, shape, ``requires_grad``, strides and
values as float64 or integer numpy arrays. ``compare_program`` replays the program on gradiente
step by step and compares each step's snapshot with torch's, then every variable again at the end
(an alias torch has and gradiente lacks shows there), then the gradients of the float leaves
after a backward pass from a weighted sum of all float outputs.

A mismatch is ``(category, op, detail)``; ``category`` is one of ``value``, ``dtype``, ``shape``,
``requires_grad``, ``type``, ``nan``, ``error type``, ``gradiente raises``, ``no error``,
``grad``, ``grad none``, ``backward error`` (those fail), or ``message`` and ``stride`` (reported
only).
"""

from __future__ import annotations

import re

import numpy as np

from .builder import FLOATS, leaf

# unit roundoff per float dtype; a result may be off by a few of them per step
ULP = {"float64": 2.0**-52, "float32": 2.0**-23, "float16": 2.0**-10, "bfloat16": 2.0**-7}
REPORT_ONLY = {"message", "stride"}


def _dtype_name(t):
    return str(t.dtype).removeprefix("torch.")


def _to_numpy(t):
    """The values of a detached CPU tensor (torch's ZeroTensor too: ``force=True``)."""
    try:
        return t.numpy(force=True)
    except TypeError:  # a library whose numpy() takes no ``force``
        return t.numpy()


def snap(v):
    """Plain data for a value (see the module docstring)."""
    if hasattr(v, "detach") and hasattr(v, "dtype"):
        t = v.detach()
        name = _dtype_name(t)
        if name in ("bfloat16", "float16"):
            t = t.float()
        arr = np.array(_to_numpy(t), copy=True)
        return {
            "kind": "tensor",
            "dtype": name,
            "shape": tuple(v.shape),
            "grad": bool(v.requires_grad),
            "stride": tuple(v.stride()),
            "values": arr,
        }
    if isinstance(v, (tuple, list)):
        return {"kind": "seq", "items": [snap(x) for x in v]}
    if isinstance(v, (bool, int, float, str, type(None))):
        return {"kind": "py", "value": v}
    return {"kind": "other", "type": type(v).__name__}


def tolerance(dtypes, steps):
    """rtol for results of a program whose float dtypes are ``dtypes``: the coarsest decides."""
    ulp = max([ULP[d] for d in dtypes if d in ULP] or [2.0**-52])
    return 8 * ulp * (steps + 1)


def compare_snaps(a, b, rtol, scale, where=""):
    """Differences between torch's snapshot ``a`` and gradiente's ``b`` as (category, detail)."""
    if a["kind"] != b["kind"]:
        return [("type", f"{where} torch {a['kind']}, gradiente {b['kind']}")]
    if a["kind"] == "seq":
        if len(a["items"]) != len(b["items"]):
            return [("type", f"{where} lengths {len(a['items'])} vs {len(b['items'])}")]
        out = []
        for i, (x, y) in enumerate(zip(a["items"], b["items"], strict=True)):
            out += compare_snaps(x, y, rtol, scale, f"{where}[{i}]")
        return out
    if a["kind"] == "py":
        x, y = a["value"], b["value"]
        same = type(x) is type(y) and (x == y or (x != x and y != y))
        if not same and isinstance(x, float) and isinstance(y, float):
            same = abs(x - y) <= rtol * max(abs(x), scale)
        return [] if same else [("value", f"{where} torch {x!r}, gradiente {y!r}")]
    if a["kind"] == "other":
        return [] if a == b else [("type", f"{where} torch {a['type']}, gradiente {b['type']}")]
    return _compare_tensors(a, b, rtol, scale, where)


def _compare_tensors(a, b, rtol, scale, where):
    if a["dtype"] != b["dtype"]:
        return [("dtype", f"{where} torch {a['dtype']}, gradiente {b['dtype']}")]
    if a["shape"] != b["shape"]:
        return [("shape", f"{where} torch {a['shape']}, gradiente {b['shape']}")]
    if a["grad"] != b["grad"]:
        return [("requires_grad", f"{where} torch {a['grad']}, gradiente {b['grad']}")]
    out = []
    x, y = a["values"], b["values"]
    if a["dtype"] in FLOATS:
        out += _compare_floats(x.astype(np.float64), y.astype(np.float64), rtol, scale, where)
    elif not np.array_equal(x, y):
        out.append(("value", f"{where} torch {x.tolist()}, gradiente {y.tolist()}"))
    if a["stride"] != b["stride"] and 0 not in a["shape"]:
        out.append(("stride", f"{where} torch {a['stride']}, gradiente {b['stride']}"))
    return out


def _compare_floats(x, y, rtol, scale, where):
    if not np.array_equal(np.isnan(x), np.isnan(y)):
        return [("nan", f"{where} torch {x.tolist()}, gradiente {y.tolist()}")]
    fx, fy = np.nan_to_num(x, nan=0.0), np.nan_to_num(y, nan=0.0)
    inf = np.isinf(fx) | np.isinf(fy)
    ok = np.where(inf, fx == fy, np.abs(fx - fy) <= rtol * np.maximum(np.abs(fx), scale))
    if not ok.all():
        return [("value", f"{where} torch {x.tolist()}, gradiente {y.tolist()}")]
    return []


def _first_line(e):
    line = str(e).strip().splitlines()[0] if str(e).strip() else ""
    return re.sub(r" \(shapes \(.*\) and \(.*\)\)$", "", line)  # gradiente's broadcast suffix


def _magnitude(snaps):
    """The largest finite magnitude among the float values of ``snaps`` (at least 1)."""
    m = 1.0
    for s in snaps:
        if s.get("kind") == "seq":
            m = max(m, _magnitude(s["items"]))
        elif s.get("kind") == "tensor" and s["dtype"] in FLOATS and s["values"].size:
            v = np.abs(s["values"][np.isfinite(s["values"])])
            m = max(m, float(v.max(initial=0.0)))
    return m


class Outcome:
    """What one program gave: its mismatches (category, op, detail) and the step of each."""

    def __init__(self, program):
        self.program = program
        self.mismatches = []
        self.known = False  # a known difference was met (the comparison stopped there)

    def add(self, category, op, detail, step):
        self.mismatches.append((category, op, detail, step))

    def failing(self):
        return [m for m in self.mismatches if m[0] not in REPORT_ONLY]


def compare_program(program, lib, torch, known):
    """Run ``program`` on gradiente (``lib``) and compare with torch's run (see the module
    docstring). ``known(category, op, detail, program)`` returns a reason to skip a mismatch."""
    out = Outcome(program)
    dtypes = {x.dtype for x in program.leaves} | _step_dtypes(program)
    scale = _magnitude([s for step in program.snaps for s in step.values()])
    env = {"T": lib, "F": lib.nn.functional, "np": np, "leaf": leaf}

    def report(category, op, detail, step):
        if known(category, op, detail, program):
            out.known = True  # what follows may differ because of it: stop comparing here
        else:
            out.add(category, op, detail, step)

    for x in program.leaves:
        exec(x.source(), env)  # noqa: S102 - the program's own source
    for i, step in enumerate(program.steps):
        rtol = tolerance(dtypes, i + 1)
        torch_error = program.error[1] if program.error and program.error[0] == i else None
        try:
            exec(step.source, env)  # noqa: S102
        except Exception as e:  # noqa: BLE001
            if torch_error is None:
                report("gradiente raises", step.op, f"{type(e).__name__}: {e}", i)
            elif type(e).__name__ != type(torch_error).__name__:
                detail = f"torch {type(torch_error).__name__}, gradiente {type(e).__name__}: {e}"
                report("error type", step.op, detail, i)
            elif _first_line(e) != _first_line(torch_error):
                detail = f"torch {_first_line(torch_error)!r}\n   gradiente {_first_line(e)!r}"
                report("message", step.op, detail, i)
            return out
        if torch_error is not None:
            report("no error", step.op, f"torch raised {type(torch_error).__name__}", i)
            return out
        for name, ref in program.snaps[i].items():
            for cat, detail in compare_snaps(ref, snap(env[name]), rtol, scale, name):
                report(cat, step.op, detail, i)
        if out.failing() or out.known:
            return out
    _compare_final(program, env, out, report, tolerance(dtypes, len(program.steps) + 1), scale)
    if not (out.failing() or out.known):
        _compare_backward(program, env, lib, torch, report, dtypes, scale)
    return out


def _step_dtypes(program):
    found = set()
    for step in program.snaps:
        for s in step.values():
            if s.get("kind") == "tensor":
                found.add(s["dtype"])
    return found


def _compare_final(program, env, out, report, rtol, scale):
    """Every variable again after the last step: aliases torch has must be aliases here."""
    n = len(program.steps)
    for name in _names(program):
        ref = snap(program.env[name])
        for cat, detail in compare_snaps(ref, snap(env[name]), rtol, scale, name):
            report(cat, "end of program", detail, n)


def _names(program):
    names = [x.name for x in program.leaves]
    return names + [s.out for s in program.steps if s.out and s.out in program.env]


def _float_outputs(env, names, torch_side):
    """The tensors among ``names`` that are float, require grad and are not leaves."""
    found = []
    for name in names:
        v = env[name]
        items = v if isinstance(v, (tuple, list)) else [v]
        for j, t in enumerate(items):
            if hasattr(t, "requires_grad") and t.requires_grad and _dtype_name(t) in FLOATS:
                if not t.is_leaf:
                    found.append((f"{name}[{j}]", t))
    return found


def _backward(lib, env, names, seed):
    """Backward of sum(w · v) over the float outputs; returns the exception or None."""
    outs = _float_outputs(env, names, lib)
    if not outs:
        return "nothing"
    rng = np.random.default_rng(seed)
    total = None
    for _, t in outs:
        w = lib.tensor(rng.integers(-3, 4, tuple(t.shape)).astype(np.float64) / 2)
        term = (t.double() * w).sum()
        total = term if total is None else total + term
    try:
        total.backward()
    except Exception as e:  # noqa: BLE001
        return e
    return None


def _compare_backward(program, env, lib, torch, report, dtypes, scale):
    n = len(program.steps) + 1
    names = _names(program)
    t_err = _backward(torch, program.env, names, program.seed)
    try:
        g_err = _backward(lib, env, names, program.seed)
    except Exception as e:  # noqa: BLE001 - building the sum raised
        g_err = e
    if t_err == "nothing":
        return
    if isinstance(t_err, Exception) or isinstance(g_err, Exception):
        if not isinstance(t_err, Exception):
            report("backward error", "backward", f"gradiente {type(g_err).__name__}: {g_err}", n)
        elif not isinstance(g_err, Exception):
            report("backward error", "backward", f"torch raised {type(t_err).__name__}: {t_err}", n)
        elif type(t_err).__name__ != type(g_err).__name__:
            detail = f"torch {type(t_err).__name__}: {t_err}; gradiente {type(g_err).__name__}"
            report("backward error", "backward", detail, n)
        return
    rtol = tolerance(dtypes, n + 1)
    ops = ",".join(sorted({s.op for s in program.steps}))
    for x in program.leaves:
        if not x.requires_grad:
            continue
        a, b = program.env[x.name].grad, env[x.name].grad
        if (a is None) != (b is None):
            report("grad none", ops, f"{x.name}: torch {a is None}, gradiente {b is None}", n)
        elif a is not None:
            for cat, detail in compare_snaps(snap(a), snap(b), rtol, scale, f"{x.name}.grad"):
                report("grad " + cat if cat not in REPORT_ONLY else cat, ops, detail, n)
