"""A manual sweep: float16 and bfloat16 ops in gradiente against torch 2.13 on the CPU.

Run ``OMP_WAIT_POLICY=PASSIVE python tests/reduced_precision/sweep.py [substring ...]``. Each op
in ``CASES`` runs forward and backward in both libraries on the same inputs (random values, and
once more with inf, nan and values that overflow float16 planted in the first input), and each
result falls in one class:

- ``a``: bit-exact (values, dtypes, gradients);
- ``b``: the same dtypes, some values differ (the report gives the largest difference in ulps);
- ``c``: gradiente raises where torch works;
- ``d``: torch raises where gradiente works;
- ``e``: a result's dtype or shape differs.

Both raising counts as ``a`` when the messages agree and ``m`` when they do not. The table it
prints, op by op, is what ``tests/reduced_precision/test_reduced_precision.py`` was written from.
"""

from __future__ import annotations

import os
import sys
import zlib
from collections import Counter

import ml_dtypes
import numpy as np

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import torch  # noqa: E402

import gradiente as g  # noqa: E402

DTYPES = {"float16": (torch.float16, g.float16), "bfloat16": (torch.bfloat16, g.bfloat16)}
NUMPY = {"float16": np.float16, "bfloat16": ml_dtypes.bfloat16}


class L:
    """The two libraries behind one name: ``L.torch`` and ``L.g`` hold ``lib`` and ``F``."""

    def __init__(self, lib, F):
        self.lib, self.F = lib, F


TORCH, GRAD = L(torch, torch.nn.functional), L(g, g.nn.functional)


def normal(*shape, pos=False, scale=1.0):
    """A spec for a float input: standard normal values (|x| + 0.1 when ``pos``)."""
    return ("f", shape, pos, scale)


def ints(high, *shape):
    """A spec for an int64 input with values in [0, high)."""
    return ("i", shape, high)


def bools(*shape):
    return ("b", shape)


def make(spec, rng):
    if spec[0] == "f":
        _, shape, pos, scale = spec
        a = rng.standard_normal(shape).astype(np.float32) * scale
        return np.abs(a) + 0.1 if pos else a
    if spec[0] == "i":
        return rng.integers(0, spec[2], spec[1]).astype(np.int64)
    return rng.random(spec[1]) < 0.5


def plant_specials(a):
    """inf, -inf, nan, a value past float16's range and a tiny one in a copy of ``a``."""
    a = a.copy()
    flat = a.reshape(-1)
    for i, v in enumerate([np.inf, -np.inf, np.nan, 70000.0, -1e-6, 3e4]):
        if i < flat.size:
            flat[(i * 7919) % flat.size] = v
    return a


def to_lib(lib, arrays, specs, dtype, grad):
    out = []
    for a, s in zip(arrays, specs):
        if s[0] == "f":
            t = lib.lib.tensor(a).to(dtype)
            out.append(t.requires_grad_(grad))
        else:
            out.append(lib.lib.tensor(a))
    return out


def as_list(out):
    if isinstance(out, (tuple, list)):
        return [o for o in out if hasattr(o, "dtype")]
    return [out]


def to_numpy(t):
    """float64 values of a tensor of either library (exact for 16-bit floats)."""
    t = t.detach()
    if t.dtype.is_floating_point:
        t = t.double()
    return np.asarray(t.numpy() if hasattr(t, "numpy") else t._data)


def ulps(x, y, np_dtype):
    """Elementwise distance of two float16/bfloat16 value arrays in units in the last place."""

    def ordered(v):
        b = np.asarray(v, dtype=np.float64).astype(np.float32).astype(np_dtype).view(np.uint16)
        b = b.astype(np.int64)
        return np.where(b & 0x8000, -(b & 0x7FFF), b)

    both_nan = np.isnan(x) & np.isnan(y)
    d = np.abs(ordered(x) - ordered(y))
    return np.where(both_nan, 0, d)


