"""torchvision's ``transforms.v2`` (``torchvision.transforms.v2`` under ``gradiente run``).

A v2 transform takes *any structure* — an image, ``(image, label)``, a dict, nested lists —
finds the images in it and transforms them with the *same* random parameters, passing the rest
(labels, strings, ...) through untouched. Which leaves are images follows v2's rule: PIL images
(and gradiente's H×W(×C) arrays that stand for them) always; a plain tensor only if the input
holds no PIL image, and then only the first one.

The random draws are v2's own (the same as v1's for flips, crops of random size, colour jitter,
blur, erasing; ``randint`` only along the axes that need one for ``RandomCrop``;
``multinomial`` and ``randperm`` for ``RandomChoice`` and ``RandomOrder``), so after the same
``manual_seed`` gradiente and torch transform alike. Several images in one input get the same
parameters: each is transformed from the same generator state.

``ToImage`` gives a plain gradiente tensor (C, H, W), not a ``tv_tensors.Image`` subclass;
tv_tensors (bounding boxes, masks) are not supported. ``CutMix`` and ``MixUp`` draw their mixing
weight λ ~ Beta(α, α) with torch's own Dirichlet sampler (Marsaglia–Tsang gamma draws on the
default generator), so λ is the same number torch draws.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from gradiente import transforms as v1
from gradiente.backend import xp
from gradiente.nn import functional as NF
from gradiente.random import _canonical, _normal_scalar_path
from gradiente.random.exact_math import _fma32, _fma64
from gradiente.random.generator import _gen, get_rng_state, set_rng_state
from gradiente.tensor import Tensor, as_tensor, linspace, multinomial, rand, randint, randperm
from gradiente.vision import autoaugment as AA
from gradiente.vision import photometric as P
from gradiente.vision import photometric_transforms as PT

__all__ = [
    "CenterCrop",
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


# ---------------------------------------------------------------------------------------------
# Structures: flatten to leaves, pick the images, put back
# ---------------------------------------------------------------------------------------------


def _flatten(tree) -> tuple[list, Callable]:
    """The leaves of nested tuples/lists/dicts, and a function that rebuilds the structure."""
    if isinstance(tree, (list, tuple)) and not hasattr(tree, "_fields"):
        parts = [_flatten(x) for x in tree]
        leaves = [leaf for p in parts for leaf in p[0]]

        kind = type(tree)

        def rebuild(values):
            out, k = [], 0
            for p in parts:
                n = len(p[0])
                out.append(p[1](values[k : k + n]))
                k += n
            return kind(out)

        return leaves, rebuild
    if isinstance(tree, dict):
        keys = list(tree)
        leaves, rebuild_values = _flatten([tree[k] for k in keys])
        return leaves, lambda values: dict(zip(keys, rebuild_values(values), strict=True))
    return [tree], lambda values: values[0]


def _is_pil_like(x) -> bool:
    """A PIL image, or an H×W(×C) array standing for one."""
    return v1._is_pil(x) or (isinstance(x, xp.ndarray) and x.ndim in (2, 3))


def _image_flags(leaves) -> list[bool]:
    """v2's rule: PIL images always; without them, the first plain tensor only."""
    tensor_allowed = not any(_is_pil_like(x) for x in leaves)
    flags = []
    for x in leaves:
        if _is_pil_like(x):
            flags.append(True)
        elif isinstance(x, Tensor) and tensor_allowed:
            flags.append(True)
            tensor_allowed = False
        else:
            flags.append(False)
    return flags


class Transform:
    """The base of the v2 transforms: apply ``_apply_one`` to each image of the input.

    A subclass defines ``_apply_one(image)`` (drawing its randomness there). When the input holds
    several images, each is transformed from the same generator state, so they share the draws.
    """

    def _apply_one(self, img):  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def __call__(self, *inputs):
        inputs = inputs if len(inputs) > 1 else inputs[0]
        leaves, rebuild = _flatten(inputs)
        flags = _image_flags(leaves)
        if not any(flags):
            return inputs
        several = sum(flags) > 1
        state = get_rng_state() if several else None
        out = []
        for leaf, is_image in zip(leaves, flags, strict=True):
            if is_image:
                if several:
                    set_rng_state(state)
                leaf = self._apply_one(leaf)
            out.append(leaf)
        return rebuild(out)

    forward = __call__

    def __repr__(self) -> str:
        inner = getattr(self, "_v1", None)
        return type(self).__name__ + (repr(inner)[len(type(inner).__name__) :] if inner else "()")


class _FromV1(Transform):
    """A v2 transform whose per-image work and draws are those of a v1 transform."""

    v1_class: type

    def __init__(self, *args, **kwargs) -> None:
        self._v1 = self.v1_class(*args, **kwargs)

    def __getattr__(self, name):  # size, p, ... read from the v1 transform
        if name == "_v1":
            raise AttributeError(name)
        return getattr(self._v1, name)

    def _apply_one(self, img):
        return self._v1(img)


def _v2(name: str, v1_class: type, doc: str) -> type:
    return type(name, (_FromV1,), {"v1_class": v1_class, "__doc__": doc, "__module__": __name__})


