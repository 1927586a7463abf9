# ruff: noqa  (written as the hunt found it)
import torch

x = torch.tensor([-3.0, -0.5, 0.0, 0.3, 1.0, 4.0, 6.0, 9.0, 27.0], requires_grad=True)
y = torch.erfc(x)
print(y)
y.sum().backward()
print(x.grad)
print(
    torch.erfc(torch.tensor([1, 2])), torch.special.erfc(torch.tensor([5.0], dtype=torch.float64))
)
print(
    torch.special.log_ndtr(torch.tensor([-10.0, -40.0, 0.0, 3.0])),
    torch.special.ndtri(torch.tensor([1e-12, 0.3, 0.999999])),
)
print(torch.special.ndtr(torch.tensor([-10.0, 0.5])))
