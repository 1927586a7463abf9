"""Element-wise ops: values, gradients (random upstream), second derivatives vs torch; gradcheck."""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import gradiente
from conftest import assert_same, check_op, leaf, to_torch

torch = pytest.importorskip("torch")

SHAPES = [(), (5,), (3, 4), (2, 3, 4)]


def _rand(shape, seed=0, low=-2.0, high=2.0):
    return np.random.default_rng(seed).uniform(low, high, shape)


def _positive(shape, seed=0):
    return _rand(shape, seed, 0.5, 2.5)


UNARY = {
    "neg": (lambda m, a: -a, _rand),
    "neg_method": (lambda m, a: a.neg(), _rand),
    "abs": (lambda m, a: a.abs(), _rand),
    "abs_builtin": (lambda m, a: abs(a), _rand),
    "exp": (lambda m, a: a.exp(), _rand),
    "log": (lambda m, a: a.log(), _positive),
    "log1p": (lambda m, a: a.log1p(), lambda s, seed=0: _rand(s, seed, -0.9, 3.0)),
    "expm1": (lambda m, a: a.expm1(), _rand),
    "log2": (lambda m, a: a.log2(), _positive),
    "log10": (lambda m, a: a.log10(), _positive),
    "sqrt": (lambda m, a: a.sqrt(), _positive),
    "rsqrt": (lambda m, a: a.rsqrt(), _positive),
    "reciprocal": (lambda m, a: a.reciprocal(), _positive),
    "square": (lambda m, a: a.square(), _rand),
    "sin": (lambda m, a: a.sin(), _rand),
    "cos": (lambda m, a: a.cos(), _rand),
    "tanh": (lambda m, a: a.tanh(), _rand),
    "sigmoid": (lambda m, a: a.sigmoid(), _rand),
    "relu": (lambda m, a: a.relu(), _rand),
    "torch_exp": (lambda m, a: m.exp(a), _rand),
    "torch_sigmoid": (lambda m, a: m.sigmoid(a), _rand),
    "torch_relu": (lambda m, a: m.relu(a), _rand),
    "clamp_both": (lambda m, a: a.clamp(-0.5, 0.7), _rand),
    "clamp_min": (lambda m, a: a.clamp(min=-0.5), _rand),
    "clamp_max": (lambda m, a: a.clamp(max=0.3), _rand),
    "clip": (lambda m, a: m.clip(a, -1.0, 1.0), _rand),
    "clamp_int_bounds": (lambda m, a: a.clamp(-1, 1), _rand),
    "pow_2": (lambda m, a: a**2, _rand),
    "pow_3": (lambda m, a: a**3, _rand),
    "pow_int_neg": (lambda m, a: a**-2, _positive),
    "pow_half": (lambda m, a: a**0.5, _positive),
    "pow_float": (lambda m, a: a.pow(-1.5), _positive),
    "pow_zero": (lambda m, a: a**0, _rand),
    "pow_one": (lambda m, a: a**1, _rand),
    "rpow": (lambda m, a: 2**a, _rand),
    "rpow_float": (lambda m, a: 2.5**a, _rand),
    "rpow_fraction": (lambda m, a: 0.3**a, _rand),
    "torch_pow_scalar_base": (lambda m, a: m.pow(3.0, a), _rand),
    "add_scalar": (lambda m, a: a + 2, _rand),
    "radd_scalar": (lambda m, a: 2.5 + a, _rand),
    "sub_scalar": (lambda m, a: a - 2, _rand),
    "rsub_scalar": (lambda m, a: 2.5 - a, _rand),
    "mul_scalar": (lambda m, a: a * 3, _rand),
    "rmul_scalar": (lambda m, a: -1.5 * a, _rand),
    "div_scalar": (lambda m, a: a / 4, _rand),
    "rdiv_scalar": (lambda m, a: 3.0 / a, _positive),
    "rdiv_int": (lambda m, a: 1 / a, _positive),
    "add_alpha_scalar": (lambda m, a: a.add(2.0, alpha=3), _rand),
    "pos": (lambda m, a: +a, _rand),
    "sum_chain": (lambda m, a: a.exp() * a.sin() - a.tanh() / (1 + a * a), _rand),
}

# Functions whose backward is written with Tensor ops: their second derivatives must match.
NO_DOUBLE = set()


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", list(UNARY))
def test_unary(name, shape):
    op, make = UNARY[name]
    check_op(op, make(shape, 3), double=name not in NO_DOUBLE)


