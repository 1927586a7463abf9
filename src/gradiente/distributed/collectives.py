"""Collectives on tensors: broadcast, all-reduce, gather, scatter, ... over MPI.

Each collective hands MPI the tensor's own NumPy buffer (``tensor._data``), so data moves
without pickling and results land in place, as in torch. A non-contiguous tensor is
communicated through a contiguous copy that is written back. ``async_op=True`` starts the
non-blocking MPI call (``Iallreduce``, ``Ibcast``, ...) and returns a ``Work`` whose ``wait()``
completes it; the caller may compute meanwhile but must not touch the tensor until then.

Dtypes: NumPy's float16/32/64 and integers map to MPI datatypes directly; bool travels as
uint8, with SUM meaning "any" (MAX) and PRODUCT meaning "all" (MIN), as torch's NCCL does.
``ReduceOp.AVG`` is SUM followed by a division by the group size; as in torch (gloo), it needs a
floating-point tensor.
"""

from __future__ import annotations

import enum
import pickle

from gradiente.backend import xp
from gradiente.distributed.process_group import (
    _mpi,
    get_group_rank,
    resolve_group,
    warn_not_in_group,
)
from gradiente.tensor import Tensor
from gradiente.tensor.common import _scalar_type_name

__all__ = [
    "ReduceOp",
    "Work",
    "all_gather",
    "all_gather_into_tensor",
    "all_gather_object",
    "all_reduce",
    "all_to_all",
    "all_to_all_single",
    "barrier",
    "broadcast",
    "broadcast_object_list",
    "gather",
    "gather_object",
    "monitored_barrier",
    "reduce",
    "reduce_scatter",
    "reduce_scatter_tensor",
    "scatter",
    "scatter_object_list",
]


class ReduceOp(enum.Enum):
    """How ``all_reduce``/``reduce`` combine the processes' values, element by element."""

    SUM = 0
    AVG = 1
    PRODUCT = 2
    MIN = 3
    MAX = 4
    BAND = 5
    BOR = 6
    BXOR = 7


class Work:
    """The handle of an asynchronous collective: ``wait()`` blocks until it is done (and the
    result is in the output tensors); ``is_completed()`` tests without blocking."""

    def __init__(self, requests, finish=None, keep=()) -> None:
        self._requests = list(requests)
        self._finish = finish
        self._keep = keep  # buffers MPI reads or writes until completion
        self._done = False

    def _complete(self) -> None:
        if self._finish is not None:
            self._finish()
        self._finish = None
        self._keep = ()
        self._done = True

    def wait(self, timeout=None) -> bool:
        """Block until the collective has finished; True."""
        if not self._done:
            _mpi().Request.Waitall(self._requests)
            self._complete()
        return True

    def is_completed(self) -> bool:
        """True once the collective has finished (completes it when it has)."""
        if not self._done and _mpi().Request.Testall(self._requests):
            self._complete()
        return self._done

    def is_success(self) -> bool:
        return self.is_completed()

    def result(self) -> list:
        self.wait()
        return []


# ── buffers ──────────────────────────────────────────────────────────────────────────────────


def _check_tensor(t, name: str) -> None:
    if not isinstance(t, Tensor):
        raise TypeError(
            f"Invalid function argument. Expected parameter `{name}` of type torch.Tensor "
            f"but got {type(t)} instead."
        )


def _check_tensor_list(ts, name: str) -> None:
    if not isinstance(ts, list) or not all(isinstance(t, Tensor) for t in ts):
        raise TypeError(
            f"Invalid function argument. Expected parameter `{name}` of type "
            f"List[torch.Tensor] but got {type(ts)} instead."
        )


def _ensure_same_dtype(*tensors_or_lists) -> None:
    """torch's check that a collective's tensors (single ones or lists; None skipped) share one
    dtype, naming the first two that differ. What is not a tensor is left to the type checks."""
    first = None
    for item in tensors_or_lists:
        for t in [item] if isinstance(item, Tensor) else item or []:
            if not isinstance(t, Tensor):
                continue
            if first is None:
                first = t.dtype
            elif t.dtype != first:
                raise ValueError(
                    f"Invalid usage of tensors with different dtypesFound {first} and  {t.dtype}"
                )


