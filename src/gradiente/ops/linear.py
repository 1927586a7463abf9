"""The affine map of a Linear layer, y = x Wᵀ + b, as one op (one GEMM each way).

Composing it from ``matmul``, a transpose and an add would record three graph nodes and, in
backward, run each node's generic gradient; for small models that per-op overhead dominates.
Here the forward is one matrix product (Wᵀ is a view: no copy) plus an in-place bias add, and
the backward is three direct products: dL/dx = g W, dL/dW = gᵀ x, dL/db = Σ_rows g.
"""

from __future__ import annotations

from gradiente.autograd.function import Function
from gradiente.autograd.grad_mode import grad_state


class Linear(Function):
    """y = x Wᵀ + b for x of shape (*, in_features), W (out_features, in_features), b (out,)."""

    backward_name = "AddmmBackward0"
    _array_forward = True

    @staticmethod
    def forward(ctx, input, weight, bias):
        x, w = input._data, weight._data
        ctx.save_for_backward(input, weight)
        if x.ndim == 2:
            y = x @ w.T
        else:  # (*, in) -> (rows, in) -> (rows, out) -> (*, out)
            y = (x.reshape(-1, x.shape[-1]) @ w.T).reshape(x.shape[:-1] + (w.shape[0],))
        if bias is not None:
            y += bias._data
        return y

    @staticmethod
    def backward(ctx, grad):
        x, w = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad
        if grad_state.enabled:  # create_graph=True: the same products as Tensor ops
            g2 = grad.reshape(-1, w.shape[0])
            x2 = x.reshape(-1, w.shape[1])
            grad_x = (grad @ w) if need_x else None
            grad_w = (g2.mT @ x2) if need_w else None
            grad_b = g2.sum(0) if need_b else None
            return grad_x, grad_w, grad_b
        g = grad._data
        g2 = g.reshape(-1, g.shape[-1]) if g.ndim != 2 else g
        grad_x = grad_w = grad_b = None
        if need_x:
            grad_x = g @ w._data  # (*, out)(out, in) = (*, in)
        if need_w:
            x2 = x._data.reshape(-1, x._data.shape[-1])
            grad_w = g2.T @ x2  # (out, rows)(rows, in) = (out, in)
        if need_b:
            grad_b = g2.sum(axis=0)
        return grad_x, grad_w, grad_b
