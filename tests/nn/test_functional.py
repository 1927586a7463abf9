"""nn.functional: activations, normalisation, dropout, padding and helpers against torch.

Every differentiable function goes through ``check_op``: forward, gradients for a random
upstream gradient, gradcheck, and (for the activations) second derivatives, all in float64.
"""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import math
import warnings

import numpy as np
import pytest

import gradiente
import gradiente.nn.functional as F
from conftest import assert_same, check_op, leaf, to_torch
from gradiente.ops.activation import erf, erfinv

torch = pytest.importorskip("torch")


def _rand(shape, seed=0, low=-3.0, high=3.0):
    return np.random.default_rng(seed).uniform(low, high, shape)


def _away_from(values, points, gap=1e-3):
    """Move values off the kinks (``points``) so central differences stay valid."""
    for p in points:
        near = np.abs(values - p) < gap
        values[near] += 4 * gap
    return values


ACTIVATIONS = {
    "relu": (lambda m, x: m.nn.functional.relu(x), [0.0]),
    "relu6": (lambda m, x: m.nn.functional.relu6(x), [0.0, 6.0]),
    "leaky_relu": (lambda m, x: m.nn.functional.leaky_relu(x, 0.2), [0.0]),
    "leaky_relu_default": (lambda m, x: m.nn.functional.leaky_relu(x), [0.0]),
    "hardtanh": (lambda m, x: m.nn.functional.hardtanh(x, -0.5, 1.5), [-0.5, 1.5]),
    "elu": (lambda m, x: m.nn.functional.elu(x), [0.0]),
    "elu_alpha": (lambda m, x: m.nn.functional.elu(x, alpha=0.7), [0.0]),
    "gelu": (lambda m, x: m.nn.functional.gelu(x), []),
    "gelu_tanh": (lambda m, x: m.nn.functional.gelu(x, approximate="tanh"), []),
    "silu": (lambda m, x: m.nn.functional.silu(x), []),
    "softplus": (lambda m, x: m.nn.functional.softplus(x), []),
    "softplus_beta": (lambda m, x: m.nn.functional.softplus(x, beta=2.0, threshold=3.0), [1.5]),
    "logsigmoid": (lambda m, x: m.nn.functional.logsigmoid(x), []),
    "tanh": (lambda m, x: m.nn.functional.tanh(x), []),
    "sigmoid": (lambda m, x: m.nn.functional.sigmoid(x), []),
    "softmax": (lambda m, x: m.nn.functional.softmax(x, dim=-1), []),
    "log_softmax": (lambda m, x: m.nn.functional.log_softmax(x, dim=0), []),
    "softmin": (lambda m, x: m.nn.functional.softmin(x, dim=-1), []),
    "selu": (lambda m, x: m.nn.functional.selu(x), [0.0]),
    "celu": (lambda m, x: m.nn.functional.celu(x, alpha=0.7), [0.0]),
    "mish": (lambda m, x: m.nn.functional.mish(x), []),
    "hardswish": (lambda m, x: m.nn.functional.hardswish(x), [-3.0, 3.0]),
    "hardsigmoid": (lambda m, x: m.nn.functional.hardsigmoid(x), [-3.0, 3.0]),
    "softsign": (lambda m, x: m.nn.functional.softsign(x), [0.0]),
    "tanhshrink": (lambda m, x: m.nn.functional.tanhshrink(x), []),
    "threshold": (lambda m, x: m.nn.functional.threshold(x, 0.5, -2.0), [0.5]),
    "hardshrink": (lambda m, x: m.nn.functional.hardshrink(x, 0.7), [-0.7, 0.7]),
    "softshrink": (lambda m, x: m.nn.functional.softshrink(x), [-0.5, 0.5]),
    "glu": (lambda m, x: m.nn.functional.glu(x, dim=0), []),
}


@pytest.mark.parametrize("name", ACTIVATIONS)
@pytest.mark.parametrize("shape", [(8,), (4, 5), (2, 3, 4)])
def test_activation_matches_torch(name, shape):
    fn, kinks = ACTIVATIONS[name]
    # torch has no second derivative of hardsigmoid
    check_op(fn, _away_from(_rand(shape), kinks), double=name != "hardsigmoid")


