"""2-D max and average pooling on a CUDA device: window views of the device's array module.

The CPU pooling (``ops/window_pool.py``) builds its gradients in host buffers split over
gradiente's threads; a CuPy input takes this path instead, written only with calls CuPy has
(``pad``, ``backend.as_strided``, ``argmax``, ``take_along_axis``, slicing). Windows of the
padded (N, C, Hp, Wp) input are a strided view of shape (N, C, OH, OW, kh·kw):

    max      y = max over the window, arg = its first largest tap (NaN wins, as in torch)
             dL/dx: tap t of each window receives dL/dy where arg = t (taps added back)
    average  y = (Σ over the window) / divisor,  dL/dx: every tap receives dL/dy / divisor

Both backwards return arrays (first order only; ``create_graph`` raises).
"""

from __future__ import annotations

import math

from gradiente import backend as B
from gradiente.ops.array_function import ArrayFunction


def _windows(m, x, geom, fill):
    """(N, C, OH, OW, kh·kw) copy of the windows of ``x`` padded with ``fill``."""
    N, C, H, W = x.shape
    Hp, Wp = geom.padded() if geom.needs_padding() else (H, W)
    ph, pw = geom.padding
    if (Hp, Wp) != (H, W):
        widths = ((0, 0), (0, 0), (ph, Hp - H - ph), (pw, Wp - W - pw))
        x = m.pad(x, widths, constant_values=fill)
    x = m.ascontiguousarray(x)
    (kh, kw), (sh, sw), (dh, dw), (OH, OW) = geom.kernel, geom.stride, geom.dilation, geom.out
    sN, sC, sH, sW = x.strides
    view = B.as_strided(
        x, (N, C, OH, OW, kh, kw), (sN, sC, sH * sh, sW * sw, sH * dh, sW * dw), writeable=False
    )
    return m.ascontiguousarray(view).reshape(N, C, OH, OW, kh * kw), (Hp, Wp)


def _add_taps(m, per_tap, geom, padded, shape, dtype):
    """Sum (N, C, OH, OW, kh·kw) tap values back into an (N, C, H, W) gradient."""
    N, C, H, W = shape
    (kh, kw), (sh, sw), (dh, dw), (OH, OW) = geom.kernel, geom.stride, geom.dilation, geom.out
    gx = m.zeros((N, C) + tuple(padded), dtype=dtype)
    for i in range(kh):
        for j in range(kw):
            rows = slice(i * dh, i * dh + sh * (OH - 1) + 1, sh)
            cols = slice(j * dw, j * dw + sw * (OW - 1) + 1, sw)
            gx[:, :, rows, cols] += per_tap[..., i * kw + j]
    ph, pw = geom.padding
    return m.ascontiguousarray(gx[:, :, ph : ph + H, pw : pw + W])


def _upstream(grad, geom, name: str):
    """A backward's start: dL/dy's array, its array module and the taps per window
    (k = kh·kw); a gradient that needs a graph (double backward) is refused."""
    if grad.requires_grad:
        raise RuntimeError(f"{name} on CUDA: double backward is not supported")
    g = grad._data
    return g, B.get_array_module(g), geom.kernel[0] * geom.kernel[1]


def _flat_indices(m, arg, geom, W: int):
    """return_indices: the winning tap ``arg`` (i·kw + j) of window (oh, ow) as its flat
    position h·W + w in the unpadded plane, h = oh·sh − ph + i·dh, w = ow·sw − pw + j·dw."""
    kw = geom.kernel[1]
    (sh, sw), (ph, pw), (dh, dw) = geom.stride, geom.padding, geom.dilation
    OH, OW = geom.out
    arg = arg.astype(m.int64)
    rows = (m.arange(OH, dtype=m.int64) * sh - ph)[:, None] + (arg // kw) * dh
    cols = (m.arange(OW, dtype=m.int64) * sw - pw) + (arg % kw) * dw
    return m.ascontiguousarray(rows * W + cols)


class DeviceMaxPool2d(ArrayFunction):
    """Max pooling of device arrays (see the module's docstring)."""

    backward_name = "MaxPool2DWithIndicesBackward0"
    _released_attrs = ("arg",)

    @staticmethod
    def forward(ctx, x, geom, indices_out=None):
        xd = x._data
        m = B.get_array_module(xd)
        low = -float("inf") if xd.dtype.kind == "f" else int(m.iinfo(xd.dtype).min)
        windows, padded = _windows(m, xd, geom, low)
        nan = m.isnan(windows) if xd.dtype.kind == "f" else None
        # argmax's first largest; a NaN tap wins (torch propagates NaN)
        arg = m.argmax(windows if nan is None else m.where(nan, m.inf, windows), axis=-1)
        if nan is not None:
            first_nan = m.argmax(nan, axis=-1)
            arg = m.where(nan.any(axis=-1), first_nan, arg)
        ctx.geom, ctx.padded, ctx.shape, ctx.arg = geom, padded, xd.shape, arg
        if indices_out is not None:
            indices_out.append(_flat_indices(m, arg, geom, xd.shape[3]))
        return m.take_along_axis(windows, arg[..., None], axis=-1)[..., 0]

    @staticmethod
    def backward(ctx, grad):
        g, m, k = _upstream(grad, ctx.geom, "max_pool2d")
        # where, not a 0/1 mask times g: an infinite dL/dy must not give ∞·0 = NaN elsewhere
        per_tap = m.where(ctx.arg[..., None] == m.arange(k), g[..., None], 0)
        gx = _add_taps(
            m, per_tap.astype(g.dtype, copy=False), ctx.geom, ctx.padded, ctx.shape, g.dtype
        )
        return gx, None, None


class DeviceAvgPool2d(ArrayFunction):
    """Average pooling of device arrays: window sums divided by ``divisor`` (a number, or an
    (OH, OW) array where windows hold different counts), as torch divides."""

    backward_name = "AvgPool2DBackward0"

    @staticmethod
    def forward(ctx, x, geom, divisor):
        xd = x._data
        m = B.get_array_module(xd)
        divisor = math.prod(divisor) if isinstance(divisor, tuple) else divisor
        if isinstance(divisor, B.ndarray):
            divisor = B.device_array(xd, divisor)
        windows, padded = _windows(m, xd, geom, 0)
        ctx.geom, ctx.padded, ctx.shape, ctx.divisor = geom, padded, xd.shape, divisor
        # torch's window sum starts from +0.0 (a window of -0.0 averages to +0.0)
        return ((windows.sum(axis=-1) + 0.0) / divisor).astype(xd.dtype)

    @staticmethod
    def backward(ctx, grad):
        g, m, k = _upstream(grad, ctx.geom, "avg_pool2d")
        share = (g / ctx.divisor).astype(g.dtype)
        per_tap = m.broadcast_to(share[..., None], share.shape + (k,))
        return _add_taps(m, per_tap, ctx.geom, ctx.padded, ctx.shape, g.dtype), None, None
