"""Image transforms for datasets (torchvision's ``transforms``): convert, normalise, augment.

A dataset item's image starts as a NumPy array, H×W (grey) or H×W×C, uint8 — gradiente's
stand-in for torchvision's PIL image — or as a PIL image, which the geometric and colour
transforms read as an array and give back as a PIL image (as torchvision's do).
``ToTensor`` turns it into a float C×H×W tensor in [0, 1]; the other transforms work on both
arrays (before ``ToTensor``) and tensors (after it, shape (..., C, H, W)).

The random transforms draw from gradiente's default generator exactly as torchvision's draw
from torch's (``rand(1)`` for a flip, ``randint`` for a crop's corner), so after the same
``manual_seed`` they make the same choices.
"""

from __future__ import annotations

import enum
import functools
import math
import numbers
from collections.abc import Callable, Sequence

from gradiente import backend as B
from gradiente.backend import xp
from gradiente.ops.window import int_tuple
from gradiente.tensor import Tensor, as_tensor, empty, rand, randint, randperm
from gradiente.vision import color, resample

__all__ = [
    "Compose",
    "ToTensor",
    "Normalize",
    "RandomCrop",
    "CenterCrop",
    "RandomHorizontalFlip",
    "RandomVerticalFlip",
    "Lambda",
    "InterpolationMode",
    "Resize",
    "RandomResizedCrop",
    "ColorJitter",
    "ToPILImage",
    "PILToTensor",
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
    "RandomRotation",
    "RandomAffine",
    "RandomPerspective",
    "Pad",
    "FiveCrop",
    "TenCrop",
    "ElasticTransform",
    "AugMix",
    "AutoAugment",
    "AutoAugmentPolicy",
    "RandAugment",
    "TrivialAugmentWide",
]


# ---------------------------------------------------------------------------------------------
# Helpers on images: NumPy arrays (H, W) / (H, W, C), or tensors (..., C, H, W)
# ---------------------------------------------------------------------------------------------


def _as_image(img):
    """Tensors and arrays pass through; anything else (a PIL image) is read as an array."""
    if isinstance(img, (Tensor, xp.ndarray)):
        return img
    if hasattr(img, "__array_interface__") or hasattr(img, "__array__"):
        return xp.asarray(img)
    raise TypeError(f"img should be a NumPy array, a PIL Image or a Tensor. Got {type(img)}")


def _is_pil(img) -> bool:
    """Whether ``img`` is a PIL image (checked without importing Pillow)."""
    return type(img).__module__.startswith("PIL.")


def _keeps_pil(call):
    """Make a transform's ``__call__`` give a PIL image back when it was given one.

    The transform itself works on the image's pixel array; Pillow picks the mode back from the
    array's shape and dtype (H×W uint8 → L, H×W×3 → RGB, H×W×4 → RGBA).
    """

    @functools.wraps(call)
    def call_keeping_pil(self, img, *args, **kwargs):
        out = call(self, img, *args, **kwargs)
        if _is_pil(img) and isinstance(out, xp.ndarray):
            from PIL import Image  # Pillow: a runtime dependency

            return Image.fromarray(xp.ascontiguousarray(out))
        return out

    return call_keeping_pil


def _size_hw(img) -> tuple[int, int]:
    """(height, width) of an image."""
    return tuple(img.shape[-2:]) if isinstance(img, Tensor) else tuple(img.shape[:2])


def _crop(img, top: int, left: int, height: int, width: int):
    if isinstance(img, Tensor):
        return img[..., top : top + height, left : left + width]
    return img[top : top + height, left : left + width]


def _pad_sides(padding) -> tuple[int, int, int, int]:
    """torchvision's padding argument as (left, top, right, bottom)."""
    if isinstance(padding, numbers.Integral):
        return (int(padding),) * 4
    padding = [int(p) for p in padding]
    if len(padding) == 1:
        return (padding[0],) * 4
    if len(padding) == 2:
        return padding[0], padding[1], padding[0], padding[1]
    if len(padding) == 4:
        return tuple(padding)
    raise ValueError(f"Padding must be an int or a 1, 2, or 4 element tuple, not {len(padding)}")


_PAD_MODES = ("constant", "edge", "reflect", "symmetric")


