"""``gradiente.vision.tv_tensors`` and the v2 transforms on them, against the real torchvision.

The tv_tensors themselves: construction, repr, which operations keep the type
(``clone``/``to``/``detach``; everything under ``set_return_type("TVTensor")``), ``wrap``,
pickling. Then samples of the detection tutorial's shape — ``(Image, {"boxes": BoundingBoxes,
"masks": Mask, "labels": tensor})`` — through each geometric transform, the box transforms and
a few colour transforms, seeded alike on both sides: the images, masks and boxes must match
(values, dtype, type, box format and canvas size), and the generators must end in the same
state (the same draws).
"""

from __future__ import annotations

import copy
import importlib
import os
import pickle

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
        importlib.import_module(name)  # the submodules the tests read
    return torchvision


def _sample(lib, tvt, seed=0, fmt="XYXY", box_dtype="int64", mask_dtype="uint8"):
    """An image (3, 20, 30), three boxes (one degenerate after most crops), their masks and
    labels, built from the same numbers on both sides."""
    rng = np.random.default_rng(seed)
    img = rng.integers(0, 256, (3, 20, 30), dtype=np.uint8)
    xyxy = np.array([[2, 3, 10, 12], [5, 5, 29, 19], [20, 1, 22, 3]])
    masks = np.zeros((3, 20, 30), dtype=mask_dtype)
    for k, (x1, y1, x2, y2) in enumerate(xyxy):
        masks[k, y1:y2, x1:x2] = 1
    if fmt == "XYWH":
        boxes = np.concatenate([xyxy[:, :2], xyxy[:, 2:] - xyxy[:, :2]], 1)
    elif fmt == "CXCYWH":
        boxes = np.concatenate([(xyxy[:, :2] + xyxy[:, 2:]) / 2, xyxy[:, 2:] - xyxy[:, :2]], 1)
    else:
        boxes = xyxy
    boxes = lib.tensor(boxes.astype(box_dtype))
    target = {
        "boxes": tvt.BoundingBoxes(boxes, format=fmt, canvas_size=(20, 30)),
        "masks": tvt.Mask(lib.tensor(masks)),
        "labels": lib.tensor([1, 2, 3]),
    }
    return tvt.Image(lib.tensor(img)), target


def _check(ref, out, tvt):
    """Same structure, types, values and box metadata."""
    if isinstance(ref, (tuple, list)):
        assert type(out) is type(ref) and len(out) == len(ref)
        for r, o in zip(ref, out, strict=True):
            _check(r, o, tvt)
    elif isinstance(ref, dict):
        assert list(out) == list(ref)
        for k in ref:
            _check(ref[k], out[k], tvt)
    elif isinstance(ref, torch.Tensor):
        assert isinstance(out, g.Tensor)
        assert type(out).__name__ == type(ref).__name__
        if isinstance(ref, tvt.BoundingBoxes):
            assert out.format.name == ref.format.name
            assert tuple(out.canvas_size) == tuple(ref.canvas_size)
        r, o = ref.detach().numpy(), out.detach().numpy()
        if isinstance(ref, tvt.Image):
            assert_images_match(o, r)
        else:  # boxes, masks and labels: exact
            assert o.dtype == r.dtype
            np.testing.assert_array_equal(o, r)
    else:
        assert out == ref


def _both(tv, build, seeds=range(4), sample=lambda s: s, **sample_kwargs):
    """``build(v2)`` on both sides, each seed: the outputs and the generators' states
    (``sample`` picks what goes in)."""
    for seed in seeds:
        ours_in = sample(_sample(g, G, seed, **sample_kwargs))
        theirs_in = sample(_sample(torch, tv.tv_tensors, seed, **sample_kwargs))
        torch.manual_seed(seed)
        g.manual_seed(seed)
        ref = build(tv.transforms.v2)(*theirs_in)
        out = build(V)(*ours_in)
        _check(ref, out, tv.tv_tensors)
        assert torch.rand(1).item() == g.rand(1).item()


