"""More op families for the differential fuzzer: factories and random streams, special
functions and scans, the autograd API.

Each family receives ``generate.py``'s ``Builder``, like the families there:

- ``factories_random``: creation ops with their dtype inference and keyword spellings (``arange``,
  ``linspace``/``logspace``, ``full``, ``eye``, ``tril_indices``, ``*_like``, ``tensor`` of
  nested Python lists, a float64 default dtype), then seeded random ops (``manual_seed`` or a
  ``Generator``, then ``rand``/``randn``/``randint``/``randperm``/``normal``/``bernoulli``/
  ``multinomial``/``dropout``/the in-place samplers). gradiente reproduces torch's CPU generator
  bit for bit, so every float sample is followed by a bit view (``x.view(T.int32)``), which the
  comparison checks exactly (it compares floats to a tolerance);
- ``special_scan``: ``torch.special`` functions and scans (``cumsum`` ... ``trapezoid``), with
  ``dtype=`` where torch takes it, on values that include 0, ±1, huge, tiny, ±inf and NaN at a
  small rate, with gradients;
- ``autograd_api``: backward twice (with and without ``retain_graph``), gradient accumulation,
  ``autograd.grad`` with ``create_graph`` and a second derivative, ``allow_unused``, tensor hooks,
  ``retain_grad``, ``detach``/``detach_``, ``requires_grad_`` on a non-leaf, in-place ops on leaves
  and on tensors saved for backward, ``no_grad`` blocks and ``.grad`` of non-leaves.
"""

from __future__ import annotations

import numpy as np

from .program import DType, Fn, Gen, Lit, Step, Var

FLOATS = ("float32", "float64", "float64")


def _tail(b):
    """A few plain ops after the family's own op (sums, means, products with a number, a scan):
    the corner cases of the other ops (``var`` without degrees of freedom...) are the other
    families' to find, and here they would hide the family's own."""
    while not b.full():
        var = b.pick()
        nd = b.value(var).ndim
        r = b.integer(0, 4)
        if r == 0:
            b.call(b.choice(["sum", "mean"]), var, dim=b.dim_arg(nd), keepdim=b.maybe(0.3))
        elif r == 1:
            b.add(Step("binop", b.choice(["*", "+", "-"]), (var, b.choice([2, -1.5, 0.5])),
                       out=b.name()))  # fmt: skip
        elif r == 2:
            b.call("cumsum", var, dim=b.dim_arg(nd))
        elif r == 3:
            b.call(b.choice(["exp", "sin", "tanh", "neg"]), var)
        else:
            b.call("sum", var)


# -- factories and random streams ------------------------------------------------------------


def _number(b, kind):
    if kind == "bool":
        return b.choice([True, False])
    if kind == "int":
        return b.integer(-4, 6)
    return b.choice([0.5, -1.5, 2.0, 0.25, -0.0, 3.75, 1e-3, float("inf"), float("nan")])


def _size(b, max_dim=4, max_rank=3):
    return tuple(
        b.integer(0 if b.maybe(0.1) else 1, max_dim) for _ in range(b.integer(0, max_rank))
    )


def _dtype_kw(b, p=0.4, pool=("float32", "float64", "int64", "bool")):
    return {"dtype": DType(b.choice(pool))} if b.maybe(p) else {}