class _Buffer:
    """The C-contiguous array MPI works on for a tensor, and how to write it back.

    A contiguous tensor lends its own memory (bool viewed as uint8); otherwise a copy is used
    and ``write_back()`` copies the result into the tensor (through any view)."""

    def __init__(self, t: Tensor) -> None:
        self.tensor = t
        data = t._data
        self.copied = not (data.flags.c_contiguous and data.flags.writeable)
        arr = xp.ascontiguousarray(data) if self.copied else data
        if self.copied and arr is data:
            arr = arr.copy()
        self.array = arr.view(xp.uint8) if arr.dtype == xp.bool_ else arr

    def write_back(self) -> None:
        t = self.tensor
        if self.copied:
            xp.copyto(t._data, self.array.view(t._data.dtype).reshape(t._data.shape))
        t._bump()


def _copy_parts(tensors: list, parts) -> None:
    """tensors[i] ← parts[i], the block received from rank i (bool arrives as uint8)."""
    for t, part in zip(tensors, parts):
        xp.copyto(t._data, part.view(t._data.dtype))
        t._bump()


def _mpi_op(op: ReduceOp, tensor: Tensor):
    """The MPI reduction for ``op`` on ``tensor``'s dtype (AVG is SUM, divided later)."""
    MPI = _mpi()
    dtype = tensor._data.dtype
    if not isinstance(op, ReduceOp):
        raise ValueError(f"unsupported reduce op {op!r}")
    if dtype == xp.bool_:
        if op is ReduceOp.AVG:
            raise RuntimeError("Cannot use ReduceOp.AVG with boolean inputs")
    elif op is ReduceOp.AVG and not xp.issubdtype(dtype, xp.floating):
        # torch (gloo) divides the sum in place, which an integer tensor cannot hold.
        raise RuntimeError(
            "result type Float can't be cast to the desired output type "
            f"{_scalar_type_name(tensor)}"
        )
        # A bool is one byte: the sum of "trues" is their maximum, the product their minimum.
        op = {ReduceOp.SUM: ReduceOp.MAX, ReduceOp.PRODUCT: ReduceOp.MIN}.get(op, op)
    elif xp.issubdtype(dtype, xp.floating) and op in (ReduceOp.BAND, ReduceOp.BOR, ReduceOp.BXOR):
        raise RuntimeError(f"Cannot use ReduceOp.{op.name} with non-integral dtype")
    return {
        ReduceOp.SUM: MPI.SUM,
        ReduceOp.AVG: MPI.SUM,
        ReduceOp.PRODUCT: MPI.PROD,
        ReduceOp.MIN: MPI.MIN,
        ReduceOp.MAX: MPI.MAX,
        ReduceOp.BAND: MPI.BAND,
        ReduceOp.BOR: MPI.BOR,
        ReduceOp.BXOR: MPI.BXOR,
    }[op]


def _divide(array, n: int) -> None:
    """array /= n in place (a floating-point array: ``_mpi_op`` refuses AVG on the others)."""
    array /= array.dtype.type(n)


def _start(pg, name: str, args: tuple, async_op: bool, finish=None, keep=()):
    """Run ``comm.<name>(*args)``: blocking, or non-blocking as ``comm.I<name>`` in a Work."""
    if async_op:
        request = getattr(pg.comm, "I" + name[0].lower() + name[1:])(*args)
        return Work([request], finish, keep)
    getattr(pg.comm, name)(*args)
    if finish is not None:
        finish()
    return None


def _root(pg, rank, group_rank, what: str) -> int:
    """The group rank of a collective's root, from a global ``src``/``dst`` or a group rank."""
    if group_rank is not None:
        if rank is not None:
            raise ValueError(f"Can't specify both {what} and group_{what}")
        return group_rank
    return get_group_rank(pg, 0 if rank is None else rank)


