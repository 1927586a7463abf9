"""bfloat16 as a storage dtype: storage bits, the dtype object, factories, printing, promotion,
and ops computed in float32 and rounded once, compared with torch bit for bit."""

import os

import numpy as np
import pytest

import gradiente as g
import gradiente.nn.functional as GF

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
torch = pytest.importorskip("torch")
TF = torch.nn.functional


def bits(t):
    """The 16-bit patterns of a bfloat16 tensor (torch's or gradiente's)."""
    if isinstance(t, torch.Tensor):
        return t.detach().view(torch.int16).numpy().view(np.uint16)
    return t._data.view(np.uint16)


def pair(rng, shape, positive=False):
    a = rng.standard_normal(shape).astype(np.float32)
    if positive:
        a = np.abs(a) + 0.1
    return (
        torch.tensor(a).bfloat16().requires_grad_(True),
        g.tensor(a).bfloat16().requires_grad_(True),
    )


def test_float32_to_bfloat16_rounds_as_torch():
    rng = np.random.default_rng(0)
    words = rng.integers(0, 2**32, 200_000, dtype=np.uint64).astype(np.uint32)
    halfway = (rng.integers(0, 2**16, 20_000).astype(np.uint32) << 16) | 0x8000  # ties
    special = np.array(
        [0, 0x80000000, 0x7F800000, 0xFF800000, 0x7F7FFFFF, 0x7F7F8000, 0x1, 0x8000, 0x18000],
        dtype=np.uint32,
    )  # ±0, ±inf, max (rounds to inf), subnormals (kept, not flushed)
    f = np.concatenate([words, halfway, special]).view(np.float32)
    ours = bits(g.tensor(f).bfloat16())
    theirs = bits(torch.tensor(f).bfloat16())
    nan = np.isnan(f)
    assert np.array_equal(ours[~nan], theirs[~nan])
    assert np.all((ours[nan] & 0x7F80 == 0x7F80) & (ours[nan] & 0x7F != 0))  # NaN stays NaN
    back = g.tensor(f).bfloat16().float()._data
    assert np.array_equal(back.view(np.uint32)[~nan], np.asarray(ours[~nan], np.uint32) << 16)


def test_python_floats_round_through_float32_as_torch():
    values = [0.1, 1.0 + 2.0**-8 + 2.0**-30, -3.0e38, 1.0e-40, 7.0]
    assert np.array_equal(
        bits(g.tensor(values, dtype=g.bfloat16)), bits(torch.tensor(values, dtype=torch.bfloat16))
    )


def test_dtype_object_and_finfo():
    x = g.tensor([1.5, 0.1], dtype=g.bfloat16)
    assert repr(g.bfloat16) == "torch.bfloat16"
    assert g.bfloat16.is_floating_point and g.bfloat16.itemsize == 2
    assert x.element_size() == 2 and x.is_floating_point() and x.type() == "torch.BFloat16Tensor"
    ours, theirs = g.finfo(g.bfloat16), torch.finfo(torch.bfloat16)
    for name in ("eps", "max", "min", "tiny", "resolution", "smallest_normal", "bits"):
        assert getattr(ours, name) == getattr(theirs, name), name


def test_printing_item_tolist_numpy():
    x = g.tensor([1.5, 0.1], dtype=g.bfloat16)
    assert str(x) == str(torch.tensor([1.5, 0.1], dtype=torch.bfloat16))
    assert str(x) == "tensor([1.5000, 0.1001], dtype=torch.bfloat16)"
    values = [[1e10, 3.14159], [1e-5, 2.0]]
    assert repr(g.tensor(values, dtype=g.bfloat16)) == repr(
        torch.tensor(values, dtype=torch.bfloat16)
    )
    y = g.ones(2, 2, dtype=g.bfloat16, requires_grad=True) * 2
    assert repr(y) == repr(torch.ones(2, 2, dtype=torch.bfloat16, requires_grad=True) * 2)
    assert g.tensor(0.1, dtype=g.bfloat16).item() == 0.10009765625
    assert x.tolist() == [1.5, 0.10009765625]
    with pytest.raises(TypeError, match="Got unsupported ScalarType BFloat16"):
        x.numpy()
    assert x.float().dtype == g.float32 and x.float().tolist() == [1.5, 0.10009765625]


