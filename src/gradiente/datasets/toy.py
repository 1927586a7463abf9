"""Small synthetic datasets for classroom experiments: 2-D classification shapes and a noisy line.

Each generator returns ``(X, y)`` as tensors — ``X`` of the default float dtype (float32),
``y`` int64 class labels (or floats for the regression line) — and draws its randomness from
gradiente's generator (``generator=None`` means the default one), so ``gradiente.manual_seed``
makes every call reproducible. The shapes follow scikit-learn's ``make_*`` functions of the same
names (same geometry and argument names), but the random numbers are gradiente's, not NumPy's.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from gradiente import backend as B
from gradiente import random as _random
from gradiente.backend import xp
from gradiente.tensor import Tensor

__all__ = ["make_moons", "make_circles", "make_spirals", "make_xor", "make_blobs", "make_line"]


def _split_two(n_samples) -> tuple[int, int]:
    """``n_samples`` as (first class, second class): an int is split in halves (first smaller)."""
    if isinstance(n_samples, int):
        return n_samples // 2, n_samples - n_samples // 2
    first, second = n_samples
    return int(first), int(second)


def _finish(X, y, shuffle: bool, noise: float | None, generator):
    """Cast ``X`` to the default dtype, shuffle the rows, add N(0, noise²) noise: tensors.

    The order of the two random steps is scikit-learn's: shuffle first, then the noise.
    """
    dtype = B.get_default_dtype().np
    X = X.astype(dtype)
    if shuffle:
        order = _random.randperm(len(X), xp.int64, generator)
        X, y = X[order], y[order]
    if noise:
        X = X + _random.normal(X.shape, dtype, 0.0, noise, generator)
    return Tensor._make(xp.ascontiguousarray(X)), Tensor._make(xp.ascontiguousarray(y))


def make_moons(n_samples=100, shuffle: bool = True, noise: float | None = None, generator=None):
    """Two interleaving half circles ("moons"); label 0 for the upper one, 1 for the lower.

    Upper: ``(cos t, sin t)``; lower: ``(1 - cos t, 1 - sin t - 0.5)``, ``t`` evenly in [0, π].
    ``n_samples`` is a total (split in halves) or a pair of counts; ``noise`` is the standard
    deviation of the Gaussian noise added to every coordinate.
    """
    n_out, n_in = _split_two(n_samples)
    t_out = xp.linspace(0.0, math.pi, n_out)
    t_in = xp.linspace(0.0, math.pi, n_in)
    outer = xp.stack([xp.cos(t_out), xp.sin(t_out)], axis=1)
    inner = xp.stack([1.0 - xp.cos(t_in), 1.0 - xp.sin(t_in) - 0.5], axis=1)
    X = xp.concatenate([outer, inner])
    y = xp.concatenate([xp.zeros(n_out, xp.int64), xp.ones(n_in, xp.int64)])
    return _finish(X, y, shuffle, noise, generator)


def make_circles(
    n_samples=100,
    shuffle: bool = True,
    noise: float | None = None,
    factor: float = 0.8,
    generator=None,
):
    """A large circle (label 0) around a smaller one (label 1) of radius ``factor``.

    Points are evenly spaced in angle, ``t`` in [0, 2π) without the end point.
    """
    if not 0 <= factor < 1:
        raise ValueError("'factor' has to be between 0 and 1.")
    n_out, n_in = _split_two(n_samples)
    t_out = xp.linspace(0.0, 2 * math.pi, n_out, endpoint=False)
    t_in = xp.linspace(0.0, 2 * math.pi, n_in, endpoint=False)
    outer = xp.stack([xp.cos(t_out), xp.sin(t_out)], axis=1)
    inner = factor * xp.stack([xp.cos(t_in), xp.sin(t_in)], axis=1)
    X = xp.concatenate([outer, inner])
    y = xp.concatenate([xp.zeros(n_out, xp.int64), xp.ones(n_in, xp.int64)])
    return _finish(X, y, shuffle, noise, generator)


def make_spirals(
    n_samples: int = 100,
    n_classes: int = 2,
    noise: float = 0.2,
    shuffle: bool = True,
    generator=None,
):
    """``n_classes`` intertwined spiral arms (CS231n's classic), one class per arm.

    Arm ``k`` has ``n_samples // n_classes`` points (the first arms one more for a remainder)
    at radius ``r`` evenly in [0, 1] and angle ``2πk / n_classes + 4r + noise · N(0, 1)``:
    ``(r sin θ, r cos θ)``. The noise jitters the angle, so the arms stay arms.
    """
    counts = [n_samples // n_classes + (k < n_samples % n_classes) for k in range(n_classes)]
    X, y = [], []
    for k, n in enumerate(counts):
        r = xp.linspace(0.0, 1.0, n)
        jitter = _random.normal((n,), xp.float64, 0.0, noise, generator) if noise else 0.0
        theta = 2 * math.pi * k / n_classes + 4.0 * r + jitter
        X.append(xp.stack([r * xp.sin(theta), r * xp.cos(theta)], axis=1))
        y.append(xp.full(n, k, dtype=xp.int64))
    return _finish(xp.concatenate(X), xp.concatenate(y), shuffle, None, generator)


def make_xor(n_samples: int = 100, noise: float | None = None, generator=None):
    """Points uniform in the square [-1, 1)², labelled 1 where exactly one coordinate is > 0.

    The classes sit in opposite quadrants, which no straight line separates (Minsky & Papert's
    XOR). ``noise`` adds Gaussian noise to the points after they are labelled.
    """
    X = _random.uniform((n_samples, 2), xp.float64, -1.0, 1.0, generator)
    y = ((X[:, 0] > 0) != (X[:, 1] > 0)).astype(xp.int64)
    return _finish(X, y, False, noise, generator)


def make_blobs(
    n_samples=100,
    n_features: int = 2,
    centers=None,
    cluster_std=1.0,
    center_box: tuple[float, float] = (-10.0, 10.0),
    shuffle: bool = True,
    generator=None,
):
    """Gaussian blobs: label ``k`` is drawn around center ``k`` with std ``cluster_std[k]``.

    ``centers``: the centers themselves (a k × n_features sequence), or how many to draw
    uniformly in ``center_box`` (default 3). ``n_samples``: a total shared out evenly (the first
    blobs one more for a remainder) or one count per blob. ``cluster_std``: one std or one per
    blob.
    """
    if isinstance(n_samples, int):
        k = 3 if centers is None else centers if isinstance(centers, int) else len(centers)
        counts = [n_samples // k + (i < n_samples % k) for i in range(k)]
    else:
        counts = [int(n) for n in n_samples]
        k = len(counts)
    if centers is None or isinstance(centers, int):
        low, high = center_box
        center_array = _random.uniform((k, n_features), xp.float64, low, high, generator)
    else:
        center_array = xp.asarray(centers, dtype=xp.float64)
        if center_array.shape[0] != k:
            raise ValueError(f"got {center_array.shape[0]} centers for {k} blob sizes")
        n_features = center_array.shape[1]
    stds = cluster_std if isinstance(cluster_std, Sequence) else [cluster_std] * k
    X = [
        center_array[i]
        + _random.normal((n, n_features), xp.float64, 0.0, float(stds[i]), generator)
        for i, n in enumerate(counts)
    ]
    y = [xp.full(n, i, dtype=xp.int64) for i, n in enumerate(counts)]
    return _finish(xp.concatenate(X), xp.concatenate(y), shuffle, None, generator)


def make_line(
    n_samples: int = 50,
    slope: float = 0.5,
    intercept: float = 0.75,
    noise: float = 0.1,
    low: float = 0.0,
    high: float = 2.0,
    generator=None,
):
    """The lecture's 1-D linear regression data: ``y = intercept + slope · x + noise · ε``.

    ``x`` is uniform in [low, high), ``ε`` standard normal. The defaults mimic the lecture's
    example (Prince, *Understanding Deep Learning*, fig. 2.2: x in [0, 2], a gentle upward
    line). Returns ``(x, y)``, both of shape (n_samples, 1), ready for ``nn.Linear(1, 1)``
    and ``nn.MSELoss``.
    """
    dtype = B.get_default_dtype().np
    x = _random.uniform((n_samples, 1), dtype, low, high, generator)
    eps = _random.normal((n_samples, 1), dtype, 0.0, 1.0, generator)
    y = dtype.type(intercept) + dtype.type(slope) * x + dtype.type(noise) * eps
    return Tensor._make(x), Tensor._make(y.astype(dtype))
