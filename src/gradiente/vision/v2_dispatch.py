"""``transforms.v2.functional``'s geometric functions, dispatched by the type of their input, and
the per-type kernels torchvision exposes beside them (re-exported by ``functional_v2``).

``F.rotate(x, 30)`` does what suits ``x``: an image (a plain tensor, a PIL image, a
``tv_tensors.Image``) or a ``Video`` is warped with the given interpolation, a ``Mask`` always
with nearest neighbours (an (H, W) mask through a channel axis), and ``BoundingBoxes`` have
their coordinates moved (``v2_boxes``, ``v2_box_warps``), keeping their format and taking the
new canvas size. A tv_tensor comes back as the same type; another tv_tensor type is refused
with a TypeError, as torchvision refuses a type it has no kernel for.

The kernels work on plain data and carry the type's name: ``rotate_image``, ``rotate_mask``,
``rotate_video``, ``rotate_bounding_boxes(boxes, format, canvas_size, angle, ...)`` — the box
kernels that change the canvas return ``(boxes, canvas_size)``, as torchvision's do.
"""

from __future__ import annotations

from collections.abc import Callable

from gradiente import transforms as T
from gradiente.backend import xp
from gradiente.tensor import Tensor
from gradiente.transforms import InterpolationMode
from gradiente.vision import functional as F1
from gradiente.vision import geometry as G
from gradiente.vision import tv_tensors as tvt
from gradiente.vision import v2_box_warps as W
from gradiente.vision import v2_boxes as B
from gradiente.vision import v2_image_kernels as K
from gradiente.vision.v2_core import parse_pad_padding

_GEOMETRIC = [
    "horizontal_flip",
    "vertical_flip",
    "resize",
    "crop",
    "center_crop",
    "resized_crop",
    "pad",
    "affine",
    "rotate",
    "perspective",
    "elastic",
]
__all__ = (
    _GEOMETRIC
    + [f"{name}_{kind}" for name in _GEOMETRIC for kind in ("image", "mask", "video")]
    + [f"{name}_bounding_boxes" for name in _GEOMETRIC]
    + ["hflip", "vflip", "elastic_transform", "five_crop", "ten_crop"]
    + ["five_crop_image", "five_crop_video", "ten_crop_image", "ten_crop_video"]
    + ["get_size_image", "get_size_mask", "get_size_video", "get_size_bounding_boxes"]
    + ["get_size", "get_num_frames", "get_num_frames_video"]
)


# ---------------------------------------------------------------------------------------------
# Dispatch
# ---------------------------------------------------------------------------------------------


def _route(name: str, inpt, image: Callable, mask: Callable | None, boxes: Callable | None):
    """``name``'s kernel for ``inpt``'s type: ``image`` on images and videos (plain tensors,
    PIL images, arrays), ``mask`` on a Mask's plain tensor, ``boxes`` on BoundingBoxes (it
    returns the new BoundingBoxes); a tv_tensor comes back as its type."""
    if isinstance(inpt, tvt.BoundingBoxes) and boxes is not None:
        return boxes(inpt)
    if isinstance(inpt, tvt.Mask) and mask is not None:
        return tvt.wrap(mask(inpt._plain()), like=inpt)
    if isinstance(inpt, (tvt.Image, tvt.Video)):
        return tvt.wrap(image(inpt._plain()), like=inpt)
    if isinstance(inpt, tvt.TVTensor) or not (
        isinstance(inpt, (Tensor, xp.ndarray)) or T._is_pil(inpt)
    ):
        raise TypeError(
            f"Functional F.{name} supports inputs of type torch.Tensor, PIL.Image.Image, "
            f"Image, Video{', Mask' if mask else ''}{', BoundingBoxes' if boxes else ''}, "
            f"but got {type(inpt)} instead."
        )
    return image(inpt)


def _boxes_out(boxes: tvt.BoundingBoxes, result) -> tvt.BoundingBoxes:
    """A box kernel's result (a tensor, or (tensor, canvas size)) as BoundingBoxes like
    ``boxes``."""
    if isinstance(result, tuple):
        data, canvas = result
        return tvt.wrap(data, like=boxes, canvas_size=tuple(canvas))
    return tvt.wrap(result, like=boxes)


