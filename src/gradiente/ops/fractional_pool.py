"""Fractional max pooling (Graham, 2014), 2-D and 3-D, with PyTorch's window placement.

The output size need not divide the input size: along an axis of length L pooled to n outputs
with windows of k, window i starts at

    start_i = ⌊(i + u) α⌋ − ⌊u α⌋,  α = (L − k) / (n − 1),  and start_(n−1) = L − k,

with one random u ∈ [0, 1) per (sample, channel, axis) — torch's ``generate_intervals``,
computed in the input's dtype as torch's CPU kernel does, so the same ``_random_samples`` pick
the same windows. Each output is its window's maximum (the first one; a NaN wins, the last
NaN in row-major order), and its index is its flat position in the input plane (h·W + w) or
volume (t·H·W + h·W + w). A window of k ≤ 0 is empty: torch gives −inf there, indexed at the
window's start. The gradient goes back to those positions (a scatter-add), written with
Tensor ops, so it can be differentiated again.

``check_arguments`` is torch's C++ side of the call, in its order: the argument parser's
TypeErrors, autograd's refusal of ``_random_samples`` that require grad, the shape checks
(``fractional_max_pool2d()`` / ``fractional_max_pool3d_out()`` messages), the output's
allocation, the checks of ``_random_samples`` and the dtype dispatch. Drawing the samples (a
``torch.rand`` call in torch's Python code) is ``nn/functional/extra.py``'s part.
"""

from __future__ import annotations

import math

from gradiente.autograd import function as _function
from gradiente.autograd.grad_mode import grad_state
from gradiente.backend import xp
from gradiente.ops.arguments import require_tensor
from gradiente.ops.array_function import ArrayFunction
from gradiente.ops.pool_args import _is_index, int_list
from gradiente.ops.reduce import torch_type_name

_AXES = {2: ("height", "width"), 3: ("time", "height", "width")}


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


# ------------------------------------------------------------------------------ arguments
def _sizes(op: str, name: str, value, position: int, n: int) -> tuple:
    """An ``int[n]`` argument as the parser reads it: one int stands for n of them."""
    values = int_list(op, name, value, position)
    return values * n if _is_index(value) else values


def _check_shape(n: int, shape: tuple, kernel: tuple, size: tuple) -> None:
    """ATen's shape checks of fractional_max_pool2d/3d (the 3-D one wants o + k − 1 < L,
    strictly, and checks width before height)."""
    op = "fractional_max_pool2d()" if n == 2 else "fractional_max_pool3d_out()"
    if len(shape) not in (n + 1, n + 2):
        raise RuntimeError(f"{op}: Expected {n + 1}D or {n + 2}D tensor, but got: {list(shape)}")
    for dim in range(1, len(shape)):
        if shape[dim] == 0:
            raise RuntimeError(
                f"{op}: Expected input to have non-zero size for non-batch dimensions, but got"
                f"{list(shape)} with dimension {dim} being empty."
            )
    order = (0, 1) if n == 2 else (0, 2, 1)
    for axis in order:
        o, k, length = size[axis], kernel[axis], shape[-n + axis]
        if o + k - 1 > length or (n == 3 and o + k - 1 == length):
            name = _AXES[n][axis]
            raise RuntimeError(f"{op}: pool {name} {k} too large relative to input {name} {length}")


def _check_samples(n: int, x, samples) -> None:
    """ATen's ``fractional_max_pool_check_shape``: the samples' dtype, rank and sizes."""
    s = samples._data
    if s.dtype != x._data.dtype:
        raise RuntimeError("Expect _random_samples to have the same dtype as input")
    if s.ndim != 3:
        raise RuntimeError(f"Expect _random_samples to have 3 dimensions, got {s.ndim}")
    batch, channels = (1, x.shape[0]) if x.ndim == n + 1 else x.shape[:2]
    if s.shape[0] < batch:
        raise RuntimeError("Expect _random_samples.size(0) no less then input batch size.")
    if s.shape[1] != channels:
        raise RuntimeError("Expect _random_samples.size(1) equals to input channel size.")
    if s.shape[2] != n:
        raise RuntimeError(f"Expect _random_samples.size(2) equals to {n}; got {s.shape[2]}.")


def check_arguments(n: int, input, kernel_size, output_size, samples) -> tuple:
    """torch's checks of ``torch._C._nn.fractional_max_pool{n}d(input, kernel_size,
    output_size, samples)``, in its order; (kernel, output size) as n-tuples."""
    op = f"fractional_max_pool{n}d"
    x = require_tensor(op, input, "input", 1)
    kernel = _sizes(op, "kernel_size", kernel_size, 2, n)
    size = _sizes(op, "output_size", output_size, 3, n)
    require_tensor(op, samples, "random_samples", 4)
    if samples.requires_grad and grad_state.enabled:
        raise RuntimeError(
            f"The function '{op}' is not differentiable with respect to argument "
            "'random_samples'. This input cannot have requires_grad True."
        )
    for name, values in (("kernel_size", kernel), ("output_size", size)):
        if len(values) != n:
            count = "Ints" if n == 2 else "three Ints"
            raise RuntimeError(f"{op}: {name} must either be a single Int or tuple of {count}")
    shape = tuple(x.shape)
    _check_shape(n, shape, kernel, size)
    out_shape = [*shape[:-n], *size]
    for s in size:
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {out_shape}")
    _check_samples(n, x, samples)
    dtype = x._data.dtype
    if dtype.kind != "f" and dtype.name != "bfloat16":
        name = torch_type_name(dtype)
        raise NotImplementedError(f"\"{op}_out_frame\" not implemented for '{name}'")
    return kernel, size


