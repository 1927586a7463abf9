"""torch.distributed programs that behaved differently under gradiente than under torch (gloo):
point-to-point messages, all-to-all, list reduce-scatter, object scatter, torch's dtype and
all_gather errors, and when DDP broadcasts buffers. The expected values are what
``torchrun --nproc_per_node=2`` with gloo prints for the same calls.

Run by pytest, each test starts this file under ``mpiexec -n 2`` with the check's name; run as
a script, it performs that check on each rank and prints "ok <rank>".
"""

from __future__ import annotations

import os
import subprocess
import sys
import warnings

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import pytest
from mpi_helpers import run_mpi

import gradiente as torch
import gradiente.distributed as dist
from gradiente import nn
from gradiente.nn.parallel import DistributedDataParallel as DDP

CHECKS = ["p2p", "all_to_all", "errors", "ddp_buffers", "functional"]


@pytest.mark.parametrize("check", CHECKS)
def test_under_mpiexec(check):
    proc = run_mpi("test_hunt3_dist_findings.py", 2, check)
    assert proc.stdout.count("ok") == 2, proc.stdout  # one line per rank (may interleave)


def test_torchelastic_launched_reads_the_launchers_variables(monkeypatch):
    for name in ("TORCHELASTIC_RUN_ID", "PMI_RANK", "OMPI_COMM_WORLD_RANK", "PMIX_RANK"):
        monkeypatch.delenv(name, raising=False)
    assert not dist.is_torchelastic_launched()
    monkeypatch.setenv("TORCHELASTIC_RUN_ID", "none")  # what torchrun sets
    assert dist.is_torchelastic_launched()
    monkeypatch.delenv("TORCHELASTIC_RUN_ID")
    monkeypatch.setenv("PMI_RANK", "0")
    monkeypatch.setenv("PMI_SIZE", "2")
    assert dist.is_torchelastic_launched()  # mpiexec plays torchrun's part


