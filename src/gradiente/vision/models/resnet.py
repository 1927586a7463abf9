"""ResNet (He et al., 2015) with torchvision's module tree: ``resnet18/34/50/101/152``, and
its Bottleneck variants ResNeXt (``resnext50_32x4d``, ...: grouped 3×3 convolutions) and Wide
ResNet (``wide_resnet50_2``, ...: twice the 3×3 width).

A residual block learns a correction F(x) to its input, ``out = relu(F(x) + shortcut(x))``,
so a deep stack can start close to the identity. The names and shapes of every parameter and
buffer are torchvision's (``conv1``, ``bn1``, ``layer1..4.N.conv1``, ``downsample.0/1``,
``fc``), so a torchvision state dict loads into these models and back.

Shapes for a 3×224×224 input: stem conv 7×7/2 → 64×112×112, max-pool 3×3/2 → 56×56, then four
stages of 64, 128, 256, 512 planes (× 4 for Bottleneck), the last three halving the size
(stride 2 in their first block), global average pool, ``fc``.
"""

from __future__ import annotations

from collections.abc import Callable

from gradiente import nn
from gradiente.tensor import Tensor
from gradiente.vision.models._utils import check_weights

__all__ = [
    "BasicBlock",
    "Bottleneck",
    "ResNet",
    "resnet18",
    "resnet34",
    "resnet50",
    "resnet101",
    "resnet152",
    "resnext50_32x4d",
    "resnext101_32x8d",
    "resnext101_64x4d",
    "wide_resnet50_2",
    "wide_resnet101_2",
]


def conv3x3(in_planes: int, out_planes: int, stride: int = 1, groups: int = 1, dilation: int = 1):
    """3×3 convolution with padding (no bias: a BatchNorm follows)."""
    return nn.Conv2d(
        in_planes,
        out_planes,
        kernel_size=3,
        stride=stride,
        padding=dilation,
        groups=groups,
        bias=False,
        dilation=dilation,
    )


def conv1x1(in_planes: int, out_planes: int, stride: int = 1):
    """1×1 convolution (no bias)."""
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


class _ResidualBlock(nn.Module):
    """What BasicBlock and Bottleneck share: torchvision's constructor, which builds the block's
    layers (``_build``) then keeps ``downsample`` and ``stride``, and the forward pass
    ``relu(F(x) + shortcut(x))`` with F the block's own layers (``_residual``).

    ``downsample`` (a 1×1 convolution and a BatchNorm) makes the shortcut match the output's
    shape when the block changes the stride or the width; otherwise the shortcut is ``x``.
    """

    def __init__(
        self,
        inplanes: int,
        planes: int,
        stride: int = 1,
        downsample: nn.Module | None = None,
        groups: int = 1,
        base_width: int = 64,
        dilation: int = 1,
        norm_layer: Callable[..., nn.Module] | None = None,
    ) -> None:
        super().__init__()
        if norm_layer is None:
            norm_layer = nn.BatchNorm2d
        self._build(inplanes, planes, stride, groups, base_width, dilation, norm_layer)
        self.downsample = downsample
        self.stride = stride

    def _build(self, inplanes, planes, stride, groups, base_width, dilation, norm_layer) -> None:
        """Create the block's layers, in torchvision's order (their state-dict order)."""
        raise NotImplementedError

    def _residual(self, x: Tensor) -> Tensor:
        """F(x): the block's layers, up to the last BatchNorm."""
        raise NotImplementedError

    def forward(self, x: Tensor) -> Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        return self.relu(self._residual(x) + identity)


