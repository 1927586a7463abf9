"""``gradiente.train``: fit is the textbook loop, evaluate, callbacks, metrics, and exact resume."""

import json
import os
import signal

import numpy as np
import pytest

import gradiente
from gradiente import nn, optim
from gradiente.data import DataLoader, TensorDataset
from gradiente.optim import lr_scheduler
from gradiente.train import (
    Callback,
    EarlyStopping,
    History,
    LRSchedulerCallback,
    ModelCheckpoint,
    checkpoint_path,
    confusion_matrix,
    evaluate,
    fit,
    precision_recall,
)


def _data(n=96, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 4)).astype(np.float32)
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype(np.int64) + (x[:, 2] > 1).astype(np.int64)
    return TensorDataset(gradiente.from_numpy(x), gradiente.from_numpy(y))


def _model(dropout=0.0):
    gradiente.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Dropout(dropout), nn.Linear(16, 3))


def _loader(ds, seed=0, batch_size=10):
    return DataLoader(
        ds, batch_size=batch_size, shuffle=True, generator=gradiente.Generator().manual_seed(seed)
    )


def _weights(model):
    return {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}


def test_fit_is_the_textbook_loop():
    """fit's weights equal those of the loop written by hand (same seed, same batches)."""
    ds = _data()
    model = _model()
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    history = fit(model, _loader(ds), opt, nn.CrossEntropyLoss(), 3, progress=False, verbose=False)

    ref = _model()
    ref_opt = optim.SGD(ref.parameters(), lr=0.1, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    losses = []
    loader = _loader(ds)
    for _ in range(3):
        total, n = 0.0, 0
        for x, y in loader:
            ref_opt.zero_grad()
            loss = loss_fn(ref(x), y)
            loss.backward()
            ref_opt.step()
            total, n = total + loss.item() * len(x), n + len(x)
        losses.append(total / n)
    for k, v in _weights(ref).items():
        np.testing.assert_array_equal(_weights(model)[k], v)
    assert history["train_loss"] == pytest.approx(losses, rel=1e-12)
    assert history["epoch"] == [1, 2, 3]
    assert history["val_loss"] == [None] * 3
    assert all(0 <= a <= 1 for a in history["train_accuracy"])


def test_evaluate_counts_right_predictions():
    ds = _data()
    model = _model()
    model.train()
    result = evaluate(
        model, DataLoader(ds, batch_size=7), nn.CrossEntropyLoss(), return_predictions=True
    )
    x, y = ds.tensors
    with gradiente.no_grad():
        out = model(x)
    expected = (out.argmax(1) == y).float().mean().item()
    assert result["accuracy"] == pytest.approx(expected)
    assert result["loss"] == pytest.approx(nn.CrossEntropyLoss()(out, y).item(), rel=1e-6)
    assert result["samples"] == len(ds)
    assert result["predictions"].tolist() == out.argmax(1).tolist()
    assert model.training  # the mode is restored


def test_validation_metrics_and_lr_are_recorded():
    model = _model()
    opt = optim.Adam(model.parameters(), lr=0.01)
    sched = lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    history = fit(
        model,
        _loader(_data()),
        opt,
        nn.CrossEntropyLoss(),
        3,
        val_loader=DataLoader(_data(30, seed=1), batch_size=30),
        scheduler=sched,
        progress=False,
        verbose=False,
    )
    assert history["lr"] == [0.01, 0.005, 0.0025]
    assert all(v is not None for v in history["val_loss"] + history["val_accuracy"])


def test_one_cycle_steps_per_batch_and_plateau_gets_the_val_loss():
    model = _model()
    opt = optim.SGD(model.parameters(), lr=0.1)
    one_cycle = lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=2 * 10)
    fit(
        model,
        _loader(_data()),
        opt,
        nn.CrossEntropyLoss(),
        2,
        scheduler=one_cycle,
        progress=False,
        verbose=False,
    )
    assert one_cycle.last_epoch == 20

    class Plateau(lr_scheduler.ReduceLROnPlateau):
        seen = []

        def step(self, metrics):
            self.seen.append(metrics)
            super().step(metrics)

    opt = optim.SGD(model.parameters(), lr=0.1)
    plateau = Plateau(opt)
    history = fit(
        model,
        _loader(_data()),
        opt,
        nn.CrossEntropyLoss(),
        2,
        val_loader=DataLoader(_data(30, 1), batch_size=30),
        scheduler=plateau,
        progress=False,
        verbose=False,
    )
    assert plateau.seen == history["val_loss"]


def test_early_stopping_restores_the_best_weights():
    model = _model()
    opt = optim.SGD(model.parameters(), lr=0.0)  # nothing improves
    stopper = EarlyStopping(monitor="train_loss", patience=2, restore_best_weights=True)
    history = fit(
        model,
        _loader(_data()),
        opt,
        nn.CrossEntropyLoss(),
        10,
        callbacks=[stopper],
        progress=False,
        verbose=False,
    )
    assert len(history) == 3 and history.stopped_early
    assert stopper.best_epoch == 1


