"""Convolution layers: Conv1d/2d/3d and ConvTranspose1d/2d/3d, with PyTorch's arguments and
init.

Each layer owns ``weight`` — (out, in/groups, *kernel), or (in, out/groups, *kernel) when
transposed — and ``bias`` (out,), initialised like PyTorch (``kaiming_uniform_`` with a = √5,
then U(−1/√fan_in, 1/√fan_in) for the bias: the same draws, so the same seed gives the same
weights). The arithmetic lives in ``nn.functional`` (``ops/conv.py``).
"""

from __future__ import annotations

import math
from collections.abc import Callable

from gradiente.nn import functional as F
from gradiente.nn import init
from gradiente.nn.layers.linear import _weight_and_bias
from gradiente.nn.module import Module
from gradiente.ops.arguments import type_name as _arg_type_name
from gradiente.ops.window import conv_transpose_out_size, ntuple, same_padding
from gradiente.tensor import Tensor


def _check_arguments(in_channels, out_channels, stride, padding, groups, padding_mode) -> None:
    """torch's checks of a convolution's arguments, with its messages. The sets are built as
    torch builds them, so that they print in the same (hash) order within one process."""
    if groups <= 0:
        raise ValueError("groups must be a positive integer")
    if in_channels % groups != 0:
        raise ValueError("in_channels must be divisible by groups")
    if out_channels % groups != 0:
        raise ValueError("out_channels must be divisible by groups")
    valid_padding_strings = {"same", "valid"}
    if isinstance(padding, str):
        if padding not in valid_padding_strings:
            raise ValueError(
                f"Invalid padding string {padding!r}, should be one of {valid_padding_strings}"
            )
        if padding == "same" and any(s != 1 for s in stride):
            raise ValueError("padding='same' is not supported for strided convolutions")
    valid_padding_modes = {"zeros", "reflect", "replicate", "circular"}
    if padding_mode not in valid_padding_modes:
        raise ValueError(
            f"padding_mode must be one of {valid_padding_modes}, but got "
            f"padding_mode='{padding_mode}'"
        )


