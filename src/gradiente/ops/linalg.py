"""Matrix products: matmul (1-d, 2-d and batched with broadcasting)."""

from __future__ import annotations

from gradiente.backend import as_array, xp
from gradiente.ops import gemm
from gradiente.ops.array_function import ArrayFunction
from gradiente.ops.linear import factors_to_keep, kept_factors


class MatMul(ArrayFunction):
    backward_name = "MmBackward0"

    def name(self) -> str:
        # PyTorch's matmul runs dot, mv, mm or a batched product (then a reshape) and its node
        # is named after the last of those; repr(tensor) shows that name, so we use the same.
        ra, rb = self.ranks
        if ra == 1:
            return {1: "DotBackward0", 2: "SqueezeBackward4"}.get(rb, "UnsafeViewBackward0")
        if ra == 2 and rb <= 2:
            return "MvBackward0" if rb == 1 else "MmBackward0"
        if ra == 2 and self.needs_input_grad[0]:
            return "CloneBackward0"
        return "UnsafeViewBackward0"

    @staticmethod
    def forward(ctx, a, b):
        # dL/dA needs B and dL/dB needs A: each is kept only when the other needs a gradient
        # (as torch does), so changing one in place after such a forward leaves it valid.
        ctx.save_for_backward(*factors_to_keep(a, b))
        ctx.ranks = (a._data.ndim, b._data.ndim)
        return gemm.matmul(a._data, b._data)  # (cut into row blocks: ops/gemm.py)

    @staticmethod
    def backward(ctx, grad):
        need_a, need_b = ctx.needs_input_grad
        a, b = kept_factors(ctx, need_a, need_b)
        rank_a, rank_b = ctx.ranks
        grad_a = grad_b = None
        if rank_a == 1 and rank_b == 1:  # dot product: d(a·b)/da = b
            grad_a = grad * b if need_a else None
            grad_b = grad * a if need_b else None
        elif rank_a == 1:  # (k) @ (..., k, n) -> (..., n)
            g = grad.unsqueeze(-1)  # (..., n, 1)
            grad_a = (b @ g).squeeze(-1) if need_a else None  # (..., k)
            grad_b = a.unsqueeze(-1) @ g.mT if need_b else None  # (k, 1)(1, n)
        elif rank_b == 1:  # (..., m, k) @ (k) -> (..., m)
            g = grad.unsqueeze(-1)  # (..., m, 1)
            grad_a = g @ b.unsqueeze(0) if need_a else None  # (..., m, k)
            grad_b = (a.mT @ g).squeeze(-1) if need_b else None  # (..., k)
        else:
            # Y = A B  =>  dL/dA = dL/dY Bᵀ,  dL/dB = Aᵀ dL/dY  (batch axes summed by the engine)
            grad_a = grad @ b.mT if need_a else None
            grad_b = a.mT @ grad if need_b else None
        return grad_a, grad_b


class Bmm(MatMul):
    """``bmm``: the batched product of two (B, n, k) and (B, k, m) tensors."""

    def name(self) -> str:
        return "BmmBackward0"


# ---------------------------------------------------------------------------------------------
# einsum


def _fresh_letters(used: str):
    """Subscript letters not in ``used``, for ellipsis dims and helper operands."""
    for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz":
        if c not in used:
            yield c


def normalize_einsum(equation: str, ndims) -> tuple[list[str], str]:
    """Explicit subscripts for each operand and the output, with ``...`` spelled as letters.

    Implicit mode (no ``->``) outputs the broadcast dims, then the letters that appear exactly
    once, in alphabetical order — NumPy's and PyTorch's rule.
    """
    equation = equation.replace(" ", "")
    lhs, arrow, rhs = equation.partition("->")
    inputs = lhs.split(",")
    if len(inputs) != len(ndims):
        raise RuntimeError(
            f"einsum(): {len(inputs)} operands in the equation but {len(ndims)} were given"
        )
    fresh = _fresh_letters(equation)
    n_ellipsis = max(
        (nd - len(s.replace("...", "")) for s, nd in zip(inputs, ndims) if "..." in s),
        default=0,
    )
    ellipsis = "".join(next(fresh) for _ in range(n_ellipsis))
    subs = []
    for s, nd in zip(inputs, ndims):
        if "..." in s:
            k = nd - len(s.replace("...", ""))
            s = s.replace("...", ellipsis[n_ellipsis - k :] if k else "")
        if len(s) != nd:
            raise RuntimeError(
                f"einsum(): the number of subscripts in the equation ({len(s)}) does not match "
                f"the number of dimensions ({nd}) of an operand"
            )
        subs.append(s)
    if arrow:
        out = rhs.replace("...", ellipsis)
    else:
        letters = "".join(subs)
        out = ellipsis + "".join(
            sorted(c for c in set(letters) if letters.count(c) == 1 and c not in ellipsis)
        )
    return subs, out


