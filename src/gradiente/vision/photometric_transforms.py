"""torchvision's photometric transform classes and its random containers.

Each class applies one op of ``gradiente.vision.photometric`` to a tensor, a PIL image or an
H×W(×C) array, and draws its random choices exactly as torchvision draws them, so that after
the same ``manual_seed`` gradiente and torch make the same choices:

- "with probability p" is one ``rand(1)`` draw compared with ``p``;
- ``GaussianBlur``'s σ is one ``empty(1).uniform_(σmin, σmax)`` draw;
- ``RandomErasing`` draws like ``RandomResizedCrop`` (area, log-uniform aspect ratio, up to 10
  tries, then a ``randint`` corner) and, for ``value="random"``, a standard-normal patch;
- ``RandomOrder`` and ``RandomChoice`` use Python's ``random`` module, as torchvision does.
"""

from __future__ import annotations

import math
import numbers
import random
import warnings
from collections.abc import Sequence

from gradiente.tensor import Tensor, as_tensor, empty, rand, randint
from gradiente.vision import photometric as P

__all__ = [
    "ConvertImageDtype",
    "GaussianBlur",
    "Grayscale",
    "LinearTransformation",
    "RandomAdjustSharpness",
    "RandomApply",
    "RandomAutocontrast",
    "RandomChoice",
    "RandomEqualize",
    "RandomErasing",
    "RandomGrayscale",
    "RandomInvert",
    "RandomOrder",
    "RandomPosterize",
    "RandomSolarize",
]


def _happens(p: float) -> bool:
    """One ``rand(1)`` draw: True with probability ``p`` (torchvision's ``rand(1) < p``)."""
    return bool((rand(1) < p).item())


# ---------------------------------------------------------------------------------------------
# Deterministic
# ---------------------------------------------------------------------------------------------


class Grayscale:
    """The image in grey levels (luma), as 1 channel or 3 equal ones."""

    def __init__(self, num_output_channels: int = 1) -> None:
        self.num_output_channels = num_output_channels

    def __call__(self, img):
        return P.rgb_to_grayscale(img, num_output_channels=self.num_output_channels)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(num_output_channels={self.num_output_channels})"


class ConvertImageDtype:
    """Change a tensor image's dtype, rescaling its values (see ``convert_image_dtype``)."""

    def __init__(self, dtype) -> None:
        self.dtype = dtype

    def __call__(self, image):
        return P.convert_image_dtype(image, self.dtype)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class LinearTransformation:
    """``(x.flatten() − mean_vector) @ transformation_matrix``, reshaped back: whitening (ZCA)
    with a matrix computed offline. D = C·H·W; differentiable."""

    def __init__(self, transformation_matrix: Tensor, mean_vector: Tensor) -> None:
        m, mu = transformation_matrix, mean_vector
        if m.size(0) != m.size(1):
            raise ValueError(
                f"transformation_matrix should be square. Got {tuple(m.size())} rectangular matrix."
            )
        if mu.size(0) != m.size(0):
            raise ValueError(
                f"mean_vector should have the same length {mu.size(0)} as any one of the "
                f"dimensions of the transformation_matrix [{tuple(m.size())}]"
            )
        if m.dtype != mu.dtype:
            raise ValueError(
                f"Input tensors should have the same dtype. Got {m.dtype} and {mu.dtype}"
            )
        self.transformation_matrix = m
        self.mean_vector = mu

    def __call__(self, tensor: Tensor) -> Tensor:
        shape = tensor.shape
        n = shape[-3] * shape[-2] * shape[-1]
        if n != self.transformation_matrix.shape[0]:
            raise ValueError(
                "Input tensor and transformation matrix have incompatible shape."
                f"[{shape[-3]} x {shape[-2]} x {shape[-1]}] != "
                f"{self.transformation_matrix.shape[0]}"
            )
        flat = tensor.reshape(-1, n) - self.mean_vector
        return flat.mm(self.transformation_matrix.to(flat.dtype)).reshape(shape)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(transformation_matrix="
            f"{self.transformation_matrix.tolist()}, mean_vector={self.mean_vector.tolist()})"
        )


# ---------------------------------------------------------------------------------------------
# "With probability p"
# ---------------------------------------------------------------------------------------------


class RandomGrayscale:
    """With probability ``p``: grey levels, keeping the number of channels (1 or 3)."""

    def __init__(self, p: float = 0.1) -> None:
        self.p = p

    def __call__(self, img):
        channels = P.get_dimensions(img)[0]
        if _happens(self.p):
            return P.rgb_to_grayscale(img, num_output_channels=channels)
        return img

    def __repr__(self) -> str:
        return f"{type(self).__name__}(p={self.p})"


