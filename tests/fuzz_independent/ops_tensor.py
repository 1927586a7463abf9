"""Op families over tensors: elementwise, reductions, scans and sorts, indexing, views, joins.

Each family is ``fam(b)``: it picks a tensor of the ``Builder`` (or draws a new leaf) and
appends one step. Arguments are drawn valid most of the time and invalid now and then (a dim out
of range, a wrong size), so that errors are compared too.
"""

from __future__ import annotations

import numpy as np

from .builder import FLOATS

UNARY = (
    "abs neg exp log sqrt sin cos tan tanh sigmoid erf erfc expm1 log1p log2 log10 floor ceil "
    "round trunc frac sign sgn reciprocal rsqrt square asinh acosh atanh asin acos atan sinh "
    "cosh deg2rad rad2deg logit exp2 i0 lgamma digamma nan_to_num positive bitwise_not "
    "logical_not isnan isinf isfinite isneginf isposinf signbit fix relu sinc angle erfinv "
    "isreal conj"
).split()
BINARY = (
    "add sub mul div true_divide floor_divide remainder fmod pow float_power atan2 maximum "
    "minimum fmax fmin eq ne lt le gt ge logical_and logical_or logical_xor bitwise_and "
    "bitwise_or bitwise_xor bitwise_left_shift bitwise_right_shift copysign hypot nextafter "
    "ldexp xlogy heaviside isclose logaddexp logaddexp2 greater less_equal not_equal"
).split()
OPERATORS = ("+", "-", "*", "/", "//", "%", "**", "&", "|", "^", "<<", ">>", "<", ">=", "==")
REDUCE = (
    "sum mean nansum nanmean prod amax amin all any std var logsumexp norm count_nonzero "
    "argmax argmin std_mean var_mean aminmax max min"
).split()
DIM_PAIR = "max min median nanmedian mode kthvalue sort argsort topk cummax cummin msort".split()
SCANS = "cumsum cumprod logcumsumexp".split()


def dtype_src(name):
    return f"T.{name}"


def dim(b, nd, allow_none=False):
    """A dim for a tensor of rank ``nd``: negative or positive, now and then out of range."""
    if allow_none and b.maybe(0.2):
        return None
    hi = max(nd, 1)
    return hi if b.maybe(0.03) else b.integer(-hi, hi - 1)


def operand(b, x):
    """A second operand for ``x``: a Python scalar, a tensor broadcasting with it, or itself."""
    r = b.integer(0, 9)
    if r < 4:
        return repr(b.scalar())
    if r == 4:
        return x
    shape = [1 if b.maybe(0.3) else s for s in b.shape_of(x)]
    shape = shape[b.integer(0, len(shape)) :] if b.maybe(0.4) else shape
    if b.maybe(0.04):
        shape = list(b.shape(max_rank=2))  # likely incompatible
    dt = b.dtype_of(x) if b.maybe(0.5) else b.dtype()
    return b.new_leaf(shape, dt)


def fam_unary(b):
    x = b.pick() or b.new_leaf()
    fn = b.choice(UNARY)
    if fn == "round" and b.maybe(0.3):
        return b.expr(f"T.round({x}, decimals={b.integer(-1, 2)})", "T.round(decimals)")
    if fn == "nan_to_num" and b.maybe(0.5):
        return b.expr(f"T.nan_to_num({x}, nan=1.5, posinf={b.scalar()!r})", "T.nan_to_num")
    if fn == "logit" and b.maybe(0.5):
        return b.expr(f"T.logit({x}, eps=0.25)", "T.logit(eps)")
    if fn == "erfinv":
        return b.expr(f"T.special.erfinv({x})", "T.special.erfinv")
    if b.maybe(0.3) and fn not in ("positive", "isreal"):
        return b.expr(f"{x}.{fn}()", f".{fn}")
    return b.expr(f"T.{fn}({x})", f"T.{fn}")


BITWISE = ("&", "|", "^", "<<", ">>", "bitwise_and", "bitwise_or", "bitwise_xor",
           "bitwise_left_shift", "bitwise_right_shift")  # fmt: skip
