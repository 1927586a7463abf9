"""torch's top-level matrix decompositions and triangular solves: the older spellings of
``torch.linalg``'s (``torch.svd`` returns V, not Vᴴ; ``torch.triangular_solve`` takes the
right-hand side first; the deprecated ``torch.cholesky``, ``torch.qr`` and ``torch.lu`` warn
as torch does), written on top of ``gradiente.linalg``."""

from __future__ import annotations

import warnings

from gradiente import linalg
from gradiente.ops.linalg import Solve
from gradiente.tensor import _return_type, zeros

_SVD = _return_type("svd", ("U", "S", "V"))
_QR = _return_type("qr", ("Q", "R"))
_LU_WITH_INFO = _return_type("_lu_with_info", ("LU", "pivots", "info"))
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


def cholesky(input, upper=False, *, out=None):
    """The Cholesky factor L (A = L Lᵀ), or U = Lᵀ when ``upper``: ``linalg.cholesky``'s
    deprecated spelling, with torch's warning."""
    warnings.warn(
        "torch.cholesky is deprecated in favor of torch.linalg.cholesky and will be removed in "
        "a future PyTorch release.\nL = torch.cholesky(A)\nshould be replaced with\n"
        "L = torch.linalg.cholesky(A)\nand\nU = torch.cholesky(A, upper=True)\nshould be "
        "replaced with\nU = torch.linalg.cholesky(A).mH\nThis transform will produce "
        "equivalent results for all valid (symmetric positive definite) inputs.",
        stacklevel=2,
    )
    return linalg.cholesky(input, upper=upper, out=out)


def qr(input, some=True, *, out=None):
    """(Q, R) with input = Q R: ``linalg.qr(input, "reduced" if some else "complete")``,
    torch's deprecated spelling, with its warning."""
    warnings.warn(
        "torch.qr is deprecated in favor of torch.linalg.qr and will be removed in a future "
        "PyTorch release.\nThe boolean parameter 'some' has been replaced with a string "
        "parameter 'mode'.\nQ, R = torch.qr(A, some)\nshould be replaced with\n"
        "Q, R = torch.linalg.qr(A, 'reduced' if some else 'complete')",
        stacklevel=2,
    )
    Q, R = linalg.qr(input, "reduced" if some else "complete")
    return _QR(Q, R)


def lu(A, pivot=True, get_infos=False, out=None):
    """(LU, pivots) — and ``info`` with ``get_infos`` — of ``linalg.lu_factor``: torch's
    deprecated ``torch.lu``, with its warning."""
    warnings.warn(
        "torch.lu is deprecated in favor of torch.linalg.lu_factor / torch.linalg.lu_factor_ex "
        "and will be removed in a future PyTorch release.\nLU, pivots = torch.lu(A, "
        "compute_pivots)\nshould be replaced with\nLU, pivots = torch.linalg.lu_factor(A, "
        "compute_pivots)\nand\nLU, pivots, info = torch.lu(A, compute_pivots, "
        "get_infos=True)\nshould be replaced with\nLU, pivots, info = "
        "torch.linalg.lu_factor_ex(A, compute_pivots)",
        stacklevel=2,
    )
    LU, pivots = linalg.lu_factor(A, pivot=pivot)
    if not get_infos:
        return LU, pivots
    info = zeros(tuple(A.shape[:-2]), dtype=pivots.dtype)
    return _LU_WITH_INFO(LU, pivots, info)