RandomHorizontalFlip = _v2("RandomHorizontalFlip", v1.RandomHorizontalFlip, "Mirror left–right.")
RandomVerticalFlip = _v2("RandomVerticalFlip", v1.RandomVerticalFlip, "Mirror top–bottom.")
# v2 resizes uint8 tensors with torch's integer kernel (v1 goes through float32)
_NativeResize = type("Resize", (v1.Resize,), {"_native_uint8": True})
_NativeResizedCrop = type("RandomResizedCrop", (v1.RandomResizedCrop,), {"_native_uint8": True})
RandomResizedCrop = _v2(
    "RandomResizedCrop", _NativeResizedCrop, "Crop a random area and aspect, then resize."
)
Resize = _v2("Resize", _NativeResize, "Resize to (h, w) or the shorter side to an int.")
CenterCrop = _v2("CenterCrop", v1.CenterCrop, "The central window.")
Normalize = _v2("Normalize", v1.Normalize, "(x − mean) / std per channel of a float tensor.")
RandomInvert = _v2("RandomInvert", PT.RandomInvert, "The negative with probability p.")
RandomSolarize = _v2("RandomSolarize", PT.RandomSolarize, "Invert above a threshold, prob. p.")
ConvertImageDtype = _v2("ConvertImageDtype", PT.ConvertImageDtype, "Dtype change, rescaled.")
LinearTransformation = _v2("LinearTransformation", PT.LinearTransformation, "Whitening.")
PILToTensor = _v2("PILToTensor", v1.PILToTensor, "A PIL image → a C×H×W tensor, dtype kept.")
ToPILImage = _v2("ToPILImage", v1.ToPILImage, "A tensor or array → a PIL image.")
ToTensor = _v2("ToTensor", v1.ToTensor, "Deprecated in v2: ToImage + ToDtype(scale=True).")


# v2's own tensor kernels where they round differently from v1's


def _gray_v2(a, channels: int):
    """v2's luma ``r·0.2989``, then ``+= g·0.587`` and ``+= b·0.114`` as fused multiply-adds
    (torch's ``add_(x, alpha=...)``), in float32 for integer images, cast back."""
    if a.shape[-3] == 1:
        return xp.repeat(a, channels, axis=-3) if channels == 3 else a.copy()
    work = a.dtype if xp.issubdtype(a.dtype, xp.floating) else xp.dtype(xp.float32)
    r, g, b = (a[..., c, :, :].astype(work) for c in range(3))
    if work == xp.float32:
        luma = _fma32(b, xp.float32(0.114), _fma32(g, xp.float32(0.587), r * xp.float32(0.2989)))
    else:
        luma = _fma64(b, 0.114, _fma64(g, 0.587, r * 0.2989))
    luma = luma.astype(a.dtype)[..., None, :, :]
    return xp.broadcast_to(luma, a.shape) if channels == 3 else luma


def _autocontrast_v2(a):
    """v2's autocontrast: ``(x − min) / ((max − min) · (1 / bound))``, clamped, cast back."""
    work = a.dtype if xp.issubdtype(a.dtype, xp.floating) else xp.dtype(xp.float32)
    bound = P._max_value(a.dtype)
    x = a.astype(work)
    minimum = x.min(axis=(-2, -1), keepdims=True)
    maximum = x.max(axis=(-2, -1), keepdims=True)
    flat = maximum == minimum
    inv_scale = (maximum - minimum) * work.type(1.0 / bound)
    minimum[flat], inv_scale[flat] = 0.0, 1.0
    return xp.clip((x - minimum) / inv_scale, 0, bound).astype(a.dtype)


def _blend_v2(a, other, ratio: float):
    """v2's blend: ``a · r``, then ``+= other · (1 − r)`` as one fused multiply-add (torch's
    ``add_(other, alpha=1 − r)``), clamped, cast back (truncating)."""
    work = a.dtype if xp.issubdtype(a.dtype, xp.floating) else xp.dtype(xp.float32)
    fma = _fma32 if work == xp.float32 else _fma64
    scaled = a.astype(work) * work.type(ratio)
    out = fma(xp.broadcast_to(other.astype(work), scaled.shape), work.type(1.0 - ratio), scaled)
    return xp.clip(out, 0, P._max_value(a.dtype)).astype(a.dtype)


def _saturation_v2(a, factor: float):
    """v2's saturation: blend with the grey image (v2's luma, floored for integer images)."""
    if a.shape[-3] == 1:
        return a
    return _blend_v2(a, _gray_v2(a, 1), factor)


def _contrast_v2(a, factor: float):
    """v2's contrast: blend with the mean of v2's (floored) grey image."""
    work = a.dtype if xp.issubdtype(a.dtype, xp.floating) else xp.dtype(xp.float32)
    gray = _gray_v2(a, 1) if a.shape[-3] == 3 else a
    mean = gray.astype(work).mean(axis=(-3, -2, -1), keepdims=True)
    return _blend_v2(a, mean, factor)


def _sharpness_v2(a, factor: float):
    """v2's sharpness: inside the one-pixel border, ``x + (1 − s)(blurred − x)`` as one fused
    multiply-add (torch's ``add_(…, alpha=1 − s)``), clamped, cast back (truncating)."""
    if a.shape[-1] <= 2 or a.shape[-2] <= 2:
        return a
    floating = xp.issubdtype(a.dtype, xp.floating)
    work = a.dtype if floating else xp.dtype(xp.float32)
    fma = _fma32 if work == xp.float32 else _fma64
    blurred = P._blurred_degenerate(a).astype(work)[..., 1:-1, 1:-1]
    out = a.astype(work)
    inner = out[..., 1:-1, 1:-1]
    out[..., 1:-1, 1:-1] = fma(blurred - inner, work.type(1.0 - factor), inner)
    return xp.clip(out, 0, P._max_value(a.dtype)).astype(a.dtype)


