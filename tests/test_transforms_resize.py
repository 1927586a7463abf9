"""Resize, RandomResizedCrop and ColorJitter against Pillow and torch.

torchvision is not installed beside torch 2.13, so its recipes are written here with torch:
``interpolate(..., antialias=True)`` for tensors, Pillow's ``resize``/``ImageEnhance`` for PIL
images, and torchvision's tensor colour formulas and random draws."""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import math

import numpy as np
import pytest
from PIL import Image, ImageEnhance

import gradiente
from gradiente import transforms as T

torch = pytest.importorskip("torch")

PIL_FILTER = {"bilinear": Image.BILINEAR, "bicubic": Image.BICUBIC}


def _image(h, w, channels=3, seed=0):
    rng = np.random.default_rng(seed)
    shape = (h, w, channels) if channels else (h, w)
    return rng.integers(0, 256, shape).astype(np.uint8)


# ---------------------------------------------------------------------------------------------
# Resize on arrays / PIL images: Pillow's 8-bit antialiased filters
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
@pytest.mark.parametrize(
    "shape,size",
    [((40, 50), (40, 17)), ((40, 50), (40, 83)), ((37, 20), (9, 20)), ((12, 20), (31, 20))],
)
@pytest.mark.parametrize("channels", [0, 3])
def test_resize_one_axis_is_pillow_bit_for_bit(mode, shape, size, channels):
    img = _image(*shape, channels)
    expected = np.asarray(Image.fromarray(img).resize(size[::-1], PIL_FILTER[mode]))
    got = T.Resize(size, interpolation=mode)(img)
    assert got.dtype == np.uint8
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
@pytest.mark.parametrize(
    "shape,size", [((64, 48), (20, 30)), ((30, 41), (57, 13)), ((9, 9), (50, 40))]
)
def test_resize_both_axes_matches_pillow(mode, shape, size):
    # Pillow's resize in one call, bit for bit: Pillow 13 picks which 1-D pass runs first
    # (the height first when it shrinks much more), so gradiente calls Pillow for PIL images
    pil = Image.fromarray(_image(*shape))
    got = T.Resize(size, interpolation=mode)(pil)  # a PIL image in, a PIL image out
    assert isinstance(got, Image.Image)
    np.testing.assert_array_equal(
        np.asarray(got), np.asarray(pil.resize(size[::-1], PIL_FILTER[mode]))
    )


def test_resize_nearest_on_arrays_is_pillows():
    img = _image(13, 29, 3)
    expected = np.asarray(Image.fromarray(img).resize((11, 40), Image.NEAREST))
    got = T.Resize((40, 11), interpolation=T.InterpolationMode.NEAREST)(img)
    np.testing.assert_array_equal(got, expected)


# ---------------------------------------------------------------------------------------------
# Resize on tensors: torch's interpolate(antialias=True)
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
@pytest.mark.parametrize(
    "shape,size", [((3, 64, 48), (20, 30)), ((2, 3, 17, 40), (50, 9)), ((1, 8, 8), (8, 3))]
)
def test_resize_tensor_matches_torch_antialias(mode, shape, size):
    x = np.random.default_rng(1).standard_normal(shape)
    expected = torch.nn.functional.interpolate(
        torch.from_numpy(x).reshape(-1, *shape[-3:]), size=size, mode=mode, antialias=True
    ).reshape(*shape[:-2], *size)
    got = T.Resize(size, interpolation=mode)(gradiente.tensor(x))
    assert got.dtype == gradiente.float64
    np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-12, atol=1e-12)
    got32 = T.Resize(size, interpolation=mode)(gradiente.tensor(x.astype(np.float32)))
    np.testing.assert_allclose(got32.numpy(), expected.numpy(), rtol=1e-5, atol=1e-5)


