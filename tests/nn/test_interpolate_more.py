"""F.interpolate's bicubic mode, antialiased bilinear/bicubic and 5-D area mode against torch:
values, gradients (float64 gradcheck through ``check_op``), float32 rounding and errors."""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import pytest

import gradiente
import gradiente.nn.functional as F
from conftest import assert_same, check_op

torch = pytest.importorskip("torch")


def _rand(shape, seed=0):
    return np.random.default_rng(seed).uniform(-3.0, 3.0, shape)


RESIZES = [
    {"size": (9, 11)},  # up
    {"size": (3, 2)},  # down
    {"scale_factor": 2.5},
    {"scale_factor": 0.6},
    {"scale_factor": (0.5, 3)},
    {"size": (1, 4)},
    {"scale_factor": 1.7, "recompute_scale_factor": True},
]


@pytest.mark.parametrize("kwargs", RESIZES)
@pytest.mark.parametrize("align_corners", [False, True])
def test_bicubic_matches_torch(kwargs, align_corners):
    def op(m, x):
        return m.nn.functional.interpolate(x, mode="bicubic", align_corners=align_corners, **kwargs)

    check_op(op, _rand((2, 3, 5, 7)))


@pytest.mark.parametrize("kwargs", RESIZES + [{"size": (2, 2)}, {"scale_factor": 0.3}])
@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
@pytest.mark.parametrize("align_corners", [False, True])
def test_antialias_matches_torch(kwargs, mode, align_corners):
    def op(m, x):
        return m.nn.functional.interpolate(
            x, mode=mode, align_corners=align_corners, antialias=True, **kwargs
        )

    check_op(op, _rand((2, 2, 8, 10), seed=1))


@pytest.mark.parametrize("size", [(2, 3, 2), (5, 7, 9), (1, 1, 1), (3, 4, 5), (4, 2, 7)])
def test_area_on_5d_input_matches_torch(size):
    check_op(
        lambda m, x: m.nn.functional.interpolate(x, size=size, mode="area"), _rand((2, 2, 3, 4, 5))
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {"mode": "bicubic", "size": (13, 6)},
        {"mode": "bicubic", "scale_factor": 0.45, "align_corners": True},
        {"mode": "bilinear", "size": (7, 9), "antialias": True},
        {"mode": "bicubic", "size": (5, 4), "antialias": True},
    ],
)
def test_float32_equals_torch_to_rounding(kwargs):
    """A realistic image in float32: torch's kernels and ours differ only by rounding."""
    x = np.random.default_rng(3).standard_normal((2, 3, 21, 17)).astype(np.float32)
    upstream = np.random.default_rng(4).standard_normal
    gx = gradiente.tensor(x, requires_grad=True)
    tx = torch.tensor(x, requires_grad=True)
    y = F.interpolate(gx, **kwargs)
    ty = torch.nn.functional.interpolate(tx, **kwargs)
    u = upstream(tuple(ty.shape)).astype(np.float32)
    y.backward(gradiente.tensor(u))
    ty.backward(torch.tensor(u))
    assert_same(y, ty, rtol=1e-5, atol=1e-5)
    assert_same(gx.grad, tx.grad, rtol=1e-5, atol=1e-5, what="grad")


