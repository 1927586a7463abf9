"""More op families for the differential fuzzer: the layers' functional forms.

Each family draws one ``torch.nn.functional`` (or tensor) call with drawn hyperparameters, then
a few element-wise ops and reductions, like the families in ``generate.py`` (whose ``Builder``
each one receives):

- ``norm_act``: batch/layer/group/instance norm (with and without running statistics,
  training or not), ``normalize``, and the activations that take parameters;
- ``gather_scatter``: gather/scatter/index_* ops, masked ops, sorting and searching;
- ``pad_sample``: padding modes, interpolation modes, pixel shuffle, unfold/fold, embeddings,
  one-hot, distances, ``grid_sample``;
- ``attention``: ``scaled_dot_product_attention`` with boolean or float masks, causal, scaled.
"""

from __future__ import annotations

import numpy as np

from .program import Step

FLOATS = ("float32", "float64", "float64")


def _tail(b):
    """The usual few element-wise ops and reductions after the family's own op."""
    while not b.full():
        b.elementwise() if b.maybe(0.5) else b.reduction()


ACTIVATIONS = {  # name: a function of the builder giving the keyword arguments
    "elu": lambda b: {"alpha": b.choice([1.0, 0.5, 2.0])},
    "celu": lambda b: {"alpha": b.choice([1.0, 0.5, 2.0])},
    "selu": lambda b: {},
    "softplus": lambda b: {"beta": b.choice([1.0, 2.0, 0.5]), "threshold": b.choice([20, 1])},
    "hardtanh": lambda b: {"min_val": b.choice([-1.0, -0.5]), "max_val": b.choice([1.0, 2.0])},
    "relu6": lambda b: {},
    "hardswish": lambda b: {},
    "hardsigmoid": lambda b: {},
    "mish": lambda b: {},
    "softsign": lambda b: {},
    "tanhshrink": lambda b: {},
    "softshrink": lambda b: {"lambd": b.choice([0.5, 1.0])},
    "hardshrink": lambda b: {"lambd": b.choice([0.5, 1.0])},
    "threshold": lambda b: {"threshold": b.choice([0.0, 0.5]), "value": b.choice([0.0, -1.0])},
    "gelu": lambda b: {"approximate": b.choice(["none", "tanh"])},
    "leaky_relu": lambda b: {"negative_slope": b.choice([0.01, 0.2, -0.5])},
    "silu": lambda b: {},
    "logsigmoid": lambda b: {},
    "rrelu": lambda b: {"training": False},
    "softmin": lambda b: {"dim": -1},
    "glu": lambda b: {"dim": -1},
}


def family_norm_act(b):
    dt = b.choice(FLOATS)
    r = b.integer(0, 9)
    if r < 3:
        _batch_norm(b, dt)
    elif r < 4:
        n, c = b.integer(1, 3), b.integer(1, 4)
        x = b.add_input((n, c) + b.shape(min_rank=1, max_rank=2), dt)
        shape = tuple(b.value(x).shape)
        k = b.integer(1, len(shape) - 1)
        normalized = shape[-k:]
        weight = b.add_input(normalized, dt) if b.maybe(0.6) else None
        bias = b.add_input(normalized, dt) if b.maybe(0.6) else None
        b.call("F.layer_norm", x, normalized, weight, bias, eps=b.choice([1e-5, 1e-3]))
    elif r < 5:
        groups = b.integer(1, 3)
        c = groups * b.integer(1, 2)
        x = b.add_input((b.integer(1, 3), c) + b.shape(max_rank=2, zero=0), dt)
        # weight and bias together or neither: torch 2.13's backward of a group norm with a
        # bias but no weight fails on an internal check ("tensor does not have a device")
        affine = b.maybe(0.6)
        weight = b.add_input((c,), dt) if affine else None
        bias = b.add_input((c,), dt) if affine else None
        b.call("F.group_norm", x, groups, weight, bias)
    elif r < 6:
        c = b.integer(1, 3)
        x = b.add_input((b.integer(1, 2), c) + b.shape(min_rank=1, max_rank=2, zero=0), dt)
        kwargs = {}
        if b.maybe(0.4):
            kwargs["weight"] = b.add_input((c,), dt)
            kwargs["bias"] = b.add_input((c,), dt)
        b.call("F.instance_norm", x, **kwargs)
    elif r < 7:
        x = b.add_input(b.shape(min_rank=1), dt)
        nd = b.value(x).ndim
        b.call("F.normalize", x, p=b.choice([2.0, 1.0, 3.0]), dim=b.dim_arg(nd))
    elif r < 8:
        x = b.add_input(b.shape(min_rank=1, max_rank=3), dt)
        c = tuple(b.value(x).shape)[1] if b.value(x).ndim >= 2 else 1
        weight = b.add_input((c,) if b.maybe(0.5) else (1,), dt)
        b.call("F.prelu", x, weight)
    else:
        name = b.choice(sorted(ACTIVATIONS))
        shape = b.shape(min_rank=1)
        if name == "glu" and shape:
            shape = shape[:-1] + (2 * max(shape[-1], 1),)
        x = b.add_input(shape, dt)
        b.call(f"F.{name}", x, **ACTIVATIONS[name](b))
    _tail(b)


