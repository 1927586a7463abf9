"""``torch.nn.functional``: the stateless functions behind the layers and the losses.

Layers hold parameters and call these; these check their inputs (with messages that say what
was expected and what came) and call one op each where speed matters: ``linear``, the
activations, ``batch_norm``/``layer_norm`` and ``cross_entropy`` are single fused ops.
"""

from __future__ import annotations

import math
import numbers
import warnings

from gradiente import random as _random
from gradiente.autograd.grad_mode import is_grad_enabled, no_grad
from gradiente.backend import result_type as _result_type
from gradiente.backend import xp
from gradiente.ops import activation as A
from gradiente.ops import loss as L
from gradiente.ops import reduce as R
from gradiente.ops.conv import conv1d, conv2d, conv_transpose2d, fold, unfold  # noqa: F401
from gradiente.ops.linear import Embedding as _Embedding
from gradiente.ops.linear import Linear as _Linear
from gradiente.ops.normalization import NormalizeAffine as _NormalizeAffine
from gradiente.ops.pool import (
    adaptive_avg_pool1d,  # noqa: F401
    adaptive_avg_pool2d,  # noqa: F401
    adaptive_max_pool1d,  # noqa: F401
    adaptive_max_pool2d,  # noqa: F401
    avg_pool1d,  # noqa: F401
    avg_pool2d,  # noqa: F401
    max_pool1d,  # noqa: F401
    max_pool2d,  # noqa: F401
)
from gradiente.ops.shape import ConstantPad as _ConstantPad
from gradiente.tensor import Tensor, as_tensor

# ------------------------------------------------------------------------------------ linear


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = x Wᵀ + b, x of shape (*, in_features), W (out_features, in_features)."""
    x_shape, w_shape = input._data.shape, weight._data.shape
    if not x_shape or len(w_shape) != 2 or x_shape[-1] != w_shape[1]:
        cols = x_shape[-1] if x_shape else 1
        rows = input.numel() // max(cols, 1)
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({rows}x{cols} and "
            f"{'x'.join(str(s) for s in reversed(w_shape))}): linear expects input with "
            f"{w_shape[-1]} features in its last dimension, got input shape {tuple(x_shape)}"
        )
    if input._data.dtype != weight._data.dtype:
        raise RuntimeError(
            f"mat1 and mat2 must have the same dtype, but got {input.dtype.name.capitalize()} "
            f"and {weight.dtype.name.capitalize()} (cast the input with .to(weight.dtype) or "
            "the module with .double()/.float())"
        )
    return _Linear.apply(input, weight, bias)


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None):
    """y_k = x1ᵀ W_k x2 + b_k for W of shape (out, in1, in2)."""
    # (*, in1) (out, in1, in2) (*, in2) -> (*, out), as a contraction through two products
    out = ((input1.unsqueeze(-2).unsqueeze(-2) @ weight).squeeze(-2) * input2.unsqueeze(-2)).sum(-1)
    return out if bias is None else out + bias


def embedding(
    input: Tensor,
    weight: Tensor,
    padding_idx: int | None = None,
    max_norm: float | None = None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
) -> Tensor:
    """Rows of the table ``weight`` (num_embeddings, embedding_dim) for the integer ``input``.

    ``padding_idx``: that row gets no gradient. ``max_norm``: first rescale, in place, each
    looked-up row whose ``norm_type``-norm exceeds it to norm ``max_norm`` (PyTorch's
    ``embedding_renorm_``). ``sparse`` gradients are not supported: the gradient is dense.
    """
    if input._data.dtype.kind not in "iu":
        raise RuntimeError(
            f"Expected tensor for argument #1 'indices' to have one of the following scalar "
            f"types: Long, Int; but got {input.dtype} instead (while checking arguments for "
            f"embedding)"
        )
    n = weight.shape[0]
    if padding_idx is not None:
        if not -n <= padding_idx < n:
            raise AssertionError("Padding_idx must be within num_embeddings")
        padding_idx = padding_idx % n
    if input.numel() and (input._data.min() < 0 or input._data.max() >= n):
        raise IndexError("index out of range in self")
    if max_norm is not None:
        _embedding_renorm_(weight, input, max_norm, norm_type)
    return _Embedding.apply(weight, input, padding_idx, scale_grad_by_freq)


def _embedding_renorm_(weight: Tensor, input: Tensor, max_norm: float, norm_type: float) -> None:
    rows = xp.unique(input._data.reshape(-1))
    w = weight._data[rows]
    norms = (xp.abs(w) ** norm_type).sum(axis=1) ** (1.0 / norm_type)
    # rows with ‖w‖ > max_norm are scaled by max_norm / (‖w‖ + 1e-7), as torch.embedding_renorm_
    big = norms > max_norm
    scale = (max_norm / (norms[big] + 1e-7)).astype(w.dtype)
    weight._data[rows[big]] = w[big] * scale[:, None]
    weight._bump()


# ------------------------------------------------------------------------------- activations


def _activation(op, input: Tensor, inplace: bool, *args) -> Tensor:
    if inplace:
        return input._inplace(lambda s: op.apply(s, *args))
    return op.apply(input, *args)


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0)."""
    return _activation(A.Relu, input, inplace)


def relu_(input: Tensor) -> Tensor:
    """In-place ``relu``."""
    return relu(input, inplace=True)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x for x > 0, negative_slope · x otherwise."""
    return _activation(A.LeakyRelu, input, inplace, negative_slope)


def hardtanh(
    input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False
) -> Tensor:
    """clamp(x, min_val, max_val)."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return _activation(A.Hardtanh, input, inplace, min_val, max_val)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(x, 0), 6)."""
    return hardtanh(input, 0.0, 6.0, inplace)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x for x > 0, α (eˣ − 1) otherwise (Clevert et al., 2015)."""
    return _activation(A.Elu, input, inplace, alpha)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x Φ(x) (Hendrycks & Gimpel, 2016); ``approximate='tanh'`` for the tanh formula."""
    if approximate not in ("none", "tanh"):
        raise RuntimeError(f"approximate argument must be either none or tanh, got {approximate!r}")
    return A.Gelu.apply(input, approximate)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x σ(x)."""
    return _activation(A.Silu, input, inplace)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + e^(βx)) / β, and x where βx > threshold."""
    return A.Softplus.apply(input, beta, threshold)