TENSOR_ONLY = ("maximum", "minimum", "fmax", "fmin", "logical_and", "logical_or", "logical_xor",
               "nextafter", "copysign", "hypot", "logaddexp", "logaddexp2")  # fmt: skip


def fam_binary(b):
    x = b.pick() or b.new_leaf()
    y = operand(b, x)
    floating = b.value(x).is_floating_point()
    if b.maybe(0.4):
        op = b.choice(OPERATORS)
        if op in BITWISE and floating and b.maybe(0.8):
            op = b.choice(OPERATORS[:7])
        if b.maybe(0.3) and not y.startswith(("v", "x")):
            return b.expr(f"{y} {op} {x}", f"scalar {op} tensor")
        return b.expr(f"{x} {op} {y}", op)
    fn = b.choice(BINARY)
    if fn in BITWISE and floating and b.maybe(0.8):
        fn = b.choice(BINARY[:12])
    if fn in TENSOR_ONLY and not y.startswith(("v", "x")) and b.maybe(0.8):
        y = b.new_leaf(b.shape_of(x), b.dtype_of(x) if b.maybe(0.7) else b.dtype())
    kw = ""
    if fn in ("add", "sub") and b.maybe(0.3):
        kw = f", alpha={b.choice([2, -1, 0.5, True])!r}"
    if fn == "div" and b.maybe(0.4):
        kw = f", rounding_mode={b.choice(['floor', 'trunc', None])!r}"
    if fn in ("ldexp", "isclose", "heaviside", "xlogy") and not y.startswith(("v", "x")):
        y = b.new_leaf(b.shape_of(x), b.dtype())
    return b.expr(f"T.{fn}({x}, {y}{kw})", f"T.{fn}")


def fam_reduce(b):
    x = b.pick() or b.new_leaf()
    nd = len(b.shape_of(x))
    fn = b.choice(REDUCE)
    args = []
    if fn in ("std", "var", "std_mean", "var_mean") and b.maybe(0.5):
        args.append(f"correction={b.choice([0, 1, 2])}")
    if fn == "norm" and b.maybe(0.5):
        args.append(f"p={b.choice([1, 2, 3, float('inf'), 0, 'fro'])!r}")
    if b.maybe(0.7) and fn not in ("aminmax",):
        d = dim(b, nd)
        if b.maybe(0.2) and nd >= 2 and fn not in ("argmax", "argmin", "max", "min"):
            d = (0, -1)
        args.append(f"dim={d!r}")
        if b.maybe(0.5) and fn != "count_nonzero":
            args.append(f"keepdim={b.maybe()}")
    elif fn == "aminmax" and b.maybe(0.5):
        args += [f"dim={dim(b, nd)}", f"keepdim={b.maybe()}"]
    if fn in ("sum", "mean", "prod", "nansum", "nanmean", "norm") and b.maybe(0.3):
        args.append(f"dtype={dtype_src(b.dtype(('float64', 'float32', 'int64', 'float16')))}")
    return b.expr(f"T.{fn}({', '.join([x] + args)})", f"T.{fn}")


def fam_pair(b):
    x = b.pick() or b.new_leaf(b.shape(min_rank=1))
    shape = b.shape_of(x)
    nd = len(shape)
    fn = b.choice(DIM_PAIR + SCANS)
    args = [x]
    if fn in SCANS:
        args.append(f"dim={dim(b, nd)}")
        if fn != "logcumsumexp" and b.maybe(0.3):
            args.append(f"dtype={dtype_src(b.dtype(('float64', 'int64', 'float32')))}")
    elif fn == "kthvalue":
        d = dim(b, nd)
        size = shape[d] if nd and -nd <= d < nd else 1
        args += [str(b.integer(1, max(size, 1)) if b.maybe(0.95) else size + 1), f"dim={d}"]
        args.append(f"keepdim={b.maybe()}")
    elif fn == "topk":
        d = dim(b, nd)
        size = shape[d] if nd and -nd <= d < nd else 1
        args += [str(b.integer(0, size) if b.maybe(0.95) else size + 1), f"dim={d}"]
        args += [f"largest={b.maybe()}", f"sorted={b.maybe(0.8)}"]
    elif fn == "sort" or fn == "argsort":
        args += [f"dim={dim(b, nd)}", f"descending={b.maybe()}"]
        if b.maybe(0.5):
            args.append("stable=True")
    elif fn == "msort":
        pass
    elif fn in ("median", "nanmedian", "mode", "max", "min") and b.maybe(0.2) and fn != "mode":
        pass  # the whole tensor
    else:
        args += [f"dim={dim(b, nd)}"]
        if fn not in ("cummax", "cummin"):
            args.append(f"keepdim={b.maybe()}")
    return b.expr(f"T.{fn}({', '.join(args)})", f"T.{fn}")


