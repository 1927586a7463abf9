"""Loss surfaces and optimisation paths: where gradient descent goes, drawn on the landscape.

Everything here works on a loss of two numbers, given either as

* a function ``fn(x, y)`` written with tensor operations (``(1 - x) ** 2 + 100 * (y - x**2) ** 2``):
  it is evaluated on a grid of tensors to draw the surface, and on two scalar leaves to descend;
* a model (an ``nn.Module``) whose parameters hold two numbers in all (for example
  ``nn.Linear(1, 1)``: the slope and the intercept), with ``loss_fn`` and ``data=(inputs,
  targets)``; ``params`` picks and orders the parameters (``[model.bias, model.weight]``).

An optimiser is given as a factory, ``params -> Optimizer``: ``functools.partial(optim.SGD,
lr=0.1)`` or ``lambda p: optim.Adam(p, lr=0.05)``. Each step is the lecture's training loop:
``zero_grad()``, forward, ``backward()``, ``step()``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np
from matplotlib import patheffects
from PIL import Image

import gradiente
from gradiente import optim
from gradiente.viz._figure import mark_points, new_figure, new_mosaic

# Points farther than this from the origin count as diverged: the path stops there.
_DIVERGED = 1e6


@dataclass
class Trajectory:
    """Where an optimiser went: ``points`` (n, 2) parameter values and ``losses`` (n,) there.

    ``points[0]`` is the start; ``points[k]`` the parameters after k steps. ``diverged`` is
    True when the path left every bound (or became NaN) and was cut short.
    """

    points: np.ndarray
    losses: np.ndarray
    diverged: bool = False
    name: str = ""
    extra: dict = field(default_factory=dict)


class _FunctionLoss:
    """fn(x, y) as a loss: a surface on grids, a descent on a float64 leaf θ = (x, y)."""

    def __init__(self, fn: Callable):
        self.fn = fn
        self.theta = None
        self.cache: dict = {}

    def grid(self, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
        """The loss on the grid xs × ys, shape (len(ys), len(xs)), in one vectorised call."""
        X, Y = np.meshgrid(xs, ys)  # (ny, nx)
        with gradiente.no_grad():
            Z = self.fn(gradiente.from_numpy(X), gradiente.from_numpy(Y))
        Z = (
            Z.detach().cpu().numpy()
            if isinstance(Z, gradiente.Tensor)
            else np.asarray(Z, dtype=float)
        )
        return np.broadcast_to(Z, X.shape).astype(float)

    @contextmanager
    def at(self, start):
        """Start from ``start``; yields the list of tensors to optimise."""
        # one parameter vector θ = (x, y), as an optimiser sees a model's parameters
        self.theta = gradiente.tensor(
            [float(v) for v in start], dtype=gradiente.float64, requires_grad=True
        )
        yield [self.theta]

    def loss(self):
        """The loss at the current point, with its graph."""
        return self.fn(self.theta[0], self.theta[1])

    def point(self) -> np.ndarray:
        """The current point (x, y)."""
        return self.theta.detach().cpu().numpy().copy()


class _ModelLoss:
    """loss_fn(model(inputs), targets) as a function of two parameters of the model."""

    def __init__(self, model, loss_fn: Callable, data, params=None):
        if loss_fn is None or data is None:
            raise ValueError("a model needs loss_fn=... and data=(inputs, targets)")
        self.model, self.loss_fn = model, loss_fn
        self.cache: dict = {}
        self.inputs, self.targets = data
        self.params = list(params) if params is not None else list(model.parameters())
        sizes = [p.numel() for p in self.params]
        if sum(sizes) != 2:
            raise ValueError(
                f"the surface needs exactly two numbers, the parameters hold {sum(sizes)} "
                f"(shapes {[tuple(p.shape) for p in self.params]}); pass params=[a, b]"
            )

    def point(self) -> np.ndarray:
        """The two numbers the chosen parameters hold, in order."""
        return np.concatenate([p.detach().cpu().numpy().astype(float).ravel() for p in self.params])

    def _set(self, xy) -> None:
        values = iter(float(v) for v in xy)
        with gradiente.no_grad():
            for p in self.params:
                p.copy_(gradiente.tensor([next(values) for _ in range(p.numel())]).reshape(p.shape))

    def loss(self):
        """loss_fn(model(inputs), targets) at the current parameters, with its graph."""
        return self.loss_fn(self.model(self.inputs), self.targets)

    def grid(self, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
        """The loss on the grid xs × ys (one forward pass per point); the model is restored."""
        keep = self.point()
        Z = np.empty((len(ys), len(xs)))
        with gradiente.no_grad():
            for i, y in enumerate(ys):
                for j, x in enumerate(xs):
                    self._set((x, y))
                    Z[i, j] = self.loss().item()
        self._set(keep)
        return Z

    @contextmanager
    def at(self, start):
        """Set the parameters to ``start`` (None: keep them); restores them on exit."""
        keep = self.point()
        if start is not None:
            self._set(start)
        try:
            yield self.params
        finally:
            self._set(keep)  # a drawing never changes the model


def _loss_of(fn, loss_fn=None, data=None, params=None):
    if isinstance(fn, (_FunctionLoss, _ModelLoss)):
        return fn
    if hasattr(fn, "parameters") and hasattr(fn, "forward"):
        return _ModelLoss(fn, loss_fn, data, params)
    return _FunctionLoss(fn)


def trace(
    fn,
    optimizer: Callable,
    start=None,
    steps: int = 100,
    *,
    loss_fn: Callable | None = None,
    data=None,
    params=None,
    scheduler: Callable | None = None,
    name: str = "",
) -> Trajectory:
    """Run ``steps`` steps of ``optimizer`` on a two-number loss and record the path.

    ``fn`` is a function ``fn(x, y)`` or a model (then also ``loss_fn`` and ``data``); ``start``
    is the point (x, y) to start from (for a model, ``None`` keeps its current parameters, which
    are restored afterwards). ``optimizer`` is a factory ``params -> Optimizer``; ``scheduler``
    an optional factory ``optimizer -> LRScheduler`` stepped after every step.
    """
    loss = _loss_of(fn, loss_fn, data, params)
    points, losses = [], []
    diverged = False
    with loss.at(start) as leaves:
        opt = optimizer(leaves)
        sched = scheduler(opt) if scheduler is not None else None
        points.append(loss.point())
        for _ in range(steps):
            opt.zero_grad()
            value = loss.loss()
            value.backward()
            losses.append(value.item())
            opt.step()
            if sched is not None:
                sched.step()
            p = loss.point()
            if not np.all(np.isfinite(p)) or np.abs(p).max() > _DIVERGED:
                diverged = True
                break
            points.append(p)
        if len(losses) < len(points):
            with gradiente.no_grad():
                losses.append(loss.loss().item())
    return Trajectory(np.array(points), np.array(losses), diverged, name)


def _trajectories(loss, optimizers: Mapping, start, steps: int) -> dict[str, Trajectory]:
    """Name -> Trajectory, running the factories and passing finished paths through."""
    out = {}
    for name, opt in optimizers.items():
        if isinstance(opt, Trajectory):
            out[name] = opt
        elif isinstance(opt, np.ndarray):
            out[name] = Trajectory(np.asarray(opt, dtype=float), np.full(len(opt), np.nan))
        else:
            out[name] = trace(loss, opt, start, steps, name=name)
    return out


def _limits(trajs: Sequence[Trajectory], xlim, ylim, margin: float = 0.15):
    """The given limits, or a box around all the finite points of the paths."""
    if xlim is not None and ylim is not None:
        return tuple(xlim), tuple(ylim)
    pts = np.concatenate([t.points for t in trajs]) if trajs else np.zeros((1, 2))
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    pad = np.maximum((hi - lo) * margin, 0.5)
    auto_x, auto_y = (lo[0] - pad[0], hi[0] + pad[0]), (lo[1] - pad[1], hi[1] + pad[1])
    return (tuple(xlim) if xlim is not None else auto_x), (
        tuple(ylim) if ylim is not None else auto_y
    )


def _draw_surface(ax, loss, xlim, ylim, resolution, levels, log_scale, cmap, colorbar, zlabel):
    xs = np.linspace(xlim[0], xlim[1], resolution)
    ys = np.linspace(ylim[0], ylim[1], resolution)
    key = (tuple(xlim), tuple(ylim), resolution)
    if key not in loss.cache:  # panels of one figure share the surface: evaluate it once
        loss.cache[key] = loss.grid(xs, ys)
    Z = loss.cache[key]
    finite = np.isfinite(Z)
    Z = np.where(finite, Z, np.nanmax(np.where(finite, Z, -np.inf)))
    if log_scale:
        # colour by log₁₀ L (shifted to be positive when the loss takes values ≤ 0)
        shift = 0.0 if Z.min() > 0 else Z.min() - 1e-3 * max(1.0, float(np.ptp(Z)))
        Z = np.log10(Z - shift)
        zlabel = f"log$_{{10}}$({zlabel}" + (f" − ({shift:.3g})" if shift else "") + ")"
    cs = ax.contourf(xs, ys, Z, levels=levels, cmap=cmap)
    ax.contour(xs, ys, Z, levels=cs.levels[::2], colors="k", linewidths=0.3, alpha=0.35)
    if colorbar:
        cb = ax.figure.colorbar(cs, ax=ax, shrink=0.9)
        cb.set_label(zlabel)
    ax.set_xlim(xlim)
    ax.set_ylim(ylim)
    return Z


def plot_loss_surface(
    fn,
    xlim=(-2.0, 2.0),
    ylim=(-2.0, 2.0),
    *,
    loss_fn: Callable | None = None,
    data=None,
    params=None,
    resolution: int = 80,
    levels: int = 30,
    log_scale: bool = False,
    ax=None,
    title: str = "Loss surface",
    xlabel: str = "$x$",
    ylabel: str = "$y$",
    zlabel: str = "loss $L$",
    cmap: str = "viridis",
    colorbar: bool = True,
    points: Mapping | None = None,
):
    """A filled contour map (heat map) of a two-number loss, with a colour bar; returns the Figure.

    ``points`` marks named points, ``{"minimum": (1, 1)}``. For a model, pass ``loss_fn``,
    ``data=(inputs, targets)`` and optionally ``params``; the model is left unchanged.
    """
    loss = _loss_of(fn, loss_fn, data, params)
    fig, ax = (ax.figure, ax) if ax is not None else new_figure()
    _draw_surface(ax, loss, xlim, ylim, resolution, levels, log_scale, cmap, colorbar, zlabel)
    for label, (px, py) in (points or {}).items():
        mark_points(ax, [px], [py], label)
    if points:
        ax.legend(loc="upper right", fontsize=8)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return fig


def _draw_path(ax, traj: Trajectory, label: str, color=None):
    pts = traj.points
    (line,) = ax.plot(
        pts[:, 0],
        pts[:, 1],
        "-",
        marker="o",
        markersize=2.5,
        linewidth=1.5,
        color=color,
        label=label + (" (diverged)" if traj.diverged else ""),
        path_effects=_outline(),
    )
    ax.plot(pts[0, 0], pts[0, 1], "o", color="white", markeredgecolor="k", markersize=7)
    ax.plot(
        pts[-1, 0],
        pts[-1, 1],
        marker="X",
        color=line.get_color(),
        markeredgecolor="k",
        markersize=9,
        linestyle="none",
    )
    return line


def plot_paths(
    fn,
    optimizers: Mapping,
    start=None,
    steps: int = 100,
    *,
    loss_fn: Callable | None = None,
    data=None,
    params=None,
    xlim=None,
    ylim=None,
    resolution: int = 80,
    levels: int = 30,
    log_scale: bool = False,
    loss_curve: bool = False,
    colors: Sequence | None = None,
    ax=None,
    title: str = "Optimisation paths",
    xlabel: str = "$x$",
    ylabel: str = "$y$",
    zlabel: str = "loss $L$",
):
    """Paths of optimisers overlaid on the loss surface (white circle: start, X: end).

    ``optimizers`` maps a legend label to a factory ``params -> Optimizer`` (run here from
    ``start`` for ``steps`` steps) or to a finished ``Trajectory`` / (n, 2) array of points.
    ``fn`` is a function ``fn(x, y)`` or a two-parameter model (with ``loss_fn``, ``data``,
    ``params``). With ``loss_curve=True`` a second panel shows the loss against the step.
    ``colors`` overrides the path colours. Returns the Figure.
    """
    loss = _loss_of(fn, loss_fn, data, params)
    trajs = _trajectories(loss, optimizers, start, steps)
    xlim, ylim = _limits(list(trajs.values()), xlim, ylim)
    if ax is not None:
        fig, ax_path, ax_loss = ax.figure, ax, None
    elif loss_curve:
        fig, (ax_path, ax_loss) = new_figure(1, 2, figsize=(11, 4.4))
    else:
        fig, ax_path = new_figure()
        ax_loss = None
    _draw_surface(ax_path, loss, xlim, ylim, resolution, levels, log_scale, "viridis", True, zlabel)
    colors = list(colors) if colors is not None else _colors(len(trajs))
    for (label, traj), color in zip(trajs.items(), colors, strict=False):
        _draw_path(ax_path, traj, label, color)
    ax_path.set_xlim(xlim)
    ax_path.set_ylim(ylim)
    ax_path.set_title(title)
    ax_path.set_xlabel(xlabel)
    ax_path.set_ylabel(ylabel)
    ax_path.legend(loc="best", fontsize=8, framealpha=0.85)
    if ax_loss is not None:
        _draw_losses(ax_loss, trajs, colors, log_scale=_positive(trajs))
    return fig


def _positive(trajs: Mapping[str, Trajectory]) -> bool:
    values = np.concatenate([t.losses[np.isfinite(t.losses)] for t in trajs.values()])
    return values.size > 0 and bool(np.all(values > 0))


def _colors(n: int):
    # bright colours that stand out on viridis; lines get a dark outline (see _outline)
    cycle = [
        "#e41a1c",
        "#ff7f00",
        "#ffff33",
        "#f781bf",
        "#00e5ff",
        "#ffffff",
        "#b15928",
        "#cab2d6",
        "#4daf4a",
        "#999999",
    ]
    return [cycle[i % len(cycle)] for i in range(n)]


def _draw_losses(ax, trajs: Mapping[str, Trajectory], colors, log_scale: bool, title=None):
    for (label, traj), color in zip(trajs.items(), colors, strict=False):
        steps = np.arange(len(traj.losses))
        # light colours of the path palette are hard to see on white: darken the line edge
        ax.plot(
            steps, traj.losses, color=color, linewidth=1.8, label=label, path_effects=_outline()
        )
    if log_scale:
        ax.set_yscale("log")
    ax.set_xlabel("step $t$")
    ax.set_ylabel("loss $L(\\theta_t)$" + (" (log scale)" if log_scale else ""))
    ax.set_title(title or "Loss against step")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)


def _outline():
    """A dark stroke under a line: bright path colours stay visible on any background."""
    return [patheffects.Stroke(linewidth=2.6, foreground="0.25"), patheffects.Normal()]


def lr_sweep(
    fn,
    lrs: Sequence[float],
    start=None,
    steps: int = 50,
    *,
    optimizer: Callable | None = None,
    loss_fn: Callable | None = None,
    data=None,
    params=None,
    labels: Sequence[str] | None = None,
    xlim=None,
    ylim=None,
    resolution: int = 60,
    log_scale: bool = False,
    title: str = "Effect of the learning rate η",
    xlabel: str = "$x$",
    ylabel: str = "$y$",
    zlabel: str = "loss $L$",
):
    """One optimiser at several learning rates η, side by side: one panel per η with its path
    on the surface, and below them the loss curves together. Returns the Figure.

    ``optimizer(params, lr=η)`` builds the optimiser (default: ``gradiente.optim.SGD``, plain
    gradient descent); ``labels`` adds a word per η ("too small", ...).
    """
    if optimizer is None:
        optimizer = optim.SGD
    loss = _loss_of(fn, loss_fn, data, params)
    names = [f"η = {lr:g}" + (f": {labels[k]}" if labels else "") for k, lr in enumerate(lrs)]
    trajs = {
        name: trace(loss, partial(optimizer, lr=lr), start, steps, name=name)
        for name, lr in zip(names, lrs, strict=False)
    }
    if xlim is None or ylim is None:
        finite = [Trajectory(t.points[: _inside(t)], t.losses) for t in trajs.values()]
        xlim, ylim = _limits(finite, xlim, ylim)
    n = len(lrs)
    fig, axd = new_mosaic(
        [[f"p{k}" for k in range(n)], ["loss"] * n],
        figsize=(3.4 * n + 0.8, 7.2),
        height_ratios=[1.15, 1],
    )
    colors = _colors(n)
    for k, ((name, traj), color) in enumerate(zip(trajs.items(), colors, strict=False)):
        ax = axd[f"p{k}"]
        _draw_surface(
            ax, loss, xlim, ylim, resolution, 25, log_scale, "viridis", k == n - 1, zlabel
        )
        _draw_path(ax, traj, "path", color)
        ax.set_xlim(xlim)
        ax.set_ylim(ylim)
        growing = traj.diverged or traj.losses[-1] > traj.losses[0]
        ax.set_title(name + (" — diverges" if growing and not labels else ""), fontsize=10)
        ax.set_xlabel(xlabel)
        if k == 0:
            ax.set_ylabel(ylabel)
    fig.suptitle(title)
    _draw_losses(
        axd["loss"], trajs, colors, log_scale=_positive(trajs), title="Loss against step for each η"
    )
    return fig


def _inside(traj: Trajectory, factor: float = 50.0) -> int:
    """How many leading points stay within ``factor`` × the start's distance (for the limits)."""
    pts = traj.points
    radius = factor * max(1.0, float(np.abs(pts[0]).max()))
    outside = np.nonzero(np.abs(pts).max(axis=1) > radius)[0]
    return int(outside[0]) if outside.size else len(pts)


