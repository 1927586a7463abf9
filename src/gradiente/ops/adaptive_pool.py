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

from gradiente.backend import device_array, get_array_module, xp
from gradiente.ops.array_function import ArrayFunction, renamed
from gradiente.ops.device_pool import DeviceAvgPool2d
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
    if x.dtype.kind == "f" and xp.isnan(x).any():
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


# ------------------------------------------------------------------------------ public API
def _adaptive_size(op, output_size, image, n):
    if isinstance(output_size, int):
        size = (output_size,) * n
    else:
        size = tuple(output_size)
        if len(size) != n:
            raise RuntimeError(f"{op}: output_size must be an int or a tuple of {n} values")
    size = tuple(image[2 - n + a] if v is None else int(v) for a, v in enumerate(size))
    if min(size) < 0 or min(image[2 - n :]) < 1:
        raise RuntimeError(f"{op}: expected non-empty input and non-negative output_size")
    return size if n == 2 else (1,) + size


def _adaptive_input(op, input, output_size, n, kernel):
    """(x as (N, C, H, W), whether a batch axis was added, (OH, OW), the geometry of regular
    windows or None): the windows are regular when the output size divides the input size,
    and then kernel = stride = I/O (``kernel`` names PyTorch's kernel in dtype errors)."""
    x, unbatched = batched(op, input, n)
    x2 = as_2d(x, n)
    image = tuple(x2._data.shape[2:])
    oh, ow = _adaptive_size(op, output_size, image, n)
    geom = None
    if oh and ow:
        check_dtype(kernel, x._data, "float")
        if image[0] % oh == 0 and image[1] % ow == 0:
            k = (image[0] // oh, image[1] // ow)
            geom = PoolGeometry(k, k, (0, 0), (1, 1), image, (oh, ow))
    return x2, unbatched, (oh, ow), geom


def _adaptive_avg(op, input, output_size, n):
    x2, unbatched, (oh, ow), geom = _adaptive_input(
        op, input, output_size, n, "adaptive_avg_pool2d"
    )
    if geom is not None:
        kernel = AvgPool2d if type(x2._data) is xp.ndarray else DeviceAvgPool2d  # CUDA
        y = kernel.apply(x2, geom, 1.0 / (geom.kernel[0] * geom.kernel[1]))
    else:
        H, W, dt = x2._data.shape[2], x2._data.shape[3], x2._data.dtype
        (rows, row_sizes), (cols, col_sizes) = (_window_matrix(*a, dt) for a in ((H, oh), (W, ow)))
        counts = _on_device_of(x2._data, row_sizes[:, None] * col_sizes[None, :])
        rows, cols = _on_device_of(x2._data, rows), _on_device_of(x2._data, cols)
        y = _Separable.apply(x2, rows, cols, counts, False)
    return from_2d(y, n, unbatched)


def adaptive_avg_pool2d(input, output_size):
    """Average pooling to a fixed (OH, OW) output (None keeps that input size), as in PyTorch."""
    return _adaptive_avg("adaptive_avg_pool2d", input, output_size, 2)


def adaptive_avg_pool1d(input, output_size):
    """Average pooling of (N, C, L) input to a fixed length, as in PyTorch."""
    return _adaptive_avg("adaptive_avg_pool1d", input, output_size, 1)


def _check_nonempty(op, input, n):
    """torch's error for an empty non-batch dimension (a channel or spatial size of 0)."""
    for d in range(1, input.ndim):  # (torch counts the first dimension as the batch's)
        if input.shape[d] == 0:
            sizes = list(input.shape)
            raise RuntimeError(
                f"{op}(): Expected input to have non-zero size for non-batch dimensions, but "
                f"input has sizes {sizes} with dimension {d} being empty"
            )


def _adaptive_max(op, input, output_size, return_indices, n):
    _check_nonempty(op, input, n)
    x2, unbatched, (oh, ow), geom = _adaptive_input(
        op, input, output_size, n, "adaptive_max_pool2d"
    )
    if x2.numel() == 0:  # an empty batch (or no channels unbatched): an empty result
        N, C = x2.shape[:2]
        out = x2.reshape(N, C, 1, 1).expand(N, C, oh, ow)
        idx = get_array_module(x2._data).zeros((N, C, oh, ow), dtype=xp.int64)
        out = from_2d(out, n, unbatched)
        return (out, wrap_indices(idx, n, unbatched)) if return_indices else out
    if geom is not None:
        return max_pool(x2, geom, return_indices, n, unbatched)
    idx = _adaptive_max_indices(x2._data, (oh, ow))
    out = from_2d(_PlaneGather.apply(x2, idx, idx.shape), n, unbatched)
    if return_indices:
        return out, wrap_indices(idx, n, unbatched)
    return out


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max pooling to a fixed (OH, OW) output, as in PyTorch (with optional flat indices)."""
    return _adaptive_max("adaptive_max_pool2d", input, output_size, return_indices, 2)


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """Max pooling of (N, C, L) input to a fixed length, as in PyTorch (optional indices)."""
    return _adaptive_max("adaptive_max_pool1d", input, output_size, return_indices, 1)


# ------------------------------------------------------------------------------ 3-D
def adaptive_size_3d(op: str, output_size, image) -> tuple:
    """(OD, OH, OW) from an int or a 3-tuple (None keeps that input size), as torch reads it."""
    if isinstance(output_size, int):
        return (output_size,) * 3
    size = tuple(output_size)
    if len(size) != 3:
        raise RuntimeError(f"{op}: output_size must be 3")
    return tuple(int(n) if v is None else int(v) for v, n in zip(size, image, strict=True))


def batched_3d(op: str, input):
    """(input as (N, C, D, H, W), whether a batch axis was added), with torch's error for
    other ranks."""
    if input.ndim == 4:
        return input.unsqueeze(0), True
    if input.ndim != 5:
        colon = ":" if "max" in op else ""  # torch's two messages differ by this colon
        raise RuntimeError(f"{op}(): Expected 4D or 5D tensor, but got{colon} {list(input.shape)}")
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
    if x.dtype.kind == "f" and xp.isnan(window).any():
        last_nan = xp.where(xp.isnan(window), flat, -1).max(axis=-1)
        index = xp.where(last_nan >= 0, last_nan, index)
    return index


# the 2-D gather over (D, H·W) planes: flat index d·(H·W) + (h·W + w)
_VolumeGather = renamed(_PlaneGather, "_VolumeGather", "AdaptiveMaxPool3DBackward0")


def adaptive_max_pool3d(input, output_size, return_indices=False):
    """Max pooling of (N, C, D, H, W) (or unbatched (C, D, H, W)) to a fixed (OD, OH, OW), as
    in PyTorch, with optional flat indices d·H·W + h·W + w into each input volume."""
    x, unbatched = batched_3d("adaptive_max_pool3d", input)
    N, C, D, H, W = x._data.shape
    size = adaptive_size_3d("adaptive_max_pool3d", output_size, (D, H, W))
    check_dtype("adaptive_max_pool3d_cpu", x._data, "float")
    idx = _adaptive_max_indices_3d(x._data, size)
    # unbatched: the gather itself drops the batch axis, so the result's node is torch's
    out_shape = idx.shape[1:] if unbatched else idx.shape
    out = _VolumeGather.apply(x.reshape(N, C, D, H * W), idx, out_shape)
    return (out, wrap_indices(idx, 3, unbatched)) if return_indices else out
