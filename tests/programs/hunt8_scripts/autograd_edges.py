"""Autograd edge cases from coursework: errors learners meet (in-place on a leaf, backward twice,
a modified saved tensor), grad modes and decorators, activation checkpointing, higher-order
gradients and ``backward(inputs=...)`` on a non-leaf that retains its gradient."""

import warnings

import torch
import torch.nn as nn
from torch.utils.checkpoint import checkpoint, checkpoint_sequential

torch.manual_seed(0)


def attempt(name, fn):
    try:
        r = fn()
        print(name, "ok", r)
    except Exception as e:
        print(name, type(e).__name__, str(e).split("\n")[0][:160])


w = torch.randn(3, requires_grad=True)
attempt("leaf_inplace", lambda: w.add_(1))


def twice():
    y = (w * 2).exp().sum()
    y.backward()
    y.backward()


attempt("backward_twice", twice)


def modified():
    a = torch.randn(3, requires_grad=True)
    b = a.sigmoid()
    b.mul_(2)
    b.sum().backward()
    return a.grad


attempt("modified_inplace_ok", modified)


def modified_bad():
    a = torch.randn(3, requires_grad=True)
    b = a.exp()
    c = b * 1
    b.add_(1)
    (b * c).sum().backward()


attempt("modified_exp", modified_bad)


def version():
    a = torch.randn(3, requires_grad=True)
    b = a * 1
    v0 = b._version
    b[0] = 5
    b.add_(1)
    return (v0, b._version)


attempt("version", version)
attempt("nonscalar", lambda: (w * 2).backward())
attempt("no_grad_fn", lambda: torch.ones(3).sum().backward())
attempt(
    "grad_unused",
    lambda: torch.autograd.grad((w * 2).sum(), [w, torch.ones(2, requires_grad=True)]),
)
attempt(
    "grad_unused_ok",
    lambda: torch.autograd.grad(
        (w * 2).sum(),
        [w, torch.ones(2, requires_grad=True)],
        allow_unused=True,
        materialize_grads=True,
    ),
)
attempt("numpy_grad", lambda: w.numpy())
attempt("item_multi", lambda: w.item())
attempt("int_requires_grad", lambda: torch.tensor([1, 2], requires_grad=True))
attempt("view_inplace_leaf", lambda: w[0].mul_(2))
attempt("detach_inplace", lambda: (w.detach().zero_(), w))
w = torch.randn(3, requires_grad=True)
attempt("grad_nonleaf", lambda: (w * 2).grad)
attempt("set_data", lambda: setattr(w, "data", torch.zeros(3)) or w)


def anomaly():
    with torch.autograd.detect_anomaly():
        a = torch.tensor([0.0, 1.0], requires_grad=True)
        y = (a.sqrt() * 0).sum()
        y.backward()
        return a.grad


with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    attempt("anomaly", anomaly)


def enable_inside():
    with torch.no_grad():
        a = w * 2
        with torch.enable_grad():
            b = w * 2
    return a.requires_grad, b.requires_grad, torch.is_grad_enabled()


attempt("enable_inside", enable_inside)


class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.l = nn.Linear(3, 3)

    @torch.no_grad()
    def predict(self, x):
        return self.l(x)

    @torch.inference_mode()
    def infer(self, x):
        return self.l(x)


m = M()
attempt(
    "decorated",
    lambda: (m.predict(torch.ones(1, 3)).requires_grad, m.infer(torch.ones(1, 3)).is_inference()),
)


def inference_err():
    with torch.inference_mode():
        t = torch.ones(2)
    z = torch.ones(2, requires_grad=True)
    return (t * z).sum().backward()


attempt("inference_save", inference_err)


def inference_inplace():
    with torch.inference_mode():
        t = torch.ones(2)
    t.add_(1)


attempt("inference_inplace", inference_inplace)
# checkpointing
torch.manual_seed(1)
model = nn.Sequential(
    *[nn.Sequential(nn.Linear(8, 8), nn.Dropout(0.3), nn.Tanh()) for _ in range(4)]
)
x = torch.randn(5, 8, requires_grad=True)
torch.manual_seed(2)
ref = model(x).pow(2).sum()
ref.backward()
gref = x.grad.clone()
pref = model[0][0].weight.grad.clone()
x.grad = None
model.zero_grad()
torch.manual_seed(2)
out = x
for blk in model:
    out = checkpoint(blk, out, use_reentrant=False)
l = out.pow(2).sum()
l.backward()
print(
    f"{ref.item():.6f} {l.item():.6f}",
    torch.allclose(gref, x.grad),
    torch.allclose(pref, model[0][0].weight.grad),
)
x.grad = None
model.zero_grad()
torch.manual_seed(2)
out = checkpoint_sequential(model, 2, x, use_reentrant=False)
l = out.pow(2).sum()
l.backward()
print(f"{l.item():.6f}", torch.allclose(gref, x.grad))
# retain_graph and higher-order
x = torch.tensor([1.0, 2.0], requires_grad=True)
y = (x**3).sum()
(g,) = torch.autograd.grad(y, x, create_graph=True)
(g2,) = torch.autograd.grad(g.sum(), x, retain_graph=True)
print(g, g2, g.grad_fn is not None)
gg = torch.autograd.grad(g, x, grad_outputs=torch.tensor([1.0, 0.0]), is_grads_batched=False)
print(gg)
jac = torch.autograd.functional.jacobian(lambda a: a**2 * a.sum(), x, vectorize=True)
hes = torch.autograd.functional.hessian(lambda a: (a**2 * a.sum()).sum(), x, create_graph=False)
print(jac, hes)
x = torch.ones(2, requires_grad=True)
y = x * 2
y.retain_grad()
z = y * y
z.backward(torch.tensor([1.0, 0.5]), inputs=[y])
print(y.grad, x.grad)
z2 = (x * 3).sum()
z2.backward()
z3 = (x * 3).sum()
z3.backward()
print(x.grad)
with torch.autograd.set_grad_enabled(False):
    print((x * 2).requires_grad)
print(
    torch.autograd.grad(
        torch.ones(1, requires_grad=True).sum(),
        torch.ones(1, requires_grad=True),
        allow_unused=True,
    )
)
