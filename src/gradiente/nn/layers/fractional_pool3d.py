"""``nn.FractionalMaxPool3d``: 3-D fractional max pooling as a module (the function is
``F.fractional_max_pool3d``; the windows come from ``ops/fractional_pool.py``)."""

from __future__ import annotations

from gradiente.nn.functional import extra as FX
from gradiente.nn.module import Module
from gradiente.tensor import Tensor


def _triple(value) -> tuple:
    """An int as (v, v, v); a sequence as a tuple (torch's ``_triple``)."""
    return tuple(value) if isinstance(value, (tuple, list)) else (value,) * 3


class FractionalMaxPool3d(Module):
    """3-D fractional max pooling over (N, C, T, H, W) or (C, T, H, W) input: pseudo-random
    windows of ``kernel_size`` that shrink the volume to ``output_size`` or by
    ``output_ratio``. The windows' random offsets are drawn as torch draws them (one uniform
    triple per sample and channel), so a seeded run picks torch's windows."""

    def __init__(
        self,
        kernel_size,
        output_size=None,
        output_ratio=None,
        return_indices: bool = False,
        _random_samples: Tensor | None = None,
    ) -> None:
        super().__init__()
        if (isinstance(kernel_size, int) and kernel_size <= 0) or (
            isinstance(kernel_size, (tuple, list)) and not all(k > 0 for k in kernel_size)
        ):
            raise ValueError(f"kernel_size must be greater than 0, but got {kernel_size}")
        self.kernel_size = _triple(kernel_size)
        self.return_indices = return_indices
        self.register_buffer("_random_samples", _random_samples)
        self.output_size = _triple(output_size) if output_size is not None else None
        self.output_ratio = _triple(output_ratio) if output_ratio is not None else None
        if output_size is None and output_ratio is None:
            raise ValueError(
                "FractionalMaxPool3d requires specifying either an output size, or a pooling ratio"
            )
        if output_size is not None and output_ratio is not None:
            raise ValueError("only one of output_size and output_ratio may be specified")
        if self.output_ratio is not None and not all(0 < r < 1 for r in self.output_ratio[:3]):
            raise ValueError(f"output_ratio must be between 0 and 1 (got {output_ratio})")

    def forward(self, input: Tensor):
        return FX.fractional_max_pool3d(
            input,
            self.kernel_size,
            self.output_size,
            self.output_ratio,
            self.return_indices,
            _random_samples=self._random_samples,
        )