def logsigmoid(input: Tensor) -> Tensor:
    """log σ(x), computed without overflow."""
    return A.LogSigmoid.apply(input)


def tanh(input: Tensor) -> Tensor:
    """tanh(x)."""
    return input.tanh()


def sigmoid(input: Tensor) -> Tensor:
    """σ(x) = 1 / (1 + e^(−x))."""
    return input.sigmoid()


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """scale · elu(x, α) with PyTorch's constants α ≈ 1.6733, scale ≈ 1.0507."""
    return _activation(A.ScaledElu, input, inplace, A.SELU_ALPHA, A.SELU_SCALE, 1.0)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """max(0, x) + min(0, α (e^(x/α) − 1))."""
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError")
    return _activation(A.ScaledElu, input, inplace, alpha, 1.0, 1.0 / alpha)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """x · tanh(softplus(x))."""
    return _activation(A.Mish, input, inplace)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """x · relu6(x + 3) / 6."""
    return _activation(A.Hardswish, input, inplace)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """relu6(x + 3) / 6."""
    return _activation(A.Hardsigmoid, input, inplace)


def softsign(input: Tensor) -> Tensor:
    """x / (1 + |x|)."""
    return A.Softsign.apply(input)


def tanhshrink(input: Tensor) -> Tensor:
    """x − tanh(x)."""
    return A.Tanhshrink.apply(input)


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """x where x > threshold, else ``value``."""
    return _activation(A.Threshold, input, inplace, threshold, value)


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x where |x| > λ, else 0."""
    return A.Hardshrink.apply(input, lambd)


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x − λ above λ, x + λ below −λ, 0 in between."""
    if lambd < 0:
        raise RuntimeError(f"lambda must be greater or equal to 0, but found to be {lambd}.")
    return A.Softshrink.apply(input, lambd)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """x for x > 0, a · x otherwise, with a learned slope ``weight``: one per channel (axis 1)
    or a single one shared by all."""
    if weight.numel() != 1:
        if input.ndim < 2 or input.shape[1] != weight.numel():
            raise RuntimeError(
                f"Mismatch of parameter numbers and input channel size. Found parameter numbers "
                f"= {weight.numel()} and channel size = "
                f"{input.shape[1] if input.ndim >= 2 else 1}."
            )
        weight = weight.reshape((1, -1) + (1,) * (input.ndim - 2))
    elif input.ndim:
        weight = weight.reshape((1,) * input.ndim)
    else:
        weight = weight.reshape(())
    return input.where(input > 0, weight * input)


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """a ⊙ σ(b), where a and b are the two halves of ``input`` along ``dim``."""
    if input.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    if input.shape[dim] % 2:
        raise RuntimeError(
            f"Halving dimension must be even, but dimension {dim % input.ndim} is size "
            f"{input.shape[dim]}"
        )
    a, b = input.chunk(2, dim)
    return a * b.sigmoid()


def _get_softmax_dim(name: str, ndim: int, stacklevel: int) -> int:
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated. Change the call to include "
        "dim=X as an argument.",
        stacklevel=stacklevel,
    )
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """e^(x_i) / Σ_j e^(x_j) along ``dim``."""
    if dim is None:
        dim = _get_softmax_dim("softmax", input.ndim, _stacklevel)
    return input.softmax(dim, dtype=dtype)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """log softmax along ``dim``, computed stably (x − logsumexp x)."""
    if dim is None:
        dim = _get_softmax_dim("log_softmax", input.ndim, _stacklevel)
    return input.log_softmax(dim, dtype=dtype)


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """softmax(−x) along ``dim``."""
    if dim is None:
        dim = _get_softmax_dim("softmin", input.ndim, _stacklevel)
    return (-input).softmax(dim, dtype=dtype)


# ----------------------------------------------------------------------------------- dropout


def _check_p(p: float) -> None:
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _apply_noise(input: Tensor, noise_shape: tuple, p: float, inplace: bool) -> Tensor:
    """x · m / (1 − p), m ~ Bernoulli(1 − p) of ``noise_shape`` (drawn as PyTorch does)."""
    if p == 1.0:
        noise = xp.zeros(noise_shape, dtype=input._data.dtype)
    else:
        noise = _random.bernoulli(1 - p, noise_shape, input._data.dtype)
        noise /= 1 - p
    mask = Tensor._make(noise)
    if inplace:
        return input.mul_(mask)
    return input * mask


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False):
    """Zero each element with probability p and scale the rest by 1/(1 − p) (training only)."""
    _check_p(p)
    if not training or p == 0.0 or input.numel() == 0:
        return input
    return _apply_noise(input, input.shape, p, inplace)


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False):
    """Zero whole channels of (N, C, L) or (C, L) input with probability p."""
    _check_p(p)
    if input.ndim not in (2, 3):
        raise RuntimeError(
            f"dropout1d: Expected 2D or 3D input, but received a {input.ndim}D input. Note "
            "that dropout1d exists to provide channel-wise dropout on inputs with 1 spatial "
            "dimension, a channel dimension, and an optional batch dimension (i.e. 2D or 3D "
            "inputs)."
        )
    if not training or p == 0.0 or input.numel() == 0:
        return input
    shape = input.shape[:-1] + (1,)
    return _apply_noise(input, shape, p, inplace)


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False):
    """Zero whole channels (volumes) of (N, C, D, H, W) or (C, D, H, W) input with
    probability p."""
    _check_p(p)
    if input.ndim not in (4, 5):
        raise RuntimeError(
            f"dropout3d: Expected 4D or 5D input, but received a {input.ndim}D input."
        )
    if not training or p == 0.0 or input.numel() == 0:
        return input
    batched = input.ndim == 5
    x = input if batched else input.unsqueeze(0)
    out = _apply_noise(x, x.shape[:2] + (1, 1, 1), p, inplace)
    return out if batched else out.squeeze(0)


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False):
    """Zero whole channels (feature maps) of (N, C, H, W) input with probability p.

    A 3-D input is read as (N, C, L), like PyTorch (which warns about it).
    """
    _check_p(p)
    if input.ndim not in (3, 4):
        warnings.warn(
            f"dropout2d: Received a {input.ndim}-D input to dropout2d, which is deprecated and "
            "will result in an error in a future release. To retain the behavior and silence "
            "this warning, please use dropout instead.",
            stacklevel=2,
        )
    elif input.ndim == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D "
            "dropout behavior is desired - input is interpreted as shape (N, C, L), where C is "
            "the channel dim.",
            stacklevel=2,
        )
    if not training or p == 0.0 or input.numel() == 0:
        return input
    if input.ndim < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    shape = input.shape[:2] + (1,) * (input.ndim - 2)
    return _apply_noise(input, shape, p, inplace)


