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

import unicodedata
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


def _row(formula: str, value) -> str:
    """``formula = value`` with the "=" signs aligned (combining accents take no width)."""
    width = len(formula) - sum(unicodedata.combining(c) > 0 for c in formula)
    return f"  {formula}{' ' * (32 - width)} = {fmt(value)}"


def run(out: Path) -> list[Path]:
    """Print this section's numbers and write its figures into ``out``; returns the paths."""
    print(
        f"L(w, b) = (w·{X} + b − {Y})², θ₀ = (w, b) = {THETA0}, η = {LR}, β₁ = {BETAS[0]}, "
        f"β₂ = {BETAS[1]}, ε = {EPS:g}"
    )
    for t, g, m, v, m_hat, v_hat, delta, theta in adam_by_hand(SHOWN_STEPS):
        print(f"t = {t}")
        print(_row("g_t = ∇L(θ_t−1)", g))
        print(_row("m_t = β₁·m_t−1 + (1 − β₁)·g_t", m))
        print(_row("v_t = β₂·v_t−1 + (1 − β₂)·g_t²", v))
        print(_row(f"m̂_t = m_t / (1 − β₁^{t})", m_hat))
        print(_row(f"v̂_t = v_t / (1 − β₂^{t})", v_hat))
        print(_row("Δθ = −η·m̂_t / (√v̂_t + ε)", delta))
        print(_row("θ_t = θ_t−1 + Δθ", theta))

    p = gradiente.tensor(THETA0, dtype=gradiente.float64, requires_grad=True)
    opt = optim.Adam([p], lr=LR, betas=BETAS, eps=EPS)
    for _ in range(SHOWN_STEPS):
        opt.zero_grad()
        loss(p[0], p[1]).backward()
        opt.step()
    print(
        f"gradiente.optim.Adam after {SHOWN_STEPS} steps: θ = {fmt(p.detach().numpy())}, "
        f"max |hand − optim.Adam| = {np.abs(p.detach().numpy() - theta).max():.1e}"
    )
    return [_figure(out)]


def _figure(out: Path) -> Path:
    steps = 60
    hand = list(adam_by_hand(steps))
    adam = viz.trace(loss, partial(optim.Adam, lr=LR, betas=BETAS, eps=EPS), THETA0, steps)
    sgd = viz.trace(loss, partial(optim.SGD, lr=0.01), THETA0, steps)
    fig, (ax_path, ax_step) = new_figure(1, 2, figsize=(11.5, 4.6))
    viz.plot_paths(
        loss,
        {f"Adam η={LR}": adam, "SGD η=0.01": sgd},
        xlim=(0.5, 2.5),
        ylim=(-0.6, 1.4),
        ax=ax_path,
        log_scale=True,
        title="$L(w, b) = (2.1w + b - 4)^2$: a valley of minima",
        xlabel="weight $w$",
        ylabel="bias $b$",
    )
    t = np.arange(1, steps + 1)
    g = np.array([h[1][0] for h in hand])
    m_hat = np.array([h[4][0] for h in hand])
    v_hat = np.array([h[5][0] for h in hand])
    delta = np.array([h[6][0] for h in hand])
    ax_step.plot(t, g, color="0.6", linewidth=1, marker=".", label="gradient $g_t$")
    ax_step.plot(t, m_hat, "C0-", label="$\\hat m_t$ (smoothed gradient)")
    ax_step.plot(t, np.sqrt(v_hat), "C1-", label="$\\sqrt{\\hat v_t}$ (gradient scale)")
    ax_step.plot(
        t,
        delta / LR,
        "C2-",
        linewidth=2,
        label="$\\Delta w / \\eta = -\\hat m_t / (\\sqrt{\\hat v_t} + \\epsilon)$",
    )
    ax_step.axhline(0, color="k", linewidth=0.6)
    ax_step.set_xlabel("step $t$")
    ax_step.set_ylabel("value for the weight $w$")
    ax_step.set_title("Adam's state for the weight $w$, step by step")
    ax_step.grid(True, alpha=0.3)
    ax_step.legend(fontsize=7)
    return save(fig, Path(out) / "11-adam.png")
