"""``set_gemm_threading("gradiente")``: BLAS single-threaded, large matrix products cut into
blocks of rows over gradiente's own threads (ops/gemm.py). The results must be those of
"blas" threading; the split must really happen; the setting must reach BLAS. The default,
"auto", is "blas" until the first CPU convolution and "gradiente" from then on."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

import gradiente as gd
import gradiente.nn.functional as F
from gradiente import parallel
from gradiente.functions import settings
from gradiente.ops import gemm, shifted_conv


@pytest.fixture
def gradiente_threading():
    """Two threads, products on gradiente's pool; the previous settings restored after."""
    before_mode, before_threads = parallel.gemm_threading_mode(), parallel.num_threads()
    gd.set_num_threads(2)
    settings.set_gemm_threading("gradiente")
    yield
    settings.set_gemm_threading(before_mode)
    gd.set_num_threads(before_threads)


def _blas_threads():
    from threadpoolctl import threadpool_info

    return [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]


def _count_splits(monkeypatch):
    calls = []
    original = parallel.run_chunks

    def counting(work, count, grain=1, min_threads=None):
        pieces = []
        original(lambda a, b: pieces.append((a, b)) or work(a, b), count, grain, min_threads)
        calls.append(len(pieces))

    monkeypatch.setattr(parallel, "run_chunks", counting)
    return calls


def test_the_setting_reaches_blas_and_get_num_threads(gradiente_threading):
    assert parallel.gemm_threading() == "gradiente"
    assert gd.get_num_threads() == 2
    assert set(_blas_threads()) <= {1}
    settings.set_gemm_threading("blas")
    assert set(_blas_threads()) <= {2}
    with pytest.raises(ValueError, match="'blas' or 'gradiente'"):
        settings.set_gemm_threading("openmp")


def test_matmul_and_matmul_tn_split_and_equal_numpy(gradiente_threading, monkeypatch):
    calls = _count_splits(monkeypatch)
    rng = np.random.default_rng(0)
    a = rng.standard_normal((1024, 300)).astype(np.float32)
    b = rng.standard_normal((300, 40)).astype(np.float32)
    np.testing.assert_allclose(gemm.matmul(a, b), a @ b, rtol=1e-5, atol=1e-4)
    c = rng.standard_normal((1024, 40)).astype(np.float32)
    np.testing.assert_allclose(gemm.matmul_tn(a, c), a.T @ c, rtol=1e-4, atol=1e-3)
    assert calls == [2, 2]  # both cut in two blocks of rows
    small = rng.standard_normal((8, 3)).astype(np.float32)
    np.testing.assert_array_equal(gemm.matmul(small, small.T), small @ small.T)
    assert calls == [2, 2]  # a small product is one call


def _train_losses(model_fn, x, y, steps=3):
    gd.manual_seed(0)
    model = model_fn()
    opt = gd.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses, [p.detach().numpy().copy() for p in model.parameters()]


def _cnn():
    nn = gd.nn
    return nn.Sequential(
        nn.Conv2d(3, 16, 3, padding=1),  # im2col (3 input channels)
        nn.ReLU(),
        nn.Conv2d(16, 16, 3, padding=1),  # shifted GEMMs
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(16 * 8 * 8, 64),
        nn.ReLU(),
        nn.Linear(64, 10),
    )


def test_a_cnn_trains_to_the_same_numbers(monkeypatch):
    gd.manual_seed(1)
    x, y = gd.randn(64, 3, 16, 16), gd.randint(0, 10, (64,))
    monkeypatch.setattr(shifted_conv, "MAX_GRID_RATIO", 2.0)  # 16x16 images take the path
    before_mode, before_threads = parallel.gemm_threading_mode(), parallel.num_threads()
    try:
        settings.set_gemm_threading("blas")
        blas_losses, blas_params = _train_losses(_cnn, x, y)
        gd.set_num_threads(2)
        settings.set_gemm_threading("gradiente")
        calls = _count_splits(monkeypatch)
        losses, params = _train_losses(_cnn, x, y)
    finally:
        settings.set_gemm_threading(before_mode)
        gd.set_num_threads(before_threads)
    assert max(calls) == 2  # products and memory-bound work were split in two
    np.testing.assert_allclose(losses, blas_losses, rtol=1e-5)
    for p, q in zip(params, blas_params):
        np.testing.assert_allclose(p, q, rtol=1e-4, atol=1e-5)


def test_the_environment_variable_sets_it_at_import():
    code = (
        "import gradiente, threadpoolctl; from gradiente import parallel; "
        "print(parallel.gemm_threading(), "
        "[p['num_threads'] for p in threadpoolctl.threadpool_info() if p['user_api'] == 'blas'])"
    )
    env = dict(os.environ, GRADIENTE_GEMM_THREADS="gradiente")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    mode, threads = out.stdout.split(" ", 1)
    assert mode == "gradiente"
    assert threads.strip() in ("[1]", "[]")


