"""Statistics and selection on arrays: which element a median, kthvalue, mode, cummax or cummin
picks, the ranks a quantile interpolates between, and the counting ops (bincount, histc,
unique, unique_consecutive).

These are the algorithms behind the Tensor methods of the same names; the methods check their
Python arguments and wrap the arrays. Values that carry a gradient are then taken by index with
the Functions of ``ops/reduce.py`` (``MedianDim``, ``KthvalueDim``, ``ModeValues``, ...), so the
backward pass only has to route the gradient to the chosen positions.
"""

from __future__ import annotations

from gradiente.backend import add_at, get_array_module, is_float, xp


def sorted_position(flat, k: int, nan_first: bool) -> int:
    """The position in the 1-D ``flat`` of its k-th smallest value (ties: the earliest).

    With ``nan_first`` (median), a NaN anywhere makes the answer the first NaN, as in torch;
    otherwise NaN counts as the largest value (NumPy sorts it last).
    """
    order = xp.argsort(flat, kind="stable")
    position = int(order[k])
    if nan_first and is_float(flat.dtype) and xp.isnan(flat[order[-1]]):  # bfloat16 too
        position = int(xp.argmax(xp.isnan(flat)))
    return position


def sorted_indices(x, d: int, k: int, nan_first: bool):
    """The index along ``d`` of each row's k-th smallest value, keeping ``d`` (size 1).

    Stable sort, so equal values keep their order; ``nan_first`` as for ``sorted_position``:
    a row holding NaN answers its first NaN.
    """
    order = xp.argsort(x, axis=d, kind="stable")
    idx = xp.take(order, [k], axis=d)
    if nan_first and is_float(x.dtype) and x.size:  # bfloat16 too
        # NumPy sorts NaN last: a row whose last sorted value is NaN holds one
        last = xp.take_along_axis(x, xp.take(order, [-1], axis=d), axis=d)
        has_nan = xp.isnan(last)
        if has_nan.any():
            first_nan = xp.argmax(xp.isnan(x), axis=d, keepdims=True)
            idx = xp.where(has_nan, first_nan, idx)
    return idx


def mode_indices(x, d: int):
    """The index along ``d`` of each row's most frequent value, keeping ``d`` (size 1).

    Of values equally frequent, the smallest wins; of its occurrences, the last (torch's CPU
    kernel). Rows are counted one by one with ``unique``.
    """
    if type(x) is not xp.ndarray:
        return _mode_indices_sorted(x, d)
    rows_last = xp.moveaxis(x, d, -1)
    rows = rows_last.reshape(-1, rows_last.shape[-1])
    indices = xp.empty(rows.shape[0], dtype=xp.int64)
    for r, row in enumerate(rows):
        uniq, counts = xp.unique(row, return_counts=True)
        value = uniq[xp.argmax(counts)]
        indices[r] = row.shape[0] - 1 - xp.argmax(row[::-1] == value)
    return xp.expand_dims(indices.reshape(rows_last.shape[:-1]), d)


def _mode_indices_sorted(x, d: int):
    """``mode_indices`` for a CUDA array, all rows at once (no host loop, no ``unique``).

    Each row is sorted; a run of equal values (NaNs count as equal, as ``unique`` counts them)
    gets the id r = (number of run starts so far) − 1, and the runs' lengths are counted by a
    scatter-add. The first longest run (the smallest value of the most frequent) wins; its
    last position in the unsorted row is the index.
    """
    m = get_array_module(x)
    rows_last = m.moveaxis(x, d, -1)
    rows = rows_last.reshape(-1, rows_last.shape[-1])  # (R, n)
    R, n = rows.shape
    s = m.sort(rows, axis=1)
    differ = s[:, 1:] != s[:, :-1]
    if s.dtype.kind == "f":
        differ &= ~(m.isnan(s[:, 1:]) & m.isnan(s[:, :-1]))
    starts = m.concatenate([m.ones((R, 1), dtype=bool), differ], axis=1)
    run = m.cumsum(starts, axis=1) - 1  # (R, n) run id of each sorted value
    counts = m.zeros((R, n), dtype=m.int32)  # int32: a type cupyx.scatter_add takes
    add_at(counts, (m.arange(R)[:, None], run), m.ones((R, n), dtype=m.int32))
    best = m.argmax(counts, axis=1)[:, None]  # the first (smallest) most frequent run
    value = m.take_along_axis(s, m.argmax(run == best, axis=1)[:, None], axis=1)
    # the last occurrence, as torch's CPU kernel (a NaN value matches nothing: n − 1, as on
    # the CPU path)
    last = n - 1 - m.argmax((rows == value)[:, ::-1], axis=1)
    return m.expand_dims(last.reshape(rows_last.shape[:-1]), d)