def _index_tensor(b, size, shape=None, dtype="int64"):
    """Source of an index tensor with values in [-size, size) (out of range now and then)."""
    shape = shape if shape is not None else (b.integer(0, 3),)
    n = int(np.prod(shape, dtype=np.int64))
    lo, hi = (-size, size) if size else (0, 0)
    vals = b.rng.integers(lo, max(hi, lo + 1), n) if size else np.zeros(n, np.int64)
    if b.maybe(0.03):
        vals = vals + size + 1
    return f"T.tensor({vals.reshape(shape).tolist()}, dtype=T.{dtype})"


def _nonneg_index(b, size, shape):
    n = int(np.prod(shape, dtype=np.int64))
    vals = b.rng.integers(0, max(size, 1), n)
    return f"T.tensor({vals.reshape(shape).tolist()}, dtype=T.int64)"


def _basic_index(b, shape):
    parts = []
    for s in shape[: b.integer(0, len(shape))]:
        r = b.integer(0, 5)
        if r == 0 and s:
            parts.append(str(b.integer(-s, s - 1)))
        elif r == 1:
            parts.append(f"{b.integer(-3, 3)}:{b.integer(-3, 4)}:{b.choice([1, 2, 3])}")
        elif r == 2:
            parts.append("None")
        elif r == 3:
            parts.append("...")
            break
        else:
            parts.append(":")
    return ", ".join(parts) if parts else "..."


def _advanced_index(b, x, shape):
    r = b.integer(0, 3)
    if r == 0 and shape:
        return str(b.rng.integers(-shape[0], max(shape[0], 1), b.integer(1, 3)).tolist())
    if r == 1 and shape:
        mask = (b.rng.random(shape[: b.integer(1, len(shape))]) < 0.5).tolist()
        return f"T.tensor({mask}, dtype=T.bool)"
    if r == 2 and len(shape) >= 2:
        return f"{_index_tensor(b, shape[0], (2,))}, {_index_tensor(b, shape[1], (1,))}"
    return f"{x} > 0" if b.dtype_of(x) != "bool" else x


