"""More of pooling against real torch: fractional max pooling (2-D and 3-D), power-average
pooling, max unpooling and pooling in bfloat16. For each call, the same exception type and
message as torch 2.13 gives, or the same values (bit for bit where the computation allows),
compared at test time."""

import os

import numpy as np
import pytest

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
torch = pytest.importorskip("torch")

import gradiente  # noqa: E402

FRAMEWORKS = {"torch": torch, "gradiente": gradiente}

# Each case is an expression in F (the framework's nn.functional), T (the framework), X(*shape)
# (a float tensor of distinct values), L(*shape) (an int64 tensor) and U(*shape) (samples in
# [0, 1) for fractional pooling). Draws from the default generator are seeded alike.
FRACTIONAL = [
    # torch pools empty windows (k <= 0) to -inf, indexed at the window's start
    "F.fractional_max_pool2d(X(2, 3, 9, 11), 0, output_size=4, return_indices=True)",
    "F.fractional_max_pool2d(X(2, 3, 9, 11), (0, 2), output_size=4, return_indices=True)",
    "F.fractional_max_pool2d(X(2, 3, 9, 11), -1, output_size=4, return_indices=True)",
    "F.fractional_max_pool3d(X(2, 3, 5, 9, 11), 0, output_size=(3, 9, 11), return_indices=True)",
    "F.fractional_max_pool3d(X(2, 3, 5, 9, 11), (1, 0, 2), output_size=(3, 9, 3))",
    # the C++ checks, in torch's order
    "F.fractional_max_pool2d(X(2, 3, 9, 11), (2, 2, 2), output_size=4)",
    "F.fractional_max_pool2d(X(2, 3, 9, 11), (2,), output_size=4)",
    "F.fractional_max_pool2d(X(2, 3, 9, 11), 2, output_size=(4, 4, 4))",
    "F.fractional_max_pool2d(X(2, 3, 9, 11), 2, output_size=(4,))",
    "F.fractional_max_pool3d(X(2, 3, 5, 9, 11), (2, 2), output_size=(2, 3, 3))",
    "F.fractional_max_pool3d(X(2, 3, 5, 9, 11), 2, output_size=(2, 3))",
    "F.fractional_max_pool2d(X(2, 3, 9, 11), 2.0, output_size=4)",
    "F.fractional_max_pool2d(X(2, 3, 9, 11), 2.5, output_size=4)",
    "F.fractional_max_pool2d(X(2, 3, 9, 11), (2.0, 2), output_size=4)",
    "F.fractional_max_pool2d(X(2, 3, 9, 11), 2, output_size=4.0)",
    "F.fractional_max_pool3d(X(2, 3, 5, 9, 11), 2.0, output_size=2)",
    "F.fractional_max_pool2d(X(2, 3, 9, 11), 2, output_size=-1)",
    "F.fractional_max_pool2d(X(2, 3, 9, 11), 2, output_size=(4, -2))",
    "F.fractional_max_pool2d(X(3, 9, 11), 2, output_size=(4, -1))",
    "F.fractional_max_pool3d(X(2, 3, 5, 9, 11), 2, output_size=(-1, 3, 3))",
    "F.fractional_max_pool2d(X(2, 3, 9, 11), 2, output_ratio=(-0.5, 0.5))",
    "F.fractional_max_pool2d(X(2, 3, 9, 11), 12, output_size=-1)",
    "F.fractional_max_pool2d(X(2, 0, 9, 11), 2, output_size=4)",
    "F.fractional_max_pool2d(X(2, 3, 0, 11), 2, output_size=4)",
    "F.fractional_max_pool3d(X(2, 0, 5, 9, 11), 2, output_size=(2, 3, 3))",
    "F.fractional_max_pool3d(X(3, 0, 9, 11), 2, output_size=(2, 3, 3))",
    "F.fractional_max_pool2d(X(1, 2, 3, 9, 11), 2, output_size=4)",
    "F.fractional_max_pool3d(X(2, 3, 5, 9, 11, 2), 2, output_size=(2, 3, 3))",
    "F.fractional_max_pool2d(X(9, 11), 2, output_size=4)",
    "F.fractional_max_pool3d(X(5, 9, 11), 2, output_size=(2, 3, 3))",
    "F.fractional_max_pool2d(T.zeros(()), 2, output_size=(4, 4))",
    "F.fractional_max_pool2d(X(2, 3, 9, 11), 2, output_size=(2, 20))",
    "F.fractional_max_pool3d(X(2, 3, 5, 9, 11), 2, output_size=4)",
    "F.fractional_max_pool3d(X(2, 3, 5, 9, 11), 2, output_size=(3, 8, 9))",
    "F.fractional_max_pool3d(X(2, 3, 5, 9, 11), 2, output_size=(3, 8, 10))",
    "F.fractional_max_pool3d(X(2, 3, 5, 9, 11), 9, output_size=(-2, 3, 3))",
    # empty results and batches
    "F.fractional_max_pool2d(X(2, 3, 9, 11), 2, output_size=(0, 3), return_indices=True)",
    "F.fractional_max_pool3d(X(2, 3, 5, 9, 11), 2, output_size=(0, 3, 3))",
    "F.fractional_max_pool2d(X(0, 3, 9, 11), 2, output_size=4, return_indices=True)",
    "F.fractional_max_pool2d(X(0, 9, 11), 2, output_size=4)",
    "F.fractional_max_pool3d(X(0, 3, 5, 9, 11), 2, output_size=(2, 3, 3))",
    "F.fractional_max_pool3d(X(0, 5, 9, 11), 2, output_size=(2, 3, 3))",
    # _random_samples: checked after the shapes; the windows they pick
    "F.fractional_max_pool2d(X(2, 3, 9, 11), 3, output_size=(5, 6), _random_samples=U(2, 3))",
    "F.fractional_max_pool2d(X(2, 3, 9, 11), 3, output_size=(5, 6), _random_samples=U(2, 4, 2))",
    "F.fractional_max_pool2d(X(2, 3, 9, 11), 3, output_size=(5, 6), _random_samples=U(1, 3, 2))",
    "F.fractional_max_pool2d(X(2, 3, 9, 11), 3, output_size=(5, 6), _random_samples=U(2, 3, 3))",
    "F.fractional_max_pool2d(X(3, 9, 11), 3, output_size=(5, 6), _random_samples=U(3, 2))",
    "F.fractional_max_pool2d(X(3, 9, 11), 3, output_size=(5, 6), _random_samples=U(0, 3, 2))",
    "F.fractional_max_pool2d(X(2, 3, 9, 11), 3, output_size=(5, 6), _random_samples=[0.5])",
    "F.fractional_max_pool2d(X(2, 3, 9, 11), 2, output_size=-1, _random_samples=U(2, 3))",
    "F.fractional_max_pool2d(X(2, 3, 9, 11), 2, output_size=4, _random_samples=U(2, 3, 2).half())",
    "F.fractional_max_pool3d(X(2, 3, 5, 9, 11), 2, (2, 3, 3), _random_samples=U(2, 3))",
    "F.fractional_max_pool3d(X(2, 3, 5, 9, 11), 2, (2, 3, 3), _random_samples=U(1, 3, 3))",
    "F.fractional_max_pool3d(X(2, 3, 5, 9, 11), 2, (2, 3, 3), _random_samples=U(2, 2, 3))",
    "F.fractional_max_pool3d(X(2, 3, 5, 9, 11), 2, (2, 3, 3), _random_samples=U(2, 3, 2))",
    "F.fractional_max_pool2d(X(2, 3, 9, 11), (2, 3), (4, 5), _random_samples=U(4, 3, 2))",
    "F.fractional_max_pool3d(X(2, 3, 5, 9, 11), 2, (2, 3, 4), True, _random_samples=U(3, 3, 3))",
    "F.fractional_max_pool3d(X(3, 5, 9, 11), 2, (2, 3, 4), True, _random_samples=U(1, 3, 3))",
    "F.fractional_max_pool2d(X(2, 3, 9, 11), 2, 4, _random_samples=U(2, 3, 2).requires_grad_())",
    "F.fractional_max_pool3d(X(3, 5, 9, 11), 2, 2, _random_samples=U(3, 3).requires_grad_())",
    # dtypes: floating only (the samples are drawn, or checked, in the input's dtype)
    "F.fractional_max_pool2d(L(2, 3, 9, 11), 3, output_size=(5, 6))",
    "F.fractional_max_pool3d(L(2, 3, 5, 9, 11), 2, (2, 3, 3), _random_samples=L(2, 3, 3))",
    "F.fractional_max_pool2d(X(2, 3, 9, 11).double(), 3, output_size=(5, 6), return_indices=True)",
    "F.fractional_max_pool2d(X(2, 3, 9, 11).half(), 3, output_size=(5, 6), return_indices=True)",
    "F.fractional_max_pool3d(X(2, 3, 5, 9, 11).half(), 2, (2, 3, 3), return_indices=True)",
    "F.fractional_max_pool3d(X(2, 3, 5, 9, 11).double(), 2, (2, 3, 3), return_indices=True)",
    # torch's Python part: output_ratio, non-tensor input
    "F.fractional_max_pool2d(X(2, 3, 9, 11), 2, output_ratio=(0.5, 0.7), return_indices=True)",
    "F.fractional_max_pool2d(X(2, 3, 9, 11), 2, output_ratio=0.5)",
    "F.fractional_max_pool2d(X(2, 3, 9, 11), 2, output_ratio=(0.5, 0.7, 0.2))",
    "F.fractional_max_pool2d(X(2, 3, 9, 11), 2, output_ratio=(0.5,))",
    "F.fractional_max_pool2d(X(2, 3, 9, 11), 2, output_ratio=T.tensor([0.5, 0.5]))",
    "F.fractional_max_pool3d(X(2, 3, 5, 9, 11), 2, output_ratio=0.5, return_indices=True)",
    "F.fractional_max_pool3d(X(2, 3, 5, 9, 11), 2, output_ratio=(0.5, 0.5, 0.5, 0.5))",
    "F.fractional_max_pool3d(X(2, 3, 5, 9, 11), 2, output_ratio=(0.5, 0.5))",
    "F.fractional_max_pool3d(X(2, 3, 5, 9, 11), 2)",
    "F.fractional_max_pool3d([1.0], 2, output_ratio=0.5)",
    "F.fractional_max_pool3d([1.0], 2, output_size=2)",
    "F.fractional_max_pool3d([1.0], 2, output_size=2, _random_samples=U(1, 1, 3))",
    "F.fractional_max_pool3d_with_indices(X(2, 3, 5, 9, 11), 2, output_size=(2, 3, 4))",
    "F.fractional_max_pool2d(X(2, 3, 9, 11) * float('nan'), 2, (4, 4), return_indices=True)",
    "F.fractional_max_pool3d(X(1, 1, 7, 7, 7), 3, output_size=(2, 2, 2), return_indices=True)",
]