BINARY_SHAPES = [
    ((3, 4), (3, 4)),
    ((3, 4), (4,)),
    ((4,), (3, 4)),
    ((2, 1, 4), (3, 1)),
    ((), (3,)),
    ((5,), ()),
    ((1, 3), (2, 1)),
]

BINARY = {
    "add": (lambda m, a, b: a + b, _rand, _rand),
    "add_method": (lambda m, a, b: a.add(b), _rand, _rand),
    "add_alpha": (lambda m, a, b: a.add(b, alpha=-2.5), _rand, _rand),
    "torch_add_alpha": (lambda m, a, b: m.add(a, b, alpha=0.5), _rand, _rand),
    "sub": (lambda m, a, b: a - b, _rand, _rand),
    "sub_alpha": (lambda m, a, b: a.sub(b, alpha=2), _rand, _rand),
    "mul": (lambda m, a, b: a * b, _rand, _rand),
    "torch_mul": (lambda m, a, b: m.mul(a, b), _rand, _rand),
    "div": (lambda m, a, b: a / b, _rand, _positive),
    "div_method": (lambda m, a, b: a.div(b), _rand, _positive),
    "pow": (lambda m, a, b: a**b, _positive, _rand),
    "torch_pow": (lambda m, a, b: m.pow(a, b), _positive, _rand),
    "maximum": (lambda m, a, b: m.maximum(a, b), _rand, _rand),
    "minimum": (lambda m, a, b: m.minimum(a, b), _rand, _rand),
    "maximum_method": (lambda m, a, b: a.maximum(b), _rand, _rand),
    "where": (lambda m, a, b: m.where(a > b, a, b), _rand, _rand),
    "where_method": (lambda m, a, b: a.where(a < 0, b), _rand, _rand),
    "clamp_tensor_min": (lambda m, a, b: a.clamp(min=b), _rand, _rand),
    "clamp_tensor_max": (lambda m, a, b: m.clamp(a, max=b), _rand, _rand),
    "mixed": (lambda m, a, b: (a * b + a / (b * b + 1)) ** 2 - b.exp() * a, _rand, _rand),
}


@pytest.mark.parametrize("shapes", BINARY_SHAPES, ids=str)
@pytest.mark.parametrize("name", list(BINARY))
def test_binary_broadcasting(name, shapes):
    op, make_a, make_b = BINARY[name]
    check_op(op, make_a(shapes[0], 1), make_b(shapes[1], 2), double=True)


@pytest.mark.parametrize("name", ["add", "mul", "div", "sub", "maximum", "pow"])
def test_binary_only_one_side_requires_grad(name):
    op, make_a, make_b = BINARY[name]
    a, b = make_a((3, 4), 1), make_b((4,), 2)
    check_op(op, a, b, requires_grad=[True, False])
    check_op(op, a, b, requires_grad=[False, True])


@pytest.mark.parametrize("shape", [(4,), (2, 3)], ids=str)
def test_where_with_scalars_and_masked_fill(shape):
    x = _rand(shape, 4)
    mask = _rand(shape, 5) > 0
    check_op(lambda m, a, c: m.where(c, a, 0.0), x, mask)
    check_op(lambda m, a, c: m.where(c, 1.5, a), x, mask)
    check_op(lambda m, a, c: a.masked_fill(c, -3.0), x, mask, double=True)
    check_op(lambda m, a, c: a.masked_fill(c[..., :1], 2.0), x, mask)  # broadcast mask


def test_masked_fill_with_tensor_value_gets_gradient():
    x = _rand((3, 4), 1)
    value = np.array(0.75)
    mask = _rand((3, 4), 2) > 0
    check_op(lambda m, a, v, c: a.masked_fill(c, v), x, value, mask)


# -------------------------------------------------------------------- conventions at kinks


