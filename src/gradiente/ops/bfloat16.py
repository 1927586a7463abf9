"""Which ops accept bfloat16 tensors, and how they compute on them (the table of
``autograd/reduced_precision.py``).

- ``"bits"``: the op moves bits only (shape, indexing, joining, casting): it runs on the
  bfloat16 arrays themselves.
- ``"float32"``: widened to float32, computed by the float32 kernel, rounded to bfloat16 once;
  its backward likewise (one rounding per input gradient). This is what torch's CPU kernels do
  for these ops, so the bits agree (``tests/tensor/test_bfloat16.py`` checks each entry).
- ``"forward"``: as ``"float32"``, but the backward raises: torch's derivative of these ops is
  several bfloat16 ops in a row, each rounded (division's ``-g · (a / b) / b``), which a
  single-rounding backward does not reproduce.
- ``"composite"``: as ``"float32"`` forward; the backward is the op's derivative in Tensor ops
  run on the bfloat16 tensors (each op rounded), the same steps as torch's formula (sin's
  ``g · cos x``).

float16 input uses the same table (``autograd/reduced_precision.py``): ``"float32"`` entries and
``half_rules`` compute in float32, ``half_variants`` replace ops as torch's Half kernels do;
every other op runs on the float16 arrays as NumPy computes them (float32 per step, rounded).

- a *variant* (``VARIANTS``): a subclass that replaces the op on bfloat16 input and rounds to
  bfloat16 between steps where torch's kernel does (log_softmax's stored sum and log,
  nll_loss's bfloat16 running sums, cumsum's float32 accumulator).

An op missing from the table raises ``"<op>" not implemented for 'BFloat16'`` on bfloat16
input. Which rule an op gets was found by experiment: each candidate compared with torch 2.13's
CPU kernels bit for bit, on many seeds and shapes (large ones too, where torch vectorises).
"""

from __future__ import annotations

from gradiente.autograd import function as _function
from gradiente.autograd import reduced_precision
from gradiente.autograd.grad_mode import grad_state
from gradiente.autograd.reduced_precision import not_implemented, rounded
from gradiente.backend import BF16, xp
from gradiente.ops import activation as A
from gradiente.ops import adaptive_pool as AP
from gradiente.ops import conv as C
from gradiente.ops import conv3d as C3
from gradiente.ops import division as D
from gradiente.ops import elementwise as E
from gradiente.ops import fractional_pool as FP
from gradiente.ops import index as I  # noqa: E741 - the module's short name, as the others
from gradiente.ops import linalg as LA
from gradiente.ops import linear as LI
from gradiente.ops import loss as L
from gradiente.ops import normalization as N
from gradiente.ops import pool3d as P3
from gradiente.ops import reduce as R
from gradiente.ops import shape as S
from gradiente.ops import unary as U
from gradiente.ops import window_pool as WP
from gradiente.ops.array_function import renamed
from gradiente.ops.reduced_pool import AdaptiveAvgPool3dReduced, scatter_rounded, spread_rounded

MOVES_BITS = (
    S.Reshape,
    S.Permute,
    S.Transpose,
    S.Expand,
    S.Flip,
    S.Cat,
    S.Stack,
    S.Repeat,
    S.Diagonal,
    S.Split,
    S.Unbind,
    S.Roll,
    S.TrilTriu,
    I.Index,
    I.BasicIndex,
    I.IndexSelect,
    R.GatherAlongDim,
    E.Clone,
    E.ToDtype,
    E.ToDevice,
    E.Where,
    E.MaskedFill,
    E.NotDifferentiable,
    E.RefuseBackward,
    U.FlatIn,
    L.ShownAs,  # a result composed of ops (each under its own rule), shown as torch's node
    AdaptiveAvgPool3dReduced,  # (computes on the 16-bit arrays itself, as torch's kernel)
)

