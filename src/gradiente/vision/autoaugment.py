"""torchvision's learned and random augmentation policies (``torchvision.transforms.autoaugment``):
``AutoAugment`` (Cubuk et al. 2019; the ImageNet, CIFAR-10 and SVHN policies), ``RandAugment``
(Cubuk et al. 2020), ``TrivialAugmentWide`` (Müller & Hutter 2021) and ``AugMix`` (Hendrycks et
al. 2020).

Each draws a few operations from a fixed *augmentation space* — shears, translations, a
rotation, colour enhancements, posterisation, solarisation, histogram tricks — each with a
magnitude picked from ``num_bins`` evenly spaced values (``linspace``), and applies them with the
ops of ``gradiente.vision.geometry`` and ``gradiente.vision.photometric``. The draws are
torchvision's, in its order, on the default generator (``randint``, ``rand``, and for AugMix
torch's Dirichlet sampler), so after the same ``manual_seed`` gradiente and torchvision pick the
same operations and magnitudes. The images are uint8 tensors (..., 1 or 3, H, W) or PIL images.
"""

from __future__ import annotations

import math
from enum import Enum

from gradiente.backend import xp
from gradiente.distributions.gamma_sampling import sample_dirichlet
from gradiente.tensor import Tensor, arange, linspace, rand, randint, tensor
from gradiente.transforms import InterpolationMode, pil_to_tensor, to_pil_image
from gradiente.vision import geometry as G
from gradiente.vision import photometric as P

__all__ = ["AugMix", "AutoAugment", "AutoAugmentPolicy", "RandAugment", "TrivialAugmentWide"]


# ---------------------------------------------------------------------------------------------
# The operations
# ---------------------------------------------------------------------------------------------


def _apply_op(img, op_name: str, magnitude: float, interpolation, fill):
    """One operation of the augmentation space at ``magnitude`` (torchvision's ``_apply_op``).

    A shear by m is ``affine`` with shear angle atan(m) about the top-left corner; a translation
    moves by ``int(m)`` pixels; the colour enhancements blend with factor 1 + m.
    """
    if op_name == "ShearX":
        shear = [math.degrees(math.atan(magnitude)), 0.0]
        return G.affine(img, 0.0, [0, 0], 1.0, shear, interpolation, fill, center=[0, 0])
    if op_name == "ShearY":
        shear = [0.0, math.degrees(math.atan(magnitude))]
        return G.affine(img, 0.0, [0, 0], 1.0, shear, interpolation, fill, center=[0, 0])
    if op_name == "TranslateX":
        return G.affine(img, 0.0, [int(magnitude), 0], 1.0, [0.0, 0.0], interpolation, fill)
    if op_name == "TranslateY":
        return G.affine(img, 0.0, [0, int(magnitude)], 1.0, [0.0, 0.0], interpolation, fill)
    if op_name == "Rotate":
        return G.rotate(img, magnitude, interpolation=interpolation, fill=fill)
    if op_name == "Brightness":
        return P.adjust_brightness(img, 1.0 + magnitude)
    if op_name == "Color":
        return P.adjust_saturation(img, 1.0 + magnitude)
    if op_name == "Contrast":
        return P.adjust_contrast(img, 1.0 + magnitude)
    if op_name == "Sharpness":
        return P.adjust_sharpness(img, 1.0 + magnitude)
    if op_name == "Posterize":
        return P.posterize(img, int(magnitude))
    if op_name == "Solarize":
        return P.solarize(img, magnitude)
    if op_name == "AutoContrast":
        return P.autocontrast(img)
    if op_name == "Equalize":
        return P.equalize(img)
    if op_name == "Invert":
        return P.invert(img)
    if op_name == "Identity":
        return img
    raise ValueError(f"The provided operator {op_name} is not recognized.")


def _tensor_fill(fill, img, channels: int):
    """A tensor's fill as one float per channel (PIL images take ``fill`` as given)."""
    if not isinstance(img, Tensor) or fill is None:
        return fill
    if isinstance(fill, (int, float)):
        return [float(fill)] * channels
    return [float(f) for f in fill]


