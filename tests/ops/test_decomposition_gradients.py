"""Gradients of the matrix decompositions (svd, svdvals, torch.svd, qr, pinv, lstsq, the
singular-value norms, cond, eigh/eigvalsh) against torch's, float64 gradcheck and
gradgradcheck, and torch's errors where a decomposition is not differentiable."""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import pytest

import gradiente
from gradiente.autograd import gradcheck, gradgradcheck

torch = pytest.importorskip("torch")

SHAPES = [(4, 3), (3, 4), (3, 3), (2, 5, 3), (2, 3, 5)]
SQUARE = [(3, 3), (2, 4, 4)]


def _rand(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def _grads(module, fn, x, weights, extra=()):
    """d(Σ wᵢ · outᵢ)/d(x, *extra) for ``fn(module, x, *extra)`` (one or several outputs)."""
    xs = [module.tensor(a, requires_grad=True) for a in (x, *extra)]
    outs = fn(module, *xs)
    outs = outs if isinstance(outs, tuple) else (outs,)
    loss = sum((o * module.tensor(w)).sum() for o, w in zip(outs, weights))
    return [g.detach().numpy() for g in module.autograd.grad(loss, xs)]


def _assert_close(got, want, tol=1e-10):
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=tol, atol=tol)


def _check_orders(fn, shape, seed=1):
    x = gradiente.tensor(_rand(shape, seed), requires_grad=True)
    assert gradcheck(fn, (x,))
    assert gradgradcheck(fn, (x,))


# ---------------------------------------------------------------------------------------------
# SVD


def _svd_gradients_match(shape, full_matrices, seed=0):
    """Singular vectors are fixed up to each pair's sign (LAPACKs differ in the choice): the
    torch loss gets the weights of gradiente's U and Vh flipped where its vectors are."""
    x = _rand(shape, seed)
    k = min(shape[-2:])
    tU, tS, tVh = (t.numpy() for t in torch.linalg.svd(torch.tensor(x), full_matrices))
    gU, gS, gVh = (t.numpy() for t in gradiente.linalg.svd(gradiente.tensor(x), full_matrices))
    np.testing.assert_allclose(gS, tS, rtol=1e-12)
    sign = np.sign(np.sum(tU[..., :k] * gU[..., :k], -2))  # (..., k): ±1 per pair
    np.testing.assert_allclose(np.abs(gU[..., :k]), np.abs(tU[..., :k]), atol=1e-12)
    rng = np.random.default_rng(seed + 7)
    w = [rng.standard_normal(a.shape) for a in (gU, gS, gVh)]
    w_torch = [w[0].copy(), w[1], w[2].copy()]
    w_torch[0][..., :k] *= sign[..., None, :]
    w_torch[2][..., :k, :] *= sign[..., :, None]

    def svd(m, a):
        return tuple(m.linalg.svd(a, full_matrices=full_matrices))

    _assert_close(_grads(gradiente, svd, x, w), _grads(torch, svd, x, w_torch))


@pytest.mark.parametrize("full_matrices", [False, True])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_svd_gradient_matches_torch(shape, full_matrices):
    _svd_gradients_match(shape, full_matrices)


@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_svd_gradcheck_and_gradgradcheck(shape):
    k = min(shape[-2:])

    def gauge_free(a):  # functions of U and Vh that do not depend on the vectors' signs
        U, S, Vh = gradiente.linalg.svd(a, full_matrices=True)
        U, Vh = U[..., :k], Vh[..., :k, :]
        return U @ Vh, S, U @ U.mT * 2 + 1, Vh.mT @ (Vh * S.unsqueeze(-1))

    _check_orders(gauge_free, shape)


@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_svdvals_and_singular_value_norms_match_torch(shape):
    x = _rand(shape, 2)
    batch = shape[:-2]
    k = min(shape[-2:])
    w = np.random.default_rng(3).standard_normal(batch + (k,))
    for fn, weights in [
        (lambda m, a: m.linalg.svdvals(a), [w]),
        (lambda m, a: m.linalg.matrix_norm(a, "nuc"), [np.ones(batch)]),
        (lambda m, a: m.linalg.matrix_norm(a, 2), [np.ones(batch)]),
        (lambda m, a: m.linalg.matrix_norm(a, -2, keepdim=True), [np.ones(batch + (1, 1))]),
        (lambda m, a: m.linalg.norm(a, "nuc", dim=(-1, -2)), [np.ones(batch)]),
        (lambda m, a: m.linalg.cond(a), [np.ones(batch)]),
    ]:
        _assert_close(_grads(gradiente, fn, x, weights), _grads(torch, fn, x, weights))
    _check_orders(lambda a: gradiente.linalg.svdvals(a), shape)
    _check_orders(lambda a: gradiente.linalg.matrix_norm(a, "nuc"), shape)


