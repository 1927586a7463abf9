"""Findings of this round's program hunts outside the hunters' own files, each checked against
torch: the incomplete gamma functions of 0-d tensors, GradScaler's accessors and torch.amp's
decorators, and LayerNorm no longer resetting Python's record of warnings already shown."""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import warnings

import numpy as np
import pytest

import gradiente
from gradiente import compat

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("op", ["igamma", "igammac"])
@pytest.mark.parametrize("a, x", [(2.0, 1.5), (0.5, 3.0), (3.0, 0.0), (0.0, 1.0)])
def test_incomplete_gamma_of_zero_d_tensors(op, a, x):
    got = getattr(gradiente, op)(gradiente.tensor(a), gradiente.tensor(x))
    expected = getattr(torch, op)(torch.tensor(a), torch.tensor(x))
    assert got.shape == expected.shape == ()
    np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-6)


def test_gamma_cdf_with_scalar_parameters():
    got = gradiente.distributions.Gamma(gradiente.tensor(2.0), gradiente.tensor(3.0))
    expected = torch.distributions.Gamma(torch.tensor(2.0), torch.tensor(3.0))
    np.testing.assert_allclose(
        got.cdf(gradiente.tensor(0.5)).numpy(), expected.cdf(torch.tensor(0.5)).numpy(), rtol=1e-6
    )


def test_grad_scaler_accessors_as_torch():
    ours, theirs = (
        compat.GradScaler("cpu", growth_interval=2),
        torch.amp.GradScaler("cpu", growth_interval=2),
    )
    for scaler in (ours, theirs):
        scaler.set_growth_factor(3.0)
        scaler.set_backoff_factor(0.25)
        scaler.set_growth_interval(5)
    for name in ("get_growth_factor", "get_backoff_factor", "get_growth_interval"):
        assert getattr(ours, name)() == getattr(theirs, name)()
    assert ours.state_dict() == theirs.state_dict()


def test_custom_fwd_and_bwd_decorate_a_function():
    class Double(gradiente.autograd.Function):
        @staticmethod
        @compat.custom_fwd(device_type="cpu", cast_inputs=gradiente.float32)
        def forward(ctx, x):
            return x * 2

        @staticmethod
        @compat.custom_bwd(device_type="cpu")
        def backward(ctx, grad):
            return grad * 2

    x = gradiente.ones(3, requires_grad=True)
    Double.apply(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0, 2.0])
    with pytest.raises(ValueError, match="device_type"):
        compat.custom_fwd(device_type=None)
    assert compat.is_autocast_available("cpu") == torch.amp.is_autocast_available("cpu")


def test_layer_norm_does_not_repeat_once_warnings():
    """A warning shown once per location stays shown once while LayerNorm runs between."""

    def warn_once():
        warnings.warn("shown once", UserWarning, stacklevel=1)

    norm = gradiente.nn.LayerNorm(4)
    x = gradiente.randn(2, 4)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("default")
        for _ in range(3):
            warn_once()
            norm(x)
    assert [str(w.message) for w in seen] == ["shown once"]
    with warnings.catch_warnings(record=True) as seen:  # empty statistics stay quiet
        warnings.simplefilter("always")
        out = gradiente.nn.functional.layer_norm(gradiente.zeros(2, 0), (0,))
    assert out.shape == (2, 0) and not seen


def _error_of(call):
    try:
        call()
    except Exception as e:  # noqa: BLE001 - the error is the result compared
        return type(e).__name__, str(e).splitlines()[0]
    return None