def running_extreme_indices(x, d: int, is_max: bool):
    """cummax/cummin's indices: for each position along ``d``, where the running maximum (or
    minimum) so far was last met (torch keeps the latest of equal values)."""
    m = xp if type(x) is xp.ndarray else get_array_module(x)  # CuPy for CUDA inputs
    extreme = m.maximum if is_max else m.minimum
    values = _accumulate(m, extreme, x, d)
    positions = m.arange(x.shape[d]).reshape([-1 if k == d else 1 for k in range(x.ndim)])
    # each element that equals the running extreme holds its own position, others 0; the
    # running maximum of those is the latest holder
    holders = m.where(x == values, positions, 0)
    return _accumulate(m, m.maximum, holders, d)


def _accumulate(m, ufunc, x, d: int):
    """``ufunc.accumulate(x, axis=d)`` for maximum/minimum: NumPy's own on the CPU; on CUDA a
    scan in ⌈log2 n⌉ steps (Hillis-Steele: step k folds in the value 2^k places back), exact
    since max and min are associative and round nothing."""
    if m is xp:
        return ufunc.accumulate(x, axis=d)
    out = m.moveaxis(x, d, -1).copy()
    shift = 1
    while shift < out.shape[-1]:
        out[..., shift:] = ufunc(out[..., shift:], out[..., :-shift])
        shift *= 2
    return m.moveaxis(out, -1, d)


def quantile_ranks(q, n: int, interpolation: str):
    """For quantiles ``q`` (an array in [0, 1]) of n sorted values: the ranks ``lo`` and ``hi``
    to interpolate between and the weight of ``hi``.

    The fractional rank of q is pos = q·(n − 1); 'linear' gives
    value = v[lo] + (pos − lo)·(v[hi] − v[lo]) with lo = ⌊pos⌋, hi = ⌈pos⌉; 'lower' and
    'higher' take one of the two, 'nearest' the closer (ties to even, as torch), 'midpoint'
    their mean.
    """
    qs = xp.atleast_1d(xp.asarray(q, dtype=xp.float64))
    if ((qs < 0) | (qs > 1)).any():
        raise RuntimeError("quantile() q values must be in the range [0, 1]")
    pos = qs * (n - 1)  # the fractional rank of each quantile
    lo, hi = xp.floor(pos).astype(xp.int64), xp.ceil(pos).astype(xp.int64)
    if interpolation == "lower":
        hi = lo
    elif interpolation == "higher":
        lo = hi
    elif interpolation == "nearest":
        lo = hi = xp.round(pos).astype(xp.int64)  # round half to even, as PyTorch
    if interpolation == "midpoint":
        weight = xp.full(pos.shape, 0.5)
    else:
        weight = pos - lo
    return lo, hi, weight


def bincount(x, weights, minlength: int):
    """How many times each value 0, 1, ..., max(x) occurs in the 1-D integer ``x`` (the sum of
    ``weights`` at those positions when given): int64 counts, or the float weights' dtype."""
    out = xp.bincount(x, weights=weights, minlength=minlength)
    if weights is None:
        return out.astype(xp.int64)
    if weights.dtype.kind == "f":
        return out.astype(weights.dtype)
    return out


def histc(x, bins: int, lo: float, hi: float):
    """Counts of ``x`` in ``bins`` equal bins over [lo, hi] (values outside are ignored), in
    x's dtype. lo == hi means the data's range; a range of one value widens to [v − 1, v + 1].
    """
    if lo == hi and x.size:
        lo, hi = float(x.min()), float(x.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    inside = x[(x >= lo) & (x <= hi)]
    counts, _ = xp.histogram(inside, bins=bins, range=(lo, hi))
    return counts.astype(x.dtype)


def unique(x, axis):
    """(values, inverse, counts): the sorted distinct elements of ``x`` (or distinct slices along
    ``axis``), where each element came from, and how often each occurs. The inverse has x's
    shape for elements and is 1-D for slices."""
    # each NaN is distinct (NaN != NaN), as in torch; NumPy would count them as one
    values, inverse, counts = xp.unique(
        x, return_inverse=True, return_counts=True, axis=axis, equal_nan=False
    )
    inverse = inverse.reshape(x.shape if axis is None else -1)
    return values, inverse.astype(xp.int64), counts.astype(xp.int64)


def unique_consecutive(x, axis):
    """(values, inverse, counts) with each run of equal consecutive elements (or slices along
    ``axis``) collapsed to one; like ``unique`` for sorted input, but nothing is sorted."""
    moved = x if axis is None else xp.moveaxis(x, axis, 0)
    flat = moved.reshape(-1) if axis is None else moved.reshape(moved.shape[0], -1)
    if flat.shape[0] == 0:
        starts = xp.zeros(0, dtype=bool)
    else:
        change = (flat[1:] != flat[:-1]) if axis is None else (flat[1:] != flat[:-1]).any(1)
        starts = xp.concatenate([[True], change])  # True where a run begins
    values = (flat if axis is None else moved)[starts]
    if axis is not None:
        values = xp.moveaxis(values, 0, axis)
    inverse = (xp.cumsum(starts) - 1).reshape(x.shape if axis is None else -1)
    counts = xp.diff(xp.append(xp.flatnonzero(starts), len(starts)))
    return values, inverse, counts
