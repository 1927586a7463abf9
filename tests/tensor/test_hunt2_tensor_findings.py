"""Differences from torch found by running realistic tensor/autograd programs on gradiente
(second hunt), each checked against torch: ``linalg.lstsq``'s residuals, rank and singular
values per driver; the triangular solves and LU family (``linalg.solve_triangular``,
``triangular_solve``, ``cholesky_solve``, ``linalg.lu_factor/lu/lu_solve``, ``lu_unpack``);
``torch.svd``; ``histogram``; ``pdist``; a vector's ``t()`` as a view node; the gamma family
(``lgamma``, ``digamma``, ``polygamma``), ``sinc`` and ``renorm``; and gradgradcheck drawing
its grad_outputs from the global generator as torch does."""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import pytest

import gradiente
from conftest import assert_same, check_op

torch = pytest.importorskip("torch")


def _same(g, t, rtol=1e-6, atol=1e-7):
    """Equal results through tuples: tensors (shape, dtype, values) and plain values."""
    if isinstance(t, (tuple, list)):
        assert len(g) == len(t)
        for a, b in zip(g, t, strict=True):
            _same(a, b, rtol, atol)
    else:
        assert_same(g, t, rtol, atol)


def _pair(array):
    return gradiente.tensor(array), torch.tensor(array)


RNG = np.random.default_rng(0)
TALL = RNG.standard_normal((6, 3))
RHS = RNG.standard_normal((6, 2))


@pytest.mark.parametrize("driver", [None, "gels", "gelsy", "gelsd", "gelss"])
def test_lstsq_returns_what_each_driver_computes(driver):
    (ga, ta), (gb, tb) = _pair(TALL), _pair(RHS)
    g = gradiente.linalg.lstsq(ga, gb, driver=driver)
    t = torch.linalg.lstsq(ta, tb, driver=driver)
    _same(tuple(g), tuple(t), rtol=1e-10, atol=1e-10)
    assert type(g).__name__ == type(t).__name__


def test_lstsq_rank_deficient_and_wide():
    deficient = np.ones((4, 2))
    g = gradiente.linalg.lstsq(
        gradiente.tensor(deficient), gradiente.tensor(RHS[:4]), driver="gelsd"
    )
    t = torch.linalg.lstsq(torch.tensor(deficient), torch.tensor(RHS[:4]), driver="gelsd")
    _same(tuple(g), tuple(t), rtol=1e-10, atol=1e-10)
    (ga, ta), (gb, tb) = _pair(TALL[:2]), _pair(RHS[:2])
    _same(tuple(gradiente.linalg.lstsq(ga, gb)), tuple(torch.linalg.lstsq(ta, tb)), 1e-10, 1e-10)


@pytest.mark.parametrize("upper", [True, False])
@pytest.mark.parametrize("left", [True, False])
@pytest.mark.parametrize("unitriangular", [True, False])
def test_solve_triangular(upper, left, unitriangular):
    a = RNG.standard_normal((3, 3)) + 3 * np.eye(3)
    b = RNG.standard_normal((3, 2)) if left else RNG.standard_normal((2, 3))
    check_op(
        lambda lib, A, B: lib.linalg.solve_triangular(
            A, B, upper=upper, left=left, unitriangular=unitriangular
        ),
        a,
        b,
    )


def test_triangular_solve_cholesky_solve_and_svd():
    a = RNG.standard_normal((3, 3)) + 3 * np.eye(3)
    b = RNG.standard_normal((3, 2))
    for transpose in (False, True):
        check_op(
            lambda lib, A, B, transpose=transpose: lib.triangular_solve(
                B, A, upper=False, transpose=transpose
            ),
            a,
            b,
        )
    spd = a @ a.T + np.eye(3)
    for upper in (False, True):
        factor = np.linalg.cholesky(spd)
        factor = factor.T if upper else factor
        check_op(lambda lib, B, F, upper=upper: lib.cholesky_solve(B, F, upper=upper), b, factor)
    m = RNG.standard_normal((4, 3))
    for some in (True, False):
        g, t = gradiente.svd(gradiente.tensor(m), some=some), torch.svd(torch.tensor(m), some=some)
        assert type(g).__name__ == "svd" and g._fields == ("U", "S", "V")
        _same(g.S, t.S, 1e-10, 1e-12)
        recon = g.U[:, :3] @ g.S.diag() @ g.V.mT
        np.testing.assert_allclose(recon.numpy(), m, atol=1e-12)
        assert tuple(g.U.shape) == tuple(t.U.shape) and tuple(g.V.shape) == tuple(t.V.shape)
    g = gradiente.svd(gradiente.tensor(m), compute_uv=False)
    _same(tuple(g), tuple(torch.svd(torch.tensor(m), compute_uv=False)), 1e-10, 1e-12)


