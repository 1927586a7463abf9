"""Products: einsum, tensordot, kron, chain_matmul, and the distances and statistics built on
them (cdist, cov, corrcoef)."""

from __future__ import annotations

import builtins
import math
import numbers

from gradiente import backend as B
from gradiente.ops import linalg as L
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
        dtype = B.promote_types(dtype, t.dtype)
    operands = [t.to(dtype) for t in operands]
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
        dims_a = list(builtins.range(a.ndim - dims, a.ndim))
        dims_b = list(builtins.range(dims))
    else:
        dims_a, dims_b = ([d] if isinstance(d, int) else list(d) for d in dims)
    dims_a = [d % a.ndim for d in dims_a]
    dims_b = [d % b.ndim for d in dims_b]
    free_a = [d for d in builtins.range(a.ndim) if d not in dims_a]
    free_b = [d for d in builtins.range(b.ndim) if d not in dims_b]
    k = math.prod(a.shape[d] for d in dims_a)
    left = a.permute(*free_a, *dims_a).reshape(-1, k)
    right = b.permute(*dims_b, *free_b).reshape(k, -1)
    shape = [a.shape[d] for d in free_a] + [b.shape[d] for d in free_b]
    return write_out(out, (left @ right).reshape(shape), "tensordot")


def kron(input, other, out=None):
    """The Kronecker product: every element of input scales a copy of other."""
    nd = builtins.max(input.ndim, other.ndim)
    a = input.reshape((1,) * (nd - input.ndim) + tuple(input.shape))
    b = other.reshape((1,) * (nd - other.ndim) + tuple(other.shape))
    # (a0, 1, a1, 1, ...) * (1, b0, 1, b1, ...) -> (a0·b0, a1·b1, ...)
    a_view = [s for n in a.shape for s in (n, 1)]
    b_view = [s for n in b.shape for s in (1, n)]
    shape = [m * n for m, n in zip(a.shape, b.shape)]
    return write_out(out, (a.reshape(a_view) * b.reshape(b_view)).reshape(shape), "kron")


def chain_matmul(*matrices):
    out = matrices[0]
    for m in matrices[1:]:
        out = out @ m
    return out


def cdist(x1, x2, p=2.0, compute_mode=None):
    """Pairwise p-norm distances between the rows of x1 (…, P, M) and x2 (…, R, M)."""
    diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)  # (…, P, R, M)
    return diff.norm(p, dim=-1)


def cov(input, correction=1, fweights=None, aweights=None):
    """The covariance of the variables in the rows of ``input`` (observations in columns)."""
    x = input if input.ndim == 2 else input.reshape(1, -1)
    x = x._float() if x.dtype.is_floating_point is False else x
    w = None
    if fweights is not None:
        w = fweights
    if aweights is not None:
        w = aweights if w is None else w * aweights
    if w is None:
        n = x.shape[1]
        centred = x - x.mean(1, keepdim=True)
        out = (centred @ centred.t()) / builtins.max(n - correction, 0)
    else:
        w = w.to(x.dtype)
        total = w.sum()
        avg = (x * w).sum(1, keepdim=True) / total
        centred = x - avg
        if aweights is None:
            norm = total - correction
        else:
            norm = total - correction * (w * aweights).sum() / total
        out = (centred * w) @ centred.t() / norm
    return out.squeeze() if input.ndim < 2 else out


def corrcoef(input):
    """Pearson correlation coefficients of the rows of ``input``."""
    c = cov(input)
    if c.ndim == 0:
        return c / c
    d = c.diagonal().sqrt()
    return (c / d.unsqueeze(1) / d.unsqueeze(0)).clamp(-1, 1)
