"""Bessel I₀/I₁, erfcx, igamma/igammac, mvlgamma, zeta, frexp, ldexp, nextafter and angle
(ops/special_more.py) against torch: values, dtypes, gradients, gradcheck, errors."""

from __future__ import annotations

import numpy as np
import pytest

import gradiente as g
import gradiente.special as gs
from gradiente.autograd import gradcheck

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(0)
BESSEL_X = np.concatenate(
    [np.linspace(-60, 60, 1201), [0.0, 1e-300, 29.999, 30.0, 30.001, 700.0, 709.0, 712.0, -712.0]]
    + [[np.inf, -np.inf, np.nan]]
)


def _pair(values, dtype="float64", requires_grad=False):
    return (
        g.tensor(values, dtype=getattr(g, dtype), requires_grad=requires_grad),
        torch.tensor(values, dtype=getattr(torch, dtype), requires_grad=requires_grad),
    )


def _close(ours, theirs, rtol, atol=0.0):
    assert str(ours.dtype) == str(theirs.dtype)
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol, atol)


UNARY = [
    ("i0", g.i0, torch.i0),
    ("special.i0", gs.i0, torch.special.i0),
    ("i0e", gs.i0e, torch.special.i0e),
    ("i1", gs.i1, torch.special.i1),
    ("i1e", gs.i1e, torch.special.i1e),
]


@pytest.mark.parametrize("name,ours,theirs", UNARY, ids=[u[0] for u in UNARY])
@pytest.mark.parametrize("dtype,rtol", [("float64", 1e-14), ("float32", 2e-6)])
def test_bessel_values(name, ours, theirs, dtype, rtol):
    a, t = _pair(BESSEL_X, dtype)
    _close(ours(a), theirs(t), rtol)


@pytest.mark.parametrize("name,ours,theirs", UNARY, ids=[u[0] for u in UNARY])
def test_bessel_gradients(name, ours, theirs):
    values = [-45.0, -3.0, -0.5, 0.0, 1e-20, 0.7, 4.0, 31.0]
    a, t = _pair(values, requires_grad=True)
    upstream = RNG.standard_normal(len(values))
    (ga,) = g.autograd.grad(ours(a), a, g.tensor(upstream))
    (gt,) = torch.autograd.grad(theirs(t), t, torch.tensor(upstream))
    np.testing.assert_allclose(ga.numpy(), gt.numpy(), rtol=1e-12, atol=1e-300)
    smooth = g.tensor([-3.0, -0.5, 0.7, 4.0, 33.0], dtype=g.float64, requires_grad=True)
    assert gradcheck(ours, (smooth,))


def test_bessel_second_derivative_matches_torch():
    a, t = _pair([-2.0, 0.5, 3.0], requires_grad=True)
    for ours, theirs in ((gs.i1, torch.special.i1), (gs.i0e, torch.special.i0e)):
        (da,) = g.autograd.grad(ours(a).sum(), a, create_graph=True)
        (dt,) = torch.autograd.grad(theirs(t).sum(), t, create_graph=True)
        _close(g.autograd.grad(da.sum(), a)[0], torch.autograd.grad(dt.sum(), t)[0], 1e-12)


def test_bessel_integer_input_and_graph_names():
    _close(g.i0(g.tensor([1, 2])), torch.i0(torch.tensor([1, 2])), 1e-6)
    _close(gs.i1(g.tensor([True, False])), torch.special.i1(torch.tensor([True, False])), 1e-6)
    x = g.tensor([1.0, 2.0])
    x.i0_()
    _close(x, torch.tensor([1.0, 2.0]).i0_(), 1e-6)
    a = g.tensor([1.0], requires_grad=True)
    assert type(g.i0(a).grad_fn).__name__ == "I0Backward0"
    assert type(gs.i1e(a).grad_fn).__name__ == "SpecialI1EBackward0"


def test_erfcx():
    values = np.concatenate(
        [np.linspace(-26, 60, 2001), [4.999, 5.0, 5.001, -27.0, 1e10, 1e200, np.inf, -np.inf]]
    )
    a, t = _pair(values)
    _close(gs.erfcx(a), torch.special.erfcx(t), 1e-14)
    a, t = _pair(values, "float32")
    _close(gs.erfcx(a), torch.special.erfcx(t), 1e-5)  # torch rounds e^(x²) in float32
    a, t = _pair([-2.0, 0.0, 0.5, 7.0], requires_grad=True)
    _close(
        g.autograd.grad(gs.erfcx(a).sum(), a)[0],
        torch.autograd.grad(torch.special.erfcx(t).sum(), t)[0],
        1e-13,
    )
    assert gradcheck(gs.erfcx, (a,))


