"""``F.conv_transpose1d`` and ``nn.ConvTranspose1d`` against torch: every argument (stride,
padding, output_padding, groups, dilation, bias, unbatched input), values and gradients in
float64 (and float32), gradcheck, the layer's init, repr and ``output_size``, and errors."""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import pytest

import gradiente
import gradiente.nn.functional as F
from conftest import check_op

torch = pytest.importorskip("torch")


def _rand(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape)


CASES = [
    # (input shape, weight shape, kwargs)
    ((2, 4, 5), (4, 3, 3), {}),
    ((2, 4, 5), (4, 3, 3), {"stride": 2, "padding": 1, "output_padding": 1}),
    ((1, 4, 6), (4, 2, 4), {"stride": 3, "dilation": 2, "output_padding": 2}),
    ((2, 6, 5), (6, 1, 3), {"groups": 3, "stride": 2, "padding": 2}),
    ((2, 4, 7), (4, 3, 1), {"stride": (2,), "padding": (0,), "dilation": (1,)}),
    ((4, 5), (4, 3, 3), {"stride": 2}),  # unbatched
    ((3, 2, 1), (2, 5, 2), {"stride": 1}),  # a length-1 input
]


@pytest.mark.parametrize("x_shape, w_shape, kwargs", CASES)
@pytest.mark.parametrize("bias", [True, False])
def test_conv_transpose1d_matches_torch(x_shape, w_shape, kwargs, bias):
    groups = kwargs.get("groups", 1)
    arrays = [_rand(x_shape, 0), _rand(w_shape, 1)]
    if bias:
        arrays.append(_rand((w_shape[1] * groups,), 2))

    def op(lib, x, w, b=None):
        return lib.nn.functional.conv_transpose1d(x, w, b, **kwargs)

    check_op(op, *arrays)


@pytest.mark.parametrize("x_shape, w_shape, kwargs", CASES[:4])
def test_conv_transpose1d_float32(x_shape, w_shape, kwargs):
    arrays = [_rand(x_shape, 3).astype(np.float32), _rand(w_shape, 4).astype(np.float32)]

    def op(lib, x, w):
        return lib.nn.functional.conv_transpose1d(x, w, **kwargs)

    check_op(op, *arrays, rtol=1e-5, atol=1e-6, gradcheck=False)


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"stride": 2, "padding": 1, "output_padding": 1, "groups": 2, "dilation": 2},
        {"bias": False, "stride": 3},
    ],
)
def test_layer_matches_torch(kwargs):
    x = _rand((2, 4, 6), 5)
    results = []
    for lib in (gradiente, torch):
        lib.manual_seed(0)
        layer = lib.nn.ConvTranspose1d(4, 6, 3, **kwargs).double()
        xt = lib.from_numpy(x.copy()).requires_grad_()
        out = layer(xt)
        (out * lib.from_numpy(_rand(tuple(out.shape), 6))).sum().backward()
        results.append((layer, xt, out))
    (g_layer, gx, g_out), (t_layer, tx, t_out) = results
    assert repr(g_layer) == repr(t_layer)
    for name in ("kernel_size", "stride", "padding", "output_padding", "dilation", "groups"):
        assert getattr(g_layer, name) == getattr(t_layer, name), name
    np.testing.assert_allclose(g_out.detach().numpy(), t_out.detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(gx.grad.numpy(), tx.grad.numpy(), rtol=1e-10, atol=1e-12)
    for (name, p), (_, q) in zip(
        g_layer.named_parameters(), t_layer.named_parameters(), strict=True
    ):
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=1e-12)
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-10, err_msg=name)


@pytest.mark.parametrize("output_size", [[11], [12], [2, 6, 12]])
def test_layer_output_size(output_size):
    x = _rand((2, 4, 5), 7)
    outs = []
    for lib in (gradiente, torch):
        lib.manual_seed(1)
        layer = lib.nn.ConvTranspose1d(4, 6, 3, stride=2).double()
        outs.append(layer(lib.from_numpy(x.copy()), output_size=output_size))
    assert tuple(outs[0].shape) == tuple(outs[1].shape)
    np.testing.assert_allclose(outs[0].detach().numpy(), outs[1].detach().numpy(), rtol=1e-10)


def _same_error(g_call, t_call):
    with pytest.raises(Exception) as t_err:
        t_call()
    with pytest.raises(type(t_err.value)) as g_err:
        g_call()
    assert str(g_err.value) == str(t_err.value)


@pytest.mark.parametrize(
    "x_shape, w_shape, b_shape, kwargs",
    [
        ((2, 4, 5), (4, 3, 3, 1), None, {}),
        ((2, 4, 5), (5, 3, 3), None, {}),
        ((2, 4, 5, 1), (4, 3, 3), None, {}),
        ((2, 4, 5), (4, 3, 3), (2,), {}),
        ((2, 4, 5), (4, 3, 3), None, {"stride": 2, "output_padding": 2}),
        ((2, 4, 5), (4, 3, 3), None, {"groups": 3}),
        ((2, 4, 5), (4, 3, 3), None, {"stride": (2, 2)}),
        ((2, 4, 5), (4, 3, 3), None, {"padding": "same"}),
        ((2, 4, 5), (4, 3, 3), None, {"stride": 0}),
        ((2, 4, 5), (4, 3, 3), None, {"padding": -1}),
    ],
)
def test_errors(x_shape, w_shape, b_shape, kwargs):
    def call(lib, f):
        b = lib.zeros(b_shape) if b_shape else None
        return lambda: f.conv_transpose1d(lib.zeros(x_shape), lib.zeros(w_shape), b, **kwargs)

    _same_error(call(gradiente, F), call(torch, torch.nn.functional))


def test_errors_of_the_layer():
    _same_error(
        lambda: gradiente.nn.ConvTranspose1d(4, 6, 3, padding_mode="reflect"),
        lambda: torch.nn.ConvTranspose1d(4, 6, 3, padding_mode="reflect"),
    )
    _same_error(
        lambda: F.conv_transpose1d(
            gradiente.zeros(2, 4, 5, dtype=gradiente.float64), gradiente.zeros(4, 3, 3)
        ),
        lambda: torch.nn.functional.conv_transpose1d(
            torch.zeros(2, 4, 5, dtype=torch.float64), torch.zeros(4, 3, 3)
        ),
    )
    for lib in (gradiente, torch):
        layer = lib.nn.ConvTranspose1d(4, 6, 3, stride=2)
        with pytest.raises(ValueError, match=r"requested an output size of \[14\]"):
            layer(lib.zeros(2, 4, 5), output_size=[14])
        with pytest.raises(RuntimeError, match="expected input\\[2, 5, 5\\] to have 4 channels"):
            layer(lib.zeros(2, 5, 5))
