"""Fractional max pooling (Graham, 2014) as one op, with PyTorch's window placement.

The output size need not divide the input size: along an axis of length L pooled to n outputs
with windows of k, window i starts at

    start_i = ⌊(i + u) α⌋ − ⌊u α⌋,  α = (L − k) / (n − 1),  and start_(n−1) = L − k,

with one random u ∈ [0, 1) per (sample, channel, axis) — torch's ``generate_intervals``,
computed in the input's dtype as torch's CPU kernel does, so the same ``_random_samples`` pick
the same windows. Each output is its window's maximum (the first one; a NaN wins, the last
NaN in row-major order), and its index is its flat position h·W + w in the input plane. The
gradient goes back to those positions (a scatter-add), written with Tensor ops, so it can be
differentiated again.
"""

from __future__ import annotations

from gradiente.autograd import function as _function
from gradiente.backend import xp
from gradiente.ops.array_function import ArrayFunction


def window_starts(samples, input_size: int, output_size: int, pool_size: int):
    """The first input index of each window, (N, C, output_size), from samples u (N, C)."""
    dtype = samples.dtype.type
    starts = xp.empty((*samples.shape, output_size), dtype=xp.int64)
    if output_size > 1:
        alpha = dtype(input_size - pool_size) / dtype(output_size - 1)
        i = xp.arange(output_size - 1, dtype=samples.dtype)
        u = samples[..., None]
        # int() of torch's C++ truncates toward zero, as astype does
        starts[..., :-1] = ((i + u) * alpha).astype(xp.int64) - (u * alpha).astype(xp.int64)
    if output_size > 0:
        starts[..., -1] = input_size - pool_size
    return starts


class FractionalMaxPool2d(ArrayFunction):
    """(N, C, H, W) → (N, C, OH, OW) maxima over the pseudo-random windows (their flat
    indices are appended to ``holder``); dL/dx scatters each output's gradient to its index
    (added where windows share a maximum)."""

    backward_name = "FractionalMaxPool2DBackward0"

    @staticmethod
    def forward(ctx, input, kernel_size, output_size, samples, holder):
        x = input._data
        N, C, H, W = x.shape
        (kh, kw), (oh, ow) = kernel_size, output_size
        rows = window_starts(samples[..., 1], H, oh, kh)[..., :, None] + xp.arange(kh)
        cols = window_starts(samples[..., 0], W, ow, kw)[..., :, None] + xp.arange(kw)
        # gather every window: (N, C, OH, OW, kh, kw)
        n = xp.arange(N)[:, None, None, None, None, None]
        c = xp.arange(C)[None, :, None, None, None, None]
        r = rows[:, :, :, None, :, None]
        q = cols[:, :, None, :, None, :]
        windows = x[n, c, r, q].reshape(N, C, oh, ow, kh * kw)
        flat = (r * W + q).reshape(N, C, oh, ow, kh * kw)
        pick = windows.argmax(axis=-1)
        nan = xp.isnan(windows)
        if nan.any():  # torch keeps the last NaN of the window
            last_nan = kh * kw - 1 - nan[..., ::-1].argmax(axis=-1)
            pick = xp.where(nan.any(axis=-1), last_nan, pick)
        out = xp.take_along_axis(windows, pick[..., None], axis=-1)[..., 0]
        indices = xp.take_along_axis(flat, pick[..., None], axis=-1)[..., 0]
        ctx.indices, ctx.input_shape = indices, x.shape
        holder.append(indices)  # the indices leave beside the graph, as max_pool's do
        return out

    @staticmethod
    def backward(ctx, grad):
        N, C, H, W = ctx.input_shape
        index = _function._Tensor._make(ctx.indices.reshape(N, C, -1), False, None)
        zeros = grad.new_zeros((N, C, H * W))
        grad_x = zeros.scatter_add(2, index, grad.reshape(N, C, -1)).reshape(N, C, H, W)
        return grad_x, None, None, None, None
