"""Stride-1 convolution as accumulated GEMMs on shifted rows (ops/shifted_conv.py), and the
direct BLAS call it rests on (gradiente/_blas.py).

The path is taken for stride-1, ungrouped convolutions with at least ``MIN_CHANNELS``
channels on both sides; these tests use such shapes (odd sizes, dilation, asymmetric
kernels, padding larger than the kernel reach) and compare values and all three gradients
with the im2col path, with PyTorch, and by float64 gradcheck (double backward included).
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gradiente as gd
import gradiente.nn.functional as F
from gradiente import _blas
from gradiente.ops import shifted_conv, winograd
from gradiente.ops.im2col import _Geometry

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

C = shifted_conv.MIN_CHANNELS
needs_blas = pytest.mark.skipif(not _blas.available(), reason="no direct BLAS call here")


@pytest.fixture(autouse=True)
def shifted_first(monkeypatch):
    """Winograd off ("auto" would take it single-threaded where the shifted path is off), and
    the path taken whatever the padded grid's waste, so that small test images exercise it."""
    monkeypatch.setattr(winograd, "enabled", False)
    monkeypatch.setattr(shifted_conv, "enabled", True)
    monkeypatch.setattr(shifted_conv, "MAX_GRID_RATIO", float("inf"))


def _conv_and_grads(x, w, b, upstream, **kw):
    X = gd.tensor(x, requires_grad=True)
    W = gd.tensor(w, requires_grad=True)
    B = gd.tensor(b, requires_grad=True)
    y = F.conv2d(X, W, B, **kw)
    (y * gd.tensor(upstream)).sum().backward()
    return [y.detach().numpy(), X.grad.numpy(), W.grad.numpy(), B.grad.numpy()]


def _case(rng, N, Cin, H, W, O, k, dtype, **kw):
    kernel = (k, k) if isinstance(k, int) else k
    x = rng.standard_normal((N, Cin, H, W)).astype(dtype)
    w = rng.standard_normal((O, Cin, *kernel)).astype(dtype)
    b = rng.standard_normal(O).astype(dtype)
    out_shape = F.conv2d(gd.tensor(x), gd.tensor(w), **kw).shape
    upstream = rng.standard_normal(tuple(out_shape)).astype(dtype)
    return x, w, b, upstream


def test_the_path_is_taken_for_eligible_convolutions_only():
    image = np.zeros((1, 8, 8, C), np.float32)
    geom = _Geometry((3, 3), (1, 1), (1, 1, 1, 1), (1, 1), 1, (8, 8), (8, 8), 2)
    expected = _blas.available()
    assert shifted_conv.applies(geom, C, C, image) is expected
    assert not shifted_conv.applies(geom, 3, C, image)  # a first RGB layer: im2col
    assert not shifted_conv.applies(geom, C, 6, image)
    assert not shifted_conv.applies(geom, C, C, image.astype(np.float16))
    strided = _Geometry((3, 3), (2, 2), (1, 1, 1, 1), (1, 1), 1, (8, 8), (4, 4), 2)
    assert not shifted_conv.applies(strided, C, C, image)
    grouped = _Geometry((3, 3), (1, 1), (1, 1, 1, 1), (1, 1), 2, (8, 8), (8, 8), 2)
    assert not shifted_conv.applies(grouped, C, C, image)
    pointwise = _Geometry((1, 1), (1, 1), (0, 0, 0, 0), (1, 1), 1, (8, 8), (8, 8), 2)
    assert not shifted_conv.applies(pointwise, C, C, image)


def test_small_images_keep_im2col(monkeypatch):
    """The thrown-away rows of the shared-padding grid: 1.27x the output for 8x8 with
    padding 1 (im2col wins), 1.13x for 16x16 and 1.06x for 32x32 (the shifted path wins)."""
    monkeypatch.setattr(shifted_conv, "MAX_GRID_RATIO", 1.2)
    small = _Geometry((3, 3), (1, 1), (1, 1, 1, 1), (1, 1), 1, (8, 8), (8, 8), 2)
    assert shifted_conv.grid(small) == (9, 9)
    assert not shifted_conv.applies(small, C, C, np.zeros((1, 8, 8, C), np.float32))
    for size in (16, 32):
        large = _Geometry((3, 3), (1, 1), (1, 1, 1, 1), (1, 1), 1, (size,) * 2, (size,) * 2, 2)
        assert shifted_conv.grid(large) == (size + 1, size + 1)
        assert shifted_conv.applies(large, C, C, np.zeros((1, size, size, C), np.float32)) is (
            _blas.available()
        )


