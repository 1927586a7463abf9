"""torch APIs of scientific programs, against torch: the randomized low-rank SVD and PCA
(``svd_lowrank``, ``pca_lowrank``), ``torch.fft``'s real-valued helpers and the Bessel family
of ``torch.special``."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import pytest

import gradiente
from gradiente.autograd import gradcheck

torch = pytest.importorskip("torch")


def _pair(array, requires_grad=False):
    return (
        gradiente.tensor(array, requires_grad=requires_grad),
        torch.tensor(array, requires_grad=requires_grad),
    )


# ---------------------------------------------------------------------------------------------
# svd_lowrank / pca_lowrank


def _low_rank(shape, rank, seed=0):
    """A (*, m, n) float64 matrix of the given rank plus a little noise."""
    rng = np.random.default_rng(seed)
    *batch, m, n = shape
    a = rng.standard_normal((*batch, m, rank)) @ rng.standard_normal((*batch, rank, n))
    return a + 1e-3 * rng.standard_normal(shape)


def _same_up_to_column_signs(ours, theirs):
    """U and V of an SVD are defined up to one sign per singular triplet (LAPACK may pick
    either): compare |U|, |V| and check the signs of U's and V's columns flip together."""
    (U, S, V), (u, s, v) = ([t.detach().numpy() for t in r] for r in (ours, theirs))
    np.testing.assert_allclose(S, s, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(np.abs(U), np.abs(u), atol=1e-8)
    np.testing.assert_allclose(np.abs(V), np.abs(v), atol=1e-8)
    sign_u = np.sign(np.sum(U * u, axis=-2))
    sign_v = np.sign(np.sum(V * v, axis=-2))
    np.testing.assert_array_equal(sign_u, sign_v)
    recon = U @ (S[..., None] * np.swapaxes(V, -1, -2))
    np.testing.assert_allclose(recon, u @ (s[..., None] * np.swapaxes(v, -1, -2)), atol=1e-9)


@pytest.mark.parametrize(
    "shape,q,niter",
    [((30, 12), 4, 2), ((12, 30), 5, 1), ((3, 25, 10), 6, 2), ((20, 20), 3, 0), ((16, 9), 9, 3)],
)
def test_svd_lowrank_matches_torch_with_the_same_seed(shape, q, niter):
    a = _low_rank(shape, rank=3)
    A, tA = _pair(a)
    gradiente.manual_seed(7)
    torch.manual_seed(7)
    ours = gradiente.svd_lowrank(A, q=q, niter=niter)
    theirs = torch.svd_lowrank(tA, q=q, niter=niter)
    for g, t in zip(ours, theirs, strict=True):
        assert tuple(g.shape) == tuple(t.shape) and str(g.dtype) == str(t.dtype)
    _same_up_to_column_signs(ours, theirs)
    # the random stream advanced exactly as torch's: the next draws agree
    np.testing.assert_array_equal(gradiente.randn(3).numpy(), torch.randn(3).numpy())


def test_svd_lowrank_with_a_mean_matrix_and_defaults():
    a = _low_rank((15, 11), rank=2, seed=1)
    m = np.random.default_rng(2).standard_normal((1, 11))
    (A, tA), (M, tM) = _pair(a), _pair(m)
    gradiente.manual_seed(3)
    torch.manual_seed(3)
    ours = gradiente.svd_lowrank(A, M=M)
    theirs = torch.svd_lowrank(tA, M=tM)
    assert tuple(ours[0].shape) == (15, 6)
    _same_up_to_column_signs(ours, theirs)


@pytest.mark.parametrize("center", [True, False])
@pytest.mark.parametrize("shape,q", [((40, 7), None), ((2, 8, 30), 4), ((5, 5), 5)])
def test_pca_lowrank_matches_torch(shape, q, center):
    a = _low_rank(shape, rank=2, seed=4) + 3.0
    A, tA = _pair(a)
    gradiente.manual_seed(11)
    torch.manual_seed(11)
    ours = gradiente.pca_lowrank(A, q=q, center=center)
    theirs = torch.pca_lowrank(tA, q=q, center=center)
    for g, t in zip(ours, theirs, strict=True):
        assert tuple(g.shape) == tuple(t.shape)
    _same_up_to_column_signs(ours, theirs)


def test_lowrank_float32_and_integer_dtype():
    a = _low_rank((20, 8), rank=3).astype(np.float32)
    A, tA = _pair(a)
    gradiente.manual_seed(0)
    torch.manual_seed(0)
    (U, S, _), (_, s, _) = gradiente.svd_lowrank(A, q=3), torch.svd_lowrank(tA, q=3)
    assert U.dtype == gradiente.float32 and S.dtype == gradiente.float32
    np.testing.assert_allclose(S.numpy(), s.numpy(), rtol=1e-5)


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"q": 9}, "q(=9) must be non-negative integer and not greater than min(m, n)=8"),
        ({"q": -1}, "q(=-1) must be non-negative integer and not greater than min(m, n)=8"),
        ({"niter": -2}, "niter(=-2) must be non-negative integer"),
    ],
)
def test_pca_lowrank_errors_match_torch(kwargs, message):
    A, tA = _pair(np.ones((10, 8)))
    with pytest.raises(ValueError) as theirs:
        torch.pca_lowrank(tA, **kwargs)
    with pytest.raises(ValueError) as ours:
        gradiente.pca_lowrank(A, **kwargs)
    assert str(ours.value) == str(theirs.value) == message


def _sign_free_loss(lib, fn, A, W):
    """A function of the low-rank SVD that does not depend on the triplets' signs."""
    lib.manual_seed(5)
    U, S, V = fn(A, q=3, niter=2)
    return (S * S).sum() + ((U * S.unsqueeze(-2)) @ V.mT * W).sum()


