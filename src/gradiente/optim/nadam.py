"""NAdam: Adam with Nesterov momentum (and an optional momentum warm-up schedule)."""

from __future__ import annotations

from gradiente.backend import xp
from gradiente.optim._inplace import _addcdiv_, _update_moments
from gradiente.optim.optimizer import Optimizer, _as_float, _count_step
from gradiente.tensor import Tensor

__all__ = ["NAdam"]


class NAdam(Optimizer):
    r"""NAdam (Dozat, 2016), as ``torch.optim.NAdam``.

    With learning rate η, betas (β1, β2), ε, weight decay λ and momentum decay ψ, step t does::

        g_t = ∇f(θ_{t−1}) + λ θ_{t−1}         (or θ ← θ − ηλθ if decoupled_weight_decay)
        μ_t = β1 (1 − ½ · 0.96^(t ψ)),   μ_{t+1} = β1 (1 − ½ · 0.96^((t+1) ψ))
        m_t = β1 m_{t−1} + (1 − β1) g_t,   v_t = β2 v_{t−1} + (1 − β2) g_t²
        v̂_t = v_t / (1 − β2^t)
        θ_t = θ_{t−1} − η (1 − μ_t) / (1 − Π_{i≤t} μ_i) · g_t / (√v̂_t + ε)
                      − η μ_{t+1} / (1 − Π_{i≤t+1} μ_i) · m_t / (√v̂_t + ε)

    The second line is Adam's step taken with the *next* momentum: a Nesterov look-ahead.
    The product Π μ_i is kept in the state as ``mu_product`` (a scalar tensor, as in PyTorch).
    """

    _validated = ("lr", "eps", "betas", "weight_decay", "momentum_decay")
    _defaults_order = (
        "lr betas eps weight_decay momentum_decay decoupled_weight_decay "
        "maximize foreach capturable differentiable"
    )
    _scalar_states = {"step": 0.0, "mu_product": 1.0}  # t, Π μ_i
    _zero_states = ("exp_avg", "exp_avg_sq")  # m, v

    def __init__(
        self,
        params,
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum_decay: float = 4e-3,
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
        psi = group["momentum_decay"]
        t = _count_step(state)
        bias_correction2 = 1 - beta2**t
        g = self._decayed_grad(p, group)  # g_t, or θ ← θ − ηλθ first if decoupled

        mu = beta1 * (1.0 - 0.5 * (0.96 ** (t * psi)))
        mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((t + 1) * psi)))
        mu_product_t = state["mu_product"]._data
        mu_product_t *= mu  # in the scalar state's dtype, as PyTorch does
        mu_product = float(mu_product_t)
        mu_product_next = mu_product * mu_next

        m, v = state["exp_avg"]._data, state["exp_avg_sq"]._data
        tmp = xp.empty_like(m)
        _update_moments(m, v, g, beta1, beta2, tmp)  # m_t, v_t as in Adam
        denom = xp.divide(v, bias_correction2)
        xp.sqrt(denom, out=denom)
        denom += eps  # √v̂_t + ε
        _addcdiv_(p._data, g, denom, -lr * (1.0 - mu) / (1.0 - mu_product), tmp)
        _addcdiv_(p._data, m, denom, (-lr * mu_next) / (1.0 - mu_product_next), tmp)
