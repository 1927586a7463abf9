"""Indexing and selection ops common in scripts: where, clamp, gather, scatter, topk, sort, ..."""

import torch

torch.manual_seed(0)
x = torch.randn(4, 5)
print(x)

print(torch.where(x > 0, x, torch.zeros_like(x)))
print(torch.where(x > 0, x, 0.0))
print(torch.where(x > 0))
print(x.clamp(-0.5, 0.5))
print(torch.clamp(x, min=0))
print(x.clamp(max=0.1))

idx = torch.tensor([[0, 1], [2, 3], [4, 0], [1, 1]])
print(torch.gather(x, 1, idx))
print(x.gather(0, torch.tensor([[0, 1, 2, 3, 0]])))

src = torch.ones(2, 5)
index = torch.tensor([[0, 1, 2, 0, 0], [2, 0, 0, 1, 2]])
print(torch.zeros(3, 5, dtype=src.dtype).scatter_add_(0, index, src))
print(torch.zeros(3, 5).scatter_(0, index, src))
print(torch.zeros(2, 4).scatter_(1, torch.tensor([[2], [3]]), 1.23))
labels = torch.tensor([2, 0, 1])
print(torch.zeros(3, 4).scatter(1, labels.unsqueeze(1), 1.0))
print(torch.nn.functional.one_hot(labels, num_classes=4))

indices = torch.tensor([0, 2])
print(torch.index_select(x, 0, indices))
print(torch.index_select(x, 1, indices))
mask = x.ge(0.5)
print(mask)
print(torch.masked_select(x, mask))
print(x.masked_fill(mask, -1.0))
print(x.masked_fill(~mask, float("-inf")).softmax(dim=1))

values, indices = torch.topk(x, 3)
print(values, indices)
print(x.topk(2, dim=0, largest=False))
s = torch.sort(x, dim=1, descending=True)
print(s.values)
print(s.indices)
print(torch.argsort(x[0]))
print(x.argmax(), x.argmax(dim=1), x.argmin(dim=0, keepdim=True))
print(x.max(), x.max(dim=1), torch.max(x, 0)[1])
m, am = x.min(1)
print(m, am)

u = torch.tensor([2, 3, 1, 3, 2, 2, 5])
print(torch.unique(u))
out, inverse = torch.unique(u, return_inverse=True)
print(out, inverse)
out, counts = torch.unique(u, return_counts=True)
print(out, counts)
print(u.unique(sorted=True))
print(torch.bincount(u))

print(torch.cumsum(torch.arange(1, 6), dim=0))
print(torch.cumsum(x, dim=1))
print(torch.cumprod(torch.tensor([1.0, 2.0, 3.0, 4.0]), dim=0))
print(torch.arange(10).reshape(2, 5).flip(1))
print(torch.roll(torch.arange(5), 2))
print(torch.tril(torch.ones(3, 3)), torch.triu(torch.ones(3, 3), diagonal=1))
print(torch.diag(torch.tensor([1.0, 2.0, 3.0])), torch.diag(torch.arange(9).view(3, 3)))
print(torch.trace(torch.arange(9.0).view(3, 3)))
print(torch.nonzero(torch.tensor([[0, 1], [2, 0]])))
print(torch.isin(torch.tensor([1, 2, 3, 4]), torch.tensor([2, 4])))
print(torch.all(x > -5), torch.any(x > 2), (x > 0).all(dim=1))
print(torch.count_nonzero(x > 0), torch.numel(x))
print(torch.chunk(torch.arange(10), 3))
print(torch.split(torch.arange(10), [3, 7]))
print(torch.tensor_split(torch.arange(7), 3))
print(torch.clone(x).equal(x), torch.clone(x) is x)
print(torch.sign(x[0]), torch.abs(x[0]), x[0].round(decimals=1))
print(
    torch.sqrt(torch.tensor([4.0, 9.0])),
    torch.exp(torch.tensor([0.0, 1.0])),
    torch.log(torch.tensor([1.0, 2.0])),
)

# Advanced indexing
print(x[[0, 2], [1, 3]])
print(x[torch.tensor([True, False, True, False])])
print(x[:, torch.tensor([4, 0])])
print(x[x > 1])
print(x[1:3, ::2])
print(x[None, 0].shape, x[..., None].shape)
y = x.clone()
y[y < 0] = 0
print(y)
y[0] = torch.arange(5.0)
y[:, -1] = 7
print(y)
y[torch.tensor([1, 3]), 0] = torch.tensor([10.0, 30.0])
print(y)

# Gradients through gather / index_select / where / masked_fill / topk / indexing
w = torch.randn(3, 4, requires_grad=True)
loss = (
    w.gather(1, torch.tensor([[0], [3], [1]])).sum()
    + w.index_select(1, torch.tensor([1, 1])).pow(2).sum()
    + torch.where(w > 0, w, w * 0.1).sum()
    + w.masked_fill(w < 0, 0.0).exp().sum()
    + w.topk(2, dim=1).values.sum()
    + w[[0, 2], [1, 2]].sum() * 3
    + w.max()
    + w.sort(dim=0).values[0].sum()
    + w.cumsum(dim=1).sum()
    + w.clamp(-0.3, 0.3).sum()
)
loss.backward()
print(loss)
print(w.grad)
z = torch.zeros(5, requires_grad=True)
torch.zeros(3).scatter_add(0, torch.tensor([0, 1, 0, 2, 2]), z * 2 + 1).pow(2).sum().backward()
print(z.grad)