def _factory(b):
    """One creation op; returns its output Var (or None)."""
    fn = b.choice(["arange", "arange", "linspace", "logspace", "full", "eye", "zeros", "ones",
                   "tril_indices", "triu_indices", "like", "tensor", "tensor"])  # fmt: skip
    if fn == "arange":
        kind = b.choice(["int", "int", "float"])
        start, end = _number(b, kind), _number(b, kind)
        if b.maybe(0.3):
            args = (end,)
        elif b.maybe(0.5):
            args = (start, end)
        else:
            step = b.choice([1, 2, -1, -2, 0.5, -0.25, 3]) if not b.maybe(0.03) else 0
            args = (start, end, step)
        kw = _dtype_kw(b, pool=("float32", "float64", "int64"))
        if len(args) >= 2 and b.maybe(0.3):  # keyword spellings
            kw |= dict(zip(("start", "end", "step"), args, strict=False))
            args = ()
        return b.call("arange", *args, **kw)
    if fn in ("linspace", "logspace"):
        start, end = _number(b, b.choice(["int", "float"])), _number(b, b.choice(["int", "float"]))
        steps = b.choice([0, 1, 2, 3, 5, 17])
        kw = _dtype_kw(b, pool=("float32", "float64", "int64"))
        if fn == "logspace" and b.maybe(0.4):
            kw["base"] = b.choice([2, 10.0, 0.5])
        if b.maybe(0.3):
            kw["steps"] = steps
            return b.call(fn, start, end, **kw)
        return b.call(fn, start, end, steps, **kw)
    if fn == "full":
        value = _number(b, b.choice(["bool", "int", "float"]))
        size = _size(b)
        return b.call("full", size, value, **_dtype_kw(b, 0.3))
    if fn == "eye":
        n = b.integer(0, 4)
        args = (n, b.integer(0, 5)) if b.maybe() else (n,)
        return b.call("eye", *args, **_dtype_kw(b))
    if fn in ("zeros", "ones"):
        size = _size(b)
        kw = _dtype_kw(b)
        if size and b.maybe(0.5):
            return b.call(fn, *size, **kw)
        return b.call(fn, size, **kw)
    if fn in ("tril_indices", "triu_indices"):
        args = (b.integer(0, 4), b.integer(0, 4))
        if b.maybe(0.6):
            args += (b.integer(-4, 4),)
        return b.call(fn, *args)
    if fn == "like":
        x = b.add_input(_size(b), b.dtype(), requires_grad=False)
        like = b.choice(["zeros_like", "ones_like", "full_like"])
        kw = _dtype_kw(b, 0.6)
        if like == "full_like":
            return b.call(like, x, _number(b, b.choice(["bool", "int", "float"])), **kw)
        return b.call(like, x, **kw)
    return b.call("tensor", _nested(b), **_dtype_kw(b, 0.2))


def _nested(b):
    """A nested list of bools, ints and floats (sometimes ragged: torch raises)."""
    kinds = [b.choice(["bool", "int", "float"]) for _ in range(b.integer(1, 3))]
    shape = _size(b, max_dim=3, max_rank=3)

    def build(dims):
        if not dims:
            return _number(b, b.choice(kinds))
        return [build(dims[1:]) for _ in range(dims[0])]

    data = build(shape)
    if isinstance(data, list) and len(data) > 1 and isinstance(data[0], list) and b.maybe(0.05):
        data[0] = data[0][:-1] if data[0] else [1]  # ragged
    return data


def _bits(b, var):
    """``var.view(int)`` of a float sample: its exact bits, which the comparison checks."""
    if var is None:
        return None
    t = b.value(var)
    if str(t.dtype) == "torch.float32":
        return b.method("view", var, DType("int32"))
    if str(t.dtype) == "torch.float64":
        return b.method("view", var, DType("int64"))
    return var


RANDOM_SIZES = [(), (0,), (1,), (3,), (7,), (15,), (16,), (17,), (33,), (2, 3), (4, 9), (2, 3, 5)]


def _gen_kw(b):
    return {"generator": Gen(b.integer(0, 2**20))} if b.maybe(0.25) else {}


