"""ShuffleNetV2 (Ma et al., 2018) with torchvision's module tree: ``shufflenet_v2_x0_5``,
``x1_0``, ``x1_5``, ``x2_0``.

A unit splits its channels in two halves: one passes through untouched, the other goes through
1×1 → depthwise 3×3 → 1×1; the halves are concatenated and *shuffled* (channels of the two
halves interleaved) so information crosses between them in the next unit. A downsampling unit
(stride 2) sends the whole input down both branches instead, doubling the channels.
Parameter names as torchvision's: ``conv1``, ``stage2..4.N.branch1/2.K``, ``conv5``, ``fc``.
"""

from __future__ import annotations

from collections.abc import Callable

from gradiente import nn
from gradiente.tensor import Tensor
from gradiente.tensor.toplevel import cat
from gradiente.vision.models._utils import check_weights

__all__ = [
    "ShuffleNetV2",
    "shufflenet_v2_x0_5",
    "shufflenet_v2_x1_0",
    "shufflenet_v2_x1_5",
    "shufflenet_v2_x2_0",
]


def channel_shuffle(x: Tensor, groups: int) -> Tensor:
    """Interleave the channels of ``groups`` groups: (N, g·c, H, W) → view (N, g, c, H, W) →
    swap g and c → (N, c·g, H, W), so channel k of every group ends up side by side."""
    batchsize, num_channels, height, width = x.size()
    channels_per_group = num_channels // groups
    x = x.view(batchsize, groups, channels_per_group, height, width)
    x = x.transpose(1, 2).contiguous()
    return x.view(batchsize, num_channels, height, width)


class InvertedResidual(nn.Module):
    """A ShuffleNetV2 unit: at stride 1, ``cat(x₁, branch2(x₂))`` of the two channel halves;
    at stride > 1, ``cat(branch1(x), branch2(x))``; then a channel shuffle."""

    def __init__(self, inp: int, oup: int, stride: int) -> None:
        super().__init__()
        if not (1 <= stride <= 3):
            raise ValueError("illegal stride value")
        self.stride = stride
        branch_features = oup // 2
        if (self.stride == 1) and (inp != branch_features << 1):
            raise ValueError(
                f"Invalid combination of stride {stride}, inp {inp} and oup {oup} values. If "
                "stride == 1 then inp should be equal to oup // 2 << 1."
            )
        if self.stride > 1:
            self.branch1 = nn.Sequential(
                self.depthwise_conv(inp, inp, kernel_size=3, stride=self.stride, padding=1),
                nn.BatchNorm2d(inp),
                nn.Conv2d(inp, branch_features, kernel_size=1, stride=1, padding=0, bias=False),
                nn.BatchNorm2d(branch_features),
                nn.ReLU(inplace=True),
            )
        else:
            self.branch1 = nn.Sequential()
        self.branch2 = nn.Sequential(
            nn.Conv2d(
                inp if (self.stride > 1) else branch_features,
                branch_features,
                kernel_size=1,
                stride=1,
                padding=0,
                bias=False,
            ),
            nn.BatchNorm2d(branch_features),
            nn.ReLU(inplace=True),
            self.depthwise_conv(
                branch_features, branch_features, kernel_size=3, stride=self.stride, padding=1
            ),
            nn.BatchNorm2d(branch_features),
            nn.Conv2d(
                branch_features, branch_features, kernel_size=1, stride=1, padding=0, bias=False
            ),
            nn.BatchNorm2d(branch_features),
            nn.ReLU(inplace=True),
        )

    @staticmethod
    def depthwise_conv(
        i: int, o: int, kernel_size: int, stride: int = 1, padding: int = 0, bias: bool = False
    ) -> nn.Conv2d:
        """A convolution with one filter group per input channel."""
        return nn.Conv2d(i, o, kernel_size, stride, padding, bias=bias, groups=i)

    def forward(self, x: Tensor) -> Tensor:
        if self.stride == 1:
            x1, x2 = x.chunk(2, dim=1)
            out = cat((x1, self.branch2(x2)), dim=1)
        else:
            out = cat((self.branch1(x), self.branch2(x)), dim=1)
        return channel_shuffle(out, 2)


