"""The geometric transforms (rotate, affine, perspective, pad, five/ten crops) against the real
torchvision 0.28.

Every comparison is *exact* (``array_equal``): for tensors gradiente repeats torchvision's grid
arithmetic and torch's CPU ``grid_sample`` kernel operation for operation, fused multiply-adds
included, in the same float precision, so float32, float64 and uint8 results agree to the bit;
PIL images go to Pillow's own ``rotate``/``transform`` with torchvision's arguments. The random
transforms are seeded alike on both sides (torch.manual_seed, gradiente.manual_seed) and must
make the same draws, which the next number of each generator checks too.

One exception: a perspective warp's 8 coefficients come from an 8×8 least-squares solve, whose
coefficients that should be 0 come out as rounding noise (~1e-15) that depends on the LAPACK
routine (torch calls ``gels``, NumPy ``gelsd``). torchvision rounds them to float32, so float32
and uint8 images and PIL images do not see it, but a float64 image does, at the 1e-13 level:
float64 perspective results are compared to 1e-12.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import gradiente
from conftest import real_torchvision
from gradiente import transforms as T
from gradiente.vision import functional as GF

from .image_match import assert_images_match

torch = pytest.importorskip("torch")
tv = real_torchvision()
TF = tv.transforms.functional


def _array(shape, kind: str, seed: int = 0):
    rng = np.random.default_rng(seed)
    if kind == "uint8":
        return rng.integers(0, 256, shape).astype(np.uint8)
    return rng.random(shape).astype(kind)


def _pair(shape, kind: str, seed: int = 0):
    """The same image as a torch tensor and a gradiente tensor."""
    a = _array(shape, kind, seed)
    return torch.from_numpy(a.copy()), gradiente.tensor(a)


def _pil(h: int, w: int, mode: str = "RGB", seed: int = 0):
    shape = (h, w, 3) if mode == "RGB" else (h, w)
    return Image.fromarray(_array(shape, "uint8", seed), mode=mode)


def _modes(name: str):
    """The interpolation mode ``name`` in torchvision's enum and in gradiente's."""
    return tv.transforms.InterpolationMode[name], T.InterpolationMode[name]


def _assert_same(expected, actual, exact: bool = True):
    """Equal images: a torch tensor vs a gradiente tensor, or two PIL images, up to the rounding
    of torch's vector kernels (``image_match``), or equal to 1e-12 relative (``exact=False``)."""
    if isinstance(expected, Image.Image):
        assert isinstance(actual, Image.Image) and actual.mode == expected.mode
        expected, actual = np.asarray(expected), np.asarray(actual)
    else:
        assert str(actual.dtype) == str(expected.dtype)
        expected, actual = expected.numpy(), actual.numpy()
    assert expected.shape == actual.shape
    if exact:  # bit-identical where torch runs its scalar kernels (see image_match)
        assert_images_match(actual, expected, ties=True)
    else:
        np.testing.assert_allclose(actual, expected, rtol=1e-12, atol=1e-12)


def _seed(seed: int):
    torch.manual_seed(seed)
    gradiente.manual_seed(seed)


def _assert_generators_agree():
    """Both generators made the same number of draws: their next numbers agree."""
    assert torch.rand(1).item() == gradiente.rand(1).item()


KINDS = ["float32", "float64", "uint8"]
SHAPES = [(3, 17, 23), (2, 1, 32, 31), (4, 9, 40)]


# ---------------------------------------------------------------------------------------------
# functional: tensors
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("mode", ["NEAREST", "BILINEAR"])
@pytest.mark.parametrize(
    "kwargs",
    [
        dict(angle=33.3),
        dict(angle=90),
        dict(angle=-90.0, expand=True),
        dict(angle=17.0, expand=True, fill=[0.5]),
        dict(angle=-120.5, center=[3, 4], fill=7.0),
    ],
)
def test_rotate_tensor(kind, shape, mode, kwargs):
    t, g = _pair(shape, kind)
    tv_mode, mode = _modes(mode)
    _assert_same(
        TF.rotate(t, interpolation=tv_mode, **kwargs), GF.rotate(g, interpolation=mode, **kwargs)
    )


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("mode", ["NEAREST", "BILINEAR"])
@pytest.mark.parametrize(
    "kwargs",
    [
        dict(angle=12.0, translate=[2, -3], scale=1.2, shear=[5.0, -7.0]),
        dict(angle=-40, translate=(0, 0), scale=0.7, shear=10.0, fill=[1.0], center=[5, 2]),
        dict(angle=0.0, translate=[1, 1], scale=1.0, shear=[0.0], fill=3),
    ],
)
def test_affine_tensor(kind, shape, mode, kwargs):
    t, g = _pair(shape, kind)
    tv_mode, mode = _modes(mode)
    _assert_same(
        TF.affine(t, interpolation=tv_mode, **kwargs), GF.affine(g, interpolation=mode, **kwargs)
    )


