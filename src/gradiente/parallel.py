"""gradiente's own threads: memory-bound array work split into runs over the cores.

NumPy runs one ufunc call (an add, a copy, a maximum) on one core, but it releases Python's
GIL inside the loop. So a large element-wise job — a Winograd tile transform, an im2col copy,
a ReLU over a 50 MB activation — can be cut into contiguous runs (images of a batch, rows of
a matrix) and each run given to a thread: the runs execute truly in parallel.

``set_num_threads(n)`` (in ``gradiente.functions.settings``) sizes this pool as it sizes
BLAS's. Work is split only with at least ``MIN_THREADS_TO_SPLIT`` threads and when each run
gets enough of it (a thread hand-off costs tens of microseconds).

Who runs the matrix products' threads is a choice (``set_gemm_threading``, or the variable
``GRADIENTE_GEMM_THREADS``):

- ``"blas"``: NumPy's BLAS, with ``set_num_threads`` threads of its own. After each product
  OpenBLAS's idle workers keep spinning on the cores for a while (which makes the next small
  product start at once), so splitting memory-bound work right after a product gains nothing
  below ``MIN_THREADS_TO_SPLIT`` threads, and on a machine whose cores are busy with other
  jobs a spinning worker can stall a step by a whole scheduler time slice.
- ``"gradiente"``: BLAS runs single-threaded and gradiente's pool cuts each large product
  into blocks of rows, one per thread (``ops/gemm.py``), and splits memory-bound work from two
  threads on. No thread ever spins: the pool's idle threads sleep, and a hand-off to one
  costs tens of microseconds.
- ``"auto"`` (the default): "blas" until the program runs its first convolution on the CPU,
  "gradiente" from then on. A network of matrix products only (an MLP, a transformer) keeps
  BLAS's quick threads for its many small products; a convolutional network, whose step is
  mostly large convolution GEMMs and memory-bound work between them (padding, ReLU, pooling),
  gets gradiente's (measured on 2 cores against "blas": the VGG-style step about 1.15x
  faster, LeNet-5 within the noise, both 1.5-2x faster on a loaded machine;
  benchmarks/RESULTS.md).
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

_state = {
    "threads": None,
    "default": None,  # _default_threads(), once asked
    "pool": None,
    "pool_size": 0,
    # GRADIENTE_GEMM_THREADS at import; unset or anything else means the default, "auto"
    "gemm": os.environ.get("GRADIENTE_GEMM_THREADS", "auto"),
    "convolutions": False,  # whether a CPU convolution has run ("auto" then means gradiente)
}
GEMM_THREADING_MODES = ("auto", "blas", "gradiente")
if _state["gemm"] not in GEMM_THREADING_MODES:
    _state["gemm"] = "auto"

# Work is split over threads only when there are at least this many. Measured on a 2-vCPU
# machine (benchmarks/RESULTS.md): a 5 MB im2col copy split over 2 threads right after a
# GEMM took longer than one call, because OpenBLAS's idle workers keep spinning (yielding)
# after each product and hold the second core; the LeNet step lost 1.4–3 ms that way.
MIN_THREADS_TO_SPLIT = 4
_lock = threading.Lock()


def _default_threads() -> int:
    """The cores this process may run on (the affinity mask), or fewer when
    ``OMP_NUM_THREADS`` asks for fewer: torch's default for its intra-op pool."""
    try:
        cores = max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        cores = max(1, os.cpu_count() or 1)
    requested = os.environ.get("OMP_NUM_THREADS", "").strip()
    if requested.isdigit() and int(requested) > 0:
        return min(cores, int(requested))
    return cores


def set_threads(n: int) -> None:
    """Use ``n`` threads (the caller included) for chunked work from now on."""
    _state["threads"] = n


def gemm_threading() -> str:
    """Who runs the matrix products' threads now: "blas" or "gradiente" (see the module's
    doc; in "auto" mode, "gradiente" once a convolution has run)."""
    mode = _state["gemm"]
    if mode == "auto":
        return "gradiente" if _state["convolutions"] else "blas"
    return mode


def gemm_threading_mode() -> str:
    """The setting: "auto", "blas" or "gradiente"."""
    return _state["gemm"]


