"""Reductions (sum, mean, max, logsumexp, ...) and the normalisers softmax / log_softmax."""

from __future__ import annotations

from gradiente.autograd.grad_mode import grad_state
from gradiente.backend import (  # noqa: F401 (TORCH_TYPE_NAMES, torch_type_name re-exported)
    TORCH_TYPE_NAMES,
    add_at,
    as_array,
    get_array_module,
    open_grid,
    torch_type_name,
    xp,
)
from gradiente.ops.array_function import ArrayFunction, renamed
from gradiente.ops.index import kept
from gradiente.ops.shape import PadBack


def _expand_back(grad, in_shape, dims, keepdim):
    """Re-insert reduced axes into ``grad`` (if dropped) so it broadcasts against the input."""
    if not keepdim and dims is not None:
        shape = list(in_shape)
        for d in dims:
            shape[d] = 1
        grad = grad.reshape(tuple(shape))
    elif dims is None and not keepdim:
        grad = grad.reshape((1,) * len(in_shape))
    return grad


def _axes(x, dims):
    """NumPy axes for a reduction over ``dims``: a 0-d tensor accepts dim 0 / -1, NumPy none."""
    return None if x.ndim == 0 else dims


def _reduced_dims(ctx, a, dims, keepdim):
    """The NumPy axes of a reduction of ``a`` over ``dims`` (``_axes``), kept on ctx with
    ``keepdim`` for backward (``_expand_all``)."""
    ctx.dims, ctx.keepdim = _axes(a._data, dims), keepdim
    return ctx.dims


def _expand_all(ctx, a, *tensors):
    """``tensors`` (dL/dy, y) with the dims the forward reduced put back (``_expand_back``),
    so that they broadcast against the input ``a``."""
    return [_expand_back(t, a.shape, ctx.dims, ctx.keepdim) for t in tensors]


class _Reduction(ArrayFunction):
    """A reduction whose graph node torch names by whether dims were given: ``backward_name``
    over dims (``sum(x, 1)``), ``whole_name`` over all elements (``x.sum()``); ``forward``
    sets ``ctx.by_dim``."""

    whole_name = ""

    def name(self) -> str:
        return self.backward_name if self.by_dim else self.whole_name


class Sum(_Reduction):
    backward_name = "SumBackward1"
    whole_name = "SumBackward0"

    @staticmethod
    def forward(ctx, a, dims, keepdim, np_dtype):
        ctx.by_dim = dims is not None
        dims = _axes(a._data, dims)
        ctx.shape, ctx.dims, ctx.keepdim = a._data.shape, dims, keepdim
        return xp.sum(a._data, axis=dims, keepdims=keepdim, dtype=np_dtype)

    @staticmethod
    def backward(ctx, grad):
        # d(Σx)/dx_i = 1: the gradient is broadcast back over the summed axes.
        grad = _expand_back(grad, ctx.shape, ctx.dims, ctx.keepdim)
        return grad.expand(ctx.shape), None, None, None


class NanSum(ArrayFunction):
    """Σ x over ``dims`` with NaNs counted as 0 (floating inputs).

    dL/dx = grad · [x is not NaN], PyTorch's rule: a multiply, so a NaN upstream gradient
    stays NaN even at the NaN inputs (a masked fill would write 0 there).
    """

    backward_name = "NansumBackward0"

    @staticmethod
    def forward(ctx, a, dims, keepdim):
        x = a._data
        dims = _reduced_dims(ctx, a, dims, keepdim)
        ctx.save_for_backward(a)
        return as_array(xp.nansum(x, axis=dims, keepdims=keepdim), dtype=x.dtype)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        (grad,) = _expand_all(ctx, a, grad)
        return grad * a.isnan().logical_not(), None, None