def _corners(w, h):
    start = [[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]]
    end = [[2, 3], [w - 3, 1], [w - 2, h - 4], [1, h - 2]]
    return start, end


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("mode", ["NEAREST", "BILINEAR"])
@pytest.mark.parametrize("fill", [None, [0.25], 2])
def test_perspective_tensor(kind, shape, mode, fill):
    t, g = _pair(shape, kind)
    tv_mode, mode = _modes(mode)
    start, end = _corners(shape[-1], shape[-2])
    _assert_same(
        TF.perspective(t, start, end, interpolation=tv_mode, fill=fill),
        GF.perspective(g, start, end, interpolation=mode, fill=fill),
        exact=kind != "float64",
    )


def test_per_channel_fill_and_pillow_integer_modes():
    t, g = _pair((3, 12, 10), "float32")
    fill = [0.1, 0.5, 0.9]
    _assert_same(TF.rotate(t, 30.0, 2, fill=fill), GF.rotate(g, 30.0, 2, fill=fill))
    _assert_same(TF.rotate(t, 30.0, 0, fill=fill), GF.rotate(g, 30.0, 0, fill=fill))


def test_tensor_errors_match_torchvision():
    t, g = _pair((3, 8, 8), "float32")
    tv_bicubic, bicubic = _modes("BICUBIC")
    for fn, args in [(TF.rotate, (t, 10.0, tv_bicubic)), (GF.rotate, (g, 10.0, bicubic))]:
        with pytest.raises(ValueError, match="Interpolation mode 'bicubic' is unsupported"):
            fn(*args)
    for fn, img in [(TF.rotate, t), (GF.rotate, g)]:
        with pytest.raises(ValueError, match=r"cannot broadcast .* \(2 != 3\)"):
            fn(img, 10.0, fill=[1.0, 2.0])
        with pytest.raises(TypeError, match="Argument interpolation should be a Interpolation"):
            fn(img, 10.0, "bilinear")
        with pytest.raises(TypeError, match="Argument angle should be int or float"):
            fn(img, "10")
    for fn, img in [(TF.affine, t), (GF.affine, g)]:
        with pytest.raises(ValueError, match="Argument scale should be positive"):
            fn(img, 0.0, [0, 0], 0.0, 0.0)
        with pytest.raises(ValueError, match="translate should be a sequence of length 2"):
            fn(img, 0.0, [0], 1.0, 0.0)
    for fn, img in [(TF.perspective, t), (GF.perspective, g)]:
        with pytest.raises(ValueError, match="Please provide exactly four corners"):
            fn(img, [[0, 0]] * 3, [[0, 0]] * 4)


# ---------------------------------------------------------------------------------------------
# functional: PIL images and their array stand-ins
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("pil_mode", ["RGB", "L"])
@pytest.mark.parametrize("mode", ["NEAREST", "BILINEAR", "BICUBIC"])
def test_warps_on_pil_images(pil_mode, mode):
    img = _pil(19, 26, pil_mode)
    tv_mode, mode = _modes(mode)
    start, end = _corners(26, 19)
    cases = [
        (TF.rotate, GF.rotate, (37.5,), dict(expand=True, fill=9)),
        (TF.rotate, GF.rotate, (-61.0,), dict(center=[4, 7])),
        (TF.affine, GF.affine, (12.0, [2, -3], 1.1, [5.0, -4.0]), dict(fill=[200])),
        (TF.affine, GF.affine, (-30, (1, 0), 0.8, 8.0), dict(center=[3, 9])),
        (TF.perspective, GF.perspective, (start, end), dict(fill=17)),
    ]
    for tv_fn, fn, args, kwargs in cases:
        expected = tv_fn(img, *args, interpolation=tv_mode, **kwargs)
        _assert_same(expected, fn(img, *args, interpolation=mode, **kwargs))
        # an H×W(×C) uint8 array is gradiente's PIL stand-in: the same pixels, as an array
        stand_in = fn(np.asarray(img), *args, interpolation=mode, **kwargs)
        assert isinstance(stand_in, np.ndarray)
        np.testing.assert_array_equal(stand_in, np.asarray(expected))


