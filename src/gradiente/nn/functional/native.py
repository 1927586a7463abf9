"""torch's ``native_*`` operators and other ATen forms of ``nn.functional``: the calls that
code traced or exported from PyTorch (and hand-written low-level code) makes.

- ``native_layer_norm``, ``native_batch_norm``, ``native_group_norm``: the normalized output
  and the statistics torch saves for the backward pass (mean and 1/√(var + eps));
- ``native_dropout``: the output and the boolean mask of the kept elements;
- ``convolution``: one entry for every convolution (1-, 2-, 3-d; transposed or not);
- ``grid_sampler``: ``F.grid_sample`` with the modes as ATen's numbers;
- ``embedding_bag``: ``F.embedding_bag`` with ATen's arguments and its four outputs;
- ``channel_shuffle``/``native_channel_shuffle``, ``constant_pad_nd``, ``conv_tbc``,
  ``affine_grid_generator``, ``embedding_renorm_`` and ``max_pool1d_with_indices``.

Each computes through ``nn.functional``, so values and gradients are those of the functions
they stand for; the result's graph node carries torch's name for the operator.
"""

from __future__ import annotations

from gradiente import random as _random
from gradiente.autograd.function import show_as
from gradiente.autograd.grad_mode import no_grad
from gradiente.backend import xp
from gradiente.nn import functional as F
from gradiente.ops.array_function import ArrayFunction
from gradiente.ops.embedding_bag import _renorm_
from gradiente.tensor import Tensor, empty

__all__ = [
    "affine_grid_generator",
    "channel_shuffle",
    "constant_pad_nd",
    "conv_tbc",
    "convolution",
    "embedding_bag",
    "embedding_renorm_",
    "grid_sampler",
    "grid_sampler_2d",
    "grid_sampler_3d",
    "max_pool1d_with_indices",
    "native_batch_norm",
    "native_channel_shuffle",
    "native_dropout",
    "native_group_norm",
    "native_layer_norm",
]


def native_layer_norm(input, normalized_shape, weight, bias, eps: float):
    """(output, mean, rstd) of layer normalization over the last ``len(normalized_shape)``
    dims; mean and rstd = 1/√(var + eps) keep those dims as size 1 (and, as in torch, are
    not differentiable)."""
    out = F.layer_norm(input, list(normalized_shape), weight, bias, eps)
    dims = tuple(range(input.ndim - len(normalized_shape), input.ndim))
    x = input.detach()
    mean = x.mean(dims, keepdim=True)
    rstd = (x.var(dims, correction=0, keepdim=True) + eps).rsqrt()
    return show_as(out, "NativeLayerNormBackward0", input), mean, rstd


def native_batch_norm(input, weight, bias, running_mean, running_var, training: bool,
                      momentum: float, eps: float):  # fmt: skip
    """(output, save_mean, save_invstd) of batch normalization over all dims but 1. Training:
    the batch's mean and 1/√(biased var + eps) (and the running statistics updated in place);
    evaluation: the running statistics are used and the saved ones are empty."""
    out = F.batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)
    out = show_as(out, "NativeBatchNormBackward0", input)
    if not training:
        return out, empty(0, dtype=input.dtype), empty(0, dtype=input.dtype)
    dims = tuple(d for d in range(input.ndim) if d != 1)
    x = input.detach()
    mean = x.mean(dims)
    invstd = (x.var(dims, correction=0) + eps).rsqrt()
    return out, mean, invstd


def native_group_norm(input, weight, bias, N: int, C: int, HxW: int, group: int, eps: float):
    """(output, mean, rstd) of group normalization of an (N, C, *) input whose spatial dims
    hold HxW elements; mean and rstd are (N, group) and, as in torch, differentiable."""
    out = F.group_norm(input, group, weight, bias, eps)
    grouped = input.reshape(N, group, -1)
    mean = grouped.mean(-1)
    rstd = (grouped.var(-1, correction=0) + eps).rsqrt()
    return tuple(show_as(t, "NativeGroupNormBackward0", input) for t in (out, mean, rstd))


class _NativeDropout(ArrayFunction):
    """x · noise, whose gradient is g · grad_noise: torch's ``native_dropout`` scales the
    gradient as the output (by 1/(1 − p)) when ``train`` is True, but not when it is None
    (its backward formula reads None as "not training"), and gradiente follows it."""

    backward_name = "NativeDropoutBackward0"

    @staticmethod
    def forward(ctx, a, noise, grad_noise):
        ctx.grad_noise = grad_noise
        return a._data * noise

    @staticmethod
    def backward(ctx, grad):
        return grad * Tensor._make(ctx.grad_noise), None, None