class Mean(_Reduction):
    backward_name = "MeanBackward1"
    whole_name = "MeanBackward0"

    @staticmethod
    def forward(ctx, a, dims, keepdim, np_dtype):
        x = a._data
        ctx.by_dim = dims is not None
        dims = _axes(x, dims)
        ctx.shape, ctx.dims, ctx.keepdim = x.shape, dims, keepdim
        if x.size == 0:  # nan, as in PyTorch (NumPy would warn "Mean of empty slice")
            out = xp.sum(x, axis=dims, keepdims=keepdim, dtype=np_dtype) * xp.nan
        else:
            out = xp.mean(x, axis=dims, keepdims=keepdim, dtype=np_dtype)
        ctx.count = x.size // max(out.size, 1) if x.size else 0
        return as_array(out)

    @staticmethod
    def backward(ctx, grad):
        grad = _expand_back(grad, ctx.shape, ctx.dims, ctx.keepdim)
        return (grad / ctx.count).expand(ctx.shape), None, None, None


class Prod(_Reduction):
    backward_name = "ProdBackward1"
    whole_name = "ProdBackward0"

    @staticmethod
    def forward(ctx, a, dim, keepdim):
        x = a._data
        ctx.by_dim = dim is not None
        dim = None if x.ndim == 0 else dim
        ctx.dim, ctx.keepdim = dim, keepdim
        # in the input's dtype: NumPy would widen small integers (uint8 to uint64)
        out = as_array(xp.prod(x, axis=dim, keepdims=keepdim, dtype=x.dtype))
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, out = ctx.saved_tensors
        if a.ndim == 0:
            return grad, None, None  # the product of one number is itself (torch: even NaN)
        dims = None if ctx.dim is None else (ctx.dim,)
        grad = _expand_back(grad, a.shape, dims, ctx.keepdim)
        x = a._data
        zeros = x == 0
        if not zeros.any():
            # ∂(Πx)/∂x_i = Πx / x_i (in torch's order: the ratio first): Tensor ops, so double
            # backward works
            return grad * (_expand_back(out, a.shape, dims, ctx.keepdim) / a), None, None
        if ctx.dim is None and xp.count_nonzero(zeros) > 1 and not grad_state.enabled:
            # two zeros: every Π_{j≠i} x_j holds one (torch answers zeros, even beside inf)
            return xp.zeros_like(x, dtype=grad._data.dtype), None, None
        if grad_state.enabled:
            raise RuntimeError(
                "double backward (create_graph=True) through prod of a tensor containing zeros "
                "is not supported"
            )
        # With zeros, Π_{j≠i} x_j is computed with exclusive prefix and suffix products (no
        # division by x).
        axis = ctx.dim
        flat = x.reshape(-1) if axis is None else x
        ax = 0 if axis is None else axis
        ones_shape = list(flat.shape)
        ones_shape[ax] = 1
        one = xp.ones_like(flat, shape=ones_shape)  # on x's device (ones_like dispatches)
        before = xp.cumprod(xp.concatenate([one, flat], axis=ax), axis=ax)
        before = xp.take(before, range(flat.shape[ax]), axis=ax)
        rev = xp.flip(flat, axis=ax)
        after = xp.cumprod(xp.concatenate([one, rev], axis=ax), axis=ax)
        after = xp.flip(xp.take(after, range(flat.shape[ax]), axis=ax), axis=ax)
        others = (before * after).reshape(x.shape)
        return grad._data * others, None, None


def _evenly_distribute(grad, a, out):
    """The gradient of a value picked from all of ``a`` (max(), min(), median()): shared
    evenly by the entries equal to it (the NaNs, when it is NaN), zero elsewhere even for a
    NaN upstream gradient (torch's masked_fill)."""
    mask = a.isnan() if out.isnan() else a == out
    return (grad / mask.sum()).where(mask, grad.new_zeros(()))