class _RandomOp:
    """Apply ``op(img, *args)`` with probability ``p`` (one ``rand(1)`` draw per call)."""

    op = staticmethod(lambda img: img)
    arg_names: tuple[str, ...] = ()

    def __init__(self, *args, p: float = 0.5) -> None:
        if len(args) == len(self.arg_names) + 1:  # p given by position: RandomEqualize(1.0)
            *args, p = args
        for name, value in zip(self.arg_names, args, strict=True):
            setattr(self, name, value)
        self.p = p

    def __call__(self, img):
        if _happens(self.p):
            return type(self).op(img, *(getattr(self, n) for n in self.arg_names))
        return img

    def __repr__(self) -> str:
        args = "".join(f"{n}={getattr(self, n)}," for n in self.arg_names)
        return f"{type(self).__name__}({args}p={self.p})"


class RandomInvert(_RandomOp):
    """With probability ``p``: the negative image."""

    op = staticmethod(P.invert)


class RandomPosterize(_RandomOp):
    """With probability ``p``: keep only the ``bits`` high bits of each value."""

    op = staticmethod(P.posterize)
    arg_names = ("bits",)

    def __init__(self, bits: int, p: float = 0.5) -> None:
        super().__init__(bits, p=p)


class RandomSolarize(_RandomOp):
    """With probability ``p``: invert the values at or above ``threshold``."""

    op = staticmethod(P.solarize)
    arg_names = ("threshold",)

    def __init__(self, threshold: float, p: float = 0.5) -> None:
        super().__init__(threshold, p=p)


class RandomAdjustSharpness(_RandomOp):
    """With probability ``p``: sharpen (factor > 1) or smooth (factor < 1)."""

    op = staticmethod(P.adjust_sharpness)
    arg_names = ("sharpness_factor",)

    def __init__(self, sharpness_factor: float, p: float = 0.5) -> None:
        super().__init__(sharpness_factor, p=p)


class RandomAutocontrast(_RandomOp):
    """With probability ``p``: stretch each channel to the full range."""

    op = staticmethod(P.autocontrast)


class RandomEqualize(_RandomOp):
    """With probability ``p``: equalise each channel's histogram (uint8 images)."""

    op = staticmethod(P.equalize)


# ---------------------------------------------------------------------------------------------
# Blur and erasing
# ---------------------------------------------------------------------------------------------


def _kernel_pair(size) -> tuple[int, int]:
    """torchvision's ``_setup_size`` for the kernel size: an int or a 1- or 2-sequence."""
    if isinstance(size, numbers.Number):
        return int(size), int(size)
    if isinstance(size, Sequence) and len(size) == 1:
        return size[0], size[0]
    if len(size) != 2:
        raise ValueError("Kernel size should be a tuple/list of two integers")
    return size


class GaussianBlur:
    """Blur with a Gaussian whose σ is drawn uniformly in ``sigma`` = (min, max) at each call
    (a single number fixes it)."""

    def __init__(self, kernel_size, sigma=(0.1, 2.0)) -> None:
        self.kernel_size = _kernel_pair(kernel_size)
        for k in self.kernel_size:
            if k <= 0 or k % 2 == 0:
                raise ValueError("Kernel size value should be an odd and positive number.")
        if isinstance(sigma, numbers.Number):
            if sigma <= 0:
                raise ValueError("If sigma is a single number, it must be positive.")
            sigma = (sigma, sigma)
        elif isinstance(sigma, Sequence) and len(sigma) == 2:
            if not 0.0 < sigma[0] <= sigma[1]:
                raise ValueError("sigma values should be positive and of the form (min, max).")
        else:
            raise ValueError("sigma should be a single number or a list/tuple with length 2.")
        self.sigma = sigma

    @staticmethod
    def get_params(sigma_min: float, sigma_max: float) -> float:
        """σ ~ U(sigma_min, sigma_max): one ``empty(1).uniform_`` draw, as torchvision."""
        return empty(1).uniform_(sigma_min, sigma_max).item()

    def __call__(self, img):
        sigma = self.get_params(self.sigma[0], self.sigma[1])
        return P.gaussian_blur(img, self.kernel_size, [sigma, sigma])

    def __repr__(self) -> str:
        return f"{type(self).__name__}(kernel_size={self.kernel_size}, sigma={self.sigma})"


