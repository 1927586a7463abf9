"""Photometric functional ops, transforms and random containers against the real torchvision.

The same image goes to torchvision and to gradiente as a float32 tensor, a uint8 tensor and a
PIL image. Exact equality everywhere except float32 results that come out of a different
order of float32 operations (a mean, a convolution's sum, ``pow``): those agree to a few ulps
(atol 1e-6 on values in [0, 1]). PIL results are Pillow's own, so always exact. The random
transforms run after the same ``manual_seed`` on both sides, over several seeds, and must
make the same choices (exact outputs, and the generators end in the same state).
"""

from __future__ import annotations

import random

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import gradiente as g  # noqa: E402
import gradiente.transforms as GT  # noqa: E402
import gradiente.vision.functional as GF  # noqa: E402
from conftest import real_torchvision  # noqa: E402

PIL_Image = pytest.importorskip("PIL.Image")

FLOAT_ATOL = 1e-6  # a few float32 ulps of values in [0, 1]


@pytest.fixture(scope="module")
def tv():
    return real_torchvision()


def _images(seed=0, shape=(3, 19, 23)):
    rng = np.random.default_rng(seed)
    u8 = rng.integers(0, 256, shape, dtype=np.uint8)
    f32 = rng.random((2, *shape), dtype=np.float32)  # a batch, to check the leading dims
    return u8, f32, PIL_Image.fromarray(u8.transpose(1, 2, 0))


def _check(ref, out, exact=True):
    if isinstance(ref, torch.Tensor):
        assert isinstance(out, g.Tensor)
        r, o = ref.detach().numpy(), out.detach().numpy()
        assert r.dtype == o.dtype and r.shape == o.shape
        if exact or r.dtype == np.uint8:
            np.testing.assert_array_equal(o, r)
        else:
            np.testing.assert_allclose(o, r, rtol=0, atol=FLOAT_ATOL)
    else:  # a PIL image
        assert type(out).__module__.startswith("PIL.") and out.mode == ref.mode
        np.testing.assert_array_equal(np.asarray(out), np.asarray(ref))


# name, args, float result exact?, takes float tensors, takes PIL
OPS = [
    ("rgb_to_grayscale", (1,), True, True, True),
    ("rgb_to_grayscale", (3,), True, True, True),
    ("adjust_brightness", (1.4,), True, True, True),
    ("adjust_contrast", (0.6,), False, True, True),
    ("adjust_saturation", (1.7,), True, True, True),
    ("adjust_hue", (-0.3,), True, True, True),
    ("adjust_gamma", (0.7,), False, True, True),
    ("adjust_gamma", (2.2, 0.9), False, True, True),
    ("invert", (), True, True, True),
    ("posterize", (3,), True, False, True),
    ("posterize", (0,), True, False, False),  # Pillow refuses 0 bits (as with torchvision)
    ("solarize", (100,), True, False, True),
    ("autocontrast", (), True, True, True),
    ("equalize", (), True, False, True),
    ("adjust_sharpness", (0.3,), False, True, True),
    ("adjust_sharpness", (2.5,), False, True, True),
    ("gaussian_blur", ([3, 5], [0.8, 1.3]), False, True, True),
    ("gaussian_blur", (7,), False, True, True),
]


@pytest.mark.parametrize("name,args,exact,takes_float,takes_pil", OPS)
@pytest.mark.parametrize("seed", [0, 1])
def test_functional_ops_match_torchvision(tv, name, args, exact, takes_float, takes_pil, seed):
    TF = tv.transforms.functional
    u8, f32, pil = _images(seed)
    ref_op, op = getattr(TF, name), getattr(GF, name)
    _check(ref_op(torch.from_numpy(u8.copy()), *args), op(g.tensor(u8.copy()), *args))
    if takes_float:
        _check(ref_op(torch.from_numpy(f32), *args), op(g.tensor(f32), *args), exact)
    if takes_pil:
        _check(ref_op(pil, *args), op(pil, *args))
        # an H×W×C uint8 array stands for the PIL image: the same pixels, as an array
        out = op(np.asarray(pil), *args)
        assert isinstance(out, np.ndarray)
        np.testing.assert_array_equal(out, np.asarray(ref_op(pil, *args)))


def test_solarize_float_and_grey_images(tv):
    TF = tv.transforms.functional
    _, f32, pil = _images(3)
    _check(TF.solarize(torch.from_numpy(f32), 0.4), GF.solarize(g.tensor(f32), 0.4))
    grey = pil.convert("L")
    _check(TF.to_grayscale(pil, 3), GF.to_grayscale(pil, 3))
    _check(TF.equalize(grey), GF.equalize(grey))
    _check(TF.gaussian_blur(grey, 5, 1.1), GF.gaussian_blur(grey, 5, 1.1))