def _first_zero(x, out, dims, keepdim: bool):
    """Where a max/min is zero, the sign of the first zero met along the reduced dims: −0.0
    and +0.0 compare equal, and PyTorch's reduction keeps the first (NumPy's, the last)."""
    dims = tuple(range(x.ndim)) if dims is None else tuple(d % max(x.ndim, 1) for d in dims)
    kept = [d for d in range(x.ndim) if d not in dims]
    rows = x.transpose(kept + list(dims)).reshape([x.shape[d] for d in kept] + [-1])
    first = xp.argmax(rows == 0, axis=-1)[..., None]  # the first zero of each row
    negative = xp.signbit(xp.take_along_axis(rows, first, axis=-1))[..., 0]
    if keepdim:
        negative = negative.reshape(out.shape)
    zero = xp.where(negative, -0.0, 0.0).astype(out.dtype)
    return xp.where(out == 0, zero, out)


class MaxMinAll(ArrayFunction):
    """max() / min() / amax / amin: ties share the gradient evenly (PyTorch's rule)."""

    backward_name = "MaxBackward1"

    def name(self) -> str:
        if self.whole:
            return "MaxBackward1" if self.is_max else "MinBackward1"
        return "AmaxBackward0" if self.is_max else "AminBackward0"

    @staticmethod
    def forward(ctx, a, is_max, dims, keepdim, whole=False):
        """``whole``: max()/min() of all elements (torch's backward differs from amax's)."""
        x = a._data
        ctx.by_dim, ctx.keepdim, ctx.is_max, ctx.whole = dims is not None, keepdim, is_max, whole
        ctx.dims = _axes(x, dims)
        if x.size == 0:
            name = "amax" if is_max else "amin"
            if dims is None:
                shown = ("max" if is_max else "min") if whole else name  # torch's op name
                raise RuntimeError(
                    f"{shown}(): Expected reduction dim to be specified for "
                    "input.numel() == 0. Specify the reduction dim with the 'dim' argument."
                )
            empty = [d for d in dims if x.ndim and x.shape[d] == 0]
            if empty:
                raise IndexError(
                    f"{name}(): Expected reduction dim {empty[0]} to have non-zero size."
                )
        out = as_array((xp.amax if is_max else xp.amin)(x, axis=ctx.dims, keepdims=keepdim))
        if x.dtype.kind == "f" and out.size and not (out != 0).all():
            out = _first_zero(x, out, ctx.dims, keepdim)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, out = ctx.saved_tensors
        if ctx.whole:
            return _evenly_distribute(grad, a, out), None, None, None, None
        # amax/amin: (g / count) · mask, in torch's order (a NaN upstream reaches every entry)
        out_b = _expand_back(out, a.shape, ctx.dims, ctx.keepdim)
        mask = a == out_b
        count = mask.sum(dim=ctx.dims, keepdim=True)
        grad = _expand_back(grad, a.shape, ctx.dims, ctx.keepdim)
        return grad / count * mask, None, None, None, None


class GatherAlongDim(ArrayFunction):
    """Values picked along ``dim`` by an index array (gather; max/min/sort along a dim).

    ``index`` keeps the reduced axis (size 1 for max/min); with ``keepdim=False`` that axis is
    dropped from the output, and put back on the gradient in backward.
    """

    backward_name = "GatherBackward0"

    @staticmethod
    def forward(ctx, a, index, dim, keepdim=True):
        ctx.shape, ctx.dim, ctx.keepdim = a._data.shape, dim, keepdim
        ctx.index = kept(index)
        x = a._data
        if index.shape != x.shape:
            # out[i][j] = x[index[i][j]][j]: on the other axes only the first index.shape[k]
            # entries are read (the index may be smaller than x there; it never broadcasts).
            keep = [slice(None) if k == dim else slice(0, n) for k, n in enumerate(index.shape)]
            x = x[tuple(keep)]
        out = xp.take_along_axis(x, index, axis=dim)
        return out if keepdim else out.squeeze(dim)

    @staticmethod
    def backward(ctx, grad):
        if not ctx.keepdim:
            grad = grad.unsqueeze(ctx.dim)
        return ScatterAddAlongDim.apply(grad, ctx.index, ctx.dim, ctx.shape), None, None, None


# max/min along a dim and sort: gathers, under torch's names for their graph nodes
MaxDim = renamed(GatherAlongDim, "MaxDim", "MaxBackward0")
MinDim = renamed(GatherAlongDim, "MinDim", "MinBackward0")
SortValues = renamed(GatherAlongDim, "SortValues", "SortBackward0")


