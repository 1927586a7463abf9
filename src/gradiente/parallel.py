"""gradiente's own threads: memory-bound array work split into chunks over every core.

NumPy runs one ufunc call (an add, a copy, a maximum) on one core, but it releases Python's
GIL inside the loop. So a large element-wise job — a Winograd tile transform, a ReLU over a
50 MB activation — can be cut into contiguous chunks (images of a batch, rows of a matrix)
and each chunk given to a thread: the chunks run truly in parallel, and each chunk is small
enough to stay in the core's cache between the several passes a transform makes over it.

``set_num_threads(n)`` (in ``gradiente.functions.settings``) sizes this pool as it sizes
BLAS's. Work below ``grain`` items per thread is not split: a thread hand-off costs tens of
microseconds, more than a small array's whole loop.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

_state = {"threads": None, "pool": None, "pool_size": 0}
_lock = threading.Lock()


def _default_threads() -> int:
    """The cores this process may run on (the affinity mask), as torch's default."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def set_threads(n: int) -> None:
    """Use ``n`` threads (the caller included) for chunked work from now on."""
    _state["threads"] = n


def num_threads() -> int:
    """The number of threads chunked work uses."""
    n = _state["threads"]
    return _default_threads() if n is None else n


def _pool(workers: int) -> ThreadPoolExecutor:
    with _lock:
        if _state["pool_size"] < workers:
            if _state["pool"] is not None:
                _state["pool"].shutdown(wait=False)
            _state["pool"] = ThreadPoolExecutor(workers, thread_name_prefix="gradiente")
            _state["pool_size"] = workers
        return _state["pool"]


def chunks(count: int, pieces: int) -> list[tuple[int, int]]:
    """``range(count)`` cut into ``pieces`` contiguous (start, stop) runs of near-equal size."""
    step, extra = divmod(count, pieces)
    bounds, start = [], 0
    for i in range(pieces):
        stop = start + step + (1 if i < extra else 0)
        bounds.append((start, stop))
        start = stop
    return bounds


def run_chunks(work, count: int, grain: int = 1, block: int | None = None) -> None:
    """Call ``work(start, stop)`` over ``range(count)`` cut into one run per thread.

    Each run has at least ``grain`` items; with one thread (or too little work) this is a
    plain call ``work(0, count)``. With ``block``, each run is done ``block`` items at a time
    (so that several passes over one block find it in cache). ``work`` must write disjoint
    outputs for disjoint runs. The calling thread does the first run itself; an exception in
    any run is raised here.
    """
    if count <= 0:
        return
    if block is not None and block < count:
        inner = work

        def work(start, stop):
            for a in range(start, stop, block):
                inner(a, min(a + block, stop))

    pieces = min(num_threads(), max(1, count // max(grain, 1)))
    if pieces <= 1 or threading.current_thread().name.startswith("gradiente"):
        work(0, count)  # (a pool thread never waits on the pool: no deadlock)
        return
    first, *rest = chunks(count, pieces)
    futures = [_pool(pieces - 1).submit(work, a, b) for a, b in rest]
    try:
        work(*first)
    finally:
        for f in futures:
            f.result()


# Element-wise work is split when it is at least this many bytes (below, one call is faster
# than the hand-offs), in blocks of about this many bytes (a core's L2 cache holds a few).
SPLIT_BYTES = 1 << 21
BLOCK_BYTES = 1 << 17


def over_rows(work, array) -> None:
    """``work(start, stop)`` over slices of ``array``'s first axis, in cache-sized blocks over
    the threads — or one call ``work(0, len)`` for a small array."""
    over_count(work, array.shape[0] if array.ndim else 1, array.nbytes)


def over_count(work, count: int, nbytes: int) -> None:
    """``work(start, stop)`` over ``range(count)``, for work touching ``nbytes`` in all:
    split over the threads (in cache-sized blocks) when that is large, else one call."""
    if nbytes < SPLIT_BYTES or count < 2:
        work(0, count)
        return
    block = max(1, BLOCK_BYTES // max(nbytes // count, 1))
    run_chunks(work, count, grain=block, block=block)
