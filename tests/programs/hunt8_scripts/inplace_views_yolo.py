"""A YOLO-style head that writes slices of its prediction in place, then in-place ops on views
of non-leaf tensors and advanced-index writes (their gradients and the grad_fn torch records)."""

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class Yolo(nn.Module):
    """YOLO-style head: in-place sigmoid on slices of the prediction tensor."""

    def __init__(self, na=2, nc=3):
        super().__init__()
        self.na, self.no = na, nc + 5
        self.conv = nn.Conv2d(4, na * self.no, 1)
        self.register_buffer("anchors", torch.tensor([[1.0, 1.5], [2.0, 1.0]]))

    def forward(self, x):
        bs, _, ny, nx = x.shape
        p = self.conv(x).view(bs, self.na, self.no, ny, nx).permute(0, 1, 3, 4, 2).contiguous()
        yv, xv = torch.meshgrid(torch.arange(ny), torch.arange(nx), indexing="ij")
        grid = torch.stack((xv, yv), 2).view(1, 1, ny, nx, 2).float()
        y = p.sigmoid().clone()
        y[..., 0:2] = (y[..., 0:2] * 2.0 - 0.5 + grid) * 8
        y[..., 2:4] = (y[..., 2:4] * 2) ** 2 * self.anchors.view(1, self.na, 1, 1, 2)
        return y.view(bs, -1, self.no), p


m = Yolo()
x = torch.randn(2, 4, 3, 3, requires_grad=True)
y, p = m(x)
(y * torch.linspace(0, 1, y.numel()).view_as(y)).sum().backward()
print(
    y.shape,
    f"{y.sum().item():.5f} {x.grad.abs().sum().item():.6f} {m.conv.weight.grad.sum().item():.6f}",
)
# in-place ops on views of non-leaf
a = torch.randn(4, 5, requires_grad=True)
b = a * 1
b[1:3, ::2].mul_(3)
b[:, 0] = b[:, 1] * 2
b.t()[2].add_(b[:, 4])
v = b.view(20)
v[::7] = 0
b.diagonal().mul_(2)
b.narrow(1, 3, 2).clamp_(-0.5, 0.5)
(b * torch.arange(20.0).view(4, 5)).sum().backward()
print(b._version, [f"{t:.6f}" for t in a.grad.flatten().tolist()[:8]], f"{a.grad.sum().item():.6f}")
# relu inplace after view and unbind
c = torch.randn(3, 4, requires_grad=True)
d = c.clone()
r0, r1, r2 = d.unbind(0) if False else (d[0], d[1], d[2])
F.relu(r1, inplace=True)
d.sum().backward()
print(c.grad)
# base modified after view taken
e = torch.randn(4, requires_grad=True)
f = e.clone()
g = f[:2]
f.mul_(2)
(g * 3).sum().backward()
print(e.grad, g.grad_fn.__class__.__name__)
# masked_fill_, index_put_, scatter_ in forward
h = torch.randn(3, 4, requires_grad=True)
k = h.exp() * 1
k.masked_fill_(k > 2, 0.0)
k.index_put_((torch.tensor([0, 2]),), torch.ones(2, 4) * 5, accumulate=True)
k.scatter_(1, torch.tensor([[0], [1], [3]]), h[:, :1] * 7)
k.sum().backward()
print(f"{k.sum().item():.6f}", h.grad)
# swap via indexing (common in data aug code)
z = torch.arange(6.0).view(2, 3).requires_grad_()
w = z * 1
w[[0, 1]] = w[[1, 0]]
w[:, [0, 2]] = w[:, [2, 0]].clone()
(w * torch.tensor([[1.0, 2, 3], [4, 5, 6]])).sum().backward()
print(w, z.grad)
try:
    q = torch.randn(3, requires_grad=True)
    q2 = q.expand(2, 3)
    q3 = q2 * 1
    q3.unbind(0)[0].add_(1)
    print("unbind_ok")
except RuntimeError as err:
    print("RuntimeError", str(err)[:100])
leaf = torch.zeros(3, requires_grad=True)
with torch.no_grad():
    leaf[1] = 5
    leaf.add_(1)
print(leaf, leaf.requires_grad, leaf.grad_fn, leaf.is_leaf)
lv = leaf.detach()
lv[0] = -1
print(leaf)
