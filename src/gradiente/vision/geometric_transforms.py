"""torchvision's geometric transform classes: ``RandomRotation``, ``RandomAffine``,
``RandomPerspective``, ``Pad``, ``FiveCrop``, ``TenCrop``, ``ElasticTransform``
(``gradiente.transforms`` exports them; the image arithmetic is in ``gradiente.vision.geometry``).

Each random transform draws its parameters from gradiente's default generator with the calls
torchvision makes on torch's (``empty(1).uniform_(low, high)`` for an angle, ``randint`` for a
corner, ``rand(1) < p`` for "apply or not"), in the same order, so after the same
``manual_seed`` both pick the same warp.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

from gradiente import transforms as T
from gradiente.tensor import Tensor, cat, empty, rand, randint
from gradiente.transforms import InterpolationMode
from gradiente.vision import geometry

__all__ = [
    "ElasticTransform",
    "FiveCrop",
    "Pad",
    "RandomAffine",
    "RandomPerspective",
    "RandomRotation",
    "TenCrop",
]


def _check_sequence_input(x, name: str, req_sizes) -> None:
    msg = req_sizes[0] if len(req_sizes) < 2 else " or ".join(str(s) for s in req_sizes)
    if not isinstance(x, Sequence):
        raise TypeError(f"{name} should be a sequence of length {msg}.")
    if len(x) not in req_sizes:
        raise ValueError(f"{name} should be a sequence of length {msg}.")


def _setup_angle(x, name: str, req_sizes=(2,)) -> list[float]:
    """A range of degrees: one number d → [−d, d], else the sequence as floats."""
    if isinstance(x, numbers.Number):
        if x < 0:
            raise ValueError(f"If {name} is a single number, it must be positive.")
        x = [-x, x]
    else:
        _check_sequence_input(x, name, req_sizes)
    return [float(d) for d in x]


def _setup_fill(fill):
    if fill is None:
        return 0
    if not isinstance(fill, (Sequence, numbers.Number)):
        raise TypeError("Fill should be either a sequence or a number.")
    return fill


def _tensor_fill(fill, img):
    """A tensor's fill: one float per channel (a PIL image takes ``fill`` as it is)."""
    if not isinstance(img, Tensor):
        return fill
    if isinstance(fill, (int, float)):
        return [float(fill)] * geometry.get_dimensions(img)[0]
    return [float(f) for f in fill]


def _uniform(low: float, high: float) -> float:
    """One U(low, high) draw, torch's ``empty(1).uniform_(low, high)``."""
    return float(empty(1).uniform_(low, high).item())


class RandomRotation:
    """Rotate by an angle drawn uniformly from ``degrees`` ((min, max), or d for (−d, d)).

    ``interpolation``, ``expand``, ``center`` and ``fill`` are ``geometry.rotate``'s.
    """

    def __init__(
        self, degrees, interpolation=InterpolationMode.NEAREST, expand=False, center=None, fill=0
    ) -> None:
        self.degrees = _setup_angle(degrees, name="degrees", req_sizes=(2,))
        if center is not None:
            _check_sequence_input(center, "center", req_sizes=(2,))
        self.center = center
        self.interpolation = geometry._interpolation_mode(interpolation)
        self.expand = expand
        self.fill = _setup_fill(fill)

    @staticmethod
    def get_params(degrees: list[float]) -> float:
        """The angle: one ``uniform_(degrees[0], degrees[1])`` draw."""
        return _uniform(float(degrees[0]), float(degrees[1]))

    def __call__(self, img):
        fill = _tensor_fill(self.fill, img)
        angle = self.get_params(self.degrees)
        return geometry.rotate(img, angle, self.interpolation, self.expand, self.center, fill)

    def __repr__(self) -> str:
        s = f"{type(self).__name__}(degrees={self.degrees}"
        s += f", interpolation={self.interpolation.value}, expand={self.expand}"
        if self.center is not None:
            s += f", center={self.center}"
        return s + f", fill={self.fill})"


