"""Point-to-point messages: one process sends a tensor, one other process receives it.

``send``/``recv`` block; ``isend``/``irecv`` return a ``Work`` to ``wait()`` on, and
``batch_isend_irecv`` starts a list of them at once (so that two processes can exchange
tensors without each waiting for the other to receive first). They map onto MPI's
``Send``/``Recv``/``Isend``/``Irecv`` on the group's communicator; ``tag`` is MPI's tag, so a
receive only matches a send with the same tag. A ``recv`` with no ``src`` takes a message from
any process and returns the sender's global rank, as torch does.
"""

from __future__ import annotations

from gradiente.distributed.collectives import Work, _Buffer, _check_tensor
from gradiente.distributed.process_group import _mpi, resolve_group, warn_not_in_group
from gradiente.tensor import Tensor

__all__ = ["P2POp", "batch_isend_irecv", "irecv", "isend", "recv", "send"]


def _check_contiguous(tensor: Tensor) -> None:
    """torch's gloo sends and receives only contiguous tensors (a view's elements are not one
    block of memory); so does this, with torch's message."""
    if not tensor.is_contiguous():
        raise RuntimeError("input tensor has to be contiguous")


def _peer(pg, rank, group_rank, what: str, sending: bool) -> int:
    """The peer's rank in ``pg`` (from a global ``rank`` or a ``group_rank``), refusing this
    process itself as torch does."""
    if rank is not None and group_rank is not None:
        raise ValueError(f"Can't specify both {what} and group_{what}")
    if group_rank is None:
        if rank is None:
            raise ValueError(f"Must specify either {what} or group_{what}")
        if int(rank) not in pg.ranks:
            raise ValueError(f"Global rank {rank} is not part of group {pg}")
        group_rank = pg.ranks.index(int(rank))
    if group_rank == pg.rank():
        role = "destination" if sending else "source"
        raise ValueError(
            f"Invalid {role} rank: {role} rank should not be the same as the rank of the "
            f"current process."
        )
    return group_rank


def isend(tensor: Tensor, dst=None, group=None, tag: int = 0, group_dst=None) -> Work:
    """Start sending ``tensor`` to rank ``dst``; the tensor must not change until ``wait()``."""
    _check_tensor(tensor, "tensor")
    _check_contiguous(tensor)
    pg = resolve_group(group)
    if pg is None:
        return warn_not_in_group("isend")
    peer = _peer(pg, dst, group_dst, "dst", sending=True)
    data = _Buffer(tensor).array
    return Work([pg.comm.Isend(data, dest=peer, tag=tag)], keep=(data,))


def send(tensor: Tensor, dst=None, group=None, tag: int = 0, group_dst=None) -> None:
    """Send ``tensor`` to rank ``dst`` (blocks until MPI has taken the data)."""
    _check_tensor(tensor, "tensor")
    _check_contiguous(tensor)
    pg = resolve_group(group)
    if pg is None:
        return warn_not_in_group("send")
    peer = _peer(pg, dst, group_dst, "dst", sending=True)
    pg.comm.Send(_Buffer(tensor).array, dest=peer, tag=tag)


class _RecvWork(Work):
    """The ``Work`` of an ``irecv``: once complete, ``_source_rank()`` is the sender's global
    rank (useful when receiving from any source)."""

    def __init__(self, pg, request, buf, status) -> None:
        super().__init__([request], finish=buf.write_back, keep=(buf,))
        self._pg = pg
        self._status = status

    def wait(self, timeout=None) -> bool:
        if not self._done:
            self._requests[0].Wait(self._status)
            self._complete()
        return True

    def is_completed(self) -> bool:
        if not self._done and self._requests[0].Test(self._status):
            self._complete()
        return self._done

    def _source_rank(self) -> int:
        self.wait()
        return self._pg.ranks[self._status.Get_source()]


def irecv(tensor: Tensor, src=None, group=None, tag: int = 0, group_src=None) -> Work:
    """Start receiving into ``tensor`` from rank ``src`` (any process when None)."""
    _check_tensor(tensor, "tensor")
    _check_contiguous(tensor)
    pg = resolve_group(group)
    if pg is None:
        return warn_not_in_group("irecv")
    MPI = _mpi()
    source = MPI.ANY_SOURCE
    if src is not None or group_src is not None:
        source = _peer(pg, src, group_src, "src", sending=False)
    buf = _Buffer(tensor)
    request = pg.comm.Irecv(buf.array, source=source, tag=tag)
    return _RecvWork(pg, request, buf, MPI.Status())


def recv(tensor: Tensor, src=None, group=None, tag: int = 0, group_src=None) -> int:
    """Receive into ``tensor`` from rank ``src`` (any process when None); the sender's global
    rank (-1 on a process outside ``group``)."""
    work = irecv(tensor, src, group, tag, group_src)
    return -1 if work is None else work._source_rank()


class P2POp:
    """One send or receive for ``batch_isend_irecv``: ``op`` is ``isend`` or ``irecv``."""

    def __init__(self, op, tensor: Tensor, peer=None, group=None, tag: int = 0, group_peer=None):
        if op not in (isend, irecv):
            raise ValueError(
                "Invalid ``op``. Expected ``op`` to be of type ``torch.distributed.isend`` or "
                "``torch.distributed.irecv``."
            )
        _check_tensor(tensor, "tensor")
        self.op = op
        self.tensor = tensor
        self.peer = peer
        self.group = group
        self.tag = tag
        self.group_peer = group_peer

    def __repr__(self) -> str:
        return f"P2POp(op={self.op.__name__}, peer={self.peer}, tag={self.tag})"


def batch_isend_irecv(p2p_op_list: list) -> list[Work]:
    """Start every send and receive of the list (non-blocking); their ``Work`` handles."""
    if not isinstance(p2p_op_list, list) or not all(isinstance(p, P2POp) for p in p2p_op_list):
        raise ValueError(
            "Invalid ``p2p_op_list``. Each op is expected to to be of type "
            "``torch.distributed.P2POp``."
        )
    works = [p.op(p.tensor, p.peer, p.group, p.tag, p.group_peer) for p in p2p_op_list]
    return [w for w in works if w is not None]