def _posterize_bits(num_bins: int, top: int, steps: int) -> Tensor:
    """``top − round(arange(n) / ((n − 1) / steps))`` as int32: the bits kept per bin."""
    return top - (arange(num_bins) / ((num_bins - 1) / steps)).round().int()


def _none() -> Tensor:
    """The magnitude of a parameterless operation: a 0-d tensor (``ndim == 0``)."""
    return tensor(0.0)


# ---------------------------------------------------------------------------------------------
# AutoAugment
# ---------------------------------------------------------------------------------------------


class AutoAugmentPolicy(Enum):
    """The policies learned on ImageNet, CIFAR-10 and SVHN."""

    IMAGENET = "imagenet"
    CIFAR10 = "cifar10"
    SVHN = "svhn"


# each policy: 25 sub-policies of two (operation, probability, magnitude bin) triples
_POLICIES = {
    AutoAugmentPolicy.IMAGENET: [
        (("Posterize", 0.4, 8), ("Rotate", 0.6, 9)),
        (("Solarize", 0.6, 5), ("AutoContrast", 0.6, None)),
        (("Equalize", 0.8, None), ("Equalize", 0.6, None)),
        (("Posterize", 0.6, 7), ("Posterize", 0.6, 6)),
        (("Equalize", 0.4, None), ("Solarize", 0.2, 4)),
        (("Equalize", 0.4, None), ("Rotate", 0.8, 8)),
        (("Solarize", 0.6, 3), ("Equalize", 0.6, None)),
        (("Posterize", 0.8, 5), ("Equalize", 1.0, None)),
        (("Rotate", 0.2, 3), ("Solarize", 0.6, 8)),
        (("Equalize", 0.6, None), ("Posterize", 0.4, 6)),
        (("Rotate", 0.8, 8), ("Color", 0.4, 0)),
        (("Rotate", 0.4, 9), ("Equalize", 0.6, None)),
        (("Equalize", 0.0, None), ("Equalize", 0.8, None)),
        (("Invert", 0.6, None), ("Equalize", 1.0, None)),
        (("Color", 0.6, 4), ("Contrast", 1.0, 8)),
        (("Rotate", 0.8, 8), ("Color", 1.0, 2)),
        (("Color", 0.8, 8), ("Solarize", 0.8, 7)),
        (("Sharpness", 0.4, 7), ("Invert", 0.6, None)),
        (("ShearX", 0.6, 5), ("Equalize", 1.0, None)),
        (("Color", 0.4, 0), ("Equalize", 0.6, None)),
        (("Equalize", 0.4, None), ("Solarize", 0.2, 4)),
        (("Solarize", 0.6, 5), ("AutoContrast", 0.6, None)),
        (("Invert", 0.6, None), ("Equalize", 1.0, None)),
        (("Color", 0.6, 4), ("Contrast", 1.0, 8)),
        (("Equalize", 0.8, None), ("Equalize", 0.6, None)),
    ],
    AutoAugmentPolicy.CIFAR10: [
        (("Invert", 0.1, None), ("Contrast", 0.2, 6)),
        (("Rotate", 0.7, 2), ("TranslateX", 0.3, 9)),
        (("Sharpness", 0.8, 1), ("Sharpness", 0.9, 3)),
        (("ShearY", 0.5, 8), ("TranslateY", 0.7, 9)),
        (("AutoContrast", 0.5, None), ("Equalize", 0.9, None)),
        (("ShearY", 0.2, 7), ("Posterize", 0.3, 7)),
        (("Color", 0.4, 3), ("Brightness", 0.6, 7)),
        (("Sharpness", 0.3, 9), ("Brightness", 0.7, 9)),
        (("Equalize", 0.6, None), ("Equalize", 0.5, None)),
        (("Contrast", 0.6, 7), ("Sharpness", 0.6, 5)),
        (("Color", 0.7, 7), ("TranslateX", 0.5, 8)),
        (("Equalize", 0.3, None), ("AutoContrast", 0.4, None)),
        (("TranslateY", 0.4, 3), ("Sharpness", 0.2, 6)),
        (("Brightness", 0.9, 6), ("Color", 0.2, 8)),
        (("Solarize", 0.5, 2), ("Invert", 0.0, None)),
        (("Equalize", 0.2, None), ("AutoContrast", 0.6, None)),
        (("Equalize", 0.2, None), ("Equalize", 0.6, None)),
        (("Color", 0.9, 9), ("Equalize", 0.6, None)),
        (("AutoContrast", 0.8, None), ("Solarize", 0.2, 8)),
        (("Brightness", 0.1, 3), ("Color", 0.7, 0)),
        (("Solarize", 0.4, 5), ("AutoContrast", 0.9, None)),
        (("TranslateY", 0.9, 9), ("TranslateY", 0.7, 9)),
        (("AutoContrast", 0.9, None), ("Solarize", 0.8, 3)),
        (("Equalize", 0.8, None), ("Invert", 0.1, None)),
        (("TranslateY", 0.7, 9), ("AutoContrast", 0.9, None)),
    ],
    AutoAugmentPolicy.SVHN: [
        (("ShearX", 0.9, 4), ("Invert", 0.2, None)),
        (("ShearY", 0.9, 8), ("Invert", 0.7, None)),
        (("Equalize", 0.6, None), ("Solarize", 0.6, 6)),
        (("Invert", 0.9, None), ("Equalize", 0.6, None)),
        (("Equalize", 0.6, None), ("Rotate", 0.9, 3)),
        (("ShearX", 0.9, 4), ("AutoContrast", 0.8, None)),
        (("ShearY", 0.9, 8), ("Invert", 0.4, None)),
        (("ShearY", 0.9, 5), ("Solarize", 0.2, 6)),
        (("Invert", 0.9, None), ("AutoContrast", 0.8, None)),
        (("Equalize", 0.6, None), ("Rotate", 0.9, 3)),
        (("ShearX", 0.9, 4), ("Solarize", 0.3, 3)),
        (("ShearY", 0.8, 8), ("Invert", 0.7, None)),
        (("Equalize", 0.9, None), ("TranslateY", 0.6, 6)),
        (("Invert", 0.9, None), ("Equalize", 0.6, None)),
        (("Contrast", 0.3, 3), ("Rotate", 0.8, 4)),
        (("Invert", 0.8, None), ("TranslateY", 0.0, 2)),
        (("ShearY", 0.7, 6), ("Solarize", 0.4, 8)),
        (("Invert", 0.6, None), ("Rotate", 0.8, 4)),
        (("ShearY", 0.3, 7), ("TranslateX", 0.9, 3)),
        (("ShearX", 0.1, 6), ("Invert", 0.6, None)),
        (("Solarize", 0.7, 2), ("TranslateY", 0.6, 7)),
        (("ShearY", 0.8, 4), ("Invert", 0.8, None)),
        (("ShearX", 0.7, 9), ("TranslateY", 0.8, 3)),
        (("ShearY", 0.8, 5), ("AutoContrast", 0.7, None)),
        (("ShearX", 0.7, 2), ("Invert", 0.1, None)),
    ],
}


