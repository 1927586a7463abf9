"""v2's own image kernels where they round differently from v1's (grey levels, autocontrast,
blends for saturation/contrast/sharpness), on NumPy arrays (…, C, H, W). ``transforms_v2``,
``functional_v2`` and the v2 auto-augment policies build on them."""

from __future__ import annotations

from gradiente.backend import xp
from gradiente.random.exact_math import _fma32, _fma64
from gradiente.tensor import Tensor
from gradiente.vision import photometric as P


def _gray_v2(a, channels: int):
    """v2's luma ``r·0.2989``, then ``+= g·0.587`` and ``+= b·0.114`` as fused multiply-adds
    (torch's ``add_(x, alpha=...)``), in float32 for integer images, cast back."""
    if a.shape[-3] == 1:
        return xp.repeat(a, channels, axis=-3) if channels == 3 else a.copy()
    work = a.dtype if xp.issubdtype(a.dtype, xp.floating) else xp.dtype(xp.float32)
    r, g, b = (a[..., c, :, :].astype(work) for c in range(3))
    if work == xp.float32:
        luma = _fma32(b, xp.float32(0.114), _fma32(g, xp.float32(0.587), r * xp.float32(0.2989)))
    else:
        luma = _fma64(b, 0.114, _fma64(g, 0.587, r * 0.2989))
    luma = luma.astype(a.dtype)[..., None, :, :]
    return xp.broadcast_to(luma, a.shape) if channels == 3 else luma


def _autocontrast_v2(a):
    """v2's autocontrast: ``(x − min) / ((max − min) · (1 / bound))``, clamped, cast back."""
    work = a.dtype if xp.issubdtype(a.dtype, xp.floating) else xp.dtype(xp.float32)
    bound = P._max_value(a.dtype)
    x = a.astype(work)
    minimum = x.min(axis=(-2, -1), keepdims=True)
    maximum = x.max(axis=(-2, -1), keepdims=True)
    flat = maximum == minimum
    inv_scale = (maximum - minimum) * work.type(1.0 / bound)
    minimum[flat], inv_scale[flat] = 0.0, 1.0
    return xp.clip((x - minimum) / inv_scale, 0, bound).astype(a.dtype)


def _blend_v2(a, other, ratio: float):
    """v2's blend: ``a · r``, then ``+= other · (1 − r)`` as one fused multiply-add (torch's
    ``add_(other, alpha=1 − r)``), clamped, cast back (truncating)."""
    work = a.dtype if xp.issubdtype(a.dtype, xp.floating) else xp.dtype(xp.float32)
    fma = _fma32 if work == xp.float32 else _fma64
    scaled = a.astype(work) * work.type(ratio)
    out = fma(xp.broadcast_to(other.astype(work), scaled.shape), work.type(1.0 - ratio), scaled)
    return xp.clip(out, 0, P._max_value(a.dtype)).astype(a.dtype)


def _saturation_v2(a, factor: float):
    """v2's saturation: blend with the grey image (v2's luma, floored for integer images)."""
    if a.shape[-3] == 1:
        return a
    return _blend_v2(a, _gray_v2(a, 1), factor)


def _contrast_v2(a, factor: float):
    """v2's contrast: blend with the mean of v2's (floored) grey image."""
    work = a.dtype if xp.issubdtype(a.dtype, xp.floating) else xp.dtype(xp.float32)
    gray = _gray_v2(a, 1) if a.shape[-3] == 3 else a
    mean = gray.astype(work).mean(axis=(-3, -2, -1), keepdims=True)
    return _blend_v2(a, mean, factor)


def _sharpness_v2(a, factor: float):
    """v2's sharpness: inside the one-pixel border, ``x + (1 − s)(blurred − x)`` as one fused
    multiply-add (torch's ``add_(…, alpha=1 − s)``), clamped, cast back (truncating)."""
    if a.shape[-1] <= 2 or a.shape[-2] <= 2:
        return a
    floating = xp.issubdtype(a.dtype, xp.floating)
    work = a.dtype if floating else xp.dtype(xp.float32)
    fma = _fma32 if work == xp.float32 else _fma64
    blurred = P._blurred_degenerate(a).astype(work)[..., 1:-1, 1:-1]
    out = a.astype(work)
    inner = out[..., 1:-1, 1:-1]
    out[..., 1:-1, 1:-1] = fma(blurred - inner, work.type(1.0 - factor), inner)
    return xp.clip(out, 0, P._max_value(a.dtype)).astype(a.dtype)


def _v2_kernel(img, kernel, pil_op):
    """``kernel`` on a tensor's array (wrapped back), ``pil_op`` on a PIL image."""
    if isinstance(img, Tensor):
        return Tensor._make(kernel(img._data))
    return pil_op(img)
