"""The scheduler base class ``LRScheduler`` and the helpers every scheduler shares.

``LRScheduler`` remembers each group's starting rate (``base_lrs``, saved in the group as
``"initial_lr"``), counts epochs in ``last_epoch`` and, on ``step()``, writes ``get_lr()`` into
``group["lr"]``; constructing one already takes the first step (-1 → 0), as in PyTorch.
"""

from __future__ import annotations

import types
import warnings
from functools import wraps
from typing import Any
from weakref import ref

from gradiente.optim.optimizer import Optimizer
from gradiente.tensor import Tensor

__all__ = ["EPOCH_DEPRECATION_WARNING", "LRScheduler", "_LRScheduler"]

EPOCH_DEPRECATION_WARNING = (
    "The epoch parameter in `scheduler.step()` was not necessary and is being "
    "deprecated where possible. Please use `scheduler.step()` to step the "
    "scheduler. During the deprecation, if epoch is different from None, the "
    "closed form is used instead of the new chainable form, where available. "
    "Please open an issue if you are unable to replicate your use case: "
    "https://github.com/pytorch/pytorch/issues/new/choose."
)


def _copy(value):
    """A copy of a tensor hyper-parameter (so a returned lr never aliases ``group["lr"]``)."""
    return value.clone() if isinstance(value, Tensor) else value


def _format_param(name: str, optimizer: Optimizer, param) -> list:
    """One value per parameter group: a list/tuple is checked, a scalar is repeated."""
    if isinstance(param, (list, tuple)):
        if len(param) != len(optimizer.param_groups):
            raise ValueError(
                f"{name} must have the same length as optimizer.param_groups. "
                f"{name} has {len(param)} values, param_groups has "
                f"{len(optimizer.param_groups)}."
            )
    else:
        param = [param] * len(optimizer.param_groups)
    return [_copy(p) for p in param]


def _group_values(optimizer: Optimizer, key: str) -> list:
    """``[group[key] for group in optimizer.param_groups]``, tensors copied."""
    return [_copy(group[key]) for group in optimizer.param_groups]


def _set_group_value(group: dict, key: str, value) -> None:
    """``group[key] = value``; a tensor-valued entry is filled in place instead."""
    if isinstance(group[key], Tensor):
        group[key].fill_(float(value))
    else:
        group[key] = value


def _lambdas_state(lr_lambdas: list) -> list:
    """The savable part of lr lambdas: the ``__dict__`` of callable objects, None for functions."""
    return [None if isinstance(fn, types.FunctionType) else fn.__dict__.copy() for fn in lr_lambdas]


def _state_dict_with(scheduler: LRScheduler, key: str, saved: list) -> dict[str, Any]:
    """The ``state_dict`` of a scheduler whose attribute ``key`` (its lambdas, its
    sub-schedulers) cannot be saved as it is: every other attribute but the optimizer, and
    ``saved``, the savable part of ``key``, under ``key``."""
    state = {k: v for k, v in scheduler.__dict__.items() if k not in ("optimizer", key)}
    state[key] = saved
    return state


def _load_state_dict_without(scheduler: LRScheduler, state_dict: dict[str, Any], key: str) -> list:
    """Restore every attribute saved in ``state_dict`` but ``key`` (the live lambdas or
    sub-schedulers stay) and return the saved part of ``key``, for the caller to apply.

    ``state_dict`` comes back unchanged: ``key`` is popped and put back, as torch does.
    """
    saved = state_dict.pop(key)
    scheduler.__dict__.update(state_dict)
    state_dict[key] = saved
    return saved


def _warn_get_lr_called_within_step(scheduler: LRScheduler) -> None:
    if not scheduler._get_lr_called_within_step:
        warnings.warn(
            "To get the last learning rate computed by the scheduler, please use `get_last_lr()`.",
            UserWarning,
            stacklevel=3,
        )


class _enable_get_lr_call:
    """Marks ``get_lr`` calls made by ``step`` (a direct user call gets a warning)."""

    def __init__(self, scheduler: LRScheduler) -> None:
        self.scheduler = scheduler

    def __enter__(self):
        self.scheduler._get_lr_called_within_step = True
        return self

    def __exit__(self, *exc) -> None:
        self.scheduler._get_lr_called_within_step = False


class _initial_mode:
    """Marks the step made by the constructor (``_is_initial``)."""

    def __init__(self, scheduler: LRScheduler) -> None:
        self.scheduler = scheduler

    def __enter__(self):
        self.scheduler._is_initial = True

    def __exit__(self, *exc) -> None:
        self.scheduler._is_initial = False


def _track_optimizer_step(scheduler: LRScheduler) -> None:
    """Wrap ``optimizer.step`` once so that calling ``scheduler.step()`` first can be warned."""
    opt = scheduler.optimizer
    if hasattr(opt.step, "_wrapped_by_lr_sched"):
        return
    opt_ref = ref(opt)
    func = opt.step.__func__

    @wraps(func)
    def wrapper(*args, **kwargs):
        optimizer = opt_ref()
        optimizer._opt_called = True
        return func.__get__(optimizer, optimizer.__class__)(*args, **kwargs)

    wrapper._wrapped_by_lr_sched = True
    opt.step = wrapper


