# ruff: noqa  (written as the hunt found it)
import torch

for p in [0.5, 1.5, 3, 2.5, 0.3]:
    y = torch.tensor([[0.0, 1.0], [0.0, 0.0], [-2.0, 0.5]], requires_grad=True)
    torch.linalg.vector_norm(y, ord=p, dim=1).sum().backward()
    print(p, y.grad)
    y.grad = None
    y.norm(p).backward()
    print(y.grad)
torch.manual_seed(0)
x = torch.randn(4, 3, requires_grad=True)
torch.cdist(x, x, p=1.5).sum().backward()
print(x.grad.norm())
x.grad = None
torch.pdist(x, p=0.5).sum().backward()
print(x.grad.norm())
