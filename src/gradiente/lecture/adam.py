"""Section 11: Adam step by step — m_t, v_t, the bias corrections and the update, with numbers.

    m_t = β₁ m_{t−1} + (1 − β₁) g_t          v_t = β₂ v_{t−1} + (1 − β₂) g_t²
    m̂_t = m_t / (1 − β₁ᵗ)                    v̂_t = v_t / (1 − β₂ᵗ)
    θ_t = θ_{t−1} − η m̂_t / (√v̂_t + ε)

on the loss of section 6, L(w, b) = (w·x + b − y)² with x = 2.1, y = 4, from θ = (w, b) =
(1, 0). Computed by hand and checked against ``gradiente.optim.Adam``. At t = 1 the bias
corrections make m̂ = g and v̂ = g², so every coordinate moves by η, whatever its gradient's
scale: Adam normalises the step per parameter.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import numpy as np

import gradiente
from gradiente import optim, viz
from gradiente.viz._figure import new_figure, save

NAME = "adam"
TITLE = "Adam step by step: m_t, v_t, bias corrections, update"
X, Y = 2.1, 4.0
THETA0 = (1.0, 0.0)
LR, BETAS, EPS = 0.1, (0.9, 0.999), 1e-8
SHOWN_STEPS = 3


def loss(w, b):
    """L(w, b) = (w·x + b − y)², the worked example of section 6."""
    return (w * X + b - Y) ** 2


def gradient(theta: np.ndarray) -> np.ndarray:
    """∇L = 2(w·x + b − y)·(x, 1)."""
    r = theta[0] * X + theta[1] - Y
    return np.array([2 * r * X, 2 * r])


def adam_by_hand(steps: int):
    """Yields (t, g, m, v, m̂, v̂, Δθ, θ) for t = 1..steps, in float64."""
    beta1, beta2 = BETAS
    theta = np.array(THETA0)
    m = np.zeros(2)
    v = np.zeros(2)
    for t in range(1, steps + 1):
        g = gradient(theta)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        m_hat = m / (1 - beta1**t)
        v_hat = v / (1 - beta2**t)
        delta = -LR * m_hat / (np.sqrt(v_hat) + EPS)
        theta = theta + delta
        yield t, g, m, v, m_hat, v_hat, delta, theta


def fmt(a) -> str:
    """A vector as printed in this section: 6 significant digits per element."""
    return "[" + ", ".join(f"{float(x):.6g}" for x in np.asarray(a)) + "]"


def run(out: Path) -> list[Path]:
    print(f"L(w, b) = (w·{X} + b − {Y})², θ₀ = (w, b) = {THETA0}, η = {LR}, β₁ = {BETAS[0]}, "
          f"β₂ = {BETAS[1]}, ε = {EPS:g}")
    for t, g, m, v, m_hat, v_hat, delta, theta in adam_by_hand(SHOWN_STEPS):
        print(f"t = {t}")
        print(f"  g_t = ∇L(θ_t−1)                 = {fmt(g)}")
        print(f"  m_t = β₁·m_t−1 + (1 − β₁)·g_t     = {fmt(m)}")
        print(f"  v_t = β₂·v_t−1 + (1 − β₂)·g_t²    = {fmt(v)}")
        print(f"  m̂_t = m_t / (1 − β₁^{t})           = {fmt(m_hat)}")
        print(f"  v̂_t = v_t / (1 − β₂^{t})           = {fmt(v_hat)}")
        print(f"  Δθ  = −η·m̂_t / (√v̂_t + ε)       = {fmt(delta)}")
        print(f"  θ_t = θ_t−1 + Δθ                 = {fmt(theta)}")

    p = gradiente.tensor(THETA0, dtype=gradiente.float64, requires_grad=True)
    opt = optim.Adam([p], lr=LR, betas=BETAS, eps=EPS)
    for _ in range(SHOWN_STEPS):
        opt.zero_grad()
        loss(p[0], p[1]).backward()
        opt.step()
    print(f"gradiente.optim.Adam after {SHOWN_STEPS} steps: θ = {fmt(p.detach().numpy())}, "
          f"max |hand − optim.Adam| = {np.abs(p.detach().numpy() - theta).max():.1e}")
    return [_figure(out)]


def _figure(out: Path) -> Path:
    steps = 60
    hand = list(adam_by_hand(steps))
    adam = viz.trace(loss, partial(optim.Adam, lr=LR, betas=BETAS, eps=EPS), THETA0, steps)
    sgd = viz.trace(loss, partial(optim.SGD, lr=0.01), THETA0, steps)
    fig, (ax_path, ax_step) = new_figure(1, 2, figsize=(11.5, 4.6))
    viz.plot_paths(loss, {f"Adam η={LR}": adam, "SGD η=0.01": sgd}, xlim=(0.5, 2.5),
                   ylim=(-0.6, 1.4), ax=ax_path, log_scale=True,
                   title="$L(w, b) = (2.1w + b - 4)^2$: a valley of minima",
                   xlabel="weight $w$", ylabel="bias $b$")
    t = np.arange(1, steps + 1)
    delta = np.array([h[6] for h in hand])
    grad = np.array([h[1] for h in hand])
    ax_step.plot(t, np.abs(delta[:, 0]), "C0-", label="Adam |Δw|")
    ax_step.plot(t, np.abs(delta[:, 1]), "C1-", label="Adam |Δb|")
    ax_step.plot(t, 0.01 * np.abs(grad[:, 0]), "C0:", label="|η∇_w L| (SGD-size step, η=0.01)")
    ax_step.plot(t, 0.01 * np.abs(grad[:, 1]), "C1:", label="|η∇_b L| (SGD-size step, η=0.01)")
    ax_step.axhline(LR, color="0.4", linewidth=0.8, linestyle="--", label=f"η = {LR}")
    ax_step.set_yscale("log")
    ax_step.set_xlabel("step $t$")
    ax_step.set_ylabel("step size per coordinate (log scale)")
    ax_step.set_title("Adam's steps: ≈ η per coordinate at first,\nwhatever the gradient's scale")
    ax_step.grid(True, alpha=0.3)
    ax_step.legend(fontsize=7)
    return save(fig, Path(out) / "11-adam.png")
