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
(Pillow's "F" mode).

torch computes tensors its own way, and ``resize_torch`` follows it operation for operation
(``aten/src/ATen/native/cpu/UpSampleKernel.cpp``):

- float tensors: the same window, but the scale, centres and weights are computed in the
  tensor's own precision (float32 for float32 images), the cubic is written
  ``((a x − 5a) x + 8a) x − 4a`` beyond |t| = 1, and each output is the running sum
  ``acc += pixel_j · w_j`` as torch's compiled loop does it: in SIMD blocks of products first,
  then the leftover taps as fused multiply-adds (see ``_torch_axis_float``);
- uint8 tensors (torchvision's v2 path on x86 with AVX2): the weights in float64, then
  integers ``round(w · 2^p)`` with the largest precision ``p ≤ 22`` that keeps the largest
  weight inside int16; each pass adds ``2^(p−1)``, shifts by ``p`` and clips to [0, 255].
"""

from __future__ import annotations

import math

from gradiente.backend import xp
from gradiente.random import _fma32, _fma64

__all__ = [
    "FILTER_SUPPORT",
    "PIL_FILTERS",
    "nearest_indices",
    "resample_weights",
    "resize_float",
    "resize_torch",
    "resize_uint8",
]

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


def _box(t):
    """Pillow's box filter: 1 on [−½, ½)."""
    return xp.where((t >= -0.5) & (t < 0.5), 1.0, 0.0)


def _sinc(t):
    """sin(πt) / (πt), 1 at 0 (Pillow's ``sinc_filter``)."""
    safe = xp.where(t == 0.0, 1.0, t)
    return xp.where(t == 0.0, 1.0, xp.sin(safe * math.pi) / (safe * math.pi))


def _hamming(t):
    """Pillow's Hamming window: sinc(t) · (0.54 + 0.46 cos(πt)) on |t| < 1."""
    t = xp.abs(t)
    inside = _sinc(t) * (0.54 + 0.46 * xp.cos(t * math.pi))
    return xp.where(t == 0.0, 1.0, xp.where(t >= 1.0, 0.0, inside))


def _lanczos(t):
    """Pillow's Lanczos-3: sinc(t) · sinc(t / 3) on |t| < 3."""
    return xp.where((t > -3.0) & (t < 3.0), _sinc(t) * _sinc(t / 3.0), 0.0)


# the filter and its radius, per interpolation mode (Pillow's filters and supports)
FILTER_SUPPORT = {
    "bilinear": (_triangle, 1.0),
    "bicubic": (_cubic, 2.0),
    "box": (_box, 0.5),
    "hamming": (_hamming, 1.0),
    "lanczos": (_lanczos, 3.0),
}
# Pillow's resampling filter numbers (torchvision's ``pil_modes_mapping``)
PIL_FILTERS = {
    "nearest": 0,
    "nearest-exact": 0,
    "lanczos": 1,
    "bilinear": 2,
    "bicubic": 3,
    "box": 4,
    "hamming": 5,
}


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
    alone, as Pillow does. The width is resampled first, as Pillow ≤ 12 always does; Pillow 13
    sometimes runs the height first, and the 8-bit intermediate makes the order show, so the
    transforms call Pillow itself for the images it can hold (``transforms._resize_pil_array``).
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


# ---------------------------------------------------------------------------------------------
# torch's own arithmetic (tensors)
# ---------------------------------------------------------------------------------------------


def _fma(dtype):
    """The correctly rounded ``a · b + c`` of this precision."""
    return _fma32 if dtype == xp.float32 else _fma64


def _torch_filter(t, mode: str, dtype):
    """torch's ``aa_filter`` of each mode, evaluated in ``dtype`` as its FMA-contracted C++."""
    fma = _fma(dtype)
    x = xp.abs(t).astype(dtype)
    one, zero = dtype.type(1.0), dtype.type(0.0)
    if mode == "bilinear":
        return xp.where(x < one, one - x, zero).astype(dtype)
    if mode == "bicubic":
        a = dtype.type(-0.5)
        # ((a + 2) x − (a + 3)) x x + 1 on |x| < 1;  ((a x − 5a) x + 8a) x − 4a on 1 ≤ |x| < 2
        near = fma(fma(a + 2, x, -(a + 3)) * x, x, one)
        far = fma(fma(fma(a, x, -5 * a), x, 8 * a), x, -4 * a)
        return xp.where(x < one, near, xp.where(x < 2, far, zero)).astype(dtype)
    # lanczos: sinc(x) · sinc(x / 3) on |x| < 3
    return _lanczos(x.astype(xp.float64)).astype(dtype)


_TORCH_RADIUS = {"bilinear": 1.0, "bicubic": 2.0, "lanczos": 3.0}


def torch_weights(n_in: int, n_out: int, mode: str, dtype):
    """torch's antialiased taps along one axis, as ``_compute_indices_min_size_weights_aa``
    computes them in ``dtype``: returns ``(first, weights)``, weights (n_out, k), 0 past each
    window."""
    dtype = xp.dtype(dtype)
    scale = dtype.type(n_in) / dtype.type(n_out)
    radius = _TORCH_RADIUS[mode]
    support = dtype.type(radius * float(scale)) if scale >= 1.0 else dtype.type(radius)
    k = int(math.ceil(support)) * 2 + 1
    invscale = dtype.type(1.0 / float(scale)) if scale >= 1.0 else dtype.type(1.0)
    # centre = scale · (i + 0.5), in double, stored in dtype
    center = (float(scale) * (xp.arange(n_out, dtype=xp.float64) + 0.5)).astype(dtype)
    # the C++ casts truncate: (centre ∓ support) in dtype, + 0.5 in double
    first = xp.maximum(xp.trunc((center - support).astype(xp.float64) + 0.5), 0).astype(xp.int64)
    stop = xp.minimum(xp.trunc((center + support).astype(xp.float64) + 0.5), n_in)
    size = xp.clip(stop.astype(xp.int64) - first, 0, k)  # (n_out,)
    j = xp.arange(k)
    # ((j + first) − centre) in dtype, + 0.5 and · invscale in double, then dtype
    offset = (first[:, None] + j).astype(dtype) - center[:, None]
    arg = ((offset.astype(xp.float64) + 0.5) * float(invscale)).astype(dtype)
    inside = j < size[:, None]
    weights = xp.where(inside, _torch_filter(arg, mode, dtype), dtype.type(0))
    total = xp.zeros(n_out, dtype)
    for col in range(k):  # the running sum of the C++ loop
        total = (total + weights[:, col]).astype(dtype)
    weights = xp.where(
        total[:, None] != 0, weights / xp.where(total == 0, 1, total)[:, None], weights
    )
    return first, weights.astype(dtype), size


# taps of torch's running sum that its compiled loop takes in SIMD blocks, per dtype
_SIMD_BLOCK = {xp.dtype(xp.float32): 4, xp.dtype(xp.float64): 2}


def _torch_axis_float(a, axis: int, n_out: int, mode: str):
    """One float pass: ``acc = p₀ w₀``, then ``acc += p_j w_j`` for j = 1 … size − 1.

    The compiled C++ loop runs the first ⌊(size − 1) / B⌋·B of those steps in SIMD blocks (each
    product rounded, then added in order) and the rest one by one as fused multiply-adds
    (B = 4 floats, 2 doubles): both kinds of step are reproduced.
    """
    dtype = a.dtype
    first, weights, size = torch_weights(a.shape[axis], n_out, mode, dtype)
    moved = xp.moveaxis(a, axis, -1)  # (..., n_in)
    last = a.shape[axis] - 1
    fma = _fma(dtype)
    block = _SIMD_BLOCK[xp.dtype(dtype)]
    blocked = (size - 1) // block * block  # (n_out,) steps taken in SIMD blocks
    acc = moved[..., xp.minimum(first, last)] * weights[:, 0]
    for j in range(1, weights.shape[1]):
        taps = moved[..., xp.minimum(first + j, last)]
        step = xp.where(j <= blocked, acc + taps * weights[:, j], fma(taps, weights[:, j], acc))
        acc = xp.where(j < size, step, acc).astype(dtype)
    return xp.moveaxis(acc.astype(dtype), -1, axis)


def _int16_weights(weights):
    """torch's ``_compute_index_ranges_int16_weights``: the largest precision p ≤ 22 with
    ``round(max w · 2^(p+1)) < 2^15``, and the weights ``round(w · 2^p)`` (half away from 0)."""
    w_max = float(weights.max(initial=0.0))
    precision = 0
    while precision < 22 and int(0.5 + w_max * (1 << (precision + 1))) < (1 << 15):
        precision += 1
    v = weights * float(1 << precision)
    return xp.trunc(xp.where(v < 0, v - 0.5, v + 0.5)).astype(xp.int64), precision


def _torch_axis_uint8(a, axis: int, n_out: int, mode: str):
    """One uint8 pass of torch's native kernel: integer weights, ``+ 2^(p−1)``, ``>> p``,
    clipped to [0, 255]."""
    first, weights, size = torch_weights(a.shape[axis], n_out, mode, xp.float64)
    iweights, precision = _int16_weights(weights)
    moved = xp.moveaxis(a, axis, -1).astype(xp.int64)
    last = a.shape[axis] - 1
    acc = xp.full(moved.shape[:-1] + (n_out,), 1 << (precision - 1), dtype=xp.int64)
    for j in range(iweights.shape[1]):
        taps = moved[..., xp.minimum(first + j, last)]
        acc += xp.where(j < size, taps * iweights[:, j], 0)
    out = xp.clip(acc >> precision, 0, 255).astype(xp.uint8)
    return xp.moveaxis(out, -1, axis)


def resize_torch(a, size: tuple[int, int], mode: str = "bilinear"):
    """torch's ``interpolate(..., antialias=True)`` on the last two axes of a float array (in
    its precision), or its native uint8 kernel on a uint8 array: width first, then height."""
    one_pass = _torch_axis_uint8 if a.dtype == xp.uint8 else _torch_axis_float
    if a.shape[-1] != size[1]:
        a = one_pass(a, a.ndim - 1, size[1], mode)
    if a.shape[-2] != size[0]:
        a = one_pass(a, a.ndim - 2, size[0], mode)
    return a
