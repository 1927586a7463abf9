"""``Cauchy``: the ratio of two independent standard normals, shifted and scaled; it has no
mean or variance. Sampling reproduces torch's ``Tensor.cauchy_`` on the CPU."""

from __future__ import annotations

import math

import numpy as np

from gradiente.distributions import constraints
from gradiente.distributions.distribution import Distribution
from gradiente.distributions.utils import _Number, broadcast_all
from gradiente.random import _canonical, _gen
from gradiente.random.exact_math import _elementwise
from gradiente.tensor import Size, Tensor, full

__all__ = ["Cauchy"]

_tan = _elementwise(math.tan)  # the C library's tan, as torch calls it


def _standard_cauchy(like: Tensor, shape, generator=None) -> Tensor:
    """Standard Cauchy draws of ``like``'s dtype and device, as torch's CPU ``cauchy_()``: one
    53-bit uniform u per element, in memory order, and tan(π (u − ½)) in float64 (the inverse
    CDF), then cast."""
    gen = _gen(generator)
    with gen.lock:
        u = _canonical(gen, math.prod(shape), np.float64)
    return like.new_empty(shape)._fill_random(_tan(math.pi * (u - 0.5)).reshape(tuple(shape)))


class Cauchy(Distribution):
    """The Cauchy (Lorentz) distribution: p(x) = 1 / (π γ (1 + ((x − x₀)/γ)²)), with median
    ``loc`` (x₀) and half width ``scale`` (γ)."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None) -> None:
        self.loc, self.scale = broadcast_all(loc, scale)
        if isinstance(loc, _Number) and isinstance(scale, _Number):
            batch_shape = Size()
        else:
            batch_shape = self.loc.size()
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Cauchy, _instance)
        batch_shape = Size(batch_shape)
        new.loc = self.loc.expand(batch_shape)
        new.scale = self.scale.expand(batch_shape)
        super(Cauchy, new).__init__(batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self) -> Tensor:
        return full(self._extended_shape(), math.nan, dtype=self.loc.dtype, device=self.loc.device)

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def variance(self) -> Tensor:
        return full(self._extended_shape(), math.inf, dtype=self.loc.dtype, device=self.loc.device)

    def rsample(self, sample_shape=()) -> Tensor:
        """x = x₀ + ε γ with ε standard Cauchy (torch's ``cauchy_`` draw)."""
        shape = self._extended_shape(sample_shape)
        eps = _standard_cauchy(self.loc, shape)
        return self.loc + eps * self.scale

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return (
            -math.log(math.pi) - self.scale.log() - (((value - self.loc) / self.scale) ** 2).log1p()
        )

    def cdf(self, value):
        # F(x) = atan((x − x₀)/γ) / π + ½
        if self._validate_args:
            self._validate_sample(value)
        return ((value - self.loc) / self.scale).atan() / math.pi + 0.5

    def icdf(self, value):
        return (math.pi * (value - 0.5)).tan() * self.scale + self.loc

    def entropy(self):
        return math.log(4 * math.pi) + self.scale.log()
