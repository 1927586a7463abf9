"""Data-parallel ``gradiente train``: start N processes under ``mpiexec``, give each its share
of every batch, and keep the run folder a one-process affair.

``launch(n, argv)`` re-runs the command under ``mpiexec -n n`` (the MPICH wheel's, next to this
Python, or the first on PATH). Inside the job, ``Job.start()`` joins the process group; every
rank trains a ``DistributedDataParallel`` replica on ``DistributedSampler``'s share of each
global batch, and only rank 0 prints and writes files. Checkpoints hold the bare model's
weights (no ``module.`` prefix), so a run saved by N processes resumes with any number.
"""

from __future__ import annotations

import atexit
import math
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

from gradiente import distributed as dist
from gradiente.data import DataLoader, DistributedSampler
from gradiente.nn.parallel import DistributedDataParallel
from gradiente.train.callbacks import Callback

__all__ = ["Job", "SetEpoch", "find_mpiexec", "launch"]


def find_mpiexec() -> str | None:
    """The ``mpiexec`` installed next to this Python (``pip install mpich``), else on PATH."""
    local = pathlib.Path(sys.executable).parent / "mpiexec"
    return str(local) if local.exists() else shutil.which("mpiexec")


def launch(nproc: int, argv: list[str]) -> int:
    """Run ``gradiente <argv>`` (without ``--nproc``) as ``nproc`` MPI processes; their exit
    status."""
    if not dist.is_available():
        raise RuntimeError(f"--nproc needs mpi4py: {dist.process_group.INSTALL_HINT}")
    mpiexec = find_mpiexec()
    if mpiexec is None:
        raise RuntimeError("--nproc needs mpiexec: pip install mpich (or put one on PATH)")
    rest, skip = [], False
    for a in argv:
        if skip:
            skip = False
        elif a == "--nproc":
            skip = True
        elif not a.startswith("--nproc="):
            rest.append(a)
    cmd = [mpiexec, "-n", str(nproc), sys.executable, "-m", "gradiente", *rest]
    # One BLAS thread per process: N processes on N cores, not N² threads.
    env = dict(os.environ, OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "1"))
    with tempfile.TemporaryDirectory(prefix="gradiente-job-") as job_dir:
        env[JOB_DIR_VARIABLE] = job_dir
        proc = subprocess.Popen(cmd, env=env)
        first = _first_to_vanish(proc, pathlib.Path(job_dir), nproc)
        status = proc.wait()
    if status != 0 and first is not None:
        rank, pid = first
        print(
            f"gradiente: error: rank {rank} (pid {pid}) of {nproc} stopped without finishing "
            f"(killed or crashed), so MPI ended the whole job (exit status {status})",
            file=sys.stderr,
        )
    return status


# Each rank writes rank-<r>.pid into this folder when it starts and rank-<r>.done when it ends
# normally, so that the launcher can name a rank that vanished (a SIGKILL leaves no message of
# its own: MPICH's report names only a process id, not always the right one).
JOB_DIR_VARIABLE = "GRADIENTE_JOB_DIR"


def _first_to_vanish(
    proc: subprocess.Popen, job_dir: pathlib.Path, nproc: int, poll: float = 0.003
) -> tuple[int, int] | None:
    """While ``proc`` (mpiexec) runs, watch the ranks' process ids: the (rank, pid) of the first
    rank to disappear without its ``.done`` mark, or None when that cannot be told for sure.

    MPICH kills the other ranks a few milliseconds after one dies, so the ranks are polled
    every few milliseconds (a ``/proc`` read each: cheap). A rank is named only when
    - every rank's process id is known (a rank that died before writing its own could be the
      first), and
    - after it was seen gone, every other rank is checked again and is still alive, so it
      vanished first. Ranks found gone together cannot be told apart, and then none is named.
    """
    pids: dict[int, int] = {}
    while proc.poll() is None:
        for marker in job_dir.glob("rank-*.pid"):
            rank = int(marker.stem.split("-")[1])
            if rank not in pids:
                try:
                    pids[rank] = int(marker.read_text())
                except ValueError:
                    pass  # being written
        gone = [rank for rank in pids if _vanished(job_dir, rank, pids[rank])]
        if gone:
            if len(gone) > 1 or len(pids) < nproc:
                return None
            (rank,) = gone
            others = [r for r in pids if r != rank]
            if any(_vanished(job_dir, r, pids[r]) for r in others):
                return None
            return rank, pids[rank]
        time.sleep(poll)
    return None


