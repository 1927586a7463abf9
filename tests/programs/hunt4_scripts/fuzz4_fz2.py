# ruff: noqa  (written as the hunt found it)
import torch, torch.nn.functional as F

x1 = torch.tensor([[[1.0]], [[-0.7]]]).requires_grad_()
v2 = F.pad(x1, (0, 0), mode="reflect")
print(v2.exp_().sum())
x1 = torch.ones(1, 1, 2, 5, dtype=torch.float64)
v2 = F.unfold(x1, kernel_size=1, stride=1, padding=1)
print(v2.sub_(2).sum())
e = torch.ones(2, 0, 4, requires_grad=True)
v, i = torch.topk(e, 1)
print(v.shape, v.requires_grad, i.dtype)
q = torch.randn(1, 2, 3, 4, requires_grad=True)
o = F.scaled_dot_product_attention(q, q, q)
o.mul_(2)
try:
    o.sum().backward()
    print("ok")
except RuntimeError as err:
    print(str(err)[:80])
q2 = torch.randn(2, 3, 4, requires_grad=True)
o = F.scaled_dot_product_attention(q2, q2, q2)
o.mul_(2)
try:
    o.sum().backward()
    print("ok")
except RuntimeError as err:
    print(str(err)[:80])
