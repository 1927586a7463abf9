"""Samplers against torch: WeightedRandomSampler draws the indices torch draws (its
``multinomial``, with and without replacement) for the same generator, and validates its
arguments the same way."""

import itertools
import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import pytest

import gradiente
from gradiente.data import DataLoader, RandomSampler, TensorDataset, WeightedRandomSampler

torch = pytest.importorskip("torch")

WEIGHTS = {
    "small": [0.1, 0.1, 0.5, 0.3],
    "with_zeros": [0.0, 2.0, 0.0, 1.0, 0.5, 0.0],
    "many": np.random.default_rng(0).uniform(0.0, 1.0, 500).tolist(),
    "ints": [1, 3, 3, 10, 2],
}


@pytest.mark.parametrize("replacement,num_samples", [(True, 1), (True, 37), (False, 1), (False, 3)])
@pytest.mark.parametrize("name", WEIGHTS)
@pytest.mark.parametrize("seed", [0, 5])
def test_weighted_random_sampler_equals_torch(name, replacement, num_samples, seed):
    weights = WEIGHTS[name]
    g = WeightedRandomSampler(
        weights, num_samples, replacement, generator=gradiente.Generator().manual_seed(seed)
    )
    t = torch.utils.data.WeightedRandomSampler(
        weights, num_samples, replacement, generator=torch.Generator().manual_seed(seed)
    )
    for _ in range(2):  # two epochs: the generator moves on
        assert list(g) == list(t)
    assert len(g) == len(t) == num_samples
    assert g.weights.dtype == gradiente.float64


def test_weighted_random_sampler_uses_the_default_generator():
    gradiente.manual_seed(11)
    torch.manual_seed(11)
    weights = gradiente.tensor([1.0, 4.0, 2.0])
    assert list(WeightedRandomSampler(weights, 20)) == list(
        torch.utils.data.WeightedRandomSampler(torch.tensor([1.0, 4.0, 2.0]), 20)
    )


def test_weighted_sampling_balances_a_loader_like_torch():
    labels = np.array([0] * 12 + [1] * 3 + [2])
    counts = np.bincount(labels)
    sample_weights = (1.0 / counts)[labels]
    batches = {}
    for lib in (gradiente, torch):
        lib.manual_seed(0)
        ds = lib.utils.data.TensorDataset(lib.from_numpy(labels))
        sampler = lib.utils.data.WeightedRandomSampler(sample_weights, 32)
        loader = lib.utils.data.DataLoader(ds, batch_size=8, sampler=sampler)
        batches[lib.__name__] = [b[0].tolist() for b in loader]
    assert batches["gradiente"] == batches["torch"]
    assert isinstance(DataLoader(TensorDataset(gradiente.zeros(3)), sampler=[0, 1]), DataLoader)


def test_weighted_random_sampler_errors_like_torch():
    for args, error in [
        (([1.0, 2.0], 0), "num_samples should be a positive integer value"),
        (([1.0, 2.0], True), "num_samples should be a positive integer value"),
        (([[1.0, 2.0]], 2), "weights should be a 1d sequence"),
    ]:
        with pytest.raises(ValueError, match=error):
            WeightedRandomSampler(*args)
        with pytest.raises(ValueError, match=error):
            torch.utils.data.WeightedRandomSampler(*args)
    with pytest.raises(ValueError, match="replacement should be a boolean"):
        WeightedRandomSampler([1.0], 1, replacement=1)
    for weights, n, replacement, message in [
        ([1.0, -1.0], 1, True, "element < 0"),
        ([0.0, 0.0], 1, True, "sum of probabilities <= 0"),
        ([1.0, 0.0, 2.0], 3, False, "not enough non-negative category"),
    ]:
        with pytest.raises(RuntimeError, match=message):
            list(WeightedRandomSampler(weights, n, replacement))


def test_random_sampler_with_a_huge_num_samples_draws_lazily_like_torch():
    """minGPT/makemore style: replacement=True, num_samples=1e10 — torch draws 32 at a time."""
    n = int(1e10)
    got_sampler = RandomSampler(
        range(7), replacement=True, num_samples=n, generator=gradiente.Generator().manual_seed(3)
    )
    want_sampler = torch.utils.data.RandomSampler(
        range(7), replacement=True, num_samples=n, generator=torch.Generator().manual_seed(3)
    )
    assert list(itertools.islice(got_sampler, 100)) == list(itertools.islice(want_sampler, 100))
    loader = DataLoader(
        TensorDataset(gradiente.arange(7.0)),
        batch_size=5,
        sampler=RandomSampler(
            range(7),
            replacement=True,
            num_samples=n,
            generator=gradiente.Generator().manual_seed(4),
        ),
    )
    reference = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.arange(7.0)),
        batch_size=5,
        sampler=torch.utils.data.RandomSampler(
            range(7), replacement=True, num_samples=n, generator=torch.Generator().manual_seed(4)
        ),
    )
    for (got,), (want,) in itertools.islice(zip(loader, reference), 20):
        assert got.tolist() == want.tolist()