def test_lu_family():
    a = np.array([[1.0, 2, 0], [3, 4, 1], [0, 5, 6]])
    b = np.array([[1.0], [2], [3]])
    (ga, ta), (gb, tb) = _pair(a), _pair(b)
    g_lu, t_lu = gradiente.linalg.lu_factor(ga), torch.linalg.lu_factor(ta)
    _same(tuple(g_lu), tuple(t_lu), 1e-12, 1e-12)
    _same(tuple(gradiente.lu_unpack(*g_lu)), tuple(torch.lu_unpack(*t_lu)), 1e-12, 1e-12)
    _same(tuple(gradiente.linalg.lu(ga)), tuple(torch.linalg.lu(ta)), 1e-12, 1e-12)
    for adjoint in (False, True):
        _same(
            gradiente.linalg.lu_solve(*g_lu, gb, adjoint=adjoint),
            torch.linalg.lu_solve(*t_lu, tb, adjoint=adjoint),
            1e-12,
            1e-12,
        )
    assert repr(g_lu).splitlines()[0] == repr(t_lu).splitlines()[0]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"bins": 5},
        {"bins": 3, "range": (0.0, 4.0)},
        {"bins": 4, "density": True},
        {"bins": 3, "range": (1.0, 1.0)},
    ],
)
def test_histogram(kwargs):
    x = np.array([1.0, 2, 1, 4, 3.5, -0.5], dtype=np.float32)
    (gx, tx) = _pair(x)
    _same(tuple(gradiente.histogram(gx, **kwargs)), tuple(torch.histogram(tx, **kwargs)))
    _same(tuple(gx.histogram(**kwargs)), tuple(tx.histogram(**kwargs)))


def test_histogram_with_edges_and_weights():
    x, w = _pair(np.array([1.0, 2, 1, 4, 9], dtype=np.float32))
    gw, tw = _pair(np.array([1.0, 2, 3, 4, 5], dtype=np.float32))
    g = gradiente.histogram(x, bins=gradiente.tensor([0.0, 1.5, 5.0]), weight=gw)
    t = torch.histogram(w, bins=torch.tensor([0.0, 1.5, 5.0]), weight=tw)
    _same(tuple(g), tuple(t))
    assert repr(g) == repr(t)


def test_pdist():
    points = RNG.standard_normal((5, 3))
    for p in (2.0, 1.0, 3.0):
        check_op(lambda lib, x, p=p: lib.pdist(x, p), points)


def test_t_of_a_vector_is_a_view_node():
    g = gradiente.ones(3, requires_grad=True).t()
    t = torch.ones(3, requires_grad=True).t()
    assert repr(g) == repr(t)
    base = gradiente.ones(3)
    base.t()[0] = 5
    assert base.tolist() == [5.0, 1.0, 1.0]


@pytest.mark.parametrize(
    "name, shift",
    [("lgamma", 0.3), ("digamma", 0.3), ("sinc", 0.0)],
)
def test_gamma_family_and_sinc(name, shift):
    x = np.linspace(-2.7, 6.2, 13) + shift
    check_op(lambda lib, t: getattr(lib, name)(t), x.astype(np.float32), rtol=1e-5, atol=1e-6)
    # torch's float64 trigamma (the derivative of digamma) keeps only four terms of its
    # asymptotic series, good to about 1e-9; gradiente's is closer to the true value
    check_op(lambda lib, t: getattr(t, name)(), x, double=True, rtol=1e-8, atol=1e-10)
    assert gradiente.autograd.gradcheck(
        lambda t: getattr(t, name)(), (gradiente.tensor(x, requires_grad=True),)
    )


@pytest.mark.parametrize("n", [0, 1, 2, 3])
def test_polygamma(n):
    x = np.array([0.25, 0.5, 1.0, 2.5, 7.0, 12.0, 40.0])
    check_op(lambda lib, t: lib.polygamma(n, t), x, rtol=1e-8, atol=1e-12)
    check_op(lambda lib, t: t.polygamma(n), x.astype(np.float32), rtol=1e-5, atol=1e-6)


def test_gamma_family_at_poles():
    x = np.array([0.0, -1.0, -2.0, float("inf"), float("nan")])
    for name in ("lgamma", "digamma"):
        g, t = getattr(gradiente, name)(gradiente.tensor(x)), getattr(torch, name)(torch.tensor(x))
        np.testing.assert_array_equal(g.numpy(), t.numpy())


def test_renorm():
    x = RNG.standard_normal((3, 4))
    for p, dim, maxnorm in ((2, 0, 1.0), (1, 1, 0.5), (3, -1, 10.0)):
        check_op(lambda lib, t, a=(p, dim, maxnorm): lib.renorm(t, *a), x, rtol=1e-10, atol=1e-10)
        check_op(lambda lib, t, a=(p, dim, maxnorm): t.renorm(*a), x, rtol=1e-10, atol=1e-10)


def test_gradgradcheck_draws_from_the_global_generator_as_torch():
    def cube(lib, x):
        return x**3

    results = []
    for lib in (gradiente, torch):
        lib.manual_seed(0)
        x = lib.randn(4, dtype=lib.float64, requires_grad=True)
        assert lib.autograd.gradgradcheck(lambda t, lib=lib: cube(lib, t), (x,))
        results.append(lib.randn(3, dtype=lib.float64))
    assert_same(results[0], results[1])
