"""VGG (Simonyan & Zisserman, 2014) with torchvision's module tree: ``vgg11`` … ``vgg19_bn``.

Stacks of 3×3 convolutions (padding 1, so only the 2×2 max-pools shrink the image), then
``avgpool = AdaptiveAvgPool2d((7, 7))`` and a three-layer classifier. Parameter names are
torchvision's: ``features.N`` (N counts every layer, ReLUs and pools included) and
``classifier.0/3/6``.
"""

from __future__ import annotations

from gradiente import nn
from gradiente.tensor import Tensor
from gradiente.vision.models._utils import check_weights

__all__ = [
    "VGG",
    "make_layers",
    "vgg11",
    "vgg11_bn",
    "vgg13",
    "vgg13_bn",
    "vgg16",
    "vgg16_bn",
    "vgg19",
    "vgg19_bn",
]

# Output channels of each 3×3 convolution; "M" is a 2×2 max-pool (the paper's configurations).
CFGS: dict[str, list[int | str]] = {
    "A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "B": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "D": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    "E": [
        64,
        64,
        "M",
        128,
        128,
        "M",
        256,
        256,
        256,
        256,
        "M",
        512,
        512,
        512,
        512,
        "M",
        512,
        512,
        512,
        512,
        "M",
    ],  # fmt: skip
}


def make_layers(cfg: list[int | str], batch_norm: bool = False) -> nn.Sequential:
    """The ``features`` stack: Conv2d(3×3, padding 1) [+ BatchNorm2d] + ReLU, or MaxPool2d(2)."""
    layers: list[nn.Module] = []
    in_channels = 3
    for v in cfg:
        if v == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            continue
        layers.append(nn.Conv2d(in_channels, v, kernel_size=3, padding=1))
        if batch_norm:
            layers.append(nn.BatchNorm2d(v))
        layers.append(nn.ReLU(inplace=True))
        in_channels = v
    return nn.Sequential(*layers)


class VGG(nn.Module):
    """``features`` → ``avgpool`` (7×7) → flatten → ``classifier``: Linear(25088, 4096), ReLU,
    Dropout, Linear(4096, 4096), ReLU, Dropout, Linear(4096, num_classes).

    With ``init_weights`` (the default) as torchvision: convolutions
    ``kaiming_normal_(mode="fan_out", nonlinearity="relu")`` with zero bias, BatchNorm γ = 1,
    β = 0, linear layers N(0, 0.01²) with zero bias.
    """

    def __init__(
        self,
        features: nn.Module,
        num_classes: int = 1000,
        init_weights: bool = True,
        dropout: float = 0.5,
    ) -> None:
        super().__init__()
        self.features = features
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(512 * 7 * 7, 4096),
            nn.ReLU(True),
            nn.Dropout(p=dropout),
            nn.Linear(4096, 4096),
            nn.ReLU(True),
            nn.Dropout(p=dropout),
            nn.Linear(4096, num_classes),
        )
        if init_weights:
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                    if m.bias is not None:
                        nn.init.constant_(m.bias, 0)
                elif isinstance(m, nn.BatchNorm2d):
                    nn.init.constant_(m.weight, 1)
                    nn.init.constant_(m.bias, 0)
                elif isinstance(m, nn.Linear):
                    nn.init.normal_(m.weight, 0, 0.01)
                    nn.init.constant_(m.bias, 0)

    def forward(self, x: Tensor) -> Tensor:
        x = self.avgpool(self.features(x)).flatten(1)
        return self.classifier(x)


def _variant(name: str, cfg: str, batch_norm: bool, doc: str):
    """The builder ``name(*, weights=None, progress=True, **kwargs) -> VGG``.

    torchvision's eight VGG functions differ only in the configuration ``cfg`` and whether a
    BatchNorm follows every convolution, so each is one row below. ``weights`` must be None
    (no pretrained weights here); ``kwargs`` go to ``VGG`` (``num_classes``, ``dropout``, ...).
    """

    def build(*, weights=None, progress: bool = True, **kwargs) -> VGG:
        check_weights(weights, name, kwargs)
        return VGG(make_layers(CFGS[cfg], batch_norm=batch_norm), **kwargs)

    build.__name__ = build.__qualname__ = name
    build.__doc__ = doc
    return build


vgg11 = _variant(
    "vgg11", "A", False, 'VGG-11 (configuration "A"): 8 convolutions, 3 linear layers.'
)
vgg11_bn = _variant("vgg11_bn", "A", True, "VGG-11 with BatchNorm after every convolution.")
vgg13 = _variant("vgg13", "B", False, 'VGG-13 (configuration "B").')
vgg13_bn = _variant("vgg13_bn", "B", True, "VGG-13 with BatchNorm.")
vgg16 = _variant(
    "vgg16",
    "D",
    False,
    'VGG-16 (configuration "D"): 13 convolutions, 3 linear layers, 138 M parameters.',
)
vgg16_bn = _variant("vgg16_bn", "D", True, "VGG-16 with BatchNorm.")
vgg19 = _variant("vgg19", "E", False, 'VGG-19 (configuration "E").')
vgg19_bn = _variant("vgg19_bn", "E", True, "VGG-19 with BatchNorm.")
