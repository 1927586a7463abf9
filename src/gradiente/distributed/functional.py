"""Differentiable collectives (``torch.distributed.nn.functional``): collectives in a graph.

If every process computes with ``S = Σ_r s_r`` (the sum of one value per process), the loss
of the whole job L = Σ_r L_r depends on each s_r through S, so dL/ds_r = Σ_r' dL_r'/dS: the
backward of an all-reduce-sum is an all-reduce-sum of the incoming gradients. The same
reasoning gives the others: all_gather hands x_r to every process, so dL/dx_r sums, over the
processes, the gradient of their copy r (a reduce-scatter); broadcast hands x_src to every
process, so dL/dx_src sums every process's gradient (a reduce to src), and the other
processes' inputs get zero. SyncBatchNorm builds its global batch statistics from all_reduce;
contrastive losses gather every process's embeddings with all_gather.
"""

from __future__ import annotations

from gradiente.autograd.function import Function
from gradiente.distributed.collectives import ReduceOp
from gradiente.distributed.collectives import all_gather as _all_gather
from gradiente.distributed.collectives import all_reduce as _all_reduce
from gradiente.distributed.collectives import broadcast as _broadcast
from gradiente.distributed.collectives import reduce as _reduce
from gradiente.distributed.collectives import reduce_scatter_tensor as _reduce_scatter_tensor
from gradiente.distributed.process_group import get_rank, get_world_size
from gradiente.tensor import Tensor, stack, zeros_like

__all__ = ["ReduceOp", "all_gather", "all_reduce", "broadcast"]


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


class _AllGather(Function):
    """out[r] = x of process r; dL/dx = Σ over processes of dL/dout[my rank]."""

    @staticmethod
    def forward(ctx, x, group):
        ctx.group = group
        outs = [zeros_like(x) for _ in range(get_world_size(group))]
        _all_gather(outs, x.detach().contiguous(), group)
        return tuple(outs)

    @staticmethod
    def backward(ctx, *grads):
        # Every process's gradients for all the copies, summed block by block: block r (the
        # gradient for x_r) lands on process r.
        stacked = stack([g.detach() for g in grads]).contiguous()
        out = zeros_like(grads[0])
        _reduce_scatter_tensor(out, stacked, ReduceOp.SUM, ctx.group)
        return out, None


class _Broadcast(Function):
    """out = x of process src; dL/dx = Σ over processes of dL/dout on src, 0 elsewhere."""

    @staticmethod
    def forward(ctx, x, src, group):
        ctx.src, ctx.group = src, group
        out = x.detach().clone()
        _broadcast(out, src, group)
        return out

    @staticmethod
    def backward(ctx, grad):
        g = grad.detach().clone()
        _reduce(g, ctx.src, ReduceOp.SUM, ctx.group)
        if get_rank() != ctx.src:
            g = zeros_like(g)
        return g, None, None


def all_reduce(tensor: Tensor, op=ReduceOp.SUM, group=None) -> Tensor:
    """A new tensor holding the sum over all processes of ``tensor``, differentiable."""
    if op is not ReduceOp.SUM:
        raise NotImplementedError("differentiable all_reduce supports ReduceOp.SUM only")
    return _AllReduceSum.apply(tensor, group)


def all_gather(tensor: Tensor, group=None) -> tuple[Tensor, ...]:
    """Every process's ``tensor``, in rank order (a tuple of new tensors), differentiable."""
    return _AllGather.apply(tensor, group)


def broadcast(tensor: Tensor, src: int, group=None) -> Tensor:
    """A new tensor holding rank ``src``'s ``tensor`` on every process, differentiable."""
    return _Broadcast.apply(tensor, src, group)