def _v2_kernel(img, kernel, pil_op):
    if isinstance(img, Tensor):
        return Tensor._make(kernel(img._data))
    return pil_op(img)


class Grayscale(_FromV1):
    """Grey levels as 1 or 3 channels."""

    v1_class = PT.Grayscale

    def _apply_one(self, img):
        n = self.num_output_channels
        return _v2_kernel(img, lambda a: _gray_v2(a, n), self._v1)


class RandomGrayscale(_FromV1):
    """Grey levels (keeping the channel count) with probability p."""

    v1_class = PT.RandomGrayscale

    def _apply_one(self, img):
        if not bool((rand(1) >= self.p).item()):
            n = P.get_dimensions(img)[0]
            return _v2_kernel(img, lambda a: _gray_v2(a, n), lambda im: P.rgb_to_grayscale(im, n))
        return img


class RandomAutocontrast(_FromV1):
    """Autocontrast with probability p."""

    v1_class = PT.RandomAutocontrast

    def _apply_one(self, img):
        if not bool((rand(1) >= self.p).item()):
            return _v2_kernel(img, _autocontrast_v2, P.autocontrast)
        return img


class RandomErasing(_FromV1):
    """Erase a random rectangle of a tensor image (v1's draws; PIL images pass through)."""

    v1_class = PT.RandomErasing

    def _apply_one(self, img):
        return self._v1(img) if isinstance(img, Tensor) else img


class Identity(Transform):
    """Return the input unchanged."""

    def __call__(self, *inputs):
        return inputs if len(inputs) > 1 else inputs[0]


class Lambda(Transform):
    """Apply ``lambd`` to the leaves of the given ``types`` (all, by default)."""

    def __init__(self, lambd: Callable, *types: type) -> None:
        self.lambd = lambd
        self.types = types or (object,)

    def __call__(self, *inputs):
        inputs = inputs if len(inputs) > 1 else inputs[0]
        leaves, rebuild = _flatten(inputs)
        flags = _image_flags(leaves)
        out = [
            self.lambd(x)
            if isinstance(x, self.types) and (flag or not isinstance(x, Tensor))
            else x
            for x, flag in zip(leaves, flags, strict=True)
        ]
        return rebuild(out)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(lambd={self.lambd}, types={list(self.types)})"


class RandomCrop(Transform):
    """Pad (optionally), then crop a random ``size`` window: one ``randint`` per axis that is
    longer than the crop (v2's draws; v1 draws both whenever the sizes differ)."""

    def __init__(self, size, padding=None, pad_if_needed=False, fill=0, padding_mode="constant"):
        self.size = v1._pair(size)
        self.padding = None if padding is None else v1._pad_sides(padding)  # (l, t, r, b)
        self.pad_if_needed = pad_if_needed
        self.fill = fill
        self.padding_mode = padding_mode

    def _apply_one(self, img):
        img = v1._as_image(img) if not v1._is_pil(img) else img
        was_pil = v1._is_pil(img)
        a = v1._as_image(img)
        height, width = v1._size_hw(a)
        left, top, right, bottom = self.padding or (0, 0, 0, 0)
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
        if any((left, top, right, bottom)):
            a = v1._pad(a, [left, top, right, bottom], self.fill, self.padding_mode)
        i = int(randint(0, height - th + 1, size=()).item()) if height > th else 0
        j = int(randint(0, width - tw + 1, size=()).item()) if width > tw else 0
        out = v1._crop(a, i, j, th, tw)
        if was_pil:
            from PIL import Image

            return Image.fromarray(xp.ascontiguousarray(out))
        return out

    def __repr__(self) -> str:
        return f"{type(self).__name__}(size={self.size}, padding={self.padding})"


# ---------------------------------------------------------------------------------------------
# Conversions
# ---------------------------------------------------------------------------------------------


class ToImage(Transform):
    """A PIL image, H×W(×C) array or tensor → a C×H×W tensor of the same dtype (not rescaled).

    torchvision returns a ``tv_tensors.Image``; gradiente returns a plain tensor.
    """

    def _apply_one(self, img):
        if isinstance(img, Tensor):
            return img if img.ndim >= 3 else img.unsqueeze(0)
        a = xp.asarray(img)
        if a.ndim == 2:
            a = a[:, :, None]
        return Tensor._make(xp.ascontiguousarray(a.transpose(2, 0, 1)))

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class ToPureTensor(Transform):
    """tv_tensors → plain tensors; gradiente's tensors are plain already, so the identity."""

    def _apply_one(self, img):
        return img

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def _value_bits(dtype) -> int:
    """Bits that hold the value of an integer dtype (no sign bit): uint8 8, int16 15, ..."""
    info = xp.iinfo(dtype)
    return info.bits - (1 if info.min < 0 else 0)


def to_dtype(image: Tensor, dtype, scale: bool = False) -> Tensor:
    """v2's ``to_dtype``: a cast, or with ``scale`` a rescaling between value ranges.

    int → float multiplies by 1 / max (v1 divides); int → int shifts by the difference of the
    value bits; float → int multiplies by max + 1 − 1e-3 and truncates.
    """
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
    """Convert image tensors to ``dtype``, rescaling values with ``scale=True``
    (uint8 0..255 → float 0..1). ``dtype`` may be a dict by type, with ``"others"``."""

    def __init__(self, dtype, scale: bool = False) -> None:
        if not (isinstance(dtype, dict) or hasattr(dtype, "np")):
            raise ValueError(f"dtype must be a dict or a torch.dtype, got {type(dtype)} instead")
        self.dtype = dtype
        self.scale = scale

    def _apply_one(self, img):
        if not isinstance(img, Tensor):
            return img
        dtype = self.dtype
        if isinstance(dtype, dict):
            dtype = dtype.get(Tensor, dtype.get("others"))
        return img if dtype is None else to_dtype(img, dtype, self.scale)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(dtype={self.dtype}, scale={self.scale})"


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


