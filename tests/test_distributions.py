"""gradiente.distributions against torch.distributions: samples with the same seed, shapes,
log-densities, entropies, moments, gradients, KL divergences and validation errors."""

from __future__ import annotations

import math
import sys
import textwrap

import numpy as np
import pytest

import gradiente
import gradiente.distributions as gd
from conftest import run_with_torch_alias

torch = pytest.importorskip("torch")
td = torch.distributions


def _numpy(x):
    if isinstance(x, (int, float, bool)):
        return np.asarray(x)
    return np.asarray(x.detach().numpy())


def _same(g, t, rtol=1e-7, atol=1e-12, exact=False):
    """``g`` (gradiente) equals ``t`` (torch): shapes, dtypes and values."""
    if isinstance(t, (tuple, list)):
        assert len(g) == len(t)
        for a, b in zip(g, t):
            _same(a, b, rtol, atol, exact)
        return
    if isinstance(t, torch.Tensor):
        assert tuple(g.shape) == tuple(t.shape), (g.shape, t.shape)
        assert str(g.dtype) == str(t.dtype), (g.dtype, t.dtype)
    if exact:
        np.testing.assert_array_equal(_numpy(g), _numpy(t))
    else:
        np.testing.assert_allclose(_numpy(g), _numpy(t), rtol=rtol, atol=atol)


def _both(fn, seed=0):
    """``fn(lib, dist)`` run with torch and with gradiente, each seeded with ``seed``."""
    torch.manual_seed(seed)
    t = fn(torch, td)
    gradiente.manual_seed(seed)
    g = fn(gradiente, gd)
    return g, t


def _leaves(lib, arrays, dtype="float64"):
    return [lib.tensor(a, dtype=getattr(lib, dtype), requires_grad=True) for a in arrays]


RNG = np.random.RandomState(0)
LOC = RNG.randn(3, 4)
SCALE = RNG.rand(3, 4) + 0.5
VALUE = RNG.randn(3, 4)
PROBS = RNG.rand(3, 5) + 0.1
LOGITS = RNG.randn(3, 5)
LOW = RNG.randn(3, 4)
HIGH = LOW + RNG.rand(3, 4) + 0.5
RATE = RNG.rand(3, 4) + 0.5
COUNTS = RNG.randint(0, 6, (3, 4)).astype(np.float64)
A = RNG.randn(2, 3, 3)
COV = A @ A.transpose(0, 2, 1) + 3 * np.eye(3)
MVN_LOC = RNG.randn(2, 3)


# ---------------------------------------------------------------------------------------------
# Random streams: the same seed gives torch's numbers
# ---------------------------------------------------------------------------------------------

STREAMS = {
    "normal_sample": lambda T, D: D.Normal(T.tensor(LOC), T.tensor(SCALE)).sample((2,)),
    "normal_sample_f32": lambda T, D: D.Normal(T.zeros(5), T.ones(5)).sample((3, 2)),
    "normal_scalar": lambda T, D: D.Normal(0.0, 1.0).sample((7,)),
    "normal_rsample": lambda T, D: D.Normal(T.tensor(LOC), T.tensor(SCALE)).rsample((2,)),
    "normal_rsample_f32": lambda T, D: D.Normal(T.zeros(3), 2 * T.ones(3)).rsample(),
    "categorical_probs": lambda T, D: D.Categorical(probs=T.tensor(PROBS)).sample((6,)),
    "categorical_logits_f32": lambda T, D: D.Categorical(logits=T.randn(4, 3)).sample((2, 5)),
    "categorical_one": lambda T, D: D.Categorical(logits=T.randn(6)).sample(),
    "bernoulli_probs": lambda T, D: D.Bernoulli(probs=T.rand(3, 4)).sample((2,)),
    "bernoulli_logits": lambda T, D: D.Bernoulli(logits=T.tensor(LOGITS)).sample(),
    "uniform": lambda T, D: D.Uniform(T.tensor(LOW), T.tensor(HIGH)).rsample((2,)),
    "uniform_f32": lambda T, D: D.Uniform(-1.0, 3.0).sample((10,)),
    "laplace": lambda T, D: D.Laplace(T.tensor(LOC), T.tensor(SCALE)).rsample((2,)),
    "exponential": lambda T, D: D.Exponential(T.tensor(RATE)).rsample((2,)),
    "exponential_f32": lambda T, D: D.Exponential(T.ones(4) * 2).sample(),
    "one_hot": lambda T, D: D.OneHotCategorical(probs=T.tensor(PROBS)).sample((3,)),
    "poisson_small": lambda T, D: D.Poisson(T.tensor(RATE * 4)).sample((5,)),
    "poisson_large": lambda T, D: D.Poisson(T.tensor([12.0, 30.5, 250.0, 0.0])).sample((20,)),
    "independent": lambda T, D: D.Independent(D.Normal(T.zeros(2, 3), T.ones(2, 3)), 1).sample(
        (4,)
    ),
}


