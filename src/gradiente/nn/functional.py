"""``torch.nn.functional``: the stateless functions behind the layers and the losses.

Layers hold parameters and call these; these check their inputs (with messages that say what
was expected and what came) and call one op each where speed matters: ``linear``, the
activations, ``batch_norm``/``layer_norm`` and ``cross_entropy`` are single fused ops.
"""

from __future__ import annotations

import numbers
import warnings

from gradiente import random as _random
from gradiente.autograd.grad_mode import no_grad
from gradiente.backend import xp
from gradiente.ops import activation as A
from gradiente.ops import loss as L
from gradiente.ops.conv import conv1d, conv2d, conv_transpose2d, fold, unfold  # noqa: F401
from gradiente.ops.linear import Linear as _Linear
from gradiente.ops.normalization import NormalizeAffine as _NormalizeAffine
from gradiente.ops.pool import (
    adaptive_avg_pool1d,  # noqa: F401
    adaptive_avg_pool2d,  # noqa: F401
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


def _norm(x: Tensor, p: float, dim: int) -> Tensor:
    """‖x‖_p along ``dim`` (kept), with gradient 0 where the norm is 0 (PyTorch's convention;
    the plain formula would give 0 · ∞ = nan there)."""
    s = (x * x).sum(dim, keepdim=True) if p == 2 else (x.abs() ** p).sum(dim, keepdim=True)
    zero = s == 0
    return (s.masked_fill(zero, 1.0) ** (1.0 / p)).masked_fill(zero, 0.0)


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out=None) -> Tensor:
    """x / max(‖x‖_p, eps) along ``dim``."""
    denom = _norm(input, p, dim).clamp_min(eps).expand_as(input)
    return input / denom


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """Σ (x1/‖x1‖)(x2/‖x2‖) along ``dim``, norms clamped below at eps (as PyTorch does)."""
    n1 = _norm(x1, 2, dim)
    n2 = _norm(x2, 2, dim)
    # Clamp the values only: the gradient flows as if unclamped (PyTorch clamps under no_grad).
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
    loss = (d * d * (0.5 / beta)).where(ad < beta, ad - 0.5 * beta)
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
    loss = (d * d * 0.5).where(ad <= delta, (ad - 0.5 * delta) * delta)
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
        # y log y with 0 log 0 = 0 (xlogy); the target's own gradient is log y + 1 there
        ylogy = target * target.masked_fill(target == 0, 1.0).log()
        loss = ylogy - target * input
    if reduction == "batchmean":
        return loss.sum() / input.shape[0] if input.ndim else loss.sum()
    return _reduce(loss, reduction)
