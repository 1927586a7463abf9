"""ChannelShuffle, LPPool, FractionalMaxPool2d, AdaptiveLogSoftmaxWithLoss, BatchNorm fusion
and stateless.functional_call, each compared with torch through the public API."""

from __future__ import annotations

import numpy as np
import pytest

import gradiente
from gradiente.autograd import gradcheck

torch = pytest.importorskip("torch")


def _both(fn, x, dtype="float32", upstream_seed=1):
    """``fn(lib, input)`` in gradiente and torch: (output, input gradient) for each, the
    gradient for a random upstream gradient."""
    results = []
    for lib in (gradiente, torch):
        xx = lib.tensor(x, dtype=getattr(lib, dtype), requires_grad=True)
        out = fn(lib, xx)
        upstream = np.random.default_rng(upstream_seed).standard_normal(tuple(out.shape))
        out.backward(lib.tensor(upstream, dtype=getattr(lib, dtype)))
        results.append((out.detach().numpy(), xx.grad.numpy()))
    return results


def _assert_close(results, rtol=1e-6, atol=1e-6):
    (g_out, g_grad), (t_out, t_grad) = results
    assert g_out.shape == t_out.shape and g_out.dtype == t_out.dtype
    np.testing.assert_allclose(g_out, t_out, rtol=rtol, atol=atol)
    np.testing.assert_allclose(g_grad, t_grad, rtol=rtol, atol=atol)


def _same_error(call, error=RuntimeError):
    messages = []
    for lib in (gradiente, torch):
        with pytest.raises(error) as err:
            call(lib)
        messages.append(str(err.value))
    assert messages[0] == messages[1]


# ---------------------------------------------------------------------------- channel shuffle
@pytest.mark.parametrize(
    ("shape", "groups"), [((2, 6, 3, 4), 3), ((1, 8, 5), 2), ((2, 4, 1, 2, 2), 4)]
)
def test_channel_shuffle_matches_torch(shape, groups):
    x = np.random.default_rng(0).standard_normal(shape)
    _assert_close(_both(lambda lib, t: lib.nn.functional.channel_shuffle(t, groups), x))
    _assert_close(_both(lambda lib, t: lib.nn.ChannelShuffle(groups)(t), x))
    assert repr(gradiente.nn.ChannelShuffle(groups)) == repr(torch.nn.ChannelShuffle(groups))


@pytest.mark.parametrize(
    ("shape", "groups"), [((2, 6, 3), 4), ((2, 6, 3), 0), ((2, 6), 2), ((6,), 3)]
)
def test_channel_shuffle_errors(shape, groups):
    _same_error(lambda lib: lib.nn.functional.channel_shuffle(lib.ones(shape), groups))


# ---------------------------------------------------------------------------- LP pooling
LP_CASES = [
    ("lp_pool1d", (2, 3, 11), 2, 3, None, False),
    ("lp_pool1d", (2, 3, 11), 3.0, 4, 2, True),
    ("lp_pool2d", (2, 3, 7, 8), 2, 3, None, False),
    ("lp_pool2d", (2, 3, 7, 8), 1.5, (2, 3), (1, 2), True),
    ("lp_pool2d", (2, 3, 7, 8), float("inf"), 2, None, False),
    ("lp_pool3d", (1, 2, 5, 6, 5), 2, 2, None, False),
    ("lp_pool3d", (1, 2, 5, 6, 5), 4, (2, 3, 2), 1, True),
]


@pytest.mark.parametrize(("name", "shape", "p", "kernel", "stride", "ceil"), LP_CASES)
def test_lp_pool_matches_torch(name, shape, p, kernel, stride, ceil):
    x = np.abs(np.random.default_rng(2).standard_normal(shape)) + 0.1
    for dtype in ("float32", "float64"):
        results = _both(
            lambda lib, t: getattr(lib.nn.functional, name)(t, p, kernel, stride, ceil), x, dtype
        )
        _assert_close(results, rtol=1e-5 if dtype == "float32" else 1e-12)
    module = "LPPool" + name[-2:]
    g = getattr(gradiente.nn, module)(p, kernel, stride, ceil)
    t = getattr(torch.nn, module)(p, kernel, stride, ceil)
    assert repr(g) == repr(t)


def test_lp_pool_gradcheck_and_zero_window():
    x = gradiente.tensor(
        np.random.default_rng(3).uniform(0.5, 2.0, (1, 2, 5, 5)), requires_grad=True
    )
    assert gradcheck(lambda t: gradiente.nn.functional.lp_pool2d(t, 3, 2), (x,))
    # an all-zero window: value 0 and gradient 0, as torch
    zeros = np.zeros((1, 1, 4, 4))
    zeros[0, 0, 2:, 2:] = 1.0
    _assert_close(_both(lambda lib, t: lib.nn.functional.lp_pool2d(t, 2, 2), zeros))


# ---------------------------------------------------------------------------- fractional pool
FRACTIONAL_CASES = [
    {"kernel_size": 3, "output_size": 4},
    {"kernel_size": (2, 3), "output_ratio": (0.5, 0.6)},
    {"kernel_size": 2, "output_size": (8, 10)},
    {"kernel_size": 2, "output_size": 1},
]