@pytest.mark.parametrize("name", ["svd_lowrank", "pca_lowrank"])
def test_lowrank_gradients_match_torch_and_gradcheck(name):
    a = _low_rank((9, 6), rank=3, seed=8)
    w = np.random.default_rng(9).standard_normal((9, 6))
    (A, tA), (W, tW) = _pair(a, requires_grad=True), _pair(w)
    _sign_free_loss(gradiente, getattr(gradiente, name), A, W).backward()
    _sign_free_loss(torch, getattr(torch, name), tA, tW).backward()
    np.testing.assert_allclose(A.grad.numpy(), tA.grad.numpy(), rtol=1e-7, atol=1e-8)
    assert gradcheck(
        lambda x: _sign_free_loss(gradiente, getattr(gradiente, name), x, W), (A,), atol=1e-5
    )


# ---------------------------------------------------------------------------------------------
# torch.fft


@pytest.mark.parametrize("name", ["fftfreq", "rfftfreq"])
@pytest.mark.parametrize("n", [0, 1, 2, 5, 6, 7, 100])
@pytest.mark.parametrize("d", [1.0, 0.1, 2.5, -0.3, 0.0])
@pytest.mark.parametrize("dtype", [None, "float64", "float16", "bfloat16"])
def test_frequencies_match_torch_bit_for_bit(name, n, d, dtype):
    ours = getattr(gradiente.fft, name)(n, d, dtype=dtype and getattr(gradiente, dtype))
    theirs = getattr(torch.fft, name)(n, d, dtype=dtype and getattr(torch, dtype))
    assert str(ours.dtype) == str(theirs.dtype)
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_array_equal(ours.float().numpy(), theirs.float().numpy())


def test_frequencies_default_arguments_and_requires_grad():
    f = gradiente.fft.fftfreq(4, requires_grad=True)
    assert f.requires_grad and f.is_leaf and f.dtype == gradiente.float32
    assert not gradiente.fft.rfftfreq(4).requires_grad
    np.testing.assert_array_equal(
        gradiente.fft.fftfreq(8, d=0.5).numpy(), torch.fft.fftfreq(8, d=0.5).numpy()
    )