def _is_root_with_list(pg, root: int, tensors, name: str, role: str) -> bool:
    """Whether this process is the root of gather/scatter, after checking the root's list
    (``gather_list``/``scatter_list``): given, one tensor per process, on the root only."""
    if pg.rank() != root:
        if tensors:
            raise ValueError(f"Argument ``{name}`` must NOT be specified on non-{role} ranks.")
        return False
    if not tensors:
        raise ValueError(f"Argument ``{name}`` must be specified on {role} rank.")
    _check_tensor_list(tensors, name)
    if len(tensors) != pg.size():
        raise ValueError(f"{name} must have one tensor per process")
    return True


# ── collectives ──────────────────────────────────────────────────────────────────────────────


def barrier(group=None, async_op: bool = False, device_ids=None):
    """Wait until every process of the group has reached this call."""
    pg = resolve_group(group)
    if pg is None:
        return warn_not_in_group("barrier")
    if async_op:
        return Work([pg.comm.Ibarrier()])
    pg.comm.Barrier()
    return None


def monitored_barrier(group=None, timeout=None, wait_all_ranks: bool = False) -> None:
    """``barrier`` for debugging hangs in torch (it names the ranks that did not arrive in
    time); here a plain barrier: an MPI job whose rank fails is ended as a whole anyway."""
    barrier(group)


def broadcast(tensor: Tensor, src=None, group=None, async_op: bool = False, group_src=None):
    """Copy ``tensor`` of rank ``src`` into ``tensor`` of every other process."""
    _check_tensor(tensor, "tensor")
    pg = resolve_group(group)
    if pg is None:
        return warn_not_in_group("broadcast")
    root = _root(pg, src, group_src, "src")
    buf = _Buffer(tensor)
    return _start(pg, "Bcast", (buf.array, root), async_op, buf.write_back, (buf,))


def all_reduce(tensor: Tensor, op=ReduceOp.SUM, group=None, async_op: bool = False):
    """tensor ← op over all processes of their ``tensor`` (element-wise), on every process."""
    _check_tensor(tensor, "tensor")
    pg = resolve_group(group)
    if pg is None:
        return warn_not_in_group("all_reduce")
    buf = _Buffer(tensor)
    mpi_op = _mpi_op(op, tensor)
    n = pg.size()

    def finish():
        if op is ReduceOp.AVG:
            _divide(buf.array, n)
        buf.write_back()

    args = (_mpi().IN_PLACE, buf.array, mpi_op)
    return _start(pg, "Allreduce", args, async_op, finish, (buf,))


def reduce(
    tensor: Tensor, dst=None, op=ReduceOp.SUM, group=None, async_op: bool = False, group_dst=None
):
    """tensor of rank ``dst`` ← op over all processes' ``tensor``; the others keep theirs."""
    _check_tensor(tensor, "tensor")
    pg = resolve_group(group)
    if pg is None:
        return warn_not_in_group("reduce")
    root = _root(pg, dst, group_dst, "dst")
    buf = _Buffer(tensor)
    mpi_op = _mpi_op(op, tensor)
    is_root = pg.rank() == root
    n = pg.size()
    # The root reduces in place; the others send a copy (their tensor is left as it is).
    send = _mpi().IN_PLACE if is_root else buf.array.copy()
    recv = buf.array if is_root else None

    def finish():
        if is_root:
            if op is ReduceOp.AVG:
                _divide(buf.array, n)
            buf.write_back()

    return _start(pg, "Reduce", (send, recv, mpi_op, root), async_op, finish, (buf, send))


