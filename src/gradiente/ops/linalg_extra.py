"""More linear-algebra primitives: ``cholesky_inverse`` ((L Lᵀ)⁻¹ from a Cholesky factor) and
the LDLᵀ factorisation of symmetric indefinite matrices with its solver (on arrays)."""

from __future__ import annotations

from gradiente.backend import xp
from gradiente.ops.array_function import ArrayFunction


class CholeskyInverse(ArrayFunction):
    """A⁻¹ = (L Lᵀ)⁻¹ = L⁻ᵀ L⁻¹ from A's lower Cholesky factor L (``upper``: A = Uᵀ U,
    A⁻¹ = U⁻¹ U⁻ᵀ). As LAPACK's potri, the forward pass reads only L's triangle."""

    backward_name = "CholeskyInverseBackward0"

    @staticmethod
    def forward(ctx, factor, upper):
        f = factor._data
        low = xp.swapaxes(xp.triu(f), -1, -2) if upper else xp.tril(f)
        low_inv = xp.linalg.inv(low)  # L⁻¹ (a triangular matrix's inverse is triangular)
        out = xp.swapaxes(low_inv, -1, -2) @ low_inv  # L⁻ᵀ L⁻¹
        ctx.upper = upper
        ctx.save_for_backward(factor, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        factor, inv = ctx.saved_tensors
        # X = (L Lᵀ)⁻¹: dX = −X (dL Lᵀ + L dLᵀ) X  ⇒  ∂/∂L = −X (G + Gᵀ) X L
        # (upper: −U X (G + Gᵀ) X), with the whole input as L, as torch's formula: the
        # gradient is not masked to the triangle the forward pass reads)
        common = inv @ (grad + grad.mT) @ inv
        return (-(factor @ common) if ctx.upper else -(common @ factor)), None


# ---------------------------------------------------------------------------------------------
# LDLᵀ with Bunch–Kaufman pivoting (LAPACK's sytrf / sytrs, lower triangle), on arrays

_BUNCH_KAUFMAN_ALPHA = (1 + 17**0.5) / 8  # balances the growth of 1×1 and 2×2 pivot steps


def ldl_factor(a):
    """(LD, pivots, info) of symmetric matrices (..., n, n) from their lower triangles, as
    LAPACK's ``sytrf(uplo="L")`` (unblocked ``sytf2``) packs them: P A Pᵀ = L D Lᵀ with D
    block diagonal (1×1 and 2×2 blocks) on LD's diagonal band, L's multipliers below; 1-based
    int32 pivots, negative for both rows of a 2×2 block; info = k > 0 where D's k-th diagonal
    entry is exactly zero. LD's strict upper triangle is zero."""
    n = a.shape[-1]
    batch = a.shape[:-2]
    flat = xp.array(a.reshape(-1, n, n), copy=True)
    pivots = xp.zeros((flat.shape[0], n), dtype=xp.int32)
    info = xp.zeros(flat.shape[0], dtype=xp.int32)
    for b in range(flat.shape[0]):
        info[b] = _sytf2_lower(flat[b], pivots[b])
    ld = xp.tril(flat).reshape(a.shape)
    return ld, pivots.reshape(batch + (n,)), info.reshape(batch)


def _sytf2_lower(A, ipiv) -> int:
    """LAPACK's dsytf2 (lower) in place on one matrix; 0-based k, 1-based ``ipiv``."""
    n = A.shape[0]
    info = 0
    k = 0
    while k < n:
        kstep = 1
        absakk = abs(A[k, k])
        if k < n - 1:
            imax = k + 1 + int(xp.argmax(xp.abs(A[k + 1 :, k])))
            colmax = abs(A[imax, k])
        else:
            imax, colmax = k, 0.0
        if max(absakk, colmax) == 0 or absakk != absakk:  # a zero column (or NaN): singular
            if info == 0:
                info = k + 1
            kp = k
        else:
            if absakk >= _BUNCH_KAUFMAN_ALPHA * colmax:
                kp = k  # the diagonal entry is large enough: a 1×1 pivot, no interchange
            else:
                # the largest off-diagonal entry of row/column imax
                jmax = k + int(xp.argmax(xp.abs(A[imax, k:imax])))
                rowmax = abs(A[imax, jmax])
                if imax < n - 1:
                    jmax = imax + 1 + int(xp.argmax(xp.abs(A[imax + 1 :, imax])))
                    rowmax = max(rowmax, abs(A[jmax, imax]))
                if absakk >= _BUNCH_KAUFMAN_ALPHA * colmax * (colmax / rowmax):
                    kp = k
                elif abs(A[imax, imax]) >= _BUNCH_KAUFMAN_ALPHA * rowmax:
                    kp = imax  # a 1×1 pivot after swapping k and imax
                else:
                    kp, kstep = imax, 2  # a 2×2 pivot on rows k, imax (moved to k + 1)
            kk = k + kstep - 1
            if kp != kk:  # swap rows and columns kk and kp of the trailing lower triangle
                A[kp + 1 :, [kk, kp]] = A[kp + 1 :, [kp, kk]]
                segment = A[kk + 1 : kp, kk].copy()
                A[kk + 1 : kp, kk] = A[kp, kk + 1 : kp]
                A[kp, kk + 1 : kp] = segment
                A[kk, kk], A[kp, kp] = A[kp, kp], A[kk, kk]
                if kstep == 2:
                    A[k + 1, k], A[kp, k] = A[kp, k], A[k + 1, k]
            if kstep == 1 and k < n - 1:
                # A₂₂ ← A₂₂ − x xᵀ / d (lower triangle), then x ← x / d
                d11 = 1.0 / A[k, k]
                x = A[k + 1 :, k].copy()
                A[k + 1 :, k + 1 :] += xp.tril(x[:, None] * (-d11 * x)[None, :])
                A[k + 1 :, k] = x * d11
            elif kstep == 2 and k < n - 2:
                # A₂₂ ← A₂₂ − [x y] D⁻¹ [x y]ᵀ with D the 2×2 block, then [x y] ← [x y] D⁻¹
                d21 = A[k + 1, k]
                d11 = A[k + 1, k + 1] / d21
                d22 = A[k, k] / d21
                t = 1.0 / (d11 * d22 - 1.0)
                d21 = t / d21
                x, y = A[k + 2 :, k].copy(), A[k + 2 :, k + 1].copy()
                wk = d21 * (d11 * x - y)
                wkp1 = d21 * (d22 * y - x)
                A[k + 2 :, k + 2 :] -= xp.tril(x[:, None] * wk)
                A[k + 2 :, k + 2 :] -= xp.tril(y[:, None] * wkp1)
                A[k + 2 :, k] = wk
                A[k + 2 :, k + 1] = wkp1
        if kstep == 1:
            ipiv[k] = kp + 1
        else:
            ipiv[k] = ipiv[k + 1] = -(kp + 1)
        k += kstep
    return info


def ldl_solve(ld, pivots, b):
    """X with A X = B from A's ``ldl_factor`` (LAPACK's ``sytrs``, lower), batched: undo the
    interchanges and L, divide by D's blocks, then apply Lᵀ and the interchanges back."""
    n = ld.shape[-1]
    batch = xp.broadcast_shapes(ld.shape[:-2], pivots.shape[:-1], b.shape[:-2])
    lds = xp.broadcast_to(ld, batch + ld.shape[-2:]).reshape(-1, n, n)
    pivs = xp.broadcast_to(pivots, batch + pivots.shape[-1:]).reshape(-1, n)
    out = xp.array(xp.broadcast_to(b, batch + b.shape[-2:]), copy=True).reshape(-1, n, b.shape[-1])
    for A, ipiv, B in zip(lds, pivs, out):
        _sytrs_lower(A, ipiv, B)
    return out.reshape(batch + b.shape[-2:])


def _sytrs_lower(A, ipiv, B) -> None:
    """LAPACK's dsytrs (lower) in place on one right-hand side block B (n, nrhs)."""
    n = A.shape[0]
    k = 0
    while k < n:  # solve L D Y = P B
        if ipiv[k] > 0:
            kp = ipiv[k] - 1
            B[[k, kp]] = B[[kp, k]]
            B[k + 1 :] -= A[k + 1 :, k, None] * B[k]
            B[k] /= A[k, k]
            k += 1
        else:
            kp = -ipiv[k] - 1
            B[[k + 1, kp]] = B[[kp, k + 1]]
            B[k + 2 :] -= A[k + 2 :, k, None] * B[k] + A[k + 2 :, k + 1, None] * B[k + 1]
            akm1k = A[k + 1, k]
            akm1, ak = A[k, k] / akm1k, A[k + 1, k + 1] / akm1k
            denom = akm1 * ak - 1.0
            bkm1, bk = B[k] / akm1k, B[k + 1] / akm1k
            B[k], B[k + 1] = (ak * bkm1 - bk) / denom, (akm1 * bk - bkm1) / denom
            k += 2
    k = n - 1
    while k >= 0:  # solve Lᵀ Pᵀ X = Y
        if ipiv[k] > 0:
            B[k] -= A[k + 1 :, k] @ B[k + 1 :]
            kp = ipiv[k] - 1
            B[[k, kp]] = B[[kp, k]]
            k -= 1
        else:
            B[k] -= A[k + 1 :, k] @ B[k + 1 :]
            B[k - 1] -= A[k + 1 :, k - 1] @ B[k + 1 :]
            kp = -ipiv[k] - 1
            B[[k, kp]] = B[[kp, k]]
            k -= 2
