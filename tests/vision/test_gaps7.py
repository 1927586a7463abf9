"""torchvision gaps, against the real torchvision 0.28: v1's ``resized_crop``,
``get_image_size`` and ``get_image_num_channels``; ``resize`` of tensors with bicubic
interpolation and ``antialias=False``; and ``torchvision.ops``' CIoU/DIoU losses,
``Conv3dNormActivation`` and DropBlock (the same random draws with the same seed)."""

from __future__ import annotations

import importlib
import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import pytest

import gradiente
from conftest import real_torchvision
from gradiente.transforms import InterpolationMode
from gradiente.vision import functional as TF

torch = pytest.importorskip("torch")


@pytest.fixture(scope="module")
def tv():
    return real_torchvision()


def _pil(array):
    from PIL import Image

    return Image.fromarray(array)


# ---------------------------------------------------------------------------------------------
# 1. resized_crop, get_image_size, get_image_num_channels
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float32", "uint8"])
@pytest.mark.parametrize(
    "mode, antialias",
    [("BILINEAR", True), ("BICUBIC", True), ("NEAREST", True), ("BILINEAR", False)],
)
@pytest.mark.parametrize("size", [[7, 5], [30, 21], 9])
def test_resized_crop_tensor(tv, dtype, mode, antialias, size):
    rng = np.random.default_rng(0)
    if dtype == "uint8":
        a = rng.integers(0, 256, (2, 3, 17, 19), dtype=np.uint8)
    else:
        a = rng.random((2, 3, 17, 19), dtype=np.float32)
    args = (2, 3, 11, 13, size)
    ours = TF.resized_crop(gradiente.tensor(a), *args, InterpolationMode[mode], antialias)
    mode_tv = tv.transforms.InterpolationMode[mode]
    theirs = tv.transforms.functional.resized_crop(torch.tensor(a), *args, mode_tv, antialias)
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    if antialias:
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    else:  # torch's unantialiased bilinear kernel rounds float32 differently (≤ 1 ulp)
        tol = 1 if dtype == "uint8" else 1e-6
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=0, atol=tol)


@pytest.mark.parametrize("mode", ["BILINEAR", "BICUBIC", "NEAREST"])
def test_resized_crop_pil(tv, mode):
    a = np.random.default_rng(1).integers(0, 256, (20, 23, 3), dtype=np.uint8)
    args = (-2, 4, 15, 12, [9, 17])  # a window reaching above the image: zero-padded
    ours = TF.resized_crop(_pil(a), *args, InterpolationMode[mode])
    mode_tv = tv.transforms.InterpolationMode[mode]
    theirs = tv.transforms.functional.resized_crop(_pil(a), *args, mode_tv)
    assert type(ours) is type(theirs) and ours.size == theirs.size
    np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs))


def test_image_size_and_channels(tv):
    F = tv.transforms.functional
    for shape in [(5, 7), (3, 5, 7), (2, 4, 5, 7)]:
        a = np.zeros(shape, dtype=np.float32)
        assert TF.get_image_size(gradiente.tensor(a)) == F.get_image_size(torch.tensor(a))
        assert TF.get_image_num_channels(gradiente.tensor(a)) == F.get_image_num_channels(
            torch.tensor(a)
        )
        assert TF.get_dimensions(gradiente.tensor(a)) == F.get_dimensions(torch.tensor(a))
    for array in [np.zeros((5, 7), np.uint8), np.zeros((5, 7, 3), np.uint8)]:
        img = _pil(array)
        assert TF.get_image_size(img) == F.get_image_size(img)
        assert TF.get_image_num_channels(img) == F.get_image_num_channels(img)
        assert TF.get_dimensions(img) == F.get_dimensions(img)
    with pytest.raises(TypeError) as theirs:
        F.get_image_size(torch.zeros(4))
    with pytest.raises(TypeError, match=str(theirs.value)):
        TF.get_image_size(gradiente.zeros(4))