def compare(t_outs, g_outs, dname):
    """('a'|'b'|'e', detail) for lists of torch and gradiente tensors."""
    if len(t_outs) != len(g_outs):
        return "e", f"{len(t_outs)} vs {len(g_outs)} outputs"
    worst, detail = "a", ""
    for i, (t, o) in enumerate(zip(t_outs, g_outs)):
        if str(t.dtype) != str(o.dtype):
            return "e", f"out{i} dtype {t.dtype} vs {o.dtype}"
        if tuple(t.shape) != tuple(o.shape):
            return "e", f"out{i} shape {tuple(t.shape)} vs {tuple(o.shape)}"
        x, y = to_numpy(t), to_numpy(o)
        if not t.dtype.is_floating_point or str(t.dtype).split(".")[-1] not in NUMPY:
            same = np.array_equal(x, y, equal_nan=t.dtype.is_floating_point)
            if not same:
                worst, detail = "b", f"out{i} {np.sum(x != y)} values differ"
            continue
        u = ulps(x, y, NUMPY[dname])
        if u.max(initial=0) > 0:
            worst = "b"
            detail += f"out{i} {int((u > 0).sum())}/{u.size} differ, max {int(u.max())} ulp; "
    return worst, detail


def run_one(lib, fn, arrays, specs, dtype, grad_seed):
    """(outputs, input grads) or the exception raised in the forward or the backward."""
    try:
        inputs = to_lib(lib, arrays, specs, dtype, True)
        outs = as_list(fn(lib, *inputs))
    except Exception as exc:  # noqa: BLE001 - the sweep classifies every failure
        return "fwd", exc
    float_outs = [o for o in outs if o.dtype.is_floating_point and o.requires_grad]
    if not float_outs:
        return outs, []
    out = float_outs[0]
    rng = np.random.default_rng(grad_seed)
    gout = lib.lib.tensor(rng.standard_normal(tuple(out.shape)).astype(np.float32)).to(out.dtype)
    try:
        out.backward(gout)
    except Exception as exc:  # noqa: BLE001
        return "bwd", (outs, exc)
    leaves = [t for t, s in zip(inputs, specs) if s[0] == "f"]
    grads = [t.grad if t.grad is not None else lib.lib.zeros(()) for t in leaves]
    return outs, grads


def classify(name, fn, specs, dname, special):
    seed = zlib.crc32(name.encode())
    rng = np.random.default_rng(seed)
    arrays = [make(s, rng) for s in specs]
    if special:  # into the first float input
        first = next(i for i, s in enumerate(specs) if s[0] == "f")
        arrays[first] = plant_specials(arrays[first])
    tdt, gdt = DTYPES[dname]
    t = run_one(TORCH, fn, arrays, specs, tdt, seed + 1)
    o = run_one(GRAD, fn, arrays, specs, gdt, seed + 1)
    for stage in ("fwd", "bwd"):
        t_err, o_err = t[0] == stage, o[0] == stage
        if t_err or o_err:
            te = (t[1] if stage == "fwd" else t[1][1]) if t_err else None
            oe = (o[1] if stage == "fwd" else o[1][1]) if o_err else None
            if t_err and o_err:
                same = str(te).split("\n")[0] == str(oe).split("\n")[0]
                return ("a" if same else "m"), f"{stage}: both raise: {te!s:.80} | {oe!s:.80}"
            if o_err:
                return "c", f"{stage}: {type(oe).__name__}: {oe!s:.120}"
            # torch raised; compare forward outputs first if it was the backward
            return "d", f"{stage}: torch {type(te).__name__}: {te!s:.120}"
    cls, detail = compare(t[0], o[0], dname)
    if cls == "e":
        return cls, "fwd " + detail
    gcls, gdetail = compare(t[1], o[1], dname)
    if gcls == "e":
        return gcls, "bwd " + gdetail
    if cls == "a" and gcls == "a":
        return "a", ""
    return "b", (f"fwd {detail}" if detail else "") + (f"bwd {gdetail}" if gdetail else "")


# ---------------------------------------------------------------------------------------------
# The ops: name -> (fn(lib, *inputs), input specs)


def _img(*s):
    return normal(*s)


CASES: dict = {}