# ---------------------------------------------------------------------------------------------
# The tv_tensors themselves
# ---------------------------------------------------------------------------------------------


def test_repr_and_construction(tv):
    T = tv.tv_tensors
    cases = [
        lambda lib, m: m.Image(lib.zeros(1, 2, 2, dtype=lib.uint8)),
        lambda lib, m: m.Image(lib.ones(2, 3)),
        lambda lib, m: m.Mask(lib.zeros(2, 2, dtype=lib.bool)),
        lambda lib, m: m.Video(lib.zeros(1, 1, 1, 2, 2)),
        lambda lib, m: m.BoundingBoxes([[1, 2, 3, 4]], format="XYXY", canvas_size=(10, 10)),
        lambda lib, m: m.BoundingBoxes(
            lib.tensor([1.5, 2, 3, 4]), format=m.BoundingBoxFormat.CXCYWH, canvas_size=[5, 6]
        ),
    ]
    for make in cases:
        ref, out = make(torch, T), make(g, G)
        assert repr(out) == repr(ref)
        assert tuple(out.shape) == tuple(ref.shape)
    with pytest.raises(ValueError, match="2D or higher"):
        G.Image(g.zeros(3))
    with pytest.raises(ValueError, match="1D or 2D"):
        G.BoundingBoxes(g.zeros(1, 1, 4), format="XYXY", canvas_size=(1, 1))


def test_image_from_pil(tv):
    from PIL import Image

    pil = Image.fromarray(np.arange(24, dtype=np.uint8).reshape(2, 4, 3))
    ref, out = tv.tv_tensors.Image(pil), G.Image(pil)
    assert type(out) is G.Image
    np.testing.assert_array_equal(out.numpy(), ref.numpy())


def test_which_operations_keep_the_type(tv):
    T = tv.tv_tensors
    img_t, img_g = T.Image(torch.ones(1, 2, 2)), G.Image(g.ones(1, 2, 2))
    box_t = T.BoundingBoxes([[1, 2, 3, 4]], format="XYWH", canvas_size=(7, 8))
    box_g = G.BoundingBoxes([[1, 2, 3, 4]], format="XYWH", canvas_size=(7, 8))
    ops = [
        lambda x: x + 1,
        lambda x: x * x,
        lambda x: x[0],
        lambda x: x.float(),
        lambda x: x.sum(),
        lambda x: x.clone(),
        lambda x: x.to(x.dtype),
        lambda x: x.detach(),
        lambda x: x.reshape(-1),
    ]
    for op in ops:
        for ref_in, our_in in ((img_t, img_g), (box_t, box_g)):
            assert type(op(our_in)).__name__ == type(op(ref_in)).__name__
            with T.set_return_type("TVTensor"), G.set_return_type("TVTensor"):
                assert type(op(our_in)).__name__ == type(op(ref_in)).__name__
    with G.set_return_type("tvtensor"):
        doubled = box_g * 2
    assert doubled.format is G.BoundingBoxFormat.XYWH and doubled.canvas_size == (7, 8)
    assert type(img_g + 1) is g.Tensor
    with pytest.raises(ValueError, match="return_type must be"):
        G.set_return_type("image")


def test_wrap_pickle_deepcopy(tv):
    box = G.BoundingBoxes([[1, 2, 3, 4]], format="XYXY", canvas_size=(7, 8))
    moved = G.wrap(g.tensor([[0, 0, 1, 1]]), like=box, canvas_size=(3, 3))
    ref = tv.tv_tensors.wrap(
        torch.tensor([[0, 0, 1, 1]]),
        like=tv.tv_tensors.BoundingBoxes([[1, 2, 3, 4]], format="XYXY", canvas_size=(7, 8)),
        canvas_size=(3, 3),
    )
    assert repr(moved) == repr(ref)
    for copied in (pickle.loads(pickle.dumps(box)), copy.deepcopy(box)):
        assert type(copied) is G.BoundingBoxes and repr(copied) == repr(box)
    plain = box.as_subclass(g.Tensor)
    assert type(plain) is g.Tensor and plain.tolist() == [[1, 2, 3, 4]]