@pytest.mark.parametrize(
    "call,error",
    [
        (lambda lib: lib.fft.fftfreq(5, dtype=lib.int64), RuntimeError),
        (lambda lib: lib.fft.rfftfreq(5, dtype=lib.int32), RuntimeError),
        (lambda lib: lib.fft.fftfreq(-1), RuntimeError),
        (lambda lib: lib.fft.fftfreq(3.0), TypeError),
        (lambda lib: lib.fft.fftshift(lib.ones(3), dim=3), IndexError),
        (lambda lib: lib.fft.fftshift(lib.tensor(3.0)), RuntimeError),
    ],
)
def test_fft_helper_errors_match_torch(call, error):
    with pytest.raises(error) as theirs:
        call(torch)
    with pytest.raises(error) as ours:
        call(gradiente)
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("name", ["fftshift", "ifftshift"])
@pytest.mark.parametrize(
    "shape,dim", [((7,), None), ((4, 5), None), ((3, 4, 5), 1), ((3, 4, 5), (0, -1)), ((6,), 0)]
)
def test_shifts_match_torch_with_gradients(name, shape, dim):
    a = np.random.default_rng(0).standard_normal(shape)
    g = np.random.default_rng(1).standard_normal(shape)
    x, tx = _pair(a, requires_grad=True)
    y, ty = getattr(gradiente.fft, name)(x, dim=dim), getattr(torch.fft, name)(tx, dim=dim)
    np.testing.assert_array_equal(y.detach().numpy(), ty.detach().numpy())
    y.backward(gradiente.tensor(g))
    ty.backward(torch.tensor(g))
    np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())
    assert gradcheck(lambda t: getattr(gradiente.fft, name)(t, dim=dim), (x,))


def test_ifftshift_undoes_fftshift_on_integers():
    x = gradiente.arange(30).reshape(5, 6)
    shifted = gradiente.fft.fftshift(x)
    assert shifted.dtype == gradiente.int64
    np.testing.assert_array_equal(
        shifted.numpy(), torch.fft.fftshift(torch.arange(30).reshape(5, 6))
    )
    np.testing.assert_array_equal(gradiente.fft.ifftshift(shifted).numpy(), x.numpy())


@pytest.mark.parametrize(
    "name",
    sorted(set(torch.fft.__all__) - {"fftfreq", "rfftfreq", "fftshift", "ifftshift", "Tensor"})
    + ["hfft2", "ihfft2", "hfftn", "ihfftn"],
)
def test_complex_transforms_raise_one_clear_error(name):
    with pytest.raises(NotImplementedError, match=rf"torch\.fft\.{name} .*no complex dtype"):
        getattr(gradiente.fft, name)(gradiente.ones(8))


# ---------------------------------------------------------------------------------------------
# torch.special: the Bessel family

BESSEL = [
    "bessel_j0",
    "bessel_j1",
    "bessel_y0",
    "bessel_y1",
    "modified_bessel_i0",
    "modified_bessel_i1",
    "modified_bessel_k0",
    "modified_bessel_k1",
    "scaled_modified_bessel_k0",
    "scaled_modified_bessel_k1",
    "spherical_bessel_j0",
    "airy_ai",
]

_EDGES = [0.0, -0.0, 1e-300, 1e-8, -1e-8, 1e-5, -1e-5, 0.5, -0.5, 2.0, -2.0, 2.09, -2.09]
_EDGES += [5.0, -5.0, 8.0, -8.0, 8.3203353, 30.0, 88.0, 89.0, 103.89, 104.0, 700.0, 710.0]
_EDGES += [800.0, 1e5, 1e10, -1e3, np.inf, -np.inf, np.nan]


def _bessel_grid():
    rng = np.random.default_rng(0)
    return np.concatenate(
        [
            _EDGES,
            np.linspace(-12, 12, 1201),
            rng.uniform(-200, 200, 500),
            np.geomspace(1e-6, 1e6, 200),
            -np.geomspace(1e-6, 1e3, 100),
        ]
    )