def all_gather_into_tensor(
    output_tensor: Tensor, input_tensor: Tensor, group=None, async_op: bool = False
):
    """output_tensor ← every process's ``input_tensor``, concatenated along dim 0 in rank
    order (or stacked, if ``output_tensor`` has one more dimension)."""
    _check_tensor(output_tensor, "output_tensor")
    _check_tensor(input_tensor, "input_tensor")
    pg = resolve_group(group)
    if pg is None:
        return warn_not_in_group("all_gather_into_tensor")
    if output_tensor.dtype != input_tensor.dtype:
        raise TypeError("output tensor must have the same type as input tensor")
    if output_tensor.numel() != input_tensor.numel() * pg.size():
        raise ValueError("output tensor size must be equal to world_size times input tensor size")
    out = _Buffer(output_tensor)
    send = _Buffer(input_tensor).array
    return _start(pg, "Allgather", (send, out.array), async_op, out.write_back, (out, send))


def all_gather(tensor_list: list, tensor: Tensor, group=None, async_op: bool = False):
    """tensor_list[i] ← ``tensor`` of rank i, for every i, on every process."""
    _check_tensor_list(tensor_list, "tensor_list")
    _check_tensor(tensor, "tensor")
    _ensure_same_dtype(tensor_list, tensor)
    pg = resolve_group(group)
    if pg is None:
        return warn_not_in_group("all_gather")
    # torch's (gloo's) errors for a list of the wrong length or a tensor of the wrong size.
    if len(tensor_list) != pg.size():
        raise RuntimeError(
            f"ProcessGroupGloo::allgather: invalid output tensor list at index 0 (expected "
            f"length {pg.size()}, got {len(tensor_list)})"
        )
    for i, t in enumerate(tensor_list):
        if t.shape != tensor.shape:
            expected = ", ".join(str(d) for d in tensor.shape)
            got = ", ".join(str(d) for d in t.shape)
            raise RuntimeError(
                f"ProcessGroupGloo::allgather: invalid tensor size at index {i} (expected "
                f"({expected}), got ({got}))"
            )
    send = _Buffer(tensor).array
    recv = xp.empty((pg.size(),) + send.shape, dtype=send.dtype)  # (world, *shape)

    def finish():
        _copy_parts(tensor_list, recv)

    return _start(pg, "Allgather", (send, recv), async_op, finish, (send, recv))


def gather(
    tensor: Tensor,
    gather_list: list | None = None,
    dst=None,
    group=None,
    async_op: bool = False,
    group_dst=None,
):
    """On rank ``dst``: gather_list[i] ← ``tensor`` of rank i. Other ranks pass no list."""
    _check_tensor(tensor, "tensor")
    _ensure_same_dtype(tensor, gather_list)
    pg = resolve_group(group)
    if pg is None:
        return warn_not_in_group("gather")
    root = _root(pg, dst, group_dst, "dst")
    is_root = _is_root_with_list(pg, root, gather_list, "gather_list", "destination")
    send = _Buffer(tensor).array
    recv = xp.empty((pg.size(),) + send.shape, dtype=send.dtype) if is_root else None

    def finish():
        if is_root:
            _copy_parts(gather_list, recv)

    return _start(pg, "Gather", (send, recv, root), async_op, finish, (send, recv))


def scatter(
    tensor: Tensor,
    scatter_list: list | None = None,
    src=None,
    group=None,
    async_op: bool = False,
    group_src=None,
):
    """tensor ← scatter_list[my rank] of rank ``src``. Other ranks pass no list."""
    _check_tensor(tensor, "tensor")
    _ensure_same_dtype(tensor, scatter_list)
    pg = resolve_group(group)
    if pg is None:
        return warn_not_in_group("scatter")
    root = _root(pg, src, group_src, "src")
    send = None
    if _is_root_with_list(pg, root, scatter_list, "scatter_list", "source"):
        dtype = tensor._data.dtype
        send = xp.stack([xp.asarray(t._data, dtype=dtype) for t in scatter_list])
        send = send.view(xp.uint8) if dtype == xp.bool_ else send
    buf = _Buffer(tensor)
    return _start(pg, "Scatter", (send, buf.array, root), async_op, buf.write_back, (buf, send))