def test_gradient_flows_through_the_wrapper():
    x = g.rand(3, 4, 4, requires_grad=True)
    (G.Image(x) * 2).sum().backward()
    assert x.grad.tolist() == g.full((3, 4, 4), 2.0).tolist()


# ---------------------------------------------------------------------------------------------
# Transforms on tv_tensors
# ---------------------------------------------------------------------------------------------


def test_detection_tutorial_pipeline(tv):
    """The detection tutorial's transform: ToImage, a flip, ToDtype(scale), Sanitize."""

    def build(v2):
        lib = torch if v2 is tv.transforms.v2 else g
        return v2.Compose(
            [
                v2.ToImage(),
                v2.RandomHorizontalFlip(0.5),
                v2.ToDtype(lib.float32, scale=True),
                v2.SanitizeBoundingBoxes(),
            ]
        )

    _both(tv, build, seeds=range(6))


GEOMETRIC = {
    "hflip": lambda v2: v2.RandomHorizontalFlip(p=1.0),
    "vflip": lambda v2: v2.RandomVerticalFlip(p=1.0),
    "resize": lambda v2: v2.Resize(14),
    "resize_hw_nearest": lambda v2: v2.Resize([9, 40], interpolation=v2.InterpolationMode.NEAREST),
    "resize_max": lambda v2: v2.Resize(None, max_size=17),
    "center_crop": lambda v2: v2.CenterCrop(12),
    "center_crop_larger": lambda v2: v2.CenterCrop([25, 11]),
    "resized_crop": lambda v2: v2.RandomResizedCrop(16, scale=(0.3, 1.0)),
    "random_crop": lambda v2: v2.RandomCrop(12),
    "random_crop_pad": lambda v2: v2.RandomCrop((22, 14), padding=[1, 2], pad_if_needed=True),
    "pad": lambda v2: v2.Pad([1, 2, 3, 4], fill=7),
    "iou_crop": lambda v2: v2.RandomIoUCrop(),
    "clamp": lambda v2: v2.Compose([v2.Pad(3), v2.ClampBoundingBoxes()]),
    "zoom_chain": lambda v2: v2.Compose(
        [v2.RandomResizedCrop(24), v2.RandomHorizontalFlip(), v2.CenterCrop(20), v2.Resize(9)]
    ),
}


@pytest.mark.parametrize("name", list(GEOMETRIC))
@pytest.mark.parametrize("fmt", ["XYXY", "XYWH", "CXCYWH"])
def test_geometric_transforms_move_boxes_and_masks(tv, name, fmt):
    box_dtype = "float32" if fmt == "CXCYWH" else "int64"
    _both(tv, GEOMETRIC[name], fmt=fmt, box_dtype=box_dtype)


@pytest.mark.parametrize("box_dtype", ["int64", "float32", "float64"])
def test_boxes_of_every_dtype(tv, box_dtype):
    _both(
        tv,
        lambda v2: v2.Compose([v2.RandomResizedCrop(17), v2.RandomCrop(15, padding=1)]),
        box_dtype=box_dtype,
    )


def test_bool_masks(tv):
    _both(tv, lambda v2: v2.Compose([v2.Resize(13), v2.RandomCrop(10)]), mask_dtype="bool")


@pytest.mark.parametrize("old", ["XYXY", "XYWH", "CXCYWH"])
@pytest.mark.parametrize("new", ["XYXY", "XYWH", "CXCYWH"])
@pytest.mark.parametrize("box_dtype", ["int64", "float32"])
def test_convert_bounding_box_format(tv, old, new, box_dtype):
    _both(tv, lambda v2: v2.ConvertBoundingBoxFormat(new), seeds=[0], fmt=old, box_dtype=box_dtype)


