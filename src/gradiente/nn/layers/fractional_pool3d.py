"""``nn.FractionalMaxPool3d``: 3-D fractional max pooling as a module (the function is
``F.fractional_max_pool3d``; the windows come from ``ops/fractional_pool.py``)."""

from __future__ import annotations

from gradiente.nn.functional import extra as FX
from gradiente.nn.layers.extra_layers import _FractionalMaxPoolNd


class FractionalMaxPool3d(_FractionalMaxPoolNd):
    """3-D fractional max pooling over (N, C, T, H, W) or (C, T, H, W) input: pseudo-random
    windows of ``kernel_size`` that shrink the volume to ``output_size`` or by
    ``output_ratio``. The windows' random offsets are drawn as torch draws them (one uniform
    triple per sample and channel), so a seeded run picks torch's windows."""

    _dims = 3
    _function = staticmethod(FX.fractional_max_pool3d)
    _checks_kernel = True
