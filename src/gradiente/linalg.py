"""``torch.linalg``: norms, inverse, determinant, solve and matrix decompositions.

Norms, ``inv``, ``det``, ``slogdet``, ``solve``, ``cholesky``, ``eigh``, ``svd``, ``qr``,
``pinv`` and ``lstsq`` are differentiable, with torch's formulas (``ops/linalg.py``).
``lu_factor`` and ``ldl_factor`` run forward only; ``eig`` (complex results) is missing.
"""

from __future__ import annotations

from gradiente.autograd.grad_mode import is_grad_enabled
from gradiente.backend import as_array, torch_type_name, xp
from gradiente.backend import host as B_host
from gradiente.ops import linalg as L
from gradiente.ops import linalg_extra as LX
from gradiente.tensor import Tensor, _return_type, eye, write_out
from gradiente.tensor import cat as _cat
from gradiente.tensor import matmul as _matmul
from gradiente.tensor.common import _dim, _scalar_type_name
from gradiente.tensor.linalg import LinAlgError, _factorize  # noqa: F401 - torch.linalg's error

_SVD = _return_type("linalg_svd", ("U", "S", "Vh"))
_QR = _return_type("linalg_qr", ("Q", "R"))
_EIGH = _return_type("linalg_eigh", ("eigenvalues", "eigenvectors"))
_SLOGDET = _return_type("linalg_slogdet", ("sign", "logabsdet"))
_LSTSQ = _return_type("linalg_lstsq", ("solution", "residuals", "rank", "singular_values"))
_INV_EX = _return_type("linalg_inv_ex", ("inverse", "info"))
_CHOLESKY_EX = _return_type("linalg_cholesky_ex", ("L", "info"))
_LU_FACTOR = _return_type("linalg_lu_factor", ("LU", "pivots"))
_LU = _return_type("linalg_lu", ("P", "L", "U"))
_LU_UNPACK = _return_type("lu_unpack", ("P", "L", "U"))


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
    if ord in ("nuc", 2, -2):
        result = _singular_value_norm(A, ord, dim, keepdim, dtype)
    else:
        result = A.matrix_norm(ord, dim, keepdim, dtype)
    return write_out(out, result, "linalg.matrix_norm")


def _singular_value_norm(A, ord, dim, keepdim, dtype):
    """The norms made of singular values: their sum ("nuc"), largest (2) or smallest (-2),
    differentiable through ``svdvals`` (torch's graph: svd, then sum/amax/amin)."""
    a = A if dtype is None else A.to(dtype)
    if a.ndim < 2:
        raise RuntimeError(
            "linalg.matrix_norm: The input tensor A must have at least 2 dimensions."
        )
    a._check_float_norm("linalg.matrix_norm")
    d0, d1 = (_dim(d, a.ndim, "linalg.matrix_norm") for d in dim)
    s = svdvals(a.movedim((d0, d1), (-2, -1)))
    result = s.sum(-1) if ord == "nuc" else (s.amax(-1) if ord == 2 else s.amin(-1))
    if keepdim:
        result = result.unsqueeze(min(d0, d1)).unsqueeze(max(d0, d1))
    return result


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
        result = matrix_norm(A, ord, (-2, -1) if dim is None else dim, keepdim, dtype=dtype)
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


