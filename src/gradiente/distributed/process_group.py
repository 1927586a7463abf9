"""Process groups on MPI: who takes part in a job, and under which rank.

``torch.distributed`` needs a rendezvous (``env://``: ``MASTER_ADDR``, ``RANK``, ...) before
processes can talk; MPI has one built in — ``mpiexec -n N`` starts N processes that already
know their rank and the world size. So ``init_process_group`` here takes rank and world size
from MPI (``MPI.COMM_WORLD``) and only checks that torch-style arguments or environment
variables, when given, agree. A process group wraps one MPI communicator: the default group a
duplicate of ``COMM_WORLD``, and ``new_group(ranks)`` a communicator split off for a subset.

mpi4py is optional (``pip install "gradiente[distributed]"``): without it ``is_available()`` is
False and ``init_process_group`` raises an error saying what to install.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import time
import warnings
from datetime import timedelta

__all__ = [
    "Backend",
    "GroupMember",
    "abort_job",
    "ProcessGroup",
    "destroy_process_group",
    "get_backend",
    "get_global_rank",
    "get_group_rank",
    "get_process_group_ranks",
    "get_rank",
    "get_world_size",
    "group",
    "init_process_group",
    "is_available",
    "is_initialized",
    "is_mpi_available",
    "is_gloo_available",
    "is_nccl_available",
    "is_torchelastic_launched",
    "mpi_env",
    "new_group",
]

NOT_INITIALIZED = (
    "Default process group has not been initialized, please make sure to call init_process_group."
)
INSTALL_HINT = (
    "gradiente.distributed needs mpi4py and an MPI library: pip install 'gradiente[distributed]'"
)

# Environment variables that MPI launchers set for every process: (rank, size, local rank,
# local size) for MPICH/Hydra (PMI_*), Open MPI and Slurm.
_LAUNCHER_VARS = (
    ("PMI_RANK", "PMI_SIZE", "MPI_LOCALRANKID", "MPI_LOCALNRANKS"),
    (
        "OMPI_COMM_WORLD_RANK",
        "OMPI_COMM_WORLD_SIZE",
        "OMPI_COMM_WORLD_LOCAL_RANK",
        "OMPI_COMM_WORLD_LOCAL_SIZE",
    ),
    ("PMIX_RANK", "PMIX_SIZE", "PMIX_LOCAL_RANK", "PMIX_LOCAL_SIZE"),
)


def is_available() -> bool:
    """True when mpi4py is installed (without importing it: importing MPI initialises it)."""
    return importlib.util.find_spec("mpi4py") is not None


def is_mpi_available() -> bool:
    """torch's name for the MPI backend's availability: the same as ``is_available()``."""
    return is_available()


def is_gloo_available() -> bool:
    """True when ``backend="gloo"`` works: here gloo is served by MPI on the CPU."""
    return is_available()


def is_nccl_available() -> bool:
    """False: NCCL is for NVIDIA GPUs, which gradiente does not use."""
    return False


def is_torchelastic_launched() -> bool:
    """True when a launcher started this process as one of a job: torchrun (which sets
    ``TORCHELASTIC_RUN_ID``, torch's own test) or ``mpiexec``, which plays torchrun's part
    for gradiente — so a script that checks this before ``init_process_group`` joins the job."""
    return os.environ.get("TORCHELASTIC_RUN_ID") is not None or mpi_env() is not None


def mpi_env() -> dict[str, int] | None:
    """Rank, world size, local rank and local world size from an MPI launcher's environment
    variables, read without initialising MPI; None outside ``mpiexec``."""
    for rank, size, local_rank, local_size in _LAUNCHER_VARS:
        if rank in os.environ and size in os.environ:
            return {
                "RANK": int(os.environ[rank]),
                "WORLD_SIZE": int(os.environ[size]),
                "LOCAL_RANK": int(os.environ.get(local_rank, os.environ[rank])),
                "LOCAL_WORLD_SIZE": int(os.environ.get(local_size, os.environ[size])),
            }
    return None


class Backend(str):
    """The backend names torch knows. On gradiente every CPU backend ("gloo", "mpi") runs on
    MPI; "nccl" needs CUDA and is refused."""

    UNDEFINED = "undefined"
    GLOO = "gloo"
    NCCL = "nccl"
    MPI = "mpi"

    def __new__(cls, name: str):
        if not isinstance(name, str):
            raise ValueError(f"Backend constructor parameter must be string-ish, got {name!r}")
        value = getattr(Backend, name.upper(), Backend.UNDEFINED)
        if value == Backend.UNDEFINED:
            value = name.lower()
        return super().__new__(cls, value)


class ProcessGroup:
    """A set of processes that run collectives together: an MPI communicator, plus the global
    ranks of its members in group-rank order."""

    def __init__(self, comm, ranks: list[int], backend: str, name: str) -> None:
        self.comm = comm
        self.ranks = ranks
        self.backend = backend
        self.group_name = name

    def rank(self) -> int:
        """This process's rank within the group."""
        return self.comm.Get_rank()

    def size(self) -> int:
        """How many processes the group has."""
        return self.comm.Get_size()

    def name(self) -> str:
        return self.backend

    def __repr__(self) -> str:
        return f"ProcessGroup(backend={self.backend!r}, ranks={self.ranks})"


class GroupMember:
    """torch's sentinels: ``WORLD`` (the default group) and ``NON_GROUP_MEMBER`` (what
    ``new_group`` returns to processes outside the new group)."""

    WORLD: ProcessGroup | None = None
    NON_GROUP_MEMBER = -100


class group:
    """``dist.group.WORLD``: the default group (None before ``init_process_group``)."""

    WORLD: ProcessGroup | None = None


# The groups created so far (freed by destroy_process_group).
_groups: list[ProcessGroup] = []


def _mpi():
    """The mpi4py ``MPI`` module (initialising MPI on first use)."""
    if not is_available():
        raise RuntimeError(INSTALL_HINT)
    from mpi4py import MPI

    return MPI


def is_initialized() -> bool:
    """True once ``init_process_group`` has run (and until ``destroy_process_group``)."""
    return GroupMember.WORLD is not None


def _default_group() -> ProcessGroup:
    if GroupMember.WORLD is None:
        raise ValueError(NOT_INITIALIZED)
    return GroupMember.WORLD


def resolve_group(pg) -> ProcessGroup | None:
    """The process group a collective runs on: ``None``/``WORLD`` mean the default group; None
    is returned for a process outside ``pg`` (``NON_GROUP_MEMBER``)."""
    if pg is None or pg is group.WORLD:
        return _default_group()
    _default_group()
    if isinstance(pg, int) and pg == GroupMember.NON_GROUP_MEMBER:
        return None
    if not isinstance(pg, ProcessGroup):
        raise TypeError(f"expected a ProcessGroup, got {type(pg).__name__}")
    return pg


def _check_agrees(name: str, given: int, mpi_value: int) -> None:
    if given not in (-1, None) and int(given) != mpi_value:
        raise RuntimeError(
            f"init_process_group: {name}={given} disagrees with MPI's {mpi_value}; under "
            f"gradiente.distributed rank and world size come from the launcher "
            f"(start N processes with `mpiexec -n N ...`)"
        )


def abort_job(reason: str) -> None:
    """End every process of the job because this one failed (``MPI_Abort``): the others would
    otherwise wait forever inside their next collective. Does nothing outside a multi-process
    job."""
    world = GroupMember.WORLD
    if world is None or world.size() <= 1:
        return
    comm = _mpi().COMM_WORLD
    sys.stderr.write(
        f"gradiente.distributed: rank {comm.Get_rank()} failed with {reason}; aborting all "
        f"{comm.Get_size()} processes\n"
    )
    sys.stderr.flush()
    time.sleep(0.2)  # let mpiexec forward what was written before MPI_Abort kills everyone
    comm.Abort(1)


def _abort_on_uncaught_exception() -> None:
    """Make an uncaught exception on any rank end the whole job, naming the failed rank."""
    previous = sys.excepthook

    def hook(exc_type, exc, tb):
        previous(exc_type, exc, tb)
        sys.stderr.flush()
        abort_job(f"{exc_type.__name__}: {exc}")

    sys.excepthook = hook


def init_process_group(
    backend: str | None = None,
    init_method: str | None = None,
    timeout: timedelta | None = None,
    world_size: int = -1,
    rank: int = -1,
    store=None,
    group_name: str = "",
    pg_options=None,
    device_id=None,
) -> None:
    """Join the job: create the default process group from MPI's ``COMM_WORLD``.

    ``backend`` may be None, "mpi" or "gloo" (all served by MPI on the CPU); "nccl" raises as
    on a CPU-only torch. ``init_method`` ("env://", "tcp://...", "file://...") is accepted and
    not needed — MPI did the rendezvous; ``rank``/``world_size`` (or the ``RANK``/
    ``WORLD_SIZE`` variables of ``env://``) must agree with MPI's when given.
    """
    if GroupMember.WORLD is not None:
        raise ValueError("trying to initialize the default process group twice!")
    name = Backend(backend) if backend is not None else Backend.MPI
    for part in str(name).split(","):
        part = part.split(":")[-1]
        if part == Backend.NCCL:
            raise RuntimeError("Distributed package doesn't have NCCL built in")
        if part not in (Backend.GLOO, Backend.MPI):
            raise ValueError(f"Invalid backend: '{backend}'")
    if init_method is not None and not init_method.startswith(("env://", "tcp://", "file://")):
        raise ValueError(f"unsupported init_method {init_method!r} (use env://)")
    MPI = _mpi()
    world = MPI.COMM_WORLD
    if init_method in (None, "env://"):
        if rank == -1 and "RANK" in os.environ:
            rank = int(os.environ["RANK"])
        if world_size == -1 and "WORLD_SIZE" in os.environ:
            world_size = int(os.environ["WORLD_SIZE"])
    _check_agrees("rank", rank, world.Get_rank())
    _check_agrees("world_size", world_size, world.Get_size())
    comm = world.Dup()
    pg = ProcessGroup(comm, list(range(comm.Get_size())), str(name), group_name or "0")
    GroupMember.WORLD = group.WORLD = pg
    _groups.append(pg)
    _abort_on_uncaught_exception()


def destroy_process_group(group_to_destroy=None) -> None:
    """Free a group's communicator; with no argument every group, after which
    ``init_process_group`` may be called again."""
    if group_to_destroy is None or group_to_destroy is GroupMember.WORLD:
        _default_group()
        for pg in _groups:
            pg.comm.Free()
        _groups.clear()
        GroupMember.WORLD = group.WORLD = None
        return
    pg = resolve_group(group_to_destroy)
    if pg is not None:
        pg.comm.Free()
        _groups.remove(pg)


def get_rank(group=None) -> int:
    """This process's rank in ``group`` (default: the world); -1 if it is not a member."""
    pg = resolve_group(group)
    return -1 if pg is None else pg.rank()


def get_world_size(group=None) -> int:
    """The number of processes in ``group`` (default: the world); -1 if not a member."""
    pg = resolve_group(group)
    return -1 if pg is None else pg.size()


def get_backend(group=None) -> str:
    """The backend name the group was created with ("mpi" unless "gloo" was asked for)."""
    pg = resolve_group(group)
    if pg is None:
        raise ValueError("Invalid process group specified")
    return pg.backend


def get_process_group_ranks(group) -> list[int]:
    """The global ranks of the group's members, in group-rank order."""
    pg = resolve_group(group)
    return list(pg.ranks) if pg is not None else []


def get_global_rank(group, group_rank: int) -> int:
    """The global rank of the process with rank ``group_rank`` in ``group``."""
    pg = resolve_group(group)
    if pg is None or not 0 <= group_rank < len(pg.ranks):
        raise ValueError(f"Group rank {group_rank} is not part of group {group}")
    return pg.ranks[group_rank]


def get_group_rank(group, global_rank: int) -> int:
    """The rank within ``group`` of the process with global rank ``global_rank``."""
    pg = resolve_group(group)
    if pg is None or global_rank not in pg.ranks:
        raise ValueError(f"Global rank {global_rank} is not part of group {group}")
    return pg.ranks.index(global_rank)


def new_group(
    ranks=None,
    timeout=None,
    backend=None,
    pg_options=None,
    use_local_synchronization: bool = False,
    group_desc=None,
    device_id=None,
):
    """A group of a subset of the world's ranks (all of them by default). Every process of
    the world must call it (it splits ``COMM_WORLD``); those outside ``ranks`` get
    ``GroupMember.NON_GROUP_MEMBER``."""
    world = _default_group()
    MPI = _mpi()
    members = sorted(set(range(world.size()) if ranks is None else (int(r) for r in ranks)))
    for r in members:
        if not 0 <= r < world.size():
            raise ValueError(
                f"The new group's rank should be within the world_size set by "
                f"init_process_group, got rank {r} and world_size {world.size()}"
            )
    me = world.rank()
    color = 0 if me in members else MPI.UNDEFINED
    comm = world.comm.Split(color, key=me)
    if comm == MPI.COMM_NULL:
        return GroupMember.NON_GROUP_MEMBER
    pg = ProcessGroup(comm, members, str(Backend(backend)) if backend else world.backend, "")
    pg.group_name = str(len(_groups))
    _groups.append(pg)
    return pg


def warn_not_in_group(op_name: str) -> None:
    """torch's warning for a collective called by a process outside the group."""
    rank = -1 if GroupMember.WORLD is None else GroupMember.WORLD.rank()
    warnings.warn(
        f"Running {op_name} on global rank {rank} which does not belong to the given group.",
        stacklevel=3,
    )
