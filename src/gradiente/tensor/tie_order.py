"""Which of several equal values torch's CPU ``topk``, ``sort`` and ``kthvalue`` pick, and in
what order: their algorithms replayed step by step.

torch's CPU ``topk`` puts (value, index) pairs in a vector and calls GCC's libstdc++:
``std::partial_sort`` when ``64 k <= n``, else ``std::nth_element`` followed (when ``sorted``) by
``std::sort`` of the first ``k - 1``; ``sort(stable=False)`` calls ``std::sort`` on each row;
``kthvalue`` uses torch's own quickselect. The comparisons look only at the values, so which of
several equal values comes first (or is selected at all) is decided by how these algorithms
move elements — introselect, introsort, heap select, quickselect — reproduced here move for
move. Rows without equal values give the same answer as a stable sort, so only rows with ties
(or an unsorted ``topk``) are replayed, in Python — up to ``REPLAY_BUDGET`` elements per call
(about a second of Python); beyond it the rows keep the stable order (equal values in index
order), a valid answer that torch's may differ from.

Each algorithm works on ``keys`` (the comparison: element i before element j when
``keys[i] < keys[j]``) and ``items`` (what travels with it, the original indices), two Python
lists rearranged in place over the half-open range ``[first, last)``.
"""

from __future__ import annotations

from gradiente.backend import xp as np  # host arrays only: torch's CUDA topk differs

REPLAY_BUDGET = 1 << 18  # elements replayed in Python per call, at most
_THRESHOLD = 16  # libstdc++'s _S_threshold: below this many elements, insertion sort


def _lg(n: int) -> int:
    """``std::__lg``: floor(log2 n)."""
    return n.bit_length() - 1


def _swap(keys, items, i: int, j: int) -> None:
    keys[i], keys[j] = keys[j], keys[i]
    items[i], items[j] = items[j], items[i]


def _move_median_to_first(keys, items, result, a, b, c) -> None:
    """Swap the median of positions a, b, c into ``result`` (the partition's pivot)."""
    if keys[a] < keys[b]:
        if keys[b] < keys[c]:
            _swap(keys, items, result, b)
        elif keys[a] < keys[c]:
            _swap(keys, items, result, c)
        else:
            _swap(keys, items, result, a)
    elif keys[a] < keys[c]:
        _swap(keys, items, result, a)
    elif keys[b] < keys[c]:
        _swap(keys, items, result, c)
    else:
        _swap(keys, items, result, b)


def _partition_pivot(keys, items, first: int, last: int) -> int:
    """``__unguarded_partition_pivot``: median-of-three pivot at ``first``, then Hoare's
    partition of ``[first + 1, last)`` around it; returns the cut."""
    mid = first + (last - first) // 2
    _move_median_to_first(keys, items, first, first + 1, mid, last - 1)
    pivot = keys[first]
    lo, hi = first + 1, last
    while True:
        while keys[lo] < pivot:
            lo += 1
        hi -= 1
        while pivot < keys[hi]:
            hi -= 1
        if not lo < hi:
            return lo
        _swap(keys, items, lo, hi)
        lo += 1


def _insertion_sort(keys, items, first: int, last: int) -> None:
    """``__insertion_sort``: an element smaller than the first moves to the front; any other
    walks left past the larger ones."""
    for i in range(first + 1, last):
        key, item = keys[i], items[i]
        if key < keys[first]:
            keys[first + 1 : i + 1] = keys[first:i]
            items[first + 1 : i + 1] = items[first:i]
            keys[first], items[first] = key, item
        else:
            _linear_insert(keys, items, i)


def _linear_insert(keys, items, last: int) -> None:
    """``__unguarded_linear_insert``: move element ``last`` left while it is smaller."""
    key, item = keys[last], items[last]
    prev = last - 1
    while key < keys[prev]:
        keys[last], items[last] = keys[prev], items[prev]
        last, prev = prev, prev - 1
    keys[last], items[last] = key, item


def _adjust_heap(keys, items, first: int, hole: int, length: int, key, item) -> None:
    """``__adjust_heap``: sift the hole at ``hole`` down to a leaf, then push (key, item) up."""
    top = hole
    child = hole
    while child < (length - 1) // 2:
        child = 2 * (child + 1)
        if keys[first + child] < keys[first + child - 1]:
            child -= 1
        keys[first + hole], items[first + hole] = keys[first + child], items[first + child]
        hole = child
    if length % 2 == 0 and child == (length - 2) // 2:
        child = 2 * (child + 1)
        keys[first + hole], items[first + hole] = keys[first + child - 1], items[first + child - 1]
        hole = child - 1
    parent = (hole - 1) // 2
    while hole > top and keys[first + parent] < key:
        keys[first + hole], items[first + hole] = keys[first + parent], items[first + parent]
        hole = parent
        parent = (hole - 1) // 2
    keys[first + hole], items[first + hole] = key, item


