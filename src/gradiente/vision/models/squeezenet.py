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


def _features_1_0() -> nn.Sequential:
    # version 1.0: a 7×7/2 stem with 96 channels, pools after the stem, Fire 3 and Fire 7
    return nn.Sequential(
        nn.Conv2d(3, 96, kernel_size=7, stride=2),
        nn.ReLU(inplace=True),
        nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True),
        Fire(96, 16, 64, 64),
        Fire(128, 16, 64, 64),
        Fire(128, 32, 128, 128),
        nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True),
        Fire(256, 32, 128, 128),
        Fire(256, 48, 192, 192),
        Fire(384, 48, 192, 192),
        Fire(384, 64, 256, 256),
        nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True),
        Fire(512, 64, 256, 256),
    )


def _features_1_1() -> nn.Sequential:
    # version 1.1: a 3×3/2 stem with 64 channels and earlier pools (2.4× less computation)
    return nn.Sequential(
        nn.Conv2d(3, 64, kernel_size=3, stride=2),
        nn.ReLU(inplace=True),
        nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True),
        Fire(64, 16, 64, 64),
        Fire(128, 16, 64, 64),
        nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True),
        Fire(128, 32, 128, 128),
        Fire(256, 32, 128, 128),
        nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True),
        Fire(256, 48, 192, 192),
        Fire(384, 48, 192, 192),
        Fire(384, 64, 256, 256),
        Fire(512, 64, 256, 256),
    )


class SqueezeNet(nn.Module):
    """``features`` (Fire modules and ceil-mode max-pools), then ``classifier``: Dropout,
    the final 1×1 convolution to ``num_classes`` channels, ReLU, global average pool.

    Initialisation as torchvision's: the final convolution N(0, 0.01²), the others
    ``kaiming_uniform_`` (its defaults: a = 0, fan_in), every bias 0.
    """

    def __init__(self, version: str = "1_0", num_classes: int = 1000, dropout: float = 0.5):
        super().__init__()
        self.num_classes = num_classes
        if version == "1_0":
            self.features = _features_1_0()
        elif version == "1_1":
            self.features = _features_1_1()
        else:
            raise ValueError(f"Unsupported SqueezeNet version {version}: 1_0 or 1_1 expected")
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
    check_weights(weights, "squeezenet1_0")
    return SqueezeNet("1_0", **kwargs)


def squeezenet1_1(*, weights=None, progress: bool = True, **kwargs) -> SqueezeNet:
    """SqueezeNet 1.1 (input at least 17×17), 1.24 M parameters, 2.4× less computation."""
    check_weights(weights, "squeezenet1_1")
    return SqueezeNet("1_1", **kwargs)
