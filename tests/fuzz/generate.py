"""Random small programs for the differential fuzzer, one Hypothesis generator per op family.

A ``Builder`` draws a program step by step from Hypothesis' interactive ``data`` object and runs
each step on torch as it goes, so the next op is drawn for the shapes and dtypes the program
really has (a reduction over a dim that exists, a matmul with matching sizes...). Invalid
programs are still drawn on purpose now and then (a wrong dim, a mismatched shape): torch raises
there, and gradiente must raise too. Generation stops at the first step torch rejects.

Values come mostly from a grid of exact binary fractions (k/4), so float32 and float64 arithmetic
is exact in many ops and a last-ulp difference rarely flips a later floor or comparison; the
rest are uniform floats and, with a drawn density, NaN, ±inf and signed zeros.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from .generate_more import MORE_FAMILIES
from .generate_nn import NN_FAMILIES
from .program import DType, Input, Lit, Program, Step, Var

UNARY = [
    "neg", "abs", "exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "relu", "floor",
    "ceil", "round", "trunc", "sign", "reciprocal", "rsqrt", "square", "log1p", "expm1",
    "frac", "erf", "atan", "asin", "sinh", "log2", "exp2", "isnan", "isinf", "isfinite",
    "logical_not", "signbit", "nan_to_num", "bitwise_not",
]  # fmt: skip
BINARY_OPS = ["+", "-", "*", "/", "//", "%", "**", "<", "<=", ">", ">=", "==", "!=", "&", "|", "^"]
BINARY_FUNCS = [
    "maximum", "minimum", "fmax", "fmin", "atan2", "fmod", "remainder", "hypot", "logaddexp",
    "logical_and", "logical_or", "logical_xor", "copysign", "heaviside", "xlogy",
]  # fmt: skip
SCALARS = [0, 1, 2, 3, -1, -2, 0.5, -0.5, 2.5, 0.0, -0.0, 1e-3, True, False, 100.5]
INPLACE = ["add_", "sub_", "mul_", "div_", "clamp_", "neg_", "abs_", "exp_", "zero_", "fill_"]
REDUCE_DIM = ["sum", "mean", "prod", "amax", "amin", "std", "var", "logsumexp", "norm", "nansum"]
REDUCE_PAIR = ["max", "min", "median", "cummax", "cummin"]  # (values, indices) with a dim
SCAN = ["cumsum", "cumprod", "logcumsumexp"]


class Builder:
    """Draws a program step by step; ``self.env`` holds the torch values of its variables."""

    def __init__(self, data, torch, max_steps):
        self.data = data
        self.torch = torch
        self.inputs = []
        self.steps = []
        self.env = {}
        self.n = 0
        self.done = False
        self.max_steps = max_steps
        self.seed = self.draw(st.integers(0, 2**31 - 1))
        self.rng = np.random.default_rng(self.seed)

    # -- drawing helpers ----------------------------------------------------------------
    def draw(self, strategy):
        return self.data.draw(strategy)

    def choice(self, seq):
        return self.draw(st.sampled_from(list(seq)))

    def integer(self, lo, hi):
        return self.draw(st.integers(lo, hi))

    def maybe(self, p=0.5):
        """True with probability about ``p`` (a Hypothesis-shrinkable draw)."""
        return self.draw(st.integers(0, 99)) < int(p * 100)

    def name(self, prefix="v"):
        self.n += 1
        return f"{prefix}{self.n}"

    # -- values ---------------------------------------------------------------------
    def array(self, shape, dtype, special=None, positive=False):
        """Values of the given shape and dtype (see the module docstring for the mix)."""
        rng = self.rng
        size = int(np.prod(shape)) if shape else 1
        if dtype == "bool":
            return (rng.random(size) < 0.5).reshape(shape)
        if dtype == "int64":
            lo = 0 if positive else -5
            return rng.integers(lo, 6, size).astype(np.int64).reshape(shape)
        if special is None:
            special = self.choice([0.0, 0.0, 0.1, 0.3])
        grid = rng.integers(-12, 13, size) / 4.0
        uniform = rng.uniform(-3.0, 3.0, size)
        values = np.where(rng.random(size) < 0.75, grid, uniform)
        if positive:
            values = np.abs(values) + 0.25
        specials = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0])
        mask = rng.random(size) < special
        values = np.where(mask, specials[rng.integers(0, 5, size)], values)
        return values.astype(dtype).reshape(shape)

    def shape(self, min_rank=0, max_rank=3, zero=0.08, max_dim=4):
        rank = self.integer(min_rank, max_rank)
        return tuple(0 if self.maybe(zero) else self.integer(1, max_dim) for _ in range(rank))

    def broadcast_shape(self, shape):
        """A shape that broadcasts with ``shape`` (dims kept or set to 1, leading ones dropped)."""
        if self.maybe(0.05):
            return self.shape()  # possibly incompatible: torch raises, gradiente must too
        out = [1 if self.maybe(0.3) else d for d in shape]
        drop = self.integer(0, len(out))
        out = out[drop:]
        if self.maybe(0.15):
            out = [self.integer(1, 3)] + out
        return tuple(out)

    def dtype(self, allowed=("float32", "float64", "int64", "bool"), weights=(4, 4, 2, 1)):
        pool = [d for d, w in zip(allowed, weights, strict=False) for _ in range(w)]
        return self.choice(pool)

    def add_input(self, shape, dtype, requires_grad=None, **kw):
        array = self.array(shape, dtype, **kw)
        if requires_grad is None:
            requires_grad = dtype.startswith("float") and self.maybe(0.85)
        x = Input(self.name("x"), array, requires_grad)
        self.inputs.append(x)
        from .program import make_input

        self.env[x.name] = make_input(self.torch, x)
        return Var(x.name)

    def lit(self, array):
        return Lit(np.asarray(array))

    # -- steps ----------------------------------------------------------------------
    def add(self, step):
        """Append ``step`` and run it on torch; returns its output Var (or None)."""
        from .program import run_step

        self.steps.append(step)
        try:
            run_step(self.torch, self.env, step)
        except Exception:  # noqa: BLE001 - torch rejected it: the program ends here
            self.done = True
            return None
        if isinstance(step.out, str):
            return Var(step.out.lstrip("*"))
        if isinstance(step.out, tuple):
            return Var(step.out[0])
        return step.args[0] if step.args and isinstance(step.args[0], Var) else None

    def call(self, fn, *args, **kwargs):
        return self.add(Step("func", fn, args, kwargs, out=self.name()))

    def method(self, fn, *args, **kwargs):
        return self.add(Step("method", fn, args, kwargs, out=self.name()))

    def value(self, var):
        return self.env[var.name]

    def tensors(self):
        """Variables holding tensors, newest first."""
        names = [k for k, v in self.env.items() if isinstance(v, self.torch.Tensor)]
        return [Var(k) for k in reversed(names)]

    def pick(self):
        """A tensor variable, usually the newest one."""
        ts = self.tensors()
        return ts[0] if self.maybe(0.7) or len(ts) == 1 else self.choice(ts[1:])

    def full(self):
        return self.done or len(self.steps) >= self.max_steps

    def program(self):
        return Program(self.inputs, self.steps, seed=self.seed)

    # -- common op pieces ---------------------------------------------------------------
    def dim_arg(self, ndim, allow_none=False, allow_tuple=False):
        """A dim for a tensor of rank ``ndim``: positive, negative, sometimes out of range."""
        hi = max(ndim, 1)
        if allow_none and self.maybe(0.2):
            return None
        if allow_tuple and ndim >= 2 and self.maybe(0.2):
            dims = self.draw(st.lists(st.integers(-ndim, ndim - 1), min_size=1, max_size=ndim))
            return tuple(dims)
        if self.maybe(0.03):
            return hi  # out of range
        return self.integer(-hi, hi - 1)

    def scalar(self):
        return self.choice(SCALARS + [float("nan"), float("inf")])

    def other_operand(self, var):
        """A second operand for a binary op: a scalar, an existing tensor or a new input."""
        r = self.integer(0, 9)
        if r < 3:
            return self.scalar()
        ts = self.tensors()
        if r < 5 and len(ts) > 1:
            return self.choice(ts)
        shape = self.broadcast_shape(tuple(self.value(var).shape))
        return self.add_input(shape, self.dtype())

    # -- op groups (each appends one step) ----------------------------------------------
    def elementwise(self, var=None):
        var = var if var is not None else self.pick()
        r = self.integer(0, 12)
        if r < 3:
            fn = self.choice(UNARY)
            if self.maybe(0.3):
                return self.method(fn, var)
            return self.call(fn, var)
        if r < 7:
            op = self.choice(BINARY_OPS)
            other = self.other_operand(var)
            args = (other, var) if not isinstance(other, Var) and self.maybe(0.4) else (var, other)
            if self.maybe(0.1):
                return self.add(Step("unop", self.choice(["-", "~"]), (var,), out=self.name()))
            return self.add(Step("binop", op, args, out=self.name()))
        if r < 8:
            fn = self.choice(BINARY_FUNCS)
            return self.call(fn, var, self.other_operand(var))
        if r < 9:
            cond = self.add_input(self.broadcast_shape(tuple(self.value(var).shape)), "bool")
            other = self.other_operand(var)
            return (
                self.call("where", cond, var, other)
                if self.maybe()
                else self.call("where", cond, other, var)
            )
        if r < 10:
            lo = self.choice([None, -1, -0.5, 0, 1.5])
            hi = self.choice([None, 1, 0.5, 2, -1])
            if self.maybe(0.2):
                shape = self.broadcast_shape(tuple(self.value(var).shape))
                lo = self.add_input(shape, self.dtype(("float32", "float64", "int64"), (1, 1, 1)))
            return self.call("clamp", var, min=lo, max=hi)
        if r < 11:
            fn = self.choice(["F.relu", "F.gelu", "F.silu", "F.elu", "F.leaky_relu", "F.softplus",
                              "F.hardtanh", "F.logsigmoid", "sigmoid", "tanh"])  # fmt: skip
            return self.call(fn, var)
        return self.inplace(var)

    def nonleaf(self, var):
        """``var`` itself when it is not a leaf requiring grad, else ``var * 1`` (a clone)."""
        t = self.value(var)
        if t.is_leaf and t.requires_grad:
            return self.add(Step("binop", "*", (var, 1), out=self.name()))
        return var

    def inplace(self, var):
        var = self.nonleaf(var)
        if var is None:
            return None
        fn = self.choice(INPLACE)
        if fn in ("add_", "sub_", "mul_", "div_"):
            args = (var, self.other_operand(var))
        elif fn == "clamp_":
            args = (var, self.choice([-1, 0, 0.5]))
        elif fn == "fill_":
            args = (var, self.scalar())
        else:
            args = (var,)
        if self.maybe(0.3) and fn in ("add_", "sub_", "mul_", "div_"):
            op = {"add_": "+", "sub_": "-", "mul_": "*", "div_": "/"}[fn]
            return self.add(Step("iop", op, args))
        return self.add(Step("method", fn, args, out=self.name()))

    def reduction(self, var=None):
        var = var if var is not None else self.pick()
        nd = self.value(var).ndim
        r = self.integer(0, 9)
        keep = self.maybe(0.3)
        if r < 5:
            fn = self.choice(REDUCE_DIM)
            dim = self.dim_arg(nd, allow_none=True, allow_tuple=fn not in ("norm",))
            kwargs = {}
            if dim is not None:
                kwargs = {"dim": dim, "keepdim": keep}
            elif fn in ("amax", "amin", "logsumexp"):
                kwargs = {"dim": ()} if fn != "logsumexp" else {"dim": tuple(range(nd))}
            if fn in ("std", "var") and self.maybe(0.4):
                kwargs["correction"] = self.choice([0, 1, 2])
            if fn == "norm" and self.maybe(0.5):
                kwargs["p"] = self.choice([1, 2, 3, float("inf"), 0.5])
            if self.maybe(0.7):
                return self.call(fn, var, **kwargs)
            return self.method(fn, var, **kwargs)
        if r < 7:
            fn = self.choice(REDUCE_PAIR + ["argmax", "argmin", "max", "min", "all", "any"])
            if fn in ("argmax", "argmin", "max", "min", "all", "any") and self.maybe(0.3):
                return self.call(fn, var)
            out = self.name()
            values = self.add(
                Step("func", fn, (var,), {"dim": self.dim_arg(nd), "keepdim": keep}, out=out)
            )
            return values
        if r < 9:
            fn = self.choice(SCAN)
            return self.call(fn, var, self.dim_arg(nd))
        return self.call(self.choice(["softmax", "log_softmax"]), var, dim=self.dim_arg(nd))


def draw_input(b, dtypes=("float32", "float64", "int64", "bool"), weights=(4, 4, 2, 1), **kw):
    return b.add_input(b.shape(**kw), b.dtype(dtypes, weights))


# -- families -----------------------------------------------------------------------------


def family_elementwise(b):
    draw_input(b)
    while not b.full():
        b.elementwise()


def family_reduction(b):
    draw_input(b, weights=(4, 4, 2, 1))
    if b.maybe(0.3):
        b.elementwise()
    while not b.full():
        if b.maybe(0.7):
            b.reduction()
        else:
            b.elementwise()


def family_shape(b):
    draw_input(b, max_rank=4)
    while not b.full():
        if b.maybe(0.75):
            shape_op(b)
        else:
            b.elementwise()


def _split_sizes(b, n):
    if b.maybe(0.5):
        return b.integer(1, max(n, 1) + 1)
    sizes = []
    while sum(sizes) < n and len(sizes) < 4:
        sizes.append(b.integer(0, n - sum(sizes)))
    if b.maybe(0.9):
        sizes.append(n - sum(sizes))
    return sizes


def shape_op(b):
    var = b.pick()
    t = b.value(var)
    shape, nd = tuple(t.shape), t.ndim
    numel = t.numel()
    fn = b.choice(["reshape", "view", "permute", "transpose", "squeeze", "unsqueeze", "flip",
                   "narrow", "expand", "cat", "stack", "split", "chunk", "roll", "flatten",
                   "t", "movedim", "contiguous", "repeat", "tile", "mT"])  # fmt: skip
    if fn in ("reshape", "view"):
        dims = list(shape)
        b.rng.shuffle(dims)
        if numel > 0 and b.maybe(0.4):
            dims = [numel] if b.maybe(0.5) else [1, numel, 1]
        if dims and b.maybe(0.4):
            dims[b.integer(0, len(dims) - 1)] = -1
        return b.method(fn, var, tuple(dims)) if b.maybe(0.7) else b.method(fn, var, *dims)
    if fn == "permute":
        perm = list(range(nd))
        b.rng.shuffle(perm)
        perm = [p - nd if b.maybe(0.3) else p for p in perm]
        return (
            b.method("permute", var, *perm)
            if perm and b.maybe()
            else b.call("permute", var, tuple(perm))
        )
    if fn == "transpose":
        return b.call("transpose", var, b.dim_arg(nd), b.dim_arg(nd))
    if fn == "squeeze":
        if b.maybe(0.3):
            return b.method("squeeze", var)
        return b.method("squeeze", var, b.dim_arg(nd, allow_tuple=True))
    if fn == "unsqueeze":
        return b.call("unsqueeze", var, b.integer(-nd - 1, nd))
    if fn == "flip":
        return b.call("flip", var, b.dim_arg(nd, allow_tuple=True) if nd else ())
    if fn == "narrow":
        d = b.dim_arg(nd)
        size = shape[d] if nd and -nd <= d < nd else 1
        start = b.integer(-size, size)
        return b.call("narrow", var, d, start, b.integer(0, max(size - max(start, 0), 0)))
    if fn == "expand":
        new = [d if d != 1 or not b.maybe(0.6) else b.integer(0, 3) for d in shape]
        new = [-1 if b.maybe(0.2) else d for d in new]
        if b.maybe(0.3):
            new = [2] + new
        return b.method("expand", var, *new)
    if fn in ("cat", "stack"):
        other_shape = list(shape)
        d = b.dim_arg(nd + (fn == "stack"))
        if fn == "cat" and nd and -nd <= d < nd and b.maybe(0.7):
            other_shape[d] = b.integer(0, 3)
        other = b.add_input(tuple(other_shape), b.dtype())
        tensors = [var, other] if b.maybe() else [other, var, var]
        return b.call(fn, tensors, dim=d)
    if fn in ("split", "chunk"):
        d = b.dim_arg(nd)
        size = shape[d] if nd and -nd <= d < nd else 1
        out = "*" + b.name()
        arg = _split_sizes(b, size) if fn == "split" else b.integer(1, 4)
        b.add(Step("func", fn, (var, arg), {"dim": d}, out=out))
        pieces = b.env.get(out[1:])
        if pieces:
            k = b.integer(0, len(pieces) - 1)
            return b.add(Step("getitem", "getitem", (Var(out[1:]),), index=k, out=b.name()))
        return None
    if fn == "roll":
        if b.maybe(0.3):
            return b.call("roll", var, b.integer(-5, 5))
        return b.call("roll", var, b.integer(-5, 5), b.dim_arg(nd))
    if fn == "flatten":
        lo = b.integer(-nd, nd - 1) if nd else 0
        return b.call("flatten", var, lo, b.integer(-nd, nd - 1) if nd else 0)
    if fn == "movedim":
        return b.call("movedim", var, b.dim_arg(nd), b.dim_arg(nd))
    if fn in ("repeat", "tile"):
        reps = [b.integer(0, 2) if b.maybe(0.1) else b.integer(1, 2) for _ in range(nd)]
        if b.maybe(0.3):
            reps = [2] + reps
        if fn == "repeat":
            return b.method("repeat", var, *reps) if reps else b.method("repeat", var, ())
        return b.call("tile", var, tuple(reps))
    if fn == "mT":
        return b.add(Step("getitem", "getitem", (var,), index=(Ellipsis,), out=b.name()))
    return b.method(fn, var)


# -- indexing -------------------------------------------------------------------------------


def draw_index(b, shape):
    """An index for a tensor of ``shape``: ints (negative too), slices with steps, None,
    Ellipsis anywhere, bool masks and int tensors, mixed; sometimes out of range."""
    items, d = [], 0
    used_ellipsis = False
    n_items = b.integer(1, len(shape) + 1)
    for _ in range(n_items):
        r = b.integer(0, 11)
        size = shape[d] if d < len(shape) else None
        if r == 0:
            items.append(None)
            continue
        if r == 1 and not used_ellipsis:
            items.append(Ellipsis)
            used_ellipsis = True
            d = max(d, len(shape) - (n_items - len(items)))
            continue
        if size is None:
            if b.maybe(0.1):
                items.append(0)  # too many indices: torch raises
            break
        if r < 5:
            hi = size if not b.maybe(0.05) else size + 1
            items.append(b.integer(-size, hi - 1) if size else 0)
        elif r < 8:
            start = b.choice([None, 0, 1, -1, -2, size, size + 2])
            stop = b.choice([None, 1, 2, -1, size, size + 3])
            step = b.choice([None, None, 1, 2, 3])
            items.append(slice(start, stop, step))
        elif r < 10:
            k = b.integer(0, 4)
            lo = -size if size else 0
            values = b.rng.integers(lo, max(size, 1), (k,)) if size else np.zeros(k, np.int64)
            if b.maybe(0.2) and k >= 2:
                values = values[: 2 * (k // 2)].reshape(2, k // 2)  # a 2-D index
            items.append(b.lit(values.astype(np.int64)))
        else:
            m = min(len(shape) - d, b.integer(1, 2))
            mask = b.rng.random(shape[d : d + m]) < 0.5
            items.append(b.lit(mask))
            d += m
            continue
        d += 1
    if len(items) == 1 and b.maybe(0.7):
        return items[0]
    return tuple(items)


def family_index(b):
    x = draw_input(b, min_rank=1, max_rank=4)
    while not b.full():
        var = b.pick()
        shape = tuple(b.value(var).shape)
        r = b.integer(0, 9)
        if r < 4:
            b.add(Step("getitem", "getitem", (var,), index=draw_index(b, shape), out=b.name()))
        elif r < 6:
            target = b.nonleaf(var)
            if target is None:
                break
            index = draw_index(b, shape)
            value = b.scalar() if b.maybe(0.5) else b.add_input(b.shape(max_rank=1), b.dtype())
            b.add(Step("setitem", "setitem", (target, value), index=index))
        elif r < 8:
            target = b.nonleaf(var)
            if target is None:
                break
            op = b.choice(["+", "-", "*", "/"])
            other = b.scalar() if b.maybe(0.5) else b.add_input((), b.dtype())
            b.add(Step("iop", op, (target, other), index=draw_index(b, shape)))
        elif r < 9:
            # A view, an in-place op on its base, then the view used again.
            base = b.nonleaf(var)
            if base is None:
                break
            view = b.add(Step("getitem", "getitem", (base,), index=draw_index(b, shape),
                              out=b.name()))  # fmt: skip
            if view is None:
                break
            b.add(Step("method", b.choice(["mul_", "add_"]), (base, 2), out=b.name()))
            b.add(Step("binop", "*", (view, 1), out=b.name()))
        else:
            b.elementwise(var)
    del x


# -- matmul, conv/pool, losses -------------------------------------------------------------


def family_linalg(b):
    dt = b.choice(["float32", "float64", "float64", "int64"])
    fn = b.choice(["matmul", "matmul", "bmm", "mm", "mv", "F.linear", "@", "dot", "outer"])
    n, m, k = b.integer(0, 4), b.integer(1, 4), b.integer(1, 4)
    if fn in ("matmul", "@"):
        r1, r2 = b.integer(1, 4), b.integer(1, 4)
        batch = b.shape(max_rank=2, zero=0.05)
        s1 = batch[len(batch) - max(r1 - 2, 0) :] + ((n,) if r1 >= 2 else ()) + (k,)
        s2 = ((k,) if r2 >= 2 else ()) + (m,) if r2 >= 2 else (k,)
        s2 = batch[len(batch) - max(r2 - 2, 0) :] + s2 if r2 >= 3 else s2
        if b.maybe(0.05):
            s2 = (k + 1,)
    elif fn == "bmm":
        bs = b.integer(0, 3)
        s1, s2 = (bs, n, k), (bs, k, m)
    elif fn == "mm":
        s1, s2 = (n, k), (k, m)
    elif fn == "mv":
        s1, s2 = (n, k), (k,)
    elif fn in ("dot", "outer"):
        s1, s2 = (k,), (k if fn == "dot" else m,)
    else:
        s1, s2 = b.shape(max_rank=2) + (k,), (m, k)
    dt2 = dt if b.maybe(0.9) else b.choice(["float32", "float64", "int64"])
    x, w = b.add_input(s1, dt), b.add_input(s2, dt2)
    if fn == "@":
        b.add(Step("binop", "@", (x, w), out=b.name()))
    elif fn == "F.linear":
        bias = b.add_input((m,), dt) if b.maybe() else None
        b.call(fn, x, w, bias)
    else:
        b.call(fn, x, w)
    while not b.full():
        b.elementwise() if b.maybe(0.6) else b.reduction()


def family_conv_pool(b):
    dt = b.choice(["float32", "float64", "float64"])
    two_d = b.maybe()
    sp = (b.integer(1, 6), b.integer(1, 6)) if two_d else (b.integer(1, 7),)
    n, c = b.integer(1, 2), b.integer(1, 3)
    batched = b.maybe(0.85)
    x = b.add_input(((n,) if batched else ()) + (c,) + sp, dt)
    r = b.integer(0, 5)
    dn = "2d" if two_d else "1d"
    ks = b.integer(1, 3)
    if r < 2:
        groups = c if b.maybe(0.2) else 1
        cout = groups * b.integer(1, 2)
        w = b.add_input((cout, c // groups) + (ks,) * len(sp), dt)
        bias = b.add_input((cout,), dt) if b.maybe() else None
        kwargs = {"stride": b.integer(1, 2), "groups": groups}
        if b.maybe(0.3):
            kwargs["padding"] = b.choice([0, 1, "same", "valid"])
        if b.maybe(0.2):
            kwargs["dilation"] = 2
        b.call(f"F.conv{dn}", x, w, bias, **kwargs)
    elif r < 4:
        kind = b.choice(["max", "avg"])
        kwargs = {"kernel_size": ks, "stride": b.choice([None, 1, 2])}
        if b.maybe(0.4):
            kwargs["padding"] = b.integer(0, ks // 2 + (1 if b.maybe(0.05) else 0))
        if b.maybe(0.3):
            kwargs["ceil_mode"] = True
        if kind == "avg" and b.maybe(0.4):
            kwargs["count_include_pad"] = False
        if kind == "max" and b.maybe(0.2):
            kwargs["dilation"] = 2
        b.call(f"F.{kind}_pool{dn}", x, **kwargs)
    else:
        kind = b.choice(["avg", "avg", "max"]) if two_d else "avg"
        size = tuple(b.integer(1, 4) for _ in sp) if b.maybe(0.7) else b.integer(1, 3)
        b.call(f"F.adaptive_{kind}_pool{dn}", x, size)
    while not b.full():
        b.elementwise() if b.maybe(0.5) else b.reduction()


LOSSES = ["cross_entropy", "nll_loss", "mse_loss", "l1_loss", "binary_cross_entropy",
          "binary_cross_entropy_with_logits", "smooth_l1_loss", "huber_loss", "kl_div"]  # fmt: skip


def family_loss(b):
    dt = b.choice(["float32", "float64", "float64"])
    fn = b.choice(LOSSES + ["softmax", "log_softmax"])
    reduction = b.choice(["mean", "mean", "sum", "none"])
    if fn in ("softmax", "log_softmax"):
        x = draw_input(b, dtypes=(dt,), weights=(1,))
        b.call(f"F.{fn}", x, dim=b.dim_arg(b.value(x).ndim))
    elif fn in ("cross_entropy", "nll_loss"):
        n, c = b.integer(0, 4), b.integer(1, 4)
        extra = b.shape(max_rank=1) if b.maybe(0.2) else ()
        shape = (n, c) + extra if b.maybe(0.85) else (c,)
        x = b.add_input(shape, dt)
        tshape = (shape[0],) + extra if len(shape) >= 2 else ()
        kwargs = {"reduction": reduction}
        if fn == "cross_entropy" and b.maybe(0.2):
            target = b.add_input(shape, dt, requires_grad=False, positive=True, special=0.0)
        else:
            hi = c + (1 if b.maybe(0.03) else 0)
            values = b.rng.integers(0, hi, tshape).astype(np.int64)
            if b.maybe(0.3):
                kwargs["ignore_index"] = b.choice([-100, 0, 1])
                if kwargs["ignore_index"] == -100:
                    values = np.where(b.rng.random(tshape) < 0.5, -100, values)
            target = b.lit(values)
        if b.maybe(0.3):
            kwargs["weight"] = b.add_input((c,), dt, requires_grad=False, positive=True)
        if fn == "cross_entropy" and b.maybe(0.3):
            kwargs["label_smoothing"] = b.choice([0.1, 0.5])
        if fn == "nll_loss":
            x = b.call("log_softmax", x, dim=1 if len(shape) >= 2 else 0)
            if x is None:
                return
        b.call(f"F.{fn}", x, target, **kwargs)
    else:
        shape = b.shape(max_rank=3)
        x = b.add_input(shape, dt)
        tgt_shape = shape if b.maybe(0.9) else b.broadcast_shape(shape)
        kwargs = {"reduction": reduction}
        if fn == "binary_cross_entropy":
            x = b.call("sigmoid", x)
            if x is None:
                return
            target = b.add_input(tgt_shape, dt, requires_grad=b.maybe(0.3), special=0.0)
            target = b.call("sigmoid", target)
        elif fn == "kl_div":
            x = b.call("log_softmax", x, dim=-1) if shape else x
            target = b.add_input(tgt_shape, dt, requires_grad=b.maybe(0.3), positive=True)
            kwargs["log_target"] = b.maybe(0.3)
            kwargs["reduction"] = b.choice(["batchmean", "sum", "mean", "none"])
        else:
            target = b.add_input(tgt_shape, dt, requires_grad=b.maybe(0.3))
        if fn == "binary_cross_entropy_with_logits" and b.maybe(0.3):
            kwargs["pos_weight"] = b.add_input(shape[-1:], dt, requires_grad=False, positive=True)
        if fn == "smooth_l1_loss" and b.maybe(0.5):
            kwargs["beta"] = b.choice([0.5, 2.0, 0.0])
        if fn == "huber_loss" and b.maybe(0.5):
            kwargs["delta"] = b.choice([0.5, 2.0])
        if x is None or target is None:
            return
        b.call(f"F.{fn}", x, target, **kwargs)
    while not b.full():
        b.elementwise() if b.maybe(0.5) else b.reduction()


FAMILIES = {
    "elementwise": family_elementwise,
    "reduction": family_reduction,
    "shape": family_shape,
    "index": family_index,
    "linalg": family_linalg,
    "conv_pool": family_conv_pool,
    "loss": family_loss,
    **NN_FAMILIES,
    **MORE_FAMILIES,
}


def draw_program(data, torch, family):
    """Draw one program of 2-5 steps (a few more when the family adds helper steps)."""
    b = Builder(data, torch, max_steps=b_steps(data))
    FAMILIES[family](b)
    return b.program()


def b_steps(data):
    return data.draw(st.integers(2, 5))


__all__ = ["FAMILIES", "DType", "draw_program"]
