"""ConvNeXt (Liu et al., 2022) with torchvision's module tree: ``convnext_tiny/small/base/large``.

A ResNet modernised step by step towards a Vision Transformer's recipe: a 4×4/4 "patchify"
stem, stages of blocks made of a depthwise 7×7 convolution → LayerNorm → Linear (× 4 channels)
→ GELU → Linear, each block's output scaled per channel by a learned ``layer_scale`` (starting
at 1e-6, so blocks start near the identity) and dropped at random in training (stochastic
depth); LayerNorm and a 2×2/2 convolution between stages. The Linear layers act on the channels,
so the block moves them last (``Permute``) and back. Parameter names as torchvision's:
``features.S.B.block.K``, ``features.S.B.layer_scale``, ``classifier.0/2``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial

from gradiente import nn
from gradiente.nn import functional as F
from gradiente.tensor import Tensor
from gradiente.tensor.factories import ones
from gradiente.vision.models._utils import check_weights
from gradiente.vision.models.misc import Conv2dNormActivation
from gradiente.vision.ops_layers import Permute, StochasticDepth

__all__ = [
    "CNBlockConfig",
    "ConvNeXt",
    "convnext_base",
    "convnext_large",
    "convnext_small",
    "convnext_tiny",
]


class LayerNorm2d(nn.LayerNorm):
    """LayerNorm over the channels of an (N, C, H, W) tensor: normalise each pixel's C values."""

    def forward(self, x: Tensor) -> Tensor:
        x = x.permute(0, 2, 3, 1)
        x = F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
        return x.permute(0, 3, 1, 2)


class CNBlock(nn.Module):
    """``x + StochasticDepth(layer_scale · block(x))``, ``block`` = depthwise 7×7 → (channels
    last) LayerNorm → Linear(4·dim) → GELU → Linear(dim) → (channels first)."""

    def __init__(
        self,
        dim: int,
        layer_scale: float,
        stochastic_depth_prob: float,
        norm_layer: Callable[..., nn.Module] | None = None,
    ) -> None:
        super().__init__()
        if norm_layer is None:
            norm_layer = partial(nn.LayerNorm, eps=1e-6)
        self.block = nn.Sequential(
            nn.Conv2d(dim, dim, kernel_size=7, padding=3, groups=dim, bias=True),
            Permute([0, 2, 3, 1]),
            norm_layer(dim),
            nn.Linear(in_features=dim, out_features=4 * dim, bias=True),
            nn.GELU(),
            nn.Linear(in_features=4 * dim, out_features=dim, bias=True),
            Permute([0, 3, 1, 2]),
        )
        self.layer_scale = nn.Parameter(ones(dim, 1, 1) * layer_scale)
        self.stochastic_depth = StochasticDepth(stochastic_depth_prob, "row")

    def forward(self, input: Tensor) -> Tensor:
        result = self.stochastic_depth(self.layer_scale * self.block(input))
        return result + input


class CNBlockConfig:
    """One stage (Section 3 of the paper): its width, the width after its downsampling layer
    (None: the last stage, no downsampling), and its number of blocks."""

    def __init__(self, input_channels: int, out_channels: int | None, num_layers: int) -> None:
        self.input_channels = input_channels
        self.out_channels = out_channels
        self.num_layers = num_layers

    def __repr__(self) -> str:
        return (
            f"{self.__class__.__name__}(input_channels={self.input_channels}, "
            f"out_channels={self.out_channels}, num_layers={self.num_layers})"
        )


