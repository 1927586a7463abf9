"""The ``torch.X`` forms of ``nn.functional``'s functions (``torch.conv2d``,
``torch.dropout``, ``torch.layer_norm``, ...), and ``F.max_pool2d_with_indices`` and friends.

torch exposes its C++ operators (ATen) at the top level too, and code ported from TorchScript
or written from scratch calls them. Their arguments are ATen's, which are not always
``nn.functional``'s: ``torch.dropout(input, p, train)`` has no defaults, ``torch.embedding``
takes the weight first, ``torch.batch_norm`` the affine parameters before the running
statistics, and the losses take ``reduction`` as a number (0: "none", 1: "mean", 2: "sum").
Each function here only reorders its arguments and calls the ``nn.functional`` one.
"""

from __future__ import annotations

from gradiente.nn.functional import activation as A
from gradiente.nn.functional import dense as D
from gradiente.nn.functional import loss as L
from gradiente.nn.functional import normalization as N
from gradiente.nn.functional.conv import conv_transpose1d
from gradiente.nn.functional.resampling import pixel_shuffle, pixel_unshuffle
from gradiente.ops import adaptive_pool as AP
from gradiente.ops import pool as P
from gradiente.ops import pool3d as P3
from gradiente.ops.conv import conv1d, conv2d, conv_transpose2d
from gradiente.ops.conv3d import conv3d, conv_transpose3d

# ATen's numbering of the loss reductions (at::Reduction)
_REDUCTIONS = ("none", "mean", "sum")

__all__ = [
    "adaptive_avg_pool1d",
    "adaptive_max_pool1d",
    "alpha_dropout",
    "avg_pool1d",
    "batch_norm",
    "bilinear",
    "binary_cross_entropy_with_logits",
    "celu",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "dropout",
    "embedding",
    "feature_alpha_dropout",
    "feature_dropout",
    "group_norm",
    "hardshrink",
    "instance_norm",
    "kl_div",
    "layer_norm",
    "max_pool1d",
    "max_pool2d",
    "max_pool3d",
    "pixel_shuffle",
    "pixel_unshuffle",
    "prelu",
    "rms_norm",
    "rrelu",
    "selu",
    "threshold",
]


def _stride(stride):
    """ATen's ``stride=[]`` (the default) means "the kernel size", as ``None`` does in F."""
    return None if stride is None or (isinstance(stride, (list, tuple)) and not stride) else stride


def dropout(input, p: float, train: bool):
    """``torch.dropout(input, p, train)``: ``F.dropout(input, p, training=train)``."""
    return D.dropout(input, p, train)


def feature_dropout(input, p: float, train: bool):
    """``torch.feature_dropout``: whole channels dropped (dim 1 of an (N, C, ...) input), as
    ``F.dropout2d``/``F.dropout3d`` do."""
    return D.dropout2d(input, p, train) if input.ndim <= 4 else D.dropout3d(input, p, train)


def alpha_dropout(input, p: float, train: bool):
    return D.alpha_dropout(input, p, train)


def feature_alpha_dropout(input, p: float, train: bool):
    return D.feature_alpha_dropout(input, p, train)


def embedding(weight, indices, padding_idx: int = -1, scale_grad_by_freq: bool = False,
              sparse: bool = False):  # fmt: skip
    """``torch.embedding(weight, indices)``: the rows of ``weight`` (``F.embedding`` with its
    arguments swapped; ATen's ``padding_idx=-1`` means none)."""
    padding = None if padding_idx == -1 else padding_idx
    return D.embedding(indices, weight, padding, scale_grad_by_freq=scale_grad_by_freq)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps: float = 1e-5,
               cudnn_enable: bool = True):  # fmt: skip
    return N.layer_norm(input, normalized_shape, weight, bias, eps)


def group_norm(input, num_groups: int, weight=None, bias=None, eps: float = 1e-5,
               cudnn_enabled: bool = True):  # fmt: skip
    return N.group_norm(input, num_groups, weight, bias, eps)


