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
