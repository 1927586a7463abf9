"""Section 5: a non-convex loss — local and global minima, saddle points, and SGD's noise.

f(x, y) = (x² − 1)² + (y² − 1)² + 0.5x + 0.25y has four minima of different depths, four
saddle points and one maximum. Newton's method (gradient and Hessian from autograd) finds the
nine critical points; the signs of the Hessian's eigenvalues classify them: both positive, a
minimum; both negative, a maximum; mixed, a saddle. Gradient descent ends in the minimum of
whichever basin it starts in; SGD's noisy gradients can climb out of a shallow minimum.
"""

from __future__ import annotations

import itertools
from functools import partial
from pathlib import Path

import numpy as np

import gradiente
from gradiente import optim, viz
from gradiente.autograd.functional import hessian
from gradiente.viz._figure import mark_points, new_figure, save

NAME = "nonconvex"
TITLE = "A non-convex loss: minima, saddles (Hessian eigenvalues), GD starts, SGD escaping"
LIM = (-1.9, 1.9)
STARTS = [(-1.7, 1.6), (-0.2, 1.8), (1.8, 1.2), (1.7, -0.4), (0.4, -1.8), (-1.5, -0.1)]
SIGMA, SGD_STEPS, SGD_SEED = 6.0, 400, 4


def f(x, y):
    """The loss: a double well in each coordinate, tilted so the four minima differ."""
    return (x**2 - 1) ** 2 + (y**2 - 1) ** 2 + 0.5 * x + 0.25 * y


def _f_vec(p):
    return f(p[0], p[1])


def critical_points() -> list[tuple[np.ndarray, np.ndarray, str]]:
    """Newton's method p ← p − H⁻¹∇f from a 3×3 grid of starts; returns (point, eig, kind)."""
    found = []
    for start in itertools.product((-1.2, 0.0, 1.2), repeat=2):
        p = np.array(start)
        for _ in range(30):
            t = gradiente.tensor(p, dtype=gradiente.float64, requires_grad=True)
            (g,) = gradiente.autograd.grad(_f_vec(t), t)
            H = hessian(_f_vec, t.detach()).numpy()
            p = p - np.linalg.solve(H, g.numpy())
        eig = np.linalg.eigvalsh(hessian(_f_vec, gradiente.tensor(p)).numpy())
        kind = "minimum" if eig.min() > 0 else "maximum" if eig.max() < 0 else "saddle"
        if not any(np.allclose(p, q, atol=1e-6) for q, _, _ in found):
            found.append((p, eig, kind))
    return sorted(found, key=lambda c: (c[2], float(f(*c[0]))))


def sgd_path(start, sigma: float, steps: int, seed: int) -> np.ndarray:
    """SGD on f(w) + aᵢ·w with 64 zero-mean aᵢ ~ N(0, σ²): the average of these losses is f,
    each sampled gradient is ∇f + aᵢ (a mini-batch gradient's noise); η_t = 0.05/(1 + t/50)."""
    g = gradiente.Generator().manual_seed(seed)
    a = gradiente.randn(64, 2, generator=g, dtype=gradiente.float64) * sigma
    a = a - a.mean(0)
    theta = gradiente.tensor(start, dtype=gradiente.float64, requires_grad=True)
    opt = optim.SGD([theta], lr=0.05)
    sched = optim.lr_scheduler.LambdaLR(opt, lambda t: 1.0 / (1.0 + t / 50))
    path = [theta.detach().numpy().copy()]
    for _ in range(steps):
        i = gradiente.randint(0, 64, (1,), generator=g).item()
        opt.zero_grad()
        loss = f(theta[0], theta[1]) + (a[i] * theta).sum()
        loss.backward()
        opt.step()
        sched.step()
        path.append(theta.detach().numpy().copy())
    return np.array(path)


def _nearest_minimum(p, minima) -> int:
    return int(np.argmin([np.linalg.norm(p - m) for m in minima]))


def run(out: Path) -> list[Path]:
    """Print this section's numbers and write its figures into ``out``; returns the paths."""
    crit = critical_points()
    print("critical points (Newton's method; Hessian from autograd.functional.hessian):")
    for p, eig, kind in crit:
        print(
            f"  ({p[0]:+.4f}, {p[1]:+.4f})  f = {f(*p):+.4f}  eigenvalues of H = "
            f"({eig[0]:+.3f}, {eig[1]:+.3f})  → {kind}"
        )
    minima = [p for p, _, kind in crit if kind == "minimum"]
    best = min(minima, key=lambda p: f(*p))
    print(f"global minimum: ({best[0]:+.4f}, {best[1]:+.4f}), f = {f(*best):+.4f}")

    gd = {}
    for k, start in enumerate(STARTS):
        traj = viz.trace(f, partial(optim.SGD, lr=0.05), start, 80)
        end = traj.points[-1]
        m = minima[_nearest_minimum(end, minima)]
        label = "the global minimum" if m is best else "a local minimum"
        print(
            f"GD from ({start[0]:+.1f}, {start[1]:+.1f}) ends at ({end[0]:+.3f}, {end[1]:+.3f}),"
            f" f = {f(*end):+.4f}: {label}"
        )
        gd[f"start {k + 1}"] = traj

    shallow = max(minima, key=lambda p: f(*p))
    stay = viz.trace(f, partial(optim.SGD, lr=0.05), shallow, SGD_STEPS)
    noisy = sgd_path(shallow, SIGMA, SGD_STEPS, SGD_SEED)
    m = minima[_nearest_minimum(noisy[-1], minima)]
    print(
        f"from the shallowest minimum ({shallow[0]:+.3f}, {shallow[1]:+.3f}), f = "
        f"{f(*shallow):+.4f}: GD stays there; SGD (gradient noise σ = {SIGMA}) ends near "
        f"({m[0]:+.3f}, {m[1]:+.3f}), f = {f(*m):+.4f}"
    )

    fig, (ax_gd, ax_sgd) = new_figure(1, 2, figsize=(11.5, 4.8))
    # both panels show the square LIM × LIM of the (w1, w2) plane
    plane = {"xlim": LIM, "ylim": LIM, "xlabel": "$w_1$", "ylabel": "$w_2$", "log_scale": True}
    viz.plot_paths(f, gd, ax=ax_gd, title="Gradient descent from six starts", **plane)
    marks = {"minimum": ("*", 13), "saddle": ("X", 10), "maximum": ("^", 10)}
    for ax in (ax_gd, ax_sgd):
        for kind, (marker, size) in marks.items():
            pts = np.array([p for p, _, k in crit if k == kind])
            label = f"{kind} (Hessian)"
            mark_points(ax, pts[:, 0], pts[:, 1], label, marker, size, zorder=5)
    ax_gd.legend(fontsize=7, loc="lower right", ncol=2)
    fvals = np.array([f(*p) for p in noisy])
    viz.plot_paths(
        f,
        {
            "GD: stays": viz.Trajectory(stay.points, stay.losses),
            f"SGD, σ = {SIGMA:g}: escapes": viz.Trajectory(noisy, fvals),
        },
        ax=ax_sgd,
        title="From the shallowest minimum: GD vs SGD",
        **plane,
    )
    return [save(fig, Path(out) / "05-nonconvex.png")]
