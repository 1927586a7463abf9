"""``Weibull``: x = scale · e^(1/k) for e ~ Exp(1), k the concentration."""

from __future__ import annotations

from gradiente.distributions import constraints
from gradiente.distributions.exponential import Exponential
from gradiente.distributions.transformed_distribution import TransformedDistribution
from gradiente.distributions.transforms import AffineTransform, PowerTransform
from gradiente.distributions.utils import broadcast_all, euler_constant
from gradiente.tensor import Tensor, ones_like

__all__ = ["Weibull"]


class Weibull(TransformedDistribution):
    """The two-parameter Weibull distribution, p(x) = (k/λ)(x/λ)^(k−1) e^(−(x/λ)^k), with
    scale λ and concentration (shape) k: an ``Exponential(1)`` through x ↦ x^(1/k) and
    x ↦ λ x."""

    arg_constraints = {"scale": constraints.positive, "concentration": constraints.positive}
    support = constraints.positive

    def __init__(self, scale, concentration, validate_args=None) -> None:
        self.scale, self.concentration = broadcast_all(scale, concentration)
        self.concentration_reciprocal = self.concentration.reciprocal()
        base_dist = Exponential(ones_like(self.scale), validate_args=validate_args)
        transforms = [
            PowerTransform(exponent=self.concentration_reciprocal),
            AffineTransform(loc=0, scale=self.scale),
        ]
        super().__init__(base_dist, transforms, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Weibull, _instance)
        new.scale = self.scale.expand(batch_shape)
        new.concentration = self.concentration.expand(batch_shape)
        new.concentration_reciprocal = new.concentration.reciprocal()
        base_dist = self.base_dist.expand(batch_shape)
        transforms = [
            PowerTransform(exponent=new.concentration_reciprocal),
            AffineTransform(loc=0, scale=new.scale),
        ]
        super(Weibull, new).__init__(base_dist, transforms, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self) -> Tensor:
        return self.scale * (1 + self.concentration_reciprocal).lgamma().exp()  # λ Γ(1 + 1/k)

    @property
    def mode(self) -> Tensor:
        return (
            self.scale
            * ((self.concentration - 1) / self.concentration) ** self.concentration.reciprocal()
        )

    @property
    def variance(self) -> Tensor:
        # λ² (Γ(1 + 2/k) − Γ(1 + 1/k)²)
        return self.scale.pow(2) * (
            (1 + 2 * self.concentration_reciprocal).lgamma().exp()
            - (2 * (1 + self.concentration_reciprocal).lgamma()).exp()
        )

    def entropy(self):
        # γ (1 − 1/k) + log(λ / k) + 1
        return (
            euler_constant * (1 - self.concentration_reciprocal)
            + (self.scale * self.concentration_reciprocal).log()
            + 1
        )
