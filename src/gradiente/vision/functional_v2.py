"""torchvision's ``transforms.v2.functional`` (``torchvision.transforms.v2.functional as F``).

The v2 functions take a tensor (..., C, H, W), a PIL image or (where v1 does) an H×W(×C) array
and give back the same kind. Most are v1's (``gradiente.vision.functional``) under v2's names
(``horizontal_flip`` for ``hflip``, ``elastic`` for ``elastic_transform``, ...); the others
compute the v2 way, which rounds differently from v1:

- ``to_dtype`` / ``convert_image_dtype``: int → float multiplies by 1 / max (v1 divides);
- ``resize``: uint8 tensors through torch's integer kernel; ``size=None`` with ``max_size``;
- ``adjust_saturation`` / ``adjust_contrast`` / ``adjust_sharpness``: the blend as a fused
  multiply-add with v2's luma; ``autocontrast``, ``rgb_to_grayscale``: v2's formulas;
- ``adjust_gamma``, ``adjust_hue``, ``equalize`` and ``posterize`` on float images: through
  v2's ``to_dtype``; ``gaussian_blur``: v2's softmax kernel, one 2-D convolution;
- new in v2: ``to_image``, ``gaussian_noise``, ``permute_channels``, ``grayscale_to_rgb``,
  ``get_size``, ``perspective(..., coefficients=...)``, ``uniform_temporal_subsample``.

The geometric functions (flips, ``resize``, the crops, ``pad``, ``affine``, ``rotate``,
``perspective``, ``elastic``) dispatch by type, as torchvision's do: ``v2_dispatch`` sends
images to the kernels of ``v2_image_kernels``, masks to nearest-neighbour ones and bounding
boxes to ``v2_boxes`` / ``v2_box_warps``, and has the per-type kernels too (``rotate_mask``,
``resize_bounding_boxes``, ...); this module re-exports them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from gradiente import transforms as T
from gradiente.backend import xp
from gradiente.tensor import Tensor, linspace, randn
from gradiente.transforms import InterpolationMode, pil_to_tensor, to_pil_image
from gradiente.vision import photometric as P
from gradiente.vision.functional import (
    adjust_brightness,
    get_dimensions,
    invert,
    solarize,
    to_tensor,
)
from gradiente.vision.v2_dispatch import *  # noqa: F403 - the per-type kernels
from gradiente.vision.v2_dispatch import __all__ as _dispatched
from gradiente.vision.v2_dispatch import (  # the geometric functions, dispatched by type
    affine,
    center_crop,
    crop,
    elastic,
    elastic_transform,
    five_crop,
    get_size,
    hflip,
    horizontal_flip,
    pad,
    perspective,
    resize,
    resized_crop,
    rotate,
    ten_crop,
    vertical_flip,
    vflip,
)
from gradiente.vision.v2_image_kernels import _v2_output_size  # noqa: F401 - v2_geometry's

__all__ = [
    "clamp_bounding_boxes",
    "convert_bounding_box_format",
    "InterpolationMode",
    "adjust_brightness",
    "adjust_contrast",
    "adjust_gamma",
    "adjust_hue",
    "adjust_saturation",
    "adjust_sharpness",
    "affine",
    "autocontrast",
    "center_crop",
    "convert_image_dtype",
    "crop",
    "elastic",
    "elastic_transform",
    "equalize",
    "erase",
    "five_crop",
    "gaussian_blur",
    "gaussian_noise",
    "get_dimensions",
    "get_image_num_channels",
    "get_image_size",
    "get_num_channels",
    "get_size",
    "grayscale_to_rgb",
    "hflip",
    "horizontal_flip",
    "invert",
    "is_pure_tensor",
    "normalize",
    "pad",
    "permute_channels",
    "perspective",
    "pil_to_tensor",
    "posterize",
    "resize",
    "resized_crop",
    "rgb_to_grayscale",
    "rotate",
    "solarize",
    "ten_crop",
    "to_dtype",
    "to_grayscale",
    "to_image",
    "to_pil_image",
    "to_tensor",
    "uniform_temporal_subsample",
    "vertical_flip",
    "vflip",
]
__all__ += [name for name in _dispatched if name not in __all__]


def _transforms_v2():
    """``gradiente.vision.transforms_v2``, imported when first needed: it builds its classes
    from this module's kernels, so importing it here at the top would be circular."""
    from gradiente.vision import transforms_v2  # noqa: PLC0415

    return transforms_v2


