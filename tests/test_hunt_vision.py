"""Findings of the vision / nn.functional hunt, each checked against real torch (torchvision).

Each test is a reduced repro of a difference found by running the same program with torch and
under ``gradiente run``: grid_sample on volumes, torch's rules and messages for F.pad,
F.interpolate and F.unfold / F.fold, one_hot's message, box formats in ``ops.box_iou``, and
the geometric transforms of ``transforms.v2``.
"""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import gradiente  # noqa: E402
import gradiente.nn.functional as GF  # noqa: E402
from conftest import real_torchvision, to_torch  # noqa: E402


def _error(fn):
    """(type name, message) of what ``fn()`` raises."""
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - the comparison is the point
        return type(e).__name__, str(e)
    return None


def _same_error(ours, theirs):
    assert _error(ours) == _error(theirs)


# ------------------------------------------------------------------------------ grid_sample


@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align_corners", [False, True])
def test_grid_sample_volumetric_matches_torch(mode, padding_mode, align_corners):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 4, 5, 6))
    grid = rng.uniform(-1.3, 1.3, (2, 3, 2, 4, 3))
    gx = gradiente.tensor(x, requires_grad=True)
    gg = gradiente.tensor(grid, requires_grad=True)
    tx = to_torch(gx, requires_grad=True)
    tg = to_torch(gg, requires_grad=True)
    kw = dict(mode=mode, padding_mode=padding_mode, align_corners=align_corners)
    ours = GF.grid_sample(gx, gg, **kw)
    theirs = torch.nn.functional.grid_sample(tx, tg, **kw)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), atol=1e-12)
    upstream = rng.standard_normal(ours.shape)
    ours.backward(gradiente.tensor(upstream))
    theirs.backward(torch.tensor(upstream))
    np.testing.assert_allclose(gx.grad.numpy(), tx.grad.numpy(), atol=1e-10)
    np.testing.assert_allclose(gg.grad.numpy(), tg.grad.numpy(), atol=1e-10)


def test_grid_sample_volumetric_bicubic_is_refused_like_torch():
    x, grid = np.zeros((1, 1, 2, 2, 2)), np.zeros((1, 1, 1, 1, 3))
    _same_error(
        lambda: GF.grid_sample(gradiente.tensor(x), gradiente.tensor(grid), "bicubic"),
        lambda: torch.nn.functional.grid_sample(torch.tensor(x), torch.tensor(grid), "bicubic"),
    )


# ------------------------------------------------------------------------------ F.pad


@pytest.mark.parametrize("ndim", [1, 2, 3, 4, 5, 6])
@pytest.mark.parametrize("length", [2, 4, 6, 8])
def test_pad_non_constant_modes_accept_torchs_pairings_only(ndim, length):
    x = np.zeros((4,) * ndim)
    _same_error(
        lambda: GF.pad(gradiente.tensor(x), (1,) * length, mode="reflect"),
        lambda: torch.nn.functional.pad(torch.tensor(x), (1,) * length, mode="reflect"),
    )


# ------------------------------------------------------------------------------ interpolate


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(size=(3, 4), scale_factor=2),
        dict(),
        dict(size=(3, 4), recompute_scale_factor=True),
        dict(size=(3, 4, 5)),
        dict(scale_factor=(2.0, 2.0, 2.0)),
        dict(size=(3, 4), mode="nearest", align_corners=True, scale_factor=2),
    ],
)
def test_interpolate_argument_errors_match_torch(kwargs):
    x = np.zeros((1, 1, 4, 4))
    _same_error(
        lambda: GF.interpolate(gradiente.tensor(x), **kwargs),
        lambda: torch.nn.functional.interpolate(torch.tensor(x), **kwargs),
    )


# ------------------------------------------------------------------------------ unfold / fold

