"""PyTorch's "Understanding requires_grad, retain_grad, Leaf, and Non-leaf Tensors" tutorial."""

import torch
import torch.nn.functional as F

torch.manual_seed(42)

x = torch.ones(1, 3, 16, 16)
print(f"{x.requires_grad=}")
print(f"{x.is_leaf=}")

x = torch.ones(5)
y = torch.zeros(3)
W = torch.randn(5, 3, requires_grad=True)
b = torch.randn(3, requires_grad=True)
z = x @ W + b
y_pred = torch.sigmoid(z)
loss = F.binary_cross_entropy(y_pred, y)

tensors = [("x", x), ("W", W), ("b", b), ("z", z), ("y_pred", y_pred), ("loss", loss)]
for name, t in tensors:
    print(
        f"{name:>7} requires_grad={t.requires_grad} is_leaf={t.is_leaf} "
        f"retains_grad={t.retains_grad}"
    )

z.retain_grad()
y_pred.retain_grad()
loss.retain_grad()
print(f"{z.retains_grad=} {loss.retains_grad=}")

loss.backward()
print(f"{W.grad=}")
print(f"{b.grad=}")
print(f"{z.grad=}")
print(f"{y_pred.grad=}")
print(f"{loss.grad=}")
print(z.grad_fn.name(), y_pred.grad_fn.name())
print(f"{loss.item():.6f}")

# The leaf/non-leaf rules in short
a = torch.rand(10, requires_grad=True)
print(a.is_leaf)
b = torch.rand(10, requires_grad=True) + 2
print(b.is_leaf)
c = torch.rand(10, requires_grad=True).double()
print(c.is_leaf)
d = torch.rand(10).requires_grad_()
print(d.is_leaf)
e = torch.rand(10, dtype=torch.float64).requires_grad_()
print(e.is_leaf, e.dtype)
f = torch.zeros(3).detach()
print(f.is_leaf, f.requires_grad)

try:
    torch.tensor([1, 2]).requires_grad_()
except RuntimeError as err:
    print("RuntimeError:", "floating point" in str(err))
try:
    b.requires_grad_(False)
except RuntimeError as err:
    print("RuntimeError:", "leaf variables" in str(err))
try:
    W.numpy()
except RuntimeError as err:
    print("RuntimeError:", "detach" in str(err))
print(W.detach().numpy().shape, W.data.shape)

# Freezing parts of a computation
w1 = torch.randn(3, 3, requires_grad=True)
w2 = torch.randn(3, 3, requires_grad=False)
out = (w1 @ w2).sum()
out.backward()
print(w1.grad is not None, w2.grad)
w1.grad = None
w1.requires_grad_(False)
out = (w1 @ w2).sum()
print(out.requires_grad, out.grad_fn)
