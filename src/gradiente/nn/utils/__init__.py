"""``torch.nn.utils``: gradient clipping (``clip_grad``), parameters as one vector
(``convert_parameters``), BatchNorm folding (``fusion``), pruning (``prune``),
``stateless.functional_call``, reparametrizations (``parametrize``, ``parametrizations`` and the
legacy hook forms ``weight_norm``, ``spectral_norm``) and variable-length sequences (``rnn``)."""

from gradiente.nn import rnn_utils as rnn  # noqa: F401 (torch.nn.utils.rnn)
from gradiente.nn.utils import fusion, parametrizations, parametrize, prune, stateless
from gradiente.nn.utils.clip_grad import (
    clip_grad_norm,
    clip_grad_norm_,
    clip_grad_value_,
    clip_grads_with_norm_,
    get_total_norm,
)
from gradiente.nn.utils.construction import skip_init
from gradiente.nn.utils.convert_parameters import parameters_to_vector, vector_to_parameters
from gradiente.nn.utils.fusion import (
    fuse_conv_bn_eval,
    fuse_conv_bn_weights,
    fuse_linear_bn_eval,
    fuse_linear_bn_weights,
)
from gradiente.nn.utils.spectral_norm import remove_spectral_norm, spectral_norm
from gradiente.nn.utils.weight_norm import remove_weight_norm, weight_norm

__all__ = [
    "clip_grad_norm",
    "clip_grad_norm_",
    "clip_grad_value_",
    "clip_grads_with_norm_",
    "fuse_conv_bn_eval",
    "fuse_conv_bn_weights",
    "fuse_linear_bn_eval",
    "fuse_linear_bn_weights",
    "fusion",
    "get_total_norm",
    "parameters_to_vector",
    "parametrizations",
    "parametrize",
    "prune",
    "remove_spectral_norm",
    "remove_weight_norm",
    "rnn",
    "skip_init",
    "spectral_norm",
    "stateless",
    "vector_to_parameters",
    "weight_norm",
]
