"""AlexNet (Krizhevsky et al., 2012; the one-GPU variant of Krizhevsky, 2014), torchvision's tree.

Five convolutions (11×11/4, 5×5, three 3×3) with three max-pools, ``avgpool =
AdaptiveAvgPool2d((6, 6))`` and a dropout-regularised classifier. Parameters: ``features.0/3/6/
8/10`` and ``classifier.1/4/6``. torchvision keeps PyTorch's default initialisation here.
"""

from __future__ import annotations

from gradiente import nn
from gradiente.tensor import Tensor
from gradiente.vision.models._utils import check_weights

__all__ = ["AlexNet", "alexnet"]


class AlexNet(nn.Module):
    """AlexNet for 3×H×W images (H, W ≥ 63 so that the features keep at least one pixel)."""

    def __init__(self, num_classes: int = 1000, dropout: float = 0.5) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 64, kernel_size=11, stride=4, padding=2),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(64, 192, kernel_size=5, padding=2),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(192, 384, kernel_size=3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(384, 256, kernel_size=3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(256, 256, kernel_size=3, padding=1),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
        )
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout),
            nn.Linear(256 * 6 * 6, 4096),
            nn.ReLU(inplace=True),
            nn.Dropout(p=dropout),
            nn.Linear(4096, 4096),
            nn.ReLU(inplace=True),
            nn.Linear(4096, num_classes),
        )

    def forward(self, x: Tensor) -> Tensor:
        x = self.avgpool(self.features(x)).flatten(1)
        return self.classifier(x)


def alexnet(*, weights=None, progress: bool = True, **kwargs) -> AlexNet:
    """AlexNet, 61 M parameters for 1000 classes (``weights`` must be None)."""
    check_weights(weights, "alexnet", kwargs)
    return AlexNet(**kwargs)
