"""Less common functional layers: ``channel_shuffle``, power-average pooling (``lp_pool1d``,
``lp_pool2d``, ``lp_pool3d``) and ``fractional_max_pool2d``/``3d`` — composed from existing ops
where that is exact, as torch composes them."""

from __future__ import annotations

import numbers
from collections.abc import Iterable

from gradiente.nn.functional.activation import relu
from gradiente.ops.fractional_pool import fractional_max_pool
from gradiente.ops.geometry import follows_channels_last
from gradiente.ops.pool import avg_pool1d, avg_pool2d, max_pool1d, max_pool2d
from gradiente.ops.pool3d import avg_pool3d, max_pool3d
from gradiente.ops.pool_args import size_at
from gradiente.tensor import Tensor, rand


# ---------------------------------------------------------------------------- channel_shuffle
@follows_channels_last
def channel_shuffle(input: Tensor, groups: int) -> Tensor:
    """(N, g·k, *) → (N, k·g, *): channel j·k + i moves to i·g + j (ShuffleNet, Zhang et
    al., 2018), so that the next grouped convolution mixes information across groups."""
    if input.ndim <= 2:
        raise RuntimeError(
            "channel_shuffle expects input with > 2 dims, but got input with sizes "
            f"{list(input.shape)}"
        )
    if groups <= 0:
        raise RuntimeError(
            f"Number of groups to divide channels in must be positive. Value of groups:{groups}"
        )
    n, c, *spatial = input.shape
    if c % groups:
        raise RuntimeError(
            f"Number of channels must be divisible by groups. Got {c} channels and {groups} groups."
        )
    # (N, g, k, *) → (N, k, g, *)
    x = input.reshape(n, groups, c // groups, *spatial).transpose(1, 2)
    return x.reshape(n, c, *spatial)


native_channel_shuffle = channel_shuffle


# ---------------------------------------------------------------------------- LP pooling
def _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, window, avg_pool, max_pool):
    """(Σ_window x^p)^(1/p), as torch: the window mean of x^p times the window size
    ``window``, the negative rounding residue clipped by relu before the root; p = ±∞ is the
    max of |x|. p = 0 fails as torch's 1 / p does (ZeroDivisionError)."""
    if isinstance(norm_type, (int, float)):
        if norm_type == float("inf"):
            return max_pool(input.abs(), kernel_size, stride, 0, 1, ceil_mode)
        if norm_type == -float("inf"):
            return -max_pool(-input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    if stride is not None:
        out = avg_pool(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    else:
        out = avg_pool(input.pow(norm_type), kernel_size, padding=0, ceil_mode=ceil_mode)
    if not isinstance(window, (numbers.Number, Tensor)):  # lp_pool1d's kernel_size as a list
        raise TypeError(
            f"mul(): argument 'other' (position 1) must be Tensor, not {type(window).__name__}"
        )
    return (out.sign() * relu(out.abs())).mul(window).pow(1.0 / norm_type)


def lp_pool1d(input: Tensor, norm_type, kernel_size, stride=None, ceil_mode: bool = False):
    """1-D power-average pooling over (N, C, L): (Σ_window x^p)^(1/p). As in torch, the
    window size is ``kernel_size`` itself (an int; a tuple fails at the product)."""
    args = (input, norm_type, kernel_size, stride, ceil_mode, kernel_size)
    return _lp_pool(*args, avg_pool1d, max_pool1d)


@follows_channels_last
def lp_pool2d(input: Tensor, norm_type, kernel_size, stride=None, ceil_mode: bool = False):
    """2-D power-average pooling over (N, C, H, W): (Σ_window x^p)^(1/p). ``kernel_size``
    is unpacked first, as torch's ``kw, kh = _pair(kernel_size)`` (a ValueError otherwise)."""
    kw, kh = _ntuple(kernel_size, 2)
    args = (input, norm_type, kernel_size, stride, ceil_mode, kw * kh)
    return _lp_pool(*args, avg_pool2d, max_pool2d)


def lp_pool3d(input: Tensor, norm_type, kernel_size, stride=None, ceil_mode: bool = False):
    """3-D power-average pooling over (N, C, D, H, W): (Σ_window x^p)^(1/p). ``kernel_size``
    is unpacked first, as torch's ``kd, kw, kh = _triple(kernel_size)``."""
    kd, kw, kh = _ntuple(kernel_size, 3)
    args = (input, norm_type, kernel_size, stride, ceil_mode, kd * kw * kh)
    return _lp_pool(*args, avg_pool3d, max_pool3d)


# ---------------------------------------------------------------------------- fractional pooling
def _fractional(n, input, kernel_size, output_size, output_ratio, return_indices, samples):
    """torch's Python part of fractional_max_pool{n}d: the output size from ``output_ratio``
    (⌊L · ratio⌋), and without ``_random_samples`` a draw of ``rand(N, C, n)`` in the
    input's dtype from the default generator, as torch draws them; then the op (see
    ``ops/fractional_pool.py``)."""
    op = f"fractional_max_pool{n}d"
    if output_size is None and output_ratio is None:
        raise ValueError(f"{op} requires specifying either an output_size or an output_ratio")
    if output_size is None:
        if n == 2 and len(output_ratio) > 2:
            raise ValueError(
                f"{op} requires output_ratio to either be a single Int or tuple of Ints."
            )
        ratio = _ntuple(output_ratio, n)
        output_size = [int(size_at(tuple(input.size()), i - n) * ratio[i]) for i in range(n)]
    if samples is None:
        batched = input.dim() != n + 1
        batch = size_at(tuple(input.size()), 0) if batched else 1
        channels = size_at(tuple(input.size()), -n - 1)
        samples = rand(batch, channels, n, dtype=input.dtype, device=input.device)
    out, indices = fractional_max_pool(n, input, kernel_size, output_size, samples)
    return (out, indices) if return_indices else out


def _ntuple(value, n: int) -> tuple:
    """torch's ``_ntuple``: an iterable as a tuple, anything else repeated n times."""
    return tuple(value) if isinstance(value, Iterable) else (value,) * n


def fractional_max_pool2d_with_indices(
    input: Tensor,
    kernel_size,
    output_size=None,
    output_ratio=None,
    return_indices: bool = False,
    _random_samples: Tensor | None = None,
):
    """2-D fractional max pooling and the flat indices of the maxima (see
    ``ops/fractional_pool.py``); the indices come back with ``return_indices``, as torch's."""
    args = (input, kernel_size, output_size, output_ratio, return_indices, _random_samples)
    return _fractional(2, *args)


def fractional_max_pool2d(
    input: Tensor,
    kernel_size,
    output_size=None,
    output_ratio=None,
    return_indices: bool = False,
    _random_samples: Tensor | None = None,
):
    """2-D fractional max pooling (``torch.nn.functional.fractional_max_pool2d``)."""
    args = (input, kernel_size, output_size, output_ratio, return_indices, _random_samples)
    return _fractional(2, *args)


def fractional_max_pool3d_with_indices(
    input: Tensor,
    kernel_size,
    output_size=None,
    output_ratio=None,
    return_indices: bool = False,
    _random_samples: Tensor | None = None,
):
    """3-D fractional max pooling and the flat indices t·H·W + h·W + w of the maxima."""
    args = (input, kernel_size, output_size, output_ratio, return_indices, _random_samples)
    return _fractional(3, *args)


def fractional_max_pool3d(
    input: Tensor,
    kernel_size,
    output_size=None,
    output_ratio=None,
    return_indices: bool = False,
    _random_samples: Tensor | None = None,
):
    """3-D fractional max pooling (``torch.nn.functional.fractional_max_pool3d``) over
    (N, C, T, H, W) or (C, T, H, W) input."""
    args = (input, kernel_size, output_size, output_ratio, return_indices, _random_samples)
    return _fractional(3, *args)
