"""Custom Dataset classes (numpy items, tensor items, dict items), DataLoader shuffling with a
seeded Generator, random_split, samplers, collate of nested structures, drop_last."""

import numpy as np
import torch
from torch.utils.data import (
    DataLoader,
    Dataset,
    RandomSampler,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
    random_split,
)


class NumpyPoints(Dataset):
    """Items are (float32 numpy vector, numpy int64 scalar)."""

    def __init__(self, n):
        rng = np.random.default_rng(0)
        self.x = rng.normal(size=(n, 3)).astype(np.float32)
        self.y = (self.x.sum(axis=1) > 0).astype(np.int64)

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return self.x[i], self.y[i]


class DictItems(Dataset):
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, idx):
        if torch.is_tensor(idx):
            idx = idx.tolist()
        return {
            "image": torch.full((2, 2), float(idx)),
            "label": idx % 3,
            "meta": {"id": idx, "name": f"item{idx}"},
            "pair": (idx, 0.5 * idx),
        }


ds = NumpyPoints(10)
loader = DataLoader(ds, batch_size=4, shuffle=True, generator=torch.Generator().manual_seed(3))
for xb, yb in loader:
    print(type(xb).__name__, xb.dtype, tuple(xb.shape), yb.dtype, yb.tolist())
print(len(loader))

dl = DataLoader(DictItems(7), batch_size=3, drop_last=True)
for batch in dl:
    print(
        sorted(batch),
        batch["image"].shape,
        batch["label"],
        batch["meta"]["id"],
        batch["meta"]["name"],
        batch["pair"][0],
        batch["pair"][1],
    )
print(len(dl))

torch.manual_seed(123)
data = TensorDataset(torch.arange(20).float().unsqueeze(1), torch.arange(20) % 4)
train, val, test = random_split(data, [0.6, 0.2, 0.2])
print(len(train), len(val), len(test), sorted(val.indices), sorted(test.indices))
a, b = random_split(range(10), [7, 3], generator=torch.Generator().manual_seed(42))
print(list(a), list(b))

loader = DataLoader(train, batch_size=5, shuffle=True)
for epoch in range(2):
    print(epoch, [yb.tolist() for _, yb in loader])

sampler = SubsetRandomSampler(list(range(0, 20, 2)), generator=torch.Generator().manual_seed(5))
print([xb.flatten().tolist() for xb, _ in DataLoader(data, batch_size=4, sampler=sampler)])
print(
    list(
        RandomSampler(
            range(6), replacement=True, num_samples=8, generator=torch.Generator().manual_seed(1)
        )
    )
)
weights = [0.1, 0.1, 0.5, 0.3]
print(list(WeightedRandomSampler(weights, 10, generator=torch.Generator().manual_seed(0))))

x, y = next(iter(DataLoader(data, batch_size=None)))
print(x, y)
g = torch.Generator()
g.manual_seed(2024)
print(torch.randperm(8, generator=g).tolist(), torch.rand(2, generator=g))
print(g.initial_seed())
