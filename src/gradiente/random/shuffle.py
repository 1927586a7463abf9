"""A shuffle's sequence of swaps resolved with array operations (for ``randperm``).

torch's ``randperm`` is a loop of n swaps, each depending on the previous ones. Given all the
random targets at once, the final position of every value follows from chains "step k took
what step j had put there", which one sort and pointer jumping resolve in ~log2(n) array
passes instead of n Python steps.
"""

import numpy as np


def _group_by_target(z: np.ndarray):
    """Group the steps ``k`` of a shuffle by the position ``z[k]`` they write to.

    Returns ``pred[k]``, the previous step (``< k``) with the same target, or -1; and
    ``last[p]``, the last step whose target is ``p``, or -1. One sort does it.
    """
    n = z.size
    keys = np.sort(z * n + np.arange(n))  # by target, then by step (keys are unique)
    order, zs = keys % n, keys // n
    same = zs[1:] == zs[:-1]
    pred = np.full(n, -1, dtype=np.int64)
    pred[order[1:][same]] = order[:-1][same]
    last = np.full(n, -1, dtype=np.int64)
    is_last = np.append(~same, True)
    last[zs[is_last]] = order[is_last]
    return pred, last


def _resolve(pointer: np.ndarray) -> np.ndarray:
    """Follow ``pointer`` chains (each points to itself at its end) to their ends.

    Pointer jumping: ``p = p[p]`` halves every chain at once, so ~log2(length) rounds suffice.
    """
    while True:
        nxt = pointer[pointer]
        if np.array_equal(nxt, pointer):
            return pointer
        pointer = nxt


def _fisher_yates(z: np.ndarray) -> np.ndarray:
    """The result of ``for i: swap(a[i], a[z[i]])`` on ``a = arange(n)``, with ``z[i] >= i``.

    Position ``i`` is final after step ``i`` and receives what position ``z[i]`` held then:
    the value that the previous step ``k`` with target ``z[i]`` put there (the value position
    ``k`` held before step ``k``), or ``z[i]`` itself if no step wrote there. "The value
    position ``k`` held before step ``k``" obeys the same rule, which links steps into chains
    that pointer jumping resolves: no sequential loop over the swaps.
    """
    steps = np.arange(z.size)
    pred, last = _group_by_target(z)
    # the last step that wrote into position k before step k (steps targeting k are <= k)
    before = np.where(last == steps, pred, last)
    held = _resolve(np.where(before >= 0, before, steps))  # value at position k before step k
    return np.where(pred >= 0, held[np.maximum(pred, 0)], z)


def _inside_out(z: np.ndarray) -> np.ndarray:
    """The result of ``for i: a[i] = a[z[i]]; a[z[i]] = i`` (inside-out shuffle, ``z[i] <= i``).

    Position ``p`` ends with the last step ``j`` that targets it, if any (that step wrote
    ``j``), else with what step ``p`` wrote into it: ``p`` if ``z[p] == p``, else what position
    ``z[p]`` held before step ``p`` — the previous step targeting ``z[p]``, or recursively what
    step ``z[p]`` wrote. Again chains, resolved by pointer jumping.
    """
    steps = np.arange(z.size)
    pred, last = _group_by_target(z)
    own = np.where(z == steps, steps, pred)  # what step p wrote, when known directly (else -1)
    written = own[_resolve(np.where(own >= 0, steps, z))]
    return np.where(last >= 0, last, written)