LP_POOL = [
    # torch's Python unpacks the kernel size first (lp_pool1d multiplies by it)
    "F.lp_pool2d(X(2, 3, 9, 11), 2, (3,))",
    "F.lp_pool2d(X(2, 3, 9, 11), 2, (3, 3, 3))",
    "F.lp_pool2d(X(2, 3, 9, 11), float('inf'), (3, 3, 3))",
    "F.lp_pool2d(X(2, 3, 9, 11), 2, T.tensor(3))",
    "F.lp_pool3d(X(2, 3, 5, 9, 11), 2, (3,))",
    "F.lp_pool3d(X(2, 3, 5, 9, 11), 2, (3, 3))",
    "F.lp_pool3d(X(2, 3, 5, 9, 11), 2, [2, 3])",
    "F.lp_pool3d(X(2, 3, 5, 9, 11), 2, (3, 3, 3, 3))",
    "F.lp_pool1d(X(2, 3, 11), 2, (3,))",
    "F.lp_pool1d(X(2, 3, 11), 2, [3])",
    "F.lp_pool1d(X(2, 3, 11), 2, (3, 3))",
    "F.lp_pool1d(X(2, 3, 11), float('inf'), (3,))",
    # p = 0: torch's 1 / p
    "F.lp_pool1d(X(2, 3, 11), 0, 3)",
    "F.lp_pool2d(X(2, 3, 9, 11), 0.0, 3)",
    # p = ±inf: the max of |x| (exact)
    "F.lp_pool1d(X(2, 3, 11), float('inf'), 3)",
    "F.lp_pool2d(X(2, 3, 9, 11), -float('inf'), 3, 2, True)",
    "F.lp_pool3d(X(2, 3, 5, 9, 11), float('inf'), 2, ceil_mode=True)",
    "F.lp_pool2d(X(2, 3, 9, 11), 2, 12)",
    "F.lp_pool2d(X(2, 3, 9, 11), 2, 0)",
]