def _pad(img, padding, fill=0, padding_mode: str = "constant"):
    """Pad the height and width of an image (torchvision's ``F.pad``; not differentiable)."""
    if padding_mode not in _PAD_MODES:
        raise ValueError(f"padding_mode should be one of {_PAD_MODES}, got {padding_mode!r}")
    left, top, right, bottom = _pad_sides(padding)
    is_tensor = isinstance(img, Tensor)
    a = img._data if is_tensor else img
    # the two image axes: the last two of a tensor, the first two of an array
    hw_axes = (a.ndim - 2, a.ndim - 1) if is_tensor else (0, 1)
    widths = [(0, 0)] * a.ndim
    widths[hw_axes[0]], widths[hw_axes[1]] = (top, bottom), (left, right)
    if padding_mode != "constant":
        out = xp.pad(a, widths, mode=padding_mode)
    elif isinstance(fill, Sequence) and not is_tensor and a.ndim == 3:
        channels = [
            xp.pad(a[..., c], widths[:2], constant_values=fill[c]) for c in range(a.shape[2])
        ]
        out = xp.stack(channels, axis=-1)
    else:
        out = xp.pad(a, widths, mode="constant", constant_values=fill)
    return Tensor._make(out) if is_tensor else out


def _flip(img, axis_of_tensor: int, axis_of_array: int):
    if isinstance(img, Tensor):
        return img.flip(axis_of_tensor)
    return xp.ascontiguousarray(xp.flip(img, axis_of_array))


def _pair(size, name: str = "size") -> tuple[int, int]:
    """(h, w) from an int (NumPy's too) or a sequence of one or two ints (torchvision's rule)."""
    if isinstance(size, numbers.Integral):
        size = int(size)
    message = "Please provide only two dimensions (h, w) for {name}."
    return int_tuple(size, 2, name, message=message, error=ValueError)


# ---------------------------------------------------------------------------------------------
# The transforms
# ---------------------------------------------------------------------------------------------


class Compose:
    """Apply several transforms one after the other: ``Compose([ToTensor(), Normalize(...)])``."""

    def __init__(self, transforms: Sequence[Callable]) -> None:
        self.transforms = list(transforms)

    def __call__(self, img):
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self) -> str:
        lines = "".join(f"\n    {t}" for t in self.transforms)
        return f"{type(self).__name__}({lines}\n)"


class ToTensor:
    """A NumPy / PIL image H×W×C (or H×W) → a tensor C×H×W; uint8 is scaled to floats in [0, 1].

    uint8 pixels become the default float dtype divided by 255 (torchvision's rule); other
    dtypes keep their values and dtype, only moving the channel axis first.
    """

    def __call__(self, pic) -> Tensor:
        if isinstance(pic, Tensor):
            raise TypeError(f"pic should be PIL Image or ndarray. Got {type(pic)}")
        a = _as_image(pic)
        if a.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {a.ndim} dimensions.")
        if a.dtype == xp.bool_:  # PIL's 1-bit mode: black/white → 0/255
            a = a.astype(xp.uint8) * xp.uint8(255)
        if a.ndim == 2:
            a = a[:, :, None]
        a = xp.ascontiguousarray(a.transpose(2, 0, 1))  # (H, W, C) → (C, H, W)
        if a.dtype == xp.uint8:
            float_dtype = B.get_default_dtype().np
            a = a.astype(float_dtype) / float_dtype.type(255)
        return Tensor._make(a)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


# Pillow's mode of a one-channel image, by pixel dtype (torchvision's ``to_pil_image`` table)
_ONE_CHANNEL_MODES = {"uint8": "L", "int16": "I;16", "int32": "I", "float32": "F"}


