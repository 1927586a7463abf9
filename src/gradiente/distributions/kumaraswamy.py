"""``Kumaraswamy``: a Beta-like distribution on (0, 1) with a closed-form CDF,
F(x) = 1 − (1 − xᵃ)ᵇ, so sampling is a transform of a uniform."""

from __future__ import annotations

import math

from gradiente.distributions import constraints
from gradiente.distributions.transformed_distribution import TransformedDistribution
from gradiente.distributions.transforms import AffineTransform, PowerTransform
from gradiente.distributions.uniform import Uniform
from gradiente.distributions.utils import broadcast_all, euler_constant
from gradiente.tensor import Tensor, full_like

__all__ = ["Kumaraswamy"]


def _moments(a, b, n):
    """E[Xⁿ] = b B(1 + n/a, b) = b Γ(1 + n/a) Γ(b) / Γ(1 + n/a + b)."""
    arg1 = 1 + n / a
    log_value = arg1.lgamma() + b.lgamma() - (arg1 + b).lgamma()
    return b * log_value.exp()


class Kumaraswamy(TransformedDistribution):
    """The Kumaraswamy distribution with ``concentration1`` (a) and ``concentration0`` (b):
    x = (1 − u^(1/b))^(1/a) for u ~ U(0, 1), the inverse CDF."""

    arg_constraints = {
        "concentration1": constraints.positive,
        "concentration0": constraints.positive,
    }
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, concentration1, concentration0, validate_args=None) -> None:
        self.concentration1, self.concentration0 = broadcast_all(concentration1, concentration0)
        base_dist = Uniform(
            full_like(self.concentration0, 0),
            full_like(self.concentration0, 1),
            validate_args=validate_args,
        )
        transforms = [
            PowerTransform(exponent=self.concentration0.reciprocal()),
            AffineTransform(loc=1.0, scale=-1.0),
            PowerTransform(exponent=self.concentration1.reciprocal()),
        ]
        super().__init__(base_dist, transforms, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Kumaraswamy, _instance)
        new.concentration1 = self.concentration1.expand(batch_shape)
        new.concentration0 = self.concentration0.expand(batch_shape)
        return super().expand(batch_shape, _instance=new)

    @property
    def mean(self) -> Tensor:
        return _moments(self.concentration1, self.concentration0, 1)

    @property
    def mode(self) -> Tensor:
        # ((a − 1) / (ab − 1))^(1/a), undefined unless a, b ≥ 1
        log_mode = (
            self.concentration0.reciprocal() * (-self.concentration0).log1p()
            - (-self.concentration0 * self.concentration1).log1p()
        )
        log_mode[(self.concentration0 < 1) | (self.concentration1 < 1)] = math.nan
        return log_mode.exp()

    @property
    def variance(self) -> Tensor:
        return _moments(self.concentration1, self.concentration0, 2) - self.mean.pow(2)

    def entropy(self):
        # (1 − 1/b) + (1 − 1/a) H_b − log(ab), H_b = ψ(b + 1) + γ the b-th harmonic number
        t1 = 1 - self.concentration1.reciprocal()
        t0 = 1 - self.concentration0.reciprocal()
        H0 = (self.concentration0 + 1).digamma() + euler_constant
        return t0 + t1 * H0 - self.concentration1.log() - self.concentration0.log()