_FOLD_CASES = [
    ("fold", (1, 13, 20), ((5, 6), 2), {}),
    ("fold", (1, 12, 21), ((5, 6), 2), {}),
    ("fold", (1, 12, 20), ((5, 6), 2), dict(padding=-1)),
    ("fold", (1, 12, 20), ((5, 6), 0), {}),
    ("fold", (1, 12, 20), ((5, 6), 2), dict(dilation=0, padding=-1, stride=0)),
    ("fold", (1, 12, 20), ((1, 1), 2), {}),
    ("fold", (1, 12, 20), ((5, 6, 7), 2), {}),
    ("fold", (12,), ((5, 6), 2), {}),
    ("fold", (1, 12, 0), ((0, 0), 2), {}),
    ("unfold", (1, 3, 2, 2), (3,), {}),
    ("unfold", (1, 3, 4, 4), ((2, 2, 2),), {}),
    ("unfold", (1, 3, 4, 5), (2,), dict(dilation=0, padding=-1, stride=0)),
    ("unfold", (1, 3, 4, 5), (2,), dict(stride=0, padding=-1)),
    ("unfold", (1, 0, 3, 7), (2,), {}),
    ("unfold", (1, 3, 4, 4, 4), (2,), {}),
]


@pytest.mark.parametrize("name, shape, args, kwargs", _FOLD_CASES)
def test_unfold_fold_errors_match_torch(name, shape, args, kwargs):
    x = np.zeros(shape)
    _same_error(
        lambda: getattr(GF, name)(gradiente.tensor(x), *args, **kwargs),
        lambda: getattr(torch.nn.functional, name)(torch.tensor(x), *args, **kwargs),
    )


def test_unfold_fold_empty_batch_and_unbatched_shapes_match_torch():
    for name, shape, args in [
        ("unfold", (0, 3, 3, 7), (2,)),
        ("fold", (0, 12, 20), ((5, 6), 2)),
        ("fold", (12, 20), ((5, 6), 2)),
        ("unfold", (3, 4, 4), ((2, 1),)),
    ]:
        x = np.arange(np.prod(shape), dtype=np.float64).reshape(shape)
        kw = dict(padding=1) if name == "unfold" else {}
        ours = getattr(GF, name)(gradiente.tensor(x), *args, **kw)
        theirs = getattr(torch.nn.functional, name)(torch.tensor(x), *args, **kw)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


# ------------------------------------------------------------------------------ one_hot


def test_one_hot_class_too_large_message_matches_torch():
    _same_error(
        lambda: GF.one_hot(gradiente.tensor([0, 5]), 3),
        lambda: torch.nn.functional.one_hot(torch.tensor([0, 5]), 3),
    )


# ------------------------------------------------------------------------------ vision.ops


@pytest.mark.parametrize("fmt", ["xyxy", "xywh", "cxcywh"])
def test_box_iou_and_box_area_take_a_format(fmt):
    tv = real_torchvision()
    from gradiente.vision import ops

    rng = np.random.default_rng(1)
    corners = rng.uniform(0, 10, (2, 5, 4))
    corners[..., 2:] += corners[..., :2] + 1
    boxes = tv.ops.box_convert(torch.tensor(corners), "xyxy", fmt).numpy()
    ours = ops.box_iou(gradiente.tensor(boxes), gradiente.tensor(boxes[:, :3]), fmt=fmt)
    theirs = tv.ops.box_iou(torch.tensor(boxes), torch.tensor(boxes[:, :3]), fmt=fmt)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), atol=1e-14)
    area = ops.box_area(gradiente.tensor(boxes), fmt=fmt)
    np.testing.assert_allclose(area.numpy(), tv.ops.box_area(torch.tensor(boxes), fmt=fmt))


# ------------------------------------------------------------------------------ transforms.v2


@pytest.mark.parametrize(
    "build",
    [
        lambda v2: v2.RandomAffine(20, translate=(0.1, 0.2), scale=(0.8, 1.2), shear=8),
        lambda v2: v2.RandomPerspective(0.3, p=1.0, fill=0.5),
        lambda v2: v2.ElasticTransform(alpha=20.0, sigma=3.0),
        lambda v2: v2.FiveCrop(10),
        lambda v2: v2.TenCrop(10, vertical_flip=True),
    ],
)
def test_v2_geometric_transforms_match_torchvision(build):
    tv = real_torchvision()
    from torchvision.transforms import v2 as tv_v2

    from gradiente.vision import transforms_v2 as g_v2

    image = np.random.default_rng(2).random((3, 30, 38)).astype(np.float32)
    torch.manual_seed(4)
    theirs = build(tv_v2)(torch.tensor(image))
    gradiente.manual_seed(4)
    ours = build(g_v2)(gradiente.tensor(image))
    assert tv is not None
    if isinstance(theirs, (tuple, list)):
        theirs, ours = torch.stack(list(theirs)), gradiente.stack(list(ours))
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), atol=2e-5)  # float32 grids