UNPOOL = [
    # torch's Python part: sizes as tuples, the output size and its checks
    "F.max_unpool2d(X(2, 3, 4, 4), P2(2, 3, 4, 4), 2, 2, 5)",
    "F.max_unpool1d(X(2, 3, 4), P1(2, 3, 4), -1)",
    "F.max_unpool3d(X(2, 3, 2, 4, 4), P3(2, 3, 2, 4, 4), 2, -1)",
    "F.max_unpool2d(X(2, 3, 4, 4), P2(2, 3, 4, 4), (2, 2, 2))",
    "F.max_unpool2d(X(2, 3, 4, 4), P2(2, 3, 4, 4), 2, output_size=16)",
    "F.max_unpool2d(X(2, 3, 4, 4), P2(2, 3, 4, 4), 2, output_size=[16, 16])",
    "F.max_unpool2d(X(2, 3, 4, 4), P2(2, 3, 4, 4), 2, output_size=T.Size([16, 16]))",
    "F.max_unpool2d(X(2, 3, 4, 4), P2(2, 3, 4, 4), 2, output_size=T.tensor([16, 16]))",
    "F.max_unpool2d(X(2, 3, 4, 4), P2(2, 3, 4, 4), 2, output_size=[4, 4, 4])",
    "F.max_unpool2d(X(2, 3, 4, 4), P2(2, 3, 4, 4), 2, output_size=[9, 9, 9, 9])",
    "F.max_unpool3d(X(2, 3, 2, 4, 4), P3(2, 3, 2, 4, 4), 2, output_size=(5, 9, 9))",
    "F.max_unpool1d([1.0], P1(2, 3, 4), 2)",
    "F.max_unpool2d(None, P2(2, 3, 4, 4), 2)",
    "F.max_unpool1d(X(2, 3, 4), [1], 2)",
    "F.max_unpool2d(X(2, 3, 4, 4), [1], 2)",
    "F.max_unpool3d(X(2, 3, 2, 4, 4), [1], 2, 1.0)",
    "F.max_unpool2d(X(2, 3, 4, 4), P2(2, 3, 4, 4), 2.0)",
    "F.max_unpool3d(X(2, 3, 2, 4, 4), P3(2, 3, 2, 4, 4), 2, 2, 0.0)",
    # the C++ checks: 2-D (and 1-D, which is 2-D of (..., L, 1)) and 3-D differ in order
    "F.max_unpool2d(X(2, 3, 4, 4), P2(2, 3, 4, 4), (2,))",
    "F.max_unpool2d(X(2, 3, 4), P2(2, 3, 4, 4), (2,))",
    "F.max_unpool2d(X(2, 3, 4, 4), P2(2, 3, 4, 4).int(), (2,))",
    "F.max_unpool3d(X(2, 3, 2, 4, 4), P3(2, 3, 2, 4, 4), (2,), 0)",
    "F.max_unpool3d(X(2, 3, 2, 4, 4), P3(2, 3, 2, 4, 4).int(), 2, (0, 0, 0, 0))",
    "F.max_unpool3d(X(2, 3, 2, 2, 4, 4), P3(2, 3, 2, 2, 4, 4), 2, (1, 1, 1, 1))",
    "F.max_unpool3d(X(2, 3, 2, 4, 4), P3(2, 3, 2, 4, 4), 2, (1, 1, 1, 1))",
    "F.max_unpool3d(X(2, 3, 2, 4, 4), P3(2, 3, 2, 4, 4), 2, 1, (0, 0, 0, 0))",
    "F.max_unpool3d(X(2, 3, 2, 4, 4), P3(2, 3, 2, 4, 2), 2, (1, 1, 1, 1))",
    "F.max_unpool3d(X(2, 3, 2, 4, 4), P3(2, 3, 2, 4, 2), 2, 0)",
    "F.max_unpool3d(X(2, 0, 2, 4, 4), P3(2, 0, 2, 4, 4), 2, 0)",
    "F.max_unpool3d(X(2, 3, 2, 4, 4), P3(2, 3, 2, 4, 4), 2, 0)",
    "F.max_unpool3d(X(2, 3, 2, 4, 4), P3(2, 3, 2, 4, 4), 2, (1, 0, 1))",
    "F.max_unpool3d(X(3, 2, 4, 4), P3(3, 2, 4, 4), 2, (1, -1, 1))",
    "F.max_unpool3d(X(0, 3, 2, 4, 4), P3(0, 3, 2, 4, 4), 2, 0)",
    "F.max_unpool3d(X(2, 3, 2, 4, 4).long(), P3(2, 3, 2, 4, 4), 2, 0)",
    "F.max_unpool3d(X(2, 3, 2, 4, 4).long(), P3(2, 3, 2, 4, 4))",
    "F.max_unpool2d(X(2, 3, 4, 4).int(), P2(2, 3, 4, 4), 2)",
    "F.max_unpool1d(X(2, 3, 4).bool(), P1(2, 3, 4), 2)",
    "F.max_unpool2d(X(3, 0, 4), P2(3, 0, 4), 2)",
    "F.max_unpool1d(X(2, 0, 4), P1(2, 0, 4), 2)",
    "F.max_unpool3d(X(2, 0, 4, 4), P3(2, 0, 4, 4), 2)",
    "F.max_unpool3d(X(2, 3, 3), P3(2, 3, 3), 2)",
    # stride 0 (1-D, 2-D): no check, the indices are then out of range (one invalid value)
    "F.max_unpool2d(X(2, 3, 4, 4), P2(2, 3, 4, 4) * 0 + 9, 2, 0)",
    "F.max_unpool1d(X(2, 3, 4), P1(2, 3, 4) * 0 + 5, 2, (0,))",
    "F.max_unpool3d(X(2, 3, 2, 4, 4), P3(2, 3, 2, 4, 4) * 0 - 1, 2)",
    # values: empty outputs and batches, sizes given with N and C, unbatched
    "F.max_unpool1d(X(2, 3, 4), P1(2, 3, 4), 0)",
    "F.max_unpool2d(X(2, 3, 4, 4), P2(2, 3, 4, 4), 0)",
    "F.max_unpool2d(X(0, 2, 2), P2(0, 2, 2), 2)",
    "F.max_unpool3d(X(0, 2, 2, 2), P3(0, 2, 2, 2), 2)",
    "F.max_unpool2d(X(3, 4, 4), P2(3, 4, 4), 2, output_size=(9, 9))",
    "F.max_unpool2d(X(2, 3, 4, 4), P2(2, 3, 4, 4), 2, output_size=(2, 3, 9, 9))",
    "F.max_unpool3d(X(2, 3, 2, 4, 4), P3(2, 3, 2, 4, 4) * 0, 2, 1, 1)",
    "F.max_unpool3d(X(2, 3, 2, 4, 4), P3(2, 3, 2, 4, 4) * 0, 2, (1, 1, 1), (-1, 0, 0))",
    "F.max_unpool1d(X(2, 3, 4).half(), P1(2, 3, 4), 2, output_size=[9])",
    "F.max_unpool2d(X(2, 3, 4, 4).bfloat16(), P2(2, 3, 4, 4), 2)",
    "F.max_unpool3d(X(2, 3, 2, 4, 4).bfloat16(), P3(2, 3, 2, 4, 4), 2)",
]


