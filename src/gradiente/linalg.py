"""``torch.linalg``: norms, inverse, determinant, solve and matrix decompositions.

Norms, ``inv``, ``det``, ``slogdet``, ``solve``, ``cholesky`` and ``eigh`` are differentiable.
The other decompositions (``svd``, ``qr``, ``eig``...) run forward on NumPy's LAPACK; their
gradient is not implemented and backpropagating through them raises a clear error.
"""

from __future__ import annotations

from gradiente.backend import as_array, xp
from gradiente.ops import linalg as L
from gradiente.tensor import Tensor, _return_type, eye, write_out
from gradiente.tensor import matmul as _matmul
from gradiente.tensor.linalg import LinAlgError, _factorize  # noqa: F401 - torch.linalg's error

_SVD = _return_type("linalg_svd", ("U", "S", "Vh"))
_QR = _return_type("linalg_qr", ("Q", "R"))
_EIGH = _return_type("linalg_eigh", ("eigenvalues", "eigenvectors"))
_SLOGDET = _return_type("linalg_slogdet", ("sign", "logabsdet"))
_LSTSQ = _return_type("linalg_lstsq", ("solution", "residuals", "rank", "singular_values"))
_INV_EX = _return_type("linalg_inv_ex", ("inverse", "info"))
_CHOLESKY_EX = _return_type("linalg_cholesky_ex", ("L", "info"))


def _float(A: Tensor) -> Tensor:
    return A._float()


def _square(A: Tensor, op: str) -> None:
    if A.ndim < 2 or A.shape[-1] != A.shape[-2]:
        raise RuntimeError(
            f"linalg.{op}: A must be batches of square matrices, but they are "
            f"{A.shape[-2] if A.ndim > 1 else A.shape[-1]} by {A.shape[-1]} matrices"
        )


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None, out=None):
    """‖x‖_ord over ``dim`` (all elements by default)."""
    return write_out(out, x.vector_norm(ord, dim, keepdim, dtype), "linalg.vector_norm")


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None, out=None):
    """ "fro", "nuc", 1, -1, 2, -2, inf or -inf norm of the matrices over ``dim``."""
    return write_out(out, A.matrix_norm(ord, dim, keepdim, dtype), "linalg.matrix_norm")


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None, out=None):
    """A vector norm or, for a matrix ``ord`` or two ``dim``s, a matrix norm.

    Without ``ord`` and ``dim`` the input is flattened (the 2-norm of all entries).
    """
    if dim is not None and not isinstance(dim, (list, tuple)):
        dim = (dim,)
    matrix = (dim is not None and len(dim) == 2) or (
        dim is None and ord is not None and A.ndim == 2
    )
    if ord is None:
        result = A.vector_norm(2, dim, keepdim, dtype)
    elif matrix:
        result = A.matrix_norm(ord, (-2, -1) if dim is None else dim, keepdim, dtype)
    else:
        if dim is None and A.ndim != 1:
            raise RuntimeError(
                f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. "
                f"Got {A.ndim}D."
            )
        result = A.vector_norm(ord, dim, keepdim, dtype)
    return write_out(out, result, "linalg.norm")


def inv(A, *, out=None):
    """A⁻¹ (batched)."""
    _square(A, "inv")
    a = _float(A)
    return write_out(out, _factorize("linalg.inv", a, lambda: L.Inverse.apply(a)), "linalg.inv")


def inv_ex(A, *, check_errors=False, out=None):
    inverse = inv(A)
    return _INV_EX(inverse, Tensor._make(xp.zeros(A.shape[:-2], dtype=xp.int32)))


def det(A, *, out=None):
    _square(A, "det")
    return write_out(out, L.Det.apply(_float(A)), "linalg.det")


def slogdet(A, *, out=None):
    """(sign, log|det A|): the determinant without overflow."""
    _square(A, "slogdet")
    return _SLOGDET(*L.Slogdet.apply(_float(A)))


def solve(A, B, *, left=True, out=None):
    """X with A X = B (``left=False``: X A = B). B may be a vector or a batch of them."""
    _square(A, "solve")
    if not left:
        return write_out(out, solve(A.mT, B.mT).mT, "linalg.solve")
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and B.shape == A.shape[:-1])
    a, b = _float(A), _float(B)
    x = _factorize("torch.linalg.solve", a, lambda: L.Solve.apply(a, b.to(a.dtype), vector))
    return write_out(out, x, "linalg.solve")


def cholesky(A, *, upper=False, out=None):
    """The triangular factor L of A = L Lᵀ (``upper``: Lᵀ)."""
    _square(A, "cholesky")
    a = _float(A)
    factor = _factorize("linalg.cholesky", a, lambda: L.Cholesky.apply(a, upper))
    return write_out(out, factor, "linalg.cholesky")


def cholesky_ex(A, *, upper=False, check_errors=False, out=None):
    factor = cholesky(A, upper=upper)
    return _CHOLESKY_EX(factor, Tensor._make(xp.zeros(A.shape[:-2], dtype=xp.int32)))


def eigh(A, UPLO="L", *, out=None):
    """Eigenvalues (ascending) and eigenvectors (columns) of a symmetric matrix."""
    _square(A, "eigh")
    return _EIGH(*L.Eigh.apply(_float(A), UPLO))


def eigvalsh(A, UPLO="L", *, out=None):
    return eigh(A, UPLO).eigenvalues