def to_pil_image(pic, mode: str | None = None):
    """A C×H×W tensor or an H×W(×C) array → a PIL image (torchvision's ``F.to_pil_image``).

    A float tensor is scaled as ``pic.mul(255).byte()``: ×255, truncated toward zero, wrapped
    modulo 256 (torchvision's cast). The mode follows the channels — L (or I;16, I, F by dtype
    for one channel), LA, RGB, RGBA — unless ``mode`` names one.
    """
    from PIL import Image  # Pillow: a runtime dependency

    if isinstance(pic, Tensor):
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        if pic.ndim == 2:
            pic = pic.unsqueeze(0)
        if pic.shape[-3] > 4:
            raise ValueError(f"pic should not have > 4 channels. Got {pic.shape[-3]} channels.")
        a = pic._data
        if pic.is_floating_point() and mode != "F":
            a = (a * a.dtype.type(255)).astype(xp.int64).astype(xp.uint8)
        a = a.transpose(1, 2, 0)  # (C, H, W) → (H, W, C)
    elif isinstance(pic, xp.ndarray):
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        a = pic[:, :, None] if pic.ndim == 2 else pic
        if a.shape[-1] > 4:
            raise ValueError(f"pic should not have > 4 channels. Got {a.shape[-1]} channels.")
    else:
        raise TypeError(f"pic should be Tensor or ndarray. Got {type(pic)}.")
    channels = a.shape[2]
    if channels == 1:
        a = a[:, :, 0]
        expected = _ONE_CHANNEL_MODES.get(a.dtype.name)
        if expected is None:
            raise TypeError(f"Input type {a.dtype} is not supported")
        if mode is not None and mode != expected and not (mode == "L" and expected == "F"):
            raise ValueError(
                f"Incorrect mode ({mode}) supplied for input type {a.dtype}. Should be {expected}"
            )
        mode = mode or expected
    elif a.dtype != xp.uint8:
        raise TypeError(f"Input type {a.dtype} is not supported")
    image = Image.fromarray(xp.ascontiguousarray(a))
    return image if mode is None or image.mode == mode else image.convert(mode)


def pil_to_tensor(pic) -> Tensor:
    """A PIL image → a C×H×W tensor of its pixels, dtype kept (uint8 stays 0..255)."""
    if not _is_pil(pic):
        raise TypeError(f"pic should be PIL Image. Got {type(pic)}")
    a = xp.asarray(pic)
    if a.ndim == 2:
        a = a[:, :, None]
    return Tensor._make(xp.ascontiguousarray(a.transpose(2, 0, 1)))


class ToPILImage:
    """A tensor (C×H×W) or array (H×W×C) → a PIL image; see ``to_pil_image``."""

    def __init__(self, mode: str | None = None) -> None:
        self.mode = mode

    def __call__(self, pic):
        return to_pil_image(pic, self.mode)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}()"
            if self.mode is None
            else f"{type(self).__name__}(mode={self.mode})"
        )


class PILToTensor:
    """A PIL image → a C×H×W tensor of the same dtype, not rescaled (uint8 stays 0..255)."""

    def __call__(self, pic) -> Tensor:
        return pil_to_tensor(pic)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Normalize:
    """Per-channel standardisation of a float tensor (..., C, H, W): ``(x - mean[c]) / std[c]``.

    With ``inplace=True`` the input tensor itself is overwritten.
    """

    def __init__(self, mean: Sequence[float], std: Sequence[float], inplace: bool = False) -> None:
        self.mean = mean
        self.std = std
        self.inplace = inplace

    def __call__(self, tensor: Tensor) -> Tensor:
        if not isinstance(tensor, Tensor):
            raise TypeError(f"Input tensor should be a torch tensor. Got {type(tensor)}.")
        if not tensor.is_floating_point():
            raise TypeError(f"Input tensor should be a float tensor. Got {tensor.dtype}.")
        if tensor.ndim < 3:
            raise ValueError(
                f"Expected tensor to be a tensor image of size (..., C, H, W). Got "
                f"tensor.size() = {tuple(tensor.shape)}"
            )
        mean = as_tensor(self.mean, dtype=tensor.dtype)
        std = as_tensor(self.std, dtype=tensor.dtype)
        if (std._data == 0).any():
            raise ValueError(
                f"std evaluated to zero after conversion to {tensor.dtype}, leading to division "
                f"by zero."
            )
        if mean.ndim == 1:
            mean = mean.view(-1, 1, 1)
        if std.ndim == 1:
            std = std.view(-1, 1, 1)
        if self.inplace:
            return tensor.sub_(mean).div_(std)
        return (tensor - mean) / std

    def __repr__(self) -> str:
        return f"{type(self).__name__}(mean={self.mean}, std={self.std})"


