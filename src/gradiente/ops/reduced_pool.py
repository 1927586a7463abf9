"""Pooling arithmetic of torch's float16 and bfloat16 CPU kernels, where it rounds to the
16-bit type between steps (``ops/bfloat16.py`` holds the ops that use it).

torch's pooling backward kernels add each output's gradient into a 16-bit ``grad_input``,
output after output in row-major order, so each addition is rounded; adaptive_avg_pool3d's
forward even sums its windows in the 16-bit type. A float32 computation rounded once gives
other bits wherever windows overlap, so these are reproduced step by step: all the k-th
additions to every target at once, k = 0, 1, ... (checked against torch 2.13 bit for bit,
tests/reduced_precision).
"""

from __future__ import annotations

from gradiente.autograd import function as _function
from gradiente.autograd.grad_mode import grad_state
from gradiente.backend import xp
from gradiente.ops.adaptive_pool import _adaptive_bounds
from gradiente.ops.array_function import ArrayFunction


def rounded(array, narrow):
    """A float32 array rounded to the 16-bit dtype ``narrow`` and back."""
    return array.astype(narrow).astype(xp.float32)


def scatter_rounded(g, index, size, narrow):
    """out (P, size) with out[p, index[p, i]] += g[p, i] for i in order, each addition rounded
    to ``narrow``: torch's reduced-precision scatter into a 16-bit gradient. The k-th additions
    to every target run at once (within one k every target appears once)."""
    planes = xp.arange(index.shape[0], dtype=xp.int64)[:, None] * size
    key = (planes + index).reshape(-1)
    values = g.reshape(-1)
    order = xp.argsort(key, kind="stable")
    sorted_key = key[order]
    rank = xp.arange(key.size) - xp.searchsorted(sorted_key, sorted_key, side="left")
    out = xp.zeros(index.shape[0] * size, xp.float32)
    for k in range(int(rank.max()) + 1 if key.size else 0):
        at = order[rank == k]
        out[key[at]] = rounded(out[key[at]] + values[at], narrow)
    return out.reshape(index.shape[0], size)


def spread_rounded(g, windows, size, narrow):
    """The input gradient (N, C, size) of a pooling whose output o (row-major, flattened)
    covers the flat input positions ``windows[o]``: g[..., o] added to each of them, outputs
    in order, each addition rounded to ``narrow`` (torch's ``grad_input[...] += delta``)."""
    N, C = g.shape[:2]
    index = xp.concatenate(windows)
    source = xp.concatenate([xp.full(w.size, o) for o, w in enumerate(windows)])
    planes = g.reshape(N * C, -1)
    out = xp.empty((N * C, size), xp.float32)
    step = max(1, (1 << 22) // max(index.size, 1))  # planes at a time, to bound the memory
    for p in range(0, N * C, step):
        chunk = planes[p : p + step]
        idx = xp.broadcast_to(index, (chunk.shape[0], index.size))
        out[p : p + step] = scatter_rounded(chunk[:, source], idx, size, narrow)
    return out.reshape(N, C, size)


def _box_windows(bounds, image):
    """The flat positions (row-major in ``image``) of each box, boxes in row-major order;
    ``bounds`` gives (start, end) arrays per axis."""
    D, H, W = image
    (d0, d1), (h0, h1), (w0, w1) = bounds
    windows = []
    for a, b in zip(d0, d1):
        for c, d in zip(h0, h1):
            for e, f in zip(w0, w1):
                box = xp.arange(a, b)[:, None, None] * (H * W)
                box = box + xp.arange(c, d)[:, None] * W + xp.arange(e, f)
                windows.append(box.reshape(-1))
    return windows


class AdaptiveAvgPool3dReduced(ArrayFunction):
    """adaptive_avg_pool3d of float16/bfloat16 (N, C, D, H, W) as torch's kernel: each window
    summed in the 16-bit type (taps in row-major order, from 0), then ``sum / kd / kh / kw``,
    each division rounded; the backward adds bf16(bf16(bf16(g / kd) / kh) / kw) over each
    window, output after output, in the 16-bit type."""

    backward_name = "AdaptiveAvgPool3DBackward0"

    @staticmethod
    def forward(ctx, x, sizes):
        a = x._data
        narrow = a.dtype
        ctx.narrow, ctx.image = narrow, a.shape[2:]
        ctx.bounds = [_adaptive_bounds(n, o) for n, o in zip(a.shape[2:], sizes)]
        (d0, d1), (h0, h1), (w0, w1) = ctx.bounds
        wide = a.astype(xp.float32)
        total = xp.zeros((*a.shape[:2], *sizes), xp.float32)
        for i in range(int((d1 - d0).max())):
            for j in range(int((h1 - h0).max())):
                for k in range(int((w1 - w0).max())):
                    at = [
                        xp.minimum(start + t, n - 1)
                        for (start, _), t, n in zip(ctx.bounds, (i, j, k), a.shape[2:])
                    ]
                    tap = wide[:, :, at[0]][:, :, :, at[1]][..., at[2]]
                    inside = (i < d1 - d0)[:, None, None] & (j < h1 - h0)[:, None] & (k < w1 - w0)
                    total = rounded(total + xp.where(inside, tap, xp.float32(0)), narrow)
        return _divided(total, ctx.bounds, narrow).astype(narrow)

    @staticmethod
    def backward(ctx, grad):
        if grad_state.enabled:
            raise RuntimeError(
                "AdaptiveAvgPool3DBackward0: differentiating its float16/bfloat16 backward "
                "(create_graph=True) is not implemented"
            )
        g = _divided(grad._data.astype(xp.float32), ctx.bounds, ctx.narrow)
        windows = _box_windows(ctx.bounds, ctx.image)
        D, H, W = ctx.image
        gx = spread_rounded(g, windows, D * H * W, ctx.narrow).reshape(*g.shape[:2], D, H, W)
        return _function._Tensor._make(gx.astype(ctx.narrow), False, None), None


def _divided(a, bounds, narrow):
    """a / kd / kh / kw over (…, OD, OH, OW), each division rounded to ``narrow``."""
    (d0, d1), (h0, h1), (w0, w1) = bounds
    for counts in ((d1 - d0)[:, None, None], (h1 - h0)[:, None], w1 - w0):
        a = rounded(a / counts.astype(xp.float32), narrow)
    return a


class ValuesOf(ArrayFunction):
    """``values`` (an array) as the result, differentiated as ``t``: torch's 16-bit bicubic
    kernel rounds its weights to 16 bits in the forward pass only."""

    @staticmethod
    def forward(ctx, t, values):
        return values

    @staticmethod
    def backward(ctx, grad):
        return grad, None
