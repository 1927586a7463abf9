"""Resizing images and feature maps: ``pixel_shuffle``/``pixel_unshuffle`` and
``interpolate`` (nearest, nearest-exact, (bi/tri)linear, bicubic, area, and antialiased
bilinear/bicubic), index for index as PyTorch's CPU kernels compute it, so that resized images
match torch's.

Every mode but nearest is *separable*: along one spatial axis, output i is a weighted sum of a
few input samples, out[i] = Σₖ w[i, k] · x[index[i, k]]. So one table (index, w) per axis
describes a mode, and ``_resample_axis`` applies it with one gather, a product and a sum:
autograd then gives the exact adjoint (the gradient scatters back with the same weights)."""

from __future__ import annotations

import math
import numbers
import warnings

from gradiente.autograd.grad_mode import no_grad
from gradiente.backend import get_array_module, xp
from gradiente.ops import reduce as R
from gradiente.ops.adaptive_pool import (
    adaptive_size_3d,
    batched_3d,
    check_avg_3d,
    empty_grad_guard,
)
from gradiente.ops.geometry import follows_channels_last
from gradiente.ops.loss import ShownAs
from gradiente.ops.pool import adaptive_avg_pool1d, adaptive_avg_pool2d
from gradiente.ops.reduced_pool import AdaptiveAvgPool3dReduced, ValuesOf
from gradiente.random import _fma32, _fma64  # exact fused multiply-add, as torch's kernels
from gradiente.tensor import Tensor, linspace, ones, stack, where


