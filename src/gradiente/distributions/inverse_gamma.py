"""``InverseGamma``: 1/X for X ~ Gamma(concentration, rate), a common prior on variances."""

from __future__ import annotations

import math

from gradiente.distributions import constraints
from gradiente.distributions.gamma import Gamma
from gradiente.distributions.transformed_distribution import TransformedDistribution
from gradiente.distributions.transforms import PowerTransform
from gradiente.tensor import Tensor, where

__all__ = ["InverseGamma"]


class InverseGamma(TransformedDistribution):
    """The inverse-gamma distribution, p(x) = βᵅ x^(−α−1) e^(−β/x) / Γ(α): a ``Gamma(α, β)``
    through x ↦ x⁻¹ (the same draws as the gamma)."""

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, concentration, rate, validate_args=None) -> None:
        base_dist = Gamma(concentration, rate, validate_args=validate_args)
        neg_one = -base_dist.rate.new_ones(())
        super().__init__(base_dist, PowerTransform(neg_one), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(InverseGamma, _instance)
        return super().expand(batch_shape, _instance=new)

    @property
    def concentration(self) -> Tensor:
        return self.base_dist.concentration

    @property
    def rate(self) -> Tensor:
        return self.base_dist.rate

    @property
    def mean(self) -> Tensor:
        result = self.rate / (self.concentration - 1)  # β/(α − 1), ∞ for α ≤ 1
        return where(self.concentration > 1, result, math.inf)

    @property
    def mode(self) -> Tensor:
        return self.rate / (self.concentration + 1)

    @property
    def variance(self) -> Tensor:
        result = self.rate.square() / ((self.concentration - 1).square() * (self.concentration - 2))
        return where(self.concentration > 2, result, math.inf)

    def entropy(self):
        # H = α + log β + log Γ(α) − (1 + α) ψ(α)
        return (
            self.concentration
            + self.rate.log()
            + self.concentration.lgamma()
            - (1 + self.concentration) * self.concentration.digamma()
        )