def _vanished(job_dir: pathlib.Path, rank: int, pid: int) -> bool:
    """Whether rank ``rank`` (process ``pid``) is gone without its ``.done`` mark."""
    return not _alive(pid) and not (job_dir / f"rank-{rank}.done").exists()


# The kernel's PF_EXITING task flag (include/linux/sched.h): set as a process starts to exit,
# before its memory and sockets are released (which can take milliseconds).
_PF_EXITING = 0x4


def _alive(pid: int) -> bool:
    """Whether process ``pid`` still runs: not gone, not a zombie (dead, not yet reaped) and
    not exiting.

    A killed rank counts as gone from the moment it starts to exit: MPICH learns of its death
    only when its sockets close, near the end of that exit, and then kills the other ranks; so
    a rank seen exiting alone is the one that died first, even if the others reach the zombie
    state before it on a loaded machine."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # Linux: after the command name, field 3 is the state letter and field 9 the flags
        fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return False  # reaped since the signal check
    except OSError:
        return True
    try:
        return fields[0] not in "ZX" and not int(fields[6]) & _PF_EXITING
    except (IndexError, ValueError):
        return True


def _mark_rank(rank: int) -> None:
    """In a rank started by ``launch``: record this process id, and its normal end."""
    job_dir = os.environ.get(JOB_DIR_VARIABLE)
    if not job_dir:
        return
    folder = pathlib.Path(job_dir)
    tmp = folder / f".rank-{rank}.pid.tmp"
    tmp.write_text(str(os.getpid()))
    os.replace(tmp, folder / f"rank-{rank}.pid")
    atexit.register(lambda: (folder / f"rank-{rank}.done").touch())


class Job:
    """This process's place in the job: ``rank`` of ``size`` (0 of 1 outside ``mpiexec``)."""

    def __init__(self, rank: int = 0, size: int = 1) -> None:
        self.rank = rank
        self.size = size

    @property
    def is_main(self) -> bool:
        """Rank 0: the process that prints and writes the run folder."""
        return self.rank == 0

    @classmethod
    def start(cls) -> Job:
        """Join the process group when started by ``mpiexec -n N`` with N > 1; ranks other
        than 0 stop printing (errors still go to stderr)."""
        env = dist.mpi_env()
        if env is None or env["WORLD_SIZE"] < 2 or not dist.is_available():
            return cls()
        if not dist.is_initialized():
            dist.init_process_group("mpi")
        job = cls(dist.get_rank(), dist.get_world_size())
        _mark_rank(job.rank)
        if not job.is_main:
            sys.stdout = open(os.devnull, "w")  # kept open for the process
        return job

    def share(self, value):
        """Rank 0's ``value`` on every rank."""
        if self.size == 1:
            return value
        box = [value]
        dist.broadcast_object_list(box, src=0)
        return box[0]

    def shard(self, loader: DataLoader, seed: int) -> DataLoader:
        """The training loader of this rank: a ``DistributedSampler`` share of the data in
        batches of ⌈global batch / size⌉, so the global batch stays what was asked."""
        if self.size == 1:
            return loader
        sampler = DistributedSampler(loader.dataset, self.size, self.rank, True, seed)
        batch = math.ceil(loader.batch_size / self.size)
        # The loader's generator comes along (unused by the sampler) so that checkpoints
        # record the same random state whatever the number of processes.
        return DataLoader(
            loader.dataset, batch_size=batch, sampler=sampler, generator=loader.generator
        )

    def wrap(self, model):
        """The model that trains: ``model`` itself, or its DDP replica."""
        return model if self.size == 1 else _PlainKeysDDP(model)


class _PlainKeysDDP(DistributedDataParallel):
    """DDP whose state dict is the bare model's, so that checkpoints written by any number of
    processes are the same files (and load into an unwrapped model)."""

    def state_dict(self, *args, **kwargs):
        return self.module.state_dict(*args, **kwargs)

    def load_state_dict(self, state_dict, strict: bool = True, **kwargs):
        return self.module.load_state_dict(state_dict, strict, **kwargs)


class SetEpoch(Callback):
    """Tell the ``DistributedSampler`` which epoch starts (its shuffle is seeded seed + epoch)."""

    def __init__(self, loader: DataLoader) -> None:
        self.sampler = loader.sampler

    def on_train_begin(self, trainer) -> None:  # also right for a run resumed mid-epoch
        self.on_epoch_begin(trainer)

    def on_epoch_begin(self, trainer) -> None:
        if isinstance(self.sampler, DistributedSampler):
            self.sampler.set_epoch(trainer.epoch)
