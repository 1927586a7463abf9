"""RMSprop: steps divided by a running root-mean-square of the gradients."""

from __future__ import annotations

from gradiente.backend import xp
from gradiente.optim._inplace import _addcdiv_, _addcmul_, _lerp_
from gradiente.optim.optimizer import Optimizer, _as_float, _count_step, _zeros_state
from gradiente.tensor import Tensor

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    r"""RMSprop (Hinton, 2012), as ``torch.optim.RMSprop``.

    With learning rate η, smoothing α, ε, weight decay λ and momentum μ, step t does::

        g_t = ∇f(θ_{t−1}) + λ θ_{t−1}              (−∇f if maximize)
        v_t = α v_{t−1} + (1 − α) g_t²
        centered:  ḡ_t = α ḡ_{t−1} + (1 − α) g_t,   d_t = √(v_t − ḡ_t²) + ε
        otherwise: d_t = √v_t + ε
        μ > 0:     b_t = μ b_{t−1} + g_t / d_t,     θ_t = θ_{t−1} − η b_t
        μ = 0:     θ_t = θ_{t−1} − η g_t / d_t

    Unlike Adagrad the average forgets old gradients, so steps do not shrink forever; the
    centered variant divides by an estimate of the gradient's standard deviation.
    """

    _validated = ("lr", "eps", "momentum", "weight_decay", "alpha")
    _defaults_order = (
        "lr momentum alpha eps centered weight_decay capturable foreach maximize differentiable"
    )
    _scalar_states = {"step": 0.0}
    _zero_states = ("square_avg",)  # v

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        super().__init__(params, self._defaults_from(locals()))

    def _init_state(self, p: Tensor, state: dict, group: dict) -> None:
        super()._init_state(p, state, group)
        if group["momentum"] > 0:
            state["momentum_buffer"] = _zeros_state(p)
        if group["centered"]:
            state["grad_avg"] = _zeros_state(p)

    def _update(self, p: Tensor, state: dict, group: dict) -> None:
        alpha, eps, momentum = group["alpha"], group["eps"], group["momentum"]
        lr = _as_float(group["lr"])
        _count_step(state)
        g = self._grad(p, group)
        v = state["square_avg"]._data
        tmp = xp.empty_like(v)
        v *= alpha
        _addcmul_(v, g, g, 1 - alpha, tmp)  # v_t = α v_{t−1} + (1 − α) g_t²
        if group["centered"]:
            g_avg = state["grad_avg"]._data
            _lerp_(g_avg, g, 1 - alpha, tmp)  # ḡ_t = α ḡ_{t−1} + (1 − α) g_t
            avg = v.copy()
            _addcmul_(avg, g_avg, g_avg, -1, tmp)  # v_t − ḡ_t²
            xp.sqrt(avg, out=avg)
        else:
            avg = xp.sqrt(v)
        avg += eps
        if momentum > 0:
            b = state["momentum_buffer"]._data
            b *= momentum
            _addcdiv_(b, g, avg, 1, tmp)  # b_t = μ b_{t−1} + g_t / d_t
            xp.multiply(b, -lr, out=tmp)
            p._data += tmp
        else:
            _addcdiv_(p._data, g, avg, -lr, tmp)
