"""Linear regression with TensorDataset: nn.Linear + MSELoss with SGD, then Adam; polynomial fit."""

import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(42)
true_w = torch.tensor([[2.0, -3.4, 1.5]])
true_b = 4.2
X = torch.randn(256, 3)
y = X @ true_w.T + true_b + 0.01 * torch.randn(256, 1)

dataset = TensorDataset(X, y)
loader = DataLoader(dataset, batch_size=32, shuffle=True)

model = nn.Linear(3, 1)
print(model.weight.data, model.bias.data)
criterion = nn.MSELoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.03)

for epoch in range(5):
    for xb, yb in loader:
        optimizer.zero_grad()
        loss = criterion(model(xb), yb)
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        full = criterion(model(X), y)
    print(f"epoch {epoch + 1}, loss {full.item():.6f}")

w, b = model.weight.detach(), model.bias.detach()
print("w error:", (true_w - w).abs().max().item() < 0.05, "b error:", abs(true_b - b.item()) < 0.05)
print(f"w = {w.squeeze().tolist()}")

# polynomial regression with Adam and an nn.Sequential
torch.manual_seed(1)
xs = torch.linspace(-2, 2, 200).unsqueeze(1)
ys = torch.sin(xs) + 0.1 * torch.randn_like(xs)
net = nn.Sequential(nn.Linear(1, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 1))
opt = torch.optim.Adam(net.parameters(), lr=0.01)
loss_fn = nn.MSELoss(reduction="mean")
for it in range(301):
    opt.zero_grad()
    loss = loss_fn(net(xs), ys)
    loss.backward()
    opt.step()
    if it % 50 == 0:
        print(f"iter {it:3d} loss {loss.item():.6f}")

# L1 / Huber / SmoothL1 and AdamW, RMSprop, Adagrad on the same data
for name, make_opt, crit in [
    ("adamw", lambda p: torch.optim.AdamW(p, lr=0.05, weight_decay=0.01), nn.L1Loss()),
    ("rmsprop", lambda p: torch.optim.RMSprop(p, lr=0.01, momentum=0.5), nn.HuberLoss(delta=0.5)),
    ("adagrad", lambda p: torch.optim.Adagrad(p, lr=0.3), nn.SmoothL1Loss()),
    (
        "nesterov",
        lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-4),
        nn.MSELoss(),
    ),
]:
    torch.manual_seed(0)
    lin = nn.Linear(3, 1)
    o = make_opt(lin.parameters())
    for _ in range(40):
        o.zero_grad()
        l = crit(lin(X), y)
        l.backward()
        o.step()
    print(f"{name:8s} loss {l.item():.6f} bias {lin.bias.item():.5f}")