def _random(b):
    """One seeded random op, then the exact bits of its sample."""
    fn = b.choice(["rand", "randn", "randn", "randint", "randperm", "normal", "bernoulli",
                   "multinomial", "dropout", "uniform_", "normal_", "exponential_", "random_",
                   "rand_like"])  # fmt: skip
    size = b.choice(RANDOM_SIZES)
    fdt = b.choice(["float32", "float64"])
    if fn in ("rand", "randn"):
        kw = {"dtype": DType(fdt)} if b.maybe(0.6) else {}
        out = b.call(fn, size, **kw, **_gen_kw(b))
    elif fn == "randint":
        low, high = b.choice([(0, 10), (-5, 5), (0, 2**33), (3, 4), (0, 1)])
        kw = _dtype_kw(b, 0.3, pool=("int64", "float32", "float64", "int32"))
        if high - low > FLOAT32_INTEGERS and kw.get("dtype") == DType("float32"):
            low, high = 0, FLOAT32_INTEGERS  # (beyond it torch warns, and draws otherwise)
        args = (low, high, size) if b.maybe(0.7) else (high, size)
        out = b.call("randint", *args, **kw, **_gen_kw(b))
    elif fn == "randperm":
        n = b.choice([0, 1, 5, 16, 30, 100])
        out = b.call("randperm", n, **_dtype_kw(b, 0.2, pool=("int64", "float64")), **_gen_kw(b))
    elif fn == "normal":
        if b.maybe(0.5):
            mean, std = b.choice([0.0, 1.5, -2.0]), b.choice([1.0, 0.5, 3.0])
            out = b.call("normal", mean, std, size, **_gen_kw(b))
        else:
            mean = b.add_input(size, fdt, requires_grad=False)
            std = b.add_input(size, fdt, requires_grad=False, positive=True, special=0.0)
            out = b.call("normal", mean, std if b.maybe(0.7) else 1.0, **_gen_kw(b))
    elif fn == "bernoulli":
        p = b.lit(b.rng.choice([0.0, 0.25, 0.5, 1.0, 0.3], size).astype(fdt))
        if b.maybe(0.3):
            out = b.method("bernoulli", b.call("zeros", size, dtype=DType(fdt)), 0.4)
        else:
            out = b.call("bernoulli", p, **_gen_kw(b))
    elif fn == "multinomial":
        rows = () if b.maybe(0.5) else (b.integer(1, 3),)
        k = b.integer(1, 6)
        probs = b.rng.choice([0.0, 1.0, 0.5, 2.0, 0.25], rows + (k,)).astype(fdt)
        probs[..., 0] += 0.5  # no row of zeros: torch raises there
        n = b.integer(1, k + 1)
        out = b.call("multinomial", b.lit(probs), n, replacement=b.maybe(), **_gen_kw(b))
    elif fn == "dropout":
        x = b.add_input(size, fdt)
        p = b.choice([0.0, 0.2, 0.5, 1.0])
        out = b.call("F.dropout", x, p=p, training=True)
    elif fn == "rand_like":
        x = b.add_input(size, fdt, requires_grad=False)
        out = b.call(b.choice(["rand_like", "randn_like"]), x)
    else:
        dt = b.choice(["float32", "float64"] + (["int64"] if fn == "random_" else []))
        z = b.call("zeros", size, dtype=DType(dt))
        if z is None:
            return None
        args = {
            "uniform_": lambda: b.choice([(), (-2.0, 3.0), (0.5, 0.5)]),
            "normal_": lambda: b.choice([(), (1.0, 2.0), (-1.0, 0.1)]),
            "exponential_": lambda: b.choice([(), (0.5,), (3.0,)]),
            "random_": lambda: b.choice([(), (10,), (-3, 7), (0, 2**40)]),
        }[fn]()
        if fn == "random_" and dt == "float32" and args == (0, 2**40):
            args = (0, FLOAT32_INTEGERS)
        out = b.method(fn, z, *args, **_gen_kw(b))
    return _bits(b, out)


# float32 holds every integer up to 2**24 only: torch supports float32 randint/random_ ranges
# up to there (beyond, it warns that the range is unsupported, and its draws are not the int64
# stream's; a known difference, README)
FLOAT32_INTEGERS = 2**24


def family_factories_random(b):
    if b.maybe(0.5):
        while not b.full():
            _factory(_InFloat64(b) if b.maybe(0.2) else b)
        if not b.done and b.maybe(0.4):
            var = b.pick() if b.tensors() else None
            if var is not None and b.value(var).dtype.is_floating_point:
                b.method("requires_grad_", var)
                b.elementwise()
        return
    b.add(Step("func", "manual_seed", (b.integer(0, 2**32),)))
    while not b.full():
        _random(b)


class _InFloat64:
    """The builder, but its ``call`` runs the step under a float64 default dtype."""

    def __init__(self, b):
        self._b = b

    def __getattr__(self, name):
        return getattr(self._b, name)

    def call(self, fn, *args, **kwargs):
        b = self._b
        inner = Step("func", fn, args, kwargs, out=b.name())
        return b.add(Step("with", "default_float64", (inner,), out=inner.out))


# -- special functions and scans --------------------------------------------------------------

EDGES = np.array([0.0, -0.0, 1.0, -1.0, 1e30, -1e30, 1e-30, -1e-30, np.inf, -np.inf, np.nan,
                  88.0, 710.0, 0.5])  # fmt: skip