def test_compat_names_exist(tv):
    import gradiente.vision.transforms_v2  # noqa: F401  (loads functional_v2 in order)
    from gradiente.vision import functional_v2 as TF2

    for name in ["resized_crop", "get_image_size", "get_image_num_channels", "get_dimensions"]:
        assert hasattr(tv.transforms.functional, name) and hasattr(TF, name)
    for name in ["get_size", "get_num_channels", "get_image_size", "get_image_num_channels"]:
        tv_f2 = importlib.import_module("torchvision.transforms.v2.functional")
        assert hasattr(tv_f2, name) and hasattr(TF2, name)


# ---------------------------------------------------------------------------------------------
# 2. resize, bicubic without antialiasing
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float32", "float64", "uint8"])
@pytest.mark.parametrize("size", [[31, 40], [6, 9], [12, 30], 8])
@pytest.mark.parametrize("shape", [(3, 14, 17), (2, 1, 14, 17)])
def test_resize_bicubic_no_antialias(tv, dtype, size, shape):
    rng = np.random.default_rng(2)
    if dtype == "uint8":
        a = rng.integers(0, 256, shape, dtype=np.uint8)
    else:
        a = rng.random(shape).astype(dtype)
    ours = TF.resize(gradiente.tensor(a), size, InterpolationMode.BICUBIC, antialias=False)
    theirs = tv.transforms.functional.resize(
        torch.tensor(a), size, tv.transforms.InterpolationMode.BICUBIC, antialias=False
    )
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    if dtype == "uint8":
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    else:  # torch's cubic weights differ from the textbook formula by ~1e-6 (not reproduced)
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=0, atol=5e-6)


def test_resize_transform_bicubic_no_antialias(tv):
    a = np.random.default_rng(3).integers(0, 256, (3, 10, 12), dtype=np.uint8)
    ours = gradiente.transforms.Resize([23, 7], InterpolationMode.BICUBIC, antialias=False)(
        gradiente.tensor(a)
    )
    theirs = tv.transforms.Resize(
        [23, 7], tv.transforms.InterpolationMode.BICUBIC, antialias=False
    )(torch.tensor(a))
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


# ---------------------------------------------------------------------------------------------
# 3. torchvision.ops: DIoU/CIoU losses, Conv3dNormActivation, DropBlock
# ---------------------------------------------------------------------------------------------


