"""Derivatives of a network's output with respect to its input (physics-informed style).

Solves u'' = -π² sin(πx) on [0, 1] with u(0) = u(1) = 0 for a few steps: the loss contains
du/dx and d²u/dx² computed with torch.autograd.grad(create_graph=True).
"""

import math

import torch
import torch.nn as nn

torch.manual_seed(0)
torch.set_default_dtype(torch.float64)

net = nn.Sequential(nn.Linear(1, 16), nn.Tanh(), nn.Linear(16, 16), nn.Tanh(), nn.Linear(16, 1))
optimizer = torch.optim.Adam(net.parameters(), lr=1e-2)

x = torch.linspace(0, 1, 33).unsqueeze(1).requires_grad_(True)
boundary = torch.tensor([[0.0], [1.0]])


def residual(x):
    u = net(x)
    du = torch.autograd.grad(u, x, grad_outputs=torch.ones_like(u), create_graph=True)[0]
    d2u = torch.autograd.grad(du, x, grad_outputs=torch.ones_like(du), create_graph=True)[0]
    return d2u + math.pi**2 * torch.sin(math.pi * x), u, du


for step in range(20):
    optimizer.zero_grad()
    r, u, du = residual(x)
    loss = r.pow(2).mean() + net(boundary).pow(2).mean()
    loss.backward()
    optimizer.step()
    if step % 5 == 0:
        print(step, f"{loss.item():.6f}", f"{du.abs().max().item():.6f}")

r, u, du = residual(x)
print(u[::8].detach().view(-1))
print(du[::8].detach().view(-1))


# Gradient of a scalar function w.r.t. inputs of a batch, and the Hessian diagonal
def f(z):
    return (z**3).sum(dim=1) + (z[:, 0] * z[:, 1])


z = torch.tensor([[1.0, 2.0], [-1.0, 0.5]], requires_grad=True)
(g,) = torch.autograd.grad(f(z).sum(), z, create_graph=True)
hess_diag = torch.stack(
    [torch.autograd.grad(g[:, i].sum(), z, retain_graph=True)[0][:, i] for i in range(2)], dim=1
)
print(g)
print(hess_diag)

# Input gradients for a saliency map, through a small classifier in eval mode
clf = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
clf.eval()
inp = torch.randn(2, 4, requires_grad=True)
scores = clf(inp)
best = scores.argmax(dim=1)
scores.gather(1, best.unsqueeze(1)).sum().backward()
print(best, inp.grad.abs())
