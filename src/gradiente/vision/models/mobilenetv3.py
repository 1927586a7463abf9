"""MobileNetV3 (Howard et al., 2019) with torchvision's module tree: ``mobilenet_v3_large``,
``mobilenet_v3_small``.

MobileNetV2's inverted residual (1×1 expand → depthwise k×k → 1×1 linear projection) with three
additions found by architecture search: some blocks gate their channels with Squeeze-and-
Excitation (a hard sigmoid as the gate), deeper blocks use hard-swish x·ReLU6(x + 3)/6 instead
of ReLU, and some depthwise convolutions are 5×5. Parameter names as torchvision's:
``features.N.block.K...``, ``classifier.0/3``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial

from gradiente import nn
from gradiente.tensor import Tensor
from gradiente.vision.models._utils import check_weights, make_divisible
from gradiente.vision.models.misc import Conv2dNormActivation
from gradiente.vision.ops_layers import SqueezeExcitation

__all__ = [
    "InvertedResidualConfig",
    "MobileNetV3",
    "mobilenet_v3_large",
    "mobilenet_v3_small",
]


class InvertedResidualConfig:
    """One row of the paper's Tables 1 and 2: the block's widths (scaled by ``width_mult`` and
    rounded to multiples of 8), kernel size, whether it has SE, its activation ("RE" ReLU or
    "HS" hard-swish), stride and dilation."""

    def __init__(
        self,
        input_channels: int,
        kernel: int,
        expanded_channels: int,
        out_channels: int,
        use_se: bool,
        activation: str,
        stride: int,
        dilation: int,
        width_mult: float,
    ) -> None:
        self.input_channels = self.adjust_channels(input_channels, width_mult)
        self.kernel = kernel
        self.expanded_channels = self.adjust_channels(expanded_channels, width_mult)
        self.out_channels = self.adjust_channels(out_channels, width_mult)
        self.use_se = use_se
        self.use_hs = activation == "HS"
        self.stride = stride
        self.dilation = dilation

    @staticmethod
    def adjust_channels(channels: int, width_mult: float) -> int:
        return make_divisible(channels * width_mult, 8)


# MobileNetV3's Squeeze-and-Excitation gates with a hard sigmoid ReLU6(x + 3) / 6
_HARD_SE = partial(SqueezeExcitation, scale_activation=nn.Hardsigmoid)


class InvertedResidual(nn.Module):
    """1×1 expand (skipped when the width does not change) → depthwise k×k → optional SE →
    1×1 project (no activation); plus the input when stride is 1 and the width is kept."""

    def __init__(
        self,
        cnf: InvertedResidualConfig,
        norm_layer: Callable[..., nn.Module],
        se_layer: Callable[..., nn.Module] = _HARD_SE,
    ) -> None:
        super().__init__()
        if not (1 <= cnf.stride <= 2):
            raise ValueError("illegal stride value")
        self.use_res_connect = cnf.stride == 1 and cnf.input_channels == cnf.out_channels
        layers: list[nn.Module] = []
        activation_layer = nn.Hardswish if cnf.use_hs else nn.ReLU
        if cnf.expanded_channels != cnf.input_channels:
            layers.append(
                Conv2dNormActivation(
                    cnf.input_channels,
                    cnf.expanded_channels,
                    kernel_size=1,
                    norm_layer=norm_layer,
                    activation_layer=activation_layer,
                )
            )
        stride = 1 if cnf.dilation > 1 else cnf.stride  # dilated blocks keep the size
        layers.append(
            Conv2dNormActivation(
                cnf.expanded_channels,
                cnf.expanded_channels,
                kernel_size=cnf.kernel,
                stride=stride,
                dilation=cnf.dilation,
                groups=cnf.expanded_channels,
                norm_layer=norm_layer,
                activation_layer=activation_layer,
            )
        )
        if cnf.use_se:
            squeeze_channels = make_divisible(cnf.expanded_channels // 4, 8)
            layers.append(se_layer(cnf.expanded_channels, squeeze_channels))
        layers.append(
            Conv2dNormActivation(
                cnf.expanded_channels,
                cnf.out_channels,
                kernel_size=1,
                norm_layer=norm_layer,
                activation_layer=None,
            )
        )
        self.block = nn.Sequential(*layers)
        self.out_channels = cnf.out_channels
        self._is_cn = cnf.stride > 1

    def forward(self, input: Tensor) -> Tensor:
        result = self.block(input)
        if self.use_res_connect:
            result = result + input
        return result


class MobileNetV3(nn.Module):
    """``features``: a 3×3/2 stem (hard-swish), the inverted residuals of the setting, a 1×1
    convolution to 6× the last width; global average pooling; ``classifier``: Linear →
    hard-swish → Dropout → Linear.

    BatchNorm is ``eps=0.001, momentum=0.01``. Initialisation as torchvision's: convolutions
    ``kaiming_normal_(mode="fan_out")`` with zero bias, BatchNorm γ = 1, β = 0, Linear
    N(0, 0.01²) with zero bias.
    """

    def __init__(
        self,
        inverted_residual_setting: list[InvertedResidualConfig],
        last_channel: int,
        num_classes: int = 1000,
        block: Callable[..., nn.Module] | None = None,
        norm_layer: Callable[..., nn.Module] | None = None,
        dropout: float = 0.2,
        **kwargs,
    ) -> None:
        super().__init__()
        if not inverted_residual_setting:
            raise ValueError("The inverted_residual_setting should not be empty")
        if not (
            isinstance(inverted_residual_setting, Sequence)
            and all(isinstance(s, InvertedResidualConfig) for s in inverted_residual_setting)
        ):
            raise TypeError("The inverted_residual_setting should be List[InvertedResidualConfig]")
        if block is None:
            block = InvertedResidual
        if norm_layer is None:
            norm_layer = partial(nn.BatchNorm2d, eps=0.001, momentum=0.01)
        firstconv_output_channels = inverted_residual_setting[0].input_channels
        layers: list[nn.Module] = [
            Conv2dNormActivation(
                3,
                firstconv_output_channels,
                kernel_size=3,
                stride=2,
                norm_layer=norm_layer,
                activation_layer=nn.Hardswish,
            )
        ]
        for cnf in inverted_residual_setting:
            layers.append(block(cnf, norm_layer))
        lastconv_input_channels = inverted_residual_setting[-1].out_channels
        lastconv_output_channels = 6 * lastconv_input_channels
        layers.append(
            Conv2dNormActivation(
                lastconv_input_channels,
                lastconv_output_channels,
                kernel_size=1,
                norm_layer=norm_layer,
                activation_layer=nn.Hardswish,
            )
        )
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(
            nn.Linear(lastconv_output_channels, last_channel),
            nn.Hardswish(inplace=True),
            nn.Dropout(p=dropout, inplace=True),
            nn.Linear(last_channel, num_classes),
        )
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0, 0.01)
                nn.init.zeros_(m.bias)

    def forward(self, x: Tensor) -> Tensor:
        x = self.avgpool(self.features(x)).flatten(1)
        return self.classifier(x)


def _mobilenet_v3_conf(
    arch: str,
    width_mult: float = 1.0,
    reduced_tail: bool = False,
    dilated: bool = False,
    **kwargs,
) -> tuple[list[InvertedResidualConfig], int]:
    """The block settings and classifier width of ``arch``. ``reduced_tail`` halves the last
    stage's widths, ``dilated`` dilates it instead of striding (for segmentation backbones)."""
    rd = 2 if reduced_tail else 1
    dil = 2 if dilated else 1
    bneck = partial(InvertedResidualConfig, width_mult=width_mult)
    # input, kernel, expanded, output, SE, activation, stride, dilation
    if arch == "mobilenet_v3_large":
        setting = [
            bneck(16, 3, 16, 16, False, "RE", 1, 1),
            bneck(16, 3, 64, 24, False, "RE", 2, 1),  # C1
            bneck(24, 3, 72, 24, False, "RE", 1, 1),
            bneck(24, 5, 72, 40, True, "RE", 2, 1),  # C2
            bneck(40, 5, 120, 40, True, "RE", 1, 1),
            bneck(40, 5, 120, 40, True, "RE", 1, 1),
            bneck(40, 3, 240, 80, False, "HS", 2, 1),  # C3
            bneck(80, 3, 200, 80, False, "HS", 1, 1),
            bneck(80, 3, 184, 80, False, "HS", 1, 1),
            bneck(80, 3, 184, 80, False, "HS", 1, 1),
            bneck(80, 3, 480, 112, True, "HS", 1, 1),
            bneck(112, 3, 672, 112, True, "HS", 1, 1),
            bneck(112, 5, 672, 160 // rd, True, "HS", 2, dil),  # C4
            bneck(160 // rd, 5, 960 // rd, 160 // rd, True, "HS", 1, dil),
            bneck(160 // rd, 5, 960 // rd, 160 // rd, True, "HS", 1, dil),
        ]
        last_channel = InvertedResidualConfig.adjust_channels(1280 // rd, width_mult)  # C5
    elif arch == "mobilenet_v3_small":
        setting = [
            bneck(16, 3, 16, 16, True, "RE", 2, 1),  # C1
            bneck(16, 3, 72, 24, False, "RE", 2, 1),  # C2
            bneck(24, 3, 88, 24, False, "RE", 1, 1),
            bneck(24, 5, 96, 40, True, "HS", 2, 1),  # C3
            bneck(40, 5, 240, 40, True, "HS", 1, 1),
            bneck(40, 5, 240, 40, True, "HS", 1, 1),
            bneck(40, 5, 120, 48, True, "HS", 1, 1),
            bneck(48, 5, 144, 48, True, "HS", 1, 1),
            bneck(48, 5, 288, 96 // rd, True, "HS", 2, dil),  # C4
            bneck(96 // rd, 5, 576 // rd, 96 // rd, True, "HS", 1, dil),
            bneck(96 // rd, 5, 576 // rd, 96 // rd, True, "HS", 1, dil),
        ]
        last_channel = InvertedResidualConfig.adjust_channels(1024 // rd, width_mult)  # C5
    else:
        raise ValueError(f"Unsupported model type {arch}")
    return setting, last_channel


def _mobilenet_v3(arch: str, weights, kwargs: dict) -> MobileNetV3:
    check_weights(weights, arch, kwargs)
    setting, last_channel = _mobilenet_v3_conf(arch, **kwargs)
    return MobileNetV3(setting, last_channel, **kwargs)


def mobilenet_v3_large(*, weights=None, progress: bool = True, **kwargs) -> MobileNetV3:
    """MobileNetV3-Large, 5.5 M parameters for 1000 classes (``weights`` must be None)."""
    return _mobilenet_v3("mobilenet_v3_large", weights, kwargs)


def mobilenet_v3_small(*, weights=None, progress: bool = True, **kwargs) -> MobileNetV3:
    """MobileNetV3-Small, 2.5 M parameters for 1000 classes (``weights`` must be None)."""
    return _mobilenet_v3("mobilenet_v3_small", weights, kwargs)
