"""The v2 warps and rescalings on detection samples, against the real torchvision.

``RandomRotation``, ``RandomAffine``, ``RandomPerspective``, ``ElasticTransform``,
``RandomZoomOut``, ``ScaleJitter``, ``RandomShortestSize`` and ``RandomResize`` take a sample
``(Image, {"boxes": BoundingBoxes, "masks": Mask, "labels": tensor})`` seeded alike on both
sides: each box must become what torchvision makes of it (the box around its four moved
corners, clamped to the canvas, or moved onto the larger canvas of ``expand``), in the three
box formats, the masks must be warped with nearest neighbours, the image with the transform's
interpolation, and the generators must end in the same state (the same draws).

Integer boxes and masks must match exactly. Float boxes go through torch's matrix product,
whose rounding depends on the machine's vector unit: they must match to the last bits. Images
match up to torch's vector rounding (``image_match``).
"""

from __future__ import annotations

import importlib
import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import gradiente as g  # noqa: E402
import gradiente.vision.transforms_v2 as V  # noqa: E402
from conftest import real_torchvision  # noqa: E402
from gradiente.vision import tv_tensors as G  # noqa: E402
from vision.image_match import assert_images_match  # noqa: E402


@pytest.fixture(scope="module")
def tv():
    torchvision = real_torchvision()
    for name in ("torchvision.transforms.v2", "torchvision.tv_tensors"):
        importlib.import_module(name)
    return torchvision


XYXY = np.array([[2, 3, 10, 12], [5, 5, 29, 19], [20, 1, 22, 3], [0, 0, 30, 20], [12, 8, 18, 15]])


def _sample(lib, tvt, seed: int, fmt: str, box_dtype: str):
    """An image (3, 20, 30), five boxes (one the whole canvas, one tiny), their masks and
    labels, from the same numbers on both sides."""
    rng = np.random.default_rng(seed)
    img = rng.integers(0, 256, (3, 20, 30), dtype=np.uint8)
    masks = np.zeros((len(XYXY), 20, 30), dtype=np.uint8)
    for k, (x1, y1, x2, y2) in enumerate(XYXY):
        masks[k, y1:y2, x1:x2] = 1
    boxes = XYXY.astype(np.float64)
    if fmt == "XYWH":
        boxes = np.concatenate([boxes[:, :2], boxes[:, 2:] - boxes[:, :2]], 1)
    elif fmt == "CXCYWH":
        boxes = np.concatenate([(boxes[:, :2] + boxes[:, 2:]) / 2, boxes[:, 2:] - boxes[:, :2]], 1)
    if box_dtype == "int64":
        boxes = np.floor(boxes)
    target = {
        "boxes": tvt.BoundingBoxes(
            lib.tensor(boxes.astype(box_dtype)), format=fmt, canvas_size=(20, 30)
        ),
        "masks": tvt.Mask(lib.tensor(masks)),
        "labels": lib.tensor(np.arange(len(XYXY))),
    }
    return tvt.Image(lib.tensor(img)), target


def _check(ref, out, tvt) -> None:
    if isinstance(ref, (tuple, list)):
        assert type(out) is type(ref) and len(out) == len(ref)
        for r, o in zip(ref, out, strict=True):
            _check(r, o, tvt)
        return
    if isinstance(ref, dict):
        assert list(out) == list(ref)
        for key in ref:
            _check(ref[key], out[key], tvt)
        return
    assert type(out).__name__ == type(ref).__name__
    r, o = ref.numpy(), out.numpy()
    assert o.shape == r.shape and o.dtype == r.dtype
    if isinstance(ref, tvt.BoundingBoxes):
        assert out.format.name == ref.format.name
        assert tuple(out.canvas_size) == tuple(ref.canvas_size)
        if r.dtype.kind == "f":
            np.testing.assert_allclose(o, r, rtol=1e-6, atol=1e-5)
            return
    if isinstance(ref, tvt.Image):
        assert_images_match(o, r)
    else:  # masks, integer boxes, labels
        np.testing.assert_array_equal(o, r)


