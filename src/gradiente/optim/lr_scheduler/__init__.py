"""Learning-rate schedulers: rules that rewrite each parameter group's ``lr`` once per step.

A scheduler wraps an optimizer, remembers the groups' starting learning rates (``base_lrs``,
saved in each group as ``"initial_lr"``) and, on every ``step()``, writes the next learning rate
into ``group["lr"]``. As in PyTorch, constructing a scheduler already performs the first step
(``last_epoch`` goes from -1 to 0), so the usual loop is::

    for epoch in range(epochs):
        train(...)            # optimizer.step() for every batch
        scheduler.step()

Most schedulers use PyTorch's *chainable* (recursive) form: the new rate is computed from the
current ``group["lr"]``, so several schedulers can act on the same optimizer; the learning rates
are the same floats as PyTorch's, step for step.

The package (``torch.optim.lr_scheduler``'s names, all importable from here):

* ``base``: ``LRScheduler`` and the helpers the schedulers share;
* ``simple``: the formulas of the epoch (``StepLR``, ``LinearLR``, ``CosineAnnealingLR``, ...);
* ``cyclic``: ``CyclicLR`` and ``OneCycleLR``, stepped per batch, cycling the momentum too;
* ``plateau``: ``ReduceLROnPlateau``, driven by a metric;
* ``composite``: ``SequentialLR`` and ``ChainedScheduler``, made of other schedulers.
"""

from __future__ import annotations

from gradiente.optim.lr_scheduler.base import EPOCH_DEPRECATION_WARNING, LRScheduler, _LRScheduler
from gradiente.optim.lr_scheduler.composite import ChainedScheduler, SequentialLR
from gradiente.optim.lr_scheduler.cyclic import CyclicLR, OneCycleLR
from gradiente.optim.lr_scheduler.plateau import ReduceLROnPlateau
from gradiente.optim.lr_scheduler.simple import (
    ConstantLR,
    CosineAnnealingLR,
    CosineAnnealingWarmRestarts,
    ExponentialLR,
    LambdaLR,
    LinearLR,
    MultiplicativeLR,
    MultiStepLR,
    PolynomialLR,
    StepLR,
)

__all__ = [
    "LRScheduler",
    "LambdaLR",
    "MultiplicativeLR",
    "StepLR",
    "MultiStepLR",
    "ConstantLR",
    "LinearLR",
    "ExponentialLR",
    "SequentialLR",
    "PolynomialLR",
    "CosineAnnealingLR",
    "ChainedScheduler",
    "ReduceLROnPlateau",
    "CyclicLR",
    "CosineAnnealingWarmRestarts",
    "OneCycleLR",
]
