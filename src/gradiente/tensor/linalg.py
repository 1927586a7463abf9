"""Linear algebra methods: products (``mm``, ``bmm``, ``@``), fused products (``addmm``,
``addcmul``, ...) and matrix functions (``inverse``, ``det``, ...)."""

from __future__ import annotations

import math
import warnings

from gradiente import backend as B
from gradiente.autograd.function import show_as
from gradiente.backend import xp
from gradiente.ops import linalg as L
from gradiente.ops import shape as S
from gradiente.ops.matrix_exp import MatrixExp, check_matrix_exp_input
from gradiente.tensor import product_errors as PE
from gradiente.tensor.common import _dim, _return_types, _shape_arg
from gradiente.tensor.factories import as_tensor, eye
from gradiente.tensor.marks import function, inplace, numpy_axis
from gradiente.tensor.promotion import _promote, _scaled_sum
from gradiente.tensor.toplevel import (
    _empty_product,
    _mixed_empty_product,
    cat,
    matmul,
    stack,
    where,
)

Tensor = None  # the assembled class, bound by gradiente.tensor (see its __init__)

# torch's refusal of addcdiv with two integer operands (the double space is torch's)
_ADDCDIV_INTEGER = (
    "Integer division with addcdiv is no longer supported, and in a future  release addcdiv "
    "will perform a true division of tensor1 and tensor2. The historic addcdiv behavior can "
    "be implemented as (input + value * torch.trunc(tensor1 / tensor2)).to(input.dtype) for "
    "integer inputs and as (input + value * tensor1 / tensor2) for float inputs. The future "
    "addcdiv behavior is just the latter implementation: (input + value * tensor1 / tensor2), "
    "for all dtypes."
)


def _storage_nbytes(root) -> int:
    """The bytes of the memory a root tensor's array spans from its first element (its
    storage's size: the array's own bytes when it is contiguous)."""
    x = root._data
    if x.flags["C_CONTIGUOUS"] or x.size == 0:
        return x.nbytes
    return sum((n - 1) * abs(s) for n, s in zip(x.shape, x.strides)) + x.itemsize


class LinAlgError(RuntimeError):
    """A matrix function failed on its input: singular (inverse, solve) or not
    positive-definite (Cholesky). ``torch.linalg.LinAlgError``; a RuntimeError, as torch's,
    and named as torch's class is (``torch._C._LinAlgError``) when printed."""


LinAlgError.__name__ = LinAlgError.__qualname__ = "_LinAlgError"


def _first_zero_pivot(a) -> int:
    """The 1-based position of the first zero on U's diagonal when the square matrix ``a`` is
    factored as P A = L U with partial pivoting (LAPACK's getrf), 0 when there is none."""
    u = a.astype(xp.float64)
    n = u.shape[-1]
    for k in range(n):
        p = k + int(xp.argmax(xp.abs(u[k:, k])))
        if u[p, k] == 0:  # a zero pivot: getrf's info
            return k + 1
        u[[k, p]] = u[[p, k]]
        u[k + 1 :, k:] -= xp.outer(u[k + 1 :, k] / u[k, k], u[k, k:])
    return 0


def _first_bad_minor(a) -> int:
    """The order of the first leading minor of ``a`` (its lower triangle read, as LAPACK's
    potrf does) that is not positive-definite: where a Cholesky pivot a_jj − Σ l_jk² is not
    positive; 0 when there is none."""
    a = a.astype(xp.float64)
    n = a.shape[-1]
    low = xp.zeros_like(a)
    for j in range(n):
        pivot = a[j, j] - low[j, :j] @ low[j, :j]
        if not pivot > 0:  # also catches NaN
            return j + 1
        low[j, j] = xp.sqrt(pivot)
        low[j + 1 :, j] = (a[j + 1 :, j] - low[j + 1 :, :j] @ low[j, :j]) / low[j, j]
    return 0


def _linalg_error(op: str, A: Tensor) -> LinAlgError | None:
    """torch's error for the first matrix of ``A`` (a batch of square matrices) on which
    ``op`` ("linalg.inv", "torch.linalg.solve" or "linalg.cholesky") fails; None when every
    matrix is fine (the failure was something else)."""
    matrices = B.host(A._data)
    n = matrices.shape[-1]
    find = _first_bad_minor if op.endswith("cholesky") else _first_zero_pivot
    for b, matrix in enumerate(matrices.reshape(-1, n, n)):
        k = find(matrix)
        if not k:
            continue
        where = f"(Batch element {b}): " if matrices.ndim > 2 else ""
        if op.endswith("cholesky"):
            reason = (
                "The factorization could not be completed because the input is not "
                f"positive-definite (the leading minor of order {k} is not positive-definite)."
            )
        elif op.endswith("solve"):
            reason = "The solver failed because the input matrix is singular."
        else:
            reason = (
                f"The diagonal element {k} is zero, the inversion could not be completed "
                "because the input matrix is singular."
            )
        return LinAlgError(f"{op}: {where}{reason}")
    return None


