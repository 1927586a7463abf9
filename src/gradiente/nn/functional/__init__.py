"""``torch.nn.functional``: the stateless functions behind the layers and the losses.

Layers hold parameters and call these; these check their inputs (with messages that say what
was expected and what came) and call one op each where speed matters: ``linear``, the
activations, ``batch_norm``/``layer_norm`` and ``cross_entropy`` are single fused ops.

One module per family, all re-exported here by name (``F.relu`` is
``F.activation.relu``, the same function object):

- ``activation``: relu and friends, softmax / log_softmax / softmin;
- ``dense``: linear, bilinear, embedding, the dropouts, one_hot;
- ``conv``: pad, conv_transpose1d (the other convolutions, pooling and unfold/fold come
  straight from ``ops/``);
- ``resampling``: pixel_shuffle, interpolate, affine_grid, grid_sample;
- ``normalization``: batch, layer, group, instance and RMS norm;
- ``distance``: normalize, cosine_similarity, pairwise_distance;
- ``loss``: every loss function.
"""

from gradiente.nn.functional.activation import (
    celu,
    celu_,
    elu,
    elu_,
    gelu,
    glu,
    gumbel_softmax,
    hardshrink,
    hardsigmoid,
    hardswish,
    hardtanh,
    hardtanh_,
    leaky_relu,
    leaky_relu_,
    log_softmax,
    logsigmoid,
    mish,
    prelu,
    relu,
    relu6,
    relu_,
    rrelu,
    rrelu_,
    selu,
    selu_,
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
    threshold_,
)
from gradiente.nn.functional.aten import (
    adaptive_max_pool1d_with_indices,
    adaptive_max_pool2d_with_indices,
    adaptive_max_pool3d_with_indices,
    max_pool1d_with_indices,
    max_pool2d_with_indices,
    max_pool3d_with_indices,
)
from gradiente.nn.functional.conv import conv_transpose1d, pad
from gradiente.nn.functional.dense import (
    alpha_dropout,
    bilinear,
    dropout,
    dropout1d,
    dropout2d,
    dropout3d,
    embedding,
    feature_alpha_dropout,
    linear,
    one_hot,
)
from gradiente.nn.functional.distance import (
    cosine_similarity,
    normalize,
    pairwise_distance,
    pdist,
)
from gradiente.nn.functional.extra import (
    channel_shuffle,
    fractional_max_pool2d,
    fractional_max_pool2d_with_indices,
    fractional_max_pool3d,
    fractional_max_pool3d_with_indices,
    lp_pool1d,
    lp_pool2d,
    lp_pool3d,
    native_channel_shuffle,
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
    multi_margin_loss,
    multilabel_margin_loss,
    multilabel_soft_margin_loss,
    nll_loss,
    poisson_nll_loss,
    smooth_l1_loss,
    soft_margin_loss,
    triplet_margin_loss,
    triplet_margin_with_distance_loss,
)
from gradiente.nn.functional.normalization import (
    batch_norm,
    group_norm,
    instance_norm,
    layer_norm,
    local_response_norm,
    rms_norm,
)
from gradiente.nn.functional.resampling import (
    adaptive_avg_pool3d,
    affine_grid,
    grid_sample,
    interpolate,
    pixel_shuffle,
    pixel_unshuffle,
    upsample,
    upsample_bilinear,
    upsample_nearest,
)
from gradiente.ops.adaptive_pool import adaptive_max_pool3d
from gradiente.ops.attention import scaled_dot_product_attention
from gradiente.ops.conv import conv1d, conv2d, conv_transpose2d, fold, unfold
from gradiente.ops.conv3d import conv3d, conv_transpose3d
from gradiente.ops.ctc import ctc_loss
from gradiente.ops.embedding_bag import embedding_bag
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
    "adaptive_avg_pool3d",
    "adaptive_max_pool1d",
    "adaptive_max_pool2d",
    "adaptive_max_pool3d",
    "avg_pool1d",
    "avg_pool2d",
    "avg_pool3d",
    "batch_norm",
    "bilinear",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "celu",
    "channel_shuffle",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "cosine_embedding_loss",
    "cosine_similarity",
    "cross_entropy",
    "ctc_loss",
    "dropout",
    "dropout1d",
    "dropout2d",
    "dropout3d",
    "elu",
    "embedding",
    "embedding_bag",
    "fold",
    "fractional_max_pool2d",
    "fractional_max_pool2d_with_indices",
    "fractional_max_pool3d",
    "fractional_max_pool3d_with_indices",
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
    "affine_grid",
    "grid_sample",
    "kl_div",
    "l1_loss",
    "layer_norm",
    "leaky_relu",
    "linear",
    "lp_pool1d",
    "lp_pool2d",
    "lp_pool3d",
    "log_softmax",
    "logsigmoid",
    "margin_ranking_loss",
    "max_pool1d",
    "max_pool2d",
    "max_pool3d",
    "max_pool1d_with_indices",
    "max_pool2d_with_indices",
    "max_pool3d_with_indices",
    "adaptive_max_pool1d_with_indices",
    "adaptive_max_pool2d_with_indices",
    "adaptive_max_pool3d_with_indices",
    "max_unpool1d",
    "max_unpool2d",
    "max_unpool3d",
    "mish",
    "mse_loss",
    "native_channel_shuffle",
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
    "upsample_bilinear",
    "upsample_nearest",
    "alpha_dropout",
    "celu_",
    "elu_",
    "feature_alpha_dropout",
    "gumbel_softmax",
    "hardtanh_",
    "leaky_relu_",
    "local_response_norm",
    "multi_margin_loss",
    "multilabel_margin_loss",
    "pdist",
    "rrelu",
    "rrelu_",
    "selu_",
    "threshold_",
    "triplet_margin_with_distance_loss",
]


def __getattr__(name):
    """``F.multi_head_attention_forward`` lives with ``nn.MultiheadAttention`` (the layers import
    this package, so it is fetched on first use instead of at import)."""
    if name == "multi_head_attention_forward":
        from gradiente.nn.layers.attention import multi_head_attention_forward  # noqa: PLC0415

        return multi_head_attention_forward
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
