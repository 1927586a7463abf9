"""torchvision's building-block layers (``torchvision.ops.misc`` and ``.stochastic_depth``).

The modern torchvision models are assembled from these: ``SqueezeExcitation`` (MobileNetV3,
EfficientNet, RegNet), ``StochasticDepth`` (EfficientNet, ConvNeXt), ``MLP`` (Vision
Transformer), ``Permute`` (ConvNeXt), ``FrozenBatchNorm2d`` (detection backbones).
``Conv3dNormActivation`` is here (video models); ``Conv2dNormActivation`` lives in
``gradiente.vision.models.misc`` (``gradiente.vision.ops`` exports it with these). Parameter
names and initialisation are torchvision's, so state dicts move between the two libraries.
"""

from __future__ import annotations

from collections.abc import Callable

from gradiente import nn
from gradiente.tensor import Tensor
from gradiente.tensor.factories import empty, ones, zeros
from gradiente.vision.models.misc import conv_norm_activation

__all__ = [
    "MLP",
    "Conv3dNormActivation",
    "FrozenBatchNorm2d",
    "Permute",
    "SqueezeExcitation",
    "StochasticDepth",
    "stochastic_depth",
]


def _drop_num_batches_tracked(state_dict, prefix, *_) -> None:
    """A BatchNorm2d's ``num_batches_tracked`` has no place in a FrozenBatchNorm2d: drop it."""
    state_dict.pop(prefix + "num_batches_tracked", None)


class FrozenBatchNorm2d(nn.Module):
    """BatchNorm2d with fixed statistics and affine parameters, all buffers (nothing trains).

    y = (x − mean) / √(var + ε) · γ + β, computed as ``x · scale + shift`` with
    ``scale = γ / √(var + ε)`` and ``shift = β − mean · scale``. A state dict from an ordinary
    BatchNorm2d loads (its ``num_batches_tracked`` is dropped).
    """

    def __init__(self, num_features: int, eps: float = 1e-5) -> None:
        super().__init__()
        self.eps = eps
        self.register_buffer("weight", ones(num_features))
        self.register_buffer("bias", zeros(num_features))
        self.register_buffer("running_mean", zeros(num_features))
        self.register_buffer("running_var", ones(num_features))
        self._register_load_state_dict_pre_hook(_drop_num_batches_tracked)

    def forward(self, x: Tensor) -> Tensor:
        w = self.weight.reshape(1, -1, 1, 1)
        b = self.bias.reshape(1, -1, 1, 1)
        rv = self.running_var.reshape(1, -1, 1, 1)
        rm = self.running_mean.reshape(1, -1, 1, 1)
        scale = w * (rv + self.eps).rsqrt()
        shift = b - rm * scale
        return x * scale + shift

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.weight.shape[0]}, eps={self.eps})"


class SqueezeExcitation(nn.Module):
    """Squeeze-and-Excitation (Hu et al., 2017): re-weight each channel by a gate computed
    from the whole image, ``x · σ(fc2(δ(fc1(avgpool(x)))))`` — δ is ``activation``, σ is
    ``scale_activation``, and fc1/fc2 are 1×1 convolutions through ``squeeze_channels``."""

    def __init__(
        self,
        input_channels: int,
        squeeze_channels: int,
        activation: Callable[..., nn.Module] = nn.ReLU,
        scale_activation: Callable[..., nn.Module] = nn.Sigmoid,
    ) -> None:
        super().__init__()
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(input_channels, squeeze_channels, 1)
        self.fc2 = nn.Conv2d(squeeze_channels, input_channels, 1)
        self.activation = activation()
        self.scale_activation = scale_activation()

    def _scale(self, x: Tensor) -> Tensor:
        """The per-channel gate, shape (N, C, 1, 1)."""
        scale = self.activation(self.fc1(self.avgpool(x)))
        return self.scale_activation(self.fc2(scale))

    def forward(self, x: Tensor) -> Tensor:
        return self._scale(x) * x


