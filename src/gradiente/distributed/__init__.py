"""``gradiente.distributed`` (``torch.distributed``): many processes training one model, on MPI.

Start N processes with ``mpiexec -n N python train.py`` (or ``gradiente train --nproc N``);
each calls ``init_process_group()`` and then exchanges tensors with collectives —
``all_reduce`` of the gradients is what ``nn.parallel.DistributedDataParallel`` is built on.
Needs the optional extra: ``pip install "gradiente[distributed]"`` (mpi4py and MPICH).
"""

from gradiente.distributed import collectives, p2p, process_group
from gradiente.distributed.collectives import (
    ReduceOp,
    Work,
    all_gather,
    all_gather_into_tensor,
    all_gather_object,
    all_reduce,
    all_to_all,
    all_to_all_single,
    barrier,
    broadcast,
    broadcast_object_list,
    gather,
    gather_object,
    monitored_barrier,
    reduce,
    reduce_scatter,
    reduce_scatter_tensor,
    scatter,
    scatter_object_list,
)
from gradiente.distributed.p2p import P2POp, batch_isend_irecv, irecv, isend, recv, send
from gradiente.distributed.process_group import (
    Backend,
    GroupMember,
    ProcessGroup,
    abort_job,
    destroy_process_group,
    get_backend,
    get_global_rank,
    get_group_rank,
    get_process_group_ranks,
    get_rank,
    get_world_size,
    group,
    init_process_group,
    is_available,
    is_gloo_available,
    is_initialized,
    is_mpi_available,
    is_nccl_available,
    is_torchelastic_launched,
    mpi_env,
    new_group,
)

# The public names are the two modules' own lists, written once there.
__all__ = []
__all__ += collectives.__all__
__all__ += p2p.__all__
__all__ += process_group.__all__