@pytest.mark.parametrize("name", sorted(STREAMS))
def test_samples_match_torch_stream(name):
    g, t = _both(STREAMS[name])
    _same(g, t, exact=True)
    # and the generator is left where torch leaves it
    _same(gradiente.rand(3), torch.rand(3), exact=True)


def test_multivariate_normal_rsample_matches_torch():
    def fn(T, D):
        loc, cov = _leaves(T, [MVN_LOC, COV])
        d = D.MultivariateNormal(loc, covariance_matrix=cov)
        x = d.rsample((4,))
        x.pow(2).sum().backward()
        return x, loc.grad, cov.grad

    g, t = _both(fn)
    _same(g, t, rtol=1e-10)


def test_rsample_gradients_match_torch():
    def fn(T, D):
        loc, scale, low, high, rate = _leaves(T, [LOC, SCALE, LOW, HIGH, RATE])
        u = T.tensor(VALUE)
        total = (D.Normal(loc, scale).rsample((2,)) * u).sum()
        total = total + (D.Uniform(low, high).rsample() * u).sum()
        total = total + (D.Laplace(loc, scale).rsample() * u).sum()
        total = total + (D.Exponential(rate).rsample() * u).sum()
        total.backward()
        return loc.grad, scale.grad, low.grad, high.grad, rate.grad

    g, t = _both(fn)
    _same(g, t, rtol=1e-10)


# ---------------------------------------------------------------------------------------------
# Densities, entropies, moments and their gradients
# ---------------------------------------------------------------------------------------------

CASES = {
    "normal": (lambda T, D, p: D.Normal(p[0], p[1]), [LOC, SCALE], VALUE),
    "laplace": (lambda T, D, p: D.Laplace(p[0], p[1]), [LOC, SCALE], VALUE),
    "uniform": (lambda T, D, p: D.Uniform(p[0], p[1]), [LOW, HIGH], (LOW + HIGH) / 2),
    "exponential": (lambda T, D, p: D.Exponential(p[0]), [RATE], np.abs(VALUE)),
    "categorical_probs": (
        lambda T, D, p: D.Categorical(probs=p[0]),
        [PROBS],
        np.array([[0, 4, 2], [1, 1, 3]], dtype=np.float64),
    ),
    "categorical_logits": (
        lambda T, D, p: D.Categorical(logits=p[0]),
        [LOGITS],
        np.array([0.0, 4.0, 2.0]),
    ),
    "bernoulli_probs": (
        lambda T, D, p: D.Bernoulli(probs=p[0]),
        [PROBS / 1.2],
        (PROBS > 0.5).astype(np.float64),
    ),
    "bernoulli_logits": (
        lambda T, D, p: D.Bernoulli(logits=p[0]),
        [LOGITS],
        (LOGITS > 0).astype(np.float64),
    ),
    "one_hot": (
        lambda T, D, p: D.OneHotCategorical(logits=p[0]),
        [LOGITS],
        np.eye(5)[[1, 0, 4]],
    ),
    "poisson": (lambda T, D, p: D.Poisson(p[0]), [RATE * 3], COUNTS),
    "mvn_cov": (
        lambda T, D, p: D.MultivariateNormal(p[0], covariance_matrix=p[1]),
        [MVN_LOC, COV],
        RNG.randn(4, 2, 3),
    ),
    "mvn_tril": (
        lambda T, D, p: D.MultivariateNormal(p[0], scale_tril=p[1]),
        [MVN_LOC, np.linalg.cholesky(COV)],
        RNG.randn(2, 3),
    ),
    "mvn_precision": (
        lambda T, D, p: D.MultivariateNormal(p[0], precision_matrix=p[1]),
        [MVN_LOC[0], COV[0]],
        RNG.randn(5, 3),
    ),
    "independent": (
        lambda T, D, p: D.Independent(D.Normal(p[0], p[1]), 1),
        [LOC, SCALE],
        VALUE,
    ),
}

