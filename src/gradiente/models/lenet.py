"""LeNet-5 (LeCun et al., 1998) as PyTorch's tutorials write it: ReLU and max-pooling."""

from __future__ import annotations

from collections.abc import Sequence

from gradiente import nn
from gradiente.models.base import check
from gradiente.nn import functional as F


class LeNet5(nn.Module):
    """LeNet-5 for 28×28 (or 32×32) images: 61,706 parameters for 1×28×28 and 10 classes.

    ``conv1`` (6 maps, 5×5; ``padding=2`` on 28×28 inputs so that it sees the 32×32 the original
    network was designed for) → ReLU → 2×2 max-pool → ``conv2`` (16 maps, 5×5) → ReLU → 2×2
    max-pool → 16×5×5 = 400 features → ``fc1`` (120) → ``fc2`` (84) → ``fc3`` (classes).
    The parameter names are those of the usual PyTorch version, so state dicts load in both.
    """

    def __init__(self, in_shape: Sequence[int] = (1, 28, 28), num_classes: int = 10) -> None:
        super().__init__()
        c, h, _ = check(type(self), in_shape)
        self.conv1 = nn.Conv2d(c, 6, kernel_size=5, padding=2 if h == 28 else 0)
        self.conv2 = nn.Conv2d(6, 16, kernel_size=5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, num_classes)

    @staticmethod
    def check_input(in_shape: Sequence[int]) -> str | None:
        """Images (C, 28, 28) or (C, 32, 32)."""
        if len(in_shape) != 3 or tuple(in_shape[1:]) not in ((28, 28), (32, 32)):
            return f"LeNet-5 takes (C, 28, 28) or (C, 32, 32) images, got {tuple(in_shape)}"
        return None

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)  # (N, 6, 14, 14)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)  # (N, 16, 5, 5)
        x = x.flatten(1)  # (N, 400)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)
