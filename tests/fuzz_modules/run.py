"""Run one drawn program on torch and on gradiente, and compare what each recorded.

The program (``generate.py``) calls ``rec(label, value)`` for everything worth comparing: the
model's ``repr``, its initial ``state_dict``, and per training step the forward output, the
loss, every parameter's gradient, the parameters and buffers after the optimizer step, the
optimizer's ``state_dict`` and the scheduler's learning rates. ``Recorder`` turns each value
into plain NumPy/Python data at once (later in-place updates cannot change it); the torch run
goes first, and ``rec.sync(model)`` then loads torch's initial ``state_dict`` into gradiente's
model, so the training comparison starts from equal weights even when the initial values
differ (that difference is reported on its own, as a mismatch of ``init``).

Tolerances: the model's repr, the ``state_dict`` keys and order, integers, booleans, strings
and the initial weights (bit for bit) exactly; float64 values to ``rtol = 1e-9 · (step + 1)``,
float32 values to ``rtol = 1e-4 · (step + 1)``, each with ``atol = rtol · max(1, max |torch
value| of that tensor)``. NaN placement and infinities exactly.
"""

from __future__ import annotations

import functools
import warnings
from collections import Counter
from dataclasses import dataclass

import numpy as np

STATS = Counter()  # "truncated": programs whose comparison stopped at noise-level gradients


@dataclass
class Mismatch:
    kind: str  # "value", "dtype", "shape", "keys", "raises", "no error", "repr", ...
    label: str  # what was recorded: "init", "out", "loss", "grad", "params", "opt", "lr", ...
    where: str  # a path inside the value: a parameter name, "state/0/exp_avg", ...
    step: int
    message: str
    float32_only: bool = False  # float32 differs, the same program in float64 agrees

    @property
    def klass(self):
        prefix = "float32 only | " if self.float32_only else ""
        return f"{prefix}{self.kind}: {self.label} {self.where}".strip()

    def report(self, source=""):
        return f"{self.klass} (step {self.step}): {self.message}\n\n{source}"


@functools.cache
def helpers(lib):
    """The wrapper modules the programs use (``H.Residual`` ...), subclassing ``lib.nn.Module``."""
    nn = lib.nn

    class Residual(nn.Module):
        """x + f(x)."""

        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, x):
            return x + self.inner(x)

    class TakeFirst(nn.Module):
        """A recurrent layer's output sequence (``output[0]``), taking and giving (N, L, E)."""

        def __init__(self, rnn, batch_first=True):
            super().__init__()
            self.rnn = rnn
            self.batch_first = batch_first

        def forward(self, x):
            if not self.batch_first:
                return self.rnn(x.transpose(0, 1))[0].transpose(0, 1)
            return self.rnn(x)[0]

    def masks(x, mask, key_padding):
        n, length = x.shape[0], x.shape[1]
        attn = None
        if mask == "causal_bool":
            attn = lib.triu(lib.ones(length, length, dtype=lib.bool), diagonal=1)
        elif mask == "causal_float":
            attn = lib.triu(lib.full((length, length), float("-inf"), dtype=x.dtype), diagonal=1)
        padding = None
        if key_padding:
            rows = [[False] * length for _ in range(n)]
            rows[0][-1] = True
            padding = lib.tensor(rows)
        return attn, padding

    class SelfAttention(nn.Module):
        """Self-attention over (N, L, E) with an optional causal and key-padding mask."""

        def __init__(self, mha, batch_first, need_weights, mask, key_padding):
            super().__init__()
            self.mha = mha
            self.batch_first = batch_first
            self.need_weights = need_weights
            self.mask = mask
            self.key_padding = key_padding

        def forward(self, x):
            attn, padding = masks(x, self.mask, self.key_padding)
            if attn is not None and padding is not None and attn.dtype != padding.dtype:
                padding = lib.zeros(padding.shape, dtype=x.dtype).masked_fill(
                    padding, float("-inf")
                )
            q = x if self.batch_first else x.transpose(0, 1)
            out = self.mha(
                q, q, q, attn_mask=attn, key_padding_mask=padding, need_weights=self.need_weights
            )[0]
            return out if self.batch_first else out.transpose(0, 1)

    class Encoder(nn.Module):
        """A TransformerEncoderLayer with an optional causal and key-padding mask."""

        def __init__(self, layer, mask, key_padding):
            super().__init__()
            self.layer = layer
            self.mask = mask
            self.key_padding = key_padding

        def forward(self, x):
            attn, padding = masks(x, self.mask, self.key_padding)
            if attn is not None and padding is not None and attn.dtype != padding.dtype:
                padding = lib.zeros(padding.shape, dtype=x.dtype).masked_fill(
                    padding, float("-inf")
                )
            return self.layer(x, src_mask=attn, src_key_padding_mask=padding)

    class Decoder(nn.Module):
        """A TransformerDecoderLayer whose memory is its own input."""

        def __init__(self, layer, causal):
            super().__init__()
            self.layer = layer
            self.causal = causal

        def forward(self, x):
            mask = masks(x, "causal_bool", False)[0] if self.causal else None
            return self.layer(x, x, tgt_mask=mask, tgt_is_causal=self.causal)

    class Square(nn.Module):
        """A Bilinear layer applied to (x, x)."""

        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, x):
            return self.inner(x, x)

    class Namespace:
        pass

    ns = Namespace()
    for cls in (Residual, TakeFirst, SelfAttention, Encoder, Decoder, Square):
        setattr(ns, cls.__name__, cls)
    return ns