def _check_solve(A, B, left: bool) -> None:
    """torch's checks of ``linalg.solve``'s arguments, in its order and words."""
    if A.ndim < 2:
        raise RuntimeError("linalg.solve: The input tensor A must have at least 2 dimensions.")
    if A.dtype != B.dtype:
        raise RuntimeError(
            "linalg.solve: Expected A and B to have the same dtype, but found A of type "
            f"{torch_type_name(A._data.dtype)} and B of type {torch_type_name(B._data.dtype)} "
            "instead"
        )
    _square(A, "solve")
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and B.shape == A.shape[:-1])
    rows, cols = (B.shape[-1], 1) if vector else (B.shape[-2], B.shape[-1])
    n = A.shape[-1]
    if (vector and B.shape[-1] != n) or (not vector and (rows if left else cols) != n):
        raise RuntimeError(
            "linalg.solve: Incompatible shapes of A and B for the equation "
            f"{'AX = B' if left else 'XA = B'} ({A.shape[-2]}x{n} and {rows}x{cols})"
        )
    batch_a, batch_b = A.shape[:-2], B.shape[: -1 if vector else -2]
    for k, (a, b) in enumerate(zip(reversed(batch_b), reversed(batch_a))):
        if a != b and a != 1 and b != 1:
            dim = max(len(batch_a), len(batch_b)) - 1 - k
            raise RuntimeError(
                f"The size of tensor a ({a}) must match the size of tensor b ({b}) at "
                f"non-singleton dimension {dim}"
            )


def solve(A, B, *, left=True, out=None):
    """X with A X = B (``left=False``: X A = B). B may be a vector or a batch of them."""
    _check_solve(A, B, left)
    if not left:
        return write_out(out, solve(A.mT, B.mT).mT, "linalg.solve")
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and B.shape == A.shape[:-1])
    a, b = _float(A), _float(B)
    x = _factorize("torch.linalg.solve", a, lambda: L.Solve.apply(a, b.to(a.dtype), vector))
    return write_out(out, x, "linalg.solve")


_SOLVE_EX = _return_type("linalg_solve_ex", ("result", "info"))
_LU_FACTOR_EX = _return_type("linalg_lu_factor_ex", ("LU", "pivots", "info"))


def solve_ex(A, B, *, left=True, check_errors=False, out=None):
    """(``solve(A, B)``, info): info is 0 for each solved system; a singular one raises as in
    ``solve`` (torch would put a nonzero info there with ``check_errors=False``)."""
    result = solve(A, B, left=left)
    return _SOLVE_EX(result, Tensor._make(xp.zeros(A.shape[:-2], dtype=xp.int32)))


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
    """The eigenvalues (ascending) of a symmetric matrix; differentiable through ``eigh``."""
    return eigh(A, UPLO).eigenvalues


def _decomposition(A, name, compute):
    return L.Decomposition.apply(_float(A), f"torch.linalg.{name}", compute)


def svd(A, full_matrices=True, *, driver=None, out=None):
    """A = U diag(S) Vh, singular values descending. Differentiable (torch's formula): with
    ``full_matrices`` only U's first min(m, n) columns and Vh's first rows carry gradients."""
    return _SVD(*L.Svd.apply(_float(A), full_matrices))


def svdvals(A, *, driver=None, out=None):
    """The singular values, descending. As torch, when a gradient is needed the singular
    vectors are computed too (the gradient is U diag(ḡ) Vh)."""
    a = _float(A)
    if a.requires_grad and is_grad_enabled():
        return L.Svd.apply(a, False)[1]
    return _decomposition(a, "svdvals", lambda x: xp.linalg.svd(x, compute_uv=False))


def qr(A, mode="reduced", *, out=None):
    """A = Q R with orthonormal Q and upper-triangular R. ``mode="r"`` computes R only; Q is
    then empty, as in torch. Differentiable except with ``mode="r"``, and with "complete" for
    a tall A (torch's errors, raised by backward)."""
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(
            f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), "
            "'r', or 'complete'"
        )
    return _QR(*L.Qr.apply(_float(A), mode))


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
    """The Moore–Penrose pseudo-inverse from the SVD (``hermitian``: from ``eigh`` of the
    lower triangle); singular values at or below max(atol, rtol·σ_max) count as zero.
    Differentiable with torch's formula (``ops.linalg.Pinv``)."""
    if hermitian:
        _square(A, "eigh")
    atol, rtol = (t._data if isinstance(t, Tensor) else t for t in (atol, rtol))
    return write_out(out, L.Pinv.apply(_float(A), atol, rtol, hermitian), "linalg.pinv")


