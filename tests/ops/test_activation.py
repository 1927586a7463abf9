"""ops/activation.py through nn.functional: every activation and softmax against torch (values,
gradients, in-place forms, higher derivatives), and the erf/erfinv it uses."""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import math
import warnings

import numpy as np
import pytest

import gradiente
import gradiente.nn.functional as F
from conftest import assert_same, check_op
from gradiente.ops.activation import erf, erfinv

torch = pytest.importorskip("torch")


def _rand(shape, seed=0, low=-3.0, high=3.0):
    return np.random.default_rng(seed).uniform(low, high, shape)


def _away_from(values, points, gap=1e-3):
    """Move values off the kinks (``points``) so central differences stay valid."""
    for p in points:
        near = np.abs(values - p) < gap
        values[near] += 4 * gap
    return values


ACTIVATIONS = {
    "relu": (lambda m, x: m.nn.functional.relu(x), [0.0]),
    "relu6": (lambda m, x: m.nn.functional.relu6(x), [0.0, 6.0]),
    "leaky_relu": (lambda m, x: m.nn.functional.leaky_relu(x, 0.2), [0.0]),
    "leaky_relu_default": (lambda m, x: m.nn.functional.leaky_relu(x), [0.0]),
    "hardtanh": (lambda m, x: m.nn.functional.hardtanh(x, -0.5, 1.5), [-0.5, 1.5]),
    "elu": (lambda m, x: m.nn.functional.elu(x), [0.0]),
    "elu_alpha": (lambda m, x: m.nn.functional.elu(x, alpha=0.7), [0.0]),
    "gelu": (lambda m, x: m.nn.functional.gelu(x), []),
    "gelu_tanh": (lambda m, x: m.nn.functional.gelu(x, approximate="tanh"), []),
    "silu": (lambda m, x: m.nn.functional.silu(x), []),
    "softplus": (lambda m, x: m.nn.functional.softplus(x), []),
    "softplus_beta": (lambda m, x: m.nn.functional.softplus(x, beta=2.0, threshold=3.0), [1.5]),
    "logsigmoid": (lambda m, x: m.nn.functional.logsigmoid(x), []),
    "tanh": (lambda m, x: m.nn.functional.tanh(x), []),
    "sigmoid": (lambda m, x: m.nn.functional.sigmoid(x), []),
    "softmax": (lambda m, x: m.nn.functional.softmax(x, dim=-1), []),
    "log_softmax": (lambda m, x: m.nn.functional.log_softmax(x, dim=0), []),
    "softmin": (lambda m, x: m.nn.functional.softmin(x, dim=-1), []),
    "selu": (lambda m, x: m.nn.functional.selu(x), [0.0]),
    "celu": (lambda m, x: m.nn.functional.celu(x, alpha=0.7), [0.0]),
    "mish": (lambda m, x: m.nn.functional.mish(x), []),
    "hardswish": (lambda m, x: m.nn.functional.hardswish(x), [-3.0, 3.0]),
    "hardsigmoid": (lambda m, x: m.nn.functional.hardsigmoid(x), [-3.0, 3.0]),
    "softsign": (lambda m, x: m.nn.functional.softsign(x), [0.0]),
    "tanhshrink": (lambda m, x: m.nn.functional.tanhshrink(x), []),
    "threshold": (lambda m, x: m.nn.functional.threshold(x, 0.5, -2.0), [0.5]),
    "hardshrink": (lambda m, x: m.nn.functional.hardshrink(x, 0.7), [-0.7, 0.7]),
    "softshrink": (lambda m, x: m.nn.functional.softshrink(x), [-0.5, 0.5]),
    "glu": (lambda m, x: m.nn.functional.glu(x, dim=0), []),
}


@pytest.mark.parametrize("name", ACTIVATIONS)
@pytest.mark.parametrize("shape", [(8,), (4, 5), (2, 3, 4)])
def test_activation_matches_torch(name, shape):
    fn, kinks = ACTIVATIONS[name]
    # torch has no second derivative of hardsigmoid
    check_op(fn, _away_from(_rand(shape), kinks), double=name != "hardsigmoid")


@pytest.mark.parametrize(
    "name",
    [
        "relu",
        "relu6",
        "leaky_relu",
        "hardtanh",
        "elu",
        "selu",
        "hardswish",
        "hardsigmoid",
        "threshold",
        "hardshrink",
        "softshrink",
    ],
)
def test_activation_at_kinks_matches_torch(name):
    """The gradient exactly at the kinks follows PyTorch's conventions."""
    fn, kinks = ACTIVATIONS[name]
    x = np.array(kinks + [-1.0, 0.25, 7.0])
    check_op(fn, x, gradcheck=False)


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_float32_and_extremes(approximate):
    x = np.concatenate([np.linspace(-12, 12, 241), [-40.0, 40.0, 0.0]]).astype(np.float32)
    g = F.gelu(gradiente.from_numpy(x), approximate=approximate)
    # Against torch in float64: float32 torch loses digits to cancellation in 1 + erf(x/√2)
    # near x = −3, where gradiente stays within float32 rounding of the exact value.
    t = torch.nn.functional.gelu(torch.from_numpy(x.astype(np.float64)), approximate=approximate)
    assert g.dtype == gradiente.float32
    np.testing.assert_allclose(g.numpy(), t.numpy(), rtol=1e-6, atol=1e-9)


