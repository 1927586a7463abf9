"""Padding layers: constant (zero), reflection and replication padding of the last axes."""

from __future__ import annotations

from gradiente.nn import functional as F
from gradiente.nn.module import Module
from gradiente.tensor import Tensor


class _PadNd(Module):
    """Pads the last ``_dims`` axes by ``padding``: one int for every side, or
    (left, right[, top, bottom[, front, back]]) as ``F.pad`` takes it."""

    _dims = 1
    _mode = "constant"

    def __init__(self, padding) -> None:
        super().__init__()
        if isinstance(padding, int):
            padding = (padding,) * (2 * self._dims)
        self.padding = tuple(padding)
        if len(self.padding) != 2 * self._dims:
            raise ValueError(
                f"{type(self).__name__}: padding must be an int or a tuple of "
                f"{2 * self._dims} ints, got {padding}"
            )

    def forward(self, input: Tensor) -> Tensor:
        return F.pad(input, self.padding, self._mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    def __init__(self, padding, value: float) -> None:
        super().__init__(padding)
        self.value = value

    def forward(self, input: Tensor) -> Tensor:
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """Pad the last axis with ``value``."""


class ConstantPad2d(_ConstantPadNd):
    """Pad the last two axes with ``value``."""

    _dims = 2


class ConstantPad3d(_ConstantPadNd):
    """Pad the last three axes with ``value``."""

    _dims = 3


class ZeroPad1d(ConstantPad1d):
    """Pad the last axis with zeros."""

    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad2d(ConstantPad2d):
    """Pad the last two axes with zeros."""

    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ReflectionPad1d(_PadNd):
    """Pad the last axis with its mirror image (the edge itself not repeated)."""

    _mode = "reflect"


class ReflectionPad2d(_PadNd):
    """Pad the last two axes with their mirror image (the edge itself not repeated)."""

    _dims = 2
    _mode = "reflect"


class ReplicationPad1d(_PadNd):
    """Pad the last axis by repeating its edge values."""

    _mode = "replicate"


class ReplicationPad2d(_PadNd):
    """Pad the last two axes by repeating their edge values."""

    _dims = 2
    _mode = "replicate"


class CircularPad1d(_PadNd):
    """Pad the last axis by wrapping around."""

    _mode = "circular"


class CircularPad2d(_PadNd):
    """Pad the last two axes by wrapping around."""

    _dims = 2
    _mode = "circular"


class ZeroPad3d(ConstantPad3d):
    """Pad the last three axes with zeros."""

    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ReflectionPad3d(_PadNd):
    """Pad the last three axes with their mirror image (the edge itself not repeated)."""

    _dims = 3
    _mode = "reflect"


class ReplicationPad3d(_PadNd):
    """Pad the last three axes by repeating their edge values."""

    _dims = 3
    _mode = "replicate"


class CircularPad3d(_PadNd):
    """Pad the last three axes by wrapping around."""

    _dims = 3
    _mode = "circular"
