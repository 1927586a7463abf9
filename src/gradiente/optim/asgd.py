"""ASGD: stochastic gradient descent with a decaying step and a running average of the iterates."""

from __future__ import annotations

from gradiente.backend import get_default_dtype
from gradiente.optim.optimizer import Optimizer, _as_float, _count_step, _scalar_state, _zeros_state
from gradiente.tensor import Tensor

__all__ = ["ASGD"]


class ASGD(Optimizer):
    r"""Averaged SGD (Polyak & Juditsky, 1992), as ``torch.optim.ASGD``.

    With learning rate η, decay λ (``lambd``), power α, averaging start t₀ and weight decay
    w, step t does::

        g_t  = ∇f(θ_{t−1}) + w θ_{t−1}             (−∇f if maximize)
        θ_t  = (1 − λ η_t) θ_{t−1} − η_t g_t        (η_1 = η)
        ā_t  = θ_t                                  if μ_t = 1
               ā_{t−1} + μ_t (θ_t − ā_{t−1})        otherwise
        η_{t+1} = η / (1 + λ η t)^α                 a slowly decaying step
        μ_{t+1} = 1 / max(1, t − t₀)                averaging weight: ā is the mean of the
                                                     iterates after step t₀

    The parameters follow plain (decaying) SGD; the average ā (state ``ax``) is the estimate
    with the better convergence guarantee — copy it into the model to use it. The state is
    ``step``, ``eta`` (η_t), ``mu`` (μ_t) and ``ax``; ``eta`` and ``mu`` are 0-d tensors of
    the scalar dtype (float32 unless the default dtype is float64), and their new values are
    rounded to the default dtype as in torch.
    """

    _validated = ("lr", "weight_decay")

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        lambd: float = 1e-4,
        alpha: float = 0.75,
        t0: float = 1e6,
        weight_decay: float = 0,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
        capturable: bool = False,
    ) -> None:
        super().__init__(params, self._defaults_from(locals()))

    def _init_state(self, p: Tensor, state: dict, group: dict) -> None:
        state["step"] = _scalar_state(0.0)
        state["eta"] = _scalar_state(_as_float(group["lr"]))
        state["mu"] = _scalar_state(1.0)
        state["ax"] = _zeros_state(p)

    def _update(self, p: Tensor, state: dict, group: dict) -> None:
        lr, lambd, alpha, t0 = _as_float(group["lr"]), group["lambd"], group["alpha"], group["t0"]
        t = _count_step(state)
        g = self._grad(p, group)
        eta, mu, ax = state["eta"]._data, state["mu"]._data, state["ax"]._data

        eta_t = eta.item()
        p._data *= 1 - lambd * eta_t  # decay: θ ← (1 − λ η_t) θ
        p._data -= eta_t * g  # θ ← θ − η_t g_t

        mu_t = mu.item()
        if mu_t != 1:
            ax += (p._data - ax) * mu_t  # ā ← ā + μ_t (θ − ā)
        else:
            ax[...] = p._data

        # torch makes each new value a tensor of the default dtype (float32 unless changed)
        # before copying it into the state: the same rounding, whatever the state's dtype
        rounded = get_default_dtype().np.type
        eta[...] = rounded(lr / ((1 + lambd * lr * t) ** alpha))  # η_{t+1}
        mu[...] = rounded(1 / max(1, t - t0))  # μ_{t+1}
