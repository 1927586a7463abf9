"""Pooling's errors and edge cases against real torch: for each call, the same exception type
and message as torch 2.13 gives (or the same values), compared at test time."""

import os

import numpy as np
import pytest

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
torch = pytest.importorskip("torch")

import gradiente  # noqa: E402

FRAMEWORKS = {"torch": torch, "gradiente": gradiente}

# Each case is an expression in F (the framework's nn.functional), X(*shape) (a float tensor),
# L(*shape) (an int64 tensor), and G(*shape) (a float tensor that requires grad).
CASES = [
    # window pooling: shape checks in torch's order
    "F.max_pool2d(X(2, 3, 9, 11), 3, padding=2)",
    "F.avg_pool2d(X(2, 3, 9, 11), 3, padding=2)",
    "F.avg_pool2d(X(2, 4, 9, 11), 12)",
    "F.max_pool2d(X(2, 4, 9, 11), 12)",
    "F.max_pool2d(X(2, 3, 9, 11), 2, stride=0)",
    "F.avg_pool2d(X(2, 3, 9, 11), 2, stride=0)",
    "F.max_pool2d(X(2, 3, 9, 11), 2, dilation=0)",
    "F.max_pool2d(X(2, 3, 9, 11), 0)",
    "F.avg_pool2d(X(2, 3, 9, 11), -1)",
    "F.max_pool2d(X(2, 3, 9, 11), 3, padding=2, dilation=2)",
    "F.max_pool2d(X(2, 3, 9, 11), 3, padding=-1)",
    "F.max_pool2d(X(2, 3, 9, 11), (2, 2, 2))",
    "F.max_pool2d(X(2, 3, 9, 11), 2, (1, 1, 1))",
    "F.avg_pool2d(X(2, 3, 9, 11), 2, 1, (0, 0, 0))",
    "F.max_pool2d(X(9, 11), 2)",
    "F.avg_pool2d(X(9, 11), 2)",
    "F.avg_pool2d(X(11), 2)",
    "F.max_pool2d(X(0, 9, 11), 2)",
    "F.max_pool2d(X(2, 0, 9, 11), 2)",
    "F.avg_pool2d(X(2, 3, 9, 11), 2, divisor_override=0)",
    "F.max_pool1d(X(2, 3, 5), 10)",
    "F.max_pool1d(G(2, 3, 5), 10)",
    "F.max_pool1d(X(2, 3, 5), 3, padding=2)",
    "F.max_pool1d(X(2, 3, 5), 10, return_indices=True)",
    "F.max_pool1d(X(7), 2)",
    "F.max_pool1d(X(7), 2, return_indices=True)",
    "F.max_pool1d(X(2, 3, 7), (2, 2))",
    "F.max_pool1d(X(2, 0, 7), 2)",
    "F.max_pool1d(X(2, 3, 7), 4, 1, 0, 3)",
    "F.avg_pool1d(X(2, 3, 5), 10)",
    "F.avg_pool1d(X(2, 3, 5), 3, padding=2)",
    "F.avg_pool1d(X(7), 2)",
    "F.avg_pool1d(X(2, 3, 7), (2, 2))",
    "F.avg_pool3d(X(2, 3, 5, 6, 7), 6)",
    "F.max_pool3d(X(2, 3, 5, 6, 7), 6)",
    "F.avg_pool3d(X(2, 3, 5, 6, 7), 8, padding=4)",
    "F.avg_pool3d(X(2, 3, 5, 6, 7), 3, padding=-1)",
    "F.max_pool3d(X(2, 3, 5, 6, 7), 3, padding=2, dilation=2)",
    "F.max_pool3d(X(5, 6, 7), 2)",
    "F.avg_pool3d(X(5, 6, 7), 2, divisor_override=0)",
    "F.max_pool3d(X(2, 0, 5, 6, 7), 2)",
    "F.avg_pool3d(X(2, 2, 5, 0, 7), 2)",
    "F.max_pool3d(X(2, 2, 5, 6, 7), (2, 2))",
    "F.avg_pool3d(X(2, 2, 5, 6, 7), 2, (1, 1))",
    "F.avg_pool3d(X(2, 2, 5, 6, 7).half(), 2)",
    # the argument parser's TypeErrors
    "F.max_pool2d([[1.0]], 2)",
    "F.max_pool2d(X(2, 3, 9, 11), 2.0)",
    "F.max_pool2d(X(2, 3, 9, 11), (2.0, 2))",
    "F.max_pool2d(X(2, 3, 9, 11), 2, ceil_mode=1)",
    "F.max_pool2d(X(2, 3, 9, 11), 2.0, return_indices=True)",
    "F.avg_pool2d(X(2, 3, 9, 11), 2, divisor_override=2.5)",
    "F.avg_pool1d(None, 2)",
    "F.max_pool3d(X(2, 2, 5, 6, 7), '2')",
    # edge values
    "F.max_pool3d(X(0, 2, 5, 6, 7), 2)",
    "F.max_pool3d(X(0, 2, 5, 6, 7), 2, return_indices=True)",
    "F.avg_pool2d(X(2, 3, 7, 8).half(), 3, 2, 1)",
    "F.avg_pool1d(X(2, 3, 7).half(), 3, 2, 1)",
    # adaptive pooling
    "F.adaptive_avg_pool2d(X(2, 3, 9, 11), (2, 2, 2))",
    "F.adaptive_max_pool2d(X(2, 3, 9, 11), (2, 2, 2))",
    "F.adaptive_avg_pool1d(X(2, 3, 5), (2, 2))",
    "F.adaptive_max_pool1d(X(2, 3, 5), (2, 2))",
    "F.adaptive_avg_pool2d(X(2, 3, 9, 11), -1)",
    "F.adaptive_avg_pool1d(X(2, 3, 5), -1)",
    "F.adaptive_avg_pool3d(X(2, 2, 5, 6, 7), -1)",
    "F.adaptive_max_pool2d(X(2, 3, 9, 11), -1)",
    "F.adaptive_max_pool3d(X(2, 2, 5, 6, 7), -1)",
    "F.adaptive_avg_pool2d(X(9, 11), 2)",
    "F.adaptive_avg_pool2d(X(9, 11), 1)",
    "F.adaptive_avg_pool2d(X(11), (2, None))",
    "F.adaptive_avg_pool2d(L(2, 3, 4, 4), 1)",
    "F.adaptive_avg_pool2d(L(2, 3, 4, 4), 0)",
    "F.adaptive_max_pool2d(L(2, 3, 4, 4), 0)",
    "F.adaptive_max_pool2d(X(2, 0, 3, 3), 2)",
    "F.adaptive_max_pool1d(X(2, 0, 7), 2)",
    "F.adaptive_avg_pool2d(X(2, 3, 9, 11), 2.5)",
    "F.adaptive_avg_pool2d([1.0], 2)",
    "F.adaptive_avg_pool1d([1.0], 2)",
    "F.adaptive_avg_pool3d(X(2, 2, 5, 6, 7), 0)",
    "F.adaptive_avg_pool3d(L(2, 2, 5, 6, 7), 0)",
    "F.adaptive_avg_pool3d(X(2, 0, 5, 6, 7), 2)",
    "F.adaptive_avg_pool3d(X(5, 6, 7), (2, 2, 2))",
    "F.adaptive_max_pool3d(X(0, 2, 5, 6, 7), 2)",
    "F.adaptive_max_pool3d(X(2, 2, 5, 6, 7), (2, 2))",
    "F.adaptive_avg_pool2d(X(2, 3, 7, 8).half(), 3)",
    # max unpooling
    "F.max_unpool2d(X(1, 1, 2, 2), X(1, 1, 2, 2), 2)",
    "F.max_unpool1d(X(1, 2, 2), L(1, 2, 2).int(), 2)",
    "F.max_unpool3d(X(1, 2, 2, 2, 2), X(1, 2, 2, 2, 2), 2)",
    "F.max_unpool2d(X(2, 2), L(2, 2), 2)",
    "F.max_unpool1d(X(1, 2, 2), L(1, 3, 2), 2)",
    "F.max_unpool1d(X(1, 2, 2), L(1, 2, 2) * 0 + 99, 2)",
    "F.max_unpool2d(X(0, 2, 2, 2), L(0, 2, 2, 2), 2)",
]


