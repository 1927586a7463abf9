"""Matrix products: matmul (1-d, 2-d and batched with broadcasting)."""

from __future__ import annotations

from gradiente.autograd.function import Function
from gradiente.backend import xp


class MatMul(Function):
    backward_name = "MmBackward0"
    _array_forward = True

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
        ctx.save_for_backward(a, b)
        ctx.ranks = (a._data.ndim, b._data.ndim)
        return xp.matmul(a._data, b._data)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        grad_a = grad_b = None
        if a.ndim == 1 and b.ndim == 1:  # dot product: d(a·b)/da = b
            grad_a = grad * b if need_a else None
            grad_b = grad * a if need_b else None
        elif a.ndim == 1:  # (k) @ (..., k, n) -> (..., n)
            g = grad.unsqueeze(-1)  # (..., n, 1)
            grad_a = (b @ g).squeeze(-1) if need_a else None  # (..., k)
            grad_b = a.unsqueeze(-1) @ g.mT if need_b else None  # (k, 1)(1, n)
        elif b.ndim == 1:  # (..., m, k) @ (k) -> (..., m)
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