def _check_optimizer(optimizer) -> None:
    """torch's ``TypeError`` when a scheduler is given something other than an optimizer."""
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")


def _per_group_lambdas(optimizer: Optimizer, lr_lambda) -> list:
    """One lr lambda per parameter group: a list is checked, a single function is repeated."""
    if not isinstance(lr_lambda, (list, tuple)):
        return [lr_lambda] * len(optimizer.param_groups)
    if len(lr_lambda) != len(optimizer.param_groups):
        raise ValueError(
            f"Expected {len(optimizer.param_groups)} lr_lambdas, but got {len(lr_lambda)}"
        )
    return list(lr_lambda)


class LRScheduler:
    """Base class of the schedulers: ``base_lrs``, ``last_epoch``, ``step`` and ``get_last_lr``.

    A subclass implements ``get_lr()``: the learning rates for epoch ``last_epoch``, one per
    parameter group (usually from the current ``group["lr"]``, the chainable form), and may
    implement ``_get_closed_form_lr()``, used by ``step(epoch)``.

    Args:
        optimizer: the optimizer whose ``group["lr"]`` are rewritten.
        last_epoch: the index of the last epoch; -1 (default) starts a new schedule, other
            values resume one (each group must then hold ``"initial_lr"``).
    """

    _get_lr_called_within_step: bool = False
    _is_initial: bool = False

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        _check_optimizer(optimizer)
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", _copy(group["lr"]))
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(
                        f"param 'initial_lr' is not specified in param_groups[{i}] when "
                        "resuming scheduler with last_epoch >= 0.\n"
                        "This typically happens when:\n"
                        "1. You're trying to resume training from a checkpoint but haven't "
                        "properly loaded the optimizer state\n"
                        "2. You're using last_epoch >= 0 for a fresh training run (not "
                        "recommended)"
                    )
        self.base_lrs: list = _group_values(optimizer, "initial_lr")
        self.last_epoch = last_epoch
        _track_optimizer_step(self)
        self._initial_step()

    def _initial_step(self) -> None:
        """Reset the step count and take the constructor's step (``last_epoch`` -1 → 0)."""
        self._step_count = 0
        with _initial_mode(self):
            self.step()

    def state_dict(self) -> dict[str, Any]:
        """Every attribute except the optimizer (``last_epoch``, ``base_lrs``, ...)."""
        return {key: value for key, value in self.__dict__.items() if key != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore the attributes saved by ``state_dict``."""
        self.__dict__.update(state_dict)

    def get_last_lr(self) -> list:
        """The learning rates of the groups as set by the last ``step`` (one per group)."""
        return self._last_lr

    def get_lr(self) -> list:
        """The learning rates for the current ``last_epoch``; use ``get_last_lr()`` to read."""
        raise NotImplementedError

    def step(self, epoch: int | None = None) -> None:
        """Advance one epoch and write the new learning rates into the optimizer.

        Call it after ``optimizer.step()``. ``epoch`` (deprecated) jumps to that epoch and uses
        the closed form where the scheduler has one.
        """
        if self._step_count == 1:
            if not hasattr(self.optimizer.step, "_wrapped_by_lr_sched"):
                warnings.warn(
                    "Seems like `optimizer.step()` has been overridden after learning rate "
                    "scheduler initialization. Please, make sure to call `optimizer.step()` "
                    "before `lr_scheduler.step()`. See more details at "
                    "https://pytorch.org/docs/stable/optim.html#how-to-adjust-learning-rate",
                    UserWarning,
                    stacklevel=2,
                )
            elif not getattr(self.optimizer, "_opt_called", False):
                warnings.warn(
                    "Detected call of `lr_scheduler.step()` before `optimizer.step()`. In "
                    "PyTorch 1.1.0 and later, you should call them in the opposite order: "
                    "`optimizer.step()` before `lr_scheduler.step()`.  Failure to do this will "
                    "result in PyTorch skipping the first value of the learning rate schedule. "
                    "See more details at "
                    "https://pytorch.org/docs/stable/optim.html#how-to-adjust-learning-rate",
                    UserWarning,
                    stacklevel=2,
                )
        self._step_count += 1
        if epoch is not None:
            warnings.warn(EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)
        self._update_lr(epoch)

    def _update_lr(self, epoch: int | None = None) -> None:
        with _enable_get_lr_call(self):
            if epoch is None:
                self.last_epoch += 1
                values = self.get_lr()
            else:
                self.last_epoch = epoch
                if hasattr(self, "_get_closed_form_lr"):
                    values = self._get_closed_form_lr()
                else:
                    values = self.get_lr()
        for group, lr in zip(self.optimizer.param_groups, values, strict=True):
            _set_group_value(group, "lr", lr)
        self._last_lr = _group_values(self.optimizer, "lr")


class _LRScheduler(LRScheduler):
    """The old name of ``LRScheduler``, kept for compatibility."""
