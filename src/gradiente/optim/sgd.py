"""Stochastic gradient descent, with momentum, Nesterov momentum and weight decay."""

from __future__ import annotations

from gradiente.backend import xp
from gradiente.optim.optimizer import Optimizer, _as_float
from gradiente.tensor import Tensor

__all__ = ["SGD"]


class SGD(Optimizer):
    r"""Stochastic gradient descent (optionally with momentum), as ``torch.optim.SGD``.

    With learning rate η, momentum μ, dampening τ and weight decay λ, each step does::

        g_t = ∇f(θ_{t−1}) + λ θ_{t−1}                  (−∇f if maximize)
        b_1 = g_1,   b_t = μ b_{t−1} + (1 − τ) g_t       (only if μ ≠ 0)
        g_t ← g_t + μ b_t  if nesterov,  else  g_t ← b_t
        θ_t = θ_{t−1} − η g_t

    The velocity b accumulates past gradients, so steps grow along directions where the
    gradient keeps its sign and cancel where it oscillates; Nesterov looks one step ahead.
    ``foreach`` and ``fused`` are accepted for compatibility (the result is the same).
    """

    _validated = ("lr", "momentum", "weight_decay")
    _nan_passes = True  # torch's SGD tests ``x < 0.0``

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        super().__init__(params, self._defaults_from(locals()))

    def _check_hyperparameters(self, defaults: dict) -> None:
        super()._check_hyperparameters(defaults)
        if defaults["nesterov"] and (defaults["momentum"] <= 0 or defaults["dampening"] != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")

    def _update(self, p: Tensor, state: dict, group: dict) -> None:
        g = self._grad(p, group)
        momentum = group["momentum"]
        if momentum != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = Tensor._make(g.copy())  # b_1 = g_1
            else:
                b = buf._data
                b *= momentum
                damped = 1 - group["dampening"]
                b += g if damped == 1 else xp.multiply(g, damped)
            if group["nesterov"]:
                ahead = xp.multiply(buf._data, momentum)  # g_t + μ b_t
                ahead += g
                g = ahead
            else:
                g = buf._data
        step = xp.multiply(g, -_as_float(group["lr"]))
        p._data += step
