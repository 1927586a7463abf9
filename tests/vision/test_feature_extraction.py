"""gradiente.vision's FeaturePyramidNetwork (with LastLevelMaxPool / LastLevelP6P7),
models._utils.IntermediateLayerGetter and models.feature_extraction (create_feature_extractor,
get_graph_node_names), against the real torchvision 0.28: same seed, same parameters, same
outputs and gradients."""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from collections import OrderedDict

import numpy as np
import pytest

import gradiente
from conftest import real_torchvision
from gradiente import nn
from gradiente.vision import models, ops
from gradiente.vision.models._utils import IntermediateLayerGetter
from gradiente.vision.models.feature_extraction import (
    create_feature_extractor,
    get_graph_node_names,
)

torch = pytest.importorskip("torch")


@pytest.fixture(scope="module")
def tv():
    return real_torchvision()


def _same_state(module, torch_module):
    ours = module.state_dict()
    theirs = torch_module.state_dict()
    assert list(ours) == list(theirs)
    for k in theirs:
        np.testing.assert_array_equal(ours[k].numpy(), theirs[k].numpy(), err_msg=k)


def _features(seed, channels, sizes):
    rng = np.random.default_rng(seed)
    return OrderedDict(
        (f"feat{i}", rng.standard_normal((2, c, s, s)).astype(np.float32))
        for i, (c, s) in enumerate(zip(channels, sizes))
    )


@pytest.mark.parametrize("extra", [None, "maxpool", "p6p7_from_c5", "p6p7_from_p5"])
@pytest.mark.parametrize("norm", [False, True])
def test_fpn_matches_torchvision(tv, extra, norm):
    channels, out = [4, 8, 12], 12
    blocks = {
        None: (lambda m: None),
        "maxpool": (lambda m: m.LastLevelMaxPool()),
        "p6p7_from_c5": (lambda m: m.LastLevelP6P7(12, 12)),
        "p6p7_from_p5": (lambda m: m.LastLevelP6P7(out, out)),
    }[extra]
    from torchvision.ops import feature_pyramid_network as tfpn

    torch.manual_seed(11)
    tm = tv.ops.FeaturePyramidNetwork(
        channels, out, blocks(tfpn), torch.nn.BatchNorm2d if norm else None
    )
    gradiente.manual_seed(11)
    m = ops.FeaturePyramidNetwork(channels, out, blocks(ops), nn.BatchNorm2d if norm else None)
    _same_state(m, tm)

    feats = _features(0, channels, [16, 8, 5])
    tx = OrderedDict((k, torch.tensor(v, requires_grad=True)) for k, v in feats.items())
    gx = OrderedDict((k, gradiente.tensor(v, requires_grad=True)) for k, v in feats.items())
    expected, got = tm(tx), m(gx)
    assert list(got) == list(expected)
    for k in expected:
        assert got[k].shape == tuple(expected[k].shape)
        np.testing.assert_allclose(
            got[k].detach().numpy(), expected[k].detach().numpy(), rtol=1e-4, atol=1e-5
        )
    sum(v.square().sum() for v in expected.values()).backward()
    sum(v.square().sum() for v in got.values()).backward()
    for k in feats:
        np.testing.assert_allclose(gx[k].grad.numpy(), tx[k].grad.numpy(), rtol=1e-3, atol=1e-3)


def test_fpn_errors(tv):
    for args in (([4, 0], 8), ([4], 8, "not a block")):
        with pytest.raises((ValueError, TypeError)) as expected:
            tv.ops.FeaturePyramidNetwork(*args)
        with pytest.raises(type(expected.value)) as got:
            ops.FeaturePyramidNetwork(*args)
        assert str(got.value) == str(expected.value).replace("torch.", "")


def test_intermediate_layer_getter_matches_torchvision(tv):
    from torchvision.models._utils import IntermediateLayerGetter as TorchGetter

    torch.manual_seed(3)
    tm = tv.models.resnet18().eval()
    gradiente.manual_seed(3)
    m = models.resnet18().eval()
    layers = {"layer1": "feat1", "layer3": "feat2"}
    tg, g = TorchGetter(tm, layers), IntermediateLayerGetter(m, layers)
    _same_state(g, tg)
    assert list(dict(g.named_children())) == list(dict(tg.named_children()))
    x = np.random.default_rng(1).standard_normal((1, 3, 64, 64)).astype(np.float32)
    expected, got = tg(torch.tensor(x)), g(gradiente.tensor(x))
    assert list(got) == list(expected) == ["feat1", "feat2"]
    for k in expected:
        np.testing.assert_allclose(
            got[k].detach().numpy(), expected[k].detach().numpy(), rtol=1e-4, atol=1e-5
        )
    with pytest.raises(ValueError, match="return_layers are not present in model"):
        IntermediateLayerGetter(m, {"layer9": "x"})
    with pytest.raises(ValueError, match="return_layers are not present in model"):
        TorchGetter(tm, {"layer9": "x"})