def _run(expr, fw):
    mod = FRAMEWORKS[fw]

    def X(*shape):
        n = int(np.prod(shape))
        a = np.random.RandomState(n).permutation(max(n, 1))[:n].astype("float32") / 3 - 1
        return mod.tensor(a.reshape(shape))

    def L(*shape):
        return mod.tensor(np.arange(int(np.prod(shape))).reshape(shape) % 3)

    def G(*shape):
        return X(*shape).requires_grad_(True)

    env = {"F": mod.nn.functional, "X": X, "L": L, "G": G}
    try:
        return "ok", eval(expr, env)  # noqa: S307 - the cases above
    except Exception as e:  # noqa: BLE001 - the exception is the result compared
        return "error", (type(e).__name__, str(e))


def _arrays(out):
    if isinstance(out, (tuple, list)):
        return [_arrays(v) for v in out]
    return out.detach().numpy()


@pytest.mark.parametrize("expr", CASES)
def test_matches_torch(expr):
    want, got = _run(expr, "torch"), _run(expr, "gradiente")
    assert got[0] == want[0], (want, got)
    if want[0] == "error":
        assert got[1] == want[1]
        return
    a, b = _arrays(want[1]), _arrays(got[1])
    for x, y in zip(a if isinstance(a, list) else [a], b if isinstance(b, list) else [b]):
        assert x.shape == y.shape and x.dtype == y.dtype
        np.testing.assert_array_equal(x, y)


BACKWARD = [
    ("adaptive_avg_pool1d", (2, 3, 7), 0),
    ("adaptive_max_pool1d", (3, 7), 0),
    ("adaptive_avg_pool2d", (2, 3, 7, 8), 0),
    ("adaptive_avg_pool2d", (2, 3, 7, 8), (2, 0)),
    ("adaptive_avg_pool2d", (2, 0, 7, 8), 2),
    ("adaptive_max_pool2d", (3, 7, 8), (0, 2)),
    ("adaptive_avg_pool3d", (2, 2, 5, 6, 7), 0),
    ("adaptive_max_pool3d", (2, 5, 6, 7), (2, 2, 0)),
    ("adaptive_avg_pool2d", (0, 3, 7, 8), 2),
    ("adaptive_max_pool2d", (0, 3, 7, 8), 3),
    ("adaptive_max_pool3d", (0, 2, 5, 6, 7), 2),
]


@pytest.mark.parametrize("name, shape, size", BACKWARD)
def test_empty_adaptive_backward_matches_torch(name, shape, size):
    """torch refuses, in backward, a gradient with an empty non-batch dimension; an empty
    batch is fine (zero gradient)."""
    results = []
    for mod in (torch, gradiente):
        x = mod.zeros(shape, requires_grad=True)
        y = getattr(mod.nn.functional, name)(x, size)
        try:
            y.sum().backward()
            results.append(("ok", tuple(x.grad.shape), float(x.grad.abs().sum())))
        except RuntimeError as e:
            results.append(("error", str(e)))
    assert results[1] == results[0]
