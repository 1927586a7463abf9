"""Module.to/cuda/cpu with the NumPy stand-in CUDA device: the same Parameter objects move
(with their gradients and buffers), an optimizer built before the move keeps working and
creates its state on the parameters' device, and training gives the CPU's numbers."""

from __future__ import annotations

import numpy as np
import pytest

import gradiente
from gradiente import backend as B
from gradiente import nn, optim


@pytest.fixture
def cuda():
    B.set_stand_in_cuda(1)
    yield
    B.set_stand_in_cuda(0)


def _model(bias_before_norm=True):
    gradiente.manual_seed(0)
    return nn.Sequential(
        nn.Linear(4, 8, bias=bias_before_norm), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 3)
    )


def test_module_to_keeps_parameter_objects(cuda):
    model = _model()
    params = list(model.parameters())
    model(gradiente.randn(5, 4)).sum().backward()
    assert model.to("cuda") is model
    assert [id(p) for p in model.parameters()] == [id(p) for p in params]
    assert all(str(p.device) == "cuda:0" and str(p.grad.device) == "cuda:0" for p in params)
    assert all(isinstance(p, nn.Parameter) for p in model.parameters())
    assert str(model[1].running_mean.device) == "cuda:0"
    assert str(model[1].num_batches_tracked.device) == "cuda:0"
    assert model[1].num_batches_tracked.dtype == gradiente.int64
    model.cpu()
    assert all(str(p.device) == "cpu" and str(p.grad.device) == "cpu" for p in params)
    model.cuda().double()
    assert all(str(p.device) == "cuda:0" and p.dtype == gradiente.float64 for p in params)


def test_without_cuda_module_to_raises():
    with pytest.raises(RuntimeError, match="CUDA is not available"):
        _model().to("cuda")


@pytest.mark.parametrize(
    "make", [lambda ps: optim.SGD(ps, 0.1, momentum=0.9), lambda ps: optim.Adam(ps, 0.01)]
)
def test_training_on_the_device_matches_the_cpu(cuda, make):
    x, y = gradiente.randn(16, 4), gradiente.randint(0, 3, (16,))
    losses = {}
    for where in ("cpu", "cuda"):
        # A bias right before batch norm has a gradient of pure rounding noise (the norm
        # subtracts the mean), which Adam scales up to ±lr: leave it out, as careful models do.
        model = _model(bias_before_norm=False)
        opt = make(model.parameters())  # built before the move, as in most scripts
        model.to(where)
        xs, ys = x.to(where), y.to(where)
        for _ in range(3):
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(xs), ys)
            loss.backward()
            opt.step()
        for state in opt.state.values():
            for key, value in state.items():
                if isinstance(value, gradiente.Tensor) and key != "step":
                    assert value.device.type == where
        losses[where] = (loss.item(), [p.detach().cpu().numpy().copy() for p in model.parameters()])
    assert losses["cuda"][0] == pytest.approx(losses["cpu"][0], rel=1e-6)
    for a, b in zip(losses["cuda"][1], losses["cpu"][1]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)


def test_optimizer_state_dict_moves_to_the_parameters_device(cuda):
    model = nn.Linear(3, 2)
    opt = optim.Adam(model.parameters(), 0.1)
    model(gradiente.ones(1, 3)).sum().backward()
    opt.step()
    state = opt.state_dict()
    model.cuda()
    fresh = optim.Adam(model.parameters(), 0.1)
    fresh.load_state_dict(state)
    exp_avg = fresh.state[model.weight]["exp_avg"]
    assert str(exp_avg.device) == "cuda:0"