class ScatterAddAlongDim(ArrayFunction):
    """zeros(shape).scatter_add_(dim, index, src): the adjoint of ``GatherAlongDim``. With
    ``start=-0.0`` the sums start from −0.0 instead: added to a tensor, they then leave its
    untouched elements exactly as they are, −0.0 included (``index_add``)."""

    backward_name = "ScatterAddBackward0"

    @staticmethod
    def forward(ctx, src, index, dim, shape, start=None):
        ctx.index, ctx.dim, ctx.src_shape = kept(index), dim, src._data.shape
        out = get_array_module(src._data).zeros(shape, dtype=src._data.dtype)
        if start is not None:
            out[...] = start
        _scatter_add(out, index, src._data, dim)
        return out

    @staticmethod
    def backward(ctx, grad):
        grad_src = GatherAlongDim.apply(grad, ctx.index, ctx.dim)
        if grad_src.shape != ctx.src_shape:
            # src may be larger than index: its unread entries get a zero gradient
            region = tuple(slice(0, n) for n in ctx.index.shape)
            grad_src = PadBack.apply(grad_src, region, ctx.src_shape)
        return grad_src, None, None, None


def _scatter_add(out, index, src, dim):
    """out[..., index[i], ...] += src[i] along ``dim``; repeated indices accumulate."""
    idx = open_grid(index, index.shape)
    idx[dim] = index
    add_at(out, tuple(idx), src[tuple(slice(0, n) for n in index.shape)])


class LogSumExp(ArrayFunction):
    backward_name = "LogsumexpBackward0"

    @staticmethod
    def forward(ctx, a, dims, keepdim):
        dims = _reduced_dims(ctx, a, dims, keepdim)
        x = a._data
        # log Σ e^x = m + log Σ e^(x - m), m = max x, so nothing overflows
        m = xp.amax(x, axis=dims, keepdims=True, initial=-xp.inf)  # -inf over an empty dim
        m = xp.where(xp.isfinite(m), m, 0)
        out = xp.log(xp.sum(xp.exp(x - m), axis=dims, keepdims=True)) + m
        if not keepdim:
            out = out.squeeze(axis=dims) if dims is not None else out.reshape(())
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, out = ctx.saved_tensors
        # ∂ logsumexp(x)/∂x_i = softmax(x)_i
        grad, out = _expand_all(ctx, a, grad, out)
        return grad * (a - out).exp(), None, None


class _Normalisation(ArrayFunction):
    """softmax and log_softmax along ``dim``: the subclass's ``normalise(x, dim)`` of the
    input's array, the output saved for backward."""

    @staticmethod
    def forward(ctx, a, dim):
        x = a._data
        ctx.dim = dim
        # an empty tensor has nothing to normalise (amax of an empty axis has no value)
        y = x.copy() if x.size == 0 else ctx.normalise(x, dim)
        ctx.save_for_backward(y)  # the output, as PyTorch: an in-place change is caught
        return y


class Softmax(_Normalisation):
    backward_name = "SoftmaxBackward0"

    @staticmethod
    def normalise(x, dim):
        e = xp.exp(x - xp.amax(x, axis=dim, keepdims=True))
        return e / xp.sum(e, axis=dim, keepdims=True)

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        # ∂L/∂x = y ⊙ (g − Σ_j g_j y_j)
        return y * (grad - (grad * y).sum(dim=ctx.dim, keepdim=True)), None


class LogSoftmax(_Normalisation):
    backward_name = "LogSoftmaxBackward0"

    @staticmethod
    def normalise(x, dim):
        shifted = x - xp.amax(x, axis=dim, keepdims=True)
        return shifted - xp.log(xp.sum(xp.exp(shifted), axis=dim, keepdims=True))

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        # ∂L/∂x = g − softmax(x) Σ_j g_j
        return grad - y.exp() * grad.sum(dim=ctx.dim, keepdim=True), None