@pytest.mark.parametrize(
    "name",
    [
        "relu",
        "relu6",
        "leaky_relu",
        "hardtanh",
        "elu",
        "selu",
        "hardswish",
        "hardsigmoid",
        "threshold",
        "hardshrink",
        "softshrink",
    ],
)
def test_activation_at_kinks_matches_torch(name):
    """The gradient exactly at the kinks follows PyTorch's conventions."""
    fn, kinks = ACTIVATIONS[name]
    x = np.array(kinks + [-1.0, 0.25, 7.0])
    check_op(fn, x, gradcheck=False)


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_float32_and_extremes(approximate):
    x = np.concatenate([np.linspace(-12, 12, 241), [-40.0, 40.0, 0.0]]).astype(np.float32)
    g = F.gelu(gradiente.from_numpy(x), approximate=approximate)
    # Against torch in float64: float32 torch loses digits to cancellation in 1 + erf(x/√2)
    # near x = −3, where gradiente stays within float32 rounding of the exact value.
    t = torch.nn.functional.gelu(torch.from_numpy(x.astype(np.float64)), approximate=approximate)
    assert g.dtype == gradiente.float32
    np.testing.assert_allclose(g.numpy(), t.numpy(), rtol=1e-6, atol=1e-9)


def test_softplus_large_inputs_do_not_overflow():
    x = np.array([-1000.0, -50.0, 0.0, 19.0, 21.0, 1000.0])
    check_op(lambda m, a: m.nn.functional.softplus(a), x, gradcheck=False)
    check_op(lambda m, a: m.nn.functional.logsigmoid(a), x, gradcheck=False)


def test_erf_is_full_double_precision():
    x = np.concatenate(
        [
            np.linspace(-8, 8, 16001),
            np.logspace(-300, 1, 500),
            -np.logspace(-300, 1, 500),
            [0.46875, 4.0, np.inf, -np.inf],
        ]
    )
    ref = np.array([math.erf(v) for v in x])
    err = np.abs(erf(x) - ref) / np.maximum(np.abs(ref), 1e-300)
    assert err.max() < 1e-15
    assert np.isnan(erf(np.array([np.nan]))).all()


def test_erfinv_matches_torch():
    y = np.concatenate([np.linspace(-0.999, 0.999, 2001), [-1.0, 1.0, 0.0, 1.5]])
    t = torch.erfinv(torch.from_numpy(y)).numpy()
    np.testing.assert_allclose(erfinv(y), t, rtol=1e-12, atol=1e-14)
    y32 = y.astype(np.float32)
    t32 = torch.erfinv(torch.from_numpy(y32)).numpy()
    np.testing.assert_allclose(erfinv(y32), t32, rtol=2e-6)


@pytest.mark.parametrize("name", ["relu", "leaky_relu", "elu", "silu", "hardtanh", "relu6"])
def test_inplace_activation(name):
    fn = getattr(F, name)
    x = _away_from(_rand((4, 5)), [0.0, 6.0, -1.0, 1.0])
    g_in = gradiente.from_numpy(x.copy()).requires_grad_()
    t_in = torch.from_numpy(x.copy()).requires_grad_()
    g_mid, t_mid = g_in * 1.5, t_in * 1.5
    g_out = fn(g_mid, inplace=True)
    t_out = getattr(torch.nn.functional, name)(t_mid, inplace=True)
    assert g_out is g_mid
    assert_same(g_mid, t_mid)
    up = np.random.default_rng(3).standard_normal((4, 5))
    g_out.backward(gradiente.from_numpy(up))
    t_out.backward(torch.from_numpy(up))
    assert_same(g_in.grad, t_in.grad)


