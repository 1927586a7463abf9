"""``nn.Unfold`` and ``nn.Fold``: sliding blocks of an image as columns (im2col) and back
(col2im), the layer forms of ``F.unfold`` and ``F.fold`` (``ops/fold.py``)."""

from __future__ import annotations

from gradiente.nn import functional as F
from gradiente.nn.module import Module
from gradiente.tensor import Tensor


class Unfold(Module):
    """(N, C, H, W) → (N, C·kh·kw, L): every block the kernel covers as one column, L blocks."""

    def __init__(self, kernel_size, dilation=1, padding=0, stride=1) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.dilation = dilation
        self.padding = padding
        self.stride = stride

    def forward(self, input: Tensor) -> Tensor:
        return F.unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self) -> str:
        return (
            f"kernel_size={self.kernel_size}, dilation={self.dilation}, padding={self.padding},"
            f" stride={self.stride}"
        )


class Fold(Module):
    """(N, C·kh·kw, L) → (N, C, H, W): the columns summed back into an image of
    ``output_size``; overlapping blocks add up (so Fold ∘ Unfold multiplies by the overlap)."""

    def __init__(self, output_size, kernel_size, dilation=1, padding=0, stride=1) -> None:
        super().__init__()
        self.output_size = output_size
        self.kernel_size = kernel_size
        self.dilation = dilation
        self.padding = padding
        self.stride = stride

    def forward(self, input: Tensor) -> Tensor:
        return F.fold(
            input, self.output_size, self.kernel_size, self.dilation, self.padding, self.stride
        )

    def extra_repr(self) -> str:
        return (
            f"output_size={self.output_size}, kernel_size={self.kernel_size}, "
            f"dilation={self.dilation}, padding={self.padding}, stride={self.stride}"
        )
