"""The image kernels of ``transforms.v2.functional``'s geometric functions: what
``v2_dispatch`` applies to images and videos (plain tensors (…, C, H, W), PIL images, H×W(×C)
arrays), and, through a channel axis and with nearest neighbours, to masks. Most are v1's
(``gradiente.vision.functional``, ``geometry``) under v2's names; ``resize_image`` resizes
uint8 tensors with torch's integer kernel and takes ``size=None`` with ``max_size``.
"""

from __future__ import annotations

from collections.abc import Sequence

from gradiente import transforms as T
from gradiente.tensor import Tensor
from gradiente.transforms import InterpolationMode
from gradiente.vision import functional as F1
from gradiente.vision import geometry as G
from gradiente.vision.functional import crop, get_dimensions


def _get_size_image(inpt) -> list[int]:
    """[height, width] of an image (``v2_dispatch.get_size`` handles every type)."""
    _, height, width = get_dimensions(inpt)
    return [height, width]


def _v2_output_size(h: int, w: int, size, max_size):
    """v2's rule: v1's, plus ``size=None``: the longer edge becomes ``max_size``."""
    if size is None:
        if not isinstance(max_size, int):
            raise ValueError(
                f"max_size must be an integer when size is None, but got {max_size} instead."
            )
        short, long = (w, h) if w <= h else (h, w)
        new_short, new_long = int(max_size * short / long), max_size
        return (new_long, new_short) if w <= h else (new_short, new_long)
    if isinstance(size, int):
        size = [size]
    elif max_size is not None and len(size) != 1:
        raise ValueError(
            "max_size should only be passed if size is None or specifies the length of the "
            "smaller edge, i.e. size should be an int or a sequence of length 1 in torchscript "
            "mode."
        )
    return T._resized_size(h, w, size, max_size)


def resize_image(
    inpt, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias: bool = True
):
    """The image resized to ``size`` (see ``transforms_v2.Resize``): uint8 tensors through
    torch's integer kernel, PIL images through Pillow."""
    mode = T._interpolation(interpolation)
    img = T._as_image(inpt)
    h, w = T._size_hw(img)
    out_size = _v2_output_size(h, w, size, max_size)
    if out_size == (h, w):
        return inpt
    out = T._resize(img, out_size, mode, bool(antialias), native_uint8=True)
    return F1._as_pil_if(inpt, out)


def resized_crop_image(
    inpt,
    top: int,
    left: int,
    height: int,
    width: int,
    size,
    interpolation=InterpolationMode.BILINEAR,
    antialias: bool = True,
):
    """``crop`` then ``resize``."""
    cropped = crop(inpt, top, left, height, width)
    return resize_image(cropped, size, interpolation, antialias=antialias)


def horizontal_flip_image(inpt):
    """Mirror left–right."""
    return F1.hflip(inpt)


def vertical_flip_image(inpt):
    """Mirror top–bottom."""
    return F1.vflip(inpt)


def affine_image(
    inpt,
    angle: float,
    translate: Sequence[float],
    scale: float,
    shear: Sequence[float],
    interpolation=InterpolationMode.NEAREST,
    fill=None,
    center=None,
):
    """Rotate, scale, shear and translate (v1's ``affine``)."""
    return G.affine(inpt, angle, list(translate), scale, shear, interpolation, fill, center)


def perspective_image(
    inpt,
    startpoints,
    endpoints,
    interpolation=InterpolationMode.BILINEAR,
    fill=None,
    coefficients=None,
):
    """The perspective warp from four point pairs, or from its eight ``coefficients``."""
    if coefficients is not None:
        if startpoints is not None or endpoints is not None:
            raise ValueError(
                "The startpoints/endpoints and the coefficients shouldn't be defined concurrently."
            )
        return G.perspective_from_coefficients(inpt, coefficients, interpolation, fill)
    if startpoints is None or endpoints is None:
        raise ValueError("The startpoints/endpoints arguments should be defined.")
    return G.perspective(inpt, startpoints, endpoints, interpolation, fill)


def elastic_image(inpt, displacement: Tensor, interpolation=InterpolationMode.BILINEAR, fill=None):
    """Move each pixel by ``displacement`` (1, H, W, 2) (v1's ``elastic_transform``)."""
    return G.elastic_transform(inpt, displacement, interpolation, fill)
