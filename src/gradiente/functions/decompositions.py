"""torch's top-level matrix decompositions and triangular solves: the older spellings of
``torch.linalg``'s (``torch.svd`` returns V, not Vᴴ; ``torch.triangular_solve`` takes the
right-hand side first), written on top of ``gradiente.linalg``."""

from __future__ import annotations

from gradiente import linalg
from gradiente.ops.linalg import Solve
from gradiente.tensor import _return_type, zeros

_SVD = _return_type("svd", ("U", "S", "V"))
_TRIANGULAR_SOLVE = _return_type("triangular_solve", ("solution", "cloned_coefficient"))


def svd(input, some=True, compute_uv=True, *, out=None):
    """input = U diag(S) Vᵀ; ``some=False`` gives the full square U and V. Without
    ``compute_uv``, U and V are zero-filled (m, m) and (n, n) matrices, as in torch."""
    if not compute_uv:
        m, n = input.shape[-2:]
        S = linalg.svdvals(input)
        batch = tuple(input.shape[:-2])
        return _SVD(zeros(batch + (m, m), dtype=S.dtype), S, zeros(batch + (n, n), dtype=S.dtype))
    U, S, Vh = linalg.svd(input, full_matrices=not some)
    return _SVD(U, S, Vh.mT)


def triangular_solve(b, A, upper=True, transpose=False, unitriangular=False, *, out=None):
    """X with A X = b (``transpose``: Aᵀ X = b) for a triangular A, and a copy of A."""
    if transpose:
        X = linalg.solve_triangular(A.mT, b, upper=not upper, unitriangular=unitriangular)
    else:
        X = linalg.solve_triangular(A, b, upper=upper, unitriangular=unitriangular)
    return _TRIANGULAR_SOLVE(X, A.clone())


def cholesky_solve(B, L, upper=False, *, out=None):
    """X with A X = B given A's Cholesky factor (A = L Lᵀ, or Uᵀ U when ``upper``):
    two solves, L Y = B then Lᵀ X = Y. As in torch, the whole factor is read (not only its
    triangle), so its gradient is that of (L Lᵀ)⁻¹ B in every entry."""
    lower = L.mT if upper else L
    b = B.to(lower.dtype)
    Y = Solve.apply(lower, b, False)
    return Solve.apply(lower.mT, Y, False)


def lu_unpack(LU_data, LU_pivots, unpack_data=True, unpack_pivots=True, *, out=None):
    """(P, L, U) with A = P L U from ``torch.linalg.lu_factor``'s packed result."""
    return linalg.lu_unpack(LU_data, LU_pivots, unpack_data, unpack_pivots)
