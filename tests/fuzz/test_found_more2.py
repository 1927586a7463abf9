"""Regression tests for the second round of findings of the factories/random, special/scan and
autograd-API fuzz families (``generate_more.py``), each compared with torch through the public
API: values (bit for bit where torch's algorithm is reproduced), dtypes, shapes, errors and
gradients."""

import math
import re

import numpy as np
import pytest

import gradiente

torch = pytest.importorskip("torch")

NAN, INF = float("nan"), float("inf")


def _both(fn):
    """``fn(lib)`` in torch and gradiente: (result or error) for each (without the ``op(): ``
    that gradiente puts before its dimension errors)."""
    out = []
    for lib in (torch, gradiente):
        try:
            out.append(fn(lib))
        except (RuntimeError, IndexError, ValueError) as e:
            out.append(f"{type(e).__name__}: " + re.sub(r"^\w+\(\): ", "", str(e)))
    return out


def _described(t):
    """A tensor as comparable plain data: values (NaN as "nan"), the signs of the other values
    (signed zeros; a NaN's sign is no one's concern), dtype, shape."""
    a = t.detach().numpy()
    nan = np.isnan(a) if a.dtype.kind == "f" else np.zeros(a.shape, bool)
    values = np.where(nan, "nan", a.astype(object)).tolist()
    return values, (np.signbit(a) & ~nan).tolist(), str(t.dtype).split(".")[-1], tuple(t.shape)


# -- diff ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "case",
    [
        lambda T: T.diff(T.tensor(1.0), n=0, dim=0),  # 0-d: refused whatever n
        lambda T: T.diff(T.tensor(1.0), n=1),
        lambda T: T.diff(T.tensor([1.0, 2.0]), n=0, append=T.tensor([3.0, 4.0])),  # not appended
        lambda T: T.diff(T.zeros(1, 0, dtype=T.int64), n=0, dim=0, prepend=T.zeros(0, 0)),
        lambda T: T.diff(T.zeros(1, 2, dtype=T.int64), n=1, dim=0, prepend=T.zeros(1, 2)),
        lambda T: T.diff(T.zeros(3, 0), n=0, dim=2),  # n = 0 checks no dim
        lambda T: T.diff(T.zeros(3, 0), n=1, dim=2),
        lambda T: T.diff(T.zeros(3, 2), n=-1, dim=0),
        lambda T: T.diff(T.zeros(3, 2), n=0, dim=0, prepend=T.zeros(3)),
        lambda T: T.diff(T.zeros(3, 2), n=1, dim=0, prepend=T.zeros(3, 3)),
        lambda T: T.diff(T.zeros(3, 0, 0), n=0, dim=0, prepend=T.zeros(1, 0, 0)),
        lambda T: T.diff(T.arange(6.0).reshape(2, 3), n=2, dim=1, append=T.ones(2, 1)),
    ],
)
def test_diff_order_zero_and_checks(case):
    t, g = _both(lambda T: _described(case(T)))
    assert g == t


def test_diff_order_zero_is_a_differentiable_copy():
    def run(T):
        x = T.tensor([1.0, 4.0, 9.0], requires_grad=True)
        y = T.diff(x, n=0)
        y.backward(T.tensor([1.0, 2.0, 3.0]))
        same_memory = y.data_ptr() == x.data_ptr()
        return same_memory, x.grad.tolist()

    t, g = _both(run)
    assert g == t == (False, [1.0, 2.0, 3.0])


# -- arange / linspace / logspace / full ---------------------------------------------------------


