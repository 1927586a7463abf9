"""conv3d and conv_transpose3d (ops/conv3d.py) and their layers against torch: values,
gradients, float64 gradcheck, second derivatives and the errors for bad arguments."""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import pytest

import gradiente
from conftest import check_op

torch = pytest.importorskip("torch")

rng = np.random.default_rng(0)


@pytest.mark.parametrize(
    "x_shape,w_shape,kwargs",
    [
        ((2, 3, 4, 5, 4), (4, 3, 2, 2, 2), {}),
        ((1, 4, 5, 6, 7), (6, 2, 2, 3, 2), dict(stride=(1, 2, 1), padding=(1, 0, 2), groups=2)),
        ((2, 2, 6, 5, 5), (3, 2, 3, 1, 2), dict(dilation=(2, 1, 2), stride=2, padding=1)),
        ((3, 4, 5, 6), (2, 3, 2, 3, 4), dict(padding="same")),  # unbatched
        ((1, 2, 4, 4, 4), (2, 2, 1, 1, 1), dict(padding="valid")),
    ],
)
def test_conv3d_values_gradients_and_second_derivatives(x_shape, w_shape, kwargs):
    x, w = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
    b = rng.standard_normal(w_shape[0])
    check_op(lambda lib, a, w, b: lib.nn.functional.conv3d(a, w, b, **kwargs), x, w, b, double=True)


@pytest.mark.parametrize(
    "x_shape,w_shape,kwargs",
    [
        ((2, 3, 3, 4, 3), (3, 2, 2, 2, 2), {}),
        (
            (2, 4, 3, 4, 3),
            (4, 3, 2, 3, 2),
            dict(stride=(2, 1, 3), padding=(1, 0, 1), output_padding=(1, 0, 2), groups=2),
        ),
        ((1, 2, 3, 3, 2), (2, 1, 3, 2, 2), dict(dilation=(1, 2, 2), stride=2, output_padding=1)),
        ((2, 3, 2, 3), (2, 3, 2, 2, 2), dict(stride=2)),  # unbatched
    ],
)
def test_conv_transpose3d_values_gradients_and_second_derivatives(x_shape, w_shape, kwargs):
    x, w = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
    b = rng.standard_normal(w_shape[1] * kwargs.get("groups", 1))
    check_op(
        lambda lib, a, w, b: lib.nn.functional.conv_transpose3d(a, w, b, **kwargs),
        x,
        w,
        b,
        double=True,
    )


def test_float32_conv3d_is_close_to_torch():
    x = rng.standard_normal((2, 8, 6, 7, 8)).astype(np.float32)
    w = rng.standard_normal((5, 8, 3, 3, 3)).astype(np.float32)
    got = gradiente.nn.functional.conv3d(gradiente.tensor(x), gradiente.tensor(w), padding=1)
    want = torch.nn.functional.conv3d(torch.tensor(x), torch.tensor(w), padding=1)
    assert got.dtype == gradiente.float32
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-4, atol=1e-4)


def test_layers_have_torchs_weights_repr_and_outputs():
    outs = []
    for lib in (gradiente, torch):
        lib.manual_seed(0)
        conv = lib.nn.Conv3d(2, 4, (2, 3, 2), stride=2, padding=1, padding_mode="circular")
        up = lib.nn.ConvTranspose3d(4, 2, 3, stride=2, bias=False)
        x = lib.ones(1, 2, 5, 6, 7)
        outs.append((repr(conv), repr(up), conv.weight, up(conv(x), output_size=(8, 7, 10))))
    (g_c, g_u, g_w, g_y), (t_c, t_u, t_w, t_y) = outs
    assert (g_c, g_u) == (t_c, t_u)
    np.testing.assert_array_equal(g_w.detach().numpy(), t_w.detach().numpy())
    assert tuple(g_y.shape) == tuple(t_y.shape) == (1, 2, 8, 7, 10)
    np.testing.assert_allclose(g_y.detach().numpy(), t_y.detach().numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    "fn",
    [
        lambda lib: lib.nn.functional.conv3d(lib.ones(1, 2, 3, 3, 3), lib.ones(1, 3, 2, 2, 2)),
        lambda lib: lib.nn.functional.conv3d(lib.ones(1, 2, 3, 3, 3), lib.ones(1, 2, 4, 2, 2)),
        lambda lib: lib.nn.functional.conv3d(lib.ones(1, 2, 3, 3), lib.ones(1, 2, 2, 2)),
        lambda lib: lib.nn.functional.conv3d(lib.ones(2, 3, 3, 3, 3, 3), lib.ones(1, 3, 2, 2, 2)),
        lambda lib: lib.nn.functional.conv3d(
            lib.ones(1, 2, 3, 3, 3), lib.ones(1, 2, 2, 2, 2, dtype=lib.float64)
        ),
        lambda lib: lib.nn.functional.conv3d(
            lib.ones(1, 2, 3, 3, 3), lib.ones(1, 2, 2, 2, 2), stride=2, padding="same"
        ),
        lambda lib: lib.nn.functional.conv3d(
            lib.ones(1, 4, 3, 3, 3), lib.ones(3, 2, 2, 2, 2), groups=2
        ),
        lambda lib: lib.nn.functional.conv_transpose3d(
            lib.ones(1, 2, 3, 3, 3), lib.ones(3, 2, 2, 2, 2)
        ),
        lambda lib: lib.nn.functional.conv_transpose3d(
            lib.ones(1, 2, 3, 3, 3), lib.ones(2, 2, 2, 2, 2), stride=2, output_padding=2
        ),
        lambda lib: lib.nn.ConvTranspose3d(2, 2, 2, padding_mode="reflect"),
        lambda lib: lib.nn.Conv3d(3, 2, 2, groups=2),
    ],
)
def test_bad_arguments_raise_torchs_error_type(fn):
    with pytest.raises(Exception) as t_err:
        fn(torch)
    with pytest.raises(type(t_err.value)):
        fn(gradiente)