def native_dropout(input, p: float, train):
    """(output, mask): training (``train`` True or None) keeps each element with probability
    1 − p (drawn as torch's ``bernoulli_``) and scales it by 1/(1 − p); otherwise a copy of
    the input and a mask of all True."""
    dtype = input._data.dtype
    if train is not None and not train:
        kept = xp.ones(input.shape, dtype=bool)
        return _NativeDropout.apply(input, dtype.type(1), kept.astype(dtype)), Tensor._make(kept)
    keep = 1.0 - p
    kept = _random.bernoulli(keep, tuple(input.shape), dtype) != 0
    noise = kept.astype(dtype) * dtype.type(1.0 / keep if keep else 0.0)
    grad_noise = noise if train else kept.astype(dtype)
    return _NativeDropout.apply(input, noise, grad_noise), Tensor._make(kept)


def convolution(input, weight, bias, stride, padding, dilation, transposed: bool,
                output_padding, groups: int):  # fmt: skip
    """``torch.convolution``: the 1-, 2- or 3-d convolution (or transposed convolution) that
    ``weight``'s rank calls for, with ATen's arguments (all of them, as lists)."""
    n = weight.ndim - 2
    if n < 1:
        raise RuntimeError("weight should have at least three dimensions")
    if input.ndim != weight.ndim:
        raise RuntimeError(
            f"Expected {weight.ndim}-dimensional input for {weight.ndim}-dimensional weight "
            f"{list(weight.shape)}, but got {input.ndim}-dimensional input of size "
            f"{list(input.shape)} instead"
        )
    if transposed:
        conv = (F.conv_transpose1d, F.conv_transpose2d, F.conv_transpose3d)[n - 1]
        out = conv(input, weight, bias, stride, padding, output_padding, groups, dilation)
    else:
        conv = (F.conv1d, F.conv2d, F.conv3d)[n - 1]
        out = conv(input, weight, bias, stride, padding, dilation, groups)
    return show_as(out, "ConvolutionBackward0", input)


_INTERPOLATION = ("bilinear", "nearest", "bicubic")
_PADDING = ("zeros", "border", "reflection")


def grid_sampler(input, grid, interpolation_mode: int, padding_mode: int, align_corners: bool):
    """``F.grid_sample`` with ATen's numbers for the modes (interpolation 0 bilinear, 1
    nearest, 2 bicubic; padding 0 zeros, 1 border, 2 reflection)."""
    mode, padding = _INTERPOLATION[interpolation_mode], _PADDING[padding_mode]
    out = F.grid_sample(input, grid, mode, padding, align_corners)
    return show_as(out, f"GridSampler{input.ndim - 2}DBackward0", input)


def grid_sampler_2d(input, grid, interpolation_mode: int, padding_mode: int,
                    align_corners: bool):  # fmt: skip
    """``grid_sampler`` of an (N, C, H, W) input."""
    return grid_sampler(input, grid, interpolation_mode, padding_mode, align_corners)


def grid_sampler_3d(input, grid, interpolation_mode: int, padding_mode: int,
                    align_corners: bool):  # fmt: skip
    """``grid_sampler`` of an (N, C, D, H, W) input."""
    return grid_sampler(input, grid, interpolation_mode, padding_mode, align_corners)


def affine_grid_generator(theta, size, align_corners: bool):
    """``F.affine_grid(theta, size, align_corners)``: the sampling grid of the affine maps."""
    out = F.affine_grid(theta, list(size), align_corners)
    return show_as(out, "AffineGridGeneratorBackward0", theta)


def max_pool1d_with_indices(input, kernel_size, stride=(), padding=0, dilation=1,
                            ceil_mode: bool = False):  # fmt: skip
    """(values, indices) of 1-d max pooling; ATen's ``stride=[]`` means the kernel size."""
    stride = None if isinstance(stride, (list, tuple)) and not stride else stride
    return F.max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def conv_tbc(input, weight, bias, pad: int = 0):
    """1-d convolution of a (time, batch, channels) input with a (kernel, in, out) weight:
    ``conv1d`` with the dims moved to (batch, channels, time) and back."""
    out = F.conv1d(input.permute(1, 2, 0), weight.permute(2, 1, 0), bias, padding=pad)
    return show_as(out.permute(2, 0, 1), "ConvTbcBackward0", input)