def _box_kernel(kernel: Callable, clamps: bool = True, **kwargs) -> Callable:
    """BoundingBoxes → ``kernel(plain, format=, canvas_size=, clamping_mode=, **kwargs)``
    wrapped back (the canvas too, where the kernel gives one); a kernel that never clamps
    (``clamps=False``: the flips) is not given the clamping mode."""

    def apply(boxes):
        meta = {"format": boxes.format, "canvas_size": boxes.canvas_size}
        if clamps:
            meta["clamping_mode"] = boxes.clamping_mode
        return _boxes_out(boxes, kernel(boxes._plain(), **meta, **kwargs))

    return apply


def _box_tensor(array, canvas=None):
    """A box kernel's output: the array as a plain tensor (and the canvas size, if given)."""
    out = Tensor._make(xp.ascontiguousarray(array))
    return out if canvas is None else (out, tuple(canvas))


def _channels_first(kernel: Callable) -> Callable:
    """A mask kernel from an image kernel: an (H, W) mask through a channel axis."""

    def apply(mask, *args, **kwargs):
        if mask.ndim >= 3:
            return kernel(mask, *args, **kwargs)
        return kernel(mask.unsqueeze(0), *args, **kwargs).squeeze(0)

    return apply


def _fill(fill):
    """torchvision's fill: None stays None (zero padding), a number or sequence as floats."""
    if fill is None or isinstance(fill, (int, float)):
        return fill
    return [float(f) for f in fill]


# ---------------------------------------------------------------------------------------------
# Flips
# ---------------------------------------------------------------------------------------------


horizontal_flip_image = horizontal_flip_mask = horizontal_flip_video = K.horizontal_flip_image
vertical_flip_image = vertical_flip_mask = vertical_flip_video = K.vertical_flip_image


def horizontal_flip_bounding_boxes(bounding_boxes, format, canvas_size):
    """Boxes mirrored left–right on their canvas."""
    a = B.flip_array(bounding_boxes._data, format, canvas_size, True)
    return _box_tensor(a)


def vertical_flip_bounding_boxes(bounding_boxes, format, canvas_size):
    """Boxes mirrored top–bottom on their canvas."""
    return _box_tensor(B.flip_array(bounding_boxes._data, format, canvas_size, False))


def horizontal_flip(inpt):
    """Mirror left–right: images, videos, masks and boxes."""
    boxes = _box_kernel(horizontal_flip_bounding_boxes, clamps=False)
    return _route("horizontal_flip", inpt, horizontal_flip_image, horizontal_flip_mask, boxes)


def vertical_flip(inpt):
    """Mirror top–bottom: images, videos, masks and boxes."""
    boxes = _box_kernel(vertical_flip_bounding_boxes, clamps=False)
    return _route("vertical_flip", inpt, vertical_flip_image, vertical_flip_mask, boxes)


hflip, vflip = horizontal_flip, vertical_flip


# ---------------------------------------------------------------------------------------------
# Resize, crops, pad
# ---------------------------------------------------------------------------------------------


resize_image = resize_video = K.resize_image


def resize_mask(mask, size, interpolation=InterpolationMode.BILINEAR, max_size=None):
    """A mask resized with nearest neighbours (``nearest-exact`` if asked; any other mode is
    taken as nearest, as torchvision does)."""
    mode = T._interpolation(interpolation)
    if mode != InterpolationMode.NEAREST_EXACT:
        mode = InterpolationMode.NEAREST
    return _channels_first(K.resize_image)(mask, size, mode, max_size)


def resize_bounding_boxes(
    bounding_boxes, canvas_size, size, max_size=None, format=B.XYXY, clamping_mode="soft"
):
    """Boxes scaled with their canvas → (boxes, new canvas size)."""
    new = K._v2_output_size(canvas_size[0], canvas_size[1], size, max_size)
    return _box_tensor(B.resize_array(bounding_boxes._data, canvas_size, new), tuple(new))