def _both(tv, build, fmt: str, box_dtype: str, seeds=range(4)) -> None:
    """``build(v2, lib, tvt)`` on both sides for each seed: outputs and generator states."""
    for seed in seeds:
        ours_in = _sample(g, G, seed, fmt, box_dtype)
        theirs_in = _sample(torch, tv.tv_tensors, seed, fmt, box_dtype)
        torch.manual_seed(seed)
        g.manual_seed(seed)
        ref = build(tv.transforms.v2, torch, tv.tv_tensors)(*theirs_in)
        out = build(V, g, G)(*ours_in)
        _check(ref, out, tv.tv_tensors)
        assert torch.rand(1).item() == g.rand(1).item()


WARPS = {
    "rotation": lambda v2, lib, tvt: v2.RandomRotation(40),
    "rotation_expand": lambda v2, lib, tvt: v2.RandomRotation((-80, 80), expand=True, fill=3),
    "rotation_bilinear_centre": lambda v2, lib, tvt: v2.RandomRotation(
        25, interpolation=v2.InterpolationMode.BILINEAR, center=[8, 6]
    ),
    "affine": lambda v2, lib, tvt: v2.RandomAffine(
        30, translate=(0.1, 0.2), scale=(0.7, 1.3), shear=(-10, 10, -5, 5)
    ),
    "affine_fill_by_type": lambda v2, lib, tvt: v2.RandomAffine(
        10, shear=15, fill={tvt.Image: 127, tvt.Mask: 0}
    ),
    "perspective": lambda v2, lib, tvt: v2.RandomPerspective(0.4, p=1.0),
    "perspective_half": lambda v2, lib, tvt: v2.RandomPerspective(p=0.5, fill=5),
    "elastic": lambda v2, lib, tvt: v2.ElasticTransform(alpha=20.0, sigma=3.0),
    "zoom_out": lambda v2, lib, tvt: v2.RandomZoomOut(fill={tvt.Image: 9, "others": 0}, p=1.0),
    "scale_jitter": lambda v2, lib, tvt: v2.ScaleJitter((40, 24), scale_range=(0.5, 1.5)),
    "shortest_size": lambda v2, lib, tvt: v2.RandomShortestSize([12, 16, 25], max_size=40),
    "random_resize": lambda v2, lib, tvt: v2.RandomResize(10, 30),
    "detection_chain": lambda v2, lib, tvt: v2.Compose(
        [
            v2.RandomZoomOut(p=0.7),
            v2.RandomAffine(15, translate=(0.1, 0.1)),
            v2.RandomIoUCrop(),
            v2.Resize(24),
            v2.SanitizeBoundingBoxes(),
        ]
    ),
}


@pytest.mark.parametrize("name", list(WARPS))
@pytest.mark.parametrize("fmt", ["XYXY", "XYWH", "CXCYWH"])
def test_warps_move_boxes_and_masks(tv, name, fmt):
    box_dtype = "float32" if fmt == "CXCYWH" else "int64"
    _both(tv, WARPS[name], fmt, box_dtype)


@pytest.mark.parametrize("name", ["rotation_expand", "affine", "perspective", "elastic"])
@pytest.mark.parametrize("box_dtype", ["int64", "float32", "float64"])
def test_warps_on_boxes_of_every_dtype(tv, name, box_dtype):
    _both(tv, WARPS[name], "XYWH", box_dtype, seeds=range(2))


def test_plain_image_alone_and_custom_tv_tensors_pass_through(tv):
    """A plain tensor is the image when nothing else is; a tv_tensor type without a kernel
    passes through, as in torchvision."""

    class Points(G.TVTensor):
        pass

    torch.manual_seed(0)
    g.manual_seed(0)
    image = np.random.default_rng(0).integers(0, 256, (3, 20, 30), dtype=np.uint8)
    ref = tv.transforms.v2.RandomRotation(30)(torch.tensor(image))
    out = V.RandomRotation(30)(g.tensor(image))
    assert type(out) is g.Tensor
    assert_images_match(out.numpy(), ref.numpy())
    points = Points.wrap(g.zeros(2, 2))
    assert V.RandomAffine(10)(G.Image(g.tensor(image)), points)[1] is points