def test_norm_of_a_matrix_takes_the_singular_value_orders():
    x = _rand((4, 3), 4)
    for ord in ("nuc", 2, -2):
        fn = lambda m, a, o=ord: m.linalg.norm(a, o)  # noqa: E731
        _assert_close(_grads(gradiente, fn, x, [1.0]), _grads(torch, fn, x, [1.0]))
    a = gradiente.tensor(x, requires_grad=True)
    assert gradiente.linalg.matrix_norm(a, "nuc").grad_fn.name() == "SumBackward1"
    assert gradiente.linalg.svdvals(a).grad_fn.name() == "LinalgSvdBackward0"


def test_svdvals_at_repeated_singular_values_stays_finite_as_in_torch():
    x = np.eye(3)  # every singular value is 1: only S's gradient is defined
    grads = [
        _grads(m, lambda m, a: m.linalg.svdvals(a), x, [np.ones(3)]) for m in (gradiente, torch)
    ]
    _assert_close(*grads)
    assert np.isfinite(grads[0][0]).all()


@pytest.mark.parametrize("some", [True, False])
@pytest.mark.parametrize("shape", [(4, 3), (3, 4)], ids=str)
def test_torch_svd_gradients(shape, some):
    x = _rand(shape, 5)
    k = min(shape)

    def gauge_free(m, a):
        U, S, V = m.svd(a, some=some)
        return U[..., :k] @ V[..., :k].mT, S

    w = [np.random.default_rng(6).standard_normal(shape), np.arange(1.0, k + 1)]
    _assert_close(_grads(gradiente, gauge_free, x, w), _grads(torch, gauge_free, x, w))


def test_torch_svd_without_uv_differentiates_s_only():
    x = _rand((4, 3), 8)
    for m in (gradiente, torch):
        U, S, V = m.svd(m.tensor(x, requires_grad=True), compute_uv=False)
        assert not U.requires_grad and not V.requires_grad
        assert S.grad_fn.name() == "LinalgSvdBackward0"
    fn = lambda m, a: m.svd(a, compute_uv=False)[1]  # noqa: E731
    _assert_close(_grads(gradiente, fn, x, [np.ones(3)]), _grads(torch, fn, x, [np.ones(3)]))


# ---------------------------------------------------------------------------------------------
# QR


@pytest.mark.parametrize("mode", ["reduced", "complete"])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_qr_gradient_matches_torch(shape, mode):
    if mode == "complete" and shape[-2] > shape[-1]:
        pytest.skip("not differentiable (tested below)")
    x = _rand(shape, 9)
    Q, R = torch.linalg.qr(torch.tensor(x), mode)
    rng = np.random.default_rng(10)
    w = [rng.standard_normal(Q.shape), rng.standard_normal(R.shape)]

    def qr(m, a):
        return tuple(m.linalg.qr(a, mode))

    _assert_close(_grads(gradiente, qr, x, w), _grads(torch, qr, x, w))
    # each factor alone (the other's gradient is absent, not zero)
    for i in (0, 1):
        fn = lambda m, a, i=i: m.linalg.qr(a, mode)[i]  # noqa: E731
        _assert_close(_grads(gradiente, fn, x, [w[i]]), _grads(torch, fn, x, [w[i]]))
    _check_orders(lambda a: tuple(gradiente.linalg.qr(a, mode)), shape)


def test_qr_refuses_gradients_as_torch_does():
    x = _rand((4, 3), 11)
    for mode, factor in [("r", 1), ("complete", 0), ("complete", 1)]:
        messages = []
        for m in (gradiente, torch):
            a = m.tensor(x, requires_grad=True)
            out = m.linalg.qr(a, mode)[factor]
            with pytest.raises(RuntimeError) as error:
                out.sum().backward()
            messages.append(str(error.value))
        assert messages[0] == messages[1]


def test_deprecated_torch_qr_is_differentiable():
    x = _rand((4, 3), 12)
    fn = lambda m, a: m.qr(a)[1]  # noqa: E731
    with pytest.warns(UserWarning):
        got = _grads(gradiente, fn, x, [np.ones((3, 3))])
    _assert_close(got, _grads(torch, fn, x, [np.ones((3, 3))]))


# ---------------------------------------------------------------------------------------------
# Pseudo-inverse and least squares