def set_gemm_threading(mode: str) -> None:
    """Let BLAS ("blas"), gradiente's pool ("gradiente") or the program ("auto": BLAS until
    the first convolution) run the matrix products' threads; BLAS then gets
    ``num_threads()`` threads, or one."""
    if mode not in GEMM_THREADING_MODES:
        raise ValueError(f"gemm threading must be 'auto', 'blas' or 'gradiente', not {mode!r}")
    _state["gemm"] = mode
    limit_blas_threads()


def note_convolution() -> None:
    """Called as a CPU convolution runs: in "auto" mode the products' threads pass to
    gradiente from now on (once; BLAS becomes single-threaded)."""
    if not _state["convolutions"]:
        _state["convolutions"] = True
        if _state["gemm"] == "auto":
            limit_blas_threads()


def limit_blas_threads() -> None:
    """Give NumPy's BLAS ``num_threads()`` threads, or one when gradiente runs the products'
    threads (threadpoolctl; nothing without it)."""
    try:
        from threadpoolctl import threadpool_limits  # noqa: PLC0415 - only when it changes
    except ImportError:
        return
    threadpool_limits(
        limits=1 if gemm_threading() == "gradiente" else num_threads(), user_api="blas"
    )


def _min_threads_to_split() -> int:
    return 2 if gemm_threading() == "gradiente" else MIN_THREADS_TO_SPLIT


def num_threads() -> int:
    """The number of threads chunked work uses (the default is worked out once: asking the
    kernel for the affinity mask on every op cost about 10 µs a call)."""
    n = _state["threads"]
    if n is None:
        n = _state["default"]
        if n is None:
            n = _state["default"] = _default_threads()
    return n


def _pool(workers: int) -> ThreadPoolExecutor:
    with _lock:
        if _state["pool_size"] < workers:
            if _state["pool"] is not None:
                _state["pool"].shutdown(wait=False)
            _state["pool"] = ThreadPoolExecutor(workers, thread_name_prefix="gradiente")
            _state["pool_size"] = workers
        return _state["pool"]


def _forget_pool_after_fork() -> None:
    """A forked child has none of its parent's threads, so it does not use the parent's pool
    object (whose bookkeeping counts them); it starts a pool of its own when it needs one,
    and works its default thread count out again (its affinity may be narrower)."""
    global _lock
    _lock = threading.Lock()  # (the parent may have held it while forking)
    _state["pool"], _state["pool_size"], _state["default"] = None, 0, None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool_after_fork)


def chunks(count: int, pieces: int) -> list[tuple[int, int]]:
    """``range(count)`` cut into ``pieces`` contiguous (start, stop) runs of near-equal size."""
    step, extra = divmod(count, pieces)
    bounds, start = [], 0
    for i in range(pieces):
        stop = start + step + (1 if i < extra else 0)
        bounds.append((start, stop))
        start = stop
    return bounds


def run_chunks(work, count: int, grain: int = 1, min_threads: int | None = None) -> None:
    """Call ``work(start, stop)`` over ``range(count)`` cut into one run per thread.

    Each run has at least ``grain`` items; with fewer than ``min_threads`` threads (default
    ``MIN_THREADS_TO_SPLIT``, 2 when gradiente runs the products) or too little work this is
    a plain call ``work(0, count)``.
    ``work`` must write disjoint outputs for disjoint runs. The calling thread does the first
    run itself; an exception in any run is raised here.
    """
    if count <= 0:
        return
    threads = num_threads()
    if threads < (_min_threads_to_split() if min_threads is None else min_threads):
        threads = 1
    pieces = min(threads, max(1, count // max(grain, 1)))
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


# Work is split only when it touches at least this many bytes, and then into runs of at least
# half of it per thread: a hand-off to a thread costs tens of microseconds.
SPLIT_BYTES = 1 << 21


def over_rows(work, array) -> None:
    """``work(start, stop)`` over slices of ``array``'s first axis, split over the threads
    when the array is large — or one call ``work(0, len)``."""
    over_count(work, array.shape[0] if array.ndim else 1, array.nbytes)


def over_count(work, count: int, nbytes: int) -> None:
    """``work(start, stop)`` over ``range(count)``, for work touching ``nbytes`` in all:
    split over the threads when that is large, else one call."""
    if nbytes < SPLIT_BYTES or count < 2:
        work(0, count)
        return
    run_chunks(work, count, grain=max(1, SPLIT_BYTES // 2 // max(nbytes // count, 1)))
