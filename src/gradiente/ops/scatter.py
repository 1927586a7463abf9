"""Scatter on arrays: the parts of ``scatter_reduce`` and ``put_`` that are algorithms rather
than argument checks.

``scatter_reduce(dim, index, src, reduce)`` combines ``src[i][j][k]`` into
``out[index[i][j][k]][j][k]`` (for dim 0) with the reduction. 'sum' and 'mean' are built by the
Tensor method from the differentiable ``ScatterAddAlongDim`` (``ops/reduce.py``); this module
gives the mean's divisor and the 'prod'/'amax'/'amin' results, which have no gradient here.
"""

from __future__ import annotations

from gradiente.backend import add_at, xp
from gradiente.ops.reduce import _scatter_add

# the ufunc that folds one value in, for the reductions done with ``ufunc.at``
_UFUNCS = {"prod": xp.multiply, "amax": xp.maximum, "amin": xp.minimum}


def check_reduction(reduce: str) -> None:
    """scatter_reduce's ``reduce`` must be one of torch's five names."""
    if reduce not in ("sum", "mean") and reduce not in _UFUNCS:
        raise RuntimeError(
            f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}"
        )


def scatter_count(index, dim: int, shape, dtype, include_self: bool):
    """The mean's divisor: how many values land on each position of the output (plus one for
    self's own value with ``include_self``), at least 1 so untouched positions keep their
    value."""
    count = xp.zeros(shape, dtype=dtype)
    _scatter_add(count, index, xp.ones(index.shape, dtype=dtype), dim)
    count = count + (1 if include_self else 0)
    return xp.maximum(count, 1)


def scatter_fold(x, index, dim: int, src, reduce: str, include_self: bool):
    """A copy of ``x`` with src folded in at ``index`` along ``dim`` by 'prod', 'amax' or 'amin'
    (``ufunc.at`` applies repeated indices one after the other).

    Without ``include_self``, the positions that receive a value start from the reduction's
    identity instead of x's value: 1 for 'prod'; -inf, +inf for floats' 'amax'/'amin', the
    dtype's min or max for integers.
    """
    out = x.copy()
    full = list(xp.indices(index.shape, sparse=True))
    full[dim] = index
    values = src[tuple(slice(0, n) for n in index.shape)]  # src may be larger than index
    if not include_self:
        identity = {"prod": 1, "amax": -xp.inf, "amin": xp.inf}[reduce]
        touched = xp.zeros(out.shape, dtype=bool)
        touched[tuple(full)] = True
        if out.dtype.kind != "f" and reduce != "prod":
            identity = xp.iinfo(out.dtype).min if reduce == "amax" else xp.iinfo(out.dtype).max
        out[touched] = identity
    _UFUNCS[reduce].at(out, tuple(full), values)
    return out


def put(x, index, source, accumulate: bool):
    """A copy of ``x`` with the flat positions ``index`` (into x read as 1-D) set to the
    elements of ``source`` in order, or added to them with ``accumulate`` (repeated indices
    then add up)."""
    flat = x.reshape(-1).copy()
    if accumulate:
        add_at(flat, index, source.reshape(-1))
    else:
        flat[index] = source.reshape(-1)
    return flat.reshape(x.shape)
