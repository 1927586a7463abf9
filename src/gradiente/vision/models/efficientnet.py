"""EfficientNet (Tan & Le, 2019) and EfficientNetV2 (2021) with torchvision's module tree:
``efficientnet_b0`` … ``b7``, ``efficientnet_v2_s/m/l``.

The block is MBConv: MobileNetV2's inverted residual with SiLU activations and a
Squeeze-and-Excitation gate, its residual branch dropped at random in training (stochastic
depth, the probability growing linearly with depth). B0 was found by architecture search;
B1–B7 scale its widths (``width_mult``) and depths (``depth_mult``) together. V2 starts with
*fused* MBConv blocks (one full k×k convolution instead of 1×1 + depthwise), faster on early,
large feature maps. Parameter names as torchvision's: ``features.S.B.block.K...``,
``classifier.1``.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

from gradiente import nn
from gradiente.tensor import Tensor
from gradiente.vision.models._utils import check_weights, make_divisible
from gradiente.vision.models.misc import Conv2dNormActivation
from gradiente.vision.ops_layers import SqueezeExcitation, StochasticDepth

__all__ = [
    "EfficientNet",
    "FusedMBConvConfig",
    "MBConvConfig",
    "efficientnet_b0",
    "efficientnet_b1",
    "efficientnet_b2",
    "efficientnet_b3",
    "efficientnet_b4",
    "efficientnet_b5",
    "efficientnet_b6",
    "efficientnet_b7",
    "efficientnet_v2_l",
    "efficientnet_v2_m",
    "efficientnet_v2_s",
]


@dataclass
class _MBConvConfig:
    """One stage: expansion ratio, kernel, stride of its first block, widths, block count."""

    expand_ratio: float
    kernel: int
    stride: int
    input_channels: int
    out_channels: int
    num_layers: int
    block: Callable[..., nn.Module]

    @staticmethod
    def adjust_channels(channels: int, width_mult: float, min_value: int | None = None) -> int:
        return make_divisible(channels * width_mult, 8, min_value)


class MBConvConfig(_MBConvConfig):
    """A stage of MBConv blocks (Table 1 of the EfficientNet paper), its widths scaled by
    ``width_mult`` and its block count by ``depth_mult`` (rounded up)."""

    def __init__(
        self,
        expand_ratio: float,
        kernel: int,
        stride: int,
        input_channels: int,
        out_channels: int,
        num_layers: int,
        width_mult: float = 1.0,
        depth_mult: float = 1.0,
        block: Callable[..., nn.Module] | None = None,
    ) -> None:
        input_channels = self.adjust_channels(input_channels, width_mult)
        out_channels = self.adjust_channels(out_channels, width_mult)
        num_layers = self.adjust_depth(num_layers, depth_mult)
        if block is None:
            block = MBConv
        super().__init__(
            expand_ratio, kernel, stride, input_channels, out_channels, num_layers, block
        )

    @staticmethod
    def adjust_depth(num_layers: int, depth_mult: float) -> int:
        return int(math.ceil(num_layers * depth_mult))


class FusedMBConvConfig(_MBConvConfig):
    """A stage of fused MBConv blocks (Table 4 of the EfficientNetV2 paper)."""

    def __init__(
        self,
        expand_ratio: float,
        kernel: int,
        stride: int,
        input_channels: int,
        out_channels: int,
        num_layers: int,
        block: Callable[..., nn.Module] | None = None,
    ) -> None:
        if block is None:
            block = FusedMBConv
        super().__init__(
            expand_ratio, kernel, stride, input_channels, out_channels, num_layers, block
        )


class _Residual(nn.Module):
    """What both MBConv blocks share: ``block(x)``, plus ``x`` when the shape is kept — the
    branch then passing through stochastic depth."""

    def forward(self, input: Tensor) -> Tensor:
        result = self.block(input)
        if self.use_res_connect:
            result = self.stochastic_depth(result) + input
        return result


class MBConv(_Residual):
    """1×1 expand (SiLU) → depthwise k×k (SiLU) → SE (squeeze to input/4 channels) → 1×1
    project; the residual branch under ``StochasticDepth(stochastic_depth_prob, "row")``."""

    def __init__(
        self,
        cnf: MBConvConfig,
        stochastic_depth_prob: float,
        norm_layer: Callable[..., nn.Module],
        se_layer: Callable[..., nn.Module] = SqueezeExcitation,
    ) -> None:
        super().__init__()
        if not (1 <= cnf.stride <= 2):
            raise ValueError("illegal stride value")
        self.use_res_connect = cnf.stride == 1 and cnf.input_channels == cnf.out_channels
        layers: list[nn.Module] = []
        activation_layer = nn.SiLU
        expanded_channels = cnf.adjust_channels(cnf.input_channels, cnf.expand_ratio)
        if expanded_channels != cnf.input_channels:
            layers.append(
                Conv2dNormActivation(
                    cnf.input_channels,
                    expanded_channels,
                    kernel_size=1,
                    norm_layer=norm_layer,
                    activation_layer=activation_layer,
                )
            )
        layers.append(
            Conv2dNormActivation(
                expanded_channels,
                expanded_channels,
                kernel_size=cnf.kernel,
                stride=cnf.stride,
                groups=expanded_channels,
                norm_layer=norm_layer,
                activation_layer=activation_layer,
            )
        )
        squeeze_channels = max(1, cnf.input_channels // 4)
        layers.append(
            se_layer(expanded_channels, squeeze_channels, activation=partial(nn.SiLU, inplace=True))
        )
        layers.append(
            Conv2dNormActivation(
                expanded_channels,
                cnf.out_channels,
                kernel_size=1,
                norm_layer=norm_layer,
                activation_layer=None,
            )
        )
        self.block = nn.Sequential(*layers)
        self.stochastic_depth = StochasticDepth(stochastic_depth_prob, "row")
        self.out_channels = cnf.out_channels


class FusedMBConv(_Residual):
    """k×k expand (SiLU) → 1×1 project; or, with ``expand_ratio == 1``, one k×k convolution
    (SiLU). The residual branch under stochastic depth, as MBConv."""

    def __init__(
        self,
        cnf: FusedMBConvConfig,
        stochastic_depth_prob: float,
        norm_layer: Callable[..., nn.Module],
    ) -> None:
        super().__init__()
        if not (1 <= cnf.stride <= 2):
            raise ValueError("illegal stride value")
        self.use_res_connect = cnf.stride == 1 and cnf.input_channels == cnf.out_channels
        layers: list[nn.Module] = []
        activation_layer = nn.SiLU
        expanded_channels = cnf.adjust_channels(cnf.input_channels, cnf.expand_ratio)
        if expanded_channels != cnf.input_channels:
            layers.append(
                Conv2dNormActivation(
                    cnf.input_channels,
                    expanded_channels,
                    kernel_size=cnf.kernel,
                    stride=cnf.stride,
                    norm_layer=norm_layer,
                    activation_layer=activation_layer,
                )
            )
            layers.append(
                Conv2dNormActivation(
                    expanded_channels,
                    cnf.out_channels,
                    kernel_size=1,
                    norm_layer=norm_layer,
                    activation_layer=None,
                )
            )
        else:
            layers.append(
                Conv2dNormActivation(
                    cnf.input_channels,
                    cnf.out_channels,
                    kernel_size=cnf.kernel,
                    stride=cnf.stride,
                    norm_layer=norm_layer,
                    activation_layer=activation_layer,
                )
            )
        self.block = nn.Sequential(*layers)
        self.stochastic_depth = StochasticDepth(stochastic_depth_prob, "row")
        self.out_channels = cnf.out_channels


class EfficientNet(nn.Module):
    """``features``: a 3×3/2 stem (SiLU), one ``nn.Sequential`` per stage of the setting, a
    1×1 convolution (to ``last_channel``, or 4× the last width); global average pooling;
    ``classifier``: Dropout, Linear.

    Block b of the B blocks gets stochastic-depth probability ``stochastic_depth_prob · b / B``.
    Initialisation as torchvision's: convolutions ``kaiming_normal_(mode="fan_out")``, zero
    biases, BatchNorm γ = 1, β = 0, Linear U(−1/√out, 1/√out).
    """

    def __init__(
        self,
        inverted_residual_setting: Sequence[MBConvConfig | FusedMBConvConfig],
        dropout: float,
        stochastic_depth_prob: float = 0.2,
        num_classes: int = 1000,
        norm_layer: Callable[..., nn.Module] | None = None,
        last_channel: int | None = None,
    ) -> None:
        super().__init__()
        if not inverted_residual_setting:
            raise ValueError("The inverted_residual_setting should not be empty")
        if not (
            isinstance(inverted_residual_setting, Sequence)
            and all(isinstance(s, _MBConvConfig) for s in inverted_residual_setting)
        ):
            raise TypeError("The inverted_residual_setting should be List[MBConvConfig]")
        if norm_layer is None:
            norm_layer = nn.BatchNorm2d
        firstconv_output_channels = inverted_residual_setting[0].input_channels
        layers: list[nn.Module] = [
            Conv2dNormActivation(
                3,
                firstconv_output_channels,
                kernel_size=3,
                stride=2,
                norm_layer=norm_layer,
                activation_layer=nn.SiLU,
            )
        ]
        total_stage_blocks = sum(cnf.num_layers for cnf in inverted_residual_setting)
        stage_block_id = 0
        for cnf in inverted_residual_setting:
            stage: list[nn.Module] = []
            for _ in range(cnf.num_layers):
                block_cnf = copy.copy(cnf)  # the stage's later blocks keep the width, stride 1
                if stage:
                    block_cnf.input_channels = block_cnf.out_channels
                    block_cnf.stride = 1
                sd_prob = stochastic_depth_prob * float(stage_block_id) / total_stage_blocks
                stage.append(block_cnf.block(block_cnf, sd_prob, norm_layer))
                stage_block_id += 1
            layers.append(nn.Sequential(*stage))
        lastconv_input_channels = inverted_residual_setting[-1].out_channels
        lastconv_output_channels = (
            last_channel if last_channel is not None else 4 * lastconv_input_channels
        )
        layers.append(
            Conv2dNormActivation(
                lastconv_input_channels,
                lastconv_output_channels,
                kernel_size=1,
                norm_layer=norm_layer,
                activation_layer=nn.SiLU,
            )
        )
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout, inplace=True),
            nn.Linear(lastconv_output_channels, num_classes),
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
                init_range = 1.0 / math.sqrt(m.out_features)
                nn.init.uniform_(m.weight, -init_range, init_range)
                nn.init.zeros_(m.bias)

    def forward(self, x: Tensor) -> Tensor:
        x = self.avgpool(self.features(x)).flatten(1)
        return self.classifier(x)


def _efficientnet_conf(arch: str, width_mult: float = 1.0, depth_mult: float = 1.0):
    """The stage settings of ``arch`` and its ``last_channel`` (None: 4× the last width)."""
    if arch.startswith("efficientnet_b"):
        bneck = partial(MBConvConfig, width_mult=width_mult, depth_mult=depth_mult)
        # expand, kernel, stride, input, output, blocks
        setting = [
            bneck(1, 3, 1, 32, 16, 1),
            bneck(6, 3, 2, 16, 24, 2),
            bneck(6, 5, 2, 24, 40, 2),
            bneck(6, 3, 2, 40, 80, 3),
            bneck(6, 5, 1, 80, 112, 3),
            bneck(6, 5, 2, 112, 192, 4),
            bneck(6, 3, 1, 192, 320, 1),
        ]
        return setting, None
    fused, mb = FusedMBConvConfig, MBConvConfig
    if arch == "efficientnet_v2_s":
        setting = [
            fused(1, 3, 1, 24, 24, 2),
            fused(4, 3, 2, 24, 48, 4),
            fused(4, 3, 2, 48, 64, 4),
            mb(4, 3, 2, 64, 128, 6),
            mb(6, 3, 1, 128, 160, 9),
            mb(6, 3, 2, 160, 256, 15),
        ]
    elif arch == "efficientnet_v2_m":
        setting = [
            fused(1, 3, 1, 24, 24, 3),
            fused(4, 3, 2, 24, 48, 5),
            fused(4, 3, 2, 48, 80, 5),
            mb(4, 3, 2, 80, 160, 7),
            mb(6, 3, 1, 160, 176, 14),
            mb(6, 3, 2, 176, 304, 18),
            mb(6, 3, 1, 304, 512, 5),
        ]
    elif arch == "efficientnet_v2_l":
        setting = [
            fused(1, 3, 1, 32, 32, 4),
            fused(4, 3, 2, 32, 64, 7),
            fused(4, 3, 2, 64, 96, 7),
            mb(4, 3, 2, 96, 192, 10),
            mb(6, 3, 1, 192, 224, 19),
            mb(6, 3, 2, 224, 384, 25),
            mb(6, 3, 1, 384, 640, 7),
        ]
    else:
        raise ValueError(f"Unsupported model type {arch}")
    return setting, 1280


# builder: (width_mult, depth_mult, default dropout, BatchNorm eps/momentum or None)
_B_MOMENTUM = partial(nn.BatchNorm2d, eps=0.001, momentum=0.01)
_V2_EPS = partial(nn.BatchNorm2d, eps=1e-03)
_CONFIGS = {
    "efficientnet_b0": (1.0, 1.0, 0.2, None),
    "efficientnet_b1": (1.0, 1.1, 0.2, None),
    "efficientnet_b2": (1.1, 1.2, 0.3, None),
    "efficientnet_b3": (1.2, 1.4, 0.3, None),
    "efficientnet_b4": (1.4, 1.8, 0.4, None),
    "efficientnet_b5": (1.6, 2.2, 0.4, _B_MOMENTUM),
    "efficientnet_b6": (1.8, 2.6, 0.5, _B_MOMENTUM),
    "efficientnet_b7": (2.0, 3.1, 0.5, _B_MOMENTUM),
    "efficientnet_v2_s": (1.0, 1.0, 0.2, _V2_EPS),
    "efficientnet_v2_m": (1.0, 1.0, 0.3, _V2_EPS),
    "efficientnet_v2_l": (1.0, 1.0, 0.4, _V2_EPS),
}


def _efficientnet(arch: str, weights, kwargs: dict) -> EfficientNet:
    check_weights(weights, arch, kwargs)
    width_mult, depth_mult, dropout, norm_layer = _CONFIGS[arch]
    setting, last_channel = _efficientnet_conf(arch, width_mult, depth_mult)
    if norm_layer is not None:
        kwargs["norm_layer"] = norm_layer
    return EfficientNet(
        setting, kwargs.pop("dropout", dropout), last_channel=last_channel, **kwargs
    )


def efficientnet_b0(*, weights=None, progress: bool = True, **kwargs) -> EfficientNet:
    """EfficientNet-B0, 5.3 M parameters (``weights`` must be None)."""
    return _efficientnet("efficientnet_b0", weights, kwargs)


def efficientnet_b1(*, weights=None, progress: bool = True, **kwargs) -> EfficientNet:
    """EfficientNet-B1 (depth × 1.1), 7.8 M parameters."""
    return _efficientnet("efficientnet_b1", weights, kwargs)


def efficientnet_b2(*, weights=None, progress: bool = True, **kwargs) -> EfficientNet:
    """EfficientNet-B2 (width × 1.1, depth × 1.2), 9.1 M parameters."""
    return _efficientnet("efficientnet_b2", weights, kwargs)


def efficientnet_b3(*, weights=None, progress: bool = True, **kwargs) -> EfficientNet:
    """EfficientNet-B3 (width × 1.2, depth × 1.4), 12.2 M parameters."""
    return _efficientnet("efficientnet_b3", weights, kwargs)


def efficientnet_b4(*, weights=None, progress: bool = True, **kwargs) -> EfficientNet:
    """EfficientNet-B4 (width × 1.4, depth × 1.8), 19.3 M parameters."""
    return _efficientnet("efficientnet_b4", weights, kwargs)


def efficientnet_b5(*, weights=None, progress: bool = True, **kwargs) -> EfficientNet:
    """EfficientNet-B5 (width × 1.6, depth × 2.2), 30.4 M parameters."""
    return _efficientnet("efficientnet_b5", weights, kwargs)


def efficientnet_b6(*, weights=None, progress: bool = True, **kwargs) -> EfficientNet:
    """EfficientNet-B6 (width × 1.8, depth × 2.6), 43.0 M parameters."""
    return _efficientnet("efficientnet_b6", weights, kwargs)


def efficientnet_b7(*, weights=None, progress: bool = True, **kwargs) -> EfficientNet:
    """EfficientNet-B7 (width × 2.0, depth × 3.1), 66.3 M parameters."""
    return _efficientnet("efficientnet_b7", weights, kwargs)


def efficientnet_v2_s(*, weights=None, progress: bool = True, **kwargs) -> EfficientNet:
    """EfficientNetV2-S, 21.5 M parameters."""
    return _efficientnet("efficientnet_v2_s", weights, kwargs)


def efficientnet_v2_m(*, weights=None, progress: bool = True, **kwargs) -> EfficientNet:
    """EfficientNetV2-M, 54.1 M parameters."""
    return _efficientnet("efficientnet_v2_m", weights, kwargs)


def efficientnet_v2_l(*, weights=None, progress: bool = True, **kwargs) -> EfficientNet:
    """EfficientNetV2-L, 118.5 M parameters."""
    return _efficientnet("efficientnet_v2_l", weights, kwargs)
