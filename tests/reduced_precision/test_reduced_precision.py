"""float16 and bfloat16 ops compared with torch 2.13's CPU kernels bit for bit: values,
gradients and errors (the fixes found by ``sweep.py`` in this folder)."""

import os

import numpy as np
import pytest

import gradiente as g

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
torch = pytest.importorskip("torch")

DTYPES = ["float16", "bfloat16"]


def values(rng, shape, positive=False, special=True):
    """Normal values (|x| + 0.1 when ``positive``), with inf, -inf, nan and a value past
    float16's range planted when ``special``."""
    a = rng.standard_normal(shape).astype(np.float32) * 2
    if positive:
        a = np.abs(a) + 0.1
    if special and a.size > 8:
        flat = a.reshape(-1)
        flat[[1, 3, 5, 7]] = [np.inf, -np.inf, np.nan, 70000.0]
    return a


def ordered(t):
    """The 16-bit patterns of a float16/bfloat16 tensor of either library as integers that
    count ulps (±0 both 0, NaNs one value), so that a difference is a distance in ulps."""
    t = t.detach()
    if isinstance(t, torch.Tensor):
        raw = t.view(torch.int16).numpy().view(np.uint16).astype(np.int64)
        nan = torch.isnan(t).numpy()
    else:
        raw = t._data.view(np.uint16).astype(np.int64)
        nan = np.isnan(t._data.astype(np.float32))
    signed = np.where(raw & 0x8000, -(raw & 0x7FFF), raw)
    return np.where(nan, 1 << 20, signed)


def run(lib, fn, arrays, dtype, grad_seed=1):
    """fn's outputs and its float inputs' gradients, for a backward from a fixed random grad."""
    ts = [
        lib.tensor(a).to(getattr(lib, dtype)).requires_grad_(True)
        if a.dtype == np.float32
        else lib.tensor(a)
        for a in arrays
    ]
    out = fn(lib, *ts)
    outs = list(out) if isinstance(out, tuple) else [out]
    first = outs[0]
    grad = np.random.default_rng(grad_seed).standard_normal(tuple(first.shape))
    first.backward(lib.tensor(grad.astype(np.float32)).to(first.dtype))
    return outs, [t.grad for t in ts if t.dtype.is_floating_point]


def assert_same_bits(fn, arrays, dtype, ulp=0):
    """gradiente's fn gives torch's outputs and gradients bit for bit (±0 aside); with
    ``ulp=1``, up to 1 ulp off in a few values: the op's float32 result, rounded once, where
    torch's float32 math (SLEEF's exp, log, ...) and NumPy's differ in the last float32 bit
    and the rounding falls either side."""
    t_outs, t_grads = run(torch, fn, arrays, dtype)
    g_outs, g_grads = run(g, fn, arrays, dtype)
    for i, (t, o) in enumerate(zip(t_outs + t_grads, g_outs + g_grads, strict=True)):
        assert str(t.dtype) == str(o.dtype), i
        if not t.dtype.is_floating_point:
            assert np.array_equal(t.numpy(), o.numpy()), i
            continue
        off = np.abs(ordered(t) - ordered(o))
        assert off.max(initial=0) <= ulp, (i, int((off > 0).sum()), int(off.max()))
        assert (off > 0).mean() < 0.01, (i, int((off > 0).sum()))


def _f(lib):
    return lib.nn.functional


# torch computes each of these in float32 and rounds once, forward and backward
# (name: fn, ulps, input values): transcendental ones may be 1 ulp off (see assert_same_bits);
# "finite" inputs leave NaN out where gradiente's float32 backward already differs (torch's
# elu/hardswish backward gives NaN at a NaN input)
ONE_ROUNDING = {
    "selu": (lambda L, x: _f(L).selu(x), 1, "finite"),
    "celu": (lambda L, x: _f(L).celu(x, 0.7), 1, "finite"),
    "mish": (lambda L, x: _f(L).mish(x), 1, "special"),
    "hardsigmoid": (lambda L, x: _f(L).hardsigmoid(x), 0, "special"),
    "hardswish": (lambda L, x: _f(L).hardswish(x), 0, "finite"),
    "silu": (lambda L, x: _f(L).silu(x), 1, "special"),
    "softplus": (lambda L, x: _f(L).softplus(x), 1, "special"),
    "softplus_beta": (lambda L, x: _f(L).softplus(x, 2.0, 5.0), 1, "special"),
    "floor": (lambda L, x: L.floor(x), 0, "special"),
    "round": (lambda L, x: L.round(x), 0, "special"),
    "sign": (lambda L, x: L.sign(x), 0, "special"),
    "nansum": (lambda L, x: L.nansum(x, 1), 0, "special"),
    "einsum": (lambda L, x: L.einsum("ij,kj->ik", x, x), 0, "finite"),
    "floor_divide": (
        lambda L, x: L.div(x * 4, x.detach().abs() + 0.5, rounding_mode="floor"),
        0,
        "finite",
    ),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(ONE_ROUNDING))
