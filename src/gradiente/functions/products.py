"""Products: einsum, tensordot, chain_matmul, and the distances built on them (cdist, pdist).
(``kron``, ``cov`` and ``corrcoef`` are Tensor methods, in ``tensor/linalg.py``.)"""

from __future__ import annotations

import builtins
import math
import numbers

from gradiente import backend as B
from gradiente.functions.grids import triu_indices
from gradiente.functions.torch_aliases import warn_once
from gradiente.ops import linalg as L
from gradiente.ops.loss import FusedAs
from gradiente.tensor import (
    Tensor,
    as_tensor,
    write_out,
)


def einsum(equation, *operands):
    """Einstein summation: ``einsum("ij,jk->ik", a, b)`` is ``a @ b``.

    Operands may also be passed as one list. The gradient of each operand is again an einsum.
    """
    if not isinstance(equation, str):  # einsum(op1, [0, 1], op2, [1, 2], [0, 2])
        equation, operands = _sublist_equation((equation, *operands))
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    operands = [t if isinstance(t, Tensor) else as_tensor(t) for t in operands]
    dtype = operands[0].dtype
    for t in operands[1:]:
        if t.dtype != dtype:  # torch's contractions (bmm) do not promote
            raise RuntimeError(
                f"expected scalar type {B.torch_type_name(operands[0]._data.dtype)} but found "
                f"{B.torch_type_name(t._data.dtype)}"
            )
    subs, out = L.normalize_einsum(equation, [t.ndim for t in operands])
    return L.Einsum.apply(subs, out, *operands)


def _sublist_equation(args):
    """The equation string of einsum's sublist form (operands followed by their dim lists)."""
    letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

    def spell(sublist):
        return "".join("..." if d is Ellipsis else letters[d] for d in sublist)

    operands, subs = list(args[0::2]), [spell(s) for s in args[1::2]]
    out = ""
    if len(args) % 2:  # an output sublist was given last
        operands, out = operands[:-1], "->" + spell(args[-1])
    return ",".join(subs[: len(operands)]) + out, operands


def tensordot(a, b, dims=2, out=None):
    """Contract the last ``dims`` dims of a with the first of b (or the listed dim pairs)."""
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, numbers.Integral):
        dims_a = list(builtins.range(-dims, 0))  # as torch names them in its error
        dims_b = list(builtins.range(dims))
    else:
        dims_a, dims_b = ([d] if isinstance(d, int) else list(d) for d in dims)
    a, b = _contracted_sizes_matched(a, b, dims_a, dims_b)
    dims_a = [d % a.ndim for d in dims_a]
    dims_b = [d % b.ndim for d in dims_b]
    free_a = [d for d in builtins.range(a.ndim) if d not in dims_a]
    free_b = [d for d in builtins.range(b.ndim) if d not in dims_b]
    k = math.prod(a.shape[d] for d in dims_a)
    left = a.permute(*free_a, *dims_a).reshape(-1, k)
    right = b.permute(*dims_b, *free_b).reshape(k, -1)
    shape = [a.shape[d] for d in free_a] + [b.shape[d] for d in free_b]
    return write_out(out, (left @ right).reshape(shape), "tensordot")


def _contracted_sizes_matched(a, b, dims_a, dims_b):
    """a and b with each contracted pair of sizes made equal as torch does: a dim of size 1
    broadcasts against the other, which is then summed over first (keeping the dim)."""
    for da, db in zip(dims_a, dims_b):
        sa, sb = a.shape[da], b.shape[db]
        if sa == sb:
            continue
        if sa != 1 and sb != 1:
            raise RuntimeError(
                f"contracted dimensions need to match, but first has size {sa} in dim {da} "
                f"and second has size {sb} in dim {db}"
            )
        if sa == 1:
            b = b.sum(db, keepdim=True)
        else:
            a = a.sum(da, keepdim=True)
    return a, b


def chain_matmul(*matrices):
    """The product of the matrices, left to right (deprecated: ``torch.linalg.multi_dot``)."""
    warn_once(
        "torch.chain_matmul is deprecated and will be removed in a future PyTorch release. "
        "Use torch.linalg.multi_dot instead, which accepts a list of two or more tensors "
        "rather than multiple parameters."
    )
    out = matrices[0]
    for m in matrices[1:]:
        out = out @ m
    return out


def cdist(x1, x2, p=2.0, compute_mode=None):
    """Pairwise p-norm distances between the rows of x1 (…, P, M) and x2 (…, R, M)."""
    diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)  # (…, P, R, M)
    if p == 0:  # the count of differing entries; its gradient is 0 (sign's), as torch's
        return diff.sign().abs().sum(-1)
    return diff.norm(p, dim=-1)


def pdist(input, p=2.0):
    """‖x_i − x_j‖_p for every pair of rows i < j of ``input`` (N, M), in row-major order of
    the upper triangle: N(N − 1)/2 distances (also ``nn.functional.pdist``)."""
    if input.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.ndim}D")
    if not input.dtype.is_floating_point:
        raise RuntimeError("pdist only supports floating-point dtypes")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    n = input.shape[0]
    rows, cols = triu_indices(n, n, 1)
    diff = input[rows] - input[cols]  # (N(N − 1)/2, M)
    if p == 0:  # the count of differing entries; its gradient is 0 (sign's)
        out = diff.sign().abs().sum(1)
    else:
        out = diff.norm(p, dim=1)
    if not out.requires_grad:
        return out
    return FusedAs.apply(out, "PdistBackward0", input)  # torch's one node, which keeps x