@pytest.mark.parametrize(
    "op",
    [
        lambda m, a: a.abs(),
        lambda m, a: a.relu(),
        lambda m, a: a.clamp(-1.0, 1.0),
        lambda m, a: a.clamp(min=0.0),
        lambda m, a: a.sqrt(),
        lambda m, a: a**2,
        lambda m, a: a**0.5,
        lambda m, a: a**0,
        lambda m, a: a.pow(3),
        lambda m, a: 0**a,
        lambda m, a: 0.0**a,
        lambda m, a: m.maximum(a, a.detach()),
        lambda m, a: m.minimum(a, m.zeros_like(a)),
        lambda m, a: m.maximum(a, m.zeros_like(a)),
        lambda m, a: a.sigmoid(),
    ],
    ids=[
        "abs",
        "relu",
        "clamp",
        "clamp_min",
        "sqrt",
        "pow2",
        "pow_half",
        "pow0",
        "pow3",
        "zero_rpow",
        "zero_float_rpow",
        "maximum_tie",
        "minimum_zero",
        "maximum_zero",
        "sigmoid",
    ],
)
def test_gradient_conventions_at_kinks(op):
    """Where the derivative is undefined, PyTorch picks a value; gradiente must pick the same."""
    # (-0.0 is left out: PyTorch's own pow gradient at -0.0 depends on its kernel's sign path.)
    x = np.array([-1.0, 0.0, 1.0, 2.0, 0.0])
    check_op(op, x, gradcheck=False, atol=0)


def test_abs_and_relu_at_negative_zero():
    x = np.array([-0.0, 0.0, -1.0])
    check_op(lambda m, a: a.abs(), x, gradcheck=False, atol=0)
    check_op(lambda m, a: a.relu(), x, gradcheck=False, atol=0)


def test_maximum_ties_share_gradient_between_both_inputs():
    x = np.array([1.0, 2.0, 3.0])
    check_op(lambda m, a, b: m.maximum(a, b), x, x.copy(), gradcheck=False)
    check_op(lambda m, a, b: m.minimum(a, b), x, np.array([1.0, 0.0, 3.0]), gradcheck=False)


def test_tensor_exponent_zero_base():
    base = np.array([0.0, 0.0, 2.0, 0.0])
    exponent = np.array([0.0, 2.0, 0.0, 1.0])
    check_op(lambda m, a, b: a**b, base, exponent, gradcheck=False)


def test_sigmoid_tanh_exp_stable_for_large_inputs():
    x = np.array([-800.0, -40.0, 0.0, 40.0, 800.0])
    check_op(lambda m, a: a.sigmoid(), x, gradcheck=False)
    check_op(lambda m, a: a.tanh(), x, gradcheck=False)
    x32 = np.array([-200.0, -90.0, 90.0, 200.0], dtype=np.float32)
    check_op(lambda m, a: a.sigmoid(), x32, gradcheck=False, rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_float32_ops_stay_float32(dtype):
    x = _rand((3, 4), 1).astype(dtype)
    y = _positive((3, 4), 2).astype(dtype)
    rtol = 1e-6 if dtype == np.float32 else 1e-7
    for op in (
        lambda m, a, b: a * b + a / b - b**2,
        lambda m, a, b: (a.exp() + b.log()).sigmoid(),
        lambda m, a, b: m.maximum(a, b).sqrt() * 2.5,
        lambda m, a, b: 3 / b + 2**a - 1.5 * a,
    ):
        check_op(op, x, y, rtol=rtol, atol=1e-6, gradcheck=False)


# -------------------------------------------------------------------- comparisons and logic

COMPARISONS = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b,
    "gt": lambda a, b: a > b,
    "ge": lambda a, b: a >= b,
    "eq_method": lambda a, b: a.eq(b),
    "ge_method": lambda a, b: a.ge(b),
    "logical_and": lambda a, b: (a > 0).logical_and(a < b),
    "logical_or": lambda a, b: (a > 0).logical_or(a < b),
    "logical_xor": lambda a, b: (a > 0).logical_xor(a < b),
    "logical_not": lambda a, b: (a > b).logical_not(),
    "and": lambda a, b: (a > 0) & (b > 0),
    "or": lambda a, b: (a > 0) | (b > 0),
    "xor": lambda a, b: (a > 0) ^ (b > 0),
    "invert": lambda a, b: ~(a > b),
    "isclose": lambda a, b: a.isclose(b if not isinstance(b, float) else a * 0 + b),
}


@pytest.mark.parametrize("name", list(COMPARISONS))
@pytest.mark.parametrize("other", ["tensor", "broadcast", "scalar"])
def test_comparisons_and_logic_return_bool_tensors(name, other):
    a = np.array([[0.0, 1.0, -1.0, 2.0], [3.0, -2.0, 0.5, 1.0]])
    b = {
        "tensor": np.array([[0.0, 2.0, -1.0, 1.0], [3.0, -3.0, 0.0, 1.0]]),
        "broadcast": np.array([0.0, 1.0, 0.5, -2.0]),
        "scalar": 1.0,
    }[other]
    fn = COMPARISONS[name]
    ga = leaf(a)
    gb = leaf(b) if isinstance(b, np.ndarray) else b
    g = fn(ga, gb)
    t = fn(to_torch(ga), to_torch(gb) if isinstance(gb, gradiente.Tensor) else gb)
    assert g.dtype == gradiente.bool
    assert not g.requires_grad and g.grad_fn is None
    assert_same(g, t)