def _special_input(b, dt, domain="real", shape=None, requires_grad=None):
    """An input with edge values at a small rate; ``domain`` maps it into (0, 1), (-1, 1) or
    the positives for the functions defined only there."""
    shape = b.shape(max_rank=3) if shape is None else shape
    var = b.add_input(shape, dt, requires_grad=False, special=0.0)
    x = b.inputs[-1]
    a = x.array
    if dt.startswith("float") and a.size:
        if domain == "unit":
            a = (1.0 / (1.0 + np.exp(-a))).astype(dt)
        elif domain == "sym":
            a = np.tanh(a).astype(dt)
        elif domain == "positive":
            a = (np.abs(a) + 0.25).astype(dt)
        rate = b.choice([0.0, 0.05, 0.15])
        mask = b.rng.random(a.shape) < rate
        edges = EDGES[b.rng.integers(0, len(EDGES), a.shape)]
        a = np.where(mask, edges, a).astype(dt)
    x.array = a
    x.requires_grad = (
        dt.startswith("float") and b.maybe(0.85) if requires_grad is None else requires_grad
    )
    from .program import make_input

    b.env[x.name] = make_input(b.torch, x)
    return var


UNARY_SPECIAL = {  # name: the domain of its input
    "erf": "real", "erfc": "real", "erfinv": "sym", "expit": "real", "i0": "real", "i0e": "real",
    "i1": "real", "i1e": "real", "ndtr": "real", "ndtri": "unit", "log_ndtr": "real",
    "digamma": "real", "psi": "real", "gammaln": "real", "sinc": "real", "entr": "real",
    "log1p": "real", "expm1": "real", "erfcx": "real",
}  # fmt: skip
TORCH_SPELLING = {"erf", "erfc", "erfinv", "i0", "digamma", "lgamma", "sinc", "log1p", "expm1",
                  "sigmoid", "logit", "xlogy", "logsumexp"}  # fmt: skip
SCANS = ["cumsum", "cumprod", "cummax", "cummin", "logcumsumexp", "diff", "trapezoid",
         "cumulative_trapezoid"]  # fmt: skip


def _special(b, dt):
    fn = b.choice(sorted(UNARY_SPECIAL) + ["logit", "xlogy", "xlog1py", "polygamma",
                                          "multigammaln", "lgamma", "logsumexp"])  # fmt: skip
    domain = UNARY_SPECIAL.get(fn, "real")
    if fn == "logit":
        domain = "unit" if b.maybe(0.8) else "real"
    if fn == "multigammaln":
        domain = "positive"
    x = _special_input(b, dt, domain)
    spelled = "special." + fn
    if fn in TORCH_SPELLING and b.maybe(0.4):
        spelled = fn
    if fn in UNARY_SPECIAL or fn == "lgamma":
        if fn == "lgamma":
            spelled = "lgamma"
        if spelled == fn and b.maybe(0.3):
            return b.method(fn, x)
        return b.call(spelled, x)
    if fn == "logit":
        kw = {"eps": b.choice([1e-6, 0.1, 0.5])} if b.maybe(0.5) else {}
        return b.call(spelled, x, **kw)
    if fn in ("xlogy", "xlog1py"):
        shape = b.broadcast_shape(tuple(b.value(x).shape))
        other = (
            b.choice([0.0, 1.0, -1.0, 2.5, float("nan")])
            if b.maybe(0.25)
            else _special_input(b, b.choice([dt, dt, "int64"]), "real", shape)
        )
        args = (x, other) if b.maybe(0.8) else (other, x)
        return b.call(spelled, *args)
    if fn == "polygamma":
        n = b.integer(0, 3)
        if b.maybe(0.3):
            return b.method("polygamma", x, n)
        return b.call(b.choice(["special.polygamma", "polygamma"]), n, x)
    if fn == "multigammaln":
        p = b.integer(1, 3)
        return b.call(b.choice(["special.multigammaln", "mvlgamma"]), x, p)
    nd = b.value(x).ndim
    return b.call(spelled, x, dim=b.dim_arg(nd, allow_tuple=True), keepdim=b.maybe(0.3))