def embedding_renorm_(input, indices, max_norm: float, norm_type: float):
    """Rescale, in place and outside the graph, the rows of ``input`` that ``indices`` name
    whose ``norm_type``-norm exceeds ``max_norm`` (``F.embedding``'s ``max_norm``)."""
    with no_grad():
        _renorm_(input, indices._data.reshape(-1).astype(xp.int64), max_norm, norm_type)
    return input


_BAG_MODES = ("sum", "mean", "max")


def embedding_bag(weight, indices, offsets, scale_grad_by_freq: bool = False, mode: int = 0,
                  sparse: bool = False, per_sample_weights=None,
                  include_last_offset: bool = False, padding_idx=None):  # fmt: skip
    """``torch.embedding_bag``: (output, offset2bag, bag_size, max_indices), the bags'
    reductions (``mode`` 0 sum, 1 mean, 2 max) and torch's bookkeeping: the bag of each
    index (empty in sum mode), the bags' sizes without padding (zeros in sum mode) and the
    row each maximum came from (max mode; the sizes again in mean mode, zeros in sum)."""
    name = _BAG_MODES[mode]
    pad = None if padding_idx is None or padding_idx < 0 else padding_idx
    out = F.embedding_bag(
        indices, weight, offsets, None, 2, scale_grad_by_freq, name, sparse,
        per_sample_weights, include_last_offset, pad,
    )  # fmt: skip
    out = show_as(out, "EmbeddingBagBackward0", weight)
    num_bags = out.shape[0]
    idx = indices._data.reshape(-1)
    starts = offsets._data[:num_bags]
    bags = xp.searchsorted(starts, xp.arange(idx.size), side="right") - 1
    kept = idx != pad if pad is not None else xp.ones(idx.size, dtype=bool)
    sizes = xp.bincount(bags[kept], minlength=num_bags).astype(xp.int64)
    zeros = xp.zeros(num_bags, dtype=xp.int64)
    if name == "sum":
        return out, Tensor._make(xp.zeros(0, xp.int64)), Tensor._make(zeros), Tensor._make(zeros)
    offset2bag, bag_size = Tensor._make(bags.astype(xp.int64)), Tensor._make(sizes)
    if name == "mean":
        return out, offset2bag, bag_size, Tensor._make(sizes.copy())
    return out, offset2bag, bag_size, _argmax_rows(weight._data, idx, bags, kept, num_bags)


def _argmax_rows(W, idx, bags, kept, num_bags) -> Tensor:
    """For each bag and feature, the row of ``W`` that holds the maximum (the first one on a
    tie, as torch's ``>`` scan; 0 for an empty bag)."""
    best = xp.zeros((num_bags, W.shape[1]), dtype=xp.int64)
    value = xp.full((num_bags, W.shape[1]), -xp.inf)
    seen = xp.zeros(num_bags, dtype=bool)
    for k in xp.nonzero(kept)[0]:
        b, row = bags[k], idx[k]
        better = (W[row] > value[b]) | ~seen[b]
        best[b] = xp.where(better, row, best[b])
        value[b] = xp.where(better, W[row], value[b])
        seen[b] = True
    return Tensor._make(best)


def channel_shuffle(input, groups: int):
    """(N, g·k, *) → (N, k·g, *): ``F.channel_shuffle``."""
    return F.channel_shuffle(input, groups)


def native_channel_shuffle(input, groups: int):
    """``channel_shuffle`` (torch's kernel without the quantized path)."""
    return F.channel_shuffle(input, groups)


def constant_pad_nd(input, pad, value=0):
    """``F.pad(input, pad, "constant", value)``: ``pad`` lists (before, after) amounts from
    the last dim backwards; negative amounts crop."""
    pad = list(pad)
    if len(pad) % 2:
        raise RuntimeError(f"Length of pad must be even but instead it equals {len(pad)}")
    if len(pad) > 2 * input.ndim:
        raise RuntimeError(  # (torch's message runs the words together so)
            "Length of pad should be no more than twice the number of dimensions of the input. "
            f"Pad length is {len(pad)}while the input has {input.ndim}dimensions."
        )
    return show_as(F.pad(input, pad, "constant", value), "ConstantPadNdBackward0", input)
