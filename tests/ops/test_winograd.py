"""Winograd F(2×2, 3×3) convolutions (ops/winograd.py): values, gradients, error bound.

conv2d takes the Winograd path for 3×3, stride-1, undilated, ungrouped convolutions with at
least ``MIN_CHANNELS`` channels on both sides; these tests use such shapes (odd sizes too,
where the last 2×2 tile is half outside) and compare with PyTorch's convolution, and with a
float64 direct sum for the error bound.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

import gradiente as gd
from gradiente.ops import winograd
from gradiente.ops.im2col import _Geometry

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

C = winograd.MIN_CHANNELS


@pytest.fixture(autouse=True)
def winograd_on(monkeypatch):
    """Every convolution that can take the Winograd path takes it here, whatever the threads."""
    monkeypatch.setattr(winograd, "enabled", True)


def _direct_nhwc(ap, w):
    """The valid 3×3 convolution as a float64 sum over taps (the reference)."""
    N, Hp, Wp, _ = ap.shape
    out = np.zeros((N, Hp - 2, Wp - 2, w.shape[0]))
    for a in range(3):
        for b in range(3):
            out += ap[:, a : a + Hp - 2, b : b + Wp - 2, :] @ w[:, :, a, b].T.astype(np.float64)
    return out


def test_the_path_is_taken_for_eligible_convolutions_only():
    geom = _Geometry((3, 3), (1, 1), (1, 1, 1, 1), (1, 1), 1, (8, 8), (8, 8), 2)
    assert winograd.applies(geom, C, C, np.dtype(np.float32))
    assert not winograd.applies(geom, 3, C, np.dtype(np.float32))  # a first RGB layer
    assert not winograd.applies(geom, C, C, np.dtype(np.float16))
    strided = _Geometry((3, 3), (2, 2), (1, 1, 1, 1), (1, 1), 1, (8, 8), (4, 4), 2)
    assert not winograd.applies(strided, C, C, np.dtype(np.float32))
    five = _Geometry((5, 5), (1, 1), (2, 2, 2, 2), (1, 1), 1, (8, 8), (8, 8), 2)
    assert not winograd.applies(five, C, C, np.dtype(np.float32))


def test_auto_takes_the_path_only_single_threaded(monkeypatch):
    from gradiente import parallel

    geom = _Geometry((3, 3), (1, 1), (1, 1, 1, 1), (1, 1), 1, (8, 8), (8, 8), 2)
    monkeypatch.setattr(winograd, "enabled", "auto")
    for threads, expected in ((1, True), (2, False), (8, False)):
        monkeypatch.setitem(parallel._state, "threads", threads)
        assert winograd.applies(geom, C, C, np.dtype(np.float32)) is expected
    monkeypatch.setattr(winograd, "enabled", False)
    monkeypatch.setitem(parallel._state, "threads", 1)
    assert not winograd.applies(geom, C, C, np.dtype(np.float32))


@pytest.mark.parametrize("dtype, bound", [(np.float32, 2e-6), (np.float64, 1e-14)])
@pytest.mark.parametrize("size", [(8, 8), (7, 9), (3, 4)])
def test_error_against_a_direct_float64_sum_is_bounded(dtype, bound, size):
    rng = np.random.default_rng(1)
    ap = rng.standard_normal((2, size[0] + 2, size[1] + 2, C)).astype(dtype)
    w = rng.standard_normal((C + 3, C, 3, 3)).astype(dtype)
    ref = _direct_nhwc(ap.astype(np.float64), w.astype(np.float64))
    out, _ = winograd.conv3x3(ap, w)
    assert out.shape == ref.shape and out.dtype == dtype
    # max |error| over max |output|: the transforms add at most 4 terms of ±1 (and G's ½),
    # so the error stays within a few units of the direct sum's own rounding
    assert np.abs(out - ref).max() / np.abs(ref).max() < bound


def _pair(torch, shape, out_channels, dtype, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(dtype)
    w = rng.standard_normal((out_channels, shape[1], 3, 3)).astype(dtype) * 0.2
    b = rng.standard_normal(out_channels).astype(dtype)
    g = rng.standard_normal((shape[0], out_channels) + shape[2:]).astype(dtype)
    return x, w, b, g


@pytest.mark.parametrize("padding", [1, 0, 2, (1, 2), "same"])
@pytest.mark.parametrize("shape", [(2, C, 8, 8), (3, C + 4, 7, 5), (1, C, 4, 3)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_forward_and_gradients_match_torch(padding, shape, dtype):
    torch = pytest.importorskip("torch")
    x, w, b, _ = _pair(torch, shape, C + 1, dtype, seed=hash((shape, str(padding))) % 1000)
    tol = dict(rtol=1e-4, atol=1e-4) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-10)
    results = []
    for lib in (gd, torch):
        xt = lib.tensor(x, requires_grad=True)
        wt = lib.tensor(w, requires_grad=True)
        bt = lib.tensor(b, requires_grad=True)
        y = lib.nn.functional.conv2d(xt, wt, bt, padding=padding)
        g = np.random.default_rng(5).standard_normal(tuple(y.shape)).astype(dtype)
        y.backward(lib.tensor(g))
        results.append([t.detach().numpy() for t in (y, xt.grad, wt.grad, bt.grad)])
    for ours, theirs in zip(*results):
        assert ours.shape == theirs.shape
        np.testing.assert_allclose(ours, theirs, **tol)


def test_input_gradient_alone_when_the_weight_is_frozen():
    """A frozen kernel: no tiles are kept, and dL/dx is still the Winograd convolution."""
    torch = pytest.importorskip("torch")
    x, w, _, g = _pair(torch, (2, C, 6, 6), C, np.float64, seed=3)
    grads = []
    for lib in (gd, torch):
        xt = lib.tensor(x, requires_grad=True)
        y = lib.nn.functional.conv2d(xt, lib.tensor(w), padding=1)
        y.backward(lib.tensor(g))
        grads.append(xt.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-10, atol=1e-10)


def test_gradcheck_and_double_backward_in_float64():
    x = gd.randn(1, C, 3, 4, dtype=gd.float64, requires_grad=True)
    w = (0.3 * gd.randn(C, C, 3, 3, dtype=gd.float64)).requires_grad_()

    def conv(x, w):
        return gd.nn.functional.conv2d(x, w, padding=1)

    assert gd.autograd.gradcheck(conv, (x, w), eps=1e-6, atol=1e-5)
    # second order: the gradient of Σ (dL/dx)² with respect to W, against torch
    torch = pytest.importorskip("torch")
    got = []
    for lib, (xi, wi) in (
        (gd, (x, w)),
        (
            torch,
            (
                torch.tensor(x.detach().numpy(), requires_grad=True),
                torch.tensor(w.detach().numpy(), requires_grad=True),
            ),
        ),
    ):
        y = lib.nn.functional.conv2d(xi, wi, padding=1)
        (gx,) = lib.autograd.grad(y.pow(2).sum(), xi, create_graph=True)
        (gw,) = lib.autograd.grad(gx.pow(2).sum(), wi)
        got.append(gw.detach().numpy())
    np.testing.assert_allclose(got[0], got[1], rtol=1e-9, atol=1e-9)


def test_conv_layer_trains_the_same_with_threads(monkeypatch):
    """Chunked transforms over several threads give the same numbers as one thread."""
    from gradiente import parallel

    x = gd.randn(8, C, 10, 10)
    conv = gd.nn.Conv2d(C, C, 3, padding=1)
    outs = []
    for n in (1, 4):
        monkeypatch.setitem(parallel._state, "threads", n)
        monkeypatch.setattr(winograd, "_grain", lambda per_image: 1)  # one image a chunk
        conv.zero_grad()
        y = conv(x)
        y.square().sum().backward()
        outs.append((y.detach().numpy().copy(), conv.weight.grad.numpy().copy()))
    np.testing.assert_array_equal(outs[0][0], outs[1][0])
    np.testing.assert_array_equal(outs[0][1], outs[1][1])
