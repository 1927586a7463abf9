"""Rprop: resilient backpropagation — steps that follow the gradient's sign, not its size."""

from __future__ import annotations

from gradiente.backend import xp
from gradiente.optim.optimizer import Optimizer, _as_float, _count_step
from gradiente.tensor import Tensor

__all__ = ["Rprop"]


class Rprop(Optimizer):
    r"""Rprop (Riedmiller & Braun, 1993), as ``torch.optim.Rprop``.

    Every coordinate i has its own step size Δ_i (starting at η). With etas (η⁻, η⁺) and
    step_sizes (Δ_min, Δ_max), step t does::

        g_t = ∇f(θ_{t−1})                        (−∇f if maximize)
        Δ_t = clamp(η⁺ Δ_{t−1}, Δ_min, Δ_max)    if g_t · g_{t−1} > 0   (same sign: speed up)
              clamp(η⁻ Δ_{t−1}, Δ_min, Δ_max)    if g_t · g_{t−1} < 0   (sign flip: overshot)
              Δ_{t−1}                            if g_t · g_{t−1} = 0
        g_t ← 0                                  where the sign flipped (no move, and the next
                                                 step counts as "= 0")
        θ_t = θ_{t−1} − sign(g_t) Δ_t

    Only the sign of the gradient is used, so the step does not depend on the gradient's
    scale; it suits full-batch training (mini-batch noise flips signs at random). The state is
    ``step``, ``prev`` (g_{t−1}, zeroed where it flipped) and ``step_size`` (Δ).
    """

    _validated = ("lr",)
    _defaults_order = "lr etas step_sizes foreach maximize differentiable capturable"
    _scalar_states = {"step": 0.0}
    _zero_states = ("prev",)

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        etas: tuple[float, float] = (0.5, 1.2),
        step_sizes: tuple[float, float] = (1e-6, 50),
        *,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        super().__init__(params, self._defaults_from(locals()))

    def _check_hyperparameters(self, defaults: dict) -> None:
        super()._check_hyperparameters(defaults)
        etas = defaults["etas"]
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")

    def _init_state(self, p: Tensor, state: dict, group: dict) -> None:
        super()._init_state(p, state, group)
        state["step_size"] = Tensor._make(xp.full_like(p._data, _as_float(group["lr"])))

    def _update(self, p: Tensor, state: dict, group: dict) -> None:
        etaminus, etaplus = group["etas"]
        step_size_min, step_size_max = group["step_sizes"]
        _count_step(state)
        g = self._grad(p, group)
        prev, step_size = state["prev"]._data, state["step_size"]._data

        # the factor per coordinate, from sign(g_t · g_{t−1}): η⁺ (> 0), η⁻ (< 0), 1 (= 0);
        # a NaN stays NaN, as in torch
        sign = xp.sign(g * prev)
        factor = sign.copy()
        factor[sign > 0] = etaplus
        factor[sign < 0] = etaminus
        factor[sign == 0] = 1
        step_size *= factor
        xp.clip(step_size, step_size_min, step_size_max, out=step_size)

        g = g.copy()
        g[factor == etaminus] = 0  # where the sign flipped: no move this step
        p._data -= xp.sign(g) * step_size  # θ_t = θ_{t−1} − sign(g_t) Δ_t
        prev[...] = g
