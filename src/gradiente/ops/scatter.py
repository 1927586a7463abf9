"""Scatter on arrays: the parts of ``scatter_reduce`` and ``put_`` that are algorithms rather
than argument checks.

``scatter_reduce(dim, index, src, reduce)`` combines ``src[i][j][k]`` into
``out[index[i][j][k]][j][k]`` (for dim 0) with the reduction. 'sum' and 'mean' are built by the
Tensor method from the differentiable ``ScatterAddAlongDim`` (``ops/reduce.py``); this module
gives the mean's divisor and the 'prod'/'amax'/'amin' results, which have no gradient here.
"""

from __future__ import annotations

from gradiente.backend import add_at, get_array_module, open_grid, xp
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
    m = get_array_module(index)  # the index's device (CuPy for CUDA tensors)
    count = m.zeros(shape, dtype=dtype)
    _scatter_add(count, index, m.ones(index.shape, dtype=dtype), dim)
    count = count + (1 if include_self else 0)
    return m.maximum(count, 1)


def scatter_fold(x, index, dim: int, src, reduce: str, include_self: bool):
    """A copy of ``x`` with src folded in at ``index`` along ``dim`` by 'prod', 'amax' or 'amin'
    (``ufunc.at`` applies repeated indices one after the other).

    Without ``include_self``, the positions that receive a value start from the reduction's
    identity instead of x's value: 1 for 'prod'; -inf, +inf for floats' 'amax'/'amin', the
    dtype's min or max for integers.
    """
    out = x.copy()
    full = open_grid(index, index.shape)
    full[dim] = index
    values = src[tuple(slice(0, n) for n in index.shape)]  # src may be larger than index
    if not include_self:
        identity = {"prod": 1, "amax": -xp.inf, "amin": xp.inf}[reduce]
        touched = get_array_module(out).zeros(out.shape, dtype=bool)
        touched[tuple(full)] = True
        if out.dtype.kind != "f" and reduce != "prod":
            identity = xp.iinfo(out.dtype).min if reduce == "amax" else xp.iinfo(out.dtype).max
        out[touched] = identity
    if type(out) is xp.ndarray:
        _UFUNCS[reduce].at(out, tuple(full), values)
    else:  # CuPy has no ufunc.at (and cupyx no scatter_mul): fold in rounds
        _fold_in_rounds(_UFUNCS[reduce].__name__, out, tuple(full), values)
    return out


def _fold_in_rounds(name: str, out, index, values) -> None:
    """``ufunc.at(out, index, values)`` for a CUDA array, with the same result bit for bit.

    Each value's target is a flat position p of ``out``; the values are ranked within their
    target by where they come in ``values`` (row-major, as ``ufunc.at`` applies them). Round r
    folds every value of rank r in at once, ``out[p] = ufunc(out[p], v)``; no target repeats
    within a round, so a fancy-indexed assignment is exact. Rounds: the largest number of
    values sharing one target (one host read).
    """
    m = get_array_module(out)
    ufunc = getattr(m, name)
    shape = values.shape
    # p = Σ_k index[k] · stride_k (strides of out in elements), broadcast to values' shape
    p = m.zeros(shape, dtype=m.int64)
    for i, stride in zip(index, _element_strides(out.shape), strict=True):
        p = p + i * stride
    p, v = p.reshape(-1), values.reshape(-1)
    n = p.size
    if n == 0:
        return
    order = m.argsort(p * n + m.arange(n))  # by target, then by arrival
    sorted_p = p[order]
    rank = m.arange(n) - m.searchsorted(sorted_p, sorted_p, side="left")
    flat = out.reshape(-1)  # a view: out is a fresh C-ordered copy
    for r in range(int(rank.max()) + 1):
        pick = order[rank == r]
        flat[p[pick]] = ufunc(flat[p[pick]], v[pick])


def _element_strides(shape) -> list:
    """C-order strides of ``shape`` counted in elements."""
    strides, step = [], 1
    for n in reversed(shape):
        strides.append(step)
        step *= n
    return strides[::-1]


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