class RandomCrop:
    """Crop a random ``size`` window, after optional padding (the classic CIFAR augmentation).

    Args:
        size: (height, width) of the crop, or one int for a square.
        padding: pixels added on every side first: an int, (left/right, top/bottom) or
            (left, top, right, bottom).
        pad_if_needed: pad an image smaller than ``size`` up to it instead of failing.
        fill: the value of constant padding (per channel with a tuple, for arrays).
        padding_mode: ``"constant"``, ``"edge"``, ``"reflect"`` or ``"symmetric"``.
    """

    def __init__(
        self,
        size,
        padding=None,
        pad_if_needed: bool = False,
        fill=0,
        padding_mode: str = "constant",
    ) -> None:
        self.size = _pair(size)
        self.padding = padding
        self.pad_if_needed = pad_if_needed
        self.fill = fill
        self.padding_mode = padding_mode

    @staticmethod
    def get_params(img, output_size: tuple[int, int]) -> tuple[int, int, int, int]:
        """A random crop window (top, left, height, width): torch's two ``randint`` draws."""
        h, w = _size_hw(_as_image(img))
        th, tw = output_size
        if h < th or w < tw:
            raise ValueError(
                f"Required crop size {(th, tw)} is larger than input image size {(h, w)}"
            )
        if w == tw and h == th:
            return 0, 0, h, w
        i = int(randint(0, h - th + 1, size=(1,)).item())
        j = int(randint(0, w - tw + 1, size=(1,)).item())
        return i, j, th, tw

    @_keeps_pil
    def __call__(self, img):
        img = _as_image(img)
        if self.padding is not None:
            img = _pad(img, self.padding, self.fill, self.padding_mode)
        height, width = _size_hw(img)
        if self.pad_if_needed and width < self.size[1]:
            img = _pad(img, [self.size[1] - width, 0], self.fill, self.padding_mode)
        if self.pad_if_needed and height < self.size[0]:
            img = _pad(img, [0, self.size[0] - height], self.fill, self.padding_mode)
        i, j, h, w = self.get_params(img, self.size)
        return _crop(img, i, j, h, w)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(size={self.size}, padding={self.padding})"


class CenterCrop:
    """Crop the central ``size`` window (zero padding first if the image is smaller)."""

    def __init__(self, size) -> None:
        self.size = _pair(size)

    @_keeps_pil
    def __call__(self, img):
        img = _as_image(img)
        h, w = _size_hw(img)
        th, tw = self.size
        if th > h or tw > w:
            # torchvision pads the missing rows/columns evenly, the odd one at the bottom/right
            img = _pad(
                img,
                [
                    (tw - w) // 2 if tw > w else 0,
                    (th - h) // 2 if th > h else 0,
                    (tw - w + 1) // 2 if tw > w else 0,
                    (th - h + 1) // 2 if th > h else 0,
                ],
            )
            h, w = _size_hw(img)
            if h == th and w == tw:
                return img
        top, left = int(round((h - th) / 2.0)), int(round((w - tw) / 2.0))
        return _crop(img, top, left, th, tw)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(size={self.size})"


class _RandomFlip:
    """Mirror the image along one axis with probability ``p`` (one ``rand(1)`` draw per call)."""

    # the flipped axis of a C×H×W tensor and of an H×W(×C) array
    axis_of_tensor: int
    axis_of_array: int

    def __init__(self, p: float = 0.5) -> None:
        self.p = p

    @_keeps_pil
    def __call__(self, img):
        img = _as_image(img)
        if bool((rand(1) < self.p).item()):
            return _flip(img, self.axis_of_tensor, self.axis_of_array)
        return img

    def __repr__(self) -> str:
        return f"{type(self).__name__}(p={self.p})"


class RandomHorizontalFlip(_RandomFlip):
    """Mirror the image left–right with probability ``p`` (one ``rand(1)`` draw per call)."""

    axis_of_tensor, axis_of_array = -1, 1  # the columns


class RandomVerticalFlip(_RandomFlip):
    """Mirror the image top–bottom with probability ``p`` (one ``rand(1)`` draw per call)."""

    axis_of_tensor, axis_of_array = -2, 0  # the rows


