"""SqueezeNet (Iandola et al., 2016) with torchvision's tree: ``squeezenet1_0``, ``squeezenet1_1``.

AlexNet's accuracy with 50× fewer parameters, from Fire modules: a 1×1 "squeeze" convolution
to few channels, then 1×1 and 3×3 "expand" convolutions side by side, concatenated. No linear
layer: a final 1×1 convolution gives one channel per class, averaged over the image.
"""

from __future__ import annotations

from gradiente import nn
from gradiente.tensor import Tensor, cat
from gradiente.vision.models._utils import check_weights

__all__ = ["Fire", "SqueezeNet", "squeezenet1_0", "squeezenet1_1"]


class Fire(nn.Module):
    """``cat([relu(expand1x1(s)), relu(expand3x3(s))], dim=1)`` with ``s = relu(squeeze(x))``."""

    def __init__(
        self, inplanes: int, squeeze_planes: int, expand1x1_planes: int, expand3x3_planes: int
    ) -> None:
        super().__init__()
        self.inplanes = inplanes
        self.squeeze = nn.Conv2d(inplanes, squeeze_planes, kernel_size=1)
        self.squeeze_activation = nn.ReLU(inplace=True)
        self.expand1x1 = nn.Conv2d(squeeze_planes, expand1x1_planes, kernel_size=1)
        self.expand1x1_activation = nn.ReLU(inplace=True)
        self.expand3x3 = nn.Conv2d(squeeze_planes, expand3x3_planes, kernel_size=3, padding=1)
        self.expand3x3_activation = nn.ReLU(inplace=True)

    def forward(self, x: Tensor) -> Tensor:
        x = self.squeeze_activation(self.squeeze(x))
        e1 = self.expand1x1_activation(self.expand1x1(x))
        e3 = self.expand3x3_activation(self.expand3x3(x))
        return cat([e1, e3], 1)


# Both versions have the same eight Fire modules; Fire i squeezes to s channels and expands to
# 4s (1×1) + 4s (3×3), so the next one takes 8s channels.
_SQUEEZE_PLANES = (16, 16, 32, 32, 48, 48, 64, 64)

# What the versions change: the stem convolution's (output channels, kernel size), and which Fire
# modules (0-based) come after a 3×3/2 ceil-mode max-pool. Version 1.0: a 7×7/2 stem with 96
# channels, pools after the stem, Fire 3 and Fire 7 (torchvision's 1-based "Fire 4" and "Fire 8");
# version 1.1: a 3×3/2 stem with 64 channels and earlier pools (2.4× less computation).
_VERSIONS = {
    "1_0": ((96, 7), (0, 3, 7)),
    "1_1": ((64, 3), (0, 2, 4)),
}


def _features(version: str) -> nn.Sequential:
    """The ``features`` stack of a version: stem convolution, ReLU, the Fire modules and pools."""
    (stem_channels, stem_kernel), pools_before = _VERSIONS[version]
    layers = [nn.Conv2d(3, stem_channels, kernel_size=stem_kernel, stride=2), nn.ReLU(inplace=True)]
    channels = stem_channels
    for i, squeeze in enumerate(_SQUEEZE_PLANES):
        if i in pools_before:
            layers.append(nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True))
        layers.append(Fire(channels, squeeze, 4 * squeeze, 4 * squeeze))
        channels = 8 * squeeze
    return nn.Sequential(*layers)


class SqueezeNet(nn.Module):
    """``features`` (Fire modules and ceil-mode max-pools), then ``classifier``: Dropout,
    the final 1×1 convolution to ``num_classes`` channels, ReLU, global average pool.

    Initialisation as torchvision's: the final convolution N(0, 0.01²), the others
    ``kaiming_uniform_`` (its defaults: a = 0, fan_in), every bias 0.
    """

    def __init__(self, version: str = "1_0", num_classes: int = 1000, dropout: float = 0.5):
        super().__init__()
        self.num_classes = num_classes
        if version not in _VERSIONS:
            raise ValueError(f"Unsupported SqueezeNet version {version}: 1_0 or 1_1 expected")
        self.features = _features(version)
        final_conv = nn.Conv2d(512, self.num_classes, kernel_size=1)
        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout), final_conv, nn.ReLU(inplace=True), nn.AdaptiveAvgPool2d((1, 1))
        )
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                if m is final_conv:
                    nn.init.normal_(m.weight, mean=0.0, std=0.01)
                else:
                    nn.init.kaiming_uniform_(m.weight)
                if m.bias is not None:
                    nn.init.constant_(m.bias, 0)

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.features(x)).flatten(1)


def squeezenet1_0(*, weights=None, progress: bool = True, **kwargs) -> SqueezeNet:
    """SqueezeNet 1.0 (input at least 21×21), 1.25 M parameters for 1000 classes."""
    check_weights(weights, "squeezenet1_0", kwargs)
    return SqueezeNet("1_0", **kwargs)


def squeezenet1_1(*, weights=None, progress: bool = True, **kwargs) -> SqueezeNet:
    """SqueezeNet 1.1 (input at least 17×17), 1.24 M parameters, 2.4× less computation."""
    check_weights(weights, "squeezenet1_1", kwargs)
    return SqueezeNet("1_1", **kwargs)