def _blas_threads_in_a_new_process(code: str, mode: str | None) -> list[str]:
    env = dict(os.environ)
    env.pop("GRADIENTE_GEMM_THREADS", None)
    if mode is not None:
        env["GRADIENTE_GEMM_THREADS"] = mode
    prelude = (
        "import gradiente as gd, threadpoolctl; from gradiente import parallel; "
        "blas = lambda: [p['num_threads'] for p in threadpoolctl.threadpool_info() "
        "if p['user_api'] == 'blas']; gd.set_num_threads(2); "
    )
    out = subprocess.run(
        [sys.executable, "-c", prelude + code], capture_output=True, text=True, env=env
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.split()


def test_auto_passes_the_threads_to_gradiente_at_the_first_convolution():
    code = (
        "print(parallel.gemm_threading_mode(), parallel.gemm_threading(), *blas()); "
        "gd.nn.functional.linear(gd.randn(4, 3), gd.randn(2, 3)); "
        "print(parallel.gemm_threading(), *blas()); "
        "gd.nn.functional.conv1d(gd.randn(1, 2, 8), gd.randn(3, 2, 3)); "
        "print(parallel.gemm_threading(), *blas(), gd.get_num_threads())"
    )
    words = _blas_threads_in_a_new_process(code, None)
    blas_before = words[2:3]  # [] where threadpoolctl sees no BLAS
    assert words[:2] == ["auto", "blas"]
    if blas_before:
        assert words[2:] == ["2", "blas", "2", "gradiente", "1", "2"]
    # an explicit "blas" keeps BLAS's threads after convolutions too
    code = "gd.nn.functional.conv2d(gd.randn(1, 1, 5, 5), gd.randn(1, 1, 3, 3)); "
    code += "print(parallel.gemm_threading(), *blas())"
    words = _blas_threads_in_a_new_process(code, "blas")
    assert words[0] == "blas" and words[1:] in ([], ["2"])


def test_auto_splits_memory_bound_work_once_gradiente_runs_the_threads(monkeypatch):
    """Before the first convolution "auto" leaves 2 threads to BLAS (no split of ours); from
    then on memory-bound work is cut in two, as in "gradiente" mode."""
    monkeypatch.setitem(parallel._state, "gemm", "auto")
    monkeypatch.setitem(parallel._state, "convolutions", False)
    monkeypatch.setitem(parallel._state, "threads", 2)
    seen = []
    parallel.run_chunks(lambda a, b: seen.append((a, b)), 10)
    assert seen == [(0, 10)]
    monkeypatch.setitem(parallel._state, "convolutions", True)
    seen.clear()
    parallel.run_chunks(lambda a, b: seen.append((a, b)), 10)
    assert sorted(seen) == [(0, 5), (5, 10)]


@pytest.mark.parametrize("threading", ["blas", "gradiente"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("transposed", [False, True])
def test_matmul_tn_of_many_rows_sums_cache_sized_blocks(threading, dtype, transposed):
    """aᵀb over 3.3 blocks of rows (gemm.TN_BLOCK) equals NumPy's, for C-ordered rows and for
    a transposed view (im2col's one-channel columns), whoever runs the threads."""
    before_mode, before_threads = parallel.gemm_threading_mode(), parallel.num_threads()
    gd.set_num_threads(2)
    settings.set_gemm_threading(threading)
    try:
        rng = np.random.default_rng(3)
        rows = int(gemm.TN_BLOCK * 3.3)
        a = rng.standard_normal((rows, 25)).astype(dtype)
        if transposed:
            a = np.ascontiguousarray(a.T).T
        b = rng.standard_normal((rows, 6)).astype(dtype)
        got = gemm.matmul_tn(a, b)
        expected = a.astype(np.float64).T @ b.astype(np.float64)
        tol = 1e-4 if dtype == np.float32 else 1e-11
        np.testing.assert_allclose(got, expected, rtol=tol, atol=tol * np.sqrt(rows))
        assert got.dtype == dtype and got.shape == (25, 6)
        np.testing.assert_array_equal(gemm.matmul_tn(a, b), got)  # the same sum every run
    finally:
        settings.set_gemm_threading(before_mode)
        gd.set_num_threads(before_threads)


def test_convolution_copies_split_over_many_threads_give_the_same_arrays(monkeypatch):
    """The memory-bound passes around the shifted convolution (the image laid on its grid,
    zero padding, the result copied out with its bias) run over runs of images on every
    thread; with 7 threads (uneven runs) they must equal the one-thread arrays exactly."""
    from gradiente.ops import conv as conv_ops
    from gradiente.ops.im2col import _Geometry, _pad_nhwc

    rng = np.random.default_rng(0)
    image = rng.standard_normal((9, 6, 5, 16)).astype(np.float32)
    bias = rng.standard_normal(16).astype(np.float32)
    geom = _Geometry((3, 3), (1, 1), (1, 2, 1, 0), (1, 1), 1, (6, 5), (7, 4), 2)

    def arrays():
        grid = shifted_conv.to_grid(image, geom)[0].copy()
        padded = _pad_nhwc(image, (2, 1, 0, 3)).copy()
        dense = conv_ops._dense_result(image[:, 1:, :4], bias)
        plain = conv_ops._dense_result(image[:, 1:, :4], None)
        return grid, padded, dense, plain

    monkeypatch.setitem(parallel._state, "gemm", "gradiente")
    monkeypatch.setitem(parallel._state, "threads", 1)
    one = arrays()
    monkeypatch.setitem(parallel._state, "threads", 7)
    monkeypatch.setattr(parallel, "SPLIT_BYTES", 1024)
    calls = _count_splits(monkeypatch)
    many = arrays()
    assert len(calls) == 4 and min(calls) > 1  # every pass was split
    for a, b in zip(one, many):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(one[2], image[:, 1:, :4] + bias)