def test_comparisons_on_int_tensors_and_python_ints():
    a = gradiente.tensor([1, 2, 3])
    ta = torch.tensor([1, 2, 3])
    assert_same(a == 2, ta == 2)
    assert_same(a < 2.5, ta < 2.5)
    assert_same(a >= gradiente.tensor([3, 2, 1]), ta >= torch.tensor([3, 2, 1]))
    assert_same(a & 1, ta & 1)
    assert_same(~a, ~ta)


# -------------------------------------------------------------------- broadcasting properties


@st.composite
def _broadcastable_pair(draw):
    shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=4, max_side=3))
    return shapes.input_shapes


_PROPERTY_OPS = {
    "add": lambda m, a, b: a + b,
    "mul": lambda m, a, b: a * b,
    "div": lambda m, a, b: a / b,
    "maximum": lambda m, a, b: m.maximum(a, b),
}


@pytest.mark.parametrize("name", list(_PROPERTY_OPS))
@settings(max_examples=40, deadline=None)
@given(shapes=_broadcastable_pair(), seed=st.integers(0, 2**16))
def test_broadcast_gradients_property(name, shapes, seed):
    """For any broadcastable shapes: gradient shapes equal input shapes, values equal torch's."""
    shape_a, shape_b = shapes
    a = _rand(shape_a, seed)
    b = _rand(shape_b, seed + 1)
    if name == "div":
        b = np.where(np.abs(b) < 0.3, 1.0, b)
    ga, gb = leaf(a), leaf(b)
    out = _PROPERTY_OPS[name](gradiente, ga, gb)
    upstream = np.random.default_rng(seed).standard_normal(out.shape)
    out.backward(gradiente.from_numpy(upstream))
    assert ga.grad.shape == ga.shape and gb.grad.shape == gb.shape
    ta, tb = to_torch(ga, True), to_torch(gb, True)
    _PROPERTY_OPS[name](torch, ta, tb).backward(torch.from_numpy(upstream))
    assert_same(ga.grad, ta.grad)
    assert_same(gb.grad, tb.grad)


# -------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "op",
    [
        lambda a, b: a + b,
        lambda a, b: a * b,
        lambda a, b: gradiente.maximum(a, b),
        lambda a, b: gradiente.where(a > 0, a, b),
    ],
)
def test_broadcast_mismatch_error_names_both_shapes(op):
    a = gradiente.ones(2, 3)
    b = gradiente.ones(4, 5)
    with pytest.raises(RuntimeError) as info:  # PyTorch's error type
        op(a, b)
    text = str(info.value).replace(" ", "")
    assert ("(2,3)" in text or "[2,3]" in text) and ("(4,5)" in text or "[4,5]" in text), text


def test_sigmoid_int_input_promotes_like_torch():
    assert_same(gradiente.tensor([0, 1, 2]).sigmoid(), torch.tensor([0, 1, 2]).sigmoid())
    assert_same(gradiente.tensor([1, 4]).sqrt(), torch.tensor([1, 4]).sqrt())
    assert_same(gradiente.tensor([-1, 4]).abs(), torch.tensor([-1, 4]).abs())
    assert_same(gradiente.tensor([-1, 4]).relu(), torch.tensor([-1, 4]).relu())
    assert_same(gradiente.tensor([-3, 4]).clamp(-1, 2), torch.tensor([-3, 4]).clamp(-1, 2))


# -- found by the differential fuzzer (tests/fuzz) -------------------------------------------


def test_sign_of_nan_and_bool_as_torch():
    """sign(NaN) = 0 and sign(-0.0) = +0.0 in PyTorch ((x > 0) - (x < 0)); bool keeps its dtype."""
    check_op(lambda m, a: m.sign(a), np.array([np.nan, -0.0, 0.0, -2.0, 3.0]), grad=False)
    out = gradiente.sign(gradiente.tensor([-0.0, float("nan")]))
    assert not np.signbit(out.numpy()).any()
    bools = [True, False]
    assert_same(gradiente.sign(gradiente.tensor(bools)), torch.sign(torch.tensor(bools)))


