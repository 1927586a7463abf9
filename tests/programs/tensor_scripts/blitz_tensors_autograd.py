"""The (older) 60-minute blitz: "What is PyTorch?" and "Autograd: automatic differentiation"."""

import numpy as np
import torch
from torch.autograd import Variable

torch.manual_seed(1)

x = torch.zeros(5, 3, dtype=torch.long)
print(x)
x = torch.tensor([5.5, 3])
print(x)
x = x.new_ones(5, 3, dtype=torch.double)  # new_* methods take in sizes
print(x)
x = torch.randn_like(x, dtype=torch.float)  # override dtype!
print(x)
print(x.size())

y = torch.rand(5, 3)
print(x + y)
print(torch.add(x, y))
result = torch.empty(5, 3)
torch.add(x, y, out=result)
print(result)
y.add_(x)
print(y)
print(x[:, 1])

x = torch.randn(4, 4)
y = x.view(16)
z = x.view(-1, 8)  # the size -1 is inferred from other dimensions
print(x.size(), y.size(), z.size())
x = torch.randn(1)
print(x)
print(x.item())

a = torch.ones(5)
b = a.numpy()
a.add_(1)
print(a, b)
a = np.ones(5)
b = torch.from_numpy(a)
np.add(a, 1, out=a)
print(a, b)

# Autograd
x = torch.ones(2, 2, requires_grad=True)
print(x)
y = x + 2
print(y)
print(y.grad_fn.name())
z = y * y * 3
out = z.mean()
print(z, out)
a = torch.randn(2, 2)
a = (a * 3) / (a - 1)
print(a.requires_grad)
a.requires_grad_(True)
print(a.requires_grad)
b = (a * a).sum()
print(b.grad_fn.name())
out.backward()
print(x.grad)

x = torch.randn(3, requires_grad=True)
y = x * 2
while y.data.norm() < 1000:
    y = y * 2
print(y)
v = torch.tensor([0.1, 1.0, 0.0001], dtype=torch.float)
y.backward(v)
print(x.grad)

# Old-style code: Variable, .data, grad.data.zero_(), manual SGD on .data
torch.manual_seed(2)
w = Variable(torch.randn(3, 1), requires_grad=True)
b = Variable(torch.zeros(1), requires_grad=True)
X = Variable(torch.randn(16, 3))
Y = X.mm(torch.tensor([[1.0], [-2.0], [0.5]])) + 0.3
print(isinstance(w, Variable), isinstance(w, torch.Tensor), type(w).__name__)
for step in range(50):
    pred = X.mm(w) + b
    loss = (pred - Y).pow(2).mean()
    loss.backward()
    w.data -= 0.1 * w.grad.data
    b.data -= 0.1 * b.grad.data
    w.grad.data.zero_()
    b.grad.data.zero_()
    if step % 10 == 0:
        print(step, loss.data.item(), float(loss))
print(w.data.view(-1), b.data)

# Legacy tensor types
t = torch.FloatTensor([[1, 2], [3, 4]])
print(t, t.type(), isinstance(t, torch.FloatTensor), isinstance(t, torch.LongTensor))
print(t.type(torch.LongTensor), t.type("torch.DoubleTensor").dtype, torch.LongTensor(2, 3).shape)
print(torch.Tensor([1, 2, 3]), torch.Tensor(2, 3).shape, torch.Tensor(2, 3).dtype)
print(t.new([1, 2]), t.new(3).shape, t.new_tensor([5]), torch.ByteTensor([1, 0]))
print(torch.typename(t), torch.is_tensor(t), torch.numel(t))
