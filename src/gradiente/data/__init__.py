"""Data loading: datasets, samplers and the ``DataLoader`` (PyTorch's ``torch.utils.data``).

``gradiente.utils.data`` re-exports this package, so ``from torch.utils.data import DataLoader``
becomes ``from gradiente.utils.data import DataLoader``.
"""

from gradiente.data.dataset import (
    ChainDataset,
    ConcatDataset,
    Dataset,
    IterableDataset,
    StackDataset,
    Subset,
    TensorDataset,
    random_split,
)
from gradiente.data.distributed import DistributedSampler
from gradiente.data.loader import DataLoader, default_collate, default_convert, get_worker_info
from gradiente.data.sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)

__all__ = [
    "BatchSampler",
    "ChainDataset",
    "ConcatDataset",
    "DataLoader",
    "Dataset",
    "DistributedSampler",
    "IterableDataset",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "StackDataset",
    "Subset",
    "SubsetRandomSampler",
    "TensorDataset",
    "WeightedRandomSampler",
    "default_collate",
    "default_convert",
    "get_worker_info",
    "random_split",
]
