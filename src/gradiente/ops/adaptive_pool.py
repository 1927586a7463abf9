"""Adaptive pooling: a fixed output size, windows [⌊i·I/O⌋, ⌈(i + 1)·I/O⌉) that may overlap.

When the output size divides the input size the windows are regular (kernel = stride = I/O)
and the window-view kernels of ``ops/window_pool.py`` do the work. Otherwise:

- average: each axis is a matrix product with an (O, I) averaging matrix, y = A · x · Bᵀ over
  the two spatial axes, so dx = Aᵀ · g · B is the same op with the transposed matrices;
- max: the flat index h·W + w of each window's first maximum is found separably (rows, then
  columns), and the output is a gather through it, whose backward is the matching scatter-add.

In 3-D the max is the same gather over (D, H·W) planes, its flat indices d·H·W + h·W + w found
over every window's taps at once; the 3-D average is composed in ``nn.functional`` (the area
resampling of ``interpolate``, separable means along each axis).
"""

from __future__ import annotations

from gradiente.autograd import function as _function
from gradiente.backend import BF16, device_array, get_array_module, xp
from gradiente.ops.array_function import ArrayFunction, renamed
from gradiente.ops.device_pool import DeviceAvgPool2d
from gradiente.ops.geometry import follows_channels_last
from gradiente.ops.pool_args import check1d, check_dim_range, int_list, tensor_arg
from gradiente.ops.window_pool import (
    AvgPool2d,
    PoolGeometry,
    as_2d,
    backward_op,
    batched,
    check_dtype,
    from_2d,
    max_pool,
    wrap_indices,
)


def _floating(dtype) -> bool:
    """Whether torch's NaN rule applies: a floating dtype (bfloat16's NumPy kind is 'V')."""
    return dtype.kind == "f" or dtype == BF16


def _on_device_of(x, a):
    """``a`` (a small host array of window positions or weights) on ``x``'s device."""
    return a if type(x) is xp.ndarray else device_array(x, a)


# ------------------------------------------------------------------------------ average
def _adaptive_bounds(size: int, out: int):
    """PyTorch's adaptive windows: [⌊i·I/O⌋, ⌈(i + 1)·I/O⌉) for output i."""
    i = xp.arange(out)
    return (i * size) // out, -((-(i + 1) * size) // out)


def _window_matrix(size: int, out: int, dtype):
    """(out, size) 0/1 matrix whose row i sums input window i, and the windows' sizes."""
    start, end = _adaptive_bounds(size, out)
    pos = xp.arange(size)
    inside = (pos[None, :] >= start[:, None]) & (pos[None, :] < end[:, None])
    return inside.astype(dtype), (end - start).astype(dtype)


def _banded_matmul(M, x, axis: int):
    """M · x along ``axis`` (of length M.shape[1]) adding only M's non-zero terms.

    Each row of an adaptive-pooling matrix (and of its transpose) is non-zero on one
    contiguous run of columns. A plain matmul also adds 0 · x for the other columns, which
    turns an infinite x into NaN in every output (0 · ∞ = NaN); here output r is
    Σ_t M[r, lo_r + t] · x[lo_r + t] over its run only, one vectorised step per tap t.
    """
    rows, size = M.shape
    m = get_array_module(x)
    nonzero = M != 0
    lo = nonzero.argmax(axis=1)
    hi = xp.where(nonzero.any(axis=1), size - nonzero[:, ::-1].argmax(axis=1), lo)
    xm = xp.moveaxis(x, axis, -1)  # (..., size)
    out = m.zeros(xm.shape[:-1] + (rows,), dtype=xp.result_type(M, x))
    for t in range(int((hi - lo).max()) if rows else 0):
        pos = xp.minimum(lo + t, size - 1)
        term = xm[..., pos] * M[m.arange(rows), pos]  # (..., rows)
        out += xp.where(lo + t < hi, term, 0)
    return xp.moveaxis(out, -1, axis)


def _separable(x, A, B):
    """A · x · Bᵀ over the last two axes: one matmul pair when x is finite, else banded."""
    if xp.isfinite(x).all():
        return xp.matmul(xp.matmul(A, x), B.T)
    return _banded_matmul(B, _banded_matmul(A, x, -2), -1)


