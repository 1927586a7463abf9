"""Matrix products (matmul: 1-d, 2-d and batched with broadcasting, einsum) and the matrix
functions with their gradients: inverse, determinants, solve, Cholesky, eigh, SVD, QR and the
pseudo-inverse."""

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
        """torch's node: the last step of its lowering. One operand is summed over the letters
        the output drops (``SumBackward1``), else only permuted (``PermuteBackward0``); the
        operands are contracted pairwise, left to right, and the last pair is a batched
        matrix product then a view (``ViewBackward0``) when it sums a letter the two share,
        else an element-wise product (``MulBackward0``)."""
        subs, out = self.subs, set(self.out)
        if len(subs) == 1:
            return "SumBackward1" if set(subs[0]) - out else "PermuteBackward0"
        shared = set("".join(subs[:-1])) & set(subs[-1])
        return "ViewBackward0" if shared - out else "MulBackward0"

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
                    tensors.append(_eye_like(grad, n, dtype=ctx.dtype))
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


def _saved_outputs(ctx):
    """``ctx.saved_tensors`` of a node that saved all its outputs, in order: each numbered as
    the output it is, so that under ``create_graph`` a gradient through it (a second-order
    term) reaches that output and not the first one."""
    saved = ctx.saved_tensors
    for output_nr, t in enumerate(saved):
        if t.grad_fn is ctx:
            t._output_nr = output_nr
    return saved


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
        w, v = _saved_outputs(ctx)
        # dL/dA = V (diag(ḡ_w) + F ∘ (Vᵀ Ḡ_V)) Vᵀ with F_ij = 1/(w_j − w_i), F_ii = 0
        # dL/dA = V (diag(ḡ_w) + skew(Vᵀ Ḡ_V) / E) Vᵀ, skew(X) = (X − Xᵀ)/2 and
        # E_ij = w_j − w_i off the diagonal: only the skew part of Vᵀ Ḡ_V moves an orthogonal V
        # (torch's linalg_eig_backward, Hermitian case), so the gradient is symmetric.
        inner = grad_w.diag_embed()
        if grad_v._data.any():
            off_diagonal = ~_eye_like(w, w.shape[-1], dtype=bool)
            gap = (w.unsqueeze(-2) - w.unsqueeze(-1)).masked_fill(~off_diagonal, 1.0)
            vg = v.mT @ grad_v
            inner = inner + 0.5 * (vg - vg.mT) / gap * off_diagonal
        return v @ inner @ v.mT, None


def _eye_like(t, rows: int, cols: int | None = None, dtype=None):
    """A constant (rows, cols) identity matrix of ``t``'s dtype (or ``dtype``), on ``t``'s
    device."""
    eye = xp.zeros_like(t._data, dtype=dtype, shape=(rows, rows if cols is None else cols))
    xp.fill_diagonal(eye, 1)
    return type(t)._make(eye)


def _solve_right_transposed(r, g):
    """X with X Rᵀ = G (torch's ``solve_triangular(Rᵀ, G, left=False)``), as R Xᵀ = Gᵀ."""
    return Solve.apply(r, g.mT, False).mT


class Svd(ArrayFunction):
    """A = U diag(S) Vh, singular values descending (LAPACK's gesdd, as torch's CPU default).

    Backward is torch's ``svd_backward`` (real case), for distinct singular values and, when
    A is not square, full rank. Outputs no path to the loss used arrive as ``None`` (not
    zeros), so that ``svdvals`` (only S used) takes the short formula U diag(ḡ_S) Vh, which
    stays finite where singular values repeat, as in torch.
    """

    backward_name = "LinalgSvdBackward0"

    @staticmethod
    def forward(ctx, a, full_matrices):
        ctx.set_materialize_grads(False)
        ctx.full_matrices = full_matrices
        u, s, vh = xp.linalg.svd(a._data, full_matrices=full_matrices)
        ctx.save_for_backward(u, s, vh)
        return u, s, vh

    @staticmethod
    def backward(ctx, grad_u, grad_s, grad_vh):
        u, s, vh = _saved_outputs(ctx)
        if ctx.full_matrices:  # only the first k = min(m, n) vectors are determined by A
            k = s.shape[-1]
            u, vh = u[..., :k], vh[..., :k, :]
            grad_u = None if grad_u is None else grad_u[..., :k]
            grad_vh = None if grad_vh is None else grad_vh[..., :k, :]
        return svd_backward(grad_u, grad_s, grad_vh, u, s, vh), None


