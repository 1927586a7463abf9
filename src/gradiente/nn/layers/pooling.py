"""Pooling layers: max, average, adaptive pooling and max unpooling, with PyTorch's arguments
and repr.

The layers only store their arguments; the work is in ``nn.functional`` (``ops/pool.py``).
"""

from __future__ import annotations

from gradiente.nn import functional as F
from gradiente.nn.layers._options import options_repr
from gradiente.nn.layers.extra_layers import _LPPoolNd  # noqa: F401 - torch.nn.modules.pooling's
from gradiente.nn.module import Module
from gradiente.ops.window import ntuple
from gradiente.tensor import Tensor


class _PoolNd(Module):
    """What max and average pooling share: the window (``kernel_size``, ``stride``, which
    defaults to the kernel, and ``padding``) and ``ceil_mode``."""

    def _set_window(self, kernel_size, stride, padding, ceil_mode: bool) -> None:
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.ceil_mode = ceil_mode

    def _window(self) -> tuple:
        """(kernel_size, stride, padding): the first arguments of every pooling function."""
        return self.kernel_size, self.stride, self.padding


class _MaxPoolNd(_PoolNd):
    """MaxPool1d and MaxPool2d: arguments, repr and ``forward`` through ``_pool``."""

    def __init__(
        self,
        kernel_size,
        stride=None,
        padding=0,
        dilation=1,
        return_indices: bool = False,
        ceil_mode: bool = False,
    ) -> None:
        super().__init__()
        self._set_window(kernel_size, stride, padding, ceil_mode)
        self.dilation = dilation
        self.return_indices = return_indices

    def extra_repr(self) -> str:
        return options_repr(self, ("kernel_size", "stride", "padding", "dilation", "ceil_mode"))

    def forward(self, input: Tensor):
        return self._pool(
            input, *self._window(), self.dilation, self.ceil_mode, self.return_indices
        )


class MaxPool1d(_MaxPoolNd):
    """1-D max pooling over (N, C, L): the largest value of each window."""

    _pool = staticmethod(F.max_pool1d)


class MaxPool2d(_MaxPoolNd):
    """2-D max pooling over (N, C, H, W): the largest value of each window.

    With ``return_indices=True`` also returns where each maximum was (for ``MaxUnpool2d``).
    """

    _pool = staticmethod(F.max_pool2d)


class _AvgPoolNd(_PoolNd):
    """AvgPool1d and AvgPool2d: the repr (torch prints only the window)."""

    def extra_repr(self) -> str:
        return options_repr(self, ("kernel_size", "stride", "padding"))


class AvgPool1d(_AvgPoolNd):
    """1-D average pooling over (N, C, L): the mean of each window."""

    def __init__(
        self,
        kernel_size,
        stride=None,
        padding=0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
    ) -> None:
        super().__init__()
        stride = stride if stride is not None else kernel_size
        self._set_window(ntuple(kernel_size, 1), ntuple(stride, 1), ntuple(padding, 1), ceil_mode)
        self.count_include_pad = count_include_pad

    def forward(self, input: Tensor) -> Tensor:
        return F.avg_pool1d(input, *self._window(), self.ceil_mode, self.count_include_pad)


class AvgPool2d(_AvgPoolNd):
    """2-D average pooling over (N, C, H, W): the mean of each window.

    ``count_include_pad=False`` leaves zero padding out of the mean; ``divisor_override``
    replaces the window size as divisor.
    """

    def __init__(
        self,
        kernel_size,
        stride=None,
        padding=0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
        divisor_override=None,
    ) -> None:
        super().__init__()
        self._set_window(kernel_size, stride, padding, ceil_mode)
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def forward(self, input: Tensor) -> Tensor:
        return F.avg_pool2d(
            input, *self._window(), self.ceil_mode, self.count_include_pad, self.divisor_override
        )


class MaxPool3d(_MaxPoolNd):
    """3-D max pooling over (N, C, D, H, W): the largest value of each window."""

    _pool = staticmethod(F.max_pool3d)


class AvgPool3d(AvgPool2d):
    """3-D average pooling over (N, C, D, H, W): the mean of each window (AvgPool2d's
    arguments)."""

    def forward(self, input: Tensor) -> Tensor:
        return F.avg_pool3d(
            input, *self._window(), self.ceil_mode, self.count_include_pad, self.divisor_override
        )


