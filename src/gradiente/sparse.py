"""``torch.sparse`` for the dense tensors gradiente has.

gradiente's tensors are all dense (strided): there is no sparse layout, so ``to_sparse`` and
``sparse_coo_tensor`` stay unsupported. What is here are the functions of ``torch.sparse``
that PyTorch also accepts for dense operands, which graph-network code calls on a dense
adjacency matrix (``torch.sparse.mm(adj, x)``, ``torch.spmm(adj, x)``): on dense tensors they
are the ordinary matrix products, with the same results and gradients.
"""

from __future__ import annotations

from gradiente.tensor import Tensor

__all__ = ["Tensor", "addmm", "mm"]


def mm(mat1: Tensor, mat2: Tensor) -> Tensor:
    """The matrix product ``mat1 @ mat2`` (``torch.sparse.mm``; in PyTorch ``mat1`` may be
    sparse, here both are dense).

    PyTorch computes it as ``(mat2ᵀ @ mat1ᵀ)ᵀ``, so the result is laid out column by column
    (strides ``(1, rows)``); so is this one. The values are the same as ``mat1 @ mat2``, but
    the layout decides which elements a following dropout zeroes, since random masks are
    drawn in memory order.
    """
    return mat2.t().mm(mat1.t()).t()


def addmm(mat: Tensor, mat1: Tensor, mat2: Tensor, *, beta=1.0, alpha=1.0) -> Tensor:
    """``beta * mat + alpha * (mat1 @ mat2)`` (``torch.sparse.addmm``, dense operands)."""
    return mat.addmm(mat1, mat2, beta=beta, alpha=alpha)
