"""Weight normalisation, the legacy hook form (``torch.nn.utils.weight_norm``).

Salimans & Kingma (2016): write each weight as w = g · v / ‖v‖, a direction v and a length g
learned separately, which conditions gradient descent better. The norm is taken over all
axes but ``dim`` (one length per output unit for dim = 0); dim = None (or −1) means one
length for the whole tensor. This form stores ``weight_g`` and ``weight_v`` as parameters and
recomputes ``module.weight`` in a forward pre-hook; ``nn.utils.parametrizations.weight_norm``
is its successor.
"""

from __future__ import annotations

import warnings

from gradiente.nn.module import Module
from gradiente.nn.parameter import Parameter
from gradiente.tensor import Tensor


def norm_except_dim(v: Tensor, pow: float = 2, dim: int = 0) -> Tensor:
    """The ``pow``-norm of ``v`` over every axis but ``dim``, shaped to broadcast against
    ``v`` (size 1 except along ``dim``); dim = −1 means over every axis (a 0-d result)."""
    if dim == -1:
        return v.norm(pow)
    dim = dim % v.ndim
    axes = tuple(d for d in range(v.ndim) if d != dim)
    return v.norm(pow, dim=axes, keepdim=True) if axes else v.abs()


def _weight_norm(v: Tensor, g: Tensor, dim: int = 0) -> Tensor:
    """w = v · g / ‖v‖, the norm over every axis but ``dim`` (torch's ``_weight_norm``)."""
    return v * (g / norm_except_dim(v, 2, dim))


class WeightNorm:
    """The forward pre-hook that recomputes ``module.<name>`` from ``<name>_g`` and
    ``<name>_v`` before each forward."""

    def __init__(self, name: str, dim: int | None) -> None:
        self.name = name
        self.dim = -1 if dim is None else dim

    def compute_weight(self, module: Module) -> Tensor:
        g = getattr(module, self.name + "_g")
        v = getattr(module, self.name + "_v")
        return _weight_norm(v, g, self.dim)

    @staticmethod
    def apply(module: Module, name: str, dim: int | None) -> WeightNorm:
        warnings.warn(
            "`torch.nn.utils.weight_norm` is deprecated in favor of "
            "`torch.nn.utils.parametrizations.weight_norm`.",
            FutureWarning,
            stacklevel=3,
        )
        for hook in module._forward_pre_hooks.values():
            if isinstance(hook, WeightNorm) and hook.name == name:
                raise RuntimeError(
                    f"Cannot register two weight_norm hooks on the same parameter {name}"
                )
        fn = WeightNorm(name, dim)
        weight = getattr(module, name)
        del module._parameters[name]
        # g = ‖weight‖ and v = weight, so that g · v/‖v‖ starts as the weight itself
        module.register_parameter(name + "_g", Parameter(norm_except_dim(weight, 2, fn.dim).data))
        module.register_parameter(name + "_v", Parameter(weight.data))
        setattr(module, name, fn.compute_weight(module))
        module.register_forward_pre_hook(fn)
        return fn

    def remove(self, module: Module) -> None:
        weight = self.compute_weight(module)
        delattr(module, self.name)
        del module._parameters[self.name + "_g"]
        del module._parameters[self.name + "_v"]
        setattr(module, self.name, Parameter(weight.data))

    def __call__(self, module: Module, inputs) -> None:
        setattr(module, self.name, self.compute_weight(module))


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """Reparametrise ``module.<name>`` as g · v/‖v‖ (parameters ``<name>_g``, ``<name>_v``)."""
    WeightNorm.apply(module, name, dim)
    return module


def remove_weight_norm(module: Module, name: str = "weight") -> Module:
    """Undo ``weight_norm``: ``<name>`` becomes a plain parameter holding g · v/‖v‖."""
    for key, hook in module._forward_pre_hooks.items():
        if isinstance(hook, WeightNorm) and hook.name == name:
            hook.remove(module)
            del module._forward_pre_hooks[key]
            return module
    raise ValueError(f"weight_norm of '{name}' not found in {module}")