def _policy_space(num_bins: int, image_size: tuple[int, int]) -> dict:
    """AutoAugment's and RandAugment's magnitudes: name → (values per bin, signed)."""
    height, width = image_size
    return {
        "ShearX": (linspace(0.0, 0.3, num_bins), True),
        "ShearY": (linspace(0.0, 0.3, num_bins), True),
        "TranslateX": (linspace(0.0, 150.0 / 331.0 * width, num_bins), True),
        "TranslateY": (linspace(0.0, 150.0 / 331.0 * height, num_bins), True),
        "Rotate": (linspace(0.0, 30.0, num_bins), True),
        "Brightness": (linspace(0.0, 0.9, num_bins), True),
        "Color": (linspace(0.0, 0.9, num_bins), True),
        "Contrast": (linspace(0.0, 0.9, num_bins), True),
        "Sharpness": (linspace(0.0, 0.9, num_bins), True),
        "Posterize": (_posterize_bits(num_bins, 8, 4), False),
        "Solarize": (linspace(255.0, 0.0, num_bins), False),
        "AutoContrast": (_none(), False),
        "Equalize": (_none(), False),
    }


class AutoAugment:
    """Apply one of the 25 learned sub-policies: two operations, each with its probability.

    Draws: the sub-policy (``randint``), two uniforms (``rand(2)``: operation i runs when its
    uniform ≤ its probability) and two signs (``randint(2, (2,))``: 0 negates the magnitude).
    """

    def __init__(
        self,
        policy: AutoAugmentPolicy = AutoAugmentPolicy.IMAGENET,
        interpolation=InterpolationMode.NEAREST,
        fill=None,
    ) -> None:
        self.policy = policy
        self.interpolation = interpolation
        self.fill = fill
        self.policies = self._get_policies(policy)

    @staticmethod
    def _get_policies(policy: AutoAugmentPolicy) -> list:
        if policy not in _POLICIES:
            raise ValueError(f"The provided policy {policy} is not recognized.")
        return _POLICIES[policy]

    def _augmentation_space(self, num_bins: int, image_size: tuple[int, int]) -> dict:
        return {**_policy_space(num_bins, image_size), "Invert": (_none(), False)}

    @staticmethod
    def get_params(transform_num: int) -> tuple[int, Tensor, Tensor]:
        """(sub-policy index, two uniforms, two signs), drawn in torchvision's order."""
        policy_id = int(randint(transform_num, (1,)).item())
        probs = rand((2,))
        signs = randint(2, (2,))
        return policy_id, probs, signs

    def __call__(self, img):
        channels, height, width = G.get_dimensions(img)
        fill = _tensor_fill(self.fill, img, channels)
        transform_id, probs, signs = self.get_params(len(self.policies))
        op_meta = self._augmentation_space(10, (height, width))
        for i, (op_name, p, magnitude_id) in enumerate(self.policies[transform_id]):
            # torch compares the float32 uniform with p rounded to float32
            if float(probs[i].item()) <= float(xp.float32(p)):
                magnitudes, signed = op_meta[op_name]
                magnitude = (
                    float(magnitudes[magnitude_id].item()) if magnitude_id is not None else 0.0
                )
                if signed and int(signs[i].item()) == 0:
                    magnitude *= -1.0
                img = _apply_op(img, op_name, magnitude, self.interpolation, fill)
        return img

    forward = __call__

    def __repr__(self) -> str:
        return f"{type(self).__name__}(policy={self.policy}, fill={self.fill})"