@pytest.mark.parametrize(
    "name,kwargs",
    [
        ("gelu", {}),
        ("gelu", {"approximate": "tanh"}),
        ("silu", {}),
        ("elu", {"alpha": 0.7}),
        ("selu", {}),
        ("celu", {"alpha": 1.3}),
        ("softplus", {"beta": 2.0}),
        ("logsigmoid", {}),
        ("mish", {}),
        ("softsign", {}),
        ("tanhshrink", {}),
        ("hardswish", {}),
        ("leaky_relu", {"negative_slope": 0.2}),
    ],
)
def test_third_derivatives_of_activations_match_torch(name, kwargs):
    """Activations' derivatives are written with Tensor ops: every order is exact (it used to
    stop at the second)."""
    x = _rand((7,)) * 3

    def third(m):
        t = m.tensor(x, dtype=m.float64, requires_grad=True)
        y = getattr(m.nn.functional, name)(t, **kwargs).sum()
        (g1,) = m.autograd.grad(y, t, create_graph=True)
        (g2,) = m.autograd.grad(g1.sum(), t, create_graph=True)
        if not g2.requires_grad:  # piecewise-linear: f'' is zeros that depend on nothing
            return g2.detach().numpy(), "flat"
        (g3,) = m.autograd.grad(g2.sum(), t, allow_unused=True)
        return (np.zeros(x.shape) if g3 is None else g3.detach().numpy()), "smooth"

    got, want = third(gradiente), third(torch)
    assert got[1] == want[1]
    # (1e-6: torch evaluates celu's 1/alpha in single precision)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-6, atol=1e-12)


def test_softmax_implicit_dim_warns_like_torch():
    x = _rand((2, 3))
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        g = F.softmax(gradiente.from_numpy(x))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = torch.nn.functional.softmax(torch.from_numpy(x))
    assert_same(g, t)


# ----------------------------------------------------------------------------------- linear


@pytest.mark.parametrize("shape", [(5,), (4, 5), (2, 3, 5)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_matches_torch(shape, bias):
    arrays = [_rand(shape), _rand((3, 5), 1)] + ([_rand((3,), 2)] if bias else [])
    check_op(lambda m, x, w, *b: m.nn.functional.linear(x, w, *b), *arrays, double=True)


def test_linear_bad_shapes_say_what_was_expected():
    x = gradiente.zeros(64, 28)
    w = gradiente.zeros(10, 784)
    with pytest.raises(RuntimeError, match=r"784 features.*\(64, 28\)"):
        F.linear(x, w)
    with pytest.raises(RuntimeError, match="same dtype"):
        F.linear(gradiente.zeros(2, 784, dtype=gradiente.float64), w)


def test_bilinear_matches_torch():
    arrays = [_rand((4, 3)), _rand((4, 2), 1), _rand((5, 3, 2), 2), _rand((5,), 3)]
    check_op(lambda m, a, b, w, c: m.nn.functional.bilinear(a, b, w, c), *arrays)


# ---------------------------------------------------------------------------- normalisation


@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (3, 3, 4, 2)])
@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_training_matches_torch(shape, affine):
    C = shape[1]
    x = _rand(shape)
    params = [_rand((C,), 1), _rand((C,), 2)] if affine else []
    stats = {}

    def op(m, x, *wb):
        rm = m.zeros(C, dtype=m.float64)
        rv = m.ones(C, dtype=m.float64)
        out = m.nn.functional.batch_norm(x, rm, rv, *wb, training=True, momentum=0.3)
        stats.setdefault(m.__name__, (rm, rv))  # the first call (gradcheck calls it again)
        return out

    check_op(op, x, *params, double=True)
    for g_buf, t_buf in zip(stats["gradiente"], stats["torch"], strict=True):
        assert_same(g_buf, t_buf)


def test_batch_norm_eval_matches_torch():
    x, w, b = _rand((5, 3, 4)), _rand((3,), 1), _rand((3,), 2)
    rm, rv = _rand((3,), 3), _rand((3,), 4, 0.5, 2.0)

    def op(m, x, w, b):
        mean, var = m.from_numpy(rm.copy()), m.from_numpy(rv.copy())
        return m.nn.functional.batch_norm(x, mean, var, w, b, training=False, eps=1e-3)

    check_op(op, x, w, b, double=True)


def test_batch_norm_needs_more_than_one_value_per_channel():
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        F.batch_norm(gradiente.zeros(1, 3), None, None, training=True)


