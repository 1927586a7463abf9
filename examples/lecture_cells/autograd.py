"""The lecture's autograd cell, verbatim: ``gradiente run autograd.py``.

Expected output:
dL/dw :  tensor(-0.5600)
dL/db :  tensor(-0.4000)
tensor([-0.5600], grad_fn=<MulBackward0>)
"""

import torch

w = torch.tensor(1.0, requires_grad=True)
b = torch.tensor(0.5, requires_grad=True)

x = torch.tensor([1.4])
y = torch.tensor([2.1])
z = torch.add(torch.mul(w, x), b)

loss = (y - z).pow(2).sum()  # Erro Quadrático
loss.backward()

print("dL/dw : ", w.grad)
print("dL/db : ", b.grad)

print(2 * x * ((w * x + b) - y))  # Computando dL/dw
