"""Callbacks: code that ``fit`` runs at fixed points of training (Keras's idea, PyTorch names).

A callback overrides some of ``on_train_begin``, ``on_epoch_begin``, ``on_batch_end``,
``on_epoch_end``, ``on_interrupt`` and ``on_train_end``; each receives the ``Trainer`` (its
``model``, ``optimizer``, ``history``, ``epoch``, ...) and, at the end of an epoch, that epoch's
metrics. A callback with state that matters for resuming returns it from ``state_dict``.
Callbacks run in increasing ``order``: LR schedules first, then the rest, then checkpoints, so
that a checkpoint saves the state after the scheduler's step.
"""

from __future__ import annotations

import math
import os
import pathlib

from gradiente.optim import lr_scheduler
from gradiente.train.checkpoint import (
    checkpoint_path,
    clean,
    safetensors_bytes,
    save_checkpoint,
    write_checkpoint,
)

# Schedulers that move the learning rate after every batch rather than after every epoch.
_PER_BATCH = (lr_scheduler.OneCycleLR, lr_scheduler.CyclicLR)


class Callback:
    """Base class: every hook does nothing."""

    order = 10

    def on_train_begin(self, trainer) -> None:
        """Before the first epoch (also when resuming)."""

    def on_epoch_begin(self, trainer) -> None:
        """Before the first batch of an epoch."""

    def on_batch_end(self, trainer, loss: float) -> None:
        """After each optimizer step."""

    def on_epoch_end(self, trainer, logs: dict) -> None:
        """After an epoch, with its row of metrics (see ``History``)."""

    def on_interrupt(self, trainer) -> None:
        """When Ctrl-C stopped training between two batches."""

    def on_train_end(self, trainer) -> None:
        """After the last epoch (or an early stop)."""

    def state_dict(self) -> dict:
        """The callback's state to save for resuming (JSON-serialisable)."""
        return {}

    def load_state_dict(self, state: dict) -> None:
        """Restore what ``state_dict`` returned."""


def _metric(logs: dict, monitor: str):
    """``logs[monitor]``, falling back from ``val_x`` to ``train_x`` when there is no validation."""
    value = logs.get(monitor)
    if value is None and monitor.startswith("val_"):
        value = logs.get("train_" + monitor[4:])
    return value


def _mode(mode: str, monitor: str) -> str:
    if mode == "auto":
        return "max" if "acc" in monitor else "min"
    if mode not in ("min", "max"):
        raise ValueError(f"mode must be 'min', 'max' or 'auto', got {mode!r}")
    return mode


def _improved(value: float, best: float | None, mode: str, min_delta: float = 0.0) -> bool:
    if best is None:
        return True
    return value < best - min_delta if mode == "min" else value > best + min_delta


class LRSchedulerCallback(Callback):
    """Step an ``optim.lr_scheduler`` scheduler: after each epoch, or after each batch for
    ``OneCycleLR``/``CyclicLR``; ``ReduceLROnPlateau`` is given the ``monitor`` metric
    (``val_loss``, or the training loss when there is no validation set)."""

    order = 0

    def __init__(self, scheduler, monitor: str = "val_loss", interval: str = "auto") -> None:
        if interval == "auto":
            interval = "batch" if isinstance(scheduler, _PER_BATCH) else "epoch"
        if interval not in ("epoch", "batch"):
            raise ValueError(f"interval must be 'epoch', 'batch' or 'auto', got {interval!r}")
        self.scheduler = scheduler
        self.monitor = monitor
        self.interval = interval

    def on_batch_end(self, trainer, loss: float) -> None:
        if self.interval == "batch":
            self.scheduler.step()

    def on_epoch_end(self, trainer, logs: dict) -> None:
        if self.interval != "epoch":
            return
        if isinstance(self.scheduler, lr_scheduler.ReduceLROnPlateau):
            self.scheduler.step(_metric(logs, self.monitor))
        else:
            self.scheduler.step()

    def state_dict(self) -> dict:
        return self.scheduler.state_dict()

    def load_state_dict(self, state: dict) -> None:
        self.scheduler.load_state_dict(state)


class EarlyStopping(Callback):
    """Stop training when ``monitor`` has not improved by ``min_delta`` for ``patience`` epochs.

    ``mode`` is ``"min"``, ``"max"`` or ``"auto"`` (max for accuracies). With
    ``restore_best_weights`` the model gets back the weights of its best epoch when it stops.
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        min_delta: float = 0.0,
        patience: int = 5,
        mode: str = "auto",
        restore_best_weights: bool = False,
    ) -> None:
        self.monitor = monitor
        self.min_delta = abs(min_delta)
        self.patience = patience
        self.mode = _mode(mode, monitor)
        self.restore_best_weights = restore_best_weights
        self.best: float | None = None
        self.best_epoch: int | None = None
        self.wait = 0
        self._best_weights = None

    def on_epoch_end(self, trainer, logs: dict) -> None:
        value = _metric(logs, self.monitor)
        if value is None or math.isnan(value):
            return
        if _improved(value, self.best, self.mode, self.min_delta):
            self.best, self.best_epoch, self.wait = value, logs["epoch"], 0
            if self.restore_best_weights:
                self._best_weights = {k: v.clone() for k, v in trainer.model.state_dict().items()}
            return
        self.wait += 1
        if self.wait >= self.patience:
            trainer.stop_training = True
            trainer.log(
                f"early stopping: {self.monitor} has not improved for {self.patience} epochs "
                f"(best {self.best:.4g} at epoch {self.best_epoch})"
            )
            if self._best_weights is not None:
                trainer.model.load_state_dict(self._best_weights)

    def state_dict(self) -> dict:
        return {"best": self.best, "best_epoch": self.best_epoch, "wait": self.wait}

    def load_state_dict(self, state: dict) -> None:
        self.best, self.best_epoch, self.wait = state["best"], state["best_epoch"], state["wait"]


def _finite_weights(model) -> bool:
    """Whether every parameter and buffer of ``model`` is finite (no NaN, no ±inf); checked
    on the weights' device, one number per tensor comes to the host."""
    for value in model.state_dict().values():
        floating = hasattr(value, "isfinite") and value.dtype.is_floating_point
        if floating and not bool(value.isfinite().all()):
            return False
    return True


