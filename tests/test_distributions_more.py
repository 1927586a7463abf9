"""The second round of gradiente.distributions against torch.distributions: transforms and
``TransformedDistribution``, the distributions built on them (LogNormal, Gumbel, HalfNormal,
...), Cauchy, Geometric, the relaxed (Concrete) distributions, and the gamma family (Gamma,
Chi2, Beta, Dirichlet, StudentT) with torch's samplers and implicit reparameterisation
gradients; KL divergences; validation errors."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest

import gradiente
import gradiente.distributions as gd
from conftest import run_with_torch_alias
from gradiente.distributions import transforms as gT
from gradiente.distributions.gamma_sampling import dirichlet_grad, standard_gamma_grad

torch = pytest.importorskip("torch")
td = torch.distributions
tT = torch.distributions.transforms


def _numpy(x):
    return np.asarray(x.detach().numpy()) if hasattr(x, "detach") else np.asarray(x)


def _same(g, t, rtol=1e-10, atol=1e-12, exact=False):
    """``g`` (gradiente) equals ``t`` (torch) in shape, dtype and value."""
    assert tuple(g.shape) == tuple(t.shape), (g.shape, t.shape)
    assert str(g.dtype) == str(t.dtype), (g.dtype, t.dtype)
    if exact:
        np.testing.assert_array_equal(_numpy(g), _numpy(t))
    else:
        np.testing.assert_allclose(_numpy(g), _numpy(t), rtol=rtol, atol=atol)


R = np.random.RandomState(0)
LOC = R.randn(3, 4)
SCALE = R.rand(3, 4) + 0.5
SCALE2 = R.rand(3, 4) + 0.5
PROB = R.rand(3, 4) * 0.8 + 0.1
LOGITS = R.randn(3, 4)
CONC = R.rand(3, 4) * 3 + 0.2
CONC2 = R.rand(3, 4) * 9 + 0.2
DF = R.rand(3, 4) * 5 + 0.5
ALPHA = R.rand(3, 4) + 2.5


# ---------------------------------------------------------------------------------------------
# Transforms
# ---------------------------------------------------------------------------------------------

TRANSFORMS = {
    "exp": (lambda T, M: M.ExpTransform(), LOC),
    "exp_inv": (lambda T, M: M.ExpTransform().inv, SCALE),
    "power": (lambda T, M: M.PowerTransform(T.tensor(DF)), SCALE),
    "sigmoid": (lambda T, M: M.SigmoidTransform(), LOC),
    "sigmoid_inv": (lambda T, M: M.SigmoidTransform().inv, PROB),
    "softplus": (lambda T, M: M.SoftplusTransform(), LOC),
    "tanh": (lambda T, M: M.TanhTransform(), LOC),
    "tanh_inv": (lambda T, M: M.TanhTransform().inv, PROB - 0.5),
    "affine": (lambda T, M: M.AffineTransform(T.tensor(LOC), T.tensor(-SCALE)), LOC),
    "affine_number": (lambda T, M: M.AffineTransform(1.5, -2.0), LOC),
    "affine_event": (lambda T, M: M.AffineTransform(0.5, T.tensor(SCALE), event_dim=1), LOC),
    "stick_breaking": (lambda T, M: M.StickBreakingTransform(), LOC),
    "stick_breaking_inv": (
        lambda T, M: M.StickBreakingTransform().inv,
        np.exp(LOC) / np.exp(LOC).sum(-1, keepdims=True),
    ),
    "compose": (
        lambda T, M: M.ComposeTransform(
            [M.AffineTransform(0.3, 2.0), M.SigmoidTransform(), M.AffineTransform(-1.0, 2.0)]
        ),
        LOC,
    ),
    "compose_event": (
        lambda T, M: M.ComposeTransform([M.ExpTransform(), M.StickBreakingTransform()]),
        LOC,
    ),
    "independent": (lambda T, M: M.IndependentTransform(M.ExpTransform(), 2), LOC),
    "reshape": (lambda T, M: M.ReshapeTransform((4,), (2, 2)), LOC),
    "lower_cholesky": (lambda T, M: M.LowerCholeskyTransform(), R.randn(2, 3, 3)),
    "positive_definite": (lambda T, M: M.PositiveDefiniteTransform(), R.randn(2, 3, 3)),
    "cdf": (
        lambda T, M: M.CumulativeDistributionTransform(
            T.distributions.Normal(T.tensor(LOC), T.tensor(SCALE))
        ),
        LOC + 0.3,
    ),
}

# no log-Jacobian (not bijective)
NO_JACOBIAN = {"lower_cholesky", "positive_definite"}


@pytest.mark.parametrize("name", sorted(TRANSFORMS))
def test_transform_forward_inverse_and_jacobian_match_torch(name):
    make, data = TRANSFORMS[name]
    results = {}
    for lib, module in ((torch, tT), (gradiente, gT)):
        x = lib.tensor(data, requires_grad=True)
        t = make(lib, module)
        y = t(x)
        x_back = t.inv(y.detach())
        if name in NO_JACOBIAN:
            ladj = y.sum((-2, -1))
            with pytest.raises(NotImplementedError):
                t.log_abs_det_jacobian(x, y)
        else:
            ladj = t.log_abs_det_jacobian(x, y)
        grads = lib.autograd.grad((y.sum() + ladj.sum()), [x])
        shapes = (tuple(t.forward_shape(x.shape)), tuple(t.inverse_shape(y.shape)))
        info = (t.domain.event_dim, t.codomain.event_dim, t.bijective, repr(t.domain))
        results[lib.__name__] = (y, x_back, ladj, grads[0], shapes, info)
    for g, tv in zip(results["gradiente"][:4], results["torch"][:4]):
        _same(g, tv)
    assert results["gradiente"][4:] == results["torch"][4:]


def test_transform_inverse_identity_cache_and_equality():
    t = gT.ExpTransform()
    assert t.inv.inv is t
    assert t == gT.ExpTransform() and t.inv == gT.ExpTransform().inv
    assert gT.AffineTransform(1.0, 2.0) == gT.AffineTransform(1.0, 2.0)
    assert gT.AffineTransform(1.0, 2.0) != gT.AffineTransform(1.0, 3.0)
    assert gT.ExpTransform().sign == 1 and gT.AffineTransform(0.0, -2.0).sign == -1
    # cache_size=1: the inverse of the last output is the very input
    cached = gT.ExpTransform(cache_size=1)
    x = gradiente.tensor([0.5, 1.0])
    assert cached.inv(cached(x)) is x
    assert gT.ExpTransform().inv(gT.ExpTransform()(x)) is not x
    with pytest.raises(ValueError, match="cache_size must be 0 or 1"):
        gT.ExpTransform(cache_size=2)
    assert repr(gT.ExpTransform().inv) == repr(tT.ExpTransform().inv)
    assert repr(gT.identity_transform) == repr(tT.identity_transform)
    assert repr(gT.TanhTransform().codomain) == repr(tT.TanhTransform().codomain)


def test_transform_log_abs_det_jacobian_gradcheck():
    x = gradiente.tensor(LOC[:2, :3], requires_grad=True)
    for t in (
        gT.StickBreakingTransform(),
        gT.TanhTransform(),
        gT.SigmoidTransform(),
        gT.ComposeTransform([gT.ExpTransform(), gT.AffineTransform(0.5, 3.0)]),
    ):
        assert gradiente.autograd.gradcheck(lambda v, t=t: t.log_abs_det_jacobian(v, t(v)), (x,))
        assert gradiente.autograd.gradcheck(lambda v, t=t: t(v), (x,))


# ---------------------------------------------------------------------------------------------
# Distributions: samples, densities, moments and gradients against torch
# ---------------------------------------------------------------------------------------------

# name: (constructor(lib, distributions, *params), parameter arrays, whether the samples are
# bit-identical — the rest go through exp/log/pow, where torch's vectorised math may differ by
# an ulp from the C library's)
CASES = {
    "LogNormal": (lambda T, D, a, b: D.LogNormal(a, b), [LOC, SCALE], False),
    "Gumbel": (lambda T, D, a, b: D.Gumbel(a, b), [LOC, SCALE], True),
    "Cauchy": (lambda T, D, a, b: D.Cauchy(a, b), [LOC, SCALE], True),
    "HalfNormal": (lambda T, D, b: D.HalfNormal(b), [SCALE], True),
    "HalfCauchy": (lambda T, D, b: D.HalfCauchy(b), [SCALE], True),
    "Weibull": (lambda T, D, a, b: D.Weibull(a, b), [SCALE, SCALE2 + 0.6], False),
    "Pareto": (lambda T, D, a, b: D.Pareto(a, b), [SCALE, ALPHA], False),
    "Geometric": (lambda T, D, p: D.Geometric(p), [PROB], True),
    "RelaxedBernoulli": (
        lambda T, D, p: D.RelaxedBernoulli(T.tensor(0.7, dtype=T.float64), p),
        [PROB],
        False,
    ),
    "LogitRelaxedBernoulli": (
        lambda T, D, p: D.relaxed_bernoulli.LogitRelaxedBernoulli(
            T.tensor(0.7, dtype=T.float64), logits=p
        ),
        [LOGITS],
        False,
    ),
    "RelaxedOneHotCategorical": (
        lambda T, D, p: D.RelaxedOneHotCategorical(T.tensor(0.7, dtype=T.float64), logits=p),
        [LOGITS],
        False,
    ),
    "LogisticNormal": (lambda T, D, a, b: D.LogisticNormal(a, b), [LOC, SCALE], False),
    "Gamma": (lambda T, D, a, b: D.Gamma(a, b), [CONC, SCALE], True),
    "Chi2": (lambda T, D, a: D.Chi2(a), [DF], True),
    "Beta": (lambda T, D, a, b: D.Beta(a, b), [CONC, CONC2], True),
    "Dirichlet": (lambda T, D, a: D.Dirichlet(a), [CONC], True),
    "StudentT": (lambda T, D, a, b, c: D.StudentT(a, b, c), [DF, LOC, SCALE], True),
    "InverseGamma": (lambda T, D, a, b: D.InverseGamma(a, b), [CONC + 2.1, SCALE], False),
    "FisherSnedecor": (lambda T, D, a, b: D.FisherSnedecor(a, b), [DF, DF + 4.5], True),
    # probabilities on both sides of the Taylor region around ½, and inside it
    "ContinuousBernoulli": (
        lambda T, D, p: D.ContinuousBernoulli(p),
        [np.where(np.arange(12).reshape(3, 4) == 5, 0.5002, PROB)],
        False,
    ),
    "ContinuousBernoulliLogits": (
        lambda T, D, p: D.ContinuousBernoulli(logits=p),
        [LOGITS],
        False,
    ),
}

# torch's ψ⁽¹⁾ (trigamma, the derivative of the digamma in entropies and KLs) is accurate to
# about 1e-9 relative; gradiente's to 1e-16, so gradients through a digamma agree to 1e-8
DIGAMMA_GRAD = {"rtol": 1e-8, "atol": 1e-8}


def _evaluate(lib, D, name):
    make, arrays, _ = CASES[name]
    params = [lib.tensor(a, requires_grad=True) for a in arrays]
    d = make(lib, D, *params)
    lib.manual_seed(0)
    sample = d.sample((2,))
    lib.manual_seed(1)
    rsample = d.rsample((2,)) if d.has_rsample else None
    out = {"sample": sample, "rsample": rsample, "log_prob": d.log_prob(sample)}
    for attribute in ("mean", "variance", "mode", "stddev"):
        try:
            out[attribute] = getattr(d, attribute)
        except NotImplementedError:
            out[attribute] = None
    for method, arg in (
        ("entropy", ()),
        ("cdf", (sample,)),
        ("icdf", (lib.full((), 0.3, dtype=lib.float64),)),
    ):
        try:
            out[method] = getattr(d, method)(*arg)
        except NotImplementedError:
            out[method] = None
    differentiable = [v for k, v in out.items() if k in ("rsample", "log_prob") and v is not None]
    if name not in ("Gamma", "Chi2", "InverseGamma") and out["cdf"] is not None:  # no igamma grad
        differentiable.append(out["cdf"])
    total = sum(v.sum() for v in differentiable)
    out["grad"] = lib.autograd.grad(total, params, retain_graph=True)
    if out["entropy"] is not None:
        out["entropy_grad"] = lib.autograd.grad(out["entropy"].sum(), params, allow_unused=True)
    out["shapes"] = (tuple(d.batch_shape), tuple(d.event_shape), d.has_rsample)
    out["support"] = repr(d.support)
    return out


@pytest.mark.parametrize("name", sorted(CASES))
def test_distribution_matches_torch(name):
    tout = _evaluate(torch, td, name)
    gout = _evaluate(gradiente, gd, name)
    exact = CASES[name][2]
    assert gout["shapes"] == tout["shapes"]
    assert gout["support"] == tout["support"]
    for key in ("sample", "rsample"):
        if tout[key] is None:
            assert gout[key] is None
        else:
            _same(gout[key], tout[key], rtol=1e-14, atol=0, exact=exact)
    for key in ("log_prob", "mean", "variance", "mode", "stddev", "entropy", "cdf", "icdf"):
        assert (gout[key] is None) == (tout[key] is None), key
        if tout[key] is not None:
            _same(gout[key], tout[key])
    for g, t in zip(gout["grad"], tout["grad"]):
        _same(g, t)
    for g, t in zip(gout.get("entropy_grad", ()), tout.get("entropy_grad", ())):
        if t is None:
            assert g is None
        else:
            _same(g, t, **DIGAMMA_GRAD)


@pytest.mark.parametrize("name", ["Gamma", "Dirichlet", "Beta", "Cauchy", "StudentT", "Gumbel"])
def test_float32_samples_match_torch(name):
    arrays = {
        "Gamma": [CONC, SCALE],
        "Dirichlet": [CONC],
        "Beta": [CONC, CONC2],
        "Cauchy": [LOC, SCALE],
        "StudentT": [DF, LOC, SCALE],
        "Gumbel": [LOC, SCALE],
    }[name]
    out = []
    for lib, D in ((torch, td), (gradiente, gd)):
        params = [lib.tensor(a, dtype=lib.float32) for a in arrays]
        lib.manual_seed(5)
        out.append(getattr(D, name)(*params).sample((3,)))
    _same(out[1], out[0], exact=name not in ("StudentT", "Gumbel"), rtol=1e-6)


def test_gamma_sampler_reproduces_torch_including_small_and_large_shapes():
    # α < 1 (the boost by U^(1/α)), α = 1, large α; the cached normal carries over to randn
    alpha = [0.01, 0.3, 0.5, 1.0, 2.5, 7.0, 20.0, 1000.0] * 4
    torch.manual_seed(3)
    t = torch._standard_gamma(torch.tensor(alpha, dtype=torch.float64))
    t_after = torch.randn(3)
    gradiente.manual_seed(3)
    g = gd.Gamma(gradiente.tensor(alpha, dtype=gradiente.float64), 1.0).sample()
    g_after = gradiente.randn(3)
    np.testing.assert_array_equal(_numpy(g), _numpy(t))
    np.testing.assert_array_equal(_numpy(g_after), _numpy(t_after))


def test_implicit_reparameterisation_gradients_equal_torchs_formulas():
    # every branch: small x (Taylor), large α (saddle point, near and away from the mean),
    # and the rational approximation
    rng = np.random.RandomState(7)
    alpha = np.concatenate([rng.rand(500) * 30 + 0.01, [10.0, 10.0, 50.0]])
    x = np.concatenate([rng.gamma(2.0, size=500) * 5 + 1e-3, [10.2, 3.0, 80.0]])
    expected = torch._standard_gamma_grad(torch.tensor(alpha), torch.tensor(x)).numpy()
    np.testing.assert_allclose(standard_gamma_grad(alpha, x), expected, rtol=1e-13, atol=0)
    # the Dirichlet/Beta gradient: small x, x near 1, both concentrations large, and the rest
    x = np.concatenate([rng.rand(800), [0.01, 0.99, 0.45]])
    conc = np.concatenate([rng.rand(800) * 20 + 0.05, [0.5, 0.5, 30.0]])
    total = conc + np.concatenate([rng.rand(800) * 20 + 0.05, [2.0, 0.2, 40.0]])
    expected = torch._dirichlet_grad(
        torch.tensor(x), torch.tensor(conc), torch.tensor(total)
    ).numpy()
    np.testing.assert_allclose(dirichlet_grad(x, conc, total), expected, rtol=1e-13, atol=0)


def test_log_prob_gradcheck_float64():
    value = gradiente.tensor(R.rand(3, 4) * 0.8 + 0.1)
    simplex = gradiente.tensor(np.exp(LOC) / np.exp(LOC).sum(-1, keepdims=True))
    cases = [
        (lambda a, b: gd.Gamma(a, b).log_prob(value), [CONC, SCALE]),
        (lambda a, b: gd.Beta(a, b).log_prob(value), [CONC, CONC2]),
        (lambda a: gd.Dirichlet(a).log_prob(simplex), [CONC]),
        (lambda a, b, c: gd.StudentT(a, b, c).log_prob(value), [DF, LOC, SCALE]),
        (lambda a, b: gd.LogNormal(a, b).log_prob(value), [LOC, SCALE]),
        (lambda a, b: gd.Weibull(a, b).log_prob(value), [SCALE, SCALE2]),
        (lambda a, b: gd.LogisticNormal(a, b).log_prob(simplex), [LOC[:, :3], SCALE[:, :3]]),
    ]
    for fn, arrays in cases:
        params = tuple(gradiente.tensor(a, requires_grad=True) for a in arrays)
        assert gradiente.autograd.gradcheck(fn, params)


def test_expand_and_rsample_shapes_match_torch():
    for name in sorted(CASES):
        make, arrays, _ = CASES[name]
        shapes = []
        for lib, D in ((torch, td), (gradiente, gd)):
            params = [lib.tensor(a[:1]) for a in arrays]
            d = make(lib, D, *params)
            d = d.expand((5,) + tuple(d.batch_shape))
            lib.manual_seed(0)
            s = d.sample((2,))
            shapes.append((tuple(d.batch_shape), tuple(d.event_shape), tuple(s.shape)))
        assert shapes[0] == shapes[1], name


def test_transformed_distribution_matches_torch():
    def fn(T, D, M):
        base = D.Normal(T.tensor(LOC), T.tensor(SCALE))
        d = D.TransformedDistribution(
            base, [M.AffineTransform(0.5, -2.0), M.TanhTransform(), M.StickBreakingTransform()]
        )
        T.manual_seed(0)
        x = d.rsample((2,))
        return d, x, d.log_prob(x.detach()), tuple(d.batch_shape), tuple(d.event_shape)

    td_, tx, tlp, tb, te = fn(torch, td, tT)
    gd_, gx, glp, gb, ge = fn(gradiente, gd, gT)
    assert (gb, ge) == (tb, te)
    _same(gx, tx, rtol=1e-14)
    _same(glp, tlp, rtol=1e-9)
    # monotone decreasing transform: the cdf flips
    for lib, D, M in ((torch, td, tT), (gradiente, gd, gT)):
        d = D.TransformedDistribution(D.Normal(0.0, 1.0), M.AffineTransform(1.0, -2.0))
        value = d.cdf(lib.tensor([0.0, 1.0, 3.0]))
        inverse = d.icdf(lib.tensor([0.1, 0.5]))
        if lib is torch:
            tvalue, tinverse = value, inverse
    _same(value, tvalue)
    _same(inverse, tinverse)


# ---------------------------------------------------------------------------------------------
# KL divergences
# ---------------------------------------------------------------------------------------------

P2 = R.rand(3, 4) + 0.5
KL_PAIRS = {
    "gamma_gamma": (lambda D, T: D.Gamma(T[0], T[1]), lambda D, T: D.Gamma(T[2], T[3])),
    "beta_beta": (lambda D, T: D.Beta(T[0], T[1]), lambda D, T: D.Beta(T[2], T[3])),
    "dirichlet_dirichlet": (lambda D, T: D.Dirichlet(T[0]), lambda D, T: D.Dirichlet(T[2])),
    "chi2_chi2": (lambda D, T: D.Chi2(T[0]), lambda D, T: D.Chi2(T[1])),
    "gumbel_gumbel": (lambda D, T: D.Gumbel(T[4], T[1]), lambda D, T: D.Gumbel(T[5], T[3])),
    "cauchy_cauchy": (lambda D, T: D.Cauchy(T[4], T[1]), lambda D, T: D.Cauchy(T[5], T[3])),
    "geometric": (lambda D, T: D.Geometric(T[6]), lambda D, T: D.Geometric(T[7])),
    "halfnormal": (lambda D, T: D.HalfNormal(T[0]), lambda D, T: D.HalfNormal(T[1])),
    "pareto_pareto": (lambda D, T: D.Pareto(T[0], T[8]), lambda D, T: D.Pareto(T[1], T[8])),
    "lognormal": (lambda D, T: D.LogNormal(T[4], T[1]), lambda D, T: D.LogNormal(T[5], T[3])),
    "beta_exponential": (lambda D, T: D.Beta(T[0], T[1]), lambda D, T: D.Exponential(T[2])),
    "beta_gamma": (lambda D, T: D.Beta(T[0], T[1]), lambda D, T: D.Gamma(T[2], T[3])),
    "beta_normal": (lambda D, T: D.Beta(T[0], T[1]), lambda D, T: D.Normal(T[4], T[3])),
    "beta_uniform": (
        lambda D, T: D.Beta(T[0], T[1]),
        lambda D, T: D.Uniform(T[6] - 1, T[6] + 0.5),
    ),
    "beta_pareto": (lambda D, T: D.Beta(T[0], T[1]), lambda D, T: D.Pareto(T[0], T[8])),
    "exponential_gamma": (lambda D, T: D.Exponential(T[0]), lambda D, T: D.Gamma(T[2], T[3])),
    "exponential_gumbel": (lambda D, T: D.Exponential(T[0]), lambda D, T: D.Gumbel(T[4], T[3])),
    "gamma_exponential": (lambda D, T: D.Gamma(T[0], T[1]), lambda D, T: D.Exponential(T[2])),
    "gamma_gumbel": (lambda D, T: D.Gamma(T[0], T[1]), lambda D, T: D.Gumbel(T[4], T[3])),
    "gamma_normal": (lambda D, T: D.Gamma(T[0], T[1]), lambda D, T: D.Normal(T[4], T[3])),
    "gamma_uniform": (lambda D, T: D.Gamma(T[0], T[1]), lambda D, T: D.Uniform(T[4], T[4] + 1)),
    "gumbel_normal": (lambda D, T: D.Gumbel(T[4], T[1]), lambda D, T: D.Normal(T[5], T[3])),
    "normal_gumbel": (lambda D, T: D.Normal(T[4], T[1]), lambda D, T: D.Gumbel(T[5], T[3])),
    "normal_gamma": (lambda D, T: D.Normal(T[4], T[1]), lambda D, T: D.Gamma(T[0], T[3])),
    "laplace_beta": (lambda D, T: D.Laplace(T[4], T[1]), lambda D, T: D.Beta(T[0], T[3])),
    "pareto_exponential": (
        lambda D, T: D.Pareto(T[0], T[0] + 0.5),
        lambda D, T: D.Exponential(T[2]),
    ),
    "pareto_gamma": (lambda D, T: D.Pareto(T[0], T[0] + 0.5), lambda D, T: D.Gamma(T[2], T[3])),
    "pareto_normal": (lambda D, T: D.Pareto(T[0], T[0] + 1.5), lambda D, T: D.Normal(T[4], T[3])),
    "uniform_beta": (
        lambda D, T: D.Uniform(T[6] * 0.5, T[6] * 0.5 + 0.4),
        lambda D, T: D.Beta(T[0], T[1]),
    ),
    "uniform_gamma": (lambda D, T: D.Uniform(T[0], T[0] + T[1]), lambda D, T: D.Gamma(T[2], T[3])),
    "uniform_gumbel": (lambda D, T: D.Uniform(T[4], T[4] + 1), lambda D, T: D.Gumbel(T[5], T[3])),
    "cb_cb": (
        lambda D, T: D.ContinuousBernoulli(T[6]),
        lambda D, T: D.ContinuousBernoulli(T[7]),
    ),
    "beta_cb": (lambda D, T: D.Beta(T[0], T[1]), lambda D, T: D.ContinuousBernoulli(T[6])),
    "cb_exponential": (
        lambda D, T: D.ContinuousBernoulli(T[6]),
        lambda D, T: D.Exponential(T[2]),
    ),
    "cb_normal": (lambda D, T: D.ContinuousBernoulli(T[6]), lambda D, T: D.Normal(T[4], T[3])),
    "cb_uniform": (
        lambda D, T: D.ContinuousBernoulli(T[6]),
        lambda D, T: D.Uniform(T[4] - 2, T[4] + 2),
    ),
    "uniform_cb": (
        lambda D, T: D.Uniform(T[6] * 0.5, T[6] * 0.5 + 0.4),
        lambda D, T: D.ContinuousBernoulli(T[7]),
    ),
    "normal_cb": (lambda D, T: D.Normal(T[4], T[1]), lambda D, T: D.ContinuousBernoulli(T[6])),
    "inverse_gamma": (
        lambda D, T: D.InverseGamma(T[0], T[1]),
        lambda D, T: D.InverseGamma(T[2], T[3]),
    ),
    "uniform_pareto": (
        lambda D, T: D.Uniform(T[0], T[0] + T[1]),
        lambda D, T: D.Pareto(T[2], T[8]),
    ),
}
KL_ARRAYS = [CONC, P2, CONC2, SCALE, LOC, R.randn(3, 4), PROB, R.rand(3, 4) * 0.8 + 0.1, ALPHA]


@pytest.mark.parametrize("name", sorted(KL_PAIRS))
def test_kl_divergence_matches_torch(name):
    make_p, make_q = KL_PAIRS[name]
    results = []
    for lib, D in ((torch, td), (gradiente, gd)):
        params = [lib.tensor(a, requires_grad=True) for a in KL_ARRAYS]
        kl = D.kl_divergence(make_p(D, params), make_q(D, params))
        finite = kl.detach().isfinite()
        if finite.any():
            grads = lib.autograd.grad(kl[finite].sum(), params, allow_unused=True)
        else:
            grads = ()
        results.append((kl, grads))
    (tkl, tgrads), (gkl, ggrads) = results
    _same(gkl, tkl)
    for g, t in zip(ggrads, tgrads):
        if t is None:
            assert g is None or not _numpy(g).any()
        else:
            _same(g, t, **DIGAMMA_GRAD)


def test_kl_not_implemented_matches_torch():
    with pytest.raises(NotImplementedError):
        td.kl_divergence(td.Cauchy(0.0, 1.0), td.Normal(0.0, 1.0))
    with pytest.raises(NotImplementedError):
        gd.kl_divergence(gd.Cauchy(0.0, 1.0), gd.Normal(0.0, 1.0))


# ---------------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------------

ERRORS = {
    "gamma_concentration": lambda T, D: D.Gamma(T.tensor([-1.0, 1.0]), T.tensor([1.0, 1.0])),
    "gamma_support": lambda T, D: D.Gamma(T.tensor([2.0]), T.tensor([1.0])).log_prob(
        T.tensor([-1.0])
    ),
    "beta_concentration": lambda T, D: D.Beta(T.tensor([0.5, 0.0]), T.tensor([1.0, 1.0])),
    "beta_support": lambda T, D: D.Beta(T.tensor([2.0]), T.tensor([1.0])).log_prob(T.tensor([1.5])),
    "dirichlet_concentration": lambda T, D: D.Dirichlet(T.tensor([[1.0, -1.0]])),
    "dirichlet_scalar": lambda T, D: D.Dirichlet(T.tensor(1.0)),
    "dirichlet_support": lambda T, D: D.Dirichlet(T.tensor([1.0, 2.0])).log_prob(
        T.tensor([0.3, 0.3])
    ),
    "chi2_df": lambda T, D: D.Chi2(T.tensor([-2.0])),
    "student_scale": lambda T, D: D.StudentT(T.tensor([2.0]), 0.0, T.tensor([-1.0])),
    "geometric_zero": lambda T, D: D.Geometric(T.tensor([0.0, 0.5])),
    "geometric_both": lambda T, D: D.Geometric(probs=T.tensor([0.5]), logits=T.tensor([0.0])),
    "geometric_support": lambda T, D: D.Geometric(T.tensor([0.5])).log_prob(T.tensor([1.5])),
    "lognormal_support": lambda T, D: D.LogNormal(T.tensor([0.0]), T.tensor([1.0])).log_prob(
        T.tensor([-1.0])
    ),
    "pareto_support": lambda T, D: D.Pareto(T.tensor([2.0]), T.tensor([1.0])).log_prob(
        T.tensor([1.0])
    ),
    "cauchy_scale": lambda T, D: D.Cauchy(T.tensor([0.0]), T.tensor([0.0])),
    "halfnormal_support": lambda T, D: D.HalfNormal(T.tensor([1.0])).log_prob(T.tensor([-1.0])),
    "transformed_list": lambda T, D: D.TransformedDistribution(D.Normal(0.0, 1.0), [1]),
    "binomial_count": lambda T, D: D.Binomial(T.tensor([2.5]), T.tensor([0.5])),
    "binomial_support": lambda T, D: D.Binomial(T.tensor([2.0]), T.tensor([0.5])).log_prob(
        T.tensor([3.0])
    ),
    "multinomial_support": lambda T, D: D.Multinomial(3, T.tensor([0.5, 0.5])).log_prob(
        T.tensor([2.0, 2.0])
    ),
    "multinomial_count": lambda T, D: D.Multinomial(T.tensor(3), T.tensor([0.5, 0.5])),
    "negative_binomial_probs": lambda T, D: D.NegativeBinomial(T.tensor([2.0]), T.tensor([1.0])),
    "kumaraswamy": lambda T, D: D.Kumaraswamy(T.tensor([0.0]), T.tensor([1.0])),
    "von_mises": lambda T, D: D.VonMises(T.tensor([0.0]), T.tensor([-1.0])),
    "lowrank_shape": lambda T, D: D.LowRankMultivariateNormal(T.zeros(3), T.zeros(4, 1), T.ones(3)),
    "relaxed_temperature_support": lambda T, D: D.RelaxedBernoulli(
        T.tensor(0.5), T.tensor([0.3])
    ).log_prob(T.tensor([1.5])),
}


@pytest.fixture
def torch_validates():
    """torch's argument validation on (importing torch._dynamo, as another test may, turns
    its default off for the whole process)."""
    before = td.Distribution._validate_args
    td.Distribution.set_default_validate_args(True)
    yield
    td.Distribution.set_default_validate_args(before)


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_validation_errors_match_torch(name, torch_validates):
    with pytest.raises(Exception) as terr:
        ERRORS[name](torch, td)
    with pytest.raises(type(terr.value)) as gerr:
        ERRORS[name](gradiente, gd)
    assert str(gerr.value) == str(terr.value)


def test_relaxed_one_hot_concentrates_at_low_temperature():
    # a property torch also has: at temperature → 0 samples approach one-hot vectors
    gradiente.manual_seed(0)
    d = gd.RelaxedOneHotCategorical(gradiente.tensor(0.01), logits=gradiente.tensor(LOGITS))
    sample = _numpy(d.sample((50,)))
    assert np.allclose(sample.sum(-1), 1.0)
    assert (sample.max(-1) > 0.99).mean() > 0.95


# ---------------------------------------------------------------------------------------------
# Counts, mixtures, low-rank Gaussians, circular and Kumaraswamy
# ---------------------------------------------------------------------------------------------

COUNTS = np.array([[0, 1, 5, 20], [100, 1000, 3, 50], [7, 40, 200, 13]], dtype=np.float64)
W = R.randn(2, 5, 2)
MIX_LOGITS = R.randn(2, 3)


def _count_cases(lib, D, p):
    return {
        "binomial": D.Binomial(lib.tensor(COUNTS), p),
        "binomial_logits": D.Binomial(lib.tensor(COUNTS), logits=p * 4 - 2),
        "negative_binomial": D.NegativeBinomial(lib.tensor(COUNTS + 0.5), p * 0.9),
        "multinomial": D.Multinomial(10, p),
    }


@pytest.mark.parametrize(
    "name", ["binomial", "binomial_logits", "negative_binomial", "multinomial"]
)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_count_distributions_match_torch(name, dtype):
    out = []
    for lib, D in ((torch, td), (gradiente, gd)):
        p = lib.tensor(PROB, dtype=getattr(lib, dtype), requires_grad=True)
        d = _count_cases(lib, D, p)[name]
        lib.manual_seed(0)
        sample = d.sample((20,))
        log_prob = d.log_prob(sample)
        (grad,) = lib.autograd.grad(log_prob.sum(), [p])
        moments = [d.mean, d.variance] + ([d.mode] if name != "multinomial" else [])
        out.append((sample, log_prob, grad, moments, repr(d.support)))
    (ts, tlp, tg, tm, tsup), (gs, glp, gg, gm, gsup) = out
    _same(gs, ts, exact=True)
    rtol = 1e-10 if dtype == "float64" else 1e-4
    _same(glp, tlp, rtol=rtol, atol=1e-5 if dtype == "float32" else 1e-12)
    _same(gg, tg, rtol=rtol, atol=1e-5 if dtype == "float32" else 1e-12)
    for g, t in zip(gm, tm):
        _same(g, t, rtol=rtol)
    assert gsup == tsup


def test_binomial_and_multinomial_entropy_and_enumerate_support():
    out = []
    for lib, D in ((torch, td), (gradiente, gd)):
        p = lib.tensor(PROB, requires_grad=True)
        b = D.Binomial(7, p)
        m = D.Multinomial(6, p)
        entropies = (b.entropy(), m.entropy())
        grads = lib.autograd.grad(sum(e.sum() for e in entropies), [p])
        out.append((entropies, grads, b.enumerate_support(), b.enumerate_support(False)))
    for g, t in zip(out[1][0] + out[1][1] + out[1][2:], out[0][0] + out[0][1] + out[0][2:]):
        _same(g, t)


def test_mixture_same_family_matches_torch():
    out = []
    for lib, D in ((torch, td), (gradiente, gd)):
        logits = lib.tensor(MIX_LOGITS, requires_grad=True)
        loc = lib.tensor(LOC[:2, :3], requires_grad=True)
        scale = lib.tensor(SCALE[:2, :3], requires_grad=True)
        gmm = D.MixtureSameFamily(D.Categorical(logits=logits), D.Normal(loc, scale))
        lib.manual_seed(0)
        x = gmm.sample((5,))
        lp = gmm.log_prob(x)
        cdf = gmm.cdf(x)
        grads = lib.autograd.grad(lp.sum() + cdf.sum(), [logits, loc, scale])
        # a mixture of vector-valued components
        mvn = D.MixtureSameFamily(
            D.Categorical(logits=logits),
            D.Independent(D.Normal(loc.unsqueeze(-1).expand(2, 3, 4), scale.unsqueeze(-1)), 1),
        )
        lib.manual_seed(1)
        y = mvn.sample((4,))
        out.append(
            (x, lp, cdf, *grads, gmm.mean, gmm.variance, y, mvn.log_prob(y), mvn.mean, mvn.variance)
        )
        out[-1] = out[-1] + (repr(gmm.support), tuple(mvn.batch_shape), tuple(mvn.event_shape))
    for g, t in zip(out[1][:-3], out[0][:-3]):
        _same(g, t)
    assert out[1][-3:] == out[0][-3:]
    for lib, D in ((torch, td), (gradiente, gd)):
        with pytest.raises(ValueError) as err:
            D.MixtureSameFamily(D.Categorical(logits=lib.zeros(4)), D.Normal(lib.zeros(3), 1.0))
        if lib is torch:
            message = str(err.value)
    assert str(err.value) == message


LR_LOC = R.randn(2, 5)
LR_DIAG = R.rand(2, 5) + 0.5
LR_Q_LOC = R.randn(5)
LR_Q_W = R.randn(5, 3)
LR_Q_DIAG = R.rand(5) + 0.5
MVN_A = R.randn(5, 5)
MVN_COV = MVN_A @ MVN_A.T + 5 * np.eye(5)


def test_lowrank_mvn_values_gradients_and_kl_match_torch():
    out = []
    for lib, D in ((torch, td), (gradiente, gd)):
        params = [lib.tensor(a, requires_grad=True) for a in (LR_LOC, W, LR_DIAG)]
        d = D.LowRankMultivariateNormal(*params)
        q = D.LowRankMultivariateNormal(
            lib.tensor(LR_Q_LOC), lib.tensor(LR_Q_W), lib.tensor(LR_Q_DIAG)
        )
        mvn = D.MultivariateNormal(lib.tensor(LR_Q_LOC), lib.tensor(MVN_COV))
        lib.manual_seed(0)
        x = d.rsample((3,))
        values = [
            x,
            d.log_prob(x.detach()),
            d.entropy(),
            d.variance,
            d.scale_tril,
            d.covariance_matrix,
            d.precision_matrix,
            D.kl_divergence(d, q),
            D.kl_divergence(d, mvn),
            D.kl_divergence(mvn, d),
        ]
        grads = lib.autograd.grad(sum(v.sum() for v in values), params)
        out.append(values + list(grads))
    for g, t in zip(out[1], out[0]):
        _same(g, t, rtol=1e-9)


def test_von_mises_matches_torch():
    out = []
    for lib, D in ((torch, td), (gradiente, gd)):
        loc = lib.tensor(LOC, requires_grad=True)
        conc = lib.tensor(SCALE * 3, requires_grad=True)
        d = D.VonMises(loc, conc)
        lib.manual_seed(0)
        x = d.sample((4,))
        lp = d.log_prob(x)
        grads = lib.autograd.grad(lp.sum() + d.variance.sum(), [loc, conc])
        out.append((x, lp, *grads, d.mean, d.expand((2, 3, 4)).sample().shape))
    for g, t in zip(out[1][:5], out[0][:5]):
        _same(g, t, rtol=1e-12)
    assert tuple(out[1][5]) == tuple(out[0][5])


def test_kumaraswamy_matches_torch():
    out = []
    for lib, D in ((torch, td), (gradiente, gd)):
        a = lib.tensor(CONC + 0.8, requires_grad=True)
        b = lib.tensor(CONC2, requires_grad=True)
        d = D.Kumaraswamy(a, b)
        lib.manual_seed(0)
        x = d.rsample((3,))
        lp = d.log_prob(x.detach())
        ent = d.entropy()
        grads = lib.autograd.grad(x.sum() + lp.sum(), [a, b])
        egrads = lib.autograd.grad(ent.sum(), [a, b])
        out.append((x, lp, ent, d.mean, d.variance, d.mode, *grads, *egrads))
    for i, (g, t) in enumerate(zip(out[1], out[0])):
        tolerance = DIGAMMA_GRAD if i >= 8 else {"rtol": 1e-9}
        _same(g, t, **tolerance)


def test_binomial_kl_and_validation_match_torch():
    out = []
    for lib, D in ((torch, td), (gradiente, gd)):
        p = lib.tensor(PROB, requires_grad=True)
        kl = D.kl_divergence(D.Binomial(lib.tensor(COUNTS), p), D.Binomial(lib.tensor(COUNTS), 0.3))
        (grad,) = lib.autograd.grad(kl.sum(), [p])
        kl_inf = D.kl_divergence(D.Poisson(lib.tensor([1.0])), D.Binomial(5, lib.tensor([0.3])))
        out.append((kl, grad, kl_inf))
    _same(out[1][0], out[0][0])
    _same(out[1][1], out[0][1])
    _same(out[1][2], out[0][2])


SCRIPT = """
import torch
from torch.distributions import Beta, Dirichlet, Gamma, LogNormal, TransformedDistribution
from torch.distributions.transforms import AffineTransform, SigmoidTransform
from torch.distributions.kl import kl_divergence