def test_sanitize_with_labels_getters(tv):
    _both(tv, lambda v2: v2.Compose([v2.CenterCrop(10), v2.SanitizeBoundingBoxes(min_size=2)]))
    _both(
        tv,
        lambda v2: v2.Compose(
            [v2.RandomIoUCrop(), v2.SanitizeBoundingBoxes(labels_getter=lambda s: s[1]["labels"])]
        ),
    )
    _both(tv, lambda v2: v2.SanitizeBoundingBoxes(min_area=40, labels_getter=None))


COLOUR = {
    "jitter": lambda v2: v2.ColorJitter(0.4, 0.4, 0.4, 0.1),
    "photometric": lambda v2: v2.RandomPhotometricDistort(p=1.0),
    "grayscale": lambda v2: v2.RandomGrayscale(p=1.0),
    "to_pure": lambda v2: v2.ToPureTensor(),
}


@pytest.mark.parametrize("name", list(COLOUR))
def test_colour_transforms_leave_masks_and_boxes(tv, name):
    _both(tv, COLOUR[name])


def test_auto_augment_refuses_masks_and_boxes(tv):
    sample_t, sample_g = _sample(torch, tv.tv_tensors), _sample(g, G)
    for name in ("AutoAugment", "RandAugment", "TrivialAugmentWide", "AugMix"):
        with pytest.raises(TypeError) as ref:
            getattr(tv.transforms.v2, name)()(*sample_t)
        with pytest.raises(TypeError) as ours:
            getattr(V, name)()(*sample_g)
        assert str(ours.value) == str(ref.value)
    _both(tv, lambda v2: v2.AutoAugment(), sample=lambda s: (s[0], s[1]["labels"]))


def test_to_dtype_by_type(tv):
    def build(v2):
        lib, tvt = (torch, tv.tv_tensors) if v2 is tv.transforms.v2 else (g, G)
        return v2.ToDtype({tvt.Image: lib.float32, tvt.Mask: lib.int64, "others": None}, True)

    _both(tv, build, seeds=[0])


def test_to_image_gives_an_image(tv):
    from PIL import Image

    arr = np.arange(24, dtype=np.uint8).reshape(2, 4, 3)
    for x_t, x_g in [
        (Image.fromarray(arr), Image.fromarray(arr)),
        (torch.ones(2, 3), g.ones(2, 3)),
    ]:
        ref, out = tv.transforms.v2.ToImage()(x_t), V.ToImage()(x_g)
        assert type(out) is G.Image
        np.testing.assert_array_equal(out.numpy(), ref.numpy())


def test_five_and_ten_crop_refuse_boxes(tv):
    """As torchvision's, FiveCrop and TenCrop refuse masks and boxes (the warps move them:
    tests/vision/test_v2_affine_boxes.py)."""
    for name in ("FiveCrop", "TenCrop"):
        with pytest.raises(TypeError) as ref:
            getattr(tv.transforms.v2, name)(8)(*_sample(torch, tv.tv_tensors))
        with pytest.raises(TypeError) as ours:
            getattr(V, name)(8)(*_sample(g, G))
        assert str(ours.value) == str(ref.value)


def test_custom_transform_subclass(tv):
    """torchvision's custom-transform recipe: subclass Transform, override make_params and
    transform; the draws are shared by every leaf of the sample."""

    def build(v2):
        lib = torch if v2 is tv.transforms.v2 else g

        class AddNoiseToImages(v2.Transform):
            def __init__(self, level: int) -> None:
                super().__init__()
                self.level = level

            def make_params(self, flat_inputs):
                return {"shift": int(lib.randint(0, self.level, (1,)).item())}

            def transform(self, inpt, params):
                if isinstance(inpt, (tv.tv_tensors.Image, G.Image)):
                    return inpt + params["shift"]
                return inpt

        return AddNoiseToImages(5)

    _both(tv, build)
    assert str(build(V)) == str(build(tv.transforms.v2)) == "AddNoiseToImages(level=5)"