@pytest.mark.parametrize(
    "op",
    [
        lambda m, a: m.abs(a),
        lambda m, a: m.relu(a),
        lambda m, a: m.nn.functional.relu(a),
        lambda m, a: m.nn.functional.hardtanh(a),
        lambda m, a: m.maximum(a, m.zeros((), dtype=a.dtype)),
        lambda m, a: m.minimum(a, m.ones((), dtype=a.dtype)),
        lambda m, a: m.nn.functional.l1_loss(a, m.zeros_like(a), reduction="none"),
    ],
)
def test_gradients_at_nan_follow_torch(op):
    """At a NaN input abs/l1 pass no gradient, relu/hardtanh/maximum/minimum pass it whole."""
    check_op(op, np.array([np.nan, 0.5, -2.0]), gradcheck=False)


def test_number_operand_refused_where_torch_wants_a_tensor():
    x = gradiente.tensor([1.0, 2.0])
    for name in ("maximum", "minimum", "fmax", "fmin", "logical_and", "logical_or", "logical_xor"):
        with pytest.raises(TypeError):
            getattr(gradiente, name)(x, 2)
        with pytest.raises(TypeError):
            getattr(torch, name)(torch.tensor([1.0, 2.0]), 2)
    with pytest.raises(TypeError):
        gradiente.clamp(x, min=gradiente.tensor([0.0]), max=1)


@pytest.mark.parametrize(
    "name, dtype",
    [("abs", "bool"), ("floor", "bool"), ("ceil", "bool"), ("round", "bool"), ("trunc", "bool"),
     ("relu", "bool"), ("frac", "int64"), ("frac", "bool")],
)  # fmt: skip
def test_unary_ops_without_a_kernel_for_the_dtype_raise(name, dtype):
    with pytest.raises((NotImplementedError, RuntimeError)):
        getattr(torch, name)(torch.tensor([1, 0]).to(getattr(torch, dtype)))
    with pytest.raises((NotImplementedError, RuntimeError)):
        getattr(gradiente, name)(gradiente.tensor([1, 0]).to(getattr(gradiente, dtype)))


@pytest.mark.parametrize("name", ["hypot", "logaddexp"])
def test_float_only_binary_ops_raise_on_integers(name):
    for lib in (torch, gradiente):
        with pytest.raises(NotImplementedError):
            getattr(lib, name)(lib.tensor([1, 2]), lib.tensor([3, 4]))


@pytest.mark.parametrize(
    "op",
    [
        lambda m, a: m.clamp(a, min=-1.0),
        lambda m, a: m.relu(a),
        lambda m, a: m.nn.functional.relu(a),
        lambda m, a: m.maximum(a, m.zeros((), dtype=a.dtype)),
        lambda m, a: m.minimum(a, m.ones((), dtype=a.dtype)),
    ],
)
def test_nan_upstream_gradient_is_dropped_where_the_op_blocks_it(op):
    """PyTorch's backward uses where/masked_fill: a NaN upstream gives 0 where the mask is off."""
    results = []
    for m in (gradiente, torch):
        x = m.tensor([float("nan"), 1.0, -2.0, 0.0], requires_grad=True)
        op(m, x).backward(m.full((4,), float("nan")))
        results.append(x.grad)
    assert_same(*results)


def test_clamp_takes_a_0d_tensor_without_grad_as_a_number():
    for lib in (torch, gradiente):
        assert lib.clamp(lib.tensor([1.0, 2.0]), min=lib.tensor(0), max=1).tolist() == [1.0, 1.0]
        with pytest.raises(TypeError):
            lib.clamp(lib.tensor([1.0]), min=lib.tensor(0.0, requires_grad=True), max=1)


def test_relu_keeps_negative_zero():
    """torch's relu is x < 0 ? 0 : x, so -0.0 stays -0.0 (found by the fuzzer)."""
    for fn in (lambda m, a: m.relu(a), lambda m, a: m.nn.functional.relu(a)):
        g = fn(gradiente, gradiente.tensor([-0.0, -2.0, 0.0]))
        t = fn(torch, torch.tensor([-0.0, -2.0, 0.0]))
        assert np.array_equal(np.signbit(g.numpy()), np.signbit(t.numpy()))


