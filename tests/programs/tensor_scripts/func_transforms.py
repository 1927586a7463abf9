"""torch.func in the style of the "Jacobians, Hessians, hvp, vhp, and more" and "Per-sample
gradients" tutorials (with torch.func.* names; see the report about `from torch.func import`)."""

import torch
import torch.nn.functional as F

func = torch.func
torch.manual_seed(0)


def predict(weight, bias, x):
    return F.linear(x, weight, bias).tanh()


D = 4
weight = torch.randn(D, D)
bias = torch.randn(D)
x = torch.randn(D)

# Jacobian of the outputs with respect to x, three ways
ft_jacobian = func.jacrev(predict, argnums=2)(weight, bias, x)
jac_fwd = func.jacfwd(predict, argnums=2)(weight, bias, x)
unit_vectors = torch.eye(D)
_, vjp_fn = func.vjp(lambda x: predict(weight, bias, x), x)
(rows,) = func.vmap(vjp_fn)(unit_vectors)
print(ft_jacobian)
print(torch.allclose(ft_jacobian, jac_fwd), torch.allclose(ft_jacobian, rows))

# Jacobians with respect to several arguments
ft_jac_weight, ft_jac_bias = func.jacrev(predict, argnums=(0, 1))(weight, bias, x)
print(ft_jac_weight.shape, ft_jac_bias.shape)
print(ft_jac_bias)

# Batch Jacobian with vmap
batch_size = 3
xs = torch.randn(batch_size, D)
batch_jac = func.vmap(func.jacrev(predict, argnums=2), in_dims=(None, None, 0))(weight, bias, xs)
print(batch_jac.shape)
print(batch_jac[1])

# Hessians
hess = func.hessian(predict, argnums=2)(weight, bias, x)
print(hess.shape)
print(hess[0])
hess_fr = func.jacfwd(func.jacrev(predict, argnums=2), argnums=2)(weight, bias, x)
print(torch.allclose(hess, hess_fr))


# Hessian-vector products
def f(x):
    return x.sin().sum()


def hvp(f, primals, tangents):
    return func.jvp(func.grad(f), primals, tangents)[1]


x = torch.randn(5)
tangent = torch.randn(5)
print(hvp(f, (x,), (tangent,)))
print(-x.sin() * tangent)

# grad, grad_and_value, has_aux and nesting
g = func.grad(lambda x: (x**3).sum())(torch.tensor([1.0, 2.0]))
gg = func.grad(lambda x: func.grad(lambda y: (y**3).sum())(x).sum())(torch.tensor([1.0, 2.0]))
print(g, gg)
grads, (value, aux) = func.grad_and_value(lambda x: ((x**2).sum(), x.mean()), has_aux=True)(
    torch.tensor([3.0, 4.0])
)
print(grads, value, aux)


# Per-sample gradients of a small model with functional_call
class SimpleModel(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(6, 5)
        self.fc2 = torch.nn.Linear(5, 3)

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(x)))


model = SimpleModel()
data = torch.randn(4, 6)
targets = torch.tensor([0, 2, 1, 2])
params = {k: v.detach() for k, v in model.named_parameters()}


def compute_loss(params, sample, target):
    batch = sample.unsqueeze(0)
    predictions = func.functional_call(model, params, (batch,))
    return F.cross_entropy(predictions, target.unsqueeze(0))


per_sample = func.vmap(func.grad(compute_loss), in_dims=(None, 0, 0))(params, data, targets)
print({k: tuple(v.shape) for k, v in per_sample.items()})
print(per_sample["fc2.bias"])

# the same gradients, one sample at a time with backward()
for i in range(2):
    model.zero_grad()
    F.cross_entropy(model(data[i : i + 1]), targets[i : i + 1]).backward()
    print(torch.allclose(model.fc2.bias.grad, per_sample["fc2.bias"][i]))

torch.testing.assert_close(per_sample["fc1.weight"].sum(0) / 4, per_sample["fc1.weight"].mean(0))
print(torch.special.expit(torch.tensor([0.0, 2.0])), torch.special.ndtr(torch.tensor(0.0)))