PINV_OPTIONS = [{}, {"atol": 0.9}, {"rtol": 0.5}, {"atol": 0.0, "rtol": 0.3}]


@pytest.mark.parametrize("options", PINV_OPTIONS, ids=str)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_pinv_values_and_gradient_match_torch(shape, options):
    x = _rand(shape, 13)
    want = torch.linalg.pinv(torch.tensor(x), **options).numpy()
    np.testing.assert_allclose(
        gradiente.linalg.pinv(gradiente.tensor(x), **options), want, atol=1e-12
    )
    w = [np.random.default_rng(14).standard_normal(want.shape)]
    fn = lambda m, a: m.linalg.pinv(a, **options)  # noqa: E731
    _assert_close(_grads(gradiente, fn, x, w), _grads(torch, fn, x, w))


@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_pinv_gradcheck_and_gradgradcheck(shape):
    _check_orders(lambda a: gradiente.linalg.pinv(a), shape)


@pytest.mark.parametrize("shape", SQUARE, ids=str)
def test_hermitian_pinv_matches_torch(shape):
    x = _rand(shape, 15)
    fn = lambda m, a: m.linalg.pinv(a + a.mT, hermitian=True)  # noqa: E731
    want = fn(torch, torch.tensor(x)).numpy()
    np.testing.assert_allclose(fn(gradiente, gradiente.tensor(x)).numpy(), want, atol=1e-10)
    w = [np.random.default_rng(16).standard_normal(want.shape)]
    _assert_close(_grads(gradiente, fn, x, w), _grads(torch, fn, x, w), tol=1e-9)
    _check_orders(lambda a: fn(gradiente, a), shape)


def test_pinverse_is_differentiable():
    x = _rand((4, 3), 17)
    fn = lambda m, a: m.pinverse(a)  # noqa: E731
    w = [np.random.default_rng(18).standard_normal((3, 4))]
    _assert_close(_grads(gradiente, fn, x, w), _grads(torch, fn, x, w))
    assert fn(gradiente, gradiente.tensor(x, requires_grad=True)).grad_fn.name() == (
        "LinalgPinvBackward0"
    )


@pytest.mark.parametrize("driver", ["gelsy", "gelsd", "gels"])
@pytest.mark.parametrize("shape", [(5, 3), (3, 3)], ids=str)
def test_lstsq_gradients_match_torch(shape, driver):
    x, b = _rand(shape, 19), _rand((shape[0], 2), 20)
    torch_out = torch.linalg.lstsq(torch.tensor(x), torch.tensor(b), driver=driver)
    rng = np.random.default_rng(21)
    w = [
        rng.standard_normal(torch_out.solution.shape),
        rng.standard_normal(torch_out.residuals.shape),
    ]

    def lstsq(m, a, rhs):
        out = m.linalg.lstsq(a, rhs, driver=driver)
        return out.solution, out.residuals

    _assert_close(_grads(gradiente, lstsq, x, w, (b,)), _grads(torch, lstsq, x, w, (b,)), tol=1e-9)
    B = gradiente.tensor(b)
    _check_orders(lambda a: gradiente.linalg.lstsq(a, B, driver=driver).solution, shape)


def test_matrix_rank_has_no_gradient():
    x = _rand((4, 3), 22)
    for m in (gradiente, torch):
        rank = m.linalg.matrix_rank(m.tensor(x, requires_grad=True))
        assert not rank.requires_grad and int(rank) == 3


# ---------------------------------------------------------------------------------------------
# eigh / eigvalsh


@pytest.mark.parametrize("shape", SQUARE, ids=str)
def test_eigh_gradients_match_torch(shape):
    x = _rand(shape, 23)
    n = shape[-1]

    def eigh(m, a):
        w, v = m.linalg.eigh(a)
        return w, v[..., :1] @ v[..., :1].mT  # the first eigenvector up to its sign

    rng = np.random.default_rng(24)
    weights = [rng.standard_normal(shape[:-1]), rng.standard_normal(shape[:-2] + (n, n))]
    _assert_close(_grads(gradiente, eigh, x, weights), _grads(torch, eigh, x, weights), 1e-9)
    fn = lambda m, a: m.linalg.eigvalsh(a)  # noqa: E731
    _assert_close(_grads(gradiente, fn, x, weights[:1]), _grads(torch, fn, x, weights[:1]))
    _check_orders(lambda a: eigh(gradiente, a + a.mT), shape)
    _check_orders(lambda a: gradiente.linalg.eigvalsh(a + a.mT), shape)
