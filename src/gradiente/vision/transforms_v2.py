"""torchvision's ``transforms.v2`` (``torchvision.transforms.v2`` under ``gradiente run``).

A v2 transform takes *any structure* — an image, ``(image, label)``, a dict, nested lists —
finds what it transforms in it and transforms it with the *same* random parameters, passing the
rest (labels, strings, ...) through untouched (``v2_core``: PIL images, gradiente's H×W(×C)
arrays that stand for them and tv_tensors always; a plain tensor only if the input holds no
image, and then only the first one). Each class is an ``nn.Module`` and prints as
torchvision's does.

With ``tv_tensors`` (``Image``, ``Mask``, ``BoundingBoxes``, ``Video``) each kind is treated
as torchvision treats it: the geometric transforms of ``v2_geometry`` (flips, ``Resize``,
crops, ``Pad``, ``RandomIoUCrop``) and ``v2_warps`` (rotations, affine, perspective, elastic,
zoom-out, scale jitter, random resizes) move boxes and warp masks with nearest neighbours,
through the type-dispatched functions of ``v2_dispatch``; colour transforms leave masks and
boxes alone, ``ToImage`` gives an ``Image``; ``v2_boxes`` has ``ClampBoundingBoxes``,
``ConvertBoundingBoxFormat`` and ``SanitizeBoundingBoxes``; ``v2_misc`` the smaller ones
(``RGB``, ``JPEG``, ``UniformTemporalSubsample``, ``SetClampingMode``) and the sample helpers
(``query_size``, ``has_any``, ...). ``FiveCrop`` and ``TenCrop`` refuse boxes and masks, as
torchvision's do.

The random draws are v2's own (the same as v1's for flips, crops of random size, colour jitter,
blur, erasing; ``randint`` only along the axes that need one for ``RandomCrop``;
``multinomial`` and ``randperm`` for ``RandomChoice`` and ``RandomOrder``), so after the same
``manual_seed`` gradiente and torch transform alike. ``CutMix`` and ``MixUp`` (``v2_mix``) draw
λ ~ Beta(α, α) exactly as torch does; the auto-augment policies are in ``v2_autoaugment``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from gradiente import transforms as v1
from gradiente.backend import xp
from gradiente.tensor import Tensor, as_tensor, multinomial, rand, randperm
from gradiente.vision import functional_v2 as F2
from gradiente.vision import photometric as P
from gradiente.vision import photometric_transforms as PT
from gradiente.vision import tv_tensors as tvt
from gradiente.vision.v2_autoaugment import (
    AugMix,
    AutoAugment,
    AutoAugmentPolicy,
    RandAugment,
    TrivialAugmentWide,
)
from gradiente.vision.v2_boxes import (
    ClampBoundingBoxes,
    ConvertBoundingBoxFormat,
    SanitizeBoundingBoxes,
)
from gradiente.vision.v2_core import (
    Transform,
    _FromV1,
    _is_image_or_video,
    _p_only,
    _p_then,
    _v2,
    jitter_range,
    setup_number_or_seq,
    setup_size,
)
from gradiente.vision.v2_geometry import (
    CenterCrop,
    Pad,
    RandomCrop,
    RandomHorizontalFlip,
    RandomIoUCrop,
    RandomResizedCrop,
    RandomVerticalFlip,
    Resize,
)
from gradiente.vision.v2_kernels import (  # noqa: F401 - functional_v2 reads them from here
    _autocontrast_v2,
    _contrast_v2,
    _gray_v2,
    _saturation_v2,
    _sharpness_v2,
    _v2_kernel,
)
from gradiente.vision.v2_misc import (
    JPEG,
    RGB,
    SetClampingMode,
    UniformTemporalSubsample,
    check_type,
    get_bounding_boxes,
    has_all,
    has_any,
    query_chw,
    query_size,
)
from gradiente.vision.v2_mix import CutMix, MixUp
from gradiente.vision.v2_photometric import (
    GaussianNoise,
    RandomChannelPermutation,
    RandomPhotometricDistort,
)
from gradiente.vision.v2_warps import (
    ElasticTransform,
    FiveCrop,
    RandomAffine,
    RandomPerspective,
    RandomResize,
    RandomRotation,
    RandomShortestSize,
    RandomZoomOut,
    ScaleJitter,
    TenCrop,
)

__all__ = [
    "CenterCrop",
    "ClampBoundingBoxes",
    "ConvertBoundingBoxFormat",
    "Pad",
    "RandomIoUCrop",
    "SanitizeBoundingBoxes",
    "ColorJitter",
    "Compose",
    "ConvertImageDtype",
    "CutMix",
    "GaussianBlur",
    "Grayscale",
    "Identity",
    "InterpolationMode",
    "Lambda",
    "LinearTransformation",
    "MixUp",
    "Normalize",
    "PILToTensor",
    "RandomAdjustSharpness",
    "RandomApply",
    "RandomAutocontrast",
    "RandomChoice",
    "RandomCrop",
    "RandomEqualize",
    "RandomErasing",
    "RandomGrayscale",
    "RandomHorizontalFlip",
    "RandomInvert",
    "RandomOrder",
    "RandomPosterize",
    "RandomResizedCrop",
    "RandomSolarize",
    "RandomVerticalFlip",
    "Resize",
    "ToDtype",
    "ToImage",
    "ToPILImage",
    "ToPureTensor",
    "ToTensor",
    "Transform",
]

InterpolationMode = v1.InterpolationMode
functional = F2  # ``torchvision.transforms.v2.functional``, as an attribute too


def _normalize_public(self, mean, std, inplace: bool = False) -> None:
    self.mean, self.std, self.inplace = list(mean), list(std), inplace


def _dtype_public(self, dtype=None) -> None:
    from gradiente import float32

    self.dtype = float32 if dtype is None else dtype


def _linear_public(self, transformation_matrix, mean_vector) -> None:
    self.transformation_matrix, self.mean_vector = transformation_matrix, mean_vector


def _mode_public(self, mode=None) -> None:
    self.mode = mode


def _grayscale_public(self, num_output_channels: int = 1) -> None:
    self.num_output_channels = num_output_channels


def _erasing_public(self, p=0.5, scale=(0.02, 0.33), ratio=(0.3, 3.3), value=0.0, inplace=False):
    self.p, self.scale, self.ratio = p, scale, ratio
    if isinstance(value, (int, float)):
        value = [float(value)]
    elif isinstance(value, str):
        value = None
    elif isinstance(value, (list, tuple)):
        value = [float(v) for v in value]
    self.value, self.inplace = value, inplace


def _jitter_public(self, brightness=None, contrast=None, saturation=None, hue=None) -> None:
    self.brightness = jitter_range(brightness, "brightness")
    self.contrast = jitter_range(contrast, "contrast")
    self.saturation = jitter_range(saturation, "saturation")
    self.hue = jitter_range(hue, "hue", center=0, bound=(-0.5, 0.5), clip=False)


def _blur_public(self, kernel_size, sigma=(0.1, 2.0)) -> None:
    self.kernel_size = setup_size(kernel_size)
    self.sigma = setup_number_or_seq(sigma, "sigma")


Normalize = _v2(
    "Normalize",
    v1.Normalize,
    "(x − mean) / std per channel of a float tensor.",
    _normalize_public,
)
RandomInvert = _v2("RandomInvert", PT.RandomInvert, "The negative with probability p.", _p_only())
RandomSolarize = _v2(
    "RandomSolarize",
    PT.RandomSolarize,
    "Invert above a threshold, prob. p.",
    _p_then("threshold"),
)
ConvertImageDtype = _v2(
    "ConvertImageDtype",
    PT.ConvertImageDtype,
    "Dtype change, rescaled.",
    _dtype_public,
    _v1_args=lambda self: {"dtype": self.dtype},
)
LinearTransformation = _v2(
    "LinearTransformation", PT.LinearTransformation, "Whitening.", _linear_public
)
PILToTensor = _v2("PILToTensor", v1.PILToTensor, "A PIL image → a C×H×W tensor, dtype kept.")
ToPILImage = _v2("ToPILImage", v1.ToPILImage, "A tensor or array → a PIL image.", _mode_public)
ToTensor = _v2("ToTensor", v1.ToTensor, "Deprecated in v2: ToImage + ToDtype(scale=True).")


class Grayscale(_FromV1):
    """Grey levels as 1 or 3 channels."""

    v1_class = PT.Grayscale
    _public = _grayscale_public

    def _apply_one(self, img):
        n = self.num_output_channels
        return _v2_kernel(img, lambda a: _gray_v2(a, n), self._v1)


class RandomGrayscale(_FromV1):
    """Grey levels (keeping the channel count) with probability p."""

    v1_class = PT.RandomGrayscale
    _public = _p_only(0.1)

    def _apply_one(self, img):
        if not bool((rand(1) >= self.p).item()):
            n = P.get_dimensions(img)[0]
            return _v2_kernel(img, lambda a: _gray_v2(a, n), lambda im: P.rgb_to_grayscale(im, n))
        return img


class RandomAutocontrast(_FromV1):
    """Autocontrast with probability p."""

    v1_class = PT.RandomAutocontrast
    _public = _p_only()

    def _apply_one(self, img):
        if not bool((rand(1) >= self.p).item()):
            return _v2_kernel(img, _autocontrast_v2, P.autocontrast)
        return img


class RandomErasing(_FromV1):
    """Erase a random rectangle of a tensor image (v1's draws; PIL images pass through)."""

    v1_class = PT.RandomErasing
    _public = _erasing_public

    def _apply_one(self, img):
        return self._v1(img) if isinstance(img, Tensor) else img


class Identity(Transform):
    """Return the input unchanged."""

    def forward(self, *inputs):
        return inputs if len(inputs) > 1 else inputs[0]


class Lambda(Transform):
    """Apply ``lambd`` to the transformed leaves of the given ``types`` (every leaf by default,
    a plain tensor only where it counts as the image)."""

    _transforms_everything = True

    def __init__(self, lambd: Callable, *types: type) -> None:
        self.lambd = lambd
        self.types = types or (object,)

    def transform(self, inpt, params):
        return self.lambd(inpt) if isinstance(inpt, self.types) else inpt

    def extra_repr(self) -> str:
        name = getattr(self.lambd, "__name__", None)
        return ", ".join(([name] if name else []) + [f"types={[t.__name__ for t in self.types]}"])


# ---------------------------------------------------------------------------------------------
# Conversions
# ---------------------------------------------------------------------------------------------


class ToImage(Transform):
    """A PIL image, H×W(×C) array or plain tensor → a ``tv_tensors.Image`` (C, H, W) of the
    same dtype (not rescaled)."""

    def transform(self, inpt, params):
        if isinstance(inpt, tvt.TVTensor):
            return inpt
        if isinstance(inpt, Tensor):
            return tvt.Image(inpt)
        a = xp.asarray(inpt)
        if a.ndim == 2:
            a = a[:, :, None]
        return tvt.Image(Tensor._make(xp.ascontiguousarray(a.transpose(2, 0, 1))))


class ToPureTensor(Transform):
    """tv_tensors → plain tensors (the same memory)."""

    def transform(self, inpt, params):
        return inpt.as_subclass(Tensor) if isinstance(inpt, tvt.TVTensor) else inpt


def _value_bits(dtype) -> int:
    """Bits that hold the value of an integer dtype (no sign bit): uint8 8, int16 15, ..."""
    info = xp.iinfo(dtype)
    return info.bits - (1 if info.min < 0 else 0)


def to_dtype(image: Tensor, dtype, scale: bool = False) -> Tensor:
    """v2's ``to_dtype``: a cast, or with ``scale`` a rescaling between value ranges.

    int → float multiplies by 1 / max (v1 divides); int → int shifts by the difference of the
    value bits; float → int multiplies by max + 1 − 1e-3 and truncates. A tv_tensor keeps its
    type; masks and boxes are only cast.
    """
    if isinstance(image, tvt.TVTensor):
        scale = scale and isinstance(image, (tvt.Image, tvt.Video))
        return tvt.wrap(to_dtype(image._plain(), dtype, scale), like=image)
    if image.dtype == dtype:
        return image
    if not scale:
        return image.to(dtype)
    target = xp.dtype(dtype.np)
    a = image._data
    if image.is_floating_point():
        return P.convert_image_dtype(image, dtype)
    if xp.issubdtype(target, xp.floating):
        return Tensor._make(a.astype(target) * target.type(1.0 / P._max_value(a.dtype)))
    shift = abs(_value_bits(a.dtype) - _value_bits(target))
    if _value_bits(a.dtype) > _value_bits(target):
        return Tensor._make((a >> shift).astype(target))
    return Tensor._make(a.astype(target) << shift)


class ToDtype(Transform):
    """Convert images to ``dtype``, rescaling values with ``scale=True`` (uint8 0..255 → float
    0..1). ``dtype`` may be a dict by type (``{tv_tensors.Image: torch.float32, "others":
    None}``); a plain dtype converts only images and videos."""

    def __init__(self, dtype, scale: bool = False) -> None:
        if not (isinstance(dtype, dict) or hasattr(dtype, "np")):
            raise ValueError(f"dtype must be a dict or a torch.dtype, got {type(dtype)} instead")
        self.dtype = dtype
        self.scale = scale

    def transform(self, inpt, params):
        if not isinstance(inpt, Tensor):
            return inpt
        if not isinstance(self.dtype, dict):
            if not _is_image_or_video(inpt):
                return inpt
            dtype = self.dtype
        elif type(inpt) in self.dtype:
            dtype = self.dtype[type(inpt)]
        elif "others" in self.dtype:
            dtype = self.dtype["others"]
        else:
            raise ValueError(
                f"No dtype was specified for type {type(inpt)}. If you only need to convert the "
                "dtype of images or videos, you can just pass e.g. dtype=torch.float32. If "
                'you\'re passing a dict as dtype, you can use "others" as a catch-all key e.g. '
                'dtype={tv_tensors.Mask: torch.int64, "others": None} to pass-through the rest '
                "of the inputs."
            )
        return inpt if dtype is None else to_dtype(inpt, dtype, self.scale)


# ---------------------------------------------------------------------------------------------
# Containers
# ---------------------------------------------------------------------------------------------


def _chain(transforms, inputs):
    unpack = len(inputs) > 1
    outputs = inputs if unpack else inputs[0]
    for t in transforms:
        outputs = t(*inputs)
        inputs = outputs if unpack else (outputs,)
    return outputs


def _check_transforms(transforms) -> None:
    if not isinstance(transforms, Sequence):
        raise TypeError("Argument transforms should be a sequence of callables")
    if not transforms:
        raise ValueError("Pass at least one transform")


def _listed(transforms) -> str:
    """Compose's and RandomApply's ``extra_repr``: one indented line per transform."""
    return "\n".join(f"    {t}" for t in transforms)


class Compose(Transform):
    """Apply the transforms in turn; several inputs travel together as a tuple."""

    def __init__(self, transforms: Sequence[Callable]) -> None:
        _check_transforms(transforms)
        self.transforms = transforms

    def forward(self, *inputs):
        return _chain(self.transforms, inputs)

    def extra_repr(self) -> str:
        return _listed(self.transforms)


class RandomApply(Transform):
    """Apply all the transforms with probability ``p`` (``rand(1) >= p`` skips them)."""

    def __init__(self, transforms, p: float = 0.5) -> None:
        if not isinstance(transforms, Sequence) and type(transforms).__name__ != "ModuleList":
            raise TypeError(
                "Argument transforms should be a sequence of callables or a `nn.ModuleList`"
            )
        if not transforms:
            raise ValueError("Pass at least one transform")
        self.transforms = transforms
        if not (0.0 <= p <= 1.0):
            raise ValueError("`p` should be a floating point value in the interval [0.0, 1.0].")
        self.p = p

    def forward(self, *inputs):
        if bool((rand(1) >= self.p).item()):
            return inputs if len(inputs) > 1 else inputs[0]
        return _chain(self.transforms, inputs)

    def extra_repr(self) -> str:
        return _listed(self.transforms)


class RandomChoice(Transform):
    """Apply one transform, drawn by ``multinomial(p, 1)`` (equal weights by default)."""

    def __init__(self, transforms, p=None) -> None:
        _check_transforms(transforms)
        if p is None:
            p = [1] * len(transforms)
        elif len(p) != len(transforms):
            raise ValueError(
                f"Length of p doesn't match the number of transforms: {len(p)} != {len(transforms)}"
            )
        self.transforms = transforms
        total = sum(p)
        self.p = [prob / total for prob in p]

    def forward(self, *inputs):
        idx = int(multinomial(as_tensor(self.p), 1).item())
        return self.transforms[idx](*inputs)


class RandomOrder(Transform):
    """Apply all the transforms in the order of a ``randperm``."""

    def __init__(self, transforms: Sequence[Callable]) -> None:
        _check_transforms(transforms)
        self.transforms = transforms

    def forward(self, *inputs):
        order = randperm(len(self.transforms)).tolist()
        return _chain([self.transforms[i] for i in order], inputs)


# v1's transforms and draws with v2's kernels (see ``functional_v2``)


def _jitter_v2(self, img):
    """v1's ColorJitter draws; tensors through v2's kernels."""
    if not isinstance(img, Tensor):
        return v1.ColorJitter.__call__(self, img)
    order, *factors = self.get_params(self.brightness, self.contrast, self.saturation, self.hue)
    adjust = (F2.adjust_brightness, F2.adjust_contrast, F2.adjust_saturation, F2.adjust_hue)
    for k in order.tolist():
        if factors[k] is not None:
            img = adjust[k](img, factors[k])
    return img


def _blur_v2(self, img):
    """v1's σ draw; v2's Gaussian kernel (PIL images through a tensor)."""
    sigma = self.get_params(self.sigma[0], self.sigma[1])
    return F2.gaussian_blur(img, list(self.kernel_size), [sigma, sigma])


def _with_op(v1_class, op) -> type:
    """A v1 random op (one ``rand(1)`` draw) applying ``op`` instead, under v1's name."""
    return type(v1_class.__name__, (v1_class,), {"op": staticmethod(op)})


ColorJitter = _v2(
    "ColorJitter",
    type("ColorJitter", (v1.ColorJitter,), {"__call__": _jitter_v2}),
    "Random brightness/contrast/saturation/hue.",
    _jitter_public,
)
GaussianBlur = _v2(
    "GaussianBlur",
    type("GaussianBlur", (PT.GaussianBlur,), {"__call__": _blur_v2}),
    "Gaussian blur, σ drawn in (min, max).",
    _blur_public,
    _v1_args=lambda self: {"kernel_size": self.kernel_size, "sigma": tuple(self.sigma)},
)
RandomPosterize = _v2(
    "RandomPosterize",
    _with_op(PT.RandomPosterize, F2.posterize),
    "Keep the high bits, prob. p.",
    _p_then("bits"),
)
RandomAdjustSharpness = _v2(
    "RandomAdjustSharpness",
    _with_op(PT.RandomAdjustSharpness, F2.adjust_sharpness),
    "Sharpen/smooth with probability p.",
    _p_then("sharpness_factor"),
)
RandomEqualize = _v2(
    "RandomEqualize",
    _with_op(PT.RandomEqualize, F2.equalize),
    "Equalise histograms, prob. p.",
    _p_only(),
)

__all__ += [
    "AugMix",
    "AutoAugment",
    "AutoAugmentPolicy",
    "RandAugment",
    "TrivialAugmentWide",
    "GaussianNoise",
    "RandomChannelPermutation",
    "RandomPhotometricDistort",
    "RandomZoomOut",
    "ScaleJitter",
    "ElasticTransform",
    "FiveCrop",
    "RandomAffine",
    "RandomPerspective",
    "RandomResize",
    "RandomRotation",
    "RandomShortestSize",
    "TenCrop",
    "JPEG",
    "RGB",
    "SetClampingMode",
    "UniformTemporalSubsample",
    "check_type",
    "get_bounding_boxes",
    "has_all",
    "has_any",
    "query_chw",
    "query_size",
]
