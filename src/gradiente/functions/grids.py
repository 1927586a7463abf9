"""Grids and combinatorics: meshgrid, cartesian_prod, combinations, block_diag,
tril_indices/triu_indices, vander."""

from __future__ import annotations

import builtins
import itertools

from gradiente import backend as B
from gradiente.backend import xp
from gradiente.functions.joining import _tensors
from gradiente.functions.torch_aliases import warn_once
from gradiente.tensor import (
    arange,
    as_tensor,
    cat,
    empty,
    stack,
    zeros,
)


def meshgrid(*tensors, indexing=None):
    """Coordinate grids: with ``indexing='ij'`` (the default) output i varies along dim i."""
    tensors = _tensors(tensors)
    if indexing is None:
        warn_once(
            "torch.meshgrid: in an upcoming release, it will be required to pass the "
            "indexing argument."
        )
    indexing = indexing or "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(
            f"torch.meshgrid: indexing must be one of 'xy' or 'ij', but received: {indexing}"
        )
    flat = [t.reshape(-1) for t in tensors]
    if indexing == "xy" and len(flat) >= 2:
        flat[0], flat[1] = flat[1], flat[0]
    shape = tuple(t.shape[0] for t in flat)
    grids = []
    for i, t in enumerate(flat):
        view = [1] * len(flat)
        view[i] = -1
        grids.append(t.reshape(view).expand(shape))
    if indexing == "xy" and len(grids) >= 2:
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)


def cartesian_prod(*tensors):
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return stack([g.reshape(-1) for g in grids], 1)


def combinations(input, r=2, with_replacement=False):
    """All length-r combinations of a 1-D tensor's elements, in lexicographic index order."""
    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    index = list(pick(builtins.range(input.shape[0]), r))
    if not index:
        return empty(0, r, dtype=input.dtype, device=input.device)
    idx = as_tensor(xp.asarray(index, dtype=xp.int64), device=input.device)
    return input[idx]


def block_diag(*tensors):
    """A block-diagonal matrix made of the given matrices (scalars and vectors are rows)."""
    mats = [t.reshape(1, -1) if t.ndim < 2 else t for t in tensors]
    dtype = mats[0].dtype
    for m in mats[1:]:
        dtype = B.promote_types(dtype, m.dtype)
    rows = []
    total = builtins.sum(m.shape[1] for m in mats)
    start = 0
    for m in mats:
        left = zeros(m.shape[0], start, dtype=dtype, device=m.device)
        right = zeros(m.shape[0], total - start - m.shape[1], dtype=dtype, device=m.device)
        rows.append(cat([left, m.to(dtype), right], 1))
        start += m.shape[1]
    return cat(rows, 0)


def _triangle_indices(row, col, offset, lower, dtype, device):
    r, c = xp.tril_indices(row, offset, col) if lower else xp.triu_indices(row, offset, col)
    return as_tensor(xp.stack([r, c]).astype((dtype or B.int64).np), device=device)


def tril_indices(row, col, offset=0, dtype=None, device=None, layout=None):
    """The (row, col) coordinates of the lower triangle, as a 2 × N tensor."""
    return _triangle_indices(row, col, offset, True, dtype, device)


def triu_indices(row, col, offset=0, dtype=None, device=None, layout=None):
    return _triangle_indices(row, col, offset, False, dtype, device)


def vander(x, N=None, increasing=False):
    """The Vandermonde matrix of x: columns x^(N−1), …, x⁰ (``increasing``: x⁰ first)."""
    n = x.shape[0] if N is None else N
    if n <= 1:  # ones (or nothing): torch records no graph
        x = x.detach()
    powers = arange(n, device=x.device) if increasing else arange(n - 1, -1, -1, device=x.device)
    return x.unsqueeze(-1) ** powers
