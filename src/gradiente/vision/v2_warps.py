"""torchvision's v2 transforms that warp or rescale the whole sample (re-exported by
``transforms_v2``): ``RandomRotation``, ``RandomAffine``, ``RandomPerspective``,
``ElasticTransform``, ``RandomZoomOut``, ``ScaleJitter``, ``RandomShortestSize``,
``RandomResize``, and ``FiveCrop`` / ``TenCrop``.

Each draws its parameters once per call, in torchvision's order and with its arithmetic
(``make_params``), then hands every image, video, mask and box of the sample to the functional
of ``v2_dispatch`` (``transform``): images are warped with the transform's interpolation, masks
with nearest neighbours, boxes moved (each becomes the box around its moved corners, clamped
to the canvas). ``fill`` may be a number, a sequence (one per channel), or a dict by type with
``"others"`` for the rest (``{tv_tensors.Image: 127, tv_tensors.Mask: 0}``); a plain fill
applies to masks too, as in torchvision. ``FiveCrop`` and ``TenCrop`` refuse masks and boxes,
as torchvision's do.
"""

from __future__ import annotations

from collections.abc import Callable

from gradiente.backend import xp
from gradiente.tensor import cat, empty, rand, randint
from gradiente.vision import functional_v2 as F2
from gradiente.vision import geometry as G
from gradiente.vision import tv_tensors as tvt
from gradiente.vision import v2_dispatch as F
from gradiente.vision.v2_core import (
    Transform,
    setup_angle,
    setup_number_or_seq,
    setup_size,
)
from gradiente.vision.v2_geometry import _query_size, _RandomApplyTransform

__all__ = [
    "ElasticTransform",
    "FiveCrop",
    "RandomAffine",
    "RandomPerspective",
    "RandomResize",
    "RandomRotation",
    "RandomShortestSize",
    "RandomZoomOut",
    "ScaleJitter",
    "TenCrop",
]

_KNOWN = (tvt.Image, tvt.Video, tvt.Mask, tvt.BoundingBoxes)


def _call(functional: Callable, inpt, *args, **kwargs):
    """``functional`` on a leaf; a tv_tensor type it has no kernel for passes through (as
    torchvision's transforms let it)."""
    if isinstance(inpt, tvt.TVTensor) and not isinstance(inpt, _KNOWN):
        return inpt
    return functional(inpt, *args, **kwargs)


def _setup_fill(fill) -> dict:
    """torchvision's fill table: a dict by type (values as floats), or {"others": fill}."""

    def convert(value):
        if value is not None and not isinstance(value, (int, float, tuple, list)):
            raise TypeError(
                "Got inappropriate fill arg, only Numbers, tuples, lists and dicts are allowed."
            )
        if value is None or isinstance(value, (int, float)):
            return value
        return [float(v) for v in value]

    if isinstance(fill, dict):
        return {key: convert(value) for key, value in fill.items()}
    return {"others": convert(fill)}


def _fill_of(table: dict, inpt):
    """The fill for this leaf's type (``"others"`` where its type has none)."""
    return table.get(type(inpt), table.get("others"))


def _uniform(low: float, high: float) -> float:
    """One ``torch.empty(1).uniform_(low, high).item()`` draw."""
    return float(empty(1).uniform_(low, high).item())


def _check_center(center) -> None:
    if center is not None and (not isinstance(center, (list, tuple)) or len(center) != 2):
        raise ValueError("If center is a sequence its length should be one of (2,).")


class RandomRotation(Transform):
    """Rotate by an angle drawn uniformly from ``degrees`` ((min, max), or d for (−d, d)),
    counter-clockwise about ``center`` (the image's centre by default); ``expand`` enlarges
    the canvas to hold the whole rotated image (and the boxes move onto it)."""

    def __init__(self, degrees, interpolation="nearest", expand=False, center=None, fill=0):
        self.degrees = setup_angle(degrees, "degrees")
        self.interpolation = interpolation
        self.expand = expand
        self.fill = fill
        self._fill = _setup_fill(fill)
        _check_center(center)
        self.center = center

    def make_params(self, flat_inputs) -> dict:
        return {"angle": _uniform(self.degrees[0], self.degrees[1])}

    def transform(self, inpt, params):
        return _call(
            F.rotate,
            inpt,
            params["angle"],
            interpolation=self.interpolation,
            expand=self.expand,
            center=self.center,
            fill=_fill_of(self._fill, inpt),
        )