def stochastic_depth(input: Tensor, p: float, mode: str, training: bool = True) -> Tensor:
    """Stochastic depth (Huang et al., 2016): in training, zero a residual branch with
    probability ``p`` and scale the survivors by 1 / (1 − p), so the expectation is unchanged.

    ``mode="row"`` draws one keep/drop per sample of the batch, ``"batch"`` one for the whole
    batch. Outside training (or with ``p == 0``) the input passes through unchanged.
    """
    if p < 0.0 or p > 1.0:
        raise ValueError(f"drop probability has to be between 0 and 1, but got {p}")
    if mode not in ["batch", "row"]:
        raise ValueError(f"mode has to be either 'batch' or 'row', but got {mode}")
    if not training or p == 0.0:
        return input
    survival_rate = 1.0 - p
    if mode == "row":
        size = [input.shape[0]] + [1] * (input.ndim - 1)
    else:
        size = [1] * input.ndim
    noise = empty(size, dtype=input.dtype, device=input.device).bernoulli_(survival_rate)
    if survival_rate > 0.0:
        noise.div_(survival_rate)
    return input * noise


class StochasticDepth(nn.Module):
    """The module form of :func:`stochastic_depth` (active in ``train()`` mode only)."""

    def __init__(self, p: float, mode: str) -> None:
        super().__init__()
        self.p = p
        self.mode = mode

    def forward(self, input: Tensor) -> Tensor:
        return stochastic_depth(input, self.p, self.mode, self.training)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(p={self.p}, mode={self.mode})"


class MLP(nn.Sequential):
    """Linear layers through ``hidden_channels`` (the last entry is the output width); between
    them ``norm_layer`` (optional), ``activation_layer`` and Dropout; Dropout after the last.

    ``inplace=None`` leaves the activation's and Dropout's own defaults.
    """

    def __init__(
        self,
        in_channels: int,
        hidden_channels: list[int],
        norm_layer: Callable[..., nn.Module] | None = None,
        activation_layer: Callable[..., nn.Module] | None = nn.ReLU,
        inplace: bool | None = None,
        bias: bool = True,
        dropout: float = 0.0,
    ) -> None:
        params = {} if inplace is None else {"inplace": inplace}
        layers: list[nn.Module] = []
        in_dim = in_channels
        for hidden_dim in hidden_channels[:-1]:
            layers.append(nn.Linear(in_dim, hidden_dim, bias=bias))
            if norm_layer is not None:
                layers.append(norm_layer(hidden_dim))
            layers.append(activation_layer(**params))
            layers.append(nn.Dropout(dropout, **params))
            in_dim = hidden_dim
        layers.append(nn.Linear(in_dim, hidden_channels[-1], bias=bias))
        layers.append(nn.Dropout(dropout, **params))
        super().__init__(*layers)


class Permute(nn.Module):
    """Its input with the dimensions reordered as ``dims`` (a view, as ``torch.permute``);
    ConvNeXt uses it to move channels last for LayerNorm and back."""

    def __init__(self, dims: list[int]) -> None:
        super().__init__()
        self.dims = dims

    def forward(self, x: Tensor) -> Tensor:
        return x.permute(*self.dims)


class Conv3dNormActivation(nn.Sequential):
    """Conv3d → ``norm_layer`` (BatchNorm3d) → ``activation_layer`` (ReLU), either of the two
    may be None; torchvision's 3-D ``ConvNormActivation`` (layers named ``0``, ``1``, ``2``).

    Without ``padding``, each axis is padded by ``(kernel − 1) // 2 · dilation`` (the size is
    kept at stride 1); the convolution has a bias only when there is no norm layer, unless
    ``bias`` says otherwise.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size=3,
        stride=1,
        padding=None,
        groups: int = 1,
        norm_layer: Callable[..., nn.Module] | None = nn.BatchNorm3d,
        activation_layer: Callable[..., nn.Module] | None = nn.ReLU,
        dilation=1,
        inplace: bool | None = True,
        bias: bool | None = None,
    ) -> None:
        super().__init__(
            *conv_norm_activation(
                nn.Conv3d, in_channels, out_channels, kernel_size, stride, padding, groups,
                norm_layer, activation_layer, dilation, inplace, bias,
            )
        )  # fmt: skip
        self.out_channels = out_channels