def default_optimizers(lr: float = 0.01) -> dict[str, Callable]:
    """The lecture's seven optimisers as factories, all with learning rate ``lr`` except
    Adadelta (whose η multiplies an already scaled step; PyTorch's default is 1.0)."""
    return {
        "SGD": partial(optim.SGD, lr=lr),
        "Momentum": partial(optim.SGD, lr=lr, momentum=0.9),
        "Nesterov": partial(optim.SGD, lr=lr, momentum=0.9, nesterov=True),
        "Adagrad": partial(optim.Adagrad, lr=lr * 10),
        "RMSprop": partial(optim.RMSprop, lr=lr),
        "Adadelta": partial(optim.Adadelta, lr=1.0),
        "Adam": partial(optim.Adam, lr=lr * 10),
    }


def compare_optimizers(
    fn,
    start=None,
    steps: int = 100,
    *,
    optimizers: Mapping | None = None,
    loss_fn: Callable | None = None,
    data=None,
    params=None,
    xlim=None,
    ylim=None,
    resolution: int = 80,
    log_scale: bool = False,
    minimum=None,
    title: str = "Optimisers compared",
    xlabel: str = "$x$",
    ylabel: str = "$y$",
):
    """Several optimisers from the same start: paths overlaid and loss against step.

    ``optimizers`` maps labels to factories or finished trajectories (default:
    ``default_optimizers()``, the lecture's seven). ``minimum`` marks the known minimum with a
    star. Returns the Figure.
    """
    loss = _loss_of(fn, loss_fn, data, params)
    trajs = _trajectories(loss, optimizers or default_optimizers(), start, steps)
    fig, (ax_path, ax_loss) = new_figure(1, 2, figsize=(11.5, 4.6))
    plot_paths(
        loss,
        trajs,
        xlim=xlim,
        ylim=ylim,
        resolution=resolution,
        log_scale=log_scale,
        ax=ax_path,
        title=title,
        xlabel=xlabel,
        ylabel=ylabel,
    )
    if minimum is not None:
        mark_points(ax_path, [minimum[0]], [minimum[1]], "minimum", markersize=15)
    _draw_losses(ax_loss, trajs, _colors(len(trajs)), log_scale=_positive(trajs))
    return fig


