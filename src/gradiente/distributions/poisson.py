"""``Poisson``: counts of events at rate λ, P(k) = λᵏ e^(−λ) / k!, and the sampler that
reproduces ``torch.poisson``'s draws on the CPU."""

from __future__ import annotations

import math

from gradiente import backend as B
from gradiente.autograd import no_grad
from gradiente.backend import xp
from gradiente.distributions import constraints
from gradiente.distributions.exp_family import ExponentialFamily
from gradiente.distributions.utils import _Number, broadcast_all
from gradiente.random import _gen
from gradiente.tensor import Size, Tensor

__all__ = ["Poisson"]

_MASK53 = (1 << 53) - 1  # a float64 uniform has 53 random bits


def _uniform(gen) -> float:
    """One uniform in [0, 1) as torch's ``uniform_real_distribution<double>`` makes it:
    53 bits of one ``random64()`` word, times 2⁻⁵³."""
    return (int(gen._random64(1)[0]) & _MASK53) * 2.0**-53


def _poisson_one(lam: float, gen) -> int:
    """One Poisson(λ) count, drawn as torch's CPU ``sample_poisson`` draws it.

    λ ≥ 10: Hörmann's transformed rejection (PTRS, 1993) with its published constants, two
    uniforms per try. λ < 10: Knuth's product of uniforms, X = the number of uniforms whose
    running product stays above e^(−λ).
    """
    if lam >= 10:
        slam = math.sqrt(lam)
        loglam = math.log(lam)
        b = 0.931 + 2.53 * slam
        a = -0.059 + 0.02483 * b
        invalpha = 1.1239 + 1.1328 / (b - 3.4)
        vr = 0.9277 - 3.6224 / (b - 2)
        while True:
            u = _uniform(gen) - 0.5
            v = _uniform(gen)
            us = 0.5 - abs(u)
            k = math.floor((2 * a / us + b) * u + lam + 0.43)
            if us >= 0.07 and v <= vr:
                return k
            if k < 0 or (us < 0.013 and v > us):
                continue
            # accept if log(V · α⁻¹ / (a / us² + b)) ≤ log P(k) = −λ + k log λ − log k!
            accept = math.log(v) + math.log(invalpha) - math.log(a / (us * us) + b)
            if accept <= -lam + k * loglam - math.lgamma(k + 1.0):
                return k
    if lam == 0:
        return 0
    count, product, threshold = 0, 1.0, math.exp(-lam)
    while True:
        product *= _uniform(gen)
        if product > threshold:
            count += 1
        else:
            return count


def _poisson(rates: Tensor, generator=None) -> Tensor:
    """``torch.poisson(rates)``: one count per element, in memory order, as floats of
    ``rates``' dtype."""
    host = B.host(rates.detach().contiguous()._data).astype(xp.float64).ravel()
    gen = _gen(generator)
    with gen.lock:
        counts = [_poisson_one(float(lam), gen) for lam in host]
    out = xp.asarray(counts, dtype=rates._data.dtype).reshape(rates.shape)
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
