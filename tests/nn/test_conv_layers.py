"""Conv1d, Conv2d, ConvTranspose2d against torch.nn: init, repr, forward and all gradients."""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import pytest

import gradiente
import gradiente.nn as gnn

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same'")


def _pair_of_layers(name, args, kwargs, seed=0):
    """The same layer in both frameworks, float64, gradiente's weights copied from torch's."""
    t_layer = getattr(torch.nn, name)(*args, **kwargs, dtype=torch.float64)
    g_layer = getattr(gnn, name)(*args, **kwargs, dtype=gradiente.float64)
    with gradiente.no_grad():
        for pname, p in t_layer.named_parameters():
            getattr(g_layer, pname).copy_(gradiente.from_numpy(p.detach().numpy().copy()))
    return g_layer, t_layer


def _check_layer(g_layer, t_layer, x, rng, **call_kwargs):
    xg = gradiente.from_numpy(x.copy()).requires_grad_()
    xt = torch.from_numpy(x.copy()).requires_grad_()
    yg, yt = g_layer(xg, **call_kwargs), t_layer(xt, **call_kwargs)
    assert tuple(yg.shape) == tuple(yt.shape)
    np.testing.assert_allclose(yg.detach().numpy(), yt.detach().numpy(), rtol=1e-7, atol=1e-10)
    up = rng.standard_normal(tuple(yt.shape))
    yg.backward(gradiente.from_numpy(up.copy()))
    yt.backward(torch.from_numpy(up))
    np.testing.assert_allclose(xg.grad.numpy(), xt.grad.numpy(), rtol=1e-7, atol=1e-10)
    for pname, p in t_layer.named_parameters():
        got = getattr(g_layer, pname).grad.numpy()
        np.testing.assert_allclose(got, p.grad.numpy(), rtol=1e-7, atol=1e-10, err_msg=pname)


CONV2D = [
    ((1, 6, 5), {}, (4, 1, 28, 28)),
    ((3, 8, (3, 5)), dict(stride=2, padding=(1, 2), dilation=(2, 1), bias=False), (2, 3, 11, 12)),
    ((4, 8, 3), dict(padding="same", groups=2), (2, 4, 7, 6)),
    ((4, 4, 2), dict(padding="same", dilation=1), (2, 4, 7, 6)),
    ((4, 4, 3), dict(padding="valid", stride=(1, 2)), (2, 4, 7, 9)),
    ((6, 6, 3), dict(padding=1, groups=6), (2, 6, 5, 5)),
    ((3, 5, 3), dict(padding=2, padding_mode="reflect"), (2, 3, 6, 7)),
    ((3, 5, 3), dict(padding=(1, 2), padding_mode="replicate", stride=2), (2, 3, 6, 7)),
    ((3, 5, 3), dict(padding="same", padding_mode="circular"), (2, 3, 6, 7)),
    ((2, 3, 3), dict(padding=1), (2, 6, 5)),
]


@pytest.mark.parametrize("args, kwargs, x_shape", CONV2D)
def test_conv2d_layer_matches_torch(args, kwargs, x_shape):
    rng = np.random.default_rng(0)
    g_layer, t_layer = _pair_of_layers("Conv2d", args, kwargs)
    _check_layer(g_layer, t_layer, rng.standard_normal(x_shape), rng)


@pytest.mark.parametrize(
    "args, kwargs, x_shape",
    [
        ((3, 4, 3), {}, (2, 3, 10)),
        ((4, 6, 5), dict(stride=2, padding=2, dilation=2, groups=2, bias=False), (2, 4, 17)),
        ((2, 2, 4), dict(padding="same", padding_mode="reflect"), (2, 2, 9)),
        ((2, 3, 3), dict(padding=1), (2, 7)),
    ],
)
def test_conv1d_layer_matches_torch(args, kwargs, x_shape):
    rng = np.random.default_rng(1)
    g_layer, t_layer = _pair_of_layers("Conv1d", args, kwargs)
    _check_layer(g_layer, t_layer, rng.standard_normal(x_shape), rng)


@pytest.mark.parametrize(
    "args, kwargs, x_shape",
    [
        ((4, 2, 3), {}, (2, 4, 5, 5)),
        ((4, 6, 3), dict(stride=2, padding=1, output_padding=1, groups=2), (2, 4, 4, 5)),
        ((3, 2, (2, 3)), dict(stride=(2, 1), dilation=(1, 2), bias=False), (2, 3, 3, 4)),
        ((3, 2, 3), dict(stride=2), (3, 4, 4)),
    ],
)
def test_conv_transpose2d_layer_matches_torch(args, kwargs, x_shape):
    rng = np.random.default_rng(2)
    g_layer, t_layer = _pair_of_layers("ConvTranspose2d", args, kwargs)
    _check_layer(g_layer, t_layer, rng.standard_normal(x_shape), rng)


@pytest.mark.parametrize("output_size", [(9, 9), (10, 10), (2, 3, 10, 9), (9, 10)])
def test_conv_transpose2d_output_size(output_size):
    rng = np.random.default_rng(3)
    g_layer, t_layer = _pair_of_layers("ConvTranspose2d", (3, 2, 3), dict(stride=2, padding=1))
    _check_layer(g_layer, t_layer, rng.standard_normal((2, 3, 5, 5)), rng, output_size=output_size)


def test_conv_transpose2d_output_size_out_of_range():
    layer = gnn.ConvTranspose2d(3, 2, 3, stride=2, padding=1)
    with pytest.raises(ValueError, match="valid sizes range from"):
        layer(gradiente.zeros(1, 3, 5, 5), output_size=(12, 12))


