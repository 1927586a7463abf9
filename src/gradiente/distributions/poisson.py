"""``Poisson``: counts of events at rate λ, P(k) = λᵏ e^(−λ) / k!, sampled with torch's CPU
sampler (``gradiente.random.poisson``)."""

from __future__ import annotations

from gradiente import backend as B
from gradiente import random as _random
from gradiente.autograd import no_grad
from gradiente.distributions import constraints
from gradiente.distributions.exp_family import ExponentialFamily
from gradiente.distributions.utils import _Number, broadcast_all
from gradiente.tensor import Size, Tensor

__all__ = ["Poisson"]


def _poisson(rates: Tensor, generator=None) -> Tensor:
    """``torch.poisson(rates)``: one count per element, in memory order, as floats of
    ``rates``' dtype (torch's CPU sampler: ``gradiente.random.poisson``)."""
    host = B.host(rates.detach().contiguous()._data)
    out = _random.poisson(host, generator)
    return Tensor._make(B.to_device(out, B.array_device_index(rates._data)), False, None)


class Poisson(ExponentialFamily):
    """The Poisson distribution with rate ``rate`` (λ ≥ 0): mean and variance λ."""

    arg_constraints = {"rate": constraints.nonnegative}
    support = constraints.nonnegative_integer

    def __init__(self, rate, validate_args=None) -> None:
        (self.rate,) = broadcast_all(rate)
        batch_shape = Size() if isinstance(rate, _Number) else self.rate.size()
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Poisson, _instance)
        batch_shape = Size(batch_shape)
        new.rate = self.rate.expand(batch_shape)
        super(Poisson, new).__init__(batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self) -> Tensor:
        return self.rate

    @property
    def mode(self) -> Tensor:
        return self.rate.floor()

    @property
    def variance(self) -> Tensor:
        return self.rate

    def sample(self, sample_shape=()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        with no_grad():
            return _poisson(self.rate.expand(shape))

    def log_prob(self, value):
        # log P(k) = k log λ − λ − log k!
        if self._validate_args:
            self._validate_sample(value)
        rate, value = broadcast_all(self.rate, value)
        return value.xlogy(rate) - rate - (value + 1).lgamma()  # log k! = lgamma(k + 1)

    @property
    def _natural_params(self) -> tuple:
        return (self.rate.log(),)  # θ = log λ

    def _log_normalizer(self, x):
        return x.exp()  # F(θ) = e^θ