def _on_tensor(img, kernel, other):
    """``kernel`` on a tensor's array (wrapped back), ``other`` on anything else."""
    if isinstance(img, Tensor):
        return Tensor._make(kernel(img._data))
    return other(img)


def is_pure_tensor(inpt) -> bool:
    """Whether ``inpt`` is a plain tensor (a tensor that is no tv_tensor)."""
    from gradiente.vision.tv_tensors import TVTensor

    return isinstance(inpt, Tensor) and not isinstance(inpt, TVTensor)


def convert_bounding_box_format(inpt, old_format=None, new_format=None, inplace=False):
    """Boxes in ``new_format`` (see ``v2_boxes``)."""
    from gradiente.vision import v2_boxes

    return v2_boxes.convert_bounding_box_format(inpt, old_format, new_format, inplace)


def clamp_bounding_boxes(inpt, format=None, canvas_size=None, clamping_mode="auto"):
    """Boxes clamped to their canvas (see ``v2_boxes``)."""
    from gradiente.vision import v2_boxes

    return v2_boxes.clamp_bounding_boxes(inpt, format, canvas_size, clamping_mode)


# ---------------------------------------------------------------------------------------------
# Conversions
# ---------------------------------------------------------------------------------------------


def to_image(inpt) -> Tensor:
    """A PIL image, an H×W(×C) array or a tensor → a ``tv_tensors.Image`` (C, H, W), dtype
    kept."""
    from gradiente.vision.tv_tensors import Image

    if isinstance(inpt, Tensor):
        return Image(inpt)
    if isinstance(inpt, xp.ndarray):
        hwc = inpt[:, :, None] if inpt.ndim == 2 else inpt  # np.atleast_3d for images
        return Image(Tensor._make(xp.ascontiguousarray(hwc.transpose(2, 0, 1))))
    if P._is_pil(inpt):
        return Image(pil_to_tensor(inpt))
    raise TypeError(
        "Input can either be a pure Tensor, a numpy array, or a PIL image, but got "
        f"{type(inpt)} instead."
    )


def to_dtype(inpt, dtype=None, scale: bool = False):
    """A tensor in ``dtype`` (float32 by default), rescaled between value ranges with
    ``scale`` (see ``transforms_v2.to_dtype``)."""
    from gradiente import float32

    if not isinstance(inpt, Tensor):
        raise TypeError(f"F.to_dtype supports tensors, but got {type(inpt)} instead.")
    return _transforms_v2().to_dtype(inpt, float32 if dtype is None else dtype, scale)


def convert_image_dtype(image: Tensor, dtype=None) -> Tensor:
    """v2's deprecated ``convert_image_dtype``: ``to_dtype(..., scale=True)``."""
    return to_dtype(image, dtype, scale=True)


# ---------------------------------------------------------------------------------------------
# Geometry
# ---------------------------------------------------------------------------------------------


def get_image_size(inpt) -> list[int]:
    """v1's order: [width, height]."""
    _, height, width = get_dimensions(inpt)
    return [width, height]


def get_num_channels(inpt) -> int:
    """The number of channels."""
    return get_dimensions(inpt)[0]


get_image_num_channels = get_num_channels


# ---------------------------------------------------------------------------------------------
# Colour
# ---------------------------------------------------------------------------------------------


def normalize(inpt: Tensor, mean, std, inplace: bool = False) -> Tensor:
    """``(x − mean[c]) / std[c]`` on a float tensor (v2's checks and messages)."""
    if not isinstance(inpt, Tensor):
        raise TypeError(f"img should be Tensor Image. Got {type(inpt)}")
    if not inpt.is_floating_point():
        raise TypeError(f"Input tensor should be a float tensor. Got {inpt.dtype}.")
    if inpt.ndim < 3:
        raise ValueError(
            f"Expected tensor to be a tensor image of size (..., C, H, W). Got {tuple(inpt.shape)}."
        )
    stds = std if isinstance(std, (list, tuple)) else [std]
    if not all(stds):
        raise ValueError("std evaluated to zero, leading to division by zero.")
    return T.Normalize(mean, std, inplace)(inpt)


