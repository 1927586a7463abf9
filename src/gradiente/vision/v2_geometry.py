"""The geometric v2 transforms that move boxes and masks with the image (re-exported by
``transforms_v2``): ``RandomHorizontalFlip``, ``RandomVerticalFlip``, ``Resize``,
``CenterCrop``, ``RandomResizedCrop``, ``RandomCrop``, ``Pad`` and ``RandomIoUCrop``.

Each draws its parameters once per call (``make_params``: torchvision's draws, so the same seed
gives the same crop) and applies them to every leaf by its type (``_per_type``): images with
the image kernels of ``functional_v2``, masks with the same kernels but nearest-neighbour
resizing, bounding boxes with the kernels of ``v2_boxes`` (which also give the new
``canvas_size``).
"""

from __future__ import annotations

from collections.abc import Callable

from gradiente import transforms as v1
from gradiente.backend import xp
from gradiente.tensor import Tensor, rand, randint
from gradiente.vision import functional_v2 as F2
from gradiente.vision import tv_tensors as tvt
from gradiente.vision import v2_boxes as B
from gradiente.vision.v2_core import (
    Transform,
    _is_pil_like,
    _unwrapped,
    is_pure_tensor,
    parse_pad_padding,
    setup_size,
)

InterpolationMode = v1.InterpolationMode


def _per_type(inpt, image: Callable, boxes: Callable, mask: Callable | None = None):
    """``image(x)`` on an image (a tv_tensor keeps its type), ``mask(x)`` (default: the image
    kernel) on a Mask, and on BoundingBoxes ``boxes(array, format, canvas_size)`` → (array,
    new canvas size)."""
    if isinstance(inpt, tvt.BoundingBoxes):
        data, canvas = boxes(inpt._data, inpt.format, inpt.canvas_size)
        return B.boxes_like(inpt, data, canvas_size=canvas)
    if isinstance(inpt, tvt.Mask):
        return tvt.wrap((mask or image)(inpt._plain()), like=inpt)
    return _unwrapped(image, inpt)


def _query_size(flat_inputs) -> tuple[int, int]:
    """(height, width) shared by the images, masks and boxes of the sample."""
    sizes = set()
    for x in flat_inputs:
        if isinstance(x, tvt.BoundingBoxes):
            sizes.add(tuple(x.canvas_size))
        elif isinstance(x, (tvt.Image, tvt.Video, tvt.Mask)):
            sizes.add(tuple(x.shape[-2:]))
        elif is_pure_tensor(x) or _is_pil_like(x):  # other tv_tensor types are not looked at
            sizes.add(tuple(F2.get_size(x)))
    if not sizes:
        raise TypeError("No image, video, mask, bounding box of keypoint was found in the sample")
    if len(sizes) > 1:
        listed = ", ".join(f"'{size}'" for size in sorted(sizes))
        raise ValueError(f"Found multiple HxW dimensions in the sample: {listed}")
    return sizes.pop()


def _fill_for(fill, inpt):
    """The fill for this leaf's type (a dict maps types, with "others" for the rest)."""
    if isinstance(fill, dict):
        return fill.get(type(inpt), fill.get("others", 0))
    return fill


def _resize_mask(mask: Tensor, size, max_size=None) -> Tensor:
    """Masks resize with nearest neighbours, an (H, W) mask through a channel axis."""
    flat = mask.ndim < 3
    out = F2.resize(mask.unsqueeze(0) if flat else mask, size, "nearest", max_size=max_size)
    return out.squeeze(0) if flat else out


def _check_p(p: float) -> None:
    if not (0.0 <= p <= 1.0):
        raise ValueError("`p` should be a floating point value in the interval [0.0, 1.0].")


