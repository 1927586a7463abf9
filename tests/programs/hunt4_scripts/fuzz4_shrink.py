# ruff: noqa  (written as the hunt found it)
import torch, torch.nn.functional as F

x = torch.tensor(
    [-0.06, -2.3, -0.25, float("nan"), 0.25, 0.5, -0.5, 3.0, float("inf"), -float("inf")],
    dtype=torch.float64,
    requires_grad=True,
)
for f in (F.hardshrink, F.softshrink):
    y = f(x, 0.5)
    print(y, torch.signbit(y))
    (g,) = torch.autograd.grad(y.sum(), x)
    print(g)
