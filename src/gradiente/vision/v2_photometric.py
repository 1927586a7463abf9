"""torchvision's detection-style v2 transforms that draw their parameters once per call
(re-exported by ``transforms_v2``): ``RandomPhotometricDistort``, ``RandomChannelPermutation``,
``GaussianNoise`` (colour: masks and boxes pass through), ``ScaleJitter`` and ``RandomZoomOut``
(geometric: gradiente does not move boxes and masks through them yet, so they refuse them)."""

from __future__ import annotations

from gradiente.backend import xp
from gradiente.tensor import empty, rand, randperm
from gradiente.vision import functional_v2 as F2
from gradiente.vision import photometric as P
from gradiente.vision.v2_core import Transform, _is_image_or_video, _unwrapped


def _below(p: float) -> bool:
    """v2's ``torch.rand(1) < p`` (p rounded to float32, as torch compares)."""
    return float(rand(1).item()) < float(xp.float32(p))


def _float32_affine(start: float, width: float, u: float) -> float:
    """``start + u · width`` as torch computes ``start + torch.rand(1) * width`` in float32."""
    f32 = xp.float32
    return float(f32(start) + f32(u) * f32(width))


class _ParamsTransform(Transform):
    """A v2 transform that draws its parameters from the images once per call
    (``_make_params``) and applies them to every image (``_transform``); masks and boxes pass
    through a colour transform and are refused by a geometric one (``_geometric``)."""

    def make_params(self, flat_inputs) -> dict:
        images = [x for x in flat_inputs if _is_image_or_video(x)]
        return self._make_params(images) if images else {}

    def transform(self, inpt, params):
        if not _is_image_or_video(inpt):
            return Transform.transform(self, inpt, params)
        return _unwrapped(self._transform, inpt, params)

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
        self.hue = hue  # torchvision's order (it shows in repr)
        self.saturation = saturation
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


class RandomChannelPermutation(_ParamsTransform):
    """The channels in the order of a ``randperm``."""

    def _make_params(self, images) -> dict:
        return {"permutation": randperm(P.get_dimensions(images[0])[0]).tolist()}

    def _transform(self, img, params):
        return F2.permute_channels(img, params["permutation"])


class GaussianNoise(_ParamsTransform):
    """Add N(mean, σ²) noise (``randn_like``, fresh for each image), clipped to the range."""

    def __init__(self, mean: float = 0.0, sigma: float = 0.1, clip: bool = True) -> None:
        self.mean = mean
        self.sigma = sigma
        self.clip = clip

    def _transform(self, img, params):
        return F2.gaussian_noise(img, self.mean, self.sigma, self.clip)


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

    _geometric = True  # the boxes would move: refused

    def _make_params(self, images) -> dict:
        _, height, width = P.get_dimensions(images[0])
        low, high = self.scale_range
        scale = _float32_affine(low, high - low, float(rand(1).item()))
        fit = min(self.target_size[1] / height, self.target_size[0] / width)
        r = xp.float32(fit) * xp.float32(scale)
        return {"size": (int(xp.float32(height) * r), int(xp.float32(width) * r))}

    def _transform(self, img, params):
        return F2.resize(img, list(params["size"]), self.interpolation, antialias=self.antialias)


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
        self.p = p
        self.fill = fill
        self.side_range = side_range

    _geometric = True  # the boxes would move: refused

    def forward(self, *inputs):
        if float(rand(1).item()) >= float(xp.float32(self.p)):  # v2's _RandomApplyTransform
            return inputs if len(inputs) > 1 else inputs[0]
        return super().forward(*inputs)

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
