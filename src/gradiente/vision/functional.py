"""torchvision's ``transforms.functional`` (``import torchvision.transforms.functional as TF``).

The same operations as the transform classes of ``gradiente.transforms``, as plain functions
with explicit parameters — what a script uses to apply *one* random choice to an image and its
mask alike. Each takes a tensor (..., C, H, W), a NumPy H×W(×C) array or a PIL image, and gives
back the same kind (a PIL image stays a PIL image).
"""

from __future__ import annotations

from collections.abc import Sequence

from gradiente import transforms as T
from gradiente.transforms import InterpolationMode, pil_to_tensor, to_pil_image
from gradiente.vision.geometry import (
    affine,
    elastic_transform,
    five_crop,
    get_dimensions,
    perspective,
    rotate,
    ten_crop,
)
from gradiente.vision.photometric import (
    adjust_brightness,
    adjust_contrast,
    adjust_gamma,
    adjust_hue,
    adjust_saturation,
    adjust_sharpness,
    autocontrast,
    convert_image_dtype,
    equalize,
    erase,
    gaussian_blur,
    invert,
    posterize,
    rgb_to_grayscale,
    solarize,
    to_grayscale,
)

__all__ = [
    "InterpolationMode",
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
    "invert",
    "posterize",
    "rgb_to_grayscale",
    "solarize",
    "to_grayscale",
    "affine",
    "elastic_transform",
    "five_crop",
    "get_dimensions",
    "get_image_num_channels",
    "get_image_size",
    "perspective",
    "rotate",
    "ten_crop",
    "center_crop",
    "crop",
    "hflip",
    "normalize",
    "pad",
    "pil_to_tensor",
    "resize",
    "resized_crop",
    "to_pil_image",
    "to_tensor",
    "vflip",
]


def _as_pil_if(img, out):
    """``out`` (an array) as a PIL image when ``img`` was one."""
    if T._is_pil(img) and not isinstance(out, T.Tensor):
        from PIL import Image  # Pillow: a runtime dependency

        return Image.fromarray(T.xp.ascontiguousarray(out))
    return out


def to_tensor(pic):
    """A PIL image or H×W(×C) array → a float C×H×W tensor in [0, 1] (uint8 divided by 255)."""
    return T.ToTensor()(pic)


def normalize(tensor, mean: Sequence[float], std: Sequence[float], inplace: bool = False):
    """``(tensor - mean[c]) / std[c]`` per channel of a float (..., C, H, W) tensor."""
    return T.Normalize(mean, std, inplace)(tensor)


def hflip(img):
    """The image mirrored left–right."""
    return _as_pil_if(img, T._flip(T._as_image(img), -1, 1))


def vflip(img):
    """The image mirrored top–bottom."""
    return _as_pil_if(img, T._flip(T._as_image(img), -2, 0))


def crop(img, top: int, left: int, height: int, width: int):
    """The ``height``×``width`` window whose top-left corner is (``top``, ``left``); the parts
    outside the image are zero (torchvision pads rather than fails)."""
    a = T._as_image(img)
    h, w = T._size_hw(a)
    right, bottom = left + width, top + height
    if left < 0 or top < 0 or right > w or bottom > h:
        padding = [max(-left, 0), max(-top, 0), max(right - w, 0), max(bottom - h, 0)]
        a = T._pad(a, padding)
        top, left = top + padding[1], left + padding[0]
    return _as_pil_if(img, T._crop(a, top, left, height, width))


def center_crop(img, output_size):
    """The central ``output_size`` window (zero-padded first if the image is smaller)."""
    return T.CenterCrop(output_size)(img)


def resize(
    img,
    size,
    interpolation=InterpolationMode.BILINEAR,
    max_size: int | None = None,
    antialias: bool | None = True,
):
    """The image resized to ``size`` ((h, w), or the shorter side for one int)."""
    return T.Resize(size, interpolation, max_size, antialias)(img)


def resized_crop(
    img,
    top: int,
    left: int,
    height: int,
    width: int,
    size,
    interpolation=InterpolationMode.BILINEAR,
    antialias: bool | None = True,
):
    """``crop`` then ``resize`` — one ``RandomResizedCrop`` draw applied with fixed numbers."""
    return resize(crop(img, top, left, height, width), size, interpolation, antialias=antialias)


def get_image_size(img) -> list[int]:
    """[width, height] (v1's order, PIL's ``size``)."""
    _, height, width = get_dimensions(img)
    return [width, height]


def get_image_num_channels(img) -> int:
    """The number of channels (1 for an H×W tensor)."""
    return get_dimensions(img)[0]


def pad(img, padding, fill=0, padding_mode: str = "constant"):
    """The image padded on each side: ``padding`` is an int, (left/right, top/bottom) or
    (left, top, right, bottom); modes ``constant``, ``edge``, ``reflect``, ``symmetric``."""
    return _as_pil_if(img, T._pad(T._as_image(img), padding, fill, padding_mode))
