"""The layers (``torch.nn.modules``): one file per family, re-exported here."""

from gradiente.nn.layers.activation import (
    ELU,
    GELU,
    Hardtanh,
    LeakyReLU,
    LogSigmoid,
    LogSoftmax,
    ReLU,
    ReLU6,
    Sigmoid,
    SiLU,
    Softmax,
    Softmin,
    Softplus,
    Tanh,
)
from gradiente.nn.layers.container import (
    ModuleDict,
    ModuleList,
    ParameterDict,
    ParameterList,
    Sequential,
)
from gradiente.nn.layers.dropout import Dropout, Dropout1d, Dropout2d
from gradiente.nn.layers.flatten import Flatten, Unflatten
from gradiente.nn.layers.linear import Bilinear, Identity, Linear
from gradiente.nn.layers.normalization import BatchNorm1d, BatchNorm2d, LayerNorm

try:  # TEMPORARY until conv/pool land
    from gradiente.nn.layers.conv import Conv1d, Conv2d, ConvTranspose2d  # noqa: F401
except ImportError:  # TEMPORARY until conv/pool land
    pass
try:  # TEMPORARY until conv/pool land
    from gradiente.nn.layers.pooling import (
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
    "BatchNorm1d",
    "BatchNorm2d",
    "Bilinear",
    "Dropout",
    "Dropout1d",
    "Dropout2d",
    "ELU",
    "Flatten",
    "GELU",
    "Hardtanh",
    "Identity",
    "LayerNorm",
    "LeakyReLU",
    "Linear",
    "LogSigmoid",
    "LogSoftmax",
    "ModuleDict",
    "ModuleList",
    "ParameterDict",
    "ParameterList",
    "ReLU",
    "ReLU6",
    "Sequential",
    "SiLU",
    "Sigmoid",
    "Softmax",
    "Softmin",
    "Softplus",
    "Tanh",
    "Unflatten",
]
