"""gradiente.distributed: API errors before init, a one-process group, and every collective
and dtype across two processes (``_collectives_worker.py`` under mpiexec)."""

from __future__ import annotations

import os
import re

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import pytest
from mpi_helpers import run_mpi

import gradiente as torch
import gradiente.distributed as dist

NOT_INITIALIZED = (
    "Default process group has not been initialized, please make sure to call init_process_group."
)


@pytest.mark.parametrize(
    "call",
    [
        lambda: dist.get_rank(),
        lambda: dist.get_world_size(),
        lambda: dist.get_backend(),
        lambda: dist.all_reduce(torch.ones(2)),
        lambda: dist.broadcast(torch.ones(2), src=0),
        lambda: dist.barrier(),
        lambda: dist.new_group([0]),
    ],
)
def test_calls_before_init_raise_torchs_error(call):
    assert not dist.is_initialized()
    with pytest.raises(ValueError, match="^" + NOT_INITIALIZED.replace(".", r"\.") + "$"):
        call()


def test_backend_names():
    assert dist.Backend("GLOO") == "gloo" and dist.Backend("mpi") == dist.Backend.MPI
    with pytest.raises(RuntimeError, match="doesn't have NCCL built in"):
        dist.init_process_group("nccl")
    with pytest.raises(ValueError, match="Invalid backend: 'smoke'"):
        dist.init_process_group("smoke")
    assert not dist.is_initialized() and not dist.is_nccl_available()


def test_mpi_env_reads_launcher_variables(monkeypatch):
    for name in ("PMI_RANK", "PMI_SIZE", "OMPI_COMM_WORLD_RANK", "PMIX_RANK"):
        monkeypatch.delenv(name, raising=False)
    assert dist.mpi_env() is None
    monkeypatch.setenv("OMPI_COMM_WORLD_RANK", "3")
    monkeypatch.setenv("OMPI_COMM_WORLD_SIZE", "8")
    monkeypatch.setenv("OMPI_COMM_WORLD_LOCAL_RANK", "1")
    monkeypatch.setenv("OMPI_COMM_WORLD_LOCAL_SIZE", "4")
    assert dist.mpi_env() == {"RANK": 3, "WORLD_SIZE": 8, "LOCAL_RANK": 1, "LOCAL_WORLD_SIZE": 4}


@pytest.fixture
def world_of_one():
    """A default process group of this process alone (MPI singleton)."""
    if not dist.is_available():
        pytest.skip("needs mpi4py")
    dist.init_process_group("gloo", init_method="env://", rank=0, world_size=1)
    yield
    dist.destroy_process_group()


def test_world_of_one(world_of_one):
    assert (dist.get_rank(), dist.get_world_size(), dist.get_backend()) == (0, 1, "gloo")
    with pytest.raises(ValueError, match="twice"):
        dist.init_process_group("gloo")
    t = torch.tensor([1.5, -2.0], dtype=torch.float64)
    work = dist.all_reduce(t, op=dist.ReduceOp.AVG, async_op=True)
    assert work.wait() and work.is_completed()
    assert t.tolist() == [1.5, -2.0]
    out = torch.zeros(1, 2)
    dist.all_gather_into_tensor(out, torch.tensor([[3.0, 4.0]]))
    assert out.tolist() == [[3.0, 4.0]]
    with pytest.raises(ValueError, match="world_size times"):
        dist.all_gather_into_tensor(torch.zeros(3), torch.zeros(2))
    with pytest.raises(TypeError, match="Expected parameter `tensor` of type torch.Tensor"):
        dist.all_reduce([1.0])
    with pytest.raises(RuntimeError, match="AVG with boolean"):
        dist.all_reduce(torch.tensor([True]), op=dist.ReduceOp.AVG)


def test_gather_and_scatter_check_the_roots_list(world_of_one):
    t = torch.tensor([1.0, 2.0])
    for empty in (None, []):  # as torch: no list, or an empty one, on the root is refused
        with pytest.raises(ValueError, match="``gather_list`` must be specified on destination"):
            dist.gather(t, empty)
        with pytest.raises(ValueError, match="``scatter_list`` must be specified on source"):
            dist.scatter(t, empty)
    with pytest.raises(ValueError, match="^gather_list must have one tensor per process$"):
        dist.gather(t, [torch.zeros(2), torch.zeros(2)])
    with pytest.raises(TypeError, match="parameter `scatter_list` of type List"):
        dist.scatter(t, [[1.0, 2.0]])
    gathered = [torch.zeros(2)]
    dist.gather(t, gathered)
    out = torch.zeros(2)
    dist.scatter(out, [torch.tensor([3.0, 4.0])])
    assert gathered[0].tolist() == [1.0, 2.0] and out.tolist() == [3.0, 4.0]


def test_rank_disagreeing_with_mpi_is_refused():
    if not dist.is_available():
        pytest.skip("needs mpi4py")
    with pytest.raises(RuntimeError, match="rank=3 disagrees with MPI's 0"):
        dist.init_process_group("mpi", rank=3, world_size=4)
    assert not dist.is_initialized()


def test_every_collective_and_dtype_on_two_processes():
    proc = run_mpi("_collectives_worker.py", 2)
    assert sorted(re.findall(r"ok \d", proc.stdout)) == ["ok 0", "ok 1"]
