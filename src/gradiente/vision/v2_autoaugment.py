"""torchvision's v2 automatic augmentation policies (re-exported by ``transforms_v2``):
``AutoAugment``, ``RandAugment``, ``TrivialAugmentWide``, ``AugMix``, with v2's draws (0-d
``randint``, ``rand() <= 0.5`` for the signs) and v2's operation kernels."""

from __future__ import annotations

from gradiente import transforms as v1
from gradiente.backend import xp
from gradiente.tensor import Tensor, linspace, rand, randint
from gradiente.vision import autoaugment as AA
from gradiente.vision import photometric as P
from gradiente.vision import tv_tensors as tvt
from gradiente.vision.v2_core import (
    Transform,
    _flatten,
    _is_image_or_video,
    _needs_transform_list,
)
from gradiente.vision.v2_kernels import (
    _autocontrast_v2,
    _contrast_v2,
    _saturation_v2,
    _sharpness_v2,
)

AutoAugmentPolicy = AA.AutoAugmentPolicy


def _is_tv(x) -> bool:
    return isinstance(x, tvt.TVTensor)


def _like(original, image):
    """The augmented ``image`` in the type of the ``original`` leaf (an Image stays one)."""
    return tvt.wrap(image, like=original) if _is_tv(original) else image


def _draw_index(n: int) -> int:
    """v2's ``int(torch.randint(n, ()))``."""
    return int(randint(n, size=()).item())


def _draw_at_most(p: float) -> bool:
    """v2's ``torch.rand(()) <= p`` (p rounded to float32, as torch compares)."""
    return float(rand(()).item()) <= float(xp.float32(p))


class _AutoAugmentBase(Transform):
    """What the v2 policies share: exactly one image in the input, v2's operation kernels."""

    def __init__(self, *, interpolation="nearest", fill=None) -> None:
        self.interpolation = interpolation  # as given (repr); the mode itself:
        self._interpolation = v1._interpolation(interpolation)
        self.fill = fill

    def _one_image(self, inputs):
        """(leaves, rebuild, index of the image, the image as a plain tensor or PIL image);
        v2's errors otherwise (masks and boxes too: the policies would move them)."""
        leaves, rebuild = _flatten(inputs if len(inputs) > 1 else inputs[0])
        flags = _needs_transform_list(leaves)
        for x in leaves:
            if isinstance(x, (tvt.BoundingBoxes, tvt.Mask)):
                raise TypeError(
                    f"Inputs of type {type(x).__name__} are not supported by "
                    f"{type(self).__name__}()"
                )
        found = [i for i, x in enumerate(leaves) if flags[i] and _is_image_or_video(x)]
        if not found:
            raise TypeError("Found no image in the sample.")
        if len(found) > 1:
            raise TypeError(
                "Auto augment transformations are only properly defined for a single image or "
                f"video, but found {len(found)}."
            )
        image = leaves[found[0]]
        return leaves, rebuild, found[0], image._plain() if _is_tv(image) else image

    def _fill_for(self, image):
        fill = self.fill
        if isinstance(fill, dict):
            fill = fill.get(type(image), fill.get("others"))
        if fill is None or isinstance(fill, (int, float)):
            return fill
        return [float(v) for v in fill]

    def _apply_op(self, image, op_name: str, magnitude: float):
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
        return AA._apply_op(image, op_name, magnitude, self._interpolation, self._fill_for(image))

    def _size(self, image) -> tuple[int, int]:
        _, height, width = P.get_dimensions(image)
        return height, width


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

    def forward(self, *inputs):
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
            image = self._apply_op(image, op_name, magnitude)
        leaves[index] = _like(leaves[index], image)
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

    def forward(self, *inputs):
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
            image = self._apply_op(image, op_name, magnitude)
        leaves[index] = _like(leaves[index], image)
        return rebuild(leaves)


class TrivialAugmentWide(_AutoAugmentBase):
    """One operation drawn uniformly, at a bin drawn uniformly (v2's draws)."""

    def __init__(self, num_magnitude_bins=31, interpolation="nearest", fill=None) -> None:
        super().__init__(interpolation=interpolation, fill=fill)
        self.num_magnitude_bins = num_magnitude_bins

    def forward(self, *inputs):
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
        leaves[index] = _like(leaves[index], self._apply_op(image, op_name, magnitude))
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

    def forward(self, *inputs):
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
                aug = self._apply_op(aug, op_name, magnitude)
            mix.add_(weights[:, i].reshape(batch_dims) * aug)
        mix = mix.reshape(orig_dims).to(image.dtype)
        leaves[index] = _like(
            leaves[index], mix if isinstance(orig, Tensor) else v1.to_pil_image(mix)
        )
        return rebuild(leaves)
