"""A CUDA device out of memory: torch's OutOfMemoryError (a RuntimeError) with torch's words,
from a forward op, a backward op or a move to the device; and the program goes on once memory
is free. Shown on the strict CuPy stand-in, told to refuse large arrays as a full GPU does."""

from __future__ import annotations

import os

import pytest

import gradiente
from gradiente import _cupy_standin as standin
from gradiente import backend as B


@pytest.fixture
def small_gpu():
    B.set_stand_in_cuda(1)
    try:
        yield
    finally:
        standin.set_memory_limit(None)
        B.set_stand_in_cuda(0)


def test_the_error_is_torchs(small_gpu):
    assert issubclass(gradiente.OutOfMemoryError, RuntimeError)
    assert gradiente.cuda.OutOfMemoryError is gradiente.OutOfMemoryError
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    torch = pytest.importorskip("torch")
    assert issubclass(torch.OutOfMemoryError, RuntimeError)


def test_a_forward_op_out_of_memory(small_gpu):
    a = gradiente.ones(10, device="cuda")
    standin.set_memory_limit(1000)
    with pytest.raises(gradiente.OutOfMemoryError, match=r"^CUDA out of memory\. Tried to"):
        a.repeat(100)  # 4,000 bytes
    standin.set_memory_limit(None)
    assert a.repeat(100).sum().item() == 1000.0  # memory back: the program goes on


def test_a_move_to_the_device_out_of_memory(small_gpu):
    standin.set_memory_limit(1000)
    with pytest.raises(gradiente.OutOfMemoryError, match="Tried to allocate 3.91 KiB"):
        gradiente.ones(1000).to("cuda")
    with pytest.raises(gradiente.OutOfMemoryError):
        gradiente.zeros(1000, device="cuda")


def test_a_backward_op_out_of_memory_then_training_goes_on(small_gpu):
    x = gradiente.ones(20, 20, device="cuda", requires_grad=True)
    y = (x * 2).sum()
    standin.set_memory_limit(100)  # the 1,600-byte gradient of x no longer fits
    with pytest.raises(gradiente.OutOfMemoryError, match="CUDA out of memory"):
        y.backward()
    standin.set_memory_limit(None)
    (x * 2).sum().backward()
    assert x.grad.sum().item() == 800.0
