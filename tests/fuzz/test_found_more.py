"""Regression tests for what the factories/random, special/scan and autograd-API fuzz families
found (``generate_more.py``), each compared with torch through the public API."""

import numpy as np
import pytest

import gradiente

torch = pytest.importorskip("torch")


def _both(fn):
    """``fn(lib)`` in torch and gradiente: (result or error message) for each."""
    out = []
    for lib in (torch, gradiente):
        try:
            out.append(fn(lib))
        except (RuntimeError, IndexError) as e:
            out.append(f"{type(e).__name__}: {e}")
    return out


@pytest.mark.parametrize("dtype", ["int8", "uint8", "int16", "int32", "int64", "bool", "float16"])
@pytest.mark.parametrize("low, high", [(0, 2**40), (-(2**40), 0), (-300, 5), (0, 3), (0, 2)])
def test_randint_bounds_of_the_dtype(dtype, low, high):
    """``from`` and ``to - 1`` must fit the dtype (torch's check_from_to_in_range)."""

    def draw(lib):
        lib.manual_seed(3)
        return lib.randint(low, high, (5,), dtype=getattr(lib, dtype)).tolist()

    t, g = _both(draw)
    assert g == t


def test_random_inplace_bounds_of_the_dtype():
    t, g = _both(lambda lib: lib.zeros(3, dtype=lib.int8).random_(-300, 3).tolist())
    assert g == t == "RuntimeError: from is out of bounds for signed char"


@pytest.mark.parametrize(
    "shape, kwargs",
    [((2, 4), {}), ((2, 4), {"dim": 0}), ((4,), {"dx": 0.5}), ((0,), {}), ((1,), {}),
     ((3, 2), {"x": (3,), "dim": 0}), ((3, 2), {"x": (3, 2), "dim": 0}), ((3,), {"x": (4,)}),
     ((3,), {"dim": 1})],
)  # fmt: skip
def test_cumulative_trapezoid(shape, kwargs):
    y = np.random.default_rng(0).standard_normal(shape)
    up = np.random.default_rng(1).standard_normal(shape[:-1] + (max(shape[-1] - 1, 0),))

    def run(lib):
        kw = dict(kwargs)
        if "x" in kw:
            kw["x"] = lib.tensor(np.cumsum(np.full(kw["x"], 0.3), 0))
        yt = lib.tensor(y, requires_grad=True)
        r = lib.cumulative_trapezoid(yt, **kw)
        if r.shape == up.shape:
            r.backward(lib.tensor(up))
        grad = None if yt.grad is None else yt.grad.numpy()
        return r.detach().numpy(), str(r.dtype)[-7:], grad

    t, g = _both(run)
    if isinstance(t, str):  # the same error (gradiente's message also names the op)
        assert isinstance(g, str) and g.split(":")[0] == t.split(":")[0]
        assert t.split(": ", 1)[1] in g
        return
    np.testing.assert_allclose(g[0], t[0], rtol=1e-12)
    assert g[1] == t[1]
    if t[2] is not None:
        np.testing.assert_allclose(g[2], t[2], rtol=1e-12)


def test_cumulative_trapezoid_integers_and_gradcheck():
    for lib in (torch, gradiente):
        y = lib.tensor([1, 2, 4])
        assert lib.cumulative_trapezoid(y).tolist() == [1.5, 4.5]
        assert lib.cumulative_trapezoid(y, dx=2).tolist() == [3.0, 9.0]
        assert lib.cumulative_trapezoid(y).dtype == lib.float32
    y = gradiente.tensor([[0.3, -1.2, 2.0], [0.5, 0.1, -0.7]], dtype=gradiente.float64)
    x = gradiente.tensor([0.0, 0.4, 1.5], dtype=gradiente.float64)
    assert gradiente.autograd.gradcheck(
        lambda y, x: gradiente.cumulative_trapezoid(y, x), (y.requires_grad_(), x.requires_grad_())
    )


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("fn", ["log_ndtr", "ndtri"])
def test_ndtri_log_ndtr_node_and_gradient(fn, dtype):
    """One node each, with torch's name and derivative."""
    if fn == "log_ndtr":
        values = [-40.0, -5.0, -1.5, -1.0, 0.0, 0.5, 3.0, 10.0, np.inf, -np.inf, np.nan]
    else:
        values = [0.0, 1e-10, 0.1, 0.5, 0.9, 1.0, 1.5, np.nan]

    def run(lib):
        x = lib.tensor(values, dtype=getattr(lib, dtype), requires_grad=True)
        y = getattr(lib.special, fn)(x)
        y.backward(lib.ones_like(y))
        return y.detach().numpy(), x.grad.numpy(), type(y.grad_fn).__name__

    t, g = _both(run)
    np.testing.assert_allclose(g[0], t[0], rtol=1e-6)
    np.testing.assert_allclose(g[1], t[1], rtol=1e-5)
    assert g[2] == t[2]


@pytest.mark.parametrize("fn", ["log_ndtr", "ndtri"])
def test_ndtri_log_ndtr_save_their_result(fn):
    """Modifying the result in place makes backward refuse, as in torch (it saves the result)."""

    def run(lib):
        x = lib.tensor([0.3, 0.6], dtype=lib.float64, requires_grad=True)
        y = getattr(lib.special, fn)(x)
        y.exp_()
        y.sum().backward()
        return "no error"

    t, g = _both(run)
    assert t.startswith("RuntimeError: one of the variables needed for gradient computation")
    assert g.startswith("RuntimeError: one of the variables needed for gradient computation")


@pytest.mark.parametrize("fn", ["log_ndtr", "ndtri"])
def test_ndtri_log_ndtr_gradcheck(fn):
    x = [-3.0, -0.5, 0.7, 2.0] if fn == "log_ndtr" else [0.05, 0.3, 0.6, 0.95]
    t = gradiente.tensor(x, dtype=gradiente.float64, requires_grad=True)
    assert gradiente.autograd.gradcheck(getattr(gradiente.special, fn), (t,))
