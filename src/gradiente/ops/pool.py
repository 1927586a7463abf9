"""Pooling (max, average, adaptive) on window views: one array operation per kernel tap.

A k×k pooling window with stride s is read as k·k strided slices of the (padded) input, one
per tap (i, j): ``x[..., i·d : : s, j·d : : s]``. Max pooling is then k·k ``maximum`` calls and
average pooling k·k additions over whole tensors — the Python loop runs over the taps only,
never over the batch, the channels or the pixels. Backward writes (max) or adds (average) the
gradient back through the same slices; for max pooling a small per-output "which tap won"
array (uint8) decides where each gradient goes, with PyTorch's tie rule: the first maximum in
the window, in row-major order, gets it.

Results keep the memory layout of the input (channels-last stays channels-last, see
``ops/conv.py``). Gradients of gradients work: the backward of each pooling is itself a
Function whose backward is the pooling again (max: scatter ↔ gather through the winning taps).
"""

from __future__ import annotations

from gradiente.autograd import function as _function
from gradiente.autograd.function import Function
from gradiente.autograd.grad_mode import grad_state
from gradiente.backend import xp
from gradiente.ops.reduce import torch_type_name
from gradiente.ops.window import POOL_TUPLE_ERROR, int_tuple, pool_out_size


# ------------------------------------------------------------------------------ geometry
class _PoolGeometry:
    """Kernel, stride, padding, dilation; input (H, W) and output (OH, OW) sizes."""

    __slots__ = ("kernel", "stride", "padding", "dilation", "image", "out")

    def __init__(self, kernel, stride, padding, dilation, image, out):
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.image = image
        self.out = out

    def padded(self) -> tuple:
        """(Hp, Wp): padded input big enough for every window (ceil_mode may need more)."""
        (kh, kw), (sh, sw), (ph, pw), (dh, dw) = (
            self.kernel,
            self.stride,
            self.padding,
            self.dilation,
        )
        H, W = self.image
        OH, OW = self.out
        return (
            max(H + 2 * ph, (OH - 1) * sh + dh * (kh - 1) + 1),
            max(W + 2 * pw, (OW - 1) * sw + dw * (kw - 1) + 1),
        )

    def needs_padding(self) -> bool:
        return self.padding != (0, 0) or self.padded() != self.image

    def disjoint(self) -> bool:
        """True when no input element belongs to two windows (stride ≥ dilated kernel)."""
        (kh, kw), (sh, sw), (dh, dw) = self.kernel, self.stride, self.dilation
        return sh >= dh * (kh - 1) + 1 and sw >= dw * (kw - 1) + 1

    def tiles(self) -> bool:
        """True when the windows partition the input exactly (kernel == stride, no padding)."""
        return (
            self.kernel == self.stride
            and self.dilation == (1, 1)
            and self.padding == (0, 0)
            and (self.out[0] * self.kernel[0], self.out[1] * self.kernel[1]) == self.image
        )


def _check_dtype(kernel: str, x, allowed: str) -> None:
    """Raise PyTorch's error for a dtype its CPU kernel does not cover (``kernel`` is the
    name PyTorch's message gives): ``allowed`` is "float" (floating only), "float_long"
    (floating or int64: average pooling) or "not_bool" (every dtype but bool: max pooling)."""
    kind, name = x.dtype.kind, x.dtype.name
    ok = {
        "float": kind == "f",
        "float_long": kind == "f" or name == "int64",
        "not_bool": kind != "b",
    }[allowed]
    if not ok:
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{torch_type_name(x.dtype)}'")


