"""Randomized low-rank SVD and PCA (``torch.svd_lowrank``, ``torch.pca_lowrank``).

Halko, Martinsson & Tropp (2009), "Finding structure with randomness": to approximate the top
q singular triplets of an m × n matrix A without a full SVD,

1. draw a Gaussian n × q test matrix Ω and take an orthonormal basis Q of the range of AΩ
   (Algorithm 4.4: ``niter`` subspace iterations Q ← qr(A (Aᵀ Q)) sharpen the basis towards the
   top singular vectors, re-orthonormalizing after every product);
2. project, B = Qᵀ A (q × n, small), and take B's exact SVD, B = Û S Vᵀ;
3. lift back: U = Q Û (Algorithm 5.1), so A ≈ U diag(S) Vᵀ.

Ω is drawn with ``randn`` from the default generator, in torch's order, so with the same seed
the same test matrix is used. Everything is composed from differentiable Tensor ops.
"""

from __future__ import annotations

from gradiente import linalg
from gradiente.backend import float16, float32, float64
from gradiente.tensor import Tensor, randn

__all__ = ["pca_lowrank", "svd_lowrank"]


def _floating_dtype(A: Tensor):
    """A's dtype if it is float16/32/64, else float32 (torch's rule for Ω's dtype)."""
    return A.dtype if A.dtype in (float16, float32, float64) else float32


def _approximate_basis(A: Tensor, q: int, niter: int, M: Tensor | None) -> Tensor:
    """Q with q orthonormal columns such that Q Qᵀ (A − M) ≈ A − M (Halko et al., Alg. 4.4).

    A − M is never formed: each product with it is a product with A minus one with M.
    """

    def times(X: Tensor, transpose: bool) -> Tensor:
        # (A − M) X or (A − M)ᵀ X
        product = (A.mT if transpose else A) @ X
        if M is not None:
            product = product - (M.mT if transpose else M) @ X
        return product

    omega = randn(A.shape[-1], q, dtype=_floating_dtype(A), device=A.device)  # (n, q)
    Q = linalg.qr(times(omega, False)).Q  # (m, q)
    for _ in range(niter):
        Q = linalg.qr(times(Q, True)).Q  # (n, q): the basis of (A − M)ᵀ Q
        Q = linalg.qr(times(Q, False)).Q  # (m, q): the basis of (A − M)(A − M)ᵀ Q
    return Q


def svd_lowrank(
    A: Tensor, q: int | None = 6, niter: int | None = 2, M: Tensor | None = None
) -> tuple[Tensor, Tensor, Tensor]:
    """(U, S, V) with A − M ≈ U diag(S) Vᵀ for the top q singular values (q defaults to 6).

    A is (*, m, n); U is (*, m, q), S (*, q) and V (*, n, q). M, if given, is broadcast to
    A's shape and subtracted implicitly. ``niter`` subspace iterations (default 2) refine the
    basis; the result is random, so seed the generator for repeatable results.
    """
    q = 6 if q is None else q
    niter = 2 if niter is None else niter
    m, n = A.shape[-2:]
    if M is not None:
        M = M.broadcast_to(A.shape)
    if m < n:  # work on the tall matrix: Aᵀ = V S Uᵀ
        A = A.mT
        M = None if M is None else M.mT

    Q = _approximate_basis(A, q, niter, M)
    B = Q.mT @ A  # (q, n): A's projection on the basis
    if M is not None:
        B = B - Q.mT @ M
    U, S, Vh = linalg.svd(B, full_matrices=False)
    U, V = Q @ U, Vh.mT
    if m < n:
        U, V = V, U
    return U, S, V


def pca_lowrank(
    A: Tensor, q: int | None = None, center: bool = True, niter: int = 2
) -> tuple[Tensor, Tensor, Tensor]:
    """Principal components of the data matrix A (m samples × n features) as (U, S, V).

    The SVD ``svd_lowrank`` gives of the centred A − mean(A): V's columns are the principal
    directions, S² / (m − 1) the variances along them, ``A @ V[:, :k]`` projects onto the first
    k. q defaults to min(6, m, n); ``center=False`` takes A as already centred.
    """
    m, n = A.shape[-2:]
    if q is None:
        q = min(6, m, n)
    elif not (q >= 0 and q <= min(m, n)):
        raise ValueError(
            f"q(={q}) must be non-negative integer and not greater than min(m, n)={min(m, n)}"
        )
    if not (niter >= 0):
        raise ValueError(f"niter(={niter}) must be non-negative integer")
    if not center:
        return svd_lowrank(A, q, niter=niter)
    return svd_lowrank(A - A.mean(dim=(-2,), keepdim=True), q, niter=niter)