def svd_backward(gU, gS, gVh, U, S, Vh):
    """dL/dA from the gradients of the reduced SVD's factors (any may be None); torch's
    formula (J. Townsend, "Differentiating the singular value decomposition"):

        gA = U [skew(Uᵀ gU) / E · S + S · skew(V ᵀ gV) / E + diag(gS)] Vᵀ
             (+ (I − U Uᵀ) gU S⁻¹ Vᵀ when m > n,  + U S⁻¹ gVh (I − V Vᵀ) when m < n)

    with skew(X) = X − Xᵀ and E_jk = S_k² − S_j² (1 on the diagonal, where skew is 0)."""
    m, n = U.shape[-2], Vh.shape[-1]
    if gU is None and gVh is None:
        if gS is None:
            return None
        return U @ (gS.unsqueeze(-1) * Vh) if m >= n else (U * gS.unsqueeze(-2)) @ Vh
    s2 = S * S
    E = s2.unsqueeze(-2) - s2.unsqueeze(-1) + _eye_like(S, S.shape[-1])
    if gU is not None:
        UhgU = U.mT @ gU
        UhgU = UhgU - UhgU.mT
    if gVh is not None:
        VhgV = Vh @ gVh.mT
        VhgV = VhgV - VhgV.mT
    if gU is not None and gVh is not None:
        inner = (UhgU * S.unsqueeze(-2) + S.unsqueeze(-1) * VhgV) / E
    elif gU is not None:
        inner = (UhgU / E) * S.unsqueeze(-2)
    else:
        inner = S.unsqueeze(-1) * (VhgV / E)
    if gS is not None:
        inner = inner + gS.diag_embed()
    if m > n and gU is not None:
        gUSinv = gU / S.unsqueeze(-2)
        return (U @ inner + gUSinv - U @ (U.mT @ gUSinv)) @ Vh
    if m < n and gVh is not None:
        SinvgVh = gVh / S.unsqueeze(-1)
        return U @ (inner @ Vh + SinvgVh - (SinvgVh @ Vh.mT) @ Vh)
    return U @ (inner @ Vh) if m >= n else (U @ inner) @ Vh


class Qr(ArrayFunction):
    """A = Q R with orthonormal Q and upper-triangular R (LAPACK's geqrf, as torch), in
    torch's modes "reduced", "complete" and "r" (R only, Q an empty tensor).

    Backward is torch's ``linalg_qr_backward``: it needs Q (not "r"), and a tall A's complete
    Q has columns that A does not determine (not "complete" with m > n)."""

    backward_name = "LinalgQrBackward0"

    @staticmethod
    def forward(ctx, a, mode):
        ctx.set_materialize_grads(False)
        ctx.mode = mode
        if mode == "r":
            r = xp.linalg.qr(a._data, mode="r")
            q = xp.zeros(0, dtype=r.dtype)
        else:
            q, r = xp.linalg.qr(a._data, mode=mode)
        ctx.save_for_backward(q, r)
        return q, r

    @staticmethod
    def backward(ctx, grad_q, grad_r):
        if ctx.mode == "r":
            raise RuntimeError(
                "The derivative of linalg.qr depends on Q, which is not computed when "
                "mode='r'. Please use linalg.qr(A, mode='reduced') if you are going to "
                "differentiate through linalg.qr."
            )
        q, r = _saved_outputs(ctx)
        m, n = q.shape[-2], r.shape[-1]
        if ctx.mode == "complete" and m > n:
            raise RuntimeError(
                "The QR decomposition is not differentiable when mode='complete' and nrows > ncols."
            )
        if grad_q is None and grad_r is None:
            return None, None
        # M = gR Rᵀ − Qᵀ gQ (the terms present)
        if grad_q is None:
            g = grad_r @ r.mT
        elif grad_r is None:
            g = -(q.mT @ grad_q)
        else:
            g = grad_r @ r.mT - q.mT @ grad_q
        if m >= n:
            # gA = (gQ + Q copyltu(M)) R⁻ᵀ, copyltu(M) = triu(M) + triu(M, 1)ᵀ (the adjoint
            # of the map from a symmetric matrix to its upper triangle, diagonal halved)
            g = q @ (g.triu() + g.triu(1).mT)
            if grad_q is not None:
                g = g + grad_q
            return _solve_right_transposed(r, g), None
        # wide: gA = Q gR + [Q tril(Mᵀ − M) R₁⁻ᵀ, 0], R₁ the leading m × m block of R
        g = q @ (g.mT - g).tril()
        g = _solve_right_transposed(r[..., :m], g) @ _eye_like(g, m, n)
        if grad_r is not None:
            g = g + q @ grad_r
        return g, None


