"""Views, in-place operations and their interaction with autograd."""

import torch

# Views share memory
base = torch.arange(12.0)
v = base.view(3, 4)
v[0, 0] = 100.0
print(base[0], v.shape, v.is_contiguous())
t = v.t()
print(t.is_contiguous(), t.contiguous().view(-1)[:4])
print("reshape copies when it must:", t.reshape(-1)[:4])
r = base.reshape(2, 6)
r.mul_(2)
print(base[:6])
s = base[2:5]
s.zero_()
print(base)
print(base.view(2, -1).shape, base.unsqueeze(0).shape, base.view(1, 12, 1).squeeze().shape)
print(base.view(3, 4).permute(1, 0).shape, base.view(2, 3, 2).transpose(0, 2).shape)
print(base.view(2, 2, 3).flatten(1).shape, torch.flatten(base.view(2, 2, 3)).shape)
print(base.view(3, 4).unbind(1)[0], base.narrow(0, 2, 3), base.view(3, 4).select(1, 2))
print(base.view(3, 4)[:, 1].data_ptr() == base.view(3, 4)[0, 1:].data_ptr())
print(base.unflatten(0, (3, 4)).shape, base.view(3, 4).movedim(0, 1).shape)
print(torch.squeeze(torch.zeros(1, 3, 1), 0).shape, torch.unsqueeze(base, 1).shape)
print(
    torch.permute(torch.zeros(2, 3, 4), (2, 0, 1)).shape,
    torch.transpose(torch.zeros(2, 3), 0, 1).shape,
)
print(torch.reshape(base, (4, 3))[1], base.view(-1, 6).sum(0))
print(
    base.repeat(2).shape,
    base.view(3, 4).repeat(2, 1, 1).shape,
    base.view(3, 4).expand(2, 3, 4).shape,
)
print(
    torch.zeros(2, 1).repeat_interleave(3, dim=1).shape, torch.tensor([1, 2]).repeat_interleave(2)
)

# In-place arithmetic
a = torch.ones(3)
a += 1
a *= torch.tensor([1.0, 2.0, 3.0])
a -= 0.5
a /= 2
a **= 2
print(a)
a.clamp_(min=1.0)
a.neg_()
a.abs_()
a.sqrt_()
a.exp_()
a.log_()
print(a)
a.fill_(3.0)
a.copy_(torch.tensor([4.0, 5.0, 6.0]))
a.addcmul_(torch.ones(3), torch.tensor([1.0, 2.0, 3.0]), value=0.5)
a.lerp_(torch.zeros(3), 0.25)
print(a)
i = torch.tensor([1, 2, 3])
i += 1
i *= 2
print(i, i.dtype)
try:
    i /= 2
except RuntimeError as e:
    print("integer in-place division fails:", type(e).__name__)

# In-place on a leaf that requires grad is an error; under no_grad it is allowed
w = torch.ones(2, requires_grad=True)
try:
    w.add_(1)
except RuntimeError as e:
    print("a leaf Variable that requires grad is being used in an in-place operation." in str(e))
with torch.no_grad():
    w.add_(1)
print(w)

# In-place on a non-leaf is recorded in the graph
x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
y = x * 2
y.add_(1)
y.pow_(2)
print(y, y.grad_fn.name())
y.sum().backward()
print(x.grad)

# Modifying a tensor that backward needs is detected
x = torch.tensor([1.0, 2.0], requires_grad=True)
y = x.exp()
z = y * 3
y.add_(1)
try:
    (y * z).sum().backward()
    print(x.grad)
except RuntimeError as e:
    print("modified by an inplace operation" in str(e))

x = torch.tensor([1.0, 2.0], requires_grad=True)
y = x.sigmoid()
y.mul_(2)
try:
    y.sum().backward()
except RuntimeError as e:
    print("modified by an inplace operation" in str(e))

# In-place on a slice of a non-leaf keeps gradients right
x = torch.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
y = x * 1
y[1:3] *= 10
y[0] = 0.0
y.sum().backward()
print(y, x.grad)

# The .data escape hatch and detach sharing memory
p = torch.tensor([1.0, 2.0], requires_grad=True)
p.data.mul_(3)
d = p.detach()
d[0] = 9.0
print(p)
p.data = torch.tensor([5.0, 6.0])
print(p, p.requires_grad)
print(p.detach().requires_grad, p.clone().requires_grad, p.clone().grad_fn.name())
