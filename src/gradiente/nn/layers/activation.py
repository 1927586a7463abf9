"""Activation layers: each holds its options and calls the matching ``nn.functional``."""

from __future__ import annotations

import warnings

from gradiente.nn import functional as F
from gradiente.nn import init as nn_init
from gradiente.nn.layers._options import OptionsModule, options_repr
from gradiente.nn.module import Module
from gradiente.nn.parameter import Parameter
from gradiente.tensor import Tensor, empty


class _InplaceActivation(OptionsModule):
    """An activation whose one option is ``inplace`` (printed only when True)."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__(inplace=inplace)


class _AlphaActivation(OptionsModule):
    """ELU and CELU: the scale ``alpha`` of the negative part, and ``inplace``."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__(alpha=alpha, inplace=inplace)


class _DimActivation(OptionsModule):
    """The softmax family: the one option is the axis ``dim``."""

    def __init__(self, dim: int | None = None) -> None:
        super().__init__(dim=dim)


class _Shrink(OptionsModule):
    """Hardshrink and Softshrink: the threshold ``lambd``, printed bare as in torch."""

    def __init__(self, lambd: float = 0.5) -> None:
        super().__init__(lambd=lambd)

    def extra_repr(self) -> str:
        return str(self.lambd)


class ReLU(_InplaceActivation):
    """max(x, 0)."""

    def forward(self, input: Tensor) -> Tensor:
        return F.relu(input, inplace=self.inplace)


class LeakyReLU(OptionsModule):
    """x for x > 0, negative_slope · x otherwise."""

    def __init__(self, negative_slope: float = 1e-2, inplace: bool = False) -> None:
        super().__init__(negative_slope=negative_slope, inplace=inplace)

    def forward(self, input: Tensor) -> Tensor:
        return F.leaky_relu(input, self.negative_slope, self.inplace)


class RReLU(OptionsModule):
    """x for x > 0, a · x otherwise: a ~ U(lower, upper) per element in training, the mean
    slope (lower + upper) / 2 in evaluation (Xu et al., 2015)."""

    def __init__(
        self, lower: float = 1.0 / 8, upper: float = 1.0 / 3, inplace: bool = False
    ) -> None:
        super().__init__(lower=lower, upper=upper, inplace=inplace)

    def forward(self, input: Tensor) -> Tensor:
        return F.rrelu(input, self.lower, self.upper, self.training, self.inplace)


class ELU(_AlphaActivation):
    """x for x > 0, α (eˣ − 1) otherwise."""

    def forward(self, input: Tensor) -> Tensor:
        return F.elu(input, self.alpha, self.inplace)


class GELU(OptionsModule):
    """x Φ(x); ``approximate='tanh'`` uses the tanh formula."""

    def __init__(self, approximate: str = "none") -> None:
        super().__init__(approximate=approximate)

    def forward(self, input: Tensor) -> Tensor:
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class SiLU(_InplaceActivation):
    """x σ(x)."""

    def forward(self, input: Tensor) -> Tensor:
        return F.silu(input, inplace=self.inplace)


class Tanh(Module):
    """tanh(x)."""

    def forward(self, input: Tensor) -> Tensor:
        return input.tanh()


class Sigmoid(Module):
    """σ(x) = 1 / (1 + e^(−x))."""

    def forward(self, input: Tensor) -> Tensor:
        return input.sigmoid()


class LogSigmoid(Module):
    """log σ(x)."""

    def forward(self, input: Tensor) -> Tensor:
        return F.logsigmoid(input)


class Softplus(OptionsModule):
    """log(1 + e^(βx)) / β, linear above ``threshold``."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__(beta=beta, threshold=threshold)

    def forward(self, input: Tensor) -> Tensor:
        return F.softplus(input, self.beta, self.threshold)


def _renamed_keyword(old_value, old_name: str, value, name: str):
    """``old_value`` (with a FutureWarning) when the caller used the deprecated keyword
    ``old_name``, else ``value``."""
    if old_value is None:
        return value
    warnings.warn(
        f"keyword argument `{old_name}` is deprecated and renamed to `{name}`",
        FutureWarning,
        stacklevel=3,  # the line that built the layer
    )
    return old_value


class Hardtanh(OptionsModule):
    """clamp(x, min_val, max_val)."""

    def __init__(
        self,
        min_val: float = -1.0,
        max_val: float = 1.0,
        inplace: bool = False,
        min_value: float | None = None,
        max_value: float | None = None,
    ) -> None:
        # min_value / max_value: the old names, still accepted (with PyTorch's FutureWarning)
        min_val = _renamed_keyword(min_value, "min_value", min_val, "min_val")
        max_val = _renamed_keyword(max_value, "max_value", max_val, "max_val")
        if max_val <= min_val:
            raise AssertionError(f"max_val ({max_val}) must be greater than min_val ({min_val})")
        super().__init__(min_val=min_val, max_val=max_val, inplace=inplace)

    def forward(self, input: Tensor) -> Tensor:
        return F.hardtanh(input, self.min_val, self.max_val, self.inplace)


class ReLU6(Hardtanh):
    """min(max(x, 0), 6)."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self) -> str:
        return options_repr(self, ("inplace",))  # the bounds are fixed: torch prints only this