def _pool_indices(mod, n, shape):
    """Valid unpooling indices for input ``shape``: max_pool{n}d(·, 2)'s of a doubled input."""
    big = (*shape[:-n], *(2 * s for s in shape[-n:]))
    a = np.random.RandomState(7).standard_normal(big).astype("float32")
    pool = getattr(mod.nn.functional, f"max_pool{n}d")
    if 0 in big:
        return mod.zeros(shape, dtype=mod.int64)
    return pool(mod.tensor(a), 2, return_indices=True)[1]


def _env(mod):
    def X(*shape):
        n = int(np.prod(shape))
        a = np.random.RandomState(n).permutation(max(n, 1))[:n].astype("float32") / 3 - 1
        return mod.tensor(a.reshape(shape))

    def L(*shape):
        return mod.tensor(np.arange(int(np.prod(shape))).reshape(shape) % 3)

    def U(*shape):
        a = np.random.RandomState(sum(shape)).random_sample(shape).astype("float32")
        return mod.tensor(a)

    env = {"F": mod.nn.functional, "T": mod, "X": X, "L": L, "U": U}
    for n in (1, 2, 3):
        env[f"P{n}"] = lambda *shape, n=n: _pool_indices(mod, n, shape)
    return env


def _run(expr, fw):
    mod = FRAMEWORKS[fw]
    mod.manual_seed(0)
    try:
        return "ok", eval(expr, _env(mod))  # noqa: S307 - the cases above
    except Exception as e:  # noqa: BLE001 - the exception is the result compared
        return "error", (type(e).__name__, str(e))


