"""gradiente.vision.models beyond the first five families — DenseNet, MobileNetV3,
ShuffleNetV2, EfficientNet, GoogLeNet, RegNet, ConvNeXt, Vision Transformer, ResNeXt — and
the registry (``get_model``, ``list_models``, the weight enums), compared with the real
torchvision 0.28.

For each model: built after the same ``torch.manual_seed`` / ``gradiente.manual_seed``, the
state dict has torchvision's keys in torchvision's order, its shapes and exactly its values
(same initialisation functions, called in the same order on the same random stream), and the
parameter counts agree. Then the normalisation statistics and biases are moved off their
initial values (identically in both) so that every layer shapes the output, and a random
image's outputs are compared in evaluation mode and, where the forward pass draws nothing or
draws the same numbers, in training mode."""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import warnings

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
        warnings.simplefilter("ignore", FutureWarning)  # GoogLeNet's init_weights notice
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


def _perturb(t, g, seed=0):
    """Load the same moved-off state into both: running variances U(0.5, 1.5), every other
    1-D entry (BatchNorm/LayerNorm γ and β, biases, running means) plus N(0, 0.1²), and a zero
    head N(0, 0.02²), so no layer's output is trivially 0 or its input."""
    rng = np.random.default_rng(seed)
    state = {}
    for key, value in t.state_dict().items():
        a = value.numpy().copy()
        if a.dtype.kind == "f":
            if key.endswith("running_var"):
                a = rng.uniform(0.5, 1.5, a.shape).astype(a.dtype)
            elif a.ndim == 1:
                a = a + rng.normal(0, 0.1, a.shape).astype(a.dtype)
            elif not a.any():
                a = rng.normal(0, 0.02, a.shape).astype(a.dtype)
        state[key] = a
    t.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})
    g.load_state_dict({k: gradiente.from_numpy(v) for k, v in state.items()})


def _assert_close(g_out, t_out, tolerance=2e-5):
    """Equal up to float32 rounding: ``tolerance`` relative to the output's largest value
    (training mode's batch statistics amplify rounding, so it is given more)."""
    expected = t_out.detach().numpy()
    actual = g_out.detach().numpy()
    assert actual.shape == expected.shape
    scale = np.abs(expected).max()
    assert scale > 1e-3  # the output is not trivially small
    np.testing.assert_allclose(actual, expected, rtol=5 * tolerance, atol=tolerance * scale)


def _image(size, seed=0):
    return np.random.default_rng(seed).standard_normal((2, 3, size, size)).astype(np.float32)


# name, builder arguments, input size, compare training mode too (same numbers drawn; the
# last feature maps then need a few pixels: BatchNorm over 2 values amplifies any rounding)
CASES = [
    ("resnext50_32x4d", {}, 64, True),
    ("densenet121", {}, 64, True),
    ("mobilenet_v3_small", {}, 64, True),
    ("mobilenet_v3_large", {}, 64, False),
    ("shufflenet_v2_x0_5", {}, 64, True),
    ("shufflenet_v2_x1_0", {}, 32, False),
    ("efficientnet_b0", {}, 64, True),
    ("efficientnet_b1", {}, 32, False),
    ("efficientnet_v2_s", {}, 32, False),
    ("googlenet", {"aux_logits": False}, 64, True),
    ("regnet_y_400mf", {}, 64, True),
    ("regnet_x_400mf", {}, 32, False),
    ("convnext_tiny", {}, 32, True),
]


@pytest.mark.parametrize("name,kwargs,size,train", CASES, ids=[c[0] for c in CASES])
def test_model_matches_torchvision(tv, name, kwargs, size, train):
    t, g = _build(tv, name, **kwargs)
    count = _assert_same_init(t, g)
    # the parameter count torchvision publishes with the model's weights
    assert count == models.get_model_weights(name).DEFAULT.meta["num_params"]
    _perturb(t, g)
    x = _image(size)
    t.eval()
    g.eval()
    with torch.no_grad():
        expected = t(torch.from_numpy(x))
    _assert_close(g(gradiente.tensor(x)), expected)
    if train:
        t.train()
        g.train()
        torch.manual_seed(1)  # Dropout and stochastic depth draw the same numbers
        expected = t(torch.from_numpy(x))
        gradiente.manual_seed(1)
        _assert_close(g(gradiente.tensor(x)), expected, tolerance=2e-4)
        # and BatchNorm's running statistics moved the same way
        for (key, tv_value), g_value in zip(
            t.state_dict().items(), g.state_dict().values(), strict=True
        ):
            if "running" in key:
                expected = tv_value.numpy()
                np.testing.assert_allclose(
                    g_value.numpy(),
                    expected,
                    rtol=1e-3,
                    atol=1e-4 * np.abs(expected).max(),
                    err_msg=key,
                )


def test_shufflenet_gradients_match(tv):
    t, g = _build(tv, "shufflenet_v2_x0_5", num_classes=7)
    _perturb(t, g)
    t.eval()  # running statistics: batch statistics of 2×1×1 maps would amplify rounding
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


def test_googlenet_aux_outputs_in_training(tv):
    t, g = _build(tv, "googlenet", num_classes=10)
    _assert_same_init(t, g)
    _perturb(t, g)
    x = _image(64)
    t.train()
    g.train()
    torch.manual_seed(2)
    expected = t(torch.from_numpy(x))
    gradiente.manual_seed(2)
    actual = g(gradiente.tensor(x))
    assert type(actual).__name__ == "GoogLeNetOutputs"
    assert actual._fields == expected._fields == ("logits", "aux_logits2", "aux_logits1")
    for a, e in zip(actual, expected, strict=True):
        _assert_close(a, e, tolerance=2e-4)
    g.eval()
    assert isinstance(g(gradiente.tensor(x)), gradiente.Tensor)  # logits only in evaluation