def test_softplus_large_inputs_do_not_overflow():
    x = np.array([-1000.0, -50.0, 0.0, 19.0, 21.0, 1000.0])
    check_op(lambda m, a: m.nn.functional.softplus(a), x, gradcheck=False)
    check_op(lambda m, a: m.nn.functional.logsigmoid(a), x, gradcheck=False)


def test_erf_is_full_double_precision():
    x = np.concatenate(
        [
            np.linspace(-8, 8, 16001),
            np.logspace(-300, 1, 500),
            -np.logspace(-300, 1, 500),
            [0.46875, 4.0, np.inf, -np.inf],
        ]
    )
    ref = np.array([math.erf(v) for v in x])
    err = np.abs(erf(x) - ref) / np.maximum(np.abs(ref), 1e-300)
    assert err.max() < 1e-15
    assert np.isnan(erf(np.array([np.nan]))).all()


def test_erfinv_matches_torch():
    y = np.concatenate([np.linspace(-0.999, 0.999, 2001), [-1.0, 1.0, 0.0, 1.5]])
    t = torch.erfinv(torch.from_numpy(y)).numpy()
    np.testing.assert_allclose(erfinv(y), t, rtol=1e-12, atol=1e-14)
    y32 = y.astype(np.float32)
    t32 = torch.erfinv(torch.from_numpy(y32)).numpy()
    np.testing.assert_allclose(erfinv(y32), t32, rtol=2e-6)


def test_erf_op_matches_torch_erf():
    from gradiente.ops.activation import Erf

    check_op(
        lambda m, x: Erf.apply(x) if m is gradiente else torch.erf(x), _rand((4, 5)), double=True
    )


@pytest.mark.parametrize("name", ["relu", "leaky_relu", "elu", "silu", "hardtanh", "relu6"])
def test_inplace_activation(name):
    fn = getattr(F, name)
    x = _away_from(_rand((4, 5)), [0.0, 6.0, -1.0, 1.0])
    g_in = gradiente.from_numpy(x.copy()).requires_grad_()
    t_in = torch.from_numpy(x.copy()).requires_grad_()
    g_mid, t_mid = g_in * 1.5, t_in * 1.5
    g_out = fn(g_mid, inplace=True)
    t_out = getattr(torch.nn.functional, name)(t_mid, inplace=True)
    assert g_out is g_mid
    assert_same(g_mid, t_mid)
    up = np.random.default_rng(3).standard_normal((4, 5))
    g_out.backward(gradiente.from_numpy(up))
    t_out.backward(torch.from_numpy(up))
    assert_same(g_in.grad, t_in.grad)


@pytest.mark.parametrize(
    "name,kwargs",
    [
        ("gelu", {}),
        ("gelu", {"approximate": "tanh"}),
        ("silu", {}),
        ("elu", {"alpha": 0.7}),
        ("selu", {}),
        ("celu", {"alpha": 1.3}),
        ("softplus", {"beta": 2.0}),
        ("logsigmoid", {}),
        ("mish", {}),
        ("softsign", {}),
        ("tanhshrink", {}),
        ("hardswish", {}),
        ("leaky_relu", {"negative_slope": 0.2}),
    ],
)
def test_third_derivatives_of_activations_match_torch(name, kwargs):
    """Activations' derivatives are written with Tensor ops: every order is exact (it used to
    stop at the second)."""
    x = _rand((7,)) * 3

    def third(m):
        t = m.tensor(x, dtype=m.float64, requires_grad=True)
        y = getattr(m.nn.functional, name)(t, **kwargs).sum()
        (g1,) = m.autograd.grad(y, t, create_graph=True)
        (g2,) = m.autograd.grad(g1.sum(), t, create_graph=True)
        if not g2.requires_grad:  # piecewise-linear: f'' is zeros that depend on nothing
            return g2.detach().numpy(), "flat"
        (g3,) = m.autograd.grad(g2.sum(), t, allow_unused=True)
        return (np.zeros(x.shape) if g3 is None else g3.detach().numpy()), "smooth"

    got, want = third(gradiente), third(torch)
    assert got[1] == want[1]
    # (1e-6: torch evaluates celu's 1/alpha in single precision)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-6, atol=1e-12)


def test_softmax_implicit_dim_warns_like_torch():
    x = _rand((2, 3))
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        g = F.softmax(gradiente.from_numpy(x))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = torch.nn.functional.softmax(torch.from_numpy(x))
    assert_same(g, t)


@pytest.mark.parametrize("shape,n", [((4, 3), 1), ((4, 3), 3), ((2, 3, 5), 3), ((2, 3, 2, 2), 3)])
def test_prelu_matches_torch(shape, n):
    x = _away_from(_rand(shape), [0.0])
    check_op(lambda m, a, w: m.nn.functional.prelu(a, w), x, _rand((n,), 1, 0.1, 0.5))