class BasicBlock(_ResidualBlock):
    """Two 3×3 convolutions: ``relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))``."""

    expansion = 1

    def _build(self, inplanes, planes, stride, groups, base_width, dilation, norm_layer) -> None:
        if groups != 1 or base_width != 64:
            raise ValueError("BasicBlock only supports groups=1 and base_width=64")
        if dilation > 1:
            raise NotImplementedError("Dilation > 1 not supported in BasicBlock")
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = norm_layer(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = norm_layer(planes)

    def _residual(self, x: Tensor) -> Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        return self.bn2(self.conv2(out))


class Bottleneck(_ResidualBlock):
    """1×1 (reduce) → 3×3 (the stride, "ResNet v1.5") → 1×1 (expand × 4), plus the shortcut.

    The 3×3 convolution works on ``width = planes · base_width / 64 · groups`` channels, which
    is what ResNeXt and Wide ResNet change.
    """

    expansion = 4

    def _build(self, inplanes, planes, stride, groups, base_width, dilation, norm_layer) -> None:
        width = int(planes * (base_width / 64.0)) * groups
        self.conv1 = conv1x1(inplanes, width)
        self.bn1 = norm_layer(width)
        self.conv2 = conv3x3(width, width, stride, groups, dilation)
        self.bn2 = norm_layer(width)
        self.conv3 = conv1x1(width, planes * self.expansion)
        self.bn3 = norm_layer(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)

    def _residual(self, x: Tensor) -> Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        return self.bn3(self.conv3(out))


class ResNet(nn.Module):
    """The ResNet family: a stem, four stages of ``layers[i]`` blocks, pooling and ``fc``.

    Initialisation as torchvision's: convolutions ``kaiming_normal_(mode="fan_out",
    nonlinearity="relu")``, BatchNorm γ = 1 and β = 0, ``fc`` PyTorch's Linear default. With
    ``zero_init_residual=True`` the last BatchNorm of every block starts with γ = 0, so each
    block starts as the identity (Goyal et al., 2017).
    """

    def __init__(
        self,
        block: type[BasicBlock] | type[Bottleneck],
        layers: list[int],
        num_classes: int = 1000,
        zero_init_residual: bool = False,
        groups: int = 1,
        width_per_group: int = 64,
        replace_stride_with_dilation: list[bool] | None = None,
        norm_layer: Callable[..., nn.Module] | None = None,
    ) -> None:
        super().__init__()
        if norm_layer is None:
            norm_layer = nn.BatchNorm2d
        self._norm_layer = norm_layer
        self.inplanes = 64
        self.dilation = 1
        if replace_stride_with_dilation is None:
            # each element says whether stage 2, 3 or 4 dilates instead of striding
            replace_stride_with_dilation = [False, False, False]
        if len(replace_stride_with_dilation) != 3:
            raise ValueError(
                "replace_stride_with_dilation should be None or a 3-element tuple, "
                f"got {replace_stride_with_dilation}"
            )
        self.groups = groups
        self.base_width = width_per_group
        self.conv1 = nn.Conv2d(3, self.inplanes, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = norm_layer(self.inplanes)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, 64, layers[0])
        self.layer2 = self._make_layer(
            block, 128, layers[1], stride=2, dilate=replace_stride_with_dilation[0]
        )
        self.layer3 = self._make_layer(
            block, 256, layers[2], stride=2, dilate=replace_stride_with_dilation[1]
        )
        self.layer4 = self._make_layer(
            block, 512, layers[3], stride=2, dilate=replace_stride_with_dilation[2]
        )
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes)

        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
        if zero_init_residual:
            for m in self.modules():
                if isinstance(m, Bottleneck) and m.bn3.weight is not None:
                    nn.init.constant_(m.bn3.weight, 0)
                elif isinstance(m, BasicBlock) and m.bn2.weight is not None:
                    nn.init.constant_(m.bn2.weight, 0)

    def _make_layer(
        self,
        block: type[BasicBlock] | type[Bottleneck],
        planes: int,
        blocks: int,
        stride: int = 1,
        dilate: bool = False,
    ) -> nn.Sequential:
        """One stage: a first block that may stride (with a projected shortcut), then more."""
        norm_layer = self._norm_layer
        downsample = None
        previous_dilation = self.dilation
        if dilate:
            self.dilation *= stride
            stride = 1
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(
                conv1x1(self.inplanes, planes * block.expansion, stride),
                norm_layer(planes * block.expansion),
            )
        layers = [
            block(
                self.inplanes,
                planes,
                stride,
                downsample,
                self.groups,
                self.base_width,
                previous_dilation,
                norm_layer,
            )
        ]
        self.inplanes = planes * block.expansion
        for _ in range(1, blocks):
            layers.append(
                block(
                    self.inplanes,
                    planes,
                    groups=self.groups,
                    base_width=self.base_width,
                    dilation=self.dilation,
                    norm_layer=norm_layer,
                )
            )
        return nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        x = self.avgpool(x).flatten(1)
        return self.fc(x)