COMPUTES_IN_FLOAT32 = (
    # element-wise arithmetic and math
    E.Add,
    E.Sub,
    E.RSub,
    E.Mul,
    E.Neg,
    E.Clamp,
    E.Maximum,
    E.Minimum,
    E.Exp,
    E.Log,
    E.Tanh,
    E.Sigmoid,
    E.Sqrt,
    E.Abs,
    E.PiecewiseConstant,  # floor, round, trunc, sign (exact); a zero gradient
    D.FlooredDivide,
    # activations (torch's backward of each is one kernel, in float32)
    A.Relu,
    A.Gelu,
    A.LeakyRelu,
    A.Elu,
    A.ScaledElu,  # selu, celu
    A.Hardtanh,
    A.Hardsigmoid,
    A.Hardswish,
    A.Mish,
    A.Silu,
    A.Softplus,
    A.Threshold,
    A._Shrink,  # hardshrink, softshrink
    # reductions and normalisations
    R.Sum,
    R.Mean,
    R.MaxMinAll,
    R.Softmax,
    R.MedianAll,
    R.ScatterAddAlongDim,  # the backward of max/min/median along a dim
    R.NanSum,
    # products
    LA.MatMul,
    LA.Bmm,
    LI.Linear,
    C._ConvNd,
    C._ConvWeight,
    LA.Einsum,
    # shape ops whose backward sums (accumulated in float32)
    I.IndexBackward,
    S.ConstantPad,
)

# Forward in float32, rounded once; the backward is the op's derivative written with Tensor
# ops, run on the bfloat16 tensors themselves (each op rounded), as torch's autograd formula
# for it runs (g · cos x: cos rounded, then the product). Checked bit for bit.
COMPOSITE_BACKWARD = (
    E.Sin,
    E.Cos,
    E.Atan,
    E.Sinh,
    E.Cosh,
    E.Expm1,
    E.Log1p,
    E.Log2,
    E.Log10,
    E.Lgamma,
    E.Pow,  # tensor ** tensor
    D.Remainder,  # remainder and fmod
    R.VectorNorm,
    R.Cumprod,
)

FORWARD_ONLY = (
    E.Div,
    C3.ConvVolume,  # conv3d: exact forward; the backward's float32 sums flip a last bit rarely
    # torch's derivative is a chain of bfloat16 ops that gradiente's backward of the op does
    # not follow step for step (a / b's gradient for b, erf's 2/√π · e^(−x²) · g, ...)
    E.Asinh,
    E.Reciprocal,
    E.RPowScalar,  # exp2, 2 ** x
    E.Atan2,
    E.Digamma,
    A.Erf,
    A.Erfc,
    A.LogSigmoid,
    R.Var,
    R.Std,
    # the maximum of a window, rounded once (exact); torch's backward adds overlapping
    # windows' gradients in bfloat16
    FP.FractionalMaxPool2d,  # (its window starts are computed in bfloat16, as torch's)
)


def _tensor(array):
    return _function._Tensor._make(array, False, None)


def _is_last(dim, ndim):
    return ndim > 0 and dim % ndim == ndim - 1


class LogSoftmaxBF16(R.LogSoftmax):
    """log_softmax over the last dim as torch's bfloat16 kernel: the max, the sum
    S = Σ e^(x − max) and log S are stored as bfloat16, so y = x − max − bf16(log bf16(S)).
    Over another dim torch computes in float32 and rounds once, as the parent class; the
    backward, g − e^y Σ g, is float32 with one rounding, the parent's too."""

    @staticmethod
    def normalise(x, dim):
        if not _is_last(dim, x.ndim):
            return R.LogSoftmax.normalise(x, dim)
        return x - _log_sum_exp_bf16(x, dim)


class LogSoftmaxHalf(LogSoftmaxBF16):
    """log_softmax of float16 as torch's Half kernel: the bfloat16 kernel's steps (the same
    code) with float16 stores."""

    @staticmethod
    def normalise(x, dim):
        if not _is_last(dim, x.ndim):
            return R.LogSoftmax.normalise(x, dim)
        return x - _log_sum_exp_bf16(x, dim, xp.float16)


def _log_sum_exp_bf16(x, dim, narrow=BF16):
    """max + bf16(log bf16(Σ e^(x − max))) along ``dim``, kept (the last dim); ``narrow`` is
    the 16-bit type stored (bfloat16 or float16)."""
    m = xp.amax(x, axis=dim, keepdims=True)
    m = xp.where(xp.isfinite(m), m, 0)
    total = rounded(xp.sum(xp.exp(x - m), axis=dim, keepdims=True), narrow)
    return m + rounded(xp.log(total), narrow)


def _log_softmax_backward(g, y, dim):
    """dx = g − e^y Σ g, in float32 (torch's kernel keeps Σ g in float32)."""
    return g - xp.exp(y) * xp.sum(g, axis=dim, keepdims=True)


