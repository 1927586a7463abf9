"""RegNet (Radosavovic et al., 2020) with torchvision's module tree: ``regnet_y_400mf`` …
``regnet_y_128gf`` and ``regnet_x_400mf`` … ``regnet_x_32gf``.

RegNets are ResNeXt-like networks whose widths follow a simple rule found by searching a
design space: the width of block j grows linearly, u_j = w_0 + w_a·j, then is snapped to the
nearest power of w_m above w_0 (in log space) and to a multiple of 8; blocks of equal width
form a stage. RegNetY adds Squeeze-and-Excitation to every block, RegNetX does not.
Parameter names as torchvision's: ``stem``, ``trunk_output.blockS.blockS-B.f.a/b/se/c``,
``fc``.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable
from functools import partial

from gradiente import nn
from gradiente.tensor import Tensor
from gradiente.tensor.factories import arange
from gradiente.vision.models._utils import check_weights, make_divisible
from gradiente.vision.models.misc import Conv2dNormActivation
from gradiente.vision.ops_layers import SqueezeExcitation

__all__ = [
    "BlockParams",
    "RegNet",
    "regnet_x_16gf",
    "regnet_x_1_6gf",
    "regnet_x_32gf",
    "regnet_x_3_2gf",
    "regnet_x_400mf",
    "regnet_x_800mf",
    "regnet_x_8gf",
    "regnet_y_128gf",
    "regnet_y_16gf",
    "regnet_y_1_6gf",
    "regnet_y_32gf",
    "regnet_y_3_2gf",
    "regnet_y_400mf",
    "regnet_y_800mf",
    "regnet_y_8gf",
]


class SimpleStemIN(Conv2dNormActivation):
    """The ImageNet stem: 3×3/2 convolution, BatchNorm, activation."""

    def __init__(
        self,
        width_in: int,
        width_out: int,
        norm_layer: Callable[..., nn.Module],
        activation_layer: Callable[..., nn.Module],
    ) -> None:
        super().__init__(
            width_in,
            width_out,
            kernel_size=3,
            stride=2,
            norm_layer=norm_layer,
            activation_layer=activation_layer,
        )


class BottleneckTransform(nn.Sequential):
    """``a`` 1×1 → ``b`` grouped 3×3 (the stride; groups of ``group_width`` channels) →
    optional ``se`` (squeeze to ``se_ratio`` × the block's input width) → ``c`` 1×1."""

    def __init__(
        self,
        width_in: int,
        width_out: int,
        stride: int,
        norm_layer: Callable[..., nn.Module],
        activation_layer: Callable[..., nn.Module],
        group_width: int,
        bottleneck_multiplier: float,
        se_ratio: float | None,
    ) -> None:
        layers: OrderedDict[str, nn.Module] = OrderedDict()
        w_b = int(round(width_out * bottleneck_multiplier))
        g = w_b // group_width
        layers["a"] = Conv2dNormActivation(
            width_in,
            w_b,
            kernel_size=1,
            stride=1,
            norm_layer=norm_layer,
            activation_layer=activation_layer,
        )
        layers["b"] = Conv2dNormActivation(
            w_b,
            w_b,
            kernel_size=3,
            stride=stride,
            groups=g,
            norm_layer=norm_layer,
            activation_layer=activation_layer,
        )
        if se_ratio:
            width_se_out = int(round(se_ratio * width_in))
            layers["se"] = SqueezeExcitation(
                input_channels=w_b, squeeze_channels=width_se_out, activation=activation_layer
            )
        layers["c"] = Conv2dNormActivation(
            w_b, width_out, kernel_size=1, stride=1, norm_layer=norm_layer, activation_layer=None
        )
        super().__init__(layers)


class ResBottleneckBlock(nn.Module):
    """``activation(shortcut(x) + f(x))``, the shortcut a 1×1 projection (``proj``) when the
    width or the size changes, else ``x``."""

    def __init__(
        self,
        width_in: int,
        width_out: int,
        stride: int,
        norm_layer: Callable[..., nn.Module],
        activation_layer: Callable[..., nn.Module],
        group_width: int = 1,
        bottleneck_multiplier: float = 1.0,
        se_ratio: float | None = None,
    ) -> None:
        super().__init__()
        self.proj = None
        if (width_in != width_out) or (stride != 1):
            self.proj = Conv2dNormActivation(
                width_in,
                width_out,
                kernel_size=1,
                stride=stride,
                norm_layer=norm_layer,
                activation_layer=None,
            )
        self.f = BottleneckTransform(
            width_in,
            width_out,
            stride,
            norm_layer,
            activation_layer,
            group_width,
            bottleneck_multiplier,
            se_ratio,
        )
        self.activation = activation_layer(inplace=True)

    def forward(self, x: Tensor) -> Tensor:
        shortcut = x if self.proj is None else self.proj(x)
        return self.activation(shortcut + self.f(x))


class AnyStage(nn.Sequential):
    """``depth`` blocks of one output width, named ``block{stage}-{i}``; the first strides."""

    def __init__(
        self,
        width_in: int,
        width_out: int,
        stride: int,
        depth: int,
        block_constructor: Callable[..., nn.Module],
        norm_layer: Callable[..., nn.Module],
        activation_layer: Callable[..., nn.Module],
        group_width: int,
        bottleneck_multiplier: float,
        se_ratio: float | None = None,
        stage_index: int = 0,
    ) -> None:
        super().__init__()
        for i in range(depth):
            block = block_constructor(
                width_in if i == 0 else width_out,
                width_out,
                stride if i == 0 else 1,
                norm_layer,
                activation_layer,
                group_width,
                bottleneck_multiplier,
                se_ratio,
            )
            self.add_module(f"block{stage_index}-{i}", block)


class BlockParams:
    """The per-stage settings: depths, widths, group widths, bottleneck multipliers,
    strides, and the SE ratio (None: RegNetX)."""

    def __init__(
        self,
        depths: list[int],
        widths: list[int],
        group_widths: list[int],
        bottleneck_multipliers: list[float],
        strides: list[int],
        se_ratio: float | None = None,
    ) -> None:
        self.depths = depths
        self.widths = widths
        self.group_widths = group_widths
        self.bottleneck_multipliers = bottleneck_multipliers
        self.strides = strides
        self.se_ratio = se_ratio

    @classmethod
    def from_init_params(
        cls,
        depth: int,
        w_0: int,
        w_a: float,
        w_m: float,
        group_width: int,
        bottleneck_multiplier: float = 1.0,
        se_ratio: float | None = None,
        **kwargs,
    ) -> BlockParams:
        """The stages of a RegNet of ``depth`` blocks from its four design parameters.

        Block j's continuous width u_j = w_0 + w_a·j is quantised in log space,
        s_j = round(log(u_j / w_0) / log(w_m)), w_j = round(w_0 · w_m^s_j / 8) · 8;
        consecutive blocks of one width are a stage (computed in float32, as torchvision).
        """
        quant, stride = 8, 2
        if w_a < 0 or w_0 <= 0 or w_m <= 1 or w_0 % 8 != 0:
            raise ValueError("Invalid RegNet settings")
        widths_cont = arange(depth) * w_a + w_0
        block_capacity = ((widths_cont / w_0).log() / math.log(w_m)).round()
        block_widths = ((w_0 * (w_m**block_capacity) / quant).round() * quant).int().tolist()
        num_stages = len(set(block_widths))
        # a stage starts wherever the width changes
        splits = [w != wp for w, wp in zip(block_widths + [0], [0] + block_widths, strict=True)]
        stage_widths = [w for w, t in zip(block_widths, splits[:-1], strict=True) if t]
        starts = [d for d, t in enumerate(splits) if t]
        stage_depths = [b - a for a, b in zip(starts[:-1], starts[1:], strict=True)]
        strides = [stride] * num_stages
        bottleneck_multipliers = [bottleneck_multiplier] * num_stages
        group_widths = [group_width] * num_stages
        stage_widths, group_widths = cls._adjust_widths_groups_compatibilty(
            stage_widths, bottleneck_multipliers, group_widths
        )
        return cls(
            depths=stage_depths,
            widths=stage_widths,
            group_widths=group_widths,
            bottleneck_multipliers=bottleneck_multipliers,
            strides=strides,
            se_ratio=se_ratio,
        )

    def _get_expanded_params(self):
        return zip(
            self.widths,
            self.strides,
            self.depths,
            self.group_widths,
            self.bottleneck_multipliers,
            strict=True,
        )

    @staticmethod
    def _adjust_widths_groups_compatibilty(
        stage_widths: list[int], bottleneck_ratios: list[float], group_widths: list[int]
    ) -> tuple[list[int], list[int]]:
        """Widths made divisible by their group widths (a group is at most the whole width)."""
        widths = [int(w * b) for w, b in zip(stage_widths, bottleneck_ratios, strict=True)]
        group_widths_min = [min(g, w_bot) for g, w_bot in zip(group_widths, widths, strict=True)]
        ws_bot = [
            make_divisible(w_bot, g) for w_bot, g in zip(widths, group_widths_min, strict=True)
        ]
        stage_widths = [int(w_bot / b) for w_bot, b in zip(ws_bot, bottleneck_ratios, strict=True)]
        return stage_widths, group_widths_min


class RegNet(nn.Module):
    """``stem`` (3×3/2 to ``stem_width``), ``trunk_output`` (one ``AnyStage`` per stage of
    ``block_params``), global average pooling, ``fc``.

    Initialisation as torchvision's (ResNet style): convolutions N(0, 2 / fan_out), BatchNorm
    γ = 1, β = 0, Linear N(0, 0.01²) with zero bias.
    """

    def __init__(
        self,
        block_params: BlockParams,
        num_classes: int = 1000,
        stem_width: int = 32,
        stem_type: Callable[..., nn.Module] | None = None,
        block_type: Callable[..., nn.Module] | None = None,
        norm_layer: Callable[..., nn.Module] | None = None,
        activation: Callable[..., nn.Module] | None = None,
    ) -> None:
        super().__init__()
        if stem_type is None:
            stem_type = SimpleStemIN
        if norm_layer is None:
            norm_layer = nn.BatchNorm2d
        if block_type is None:
            block_type = ResBottleneckBlock
        if activation is None:
            activation = nn.ReLU
        self.stem = stem_type(3, stem_width, norm_layer, activation)
        current_width = stem_width
        blocks = []
        for i, (width_out, stride, depth, group_width, bottleneck_multiplier) in enumerate(
            block_params._get_expanded_params()
        ):
            stage = AnyStage(
                current_width,
                width_out,
                stride,
                depth,
                block_type,
                norm_layer,
                activation,
                group_width,
                bottleneck_multiplier,
                block_params.se_ratio,
                stage_index=i + 1,
            )
            blocks.append((f"block{i + 1}", stage))
            current_width = width_out
        self.trunk_output = nn.Sequential(OrderedDict(blocks))
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(in_features=current_width, out_features=num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                fan_out = m.kernel_size[0] * m.kernel_size[1] * m.out_channels
                nn.init.normal_(m.weight, mean=0.0, std=math.sqrt(2.0 / fan_out))
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, mean=0.0, std=0.01)
                nn.init.zeros_(m.bias)

    def forward(self, x: Tensor) -> Tensor:
        x = self.trunk_output(self.stem(x))
        return self.fc(self.avgpool(x).flatten(start_dim=1))


# depth, w_0, w_a, w_m, group_width; RegNetY adds se_ratio=0.25
_SETTINGS = {
    "regnet_y_400mf": (16, 48, 27.89, 2.09, 8),
    "regnet_y_800mf": (14, 56, 38.84, 2.4, 16),
    "regnet_y_1_6gf": (27, 48, 20.71, 2.65, 24),
    "regnet_y_3_2gf": (21, 80, 42.63, 2.66, 24),
    "regnet_y_8gf": (17, 192, 76.82, 2.19, 56),
    "regnet_y_16gf": (18, 200, 106.23, 2.48, 112),
    "regnet_y_32gf": (20, 232, 115.89, 2.53, 232),
    "regnet_y_128gf": (27, 456, 160.83, 2.52, 264),
    "regnet_x_400mf": (22, 24, 24.48, 2.54, 16),
    "regnet_x_800mf": (16, 56, 35.73, 2.28, 16),
    "regnet_x_1_6gf": (18, 80, 34.01, 2.25, 24),
    "regnet_x_3_2gf": (25, 88, 26.31, 2.25, 48),
    "regnet_x_8gf": (23, 80, 49.56, 2.88, 120),
    "regnet_x_16gf": (22, 216, 55.59, 2.1, 128),
    "regnet_x_32gf": (23, 320, 69.86, 2.0, 168),
}


def _regnet(arch: str, weights, kwargs: dict) -> RegNet:
    check_weights(weights, arch, kwargs)
    depth, w_0, w_a, w_m, group_width = _SETTINGS[arch]
    se = {"se_ratio": 0.25} if arch.startswith("regnet_y") else {}
    params = BlockParams.from_init_params(
        depth=depth, w_0=w_0, w_a=w_a, w_m=w_m, group_width=group_width, **se, **kwargs
    )
    norm_layer = kwargs.pop("norm_layer", partial(nn.BatchNorm2d, eps=1e-05, momentum=0.1))
    return RegNet(params, norm_layer=norm_layer, **kwargs)


def regnet_y_400mf(*, weights=None, progress: bool = True, **kwargs) -> RegNet:
    """RegNetY-400MF, 4.3 M parameters."""
    return _regnet("regnet_y_400mf", weights, kwargs)


def regnet_y_800mf(*, weights=None, progress: bool = True, **kwargs) -> RegNet:
    """RegNetY-800MF, 6.4 M parameters."""
    return _regnet("regnet_y_800mf", weights, kwargs)


def regnet_y_1_6gf(*, weights=None, progress: bool = True, **kwargs) -> RegNet:
    """RegNetY-1.6GF, 11.2 M parameters."""
    return _regnet("regnet_y_1_6gf", weights, kwargs)


def regnet_y_3_2gf(*, weights=None, progress: bool = True, **kwargs) -> RegNet:
    """RegNetY-3.2GF, 19.4 M parameters."""
    return _regnet("regnet_y_3_2gf", weights, kwargs)


def regnet_y_8gf(*, weights=None, progress: bool = True, **kwargs) -> RegNet:
    """RegNetY-8GF, 39.4 M parameters."""
    return _regnet("regnet_y_8gf", weights, kwargs)


def regnet_y_16gf(*, weights=None, progress: bool = True, **kwargs) -> RegNet:
    """RegNetY-16GF, 83.6 M parameters."""
    return _regnet("regnet_y_16gf", weights, kwargs)


def regnet_y_32gf(*, weights=None, progress: bool = True, **kwargs) -> RegNet:
    """RegNetY-32GF, 145.0 M parameters."""
    return _regnet("regnet_y_32gf", weights, kwargs)


def regnet_y_128gf(*, weights=None, progress: bool = True, **kwargs) -> RegNet:
    """RegNetY-128GF, 644.8 M parameters."""
    return _regnet("regnet_y_128gf", weights, kwargs)


def regnet_x_400mf(*, weights=None, progress: bool = True, **kwargs) -> RegNet:
    """RegNetX-400MF, 5.5 M parameters."""
    return _regnet("regnet_x_400mf", weights, kwargs)


def regnet_x_800mf(*, weights=None, progress: bool = True, **kwargs) -> RegNet:
    """RegNetX-800MF, 7.3 M parameters."""
    return _regnet("regnet_x_800mf", weights, kwargs)


def regnet_x_1_6gf(*, weights=None, progress: bool = True, **kwargs) -> RegNet:
    """RegNetX-1.6GF, 9.2 M parameters."""
    return _regnet("regnet_x_1_6gf", weights, kwargs)


def regnet_x_3_2gf(*, weights=None, progress: bool = True, **kwargs) -> RegNet:
    """RegNetX-3.2GF, 15.3 M parameters."""
    return _regnet("regnet_x_3_2gf", weights, kwargs)


def regnet_x_8gf(*, weights=None, progress: bool = True, **kwargs) -> RegNet:
    """RegNetX-8GF, 39.6 M parameters."""
    return _regnet("regnet_x_8gf", weights, kwargs)


def regnet_x_16gf(*, weights=None, progress: bool = True, **kwargs) -> RegNet:
    """RegNetX-16GF, 54.3 M parameters."""
    return _regnet("regnet_x_16gf", weights, kwargs)


def regnet_x_32gf(*, weights=None, progress: bool = True, **kwargs) -> RegNet:
    """RegNetX-32GF, 107.8 M parameters."""
    return _regnet("regnet_x_32gf", weights, kwargs)
