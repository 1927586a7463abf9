"""Section 4: batch vs stochastic vs mini-batch gradient descent on the same problem.

Batch GD (M = N) uses the exact gradient of the training loss, once per epoch; SGD (M = 1)
updates after every example with a noisy gradient and needs a decaying learning rate
η_t = η₀ / (1 + t/τ) to settle; mini-batch GD (1 < M < N) sits in between. The lecture's
summary table is filled with measured numbers: updates per epoch, time per update, the noise
of the gradient estimate, and the loss reached after the same number of epochs.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

import gradiente
from gradiente import nn, optim, viz
from gradiente.data import DataLoader, TensorDataset
from gradiente.lecture import linear_regression as linreg
from gradiente.viz._figure import new_figure, save

NAME = "batch"
TITLE = "Batch vs stochastic vs mini-batch gradient descent, with the summary table"
N = 128
EPOCHS = 6
START = (-0.5, 1.8)  # (φ0, φ1)
COLORS = ["#e41a1c", "#ff7f00", "#00b4d8"]


def make_data():
    """N points of y = 0.8 + 0.5·x + noise, x in [0, 2] (fixed seed)."""
    g = gradiente.Generator().manual_seed(0)
    x = gradiente.rand(N, 1, generator=g) * 2
    y = 0.8 + 0.5 * x + 0.15 * gradiente.randn(N, 1, generator=g)
    return x, y


def train(x, y, batch_size: int, lr: float, decay: float | None):
    """Descend from START for EPOCHS epochs; returns the path (after each update), the full
    training loss at each point, and the median time of one update in seconds."""
    model = nn.Linear(1, 1)
    with gradiente.no_grad():
        model.bias.fill_(START[0])
        model.weight.fill_(START[1])
    loss_fn = nn.MSELoss()
    opt = optim.SGD(model.parameters(), lr=lr)
    # η_t = η₀ / (1 + t/τ): SGD's noise does not shrink near the minimum, so η must
    sched = optim.lr_scheduler.LambdaLR(opt, lambda t: 1.0 / (1.0 + t / decay)) if decay else None
    loader = DataLoader(
        TensorDataset(x, y),
        batch_size=batch_size,
        shuffle=True,
        generator=gradiente.Generator().manual_seed(1),
    )
    path = [(model.bias.item(), model.weight.item())]
    spent = []
    for _ in range(EPOCHS):
        for xb, yb in loader:
            begin = time.perf_counter()
            opt.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
            if sched is not None:
                sched.step()
            spent.append(time.perf_counter() - begin)
            path.append((model.bias.item(), model.weight.item()))
    path = np.array(path)
    full = _full_losses(path, x, y)
    return path, full, float(np.median(spent))


def _full_losses(path: np.ndarray, x, y) -> np.ndarray:
    xs, ys = x.numpy().ravel().astype(float), y.numpy().ravel().astype(float)
    pred = path[:, :1] + path[:, 1:] * xs  # (steps, N)
    return ((pred - ys) ** 2).mean(axis=1)


def gradient_noise(x, y, batch_size: int, draws: int = 200) -> float:
    """Relative error ‖g_B − g‖ / ‖g‖ of a mini-batch gradient at START, averaged over draws."""
    model = nn.Linear(1, 1)
    with gradiente.no_grad():
        model.bias.fill_(START[0])
        model.weight.fill_(START[1])
    loss_fn = nn.MSELoss()

    def grad(xb, yb):
        model.zero_grad()
        loss_fn(model(xb), yb).backward()
        return np.array([model.bias.grad.item(), model.weight.grad.item()])

    full = grad(x, y)
    g = gradiente.Generator().manual_seed(2)
    errors = []
    for _ in range(draws):
        idx = gradiente.randperm(N, generator=g)[:batch_size]
        errors.append(np.linalg.norm(grad(x[idx], y[idx]) - full) / np.linalg.norm(full))
    return float(np.mean(errors))


def run(out: Path) -> list[Path]:
    """Print this section's numbers and write its figures into ``out``; returns the paths."""
    x, y = make_data()
    methods = {
        "BGD (M = N)": (N, 0.3, None),
        "M-BGD (M = 16)": (16, 0.1, None),
        "SGD (M = 1)": (1, 0.05, 50.0),
    }
    results = {name: train(x, y, *cfg) for name, cfg in methods.items()}
    print(f"N = {N} examples, {EPOCHS} epochs each; SGD uses η_t = η₀/(1 + t/50)")
    print(
        f"{'method':<16}{'batch M':>8}{'updates/epoch':>15}{'examples/update':>17}"
        f"{'time/update':>13}{'grad. noise':>13}{'final L':>10}"
    )
    for name, (m, _, _) in methods.items():
        path, full, per_update = results[name]
        noise = gradient_noise(x, y, m) if m < N else 0.0
        print(
            f"{name:<16}{m:>8}{N // m:>15}{m:>17}{per_update * 1e6:>10.0f} µs"
            f"{noise:>13.2f}{full[-1]:>10.4f}"
        )
    print(
        "cost per update grows with M (examples/update; at this tiny size the measured time "
        "is mostly Python overhead), updates per epoch shrink as N/M;"
    )
    print("grad. noise = mean ‖g_B − g‖/‖g‖ of the mini-batch gradient at the start (0 for BGD)")

    fig, (ax_path, ax_loss) = new_figure(1, 2, figsize=(11.5, 4.6))
    model = nn.Linear(1, 1)
    trajs = {name: viz.Trajectory(r[0], r[1]) for name, r in results.items()}
    viz.plot_paths(
        model,
        trajs,
        loss_fn=nn.MSELoss(),
        data=(x, y),
        params=[model.bias, model.weight],
        xlim=(-0.7, 1.6),
        ylim=(-0.2, 2.0),
        log_scale=True,
        ax=ax_path,
        title="Paths on the training loss",
        colors=COLORS,
        **linreg.PLANE_LABELS,
    )
    for (name, (_path, full, _)), color in zip(results.items(), COLORS, strict=False):
        epochs = np.arange(len(full)) / (len(full) - 1) * EPOCHS
        ax_loss.plot(epochs, full, color=color, label=name, marker="o" if len(full) < 20 else None)
    ax_loss.set_yscale("log")
    ax_loss.set_xlabel("epochs (passes over the N examples)")
    ax_loss.set_ylabel("full training loss $L$ (log scale)")
    ax_loss.set_title("Loss against data seen")
    ax_loss.grid(True, alpha=0.3)
    ax_loss.legend(fontsize=8)
    return [save(fig, Path(out) / "04-batch.png")]
