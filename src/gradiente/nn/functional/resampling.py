"""Resizing images and feature maps: ``pixel_shuffle``/``pixel_unshuffle`` and
``interpolate`` (nearest, nearest-exact, (bi/tri)linear, area), index for index as PyTorch's CPU
kernels compute it, so that resized images match torch's bit for bit."""

from __future__ import annotations

import math
import numbers

from gradiente.backend import xp
from gradiente.ops import reduce as R
from gradiente.ops.pool import adaptive_avg_pool1d, adaptive_avg_pool2d
from gradiente.tensor import Tensor


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """(*, C·r², H, W) → (*, C, H·r, W·r): sub-pixel convolution's rearrangement (Shi et al.,
    2016)."""
    r = upscale_factor
    *batch, c, h, w = input.shape
    if c % (r * r):
        raise RuntimeError(
            f"pixel_shuffle expects its input's 'channel' dimension to be divisible by the "
            f"square of upscale_factor, but input.size(-3)={c} is not divisible by {r * r}"
        )
    n = len(batch)
    x = input.reshape(*batch, c // (r * r), r, r, h, w)
    # (*, C, r, r, H, W) → (*, C, H, r, W, r)
    x = x.permute(*range(n), n, n + 3, n + 1, n + 4, n + 2)
    return x.reshape(*batch, c // (r * r), h * r, w * r)


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """(*, C, H·r, W·r) → (*, C·r², H, W): the inverse of ``pixel_shuffle``."""
    r = downscale_factor
    *batch, c, h, w = input.shape
    if h % r or w % r:
        raise RuntimeError(
            f"pixel_unshuffle expects height and width to be divisible by downscale_factor, "
            f"but got height={h} and width={w} with downscale_factor={r}"
        )
    n = len(batch)
    x = input.reshape(*batch, c, h // r, r, w // r, r)
    # (*, C, H, r, W, r) → (*, C, r, r, H, W)
    x = x.permute(*range(n), n, n + 2, n + 4, n + 1, n + 3)
    return x.reshape(*batch, c * r * r, h // r, w // r)


_INTERPOLATE_DIMS = {
    "nearest": (1, 2, 3),
    "nearest-exact": (1, 2, 3),
    "linear": (1,),
    "bilinear": (2,),
    "trilinear": (3,),
    "area": (1, 2),
}


def _interpolate_integer_check(x, mode: str, dims: int) -> None:
    """PyTorch's CPU resize kernels take floating input, plus uint8 for the nearest modes and
    bilinear (images); every other case raises its "... not implemented for 'Long'" error,
    named after the kernel that refuses the dtype."""
    if x.dtype.kind == "f" or (x.dtype == xp.uint8 and mode in ("nearest", "nearest-exact")):
        return
    if x.dtype == xp.uint8 and mode == "bilinear":
        return
    if mode == "area":
        kernel = "adaptive_avg_pool2d"
    elif mode in ("nearest", "nearest-exact"):
        kernel = (
            "upsample_nearest2d_channels_last" if dims == 2 else "compute_indices_weights_nearest"
        )
    elif mode == "bilinear":
        kernel = "upsample_bilinear2d_channels_last"
    else:
        kernel = "compute_indices_weights_linear"
    raise NotImplementedError(f"\"{kernel}\" not implemented for '{R.torch_type_name(x.dtype)}'")


def _nearest_exact_index(n_in: int, n_out: int, scale: float | None, dtype):
    """PyTorch's ``nearest-exact`` source index: min(⌊(i + ½) · s⌋, n_in − 1), the pixel whose
    centre is nearest to output centre i (s = 1/scale_factor or n_in/n_out, in ``dtype``)."""
    i = xp.arange(n_out).astype(dtype)
    s = dtype.type(1.0 / scale) if scale else dtype.type(n_in) / dtype.type(n_out)
    return xp.minimum(xp.floor((i + dtype.type(0.5)) * s).astype(xp.int64), n_in - 1)


def _uint8_linear_axis(x, axis: int, n_out: int, scale, align_corners: bool):
    """Resize uint8 ``x`` along ``axis`` as PyTorch's uint8 bilinear kernel does: the two
    weights of each output in fixed point (int16 at the largest precision that fits), the
    integer dot product rounded (+ half an LSB, shift right) and clipped to [0, 255]."""
    n_in = x.shape[axis]
    if align_corners:
        step = (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
    else:
        step = 1.0 / scale if scale else n_in / n_out
    starts = xp.zeros(n_out, dtype=xp.int64)
    weights = xp.zeros((n_out, 2))
    for i in range(n_out):
        src = step * i if align_corners else max(step * (i + 0.5) - 0.5, 0.0)
        index = min(int(xp.floor(xp.float32(src))), n_in - 1)
        lam = min(max(src - index, 0.0), 1.0)
        size = min(index + 2, n_in) - index  # taps inside the input: 1 at the last pixel
        w_index = 0
        for j in range(2):  # taps index + j, the ones past the edge folded onto the last
            if index + j >= n_in - 1:
                w_index = size - 1
            weights[i, w_index] += max(0.0, 1.0 - abs(j - lam))
            w_index += 1
        weights[i, size:] = 0.0
        starts[i] = index
    precision = 0
    while precision < 22 and int(0.5 + weights.max() * (1 << (precision + 1))) < (1 << 15):
        precision += 1
    w16 = xp.trunc(weights * (1 << precision) + 0.5).astype(xp.int64)  # weights are ≥ 0
    xm = xp.moveaxis(x, axis, -1).astype(xp.int64)
    acc = xp.full(xm.shape[:-1] + (n_out,), 1 << (precision - 1), dtype=xp.int64)
    for j in range(2):
        acc += xm[..., xp.minimum(starts + j, n_in - 1)] * w16[:, j]
    return xp.moveaxis(xp.clip(acc >> precision, 0, 255).astype(xp.uint8), -1, axis)


def _nearest_index(n_in: int, n_out: int, scale: float | None):
    """Source index of each output position, as PyTorch's ``nearest_idx`` computes it (in
    float32: min(⌊i · s⌋, n_in − 1) with s = 1/scale_factor or n_in/n_out)."""
    i = xp.arange(n_out)
    if n_out == n_in:
        return i
    if n_out == 2 * n_in:
        return i >> 1
    s = xp.float32(1.0 / scale) if scale else xp.float32(n_in) / xp.float32(n_out)
    return xp.minimum(xp.floor(i.astype(xp.float32) * s).astype(xp.int64), n_in - 1)


def _linear_weights(n_in: int, n_out: int, scale: float | None, align_corners: bool, dtype):
    """(i0, i1, λ0, λ1): the two source indices and weights of each output position, as
    PyTorch's ``compute_indices_weights_linear`` (in the input's float dtype)."""
    i = xp.arange(n_out).astype(dtype)
    if align_corners:
        s = dtype.type((n_in - 1) / (n_out - 1)) if n_out > 1 else dtype.type(0)
        src = s * i
    else:
        s = dtype.type(1.0 / scale) if scale else dtype.type(n_in) / dtype.type(n_out)
        # the centre of output pixel i in input coordinates, clamped at 0
        src = xp.maximum(s * (i + dtype.type(0.5)) - dtype.type(0.5), dtype.type(0))
    i0 = xp.minimum(src.astype(xp.int64), n_in - 1)
    lambda1 = xp.clip(src - i0.astype(dtype), 0, 1).astype(dtype)
    i1 = i0 + (i0 < n_in - 1)
    return i0, i1, (1 - lambda1).astype(dtype), lambda1


def _take(x: Tensor, axis: int, index) -> Tensor:
    return x.index_select(axis, Tensor._make(xp.asarray(index, dtype=xp.int64)))


def interpolate(
    input: Tensor,
    size=None,
    scale_factor=None,
    mode: str = "nearest",
    align_corners: bool | None = None,
    recompute_scale_factor: bool | None = None,
    antialias: bool = False,
) -> Tensor:
    """Resize the spatial axes (all after N, C) to ``size`` or by ``scale_factor``.

    Modes: ``'nearest'`` (1-3 spatial axes), ``'linear'``, ``'bilinear'``, ``'trilinear'``
    (1, 2, 3 axes; ``align_corners`` maps the corner pixels' centres onto each other).
    """
    if mode not in _INTERPOLATE_DIMS:
        raise NotImplementedError(
            f"interpolate: mode {mode!r} is not supported by gradiente (supported: "
            f"{', '.join(_INTERPOLATE_DIMS)})"
        )
    if antialias:
        raise NotImplementedError("interpolate: antialias=True is not supported by gradiente")
    dims = input.ndim - 2
    if dims not in _INTERPOLATE_DIMS[mode]:
        raise NotImplementedError(
            f"Got {input.ndim}D input, but {mode} mode needs "
            f"{' or '.join(str(d + 2) for d in _INTERPOLATE_DIMS[mode])}D input"
        )
    if mode in ("nearest", "nearest-exact", "area") and align_corners is not None:
        raise ValueError(
            "align_corners option can only be set with the interpolating modes: "
            "linear | bilinear | bicubic | trilinear"
        )
    if (size is None) == (scale_factor is None):
        raise ValueError("either size or scale_factor should be defined, and not both")
    in_sizes = input.shape[2:]
    if size is not None:
        sizes = [int(size)] * dims if isinstance(size, numbers.Number) else [int(v) for v in size]
        scales = [None] * dims
    else:
        scales = (
            [float(scale_factor)] * dims
            if isinstance(scale_factor, numbers.Number)
            else [float(v) for v in scale_factor]
        )
        sizes = [int(math.floor(n * s)) for n, s in zip(in_sizes, scales, strict=True)]
        if recompute_scale_factor:
            scales = [None] * dims
    if len(sizes) != dims:
        raise ValueError(
            f"Input and output must have the same number of spatial dimensions, but got input "
            f"with spatial dimensions of {list(in_sizes)} and output size of {sizes}."
        )
    _interpolate_integer_check(input._data, mode, dims)
    out = input
    if mode == "area":  # the mean over each adaptive window
        pool = adaptive_avg_pool1d if dims == 1 else adaptive_avg_pool2d
        return pool(input, sizes)
    if mode == "nearest":
        for k, (n_in, n_out, scale) in enumerate(zip(in_sizes, sizes, scales, strict=True)):
            out = _take(out, 2 + k, _nearest_index(n_in, n_out, scale))
        return out
    if mode == "nearest-exact":
        dt = input._data.dtype if input._data.dtype.kind == "f" else xp.dtype(xp.float32)
        for k, (n_in, n_out, scale) in enumerate(zip(in_sizes, sizes, scales, strict=True)):
            out = _take(out, 2 + k, _nearest_exact_index(n_in, n_out, scale, dt))
        return out
    if input._data.dtype == xp.uint8:  # bilinear on images: the last axis first, like torch
        y = input._data
        for k in reversed(range(dims)):
            if sizes[k] != in_sizes[k]:
                y = _uint8_linear_axis(y, 2 + k, sizes[k], scales[k], bool(align_corners))
        return Tensor._make(xp.ascontiguousarray(y))
    dtype = input._data.dtype
    # separable: interpolate along one axis at a time, the last one first
    for k in reversed(range(dims)):
        i0, i1, w0, w1 = _linear_weights(
            in_sizes[k], sizes[k], scales[k], bool(align_corners), dtype
        )
        shape = (-1,) + (1,) * (dims - 1 - k)
        w0 = Tensor._make(w0.reshape(shape)).to(input.device)  # host weights, to the device
        w1 = Tensor._make(w1.reshape(shape)).to(input.device)
        out = _take(out, 2 + k, i0) * w0 + _take(out, 2 + k, i1) * w1
    return out


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Deprecated alias of ``interpolate``."""
    return interpolate(input, size, scale_factor, mode, align_corners)
