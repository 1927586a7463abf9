"""F.affine_grid and F.grid_sample against torch: values, gradients to the image and to the
grid (and through affine_grid to θ), float64 gradcheck, warnings and errors."""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import pytest

import gradiente
import gradiente.nn.functional as F
from conftest import assert_same, check_op

torch = pytest.importorskip("torch")


def _rand(shape, seed=0, low=-3.0, high=3.0):
    return np.random.default_rng(seed).uniform(low, high, shape)


@pytest.mark.parametrize("mode", ["bilinear", "nearest", "bicubic"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("hw", [(4, 5), (1, 3)])
def test_grid_sample_matches_torch(mode, padding_mode, align_corners, hw):
    def op(m, x, grid):
        return m.nn.functional.grid_sample(
            x, grid, mode=mode, padding_mode=padding_mode, align_corners=align_corners
        )

    # points well inside and far outside the image (reflection folds them several times)
    grid = _rand((2, 3, 4, 2), seed=1, low=-2.7, high=2.7)
    check_op(op, _rand((2, 2, *hw)), grid)


@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("size", [(2, 3, 4, 5), (2, 1, 1, 3), (2, 2, 6, 1)])
def test_affine_grid_matches_torch(align_corners, size):
    def op(m, theta):
        return m.nn.functional.affine_grid(theta, size, align_corners=align_corners)

    check_op(op, _rand((2, 2, 3)))


def test_affine_grid_3d_matches_torch():
    check_op(
        lambda m, t: m.nn.functional.affine_grid(t, (2, 1, 3, 4, 5), align_corners=False),
        _rand((2, 3, 4)),
    )


IDENTITY = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
ROTATED = [[0.83, -0.31, 0.137], [0.21, 1.07, -0.193]]


@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize(
    "thetas", [[ROTATED, [[1.19, 0.41, -0.29], [-0.13, 0.71, 0.253]]], [IDENTITY, ROTATED]]
)
def test_spatial_transformer_gradient_to_theta(padding_mode, align_corners, thetas):
    """The Spatial Transformer tutorial's path: θ → affine_grid → grid_sample. The identity θ
    puts every point on a pixel centre (on the corners, with align_corners), where bilinear
    sampling has a kink: there torch's one-sided gradient is compared, not central
    differences."""

    def op(m, x, theta):
        grid = m.nn.functional.affine_grid(theta, (2, 3, 5, 6), align_corners=align_corners)
        return m.nn.functional.grid_sample(
            x, grid, padding_mode=padding_mode, align_corners=align_corners
        )

    check_op(op, _rand((2, 3, 5, 6), seed=2), np.array(thetas), gradcheck=IDENTITY not in thetas)


def test_float32_equals_torch_to_rounding():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 3, 17, 13)).astype(np.float32)
    grid = rng.uniform(-1.2, 1.2, (2, 9, 11, 2)).astype(np.float32)
    u = rng.standard_normal((2, 3, 9, 11)).astype(np.float32)
    for mode in ("bilinear", "bicubic"):
        gx = gradiente.tensor(x, requires_grad=True)
        gg = gradiente.tensor(grid, requires_grad=True)
        tx = torch.tensor(x, requires_grad=True)
        tg = torch.tensor(grid, requires_grad=True)
        y = F.grid_sample(gx, gg, mode=mode, align_corners=False)
        ty = torch.nn.functional.grid_sample(tx, tg, mode=mode, align_corners=False)
        y.backward(gradiente.tensor(u))
        ty.backward(torch.tensor(u))
        assert_same(y, ty, rtol=1e-5, atol=1e-5)
        assert_same(gx.grad, tx.grad, rtol=1e-5, atol=1e-5, what="input grad")
        assert_same(gg.grad, tg.grad, rtol=1e-4, atol=1e-4, what="grid grad")


def test_default_align_corners_warns_like_torch():
    theta = np.eye(2, 3)[None]
    with pytest.warns(UserWarning, match="align_corners=False since 1.3.0"):
        grid = F.affine_grid(gradiente.tensor(theta), (1, 1, 2, 2))
    with pytest.warns(UserWarning, match="align_corners=False since 1.3.0"):
        F.grid_sample(gradiente.ones(1, 1, 2, 2, dtype=gradiente.float64), grid)


@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.nn.functional.affine_grid(m.ones(1, 3, 3), (1, 1, 2, 2), False),
        lambda m: m.nn.functional.affine_grid(m.ones(1, 2, 3), (1, 1, 2), False),
        lambda m: m.nn.functional.affine_grid(m.ones(1, 2, 3), (1, 1, 0, 2), False),
        lambda m: m.nn.functional.grid_sample(
            m.ones(1, 1, 2, 2), m.ones(1, 2, 2, 2), mode="area", align_corners=False
        ),
        lambda m: m.nn.functional.grid_sample(
            m.ones(1, 1, 2, 2), m.ones(1, 2, 2, 2), padding_mode="wrap", align_corners=False
        ),
        lambda m: m.nn.functional.grid_sample(
            m.ones(1, 1, 2, 2), m.ones(1, 2, 2, 3), align_corners=False
        ),
    ],
)
def test_errors_match_torch(call):
    with pytest.raises(Exception) as expected:
        call(torch)
    with pytest.raises(expected.type) as actual:
        call(gradiente)
    assert str(actual.value) == str(expected.value)


@pytest.fixture
def stand_in_cuda():
    from gradiente import backend

    backend.set_stand_in_cuda(1, strict=True)
    yield
    backend.set_stand_in_cuda(0)


@pytest.mark.parametrize("mode", ["bilinear", "nearest", "bicubic"])
@pytest.mark.parametrize("padding_mode", ["zeros", "reflection"])
def test_runs_on_the_strict_cuda_stand_in(stand_in_cuda, mode, padding_mode):
    """CuPy's code path (proven with the strict stand-in): same values and gradients as on
    the CPU, everything on the device."""
    rng = np.random.default_rng(0)
    x, theta = rng.standard_normal((2, 3, 4, 5)), rng.standard_normal((2, 2, 3))
    results = []
    for device in ("cpu", "cuda"):
        gx = gradiente.tensor(x, device=device, requires_grad=True)
        gt = gradiente.tensor(theta, device=device, requires_grad=True)
        grid = F.affine_grid(gt, (2, 3, 3, 4), align_corners=False)
        y = F.grid_sample(gx, grid, mode=mode, padding_mode=padding_mode, align_corners=False)
        (y * y).sum().backward()
        assert y.device.type == gx.grad.device.type == gt.grad.device.type == device
        results.append([t.detach().cpu().numpy() for t in (y, gx.grad, gt.grad)])
    for a, b in zip(*results, strict=True):
        np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-12)