def rgb_to_grayscale(inpt, num_output_channels: int = 1):
    """Grey levels ``0.2989 R + 0.587 G + 0.114 B`` (v2's fused sums), 1 or 3 channels."""
    if num_output_channels not in (1, 3):
        raise ValueError(f"num_output_channels must be 1 or 3, got {num_output_channels}.")
    return _on_tensor(
        inpt,
        lambda a: xp.ascontiguousarray(_transforms_v2()._gray_v2(a, num_output_channels)),
        lambda im: P.rgb_to_grayscale(im, num_output_channels),
    )


to_grayscale = rgb_to_grayscale


def grayscale_to_rgb(inpt):
    """A one-channel image repeated into three channels (three or more pass through)."""
    if isinstance(inpt, Tensor):
        return inpt if inpt.shape[-3] >= 3 else Tensor._make(xp.repeat(inpt._data, 3, axis=-3))
    if P._is_pil(inpt):
        return inpt.convert("RGB")
    return P.rgb_to_grayscale(inpt, 3)


def _factor_check(name: str, factor: float) -> None:
    if factor < 0:
        raise ValueError(f"{name} ({factor}) is not non-negative.")


def adjust_saturation(inpt, saturation_factor: float):
    """Blend with the grey image (v2's blend)."""
    _factor_check("saturation_factor", saturation_factor)
    return _on_tensor(
        inpt,
        lambda a: _transforms_v2()._saturation_v2(a, saturation_factor),
        lambda im: P.adjust_saturation(im, saturation_factor),
    )


def adjust_contrast(inpt, contrast_factor: float):
    """Blend with the mean grey level (v2's blend)."""
    _factor_check("contrast_factor", contrast_factor)
    return _on_tensor(
        inpt,
        lambda a: _transforms_v2()._contrast_v2(a, contrast_factor),
        lambda im: P.adjust_contrast(im, contrast_factor),
    )


def adjust_sharpness(inpt, sharpness_factor: float):
    """Blend with the smoothed image inside the border (v2's fused blend)."""
    _factor_check("sharpness_factor", sharpness_factor)
    return _on_tensor(
        inpt,
        lambda a: _transforms_v2()._sharpness_v2(a, sharpness_factor),
        lambda im: P.adjust_sharpness(im, sharpness_factor),
    )


def autocontrast(inpt):
    """Stretch each channel to the full range (v2's formula)."""
    return _on_tensor(inpt, _transforms_v2()._autocontrast_v2, P.autocontrast)


def _to_unit_float(a, dtype=xp.float32):
    """An integer image → float in [0, 1] as v2's ``to_dtype(scale=True)``: x · (1 / max),
    in ``dtype``."""
    dtype = xp.dtype(dtype)
    return a.astype(dtype) * dtype.type(1.0 / P._max_value(a.dtype))


def _from_unit_float(x, dtype):
    """float in [0, 1] → ``dtype`` as v2's ``to_dtype(scale=True)``: x · (max + 1 − 0.001),
    truncated."""
    if xp.issubdtype(dtype, xp.floating):
        return x.astype(dtype)
    return (x * x.dtype.type(P._max_value(dtype) + 1.0 - 1e-3)).astype(dtype)


def adjust_gamma(inpt, gamma: float, gain: float = 1.0):
    """``gain · x^γ`` on the image scaled to [0, 1] (v2's scaling), clamped when gain ≠ 1."""
    if gamma < 0:
        raise ValueError("Gamma should be a non-negative real number")
    if not isinstance(inpt, Tensor):
        return P.adjust_gamma(inpt, gamma, gain)
    a = inpt._data
    x = a if xp.issubdtype(a.dtype, xp.floating) else _to_unit_float(a)
    out = x ** x.dtype.type(gamma)
    if gain != 1.0:
        out = xp.clip(out * out.dtype.type(gain), 0.0, 1.0)
    return Tensor._make(_from_unit_float(out.astype(x.dtype), a.dtype))


def adjust_hue(inpt, hue_factor: float):
    """Rotate the hue (v2 scales an integer image to [0, 1] by multiplying by 1 / max)."""
    if not (-0.5 <= hue_factor <= 0.5):
        raise ValueError(f"hue_factor ({hue_factor}) is not in [-0.5, 0.5].")
    if not isinstance(inpt, Tensor):
        return P.adjust_hue(inpt, hue_factor)
    a = inpt._data
    if a.shape[-3] == 1 or a.size == 0:
        return inpt
    # v2 computes in float32 whatever the input (float64 too)
    x = a.astype(xp.float32) if xp.issubdtype(a.dtype, xp.floating) else _to_unit_float(a)
    out = P.adjust_hue(Tensor._make(x), hue_factor)._data
    return Tensor._make(_from_unit_float(out, a.dtype))