def _make_heap(keys, items, first: int, last: int) -> None:
    length = last - first
    if length < 2:
        return
    for parent in range((length - 2) // 2, -1, -1):
        _adjust_heap(
            keys, items, first, parent, length, keys[first + parent], items[first + parent]
        )


def _pop_heap(keys, items, first: int, last: int, result: int) -> None:
    """Move the heap's top to ``result`` and re-heap ``[first, last)`` with result's old value."""
    key, item = keys[result], items[result]
    keys[result], items[result] = keys[first], items[first]
    _adjust_heap(keys, items, first, 0, last - first, key, item)


def _heap_select(keys, items, first: int, middle: int, last: int) -> None:
    """``__heap_select``: the ``middle - first`` smallest elements into a max-heap at the front."""
    _make_heap(keys, items, first, middle)
    for i in range(middle, last):
        if keys[i] < keys[first]:
            _pop_heap(keys, items, first, middle, i)


def _sort_heap(keys, items, first: int, last: int) -> None:
    while last - first > 1:
        last -= 1
        _pop_heap(keys, items, first, last, last)


def partial_sort(keys, items, first: int, middle: int, last: int) -> None:
    """``std::partial_sort``: the smallest ``middle - first`` elements, sorted, at the front."""
    _heap_select(keys, items, first, middle, last)
    _sort_heap(keys, items, first, middle)


def nth_element(keys, items, first: int, nth: int, last: int) -> None:
    """``std::nth_element`` (introselect): position ``nth`` gets the element a sort would put
    there, with nothing larger before it and nothing smaller after it."""
    if first == last or nth == last:
        return
    depth = _lg(last - first) * 2
    while last - first > 3:
        if depth == 0:
            _heap_select(keys, items, first, nth + 1, last)
            _swap(keys, items, first, nth)
            return
        depth -= 1
        cut = _partition_pivot(keys, items, first, last)
        if cut <= nth:
            first = cut
        else:
            last = cut
    _insertion_sort(keys, items, first, last)


def _introsort_loop(keys, items, first: int, last: int, depth: int) -> None:
    while last - first > _THRESHOLD:
        if depth == 0:
            partial_sort(keys, items, first, last, last)  # heapsort
            return
        depth -= 1
        cut = _partition_pivot(keys, items, first, last)
        _introsort_loop(keys, items, cut, last, depth)
        last = cut


def sort(keys, items, first: int, last: int) -> None:
    """``std::sort`` (introsort): quicksort down to runs of 16, then one insertion sort."""
    if first == last:
        return
    _introsort_loop(keys, items, first, last, _lg(last - first) * 2)
    if last - first > _THRESHOLD:
        _insertion_sort(keys, items, first, first + _THRESHOLD)
        for i in range(first + _THRESHOLD, last):
            _linear_insert(keys, items, i)
    else:
        _insertion_sort(keys, items, first, last)


def topk_order(keys: list, k: int, sorted_: bool) -> list:
    """The indices torch's CPU ``topk`` returns for one row: ``keys`` rank the values so that
    a smaller key comes first (for ``largest``: NaN, then the largest value)."""
    n = len(keys)
    keys, items = list(keys), list(range(n))
    if k == 0:
        return []
    if k * 64 <= n:
        partial_sort(keys, items, 0, k, n)
    else:
        nth_element(keys, items, 0, k - 1, n)
        if sorted_:
            sort(keys, items, 0, k - 1)
    return items[:k]


def topk_indices(x, order, d: int, k: int, largest: bool, sorted_: bool):
    """torch's CPU ``topk`` indices of the host array ``x`` along axis ``d``.

    ``order`` is a stable sort of ``x`` along ``d`` (NaN first when ``largest``): its first
    ``k`` are torch's answer whenever the algorithms' moves cannot show — in a row where the
    ``k + 1`` leading values are all different and the output is sorted. The other rows (equal
    values there, or an unsorted ``nth_element`` result) are replayed with ``topk_order``.
    """
    n = x.shape[d]
    first_k = np.take(order, np.arange(k), axis=d)
    if k == 0 or n < 2:
        return first_k
    idx = np.moveaxis(first_k, d, -1).reshape(-1, k).copy()
    floating = x.dtype.kind not in "iub"
    if not sorted_ and k > 1 and k * 64 > n:
        replay = np.ones(len(idx), dtype=bool)  # nth_element leaves its own order
    else:
        lead = np.take_along_axis(x, np.take(order, np.arange(min(k + 1, n)), axis=d), axis=d)
        lead = np.moveaxis(lead, d, -1).reshape(len(idx), -1)
        lead = lead.astype(np.float64) if floating else lead  # exact, bfloat16 included
        replay = _same(lead[:, 1:], lead[:, :-1]).any(axis=1)
    if replay.any() and replay.sum() * n <= REPLAY_BUDGET:
        rows = _rows(x, d)
        for r in np.flatnonzero(replay):
            idx[r] = topk_order(_ranks(rows[r], largest), k, sorted_)
    return np.moveaxis(idx.reshape(np.moveaxis(first_k, d, -1).shape), -1, d)


def _rows(x, d: int):
    """x's rows along ``d`` as a 2-D host array (float64 for floats: exact, bfloat16 too)."""
    rows = np.moveaxis(x, d, -1).reshape(-1, x.shape[d])
    return rows.astype(np.float64) if x.dtype.kind not in "iub" else rows


def _ranks(row, descending: bool = False) -> list:
    """Integer keys that order ``row`` as torch's comparators do: equal values (and all NaNs)
    share a key, NaN is the largest (first when ``descending``)."""
    _, rank = np.unique(row, return_inverse=True)
    return (-rank if descending else rank).astype(np.int64).tolist()


def _same(a, b):
    """Element-wise: equal for torch's comparators (NaN equals NaN, -0.0 equals 0.0)."""
    same = a == b
    if a.dtype.kind == "f":
        same |= np.isnan(a) & np.isnan(b)
    return same


def sort_indices(x, order, d: int, descending: bool):
    """torch's CPU ``sort(stable=False)`` indices of the host array ``x`` along ``d``.

    ``order`` is a stable sort. torch calls ``std::sort`` on each row — which orders equal
    values its own way — except for a 1-D ascending integer tensor of 32768 elements or more
    (a stable radix sort). Rows without equal values are the same either way; the others are
    replayed with ``sort``.
    """
    n = x.shape[d] if x.ndim else 1
    radix = x.ndim == 1 and not descending and x.dtype.kind in "iu" and n >= 32768
    if radix or n < 2 or x.size == 0:
        return order
    ordered = np.moveaxis(np.take_along_axis(x, order, axis=d), d, -1).reshape(-1, n)
    replay = _same(ordered[:, 1:], ordered[:, :-1]).any(axis=1)
    if not replay.any() or replay.sum() * n > REPLAY_BUDGET:
        return order
    rows = _rows(x, d)
    out = np.moveaxis(order, d, -1).reshape(rows.shape).copy()
    for r in np.flatnonzero(replay):
        keys, items = _ranks(rows[r], descending), list(range(n))
        sort(keys, items, 0, n)
        out[r] = items
    return np.moveaxis(out.reshape(np.moveaxis(order, d, -1).shape), -1, d)


def quick_select(keys: list, items: list, k: int) -> None:
    """torch's own ``quick_select_template`` (not the C++ library's), used by ``kthvalue``:
    Hoare partitions around a median-of-three pivot until position ``k`` holds the k-th
    smallest."""
    lo, hi = 0, len(keys) - 1
    while True:
        if hi <= lo:
            return
        if hi == lo + 1:
            if keys[lo] > keys[hi]:
                _swap(keys, items, lo, hi)
            return
        _swap(keys, items, lo + (hi - lo) // 2, lo + 1)
        if keys[lo + 1] > keys[hi]:
            _swap(keys, items, lo + 1, hi)
        if keys[lo] > keys[hi]:
            _swap(keys, items, lo, hi)
        if keys[lo + 1] > keys[lo]:
            _swap(keys, items, lo + 1, lo)
        i, j, pivot = lo + 1, hi, keys[lo]
        while True:
            i += 1
            while pivot > keys[i]:
                i += 1
            j -= 1
            while keys[j] > pivot:
                j -= 1
            if j < i:
                break
            _swap(keys, items, i, j)
        _swap(keys, items, lo, j)
        if j <= k:
            lo = i
        if j >= k:
            hi = j - 1


def kthvalue_indices(x, idx, d: int, k: int):
    """torch's CPU ``kthvalue`` indices (``idx``: the stable answer, size 1 along ``d``): a row
    whose k-th smallest value occurs more than once is replayed with ``quick_select``."""
    rows = _rows(x, d)
    picked = np.moveaxis(idx, d, -1).reshape(len(rows), 1)
    value = np.take_along_axis(rows, picked, 1)
    replay = _same(rows, value).sum(axis=1) > 1
    if not replay.any() or replay.sum() * rows.shape[1] > REPLAY_BUDGET:
        return idx
    out = picked.copy()
    for r in np.flatnonzero(replay):
        keys, items = _ranks(rows[r]), list(range(rows.shape[1]))
        quick_select(keys, items, k)
        out[r, 0] = items[k]
    return np.moveaxis(out.reshape(np.moveaxis(idx, d, -1).shape), -1, d)