def _resnet(name: str, block, layers: list[int], weights, progress: bool, **kwargs) -> ResNet:
    check_weights(weights, name, kwargs)
    return ResNet(block, layers, **kwargs)


def resnet18(*, weights=None, progress: bool = True, **kwargs) -> ResNet:
    """ResNet-18: BasicBlocks [2, 2, 2, 2], 11.7 M parameters for 1000 classes."""
    return _resnet("resnet18", BasicBlock, [2, 2, 2, 2], weights, progress, **kwargs)


def resnet34(*, weights=None, progress: bool = True, **kwargs) -> ResNet:
    """ResNet-34: BasicBlocks [3, 4, 6, 3], 21.8 M parameters."""
    return _resnet("resnet34", BasicBlock, [3, 4, 6, 3], weights, progress, **kwargs)


def resnet50(*, weights=None, progress: bool = True, **kwargs) -> ResNet:
    """ResNet-50: Bottlenecks [3, 4, 6, 3], 25.6 M parameters."""
    return _resnet("resnet50", Bottleneck, [3, 4, 6, 3], weights, progress, **kwargs)


def resnet101(*, weights=None, progress: bool = True, **kwargs) -> ResNet:
    """ResNet-101: Bottlenecks [3, 4, 23, 3], 44.5 M parameters."""
    return _resnet("resnet101", Bottleneck, [3, 4, 23, 3], weights, progress, **kwargs)


def resnet152(*, weights=None, progress: bool = True, **kwargs) -> ResNet:
    """ResNet-152: Bottlenecks [3, 8, 36, 3], 60.2 M parameters."""
    return _resnet("resnet152", Bottleneck, [3, 8, 36, 3], weights, progress, **kwargs)


def resnext50_32x4d(*, weights=None, progress: bool = True, **kwargs) -> ResNet:
    """ResNeXt-50 32×4d (Xie et al., 2016): ResNet-50 whose 3×3 convolutions have 32 groups of
    4 channels per 64 planes, 25.0 M parameters."""
    kwargs.update(groups=32, width_per_group=4)
    return _resnet("resnext50_32x4d", Bottleneck, [3, 4, 6, 3], weights, progress, **kwargs)


def resnext101_32x8d(*, weights=None, progress: bool = True, **kwargs) -> ResNet:
    """ResNeXt-101 32×8d: 32 groups of 8 channels, 88.8 M parameters."""
    kwargs.update(groups=32, width_per_group=8)
    return _resnet("resnext101_32x8d", Bottleneck, [3, 4, 23, 3], weights, progress, **kwargs)


def resnext101_64x4d(*, weights=None, progress: bool = True, **kwargs) -> ResNet:
    """ResNeXt-101 64×4d: 64 groups of 4 channels, 83.5 M parameters."""
    kwargs.update(groups=64, width_per_group=4)
    return _resnet("resnext101_64x4d", Bottleneck, [3, 4, 23, 3], weights, progress, **kwargs)


def wide_resnet50_2(*, weights=None, progress: bool = True, **kwargs) -> ResNet:
    """Wide ResNet-50-2 (Zagoruyko & Komodakis, 2016): ResNet-50 with the Bottlenecks' inner
    3×3 width doubled (the outer 1×1 widths unchanged), 68.9 M parameters."""
    kwargs["width_per_group"] = 64 * 2
    return _resnet("wide_resnet50_2", Bottleneck, [3, 4, 6, 3], weights, progress, **kwargs)


def wide_resnet101_2(*, weights=None, progress: bool = True, **kwargs) -> ResNet:
    """Wide ResNet-101-2: 126.9 M parameters."""
    kwargs["width_per_group"] = 64 * 2
    return _resnet("wide_resnet101_2", Bottleneck, [3, 4, 23, 3], weights, progress, **kwargs)
