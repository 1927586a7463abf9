"""The GPU suite (``pytest -m cuda``): layers, losses, optimizers and a short LeNet-5 training
on CUDA, compared with the same computation on the CPU.

On a machine with an NVIDIA GPU and CuPy (``pip install -e .[cuda]``) it runs on the GPU.
Elsewhere it runs on the strict CuPy stand-in (``backend.set_stand_in_cuda``), which takes the
very code path CuPy takes, so CI keeps the suite itself honest; ``benchmarks/gpu_check.sh``
runs it on a lent GPU. Tolerances: 1e-5 relative in float32, 1e-10 in float64.
"""

from __future__ import annotations

import numpy as np
import pytest

import gradiente
import gradiente.nn.functional as F
from gradiente import backend as B
from gradiente import nn, optim
from gradiente.models.lenet import LeNet5

pytestmark = pytest.mark.cuda

TOLERANCE = {gradiente.float32: 1e-5, gradiente.float64: 1e-10}


def _real_gpu() -> bool:
    return B.cuda_device_count() > 0 and not B.stand_in_cuda()


@pytest.fixture
def cuda():
    """The GPU if there is one, else the strict CuPy stand-in for this test. Convolutions
    without TF32 (float32 products, not TF32's 10-bit ones), as torch's own precision tests
    run them: the tolerance is 1e-5."""
    if _real_gpu():
        with gradiente.backends.cudnn.flags(enabled=True, allow_tf32=False):
            yield "cuda"
        return
    B.set_stand_in_cuda(1)
    try:
        yield "cuda"
    finally:
        B.set_stand_in_cuda(0)


def _close(got, want, dtype):
    tol = TOLERANCE[dtype]
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol * max(1.0, np.abs(want).max()))


def _compare_module(cuda, build, shape, dtype, target=None, loss=None):
    """Forward and backward of a module on the CPU and on CUDA from the same weights."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape)
    gradiente.manual_seed(0)
    cpu = build().to(dtype)
    dev = build().to(dtype)
    dev.load_state_dict(cpu.state_dict())
    dev.to(cuda)
    results = []
    for model, where in ((cpu, "cpu"), (dev, cuda)):
        xt = gradiente.tensor(x, dtype=dtype).to(where).requires_grad_()
        out = model(xt)
        if loss is None:
            value = (
                out
                * gradiente.tensor(
                    np.cos(np.arange(out.numel())).reshape(out.shape), dtype=dtype
                ).to(where)
            ).sum()
        else:
            value = loss(out, gradiente.tensor(target).to(where))
        value.backward()
        grads = [p.grad.cpu().numpy() for p in model.parameters()]
        results.append((out.detach().cpu().numpy(), xt.grad.cpu().numpy(), grads))
    (o1, g1, p1), (o2, g2, p2) = results
    _close(o2, o1, dtype)
    _close(g2, g1, dtype)
    for a, b in zip(p2, p1):
        _close(a, b, dtype)


LAYERS = {
    "linear": (lambda: nn.Linear(12, 7), (5, 12)),
    "conv2d": (lambda: nn.Conv2d(3, 8, 3, padding=1), (2, 3, 9, 9)),
    "conv2d_strided_grouped": (lambda: nn.Conv2d(4, 8, 3, stride=2, groups=2), (2, 4, 9, 9)),
    "conv_transpose2d": (lambda: nn.ConvTranspose2d(4, 3, 3, stride=2), (2, 4, 5, 5)),
    "batchnorm2d": (lambda: nn.BatchNorm2d(3), (4, 3, 5, 5)),
    "layernorm": (lambda: nn.LayerNorm(6), (3, 4, 6)),
    "maxpool2d": (lambda: nn.MaxPool2d(2), (2, 3, 8, 8)),
    "avgpool2d": (lambda: nn.AvgPool2d(3, stride=2, padding=1), (2, 3, 8, 8)),
    "lstm": (lambda: _First(nn.LSTM(5, 6, batch_first=True)), (2, 4, 5)),
    "linear_gelu_dropout": (
        lambda: nn.Sequential(nn.Linear(4, 4), nn.GELU(), nn.Dropout(0.0)),
        (3, 4),
    ),
}


class _First(nn.Module):
    """The first output of a module that returns a tuple (the LSTM's sequence)."""

    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        return self.inner(x)[0]


@pytest.mark.parametrize("dtype", [gradiente.float32, gradiente.float64])
@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layers_match_the_cpu(cuda, name, dtype):
    build, shape = LAYERS[name]
    _compare_module(cuda, build, shape, dtype)


@pytest.mark.parametrize(
    "loss, target",
    [
        (F.cross_entropy, np.array([0, 2, 1, 2])),
        (lambda out, t: F.nll_loss(F.log_softmax(out, 1), t), np.array([1, 0, 2, 2])),
        (F.mse_loss, np.linspace(-1, 1, 12).reshape(4, 3)),
        (F.binary_cross_entropy_with_logits, (np.arange(12).reshape(4, 3) % 2).astype(float)),
    ],
)
def test_losses_match_the_cpu(cuda, loss, target):
    dtype = gradiente.float64
    if target.dtype.kind == "f":
        target = target.astype(np.float64)
    _compare_module(cuda, lambda: nn.Linear(5, 3), (4, 5), dtype, target=target, loss=loss)


def _train(where, make_optimizer, steps=4):
    gradiente.manual_seed(0)
    model = LeNet5().to(where)  # built on the CPU with torch's initial weights, then moved
    opt = make_optimizer(model.parameters())
    rng = np.random.default_rng(0)
    x = gradiente.tensor(rng.standard_normal((16, 1, 28, 28)), dtype=gradiente.float32)
    y = gradiente.tensor(rng.integers(0, 10, 16))
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = F.cross_entropy(model(x.to(where)), y.to(where))
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses, [p.detach().cpu().numpy() for p in model.parameters()]


@pytest.mark.parametrize(
    "make_optimizer",
    [
        lambda p: optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True),
        lambda p: optim.Adam(p, lr=1e-3),
        lambda p: optim.AdamW(p, lr=1e-3, weight_decay=0.05),
        lambda p: optim.RMSprop(p, lr=1e-3),
    ],
    ids=["sgd_nesterov", "adam", "adamw", "rmsprop"],
)
def test_a_short_lenet_training_matches_the_cpu(cuda, make_optimizer):
    cpu_losses, cpu_params = _train("cpu", make_optimizer)
    dev_losses, dev_params = _train(cuda, make_optimizer)
    np.testing.assert_allclose(dev_losses, cpu_losses, rtol=1e-4)
    # Parameters: the device convolution sums in another order, and an adaptive step
    # (g / √v, with v from a few tiny gradients) magnifies those last bits to ~1e-4
    for a, b in zip(dev_params, cpu_params):
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-3)


def test_the_model_lives_on_the_device(cuda):
    model = LeNet5().to(cuda)
    assert all(p.is_cuda for p in model.parameters())
    out = model(gradiente.randn(2, 1, 28, 28).to(cuda))
    assert out.is_cuda and out.device.type == "cuda"
    assert not isinstance(out._data, np.ndarray) or not _real_gpu()