def resize(inpt, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True):
    """Resize to ``size`` ((h, w), or the shorter side for one int; ``max_size`` caps the
    longer): images with ``interpolation``, masks with nearest neighbours, boxes scaled."""
    return _route(
        "resize",
        inpt,
        lambda x: resize_image(x, size, interpolation, max_size, antialias),
        lambda m: resize_mask(m, size, interpolation, max_size),
        _box_kernel(_resize_boxes_dispatch, size=size, max_size=max_size),
    )


def _resize_boxes_dispatch(boxes, format, canvas_size, clamping_mode, size, max_size):
    return resize_bounding_boxes(boxes, canvas_size, size, max_size, format, clamping_mode)


crop_image = crop_video = F1.crop
crop_mask = _channels_first(F1.crop)


def crop_bounding_boxes(bounding_boxes, format, top, left, height, width, clamping_mode="soft"):
    """Boxes moved by (−left, −top) and clamped to the window → (boxes, (height, width))."""
    a, canvas = B.crop_array(bounding_boxes._data, format, top, left, height, width, clamping_mode)
    return _box_tensor(a, canvas)


def crop(inpt, top: int, left: int, height: int, width: int):
    """The ``height``×``width`` window at (``top``, ``left``) (zero-padded where it leaves the
    image); boxes are moved into it and clamped."""
    window = (top, left, height, width)

    def boxes(b, format, canvas_size, clamping_mode):
        return crop_bounding_boxes(b, format, *window, clamping_mode=clamping_mode)

    return _route(
        "crop",
        inpt,
        lambda x: crop_image(x, *window),
        lambda m: crop_mask(m, *window),
        _box_kernel(boxes),
    )


center_crop_image = center_crop_video = F1.center_crop
center_crop_mask = _channels_first(F1.center_crop)


def _center_crop_size(output_size) -> list[int]:
    """An int or one number → [s, s]; two numbers as given."""
    if isinstance(output_size, int):
        return [output_size, output_size]
    output_size = list(output_size)
    return output_size * 2 if len(output_size) == 1 else output_size


def center_crop_bounding_boxes(
    bounding_boxes, format, canvas_size, output_size, clamping_mode="soft"
):
    """Boxes in the central window → (boxes, window size)."""
    crop_h, crop_w = _center_crop_size(output_size)
    top = int(round((canvas_size[0] - crop_h) / 2.0))
    left = int(round((canvas_size[1] - crop_w) / 2.0))
    return crop_bounding_boxes(bounding_boxes, format, top, left, crop_h, crop_w, clamping_mode)


def center_crop(inpt, output_size):
    """The central ``output_size`` window (zero-padded where the input is smaller)."""
    return _route(
        "center_crop",
        inpt,
        lambda x: center_crop_image(x, output_size),
        lambda m: center_crop_mask(m, output_size),
        _box_kernel(center_crop_bounding_boxes, output_size=output_size),
    )


resized_crop_image = resized_crop_video = K.resized_crop_image


def resized_crop_mask(mask, top: int, left: int, height: int, width: int, size):
    """A mask cropped, then resized with nearest neighbours."""
    return resize_mask(crop_mask(mask, top, left, height, width), size)


def resized_crop_bounding_boxes(
    bounding_boxes, format, top, left, height, width, size, clamping_mode="soft"
):
    """Boxes cropped, then scaled to ``size`` → (boxes, new canvas size)."""
    cropped, canvas = crop_bounding_boxes(
        bounding_boxes, format, top, left, height, width, clamping_mode
    )
    return resize_bounding_boxes(cropped, canvas, size, None, format, clamping_mode)


def resized_crop(
    inpt, top, left, height, width, size, interpolation=InterpolationMode.BILINEAR, antialias=True
):
    """``crop`` then ``resize`` (masks with nearest neighbours, boxes moved and scaled)."""
    window = (top, left, height, width)

    def boxes(b, format, canvas_size, clamping_mode):
        return resized_crop_bounding_boxes(b, format, *window, size, clamping_mode)

    return _route(
        "resized_crop",
        inpt,
        lambda x: resized_crop_image(x, *window, size, interpolation, antialias),
        lambda m: resized_crop_mask(m, *window, size),
        _box_kernel(boxes),
    )


