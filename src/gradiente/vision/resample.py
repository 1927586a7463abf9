"""Antialiased image resizing, as Pillow's ``Image.resize`` and torch's ``interpolate(...,
antialias=True)`` compute it: one separable filter per axis whose support grows with the
downscale factor.

Resizing an axis from ``n_in`` to ``n_out`` samples places output pixel ``x``'s centre at
``c = (x + 0.5) · s`` in input coordinates, ``s = n_in / n_out``. Its value is a weighted mean
of the input pixels ``j`` near ``c``, with weights from a filter ``K`` (the triangle
``max(0, 1 − |t|)`` for bilinear, Keys' cubic with a = −0.5 for bicubic)::

    f = max(s, 1)                         # the filter is stretched only when shrinking
    support = K's radius · f
    j ∈ [trunc(c − support + 0.5), trunc(c + support + 0.5)) ∩ [0, n_in)
    w_j = K((j − c + 0.5) / f),  normalised so that Σ w_j = 1

Stretching the filter by ``f`` when shrinking makes each output pixel average every input
pixel it covers (no aliasing: a plain bilinear resize reads only two of them). The 2-D resize
is one pass along the width, then one along the height.

Pillow computes 8-bit images in fixed point: the weights become integers ``round(w · 2²²)``,
each pass sums ``pixel · weight`` plus ``2²¹`` (to round), shifts right by 22 and clips to
[0, 255], so the intermediate image is 8-bit too. ``resize_uint8`` does exactly that and
agrees with Pillow to the last bit; ``resize_float`` is the same filter in floating point
(torch's and Pillow's "F" mode).
"""

from __future__ import annotations

import math

from gradiente.backend import xp

__all__ = ["FILTER_SUPPORT", "nearest_indices", "resample_weights", "resize_float", "resize_uint8"]

# Pillow's fixed-point precision for 8-bit images: 32 bits − 8 for the pixel − 2 for headroom
PRECISION_BITS = 32 - 8 - 2


def _triangle(t):
    """The bilinear filter: 1 − |t| on [−1, 1], 0 elsewhere."""
    return xp.maximum(1.0 - xp.abs(t), 0.0)


def _cubic(t, a: float = -0.5):
    """Keys' cubic convolution kernel with a = −0.5 (Pillow's and torch's antialiased bicubic)."""
    t = xp.abs(t)
    near = ((a + 2.0) * t - (a + 3.0)) * t * t + 1.0  # |t| < 1
    far = (((t - 5.0) * t + 8.0) * t - 4.0) * a  # 1 ≤ |t| < 2
    return xp.where(t < 1.0, near, xp.where(t < 2.0, far, 0.0))


# the filter and its radius, per interpolation mode
FILTER_SUPPORT = {"bilinear": (_triangle, 1.0), "bicubic": (_cubic, 2.0)}


def resample_weights(n_in: int, n_out: int, mode: str):
    """The taps and weights of each output sample along one axis.

    Returns ``(taps, weights)``, both (n_out, k): output ``x`` is
    ``Σ_k weights[x, k] · input[taps[x, k]]``. Taps past the filter's window have weight 0 (and
    a valid index, so that they can be gathered).
    """
    kernel, radius = FILTER_SUPPORT[mode]
    scale = n_in / n_out
    stretch = max(scale, 1.0)
    support = radius * stretch
    center = (xp.arange(n_out, dtype=xp.float64) + 0.5) * scale  # (n_out,)
    first = xp.maximum(xp.trunc(center - support + 0.5), 0).astype(xp.int64)
    stop = xp.minimum(xp.trunc(center + support + 0.5), n_in).astype(xp.int64)
    k = int(math.ceil(support)) * 2 + 1  # Pillow's window length
    taps = first[:, None] + xp.arange(k)  # (n_out, k)
    weights = kernel((taps - center[:, None] + 0.5) / stretch)
    weights = xp.where(taps < stop[:, None], weights, 0.0)
    total = weights.sum(axis=1, keepdims=True)
    weights = weights / xp.where(total == 0.0, 1.0, total)
    return xp.minimum(taps, n_in - 1), weights


def _fixed_point(weights):
    """Pillow's integer weights: w · 2²² rounded half away from zero."""
    scaled = weights * (1 << PRECISION_BITS)
    return xp.trunc(scaled + xp.where(scaled < 0, -0.5, 0.5)).astype(xp.int64)


def _resample_axis(a, axis: int, n_out: int, mode: str, fixed: bool):
    """Resample one axis of ``a`` to ``n_out`` samples (the other axes are independent)."""
    taps, weights = resample_weights(a.shape[axis], n_out, mode)
    moved = xp.moveaxis(a, axis, -1)  # (..., n_in)
    gathered = moved[..., taps]  # (..., n_out, k)
    if fixed:
        acc = (gathered.astype(xp.int64) * _fixed_point(weights)).sum(axis=-1)
        # + 2²¹ rounds the shift to the nearest integer; clip to the 8-bit range
        acc = (acc + (1 << (PRECISION_BITS - 1))) >> PRECISION_BITS
        out = xp.clip(acc, 0, 255).astype(xp.uint8)
    else:
        out = (gathered * weights).sum(axis=-1)
    return xp.moveaxis(out, -1, axis)


def resize_uint8(a, size: tuple[int, int], mode: str = "bilinear", axes=(0, 1)):
    """Pillow's ``Image.resize(size[::-1], BILINEAR or BICUBIC)`` on a uint8 array, bit for bit.

    ``axes`` are the (height, width) axes of ``a``. An axis whose size does not change is left
    alone, as Pillow does (the width is resampled first).
    """
    height_axis, width_axis = axes
    if a.shape[width_axis] != size[1]:
        a = _resample_axis(a, width_axis, size[1], mode, fixed=True)
    if a.shape[height_axis] != size[0]:
        a = _resample_axis(a, height_axis, size[0], mode, fixed=True)
    return a


def resize_float(a, size: tuple[int, int], mode: str = "bilinear", axes=(-2, -1)):
    """The antialiased resize of a float array, computed in float64 and returned in a's dtype
    (torch's ``interpolate(..., antialias=True, align_corners=False)``)."""
    height_axis, width_axis = axes
    out = a.astype(xp.float64)
    if out.shape[width_axis] != size[1]:
        out = _resample_axis(out, width_axis, size[1], mode, fixed=False)
    if out.shape[height_axis] != size[0]:
        out = _resample_axis(out, height_axis, size[0], mode, fixed=False)
    return out.astype(a.dtype)


def nearest_indices(n_in: int, n_out: int, exact: bool):
    """Source index of each output sample for nearest-neighbour resizing.

    ``exact`` (Pillow's rule, torch's "nearest-exact"): floor((x + 0.5) · n_in / n_out);
    otherwise torch's legacy "nearest": floor(x · s) with the float32 scale s = n_in / n_out.
    """
    x = xp.arange(n_out)
    if exact:
        index = xp.floor((x + 0.5) * (n_in / n_out))
    else:
        scale = xp.float32(n_in) / xp.float32(n_out)
        index = xp.floor(x.astype(xp.float32) * scale)
    return xp.minimum(index.astype(xp.int64), n_in - 1)