@pytest.mark.parametrize("dtype,rtol", [("float64", 1e-12), ("float32", 1e-6)])
@pytest.mark.parametrize("name", BESSEL)
def test_bessel_family_matches_torch(name, dtype, rtol):
    x = _bessel_grid().astype(dtype)
    ours = getattr(gradiente.special, name)(gradiente.tensor(x))
    theirs = getattr(torch.special, name)(torch.tensor(x))
    assert str(ours.dtype) == str(theirs.dtype) and tuple(ours.shape) == tuple(theirs.shape)
    a, b = ours.numpy(), theirs.numpy()
    # the same NaNs and infinities (0, negatives, overflow, ±inf and NaN inputs) ...
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
    np.testing.assert_array_equal(a[np.isinf(b)], b[np.isinf(b)])
    # ... and the finite values, relative to max(|value|, 1) for the oscillating functions
    # (whose zeros a relative error cannot measure) and to |value| for the monotone ones
    finite = np.isfinite(b)
    oscillating = name.startswith(("bessel", "spherical", "airy"))
    atol = rtol if oscillating else np.finfo(dtype).tiny
    np.testing.assert_allclose(a[finite], b[finite], rtol=rtol, atol=atol)


@pytest.mark.parametrize("name", BESSEL)
def test_bessel_family_shapes_integers_and_no_gradient(name):
    ours = getattr(gradiente.special, name)(gradiente.tensor([[1, 2, 3], [4, 5, 6]]))
    theirs = getattr(torch.special, name)(torch.tensor([[1, 2, 3], [4, 5, 6]]))
    assert ours.dtype == gradiente.float32 and str(theirs.dtype) == "torch.float32"
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6, atol=1e-6)
    x, tx = _pair(np.array([0.5, 1.5, 3.0]), requires_grad=True)
    y, ty = getattr(gradiente.special, name)(x), getattr(torch.special, name)(tx)
    assert y.requires_grad is ty.requires_grad is False
    assert y.grad_fn is None and ty.grad_fn is None
    assert getattr(gradiente.special, name)(gradiente.tensor(2.0)).shape == ()


@pytest.mark.parametrize("name", ["bessel_j0", "modified_bessel_k1", "airy_ai"])
@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_bessel_family_half_precision_errors_match_torch(name, dtype):
    with pytest.raises(NotImplementedError) as theirs:
        getattr(torch.special, name)(torch.ones(2, dtype=getattr(torch, dtype)))
    with pytest.raises(NotImplementedError) as ours:
        getattr(gradiente.special, name)(gradiente.ones(2, dtype=getattr(gradiente, dtype)))
    assert str(ours.value) == str(theirs.value)


# ---------------------------------------------------------------------------------------------
# torch.quasirandom.SobolEngine


def _engines(dimension, scramble=False, seed=None):
    return (
        gradiente.quasirandom.SobolEngine(dimension, scramble=scramble, seed=seed),
        torch.quasirandom.SobolEngine(dimension, scramble=scramble, seed=seed),
    )


def _same_state(ours, theirs):
    assert ours.num_generated == theirs.num_generated
    np.testing.assert_array_equal(ours.quasi.numpy(), theirs.quasi.numpy())


def _same_points(ours, theirs):
    assert str(ours.dtype) == str(theirs.dtype) and tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("dimension", [1, 2, 7, 40, 1111])
@pytest.mark.parametrize("scramble,seed", [(False, None), (True, 0), (True, 2024)])
def test_sobol_matches_torch(dimension, scramble, seed):
    ours, theirs = _engines(dimension, scramble, seed)
    np.testing.assert_array_equal(ours.sobolstate.numpy(), theirs.sobolstate.numpy())
    np.testing.assert_array_equal(ours.shift.numpy(), theirs.shift.numpy())
    _same_points(ours.draw(), theirs.draw())
    _same_points(ours.draw(6), theirs.draw(6))
    _same_state(ours, theirs)
    ours.fast_forward(9), theirs.fast_forward(9)
    _same_state(ours, theirs)
    _same_points(ours.draw(16, dtype=gradiente.float64), theirs.draw(16, dtype=torch.float64))
    _same_points(ours.draw_base2(5), theirs.draw_base2(5))
    ours.reset(), theirs.reset()
    _same_state(ours, theirs)
    _same_points(ours.draw_base2(3), theirs.draw_base2(3))
    _same_points(ours.draw(1), theirs.draw(1))


