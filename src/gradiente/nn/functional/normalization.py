"""Batch, layer, group, instance and RMS normalisation.

Batch and layer norm are one fused op each (``ops/normalization.py``: x̂ = (x − μ)/√(σ² + ε)
and γ x̂ + β with their backward in one pass); group and instance norm reshape so that the same
op normalises the right axes, then apply the per-channel affine map.
"""

from __future__ import annotations

import math
import numbers

from gradiente.autograd.grad_mode import grad_state as _grad_state
from gradiente.backend import torch_type_name, xp
from gradiente.nn.functional import conv as _conv
from gradiente.ops import pool as _pool
from gradiente.ops import pool3d as _pool3d
from gradiente.ops.arguments import require_tensor
from gradiente.ops.geometry import follows_channels_last
from gradiente.ops.normalization import BatchNormEval as _BatchNormEval
from gradiente.ops.normalization import NormalizeAffine as _NormalizeAffine
from gradiente.tensor import Tensor

_REDUCED_FLOATS = ("bfloat16", "float16")


def _check_parameter_dtypes(input: Tensor, *parameters: Tensor | None) -> None:
    """PyTorch's CPU rule for the normalisations' parameters (and running statistics): the
    input's dtype, or float32 for a bfloat16/float16 input ("mixed dtype"); anything else
    raises torch's error rather than silently promoting."""
    given = [p for p in parameters if p is not None]
    if all(p.dtype == input.dtype for p in given):
        return
    if input.dtype.name not in (*_REDUCED_FLOATS, "float32"):
        raise RuntimeError("mixed dtype (CPU): all inputs must share same datatype.")
    if input.dtype.name == "float32" or any(p.dtype.name != "float32" for p in given):
        raise RuntimeError("mixed dtype (CPU): expect parameter to have scalar type of Float")