@pytest.mark.parametrize(
    "args, kwargs",
    [
        ((0.5,), {"dtype": "int64"}),  # bounds truncated first: empty
        ((0.001,), {"dtype": "int64"}),
        ((0.5, 3.7, 0.5), {"dtype": "int64"}),  # the step truncates to 0: ValueError
        ((3.75, -1.5, -0.25), {"dtype": "int64"}),
        ((3.75, -1.5, -2), {"dtype": "int64"}),
        ((-1.5, 3), {"dtype": "int64"}),
        ((0.25, 3.75, 2), {"dtype": "int64"}),
        ((5, 5, 0.5), {"dtype": "int64"}),
        ((5, 0, -2), {"dtype": "int64"}),
        ((0.5,), {"dtype": "int32"}),  # other integer types: size in double precision
        ((-1.5, 3), {"dtype": "int32"}),
        ((0.5, 3.7, 0.5), {"dtype": "int32"}),
        ((INF,), {"dtype": "int64"}),
        ((NAN,), {}),
        ((0, INF, 2), {}),
        ((2.0, -1.5, 3), {}),
        ((0, 3, 0), {}),
        ((-0.0, 1), {"dtype": "int64"}),
    ],
)
def test_arange_integer_dtypes_and_checks(args, kwargs):
    def run(T):
        kw = {k: getattr(T, v) for k, v in kwargs.items()}
        return _described(T.arange(*args, **kw))

    t, g = _both(run)
    assert g == t


@pytest.mark.parametrize(
    "fn, args, dtype",
    [
        ("linspace", (INF, 4, 2), "int64"),
        ("linspace", (4, INF, 2), "int64"),
        ("linspace", (4, NAN, 1), "int64"),  # one step: only start is converted
        ("linspace", (NAN, 4, 1), "int64"),
        ("linspace", (4, NAN, 0), "int64"),  # no steps: nothing converted
        ("linspace", (1e30, 1, 3), "int64"),
        ("linspace", (INF, 4, 2), "int32"),
        ("linspace", (1e300, 1, 3), "float32"),
        ("linspace", (1.5, -3.7, 3), "int64"),
        ("linspace", (-1, -0.0, 17), "float32"),  # the last value is end, with its sign
        ("linspace", (-1, -0.0, 17), "float64"),
        ("linspace", (-1, -0.0, 3), "float64"),
        ("logspace", (NAN, NAN, 2), "int64"),
        ("logspace", (5, 3.75, 5), "int64"),  # bounds truncated, exponents in float64
        ("logspace", (2.5, 1, 3), "int64"),
        ("logspace", (0.5, 3, 1), "int64"),
        ("logspace", (100, 3, 1), "int64"),
        ("logspace", (100, 1, 1), "float32"),
        ("logspace", (1e300, 1, 3), "float32"),
        ("logspace", (-2, 3.75, 17), "float32"),
        ("logspace", (-2, 3.75, 17), "float64"),
        ("logspace", (0.5, -3, 5), "float64"),
    ],
)
def test_linspace_logspace_convert_their_bounds_as_torch(fn, args, dtype):
    t, g = _both(lambda T: _described(getattr(T, fn)(*args, dtype=getattr(T, dtype))))
    if fn == "logspace" and dtype == "float64" and isinstance(t, tuple):
        # NumPy's float64 power and the C library's differ in the last bit at times
        np.testing.assert_allclose(g[0], t[0], rtol=4e-16)
        g, t = g[1:], t[1:]
    assert g == t


@pytest.mark.parametrize("base", [2, 0.5, 10.0, 3.3])
@pytest.mark.parametrize("dtype", ["int64", "float32", "float64"])
def test_logspace_bases(base, dtype):
    t, g = _both(lambda T: T.logspace(5, 3.75, 5, base=base, dtype=getattr(T, dtype)).numpy())
    assert g.dtype == t.dtype
    np.testing.assert_allclose(g, t, rtol=4e-16 if dtype == "float64" else 0)


@pytest.mark.parametrize(
    "value, dtype",
    [(NAN, "int64"), (INF, "int64"), (1e30, "int64"), (NAN, "int32"), (300, "int8"),
     (-1.0, "uint8"), (-1, "uint8"), (-256, "uint8"), (1e300, "float32"), (INF, "float32"),
     (NAN, "float32"), (2.5, "int64"), (NAN, "bool"), (1e300, "float64")],
)  # fmt: skip
def test_full_and_full_like_refuse_what_the_dtype_cannot_hold(value, dtype):
    t, g = _both(lambda T: _described(T.full((2,), value, dtype=getattr(T, dtype))))
    assert g == t
    t, g = _both(lambda T: _described(T.full_like(T.zeros(2), value, dtype=getattr(T, dtype))))
    assert g == t


