"""Silent-wrong-result regressions in nn.functional (issue 9), each checked against torch.

Broadcasting in cosine_similarity, non-finite values in adaptive pooling, integer inputs to
pooling and interpolation, and the gradient of losses whose every target is ignored.
"""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import pytest

import gradiente
import gradiente.nn.functional as F
from conftest import check_op

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def _both(fn, *arrays):
    """``fn(lib, F, *tensors)`` on gradiente and on torch: (result, error) for each."""
    out = []
    for lib, functional in ((gradiente, F), (torch, TF)):
        tensors = [lib.from_numpy(np.array(a, copy=True)) for a in arrays]
        try:
            out.append((fn(lib, functional, *tensors), None))
        except Exception as e:  # noqa: BLE001 - the error itself is compared
            out.append((None, e))
    return out


def _assert_like_torch(fn, *arrays, match=None):
    """Same dtype, shape and values (NaN/inf placement included), or both raise."""
    (g, g_err), (t, t_err) = _both(fn, *arrays)
    if t_err is not None:
        assert g_err is not None, f"torch raised {t_err!r}, gradiente returned {g}"
        assert type(g_err).__name__ == type(t_err).__name__ or isinstance(
            g_err, (RuntimeError, NotImplementedError)
        )
        assert str(t_err).split("\n")[0] in str(g_err), (str(g_err), str(t_err))
        return
    assert g_err is None, f"gradiente raised {g_err!r}, torch returned {t}"
    assert str(g.dtype) == str(t.dtype)
    assert tuple(g.shape) == tuple(t.shape)
    np.testing.assert_allclose(g.numpy(), t.numpy(), rtol=1e-6, atol=1e-6)


# ------------------------------------------------------------------ cosine similarity, norms


@pytest.mark.parametrize(
    "a,b",
    [
        ([[0.0, -2.0, 0.0]], [[1.0]]),  # x2 broadcasts along the reduced axis
        ([[0.0, 0.0, 0.0]], [[1.0, 2.0, 3.0]]),  # a zero vector: the eps clamp
        ([[1e-5, 0.0]], [[1e3, 0.0]]),  # tiny norms: normalise first, not Σx1x2/(‖x1‖‖x2‖)
        ([[np.inf, 1.0]], [[1.0, 1.0]]),
        ([[1.0, 2.0], [3.0, 4.0]], [[1.0, -1.0]]),
    ],
)
def test_cosine_similarity_broadcasts_before_the_norms(a, b):
    _assert_like_torch(lambda m, f, x, y: f.cosine_similarity(x, y, dim=1), a, b)


def test_cosine_similarity_gradients_with_broadcast_and_zero_vectors():
    rng = np.random.default_rng(0)
    check_op(
        lambda m, a, b: m.nn.functional.cosine_similarity(a, b, dim=1),
        rng.standard_normal((3, 4)),
        rng.standard_normal((1, 4)),
    )
    check_op(
        lambda m, a, b: m.nn.functional.cosine_similarity(a, b, dim=0),
        rng.standard_normal((4, 1)),
        rng.standard_normal((1, 3)),
    )
    # a zero x1: torch's gradient there is x2 / (eps ‖x2‖), finite and huge
    check_op(
        lambda m, a, b: m.nn.functional.cosine_similarity(a, b, dim=1),
        np.zeros((1, 3)),
        np.array([[1.0, 2.0, 3.0]]),
        gradcheck=False,
    )


def test_cosine_similarity_dtypes_and_errors():
    # an integer tensor with a float one is promoted; two integer tensors raise like torch
    _assert_like_torch(
        lambda m, f, x, y: f.cosine_similarity(x, y, dim=0), [1, 2, 3], [1.0, 2.0, 3.0]
    )
    _assert_like_torch(lambda m, f, x, y: f.cosine_similarity(x, y, dim=0), [1, 2, 3], [1, 2, 3])
    _assert_like_torch(
        lambda m, f, x, y: f.cosine_similarity(x, y, dim=1), np.ones((2, 3)), np.ones((4, 3))
    )
    _assert_like_torch(
        lambda m, f, x, y: f.cosine_similarity(x, y, dim=0), np.float64(1.0), np.float64(2.0)
    )
    _assert_like_torch(
        lambda m, f, x, y: f.cosine_similarity(x, y, dim=1), np.zeros((2, 0)), np.zeros((2, 0))
    )


@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, 0.5, 0.0, float("inf"), -1.0])
def test_normalize_every_p_matches_torch(p):
    x = np.array([[1.0, -3.0, 3.0], [0.0, 0.0, 0.0], [0.5, 2.0, -1.0]])
    _assert_like_torch(lambda m, f, t: f.normalize(t, p=p, dim=1), x)
    if p not in (0.0, -1.0):  # 0: a zero gradient; -1: undefined at the zero row
        check_op(
            lambda m, t: m.nn.functional.normalize(t, p=p, dim=1),
            x + np.array([[0.0], [0.1], [0.0]]) * np.arange(1, 4),
            gradcheck=p != float("inf"),
        )


