"""LKJCholesky, Wishart, CorrCholeskyTransform, CatTransform, StackTransform and the
constraints cat / stack / corr_cholesky / positive_semidefinite, against torch: the same seed
gives the same samples, and log-densities, entropies, moments, log-Jacobians, gradients and
error messages agree."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import gradiente
from gradiente import distributions as gd
from gradiente.distributions import constraints as gc

torch = pytest.importorskip("torch")
td = torch.distributions


def _pair(array, requires_grad=False):
    """The same float64 values as a torch tensor and a gradiente tensor."""
    t = torch.tensor(array, dtype=torch.float64, requires_grad=requires_grad)
    g = gradiente.tensor(array, dtype=gradiente.float64, requires_grad=requires_grad)
    return t, g


def _close(actual, expected, rtol=1e-10, atol=1e-12):
    expected = expected.detach().numpy() if hasattr(expected, "detach") else expected
    actual = actual.detach().numpy()
    assert actual.shape == expected.shape
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol)


def _spd(batch, p, seed=0):
    a = np.random.default_rng(seed).standard_normal(batch + (p, p))
    return a @ np.swapaxes(a, -1, -2) + np.eye(p)


# ---------------------------------------------------------------------------- LKJCholesky


@pytest.mark.parametrize("dim", [2, 4])
@pytest.mark.parametrize("concentration", [0.5, 1.0, [1.5, 3.0]])
def test_lkj_cholesky_samples_and_log_prob(dim, concentration):
    t_conc, g_conc = _pair(concentration, requires_grad=True)
    torch.manual_seed(3)
    t_dist = td.LKJCholesky(dim, t_conc)
    expected = t_dist.sample((5,))
    gradiente.manual_seed(3)
    g_dist = gd.LKJCholesky(dim, g_conc)
    actual = g_dist.sample((5,))
    _close(actual, expected, rtol=1e-12, atol=1e-13)
    assert gc.corr_cholesky.check(actual).all()
    # log_prob at torch's samples, and its gradient in the concentration
    t_lp = t_dist.log_prob(expected)
    g_lp = g_dist.log_prob(gradiente.tensor(expected.numpy()))
    _close(g_lp, t_lp)
    u = np.random.default_rng(0).standard_normal(tuple(t_lp.shape))
    (t_lp * torch.from_numpy(u)).sum().backward()
    (g_lp * gradiente.tensor(u)).sum().backward()
    _close(g_conc.grad, t_conc.grad)


def test_lkj_cholesky_expand_and_errors():
    torch.manual_seed(0)
    expected = td.LKJCholesky(3, torch.tensor(2.0, dtype=torch.float64)).expand((2,)).sample()
    gradiente.manual_seed(0)
    g = gd.LKJCholesky(3, gradiente.tensor(2.0, dtype=gradiente.float64)).expand((2,))
    assert tuple(g.batch_shape) == (2,) and tuple(g.event_shape) == (3, 3)
    _close(g.sample(), expected)
    with pytest.raises(ValueError) as expected_error:
        td.LKJCholesky(1, 1.0)
    with pytest.raises(ValueError) as actual_error:
        gd.LKJCholesky(1, 1.0)
    assert str(actual_error.value) == str(expected_error.value)
    with pytest.raises(ValueError, match="concentration"):
        gd.LKJCholesky(3, gradiente.tensor(-1.0), validate_args=True)


# -------------------------------------------------------------------------------- Wishart


@pytest.mark.parametrize("param", ["covariance_matrix", "precision_matrix", "scale_tril"])
@pytest.mark.parametrize("sample_shape", [(), (3,)])
def test_wishart_matches_torch(param, sample_shape):
    S = _spd((2,), 3)
    value = np.linalg.cholesky(S) if param == "scale_tril" else S
    t_df, g_df = _pair([4.5, 6.0], requires_grad=True)
    t_par, g_par = _pair(value, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's "Singular sample detected."
        torch.manual_seed(1)
        t_dist = td.Wishart(t_df, **{param: t_par})
        expected = t_dist.rsample(sample_shape)
        gradiente.manual_seed(1)
        g_dist = gd.Wishart(g_df, **{param: g_par})
        actual = g_dist.rsample(sample_shape)
    _close(actual, expected)
    # the reparameterised samples' gradients in df (χ² draws) and the matrix parameter (with
    # a sample shape, torch's backward fails: its redraw changes the mask it indexed with)
    if sample_shape == ():
        u = np.random.default_rng(2).standard_normal(tuple(expected.shape))
        t_grads = torch.autograd.grad((expected * torch.from_numpy(u)).sum(), (t_df, t_par))
        g_grads = gradiente.autograd.grad((actual * gradiente.tensor(u)).sum(), (g_df, g_par))
        for a, e in zip(g_grads, t_grads, strict=True):
            _close(a, e, rtol=1e-8, atol=1e-10)
    # densities and moments
    x = expected.detach()
    _close(g_dist.log_prob(gradiente.tensor(x.numpy())), t_dist.log_prob(x))
    _close(g_dist.entropy(), t_dist.entropy())
    for name in ["mean", "variance", "covariance_matrix", "precision_matrix", "scale_tril"]:
        _close(getattr(g_dist, name), getattr(t_dist, name))


def test_wishart_gradients_of_log_prob_and_entropy():
    S = _spd((), 3, seed=4)
    x = _spd((2,), 3, seed=5)
    t_df, g_df = _pair(5.0, requires_grad=True)
    t_cov, g_cov = _pair(S, requires_grad=True)
    t_dist = td.Wishart(t_df, covariance_matrix=t_cov)
    g_dist = gd.Wishart(g_df, covariance_matrix=g_cov)
    t_out = t_dist.log_prob(torch.from_numpy(x)).sum() + t_dist.entropy()
    g_out = g_dist.log_prob(gradiente.tensor(x)).sum() + g_dist.entropy()
    _close(g_out, t_out)
    t_grads = torch.autograd.grad(t_out, (t_df, t_cov))
    g_grads = gradiente.autograd.grad(g_out, (g_df, g_cov))
    for a, e in zip(g_grads, t_grads, strict=True):
        _close(a, e, rtol=1e-9, atol=1e-11)


def test_wishart_mode_scalar_df_and_warnings():
    S = _spd((), 2, seed=6)
    t = td.Wishart(torch.tensor([2.5, 6.0], dtype=torch.float64), scale_tril=torch.eye(2).double())
    g = gd.Wishart(
        gradiente.tensor([2.5, 6.0], dtype=gradiente.float64), scale_tril=gradiente.eye(2)
    )
    np.testing.assert_array_equal(g.mode.numpy(), t.mode.numpy())  # NaN where ν ≤ p + 1
    with pytest.warns(UserWarning, match="Singular sample detected"):
        gd.Wishart(4.0, covariance_matrix=gradiente.tensor(S)).sample()
    with pytest.warns(UserWarning, match="Low df values detected"):
        gd.Wishart(1.5, covariance_matrix=gradiente.tensor(S))
    torch.manual_seed(7)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = td.Wishart(4.0, covariance_matrix=torch.from_numpy(S)).expand((3,)).sample()
        gradiente.manual_seed(7)
        actual = gd.Wishart(4.0, covariance_matrix=gradiente.tensor(S)).expand((3,)).sample()
    _close(actual, expected)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"covariance_matrix": np.eye(2), "scale_tril": np.eye(2)},
        {"covariance_matrix": np.ones(2)},
        {"df": 0.5, "covariance_matrix": np.eye(2)},
    ],
    ids=["two parameters", "1-d", "small df"],
)
def test_wishart_errors(kwargs):
    kwargs = dict(kwargs)
    df = kwargs.pop("df", 3.0)
    with pytest.raises((ValueError, AssertionError)) as expected:
        td.Wishart(df, **{k: torch.from_numpy(v) for k, v in kwargs.items()})
    with pytest.raises(type(expected.value)) as actual:
        gd.Wishart(df, **{k: gradiente.tensor(v) for k, v in kwargs.items()})
    assert str(actual.value) == str(expected.value)


# ----------------------------------------------------------------- CorrCholeskyTransform


@pytest.mark.parametrize("n", [1, 6])
def test_corr_cholesky_transform(n):
    x = np.random.default_rng(8).standard_normal((2, n)) * 1.5
    t_x, g_x = _pair(x, requires_grad=True)
    t_tr, g_tr = td.CorrCholeskyTransform(), gd.CorrCholeskyTransform()
    t_y, g_y = t_tr(t_x), g_tr(g_x)
    _close(g_y, t_y)
    assert gc.corr_cholesky.check(g_y).all()
    _close(g_tr.inv(g_y), t_tr.inv(t_y), rtol=1e-8)
    _close(g_tr.inv(g_y), x, rtol=1e-8)
    t_ld, g_ld = t_tr.log_abs_det_jacobian(t_x, t_y), g_tr.log_abs_det_jacobian(g_x, g_y)
    _close(g_ld, t_ld)
    u = np.random.default_rng(9).standard_normal(tuple(t_y.shape))
    t_grad = torch.autograd.grad((t_y * torch.from_numpy(u)).sum() + t_ld.sum(), t_x)[0]
    g_grad = gradiente.autograd.grad((g_y * gradiente.tensor(u)).sum() + g_ld.sum(), g_x)[0]
    _close(g_grad, t_grad)
    assert g_tr.forward_shape((2, n)) == t_tr.forward_shape((2, n))
    assert g_tr.inverse_shape(tuple(g_y.shape)) == (2, n)
    with pytest.raises(ValueError, match="Input is not a flattened lower-diagonal number"):
        g_tr.forward_shape((2, 4))
    with pytest.raises(ValueError, match="Input is not square"):
        g_tr.inverse_shape((2, 3, 4))


def test_corr_cholesky_transform_gradcheck():
    x = gradiente.tensor(
        np.random.default_rng(10).standard_normal((3,)), dtype=gradiente.float64, requires_grad=True
    )
    transform = gd.CorrCholeskyTransform()

    def f(v):
        y = transform(v)
        return y, transform.log_abs_det_jacobian(v, y)

    assert gradiente.autograd.gradcheck(f, (x,))


# ------------------------------------------------------------- CatTransform, StackTransform


def _cat_transforms(lib):
    tr = lib.distributions.transforms
    return tr.CatTransform([tr.ExpTransform(), tr.AffineTransform(1.0, 3.0)], dim=1, lengths=[2, 3])


def test_cat_transform():
    x = np.random.default_rng(11).standard_normal((4, 5))
    t_x, g_x = _pair(x, requires_grad=True)
    t_tr, g_tr = _cat_transforms(torch), _cat_transforms(gradiente)
    t_y, g_y = t_tr(t_x), g_tr(g_x)
    _close(g_y, t_y)
    _close(g_tr.inv(g_y), t_tr.inv(t_y))
    t_ld, g_ld = t_tr.log_abs_det_jacobian(t_x, t_y), g_tr.log_abs_det_jacobian(g_x, g_y)
    _close(g_ld, t_ld)
    t_grad = torch.autograd.grad(t_y.sum() + t_ld.sum(), t_x)[0]
    g_grad = gradiente.autograd.grad(g_y.sum() + g_ld.sum(), g_x)[0]
    _close(g_grad, t_grad)
    assert g_tr.bijective and g_tr.event_dim == t_tr.event_dim == 0
    y_check = np.array([[1.0, 2.0, -1.0, 0.0, 5.0], [-1.0, 2.0, 1.0, 1.0, 1.0]])
    np.testing.assert_array_equal(
        g_tr.codomain.check(gradiente.tensor(y_check)).numpy(),
        t_tr.codomain.check(torch.tensor(y_check)).numpy(),
    )
    # an event-dim transform in the sequence: log-Jacobians summed into one per event
    x_event = np.random.default_rng(12).standard_normal((2, 5))
    for batch_dim in [True, False]:
        values, event_dims = [], []
        for lib, t_in in [(torch, torch.tensor(x_event)), (gradiente, gradiente.tensor(x_event))]:
            tr = lib.distributions.transforms
            dim = 0 if batch_dim else 1
            lengths = [1, 1] if batch_dim else [3, 2]
            x_in = t_in
            joined = tr.CatTransform(
                [tr.IndependentTransform(tr.ExpTransform(), 1), tr.ExpTransform()], dim, lengths
            )
            values.append(joined.log_abs_det_jacobian(x_in, joined(x_in)).numpy())
            event_dims.append(joined.event_dim)
        assert event_dims[0] == event_dims[1] == 1
        np.testing.assert_allclose(values[1], values[0], rtol=1e-12)
    with pytest.raises(AssertionError) as expected:
        t_tr(torch.zeros(4, 4))
    with pytest.raises(AssertionError) as actual:
        g_tr(gradiente.zeros(4, 4))
    assert str(actual.value) == str(expected.value)


def test_stack_transform():
    x = np.random.default_rng(13).standard_normal((3, 2))
    t_x, g_x = _pair(x, requires_grad=True)
    t_tr = td.transforms.StackTransform(
        [td.transforms.ExpTransform(), td.transforms.SigmoidTransform()], dim=1
    )
    g_tr = gd.StackTransform([gd.transforms.ExpTransform(), gd.transforms.SigmoidTransform()], 1)
    t_y, g_y = t_tr(t_x), g_tr(g_x)
    _close(g_y, t_y)
    _close(g_tr.inv(g_y), t_tr.inv(t_y))
    t_ld, g_ld = t_tr.log_abs_det_jacobian(t_x, t_y), g_tr.log_abs_det_jacobian(g_x, g_y)
    _close(g_ld, t_ld)
    t_grad = torch.autograd.grad(t_ld.sum() + t_y.sum(), t_x)[0]
    g_grad = gradiente.autograd.grad(g_ld.sum() + g_y.sum(), g_x)[0]
    _close(g_grad, t_grad)
    assert g_tr.domain.event_dim == t_tr.domain.event_dim
    y_check = np.array([[1.0, 0.5], [-1.0, 2.0]])
    np.testing.assert_array_equal(
        g_tr.codomain.check(gradiente.tensor(y_check)).numpy(),
        t_tr.codomain.check(torch.tensor(y_check)).numpy(),
    )
    with pytest.raises(AssertionError) as expected:
        t_tr(torch.zeros(3, 3))
    with pytest.raises(AssertionError) as actual:
        g_tr(gradiente.zeros(3, 3))
    assert str(actual.value) == str(expected.value)
    # cached: the inverse of the last output is the input itself
    cached = g_tr.with_cache(1)
    assert cached.inv(cached(g_x)) is g_x


# ---------------------------------------------------------------------------- constraints


def test_new_constraints_match_torch():
    psd = np.array([[[1.0, 1.0], [1.0, 1.0]], [[1.0, 2.0], [2.0, 1.0]], [[2.0, 0.0], [0.0, 1.0]]])
    np.testing.assert_array_equal(
        gc.positive_semidefinite.check(gradiente.tensor(psd)).numpy(),
        td.constraints.positive_semidefinite.check(torch.tensor(psd)).numpy(),
    )
    L = np.array([[[1.0, 0.0], [0.6, 0.8]], [[1.0, 0.0], [0.6, 0.7]], [[1.0, 0.1], [0.6, 0.8]]])
    np.testing.assert_array_equal(
        gc.corr_cholesky.check(gradiente.tensor(L)).numpy(),
        td.constraints.corr_cholesky.check(torch.tensor(L)).numpy(),
    )
    v = np.array([[1.0, -2.0, 0.5], [-1.0, 3.0, 2.0]])
    tc = td.constraints
    pairs = [
        (gc.cat([gc.positive, gc.real], 1, [1, 2]), tc.cat([tc.positive, tc.real], 1, [1, 2])),
        (gc.stack([gc.positive, gc.real], 0), tc.stack([tc.positive, tc.real], 0)),
        (gc.stack([gc.simplex, gc.real_vector], -1), tc.stack([tc.simplex, tc.real_vector], -1)),
    ]
    for g_c, t_c in pairs:
        assert g_c.event_dim == t_c.event_dim
        assert g_c.is_discrete == t_c.is_discrete
        value = v if g_c.event_dim < 2 else np.stack([v, v], -1) / 4
        np.testing.assert_array_equal(
            g_c.check(gradiente.tensor(value)).numpy(), t_c.check(torch.tensor(value)).numpy()
        )
    with pytest.raises(AssertionError, match="dim 3 out of range"):
        gc.cat([gc.real], 3).check(gradiente.zeros(2))