@pytest.mark.parametrize(
    "make",
    [
        lambda lib: lib.broadcast_tensors(lib.zeros(2), lib.ones(3)),
        lambda lib: lib.broadcast_tensors(lib.zeros(2, 1), lib.ones(3), lib.ones(4, 1)),
        lambda lib: lib.broadcast_shapes((2,), (3,)),
        lambda lib: lib.broadcast_shapes((2, 3), (4, 1, 3), 5),
        lambda lib: lib.nn.functional.adaptive_max_pool2d(lib.randn(2, 0, 3, 3), 2),
        lambda lib: lib.nn.functional.adaptive_max_pool1d(lib.randn(2, 3, 0), 2),
        lambda lib: lib.nn.HuberLoss(delta=-1.0)(lib.ones(2), lib.zeros(2)),
        lambda lib: lib.ones(3, dtype=lib.long).uniform_(),
        lambda lib: lib.ones(3, dtype=lib.long).normal_(),
        lambda lib: lib.ones(3, dtype=lib.bool).exponential_(),
        lambda lib: lib.ones(3, dtype=lib.long).cauchy_(),
        lambda lib: lib.ones(3, dtype=lib.int32).log_normal_(),
        lambda lib: lib.ones(3, dtype=lib.bool).geometric_(0.5),
        lambda lib: lib.nn.functional.cross_entropy(lib.randn(3, 4), [0, 1, 2]),
    ],
)
def test_errors_as_torch(make):
    assert _error_of(lambda: make(gradiente)) == _error_of(lambda: make(torch))


def test_broadcast_shapes_and_empty_adaptive_max_pool_values():
    assert tuple(gradiente.broadcast_shapes((2, 3), (4, 1, 3), 3)) == (4, 2, 3)
    for shape in [(0, 2, 3, 3), (0, 3, 3)]:
        ours = gradiente.nn.functional.adaptive_max_pool2d(
            gradiente.randn(*shape, requires_grad=True), 2, return_indices=True
        )
        theirs = torch.nn.functional.adaptive_max_pool2d(
            torch.randn(*shape, requires_grad=True), 2, return_indices=True
        )
        assert [tuple(t.shape) for t in ours] == [tuple(t.shape) for t in theirs]
        assert ours[0].requires_grad and ours[1].dtype == gradiente.int64


def test_round_with_decimals_is_torchs_other_node():
    x = gradiente.randn(3, requires_grad=True)
    assert x.round().grad_fn.name() == "RoundBackward0"
    assert x.round(decimals=0).grad_fn.name() == "RoundBackward1"
    np.testing.assert_allclose(
        gradiente.tensor([1.2345, -2.675]).round(decimals=2).numpy(),
        torch.tensor([1.2345, -2.675]).round(decimals=2).numpy(),
    )


def test_multi_head_attention_forward_is_in_functional():
    F = gradiente.nn.functional
    mha = gradiente.nn.MultiheadAttention(4, 2)
    x = gradiente.randn(3, 1, 4)
    out, _ = F.multi_head_attention_forward(
        x, x, x, 4, 2, mha.in_proj_weight, mha.in_proj_bias, None, None, False, 0.0,
        mha.out_proj.weight, mha.out_proj.bias, training=False,
    )  # fmt: skip
    np.testing.assert_allclose(out.detach().numpy(), mha(x, x, x)[0].detach().numpy(), rtol=1e-6)


def test_dropout3d_of_a_3d_input_warns_and_drops_as_torch():
    outputs = []
    for lib in (gradiente, torch):
        lib.manual_seed(0)
        with pytest.warns(UserWarning, match="Received a 3-D input to dropout3d"):
            outputs.append(lib.nn.functional.dropout3d(lib.ones(2, 3, 4), 0.5).numpy())
    np.testing.assert_array_equal(*outputs)


def test_typename_names_classes_by_module():
    assert gradiente.typename(np.zeros(1)) == torch.typename(np.zeros(1)) == "numpy.ndarray"
    assert gradiente.typename(gradiente.ones(1)) == "torch.FloatTensor"
    assert gradiente.typename(gradiente.nn.Linear) == "gradiente.nn.layers.linear.Linear"


@pytest.mark.parametrize("op", ["logaddexp", "logaddexp2"])
def test_logaddexp_of_equal_infinities(op):
    values = [-float("inf"), 2.5, 0.0, float("inf")]
    results = []
    for lib in (gradiente, torch):
        x = lib.tensor(values, requires_grad=True)
        y = getattr(lib, op)(x, x)
        results.append((y.detach().numpy(), lib.autograd.grad(y.sum(), x)[0].numpy()))
    for ours, theirs in zip(*results, strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, equal_nan=True)