def _is_tensor(v):
    return hasattr(v, "dtype") and hasattr(v, "shape") and hasattr(v, "detach")


@dataclass
class Array:
    """A recorded tensor: dtype name, shape, requires_grad and a copy of its values."""

    dtype: str
    shape: tuple
    requires_grad: bool
    values: np.ndarray


# The device every recorded gradiente tensor must be on ("cuda:0" when the device variant runs
# gradiente on the stand-in CUDA device; None: not checked). A tensor elsewhere raises, and the
# comparison reports the program as raising.
EXPECT_DEVICE = [None, None]  # the device, and the label being recorded


def snapshot(v):
    """Plain data for a recorded value (tensors copied to NumPy)."""
    if _is_tensor(v):
        if EXPECT_DEVICE[0] and hasattr(v, "_data") and str(v.device) != EXPECT_DEVICE[0]:
            # torch keeps an optimizer's step counters (0-d) on the CPU for CUDA parameters
            if not (EXPECT_DEVICE[1] == "opt" and v.ndim == 0):
                raise AssertionError(f"a recorded tensor is on {v.device}, not {EXPECT_DEVICE[0]}")
        return Array(
            str(v.dtype),
            tuple(v.shape),
            bool(v.requires_grad),
            np.array(v.detach().cpu().numpy(), copy=True),
        )
    if isinstance(v, dict):
        return {"__keys__": list(v.keys()), **{k: snapshot(x) for k, x in v.items()}}
    if isinstance(v, (list, tuple)):
        return [snapshot(x) for x in v]
    return v


class Recorder:
    """Collects ``(step, label, value)`` entries; ``sync`` hands torch's weights over."""

    def __init__(self, lib, initial=None, saved=None):
        self.lib = lib
        self.saved = [] if saved is None else list(saved)  # torch's reloaded state_dicts
        self.entries = []
        self.step = -1
        self.initial = initial  # torch's initial state_dict (None in the torch run)
        self.modules = []
        self.error = None
        self.initial_run = initial is None

    def __call__(self, label, value):
        EXPECT_DEVICE[1] = label
        self.entries.append((self.step, label, snapshot(value)))

    def sync(self, model):
        self.modules = [_module_name(m) for m in model.children()]
        if self.initial is None:
            self.initial = {
                k: v.detach().cpu().numpy().copy() for k, v in model.state_dict().items()
            }
        else:
            state = {k: self.lib.tensor(v) for k, v in self.initial.items()}
            model.load_state_dict(state)

    def reload(self, opt, sched):
        """Load an optimizer's (and scheduler's) state_dict: in the torch run its own (saved
        for gradiente, as arrays), in the gradiente run torch's: a checkpoint moved across."""
        if self.initial_run:
            states = [_to_arrays(opt.state_dict()), sched and _to_arrays(sched.state_dict())]
            self.saved.append(states)
        else:
            states = self.saved.pop(0)
        opt.load_state_dict(_from_arrays(states[0], self.lib))
        if sched is not None:
            sched.load_state_dict(_from_arrays(states[1], self.lib))