# ------------------------------------------------------------------------------ the op
def _window_positions(samples, image: tuple, size: tuple, kernel: tuple):
    """The flat input position of every tap of every window, (N, C, *size, *kernel), and
    of every window's first element, (N, C, *size); ``samples`` (N, C, n) holds torch's u,
    whose first entry is the last axis's in 2-D (width, height) and the first's in 3-D."""
    n = len(image)
    order = (1, 0) if n == 2 else (0, 1, 2)
    strides = [math.prod(image[a + 1 :]) for a in range(n)]
    taps = starts = 0
    for axis in range(n):
        first = window_starts(samples[..., order[axis]], image[axis], size[axis], kernel[axis])
        shape = [1] * n
        shape[axis] = size[axis]
        first = first.reshape(*first.shape[:2], *shape, *([1] * n))
        tap = [1] * n
        tap[axis] = max(kernel[axis], 0)
        steps = xp.arange(max(kernel[axis], 0)).reshape(*tap)
        taps = taps + (first + steps) * strides[axis]
        starts = starts + first[(..., *([0] * n))] * strides[axis]
    return taps, starts


class FractionalMaxPool2d(ArrayFunction):
    """(N, C, *image) → (N, C, *size) maxima over the pseudo-random windows (their flat
    indices are appended to ``holder``); dL/dx scatters each output's gradient to its index
    (added where windows share a maximum)."""

    backward_name = "FractionalMaxPool2DBackward0"

    @staticmethod
    def forward(ctx, input, kernel_size, output_size, samples, holder):
        x = input._data
        N, C, *image = x.shape
        taps, starts = _window_positions(samples[:N], tuple(image), output_size, kernel_size)
        window = math.prod(max(k, 0) for k in kernel_size)
        count = math.prod(output_size)  # (sizes spelled out: any of them may be 0)
        flat = xp.broadcast_to(taps, (N, C, *output_size, *taps.shape[-len(image) :]))
        flat = flat.reshape(N, C, count, window)
        if window == 0:  # empty windows: torch's −inf, indexed at the window's start
            indices = xp.broadcast_to(starts, (N, C, *output_size)).reshape(N, C, count)
            out = xp.full(indices.shape, -xp.inf, dtype=x.dtype)
        else:
            planes = x.reshape(N, C, math.prod(image))
            windows = xp.take_along_axis(planes, flat.reshape(N, C, count * window), axis=2)
            windows = windows.reshape(flat.shape)
            pick = windows.argmax(axis=-1)
            nan = xp.isnan(windows)
            if nan.any():  # torch keeps the last NaN of the window
                last_nan = window - 1 - nan[..., ::-1].argmax(axis=-1)
                pick = xp.where(nan.any(axis=-1), last_nan, pick)
            out = xp.take_along_axis(windows, pick[..., None], axis=-1)[..., 0]
            indices = xp.take_along_axis(flat, pick[..., None], axis=-1)[..., 0]
        indices = indices.reshape(N, C, *output_size)
        ctx.indices, ctx.input_shape = indices, x.shape
        holder.append(indices)  # the indices leave beside the graph, as max_pool's do
        return out.reshape(N, C, *output_size)

    @staticmethod
    def backward(ctx, grad):
        N, C, *image = ctx.input_shape
        count = math.prod(ctx.indices.shape[2:])
        index = _function._Tensor._make(ctx.indices.reshape(N, C, count), False, None)
        zeros = grad.new_zeros((N, C, math.prod(image)))
        grad_x = zeros.scatter_add(2, index, grad.reshape(N, C, count)).reshape(ctx.input_shape)
        return grad_x, None, None, None, None


class FractionalMaxPool3d(FractionalMaxPool2d):
    """The same op over (N, C, T, H, W) volumes."""

    backward_name = "FractionalMaxPool3DBackward0"


def fractional_max_pool(n: int, input, kernel_size, output_size, samples):
    """(output, indices) of 2-D or 3-D fractional max pooling, after torch's checks."""
    kernel, size = check_arguments(n, input, kernel_size, output_size, samples)
    unbatched = input.ndim == n + 1
    x = input.unsqueeze(0) if unbatched else input
    op = FractionalMaxPool2d if n == 2 else FractionalMaxPool3d
    holder: list = []
    out = op.apply(x, kernel, size, samples._data, holder)
    indices = _function._Tensor._make(holder[0], False, None)
    if unbatched:
        out, indices = out.squeeze(0), indices.squeeze(0)
    return out, indices