class RandomErasing:
    """With probability ``p``, erase a random rectangle of a tensor image (Zhong et al. 2017,
    "Random Erasing Data Augmentation").

    The rectangle covers ``U(scale)`` of the area with aspect ratio (height / width)
    ``exp(U(log ratio))``; up to 10 tries for one that fits strictly inside, else nothing is
    erased. It is filled with ``value``: a number, one per channel, or ``"random"`` (standard
    normal noise).
    """

    def __init__(self, p=0.5, scale=(0.02, 0.33), ratio=(0.3, 3.3), value=0, inplace=False):
        if not isinstance(value, (numbers.Number, str, tuple, list)):
            raise TypeError("Argument value should be either a number or str or a sequence")
        if isinstance(value, str) and value != "random":
            raise ValueError("If value is str, it should be 'random'")
        if not isinstance(scale, Sequence):
            raise TypeError("Scale should be a sequence")
        if not isinstance(ratio, Sequence):
            raise TypeError("Ratio should be a sequence")
        if (scale[0] > scale[1]) or (ratio[0] > ratio[1]):
            warnings.warn("Scale and ratio should be of kind (min, max)", stacklevel=2)
        if scale[0] < 0 or scale[1] > 1:
            raise ValueError("Scale should be between 0 and 1")
        if p < 0 or p > 1:
            raise ValueError("Random erasing probability should be between 0 and 1")
        self.p = p
        self.scale = scale
        self.ratio = ratio
        self.value = value
        self.inplace = inplace

    @staticmethod
    def get_params(img: Tensor, scale, ratio, value=None):
        """(top, left, height, width, fill) drawn as torchvision draws them.

        ``value`` None means random normal noise; a list of one value or one per channel
        otherwise. When no rectangle fits: (0, 0, H, W, img), the whole image unchanged.
        """
        img_c, img_h, img_w = img.shape[-3], img.shape[-2], img.shape[-1]
        area = img_h * img_w
        log_ratio = as_tensor(ratio).float().log()  # float32, as torch.tensor(ratio)
        low, high = float(log_ratio[0]), float(log_ratio[1])
        for _ in range(10):
            erase_area = area * empty(1).uniform_(scale[0], scale[1]).item()
            aspect_ratio = empty(1).uniform_(low, high).exp().item()
            h = int(round(math.sqrt(erase_area * aspect_ratio)))
            w = int(round(math.sqrt(erase_area / aspect_ratio)))
            if not (h < img_h and w < img_w):
                continue
            if value is None:
                v = empty([img_c, h, w]).normal_()
            else:
                v = as_tensor(value).float()[:, None, None]
            i = int(randint(0, img_h - h + 1, size=(1,)).item())
            j = int(randint(0, img_w - w + 1, size=(1,)).item())
            return i, j, h, w, v
        return 0, 0, img_h, img_w, img

    def __call__(self, img):
        if not _happens(self.p):
            return img
        if isinstance(self.value, (int, float)):
            value = [float(self.value)]
        elif isinstance(self.value, str):
            value = None
        else:
            value = [float(v) for v in self.value]
        if value is not None and len(value) not in (1, img.shape[-3]):
            raise ValueError(
                "If value is a sequence, it should have either a single value or "
                f"{img.shape[-3]} (number of input channels)"
            )
        i, j, h, w, v = self.get_params(img, scale=self.scale, ratio=self.ratio, value=value)
        return P.erase(img, i, j, h, w, v, self.inplace)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(p={self.p}, scale={self.scale}, ratio={self.ratio}, "
            f"value={self.value}, inplace={self.inplace})"
        )


# ---------------------------------------------------------------------------------------------
# Random containers
# ---------------------------------------------------------------------------------------------


def _listing(name: str, transforms, head: str = "") -> str:
    return name + "(" + head + "".join(f"\n    {t}" for t in transforms) + "\n)"


class RandomApply:
    """Apply the whole list of transforms with probability ``p`` (one ``rand(1)`` draw)."""

    def __init__(self, transforms, p: float = 0.5) -> None:
        self.transforms = transforms
        self.p = p

    def __call__(self, img):
        if self.p < rand(1).item():
            return img
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self) -> str:
        return _listing(type(self).__name__, self.transforms, f"\n    p={self.p}")


class _RandomTransforms:
    """A list of transforms used at random (torchvision's ``RandomTransforms``)."""

    def __init__(self, transforms) -> None:
        if not isinstance(transforms, Sequence):
            raise TypeError("Argument transforms should be a sequence")
        self.transforms = transforms

    def __repr__(self) -> str:
        return _listing(type(self).__name__, self.transforms)


class RandomOrder(_RandomTransforms):
    """Apply all the transforms, in an order shuffled by Python's ``random.shuffle``."""

    def __call__(self, img):
        order = list(range(len(self.transforms)))
        random.shuffle(order)
        for i in order:
            img = self.transforms[i](img)
        return img


class RandomChoice(_RandomTransforms):
    """Apply one transform picked by Python's ``random.choices`` (weights ``p``)."""

    def __init__(self, transforms, p=None) -> None:
        super().__init__(transforms)
        if p is not None and not isinstance(p, Sequence):
            raise TypeError("Argument p should be a sequence")
        self.p = p

    def __call__(self, *args):
        t = random.choices(self.transforms, weights=self.p)[0]
        return t(*args)

    def __repr__(self) -> str:
        return f"{super().__repr__()}(p={self.p})"