class Compose(Transform):
    """Apply the transforms in turn; several inputs travel together as a tuple."""

    def __init__(self, transforms: Sequence[Callable]) -> None:
        if not isinstance(transforms, Sequence):
            raise TypeError("Argument transforms should be a sequence of callables")
        if not transforms:
            raise ValueError("Pass at least one transform")
        self.transforms = list(transforms)

    def __call__(self, *inputs):
        return _chain(self.transforms, inputs)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(" + "".join(f"\n    {t}" for t in self.transforms) + "\n)"


class RandomApply(Compose):
    """Apply all the transforms with probability ``p`` (``rand(1) >= p`` skips them)."""

    def __init__(self, transforms, p: float = 0.5) -> None:
        if not (0.0 <= p <= 1.0):
            raise ValueError("`p` should be a floating point value in the interval [0.0, 1.0].")
        super().__init__(transforms)
        self.p = p

    def __call__(self, *inputs):

        if bool((rand(1) >= self.p).item()):
            return inputs if len(inputs) > 1 else inputs[0]
        return _chain(self.transforms, inputs)


class RandomChoice(Compose):
    """Apply one transform, drawn by ``multinomial(p, 1)`` (equal weights by default)."""

    def __init__(self, transforms, p=None) -> None:
        super().__init__(transforms)
        if p is None:
            p = [1] * len(transforms)
        elif len(p) != len(transforms):
            raise ValueError(
                f"Length of p doesn't match the number of transforms: {len(p)} != {len(transforms)}"
            )
        total = sum(p)
        self.p = [prob / total for prob in p]

    def __call__(self, *inputs):

        idx = int(multinomial(as_tensor(self.p), 1).item())
        return self.transforms[idx](*inputs)


class RandomOrder(Compose):
    """Apply all the transforms in the order of a ``randperm``."""

    def __call__(self, *inputs):
        order = randperm(len(self.transforms)).tolist()
        return _chain([self.transforms[i] for i in order], inputs)


# ---------------------------------------------------------------------------------------------
# Batch transforms: CutMix and MixUp, with torch's Beta draws
# ---------------------------------------------------------------------------------------------


def _standard_gamma(alpha: float, gen) -> float:
    """One Gamma(α, 1) draw exactly as torch's CPU ``sample_gamma`` (Marsaglia & Tsang, 2000).

    With α < 1 it draws Gamma(α + 1) and scales by U^(1/α). Then, with d = α − 1/3 and
    c = 1/√(9d): repeat x ~ N(0, 1), v = (1 + c x)³ until u < 1 − 0.0331 x⁴ or
    log u < x²/2 + d (1 − v + log v); the draw is d·v. The uniforms are torch's 53-bit doubles
    and the normals its cached Box–Muller pairs, so the same generator gives the same number.
    """
    f32 = xp.float32

    def uniform() -> float:
        return float(_canonical(gen, 1, xp.float64)[0])

    scale = 1.0
    if alpha < 1.0:
        if alpha == 0.0:
            return 0.0
        scale *= (1.0 - uniform()) ** (1.0 / alpha)
        alpha += 1.0
    d = alpha - float(f32(1.0) / f32(3.0))  # torch writes 1.0f / 3.0f: a float constant
    c = 1.0 / math.sqrt(9.0 * d)
    while True:
        while True:
            x = float(_normal_scalar_path(gen, 1)[0])
            y = 1.0 + c * x
            if y > 0:
                break
        v = y * y * y
        u = 1.0 - uniform()
        xx = x * x
        if u < 1.0 - float(f32(0.0331)) * xx * xx:
            return scale * d * v
        if math.log(u) < 0.5 * xx + d * (1.0 - v + math.log(v)):
            return scale * d * v


def _sample_beta(alpha: float) -> float:
    """λ ~ Beta(α, α) as torch's ``Beta([α], [α]).sample(())``: a Dirichlet(α, α) draw — two
    gammas g₁, g₂ on the default generator, λ = g₁ / (g₁ + g₂), rounded to float32."""
    gen = _gen(None)
    a = float(xp.float32(alpha))
    with gen.lock:
        g1 = max(_standard_gamma(a, gen), float(xp.finfo(xp.float64).tiny))
        g2 = max(_standard_gamma(a, gen), float(xp.finfo(xp.float64).tiny))
    lam = xp.float32(g1 / (g1 + g2))
    return float(
        min(max(lam, xp.finfo(xp.float32).tiny), xp.nextafter(xp.float32(1), xp.float32(0)))
    )


