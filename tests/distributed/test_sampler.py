"""DistributedSampler: the same indices as torch's for every split, shuffle and epoch."""

from __future__ import annotations

import itertools
import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import pytest

import gradiente.distributed as dist
from gradiente.data import DistributedSampler, TensorDataset
from gradiente.tensor import arange


class Sized:
    def __init__(self, n: int) -> None:
        self.n = n

    def __len__(self) -> int:
        return self.n


CASES = [
    (n, replicas, shuffle, drop_last, seed, epoch)
    for n, replicas in [(1, 1), (1, 3), (5, 2), (10, 3), (7, 7), (3, 8), (100, 4), (101, 4)]
    for shuffle, drop_last in itertools.product([False, True], repeat=2)
    for seed, epoch in [(0, 0), (3, 5)]
]


@pytest.mark.parametrize("n,replicas,shuffle,drop_last,seed,epoch", CASES)
def test_indices_match_torch(n, replicas, shuffle, drop_last, seed, epoch):
    torch_data = pytest.importorskip("torch.utils.data.distributed")
    for rank in range(replicas):
        ours = DistributedSampler(Sized(n), replicas, rank, shuffle, seed, drop_last)
        theirs = torch_data.DistributedSampler(Sized(n), replicas, rank, shuffle, seed, drop_last)
        ours.set_epoch(epoch)
        theirs.set_epoch(epoch)
        assert list(ours) == list(theirs)
        assert len(ours) == len(theirs)


def test_every_sample_once_across_ranks_when_even():
    data = TensorDataset(arange(12))
    seen = sorted(i for r in range(3) for i in DistributedSampler(data, 3, r, seed=1))
    assert seen == list(range(12))


def test_epochs_shuffle_differently():
    s = DistributedSampler(Sized(50), 2, 0)
    first = list(s)
    s.set_epoch(1)
    assert list(s) != first
    other = DistributedSampler(Sized(50), 2, 1)
    other.set_epoch(1)
    assert sorted(list(s) + list(other)) == list(range(50))


def test_invalid_rank():
    message = r"Invalid rank 2, rank should be in the interval \[0, 1\]"
    with pytest.raises(ValueError, match=message):
        DistributedSampler(Sized(4), num_replicas=2, rank=2)


def test_default_rank_needs_a_process_group():
    if not dist.is_available():
        pytest.skip("without mpi4py the sampler needs rank and num_replicas")
    with pytest.raises(ValueError, match="Default process group has not been initialized"):
        DistributedSampler(Sized(4))
