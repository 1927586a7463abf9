"""torch.linalg's tensorsolve, tensorinv, householder_product, vander and torch's
cholesky_inverse / orgqr in gradiente, against torch: values, gradients (float64 gradcheck,
second derivatives), dtypes and error messages."""

from __future__ import annotations

import numpy as np
import pytest

import gradiente
from conftest import check_op

torch = pytest.importorskip("torch")


def _rng(seed=0):
    return np.random.default_rng(seed)


# --------------------------------------------------------------------------- tensorsolve


def test_tensorsolve_matches_torch():
    A = _rng(0).standard_normal((2, 3, 6)) + 3 * np.eye(6).reshape(2, 3, 6)
    B = _rng(1).standard_normal((2, 3))
    check_op(lambda lib, a, b: lib.linalg.tensorsolve(a, b), A, B, double=True)


def test_tensorsolve_dims_matches_torch():
    # A's dim 0 moves to the end: A.movedim(0, -1) is (2, 3, 6), made well conditioned
    A = _rng(2).standard_normal((6, 2, 3)) + 3 * np.moveaxis(np.eye(6).reshape(2, 3, 6), -1, 0)
    B = _rng(3).standard_normal((2, 3))
    check_op(lambda lib, a, b: lib.linalg.tensorsolve(a, b, dims=(0,)), A, B)


def test_tensorsolve_errors():
    A, B = gradiente.randn(2, 3, 5), gradiente.randn(2, 3)
    with pytest.raises(RuntimeError) as expected:
        torch.linalg.tensorsolve(torch.randn(2, 3, 5), torch.randn(2, 3))
    with pytest.raises(RuntimeError) as actual:
        gradiente.linalg.tensorsolve(A, B)
    assert str(actual.value) == str(expected.value)


# ---------------------------------------------------------------------------- tensorinv


@pytest.mark.parametrize("shape,ind", [((4, 6, 8, 3), 2), ((2, 3, 2, 3), 2), ((6, 2, 3), 1)])
def test_tensorinv_matches_torch(shape, ind):
    n = int(np.prod(shape[:ind]))
    A = _rng(4).standard_normal(shape) + 4 * np.eye(n).reshape(shape)
    check_op(lambda lib, a: lib.linalg.tensorinv(a, ind=ind), A)


@pytest.mark.parametrize("shape,ind", [((4, 6, 8, 4), 2), ((4, 6, 8, 3), 0)])
def test_tensorinv_errors(shape, ind):
    with pytest.raises(RuntimeError) as expected:
        torch.linalg.tensorinv(torch.randn(shape), ind=ind)
    with pytest.raises(RuntimeError) as actual:
        gradiente.linalg.tensorinv(gradiente.randn(shape), ind=ind)
    assert str(actual.value) == str(expected.value)


# ------------------------------------------------------------------ householder_product


@pytest.mark.parametrize(
    "shape,k", [((5, 3), 2), ((4, 4), 4), ((2, 6, 3), 3), ((3, 2), 0), ((4, 3), 1)]
)
def test_householder_product_matches_torch(shape, k):
    A = _rng(5).standard_normal(shape)
    tau = _rng(6).uniform(0.2, 1.8, shape[:-2] + (k,))
    check_op(lambda lib, a, t: lib.linalg.householder_product(a, t), A, tau, double=True)


