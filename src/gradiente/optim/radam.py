"""RAdam: Adam whose adaptive step is switched on gradually, as its variance estimate firms up."""

from __future__ import annotations

from gradiente.backend import xp
from gradiente.optim._inplace import _update_moments
from gradiente.optim.optimizer import Optimizer, _as_float, _count_step
from gradiente.tensor import Tensor

__all__ = ["RAdam"]


class RAdam(Optimizer):
    r"""Rectified Adam (Liu et al., 2019), as ``torch.optim.RAdam``.

    With learning rate η, betas (β1, β2), ε and weight decay λ, step t does::

        g_t = ∇f(θ_{t−1}) + λ θ_{t−1}         (or θ ← θ − ηλθ if decoupled_weight_decay)
        m_t = β1 m_{t−1} + (1 − β1) g_t,   v_t = β2 v_{t−1} + (1 − β2) g_t²
        m̂_t = m_t / (1 − β1^t)
        ρ_∞ = 2 / (1 − β2) − 1,   ρ_t = ρ_∞ − 2 t β2^t / (1 − β2^t)
        if ρ_t > 5:
            r_t = √((ρ_t − 4)(ρ_t − 2) ρ_∞ / ((ρ_∞ − 4)(ρ_∞ − 2) ρ_t))
            l_t = √(1 − β2^t) / (√v_t + ε)
            θ_t = θ_{t−1} − η m̂_t l_t r_t
        else:
            θ_t = θ_{t−1} − η m̂_t            (plain momentum SGD while v_t is unreliable)

    The rectification r_t replaces the learning-rate warm-up that Adam often needs.
    """

    _validated = ("lr", "eps", "betas", "weight_decay")
    _defaults_order = (
        "lr betas eps weight_decay maximize "
        "foreach capturable decoupled_weight_decay differentiable"
    )
    _scalar_states = {"step": 0.0}
    _zero_states = ("exp_avg", "exp_avg_sq")  # m, v

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        decoupled_weight_decay: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
    ) -> None:
        super().__init__(params, self._defaults_from(locals()))

    def _update(self, p: Tensor, state: dict, group: dict) -> None:
        beta1, beta2 = group["betas"]
        lr, eps = _as_float(group["lr"]), group["eps"]
        t = _count_step(state)
        g = self._decayed_grad(p, group)  # g_t, or θ ← θ − ηλθ first if decoupled

        m, v = state["exp_avg"]._data, state["exp_avg_sq"]._data
        tmp = xp.empty_like(m)
        _update_moments(m, v, g, beta1, beta2, tmp)  # m_t, v_t as in Adam

        bias_correction1 = 1 - beta1**t
        bias_correction2 = 1 - beta2**t
        step = xp.divide(m, bias_correction1)  # m̂_t
        step *= lr
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * t * (beta2**t) / bias_correction2
        if rho_t > 5.0:
            rect = (
                (rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)
            ) ** 0.5
            adaptive = xp.sqrt(v, out=tmp)
            adaptive += eps
            xp.divide(bias_correction2**0.5, adaptive, out=adaptive)  # l_t
            step *= adaptive
            step *= rect
        p._data -= step