def _window_means(x, A, B, counts, divide_first: bool):
    """A · x · Bᵀ divided by the windows' sizes ``counts`` (OH, OW): after the sums (forward:
    PyTorch's sum, then divide, so that values which cancel give exactly 0) or, for the
    backward's g, before them (each window's gradient / its size, then spread)."""
    if divide_first:
        return _separable(x / counts, A, B)
    return _separable(x, A, B) / counts


class _Separable(ArrayFunction):
    """y = (A · x · Bᵀ) / counts over the two spatial axes (adaptive average pooling; A and B
    0/1 window matrices); dx = Aᵀ · (g / counts) · B, the same op transposed."""

    backward_name = "AdaptiveAvgPool2DBackward0"

    @staticmethod
    def forward(ctx, x, A, B, counts, divide_first):
        ctx.A, ctx.B, ctx.counts, ctx.divide_first = A, B, counts, divide_first
        return _window_means(x._data, A, B, counts, divide_first)

    @staticmethod
    def backward(ctx, grad):
        args = (ctx.A.T, ctx.B.T, ctx.counts, not ctx.divide_first)
        return backward_op(_Separable, _window_means, grad, *args), None, None, None, None


# ------------------------------------------------------------------------------ max
def _window_taps(size: int, out: int):
    """(out, kmax) input positions of each adaptive window, the short ones padded by repeating
    their last position (a repeat never changes a maximum nor wins a tie)."""
    start, end = _adaptive_bounds(size, out)
    kmax = int((end - start).max())
    return xp.minimum(start[:, None] + xp.arange(kmax)[None, :], (end - 1)[:, None])


def _adaptive_max_indices(x, out_hw):
    """Flat h·W + w index of each adaptive window's first maximum (separable: rows, then cols)."""
    N, C, H, W = x.shape
    OH, OW = out_hw
    m = get_array_module(x)
    if OH == 0 or OW == 0:
        return m.zeros((N, C, OH, OW), dtype=xp.int64)
    cols = _on_device_of(x, _window_taps(W, OW))  # (OW, kw)
    rows = _on_device_of(x, _window_taps(H, OH))  # (OH, kh)
    xw = x[..., cols]  # (N, C, H, OW, kw)
    w_arg = xw.argmax(axis=-1)  # first maximum along each row segment
    row_max = xp.take_along_axis(xw, w_arg[..., None], axis=-1)[..., 0]  # (N, C, H, OW)
    h_arg = row_max[:, :, rows, :].argmax(axis=3)  # (N, C, OH, OW): first row with the max
    h = rows[m.arange(OH)[:, None], h_arg]  # (N, C, OH, OW)
    w_in_row = xp.take_along_axis(w_arg, h, axis=2)  # (N, C, OH, OW) index into cols
    w = cols[m.arange(OW), w_in_row]
    index = h * W + w
    if _floating(x.dtype) and xp.isnan(x).any():
        # PyTorch takes a tap when it is greater *or NaN*: a window holding NaN answers its
        # last NaN in row-major order, i.e. the NaN with the largest flat index h·W + w.
        flat = xp.where(xp.isnan(x), m.arange(H * W).reshape(H, W), -1)
        last_nan = flat[..., cols].max(axis=-1)[:, :, rows, :].max(axis=3)  # (N, C, OH, OW)
        index = xp.where(last_nan >= 0, last_nan, index)
    return index


class _PlaneGather(ArrayFunction):
    """y[n, c, o] = x[n, c, idx[n, c, o]] over flattened (H·W) planes; backward scatters."""

    backward_name = "AdaptiveMaxPool2DBackward0"

    @staticmethod
    def forward(ctx, x, idx, out_shape):
        N, C, H, W = x._data.shape
        ctx.shape = x._data.shape
        ctx.save_for_backward(idx)
        planes = x._data.reshape(N, C, H * W)
        return xp.take_along_axis(planes, idx.reshape(N, C, -1), axis=2).reshape(out_shape)

    @staticmethod
    def backward(ctx, grad):
        (idx,) = ctx.saved_tensors
        return backward_op(_PlaneScatter, _plane_scatter, grad, idx, ctx.shape), None, None