def _plus_zero_first(out, dim):
    """``out`` with 0.0 added to its first entries along ``dim``, in place.

    torch's logcumsumexp starts from −inf and log-adds the first element to it, so a first
    element −0.0 comes out as 0.0; NumPy's accumulate copies it unchanged (later entries are
    ``max + log1p(…)``, never −0.0).
    """
    if out.dtype.kind == "f":
        out[(slice(None),) * dim + (slice(0, 1),)] += 0.0
    return out


# The type torch's CPU kernels add floats in (``acc_type``): float32 sums run in float64, float16
# sums in float32, so a long prefix sum does not drift (or saturate, in float16).
_CUMSUM_ACCUMULATOR = {xp.dtype(xp.float16): xp.float32, xp.dtype(xp.float32): xp.float64}


class Cumsum(ArrayFunction):
    """The prefix sums along ``dim``, in ``np_dtype`` (the input's when None); floats are added
    in torch's wider accumulator type and each sum rounded once to the result's dtype."""

    backward_name = "CumsumBackward0"

    @staticmethod
    def forward(ctx, a, dim, np_dtype):
        x = a._data
        ctx.dim = dim
        if x.ndim == 0:  # the prefix sum of one number is itself
            return x.astype(np_dtype or x.dtype)
        out_dtype = xp.dtype(np_dtype or x.dtype)
        wide = _CUMSUM_ACCUMULATOR.get(out_dtype)
        if wide is None:
            out = xp.cumsum(x, axis=dim, dtype=np_dtype)
        else:
            out = xp.cumsum(x, axis=dim, dtype=wide).astype(out_dtype)
        if out.dtype.kind == "f":
            # torch sums from 0.0, so no prefix sum is −0.0 (NumPy's is where all terms are)
            out += 0.0
        return out

    @staticmethod
    def backward(ctx, grad):
        if grad.ndim == 0:
            return grad, None, None
        # The gradient of a prefix sum is the suffix sum of the upstream gradient.
        d = ctx.dim
        return grad.flip(d).cumsum(d).flip(d), None, None


class _Scan(ArrayFunction):
    """A running reduction along ``dim`` (logcumsumexp, cumprod): the subclass's
    ``scan(x, dim)`` of the input's array (a 0-d input is its own scan), saved with the
    input for backward."""

    @staticmethod
    def forward(ctx, a, dim):
        x = a._data
        ctx.dim = dim
        out = x.copy() if x.ndim == 0 else ctx.scan(x, dim)
        ctx.save_for_backward(a, out)
        return out


class LogCumSumExp(_Scan):
    """y_i = log Σ_{j≤i} e^{x_j}, as a running log-add-exp: y_i = logaddexp(y_{i−1}, x_i).

    Each step shifts by its own maximum, so no term overflows or underflows (a global shift
    by max(x) would turn e^{x_j − max} into 0 and log 0 = −inf for the early y_i), and the
    scan runs in PyTorch's order with its ±inf/NaN results.
    """

    backward_name = "LogcumsumexpBackward0"

    @staticmethod
    def scan(x, dim):
        return _plus_zero_first(xp.logaddexp.accumulate(x, axis=dim), dim)

    @staticmethod
    def backward(ctx, grad):
        # ∂L/∂x_j = Σ_{i≥j} g_i e^{x_j − y_i}, summed in log space (PyTorch's formula): the
        # positive and the negative g_i separately, each a reversed logcumsumexp of log|g| − y.
        a, out = ctx.saved_tensors
        d = ctx.dim
        if a.ndim == 0:
            return grad, None
        lowest = float(xp.finfo(grad._data.dtype).min)
        log_abs = grad.abs().log()

        def reverse_lcse(t):
            return LogCumSumExp.apply(t.flip(d), d).flip(d)

        log_pos = log_abs.masked_fill(~(grad > 0), lowest)
        log_neg = log_abs.masked_fill(~(grad < 0), lowest)
        pos = (reverse_lcse(log_pos - out) + a).exp()
        neg = (reverse_lcse(log_neg - out) + a).exp()
        return pos - neg, None


