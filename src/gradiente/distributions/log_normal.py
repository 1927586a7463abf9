"""``LogNormal``: X = exp(Y) with Y ~ N(loc, scale²)."""

from __future__ import annotations

from gradiente.distributions import constraints
from gradiente.distributions.normal import Normal
from gradiente.distributions.transformed_distribution import TransformedDistribution
from gradiente.distributions.transforms import ExpTransform
from gradiente.tensor import Tensor

__all__ = ["LogNormal"]


class LogNormal(TransformedDistribution):
    """The log-normal distribution: exp of a ``Normal(loc, scale)`` (the same draws as the
    normal, exponentiated)."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None) -> None:
        base_dist = Normal(loc, scale, validate_args=validate_args)
        super().__init__(base_dist, ExpTransform(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(LogNormal, _instance)
        return super().expand(batch_shape, _instance=new)

    @property
    def loc(self) -> Tensor:
        return self.base_dist.loc

    @property
    def scale(self) -> Tensor:
        return self.base_dist.scale

    @property
    def mean(self) -> Tensor:
        return (self.loc + self.scale.pow(2) / 2).exp()  # e^(μ + σ²/2)

    @property
    def mode(self) -> Tensor:
        return (self.loc - self.scale.square()).exp()  # e^(μ − σ²)

    @property
    def variance(self) -> Tensor:
        scale_sq = self.scale.pow(2)
        return scale_sq.expm1() * (2 * self.loc + scale_sq).exp()  # (e^σ² − 1) e^(2μ + σ²)

    def entropy(self):
        return self.base_dist.entropy() + self.loc  # H(Y) + E[Y]
