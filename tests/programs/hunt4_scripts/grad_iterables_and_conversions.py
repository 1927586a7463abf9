# ruff: noqa  (written as the hunt found it)
import torch

w = torch.ones(2, requires_grad=True)
b = torch.ones(1, requires_grad=True)
params = {"w": w, "b": b}
loss = (w * 3).sum() + b.sum()
print(torch.autograd.grad(loss, params.values(), create_graph=True))
print(torch.autograd.grad(loss, (p for p in [w, b])))
torch.manual_seed(0)
m = torch.nn.Linear(2, 1)
print(torch.autograd.grad(m(torch.ones(3, 2)).sum(), m.parameters(), create_graph=True))
l = (w * 2).sum()
l.backward(inputs=iter([w]))
print(w.grad, b.grad)
W = torch.normal(0, 0.01, size=(20, 3), requires_grad=True)
print(W.shape, W.requires_grad, W.sum())
for f in (float, int, complex):
    try:
        f(torch.tensor([1, 2]))
    except Exception as e:
        print(type(e).__name__, e)
import operator

for v in (torch.tensor([1, 2]), torch.tensor(1.5), torch.tensor([3])):
    try:
        print(operator.index(v))
    except Exception as e:
        print(type(e).__name__, e)
import numpy as np

try:
    print(torch.from_numpy(np.arange(3)[::-1]))
except ValueError as e:
    print("ValueError:", e)
try:
    torch.arange(4)[torch.tensor([0.0])]
except Exception as e:
    print(type(e).__name__, e)