def _plane_scatter(g, idx, shape):
    """The adjoint of the gather: add each g[n, c, o] into x's plane at idx[n, c, o]."""
    N, C, H, W = shape
    # windows may overlap: add with bincount over globally offset positions
    offsets = (get_array_module(g).arange(N * C, dtype=xp.int64) * (H * W)).reshape(N, C, 1)
    flat = (idx.reshape(N, C, -1) + offsets).ravel()
    total = xp.bincount(flat, weights=g.reshape(-1), minlength=N * C * H * W)
    return total.astype(g.dtype).reshape(shape)


class _PlaneScatter(ArrayFunction):
    backward_name = "AdaptiveMaxPool2DBackwardBackward0"

    @staticmethod
    def forward(ctx, g, idx, shape):
        ctx.out_shape = g._data.shape
        ctx.save_for_backward(idx)
        return _plane_scatter(g._data, idx, shape)

    @staticmethod
    def backward(ctx, grad):
        (idx,) = ctx.saved_tensors
        return _PlaneGather.apply(grad, idx, ctx.out_shape), None, None


# ------------------------------------------------------------------------------ checks
def list_with_default(output_size, input):
    """torch.nn.functional's ``_list_with_default``: an int as it is; a sequence with each None
    replaced by the input's size on that axis. Like torch, it reads ``input.size()`` first,
    so a non-Tensor input fails here (with that object's own AttributeError or TypeError)."""
    sizes = tuple(input.shape) if isinstance(input, _function._Tensor) else input.size()
    if isinstance(output_size, int):
        return output_size
    if len(sizes) <= len(output_size):
        raise ValueError(f"Input dimension should be at least {len(output_size) + 1}")
    tail = sizes[len(sizes) - len(output_size) :]
    return [d if v is None else v for v, d in zip(output_size, tail, strict=False)]


def _check_nonempty(op, shape, dims, what="input"):
    """torch's error for an empty non-batch dimension (one of ``dims``)."""
    for d in dims:
        if shape[d] == 0:
            raise RuntimeError(
                f"{op}(): Expected {what} to have non-zero size for non-batch dimensions, but "
                f"{what} has sizes {list(shape)} with dimension {d} being empty"
            )


def _check_rank(op, shape, ranks, colon=""):
    if len(shape) not in ranks:
        raise RuntimeError(
            f"{op}(): Expected {ranks[0]}D or {ranks[1]}D tensor, but got{colon} {list(shape)}"
        )


def _nonnegative(op, size):
    """torch's check of an adaptive average pooling's output size (its odd spacing kept)."""
    if min(size) < 0:
        got = ", ".join(map(str, size)) if len(size) == 2 else f"{size[0]}, {size[1]},{size[2]}"
        raise RuntimeError(
            f"{op}: elements of output_size must be greater than or equal to 0 but received "
            f"{{{got}}}"
        )


def _negative_dimension(shape) -> None:
    """The error torch's tensor allocation gives a negative output size."""
    for v in shape:
        if v < 0:
            raise RuntimeError(
                f"Trying to create tensor with negative dimension {v}: {list(shape)}"
            )


class _EmptyResult(ArrayFunction):
    """An empty pooling result whose backward fails as torch's does: torch's adaptive pooling
    backward refuses a gradient with an empty non-batch dimension (``torch_shape`` is the
    gradient's shape as torch's kernel sees it: a 1-D pooling is a 2-D one of height 1)."""

    backward_name = "AdaptiveAvgPool2DBackward0"

    @staticmethod
    def forward(ctx, y, torch_shape, op):
        ctx.torch_shape, ctx.op = torch_shape, op
        return y._data

    @staticmethod
    def backward(ctx, grad):
        dims = range(1, len(ctx.torch_shape))
        _check_nonempty(f"{ctx.op}_backward", ctx.torch_shape, dims, "grad_output")
        raise AssertionError("unreachable: applied only to results with an empty dimension")


_EMPTY_NODES = {
    op: renamed(_EmptyResult, "_EmptyResult", node)
    for op, node in (
        ("adaptive_avg_pool2d", "AdaptiveAvgPool2DBackward0"),
        ("adaptive_max_pool2d", "AdaptiveMaxPool2DBackward0"),
        ("adaptive_avg_pool3d", "AdaptiveAvgPool3DBackward0"),
        ("adaptive_max_pool3d", "AdaptiveMaxPool3DBackward0"),
    )
}