@pytest.mark.parametrize(
    "name, args, kwargs",
    [
        ("Conv2d", (1, 6, 5), {}),
        ("Conv2d", (4, 8, (3, 2)), dict(groups=2, bias=False)),
        ("Conv1d", (3, 5, 4), dict(stride=2)),
        ("ConvTranspose2d", (4, 6, 3), dict(groups=2)),
        ("ConvTranspose2d", (3, 5, 2), dict(bias=False)),
    ],
)
def test_same_seed_same_init_as_torch(name, args, kwargs):
    torch.manual_seed(1234)
    t_layer = getattr(torch.nn, name)(*args, **kwargs)
    gradiente.manual_seed(1234)
    g_layer = getattr(gnn, name)(*args, **kwargs)
    assert list(g_layer.state_dict()) == list(t_layer.state_dict())
    for pname, p in t_layer.named_parameters():
        got = getattr(g_layer, pname)
        assert got.dtype == gradiente.float32
        np.testing.assert_array_equal(got.detach().numpy(), p.detach().numpy(), err_msg=pname)


@pytest.mark.parametrize(
    "name, args, kwargs",
    [
        ("Conv2d", (1, 6, 5), {}),
        ("Conv2d", (3, 8, (3, 5)), dict(stride=2, padding=(1, 2), dilation=(2, 1), bias=False)),
        ("Conv2d", (4, 8, 3), dict(padding="same", groups=2, padding_mode="reflect")),
        ("Conv2d", (4, 4, 3), dict(padding="valid")),
        ("Conv1d", (3, 6, 3), dict(stride=2)),
        ("Conv1d", (3, 6, 3), dict(padding=1, dilation=3)),
        ("ConvTranspose2d", (3, 6, 3), dict(stride=2, output_padding=1, groups=3)),
        ("ConvTranspose2d", (3, 6, 3), dict(padding=1, dilation=2, bias=False)),
    ],
)
def test_repr_matches_torch(name, args, kwargs):
    assert repr(getattr(gnn, name)(*args, **kwargs)) == repr(
        getattr(torch.nn, name)(*args, **kwargs)
    )


def test_channel_and_rank_errors_are_in_torchs_words():
    layer = gnn.Conv2d(3, 6, 5)
    with pytest.raises(
        RuntimeError,
        match=r"^Given groups=1, weight of size \[6, 3, 5, 5\], expected input\[64, 1, 28, 28\] to "
        r"have 3 channels, but got 1 channels instead$",
    ):
        layer(gradiente.zeros(64, 1, 28, 28))
    with pytest.raises(
        RuntimeError, match=r"Expected 3D \(unbatched\) or 4D \(batched\) input to conv2d"
    ):
        layer(gradiente.zeros(28, 28))
    with pytest.raises(RuntimeError, match="Kernel size can't be greater"):
        layer(gradiente.zeros(1, 3, 4, 4))
    with pytest.raises(RuntimeError, match=r"expected input\[1, 3, 8\] to have 2 channels"):
        gnn.Conv1d(2, 3, 3)(gradiente.zeros(1, 3, 8))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(groups=2), "in_channels must be divisible by groups"),
        (dict(groups=0), "groups must be a positive integer"),
        (dict(padding="full"), "Invalid padding string"),
        (dict(padding="same", stride=2), "not supported for strided"),
        (dict(padding_mode="mirror"), "padding_mode must be one of"),
    ],
)
def test_constructor_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        gnn.Conv2d(3, 6, 3, **kwargs)


def test_conv_transpose_rejects_padding_modes():
    with pytest.raises(ValueError, match='Only "zeros" padding mode'):
        gnn.ConvTranspose2d(3, 6, 3, padding_mode="reflect")


def test_lenet_style_stack_trains_like_torch():
    """Conv2d/MaxPool2d/Linear stack: one SGD step gives torch's loss and weights."""
    rng = np.random.default_rng(4)
    torch.manual_seed(0)
    t_net = torch.nn.Sequential(
        torch.nn.Conv2d(1, 6, 5, padding=2),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(6, 16, 5),
        torch.nn.ReLU(),
        torch.nn.AvgPool2d(2),
        torch.nn.Flatten(),
        torch.nn.Linear(16 * 5 * 5, 10),
    ).double()
    gradiente.manual_seed(0)
    g_net = gnn.Sequential(
        gnn.Conv2d(1, 6, 5, padding=2),
        gnn.ReLU(),
        gnn.MaxPool2d(2),
        gnn.Conv2d(6, 16, 5),
        gnn.ReLU(),
        gnn.AvgPool2d(2),
        gnn.Flatten(),
        gnn.Linear(16 * 5 * 5, 10),
    ).double()
    x = rng.standard_normal((3, 1, 28, 28))
    y = np.array([1, 7, 3])
    losses = []
    for net, mod in ((g_net, gradiente), (t_net, torch)):
        loss = mod.nn.functional.cross_entropy(net(mod.from_numpy(x)), mod.from_numpy(y))
        loss.backward()
        with mod.no_grad():
            for p in net.parameters():
                p -= 0.1 * p.grad
        losses.append(loss.item())
    assert losses[0] == pytest.approx(losses[1], rel=1e-10)
    for (name, gp), tp in zip(g_net.named_parameters(), t_net.parameters(), strict=True):
        np.testing.assert_allclose(
            gp.detach().numpy(), tp.detach().numpy(), rtol=1e-9, err_msg=name
        )