class RandomAffine(Transform):
    """A random affine warp about the centre: rotation in ``degrees``, translation by at most
    ``translate`` = (a, b) of the width and height, scale in ``scale``, shear in ``shear``
    (d, (min, max) along x, or (xmin, xmax, ymin, ymax))."""

    def __init__(
        self,
        degrees,
        translate=None,
        scale=None,
        shear=None,
        interpolation="nearest",
        fill=0,
        center=None,
    ) -> None:
        self.degrees = setup_angle(degrees, "degrees")
        if translate is not None:
            if len(translate) != 2:
                raise ValueError("If translate is a sequence its length should be one of (2,).")
            if not all(0.0 <= t <= 1.0 for t in translate):
                raise ValueError("translation values should be between 0 and 1")
        self.translate = translate
        if scale is not None:
            if len(scale) != 2:
                raise ValueError("If scale is a sequence its length should be one of (2,).")
            if any(s <= 0 for s in scale):
                raise ValueError("scale values should be positive")
        self.scale = scale
        self.shear = None if shear is None else setup_angle(shear, "shear")
        self.interpolation = interpolation
        self.fill = fill
        self._fill = _setup_fill(fill)
        _check_center(center)
        self.center = center

    def make_params(self, flat_inputs) -> dict:
        """angle, then tx, ty (rounded), scale, shear x, shear y: each drawn only where its
        range is given (torchvision's order)."""
        height, width = _query_size(flat_inputs)
        angle = _uniform(self.degrees[0], self.degrees[1])
        translate = (0, 0)
        if self.translate is not None:
            max_dx, max_dy = float(self.translate[0] * width), float(self.translate[1] * height)
            translate = (round(_uniform(-max_dx, max_dx)), round(_uniform(-max_dy, max_dy)))
        scale = 1.0 if self.scale is None else _uniform(self.scale[0], self.scale[1])
        shear = [0.0, 0.0]
        if self.shear is not None:
            shear[0] = _uniform(self.shear[0], self.shear[1])
            if len(self.shear) == 4:
                shear[1] = _uniform(self.shear[2], self.shear[3])
        return {"angle": angle, "translate": translate, "scale": scale, "shear": tuple(shear)}

    def transform(self, inpt, params):
        return _call(
            F.affine,
            inpt,
            **params,
            interpolation=self.interpolation,
            fill=_fill_of(self._fill, inpt),
            center=self.center,
        )