def pad_image(image, padding, fill=None, padding_mode: str = "constant"):
    """The image padded (``padding`` as for ``Pad``; ``fill`` 0 by default)."""
    return F1.pad(image, padding, 0 if fill is None else _fill(fill), padding_mode)


pad_video = pad_image


def pad_mask(mask, padding, fill=None, padding_mode: str = "constant"):
    """A mask padded with one number (0 by default)."""
    if isinstance(fill, (tuple, list)):
        raise ValueError("Non-scalar fill value is not supported")
    return _channels_first(pad_image)(mask, padding, fill, padding_mode)


def pad_bounding_boxes(
    bounding_boxes, format, canvas_size, padding, padding_mode="constant", clamping_mode="soft"
):
    """Boxes moved by (left, top) on the larger canvas → (boxes, new canvas size); only
    constant padding keeps boxes meaningful."""
    if padding_mode != "constant":
        raise ValueError(f"Padding mode '{padding_mode}' is not supported with bounding boxes")
    left, right, top, bottom = parse_pad_padding(padding)
    a, canvas = B.pad_array(
        bounding_boxes._data, format, canvas_size, [left, top, right, bottom], clamping_mode
    )
    return _box_tensor(a, canvas)


def pad(inpt, padding, fill=None, padding_mode: str = "constant"):
    """Pad each side (an int, (left/right, top/bottom) or (left, top, right, bottom)); boxes
    move with the image."""
    return _route(
        "pad",
        inpt,
        lambda x: pad_image(x, padding, fill, padding_mode),
        lambda m: pad_mask(m, padding, fill, padding_mode),
        _box_kernel(pad_bounding_boxes, padding=padding, padding_mode=padding_mode),
    )


# ---------------------------------------------------------------------------------------------
# Warps: affine, rotate, perspective, elastic
# ---------------------------------------------------------------------------------------------


def affine_image(
    image,
    angle,
    translate,
    scale,
    shear,
    interpolation=InterpolationMode.NEAREST,
    fill=None,
    center=None,
):
    """Rotate, scale, shear and translate the image (see ``geometry.affine``)."""
    mode = T._interpolation(interpolation)
    return K.affine_image(image, angle, translate, scale, shear, mode, _fill(fill), center)


affine_video = affine_image


def affine_mask(mask, angle, translate, scale, shear, fill=None, center=None):
    """The affine warp of a mask, nearest neighbours."""
    return affine_image(
        mask, angle, translate, scale, shear, InterpolationMode.NEAREST, fill, center
    )


def affine_bounding_boxes(
    bounding_boxes,
    format,
    canvas_size,
    angle,
    translate,
    scale,
    shear,
    center=None,
    clamping_mode="soft",
):
    """Boxes through the affine map: the box around each box's moved corners, clamped."""
    a, _ = W.affine_array(
        bounding_boxes._data,
        format,
        canvas_size,
        angle,
        translate,
        scale,
        shear,
        center,
        clamping_mode=clamping_mode,
    )
    return _box_tensor(a)


def affine(
    inpt,
    angle,
    translate,
    scale,
    shear,
    interpolation=InterpolationMode.NEAREST,
    fill=None,
    center=None,
):
    """The affine warp (rotation ``angle`` clockwise, ``translate``, ``scale``, ``shear``
    about ``center``) of images, masks (nearest) and boxes."""
    args = (angle, translate, scale, shear)
    return _route(
        "affine",
        inpt,
        lambda x: affine_image(x, *args, interpolation, fill, center),
        lambda m: affine_mask(m, *args, fill, center),
        _box_kernel(_affine_boxes_dispatch, args=args, center=center),
    )


def _affine_boxes_dispatch(boxes, format, canvas_size, clamping_mode, args, center):
    return affine_bounding_boxes(
        boxes, format, canvas_size, *args, center=center, clamping_mode=clamping_mode
    )


