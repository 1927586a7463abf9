"""The device model on CPU-only CI: a NumPy stand-in plays "cuda" (backend.set_stand_in_cuda),
so moving, mixing errors, printing, factories, checkpoints and ``gradiente.cuda`` are tested
without a GPU. CUDA's own kernels (CuPy) are not exercised here."""

from __future__ import annotations

import io

import numpy as np
import pytest

import gradiente
from gradiente import backend as B


@pytest.fixture
def cuda():
    B.set_stand_in_cuda(2)
    yield
    B.set_stand_in_cuda(0)


def test_no_cuda_without_a_device():
    assert not gradiente.cuda.is_available()
    assert gradiente.cuda.device_count() == 0
    with pytest.raises(RuntimeError, match="CUDA is not available"):
        gradiente.ones(2).to("cuda")
    with pytest.raises(RuntimeError, match="CUDA is not available"):
        gradiente.zeros(2, device="cuda:0")


def test_device_objects():
    d = gradiente.device("cuda:1")
    assert (d.type, d.index) == ("cuda", 1)
    assert repr(gradiente.device("cuda", 0)) == "device(type='cuda', index=0)"
    assert repr(gradiente.device("cpu")) == "device(type='cpu')"
    assert gradiente.device(0) == gradiente.device("cuda:0")
    assert gradiente.device("cpu") != "cpu"  # as torch's: a device equals devices only
    assert gradiente.device("cuda") != "cuda:0"
    with pytest.raises(RuntimeError, match="Expected one of cpu, cuda"):
        gradiente.device("gpu")


def test_to_cuda_and_back(cuda):
    x = gradiente.tensor([1.0, 2.0, 3.0])
    y = x.to("cuda")
    assert y.device == gradiente.device("cuda", 0) and y.is_cuda and y.get_device() == 0
    assert x.device.type == "cpu" and not x.is_cuda and x.get_device() == -1
    assert y.to("cuda:0") is y and x.to("cpu") is x
    assert str(x.cuda(1).device) == "cuda:1"
    back = y.cpu()
    assert str(back.device) == "cpu" and back.tolist() == [1.0, 2.0, 3.0]
    assert str(y.to(x).device) == "cpu"
    z = y.to("cpu", gradiente.float64)
    assert z.dtype == gradiente.float64 and str(z.device) == "cpu"
    assert y.to("cuda", copy=True) is not y
    with pytest.raises(RuntimeError, match="invalid device ordinal"):
        x.to("cuda:7")


def test_ops_stay_on_the_device_and_backward_comes_home(cuda):
    x = gradiente.tensor([[1.0, -2.0], [0.5, 3.0]], requires_grad=True)
    w = gradiente.tensor([[0.5], [-1.0]], device="cuda", requires_grad=True)
    xc = x.to("cuda")
    loss = (xc @ w).relu().sum() + (xc.exp() * 0.5).mean()
    assert str(loss.device) == "cuda:0" and loss.grad_fn is not None
    loss.backward()
    assert str(x.grad.device) == "cpu" and str(w.grad.device) == "cuda:0"
    # the same on the CPU
    x2 = x.detach().clone().requires_grad_()
    w2 = w.detach().cpu().requires_grad_()
    ((x2 @ w2).relu().sum() + (x2.exp() * 0.5).mean()).backward()
    np.testing.assert_allclose(x.grad.numpy(), x2.grad.numpy(), rtol=1e-6)
    np.testing.assert_allclose(w.grad.cpu().numpy(), w2.grad.numpy(), rtol=1e-6)


def test_mixing_devices_raises_as_torch(cuda):
    a = gradiente.ones(3, device="cuda")
    b = gradiente.ones(3)
    message = (
        "Expected all tensors to be on the same device, but found at least two devices, "
        "cuda:0 and cpu!"
    )
    with pytest.raises(RuntimeError, match=message):
        a + b
    with pytest.raises(RuntimeError, match="cuda:1 and cuda:0"):
        gradiente.ones(3, device="cuda:1") * a
    # Python scalars and 0-d CPU tensors mix freely, and a 0-d CPU tensor gets its gradient
    s = gradiente.tensor(2.0, requires_grad=True)
    out = a * s + 1
    assert str(out.device) == "cuda:0" and out.tolist() == [3.0, 3.0, 3.0]
    out.sum().backward()
    assert str(s.grad.device) == "cpu" and s.grad.item() == 3.0