class RandomAffine:
    """A random affine warp about the image's centre: rotation in ``degrees``, translation by
    at most ``translate`` = (a, b) of the width and height, scale in ``scale`` = (min, max),
    shear in ``shear`` (d, (min, max) along x, or (xmin, xmax, ymin, ymax)).
    """

    def __init__(
        self,
        degrees,
        translate=None,
        scale=None,
        shear=None,
        interpolation=InterpolationMode.NEAREST,
        fill=0,
        center=None,
    ) -> None:
        self.degrees = _setup_angle(degrees, name="degrees", req_sizes=(2,))
        if translate is not None:
            _check_sequence_input(translate, "translate", req_sizes=(2,))
            if not all(0.0 <= t <= 1.0 for t in translate):
                raise ValueError("translation values should be between 0 and 1")
        self.translate = translate
        if scale is not None:
            _check_sequence_input(scale, "scale", req_sizes=(2,))
            if any(s <= 0 for s in scale):
                raise ValueError("scale values should be positive")
        self.scale = scale
        self.shear = None if shear is None else _setup_angle(shear, "shear", req_sizes=(2, 4))
        self.interpolation = geometry._interpolation_mode(interpolation)
        self.fill = _setup_fill(fill)
        if center is not None:
            _check_sequence_input(center, "center", req_sizes=(2,))
        self.center = center

    @staticmethod
    def get_params(degrees, translate, scale_ranges, shears, img_size):
        """(angle, (tx, ty), scale, (shear x, shear y)), drawn in torchvision's order:
        angle, tx, ty, scale, shear x, shear y (each only if its range is given).
        ``img_size`` is [width, height]."""
        angle = _uniform(float(degrees[0]), float(degrees[1]))
        if translate is not None:
            max_dx = float(translate[0] * img_size[0])
            max_dy = float(translate[1] * img_size[1])
            translations = (
                int(round(_uniform(-max_dx, max_dx))),
                int(round(_uniform(-max_dy, max_dy))),
            )
        else:
            translations = (0, 0)
        scale = 1.0 if scale_ranges is None else _uniform(scale_ranges[0], scale_ranges[1])
        shear_x = shear_y = 0.0
        if shears is not None:
            shear_x = _uniform(shears[0], shears[1])
            if len(shears) == 4:
                shear_y = _uniform(shears[2], shears[3])
        return angle, translations, scale, (shear_x, shear_y)

    def __call__(self, img):
        fill = _tensor_fill(self.fill, img)
        _, height, width = geometry.get_dimensions(img)
        params = self.get_params(
            self.degrees, self.translate, self.scale, self.shear, [width, height]
        )
        return geometry.affine(
            img, *params, interpolation=self.interpolation, fill=fill, center=self.center
        )

    def __repr__(self) -> str:
        s = f"{type(self).__name__}(degrees={self.degrees}"
        s += f", translate={self.translate}" if self.translate is not None else ""
        s += f", scale={self.scale}" if self.scale is not None else ""
        s += f", shear={self.shear}" if self.shear is not None else ""
        if self.interpolation != InterpolationMode.NEAREST:
            s += f", interpolation={self.interpolation.value}"
        s += f", fill={self.fill}" if self.fill != 0 else ""
        s += f", center={self.center}" if self.center is not None else ""
        return s + ")"


class RandomPerspective:
    """With probability ``p``, a perspective warp that moves each corner inwards by up to
    ``distortion_scale`` of half the width and height (four random corners)."""

    def __init__(
        self, distortion_scale=0.5, p=0.5, interpolation=InterpolationMode.BILINEAR, fill=0
    ) -> None:
        self.p = p
        self.interpolation = geometry._interpolation_mode(interpolation)
        self.distortion_scale = distortion_scale
        self.fill = _setup_fill(fill)

    @staticmethod
    def get_params(width: int, height: int, distortion_scale: float):
        """(startpoints, endpoints): the image's corners [top-left, top-right, bottom-right,
        bottom-left] and where they go, eight ``randint`` draws in torchvision's order."""
        half_height, half_width = height // 2, width // 2
        dx, dy = int(distortion_scale * half_width), int(distortion_scale * half_height)

        def draw(low: int, high: int) -> int:
            return int(randint(low, high, size=(1,)).item())

        topleft = [draw(0, dx + 1), draw(0, dy + 1)]
        topright = [draw(width - dx - 1, width), draw(0, dy + 1)]
        botright = [draw(width - dx - 1, width), draw(height - dy - 1, height)]
        botleft = [draw(0, dx + 1), draw(height - dy - 1, height)]
        startpoints = [[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]]
        return startpoints, [topleft, topright, botright, botleft]

    def __call__(self, img):
        fill = _tensor_fill(self.fill, img)
        _, height, width = geometry.get_dimensions(img)
        if bool((rand(1) < self.p).item()):
            startpoints, endpoints = self.get_params(width, height, self.distortion_scale)
            return geometry.perspective(img, startpoints, endpoints, self.interpolation, fill)
        return img

    def __repr__(self) -> str:
        return f"{type(self).__name__}(p={self.p})"