def test_the_grid_shares_padding_between_neighbours():
    """Each image row is followed by max(pl, pr) zeros, each image by max(pt, pb) zero rows,
    with pt·Ws + pl zero rows before the first pixel: a window running off one edge reads
    the zeros that also pad the next row or image."""
    geom = _Geometry((3, 3), (1, 1), (1, 2, 2, 1), (1, 1), 1, (3, 4), (3, 5), 2)
    image = np.arange(1, 2 * 3 * 4 + 1, dtype=np.float64).reshape(2, 3, 4, 1)
    X, lead = shifted_conv.to_grid(image, geom)
    Hs, Ws = shifted_conv.grid(geom)
    assert (Hs, Ws, lead) == (5, 6, 1 * 6 + 2)
    cells = X[lead : lead + 2 * Hs * Ws].reshape(2, Hs, Ws, 1)
    np.testing.assert_array_equal(cells[:, :3, :4], image)
    assert not cells[:, 3:].any() and not cells[:, :, 4:].any()
    assert not X[:lead].any() and not X[lead + 2 * Hs * Ws :].any()


def _count_shifted_convolutions(monkeypatch) -> list:
    """A list that gets an item for each call of ``shifted_conv.conv`` from now on."""
    calls = []
    original = shifted_conv.conv
    monkeypatch.setattr(shifted_conv, "conv", lambda *a, **k: calls.append(1) or original(*a, **k))
    return calls


@needs_blas
def test_conv2d_takes_the_shifted_path(monkeypatch):
    calls = _count_shifted_convolutions(monkeypatch)
    x = gd.randn(2, C, 6, 6, requires_grad=True)
    w = gd.randn(C, C, 3, 3, requires_grad=True)
    F.conv2d(x, w, padding=1).sum().backward()
    assert len(calls) == 2  # the forward and the input gradient's flipped convolution


@needs_blas
@pytest.mark.parametrize("dtype, tol", [(np.float32, 2e-5), (np.float64, 1e-12)])
@pytest.mark.parametrize(
    "N, Cin, H, W, O, k, kw",
    [
        (2, C, 9, 11, C + 4, 3, {"padding": 1}),
        (3, C + 1, 8, 8, C, 5, {"padding": 2}),
        (2, C, 10, 12, C + 2, 3, {"dilation": 2}),
        (1, 2 * C, 7, 7, C, (3, 1), {"padding": (1, 0)}),
        (2, C, 6, 6, C, 3, {"padding": 3}),  # padding past the kernel's reach
        (2, C, 5, 7, 2 * C, 2, {}),  # an even kernel, no padding
        (1, C, 8, 8, C, 3, {"padding": "same", "dilation": 2}),
    ],
)
def test_equals_the_im2col_path(monkeypatch, dtype, tol, N, Cin, H, W, O, k, kw):
    rng = np.random.default_rng(N * 100 + H)
    x, w, b, upstream = _case(rng, N, Cin, H, W, O, k, dtype, **kw)
    shifted = _conv_and_grads(x, w, b, upstream, **kw)
    monkeypatch.setattr(shifted_conv, "enabled", False)
    im2col = _conv_and_grads(x, w, b, upstream, **kw)
    for got, want in zip(shifted, im2col):
        scale = max(1.0, float(np.abs(want).max()))
        np.testing.assert_allclose(got, want, rtol=0, atol=tol * scale)


