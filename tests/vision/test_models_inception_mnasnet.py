"""gradiente.vision.models' Inception v3 and MnasNet against the real torchvision 0.28.

Built after the same seed, each model's state dict has torchvision's keys, order, shapes and
exactly its values; after the same perturbation of the normalisation statistics and biases,
outputs agree in evaluation and training mode (with Inception's auxiliary head), and so do
gradients. MnasNet's state-dict versions (1: fixed stem, 2: scaled stem) load as in
torchvision."""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import warnings
from collections import OrderedDict

import numpy as np
import pytest

import gradiente
from conftest import real_torchvision
from gradiente.vision import models

torch = pytest.importorskip("torch")


@pytest.fixture(scope="module")
def tv():
    return real_torchvision()


def _build(tv, name, **kwargs):
    """(torchvision model, gradiente model), each built right after seeding with 0."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # inception's init_weights notice
        torch.manual_seed(0)
        t = getattr(tv.models, name)(**kwargs)
        gradiente.manual_seed(0)
        g = getattr(models, name)(**kwargs)
    return t, g


def _assert_same_init(t, g):
    ts, gs = t.state_dict(), g.state_dict()
    assert list(gs) == list(ts)
    for key, value in ts.items():
        assert tuple(gs[key].shape) == tuple(value.shape), key
        assert str(gs[key].dtype) == str(value.dtype), key
        np.testing.assert_array_equal(gs[key].numpy(), value.numpy(), err_msg=key)
    count = sum(p.numel() for p in t.parameters())
    assert sum(p.numel() for p in g.parameters()) == count
    return count


def _perturbed_state(t, seed=0):
    """torchvision's state moved off its initial values: running variances U(0.5, 1.5), other
    1-D entries plus N(0, 0.1²); weights scaled to unit gain (Inception's N(0, 0.1²) init
    makes activations grow ~10⁸-fold), so every layer shapes a moderate output."""
    rng = np.random.default_rng(seed)
    state = OrderedDict()
    for key, value in t.state_dict().items():
        a = value.numpy().copy()
        if a.dtype.kind == "f":
            if key.endswith("running_var"):
                a = rng.uniform(0.5, 1.5, a.shape).astype(a.dtype)
            elif a.ndim == 1:
                a = a + rng.normal(0, 0.1, a.shape).astype(a.dtype)
            else:
                fan_in = int(np.prod(a.shape[1:]))
                a = (a / (a.std() + 1e-12) / np.sqrt(fan_in)).astype(a.dtype)
        state[key] = a
    return state


def _load_same(t, g, state):
    """Load ``state`` into both, with the version metadata torch's ``state_dict`` carries."""
    t_state = OrderedDict((k, torch.from_numpy(v)) for k, v in state.items())
    g_state = OrderedDict((k, gradiente.from_numpy(v)) for k, v in state.items())
    t_state._metadata = g_state._metadata = t.state_dict()._metadata
    t.load_state_dict(t_state)
    g.load_state_dict(g_state)


def _assert_close(g_out, t_out, tolerance=2e-5):
    expected = t_out.detach().numpy()
    actual = g_out.detach().numpy()
    assert actual.shape == expected.shape
    scale = np.abs(expected).max()
    assert scale > 1e-3
    np.testing.assert_allclose(actual, expected, rtol=5 * tolerance, atol=tolerance * scale)


def _image(size, seed=0, batch=2):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((batch, 3, size, size)).astype(np.float32)


# ------------------------------------------------------------------------------ MnasNet


@pytest.mark.parametrize("name", ["mnasnet0_5", "mnasnet0_75", "mnasnet1_0", "mnasnet1_3"])
def test_mnasnet_matches_torchvision(tv, name):
    t, g = _build(tv, name, num_classes=10)
    _assert_same_init(t, g)
    full_t, full_g = _build(tv, name)
    count = _assert_same_init(full_t, full_g)
    assert count == models.get_model_weights(name).DEFAULT.meta["num_params"]
    _load_same(t, g, _perturbed_state(t))
    x = _image(64)
    t.eval()
    g.eval()
    with torch.no_grad():
        expected = t(torch.from_numpy(x))
    _assert_close(g(gradiente.tensor(x)), expected)
    t.train()
    g.train()
    torch.manual_seed(1)  # Dropout draws the same numbers
    expected = t(torch.from_numpy(x))
    gradiente.manual_seed(1)
    _assert_close(g(gradiente.tensor(x)), expected, tolerance=2e-4)
    for (key, value), g_value in zip(t.state_dict().items(), g.state_dict().values()):
        if "running" in key:
            np.testing.assert_allclose(
                g_value.numpy(), value.numpy(), rtol=1e-3, atol=1e-5, err_msg=key
            )


def test_mnasnet_gradients_match(tv):
    t, g = _build(tv, "mnasnet0_5", num_classes=7)
    _load_same(t, g, _perturbed_state(t))
    t.eval()
    g.eval()
    x = _image(32)
    u = np.random.default_rng(1).standard_normal((2, 7)).astype(np.float32)
    t(torch.from_numpy(x)).backward(torch.from_numpy(u))
    g(gradiente.tensor(x)).backward(gradiente.tensor(u))
    g_params = dict(g.named_parameters())
    for key, p in t.named_parameters():
        expected = p.grad.numpy()
        np.testing.assert_allclose(
            g_params[key].grad.numpy(),
            expected,
            rtol=1e-3,
            atol=1e-4 * np.abs(expected).max() + 1e-7,
            err_msg=key,
        )


