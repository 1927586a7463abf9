"""torchvision's v2 batch transforms ``CutMix`` and ``MixUp`` (re-exported by
``transforms_v2``).

Both draw their mixing weight λ ~ Beta(α, α) with torch's own Dirichlet sampler (Marsaglia–Tsang
gamma draws on the default generator), so λ is the same number torch draws.
"""

from __future__ import annotations

import math

from gradiente.backend import xp
from gradiente.nn import functional as NF
from gradiente.random import _canonical, _normal_scalar_path
from gradiente.random.generator import _gen
from gradiente.tensor import Tensor, randint
from gradiente.vision import tv_tensors as tvt
from gradiente.vision.v2_core import (
    Transform,
    _flatten,
    _is_pil_like,
    _needs_transform_list,
    _unwrapped,
)


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
        self._labels_getter = labels_getter

    def _labels(self, inputs):
        if self._labels_getter != "default":
            return self._labels_getter(inputs)
        if isinstance(inputs, (tuple, list)) and len(inputs) >= 2:
            return inputs[1]
        if isinstance(inputs, dict):
            for key in inputs:
                if str(key).lower() == "labels":
                    return inputs[key]
        raise ValueError("Could not infer where the labels are in the sample.")

    def forward(self, *inputs):
        inputs = inputs if len(inputs) > 1 else inputs[0]
        leaves, rebuild = _flatten(inputs)
        if any(_is_pil_like(x) or isinstance(x, (tvt.Mask, tvt.BoundingBoxes)) for x in leaves):
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
        flags = _needs_transform_list(leaves)
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
                x = _unwrapped(self._mix_images, x, params)
            out.append(x)
        return rebuild(out)

    def _mix_labels(self, label: Tensor, lam: float) -> Tensor:
        """``λ · y + (1 − λ) · y rolled by one``, on one-hot labels."""
        if label.ndim == 1:
            label = NF.one_hot(label, num_classes=self.num_classes)
        if not label.is_floating_point():
            label = label.float()
        return label.roll(1, 0).mul_(1.0 - lam).add_(label.mul(lam))


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
