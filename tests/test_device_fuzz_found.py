"""What the device fuzzer (``tests/fuzz/test_device_differential.py``) found, each checked
against torch on the CPU and, where the bug was on the CUDA code path, run on the NumPy
stand-in for CUDA (CuPy's rules: a host array beside a device array is an error)."""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import pytest

import gradiente
import gradiente.nn.functional as F
from gradiente import backend as B

torch = pytest.importorskip("torch")

INF, NAN = float("inf"), float("nan")


@pytest.fixture
def cuda():
    B.set_stand_in_cuda(1, strict=True)
    yield
    B.set_stand_in_cuda(0)


def _both(make, device="cpu"):
    """``make(lib, device)`` in torch (on the CPU) and in gradiente (on ``device``): the two
    results as NumPy arrays (tensors, or lists of tensors, moved to the host)."""

    def host(v):
        if isinstance(v, (list, tuple)):
            return [host(x) for x in v]
        return v.detach().cpu().numpy()

    return host(make(gradiente, device)), host(make(torch, "cpu"))


def _assert_same(got, expected):
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_allclose(g, e, rtol=1e-6, atol=1e-7, equal_nan=True)


@pytest.mark.parametrize("divisor", [0.5, -2.0, 0.0])
def test_floor_divide_and_remainder_by_a_number_on_the_device(cuda, divisor):
    def make(lib, device):
        x = lib.tensor([1.0, -2.5, 4.0, -4.0, 0.0], device=device)
        empty = lib.zeros(0, device=device)
        return [x // divisor, x % divisor, lib.floor_divide(x, divisor), empty // divisor]

    got, expected = _both(make, "cuda")
    _assert_same(got, expected)
    for g, e in zip(got, expected, strict=True):  # signed zeros too
        assert np.array_equal(np.signbit(g), np.signbit(e))


@pytest.mark.parametrize("op", ["cumprod", "prod"])
def test_product_gradients_with_zeros_on_the_device(cuda, op):
    def make(lib, device):
        x = lib.tensor(
            [[2.25, 0.0, 0.5, 3.0], [0.0, 1.5, 0.0, 2.0]], dtype=lib.float64, device=device
        ).requires_grad_()
        y = getattr(lib, op)(x, 1)
        (g,) = lib.autograd.grad((y * y).sum(), x)
        return [y, g]

    got, expected = _both(make, "cuda")
    _assert_same(got, expected)
    assert str(make(gradiente, "cuda")[1].device) == "cuda:0"


def test_an_element_read_by_integers_is_a_view_on_the_device(cuda):
    """``v[-1, -2]`` of a 2-D tensor is a 0-d view: an in-place change of ``v`` shows in it."""

    def make(lib, device):
        x = lib.tensor([[1.5, -1.25]], dtype=lib.float64, device=device)
        element = x[-1, -2]
        x.add_(2)
        return [element]

    got, expected = _both(make, "cuda")
    _assert_same(got, expected)


@pytest.mark.parametrize("dim", [None, 0, ()])
@pytest.mark.parametrize("op", ["var", "std"])
def test_variance_of_one_value_with_correction_has_a_nan_gradient(op, dim):
    """Over the whole tensor torch divides by max(N − correction, 0): one value with
    correction 2 has a NaN variance and a NaN gradient."""

    def make(lib, device):
        x = lib.tensor(3.0, dtype=lib.float64).requires_grad_()
        y = getattr(lib, op)(x, dim=dim, correction=2)
        return [y, lib.autograd.grad(y, x)[0]]

    _assert_same(*_both(make))


def test_variance_over_given_dims_keeps_the_signed_divisor():
    def make(lib, device):
        x = lib.arange(3.0, 6.0, dtype=lib.float64).requires_grad_()
        y = lib.var(x, dim=0, correction=4)
        return [y, lib.autograd.grad(y, x)[0]]

    _assert_same(*_both(make))


def test_max_pool_on_the_device_sends_an_infinite_gradient_to_the_winner_only(cuda):
    def make(lib, device):
        x = lib.tensor([[[2.75, -3.0, 0.0, 2.0, -2.5, -1.5, 2.75]]], device=device)
        x.requires_grad_()
        y = (
            -2 / F.max_pool1d(x, 2, stride=1)
            if lib is gradiente
            else -2 / lib.nn.functional.max_pool1d(x, 2, stride=1)
        )
        return [lib.autograd.grad(y.sum(), x)[0]]

    got, expected = _both(make, "cuda")
    assert np.isinf(expected[0]).any()
    _assert_same(got, expected)


@pytest.mark.parametrize("device", ["cpu", "cuda"])
def test_prelu_with_infinite_slopes_and_nan_inputs(cuda, device):
    """dL/dx is exactly dL/dy where x > 0 (no ∞·0), NaN inputs stay NaN."""

    def make(lib, device):
        x = lib.tensor(
            [[0.25, -INF, NAN], [1.0, -2.5, 0.0]], dtype=lib.float64, device=device
        ).requires_grad_()
        w = lib.tensor([INF, -INF, 2.0], dtype=lib.float64, device=device).requires_grad_()
        y = lib.nn.functional.prelu(x, w)
        gx, gw = lib.autograd.grad(y.sum(), (x, w))
        return [y, gx, gw]

    _assert_same(*_both(make, device))


def test_nll_loss_mean_with_every_target_ignored_is_nan():
    def make(lib, device):
        x = lib.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        loss = lib.nn.functional.cross_entropy(x, lib.tensor([1, 1]), ignore_index=1)
        weighted = lib.nn.functional.nll_loss(x, lib.tensor([1, 0]), weight=lib.zeros(2))
        return [loss, lib.autograd.grad(loss, x)[0], weighted]

    _assert_same(*_both(make))


@pytest.mark.parametrize("transposed", [False, True])
def test_a_cuda_convolution_refuses_backward_after_its_input_changed_in_place(cuda, transposed):
    conv = F.conv_transpose2d if transposed else F.conv2d
    x = gradiente.randn(1, 1, 4, 4, device="cuda")
    w = gradiente.randn(1, 1, 2, 2, device="cuda", requires_grad=True)
    y = conv(x, w)
    x.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()
