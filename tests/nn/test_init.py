"""nn.init against torch: the same seed gives the same numbers (bit for bit where torch's
sampler is reproduced; to rounding where LAPACK's QR or erfinv are involved)."""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import math

import numpy as np
import pytest

import gradiente
import gradiente.nn as nn
from conftest import assert_same

torch = pytest.importorskip("torch")

SHAPES = [(3, 5), (20, 7), (4, 3, 2, 2), (6, 2, 3)]
DTYPES = ["float32", "float64"]

EXACT = {
    "uniform_": lambda m, t: m.nn.init.uniform_(t, -0.3, 0.7),
    "normal_": lambda m, t: m.nn.init.normal_(t, 0.5, 2.0),
    "constant_": lambda m, t: m.nn.init.constant_(t, 0.25),
    "ones_": lambda m, t: m.nn.init.ones_(t),
    "zeros_": lambda m, t: m.nn.init.zeros_(t),
    "xavier_uniform_": lambda m, t: m.nn.init.xavier_uniform_(t, gain=1.5),
    "xavier_normal_": lambda m, t: m.nn.init.xavier_normal_(t),
    "kaiming_uniform_": lambda m, t: m.nn.init.kaiming_uniform_(t, a=math.sqrt(5)),
    "kaiming_uniform_fan_out_relu": lambda m, t: m.nn.init.kaiming_uniform_(
        t, mode="fan_out", nonlinearity="relu"
    ),
    "kaiming_normal_": lambda m, t: m.nn.init.kaiming_normal_(t, nonlinearity="relu"),
    "kaiming_normal_leaky": lambda m, t: m.nn.init.kaiming_normal_(t, a=0.2, mode="fan_out"),
}


def _run(fn, m, shape, dtype, seed):
    m.manual_seed(seed)
    t = m.empty(shape, dtype=getattr(m, dtype))
    out = fn(m, t)
    assert out is t
    return t


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name", EXACT)
def test_init_equals_torch_bit_for_bit(name, shape, dtype):
    fn = EXACT[name]
    assert_same(
        _run(fn, gradiente, shape, dtype, 3), _run(fn, torch, shape, dtype, 3), rtol=0, atol=0
    )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES + [(5, 20)])
def test_orthogonal_equals_torch(shape, dtype):
    fn = lambda m, t: m.nn.init.orthogonal_(t, gain=2.0)  # noqa: E731
    g, t = _run(fn, gradiente, shape, dtype, 4), _run(fn, torch, shape, dtype, 4)
    tol = 1e-5 if dtype == "float32" else 1e-12
    assert_same(g, t, rtol=tol, atol=tol)
    flat = g.numpy().reshape(shape[0], -1)
    small = min(flat.shape)
    gram = flat @ flat.T if flat.shape[0] == small else flat.T @ flat
    np.testing.assert_allclose(gram, 4.0 * np.eye(small), atol=1e-4)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(30, 40), (3, 4)])
@pytest.mark.parametrize(
    "args",
    [
        (0.0, 1.0, -2.0, 2.0),
        (1.0, 0.5, 0.0, 1.5),
        (0.0, 0.02, -0.04, 0.04),
        (0.0, 1.0, 2.0, 3.0),
        (0.5, 1.0, -0.2, 0.2),
    ],
)
def test_trunc_normal_equals_torch(args, dtype, shape):
    """Both of torch's rejection samplers: normal draws (wide [a, b]) and uniform proposals."""
    fn = lambda m, t: m.nn.init.trunc_normal_(t, *args)  # noqa: E731
    g, t = _run(fn, gradiente, shape, dtype, 5), _run(fn, torch, shape, dtype, 5)
    assert_same(g, t, rtol=0, atol=0)
    assert g.numpy().min() >= args[2] and g.numpy().max() <= args[3]


def test_eye_dirac_sparse_equal_torch():
    assert_same(nn.init.eye_(gradiente.empty(3, 5)), torch.nn.init.eye_(torch.empty(3, 5)))
    for shape, groups in [((4, 2, 3), 1), ((6, 2, 3, 3), 2), ((2, 3, 1, 3, 3), 1)]:
        assert_same(
            nn.init.dirac_(gradiente.empty(*shape), groups),
            torch.nn.init.dirac_(torch.empty(*shape), groups),
        )
    gradiente.manual_seed(2)
    torch.manual_seed(2)
    assert_same(
        nn.init.sparse_(gradiente.empty(6, 4), 0.5),
        torch.nn.init.sparse_(torch.empty(6, 4), 0.5),
        rtol=0,
        atol=0,
    )


def test_xavier_normal_prints_like_torch():
    gradiente.manual_seed(1)
    text = repr(nn.init.xavier_normal_(gradiente.empty(2, 3)))
    assert text == ("tensor([[ 0.4183,  0.1688,  0.0390],\n        [ 0.3930, -0.2858, -0.1051]])")


@pytest.mark.parametrize(
    "args",
    [
        ("linear",),
        ("conv2d",),
        ("sigmoid",),
        ("tanh",),
        ("relu",),
        ("leaky_relu",),
        ("leaky_relu", 0.2),
        ("selu",),
    ],
)
def test_calculate_gain_equals_torch(args):
    assert nn.init.calculate_gain(*args) == torch.nn.init.calculate_gain(*args)


def test_init_errors_and_in_place_on_parameters():
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        nn.init.xavier_uniform_(gradiente.empty(3))
    with pytest.raises(ValueError, match="Unsupported nonlinearity"):
        nn.init.calculate_gain("swish")
    with pytest.raises(ValueError, match="fan_in, fan_out"):
        nn.init.kaiming_normal_(gradiente.empty(2, 2), mode="fan_avg")
    with pytest.raises(ValueError, match="2 or more dimensions"):
        nn.init.orthogonal_(gradiente.empty(3))
    p = nn.Parameter(gradiente.empty(4, 3))
    before = id(p._data)
    assert nn.init.kaiming_uniform_(p) is p
    assert p.requires_grad and p.grad_fn is None and id(p._data) == before
    with pytest.warns(UserWarning, match="zero-element"):
        nn.init.kaiming_uniform_(gradiente.empty(0, 3))