class _RandomApplyTransform(Transform):
    """A transform done with probability ``p``: ``rand(1) >= p`` returns the sample as it is."""

    def __init__(self, p: float = 0.5) -> None:
        _check_p(p)
        self.p = p

    def forward(self, *inputs):
        if bool((rand(1) >= self.p).item()):
            return inputs if len(inputs) > 1 else inputs[0]
        return super().forward(*inputs)


class RandomHorizontalFlip(_RandomApplyTransform):
    """Mirror left–right with probability ``p`` (boxes and masks too)."""

    def transform(self, inpt, params):
        return _per_type(
            inpt,
            F2.horizontal_flip,
            lambda a, fmt, canvas: (B.flip_array(a, fmt, canvas, horizontal=True), canvas),
        )


class RandomVerticalFlip(_RandomApplyTransform):
    """Mirror top–bottom with probability ``p`` (boxes and masks too)."""

    def transform(self, inpt, params):
        return _per_type(
            inpt,
            F2.vertical_flip,
            lambda a, fmt, canvas: (B.flip_array(a, fmt, canvas, horizontal=False), canvas),
        )


class Resize(Transform):
    """Resize to (h, w), or the shorter side to an int (``max_size`` caps the longer one);
    masks with nearest neighbours, boxes scaled."""

    def __init__(self, size, interpolation="bilinear", max_size=None, antialias=True) -> None:
        if isinstance(size, int):
            size = [size]
        elif isinstance(size, (list, tuple)) and len(size) in (1, 2):
            size = list(size)
        elif size is None:
            if not isinstance(max_size, int):
                raise ValueError(
                    f"max_size must be an integer when size is None, but got {max_size} instead."
                )
        else:
            raise ValueError(
                "size can be an integer, a sequence of one or two integers, or None, but got "
                f"{size} instead."
            )
        self.size = size
        self.interpolation = interpolation
        self.max_size = max_size
        self.antialias = antialias

    def _boxes(self, a, fmt, canvas):
        new = F2._v2_output_size(canvas[0], canvas[1], self.size, self.max_size)
        return B.resize_array(a, canvas, new), tuple(new)

    def transform(self, inpt, params):
        return _per_type(
            inpt,
            lambda x: F2.resize(x, self.size, self.interpolation, self.max_size, self.antialias),
            self._boxes,
            lambda m: _resize_mask(m, self.size, self.max_size),
        )


def _center_anchor(crop_h: int, crop_w: int, height: int, width: int) -> tuple[int, int]:
    return int(round((height - crop_h) / 2.0)), int(round((width - crop_w) / 2.0))


class CenterCrop(Transform):
    """The central window (zero-padded where the image is smaller)."""

    def __init__(self, size) -> None:
        self.size = setup_size(size)

    def _boxes(self, a, fmt, canvas):
        top, left = _center_anchor(*self.size, *canvas)
        return B.crop_array(a, fmt, top, left, *self.size)

    def transform(self, inpt, params):
        return _per_type(inpt, lambda x: F2.center_crop(x, list(self.size)), self._boxes)


class RandomResizedCrop(Transform):
    """Crop a random area (``scale``) and aspect (``ratio``), then resize to ``size`` (v1's
    draws, which are v2's); masks with nearest neighbours, boxes cropped and scaled."""

    get_params = staticmethod(v1.RandomResizedCrop.get_params)

    def __init__(
        self,
        size,
        scale=(0.08, 1.0),
        ratio=(3.0 / 4.0, 4.0 / 3.0),
        interpolation="bilinear",
        antialias=True,
    ) -> None:
        self.size = setup_size(size)
        if not isinstance(scale, (list, tuple)) or len(scale) != 2:
            raise TypeError("Scale should be a sequence of two floats.")
        if not isinstance(ratio, (list, tuple)) or len(ratio) != 2:
            raise TypeError("Ratio should be a sequence of two floats.")
        self.scale = scale
        self.ratio = ratio
        self.interpolation = interpolation
        self.antialias = antialias

    def make_params(self, flat_inputs) -> dict:
        height, width = _query_size(flat_inputs)
        stand_in = xp.empty((height, width), dtype=xp.uint8)  # get_params reads only the size
        top, left, h, w = self.get_params(stand_in, self.scale, self.ratio)
        return {"top": top, "left": left, "height": h, "width": w}

    def _boxes(self, a, fmt, canvas, p):
        a, crop = B.crop_array(a, fmt, p["top"], p["left"], p["height"], p["width"])
        return B.resize_array(a, crop, self.size), tuple(self.size)

    def transform(self, inpt, params):
        box = (params["top"], params["left"], params["height"], params["width"])
        return _per_type(
            inpt,
            lambda x: F2.resized_crop(
                x, *box, list(self.size), self.interpolation, antialias=self.antialias
            ),
            lambda a, fmt, canvas: self._boxes(a, fmt, canvas, params),
            lambda m: _resize_mask(F2.crop(m, *box), list(self.size)),
        )