def _batch_norm(b, dt):
    c = b.integer(1, 3)
    x = b.add_input((b.integer(1, 4), c) + b.shape(max_rank=2, zero=0), dt)
    training = b.maybe(0.6)
    running = not training or b.maybe(0.5)
    mean = b.add_input((c,), dt, requires_grad=False) if running else None
    var = b.add_input((c,), dt, requires_grad=False, positive=True) if running else None
    weight = b.add_input((c,), dt) if b.maybe(0.6) else None
    bias = b.add_input((c,), dt) if b.maybe(0.6) else None
    kwargs = {"training": training, "momentum": b.choice([0.1, 0.5]), "eps": 1e-5}
    b.call("F.batch_norm", x, mean, var, weight, bias, **kwargs)
    if running and training:  # the updated running statistics are outputs too
        b.add(Step("binop", "*", (mean, 1), out=b.name()))
        b.add(Step("binop", "*", (var, 1), out=b.name()))


def _index_tensor(b, size, shape):
    """Int64 indices in [0, size) of ``shape`` (sometimes one out of range)."""
    hi = size + (1 if b.maybe(0.03) else 0)
    return b.lit(b.rng.integers(0, max(hi, 1), shape).astype(np.int64))


def family_gather_scatter(b):
    dt = b.choice(("float32", "float64", "float64", "int64"))
    x = b.add_input(b.shape(min_rank=1, max_rank=3, zero=0.03), dt)
    shape = tuple(b.value(x).shape)
    nd = len(shape)
    d = b.dim_arg(nd)
    size = shape[d] if -nd <= d < nd else 1
    sub = tuple(b.integer(0, s) for s in shape)  # an index shape no larger than x
    fn = b.choice(["gather", "scatter", "scatter_add", "scatter_reduce", "index_add",
                   "index_copy", "index_fill", "index_select", "masked_fill", "masked_select",
                   "take", "take_along_dim", "sort", "argsort", "topk", "kthvalue",
                   "searchsorted", "bucketize", "diff", "repeat_interleave"])  # fmt: skip
    if fn in ("gather", "take_along_dim"):
        b.call(fn, x, _index_tensor(b, size, sub), dim=d)
    elif fn in ("scatter", "scatter_add", "scatter_reduce"):
        index = _index_tensor(b, size, sub)
        src = b.add_input(sub, dt)
        if fn == "scatter" and b.maybe(0.3):
            b.call("scatter", x, d, index, b.choice([0.5, -2.0]))
        elif fn == "scatter_reduce":
            reduce = b.choice(["sum", "prod", "mean", "amax", "amin"])
            b.call(fn, x, d, index, src, reduce, include_self=b.maybe(0.6))
        else:
            b.call(fn, x, d, index, src)
    elif fn in ("index_add", "index_copy", "index_fill", "index_select"):
        k = b.integer(0, 3)
        values = b.rng.permutation(max(size, 1))[:k] if fn == "index_copy" else None
        if values is None:
            values = b.rng.integers(0, max(size, 1), (k,))
        index = b.lit(values.astype(np.int64))
        if fn == "index_select":
            b.call(fn, x, d, index)
        elif fn == "index_fill":
            b.call(fn, x, d, index, b.choice([0.0, -1.5]))
        else:
            src_shape = list(shape)
            if -nd <= d < nd:
                src_shape[d] = k
            src = b.add_input(tuple(src_shape), dt)
            kwargs = {"alpha": b.choice([1, 2])} if fn == "index_add" else {}
            b.call(fn, x, d, index, src, **kwargs)
    elif fn in ("masked_fill", "masked_select"):
        mask = b.add_input(b.broadcast_shape(shape), "bool")
        if fn == "masked_fill":
            b.call(fn, x, mask, b.choice([0.0, -1e9, 2.5]))
        else:
            b.call(fn, x, mask)
    elif fn == "take":
        numel = int(np.prod(shape))
        b.call(fn, x, _index_tensor(b, numel, (b.integer(0, 4),)))
    elif fn in ("sort", "argsort"):
        kwargs = {"dim": d, "descending": b.maybe(0.4)}
        if b.maybe(0.5):
            kwargs["stable"] = True
        if fn == "sort":
            b.add(Step("func", "sort", (x,), kwargs, out=(b.name(), b.name())))
        else:
            b.call(fn, x, **kwargs)
    elif fn in ("topk", "kthvalue"):
        k = b.integer(1, max(size, 1))
        if fn == "topk":
            kwargs = {"dim": d, "largest": b.maybe(0.7), "sorted": True}
            b.add(Step("func", "topk", (x, k), kwargs, out=(b.name(), b.name())))
        else:
            b.add(Step("func", "kthvalue", (x, k), {"dim": d}, out=(b.name(), b.name())))
    elif fn in ("searchsorted", "bucketize"):
        edges = np.sort(b.array((b.integer(1, 5),), dt if dt != "bool" else "float64"))
        kwargs = {"right": b.maybe(0.4)}
        if fn == "searchsorted":
            b.call(fn, b.lit(edges), x, **kwargs)
        else:
            b.call(fn, x, b.lit(edges), **kwargs)
    elif fn == "diff":
        b.call(fn, x, n=b.integer(1, 2), dim=d)
    else:
        repeats = b.integer(0, 3) if b.maybe(0.5) else _index_tensor(b, 3, (size,))
        b.call(fn, x, repeats, dim=d)
    _tail(b)