@pytest.mark.parametrize(
    "shape,normalized", [((4, 5), (5,)), ((2, 3, 4), (3, 4)), ((3, 4), (3, 4))]
)
@pytest.mark.parametrize("affine", [True, False])
def test_layer_norm_matches_torch(shape, normalized, affine):
    params = [_rand(normalized, 1), _rand(normalized, 2)] if affine else []
    check_op(
        lambda m, x, *wb: m.nn.functional.layer_norm(x, normalized, *wb, eps=1e-4),
        _rand(shape),
        *params,
        double=True,
    )


def test_layer_norm_bad_shape_message():
    with pytest.raises(RuntimeError, match=r"expected input with shape \[\*, 5\]"):
        F.layer_norm(gradiente.zeros(3, 4), (5,))


def test_normalize_and_cosine_similarity_match_torch():
    check_op(lambda m, x: m.nn.functional.normalize(x, dim=1), _rand((4, 3)))
    check_op(lambda m, x: m.nn.functional.normalize(x, p=1.0, dim=0), _rand((4, 3)))
    check_op(
        lambda m, a, b: m.nn.functional.cosine_similarity(a, b), _rand((4, 3)), _rand((4, 3), 1)
    )
    # A zero vector: the norm is clamped to eps and its gradient there is 0, as in torch.
    zero = np.zeros((2, 3))
    check_op(
        lambda m, a, b: m.nn.functional.cosine_similarity(a, b, dim=1),
        zero,
        _rand((2, 3), 2),
        gradcheck=False,
    )
    check_op(
        lambda m, x: m.nn.functional.normalize(x, dim=1),
        np.vstack([zero, _rand((1, 3))]),
        gradcheck=False,
    )


# ---------------------------------------------------------------------------------- dropout


@pytest.mark.parametrize("p", [0.0, 0.2, 0.5, 1.0])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_dropout_draws_the_same_mask_as_torch(p, dtype):
    x = _rand((8, 40)).astype(dtype)
    gradiente.manual_seed(7)
    torch.manual_seed(7)
    g_in, t_in = leaf(x), to_torch(leaf(x))
    g = F.dropout(g_in, p)
    t = torch.nn.functional.dropout(t_in, p)
    assert_same(g, t, rtol=0, atol=0)
    up = _rand((8, 40), 5).astype(dtype)
    g.backward(gradiente.from_numpy(up))
    t.backward(torch.from_numpy(up))
    assert_same(g_in.grad, t_in.grad, rtol=0, atol=0)


@pytest.mark.parametrize(
    "fn,shape", [("dropout1d", (3, 4, 5)), ("dropout2d", (3, 4, 5, 2)), ("dropout1d", (4, 5))]
)
def test_channel_dropout_same_mask_as_torch(fn, shape):
    x = _rand(shape)
    gradiente.manual_seed(3)
    torch.manual_seed(3)
    g = getattr(F, fn)(gradiente.from_numpy(x), 0.4)
    t = getattr(torch.nn.functional, fn)(torch.from_numpy(x), 0.4)
    assert_same(g, t, rtol=0, atol=0)


def test_dropout_eval_is_identity_and_bad_p_raises():
    x = gradiente.ones(3)
    assert F.dropout(x, 0.5, training=False) is x
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.dropout(x, 1.5)


# ---------------------------------------------------------------------------------- padding


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
@pytest.mark.parametrize(
    "shape,pad", [((2, 3, 5), (2, 1)), ((1, 2, 4, 5), (1, 2, 3, 0)), ((1, 2, 3, 4), (0, 1, 2, 2))]
)
def test_pad_matches_torch(mode, shape, pad):
    check_op(lambda m, x: m.nn.functional.pad(x, pad, mode=mode), _rand(shape))


def test_pad_constant_value_and_negative_crop():
    check_op(lambda m, x: m.nn.functional.pad(x, (1, -1, 2, 0), value=3.5), _rand((3, 4)))


def test_pad_errors():
    with pytest.raises(RuntimeError, match="divisible by 2"):
        F.pad(gradiente.zeros(2, 3), (1, 2, 3))
    with pytest.raises(RuntimeError, match="Padding size should be less"):
        F.pad(gradiente.zeros(1, 1, 3), (3, 3), mode="reflect")