def test_numpy_and_printing(cuda):
    y = gradiente.tensor([1.5, 2.0], device="cuda")
    message = (
        "can't convert cuda:0 device type tensor to numpy. Use Tensor.cpu() to copy the "
        "tensor to host memory first."
    )
    with pytest.raises(TypeError, match=message.replace("(", r"\(").replace(")", r"\)")):
        y.numpy()
    with pytest.raises(TypeError, match="can't convert cuda:0"):
        np.asarray(y)
    assert repr(y) == "tensor([1.5000, 2.0000], device='cuda:0')"
    z = gradiente.ones(2, dtype=gradiente.float64, device="cuda", requires_grad=True)
    assert repr(z) == ("tensor([1., 1.], device='cuda:0', dtype=torch.float64, requires_grad=True)")
    assert y[1].item() == 2.0 and y.cpu().numpy().tolist() == [1.5, 2.0]


@pytest.mark.parametrize(
    "make",
    [
        lambda d: gradiente.tensor([1, 2], device=d),
        lambda d: gradiente.zeros(2, 3, device=d),
        lambda d: gradiente.ones(2, device=d),
        lambda d: gradiente.empty(2, device=d),
        lambda d: gradiente.full((2,), 7.0, device=d),
        lambda d: gradiente.arange(5, device=d),
        lambda d: gradiente.linspace(0, 1, 5, device=d),
        lambda d: gradiente.eye(3, device=d),
        lambda d: gradiente.rand(3, device=d),
        lambda d: gradiente.randn(3, device=d),
        lambda d: gradiente.randint(0, 5, (3,), device=d),
        lambda d: gradiente.randperm(4, device=d),
        lambda d: gradiente.zeros_like(gradiente.ones(2, device=d)),
        lambda d: gradiente.ones_like(gradiente.ones(2), device=d),
        lambda d: gradiente.rand_like(gradiente.ones(2, device=d)),
        lambda d: gradiente.ones(2, device=d).new_zeros(3),
        lambda d: gradiente.ones(2, device=d).new_tensor([1.0]),
    ],
)
def test_factories_take_a_device(cuda, make):
    t = make("cuda:1")
    assert t.device == gradiente.device("cuda", 1)


def test_factories_draw_the_cpu_numbers(cuda):
    gradiente.manual_seed(0)
    on_cpu = gradiente.randn(5)
    gradiente.manual_seed(0)
    on_cuda = gradiente.randn(5, device="cuda")
    assert on_cuda.cpu().tolist() == on_cpu.tolist()


def test_checkpoints_across_devices(cuda):
    buffer = io.BytesIO()
    state = {"w": gradiente.arange(4.0, device="cuda"), "step": 3}
    gradiente.save(state, buffer)
    buffer.seek(0)
    loaded = gradiente.load(buffer)
    assert str(loaded["w"].device) == "cpu" and loaded["w"].tolist() == [0.0, 1.0, 2.0, 3.0]
    for location in ("cuda:1", gradiente.device("cuda", 1), {"cpu": "cuda:1"}):
        buffer.seek(0)
        moved = gradiente.load(buffer, map_location=location)
        assert str(moved["w"].device) == "cuda:1" and moved["step"] == 3


def test_cuda_module(cuda):
    assert gradiente.cuda.is_available() and gradiente.cuda.device_count() == 2
    assert gradiente.cuda.current_device() == 0
    gradiente.cuda.set_device(1)
    assert str(gradiente.ones(1, device="cuda").device) == "cuda:1"
    with gradiente.cuda.device(0):
        assert str(gradiente.ones(1).cuda().device) == "cuda:0"
    assert gradiente.cuda.current_device() == 1
    assert "stand-in" in gradiente.cuda.get_device_name(0)
    with pytest.raises(RuntimeError, match="invalid device ordinal"):
        gradiente.cuda.set_device(5)
    gradiente.cuda.manual_seed_all(3)
    assert gradiente.cuda.initial_seed() == 3
    gradiente.cuda.synchronize()
    gradiente.cuda.empty_cache()
    gradiente.cuda.reset_peak_memory_stats()
    assert gradiente.cuda.memory_allocated() == gradiente.cuda.max_memory_allocated() == 0
    start, end = gradiente.cuda.Event(enable_timing=True), gradiente.cuda.Event(enable_timing=True)
    start.record()
    end.record()
    end.synchronize()
    assert start.query() and start.elapsed_time(end) >= 0.0
    with pytest.raises(RuntimeError, match="enable_timing"):
        gradiente.cuda.Event().elapsed_time(end)
    s = gradiente.cuda.Stream()
    with gradiente.cuda.stream(s):
        assert gradiente.cuda.current_stream() is s
    s.wait_stream(gradiente.cuda.default_stream())
    s.synchronize()
    assert s.query()
    with gradiente.cuda.amp.autocast():
        assert (gradiente.ones(2) * 2).dtype == gradiente.float32