# ---------------------------------------------------------------------------------------------
# The random transforms: same seed, same draws, same image
# ---------------------------------------------------------------------------------------------


def _inputs():
    """(torchvision input, gradiente input) pairs: float, uint8, batched tensors, PIL images."""
    pairs = [_pair((3, 21, 18), "float32", 1), _pair((1, 16, 16), "uint8", 2)]
    pairs.append(_pair((2, 3, 10, 13), "float64", 3))
    pil = _pil(15, 22, "RGB", 4)
    pairs.append((pil, pil))
    grey = _pil(15, 22, "L", 5)
    pairs.append((grey, grey))
    return pairs


ROTATIONS = [
    (dict(degrees=45), dict()),
    (dict(degrees=(-10, 170), expand=True, fill=1), dict()),
    (dict(degrees=30, center=(2, 3)), dict(interpolation="BILINEAR")),
]


@pytest.mark.parametrize("seed", [0, 1, 7])
@pytest.mark.parametrize("args,modes", ROTATIONS)
def test_random_rotation(seed, args, modes):
    kw_tv, kw = dict(args), dict(args)
    if "interpolation" in modes:
        kw_tv["interpolation"], kw["interpolation"] = _modes(modes["interpolation"])
    ref, ours = tv.transforms.RandomRotation(**kw_tv), T.RandomRotation(**kw)
    for tv_img, img in _inputs():
        _seed(seed)
        _assert_same(ref(tv_img), ours(img))
        _assert_generators_agree()


AFFINES = [
    dict(degrees=20),
    dict(degrees=(-5, 30), translate=(0.2, 0.1), scale=(0.7, 1.3), shear=12),
    dict(degrees=0, shear=(-5, 5, -10, 10), fill=3, center=(4, 6)),
    dict(degrees=15, translate=(0.3, 0.3), shear=(2, 9)),
]


@pytest.mark.parametrize("seed", [0, 3])
@pytest.mark.parametrize("args", AFFINES)
@pytest.mark.parametrize("mode", ["NEAREST", "BILINEAR"])
def test_random_affine(seed, args, mode):
    tv_mode, mode = _modes(mode)
    ref = tv.transforms.RandomAffine(**args, interpolation=tv_mode)
    ours = T.RandomAffine(**args, interpolation=mode)
    for tv_img, img in _inputs():
        _seed(seed)
        _assert_same(ref(tv_img), ours(img))
        _assert_generators_agree()


@pytest.mark.parametrize("seed", [0, 1, 2, 5])
@pytest.mark.parametrize("args", [dict(), dict(distortion_scale=0.8, p=0.9, fill=2)])
def test_random_perspective(seed, args):
    ref, ours = tv.transforms.RandomPerspective(**args), T.RandomPerspective(**args)
    for tv_img, img in _inputs():
        _seed(seed)
        float64 = isinstance(img, gradiente.Tensor) and img.dtype == gradiente.float64
        _assert_same(ref(tv_img), ours(img), exact=not float64)
        _assert_generators_agree()


def test_get_params_match_torchvision():
    _seed(11)
    assert T.RandomRotation.get_params([-30.0, 50.0]) == tv.transforms.RandomRotation.get_params(
        [-30.0, 50.0]
    )
    args = ([-10.0, 10.0], [0.2, 0.3], [0.5, 1.5], [-4.0, 4.0, -2.0, 2.0], [40, 30])
    assert T.RandomAffine.get_params(*args) == tv.transforms.RandomAffine.get_params(*args)
    assert T.RandomPerspective.get_params(40, 30, 0.6) == (
        tv.transforms.RandomPerspective.get_params(40, 30, 0.6)
    )