def test_householder_product_inverts_geqrf():
    """Q from geqrf's reflectors: the Q of the QR factorisation (orthonormal columns)."""
    A = torch.from_numpy(_rng(7).standard_normal((6, 4)))
    reflectors, tau = torch.geqrf(A)
    Q = gradiente.linalg.householder_product(
        gradiente.from_numpy(reflectors.numpy()), gradiente.from_numpy(tau.numpy())
    )
    np.testing.assert_allclose(Q.numpy(), torch.linalg.qr(A).Q.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(
        gradiente.orgqr(
            gradiente.from_numpy(reflectors.numpy()), gradiente.from_numpy(tau.numpy())
        ).numpy(),
        Q.numpy(),
    )
    assert Q.dtype == gradiente.float64


@pytest.mark.parametrize(
    "a_shape,tau_shape,tau_double",
    [
        ((3,), (1,), False),
        ((3, 4), (2,), False),
        ((4, 3), (4,), False),
        ((2, 4, 3), (3, 2), False),
        ((4, 3), (2,), True),
    ],
)
def test_householder_product_errors(a_shape, tau_shape, tau_double):
    def inputs(lib):
        tau = lib.randn(tau_shape)
        return lib.randn(a_shape), tau.double() if tau_double else tau

    with pytest.raises(RuntimeError) as expected:
        torch.linalg.householder_product(*inputs(torch))
    with pytest.raises(RuntimeError) as actual:
        gradiente.linalg.householder_product(*inputs(gradiente))
    assert str(actual.value) == str(expected.value)


# ---------------------------------------------------------------------- cholesky_inverse


@pytest.mark.parametrize("upper", [False, True])
@pytest.mark.parametrize("shape", [(4, 4), (2, 3, 3)])
def test_cholesky_inverse_matches_torch(shape, upper):
    F = _rng(8).standard_normal(shape) * 0.3 + 2 * np.eye(shape[-1])

    def triangle(f):
        return f.triu() if upper else f.tril()

    # on a triangular factor: values, gradients, gradcheck, second derivatives
    check_op(lambda lib, f: lib.cholesky_inverse(triangle(f), upper), F, double=True)
    # entries in the unread triangle: the forward pass ignores them, the gradient (torch's
    # formula, for the whole input) does not
    check_op(lambda lib, f: lib.cholesky_inverse(f, upper), F, gradcheck=False)


def test_cholesky_inverse_is_the_inverse():
    A = _rng(9).standard_normal((5, 5))
    A = A @ A.T + 5 * np.eye(5)
    L = gradiente.linalg.cholesky(gradiente.from_numpy(A))
    np.testing.assert_allclose(gradiente.cholesky_inverse(L).numpy(), np.linalg.inv(A), rtol=1e-10)
    U = L.mT
    np.testing.assert_allclose(
        gradiente.cholesky_inverse(U, upper=True).numpy(), np.linalg.inv(A), rtol=1e-10
    )


@pytest.mark.parametrize("shape", [(3,), (3, 4)])
def test_cholesky_inverse_errors(shape):
    with pytest.raises(RuntimeError) as expected:
        torch.cholesky_inverse(torch.randn(shape))
    with pytest.raises(RuntimeError) as actual:
        gradiente.cholesky_inverse(gradiente.randn(shape))
    assert str(actual.value) == str(expected.value)


# -------------------------------------------------------------------------------- vander


@pytest.mark.parametrize("N", [None, 2, 5])
def test_linalg_vander_matches_torch(N):
    x = _rng(10).standard_normal((2, 4))
    check_op(lambda lib, v: lib.linalg.vander(v, N=N), x, double=True)


def test_linalg_vander_integers_and_errors():
    expected = torch.linalg.vander(torch.arange(1, 4), N=5)
    actual = gradiente.linalg.vander(gradiente.arange(1, 4), N=5)
    assert actual.dtype == gradiente.int64
    np.testing.assert_array_equal(actual.numpy(), expected.numpy())
    # a 0-d input is one point: N defaults to 1, refused as in torch
    with pytest.raises(RuntimeError, match="N must be greater than 1."):
        gradiente.linalg.vander(gradiente.tensor(3.0))
    for lib_args in [((torch.arange(3),), {"N": 1}), ((torch.tensor([True, False]),), {})]:
        (x,), kwargs = lib_args
        with pytest.raises(RuntimeError) as expected_error:
            torch.linalg.vander(x, **kwargs)
        with pytest.raises(RuntimeError) as actual_error:
            gradiente.linalg.vander(gradiente.from_numpy(x.numpy()), **kwargs)
        assert str(actual_error.value) == str(expected_error.value)


# ------------------------------------------------------------------------------------ LDL


def _symmetric(shape, seed, small_diagonal=False):
    a = _rng(seed).standard_normal(shape)
    a = a + np.swapaxes(a, -1, -2)
    if small_diagonal:  # forces 2×2 pivots and interchanges
        a = a - (1 - 0.01) * np.eye(shape[-1]) * a
    return a


@pytest.mark.parametrize("small_diagonal", [False, True])
@pytest.mark.parametrize("shape", [(1, 1), (5, 5), (3, 6, 6)])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_ldl_factor_and_solve_match_torch(shape, small_diagonal, dtype):
    A = _symmetric(shape, seed=shape[-1], small_diagonal=small_diagonal).astype(dtype)
    B = _rng(1).standard_normal(shape[:-1] + (2,)).astype(dtype)
    expected = torch.linalg.ldl_factor_ex(torch.from_numpy(A))
    actual = gradiente.linalg.ldl_factor_ex(gradiente.from_numpy(A))
    assert actual._fields == ("LD", "pivots", "info")
    assert actual.pivots.dtype == gradiente.int32 and actual.LD.dtype == getattr(gradiente, dtype)
    np.testing.assert_array_equal(actual.pivots.numpy(), expected.pivots.numpy())
    np.testing.assert_array_equal(actual.info.numpy(), expected.info.numpy())
    rtol = 1e-10 if dtype == "float64" else 1e-4
    scale = np.abs(expected.LD.numpy()).max()
    np.testing.assert_allclose(actual.LD.numpy(), expected.LD.numpy(), rtol=rtol, atol=rtol * scale)
    LD, pivots = gradiente.linalg.ldl_factor(gradiente.from_numpy(A))
    X = gradiente.linalg.ldl_solve(LD, pivots, gradiente.from_numpy(B))
    X_torch = torch.linalg.ldl_solve(expected.LD, expected.pivots, torch.from_numpy(B))
    scale = np.abs(X_torch.numpy()).max()
    np.testing.assert_allclose(X.numpy(), X_torch.numpy(), rtol=rtol * 10, atol=rtol * 10 * scale)


def test_ldl_errors():
    with pytest.raises(RuntimeError, match=r"ldl_factor: Unknown error code: 1\."):
        gradiente.linalg.ldl_factor(gradiente.zeros(2, 2))
    info = gradiente.linalg.ldl_factor_ex(gradiente.zeros(2, 2)).info
    assert info.item() == torch.linalg.ldl_factor_ex(torch.zeros(2, 2)).info.item() == 1
    LD = torch.linalg.ldl_factor(torch.eye(4, dtype=torch.float64))
    g_LD = gradiente.linalg.ldl_factor(gradiente.eye(4, dtype=gradiente.float64))
    cases = [
        (lambda lib: lib.linalg.ldl_factor(lib.randn(2, 3)), RuntimeError),
        (lambda lib: lib.linalg.ldl_factor(lib.randn(3)), RuntimeError),
        (lambda lib: lib.linalg.ldl_factor(lib.ones(2, 2, dtype=lib.int32)), RuntimeError),
    ]
    for op, error in cases:
        with pytest.raises(error) as expected:
            op(torch)
        with pytest.raises(error) as actual:
            op(gradiente)
        assert str(actual.value) == str(expected.value)
    solves = [
        lambda lib, ld, piv: lib.linalg.ldl_solve(ld, piv, lib.randn(3, 2, dtype=lib.float64)),
        lambda lib, ld, piv: lib.linalg.ldl_solve(ld, piv, lib.randn(4, 2)),
        lambda lib, ld, piv: lib.linalg.ldl_solve(ld, piv, lib.randn(4, dtype=lib.float64)),
    ]
    for op in solves:
        with pytest.raises((RuntimeError, IndexError)) as expected:
            op(torch, *LD)
        with pytest.raises(type(expected.value)) as actual:
            op(gradiente, *g_LD)
        assert str(actual.value) == str(expected.value)