def _boxes(seed, n, dtype):
    """Valid (x1, y1, x2, y2) boxes, some overlapping and some disjoint."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 10, (n, 2))
    wh = rng.uniform(0.5, 6, (n, 2))
    return np.concatenate([xy, xy + wh], axis=1).astype(dtype)


@pytest.mark.parametrize("name", ["distance_box_iou_loss", "complete_box_iou_loss"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_iou_losses_values_and_gradients(tv, name, dtype, reduction):
    from gradiente.vision import ops

    b1, b2 = _boxes(4, 9, dtype), _boxes(5, 9, dtype)
    b2[0] = b1[0]  # identical boxes: zero loss
    g1 = gradiente.tensor(b1, requires_grad=True)
    g2 = gradiente.tensor(b2, requires_grad=True)
    t1 = torch.tensor(b1, requires_grad=True)
    t2 = torch.tensor(b2, requires_grad=True)
    ours = getattr(ops, name)(g1, g2, reduction=reduction, eps=1e-6)
    theirs = getattr(tv.ops, name)(t1, t2, reduction=reduction, eps=1e-6)
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=2e-6)
    ours.sum().backward()
    theirs.sum().backward()
    for g, t in [(g1, t1), (g2, t2)]:
        np.testing.assert_allclose(g.grad.numpy(), t.grad.numpy(), rtol=2e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["distance_box_iou_loss", "complete_box_iou_loss"])
def test_iou_losses_gradcheck_and_errors(tv, name):
    from gradiente.vision import ops

    fn = getattr(ops, name)
    b1 = gradiente.tensor(_boxes(6, 4, "float64"), requires_grad=True)
    b2 = gradiente.tensor(_boxes(7, 4, "float64"), requires_grad=True)
    if name == "distance_box_iou_loss":  # CIoU's α is held constant: no finite differences
        assert gradiente.autograd.gradcheck(lambda a, b: fn(a, b), (b1, b2))
    # integer boxes are computed in float32; one box alone (shape (4,)) works too
    ints = np.array([[0, 0, 4, 3], [1, 1, 5, 6]])
    ours = fn(gradiente.tensor(ints), gradiente.tensor(ints[::-1].copy()))
    theirs = getattr(tv.ops, name)(torch.tensor(ints), torch.tensor(ints[::-1].copy()))
    assert str(ours.dtype) == str(theirs.dtype) == "torch.float32"
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)
    one = fn(gradiente.tensor(ints[0] * 1.0), gradiente.tensor(ints[1] * 1.0))
    ref = getattr(tv.ops, name)(torch.tensor(ints[0] * 1.0), torch.tensor(ints[1] * 1.0))
    assert tuple(one.shape) == tuple(ref.shape) == ()
    np.testing.assert_allclose(one.numpy(), ref.numpy(), rtol=1e-12)
    with pytest.raises(ValueError) as theirs:
        getattr(tv.ops, name)(torch.tensor(ints * 1.0), torch.tensor(ints * 1.0), "max")
    with pytest.raises(ValueError) as caught:
        fn(gradiente.tensor(ints * 1.0), gradiente.tensor(ints * 1.0), "max")
    assert str(caught.value) == str(theirs.value)


def test_ops_aliases():
    import importlib as il

    from gradiente.compat import ALIASES

    wanted = {
        "torchvision.ops.ciou_loss": ["complete_box_iou_loss"],
        "torchvision.ops.diou_loss": ["distance_box_iou_loss"],
        "torchvision.ops.drop_block": [
            "DropBlock2d",
            "DropBlock3d",
            "drop_block2d",
            "drop_block3d",
        ],
        "torchvision.ops": ["Conv3dNormActivation", "DropBlock2d", "drop_block3d"],
        "torchvision.ops.misc": ["Conv3dNormActivation"],
    }
    for alias, names in wanted.items():
        module = il.import_module(ALIASES[alias])
        for name in names:
            assert hasattr(module, name), (alias, name)


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"kernel_size": (1, 3, 5), "stride": 2, "dilation": 2},
        {"kernel_size": 3, "dilation": (1, 2, 2), "norm_layer": None, "groups": 2},
        {"activation_layer": None, "bias": True},
    ],
)
def test_conv3d_norm_activation(tv, kwargs):
    from gradiente.vision import ops

    theirs = tv.ops.Conv3dNormActivation(4, 6, **kwargs).eval()
    ours = ops.Conv3dNormActivation(4, 6, **kwargs).eval()
    assert str(ours) == str(theirs)
    ref_state = theirs.state_dict()
    assert [(k, tuple(v.shape)) for k, v in ours.state_dict().items()] == [
        (k, tuple(v.shape)) for k, v in ref_state.items()
    ]
    ours.load_state_dict({k: gradiente.tensor(v.numpy()) for k, v in ref_state.items()})
    x = np.random.default_rng(8).standard_normal((2, 4, 5, 9, 11)).astype(np.float32)
    np.testing.assert_allclose(
        ours(gradiente.tensor(x)).detach().numpy(),
        theirs(torch.tensor(x)).detach().numpy(),
        rtol=1e-5,
        atol=1e-5,
    )
    assert ours.out_channels == theirs.out_channels


@pytest.mark.parametrize("dims, shape", [(2, (2, 3, 9, 11)), (3, (2, 2, 5, 7, 6))])
@pytest.mark.parametrize("p, block_size", [(0.3, 3), (0.5, 5), (0.9, 9)])
def test_drop_block_same_draws(tv, dims, shape, p, block_size):
    from gradiente.vision import ops

    x = np.random.default_rng(9).standard_normal(shape).astype(np.float32)
    fn_ours, fn_theirs = (
        (ops.drop_block2d, tv.ops.drop_block2d)
        if dims == 2
        else (ops.drop_block3d, tv.ops.drop_block3d)
    )
    g = gradiente.tensor(x, requires_grad=True)
    t = torch.tensor(x, requires_grad=True)
    gradiente.manual_seed(17)
    torch.manual_seed(17)
    ours = fn_ours(g, p, block_size)
    theirs = fn_theirs(t, p, block_size)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-6)
    assert ((ours.detach().numpy() == 0) == (theirs.detach().numpy() == 0)).all()
    weight = np.random.default_rng(10).standard_normal(shape).astype(np.float32)
    (ours * gradiente.tensor(weight)).sum().backward()
    (theirs * torch.tensor(weight)).sum().backward()
    np.testing.assert_allclose(g.grad.numpy(), t.grad.numpy(), rtol=1e-6)
    # the generator has advanced by the same draws
    assert gradiente.rand(3).numpy().tolist() == torch.rand(3).numpy().tolist()


def test_drop_block_modules_and_errors(tv):
    from gradiente.vision import ops

    x = np.random.default_rng(11).standard_normal((1, 2, 6, 6)).astype(np.float32)
    ours, theirs = ops.DropBlock2d(0.4, 3), tv.ops.DropBlock2d(0.4, 3)
    assert repr(ours) == repr(theirs)
    assert repr(ops.DropBlock3d(0.1, 5, True)) == repr(tv.ops.DropBlock3d(0.1, 5, True))
    gradiente.manual_seed(3)
    torch.manual_seed(3)
    np.testing.assert_allclose(
        ours(gradiente.tensor(x)).numpy(), theirs(torch.tensor(x)).numpy(), rtol=1e-6
    )
    ours.eval()
    assert ours(gradiente.tensor(x)).numpy().tolist() == x.tolist()
    # in place: the input itself is scaled
    gradiente.manual_seed(4)
    torch.manual_seed(4)
    g, t = gradiente.tensor(x), torch.tensor(x)
    ops.drop_block2d(g, 0.5, 3, inplace=True)
    tv.ops.drop_block2d(t, 0.5, 3, inplace=True)
    np.testing.assert_allclose(g.numpy(), t.numpy(), rtol=1e-6)
    bad = [
        ((x, 1.5, 3), {}),
        ((x[0], 0.5, 3), {}),
        ((x, 0.5, 4), {}),
    ]
    for args, kwargs in bad:
        with pytest.raises(ValueError) as theirs_err:
            tv.ops.drop_block2d(torch.tensor(args[0]), *args[1:], **kwargs)
        with pytest.raises(ValueError) as ours_err:
            ops.drop_block2d(gradiente.tensor(args[0]), *args[1:], **kwargs)
        assert str(ours_err.value) == str(theirs_err.value)
    with pytest.raises(ValueError) as theirs_err:
        tv.ops.drop_block3d(torch.tensor(x), 0.5, 3)
    with pytest.raises(ValueError, match=str(theirs_err.value)):
        ops.drop_block3d(gradiente.tensor(x), 0.5, 3)


def test_conv2d_norm_activation_pads_tuple_kernels_per_axis():
    """torchvision pads each axis by (k − 1) // 2 · d when kernel or dilation is a tuple (the
    layer building that Conv2d- and Conv3dNormActivation share)."""
    tv = real_torchvision()
    from gradiente.vision.models.misc import Conv2dNormActivation

    for kernel, dilation in (((3, 5), 2), (3, (1, 3)), ((1, 7), (2, 1))):
        theirs = tv.ops.Conv2dNormActivation(3, 4, kernel_size=kernel, dilation=dilation)
        ours = Conv2dNormActivation(3, 4, kernel_size=kernel, dilation=dilation)
        assert repr(ours) == repr(theirs)