class TerminateOnNaN(Callback):
    """Stop training at once when it diverges: a batch's loss is NaN or ±inf, or at the end of
    an epoch the training/validation loss or the weights are (Keras's ``TerminateOnNaN``).

    ``fit`` adds one unless told ``terminate_on_nan=False``. It runs before the checkpoint
    callbacks and calls ``trainer.terminate(reason)``, so no later callback runs and no
    checkpoint of the diverged model is written: the last one on disk is the last good one.
    ``fit`` then returns the history with ``terminated`` set to the reason, which names the
    epoch and batch, e.g. ``"the loss is nan at epoch 3, batch 7"``.
    """

    order = 5

    def on_batch_end(self, trainer, loss: float) -> None:
        if not math.isfinite(loss):
            epoch, batch = trainer.epoch + 1, trainer.batch
            trainer.terminate(f"the loss is {loss} at epoch {epoch}, batch {batch}")

    def on_epoch_end(self, trainer, logs: dict) -> None:
        for key in ("train_loss", "val_loss"):
            value = logs.get(key)
            if value is not None and not math.isfinite(value):
                name = key.replace("_", " ").replace("val", "validation")
                trainer.terminate(f"the {name} of epoch {logs['epoch']} is {value}")
                return
        if not _finite_weights(trainer.model):
            trainer.terminate(f"the weights are not finite after epoch {logs['epoch']}")


class ModelCheckpoint(Callback):
    """Save the last state (resumable) and the best weights into the folder ``dirpath``.

    After every epoch (and on Ctrl-C) it writes one checkpoint (see
    ``gradiente.train.checkpoint``): ``model.safetensors``, ``optimizer.safetensors``,
    ``trainer_state.json`` and ``best.safetensors`` (the weights of the epoch where ``monitor``
    was best) in a new ``checkpoint-*`` directory, made current by one atomic rename of
    ``checkpoint.json``. ``save_best``/``save_last`` switch the two parts off. A model whose
    weights are not finite is never saved (a line says so): the checkpoint on disk stays the
    last good one. ``checkpoint_path(dirpath, "best.safetensors")`` finds a file.
    """

    order = 20
    BEST_FILE = "best.safetensors"

    def __init__(
        self,
        dirpath: str | os.PathLike,
        monitor: str = "val_accuracy",
        mode: str = "auto",
        save_best: bool = True,
        save_last: bool = True,
    ) -> None:
        self.dirpath = pathlib.Path(dirpath)
        self.monitor = monitor
        self.mode = _mode(mode, monitor)
        self.save_best = save_best
        self.save_last = save_last
        self.best: float | None = None
        self.best_epoch: int | None = None

    def on_train_begin(self, trainer) -> None:
        clean(self.dirpath)  # what a killed run left: unfinished checkpoints, temporary files

    def on_epoch_end(self, trainer, logs: dict) -> None:
        if not _finite_weights(trainer.model):
            epoch = logs["epoch"]
            trainer.log(f"not saving a checkpoint: the weights are not finite (epoch {epoch})")
            return
        best = None
        value = _metric(logs, self.monitor)
        if self.save_best and value is not None and _improved(value, self.best, self.mode):
            self.best, self.best_epoch = value, logs["epoch"]
            best = safetensors_bytes(trainer.model.state_dict())
        if self.save_last or best is not None:
            self.save(trainer, best)

    def on_interrupt(self, trainer) -> None:
        if self.save_last and _finite_weights(trainer.model):
            self.save(trainer)

    def save(self, trainer, best: bytes | None = None) -> None:
        """Write a checkpoint of ``trainer`` now (with new best weights ``best``, if given;
        else the previous checkpoint's best weights are carried over)."""
        files: dict[str, bytes | pathlib.Path] = {}
        if best is not None:
            files[self.BEST_FILE] = best
        elif self.save_best and self.best is not None:  # this run's best, saved before
            previous_best = checkpoint_path(self.dirpath, self.BEST_FILE, verify=False)
            if previous_best is not None:
                files[self.BEST_FILE] = previous_best
        if self.save_last:
            save_checkpoint(
                self.dirpath, trainer.model, trainer.optimizer, trainer.state_dict(), files
            )
        else:
            write_checkpoint(self.dirpath, files, trainer.epoch, trainer.batch)

    def state_dict(self) -> dict:
        return {"best": self.best, "best_epoch": self.best_epoch}

    def load_state_dict(self, state: dict) -> None:
        self.best, self.best_epoch = state["best"], state["best_epoch"]