def _tolerance(s, shape, atol, rtol):
    """Singular values at or below max(atol, rtol·σ_max) count as zero; without ``rtol`` it
    is ε·max(m, n), or 0 when an ``atol`` > 0 is given (PyTorch's rule)."""
    top = s.max(-1, keepdims=True) if s.size else s
    atol = None if atol is None else xp.asarray(atol)[..., None]
    rtol = None if rtol is None else xp.asarray(rtol)[..., None]
    return L.pinv_tolerance(top, shape, s.dtype, atol, rtol)


def matrix_rank(A, *, atol=None, rtol=None, hermitian=False, out=None):
    s = svdvals(A.detach())._data
    tol = _tolerance(s, A.shape, atol, rtol)
    return Tensor._make(as_array((s > tol).sum(-1), xp.int64))  # stays on s's device


def lstsq(A, B, rcond=None, *, driver=None):
    """The least-squares solution of A X ≈ B, A⁺ B from the pseudo-inverse (so its gradient
    is torch's, which goes through ``pinv_backward`` too).

    What else comes back follows the LAPACK ``driver`` torch would call (CPU default
    ``"gelsy"``): the rank for every driver but ``"gels"``, the singular values for
    ``"gelsd"``/``"gelss"``, and the squared residual norms ‖A x − b‖² of each column for
    ``"gels"``, ``"gelsd"`` and ``"gelss"`` when A is tall (m > n) and of full rank; the
    rest are empty tensors.
    """
    driver = "gelsy" if driver is None else driver
    if driver not in ("gels", "gelsy", "gelsd", "gelss"):
        raise RuntimeError(
            f"torch.linalg.lstsq: parameter `driver` should be one of (gels, gelsy, gelsd, "
            f"gelss), but got {driver}"
        )
    a, b = _float(A), _float(B)
    vector = b.ndim == a.ndim - 1
    rhs = b.unsqueeze(-1) if vector else b
    solution = _matmul(pinv(a, rtol=rcond), rhs)
    empty = Tensor._make(xp.zeros(0, dtype=a._data.dtype))
    m, n = a.shape[-2:]
    s = svdvals(a.detach())._data
    tol = _tolerance(s, a.shape, None, rcond)
    rank = as_array((s > tol).sum(-1), xp.int64)
    residuals = empty
    if driver != "gelsy" and m > n and bool((rank == n).all()):
        # differentiable: at the least-squares X, Aᵀ(A X − B) = 0, so the gradient is
        # torch's 2 (A X − B) ḡ Xᵀ (Danskin's theorem), X's own change adding nothing
        residuals = (_matmul(a, solution) - rhs).pow(2).sum(-2)
        residuals = residuals.squeeze(-1) if vector else residuals
    rank = Tensor._make(rank) if driver != "gels" else Tensor._make(xp.zeros(0, dtype=xp.int64))
    values = Tensor._make(s) if driver in ("gelsd", "gelss") else empty
    solution = solution.squeeze(-1) if vector else solution
    return _LSTSQ(solution, residuals, rank, values)


def solve_triangular(A, B, *, upper, left=True, unitriangular=False, out=None):
    """X with A X = B (``left=False``: X A = B) for a triangular A: only A's upper
    (``upper=True``) or lower triangle is read, its diagonal taken as ones when
    ``unitriangular``. Differentiable (through ``solve`` on that triangle)."""
    if not left:
        X = solve_triangular(A.mT, B.mT, upper=not upper, unitriangular=unitriangular).mT
        return write_out(out, X, "linalg.solve_triangular")
    if A.ndim < 2 or B.ndim < 2:
        raise RuntimeError(
            "linalg.solve_triangular: The input tensor B must have at least 2 dimensions."
        )
    _square(A, "solve_triangular")
    a, b = _float(A), _float(B)
    triangle = a.triu(1 if unitriangular else 0) if upper else a.tril(-1 if unitriangular else 0)
    if unitriangular:
        triangle = triangle + eye(a.shape[-1], dtype=a.dtype)
    x = L.Solve.apply(triangle, b.to(a.dtype), False)
    return write_out(out, x, "linalg.solve_triangular")