def reduce_scatter_tensor(
    output: Tensor, input: Tensor, op=ReduceOp.SUM, group=None, async_op: bool = False
):
    """output ← block ``rank`` of (op over all processes' ``input``), where ``input`` is
    ``world_size`` equal blocks along dim 0."""
    _check_tensor(output, "output")
    _check_tensor(input, "input")
    pg = resolve_group(group)
    if pg is None:
        return warn_not_in_group("reduce_scatter_tensor")
    if input.numel() != output.numel() * pg.size():
        raise ValueError("input tensor must be the same size as output size times world size")
    out = _Buffer(output)
    send = _Buffer(input).array
    mpi_op = _mpi_op(op, output)
    n = pg.size()

    def finish():
        if op is ReduceOp.AVG:
            _divide(out.array, n)
        out.write_back()

    args = (send, out.array, mpi_op)
    return _start(pg, "Reduce_scatter_block", args, async_op, finish, (out, send))


def reduce_scatter(output: Tensor, input_list: list, op=ReduceOp.SUM, group=None, async_op=False):
    """output ← op over all processes of their ``input_list[rank]``: ``reduce_scatter_tensor``
    with the input given as one tensor per process."""
    _check_tensor(output, "output")
    _check_tensor_list(input_list, "input_list")
    _ensure_same_dtype(output, input_list)
    pg = resolve_group(group)
    if pg is None:
        return warn_not_in_group("reduce_scatter")
    if len(input_list) != pg.size() or any(t.shape != output.shape for t in input_list):
        raise ValueError(
            "reduce_scatter: input_list must hold one output-shaped tensor per process"
        )
    dtype = output._data.dtype
    stacked = Tensor._make(xp.stack([xp.asarray(t._data, dtype=dtype) for t in input_list]))
    return reduce_scatter_tensor(output, stacked, op, group, async_op)