def _scan(b, dt):
    fn = b.choice(SCANS)
    x = _special_input(b, b.choice([dt, dt, dt, "int64", "bool"]), "real")
    nd = b.value(x).ndim
    d = b.dim_arg(nd)
    if fn in ("cumsum", "cumprod"):
        kw = _dtype_kw(b, 0.3, pool=("float32", "float64", "int64"))
        if b.maybe(0.3):
            return b.method(fn, x, d, **kw)
        return b.call(fn, x, dim=d, **kw)
    if fn in ("cummax", "cummin"):
        return b.add(Step("func", fn, (x, d), out=(b.name(), b.name())))
    if fn == "logcumsumexp":
        return b.call(fn, x, d)
    if fn == "diff":
        kw = {"n": b.integer(0, 3), "dim": d}
        shape = list(b.value(x).shape)
        if shape and -nd <= d < nd:
            for side in ("prepend", "append"):
                if b.maybe(0.25):
                    shape[d] = b.integer(0, 2)
                    kw[side] = _special_input(b, dt, "real", tuple(shape))
        return b.call("diff", x, **kw)
    kw = {"dim": d}
    if b.maybe(0.3):
        kw["dx"] = b.choice([0.5, 2.0, -1.0])
        args = (x,)
    elif b.maybe(0.4) and nd:
        n = b.value(x).shape[d] if -nd <= d < nd else 1
        args = (x, _special_input(b, dt, "real", (n,) if b.maybe(0.6) else tuple(b.value(x).shape)))
    else:
        args = (x,)
    return b.call(fn, *args, **kw)


def family_special_scan(b):
    dt = b.choice(FLOATS)
    if b.maybe(0.55):
        _special(b, dt)
    else:
        _scan(b, dt)
    if not b.done and b.maybe(0.4):
        var = b.pick()
        if b.value(var).dtype.is_floating_point:
            _scan_of(b, var)
    _tail(b)


def _scan_of(b, var):
    """A scan of an earlier result (a special function's output, say)."""
    nd = b.value(var).ndim
    fn = b.choice(["cumsum", "cumprod", "logcumsumexp", "diff", "trapezoid"])
    if fn == "cumsum":
        return b.call(fn, var, dim=b.dim_arg(nd), **_dtype_kw(b, 0.3, pool=("float64",)))
    return b.call(fn, var, dim=b.dim_arg(nd))


# -- the autograd API ---------------------------------------------------------------------------

HOOKS = ["lambda g: g * 2", "lambda g: None", "lambda g: g + 1", "lambda g: -g",
         "lambda g: g.clamp(min=0)"]  # fmt: skip
SAVING = ["exp", "sigmoid", "tanh", "sin", "sqrt", "reciprocal"]  # ops that save their input/output


def _up(b, var):
    """A fixed upstream gradient for ``var`` (a literal of its shape and dtype)."""
    t = b.value(var)
    dt = str(t.dtype)[6:]
    return b.lit(b.rng.integers(-4, 5, tuple(t.shape)).astype(dt) / 2)


def _backward(b, var, **kw):
    """``var.backward(gradient)`` (or ``var.sum().backward()`` now and then)."""
    if b.maybe(0.2):
        var = b.call("sum", var)
        if var is None:
            return None
        return b.add(Step("method", "backward", (var,), kw))
    return b.add(Step("method", "backward", (var, _up(b, var)), kw))


def _attr(b, var, name="grad"):
    return b.add(Step("attr", name, (var,), out=b.name()))