class _MixBase(Transform):
    """What CutMix and MixUp share: a batch (B, C, H, W) and its labels (B,) or (B, classes)."""

    def __init__(self, *, alpha: float = 1.0, num_classes=None, labels_getter="default") -> None:
        self.alpha = float(alpha)
        self.num_classes = num_classes
        self.labels_getter = labels_getter

    def _labels(self, inputs):
        if self.labels_getter != "default":
            return self.labels_getter(inputs)
        if isinstance(inputs, (tuple, list)) and len(inputs) >= 2:
            return inputs[1]
        if isinstance(inputs, dict):
            for key in inputs:
                if str(key).lower() == "labels":
                    return inputs[key]
        raise ValueError("Could not infer where the labels are in the sample.")

    def __call__(self, *inputs):
        inputs = inputs if len(inputs) > 1 else inputs[0]
        leaves, rebuild = _flatten(inputs)
        if any(_is_pil_like(x) for x in leaves):
            raise ValueError(
                f"{type(self).__name__}() does not support PIL images, bounding boxes, keypoints "
                "and masks."
            )
        labels = self._labels(inputs)
        if not isinstance(labels, Tensor):
            raise ValueError(f"The labels must be a tensor, but got {type(labels)} instead.")
        if labels.ndim not in (1, 2):
            raise ValueError(
                "labels should be index based with shape (batch_size,) or probability based "
                "with shape (batch_size, num_classes), but got a tensor of shape "
                f"{labels.shape} instead."
            )
        if labels.ndim == 1 and self.num_classes is None:
            raise ValueError("num_classes must be passed if the labels are index-based (1D)")
        flags = _image_flags(leaves)
        images = [x for x, f in zip(leaves, flags, strict=True) if f and x is not labels]
        params = self._params(images)
        out = []
        for x, flag in zip(leaves, flags, strict=True):
            if x is labels:
                x = self._mix_labels(x, params["lam"])
            elif flag:
                if x.ndim != 4:
                    raise ValueError(
                        f"Expected a batched input with 4 dims, but got {x.ndim} dimensions "
                        "instead."
                    )
                if x.shape[0] != labels.shape[0]:
                    raise ValueError(
                        "The batch size of the image or video does not match the batch size of "
                        f"the labels: {x.shape[0]} != {labels.shape[0]}."
                    )
                x = self._mix_images(x, params)
            out.append(x)
        return rebuild(out)

    def _mix_labels(self, label: Tensor, lam: float) -> Tensor:
        """``λ · y + (1 − λ) · y rolled by one``, on one-hot labels."""
        if label.ndim == 1:
            label = NF.one_hot(label, num_classes=self.num_classes)
        if not label.is_floating_point():
            label = label.float()
        return label.roll(1, 0).mul_(1.0 - lam).add_(label.mul(lam))

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class MixUp(_MixBase):
    """Blend each image with the previous one of the batch: ``λ x + (1 − λ) x_rolled``
    (Zhang et al. 2018), λ ~ Beta(α, α); the labels are blended alike."""

    def _params(self, images):
        return {"lam": _sample_beta(self.alpha)}

    def _mix_images(self, x: Tensor, params) -> Tensor:
        lam = params["lam"]
        return x.roll(1, 0).mul_(1.0 - lam).add_(x.mul(lam))


class CutMix(_MixBase):
    """Paste a box of the previous image of the batch into each image (Yun et al. 2019).

    λ ~ Beta(α, α); the box has sides √(1 − λ)·(W, H) around a ``randint`` centre, clipped to
    the image; the labels are mixed by the area actually kept.
    """

    def _params(self, images):
        lam = _sample_beta(self.alpha)
        h, w = images[0].shape[-2:]
        r_x = int(randint(w, size=(1,)).item())
        r_y = int(randint(h, size=(1,)).item())
        r = 0.5 * math.sqrt(1.0 - lam)
        r_w_half, r_h_half = int(r * w), int(r * h)
        x1, y1 = max(r_x - r_w_half, 0), max(r_y - r_h_half, 0)
        x2, y2 = min(r_x + r_w_half, w), min(r_y + r_h_half, h)
        lam_adjusted = float(1.0 - (x2 - x1) * (y2 - y1) / (w * h))
        return {"lam": lam_adjusted, "box": (x1, y1, x2, y2)}

    def _mix_images(self, x: Tensor, params) -> Tensor:
        x1, y1, x2, y2 = params["box"]
        rolled = x.roll(1, 0)
        out = x.clone()
        out[..., y1:y2, x1:x2] = rolled[..., y1:y2, x1:x2]
        return out


# the geometric v2 transforms, where gradiente.transforms has them (they share v1's draws)
for _name in (
    "Pad",
    "RandomRotation",
    "RandomAffine",
    "RandomPerspective",
    "FiveCrop",
    "TenCrop",
    "ElasticTransform",
):
    if hasattr(v1, _name):
        globals()[_name] = _v2(_name, getattr(v1, _name), getattr(v1, _name).__doc__)
        __all__.append(_name)


# ---------------------------------------------------------------------------------------------
# Automatic augmentation: v2's draws (0-d ``randint``, ``rand() <= 0.5`` for the signs)
# ---------------------------------------------------------------------------------------------


def _draw_index(n: int) -> int:
    """v2's ``int(torch.randint(n, ()))``."""
    return int(randint(n, size=()).item())


def _draw_at_most(p: float) -> bool:
    """v2's ``torch.rand(()) <= p`` (p rounded to float32, as torch compares)."""
    return float(rand(()).item()) <= float(xp.float32(p))


