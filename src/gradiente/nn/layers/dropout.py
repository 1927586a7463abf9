"""Dropout layers: random zeroing during training (Srivastava et al., 2014), identity in eval."""

from __future__ import annotations

from gradiente.nn import functional as F
from gradiente.nn.module import Module
from gradiente.tensor import Tensor


class _DropoutNd(Module):
    """The dropout layers: the probability p, and ``forward`` through ``_dropout``."""

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if p < 0 or p > 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"

    def forward(self, input: Tensor) -> Tensor:
        return self._dropout(input, self.p, self.training, self.inplace)


class Dropout(_DropoutNd):
    """Zero each element with probability p, scale the others by 1/(1 − p) (training only)."""

    _dropout = staticmethod(F.dropout)


class Dropout1d(_DropoutNd):
    """Zero whole channels of (N, C, L) input with probability p (training only)."""

    _dropout = staticmethod(F.dropout1d)


class Dropout2d(_DropoutNd):
    """Zero whole feature maps of (N, C, H, W) input with probability p (training only)."""

    _dropout = staticmethod(F.dropout2d)


class Dropout3d(_DropoutNd):
    """Zero whole volumes of (N, C, D, H, W) input with probability p (training only)."""

    _dropout = staticmethod(F.dropout3d)


class AlphaDropout(_DropoutNd):
    """Dropout that keeps SELU's self-normalisation: dropped units take SELU's negative
    saturation value, and the output is rescaled to zero mean, unit variance (training only)."""

    _dropout = staticmethod(F.alpha_dropout)


class FeatureAlphaDropout(_DropoutNd):
    """``AlphaDropout`` of whole channels (training only)."""

    _dropout = staticmethod(F.feature_alpha_dropout)