@pytest.mark.parametrize("name", ["atan2", "hypot", "logaddexp", "logaddexp2"])
@pytest.mark.parametrize("other", [2, 2.5, True])
def test_float_binary_functions_refuse_a_number_operand(name, other):
    """torch.atan2/hypot/logaddexp(2) take a Tensor ``other`` only (found by the fuzzer)."""
    for lib in (torch, gradiente):
        x = lib.tensor([1.0, 2.0])
        with pytest.raises(TypeError):
            getattr(lib, name)(x, other)
        with pytest.raises(TypeError):
            getattr(x, name)(other)
    check_op(lambda m, a, b: getattr(m, name)(a, b), np.array([1.0, -2.0]), np.array([0.5, 3.0]))


POW_CASES = [
    lambda m: m.tensor([True, False]) ** True,
    lambda m: m.tensor([True, False]) ** False,
    lambda m: m.tensor([True, False]) ** 2,
    lambda m: m.square(m.tensor([True, False])),
    lambda m: m.tensor([True, False]).square(),
    lambda m: 2 ** m.tensor([True, False]),
    lambda m: 2.5 ** m.tensor([True, False]),
    lambda m: m.tensor([0, 1, -1, 2, -2, -1, 3]) ** m.tensor([-1, -1, -1, -1, -1, -2, 0]),
    lambda m: m.tensor([2, 3]) ** m.tensor(-1),
    lambda m: 2 ** m.tensor([-1, 2]),
    lambda m: (-1) ** m.tensor([-1, -2, 3]),
    lambda m: m.tensor([1, 2]) ** m.tensor(2.5, dtype=m.float64),
]


@pytest.mark.parametrize("case", range(len(POW_CASES)))
def test_pow_dtypes_and_negative_integer_exponents_match_torch(case):
    """bool ** int is int64, bool ** bool keeps bool, integer tensors to negative tensor powers
    truncate to 0 (±1 for bases ±1) instead of raising (found by the fuzzer)."""
    assert_same(POW_CASES[case](gradiente), POW_CASES[case](torch))


@pytest.mark.parametrize(
    "op",
    [
        lambda m: m.tensor([True]) ** m.tensor([True]),
        lambda m: True ** m.tensor([True]),
        lambda m: m.tensor([True]).pow_(2),
        lambda m: m.tensor([True]).square_(),
        lambda m: m.tensor([1, 2]).sqrt_(),
        lambda m: m.tensor([2, 3]) ** -1,
    ],
)
def test_pow_refuses_what_torch_refuses(op):
    for lib in (torch, gradiente):
        with pytest.raises((NotImplementedError, RuntimeError)):
            op(lib)


@pytest.mark.parametrize(
    "op",
    [
        lambda m, a: m.clamp(a, min=0),
        lambda m, a: m.clamp(a, min=-1.0, max=0.0),
        lambda m, a: a.clamp(max=-0.0),
        lambda m, a: m.clamp(a, min=m.zeros_like(a)),
        lambda m, a: m.maximum(a, m.zeros_like(a)),
        lambda m, a: m.maximum(m.zeros_like(a), a),
        lambda m, a: m.minimum(a, m.zeros_like(a)),
        lambda m, a: m.minimum(m.zeros_like(a), a),
        lambda m, a: m.nn.functional.elu(a),
        lambda m, a: m.nn.functional.celu(a),
        lambda m, a: m.nn.functional.selu(a),
    ],
)
def test_ties_at_zero_keep_torchs_sign(op):
    """On a tie torch's clamp/maximum/minimum return their first operand (x), so -0.0 vs 0.0
    keeps its sign; elu(-0.0) is -0.0 (found by the fuzzer). Small tensors: torch's scalar
    kernel path."""
    x = np.array([-0.0, 0.0, -0.0, 1.5, -2.0, 0.0])
    g, t = op(gradiente, gradiente.tensor(x)), op(torch, torch.tensor(x))
    assert_same(g, t)
    assert np.array_equal(np.signbit(g.numpy()), np.signbit(t.numpy()))
    check_op(op, _rand((3, 4), seed=5))


