"""gradiente.vision.ops (torchvision.ops): the model building blocks (SqueezeExcitation,
StochasticDepth, MLP, Permute, FrozenBatchNorm2d, Conv2dNormActivation) and the box losses and
utilities (sigmoid_focal_loss, generalized_box_iou_loss, distance/complete_box_iou,
masks_to_boxes), compared with the real torchvision 0.28."""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import pytest

import gradiente
from conftest import assert_same, from_torch, real_torchvision
from gradiente import nn
from gradiente.vision import ops

torch = pytest.importorskip("torch")


@pytest.fixture(scope="module")
def tv():
    return real_torchvision()


def _boxes(n, seed, dtype=np.float64):
    """n valid (x1, y1, x2, y2) boxes with x1 < x2 and y1 < y2, some overlapping."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 10, (n, 2))
    wh = rng.uniform(0.5, 6, (n, 2))
    return np.concatenate([xy, xy + wh], axis=1).astype(dtype)


def _same_state(g_module, t_module):
    gs, ts = g_module.state_dict(), t_module.state_dict()
    assert list(gs) == list(ts)
    for k in ts:
        np.testing.assert_array_equal(gs[k].numpy(), ts[k].numpy(), err_msg=k)


# ---------------------------------------------------------------------------- layers


def test_squeeze_excitation_init_forward_backward(tv):
    torch.manual_seed(3)
    t = tv.ops.SqueezeExcitation(16, 4, scale_activation=torch.nn.Hardsigmoid)
    gradiente.manual_seed(3)
    g = ops.SqueezeExcitation(16, 4, scale_activation=nn.Hardsigmoid)
    _same_state(g, t)
    x = np.random.default_rng(0).standard_normal((2, 16, 5, 5)).astype(np.float32)
    xt = torch.tensor(x, requires_grad=True)
    xg = gradiente.tensor(x, requires_grad=True)
    yt, yg = t(xt), g(xg)
    assert_same(yg, yt, rtol=1e-5, atol=1e-6)
    u = np.random.default_rng(1).standard_normal(yt.shape).astype(np.float32)
    yt.backward(torch.tensor(u))
    yg.backward(gradiente.tensor(u))
    assert_same(xg.grad, xt.grad, rtol=1e-4, atol=1e-5)
    assert_same(g.fc1.weight.grad, t.fc1.weight.grad, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("mode", ["row", "batch"])
@pytest.mark.parametrize("p", [0.0, 0.3, 1.0])
def test_stochastic_depth_matches_torch_stream(tv, mode, p):
    x = np.random.default_rng(0).standard_normal((8, 3, 2, 2)).astype(np.float32)
    torch.manual_seed(11)
    yt = tv.ops.stochastic_depth(torch.tensor(x), p, mode, training=True)
    gradiente.manual_seed(11)
    yg = ops.stochastic_depth(gradiente.tensor(x), p, mode, training=True)
    assert_same(yg, yt, rtol=1e-6, atol=0)
    # the module form: random in training, the identity in evaluation
    layer = ops.StochasticDepth(p, mode)
    assert repr(layer) == repr(tv.ops.StochasticDepth(p, mode))
    layer.eval()
    xg = gradiente.tensor(x)
    assert layer(xg) is xg


def test_stochastic_depth_errors(tv):
    x = gradiente.ones(2, 2)
    for p, mode in [(1.5, "row"), (-0.1, "row"), (0.5, "col")]:
        with pytest.raises(ValueError) as expected:
            tv.ops.stochastic_depth(torch.ones(2, 2), p, mode)
        with pytest.raises(ValueError) as actual:
            ops.stochastic_depth(x, p, mode)
        assert str(actual.value) == str(expected.value)


def test_mlp_init_and_forward(tv):
    torch.manual_seed(5)
    t = tv.ops.MLP(6, [12, 8, 4], norm_layer=torch.nn.LayerNorm, dropout=0.0)
    gradiente.manual_seed(5)
    g = ops.MLP(6, [12, 8, 4], norm_layer=nn.LayerNorm, dropout=0.0)
    _same_state(g, t)
    assert [type(m).__name__ for m in g] == [type(m).__name__ for m in t]
    x = np.random.default_rng(2).standard_normal((3, 6)).astype(np.float32)
    assert_same(g(gradiente.tensor(x)), t(torch.tensor(x)), rtol=1e-5, atol=1e-6)


def test_permute(tv):
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    assert_same(
        ops.Permute([2, 0, 1])(gradiente.tensor(x)), tv.ops.Permute([2, 0, 1])(torch.tensor(x))
    )


def test_frozen_batch_norm_loads_a_batch_norm_and_matches(tv):
    torch.manual_seed(0)
    bn = torch.nn.BatchNorm2d(4)
    bn.train()(torch.randn(8, 4, 3, 3))  # running statistics that are not 0 and 1
    with torch.no_grad():
        bn.weight.uniform_(0.5, 1.5)
        bn.bias.normal_()
    state = {k: from_torch(v) for k, v in bn.state_dict().items()}
    assert "num_batches_tracked" in state
    t = tv.ops.FrozenBatchNorm2d(4)
    t.load_state_dict(bn.state_dict())
    g = ops.FrozenBatchNorm2d(4)
    g.load_state_dict(state)  # num_batches_tracked is dropped, as torchvision does
    assert list(g.state_dict()) == list(t.state_dict())
    assert list(g.parameters()) == []
    x = np.random.default_rng(3).standard_normal((2, 4, 3, 3)).astype(np.float32)
    assert_same(g(gradiente.tensor(x)), t(torch.tensor(x)), rtol=1e-5, atol=1e-6)
    assert repr(g) == repr(t)


def test_conv2d_norm_activation_exported(tv):
    torch.manual_seed(1)
    t = tv.ops.Conv2dNormActivation(3, 8, kernel_size=3, stride=2, activation_layer=torch.nn.SiLU)
    gradiente.manual_seed(1)
    g = ops.Conv2dNormActivation(3, 8, kernel_size=3, stride=2, activation_layer=nn.SiLU)
    _same_state(g, t)
    x = np.random.default_rng(0).standard_normal((1, 3, 9, 9)).astype(np.float32)
    assert_same(g(gradiente.tensor(x)), t(torch.tensor(x)), rtol=1e-5, atol=1e-5)


# ---------------------------------------------------------------------- losses and boxes


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("alpha,gamma", [(0.25, 2), (-1, 1.5), (0.7, 0)])
def test_sigmoid_focal_loss(tv, reduction, alpha, gamma):
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((5, 3)) * 2
    targets = (rng.uniform(size=(5, 3)) > 0.5).astype(np.float64)
    xt = torch.tensor(logits, requires_grad=True)
    xg = gradiente.tensor(logits, requires_grad=True)
    lt = tv.ops.sigmoid_focal_loss(xt, torch.tensor(targets), alpha, gamma, reduction)
    lg = ops.sigmoid_focal_loss(xg, gradiente.tensor(targets), alpha, gamma, reduction)
    assert_same(lg, lt, rtol=1e-10, atol=1e-12)
    u = rng.standard_normal(lt.shape)
    lt.backward(torch.tensor(u))
    lg.backward(gradiente.tensor(u))
    assert_same(xg.grad, xt.grad, rtol=1e-9, atol=1e-12)


def test_sigmoid_focal_loss_gradcheck_and_errors(tv):
    rng = np.random.default_rng(1)
    x = gradiente.tensor(rng.standard_normal((3, 2)), requires_grad=True)
    y = gradiente.tensor(rng.uniform(size=(3, 2)))  # soft targets
    assert gradiente.autograd.gradcheck(lambda a: ops.sigmoid_focal_loss(a, y), (x,))
    for kwargs in [{"alpha": 2.0}, {"reduction": "max"}]:
        with pytest.raises(ValueError) as expected:
            tv.ops.sigmoid_focal_loss(torch.zeros(2), torch.zeros(2), **kwargs)
        with pytest.raises(ValueError) as actual:
            ops.sigmoid_focal_loss(gradiente.zeros(2), gradiente.zeros(2), **kwargs)
        assert str(actual.value) == str(expected.value)


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_generalized_box_iou_loss(tv, reduction):
    b1, b2 = _boxes(7, 0), _boxes(7, 1)
    b2[0] = b1[0]  # identical boxes: loss 0
    b2[1] = b1[1] + 30  # far apart: no overlap, loss near 2
    t1, t2 = torch.tensor(b1, requires_grad=True), torch.tensor(b2, requires_grad=True)
    g1, g2 = gradiente.tensor(b1, requires_grad=True), gradiente.tensor(b2, requires_grad=True)
    lt = tv.ops.generalized_box_iou_loss(t1, t2, reduction)
    lg = ops.generalized_box_iou_loss(g1, g2, reduction)
    assert_same(lg, lt, rtol=1e-10, atol=1e-12)
    u = np.random.default_rng(2).standard_normal(lt.shape)
    lt.backward(torch.tensor(u))
    lg.backward(gradiente.tensor(u))
    assert_same(g1.grad, t1.grad, rtol=1e-9, atol=1e-12)
    assert_same(g2.grad, t2.grad, rtol=1e-9, atol=1e-12)


def test_generalized_box_iou_loss_gradcheck_and_int_boxes(tv):
    g1 = gradiente.tensor(_boxes(4, 3), requires_grad=True)
    g2 = gradiente.tensor(_boxes(4, 4), requires_grad=True)
    assert gradiente.autograd.gradcheck(ops.generalized_box_iou_loss, (g1, g2))
    ints1 = np.array([[0, 0, 4, 4], [1, 1, 3, 5]])
    ints2 = np.array([[2, 2, 6, 6], [0, 0, 2, 2]])
    lt = tv.ops.generalized_box_iou_loss(torch.tensor(ints1), torch.tensor(ints2))
    lg = ops.generalized_box_iou_loss(gradiente.tensor(ints1), gradiente.tensor(ints2))
    assert_same(lg, lt, rtol=1e-6, atol=1e-7)  # integers become float32
    empty = gradiente.zeros(0, 4)
    assert_same(
        ops.generalized_box_iou_loss(empty, empty, "mean"),
        tv.ops.generalized_box_iou_loss(torch.zeros(0, 4), torch.zeros(0, 4), "mean"),
    )


@pytest.mark.parametrize("name", ["distance_box_iou", "complete_box_iou", "generalized_box_iou"])
def test_pairwise_iou_variants(tv, name):
    b1, b2 = _boxes(5, 5), _boxes(4, 6)
    t1, t2 = torch.tensor(b1, requires_grad=True), torch.tensor(b2, requires_grad=True)
    g1, g2 = gradiente.tensor(b1, requires_grad=True), gradiente.tensor(b2, requires_grad=True)
    yt, yg = getattr(tv.ops, name)(t1, t2), getattr(ops, name)(g1, g2)
    assert_same(yg, yt, rtol=1e-10, atol=1e-12)
    u = np.random.default_rng(7).standard_normal(yt.shape)
    yt.backward(torch.tensor(u))
    yg.backward(gradiente.tensor(u))
    assert_same(g1.grad, t1.grad, rtol=1e-8, atol=1e-12)
    assert_same(g2.grad, t2.grad, rtol=1e-8, atol=1e-12)


def test_masks_to_boxes(tv):
    rng = np.random.default_rng(0)
    masks = np.zeros((4, 7, 9), dtype=np.uint8)
    masks[0, 2:5, 1:8] = 1
    masks[1] = rng.uniform(size=(7, 9)) > 0.8
    masks[3, 6, 0] = 1  # one pixel; masks[2] stays empty: [0, 0, 0, 0]
    for dtype in (np.uint8, np.float32, bool):
        yt = tv.ops.masks_to_boxes(torch.tensor(masks.astype(dtype)))
        yg = ops.masks_to_boxes(gradiente.tensor(masks.astype(dtype)))
        assert_same(yg, yt)
    assert_same(
        ops.masks_to_boxes(gradiente.zeros(0, 3, 3)), tv.ops.masks_to_boxes(torch.zeros(0, 3, 3))
    )


def test_box_area_and_convert_still_match(tv):
    b = _boxes(6, 9, np.float32)
    assert_same(ops.box_area(gradiente.tensor(b)), tv.ops.box_area(torch.tensor(b)))
    for fmt in ("xywh", "cxcywh"):
        assert_same(
            ops.box_convert(gradiente.tensor(b), "xyxy", fmt),
            tv.ops.box_convert(torch.tensor(b), "xyxy", fmt),
            rtol=1e-6,
            atol=1e-6,
        )
