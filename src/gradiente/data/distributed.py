"""``DistributedSampler``: each process's share of a dataset, exactly as torch assigns it.

The indices (shuffled by a generator seeded ``seed + epoch``, the same on every process) are
padded by repeating from the start until they divide evenly — or cut, with ``drop_last`` —
and process ``rank`` takes every ``num_replicas``-th one starting at ``rank``. gradiente's
``randperm`` draws torch's permutation, so a gradiente job and a torch job split the data
identically.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

from gradiente import distributed as dist
from gradiente.data.sampler import Sampler
from gradiente.random import Generator
from gradiente.tensor import randperm

__all__ = ["DistributedSampler"]


class DistributedSampler(Sampler):
    """Yield the indices of ``dataset`` that belong to process ``rank`` of ``num_replicas``
    (by default this process's rank and the world size). Call ``set_epoch(e)`` before each
    epoch so that every epoch is shuffled differently."""

    def __init__(
        self,
        dataset,
        num_replicas: int | None = None,
        rank: int | None = None,
        shuffle: bool = True,
        seed: int = 0,
        drop_last: bool = False,
    ) -> None:
        if num_replicas is None:
            if not dist.is_available():
                raise RuntimeError("Requires distributed package to be available")
            num_replicas = dist.get_world_size()
        if rank is None:
            if not dist.is_available():
                raise RuntimeError("Requires distributed package to be available")
            rank = dist.get_rank()
        if rank >= num_replicas or rank < 0:
            raise ValueError(
                f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]"
            )
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.drop_last = drop_last
        n = len(dataset)
        if drop_last and n % num_replicas != 0:
            # Drop the tail so that every process gets the same number of real samples.
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas
        self.shuffle = shuffle
        self.seed = seed

    def __iter__(self) -> Iterator[int]:
        n = len(self.dataset)
        if self.shuffle:
            g = Generator()
            g.manual_seed(self.seed + self.epoch)
            indices = randperm(n, generator=g).tolist()
        else:
            indices = list(range(n))
        if not self.drop_last:
            # Pad by repeating the indices from the start (as often as needed).
            padding = self.total_size - len(indices)
            if padding <= len(indices):
                indices += indices[:padding]
            else:
                indices += (indices * math.ceil(padding / len(indices)))[:padding]
        else:
            indices = indices[: self.total_size]
        return iter(indices[self.rank : self.total_size : self.num_replicas])

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Use ``epoch`` in the shuffle's seed (``seed + epoch``)."""
        self.epoch = epoch