def case(name, specs, fn):
    CASES[name] = (fn, specs)


X = normal(2, 3, 8, 8)
V = normal(4, 6)
_act = [
    "relu",
    "relu6",
    "elu",
    "selu",
    "celu",
    "gelu",
    "silu",
    "mish",
    "softplus",
    "softsign",
    "hardtanh",
    "hardsigmoid",
    "hardswish",
    "sigmoid",
    "tanh",
    "logsigmoid",
    "tanhshrink",
    "softshrink",
    "hardshrink",
]
for _n in _act:
    case(f"F.{_n}", [V], lambda L, x, _n=_n: getattr(L.F, _n)(x))
case("F.leaky_relu", [V], lambda L, x: L.F.leaky_relu(x, 0.1))
case("F.gelu_tanh", [V], lambda L, x: L.F.gelu(x, approximate="tanh"))
case("F.threshold", [V], lambda L, x: L.F.threshold(x, 0.1, 20.0))
case("F.prelu", [normal(4, 6), normal(6)], lambda L, x, w: L.F.prelu(x, w))
case("F.rrelu_eval", [V], lambda L, x: L.F.rrelu(x, training=False))
case("F.glu", [V], lambda L, x: L.F.glu(x, -1))
case("F.softmax", [V], lambda L, x: L.F.softmax(x, -1))
case("F.softmax0", [V], lambda L, x: L.F.softmax(x, 0))
case("F.softmin", [V], lambda L, x: L.F.softmin(x, -1))
case("F.log_softmax", [V], lambda L, x: L.F.log_softmax(x, -1))
case("F.log_softmax0", [V], lambda L, x: L.F.log_softmax(x, 0))
case("F.dropout_p0", [V], lambda L, x: L.F.dropout(x, 0.0))
case("F.normalize", [V], lambda L, x: L.F.normalize(x, dim=-1))
case("F.cosine_similarity", [V, V], lambda L, a, b: L.F.cosine_similarity(a, b))
case("F.pairwise_distance", [V, V], lambda L, a, b: L.F.pairwise_distance(a, b))

# pooling (k=3, s=2 overlaps windows)
X1, X3 = normal(2, 3, 10), normal(1, 2, 6, 6, 6)
case("F.max_pool1d", [X1], lambda L, x: L.F.max_pool1d(x, 3, 2))
case("F.max_pool2d", [X], lambda L, x: L.F.max_pool2d(x, 2))
case("F.max_pool2d_overlap", [X], lambda L, x: L.F.max_pool2d(x, 3, 2, 1))
case("F.max_pool2d_idx", [X], lambda L, x: L.F.max_pool2d(x, 3, 2, return_indices=True))
case("F.max_pool3d", [X3], lambda L, x: L.F.max_pool3d(x, 2))
case("F.max_pool3d_overlap", [X3], lambda L, x: L.F.max_pool3d(x, 3, 2))
case("F.avg_pool1d", [X1], lambda L, x: L.F.avg_pool1d(x, 3, 2))
case("F.avg_pool2d", [X], lambda L, x: L.F.avg_pool2d(x, 2))
case("F.avg_pool2d_overlap", [X], lambda L, x: L.F.avg_pool2d(x, 3, 2, 1))
case("F.avg_pool3d", [X3], lambda L, x: L.F.avg_pool3d(x, 2))
case("F.avg_pool3d_overlap", [X3], lambda L, x: L.F.avg_pool3d(x, 3, 2))
case("F.adaptive_avg_pool1d", [X1], lambda L, x: L.F.adaptive_avg_pool1d(x, 4))
case("F.adaptive_avg_pool2d", [X], lambda L, x: L.F.adaptive_avg_pool2d(x, 3))
case("F.adaptive_avg_pool2d_1", [X], lambda L, x: L.F.adaptive_avg_pool2d(x, 1))
case("F.adaptive_avg_pool3d", [X3], lambda L, x: L.F.adaptive_avg_pool3d(x, 4))
case("F.adaptive_max_pool1d", [X1], lambda L, x: L.F.adaptive_max_pool1d(x, 4))
case("F.adaptive_max_pool2d", [X], lambda L, x: L.F.adaptive_max_pool2d(x, 3))
case("F.adaptive_max_pool3d", [X3], lambda L, x: L.F.adaptive_max_pool3d(x, 4))
case("F.lp_pool2d", [normal(2, 3, 8, 8, pos=True)], lambda L, x: L.F.lp_pool2d(x, 2, 2))
case(
    "F.max_unpool2d",
    [X],
    lambda L, x: L.F.max_unpool2d(*L.F.max_pool2d(x, 2, return_indices=True), 2),
)
case("F.pixel_shuffle", [normal(1, 4, 3, 3)], lambda L, x: L.F.pixel_shuffle(x, 2))