def lu_factor(A, *, pivot=True, out=None):
    """The LU factorisation P A = L U packed as torch does (no gradient in gradiente):
    ``LU`` holds U on and above the diagonal and L's multipliers below it, ``pivots`` the
    1-based row swapped with each row in turn (LAPACK's getrf, partial pivoting)."""
    if not pivot:
        raise RuntimeError("linalg.lu_factor: LU without pivoting is not implemented on the CPU")
    a = _float(A)
    packed, pivots = L.Decomposition.apply(a, "torch.linalg.lu_factor", _getrf)
    return _LU_FACTOR(packed, pivots)


def lu_factor_ex(A, *, pivot=True, check_errors=False, out=None):
    """(LU, pivots, info) of ``lu_factor``. info is LAPACK's: 0, or the 1-based index of the
    first zero on U's diagonal (the matrix is singular; the factorisation is still returned)."""
    packed, pivots = lu_factor(A, pivot=pivot)
    diagonal = xp.diagonal(packed._data, axis1=-2, axis2=-1) == 0
    first_zero = xp.where(diagonal.any(-1), diagonal.argmax(-1) + 1, 0).astype(xp.int32)
    return _LU_FACTOR_EX(packed, pivots, Tensor._make(first_zero))


def _getrf(a):
    """LAPACK getrf in NumPy, batched: (LU packed, 1-based int32 pivots)."""
    lu = a.copy()
    m, n = lu.shape[-2:]
    k_max = min(m, n)
    pivots = xp.zeros(lu.shape[:-2] + (k_max,), dtype=xp.int32)
    for index in xp.ndindex(*lu.shape[:-2]):
        u = lu[index]
        for k in range(k_max):
            p = k + int(xp.argmax(xp.abs(u[k:, k])))
            pivots[index + (k,)] = p + 1
            if p != k:
                u[[k, p]] = u[[p, k]]
            if u[k, k] != 0:
                u[k + 1 :, k] /= u[k, k]
                u[k + 1 :, k + 1 :] -= xp.outer(u[k + 1 :, k], u[k, k + 1 :])
    return lu, pivots


def lu_unpack(LU_data, LU_pivots, unpack_data=True, unpack_pivots=True):
    """(P, L, U) from ``lu_factor``'s packed form, with A = P L U."""
    lu = LU_data
    m, n = lu.shape[-2:]
    k = min(m, n)
    lower = lu[..., :, :k].tril(-1) + eye(m, k, dtype=lu.dtype)
    upper = lu[..., :k, :].triu()
    pivots = B_host(LU_pivots._data)
    perm = xp.zeros(pivots.shape[:-1] + (m, m), dtype=lu._data.dtype)
    for index in xp.ndindex(*pivots.shape[:-1]):
        order = list(range(m))
        for i, p in enumerate(pivots[index]):
            order[i], order[p - 1] = order[p - 1], order[i]
        perm[index][order, range(m)] = 1  # row i of P A is row order[i] of A
    return _LU_UNPACK(Tensor._make(as_array(perm)), lower, upper)


def lu(A, *, pivot=True, out=None):
    """P, L, U with A = P L U (L unit lower triangular, U upper triangular)."""
    P, lower, upper = lu_unpack(*lu_factor(A, pivot=pivot))
    return _LU(P, lower, upper)


def lu_solve(LU, pivots, B, *, left=True, adjoint=False, out=None):
    """X with A X = B from A's ``lu_factor``: X = U⁻¹ L⁻¹ Pᵀ B."""
    if not left:
        raise RuntimeError("gradiente does not implement linalg.lu_solve(left=False) yet")
    P, lower, upper = lu_unpack(LU, pivots)
    if adjoint:  # Aᵀ X = B with Aᵀ = Uᵀ Lᵀ Pᵀ
        y = solve_triangular(upper.mT, B, upper=False)
        X = _matmul(P, solve_triangular(lower.mT, y, upper=True, unitriangular=True))
    else:
        y = solve_triangular(lower, _matmul(P.mT, B), upper=False, unitriangular=True)
        X = solve_triangular(upper, y, upper=True)
    return write_out(out, X, "linalg.lu_solve")


