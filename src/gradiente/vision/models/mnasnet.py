"""MnasNet (Tan et al., 2018) with torchvision's module tree: ``mnasnet0_5``, ``mnasnet0_75``,
``mnasnet1_0``, ``mnasnet1_3`` (the B1 variant found by platform-aware architecture search).

The network is MobileNetV2's inverted residual (1×1 expansion → depthwise k×k → linear 1×1
projection, a skip connection where shapes allow) stacked in stages whose kernel sizes (3 or
5), expansion factors (3 or 6) and repeats the search chose. ``alpha`` scales every stage's
width, rounded to a multiple of 8. BatchNorm momentum is 1 − 0.9997 (TensorFlow's 0.9997).
"""

from __future__ import annotations

import warnings

from gradiente import nn
from gradiente.tensor import Tensor
from gradiente.vision.models._utils import check_weights

__all__ = ["MNASNet", "mnasnet0_5", "mnasnet0_75", "mnasnet1_0", "mnasnet1_3"]

# the paper's TensorFlow momentum 0.9997 in PyTorch's convention (1 − TensorFlow's)
_BN_MOMENTUM = 1 - 0.9997


class _InvertedResidual(nn.Module):
    """1×1 expansion (``in_ch`` × ``expansion_factor``) → BN → ReLU → depthwise
    ``kernel_size`` × ``kernel_size`` (``stride``) → BN → ReLU → 1×1 projection → BN; the input
    is added when the shape is kept (``in_ch == out_ch`` and stride 1)."""

    def __init__(
        self,
        in_ch: int,
        out_ch: int,
        kernel_size: int,
        stride: int,
        expansion_factor: int,
        bn_momentum: float = 0.1,
    ) -> None:
        super().__init__()
        if stride not in [1, 2]:
            raise ValueError(f"stride should be 1 or 2 instead of {stride}")
        if kernel_size not in [3, 5]:
            raise ValueError(f"kernel_size should be 3 or 5 instead of {kernel_size}")
        mid_ch = in_ch * expansion_factor
        self.apply_residual = in_ch == out_ch and stride == 1
        self.layers = nn.Sequential(
            nn.Conv2d(in_ch, mid_ch, 1, bias=False),
            nn.BatchNorm2d(mid_ch, momentum=bn_momentum),
            nn.ReLU(inplace=True),
            nn.Conv2d(
                mid_ch,
                mid_ch,
                kernel_size,
                padding=kernel_size // 2,
                stride=stride,
                groups=mid_ch,
                bias=False,
            ),
            nn.BatchNorm2d(mid_ch, momentum=bn_momentum),
            nn.ReLU(inplace=True),
            nn.Conv2d(mid_ch, out_ch, 1, bias=False),  # linear: no activation after it
            nn.BatchNorm2d(out_ch, momentum=bn_momentum),
        )

    def forward(self, input: Tensor) -> Tensor:
        if self.apply_residual:
            return self.layers(input) + input
        return self.layers(input)


def _stack(
    in_ch: int,
    out_ch: int,
    kernel_size: int,
    stride: int,
    exp_factor: int,
    repeats: int,
    bn_momentum: float,
) -> nn.Sequential:
    """``repeats`` inverted residuals; only the first changes the shape (so has no skip)."""
    if repeats < 1:
        raise ValueError(f"repeats should be >= 1, instead got {repeats}")
    first = _InvertedResidual(in_ch, out_ch, kernel_size, stride, exp_factor, bn_momentum)
    remaining = [
        _InvertedResidual(out_ch, out_ch, kernel_size, 1, exp_factor, bn_momentum)
        for _ in range(1, repeats)
    ]
    return nn.Sequential(first, *remaining)