def _arrays(out):
    if isinstance(out, (tuple, list)):
        return [_arrays(v) for v in out]
    out = out.detach()
    return out.float().numpy() if out.dtype == out.new_zeros(()).bfloat16().dtype else out.numpy()


def _compare(expr, exact=True):
    want, got = _run(expr, "torch"), _run(expr, "gradiente")
    assert got[0] == want[0], (want, got)
    if want[0] == "error":
        assert got[1] == want[1]
        return
    a, b = _arrays(want[1]), _arrays(got[1])
    for x, y in zip(a if isinstance(a, list) else [a], b if isinstance(b, list) else [b]):
        assert x.shape == y.shape and x.dtype == y.dtype
        if exact or x.dtype.kind != "f":
            np.testing.assert_array_equal(x, y)
        else:  # torch's pow and avg_pool2d round some float32 results otherwise (one ulp)
            np.testing.assert_allclose(x, y, rtol=2e-6, atol=0)


@pytest.mark.parametrize("expr", FRACTIONAL)
def test_fractional_max_pool_matches_torch(expr):
    _compare(expr)


@pytest.mark.parametrize("expr", LP_POOL)
def test_lp_pool_matches_torch(expr):
    _compare(expr)


@pytest.mark.parametrize("expr", UNPOOL)
def test_max_unpool_matches_torch(expr):
    _compare(expr)