# ----------------------------------------------------------------------------- normalization


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
    C = input.shape[1]
    for name, t in (
        ("weight", weight),
        ("bias", bias),
        ("running_mean", running_mean),
        ("running_var", running_var),
    ):
        if t is not None and t.numel() != C:
            raise RuntimeError(
                f"batch_norm: {name} should contain {C} elements (one per channel of input "
                f"shape {tuple(input.shape)}), not {t.numel()}"
            )
    param_shape = (1, C) + (1,) * (input.ndim - 2)
    axes = (0,) + tuple(range(2, input.ndim))
    if training:
        n = input.numel() // C if C else 0
        if n <= 1:
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
    # y = (x − μ_run) · γ/√(σ²_run + ε) + β: an affine map per channel
    scale = (running_var + eps).rsqrt()
    if weight is not None:
        scale = scale * weight
    out = (input - running_mean.reshape(param_shape)) * scale.reshape(param_shape)
    return out if bias is None else out + bias.reshape(param_shape)


def layer_norm(
    input: Tensor,
    normalized_shape,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise over the last ``len(normalized_shape)`` axes of each sample, then γ x̂ + β."""
    shape = (
        (normalized_shape,)
        if isinstance(normalized_shape, numbers.Integral)
        else tuple(normalized_shape)
    )
    k = len(shape)
    if tuple(input.shape[input.ndim - k :]) != shape or input.ndim < k:
        raise RuntimeError(
            f"Given normalized_shape={list(shape)}, expected input with shape [*, "
            f"{', '.join(str(s) for s in shape)}], but got input of size{list(input.shape)}"
        )
    stat_axes = tuple(range(input.ndim - k, input.ndim))
    param_axes = tuple(range(input.ndim - k))
    return _NormalizeAffine.apply(input, weight, bias, stat_axes, shape, param_axes, eps, None)


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
    N, C = input.shape[:2]
    if C % num_groups:
        raise RuntimeError(
            f"Expected number of channels in input to be divisible by num_groups, but got "
            f"input of shape {list(input.shape)} and num_groups={num_groups}"
        )
    grouped = input.reshape(N, num_groups, -1)  # (N, G, C/G · spatial)
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
    if not use_input_stats:
        return batch_norm(input, running_mean, running_var, weight, bias, False, momentum, eps)
    spatial = tuple(range(2, input.ndim))
    if input.numel() // max(input.shape[0] * input.shape[1], 1) <= 1:
        raise ValueError(
            f"Expected more than 1 spatial element when training, got input size {input.shape}"
        )
    if running_mean is not None and running_var is not None:
        x = input._data
        n = x.size // (x.shape[0] * x.shape[1])
        # running ← (1 − m) running + m · mean over the batch of the instance statistics
        mean = x.mean(axis=spatial).mean(axis=0)
        var = x.var(axis=spatial, ddof=1).mean(axis=0) if n > 1 else x.var(axis=spatial)
        running_mean._data[...] = momentum * mean + (1 - momentum) * running_mean._data
        running_var._data[...] = momentum * var + (1 - momentum) * running_var._data
        running_mean._bump()
        running_var._bump()
    xhat = _NormalizeAffine.apply(input, None, None, spatial, (1,), (), eps, None)
    return _channel_affine(xhat, weight, bias)


def rms_norm(
    input: Tensor, normalized_shape, weight: Tensor | None = None, eps: float | None = None
) -> Tensor:
    """x / √(mean(x²) + ε) over the last axes ``normalized_shape``, times γ (Zhang & Sennrich,
    2019); ε defaults to the machine epsilon of x's dtype."""
    shape = (
        (normalized_shape,)
        if isinstance(normalized_shape, numbers.Integral)
        else tuple(normalized_shape)
    )
    if tuple(input.shape[input.ndim - len(shape) :]) != shape:
        raise RuntimeError(
            f"Given normalized_shape={list(shape)}, expected input with shape [*, "
            f"{', '.join(str(s) for s in shape)}], but got input of size{list(input.shape)}"
        )
    if eps is None:
        eps = float(xp.finfo(input._data.dtype).eps)
    dims = tuple(range(input.ndim - len(shape), input.ndim))
    out = input * ((input * input).mean(dims, keepdim=True) + eps).rsqrt()
    return out if weight is None else out * weight


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out=None) -> Tensor:
    """x / max(‖x‖_p, eps) along ``dim`` (any p of ``vector_norm``: 0, ±inf, fractional)."""
    denom = input.norm(p, dim, keepdim=True).clamp_min(eps).expand_as(input)
    return input / denom