def test_constructor_errors_match_torchvision():
    for cls in (tv.transforms.RandomRotation, T.RandomRotation):
        with pytest.raises(ValueError, match="If degrees is a single number, it must be positive"):
            cls(-3)
        with pytest.raises(ValueError, match="degrees should be a sequence of length 2"):
            cls([1, 2, 3])
        with pytest.raises(TypeError, match="Fill should be either a sequence or a number"):
            cls(3, fill={"red": 1})
    for cls in (tv.transforms.RandomAffine, T.RandomAffine):
        with pytest.raises(ValueError, match="translation values should be between 0 and 1"):
            cls(3, translate=(0.5, 1.5))
        with pytest.raises(ValueError, match="scale values should be positive"):
            cls(3, scale=(0.0, 1.0))
        with pytest.raises(ValueError, match="shear should be a sequence of length 2 or 4"):
            cls(3, shear=(1, 2, 3))


def test_repr_matches_torchvision():
    pairs = [
        (tv.transforms.RandomRotation(10, expand=True), T.RandomRotation(10, expand=True)),
        (tv.transforms.RandomAffine(5, scale=(0.5, 1.0)), T.RandomAffine(5, scale=(0.5, 1.0))),
        (tv.transforms.RandomPerspective(p=0.3), T.RandomPerspective(p=0.3)),
        (tv.transforms.Pad(3, fill=2), T.Pad(3, fill=2)),
        (tv.transforms.FiveCrop(4), T.FiveCrop(4)),
        (tv.transforms.TenCrop((4, 5), True), T.TenCrop((4, 5), True)),
    ]
    for ref, ours in pairs:
        assert repr(ours) == repr(ref)


# ---------------------------------------------------------------------------------------------
# Pad, FiveCrop, TenCrop
# ---------------------------------------------------------------------------------------------


PADS = [
    dict(padding=2),
    dict(padding=(1, 3)),
    dict(padding=[1, 2, 3, 4], fill=7),
    dict(padding=(2, 1), padding_mode="edge"),
    dict(padding=[3, 0, 1, 2], padding_mode="reflect"),
    dict(padding=4, padding_mode="symmetric"),
]


@pytest.mark.parametrize("args", PADS)
def test_pad(args):
    ref, ours = tv.transforms.Pad(**args), T.Pad(**args)
    for kind in ("float32", "uint8"):
        t, g = _pair((3, 6, 7), kind)
        _assert_same(ref(t), ours(g))
        _assert_same(TF.pad(t, **args), GF.pad(g, **args))
    for mode in ("RGB", "L"):
        img = _pil(6, 7, mode)
        _assert_same(ref(img), ours(img))
        _assert_same(TF.pad(img, **args), GF.pad(img, **args))


@pytest.mark.parametrize("size", [4, (5, 3), [6]])
@pytest.mark.parametrize("vertical_flip", [False, True])
def test_five_and_ten_crop(size, vertical_flip):
    t, g = _pair((2, 3, 9, 11), "float32")
    pil = _pil(9, 11)
    for tv_img, img in [(t, g), (pil, pil)]:
        for ref, ours in [
            (tv.transforms.FiveCrop(size)(tv_img), T.FiveCrop(size)(img)),
            (TF.five_crop(tv_img, size), GF.five_crop(img, size)),
            (
                tv.transforms.TenCrop(size, vertical_flip)(tv_img),
                T.TenCrop(size, vertical_flip)(img),
            ),
            (TF.ten_crop(tv_img, size, vertical_flip), GF.ten_crop(img, size, vertical_flip)),
        ]:
            assert isinstance(ours, tuple) and len(ours) == len(ref)
            for expected, actual in zip(ref, ours):
                _assert_same(expected, actual)
    for fn in (TF.five_crop, GF.five_crop):
        with pytest.raises(ValueError, match="Requested crop size .* is bigger than input size"):
            fn(pil, 12)


# ---------------------------------------------------------------------------------------------
# ElasticTransform (its blur is gradiente.vision.photometric's gaussian_blur)
# ---------------------------------------------------------------------------------------------


def _assert_close_after_blur(expected, actual):
    """The Gaussian blur of the displacements is a float32 convolution summed in another order
    than torch's conv2d (≈ 1 ulp), which the warp scales by alpha: floats agree to 1e-5, and
    8-bit pixels may round the other way (±1) at a few places."""
    if isinstance(expected, Image.Image):
        assert actual.mode == expected.mode
        expected, actual = np.asarray(expected), np.asarray(actual)
    else:
        expected, actual = expected.numpy(), actual.numpy()
    assert expected.shape == actual.shape and expected.dtype == actual.dtype
    if expected.dtype == np.uint8:
        difference = np.abs(expected.astype(int) - actual.astype(int))
        assert difference.max() <= 1 and (difference > 0).mean() < 0.01
    else:
        np.testing.assert_allclose(actual, expected, rtol=0, atol=1e-5)