def rotate_image(
    image, angle, interpolation=InterpolationMode.NEAREST, expand=False, center=None, fill=None
):
    """The image rotated ``angle`` degrees counter-clockwise. About the centre, multiples of
    90° are exact quarter turns (``rot90``), as in torchvision: 0° and 180° always, 90° and
    270° when the output may change shape (``expand``) or the image is square."""
    quarter = _quarter_turns(image, angle, expand, center)
    if quarter is None:
        return G.rotate(image, angle, T._interpolation(interpolation), expand, center, _fill(fill))
    a = xp.ascontiguousarray(xp.rot90(image._data, quarter, axes=(-2, -1)))
    return Tensor._make(a)


def _quarter_turns(image, angle, expand, center) -> int | None:
    """How many quarter turns the rotation is, where torchvision's fast path takes it."""
    if center is not None or not isinstance(image, Tensor):
        return None
    angle = angle % 360
    if angle in (0, 180):
        return int(angle) // 90
    if angle in (90, 270) and (expand or image.shape[-1] == image.shape[-2]):
        return int(angle) // 90
    return None


rotate_video = rotate_image


def rotate_mask(mask, angle, expand=False, center=None, fill=None):
    """A mask rotated with nearest neighbours."""
    rotate = _channels_first(rotate_image)
    return rotate(mask, angle, InterpolationMode.NEAREST, expand, center, fill)


def rotate_bounding_boxes(
    bounding_boxes, format, canvas_size, angle, expand=False, center=None, clamping_mode="soft"
):
    """Boxes rotated with the image → (boxes, canvas size; larger with ``expand``)."""
    a, canvas = W.rotate_array(
        bounding_boxes._data, format, canvas_size, angle, expand, center, clamping_mode
    )
    return _box_tensor(a, canvas)


def rotate(
    inpt, angle, interpolation=InterpolationMode.NEAREST, expand=False, center=None, fill=None
):
    """Rotate ``angle`` degrees counter-clockwise: images, masks (nearest) and boxes."""
    return _route(
        "rotate",
        inpt,
        lambda x: rotate_image(x, angle, interpolation, expand, center, fill),
        lambda m: rotate_mask(m, angle, expand, center, fill),
        _box_kernel(rotate_bounding_boxes, angle=angle, expand=expand, center=center),
    )


def perspective_image(
    image,
    startpoints,
    endpoints,
    interpolation=InterpolationMode.BILINEAR,
    fill=None,
    coefficients=None,
):
    """The perspective warp of an image (see ``functional_v2``)."""
    return K.perspective_image(
        image, startpoints, endpoints, T._interpolation(interpolation), _fill(fill), coefficients
    )


perspective_video = perspective_image


def perspective_mask(mask, startpoints, endpoints, fill=None, coefficients=None):
    """The perspective warp of a mask, nearest neighbours."""
    warp = _channels_first(perspective_image)
    return warp(mask, startpoints, endpoints, InterpolationMode.NEAREST, fill, coefficients)


def perspective_bounding_boxes(
    bounding_boxes,
    format,
    canvas_size,
    startpoints,
    endpoints,
    coefficients=None,
    clamping_mode="soft",
):
    """Boxes through the perspective map: the box around each box's moved corners."""
    coeffs = W.perspective_coefficients(startpoints, endpoints, coefficients)
    a = W.perspective_array(bounding_boxes._data, format, canvas_size, coeffs, clamping_mode)
    return _box_tensor(a)


def perspective(
    inpt,
    startpoints,
    endpoints,
    interpolation=InterpolationMode.BILINEAR,
    fill=None,
    coefficients=None,
):
    """The perspective warp of images, masks (nearest) and boxes."""
    points = (startpoints, endpoints)
    return _route(
        "perspective",
        inpt,
        lambda x: perspective_image(x, *points, interpolation, fill, coefficients),
        lambda m: perspective_mask(m, *points, fill, coefficients),
        _box_kernel(
            perspective_bounding_boxes,
            startpoints=startpoints,
            endpoints=endpoints,
            coefficients=coefficients,
        ),
    )


