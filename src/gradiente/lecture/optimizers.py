"""Section 10: the optimisers compared on the same surfaces — SGD, Momentum, Nesterov, Adagrad,
RMSprop, Adadelta and Adam.

Three classic test surfaces: Rosenbrock's long narrow curved valley (momentum pays off), a
saddle point (plain SGD lingers where the gradient vanishes; adaptive methods rescale the tiny
gradient and escape), and Beale's function (steep walls, flat floor). Every optimiser starts
from the same point with the same number of steps; learning rates are set per surface, and
Adadelta keeps PyTorch's default η = 1.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from gradiente import optim, viz
from gradiente.viz._figure import save

NAME = "optimizers"
TITLE = "Optimisers compared on Rosenbrock, a saddle and Beale; the race as a GIF"

# name: (function, start, steps, limits, minimum, (η SGD-family, η Adagrad, η RMSprop, η Adam))
SURFACES = {
    "rosenbrock": (
        viz.rosenbrock,
        (-1.5, 2.0),
        300,
        ((-2, 2), (-1, 3)),
        (1, 1),
        (1e-3, 0.5, 0.01, 0.1),
    ),
    "saddle": (
        viz.saddle,
        (1.5, 1e-4),
        100,
        ((-2, 2), (-1.6, 1.6)),
        (0, 1),
        (0.05, 0.5, 0.01, 0.05),
    ),
    "beale": (
        viz.beale,
        (1.0, 1.5),
        300,
        ((-0.5, 4), (-1.5, 2)),
        (3, 0.5),
        (0.005, 0.5, 0.01, 0.05),
    ),
}


def optimizers(lr_sgd: float, lr_adagrad: float, lr_rmsprop: float, lr_adam: float) -> dict:
    """The lecture's seven optimisers as factories ``params -> Optimizer``."""
    return {
        f"SGD η={lr_sgd:g}": partial(optim.SGD, lr=lr_sgd),
        "Momentum μ=0.9": partial(optim.SGD, lr=lr_sgd, momentum=0.9),
        "Nesterov μ=0.9": partial(optim.SGD, lr=lr_sgd, momentum=0.9, nesterov=True),
        f"Adagrad η={lr_adagrad:g}": partial(optim.Adagrad, lr=lr_adagrad),
        f"RMSprop η={lr_rmsprop:g}": partial(optim.RMSprop, lr=lr_rmsprop),
        "Adadelta η=1": partial(optim.Adadelta, lr=1.0),
        f"Adam η={lr_adam:g}": partial(optim.Adam, lr=lr_adam),
    }


def run(out: Path) -> list[Path]:
    """Print this section's numbers and write its figures into ``out``; returns the paths."""
    files = []
    for name, (fn, start, steps, (xlim, ylim), minimum, lrs) in SURFACES.items():
        trajs = {
            label: viz.trace(fn, factory, start, steps, name=label)
            for label, factory in optimizers(*lrs).items()
        }
        print(f"{name}: start {start}, {steps} steps, minimum at {minimum}")
        for label, t in trajs.items():
            x, y = t.points[-1]
            status = "diverged" if t.diverged else f"ends at ({x:+.3f}, {y:+.3f})"
            print(f"  {label:<16} {status:<26} loss {t.losses[-1]:.4g}")
        fig = viz.compare_optimizers(
            fn,
            start,
            steps,
            optimizers=trajs,
            xlim=xlim,
            ylim=ylim,
            minimum=minimum,
            log_scale=True,
            title=f"{name.capitalize()}: optimisers from the same start",
            xlabel="$\\theta_1$",
            ylabel="$\\theta_2$",
        )
        files.append(save(fig, Path(out) / f"10-optimizers-{name}.png"))
        if name == "rosenbrock":
            gif = viz.animate_paths(
                fn,
                trajs,
                path=Path(out) / "10-optimizers-race.gif",
                xlim=xlim,
                ylim=ylim,
                log_scale=True,
                frames=30,
                title="Rosenbrock",
                xlabel="$\\theta_1$",
                ylabel="$\\theta_2$",
            )
            files.append(gif)
    return files