def test_autocontrast_of_flat_channel_and_batch_equalize(tv):
    TF = tv.transforms.functional
    a = np.full((3, 8, 9), 7, np.uint8)
    a[1, 2:5, 3:6] = 200
    _check(TF.autocontrast(torch.from_numpy(a)), GF.autocontrast(g.tensor(a)))
    batch = _images(4, (3, 12, 10))[0][None].repeat(2, 0)
    batch[1] //= 3
    _check(TF.equalize(torch.from_numpy(batch)), GF.equalize(g.tensor(batch)))


@pytest.mark.parametrize(
    "src,dst",
    [
        ("uint8", "float32"),
        ("uint8", "float64"),
        ("float32", "uint8"),
        ("float64", "int16"),
        ("uint8", "int32"),
        ("int32", "uint8"),
        ("int16", "int64"),
        ("float64", "float32"),
    ],
)
def test_convert_image_dtype(tv, src, dst):
    u8, f32, _ = _images(5)
    a = (f32 if src.startswith("float") else u8).astype(src)
    if src == "int32":
        a = a * 1000003
    ref = tv.transforms.ConvertImageDtype(getattr(torch, dst))(torch.from_numpy(a))
    out = GT.ConvertImageDtype(getattr(g, dst))(g.tensor(a))
    _check(ref, out)


def test_convert_image_dtype_refuses_unsafe_casts(tv):
    with pytest.raises(RuntimeError, match="cannot be performed safely"):
        GF.convert_image_dtype(g.rand(3, 4, 4), g.int32)
    with pytest.raises(TypeError, match="Input img should be Tensor Image"):
        GF.convert_image_dtype(np.zeros((4, 4, 3), np.uint8))


def test_errors_match_torchvision(tv):
    TF = tv.transforms.functional
    u8, f32, _ = _images(6)
    cases = [
        ("posterize", (g.tensor(f32), 3), (torch.from_numpy(f32), 3)),
        ("posterize", (g.tensor(u8), 9), (torch.from_numpy(u8), 9)),
        ("equalize", (g.tensor(f32),), (torch.from_numpy(f32),)),
        ("invert", (g.tensor(u8[:2]),), (torch.from_numpy(u8[:2]),)),
        ("solarize", (g.tensor(u8), 300), (torch.from_numpy(u8), 300)),
        ("adjust_sharpness", (g.tensor(u8), -1.0), (torch.from_numpy(u8), -1.0)),
        ("adjust_gamma", (g.tensor(u8), -1.0), (torch.from_numpy(u8), -1.0)),
        ("gaussian_blur", (g.tensor(u8), 4), (torch.from_numpy(u8), 4)),
        ("rgb_to_grayscale", (g.tensor(u8), 2), (torch.from_numpy(u8), 2)),
        ("to_grayscale", (g.tensor(u8),), (torch.from_numpy(u8),)),
    ]
    for name, ours, theirs in cases:
        with pytest.raises(Exception) as expected:
            getattr(TF, name)(*theirs)
        with pytest.raises(type(expected.value), match=None) as got:
            getattr(GF, name)(*ours)
        assert str(got.value) == str(expected.value), name


def test_erase_copies_or_writes_in_place_and_is_differentiable(tv):
    TF = tv.transforms.functional
    _, f32, _ = _images(7)
    v = np.arange(3, dtype=np.float32)[:, None, None]
    _check(
        TF.erase(torch.from_numpy(f32.copy()), 2, 3, 4, 5, torch.from_numpy(v)),
        GF.erase(g.tensor(f32), 2, 3, 4, 5, g.tensor(v)),
    )
    x = g.tensor(f32[0])
    out = GF.erase(x, 1, 1, 2, 2, 0.5, inplace=True)
    assert out is x and float(x[0, 1, 1]) == 0.5
    leaf = g.tensor(f32[0], requires_grad=True)
    GF.erase(leaf, 1, 2, 3, 4, 0.0).sum().backward()
    tleaf = torch.tensor(f32[0], requires_grad=True)
    TF.erase(tleaf, 1, 2, 3, 4, torch.tensor(0.0)).sum().backward()
    np.testing.assert_array_equal(leaf.grad.numpy(), tleaf.grad.numpy())


# ---------------------------------------------------------------------------------------------
# The random transforms: the same draws after the same seed
# ---------------------------------------------------------------------------------------------


def _twin(tv, name, *args, **kwargs):
    return getattr(tv.transforms, name)(*args, **kwargs), getattr(GT, name)(*args, **kwargs)


def _run_both(ref_t, our_t, make_inputs, seeds=range(6), exact=True):
    for seed in seeds:
        torch.manual_seed(seed)
        g.manual_seed(seed)
        random.seed(seed)
        theirs_in, ours_in = make_inputs(seed)
        ref = ref_t(theirs_in)
        random.seed(seed)
        out = our_t(ours_in)
        _check(ref, out, exact)
        assert torch.rand(1).item() == g.rand(1).item()  # the same draws were consumed


def _tensor_pair(kind):
    def make(seed):
        u8, f32, pil = _images(seed)
        if kind == "u8":
            return torch.from_numpy(u8.copy()), g.tensor(u8.copy())
        if kind == "f32":
            return torch.from_numpy(f32.copy()), g.tensor(f32.copy())
        return pil, pil

    return make