def elastic_image(image, displacement, interpolation=InterpolationMode.BILINEAR, fill=None):
    """Move each pixel by ``displacement`` (1, H, W, 2) (see ``geometry.elastic_transform``)."""
    return K.elastic_image(image, displacement, T._interpolation(interpolation), _fill(fill))


elastic_video = elastic_image


def elastic_mask(mask, displacement, fill=None):
    """The elastic warp of a mask, nearest neighbours."""
    warp = _channels_first(elastic_image)
    return warp(mask, displacement, InterpolationMode.NEAREST, fill)


def elastic_bounding_boxes(bounding_boxes, format, canvas_size, displacement, clamping_mode="soft"):
    """Boxes moved by the (approximately inverted) displacement at their corners."""
    if not isinstance(displacement, Tensor):
        raise TypeError("Argument displacement should be a Tensor")
    a = W.elastic_array(
        bounding_boxes._data, format, canvas_size, displacement._data, clamping_mode
    )
    return _box_tensor(a)


def elastic(inpt, displacement, interpolation=InterpolationMode.BILINEAR, fill=None):
    """The elastic warp of images, masks (nearest) and boxes."""
    return _route(
        "elastic",
        inpt,
        lambda x: elastic_image(x, displacement, interpolation, fill),
        lambda m: elastic_mask(m, displacement, fill),
        _box_kernel(elastic_bounding_boxes, displacement=displacement),
    )


elastic_transform = elastic


# ---------------------------------------------------------------------------------------------
# Five and ten crops (images and videos only, as in torchvision), sizes
# ---------------------------------------------------------------------------------------------


five_crop_image = five_crop_video = F1.five_crop
ten_crop_image = ten_crop_video = F1.ten_crop


def _crops(name: str, inpt, crops: Callable):
    """``crops(plain)``, a tuple of crops; an Image or Video gives crops of its type, another
    tv_tensor (masks, boxes) is refused, as torchvision refuses it."""
    if isinstance(inpt, (tvt.Image, tvt.Video)):
        return tuple(tvt.wrap(c, like=inpt) for c in crops(inpt._plain()))
    return tuple(_route(name, inpt, crops, None, None))


def five_crop(inpt, size):
    """The four corner crops and the central one."""
    return _crops("five_crop", inpt, lambda x: five_crop_image(x, size))


def ten_crop(inpt, size, vertical_flip: bool = False):
    """``five_crop`` of the image and of its mirror image."""
    return _crops("ten_crop", inpt, lambda x: ten_crop_image(x, size, vertical_flip))


def get_size_image(image) -> list[int]:
    """[height, width] of an image (or video)."""
    return K._get_size_image(image)


get_size_video = get_size_image


def get_size_mask(mask) -> list[int]:
    """[height, width] of a mask: its last two axes."""
    return list(mask.shape[-2:])


def get_size_bounding_boxes(bounding_box) -> list[int]:
    """The boxes' canvas size, as a list."""
    return list(bounding_box.canvas_size)


def get_size(inpt) -> list[int]:
    """[height, width] of an image, video, mask, or the canvas of boxes."""
    if isinstance(inpt, tvt.BoundingBoxes):
        return get_size_bounding_boxes(inpt)
    if isinstance(inpt, tvt.Mask):
        return get_size_mask(inpt)
    if isinstance(inpt, (tvt.Image, tvt.Video)):
        return get_size_image(inpt._plain())
    return _route("get_size", inpt, get_size_image, None, None)


def get_num_frames_video(video) -> int:
    """The number of frames, axis −4 of (…, T, C, H, W)."""
    return video.shape[-4]


def get_num_frames(inpt) -> int:
    """The number of frames of a video (a Video or a plain tensor)."""
    if isinstance(inpt, tvt.TVTensor) and not isinstance(inpt, tvt.Video):
        raise TypeError(
            "Functional F.get_num_frames supports inputs of type torch.Tensor, Video, "
            f"but got {type(inpt)} instead."
        )
    return get_num_frames_video(inpt)