def test_upsample_layer_bicubic():
    x = _rand((1, 2, 4, 4)).astype(np.float32)
    layer = gradiente.nn.Upsample(scale_factor=2, mode="bicubic", align_corners=True)
    reference = torch.nn.Upsample(scale_factor=2, mode="bicubic", align_corners=True)
    assert repr(layer) == repr(reference)
    assert_same(layer(gradiente.tensor(x)), reference(torch.tensor(x)), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    "shape, kwargs",
    [
        ((1, 1, 5), {"mode": "bicubic", "size": 3}),
        ((1, 1, 5, 3, 3), {"mode": "bicubic", "size": 3}),
        ((1, 1, 5), {"mode": "linear", "size": 3, "antialias": True}),
        ((1, 1, 5, 5), {"mode": "nearest", "size": 3, "antialias": True}),
        ((1, 1, 5, 5, 5), {"mode": "area", "size": 3, "align_corners": True}),
        ((1, 1, 3, 3), {"mode": "bicubic", "scale_factor": 0.3}),
        ((1, 1, 3), {"mode": "linear", "scale_factor": 0.3}),
    ],
)
def test_errors_match_torch(shape, kwargs):
    with pytest.raises(Exception) as expected:
        torch.nn.functional.interpolate(torch.ones(shape), **kwargs)
    with pytest.raises(expected.type) as actual:
        F.interpolate(gradiente.ones(shape), **kwargs)
    assert str(actual.value) == str(expected.value)


@pytest.mark.parametrize("shape, mode", [((1, 1, 5, 5), "bicubic"), ((1, 1, 5, 5, 5), "area")])
def test_integer_input_errors_match_torch(shape, mode):
    with pytest.raises(NotImplementedError) as expected:
        torch.nn.functional.interpolate(torch.ones(shape, dtype=torch.int64), size=3, mode=mode)
    with pytest.raises(NotImplementedError) as actual:
        F.interpolate(gradiente.ones(shape, dtype=gradiente.int64), size=3, mode=mode)
    assert str(actual.value) == str(expected.value)


@pytest.fixture
def stand_in_cuda():
    from gradiente import backend

    backend.set_stand_in_cuda(1, strict=True)
    yield
    backend.set_stand_in_cuda(0)


@pytest.mark.parametrize(
    "shape, kwargs",
    [
        ((2, 3, 4, 5), {"mode": "bicubic", "size": (7, 3)}),
        ((2, 3, 8, 9), {"mode": "bilinear", "size": (3, 4), "antialias": True}),
        ((2, 3, 3, 4, 5), {"mode": "area", "size": (2, 3, 4)}),
    ],
)
def test_runs_on_the_strict_cuda_stand_in(stand_in_cuda, shape, kwargs):
    x = np.random.default_rng(0).standard_normal(shape)
    results = []
    for device in ("cpu", "cuda"):
        gx = gradiente.tensor(x, device=device, requires_grad=True)
        y = F.interpolate(gx, **kwargs)
        (y * y).sum().backward()
        assert y.device.type == gx.grad.device.type == device
        results.append([t.detach().cpu().numpy() for t in (y, gx.grad)])
    for a, b in zip(*results, strict=True):
        np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-12)


def test_bicubic_centres_round_once_and_sum_in_order_as_torch():
    """Found by the op fuzzer: with scale_factor=3 the centre of output row 1 is
    fma(1/3, 1.5, −0.5) = −2.8e-17 in torch (an FMA), not 0, so its taps start one row higher
    and a NaN two rows down does not reach it; and the taps add left to right (the sign of a
    zero sum)."""
    import os

    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    torch = pytest.importorskip("torch")
    nan, inf = float("nan"), float("inf")
    values = [
        [[[-3.0], [2.5], [nan], [inf]], [[0.25], [-inf], [-1.5], [-1.25]]],
        [[[-0.0], [-3.0], [0.0], [-0.0]], [[0.0], [1.0], [1.0], [1.5244630911093617]]],
    ]
    for dtype in ("float64",):
        for mode in ("bicubic", "bilinear"):
            out = []
            for lib in (gradiente, torch):
                x = lib.tensor(values, dtype=getattr(lib, dtype))
                y = lib.nn.functional.interpolate(x, mode=mode, scale_factor=3)
                out.append(y.numpy())
            ours, theirs = out
            # NaNs in the same places, zeros of the same sign; values to torch's rounding
            np.testing.assert_array_equal(np.isnan(ours), np.isnan(theirs))
            zeros = theirs == 0
            np.testing.assert_array_equal(np.signbit(ours[zeros]), np.signbit(theirs[zeros]))
            np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)