# ------------------------------------------------------------------------------------- misc


def test_one_hot_matches_torch():
    idx = np.array([[0, 3], [2, 1]])
    g = F.one_hot(gradiente.from_numpy(idx))
    t = torch.nn.functional.one_hot(torch.from_numpy(idx))
    assert_same(g, t)
    assert_same(
        F.one_hot(gradiente.from_numpy(idx), 6),
        torch.nn.functional.one_hot(torch.from_numpy(idx), 6),
    )
    with pytest.raises(RuntimeError, match="smaller than num_classes"):
        F.one_hot(gradiente.from_numpy(idx), 3)


def test_erf_op_matches_torch_erf():
    from gradiente.ops.activation import Erf

    check_op(
        lambda m, x: Erf.apply(x) if m is gradiente else torch.erf(x), _rand((4, 5)), double=True
    )


# --------------------------------------------------------- prelu, embedding, norms, resampling


@pytest.mark.parametrize("shape,n", [((4, 3), 1), ((4, 3), 3), ((2, 3, 5), 3), ((2, 3, 2, 2), 3)])
def test_prelu_matches_torch(shape, n):
    x = _away_from(_rand(shape), [0.0])
    check_op(lambda m, a, w: m.nn.functional.prelu(a, w), x, _rand((n,), 1, 0.1, 0.5))


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"padding_idx": 2}, {"padding_idx": -1}, {"scale_grad_by_freq": True}],
)
def test_embedding_matches_torch(kwargs):
    ids = np.array([[1, 2, 9], [2, 2, 0]])
    check_op(
        lambda m, w, i: m.nn.functional.embedding(i, w, **kwargs),
        _rand((10, 4)),
        ids,
        gradcheck=False,
    )
    if not kwargs:  # padding_idx and scale_grad_by_freq change the gradient on purpose
        w = leaf(_rand((10, 4)))
        assert gradiente.autograd.gradcheck(lambda t: F.embedding(gradiente.tensor(ids), t), [w])


def test_embedding_max_norm_renormalises_the_rows_it_reads():
    table = _rand((6, 3), 2) * 3
    ids = np.array([0, 3, 3])
    g_w, t_w = gradiente.from_numpy(table.copy()), torch.from_numpy(table.copy())
    g = F.embedding(gradiente.tensor(ids), g_w, max_norm=1.5)
    t = torch.nn.functional.embedding(torch.from_numpy(ids), t_w, max_norm=1.5)
    assert_same(g, t)
    assert_same(g_w, t_w, what="renormalised table")


def test_embedding_bad_indices():
    with pytest.raises(IndexError, match="index out of range"):
        F.embedding(gradiente.tensor([0, 5]), gradiente.zeros(5, 2))
    with pytest.raises(RuntimeError, match="Long, Int"):
        F.embedding(gradiente.tensor([0.0]), gradiente.zeros(5, 2))


@pytest.mark.parametrize("groups,shape", [(1, (2, 4, 3)), (2, (3, 4, 2, 3)), (4, (2, 4, 5))])
@pytest.mark.parametrize("affine", [True, False])
def test_group_norm_matches_torch(groups, shape, affine):
    weight = (_rand((shape[1],), 1), _rand((shape[1],), 2)) if affine else ()
    check_op(
        lambda m, x, *wb: m.nn.functional.group_norm(x, groups, *wb, eps=1e-3),
        _rand(shape),
        *weight,
    )


@pytest.mark.parametrize("shape", [(2, 3, 5), (3, 2, 4, 3)])
@pytest.mark.parametrize("affine", [True, False])
def test_instance_norm_matches_torch(shape, affine):
    weight = (_rand((shape[1],), 1), _rand((shape[1],), 2)) if affine else (None, None)
    check_op(
        lambda m, x, w, b: m.nn.functional.instance_norm(x, weight=w, bias=b),
        _rand(shape),
        *weight,
    )