def fam_index(b):
    x = b.pick() or b.new_leaf(b.shape(min_rank=1))
    shape = b.shape_of(x)
    nd = len(shape)
    fn = b.choice(
        ["getitem", "getitem", "advanced", "index_select", "gather", "take_along_dim", "take",
         "masked_fill", "masked_select", "nonzero", "flip", "roll", "tril", "triu", "diag",
         "where1", "diag_embed", "index_fill", "repeat_interleave"]
    )  # fmt: skip
    d = dim(b, nd)
    size = shape[d] if nd and -nd <= d < nd else 0
    if fn == "getitem":
        return b.expr(f"{x}[{_basic_index(b, shape)}]", "getitem basic")
    if fn == "advanced":
        return b.expr(f"{x}[{_advanced_index(b, x, shape)}]", "getitem advanced")
    if fn == "index_select":
        return b.expr(f"T.index_select({x}, {d}, {_nonneg_index(b, size, (2,))})", "index_select")
    if fn in ("gather", "take_along_dim"):
        ishape = tuple(b.integer(0, s) if i != (d % max(nd, 1)) else b.integer(0, 3)
                       for i, s in enumerate(shape))  # fmt: skip
        idx = _nonneg_index(b, size, ishape)
        if fn == "gather":
            return b.expr(f"T.gather({x}, {d}, {idx})", "T.gather")
        return b.expr(f"T.take_along_dim({x}, {idx}, dim={d})", "T.take_along_dim")
    if fn == "take":
        n = int(np.prod(shape))
        return b.expr(f"T.take({x}, {_index_tensor(b, n, (b.integer(0, 3),))})", "T.take")
    if fn == "masked_fill":
        mask = f"({b.pick() or x} > 0)" if b.maybe(0.5) else f"({x} != {x})"
        return b.expr(f"{x}.masked_fill({mask}, {b.scalar()!r})", ".masked_fill")
    if fn == "masked_select":
        return b.expr(f"T.masked_select({x}, {x} > 0)", "T.masked_select")
    if fn == "nonzero":
        return b.expr(f"T.nonzero({x}, as_tuple={b.maybe()})", "T.nonzero")
    if fn == "flip":
        return b.expr(f"T.flip({x}, ({d},))", "T.flip")
    if fn == "roll":
        return b.expr(f"T.roll({x}, {b.integer(-3, 3)}, {d})", "T.roll")
    if fn in ("tril", "triu"):
        return b.expr(f"T.{fn}({x}, diagonal={b.integer(-2, 2)})", f"T.{fn}")
    if fn == "diag":
        return b.expr(f"T.diag({x}, {b.integer(-1, 1)})", "T.diag")
    if fn == "where1":
        return b.expr(f"T.where({x} > 0, {x}, {b.scalar()!r})", "T.where(scalar)")
    if fn == "diag_embed":
        return b.expr(f"T.diag_embed({x}, offset={b.integer(-1, 1)})", "T.diag_embed")
    if fn == "index_fill":
        idx = _nonneg_index(b, size, (2,))
        return b.expr(f"{x}.index_fill({d}, {idx}, {b.scalar()!r})", ".index_fill")
    rep = b.choice(["2", f"T.tensor({b.rng.integers(0, 3, max(size, 1)).tolist()})"])
    return b.expr(f"T.repeat_interleave({x}, {rep}, dim={d})", "T.repeat_interleave")


def fam_scatter(b):
    """scatter/scatter_add/scatter_reduce/index_add/index_copy/index_put on a clone."""
    x = b.pick(lambda t: t.dim() >= 1) or b.new_leaf(b.shape(min_rank=1, zero=0.02))
    shape = b.shape_of(x)
    nd = len(shape)
    d = dim(b, nd)
    size = shape[d] if -nd <= d < nd else 0
    fn = b.choice(["scatter", "scatter_value", "scatter_add", "scatter_reduce", "index_add",
                   "index_copy", "index_put", "index_put_acc", "masked_scatter"])  # fmt: skip
    ishape = tuple(b.integer(0, s) for s in shape)
    src = b.new_leaf(ishape, b.dtype_of(x) if b.maybe(0.9) else b.dtype())
    idx = _nonneg_index(b, size, ishape)
    if fn == "scatter":
        reduce = f", reduce={b.choice(['add', 'multiply'])!r}" if b.maybe(0.2) else ""
        return b.expr(f"T.scatter({x}, {d}, {idx}, {src}{reduce})", "T.scatter")
    if fn == "scatter_value":
        return b.expr(f"T.scatter({x}, {d}, {idx}, {b.scalar()!r})", "T.scatter(value)")
    if fn == "scatter_add":
        return b.expr(f"T.scatter_add({x}, {d}, {idx}, {src})", "T.scatter_add")
    if fn == "scatter_reduce":
        red = b.choice(["sum", "prod", "mean", "amax", "amin"])
        inc = b.maybe(0.6)
        src_ = f"T.scatter_reduce({x}, {d}, {idx}, {src}, {red!r}, include_self={inc})"
        return b.expr(src_, f"T.scatter_reduce({red})")
    k = b.integer(0, 3)
    rows = _nonneg_index(b, size, (k,))
    sshape = list(shape)
    if -nd <= d < nd:
        sshape[d] = k
    src = b.new_leaf(sshape, b.dtype_of(x))
    if fn in ("index_add", "index_copy"):
        alpha = ", alpha=2" if fn == "index_add" and b.maybe(0.3) else ""
        return b.expr(f"T.{fn}({x}, {d}, {rows}, {src}{alpha})", f"T.{fn}")
    if fn == "masked_scatter":
        return b.expr(f"{x}.masked_scatter({x} > 0, {b.new_leaf(shape, b.dtype_of(x))})",
                      ".masked_scatter")  # fmt: skip
    acc = fn == "index_put_acc"
    rows0 = _nonneg_index(b, shape[0], (k,))
    vals = b.new_leaf((k,) + shape[1:] if b.maybe(0.7) else shape[1:], b.dtype_of(x))
    out = b.expr(f"{x}.clone()", ".clone")
    if out is None:
        return None
    b.run(f"{out}.index_put_(({rows0},), {vals}, accumulate={acc})", "index_put_", touched=[out])
    return out


