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
    SiLU,
    Sigmoid,
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
    from gradiente.nn.layers import Conv1d, Conv2d, ConvTranspose2d
except ImportError:  # TEMPORARY until conv/pool land
    pass
try:  # TEMPORARY until conv/pool land
    from gradiente.nn.layers import (
        AdaptiveAvgPool1d,
        AdaptiveAvgPool2d,
        AdaptiveMaxPool2d,
        AvgPool1d,
        AvgPool2d,
        MaxPool1d,
        MaxPool2d,
    )
except ImportError:  # TEMPORARY until conv/pool land
    pass
