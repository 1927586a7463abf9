"""Photometric image operations: torchvision's ``functional`` ops that change pixel *values*,
not their places (grey levels, inversion, posterisation, histogram tricks, blurs, erasing).

Every function takes the three kinds of image the transforms know and gives back the same kind:

- a tensor (..., C, H, W): torchvision's tensor formulas (``_functional_tensor``), computed on
  the arrays with torch's dtype rules: an 8-bit image is computed in float32 and cast back
  (truncating, or rounding after a convolution, exactly where torchvision does);
- a PIL image: the very Pillow calls torchvision makes (``ImageOps``, ``ImageEnhance``,
  ``convert``), so the result is bit for bit Pillow's;
- a NumPy H×W(×C) uint8 array, gradiente's stand-in for a PIL image: the Pillow path on
  ``Image.fromarray(array)``, read back as an array.

The tensor formulas, with ``max`` = 1 for float images and 255 for uint8 ones:

    invert(x)         = max − x
    posterize(x, b)   = x & ~(2^(8−b) − 1)                   (keep the b high bits)
    solarize(x, t)    = max − x where x ≥ t, else x
    autocontrast(x)   = (x − min) · max / (max_c − min_c)     (per image and channel)
    equalize(x)       : each channel through the look-up table of its cumulative histogram
    adjust_gamma(x)   = gain · x^γ, on x scaled to [0, 1]
    adjust_sharpness  : blend with the image smoothed by [[1 1 1] [1 5 1] [1 1 1]] / 13
    gaussian_blur     : depthwise convolution with a normalised Gaussian, reflect-padded

Only ``erase`` and the float paths of ``invert`` and ``convert_image_dtype`` run through
tensor operations (and so are differentiable); the others compute on the arrays.
"""

from __future__ import annotations

import numbers

from gradiente.backend import xp
from gradiente.tensor import Tensor
from gradiente.vision import color

__all__ = [
    "adjust_brightness",
    "adjust_contrast",
    "adjust_gamma",
    "adjust_hue",
    "adjust_saturation",
    "adjust_sharpness",
    "autocontrast",
    "convert_image_dtype",
    "equalize",
    "erase",
    "gaussian_blur",
    "get_dimensions",
    "invert",
    "posterize",
    "rgb_to_grayscale",
    "solarize",
    "to_grayscale",
]


# ---------------------------------------------------------------------------------------------
# The three kinds of image
# ---------------------------------------------------------------------------------------------


def _is_pil(img) -> bool:
    """Whether ``img`` is a PIL image (checked without importing Pillow)."""
    return type(img).__module__.startswith("PIL.")


def _on_pil(img, pil_op):
    """Run ``pil_op`` (PIL image → PIL image) on a PIL image, or on an array as one."""
    if _is_pil(img):
        return pil_op(img)
    if isinstance(img, xp.ndarray):
        from PIL import Image  # Pillow: a runtime dependency

        return xp.asarray(pil_op(Image.fromarray(xp.ascontiguousarray(img))))
    raise TypeError(f"img should be PIL Image or Tensor. Got {type(img)}")


def _max_value(dtype) -> float:
    """The largest value of an image of this dtype: 1 for floats, the integer maximum else."""
    dtype = xp.dtype(dtype)
    return 1 if xp.issubdtype(dtype, xp.floating) else int(xp.iinfo(dtype).max)


def _is_float(a) -> bool:
    return xp.issubdtype(a.dtype, xp.floating)


def _work_dtype(a):
    """The dtype the formulas compute in: a float image's own, float32 for an integer one."""
    return a.dtype if _is_float(a) else xp.dtype(xp.float32)


def get_dimensions(img) -> list[int]:
    """[channels, height, width] of a tensor, PIL image or H×W(×C) array."""
    if isinstance(img, Tensor):
        if img.ndim < 2:
            raise TypeError("Tensor is not a torch image.")
        return [1 if img.ndim == 2 else img.shape[-3], img.shape[-2], img.shape[-1]]
    if _is_pil(img):
        return [len(img.getbands()), img.size[1], img.size[0]]
    a = xp.asarray(img)
    return [1 if a.ndim == 2 else a.shape[2], a.shape[0], a.shape[1]]


def _check_tensor(img: Tensor, channels=(1, 3), min_ndim: int = 3) -> xp.ndarray:
    """torchvision's checks of a tensor image (rank, permitted channels); its array."""
    if img.ndim < 2:
        raise TypeError("Tensor is not a torch image.")
    if img.ndim < min_ndim:
        raise TypeError(
            f"Input image tensor should have at least {min_ndim} dimensions, but found {img.ndim}"
        )
    c = get_dimensions(img)[0]
    if channels is not None and c not in channels:
        raise TypeError(
            f"Input image tensor permitted channel values are {list(channels)}, but found {c}"
        )
    return img._data


