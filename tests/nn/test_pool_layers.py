"""Pooling layers against torch.nn: repr, forward, indices and input gradients (float64)."""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import pytest

import gradiente
import gradiente.nn as gnn

torch = pytest.importorskip("torch")

LAYERS = [
    ("MaxPool2d", (2,), {}, (2, 3, 8, 8)),
    ("MaxPool2d", (3,), dict(stride=2, padding=1, ceil_mode=True), (2, 3, 9, 8)),
    ("MaxPool2d", ((2, 3),), dict(stride=1, dilation=(2, 1), return_indices=True), (2, 2, 7, 7)),
    ("MaxPool1d", (3,), dict(stride=2, padding=1, return_indices=True), (2, 3, 11)),
    ("MaxPool1d", (2,), {}, (3, 9)),
    ("AvgPool2d", (2,), {}, (2, 3, 8, 8)),
    (
        "AvgPool2d",
        (3,),
        dict(stride=2, padding=1, ceil_mode=True, count_include_pad=False),
        (2, 3, 9, 8),
    ),
    ("AvgPool2d", ((3, 2),), dict(stride=(2, 1), divisor_override=4), (2, 2, 7, 6)),
    ("AvgPool1d", (3,), dict(stride=2, padding=1, count_include_pad=False), (2, 3, 11)),
    ("AdaptiveAvgPool2d", ((3, 4),), {}, (2, 3, 7, 10)),
    ("AdaptiveAvgPool2d", (1,), {}, (2, 3, 6, 6)),
    ("AdaptiveAvgPool2d", ((None, 2),), {}, (2, 3, 5, 6)),
    ("AdaptiveMaxPool2d", ((3, 4),), dict(return_indices=True), (2, 3, 7, 10)),
    ("AdaptiveMaxPool2d", (2,), {}, (3, 6, 6)),
    ("AdaptiveAvgPool1d", (4,), {}, (2, 3, 7)),
]


@pytest.mark.parametrize("name, args, kwargs, x_shape", LAYERS)
def test_pool_layer_matches_torch(name, args, kwargs, x_shape):
    rng = np.random.default_rng(0)
    x = np.round(2 * rng.standard_normal(x_shape))  # ties inside windows
    g_layer, t_layer = getattr(gnn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert repr(g_layer) == repr(t_layer)
    xg = gradiente.from_numpy(x.copy()).requires_grad_()
    xt = torch.from_numpy(x.copy()).requires_grad_()
    yg, yt = g_layer(xg), t_layer(xt)
    if isinstance(yt, tuple):
        np.testing.assert_array_equal(yg[1].numpy(), yt[1].numpy())
        yg, yt = yg[0], yt[0]
    np.testing.assert_allclose(yg.detach().numpy(), yt.detach().numpy(), rtol=1e-12, atol=1e-14)
    up = rng.standard_normal(tuple(yt.shape))
    yg.backward(gradiente.from_numpy(up.copy()))
    yt.backward(torch.from_numpy(up))
    np.testing.assert_allclose(xg.grad.numpy(), xt.grad.numpy(), rtol=1e-12, atol=1e-14)


def test_pool_layers_have_no_parameters():
    for name, args, kwargs, _ in LAYERS:
        assert list(getattr(gnn, name)(*args, **kwargs).parameters()) == []


def test_max_pool_layer_error_on_wrong_rank():
    with pytest.raises(RuntimeError, match=r"3D or 4D \(batch mode\)"):
        gnn.MaxPool2d(2)(gradiente.zeros(4, 4))
