"""autograd.functional (jacobian, hessian, vjp, jvp, hvp, vhp) vs torch, and the chain rule."""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import pytest

import gradiente
from conftest import assert_same, from_torch, leaf, random_like, to_torch
from gradiente.autograd import functional as F

torch = pytest.importorskip("torch")
TF = torch.autograd.functional


def _rand(shape, seed=0):
    return np.asarray(np.random.default_rng(seed).uniform(-1.0, 1.0, shape))


W = _rand((3, 4), 9)


def f_vec(m, x):
    """R⁴ -> R³: a small layer."""
    return (m.from_numpy(W) @ x).tanh() * x[:3]


def f_mat(m, x):
    """(2, 3) -> (3,): reduction over rows."""
    return (x.exp() * x.sin()).sum(0)


def f_scalar(m, x):
    return (x.sin() * x.exp()).sum() + (x**3).prod()


def f_pair(m, x, y):
    """Two inputs, two outputs."""
    return x * y.sum(), (x.sin() @ y).exp()


def f_pair_scalar(m, x, y):
    return (x.exp() @ y).sum() + (x * x).sum() * y.cos().sum()


def _both(fn):
    return (lambda *xs: fn(gradiente, *xs)), (lambda *xs: fn(torch, *xs))


def _compare(g, t):
    if isinstance(t, tuple):
        assert isinstance(g, tuple) and len(g) == len(t)
        for gi, ti in zip(g, t, strict=True):
            _compare(gi, ti)
    else:
        assert_same(g, t)


def _inputs(*shapes, seed=0):
    arrays = [_rand(s, seed + i) for i, s in enumerate(shapes)]
    g = tuple(leaf(a, requires_grad=False) for a in arrays)
    t = tuple(to_torch(x) for x in g)
    return g, t


@pytest.mark.parametrize(
    "fn,shapes",
    [(f_vec, [(4,)]), (f_mat, [(2, 3)]), (f_scalar, [(3,)]), (f_pair, [(3,), (3, 2)])],
    ids=["vec", "mat", "scalar", "pair"],
)
def test_jacobian(fn, shapes):
    (gi, ti), (gf, tf) = _inputs(*shapes), _both(fn)
    if len(shapes) == 1:
        _compare(F.jacobian(gf, gi[0]), TF.jacobian(tf, ti[0]))
    _compare(F.jacobian(gf, gi), TF.jacobian(tf, ti))


@pytest.mark.parametrize(
    "fn,shapes", [(f_scalar, [(3,)]), (f_pair_scalar, [(2, 3), (3,)])], ids=["one", "two"]
)
def test_hessian(fn, shapes):
    (gi, ti), (gf, tf) = _inputs(*shapes, seed=3), _both(fn)
    if len(shapes) == 1:
        _compare(F.hessian(gf, gi[0]), TF.hessian(tf, ti[0]))
    _compare(F.hessian(gf, gi), TF.hessian(tf, ti))


@pytest.mark.parametrize(
    "fn,shapes",
    [(f_vec, [(4,)]), (f_mat, [(2, 3)]), (f_pair, [(3,), (3, 2)])],
    ids=["vec", "mat", "pair"],
)
def test_vjp_and_jvp(fn, shapes):
    (gi, ti), (gf, tf) = _inputs(*shapes, seed=5), _both(fn)
    outs = fn(torch, *ti)
    outs = outs if isinstance(outs, tuple) else (outs,)
    v_out = tuple(torch.from_numpy(random_like(o.shape, 20 + k)) for k, o in enumerate(outs))
    v_in = tuple(torch.from_numpy(random_like(x.shape, 30 + k)) for k, x in enumerate(ti))
    g_out = tuple(from_torch(v) for v in v_out)
    g_in = tuple(from_torch(v) for v in v_in)
    one = len(outs) == 1 and len(ti) == 1
    if one:
        _compare(F.vjp(gf, gi[0], g_out[0]), TF.vjp(tf, ti[0], v_out[0]))
        _compare(F.jvp(gf, gi[0], g_in[0]), TF.jvp(tf, ti[0], v_in[0]))
    else:
        _compare(F.vjp(gf, gi, g_out), TF.vjp(tf, ti, v_out))
        _compare(F.jvp(gf, gi, g_in), TF.jvp(tf, ti, v_in))