class ConvNeXt(nn.Module):
    """``features``: the 4×4/4 stem (+ LayerNorm2d), then per stage a Sequential of blocks and
    (but the last) a downsampling LayerNorm2d + 2×2/2 convolution; global average pooling;
    ``classifier``: LayerNorm2d, Flatten, Linear.

    Block b of B gets stochastic-depth probability ``stochastic_depth_prob · b / (B − 1)``.
    Initialisation as torchvision's: convolutions and Linear layers truncated N(0, 0.02²) on
    [−2, 2] with zero bias (LayerNorms γ = 1, β = 0).
    """

    def __init__(
        self,
        block_setting: list[CNBlockConfig],
        stochastic_depth_prob: float = 0.0,
        layer_scale: float = 1e-6,
        num_classes: int = 1000,
        block: Callable[..., nn.Module] | None = None,
        norm_layer: Callable[..., nn.Module] | None = None,
        **kwargs,
    ) -> None:
        super().__init__()
        if not block_setting:
            raise ValueError("The block_setting should not be empty")
        if not (
            isinstance(block_setting, Sequence)
            and all(isinstance(s, CNBlockConfig) for s in block_setting)
        ):
            raise TypeError("The block_setting should be List[CNBlockConfig]")
        if block is None:
            block = CNBlock
        if norm_layer is None:
            norm_layer = partial(LayerNorm2d, eps=1e-6)
        firstconv_output_channels = block_setting[0].input_channels
        layers: list[nn.Module] = [
            Conv2dNormActivation(
                3,
                firstconv_output_channels,
                kernel_size=4,
                stride=4,
                padding=0,
                norm_layer=norm_layer,
                activation_layer=None,
                bias=True,
            )
        ]
        total_stage_blocks = sum(cnf.num_layers for cnf in block_setting)
        stage_block_id = 0
        for cnf in block_setting:
            stage: list[nn.Module] = []
            for _ in range(cnf.num_layers):
                sd_prob = stochastic_depth_prob * stage_block_id / (total_stage_blocks - 1.0)
                stage.append(block(cnf.input_channels, layer_scale, sd_prob))
                stage_block_id += 1
            layers.append(nn.Sequential(*stage))
            if cnf.out_channels is not None:
                layers.append(
                    nn.Sequential(
                        norm_layer(cnf.input_channels),
                        nn.Conv2d(cnf.input_channels, cnf.out_channels, kernel_size=2, stride=2),
                    )
                )
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        lastblock = block_setting[-1]
        lastconv_output_channels = (
            lastblock.out_channels
            if lastblock.out_channels is not None
            else lastblock.input_channels
        )
        self.classifier = nn.Sequential(
            norm_layer(lastconv_output_channels),
            nn.Flatten(1),
            nn.Linear(lastconv_output_channels, num_classes),
        )
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.trunc_normal_(m.weight, std=0.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.avgpool(self.features(x)))


# stages (width, next width, blocks) and the default stochastic-depth probability
_SETTINGS = {
    "convnext_tiny": ([(96, 192, 3), (192, 384, 3), (384, 768, 9), (768, None, 3)], 0.1),
    "convnext_small": ([(96, 192, 3), (192, 384, 3), (384, 768, 27), (768, None, 3)], 0.4),
    "convnext_base": ([(128, 256, 3), (256, 512, 3), (512, 1024, 27), (1024, None, 3)], 0.5),
    "convnext_large": ([(192, 384, 3), (384, 768, 3), (768, 1536, 27), (1536, None, 3)], 0.5),
}


def _convnext(arch: str, weights, kwargs: dict) -> ConvNeXt:
    check_weights(weights, arch, kwargs)
    stages, sd_prob = _SETTINGS[arch]
    block_setting = [CNBlockConfig(*stage) for stage in stages]
    stochastic_depth_prob = kwargs.pop("stochastic_depth_prob", sd_prob)
    return ConvNeXt(block_setting, stochastic_depth_prob=stochastic_depth_prob, **kwargs)


def convnext_tiny(*, weights=None, progress: bool = True, **kwargs) -> ConvNeXt:
    """ConvNeXt-T, 28.6 M parameters."""
    return _convnext("convnext_tiny", weights, kwargs)


def convnext_small(*, weights=None, progress: bool = True, **kwargs) -> ConvNeXt:
    """ConvNeXt-S, 50.2 M parameters."""
    return _convnext("convnext_small", weights, kwargs)


def convnext_base(*, weights=None, progress: bool = True, **kwargs) -> ConvNeXt:
    """ConvNeXt-B, 88.6 M parameters."""
    return _convnext("convnext_base", weights, kwargs)


def convnext_large(*, weights=None, progress: bool = True, **kwargs) -> ConvNeXt:
    """ConvNeXt-L, 197.8 M parameters."""
    return _convnext("convnext_large", weights, kwargs)