def test_vision_transformer_small_config(tv):
    kwargs = dict(image_size=32, patch_size=8, num_layers=2, num_heads=4, hidden_dim=32)
    kwargs.update(mlp_dim=64, num_classes=10, representation_size=16)
    torch.manual_seed(0)
    t = tv.models.VisionTransformer(**kwargs)
    gradiente.manual_seed(0)
    g = models.VisionTransformer(**kwargs)
    _assert_same_init(t, g)
    _perturb(t, g)
    x = _image(32)
    t.eval()
    g.eval()
    with torch.no_grad():
        expected = t(torch.from_numpy(x))
    _assert_close(g(gradiente.tensor(x)), expected)
    with pytest.raises(AssertionError, match="Wrong image height! Expected 32 but got 16!"):
        g(gradiente.zeros(1, 3, 16, 32))


def test_vit_b_16_state_dict_layout(tv):
    t, g = _build(tv, "vit_b_16", image_size=32)  # 3 tokens instead of 197: quicker
    _assert_same_init(t, g)


def test_densenet_memory_efficient_gradients(tv):
    """Checkpointed bottlenecks give the same gradients as stored ones."""
    kwargs = dict(growth_rate=8, block_config=(2, 2), num_init_features=16, num_classes=5)
    gradiente.manual_seed(0)
    plain = models.DenseNet(**kwargs)
    gradiente.manual_seed(0)
    efficient = models.DenseNet(memory_efficient=True, **kwargs)
    x = gradiente.tensor(_image(32), requires_grad=True)
    plain(x).sum().backward()
    grad_plain = x.grad.numpy().copy()
    x.grad = None
    efficient(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), grad_plain, rtol=1e-5, atol=1e-7)


# ------------------------------------------------------------------------ the registry


def test_list_models_is_torchvisions_classification_list(tv):
    ours = models.list_models()
    theirs = tv.models.list_models(module=tv.models)
    assert set(ours) <= set(theirs)
    # only these torchvision classification families are not built in gradiente yet
    missing = {n.rstrip("0123456789_").split("_")[0] for n in set(theirs) - set(ours)}
    assert missing <= {"inception", "maxvit", "mnasnet", "swin"}
    for include, exclude in [("resnet*", None), (["vit*", "*net_b?"], "*b7"), (None, "r*")]:
        expected = [
            n
            for n in tv.models.list_models(module=tv.models, include=include, exclude=exclude)
            if n in ours
        ]
        assert models.list_models(include=include, exclude=exclude) == expected
    assert models.list_models(models) == ours  # ``module``: the package of the builders


def test_get_model(tv):
    gradiente.manual_seed(0)
    m = models.get_model("ReGNet_Y_400MF", num_classes=3)
    assert type(m).__name__ == "RegNet" and m.fc.out_features == 3
    assert models.get_model_builder("densenet121") is models.densenet121
    with pytest.raises(ValueError) as expected:
        tv.models.get_model("resnet7")
    with pytest.raises(ValueError) as actual:
        models.get_model("resnet7")
    assert str(actual.value) == str(expected.value)


def test_weight_enums_match_torchvision(tv):
    for name in models.list_models():
        ours, theirs = models.get_model_weights(name), tv.models.get_model_weights(name)
        assert ours.__name__ == theirs.__name__
        assert getattr(models, ours.__name__) is ours
        assert [m.name for m in ours] == [m.name for m in theirs]
        assert ours.DEFAULT.name == theirs.DEFAULT.name
        for ours_member in ours:
            theirs_member = theirs[ours_member.name]
            assert repr(ours_member) == repr(theirs_member)
            assert ours_member.url == theirs_member.url
            for key in ("num_params", "min_size", "_metrics"):
                assert repr(ours_member.meta[key]) == repr(theirs_member.meta[key]), key
            assert repr(ours_member.transforms()) == repr(theirs_member.transforms())
    assert (
        models.get_weight("ResNet50_Weights.IMAGENET1K_V1") is models.ResNet50_Weights.IMAGENET1K_V1
    )
    assert models.ResNet50_Weights.verify("DEFAULT") is models.ResNet50_Weights.IMAGENET1K_V2
    assert models.resnet.ResNet50_Weights is models.ResNet50_Weights  # also on the model module
    with pytest.raises(TypeError, match="expected ResNet50_Weights but received ResNet18_Weights"):
        models.ResNet50_Weights.verify(models.ResNet18_Weights.DEFAULT)


def test_image_classification_preset_matches(tv):
    img = torch.randint(0, 256, (3, 40, 50), dtype=torch.uint8)
    expected = tv.models.ResNet50_Weights.IMAGENET1K_V2.transforms(antialias=True)(img)
    actual = models.ResNet50_Weights.IMAGENET1K_V2.transforms()(gradiente.from_numpy(img.numpy()))
    assert tuple(actual.shape) == tuple(expected.shape) == (3, 224, 224)
    np.testing.assert_allclose(actual.numpy(), expected.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["densenet121", "efficientnet_b0", "convnext_tiny", "vit_b_16"])
def test_pretrained_weights_are_refused_with_one_message(name):
    builder = getattr(models, name)
    enum = models.get_model_weights(name)
    for weights in (enum.DEFAULT, "DEFAULT"):
        with pytest.raises(ValueError, match=r"cannot download pretrained weights.*weights=None"):
            builder(weights=weights)
    with pytest.warns(UserWarning, match="'pretrained' is deprecated"):
        with pytest.raises(ValueError, match="cannot download"):
            builder(pretrained=True)
    with pytest.raises(RuntimeError, match="cannot download pretrained weights"):
        enum.DEFAULT.get_state_dict(progress=False)