@pytest.mark.parametrize(
    "fn,shapes", [(f_scalar, [(3,)]), (f_pair_scalar, [(2, 3), (3,)])], ids=["one", "two"]
)
def test_hvp_and_vhp(fn, shapes):
    (gi, ti), (gf, tf) = _inputs(*shapes, seed=7), _both(fn)
    vs = tuple(random_like(s, 40 + k) for k, s in enumerate(shapes))
    g_v = tuple(gradiente.from_numpy(v) for v in vs)
    t_v = tuple(torch.from_numpy(v) for v in vs)
    if len(shapes) == 1:
        _compare(F.hvp(gf, gi[0], g_v[0]), TF.hvp(tf, ti[0], t_v[0]))
        _compare(F.vhp(gf, gi[0], g_v[0]), TF.vhp(tf, ti[0], t_v[0]))
    else:
        _compare(F.hvp(gf, gi, g_v), TF.hvp(tf, ti, t_v))
        _compare(F.vhp(gf, gi, g_v), TF.vhp(tf, ti, t_v))


def test_vjp_without_v_for_scalar_output():
    (gi, ti), (gf, tf) = _inputs((3,), seed=8), _both(f_scalar)
    _compare(F.vjp(gf, gi[0]), TF.vjp(tf, ti[0]))
    with pytest.raises(RuntimeError):
        F.vjp(lambda x: x * 2, gi[0])


def test_unused_input_gives_zeros_or_strict_error():
    x = gradiente.ones(2, dtype=gradiente.float64)
    y = gradiente.ones(3, dtype=gradiente.float64)
    tx, ty = to_torch(x), to_torch(y)
    _compare(F.jacobian(lambda a, b: a * 2, (x, y)), TF.jacobian(lambda a, b: a * 2, (tx, ty)))
    with pytest.raises(RuntimeError):
        F.jacobian(lambda a, b: a * 2, (x, y), strict=True)


@pytest.mark.parametrize(
    "fn",
    [
        lambda m, x: m.ones(2, dtype=m.float64),  # computed without x: zeros
        lambda m, x: (x * x).reshape(3, 1)[1:],
    ],
)
def test_jacobian_and_jacrev_of_constant_and_reshaped_outputs(fn):
    x = leaf(_rand((3,), 2), requires_grad=False)
    tx = to_torch(x)
    ours, ref = F.jacobian(lambda a: fn(gradiente, a), x), TF.jacobian(lambda a: fn(torch, a), tx)
    assert tuple(ours.shape) == tuple(ref.shape)
    assert_same(ours, ref)
    ours = gradiente.func.jacrev(lambda a: fn(gradiente, a))(x)
    assert_same(ours, torch.func.jacrev(lambda a: fn(torch, a))(tx))


def test_jacrev_of_an_empty_output_is_empty():
    x = leaf(_rand((3,), 2), requires_grad=False)
    ours = gradiente.func.jacrev(lambda a: a[:0] * 2)(x)
    assert tuple(ours.shape) == (0, 3) and ours.dtype == gradiente.float64


def test_results_do_not_require_grad_unless_create_graph():
    x = leaf(_rand((3,), 1), requires_grad=False)
    assert not F.jacobian(lambda a: a.exp(), x).requires_grad
    assert not x.requires_grad
    x = leaf(_rand((3,), 1))
    j = F.jacobian(lambda a: a.exp() * a, x, create_graph=True)
    assert j.requires_grad
    (j * gradiente.eye(3, dtype=gradiente.float64)).sum().backward()
    tx = to_torch(x)
    tj = TF.jacobian(lambda a: a.exp() * a, tx, create_graph=True)
    (tj * torch.eye(3, dtype=torch.float64)).sum().backward()
    assert_same(x.grad, tx.grad)


def test_chain_rule_on_jacobians():
    """J(f∘g)(x) = J_f(g(x)) · J_g(x), checked numerically (the lecture's chain rule)."""
    A = gradiente.from_numpy(_rand((5, 4), 11))

    def g(x):  # R³ -> R⁴
        return gradiente.cat([x.sin(), (x * x).sum().reshape(1)])

    def f(u):  # R⁴ -> R⁵
        return (A @ u).tanh()

    x = leaf(_rand((3,), 12), requires_grad=False)
    j_fg = F.jacobian(lambda t: f(g(t)), x)
    j_g = F.jacobian(g, x)
    j_f = F.jacobian(f, g(x))
    assert j_fg.shape == (5, 3) and j_g.shape == (4, 3) and j_f.shape == (5, 4)
    np.testing.assert_allclose(j_fg.numpy(), (j_f @ j_g).numpy(), rtol=1e-12, atol=1e-14)
    # And against central differences of f∘g.
    eps = 1e-6
    cols = []
    for k in range(3):
        step = np.zeros(3)
        step[k] = eps
        plus = f(g(x + gradiente.from_numpy(step))).numpy()
        minus = f(g(x - gradiente.from_numpy(step))).numpy()
        cols.append((plus - minus) / (2 * eps))
    np.testing.assert_allclose(j_fg.numpy(), np.stack(cols, axis=1), rtol=1e-6, atol=1e-8)