class Lambda:
    """Wrap any function as a transform: ``Lambda(lambda x: x.view(-1))``."""

    def __init__(self, lambd: Callable) -> None:
        if not callable(lambd):
            raise TypeError(f"Argument lambd should be callable, got {type(lambd).__name__!r}")
        self.lambd = lambd

    def __call__(self, img):
        return self.lambd(img)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


# ---------------------------------------------------------------------------------------------
# Resizing (the filters live in gradiente.vision.resample) and colour (gradiente.vision.color)
# ---------------------------------------------------------------------------------------------


class InterpolationMode(enum.Enum):
    """How ``Resize`` computes new pixels (torchvision's enum).

    PIL images take every mode, through Pillow's filters. Tensors take NEAREST, NEAREST_EXACT,
    BILINEAR, BICUBIC and (v2 only, antialiased) LANCZOS; BOX and HAMMING raise torch's error.
    """

    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"
    # for PIL compatibility
    BOX = "box"
    HAMMING = "hamming"
    LANCZOS = "lanczos"


# Pillow's filter constants name modes too (torchvision's ``_interpolation_modes_from_int``)
_MODES_FROM_PIL_INT = {
    0: "nearest",
    1: "lanczos",
    2: "bilinear",
    3: "bicubic",
    4: "box",
    5: "hamming",
}


def _interpolation(mode) -> InterpolationMode:
    if isinstance(mode, int) and not isinstance(mode, bool) and mode in _MODES_FROM_PIL_INT:
        return InterpolationMode(_MODES_FROM_PIL_INT[mode])
    try:
        return InterpolationMode(mode.value if isinstance(mode, enum.Enum) else mode)
    except ValueError:
        supported = ", ".join(m.name for m in InterpolationMode)
        raise ValueError(
            f"interpolation {mode!r} is not supported (supported: {supported})"
        ) from None


def _resized_size(h: int, w: int, size, max_size: int | None) -> tuple[int, int]:
    """torchvision's output size: (h, w) as given, or one int for the shorter edge.

    With one int the aspect ratio is kept: the short edge becomes ``size`` and the long edge
    ``int(size · long / short)``, then at most ``max_size`` (scaling the short edge with it).
    """
    if isinstance(size, numbers.Integral) or len(size) == 1:
        requested = int(size if isinstance(size, numbers.Integral) else size[0])
        short, long = (w, h) if w <= h else (h, w)
        new_short, new_long = requested, int(requested * long / short)
        if max_size is not None:
            if max_size <= requested:
                raise ValueError(
                    f"max_size = {max_size} must be strictly greater than the requested size "
                    f"for the smaller edge size = {size}"
                )
            if new_long > max_size:
                new_short, new_long = int(max_size * new_short / new_long), max_size
        return (new_long, new_short) if w <= h else (new_short, new_long)
    if max_size is not None:
        raise ValueError(
            "max_size should only be passed if size specifies the length of the smaller edge, "
            "i.e. size should be an int or a sequence of length 1"
        )
    return int(size[0]), int(size[1])


def _pillow_holds(img) -> bool:
    """Whether Pillow has an image mode for this array: 8-bit L / LA / RGB / RGBA (H×W or
    H×W×{2,3,4} uint8) or 32-bit float F (H×W float32) — the arrays a PIL image becomes."""
    if img.dtype == xp.uint8:
        return img.ndim == 2 or (img.ndim == 3 and img.shape[2] in (2, 3, 4))
    return img.dtype == xp.float32 and img.ndim == 2


def _resize_pil_array(img, size: tuple[int, int], mode: str):
    """Pillow's ``resize`` of an H×W(×C) array (a PIL stand-in), bit for bit.

    Bilinear, bicubic, box, hamming and lanczos call Pillow itself, as torchvision does for PIL
    images: since Pillow 13 the order of the two 1-D passes depends on the sizes (the height
    first when it shrinks much more than the width), and the 8-bit intermediate image makes
    that order visible in the pixels. Arrays Pillow has no mode for keep gradiente's own
    resampling (``resample.resize_uint8`` / ``resize_float``: the width first, as Pillow ≤ 12).
    """
    if mode in ("nearest", "nearest-exact"):  # Pillow's nearest: the pixel under each centre
        rows = resample.nearest_indices(img.shape[0], size[0], exact=True)
        cols = resample.nearest_indices(img.shape[1], size[1], exact=True)
        return img[rows][:, cols]
    if mode in ("bilinear", "bicubic") and not _pillow_holds(img):
        if img.dtype == xp.uint8:
            return resample.resize_uint8(img, size, mode, axes=(0, 1))
        return resample.resize_float(img, size, mode, axes=(0, 1))
    from PIL import Image  # Pillow's own filters (a runtime dependency)

    pil = Image.fromarray(xp.ascontiguousarray(img))
    return xp.asarray(pil.resize((size[1], size[0]), resample.PIL_FILTERS[mode]))