def _pool_geometry(
    op, x, kernel_size, stride, padding, dilation, ceil_mode, spatial, max_pool
) -> _PoolGeometry:
    """Check pooling arguments like PyTorch and compute the geometry ((1, k) kernels for 1-D)."""
    n = spatial
    k = int_tuple(kernel_size, n, "kernel_size", op, POOL_TUPLE_ERROR)
    s = k if stride is None or (not isinstance(stride, int) and len(stride) == 0) else None
    s = s if s is not None else int_tuple(stride, n, "stride", op, POOL_TUPLE_ERROR)
    p = int_tuple(padding, n, "padding", op, POOL_TUPLE_ERROR)
    d = int_tuple(dilation, n, "dilation", op, POOL_TUPLE_ERROR)
    if n == 1:
        k, s, p, d = (1,) + k, (1,) + s, (0,) + p, (1,) + d
    if min(k) < 1 or min(s) < 1 or min(d) < 1:
        raise RuntimeError(
            f"{op}: kernel_size, stride and dilation must be greater than zero, but got "
            f"kernel_size={k[2 - n :]}, stride={s[2 - n :]}, dilation={d[2 - n :]}"
        )
    for pi, ki, di in zip(p, k, d, strict=True):
        if max_pool and pi > ((ki - 1) * di + 1) // 2:
            raise RuntimeError(
                f"{op}: pad should be at most half of effective kernel size, but got pad={pi}, "
                f"kernel_size={ki} and dilation={di}"
            )
        if not max_pool and pi > ki // 2:
            raise RuntimeError(
                f"{op}: pad should be at most half of kernel size, but got pad={pi} and "
                f"kernel_size={ki}"
            )
    image = tuple(x._data.shape[2:]) if n == 2 else (1, x._data.shape[2])
    out = tuple(pool_out_size(image[a], k[a], s[a], p[a], d[a], ceil_mode) for a in range(2))
    if min(out) < 1:
        C = x._data.shape[1]
        shape_in = "x".join(str(v) for v in (C,) + image[2 - n :])
        shape_out = "x".join(str(v) for v in (C,) + out[2 - n :])
        raise RuntimeError(
            f"{op}: given input size: ({shape_in}). Calculated output size: ({shape_out}). "
            "Output size is too small"
        )
    return _PoolGeometry(k, s, p, d, image, out)


# ------------------------------------------------------------------------------ arrays
def _channels_last(a) -> bool:
    """Whether a 4-D (N, C, H, W) array is stored channels-last (as conv outputs are)."""
    return a.shape[1] > 1 and a.strides[1] == a.itemsize