def empty_grad_guard(op, y, torch_shape):
    """``y`` made to fail in backward as torch does when its gradient would have an empty
    non-batch dimension; other results are returned unchanged."""
    if not y.requires_grad or 0 not in tuple(torch_shape)[1:]:
        return y
    return _EMPTY_NODES[op].apply(y, tuple(torch_shape), op)


# ------------------------------------------------------------------------------ public API
def _as_row(x):
    """torch's 1-D adaptive pooling pools (N, C, 1, L): the checks see that shape."""
    return (*x.shape[:-1], 1, x.shape[-1])


def _adaptive_avg(x, size, n, unbatched_shape):
    """Adaptive average pooling of a checked ``x`` to (OH, OW) = ``size``."""
    x2, unbatched = batched("adaptive_avg_pool2d", x, n)
    x2 = as_2d(x2, n)
    image = tuple(x2._data.shape[2:])
    oh, ow = size
    if x2.numel() == 0 or oh == 0 or ow == 0:  # nothing to compute: torch checks no dtype
        y = x2.new_zeros((*x2.shape[:2], oh, ow))
        if x2.requires_grad:
            y = y + x2.sum() * 0  # keep the graph (its gradient is zero)
        return empty_grad_guard("adaptive_avg_pool2d", from_2d(y, n, unbatched), unbatched_shape)
    check_dtype("adaptive_avg_pool2d", x2._data, "float")
    # bfloat16, float16: always the separable op, whose variant (ops/bfloat16.py) divides as
    # torch (sum / kh / kw) and adds the gradient in the 16-bit type
    reduced = x2._data.dtype == BF16 or x2._data.dtype == xp.float16
    if image[0] % oh == 0 and image[1] % ow == 0 and not reduced:
        k = (image[0] // oh, image[1] // ow)
        geom = PoolGeometry(k, k, (0, 0), (1, 1), image, (oh, ow))
        kernel = AvgPool2d if type(x2._data) is xp.ndarray else DeviceAvgPool2d  # CUDA
        y = kernel.apply(x2, geom, geom.kernel)  # divided by kh, then kw, as torch's kernel
    else:
        H, W, dt = x2._data.shape[2], x2._data.shape[3], x2._data.dtype
        dt = xp.float32 if reduced else dt  # 16-bit floats run the float32 kernel
        (rows, row_sizes), (cols, col_sizes) = (_window_matrix(*a, dt) for a in ((H, oh), (W, ow)))
        counts = _on_device_of(x2._data, row_sizes[:, None] * col_sizes[None, :])
        rows, cols = _on_device_of(x2._data, rows), _on_device_of(x2._data, cols)
        y = _Separable.apply(x2, rows, cols, counts, False)
    return from_2d(y, n, unbatched)


def _avg_2d_checks(input, output_size, shape):
    """torch's ``adaptive_avg_pool2d`` on (the shape ``shape`` of) ``input``: the output size,
    or None when torch answers with a mean over the last two axes (output size 1×1)."""
    op = "adaptive_avg_pool2d"
    size = int_list(op, "output_size", output_size, 2)
    size = size * 2 if len(size) == 1 else size
    if len(size) != 2:
        raise RuntimeError(f"{op}: output_size must be 2")
    _nonnegative(op, size)
    if size == (1, 1):
        return None
    _check_rank(op, shape, (3, 4))
    _check_nonempty(op, shape, (len(shape) - 2, len(shape) - 1))
    return size


@follows_channels_last
def adaptive_avg_pool2d(input, output_size):
    """Average pooling to a fixed (OH, OW) output (None keeps that input size), as in PyTorch."""
    output_size = list_with_default(output_size, input)
    x = tensor_arg("adaptive_avg_pool2d", input, 1)
    size = _avg_2d_checks(x, output_size, tuple(x.shape))
    if size is None:  # torch: a plain mean (for any rank of at least 2)
        return x.mean((-1, -2), keepdim=True)
    return _adaptive_avg(x, size, 2, tuple(x.shape[:-2]) + size)


def adaptive_avg_pool1d(input, output_size):
    """Average pooling of (N, C, L) input to a fixed length, as in PyTorch (the 2-D pooling
    of (N, C, 1, L) to (1, L_out), after checks of its own)."""
    op = "adaptive_avg_pool1d"
    x = tensor_arg(op, input, 1)
    size = int_list(op, "output_size", output_size, 2)
    check_dim_range(op, x, 2, 4)
    check1d(op, "output_size", size)
    row = _as_row(x)
    size2 = _avg_2d_checks(x, (1, size[0]), row)
    if size2 is None:
        return x.unsqueeze(-2).mean((-1, -2), keepdim=True).squeeze(-2)
    return _adaptive_avg(x, size2, 1, row[:-2] + size2)


def _adaptive_max(op, x, size, return_indices, n, torch_shape):
    """Adaptive max pooling of a checked ``x`` to (OH, OW) = ``size`` (n spatial axes)."""
    x2, unbatched = batched(op, x, n)
    x2 = as_2d(x2, n)
    image = tuple(x2._data.shape[2:])
    oh, ow = size
    check_dtype("adaptive_max_pool2d", x2._data, "float")
    if x2.numel() == 0 or oh == 0 or ow == 0:  # an empty result
        N, C = x2.shape[:2]
        out = x2.new_zeros((N, C, oh, ow))
        if x2.requires_grad:
            out = out + x2.sum() * 0  # keep the graph (its gradient is zero)
        idx = get_array_module(x2._data).zeros((N, C, oh, ow), dtype=xp.int64)
        out = empty_grad_guard("adaptive_max_pool2d", from_2d(out, n, unbatched), torch_shape)
        return (out, wrap_indices(idx, n, unbatched)) if return_indices else out
    if image[0] % oh == 0 and image[1] % ow == 0:
        k = (image[0] // oh, image[1] // ow)
        geom = PoolGeometry(k, k, (0, 0), (1, 1), image, (oh, ow))
        return max_pool(x2, geom, return_indices, n, unbatched)
    idx = _adaptive_max_indices(x2._data, (oh, ow))
    out = from_2d(_PlaneGather.apply(x2, idx, idx.shape), n, unbatched)
    if return_indices:
        return out, wrap_indices(idx, n, unbatched)
    return out


def _max_2d_checks(shape, size):
    """torch's ``adaptive_max_pool2d`` checks of the input's ``shape`` and the output size."""
    op = "adaptive_max_pool2d"
    _check_rank(op, shape, (3, 4), ":")
    _check_nonempty(op, shape, range(1, len(shape)))
    if len(size) != 2:
        raise RuntimeError(f"{op}(): internal error: output_size.size() must be 2")
    out = (*shape[:-2], *size)
    _negative_dimension(out)
    return out


@follows_channels_last
def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max pooling to a fixed (OH, OW) output, as in PyTorch (with optional flat indices)."""
    output_size = list_with_default(output_size, input)
    op = "adaptive_max_pool2d"
    x = tensor_arg(op, input, 1)
    size = int_list(op, "output_size", output_size, 2)
    size = size * 2 if len(size) == 1 else size
    torch_shape = _max_2d_checks(tuple(x.shape), size)
    return _adaptive_max(op, x, size, return_indices, 2, torch_shape)


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """Max pooling of (N, C, L) input to a fixed length, as in PyTorch (optional indices)."""
    op = "adaptive_max_pool1d"
    x = tensor_arg(op, input, 1)
    size = int_list(op, "output_size", output_size, 2)
    check_dim_range(op, x, 2, 4)
    check1d(op, "output_size", size)
    _check_nonempty(op, tuple(x.shape), range(1, x.ndim))  # (before the 2-D pooling's)
    torch_shape = _max_2d_checks(_as_row(x), (1, size[0]))
    return _adaptive_max(op, x, (1, size[0]), return_indices, 1, torch_shape)


# ------------------------------------------------------------------------------ 3-D
def adaptive_size_3d(op: str, input, output_size) -> tuple:
    """(OD, OH, OW) as torch reads ``output_size`` (an int, or 3 values where None keeps that
    input size): ``F``'s defaults, then the parser; ``input`` is checked to be a Tensor."""
    output_size = list_with_default(output_size, input)
    tensor_arg(op, input, 1)
    size = int_list(op, "output_size", output_size, 2)
    return size * 3 if len(size) == 1 else size


def check_avg_3d(x, size) -> bool:
    """torch's checks of ``adaptive_avg_pool3d``; False when torch answers with a plain mean
    (output size 1×1×1), which has checks of its own."""
    op = "adaptive_avg_pool3d"
    if len(size) != 3:
        raise RuntimeError(f"{op}: output_size must be 3")
    _nonnegative(op, size)
    if size == (1, 1, 1):
        return False
    shape = tuple(x.shape)
    _check_nonempty(op, shape, range(1, len(shape)))
    _check_rank(op, shape, (4, 5))
    return True


def batched_3d(op: str, input):
    """(input as (N, C, D, H, W), whether a batch axis was added)."""
    if input.ndim == 4:
        return input.unsqueeze(0), True
    return input, False


def _adaptive_max_indices_3d(x, out_dhw):
    """Flat d·H·W + h·W + w index of each adaptive 3-D window's first maximum (torch scans a
    window in (d, h, w) order and keeps a value that is greater, or NaN: with NaNs, the last
    NaN)."""
    N, C, D, H, W = x.shape
    OD, OH, OW = out_dhw
    m = get_array_module(x)
    if OD == 0 or OH == 0 or OW == 0:
        return m.zeros((N, C, OD, OH, OW), dtype=xp.int64)
    d, h, w = (_window_taps(n, o) for n, o in zip((D, H, W), out_dhw, strict=True))
    # the flat input position of every tap, (OD, OH, OW, kd·kh·kw) in (d, h, w) scan order;
    # padded taps repeat a window's last position, so they never come before a real maximum
    flat = (d[:, None, None, :, None, None] * H + h[None, :, None, None, :, None]) * W
    flat = (flat + w[None, None, :, None, None, :]).reshape(OD, OH, OW, -1)
    flat = _on_device_of(x, flat)
    window = x.reshape(N, C, D * H * W)[:, :, flat]  # (N, C, OD, OH, OW, taps)
    first = window.argmax(axis=-1)[..., None]
    index = xp.take_along_axis(xp.broadcast_to(flat, window.shape), first, axis=-1)[..., 0]
    if _floating(x.dtype) and xp.isnan(window).any():
        last_nan = xp.where(xp.isnan(window), flat, -1).max(axis=-1)
        index = xp.where(last_nan >= 0, last_nan, index)
    return index


# the 2-D gather over (D, H·W) planes: flat index d·(H·W) + (h·W + w)
_VolumeGather = renamed(_PlaneGather, "_VolumeGather", "AdaptiveMaxPool3DBackward0")


def adaptive_max_pool3d(input, output_size, return_indices=False):
    """Max pooling of (N, C, D, H, W) (or unbatched (C, D, H, W)) to a fixed (OD, OH, OW), as
    in PyTorch, with optional flat indices d·H·W + h·W + w into each input volume."""
    op = "adaptive_max_pool3d"
    size = adaptive_size_3d(op, input, output_size)
    shape = tuple(input.shape)
    _check_rank(op, shape, (4, 5), ":")
    _check_nonempty(op, shape, range(1, len(shape)))
    if len(size) != 3:
        raise RuntimeError(f"{op}(): internal error: output_size.size() must be 3")
    torch_shape = (*shape[:-3], *size)
    _negative_dimension(torch_shape)
    x, unbatched = batched_3d(op, input)
    N, C, D, H, W = x._data.shape
    check_dtype("adaptive_max_pool3d_cpu", x._data, "float")
    if x.numel() == 0 or 0 in size:  # an empty result
        out = x.new_zeros(torch_shape)
        if x.requires_grad:
            out = out + x.sum() * 0  # keep the graph (its gradient is zero)
        idx = wrap_indices(get_array_module(x._data).zeros(torch_shape, dtype=xp.int64), 3, False)
        out = empty_grad_guard(op, out, torch_shape)
        return (out, idx) if return_indices else out
    idx = _adaptive_max_indices_3d(x._data, size)
    # unbatched: the gather itself drops the batch axis, so the result's node is torch's
    out_shape = idx.shape[1:] if unbatched else idx.shape
    out = _VolumeGather.apply(x.reshape(N, C, D, H * W), idx, out_shape)
    return (out, wrap_indices(idx, 3, unbatched)) if return_indices else out