# normalisation
C3 = normal(3)
case(
    "F.batch_norm_train", [X, C3, C3], lambda L, x, w, b: L.F.batch_norm(x, None, None, w, b, True)
)
case(
    "F.batch_norm_eval",
    [X, C3, normal(3, pos=True), C3, C3],
    lambda L, x, m, v, w, b: L.F.batch_norm(x, m.detach(), v.detach(), w, b, False),
)
case("F.layer_norm", [V, normal(6), normal(6)], lambda L, x, w, b: L.F.layer_norm(x, (6,), w, b))
case(
    "F.group_norm",
    [normal(2, 4, 5), normal(4), normal(4)],
    lambda L, x, w, b: L.F.group_norm(x, 2, w, b),
)
case("F.instance_norm", [X], lambda L, x: L.F.instance_norm(x))
case("F.local_response_norm", [X], lambda L, x: L.F.local_response_norm(x, 2))

# convolutions and products
case(
    "F.conv1d",
    [normal(2, 3, 9), normal(4, 3, 3), normal(4)],
    lambda L, x, w, b: L.F.conv1d(x, w, b),
)
case(
    "F.conv2d",
    [X, normal(4, 3, 3, 3), normal(4)],
    lambda L, x, w, b: L.F.conv2d(x, w, b, padding=1),
)
case("F.conv2d_s2", [X, normal(4, 3, 3, 3)], lambda L, x, w: L.F.conv2d(x, w, stride=2))
case("F.conv3d", [X3, normal(3, 2, 2, 2, 2)], lambda L, x, w: L.F.conv3d(x, w))
case(
    "F.conv_transpose1d",
    [normal(2, 3, 5), normal(3, 2, 3)],
    lambda L, x, w: L.F.conv_transpose1d(x, w),
)
case(
    "F.conv_transpose2d",
    [normal(1, 3, 4, 4), normal(3, 2, 3, 3)],
    lambda L, x, w: L.F.conv_transpose2d(x, w, stride=2),
)
case(
    "F.conv_transpose3d",
    [normal(1, 2, 3, 3, 3), normal(2, 2, 2, 2, 2)],
    lambda L, x, w: L.F.conv_transpose3d(x, w),
)
case("F.linear", [V, normal(5, 6), normal(5)], lambda L, x, w, b: L.F.linear(x, w, b))
case("F.linear_nobias", [V, normal(5, 6)], lambda L, x, w: L.F.linear(x, w))
case(
    "F.bilinear",
    [normal(3, 4), normal(3, 5), normal(2, 4, 5), normal(2)],
    lambda L, a, b, w, c: L.F.bilinear(a, b, w, c),
)
case("F.embedding", [ints(5, 4, 3), normal(5, 4)], lambda L, i, w: L.F.embedding(i, w))

# interpolation
for _mode, _ac in [
    ("nearest", None),
    ("nearest-exact", None),
    ("bilinear", False),
    ("bilinear", True),
    ("bicubic", False),
    ("bicubic", True),
    ("area", None),
]:
    kw = {} if _ac is None else {"align_corners": _ac}
    case(
        f"F.interpolate_{_mode}_{_ac}",
        [X],
        lambda L, x, _m=_mode, kw=kw: L.F.interpolate(x, scale_factor=1.5, mode=_m, **kw),
    )
    case(
        f"F.interpolate_down_{_mode}_{_ac}",
        [X],
        lambda L, x, _m=_mode, kw=kw: L.F.interpolate(x, size=(5, 3), mode=_m, **kw),
    )
