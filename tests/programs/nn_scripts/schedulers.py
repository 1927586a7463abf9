"""LR schedulers in training loops: StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR,
ReduceLROnPlateau, OneCycleLR, LambdaLR, LinearLR + SequentialLR; get_last_lr(), param_groups."""

import torch
import torch.nn as nn
from torch.optim import lr_scheduler

torch.manual_seed(0)
X = torch.randn(64, 5)
y = X @ torch.randn(5, 1) + 0.1 * torch.randn(64, 1)


def make():
    torch.manual_seed(1)
    model = nn.Sequential(nn.Linear(5, 16), nn.ReLU(), nn.Linear(16, 1))
    return model


def train_epoch(model, optimizer, scheduler=None, per_batch=False):
    total = 0.0
    for i in range(0, 64, 16):
        optimizer.zero_grad()
        loss = nn.functional.mse_loss(model(X[i : i + 16]), y[i : i + 16])
        loss.backward()
        optimizer.step()
        if per_batch:
            scheduler.step()
        total += loss.item()
    return total / 4


configs = {
    "StepLR": lambda o: lr_scheduler.StepLR(o, step_size=2, gamma=0.5),
    "MultiStepLR": lambda o: lr_scheduler.MultiStepLR(o, milestones=[2, 4], gamma=0.1),
    "ExponentialLR": lambda o: lr_scheduler.ExponentialLR(o, gamma=0.9),
    "CosineAnnealingLR": lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=6, eta_min=1e-4),
    "LambdaLR": lambda o: lr_scheduler.LambdaLR(o, lr_lambda=lambda epoch: 0.95**epoch),
    "Sequential": lambda o: lr_scheduler.SequentialLR(
        o,
        schedulers=[
            lr_scheduler.LinearLR(o, start_factor=0.1, total_iters=2),
            lr_scheduler.CosineAnnealingLR(o, T_max=4),
        ],
        milestones=[2],
    ),
    "CosineWarmRestarts": lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2),
}
for name, make_sched in configs.items():
    model = make()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scheduler = make_sched(optimizer)
    lrs = []
    for _ in range(7):
        loss = train_epoch(model, optimizer)
        scheduler.step()
        lrs.append(scheduler.get_last_lr()[0])
    print(f"{name:18s} loss {loss:.5f} lrs {[round(lr, 6) for lr in lrs]}")
    keys = sorted(scheduler.state_dict())[:4]
    print(f"  lr now {optimizer.param_groups[0]['lr']:.6f}, state keys {keys}")

# ReduceLROnPlateau on a validation loss
model = make()
optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
scheduler = lr_scheduler.ReduceLROnPlateau(optimizer, mode="min", factor=0.5, patience=1)
for epoch in range(10):
    train_epoch(model, optimizer)
    with torch.no_grad():
        val_loss = nn.functional.mse_loss(model(X), y).item()
    val_loss = max(val_loss, 0.2)  # a plateau, so that the scheduler acts
    scheduler.step(val_loss)
    print(
        f"epoch {epoch}: val {val_loss:.4f} lr {optimizer.param_groups[0]['lr']} "
        f"last {scheduler.get_last_lr()}"
    )

# OneCycleLR steps every batch, and cycles momentum (betas for Adam)
model = make()
optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
scheduler = lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, steps_per_epoch=4, epochs=3)
for epoch in range(3):
    loss = train_epoch(model, optimizer, scheduler, per_batch=True)
    group = optimizer.param_groups[0]
    print(
        f"onecycle epoch {epoch}: loss {loss:.5f} lr {scheduler.get_last_lr()[0]:.6f} "
        f"momentum {group['momentum']:.5f}"
    )
model = make()
optimizer = torch.optim.AdamW(model.parameters(), lr=0.01)
scheduler = lr_scheduler.OneCycleLR(
    optimizer, max_lr=0.05, total_steps=12, anneal_strategy="linear", pct_start=0.25
)
for epoch in range(3):
    loss = train_epoch(model, optimizer, scheduler, per_batch=True)
    print(
        f"adamw onecycle {epoch}: loss {loss:.5f} lr {scheduler.get_last_lr()} "
        f"betas {optimizer.param_groups[0]['betas']}"
    )

# two parameter groups with their own learning rates
model = make()
optimizer = torch.optim.SGD(
    [
        {"params": model[0].parameters()},
        {"params": model[2].parameters(), "lr": 0.01},
    ],
    lr=0.1,
    momentum=0.9,
)
scheduler = lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
for epoch in range(3):
    train_epoch(model, optimizer)
    scheduler.step()
    print(epoch, scheduler.get_last_lr(), [g["lr"] for g in optimizer.param_groups])
print(scheduler.state_dict())