@pytest.mark.parametrize(
    "make",
    [
        lambda m, d: m.zeros(2, 3, dtype=d),
        lambda m, d: m.ones(4, dtype=d),
        lambda m, d: m.full((3,), 0.1, dtype=d),
        lambda m, d: m.arange(5, dtype=d),
        lambda m, d: m.arange(0, 1, 0.1, dtype=d),
        lambda m, d: m.tensor([[0.3, -2.7]], dtype=d),
        lambda m, d: m.zeros_like(m.ones(3, dtype=d)),
        lambda m, d: m.ones_like(m.ones(3), dtype=d),
        lambda m, d: m.full_like(m.ones(3, dtype=d), 2.2),
        lambda m, d: m.ones(3).to(d),
        lambda m, d: m.ones(3).bfloat16(),
        lambda m, d: (m.manual_seed(0), m.rand(1000, dtype=d))[1],
        lambda m, d: (m.manual_seed(1), m.randn(15, dtype=d))[1],
        lambda m, d: (m.manual_seed(2), m.rand_like(m.ones(7, dtype=d)))[1],
    ],
)
def test_factories_match_torch(make):
    ours, theirs = make(g, g.bfloat16), make(torch, torch.bfloat16)
    assert ours.dtype == g.bfloat16 and theirs.dtype == torch.bfloat16
    assert np.array_equal(bits(ours), bits(theirs))
    assert g.empty(3, dtype=g.bfloat16).dtype == g.bfloat16


@pytest.mark.parametrize("n", [16, 100, 1031])
def test_randn_with_many_elements_matches_torch(n):
    g.manual_seed(5)
    torch.manual_seed(5)
    assert np.array_equal(
        bits(g.randn(n, dtype=g.bfloat16)), bits(torch.randn(n, dtype=torch.bfloat16))
    )


@pytest.mark.parametrize(
    ("other", "expected"),
    [
        (lambda m: m.ones(2), "float32"),  # bf16 + float32 tensor
        (lambda m: m.ones(2, dtype=m.float16), "float32"),  # bf16 + float16
        (lambda m: m.ones(2, dtype=m.float64), "float64"),
        (lambda m: m.ones(2, dtype=m.int64), "bfloat16"),  # bf16 + int tensor
        (lambda m: 3, "bfloat16"),
        (lambda m: 2.5, "bfloat16"),
        (lambda m: m.tensor(1.0), "bfloat16"),  # a 0-d float32 tensor does not win
    ],
)
def test_promotion(other, expected):
    x = g.ones(2, dtype=g.bfloat16)
    t = torch.ones(2, dtype=torch.bfloat16)
    assert str((x + other(g)).dtype) == str((t + other(torch)).dtype) == f"torch.{expected}"


# Ops over bfloat16: each either gives torch's bits (forward, and backward where listed) or
# raises "... not implemented for 'BFloat16'".
def _fn(name):
    return lambda *a: getattr(TF if isinstance(a[0], torch.Tensor) else GF, name)(*a)


def _top(name):
    """torch.name or gradiente.name; ``cat`` takes its tensors as one list."""

    def call(*a):
        module = torch if isinstance(a[0], torch.Tensor) else g
        return module.cat(list(a)) if name == "cat" else getattr(module, name)(*a)

    return call


