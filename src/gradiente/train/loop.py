"""``fit`` and ``evaluate``: the training loop every PyTorch tutorial writes, written once.

One epoch of ``fit`` is, for each batch ``(x, y)`` of the training loader::

    optimizer.zero_grad()          # forget the previous batch's gradients
    loss = loss_fn(model(x), y)    # forward pass: the network is one composed function
    loss.backward()                # backprop: every dL/dθ by the chain rule
    optimizer.step()               # gradient descent: θ ← θ − lr · (update from dL/dθ)

then the validation metrics, one summary line, and the callbacks (LR schedule, early stopping,
checkpoints). The ``Trainer`` behind ``fit`` counts epochs and batches and can save and restore
everything that decides what comes next (weights and optimizer via a checkpoint; history, RNG
streams, position in the epoch, scheduler and callback states via ``state_dict``), so a resumed
run continues bit for bit as if it had never stopped. Ctrl-C stops between two batches. A run
that diverges (a NaN or infinite loss) stops at once, by default, before its broken weights
reach a checkpoint (``TerminateOnNaN``).

Devices: ``fit(..., device="cuda")`` (or ``"auto"``, ``"cpu"``, ``"cuda:1"``) moves the model
there once and every batch as it arrives, as a PyTorch program does by hand (see
``train.devices``). Whatever the device, a step asks the host for one number, the loss (the
callbacks, ``TerminateOnNaN`` and the progress bar read it); the count of right predictions stays
on the device as a tensor and crosses to the host once per epoch (and when the progress bar
redraws, a few times a second). Checkpoints hold host copies and resume on either device.
"""

from __future__ import annotations

import base64
import contextlib
import math
import os
import random
import signal
import threading
import time

from tqdm.auto import tqdm

from gradiente.autograd import no_grad
from gradiente.backend import xp
from gradiente.random import get_rng_state, set_rng_state
from gradiente.tensor import Tensor, cat
from gradiente.train.callbacks import Callback, LRSchedulerCallback, TerminateOnNaN
from gradiente.train.checkpoint import (
    STATE_FORMAT,
    check_trainer_state,
    fault_point,
    load_checkpoint,
)
from gradiente.train.devices import resolve_device, to_device
from gradiente.train.history import History
from gradiente.train.worker_state import (
    NOT_PERSISTENT,
    numpy_state,
    numpy_state_json,
    python_state,
    python_state_json,
    set_workers_state,
    workers_state,
)


class _Running:
    """Sums over the batches seen so far in an epoch: loss·samples, correct predictions.

    The sums may be tensors on the training device (``evaluate``'s loss, both loops' counts of
    right predictions): adding to them queues work on the device without waiting for it, and
    ``loss``/``accuracy``/``state_dict`` bring them to the host.
    """

    def __init__(self, state: dict | None = None) -> None:
        state = state or {}
        self.loss_sum = state.get("loss_sum", 0.0)
        self.correct = state.get("correct")  # None until a batch was a classification batch
        self.seen = state.get("seen", 0)
        self.seconds = state.get("seconds", 0.0)
        self.lr = state.get("lr")  # the learning rate when the epoch began

    def add(self, loss, correct, n: int) -> None:
        """Add a batch of ``n`` samples: its mean ``loss`` (a float, or a float64 tensor) and
        its number of right predictions (an int64 tensor, or None when not classifying)."""
        self.loss_sum = self.loss_sum + loss * n
        self.seen += n
        if correct is not None:
            self.correct = correct if self.correct is None else self.correct + correct

    @property
    def loss(self) -> float | None:
        return float(self.loss_sum) / self.seen if self.seen else None

    @property
    def accuracy(self) -> float | None:
        if not self.seen or self.correct is None:
            return None
        return int(self.correct) / self.seen

    def state_dict(self) -> dict:
        return {
            "loss_sum": float(self.loss_sum),
            "correct": None if self.correct is None else int(self.correct),
            "seen": self.seen,
            "seconds": self.seconds,
            "lr": self.lr,
        }


def _batch_size(x) -> int:
    return len(x) if not isinstance(x, (tuple, list)) else len(x[0])


def _correct(output, target) -> Tensor | None:
    """The number of right predictions (a 0-d int64 tensor on the outputs' device) when
    ``output`` holds class scores ``(N, C)`` and ``target`` class indices ``(N,)``; ``None``
    for any other task (e.g. regression)."""
    if not isinstance(output, Tensor) or not isinstance(target, Tensor):
        return None
    if output.ndim != 2 or target.ndim != 1 or target.dtype.is_floating_point:
        return None
    with no_grad():
        return (output.argmax(1) == target).sum()