RANDOM = [
    ("RandomGrayscale", (), {"p": 0.5}, True),
    ("RandomInvert", (), {}, True),
    ("RandomPosterize", (2,), {}, True),
    ("RandomSolarize", (120,), {"p": 0.6}, True),
    ("RandomAdjustSharpness", (1.8,), {}, False),
    ("RandomAutocontrast", (), {"p": 0.4}, True),
    ("RandomEqualize", (), {}, True),
    ("GaussianBlur", (5,), {}, False),
    ("GaussianBlur", ((3, 7),), {"sigma": (0.5, 3.0)}, False),
    ("Grayscale", (3,), {}, True),
]


@pytest.mark.parametrize("name,args,kwargs,exact", RANDOM)
@pytest.mark.parametrize("kind", ["u8", "f32", "pil"])
def test_random_transforms_match_torchvision(tv, name, args, kwargs, exact, kind):
    if kind == "f32" and name in ("RandomPosterize", "RandomEqualize", "RandomSolarize"):
        pytest.skip("uint8 only (torchvision raises for float tensors)")
    ref_t, our_t = _twin(tv, name, *args, **kwargs)
    _run_both(ref_t, our_t, _tensor_pair(kind), exact=exact)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"p": 0.9},
        {"p": 1.0, "value": "random"},
        {"p": 1.0, "value": (0.1, 0.5, 0.9), "scale": (0.1, 0.4), "ratio": (0.5, 2.0)},
        {"p": 1.0, "scale": (0.9, 1.0)},  # rarely fits: the fallback keeps the image
    ],
)
@pytest.mark.parametrize("kind", ["u8", "f32"])
def test_random_erasing_matches_torchvision(tv, kwargs, kind):
    ref_t, our_t = _twin(tv, "RandomErasing", **kwargs)
    _run_both(ref_t, our_t, _tensor_pair(kind), seeds=range(8))


def test_random_erasing_value_errors(tv):
    with pytest.raises(ValueError, match="should be 'random'"):
        GT.RandomErasing(value="noise")
    with pytest.raises(ValueError, match="between 0 and 1"):
        GT.RandomErasing(scale=(0.1, 1.5))
    with pytest.raises(ValueError, match="number of input channels"):
        GT.RandomErasing(p=1.0, value=(1, 2))(g.rand(3, 8, 8))


def test_linear_transformation_whitens_and_backpropagates(tv):
    rng = np.random.default_rng(8)
    d = 2 * 3 * 4
    m = rng.standard_normal((d, d)).astype(np.float32)
    mu = rng.standard_normal(d).astype(np.float32)
    x = rng.standard_normal((5, 2, 3, 4)).astype(np.float32)
    ref_t = tv.transforms.LinearTransformation(torch.from_numpy(m), torch.from_numpy(mu))
    our_t = GT.LinearTransformation(g.tensor(m), g.tensor(mu))
    xt, xg = torch.tensor(x, requires_grad=True), g.tensor(x, requires_grad=True)
    ref, out = ref_t(xt), our_t(xg)
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-5, atol=1e-5)
    ref.square().sum().backward()
    out.square().sum().backward()
    np.testing.assert_allclose(xg.grad.numpy(), xt.grad.numpy(), rtol=1e-4, atol=1e-4)
    with pytest.raises(ValueError, match="should be square"):
        GT.LinearTransformation(g.zeros(3, 4), g.zeros(3))
    with pytest.raises(ValueError, match="incompatible shape"):
        our_t(g.zeros(1, 2, 2))


@pytest.mark.parametrize("kind", ["u8", "pil"])
def test_random_containers_match_torchvision(tv, kind):
    def build(T):
        return T.Compose(
            [
                T.RandomApply([T.RandomInvert(p=1.0), T.RandomAutocontrast(p=0.7)], p=0.6),
                T.RandomOrder(
                    [T.RandomPosterize(4, p=0.8), T.RandomHorizontalFlip(), T.Grayscale(3)]
                ),
                T.RandomChoice([T.RandomEqualize(p=1.0), T.RandomSolarize(90, p=1.0)], p=[1, 3]),
                T.RandomGrayscale(p=0.3),
            ]
        )

    _run_both(build(tv.transforms), build(GT), _tensor_pair(kind), seeds=range(10))


def test_reprs(tv):
    for name, args, kwargs, _ in RANDOM:
        ref_t, our_t = _twin(tv, name, *args, **kwargs)
        assert repr(our_t) == repr(ref_t)
    ref_t, our_t = _twin(tv, "RandomErasing", p=0.3, value="random")
    assert repr(our_t) == repr(ref_t)
    assert repr(GT.RandomChoice([GT.RandomInvert()], p=[2])) == repr(
        tv.transforms.RandomChoice([tv.transforms.RandomInvert()], p=[2])
    )