def _to_dtype_like(out, a):
    """A float result back into ``a``'s dtype with torch's cast (truncation toward zero)."""
    return out.astype(a.dtype)


# ---------------------------------------------------------------------------------------------
# Dtype conversion
# ---------------------------------------------------------------------------------------------


def convert_image_dtype(image: Tensor, dtype=None) -> Tensor:
    """Change an image tensor's dtype *and* rescale its values (torchvision's rule).

    float → float: a cast. int → float: ``x / max_in``. float → int: ``x · (max_out + 1 − 1e-3)``
    truncated, so [0, 1] spreads evenly over the integers. int → int: multiply or floor-divide
    by the ratio of the ranges (powers of two).
    """
    from gradiente import backend as B

    if not isinstance(image, Tensor):
        raise TypeError("Input img should be Tensor Image")
    dtype = B.float32 if dtype is None else dtype
    if image.dtype == dtype:
        return image
    target = xp.dtype(dtype.np)
    a = image._data
    target_is_float = xp.issubdtype(target, xp.floating)
    if _is_float(a):
        if target_is_float:
            return image.to(dtype)
        if (a.dtype == xp.float32 and target in (xp.int32, xp.int64)) or (
            a.dtype == xp.float64 and target == xp.int64
        ):
            raise RuntimeError(
                f"The cast from {image.dtype} to {dtype} cannot be performed safely."
            )
        scale = a.dtype.type(float(_max_value(target)) + 1.0 - 1e-3)
        return Tensor._make((a * scale).astype(target))
    input_max = float(_max_value(a.dtype))
    if target_is_float:
        return Tensor._make(a.astype(target) / target.type(input_max))
    output_max = float(_max_value(target))
    if input_max > output_max:
        factor = int((input_max + 1) // (output_max + 1))
        return Tensor._make((a // a.dtype.type(factor)).astype(target))
    factor = int((output_max + 1) // (input_max + 1))
    return Tensor._make(a.astype(target) * target.type(factor))


# ---------------------------------------------------------------------------------------------
# Grey levels
# ---------------------------------------------------------------------------------------------


def _pil_grayscale(img, num_output_channels: int):
    """Pillow's "L" conversion (L = R·299/1000 + G·587/1000 + B·114/1000), copied to 3
    channels when asked (torchvision's ``F_pil.to_grayscale``)."""
    from PIL import Image

    if num_output_channels not in (1, 3):
        raise ValueError("num_output_channels should be either 1 or 3")
    gray = img.convert("L")
    if num_output_channels == 1:
        return gray
    a = xp.asarray(gray, dtype=xp.uint8)
    return Image.fromarray(xp.dstack([a, a, a]), "RGB")


def rgb_to_grayscale(img, num_output_channels: int = 1):
    """The luma 0.2989 R + 0.587 G + 0.114 B (ITU-R 601-2) as 1 or 3 equal channels.

    A one-channel tensor is copied as it is; a PIL image goes through ``convert("L")``.
    """
    if not isinstance(img, Tensor):
        return _on_pil(img, lambda im: _pil_grayscale(im, num_output_channels))
    a = _check_tensor(img, channels=(1, 3))
    if num_output_channels not in (1, 3):
        raise ValueError("num_output_channels should be either 1 or 3")
    gray = color._gray(a) if a.shape[-3] == 3 else a.copy()
    if num_output_channels == 3:
        gray = xp.broadcast_to(gray, a.shape)
    return Tensor._make(gray)


def to_grayscale(img, num_output_channels: int = 1):
    """``rgb_to_grayscale`` for PIL images (and their arrays) only, as torchvision's."""
    if isinstance(img, Tensor):
        raise TypeError("Input should be PIL Image")
    return _on_pil(img, lambda im: _pil_grayscale(im, num_output_channels))


# ---------------------------------------------------------------------------------------------
# Brightness, contrast, saturation, hue (the formulas live in gradiente.vision.color)
# ---------------------------------------------------------------------------------------------


def _enhance(img, enhancer: str, factor: float, color_op):
    if isinstance(img, Tensor):
        _check_tensor(img, channels=(1, 3), min_ndim=2)
        return color_op(img, factor)
    if factor < 0:
        return color_op(img, factor)  # raises torchvision's ValueError

    def pil_op(im):
        from PIL import ImageEnhance

        return getattr(ImageEnhance, enhancer)(im).enhance(factor)

    return _on_pil(img, pil_op)


def adjust_brightness(img, brightness_factor: float):
    """Blend with black: 0 → black, 1 → unchanged, 2 → twice as bright (clamped)."""
    return _enhance(img, "Brightness", brightness_factor, color.adjust_brightness)


def adjust_contrast(img, contrast_factor: float):
    """Blend with the mean grey level: 0 → flat grey, 1 → unchanged."""
    return _enhance(img, "Contrast", contrast_factor, color.adjust_contrast)


def adjust_saturation(img, saturation_factor: float):
    """Blend with the greyscale image: 0 → grey, 1 → unchanged, 2 → doubly saturated."""
    return _enhance(img, "Color", saturation_factor, color.adjust_saturation)


def adjust_hue(img, hue_factor: float):
    """Turn the hue by ``hue_factor`` ∈ [−0.5, 0.5] of the colour wheel (in HSV space)."""
    if isinstance(img, Tensor) or not _is_pil(img):
        return color.adjust_hue(img, hue_factor)
    if not (-0.5 <= hue_factor <= 0.5):
        raise ValueError(f"hue_factor ({hue_factor}) is not in [-0.5, 0.5].")
    if img.mode in ("L", "1", "I", "F"):
        return img
    from PIL import Image

    return Image.fromarray(color._pil_hue(xp.asarray(img), hue_factor)).convert(img.mode)


def adjust_gamma(img, gamma: float, gain: float = 1.0):
    """Gamma correction ``out = max · gain · (x / max)^γ`` (clamped to the image's range).

    Tensors: an integer image is scaled to [0, 1] float32 first and converted back with
    ``convert_image_dtype``. PIL: torchvision's 256-entry table
    ``int(255.999 · gain · (v / 255)^γ)`` through ``Image.point``.
    """
    if gamma < 0:
        raise ValueError("Gamma should be a non-negative real number")
    if not isinstance(img, Tensor):

        def pil_op(im):
            mode = im.mode
            table = [int((255 + 1 - 1e-3) * gain * pow(v / 255.0, gamma)) for v in range(256)]
            return im.convert("RGB").point(table * 3).convert(mode)

        return _on_pil(img, pil_op)
    _check_tensor(img, channels=(1, 3), min_ndim=2)
    x = img if img.is_floating_point() else convert_image_dtype(img)
    a = x._data
    out = xp.clip(a.dtype.type(gain) * a ** a.dtype.type(gamma), 0, 1).astype(a.dtype)
    return convert_image_dtype(Tensor._make(out), img.dtype)


# ---------------------------------------------------------------------------------------------
# Inversion, posterisation, solarisation
# ---------------------------------------------------------------------------------------------


def invert(img):
    """The negative: ``max − x`` (1 − x for floats, 255 − x for uint8)."""
    if not isinstance(img, Tensor):
        from PIL import ImageOps

        return _on_pil(img, ImageOps.invert)
    a = _check_tensor(img)
    if img.is_floating_point():
        return 1.0 - img  # a tensor op: differentiable, as torch's
    return Tensor._make(a.dtype.type(_max_value(a.dtype)) - a)


def posterize(img, bits: int):
    """Keep the ``bits`` high bits of each 8-bit value (0 ≤ bits ≤ 8), zeroing the others."""
    if not (0 <= bits <= 8):
        raise ValueError(f"The number if bits should be between 0 and 8. Got {bits}")
    if not isinstance(img, Tensor):
        from PIL import ImageOps

        return _on_pil(img, lambda im: ImageOps.posterize(im, bits))
    a = _check_tensor(img, channels=None)
    if a.dtype != xp.uint8:
        raise TypeError(f"Only torch.uint8 image tensors are supported, but found {img.dtype}")
    _check_tensor(img)
    mask = xp.uint8((-int(2 ** (8 - bits))) & 0xFF)  # two's complement of −2^(8−bits)
    return Tensor._make(a & mask)


def solarize(img, threshold: float):
    """Invert the pixels at or above ``threshold``; leave the others."""
    if not isinstance(img, Tensor):
        from PIL import ImageOps

        return _on_pil(img, lambda im: ImageOps.solarize(im, threshold))
    a = _check_tensor(img)
    if threshold > _max_value(a.dtype):
        raise TypeError("Threshold should be less than bound of img.")
    inverted = invert(img)._data
    if _is_float(a):  # torch compares in the image's dtype
        at_or_above = a >= a.dtype.type(threshold)
    elif isinstance(threshold, float):  # an integer image with a float: in float32
        at_or_above = a.astype(xp.float32) >= xp.float32(threshold)
    else:
        at_or_above = a >= threshold
    return Tensor._make(xp.where(at_or_above, inverted, a))


# ---------------------------------------------------------------------------------------------
# Histogram-based: autocontrast, equalize
# ---------------------------------------------------------------------------------------------


def autocontrast(img):
    """Stretch each channel so that its darkest pixel becomes 0 and its brightest ``max``.

    A flat channel (max = min) is left as it is.
    """
    if not isinstance(img, Tensor):
        from PIL import ImageOps

        return _on_pil(img, ImageOps.autocontrast)
    a = _check_tensor(img)
    work = _work_dtype(a)
    bound = work.type(_max_value(a.dtype))
    minimum = a.min(axis=(-2, -1), keepdims=True).astype(work)
    maximum = a.max(axis=(-2, -1), keepdims=True).astype(work)
    with xp.errstate(divide="ignore", invalid="ignore"):
        # torch evaluates ``bound / t`` as ``t.reciprocal() * bound``: the same rounding here
        scale = (work.type(1) / (maximum - minimum)) * bound
    flat = ~xp.isfinite(scale)
    minimum[flat], scale[flat] = 0, 1
    return Tensor._make(xp.clip((a - minimum) * scale, 0, bound).astype(a.dtype))


def _equalize_channel(channel):
    """One uint8 channel through the look-up table of its cumulative histogram (PIL's rule).

    ``step`` = (pixels − pixels of the last used level) // 255; level v maps to
    ``(cumulative count below v + step // 2) // step``.
    """
    hist = xp.bincount(channel.reshape(-1), minlength=256)
    nonzero = hist[hist != 0]
    step = int(nonzero[:-1].sum()) // 255
    if step == 0:
        return channel
    lut = (xp.cumsum(hist) + step // 2) // step
    lut = xp.clip(xp.concatenate([[0], lut[:-1]]), 0, 255)
    return lut[channel.astype(xp.int64)].astype(xp.uint8)


def equalize(img):
    """Flatten the histogram of each channel of a uint8 image (3- or 4-D tensor)."""
    if not isinstance(img, Tensor):
        from PIL import ImageOps

        return _on_pil(img, ImageOps.equalize)
    if img.ndim < 2:
        raise TypeError("Tensor is not a torch image.")
    if not 3 <= img.ndim <= 4:
        raise TypeError(f"Input image tensor should have 3 or 4 dimensions, but found {img.ndim}")
    if img.dtype.np != xp.uint8:
        raise TypeError(f"Only torch.uint8 image tensors are supported, but found {img.dtype}")
    a = _check_tensor(img)
    flat = a.reshape(-1, *a.shape[-2:])
    out = xp.stack([_equalize_channel(c) for c in flat])
    return Tensor._make(out.reshape(a.shape))


# ---------------------------------------------------------------------------------------------
# Convolutions: sharpness and Gaussian blur
# ---------------------------------------------------------------------------------------------


def _depthwise(a, kernel):
    """Correlate every (H, W) plane of ``a`` with ``kernel`` (valid positions only)."""
    kh, kw = kernel.shape
    h, w = a.shape[-2] - kh + 1, a.shape[-1] - kw + 1
    out = xp.zeros((*a.shape[:-2], h, w), dtype=a.dtype)
    for y in range(kh):
        for x in range(kw):
            out += kernel[y, x] * a[..., y : y + h, x : x + w]
    return out


def _back_from_float(out, a):
    """A convolution's float result in ``a``'s dtype: integers rounded (half to even) first,
    as torchvision's ``_cast_squeeze_out``."""
    if _is_float(a):
        return out.astype(a.dtype)
    return xp.round(out).astype(a.dtype)


def _blurred_degenerate(a):
    """The image smoothed by [[1 1 1] [1 5 1] [1 1 1]] / 13, its border rows/columns kept."""
    work = _work_dtype(a)
    kernel = xp.ones((3, 3), dtype=work)
    kernel[1, 1] = 5.0
    kernel /= kernel.sum()
    blurred = _back_from_float(_depthwise(a.astype(work), kernel), a)
    out = a.copy()
    out[..., 1:-1, 1:-1] = blurred
    return out


def adjust_sharpness(img, sharpness_factor: float):
    """Blend with a smoothed copy: 0 → smoothed, 1 → unchanged, 2 → sharpened."""
    if sharpness_factor < 0:
        raise ValueError(f"sharpness_factor ({sharpness_factor}) is not non-negative.")
    if not isinstance(img, Tensor):
        from PIL import ImageEnhance

        return _on_pil(img, lambda im: ImageEnhance.Sharpness(im).enhance(sharpness_factor))
    a = _check_tensor(img, min_ndim=2)
    if a.shape[-1] <= 2 or a.shape[-2] <= 2:
        return img
    return Tensor._make(color._blend(a, _blurred_degenerate(a), sharpness_factor))


def _gaussian_kernel1d(size: int, sigma: float, dtype):
    """exp(−x² / 2σ²) at x = −(size−1)/2 … (size−1)/2, normalised to sum 1 (in ``dtype``)."""
    half = (size - 1) * 0.5
    x = xp.linspace(-half, half, size).astype(dtype)
    pdf = xp.exp(dtype.type(-0.5) * (x / dtype.type(sigma)) ** 2)
    return pdf / pdf.sum()


def _blur_args(kernel_size, sigma) -> tuple[list[int], list[float]]:
    """torchvision's checks and defaults: (kx, ky) odd positive; σ = 0.15 k + 0.35 if None."""
    if not isinstance(kernel_size, (int, list, tuple)):
        raise TypeError(
            f"kernel_size should be int or a sequence of integers. Got {type(kernel_size)}"
        )
    if isinstance(kernel_size, int):
        kernel_size = [kernel_size, kernel_size]
    if len(kernel_size) != 2:
        raise ValueError(
            f"If kernel_size is a sequence its length should be 2. Got {len(kernel_size)}"
        )
    for k in kernel_size:
        if k % 2 == 0 or k < 0:
            raise ValueError(
                f"kernel_size should have odd and positive integers. Got {kernel_size}"
            )
    if sigma is None:
        sigma = [k * 0.15 + 0.35 for k in kernel_size]
    if not isinstance(sigma, (numbers.Real, list, tuple)):
        raise TypeError(f"sigma should be either float or sequence of floats. Got {type(sigma)}")
    if isinstance(sigma, numbers.Real):
        sigma = [float(sigma), float(sigma)]
    if len(sigma) == 1:
        sigma = [sigma[0], sigma[0]]
    if len(sigma) != 2:
        raise ValueError(f"If sigma is a sequence, its length should be 2. Got {len(sigma)}")
    for s in sigma:
        if s <= 0.0:
            raise ValueError(f"sigma should have positive values. Got {sigma}")
    return list(kernel_size), list(sigma)


def gaussian_blur(img, kernel_size, sigma=None):
    """Blur with a Gaussian of ``kernel_size`` (kx, ky) and std ``sigma`` (σx, σy).

    The borders are reflect-padded by k // 2 so that the size is kept. A PIL image is blurred
    as a uint8 tensor and converted back (torchvision does the same).
    """
    kernel_size, sigma = _blur_args(kernel_size, sigma)
    if not isinstance(img, Tensor):
        if not (_is_pil(img) or isinstance(img, xp.ndarray)):
            raise TypeError(f"img should be PIL Image or Tensor. Got {type(img)}")
        from gradiente.transforms import pil_to_tensor, to_pil_image

        def pil_op(im):
            out = gaussian_blur(pil_to_tensor(im), kernel_size, sigma)
            return to_pil_image(out, mode=im.mode)

        return _on_pil(img, pil_op)
    a = _check_tensor(img, channels=None, min_ndim=2)
    work = _work_dtype(a)
    kx = _gaussian_kernel1d(kernel_size[0], sigma[0], work)
    ky = _gaussian_kernel1d(kernel_size[1], sigma[1], work)
    kernel = ky[:, None] * kx[None, :]  # rows: y, columns: x
    px, py = kernel_size[0] // 2, kernel_size[1] // 2
    widths = [(0, 0)] * (a.ndim - 2) + [(py, py), (px, px)]
    padded = xp.pad(a.astype(work), widths, mode="reflect")
    return Tensor._make(_back_from_float(_depthwise(padded, kernel), a))


# ---------------------------------------------------------------------------------------------
# Erasing
# ---------------------------------------------------------------------------------------------


def erase(img: Tensor, i: int, j: int, h: int, w: int, v, inplace: bool = False) -> Tensor:
    """Overwrite the ``h``×``w`` window at (``i``, ``j``) with ``v`` (a value or a tensor that
    broadcasts to (C, h, w)); a copy unless ``inplace`` (differentiable, as torch's)."""
    if not isinstance(img, Tensor):
        raise TypeError(f"img should be Tensor Image. Got {type(img)}")
    if img.ndim < 2:
        raise TypeError("Tensor is not a torch image.")
    if not inplace:
        img = img.clone()
    img[..., i : i + h, j : j + w] = v
    return img