def _encode(state) -> str:
    array = state.numpy() if isinstance(state, Tensor) else xp.asarray(state)
    return base64.b64encode(array.astype(xp.uint8).tobytes()).decode("ascii")


def _decode(text: str):
    return xp.frombuffer(base64.b64decode(text), dtype=xp.uint8).copy()


def loader_generators(loader) -> list:
    """The random generators a ``DataLoader`` shuffles with (its own and its samplers')."""
    found = []
    batch_sampler = getattr(loader, "batch_sampler", None)
    for owner in (
        loader,
        getattr(loader, "sampler", None),
        batch_sampler,
        getattr(batch_sampler, "sampler", None),
    ):
        g = getattr(owner, "generator", None)
        if g is not None and all(g is not other for other in found):
            found.append(g)
    return found


def _rng_state(generators, loader=None) -> dict:
    """The random states that decide what comes next: the global generator's, the loader's
    generators', Python's and NumPy's global ones and (``"workers"``) those of the loader's
    persistent workers, if it has any."""
    state = {
        "global": _encode(get_rng_state()),
        "loader": [_encode(g.get_state()) for g in generators],
        # a dataset may draw from Python's or NumPy's global generator (augmentations)
        "python": python_state_json(random.getstate()),
        "numpy": numpy_state_json(xp.random.get_state()),
    }
    workers = workers_state(loader)
    if workers is not NOT_PERSISTENT:
        state["workers"] = workers
    return state


def _set_rng_state(state: dict, generators, loader=None) -> None:
    set_rng_state(_decode(state["global"]))
    if len(state["loader"]) != len(generators):
        raise ValueError(
            f"the checkpoint has {len(state['loader'])} data-loader generators, the loader "
            f"{len(generators)}: resume with the loader the run was started with"
        )
    for g, s in zip(generators, state["loader"], strict=False):
        g.set_state(_decode(s))
    if "python" in state:  # absent in checkpoints of earlier versions
        random.setstate(python_state(state["python"]))
        xp.random.set_state(numpy_state(state["numpy"]))
    if "workers" in state:  # saved by a loader with persistent workers
        set_workers_state(loader, state["workers"])


def _format_metrics(prefix: str, loss, accuracy) -> str:
    parts = [f"{prefix} loss {loss:.4f}"]
    if accuracy is not None:
        parts.append(f"acc {100 * accuracy:.2f}%")
    return " ".join(parts)


def _format_lr(lr: float) -> str:
    return f"{lr:.3g}" if lr >= 1e-3 else f"{lr:.2e}"


class _Interrupted(Exception):
    """Raised inside the loop when Ctrl-C was pressed, caught by ``Trainer.run``."""


class _Terminated(Exception):
    """Raised inside the loop when a callback called ``terminate``, caught by ``Trainer.run``."""