@needs_blas
@settings(max_examples=25, deadline=None)
@given(
    N=st.integers(1, 3),
    Cin=st.integers(C, C + 8),
    O=st.integers(C, C + 8),
    H=st.integers(1, 9),
    W=st.integers(1, 9),
    k=st.integers(1, 4),
    pad=st.integers(0, 3),
    dil=st.integers(1, 2),
    channels_last=st.booleans(),
)
def test_random_convolutions_match_torch(N, Cin, O, H, W, k, pad, dil, channels_last):
    torch = pytest.importorskip("torch")
    reach = dil * (k - 1) + 1
    if H + 2 * pad < reach or W + 2 * pad < reach:
        return
    rng = np.random.default_rng(N + Cin + O + H + W + k + pad)
    x, w, b, upstream = _case(rng, N, Cin, H, W, O, k, np.float32, padding=pad, dilation=dil)
    X = gd.tensor(x)
    if channels_last:  # the layout convolutions hand each other
        X = gd.tensor(np.ascontiguousarray(x.transpose(0, 2, 3, 1))).permute(0, 3, 1, 2)
    X.requires_grad_()
    Wg, Bg = gd.tensor(w, requires_grad=True), gd.tensor(b, requires_grad=True)
    y = F.conv2d(X, Wg, Bg, padding=pad, dilation=dil)
    y.backward(gd.tensor(upstream))
    Xt = torch.tensor(x, requires_grad=True)
    Wt, Bt = torch.tensor(w, requires_grad=True), torch.tensor(b, requires_grad=True)
    yt = torch.nn.functional.conv2d(Xt, Wt, Bt, padding=pad, dilation=dil)
    yt.backward(torch.tensor(upstream))
    pairs = [(y.detach(), yt), (X.grad, Xt.grad), (Wg.grad, Wt.grad), (Bg.grad, Bt.grad)]
    for got, want in pairs:
        want = want.detach().numpy()
        scale = max(1.0, float(np.abs(want).max()))
        np.testing.assert_allclose(got.numpy(), want, rtol=0, atol=3e-5 * scale)


@needs_blas
def test_gradcheck_and_gradgradcheck_in_float64():
    rng = np.random.default_rng(0)
    x = gd.tensor(rng.standard_normal((1, C, 4, 5)), requires_grad=True)
    w = gd.tensor(rng.standard_normal((C, C, 3, 3)), requires_grad=True)
    b = gd.tensor(rng.standard_normal(C), requires_grad=True)

    def f(x, w, b):
        return F.conv2d(x, w, b, padding=1)

    assert gd.autograd.gradcheck(f, (x, w, b))
    assert gd.autograd.gradgradcheck(f, (x, w, b))


@needs_blas
def test_a_training_step_is_unchanged_by_the_path(monkeypatch):
    """Two SGD steps of a small CNN give the same loss whichever path computes the convs."""

    def losses():
        gd.manual_seed(0)
        net = gd.nn.Sequential(
            gd.nn.Conv2d(C, C, 3, padding=1),
            gd.nn.ReLU(),
            gd.nn.Conv2d(C, 2 * C, 3, padding=1),
            gd.nn.ReLU(),
            gd.nn.Flatten(),
            gd.nn.Linear(2 * C * 36, 3),
        )
        opt = gd.optim.SGD(net.parameters(), lr=0.1)
        x, y = gd.randn(4, C, 6, 6), gd.tensor([0, 1, 2, 1])
        out = []
        for _ in range(3):
            opt.zero_grad()
            loss = F.cross_entropy(net(x), y)
            loss.backward()
            opt.step()
            out.append(loss.item())
        return out

    shifted = losses()
    monkeypatch.setattr(shifted_conv, "enabled", False)
    np.testing.assert_allclose(shifted, losses(), rtol=1e-5)


# ------------------------------------------------------------------------------ _blas.gemm
@needs_blas
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gemm_accumulates_into_a_block_of_rows(dtype):
    rng = np.random.default_rng(1)
    big = rng.standard_normal((20, 7)).astype(dtype)
    a = big[3:15]  # 12 × 7 rows of a larger matrix
    b = rng.standard_normal((7, 5)).astype(dtype)
    c = rng.standard_normal((12, 5)).astype(dtype)
    expected = c + a @ b
    _blas.gemm(a, b, c, beta=1.0)
    np.testing.assert_allclose(c, expected, rtol=1e-5)
    _blas.gemm(a, b, c)  # beta = 0 overwrites
    np.testing.assert_allclose(c, a @ b, rtol=1e-5)
    d = np.empty((7, 5), dtype)
    _blas.gemm(big[2:14], c, d, trans_a=True)
    np.testing.assert_allclose(d, big[2:14].T @ c, rtol=1e-5)


