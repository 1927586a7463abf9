"""Adamax: Adam with the infinity norm in place of the second moment."""

from __future__ import annotations

from gradiente.backend import xp
from gradiente.optim._inplace import _addcdiv_, _lerp_
from gradiente.optim.optimizer import Optimizer, _as_float, _count_step
from gradiente.tensor import Tensor

__all__ = ["Adamax"]


class Adamax(Optimizer):
    r"""Adamax (Kingma & Ba, 2014, section 7), as ``torch.optim.Adamax``.

    With learning rate η, betas (β1, β2), ε and weight decay λ, step t does::

        g_t = ∇f(θ_{t−1}) + λ θ_{t−1}               (−∇f if maximize)
        m_t = β1 m_{t−1} + (1 − β1) g_t
        u_t = max(β2 u_{t−1}, |g_t| + ε)             an exponentially weighted infinity norm
        θ_t = θ_{t−1} − η / (1 − β1^t) · m_t / u_t
    """

    _validated = ("lr", "eps", "betas", "weight_decay")
    _scalar_states = {"step": 0.0}
    _zero_states = ("exp_avg", "exp_inf")  # m, u

    def __init__(
        self,
        params,
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        capturable: bool = False,
    ) -> None:
        super().__init__(params, self._defaults_from(locals()))

    def _update(self, p: Tensor, state: dict, group: dict) -> None:
        beta1, beta2 = group["betas"]
        t = _count_step(state)
        g = self._grad(p, group)
        m, u = state["exp_avg"]._data, state["exp_inf"]._data
        tmp = xp.empty_like(m)
        _lerp_(m, g, 1 - beta1, tmp)
        u *= beta2
        xp.abs(g, out=tmp)
        tmp += group["eps"]
        xp.maximum(u, tmp, out=u)  # u_t = max(β2 u_{t−1}, |g_t| + ε)
        clr = _as_float(group["lr"]) / (1 - beta1**t)
        _addcdiv_(p._data, m, u, -clr, tmp)