@follows_channels_last
def batch_norm(
    input: Tensor,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise each channel (axis 1) over the batch and spatial axes, then γ x̂ + β.

    Training: batch statistics, and running_mean / running_var (if given) move towards the
    batch mean and the unbiased batch variance by ``momentum``. Otherwise: running statistics.
    """
    if input.ndim < 2:
        raise ValueError(
            f"batch_norm: expected at least 2D input (N, C, ...), got "
            f"{input.ndim}D input of shape {tuple(input.shape)}"
        )
    if not input.dtype.is_floating_point:  # an integer image batch, say: torch's kernel error
        kind = torch_type_name(input._data.dtype)
        raise NotImplementedError(f"\"batch_norm\" not implemented for '{kind}'")
    _check_parameter_dtypes(input, running_mean, running_var, weight, bias)
    for name, t in (("running_mean", running_mean), ("running_var", running_var)):
        if t is not None and t.requires_grad and _grad_state.enabled:  # buffers, not inputs
            raise RuntimeError(
                f"The function 'native_batch_norm' is not differentiable with respect to "
                f"argument '{name}'. This input cannot have requires_grad True."
            )
    C = input.shape[1]
    for name, t in (  # one entry per channel of the input, checked in torch's order
        ("running_mean", running_mean),
        ("running_var", running_var),
        ("weight", weight),
        ("bias", bias),
    ):
        if t is not None and t.numel() != C:
            raise RuntimeError(f"{name} should contain {C} elements not {t.numel()}")
    param_shape = (1, C) + (1,) * (input.ndim - 2)
    axes = (0,) + tuple(range(2, input.ndim))
    if input.numel() == 0:
        # torch's answer for an empty batch: no statistics, the input passed through the affine
        # map (a copy, so that the result is not a view of the input); buffers untouched
        out = input.clone()
        if weight is not None:
            out = out * weight.reshape(param_shape)
        return out if bias is None else out + bias.reshape(param_shape)
    if training:
        if input.numel() // C == 1:
            raise ValueError(
                f"Expected more than 1 value per channel when training, got input size "
                f"{input.shape}"
            )
        running = None
        if running_mean is not None and running_var is not None:
            running = (running_mean, running_var, momentum)
        return _NormalizeAffine.apply(input, weight, bias, axes, param_shape, axes, eps, running)
    if running_mean is None or running_var is None:
        raise RuntimeError(
            "batch_norm: running_mean and running_var must be defined in "
            "evaluation mode (training=False)"
        )
    # y = (x − μ_run) · γ/√(σ²_run + ε) + β: an affine map per channel, one graph node
    return _BatchNormEval.apply(input, weight, bias, running_mean, running_var, param_shape, eps)


def _normalized_shape(input: Tensor, normalized_shape, star: str = "*, ", params=()) -> tuple:
    """``normalized_shape`` as a tuple, checked to be the trailing axes of ``input`` after the
    shapes of ``params`` (name, tensor or None) in torch's order. ``star``: how torch's message
    opens the expected shape (``[*, 4]``; rms_norm's says ``[*4]``)."""
    shape = (
        (normalized_shape,)
        if isinstance(normalized_shape, numbers.Integral)
        else tuple(normalized_shape)
    )
    for name, t in params:
        if t is not None and tuple(t.shape) != shape:
            raise RuntimeError(
                f"Expected {name} to be of same shape as normalized_shape, but got {name} of "
                f"shape {list(t.shape)} and normalized_shape = {list(shape)}"
            )
    # a shorter input cannot end in ``shape``: its tail slice is shorter than ``shape``
    if tuple(input.shape[input.ndim - len(shape) :]) != shape:
        raise RuntimeError(
            f"Given normalized_shape={list(shape)}, expected input with shape [{star}"
            f"{', '.join(str(s) for s in shape)}], but got input of size{list(input.shape)}"
        )
    return shape


def layer_norm(
    input: Tensor,
    normalized_shape,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise over the last ``len(normalized_shape)`` axes of each sample, then γ x̂ + β."""
    require_tensor("layer_norm", input)
    shape = _normalized_shape(input, normalized_shape, params=(("weight", weight), ("bias", bias)))
    _check_parameter_dtypes(input, weight, bias)
    k = len(shape)
    stat_axes = tuple(range(input.ndim - k, input.ndim))
    param_axes = tuple(range(input.ndim - k))
    return _NormalizeAffine.apply(input, weight, bias, stat_axes, shape, param_axes, eps, None)


@follows_channels_last
def group_norm(
    input: Tensor,
    num_groups: int,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise each sample over groups of ``C / num_groups`` channels (and all spatial
    positions), then γ x̂ + β per channel (Wu & He, 2018)."""
    if input.ndim < 2:
        raise RuntimeError(
            f"Expected at least 2 dimensions for input tensor but received {input.ndim}"
        )
    _check_parameter_dtypes(input, weight, bias)
    N, C = input.shape[:2]
    if C % num_groups:
        raise RuntimeError(
            f"Expected number of channels in input to be divisible by num_groups, but got "
            f"input of shape {list(input.shape)} and num_groups={num_groups}"
        )
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and (t.ndim != 1 or t.shape[0] != C):
            raise RuntimeError(
                f"Expected {name} to be a vector of size equal to the number of channels in "
                f"input, but got {name} of shape {list(t.shape)} and input of shape "
                f"{list(input.shape)}"
            )
    # torch checks the grouped size [N·C/G, G, *spatial], in training or not
    grouped_size = [N * C // num_groups, num_groups, *input.shape[2:]]
    if grouped_size[0] * math.prod(grouped_size[2:]) == 1:
        raise ValueError(
            f"Expected more than 1 value per channel when training, got input size {grouped_size}"
        )
    grouped = input.reshape(N, num_groups, input.numel() // max(N * num_groups, 1))
    # (N, G, C/G · spatial); sizes spelled out, as −1 is ambiguous for an empty batch
    xhat = _NormalizeAffine.apply(grouped, None, None, (2,), (1,), (), eps, None)
    return _channel_affine(xhat.reshape(input.shape), weight, bias)


def _channel_affine(x: Tensor, weight: Tensor | None, bias: Tensor | None) -> Tensor:
    """γ_c x + β_c with γ, β of shape (C,) broadcast along axis 1 of x."""
    shape = (1, -1) + (1,) * (x.ndim - 2)
    if weight is not None:
        x = x * weight.reshape(shape)
    if bias is not None:
        x = x + bias.reshape(shape)
    return x


def instance_norm(
    input: Tensor,
    running_mean: Tensor | None = None,
    running_var: Tensor | None = None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    use_input_stats: bool = True,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise each channel of each sample over its spatial positions (Ulyanov et al., 2016),
    then γ x̂ + β per channel.

    With ``use_input_stats`` the running statistics (if given) move towards the batch average
    of the per-instance means and unbiased variances by ``momentum``; without it, they are used
    instead of the instance statistics.
    """
    _check_parameter_dtypes(input, running_mean, running_var, weight, bias)
    if not use_input_stats:
        return batch_norm(input, running_mean, running_var, weight, bias, False, momentum, eps)
    spatial = tuple(range(2, input.ndim))
    if math.prod(input.size()[2:]) == 1:  # size() as torch calls it (an array fails there)
        raise ValueError(
            f"Expected more than 1 spatial element when training, got input size {input.shape}"
        )
    N, C = input.shape[:2]
    for name, t in (("running_mean", running_mean), ("running_var", running_var)):
        if t is not None and t.numel() != C:  # torch repeats them per sample, then checks
            raise RuntimeError(f"{name} should contain {N * C} elements not {N * t.numel()}")
    if running_mean is not None and running_var is not None and input.numel():
        x = input._data
        n = x.size // (x.shape[0] * x.shape[1])
        # running ← (1 − m) running + m · mean over the batch of the instance statistics
        mean = x.mean(axis=spatial).mean(axis=0)
        var = x.var(axis=spatial, ddof=1).mean(axis=0) if n > 1 else x.var(axis=spatial)
        running_mean._data[...] = momentum * mean + (1 - momentum) * running_mean._data
        running_var._data[...] = momentum * var + (1 - momentum) * running_var._data
        running_mean._bump()
        running_var._bump()
    # torch's route: each (sample, channel) pair is one channel of a batch norm on the input
    # seen as (1, N·C, *spatial), with γ, β repeated per sample; then viewed back
    flat = input.reshape((1, N * C) + tuple(input.shape[2:]))
    w = None if weight is None else weight.repeat(N)
    b = None if bias is None else bias.repeat(N)
    out = batch_norm(flat, None, None, w, b, True, momentum, eps)
    return out.view(input.shape)


def rms_norm(
    input: Tensor, normalized_shape, weight: Tensor | None = None, eps: float | None = None
) -> Tensor:
    """x / √(mean(x²) + ε) over the last axes ``normalized_shape``, times γ (Zhang & Sennrich,
    2019); ε defaults to the machine epsilon of x's dtype."""
    shape = _normalized_shape(input, normalized_shape, star="*")  # torch's words, sic
    if eps is None:
        eps = float(xp.finfo(input._data.dtype).eps)
    dims = tuple(range(input.ndim - len(shape), input.ndim))
    out = input * ((input * input).mean(dims, keepdim=True) + eps).rsqrt()
    return out if weight is None else out * weight


@follows_channels_last
def local_response_norm(
    input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0
) -> Tensor:
    """x / (k + α · mean of x² over ``size`` neighbouring channels)^β, the window centred on
    the channel (⌊size/2⌋ before, ⌊(size−1)/2⌋ after, zeros past the ends): torch's
    composition, an average pool of x² along the channel axis."""
    dim = input.ndim
    if dim < 3:
        raise ValueError(
            "Expected 3D or higher dimensionality                          input (got "
            f"{dim} dimensions)"
        )
    if input.numel() == 0:
        return input
    div = input * input
    if dim == 3:
        div = div.unsqueeze(1)  # (N, 1, C, L): pool a (size, 1) window down the channels
        div = _conv.pad(div, (0, 0, size // 2, (size - 1) // 2))
        div = _pool.avg_pool2d(div, (size, 1), stride=1).squeeze(1)
    else:
        sizes = input.shape
        div = div.reshape(sizes[0], 1, sizes[1], sizes[2], -1)  # (N, 1, C, H, rest)
        div = _conv.pad(div, (0, 0, 0, 0, size // 2, (size - 1) // 2))
        div = _pool3d.avg_pool3d(div, (size, 1, 1), stride=1).squeeze(1)
        div = div.reshape(sizes)
    div = (div * alpha + k).pow(beta)
    return input / div