class _AutoAugmentBase(Transform):
    """What the v2 policies share: exactly one image in the input, v2's operation kernels."""

    def __init__(self, *, interpolation="nearest", fill=None) -> None:
        self.interpolation = v1._interpolation(interpolation)
        self.fill = fill

    def _one_image(self, inputs):
        """(leaves, rebuild, index of the image, the image); v2's errors otherwise."""
        leaves, rebuild = _flatten(inputs if len(inputs) > 1 else inputs[0])
        found = [i for i, flag in enumerate(_image_flags(leaves)) if flag]
        if not found:
            raise TypeError("Found no image in the sample.")
        if len(found) > 1:
            raise TypeError(
                "Auto augment transformations are only properly defined for a single image or "
                f"video, but found {len(found)}."
            )
        return leaves, rebuild, found[0], leaves[found[0]]

    def _fill_for(self, image):
        fill = self.fill
        if isinstance(fill, dict):
            fill = fill.get(type(image), fill.get("others"))
        if fill is None or isinstance(fill, (int, float)):
            return fill
        return [float(v) for v in fill]

    def _apply(self, image, op_name: str, magnitude: float):
        """One operation with v2's kernels: the solarize threshold is ``bound · magnitude`` and
        a tensor's autocontrast is v2's."""
        if op_name == "Solarize":
            is_tensor = isinstance(image, Tensor)
            bound = P._max_value(image._data.dtype) if is_tensor else 255.0
            return P.solarize(image, bound * magnitude)
        v2_kernels = {
            "AutoContrast": lambda a: _autocontrast_v2(a),
            "Color": lambda a: _saturation_v2(a, 1.0 + magnitude),
            "Contrast": lambda a: _contrast_v2(a, 1.0 + magnitude),
            "Sharpness": lambda a: _sharpness_v2(a, 1.0 + magnitude),
        }
        if op_name in v2_kernels and isinstance(image, Tensor):
            return Tensor._make(v2_kernels[op_name](image._data))
        return AA._apply_op(image, op_name, magnitude, self.interpolation, self._fill_for(image))

    def _size(self, image) -> tuple[int, int]:
        _, height, width = P.get_dimensions(image)
        return height, width

    def __repr__(self) -> str:
        return f"{type(self).__name__}(interpolation={self.interpolation}, fill={self.fill})"


def _solarize_unit(space: dict, num_bins: int) -> dict:
    """v2's solarize magnitudes: thresholds as fractions of the maximum, 1 → 0."""
    return {**space, "Solarize": (linspace(1.0, 0.0, num_bins), False)}


class AutoAugment(_AutoAugmentBase):
    """v1's learned policies with v2's draws: the sub-policy, then per operation
    ``rand() <= p`` and, for a signed one, ``rand() <= 0.5`` to negate."""

    def __init__(
        self, policy=AA.AutoAugmentPolicy.IMAGENET, interpolation="nearest", fill=None
    ) -> None:
        super().__init__(interpolation=interpolation, fill=fill)
        self.policy = policy
        self._policies = AA.AutoAugment._get_policies(policy)

    def __call__(self, *inputs):
        leaves, rebuild, index, image = self._one_image(inputs)
        height, width = self._size(image)
        space = _solarize_unit(
            {**AA._policy_space(10, (height, width)), "Invert": (AA._none(), False)}, 10
        )
        for op_name, probability, magnitude_id in self._policies[_draw_index(len(self._policies))]:
            if not _draw_at_most(probability):
                continue
            magnitudes, signed = space[op_name]
            magnitude = 0.0
            if magnitudes.ndim > 0:
                magnitude = float(magnitudes[magnitude_id].item())
                if signed and _draw_at_most(0.5):
                    magnitude *= -1
            image = self._apply(image, op_name, magnitude)
        leaves[index] = image
        return rebuild(leaves)


class RandAugment(_AutoAugmentBase):
    """``num_ops`` operations drawn uniformly at the one ``magnitude`` bin (v2's draws)."""

    def __init__(
        self, num_ops=2, magnitude=9, num_magnitude_bins=31, interpolation="nearest", fill=None
    ) -> None:
        super().__init__(interpolation=interpolation, fill=fill)
        if not isinstance(num_ops, int) or num_ops < 0:
            raise ValueError(
                f"num_ops should be a non-negative integer, but got {num_ops} instead."
            )
        self.num_ops = num_ops
        self.magnitude = magnitude
        self.num_magnitude_bins = num_magnitude_bins

    def __call__(self, *inputs):
        leaves, rebuild, index, image = self._one_image(inputs)
        height, width = self._size(image)
        bins = self.num_magnitude_bins
        space = _solarize_unit(
            {"Identity": (AA._none(), False), **AA._policy_space(bins, (height, width))}, bins
        )
        for _ in range(self.num_ops):
            op_name = list(space)[_draw_index(len(space))]
            magnitudes, signed = space[op_name]
            magnitude = 0.0
            if magnitudes.ndim > 0:
                magnitude = float(magnitudes[self.magnitude].item())
                if signed and _draw_at_most(0.5):
                    magnitude *= -1
            image = self._apply(image, op_name, magnitude)
        leaves[index] = image
        return rebuild(leaves)


class TrivialAugmentWide(_AutoAugmentBase):
    """One operation drawn uniformly, at a bin drawn uniformly (v2's draws)."""

    def __init__(self, num_magnitude_bins=31, interpolation="nearest", fill=None) -> None:
        super().__init__(interpolation=interpolation, fill=fill)
        self.num_magnitude_bins = num_magnitude_bins

    def __call__(self, *inputs):
        leaves, rebuild, index, image = self._one_image(inputs)
        bins = self.num_magnitude_bins
        space = _solarize_unit(AA._trivial_space(bins), bins)
        op_name = list(space)[_draw_index(len(space))]
        magnitudes, signed = space[op_name]
        magnitude = 0.0
        if magnitudes.ndim > 0:
            magnitude = float(magnitudes[_draw_index(bins)].item())
            if signed and _draw_at_most(0.5):
                magnitude *= -1
        leaves[index] = self._apply(image, op_name, magnitude)
        return rebuild(leaves)


