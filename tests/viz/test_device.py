"""``viz`` on CUDA tensors (the NumPy stand-in): the functions bring what they plot to the host
and measure the numbers the CPU gives."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import gradiente  # noqa: E402
from gradiente import backend as B  # noqa: E402
from gradiente import nn, viz  # noqa: E402


@pytest.fixture
def cuda():
    B.set_stand_in_cuda(1)
    yield
    B.set_stand_in_cuda(0)


def _model_and_batch(device):
    gradiente.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 2))
    x = gradiente.randn(16, 3)
    y = (x[:, 0] > 0).long()
    return model.to(device), (x.to(device), y.to(device))


def test_activation_stats_on_cuda_tensors(cuda):
    on_cpu = viz.activation_stats(*_model_and_batch("cpu"))
    on_cuda = viz.activation_stats(*_model_and_batch("cuda"))
    assert on_cuda.layers == on_cpu.layers and on_cuda.loss == on_cpu.loss
    assert [s.kind for s in on_cuda.layers] == ["Linear", "ReLU", "Linear"]
    assert on_cuda.layers[1].fraction_zero > 0 and on_cuda.layers[2].grad_mean_abs > 0
    assert str(on_cuda) == str(on_cpu)


def test_loss_landscape_on_cuda_tensors(cuda):
    model, batch = _model_and_batch("cuda")
    before = [p.detach().cpu().numpy().copy() for p in model.parameters()]
    on_cuda = viz.loss_landscape(model, nn.CrossEntropyLoss(), batch, steps=3)
    cpu_model, cpu_batch = _model_and_batch("cpu")
    on_cpu = viz.loss_landscape(cpu_model, nn.CrossEntropyLoss(), cpu_batch, steps=3)
    np.testing.assert_array_equal(on_cuda.loss, on_cpu.loss)
    assert all(str(p.device) == "cuda:0" for p in model.parameters())
    for p, p0 in zip(model.parameters(), before, strict=True):  # the model is restored
        np.testing.assert_array_equal(p.detach().cpu().numpy(), p0)
