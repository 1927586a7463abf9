"""A small VGG (Simonyan & Zisserman, 2014) for 32×32 colour images such as CIFAR-10."""

from __future__ import annotations

from collections.abc import Sequence

from gradiente import nn
from gradiente.models.base import check, image_problem

# Output channels of each 3×3 convolution; "M" is a 2×2 max-pool (VGG's configuration notation).
CONFIG = (32, 32, "M", 64, 64, "M", 128, 128, "M")


class VGGSmall(nn.Module):
    """Three VGG blocks (two 3×3 conv + BatchNorm + ReLU, then a 2×2 max-pool) and a classifier.

    For a 3×32×32 input the features are 128×4×4 = 2048, then ``Linear(2048, 256)``, ReLU,
    ``Dropout(0.5)``, ``Linear(256, num_classes)``.
    """

    def __init__(self, in_shape: Sequence[int] = (3, 32, 32), num_classes: int = 10) -> None:
        super().__init__()
        c, h, w = check(type(self), in_shape)
        layers = []
        for v in CONFIG:
            if v == "M":
                layers.append(nn.MaxPool2d(2))
            else:
                layers += [nn.Conv2d(c, v, kernel_size=3, padding=1), nn.BatchNorm2d(v), nn.ReLU()]
                c = v
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(c * (h // 8) * (w // 8), 256),
            nn.ReLU(),
            nn.Dropout(0.5),
            nn.Linear(256, num_classes),
        )

    @staticmethod
    def check_input(in_shape: Sequence[int]) -> str | None:
        """Images (C, H, W) with H, W >= 32 and divisible by 8 (three 2×2 pools)."""
        return image_problem(in_shape, min_size=32, multiple=8)

    def forward(self, x):
        return self.classifier(self.features(x))