HAS_ENTROPY = set(CASES) - {"poisson"}


def _evaluate(case, what):
    make, params, value = CASES[case]

    def fn(T, D):
        leaves = _leaves(T, params)
        d = make(T, D, leaves)
        if what == "log_prob":
            out = d.log_prob(T.tensor(value))
        elif what == "entropy":
            out = d.entropy()
        else:
            out = getattr(d, what)
        if not out.requires_grad:
            return (out,)
        u = T.tensor(np.random.RandomState(3).randn(*out.shape))
        grads = T.autograd.grad((out * u).sum(), leaves, allow_unused=True)
        return (out,) + tuple(gr if gr is not None else T.zeros(()) for gr in grads)

    return _both(fn)


@pytest.mark.parametrize("case", sorted(CASES))
def test_log_prob_and_gradients_match_torch(case):
    g, t = _evaluate(case, "log_prob")
    _same(g, t, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("case", sorted(HAS_ENTROPY))
def test_entropy_and_gradients_match_torch(case):
    g, t = _evaluate(case, "entropy")
    _same(g, t, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("what", ["mean", "variance", "stddev", "mode"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_moments_match_torch(case, what):
    g, t = _evaluate(case, what)
    _same(g, t, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("case", ["normal", "laplace", "uniform", "exponential"])
@pytest.mark.parametrize("what", ["cdf", "icdf"])
def test_cdf_icdf_match_torch(case, what):
    make, params, value = CASES[case]
    if what == "icdf":
        value = np.random.RandomState(1).rand(*value.shape) * 0.98 + 0.01

    def fn(T, D):
        leaves = _leaves(T, params)
        out = getattr(make(T, D, leaves), what)(T.tensor(value))
        grads = T.autograd.grad(out.sum(), leaves)
        return (out,) + grads

    g, t = _both(fn)
    _same(g, t, rtol=1e-9, atol=1e-12)


def test_shapes_match_torch():
    def fn(T, D):
        dists = [
            D.Normal(T.zeros(3, 1), T.ones(1, 4)),
            D.Normal(0.0, 1.0),
            D.Categorical(probs=T.ones(2, 3, 5)),
            D.Bernoulli(0.3),
            D.MultivariateNormal(T.zeros(4, 1, 3), T.eye(3).expand(2, 3, 3)),
            D.Independent(D.Normal(T.zeros(2, 3, 4), 1.0), 2),
            D.OneHotCategorical(logits=T.zeros(2, 6)),
            D.Uniform(T.zeros(2), 1.0).expand((5, 2)),
        ]
        return [
            (tuple(d.batch_shape), tuple(d.event_shape), tuple(d.sample((7,)).shape)) for d in dists
        ]

    g, t = _both(fn)
    assert g == t


def test_expand_matches_torch():
    def fn(T, D):
        outs = []
        for d in [
            D.Normal(T.tensor(LOC[0]), T.tensor(SCALE[0])),
            D.Categorical(logits=T.tensor(LOGITS[0])),
            D.Bernoulli(probs=T.tensor(PROBS[0] / 1.2)),
            D.Laplace(T.tensor(LOC[0]), T.tensor(SCALE[0])),
            D.MultivariateNormal(T.tensor(MVN_LOC[0]), T.tensor(COV[0])),
            D.OneHotCategorical(probs=T.tensor(PROBS[0])),
            D.Poisson(T.tensor(RATE[0])),
        ]:
            e = d.expand((2,) + tuple(d.batch_shape))
            outs.append((e.sample((3,)), e.log_prob(e.sample())))
            assert e._validate_args == d._validate_args
        return outs

    g, t = _both(fn)
    for a, b in zip(g, t):
        _same(a, b, rtol=1e-9)


def test_enumerate_support_matches_torch():
    def fn(T, D):
        return [
            D.Categorical(logits=T.zeros(2, 3)).enumerate_support(),
            D.Categorical(logits=T.zeros(2, 3)).enumerate_support(expand=False),
            D.Bernoulli(T.full((4,), 0.5)).enumerate_support(),
            D.OneHotCategorical(logits=T.zeros(2, 3)).enumerate_support(),
        ]

    g, t = _both(fn)
    _same(g, t, exact=True)


def test_lazy_parameters_and_precision_match_torch():
    def fn(T, D):
        c = D.Categorical(probs=T.tensor(PROBS))
        b = D.Bernoulli(logits=T.tensor(LOGITS))
        m = D.MultivariateNormal(T.tensor(MVN_LOC), scale_tril=T.tensor(np.linalg.cholesky(COV)))
        p = D.MultivariateNormal(T.tensor(MVN_LOC[0]), precision_matrix=T.tensor(COV[0]))
        return [c.logits, b.probs, m.covariance_matrix, m.precision_matrix, p.scale_tril]

    g, t = _both(fn)
    _same(g, t, rtol=1e-9, atol=1e-12)


# ---------------------------------------------------------------------------------------------
# gradcheck (float64) of log_prob, entropy and rsample
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", sorted(CASES))
def test_gradcheck_log_prob_and_entropy(case):
    make, params, value = CASES[case]
    leaves = _leaves(gradiente, params)
    x = gradiente.tensor(value, dtype=gradiente.float64)

    def build(p):
        if case in ("mvn_cov", "mvn_precision"):  # perturb the matrix symmetrically
            p = (p[0], (p[1] + p[1].mT) / 2)
        if case == "mvn_tril":  # keep the factor lower-triangular
            p = (p[0], p[1].tril())
        return make(gradiente, gd, p)

    assert gradiente.autograd.gradcheck(lambda *p: build(p).log_prob(x), leaves)
    if case in HAS_ENTROPY:
        assert gradiente.autograd.gradcheck(lambda *p: build(p).entropy(), leaves)


@pytest.mark.parametrize("case", ["normal", "laplace", "uniform", "exponential", "mvn_cov"])
def test_gradcheck_rsample(case):
    make, params, _ = CASES[case]
    leaves = _leaves(gradiente, params)

    def rsample(*p):
        gradiente.manual_seed(5)  # the same noise at every evaluation
        if case == "mvn_cov":  # perturb the matrix symmetrically
            p = (p[0], (p[1] + p[1].mT) / 2)
        return make(gradiente, gd, p).rsample((2,))

    assert gradiente.autograd.gradcheck(rsample, leaves)


# ---------------------------------------------------------------------------------------------
# KL divergences
# ---------------------------------------------------------------------------------------------

KL_PAIRS = {
    "normal_normal": lambda T, D, a, b: (D.Normal(a, b), D.Normal(b, a + 3)),
    "laplace_laplace": lambda T, D, a, b: (D.Laplace(a, b), D.Laplace(b, a + 3)),
    "uniform_uniform": lambda T, D, a, b: (D.Uniform(a - b, a + b), D.Uniform(a - 2 * b, a + b)),
    "exponential_exponential": lambda T, D, a, b: (D.Exponential(b), D.Exponential(a + 3)),
    "poisson_poisson": lambda T, D, a, b: (D.Poisson(b), D.Poisson(a + 3)),
    "bernoulli_bernoulli": lambda T, D, a, b: (D.Bernoulli(logits=a), D.Bernoulli(logits=b)),
    "categorical_categorical": lambda T, D, a, b: (
        D.Categorical(logits=a),
        D.Categorical(probs=b),
    ),
    "onehot_onehot": lambda T, D, a, b: (
        D.OneHotCategorical(logits=a),
        D.OneHotCategorical(logits=b),
    ),
    "independent_independent": lambda T, D, a, b: (
        D.Independent(D.Normal(a, b), 1),
        D.Independent(D.Normal(b, b + 1), 1),
    ),
    "mvn_mvn": lambda T, D, a, b: (
        D.MultivariateNormal(
            a[:3, :3], scale_tril=T.eye(3, dtype=T.float64) * b[0, 0] + a[:3, :3].tril(-1)
        ),
        D.MultivariateNormal(
            b[:3, :3],
            covariance_matrix=T.eye(3, dtype=T.float64) * 2 + 0.1 * b[:3, :3] @ b[:3, :3].T,
        ),
    ),
    "exponential_normal": lambda T, D, a, b: (D.Exponential(b), D.Normal(a, b)),
    "laplace_normal": lambda T, D, a, b: (D.Laplace(a, b), D.Normal(b, b + 1)),
    "normal_laplace": lambda T, D, a, b: (D.Normal(a, b), D.Laplace(b, b + 1)),
    "uniform_normal": lambda T, D, a, b: (D.Uniform(a - b, a + b), D.Normal(b, a + 3)),
    "uniform_exponential": lambda T, D, a, b: (D.Uniform(b, b + 1), D.Exponential(a + 3)),
    "normal_uniform": lambda T, D, a, b: (D.Normal(a, b), D.Uniform(a - 1, a + 1)),
    "laplace_exponential": lambda T, D, a, b: (D.Laplace(a, b), D.Exponential(b)),
    "exponential_uniform": lambda T, D, a, b: (D.Exponential(b), D.Uniform(a, a + 1)),
    "bernoulli_poisson": lambda T, D, a, b: (D.Bernoulli(logits=a), D.Poisson(b)),
    "poisson_bernoulli": lambda T, D, a, b: (D.Poisson(b), D.Bernoulli(logits=a)),
}


@pytest.mark.parametrize("pair", sorted(KL_PAIRS))
def test_kl_divergence_matches_torch(pair):
    a0 = RNG.randn(4, 5)
    b0 = RNG.rand(4, 5) + 0.5

    def fn(T, D):
        a, b = _leaves(T, [a0, b0])
        p, q = KL_PAIRS[pair](T, D, a, b)
        kl = D.kl_divergence(p, q)
        finite = kl.detach().isfinite()
        total = kl[finite].sum() if finite.any() else kl.sum()
        if not total.requires_grad:
            return (kl,)
        grads = T.autograd.grad(total, [a, b], allow_unused=True)
        return (kl,) + tuple(gr if gr is not None else T.zeros(()) for gr in grads)

    g, t = _both(fn)
    _same(g, t, rtol=1e-9, atol=1e-12)


def test_kl_divergence_bregman_for_same_exponential_family():
    # the Exponential family's generic Bregman form (registered for ExponentialFamily pairs)
    def fn(T, D):
        rate = _leaves(T, [RATE])[0]
        p, q = D.Exponential(rate), D.Exponential(rate * 2)
        kl = D.kl._kl_expfamily_expfamily(p, q)
        return kl, T.autograd.grad(kl.sum(), [rate])[0]

    g, t = _both(fn)
    _same(g, t, rtol=1e-9)


def test_kl_divergence_unknown_pair_and_register_kl():
    p, q = gd.Normal(0.0, 1.0), gd.Categorical(logits=gradiente.zeros(3))
    with pytest.raises(NotImplementedError) as gerr:
        gd.kl_divergence(p, q)
    with pytest.raises(NotImplementedError) as terr:
        td.kl_divergence(td.Normal(0.0, 1.0), td.Categorical(logits=torch.zeros(3)))
    assert str(gerr.value) == str(terr.value)

    class MyNormal(gd.Normal):
        pass

    @gd.register_kl(MyNormal, gd.Categorical)
    def _kl(p, q):
        return p.loc * 0 + 7.0

    assert gd.kl_divergence(MyNormal(0.0, 1.0), q).item() == 7.0
    # a subclass without its own entry uses its parent's
    assert gd.kl_divergence(MyNormal(0.0, 2.0), gd.Normal(0.0, 1.0)).item() == pytest.approx(
        0.5 * (4 - 1 - math.log(4))
    )


# ---------------------------------------------------------------------------------------------
# Validation: torch's errors
# ---------------------------------------------------------------------------------------------

ERRORS = {
    "normal_scale": lambda T, D: D.Normal(T.zeros(2), T.tensor([1.0, -1.0])),
    "normal_nan_loc": lambda T, D: D.Normal(T.tensor(float("nan")), 1.0),
    "categorical_both": lambda T, D: D.Categorical(probs=T.ones(2), logits=T.ones(2)),
    "categorical_none": lambda T, D: D.Categorical(),
    "categorical_0d": lambda T, D: D.Categorical(probs=T.tensor(1.0)),
    "categorical_negative": lambda T, D: D.Categorical(probs=T.tensor([0.5, -0.1])),
    "bernoulli_probs": lambda T, D: D.Bernoulli(probs=T.tensor([0.5, 1.5])),
    "uniform_order": lambda T, D: D.Uniform(T.tensor([0.0, 2.0]), T.tensor([1.0, 1.0])),
    "exponential_rate": lambda T, D: D.Exponential(T.tensor([-1.0])),
    "poisson_rate": lambda T, D: D.Poisson(T.tensor([-1.0])),
    "mvn_none": lambda T, D: D.MultivariateNormal(T.zeros(2)),
    "mvn_0d": lambda T, D: D.MultivariateNormal(T.tensor(0.0), T.eye(1)),
    "mvn_cov_not_pd": lambda T, D: D.MultivariateNormal(T.zeros(2), T.tensor([[1.0, 2], [2, 1]])),
    "mvn_tril_not_lower": lambda T, D: D.MultivariateNormal(T.zeros(2), scale_tril=T.ones(2, 2)),
    "independent_ndims": lambda T, D: D.Independent(D.Normal(T.zeros(2), 1.0), 2),
    "normal_value_shape": lambda T, D: D.Normal(T.zeros(3), 1.0).log_prob(T.zeros(2)),
    "normal_value_type": lambda T, D: D.Normal(T.zeros(3), 1.0).log_prob([0.0, 0.0, 0.0]),
    "categorical_value_support": lambda T, D: D.Categorical(logits=T.zeros(3)).log_prob(
        T.tensor(3)
    ),
    "bernoulli_value_support": lambda T, D: D.Bernoulli(0.3).log_prob(T.tensor(0.5)),
    "exponential_value_support": lambda T, D: D.Exponential(1.0).cdf(T.tensor(-0.5)),
    "uniform_value_support": lambda T, D: D.Uniform(0.0, 1.0).log_prob(T.tensor([0.5, 1.5])),
    "mvn_event_shape": lambda T, D: D.MultivariateNormal(T.zeros(3), T.eye(3)).log_prob(T.zeros(2)),
    "broadcast_all_type": lambda T, D: D.Normal("a", 1.0),
    "onehot_value": lambda T, D: D.OneHotCategorical(logits=T.zeros(3)).log_prob(
        T.tensor([1.0, 1.0, 0.0])
    ),
    "poisson_value_support": lambda T, D: D.Poisson(2.0).log_prob(T.tensor(1.5)),
}


@pytest.fixture
def torch_validates():
    """torch's default (validate_args on), which importing torch._dynamo (torch.compile, in an
    earlier test) switches off for the whole process."""
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


def test_validate_args_false_and_default_switch():
    # validate_args=False: no check, as torch
    assert gd.Normal(0.0, -1.0, validate_args=False).scale.item() == -1.0
    assert td.Normal(0.0, -1.0, validate_args=False).scale.item() == -1.0
    try:
        gd.Distribution.set_default_validate_args(False)
        torch_default = td.Distribution._validate_args
        td.Distribution.set_default_validate_args(False)
        d = gd.Normal(0.0, -1.0)
        assert d._validate_args is False
        assert math.isnan(d.log_prob(gradiente.tensor(0.0)).item())
        assert math.isnan(td.Normal(0.0, -1.0).log_prob(torch.tensor(0.0)).item())
        with pytest.raises(ValueError):
            gd.Normal(0.0, -1.0, validate_args=True)
    finally:
        gd.Distribution.set_default_validate_args(True)
        td.Distribution.set_default_validate_args(torch_default)
    with pytest.raises(ValueError):
        gd.Distribution.set_default_validate_args(1.5)
    with pytest.raises(ValueError):
        gd.Normal(0.0, -1.0)


def test_reprs_match_torch():
    def fn(T, D):
        return [
            repr(D.Normal(0.0, 1.0)),
            repr(D.Normal(T.zeros(3), 1.0)),
            repr(D.Categorical(probs=T.ones(4))),
            repr(D.Bernoulli(logits=T.zeros(2))),
            repr(D.Independent(D.Normal(T.zeros(2, 3), 1.0), 1)),
            repr(D.MultivariateNormal(T.zeros(2), T.eye(2))),
            repr(D.Uniform(0.0, 2.0).support),
            repr(D.Categorical(logits=T.zeros(4)).support),
            repr(D.Independent(D.Normal(T.zeros(2, 3), 1.0), 1).support),
            repr(D.MultivariateNormal(T.zeros(2), T.eye(2)).arg_constraints),
            repr(D.Poisson(1.0).support),
            repr(D.OneHotCategorical(logits=T.zeros(3)).support),
        ]

    g, t = _both(fn)
    assert g == t


def test_not_implemented_members_match_torch():
    for lib, D in ((gradiente, gd), (torch, td)):
        with pytest.raises(NotImplementedError):
            D.Poisson(lib.tensor([1.0])).entropy()
        with pytest.raises(NotImplementedError):
            D.Categorical(logits=lib.zeros(3)).rsample()
        with pytest.raises(NotImplementedError):
            D.Independent(D.Bernoulli(lib.full((2, 3), 0.5)), 1).enumerate_support()
    assert gd.Normal.has_rsample and not gd.Categorical.has_rsample
    assert gd.Independent(gd.Normal(gradiente.zeros(2), 1.0), 1).has_rsample


def test_straight_through_gradient_matches_torch():
    def fn(T, D):
        (logits,) = _leaves(T, [LOGITS])
        x = D.OneHotCategoricalStraightThrough(logits=logits).rsample((2,))
        (x * T.tensor(np.arange(30.0).reshape(2, 3, 5))).sum().backward()
        return x, logits.grad

    g, t = _both(fn)
    _same(g, t, rtol=1e-9)


# ---------------------------------------------------------------------------------------------
# Scripts under ``gradiente run``: the same output as with torch
# ---------------------------------------------------------------------------------------------

REINFORCE = """
import torch
from torch.distributions import Categorical
from torch.distributions.normal import Normal
from torch.distributions.kl import kl_divergence

torch.set_default_dtype(torch.float64)  # float32 GEMMs may round differently from torch's
torch.manual_seed(0)
policy = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.Tanh(), torch.nn.Linear(16, 3))
opt = torch.optim.Adam(policy.parameters(), lr=0.01)
for episode in range(5):
    states = torch.randn(8, 4)
    dist = Categorical(logits=policy(states))
    actions = dist.sample()
    rewards = (actions == 1).float() - 0.1 * actions.float()
    loss = -(dist.log_prob(actions) * (rewards - rewards.mean())).mean()
    loss = loss - 0.01 * dist.entropy().mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(episode, actions.tolist(), f"{loss.item():.6f}")
p, q = Normal(torch.zeros(2), torch.ones(2)), Normal(torch.ones(2), 2 * torch.ones(2))
print([f"{v:.6f}" for v in kl_divergence(p, q).tolist()])
"""

VAE = """
import torch
import torch.distributions as D

torch.set_default_dtype(torch.float64)
torch.manual_seed(0)
enc = torch.nn.Linear(6, 4)
dec = torch.nn.Linear(2, 6)
x = torch.rand(5, 6)
h = enc(x)
mu, log_var = h[:, :2], h[:, 2:]
q = D.Normal(mu, torch.exp(0.5 * log_var))
z = q.rsample()
recon = D.Bernoulli(logits=dec(z))
prior = D.Normal(torch.zeros_like(mu), torch.ones_like(mu))
elbo = recon.log_prob(x.round()).sum(-1) - D.kl_divergence(q, prior).sum(-1)
(-elbo.mean()).backward()
print([f"{v:.6f}" for v in z.flatten().tolist()])
print([f"{v:.6f}" for v in elbo.tolist()])
print(f"{enc.weight.grad.norm().item():.6f}", f"{dec.bias.grad.norm().item():.6f}")
mvn = D.MultivariateNormal(torch.zeros(2), torch.eye(2) * 2)
print([f"{v:.6f}" for v in mvn.sample((3,)).flatten().tolist()])
print(isinstance(q, D.Distribution), D.Independent(q, 1).event_shape)
"""


@pytest.mark.parametrize("script", [REINFORCE, VAE], ids=["reinforce", "vae"])
def test_scripts_under_gradiente_run_print_torch_output(script, tmp_path):
    import subprocess

    expected = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)], capture_output=True, text=True
    )
    assert expected.returncode == 0, expected.stderr
    result = run_with_torch_alias(script)
    assert result.returncode == 0, result.stderr
    assert result.stdout == expected.stdout