def _broadcast_shape(a: tuple, b: tuple) -> tuple:
    """The broadcast of shapes a and b, or PyTorch's error naming the first clash."""
    n = max(len(a), len(b))
    a, b = (1,) * (n - len(a)) + tuple(a), (1,) * (n - len(b)) + tuple(b)
    for d, (i, j) in enumerate(zip(a, b, strict=True)):
        if i != j and 1 not in (i, j):
            raise RuntimeError(
                f"The size of tensor a ({i}) must match the size of tensor b ({j}) at "
                f"non-singleton dimension {d}"
            )
    return tuple(j if i == 1 else i for i, j in zip(a, b, strict=True))


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """Σ (x1/‖x1‖)(x2/‖x2‖) along ``dim`` after broadcasting x1 with x2, each norm clamped
    below at eps, as PyTorch does.

    Normalising each vector first (not dividing Σ x1·x2 by the product of the norms) keeps the
    result in [−1, 1]; the clamp is applied to the values only, so the gradient flows as if
    unclamped (PyTorch clamps under no_grad).
    """
    common = _result_type(x1, x2)
    if not common.is_floating_point:
        raise RuntimeError(
            f"expected common dtype to be floating point, yet common dtype is "
            f"{R.TORCH_TYPE_NAMES[common.name]}"
        )
    x1, x2 = x1.to(common), x2.to(common)
    if x1.shape != x2.shape:
        shape = _broadcast_shape(x1.shape, x2.shape)
        x1, x2 = x1.expand(shape), x2.expand(shape)
    n1 = x1.vector_norm(2, dim, keepdim=True)
    n2 = x2.vector_norm(2, dim, keepdim=True)
    with no_grad():
        c1, c2 = n1.clamp_min(eps) - n1, n2.clamp_min(eps) - n2
    return ((x1 / (n1 + c1)) * (x2 / (n2 + c2))).sum(dim)


# ----------------------------------------------------------------------------------- padding


def _pad_index(n: int, lo: int, hi: int, mode: str, dim: int, shape) -> xp.ndarray:
    """Source index along one axis for each output position −lo … n − 1 + hi."""
    pos = xp.arange(-lo, n + hi)
    if mode == "reflect":
        if lo >= n or hi >= n:
            raise RuntimeError(
                f"Argument #4: Padding size should be less than the corresponding input "
                f"dimension, but got: padding ({lo}, {hi}) at dimension {dim} of input "
                f"{list(shape)}"
            )
        pos = xp.abs(pos)
        return xp.where(pos > n - 1, 2 * (n - 1) - pos, pos)
    if mode == "replicate":
        return xp.clip(pos, 0, n - 1)
    if lo > n or hi > n:
        raise RuntimeError("Padding value causes wrapping around more than once.")
    return pos % n  # circular


