"""Adagrad: per-coordinate step sizes from the sum of all past squared gradients."""

from __future__ import annotations

from gradiente.backend import xp
from gradiente.optim._inplace import _addcdiv_
from gradiente.optim.optimizer import Optimizer, _as_float, _count_step
from gradiente.tensor import Tensor

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    r"""Adagrad (Duchi et al., 2011), as ``torch.optim.Adagrad``.

    With learning rate η, learning-rate decay κ, weight decay λ and ε, step t does::

        g_t = ∇f(θ_{t−1}) + λ θ_{t−1}            (−∇f if maximize)
        η̃_t = η / (1 + (t − 1) κ)
        s_t = s_{t−1} + g_t²                      (s_0 = initial_accumulator_value)
        θ_t = θ_{t−1} − η̃_t g_t / (√s_t + ε)

    Coordinates with large past gradients get small steps; the steps only ever shrink. As in
    PyTorch the state (``step`` and ``sum``) is created for every parameter in the constructor,
    and the accumulator starts at the constructor's ``initial_accumulator_value``.
    """

    _validated = ("lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps")
    _defaults_order = (
        "lr lr_decay eps weight_decay initial_accumulator_value "
        "foreach maximize differentiable fused"
    )
    _scalar_states = {"step": 0.0}

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        super().__init__(params, self._defaults_from(locals()))
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p, self.state[p], group)

    def _init_state(self, p: Tensor, state: dict, group: dict) -> None:
        super()._init_state(p, state, group)
        state["sum"] = Tensor._make(
            xp.full_like(p._data, self.defaults["initial_accumulator_value"])
        )

    def _update(self, p: Tensor, state: dict, group: dict) -> None:
        t = _count_step(state)
        g = self._grad(p, group)
        clr = _as_float(group["lr"]) / (1 + (t - 1) * group["lr_decay"])
        s = state["sum"]._data
        tmp = xp.multiply(g, g)
        s += tmp  # s_t = s_{t−1} + g_t²
        std = xp.sqrt(s, out=tmp)
        std += group["eps"]
        _addcdiv_(p._data, g, std, -clr, xp.empty_like(s))