def pinv_tolerance(s_max, shape, dtype, atol, rtol):
    """The cut max(atol, rtol·σ_max) below which (or at which) singular values count as zero,
    by torch's rule: without ``rtol``, it is ε·max(m, n), or 0 when ``atol`` > 0 is given."""
    if rtol is None:
        default = max(shape[-2:]) * xp.finfo(dtype).eps
        rtol = default if atol is None else xp.where(xp.asarray(atol) > 0, 0.0, default)
    return xp.maximum(0.0 if atol is None else atol, rtol * s_max)


def pinv_array(a, atol=None, rtol=None, hermitian=False):
    """A⁺ on arrays as torch computes it: V diag(1/σ) Uᵀ over the singular values above the
    tolerance (``hermitian``: U diag(1/λ) Uᵀ from ``eigh`` of the lower triangle, over the
    eigenvalues with |λ| above it)."""
    atol = None if atol is None else xp.asarray(atol)[..., None]
    rtol = None if rtol is None else xp.asarray(rtol)[..., None]
    if hermitian:
        w, u = xp.linalg.eigh(a)
        magnitude = xp.abs(w)
        top = magnitude.max(-1, keepdims=True) if w.shape[-1] else magnitude
        keep = magnitude > pinv_tolerance(top, a.shape, a.dtype, atol, rtol)
        inverse = xp.where(keep, 1.0 / xp.where(keep, w, 1.0), 0.0).astype(a.dtype)
        return (u * inverse[..., None, :]) @ xp.swapaxes(u, -1, -2)
    u, s, vh = xp.linalg.svd(a, full_matrices=False)
    top = s[..., :1]
    keep = s > pinv_tolerance(top, a.shape, a.dtype, atol, rtol)
    inverse = xp.where(keep, 1.0 / xp.where(keep, s, 1.0), 0.0).astype(a.dtype)
    return (xp.swapaxes(vh, -1, -2) * inverse[..., None, :]) @ xp.swapaxes(u, -1, -2)


class Pinv(ArrayFunction):
    """The Moore–Penrose pseudo-inverse A⁺ (see ``pinv_array``); torch's ``pinv_backward``,
    exact where the rank is constant nearby (Golub & Pereyra 1973)."""

    backward_name = "LinalgPinvBackward0"

    @staticmethod
    def forward(ctx, a, atol, rtol, hermitian):
        out = pinv_array(a._data, atol, rtol, hermitian)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, p = ctx.saved_tensors
        m, n = a.shape[-2:]
        # dA⁺ = −A⁺ dA A⁺ + A⁺A⁺ᵀ dAᵀ (I − A A⁺) + (I − A⁺A) dAᵀ A⁺ᵀ A⁺, transposed into
        # gA, grouped so that the products are of the smaller size
        pt, gt = p.mT, grad.mT
        if m <= n:
            K = gt @ p
            Kpt = K @ pt
            g = -(p @ K).mT + Kpt - (a @ p) @ Kpt + (pt @ p) @ (gt - K @ a)
        else:
            K = p @ gt
            ptK = pt @ K
            g = -(K @ p).mT + ((gt - a @ K) @ p) @ pt + ptK - (ptK @ p) @ a
        return g, None, None, None


class Decomposition(ArrayFunction):
    """A NumPy decomposition without a gradient (lu_factor, ldl_factor, and the forward-only
    paths of svdvals and matrix norms when nothing needs a gradient).

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
