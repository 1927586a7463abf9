"""Differentiable collectives (``torch.distributed.nn.functional``): all-reduce in a graph.

If every process computes with ``S = Σ_r s_r`` (the sum of one value per process), the loss
of the whole job L = Σ_r L_r depends on each s_r through S, so dL/ds_r = Σ_r' dL_r'/dS: the
backward of an all-reduce-sum is an all-reduce-sum of the incoming gradients. SyncBatchNorm
builds its global batch statistics from this op.
"""

from __future__ import annotations

from gradiente.autograd.function import Function
from gradiente.distributed.collectives import ReduceOp
from gradiente.distributed.collectives import all_reduce as _all_reduce
from gradiente.tensor import Tensor

__all__ = ["all_reduce"]


class _AllReduceSum(Function):
    """out = Σ over processes of x; dL/dx = Σ over processes of dL/dout."""

    @staticmethod
    def forward(ctx, x, group):
        ctx.group = group
        out = x.detach().clone()
        _all_reduce(out, ReduceOp.SUM, group)
        return out

    @staticmethod
    def backward(ctx, grad):
        g = grad.detach().clone()
        _all_reduce(g, ReduceOp.SUM, ctx.group)
        return g, None


def all_reduce(tensor: Tensor, op=ReduceOp.SUM, group=None) -> Tensor:
    """A new tensor holding the sum over all processes of ``tensor``, differentiable."""
    if op is not ReduceOp.SUM:
        raise NotImplementedError("differentiable all_reduce supports ReduceOp.SUM only")
    return _AllReduceSum.apply(tensor, group)