def _decomposition(A, name, compute):
    return L.Decomposition.apply(_float(A), f"torch.linalg.{name}", compute)


def svd(A, full_matrices=True, *, driver=None, out=None):
    """A = U diag(S) Vh (no gradient in gradiente)."""
    U, S, Vh = _decomposition(A, "svd", lambda a: xp.linalg.svd(a, full_matrices=full_matrices))
    return _SVD(U, S, Vh)


def svdvals(A, *, driver=None, out=None):
    return _decomposition(A, "svdvals", lambda a: xp.linalg.svd(a, compute_uv=False))


def qr(A, mode="reduced", *, out=None):
    """A = Q R with orthonormal Q and upper-triangular R (no gradient in gradiente).
    ``mode="r"`` computes R only; Q is then empty, as in torch."""
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(
            f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), "
            "'r', or 'complete'"
        )
    if mode == "r":
        R = _decomposition(A, "qr", lambda a: xp.linalg.qr(a, mode="r"))
        return _QR(Tensor._make(xp.zeros(0, dtype=R._data.dtype)), R)
    Q, R = _decomposition(A, "qr", lambda a: xp.linalg.qr(a, mode=mode))
    return _QR(Q, R)


def eigvals(A, *, out=None):
    raise RuntimeError(
        "gradiente does not implement torch.linalg.eigvals yet (complex results); use "
        "torch.linalg.eigvalsh for symmetric matrices"
    )


def eig(A, *, out=None):
    raise RuntimeError(
        "gradiente does not implement torch.linalg.eig yet (complex results); use "
        "torch.linalg.eigh for symmetric matrices"
    )


def pinv(A, *, atol=None, rtol=None, hermitian=False, out=None):
    """The Moore–Penrose pseudo-inverse, from the SVD (no gradient in gradiente)."""

    def compute(a):
        u, s, vh = xp.linalg.svd(a, full_matrices=False)
        tol = _tolerance(s, a.shape, atol, rtol)
        s_inv = xp.where(s > tol, 1.0 / xp.where(s > tol, s, 1.0), 0.0).astype(a.dtype)
        return xp.swapaxes(vh, -1, -2) @ (s_inv[..., None] * xp.swapaxes(u, -1, -2))

    return write_out(out, _decomposition(A, "pinv", compute), "linalg.pinv")


def _tolerance(s, shape, atol, rtol):
    """Singular values below max(atol, rtol·σ_max) count as zero; by default rtol is
    ε·max(m, n) (PyTorch's rule)."""
    top = s.max(-1, keepdims=True) if s.size else s
    if atol is None and rtol is None:
        rtol = max(shape[-2:]) * xp.finfo(s.dtype).eps
    return xp.maximum(0.0 if atol is None else atol, (0.0 if rtol is None else rtol) * top)


def matrix_rank(A, *, atol=None, rtol=None, hermitian=False, out=None):
    s = svdvals(A.detach())._data
    tol = _tolerance(s, A.shape, atol, rtol)
    return Tensor._make(as_array((s > tol).sum(-1), xp.int64))  # stays on s's device


def lstsq(A, B, rcond=None, *, driver=None):
    """The least-squares solution of A X ≈ B (no gradient in gradiente)."""
    a, b = _float(A), _float(B)
    vector = b.ndim == a.ndim - 1
    rhs = b.unsqueeze(-1) if vector else b
    solution = _matmul(pinv(a), rhs)
    solution = solution.squeeze(-1) if vector else solution
    empty = Tensor._make(xp.zeros(0, dtype=a._data.dtype))
    rank = Tensor._make(xp.zeros(0, dtype=xp.int64))
    return _LSTSQ(solution, empty, rank, empty)


def matrix_power(A, n, *, out=None):
    return write_out(out, A.matrix_power(n), "linalg.matrix_power")


def matrix_exp(A):
    """e^A by scaling and squaring of a Taylor series (differentiable through its ops)."""
    _square(A, "matrix_exp")
    a = _float(A)
    norm = float(a.detach().abs().sum(-2).amax()) if a.numel() else 0.0
    squarings = max(0, int(xp.ceil(xp.log2(norm))) + 1) if norm > 0.5 else 0
    a = a / (2.0**squarings)
    identity = eye(a.shape[-1], dtype=a.dtype).expand(a.shape)
    term, result = identity, identity
    for k in range(1, 19):
        term = term @ a / k
        result = result + term
    for _ in range(squarings):
        result = result @ result
    return result


def cross(input, other, *, dim=-1, out=None):
    return write_out(out, input.cross(other, dim), "linalg.cross")


def vecdot(x, y, *, dim=-1, out=None):
    return write_out(out, (x * y).sum(dim), "linalg.vecdot")


def multi_dot(tensors, *, out=None):
    result = tensors[0]
    for t in tensors[1:]:
        result = result @ t
    return write_out(out, result, "linalg.multi_dot")


def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    return A.diagonal(offset, dim1, dim2)


def matmul(input, other, *, out=None):
    return _matmul(input, other, out=out)


def cond(A, p=None, *, out=None):
    """The condition number ‖A‖ ‖A⁻¹‖ (2-norm: the ratio of extreme singular values)."""
    if p in (None, 2, -2):
        s = svdvals(A)
        ratio = s.amax(-1) / s.amin(-1)
        return write_out(out, ratio if p != -2 else 1.0 / ratio, "linalg.cond")
    return write_out(out, matrix_norm(A, p) * matrix_norm(inv(A), p), "linalg.cond")
