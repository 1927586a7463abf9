"""Less common functional layers: ``channel_shuffle``, power-average pooling (``lp_pool1d``,
``lp_pool2d``, ``lp_pool3d``) and ``fractional_max_pool2d`` — composed from existing ops
where that is exact, as torch composes them."""

from __future__ import annotations

import numbers

from gradiente.nn.functional.activation import relu
from gradiente.ops.fractional_pool import FractionalMaxPool2d
from gradiente.ops.pool import avg_pool1d, avg_pool2d, max_pool1d, max_pool2d
from gradiente.ops.pool3d import avg_pool3d, max_pool3d
from gradiente.tensor import Tensor, rand


def _tuple(value, n: int) -> tuple:
    return tuple(value) if isinstance(value, (tuple, list)) else (value,) * n


# ---------------------------------------------------------------------------- channel_shuffle
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
def _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, n, avg_pool, max_pool):
    """(Σ_window x^p)^(1/p), as torch: the window mean of x^p times the window size, the
    negative rounding residue clipped by relu before the root; p = ±∞ is the max of |x|."""
    if isinstance(norm_type, (int, float)):
        if norm_type == float("inf"):
            return max_pool(input.abs(), kernel_size, stride, 0, 1, ceil_mode)
        if norm_type == -float("inf"):
            return -max_pool(-input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    if stride is not None:
        out = avg_pool(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    else:
        out = avg_pool(input.pow(norm_type), kernel_size, padding=0, ceil_mode=ceil_mode)
    window = 1
    for k in _tuple(kernel_size, n):
        window *= k
    return (out.sign() * relu(out.abs())).mul(window).pow(1.0 / norm_type)


def lp_pool1d(input: Tensor, norm_type, kernel_size, stride=None, ceil_mode: bool = False):
    """1-D power-average pooling over (N, C, L): (Σ_window x^p)^(1/p)."""
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 1, avg_pool1d, max_pool1d)


def lp_pool2d(input: Tensor, norm_type, kernel_size, stride=None, ceil_mode: bool = False):
    """2-D power-average pooling over (N, C, H, W): (Σ_window x^p)^(1/p)."""
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 2, avg_pool2d, max_pool2d)


def lp_pool3d(input: Tensor, norm_type, kernel_size, stride=None, ceil_mode: bool = False):
    """3-D power-average pooling over (N, C, D, H, W): (Σ_window x^p)^(1/p)."""
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 3, avg_pool3d, max_pool3d)


# ---------------------------------------------------------------------------- fractional pooling
def fractional_max_pool2d_with_indices(
    input: Tensor,
    kernel_size,
    output_size=None,
    output_ratio=None,
    return_indices: bool = False,
    _random_samples: Tensor | None = None,
):
    """Fractional max pooling and the flat indices of the maxima (see
    ``ops/fractional_pool.py``). Without ``_random_samples``, draws them as torch does:
    ``rand(N, C, 2)`` in the input's dtype, from the default generator."""
    if output_size is None and output_ratio is None:
        raise ValueError(
            "fractional_max_pool2d requires specifying either an output_size or an output_ratio"
        )
    if input.ndim not in (3, 4):
        raise RuntimeError(
            f"fractional_max_pool2d(): Expected 3D or 4D tensor, but got: {list(input.shape)}"
        )
    if output_size is None:
        if isinstance(output_ratio, numbers.Number):
            raise TypeError(f"object of type '{type(output_ratio).__name__}' has no len()")
        if len(output_ratio) > 2:
            raise ValueError(
                "fractional_max_pool2d requires output_ratio to either be a single Int or "
                "tuple of Ints."
            )
        ratio = _tuple(output_ratio, 2)
        output_size = [int(input.shape[-2] * ratio[0]), int(input.shape[-1] * ratio[1])]
    kh, kw = _tuple(kernel_size, 2)
    oh, ow = _tuple(output_size, 2)
    batched = input.ndim == 4
    x = input if batched else input.unsqueeze(0)
    n, c, h, w = x.shape
    if _random_samples is None:
        _random_samples = rand(n, c, 2, dtype=input.dtype)
    if _random_samples.dtype != input.dtype:
        raise RuntimeError("Expect _random_samples to have the same dtype as input")
    if _random_samples.shape[2] != 2:
        raise RuntimeError(
            f"Expect _random_samples.size(2) equals to 2; got {_random_samples.shape[2]}."
        )
    if oh + kh - 1 > h:
        raise RuntimeError(
            f"fractional_max_pool2d(): pool height {kh} too large relative to input height {h}"
        )
    if ow + kw - 1 > w:
        raise RuntimeError(
            f"fractional_max_pool2d(): pool width {kw} too large relative to input width {w}"
        )
    holder: list = []
    out = FractionalMaxPool2d.apply(x, (kh, kw), (oh, ow), _random_samples._data, holder)
    indices = Tensor._make(holder[0], False, None)
    if not batched:
        out, indices = out.squeeze(0), indices.squeeze(0)
    return (out, indices) if return_indices else out


def fractional_max_pool2d(
    input: Tensor,
    kernel_size,
    output_size=None,
    output_ratio=None,
    return_indices: bool = False,
    _random_samples: Tensor | None = None,
):
    """2-D fractional max pooling (``torch.nn.functional.fractional_max_pool2d``)."""
    return fractional_max_pool2d_with_indices(
        input, kernel_size, output_size, output_ratio, return_indices, _random_samples
    )