@pytest.mark.parametrize("name", ["atan2", "logaddexp", "logaddexp2", "xlogy", "hypot"])
@pytest.mark.parametrize(
    "operands",
    [
        lambda m: (m.tensor([True, False]), m.tensor(2.5, dtype=m.float64)),
        lambda m: (m.tensor([1, 2]), m.tensor(2.5, dtype=m.float64)),
        lambda m: (m.tensor(2.5, dtype=m.float64), m.tensor([1, 2])),
        lambda m: (m.tensor([1.0, 2.0]), m.tensor(2.5, dtype=m.float64)),
        lambda m: (m.tensor([1, 2]), m.tensor([True, False])),
    ],
)
def test_float_binary_functions_promote_before_going_float(name, operands):
    """A bool/int tensor with a float64 0-d tensor is float64 (torch promotes first, then picks
    the default float type for integer results); integer-only hypot/logaddexp/logaddexp2 raise
    (found by the fuzzer)."""
    results = []
    for lib in (gradiente, torch):
        try:
            results.append(getattr(lib, name)(*operands(lib)))
        except NotImplementedError as e:
            results.append(e)
    g, t = results
    if isinstance(t, Exception):
        assert isinstance(g, NotImplementedError), g
    else:
        assert_same(g, t)


CLAMP_NUMBER_AND_0D = [
    lambda m: m.clamp(m.tensor(0), min=m.tensor(2.75, dtype=m.float64), max=-1),
    lambda m: m.clamp(m.tensor([0, 3]), min=m.tensor(2.5, dtype=m.float64), max=5),
    lambda m: m.clamp(m.tensor([0.0, 3.0]), min=m.tensor(2.75, dtype=m.float64), max=1),
    lambda m: m.clamp(m.tensor([0, 3]), min=-1, max=m.tensor(2)),
    lambda m: m.clamp(m.tensor([0, 3]), min=m.tensor(2.5, dtype=m.float64)),
    lambda m: m.clamp(m.tensor([0, 3]), min=m.tensor(2.5, dtype=m.float64), max=m.tensor(5)),
]


@pytest.mark.parametrize("case", range(len(CLAMP_NUMBER_AND_0D)))
def test_clamp_with_a_number_takes_a_0d_bound_as_a_number(case):
    """clamp(int, min=0-d float64 tensor, max=-1) is float32: with a number beside it, torch
    reads the 0-d tensor as a number (found by the fuzzer); two tensor bounds promote as
    tensors."""
    assert_same(CLAMP_NUMBER_AND_0D[case](gradiente), CLAMP_NUMBER_AND_0D[case](torch))


@pytest.mark.parametrize(
    "op",
    [
        lambda m, a: m.nn.functional.elu(a),
        lambda m, a: m.nn.functional.selu(a),
        lambda m, a: m.nn.functional.celu(a, alpha=0.5),
    ],
)
def test_elu_family_passes_the_gradient_at_nan(op):
    """torch's elu_backward tests x <= 0, so a NaN input takes the x > 0 slope (found by the
    fuzzer)."""
    grads = []
    for lib in (gradiente, torch):
        x = lib.tensor([float("nan"), -1.0, 0.0, 2.0], requires_grad=True)
        op(lib, x).backward(lib.tensor([1.0, 2.0, -1.0, 0.5]))
        grads.append(x.grad)
    assert_same(*grads)
    check_op(op, _rand((3, 4), seed=7))


def test_xlogy_values_and_gradients_at_zero_nan_and_infinity():
    """xlogy is NaN where y is NaN, 0 where x == 0; d/dx is xlogy(grad, y) masked to 0 where
    x == 0 and y <= 0 (torch's formula; found by the fuzzer)."""
    nan, inf = float("nan"), float("inf")
    xs = [0.0, -0.0, 1.0, -2.0, nan, inf]
    ys = [nan, 0.0, -0.5, 2.0, inf, -inf, 1.0]
    x = np.array([[a for _ in ys] for a in xs])
    y = np.array([ys for _ in xs])
    for up in (1.5, 0.0, nan):
        results = []
        for lib in (gradiente, torch):
            a = lib.tensor(x, requires_grad=True)
            b = lib.tensor(y, requires_grad=True)
            out = lib.xlogy(a, b)
            out.backward(lib.full(out.shape, up, dtype=out.dtype))
            results.append((out, a.grad, b.grad))
        for g, t in zip(*results, strict=True):
            np.testing.assert_array_equal(g.detach().numpy(), t.detach().numpy())
    check_op(lambda m, a, b: m.xlogy(a, b), _rand((3, 4), 1), _positive((3, 4), 2))


def _same_grads(op, *arrays, up):
    """op(lib, *leaves) in both libraries with upstream ``up``: values and every input's
    gradient agree exactly, NaN for NaN."""
    results = []
    for lib in (gradiente, torch):
        leaves = [lib.tensor(a, requires_grad=True) for a in arrays]
        out = op(lib, *leaves)
        out.backward(lib.tensor(up, dtype=out.dtype))
        grads = [None if t.grad is None else t.grad.numpy() for t in leaves]
        results.append([out.detach().numpy(), *grads])
    for g, t in zip(*results, strict=True):
        assert (g is None) == (t is None)
        np.testing.assert_array_equal(g, t)