def _factorize(op: str, A: Tensor, run):
    """``run()`` (an inverse, solve or Cholesky factorisation of ``A``), a failure on a
    singular or non-positive-definite ``A`` raised as torch's ``LinAlgError``."""
    try:
        return run()
    except RuntimeError:
        error = _linalg_error(op, A)
        if error is None:
            raise
        raise error from None


def _check_diff_extra(x: Tensor, extra: list, d: int) -> None:
    """torch's checks of ``diff``'s prepend/append: same rank as the input, same sizes except
    along the differencing dimension ``d``."""
    for t in extra:
        if t.ndim != x.ndim:
            raise RuntimeError("diff expects prepend or append to be the same dimension as input")
        for i, (a, b) in enumerate(zip(x.shape, t.shape, strict=True)):
            if i != d and a != b:
                raise RuntimeError(
                    "diff expects the shape of tensor to prepend or append to match that of "
                    "input except along the differencing dimension; "
                    f"input.size({i}) = {a}, but got tensor.size({i}) = {b}"
                )


def _product_error(check, a, b):
    """``check`` (one of ``product_errors``) on the shapes and dtypes of ``a`` and ``b``."""
    return check(a.shape, a._data.dtype, b.shape, b._data.dtype)


def _check_shapes_broadcast(*tensors) -> None:
    """torch's error when the shapes of ``tensors`` do not broadcast together: it broadcasts
    them one by one, left to right, and names the first size that does not fit as tensor b."""
    shape = ()
    for t in tensors:
        if isinstance(t, Tensor):
            error = B.broadcast_error(shape, t._data.shape)
            if error is not None:
                raise error from None
            shape = xp.broadcast_shapes(shape, t._data.shape)


