"""Element-wise dtype and value rules that PyTorch fixes exactly: Python scalars on the left of
``%`` and ``//``, rounding division, signed zeros of ``remainder``, float32 ``pow`` bits, ops
recorded without a derivative, and the dtypes PyTorch refuses."""

import os

import numpy as np
import pytest

import gradiente

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
torch = pytest.importorskip("torch")


def _same(got, want):
    """Same dtype, shape, requires_grad, signs (signed zeros too), NaN/inf placement and values
    (integers exactly, floats to a few ulps)."""
    assert str(got.dtype) == str(want.dtype)
    assert tuple(got.shape) == tuple(want.shape)
    assert got.requires_grad == want.requires_grad
    g, w = got.detach().numpy(), want.detach().numpy()
    if g.dtype.kind == "f":
        np.testing.assert_array_equal(np.signbit(g), np.signbit(w))
        np.testing.assert_allclose(g, w, rtol=4 * np.finfo(g.dtype).eps, atol=0)
    else:
        np.testing.assert_array_equal(g, w)


def _both(program):
    """Run ``program(M)`` on both frameworks: equal results, or the same exception type."""
    results = []
    for M in (gradiente, torch):
        try:
            results.append(program(M))
        except Exception as error:  # noqa: BLE001 - compared below
            results.append(error)
    got, want = results
    if isinstance(want, Exception):
        assert isinstance(got, type(want)) or (
            isinstance(want, RuntimeError) and isinstance(got, RuntimeError)
        ), f"torch raised {want!r}, gradiente gave {got!r}"
        return
    assert not isinstance(got, Exception), f"torch gave {want}, gradiente raised {got!r}"
    _same(got, want)


INTS = [-4, 7, 5, 0, -9]
FLOATS = [-4.0, 6.0, -0.0, 2.5, float("inf"), float("nan"), -7.5]

PROGRAMS = {
    "float % int tensor": lambda M: 100.5 % M.tensor(INTS[:3]),
    "float // int tensor": lambda M: 2.5 // M.tensor(INTS[:3]),
    "int % int tensor": lambda M: 100 % M.tensor(INTS[:3]),
    "int // int tensor": lambda M: -100 // M.tensor(INTS[:3]),
    "int tensor % 0": lambda M: M.tensor(INTS) % 0,
    "int tensor // 0": lambda M: M.tensor(INTS) // 0,
    "int tensor % zero tensor": lambda M: M.tensor(INTS[:3]) % M.tensor([1, 0, 2]),
    "fmod by 0": lambda M: M.fmod(M.tensor(INTS[:3]), 0),
    "float tensor % 0": lambda M: M.tensor(FLOATS) % 0,
    "remainder signed zeros": lambda M: (
        M.tensor([-4.0, 6.0, 4.0, -6.0]) % M.tensor([2.0, -3.0, 2.0, -3.0])
    ),
    "remainder special values": lambda M: M.tensor(FLOATS) % M.tensor([3.0]),
    "scalar remainder special values": lambda M: M.tensor(FLOATS) % -2.0,
    "fmod special values": lambda M: M.fmod(M.tensor(FLOATS), -2.0),
    "div trunc int": lambda M: M.div(M.tensor([7, -7, 6, -6]), 2, rounding_mode="trunc"),
    "div trunc int negative": lambda M: M.div(
        M.tensor([7, -7, 6, -6]), M.tensor([-2, -2, 4, -4]), rounding_mode="trunc"
    ),
    "div floor int": lambda M: M.div(M.tensor([7, -7]), M.tensor([-2, 2]), rounding_mode="floor"),
    "div trunc int by float": lambda M: M.div(M.tensor([7, -7]), 2.5, rounding_mode="trunc"),
    "div trunc by zero": lambda M: M.div(M.tensor([7, -7]), 0, rounding_mode="trunc"),
    "div trunc float": lambda M: M.div(M.tensor(FLOATS), 2.0, rounding_mode="trunc"),
    "div floor float": lambda M: M.div(M.tensor(FLOATS), -2.0, rounding_mode="floor"),
    "bool + bool": lambda M: M.tensor([True, False]) + M.tensor([True, True]),
    "bool - bool": lambda M: M.tensor([True, False]) - M.tensor([True, True]),
    "bool - python bool": lambda M: M.tensor([True, False]) - True,
    "bool - int": lambda M: M.tensor([True, False]) - 1,
    "neg bool": lambda M: -M.tensor([True, False]),
    "bool * bool": lambda M: M.tensor([True, False]) * M.tensor([True, True]),
    "bool / bool": lambda M: M.tensor([True, False]) / M.tensor([True, True]),
    "clamp bool to ints": lambda M: M.clamp(M.tensor([True, False]), 0, 1),
    "clamp bool to bools": lambda M: M.clamp(M.tensor([True, False]), min=False),
    "clamp int to float": lambda M: M.clamp(M.tensor(INTS), max=2.5),
    "int @ float": lambda M: M.tensor([[5]]) @ M.tensor([[1.0]]),
    "float32 @ float64": lambda M: M.ones(2, 2) @ M.ones(2, 2, dtype=M.float64),
    "heaviside mixed dtypes": lambda M: M.heaviside(M.tensor([1.0, 0.0]), M.tensor([1])),
    "copysign ints": lambda M: M.copysign(M.tensor([3, -2]), M.tensor([-1, 1])),
    "copysign negative zero": lambda M: M.copysign(M.tensor([3.0, 2.0]), M.tensor([-0.0, 0.0])),
}


