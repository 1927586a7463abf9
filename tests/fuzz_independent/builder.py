"""Drawing one random program as Python source, run on torch line by line as it is drawn.

A program is a list of input tensors (``Leaf``: numpy values, a dtype, a memory layout and
``requires_grad``) and a list of ``Step`` lines of Python source over the names ``T`` (the
library: torch or gradiente), ``F`` (its ``nn.functional``) and earlier variables. Every line is
executed on torch right after it is drawn, so the next op is drawn for the shapes and dtypes the
program really has. A step torch rejects ends the program: gradiente must then raise the same
exception type. The torch values seen after each step are kept as the reference (``snap``).

Variables are referred to by expressions: ``v3`` or, for an op returning several tensors,
``v3[1]``. Layouts of the leaves (``LAYOUTS``) are built from a base array so that the logical
values are the drawn ones while the strides are those of a transposed, stepped, expanded,
permuted or channels-last tensor.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from hypothesis import strategies as st

FLOATS = ("float32", "float64", "float16", "bfloat16")
DTYPES = FLOATS + ("int64", "int32", "bool", "uint8")
DTYPE_WEIGHTS = (6, 4, 1, 1, 3, 1, 1, 1)
LAYOUTS = ("contiguous", "transposed", "stepped", "expanded", "permuted", "channels_last")
LAYOUT_WEIGHTS = (10, 2, 2, 1, 2, 1)
SCALARS = (0, 1, 2, 3, -1, -2, 0.5, -1.5, 2.5, 0.0, -0.0, 1e-3, True, False)


@dataclass(eq=False)
class Leaf:
    """An input tensor: logical values ``array``, its dtype, layout and requires_grad."""

    name: str
    array: np.ndarray
    dtype: str
    layout: str
    requires_grad: bool
    perm: tuple = ()  # "permuted": the permutation; "expanded": the expanded dims

    def source(self):
        """``name = leaf(T, np.array(...), 'dtype', 'layout', perm, requires_grad)``."""
        arr = np.array2string(self.array, separator=", ", threshold=10**6, floatmode="unique")
        arr = arr.replace("nan", "np.nan").replace("inf", "np.inf")
        return (
            f"{self.name} = leaf(T, np.array({arr}, dtype=np.{self.array.dtype}).reshape("
            f"{self.array.shape}), {self.dtype!r}, {self.layout!r}, {self.perm}, "
            f"{self.requires_grad})"
        )


def leaf(lib, array, dtype, layout, perm, requires_grad):
    """The leaf tensor of ``lib`` holding ``array`` (logical values) in the given layout."""
    target = getattr(lib, dtype)

    def make(base):
        t = lib.tensor(np.array(base, order="C"))
        return t if t.dtype == target else t.to(target)

    if layout == "transposed":
        t = make(np.swapaxes(array, -1, -2)).transpose(-1, -2)
    elif layout == "stepped":
        base = np.concatenate([array[:, None], array[:, None]], axis=1)  # rows doubled
        t = make(base.reshape((2 * array.shape[0],) + array.shape[1:]))[::2]
    elif layout == "expanded":
        # ``perm`` lists the dims along which the values are constant
        squeezed = array[
            tuple(slice(0, 1) if d in perm else slice(None) for d in range(array.ndim))
        ]
        t = make(squeezed).expand(array.shape)
    elif layout in ("permuted", "channels_last"):
        inverse = tuple(int(i) for i in np.argsort(perm))
        t = make(np.transpose(array, perm)).permute(*inverse)
    else:
        t = make(array)
    return t.detach().requires_grad_(requires_grad)


@dataclass(eq=False)
class Step:
    """One line of source: ``out = expr`` (``out`` set) or a statement (``touched`` names)."""

    source: str
    op: str  # the class label of the op ("T.sum", "F.conv2d", "setitem", ...)
    out: str | None = None
    touched: tuple = ()


@dataclass(eq=False)
class Program:
    leaves: list
    steps: list
    seed: int
    snaps: list = field(default_factory=list)  # torch's values after each step
    error: object = None  # (step index, exception) when torch rejected the last step

    def source(self, mark=None):
        """The program as a script that reproduces it (``leaf`` from builder.py)."""
        lines = [
            "import numpy as np",
            "import torch as T  # or: import gradiente as T",
            "F = T.nn.functional",
            "from tests.fuzz_independent.builder import leaf",
            "",
        ]
        lines += [x.source() for x in self.leaves]
        for i, s in enumerate(self.steps):
            lines.append(s.source + ("  # <- here" if i == mark else ""))
        return "\n".join(lines)


class Builder:
    """Draws leaves and steps with Hypothesis' ``data``; runs each step on torch as it goes."""

    def __init__(self, data, torch, max_steps):
        self.data, self.torch = data, torch
        self.max_steps = max_steps
        self.seed = data.draw(st.integers(0, 2**31 - 1))
        self.rng = np.random.default_rng(self.seed)
        self.leaves, self.steps, self.snaps = [], [], []
        self.env = {"T": torch, "F": torch.nn.functional, "np": np, "leaf": leaf}
        self.exprs = []  # expressions naming tensors, oldest first
        self.error = None
        self.n = 0

    # -- drawing helpers -------------------------------------------------------------------
    def draw(self, strategy):
        return self.data.draw(strategy)

    def choice(self, seq):
        return self.draw(st.sampled_from(list(seq)))

    def integer(self, lo, hi):
        return self.draw(st.integers(lo, hi))

    def maybe(self, p=0.5):
        return self.draw(st.integers(0, 99)) < int(p * 100)

    def weighted(self, items, weights):
        return self.choice([i for i, w in zip(items, weights, strict=True) for _ in range(w)])

    def name(self):
        self.n += 1
        return f"v{self.n}"

    def scalar(self):
        if self.maybe(0.04):
            return self.choice([float("inf"), float("-inf"), float("nan")])
        return self.choice(SCALARS)

    # -- values and leaves -----------------------------------------------------------------
    def values(self, shape, dtype, positive=False, special=0.0):
        """Values of ``shape``: small integers, quarter steps, some uniform floats, and with
        probability ``special`` per element NaN, ±inf or signed zeros."""
        rng, size = self.rng, int(np.prod(shape, dtype=np.int64))
        if dtype == "bool":
            return (rng.random(size) < 0.5).reshape(shape)
        if dtype in ("int64", "int32", "uint8"):
            lo = 0 if positive or dtype == "uint8" else -5
            return rng.integers(lo, 6, size).astype(dtype).reshape(shape)
        grid = rng.integers(-12, 13, size) / 4.0
        vals = np.where(rng.random(size) < 0.7, grid, rng.uniform(-3, 3, size))
        if positive:
            vals = np.abs(vals) + 0.25
        if special:
            specials = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0])
            mask = rng.random(size) < special
            vals = np.where(mask, specials[rng.integers(0, 5, size)], vals)
        return vals.astype(np.float64 if dtype == "float64" else np.float32).reshape(shape)

    def shape(self, min_rank=0, max_rank=4, max_dim=4, zero=0.05):
        rank = self.integer(min_rank, max_rank)
        return tuple(0 if self.maybe(zero) else self.integer(1, max_dim) for _ in range(rank))

    def dtype(self, pool=DTYPES, weights=None):
        if weights is None:
            weights = [DTYPE_WEIGHTS[DTYPES.index(d)] for d in pool]
        return self.weighted(pool, weights)

    def new_leaf(self, shape=None, dtype=None, positive=False, layout=None, grad=None):
        """A new input tensor; returns its name."""
        shape = self.shape() if shape is None else tuple(shape)
        dtype = dtype or self.dtype()
        layouts = [
            lay
            for lay in LAYOUTS
            if not (lay == "transposed" and len(shape) < 2)
            and not (lay == "stepped" and len(shape) < 1)
            and not (lay == "channels_last" and len(shape) != 4)
            and not (lay == "permuted" and len(shape) < 2)
        ]
        if layout is None:
            layout = self.weighted(layouts, [LAYOUT_WEIGHTS[LAYOUTS.index(x)] for x in layouts])
        special = self.choice([0.0, 0.0, 0.0, 0.0, 0.1]) if dtype in FLOATS else 0.0
        array = self.values(shape, dtype, positive, special)
        if layout == "expanded":  # constant along some dims of size > 1
            perm = tuple(d for d in range(len(shape)) if shape[d] > 1 and self.maybe())
            keep = tuple(slice(0, 1) if d in perm else slice(None) for d in range(len(shape)))
            array = np.broadcast_to(array[keep], shape).copy()
        else:
            perm = ()
        if layout == "channels_last":
            perm = (0, 2, 3, 1)
        elif layout == "permuted":
            perm = tuple(int(i) for i in self.rng.permutation(len(shape)))
        if grad is None:
            grad = dtype in FLOATS and self.maybe(0.8)
        x = Leaf(self.name().replace("v", "x"), array, dtype, layout, grad, perm)
        self.leaves.append(x)
        exec(x.source(), self.env)  # noqa: S102 - the program's own source
        self.exprs.append(x.name)
        return x.name

    # -- variables -------------------------------------------------------------------------
    def value(self, expr):
        return eval(expr, self.env)  # noqa: S307 - the program's own source

    def shape_of(self, expr):
        return tuple(self.value(expr).shape)

    def dtype_of(self, expr):
        return str(self.value(expr).dtype).removeprefix("torch.")

    def tensors(self, pred=None):
        return [e for e in self.exprs if pred is None or pred(self.value(e))]

    def pick(self, pred=None):
        """A tensor expression, usually the newest (``pred`` filters); None when none fits."""
        ts = self.tensors(pred)
        if not ts:
            return None
        return ts[-1] if self.maybe(0.6) or len(ts) == 1 else self.choice(ts[:-1])

    def full(self):
        return self.error is not None or len(self.steps) >= self.max_steps

    # -- steps -----------------------------------------------------------------------------
    def run(self, source, op, out=None, touched=()):
        """Append a step and run it on torch; returns False when torch raised."""
        from .compare import snap

        step = Step(source, op, out, tuple(touched))
        self.steps.append(step)
        try:
            exec(source, self.env)  # noqa: S102 - the program's own source
        except Exception as e:  # noqa: BLE001 - torch rejected it: the program ends here
            self.error = (len(self.steps) - 1, e)
            self.snaps.append({})
            return False
        names = ([out] if out else []) + list(touched)
        self.snaps.append({n: snap(self.env[n]) for n in names})
        if out:
            self._register(out, self.env[out])
        return True

    def _register(self, expr, value):
        torch = self.torch
        if isinstance(value, torch.Tensor):
            self.exprs.append(expr)
        elif isinstance(value, (tuple, list)) and len(value) <= 8:
            for i, v in enumerate(value):
                if isinstance(v, torch.Tensor):
                    self.exprs.append(f"{expr}[{i}]")

    def expr(self, source, op):
        """A step ``v = source``; returns the new name (None when torch raised)."""
        out = self.name()
        return out if self.run(f"{out} = {source}", op, out=out) else None

    def program(self):
        p = Program(self.leaves, self.steps, self.seed, self.snaps, self.error)
        p.env = self.env
        return p
