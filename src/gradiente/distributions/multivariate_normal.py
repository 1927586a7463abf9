"""``MultivariateNormal``: the Gaussian N(loc, Σ) over vectors, parameterised by Σ, its
inverse (the precision matrix) or its Cholesky factor L (Σ = L Lᵀ)."""

from __future__ import annotations

import math

from gradiente import linalg
from gradiente.distributions import constraints
from gradiente.distributions.distribution import Distribution
from gradiente.distributions.utils import _standard_normal, lazy_property
from gradiente.functions import broadcast_shapes
from gradiente.tensor import Size, Tensor, eye, matmul

__all__ = ["MultivariateNormal"]


def _solve_lower(L: Tensor, B: Tensor) -> Tensor:
    """X with L X = B for lower-triangular L (batched), as torch's triangular solve."""
    return linalg.solve_triangular(L, B, upper=False)


def _batch_mv(bmat: Tensor, bvec: Tensor) -> Tensor:
    """Batched matrix–vector product: (..., n, n) @ (..., n) → (..., n)."""
    return matmul(bmat, bvec.unsqueeze(-1)).squeeze(-1)


def _batch_mahalanobis(bL: Tensor, bx: Tensor) -> Tensor:
    """The squared Mahalanobis distance xᵀ Σ⁻¹ x = |L⁻¹ x|² for Σ = L Lᵀ.

    ``bx`` may have more batch dimensions than ``bL`` (samples × batch). To solve all of them
    with one batched triangular solve, the dimensions of ``bx`` that broadcast against ``bL``
    are split into (repeat, size-of-L) pairs and moved so that every vector sharing one L sits
    in the columns of one right-hand side: ``flat_L`` (B, n, n), ``flat_x`` (B, n, m).
    """
    n = bx.size(-1)
    bx_batch_shape = tuple(bx.shape[:-1])
    bx_batch_dims = len(bx_batch_shape)
    bL_batch_dims = bL.dim() - 2
    outer_batch_dims = bx_batch_dims - bL_batch_dims
    old_batch_dims = outer_batch_dims + bL_batch_dims
    new_batch_dims = outer_batch_dims + 2 * bL_batch_dims
    # (..., sx) → (..., sx // sL, sL) for every batch dimension of L
    bx_new_shape = tuple(bx.shape[:outer_batch_dims])
    for sL, sx in zip(bL.shape[:-2], bx.shape[outer_batch_dims:-1]):
        bx_new_shape += (sx // sL, sL)
    bx_new_shape += (n,)
    bx = bx.reshape(bx_new_shape)
    # outer dims, then the repeat dims, then L's dims, then n
    permute_dims = (
        list(range(outer_batch_dims))
        + list(range(outer_batch_dims, new_batch_dims, 2))
        + list(range(outer_batch_dims + 1, new_batch_dims, 2))
        + [new_batch_dims]
    )
    bx = bx.permute(permute_dims)
    flat_L = bL.reshape(-1, n, n)  # (B, n, n)
    flat_x = bx.reshape(-1, flat_L.size(0), n)  # (m, B, n)
    flat_x_swap = flat_x.permute(1, 2, 0)  # (B, n, m)
    M_swap = _solve_lower(flat_L, flat_x_swap).pow(2).sum(-2)  # (B, m)
    M = M_swap.t()  # (m, B)
    permuted_M = M.reshape(tuple(bx.shape[:-1]))
    permute_inv_dims = list(range(outer_batch_dims))
    for i in range(bL_batch_dims):
        permute_inv_dims += [outer_batch_dims + i, old_batch_dims + i]
    return permuted_M.permute(permute_inv_dims).reshape(bx_batch_shape)


def _precision_to_scale_tril(P: Tensor) -> Tensor:
    """The lower Cholesky factor L of Σ = P⁻¹ without inverting P: with J the flip
    (reversal) matrix, chol(J P J) = Lf gives P = (J Lf J)(J Lf J)ᵀ with J Lf J upper
    triangular, so L = ((J Lf J)ᵀ)⁻¹ is lower triangular and L Lᵀ = P⁻¹."""
    Lf = linalg.cholesky(P.flip((-2, -1)))
    L_inv = Lf.flip((-2, -1)).transpose(-2, -1)
    identity = eye(P.shape[-1], dtype=P.dtype)
    return _solve_lower(L_inv, identity)


class MultivariateNormal(Distribution):
    """A multivariate normal with mean ``loc`` (..., n) and exactly one of
    ``covariance_matrix`` Σ, ``precision_matrix`` Σ⁻¹ or ``scale_tril`` L (..., n, n), all
    broadcast over the batch. Everything is computed from L (Σ's Cholesky factor)."""

    arg_constraints = {
        "loc": constraints.real_vector,
        "covariance_matrix": constraints.positive_definite,
        "precision_matrix": constraints.positive_definite,
        "scale_tril": constraints.lower_cholesky,
    }
    support = constraints.real_vector
    has_rsample = True

    def __init__(
        self,
        loc,
        covariance_matrix=None,
        precision_matrix=None,
        scale_tril=None,
        validate_args=None,
    ) -> None:
        if loc.dim() < 1:
            raise ValueError("loc must be at least one-dimensional.")
        given = (covariance_matrix is not None) + (scale_tril is not None)
        if given + (precision_matrix is not None) != 1:
            raise ValueError(
                "Exactly one of covariance_matrix or precision_matrix or scale_tril may be "
                "specified."
            )
        if scale_tril is not None:
            if scale_tril.dim() < 2:
                raise ValueError(
                    "scale_tril matrix must be at least two-dimensional, with optional "
                    "leading batch dimensions"
                )
            batch_shape = broadcast_shapes(scale_tril.shape[:-2], loc.shape[:-1])
            self.scale_tril = scale_tril.expand(tuple(batch_shape) + (-1, -1))
        elif covariance_matrix is not None:
            if covariance_matrix.dim() < 2:
                raise ValueError(
                    "covariance_matrix must be at least two-dimensional, with optional "
                    "leading batch dimensions"
                )
            batch_shape = broadcast_shapes(covariance_matrix.shape[:-2], loc.shape[:-1])
            self.covariance_matrix = covariance_matrix.expand(tuple(batch_shape) + (-1, -1))
        else:
            if precision_matrix.dim() < 2:
                raise ValueError(
                    "precision_matrix must be at least two-dimensional, with optional "
                    "leading batch dimensions"
                )
            batch_shape = broadcast_shapes(precision_matrix.shape[:-2], loc.shape[:-1])
            self.precision_matrix = precision_matrix.expand(tuple(batch_shape) + (-1, -1))
        batch_shape = Size(batch_shape)
        self.loc = loc.expand(tuple(batch_shape) + (-1,))
        event_shape = self.loc.shape[-1:]
        super().__init__(batch_shape, event_shape, validate_args=validate_args)
        if scale_tril is not None:
            self._unbroadcasted_scale_tril = scale_tril
        elif covariance_matrix is not None:
            self._unbroadcasted_scale_tril = linalg.cholesky(covariance_matrix)
        else:
            self._unbroadcasted_scale_tril = _precision_to_scale_tril(precision_matrix)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(MultivariateNormal, _instance)
        batch_shape = Size(batch_shape)
        loc_shape = tuple(batch_shape) + tuple(self.event_shape)
        cov_shape = loc_shape + tuple(self.event_shape)
        new.loc = self.loc.expand(loc_shape)
        new._unbroadcasted_scale_tril = self._unbroadcasted_scale_tril
        for name in ("covariance_matrix", "scale_tril", "precision_matrix"):
            if name in self.__dict__:
                setattr(new, name, getattr(self, name).expand(cov_shape))
        super(MultivariateNormal, new).__init__(batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def _matrix_shape(self) -> tuple:
        return tuple(self._batch_shape) + tuple(self._event_shape) * 2

    @lazy_property
    def scale_tril(self) -> Tensor:
        return self._unbroadcasted_scale_tril.expand(self._matrix_shape())

    @lazy_property
    def covariance_matrix(self) -> Tensor:
        L = self._unbroadcasted_scale_tril
        return matmul(L, L.mT).expand(self._matrix_shape())  # Σ = L Lᵀ

    @lazy_property
    def precision_matrix(self) -> Tensor:
        # Σ⁻¹ = L⁻ᵀ L⁻¹
        L = self._unbroadcasted_scale_tril
        L_inv = _solve_lower(L, eye(L.shape[-1], dtype=L.dtype))
        return matmul(L_inv.mT, L_inv).expand(self._matrix_shape())

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def variance(self) -> Tensor:
        # diag(Σ)_i = Σ_j L_ij²
        shape = tuple(self._batch_shape) + tuple(self._event_shape)
        return self._unbroadcasted_scale_tril.pow(2).sum(-1).expand(shape)

    def rsample(self, sample_shape=()) -> Tensor:
        """x = μ + L ε with ε ~ N(0, I)."""
        shape = self._extended_shape(sample_shape)
        eps = _standard_normal(shape, dtype=self.loc.dtype, device=self.loc.device)
        return self.loc + _batch_mv(self._unbroadcasted_scale_tril, eps)

    def _half_log_det(self) -> Tensor:
        # ½ log det Σ = Σ_i log L_ii
        return self._unbroadcasted_scale_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)

    def log_prob(self, value):
        # log p(x) = −½ (n log 2π + (x − μ)ᵀ Σ⁻¹ (x − μ)) − ½ log det Σ
        if self._validate_args:
            self._validate_sample(value)
        diff = value - self.loc
        M = _batch_mahalanobis(self._unbroadcasted_scale_tril, diff)
        n = self._event_shape[0]
        return -0.5 * (n * math.log(2 * math.pi) + M) - self._half_log_det()

    def entropy(self):
        # H = ½ n (1 + log 2π) + ½ log det Σ
        H = 0.5 * self._event_shape[0] * (1.0 + math.log(2 * math.pi)) + self._half_log_det()
        if len(self._batch_shape) == 0:
            return H
        return H.expand(self._batch_shape)