EXACT = {  # name: (function, number of inputs, positive inputs)
    "add": (lambda a, b: a + b, 2, False),
    "sub": (lambda a, b: a - b, 2, False),
    "mul": (lambda a, b: a * b, 2, False),
    "add_scalar": (lambda a: a + 0.3, 1, False),
    "sub_scalar": (lambda a: a - 0.7, 1, False),
    "rsub_scalar": (lambda a: 1.1 - a, 1, False),
    "mul_scalar": (lambda a: a * 0.3, 1, False),
    "neg": (lambda a: -a, 1, False),
    "exp": (lambda a: a.exp(), 1, False),
    "log": (lambda a: a.log(), 1, True),
    "sqrt": (lambda a: a.sqrt(), 1, True),
    "tanh": (lambda a: a.tanh(), 1, False),
    "sigmoid": (lambda a: a.sigmoid(), 1, False),
    "abs": (lambda a: a.abs(), 1, False),
    "clamp": (lambda a: a.clamp(-0.5, 0.5), 1, False),
    "maximum": (_top("maximum"), 2, False),
    "relu": (lambda a: a.relu(), 1, False),
    "gelu": (_fn("gelu"), 1, False),
    "leaky_relu": (lambda a: _fn("leaky_relu")(a, 0.1), 1, False),
    "sum": (lambda a: a.sum(), 1, False),
    "sum_dim": (lambda a: a.sum(1), 1, False),
    "mean": (lambda a: a.mean(), 1, False),
    "mean_dim": (lambda a: a.mean(0), 1, False),
    "max": (lambda a: a.max(), 1, False),
    "softmax": (lambda a: a.softmax(-1), 1, False),
    "log_softmax": (lambda a: a.log_softmax(-1), 1, False),
    "cumsum": (lambda a: a.cumsum(0), 1, False),
    "cross_entropy": (lambda a: _fn("cross_entropy")(a, a.argmax(1)), 1, False),
    "elu": (_fn("elu"), 1, False),
    "hardtanh": (_fn("hardtanh"), 1, False),
    "median_dim": (lambda a: a.median(1)[0], 1, False),
    "matmul": (lambda a, b: a @ b.T, 2, False),
    "linear": (lambda a, b: _fn("linear")(a, b[:16]), 2, False),
    "transpose_index_cat": (lambda a, b: _top("cat")(a.t()[1:5], b.t()[::3]), 2, False),
    "reshape_expand": (lambda a: a.reshape(-1, 1)[:40].expand(40, 3) * 1.5, 1, False),
    "silu": (_fn("silu"), 1, False),  # (tests/reduced_precision: torch's backward is a kernel)
    "sin": (lambda a: a.sin(), 1, False),  # (its backward: bfloat16 ops, as torch's formula)
    "norm": (lambda a: a.norm(), 1, False),
    "adaptive_max_pool2d": (
        lambda a: _fn("adaptive_max_pool2d")(a.reshape(2, 3, 8, 20), (3, 7)),
        1,
        False,
    ),
    "avg_pool2d": (lambda a: _fn("avg_pool2d")(a.reshape(2, 3, 8, 20), 3, 2, 1), 1, False),
    "adaptive_avg_pool2d": (
        lambda a: _fn("adaptive_avg_pool2d")(a.reshape(2, 3, 8, 20), (3, 7)),
        1,
        False,
    ),
    # pooling (more shapes and arguments: tests/test_parity_pooling_more.py)
    "max_pool3d": (lambda a: _fn("max_pool3d")(a.reshape(2, 3, 4, 4, 10), 2, 1), 1, False),
}
FORWARD_ONLY = {
    "div": (lambda a, b: a / b, 2, True),
    "var": (lambda a: a.var(1), 1, False),
}
REFUSED = {
    "rdiv": lambda a: 2.0 / a,  # torch: reciprocal, then a product (two roundings)
    "pow": lambda a: a**3,  # torch multiplies in bfloat16
    "layer_norm": lambda a: _fn("layer_norm")(a, (5,)),
}


def _zero_sign_free(b):
    """Bits with -0 as +0: relu's gradient has the sign of g · 0 in gradiente, 0 in torch's
    scalar kernel (the same known difference as in float32)."""
    return np.where(b == 0x8000, 0, b)


def _check_exact(f, n, positive, backward: bool, seed: int):
    rng = np.random.default_rng(seed)
    args = [pair(rng, (24, 40), positive) for _ in range(n)]
    theirs = f(*[a[0] for a in args])
    ours = f(*[a[1] for a in args])
    assert ours.dtype == g.bfloat16 and theirs.dtype == torch.bfloat16
    assert np.array_equal(bits(ours), bits(theirs))
    if not backward:
        return args, ours
    up = rng.standard_normal(tuple(theirs.shape)).astype(np.float32)
    theirs.backward(torch.tensor(up).bfloat16())
    ours.backward(g.tensor(up).bfloat16())
    for t, o in args:
        assert o.grad.dtype == g.bfloat16
        assert np.array_equal(_zero_sign_free(bits(o.grad)), _zero_sign_free(bits(t.grad)))
    return args, ours


