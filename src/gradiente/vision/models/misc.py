"""``Conv2dNormActivation``: convolution → normalisation → activation, as ``torchvision.ops.misc``.

It is an ``nn.Sequential``, so its parameters are named ``0.weight`` (the convolution),
``1.weight``/``1.bias``/``1.running_mean``/... (the BatchNorm) exactly as in torchvision.
"""

from __future__ import annotations

from collections.abc import Callable

from gradiente import nn

__all__ = ["Conv2dNormActivation"]


class Conv2dNormActivation(nn.Sequential):
    """Conv2d (padding ``(kernel_size − 1) // 2 · dilation`` keeps the size at stride 1),
    then ``norm_layer`` and ``activation_layer`` (either may be None to leave it out).

    The convolution has a bias only without a norm layer (a BatchNorm's β replaces it), unless
    ``bias`` says otherwise.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int = 3,
        stride: int = 1,
        padding: int | None = None,
        groups: int = 1,
        norm_layer: Callable[..., nn.Module] | None = nn.BatchNorm2d,
        activation_layer: Callable[..., nn.Module] | None = nn.ReLU,
        dilation: int = 1,
        inplace: bool | None = True,
        bias: bool | None = None,
    ) -> None:
        super().__init__(
            *conv_norm_activation(
                nn.Conv2d, in_channels, out_channels, kernel_size, stride, padding, groups,
                norm_layer, activation_layer, dilation, inplace, bias,
            )
        )  # fmt: skip
        self.out_channels = out_channels


def conv_norm_activation(
    conv, in_channels, out_channels, kernel_size, stride, padding, groups, norm_layer,
    activation_layer, dilation, inplace, bias,
) -> list[nn.Module]:  # fmt: skip
    """The layers of torchvision's ``ConvNormActivation`` (2-D or 3-D by ``conv``): the
    convolution, padded by ``(kernel − 1) // 2 · dilation`` per axis unless ``padding`` is
    given (the size is kept at stride 1), with a bias only without a norm layer unless
    ``bias`` says otherwise; then ``norm_layer`` and ``activation_layer`` where not None."""
    if padding is None:
        if isinstance(kernel_size, int) and isinstance(dilation, int):
            padding = (kernel_size - 1) // 2 * dilation
        else:  # per axis, the int one of the two repeated to the other's length
            dims = len(kernel_size) if not isinstance(kernel_size, int) else len(dilation)
            kernel_size = (kernel_size,) * dims if isinstance(kernel_size, int) else kernel_size
            dilation = (dilation,) * dims if isinstance(dilation, int) else dilation
            padding = tuple((k - 1) // 2 * d for k, d in zip(kernel_size, dilation, strict=True))
    if bias is None:
        bias = norm_layer is None
    layers: list[nn.Module] = [
        conv(
            in_channels, out_channels, kernel_size, stride, padding,
            dilation=dilation, groups=groups, bias=bias,
        )
    ]  # fmt: skip
    if norm_layer is not None:
        layers.append(norm_layer(out_channels))
    if activation_layer is not None:
        params = {} if inplace is None else {"inplace": inplace}
        layers.append(activation_layer(**params))
    return layers