def _nearest_exact_indices(n_in: int, n_out: int):
    """torch's "nearest-exact" source indices: floor(scale · (i + 0.5) − 0.5 + 0.5), with the
    float32 scale and the float32 roundings of ``area_pixel_compute_source_index``."""
    scale = xp.float32(n_in) / xp.float32(n_out)
    i = xp.arange(n_out, dtype=xp.float64)
    real = xp.maximum(float(scale) * (i + 0.5) - 0.5, 0.0).astype(xp.float32)
    index = xp.floor((real.astype(xp.float64) + 0.5).astype(xp.float32))
    return xp.minimum(index.astype(xp.int64), n_in - 1)


def _resize(
    img,
    size: tuple[int, int],
    interpolation: InterpolationMode,
    antialias: bool,
    native_uint8: bool = False,
):
    """Resize an image to ``size`` = (height, width) (not differentiable).

    Arrays (PIL stand-ins) get Pillow's resampling: 8-bit fixed point for uint8, always
    antialiased. Tensors get torch's ``interpolate``: antialiased unless ``antialias=False``,
    integer tensors computed in float32, clamped (bicubic) and rounded back, as torchvision's
    v1 does. ``native_uint8`` is v2's path on x86 CPUs: uint8 bilinear/bicubic/lanczos tensors
    go through torch's integer kernel instead (``resample.resize_torch``).
    """
    mode = interpolation.value
    if not isinstance(img, Tensor):
        return _resize_pil_array(img, size, mode)
    a = img._data
    if min(size) <= 0:  # torch's interpolate refuses an empty output
        raise RuntimeError(
            "Input and output sizes should be greater than 0, but got input "
            f"(H: {a.shape[-2]}, W: {a.shape[-1]}) output (H: {size[0]}, W: {size[1]})"
        )
    if mode in ("box", "hamming"):
        raise NotImplementedError(
            "Input Error: Only 3D, 4D and 5D input Tensors supported (got 4D) for the modes: "
            "nearest | linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact "
            f"(got {mode})"
        )
    if mode == "lanczos" and not (native_uint8 and antialias):
        if native_uint8:
            raise ValueError("InterpolationMode.LANCZOS requires antialias=True")
        raise ValueError("Lanczos mode requires antialias=True")
    if mode in ("nearest", "nearest-exact"):
        if mode == "nearest":  # torch's legacy "nearest": floor(x · scale)
            rows = resample.nearest_indices(a.shape[-2], size[0], exact=False)
            cols = resample.nearest_indices(a.shape[-1], size[1], exact=False)
        else:
            rows = _nearest_exact_indices(a.shape[-2], size[0])
            cols = _nearest_exact_indices(a.shape[-1], size[1])
        return Tensor._make(a[..., rows, :][..., cols])
    if native_uint8 and antialias and a.dtype == xp.uint8:
        return Tensor._make(resample.resize_torch(a, size, mode))
    is_float = xp.issubdtype(a.dtype, xp.floating)
    x = a if is_float else a.astype(xp.float32)
    if antialias:
        out = resample.resize_torch(x, size, mode)
    else:
        from gradiente.nn import functional as F

        # bilinear or bicubic (Keys' cubic, a = −0.75) without widening the filter: torch's
        # interpolate; a uint8 bicubic overshoots [0, 255] and is clamped below
        flat = Tensor._make(x.reshape(-1, 1, *x.shape[-2:]))
        resized = F.interpolate(flat, size=size, mode=mode, align_corners=False)._data
        out = resized.reshape(*x.shape[:-2], *size)
    if not is_float:  # clamp, round half to even (torch.round) and cast back
        info = xp.iinfo(a.dtype)
        out = xp.clip(xp.round(out), info.min, info.max).astype(a.dtype)
    return Tensor._make(out)