def matrix_power(A, n, *, out=None):
    return write_out(out, A.matrix_power(n), "linalg.matrix_power")


def matrix_exp(A):
    """e^A of a square matrix or a batch, by scaling and squaring (``ops/matrix_exp.py``)."""
    return A.matrix_exp()


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


def _prod(shape) -> int:
    result = 1
    for size in shape:
        result *= size
    return result


def tensorsolve(A, B, dims=None, *, out=None):
    """X with ``tensordot(A, X, X.ndim) = B``: A (after moving ``dims`` to the end) reshaped
    to a (B.numel(), X.numel()) matrix, one ``solve``, X shaped as A's trailing dims."""
    if dims is not None:
        A = A.movedim(tuple(dims), tuple(range(A.ndim - len(dims), A.ndim)))
    result_shape = tuple(A.shape[B.ndim :])
    if _prod(result_shape) != B.numel():
        raise RuntimeError(
            "Expected self to satisfy the requirement prod(self.shape[other.ndim:]) == "
            f"prod(self.shape[:other.ndim]), but got {_prod(result_shape)} != {B.numel()}"
        )
    x = solve(A.reshape(B.numel(), -1), B.reshape(-1))
    return write_out(out, x.reshape(result_shape), "linalg.tensorsolve")


def tensorinv(A, ind=2, *, out=None):
    """The inverse of A for ``tensordot(·, ·, ind)``: A as a (prod(shape[:ind]),
    prod(shape[ind:])) matrix, inverted, shaped ``A.shape[ind:] + A.shape[:ind]``."""
    if ind <= 0:
        raise RuntimeError(f"Expected a strictly positive integer for 'ind', but got {ind}")
    rows, cols = _prod(A.shape[:ind]), _prod(A.shape[ind:])
    if rows != cols:
        raise RuntimeError(
            "Expected self to satisfy the requirement prod(self.shape[ind:]) == "
            f"prod(self.shape[:ind]), but got {cols} != {rows}"
        )
    result = inv(A.reshape(rows, cols)).reshape(tuple(A.shape[ind:]) + tuple(A.shape[:ind]))
    return write_out(out, result, "linalg.tensorinv")


def householder_product(A, tau, *, out=None):
    """The first n columns of Q = H₁ ⋯ H_k, H_i = I − τ_i v_i v_iᵀ (LAPACK's orgqr, what
    ``geqrf`` leaves): v_i is column i of A below the diagonal with a 1 on it. Composed of
    Tensor ops (each step Q ← Q − τ_i v_i (v_iᵀ Q), H_k applied first), so it is
    differentiable to any order."""
    op = "torch.linalg.householder_product"
    if A.ndim < 2:
        raise RuntimeError(f"{op}: input must have at least 2 dimensions.")
    m, n = A.shape[-2:]
    if m < n:
        raise RuntimeError(
            f"{op}: input.shape[-2] must be greater than or equal to input.shape[-1]"
        )
    if n < tau.shape[-1]:
        raise RuntimeError(f"{op}: input.shape[-1] must be greater than or equal to tau.shape[-1]")
    if tuple(tau.shape[:-1]) != tuple(A.shape[:-2]):
        raise RuntimeError(
            f"{op}: Expected batch dimensions of tau to be equal to input.shape[:-2], but got "
            f"{list(tau.shape[:-1])}"
        )
    if tau.dtype != A.dtype:
        raise RuntimeError(
            f"{op}: tau dtype {_scalar_type_name(tau)} does not match input dtype "
            f"{_scalar_type_name(A)}"
        )
    identity = eye(m, n, dtype=A.dtype)
    V = A.tril(-1) + identity  # (*, m, n): the v_i as columns
    # Q starts as I (m × n), linked to A so that with k = 0 the result still has A's graph
    Q = identity + A.masked_fill(Tensor._make(xp.ones((), dtype=bool)), 0.0)
    for i in reversed(range(tau.shape[-1])):
        v = V[..., i : i + 1]  # (*, m, 1)
        Q = Q - tau[..., i, None, None] * (v @ (v.mT @ Q))
    return write_out(out, Q, "linalg.householder_product")