class CumsumBF16(R.Cumsum):
    """cumsum as torch's bfloat16 kernel: a running float32 sum (bfloat16's accumulator type),
    each prefix rounded once; the backward (a reversed cumsum) the same way."""

    @staticmethod
    def forward(ctx, a, dim, np_dtype):
        if np_dtype is not None:
            raise not_implemented("cumsum")
        ctx.dim = dim
        x = a._data
        return x.copy() if x.ndim == 0 else xp.cumsum(x, axis=dim, dtype=xp.float32) + 0.0

    @staticmethod
    def backward(ctx, grad):
        g = grad._data
        if g.ndim == 0:
            return grad, None, None
        d = ctx.dim
        return _tensor(xp.flip(xp.cumsum(xp.flip(g, d), axis=d, dtype=xp.float32), d)), None, None


def _ceil_log2(n: int) -> int:
    return 1 if n <= 2 else (n - 1).bit_length()


def _cascade_sum_bf16(terms, kept, narrow=BF16):
    """−Σ terms as torch's nll_loss adds them in bfloat16: a cascade of 8 partial sums, level
    j + 1 taking level j's sum every 2^(p·(j+1)) terms, p = max(4, ⌈log2 n⌉ / 8); every
    addition rounded to bfloat16 (``LossNLL.cpp``)."""
    n = len(terms)
    power = max(4, _ceil_log2(n) // 8)
    mask = (1 << power) - 1
    zero = xp.float32(0)
    partial = [zero] * 8
    for b, (v, keep) in enumerate(zip(terms.tolist(), kept.tolist())):
        if not keep:
            continue
        partial[0] = rounded(xp.float32(partial[0] - xp.float32(v)), narrow)
        for j in range(7):
            if b & (mask << (j * power)):
                break
            partial[j + 1] = rounded(xp.float32(partial[j + 1] + partial[j]), narrow)
            partial[j] = zero
    total = zero
    for p in partial:
        total = rounded(xp.float32(total + p), narrow)
    return total


def _nll_bf16(ctx, logp, t, ignore_index, reduction):
    """nll_loss of bfloat16 log-probabilities ``logp`` (N, C) or (C,) with class indices
    ``t``, unweighted; sets what the backward needs on ``ctx``."""
    unbatched = logp.ndim == 1
    if unbatched:
        logp, t = logp[None], t.reshape(1)
    valid = t != ignore_index
    rows = xp.nonzero(valid)[0]
    picked = xp.zeros(t.shape, xp.float32)  # an ignored target adds 0 in its turn
    picked[rows] = logp[rows, t[rows]]
    ctx.rows, ctx.cols, ctx.shape = rows, t[rows], logp.shape
    ctx.reduction = reduction
    ctx.narrow = getattr(ctx, "narrow", None) or BF16
    ctx.denom = rounded(xp.float32(len(rows)), ctx.narrow)  # torch's total weight: 16 bits
    if reduction == "none":
        out = xp.zeros(t.shape, xp.float32)
        out[rows] = -picked[rows]
        return out.reshape(()) if unbatched else out
    total = _cascade_sum_bf16(picked, valid, ctx.narrow)
    if reduction == "mean":
        total = total / ctx.denom
    return xp.asarray(total, dtype=xp.float32)


def _nll_backward_bf16(ctx, g):
    """The gradient of ``_nll_bf16``: −bf16(g / total weight) (mean), −g (sum) or −g_i
    (none) at each kept target, 0 elsewhere."""
    out = xp.zeros(ctx.shape, xp.float32)
    if ctx.reduction == "none":
        s = -g.reshape(-1)[ctx.rows]
    elif ctx.reduction == "mean":
        s = -rounded(xp.float32(g.reshape(()) / ctx.denom), ctx.narrow)
    else:
        s = -g.reshape(())
    out[ctx.rows, ctx.cols] = s
    return out


def _check_nll_arguments(name, x, weight):
    if weight is not None or x.ndim > 2:
        # weights (bfloat16 products) and spatial losses (nll_loss2d) are not reproduced
        raise not_implemented(name)


class NllLossBF16(L.NllLoss):
    """nll_loss as torch's bfloat16 and float16 kernels (``_nll_bf16``); without class
    weights, 1-D or 2-D input (float16 runs other calls as before)."""

    @staticmethod
    def half_applies(args):
        return args[2] is None and args[0]._data.ndim <= 2

    @staticmethod
    def forward(ctx, input, target, weight, ignore_index, reduction):
        _check_nll_arguments("nll_loss", input._data, weight)
        ctx.ndim = input._data.ndim
        return _nll_bf16(ctx, input._data, target._data, ignore_index, reduction)

    @staticmethod
    def backward(ctx, grad):
        out = _nll_backward_bf16(ctx, grad._data)
        return _tensor(out.reshape(-1) if ctx.ndim == 1 else out), None, None, None, None


class CrossEntropyBF16(L.CrossEntropy):
    """cross_entropy as torch computes it in bfloat16: log_softmax over the classes
    (``LogSoftmaxBF16``), rounded, then nll_loss (``NllLossBF16``); backward through both.
    Class-index targets without weights or label smoothing only (float16 runs other calls as
    before)."""

    @staticmethod
    def half_applies(args):
        x, target, weight, label_smoothing = args[0]._data, args[1]._data, args[2], args[5]
        return weight is None and x.ndim <= 2 and target.dtype.kind != "f" and label_smoothing <= 0

    @staticmethod
    def forward(ctx, input, target, weight, ignore_index, reduction, label_smoothing):
        x = input._data
        _check_nll_arguments("cross_entropy", x, weight)
        if target._data.dtype.kind == "f" or label_smoothing > 0:
            raise not_implemented("cross_entropy")
        ctx.node_name = "NllLossBackward0"
        narrow = getattr(ctx, "narrow", None) or BF16
        ctx.logp = rounded(x - _log_sum_exp_bf16(x, -1, narrow), narrow)
        ctx.ndim = x.ndim
        return _nll_bf16(ctx, ctx.logp, target._data, ignore_index, reduction)

    @staticmethod
    def backward(ctx, grad):
        g = rounded(_nll_backward_bf16(ctx, grad._data), ctx.narrow)
        if ctx.ndim == 1:
            g = g.reshape(-1)
        dx = _log_softmax_backward(g, ctx.logp.reshape(g.shape), -1)
        return _tensor(dx), None, None, None, None, None


class EmbeddingBF16(LI.Embedding):
    """embedding as torch's bfloat16 kernel: the lookup moves bits; the backward adds each
    position's gradient to its row in bfloat16, one rounding per addition, in the order of
    the positions (torch's ``index_add_``)."""

    @staticmethod
    def backward(ctx, grad):
        if ctx.scale_grad_by_freq:
            raise not_implemented("embedding_dense_backward")
        g = grad._data
        idx = ctx.indices.reshape(-1)
        g2 = g.reshape(idx.size, g.shape[-1])
        out = xp.zeros((ctx.num_weights, g.shape[-1]), xp.float32)
        # The k-th occurrences of all rows at once: within one k every row appears once.
        order = xp.argsort(idx, kind="stable")
        sorted_idx = idx[order]
        starts = xp.searchsorted(sorted_idx, sorted_idx, side="left")
        rank = xp.arange(idx.size) - starts  # k: how many earlier positions share the row
        for k in range(int(rank.max()) + 1 if idx.size else 0):
            at = order[rank == k]
            out[idx[at]] = rounded(out[idx[at]] + g2[at])
        if ctx.padding_idx is not None:
            out[ctx.padding_idx] = 0
        return _tensor(out), None, None, None


class AvgPool2dBF16(WP.AvgPool2d):
    """avg_pool2d (and 1d) as torch's bfloat16 and float16 kernels: each window's float32 sum,
    in row-major order, divided by its divisor and rounded once. The backward spreads
    bf16(g / divisor) over each window, output after output, adding in the 16-bit type."""

    @staticmethod
    def forward(ctx, x, geom, divisor):
        ctx.geom, ctx.divisor, ctx.layout = geom, divisor, WP._layout(x._data)
        return WP._avg_forward(x._data, geom, 1) / xp.asarray(divisor, dtype=xp.float32)

    @staticmethod
    def backward(ctx, grad):
        if grad_state.enabled:  # differentiated again (float16): the float32 backward
            return WP.AvgPool2d.backward(ctx, grad)
        geom = ctx.geom
        g = rounded(xp.ascontiguousarray(grad._data) / ctx.divisor, ctx.narrow)
        rows = [_window_positions(geom, a) for a in range(2)]
        gx = _spread_rounded(g, rows[0], rows[1], geom.image, ctx.narrow)
        return _tensor(gx), None, None


class AdaptiveAvgPool2dBF16(AP._Separable):
    """adaptive_avg_pool2d as torch's bfloat16 and float16 kernels: each window's float32 sum,
    in row-major order, then ``sum / kh / kw`` (two divisions), rounded once. Its windows come
    from the 0/1 window matrices A (OH, H) and B (OW, W). The backward spreads
    bf16(bf16(g / kh) / kw) over each window, adding in the 16-bit type, as avg_pool2d's."""

    @staticmethod
    def forward(ctx, x, A, B, counts, divide_first):
        ctx.A, ctx.B = A, B
        return _adaptive_window_sums(x._data, A, B) / A.sum(1)[:, None] / B.sum(1)[None, :]

    @staticmethod
    def backward(ctx, grad):
        if grad_state.enabled:  # differentiated again (float16): the float32 backward
            ctx.counts, ctx.divide_first = ctx.A.sum(1)[:, None] * ctx.B.sum(1)[None, :], False
            return AP._Separable.backward(ctx, grad)
        kh, kw = ctx.A.sum(1)[:, None], ctx.B.sum(1)[None, :]
        g = rounded(rounded(xp.ascontiguousarray(grad._data) / kh, ctx.narrow) / kw, ctx.narrow)
        rows, cols = ([xp.flatnonzero(r) for r in M] for M in (ctx.A, ctx.B))
        gx = _spread_rounded(g, rows, cols, (ctx.A.shape[1], ctx.B.shape[1]), ctx.narrow)
        return _tensor(gx), None, None, None, None


def _window_positions(geom, axis):
    """The input positions each pooling window covers along ``axis`` (padding left out)."""
    k, s, p, d = (v[axis] for v in (geom.kernel, geom.stride, geom.padding, geom.dilation))
    size = geom.image[axis]
    taps = [xp.arange(o * s - p, o * s - p + k * d, d) for o in range(geom.out[axis])]
    return [t[(t >= 0) & (t < size)] for t in taps]


def _spread_rounded(g, rows, cols, image, narrow):
    """The input gradient (N, C, H, W) of a 2-D pooling whose output (oh, ow) covers rows[oh] ×
    cols[ow], added output after output in the 16-bit type (``reduced_pool.spread_rounded``)."""
    windows = [(r[:, None] * image[1] + c[None, :]).reshape(-1) for r in rows for c in cols]
    gx = spread_rounded(g, windows, image[0] * image[1], narrow)
    return gx.reshape(*g.shape[:2], *image)


def _adaptive_window_sums(x, A, B):
    """Σ of each adaptive window of x (N, C, H, W), added tap after tap in row-major order
    from +0.0 as torch's loop adds them (a tap past a short window adds 0)."""
    (kh, h0), (kw, w0) = ((M.sum(1).astype(xp.int64), M.argmax(1)) for M in (A, B))
    total = xp.zeros((*x.shape[:2], len(kh), len(kw)), xp.float32)
    for i in range(int(kh.max(initial=0))):
        rows = x[:, :, xp.minimum(h0 + i, x.shape[2] - 1), :]
        for j in range(int(kw.max(initial=0))):
            tap = rows[..., xp.minimum(w0 + j, x.shape[3] - 1)]
            inside = (i < kh)[:, None] & (j < kw)[None, :]
            total += xp.where(inside, tap, xp.float32(0))
    return total


class MaxPool2dReduced(WP.MaxPool2d):
    """max_pool2d (and 1d) on bfloat16 or float16 as torch's kernel: the maxima are exact; the
    backward adds each output's gradient to its winner's, output after output in row-major
    order, into a 16-bit gradient (one rounding per addition, which matters where windows
    overlap). Checked against torch 2.13 for both layouts."""

    @staticmethod
    def backward(ctx, grad):
        if grad_state.enabled:  # differentiated again (float16): the float32 backward
            return WP.MaxPool2d.backward(ctx, grad)
        (arg,) = ctx.saved_tensors
        geom = ctx.geom
        N, C = grad.shape[:2]
        index = WP._flat_indices(arg, geom).reshape(N * C, -1)
        size = geom.image[0] * geom.image[1]
        g = xp.ascontiguousarray(grad._data).reshape(N * C, -1)
        gx = scatter_rounded(g, index, size, ctx.narrow).reshape(N, C, *geom.image)
        return _tensor(gx), None, None


class PlaneGatherReduced(AP._PlaneGather):
    """adaptive_max_pool2d/3d on bfloat16 or float16: the maxima are exact; the backward adds
    each output's gradient at its winner, output after output, in the 16-bit type."""

    @staticmethod
    def backward(ctx, grad):
        if grad_state.enabled:  # differentiated again (float16): the float32 backward
            return AP._PlaneGather.backward(ctx, grad)
        (idx,) = ctx.saved_tensors
        N, C, H, W = ctx.shape
        g = xp.ascontiguousarray(grad._data).reshape(N * C, -1)
        gx = scatter_rounded(g, idx.reshape(N * C, -1), H * W, ctx.narrow)
        return _tensor(gx.reshape(ctx.shape)), None, None


VolumeGatherReduced = renamed(
    PlaneGatherReduced, "VolumeGatherReduced", "AdaptiveMaxPool3DBackward0"
)
MaxVolumeGatherReduced = renamed(
    PlaneGatherReduced, "MaxVolumeGatherReduced", "MaxPool3DWithIndicesBackward0"
)


def _sigmoid_derivative_half(x, y, g):
    """torch's float16 sigmoid backward: g · (1 − y) · y in float16 arithmetic, each step
    rounded (its bfloat16 one computes in float32). Differentiated again (create_graph), the
    float32 formula with Tensor ops."""
    if grad_state.enabled:
        return E.Sigmoid.derivative(x, y, g)
    f16 = xp.float16
    step = rounded(g._data * rounded(1 - y._data, f16), f16)
    return _tensor(rounded(step * y._data, f16))


SigmoidHalf = type(
    "SigmoidHalf",
    (E.Sigmoid,),
    {"derivative": staticmethod(_sigmoid_derivative_half), "fast": None, "__module__": __name__},
)


def _normalisation_name(args):
    """torch's op for a ``NormalizeAffine`` call: batch norm's statistics are over the axes
    its parameters are summed over, layer norm's over the others."""
    stat_axes, param_axes = args[3], args[5]
    return "NativeBatchNorm" if stat_axes == param_axes else "NativeLayerNorm"


reduced_precision.register(
    {cls: "bits" for cls in MOVES_BITS}
    | {cls: "float32" for cls in COMPUTES_IN_FLOAT32}
    | {cls: "forward" for cls in FORWARD_ONLY}
    | {cls: "composite" for cls in COMPOSITE_BACKWARD},
    rounds_scalars=(E.Add, E.Sub, E.RSub),
    variants={
        R.LogSoftmax: LogSoftmaxBF16,
        R.Cumsum: CumsumBF16,
        L.NllLoss: NllLossBF16,
        L.CrossEntropy: CrossEntropyBF16,
        LI.Embedding: EmbeddingBF16,
        WP.AvgPool2d: AvgPool2dBF16,
        AP._Separable: AdaptiveAvgPool2dBF16,
        WP.MaxPool2d: MaxPool2dReduced,
        AP._PlaneGather: PlaneGatherReduced,
        AP._VolumeGather: VolumeGatherReduced,
        P3._MaxVolumeGather: MaxVolumeGatherReduced,
    },
    names={N.NormalizeAffine: _normalisation_name},
    # float16 only: the float32 kernel rounded once; bfloat16's backward stays refused (rare
    # last-bit differences where gradiente's float32 sums run in another order than torch's)
    half_rules={
        C._ConvTransposeNd: "float32",
        C3.ConvVolume: "float32",
        C3.ConvTransposeVolume: "float32",
    },
    half_variants={
        R.LogSoftmax: LogSoftmaxHalf,
        L.NllLoss: NllLossBF16,
        L.CrossEntropy: CrossEntropyBF16,
        E.Sigmoid: SigmoidHalf,
        WP.MaxPool2d: MaxPool2dReduced,
        WP.AvgPool2d: AvgPool2dBF16,
        AP._Separable: AdaptiveAvgPool2dBF16,
        AP._PlaneGather: PlaneGatherReduced,
        AP._VolumeGather: VolumeGatherReduced,
        P3._MaxVolumeGather: MaxVolumeGatherReduced,
    },
)
