"""Scatter on arrays: the parts of ``scatter_reduce`` and ``put_`` that are algorithms rather
than argument checks.

``scatter_reduce(dim, index, src, reduce)`` combines ``src[i][j][k]`` into
``out[index[i][j][k]][j][k]`` (for dim 0) with the reduction. 'sum' and 'mean' are built by the
Tensor method from the differentiable ``ScatterAddAlongDim`` (``ops/reduce.py``); this module
gives the mean's divisor and the 'prod'/'amax'/'amin' results, with torch's gradients for
them (``ScatterReduce``).
"""

from __future__ import annotations

from gradiente.autograd.grad_mode import grad_state
from gradiente.backend import add_at, get_array_module, open_grid, xp
from gradiente.ops.array_function import ArrayFunction
from gradiente.ops.index import kept
from gradiente.ops.reduce import GatherAlongDim, Scatter, ScatterAddAlongDim, _scatter_add

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


class ScatterReduce(ArrayFunction):
    """``self.scatter_reduce(dim, index, src, reduce, include_self)`` for 'prod', 'amax' and
    'amin', with torch's gradients (``scatter_reduce_backward`` in torch's autograd).

    ``src`` has index's shape here (the Tensor method cuts a larger src down first).
    """

    backward_name = "ScatterReduceBackward0"

    @staticmethod
    def forward(ctx, a, index, dim, src, reduce, include_self):
        ctx.index, ctx.dim, ctx.reduce = kept(index), dim, reduce
        ctx.include_self = include_self
        out = scatter_fold(a._data, index, dim, src._data, reduce, include_self)
        ctx.save_for_backward(a, src, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, src, out = ctx.saved_tensors
        index, dim = ctx.index, ctx.dim
        if ctx.reduce == "prod":
            grad_a, grad_src = _prod_gradients(ctx, grad, a, src, out)
        else:
            # amax/amin: the gradient is shared evenly among all the values equal to the
            # result, self's own value included when it equals it
            value = GatherAlongDim.apply(out, index, dim)
            a_is_result = (a == out).to(grad.dtype)
            src_is_result = (src == value).to(grad.dtype)
            count = a_is_result + ScatterAddAlongDim.apply(src_is_result, index, dim, a.shape)
            shared = grad / count
            grad_a = a_is_result * shared
            grad_src = src_is_result * GatherAlongDim.apply(shared, index, dim)
        if not ctx.include_self:
            grad_a = Scatter.apply(grad_a, index, dim, 0.0)  # self's values were not folded in
        return grad_a, None, None, grad_src, None, None


def _prod_gradients(ctx, grad, a, src, out):
    """d(out)/d(self) and d(out)/d(src) of a scatter 'prod': out / x for each factor x, with
    the zeros handled as torch does — the product of the *other* factors is recomputed with
    the zero replaced by 1 (a lone zero in a group), and a group with two or more zeros in src
    gives every factor a zero gradient."""
    index, dim, include_self = ctx.index, ctx.dim, ctx.include_self
    masked_a = a.masked_fill(a == 0, 1)
    masked_a_out = ScatterReduce.apply(masked_a, index, dim, src, "prod", include_self)
    grad_a = grad * masked_a_out / masked_a
    src_zero = src == 0
    zeros_in_group = ScatterAddAlongDim.apply(src_zero.to(grad.dtype), index, dim, a.shape)
    zeros_in_group = GatherAlongDim.apply(zeros_in_group, index, dim)
    if grad_state.enabled and bool((zeros_in_group._data > 1).any()):
        raise RuntimeError(
            "scatter_reduce(): Double backward is unsupported for src when >1 zeros in src are "
            "scattered to the same position in self"
        )
    single_zero = src_zero & (zeros_in_group == 1)
    masked_src = src.masked_fill(single_zero, 1)
    masked_src_out = ScatterReduce.apply(a, index, dim, masked_src, "prod", include_self)
    lone_zero = GatherAlongDim.apply(grad * masked_src_out, index, dim)
    others = GatherAlongDim.apply(grad * out, index, dim) / src.masked_fill(src_zero, 1)
    return grad_a, lone_zero.where(single_zero, others)


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