@pytest.mark.parametrize(
    "op",
    [
        lambda m, a, b, c: m.fmin(a, b),
        lambda m, a, b, c: m.fmax(a, b),
        lambda m, a, b, c: m.clamp(a, b, c),
        lambda m, a, b, c: m.clamp(a, min=b),
        lambda m, a, b, c: m.clamp(a, max=c),
    ],
)
def test_fmin_fmax_and_tensor_clamp_gradients_at_ties_and_nan(op):
    """fmin/fmax send a tie's whole gradient to the first operand; clamp with tensor bounds
    uses torch's where-masks (NaN anywhere: 0 to x), not maximum/minimum's split (found by
    the fuzzer)."""
    nan = float("nan")
    a = np.array([1.0, 1.0, nan, 2.0, nan, 0.0, 3.0, 0.5])
    b = np.array([1.0, 2.0, 1.0, nan, nan, -0.0, 0.0, 2.0])
    c = np.array([5.0, 5.0, 5.0, 3.0, 1.0, nan, 3.0, 1.0])
    for up in (np.full(8, 1.5), np.full(8, nan)):
        _same_grads(op, a, b, c, up=up)
    check_op(lambda m, x, y, z: op(m, x, y, z), *(_rand((3, 4), s) for s in (1, 2, 3)))


@pytest.mark.parametrize(
    "op",
    [
        lambda m, a: m.floor(a),
        lambda m, a: m.sign(a),
        lambda m, a: m.round(a),
        lambda m, a: m.div(a, 2.0, rounding_mode="trunc"),
        lambda m, a: m.nn.functional.hardtanh(a),
    ],
)
def test_flat_and_clipped_ops_give_zero_gradient_for_any_upstream(op):
    """torch returns zeros (or masks with where): an infinite or NaN upstream gradient still
    gives 0 there, not inf · 0 = NaN (found by the fuzzer)."""
    nan, inf = float("nan"), float("inf")
    _same_grads(op, np.array([1.5, 2.0, -3.0, 0.25, nan]), up=np.array([nan, inf, -inf, nan, 1.0]))


@pytest.mark.parametrize(
    "op",
    [
        lambda m, x: 2.5 % x,
        lambda m, x: m.remainder(2.5, x),
        lambda m, x: m.logaddexp(m.tensor([True, False]), x),
        lambda m, x: m.logaddexp2(x, m.tensor([True, False])),
        lambda m, x: x ** m.tensor([True, False]),
        lambda m, x: x ** m.tensor(True),
    ],
)
def test_backward_raises_where_torch_has_no_derivative(op):
    """number % tensor has no derivative in torch; logaddexp's and pow's backward subtract a
    bool operand, which torch refuses (found by the fuzzer). The forward values agree."""
    x = np.array([1.5, 2.0])
    g, t = op(gradiente, gradiente.tensor(x, requires_grad=True)), op(torch, torch.tensor(x))
    assert_same(g, t)
    for lib in (torch, gradiente):
        out = op(lib, lib.tensor(x, requires_grad=True))
        with pytest.raises(RuntimeError):
            out.sum().backward()


@pytest.mark.parametrize(
    "op",
    [
        lambda m, b: b % b,
        lambda m, b: b % True,
        lambda m, b: m.fmod(b, b),
        lambda m, b: b // b,
        lambda m, b: m.remainder(b, m.tensor(True)),
    ],
)
def test_modulo_and_floor_division_of_bools_raise(op):
    for lib in (torch, gradiente):
        with pytest.raises(NotImplementedError):
            op(lib, lib.tensor([True, False]))


def test_remainder_gradient_uses_torchs_floor_division_at_infinity():
    """d(a mod b)/db = -floor_divide(a, b), computed through fmod as torch does: 2 // -inf is
    -1, not floor(2 / -inf) = -0 (found by the fuzzer)."""
    inf = float("inf")
    a, b = np.array([2.0, inf, -1.0, 3.0]), np.array([-inf, 2.4, 2.4, 2.0])
    _same_grads(lambda m, x, y: m.remainder(x, y), a, b, up=np.array([1.0, 1.0, 1.0, 1.0]))
    check_op(lambda m, x, y: m.remainder(x, y), _rand((3, 4), 1), _positive((3, 4), 2))
