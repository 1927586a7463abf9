"""A small convolutional network that fits both 8×8 digits and 28×28 MNIST-like images."""

from __future__ import annotations

from collections.abc import Sequence

from gradiente import nn
from gradiente.models.base import check, image_problem


class SmallCNN(nn.Module):
    """Two conv blocks (3×3 convolution, ReLU, 2×2 max-pool) and a two-layer classifier.

    Shapes for a ``(C, H, W)`` input: ``(32, H/2, W/2)`` after the first block,
    ``(64, H/4, W/4)`` after the second, then ``Linear(64·H/4·W/4, 128)``, ReLU,
    ``Linear(128, num_classes)``. The 3×3 convolutions use ``padding=1`` so they keep the size
    and only the pools shrink it: on 8×8 digits the features are 64×2×2.
    """

    def __init__(self, in_shape: Sequence[int] = (1, 28, 28), num_classes: int = 10) -> None:
        super().__init__()
        c, h, w = check(type(self), in_shape)
        self.features = nn.Sequential(
            nn.Conv2d(c, 32, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(32, 64, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(64 * (h // 4) * (w // 4), 128),
            nn.ReLU(),
            nn.Linear(128, num_classes),
        )

    @staticmethod
    def check_input(in_shape: Sequence[int]) -> str | None:
        """Images (C, H, W) with H, W >= 4 (two 2×2 pools)."""
        return image_problem(in_shape, min_size=4)

    def forward(self, x):
        return self.classifier(self.features(x))
