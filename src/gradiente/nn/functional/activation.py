"""The activation functions of ``torch.nn.functional`` and softmax along an axis.

Each checks its arguments and applies one op of ``ops/activation.py`` (in place when asked,
through the tensor's in-place machinery, so that autograd sees the overwrite).
"""

from __future__ import annotations

import re
import warnings

from gradiente import random as _random
from gradiente.backend import torch_type_name, xp
from gradiente.ops import activation as A
from gradiente.ops import loss as _L
from gradiente.ops.arguments import require_tensor
from gradiente.ops.geometry import follows_channels_last
from gradiente.tensor import Tensor, empty_like, zeros_like


def _activation(op, input: Tensor, inplace: bool, *args) -> Tensor:
    # torch's argument check names the function: LeakyRelu -> leaky_relu
    require_tensor(re.sub(r"(?<!^)(?=[A-Z])", "_", op.__name__).lower(), input)
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
    require_tensor("gelu", input)
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    return A.Gelu.apply(input, approximate)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x σ(x)."""
    return _activation(A.Silu, input, inplace)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + e^(βx)) / β, and x where βx > threshold."""
    require_tensor("softplus", input)
    return A.Softplus.apply(input, beta, threshold)


def logsigmoid(input: Tensor) -> Tensor:
    """log σ(x), computed without overflow."""
    require_tensor("log_sigmoid", input)  # torch's kernel name
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
    return _activation(A.Celu, input, inplace, alpha, 1.0, 1.0 / alpha)


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
    require_tensor("hardshrink", input)
    return A.Hardshrink.apply(input, lambd)


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x − λ above λ, x + λ below −λ, 0 in between."""
    require_tensor("softshrink", input)
    if lambd < 0:
        raise RuntimeError(f"lambda must be greater or equal to 0, but found to be {lambd}.")
    return A.Softshrink.apply(input, lambd)


@follows_channels_last
def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """x for x > 0, a · x otherwise, with a learned slope ``weight``: one per channel (axis 1)
    or a single one shared by all."""
    if weight.dtype != input.dtype:
        raise RuntimeError(
            f"prelu: Type promoting not supported. Got {torch_type_name(input._data.dtype)} "
            f"and {torch_type_name(weight._data.dtype)}"
        )
    slope = weight
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
    # the slope multiplies only the non-positive inputs (zeros elsewhere), so that where x > 0
    # the gradient is exactly dL/dy even for an infinite slope (no ∞·0 = NaN leaking through)
    positive = input > 0
    out = input.where(positive, weight * input.masked_fill(positive, 0.0))
    if not out.requires_grad:
        return out
    shown = slope if weight.shape == slope.shape else weight  # torch reshapes it only then
    return _L.FusedAs.apply(out, "PreluKernelBackward0", input, shown)  # torch's one node


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """a ⊙ σ(b), where a and b are the two halves of ``input`` along ``dim``."""
    if input.dim() == 0:  # dim() as torch calls it: a NumPy array fails there as in torch
        raise RuntimeError("glu does not support scalars because halving size must be even")
    if not -input.ndim <= dim < input.ndim:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-input.ndim}, "
            f"{input.ndim - 1}], but got {dim})"
        )
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


# ------------------------------------------------------------------- randomised and in place


def rrelu(
    input: Tensor,
    lower: float = 1.0 / 8,
    upper: float = 1.0 / 3,
    training: bool = False,
    inplace: bool = False,
) -> Tensor:
    """Randomised leaky ReLU (Xu et al., 2015): x for x > 0, a · x otherwise.

    Training: each x ≤ 0 gets its own slope a ~ U(lower, upper), drawn in order of the
    elements as torch's CPU kernel draws them (one double per such element), and the
    gradient there is a. Evaluation: the mean slope a = (lower + upper) / 2.
    """
    if lower > upper:
        raise RuntimeError("Lower bound should be less than or equal to the upper bound")
    if not training:
        return leaky_relu(input, (lower + upper) / 2, inplace)
    x = input._data
    negative = x <= 0
    # torch's uniform_real_distribution<double>: u · (upper − lower) + lower, two roundings,
    # from bounds first rounded to the input's type
    lo, hi = float(x.dtype.type(lower)), float(x.dtype.type(upper))
    u = _random.uniform((int(negative.sum()),), xp.float64)
    slopes = u * (hi - lo) + lo
    noise = xp.ones(x.shape, dtype=x.dtype)
    noise[negative] = slopes.astype(x.dtype)  # torch's slope, rounded to the input's type
    noise = Tensor._make(noise)
    return input.mul_(noise) if inplace else input * noise


def rrelu_(
    input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False
) -> Tensor:
    """In-place ``rrelu``."""
    return rrelu(input, lower, upper, training, inplace=True)


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """In-place ``elu``."""
    return elu(input, alpha, inplace=True)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    """In-place ``leaky_relu``."""
    return leaky_relu(input, negative_slope, inplace=True)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """In-place ``hardtanh``."""
    return hardtanh(input, min_val, max_val, inplace=True)


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    """In-place ``threshold``."""
    return _activation(A.Threshold, input, True, threshold, value)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """In-place ``celu``."""
    return celu(input, alpha, inplace=True)


def selu_(input: Tensor) -> Tensor:
    """In-place ``selu``."""
    return selu(input, inplace=True)


def gumbel_softmax(
    logits: Tensor, tau: float = 1.0, hard: bool = False, eps: float = 1e-10, dim: int = -1
) -> Tensor:
    """A sample of softmax((logits + g) / τ), g ~ Gumbel(0, 1) = −log(Exponential(1)) (Jang et
    al., 2017). ``hard``: the one-hot of its argmax in the forward, with the soft sample's
    gradient (straight-through: y_hard − stop_grad(y_soft) + y_soft)."""
    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", stacklevel=2)
    require_tensor("empty_like", logits)  # torch's first use of the logits
    gumbels = -empty_like(logits).exponential_().log()  # drawn as torch draws them
    y_soft = ((logits + gumbels) / tau).softmax(dim)
    if not hard:
        return y_soft
    index = y_soft.max(dim, keepdim=True)[1]
    y_hard = zeros_like(logits).scatter_(dim, index, 1.0)
    return y_hard - y_soft.detach() + y_soft