def posterize(inpt, bits: int):
    """Keep ``bits`` high bits; a float image is quantised to 2^bits levels (v2)."""
    if not isinstance(bits, int) or not 0 <= bits <= 8:
        raise TypeError(f"bits must be a positive integer in the range [0, 8], got {bits} instead.")
    if isinstance(inpt, Tensor) and inpt.is_floating_point():
        a = inpt._data
        levels = 1 << bits
        # floor(x · levels), clamped to [0, levels − 1], times 1 / levels
        quantised = xp.clip(xp.floor(a * a.dtype.type(levels)), 0, levels - 1)
        return Tensor._make((quantised * a.dtype.type(1.0 / levels)).astype(a.dtype))
    return P.posterize(inpt, bits)


def equalize(inpt):
    """Equalise the histogram; a float image goes through uint8 the v2 way and back."""
    if isinstance(inpt, Tensor) and inpt.is_floating_point():
        a = inpt._data
        as_u8 = Tensor._make(_from_unit_float(a, xp.dtype(xp.uint8)))
        out = P.equalize(as_u8)._data
        return Tensor._make(_to_unit_float(out, a.dtype))
    return P.equalize(inpt)


def erase(inpt, i: int, j: int, h: int, w: int, v, inplace: bool = False):
    """Overwrite the ``h``×``w`` window at (``i``, ``j``) with ``v``; a PIL image goes through a
    tensor and back (v2 accepts PIL images)."""
    if P._is_pil(inpt):
        out = P.erase(pil_to_tensor(inpt), i, j, h, w, v, inplace)
        return to_pil_image(out, mode=inpt.mode)
    return P.erase(inpt, i, j, h, w, v, inplace)


def permute_channels(inpt, permutation: Sequence[int]):
    """The channels in the order ``permutation``."""
    if P._is_pil(inpt):
        return to_pil_image(permute_channels(pil_to_tensor(inpt), permutation), mode=inpt.mode)
    channels = inpt.shape[-3]
    if len(permutation) != channels:
        raise ValueError(
            "Length of permutation does not match number of channels: "
            f"{len(permutation)} != {channels}"
        )
    return Tensor._make(xp.ascontiguousarray(inpt._data[..., list(permutation), :, :]))


# ---------------------------------------------------------------------------------------------
# Blur and noise
# ---------------------------------------------------------------------------------------------


def _gaussian_kernel1d(size: int, sigma: float, dtype):
    """v2's kernel: softmax(−(x / σ)²) over ``linspace(−lim, lim, size)``, lim = (size−1)/(2√2)."""
    from gradiente import float32, float64

    lim = (size - 1) / (2.0 * math.sqrt(2.0))
    x = linspace(-lim, lim, size, dtype=float64 if dtype == xp.float64 else float32)
    return x.div(sigma).pow(2).neg().softmax(0)._data


def gaussian_blur(inpt, kernel_size, sigma=None):
    """Blur with v2's Gaussian: one 2-D kernel (outer product of the 1-D ones), reflect padding;
    integer images computed in float32 and rounded."""
    sizes, sigmas = _blur_arguments(kernel_size, sigma)
    if P._is_pil(inpt):
        out = gaussian_blur(pil_to_tensor(inpt), sizes, sigmas)
        return to_pil_image(out, mode=inpt.mode)
    a = inpt._data
    if a.size == 0:
        return inpt
    floating = xp.issubdtype(a.dtype, xp.floating)
    work = a.dtype if floating else xp.dtype(xp.float32)
    kx = _gaussian_kernel1d(sizes[0], sigmas[0], work)
    ky = _gaussian_kernel1d(sizes[1], sigmas[1], work)
    kernel = ky[:, None] * kx  # (kh, kw)
    px, py = sizes[0] // 2, sizes[1] // 2
    widths = [(0, 0)] * (a.ndim - 2) + [(py, py), (px, px)]
    padded = xp.pad(a.astype(work), widths, mode="reflect")
    out = P._depthwise(padded, kernel)
    return Tensor._make(out.astype(a.dtype) if floating else xp.round(out).astype(a.dtype))