def _pad_then_crop(inpt, params, fill, padding_mode):
    """RandomCrop's and RandomIoUCrop's work on one leaf: pad (if needed), then crop."""
    padding, window = params.get("padding"), params.get("window")

    def image(x):
        if padding:
            x = F2.pad(x, padding, fill=_fill_for(fill, inpt), padding_mode=padding_mode)
        return F2.crop(x, *window) if window else x

    def boxes(a, fmt, canvas):
        if padding:
            if padding_mode != "constant":
                raise ValueError(
                    f"Padding mode '{padding_mode}' is not supported with bounding boxes"
                )
            a, canvas = B.pad_array(a, fmt, canvas, padding)
        return B.crop_array(a, fmt, *window) if window else (a, canvas)

    return _per_type(inpt, image, boxes)


class RandomCrop(Transform):
    """Pad (optionally), then crop a random ``size`` window: one ``randint`` per axis that is
    longer than the crop (v2's draws; v1 draws both whenever the sizes differ)."""

    def __init__(self, size, padding=None, pad_if_needed=False, fill=0, padding_mode="constant"):
        self.size = setup_size(size)
        self.padding = parse_pad_padding(padding) if padding else None  # [l, r, t, b]
        self.pad_if_needed = pad_if_needed
        self.fill = fill
        self.padding_mode = padding_mode

    def make_params(self, flat_inputs) -> dict:
        height, width = _query_size(flat_inputs)
        left, right, top, bottom = self.padding or (0, 0, 0, 0)
        height, width = height + top + bottom, width + left + right
        th, tw = self.size
        if self.pad_if_needed and height < th:
            diff = th - height
            top, bottom, height = top + diff, bottom + diff, height + 2 * diff
        if self.pad_if_needed and width < tw:
            diff = tw - width
            left, right, width = left + diff, right + diff, width + 2 * diff
        if height < th or width < tw:
            padded = "padded " if self.padding is not None else ""
            raise ValueError(
                f"Required crop size {(th, tw)} is larger than {padded}input image size "
                f"{(height, width)}."
            )
        i = int(randint(0, height - th + 1, size=()).item()) if height > th else 0
        j = int(randint(0, width - tw + 1, size=()).item()) if width > tw else 0
        padding = [left, top, right, bottom]
        crop = height > th or width > tw
        return {
            "padding": padding if any(padding) else None,
            "window": (i, j, th, tw) if crop else None,
        }

    def transform(self, inpt, params):
        return _pad_then_crop(inpt, params, self.fill, self.padding_mode)


