"""``gradiente.nn`` (``torch.nn``): Module, Parameter, the layers, the losses, and the
``functional``, ``init`` and ``utils`` submodules."""

from gradiente.nn import compiled as _compiled  # noqa: F401 (torch.compile's module wrapper)
from gradiente.nn import functional, init, parallel, utils
from gradiente.nn.buffer import Buffer

# every layer, from the one list of them, gradiente.nn.layers.__all__ (as torch.nn does)
from gradiente.nn.layers import *  # noqa: F403
from gradiente.nn.layers.lazy import UninitializedBuffer, UninitializedParameter
from gradiente.nn.losses import (
    BCELoss,
    BCEWithLogitsLoss,
    CosineEmbeddingLoss,
    CrossEntropyLoss,
    GaussianNLLLoss,
    HingeEmbeddingLoss,
    HuberLoss,
    KLDivLoss,
    L1Loss,
    MarginRankingLoss,
    MSELoss,
    MultiLabelMarginLoss,
    MultiLabelSoftMarginLoss,
    MultiMarginLoss,
    NLLLoss,
    NLLLoss2d,
    PoissonNLLLoss,
    SmoothL1Loss,
    SoftMarginLoss,
    TripletMarginLoss,
    TripletMarginWithDistanceLoss,
)
from gradiente.nn.module import Module
from gradiente.nn.parallel import DataParallel
from gradiente.nn.parameter import Parameter

# ``from gradiente.nn import *``: every class imported above, and the submodules.
__all__ = sorted(
    name
    for name, value in vars().items()
    if isinstance(value, type) or name in ("functional", "init", "parallel", "utils")
)