def _blur_arguments(kernel_size, sigma) -> tuple[list[int], list[float]]:
    """v2's checks: odd positive sizes; σ defaults to 0.15·size + 0.35."""
    if isinstance(kernel_size, int):
        kernel_size = [kernel_size, kernel_size]
    elif len(kernel_size) != 2:
        raise ValueError(
            f"If kernel_size is a sequence its length should be 2. Got {len(kernel_size)}"
        )
    for size in kernel_size:
        if size % 2 == 0 or size < 0:
            raise ValueError(
                f"kernel_size should have odd and positive integers. Got {kernel_size}"
            )
    if sigma is None:
        sigma = [size * 0.15 + 0.35 for size in kernel_size]
    elif isinstance(sigma, (list, tuple)):
        if len(sigma) == 1:
            sigma = [sigma[0], sigma[0]]
        elif len(sigma) != 2:
            raise ValueError(f"If sigma is a sequence, its length should be 2. Got {len(sigma)}")
    elif isinstance(sigma, (int, float)):
        sigma = [float(sigma), float(sigma)]
    else:
        raise TypeError(f"sigma should be either float or sequence of floats. Got {type(sigma)}")
    for s in sigma:
        if s <= 0.0:
            raise ValueError(f"sigma should have positive values. Got {sigma}")
    return list(kernel_size), list(sigma)


def gaussian_noise(inpt: Tensor, mean: float = 0.0, sigma: float = 0.1, clip: bool = True):
    """Add N(mean, σ²) noise drawn by ``randn_like``: to a float image (then clamped to [0, 1]),
    or to a uint8 image as ``int16(255·mean + randn · 255σ)`` (then clamped to [0, 255])."""
    if P._is_pil(inpt):
        raise ValueError("Gaussian Noise is not implemented for PIL images.")
    if sigma < 0:
        raise ValueError(f"sigma shouldn't be negative. Got {sigma}")
    a = inpt._data
    f32 = xp.float32
    if xp.issubdtype(a.dtype, xp.floating):
        noise = randn(*a.shape, dtype=inpt.dtype)._data
        noise = a.dtype.type(mean) + noise * a.dtype.type(sigma)
        out = a + noise
        return Tensor._make(xp.clip(out, 0, 1) if clip else out)
    if a.dtype == xp.uint8:
        from gradiente import float32

        noise = randn(*a.shape, dtype=float32)._data
        noise = (f32(mean * 255) + noise * f32(sigma * 255)).astype(xp.int16)
        out = a.astype(xp.int16) + noise
        if clip:
            out = xp.clip(out, 0, 255)
        return Tensor._make(out.astype(xp.uint8))
    raise ValueError(
        f"Input tensor is expected to be in uint8 or float dtype, got dtype={inpt.dtype}"
    )


# ---------------------------------------------------------------------------------------------
# Video
# ---------------------------------------------------------------------------------------------


def uniform_temporal_subsample(inpt: Tensor, num_samples: int) -> Tensor:
    """``num_samples`` frames evenly spaced along the time axis (−4) of (..., T, C, H, W)."""
    t_max = inpt.shape[-4] - 1
    indices = linspace(0, t_max, num_samples).long()._data
    return Tensor._make(xp.take(inpt._data, indices, axis=-4))


def jpeg(inpt, quality: int):
    """The image after a round trip through JPEG at ``quality`` (1–100), through Pillow: a
    PIL image as it is, a uint8 tensor (…, C, H, W) image by image. (torchvision encodes
    tensors with its own libjpeg; Pillow's encoder may differ from it in a few pixels.)"""
    if P._is_pil(inpt):
        import io

        from PIL import Image

        buffer = io.BytesIO()
        inpt.save(buffer, format="JPEG", quality=quality)
        return Image.open(buffer).copy()
    a = inpt._data
    if a.size == 0:
        return Tensor._make(a.copy())
    flat = a.reshape((-1,) + a.shape[-3:])
    frames = [pil_to_tensor(jpeg(to_pil_image(Tensor._make(x)), quality))._data for x in flat]
    return Tensor._make(xp.stack(frames).reshape(a.shape))


# ---------------------------------------------------------------------------------------------
# The per-type names of the functions above, and dispatch by type: as in torchvision, an Image
# or Video gives back its type, a Mask or BoundingBoxes is refused (transforms pass them by)
# ---------------------------------------------------------------------------------------------

