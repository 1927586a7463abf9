# ruff: noqa  (written as the hunt found it)
import torch

torch.manual_seed(0)
x = torch.randn(4, 3).half()
w = torch.randn(2, 3).half()
b = torch.randn(2).half()
print(torch.nn.functional.linear(x, w, b)[:, 0], torch.nn.functional.linear(x, w)[:, 1])
print((x.float() @ w.float().T + b.float()).half()[:, 0])
m = torch.nn.Linear(16, 8).half()
print(m(torch.randn(5, 16).half()).sum())