def test_resize_uint8_tensor_rounds_like_torchvision():
    x = torch.from_numpy(_image(30, 44, 3).transpose(2, 0, 1).copy())
    # torchvision: to float32, interpolate, round, back to uint8
    expected = (
        torch.nn.functional.interpolate(
            x[None].float(), size=(13, 19), mode="bilinear", antialias=True
        )[0]
        .round()
        .to(torch.uint8)
    )
    got = T.Resize((13, 19))(gradiente.tensor(x.numpy()))
    assert got.dtype == gradiente.uint8
    diff = np.abs(got.numpy().astype(int) - expected.numpy().astype(int))
    assert diff.max() <= 1 and (diff == 0).mean() > 0.99


def test_resize_without_antialias_and_nearest_on_tensors():
    x = np.random.default_rng(2).standard_normal((3, 32, 24))
    expected = torch.nn.functional.interpolate(
        torch.from_numpy(x)[None], size=(10, 9), mode="bilinear", antialias=False
    )[0]
    got = T.Resize((10, 9), antialias=False)(gradiente.tensor(x))
    np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-12, atol=1e-12)
    expected = torch.nn.functional.interpolate(torch.from_numpy(x)[None], size=(45, 7))[0]
    got = T.Resize((45, 7), interpolation="nearest")(gradiente.tensor(x))
    np.testing.assert_array_equal(got.numpy(), expected.numpy())


@pytest.mark.parametrize(
    "hw,size,max_size,expected",
    [
        ((40, 60), 32, None, (32, 48)),
        ((60, 40), 32, None, (48, 32)),
        ((50, 50), [20], None, (20, 20)),
        ((30, 100), 20, 50, (15, 50)),  # the long edge capped at max_size
        ((33, 77), (11, 7), None, (11, 7)),
    ],
)
def test_resize_output_size_follows_torchvision(hw, size, max_size, expected):
    out = T.Resize(size, max_size=max_size)(gradiente.zeros(3, *hw))
    assert tuple(out.shape[-2:]) == expected


def test_resize_errors_and_identity():
    img = gradiente.rand(3, 8, 8)
    assert T.Resize(8)(img) is img
    with pytest.raises(ValueError, match="max_size"):
        T.Resize((4, 4), max_size=10)(img)
    with pytest.raises(ValueError, match="strictly greater"):
        T.Resize(8, max_size=8)(gradiente.rand(3, 8, 16))
    with pytest.raises(ValueError, match="not supported"):
        T.Resize(4, interpolation="spline")
    assert "Resize(size=4, interpolation=bilinear" in repr(T.Resize(4))


# ---------------------------------------------------------------------------------------------
# RandomResizedCrop: torchvision's sampling with torch's generator
# ---------------------------------------------------------------------------------------------


def _torchvision_crop_params(height, width, scale, ratio):
    """torchvision.transforms.RandomResizedCrop.get_params, with torch."""
    area = height * width
    log_ratio = torch.log(torch.tensor(ratio))
    for _ in range(10):
        target_area = area * torch.empty(1).uniform_(scale[0], scale[1]).item()
        aspect_ratio = torch.exp(torch.empty(1).uniform_(log_ratio[0], log_ratio[1])).item()
        w = int(round(math.sqrt(target_area * aspect_ratio)))
        h = int(round(math.sqrt(target_area / aspect_ratio)))
        if 0 < w <= width and 0 < h <= height:
            i = torch.randint(0, height - h + 1, size=(1,)).item()
            j = torch.randint(0, width - w + 1, size=(1,)).item()
            return i, j, h, w
    in_ratio = float(width) / float(height)
    if in_ratio < min(ratio):
        w = width
        h = int(round(w / min(ratio)))
    elif in_ratio > max(ratio):
        h = height
        w = int(round(h * max(ratio)))
    else:
        w, h = width, height
    return (height - h) // 2, (width - w) // 2, h, w