PAD_MODES = ("constant", "reflect", "replicate", "circular")


def family_pad_sample(b):
    dt = b.choice(FLOATS)
    r = b.integer(0, 9)
    if r < 3:
        k = b.integer(1, 2)  # spatial dims padded
        x = b.add_input((b.integer(1, 2), b.integer(1, 2)) + tuple(
            b.integer(1, 4) for _ in range(k)), dt)  # fmt: skip
        mode = b.choice(PAD_MODES)
        pads = tuple(b.integer(-1 if mode == "constant" else 0, 3) for _ in range(2 * k))
        kwargs = {"mode": mode}
        if mode == "constant" and b.maybe(0.5):
            kwargs["value"] = b.choice([0.0, 1.5, -2.0])
        b.call("F.pad", x, pads, **kwargs)
    elif r < 6:
        k = b.integer(1, 2)
        x = b.add_input((b.integer(1, 2), b.integer(1, 2)) + tuple(
            b.integer(1, 5) for _ in range(k)), dt)  # fmt: skip
        modes = ["nearest", "nearest-exact", "area"] + (["linear"] if k == 1 else
                                                        ["bilinear", "bicubic"])  # fmt: skip
        mode = b.choice(modes)
        kwargs = {"mode": mode}
        if b.maybe(0.5):
            kwargs["size"] = tuple(b.integer(1, 7) for _ in range(k))
        else:
            kwargs["scale_factor"] = b.choice([2, 0.5, 1.5, 3])
        if mode in ("linear", "bilinear", "bicubic"):
            kwargs["align_corners"] = b.maybe(0.4)
        b.call("F.interpolate", x, **kwargs)
    elif r < 7:
        s = b.integer(1, 2)
        if b.maybe():
            x = b.add_input((b.integer(1, 2), s * s * b.integer(1, 2), 2, 3), dt)
            b.call("F.pixel_shuffle", x, s)
        else:
            x = b.add_input((1, b.integer(1, 2), 2 * s, 3 * s), dt)
            b.call("F.pixel_unshuffle", x, s)
    elif r < 8:
        x = b.add_input((b.integer(1, 2), b.integer(1, 2), b.integer(2, 5), b.integer(2, 5)), dt)
        kwargs = {"kernel_size": b.integer(1, 2), "stride": b.integer(1, 2)}
        if b.maybe(0.4):
            kwargs["padding"] = 1
        if b.maybe(0.2):
            kwargs["dilation"] = 2
        b.call("F.unfold", x, **kwargs)
    elif r < 9:
        num, dim = b.integer(1, 5), b.integer(1, 3)
        weight = b.add_input((num, dim), dt)
        index = _index_tensor(b, num, b.shape(max_rank=2, zero=0.03))
        kwargs = {}
        if b.maybe(0.3):
            kwargs["padding_idx"] = b.integer(-num, num - 1)
        b.call("F.embedding", index, weight, **kwargs)
    else:
        x = b.add_input(b.shape(min_rank=1, max_rank=3), dt)
        y = b.add_input(b.broadcast_shape(tuple(b.value(x).shape)), dt)
        fn = b.choice(["F.cosine_similarity", "F.pairwise_distance"])
        if fn == "F.cosine_similarity":
            nd = b.value(x).ndim
            b.call(fn, x, y, dim=b.dim_arg(nd), eps=1e-8)
        else:
            b.call(fn, x, y, p=b.choice([2.0, 1.0]), keepdim=b.maybe(0.3))
    _tail(b)


def family_attention(b):
    dt = b.choice(FLOATS)
    batch = b.shape(max_rank=2, zero=0)
    lq, lk, e, ev = b.integer(1, 4), b.integer(1, 4), b.integer(1, 4), b.integer(1, 3)
    q = b.add_input(batch + (lq, e), dt)
    k = b.add_input(batch + (lk, e), dt)
    v = b.add_input(batch + (lk, ev), dt)
    kwargs = {}
    r = b.integer(0, 3)
    if r == 1:
        mask = b.rng.random((lq, lk)) < 0.7
        mask[:, 0] = True  # no fully masked row: torch gives NaN there, its own convention
        kwargs["attn_mask"] = b.lit(mask)
    elif r == 2:
        kwargs["attn_mask"] = b.add_input((lq, lk), dt, requires_grad=b.maybe(0.3))
    elif r == 3:
        kwargs["is_causal"] = True
    if b.maybe(0.3):
        kwargs["scale"] = b.choice([0.5, 1.0, 2.0])
    b.call("F.scaled_dot_product_attention", q, k, v, **kwargs)
    _tail(b)


NN_FAMILIES = {
    "norm_act": family_norm_act,
    "gather_scatter": family_gather_scatter,
    "pad_sample": family_pad_sample,
    "attention": family_attention,
}