class Pad(Transform):
    """Pad each side: ``padding`` an int, (left/right, top/bottom) or (left, top, right,
    bottom); boxes move with the image (constant padding only)."""

    def __init__(self, padding, fill=0, padding_mode="constant") -> None:
        if not isinstance(padding, (int, list, tuple)):
            raise TypeError("Got inappropriate padding arg")
        if isinstance(padding, (list, tuple)) and len(padding) not in (1, 2, 4):
            raise ValueError(
                f"Padding must be an int or a 1, 2, or 4 element sequence, not a {len(padding)} "
                "element sequence"
            )
        if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
            raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
        self.padding = padding if isinstance(padding, int) else list(padding)
        self.fill = fill
        self.padding_mode = padding_mode

    def transform(self, inpt, params):
        left, right, top, bottom = parse_pad_padding(self.padding)
        return _pad_then_crop(
            inpt, {"padding": [left, top, right, bottom]}, self.fill, self.padding_mode
        )


class RandomIoUCrop(Transform):
    """SSD's crop: draw an IoU threshold from ``sampler_options`` (1.0: leave the sample as
    it is), then up to ``trials`` crops of random scale and position until one has a box whose
    centre lies inside and whose IoU with the crop reaches the threshold. Boxes whose centre
    falls outside become zeros: follow it with ``SanitizeBoundingBoxes``."""

    def __init__(
        self,
        min_scale: float = 0.3,
        max_scale: float = 1.0,
        min_aspect_ratio: float = 0.5,
        max_aspect_ratio: float = 2.0,
        sampler_options=None,
        trials: int = 40,
    ) -> None:
        self.min_scale = min_scale
        self.max_scale = max_scale
        self.min_aspect_ratio = min_aspect_ratio
        self.max_aspect_ratio = max_aspect_ratio
        self.options = (
            [0.0, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0] if sampler_options is None else sampler_options
        )
        self.trials = trials

    def check_inputs(self, flat_inputs) -> None:
        has_boxes = any(isinstance(x, tvt.BoundingBoxes) for x in flat_inputs)
        has_image = any(
            _is_pil_like(x) or isinstance(x, tvt.Image) or is_pure_tensor(x) for x in flat_inputs
        )
        if not (has_boxes and has_image):
            raise TypeError(
                f"{type(self).__name__}() requires input sample to contain tensor or PIL images "
                "and bounding boxes. Sample can also contain masks."
            )

    def make_params(self, flat_inputs) -> dict:
        from gradiente.vision.ops import box_iou

        height, width = _query_size(flat_inputs)
        boxes = next(x for x in flat_inputs if isinstance(x, tvt.BoundingBoxes))
        f32 = xp.float32
        while True:
            threshold = self.options[int(randint(0, len(self.options), size=(1,)).item())]
            if threshold >= 1.0:
                return {}
            for _ in range(self.trials):
                u = rand(2)._data
                r = f32(self.min_scale) + f32(self.max_scale - self.min_scale) * u
                new_w, new_h = int(f32(width) * r[0]), int(f32(height) * r[1])
                if not (self.min_aspect_ratio <= new_w / new_h <= self.max_aspect_ratio):
                    continue
                u = rand(2)._data
                left, top = int(f32(width - new_w) * u[0]), int(f32(height - new_h) * u[1])
                right, bottom = left + new_w, top + new_h
                if left == right or top == bottom:
                    continue
                xyxy = B.convert_format_array(boxes._data, boxes.format, B.XYXY)
                cx, cy = 0.5 * (xyxy[..., 0] + xyxy[..., 2]), 0.5 * (xyxy[..., 1] + xyxy[..., 3])
                inside = (left < cx) & (cx < right) & (top < cy) & (cy < bottom)
                if not inside.any():
                    continue
                crop = xp.asarray([[left, top, right, bottom]], dtype=xyxy.dtype)
                ious = box_iou(Tensor._make(xyxy[inside]), Tensor._make(crop))._data
                if ious.max() < ious.dtype.type(threshold):
                    continue
                return {"window": (top, left, new_h, new_w), "inside": inside}

    def transform(self, inpt, params):
        if not params:
            return inpt
        out = _pad_then_crop(inpt, params, 0, "constant")
        if isinstance(out, tvt.BoundingBoxes):
            out._data[~params["inside"]] = 0
        return out
