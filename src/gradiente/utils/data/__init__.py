"""``gradiente.utils.data``: PyTorch's import path for the data-loading API in ``gradiente.data``.

Code written as ``from torch.utils.data import DataLoader, TensorDataset`` runs unchanged with
``torch`` replaced by ``gradiente``; every name here is the same object as in ``gradiente.data``.
"""

from gradiente import data as _data
from gradiente.data import (
    BatchSampler,
    ChainDataset,
    ConcatDataset,
    DataLoader,
    Dataset,
    DistributedSampler,
    IterableDataset,
    RandomSampler,
    Sampler,
    SequentialSampler,
    StackDataset,
    Subset,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
    default_collate,
    default_convert,
    get_worker_info,
    random_split,
)
from gradiente.utils.data import distributed

__all__ = list(_data.__all__)  # the same names: gradiente.data's list is the one source