# ---------------------------------------------------------------------------- gradients
def _grads(expr, fw, weights):
    """(output, input gradient) of ``expr`` in terms of G, a leaf that requires grad."""
    mod = FRAMEWORKS[fw]
    mod.manual_seed(0)
    env = _env(mod)
    leaf = env["X"](*weights[0]).to(getattr(mod, weights[1])).requires_grad_(True)
    env["G"] = leaf
    out = eval(expr, env)  # noqa: S307 - the cases below
    out = out[0] if isinstance(out, tuple) else out
    w = np.linspace(-1, 1, out.numel()).reshape(tuple(out.shape)).astype("float32")
    (out * mod.tensor(w).to(out.dtype)).sum().backward()
    return out.detach().float().numpy(), leaf.grad.float().numpy()


GRADIENTS = [
    ("F.fractional_max_pool2d(G, 3, output_size=(5, 6))", (2, 3, 9, 11), "float32"),
    ("F.fractional_max_pool2d(G, 2, output_ratio=[0.5, 0.5])", (3, 9, 11), "float32"),
    ("F.fractional_max_pool2d(G, 3, output_size=(7, 9))", (2, 3, 9, 11), "float64"),
    ("F.fractional_max_pool2d(G, 2, output_size=(5, 6))", (2, 3, 9, 11), "float16"),
    ("F.fractional_max_pool3d(G, 2, output_size=(3, 5, 6))", (2, 3, 5, 9, 11), "float32"),
    ("F.fractional_max_pool3d(G, 3, output_size=(2, 6, 8))", (3, 5, 9, 11), "float32"),
    ("F.fractional_max_pool3d(G, 2, output_ratio=0.5)", (2, 3, 5, 9, 11), "float64"),
    ("F.max_unpool1d(G, P1(2, 3, 4), 2, output_size=[9])", (2, 3, 4), "float32"),
    ("F.max_unpool2d(G, P2(3, 4, 4), 2, output_size=(9, 9))", (3, 4, 4), "float32"),
    ("F.max_unpool3d(G, P3(2, 3, 2, 4, 4), 2)", (2, 3, 2, 4, 4), "float32"),
    ("F.max_unpool2d(G, P2(2, 3, 4, 4), 2)", (2, 3, 4, 4), "bfloat16"),
]
LP_GRADIENTS = [
    ("F.lp_pool1d(G, 2, 3, 2, True)", (2, 3, 11), "float32"),
    ("F.lp_pool2d(G, -1, 3)", (2, 3, 9, 11), "float32"),
    ("F.lp_pool2d(G, 1.5, (2, 3), ceil_mode=True)", (2, 3, 9, 11), "float32"),
    ("F.lp_pool2d(G, float('inf'), 3, 2, True)", (2, 3, 9, 11), "float32"),
    ("F.lp_pool3d(G, 2, 2, ceil_mode=True)", (2, 3, 5, 9, 11), "float32"),
    ("F.lp_pool3d(G, -float('inf'), (2, 3, 2))", (2, 3, 5, 9, 11), "float64"),
]


