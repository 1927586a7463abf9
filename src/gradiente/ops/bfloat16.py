"""Which ops accept bfloat16 tensors, and how they compute on them (the table of
``autograd/reduced_precision.py``).

- ``"bits"``: the op moves bits only (shape, indexing, joining, casting): it runs on the
  bfloat16 arrays themselves.
- ``"float32"``: widened to float32, computed by the float32 kernel, rounded to bfloat16 once;
  its backward likewise (one rounding per input gradient). This is what torch's CPU kernels do
  for these ops, so the bits agree (``tests/tensor/test_bfloat16.py`` checks each entry).
- ``"forward"``: as ``"float32"``, but the backward raises: torch's derivative of these ops is
  several bfloat16 ops in a row, each rounded (division's ``-g · (a / b) / b``, silu's), which
  a single-rounding backward does not reproduce.

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
from gradiente.autograd.reduced_precision import not_implemented, rounded
from gradiente.backend import xp
from gradiente.ops import activation as A
from gradiente.ops import adaptive_pool as AP
from gradiente.ops import conv as C
from gradiente.ops import elementwise as E
from gradiente.ops import fractional_pool as FP
from gradiente.ops import index as I  # noqa: E741 - the module's short name, as the others
from gradiente.ops import linalg as LA
from gradiente.ops import linear as LI
from gradiente.ops import loss as L
from gradiente.ops import normalization as N
from gradiente.ops import reduce as R
from gradiente.ops import shape as S
from gradiente.ops import unary as U
from gradiente.ops import window_pool as WP

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
    # activations
    A.Relu,
    A.Gelu,
    A.LeakyRelu,
    A.Elu,
    A.Hardtanh,
    # reductions and normalisations
    R.Sum,
    R.Mean,
    R.MaxMinAll,
    R.Softmax,
    R.MedianAll,
    R.ScatterAddAlongDim,  # the backward of max/min/median along a dim
    # products
    LA.MatMul,
    LA.Bmm,
    LI.Linear,
    C._ConvNd,
    C._ConvWeight,
    # shape ops whose backward sums (accumulated in float32)
    I.IndexBackward,
    S.ConstantPad,
)

FORWARD_ONLY = (
    E.Div,
    A.Silu,
    # torch's derivative is a bfloat16 product of a bfloat16 factor (g · cos x, g · (-½ y³),
    # g · x̂ / σ, ...), rounded twice
    E.Sin,
    E.Cos,
    A.Softplus,
    R.Var,
    R.Std,
    R.VectorNorm,
    R.Cumprod,
    WP.MaxPool2d,  # overlapping windows: torch adds their gradients in bfloat16
    # the maximum of a window, rounded once (exact); torch's backward adds overlapping
    # windows' gradients in bfloat16
    AP._PlaneGather,  # adaptive_max_pool2d/3d
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


def _log_sum_exp_bf16(x, dim):
    """max + bf16(log bf16(Σ e^(x − max))) along ``dim``, kept (the last dim)."""
    m = xp.amax(x, axis=dim, keepdims=True)
    m = xp.where(xp.isfinite(m), m, 0)
    return m + rounded(xp.log(rounded(xp.sum(xp.exp(x - m), axis=dim, keepdims=True))))


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


def _cascade_sum_bf16(terms, kept):
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
        partial[0] = rounded(xp.float32(partial[0] - xp.float32(v)))
        for j in range(7):
            if b & (mask << (j * power)):
                break
            partial[j + 1] = rounded(xp.float32(partial[j + 1] + partial[j]))
            partial[j] = zero
    total = zero
    for p in partial:
        total = rounded(xp.float32(total + p))
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
    ctx.denom = rounded(xp.float32(len(rows)))  # torch's total weight is a bfloat16
    if reduction == "none":
        out = xp.zeros(t.shape, xp.float32)
        out[rows] = -picked[rows]
        return out.reshape(()) if unbatched else out
    total = _cascade_sum_bf16(picked, valid)
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
        s = -rounded(xp.float32(g.reshape(()) / ctx.denom))
    else:
        s = -g.reshape(())
    out[ctx.rows, ctx.cols] = s
    return out


def _check_nll_arguments(name, x, weight):
    if weight is not None or x.ndim > 2:
        # weights (bfloat16 products) and spatial losses (nll_loss2d) are not reproduced
        raise not_implemented(name)


class NllLossBF16(L.NllLoss):
    """nll_loss as torch's bfloat16 kernel (``_nll_bf16``); without class weights, 1-D or
    2-D input."""

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
    Class-index targets without weights or label smoothing only."""

    @staticmethod
    def forward(ctx, input, target, weight, ignore_index, reduction, label_smoothing):
        x = input._data
        _check_nll_arguments("cross_entropy", x, weight)
        if target._data.dtype.kind == "f" or label_smoothing > 0:
            raise not_implemented("cross_entropy")
        ctx.node_name = "NllLossBackward0"
        ctx.logp = rounded(x - _log_sum_exp_bf16(x, -1))
        ctx.ndim = x.ndim
        return _nll_bf16(ctx, ctx.logp, target._data, ignore_index, reduction)

    @staticmethod
    def backward(ctx, grad):
        g = rounded(_nll_backward_bf16(ctx, grad._data))
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
    """avg_pool2d as torch's bfloat16 kernel: each window's float32 sum, in row-major order,
    divided by its divisor and rounded once. The backward is refused: torch adds
    bf16(g / divisor) into overlapping windows in bfloat16, one rounding per addition."""

    @staticmethod
    def forward(ctx, x, geom, divisor):
        return WP._avg_forward(x._data, geom, 1) / xp.asarray(divisor, dtype=xp.float32)

    @staticmethod
    def backward(ctx, grad):
        raise not_implemented("AvgPool2DBackward0")


class AdaptiveAvgPool2dBF16(AP._Separable):
    """adaptive_avg_pool2d as torch's bfloat16 kernel: each window's float32 sum, in
    row-major order, then ``sum / kh / kw`` (two divisions), rounded once. Its windows come
    from the 0/1 window matrices A (OH, H) and B (OW, W). The backward is refused, as
    avg_pool2d's (torch adds in bfloat16)."""

    @staticmethod
    def forward(ctx, x, A, B, counts, divide_first):
        return _adaptive_window_sums(x._data, A, B) / A.sum(1)[:, None] / B.sum(1)[None, :]

    @staticmethod
    def backward(ctx, grad):
        raise not_implemented("AdaptiveAvgPool2DBackward0")


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


def _normalisation_name(args):
    """torch's op for a ``NormalizeAffine`` call: batch norm's statistics are over the axes
    its parameters are summed over, layer norm's over the others."""
    stat_axes, param_axes = args[3], args[5]
    return "NativeBatchNorm" if stat_axes == param_axes else "NativeLayerNorm"


reduced_precision.register(
    {cls: "bits" for cls in MOVES_BITS}
    | {cls: "float32" for cls in COMPUTES_IN_FLOAT32}
    | {cls: "forward" for cls in FORWARD_ONLY},
    rounds_scalars=(E.Add, E.Sub, E.RSub),
    variants={
        R.LogSoftmax: LogSoftmaxBF16,
        R.Cumsum: CumsumBF16,
        L.NllLoss: NllLossBF16,
        L.CrossEntropy: CrossEntropyBF16,
        LI.Embedding: EmbeddingBF16,
        WP.AvgPool2d: AvgPool2dBF16,
        AP._Separable: AdaptiveAvgPool2dBF16,
    },
    names={N.NormalizeAffine: _normalisation_name},
)
