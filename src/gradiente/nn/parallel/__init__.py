"""``gradiente.nn.parallel`` (``torch.nn.parallel``): one model trained by many processes."""

from gradiente.nn.parallel.data_parallel import DataParallel
from gradiente.nn.parallel.distributed import DistributedDataParallel

__all__ = ["DataParallel", "DistributedDataParallel"]
