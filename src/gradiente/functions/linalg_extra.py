"""torch's top-level spellings of more linear algebra: ``cholesky_inverse`` and ``orgqr``."""

from __future__ import annotations

from gradiente import linalg
from gradiente.ops.linalg_extra import CholeskyInverse
from gradiente.tensor import write_out


def cholesky_inverse(L, upper=False, *, out=None):
    """A⁻¹ from A's Cholesky factor: (L Lᵀ)⁻¹, or (Uᵀ U)⁻¹ when ``upper``. Only the factor's
    triangle is read, as LAPACK's potri does; the gradient is torch's (for the whole input)."""
    if L.ndim < 2:
        raise RuntimeError("cholesky_inverse: The input tensor A must have at least 2 dimensions.")
    if L.shape[-1] != L.shape[-2]:
        raise RuntimeError(
            "cholesky_inverse: A must be batches of square matrices, but they are "
            f"{L.shape[-2]} by {L.shape[-1]} matrices"
        )
    return write_out(out, CholeskyInverse.apply(L._float(), upper), "cholesky_inverse")


def orgqr(input, tau, *, out=None):
    """``torch.linalg.householder_product``'s older name."""
    return linalg.householder_product(input, tau, out=out)
