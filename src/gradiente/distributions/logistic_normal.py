"""``LogisticNormal``: a normal vector mapped to the simplex by stick breaking."""

from __future__ import annotations

from gradiente.distributions import constraints
from gradiente.distributions.normal import Normal
from gradiente.distributions.transformed_distribution import TransformedDistribution
from gradiente.distributions.transforms import StickBreakingTransform
from gradiente.tensor import Tensor

__all__ = ["LogisticNormal"]


class LogisticNormal(TransformedDistribution):
    """X ~ N(loc, scale²) of length K − 1, and y = StickBreaking(X) on the K-simplex."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None) -> None:
        base_dist = Normal(loc, scale, validate_args=validate_args)
        if not base_dist.batch_shape:
            base_dist = base_dist.expand([1])
        super().__init__(base_dist, StickBreakingTransform(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(LogisticNormal, _instance)
        return super().expand(batch_shape, _instance=new)

    @property
    def loc(self) -> Tensor:
        return self.base_dist.base_dist.loc

    @property
    def scale(self) -> Tensor:
        return self.base_dist.base_dist.scale