GAMMA_A = np.concatenate([RNG.uniform(0, 20, 500), [0, 0, -1, 0.5, np.inf, np.inf, 3, 1, np.nan]])
GAMMA_X = np.concatenate([RNG.uniform(0, 30, 500), [0, 1, 1, 0, 1, np.inf, np.inf, np.nan, -1]])


@pytest.mark.parametrize(
    "ours,theirs",
    [(g.igamma, torch.igamma), (g.igammac, torch.igammac), (gs.gammainc, torch.special.gammainc)]
    + [(gs.gammaincc, torch.special.gammaincc)],
)
def test_incomplete_gamma_values(ours, theirs):
    a, ta = _pair(GAMMA_A)
    x, tx = _pair(GAMMA_X)
    _close(ours(a, x), theirs(ta, tx), 1e-9, 1e-12)
    # float32 and float64 promote to float64; broadcasting
    a32, ta32 = _pair(GAMMA_A[:5, None], "float32")
    _close(ours(a32, x[:7]), theirs(ta32, tx[:7]), 1e-9, 1e-12)


def test_incomplete_gamma_gradient_and_errors():
    a, ta = _pair([0.5, 2.0, 7.0])
    x, tx = _pair([0.3, 2.5, 3.0], requires_grad=True)
    upstream = [0.3, -1.2, 0.8]
    for ours, theirs in ((g.igamma, torch.igamma), (g.igammac, torch.igammac)):
        (gx,) = g.autograd.grad(ours(a, x), x, g.tensor(upstream, dtype=g.float64))
        (gt,) = torch.autograd.grad(theirs(ta, tx), tx, torch.tensor(upstream, dtype=torch.float64))
        _close(gx, gt, 1e-12)
        assert gradcheck(lambda v, ours=ours: ours(a, v), (x,))
    with pytest.raises(NotImplementedError, match="the derivative for 'igamma: input'"):
        g.igamma(a.requires_grad_(), x).sum().backward()
    with pytest.raises(NotImplementedError, match="\"igamma_cpu\" not implemented for 'Long'"):
        g.igamma(g.tensor([1, 2]), g.tensor([1, 2]))
    with pytest.raises(TypeError, match="igammac\\(\\): argument 'other' \\(position 2\\)"):
        g.igammac(g.tensor([1.0]), 2.0)
    t = g.tensor([1.0, 2.0])
    t.igamma_(g.tensor([1.0, 1.0]))
    _close(t, torch.tensor([1.0, 2.0]).igamma_(torch.tensor([1.0, 1.0])), 1e-6)


def test_mvlgamma():
    values = [[2.5, 3.0], [0.4, 10.0]]
    a, t = _pair(values, requires_grad=True)
    for p in (1, 2, 3, 5):
        _close(g.mvlgamma(a, p), torch.mvlgamma(t, p), 1e-13)
        _close(gs.multigammaln(a, p), torch.special.multigammaln(t, p), 1e-13)
        _close(a.mvlgamma(p), t.mvlgamma(p), 1e-13)
        (ga,) = g.autograd.grad(g.mvlgamma(a, p).sum(), a)
        _close(ga, torch.autograd.grad(torch.mvlgamma(t, p).sum(), t)[0], 1e-12)
    assert gradcheck(lambda v: g.mvlgamma(v, 3), (a,))
    _close(g.mvlgamma(g.tensor([2, 3]), 1), torch.mvlgamma(torch.tensor([2, 3]), 1), 1e-6)
    with pytest.raises(RuntimeError, match="p has to be greater than or equal to 1"):
        g.mvlgamma(a, 0)