torch.set_default_dtype(torch.float64)
torch.manual_seed(0)
alpha = torch.tensor([0.7, 2.0, 5.0], requires_grad=True)
x = Gamma(alpha, 2.0).rsample((4,))
y = Dirichlet(alpha).rsample((2,))
z = Beta(alpha, 1.5).rsample()
d = TransformedDistribution(LogNormal(0.0, 1.0), [AffineTransform(1.0, 2.0), SigmoidTransform()])
w = d.sample((3,))
kl = kl_divergence(Gamma(alpha, 1.0), Gamma(2.0, 1.0)).sum()
loss = x.sum() + (y * torch.arange(3.0)).sum() + z.sum() + kl
loss.backward()
print([f"{v:.10f}" for v in x.flatten().tolist() + y.flatten().tolist() + z.tolist()])
print([f"{v:.10f}" for v in w.tolist()], [f"{v:.8f}" for v in alpha.grad.tolist()])
"""


def test_script_under_gradiente_run_prints_torch_output():
    expected = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(SCRIPT)], capture_output=True, text=True
    )
    assert expected.returncode == 0, expected.stderr
    result = run_with_torch_alias(SCRIPT)
    assert result.returncode == 0, result.stderr
    assert result.stdout == expected.stdout


@pytest.mark.parametrize(
    "constraint",
    [
        "real",
        "positive",
        "nonnegative",
        "unit_interval",
        "simplex",
        "lower_cholesky",
        "positive_definite",
        "real_vector",
        "boolean",
    ],
)
@pytest.mark.parametrize("registry", ["biject_to", "transform_to"])
def test_constraint_registry_matches_torch(constraint, registry):
    results = []
    for D in (td, gd):
        try:
            t = getattr(D, registry)(getattr(D.constraints, constraint))
        except NotImplementedError as error:
            results.append(("NotImplementedError", str(error)))
            continue
        results.append((repr(t), t.bijective))
    assert results[1] == results[0]
    # bounded intervals and bounds that are tensors
    for lib, D in ((torch, td), (gradiente, gd)):
        interval = D.constraints.interval(lib.tensor([-1.0, 0.0]), lib.tensor([2.0, 3.0]))
        x = lib.tensor([0.3, -4.0])
        y = getattr(D, registry)(interval)(x)
        z = getattr(D, registry)(D.constraints.greater_than(1.5))(x)
        if lib is torch:
            expected = (y, z)
    _same(y, expected[0])
    _same(z, expected[1])


def test_generalized_pareto_matches_torch_float32():
    # torch's log_prob compares ξ with a float32 zero, so it only runs in float32
    concentration = np.where(np.arange(12).reshape(3, 4) % 3 == 0, 0.0, LOGITS * 0.3)
    out = []
    for lib, D in ((torch, td), (gradiente, gd)):
        params = [
            lib.tensor(a, dtype=lib.float32, requires_grad=True)
            for a in (LOC, SCALE, concentration)
        ]
        d = D.GeneralizedPareto(*params)
        lib.manual_seed(0)
        x = d.rsample((3,))
        lp = d.log_prob(x.detach())
        cdf = d.cdf(x.detach())
        grads = lib.autograd.grad(x.sum() + lp.sum() + cdf.sum(), params)
        values = [x, lp, cdf, d.mean, d.variance, d.entropy(), d.icdf(lib.full((3, 4), 0.3))]
        out.append(values + list(grads) + [repr(d.support)])
    for g, t in zip(out[1][:-1], out[0][:-1]):
        _same(g, t, rtol=1e-5, atol=1e-5)
    assert out[1][-1] == out[0][-1]
    params = tuple(gradiente.tensor(a, requires_grad=True) for a in (LOC, SCALE, LOGITS * 0.3))
    value = gradiente.tensor(LOC + 0.5 + SCALE)
    assert gradiente.autograd.gradcheck(
        lambda a, b, c: gd.GeneralizedPareto(a, b, c).log_prob(value), params
    )