VIEWS = (
    "view reshape flatten unflatten movedim narrow unfold diagonal as_strided squeeze "
    "unsqueeze t mT permute transpose expand repeat tile swapaxes contiguous_cl"
).split()


def fam_view(b):
    x = b.pick() or b.new_leaf()
    shape = b.shape_of(x)
    nd = len(shape)
    n = int(np.prod(shape))
    fn = b.choice(VIEWS)
    d = dim(b, nd)
    size = shape[d] if nd and -nd <= d < nd else 1
    if fn in ("view", "reshape"):
        new = list(shape[::-1]) if b.maybe(0.3) else [n] if b.maybe(0.5) else [-1]
        if b.maybe(0.3) and n and n % 2 == 0:
            new = [2, -1]
        if b.maybe(0.05):
            new = [n + 1]
        return b.expr(f"{x}.{fn}({', '.join(map(str, new)) or '()'})", f".{fn}")
    if fn == "flatten":
        return b.expr(f"T.flatten({x}, {dim(b, nd)}, {dim(b, nd)})", "T.flatten")
    if fn == "unflatten":
        sizes = (size,) if b.maybe(0.3) else (1, size) if b.maybe(0.5) else (-1, 1)
        return b.expr(f"T.unflatten({x}, {d}, {sizes})", "T.unflatten")
    if fn == "movedim":
        return b.expr(f"T.movedim({x}, {d}, {dim(b, nd)})", "T.movedim")
    if fn == "narrow":
        start = b.integer(-size, size) if size else 0
        return b.expr(f"T.narrow({x}, {d}, {start}, {b.integer(0, 2)})", "T.narrow")
    if fn == "unfold":
        return b.expr(f"{x}.unfold({d}, {b.integer(1, 3)}, {b.integer(1, 2)})", ".unfold")
    if fn == "diagonal":
        return b.expr(f"T.diagonal({x}, {b.integer(-1, 1)}, {dim(b, nd)}, {dim(b, nd)})",
                      "T.diagonal")  # fmt: skip
    if fn == "as_strided":
        k = b.integer(0, max(n - 1, 0))
        return b.expr(f"T.as_strided({x}, (2, {k // 2 or 1}), (1, 2 if {n} > 3 else 0))",
                      "T.as_strided")  # fmt: skip
    if fn == "squeeze":
        arg = f"({d}, {dim(b, nd)})" if b.maybe(0.3) and nd >= 2 else str(d)
        return b.expr(f"{x}.squeeze({arg})", ".squeeze")
    if fn == "unsqueeze":
        return b.expr(f"{x}.unsqueeze({b.integer(-nd - 1, nd)})", ".unsqueeze")
    if fn in ("t", "mT"):
        return b.expr(f"{x}.{fn}" + ("()" if fn == "t" else ""), f".{fn}")
    if fn == "permute":
        perm = [int(i) for i in b.rng.permutation(nd)]
        return b.expr(f"{x}.permute({perm})", ".permute")
    if fn in ("transpose", "swapaxes"):
        return b.expr(f"T.{fn}({x}, {d}, {dim(b, nd)})", f"T.{fn}")
    if fn == "expand":
        new = [b.choice([s, -1, 3]) if s == 1 else b.choice([s, -1]) for s in shape]
        new = ([2] if b.maybe(0.3) else []) + new
        return b.expr(f"{x}.expand({', '.join(map(str, new)) or '()'})", ".expand")
    if fn in ("repeat", "tile"):
        reps = [b.integer(0, 2) for _ in range(max(nd, 1) + b.integer(0, 1))]
        return b.expr(f"{x}.{fn}({reps})", f".{fn}")
    if nd != 4 and b.maybe(0.8):
        x = b.new_leaf(b.shape(min_rank=4, max_rank=4))
    return b.expr(f"{x}.contiguous(memory_format=T.channels_last)", ".contiguous(cl)")


