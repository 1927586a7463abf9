"""``gradiente.utils.data.distributed``: torch's import path for ``DistributedSampler``."""

from gradiente.data.distributed import DistributedSampler

__all__ = ["DistributedSampler"]
