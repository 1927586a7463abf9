"""Scaled dot-product attention (ops/attention.py) against torch: values, gradients, gradcheck,
masks, causal, scale, dropout (same seed, same pattern) and grouped-query attention."""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import pytest

import gradiente
import gradiente.nn.functional as F
from conftest import check_op, gradcheck_random_upstream, leaf

RNG = np.random.default_rng(0)
Q = RNG.standard_normal((2, 3, 4, 5))
K = RNG.standard_normal((2, 3, 6, 5))
V = RNG.standard_normal((2, 3, 6, 7))
BOOL_MASK = RNG.random((4, 6)) > 0.4
BOOL_MASK[:, 0] = True  # no fully masked row here (tested on its own below)
FLOAT_MASK = RNG.standard_normal((2, 1, 4, 6))


def _sdpa(lib, *args, **kwargs):
    return lib.nn.functional.scaled_dot_product_attention(*args, **kwargs)


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"is_causal": True}, {"scale": 0.3}, {"scale": -0.7}, {"is_causal": True, "scale": 2.0}],
)
def test_matches_torch(kwargs):
    check_op(lambda lib, q, k, v: _sdpa(lib, q, k, v, **kwargs), Q, K, V, double=True)


def test_bool_mask_keeps_where_true():
    mask = gradiente.from_numpy(BOOL_MASK.copy())
    check_op(
        lambda lib, q, k, v: _sdpa(lib, q, k, v, attn_mask=mask if lib is gradiente else _t(mask)),
        Q,
        K,
        V,
        double=True,
    )


def test_float_mask_is_added_and_gets_a_gradient():
    check_op(lambda lib, q, k, v, m: _sdpa(lib, q, k, v, attn_mask=m), Q, K, V, FLOAT_MASK)


def test_fully_masked_row_gives_zeros():
    mask = np.ones((4, 6), dtype=bool)
    mask[2] = False
    check_op(
        lambda lib, q, k, v: _sdpa(
            lib, q, k, v, attn_mask=gradiente.from_numpy(mask) if lib is gradiente else _t(mask)
        ),
        Q,
        K,
        V,
    )


def test_unbatched_and_broadcast_batch():
    q, k, v = Q[0, 0], K[0, 0], V[0, 0]  # (L, E), no batch dims
    check_op(lambda lib, q, k, v: _sdpa(lib, q, k, v), q, k, v)
    # keys and values shared by every head: (2, 1, S, E) broadcast against (2, 3, L, E)
    check_op(lambda lib, q, k, v: _sdpa(lib, q, k, v), Q, K[:, :1], V[:, :1])


def test_grouped_query_attention():
    check_op(
        lambda lib, q, k, v: _sdpa(lib, q, k, v, enable_gqa=True),
        RNG.standard_normal((2, 4, 3, 5)),
        RNG.standard_normal((2, 2, 6, 5)),
        RNG.standard_normal((2, 2, 6, 5)),
    )


@pytest.mark.parametrize("kwargs", [{}, {"is_causal": True}, {"dropout_p": 0.0, "scale": 0.5}])
def test_gradcheck_fused_op(kwargs):
    q, k, v = leaf(Q[:1, :2]), leaf(K[:1, :2]), leaf(V[:1, :2])
    gradcheck_random_upstream(
        lambda q, k, v: F.scaled_dot_product_attention(q, k, v, **kwargs), (q, k, v)
    )


def test_gradcheck_with_dropout_fixed_by_seed():
    q, k, v = leaf(Q[:1, :2]), leaf(K[:1, :2]), leaf(V[:1, :2])

    def f(q, k, v):
        gradiente.manual_seed(3)  # the same dropout pattern on every evaluation
        return F.scaled_dot_product_attention(q, k, v, dropout_p=0.4)

    gradcheck_random_upstream(f, (q, k, v))


def test_dropout_same_pattern_as_torch():
    """With the same seed the weights dropped are torch's (its CPU math path draws like
    ``F.dropout`` on the (..., L, S) weights)."""
    check_op(
        lambda lib, q, k, v: (lib.manual_seed(7), _sdpa(lib, q, k, v, dropout_p=0.3))[1],
        Q,
        K,
        V,
        gradcheck=False,
    )


def test_dropout_statistics():
    """Each weight is kept with probability 1 − p and scaled by 1/(1 − p): with V = I the
    output is the dropped weights themselves, so their mean is the undropped mean."""
    gradiente.manual_seed(0)
    L = S = 64
    q = gradiente.zeros(8, L, 4, dtype=gradiente.float64)  # uniform weights 1/S
    k = gradiente.zeros(8, S, 4, dtype=gradiente.float64)
    v = gradiente.eye(S, dtype=gradiente.float64).expand(8, S, S)
    out = F.scaled_dot_product_attention(q, k, v, dropout_p=0.25).numpy()
    kept = out != 0
    assert abs(kept.mean() - 0.75) < 0.01
    np.testing.assert_allclose(out[kept], (1 / S) / 0.75)


def test_causal_with_mask_is_an_error():
    q, k, v = (gradiente.from_numpy(a) for a in (Q, K, V))
    with pytest.raises(RuntimeError, match="Explicit attn_mask"):
        F.scaled_dot_product_attention(
            q, k, v, attn_mask=gradiente.from_numpy(BOOL_MASK), is_causal=True
        )


def test_backward_saves_probabilities_not_intermediates():
    q, k, v = leaf(Q), leaf(K), leaf(V)
    out = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    node = out.grad_fn
    assert node.probs.shape == (2, 3, 4, 6)
    assert node.keep.dtype == np.bool_  # the dropout pattern: one byte per weight
    out.sum().backward()
    assert q.grad is not None and k.grad is not None and v.grad is not None


def _t(array):
    import torch

    a = array.numpy() if isinstance(array, gradiente.Tensor) else array
    return torch.from_numpy(np.array(a, copy=True))