# ---------------------------------------------------------------------------------------------
# RandAugment and TrivialAugmentWide
# ---------------------------------------------------------------------------------------------


class RandAugment:
    """Apply ``num_ops`` operations drawn uniformly, all at the one ``magnitude`` bin.

    Draws per operation: its index (``randint``), then for a signed one a sign (``randint(2)``:
    1 negates).
    """

    def __init__(
        self,
        num_ops: int = 2,
        magnitude: int = 9,
        num_magnitude_bins: int = 31,
        interpolation=InterpolationMode.NEAREST,
        fill=None,
    ) -> None:
        self.num_ops = num_ops
        self.magnitude = magnitude
        self.num_magnitude_bins = num_magnitude_bins
        self.interpolation = interpolation
        self.fill = fill

    def _augmentation_space(self, num_bins: int, image_size: tuple[int, int]) -> dict:
        return {"Identity": (_none(), False), **_policy_space(num_bins, image_size)}

    def __call__(self, img):
        channels, height, width = G.get_dimensions(img)
        fill = _tensor_fill(self.fill, img, channels)
        op_meta = self._augmentation_space(self.num_magnitude_bins, (height, width))
        for _ in range(self.num_ops):
            op_index = int(randint(len(op_meta), (1,)).item())
            op_name = list(op_meta)[op_index]
            magnitudes, signed = op_meta[op_name]
            magnitude = float(magnitudes[self.magnitude].item()) if magnitudes.ndim > 0 else 0.0
            if signed and bool(randint(2, (1,)).item()):
                magnitude *= -1.0
            img = _apply_op(img, op_name, magnitude, self.interpolation, fill)
        return img

    forward = __call__

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(num_ops={self.num_ops}, magnitude={self.magnitude}, "
            f"num_magnitude_bins={self.num_magnitude_bins}, "
            f"interpolation={self.interpolation}, fill={self.fill})"
        )


