"""Adadelta: step sizes from the ratio of running RMS of updates and of gradients."""

from __future__ import annotations

from gradiente.backend import xp
from gradiente.optim._inplace import _addcmul_
from gradiente.optim.optimizer import Optimizer, _as_float, _count_step
from gradiente.tensor import Tensor

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    r"""Adadelta (Zeiler, 2012), as ``torch.optim.Adadelta``.

    With learning rate η (default 1.0), decay ρ, ε and weight decay λ, step t does::

        g_t = ∇f(θ_{t−1}) + λ θ_{t−1}                     (−∇f if maximize)
        v_t = ρ v_{t−1} + (1 − ρ) g_t²
        Δθ_t = √(u_{t−1} + ε) / √(v_t + ε) · g_t
        u_t = ρ u_{t−1} + (1 − ρ) Δθ_t²
        θ_t = θ_{t−1} − η Δθ_t

    The ratio of the two running RMS values gives each coordinate a step with the units of θ,
    so no learning rate has to be tuned (η only rescales it).
    """

    _validated = ("lr", "rho", "eps", "weight_decay")
    _defaults_order = "lr rho eps weight_decay maximize capturable foreach differentiable"
    _scalar_states = {"step": 0.0}
    _zero_states = ("square_avg", "acc_delta")  # v, u

    def __init__(
        self,
        params,
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        capturable: bool = False,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        super().__init__(params, self._defaults_from(locals()))

    def _update(self, p: Tensor, state: dict, group: dict) -> None:
        rho, eps = group["rho"], group["eps"]
        _count_step(state)
        g = self._grad(p, group)
        v, u = state["square_avg"]._data, state["acc_delta"]._data
        tmp = xp.empty_like(v)
        v *= rho
        _addcmul_(v, g, g, 1 - rho, tmp)  # v_t = ρ v_{t−1} + (1 − ρ) g_t²
        std = xp.add(v, eps)
        xp.sqrt(std, out=std)  # √(v_t + ε)
        delta = xp.add(u, eps)
        xp.sqrt(delta, out=delta)  # √(u_{t−1} + ε)
        delta /= std
        delta *= g  # Δθ_t
        u *= rho
        _addcmul_(u, delta, delta, 1 - rho, tmp)  # u_t = ρ u_{t−1} + (1 − ρ) Δθ_t²
        delta *= -_as_float(group["lr"])
        p._data += delta
