"""torch.autograd.functional: the docs' jacobian, hessian, vjp, jvp, hvp examples."""

import torch
from torch.autograd.functional import hessian, hvp, jacobian, jvp, vhp, vjp


def exp_reducer(x):
    return x.exp().sum(dim=1)


torch.manual_seed(0)
inputs = torch.rand(2, 2)
print(jacobian(exp_reducer, inputs))
print(jacobian(exp_reducer, inputs, create_graph=True).requires_grad)


def exp_adder(x, y):
    return 2 * x.exp() + 3 * y


inputs = (torch.rand(2), torch.rand(2))
print(jacobian(exp_adder, inputs))


def pow_reducer(x):
    return x.pow(3).sum()


inputs = torch.rand(2, 2)
print(hessian(pow_reducer, inputs))
print(hessian(pow_reducer, inputs, create_graph=True).requires_grad)


def pow_adder_reducer(x, y):
    return (2 * x.pow(2) + 3 * y.pow(2)).sum()


inputs = (torch.rand(2), torch.rand(2))
print(hessian(pow_adder_reducer, inputs))


def exp_reducer2(x):
    return x.exp().sum(dim=1)


inputs = torch.rand(4, 4)
v = torch.ones(4)
print(vjp(exp_reducer2, inputs, v))


def adder(x, y):
    return 2 * x + 3 * y


inputs = (torch.rand(2), torch.rand(2))
v = torch.ones(2)
print(vjp(adder, inputs, v))


def exp_reducer3(x):
    return x.exp().sum(dim=1)


inputs = torch.rand(4, 4)
v = torch.ones(4, 4)
print(jvp(exp_reducer3, inputs, v))

inputs = (torch.rand(2), torch.rand(2))
v = (torch.ones(2), torch.ones(2))
print(jvp(adder, inputs, v))


def pow_reducer2(x):
    return x.pow(3).sum()


inputs = torch.rand(2, 2)
v = torch.ones(2, 2)
print(vhp(pow_reducer2, inputs, v))
print(hvp(pow_reducer2, inputs, v))


# A Jacobian of a vector function, checked against the analytic one
def f(x):
    return torch.stack([x[0] * x[1], x[0].sin(), x[1] ** 2 + x[2]])


x = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)
J = jacobian(f, x)
print(J)
expected = torch.tensor(
    [
        [2.0, 1.0, 0.0],
        [torch.cos(torch.tensor(1.0, dtype=torch.float64)).item(), 0.0, 0.0],
        [0.0, 4.0, 1.0],
    ],
    dtype=torch.float64,
)
print(torch.allclose(J, expected))


# Newton's method on a scalar function of two variables with hessian()
def rosen(p):
    return (1 - p[0]) ** 2 + 10 * (p[1] - p[0] ** 2) ** 2


p = torch.tensor([-1.0, 1.5], dtype=torch.float64)
for step in range(6):
    g = jacobian(rosen, p)
    H = hessian(rosen, p)
    p = p - torch.linalg.solve(H, g)
    print(step, p.tolist(), rosen(p).item())
