"""The layers (``torch.nn.modules``): one file per family, re-exported here.

This is the one list of the layers: ``gradiente.nn`` re-exports every name in ``__all__``.
"""

from gradiente.nn.layers.activation import (
    CELU,
    ELU,
    GELU,
    GLU,
    SELU,
    Hardshrink,
    Hardsigmoid,
    Hardswish,
    Hardtanh,
    LeakyReLU,
    LogSigmoid,
    LogSoftmax,
    Mish,
    PReLU,
    ReLU,
    ReLU6,
    Sigmoid,
    SiLU,
    Softmax,
    Softmax2d,
    Softmin,
    Softplus,
    Softshrink,
    Softsign,
    Tanh,
    Tanhshrink,
    Threshold,
)
from gradiente.nn.layers.attention import MultiheadAttention
from gradiente.nn.layers.container import (
    ModuleDict,
    ModuleList,
    ParameterDict,
    ParameterList,
    Sequential,
)
from gradiente.nn.layers.conv import (
    Conv1d,
    Conv2d,
    Conv3d,
    ConvTranspose2d,
    ConvTranspose3d,
)
from gradiente.nn.layers.distance import (
    CosineSimilarity,
    PairwiseDistance,
)
from gradiente.nn.layers.dropout import (
    Dropout,
    Dropout1d,
    Dropout2d,
    Dropout3d,
)
from gradiente.nn.layers.embedding import (
    Embedding,
)
from gradiente.nn.layers.flatten import (
    Flatten,
    Unflatten,
)
from gradiente.nn.layers.linear import (
    Bilinear,
    Identity,
    Linear,
)
from gradiente.nn.layers.normalization import (
    BatchNorm1d,
    BatchNorm2d,
    BatchNorm3d,
    GroupNorm,
    InstanceNorm1d,
    InstanceNorm2d,
    InstanceNorm3d,
    LayerNorm,
    RMSNorm,
)
from gradiente.nn.layers.padding import (
    CircularPad1d,
    CircularPad2d,
    ConstantPad1d,
    ConstantPad2d,
    ConstantPad3d,
    ReflectionPad1d,
    ReflectionPad2d,
    ReplicationPad1d,
    ReplicationPad2d,
    ZeroPad1d,
    ZeroPad2d,
)
from gradiente.nn.layers.pooling import (
    AdaptiveAvgPool1d,
    AdaptiveAvgPool2d,
    AdaptiveMaxPool2d,
    AvgPool1d,
    AvgPool2d,
    AvgPool3d,
    MaxPool1d,
    MaxPool2d,
    MaxPool3d,
    MaxUnpool1d,
    MaxUnpool2d,
    MaxUnpool3d,
)
from gradiente.nn.layers.rnn import (
    GRU,
    LSTM,
    RNN,
    GRUCell,
    LSTMCell,
    RNNBase,
    RNNCell,
    RNNCellBase,
)
from gradiente.nn.layers.sync_batchnorm import SyncBatchNorm
from gradiente.nn.layers.transformer import (
    Transformer,
    TransformerDecoder,
    TransformerDecoderLayer,
    TransformerEncoder,
    TransformerEncoderLayer,
)
from gradiente.nn.layers.upsampling import (
    PixelShuffle,
    PixelUnshuffle,
    Upsample,
    UpsamplingBilinear2d,
    UpsamplingNearest2d,
)

# Every layer class imported above: each name is written once in this package, in its import.
__all__ = sorted(name for name, value in vars().items() if isinstance(value, type))