def test_full_like_of_an_integer_tensor_refuses_nan():
    t, g = _both(lambda T: _described(T.full_like(T.zeros(2, dtype=T.int64), NAN)))
    assert g == t == "RuntimeError: value cannot be converted to type int64_t without overflow"


# -- autograd checks: integer dtypes, detach_, saved tensors -------------------------------------


@pytest.mark.parametrize(
    "op",
    [
        lambda x, T: x.cumsum(0, dtype=T.int64),
        lambda x, T: x.cumprod(0, dtype=T.int64),
        lambda x, T: T.cumsum(x, 0, dtype=T.int32),
        lambda x, T: x.sum(dtype=T.int64),
        lambda x, T: x.sum(0, dtype=T.int64),
        lambda x, T: x.prod(dtype=T.int64),
        lambda x, T: x.cumsum(0, dtype=T.float64),  # a float dtype is fine
    ],
)
def test_integer_result_dtype_of_a_recorded_op_is_refused(op):
    def run(T):
        x = T.zeros(3, requires_grad=True)
        with T.no_grad():
            quiet = _described(op(x, T))  # nothing recorded: no error
        return quiet, _described(op(x, T))

    t, g = _both(run)
    assert g == t


@pytest.mark.parametrize(
    "view", [lambda x: x[...], lambda x: x[1:], lambda x: x.view(3), lambda x: x.unsqueeze(0)]
)
def test_detach_inplace_refuses_views(view):
    def run(T):
        out = []
        for base in (T.zeros(3, requires_grad=True) * 1, T.zeros(3)):
            try:
                out.append(view(base).detach_().requires_grad)
            except RuntimeError as e:
                out.append(str(e))
        y = T.zeros(3, requires_grad=True) * 1
        out.append((y.detach_() is y, y.requires_grad, y.is_leaf))  # not a view: fine
        return out

    t, g = _both(run)
    assert g == t


def test_erfinv_saves_its_input():
    def run(T):
        out = []
        x = T.tensor([0.5, -0.3, 0.9], dtype=T.float64, requires_grad=True)
        y = T.erfinv(x)
        y.zero_()  # the output is not saved: backward still works
        y.backward(T.ones(3, dtype=T.float64))
        out.append(x.grad.tolist())
        z = x * 1
        w = T.erfinv(z)
        z.zero_()  # the input is: refused
        try:
            w.sum().backward()
        except RuntimeError:
            out.append("refused")
        x2 = T.tensor([0.5, -0.3, 0.9], dtype=T.float64, requires_grad=True)
        (g,) = T.autograd.grad(T.erfinv(x2).sum(), x2, create_graph=True)
        (gg,) = T.autograd.grad(g.sum(), x2)
        out.append(np.round(g.detach().numpy(), 12).tolist())
        out.append(np.round(gg.numpy(), 10).tolist())
        return out

    t, g = _both(run)
    assert g == t
    x = gradiente.tensor([0.5, -0.3, 0.9], dtype=gradiente.float64, requires_grad=True)
    assert gradiente.autograd.gradcheck(gradiente.erfinv, (x,))
    assert gradiente.autograd.gradgradcheck(gradiente.erfinv, (x,))


@pytest.mark.parametrize("name", ["cummin", "cummax"])
def test_cummin_cummax_indices_are_saved(name):
    def run(T):
        out = []
        x = T.tensor([3.0, 1.0, 2.0, 0.5], requires_grad=True)
        values, indices = getattr(T, name)(x, 0)
        indices.neg_()
        try:
            values.sum().backward()
            out.append(x.grad.tolist())
        except RuntimeError:
            out.append("refused")
        x = T.tensor([3.0, 1.0, 2.0, 0.5], requires_grad=True)
        values, indices = getattr(x, name)(0)
        values.backward(T.tensor([1.0, 2.0, 3.0, 4.0]))
        out.append((x.grad.tolist(), indices.tolist(), type(values.grad_fn).__name__))
        empty = getattr(T, name)(T.zeros(3, 0, requires_grad=True), 0).values
        out.append((empty.requires_grad, tuple(empty.shape)))
        return out

    t, g = _both(run)
    assert g == t


