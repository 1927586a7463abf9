"""DenseNet (Huang et al., 2016) with torchvision's module tree: ``densenet121/161/169/201``.

Inside a *dense block* every layer sees the concatenation of all earlier feature maps and adds
``growth_rate`` new channels of its own, so features are reused instead of re-learned. A layer
is BN-ReLU-Conv1×1 (a bottleneck to ``bn_size · growth_rate`` channels) then BN-ReLU-Conv3×3;
a *transition* between blocks halves the channels (1×1 convolution) and the size (2×2 average
pooling). Parameter names as torchvision's: ``features.denseblockB.denselayerL.conv1``, ...
"""

from __future__ import annotations

from collections import OrderedDict

from gradiente import nn
from gradiente.nn import functional as F
from gradiente.tensor import Tensor
from gradiente.tensor.toplevel import cat
from gradiente.utils.checkpoint import checkpoint
from gradiente.vision.models._utils import check_weights

__all__ = ["DenseNet", "densenet121", "densenet161", "densenet169", "densenet201"]


class _DenseLayer(nn.Module):
    """BN-ReLU-Conv1×1 on the concatenated earlier features, then BN-ReLU-Conv3×3 to
    ``growth_rate`` new channels (and Dropout when ``drop_rate > 0``).

    ``memory_efficient=True`` recomputes the bottleneck in the backward pass instead of
    keeping it (gradient checkpointing), as torchvision does.
    """

    def __init__(
        self,
        num_input_features: int,
        growth_rate: int,
        bn_size: int,
        drop_rate: float,
        memory_efficient: bool = False,
    ) -> None:
        super().__init__()
        self.norm1 = nn.BatchNorm2d(num_input_features)
        self.relu1 = nn.ReLU(inplace=True)
        self.conv1 = nn.Conv2d(
            num_input_features, bn_size * growth_rate, kernel_size=1, stride=1, bias=False
        )
        self.norm2 = nn.BatchNorm2d(bn_size * growth_rate)
        self.relu2 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(
            bn_size * growth_rate, growth_rate, kernel_size=3, stride=1, padding=1, bias=False
        )
        self.drop_rate = float(drop_rate)
        self.memory_efficient = memory_efficient

    def bn_function(self, inputs: list[Tensor]) -> Tensor:
        """The bottleneck: conv1(relu(norm1(cat(inputs))))."""
        return self.conv1(self.relu1(self.norm1(cat(inputs, 1))))

    def forward(self, input: Tensor | list[Tensor]) -> Tensor:
        prev_features = [input] if isinstance(input, Tensor) else input
        if self.memory_efficient and any(t.requires_grad for t in prev_features):
            bottleneck = checkpoint(
                lambda *inputs: self.bn_function(list(inputs)), *prev_features, use_reentrant=False
            )
        else:
            bottleneck = self.bn_function(prev_features)
        new_features = self.conv2(self.relu2(self.norm2(bottleneck)))
        if self.drop_rate > 0:
            new_features = F.dropout(new_features, p=self.drop_rate, training=self.training)
        return new_features


class _DenseBlock(nn.ModuleDict):
    """``num_layers`` dense layers; layer i sees ``num_input_features + i · growth_rate``
    channels, and the block returns all of them concatenated."""

    def __init__(
        self,
        num_layers: int,
        num_input_features: int,
        bn_size: int,
        growth_rate: int,
        drop_rate: float,
        memory_efficient: bool = False,
    ) -> None:
        super().__init__()
        for i in range(num_layers):
            layer = _DenseLayer(
                num_input_features + i * growth_rate,
                growth_rate=growth_rate,
                bn_size=bn_size,
                drop_rate=drop_rate,
                memory_efficient=memory_efficient,
            )
            self.add_module(f"denselayer{i + 1}", layer)

    def forward(self, init_features: Tensor) -> Tensor:
        features = [init_features]
        for layer in self.values():
            features.append(layer(features))
        return cat(features, 1)