class _ConvNd(Module):
    """What Conv1d, Conv2d and ConvTranspose2d share: checks, parameters, init and repr."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: tuple,
        stride: tuple,
        padding,
        dilation: tuple,
        transposed: bool,
        output_padding: tuple,
        groups: int,
        bias: bool,
        padding_mode: str,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        _check_arguments(in_channels, out_channels, stride, padding, groups, padding_mode)
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.transposed = transposed
        self.output_padding = output_padding
        self.groups = groups
        self.padding_mode = padding_mode
        # F.pad's argument for non-zero padding modes: last axis first, (left, right) each
        if isinstance(padding, str):
            pads = [0, 0] * len(kernel_size)
            if padding == "same":
                for i, (d, k) in enumerate(zip(dilation[::-1], kernel_size[::-1], strict=True)):
                    pads[2 * i], pads[2 * i + 1] = same_padding(k, d)
            self._reversed_padding_repeated_twice = pads
        else:
            self._reversed_padding_repeated_twice = [p for p in padding[::-1] for _ in range(2)]
        if transposed:
            shape = (in_channels, out_channels // groups, *kernel_size)
        else:
            shape = (out_channels, in_channels // groups, *kernel_size)
        _weight_and_bias(self, shape, out_channels, bias, device, dtype)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw the weight, then the bias, exactly like PyTorch's convolution layers."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            if fan_in != 0:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def extra_repr(self) -> str:
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}"
        s += f", stride={self.stride}"
        if self.padding != (0,) * len(self.padding):
            s += f", padding={self.padding}"
        if self.dilation != (1,) * len(self.dilation):
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * len(self.output_padding):
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s

    def _check_input(self, input: Tensor, spatial: int) -> None:
        """The rank and channel checks of torch's convolution, in its words: the channel error
        names the weight and the input as the kernel sees it (batched, and padded first when
        ``padding_mode`` is not zeros)."""
        if not isinstance(input, Tensor):
            return  # a NumPy array, a list: the F.convNd call refuses it in torch's words
        op = f"conv_transpose{spatial}d" if self.transposed else f"conv{spatial}d"
        if input.ndim not in (spatial + 1, spatial + 2):
            raise RuntimeError(
                f"Expected {spatial + 1}D (unbatched) or {spatial + 2}D (batched) input to {op}, "
                f"but got input of size: {list(input.shape)}"
            )
        channels = input.shape[-spatial - 1]
        if channels != self.in_channels:
            seen = [1] * (spatial + 2 - input.ndim) + list(input.shape)
            if self.padding_mode != "zeros":  # F.pad's pairs run from the last axis backwards
                pads = self._reversed_padding_repeated_twice
                for i in range(spatial):
                    seen[-1 - i] += pads[2 * i] + pads[2 * i + 1]
            given = "transposed=1" if self.transposed else f"groups={self.groups}"
            raise RuntimeError(
                f"Given {given}, weight of size {list(self.weight.shape)}, expected input{seen} "
                f"to have {self.in_channels} channels, but got {channels} channels instead"
            )

    def _conv_forward(self, input: Tensor, conv, spatial: int) -> Tensor:
        self._check_input(input, spatial)
        if self.padding_mode != "zeros":
            padded = F.pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode)
            return conv(padded, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)
        return conv(
            input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups
        )


class _ConvSpatialNd(_ConvNd):
    """Conv1d and Conv2d: the same arguments, over ``_spatial`` axes, computed by ``_conv``."""

    _spatial: int
    _conv: Callable[..., Tensor]

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        device=None,
        dtype=None,
    ) -> None:
        n = self._spatial
        super().__init__(
            in_channels,
            out_channels,
            ntuple(kernel_size, n),
            ntuple(stride, n),
            padding if isinstance(padding, str) else ntuple(padding, n),
            ntuple(dilation, n),
            False,
            (0,) * n,
            groups,
            bias,
            padding_mode,
            device,
            dtype,
        )

    def forward(self, input: Tensor) -> Tensor:
        return self._conv_forward(input, self._conv, self._spatial)


class Conv1d(_ConvSpatialNd):
    """1-D convolution over (N, C_in, L) input: weight (C_out, C_in/groups, k), bias (C_out)."""

    _spatial = 1
    _conv = staticmethod(F.conv1d)


class Conv2d(_ConvSpatialNd):
    """2-D convolution over (N, C_in, H, W) input: weight (C_out, C_in/groups, kH, kW).

    ``padding`` may be an int, a pair, ``'valid'`` or ``'same'``; ``padding_mode`` 'zeros',
    'reflect', 'replicate' or 'circular'.
    """

    _spatial = 2
    _conv = staticmethod(F.conv2d)


class Conv3d(_ConvSpatialNd):
    """3-D convolution over (N, C_in, D, H, W) input: weight (C_out, C_in/groups, kD, kH, kW)."""

    _spatial = 3
    _conv = staticmethod(F.conv3d)


class _ConvTransposeNd(_ConvNd):
    """ConvTranspose1d, 2d and 3d: weight (C_in, C_out/groups, *kernel), the adjoint
    of the convolution over ``_spatial`` axes, computed by ``_conv``.

    ``forward(input, output_size=None)``: an ``output_size`` picks the output padding that
    reaches it (strided transposed convolutions have several valid output sizes).
    """

    _spatial: int
    _conv: Callable[..., Tensor]

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        output_padding=0,
        groups: int = 1,
        bias: bool = True,
        dilation=1,
        padding_mode: str = "zeros",
        device=None,
        dtype=None,
    ) -> None:
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {type(self).__name__}')
        n = self._spatial
        super().__init__(
            in_channels,
            out_channels,
            ntuple(kernel_size, n),
            ntuple(stride, n),
            ntuple(padding, n),
            ntuple(dilation, n),
            True,
            ntuple(output_padding, n),
            groups,
            bias,
            padding_mode,
            device,
            dtype,
        )

    def _output_padding(self, input: Tensor, output_size) -> tuple:
        """The output padding that makes the output ``output_size`` (PyTorch's rule)."""
        if output_size is None:
            return self.output_padding
        spatial = self._spatial
        lead = 2 if input.ndim == spatial + 2 else 1
        if len(output_size) == lead + spatial:
            output_size = output_size[lead:]
        if len(output_size) != spatial:
            raise ValueError(
                f"ConvTranspose{spatial}D: for {input.ndim}D input, output_size must have "
                f"{spatial} or {lead + spatial} elements (got {len(output_size)})"
            )
        min_sizes, max_sizes = [], []
        for d in range(spatial):
            size = conv_transpose_out_size(
                input.shape[d + lead],
                self.kernel_size[d],
                self.stride[d],
                self.padding[d],
                self.dilation[d],
            )
            min_sizes.append(size)
            max_sizes.append(size + self.stride[d] - 1)
        for size, lo, hi in zip(output_size, min_sizes, max_sizes, strict=True):
            if size < lo or size > hi:
                raise ValueError(
                    f"requested an output size of {output_size}, but valid sizes range "
                    f"from {min_sizes} to {max_sizes} (for an input of {input.shape[2:]!r})"
                )
        return tuple(s - lo for s, lo in zip(output_size, min_sizes, strict=True))

    def forward(self, input: Tensor, output_size=None) -> Tensor:
        if not isinstance(input, Tensor):  # a NumPy array, a list: torch's argument check
            raise TypeError(
                f"conv_transpose{self._spatial}d(): argument 'input' (position 1) must be "
                f"Tensor, not {_arg_type_name(input)}"
            )
        self._check_input(input, self._spatial)
        output_padding = self._output_padding(input, output_size)
        return self._conv(
            input,
            self.weight,
            self.bias,
            self.stride,
            self.padding,
            output_padding,
            self.groups,
            self.dilation,
        )


class ConvTranspose1d(_ConvTransposeNd):
    """1-D transposed convolution: weight (C_in, C_out/groups, k), the adjoint of Conv1d."""

    _spatial = 1
    _conv = staticmethod(F.conv_transpose1d)

    def _check_input(self, input: Tensor, spatial: int) -> None:
        """Nothing here: ``F.conv_transpose1d`` checks the input in torch's words."""


class ConvTranspose2d(_ConvTransposeNd):
    """2-D transposed convolution: weight (C_in, C_out/groups, kH, kW), the adjoint of Conv2d."""

    _spatial = 2
    _conv = staticmethod(F.conv_transpose2d)


class ConvTranspose3d(_ConvTransposeNd):
    """3-D transposed convolution: weight (C_in, C_out/groups, kD, kH, kW), the adjoint of
    Conv3d."""

    _spatial = 3
    _conv = staticmethod(F.conv_transpose3d)
