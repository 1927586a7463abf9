"""``gradiente.nn`` (``torch.nn``): Module, Parameter, the layers, the losses, and the
``functional``, ``init`` and ``utils`` submodules."""

from gradiente.nn import functional, init, utils
from gradiente.nn.layers import (
    ELU,
    GELU,
    BatchNorm1d,
    BatchNorm2d,
    Bilinear,
    Dropout,
    Dropout1d,
    Dropout2d,
    Flatten,
    Hardtanh,
    Identity,
    LayerNorm,
    LeakyReLU,
    Linear,
    LogSigmoid,
    LogSoftmax,
    ModuleDict,
    ModuleList,
    ParameterDict,
    ParameterList,
    ReLU,
    ReLU6,
    Sequential,
    Sigmoid,
    SiLU,
    Softmax,
    Softmin,
    Softplus,
    Tanh,
    Unflatten,
)
from gradiente.nn.losses import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HuberLoss,
    KLDivLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
    SmoothL1Loss,
)
from gradiente.nn.module import Module
from gradiente.nn.parameter import Parameter

try:  # TEMPORARY until conv/pool land
    from gradiente.nn.layers import Conv1d, Conv2d, ConvTranspose2d  # noqa: F401
except ImportError:  # TEMPORARY until conv/pool land
    pass
try:  # TEMPORARY until conv/pool land
    from gradiente.nn.layers import (
        AdaptiveAvgPool1d,  # noqa: F401
        AdaptiveAvgPool2d,  # noqa: F401
        AdaptiveMaxPool2d,  # noqa: F401
        AvgPool1d,  # noqa: F401
        AvgPool2d,  # noqa: F401
        MaxPool1d,  # noqa: F401
        MaxPool2d,  # noqa: F401
    )
except ImportError:  # TEMPORARY until conv/pool land
    pass

__all__ = [
    "BCELoss",
    "BCEWithLogitsLoss",
    "BatchNorm1d",
    "BatchNorm2d",
    "Bilinear",
    "CrossEntropyLoss",
    "Dropout",
    "Dropout1d",
    "Dropout2d",
    "ELU",
    "Flatten",
    "GELU",
    "Hardtanh",
    "HuberLoss",
    "Identity",
    "KLDivLoss",
    "L1Loss",
    "LayerNorm",
    "LeakyReLU",
    "Linear",
    "LogSigmoid",
    "LogSoftmax",
    "MSELoss",
    "Module",
    "ModuleDict",
    "ModuleList",
    "NLLLoss",
    "Parameter",
    "ParameterDict",
    "ParameterList",
    "ReLU",
    "ReLU6",
    "Sequential",
    "SiLU",
    "Sigmoid",
    "SmoothL1Loss",
    "Softmax",
    "Softmin",
    "Softplus",
    "Tanh",
    "Unflatten",
    "functional",
    "init",
    "utils",
]
