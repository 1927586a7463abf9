"""Transforms: values as torchvision computes them, and the same random choices as torch's RNG.

torchvision is not installed here, so the references are its documented recipes written with
torch: ``x.float().div(255)`` for ToTensor, ``(x - mean) / std`` for Normalize, one
``torch.rand(1) < p`` per flip and two ``torch.randint`` per crop.
"""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import pytest

import gradiente
from gradiente import transforms as T

torch = pytest.importorskip("torch")


def _image(h=6, w=5, c=3, seed=0):
    shape = (h, w) if c is None else (h, w, c)
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


@pytest.mark.parametrize("channels", [None, 1, 3])
def test_to_tensor_uint8_matches_torchvision(channels):
    img = _image(c=channels)
    out = T.ToTensor()(img)
    hwc = img if img.ndim == 3 else img[:, :, None]
    ref = torch.from_numpy(hwc.transpose(2, 0, 1).copy()).to(torch.float32).div(255)
    assert out.dtype == gradiente.float32 and out.shape == tuple(ref.shape)
    np.testing.assert_array_equal(out.numpy(), ref.numpy())
    assert out.numpy().min() >= 0 and out.numpy().max() <= 1


def test_to_tensor_other_dtypes_and_pil():
    img = np.random.default_rng(0).standard_normal((4, 3, 2))
    out = T.ToTensor()(img)
    assert out.dtype == gradiente.float64
    np.testing.assert_array_equal(out.numpy(), img.transpose(2, 0, 1))
    Image = pytest.importorskip("PIL.Image")
    pil = Image.fromarray(_image(c=3))
    np.testing.assert_array_equal(T.ToTensor()(pil).numpy(), T.ToTensor()(_image(c=3)).numpy())
    with pytest.raises(TypeError, match="pic should be PIL Image or ndarray"):
        T.ToTensor()(out)
    with pytest.raises(ValueError, match="2/3 dimensional"):
        T.ToTensor()(np.zeros((1, 2, 3, 4), np.uint8))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("batched", [False, True])
def test_normalize_matches_torch(dtype, batched):
    shape = (2, 3, 5, 4) if batched else (3, 5, 4)
    x = np.random.default_rng(1).random(shape).astype(dtype)
    mean, std = [0.4914, 0.4822, 0.4465], [0.247, 0.243, 0.261]
    out = T.Normalize(mean, std)(gradiente.from_numpy(x.copy()))
    m = torch.tensor(mean, dtype=torch.from_numpy(x).dtype).view(-1, 1, 1)
    s = torch.tensor(std, dtype=torch.from_numpy(x).dtype).view(-1, 1, 1)
    ref = torch.from_numpy(x.copy()).sub_(m).div_(s)
    np.testing.assert_array_equal(out.numpy(), ref.numpy())
    t = gradiente.from_numpy(x.copy())
    assert T.Normalize(mean, std, inplace=True)(t) is t
    np.testing.assert_array_equal(t.numpy(), ref.numpy())


def test_normalize_errors():
    with pytest.raises(ValueError, match="std evaluated to zero"):
        T.Normalize([0.0], [0.0])(gradiente.zeros(1, 2, 2))
    with pytest.raises(TypeError, match="float tensor"):
        T.Normalize([0.0], [1.0])(gradiente.zeros(1, 2, 2, dtype=gradiente.int64))


@pytest.mark.parametrize("as_tensor", [False, True])
def test_random_horizontal_flip_draws_like_torchvision(as_tensor):
    img = _image(c=3)
    chw = np.ascontiguousarray(img.transpose(2, 0, 1))
    flip = T.RandomHorizontalFlip(p=0.5)
    gradiente.manual_seed(4)
    torch.manual_seed(4)
    flips = 0
    for _ in range(20):
        out = flip(gradiente.from_numpy(chw) if as_tensor else img)
        flipped = bool(torch.rand(1) < 0.5)
        flips += flipped
        if as_tensor:
            expected = chw[:, :, ::-1] if flipped else chw
            np.testing.assert_array_equal(out.numpy(), expected)
        else:
            np.testing.assert_array_equal(out, img[:, ::-1] if flipped else img)
    assert 0 < flips < 20


def test_random_vertical_flip_and_p():
    img = _image(c=None)
    np.testing.assert_array_equal(T.RandomVerticalFlip(p=1.0)(img), img[::-1])
    np.testing.assert_array_equal(T.RandomHorizontalFlip(p=0.0)(img), img)
    chw = np.ascontiguousarray(_image(c=3).transpose(2, 0, 1))
    out = T.RandomVerticalFlip(p=1.0)(gradiente.from_numpy(chw))
    np.testing.assert_array_equal(out.numpy(), chw[:, ::-1])
    assert repr(T.RandomVerticalFlip(0.3)) == "RandomVerticalFlip(p=0.3)"
    assert repr(T.RandomHorizontalFlip()) == "RandomHorizontalFlip(p=0.5)"


@pytest.mark.parametrize("padding_mode", ["constant", "edge", "reflect", "symmetric"])
@pytest.mark.parametrize("as_tensor", [False, True])
def test_random_crop_with_padding_matches_torchvision(padding_mode, as_tensor):
    img = _image(h=8, w=7, c=3)
    chw = np.ascontiguousarray(img.transpose(2, 0, 1))
    crop = T.RandomCrop(6, padding=2, fill=9, padding_mode=padding_mode)
    kw = {"constant_values": 9} if padding_mode == "constant" else {}
    padded = np.pad(img, ((2, 2), (2, 2), (0, 0)), mode=padding_mode, **kw)
    gradiente.manual_seed(2)
    torch.manual_seed(2)
    for _ in range(10):
        out = crop(gradiente.from_numpy(chw) if as_tensor else img)
        i = torch.randint(0, 12 - 6 + 1, size=(1,)).item()
        j = torch.randint(0, 11 - 6 + 1, size=(1,)).item()
        expected = padded[i : i + 6, j : j + 6]
        if as_tensor:
            np.testing.assert_array_equal(out.numpy(), expected.transpose(2, 0, 1))
        else:
            np.testing.assert_array_equal(out, expected)


def test_random_crop_pad_if_needed_and_errors():
    img = _image(h=3, w=4, c=None)
    out = T.RandomCrop((5, 6), pad_if_needed=True)(img)
    assert out.shape == (5, 6)
    with pytest.raises(ValueError, match="larger than input image size"):
        T.RandomCrop(5)(img)
    same = T.RandomCrop((3, 4))(img)
    np.testing.assert_array_equal(same, img)


def test_center_crop():
    img = _image(h=6, w=5, c=None)
    np.testing.assert_array_equal(T.CenterCrop(3)(img), img[2:5, 1:4])
    out = T.CenterCrop((8, 5))(img)
    assert out.shape == (8, 5)
    np.testing.assert_array_equal(out[1:7], img)


def test_compose_lambda_and_repr():
    pipeline = T.Compose(
        [T.ToTensor(), T.Normalize((0.5,), (0.5,)), T.Lambda(lambda t: t.view(-1))]
    )
    out = pipeline(_image(h=4, w=4, c=None))
    assert out.shape == (16,)
    assert out.numpy().min() >= -1 and out.numpy().max() <= 1
    assert repr(pipeline).startswith("Compose(\n    ToTensor()\n    Normalize(mean=(0.5,)")
    with pytest.raises(TypeError, match="should be callable"):
        T.Lambda(3)