class Softmax(_DimActivation):
    """e^(x_i) / Σ_j e^(x_j) along ``dim``."""

    def forward(self, input: Tensor) -> Tensor:
        return F.softmax(input, self.dim, _stacklevel=5)


class LogSoftmax(_DimActivation):
    """log softmax along ``dim``."""

    def forward(self, input: Tensor) -> Tensor:
        return F.log_softmax(input, self.dim, _stacklevel=5)


class Softmin(_DimActivation):
    """softmax(−x) along ``dim``."""

    def forward(self, input: Tensor) -> Tensor:
        return F.softmin(input, self.dim, _stacklevel=5)


class SELU(_InplaceActivation):
    """scale · elu(x, α) with the self-normalising constants (Klambauer et al., 2017)."""

    def forward(self, input: Tensor) -> Tensor:
        return F.selu(input, self.inplace)


class CELU(_AlphaActivation):
    """max(0, x) + min(0, α (e^(x/α) − 1))."""

    def forward(self, input: Tensor) -> Tensor:
        return F.celu(input, self.alpha, self.inplace)


class Mish(_InplaceActivation):
    """x · tanh(softplus(x))."""

    def forward(self, input: Tensor) -> Tensor:
        return F.mish(input, self.inplace)


class Hardswish(_InplaceActivation):
    """x · relu6(x + 3) / 6."""

    extra_repr = Module.extra_repr  # torch prints no options for Hardswish

    def forward(self, input: Tensor) -> Tensor:
        return F.hardswish(input, self.inplace)


class Hardsigmoid(_InplaceActivation):
    """relu6(x + 3) / 6."""

    extra_repr = Module.extra_repr  # torch prints no options for Hardsigmoid

    def forward(self, input: Tensor) -> Tensor:
        return F.hardsigmoid(input, self.inplace)


class Softsign(Module):
    """x / (1 + |x|)."""

    def forward(self, input: Tensor) -> Tensor:
        return F.softsign(input)


class Tanhshrink(Module):
    """x − tanh(x)."""

    def forward(self, input: Tensor) -> Tensor:
        return F.tanhshrink(input)


class Threshold(OptionsModule):
    """x where x > threshold, else ``value``."""

    def __init__(self, threshold: float, value: float, inplace: bool = False) -> None:
        super().__init__(threshold=threshold, value=value, inplace=inplace)

    def forward(self, input: Tensor) -> Tensor:
        return F.threshold(input, self.threshold, self.value, self.inplace)


class Hardshrink(_Shrink):
    """x where |x| > λ, else 0."""

    def forward(self, input: Tensor) -> Tensor:
        return F.hardshrink(input, self.lambd)


class Softshrink(_Shrink):
    """x − λ above λ, x + λ below −λ, 0 in between."""

    def forward(self, input: Tensor) -> Tensor:
        return F.softshrink(input, self.lambd)


class GLU(OptionsModule):
    """a ⊙ σ(b) for the two halves a, b of the input along ``dim`` (Dauphin et al., 2017)."""

    def __init__(self, dim: int = -1) -> None:
        super().__init__(dim=dim)

    def forward(self, input: Tensor) -> Tensor:
        return F.glu(input, self.dim)


class PReLU(Module):
    """x for x > 0, a · x otherwise, with a learned slope a: one shared (``num_parameters=1``)
    or one per channel; each starts at ``init`` (He et al., 2015)."""

    def __init__(
        self, num_parameters: int = 1, init: float = 0.25, device=None, dtype=None
    ) -> None:
        super().__init__()
        self.num_parameters = num_parameters
        self.init = init
        self.weight = Parameter(empty(num_parameters, dtype=dtype, device=device))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn_init.constant_(self.weight, self.init)

    def forward(self, input: Tensor) -> Tensor:
        return F.prelu(input, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


class Softmax2d(Module):
    """softmax over the channels (axis −3) of (N, C, H, W) or (C, H, W) input."""

    def forward(self, input: Tensor) -> Tensor:
        if input.ndim not in (3, 4):
            raise ValueError(f"Softmax2d: expected input to be 3D or 4D, got {input.ndim}D instead")
        return F.softmax(input, -3, _stacklevel=5)