def test_norms_of_integer_tensors_raise_like_torch():
    _assert_like_torch(lambda m, f, t: f.normalize(t, dim=0), [1, 2])
    _assert_like_torch(lambda m, f, t: t.norm(), [1, 2])
    _assert_like_torch(lambda m, f, t: m.linalg.vector_norm(t), [True, False])
    _assert_like_torch(lambda m, f, t: m.linalg.matrix_norm(t), [[1, 2], [3, 4]])
    # pairwise_distance works on integers: x1 − x2 + eps is already floating
    _assert_like_torch(lambda m, f, a, b: f.pairwise_distance(a, b), [1, 2], [1, 1])


@pytest.mark.parametrize("p", [2.0, 1.0, 0.0, float("inf"), -1.0])
def test_pairwise_distance_broadcasting_and_p(p):
    _assert_like_torch(
        lambda m, f, a, b: f.pairwise_distance(a, b, p=p), [[0.0, -2.0, 0.0]], [[1.0]]
    )
    _assert_like_torch(
        lambda m, f, a, b: f.pairwise_distance(a, b, p=p, keepdim=True),
        [[0.0, -2.0, 0.0]],
        [[1.0, 1.0, 1.0]],
    )
    _assert_like_torch(lambda m, f, a, b: f.pairwise_distance(a, b, p=p), 1.0, 2.0)


# --------------------------------------------------------------- interpolation of integers

_MODES = {
    "nearest": {},
    "nearest-exact": {},
    "linear": {},
    "bilinear": {},
    "bilinear_corners": {"align_corners": True},
    "trilinear": {},
    "area": {},
}
_MODE_DIMS = {"linear": 1, "trilinear": 3, "bilinear": 2, "bilinear_corners": 2}


@pytest.mark.parametrize("dtype", ["uint8", "int8", "int32", "int64", "bool", "float32"])
@pytest.mark.parametrize("mode", list(_MODES))
@pytest.mark.parametrize("dims", [1, 2, 3])
def test_interpolate_integer_inputs_like_torch(mode, dims, dtype):
    """uint8 images resize with nearest, nearest-exact and bilinear (rounded in fixed point,
    as torch); every other integer case raises torch's "not implemented for 'Long'"."""
    if _MODE_DIMS.get(mode, dims) != dims or (mode == "area" and dims == 3):
        return
    shape = (1, 2) + (9, 6, 5)[:dims]
    x = (np.arange(np.prod(shape)).reshape(shape) * 37 % 251).astype(dtype)
    name = mode.split("_")[0]
    for kwargs in ({"size": (4,) * dims}, {"size": (13,) * dims}, {"scale_factor": 0.7}):
        _assert_like_torch(
            lambda m, f, t, kw=kwargs: f.interpolate(t, mode=name, **kw, **_MODES[mode]), x
        )


def test_interpolate_uint8_bilinear_issue_example():
    x8 = (gradiente.arange(64) * 3).to(gradiente.uint8).reshape(1, 1, 8, 8)
    got = F.interpolate(x8, size=(3, 3), mode="bilinear")[0, 0]
    assert got.dtype == gradiente.uint8
    assert got.tolist() == [[23, 31, 38], [87, 95, 102], [151, 159, 166]]


@pytest.mark.parametrize("seed", range(6))
def test_interpolate_uint8_bilinear_random_sizes_match_torch(seed):
    rng = np.random.default_rng(seed)
    h, w = rng.integers(1, 12, 2)
    x = rng.integers(0, 256, (2, 3, h, w)).astype(np.uint8)
    for _ in range(5):
        size = tuple(int(v) for v in rng.integers(1, 25, 2))
        corners = bool(rng.integers(0, 2))
        _assert_like_torch(
            lambda m, f, t, size=size, corners=corners: f.interpolate(
                t, size=size, mode="bilinear", align_corners=corners
            ),
            x,
        )


@pytest.mark.parametrize("mode", ["nearest-exact", "area"])
@pytest.mark.parametrize("shape", [(2, 3, 7), (1, 2, 7, 5)])
@pytest.mark.parametrize("kwargs", [{"size": 4}, {"size": 11}, {"scale_factor": 1.7}])
def test_interpolate_nearest_exact_and_area_match_torch(mode, shape, kwargs):
    x = np.random.default_rng(0).standard_normal(shape)
    check_op(lambda m, t: m.nn.functional.interpolate(t, mode=mode, **kwargs), x)