case("F.interpolate_linear", [X1], lambda L, x: L.F.interpolate(x, scale_factor=2, mode="linear"))
case(
    "F.interpolate_trilinear",
    [X3],
    lambda L, x: L.F.interpolate(x, scale_factor=2, mode="trilinear"),
)
case(
    "F.interpolate_nearest3d", [X3], lambda L, x: L.F.interpolate(x, scale_factor=2, mode="nearest")
)
case(
    "F.grid_sample",
    [normal(1, 2, 5, 5), normal(1, 4, 4, 2, scale=0.6)],
    lambda L, x, gr: L.F.grid_sample(x, gr, align_corners=False),
)
case(
    "F.affine_grid",
    [normal(2, 2, 3)],
    lambda L, t: L.F.affine_grid(t, (2, 1, 4, 5), align_corners=False),
)

# padding
for _pm in ["constant", "reflect", "replicate", "circular"]:
    case(f"F.pad_{_pm}", [X], lambda L, x, _pm=_pm: L.F.pad(x, (1, 2, 2, 1), mode=_pm))

# losses
P, T = normal(4, 6), normal(4, 6)
case("F.mse_loss", [P, T], lambda L, a, b: L.F.mse_loss(a, b))
case("F.l1_loss", [P, T], lambda L, a, b: L.F.l1_loss(a, b))
case("F.smooth_l1_loss", [P, T], lambda L, a, b: L.F.smooth_l1_loss(a, b))
case("F.huber_loss", [P, T], lambda L, a, b: L.F.huber_loss(a, b))
case("F.mse_loss_none", [P, T], lambda L, a, b: L.F.mse_loss(a, b, reduction="none"))
case(
    "F.bce",
    [normal(4, 6, pos=True, scale=0.3), normal(4, 6, pos=True, scale=0.3)],
    lambda L, a, b: L.F.binary_cross_entropy(a.clamp(0.01, 0.99), b.clamp(0, 1)),
)
case(
    "F.bce_with_logits",
    [P, normal(4, 6, pos=True, scale=0.2)],
    lambda L, a, b: L.F.binary_cross_entropy_with_logits(a, b),
)
case("F.cross_entropy", [P, ints(6, 4)], lambda L, a, t: L.F.cross_entropy(a, t))
case(
    "F.cross_entropy_ls",
    [P, ints(6, 4)],
    lambda L, a, t: L.F.cross_entropy(a, t, label_smoothing=0.1),
)
case(
    "F.cross_entropy_probs", [P, normal(4, 6)], lambda L, a, t: L.F.cross_entropy(a, t.softmax(-1))
)
case(
    "F.cross_entropy_2d",
    [normal(2, 4, 3, 3), ints(4, 2, 3, 3)],
    lambda L, a, t: L.F.cross_entropy(a, t),
)
case("F.nll_loss", [P, ints(6, 4)], lambda L, a, t: L.F.nll_loss(a, t))
case("F.nll_loss_w", [P, ints(6, 4), normal(6, pos=True)], lambda L, a, t, w: L.F.nll_loss(a, t, w))
case(
    "F.kl_div", [P, normal(4, 6, pos=True)], lambda L, a, b: L.F.kl_div(a, b, reduction="batchmean")
)
case("F.soft_margin_loss", [P, T], lambda L, a, b: L.F.soft_margin_loss(a, b.sign()))
case(
    "F.margin_ranking_loss",
    [normal(5), normal(5), normal(5)],
    lambda L, a, b, y: L.F.margin_ranking_loss(a, b, y.sign()),
)
case("F.hinge_embedding_loss", [P, T], lambda L, a, b: L.F.hinge_embedding_loss(a, b.sign()))
case(
    "F.cosine_embedding_loss",
    [P, T, normal(4)],
    lambda L, a, b, y: L.F.cosine_embedding_loss(a, b, y.sign()),
)
case(
    "F.triplet_margin_loss",
    [P, T, normal(4, 6)],
    lambda L, a, p, n: L.F.triplet_margin_loss(a, p, n),
)
case("F.poisson_nll_loss", [P, normal(4, 6, pos=True)], lambda L, a, b: L.F.poisson_nll_loss(a, b))
case(
    "F.gaussian_nll_loss",
    [P, T, normal(4, 6, pos=True)],
    lambda L, a, b, v: L.F.gaussian_nll_loss(a, b, v),
)
case(
    "F.multilabel_soft_margin_loss",
    [P, ints(2, 4, 6)],
    lambda L, a, t: L.F.multilabel_soft_margin_loss(a, t),
)
case("F.multi_margin_loss", [P, ints(6, 4)], lambda L, a, t: L.F.multi_margin_loss(a, t))

