"""Lua Torch's cross-channel local response normalisation (``nn.CrossMapLRN2d``) as one op.

    scale_c = k + (α / size) Σ_{c' ∈ window(c)} x_c'²,   y_c = x_c · scale_c^(−β)

The window sum is kept as torch keeps it, a running sum over the channels (add the square
entering the window, subtract the one leaving), and the backward is torch's hand-written one,

    ∂L/∂x_c = g_c scale_c^(−β) − (2 α β / size) x_c Σ_{c' : c ∈ window(c')} g_c' y_c' / scale_c',

with the same running sums, so that values and gradients agree with torch to the last bit.
That backward is torch's, not the exact derivative of the forward (the windows it sums over
differ from the forward's at the channel edges: torch's own gradcheck fails on it); it is
kept because programs ported from torch expect torch's numbers.
Channel loops run over (N, H, W) slices, all samples at once.
"""

from __future__ import annotations

from gradiente.autograd.grad_mode import grad_state
from gradiente.backend import xp
from gradiente.ops.array_function import ArrayFunction


class CrossMapLRN2d(ArrayFunction):
    """(N, C, H, W) → (N, C, H, W) cross-channel LRN with Lua Torch's window rule."""

    backward_name = "CrossMapLRN2dBackward"

    @staticmethod
    def forward(ctx, input, size: int, alpha: float, beta: float, k: float):
        x = input._data
        channels = x.shape[1]
        square = x * x
        scale = xp.empty_like(x)
        pre_pad = int((size - 1) / 2 + 1)
        scale[:, 0] = 0
        for c in range(min(pre_pad, channels)):
            scale[:, 0] += square[:, c]
        for c in range(1, channels):
            scale[:, c] = scale[:, c - 1]
            if c < channels - pre_pad + 1:
                scale[:, c] += square[:, c + pre_pad - 1]
            if c > pre_pad:
                scale[:, c] -= square[:, c - pre_pad]
        scale *= x.dtype.type(alpha / size)
        scale += x.dtype.type(k)
        output = scale ** x.dtype.type(-beta) * x
        ctx.save_for_backward(input)
        ctx.scale, ctx.output = scale, output
        ctx.size, ctx.alpha, ctx.beta = size, alpha, beta
        return output

    @staticmethod
    def backward(ctx, grad):
        if grad_state.enabled:
            raise RuntimeError("CrossMapLRN2d does not support double backward")
        (input,) = ctx.saved_tensors
        x, g, scale, size = input._data, grad._data, ctx.scale, ctx.size
        n, channels, h, w = x.shape
        dtype = x.dtype.type
        cache_ratio = dtype(2 * ctx.alpha * ctx.beta / size)
        inverse_pre_pad = int(size - (size - 1) / 2)
        grad_x = scale ** dtype(-ctx.beta) * g
        padded = xp.zeros((n, channels + size - 1, h, w), dtype=x.dtype)
        padded[:, inverse_pre_pad : inverse_pre_pad + channels] = g * ctx.output / scale
        accum = padded[:, : size - 1].sum(axis=1)
        for c in range(channels):
            accum += padded[:, c + size - 1]
            grad_x[:, c] -= cache_ratio * x[:, c] * accum
            accum -= padded[:, c]
        return grad_x, None, None, None, None