class RandomPerspective(_RandomApplyTransform):
    """With probability ``p``, a perspective warp that moves each corner inwards by up to
    ``distortion_scale`` of half the width and height (eight ``randint`` draws)."""

    def __init__(self, distortion_scale=0.5, p=0.5, interpolation="bilinear", fill=0) -> None:
        super().__init__(p)
        if not (0 <= distortion_scale <= 1):
            raise ValueError("Argument distortion_scale value should be between 0 and 1")
        self.distortion_scale = distortion_scale
        self.interpolation = interpolation
        self.fill = fill
        self._fill = _setup_fill(fill)

    def make_params(self, flat_inputs) -> dict:
        """The corners' targets: top-left, top-right, bottom-right, bottom-left, x then y."""
        height, width = _query_size(flat_inputs)
        bound_h = int(self.distortion_scale * (height // 2)) + 1
        bound_w = int(self.distortion_scale * (width // 2)) + 1

        def draw(low: int, high: int) -> int:
            return int(randint(low, high, size=(1,)).item())

        near_x, far_x = (0, bound_w), (width - bound_w, width)
        near_y, far_y = (0, bound_h), (height - bound_h, height)
        endpoints = [
            [draw(*near_x), draw(*near_y)],
            [draw(*far_x), draw(*near_y)],
            [draw(*far_x), draw(*far_y)],
            [draw(*near_x), draw(*far_y)],
        ]
        startpoints = [[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]]
        return {"coefficients": G._perspective_coeffs(startpoints, endpoints)}

    def transform(self, inpt, params):
        return _call(
            F.perspective,
            inpt,
            None,
            None,
            interpolation=self.interpolation,
            fill=_fill_of(self._fill, inpt),
            coefficients=params["coefficients"],
        )


class ElasticTransform(Transform):
    """Move every pixel by a random smooth displacement: uniform noise in [−1, 1] per pixel and
    axis, blurred by v2's Gaussian (kernel 8σ + 1, made odd), times ``alpha`` / the size. Boxes
    move by the displacement at their corners (torchvision's approximation)."""

    def __init__(self, alpha=50.0, sigma=5.0, interpolation="bilinear", fill=0) -> None:
        self.alpha = setup_number_or_seq(alpha, "alpha")
        self.sigma = setup_number_or_seq(sigma, "sigma")
        self.interpolation = interpolation
        self.fill = fill
        self._fill = _setup_fill(fill)

    def make_params(self, flat_inputs) -> dict:
        """The displacement (1, H, W, 2): x offsets (÷ width), then y offsets (÷ height)."""
        height, width = _query_size(flat_inputs)
        offsets = []
        for axis, side in ((0, width), (1, height)):
            d = rand(1, 1, height, width) * 2 - 1
            if self.sigma[axis] > 0.0:
                k = int(8 * self.sigma[axis] + 1)
                k += 1 - k % 2  # odd
                d = F2.gaussian_blur(d, [k, k], list(self.sigma))
            offsets.append(d * self.alpha[axis] / side)
        return {"displacement": cat(offsets, 1).permute([0, 2, 3, 1])}

    def transform(self, inpt, params):
        return _call(
            F.elastic,
            inpt,
            params["displacement"],
            interpolation=self.interpolation,
            fill=_fill_of(self._fill, inpt),
        )


def _f32_uniform(low: float, high: float) -> xp.float32:
    """``low + torch.rand(1) * (high − low)``, in float32 as torch computes it."""
    f32 = xp.float32
    return f32(low) + f32(rand(1).item()) * f32(high - low)


class RandomZoomOut(_RandomApplyTransform):
    """With probability ``p``, place the sample on a canvas ``r`` times larger (r ~
    U(side_range)) at a random position, the rest filled with ``fill`` (SSD's "expand");
    boxes move with the image."""

    def __init__(self, fill=0, side_range=(1.0, 4.0), p: float = 0.5) -> None:
        super().__init__(p)
        self.fill = fill
        self._fill = _setup_fill(fill)
        if len(side_range) != 2:
            raise ValueError("If side_range is a sequence its length should be one of (2,).")
        self.side_range = side_range
        if side_range[0] < 1.0 or side_range[0] > side_range[1]:
            raise ValueError(f"Invalid side range provided {side_range}.")

    def make_params(self, flat_inputs) -> dict:
        height, width = _query_size(flat_inputs)
        r = _f32_uniform(*self.side_range)
        canvas_w, canvas_h = int(xp.float32(width) * r), int(xp.float32(height) * r)
        u = rand(2)._data
        left = int(xp.float32(canvas_w - width) * u[0])
        top = int(xp.float32(canvas_h - height) * u[1])
        return {"padding": [left, top, canvas_w - (left + width), canvas_h - (top + height)]}

    def transform(self, inpt, params):
        return _call(F.pad, inpt, params["padding"], fill=_fill_of(self._fill, inpt))


class _RandomSize(Transform):
    """A resize to a size drawn per call (``make_params`` gives ``size``)."""

    def transform(self, inpt, params):
        return _call(
            F.resize,
            inpt,
            params["size"],
            interpolation=self.interpolation,
            antialias=self.antialias,
        )


class ScaleJitter(_RandomSize):
    """Resize to a random scale of the size that fits ``target_size`` (w, h): the output
    ``int(side · r)``, r = min(target_h / h, target_w / w) · s, s ~ U(scale_range)
    (torchvision's float32 arithmetic)."""

    def __init__(
        self, target_size, scale_range=(0.1, 2.0), interpolation="bilinear", antialias=True
    ) -> None:
        self.target_size = target_size
        self.scale_range = scale_range
        self.interpolation = interpolation
        self.antialias = antialias

    def make_params(self, flat_inputs) -> dict:
        height, width = _query_size(flat_inputs)
        scale = _f32_uniform(*self.scale_range)
        fit = min(self.target_size[1] / height, self.target_size[0] / width)
        r = xp.float32(fit) * scale
        return {"size": (int(xp.float32(height) * r), int(xp.float32(width) * r))}


class RandomShortestSize(_RandomSize):
    """Resize so that the shorter side is one of ``min_size`` (drawn by ``randint``), the
    longer side at most ``max_size``."""

    def __init__(self, min_size, max_size=None, interpolation="bilinear", antialias=True):
        self.min_size = [min_size] if isinstance(min_size, int) else list(min_size)
        self.max_size = max_size
        self.interpolation = interpolation
        self.antialias = antialias

    def make_params(self, flat_inputs) -> dict:
        height, width = _query_size(flat_inputs)
        min_size = self.min_size[int(randint(len(self.min_size), size=()).item())]
        r = min_size / min(height, width)
        if self.max_size is not None:
            r = min(r, self.max_size / max(height, width))
        return {"size": (int(height * r), int(width * r))}


class RandomResize(_RandomSize):
    """Resize the shorter side to a size drawn uniformly from [min_size, max_size)."""

    def __init__(self, min_size: int, max_size: int, interpolation="bilinear", antialias=True):
        self.min_size = min_size
        self.max_size = max_size
        self.interpolation = interpolation
        self.antialias = antialias

    def make_params(self, flat_inputs) -> dict:
        return {"size": [int(randint(self.min_size, self.max_size, size=()).item())]}


class _Crops(Transform):
    """FiveCrop and TenCrop: images and videos become tuples of crops; masks and boxes are
    refused (torchvision's check)."""

    def check_inputs(self, flat_inputs) -> None:
        if any(isinstance(x, (tvt.BoundingBoxes, tvt.Mask)) for x in flat_inputs):
            raise TypeError(
                f"BoundingBoxes'es and Mask's are not supported by {type(self).__name__}()"
            )


class FiveCrop(_Crops):
    """The four corner crops and the central one, each of ``size``."""

    def __init__(self, size) -> None:
        self.size = setup_size(size)

    def transform(self, inpt, params):
        return _call(F.five_crop, inpt, self.size)


class TenCrop(_Crops):
    """``FiveCrop`` of the image and of its mirror image (``vertical_flip``: top–bottom)."""

    def __init__(self, size, vertical_flip: bool = False) -> None:
        self.size = setup_size(size)
        self.vertical_flip = vertical_flip

    def transform(self, inpt, params):
        return _call(F.ten_crop, inpt, self.size, vertical_flip=self.vertical_flip)