class Einsum(ArrayFunction):
    """Einstein summation over explicit subscripts (see ``normalize_einsum``).

    The gradient of operand i is itself an einsum: the output's gradient contracted with the
    other operands, producing operand i's subscripts. A letter repeated in operand i (a
    diagonal, ``ii``) is linked to a fresh letter by an identity matrix; a letter that only
    operand i has (summed away) is broadcast back by a ones vector.
    """

    backward_name = "EinsumBackward0"

    def name(self) -> str:
        # PyTorch computes einsum with permutes, reshapes and bmm; its node is named after the
        # last of those steps, which is not stable across shapes, so we name the op itself.
        return "EinsumBackward0"

    @staticmethod
    def forward(ctx, subs, out, *operands):
        ctx.subs, ctx.out = subs, out
        ctx.shapes = [t._data.shape for t in operands]
        ctx.dtype = operands[0]._data.dtype
        # operand j enters the gradient of every other operand: it is kept only when one of
        # those needs a gradient (as torch does)
        needed = [t._requires_grad for t in operands]
        ctx.kept = [any(needed[:j] + needed[j + 1 :]) for j in range(len(operands))]
        ctx.save_for_backward(*(t for t, keep in zip(operands, ctx.kept) if keep))
        arrays = [t._data for t in operands]
        return as_array(xp.einsum(",".join(subs) + "->" + out, *arrays, optimize=len(arrays) > 1))

    @staticmethod
    def backward(ctx, grad):
        saved = iter(ctx.saved_tensors)
        operands = [next(saved) if keep else None for keep in ctx.kept]
        Tensor = type(grad)
        grads = [None, None]
        for i, (s, shape) in enumerate(zip(ctx.subs, ctx.shapes)):
            if not ctx.needs_input_grad[i + 2]:
                grads.append(None)
                continue
            subs = [ctx.out] + [sj for j, sj in enumerate(ctx.subs) if j != i]
            tensors = [grad] + [xj for j, xj in enumerate(operands) if j != i]
            fresh = _fresh_letters("".join(ctx.subs) + ctx.out)
            target = []
            for k, c in enumerate(s):
                n = shape[k]
                if c in target:  # repeated letter: its diagonal, via an identity matrix
                    new = next(fresh)
                    subs.append(c + new)
                    tensors.append(Tensor._make(xp.eye(n, dtype=ctx.dtype)))
                    target.append(new)
                    continue
                if not any(c in sj for sj in subs):  # only in this operand: broadcast back
                    subs.append(c)
                    tensors.append(Tensor._make(xp.ones(n, dtype=ctx.dtype)))
                target.append(c)
            grads.append(Einsum.apply(subs, "".join(target), *tensors))
        return tuple(grads)


# ---------------------------------------------------------------------------------------------
# Inverse, determinant, solve, decompositions (batched over leading dims, like PyTorch)


def _lapack(message: str, routine, *args):
    """``routine(*args)`` (a NumPy LAPACK call), NumPy's LinAlgError raised as PyTorch's
    RuntimeError with PyTorch's ``message``."""
    try:
        return routine(*args)
    except xp.linalg.LinAlgError:
        raise RuntimeError(message) from None


def _inverse_t(a):
    """A⁻ᵀ as a tensor (through the graph when ``a`` is, so double backward works)."""
    return Inverse.apply(a).mT


class Inverse(ArrayFunction):
    backward_name = "LinalgInvExBackward0"

    @staticmethod
    def forward(ctx, a):
        message = (
            "linalg.inv: The diagonal element 1 is zero, the inversion could not be "
            "completed because the input matrix is singular."
        )
        out = _lapack(message, xp.linalg.inv, a._data)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (inv,) = ctx.saved_tensors
        # d(A⁻¹) = −A⁻¹ dA A⁻¹  ⇒  dL/dA = −A⁻ᵀ G A⁻ᵀ
        return -(inv.mT @ grad @ inv.mT)


class Det(ArrayFunction):
    backward_name = "LinalgDetBackward0"

    @staticmethod
    def forward(ctx, a):
        out = as_array(xp.linalg.det(a._data))
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, det = ctx.saved_tensors
        if (det._data == 0).any():
            raise RuntimeError(
                "gradiente does not implement the gradient of torch.linalg.det at a singular "
                "matrix yet"
            )
        # Jacobi's formula: ∂det(A)/∂A = det(A) A⁻ᵀ
        return (grad * det).unsqueeze(-1).unsqueeze(-1) * _inverse_t(a)


