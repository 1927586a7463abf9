"""``Pareto``: x = scale · e^E for E ~ Exp(alpha), the power law p(x) ∝ x^(−α−1) on x ≥ scale."""

from __future__ import annotations

from gradiente.distributions import constraints
from gradiente.distributions.exponential import Exponential
from gradiente.distributions.transformed_distribution import TransformedDistribution
from gradiente.distributions.transforms import AffineTransform, ExpTransform
from gradiente.distributions.utils import broadcast_all
from gradiente.tensor import Tensor

__all__ = ["Pareto"]


class Pareto(TransformedDistribution):
    """The Pareto type-I distribution with minimum ``scale`` and tail index ``alpha``:
    an ``Exponential(alpha)`` through exp and x ↦ scale · x."""

    arg_constraints = {"alpha": constraints.positive, "scale": constraints.positive}

    def __init__(self, scale, alpha, validate_args=None) -> None:
        self.scale, self.alpha = broadcast_all(scale, alpha)
        base_dist = Exponential(self.alpha, validate_args=validate_args)
        transforms = [ExpTransform(), AffineTransform(loc=0, scale=self.scale)]
        super().__init__(base_dist, transforms, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Pareto, _instance)
        new.scale = self.scale.expand(batch_shape)
        new.alpha = self.alpha.expand(batch_shape)
        return super().expand(batch_shape, _instance=new)

    @property
    def mean(self) -> Tensor:
        a = self.alpha.clamp(min=1)  # ∞ for α ≤ 1
        return a * self.scale / (a - 1)

    @property
    def mode(self) -> Tensor:
        return self.scale

    @property
    def variance(self) -> Tensor:
        a = self.alpha.clamp(min=2)  # ∞ for α ≤ 2
        return self.scale.pow(2) * a / ((a - 1).pow(2) * (a - 2))

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self):
        return constraints.greater_than_eq(self.scale)

    def entropy(self):
        return (self.scale / self.alpha).log() + (1 + self.alpha.reciprocal())