@pytest.mark.parametrize("name", list(PROGRAMS))
def test_matches_torch(name):
    _both(PROGRAMS[name])


@pytest.mark.parametrize("exponent", [2, 3, -1, -2, -0.5, 0, 1])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_pow_with_small_exponents_has_torchs_bits(exponent, dtype):
    x = np.random.default_rng(0).uniform(0.01, 4.0, 2000)
    got = gradiente.tensor(x, dtype=getattr(gradiente, dtype)) ** exponent
    want = torch.tensor(x, dtype=getattr(torch, dtype)) ** exponent
    np.testing.assert_array_equal(got.numpy(), want.numpy())


@pytest.mark.parametrize(
    "op",
    [
        lambda M, x: x // 2,
        lambda M, x: M.floor_divide(x, M.tensor([2.0, 3.0])),
        lambda M, x: M.heaviside(x, M.tensor([0.5])),
    ],
)
def test_ops_without_a_derivative_keep_requires_grad_and_raise_on_backward(op):
    for M in (gradiente, torch):
        x = M.tensor([1.5, -2.0], requires_grad=True)
        out = op(M, x)
        assert out.requires_grad
        with pytest.raises(RuntimeError, match="derivative for .* is not implemented"):
            out.sum().backward()


@pytest.mark.parametrize("mode", ["trunc", "floor"])
def test_rounding_division_has_zero_gradient(mode):
    grads = []
    for M in (gradiente, torch):
        x = M.tensor([1.5, -2.0], requires_grad=True)
        y = M.tensor([0.5, 3.0], requires_grad=True)
        out = M.div(x, y, rounding_mode=mode)
        assert out.requires_grad
        out.sum().backward()
        grads.append((x.grad.tolist(), y.grad.tolist()))
    assert grads[0] == grads[1] == ([0.0, 0.0], [0.0, 0.0])


def test_copysign_gradients_match_torch_second_is_zeros():
    grads = []
    for M in (gradiente, torch):
        x = M.tensor([1.0, -2.0, 0.0], dtype=M.float64, requires_grad=True)
        y = M.tensor([-1.0, 3.0, -1.0], dtype=M.float64, requires_grad=True)
        grads.append([g.tolist() for g in M.autograd.grad(M.copysign(x, y).sum(), [x, y])])
    assert grads[0] == grads[1]


def test_copysign_gradcheck():
    x = gradiente.tensor([1.0, -2.0, 0.5], dtype=gradiente.float64, requires_grad=True)
    y = gradiente.tensor([-1.0, 3.0, -0.25], dtype=gradiente.float64, requires_grad=True)
    assert gradiente.autograd.gradcheck(gradiente.copysign, (x, y))


ACTIVATIONS = [
    "elu",
    "selu",
    "celu",
    "gelu",
    "silu",
    "mish",
    "softplus",
    "softsign",
    "tanhshrink",
    "hardtanh",
    "hardsigmoid",
    "hardswish",
    "leaky_relu",
    "logsigmoid",
    "softshrink",
    "hardshrink",
    "relu",
    "relu6",
    "sigmoid",
    "tanh",
]


@pytest.mark.parametrize("name", ACTIVATIONS)
@pytest.mark.parametrize("dtype", ["int64", "bool"])
def test_activations_on_integers_follow_torch(name, dtype):
    def program(M):
        x = M.tensor([[1, -2], [3, 0]]).to(getattr(M, dtype))
        return getattr(M.nn.functional, name)(x)

    _both(program)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_of_integers_raises_like_torch(name):
    _both(lambda M: getattr(M.nn.functional, name)(M.tensor([[1, 2]]), dim=1))
    _both(lambda M: getattr(M.nn.functional, name)(M.tensor([[1, 2]]), dim=1, dtype=M.float64))


def test_in_place_subtraction_keeps_negative_zero_like_torch():
    for M in (gradiente, torch):
        x = M.tensor([-0.0, 2.0])
        x -= 0
        y = M.tensor([-0.0], requires_grad=True) * 1
        y[0:1] -= 0
        assert np.signbit(x.numpy()).tolist() == [True, False]
        assert np.signbit(y.detach().numpy()).tolist() == [True]


@pytest.mark.parametrize("shape_a, shape_b", [((), ()), ((2,), ()), ((), (2,))])
@pytest.mark.parametrize("dtype_a", ["float16", "float32", "float64", "int64", "bool"])
@pytest.mark.parametrize("dtype_b", ["float16", "float32", "float64", "int32", "bool"])
def test_pow_of_tensors_promotes_as_torch(shape_a, shape_b, dtype_a, dtype_b):
    """Two 0-d tensors promote by dtype (float32 ** float64 is float64); a 0-d exponent of a
    tensor with dimensions counts as a Python number (found by the long fuzzer run)."""
    torch = pytest.importorskip("torch")
    base = np.full(shape_a, 2).astype(dtype_a)
    exponent = np.full(shape_b, 1).astype(dtype_b)
    try:
        want = (torch.tensor(base) ** torch.tensor(exponent)).dtype
    except RuntimeError as err:
        with pytest.raises(type(err)):
            gradiente.tensor(base) ** gradiente.tensor(exponent)
        return
    assert str((gradiente.tensor(base) ** gradiente.tensor(exponent)).dtype) == str(want)