def test_torchrun_script_imports_resolve():
    code = (
        "from gradiente import compat; compat.install()\n"
        "from torch.distributed.elastic.multiprocessing.errors import record\n"
        "import torch.distributed.nn.functional as F, torch.distributed.nn as dnn\n"
        "assert record(len)('ab') == 2 and record()(len)('a') == 1\n"
        "assert dnn.all_gather is F.all_gather and dnn.functional.broadcast is F.broadcast\n"
        "print('ok')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.stdout == "ok\n", proc.stderr


# ── the checks, run on each rank under mpiexec ──────────────────────────────────────────────


def raises(exc_type, message, call):
    try:
        call()
    except exc_type as error:
        assert str(error) == message, str(error)
    else:
        raise AssertionError(f"no {exc_type.__name__}: {message}")


def check_p2p(rank):
    peer = 1 - rank
    if rank == 0:
        dist.send(torch.tensor([1.5, 2.5]), dst=1)
        got = torch.zeros(3, dtype=torch.int64)
        assert dist.recv(got, src=1) == 1 and got.tolist() == [7, 8, 9]
        got = torch.zeros(1)
        assert dist.recv(got) == 1 and got.tolist() == [42.0]  # from any source
    else:
        got = torch.zeros(2)
        assert dist.recv(got, src=0) == 0 and got.tolist() == [1.5, 2.5]
        dist.send(torch.tensor([7, 8, 9]), dst=0)
        dist.send(torch.tensor([42.0]), dst=0)
    # isend/irecv, tags matched out of order.
    if rank == 0:
        works = [dist.isend(torch.full((2,), float(t)), dst=1, tag=t) for t in (1, 2)]
    else:
        target = torch.zeros(2, 2)
        works = [dist.irecv(target[0], src=0, tag=2), dist.irecv(target[1], src=0, tag=1)]
    for work in works:
        assert work.wait()
    if rank == 1:
        assert target.tolist() == [[2.0, 2.0], [1.0, 1.0]]
        raises(
            RuntimeError,
            "input tensor has to be contiguous",
            lambda: dist.irecv(target[:, 0], src=0),
        )
    # Both processes send before receiving: batch_isend_irecv does not deadlock.
    received = torch.zeros(2)
    ops = [
        dist.P2POp(dist.isend, torch.full((2,), float(rank)), peer),
        dist.P2POp(dist.irecv, received, peer),
    ]
    for work in dist.batch_isend_irecv(ops):
        work.wait()
    assert received.tolist() == [float(peer)] * 2
    raises(
        ValueError,
        "Invalid destination rank: destination rank should not be the same as the rank of the "
        "current process.",
        lambda: dist.send(torch.ones(1), dst=rank),
    )


def check_all_to_all(rank):
    out = torch.zeros(4)
    dist.all_to_all_single(out, torch.arange(4.0) + 10 * rank)
    assert out.tolist() == ([0.0, 1.0, 10.0, 11.0] if rank == 0 else [2.0, 3.0, 12.0, 13.0])
    sizes = [1, 2] if rank == 0 else [2, 1]  # rows sent to / received from each rank
    out = torch.zeros(3, 2)
    dist.all_to_all_single(out, (torch.arange(6.0) + 10 * rank).reshape(3, 2), sizes, sizes)
    expected = [[0, 1], [10, 11], [12, 13]] if rank == 0 else [[2, 3], [4, 5], [14, 15]]
    assert out.tolist() == expected, out.tolist()
    outs = [torch.zeros(2) for _ in range(2)]
    dist.all_to_all(outs, [torch.full((2,), float(10 * rank + i)) for i in range(2)])
    assert [o.tolist() for o in outs] == [[float(rank)] * 2, [float(10 + rank)] * 2]
    out = torch.zeros(2)
    dist.reduce_scatter(out, [torch.full((2,), float(rank + i)) for i in range(2)])
    assert out.tolist() == [float(1 + 2 * rank)] * 2
    got = [None]
    dist.scatter_object_list(got, [{"a": 1}, {"b": 2}] if rank == 0 else None, src=0)
    assert got == [[{"a": 1}], [{"b": 2}]][rank]
    dist.monitored_barrier()


def check_errors(rank):
    raises(
        ValueError,
        "Invalid usage of tensors with different dtypesFound torch.int64 and  torch.float32",
        lambda: dist.all_gather([torch.zeros(2, dtype=torch.int64)] * 2, torch.ones(2)),
    )
    raises(
        RuntimeError,
        "ProcessGroupGloo::allgather: invalid tensor size at index 0 (expected (2), got (3))",
        lambda: dist.all_gather([torch.zeros(3), torch.zeros(3)], torch.ones(2)),
    )
    raises(
        RuntimeError,
        "ProcessGroupGloo::allgather: invalid output tensor list at index 0 (expected length 2, "
        "got 1)",
        lambda: dist.all_gather([torch.zeros(2)], torch.ones(2)),
    )
    raises(
        RuntimeError,
        "Cannot use ReduceOp.BAND with non-integral dtype",
        lambda: dist.all_reduce(torch.ones(2), op=dist.ReduceOp.BAND),
    )
    for dtype, name in ((torch.int64, "Long"), (torch.uint8, "Byte")):
        raises(
            RuntimeError,
            f"result type Float can't be cast to the desired output type {name}",
            lambda d=dtype: dist.all_reduce(torch.tensor([3, 5], dtype=d), op=dist.ReduceOp.AVG),
        )
    raises(
        RuntimeError,
        "result type Float can't be cast to the desired output type Long",
        lambda: dist.reduce(torch.tensor([3, 5]), dst=0, op=dist.ReduceOp.AVG),
    )
    raises(
        ValueError,
        "DistributedDataParallel device_ids and output_device arguments only work with "
        "single-device/multiple-device GPU modules or CPU modules, but got device_ids "
        f"[{rank}], output_device None, and module parameters {{device(type='cpu')}}.",
        lambda: DDP(nn.Linear(2, 2), device_ids=[rank]),
    )


def check_ddp_buffers(rank):
    torch.manual_seed(rank)  # different weights and statistics on each rank
    ddp = DDP(nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2)))
    x = torch.randn(4, 2) + rank
    ddp(x)  # training forward: rank 0's statistics are broadcast first, then each updates its own
    ddp.eval()
    with torch.no_grad():
        ddp(x)  # follows a training forward: buffers are broadcast again (torch does, in eval too)
    mean = ddp.module[1].running_mean.clone()
    every = [torch.zeros(2), torch.zeros(2)]
    dist.all_gather(every, mean)
    assert torch.equal(every[0], every[1]), every
    ddp.module[1].running_mean.fill_(float(rank))
    with torch.no_grad():
        ddp(x)  # follows a no-grad forward: no broadcast
    assert ddp.module[1].running_mean.tolist() == [float(rank)] * 2
    # broadcast_buffers=False: no sync at construction either (torch warns it is deprecated).
    bn = nn.BatchNorm1d(2)
    bn.running_mean.fill_(float(rank))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        DDP(nn.Sequential(nn.Linear(2, 2), bn), broadcast_buffers=False)
    assert any(issubclass(w.category, FutureWarning) for w in caught)
    assert bn.running_mean.tolist() == [float(rank)] * 2
    # forward_sync_buffers=False: synced at construction, not before forwards.
    bn = nn.BatchNorm1d(2)
    bn.running_mean.fill_(float(rank))
    ddp = DDP(nn.Sequential(nn.Linear(2, 2), bn), forward_sync_buffers=False)
    assert bn.running_mean.tolist() == [0.0, 0.0] and not ddp.broadcast_buffers
    bn.running_mean.fill_(float(rank))
    ddp(x)
    with torch.no_grad():
        batch_mean = ddp.module[0](x).mean(0)
    expected = 0.9 * float(rank) + 0.1 * batch_mean  # momentum 0.1 from this rank's own value
    assert torch.allclose(bn.running_mean, expected), (bn.running_mean, expected)


def check_functional(rank):
    """Differentiable collectives (torch.distributed.nn.functional), values from torch."""
    import gradiente.distributed.functional as F

    x = torch.full((2,), float(rank + 1), dtype=torch.float64, requires_grad=True)
    y = F.broadcast(x, src=1)
    (y * (rank + 1)).sum().backward()  # dL/dx_1 = 1 + 2 (both processes), dL/dx_0 = 0
    assert y.tolist() == [2.0, 2.0] and x.grad.tolist() == [[0.0, 0.0], [3.0, 3.0]][rank]
    x = torch.tensor([1.0 + rank, 2.0], requires_grad=True)
    a, b = F.all_gather(x * 2)
    (a * 3 + b * b).sum().backward()
    assert a.tolist() == [2.0, 4.0] and b.tolist() == [4.0, 4.0]
    # dL/dx_0 = 2·3 on both processes; dL/dx_1 = 2·2b = 16 on both.
    assert x.grad.tolist() == [[12.0, 12.0], [32.0, 32.0]][rank], x.grad.tolist()
    a, b = F.all_gather(x)  # b unused: its gradient counts as zero
    a.sum().backward()
    assert x.grad.tolist() == [[14.0, 14.0], [32.0, 32.0]][rank], x.grad.tolist()


def main(check):
    dist.init_process_group("gloo")
    rank = dist.get_rank()
    globals()["check_" + check](rank)
    dist.barrier()
    dist.destroy_process_group()
    print("ok", rank, flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