class LinearAlgebra:
    """Tensor methods: products, fused products and matrix functions."""

    __slots__ = ()

    @function
    def matmul(self, other):
        """The matrix product of self and ``other`` (with batch broadcasting)."""
        return matmul(self, other)

    @function
    def mm(self, mat2):
        """Performs a matrix multiplication of the matrices self and ``mat2``."""
        error = _product_error(PE.mm_error, self, mat2)
        if error is not None:
            raise error
        return matmul(self, mat2)

    @function
    def bmm(self, mat2):
        """Performs a batch matrix-matrix product of matrices stored in self and ``mat2``."""
        dtype = self._data.dtype
        shape_error = PE.bmm_error(self.shape, dtype, mat2.shape, dtype)  # the shapes only
        if shape_error is not None:
            raise shape_error
        if mat2._data.dtype != dtype:
            if _empty_product(self, mat2):  # torch checks dtypes only with terms to add
                return _mixed_empty_product(L.Bmm, self, mat2)
            raise _product_error(PE.bmm_error, self, mat2)
        return L.Bmm.apply(self, mat2)

    @function
    def dot(self, tensor):
        """Computes the dot product of two 1D tensors."""
        error = _product_error(PE.dot_error, self, tensor)
        if error is not None:
            raise error
        return matmul(self, tensor)

    @function
    def mv(self, vec):
        """Performs a matrix-vector product of the matrix self and the vector ``vec``."""
        error = _product_error(PE.mv_error, self, vec)
        if error is not None:
            raise error
        return matmul(self, vec)

    @function
    def outer(self, vec2):
        """Outer product of self and ``vec2``."""
        return self.reshape(-1, 1) * vec2.reshape(1, -1)

    ger = outer

    @function
    def kron(self, other):
        """The Kronecker product: every element of self scales a copy of ``other``."""
        nd = max(self.ndim, other.ndim)
        a = self.reshape((1,) * (nd - self.ndim) + tuple(self.shape))
        b = other.reshape((1,) * (nd - other.ndim) + tuple(other.shape))
        # (a0, 1, a1, 1, ...) * (1, b0, 1, b1, ...) -> (a0·b0, a1·b1, ...)
        a_view = [s for n in a.shape for s in (n, 1)]
        b_view = [s for n in b.shape for s in (1, n)]
        shape = [m * n for m, n in zip(a.shape, b.shape)]
        return (a.reshape(a_view) * b.reshape(b_view)).reshape(shape)

    @function
    def cov(self, *, correction=1, fweights=None, aweights=None):
        """The covariance of the variables in the rows of self (observations in columns),
        the observations weighted by ``fweights`` (counts) and ``aweights`` if given; torch's
        steps, so that float32 results round alike."""
        x = (self if self.ndim == 2 else self.reshape(1, -1))._float()
        w = fweights
        if aweights is not None:
            w = aweights if w is None else w * aweights
        total = x.shape[1] if w is None else w.sum()  # Σ w: the number of observations
        if w is not None and not bool(total != 0):
            raise RuntimeError("cov(): weights sum to zero, can't be normalized")
        mean = (x if w is None else x * w).sum(1) / total
        if w is not None and aweights is not None and correction != 0:
            norm = total - correction * (w * aweights).sum() / total
        else:
            norm = total - correction
        if float(norm) <= 0:
            warnings.warn(
                "cov(): degrees of freedom is <= 0. Correction should be strictly less than the "
                "number of observations.",
                stacklevel=2,
            )
            norm = 0
        centred = x - mean.unsqueeze(1)
        # C = X̃ (X̃ w)ᵀ / (Σ w − correction), X̃ the observations less their (weighted) mean
        return (centred @ (centred if w is None else centred * w).t() / norm).squeeze()

    @function
    def corrcoef(self):
        """Pearson correlation coefficients of the rows of self."""
        c = self.cov()
        if c.ndim == 0:
            return c / c
        d = c.diagonal().sqrt()
        return (c / d.unsqueeze(1) / d.unsqueeze(0)).clamp(-1, 1)

    @function
    @inplace
    def addmm(self, mat1, mat2, beta=1, alpha=1):
        """beta·self + alpha·(mat1 @ mat2)."""
        if isinstance(mat1, Tensor) and isinstance(mat2, Tensor):
            error = PE.addmm_dtype_error(self._data.dtype, mat1._data.dtype, mat2._data.dtype)
            if error is not None:
                raise error
        return show_as(_scaled_sum(self, beta, mat1.mm(mat2), alpha), "AddmmBackward0", self)

    @function
    @inplace(function=True)
    def addmv(self, mat, vec, beta=1, alpha=1):
        """Performs a matrix-vector product of the matrix ``mat`` and the vector ``vec``."""
        return show_as(_scaled_sum(self, beta, mat.mv(vec), alpha), "AddmvBackward0", self)

    @function
    @inplace
    def addbmm(self, batch1, batch2, beta=1, alpha=1):
        """``beta * self + alpha * sum_b batch1[b] @ batch2[b]``."""
        out = _scaled_sum(self, beta, batch1.bmm(batch2).sum(0), alpha)
        return show_as(out, "AddbmmBackward0", self)

    @function
    @inplace
    def baddbmm(self, batch1, batch2, beta=1, alpha=1):
        """Performs a batch matrix-matrix product of matrices in ``batch1`` and ``batch2``."""
        return show_as(_scaled_sum(self, beta, batch1.bmm(batch2), alpha), "BaddbmmBackward0", self)

    @function
    @inplace
    def addr(self, vec1, vec2, beta=1, alpha=1):
        """``beta * self + alpha * outer(vec1, vec2)``; integer tensors refuse float factors."""
        if not any(B.is_float(t._data.dtype) for t in (self, vec1, vec2)):
            for name, factor in (("beta", beta), ("alpha", alpha)):
                if isinstance(factor, float):
                    raise RuntimeError(
                        f"For integral input tensors, argument {name} must not be a floating "
                        "point number."
                    )
        return show_as(_scaled_sum(self, beta, vec1.outer(vec2), alpha), "AddrBackward0", self)

    @function
    def addcmul(self, tensor1, tensor2, value=1):
        """self + value · tensor1 · tensor2. As torch, ``value`` takes the tensors' result type
        (an integer one truncates it); bool tensors have no kernel."""
        arrays = [t._data for t in (self, tensor1, tensor2) if isinstance(t, Tensor)]
        if not any(B.is_float(a.dtype) for a in arrays):
            if all(a.dtype == bool for a in arrays):
                raise NotImplementedError("\"addcmul_cpu_out\" not implemented for 'Bool'")
            value = int(value)
        try:
            return show_as(self + value * tensor1 * tensor2, "AddcmulBackward0")
        except RuntimeError:
            _check_shapes_broadcast(self, tensor1, tensor2)
            raise

    @function
    def addcdiv(self, tensor1, tensor2, value=1):
        """self + value · tensor1 / tensor2; torch refuses two integer (or bool) operands."""
        if not (B.is_float(tensor1._data.dtype) or B.is_float(tensor2._data.dtype)):
            raise RuntimeError(_ADDCDIV_INTEGER)
        try:
            return show_as(self + value * tensor1 / tensor2, "AddcdivBackward0")
        except RuntimeError:
            _check_shapes_broadcast(self, tensor1, tensor2)
            raise

    @function
    def inner(self, other):
        """Σ over the last dims: out[i..., j...] = Σ_k self[i..., k] other[j..., k]."""
        if self.ndim == 0 or other.ndim == 0:
            return self * other
        if self.ndim == 1 and other.ndim == 1:
            return self.dot(other)
        k = self.shape[-1]
        rows = math.prod(self.shape[:-1])  # not -1: k may be 0
        out = matmul(self.reshape(rows, k), other.reshape(math.prod(other.shape[:-1]), k).t())
        return out.reshape(self.shape[:-1] + other.shape[:-1])

    @function
    def vdot(self, other):
        """Computes the dot product of two 1D vectors along a dimension."""
        return self.dot(other)

    @function
    def cross(self, other, dim=None):
        """The cross product of 3-vectors along ``dim`` (default: the first dim of size 3)."""
        a, b = _promote(self, other)
        shape = B.xp.broadcast_shapes(a.shape, b.shape)
        if dim is None:
            dim = next((i for i, n in enumerate(shape) if n == 3), None)
            if dim is None:
                raise RuntimeError("no dimension of size 3 in input")
        d = _dim(dim, len(shape), "cross")
        if shape[d] != 3:
            raise RuntimeError(
                f"linalg.cross: inputs dimension {d} must have length 3. Got {a.shape[d]} and "
                f"{b.shape[d]}"
            )
        a, b = a.expand(shape), b.expand(shape)
        a0, a1, a2 = a.unbind(d)
        b0, b1, b2 = b.unbind(d)
        # a × b = (a₁b₂ − a₂b₁, a₂b₀ − a₀b₂, a₀b₁ − a₁b₀)
        return stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], d)

    @function
    @numpy_axis
    def diff(self, n=1, dim=-1, prepend=None, append=None):
        """Differences of neighbours along ``dim``, applied ``n`` times (``n = 0``: a copy of
        the input, without ``prepend`` and ``append``, as in torch)."""
        if self.ndim == 0:
            raise RuntimeError("diff expects input to be at least one-dimensional")
        if n < 0:
            raise RuntimeError(f"order must be non-negative but got {n}")
        extra = [
            t if t is None or isinstance(t, Tensor) else as_tensor(t) for t in (prepend, append)
        ]
        if prepend is not None or append is not None:
            d = _dim(dim, self.ndim, "diff")
            _check_diff_extra(self, [t for t in extra if t is not None], d)
        if n == 0:  # torch neither checks ``dim`` here nor appends anything
            return self.clone()
        d = _dim(dim, self.ndim, "diff")
        x = self
        if prepend is not None or append is not None:
            x = cat([t for t in (extra[0], self, extra[1]) if t is not None], d)
        for _ in range(n):
            m = x.shape[d]
            if m == 0:  # nothing left to difference: torch returns the empty result
                break
            if x._data.dtype == xp.bool_:
                x = x.narrow(d, 1, m - 1) ^ x.narrow(d, 0, m - 1)
            else:
                x = x.narrow(d, 1, max(m - 1, 0)) - x.narrow(d, 0, max(m - 1, 0))
        return x

    @function
    def inverse(self):
        """The inverse of a square matrix (or batch), ``linalg.inv``."""
        a = self._float()
        return _factorize("linalg.inv", a, lambda: L.Inverse.apply(a))

    @function
    def det(self):
        """The determinant of a square matrix (or batch), ``linalg.det``."""
        return L.Det.apply(self._float())

    @function
    def logdet(self):
        """Calculates log determinant of a square matrix or batches of square matrices."""
        sign, logabsdet = self.slogdet()
        return where(sign < 0, float("nan"), logabsdet)

    @function
    def slogdet(self):
        """(sign, log|det|) of a square matrix (or batch), ``linalg.slogdet``."""
        return _return_types["slogdet"](*L.Slogdet.apply(self._float()))

    @function
    def matrix_exp(self):
        """e^A = Σₖ Aᵏ/k! of a square matrix or a batch (``linalg.matrix_exp``)."""
        check_matrix_exp_input(self._data)
        return MatrixExp.apply(self)

    @function
    def matrix_power(self, n):
        """A @ A @ ... (n times); A⁻¹ powers for negative n; the identity for n = 0."""
        if n == 0:
            eye_ = eye(self.shape[-1], dtype=self.dtype)
            return eye_.expand(self.shape).clone()
        a = self if n > 0 else self.inverse()
        out = a
        for _ in range(abs(n) - 1):
            out = out @ a
        return out

    @function
    def pinverse(self, rcond=1e-15):
        """The pseudo-inverse, ``linalg.pinv(self, rtol=rcond)``; differentiable."""
        return L.Pinv.apply(self._float(), None, rcond, False)

    @function
    def dist(self, other, p=2):
        """The p-norm of ``self - other``."""
        return (self - other).norm(p)

    @function
    def as_strided(self, size, stride, storage_offset=None):
        """A view of self's storage (the memory of the tensor self is a view of) with the
        given sizes, strides and storage offset, all in elements as in torch; the offset
        defaults to self's own ``storage_offset()``."""
        size, stride = _shape_arg((size,)), _shape_arg((stride,))
        if len(size) != len(stride):
            raise RuntimeError("mismatch in length of strides and shape")
        if any(s < 0 for s in stride):
            raise RuntimeError(
                "as_strided: Negative strides are not supported at the moment, got strides: "
                f"{list(stride)}"
            )
        offset = self.storage_offset() if storage_offset is None else int(storage_offset)
        if offset < 0:
            raise RuntimeError(f"Tensor: invalid storage offset {offset}")
        if any(n < 0 for n in size):
            raise RuntimeError(f"Trying to create tensor with negative dimension: {list(size)}")
        item = self._data.itemsize
        needed = 0 if 0 in size else offset + 1 + sum((n - 1) * s for n, s in zip(size, stride))
        available = _storage_nbytes(self if self._base is None else self._base)
        if needed * item > available:
            raise RuntimeError(
                f"setStorage: sizes {list(size)}, strides {list(stride)}, storage offset "
                f"{offset}, and itemsize {item} requiring a storage size of {needed * item} are "
                f"out of bounds for storage of size {available}"
            )
        return S.AsStrided.apply(self, size, stride, offset)

    def svd(self, some=True, compute_uv=True):
        """(U, S, V) with self = U diag(S) Vᵀ (``torch.svd``: V, not Vᴴ)."""
        from gradiente.functions import decompositions  # noqa: PLC0415 - built on linalg

        return decompositions.svd(self, some, compute_uv)

    def qr(self, some=True):
        """(Q, R) with self = Q R (torch's deprecated ``torch.qr``)."""
        from gradiente.functions import decompositions  # noqa: PLC0415 - built on linalg

        return decompositions.qr(self, some)

    def cholesky(self, upper=False):
        """The Cholesky factor (torch's deprecated ``torch.cholesky``)."""
        from gradiente.functions import decompositions  # noqa: PLC0415 - built on linalg

        return decompositions.cholesky(self, upper)

    def lu(self, pivot=True, get_infos=False):
        """(LU, pivots[, info]) of the LU factorisation (torch's deprecated ``torch.lu``)."""
        from gradiente.functions import decompositions  # noqa: PLC0415 - built on linalg

        return decompositions.lu(self, pivot, get_infos)

    def map_(self, tensor, callable):
        """Replace every element by ``callable(element, other)``, ``other`` the element of
        ``tensor`` (broadcast to self's shape) at the same place (slow; Python-level)."""
        self._check_inplace()
        other = xp.broadcast_to(tensor._data, self._data.shape).reshape(-1).tolist()
        mine = self._data.reshape(-1).tolist()
        values = [callable(a, b) for a, b in zip(mine, other)]
        self._data[...] = xp.asarray(values, dtype=self._data.dtype).reshape(self._data.shape)
        self._bump()
        return self

    def apply_(self, callable):
        """Replace every element by ``callable(element)`` (slow; Python-level, like PyTorch)."""
        self._check_inplace()
        flat = self._data.reshape(-1)
        flat[...] = [callable(v) for v in flat.tolist()]
        self._bump()
        return self

    def sum_to_size(self, *size):
        """Sum ``this`` tensor to ``size``."""
        shape = _shape_arg(size)
        lead = self.ndim - len(shape)
        dims = tuple(range(lead)) + tuple(
            lead + i for i, n in enumerate(shape) if n == 1 and self.shape[lead + i] != 1
        )
        out = self.sum(dims, keepdim=True) if dims else self
        return out.reshape(shape)