@needs_blas
def test_gemm_rejects_what_blas_cannot_read():
    a = np.ones((4, 3), np.float32)
    with pytest.raises(TypeError):
        _blas.gemm(a, np.ones((3, 2)), np.ones((4, 2), np.float32))
    with pytest.raises(ValueError):
        _blas.gemm(a, np.ones((2, 2), np.float32), np.ones((4, 2), np.float32))
    with pytest.raises(ValueError):  # columns not contiguous
        _blas.gemm(
            np.ones((4, 6), np.float32)[:, ::2],
            np.ones((3, 2), np.float32),
            np.ones((4, 2), np.float32),
        )
    overlapping = np.lib.stride_tricks.as_strided(np.ones(20, np.float32), (4, 3), (4, 4))
    with pytest.raises(ValueError):
        _blas.gemm(overlapping, np.ones((3, 2), np.float32), np.ones((4, 2), np.float32))


@needs_blas
def test_weight_gradient_rows_split_over_four_threads(monkeypatch):
    """With more than one thread the weight gradient's rows go to gradiente's threads in
    blocks (BLAS does not split a product with a small result), each thread taking its rows
    in cache-sized blocks; the sum is the same as one thread's."""
    from gradiente import parallel

    rng = np.random.default_rng(3)
    x, w, b, upstream = _case(rng, 8, C, 40, 40, C, 3, np.float64, padding=1)  # 14,112 rows
    monkeypatch.setitem(parallel._state, "threads", 1)
    monkeypatch.setattr(shifted_conv, "_WEIGHT_GRAD_BLOCK", 1000)  # several blocks a thread
    one = _conv_and_grads(x, w, b, upstream, padding=1)
    blocks = []
    original = parallel.run_chunks

    def counting(work, count, grain=1, min_threads=None):
        original(lambda a, c: blocks.append((a, c)) or work(a, c), count, grain, min_threads)

    monkeypatch.setattr(parallel, "run_chunks", counting)
    monkeypatch.setitem(parallel._state, "threads", 4)
    split = _conv_and_grads(x, w, b, upstream, padding=1)
    assert len(blocks) > 1
    for got, want in zip(split, one):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_an_8x8_convolution_takes_im2col_forward_and_backward(monkeypatch):
    """With the default grid rule neither the forward nor the input gradient (a convolution
    over the gradient on a 9x9 grid) of an 8x8 image takes the shifted path."""
    monkeypatch.setattr(shifted_conv, "MAX_GRID_RATIO", 1.2)
    calls = _count_shifted_convolutions(monkeypatch)
    x = gd.randn(2, C, 8, 8, requires_grad=True)
    w = gd.randn(C, C, 3, 3, requires_grad=True)
    F.conv2d(x, w, padding=1).sum().backward()
    assert calls == []


def test_the_result_is_its_own_dense_array_not_a_view_of_the_reused_grid(monkeypatch):
    """The grid the shifted GEMMs write is a scratch buffer, reused by the next convolution of
    the same shape: the result handed out must be a copy (dense, channels-last), which the
    next call leaves alone."""
    calls = _count_shifted_convolutions(monkeypatch)
    rng = np.random.default_rng(11)
    w = gd.from_numpy(rng.standard_normal((16, 16, 3, 3)).astype(np.float32))
    b = gd.from_numpy(rng.standard_normal(16).astype(np.float32))
    x1, x2 = (
        gd.from_numpy(rng.standard_normal((2, 16, 24, 24)).astype(np.float32)) for _ in range(2)
    )
    y1 = F.conv2d(x1, w, b, padding=1)
    first = y1.numpy().copy()
    F.conv2d(x2, w, b, padding=1)
    assert len(calls) == 2
    np.testing.assert_array_equal(y1.numpy(), first)
    data = y1.numpy()
    assert data.transpose(0, 2, 3, 1).flags.c_contiguous  # dense, channels-last
