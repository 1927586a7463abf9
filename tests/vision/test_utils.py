"""gradiente.vision.utils (torchvision.utils): make_grid's layout, save_image's bytes, FakeData's
images and labels (torch's generator), and ``torchvision.*`` resolving under ``gradiente run``.

torchvision cannot be installed beside torch 2.13 here, so the expectations are computed by
hand from torchvision's documented layout (and, for FakeData, with torch's generator)."""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import io
import math
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

import gradiente
from gradiente import datasets, transforms
from gradiente.vision.utils import make_grid, save_image


def _reference_grid(images, nrow, padding, pad_value):
    """torchvision's loop, on NumPy: image k at (y·(H + p) + p, x·(W + p) + p)."""
    n, c, h, w = images.shape
    xmaps = min(nrow, n)
    ymaps = math.ceil(n / xmaps)
    grid = np.full((c, ymaps * (h + padding) + padding, xmaps * (w + padding) + padding), pad_value)
    for k in range(n):
        y, x = divmod(k, xmaps)
        top, left = y * (h + padding) + padding, x * (w + padding) + padding
        grid[:, top : top + h, left : left + w] = images[k]
    return grid


def test_five_images_two_per_row():
    images = np.arange(5 * 3 * 2 * 2, dtype=np.float64).reshape(5, 3, 2, 2)
    grid = make_grid(gradiente.from_numpy(images), nrow=2, padding=1, pad_value=-1.0)
    # ceil(5 / 2) = 3 rows and 2 columns of (2 + 1) pixels, plus 1 for the far border
    assert grid.shape == (3, 3 * 3 + 1, 2 * 3 + 1)
    g = grid.numpy()
    # channel 0, by hand: image k's channel 0 holds 12k .. 12k + 3; −1 is padding
    expected = np.array(
        [
            [-1, -1, -1, -1, -1, -1, -1],
            [-1, 0, 1, -1, 12, 13, -1],
            [-1, 2, 3, -1, 14, 15, -1],
            [-1, -1, -1, -1, -1, -1, -1],
            [-1, 24, 25, -1, 36, 37, -1],
            [-1, 26, 27, -1, 38, 39, -1],
            [-1, -1, -1, -1, -1, -1, -1],
            [-1, 48, 49, -1, -1, -1, -1],
            [-1, 50, 51, -1, -1, -1, -1],
            [-1, -1, -1, -1, -1, -1, -1],
        ]
    )
    np.testing.assert_array_equal(g[0], expected)
    np.testing.assert_array_equal(g[2, 7:9, 1:3], [[56, 57], [58, 59]])  # image 4, channel 2
    assert (g[:, 7:, 4:] == -1).all()  # no sixth image: pad_value there
    np.testing.assert_array_equal(g, _reference_grid(images, 2, 1, -1.0))


@pytest.mark.parametrize(
    "n,c,h,w,nrow,padding", [(1, 3, 4, 5, 8, 2), (7, 3, 3, 4, 3, 2), (4, 1, 2, 3, 8, 0)]
)
def test_layout_matches_torchvisions_loop(n, c, h, w, nrow, padding):
    rng = np.random.default_rng(n)
    images = rng.random((n, c, h, w))
    grid = make_grid(gradiente.from_numpy(images), nrow=nrow, padding=padding).numpy()
    if c == 1:  # grey images are shown as RGB
        images = np.repeat(images, 3, axis=1)
    if n == 1:  # one image comes back as itself
        np.testing.assert_array_equal(grid, images[0])
    else:
        np.testing.assert_array_equal(grid, _reference_grid(images, nrow, padding, 0.0))


def test_list_and_single_images():
    a, b = gradiente.ones(1, 2, 2), gradiente.zeros(1, 2, 2)
    grid = make_grid([a, b], padding=1, pad_value=0.5)
    assert grid.shape == (3, 4, 7)
    assert make_grid(gradiente.ones(2, 3)).shape == (3, 2, 3)  # H × W → 3 × H × W
    with pytest.raises(TypeError, match="tensor or list of tensors expected"):
        make_grid(np.zeros((2, 3, 4, 4)))


def test_normalize_and_value_range():
    x = gradiente.tensor([[[[-1.0, 0.0], [1.0, 3.0]]], [[[2.0, 2.0], [2.0, 2.0]]]])
    # one range for the batch: (x − min) / (max − min) = (x + 1) / 4
    grid = make_grid(x, normalize=True, padding=0).numpy()
    np.testing.assert_allclose(grid[0, :, :2], [[0.0, 0.25], [0.5, 1.0]])
    np.testing.assert_allclose(grid[0, :, 2:], [[0.75, 0.75], [0.75, 0.75]])
    # value_range clamps first: (clamp(x, 0, 2) − 0) / 2
    grid = make_grid(x, normalize=True, value_range=(0.0, 2.0), padding=0).numpy()
    np.testing.assert_allclose(grid[1, :, :2], [[0.0, 0.0], [0.5, 1.0]])
    # scale_each: every image by its own range; a constant image divides by 1e-5
    grid = make_grid(x, normalize=True, scale_each=True, padding=0).numpy()
    np.testing.assert_allclose(grid[2, :, :2], [[0.0, 0.25], [0.5, 1.0]])
    np.testing.assert_array_equal(grid[2, :, 2:], np.zeros((2, 2)))
    np.testing.assert_array_equal(x.numpy()[0, 0], [[-1.0, 0.0], [1.0, 3.0]])  # input intact
    with pytest.raises(TypeError, match="value_range has to be a tuple"):
        make_grid(x, normalize=True, value_range=[0, 1])