def _to_arrays(v):
    if _is_tensor(v):
        return Array(str(v.dtype), tuple(v.shape), False, v.detach().cpu().numpy().copy())
    if isinstance(v, dict):
        return {k: _to_arrays(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_to_arrays(x) for x in v]
    if isinstance(v, tuple):
        return tuple(_to_arrays(x) for x in v)
    return v


def _from_arrays(v, lib):
    if isinstance(v, Array):
        return lib.tensor(v.values.copy())
    if isinstance(v, dict):
        return {k: _from_arrays(x, lib) for k, x in v.items()}
    if isinstance(v, list):
        return [_from_arrays(x, lib) for x in v]
    if isinstance(v, tuple):
        return tuple(_from_arrays(x, lib) for x in v)
    return v


def _module_name(m):
    name = type(m).__name__
    inner = [c for c in m.children()]
    if name in ("Residual", "TakeFirst", "SelfAttention", "Encoder", "Decoder", "Square") and inner:
        return f"{name}[{_module_name(inner[0])}]"
    return name


def run_program(source, lib, initial=None, saved=None):
    """Execute the program with ``lib``; the Recorder (``error`` set if it raised)."""
    namespace = {"np": np, "helpers": helpers}
    exec(compile(source, "<fuzz program>", "exec"), namespace)
    rec = Recorder(lib, initial, saved)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            namespace["program"](lib, rec)
        except Exception as e:  # noqa: BLE001
            rec.error = e
    return rec


# ---------------------------------------------------------------------------------- compare


def _tolerance(dtype, step, exact):
    if exact:
        return 0.0
    factor = max(step, 0) + 1
    return (1e-9 if dtype == "torch.float64" else 1e-4) * factor


def compare_arrays(g, t, step, exact=False, scale=1.0):
    """None, or (kind, message) for two recorded tensors."""
    if g.dtype != t.dtype:
        return "dtype", f"dtype {g.dtype}, torch {t.dtype}"
    if g.shape != t.shape:
        return "shape", f"shape {g.shape}, torch {t.shape}"
    if g.requires_grad != t.requires_grad:
        return "requires_grad", f"requires_grad {g.requires_grad}, torch {t.requires_grad}"
    a, e = g.values, t.values
    if e.dtype.kind != "f":
        if not np.array_equal(a, e):
            return "value", f"values\n{a}\ntorch\n{e}"
        return None
    if exact:
        if not np.array_equal(a, e, equal_nan=True):
            diff = np.abs(a.astype(np.float64) - e)
            return "value", f"not bit-equal (max diff {np.nanmax(diff):.3g})\n{a}\ntorch\n{e}"
        return None
    if not np.array_equal(np.isnan(a), np.isnan(e)):
        return "nan", f"NaN placement differs\n{a}\ntorch\n{e}"
    if not np.array_equal(a[np.isinf(e)], e[np.isinf(e)]) or np.isinf(a).sum() != np.isinf(e).sum():
        return "value", f"infinities differ\n{a}\ntorch\n{e}"
    rtol = _tolerance(t.dtype, step, exact)
    finite = np.isfinite(e)
    ef = e[finite].astype(np.float64)
    scale = max(1.0, scale, float(np.abs(ef).max(initial=0.0)))
    err = np.abs(a[finite].astype(np.float64) - ef)
    bound = rtol * scale + rtol * np.abs(ef)
    if np.any(err > bound):
        worst = float((err / np.maximum(bound / rtol, 1e-300)).max())
        return (
            "value",
            f"values differ (worst relative error {worst:.3g}, rtol {rtol:.3g})\n{a}\ntorch\n{e}",
        )
    return None


def magnitude(v):
    """The largest finite magnitude in a snapshot (the scale of its absolute tolerance)."""
    if isinstance(v, Array):
        if v.values.dtype.kind != "f" or v.values.size == 0:
            return 0.0
        return float(np.abs(v.values[np.isfinite(v.values)]).max(initial=0.0))
    if isinstance(v, dict):
        return max([magnitude(x) for k, x in v.items() if k != "__keys__"], default=0.0)
    if isinstance(v, list):
        return max([magnitude(x) for x in v], default=0.0)
    return 0.0


def compare_values(g, t, step, path, exact=False, scale=1.0):
    """None, or (kind, path, message): the first difference of two snapshots."""
    if isinstance(t, Array):
        if not isinstance(g, Array):
            return "type", path, f"{type(g).__name__}, torch a tensor"
        bad = compare_arrays(g, t, step, exact, scale)
        return (bad[0], path, bad[1]) if bad else None
    if isinstance(t, dict):
        if not isinstance(g, dict):
            return "type", path, f"{type(g).__name__}, torch a dict"
        if g["__keys__"] != t["__keys__"]:
            return "keys", path, f"keys {g['__keys__']}\ntorch {t['__keys__']}"
        for k in t["__keys__"]:
            bad = compare_values(g[k], t[k], step, f"{path}/{k}".lstrip("/"), exact, scale)
            if bad:
                return bad
        return None
    if isinstance(t, list):
        if not isinstance(g, list) or len(g) != len(t):
            return "structure", path, f"{g!r}, torch {t!r}"
        for i, (gi, ti) in enumerate(zip(g, t, strict=True)):
            bad = compare_values(gi, ti, step, f"{path}/{i}".lstrip("/"), exact, scale)
            if bad:
                return bad
        return None
    if isinstance(t, float) and isinstance(g, (float, int)) and not isinstance(g, bool):
        if t != t and g != g:
            return None
        rtol = _tolerance("torch.float64" if exact else "python", step, exact)
        if abs(g - t) > rtol * (1 + abs(t)):
            return "value", path, f"{g!r}, torch {t!r}"
        if type(g) is not type(t):
            return "type", path, f"{type(g).__name__} {g!r}, torch {type(t).__name__} {t!r}"
        return None
    if type(g) is not type(t) or g != t:
        return "value" if type(g) is type(t) else "type", path, f"{g!r}, torch {t!r}"
    return None


def _locate(path, modules):
    """'3.weight' -> 'Conv2d.weight' (the top-level module's class instead of its index)."""
    head, _, rest = path.partition("/")
    first, dot, tail = head.partition(".")
    if first.isdigit() and int(first) < len(modules):
        head = f"{modules[int(first)]}{dot}{tail}"
    return head if not rest else f"{head}/{_generic(rest)}"


def _generic(rest):
    parts = rest.split("/")
    return "/".join("N" if p.isdigit() else p for p in parts)


def compare_source(source, gradiente=None, torch=None, dtype=None):
    """Run ``source`` with torch, then gradiente; the first Mismatch or None.

    A float32 program that mismatches is run again in float64: when that agrees, the mismatch
    is marked ``float32_only`` (rounding amplified by an ill-conditioned model, usually: a
    normalisation over a nearly constant channel, a ReLU or max at a rounding-level tie)."""
    m = _compare_once(source, gradiente, torch)
    f32 = "DT = lib.float32"
    if m is not None and f32 in source:
        again = _compare_once(source.replace(f32, "DT = lib.float64"), gradiente, torch)
        m.float32_only = again is None
    return m


def _compare_once(source, gradiente=None, torch=None):
    if gradiente is None:
        import gradiente
    if torch is None:
        import torch
    t = run_program(source, torch)
    g = run_program(source, gradiente, initial=t.initial or {}, saved=t.saved)
    modules = t.modules or g.modules
    scale_free = not any(f"lib.optim.{name}(" in source for name in ("SGD", "ASGD"))
    for t_entry, g_entry in zip(t.entries, g.entries, strict=False):
        step, label, tv = t_entry
        g_step, g_label, gv = g_entry
        if (g_step, g_label) != (step, label):
            return Mismatch(
                "order", label, "", step, f"gradiente recorded {g_label} at step {g_step}"
            )
        if label in ("repr", "opt_repr"):
            if gv != tv:
                return Mismatch("repr", label, "", step, f"gradiente\n{gv}\ntorch\n{tv}")
            continue
        exact = label == "init"
        where = "opt" if label == "opt" else ""
        scale = magnitude(tv) if label in ("grad", "params", "opt") else 1.0
        bad = compare_values(gv, tv, step, where, exact, scale)
        if not bad and label == "grad" and scale_free and _noise_level(gv, tv):
            STATS["truncated"] += 1
            return None
        if bad:
            kind, path, message = bad
            if label == "opt":
                path = _generic(path)
            elif label in ("init", "grad", "params"):
                path = _locate(path, modules)
            return Mismatch(kind, label, path, step, message)
    nt, ng = len(t.entries), len(g.entries)
    if nt == ng and (t.error is None) == (g.error is None):
        return None
    last = t.entries[min(nt, ng) - 1] if min(nt, ng) else (-1, "start", None)
    if t.error is not None and g.error is None and ng > nt:
        return Mismatch(
            "no error", "after " + last[1], "", last[0], f"torch raises {_err(t.error)}"
        )
    if g.error is not None and (t.error is None or nt > ng):
        return Mismatch(
            "raises", "after " + last[1], "", last[0], f"gradiente raises {_err(g.error)}"
        )
    return Mismatch("entries", last[1], "", last[0], f"gradiente {ng} entries, torch {nt}")


def _noise_level(g, t):
    """True when some gradient element agrees only within the absolute tolerance: a value that
    is 0 in exact arithmetic (a Linear bias before a BatchNorm) and rounding noise in each
    library (relative error above 1e-6 in float64, 1e-3 in float32). Scale-free optimizers
    (all but SGD and ASGD: Adam, Rprop, ...) turn such noise into steps of size lr, so the
    comparison of such a program stops after the gradients."""
    for key in t["__keys__"]:
        a, e = g[key], t[key]
        if not isinstance(e, Array) or not isinstance(a, Array) or e.values.dtype.kind != "f":
            continue
        err = np.abs(a.values.astype(np.float64) - e.values)
        finite = np.isfinite(err)
        rtol = 1e-6 if e.values.dtype == np.float64 else 1e-3
        if np.any(err[finite] > rtol * np.abs(e.values[finite])):
            return True
    return False


def _err(e):
    text = str(e).splitlines()[0][:200] if str(e) else ""
    return f"{type(e).__name__}: {text}"