# -- special functions --------------------------------------------------------------------------

POLYGAMMA_POINTS = [1.0, -3.0, -2.5, 0.3, 0.0, -0.0, 7.5, 1e-30, -1.0, INF, -INF, NAN, 1e20,
                    -1e20, 2.75, 0.5, 0.49, -0.75]  # fmt: skip


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_trigamma_is_torch_algorithm_bit_for_bit(dtype):
    """polygamma(1, x): torch's ``calc_trigamma`` (its approximation error near 1e-9 and its
    finite values at the poles included)."""

    def run(T):
        return _described(T.polygamma(1, T.tensor(POLYGAMMA_POINTS, dtype=getattr(T, dtype))))

    t, g = _both(run)
    assert g == t
    assert t[0][0] == 1.6449340676383375 or dtype == "float32"


@pytest.mark.parametrize("n", [0, 2, 3, 5])
def test_polygamma_poles_and_infinities(n):
    """ψ⁽ⁿ⁾ at 0, the negative integers, ±inf, NaN (no hang at −inf); elsewhere to 1e-13."""

    def run(T):
        return T.polygamma(n, T.tensor(POLYGAMMA_POINTS, dtype=T.float64)).numpy()

    t, g = _both(run)
    np.testing.assert_allclose(g, t, rtol=1e-13, atol=0)
    assert (np.signbit(g) == np.signbit(t))[~np.isnan(t)].all()


def test_digamma_gradient_at_the_poles():
    """d ψ/dx = ψ⁽¹⁾(x): finite (about 7e31) at the negative integers, as torch's trigamma."""

    def run(T):
        x = T.tensor([-3.0, -1.0, 0.0, 1e-30, -1.9696772374969784, 2.0], requires_grad=True)
        x64 = x.detach().double().requires_grad_()
        out = []
        for v in (x, x64):
            T.digamma(v).backward(T.full(v.shape, -1.0, dtype=v.dtype))
            out.append(_described(v.grad))
        return out

    t, g = _both(run)
    assert g == t


def test_digamma_of_signed_zeros():
    t, g = _both(lambda T: _described(T.digamma(T.tensor([0.0, -0.0, -2.0, -INF, INF]))))
    assert g == t


@pytest.mark.parametrize("eps", [None, 0.0, 0.1, -1.0])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_logit_gradient_outside_the_unit_interval(eps, dtype):
    """torch's kernel: NaN outside [0, 1] (0 outside [eps, 1 − eps] with eps ≥ 0), dy·∞ at 0
    and 1."""
    values = [2.0, 0.0, 1.0, -0.0, 0.5, NAN, -0.5, 0.05, 0.95, 1e-30, INF]
    upstream = [1.0, 1.0, -1.0, 1.0, 2.0, 1.0, 1.0, 3.0, 1.0, 0.0, 1.0]

    def run(T):
        x = T.tensor(values, dtype=getattr(T, dtype), requires_grad=True)
        y = T.logit(x) if eps is None else T.logit(x, eps)
        y.backward(T.tensor(upstream, dtype=x.dtype))
        return _described(y), _described(x.grad)

    t, g = _both(run)
    assert g == t
    x = gradiente.tensor([0.2, 0.5, 0.7], dtype=gradiente.float64, requires_grad=True)
    assert gradiente.autograd.gradcheck(lambda v: gradiente.logit(v, eps), (x,))


@pytest.mark.parametrize("n", [1, 3, 8, 9, 16, 17, 33])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_hardtanh_gradient_at_nan(n, dtype):
    """A NaN input: 0 in torch's vectorised chunks (two 256-bit vectors), the upstream value in
    the scalar tail."""

    def run(T):
        x = T.full((n,), NAN, dtype=getattr(T, dtype), requires_grad=True)
        T.nn.functional.hardtanh(x).backward(T.ones(n, dtype=x.dtype))
        return _described(x.grad)

    t, g = _both(run)
    assert g == t