def test_zeta():
    s = np.concatenate([RNG.uniform(1, 20, 400), RNG.uniform(1, 150, 50), [2, 1, 0.5, 3, 2, 4, 2]])
    q = np.concatenate([RNG.uniform(-20, 30, 400), RNG.uniform(0, 30, 50), [1, 1, 1, -2, -1.5]])
    q = np.concatenate([q, [-2.5, np.inf]])
    a, ta = _pair(s)
    b, tb = _pair(q)
    _close(gs.zeta(a, b), torch.special.zeta(ta, tb), 1e-13)
    # numbers on either side, integers promoted to the default float dtype
    _close(
        gs.zeta(2.0, g.tensor([1.0, 2.0])), torch.special.zeta(2.0, torch.tensor([1.0, 2.0])), 1e-6
    )
    _close(
        gs.zeta(g.tensor([2.0, 3.0]), 1.0), torch.special.zeta(torch.tensor([2.0, 3.0]), 1.0), 1e-6
    )
    _close(
        gs.zeta(g.tensor([2, 3]), g.tensor([1, 2])),
        torch.special.zeta(torch.tensor([2, 3]), torch.tensor([1, 2])),
        1e-6,
    )
    a, ta = _pair([2.0, 3.5])
    b, tb = _pair([1.5, 0.7], requires_grad=True)
    (gb,) = g.autograd.grad(gs.zeta(a, b).sum(), b)
    _close(gb, torch.autograd.grad(torch.special.zeta(ta, tb).sum(), tb)[0], 1e-12)
    assert gradcheck(lambda v: gs.zeta(a, v), (b,))
    with pytest.raises(NotImplementedError, match="the derivative for 'zeta' is not implemented"):
        gs.zeta(a.requires_grad_(), b).sum().backward()


def test_frexp():
    values = [8.0, 0.0, -3.0, 1e-310, 1e308, np.inf, np.nan, -0.5]
    for dtype in ("float64", "float32"):
        a, t = _pair(values, dtype)
        ours, theirs = g.frexp(a), torch.frexp(t)
        _close(ours.mantissa, theirs.mantissa, 0.0)
        _close(ours.exponent, theirs.exponent, 0.0)
        assert repr(ours).startswith("torch.return_types.frexp(\nmantissa=tensor(")
    a, t = _pair([4.0, -3.0, 0.1], requires_grad=True)
    mantissa, exponent = a.frexp()
    assert type(mantissa.grad_fn).__name__ == "FrexpBackward0" and not exponent.requires_grad
    (ga,) = g.autograd.grad(mantissa.sum(), a)
    _close(ga, torch.autograd.grad(torch.frexp(t).mantissa.sum(), t)[0], 0.0)
    with pytest.raises(RuntimeError, match=r"torch.frexp\(\) only supports floating-point dtypes"):
        g.frexp(g.tensor([1, 2]))


def test_ldexp_and_nextafter():
    _close(
        g.ldexp(g.tensor([1, 2]), g.tensor([3, 4])),
        torch.ldexp(torch.tensor([1, 2]), torch.tensor([3, 4])),
        0.0,
    )
    a, t = _pair([1.5, -2.0], requires_grad=True)
    e, te = _pair([3.0, -1.0], requires_grad=True)
    ours, theirs = g.ldexp(a, e), torch.ldexp(t, te)
    _close(ours, theirs, 0.0)
    grads = g.autograd.grad(ours.sum(), (a, e))
    for got, want in zip(grads, torch.autograd.grad(theirs.sum(), (t, te))):
        _close(got, want, 1e-15)
    with pytest.raises(TypeError, match="ldexp\\(\\): argument 'other' \\(position 2\\)"):
        g.ldexp(a, 3)
    for dtype in ("float32", "float64"):
        x, tx = _pair([1.0, 0.0, -1.0, np.inf, 1.0], dtype)
        y, ty = _pair([2.0, -1.0, -2.0, 0.0, 1.0], dtype)
        _close(g.nextafter(x, y), torch.nextafter(tx, ty), 0.0)
    _close(
        g.nextafter(g.tensor([1.0]), g.tensor([2.0], dtype=g.float64)),
        torch.nextafter(torch.tensor([1.0]), torch.tensor([2.0], dtype=torch.float64)),
        0.0,
    )
    with pytest.raises(NotImplementedError, match="\"nextafter_cpu\" not implemented for 'Long'"):
        g.nextafter(g.tensor([1, 2]), g.tensor([1, 2]))
    x = g.tensor([1.0], requires_grad=True)
    g.nextafter(x, g.tensor([2.0])).sum().backward()  # torch 2.13: the gradient passes to x
    assert x.grad.tolist() == [1.0]


def test_angle():
    _close(g.angle(g.tensor([1, -2, 0])), torch.angle(torch.tensor([1, -2, 0])), 0.0)
    values = [1.0, -2.0, 0.0, -0.0, np.nan, -np.inf, np.inf]
    a, t = _pair(values, requires_grad=True)
    ours, theirs = g.angle(a), torch.angle(t)
    _close(ours, theirs, 0.0)
    assert type(ours.grad_fn).__name__ == "AngleBackward0"
    _close(g.autograd.grad(ours.sum(), a)[0], torch.autograd.grad(theirs.sum(), t)[0], 0.0)
