# ruff: noqa  (written as the hunt found it)
import torch

x = torch.rand(4, 1, requires_grad=True)
z = torch.randn(3, requires_grad=True)
u = x * 2
for f in [
    lambda: torch.autograd.grad(u.sum(), [x, z], retain_graph=True),
    lambda: torch.autograd.grad(u, x),
    lambda: torch.autograd.grad(u.sum(), [x, torch.ones(2)]),
    lambda: u.backward(),
    lambda: torch.ones(2).sum().backward(),
]:
    try:
        f()
    except RuntimeError as e:
        print(e)