_BY_TYPE = {  # function → the tv_tensor types it takes ("image", "video")
    "adjust_brightness": ("image", "video"),
    "adjust_contrast": ("image", "video"),
    "adjust_gamma": ("image", "video"),
    "adjust_hue": ("image", "video"),
    "adjust_saturation": ("image", "video"),
    "adjust_sharpness": ("image", "video"),
    "autocontrast": ("image", "video"),
    "equalize": ("image", "video"),
    "erase": ("image", "video"),
    "gaussian_blur": ("image", "video"),
    "gaussian_noise": ("image", "video"),
    "invert": ("image", "video"),
    "jpeg": ("image", "video"),
    "normalize": ("image", "video"),
    "permute_channels": ("image", "video"),
    "posterize": ("image", "video"),
    "solarize": ("image", "video"),
    "rgb_to_grayscale": ("image",),
    "grayscale_to_rgb": ("image",),
    "get_dimensions": ("image", "video"),
    "get_num_channels": ("image", "video"),
    "uniform_temporal_subsample": ("video",),
}


def _typed(name: str, kernel, kinds: tuple[str, ...]):
    """``kernel`` dispatched by type: the tv_tensors of ``kinds`` through their plain tensor
    (tensor results wrapped back), other tv_tensors refused, anything else as it is."""
    from gradiente.vision import tv_tensors as tvt

    types = tuple({"image": tvt.Image, "video": tvt.Video}[k] for k in kinds)

    def functional(inpt, *args, **kwargs):
        if isinstance(inpt, types):
            out = kernel(inpt._plain(), *args, **kwargs)
            return tvt.wrap(out, like=inpt) if isinstance(out, Tensor) else out
        if isinstance(inpt, tvt.TVTensor):
            allowed = ", ".join(["torch.Tensor", *(t.__name__ for t in types)])
            raise TypeError(
                f"Functional F.{name} supports inputs of type {allowed}, but got "
                f"{type(inpt)} instead."
            )
        return kernel(inpt, *args, **kwargs)

    functional.__name__, functional.__doc__ = name, kernel.__doc__
    return functional


for _name, _kinds in _BY_TYPE.items():
    _kernel = globals()[_name]
    for _kind in _kinds:
        globals()[f"{_name}_{_kind}"] = _kernel
        __all__.append(f"{_name}_{_kind}")
    globals()[_name] = _typed(_name, _kernel, _kinds)
to_grayscale = rgb_to_grayscale
get_image_num_channels = get_num_channels
__all__ += ["jpeg", "to_dtype_image", "to_dtype_video", "sanitize_bounding_boxes"]
to_dtype_image = to_dtype_video = to_dtype


def sanitize_bounding_boxes(
    bounding_boxes, format=None, canvas_size=None, min_size: float = 1.0, min_area: float = 1.0
):
    """(the valid boxes, the boolean mask of which were kept): boxes smaller than
    ``min_size`` / ``min_area`` or reaching outside the canvas are dropped. A plain tensor
    needs ``format`` and ``canvas_size``; BoundingBoxes carry theirs."""
    from gradiente.vision import tv_tensors as tvt
    from gradiente.vision import v2_boxes

    if is_pure_tensor(bounding_boxes):
        if format is None or canvas_size is None:
            raise ValueError(
                "format and canvas_size cannot be None if bounding_boxes is a pure tensor. "
                f"Got format={format} and canvas_size={canvas_size}."
                "Set those to appropriate values or pass bounding_boxes as a "
                "tv_tensors.BoundingBoxes object."
            )
        valid = v2_boxes.sanitize_mask(
            bounding_boxes._data, format, canvas_size, min_size, min_area
        )
        return bounding_boxes[Tensor._make(valid)], Tensor._make(valid)
    if not isinstance(bounding_boxes, tvt.BoundingBoxes):
        raise ValueError(
            "bounding_boxes must be a tv_tensors.BoundingBoxes instance or a pure tensor."
        )
    if format is not None or canvas_size is not None:
        raise ValueError(
            "format and canvas_size must be None when bounding_boxes is a "
            f"tv_tensors.BoundingBoxes instance. Got format={format} and "
            f"canvas_size={canvas_size}. Leave those to None or pass bounding_boxes as a pure "
            "tensor."
        )
    valid = v2_boxes.sanitize_mask(
        bounding_boxes._data,
        bounding_boxes.format,
        bounding_boxes.canvas_size,
        min_size,
        min_area,
    )
    kept = tvt.wrap(bounding_boxes._plain()[Tensor._make(valid)], like=bounding_boxes)
    return kept, Tensor._make(valid)