class Cumprod(_Scan):
    backward_name = "CumprodBackward0"

    @staticmethod
    def scan(x, dim):
        return xp.cumprod(x, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        a, out = ctx.saved_tensors
        d = ctx.dim
        if a.numel() <= 1 or a.shape[d] == 1:
            return grad, None  # y = x there (torch passes grad through, even at NaN)
        if not (a._data == 0).any():
            # ∂y_k/∂x_i = y_k / x_i for k ≥ i, so dL/dx_i = (Σ_{k≥i} g_k y_k) / x_i
            return (grad * out).flip(d).cumsum(d).flip(d) / a, None
        if grad_state.enabled:
            raise RuntimeError(
                "double backward (create_graph=True) through cumprod of a tensor containing "
                "zeros is not supported"
            )
        return _cumprod_backward_with_zeros(a._data, grad._data, out._data, d), None


def _cumprod_backward_with_zeros(x, g, y, d):
    """dL/dx for y = cumprod(x) along ``d`` when x holds zeros, in O(n) (torch's algorithm).

    Along each line, with z1 the first zero of x and z2 the second (or the end):
    - k < z1: dL/dx_k = (Σ_{k≤j<z1} g_j y_j) / x_k (no zero divides there);
    - k = z1: dL/dx_z1 = y_{z1−1} · Σ_{z1≤j<z2} g_j Π_{z1<i≤j} x_i;
    - k > z1: 0 (every y_j with j ≥ k holds x_z1 = 0).
    """
    zeros_seen = xp.cumsum(x == 0, axis=d)
    before = zeros_seen == 0  # k < z1
    w = xp.where(before, y * g, 0)
    with xp.errstate(divide="ignore", invalid="ignore"):
        suffix = xp.flip(xp.cumsum(xp.flip(w, d), axis=d), d)
        result = xp.where(before, suffix / x, 0).astype(g.dtype, copy=False)
    span = zeros_seen == 1  # z1 ≤ k < z2
    first = xp.argmax(span, axis=d, keepdims=True)  # z1 (0 where the line has no zero)
    at_first = xp.zeros_like(span)  # bool, on x's device
    xp.put_along_axis(at_first, first, True, axis=d)
    at_first &= span
    inside = span & ~at_first  # z1 < i < z2
    tail = (xp.cumprod(xp.where(inside, x, 1), axis=d) * xp.where(span, g, 0)).sum(
        axis=d, keepdims=True
    )
    prefix = xp.take_along_axis(y, xp.maximum(first - 1, 0), axis=d)  # y_{z1−1}
    prefix = xp.where(first == 0, 1, prefix)
    return xp.where(at_first, tail * prefix, result)


class _RunningExtreme(GatherAlongDim):
    """cummax/cummin: the values, gathered by the indices of the running extremes (the
    gradient flows to the element that holds each). The indices are an output the caller gets
    back, saved as torch saves them (with the input): changed in place, they make backward
    refuse."""

    @staticmethod
    def forward(ctx, a, indices, dim):
        ctx.save_for_backward(a, indices)
        return GatherAlongDim.forward(ctx, a, indices._data, dim)

    @staticmethod
    def backward(ctx, grad):
        ctx.saved_tensors  # noqa: B018 - refuses tensors modified in place since forward
        return GatherAlongDim.backward(ctx, grad)


Cummax = renamed(_RunningExtreme, "Cummax", "CummaxBackward0")
Cummin = renamed(_RunningExtreme, "Cummin", "CumminBackward0")


class VectorNorm(ArrayFunction):
    """‖x‖_p over ``dims``: (Σ |x|^p)^(1/p); p = inf is max |x|, p = 0 counts non-zeros."""

    backward_name = "LinalgVectorNormBackward0"

    @staticmethod
    def forward(ctx, a, p, dims, keepdim):
        ctx.p = p
        dims = _reduced_dims(ctx, a, dims, keepdim)
        x = a._data
        ax = xp.abs(x)
        if p == 2:
            out = xp.sqrt(xp.sum(x * x, axis=dims, keepdims=keepdim))
        elif p == 1:
            out = xp.sum(ax, axis=dims, keepdims=keepdim)
        elif p == float("inf"):
            out = xp.amax(ax, axis=dims, keepdims=keepdim)
        elif p == float("-inf"):
            out = xp.amin(ax, axis=dims, keepdims=keepdim)
        elif p == 0:
            out = xp.sum(x != 0, axis=dims, keepdims=keepdim).astype(x.dtype)
        else:
            out = xp.sum(ax**p, axis=dims, keepdims=keepdim) ** (1.0 / p)
        out = as_array(out, dtype=x.dtype)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, out = ctx.saved_tensors
        p = ctx.p
        grad, norm = _expand_all(ctx, a, grad, out)
        if p == 0:  # a count of nonzero entries: no gradient (torch's is undefined: .grad None)
            return None, None, None, None
        if p == 1:
            return grad * a.sign(), None, None, None  # ∂Σ|x|/∂x = sign(x)
        if p in (float("inf"), float("-inf")):
            # Like max: the gradient is shared by the entries where |x| attains the norm, or is
            # NaN (then the norm is NaN, and PyTorch's mask picks the NaNs); sign(NaN) = 0
            magnitude = a.abs()
            mask = (magnitude == norm) | magnitude.isnan()
            count = mask.sum(dim=ctx.dims, keepdim=True)
            return a.sign() * ((grad / count) * mask), None, None, None
        # ∂‖x‖_p/∂x = sign(x) |x|^(p−1) / ‖x‖_p^(p−1), written as torch writes it per range of p
        # so that an exact zero entry gets 0, not 0 · ∞ (|0|^(p−2) = ∞ for p < 2)
        if p < 1:
            scaled = (a.sign() * a.abs().pow(p - 1)).masked_fill(a == 0, 0.0)
            return scaled * grad * norm.pow(1 - p), None, None, None
        if p == 2:  # torch's order: x / ‖x‖ (0 for a zero norm), then times grad
            return grad * (a / norm).masked_fill(norm == 0, 0.0), None, None, None
        scale = (grad / norm.pow(p - 1)).masked_fill(norm == 0, 0.0)  # zero norm: 0 (torch)
        if p < 2:
            return a.sign() * a.abs().pow(p - 1) * scale, None, None, None
        return a * a.abs().pow(p - 2) * scale, None, None, None


# median and kthvalue along a dim: gathers of the picked values
MedianDim = renamed(GatherAlongDim, "MedianDim", "MedianBackward1")
KthvalueDim = renamed(GatherAlongDim, "KthvalueDim", "KthvalueBackward0")


class MedianAll(ArrayFunction):
    """The median of all elements (flat position ``k`` of the input); like max(), equal
    elements share the gradient evenly."""

    backward_name = "MedianBackward0"

    @staticmethod
    def forward(ctx, a, k):
        out = as_array(a._data.reshape(-1)[k])
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, out = ctx.saved_tensors
        return _evenly_distribute(grad, a, out), None


class Var(ArrayFunction):
    """Σ (x − x̄)² / (N − correction) over ``dims`` (two passes: the mean, then the squares)."""

    backward_name = "VarBackward0"

    @staticmethod
    def forward(ctx, a, dims, correction, keepdim):
        whole = dims is None or a._data.ndim == 0
        dims = _reduced_dims(ctx, a, dims, keepdim)
        x = a._data
        n = x.size // max(xp.sum(x, axis=dims, keepdims=True).size, 1) if x.size else 0
        # torch's backward divides by N − correction over given dims, by max(N − correction, 0)
        # over the whole tensor (there a single value with correction ≥ 1 has a NaN gradient)
        ctx.divisor = max(n - correction, 0) if whole else n - correction
        # an empty x has no mean to subtract (NumPy would warn "Mean of empty slice")
        centred = x - xp.mean(x, axis=dims, keepdims=True) if x.size else x
        with xp.errstate(divide="ignore", invalid="ignore"):
            out = xp.sum(centred * centred, axis=dims, keepdims=keepdim) / max(n - correction, 0)
        ctx.save_for_backward(a)
        return as_array(out, dtype=x.dtype)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        grad = _expand_back(grad, a.shape, ctx.dims, ctx.keepdim)
        # ∂var/∂x_i = 2 (x_i − x̄) / (N − correction)
        centred = a - a.mean(dim=ctx.dims, keepdim=True)
        return grad * centred * 2.0 / ctx.divisor, None, None, None


class Std(ArrayFunction):
    """√var over ``dims``."""

    backward_name = "StdBackward0"

    @staticmethod
    def forward(ctx, a, dims, correction, keepdim):
        var = Var.forward(ctx, a, dims, correction, keepdim)
        out = xp.sqrt(var)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, out = ctx.saved_tensors
        # ∂std/∂x = ∂var/∂x / (2 std); zero where std is zero (PyTorch's rule)
        centred = a - a.mean(dim=ctx.dims, keepdim=True)
        grad, std = _expand_all(ctx, a, grad, out)
        scale = (grad / (std * ctx.divisor)).masked_fill(std == 0, 0.0)
        return centred * scale, None, None, None


class ScatterAdd(ArrayFunction):
    """self with src added at ``index`` along ``dim`` (``scatter_add``)."""

    backward_name = "ScatterAddBackward0"

    @staticmethod
    def forward(ctx, a, index, dim, src):
        ctx.index, ctx.dim, ctx.src_shape = kept(index), dim, src._data.shape
        out = a._data.copy()
        _scatter_add(out, index, src._data, dim)
        return out

    @staticmethod
    def backward(ctx, grad):
        grad_src = None
        if ctx.needs_input_grad[3]:
            grad_src = _gather_into(grad, ctx.index, ctx.dim, ctx.src_shape)
        return grad, None, None, grad_src


class ScatterReduceSum(ScatterAdd):
    """``scatter_reduce(..., "sum", include_self=True)``: self with src added at ``index`` (in
    place of a copy, so entries no index reaches keep their exact value, -0.0 included)."""

    backward_name = "ScatterReduceBackward0"


class Scatter(ArrayFunction):
    """self with the entries at ``index`` along ``dim`` replaced by src (or by a number)."""

    backward_name = "ScatterBackward0"

    def name(self) -> str:
        return "ScatterBackward1" if self.scalar else "ScatterBackward0"

    @staticmethod
    def forward(ctx, a, index, dim, src):
        ctx.index, ctx.dim = kept(index), dim
        ctx.scalar = not hasattr(src, "_data")
        out = a._data.copy()
        full = open_grid(index, index.shape)
        full[dim] = index
        if ctx.scalar:
            out[tuple(full)] = src
        else:
            ctx.src_shape = src._data.shape
            out[tuple(full)] = src._data[tuple(slice(0, n) for n in index.shape)]
        return out

    @staticmethod
    def backward(ctx, grad):
        grad_a = grad_src = None
        if ctx.needs_input_grad[0]:
            grad_a = Scatter.apply(grad, ctx.index, ctx.dim, 0.0)  # overwritten entries: 0
        if not ctx.scalar and ctx.needs_input_grad[3]:
            grad_src = _gather_into(grad, ctx.index, ctx.dim, ctx.src_shape)
        return grad_a, None, None, grad_src


def _gather_into(grad, index, dim, src_shape):
    """grad.gather(dim, index), zero-padded to src's shape when src is larger than index."""
    g = GatherAlongDim.apply(grad, index, dim)
    if g.shape != src_shape:
        region = tuple(slice(0, n) for n in index.shape)
        g = PadBack.apply(g, region, src_shape)
    return g


# topk and mode: gathers of the picked values
TopkValues = renamed(GatherAlongDim, "TopkValues", "TopkBackward0")
ModeValues = renamed(GatherAlongDim, "ModeValues", "ModeBackward0")