def _split_counts(split_sizes, tensor: Tensor, n: int, name: str) -> list[int]:
    """Element counts of the ``n`` blocks of ``tensor`` along dim 0: ``split_sizes`` rows each,
    or equal blocks when none are given."""
    rows = tensor.shape[0] if tensor.dim() > 0 else 1
    per_row = tensor.numel() // rows if rows else 0
    if not split_sizes:
        if rows % n:
            raise ValueError(f"{name}: dim 0 ({rows}) must divide evenly into {n} blocks")
        return [rows // n * per_row] * n
    if len(split_sizes) != n or sum(split_sizes) != rows:
        raise ValueError(f"{name}: split sizes {list(split_sizes)} do not split {rows} rows")
    return [int(s) * per_row for s in split_sizes]


def all_to_all_single(
    output: Tensor,
    input: Tensor,
    output_split_sizes=None,
    input_split_sizes=None,
    group=None,
    async_op: bool = False,
):
    """Block i of this process's ``input`` (along dim 0) goes to rank i, and block j of
    ``output`` comes from rank j. Blocks are equal unless split sizes are given."""
    _check_tensor(output, "output")
    _check_tensor(input, "input")
    _ensure_same_dtype(output, input)
    pg = resolve_group(group)
    if pg is None:
        return warn_not_in_group("all_to_all_single")
    n = pg.size()
    send_counts = _split_counts(input_split_sizes, input, n, "input")
    recv_counts = _split_counts(output_split_sizes, output, n, "output")
    out = _Buffer(output)
    send = _Buffer(input).array.reshape(-1)
    recv = out.array.reshape(-1)
    # Alltoallv wants each block's length and its offset into the flat buffer.
    send_offsets = [sum(send_counts[:i]) for i in range(n)]
    recv_offsets = [sum(recv_counts[:i]) for i in range(n)]
    args = ([send, (send_counts, send_offsets)], [recv, (recv_counts, recv_offsets)])
    return _start(pg, "Alltoallv", args, async_op, out.write_back, (out, send))


def all_to_all(output_tensor_list: list, input_tensor_list: list, group=None, async_op=False):
    """output_tensor_list[j] ← ``input_tensor_list[my rank]`` of rank j (``all_to_all_single``
    with one tensor per block; the tensors may differ in size)."""
    _check_tensor_list(output_tensor_list, "output_tensor_list")
    _check_tensor_list(input_tensor_list, "input_tensor_list")
    _ensure_same_dtype(output_tensor_list, input_tensor_list)
    pg = resolve_group(group)
    if pg is None:
        return warn_not_in_group("all_to_all")
    n = pg.size()
    if len(output_tensor_list) != n or len(input_tensor_list) != n:
        raise ValueError("all_to_all: the tensor lists must hold one tensor per process")
    dtype = input_tensor_list[0]._data.dtype
    send = xp.concatenate([xp.asarray(t._data, dtype=dtype).reshape(-1) for t in input_tensor_list])
    send = send.view(xp.uint8) if dtype == xp.bool_ else send
    recv = xp.empty(sum(t.numel() for t in output_tensor_list), dtype=send.dtype)
    send_counts = [t.numel() for t in input_tensor_list]
    recv_counts = [t.numel() for t in output_tensor_list]
    send_offsets = [sum(send_counts[:i]) for i in range(n)]
    recv_offsets = [sum(recv_counts[:i]) for i in range(n)]

    def finish():
        parts = [
            recv[o : o + c].reshape(t._data.shape)
            for t, o, c in zip(output_tensor_list, recv_offsets, recv_counts)
        ]
        _copy_parts(output_tensor_list, parts)

    args = ([send, (send_counts, send_offsets)], [recv, (recv_counts, recv_offsets)])
    return _start(pg, "Alltoallv", args, async_op, finish, (send, recv))


# ── Python objects (pickled, like torch's *_object collectives) ──────────────────────────────


def broadcast_object_list(object_list: list, src=None, group=None, device=None, group_src=None):
    """object_list ← rank ``src``'s ``object_list`` (in place; objects are pickled)."""
    pg = resolve_group(group)
    if pg is None:
        return warn_not_in_group("broadcast_object_list")
    root = _root(pg, src, group_src, "src")
    payload = pickle.dumps(list(object_list)) if pg.rank() == root else None
    received = pickle.loads(pg.comm.bcast(payload, root=root))
    object_list[:] = received
    return None


def all_gather_object(object_list: list, obj, group=None):
    """object_list[i] ← ``obj`` of rank i (objects are pickled)."""
    pg = resolve_group(group)
    if pg is None:
        return warn_not_in_group("all_gather_object")
    if len(object_list) != pg.size():
        raise ValueError("object_list must have one slot per process")
    object_list[:] = [pickle.loads(b) for b in pg.comm.allgather(pickle.dumps(obj))]
    return None


def gather_object(obj, object_gather_list=None, dst=None, group=None, group_dst=None):
    """On rank ``dst``: object_gather_list[i] ← ``obj`` of rank i."""
    pg = resolve_group(group)
    if pg is None:
        return warn_not_in_group("gather_object")
    root = _root(pg, dst, group_dst, "dst")
    got = pg.comm.gather(pickle.dumps(obj), root=root)
    if pg.rank() == root:
        object_gather_list[:] = [pickle.loads(b) for b in got]
    return None


def scatter_object_list(
    scatter_object_output_list: list,
    scatter_object_input_list=None,
    src=None,
    group=None,
    group_src=None,
):
    """scatter_object_output_list[0] ← rank ``src``'s ``scatter_object_input_list[my rank]``
    (objects are pickled)."""
    if not isinstance(scatter_object_output_list, list) or len(scatter_object_output_list) < 1:
        raise ValueError(
            "Expected argument scatter_object_output_list to be a list of size at least 1."
        )
    pg = resolve_group(group)
    if pg is None:
        return warn_not_in_group("scatter_object_list")
    root = _root(pg, src, group_src, "src")
    payload = None
    if pg.rank() == root:
        if scatter_object_input_list is None:
            raise ValueError("source rank must provide non-None scatter_object_input_list")
        payload = [pickle.dumps(obj) for obj in scatter_object_input_list]
    scatter_object_output_list[0] = pickle.loads(pg.comm.scatter(payload, root=root))
    return None