def _in_layout(a, channels_last: bool):
    """``a`` stored channels-last or NCHW as asked (one copy when it is not already).

    Element-wise NumPy loops over arrays of different layouts are many times slower, so a
    gradient arriving NCHW (e.g. from ``view``) is converted once to the input's layout.
    """
    if channels_last:
        return xp.ascontiguousarray(a.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    return xp.ascontiguousarray(a)


def _full(shape, value, dtype, channels_last: bool):
    """An (N, C, H, W) array filled with ``value`` (``None``: uninitialised), stored
    channels-last or not."""
    N, C, H, W = shape
    if value is None:
        if channels_last:
            return xp.empty((N, H, W, C), dtype=dtype).transpose(0, 3, 1, 2)
        return xp.empty(shape, dtype=dtype)
    if channels_last:
        return xp.full((N, H, W, C), value, dtype=dtype).transpose(0, 3, 1, 2)
    return xp.full(shape, value, dtype=dtype)


def _padded_input(x, geom: _PoolGeometry, fill):
    """x surrounded by ``fill`` so that every window lies inside (no copy when none is needed)."""
    if not geom.needs_padding():
        return x
    N, C, H, W = x.shape
    Hp, Wp = geom.padded()
    ph, pw = geom.padding
    xp_ = _full((N, C, Hp, Wp), fill, x.dtype, _channels_last(x))
    xp_[:, :, ph : ph + H, pw : pw + W] = x
    return xp_


def _taps(a, geom: _PoolGeometry):
    """The kh·kw strided slices of a padded array, each of shape (N, C, OH, OW), row-major."""
    (kh, kw), (sh, sw), (dh, dw) = geom.kernel, geom.stride, geom.dilation
    OH, OW = geom.out
    return [
        a[:, :, i * dh : i * dh + sh * (OH - 1) + 1 : sh, j * dw : j * dw + sw * (OW - 1) + 1 : sw]
        for i in range(kh)
        for j in range(kw)
    ]


def _lowest(dtype):
    return -xp.inf if dtype.kind == "f" else xp.iinfo(dtype).min


def _scatter_taps(geom: _PoolGeometry, shape, dtype, channels_last, put):
    """Input-shaped gradient built tap by tap: ``put(t, tap, whole)`` fills the slice of tap t.

    When the windows tile the input (``whole``) each element is written exactly once, so the
    result needs no zero fill; otherwise it starts at zero and ``put`` assigns (disjoint
    windows) or adds (overlapping windows).
    """
    N, C, H, W = shape
    Hp, Wp = geom.padded() if geom.needs_padding() else (H, W)
    ph, pw = geom.padding
    if geom.tiles():
        gx = _full(shape, None, dtype, channels_last)
        for t, tap in enumerate(_taps(gx, geom)):
            put(t, tap, True)
        return gx
    gx = _full((N, C, Hp, Wp), 0, dtype, channels_last)
    for t, tap in enumerate(_taps(gx, geom)):
        put(t, tap, False)
    return gx[:, :, ph : ph + H, pw : pw + W] if (Hp, Wp) != (H, W) or ph or pw else gx


# ------------------------------------------------------------------------------ max pooling
def _max_forward(x, geom: _PoolGeometry, with_argmax: bool):
    """Window maxima (N, C, OH, OW) and, if asked, the index of the winning tap (uint8/int32).

    Only whole-array arithmetic: ``where``/masked copies are ~20x slower in NumPy than a
    multiply. Taps come in increasing order, so "tap t is strictly greater than the running
    maximum" can be recorded as arg = max(arg, better·t); a tie keeps the earlier tap, which
    is PyTorch's first-maximum rule.
    """
    taps = _taps(_padded_input(x, geom, _lowest(x.dtype)), geom)
    if len(taps) == 1:
        out = xp.copy(taps[0], order="K")
        return out, (xp.zeros_like(out, dtype=xp.uint8) if with_argmax else None)
    # maximum(a, b) answers b on a tie: the running maximum goes second, so that of 0.0 and
    # -0.0 the earlier tap wins, as in PyTorch
    out = xp.maximum(taps[1], taps[0])
    if not with_argmax:
        for tap in taps[2:]:
            xp.maximum(tap, out, out=out)
        return out, None
    index = xp.uint8 if len(taps) < 256 else xp.int32
    arg = (taps[1] > taps[0]).astype(index)
    for t, tap in enumerate(taps[2:], 2):
        better = tap > out
        xp.maximum(tap, out, out=out)
        xp.maximum(arg, better * index(t), out=arg)
    if x.dtype.kind == "f" and xp.isnan(out).any():
        # PyTorch's rule takes a tap when it is greater *or NaN* (so the last NaN wins)
        best = taps[0]
        arg[...] = 0
        for t, tap in enumerate(taps[1:], 1):
            take = (tap > best) | xp.isnan(tap)
            best = xp.where(take, tap, best)
            arg[take] = t
    return out, arg


def _max_scatter(g, arg, geom: _PoolGeometry, shape, channels_last):
    """dL/dx of max pooling: each output's gradient goes to its winning tap.

    g·[arg == t] is a fast multiply; it would turn an infinite gradient into NaN at the
    losing taps (∞·0), so non-finite gradients take the exact (slower) masked copy.
    """
    g = _in_layout(g, channels_last)
    disjoint = geom.disjoint()
    exact = not xp.isfinite(g).all()

    def put(t, tap, whole):
        won = arg == t
        if exact:  # masked writes
            if whole:
                tap[...] = 0
            if whole or disjoint:
                xp.copyto(tap, g, where=won)
            else:
                tap += xp.where(won, g, 0)
        elif whole or disjoint:
            xp.multiply(g, won, out=tap)
        else:
            tap += g * won

    return _scatter_taps(geom, shape, g.dtype, channels_last, put)


def _max_gather(gx, arg, geom: _PoolGeometry):
    """The adjoint of ``_max_scatter``: pick from an input-shaped array at the winning taps."""
    taps = _taps(_padded_input(gx, geom, 0), geom)
    out = xp.copy(taps[0], order="K")
    for t, tap in enumerate(taps[1:], 1):
        xp.copyto(out, tap, where=arg == t)
    return out


def _flat_indices(arg, geom: _PoolGeometry):
    """PyTorch's return_indices: the winner's flat position h·W + w in its (H, W) plane."""
    kw = geom.kernel[1]
    (sh, sw), (ph, pw), (dh, dw) = geom.stride, geom.padding, geom.dilation
    OH, OW = geom.out
    W = geom.image[1]
    arg = arg.astype(xp.int64)
    rows = (xp.arange(OH, dtype=xp.int64) * sh - ph)[:, None] + (arg // kw) * dh
    cols = (xp.arange(OW, dtype=xp.int64) * sw - pw) + (arg % kw) * dw
    return xp.ascontiguousarray(rows * W + cols)


class _MaxPool2d(Function):
    backward_name = "MaxPool2DWithIndicesBackward0"
    _array_forward = True

    @staticmethod
    def forward(ctx, x, geom, indices_out):
        need_arg = indices_out is not None or (grad_state.enabled and x._requires_grad)
        out, arg = _max_forward(x._data, geom, need_arg)
        if indices_out is not None:
            indices_out.append(_flat_indices(arg, geom))
        ctx.geom = geom
        ctx.layout = (x._data.shape, _channels_last(x._data))
        ctx.save_for_backward(arg)
        return out

    @staticmethod
    def backward(ctx, grad):
        (arg,) = ctx.saved_tensors
        shape, cl = ctx.layout
        if grad_state.enabled:
            return _MaxPool2dBackward.apply(grad, arg, ctx.geom, shape, cl), None, None
        return _max_scatter(grad._data, arg, ctx.geom, shape, cl), None, None


class _MaxPool2dBackward(Function):
    """dx = scatter(g) through the winning taps; its own backward is the gather."""

    backward_name = "MaxPool2DWithIndicesBackwardBackward0"
    _array_forward = True

    @staticmethod
    def forward(ctx, g, arg, geom, shape, channels_last):
        ctx.geom = geom
        ctx.save_for_backward(arg)
        return _max_scatter(g._data, arg, geom, shape, channels_last)

    @staticmethod
    def backward(ctx, grad):
        (arg,) = ctx.saved_tensors
        return _MaxGather.apply(grad, arg, ctx.geom), None, None, None, None


class _MaxGather(Function):
    backward_name = "MaxPool2DWithIndicesBackward0"
    _array_forward = True

    @staticmethod
    def forward(ctx, gx, arg, geom):
        ctx.geom = geom
        ctx.layout = (gx._data.shape, _channels_last(gx._data))
        ctx.save_for_backward(arg)
        return _max_gather(gx._data, arg, geom)

    @staticmethod
    def backward(ctx, grad):
        (arg,) = ctx.saved_tensors
        shape, cl = ctx.layout
        return _MaxPool2dBackward.apply(grad, arg, ctx.geom, shape, cl), None, None


# ------------------------------------------------------------------------------ avg pooling
def _avg_count(geom: _PoolGeometry, count_include_pad: bool, divisor_override):
    """The divisor of each window: an int, or an (OH, OW) int array where windows differ.

    PyTorch counts a window clipped at the padded border (hend = min(hstart + k, H + p)); with
    count_include_pad=False only the real input elements count.
    """
    if divisor_override:
        return int(divisor_override)
    sizes = []
    for a in range(2):
        k, s, p = geom.kernel[a], geom.stride[a], geom.padding[a]
        size = geom.image[a]
        start = xp.arange(geom.out[a]) * s - p
        end = xp.minimum(start + k, size + p)
        if not count_include_pad:
            start, end = xp.maximum(start, 0), xp.minimum(end, size)
        sizes.append(end - start)
    count = sizes[0][:, None] * sizes[1][None, :]
    first = count.flat[0]
    if (count == first).all():
        return int(first)
    return count


def _avg_divisor(geom: _PoolGeometry, count_include_pad: bool, divisor_override, dtype):
    """1 / (elements per window) as a scalar, or an (OH, OW) array where windows differ."""
    count = _avg_count(geom, count_include_pad, divisor_override)
    if isinstance(count, int):
        return 1.0 / count
    return (1.0 / count).astype(dtype)


def _avg_integer(x, geom: _PoolGeometry, count):
    """Average pooling of int64 input as PyTorch's CPU kernel does it: the window sum in int64
    (wrapping on overflow), then C's integer division, which truncates toward zero."""
    taps = _taps(_padded_input(x, geom, 0), geom)
    total = xp.copy(taps[0], order="K")
    for tap in taps[1:]:
        total += tap
    # truncation from floor division: one up where the division is inexact and negative
    q = total // count
    q += (total - q * count != 0) & ((total < 0) ^ (xp.asarray(count) < 0))
    return q


def _avg_forward(x, geom: _PoolGeometry, scale):
    # PyTorch's window sum starts from +0.0, so a window of -0.0 averages to +0.0 (a plain sum
    # of -0.0 terms is -0.0): the + 0.0 costs one pass over the (small) output.
    taps = _taps(_padded_input(x, geom, 0), geom)
    if len(taps) == 1:
        out = xp.add(taps[0], 0.0, dtype=taps[0].dtype)
    else:
        out = xp.add(taps[0], taps[1])
        for tap in taps[2:]:
            out += tap
        out += 0.0
    out *= scale
    return out


def _avg_scatter(g, geom: _PoolGeometry, scale, shape, channels_last):
    """dL/dx of average pooling: g / count spread over every element of each window."""
    gs = _in_layout(g, channels_last) * scale
    disjoint = geom.disjoint()

    def put(t, tap, whole):
        if whole or disjoint:
            tap[...] = gs
        else:
            tap += gs

    return _scatter_taps(geom, shape, g.dtype, channels_last, put)


class _AvgPool2d(Function):
    backward_name = "AvgPool2DBackward0"
    _array_forward = True

    @staticmethod
    def forward(ctx, x, geom, scale):
        ctx.geom, ctx.scale = geom, scale
        ctx.layout = (x._data.shape, _channels_last(x._data))
        return _avg_forward(x._data, geom, scale)

    @staticmethod
    def backward(ctx, grad):
        shape, cl = ctx.layout
        if grad_state.enabled:
            return _AvgPool2dBackward.apply(grad, ctx.geom, ctx.scale, shape, cl), None, None
        return _avg_scatter(grad._data, ctx.geom, ctx.scale, shape, cl), None, None


class _AvgPool2dBackward(Function):
    """dx = spread g/count over each window; linear, so its backward is avg pooling again."""

    backward_name = "AvgPool2DBackwardBackward0"
    _array_forward = True

    @staticmethod
    def forward(ctx, g, geom, scale, shape, channels_last):
        ctx.geom, ctx.scale = geom, scale
        return _avg_scatter(g._data, geom, scale, shape, channels_last)

    @staticmethod
    def backward(ctx, grad):
        return _AvgPool2d.apply(grad, ctx.geom, ctx.scale), None, None, None, None


# ------------------------------------------------------------------------------ adaptive
def _adaptive_bounds(size: int, out: int):
    """PyTorch's adaptive windows: [⌊i·I/O⌋, ⌈(i + 1)·I/O⌉) for output i."""
    i = xp.arange(out)
    return (i * size) // out, -((-(i + 1) * size) // out)


def _averaging_matrix(size: int, out: int, dtype):
    """(out, size) matrix whose row i averages input window i."""
    start, end = _adaptive_bounds(size, out)
    pos = xp.arange(size)
    inside = (pos[None, :] >= start[:, None]) & (pos[None, :] < end[:, None])
    return (inside / (end - start)[:, None]).astype(dtype)


def _banded_matmul(M, x, axis: int):
    """M · x along ``axis`` (of length M.shape[1]) adding only M's non-zero terms.

    Each row of an adaptive-pooling matrix (and of its transpose) is non-zero on one
    contiguous run of columns. A plain matmul also adds 0 · x for the other columns, which
    turns an infinite x into NaN in every output (0 · ∞ = NaN); here output r is
    Σ_t M[r, lo_r + t] · x[lo_r + t] over its run only, one vectorised step per tap t.
    """
    rows, size = M.shape
    nonzero = M != 0
    lo = nonzero.argmax(axis=1)
    hi = xp.where(nonzero.any(axis=1), size - nonzero[:, ::-1].argmax(axis=1), lo)
    xm = xp.moveaxis(x, axis, -1)  # (..., size)
    out = xp.zeros(xm.shape[:-1] + (rows,), dtype=xp.result_type(M, x))
    for t in range(int((hi - lo).max(initial=0))):
        pos = xp.minimum(lo + t, size - 1)
        term = xm[..., pos] * M[xp.arange(rows), pos]  # (..., rows)
        out += xp.where(lo + t < hi, term, 0)
    return xp.moveaxis(out, -1, axis)


def _separable(x, A, B):
    """A · x · Bᵀ over the last two axes: one matmul pair when x is finite, else banded."""
    if xp.isfinite(x).all():
        return xp.matmul(xp.matmul(A, x), B.T)
    return _banded_matmul(B, _banded_matmul(A, x, -2), -1)


class _Separable(Function):
    """y = A · x · Bᵀ over the two spatial axes (adaptive average pooling); dx = Aᵀ · g · B."""

    backward_name = "AdaptiveAvgPool2DBackward0"
    _array_forward = True

    @staticmethod
    def forward(ctx, x, A, B):
        ctx.A, ctx.B = A, B
        return _separable(x._data, A, B)

    @staticmethod
    def backward(ctx, grad):
        A, B = ctx.A, ctx.B
        if grad_state.enabled:
            return _Separable.apply(grad, A.T, B.T), None, None
        return _separable(grad._data, A.T, B.T), None, None


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
    if OH == 0 or OW == 0:
        return xp.zeros((N, C, OH, OW), dtype=xp.int64)
    cols = _window_taps(W, OW)  # (OW, kw)
    rows = _window_taps(H, OH)  # (OH, kh)
    xw = x[..., cols]  # (N, C, H, OW, kw)
    w_arg = xw.argmax(axis=-1)  # first maximum along each row segment
    row_max = xp.take_along_axis(xw, w_arg[..., None], axis=-1)[..., 0]  # (N, C, H, OW)
    h_arg = row_max[:, :, rows, :].argmax(axis=3)  # (N, C, OH, OW): first row with the max
    h = rows[xp.arange(OH)[:, None], h_arg]  # (N, C, OH, OW)
    w_in_row = xp.take_along_axis(w_arg, h, axis=2)  # (N, C, OH, OW) index into cols
    w = cols[xp.arange(OW), w_in_row]
    index = h * W + w
    if x.dtype.kind == "f" and xp.isnan(x).any():
        # PyTorch takes a tap when it is greater *or NaN*: a window holding NaN answers its
        # last NaN in row-major order, i.e. the NaN with the largest flat index h·W + w.
        flat = xp.where(xp.isnan(x), xp.arange(H * W).reshape(H, W), -1)
        last_nan = flat[..., cols].max(axis=-1)[:, :, rows, :].max(axis=3)  # (N, C, OH, OW)
        index = xp.where(last_nan >= 0, last_nan, index)
    return index


class _PlaneGather(Function):
    """y[n, c, o] = x[n, c, idx[n, c, o]] over flattened (H·W) planes; backward scatters."""

    backward_name = "AdaptiveMaxPool2DBackward0"
    _array_forward = True

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
        if grad_state.enabled:
            return _PlaneScatter.apply(grad, idx, ctx.shape), None, None
        return _plane_scatter(grad._data, idx, ctx.shape), None, None


def _plane_scatter(g, idx, shape):
    N, C, H, W = shape
    # windows may overlap: add with bincount over globally offset positions
    offsets = (xp.arange(N * C, dtype=xp.int64) * (H * W)).reshape(N, C, 1)
    flat = (idx.reshape(N, C, -1) + offsets).ravel()
    total = xp.bincount(flat, weights=g.reshape(-1), minlength=N * C * H * W)
    return total.astype(g.dtype).reshape(shape)


class _PlaneScatter(Function):
    backward_name = "AdaptiveMaxPool2DBackwardBackward0"
    _array_forward = True

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
def _batched(op: str, input, spatial: int):
    nd = input._data.ndim
    if nd == spatial + 1:
        return input.unsqueeze(0), True
    if nd != spatial + 2:
        raise RuntimeError(
            f"{op}: expected {spatial + 1}D (unbatched) or {spatial + 2}D (batched) input, but "
            f"got input of size: {tuple(input._data.shape)}"
        )
    return input, False


def _as_2d(x, spatial: int):
    return x.unsqueeze(2) if spatial == 1 else x


def _from_2d(y, spatial: int, unbatched: bool):
    if spatial == 1:
        y = y.squeeze(2)
    return y.squeeze(0) if unbatched else y


def _wrap_indices(idx, spatial: int, unbatched: bool):
    t = _function._Tensor._make(idx, False, None)
    return _from_2d(t, spatial, unbatched)


def _max_pool(op, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, n):
    x, unbatched = _batched(op, input, n)
    geom = _pool_geometry(op, x, kernel_size, stride, padding, dilation, ceil_mode, n, True)
    if n == 1 and not (return_indices or x._requires_grad):
        # PyTorch's plain 1-D kernel takes floating input only; the one with indices any
        _check_dtype("max_pool1d_impl", x._data, "float")
    _check_dtype("max_pool2d", x._data, "not_bool")
    holder = [] if return_indices else None
    out = _from_2d(_MaxPool2d.apply(_as_2d(x, n), geom, holder), n, unbatched)
    if return_indices:
        return out, _wrap_indices(holder[0], n, unbatched)
    return out


def max_pool2d(
    input,
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode=False,
    return_indices=False,
):
    """2-D max pooling over (N, C, H, W) (or (C, H, W)) input, as torch.nn.functional.

    ``stride`` defaults to ``kernel_size``; padding counts as -inf. With ``return_indices``
    also returns each maximum's flat position h·W + w in its input plane (int64).
    """
    return _max_pool(
        "max_pool2d", input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 2
    )


def max_pool1d(
    input,
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode=False,
    return_indices=False,
):
    """1-D max pooling over (N, C, L) (or (C, L)) input, as torch.nn.functional."""
    return _max_pool(
        "max_pool1d", input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 1
    )


def _avg_pool(op, input, kernel_size, stride, padding, ceil_mode, count_include_pad, div, n):
    x, unbatched = _batched(op, input, n)
    geom = _pool_geometry(op, x, kernel_size, stride, padding, 1, ceil_mode, n, False)
    if div is not None and div == 0:
        raise RuntimeError(f"{op}: divisor must be not zero")
    _check_dtype("avg_pool2d", x._data, "float_long")
    if x._data.dtype.kind != "f":  # int64: no gradient, integer arithmetic
        y = _avg_integer(_as_2d(x, n)._data, geom, _avg_count(geom, count_include_pad, div))
        return _from_2d(_function._Tensor._make(y, False, None), n, unbatched)
    scale = _avg_divisor(geom, count_include_pad, div, x._data.dtype)
    return _from_2d(_AvgPool2d.apply(_as_2d(x, n), geom, scale), n, unbatched)


def avg_pool2d(
    input,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode=False,
    count_include_pad=True,
    divisor_override=None,
):
    """2-D average pooling, as torch.nn.functional.avg_pool2d.

    Padding counts as zeros; ``count_include_pad=False`` divides by the number of real input
    elements in each window instead; ``divisor_override`` replaces the divisor.
    """
    return _avg_pool(
        "avg_pool2d",
        input,
        kernel_size,
        stride,
        padding,
        ceil_mode,
        count_include_pad,
        divisor_override,
        2,
    )


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """1-D average pooling over (N, C, L) (or (C, L)) input, as torch.nn.functional."""
    return _avg_pool(
        "avg_pool1d", input, kernel_size, stride, padding, ceil_mode, count_include_pad, None, 1
    )


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


def _adaptive_avg(op, input, output_size, n):
    x, unbatched = _batched(op, input, n)
    x2 = _as_2d(x, n)
    image = tuple(x2._data.shape[2:])
    oh, ow = _adaptive_size(op, output_size, image, n)
    if oh and ow:
        _check_dtype("adaptive_avg_pool2d", x._data, "float")
    if oh and ow and image[0] % oh == 0 and image[1] % ow == 0:  # regular windows
        k = (image[0] // oh, image[1] // ow)
        geom = _PoolGeometry(k, k, (0, 0), (1, 1), image, (oh, ow))
        y = _AvgPool2d.apply(x2, geom, 1.0 / (k[0] * k[1]))
    else:
        dt = x2._data.dtype
        A = _averaging_matrix(image[0], oh, dt)
        B = _averaging_matrix(image[1], ow, dt)
        y = _Separable.apply(x2, A, B)
    return _from_2d(y, n, unbatched)


def adaptive_avg_pool2d(input, output_size):
    """Average pooling to a fixed (OH, OW) output (None keeps that input size), as in PyTorch."""
    return _adaptive_avg("adaptive_avg_pool2d", input, output_size, 2)


def adaptive_avg_pool1d(input, output_size):
    """Average pooling of (N, C, L) input to a fixed length, as in PyTorch."""
    return _adaptive_avg("adaptive_avg_pool1d", input, output_size, 1)


def _adaptive_max(op, input, output_size, return_indices, n):
    x, unbatched = _batched(op, input, n)
    x2 = _as_2d(x, n)
    image = tuple(x2._data.shape[2:])
    oh, ow = _adaptive_size(op, output_size, image, n)
    if oh and ow:
        _check_dtype("adaptive_max_pool2d", x._data, "float")
    if oh and ow and image[0] % oh == 0 and image[1] % ow == 0:
        k = (image[0] // oh, image[1] // ow)
        geom = _PoolGeometry(k, k, (0, 0), (1, 1), image, (oh, ow))
        holder = [] if return_indices else None
        out = _from_2d(_MaxPool2d.apply(x2, geom, holder), n, unbatched)
        if return_indices:
            return out, _wrap_indices(holder[0], n, unbatched)
        return out
    idx = _adaptive_max_indices(x2._data, (oh, ow))
    out = _from_2d(_PlaneGather.apply(x2, idx, idx.shape), n, unbatched)
    if return_indices:
        return out, _wrap_indices(idx, n, unbatched)
    return out


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max pooling to a fixed (OH, OW) output, as in PyTorch (with optional flat indices)."""
    return _adaptive_max("adaptive_max_pool2d", input, output_size, return_indices, 2)


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """Max pooling of (N, C, L) input to a fixed length, as in PyTorch (optional indices)."""
    return _adaptive_max("adaptive_max_pool1d", input, output_size, return_indices, 1)


__all__ = [
    "max_pool1d",
    "max_pool2d",
    "avg_pool1d",
    "avg_pool2d",
    "adaptive_avg_pool1d",
    "adaptive_avg_pool2d",
    "adaptive_max_pool1d",
    "adaptive_max_pool2d",
]
