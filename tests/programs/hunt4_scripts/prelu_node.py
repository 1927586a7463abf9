# ruff: noqa  (written as the hunt found it)
import torch, torch.nn as nn, re

torch.manual_seed(0)
m = nn.PReLU(3)
x = torch.randn(2, 3, 4, requires_grad=True)
y = m(x)
print(
    re.sub("0x[0-9a-f]+", "A", str(y.grad_fn)),
    [type(f).__name__ for f, _ in y.grad_fn.next_functions],
)
y.sum().backward()
print(x.grad.sum(), m.weight.grad)
x2 = torch.randn(5).requires_grad_()
y2 = torch.nn.functional.prelu(x2, torch.tensor([0.25]))
print(y2)
x3 = x2 * 1
y3 = torch.nn.functional.prelu(x3, m.weight[:1])
x3.add_(1)
try:
    y3.sum().backward()
    print("ok")
except RuntimeError as e:
    print(str(e)[:70])
w1 = torch.tensor([0.3], requires_grad=True)
for shape in [(4,), (2, 3), (2, 1, 3)]:
    z = torch.nn.functional.prelu(torch.randn(*shape, requires_grad=True), w1)
    print([type(f).__name__ for f, _ in z.grad_fn.next_functions])