def fam_join(b):
    x = b.pick() or b.new_leaf(b.shape(min_rank=1))
    shape = b.shape_of(x)
    nd = len(shape)
    fn = b.choice(["cat", "stack", "hstack", "vstack", "split", "chunk", "tensor_split",
                   "unbind", "dstack", "column_stack", "split_sizes"])  # fmt: skip
    d = dim(b, nd)
    size = shape[d] if nd and -nd <= d < nd else 1
    if fn in ("cat", "stack", "hstack", "vstack", "dstack", "column_stack"):
        other = list(shape)
        if fn == "cat" and other and b.maybe(0.8):
            other[d] = b.integer(0, 2)
        y = b.new_leaf(other, b.dtype_of(x) if b.maybe(0.7) else b.dtype())
        kw = f", dim={d}" if fn in ("cat", "stack") else ""
        return b.expr(f"T.{fn}([{x}, {y}]{kw})", f"T.{fn}")
    if fn == "split":
        return b.expr(f"T.split({x}, {b.integer(1, 3)}, dim={d})", "T.split")
    if fn == "split_sizes":
        a = b.integer(0, size)
        return b.expr(f"T.split({x}, [{a}, {size - a}], dim={d})", "T.split(sizes)")
    if fn == "chunk":
        return b.expr(f"T.chunk({x}, {b.integer(1, 4)}, dim={d})", "T.chunk")
    if fn == "tensor_split":
        arg = b.integer(1, 3) if b.maybe() else [b.integer(0, 3), b.integer(0, 4)]
        return b.expr(f"T.tensor_split({x}, {arg}, dim={d})", "T.tensor_split")
    return b.expr(f"T.unbind({x}, {d})", "T.unbind")


def fam_ternary(b):
    x = b.pick() or b.new_leaf()
    shape = b.shape_of(x)
    fn = b.choice(["where", "clamp", "clamp_t", "lerp", "addcmul", "addcdiv", "clip"])
    if fn == "where":
        y = operand(b, x)
        return b.expr(f"T.where({b.new_leaf(shape, 'bool')}, {x}, {y})", "T.where")
    if fn in ("clamp", "clip"):
        lo, hi = b.choice([None, -1, 0.5, -0.5, 0]), b.choice([None, 1, 2.5, 0, -1])
        return b.expr(f"T.{fn}({x}, min={lo!r}, max={hi!r})", f"T.{fn}")
    if fn == "clamp_t":
        lo = b.new_leaf(shape, b.dtype_of(x))
        return b.expr(f"T.clamp({x}, min={lo})", "T.clamp(tensor)")
    y = b.new_leaf(shape, b.dtype_of(x))
    if fn == "lerp":
        w = repr(b.choice([0.5, 0.25, 2.0])) if b.maybe() else b.new_leaf(shape, b.dtype_of(x))
        return b.expr(f"T.lerp({x}, {y}, {w})", "T.lerp")
    z = b.new_leaf(shape, b.dtype_of(x), positive=fn == "addcdiv")
    return b.expr(f"T.{fn}({x}, {y}, {z}, value={b.choice([1, 0.5, -2])})", f"T.{fn}")