@pytest.mark.parametrize("name", sorted(EXACT))
def test_op_is_bit_exact_forward_and_backward(name):
    f, n, positive = EXACT[name]
    for seed in range(2):
        _check_exact(f, n, positive, True, seed)


@pytest.mark.parametrize("name", sorted(FORWARD_ONLY))
def test_op_forward_exact_backward_refused(name):
    f, n, positive = FORWARD_ONLY[name]
    args, ours = _check_exact(f, n, positive, False, 0)
    with pytest.raises(RuntimeError, match="not implemented for 'BFloat16'"):
        ours.sum().backward()
    with g.no_grad():  # without a graph the forward is simply torch's
        f(*[a[1].detach() for a in args])


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_op_without_exact_kernel_raises(name):
    x = g.tensor(np.random.default_rng(0).standard_normal((4, 5)), dtype=g.bfloat16)
    with pytest.raises(RuntimeError, match="not implemented for 'BFloat16'"):
        REFUSED[name](x.abs() + 0.5)


def test_conv2d_forward_and_backward_bits():
    rng = np.random.default_rng(3)
    (tx, gx), (tw, gw), (tb, gb) = (
        pair(rng, (2, 3, 9, 9)),
        pair(rng, (4, 3, 3, 3)),
        pair(rng, (4,)),
    )
    theirs = TF.conv2d(tx, tw, tb, padding=1)
    ours = GF.conv2d(gx, gw, gb, padding=1)
    assert np.array_equal(bits(ours), bits(theirs))
    up = rng.standard_normal(tuple(theirs.shape)).astype(np.float32)
    theirs.backward(torch.tensor(up).bfloat16())
    ours.backward(g.tensor(up).bfloat16())
    for t, o in ((tx, gx), (tw, gw), (tb, gb)):
        assert np.array_equal(bits(o.grad), bits(t.grad))


def test_bfloat16_mlp_gradients_equal_torch():
    tnet = torch.nn.Sequential(
        torch.nn.Linear(20, 32), torch.nn.Tanh(), torch.nn.Linear(32, 10)
    ).bfloat16()
    gnet = g.nn.Sequential(g.nn.Linear(20, 32), g.nn.Tanh(), g.nn.Linear(32, 10)).bfloat16()
    with torch.no_grad():
        for p, q in zip(tnet.parameters(), gnet.parameters()):
            q.data = g.tensor(p.float().numpy()).bfloat16()
    rng = np.random.default_rng(4)
    x = rng.standard_normal((16, 20)).astype(np.float32)
    theirs = tnet(torch.tensor(x).bfloat16()).softmax(-1).mean()
    ours = gnet(g.tensor(x).bfloat16()).softmax(-1).mean()
    assert np.array_equal(bits(ours), bits(theirs))
    theirs.backward()
    ours.backward()
    for p, q in zip(tnet.parameters(), gnet.parameters()):
        assert q.grad.dtype == g.bfloat16
        assert np.array_equal(bits(q.grad), bits(p.grad))


def test_create_graph_through_bfloat16_refused():
    x = g.ones(3, dtype=g.bfloat16, requires_grad=True)
    y = (x * x).sum()
    with pytest.raises(RuntimeError, match="not implemented for 'BFloat16'"):
        g.autograd.grad(y, x, create_graph=True)


def test_safetensors_round_trip_with_torch(tmp_path):
    from safetensors.torch import load_file, save_file

    x = g.tensor([1.5, 0.1, -3e38, 2.0**-130], dtype=g.bfloat16)
    g.save({"w": x}, tmp_path / "g.safetensors")
    back = g.load(tmp_path / "g.safetensors")["w"]
    assert np.array_equal(bits(back), bits(x)) and str(back) == str(x)
    assert np.array_equal(bits(load_file(tmp_path / "g.safetensors")["w"]), bits(x))
    t = torch.tensor([0.1, 2.5], dtype=torch.bfloat16)
    save_file({"w": t}, tmp_path / "t.safetensors")
    ours = g.load(tmp_path / "t.safetensors")["w"]
    assert np.array_equal(bits(ours), bits(t)) and str(ours) == str(t)
    assert np.array_equal(bits(ours * 3), bits(t * 3))  # a loaded tensor computes as bfloat16
