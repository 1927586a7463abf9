"""``Dirichlet``: random points of the simplex, p(x) ∝ Π x_kᵅᵏ⁻¹, with torch's sampler and
implicit reparameterisation."""

from __future__ import annotations

from gradiente import backend as B
from gradiente.autograd import Function
from gradiente.distributions import constraints
from gradiente.distributions.exp_family import ExponentialFamily
from gradiente.distributions.gamma_sampling import dirichlet_grad, sample_dirichlet
from gradiente.nn.functional import one_hot
from gradiente.tensor import Size, Tensor

__all__ = ["Dirichlet"]


def _wrap(array, like: Tensor) -> Tensor:
    """A NumPy result as a tensor on ``like``'s device."""
    return Tensor._make(B.to_device(array, B.array_device_index(like._data)), False, None)


def _dirichlet_backward(x, concentration, grad_output):
    """The vector-Jacobian product of a Dirichlet sample: with g_k = dx_k/dα_k (through the
    Beta marginal, ``dirichlet_grad``), grad_α = g ⊙ (grad − ⟨x, grad⟩) (the simplex
    projection)."""
    total = concentration.sum(-1, True).expand_as(concentration)
    grad = _wrap(dirichlet_grad(x._data, concentration._data, total._data), x)
    return grad * (grad_output - (x * grad_output).sum(-1, True))


class _Dirichlet(Function):
    """x ~ Dirichlet(α) over the last dimension (torch's ``_sample_dirichlet``),
    differentiable in α."""

    @staticmethod
    def forward(ctx, concentration):
        x = _wrap(sample_dirichlet(concentration._data), concentration)
        ctx.save_for_backward(x, concentration)
        return x

    @staticmethod
    def backward(ctx, grad_output):
        x, concentration = ctx.saved_tensors
        return _dirichlet_backward(x.detach(), concentration.detach(), grad_output.detach())


class Dirichlet(ExponentialFamily):
    """The Dirichlet distribution with ``concentration`` α (positive, at least 1-D; the last
    dimension is the event)."""

    arg_constraints = {"concentration": constraints.independent(constraints.positive, 1)}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, concentration, validate_args=None) -> None:
        if concentration.dim() < 1:
            raise ValueError("`concentration` parameter must be at least one-dimensional.")
        self.concentration = concentration
        batch_shape, event_shape = concentration.shape[:-1], concentration.shape[-1:]
        super().__init__(batch_shape, event_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Dirichlet, _instance)
        batch_shape = Size(batch_shape)
        new.concentration = self.concentration.expand(tuple(batch_shape) + tuple(self.event_shape))
        super(Dirichlet, new).__init__(batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def rsample(self, sample_shape=()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        return _Dirichlet.apply(self.concentration.expand(shape).contiguous())

    def log_prob(self, value):
        # log p(x) = Σ (α_k − 1) log x_k + log Γ(Σ α_k) − Σ log Γ(α_k)
        if self._validate_args:
            self._validate_sample(value)
        return (
            (self.concentration - 1.0).xlogy(value).sum(-1)
            + self.concentration.sum(-1).lgamma()
            - self.concentration.lgamma().sum(-1)
        )

    @property
    def mean(self) -> Tensor:
        return self.concentration / self.concentration.sum(-1, True)

    @property
    def mode(self) -> Tensor:
        """(α − 1)/Σ(α − 1) with α clamped at 1; where every α < 1, the corner of the largest."""
        concentrationm1 = (self.concentration - 1).clamp(min=0.0)
        mode = concentrationm1 / concentrationm1.sum(-1, True)
        mask = (self.concentration < 1).all(dim=-1)
        mode[mask] = one_hot(mode[mask].argmax(dim=-1), concentrationm1.shape[-1]).to(mode)
        return mode

    @property
    def variance(self) -> Tensor:
        con0 = self.concentration.sum(-1, True)
        return self.concentration * (con0 - self.concentration) / (con0.pow(2) * (con0 + 1))

    def entropy(self):
        # H = Σ log Γ(α_k) − log Γ(α₀) − (K − α₀) ψ(α₀) − Σ (α_k − 1) ψ(α_k), α₀ = Σ α_k
        k = self.concentration.size(-1)
        a0 = self.concentration.sum(-1)
        return (
            self.concentration.lgamma().sum(-1)
            - a0.lgamma()
            - (k - a0) * a0.digamma()
            - ((self.concentration - 1.0) * self.concentration.digamma()).sum(-1)
        )

    @property
    def _natural_params(self) -> tuple:
        return (self.concentration,)

    def _log_normalizer(self, x):
        return x.lgamma().sum(-1) - x.sum(-1).lgamma()