@pytest.mark.parametrize(
    "hw,scale,ratio",
    [
        ((60, 80), (0.08, 1.0), (3 / 4, 4 / 3)),
        ((31, 200), (0.5, 1.0), (0.5, 2.0)),
        ((50, 40), (1.5, 2.0), (3 / 4, 4 / 3)),  # never fits: the central fallback
        ((20, 90), (1.5, 2.0), (3 / 4, 4 / 3)),  # fallback narrowed to ratio 4/3
    ],
)
def test_random_resized_crop_draws_like_torchvision(hw, scale, ratio):
    img = gradiente.zeros(3, *hw)
    for seed in range(20):
        torch.manual_seed(seed)
        gradiente.manual_seed(seed)
        expected = _torchvision_crop_params(*hw, scale, ratio)
        assert T.RandomResizedCrop.get_params(img, scale, ratio) == expected


def test_random_resized_crop_output():
    x = np.random.default_rng(3).random((3, 40, 60))
    gradiente.manual_seed(5)
    out = T.RandomResizedCrop(16)(gradiente.tensor(x))
    torch.manual_seed(5)
    i, j, h, w = _torchvision_crop_params(40, 60, (0.08, 1.0), (3 / 4, 4 / 3))
    crop = torch.from_numpy(x[:, i : i + h, j : j + w].copy())[None]
    expected = torch.nn.functional.interpolate(crop, size=(16, 16), mode="bilinear", antialias=True)
    np.testing.assert_allclose(out.numpy(), expected[0].numpy(), rtol=1e-12, atol=1e-12)
    array_out = T.RandomResizedCrop((10, 12), scale=(0.5, 1.0))(_image(40, 60))
    assert array_out.shape == (10, 12, 3) and array_out.dtype == np.uint8


# ---------------------------------------------------------------------------------------------
# ColorJitter: torchvision's tensor formulas and draws; Pillow for PIL images
# ---------------------------------------------------------------------------------------------


def _tv_blend(a, b, r):
    bound = 1.0 if a.is_floating_point() else 255.0
    return (r * a + (1.0 - r) * b).clamp(0, bound).to(a.dtype)


def _tv_gray(img):
    r, g, b = img.unbind(dim=-3)
    return (0.2989 * r + 0.587 * g + 0.114 * b).to(img.dtype).unsqueeze(dim=-3)


def _tv_hue(img, factor):
    orig = img.dtype
    x = img.float() / 255 if orig == torch.uint8 else img
    r, g, b = x.unbind(dim=-3)
    maxc, minc = x.max(dim=-3).values, x.min(dim=-3).values
    eqc = maxc == minc
    cr = maxc - minc
    ones = torch.ones_like(maxc)
    s = cr / torch.where(eqc, ones, maxc)
    crd = torch.where(eqc, ones, cr)
    rc, gc, bc = (maxc - r) / crd, (maxc - g) / crd, (maxc - b) / crd
    hr = (maxc == r) * (bc - gc)
    hg = ((maxc == g) & (maxc != r)) * (2.0 + rc - bc)
    hb = ((maxc != g) & (maxc != r)) * (4.0 + gc - rc)
    h = torch.fmod((hr + hg + hb) / 6.0 + 1.0, 1.0)
    h = (h + factor) % 1.0
    i = torch.floor(h * 6.0)
    f = h * 6.0 - i
    i = i.to(torch.int32) % 6
    v = maxc
    p = torch.clamp(v * (1.0 - s), 0.0, 1.0)
    q = torch.clamp(v * (1.0 - s * f), 0.0, 1.0)
    t = torch.clamp(v * (1.0 - s * (1.0 - f)), 0.0, 1.0)
    mask = i.unsqueeze(dim=-3) == torch.arange(6).view(-1, 1, 1)
    a1 = torch.stack((v, q, p, p, t, v), dim=-3)
    a2 = torch.stack((t, v, v, q, p, p), dim=-3)
    a3 = torch.stack((p, p, t, v, v, q), dim=-3)
    out = torch.einsum("...ijk, ...xijk -> ...xjk", mask.to(x.dtype), torch.stack((a1, a2, a3), -4))
    return (out * 255.999).to(orig) if orig == torch.uint8 else out