def test_xlog1py_gradient_where_x_is_zero_and_y_below_minus_one():
    def run(T):
        x = T.tensor([0, 0, 0, 1, 2, NAN, 0, -1, 1e-20, 0], dtype=T.float64, requires_grad=True)
        y = T.tensor([-1.1, -1, NAN, -2, 0.5, 1, -3, -1.5, -1, 2], dtype=T.float64)
        y.requires_grad_()
        up = T.tensor([1.0, 2, 1, 0, 1, 1, 0, 1, 1, NAN], dtype=T.float64)
        gx, gy = T.autograd.grad(T.special.xlog1py(x, y), (x, y), up)
        return _described(gx), _described(gy)

    t, g = _both(run)
    assert g == t


@pytest.mark.parametrize("name", ["i1", "i1e"])
def test_bessel_i1_gradient_at_nan(name):
    """torch takes the limit ½ where not |x| > eps: NaN included."""

    def run(T):
        x = T.tensor([NAN, 0.0, 1e-20, -2.5, 3.0, INF, -INF], dtype=T.float64, requires_grad=True)
        (g,) = T.autograd.grad(getattr(T.special, name)(x), x, T.ones(7, dtype=T.float64))
        return g.numpy()

    t, g = _both(run)
    np.testing.assert_allclose(g, t, rtol=1e-12)
    assert math.isfinite(g[0])


def test_sigmoid_second_derivative_signed_zeros():
    """torch differentiates σ's backward g·(1 − y)·y with its own formula, (gg·g)·(1 − 2y): at
    y = ½ a negative gg·g gives −0."""
    values = [[0.5, 2.0, -INF], [-0.75, INF, 1.25], [0.5, 0.0, 0.0]]
    up1 = [[2.0, 0.5, 0.5], [0.5, 1.5, -1.0], [0.0, -1.0, 0.5]]
    up2 = [[2.0, -0.5, 1.5], [2.0, 2.0, 2.0], [-1.0, -1.5, -0.5]]

    def run(T):
        x = T.tensor(values, dtype=T.float64, requires_grad=True)
        (g1,) = T.autograd.grad(T.sigmoid(x), x, T.tensor(up1, dtype=T.float64), create_graph=True)
        (g2,) = T.autograd.grad(g1, x, T.tensor(up2, dtype=T.float64))
        return np.signbit(g1.detach().numpy()).tolist(), _described(g2)

    t, g = _both(run)
    assert g == t
    x = gradiente.tensor([[0.3, -1.2], [2.0, 0.0]], dtype=gradiente.float64, requires_grad=True)
    assert gradiente.autograd.gradgradcheck(gradiente.sigmoid, (x,))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("start, end", [(4, INF), (-INF, INF), (INF, 4), (-1e308, 1e308)])
def test_linspace_with_infinite_bounds(start, end, dtype):
    """IEEE arithmetic on infinite steps: start + inf·0 is NaN, start + inf·i is inf."""
    t, g = _both(lambda T: _described(T.linspace(start, end, 17, dtype=getattr(T, dtype))))
    assert g == t


def test_cummax_saves_its_input():
    def run(T):
        x = T.tensor([3.0, 1.0, 2.0], requires_grad=True) * 1
        values = T.cummax(x, 0).values
        x.add_(1)
        try:
            values.sum().backward()
            return "no error"
        except RuntimeError:
            return "refused"

    t, g = _both(run)
    assert g == t == "refused"


@pytest.mark.parametrize("dtype", ["float32", "float16", "float64"])
def test_float_randint_past_exact_integers_warns_as_torch(dtype):
    """Past ±2^digits a float dtype cannot hold every integer: torch warns (its draws there
    differ from the int64 stream gradiente rounds; README's known differences)."""
    import warnings

    torch = pytest.importorskip("torch")
    high = {"float32": 2**30, "float16": 2**12, "float64": 2**60}[dtype]
    messages = []
    for lib in (torch, gradiente):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            lib.zeros(2, dtype=getattr(lib, dtype)).random_(0, high)
        found = [str(w.message) for w in caught if "out of bounds" in str(w.message)]
        messages.append([m.split(" (Triggered internally")[0] for m in found])
    assert messages[0] and messages[1] == messages[0]