# element-wise math
A, Bp = normal(5, 7), normal(5, 7, pos=True)
for _n in [
    "exp",
    "sin",
    "cos",
    "tanh",
    "sigmoid",
    "erf",
    "abs",
    "neg",
    "floor",
    "round",
    "sign",
    "expm1",
    "erfc",
    "atan",
    "asinh",
    "exp2",
    "sinh",
    "cosh",
    "square",
    "trunc",
]:
    case(f"{_n}", [A], lambda L, x, _n=_n: getattr(L.lib, _n)(x))
for _n in ["log", "sqrt", "rsqrt", "reciprocal", "log1p", "log2", "log10", "lgamma", "digamma"]:
    case(f"{_n}", [Bp], lambda L, x, _n=_n: getattr(L.lib, _n)(x))
case("pow_scalar", [Bp], lambda L, x: L.lib.pow(x, 2.5))
case("pow_2", [A], lambda L, x: L.lib.pow(x, 2))
case("pow_tensor", [Bp, A], lambda L, x, y: L.lib.pow(x, y))
case("add", [A, A], lambda L, x, y: x + y)
case("add_alpha", [A, A], lambda L, x, y: L.lib.add(x, y, alpha=0.3))
case("sub_scalar", [A], lambda L, x: x - 0.3)
case("mul", [A, A], lambda L, x, y: x * y)
case("mul_scalar", [A], lambda L, x: x * 0.3)
case("div", [A, Bp], lambda L, x, y: x / y)
case("div_scalar", [A], lambda L, x: x / 3.0)
case("div_trunc", [A, Bp], lambda L, x, y: L.lib.div(x * 4, y, rounding_mode="trunc"))
case("div_floor", [A, Bp], lambda L, x, y: L.lib.div(x * 4, y, rounding_mode="floor"))
case("remainder", [A, Bp], lambda L, x, y: L.lib.remainder(x * 4, y))
case("fmod", [A, Bp], lambda L, x, y: L.lib.fmod(x * 4, y))
case("atan2", [A, A], lambda L, x, y: L.lib.atan2(x, y))
case("lerp", [A, A], lambda L, x, y: L.lib.lerp(x, y, 0.3))
case(
    "lerp_tensor", [A, A, normal(5, 7, pos=True, scale=0.3)], lambda L, x, y, w: L.lib.lerp(x, y, w)
)
case("addcmul", [A, A, A], lambda L, x, y, z: L.lib.addcmul(x, y, z, value=0.5))
case("addcdiv", [A, A, Bp], lambda L, x, y, z: L.lib.addcdiv(x, y, z, value=0.5))
case("clamp", [A], lambda L, x: L.lib.clamp(x, -0.5, 0.5))
case("maximum", [A, A], lambda L, x, y: L.lib.maximum(x, y))
case("where", [bools(5, 7), A, A], lambda L, c, x, y: L.lib.where(c, x, y))
case("hypot", [A, A], lambda L, x, y: L.lib.hypot(x, y))
case("xlogy", [Bp, Bp], lambda L, x, y: L.lib.xlogy(x, y))

