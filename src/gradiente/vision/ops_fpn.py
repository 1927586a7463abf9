"""torchvision's Feature Pyramid Network (``torchvision.ops.FeaturePyramidNetwork``) and its
extra blocks (``LastLevelMaxPool``, ``LastLevelP6P7``).

An FPN (Lin et al., 2017) turns a backbone's feature maps C2..C5 (finer to coarser) into maps
P2..P5 of one width: a 1×1 "inner" convolution brings each Ci to ``out_channels``; going from
the coarsest down, each lateral map adds the nearest-neighbour upsampling of the level above
(the top-down pathway), and a 3×3 "layer" convolution smooths the sum:

    inner_i = conv1x1_i(Ci) + upsample(inner_{i+1}),     Pi = conv3x3_i(inner_i).

Parameters and their initialisation (Kaiming-uniform with a = 1, zero biases) follow
torchvision, so the same seed gives the same network.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable

from gradiente import nn
from gradiente.nn import functional as F
from gradiente.tensor import Tensor
from gradiente.vision.models.misc import Conv2dNormActivation

__all__ = ["ExtraFPNBlock", "FeaturePyramidNetwork", "LastLevelMaxPool", "LastLevelP6P7"]


class ExtraFPNBlock(nn.Module):
    """The base of the blocks run after the FPN: ``forward(results, x, names)`` takes the FPN
    maps, the backbone's maps and their names, and returns the extended maps and names."""

    def forward(
        self, results: list[Tensor], x: list[Tensor], names: list[str]
    ) -> tuple[list[Tensor], list[str]]:
        raise NotImplementedError


class FeaturePyramidNetwork(nn.Module):
    """An FPN over feature maps given as an ordered dict, finest first (see the module
    docstring); returns an ordered dict of the same names (plus the extra block's)."""

    _version = 2

    def __init__(
        self,
        in_channels_list: list[int],
        out_channels: int,
        extra_blocks: ExtraFPNBlock | None = None,
        norm_layer: Callable[..., nn.Module] | None = None,
    ) -> None:
        super().__init__()
        self.inner_blocks = nn.ModuleList()
        self.layer_blocks = nn.ModuleList()
        for in_channels in in_channels_list:
            if in_channels == 0:
                raise ValueError("in_channels=0 is currently not supported")
            self.inner_blocks.append(
                Conv2dNormActivation(
                    in_channels,
                    out_channels,
                    kernel_size=1,
                    padding=0,
                    norm_layer=norm_layer,
                    activation_layer=None,
                )
            )
            self.layer_blocks.append(
                Conv2dNormActivation(
                    out_channels,
                    out_channels,
                    kernel_size=3,
                    norm_layer=norm_layer,
                    activation_layer=None,
                )
            )
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_uniform_(m.weight, a=1)
                if m.bias is not None:
                    nn.init.constant_(m.bias, 0)
        if extra_blocks is not None and not isinstance(extra_blocks, ExtraFPNBlock):
            raise TypeError(
                f"extra_blocks should be of type ExtraFPNBlock not {type(extra_blocks)}"
            )
        self.extra_blocks = extra_blocks

    def get_result_from_inner_blocks(self, x: Tensor, idx: int) -> Tensor:
        """``self.inner_blocks[idx](x)``."""
        return self.inner_blocks[idx](x)

    def get_result_from_layer_blocks(self, x: Tensor, idx: int) -> Tensor:
        """``self.layer_blocks[idx](x)``."""
        return self.layer_blocks[idx](x)

    def forward(self, x: dict[str, Tensor]) -> dict[str, Tensor]:
        names = list(x.keys())
        maps = list(x.values())
        last_inner = self.get_result_from_inner_blocks(maps[-1], -1)
        results = [self.get_result_from_layer_blocks(last_inner, -1)]
        for idx in range(len(maps) - 2, -1, -1):  # top-down: coarse to fine
            inner_lateral = self.get_result_from_inner_blocks(maps[idx], idx)
            top_down = F.interpolate(last_inner, size=inner_lateral.shape[-2:], mode="nearest")
            last_inner = inner_lateral + top_down
            results.insert(0, self.get_result_from_layer_blocks(last_inner, idx))
        if self.extra_blocks is not None:
            results, names = self.extra_blocks(results, maps, names)
        return OrderedDict(zip(names, results))


class LastLevelMaxPool(ExtraFPNBlock):
    """One more level, "pool": the last FPN map subsampled by 2 (a 1×1 max pool, stride 2)."""

    def forward(self, x: list[Tensor], y: list[Tensor], names: list[str]):
        names.append("pool")
        x.append(F.max_pool2d(x[-1], kernel_size=1, stride=2, padding=0))
        return x, names


class LastLevelP6P7(ExtraFPNBlock):
    """RetinaNet's two more levels: P6 = conv3x3/2 of P5 (of C5 when the widths differ),
    P7 = conv3x3/2 of ReLU(P6)."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.p6 = nn.Conv2d(in_channels, out_channels, 3, 2, 1)
        self.p7 = nn.Conv2d(out_channels, out_channels, 3, 2, 1)
        for module in (self.p6, self.p7):
            nn.init.kaiming_uniform_(module.weight, a=1)
            nn.init.constant_(module.bias, 0)
        self.use_P5 = in_channels == out_channels

    def forward(self, p: list[Tensor], c: list[Tensor], names: list[str]):
        x = p[-1] if self.use_P5 else c[-1]
        p6 = self.p6(x)
        p7 = self.p7(F.relu(p6))
        p.extend([p6, p7])
        names.extend(["p6", "p7"])
        return p, names
