"""The LKJ distribution over Cholesky factors of correlation matrices (``LKJCholesky``)."""

from __future__ import annotations

import math

from gradiente.distributions import constraints
from gradiente.distributions.beta import Beta
from gradiente.distributions.distribution import Distribution
from gradiente.distributions.utils import _standard_normal, broadcast_all
from gradiente.functions import finfo
from gradiente.tensor import Size, arange, cat

__all__ = ["LKJCholesky"]


class LKJCholesky(Distribution):
    """L with L Lᵀ a D × D correlation matrix M of density ∝ det(M)^(η − 1) (Lewandowski,
    Kurowicka and Joe 2009); η = ``concentration`` = 1 is uniform over correlation matrices.

    Sampling is their *onion method*, vectorised over the rows as torch does (so a seed gives
    torch's numbers): row i of L is √yᵢ · uᵢ with yᵢ ~ Beta(i/2, η + (D − 2)/2 − (i − 1)/2) its
    squared length off the diagonal and uᵢ uniform on the unit sphere of the first i − 1
    coordinates, then L_ii = √(1 − yᵢ) completes the unit row.
    """

    arg_constraints = {"concentration": constraints.positive}
    support = constraints.corr_cholesky

    def __init__(self, dim: int, concentration=1.0, validate_args=None) -> None:
        if dim < 2:
            raise ValueError(
                f"Expected dim to be an integer greater than or equal to 2. Found dim={dim}."
            )
        self.dim = dim
        (self.concentration,) = broadcast_all(concentration)
        batch_shape = self.concentration.size()
        # Beta(offset + ½, η + (D − 2)/2 − offset/2) per row, offsets 0, 0, 1, …, D − 2 (row 0's
        # draw is discarded: it has no off-diagonal entry)
        marginal_conc = self.concentration + 0.5 * (self.dim - 2)
        offset = arange(self.dim - 1, dtype=self.concentration.dtype)
        offset = cat([offset.new_zeros((1,)), offset])
        self._beta = Beta(offset + 0.5, marginal_conc.unsqueeze(-1) - 0.5 * offset)
        super().__init__(batch_shape, Size((dim, dim)), validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(LKJCholesky, _instance)
        batch_shape = Size(batch_shape)
        new.dim = self.dim
        new.concentration = self.concentration.expand(batch_shape)
        new._beta = self._beta.expand(batch_shape + (self.dim,))
        super(LKJCholesky, new).__init__(batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def sample(self, sample_shape=()):
        y = self._beta.sample(sample_shape).unsqueeze(-1)  # (..., D, 1): squared row lengths
        shape = self._extended_shape(sample_shape)
        u_normal = _standard_normal(shape, y.dtype, y.device).tril(-1)
        u_hypersphere = u_normal / u_normal.norm(dim=-1, keepdim=True)
        u_hypersphere[..., 0, :].fill_(0.0)  # row 0 was 0/0
        w = y.sqrt() * u_hypersphere
        # the diagonal completes each row to unit length (clamped: rounding may overshoot)
        diag_elems = (1 - (w**2).sum(dim=-1)).clamp(min=finfo(w.dtype).tiny).sqrt()
        return w + diag_elems.diag_embed()

    def log_prob(self, value):
        """log p(L) = Σᵢ (2(η − 1) + D − i) log L_ii − log c(η, D) over i = 2..D: det(M)^(η−1)
        = ∏ L_ii^(2(η−1)), times the Jacobian ∏ L_ii^(D−i) of L ↦ L Lᵀ (Stan's form)."""
        if self._validate_args:
            self._validate_sample(value)
        diag_elems = value.diagonal(dim1=-1, dim2=-2)[..., 1:]
        order = arange(2, self.dim + 1)
        order = 2 * (self.concentration - 1).unsqueeze(-1) + self.dim - order
        unnormalized_log_pdf = (order * diag_elems.log()).sum(dim=-1)
        # the normalising constant (Lewandowski et al., p. 1999), with mvlgamma's own π term
        # (D − 1)(D − 2)/4 log π topped up to their D(D − 1)/4 log π
        dm1 = self.dim - 1
        alpha = self.concentration + 0.5 * dm1
        denominator = alpha.lgamma() * dm1
        numerator = (alpha - 0.5).mvlgamma(dm1)
        pi_constant = 0.5 * dm1 * math.log(math.pi)
        return unnormalized_log_pdf - (pi_constant + numerator - denominator)