def test_ops_computed_in_float32_and_rounded_once(name, dtype):
    fn, ulp, kind = ONE_ROUNDING[name]
    x = values(np.random.default_rng(0), (64, 96), special=kind == "special")
    if kind == "finite":
        x.reshape(-1)[[1, 3]] = [np.inf, -np.inf]
    assert_same_bits(fn, [x], dtype, ulp)


def _ties(rng, shape):
    """Inputs with many equal values, so that overlapping windows share winners."""
    return rng.integers(0, 3, shape).astype(np.float32)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "args", [(3, 1, 1, False), (3, 2, 1, True), (5, 1, 2, False), (4, 1, 0, True), (2, 2, 0, False)]
)
def test_max_pool2d_backward_adds_in_order_rounding_each_time(args, dtype):
    """torch adds each output's gradient to its winner's in row-major output order, rounding
    to the 16-bit dtype after every addition (both layouts); gradiente did it in float32
    (bfloat16 was refused)."""
    k, s, p, channels_last = args

    def fn(L, x):
        if channels_last:
            x = x.contiguous(memory_format=L.channels_last)
        return _f(L).max_pool2d(x, k, s, p, return_indices=True)

    rng = np.random.default_rng(k * 10 + s)
    assert_same_bits(fn, [_ties(rng, (2, 3, 9, 11))], dtype)
    assert_same_bits(lambda L, x: _f(L).max_pool1d(x, k, s, p), [_ties(rng, (2, 3, 13))], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "args",
    [(3, 1, 1, True, None), (3, 2, 1, False, None), (5, 1, 2, True, 7), (4, 1, 0, True, None)],
)
@pytest.mark.parametrize("channels_last", [False, True])
def test_avg_pool2d_backward_adds_in_order_rounding_each_time(args, channels_last, dtype):
    """torch spreads bf16(g / divisor) over each window, output after output, adding in the
    16-bit dtype (bfloat16 was refused; float16 added in float32 and rounded once)."""
    k, s, p, include_pad, div = args

    def fn(L, x):
        if channels_last:
            x = x.contiguous(memory_format=L.channels_last)
        return _f(L).avg_pool2d(x, k, s, p, count_include_pad=include_pad, divisor_override=div)

    rng = np.random.default_rng(k * 10 + s)
    assert_same_bits(fn, [values(rng, (2, 3, 9, 11), special=False)], dtype)
    one_d = lambda L, x: _f(L).avg_pool1d(x, k, s, p, count_include_pad=include_pad)  # noqa: E731
    assert_same_bits(one_d, [values(rng, (2, 3, 13), special=False)], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("size", [(4, 4), (5, 7), (3, 2), (3, 11)])
def test_adaptive_avg_pool2d_backward_divides_twice_and_adds_in_order(size, dtype):
    """torch's gradient: bf16(bf16(g / kh) / kw) spread over each window, added in the 16-bit
    dtype output after output."""
    rng = np.random.default_rng(size[0])
    x = values(rng, (2, 3, 9, 11), special=False)
    assert_same_bits(lambda L, x: _f(L).adaptive_avg_pool2d(x, size), [x], dtype)
    x1 = values(rng, (2, 3, 13), special=False)
    assert_same_bits(lambda L, x: _f(L).adaptive_avg_pool1d(x, size[1]), [x1], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("size", [(4, 4), (5, 7), (3, 2)])
def test_adaptive_max_pool_backward_adds_in_order(size, dtype):
    """adaptive_max_pool2d/3d: each output's gradient added at its winner in the 16-bit dtype,
    output after output (bfloat16 was refused; float16 added in float64)."""
    rng = np.random.default_rng(size[1])
    fn = lambda L, x: _f(L).adaptive_max_pool2d(x, size, return_indices=True)  # noqa: E731
    assert_same_bits(fn, [_ties(rng, (2, 3, 9, 11))], dtype)
    fn3 = lambda L, x: _f(L).adaptive_max_pool3d(x, (2, *size))  # noqa: E731
    assert_same_bits(fn3, [_ties(rng, (2, 2, 3, 9, 11))], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("args", [(3, 1, 1), (3, 2, 1), (2, 2, 0)])
def test_max_pool3d_backward_adds_in_order(args, dtype):
    """max_pool3d's gradient (gather's backward: scatter_add) added in the 16-bit dtype in
    output order (bfloat16 was refused)."""
    k, s, p = args
    rng = np.random.default_rng(k + s)
    fn = lambda L, x: _f(L).max_pool3d(x, k, s, p, return_indices=True)  # noqa: E731
    assert_same_bits(fn, [_ties(rng, (2, 2, 5, 6, 7))], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_gather_backward_adds_in_float32(dtype):
    """gather's gradient (scatter_add) is summed in float32 and rounded once, unlike the
    pooling kernels'; float16's was added in float16."""
    rng = np.random.default_rng(3)
    index = rng.integers(0, 5, (6, 40))
    fn = lambda L, x: x.gather(1, L.tensor(index))  # noqa: E731
    assert_same_bits(fn, [values(rng, (6, 5), special=False)], dtype)
    fn0 = lambda L, x: x.gather(0, L.tensor(index[:, :5]))  # noqa: E731
    assert_same_bits(fn0, [values(rng, (5, 5), special=False)], dtype)
    for reduce in ("max", "median"):
        fn = lambda L, x, reduce=reduce: getattr(x, reduce)(1)  # noqa: E731
        assert_same_bits(fn, [values(rng, (6, 40))], dtype)


# torch computes each forward in float32 and rounds once; its backward formula rounds between
# bfloat16 steps, so gradiente refuses that backward (float16 runs as before)
FORWARD_ONE_ROUNDING = {
    "erf": (lambda L, x: L.erf(x), False, 1),
    "erfc": (lambda L, x: L.erfc(x), False, 1),
    "asinh": (lambda L, x: L.asinh(x), False, 0),
    "reciprocal": (lambda L, x: L.reciprocal(x), True, 0),
    "digamma": (lambda L, x: L.digamma(x), True, 1),
    "atan2": (lambda L, x: L.atan2(x, x.flip(0)), False, 0),
    "exp2": (lambda L, x: L.exp2(x), False, 0),
    "logsigmoid": (lambda L, x: _f(L).logsigmoid(x), False, 0),
}


@pytest.mark.parametrize("name", sorted(FORWARD_ONE_ROUNDING))
def test_bfloat16_forward_in_float32_backward_refused(name):
    fn, positive, ulp = FORWARD_ONE_ROUNDING[name]
    a = values(np.random.default_rng(1), (300, 200), positive, special=False)
    with torch.no_grad():
        theirs = fn(torch, torch.tensor(a).bfloat16())
    x = g.tensor(a).bfloat16().requires_grad_(True)
    ours = fn(g, x)
    off = np.abs(ordered(theirs) - ordered(ours))
    assert off.max() <= ulp and (off > 0).sum() <= 20
    with pytest.raises(RuntimeError, match="not implemented for 'BFloat16'"):
        ours.sum().backward()


# torch computes each forward in float32 and rounds once; its backward is its autograd formula
# in bfloat16 ops, which gradiente's derivative follows step for step (float16: as before)
COMPOSITE = {
    "sin": (lambda L, x: x.sin(), False),
    "cos": (lambda L, x: x.cos(), False),
    "atan": (lambda L, x: x.atan(), False),
    "sinh": (lambda L, x: x.sinh(), False),
    "cosh": (lambda L, x: x.cosh(), False),
    "expm1": (lambda L, x: x.expm1(), False),
    "log1p": (lambda L, x: x.log1p(), True),
    "log2": (lambda L, x: x.log2(), True),
    "log10": (lambda L, x: x.log10(), True),
    "lgamma": (lambda L, x: x.lgamma(), True),
    "pow_tensor": (lambda L, x: x ** x.flip(0).abs(), True),
    "remainder": (lambda L, x: L.remainder(x * 4, x.flip(0).abs() + 0.5), False),
    "fmod": (lambda L, x: L.fmod(x * 4, x.flip(0).abs() + 0.5), False),
    "norm": (lambda L, x: x.norm(dim=1), False),
    "cumprod": (lambda L, x: x[:, :10].cumprod(1), True),
}


@pytest.mark.parametrize("name", sorted(COMPOSITE))
def test_bfloat16_backward_as_torch_formula(name):
    fn, positive = COMPOSITE[name]
    x = values(np.random.default_rng(9), (200, 150), positive, special=False)
    assert_same_bits(fn, [x], "bfloat16")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["softshrink", "hardshrink", "threshold"])
def test_shrink_and_threshold_in_float32(name, dtype):
    fn = {
        "softshrink": lambda L, x: _f(L).softshrink(x, 0.5),
        "hardshrink": lambda L, x: _f(L).hardshrink(x, 0.5),
        "threshold": lambda L, x: _f(L).threshold(x, 0.1, 20.0),
    }[name]
    x = values(np.random.default_rng(2), (300, 200), special=False)
    assert_same_bits(fn, [x], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_multi_margin_loss_refuses_16_bit_input_as_torch(dtype):
    """torch's CPU kernel has no float16/bfloat16 version (gradiente computed one)."""
    a = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    errors = []
    for L in (torch, g):
        with pytest.raises(NotImplementedError) as info:
            _f(L).multi_margin_loss(L.tensor(a).to(getattr(L, dtype)), L.tensor([0, 1, 2]))
        errors.append(str(info.value))
    assert errors[0] == errors[1]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("size", [(2, 3, 4), (4, 4, 4), (3, 5, 2)])
def test_adaptive_avg_pool3d_sums_in_16_bits(size, dtype):
    """torch sums each window in the 16-bit dtype, divides by kd, kh, kw in turn (rounding
    each time) and adds the gradient likewise (float16 was summed in float32; bfloat16
    refused)."""
    x = values(np.random.default_rng(size[2]), (2, 2, 5, 9, 11), special=False)
    assert_same_bits(lambda L, x: _f(L).adaptive_avg_pool3d(x, size), [x], dtype)
    area = lambda L, x: _f(L).interpolate(x, size=size, mode="area")  # noqa: E731
    assert_same_bits(area, [x], dtype)


INTERPOLATE = [
    ("nearest", None, 1.5),
    ("nearest-exact", None, (5, 3)),
    ("bilinear", False, 1.5),
    ("bilinear", True, (5, 3)),
    ("bicubic", False, 1.5),
    ("bicubic", True, (5, 3)),
    ("area", None, (5, 3)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("mode", "corners", "size"), INTERPOLATE)
def test_interpolate_as_torch_16_bit_kernels(mode, corners, size, dtype):
    """torch resizes 16-bit input in float32 (bicubic with 16-bit weights) and rounds once;
    float16 was computed in float16 (thousands of ulps off), bfloat16 refused. One ulp in a
    few values: gradiente's float32 bilinear sums in another order than torch's."""
    kw = {} if corners is None else {"align_corners": corners}
    kw.update({"scale_factor": size} if isinstance(size, float) else {"size": size})
    fn = lambda L, x: _f(L).interpolate(x, mode=mode, **kw)  # noqa: E731
    x = values(np.random.default_rng(4), (2, 3, 8, 8), special=False)
    assert_same_bits(fn, [x], dtype, ulp=1)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mode", ["linear", "trilinear", "nearest"])
def test_interpolate_1d_3d_as_torch(mode, dtype):
    shape = (2, 3, 7) if mode == "linear" else (1, 2, 4, 5, 6)
    fn = lambda L, x: _f(L).interpolate(x, scale_factor=2, mode=mode)  # noqa: E731
    assert_same_bits(fn, [values(np.random.default_rng(5), shape, special=False)], dtype, ulp=1)


@pytest.mark.parametrize("dtype", DTYPES)
def test_conv3d_computed_in_float32(dtype):
    """torch convolves 16-bit input in float32 and rounds once (float16 was computed in
    float16, hundreds of ulps off; bfloat16 refused). One ulp in rare values: gradiente's
    float32 sums run in another order than torch's. bfloat16's backward stays refused."""
    rng = np.random.default_rng(6)
    x, w = values(rng, (2, 4, 6, 6, 6), special=False), values(rng, (5, 4, 3, 3, 3), special=False)
    fn = lambda L, x, w: _f(L).conv3d(x, w, padding=1)  # noqa: E731
    if dtype == "float16":
        assert_same_bits(fn, [x, w], dtype, ulp=1)
        fnt = lambda L, x, w: _f(L).conv_transpose3d(x, w.transpose(0, 1), stride=2)  # noqa: E731
        assert_same_bits(fnt, [x, w], dtype, ulp=1)
        return
    theirs = fn(torch, torch.tensor(x).bfloat16(), torch.tensor(w).bfloat16())
    ours = fn(g, g.tensor(x).bfloat16().requires_grad_(True), g.tensor(w).bfloat16())
    assert np.abs(ordered(theirs) - ordered(ours)).max() <= 1
    with pytest.raises(RuntimeError, match="not implemented for 'BFloat16'"):
        ours.sum().backward()


def test_float16_sigmoid_backward_rounds_each_step():
    """torch's float16 sigmoid computes in float32 and rounds once, but its backward is
    g · (1 − y) · y in float16 arithmetic (bfloat16's is float32, rounded once)."""
    x = values(np.random.default_rng(7), (100, 50), special=False)
    for fn in (lambda L, x: x.sigmoid(), lambda L, x: _f(L).sigmoid(x), lambda L, x: L.sigmoid(x)):
        for dtype in DTYPES:
            assert_same_bits(fn, [x], dtype)


@pytest.mark.parametrize("rows", [5, 64, 300])
def test_float16_log_softmax_nll_cross_entropy_as_torch(rows):
    """torch's Half kernels are its bfloat16 ones with float16 stores: log_softmax over the
    last dim stores max, Σ e^(x − max) and its log in float16; nll_loss adds its terms in a
    float16 cascade (gradiente computed them in float16 NumPy steps, or float32)."""
    rng = np.random.default_rng(rows)
    x = values(rng, (rows, 10), special=False)
    t = rng.integers(0, 10, rows)
    # (one ulp in rare gradients: g − e^y Σg, with NumPy's float32 exp against SLEEF's)
    assert_same_bits(lambda L, x: x.log_softmax(-1), [x], "float16", ulp=1)
    assert_same_bits(lambda L, x: x.log_softmax(0), [x], "float16", ulp=1)
    assert_same_bits(lambda L, x, t: _f(L).cross_entropy(x, t), [x, t], "float16", ulp=1)
    nll = lambda L, x, t: _f(L).nll_loss(x.log_softmax(-1), t, reduction="sum")  # noqa: E731
    assert_same_bits(nll, [x, t], "float16", ulp=1)
    smoothed = lambda L, x, t: _f(L).cross_entropy(x, t, label_smoothing=0.1)  # noqa: E731
    run(g, smoothed, [x, t], "float16")  # other calls still computed (not refused)


@pytest.mark.parametrize(
    "fn",
    [
        lambda L, x: x.tanh(),
        lambda L, x: x.sigmoid() * x,
        lambda L, x: _f(L).max_pool2d(x, 3, 2, 1) ** 2,
        lambda L, x: _f(L).avg_pool2d(x, 3, 2, 1) ** 2,
        lambda L, x: _f(L).adaptive_max_pool2d(x, (3, 5)) ** 2,
    ],
)
def test_float16_second_derivatives_still_work(fn):
    """float16 ops computed in float32 keep create_graph=True working (their backward runs
    as float32 Tensor ops then), close to torch's (bfloat16 refuses it)."""
    a = np.random.default_rng(8).standard_normal((2, 3, 8, 8)).astype(np.float32)
    results = []
    for L in (torch, g):
        x = L.tensor(a).half().requires_grad_(True)
        (first,) = L.autograd.grad(fn(L, x).sum(), x, create_graph=True)
        (second,) = L.autograd.grad((first * first).sum(), x)
        assert str(second.dtype) == "torch.float16"
        results.append([first.detach().float().numpy(), second.float().numpy()])
    for t, o in zip(*results, strict=True):
        np.testing.assert_allclose(o, t, rtol=4e-3, atol=1e-3)
