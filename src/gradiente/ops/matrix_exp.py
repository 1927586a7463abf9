"""The matrix exponential e^A = Σₖ Aᵏ/k! of a square matrix (or a batch), with its gradient.

Forward: scaling and squaring (Higham, "The scaling and squaring method for the matrix
exponential revisited", 2005). Each matrix is divided by 2ˢ so that its 1-norm is at most ½,
the Taylor series is summed to degree 18 (the truncation error is below ½¹⁹/19! ≈ 10⁻²³,
under float64's rounding), and the result is squared s times: e^A = (e^(A/2ˢ))^(2ˢ). Each
matrix of a batch gets its own s, so a small matrix is not squared needlessly.

Backward: the gradient of L with respect to A is the Fréchet derivative of exp at Aᵀ applied
to G = ∂L/∂(e^A), L_exp(Aᵀ, G), and that is the upper-right block of the exponential of a
block matrix twice the size (Najfeld & Havel, "Derivatives of the matrix exponential and their
computation", 1995; Mathias 1996; Al-Mohy & Higham 2009, eq. (1.3)):

    exp([[Aᵀ, G],      [[e^(Aᵀ), L_exp(Aᵀ, G)],
         [0,  Aᵀ]])  =   [0,      e^(Aᵀ)      ]]

The backward is itself ``MatrixExp`` of a Tensor, so gradients of gradients come for free.
"""

from __future__ import annotations

from gradiente.backend import is_float, torch_type_name, xp
from gradiente.ops.array_function import ArrayFunction

_TAYLOR_DEGREE = 18


def matrix_exp_array(a):
    """e^A for each n × n matrix of the array ``a`` (..., n, n)."""
    n = a.shape[-1]
    if a.size == 0:
        return a.copy()
    norm = xp.abs(a).sum(-2).max(-1)  # the 1-norm of each matrix, (...)
    with xp.errstate(divide="ignore"):
        squarings = xp.where(norm > 0.5, xp.ceil(xp.log2(norm / 0.5)), 0).astype(xp.int64)
    squarings = xp.where(xp.isfinite(norm), squarings, 0)
    scaled = a / xp.exp2(squarings)[..., None, None].astype(a.dtype)
    eye = xp.zeros_like(a, shape=(n, n))  # on a's device
    xp.fill_diagonal(eye, 1)
    identity = xp.broadcast_to(eye, a.shape)
    term, result = identity, identity.copy()
    for k in range(1, _TAYLOR_DEGREE + 1):
        term = (term @ scaled) / k
        result = result + term
    for i in range(int(squarings.max())):  # (one host read; a is not empty here)
        squared = result @ result
        result = xp.where((i < squarings)[..., None, None], squared, result)
    return result


def check_matrix_exp_input(a) -> None:
    """torch's checks of ``linalg.matrix_exp``'s argument (an array), in torch's order."""
    if a.ndim < 2:
        raise RuntimeError("linalg.matrix_exp: The input tensor A must have at least 2 dimensions.")
    if a.shape[-1] != a.shape[-2]:
        raise RuntimeError(
            "linalg.matrix_exp: A must be batches of square matrices, but they are "
            f"{a.shape[-2]} by {a.shape[-1]} matrices"
        )
    if not is_float(a.dtype):
        raise RuntimeError(
            "linalg.matrix_exp: Expected a floating point or complex tensor as input. "
            f"Got {torch_type_name(a.dtype)}"
        )


class MatrixExp(ArrayFunction):
    """e^A of square matrices (``torch.linalg.matrix_exp``), batched over leading dims."""

    backward_name = "LinalgMatrixExpBackward0"

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return matrix_exp_array(a._data)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        n = a.shape[-1]
        block = MatrixExp.apply(FrechetBlock.apply(a.mT, grad))  # (..., 2n, 2n)
        return block[..., :n, n:]


class FrechetBlock(ArrayFunction):
    """The block matrix [[B, G], [0, B]] (..., 2n, 2n) of two (..., n, n) matrices, whose
    exponential holds the Fréchet derivative L_exp(B, G) in its upper-right block."""

    backward_name = "CatBackward0"

    @staticmethod
    def forward(ctx, b, g):
        x, y = xp.broadcast_arrays(b._data, g._data)
        n = x.shape[-1]
        shape = (*x.shape[:-2], 2 * n, 2 * n)
        out = xp.zeros_like(x, dtype=xp.result_type(x, y), shape=shape)  # on x's device
        out[..., :n, :n] = x
        out[..., n:, n:] = x
        out[..., :n, n:] = y
        ctx.n = n
        return out

    @staticmethod
    def backward(ctx, grad):
        n = ctx.n
        # B appears twice (both diagonal blocks), G once
        return grad[..., :n, :n] + grad[..., n:, n:], grad[..., :n, n:]