@pytest.mark.parametrize("seed", [0, 4])
@pytest.mark.parametrize(
    "args", [dict(), dict(alpha=(20.0, 80.0), sigma=(2.0, 3.5), fill=1), dict(sigma=0.0)]
)
def test_elastic_transform(seed, args):
    """Without blur (sigma = 0) the results are exact; with it, see _assert_close_after_blur."""
    ref, ours = tv.transforms.ElasticTransform(**args), T.ElasticTransform(**args)
    inputs = [_pair((3, 24, 26), "float32", 1), _pair((1, 22, 22), "uint8", 2)]
    pil = _pil(21, 23, "RGB", 4)
    for tv_img, img in [*inputs, (pil, pil)]:
        _seed(seed)
        expected, actual = ref(tv_img), ours(img)
        if args.get("sigma") == 0.0:
            _assert_same(expected, actual)
        else:
            _assert_close_after_blur(expected, actual)
        _assert_generators_agree()


def test_elastic_transform_functional_nearest_and_errors():
    t, g = _pair((2, 3, 12, 14), "float64")
    d = _array((1, 12, 14, 2), "float32", 9) * 0.2 - 0.1
    tv_nearest, nearest = _modes("NEAREST")
    expected = TF.elastic_transform(t, torch.from_numpy(d), tv_nearest, fill=[0.5])
    _assert_same(expected, GF.elastic_transform(g, gradiente.tensor(d), nearest, fill=[0.5]))
    for fn, img, disp in [(TF, t, torch.zeros(1, 5, 5, 2)), (GF, g, gradiente.zeros(1, 5, 5, 2))]:
        with pytest.raises(ValueError, match="Argument displacement shape should be"):
            fn.elastic_transform(img, disp)
    for cls in (tv.transforms.ElasticTransform, T.ElasticTransform):
        with pytest.raises(TypeError, match="alpha should be float or a sequence of floats"):
            cls(alpha=3)


# ---------------------------------------------------------------------------------------------
# gradiente run: torchvision.transforms.RandomRotation inside a Compose
# ---------------------------------------------------------------------------------------------

SCRIPT = """
import sys
import numpy as np
import torch
from PIL import Image
from torchvision import transforms

torch.manual_seed(3)
augment = transforms.Compose([
    transforms.RandomRotation(40, interpolation=transforms.InterpolationMode.BILINEAR, fill=0.5),
    transforms.RandomAffine(10, translate=(0.1, 0.2), scale=(0.9, 1.1)),
])
x = torch.arange(3 * 16 * 20, dtype=torch.float32).reshape(3, 16, 20) / 960
tensors = np.stack([augment(x).numpy() for _ in range(3)])
pil = Image.fromarray((np.arange(16 * 20 * 3) % 256).astype(np.uint8).reshape(16, 20, 3))
pil_pipeline = transforms.Compose([transforms.RandomRotation((-90, 90), expand=True),
                                   transforms.Pad(2, padding_mode="reflect")])
images = [np.asarray(pil_pipeline(pil)) for _ in range(3)]
np.savez(sys.argv[1], tensors=tensors, *images)
"""


def test_random_rotation_in_compose_under_gradiente_run(tmp_path):
    script = tmp_path / "augment.py"
    script.write_text(SCRIPT)
    shim = Path(__file__).resolve().parents[1] / "torchvision_shim.py"
    runs = {
        "gradiente": [sys.executable, "-m", "gradiente", "run", str(script)],
        "torch": [sys.executable, str(shim), str(script)],
    }
    for name, command in runs.items():
        subprocess.run([*command, str(tmp_path / f"{name}.npz")], check=True, capture_output=True)
    ours, ref = np.load(tmp_path / "gradiente.npz"), np.load(tmp_path / "torch.npz")
    assert sorted(ours.files) == sorted(ref.files) == ["arr_0", "arr_1", "arr_2", "tensors"]
    for key in ref.files:
        assert_images_match(ours[key], ref[key], ties=True)
    assert ref["tensors"].shape == (3, 3, 16, 20)