class Slogdet(ArrayFunction):
    """(sign, log|det A|); only log|det A| carries a gradient."""

    backward_name = "LinalgSlogdetBackward0"

    @staticmethod
    def forward(ctx, a):
        sign, logabsdet = xp.linalg.slogdet(a._data)
        ctx.save_for_backward(a)
        return as_array(sign), as_array(logabsdet)

    @staticmethod
    def backward(ctx, grad_sign, grad_logabsdet):
        (a,) = ctx.saved_tensors
        # ∂log|det A|/∂A = A⁻ᵀ
        return grad_logabsdet.unsqueeze(-1).unsqueeze(-1) * _inverse_t(a)


class Solve(ArrayFunction):
    """X = A⁻¹B; ``B`` is a batch of matrices, or of vectors when ``vector`` is set."""

    backward_name = "LinalgSolveExBackward0"

    @staticmethod
    def forward(ctx, a, b, vector):
        ctx.vector = vector
        rhs = b._data[..., None] if vector else b._data
        message = "torch.linalg.solve: The solver failed because the input matrix is singular."
        out = _lapack(message, xp.linalg.solve, a._data, rhs)
        out = out[..., 0] if vector else out
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, x = ctx.saved_tensors
        # AX = B  ⇒  dL/dB = A⁻ᵀ G,  dL/dA = −(dL/dB) Xᵀ
        grad_b = Solve.apply(a.mT, grad, ctx.vector)
        grad_a = None
        if ctx.needs_input_grad[0]:
            if ctx.vector:
                grad_a = -(grad_b.unsqueeze(-1) @ x.unsqueeze(-2))
            else:
                grad_a = -(grad_b @ x.mT)
        return grad_a, grad_b if ctx.needs_input_grad[1] else None, None


class Cholesky(ArrayFunction):
    """The lower-triangular L with A = L Lᵀ (A symmetric positive-definite)."""

    backward_name = "LinalgCholeskyExBackward0"

    @staticmethod
    def forward(ctx, a, upper):
        message = (
            "linalg.cholesky: The factorization could not be completed because the input is "
            "not positive-definite."
        )
        low = _lapack(message, xp.linalg.cholesky, a._data)
        ctx.upper = upper
        out = xp.swapaxes(low, -1, -2).copy() if upper else low
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        low, g = (out.mT, grad.mT) if ctx.upper else (out, grad)
        # Φ(Lᵀ Ḡ) with Φ = lower triangle, diagonal halved, then symmetrised:
        # dL/dA = L⁻ᵀ Φ L⁻¹ (Murray 2016, "Differentiation of the Cholesky decomposition")
        phi = (low.mT @ g).tril()
        phi = 0.5 * (phi + phi.tril(-1).mT)
        inv = Inverse.apply(low)
        return inv.mT @ phi @ inv, None


class Eigh(ArrayFunction):
    """Eigenvalues (ascending) and orthonormal eigenvectors of a symmetric matrix."""

    backward_name = "LinalgEighBackward0"

    @staticmethod
    def forward(ctx, a, uplo):
        w, v = xp.linalg.eigh(a._data, UPLO=uplo)
        ctx.save_for_backward(w, v)
        return w, v

    @staticmethod
    def backward(ctx, grad_w, grad_v):
        w, v = ctx.saved_tensors
        # dL/dA = V (diag(ḡ_w) + F ∘ (Vᵀ Ḡ_V)) Vᵀ with F_ij = 1/(w_j − w_i), F_ii = 0
        inner = grad_w.diag_embed()
        if grad_v._data.any():
            off_diagonal = type(w)._make(~xp.eye(w.shape[-1], dtype=bool))
            gap = (w.unsqueeze(-2) - w.unsqueeze(-1)).masked_fill(~off_diagonal, 1.0)
            inner = inner + (v.mT @ grad_v) / gap * off_diagonal
        return v @ inner @ v.mT, None


class Decomposition(ArrayFunction):
    """A NumPy decomposition without a gradient in gradiente (svd, qr, lstsq, eigvals, ...).

    The forward pass works; backpropagating through it raises a clear error.
    """

    backward_name = "LinalgBackward0"

    @staticmethod
    def forward(ctx, a, torch_name, compute):
        ctx.torch_name = torch_name
        return compute(a._data)

    @staticmethod
    def backward(ctx, *grads):
        raise RuntimeError(
            f"gradiente does not implement the gradient of {ctx.torch_name} yet: compute it "
            "under torch.no_grad() or on a detached tensor"
        )
