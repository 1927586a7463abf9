"""Data-parallel training on MPI: step time, all-reduce bandwidth and overlap.

    python benchmarks/bench_distributed.py            # the whole comparison (needs mpiexec)

1. Step time of LeNet-5 and the VGG-style net of ``bench_nn.py`` (global batch 64, SGD):
   1 process × 2 BLAS threads against 2 processes × 1 thread (DistributedDataParallel).
2. All-reduce bandwidth of ``gradiente.distributed.all_reduce`` against mpi4py's own
   ``Allreduce`` on the same float32 buffers (2 processes).
3. Communication hidden behind backward: 1 − (DDP step − no_sync step) / (time of the same
   all-reduces alone), with the default 25 MB buckets and with small (0.05 MB) ones.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

BATCH, REPEATS = 64, 20


def _median_time(fn, repeats: int = REPEATS) -> float:
    fn()
    fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    times.sort()
    return times[len(times) // 2]


def _step(torch, model, x, y):
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = torch.nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()

    return step


def worker() -> None:
    from bench_nn import _models

    import gradiente as torch
    import gradiente.distributed as dist
    from gradiente.nn.parallel import DistributedDataParallel as DDP

    parallel = dist.mpi_env() is not None and dist.mpi_env()["WORLD_SIZE"] > 1
    rank, world = 0, 1
    if parallel:
        dist.init_process_group("mpi")
        rank, world = dist.get_rank(), dist.get_world_size()
    out = []
    for name in ("lenet", "vgg"):
        model, shape = _models(torch)[name]
        torch.manual_seed(rank)
        x = torch.randn(BATCH // world, *shape[1:])
        y = torch.randint(0, 10, (BATCH // world,))
        if not parallel:
            out.append(f"{name} step {1e3 * _median_time(_step(torch, model, x, y)):.1f} ms")
            continue
        for cap in (25, 0.05):
            ddp = DDP(model, bucket_cap_mb=cap)
            step = _step(torch, ddp, x, y)
            t_ddp = _median_time(step)
            with ddp.no_sync():
                t_local = _median_time(step)
            flats = [torch.Tensor._make(b.flat) for b in ddp._buckets]
            t_comm = _median_time(lambda: [dist.all_reduce(f) for f in flats])  # noqa: B023
            # clamped: when the all-reduces cost less than the steps' noise this is 0 or 100%
            hidden = min(max(1 - (t_ddp - t_local) / t_comm, 0.0), 1.0)
            out.append(
                f"{name} buckets {cap:g} MB ({len(flats)}): DDP step {1e3 * t_ddp:.1f} ms, "
                f"no_sync {1e3 * t_local:.1f} ms, all-reduces alone {1e3 * t_comm:.2f} ms, "
                f"hidden {100 * hidden:.0f}%"
            )
            for h in ddp._grad_hooks:
                h.remove()
    if parallel:
        from mpi4py import MPI

        comm = MPI.COMM_WORLD
        for mb in (1, 10, 40):
            t = torch.ones(mb * 2**18)  # float32
            raw = _median_time(lambda: comm.Allreduce(MPI.IN_PLACE, t._data, MPI.SUM), 10)  # noqa: B023
            ours = _median_time(lambda: dist.all_reduce(t), 10)  # noqa: B023
            out.append(
                f"all_reduce {mb} MB: mpi4py {mb / raw:.0f} MB/s, gradiente {mb / ours:.0f} MB/s "
                f"({100 * raw / ours:.0f}%)"
            )
    if rank == 0:
        print("\n".join(out))


def main() -> None:
    mpiexec = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    me = os.path.abspath(__file__)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, global batch {BATCH}")
    env = dict(os.environ, OMP_NUM_THREADS="2", OMP_WAIT_POLICY="PASSIVE")
    print("-- 1 process x 2 threads")
    subprocess.run([sys.executable, me, "worker"], env=env, check=True)
    print("-- 2 processes x 1 thread")
    env["OMP_NUM_THREADS"] = "1"
    subprocess.run([mpiexec, "-n", "2", sys.executable, me, "worker"], env=env, check=True)


if __name__ == "__main__":
    worker() if sys.argv[1:] == ["worker"] else main()
