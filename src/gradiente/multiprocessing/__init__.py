"""``torch.multiprocessing``: Python's multiprocessing, for tensors in shared memory.

``tensor.share_memory_()`` (or ``module.share_memory()``) moves values into an anonymous
shared mapping (``backend.shared_copy``); a process forked afterwards — ``Process`` with the
fork start method, Linux's default — maps the same pages, so an in-place update in any process
(an optimizer step) is seen by all: hogwild training, as in pytorch/examples' mnist_hogwild.

A process started otherwise (the spawn or forkserver start method), or a tensor sent through a
``Queue``, goes through multiprocessing's ``ForkingPickler``: for it a tensor in shared memory
is pickled as the descriptor of its shared-memory file (passed to the other process as
multiprocessing passes file descriptors) plus its offset, shape and strides, so the other
process maps the same pages, as torch's ``file_descriptor`` sharing strategy does. A tensor
that is not shared is pickled as a copy. ``spawn(fn, args, nprocs)`` runs ``fn(i, *args)``
in ``nprocs`` forked processes and raises if one of them fails, like
``torch.multiprocessing.spawn``.
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
from multiprocessing.reduction import DupFd, ForkingPickler

from gradiente import backend as B
from gradiente.tensor import Tensor


# ------------------------------------------------------------ shared tensors between processes
def _rebuild_buffer(handle, nbytes: int) -> B.SharedBuffer:
    return B.map_shared(handle.detach(), nbytes)


def _reduce_buffer(buffer: B.SharedBuffer):
    """A shared mapping as its file descriptor, duplicated into the receiving process. Pickled
    once per message, however many tensors view it (pickle's memo), so each descriptor that
    arrives is owned by exactly one mapping."""
    return _rebuild_buffer, (DupFd(buffer.fd), len(buffer))


def _rebuild_tensor(cls, layout: tuple, requires_grad: bool) -> Tensor:
    array = B.from_shared_layout(*layout)
    if cls is Tensor:
        return Tensor._make(array, requires_grad, None)
    return cls(Tensor._make(array, False, None), requires_grad)  # Parameter(data, requires_grad)


def reduce_tensor(tensor: Tensor):
    """How ``ForkingPickler`` sends a tensor to another process: a tensor in shared memory as
    its mapping and layout (both processes then see the same numbers), any other as a copy."""
    if not tensor.is_shared():
        return tensor.__reduce_ex__(2)
    return _rebuild_tensor, (type(tensor), B.shared_layout(tensor._data), tensor.requires_grad)


ForkingPickler.register(B.SharedBuffer, _reduce_buffer)
ForkingPickler.register(Tensor, reduce_tensor)  # nn.Parameter registers itself too


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
    "reduce_tensor",
    "set_start_method",
    "spawn",
]
