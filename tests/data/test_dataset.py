"""Datasets, samplers and random_split: behaviour and index sequences identical to torch's."""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import pytest

import gradiente
from gradiente.data import (
    BatchSampler,
    ConcatDataset,
    Dataset,
    RandomSampler,
    SequentialSampler,
    Subset,
    SubsetRandomSampler,
    TensorDataset,
    random_split,
)

torch = pytest.importorskip("torch")


class Squares(Dataset):
    def __init__(self, n):
        self.n = n

    def __getitem__(self, i):
        return i * i

    def __len__(self):
        return self.n


def _tensors(n=10):
    x = gradiente.from_numpy(np.arange(n * 3, dtype=np.float64).reshape(n, 3))
    y = gradiente.from_numpy(np.arange(n, dtype=np.int64))
    return x, y


def test_tensor_dataset_items_and_length():
    x, y = _tensors()
    ds = TensorDataset(x, y)
    assert len(ds) == 10
    xi, yi = ds[4]
    np.testing.assert_array_equal(xi.numpy(), [12.0, 13.0, 14.0])
    assert yi.item() == 4
    with pytest.raises(AssertionError, match="Size mismatch"):
        TensorDataset(x, y[:5])


def test_subset_and_concat():
    ds = Squares(5)
    sub = Subset(ds, [4, 0, 2])
    assert len(sub) == 3 and [sub[i] for i in range(3)] == [16, 0, 4]
    assert sub.__getitems__([2, 0]) == [4, 16]
    cat = ConcatDataset([Squares(3), Squares(4)])
    assert len(cat) == 7 and cat.cumulative_sizes == [3, 7]
    assert [cat[i] for i in range(7)] == [0, 1, 4, 0, 1, 4, 9]
    assert cat[-1] == 9
    with pytest.raises(ValueError):
        cat[-8]
    both = Squares(2) + Squares(1)
    assert isinstance(both, ConcatDataset) and len(both) == 3


@pytest.mark.parametrize(
    "n,lengths,expected",
    [
        (10, [3, 7], [3, 7]),
        (10, [0.3, 0.3, 0.4], [3, 3, 4]),
        (11, [0.5, 0.5], [6, 5]),
        (7, [0.2, 0.2, 0.2, 0.2, 0.2], [2, 2, 1, 1, 1]),
    ],
)
def test_random_split_lengths_and_torch_indices(n, lengths, expected):
    splits = random_split(Squares(n), lengths, generator=gradiente.Generator().manual_seed(42))
    assert [len(s) for s in splits] == expected
    all_indices = sorted(i for s in splits for i in s.indices)
    assert all_indices == list(range(n))  # disjoint and complete
    ref = torch.utils.data.random_split(
        range(n), lengths, generator=torch.Generator().manual_seed(42)
    )
    assert [s.indices for s in splits] == [r.indices for r in ref]


def test_random_split_default_generator_matches_torch_and_is_deterministic():
    gradiente.manual_seed(3)
    a = random_split(Squares(20), [5, 15])
    gradiente.manual_seed(3)
    b = random_split(Squares(20), [5, 15])
    torch.manual_seed(3)
    ref = torch.utils.data.random_split(range(20), [5, 15])
    assert [s.indices for s in a] == [s.indices for s in b] == [r.indices for r in ref]


def test_random_split_errors_and_warning():
    with pytest.raises(ValueError, match="Sum of input lengths"):
        random_split(Squares(5), [2, 2])
    with pytest.raises(ValueError, match="Fraction at index 0"):
        random_split(Squares(5), [1.5, -0.5])
    with pytest.warns(UserWarning, match="Length of split at index 1 is 0"):
        random_split(Squares(2), [0.9, 0.1])


def test_sequential_and_batch_sampler():
    assert list(SequentialSampler(range(4))) == [0, 1, 2, 3]
    bs = BatchSampler(SequentialSampler(range(10)), 4, drop_last=False)
    assert list(bs) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]] and len(bs) == 3
    bs = BatchSampler(SequentialSampler(range(10)), 4, drop_last=True)
    assert list(bs) == [[0, 1, 2, 3], [4, 5, 6, 7]] and len(bs) == 2
    with pytest.raises(ValueError, match="batch_size"):
        BatchSampler(range(3), 0, False)


@pytest.mark.parametrize(
    "replacement,num_samples", [(False, None), (False, 25), (True, None), (True, 70)]
)
def test_random_sampler_matches_torch(replacement, num_samples):
    for seed in (0, 11):
        ours = RandomSampler(
            range(10), replacement, num_samples, gradiente.Generator().manual_seed(seed)
        )
        ref = torch.utils.data.RandomSampler(
            range(10), replacement, num_samples, torch.Generator().manual_seed(seed)
        )
        assert list(ours) == list(ref) and list(ours) == list(ref)  # two epochs
        assert len(ours) == len(ref)


def test_random_sampler_without_generator_draws_a_seed_like_torch():
    gradiente.manual_seed(5)
    torch.manual_seed(5)
    ours, ref = RandomSampler(range(30)), torch.utils.data.RandomSampler(range(30))
    assert list(ours) == list(ref)
    assert list(ours) == list(ref)
    assert gradiente.rand(3).tolist() == torch.rand(3).tolist()  # the streams stay aligned


def test_subset_random_sampler_matches_torch():
    indices = [3, 9, 27, 81, 243]
    ours = SubsetRandomSampler(indices, gradiente.Generator().manual_seed(1))
    ref = torch.utils.data.SubsetRandomSampler(indices, torch.Generator().manual_seed(1))
    assert list(ours) == list(ref) and sorted(ours) == indices


def test_random_sampler_validates_arguments():
    with pytest.raises(TypeError, match="replacement"):
        RandomSampler(range(3), replacement=1)
    with pytest.raises(ValueError, match="num_samples"):
        RandomSampler(range(3), num_samples=0)
