"""``transforms.v2.functional``'s geometric functions dispatched by type, against torchvision.

Each of ``F.horizontal_flip``, ``vertical_flip``, ``resize``, ``crop``, ``center_crop``,
``resized_crop``, ``pad``, ``affine``, ``rotate``, ``perspective``, ``elastic`` is applied to an
``Image`` (uint8 and float), a plain tensor, a ``Video``, a ``Mask`` ((N, H, W) and (H, W)) and
``BoundingBoxes`` in the three formats (integer and float): the output must be of the same
type as torchvision's, with its values (images up to torch's vector rounding, masks and
integer boxes exactly, float boxes to the last bits) and the boxes' format and canvas size.
Then the per-type kernels torchvision exposes (``rotate_bounding_boxes``, ``resize_mask``, ...)
and the refusals.
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
from gradiente.vision import functional_v2 as GF  # noqa: E402
from gradiente.vision import tv_tensors as G  # noqa: E402
from vision.image_match import assert_images_match  # noqa: E402


@pytest.fixture(scope="module")
def tv():
    torchvision = real_torchvision()
    for name in ("torchvision.transforms.v2.functional", "torchvision.tv_tensors"):
        importlib.import_module(name)
    return torchvision


H, W = 20, 30
XYXY = np.array([[2, 3, 10, 12], [5, 5, 29, 19], [20, 1, 22, 3], [0, 14, 7, 20]])


def _boxes_array(fmt: str, dtype: str):
    """The four boxes of ``XYXY`` in ``fmt``, as ``dtype`` (CXCYWH centres may be halves)."""
    a = XYXY.astype(np.float64)
    if fmt == "XYWH":
        a = np.concatenate([a[:, :2], a[:, 2:] - a[:, :2]], 1)
    elif fmt == "CXCYWH":
        a = np.concatenate([(a[:, :2] + a[:, 2:]) / 2, a[:, 2:] - a[:, :2]], 1)
    if dtype == "int64":
        a = np.floor(a)
    return a.astype(dtype)


def _inputs(kind: str, lib, tvt):
    """One input of ``kind`` built from the same numbers on both sides."""
    rng = np.random.default_rng(0)
    if kind.startswith("boxes"):
        _, fmt, dtype = kind.split("-")
        data = lib.tensor(_boxes_array(fmt, dtype))
        return tvt.BoundingBoxes(data, format=fmt, canvas_size=(H, W))
    if kind.startswith("mask"):
        masks = np.zeros((4, H, W), dtype=np.uint8)
        for k, (x1, y1, x2, y2) in enumerate(XYXY):
            masks[k, y1:y2, x1:x2] = k + 1
        return tvt.Mask(lib.tensor(masks[0] if kind == "mask2d" else masks))
    if kind == "video":
        return tvt.Video(lib.tensor(rng.integers(0, 256, (2, 3, H, W), dtype=np.uint8)))
    if kind == "image_float":
        return tvt.Image(lib.tensor(rng.random((3, H, W), dtype=np.float32)))
    image = lib.tensor(rng.integers(0, 256, (3, H, W), dtype=np.uint8))
    return image if kind == "plain" else tvt.Image(image)


KINDS = ["image", "image_float", "plain", "video", "mask", "mask2d"] + [
    f"boxes-{fmt}-{dtype}"
    for fmt in ("XYXY", "XYWH", "CXCYWH")
    for dtype in ("int64", "float32", "float64")
]


def _check(ref, out, tvt) -> None:
    """Same type, box metadata and values."""
    if isinstance(ref, (tuple, list)):
        assert len(out) == len(ref)
        for r, o in zip(ref, out, strict=True):
            _check(r, o, tvt)
        return
    assert type(out).__name__ == type(ref).__name__
    if isinstance(ref, tvt.BoundingBoxes):
        assert out.format.name == ref.format.name
        assert tuple(out.canvas_size) == tuple(ref.canvas_size)
        assert out.clamping_mode == ref.clamping_mode
    r, o = ref.detach().numpy(), out.detach().numpy()
    assert o.shape == r.shape and o.dtype == r.dtype
    if isinstance(ref, tvt.BoundingBoxes) and r.dtype.kind == "f":
        np.testing.assert_allclose(o, r, rtol=1e-6, atol=1e-5)  # torch's matmul: last bits
    elif isinstance(ref, tvt.Mask) or isinstance(ref, tvt.BoundingBoxes):
        np.testing.assert_array_equal(o, r)
    else:
        assert_images_match(o, r)


def _displacement(lib):
    rng = np.random.default_rng(3)
    return lib.tensor(((rng.random((1, H, W, 2)) - 0.5) * 0.2).astype(np.float32))


CALLS = {
    "hflip": lambda F, lib: (F.horizontal_flip, (), {}),
    "vflip": lambda F, lib: (F.vertical_flip, (), {}),
    "resize": lambda F, lib: (F.resize, ([13],), {}),
    "resize_hw": lambda F, lib: (
        F.resize,
        ([9, 40],),
        {"interpolation": F.InterpolationMode.BICUBIC},
    ),
    "resize_max": lambda F, lib: (F.resize, (None,), {"max_size": 17}),
    "crop": lambda F, lib: (F.crop, (2, 3, 12, 15), {}),
    "crop_outside": lambda F, lib: (F.crop, (-2, 20, 16, 15), {}),
    "center_crop": lambda F, lib: (F.center_crop, ([12, 25],), {}),
    "center_crop_larger": lambda F, lib: (F.center_crop, ([24],), {}),
    "resized_crop": lambda F, lib: (F.resized_crop, (1, 4, 15, 20, [10, 12]), {}),
    "pad": lambda F, lib: (F.pad, ([1, 2, 3, 4],), {}),
    "pad_fill": lambda F, lib: (F.pad, ([3],), {"fill": 5}),
    "affine": lambda F, lib: (F.affine, (12.5, [2, -3], 1.1, [5.0, -4.0]), {}),
    "affine_centre": lambda F, lib: (
        F.affine,
        (-30.0, [0, 1], 0.9, 8.0),
        {"center": [4, 6], "fill": 3},
    ),
    "rotate": lambda F, lib: (F.rotate, (33.0,), {}),
    "rotate_expand": lambda F, lib: (F.rotate, (-47.0,), {"expand": True, "fill": 9}),
    "rotate_90_expand": lambda F, lib: (F.rotate, (90.0,), {"expand": True}),
    "rotate_180": lambda F, lib: (F.rotate, (180.0,), {}),
    "rotate_centre_bilinear": lambda F, lib: (
        F.rotate,
        (20.0,),
        {"center": [5, 5], "interpolation": F.InterpolationMode.BILINEAR},
    ),
    "perspective": lambda F, lib: (
        F.perspective,
        (None, None),
        {"coefficients": [1.05, 0.1, -2.0, 0.05, 0.95, 1.5, 0.001, -0.002]},
    ),
    "perspective_points": lambda F, lib: (
        F.perspective,
        ([[0, 0], [29, 0], [29, 19], [0, 19]], [[3, 2], [25, 1], [27, 17], [2, 18]]),
        {"fill": 1},
    ),
    "elastic": lambda F, lib: (F.elastic, (_displacement(lib),), {}),
}


@pytest.mark.parametrize("call", list(CALLS))
@pytest.mark.parametrize("kind", KINDS)
def test_dispatch_by_type(tv, call, kind):
    if call == "perspective_points" and kind.endswith("float64"):
        pytest.skip("NumPy's lstsq and torch's gels differ in the coefficients' last bits")
    F, T = tv.transforms.v2.functional, tv.tv_tensors
    function, args, kwargs = CALLS[call](F, torch)
    ref = function(_inputs(kind, torch, T), *args, **kwargs)
    function, args, kwargs = CALLS[call](GF, g)
    out = function(_inputs(kind, g, G), *args, **kwargs)
    _check(ref, out, T)


def test_pil_images_dispatch_to_pillow(tv):
    from PIL import Image

    F = tv.transforms.v2.functional
    arr = np.random.default_rng(1).integers(0, 256, (H, W, 3), dtype=np.uint8)
    for name in ("hflip", "resize", "crop", "pad", "rotate_expand", "affine", "perspective"):
        f_t, args, kwargs = CALLS[name](F, torch)
        f_g, args_g, kwargs_g = CALLS[name](GF, g)
        ref = f_t(Image.fromarray(arr), *args, **kwargs)
        out = f_g(Image.fromarray(arr), *args_g, **kwargs_g)
        assert isinstance(out, Image.Image)
        np.testing.assert_array_equal(np.asarray(out), np.asarray(ref))


# ---------------------------------------------------------------------------------------------
# The per-type kernels
# ---------------------------------------------------------------------------------------------


KERNELS = {
    "horizontal_flip_bounding_boxes": lambda lib, fmt: ((), {"format": fmt, "canvas_size": (H, W)}),
    "vertical_flip_bounding_boxes": lambda lib, fmt: ((), {"format": fmt, "canvas_size": (H, W)}),
    "resize_bounding_boxes": lambda lib, fmt: (
        (),
        {"canvas_size": (H, W), "size": [10], "format": fmt},
    ),
    "crop_bounding_boxes": lambda lib, fmt: ((fmt, 2, 3, 12, 15), {}),
    "center_crop_bounding_boxes": lambda lib, fmt: ((fmt, (H, W), [11, 14]), {}),
    "resized_crop_bounding_boxes": lambda lib, fmt: ((fmt, 1, 4, 15, 20, [10, 12]), {}),
    "pad_bounding_boxes": lambda lib, fmt: ((fmt, (H, W), [2, 3]), {}),
    "affine_bounding_boxes": lambda lib, fmt: ((fmt, (H, W), 20.0, [1, 2], 1.2, [3.0, 0.0]), {}),
    "rotate_bounding_boxes": lambda lib, fmt: ((fmt, (H, W), 60.0), {"expand": True}),
    "perspective_bounding_boxes": lambda lib, fmt: (
        (fmt, (H, W), None, None),
        {"coefficients": [1.05, 0.1, -2.0, 0.05, 0.95, 1.5, 0.001, -0.002]},
    ),
    "elastic_bounding_boxes": lambda lib, fmt: ((fmt, (H, W), _displacement(lib)), {}),
}


@pytest.mark.parametrize("name", list(KERNELS))
@pytest.mark.parametrize("fmt", ["XYXY", "XYWH", "CXCYWH"])
def test_bounding_box_kernels(tv, name, fmt):
    """Plain tensors in, plain tensors out (with the canvas size where the kernel changes it)."""
    F, T = tv.transforms.v2.functional, tv.tv_tensors
    for dtype in ("int64", "float32"):
        args, kwargs = KERNELS[name](torch, getattr(T.BoundingBoxFormat, fmt))
        ref = getattr(F, name)(torch.tensor(_boxes_array(fmt, dtype)), *args, **kwargs)
        args, kwargs = KERNELS[name](g, getattr(G.BoundingBoxFormat, fmt))
        out = getattr(GF, name)(g.tensor(_boxes_array(fmt, dtype)), *args, **kwargs)
        if isinstance(ref, tuple):
            assert tuple(out[1]) == tuple(ref[1])
            ref, out = ref[0], out[0]
        assert type(out) is g.Tensor
        np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=1e-6, atol=1e-5)
        assert out.numpy().dtype == ref.numpy().dtype


MASK_KERNELS = {
    "horizontal_flip_mask": ((), {}),
    "resize_mask": (([7, 9],), {}),
    "crop_mask": ((1, 2, 10, 12), {}),
    "center_crop_mask": (([8, 8],), {}),
    "resized_crop_mask": ((1, 2, 10, 12, [15, 5]), {}),
    "pad_mask": (([1, 2],), {"fill": 4}),
    "affine_mask": ((10.0, [1, 1], 1.0, [0.0, 0.0]), {}),
    "rotate_mask": ((25.0,), {"expand": True}),
    "perspective_mask": ((None, None), {"coefficients": [1, 0.1, -2, 0, 1, 1, 0, 0]}),
}


@pytest.mark.parametrize("name", list(MASK_KERNELS))
def test_mask_kernels(tv, name):
    F = tv.transforms.v2.functional
    args, kwargs = MASK_KERNELS[name]
    for kind in ("mask", "mask2d"):
        ref = getattr(F, name)(
            _inputs(kind, torch, tv.tv_tensors).as_subclass(torch.Tensor), *args, **kwargs
        )
        out = getattr(GF, name)(_inputs(kind, g, G).as_subclass(g.Tensor), *args, **kwargs)
        np.testing.assert_array_equal(out.numpy(), ref.numpy())


def test_kernel_names_match_torchvision(tv):
    """Every geometric per-type kernel torchvision has (key points aside), gradiente has."""
    F = tv.transforms.v2.functional
    bases = ("flip", "resize", "crop", "pad", "affine", "rotate", "perspective", "elastic")
    wanted = [
        n
        for n in dir(F)
        if any(b in n for b in bases)
        and n.rsplit("_", 1)[-1] in ("image", "mask", "boxes", "video")
    ]
    assert wanted and [n for n in wanted if not hasattr(GF, n)] == []


def test_size_helpers(tv):
    F, T = tv.transforms.v2.functional, tv.tv_tensors
    for kind in ("image", "video", "mask2d", "boxes-XYXY-int64"):
        assert GF.get_size(_inputs(kind, g, G)) == F.get_size(_inputs(kind, torch, T))
    video_t, video_g = _inputs("video", torch, T), _inputs("video", g, G)
    assert GF.get_num_frames(video_g) == F.get_num_frames(video_t)


def test_five_and_ten_crop_keep_the_type_and_refuse_boxes(tv):
    F, T = tv.transforms.v2.functional, tv.tv_tensors
    for kind in ("image", "video"):
        ref = F.ten_crop(_inputs(kind, torch, T), [8, 10], vertical_flip=True)
        out = GF.ten_crop(_inputs(kind, g, G), [8, 10], vertical_flip=True)
        _check(ref, out, T)
        _check(F.five_crop(_inputs(kind, torch, T), 7), GF.five_crop(_inputs(kind, g, G), 7), T)
    for kind in ("mask", "boxes-XYXY-int64"):
        with pytest.raises(TypeError):
            F.five_crop(_inputs(kind, torch, T), 7)
        with pytest.raises(TypeError, match="F.five_crop"):
            GF.five_crop(_inputs(kind, g, G), 7)


def test_refusals(tv):
    F, T = tv.transforms.v2.functional, tv.tv_tensors
    boxes_t, boxes_g = _inputs("boxes-XYXY-int64", torch, T), _inputs("boxes-XYXY-int64", g, G)
    for lib_f, boxes in ((F, boxes_t), (GF, boxes_g)):
        with pytest.raises(ValueError, match="Padding mode 'reflect' is not supported"):
            lib_f.pad(boxes, [1], padding_mode="reflect")
    with pytest.raises(ValueError, match="Non-scalar fill"):
        GF.pad_mask(g.zeros(2, 2), [1], fill=[1, 2])
    with pytest.raises(TypeError, match="F.rotate"):
        GF.rotate("not an image", 10.0)


def test_clamping_mode_none_keeps_boxes_outside(tv):
    F, T = tv.transforms.v2.functional, tv.tv_tensors
    data = [[-5, 2, 40, 10]]
    ref = F.rotate(
        T.BoundingBoxes(data, format="XYXY", canvas_size=(H, W), clamping_mode=None), 10.0
    )
    out = GF.rotate(
        G.BoundingBoxes(data, format="XYXY", canvas_size=(H, W), clamping_mode=None), 10.0
    )
    _check(ref, out, T)
    ref = F.crop(
        T.BoundingBoxes(data, format="XYXY", canvas_size=(H, W), clamping_mode=None), 1, 1, 5, 5
    )
    out = GF.crop(
        G.BoundingBoxes(data, format="XYXY", canvas_size=(H, W), clamping_mode=None), 1, 1, 5, 5
    )
    _check(ref, out, T)


# ---------------------------------------------------------------------------------------------
# The colour and other functions by type; the smaller v2 transforms and helpers
# ---------------------------------------------------------------------------------------------

COLOUR_CALLS = {
    "adjust_brightness": (1.3,),
    "adjust_contrast": (0.7,),
    "adjust_saturation": (1.4,),
    "adjust_hue": (0.1,),
    "adjust_gamma": (0.8,),
    "adjust_sharpness": (2.0,),
    "autocontrast": (),
    "equalize": (),
    "invert": (),
    "posterize": (3,),
    "solarize": (100,),
    "gaussian_blur": ([3, 5],),
    "permute_channels": ([2, 0, 1],),
    "rgb_to_grayscale": (),
    "grayscale_to_rgb": (),
    "erase": (1, 2, 5, 6, 0),
}


@pytest.mark.parametrize("name", list(COLOUR_CALLS))
def test_colour_functions_keep_the_type_and_refuse_masks(tv, name):
    F, T = tv.transforms.v2.functional, tv.tv_tensors
    args = COLOUR_CALLS[name]
    image_only = name in ("rgb_to_grayscale", "grayscale_to_rgb")
    for kind in ["image", "plain"] + ([] if image_only else ["video"]):
        ref = getattr(F, name)(_inputs(kind, torch, T), *args)
        out = getattr(GF, name)(_inputs(kind, g, G), *args)
        _check(ref, out, T)
    for kind in ("mask", "boxes-XYXY-int64"):
        with pytest.raises(TypeError):
            getattr(F, name)(_inputs(kind, torch, T), *args)
        with pytest.raises(TypeError, match=f"F.{name} supports"):
            getattr(GF, name)(_inputs(kind, g, G), *args)


def test_every_per_type_name_of_torchvision_exists(tv):
    """The ``_image`` / ``_video`` / ``_mask`` / ``_bounding_boxes`` kernels (key points and
    ``register_kernel`` aside)."""
    F = tv.transforms.v2.functional
    names = [
        n
        for n in dir(F)
        if n.rsplit("_", 1)[-1] in ("image", "video", "mask", "boxes")
        and not n.startswith("_")
        and n not in ("to_image", "to_pil_image")
    ]
    assert [n for n in names if not hasattr(GF, n)] == []


def test_jpeg(tv):
    from PIL import Image

    F = tv.transforms.v2.functional
    arr = np.random.default_rng(2).integers(0, 256, (H, W, 3), dtype=np.uint8)
    ref = F.jpeg(Image.fromarray(arr), quality=40)
    out = GF.jpeg(Image.fromarray(arr), quality=40)
    np.testing.assert_array_equal(np.asarray(out), np.asarray(ref))
    video = G.Video(g.tensor(np.stack([arr.transpose(2, 0, 1)] * 2)))
    frames = GF.jpeg(video, 40)
    assert type(frames) is G.Video
    np.testing.assert_array_equal(frames.numpy()[1].transpose(1, 2, 0), np.asarray(out))
    torch.manual_seed(5)
    g.manual_seed(5)
    ref = tv.transforms.v2.JPEG((20, 90))(Image.fromarray(arr))
    out = V.JPEG((20, 90))(Image.fromarray(arr))
    np.testing.assert_array_equal(np.asarray(out), np.asarray(ref))
    with pytest.raises(ValueError, match="quality must be an integer from 1 to 100"):
        V.JPEG(0)


def test_sanitize_bounding_boxes_functional(tv):
    F, T = tv.transforms.v2.functional, tv.tv_tensors
    data = [[0, 0, 5, 5], [3, 3, 3, 8], [10, 2, 40, 9], [1, 1, 2.5, 9]]
    ref = F.sanitize_bounding_boxes(T.BoundingBoxes(data, format="XYXY", canvas_size=(H, W)))
    out = GF.sanitize_bounding_boxes(G.BoundingBoxes(data, format="XYXY", canvas_size=(H, W)))
    _check(ref[0], out[0], T)
    np.testing.assert_array_equal(out[1].numpy(), ref[1].numpy())
    ref = F.sanitize_bounding_boxes(torch.tensor(data), "XYWH", (H, W), min_size=2)
    out = GF.sanitize_bounding_boxes(g.tensor(data), "XYWH", (H, W), min_size=2)
    np.testing.assert_array_equal(out[0].numpy(), ref[0].numpy())
    with pytest.raises(ValueError, match="cannot be None"):
        GF.sanitize_bounding_boxes(g.tensor(data))


def test_rgb_temporal_subsample_and_clamping_mode_transforms(tv):
    v2, T = tv.transforms.v2, tv.tv_tensors
    grey_t = T.Image(torch.arange(12, dtype=torch.uint8).reshape(1, 3, 4))
    grey_g = G.Image(g.arange(12, dtype=g.uint8).reshape(1, 3, 4))
    mask_t, mask_g = _inputs("mask", torch, T), _inputs("mask", g, G)
    _check(v2.RGB()(grey_t, mask_t), V.RGB()(grey_g, mask_g), T)
    frames = np.arange(6 * 3 * 2 * 2, dtype=np.uint8).reshape(6, 3, 2, 2)
    ref = v2.UniformTemporalSubsample(4)(T.Video(torch.tensor(frames)), mask_t)
    out = V.UniformTemporalSubsample(4)(G.Video(g.tensor(frames)), mask_g)
    _check(ref, out, T)
    boxes_t, boxes_g = _inputs("boxes-XYXY-int64", torch, T), _inputs("boxes-XYXY-int64", g, G)
    ref = v2.Compose([v2.SetClampingMode(None), v2.Pad(2)])(boxes_t)
    out = V.Compose([V.SetClampingMode(None), V.Pad(2)])(boxes_g)
    _check(ref, out, T)
    with pytest.raises(ValueError, match="clamping_mode must be soft, hard or None"):
        V.SetClampingMode("loose")


def test_sample_helpers(tv):
    v2, T = tv.transforms.v2, tv.tv_tensors
    sample_t = [_inputs(k, torch, T) for k in ("image", "mask", "boxes-XYWH-int64")]
    sample_g = [_inputs(k, g, G) for k in ("image", "mask", "boxes-XYWH-int64")]
    assert V.query_size(sample_g) == v2.query_size(sample_t)
    assert V.query_chw(sample_g) == v2.query_chw(sample_t)
    assert V.has_any(sample_g, G.Mask) and not V.has_any(sample_g, G.Video)
    assert V.has_all(sample_g, G.Image, G.BoundingBoxes)
    assert not V.has_all(sample_g, G.Image, G.Video)
    assert V.get_bounding_boxes(sample_g) is sample_g[2]
    odd_t = [*sample_t, T.Mask(torch.zeros(3, 3))]
    odd_g = [*sample_g, G.Mask(g.zeros(3, 3))]
    with pytest.raises(ValueError) as ref:
        v2.query_size(odd_t)
    with pytest.raises(ValueError) as ours:
        V.query_size(odd_g)
    assert str(ours.value) == str(ref.value)
