# ruff: noqa  (written as the hunt found it)
import torch

cases = [
    (torch.randn(4, 4), torch.ones(3)),
    (torch.randn(4, 4, dtype=torch.float64), torch.ones(4)),
    (torch.randn(4, 3), torch.ones(4)),
    (torch.randn(2, 4, 4), torch.ones(3, 4, 1)),
    (torch.randn(4, 4), torch.ones(4, 2)),
    (torch.randn(4, 4), torch.ones(2, 4)),
    (torch.randn(3), torch.ones(3)),
]
for a, b in cases:
    try:
        print(torch.linalg.solve(a, b).shape)
    except Exception as e:
        print(type(e).__name__, e)
for a, b in cases[:3]:
    try:
        print(torch.linalg.solve(a, b, left=False).shape)
    except Exception as e:
        print(type(e).__name__, e)
try:
    torch.linalg.solve(torch.zeros(2, 2), torch.ones(2))
except Exception as e:
    print(type(e).__name__, e)