def animate_paths(
    fn,
    optimizers: Mapping,
    start=None,
    steps: int = 100,
    path="paths.gif",
    *,
    loss_fn: Callable | None = None,
    data=None,
    params=None,
    xlim=None,
    ylim=None,
    frames: int = 40,
    fps: int = 12,
    resolution: int = 60,
    log_scale: bool = False,
    title: str = "The race",
    xlabel: str = "$x$",
    ylabel: str = "$y$",
    dpi: int = 80,
) -> Path:
    """An animated GIF of optimisers racing on the loss surface; returns the file's path.

    Each of the ``frames`` frames extends every path by a few steps. The surface is drawn once
    and kept as a background image; each frame only draws the paths on top of it (blitting),
    and Pillow writes the frames as a looping GIF (no external program needed).
    """
    loss = _loss_of(fn, loss_fn, data, params)
    trajs = _trajectories(loss, optimizers, start, steps)
    xlim, ylim = _limits(list(trajs.values()), xlim, ylim)
    fig, ax = new_figure(figsize=(5.6, 4.6))
    fig.set_dpi(dpi)
    _draw_surface(ax, loss, xlim, ylim, resolution, 25, log_scale, "viridis", True, "loss $L$")
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    colors = _colors(len(trajs))
    for (label, traj), color in zip(trajs.items(), colors, strict=False):
        ax.plot(*traj.points[0], "o", color="white", markeredgecolor="k", markersize=6)
        ax.plot(
            [], [], "-", color=color, linewidth=1.8, label=label, path_effects=_outline()
        )  # legend entry
    ax.legend(loc="upper right", fontsize=7, framealpha=0.85)
    # animated artists are left out of the background and drawn frame by frame
    lines = [
        ax.plot([], [], "-", color=c, linewidth=1.8, animated=True, path_effects=_outline())[0]
        for c in colors
    ]
    heads = [
        ax.plot([], [], "o", color=c, markeredgecolor="k", markersize=7, animated=True)[0]
        for c in colors
    ]
    clock = ax.text(
        0.02,
        0.03,
        "",
        transform=ax.transAxes,
        fontsize=9,
        animated=True,
        bbox={"boxstyle": "round", "fc": "white", "alpha": 0.85},
    )
    canvas = fig.canvas
    canvas.draw()
    background = canvas.copy_from_bbox(fig.bbox)
    longest = max(len(t.points) for t in trajs.values())
    upto = np.unique(np.linspace(1, longest, max(2, min(frames, longest))).round().astype(int))
    images = []
    for n in upto:
        canvas.restore_region(background)
        for line, head, traj in zip(lines, heads, trajs.values(), strict=False):
            pts = traj.points[:n]
            line.set_data(pts[:, 0], pts[:, 1])
            head.set_data(pts[-1:, 0], pts[-1:, 1])
            ax.draw_artist(line)
            ax.draw_artist(head)
        clock.set_text(f"step {n - 1}")
        ax.draw_artist(clock)
        rgba = np.asarray(canvas.buffer_rgba())
        images.append(
            Image.fromarray(rgba[..., :3].copy()).quantize(method=Image.Quantize.FASTOCTREE)
        )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    images[0].save(path, save_all=True, append_images=images[1:], duration=int(1000 / fps), loop=0)
    return path


def rosenbrock(x, y, a: float = 1.0, b: float = 100.0):
    """Rosenbrock's banana valley (a − x)² + b(y − x²)²: minimum 0 at (a, a²), long and narrow."""
    return (a - x) ** 2 + b * (y - x**2) ** 2


def beale(x, y):
    """Beale's function: minimum 0 at (3, 0.5), flat plateaus and steep walls."""
    return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2


def saddle(x, y):
    """x² + y⁴/4 − y²/2: a saddle point at the origin, minima −1/4 at (0, ±1).

    Along x the origin is a minimum, along y a maximum; started on the ridge y ≈ 0, an
    optimiser must find the way down on either side.
    """
    return x**2 + 0.25 * y**4 - 0.5 * y**2