class Trainer:
    """The state of one training run and the loop that advances it (``fit`` builds one).

    Attributes read by callbacks: ``model``, ``optimizer``, ``history``, ``epoch`` (completed
    epochs), ``batch`` (batches done in the current epoch), ``epochs`` (the target),
    ``stop_training`` (set it to stop after this epoch), ``terminate(reason)`` (stop now),
    ``log`` (prints a line), ``device`` (where the model and the batches are).
    """

    def __init__(
        self,
        model,
        train_loader,
        optimizer,
        loss_fn,
        epochs: int,
        val_loader=None,
        callbacks=(),
        progress: bool = True,
        verbose: bool = True,
        device=None,
    ) -> None:
        self.device = resolve_device(device, model)
        self.model = model.to(self.device)
        self.train_loader = train_loader
        self.optimizer = optimizer
        self.loss_fn = loss_fn
        self.epochs = int(epochs)
        self.val_loader = val_loader
        self.callbacks: list[Callback] = sorted(callbacks, key=lambda c: c.order)
        self.progress = progress
        self.verbose = verbose
        self.history = History()
        self.epoch = 0
        self.batch = 0
        self.stop_training = False
        self._running = _Running()
        self._generators = loader_generators(train_loader)
        self._epoch_rng: dict | None = None  # the RNG states when the current epoch began
        self._resume_rng: dict | None = None  # the RNG states to continue from, after a load
        self._interrupt_requested = False
        self._terminated: str | None = None

    # --- saving and restoring -------------------------------------------------------------

    def _callback_keys(self) -> list[str]:
        seen: dict[str, int] = {}
        keys = []
        for cb in self.callbacks:
            name = type(cb).__name__
            seen[name] = seen.get(name, 0) + 1
            keys.append(name if seen[name] == 1 else f"{name}#{seen[name]}")
        return keys

    def state_dict(self) -> dict:
        """Everything except weights and optimizer state that decides how training continues."""
        return {
            "format": STATE_FORMAT,
            "epoch": self.epoch,
            "batch": self.batch,
            "epochs": self.epochs,
            "history": self.history.state_dict(),
            "running": self._running.state_dict(),
            "rng": _rng_state(self._generators, self.train_loader),
            "epoch_rng": self._epoch_rng if self.batch else None,
            "callbacks": {
                k: cb.state_dict()
                for k, cb in zip(self._callback_keys(), self.callbacks, strict=True)
            },
        }

    def load_state_dict(self, state: dict) -> None:
        """Continue from ``state_dict()``'s output (the model and optimizer are loaded apart)."""
        if state.get("format") != STATE_FORMAT:
            raise ValueError(f"unknown trainer state format {state.get('format')!r}")
        self.epoch, self.batch = state["epoch"], state["batch"]
        self.history.load_state_dict(state["history"])
        self._running = _Running(state["running"])
        self._resume_rng = state["rng"]
        self._epoch_rng = state["epoch_rng"]
        saved = state["callbacks"]
        for key, cb in zip(self._callback_keys(), self.callbacks, strict=True):
            if key in saved:
                cb.load_state_dict(saved[key])

    # --- the loop -------------------------------------------------------------------------

    def interrupt(self) -> None:
        """Stop after the current batch, as Ctrl-C does (``on_interrupt`` runs, then ``fit``
        returns the history flagged ``interrupted``)."""
        self._interrupt_requested = True

    def terminate(self, reason: str) -> None:
        """Stop training now, for ``reason`` (e.g. ``TerminateOnNaN``'s message): the callbacks
        after the caller are skipped for the current event, no further batch runs, nothing more
        is checkpointed, and ``fit`` returns the history with ``terminated = reason``."""
        self._terminated = reason
        self.stop_training = True

    def log(self, line: str) -> None:
        """Print one line (above the progress bar, if one is showing)."""
        if self.verbose:
            tqdm.write(line)

    def _call(self, hook: str, *args) -> None:
        for cb in self.callbacks:
            if self._terminated is not None and hook != "on_train_end":
                return
            getattr(cb, hook)(self, *args)

    def run(self) -> History:
        """Train until ``epochs`` epochs are done, a callback stops, or Ctrl-C; the history."""
        self._interrupt_requested = False
        self._terminated = None
        with _defer_sigint(self):
            self._call("on_train_begin")
            try:
                while self.epoch < self.epochs and not self.stop_training:
                    self._run_epoch()
                    if self._interrupt_requested:
                        raise _Interrupted
            except _Interrupted:
                self.history.interrupted = True
                self._call("on_interrupt")
                return self.history
            except _Terminated:
                pass
            self.history.terminated = self._terminated
            self.history.stopped_early = self.stop_training and self._terminated is None
            self._call("on_train_end")
        return self.history

    def _start_epoch(self):
        """The training batches of the current epoch, positioned after ``self.batch`` batches."""
        if self.batch == 0:
            if self._resume_rng is not None:
                _set_rng_state(self._resume_rng, self._generators, self.train_loader)
            self._epoch_rng = _rng_state(self._generators, self.train_loader)
            self._running = _Running()
            self._running.lr = self.optimizer.param_groups[0]["lr"]
            self._call("on_epoch_begin")
            batches = iter(self.train_loader)
        else:
            # Resuming mid-epoch: replay the epoch's shuffle from its starting RNG states, skip
            # the batches already trained on, then continue the RNG streams where they stopped.
            _set_rng_state(self._epoch_rng, self._generators, self.train_loader)
            batches = iter(self.train_loader)
            for _ in range(self.batch):
                next(batches)
            # the replay brought persistent workers to their saved state: keep the ones the
            # epoch's iterator holds
            rest = {k: v for k, v in self._resume_rng.items() if k != "workers"}
            _set_rng_state(rest, self._generators, self.train_loader)
        self._resume_rng = None
        return batches

    def _run_epoch(self) -> None:
        model, optimizer, loss_fn, device = self.model, self.optimizer, self.loss_fn, self.device
        model.train()
        batches = self._start_epoch()
        running = self._running
        try:
            total = len(self.train_loader)
        except TypeError:
            total = None
        bar = tqdm(
            total=total,
            initial=self.batch,
            desc=f"epoch {self.epoch + 1}/{self.epochs}",
            unit="batch",
            leave=False,
            disable=not self.progress,
            dynamic_ncols=True,
        )
        start = time.perf_counter()
        seconds_before = running.seconds
        try:
            for x, y in batches:
                x, y = to_device(x, device), to_device(y, device)
                optimizer.zero_grad()
                output = model(x)
                loss = loss_fn(output, y)
                loss.backward()
                optimizer.step()
                loss_value = loss.item()
                running.add(loss_value, _correct(output, y), _batch_size(x))
                self.batch += 1
                self._call("on_batch_end", loss_value)
                if self._terminated is not None:
                    raise _Terminated
                fault_point("batch")  # tests kill the process here (see train.checkpoint)
                running.seconds = seconds_before + time.perf_counter() - start
                if not bar.disable and _redraw_due(bar):
                    acc = running.accuracy
                    bar.set_postfix_str(
                        f"loss {running.loss:.4f}"
                        + (f", acc {100 * acc:.1f}%" if acc is not None else "")
                        + f", {running.seen / max(running.seconds, 1e-9):,.0f} samples/s",
                        refresh=False,
                    )
                if not bar.disable:
                    bar.update(1)
                if self._interrupt_requested:
                    raise _Interrupted
        finally:
            bar.close()
        row = {
            "epoch": self.epoch + 1,
            "train_loss": running.loss,
            "train_accuracy": running.accuracy,
            "lr": running.lr,
        }
        if self.val_loader is not None:
            val = evaluate(model, self.val_loader, loss_fn, device=device)
            row["val_loss"], row["val_accuracy"] = val["loss"], val["accuracy"]
        row["seconds"] = time.perf_counter() - start + seconds_before
        self.epoch += 1
        self.batch = 0
        self.history.append(row)
        self._log_epoch(row, running)
        self._call("on_epoch_end", self.history.rows[-1])

    def _log_epoch(self, row: dict, running: _Running) -> None:
        width = len(str(self.epochs))
        parts = [f"epoch {row['epoch']:>{width}}/{self.epochs}"]
        if row["train_loss"] is not None:
            parts.append(_format_metrics("train", row["train_loss"], row["train_accuracy"]))
        if row.get("val_loss") is not None:
            parts.append(_format_metrics("val", row["val_loss"], row["val_accuracy"]))
        parts.append(f"lr {_format_lr(row['lr'])}")
        rate = running.seen / row["seconds"] if row["seconds"] > 0 else math.inf
        parts.append(f"{row['seconds']:.1f}s ({rate:,.0f} samples/s)")
        self.log(" | ".join(parts))