def _trivial_space(num_bins: int) -> dict:
    """TrivialAugmentWide's wider magnitudes."""
    return {
        "Identity": (_none(), False),
        "ShearX": (linspace(0.0, 0.99, num_bins), True),
        "ShearY": (linspace(0.0, 0.99, num_bins), True),
        "TranslateX": (linspace(0.0, 32.0, num_bins), True),
        "TranslateY": (linspace(0.0, 32.0, num_bins), True),
        "Rotate": (linspace(0.0, 135.0, num_bins), True),
        "Brightness": (linspace(0.0, 0.99, num_bins), True),
        "Color": (linspace(0.0, 0.99, num_bins), True),
        "Contrast": (linspace(0.0, 0.99, num_bins), True),
        "Sharpness": (linspace(0.0, 0.99, num_bins), True),
        "Posterize": (_posterize_bits(num_bins, 8, 6), False),
        "Solarize": (linspace(255.0, 0.0, num_bins), False),
        "AutoContrast": (_none(), False),
        "Equalize": (_none(), False),
    }


class TrivialAugmentWide:
    """Apply one operation, drawn uniformly, at a magnitude bin drawn uniformly.

    Draws: the operation (``randint``), its bin (``randint``), a sign for a signed one.
    """

    def __init__(
        self, num_magnitude_bins: int = 31, interpolation=InterpolationMode.NEAREST, fill=None
    ) -> None:
        self.num_magnitude_bins = num_magnitude_bins
        self.interpolation = interpolation
        self.fill = fill

    def _augmentation_space(self, num_bins: int) -> dict:
        return _trivial_space(num_bins)

    def __call__(self, img):
        channels, _, _ = G.get_dimensions(img)
        fill = _tensor_fill(self.fill, img, channels)
        op_meta = self._augmentation_space(self.num_magnitude_bins)
        op_index = int(randint(len(op_meta), (1,)).item())
        op_name = list(op_meta)[op_index]
        magnitudes, signed = op_meta[op_name]
        magnitude = 0.0
        if magnitudes.ndim > 0:
            magnitude = float(magnitudes[int(randint(len(magnitudes), (1,)).item())].item())
        if signed and bool(randint(2, (1,)).item()):
            magnitude *= -1.0
        return _apply_op(img, op_name, magnitude, self.interpolation, fill)

    forward = __call__

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(num_magnitude_bins={self.num_magnitude_bins}, "
            f"interpolation={self.interpolation}, fill={self.fill})"
        )


# ---------------------------------------------------------------------------------------------
# AugMix
# ---------------------------------------------------------------------------------------------


def _augmix_space(num_bins: int, image_size: tuple[int, int], all_ops: bool) -> dict:
    """AugMix's operations: no colour enhancements unless ``all_ops``."""
    height, width = image_size
    space = {
        "ShearX": (linspace(0.0, 0.3, num_bins), True),
        "ShearY": (linspace(0.0, 0.3, num_bins), True),
        "TranslateX": (linspace(0.0, width / 3.0, num_bins), True),
        "TranslateY": (linspace(0.0, height / 3.0, num_bins), True),
        "Rotate": (linspace(0.0, 30.0, num_bins), True),
        "Posterize": (_posterize_bits(num_bins, 4, 4), False),
        "Solarize": (linspace(255.0, 0.0, num_bins), False),
        "AutoContrast": (_none(), False),
        "Equalize": (_none(), False),
    }
    if all_ops:
        for name in ("Brightness", "Color", "Contrast", "Sharpness"):
            space[name] = (linspace(0.0, 0.9, num_bins), True)
    return space