def rms_norm(input, normalized_shape, weight=None, eps=None):
    return N.rms_norm(input, normalized_shape, weight, eps)


def batch_norm(input, weight, bias, running_mean, running_var, training: bool,
               momentum: float, eps: float, cudnn_enabled: bool):  # fmt: skip
    """``torch.batch_norm``: ``F.batch_norm`` with the affine parameters first."""
    return N.batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


def instance_norm(input, weight, bias, running_mean, running_var, use_input_stats: bool,
                  momentum: float, eps: float, cudnn_enabled: bool):  # fmt: skip
    """``torch.instance_norm``: ``F.instance_norm`` with the affine parameters first."""
    return N.instance_norm(
        input, running_mean, running_var, weight, bias, use_input_stats, momentum, eps
    )


def max_pool1d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode: bool = False):
    return P.max_pool1d(input, kernel_size, _stride(stride), padding, dilation, ceil_mode)


def max_pool2d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode: bool = False):
    return P.max_pool2d(input, kernel_size, _stride(stride), padding, dilation, ceil_mode)


def max_pool3d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode: bool = False):
    return P3.max_pool3d(input, kernel_size, _stride(stride), padding, dilation, ceil_mode)


def avg_pool1d(input, kernel_size, stride=(), padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True):  # fmt: skip
    return P.avg_pool1d(input, kernel_size, _stride(stride), padding, ceil_mode, count_include_pad)


def adaptive_avg_pool1d(input, output_size):
    return AP.adaptive_avg_pool1d(input, output_size)


def adaptive_max_pool1d(input, output_size):
    """``torch.adaptive_max_pool1d``: (values, indices), always both."""
    return AP.adaptive_max_pool1d(input, output_size, True)


def prelu(input, weight):
    return A.prelu(input, weight)


def selu(input):
    return A.selu(input)


def celu(input, alpha: float = 1.0):
    return A.celu(input, alpha)


def rrelu(input, lower: float = 0.125, upper: float = 1.0 / 3.0, training: bool = False,
          generator=None):  # fmt: skip
    return A.rrelu(input, lower, upper, training)


def threshold(input, threshold: float, value: float):
    return A.threshold(input, threshold, value)


def hardshrink(input, lambd: float = 0.5):
    return A.hardshrink(input, lambd)


def bilinear(input1, input2, weight, bias=None):
    return D.bilinear(input1, input2, weight, bias)


def kl_div(input, target, reduction: int = 0, *, log_target: bool = False):
    """``torch.kl_div``: ``F.kl_div`` with ``reduction`` as ATen's number. (Called without
    it, torch 2.13 returns the pointwise terms, unreduced, and so does this.)"""
    return L.kl_div(input, target, reduction=_REDUCTIONS[reduction], log_target=log_target)


def binary_cross_entropy_with_logits(input, target, weight=None, pos_weight=None,
                                     reduction: int = 0):  # fmt: skip
    """``torch.binary_cross_entropy_with_logits``: the F function with ``reduction`` as ATen's
    number (unreduced without it, as in torch 2.13)."""
    return L.binary_cross_entropy_with_logits(
        input, target, weight, reduction=_REDUCTIONS[reduction], pos_weight=pos_weight
    )


# ``F.<pool>_with_indices``: the pooling with ``return_indices=True``, as torch names it.
def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode: bool = False, return_indices: bool = True):  # fmt: skip
    return P.max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode: bool = False, return_indices: bool = True):  # fmt: skip
    return P.max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool3d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode: bool = False, return_indices: bool = True):  # fmt: skip
    return P3.max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def adaptive_max_pool1d_with_indices(input, output_size, return_indices: bool = True):
    return AP.adaptive_max_pool1d(input, output_size, True)


def adaptive_max_pool2d_with_indices(input, output_size, return_indices: bool = True):
    return AP.adaptive_max_pool2d(input, output_size, True)


def adaptive_max_pool3d_with_indices(input, output_size, return_indices: bool = True):
    return AP.adaptive_max_pool3d(input, output_size, True)