@follows_channels_last
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
    return _fresh(x.reshape(*batch, c // (r * r), h * r, w * r))


def _fresh(t: Tensor) -> Tensor:
    """``t``, copied if it is a view: torch's pixel (un)shuffle kernels return new memory (with
    a factor of 1 the rearrangement is the identity, and a view of a leaf would refuse the
    in-place ops torch allows on the result)."""
    return t.clone() if t._base is not None else t


@follows_channels_last
def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """(*, C, H·r, W·r) → (*, C·r², H, W): the inverse of ``pixel_shuffle``."""
    r = downscale_factor
    *batch, c, h, w = input.shape
    for axis, size, dim in (("height", h, -2), ("width", w, -1)):  # torch's checks, in order
        if size % r:
            raise RuntimeError(
                f"pixel_unshuffle expects {axis} to be divisible by downscale_factor, but "
                f"input.size({dim})={size} is not divisible by {r}"
            )
    n = len(batch)
    x = input.reshape(*batch, c, h // r, r, w // r, r)
    # (*, C, H, r, W, r) → (*, C, r, r, H, W)
    x = x.permute(*range(n), n, n + 2, n + 4, n + 1, n + 3)
    return _fresh(x.reshape(*batch, c * r * r, h // r, w // r))


_INTERPOLATE_DIMS = {
    "nearest": (1, 2, 3),
    "nearest-exact": (1, 2, 3),
    "linear": (1,),
    "bilinear": (2,),
    "trilinear": (3,),
    "bicubic": (2,),
    "area": (1, 2, 3),
}


def _interpolate_integer_check(x, mode: str, dims: int, antialias: bool) -> None:
    """PyTorch's CPU resize kernels take floating input, plus uint8 for the nearest modes and
    bilinear (images); every other case raises its "... not implemented for 'Long'" error,
    named after the kernel that refuses the dtype."""
    if str(x.dtype) == "bfloat16" and not antialias:  # its NumPy kind is not "f"
        return  # (its kernels: _in_float32, reduced_pool.py)
    if x.dtype.kind == "f" or (x.dtype == xp.uint8 and mode in ("nearest", "nearest-exact")):
        return
    if x.dtype == xp.uint8 and (mode == "bicubic" or antialias):
        raise NotImplementedError(
            f"interpolate: uint8 input with mode {mode!r} and antialias={antialias} is not "
            "supported by gradiente (torch's fixed-point kernels are not reproduced); convert "
            "to float first"
        )
    if x.dtype == xp.uint8 and mode == "bilinear":
        return
    if mode == "area":
        kernel = "adaptive_avg_pool3d_cpu" if dims == 3 else "adaptive_avg_pool2d"
    elif mode == "bicubic":
        kernel = "compute_indices_weights_cubic"
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


def _centre(s, i, dtype):
    """s·(i + ½) − ½, the centre of output pixel i in input coordinates, with one rounding:
    in torch's bicubic kernel the compiler fuses it into an FMA, which decides the side of an
    integer the centre falls on (s = 1/3, i = 1: −2.8e-17, not 0; bilinear's is not fused)."""
    fma = _fma32 if dtype == xp.float32 else _fma64
    return fma(s, i + dtype.type(0.5), dtype.type(-0.5)).astype(dtype, copy=False)


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


def _source_scale(n_in: int, n_out: int, scale: float | None, align_corners: bool) -> float:
    """PyTorch's ``area_pixel_compute_scale``: input pixels per output pixel. With
    ``align_corners`` the corner centres meet, (n_in − 1)/(n_out − 1); otherwise the edges
    meet, 1/scale_factor when one was given, else n_in/n_out."""
    if align_corners:
        return (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
    return 1.0 / scale if scale else n_in / n_out


def _cubic_convolution(x, a: float):
    """Keys' cubic convolution kernel (1981) at distance |x| ≤ 2 with parameter ``a``:
    (a+2)|x|³ − (a+3)|x|² + 1 for |x| ≤ 1, a|x|³ − 5a|x|² + 8a|x| − 4a for 1 < |x| < 2, 0 beyond."""
    x = abs(x)
    inner = ((a + 2) * x - (a + 3)) * x * x + 1
    outer = ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    return xp.where(x < 1, inner, xp.where(x < 2, outer, 0 * x))


def _cubic_table(n_in: int, n_out: int, scale: float | None, align_corners: bool, dtype):
    """(index, w), each (n_out, 4): PyTorch's bicubic taps. Output i sits at source position
    src = s·i (``align_corners``) or s·(i + ½) − ½ (not clamped at 0, unlike linear); its four
    taps are ⌊src⌋ − 1 … ⌊src⌋ + 2, clamped into the image (the border pixel repeats), weighted
    by the cubic convolution kernel with a = −0.75 at distances t + 1, t, 1 − t, 2 − t."""
    s = dtype.type(_source_scale(n_in, n_out, scale, align_corners))
    i = xp.arange(n_out).astype(dtype)
    src = s * i if align_corners else _centre(s, i, dtype)
    # torch's ``guard_index_and_lambda`` floors with ``floorf``: the index of a float32 copy
    i0 = xp.minimum(xp.floor(src.astype(xp.float32)).astype(xp.int64), n_in - 1)
    t = xp.clip(src - i0.astype(dtype), 0, 1).astype(dtype)
    distances = xp.stack([t + 1, t, 1 - t, 2 - t], axis=-1)
    w = _cubic_convolution(distances, dtype.type(-0.75)).astype(dtype)
    index = xp.clip(i0[:, None] + xp.arange(-1, 3), 0, n_in - 1)
    return index, w


def _triangle_filter(x):
    """The bilinear (tent) filter max(0, 1 − |x|)."""
    return xp.maximum(0 * x, 1 - abs(x))


def _antialias_table(n_in: int, n_out: int, scale, align_corners: bool, mode: str, dtype):
    """(index, w), each (n_out, K): PyTorch's antialiased taps (``_compute_weights_aa``, the
    filters of Pillow's resize). When shrinking (s = input pixels per output pixel ≥ 1) the
    filter is stretched by s, so that each output averages every input pixel under its
    footprint instead of skipping some (aliasing): support = s · interp_size/2, filter
    evaluated at (x − centre)/s. The taps of output i are the input pixels j whose centres lie
    within the support of centre = s·(i + ½); their weights are normalised to sum to 1, which
    also handles the borders (no clamping). Bicubic uses the kernel with a = −0.5 here."""
    s = _source_scale(n_in, n_out, scale, align_corners)
    interp_size = 2 if mode == "bilinear" else 4
    support = interp_size * 0.5 * s if s >= 1.0 else interp_size * 0.5
    K = int(math.ceil(support)) * 2 + 1
    invscale = 1.0 / s if s >= 1.0 else 1.0
    centre = s * (xp.arange(n_out) + 0.5)
    xmin = xp.maximum((centre - support + 0.5).astype(xp.int64), 0)
    xmax = xp.minimum((centre + support + 0.5).astype(xp.int64), n_in)
    j = xmin[:, None] + xp.arange(K)  # (n_out, K) candidate taps
    x = (j - centre[:, None] + 0.5) * invscale
    w = _triangle_filter(x) if mode == "bilinear" else _cubic_convolution(x, -0.5)
    w = xp.where(j < xmax[:, None], w, 0.0)
    total = w.sum(axis=1, keepdims=True)
    w = xp.where(total != 0, w / xp.where(total != 0, total, 1.0), w)
    return xp.minimum(j, n_in - 1), w.astype(dtype)


def _area_table(n_in: int, n_out: int, dtype):
    """(index, w), each (n_out, K): adaptive average pooling along one axis. Output i averages
    input pixels ⌊i·n_in/n_out⌋ … ⌈(i+1)·n_in/n_out⌉ − 1 (weights 1/count, padded with zeros
    to the widest window). Means over boxes are separable: averaging each axis in turn equals
    ``adaptive_avg_pool3d``."""
    i = xp.arange(n_out)
    start = (i * n_in) // n_out
    end = -((-(i + 1) * n_in) // n_out)
    count = end - start
    K = int(count.max())
    j = start[:, None] + xp.arange(K)
    w = xp.where(j < end[:, None], 1.0 / count[:, None], 0.0)
    return xp.minimum(j, n_in - 1), w.astype(dtype)


def _resample_axis(x: Tensor, axis: int, index, w, in_order: bool = False) -> Tensor:
    """out[..., i, ...] = Σₖ w[i, k] · x[..., index[i, k], ...] along ``axis``: one gather of
    all taps, (…, n_out, K), times the weights, summed over the taps; ``in_order`` adds the
    products left to right, x₀w₀ + x₁w₁ + x₂w₂ + x₃w₃, as torch's bicubic kernel does (which
    decides the sign of a zero sum)."""
    n_out, K = index.shape
    moved = x.movedim(axis, -1)
    taps = _take(moved, -1, index.reshape(-1)).reshape(*moved.shape[:-1], n_out, K)
    weights = Tensor._make(xp.ascontiguousarray(w)).to(x.device)
    products = taps * weights
    if not in_order:
        return products.sum(-1).movedim(-1, axis)
    out = products[..., 0]
    for k in range(1, K):
        out = out + products[..., k]
    return out.movedim(-1, axis)


def _take(x: Tensor, axis: int, index) -> Tensor:
    return x.index_select(axis, Tensor._make(xp.asarray(index, dtype=xp.int64)))


_NODE_NAMES = {
    "nearest": "UpsampleNearest{d}DBackward0",
    "nearest-exact": "UpsampleNearestExact{d}DBackward0",
    "linear": "UpsampleLinear1DBackward0",
    "bilinear": "UpsampleBilinear2DBackward0",
    "trilinear": "UpsampleTrilinear3DBackward0",
    "bicubic": "UpsampleBicubic2DBackward0",
    "area": "AdaptiveAvgPool3DBackward0",  # the 1-D and 2-D cases are adaptive_avg_pool's own
}


def adaptive_avg_pool3d(input: Tensor, output_size) -> Tensor:
    """Average pooling of (N, C, D, H, W) (or unbatched (C, D, H, W)) to a fixed (OD, OH, OW)
    (None keeps that input size), as in PyTorch: output i averages the window
    [⌊i·I/O⌋, ⌈(i + 1)·I/O⌉) along each axis — ``interpolate``'s 'area' mode, whose box means
    are separable, recorded as torch's ``AdaptiveAvgPool3DBackward0``. To (1, 1, 1) it is a
    plain mean, as in torch."""
    sizes = adaptive_size_3d("adaptive_avg_pool3d", input, output_size)
    if not check_avg_3d(input, sizes):  # to (1, 1, 1) it is a plain mean, as in torch
        return input.mean((-3, -2, -1), keepdim=True)
    x, unbatched = batched_3d("adaptive_avg_pool3d", input)
    _interpolate_integer_check(x._data, "area", 3, False)
    if x.numel() == 0 or 0 in sizes:  # an empty result
        out = x.new_zeros((*x.shape[:2], *sizes))
        out = (out + x.sum() * 0) if x.requires_grad else out  # keeps the graph
        out = out.squeeze(0) if unbatched else out
        return empty_grad_guard("adaptive_avg_pool3d", out, tuple(out.shape))
    if str(x._data.dtype) in ("float16", "bfloat16"):  # torch sums in the 16-bit type
        out = AdaptiveAvgPool3dReduced.apply(x, tuple(sizes))
        return out.squeeze(0) if unbatched else out
    out = _interpolate(x, size=sizes, mode="area")
    if unbatched:
        out = out.squeeze(0)
    return ShownAs.apply(out, "AdaptiveAvgPool3DBackward0", input) if out.requires_grad else out


@follows_channels_last
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

    Modes: ``'nearest'``, ``'nearest-exact'`` and ``'area'`` (1-3 spatial axes),
    ``'linear'``, ``'bilinear'``, ``'bicubic'``, ``'trilinear'`` (1, 2, 2, 3 axes;
    ``align_corners`` maps the corner pixels' centres onto each other). ``antialias=True``
    (bilinear and bicubic) widens the filter when shrinking, as Pillow does. The result is
    composed of gathers and products, recorded as torch's one upsampling node
    (``UpsampleBilinear2DBackward0``, ...).
    """
    args = (size, scale_factor, mode, align_corners, recompute_scale_factor)
    if _in_float32(input, mode, antialias):  # torch's float16/bfloat16 kernels: opmath float
        out = _interpolate(input.float(), *args)
        if mode == "bicubic":  # the values with 16-bit weights, the gradient float32's
            with no_grad():
                exact = _interpolate(input.float(), *args, cubic_weights=input._data.dtype)
            out = ValuesOf.apply(out, exact._data)
        out = out.to(input.dtype)
    else:
        out = _interpolate(
            input, size, scale_factor, mode, align_corners, recompute_scale_factor, antialias
        )
    if not out.requires_grad or (mode == "area" and input.ndim < 5):
        return out
    name = _NODE_NAMES[mode].format(d=input.ndim - 2)
    if antialias:
        name = name.replace("DBackward0", "DAaBackward0")
    return ShownAs.apply(out, name, input)


def _in_float32(input: Tensor, mode: str, antialias: bool) -> bool:
    """Whether torch resizes this float16 or bfloat16 input as its float32 copy, rounding the
    result once (and the gradient once): the nearest, (bi/tri)linear and bicubic kernels compute
    in float, bicubic with weights stored in the 16-bit type (checked bit for bit against torch
    2.13; area is adaptive pooling's, antialias is not reproduced)."""
    name = getattr(getattr(input, "_data", None), "dtype", None)  # (a non-tensor: refused later)
    return (
        str(name) in ("float16", "bfloat16")
        and mode in ("nearest", "nearest-exact", "linear", "bilinear", "trilinear", "bicubic")
        and not antialias
    )


def _rank_error(mode: str, ndim: int) -> NotImplementedError:
    """torch's error for an input whose rank does not fit ``mode`` (or a mode it does not
    know): the modes of one rank name it, when the input is 3-D to 5-D."""
    wanted = _INTERPOLATE_DIMS.get(mode, ())
    if mode != "bicubic" and len(wanted) == 1 and 3 <= ndim <= 5:
        return NotImplementedError(
            f"Got {ndim}D input, but {mode} mode needs {wanted[0] + 2}D input"
        )
    return NotImplementedError(
        f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {ndim}D) for the modes: "
        "nearest | linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact "
        f"(got {mode})"
    )


def _output_sizes(input: Tensor, size, scale_factor, recompute_scale_factor):
    """The output sizes and the scales the kernels use (``None``: from the sizes), checked in
    the order and with the messages of torch's ``interpolate``.

    ``recompute_scale_factor=True`` keeps only the floored sizes, so the kernels map pixels by
    ``in / out`` rather than by the given factor.
    """
    dims = input.ndim - 2
    in_sizes = list(input.shape[2:])
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is None and scale_factor is None:
        raise ValueError("either size or scale_factor should be defined")
    if size is not None:
        if recompute_scale_factor:
            raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
        if isinstance(size, (list, tuple)) and len(size) != dims:
            raise ValueError(
                "Input and output must have the same number of spatial dimensions, but got "
                f"input with spatial dimensions of {in_sizes} and output size of {size}. "
                "Please provide input tensor in (N, C, d1, d2, ...,dK) format and "
                "output size in (o1, o2, ...,oK) format."
            )
        sizes = [int(size)] * dims if isinstance(size, numbers.Number) else [int(v) for v in size]
        return sizes, [None] * dims
    if isinstance(scale_factor, (list, tuple)) and len(scale_factor) != dims:
        raise ValueError(
            "Input and scale_factor must have the same number of spatial dimensions, but "
            f"got input with spatial dimensions of {in_sizes} and "
            f"scale_factor of shape {scale_factor}. "
            "Please provide input tensor in (N, C, d1, d2, ...,dK) format and "
            "scale_factor in (s1, s2, ...,sK) format."
        )
    scales = (
        [float(scale_factor)] * dims
        if isinstance(scale_factor, numbers.Number)
        else [float(v) for v in scale_factor]
    )
    sizes = [int(math.floor(n * s)) for n, s in zip(in_sizes, scales, strict=True)]
    return sizes, ([None] * dims if recompute_scale_factor else scales)


def _interpolate(
    input: Tensor,
    size=None,
    scale_factor=None,
    mode: str = "nearest",
    align_corners: bool | None = None,
    recompute_scale_factor: bool | None = None,
    antialias: bool = False,
    cubic_weights=None,
) -> Tensor:
    """``interpolate``'s resizing, composed of Tensor ops (bicubic weights rounded to the
    dtype ``cubic_weights`` when given)."""
    if mode == "lanczos":  # a torch mode gradiente does not have
        raise NotImplementedError(
            f"interpolate: mode {mode!r} is not supported by gradiente (supported: "
            f"{', '.join(_INTERPOLATE_DIMS)})"
        )
    if mode in ("nearest", "nearest-exact", "area") and align_corners is not None:
        raise ValueError(
            "align_corners option can only be set with the interpolating modes: "
            "linear | bilinear | bicubic | trilinear"
        )
    dims = input.dim() - 2  # dim() as torch calls it: a NumPy array fails there as in torch
    in_sizes = input.shape[2:]
    sizes, scales = _output_sizes(input, size, scale_factor, recompute_scale_factor)
    if antialias and not (mode in ("bilinear", "bicubic") and input.ndim == 4):
        raise ValueError(
            "Anti-alias option is restricted to bilinear, bicubic, and lanczos modes and "
            "requires a 4-D tensor as input"
        )
    if dims not in _INTERPOLATE_DIMS.get(mode, ()):
        raise _rank_error(mode, input.ndim)
    if mode != "area" and (min(sizes) <= 0 or min(in_sizes) <= 0):  # area: empty pools
        axes = "DHW"[3 - dims :]
        shown_in = ", ".join(f"{a}: {n}" for a, n in zip(axes, in_sizes, strict=True))
        shown_out = ", ".join(f"{a}: {n}" for a, n in zip(axes, sizes, strict=True))
        joint = " and" if dims == 1 else ""  # torch's 1-D kernels word it so
        raise RuntimeError(
            f"Input and output sizes should be greater than 0, but got input ({shown_in})"
            f"{joint} output ({shown_out})"
        )
    _interpolate_integer_check(input._data, mode, dims, antialias)
    out = input
    if mode == "area" and dims < 3:  # the mean over each adaptive window
        pool = adaptive_avg_pool1d if dims == 1 else adaptive_avg_pool2d
        return pool(input, sizes)
    if mode == "area" and str(input._data.dtype) in ("float16", "bfloat16"):
        return AdaptiveAvgPool3dReduced.apply(input, tuple(sizes))  # summed in 16 bits
    dtype = input._data.dtype
    if mode == "area" or mode == "bicubic" or antialias:
        # separable tables, the last axis first like torch's kernels
        for k in reversed(range(dims)):
            if mode == "area":
                table = _area_table(in_sizes[k], sizes[k], dtype)
            elif antialias:
                table = _antialias_table(
                    in_sizes[k], sizes[k], scales[k], bool(align_corners), mode, dtype
                )
            else:
                table = _cubic_table(in_sizes[k], sizes[k], scales[k], bool(align_corners), dtype)
                if cubic_weights is not None:  # torch's 16-bit kernel stores them so
                    table = (table[0], table[1].astype(cubic_weights).astype(dtype))
            out = _resample_axis(out, 2 + k, *table, in_order=mode == "bicubic" and not antialias)
        return out
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


def _deprecated_upsample(name: str) -> None:
    warnings.warn(
        f"`nn.functional.{name}` is deprecated. Use `nn.functional.interpolate` instead.",
        UserWarning,
        stacklevel=3,
    )


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Deprecated alias of ``interpolate`` (with torch's warning)."""
    _deprecated_upsample("upsample")
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    """Deprecated: ``interpolate(..., mode="nearest")``."""
    _deprecated_upsample("upsample_nearest")
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    """Deprecated: ``interpolate(..., mode="bilinear", align_corners=True)`` (the corners
    aligned, as this old function did)."""
    _deprecated_upsample("upsample_bilinear")
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


# ------------------------------------------------------------------ spatial transformers
# affine_grid and grid_sample (Jaderberg et al., 2015): a grid of (x, y) sampling points in
# normalised coordinates, −1 = left/top edge, +1 = right/bottom edge, and the image read at
# those points. Both are composed of Tensor ops: the sampling weights are functions of the
# grid, so autograd gives gradients to the image and to the grid (hence to θ).

_ALIGN_CORNERS_WARNING = (
    "Default grid_sample and affine_grid behavior has changed to align_corners=False since "
    "1.3.0. Please specify align_corners=True if the old behavior is desired. See the "
    "documentation of grid_sample for details."
)


def _default_align_corners(align_corners: bool | None) -> bool:
    if align_corners is None:
        warnings.warn(_ALIGN_CORNERS_WARNING, UserWarning, stacklevel=3)
        return False
    return bool(align_corners)


def _normalised_positions(n: int, align_corners: bool, like: Tensor) -> Tensor:
    """The n sample positions along one axis in [−1, 1] (torch's ``linspace_from_neg_one``):
    the pixel centres, which reach ±1 only with ``align_corners``."""
    if n <= 1:
        return like.new_zeros(n)
    r = linspace(-1, 1, n, dtype=like.dtype, device=like.device)
    return r if align_corners else r * (n - 1) / n


def affine_grid(theta: Tensor, size, align_corners: bool | None = None) -> Tensor:
    """Sampling grid of an affine map: (N, H, W, 2) points θ · (x, y, 1) for the output pixel
    positions (x, y) in normalised coordinates (or (N, D, H, W, 3) for 5-D ``size``), with
    θ (N, 2, 3) (or (N, 3, 4)). Feed it to ``grid_sample``."""
    align_corners = _default_align_corners(align_corners)
    shown = size  # error messages show the size as the caller wrote it
    if not theta.dtype.is_floating_point:
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    size = [int(s) for s in size]
    if len(size) == 4:
        if theta.ndim != 3 or tuple(theta.shape[-2:]) != (2, 3):
            raise ValueError(
                f"Expected a batch of 2D affine matrices of shape Nx2x3 for size {shown}. "
                f"Got {theta.shape}."
            )
        spatial = size[2:]
    elif len(size) == 5:
        if theta.ndim != 3 or tuple(theta.shape[-2:]) != (3, 4):
            raise ValueError(
                f"Expected a batch of 3D affine matrices of shape Nx3x4 for size {shown}. "
                f"Got {theta.shape}."
            )
        spatial = size[2:]
    else:
        raise NotImplementedError(
            f"affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, "
            f"respectively. Got size {shown}."
        )
    if min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {shown}")
    if align_corners and min(spatial) == 1:
        warnings.warn(
            "Since version 1.3.0, affine_grid behavior has changed for unit-size grids when "
            "align_corners=True. This is not an intended use case of affine_grid. See the "
            "documentation of affine_grid for details.",
            UserWarning,
            stacklevel=2,
        )
    n = size[0]
    # base grid (*spatial, k + 1): (x, y[, z], 1) with x along the last axis
    axes = [_normalised_positions(m, align_corners, theta) for m in reversed(spatial)]
    k = len(spatial)
    coords = []
    for j, positions in enumerate(axes):  # x varies along the last spatial axis, y before...
        shape = [1] * k
        shape[k - 1 - j] = spatial[k - 1 - j]
        coords.append(positions.reshape(shape).expand(*spatial))
    coords.append(ones(*spatial, dtype=theta.dtype, device=theta.device))
    base = stack(coords, -1).reshape(1, -1, k + 1).expand(n, -1, -1)
    return base.matmul(theta.transpose(1, 2)).reshape(n, *spatial, k)


def _unnormalise(coord: Tensor, n: int, align_corners: bool) -> Tensor:
    """Normalised [−1, 1] → pixel coordinates: ((c + 1)/2)(n − 1) with ``align_corners`` (±1
    are the corner pixels' centres), else ((c + 1)n − 1)/2 (±1 are the image's outer edges)."""
    if align_corners:
        return (coord + 1) / 2 * (n - 1)
    return ((coord + 1) * n - 1) / 2


def _clip(coord: Tensor, n: int) -> Tensor:
    """Clamp into [0, n − 1]; like torch, the gradient is 0 on the bounds themselves."""
    inside = (coord > 0) & (coord < n - 1)
    return where(inside, coord, coord.detach().clamp(0, n - 1))


def _reflect(coord: Tensor, twice_low: int, twice_high: int) -> Tensor:
    """Fold ``coord`` into [low, high] by reflecting at the bounds, as many times as needed
    (torch's ``reflect_coordinates``): with span = high − low and a = |c − low|, the result is
    low + (a mod span), or high − (a mod span) after an odd number of flips."""
    if twice_low == twice_high:
        return coord * 0
    low = twice_low / 2
    span = (twice_high - twice_low) / 2
    a = (coord - low).abs()
    extra = a.fmod(span)
    flips = (a.detach() / span).floor()
    return where(flips.fmod(2) == 0, extra + low, span - extra + low)


def _source_index(coord: Tensor, n: int, padding_mode: str, align_corners: bool) -> Tensor:
    """torch's ``grid_sampler_compute_source_index``: unnormalise, then apply the padding mode
    to the coordinate itself (border: clamp; reflection: reflect, then clamp)."""
    coord = _unnormalise(coord, n, align_corners)
    if padding_mode == "border":
        coord = _clip(coord, n)
    elif padding_mode == "reflection":
        if align_corners:
            coord = _clip(_reflect(coord, 0, 2 * (n - 1)), n)
        else:
            coord = _clip(_reflect(coord, -1, 2 * n - 1), n)
    # NaN or huge coordinates become −100 (far outside: a zero sample), as torch does
    finite = coord.isfinite() & (coord.abs() < 2.0**31)
    return where(finite, coord, coord.detach().new_full(coord.shape, -100))


def _gather_pixels(flat: Tensor, ix, iy, w: int, h: int):
    """flat (N, C, H·W) read at integer pixels (ix, iy), arrays (N, P); 0 outside the image.
    Returns the samples (N, C, P)."""
    am = get_array_module(ix)  # NumPy, or CuPy for a CUDA grid
    inside = (ix >= 0) & (ix < w) & (iy >= 0) & (iy < h)
    index = am.where(inside, iy * w + ix, 0)
    n, c = flat.shape[:2]
    index = Tensor._make(index[:, None, :]).expand(n, c, -1)
    mask = Tensor._make(inside[:, None, :].astype(flat._data.dtype))
    return flat.gather(2, index) * mask


def _tap_coordinate(coord, n: int, padding_mode: str, align_corners: bool):
    """An integer tap position of bicubic sampling under the padding mode (torch's
    ``compute_coordinates`` in ``get_value_bounded``), as integer arrays."""
    am = get_array_module(coord)
    coord = coord.astype(am.float64)
    if padding_mode == "border":
        coord = am.clip(coord, 0, n - 1)
    elif padding_mode == "reflection":
        twice_low, twice_high = (0, 2 * (n - 1)) if align_corners else (-1, 2 * n - 1)
        if twice_low == twice_high:
            coord = coord * 0
        else:
            low, span = twice_low / 2, (twice_high - twice_low) / 2
            a = am.abs(coord - low)
            extra, flips = am.fmod(a, span), am.floor(a / span)
            coord = am.where(flips % 2 == 0, extra + low, span - extra + low)
        coord = am.clip(coord, 0, n - 1)
    return coord.astype(am.int64)


def grid_sample(
    input: Tensor,
    grid: Tensor,
    mode: str = "bilinear",
    padding_mode: str = "zeros",
    align_corners: bool | None = None,
) -> Tensor:
    """Read ``input`` (N, C, H, W) at the points of ``grid`` (N, H_out, W_out, 2), (x, y) in
    normalised coordinates: output (N, C, H_out, W_out). A volume (N, C, D, H, W) is read at
    a grid (N, D_out, H_out, W_out, 3) of (x, y, z) points ('bilinear' then means trilinear).

    ``mode``: 'bilinear' (the four neighbours, weighted by the areas of the opposite
    rectangles), 'nearest' (the nearest pixel, ties to even) or 'bicubic' (4 × 4 neighbours,
    cubic convolution with a = −0.75). ``padding_mode`` says what lies outside the image:
    'zeros', 'border' (the edge pixels repeat) or 'reflection' (the image mirrored).
    """
    align_corners = _default_align_corners(align_corners)
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError(
            "nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or "
            f"'bicubic', but got: '{mode}'"
        )
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError(
            "nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or "
            f"'reflection', but got: '{padding_mode}'"
        )
    if grid.dtype != input.dtype:  # torch's kernel reads both in one type
        raise RuntimeError(
            f"expected scalar type {R.torch_type_name(input._data.dtype)} but found "
            f"{R.torch_type_name(grid._data.dtype)}"
        )
    if input.ndim == 5 and grid.ndim == 5:
        return _grid_sample_3d(input, grid, mode, padding_mode, align_corners)
    if input.ndim != 4 or grid.ndim != 4:
        raise RuntimeError(
            f"grid_sampler(): expected {input.ndim}D input and grid with same number of "
            f"dimensions, but got input with sizes {list(input.shape)} and grid with sizes "
            f"{list(grid.shape)}"
        )
    n, c, h, w = input.shape
    shapes = f"input with sizes {list(input.shape)} and grid with sizes {list(grid.shape)}"
    if grid.shape[0] != n:
        raise RuntimeError(
            f"grid_sampler(): expected grid and input to have same batch size, but got {shapes}"
        )
    if grid.shape[-1] != 2:
        raise RuntimeError(
            "grid_sampler(): expected grid to have size 2 in last dimension, but got grid with "
            f"sizes {list(grid.shape)}"
        )
    h_out, w_out = grid.shape[1:3]
    flat = input.reshape(n, c, h * w)
    gx = grid.select(-1, 0).reshape(n, -1)  # (N, P)
    gy = grid.select(-1, 1).reshape(n, -1)
    if mode == "bicubic":
        out = _grid_sample_bicubic(flat, gx, gy, w, h, padding_mode, align_corners)
        return out.reshape(n, c, h_out, w_out)
    ix = _source_index(gx, w, padding_mode, align_corners)
    iy = _source_index(gy, h, padding_mode, align_corners)
    if mode == "nearest":
        ix_n = ix.detach().round()._data.astype(xp.int64)  # ties to even, like nearbyint
        iy_n = iy.detach().round()._data.astype(xp.int64)
        out = _gather_pixels(flat, ix_n, iy_n, w, h)
        # the sample does not move with the grid: torch's grid gradient is zeros, not absent
        out = out + (ix + iy).unsqueeze(1) * 0
        return out.reshape(n, c, h_out, w_out)
    x0, y0 = ix.detach().floor(), iy.detach().floor()
    # fractional offsets inside the cell (x0, y0)–(x0 + 1, y0 + 1), differentiable in the grid
    tx, ty = (ix - x0).unsqueeze(1), (iy - y0).unsqueeze(1)
    x0, y0 = x0._data.astype(xp.int64), y0._data.astype(xp.int64)
    # each corner weighted by the area of the rectangle opposite it
    out = _gather_pixels(flat, x0, y0, w, h) * ((1 - tx) * (1 - ty))  # north-west
    out = out + _gather_pixels(flat, x0 + 1, y0, w, h) * (tx * (1 - ty))  # north-east
    out = out + _gather_pixels(flat, x0, y0 + 1, w, h) * ((1 - tx) * ty)  # south-west
    out = out + _gather_pixels(flat, x0 + 1, y0 + 1, w, h) * (tx * ty)  # south-east
    return out.reshape(n, c, h_out, w_out)


def _gather_voxels(flat: Tensor, ix, iy, iz, size) -> Tensor:
    """flat (N, C, D·H·W) read at integer voxels (ix, iy, iz), arrays (N, P); 0 outside the
    volume of ``size`` (D, H, W). Returns the samples (N, C, P)."""
    d, h, w = size
    am = get_array_module(ix)
    inside = (ix >= 0) & (ix < w) & (iy >= 0) & (iy < h) & (iz >= 0) & (iz < d)
    index = am.where(inside, (iz * h + iy) * w + ix, 0)
    n, c = flat.shape[:2]
    index = Tensor._make(index[:, None, :]).expand(n, c, -1)
    mask = Tensor._make(inside[:, None, :].astype(flat._data.dtype))
    return flat.gather(2, index) * mask


def _grid_sample_3d(input, grid, mode, padding_mode, align_corners) -> Tensor:
    """Volumetric ``grid_sample``: ``input`` (N, C, D, H, W) read at the points of ``grid``
    (N, D_out, H_out, W_out, 3), (x, y, z) normalised. 'bilinear' is trilinear here: the eight
    corners of the cell, each weighted by the volume of the box opposite it."""
    n, c, d, h, w = input.shape
    if mode == "bicubic":
        raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")
    shapes = f"input with sizes {list(input.shape)} and grid with sizes {list(grid.shape)}"
    if grid.shape[0] != n:
        raise RuntimeError(
            f"grid_sampler(): expected grid and input to have same batch size, but got {shapes}"
        )
    if grid.shape[-1] != 3:
        raise RuntimeError(
            "grid_sampler(): expected grid to have size 3 in last dimension, but got grid with "
            f"sizes {list(grid.shape)}"
        )
    out_shape = (n, c, *grid.shape[1:4])
    flat = input.reshape(n, c, d * h * w)
    coords = [
        _source_index(grid.select(-1, k).reshape(n, -1), m, padding_mode, align_corners)
        for k, m in enumerate((w, h, d))
    ]
    if mode == "nearest":
        nearest = [v.detach().round()._data.astype(xp.int64) for v in coords]  # ties to even
        out = _gather_voxels(flat, *nearest, (d, h, w))
        return (out + sum(coords).unsqueeze(1) * 0).reshape(out_shape)  # zero grid gradient
    low = [v.detach().floor() for v in coords]
    frac = [(v - v0).unsqueeze(1) for v, v0 in zip(coords, low, strict=True)]
    low = [v0._data.astype(xp.int64) for v0 in low]
    out = None
    for corner in range(8):  # bit k set: the upper neighbour along axis k (x, y, z)
        steps = [(corner >> k) & 1 for k in range(3)]
        weight = None
        for t, step in zip(frac, steps, strict=True):
            factor = t if step else 1 - t
            weight = factor if weight is None else weight * factor
        taps = [v0 + step for v0, step in zip(low, steps, strict=True)]
        term = _gather_voxels(flat, *taps, (d, h, w)) * weight
        out = term if out is None else out + term
    return out.reshape(out_shape)


def _cubic_coefficients(t: Tensor) -> list[Tensor]:
    """The four cubic-convolution weights (a = −0.75) of taps at distances t + 1, t, 1 − t,
    2 − t, as Tensor ops of t (so the grid gets its gradient)."""
    a = -0.75

    def near(x):  # |x| ≤ 1: (a + 2)x³ − (a + 3)x² + 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):  # 1 < |x| < 2: ax³ − 5ax² + 8ax − 4a
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    return [far(t + 1), near(t), near(1 - t), far(2 - t)]


def _grid_sample_bicubic(flat, gx, gy, w, h, padding_mode, align_corners):
    """Bicubic grid sampling: the 4 × 4 pixels around the unnormalised point, each tap moved
    by the padding mode on its own, rows interpolated along x and then combined along y."""
    ix = _unnormalise(gx, w, align_corners)
    iy = _unnormalise(gy, h, align_corners)
    x0, y0 = ix.detach().floor(), iy.detach().floor()
    tx, ty = ix - x0, iy - y0
    x0, y0 = x0._data.astype(xp.int64), y0._data.astype(xp.int64)
    cx = [coefficient.unsqueeze(1) for coefficient in _cubic_coefficients(tx)]
    cy = [coefficient.unsqueeze(1) for coefficient in _cubic_coefficients(ty)]
    taps_x = [_tap_coordinate(x0 - 1 + i, w, padding_mode, align_corners) for i in range(4)]
    out = None
    for j in range(4):
        y = _tap_coordinate(y0 - 1 + j, h, padding_mode, align_corners)
        row = None
        for i in range(4):
            term = _gather_pixels(flat, taps_x[i], y, w, h) * cx[i]
            row = term if row is None else row + term
        out = row * cy[j] if out is None else out + row * cy[j]
    return out
