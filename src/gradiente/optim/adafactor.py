"""Adafactor: Adam-like steps whose second moment of a matrix is stored as a row and a column."""

from __future__ import annotations

from gradiente.backend import finfo, xp
from gradiente.optim._inplace import _lerp_
from gradiente.optim.optimizer import Optimizer, _count_step, _zeros_state
from gradiente.tensor import Tensor

__all__ = ["Adafactor"]


def _rms(x) -> float:
    """RMS(x) = ‖x‖₂ / √numel: the root mean square of all entries, as a Python float."""
    return float(xp.sqrt(xp.vdot(x, x))) / x.size**0.5


class Adafactor(Optimizer):
    r"""Adafactor (Shazeer & Stern, 2018), as ``torch.optim.Adafactor``.

    With learning rate γ, β2 decay τ ≤ 0, epsilons (ε1, ε2), clipping threshold d and weight
    decay λ, step t does::

        G_t = ∇f(θ_{t−1})                             (−∇f if maximize)
        β̂2_t = 1 − t^τ                               a β2 that grows towards 1 with t
        ρ_t = min(γ, 1/√t)                            relative step size
        α_t = max(ε2, RMS(θ_{t−1})) ρ_t               step size relative to the weights' scale
        θ ← θ_{t−1} − γ λ θ_{t−1}                     decoupled weight decay
        if G_t has ≥ 2 dims (factored over its last two, n × m):
            R_t = β̂2_t R_{t−1} + (1 − β̂2_t) mean_cols(G_t²)    (n × 1) row means
            C_t = β̂2_t C_{t−1} + (1 − β̂2_t) mean_rows(G_t²)    (1 × m) column means
            V̂_t = R_t C_t / max(mean(R_t), ε1)                  rank-1 estimate of E[G²]
        else:
            V̂_t = β̂2_t V̂_{t−1} + (1 − β̂2_t) G_t²
        U_t = G_t / max(√V̂_t, ε1)
        Û_t = U_t / max(1, RMS(U_t) / d)              update clipping
        θ_t = θ − α_t Û_t

    A matrix's second moment costs n + m numbers instead of n·m, which is the point of the
    method. ε1 defaults to the machine epsilon of the parameter's dtype. As in PyTorch, γ caps
    ρ_t and scales the weight decay (the paper has no learning rate). ``foreach`` is accepted
    for compatibility (the result is the same).
    """

    _scalar_states = {"step": 0.0}

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        beta2_decay: float = -0.8,
        eps: tuple[float | None, float] = (None, 1e-3),
        d: float = 1.0,
        weight_decay: float = 0.0,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
    ) -> None:
        super().__init__(params, self._defaults_from(locals()))

    def _check_hyperparameters(self, defaults: dict) -> None:
        # torch's own messages for Adafactor, in its order
        lr, eps = defaults["lr"], defaults["eps"]
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 >= defaults["beta2_decay"]:
            raise ValueError(f"beta2_decay should be <= 0 but is: {defaults['beta2_decay']}")
        if eps[0] is not None and not 0.0 <= eps[0]:
            raise ValueError(f"epsilon1 should be >= 0 but is: {eps[0]}")
        if not 0.0 <= eps[1]:
            raise ValueError(f"epsilon2 should be >= 0 but is: {eps[1]}")
        if not 1.0 <= defaults["d"]:
            raise ValueError(f"Clipping threshold d should be >= 1 but is: {defaults['d']}")
        if not 0.0 <= defaults["weight_decay"]:
            raise ValueError(f"weight_decay should be >= 0 but is: {defaults['weight_decay']}")

    def _init_state(self, p: Tensor, state: dict, group: dict) -> None:
        super()._init_state(p, state, group)
        if p._data.ndim > 1:
            # zeros_like of a slice: the factors on the parameter's device, in its dtype
            state["row_var"] = Tensor._make(xp.zeros_like(p._data[..., :1]))  # (..., n, 1)
            state["col_var"] = Tensor._make(xp.zeros_like(p._data[..., :1, :]))  # (..., 1, m)
        else:
            state["variance"] = _zeros_state(p)

    def _update(self, p: Tensor, state: dict, group: dict) -> None:
        lr = group["lr"]
        if isinstance(lr, Tensor):
            # a tensor lr stays a scalar of its dtype, as in torch: ρ, α and the decay factor
            # are then rounded to that dtype
            lr = lr._data.reshape(())[()]
        eps1, eps2 = group["eps"]
        if eps1 is None:
            eps1 = float(finfo(p._data.dtype).eps)
        t = _count_step(state)
        g = self._grad(p, group, weight_decay=0)
        theta = p._data

        one_minus_beta2 = t ** group["beta2_decay"]  # 1 − β̂2_t = t^τ
        rho = min(lr, 1 / t**0.5)  # min keeps lr on a tie, as torch's
        alpha = max(eps2, _rms(theta)) * rho
        if group["weight_decay"] != 0:
            theta *= 1 - lr * group["weight_decay"]  # θ ← θ − γλθ

        g2 = g * g
        if "row_var" in state:
            r, c = state["row_var"]._data, state["col_var"]._data
            _lerp_(r, g2.mean(axis=-1, keepdims=True), one_minus_beta2, xp.empty_like(r))
            _lerp_(c, g2.mean(axis=-2, keepdims=True), one_minus_beta2, xp.empty_like(c))
            # V̂ = R C / max(mean(R), ε1): the outer product (..., n, 1) @ (..., 1, m)
            v_hat = xp.matmul(r, c)
            v_hat /= xp.maximum(r.mean(axis=-2, keepdims=True), eps1)
        else:
            v = state["variance"]._data
            _lerp_(v, g2, one_minus_beta2, xp.empty_like(v))
            v_hat = v.copy()

        # U = G / max(√V̂, ε1) = G · rsqrt(max(V̂, ε1²))
        u = xp.maximum(v_hat, eps1 * eps1, out=v_hat)
        xp.sqrt(u, out=u)
        xp.divide(1.0, u, out=u)
        u *= g
        clip = max(1.0, _rms(u) / group["d"])
        u *= -alpha / clip
        theta += u  # θ_t = θ − α_t Û_t