def _redraw_due(bar) -> bool:
    """Whether tqdm's next ``update`` redraws the bar (every ``mininterval`` seconds): only
    then is its text, which reads the accuracy from the device, worth computing."""
    return time.time() - getattr(bar, "last_print_t", 0.0) >= getattr(bar, "mininterval", 0.1)


@contextlib.contextmanager
def _defer_sigint(trainer: Trainer):
    """While training, the first Ctrl-C asks the loop to stop after the current batch (so the
    checkpoint is consistent); a second one interrupts at once."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        if trainer._interrupt_requested:
            raise KeyboardInterrupt
        trainer.interrupt()

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def fit(
    model,
    train_loader,
    optimizer,
    loss_fn,
    epochs: int,
    val_loader=None,
    scheduler=None,
    callbacks=(),
    *,
    progress: bool = True,
    verbose: bool = True,
    resume: str | os.PathLike | dict | None = None,
    terminate_on_nan: bool = True,
    device=None,
) -> History:
    """Train ``model`` for ``epochs`` epochs of ``train_loader`` and return the ``History``.

    Args:
        model: an ``nn.Module`` mapping a batch ``x`` to outputs (logits for classification).
        train_loader: an iterable of ``(x, y)`` batches, e.g. a shuffled ``DataLoader``.
        optimizer: an ``optim`` optimizer over ``model.parameters()``.
        loss_fn: ``loss_fn(output, y)`` → a scalar (mean over the batch), e.g.
            ``nn.CrossEntropyLoss()``.
        epochs: the total number of epochs (when resuming, including those already done).
        val_loader: batches to measure after each epoch (``val_loss``, ``val_accuracy``).
        scheduler: an ``optim.lr_scheduler`` scheduler, stepped after each epoch (after each
            batch for ``OneCycleLR``; with the validation loss for ``ReduceLROnPlateau``).
        callbacks: ``Callback`` objects (``EarlyStopping``, ``ModelCheckpoint``, ...).
        progress: show a progress bar per epoch (tqdm; works in Jupyter).
        verbose: print one line of metrics per epoch.
        resume: a checkpoint folder written by ``ModelCheckpoint`` (or a trainer state dict):
            the model, optimizer, scheduler, RNG states and position in the data are restored
            and training continues exactly where it stopped. A damaged or mixed checkpoint
            raises ``CheckpointError`` before anything is loaded.
        terminate_on_nan: stop at once when the loss (or, after an epoch, a loss or the
            weights) is NaN or infinite (adds a ``TerminateOnNaN`` unless one is given): the
            history comes back with ``terminated`` naming the epoch and batch, and no checkpoint
            of the diverged model is written.
        device: where to train: ``"auto"`` (CUDA when available, else the CPU), ``"cpu"``,
            ``"cuda"``, ``"cuda:N"`` or a ``gradiente.device``. The model is moved there with
            ``model.to(device)`` (its Parameter objects stay the same, so the optimizer keeps
            them) and each batch's tensors as they arrive. None (the default): where the model
            is now. A checkpoint saved on one device resumes on any other.

    Accuracy is measured when the outputs are class scores ``(N, C)`` and the targets class
    indices ``(N,)``. Ctrl-C stops between two batches: the callbacks' ``on_interrupt`` run
    (``ModelCheckpoint`` saves a resumable checkpoint) and the history, flagged
    ``interrupted``, is returned.
    """
    callbacks = list(callbacks)
    if terminate_on_nan and not any(isinstance(cb, TerminateOnNaN) for cb in callbacks):
        callbacks.append(TerminateOnNaN())
    if scheduler is not None:
        callbacks.insert(0, LRSchedulerCallback(scheduler))
    trainer = Trainer(
        model,
        train_loader,
        optimizer,
        loss_fn,
        epochs,
        val_loader,
        callbacks,
        progress,
        verbose,
        device=device,
    )
    if resume is not None:
        if not isinstance(resume, dict):
            folder, resume = resume, load_checkpoint(resume, model, optimizer)
            check_trainer_state(folder, resume)
        trainer.load_state_dict(resume)
    return trainer.run()


def evaluate(model, loader, loss_fn=None, *, return_predictions: bool = False, device=None) -> dict:
    """Measure ``model`` on every batch of ``loader`` in eval mode, without gradients.

    Returns ``{"loss": mean loss (None without loss_fn), "accuracy": fraction right (None if
    not classification), "samples": n}``; with ``return_predictions`` also ``"predictions"``
    (the argmax classes) and ``"targets"``, as int64 tensors on the device. The model's
    train/eval mode is restored afterwards.

    ``device`` is ``fit``'s: the model is moved there and each batch too (None: where the model
    is). The loss and the count of right predictions are summed on the device (the loss in
    float64, so the mean is the one a float sum gives) and read once, at the end.
    """
    device = resolve_device(device, model)
    model.to(device)
    was_training = model.training
    model.eval()
    running = _Running()
    predictions, targets = [], []
    try:
        with no_grad():
            for x, y in loader:
                x, y = to_device(x, device), to_device(y, device)
                output = model(x)
                loss = loss_fn(output, y).double() if loss_fn is not None else 0.0
                running.add(loss, _correct(output, y), _batch_size(x))
                if return_predictions:
                    predictions.append(output.argmax(1))
                    targets.append(y)
    finally:
        model.train(was_training)
    result = {
        "loss": running.loss if loss_fn is not None else None,
        "accuracy": running.accuracy,
        "samples": running.seen,
    }
    if return_predictions:
        result["predictions"] = cat(predictions) if predictions else None
        result["targets"] = cat(targets) if targets else None
    return result
