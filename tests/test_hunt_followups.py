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
