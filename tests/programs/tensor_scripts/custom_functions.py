"""Custom autograd Functions in the styles of PyTorch's docs: old and new style, extras."""

import torch
from torch.autograd import Function, gradcheck, gradgradcheck


class MyReLU(torch.autograd.Function):
    """The ReLU of "Learning PyTorch with Examples" (older version)."""

    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return input.clamp(min=0)

    @staticmethod
    def backward(ctx, grad_output):
        (input,) = ctx.saved_tensors
        grad_input = grad_output.clone()
        grad_input[input < 0] = 0
        return grad_input


torch.manual_seed(0)
N, D_in, H, D_out = 64, 100, 50, 10
x = torch.randn(N, D_in)
y = torch.randn(N, D_out)
w1 = torch.randn(D_in, H, requires_grad=True)
w2 = torch.randn(H, D_out, requires_grad=True)
learning_rate = 1e-6
for t in range(300):
    relu = MyReLU.apply
    y_pred = relu(x.mm(w1)).mm(w2)
    loss = (y_pred - y).pow(2).sum()
    if t % 50 == 49:
        print(t, loss.item())
    loss.backward()
    with torch.no_grad():
        w1 -= learning_rate * w1.grad
        w2 -= learning_rate * w2.grad
        w1.grad.zero_()
        w2.grad.zero_()


# The "Extending PyTorch" LinearFunction, with the new-style setup_context
class LinearFunction(Function):
    @staticmethod
    def forward(input, weight, bias):
        output = input.mm(weight.t())
        if bias is not None:
            output += bias.unsqueeze(0).expand_as(output)
        return output

    @staticmethod
    def setup_context(ctx, inputs, output):
        input, weight, bias = inputs
        ctx.save_for_backward(input, weight, bias)

    @staticmethod
    def backward(ctx, grad_output):
        input, weight, bias = ctx.saved_tensors
        grad_input = grad_weight = grad_bias = None
        if ctx.needs_input_grad[0]:
            grad_input = grad_output.mm(weight)
        if ctx.needs_input_grad[1]:
            grad_weight = grad_output.t().mm(input)
        if bias is not None and ctx.needs_input_grad[2]:
            grad_bias = grad_output.sum(0)
        return grad_input, grad_weight, grad_bias


inp = (
    torch.randn(6, 5, dtype=torch.double, requires_grad=True),
    torch.randn(4, 5, dtype=torch.double, requires_grad=True),
    torch.randn(4, dtype=torch.double, requires_grad=True),
)
print(gradcheck(LinearFunction.apply, inp, eps=1e-6, atol=1e-4))
out = LinearFunction.apply(*inp)
print(out.shape, out.grad_fn.name(), out.requires_grad)


# MulConstant: a non-tensor argument gets a None gradient
class MulConstant(Function):
    @staticmethod
    def forward(ctx, tensor, constant):
        ctx.constant = constant
        return tensor * constant

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output * ctx.constant, None


a = torch.tensor([1.0, 2.0], requires_grad=True)
MulConstant.apply(a, 5.5).sum().backward()
print(a.grad)


# mark_non_differentiable: a sort that returns indices
class SortWithIndices(Function):
    @staticmethod
    def forward(ctx, x):
        values, idx = x.sort()
        ctx.mark_non_differentiable(idx)
        ctx.save_for_backward(x, idx)
        return values, idx

    @staticmethod
    def backward(ctx, g1, g2):
        x, idx = ctx.saved_tensors
        grad_input = torch.zeros_like(x)
        grad_input.index_add_(0, idx, g1)
        return grad_input


x = torch.tensor([3.0, 1.0, 2.0], requires_grad=True)
values, idx = SortWithIndices.apply(x)
print(values, idx, idx.requires_grad)
(values * torch.tensor([1.0, 10.0, 100.0])).sum().backward()
print(x.grad)


# set_materialize_grads(False): unused outputs give None gradients
class SquareAndCube(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.set_materialize_grads(False)
        ctx.save_for_backward(x)
        return x**2, x**3

    @staticmethod
    def backward(ctx, g2, g3):
        (x,) = ctx.saved_tensors
        grad = torch.zeros_like(x)
        if g2 is not None:
            grad = grad + g2 * 2 * x
        if g3 is not None:
            grad = grad + g3 * 3 * x**2
        print("got None for the unused output:", g2 is None, g3 is None)
        return grad


x = torch.tensor([1.0, 2.0], requires_grad=True)
sq, cu = SquareAndCube.apply(x)
cu.sum().backward()
print(x.grad)


# A Function written with differentiable ops supports double backward
class Cube(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * 3 * x**2


x = torch.tensor([0.5, -1.5], dtype=torch.double, requires_grad=True)
print(gradcheck(Cube.apply, (x,)), gradgradcheck(Cube.apply, (x,)))
(g,) = torch.autograd.grad(Cube.apply(x).sum(), x, create_graph=True)
(g2,) = torch.autograd.grad(g.sum(), x)
print(g, g2)


# once_differentiable: backward runs without building a graph
once_differentiable = torch.autograd.function.once_differentiable


class Exp(Function):
    @staticmethod
    def forward(ctx, x):
        result = x.exp()
        ctx.save_for_backward(result)
        return result

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_output):
        (result,) = ctx.saved_tensors
        return grad_output * result


x = torch.tensor([0.0, 1.0], requires_grad=True)
Exp.apply(x).sum().backward()
print(x.grad)


# A Function inside a module's forward, trained with an optimizer
class Scale(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.s = torch.nn.Parameter(torch.tensor(0.5))

    def forward(self, x):
        return MulConstant.apply(x, 2.0) * self.s


model = Scale()
opt = torch.optim.SGD(model.parameters(), lr=0.1)
for _ in range(5):
    opt.zero_grad()
    loss = (model(torch.ones(3)) - 3.0).pow(2).mean()
    loss.backward()
    opt.step()
print(model.s.item(), loss.item())