def test_instance_norm_running_statistics_match_torch():
    x = _rand((3, 2, 5))
    g_mean, g_var = gradiente.zeros(2, dtype=gradiente.float64), gradiente.ones(2)
    g_var = g_var.double()
    t_mean, t_var = torch.zeros(2, dtype=torch.float64), torch.ones(2, dtype=torch.float64)
    g = F.instance_norm(gradiente.from_numpy(x), g_mean, g_var, momentum=0.3)
    t = torch.nn.functional.instance_norm(torch.from_numpy(x), t_mean, t_var, momentum=0.3)
    assert_same(g, t)
    assert_same(g_mean, t_mean, what="running_mean")
    assert_same(g_var, t_var, what="running_var")
    g = F.instance_norm(gradiente.from_numpy(x), g_mean, g_var, use_input_stats=False)
    t = torch.nn.functional.instance_norm(torch.from_numpy(x), t_mean, t_var, use_input_stats=False)
    assert_same(g, t, what="with running statistics")


@pytest.mark.parametrize("eps", [None, 1e-3])
def test_rms_norm_matches_torch(eps):
    check_op(
        lambda m, x, w: m.nn.functional.rms_norm(x, (3, 4), w, eps=eps),
        _rand((2, 3, 4)),
        _rand((3, 4), 1),
    )


@pytest.mark.parametrize("r", [2, 3])
def test_pixel_shuffle_and_unshuffle_match_torch(r):
    check_op(lambda m, x: m.nn.functional.pixel_shuffle(x, r), _rand((2, 2 * r * r, 3, 2)))
    check_op(lambda m, x: m.nn.functional.pixel_unshuffle(x, r), _rand((2, 2, 3 * r, 2 * r)))


INTERPOLATIONS = [
    ((2, 3, 5), {"scale_factor": 2}),
    ((2, 3, 5), {"size": 7}),
    ((2, 3, 5), {"scale_factor": 1.7}),
    ((2, 3, 4, 5), {"scale_factor": 2}),
    ((2, 3, 4, 5), {"scale_factor": (3, 0.5)}),
    ((2, 3, 4, 5), {"size": (7, 3)}),
    ((2, 3, 4, 5), {"scale_factor": 1.5, "recompute_scale_factor": True}),
    ((2, 3, 4), {"scale_factor": 2.5, "mode": "linear"}),
    ((2, 3, 4), {"size": 9, "mode": "linear", "align_corners": True}),
    ((2, 3, 4, 5), {"scale_factor": 2, "mode": "bilinear"}),
    ((2, 3, 4, 5), {"size": (3, 8), "mode": "bilinear"}),
    ((2, 3, 4, 5), {"scale_factor": (1.5, 0.5), "mode": "bilinear"}),
    ((2, 3, 4, 5), {"size": (7, 6), "mode": "bilinear", "align_corners": True}),
    ((1, 2, 2, 3, 2), {"scale_factor": 2, "mode": "trilinear"}),
    ((1, 2, 2, 3, 2), {"size": (3, 2, 4)}),
]


@pytest.mark.parametrize("shape,kwargs", INTERPOLATIONS)
def test_interpolate_matches_torch(shape, kwargs):
    check_op(lambda m, x: m.nn.functional.interpolate(x, **kwargs), _rand(shape))


def test_interpolate_float32_nearest_indices_match_torch():
    x = np.arange(2 * 37, dtype=np.float32).reshape(1, 2, 37)
    for factor in (0.3, 1.3, 1.7, 2.9):
        g = F.interpolate(gradiente.from_numpy(x), scale_factor=factor)
        t = torch.nn.functional.interpolate(torch.from_numpy(x), scale_factor=factor)
        assert_same(g, t, what=f"scale_factor={factor}")


def test_interpolate_bad_arguments():
    x = gradiente.zeros(1, 1, 4)
    with pytest.raises(ValueError, match="either size or scale_factor"):
        F.interpolate(x)
    with pytest.raises(NotImplementedError, match="bicubic"):
        F.interpolate(x, scale_factor=2, mode="bicubic")
    with pytest.raises(NotImplementedError, match="needs 4D input"):
        F.interpolate(x, scale_factor=2, mode="bilinear")


def test_pairwise_distance_matches_torch():
    check_op(
        lambda m, a, b: m.nn.functional.pairwise_distance(a, b, p=3, keepdim=True),
        _rand((4, 5)),
        _rand((4, 5), 1),
    )
