"""Adam and AdamW: adaptive moment estimation, with L2 or decoupled weight decay."""

from __future__ import annotations

from gradiente.backend import xp
from gradiente.optim._inplace import _addcdiv_, _update_moments
from gradiente.optim.optimizer import Optimizer, _as_float, _count_step, _zeros_state
from gradiente.tensor import Tensor

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    r"""Adam (Kingma & Ba, 2014), as ``torch.optim.Adam``.

    With learning rate η, betas (β1, β2), ε and weight decay λ, step t does::

        g_t = ∇f(θ_{t−1}) + λ θ_{t−1}                 (−∇f if maximize; λ here only if
                                                       not decoupled_weight_decay)
        m_t = β1 m_{t−1} + (1 − β1) g_t               first moment: a running mean of g
        v_t = β2 v_{t−1} + (1 − β2) g_t²              second moment: a running mean of g²
        m̂_t = m_t / (1 − β1^t),  v̂_t = v_t / (1 − β2^t)   bias corrections (m_0 = v_0 = 0)
        θ_t = θ_{t−1} − η m̂_t / (√v̂_t + ε)

    Each coordinate gets its own step size, about η / (typical |g|). With ``amsgrad`` the
    denominator uses v_max,t = max(v_max,t−1, v_t). With ``decoupled_weight_decay`` (AdamW)
    the decay is θ ← θ − ηλθ before the update instead of a term in g_t.

    The arithmetic follows PyTorch's order: denom = √v_t / √(1 − β2^t) + ε and
    θ ← θ − (η / (1 − β1^t)) m_t / denom. ``foreach``, ``capturable`` and ``fused`` are accepted
    for compatibility (the result is the same).
    """

    _validated = ("lr", "eps", "betas", "weight_decay")
    _defaults_order = (
        "lr betas eps weight_decay amsgrad maximize "
        "foreach capturable differentiable fused decoupled_weight_decay"
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
        amsgrad: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
        decoupled_weight_decay: bool = False,
    ) -> None:
        betas = tuple(betas)
        super().__init__(params, self._defaults_from(locals()))

    def _check_hyperparameters(self, defaults: dict) -> None:
        super()._check_hyperparameters(defaults)
        beta1, beta2 = defaults["betas"]
        if not (
            (isinstance(beta1, float) and isinstance(beta2, float))
            or (isinstance(beta1, Tensor) and isinstance(beta2, Tensor))
        ):
            raise ValueError("betas must be either both floats or both Tensors")

    def _init_state(self, p: Tensor, state: dict, group: dict) -> None:
        super()._init_state(p, state, group)
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = _zeros_state(p)

    def _update(self, p: Tensor, state: dict, group: dict) -> None:
        beta1, beta2 = (_as_float(b) for b in group["betas"])
        lr, eps = _as_float(group["lr"]), group["eps"]
        t = _count_step(state)
        g = self._decayed_grad(p, group)  # g_t, or θ ← θ − ηλθ first if decoupled

        m, v = state["exp_avg"]._data, state["exp_avg_sq"]._data
        tmp = xp.empty_like(m)
        # m_t = β1 m_{t−1} + (1 − β1) g_t,  v_t = β2 v_{t−1} + (1 − β2) g_t²
        _update_moments(m, v, g, beta1, beta2, tmp)

        bias_correction1 = 1 - beta1**t
        bias_correction2 = 1 - beta2**t
        step_size = lr / bias_correction1
        if group["amsgrad"]:
            v_max = state["max_exp_avg_sq"]._data
            xp.maximum(v_max, v, out=v_max)
            v = v_max
        denom = xp.sqrt(v, out=tmp)  # √v̂_t + ε = √v_t / √(1 − β2^t) + ε
        denom /= bias_correction2**0.5
        denom += eps
        _addcdiv_(p._data, m, denom, -step_size, xp.empty_like(m))


class AdamW(Adam):
    r"""AdamW (Loshchilov & Hutter, 2017): Adam with decoupled weight decay (``torch.optim.AdamW``).

    The decay shrinks the weights directly instead of entering the gradient, so it is not
    rescaled by the adaptive denominator::

        θ ← θ_{t−1} − η λ θ_{t−1}
        m_t, v_t, m̂_t, v̂_t as in Adam (with g_t = ∇f(θ_{t−1}))
        θ_t = θ − η m̂_t / (√v̂_t + ε)

    The default weight decay is 1e-2.
    """

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        super().__init__(
            params,
            lr,
            betas,
            eps,
            weight_decay,
            amsgrad,
            foreach=foreach,
            maximize=maximize,
            capturable=capturable,
            differentiable=differentiable,
            fused=fused,
            decoupled_weight_decay=True,
        )

    def __setstate__(self, state: dict) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True
