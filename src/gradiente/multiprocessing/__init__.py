"""``torch.multiprocessing``: Python's multiprocessing, for tensors in shared memory.

``tensor.share_memory_()`` (or ``module.share_memory()``) moves values into an anonymous
shared mapping (``backend.shared_copy``); a process forked afterwards — ``Process`` with the
fork start method, Linux's default — maps the same pages, so an in-place update in any process
(an optimizer step) is seen by all: hogwild training, as in pytorch/examples' mnist_hogwild.

Under the spawn start method a child gets a pickled *copy* instead (gradiente does not send
shared-memory handles between processes), so the fork context is what hogwild needs here.
``spawn(fn, args, nprocs)`` runs ``fn(i, *args)`` in ``nprocs`` forked processes and raises
if one of them fails, like ``torch.multiprocessing.spawn``.
"""

from __future__ import annotations

import multiprocessing as _mp
from multiprocessing import (
    Barrier,
    Condition,
    Event,
    Lock,
    Manager,
    Pipe,
    Pool,
    Process,
    Queue,
    RLock,
    Semaphore,
    SimpleQueue,
    Value,
    active_children,
    cpu_count,
    current_process,
    get_all_start_methods,
    get_context,
    get_start_method,
    set_start_method,
)


class ProcessRaisedException(Exception):
    """A process started by ``spawn`` exited with a non-zero status."""


def spawn(
    fn,
    args=(),
    nprocs: int = 1,
    join: bool = True,
    daemon: bool = False,
    start_method: str = "fork",
):
    """Run ``fn(i, *args)`` for i = 0 … nprocs − 1, each in its own process.

    With ``join`` (the default) waits for all and raises ``ProcessRaisedException`` naming
    the first process that failed; otherwise returns the started processes.
    """
    context = _mp.get_context(start_method)
    processes = [context.Process(target=fn, args=(i, *args), daemon=daemon) for i in range(nprocs)]
    for p in processes:
        p.start()
    if not join:
        return processes
    for p in processes:
        p.join()
    for i, p in enumerate(processes):
        if p.exitcode != 0:
            raise ProcessRaisedException(f"process {i} terminated with exit code {p.exitcode}")
    return None


__all__ = [
    "Barrier",
    "Condition",
    "Event",
    "Lock",
    "Manager",
    "Pipe",
    "Pool",
    "Process",
    "ProcessRaisedException",
    "Queue",
    "RLock",
    "Semaphore",
    "SimpleQueue",
    "Value",
    "active_children",
    "cpu_count",
    "current_process",
    "get_all_start_methods",
    "get_context",
    "get_start_method",
    "set_start_method",
    "spawn",
]
