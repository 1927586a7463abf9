"""``fit``/``evaluate`` with ``device=``, on the NumPy stand-in for CUDA: the model and every
batch move there, the numbers are the CPU's, and checkpoints resume on either device."""

from __future__ import annotations

import collections

import numpy as np
import pytest

import gradiente
from gradiente import backend as B
from gradiente import nn, optim
from gradiente.data import DataLoader, TensorDataset
from gradiente.train import ModelCheckpoint, confusion_matrix, evaluate, fit
from gradiente.train.devices import resolve_device, to_device


@pytest.fixture
def cuda():
    B.set_stand_in_cuda(2)
    yield
    B.set_stand_in_cuda(0)


def _problem(seed: int = 0):
    """A linear classifier, its optimizer and shuffled loaders over 3 separable-ish classes."""
    gradiente.manual_seed(seed)
    x = gradiente.randn(96, 4)
    y = (x[:, 0] > 0).long() + (x[:, 1] > 0.5).long()
    train = DataLoader(TensorDataset(x[:64], y[:64]), batch_size=16, shuffle=True)
    val = DataLoader(TensorDataset(x[64:], y[64:]), batch_size=16)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    return model, optim.Adam(model.parameters(), lr=0.05), train, val


def _train(device, epochs=3, **kwargs):
    model, optimizer, train, val = _problem()
    history = fit(
        model,
        train,
        optimizer,
        nn.CrossEntropyLoss(),
        epochs,
        val,
        progress=False,
        verbose=False,
        device=device,
        **kwargs,
    )
    return model, history


def _rows(history):
    return [{k: v for k, v in row.items() if k != "seconds"} for row in history.rows]


def _weights(model):
    return {k: v.detach().cpu().numpy() for k, v in model.state_dict().items()}


def test_fit_on_cuda_gives_the_cpu_numbers(cuda):
    cpu_model, cpu_history = _train("cpu")
    cuda_model, cuda_history = _train("cuda:1")
    assert all(str(p.device) == "cuda:1" for p in cuda_model.parameters())
    assert all(str(p.device) == "cpu" for p in cpu_model.parameters())
    assert _rows(cuda_history) == _rows(cpu_history)  # the stand-in computes with NumPy
    assert cpu_history.rows[-1]["val_accuracy"] > 0.5
    for key, value in _weights(cpu_model).items():
        np.testing.assert_array_equal(_weights(cuda_model)[key], value)


def test_auto_picks_cuda_when_there_is_one(cuda):
    model, _ = _train("auto", epochs=1)
    assert str(next(model.parameters()).device) == "cuda:0"
    assert resolve_device(None, model) == gradiente.device("cuda", 0)  # None: the model's


def test_auto_is_the_cpu_without_cuda():
    model, _ = _train("auto", epochs=1)
    assert str(next(model.parameters()).device) == "cpu"
    assert resolve_device(None, nn.ReLU()) == gradiente.device("cpu")  # no parameters


def test_missing_devices_raise_torchs_errors(cuda):
    with pytest.raises(RuntimeError, match="invalid device ordinal"):
        resolve_device("cuda:2")
    B.set_stand_in_cuda(0)
    with pytest.raises(RuntimeError, match="CUDA is not available"):
        resolve_device("cuda")
    with pytest.raises(RuntimeError, match="Expected one of cpu, cuda"):
        resolve_device("gpu")


def test_batches_keep_their_structure(cuda):
    Pair = collections.namedtuple("Pair", "a b")
    batch = {"x": gradiente.ones(2), "rest": [Pair(gradiente.zeros(1), 3), ("text",)]}
    moved = to_device(batch, gradiente.device("cuda", 1))
    assert str(moved["x"].device) == "cuda:1" and str(moved["rest"][0].a.device) == "cuda:1"
    assert isinstance(moved["rest"][0], Pair) and moved["rest"][0].b == 3
    assert moved["rest"][1] == ("text",)
    x = gradiente.ones(2, device="cuda:1")
    assert to_device(x, gradiente.device("cuda", 1)) is x  # already there: no copy


@pytest.mark.parametrize(("first", "second"), [("cuda", "cpu"), ("cpu", "cuda")])
def test_checkpoints_resume_on_the_other_device(cuda, tmp_path, first, second):
    expected, expected_history = _train("cpu", epochs=4)
    _train(first, epochs=2, callbacks=[ModelCheckpoint(tmp_path)])
    on_disk = (tmp_path / "checkpoint.json").read_text()
    assert '"epoch": 2' in on_disk
    model, history = _train(second, epochs=4, resume=tmp_path)
    assert next(model.parameters()).device.type == second
    assert _rows(history) == _rows(expected_history)
    for key, value in _weights(expected).items():
        np.testing.assert_array_equal(_weights(model)[key], value)


def test_evaluate_on_cuda(cuda):
    model, _ = _train("cpu", epochs=2)
    _, _, _, val = _problem()
    on_cpu = evaluate(model, val, nn.CrossEntropyLoss(), return_predictions=True)
    on_cuda = evaluate(model, val, nn.CrossEntropyLoss(), return_predictions=True, device="cuda")
    assert str(next(model.parameters()).device) == "cuda:0"
    assert str(on_cuda["predictions"].device) == "cuda:0"
    assert (on_cuda["loss"], on_cuda["accuracy"]) == (on_cpu["loss"], on_cpu["accuracy"])
    matrix = confusion_matrix(on_cuda["predictions"], on_cuda["targets"], 3)
    expected = confusion_matrix(on_cpu["predictions"], on_cpu["targets"], 3)
    assert str(matrix.device) == "cpu" and matrix.tolist() == expected.tolist()
    assert matrix.sum().item() == on_cpu["samples"] == 32