class Resize:
    """Resize to ``size``: (h, w), or one int for the shorter edge (keeping the aspect ratio).

    Bilinear by default and antialiased as torchvision (``antialias=True``): when shrinking,
    every output pixel is a triangle-weighted mean of all the input pixels it covers (see
    ``gradiente.vision.resample``). An image already of the output size is returned as it is.
    """

    def __init__(
        self,
        size,
        interpolation=InterpolationMode.BILINEAR,
        max_size: int | None = None,
        antialias: bool = True,
    ) -> None:
        if not isinstance(size, (numbers.Integral, Sequence)):
            raise TypeError(f"Size should be int or sequence. Got {type(size)}")
        if isinstance(size, Sequence) and len(size) not in (1, 2):
            raise ValueError("If size is a sequence, it should have 1 or 2 values")
        self.size = size
        self.max_size = max_size
        self.interpolation = _interpolation(interpolation)
        self.antialias = antialias

    # v2 sets this: uint8 tensors through torch's integer kernel (see ``_resize``)
    _native_uint8 = False

    @_keeps_pil
    def __call__(self, img):
        img = _as_image(img)
        h, w = _size_hw(img)
        out_size = _resized_size(h, w, self.size, self.max_size)
        if out_size == (h, w):
            return img
        return _resize(img, out_size, self.interpolation, self.antialias, self._native_uint8)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(size={self.size}, interpolation={self.interpolation.value}, "
            f"max_size={self.max_size}, antialias={self.antialias})"
        )


class RandomResizedCrop:
    """Crop a random region of random area and aspect ratio, resized to ``size`` (Inception's
    augmentation, the standard one for ImageNet training).

    The region (torchvision's algorithm, with its draws): up to 10 tries of area
    ``A · U(scale)`` and aspect ratio ``exp(U(log ratio))`` (width / height); the first that
    fits in the image is placed at a random corner (two ``randint`` draws). If none fits, the
    largest central crop whose ratio is clamped into ``ratio``.
    """

    def __init__(
        self,
        size,
        scale: tuple[float, float] = (0.08, 1.0),
        ratio: tuple[float, float] = (3.0 / 4.0, 4.0 / 3.0),
        interpolation=InterpolationMode.BILINEAR,
        antialias: bool = True,
    ) -> None:
        self.size = _pair(size)
        if scale[0] > scale[1] or ratio[0] > ratio[1]:
            raise ValueError("Scale and ratio should be of kind (min, max)")
        self.scale = scale
        self.ratio = ratio
        self.interpolation = _interpolation(interpolation)
        self.antialias = antialias

    _native_uint8 = False  # as Resize's

    @staticmethod
    def get_params(img, scale, ratio) -> tuple[int, int, int, int]:
        """The crop (top, left, height, width), drawn as torchvision draws it."""
        height, width = _size_hw(_as_image(img))
        area = height * width
        log_ratio = as_tensor(ratio, dtype=B.float32).log()  # float32, as torch's tensor(ratio)
        for _ in range(10):
            target_area = area * empty(1).uniform_(scale[0], scale[1]).item()
            low, high = float(log_ratio[0]), float(log_ratio[1])
            aspect_ratio = empty(1).uniform_(low, high).exp().item()
            w = int(round(math.sqrt(target_area * aspect_ratio)))
            h = int(round(math.sqrt(target_area / aspect_ratio)))
            if 0 < w <= width and 0 < h <= height:
                i = int(randint(0, height - h + 1, size=(1,)).item())
                j = int(randint(0, width - w + 1, size=(1,)).item())
                return i, j, h, w
        # fallback: the whole image, narrowed to the nearest allowed aspect ratio, centred
        in_ratio = width / height
        if in_ratio < min(ratio):
            w, h = width, int(round(width / min(ratio)))
        elif in_ratio > max(ratio):
            h, w = height, int(round(height * max(ratio)))
        else:
            w, h = width, height
        return (height - h) // 2, (width - w) // 2, h, w

    @_keeps_pil
    def __call__(self, img):
        img = _as_image(img)
        i, j, h, w = self.get_params(img, self.scale, self.ratio)
        crop = _crop(img, i, j, h, w)
        if (h, w) == self.size:
            return crop
        return _resize(crop, self.size, self.interpolation, self.antialias, self._native_uint8)

    def __repr__(self) -> str:
        scale = tuple(round(s, 4) for s in self.scale)
        ratio = tuple(round(r, 4) for r in self.ratio)
        return (
            f"{type(self).__name__}(size={self.size}, scale={scale}, ratio={ratio}, "
            f"interpolation={self.interpolation.value}, antialias={self.antialias})"
        )