def family_autograd_api(b):
    dt = b.choice(FLOATS)
    shape = b.shape(max_rank=2, zero=0.03)
    x = b.add_input(shape, dt, requires_grad=True)
    w = b.add_input(b.broadcast_shape(shape), dt, requires_grad=b.maybe(0.7))
    op = b.choice(SAVING + ["mul", "add", "pow"])
    if op == "mul":
        y = b.add(Step("binop", "*", (x, w), out=b.name()))
    elif op == "add":
        y = b.add(Step("binop", "+", (x, w), out=b.name()))
    elif op == "pow":
        y = b.add(Step("binop", "**", (x, b.choice([2, 3, 0.5])), out=b.name()))
    else:
        y = b.call(op, x)
    if y is None:
        return
    scenario = b.choice(["twice", "accumulate", "grad", "grad2", "unused", "hook", "retain",
                         "detach", "requires_grad_", "leaf_inplace", "saved_inplace", "no_grad",
                         "nonleaf_grad"])  # fmt: skip
    if scenario == "twice":
        keep = b.maybe(0.5)
        _backward(b, y, retain_graph=True) if keep else _backward(b, y)
        _backward(b, y)
        _attr(b, x)
    elif scenario == "accumulate":
        _backward(b, y, retain_graph=True)
        if b.maybe(0.3):
            _attr(b, x)
        y2 = b.add(Step("binop", "*", (y, w), out=b.name())) if b.maybe(0.5) else y
        if y2 is not None:
            _backward(b, y2)
        _attr(b, x)
        _attr(b, w)
    elif scenario in ("grad", "grad2", "unused"):
        inputs = [x, w] if scenario == "unused" or b.maybe(0.3) else [x]
        if scenario == "unused":
            inputs = [x, b.add_input((2,), dt, requires_grad=True)]
        kw = {"create_graph": scenario == "grad2" or b.maybe(0.3)}
        if scenario == "unused" or b.maybe(0.2):
            kw["allow_unused"] = b.maybe(0.7)
        if b.maybe(0.2):
            kw["retain_graph"] = True
        outs = tuple(b.name() for _ in inputs)
        up = _up(b, y) if b.maybe(0.85) else None
        kw["grad_outputs"] = up
        gx = b.add(Step("func", "autograd.grad", (y, inputs), kw, out=outs))
        if gx is None or scenario != "grad2":
            return _tail(b) if gx is not None and b.maybe(0.3) else None
        g = b.value(gx)
        if g is None or not g.requires_grad:
            return None
        b.add(Step("func", "autograd.grad", (gx, [x]), {"grad_outputs": _up(b, gx),
                   "allow_unused": b.maybe(0.5)}, out=(b.name(),)))  # fmt: skip
    elif scenario == "hook":
        target = b.choice([x, y])
        b.add(Step("method", "register_hook", (target, Fn(b.choice(HOOKS)))))
        z = b.add(Step("binop", "*", (y, 3), out=b.name()))
        if z is not None:
            _backward(b, z) if b.maybe(0.5) else _tail(b)
        _attr(b, x)
    elif scenario == "retain":
        b.add(Step("method", "retain_grad", (y,)))
        z = b.call(b.choice(["sin", "square", "exp"]), y)
        if z is not None:
            _backward(b, z)
        _attr(b, y)
        _attr(b, b.choice([x, w]))
    elif scenario == "detach":
        if b.maybe(0.5):
            d = b.method("detach", y)
            if d is not None:
                _attr(b, d, "requires_grad")
                b.method("mul_", d, 2)  # shares memory with y: y's backward may then refuse
        else:
            target = b.choice([y, x])
            if target is x:  # a view of the leaf, detached in place
                target = b.add(Step("getitem", "getitem", (x,), index=(Ellipsis,), out=b.name()))
            if target is not None:
                b.method("detach_", target)
                _attr(b, target, "is_leaf")
        _tail(b)
    elif scenario == "requires_grad_":
        b.method("requires_grad_", y, b.choice([True, False]))
        _attr(b, y, "requires_grad")
        _tail(b)
    elif scenario == "leaf_inplace":
        inner = Step("method", b.choice(["add_", "mul_", "zero_"]),
                     (x,) + ((2,) if b.maybe(0.7) else ()), out=b.name())  # fmt: skip
        if inner.fn == "zero_":
            inner.args = (x,)
        if b.maybe(0.5):
            b.add(Step("with", "no_grad", (inner,), out=inner.out))
        else:
            b.add(inner)
        _tail(b)
    elif scenario == "saved_inplace":
        target = b.choice([y, x, w])
        if b.value(target).is_leaf and b.value(target).requires_grad:
            inner = Step("method", "mul_", (target, 2), out=b.name())
            b.add(Step("with", "no_grad", (inner,), out=inner.out))
        else:
            fn = b.choice(["mul_", "add_", "exp_"])
            b.method(fn, target, *(() if fn == "exp_" else (2,)))
        _backward(b, y)
        _attr(b, x)
    elif scenario == "no_grad":
        inner = Step("binop", "*", (y if b.maybe() else x, 2), out=b.name())
        z = b.add(Step("with", "no_grad", (inner,), out=inner.out))
        if z is not None:
            _attr(b, z, "requires_grad")
            b.add(Step("binop", "+", (z, y), out=b.name()))
        _tail(b)
    else:
        _attr(b, y)
        _attr(b, x)
        _tail(b)


MORE_FAMILIES = {
    "factories_random": family_factories_random,
    "special_scan": family_special_scan,
    "autograd_api": family_autograd_api,
}
MORE_SHORT_EXAMPLES = {"factories_random": 120, "special_scan": 120, "autograd_api": 100}

__all__ = ["MORE_FAMILIES", "MORE_SHORT_EXAMPLES", "Lit", "Var"]
