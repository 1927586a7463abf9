"""torchvision's colour v2 transforms that draw their parameters once per call (re-exported by
``transforms_v2``): ``RandomPhotometricDistort``, ``RandomChannelPermutation`` and
``GaussianNoise``; masks and boxes pass through them. (The geometric ones, ``ScaleJitter`` and
``RandomZoomOut`` among them, are in ``v2_warps``.)"""

from __future__ import annotations

from gradiente.backend import xp
from gradiente.tensor import empty, rand, randperm
from gradiente.vision import functional_v2 as F2
from gradiente.vision import photometric as P
from gradiente.vision.v2_core import Transform, _is_image_or_video, _unwrapped


def _below(p: float) -> bool:
    """v2's ``torch.rand(1) < p`` (p rounded to float32, as torch compares)."""
    return float(rand(1).item()) < float(xp.float32(p))


class _ParamsTransform(Transform):
    """A v2 transform that draws its parameters from the images once per call
    (``_make_params``) and applies them to every image (``_transform``); masks and boxes pass
    through."""

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