def vander(x, *, N=None):
    """The Vandermonde matrix with increasing powers x⁰, x¹, …, x^(N−1) as columns (unlike
    ``torch.vander``'s default), from a cumulative product as torch computes it."""
    if x.dtype.name == "bool":
        raise RuntimeError(
            "linalg.vander supports floating point, complex, and integer tensors, but got Bool"
        )
    x = x.unsqueeze(-1) if x.ndim == 0 else x
    n = x.shape[-1] if N is None else N
    if n <= 1:
        raise RuntimeError("N must be greater than 1.")
    powers = x.unsqueeze(-1).expand(*x.shape, n - 1).cumprod(-1)
    return _cat([powers.new_ones((*x.shape, 1)), powers], -1)


_LDL_FACTOR = _return_type("linalg_ldl_factor", ("LD", "pivots"))
_LDL_FACTOR_EX = _return_type("linalg_ldl_factor_ex", ("LD", "pivots", "info"))


def ldl_factor_ex(A, *, hermitian=False, check_errors=False, out=None):
    """(LD, pivots, info): P A Pᵀ = L D Lᵀ of symmetric A (its lower triangle read) with
    Bunch–Kaufman pivoting, packed as LAPACK's sytrf (see ``ops/linalg_extra.py``); no
    gradient, as in torch. ``hermitian`` is the same for real matrices."""
    op = "torch.linalg.ldl_factor_ex"
    if A.ndim < 2:
        raise RuntimeError(f"{op}: The input tensor A must have at least 2 dimensions.")
    if A.shape[-1] != A.shape[-2]:
        raise RuntimeError(
            f"{op}: A must be batches of square matrices, but they are {A.shape[-2]} by "
            f"{A.shape[-1]} matrices"
        )
    if not A.is_floating_point():
        raise RuntimeError(
            f"{op}: Expected a floating point or complex tensor as input. Got "
            f"{_scalar_type_name(A)}"
        )
    LD, pivots, info = _decomposition(A, "ldl_factor_ex", LX.ldl_factor)
    if check_errors and info.any():
        raise RuntimeError(f"{op}: Unknown error code: {int(info.amax())}.")
    return _LDL_FACTOR_EX(LD, pivots, info)


def ldl_factor(A, *, hermitian=False, out=None):
    """(LD, pivots) of ``ldl_factor_ex``, refusing matrices with a zero pivot."""
    LD, pivots, info = ldl_factor_ex(A, hermitian=hermitian)
    if info.any():
        raise RuntimeError(f"torch.linalg.ldl_factor: Unknown error code: {int(info.amax())}.")
    return _LDL_FACTOR(LD, pivots)


def ldl_solve(LD, pivots, B, *, hermitian=False, out=None):
    """X with A X = B from A's ``ldl_factor`` (LAPACK's sytrs); no gradient, as in torch."""
    if B.ndim < 2:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [-{max(B.ndim, 1)}, "
            f"{max(B.ndim, 1) - 1}], but got -2)"
        )
    if B.dtype != LD.dtype:
        raise RuntimeError(
            f"Expected b and A to have the same dtype, but found b of type "
            f"{_scalar_type_name(B)} and A of type {_scalar_type_name(LD)} instead."
        )
    if B.shape[-2] != LD.shape[-1]:
        raise RuntimeError(
            f"Incompatible matrix sizes for torch.linalg.ldl_solve: each A matrix is "
            f"{LD.shape[-2]} by {LD.shape[-1]} but each b matrix is {B.shape[-2]} by "
            f"{B.shape[-1]}"
        )
    x = LX.ldl_solve(LD.detach()._data, pivots._data, B.detach()._data)
    return write_out(out, Tensor._make(x), "linalg.ldl_solve")