@pytest.mark.parametrize("expr, shape, dtype", GRADIENTS)
def test_gradients_equal_torch(expr, shape, dtype):
    (y1, g1), (y2, g2) = (_grads(expr, fw, (shape, dtype)) for fw in ("torch", "gradiente"))
    np.testing.assert_array_equal(y2, y1)
    np.testing.assert_array_equal(g2, g1)


@pytest.mark.parametrize("expr, shape, dtype", LP_GRADIENTS)
def test_lp_pool_values_and_gradients_close_to_torch(expr, shape, dtype):
    """Values and gradients agree to float32 rounding: torch's pow and avg_pool2d round some
    results to the neighbouring float."""
    (y1, g1), (y2, g2) = (_grads(expr, fw, (shape, dtype)) for fw in ("torch", "gradiente"))
    np.testing.assert_allclose(y2, y1, rtol=2e-6, atol=0)
    np.testing.assert_allclose(g2, g1, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("n, shape", [(2, (4, 16, 20, 20)), (3, (2, 5, 6, 9, 11))])
def test_fractional_samples_drawn_as_torch(n, shape):
    """Without _random_samples both draw rand(N, C, n) from the seeded default generator:
    the same windows, maxima and indices."""
    out = []
    for mod in (torch, gradiente):
        mod.manual_seed(3)
        x = mod.tensor(np.random.RandomState(1).standard_normal(shape).astype("float32"))
        f = getattr(mod.nn.functional, f"fractional_max_pool{n}d")
        y, idx = f(x, 2, output_ratio=(0.6,) * n, return_indices=True)
        out.append((y.numpy(), idx.numpy(), mod.rand(1).item()))  # the generator moved alike
    for a, b in zip(*out):
        np.testing.assert_array_equal(b, a)


# ---------------------------------------------------------------------------- bfloat16
def _bits(t):
    if isinstance(t, torch.Tensor):
        return t.detach().contiguous().view(torch.int16).numpy()
    return t._data.view(np.int16)


def _fractional_bf16(F, mod, x, n):
    u = np.random.RandomState(x.shape[-1]).random_sample((*x.shape[:2], n)).astype("float32")
    u = mod.tensor(u).bfloat16()
    size = (x.shape[-2] // 2, x.shape[-1] // 2 + 1)
    if n == 3:
        size = (x.shape[-3] // 2, *size)
    pool = getattr(F, f"fractional_max_pool{n}d")
    return pool(x, 2 if n == 3 else 3, size, return_indices=True, _random_samples=u)


BF16_FORWARD = {
    "avg_pool2d": lambda F, m, x: F.avg_pool2d(x, 3, 2, 1),
    "avg_pool2d_divisor": lambda F, m, x: F.avg_pool2d(x, 3, 1, 1, divisor_override=7),
    "avg_pool2d_no_pad": lambda F, m, x: F.avg_pool2d(x, 5, 1, 2, True, False),
    "avg_pool1d": lambda F, m, x: F.avg_pool1d(x.flatten(2), 3, 2, 1),
    "adaptive_avg_pool2d": lambda F, m, x: F.adaptive_avg_pool2d(x, (5, 7)),
    "adaptive_avg_pool2d_even": lambda F, m, x: F.adaptive_avg_pool2d(x, (x.shape[-2] // 3, 1)),
    "adaptive_avg_pool1d": lambda F, m, x: F.adaptive_avg_pool1d(x.flatten(2), 7),
    "adaptive_max_pool2d": lambda F, m, x: F.adaptive_max_pool2d(x, (5, 7), True),
    "adaptive_max_pool1d": lambda F, m, x: F.adaptive_max_pool1d(x.flatten(2), 7, True),
    "max_pool1d": lambda F, m, x: F.max_pool1d(x.flatten(2), 3, 1),
    "max_pool3d": lambda F, m, x: F.max_pool3d(x.unsqueeze(2).repeat(1, 1, 3, 1, 1), 2, 1, 1),
    "adaptive_max_pool3d": lambda F, m, x: F.adaptive_max_pool3d(
        x.unsqueeze(2).repeat(1, 1, 3, 1, 1), (2, 3, 4), True
    ),
    "fractional_max_pool2d": lambda F, m, x: _fractional_bf16(F, m, x, 2),
    "fractional_max_pool3d": lambda F, m, x: _fractional_bf16(
        F, m, x.unsqueeze(2).repeat(1, 1, 4, 1, 1), 3
    ),
}
BF16_SHAPES = [(2, 3, 9, 11), (4, 16, 20, 20), (2, 64, 56, 56), (3, 5, 17, 31)]


@pytest.mark.parametrize("name", sorted(BF16_FORWARD))
def test_bfloat16_pooling_forward_bits_equal_torch(name):
    """Each window's float32 sum (in torch's order, divided as torch divides) or maximum,
    rounded once: torch's bits on many shapes and scales (NaN anywhere: a NaN)."""
    f = BF16_FORWARD[name]
    for seed, shape in enumerate(BF16_SHAPES * 2):
        rng = np.random.default_rng(seed)
        a = (rng.standard_normal(shape) * 10.0 ** (seed % 3 - 1)).astype("float32")
        if seed == len(BF16_SHAPES):
            a[rng.random(shape) < 0.01] = np.nan
        theirs = f(torch.nn.functional, torch, torch.tensor(a).bfloat16())
        ours = f(gradiente.nn.functional, gradiente, gradiente.tensor(a).bfloat16())
        theirs = theirs if isinstance(theirs, tuple) else (theirs,)
        ours = ours if isinstance(ours, tuple) else (ours,)
        assert ours[0].dtype == gradiente.bfloat16
        t, o = _bits(theirs[0]), _bits(ours[0])
        nan = ((t & 0x7F80) == 0x7F80) & ((t & 0x7F) != 0)
        assert np.array_equal(o[~nan], t[~nan]) and np.all((o[nan] & 0x7F80) == 0x7F80)
        if len(theirs) > 1:
            np.testing.assert_array_equal(ours[1].numpy(), theirs[1].numpy())


def test_bfloat16_pooling_channels_last_bits_equal_torch():
    a = np.random.default_rng(5).standard_normal((2, 8, 13, 15)).astype("float32")
    t = torch.tensor(a).bfloat16().to(memory_format=torch.channels_last)
    g = gradiente.tensor(a).bfloat16().to(memory_format=gradiente.channels_last)
    for f in (BF16_FORWARD["avg_pool2d_no_pad"], BF16_FORWARD["adaptive_avg_pool2d"]):
        assert np.array_equal(
            _bits(f(gradiente.nn.functional, gradiente, g)), _bits(f(torch.nn.functional, torch, t))
        )


@pytest.mark.parametrize(
    "call",
    [  # (avg_pool2d, max_pool3d, adaptive avg/max pooling: tests/reduced_precision)
        lambda F, x: F.fractional_max_pool2d(x, 2, (4, 5)),
    ],
)
def test_bfloat16_pooling_backward_refused(call):
    """torch adds overlapping windows' gradients in bfloat16, one rounding per addition: not
    reproduced, so the backward raises (the forward alone is torch's)."""
    x = gradiente.randn(2, 3, 8, 9).bfloat16().requires_grad_(True)
    y = call(gradiente.nn.functional, x)
    with pytest.raises(RuntimeError, match="not implemented for 'BFloat16'"):
        y.float().sum().backward()


@pytest.mark.parametrize(
    "expr",
    [
        "F.avg_pool3d(X(2, 3, 5, 9, 11).bfloat16(), 2)",
        "F.adaptive_avg_pool3d(X(2, 3, 5, 9, 11).bfloat16(), 1)",
    ],
)
def test_bfloat16_3d_average_as_torch(expr):
    _compare(expr)


def test_bfloat16_adaptive_avg_pool3d_as_torch():
    """torch's bfloat16 kernel sums in bfloat16: reproduced (tests/reduced_precision; it
    was refused)."""
    _compare("F.adaptive_avg_pool3d(X(2, 3, 5, 9, 11).bfloat16(), (2, 3, 4))")