class AugMix(_AutoAugmentBase):
    """v1's AugMix (the same Dirichlet weights and float32 mixing) with v2's draws."""

    _PARAMETER_MAX = 10

    def __init__(
        self,
        severity=3,
        mixture_width=3,
        chain_depth=-1,
        alpha=1.0,
        all_ops=True,
        interpolation="bilinear",
        fill=None,
    ) -> None:
        super().__init__(interpolation=interpolation, fill=fill)
        if not (1 <= severity <= self._PARAMETER_MAX):
            raise ValueError(
                f"The severity must be between [1, {self._PARAMETER_MAX}]. Got {severity} instead."
            )
        self.severity = severity
        self.mixture_width = mixture_width
        self.chain_depth = chain_depth
        self.alpha = alpha
        self.all_ops = all_ops

    def __call__(self, *inputs):
        leaves, rebuild, index, orig = self._one_image(inputs)
        height, width = self._size(orig)
        image = orig if isinstance(orig, Tensor) else v1.pil_to_tensor(orig)
        space = _solarize_unit(
            AA._augmix_space(self._PARAMETER_MAX, (height, width), self.all_ops),
            self._PARAMETER_MAX,
        )
        orig_dims = list(image.shape)
        batch = image.reshape([1] * max(4 - image.ndim, 0) + orig_dims)
        rows = batch.shape[0]
        batch_dims = [rows] + [1] * (batch.ndim - 1)
        m = AA._dirichlet(self.alpha, rows, 2)
        weights = AA._dirichlet(self.alpha, rows, self.mixture_width) * m[:, 1].reshape(rows, -1)
        mix = m[:, 0].reshape(batch_dims) * batch
        for i in range(self.mixture_width):
            aug = batch
            depth = self.chain_depth
            if depth <= 0:
                depth = int(randint(1, 4, size=(1,)).item())
            for _ in range(depth):
                op_name = list(space)[_draw_index(len(space))]
                magnitudes, signed = space[op_name]
                magnitude = 0.0
                if magnitudes.ndim > 0:
                    magnitude = float(magnitudes[_draw_index(self.severity)].item())
                    if signed and _draw_at_most(0.5):
                        magnitude *= -1
                aug = self._apply(aug, op_name, magnitude)
            mix.add_(weights[:, i].reshape(batch_dims) * aug)
        mix = mix.reshape(orig_dims).to(image.dtype)
        leaves[index] = mix if isinstance(orig, Tensor) else v1.to_pil_image(mix)
        return rebuild(leaves)


AutoAugmentPolicy = AA.AutoAugmentPolicy
__all__ += ["AugMix", "AutoAugment", "AutoAugmentPolicy", "RandAugment", "TrivialAugmentWide"]


# ---------------------------------------------------------------------------------------------
# Detection-style photometric and geometric transforms (parameters drawn once per call)
# ---------------------------------------------------------------------------------------------

from gradiente.tensor import empty  # noqa: E402
from gradiente.vision import functional_v2 as F2  # noqa: E402 - it builds on the kernels above


def _below(p: float) -> bool:
    """v2's ``torch.rand(1) < p`` (p rounded to float32, as torch compares)."""
    return float(rand(1).item()) < float(xp.float32(p))


def _float32_affine(start: float, width: float, u: float) -> float:
    """``start + u · width`` as torch computes ``start + torch.rand(1) * width`` in float32."""
    f32 = xp.float32
    return float(f32(start) + f32(u) * f32(width))


class _ParamsTransform(Transform):
    """A v2 transform that draws its parameters once per call (``_make_params``) and applies
    them to every image (``_transform``), as v2's ``make_params`` / ``transform``."""

    def __call__(self, *inputs):
        inputs = inputs if len(inputs) > 1 else inputs[0]
        leaves, rebuild = _flatten(inputs)
        flags = _image_flags(leaves)
        images = [x for x, flag in zip(leaves, flags, strict=True) if flag]
        if not images:
            return inputs
        params = self._make_params(images)
        out = [
            self._transform(x, params) if flag else x for x, flag in zip(leaves, flags, strict=True)
        ]
        return rebuild(out)

    def _make_params(self, images) -> dict:
        return {}


class RandomPhotometricDistort(_ParamsTransform):
    """SSD's colour distortion: each of brightness, contrast, saturation, hue with probability
    ``p`` (a factor drawn uniformly from its range), contrast before or after the others (a fair
    coin), and with probability ``p`` a random permutation of the channels."""

    def __init__(
        self,
        brightness=(0.875, 1.125),
        contrast=(0.5, 1.5),
        saturation=(0.5, 1.5),
        hue=(-0.05, 0.05),
        p: float = 0.5,
    ) -> None:
        self.brightness = brightness
        self.contrast = contrast
        self.saturation = saturation
        self.hue = hue
        self.p = p

    def _make_params(self, images) -> dict:
        channels = P.get_dimensions(images[0])[0]
        params = {}
        for key, (low, high) in [
            ("brightness", self.brightness),
            ("contrast", self.contrast),
            ("saturation", self.saturation),
            ("hue", self.hue),
        ]:
            params[key] = float(empty(1).uniform_(low, high).item()) if _below(self.p) else None
        params["contrast_before"] = float(rand(()).item()) < 0.5
        params["permutation"] = randperm(channels).tolist() if _below(self.p) else None
        return params

    def _transform(self, img, params):
        if params["brightness"] is not None:
            img = F2.adjust_brightness(img, params["brightness"])
        if params["contrast"] is not None and params["contrast_before"]:
            img = F2.adjust_contrast(img, params["contrast"])
        if params["saturation"] is not None:
            img = F2.adjust_saturation(img, params["saturation"])
        if params["hue"] is not None:
            img = F2.adjust_hue(img, params["hue"])
        if params["contrast"] is not None and not params["contrast_before"]:
            img = F2.adjust_contrast(img, params["contrast"])
        if params["permutation"] is not None:
            img = F2.permute_channels(img, params["permutation"])
        return img

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(brightness={self.brightness}, contrast={self.contrast}, "
            f"saturation={self.saturation}, hue={self.hue}, p={self.p})"
        )