def _round_to_multiple_of(val: float, divisor: int, round_up_bias: float = 0.9) -> int:
    """``val`` rounded to the nearest multiple of ``divisor``, one step up when that would lose
    more than 10 %: (83, 8) → 80, but (84, 8) → 88."""
    if not 0.0 < round_up_bias < 1.0:
        raise ValueError(
            "round_up_bias should be greater than 0.0 and smaller than 1.0 instead of "
            f"{round_up_bias}"
        )
    new_val = max(divisor, int(val + divisor / 2) // divisor * divisor)
    return new_val if new_val >= round_up_bias * val else new_val + divisor


def _get_depths(alpha: float) -> list[int]:
    """The eight stage widths of MnasNet-B1 scaled by ``alpha`` (rounded up, as above)."""
    depths = [32, 16, 24, 40, 80, 96, 192, 320]
    return [_round_to_multiple_of(depth * alpha, 8) for depth in depths]


def _stem(depths: list[int]) -> list[nn.Module]:
    """The first 8 layers: a stride-2 3×3 convolution, then a depthwise-separable block
    without a skip (depthwise 3×3 → BN → ReLU → 1×1 → BN)."""
    return [
        nn.Conv2d(3, depths[0], 3, padding=1, stride=2, bias=False),
        nn.BatchNorm2d(depths[0], momentum=_BN_MOMENTUM),
        nn.ReLU(inplace=True),
        nn.Conv2d(depths[0], depths[0], 3, padding=1, stride=1, groups=depths[0], bias=False),
        nn.BatchNorm2d(depths[0], momentum=_BN_MOMENTUM),
        nn.ReLU(inplace=True),
        nn.Conv2d(depths[0], depths[1], 1, padding=0, stride=1, bias=False),
        nn.BatchNorm2d(depths[1], momentum=_BN_MOMENTUM),
    ]


class MNASNet(nn.Module):
    """MnasNet-B1 of width multiplier ``alpha``: the stem, six stacks of inverted residuals
    (kernel, stride, expansion, repeats: 3/2/3/3, 5/2/3/3, 5/2/6/3, 3/1/6/2, 5/2/6/4,
    3/1/6/1), a 1×1 convolution to 1280 channels, global average, Dropout, ``Linear``.

    Initialisation as torchvision: convolutions Kaiming-normal (fan-out, ReLU), BatchNorm
    γ = 1, β = 0, the Linear layer Kaiming-uniform (fan-out, sigmoid gain) with zero bias.
    State dicts carry version 2 (the stem scales with ``alpha``); loading a version-1 dict
    (fixed 32/16-channel stem) rebuilds the stem that way first, with torchvision's warning.
    """

    _version = 2  # version 2 scales the stem's depths with alpha too

    def __init__(self, alpha: float, num_classes: int = 1000, dropout: float = 0.2) -> None:
        super().__init__()
        if alpha <= 0.0:
            raise ValueError(f"alpha should be greater than 0.0 instead of {alpha}")
        self.alpha = alpha
        self.num_classes = num_classes
        depths = _get_depths(alpha)
        layers = [
            *_stem(depths),
            _stack(depths[1], depths[2], 3, 2, 3, 3, _BN_MOMENTUM),
            _stack(depths[2], depths[3], 5, 2, 3, 3, _BN_MOMENTUM),
            _stack(depths[3], depths[4], 5, 2, 6, 3, _BN_MOMENTUM),
            _stack(depths[4], depths[5], 3, 1, 6, 2, _BN_MOMENTUM),
            _stack(depths[5], depths[6], 5, 2, 6, 4, _BN_MOMENTUM),
            _stack(depths[6], depths[7], 3, 1, 6, 1, _BN_MOMENTUM),
            nn.Conv2d(depths[7], 1280, 1, padding=0, stride=1, bias=False),
            nn.BatchNorm2d(1280, momentum=_BN_MOMENTUM),
            nn.ReLU(inplace=True),
        ]
        self.layers = nn.Sequential(*layers)
        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout, inplace=True), nn.Linear(1280, num_classes)
        )
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.kaiming_uniform_(m.weight, mode="fan_out", nonlinearity="sigmoid")
                nn.init.zeros_(m.bias)
        self._register_load_state_dict_pre_hook(_upgrade_version_1, with_module=True)

    def forward(self, x: Tensor) -> Tensor:
        x = self.layers(x).mean([2, 3])  # global average pooling, (N, 1280)
        return self.classifier(x)


def _upgrade_version_1(module: MNASNet, state_dict, prefix, local_metadata, *args) -> None:
    """Before loading: check the dict's version (1 or 2, as torchvision); for version 1 with
    ``alpha ≠ 1``, replace the stem and first stack by the fixed-width ones it was saved with
    (the module then saves as version 1)."""
    version = local_metadata.get("version", None)
    if version not in [1, 2]:
        raise ValueError(f"version should be set to 1 or 2 instead of {version}")
    if version == 1 and not module.alpha == 1.0:
        depths = _get_depths(module.alpha)
        v1_stem = [*_stem([32, 16]), _stack(16, depths[2], 3, 2, 3, 3, _BN_MOMENTUM)]
        for idx, layer in enumerate(v1_stem):
            module.layers[idx] = layer
        module._version = 1
        warnings.warn(
            "A new version of MNASNet model has been implemented. Your checkpoint was saved "
            "using the previous version. This checkpoint will load and work as before, but you "
            "may want to upgrade by training a newer model or transfer learning from an "
            "updated ImageNet checkpoint.",
            UserWarning,
            stacklevel=2,
        )


def _mnasnet(alpha: float, weights, builder: str, kwargs: dict) -> MNASNet:
    check_weights(weights, builder, kwargs)
    return MNASNet(alpha, **kwargs)


def mnasnet0_5(*, weights=None, progress: bool = True, **kwargs) -> MNASNet:
    """MnasNet-B1 at width 0.5 (2.2 M parameters); ``weights`` must be None."""
    return _mnasnet(0.5, weights, "mnasnet0_5", kwargs)


def mnasnet0_75(*, weights=None, progress: bool = True, **kwargs) -> MNASNet:
    """MnasNet-B1 at width 0.75 (3.2 M parameters); ``weights`` must be None."""
    return _mnasnet(0.75, weights, "mnasnet0_75", kwargs)


def mnasnet1_0(*, weights=None, progress: bool = True, **kwargs) -> MNASNet:
    """MnasNet-B1 at width 1.0 (4.4 M parameters); ``weights`` must be None."""
    return _mnasnet(1.0, weights, "mnasnet1_0", kwargs)


def mnasnet1_3(*, weights=None, progress: bool = True, **kwargs) -> MNASNet:
    """MnasNet-B1 at width 1.3 (6.3 M parameters); ``weights`` must be None."""
    return _mnasnet(1.3, weights, "mnasnet1_3", kwargs)