@pytest.mark.parametrize("scramble,seed", [(False, None), (True, 5)])
def test_sobol_first_points_fast_forward_from_the_start_and_float64(scramble, seed):
    ours, theirs = _engines(3, scramble, seed)
    # the first point is kept in the default dtype of construction time, as torch keeps it
    _same_points(ours.draw(4, dtype=gradiente.float64), theirs.draw(4, dtype=torch.float64))
    ours.reset(), theirs.reset()
    ours.fast_forward(1), theirs.fast_forward(1)
    _same_state(ours, theirs)
    _same_points(ours.draw(5), theirs.draw(5))
    ours.reset(), theirs.reset()
    ours.fast_forward(1000), theirs.fast_forward(1000)
    _same_points(ours.draw(3), theirs.draw(3))


def test_sobol_unscrambled_first_points_are_the_van_der_corput_sequence():
    points = gradiente.quasirandom.SobolEngine(2).draw(4).numpy()
    np.testing.assert_array_equal(points[:, 0], [0.0, 0.5, 0.75, 0.25])


def test_sobol_scramble_without_seed_uses_the_default_generator():
    gradiente.manual_seed(9)
    torch.manual_seed(9)
    ours, theirs = _engines(4, scramble=True)
    _same_points(ours.draw(8), theirs.draw(8))


def test_sobol_out_argument_and_repr():
    ours, theirs = _engines(3, scramble=True, seed=1)
    out, tout = gradiente.empty(1), torch.empty(1)
    assert ours.draw(4, out=out) is out and theirs.draw(4, out=tout) is tout
    _same_points(out, tout)
    assert repr(ours) == repr(theirs) == "SobolEngine(dimension=3, scramble=True, seed=1)"
    assert repr(_engines(2)[0]) == "SobolEngine(dimension=2)"


def test_sobol_errors():
    for dimension in (0, 21202):
        with pytest.raises(ValueError) as theirs:
            torch.quasirandom.SobolEngine(dimension)
        with pytest.raises(ValueError) as ours:
            gradiente.quasirandom.SobolEngine(dimension)
        assert str(ours.value) == str(theirs.value)
    with pytest.raises(ValueError, match=r"dimensions \[1, 1111\] only .* got 1112"):
        gradiente.quasirandom.SobolEngine(1112)
    ours, theirs = _engines(2)
    ours.draw(3), theirs.draw(3)
    with pytest.raises(ValueError) as t_error:
        theirs.draw_base2(2)
    with pytest.raises(ValueError) as g_error:
        ours.draw_base2(2)
    assert str(g_error.value) == str(t_error.value)


# ---------------------------------------------------------------------------------------------
# gradiente run: a PyTorch script using all of the above

SCRIPT = """
    import torch
    from torch.fft import fftfreq, fftshift
    from torch.quasirandom import SobolEngine

    torch.manual_seed(0)
    p = torch.nn.Parameter(torch.randn(4, 3))
    opt = torch.optim.Adafactor([p], lr=0.1)
    for _ in range(3):
        opt.zero_grad()
        (p ** 2).sum().backward()
        opt.step()
    U, S, V = torch.svd_lowrank(torch.randn(20, 8), q=3)
    _, S2, _ = torch.pca_lowrank(torch.randn(20, 8))
    print(round(p.abs().sum().item(), 5), tuple(U.shape), tuple(S2.shape))
    print(fftshift(fftfreq(6)).tolist(), torch.fft.rfftfreq(4, d=0.5).tolist())
    print(torch.special.bessel_j0(torch.tensor([1.0])).item())
    print(SobolEngine(2, scramble=True, seed=3).draw(2).tolist())
    torch.fft.rfft(torch.ones(8))
"""


def test_gradiente_run_reaches_the_new_apis(tmp_path):
    script = tmp_path / "science.py"
    script.write_text(textwrap.dedent(SCRIPT))
    result = subprocess.run(
        [sys.executable, "-m", "gradiente", "run", str(script)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    reference = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=600
    )
    assert reference.returncode == 0, reference.stderr  # torch has complex FFTs
    assert result.returncode == 1
    assert result.stdout.splitlines() == reference.stdout.splitlines()
    assert result.stderr.strip() == (  # one line, as for any API gradiente lacks
        "gradiente run: torch.fft.rfft is not supported by gradiente: it computes with "
        "complex numbers and gradiente has no complex dtype (torch.fft's fftfreq, rfftfreq, "
        "fftshift and ifftshift are available) (science.py, line 19)"
    )