def fam_cast(b):
    x = b.pick() or b.new_leaf()
    fn = b.choice(["to", "float", "half", "bfloat16", "int", "long", "bool", "double",
                   "type_as", "clone", "detach"])  # fmt: skip
    if fn == "to":
        return b.expr(f"{x}.to(T.{b.dtype()})", ".to")
    if fn == "type_as":
        return b.expr(f"{x}.type_as({b.pick()})", ".type_as")
    return b.expr(f"{x}.{fn}()", f".{fn}")


INPLACE = (
    "add_ sub_ mul_ div_ clamp_ neg_ abs_ exp_ zero_ fill_ masked_fill_ sqrt_ "
    "relu_ sigmoid_ pow_ copy_ index_add_ scatter_ lerp_ addcmul_ tanh_ floor_"
).split()


def fam_inplace(b):
    """An in-place op through a view of a clone (of a leaf or an intermediate)."""
    x = b.pick() or b.new_leaf()
    base = b.expr(f"{x}.clone()", ".clone")
    if base is None:
        return None
    shape = b.shape_of(base)
    nd = len(shape)
    view = b.choice(["", "[0]", "[:, 1:]", ".t()", ".diagonal()", "[..., ::2]", ".unsqueeze(0)",
                     ".narrow(0, 0, 1)", "[None]", ".view(-1)", ".permute(*range(" + str(nd) +
                     ")[::-1])"])  # fmt: skip
    target = f"{base}{view}"
    fn = b.choice(INPLACE)
    if fn in ("add_", "sub_", "mul_", "div_", "pow_"):
        arg = repr(b.scalar()) if b.maybe() else b.new_leaf(shape[-1:], b.dtype_of(x))
        call = f"{target}.{fn}({arg})"
    elif fn == "clamp_":
        call = f"{target}.clamp_(min={b.choice([-1, 0, 0.5])!r})"
    elif fn == "fill_":
        call = f"{target}.fill_({b.scalar()!r})"
    elif fn == "masked_fill_":
        call = f"{target}.masked_fill_({target} > 0, {b.scalar()!r})"
    elif fn == "copy_":
        call = f"{target}.copy_({b.new_leaf(shape[-1:], b.dtype())})"
    elif fn == "index_add_":
        call = f"{target}.index_add_(-1, T.tensor([0]), {target}.narrow(-1, 0, 1))"
    elif fn == "scatter_":
        call = f"{target}.scatter_(-1, T.zeros_like({target}, dtype=T.int64)[..., :1], 2)"
    elif fn == "lerp_":
        call = f"{target}.lerp_({b.new_leaf(shape[-1:], b.dtype_of(x))}, 0.5)"
    elif fn == "addcmul_":
        call = f"{target}.addcmul_({target}, {target}, value=0.5)"
    else:
        call = f"{target}.{fn}()"
    if b.maybe(0.3) and fn in ("add_", "mul_", "sub_"):
        op = {"add_": "+=", "mul_": "*=", "sub_": "-="}[fn]
        call = f"{target} {op} {b.scalar()!r}" if "." not in view else call
    if b.maybe(0.25):
        idx = _basic_index(b, shape)
        call = f"{base}[{idx}] = {b.scalar()!r}"
        fn = "setitem"
    elif b.maybe(0.1) and shape:
        call = f"{base}[{_advanced_index(b, base, shape)}] = {b.scalar()!r}"
        fn = "setitem advanced"
    b.run(call, f"{fn} on view{'' if view == '' else ' ' + view}", touched=[base])
    return base


TENSOR_FAMILIES = {
    "unary": fam_unary,
    "binary": fam_binary,
    "reduce": fam_reduce,
    "pair": fam_pair,
    "index": fam_index,
    "scatter": fam_scatter,
    "view": fam_view,
    "join": fam_join,
    "ternary": fam_ternary,
    "cast": fam_cast,
    "inplace": fam_inplace,
}
__all__ = ["TENSOR_FAMILIES", "FLOATS"]
