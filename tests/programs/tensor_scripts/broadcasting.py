"""Broadcasting semantics, from PyTorch's notes, with gradients through broadcast ops."""

import torch

x = torch.empty(5, 7, 3)
y = torch.empty(5, 7, 3)
print((x + y).size())  # same shapes are always broadcastable

x = torch.empty((0,))
y = torch.empty(2, 2)
try:
    x + y
except RuntimeError:
    print("x and y are not broadcastable, because x does not have at least 1 dimension")

x = torch.empty(5, 3, 4, 1)
y = torch.empty(3, 1, 1)
print((x + y).size())

x = torch.empty(5, 2, 4, 1)
y = torch.empty(3, 1, 1)
try:
    (x + y).size()
except RuntimeError:
    print("x and y are not broadcastable, because in the 3rd trailing dimension 2 != 3")

x = torch.empty(1)
y = torch.empty(3, 1, 7)
print((x + y).size())

x = torch.empty(5, 1, 4, 1)
y = torch.empty(3, 1, 1)
try:
    x.add_(y)
except RuntimeError:
    print("in-place add_ cannot change the shape of x")

x = torch.empty(1, 3, 1)
y = torch.empty(3, 1, 7)
try:
    x.add_(y)
except RuntimeError:
    print("in-place broadcast to a bigger shape fails")

print(torch.broadcast_shapes((2,), (3, 1), (1, 1, 1)))
a, b = torch.broadcast_tensors(torch.arange(3), torch.arange(2).view(2, 1))
print(a)
print(b)
print(torch.arange(3).expand(2, 3))
print(torch.arange(3).view(3, 1).expand(-1, 4))

# Broadcasting in arithmetic with gradients: the gradient is summed over broadcast dimensions
torch.manual_seed(0)
w = torch.randn(3, 1, requires_grad=True)
b = torch.randn(4, requires_grad=True)
s = torch.tensor(2.0, requires_grad=True)
out = (w * b + s) ** 2
print(out.shape)
out.backward(torch.ones_like(out))
print(w.grad)
print(b.grad)
print(s.grad)

# Mixed dtypes and Python scalars (type promotion)
i = torch.tensor([1, 2, 3])
f = torch.tensor([0.5, 1.5, 2.5])
d = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)
print((i + f).dtype, (i * 2).dtype, (i * 2.5).dtype, (f + d).dtype, (i / 2).dtype)
print(i // 2, i % 2, -i, i**2, 2**i)
print(torch.tensor([True, False]) + 1)
print((i > 1).dtype, (i > 1).sum(), (i > 1).float().mean())
print(f * torch.tensor(3), (f * torch.tensor(3)).dtype)
print(torch.tensor([1, 2], dtype=torch.int32) + torch.tensor(1))
print((torch.tensor([1, 2], dtype=torch.int32) + torch.tensor([1])).dtype)
print((torch.tensor([1, 2], dtype=torch.uint8) + 1.5).dtype)
print(torch.tensor([1.0, 2.0]) @ torch.tensor([[1.0], [2.0]]))

# Batched matmul broadcasting
A = torch.randn(2, 1, 3, 4)
B = torch.randn(5, 4, 2)
print(torch.matmul(A, B).shape)
v = torch.randn(4)
print(torch.matmul(A, v).shape, torch.matmul(v, B).shape)
print(torch.allclose(torch.matmul(A, B)[1, 3], A[1, 0] @ B[3]))
