"""Learning PyTorch with Examples: a custom autograd Function (Legendre polynomial P3)."""

import math

import torch


class LegendrePolynomial3(torch.autograd.Function):
    """
    We can implement our own custom autograd Functions by subclassing
    torch.autograd.Function and implementing the forward and backward passes
    which operate on Tensors.
    """

    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return 0.5 * (5 * input**3 - 3 * input)

    @staticmethod
    def backward(ctx, grad_output):
        (input,) = ctx.saved_tensors
        return grad_output * 1.5 * (5 * input**2 - 1)


dtype = torch.float
device = torch.device("cpu")

x = torch.linspace(-math.pi, math.pi, 2000, device=device, dtype=dtype)
y = torch.sin(x)

a = torch.full((), 0.0, device=device, dtype=dtype, requires_grad=True)
b = torch.full((), -1.0, device=device, dtype=dtype, requires_grad=True)
c = torch.full((), 0.0, device=device, dtype=dtype, requires_grad=True)
d = torch.full((), 0.3, device=device, dtype=dtype, requires_grad=True)

learning_rate = 5e-6
for t in range(2000):
    P3 = LegendrePolynomial3.apply

    y_pred = a + b * P3(c + d * x)

    loss = (y_pred - y).pow(2).sum()
    if t % 100 == 99:
        print(t, loss.item())

    loss.backward()

    with torch.no_grad():
        a -= learning_rate * a.grad
        b -= learning_rate * b.grad
        c -= learning_rate * c.grad
        d -= learning_rate * d.grad

        a.grad = None
        b.grad = None
        c.grad = None
        d.grad = None

print(f"Result: y = {a.item()} + {b.item()} * P3({c.item()} + {d.item()} x)")


# A Function with two inputs, a non-tensor argument, saved attributes and needs_input_grad
class ScaledMul(torch.autograd.Function):
    @staticmethod
    def forward(ctx, u, v, scale):
        ctx.save_for_backward(u, v)
        ctx.scale = scale
        return u * v * scale

    @staticmethod
    def backward(ctx, grad):
        u, v = ctx.saved_tensors
        grad_u = grad_v = None
        if ctx.needs_input_grad[0]:
            grad_u = grad * v * ctx.scale
        if ctx.needs_input_grad[1]:
            grad_v = grad * u * ctx.scale
        return grad_u, grad_v, None


u = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
v = torch.tensor([4.0, 5.0, 6.0])
out = ScaledMul.apply(u, v, 0.5)
print(out)
out.sum().backward()
print(u.grad, v.grad)
print(
    torch.autograd.gradcheck(
        ScaledMul.apply, (u.double().detach().requires_grad_(), v.double().requires_grad_(), 2.0)
    )
)


# A Function returning two outputs
class SinCos(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.sin(), x.cos()

    @staticmethod
    def backward(ctx, gs, gc):
        (x,) = ctx.saved_tensors
        return gs * x.cos() - gc * x.sin()


x = torch.tensor([0.0, 0.5, 1.0], requires_grad=True)
s, c = SinCos.apply(x)
(s * 2 + c).sum().backward()
print(s, c)
print(x.grad)
