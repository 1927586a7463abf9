"""torch.manual_seed reproducibility and the random factories."""

import torch

torch.manual_seed(42)
a = torch.rand(3)
torch.manual_seed(42)
b = torch.rand(3)
print(a, b, torch.equal(a, b))

torch.manual_seed(0)
print(torch.rand(2, 3))
print(torch.randn(2, 3))
print(torch.randint(0, 10, (5,)))
print(torch.randint(5, (2, 2)))
print(torch.randperm(8))
print(torch.normal(0.0, 1.0, size=(3,)))
print(torch.normal(torch.zeros(3), torch.ones(3)))
print(torch.empty(3).uniform_(-1, 1))
print(torch.empty(3).normal_(mean=2.0, std=0.5))
print(torch.bernoulli(torch.full((6,), 0.5)))
print(torch.rand(2, dtype=torch.float64), torch.randn(2, dtype=torch.float64))
print(torch.randn(()), torch.rand(1).item())
print(torch.rand(4, 4).mean())

g = torch.Generator().manual_seed(123)
print(torch.rand(3, generator=g), torch.randn(2, generator=g), torch.randperm(5, generator=g))
g2 = torch.Generator()
g2.manual_seed(123)
print(torch.rand(3, generator=g2))

state = torch.get_rng_state()
x1 = torch.randn(4)
torch.set_rng_state(state)
x2 = torch.randn(4)
print(torch.equal(x1, x2))
print(torch.initial_seed())

# Shuffling data with randperm, a random train/test split, sampling a minibatch
torch.manual_seed(3)
data = torch.arange(20).view(10, 2)
perm = torch.randperm(data.shape[0])
print(data[perm][:3])
idx = torch.randint(0, 10, (4,))
print(data[idx])
print(torch.multinomial(torch.tensor([0.1, 0.2, 0.7]), 5, replacement=True))
print(torch.multinomial(torch.tensor([1.0, 1.0, 1.0, 1.0]), 2))