def _dirichlet(alpha: float, rows: int, k: int) -> Tensor:
    """``torch._sample_dirichlet`` of a (rows, k) float32 tensor filled with ``alpha``."""
    return Tensor._make(sample_dirichlet(xp.full((rows, k), alpha, dtype=xp.float32)))


class AugMix:
    """Mix the image with ``mixture_width`` chains of random operations (Hendrycks et al.):

        mix = m₀ · x + m₁ · Σ_i w_i · chain_i(x),   (m₀, m₁) ~ Dir(α, α),  w ~ Dir(α, …, α)

    computed in float32 and truncated back to uint8. Each chain has ``chain_depth`` operations
    (1 to 3, drawn, when negative), each at a magnitude bin below ``severity``.
    """

    _PARAMETER_MAX = 10

    def __init__(
        self,
        severity: int = 3,
        mixture_width: int = 3,
        chain_depth: int = -1,
        alpha: float = 1.0,
        all_ops: bool = True,
        interpolation=InterpolationMode.BILINEAR,
        fill=None,
    ) -> None:
        if not (1 <= severity <= self._PARAMETER_MAX):
            raise ValueError(
                f"The severity must be between [1, {self._PARAMETER_MAX}]. Got {severity} instead."
            )
        self.severity = severity
        self.mixture_width = mixture_width
        self.chain_depth = chain_depth
        self.alpha = alpha
        self.all_ops = all_ops
        self.interpolation = interpolation
        self.fill = fill

    def _augmentation_space(self, num_bins: int, image_size: tuple[int, int]) -> dict:
        return _augmix_space(num_bins, image_size, self.all_ops)

    def _draw_op(self, op_meta: dict, severity_draw) -> tuple[str, float]:
        """One operation of a chain and its signed magnitude."""
        op_name = list(op_meta)[int(randint(len(op_meta), (1,)).item())]
        magnitudes, signed = op_meta[op_name]
        magnitude = 0.0
        if magnitudes.ndim > 0:
            magnitude = float(magnitudes[severity_draw()].item())
        if signed and self._negative():
            magnitude *= -1.0
        return op_name, magnitude

    @staticmethod
    def _negative() -> bool:
        return bool(randint(2, (1,)).item())

    def _severity(self) -> int:
        return int(randint(self.severity, (1,)).item())

    def _depth(self) -> int:
        if self.chain_depth > 0:
            return self.chain_depth
        return int(randint(1, 4, size=(1,)).item())

    def __call__(self, orig_img):
        channels, height, width = G.get_dimensions(orig_img)
        is_tensor = isinstance(orig_img, Tensor)
        img = orig_img if is_tensor else pil_to_tensor(orig_img)
        fill = _tensor_fill(self.fill, img, channels)
        op_meta = self._augmentation_space(self._PARAMETER_MAX, (height, width))
        orig_dims = list(img.shape)
        batch = img.view([1] * max(4 - img.ndim, 0) + orig_dims)
        rows = batch.shape[0]
        batch_dims = [rows] + [1] * (batch.ndim - 1)
        m = _dirichlet(self.alpha, rows, 2)
        weights = _dirichlet(self.alpha, rows, self.mixture_width) * m[:, 1].view(rows, -1)
        mix = m[:, 0].view(batch_dims) * batch
        for i in range(self.mixture_width):
            aug = batch
            for _ in range(self._depth()):
                op_name, magnitude = self._draw_op(op_meta, self._severity)
                aug = self._apply(aug, op_name, magnitude, fill)
            mix.add_(weights[:, i].view(batch_dims) * aug)
        mix = mix.view(orig_dims).to(img.dtype)
        return mix if is_tensor else to_pil_image(mix)

    def _apply(self, img, op_name: str, magnitude: float, fill):
        return _apply_op(img, op_name, magnitude, self.interpolation, fill)

    forward = __call__

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(severity={self.severity}, "
            f"mixture_width={self.mixture_width}, chain_depth={self.chain_depth}, "
            f"alpha={self.alpha}, all_ops={self.all_ops}, interpolation={self.interpolation}, "
            f"fill={self.fill})"
        )
