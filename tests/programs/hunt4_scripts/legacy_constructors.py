# ruff: noqa  (written as the hunt found it)
import torch, numpy as np


def show(f):
    try:
        r = f()
        print(tuple(r.shape), r.dtype)
    except Exception as e:
        print(type(e).__name__, e)


x = torch.ones(3, 4)
cases = [
    lambda: torch.Tensor(),
    lambda: torch.Tensor(x.size()),
    lambda: torch.Tensor(3, 4),
    lambda: torch.Tensor([1, 2]),
    lambda: torch.Tensor((2, 3)),
    lambda: torch.Tensor([]),
    lambda: torch.Tensor(torch.tensor([1, 2])),
    lambda: torch.Tensor(torch.tensor([1.0, 2.0])),
    lambda: torch.Tensor(np.arange(3)),
    lambda: torch.Tensor(2.5),
    lambda: torch.Tensor(torch.Size([])),
    lambda: torch.FloatTensor(x.size()),
    lambda: torch.FloatTensor(),
    lambda: torch.LongTensor(x.size()),
    lambda: torch.FloatTensor(torch.tensor([1, 2])),
    lambda: torch.FloatTensor(2, 3),
    lambda: torch.FloatTensor([[1, 2]]),
    lambda: torch.FloatTensor(torch.ones(2, dtype=torch.float64)),
    lambda: x.new(x.size()),
    lambda: x.new(),
    lambda: x.new(2, 3),
    lambda: x.new([1, 2]),
    lambda: x.new(torch.tensor([1, 2])),
    lambda: x.new((2, 3)),
    lambda: torch.Tensor(3),
    lambda: torch.LongTensor(3),
    lambda: torch.Tensor(np.float64(2.0)),
]
for c in cases:
    show(c)
t = torch.tensor([1.0, 2.0])
u = torch.Tensor(t)
u[0] = 9
print(t)