class Pad:
    """Pad every side: ``padding`` is an int, (left/right, top/bottom) or (left, top, right,
    bottom); ``padding_mode`` ``constant`` (with ``fill``), ``edge``, ``reflect`` or
    ``symmetric``."""

    def __init__(self, padding, fill=0, padding_mode: str = "constant") -> None:
        if not isinstance(padding, (numbers.Number, tuple, list)):
            raise TypeError("Got inappropriate padding arg")
        if not isinstance(fill, (numbers.Number, tuple, list)):
            raise TypeError("Got inappropriate fill arg")
        if padding_mode not in ["constant", "edge", "reflect", "symmetric"]:
            raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
        if isinstance(padding, Sequence) and len(padding) not in [1, 2, 4]:
            raise ValueError(
                "Padding must be an int or a 1, 2, or 4 element tuple, not a "
                f"{len(padding)} element tuple"
            )
        self.padding = padding
        self.fill = fill
        self.padding_mode = padding_mode

    @T._keeps_pil
    def __call__(self, img):
        return T._pad(T._as_image(img), self.padding, self.fill, self.padding_mode)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(padding={self.padding}, fill={self.fill}, "
            f"padding_mode={self.padding_mode})"
        )


class FiveCrop:
    """The four corner crops and the central crop of ``size``: a tuple of 5 images."""

    def __init__(self, size) -> None:
        self.size = geometry._crop_size(size)

    def __call__(self, img):
        return geometry.five_crop(img, self.size)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(size={self.size})"


class TenCrop:
    """``FiveCrop`` of the image and of its mirror image (left–right, or top–bottom with
    ``vertical_flip``): a tuple of 10 images."""

    def __init__(self, size, vertical_flip: bool = False) -> None:
        self.size = geometry._crop_size(size)
        self.vertical_flip = vertical_flip

    def __call__(self, img):
        return geometry.ten_crop(img, self.size, self.vertical_flip)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(size={self.size}, vertical_flip={self.vertical_flip})"


def _float_pair(value, name: str) -> list[float]:
    """ElasticTransform's ``alpha``/``sigma``: a float, or a sequence of two floats."""
    if not isinstance(value, (float, Sequence)):
        raise TypeError(f"{name} should be float or a sequence of floats. Got {type(value)}")
    if isinstance(value, Sequence) and len(value) != 2:
        raise ValueError(f"If {name} is a sequence its length should be 2. Got {len(value)}")
    if isinstance(value, Sequence):
        for element in value:
            if not isinstance(element, float):
                raise TypeError(f"{name} should be a sequence of floats. Got {type(element)}")
        return list(value)
    return [float(value), float(value)]


class ElasticTransform:
    """Move every pixel by a random smooth displacement: uniform noise in [−1, 1] per pixel
    and axis, blurred by a Gaussian of std ``sigma`` (kernel 8σ + 1, made odd), scaled by
    ``alpha`` / the image's size (the "see-through-water" augmentation of Simard et al., 2003).
    """

    def __init__(
        self, alpha=50.0, sigma=5.0, interpolation=InterpolationMode.BILINEAR, fill=0
    ) -> None:
        self.alpha = _float_pair(alpha, "alpha")
        self.sigma = _float_pair(sigma, "sigma")
        self.interpolation = geometry._interpolation_mode(interpolation)
        if isinstance(fill, (int, float)):
            fill = [float(fill)]
        elif isinstance(fill, (list, tuple)):
            fill = [float(f) for f in fill]
        else:
            raise TypeError(
                f"fill should be int or float or a list or tuple of them. Got {type(fill)}"
            )
        self.fill = fill

    @staticmethod
    def get_params(alpha: list[float], sigma: list[float], size: list[int]) -> Tensor:
        """The displacement (1, H, W, 2): x offsets first (one ``rand`` draw of the image's size,
        blurred, × alpha[0] / W), then y offsets (× alpha[1] / H), as torchvision draws them."""
        from gradiente.vision.photometric import gaussian_blur

        offsets = []
        for axis in range(2):
            d = rand([1, 1] + list(size)) * 2 - 1
            if sigma[axis] > 0.0:
                k = int(8 * sigma[axis] + 1)
                k += 1 - k % 2  # odd
                d = gaussian_blur(d, [k, k], sigma)
            # normalised by the width for x, the height for y
            offsets.append(d * alpha[axis] / size[1 - axis])
        return cat(offsets, 1).permute([0, 2, 3, 1])

    def __call__(self, img):
        _, height, width = geometry.get_dimensions(img)
        displacement = self.get_params(self.alpha, self.sigma, [height, width])
        return geometry.elastic_transform(img, displacement, self.interpolation, self.fill)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(alpha={self.alpha}, sigma={self.sigma}, "
            f"interpolation={self.interpolation}, fill={self.fill})"
        )
