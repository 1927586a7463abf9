"""``torch.nn.functional``: the stateless functions behind the layers and the losses.

Layers hold parameters and call these; these check their inputs (with messages that say what
was expected and what came) and call one op each where speed matters: ``linear``, the
activations, ``batch_norm``/``layer_norm`` and ``cross_entropy`` are single fused ops.

One module per family, all re-exported here by name (``F.relu`` is
``F.activation.relu``, the same function object):

- ``activation``: relu and friends, softmax / log_softmax / softmin;
- ``dense``: linear, bilinear, embedding, the dropouts, one_hot;
- ``conv``: pad (convolution, pooling and unfold/fold come straight from ``ops/``);
- ``resampling``: pixel_shuffle, interpolate;
- ``normalization``: batch, layer, group, instance and RMS norm;
- ``distance``: normalize, cosine_similarity, pairwise_distance;
- ``loss``: every loss function.
"""

from gradiente.nn.functional.activation import (
    celu,
    elu,
    gelu,
    glu,
    hardshrink,
    hardsigmoid,
    hardswish,
    hardtanh,
    leaky_relu,
    log_softmax,
    logsigmoid,
    mish,
    prelu,
    relu,
    relu6,
    relu_,
    selu,
    sigmoid,
    silu,
    softmax,
    softmin,
    softplus,
    softshrink,
    softsign,
    tanh,
    tanhshrink,
    threshold,
)
from gradiente.nn.functional.conv import pad
from gradiente.nn.functional.dense import (
    bilinear,
    dropout,
    dropout1d,
    dropout2d,
    dropout3d,
    embedding,
    linear,
    one_hot,
)
from gradiente.nn.functional.distance import (
    cosine_similarity,
    normalize,
    pairwise_distance,
)
from gradiente.nn.functional.loss import (
    _legacy_reduction,
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cosine_embedding_loss,
    cross_entropy,
    gaussian_nll_loss,
    hinge_embedding_loss,
    huber_loss,
    kl_div,
    l1_loss,
    margin_ranking_loss,
    mse_loss,
    multilabel_soft_margin_loss,
    nll_loss,
    poisson_nll_loss,
    smooth_l1_loss,
    soft_margin_loss,
    triplet_margin_loss,
)
from gradiente.nn.functional.normalization import (
    batch_norm,
    group_norm,
    instance_norm,
    layer_norm,
    rms_norm,
)
from gradiente.nn.functional.resampling import (
    interpolate,
    pixel_shuffle,
    pixel_unshuffle,
    upsample,
)
from gradiente.ops.attention import scaled_dot_product_attention
from gradiente.ops.conv import conv1d, conv2d, conv_transpose2d, fold, unfold
from gradiente.ops.conv3d import conv3d, conv_transpose3d
from gradiente.ops.pool import (
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    adaptive_max_pool1d,
    adaptive_max_pool2d,
    avg_pool1d,
    avg_pool2d,
    max_pool1d,
    max_pool2d,
)
from gradiente.ops.pool3d import (
    avg_pool3d,
    max_pool3d,
    max_unpool1d,
    max_unpool2d,
    max_unpool3d,
)
from gradiente.tensor import Tensor  # torch.nn.functional.Tensor exists too

# the public names; _legacy_reduction is imported above for nn/losses.py
__all__ = [
    "adaptive_avg_pool1d",
    "adaptive_avg_pool2d",
    "adaptive_max_pool1d",
    "adaptive_max_pool2d",
    "avg_pool1d",
    "avg_pool2d",
    "avg_pool3d",
    "batch_norm",
    "bilinear",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "celu",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose2d",
    "conv_transpose3d",
    "cosine_embedding_loss",
    "cosine_similarity",
    "cross_entropy",
    "dropout",
    "dropout1d",
    "dropout2d",
    "dropout3d",
    "elu",
    "embedding",
    "fold",
    "gaussian_nll_loss",
    "gelu",
    "glu",
    "group_norm",
    "hardshrink",
    "hardsigmoid",
    "hardswish",
    "hardtanh",
    "hinge_embedding_loss",
    "huber_loss",
    "instance_norm",
    "interpolate",
    "kl_div",
    "l1_loss",
    "layer_norm",
    "leaky_relu",
    "linear",
    "log_softmax",
    "logsigmoid",
    "margin_ranking_loss",
    "max_pool1d",
    "max_pool2d",
    "max_pool3d",
    "max_unpool1d",
    "max_unpool2d",
    "max_unpool3d",
    "mish",
    "mse_loss",
    "multilabel_soft_margin_loss",
    "nll_loss",
    "normalize",
    "one_hot",
    "pad",
    "pairwise_distance",
    "pixel_shuffle",
    "pixel_unshuffle",
    "poisson_nll_loss",
    "prelu",
    "relu",
    "relu6",
    "relu_",
    "rms_norm",
    "scaled_dot_product_attention",
    "selu",
    "sigmoid",
    "silu",
    "smooth_l1_loss",
    "soft_margin_loss",
    "softmax",
    "softmin",
    "softplus",
    "softshrink",
    "softsign",
    "tanh",
    "tanhshrink",
    "Tensor",
    "threshold",
    "triplet_margin_loss",
    "unfold",
    "upsample",
]