class ShuffleNetV2(nn.Module):
    """A 3×3/2 stem and 3×3/2 max-pool, three stages (``stages_repeats`` units, the first
    downsampling), a 1×1 convolution, global average pooling, ``fc``.

    No custom initialisation: PyTorch's layer defaults, as in torchvision.
    """

    def __init__(
        self,
        stages_repeats: list[int],
        stages_out_channels: list[int],
        num_classes: int = 1000,
        inverted_residual: Callable[..., nn.Module] = InvertedResidual,
    ) -> None:
        super().__init__()
        if len(stages_repeats) != 3:
            raise ValueError("expected stages_repeats as list of 3 positive ints")
        if len(stages_out_channels) != 5:
            raise ValueError("expected stages_out_channels as list of 5 positive ints")
        self._stage_out_channels = stages_out_channels
        input_channels = 3
        output_channels = self._stage_out_channels[0]
        self.conv1 = nn.Sequential(
            nn.Conv2d(input_channels, output_channels, 3, 2, 1, bias=False),
            nn.BatchNorm2d(output_channels),
            nn.ReLU(inplace=True),
        )
        input_channels = output_channels
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        stage_names = [f"stage{i}" for i in [2, 3, 4]]
        for name, repeats, output_channels in zip(
            stage_names, stages_repeats, self._stage_out_channels[1:], strict=False
        ):
            seq = [inverted_residual(input_channels, output_channels, 2)]
            for _ in range(repeats - 1):
                seq.append(inverted_residual(output_channels, output_channels, 1))
            setattr(self, name, nn.Sequential(*seq))
            input_channels = output_channels
        output_channels = self._stage_out_channels[-1]
        self.conv5 = nn.Sequential(
            nn.Conv2d(input_channels, output_channels, 1, 1, 0, bias=False),
            nn.BatchNorm2d(output_channels),
            nn.ReLU(inplace=True),
        )
        self.fc = nn.Linear(output_channels, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        x = self.maxpool(self.conv1(x))
        x = self.stage4(self.stage3(self.stage2(x)))
        x = self.conv5(x).mean([2, 3])  # global average pooling
        return self.fc(x)


def _shufflenetv2(name: str, weights, out_channels: list[int], kwargs: dict) -> ShuffleNetV2:
    check_weights(weights, name, kwargs)
    return ShuffleNetV2([4, 8, 4], out_channels, **kwargs)


def shufflenet_v2_x0_5(*, weights=None, progress: bool = True, **kwargs) -> ShuffleNetV2:
    """ShuffleNetV2 with 0.5× output channels, 1.4 M parameters."""
    return _shufflenetv2("shufflenet_v2_x0_5", weights, [24, 48, 96, 192, 1024], kwargs)


def shufflenet_v2_x1_0(*, weights=None, progress: bool = True, **kwargs) -> ShuffleNetV2:
    """ShuffleNetV2 with 1.0× output channels, 2.3 M parameters."""
    return _shufflenetv2("shufflenet_v2_x1_0", weights, [24, 116, 232, 464, 1024], kwargs)


def shufflenet_v2_x1_5(*, weights=None, progress: bool = True, **kwargs) -> ShuffleNetV2:
    """ShuffleNetV2 with 1.5× output channels, 3.5 M parameters."""
    return _shufflenetv2("shufflenet_v2_x1_5", weights, [24, 176, 352, 704, 1024], kwargs)


def shufflenet_v2_x2_0(*, weights=None, progress: bool = True, **kwargs) -> ShuffleNetV2:
    """ShuffleNetV2 with 2.0× output channels, 7.4 M parameters."""
    return _shufflenetv2("shufflenet_v2_x2_0", weights, [24, 244, 488, 976, 2048], kwargs)