def _tv_color_jitter(img, b, c, s, h):
    """torchvision's ColorJitter.forward on a tensor, with its draws from torch."""
    order = torch.randperm(4)
    factors = [float(torch.empty(1).uniform_(*r)) if r else None for r in (b, c, s, h)]
    for k in order.tolist():
        f = factors[k]
        if f is None:
            continue
        if k == 0:
            img = _tv_blend(img, torch.zeros_like(img), f)
        elif k == 1:
            dtype = img.dtype if img.is_floating_point() else torch.float32
            mean = torch.mean(_tv_gray(img).to(dtype), dim=(-3, -2, -1), keepdim=True)
            img = _tv_blend(img, mean, f)
        elif k == 2:
            img = _tv_blend(img, _tv_gray(img), f)
        else:
            img = _tv_hue(img, f)
    return img


@pytest.mark.parametrize("dtype", ["float64", "float32", "uint8"])
def test_color_jitter_matches_torchvision_on_tensors(dtype):
    rng = np.random.default_rng(4)
    x = rng.random((2, 3, 9, 11)) if dtype != "uint8" else _image(9, 11).transpose(2, 0, 1)
    x = x.astype(dtype)
    jitter = T.ColorJitter(brightness=0.4, contrast=0.4, saturation=0.4, hue=0.1)
    for seed in range(6):
        torch.manual_seed(seed)
        gradiente.manual_seed(seed)
        expected = _tv_color_jitter(
            torch.from_numpy(x.copy()), jitter.brightness, jitter.contrast, jitter.saturation,
            jitter.hue,
        ).numpy()  # fmt: skip
        got = jitter(gradiente.tensor(x.copy())).numpy()
        assert got.dtype == expected.dtype
        if dtype == "uint8":  # float32 rounding may move a value across an integer
            assert np.abs(got.astype(int) - expected.astype(int)).max() <= 1
        else:
            np.testing.assert_allclose(
                got, expected, rtol=0, atol=1e-12 if dtype == "float64" else 1e-5
            )


@pytest.mark.parametrize("factor", [0.0, 0.6, 1.7])
def test_color_adjustments_of_arrays_are_pillows(factor):
    from gradiente.vision import color

    img = _image(10, 12)
    pil = Image.fromarray(img)
    for name, fn in [
        ("Brightness", color.adjust_brightness),
        ("Contrast", color.adjust_contrast),
        ("Color", color.adjust_saturation),
    ]:
        expected = np.asarray(getattr(ImageEnhance, name)(pil).enhance(factor))
        np.testing.assert_array_equal(fn(img, factor), expected, err_msg=name)
    # hue through Pillow's 8-bit HSV, shifted by int(255 · factor) with wrap-around
    h, s, v = pil.convert("HSV").split()
    shifted = (np.asarray(h).astype(int) + int(-0.3 * 255)) % 256
    expected = Image.merge("HSV", (Image.fromarray(shifted.astype(np.uint8)), s, v))
    np.testing.assert_array_equal(color.adjust_hue(img, -0.3), np.asarray(expected.convert("RGB")))


def test_color_jitter_ranges_and_errors():
    jitter = T.ColorJitter(brightness=0.5, contrast=(0.2, 0.9), hue=0.2)
    assert jitter.brightness == (0.5, 1.5) and jitter.contrast == (0.2, 0.9)
    assert jitter.saturation is None and jitter.hue == (-0.2, 0.2)
    assert T.ColorJitter(brightness=2).brightness == (0.0, 3.0)  # clipped at 0
    with pytest.raises(ValueError):
        T.ColorJitter(hue=0.6)
    with pytest.raises(ValueError):
        T.ColorJitter(brightness=-1)
    gray = gradiente.rand(1, 5, 5)
    np.testing.assert_array_equal(
        T.ColorJitter(saturation=0.5, hue=0.3)(gray).numpy(), gray.numpy()
    )
