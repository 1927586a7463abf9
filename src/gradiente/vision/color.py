"""Colour adjustments of images: brightness, contrast, saturation and hue, as torchvision's.

Each adjustment (but hue) *blends* the image with a "degenerate" version of it::

    out = clamp(factor · img + (1 − factor) · degenerate, 0, max)

    brightness: degenerate = black (0)          factor 0 → black, 1 → unchanged, 2 → brighter
    contrast:   degenerate = mean grey level     factor 0 → flat grey
    saturation: degenerate = the grey image      factor 0 → greyscale

with ``max`` 1 for float tensors and 255 for integer ones. The grey level of an RGB tensor is
``0.2989·R + 0.587·G + 0.114·B`` (ITU-R 601-2 luma). The hue is rotated in HSV space:
``h ← (h + hue_factor) mod 1``, hue_factor in [−0.5, 0.5].

Tensors (..., C, H, W) follow torchvision's tensor formulas. Arrays H×W×C stand for PIL images,
so for them torchvision calls Pillow (``ImageEnhance`` and the "HSV" mode, which compute in 8
bits); here too.
"""

from __future__ import annotations

from gradiente.backend import xp
from gradiente.tensor import Tensor

__all__ = ["adjust_brightness", "adjust_contrast", "adjust_hue", "adjust_saturation"]


# ---------------------------------------------------------------------------------------------
# Tensors: torchvision's formulas, on the arrays
# ---------------------------------------------------------------------------------------------


def _work_dtype(a):
    """The dtype the formulas compute in: a float image's own, float32 for an 8-bit one."""
    return a.dtype if xp.issubdtype(a.dtype, xp.floating) else xp.dtype(xp.float32)


def _blend(a, degenerate, factor: float):
    """clamp(factor · a + (1 − factor) · degenerate, 0, max), back in a's dtype (truncating)."""
    work = _work_dtype(a)
    bound = 1.0 if xp.issubdtype(a.dtype, xp.floating) else 255.0
    # torch turns the Python numbers factor and 1 − factor into scalars of the image's dtype
    out = work.type(factor) * a.astype(work) + work.type(1.0 - factor) * degenerate.astype(work)
    return xp.clip(out, 0, bound).astype(a.dtype)


def _gray(a):
    """(..., 3, H, W) → (..., 1, H, W): 0.2989 R + 0.587 G + 0.114 B, in a's dtype."""
    r, g, b = a[..., 0, :, :], a[..., 1, :, :], a[..., 2, :, :]
    work = _work_dtype(a)
    luma = work.type(0.2989) * r + work.type(0.587) * g + work.type(0.114) * b
    return luma.astype(a.dtype)[..., None, :, :]


def _rgb_to_hsv(a):
    """RGB in [0, 1] (..., 3, H, W) → HSV, each in [0, 1] (torchvision's ``_rgb2hsv``)."""
    r, g, b = a[..., 0, :, :], a[..., 1, :, :], a[..., 2, :, :]
    maxc, minc = a.max(axis=-3), a.min(axis=-3)
    gray = maxc == minc  # no hue, no saturation
    cr = maxc - minc
    one = xp.ones_like(maxc)
    s = cr / xp.where(gray, one, maxc)
    cr = xp.where(gray, one, cr)
    rc, gc, bc = (maxc - r) / cr, (maxc - g) / cr, (maxc - b) / cr
    # the sector: red is the largest → h ∈ [−1, 1], green → [1, 3], blue → [3, 5] (sixths)
    hr = (maxc == r) * (bc - gc)
    hg = ((maxc == g) & (maxc != r)) * (2.0 + rc - bc)
    hb = ((maxc != g) & (maxc != r)) * (4.0 + gc - rc)
    h = xp.fmod((hr + hg + hb) / 6.0 + 1.0, 1.0).astype(a.dtype)
    return h, s, maxc


def _hsv_to_rgb(h, s, v):
    """HSV → RGB (..., 3, H, W) (torchvision's ``_hsv2rgb``: six sectors of the colour wheel)."""
    i = xp.floor(h * 6.0)
    f = h * 6.0 - i
    i = i.astype(xp.int32) % 6
    p = xp.clip(v * (1.0 - s), 0.0, 1.0)
    q = xp.clip(v * (1.0 - s * f), 0.0, 1.0)
    t = xp.clip(v * (1.0 - s * (1.0 - f)), 0.0, 1.0)
    sectors = {  # the (r, g, b) of each sector i
        0: (v, t, p),
        1: (q, v, p),
        2: (p, v, t),
        3: (p, q, v),
        4: (t, p, v),
        5: (v, p, q),
    }
    channels = []
    for c in range(3):
        out = xp.zeros_like(v)
        for k, rgb in sectors.items():
            out = xp.where(i == k, rgb[c], out)
        channels.append(out)
    return xp.stack(channels, axis=-3).astype(v.dtype)