def _jitter_range(value, name: str, center: float = 1.0, bound=(0.0, float("inf")), clip=True):
    """torchvision's ``_check_input``: a number v → [center − v, center + v] (clipped at 0 for
    the factors), a pair as given; None when the range is the single value ``center``."""
    if isinstance(value, numbers.Number):
        if value < 0:
            raise ValueError(f"If {name} is a single number, it must be non negative.")
        value = [center - float(value), center + float(value)]
        if clip:
            value[0] = max(value[0], 0.0)
    elif isinstance(value, (tuple, list)) and len(value) == 2:
        value = [float(value[0]), float(value[1])]
    else:
        raise TypeError(f"{name} should be a single number or a list/tuple with length 2.")
    if not bound[0] <= value[0] <= value[1] <= bound[1]:
        raise ValueError(f"{name} values should be between {bound}, but got {value}.")
    return None if value[0] == value[1] == center else tuple(value)


class ColorJitter:
    """Randomly change brightness, contrast, saturation and hue, in a random order.

    Each argument is a range of factors ``(min, max)`` or one number ``v`` for
    ``[1 − v, 1 + v]`` (hue: ``[−v, v]``, v ≤ 0.5). Per call, as torchvision: a ``randperm(4)``
    for the order, then one ``U(min, max)`` factor per enabled adjustment (formulas in
    ``gradiente.vision.color``).
    """

    def __init__(self, brightness=0, contrast=0, saturation=0, hue=0) -> None:
        self.brightness = _jitter_range(brightness, "brightness")
        self.contrast = _jitter_range(contrast, "contrast")
        self.saturation = _jitter_range(saturation, "saturation")
        self.hue = _jitter_range(hue, "hue", center=0.0, bound=(-0.5, 0.5), clip=False)

    @staticmethod
    def get_params(brightness, contrast, saturation, hue):
        """(order, brightness factor, contrast factor, saturation factor, hue factor)."""
        order = randperm(4)
        factors = [
            None if r is None else float(empty(1).uniform_(r[0], r[1]).item())
            for r in (brightness, contrast, saturation, hue)
        ]
        return (order, *factors)

    @_keeps_pil
    def __call__(self, img):
        img = _as_image(img)
        order, *factors = self.get_params(self.brightness, self.contrast, self.saturation, self.hue)
        adjust = (
            color.adjust_brightness,
            color.adjust_contrast,
            color.adjust_saturation,
            color.adjust_hue,
        )
        for k in order.tolist():
            if factors[k] is not None:
                img = adjust[k](img, factors[k])
        return img

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(brightness={self.brightness}, contrast={self.contrast}, "
            f"saturation={self.saturation}, hue={self.hue})"
        )


# the geometric transforms (rotation, affine, perspective, padding, five/ten crops)
# the automatic augmentation policies
from gradiente.vision.autoaugment import (  # noqa: E402
    AugMix,
    AutoAugment,
    AutoAugmentPolicy,
    RandAugment,
    TrivialAugmentWide,
)
from gradiente.vision.geometric_transforms import (  # noqa: E402 - they build on the helpers above
    ElasticTransform,
    FiveCrop,
    Pad,
    RandomAffine,
    RandomPerspective,
    RandomRotation,
    TenCrop,
)

# the photometric transforms and the random containers
from gradiente.vision.photometric_transforms import (  # noqa: E402
    ConvertImageDtype,
    GaussianBlur,
    Grayscale,
    LinearTransformation,
    RandomAdjustSharpness,
    RandomApply,
    RandomAutocontrast,
    RandomChoice,
    RandomEqualize,
    RandomErasing,
    RandomGrayscale,
    RandomInvert,
    RandomOrder,
    RandomPosterize,
    RandomSolarize,
)