def test_mnasnet_state_dict_versions(tv):
    t, g = _build(tv, "mnasnet0_5")
    assert g.state_dict()._metadata[""]["version"] == 2
    # a dict without version metadata is refused, as torchvision refuses it
    plain = {k: v.clone() for k, v in g.state_dict().items()}
    with pytest.raises(ValueError, match="version should be set to 1 or 2 instead of None"):
        g.load_state_dict(plain)
    # version 1: the stem had fixed widths 32 → 16; loading one rebuilds that stem
    t1, g1 = _build(tv, "mnasnet1_0")  # alpha 1: versions 1 and 2 are the same net
    state = t1.state_dict()
    state._metadata[""]["version"] = 1
    t_old, g_old = _build(tv, "mnasnet0_5")
    with pytest.warns(UserWarning, match="A new version of MNASNet model"):
        t_old.load_state_dict(_first_stack_of(state, t_old), strict=False)
    g_state = OrderedDict((k, gradiente.from_numpy(v.numpy())) for k, v in state.items())
    g_state._metadata = state._metadata
    with pytest.warns(UserWarning, match="A new version of MNASNet model"):
        g_old.load_state_dict(_first_stack_of(g_state, g_old), strict=False)
    assert g_old._version == t_old._version == 1
    ts, gs = t_old.state_dict(), g_old.state_dict()
    assert list(gs) == list(ts)
    for key, value in ts.items():
        assert tuple(gs[key].shape) == tuple(value.shape), key
        np.testing.assert_array_equal(gs[key].numpy(), value.numpy(), err_msg=key)
    assert gs._metadata[""]["version"] == 1


def _first_stack_of(state, model):
    """The entries of ``state`` whose shapes fit ``model`` once its stem is the 32/16 one:
    the stem (layers 0–7) and nothing else (later layers differ in width)."""
    kept = OrderedDict((k, v) for k, v in state.items() if int(k.split(".")[1]) < 8)
    kept._metadata = state._metadata
    return kept


# ---------------------------------------------------------------------------- Inception v3


def test_inception_v3_matches_torchvision(tv):
    t, g = _build(tv, "inception_v3", aux_logits=False, num_classes=10)
    _assert_same_init(t, g)
    _load_same(t, g, _perturbed_state(t))
    x = _image(75)  # the smallest input torchvision allows
    t.eval()
    g.eval()
    with torch.no_grad():
        expected = t(torch.from_numpy(x))
    _assert_close(g(gradiente.tensor(x)), expected)
    # transform_input maps ImageNet normalisation to (x - 0.5)/0.5
    t.transform_input = g.transform_input = True
    with torch.no_grad():
        expected = t(torch.from_numpy(x))
    _assert_close(g(gradiente.tensor(x)), expected)


def test_inception_v3_full_init_and_registry(tv):
    with pytest.warns(FutureWarning, match="default weight initialization of inception_v3"):
        models.inception_v3()
    t, g = _build(tv, "inception_v3")
    count = _assert_same_init(t, g)
    weights = models.get_model_weights("inception_v3")
    assert weights is models.Inception_V3_Weights
    assert count == weights.DEFAULT.meta["num_params"] == 27161264
    assert weights.DEFAULT.meta["min_size"] == (75, 75)
    for name in ["inception_v3", "mnasnet0_5", "mnasnet0_75", "mnasnet1_0", "mnasnet1_3"]:
        assert name in models.list_models()
        ours = models.get_model_weights(name).DEFAULT
        theirs = tv.models.get_model_weights(name).DEFAULT
        assert ours.url == theirs.url
        assert ours.meta["_metrics"] == theirs.meta["_metrics"]
    with pytest.raises(ValueError, match="length of inception_blocks should be 7 instead of 2"):
        models.Inception3(inception_blocks=[None, None], init_weights=False)
    with pytest.raises(ValueError, match="cannot download pretrained weights"):
        models.inception_v3(weights="DEFAULT")


def test_inception_v3_aux_outputs_in_training(tv):
    t, g = _build(tv, "inception_v3", num_classes=10)
    _load_same(t, g, _perturbed_state(t))
    # float64: batch statistics of the head's 1×1 maps over 2 images amplify float32 rounding
    t.double()
    g.double()
    x = _image(299).astype(np.float64)  # the auxiliary head needs a 299×299 input's 17×17 grid
    t.train()
    g.train()
    torch.manual_seed(2)
    expected = t(torch.from_numpy(x))
    gradiente.manual_seed(2)
    actual = g(gradiente.tensor(x))
    assert type(actual).__name__ == "InceptionOutputs"
    assert actual._fields == expected._fields == ("logits", "aux_logits")
    for a, e in zip(actual, expected, strict=True):
        _assert_close(a, e, tolerance=1e-10)
    # gradients through both heads
    u = np.random.default_rng(3).standard_normal((2, 10))
    (expected.logits + 0.3 * expected.aux_logits).backward(torch.from_numpy(u))
    (actual.logits + 0.3 * actual.aux_logits).backward(gradiente.tensor(u))
    g_params = dict(g.named_parameters())
    for key in ["Conv2d_1a_3x3.conv.weight", "AuxLogits.conv0.conv.weight", "fc.weight"]:
        expected_grad = dict(t.named_parameters())[key].grad.numpy()
        np.testing.assert_allclose(
            g_params[key].grad.numpy(),
            expected_grad,
            rtol=1e-8,
            atol=1e-10 * np.abs(expected_grad).max(),
            err_msg=key,
        )
    g.eval()
    assert isinstance(g(gradiente.tensor(_image(75).astype(np.float64))), gradiente.Tensor)