def pad(input: Tensor, pad, mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad the last ``len(pad) // 2`` axes; ``pad`` = (left, right) of the last axis first.

    Modes: 'constant' (with ``value``, negative pads crop), 'reflect' (mirror without the
    edge), 'replicate' (repeat the edge), 'circular' (wrap around).
    """
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    k = len(pad) // 2
    if k > input.ndim:
        raise RuntimeError(
            f"Padding length should be less than or equal to two times the input dimension but "
            f"got padding length {len(pad)} and input of dimension {input.ndim}"
        )
    # pairs[i] = (before, after) for axis ndim − 1 − i
    pairs = [(pad[2 * i], pad[2 * i + 1]) for i in range(k)]
    if mode == "constant":
        width = [(0, 0)] * (input.ndim - k) + pairs[::-1]
        return _ConstantPad.apply(input, width, 0.0 if value is None else value)
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(
            f"pad: mode must be 'constant', 'reflect', 'replicate' or 'circular', got {mode!r}"
        )
    if value:
        raise ValueError(f'Padding mode "{mode}" doesn\'t take in value argument')
    if any(p < 0 for p in pad):
        raise NotImplementedError(
            f"pad: negative padding is only supported in constant mode, "
            f"got {pad} with mode {mode!r}"
        )
    out = input
    for i, (lo, hi) in enumerate(pairs):
        d = input.ndim - 1 - i
        if lo == 0 and hi == 0:
            continue
        idx = _pad_index(input.shape[d], lo, hi, mode, d, input.shape)
        out = out.index_select(d, Tensor._make(idx.astype(xp.int64)))
    return out


def pairwise_distance(
    x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False
) -> Tensor:
    """‖x1 − x2 + eps‖_p along the last axis."""
    return (x1 - x2 + eps).norm(p, dim=-1, keepdim=keepdim)


# -------------------------------------------------------------------------------- resampling


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """(*, C·r², H, W) → (*, C, H·r, W·r): sub-pixel convolution's rearrangement (Shi et al.,
    2016)."""
    r = upscale_factor
    *batch, c, h, w = input.shape
    if c % (r * r):
        raise RuntimeError(
            f"pixel_shuffle expects its input's 'channel' dimension to be divisible by the "
            f"square of upscale_factor, but input.size(-3)={c} is not divisible by {r * r}"
        )
    n = len(batch)
    x = input.reshape(*batch, c // (r * r), r, r, h, w)
    # (*, C, r, r, H, W) → (*, C, H, r, W, r)
    x = x.permute(*range(n), n, n + 3, n + 1, n + 4, n + 2)
    return x.reshape(*batch, c // (r * r), h * r, w * r)


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """(*, C, H·r, W·r) → (*, C·r², H, W): the inverse of ``pixel_shuffle``."""
    r = downscale_factor
    *batch, c, h, w = input.shape
    if h % r or w % r:
        raise RuntimeError(
            f"pixel_unshuffle expects height and width to be divisible by downscale_factor, "
            f"but got height={h} and width={w} with downscale_factor={r}"
        )
    n = len(batch)
    x = input.reshape(*batch, c, h // r, r, w // r, r)
    # (*, C, H, r, W, r) → (*, C, r, r, H, W)
    x = x.permute(*range(n), n, n + 2, n + 4, n + 1, n + 3)
    return x.reshape(*batch, c * r * r, h // r, w // r)


_INTERPOLATE_DIMS = {
    "nearest": (1, 2, 3),
    "nearest-exact": (1, 2, 3),
    "linear": (1,),
    "bilinear": (2,),
    "trilinear": (3,),
    "area": (1, 2),
}


def _interpolate_integer_check(x, mode: str, dims: int) -> None:
    """PyTorch's CPU resize kernels take floating input, plus uint8 for the nearest modes and
    bilinear (images); every other case raises its "... not implemented for 'Long'" error,
    named after the kernel that refuses the dtype."""
    if x.dtype.kind == "f" or (x.dtype == xp.uint8 and mode in ("nearest", "nearest-exact")):
        return
    if x.dtype == xp.uint8 and mode == "bilinear":
        return
    if mode == "area":
        kernel = "adaptive_avg_pool2d"
    elif mode in ("nearest", "nearest-exact"):
        kernel = (
            "upsample_nearest2d_channels_last" if dims == 2 else "compute_indices_weights_nearest"
        )
    elif mode == "bilinear":
        kernel = "upsample_bilinear2d_channels_last"
    else:
        kernel = "compute_indices_weights_linear"
    raise NotImplementedError(f"\"{kernel}\" not implemented for '{R.torch_type_name(x.dtype)}'")


def _nearest_exact_index(n_in: int, n_out: int, scale: float | None, dtype):
    """PyTorch's ``nearest-exact`` source index: min(⌊(i + ½) · s⌋, n_in − 1), the pixel whose
    centre is nearest to output centre i (s = 1/scale_factor or n_in/n_out, in ``dtype``)."""
    i = xp.arange(n_out).astype(dtype)
    s = dtype.type(1.0 / scale) if scale else dtype.type(n_in) / dtype.type(n_out)
    return xp.minimum(xp.floor((i + dtype.type(0.5)) * s).astype(xp.int64), n_in - 1)


def _uint8_linear_axis(x, axis: int, n_out: int, scale, align_corners: bool):
    """Resize uint8 ``x`` along ``axis`` as PyTorch's uint8 bilinear kernel does: the two
    weights of each output in fixed point (int16 at the largest precision that fits), the
    integer dot product rounded (+ half an LSB, shift right) and clipped to [0, 255]."""
    n_in = x.shape[axis]
    if align_corners:
        step = (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
    else:
        step = 1.0 / scale if scale else n_in / n_out
    starts = xp.zeros(n_out, dtype=xp.int64)
    weights = xp.zeros((n_out, 2))
    for i in range(n_out):
        src = step * i if align_corners else max(step * (i + 0.5) - 0.5, 0.0)
        index = min(int(xp.floor(xp.float32(src))), n_in - 1)
        lam = min(max(src - index, 0.0), 1.0)
        size = min(index + 2, n_in) - index  # taps inside the input: 1 at the last pixel
        w_index = 0
        for j in range(2):  # taps index + j, the ones past the edge folded onto the last
            if index + j >= n_in - 1:
                w_index = size - 1
            weights[i, w_index] += max(0.0, 1.0 - abs(j - lam))
            w_index += 1
        weights[i, size:] = 0.0
        starts[i] = index
    precision = 0
    while precision < 22 and int(0.5 + weights.max() * (1 << (precision + 1))) < (1 << 15):
        precision += 1
    w16 = xp.trunc(weights * (1 << precision) + 0.5).astype(xp.int64)  # weights are ≥ 0
    xm = xp.moveaxis(x, axis, -1).astype(xp.int64)
    acc = xp.full(xm.shape[:-1] + (n_out,), 1 << (precision - 1), dtype=xp.int64)
    for j in range(2):
        acc += xm[..., xp.minimum(starts + j, n_in - 1)] * w16[:, j]
    return xp.moveaxis(xp.clip(acc >> precision, 0, 255).astype(xp.uint8), -1, axis)


def _nearest_index(n_in: int, n_out: int, scale: float | None):
    """Source index of each output position, as PyTorch's ``nearest_idx`` computes it (in
    float32: min(⌊i · s⌋, n_in − 1) with s = 1/scale_factor or n_in/n_out)."""
    i = xp.arange(n_out)
    if n_out == n_in:
        return i
    if n_out == 2 * n_in:
        return i >> 1
    s = xp.float32(1.0 / scale) if scale else xp.float32(n_in) / xp.float32(n_out)
    return xp.minimum(xp.floor(i.astype(xp.float32) * s).astype(xp.int64), n_in - 1)


def _linear_weights(n_in: int, n_out: int, scale: float | None, align_corners: bool, dtype):
    """(i0, i1, λ0, λ1): the two source indices and weights of each output position, as
    PyTorch's ``compute_indices_weights_linear`` (in the input's float dtype)."""
    i = xp.arange(n_out).astype(dtype)
    if align_corners:
        s = dtype.type((n_in - 1) / (n_out - 1)) if n_out > 1 else dtype.type(0)
        src = s * i
    else:
        s = dtype.type(1.0 / scale) if scale else dtype.type(n_in) / dtype.type(n_out)
        # the centre of output pixel i in input coordinates, clamped at 0
        src = xp.maximum(s * (i + dtype.type(0.5)) - dtype.type(0.5), dtype.type(0))
    i0 = xp.minimum(src.astype(xp.int64), n_in - 1)
    lambda1 = xp.clip(src - i0.astype(dtype), 0, 1).astype(dtype)
    i1 = i0 + (i0 < n_in - 1)
    return i0, i1, (1 - lambda1).astype(dtype), lambda1


def _take(x: Tensor, axis: int, index) -> Tensor:
    return x.index_select(axis, Tensor._make(xp.asarray(index, dtype=xp.int64)))


def interpolate(
    input: Tensor,
    size=None,
    scale_factor=None,
    mode: str = "nearest",
    align_corners: bool | None = None,
    recompute_scale_factor: bool | None = None,
    antialias: bool = False,
) -> Tensor:
    """Resize the spatial axes (all after N, C) to ``size`` or by ``scale_factor``.

    Modes: ``'nearest'`` (1-3 spatial axes), ``'linear'``, ``'bilinear'``, ``'trilinear'``
    (1, 2, 3 axes; ``align_corners`` maps the corner pixels' centres onto each other).
    """
    if mode not in _INTERPOLATE_DIMS:
        raise NotImplementedError(
            f"interpolate: mode {mode!r} is not supported by gradiente (supported: "
            f"{', '.join(_INTERPOLATE_DIMS)})"
        )
    if antialias:
        raise NotImplementedError("interpolate: antialias=True is not supported by gradiente")
    dims = input.ndim - 2
    if dims not in _INTERPOLATE_DIMS[mode]:
        raise NotImplementedError(
            f"Got {input.ndim}D input, but {mode} mode needs "
            f"{' or '.join(str(d + 2) for d in _INTERPOLATE_DIMS[mode])}D input"
        )
    if mode in ("nearest", "nearest-exact", "area") and align_corners is not None:
        raise ValueError(
            "align_corners option can only be set with the interpolating modes: "
            "linear | bilinear | bicubic | trilinear"
        )
    if (size is None) == (scale_factor is None):
        raise ValueError("either size or scale_factor should be defined, and not both")
    in_sizes = input.shape[2:]
    if size is not None:
        sizes = [int(size)] * dims if isinstance(size, numbers.Number) else [int(v) for v in size]
        scales = [None] * dims
    else:
        scales = (
            [float(scale_factor)] * dims
            if isinstance(scale_factor, numbers.Number)
            else [float(v) for v in scale_factor]
        )
        sizes = [int(math.floor(n * s)) for n, s in zip(in_sizes, scales, strict=True)]
        if recompute_scale_factor:
            scales = [None] * dims
    if len(sizes) != dims:
        raise ValueError(
            f"Input and output must have the same number of spatial dimensions, but got input "
            f"with spatial dimensions of {list(in_sizes)} and output size of {sizes}."
        )
    _interpolate_integer_check(input._data, mode, dims)
    out = input
    if mode == "area":  # the mean over each adaptive window
        pool = adaptive_avg_pool1d if dims == 1 else adaptive_avg_pool2d
        return pool(input, sizes)
    if mode == "nearest":
        for k, (n_in, n_out, scale) in enumerate(zip(in_sizes, sizes, scales, strict=True)):
            out = _take(out, 2 + k, _nearest_index(n_in, n_out, scale))
        return out
    if mode == "nearest-exact":
        dt = input._data.dtype if input._data.dtype.kind == "f" else xp.dtype(xp.float32)
        for k, (n_in, n_out, scale) in enumerate(zip(in_sizes, sizes, scales, strict=True)):
            out = _take(out, 2 + k, _nearest_exact_index(n_in, n_out, scale, dt))
        return out
    if input._data.dtype == xp.uint8:  # bilinear on images: the last axis first, like torch
        y = input._data
        for k in reversed(range(dims)):
            if sizes[k] != in_sizes[k]:
                y = _uint8_linear_axis(y, 2 + k, sizes[k], scales[k], bool(align_corners))
        return Tensor._make(xp.ascontiguousarray(y))
    dtype = input._data.dtype
    # separable: interpolate along one axis at a time, the last one first
    for k in reversed(range(dims)):
        i0, i1, w0, w1 = _linear_weights(
            in_sizes[k], sizes[k], scales[k], bool(align_corners), dtype
        )
        shape = (-1,) + (1,) * (dims - 1 - k)
        w0 = Tensor._make(w0.reshape(shape))
        w1 = Tensor._make(w1.reshape(shape))
        out = _take(out, 2 + k, i0) * w0 + _take(out, 2 + k, i1) * w1
    return out


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Deprecated alias of ``interpolate``."""
    return interpolate(input, size, scale_factor, mode, align_corners)


# ------------------------------------------------------------------------------------- misc


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """(*,) class indices → (*, num_classes) int64 rows with a single 1."""
    idx = tensor._data
    if idx.dtype.kind not in "iu":
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if idx.size and idx.min() < 0:
        raise RuntimeError("Class values must be non-negative.")
    if num_classes == -1:
        if idx.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(idx.max()) + 1
    elif idx.size and idx.max() >= num_classes:
        raise RuntimeError(
            f"Class values must be smaller than num_classes (got class {int(idx.max())} with "
            f"num_classes={num_classes})."
        )
    out = (idx[..., None] == xp.arange(num_classes)).astype(xp.int64)
    return Tensor._make(out)


# ------------------------------------------------------------------------------------ losses


def _legacy_reduction(size_average, reduce) -> str:
    """The old size_average/reduce flags as a reduction string (PyTorch's rule)."""
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    ret = "mean" if size_average and reduce else "sum" if reduce else "none"
    warnings.warn(
        f"size_average and reduce args will be deprecated, please use reduction='{ret}' instead.",
        stacklevel=3,
    )
    return ret


def _resolve_reduction(size_average, reduce, reduction: str) -> str:
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _warn_size(input: Tensor, target: Tensor) -> None:
    if target.shape != input.shape:
        warnings.warn(
            f"Using a target size ({target.shape}) that is different to the input size "
            f"({input.shape}). This will likely lead to incorrect results due to broadcasting. "
            "Please ensure they have the same size.",
            stacklevel=3,
        )


def _weighted(loss: Tensor, weight: Tensor | None, input: Tensor, reduction: str, mean_by_weight):
    if weight is None:
        return _reduce(loss, reduction)
    if weight.shape != input.shape:
        raise ValueError("Weights and input must have the same size.")
    loss = loss * weight
    if reduction == "mean" and mean_by_weight:
        return loss.sum() / weight.sum()
    return _reduce(loss, reduction)


def mse_loss(
    input: Tensor,
    target: Tensor,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
    weight: Tensor | None = None,
) -> Tensor:
    """(x − y)², averaged or summed."""
    _warn_size(input, target)
    reduction = _resolve_reduction(size_average, reduce, reduction)
    diff = input - target
    return _weighted(diff * diff, weight, input, reduction, mean_by_weight=True)


def l1_loss(
    input: Tensor,
    target: Tensor,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
    weight: Tensor | None = None,
) -> Tensor:
    """|x − y|, averaged or summed."""
    _warn_size(input, target)
    reduction = _resolve_reduction(size_average, reduce, reduction)
    return _weighted((input - target).abs(), weight, input, reduction, mean_by_weight=True)


def smooth_l1_loss(
    input: Tensor,
    target: Tensor,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
    beta: float = 1.0,
) -> Tensor:
    """0.5 d²/β where |d| < β, |d| − β/2 elsewhere (d = x − y); β = 0 is the L1 loss."""
    _warn_size(input, target)
    reduction = _resolve_reduction(size_average, reduce, reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    d = input - target
    ad = d.abs()
    if beta == 0.0:
        return _reduce(ad, reduction)
    # The quadratic piece sees d only where it is chosen (NaN included, as torch's backward),
    # so an infinite d elsewhere gives no 0 * inf = NaN gradient through the unused branch.
    quad = ~(ad >= beta)
    q = d.where(quad, 0.0)
    loss = (q * q * (0.5 / beta)).where(quad, ad - 0.5 * beta)
    return _reduce(loss, reduction)


def huber_loss(
    input: Tensor,
    target: Tensor,
    reduction: str = "mean",
    delta: float = 1.0,
    weight: Tensor | None = None,
) -> Tensor:
    """0.5 d² where |d| <= δ, δ (|d| − δ/2) elsewhere (d = x − y)."""
    _warn_size(input, target)
    reduction = _resolve_reduction(None, None, reduction)
    d = input - target
    ad = d.abs()
    quad = ~(ad > delta)  # as in smooth_l1_loss: no NaN gradient from an unused branch
    q = d.where(quad, 0.0)
    loss = (q * q * 0.5).where(quad, (ad - 0.5 * delta) * delta)
    return _weighted(loss, weight, input, reduction, mean_by_weight=False)


def _check_classification(
    name: str, input: Tensor, target: Tensor, weight, ignore_index, probabilities: bool
) -> None:
    """Shapes of (input, target) and range of class indices, with explicit messages."""
    if input.ndim == 0:
        raise ValueError(
            f"{name}: input must have at least 1 dimension (C,) or (N, C, ...), got a 0-d tensor"
        )
    axis = 0 if input.ndim == 1 else 1
    C = input.shape[axis]
    if weight is not None and (weight.ndim != 1 or weight.shape[0] != C):
        raise RuntimeError(
            f"{name}: weight tensor should be defined either for all {C} classes or no "
            f"classes but got weight tensor of shape: {list(weight.shape)}"
        )
    expected = input.shape[:axis] + input.shape[axis + 1 :]
    if probabilities:
        if target.shape != input.shape:
            raise RuntimeError(
                f"{name}: expected class probabilities of the input's shape "
                f"{tuple(input.shape)} or class indices of an integer dtype (int64) and shape "
                f"{tuple(expected)}, got a {target.dtype} target of shape {tuple(target.shape)}"
            )
        return
    if target.shape != expected:
        if input.ndim >= 2 and target.ndim >= 1 and target.shape[0] != input.shape[0]:
            raise ValueError(
                f"Expected input batch_size ({input.shape[0]}) to match target batch_size "
                f"({target.shape[0]})."
            )
        raise RuntimeError(
            f"{name}: expected target of shape {tuple(expected)} (class indices for input of "
            f"shape {tuple(input.shape)}), got {tuple(target.shape)}"
        )
    t = target._data
    if t.dtype.kind not in "iu":
        raise RuntimeError(
            f"{name}: expected class indices of an integer dtype (int64) or class "
            f"probabilities of the input's shape, got target of dtype {target.dtype}"
        )
    if t.size and (t.min() < 0 or t.max() >= C):
        bad = (t != ignore_index) & ((t < 0) | (t >= C))
        if bad.any():
            value = int(t[bad].reshape(-1)[0])
            raise IndexError(
                f"{name}: Target {value} is out of bounds: the input has {C} classes, so "
                f"targets must lie in [0, {C - 1}] (or equal ignore_index={ignore_index})"
            )


def _check_weight_not_differentiable(weight) -> None:
    """PyTorch's NLL kernel has no gradient for the class weights: it refuses a weight that
    requires one rather than silently leaving its .grad empty."""
    if weight is not None and weight.requires_grad and is_grad_enabled():
        raise RuntimeError(
            "The function 'nll_loss_forward' is not differentiable with respect to argument "
            "'weight'. This input cannot have requires_grad True."
        )


def cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average=None,
    ignore_index: int = -100,
    reduce=None,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """−Σ_c q_c log softmax(x)_c: class-index or class-probability targets, one fused op.

    input (N, C), (N, C, d1, ...) or (C,); target class indices (N), (N, d1, ...), () or
    probabilities of the input's shape. ``weight`` rescales classes, ``ignore_index`` skips
    targets, ``label_smoothing`` ε mixes the target with the uniform distribution.
    """
    reduction = _resolve_reduction(size_average, reduce, reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    if not isinstance(target, Tensor):
        target = as_tensor(target)
    probabilities = target._data.dtype.kind == "f"
    _check_classification("cross_entropy", input, target, weight, ignore_index, probabilities)
    if not probabilities:
        _check_weight_not_differentiable(weight)
    return L.CrossEntropy.apply(input, target, weight, ignore_index, reduction, label_smoothing)


def nll_loss(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average=None,
    ignore_index: int = -100,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """−w_y · input[y]: the negative log-likelihood of log-probabilities ``input``."""
    reduction = _resolve_reduction(size_average, reduce, reduction)
    _check_classification("nll_loss", input, target, weight, ignore_index, False)
    _check_weight_not_differentiable(weight)
    return L.NllLoss.apply(input, target, weight, ignore_index, reduction)


def binary_cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """−w (y log x + (1 − y) log(1 − x)) for probabilities x; logs clamped at −100."""
    reduction = _resolve_reduction(size_average, reduce, reduction)
    if target.shape != input.shape:
        raise ValueError(
            f"Using a target size ({target.shape}) that is different to the input size "
            f"({input.shape}) is deprecated. Please ensure they have the same size."
        )
    x = input._data
    if x.size and not ((x >= 0) & (x <= 1)).all():
        raise RuntimeError("all elements of input should be between 0 and 1")
    if weight is not None and weight.shape != input.shape:
        weight = weight.expand(input.shape)
    return _reduce(L.BinaryCrossEntropy.apply(input, target, weight), reduction)


def binary_cross_entropy_with_logits(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
    pos_weight: Tensor | None = None,
) -> Tensor:
    """BCE of σ(x) computed from the logits x stably:

    (1 − y) x − l · log σ(x),  l = 1 + (pos_weight − 1) y,  log σ(x) = min(x, 0) − log1p(e^−|x|)
    """
    reduction = _resolve_reduction(size_average, reduce, reduction)
    if target.shape != input.shape:
        raise ValueError(
            f"Target size ({target.shape}) must be the same as input size ({input.shape})"
        )
    log_sigmoid = A.LogSigmoid.apply(input)
    if pos_weight is not None:
        log_sigmoid = log_sigmoid * ((pos_weight - 1) * target + 1)
    loss = (1 - target) * input - log_sigmoid
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def kl_div(
    input: Tensor,
    target: Tensor,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
    log_target: bool = False,
) -> Tensor:
    """KL(target ‖ exp(input)) pointwise: y (log y − x), or e^y (y − x) with ``log_target``.

    ``input`` holds log-probabilities. 'batchmean' divides the sum by the batch size, which is
    the mathematically correct KL divergence; 'mean' averages over all elements.
    """
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    elif reduction == "mean":
        warnings.warn(
            "reduction: 'mean' divides the total loss by both the batch size and the support "
            "size.'batchmean' divides only by the batch size, and aligns with the KL div math "
            "definition.'mean' will be changed to behave the same as 'batchmean' in the next "
            "major release.",
            stacklevel=2,
        )
    if reduction not in ("none", "mean", "sum", "batchmean"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if log_target:
        loss = target.exp() * (target - input)
    else:
        # y log y with 0 log 0 = +0.0, as torch's xlogy(y, y); like torch's, its gradient in
        # y is log y + 1, NaN at y = 0 (the y/y of d xlogy(y, y)/dy)
        loss = target.xlogy(target) - target * input
    if reduction == "batchmean":
        return loss.sum() / input.shape[0] if input.ndim else loss.sum()
    return _reduce(loss, reduction)


# ------------------------------------------------------------- ranking and embedding losses


def _reduction_of(size_average, reduce, reduction: str) -> str:
    return (
        reduction
        if size_average is None and reduce is None
        else _legacy_reduction(size_average, reduce)
    )


def margin_ranking_loss(
    input1: Tensor,
    input2: Tensor,
    target: Tensor,
    margin: float = 0.0,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """max(0, −y (x1 − x2) + margin): x1 should rank above x2 where y = 1, below where y = −1."""
    loss = (-target * (input1 - input2) + margin).clamp_min(0)
    return _reduce(loss, _reduction_of(size_average, reduce, reduction))


def hinge_embedding_loss(
    input: Tensor,
    target: Tensor,
    margin: float = 1.0,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """x where y = 1, max(0, margin − x) where y = −1 (x is a distance)."""
    zeros = input.new_zeros(())
    output_margin = (margin - input).clamp_min(0).where(target != 1, zeros)
    output_self = input.where(target != -1, zeros)
    return _reduce(output_margin + output_self, _reduction_of(size_average, reduce, reduction))


def soft_margin_loss(
    input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean"
) -> Tensor:
    """log(1 + e^(−y x)), the two-class logistic loss for labels y = ±1."""
    loss = (-input * target).exp().log1p()
    return _reduce(loss, _reduction_of(size_average, reduce, reduction))


def cosine_embedding_loss(
    input1: Tensor,
    input2: Tensor,
    target: Tensor,
    margin: float = 0.0,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """1 − cos(x1, x2) where y = 1, max(0, cos(x1, x2) − margin) where y = −1."""
    dim = input1.ndim - 1
    # cos = Σ x1 x2 / √((Σ x1² + ε)(Σ x2² + ε)), ε = 1e-12 as in PyTorch's kernel
    prod_sum = (input1 * input2).sum(dim)
    mag1 = (input1 * input1).sum(dim) + 1e-12
    mag2 = (input2 * input2).sum(dim) + 1e-12
    cos = prod_sum / (mag1 * mag2).sqrt()
    zeros = cos.new_zeros(())
    pos = (1 - cos).where(target == 1, zeros)
    neg = (cos - margin).clamp_min(0).where(target == -1, zeros)
    return _reduce(pos + neg, _reduction_of(size_average, reduce, reduction))


def triplet_margin_loss(
    anchor: Tensor,
    positive: Tensor,
    negative: Tensor,
    margin: float = 1.0,
    p: float = 2,
    eps: float = 1e-6,
    swap: bool = False,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """max(0, d(a, p) − d(a, n) + margin) with d the p-norm distance (Balntas et al., 2016);
    ``swap`` uses min(d(a, n), d(p, n)) as the negative distance."""
    dist_pos = pairwise_distance(anchor, positive, p, eps)
    dist_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        dist_neg = dist_neg.minimum(pairwise_distance(positive, negative, p, eps))
    loss = (margin + dist_pos - dist_neg).clamp_min(0)
    return _reduce(loss, _reduction_of(size_average, reduce, reduction))


def multilabel_soft_margin_loss(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """Per-class logistic loss −(y log σ(x) + (1 − y) log σ(−x)), averaged over the classes."""
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    class_dim = input.ndim - 1
    loss = loss.sum(class_dim) / input.shape[class_dim]
    return _reduce(loss, _reduction_of(size_average, reduce, reduction))


def poisson_nll_loss(
    input: Tensor,
    target: Tensor,
    log_input: bool = True,
    full: bool = False,
    size_average=None,
    eps: float = 1e-8,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """Negative log-likelihood of a Poisson target: e^x − y x (``log_input``), else
    x − y log(x + eps); ``full`` adds Stirling's y log y − y + ½ log(2π y) where y > 1."""
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        safe = target.masked_fill(target <= 1, 1.0)
        stirling = safe * safe.log() - safe + 0.5 * (2 * math.pi * safe).log()
        loss = loss + stirling.masked_fill(target <= 1, 0.0)
    return _reduce(loss, _reduction_of(size_average, reduce, reduction))


def gaussian_nll_loss(
    input: Tensor,
    target: Tensor,
    var: Tensor | float,
    full: bool = False,
    eps: float = 1e-6,
    reduction: str = "mean",
) -> Tensor:
    """½ (log max(var, eps) + (x − y)² / max(var, eps)), plus ½ log 2π with ``full``: the
    negative log-likelihood of y under N(x, var)."""
    if not isinstance(var, Tensor):
        var = input.new_full((), float(var))
    if var.shape != input.shape:
        if input.shape[:-1] == var.shape:
            var = var.unsqueeze(-1)
        elif not (input.shape[:-1] == var.shape[:-1] and var.shape[-1] == 1):
            raise ValueError("var is of incorrect size")
    if (var._data < 0).any():
        raise ValueError("var has negative entry/entries")
    # clamp the value, not the gradient (PyTorch clamps a copy under no_grad)
    with no_grad():
        lift = var.clamp(min=eps) - var
    var = var + lift
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)
