"""Affine layers: Identity, Linear (y = x Wᵀ + b) and Bilinear (y = x1ᵀ W x2 + b)."""

from __future__ import annotations

import math

from gradiente.nn import functional as F
from gradiente.nn import init
from gradiente.nn.layers._options import options_repr
from gradiente.nn.module import Module
from gradiente.nn.parameter import Parameter
from gradiente.tensor import Tensor, empty


def _weight_and_bias(module: Module, shape: tuple, out: int, bias: bool, device, dtype) -> None:
    """Register ``weight`` of ``shape`` and ``bias`` of (out,), or None when ``bias=False``.

    Empty here: each layer's ``reset_parameters`` draws them, in PyTorch's order.
    """
    for size in shape:
        if size < 0:  # torch's error from allocating the weight
            raise RuntimeError(
                f"Trying to create tensor with negative dimension {size}: {list(shape)}"
            )
    module.weight = Parameter(empty(shape, dtype=dtype, device=device))
    if bias:
        module.bias = Parameter(empty(out, dtype=dtype, device=device))
    else:
        module.register_parameter("bias", None)


class Identity(Module):
    """Returns its input unchanged (a placeholder; any constructor arguments are ignored)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__()

    def forward(self, input: Tensor) -> Tensor:
        return input


class Linear(Module):
    """y = x Wᵀ + b with W of shape (out_features, in_features) and b of shape (out_features).

    Initialised as PyTorch does: W ~ U(−1/√in, 1/√in) (``kaiming_uniform_`` with a = √5),
    then b ~ U(−1/√in, 1/√in) — the same draws, so the same seed gives the same weights.
    """

    def __init__(
        self, in_features: int, out_features: int, bias: bool = True, device=None, dtype=None
    ) -> None:
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        _weight_and_bias(self, (out_features, in_features), out_features, bias, device, dtype)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw the weight, then the bias, exactly like ``torch.nn.Linear``."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input: Tensor) -> Tensor:
        # F.linear checks the input (its type, its features) in torch's words
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return options_repr(self, ("in_features", "out_features", "bias"))


class Bilinear(Module):
    """y_k = x1ᵀ W_k x2 + b_k with W of shape (out, in1, in2); U(−1/√in1, 1/√in1) init."""

    def __init__(
        self,
        in1_features: int,
        in2_features: int,
        out_features: int,
        bias: bool = True,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        self.in1_features = in1_features
        self.in2_features = in2_features
        self.out_features = out_features
        shape = (out_features, in1_features, in2_features)
        _weight_and_bias(self, shape, out_features, bias, device, dtype)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1 / math.sqrt(self.weight.size(1))
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1: Tensor, input2: Tensor) -> Tensor:
        return F.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return options_repr(self, ("in1_features", "in2_features", "out_features", "bias"))
