"""``Gamma``: the distribution of waiting times for ``concentration`` events at ``rate``,
p(x) = βᵅ xᵅ⁻¹ e^(−βx) / Γ(α), with torch's sampler and implicit reparameterisation."""

from __future__ import annotations

from gradiente import backend as B
from gradiente.autograd import Function
from gradiente.distributions import constraints
from gradiente.distributions.exp_family import ExponentialFamily
from gradiente.distributions.gamma_sampling import standard_gamma, standard_gamma_grad
from gradiente.distributions.utils import _Number, broadcast_all
from gradiente.functions import finfo
from gradiente.tensor import Size, Tensor, as_tensor

__all__ = ["Gamma"]


def _wrap(array, like: Tensor) -> Tensor:
    """A NumPy result as a tensor on ``like``'s device."""
    return Tensor._make(B.to_device(array, B.array_device_index(like._data)), False, None)


class _StandardGamma(Function):
    """x ~ Gamma(α, 1) element-wise (torch's ``_standard_gamma``), differentiable in α through
    dx/dα = −(∂F/∂α)/p (implicit reparameterisation; see ``gamma_sampling``)."""

    @staticmethod
    def forward(ctx, concentration):
        x = _wrap(standard_gamma(concentration._data), concentration)
        ctx.save_for_backward(concentration, x)
        return x

    @staticmethod
    def backward(ctx, grad):
        concentration, x = ctx.saved_tensors
        return grad * _wrap(standard_gamma_grad(concentration._data, x._data), x)


def _standard_gamma(concentration: Tensor) -> Tensor:
    """Gamma(concentration, 1) samples, one per element."""
    return _StandardGamma.apply(concentration.contiguous())


class Gamma(ExponentialFamily):
    """The gamma distribution with shape ``concentration`` (α > 0) and ``rate`` (β > 0):
    mean α/β, variance α/β²."""

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True
    _mean_carrier_measure = 0

    def __init__(self, concentration, rate, validate_args=None) -> None:
        self.concentration, self.rate = broadcast_all(concentration, rate)
        if isinstance(concentration, _Number) and isinstance(rate, _Number):
            batch_shape = Size()
        else:
            batch_shape = self.concentration.size()
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Gamma, _instance)
        batch_shape = Size(batch_shape)
        new.concentration = self.concentration.expand(batch_shape)
        new.rate = self.rate.expand(batch_shape)
        super(Gamma, new).__init__(batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self) -> Tensor:
        return self.concentration / self.rate

    @property
    def mode(self) -> Tensor:
        return ((self.concentration - 1) / self.rate).clamp(min=0)

    @property
    def variance(self) -> Tensor:
        return self.concentration / self.rate.pow(2)

    def rsample(self, sample_shape=()) -> Tensor:
        """x = g / β with g ~ Gamma(α, 1) (torch's draw), kept above the smallest normal
        number; differentiable in α (implicitly) and β."""
        shape = self._extended_shape(sample_shape)
        value = _standard_gamma(self.concentration.expand(shape)) / self.rate.expand(shape)
        value.detach().clamp_(min=finfo(value.dtype).tiny)
        return value

    def log_prob(self, value):
        # log p(x) = α log β + (α − 1) log x − β x − log Γ(α)
        value = as_tensor(value, dtype=self.rate.dtype, device=self.rate.device)
        if self._validate_args:
            self._validate_sample(value)
        return (
            self.concentration.xlogy(self.rate)
            + (self.concentration - 1).xlogy(value)
            - self.rate * value
            - self.concentration.lgamma()
        )

    def entropy(self):
        # H = α − log β + log Γ(α) + (1 − α) ψ(α)
        return (
            self.concentration
            - self.rate.log()
            + self.concentration.lgamma()
            + (1.0 - self.concentration) * self.concentration.digamma()
        )

    def cdf(self, value):
        # F(x) = P(α, β x), the regularised lower incomplete gamma function
        if self._validate_args:
            self._validate_sample(value)
        return self.concentration.igamma(self.rate * value)

    @property
    def _natural_params(self) -> tuple:
        return (self.concentration - 1, -self.rate)  # θ = (α − 1, −β)

    def _log_normalizer(self, x, y):
        return (x + 1).lgamma() + (x + 1) * (-y.reciprocal()).log()