@pytest.fixture(scope="module")
def resnets(tv):
    # float64: in training mode, gradients through a stack of batch norms over few pixels are
    # too ill-conditioned to compare in float32
    torch.manual_seed(0)
    tm = tv.models.resnet18().double()
    gradiente.manual_seed(0)
    return tm, models.resnet18().double()


def test_graph_node_names_are_the_module_nodes_of_fx(resnets):
    from torchvision.models.feature_extraction import get_graph_node_names as torch_names

    tm, m = resnets
    expected_train, expected_eval = torch_names(tm)
    train, evaluation = get_graph_node_names(m)
    assert train == evaluation
    # gradiente's names are FX's in FX's order, less the functional nodes
    assert train == [n for n in expected_train if n in set(train)]
    missing = set(expected_train) - set(train)
    assert missing and all(n.endswith((".add", "relu_1")) or n == "flatten" for n in missing), (
        missing
    )


@pytest.mark.parametrize(
    "return_nodes",
    [
        ["layer1", "layer4"],
        {"layer2.0.bn1": "b", "x": "input", "layer1.0.relu_1": "second_relu", "avgpool": "pool"},
        {"layer3": "c3", "layer3.1.conv2": "inner", "fc": "logits", "conv1": "stem"},
    ],
)
@pytest.mark.parametrize("train", [False, True])
def test_create_feature_extractor_matches_torchvision(resnets, return_nodes, train):
    from torchvision.models.feature_extraction import create_feature_extractor as torch_create

    tm, m = resnets
    tm.train(train), m.train(train)
    te = torch_create(tm, return_nodes)
    ge = create_feature_extractor(m, return_nodes)
    assert ge.training == te.training == train
    x = np.random.default_rng(2).standard_normal((2, 3, 48, 48))
    tx, gx = torch.tensor(x, requires_grad=True), gradiente.tensor(x, requires_grad=True)
    expected, got = te(tx), ge(gx)
    assert list(got) == list(expected)
    for k in expected:
        np.testing.assert_allclose(
            got[k].detach().numpy(), expected[k].detach().numpy(), rtol=1e-9, atol=1e-9
        )
    out_name = list(expected)[-1]
    # a random weighting: a plain sum after a training-mode BatchNorm has a zero gradient
    w = np.random.default_rng(4).standard_normal(tuple(expected[out_name].shape))
    (expected[out_name] * torch.tensor(w)).sum().backward()
    (got[out_name] * gradiente.tensor(w)).sum().backward()
    np.testing.assert_allclose(gx.grad.numpy(), tx.grad.numpy(), rtol=1e-9, atol=1e-9)
    # the parameters are shared with the model, as in FX's GraphModule
    assert ge.state_dict()["conv1.weight"] is not None
    assert ge.conv1.weight is m.conv1.weight


def test_train_and_eval_return_nodes(resnets):
    tm, m = resnets
    from torchvision.models.feature_extraction import create_feature_extractor as torch_create

    kwargs = dict(train_return_nodes=["layer1"], eval_return_nodes={"layer2": "l2", "fc": "out"})
    te, ge = torch_create(tm, **kwargs), create_feature_extractor(m, **kwargs)
    x = np.random.default_rng(3).standard_normal((2, 3, 32, 32))
    for mode in (True, False):
        te.train(mode), ge.train(mode)
        expected, got = te(torch.tensor(x)), ge(gradiente.tensor(x))
        assert list(got) == list(expected)
        for k in expected:
            np.testing.assert_allclose(
                got[k].detach().numpy(), expected[k].detach().numpy(), rtol=1e-4, atol=1e-4
            )


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"train_return_nodes": ["layer1"]},
        {"return_nodes": ["layer1"], "train_return_nodes": ["a"], "eval_return_nodes": ["a"]},
    ],
)
def test_create_feature_extractor_argument_errors(resnets, kwargs):
    from torchvision.models.feature_extraction import create_feature_extractor as torch_create

    tm, m = resnets
    with pytest.raises(ValueError) as expected:
        torch_create(tm, **kwargs)
    with pytest.raises(ValueError) as got:
        create_feature_extractor(m, **kwargs)
    assert str(got.value) == str(expected.value)


@pytest.mark.parametrize("node", ["layer1.0.add", "flatten", "layer9"])
def test_functional_or_unknown_nodes_are_refused_by_name(resnets, node):
    from torchvision.models.feature_extraction import create_feature_extractor as torch_create

    tm, m = resnets
    if node == "layer9":
        with pytest.raises(ValueError, match="is not present in model"):
            torch_create(tm, [node])
    else:
        torch_create(tm, [node])  # FX can return a functional node ...
    with pytest.raises(ValueError, match=f"node: '{node}' is not present in model as a submodule"):
        create_feature_extractor(m, [node])  # ... gradiente's hooks cannot, and say so