# reductions
R = normal(6, 50)
for _n in [
    "sum",
    "mean",
    "prod",
    "var",
    "std",
    "norm",
    "logsumexp",
    "amax",
    "amin",
    "max",
    "min",
    "argmax",
    "argmin",
    "median",
    "nansum",
]:
    if _n in ("logsumexp",):
        case(f"{_n}_dim", [R], lambda L, x, _n=_n: getattr(L.lib, _n)(x, 1))
        continue
    case(f"{_n}", [R], lambda L, x, _n=_n: getattr(L.lib, _n)(x))
    case(f"{_n}_dim", [R], lambda L, x, _n=_n: getattr(L.lib, _n)(x, 1))
case("sum_big", [normal(4000)], lambda L, x: x.sum())
case("mean_big", [normal(3, 4000)], lambda L, x: x.mean(1))
case("prod_small", [normal(6, 8, pos=True)], lambda L, x: L.lib.prod(x, 1))
case("cumsum", [R], lambda L, x: L.lib.cumsum(x, 1))
case("cumprod", [normal(6, 8, pos=True)], lambda L, x: L.lib.cumprod(x, 1))
case("sort", [R], lambda L, x: L.lib.sort(x, 1))
case("topk", [R], lambda L, x: L.lib.topk(x, 5, 1))
case("softmax_t", [R], lambda L, x: L.lib.softmax(x, 1))
case("var_mean", [R], lambda L, x: L.lib.var_mean(x, 1))
case("mean_dims", [X], lambda L, x: x.mean((2, 3)))

# matrix products
case("mm", [normal(5, 7), normal(7, 3)], lambda L, a, b: L.lib.mm(a, b))
case("mm_big", [normal(40, 300), normal(300, 30)], lambda L, a, b: L.lib.mm(a, b))
case("bmm", [normal(2, 5, 7), normal(2, 7, 3)], lambda L, a, b: L.lib.bmm(a, b))
case("matmul", [normal(2, 5, 7), normal(7, 3)], lambda L, a, b: L.lib.matmul(a, b))
case("matmul_vec", [normal(7), normal(7)], lambda L, a, b: L.lib.matmul(a, b))
case("mv", [normal(5, 7), normal(7)], lambda L, a, b: L.lib.mv(a, b))
case("addmm", [normal(5, 3), normal(5, 7), normal(7, 3)], lambda L, c, a, b: L.lib.addmm(c, a, b))
case(
    "addmm_ab",
    [normal(5, 3), normal(5, 7), normal(7, 3)],
    lambda L, c, a, b: L.lib.addmm(c, a, b, beta=0.5, alpha=2.0),
)
case(
    "baddbmm",
    [normal(2, 5, 3), normal(2, 5, 7), normal(2, 7, 3)],
    lambda L, c, a, b: L.lib.baddbmm(c, a, b),
)
case(
    "einsum", [normal(2, 5, 7), normal(2, 7, 3)], lambda L, a, b: L.lib.einsum("bij,bjk->bik", a, b)
)
case("einsum_trace", [normal(4, 4)], lambda L, a: L.lib.einsum("ii->", a))


def main(filters):
    counts = {}
    rows = []
    for name, (fn, specs) in CASES.items():
        if filters and not any(f in name for f in filters):
            continue
        for dname in DTYPES:
            for special in (False, True):
                try:
                    cls, detail = classify(name, fn, specs, dname, special)
                except Exception as exc:  # noqa: BLE001 - a fault of the sweep itself
                    cls, detail = "x", f"sweep error {type(exc).__name__}: {exc}"
                tag = f"{dname}{'/special' if special else ''}"
                counts.setdefault(tag, Counter())[cls] += 1
                if cls != "a":
                    rows.append(f"{cls} {name:32s} {tag:17s} {detail}")
    for r in rows:
        print(r)
    total = Counter()
    for tag, c in counts.items():
        total.update(c)
        print(f"{tag:17s} " + " ".join(f"{k}={c[k]}" for k in "abcdemx"))
    print(f"{'total':17s} " + " ".join(f"{k}={total[k]}" for k in "abcdemx"))


if __name__ == "__main__":
    main(sys.argv[1:])