def test_make_grid_is_differentiable():
    x = gradiente.rand(3, 1, 2, 2, requires_grad=True)
    weights = gradiente.rand(3, 10, 10)  # 2 × 2 cells of (2 + 2) pixels, plus 2
    (make_grid(x, nrow=2, padding=2) * weights).sum().backward()
    # each pixel of x appears once in each of the three (grey → RGB) channels
    w = weights.numpy()
    expected = np.stack([w[:, 2:4, 2:4], w[:, 2:4, 6:8], w[:, 6:8, 2:4]]).sum(axis=1)
    np.testing.assert_allclose(x.grad.numpy()[:, 0], expected, rtol=1e-6)


def test_save_image_round_trips_through_pillow(tmp_path):
    values = np.array([0.0, 0.001, 0.499 / 255, 0.5 / 255, 0.2, 0.5, 0.9999, 1.0, 1.7, -0.3])
    x = gradiente.from_numpy(np.tile(values, (2, 3, 1, 1)).astype(np.float32))  # (2, 3, 1, 10)
    path = tmp_path / "grid.png"
    save_image(x, path, nrow=1, padding=1, pad_value=1.0)
    with Image.open(path) as im:
        assert im.mode == "RGB"
        pixels = np.asarray(im)
    assert pixels.shape == (5, 12, 3)  # 2 rows of (1 + 1) pixels + 1, 1 column of 10 + 2
    # ⌊255 x + 0.5⌋ clamped to [0, 255] (in float32, as torch)
    scaled = np.clip(values.astype(np.float32) * np.float32(255) + np.float32(0.5), 0, 255)
    row = scaled.astype(np.uint8)
    np.testing.assert_array_equal(row, [0, 0, 0, 1, 51, 128, 255, 255, 255, 0])
    np.testing.assert_array_equal(pixels[1, 1:11, 0], row)
    np.testing.assert_array_equal(pixels[3, 1:11, 2], row)
    assert (pixels[0] == 255).all() and (pixels[:, 0] == 255).all()  # pad_value 1 → 255

    buffer = io.BytesIO()
    save_image(x[0], buffer, format="PNG")  # one image: no padding
    with Image.open(io.BytesIO(buffer.getvalue())) as im:
        np.testing.assert_array_equal(np.asarray(im)[0, :, 1], row)


def test_fake_data_draws_torchvisions_images_and_labels():
    torch = pytest.importorskip("torch")
    data = datasets.FakeData(size=4, image_size=(3, 5, 6), num_classes=7, random_offset=11)
    assert len(data) == 4
    for i in range(4):
        img, target = data[i]
        torch.manual_seed(i + 11)
        expected = torch.randn(3, 5, 6)
        expected_target = torch.randint(0, 7, size=(1,), dtype=torch.long)[0].item()
        # torchvision's ToPILImage: pic.mul(255).byte(), channels last
        pixels = expected.mul(255).byte().permute(1, 2, 0).numpy()
        assert isinstance(img, Image.Image) and img.mode == "RGB" and img.size == (6, 5)
        np.testing.assert_array_equal(np.asarray(img), pixels)
        assert type(target) is int and target == expected_target
    with pytest.raises(IndexError, match="FakeData index out of range"):
        data[4]


def test_fake_data_leaves_the_random_stream_alone():
    gradiente.manual_seed(123)
    expected = [gradiente.rand(3).numpy(), gradiente.rand(3).numpy()]
    gradiente.manual_seed(123)
    first = gradiente.rand(3).numpy()
    datasets.FakeData(size=2, image_size=(1, 2, 2))[1]
    second = gradiente.rand(3).numpy()
    np.testing.assert_array_equal([first, second], expected)


def test_fake_data_with_transforms_and_grey_images():
    torch = pytest.importorskip("torch")
    data = datasets.FakeData(
        size=3,
        image_size=(1, 4, 4),
        num_classes=3,
        transform=transforms.ToTensor(),
        target_transform=lambda t: t + 10,
    )
    img, target = data[2]
    torch.manual_seed(2)
    pixels = torch.randn(1, 4, 4).mul(255).byte()
    label = torch.randint(0, 3, size=(1,))[0].item()
    assert img.shape == (1, 4, 4) and img.dtype is gradiente.float32
    np.testing.assert_allclose(img.numpy(), pixels.numpy() / np.float32(255), rtol=1e-6)
    assert target == label + 10
    assert datasets.FakeData(size=2, image_size=(1, 4, 4))[0][0].mode == "L"


def test_torchvision_names_resolve_under_gradiente_run(tmp_path):
    script = tmp_path / "samples.py"
    script.write_text(
        "import torch\n"
        "import torchvision.utils as vutils\n"
        "from torchvision import datasets, transforms\n"
        "from torchvision.utils import make_grid, save_image\n"
        "data = datasets.FakeData(size=4, image_size=(3, 8, 8), transform=transforms.ToTensor())\n"
        "batch = torch.stack([data[i][0] for i in range(4)])\n"
        f"save_image(batch, {str(tmp_path / 'out.png')!r}, nrow=2)\n"
        "print(tuple(make_grid(batch, nrow=2).shape), vutils.make_grid is make_grid)\n"
    )
    out = subprocess.run(
        [sys.executable, "-m", "gradiente", "run", str(script)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.splitlines() == ["(3, 22, 22) True"]
    with Image.open(tmp_path / "out.png") as im:
        assert im.size == (22, 22)