@pytest.mark.parametrize("kwargs", FRACTIONAL_CASES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_fractional_max_pool2d_draws_as_torch(kwargs, dtype):
    x = np.random.default_rng(0).standard_normal((2, 3, 9, 11))
    results = []
    for lib in (gradiente, torch):
        lib.manual_seed(5)  # torch draws rand(N, C, 2) in the input's dtype
        xx = lib.tensor(x, dtype=getattr(lib, dtype), requires_grad=True)
        out, indices = lib.nn.functional.fractional_max_pool2d(xx, return_indices=True, **kwargs)
        weights = lib.arange(out.numel(), dtype=out.dtype).reshape(out.shape)
        (out * weights).sum().backward()
        results.append((out.detach().numpy(), indices.numpy(), xx.grad.numpy()))
        assert indices.dtype == lib.int64
    for a, b in zip(*results, strict=True):
        np.testing.assert_array_equal(a, b)


def test_fractional_max_pool2d_module_unbatched_and_given_samples():
    x = np.random.default_rng(1).standard_normal((3, 10, 10)).astype(np.float32)
    samples = np.random.default_rng(2).uniform(size=(1, 3, 2)).astype(np.float32)
    outs = []
    for lib in (gradiente, torch):
        pool = lib.nn.FractionalMaxPool2d(3, output_ratio=0.5, _random_samples=lib.tensor(samples))
        outs.append(pool(lib.tensor(x)).numpy())
        assert repr(pool) == "FractionalMaxPool2d()"
        assert list(pool.state_dict()) == ["_random_samples"]
    np.testing.assert_array_equal(*outs)


def test_fractional_max_pool2d_gradcheck():
    samples = gradiente.tensor(np.random.default_rng(4).uniform(size=(2, 2, 2)))
    x = gradiente.tensor(np.random.default_rng(5).standard_normal((2, 2, 7, 7)), requires_grad=True)

    def fn(t):
        return gradiente.nn.functional.fractional_max_pool2d(
            t, 2, output_size=4, _random_samples=samples
        )

    assert gradcheck(fn, (x,))


@pytest.mark.parametrize(
    "call",
    [
        lambda lib, x: lib.nn.functional.fractional_max_pool2d(x, 3, output_size=4),
        lambda lib, x: lib.nn.functional.fractional_max_pool2d(x, 2, output_size=5),
        lambda lib, x: lib.nn.functional.fractional_max_pool2d(
            x, 2, output_size=2, _random_samples=lib.rand(2, 6, 3)
        ),
        lambda lib, x: lib.nn.functional.fractional_max_pool2d(
            x.double(), 2, output_size=2, _random_samples=lib.rand(2, 6, 2)
        ),
    ],
)
def test_fractional_max_pool2d_runtime_errors(call):
    _same_error(lambda lib: call(lib, lib.ones(2, 6, 5, 5)))


@pytest.mark.parametrize(
    "call",
    [
        lambda lib: lib.nn.functional.fractional_max_pool2d(lib.ones(1, 1, 5, 5), 3),
        lambda lib: lib.nn.functional.fractional_max_pool2d(
            lib.ones(1, 1, 5, 5), 3, output_ratio=(0.5, 0.5, 0.5)
        ),
        lambda lib: lib.nn.FractionalMaxPool2d(3, output_ratio=1.5),
        lambda lib: lib.nn.FractionalMaxPool2d(3),
        lambda lib: lib.nn.FractionalMaxPool2d(3, output_size=2, output_ratio=0.5),
    ],
)
def test_fractional_max_pool2d_value_errors(call):
    _same_error(call, ValueError)


# ---------------------------------------------------------------------------- adaptive softmax
def test_adaptive_log_softmax_matches_torch():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((7, 8)).astype(np.float32)
    target = np.array([0, 3, 5, 9, 14, 2, 11])
    results = []
    for lib in (gradiente, torch):
        lib.manual_seed(0)
        m = lib.nn.AdaptiveLogSoftmaxWithLoss(8, 15, [4, 10], div_value=2.0, head_bias=True)
        xx = lib.tensor(x, requires_grad=True)
        output, loss = m(xx, lib.tensor(target))
        loss.backward()
        single = m(xx[2].detach(), lib.tensor(target[2]))
        results.append(
            {
                "output": output.detach().numpy(),
                "loss": loss.item(),
                "grad": xx.grad.numpy(),
                "head_grad": m.head.weight.grad.numpy(),
                "log_prob": m.log_prob(xx).detach().numpy(),
                "predict": m.predict(xx).numpy(),
                "single": single.output.item(),
                "keys": list(m.state_dict()),
                "repr": repr(m),
            }
        )
    g, t = results
    assert g["keys"] == t["keys"] and g["repr"] == t["repr"]
    np.testing.assert_array_equal(g["predict"], t["predict"])
    for key in ("output", "loss", "grad", "head_grad", "log_prob", "single"):
        np.testing.assert_allclose(g[key], t[key], rtol=1e-5, atol=1e-6, err_msg=key)


def test_adaptive_log_softmax_errors():
    _same_error(lambda lib: lib.nn.AdaptiveLogSoftmaxWithLoss(8, 15, [4, 4]), ValueError)
    _same_error(lambda lib: lib.nn.AdaptiveLogSoftmaxWithLoss(8, 15, []), ValueError)

    def out_of_range(lib):
        lib.manual_seed(0)
        m = lib.nn.AdaptiveLogSoftmaxWithLoss(8, 15, [4])
        m(lib.ones(2, 8), lib.tensor([1, 15]))

    _same_error(out_of_range)


# ---------------------------------------------------------------------------- fusion
@pytest.mark.parametrize("transpose", [False, True])
def test_fuse_conv_bn_eval_matches_torch(transpose):
    x = np.random.default_rng(0).standard_normal((2, 3, 6, 6)).astype(np.float32)
    results = []
    for lib in (gradiente, torch):
        lib.manual_seed(0)
        conv = (lib.nn.ConvTranspose2d if transpose else lib.nn.Conv2d)(3, 4, 3, bias=False)
        bn = lib.nn.BatchNorm2d(4)
        bn.train()
        conv.train()
        bn(conv(lib.tensor(x)))  # running statistics that are not the identity
        conv.eval()
        bn.eval()
        fused = lib.nn.utils.fusion.fuse_conv_bn_eval(conv, bn, transpose=transpose)
        assert isinstance(fused.bias, lib.nn.Parameter) and fused.weight.requires_grad
        results.append(
            (
                fused(lib.tensor(x)).detach().numpy(),
                bn(conv(lib.tensor(x))).detach().numpy(),
                fused.bias.requires_grad,  # False: made from zeros_like(running_mean)
            )
        )
    assert results[0][2] == results[1][2]
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(results[0][0], results[0][1], rtol=1e-4, atol=1e-5)


def test_fuse_linear_bn_eval_matches_torch_and_errors():
    x = np.random.default_rng(1).standard_normal((5, 4)).astype(np.float32)
    fused_weights = []
    for lib in (gradiente, torch):
        lib.manual_seed(0)
        linear, bn = lib.nn.Linear(4, 3), lib.nn.BatchNorm1d(3)
        bn(linear(lib.tensor(x)))
        with pytest.raises(AssertionError, match="Fusion only for eval!"):
            lib.nn.utils.fuse_linear_bn_eval(linear, bn)
        linear.eval()
        bn.eval()
        fused = lib.nn.utils.fuse_linear_bn_eval(linear, bn)
        fused_weights.append((fused.weight.detach().numpy(), fused.bias.detach().numpy()))
        with pytest.raises(AssertionError, match="To fuse, linear.out_features == bn.num_features"):
            lib.nn.utils.fuse_linear_bn_eval(linear, lib.nn.BatchNorm1d(5).eval())
    for a, b in zip(*fused_weights, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6)


# ---------------------------------------------------------------------------- stateless
def test_stateless_functional_call_matches_torch():
    outs = []
    for lib in (gradiente, torch):
        lib.manual_seed(0)
        m = lib.nn.Linear(3, 2)
        replacement = {"weight": lib.ones(2, 3), "bias": lib.zeros(2)}
        with pytest.warns(FutureWarning, match="torch.func.functional_call"):
            out = lib.nn.utils.stateless.functional_call(m, replacement, lib.ones(1, 3))
        outs.append((out.numpy(), m.weight.detach().numpy()))
    np.testing.assert_allclose(outs[0][0], [[3.0, 3.0]])
    np.testing.assert_allclose(outs[0][0], outs[1][0])
    np.testing.assert_allclose(outs[0][1], outs[1][1])  # the module's own weights are back


# ---------------------------------------------------------------------------- CrossMapLRN2d
@pytest.mark.parametrize("size", [2, 3, 4, 5, 9])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_cross_map_lrn2d_matches_torch(size, dtype):
    # torch's backward is its legacy hand-written one, not the exact derivative (torch's own
    # gradcheck fails on it): gradiente reproduces torch's numbers instead of a gradcheck.
    x = np.random.default_rng(0).standard_normal((2, 7, 3, 4))
    results = _both(lambda lib, t: lib.nn.CrossMapLRN2d(size, 1e-2, 0.75, 1.5)(t), x, dtype)
    _assert_close(results, rtol=1e-5 if dtype == "float32" else 1e-13, atol=1e-6)
    assert repr(gradiente.nn.CrossMapLRN2d(size)) == repr(torch.nn.CrossMapLRN2d(size))


def test_cross_map_lrn2d_errors():
    _same_error(lambda lib: lib.nn.CrossMapLRN2d(3)(lib.ones(2, 3, 4)), ValueError)
    x = gradiente.ones(1, 3, 2, 2, requires_grad=True)
    y = gradiente.nn.CrossMapLRN2d(3)(x).sum()
    with pytest.raises(RuntimeError, match="does not support double backward"):
        gradiente.autograd.grad(y, x, create_graph=True)