class _MaxUnpoolNd(Module):
    """MaxUnpool1d/2d/3d: the pooling's window as ``_spatial``-tuples, and ``forward(input,
    indices, output_size=None)`` through ``F.max_unpool1d/2d/3d`` (by ``_spatial``)."""

    _spatial: int
    _UNPOOL = {1: F.max_unpool1d, 2: F.max_unpool2d, 3: F.max_unpool3d}

    def __init__(self, kernel_size, stride=None, padding=0) -> None:
        super().__init__()
        n = self._spatial
        self.kernel_size = ntuple(kernel_size, n)
        self.stride = ntuple(stride if stride is not None else kernel_size, n)
        self.padding = ntuple(padding, n)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"

    def forward(self, input: Tensor, indices: Tensor, output_size=None) -> Tensor:
        unpool = self._UNPOOL[self._spatial]
        return unpool(input, indices, self.kernel_size, self.stride, self.padding, output_size)


class MaxUnpool1d(_MaxUnpoolNd):
    """Partial inverse of MaxPool1d: the maxima back at their indices, zeros elsewhere."""

    _spatial = 1


class MaxUnpool2d(_MaxUnpoolNd):
    """Partial inverse of MaxPool2d (``return_indices=True``): the maxima back at their
    indices, zeros elsewhere."""

    _spatial = 2


class MaxUnpool3d(_MaxUnpoolNd):
    """Partial inverse of MaxPool3d: the maxima back at their indices, zeros elsewhere."""

    _spatial = 3


class _AdaptivePoolNd(Module):
    def __init__(self, output_size) -> None:
        super().__init__()
        self.output_size = output_size

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class _AdaptiveAvgPoolNd(_AdaptivePoolNd):
    """AdaptiveAvgPool1d/2d/3d (torch's base class of the three, for ``isinstance``)."""


class _AdaptiveMaxPoolNd(_AdaptivePoolNd):
    """AdaptiveMaxPool1d/2d/3d: the output size and whether to return the indices too."""

    def __init__(self, output_size, return_indices: bool = False) -> None:
        super().__init__(output_size)
        self.return_indices = return_indices


class AdaptiveAvgPool1d(_AdaptiveAvgPoolNd):
    """Average pooling of (N, C, L) to a fixed output length, whatever the input length."""

    def forward(self, input: Tensor) -> Tensor:
        return F.adaptive_avg_pool1d(input, self.output_size)


class AdaptiveMaxPool1d(_AdaptiveMaxPoolNd):
    """Max pooling of (N, C, L) to a fixed output length, whatever the input length."""

    def forward(self, input: Tensor):
        return F.adaptive_max_pool1d(input, self.output_size, self.return_indices)


class AdaptiveAvgPool2d(_AdaptiveAvgPoolNd):
    """Average pooling of (N, C, H, W) to a fixed (OH, OW), whatever the input size.

    ``AdaptiveAvgPool2d(1)`` is the global average pooling at the end of a ResNet.
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.adaptive_avg_pool2d(input, self.output_size)


class AdaptiveMaxPool2d(_AdaptiveMaxPoolNd):
    """Max pooling of (N, C, H, W) to a fixed (OH, OW), whatever the input size."""

    def forward(self, input: Tensor):
        return F.adaptive_max_pool2d(input, self.output_size, self.return_indices)


class AdaptiveAvgPool3d(_AdaptiveAvgPoolNd):
    """Average pooling of (N, C, D, H, W) to a fixed (OD, OH, OW), whatever the input size
    (``AdaptiveAvgPool3d(1)``: the global pooling at the end of a video ResNet)."""

    def forward(self, input: Tensor) -> Tensor:
        return F.adaptive_avg_pool3d(input, self.output_size)


class AdaptiveMaxPool3d(_AdaptiveMaxPoolNd):
    """Max pooling of (N, C, D, H, W) to a fixed (OD, OH, OW), whatever the input size."""

    def forward(self, input: Tensor):
        return F.adaptive_max_pool3d(input, self.output_size, self.return_indices)