def _tensor_hue(a, hue_factor: float):
    is_float = xp.issubdtype(a.dtype, xp.floating)
    x = a if is_float else a.astype(xp.float32) / xp.float32(255)
    h, s, v = _rgb_to_hsv(x)
    h = (h + x.dtype.type(hue_factor)) % x.dtype.type(1.0)
    rgb = _hsv_to_rgb(h, s, v)
    if is_float:
        return rgb
    # torchvision's float → uint8 conversion: × (255 + 1 − 0.001), truncated
    return (rgb * xp.float32(255.999)).astype(a.dtype)


# ---------------------------------------------------------------------------------------------
# Arrays (PIL images): through Pillow, as torchvision does
# ---------------------------------------------------------------------------------------------


def _pil(a):
    from PIL import Image

    if a.dtype != xp.uint8 or a.ndim not in (2, 3):
        raise TypeError(f"expected a uint8 image H×W or H×W×C, got {a.dtype} {a.shape}")
    return Image.fromarray(xp.ascontiguousarray(a))


def _pil_enhance(a, name: str, factor: float):
    from PIL import ImageEnhance

    return xp.asarray(getattr(ImageEnhance, name)(_pil(a)).enhance(factor))


def _pil_hue(a, hue_factor: float):
    from PIL import Image

    img = _pil(a)
    if img.mode in ("L", "1", "I", "F"):
        return a
    h, s, v = img.convert("HSV").split()
    # an 8-bit hue turns around the wheel by wrapping: add int(255 · factor) mod 256
    shift = int(hue_factor * 255) % 256
    h = Image.fromarray(((xp.asarray(h).astype(xp.int64) + shift) % 256).astype(xp.uint8), "L")
    return xp.asarray(Image.merge("HSV", (h, s, v)).convert(img.mode))


# ---------------------------------------------------------------------------------------------
# The adjustments
# ---------------------------------------------------------------------------------------------


def _channels(a) -> int:
    return a.shape[-3] if a.ndim >= 3 else 1


def _blend_adjust(img, name: str, factor: float, degenerate, enhancer: str):
    """What brightness, contrast and saturation share: blend a tensor image with
    ``degenerate(a)`` (the image at factor 0; None there leaves the image unchanged), or apply
    Pillow's ``ImageEnhance.<enhancer>`` to a PIL image or array; ``factor`` must be ≥ 0."""
    if factor < 0:
        raise ValueError(f"{name} ({factor}) is not non-negative.")
    if not isinstance(img, Tensor):
        return _pil_enhance(img, enhancer, factor)
    a = img._data
    target = degenerate(a)
    return img if target is None else Tensor._make(_blend(a, target, factor))


def _mean_gray(a):
    """The mean grey level of each image (of a batch), in the float blend's working dtype."""
    gray = _gray(a) if _channels(a) == 3 else a
    return gray.astype(_work_dtype(a)).mean(axis=(-3, -2, -1), keepdims=True)


def _gray_of_color(a):
    """The greyscale image, or None for a one-channel image (nothing to desaturate)."""
    return None if _channels(a) == 1 else _gray(a)


def adjust_brightness(img, brightness_factor: float):
    """Blend with black: ``factor · img``, clamped (factor ≥ 0)."""
    return _blend_adjust(img, "brightness_factor", brightness_factor, xp.zeros_like, "Brightness")


def adjust_contrast(img, contrast_factor: float):
    """Blend with the mean grey level of the whole image (per image of a batch)."""
    return _blend_adjust(img, "contrast_factor", contrast_factor, _mean_gray, "Contrast")


def adjust_saturation(img, saturation_factor: float):
    """Blend with the greyscale image (a one-channel image is returned unchanged)."""
    return _blend_adjust(img, "saturation_factor", saturation_factor, _gray_of_color, "Color")


def adjust_hue(img, hue_factor: float):
    """Rotate the hue by ``hue_factor`` turns of the colour wheel (−0.5 … 0.5)."""
    if not (-0.5 <= hue_factor <= 0.5):
        raise ValueError(f"hue_factor ({hue_factor}) is not in [-0.5, 0.5].")
    if isinstance(img, Tensor):
        a = img._data
        if _channels(a) == 1:
            return img
        return Tensor._make(_tensor_hue(a, hue_factor))
    return _pil_hue(img, hue_factor)