class RandomChannelPermutation(_ParamsTransform):
    """The channels in the order of a ``randperm``."""

    def _make_params(self, images) -> dict:
        return {"permutation": randperm(P.get_dimensions(images[0])[0]).tolist()}

    def _transform(self, img, params):
        return F2.permute_channels(img, params["permutation"])

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class GaussianNoise(_ParamsTransform):
    """Add N(mean, σ²) noise (``randn_like``, fresh for each image), clipped to the range."""

    def __init__(self, mean: float = 0.0, sigma: float = 0.1, clip: bool = True) -> None:
        self.mean = mean
        self.sigma = sigma
        self.clip = clip

    def _transform(self, img, params):
        return F2.gaussian_noise(img, self.mean, self.sigma, self.clip)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(mean={self.mean}, sigma={self.sigma}, clip={self.clip})"


class ScaleJitter(_ParamsTransform):
    """Resize to a random scale of the size that fits ``target_size`` (w, h): scale ~
    U(scale_range), the output ``int(side · r)`` with r = min(target_w / h, target_h / w) · s
    (torchvision's formula, its float32 arithmetic)."""

    def __init__(
        self, target_size, scale_range=(0.1, 2.0), interpolation="bilinear", antialias=True
    ) -> None:
        self.target_size = target_size
        self.scale_range = scale_range
        self.interpolation = interpolation
        self.antialias = antialias

    def _make_params(self, images) -> dict:
        _, height, width = P.get_dimensions(images[0])
        low, high = self.scale_range
        scale = _float32_affine(low, high - low, float(rand(1).item()))
        fit = min(self.target_size[1] / height, self.target_size[0] / width)
        r = xp.float32(fit) * xp.float32(scale)
        return {"size": (int(xp.float32(height) * r), int(xp.float32(width) * r))}

    def _transform(self, img, params):
        return F2.resize(img, list(params["size"]), self.interpolation, antialias=self.antialias)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(target_size={self.target_size}, "
            f"scale_range={self.scale_range}, interpolation={self.interpolation})"
        )


class RandomZoomOut(_ParamsTransform):
    """With probability ``p``, place the image on a canvas ``r`` times larger (r ~
    U(side_range)) at a random position, the rest filled with ``fill`` (SSD's "expand")."""

    def __init__(self, fill=0, side_range=(1.0, 4.0), p: float = 0.5) -> None:
        if not (0.0 <= p <= 1.0):
            raise ValueError("`p` should be a floating point value in the interval [0.0, 1.0].")
        if len(side_range) != 2:
            raise ValueError(f"side_range should be a sequence of length 2. Got {len(side_range)}")
        if side_range[0] < 1.0 or side_range[0] > side_range[1]:
            raise ValueError(f"Invalid side range provided {side_range}.")
        self.fill = fill
        self.side_range = side_range
        self.p = p

    def __call__(self, *inputs):
        if float(rand(1).item()) >= float(xp.float32(self.p)):  # v2's _RandomApplyTransform
            return inputs if len(inputs) > 1 else inputs[0]
        return super().__call__(*inputs)

    def _make_params(self, images) -> dict:
        _, height, width = P.get_dimensions(images[0])
        low, high = self.side_range
        r = xp.float32(_float32_affine(low, high - low, float(rand(1).item())))
        canvas_w, canvas_h = int(xp.float32(width) * r), int(xp.float32(height) * r)
        u = rand(2)._data
        left = int(xp.float32(canvas_w - width) * u[0])
        top = int(xp.float32(canvas_h - height) * u[1])
        return {"padding": [left, top, canvas_w - (left + width), canvas_h - (top + height)]}

    def _transform(self, img, params):
        fill = self.fill
        if isinstance(fill, dict):
            fill = fill.get(type(img), fill.get("others", 0))
        return F2.pad(img, params["padding"], fill=fill)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(fill={self.fill}, side_range={self.side_range}, p={self.p})"


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
)
GaussianBlur = _v2(
    "GaussianBlur",
    type("GaussianBlur", (PT.GaussianBlur,), {"__call__": _blur_v2}),
    "Gaussian blur, σ drawn in (min, max).",
)
RandomPosterize = _v2(
    "RandomPosterize", _with_op(PT.RandomPosterize, F2.posterize), "Keep the high bits, prob. p."
)
RandomAdjustSharpness = _v2(
    "RandomAdjustSharpness",
    _with_op(PT.RandomAdjustSharpness, F2.adjust_sharpness),
    "Sharpen/smooth with probability p.",
)
RandomEqualize = _v2(
    "RandomEqualize", _with_op(PT.RandomEqualize, F2.equalize), "Equalise histograms, prob. p."
)

__all__ += [
    "GaussianNoise",
    "RandomChannelPermutation",
    "RandomPhotometricDistort",
    "RandomZoomOut",
    "ScaleJitter",
]