def test_model_checkpoint_writes_best_and_last(tmp_path):
    model = _model()
    opt = optim.Adam(model.parameters(), lr=0.05)
    checkpoint = ModelCheckpoint(tmp_path, monitor="val_loss")
    history = fit(
        model,
        _loader(_data()),
        opt,
        nn.CrossEntropyLoss(),
        3,
        val_loader=DataLoader(_data(30, 1), batch_size=30),
        callbacks=[checkpoint],
        progress=False,
        verbose=False,
    )
    # one checkpoint: the manifest and the one directory it names, holding the four files
    directory = json.loads((tmp_path / "checkpoint.json").read_text())["directory"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [directory, "checkpoint.json"]
    assert sorted(p.name for p in (tmp_path / directory).iterdir()) == [
        "best.safetensors",
        "model.safetensors",
        "optimizer.safetensors",
        "trainer_state.json",
    ]
    assert checkpoint.best == min(history["val_loss"])
    last = gradiente.load(checkpoint_path(tmp_path, "model.safetensors"))
    for k, v in _weights(model).items():
        np.testing.assert_array_equal(last[k].numpy(), v)


class _InterruptAt(Callback):
    """Simulates Ctrl-C after batch ``batch`` of epoch ``epoch`` (1-based)."""

    def __init__(self, epoch, batch, signal_it=False):
        self.epoch, self.batch, self.signal_it = epoch, batch, signal_it

    def on_batch_end(self, trainer, loss):
        if trainer.epoch + 1 == self.epoch and trainer.batch == self.batch:
            if self.signal_it:
                os.kill(os.getpid(), signal.SIGINT)  # the real thing: fit's handler defers it
            else:
                trainer.interrupt()


def _run(tmp_path, epochs, extra=(), resume=None):
    """A model with dropout, a shuffled loader and a one-cycle schedule: everything random or
    stateful that resuming must restore."""
    ds = _data()
    model = _model(dropout=0.3)
    opt = optim.Adam(model.parameters(), lr=0.01)
    loader = _loader(ds, seed=3)
    sched = lr_scheduler.OneCycleLR(opt, max_lr=0.05, total_steps=epochs * len(loader))
    gradiente.manual_seed(7)
    history = fit(
        model,
        loader,
        opt,
        nn.CrossEntropyLoss(),
        epochs,
        val_loader=DataLoader(_data(30, 1), batch_size=8),
        scheduler=sched,
        callbacks=[ModelCheckpoint(tmp_path), *extra],
        progress=False,
        verbose=False,
        resume=resume,
    )
    return model, opt, history


@pytest.mark.parametrize("epoch,batch,signal_it", [(2, 4, False), (1, 10, False), (2, 7, True)])
def test_interrupt_then_resume_is_bit_for_bit(tmp_path, epoch, batch, signal_it):
    straight, straight_opt, straight_history = _run(tmp_path / "straight", 3)

    _, _, history = _run(tmp_path / "run", 3, [_InterruptAt(epoch, batch, signal_it)])
    assert history.interrupted
    assert len(history) == epoch - 1  # batch 10 is the last: stopped before validation
    resumed, resumed_opt, resumed_history = _run(tmp_path / "run", 3, resume=tmp_path / "run")
    assert not resumed_history.interrupted

    for k, v in _weights(straight).items():
        np.testing.assert_array_equal(_weights(resumed)[k], v, err_msg=k)
    a, b = straight_opt.state_dict(), resumed_opt.state_dict()
    for i, state in a["state"].items():
        for key, value in state.items():
            np.testing.assert_array_equal(np.asarray(b["state"][i][key]), np.asarray(value))
    assert a["param_groups"] == b["param_groups"]
    drop = ("seconds",)
    strip = [{k: v for k, v in r.items() if k not in drop} for r in straight_history.rows]
    assert strip == [{k: v for k, v in r.items() if k not in drop} for r in resumed_history.rows]


def test_sigint_is_restored_after_fit():
    before = signal.getsignal(signal.SIGINT)
    model = _model()
    fit(
        model,
        _loader(_data()),
        optim.SGD(model.parameters(), lr=0.1),
        nn.CrossEntropyLoss(),
        1,
        progress=False,
        verbose=False,
    )
    assert signal.getsignal(signal.SIGINT) is before


def test_history_csv_round_trip():
    h = History()
    h.append(
        {"epoch": 1, "train_loss": 0.1 + 0.2, "train_accuracy": 1 / 3, "lr": 1e-3, "seconds": 2.5}
    )
    h.append(
        {
            "epoch": 2,
            "train_loss": 0.25,
            "val_loss": 0.5,
            "val_accuracy": 0.75,
            "lr": 1e-4,
            "seconds": 2.0,
        }
    )
    back = History.from_csv(h.to_csv())
    assert back.rows == h.rows
    assert h.to_csv().splitlines()[0] == (
        "epoch,train_loss,train_accuracy,val_loss,val_accuracy,lr,seconds"
    )


def test_confusion_matrix_precision_recall():
    targets = gradiente.tensor([0, 0, 1, 1, 1, 2, 2, 2])
    predictions = gradiente.tensor([0, 1, 1, 1, 2, 2, 2, 0])
    m = confusion_matrix(predictions, targets, 4)
    assert m.tolist() == [[1, 1, 0, 0], [0, 2, 1, 0], [1, 0, 2, 0], [0, 0, 0, 0]]
    precision, recall = precision_recall(m)
    np.testing.assert_allclose(precision.numpy(), [1 / 2, 2 / 3, 2 / 3, 0])
    np.testing.assert_allclose(recall.numpy(), [1 / 2, 2 / 3, 2 / 3, 0])


def test_lr_scheduler_callback_intervals():
    opt = optim.SGD(_model().parameters(), lr=0.1)
    assert LRSchedulerCallback(lr_scheduler.StepLR(opt, 1)).interval == "epoch"
    assert LRSchedulerCallback(lr_scheduler.OneCycleLR(opt, 0.1, total_steps=5)).interval == (
        "batch"
    )