class _Transition(nn.Sequential):
    """BN-ReLU-Conv1×1 (fewer channels) then 2×2 average pooling (half the size)."""

    def __init__(self, num_input_features: int, num_output_features: int) -> None:
        super().__init__()
        self.norm = nn.BatchNorm2d(num_input_features)
        self.relu = nn.ReLU(inplace=True)
        self.conv = nn.Conv2d(
            num_input_features, num_output_features, kernel_size=1, stride=1, bias=False
        )
        self.pool = nn.AvgPool2d(kernel_size=2, stride=2)


class DenseNet(nn.Module):
    """DenseNet-BC: a 7×7/2 stem and 3×3/2 max-pool, dense blocks of ``block_config`` layers
    joined by transitions, a final BatchNorm, ReLU, global average pooling, ``classifier``.

    Initialisation as torchvision's: convolutions ``kaiming_normal_`` (fan_in), BatchNorm γ = 1,
    β = 0, the classifier's bias 0 (its weight keeps Linear's default).
    """

    def __init__(
        self,
        growth_rate: int = 32,
        block_config: tuple[int, int, int, int] = (6, 12, 24, 16),
        num_init_features: int = 64,
        bn_size: int = 4,
        drop_rate: float = 0,
        num_classes: int = 1000,
        memory_efficient: bool = False,
    ) -> None:
        super().__init__()
        self.features = nn.Sequential(
            OrderedDict(
                [
                    (
                        "conv0",
                        nn.Conv2d(
                            3, num_init_features, kernel_size=7, stride=2, padding=3, bias=False
                        ),
                    ),
                    ("norm0", nn.BatchNorm2d(num_init_features)),
                    ("relu0", nn.ReLU(inplace=True)),
                    ("pool0", nn.MaxPool2d(kernel_size=3, stride=2, padding=1)),
                ]
            )
        )
        num_features = num_init_features
        for i, num_layers in enumerate(block_config):
            block = _DenseBlock(
                num_layers=num_layers,
                num_input_features=num_features,
                bn_size=bn_size,
                growth_rate=growth_rate,
                drop_rate=drop_rate,
                memory_efficient=memory_efficient,
            )
            self.features.add_module(f"denseblock{i + 1}", block)
            num_features = num_features + num_layers * growth_rate
            if i != len(block_config) - 1:
                trans = _Transition(num_features, num_features // 2)
                self.features.add_module(f"transition{i + 1}", trans)
                num_features = num_features // 2
        self.features.add_module("norm5", nn.BatchNorm2d(num_features))
        self.classifier = nn.Linear(num_features, num_classes)

        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
            elif isinstance(m, nn.Linear):
                nn.init.constant_(m.bias, 0)

    def forward(self, x: Tensor) -> Tensor:
        out = F.relu(self.features(x), inplace=True)
        out = F.adaptive_avg_pool2d(out, (1, 1)).flatten(1)
        return self.classifier(out)


def _densenet(name, growth_rate, block_config, num_init_features, weights, kwargs) -> DenseNet:
    check_weights(weights, name, kwargs)
    return DenseNet(growth_rate, block_config, num_init_features, **kwargs)


def densenet121(*, weights=None, progress: bool = True, **kwargs) -> DenseNet:
    """DenseNet-121: growth 32, blocks (6, 12, 24, 16), 8.0 M parameters."""
    return _densenet("densenet121", 32, (6, 12, 24, 16), 64, weights, kwargs)


def densenet161(*, weights=None, progress: bool = True, **kwargs) -> DenseNet:
    """DenseNet-161: growth 48, blocks (6, 12, 36, 24), 96 stem channels, 28.7 M parameters."""
    return _densenet("densenet161", 48, (6, 12, 36, 24), 96, weights, kwargs)


def densenet169(*, weights=None, progress: bool = True, **kwargs) -> DenseNet:
    """DenseNet-169: growth 32, blocks (6, 12, 32, 32), 14.1 M parameters."""
    return _densenet("densenet169", 32, (6, 12, 32, 32), 64, weights, kwargs)


def densenet201(*, weights=None, progress: bool = True, **kwargs) -> DenseNet:
    """DenseNet-201: growth 32, blocks (6, 12, 48, 32), 20.0 M parameters."""
    return _densenet("densenet201", 32, (6, 12, 48, 32), 64, weights, kwargs)
