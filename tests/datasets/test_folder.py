"""ImageFolder/DatasetFolder (torchvision's class-folder layout) and CIFAR-100 from fake files."""

from __future__ import annotations

import os
import pickle

import numpy as np
import pytest
from PIL import Image

import gradiente
from gradiente import datasets
from gradiente.transforms import Compose, Resize, ToTensor


def _tree(root):
    """root/{cat,dog,empty_not}/... with images of known colours, a text file and a subfolder."""
    files = {
        "cat/b.png": (10, 20, 30),
        "cat/a.jpg": (200, 0, 0),  # JPEG: colours only approximately kept
        "cat/kittens/c.PNG": (0, 255, 0),  # extensions are case-insensitive
        "dog/z.bmp": (1, 2, 3),
        "dog/notes.txt": None,
        "eel/x.ppm": (9, 9, 9),
    }
    for name, rgb in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if rgb is None:
            path.write_text("not an image")
        else:
            Image.new("RGB", (6, 4), rgb).save(path)
    return files


def test_image_folder_classes_samples_and_items(tmp_path):
    _tree(tmp_path)
    data = datasets.ImageFolder(tmp_path)
    assert data.classes == ["cat", "dog", "eel"]
    assert data.class_to_idx == {"cat": 0, "dog": 1, "eel": 2}
    # class by class; inside a class the top folder's sorted files, then its subfolders
    expected = [
        (os.path.join(tmp_path, "cat", "a.jpg"), 0),
        (os.path.join(tmp_path, "cat", "b.png"), 0),
        (os.path.join(tmp_path, "cat", "kittens", "c.PNG"), 0),
        (os.path.join(tmp_path, "dog", "z.bmp"), 1),
        (os.path.join(tmp_path, "eel", "x.ppm"), 2),
    ]
    assert data.samples == expected and data.imgs == expected
    assert data.targets == [0, 0, 0, 1, 2] and len(data) == 5
    img, label = data[1]
    assert isinstance(img, Image.Image) and img.mode == "RGB" and label == 0
    np.testing.assert_array_equal(np.asarray(img)[0, 0], (10, 20, 30))
    # with transforms: a float tensor C×H×W and a transformed label
    data = datasets.ImageFolder(
        tmp_path, transform=Compose([Resize((2, 3)), ToTensor()]), target_transform=lambda y: -y
    )
    x, y = data[3]
    assert tuple(x.shape) == (3, 2, 3) and x.dtype == gradiente.float32 and y == -1
    np.testing.assert_allclose(x.numpy()[:, 0, 0] * 255, (1, 2, 3), atol=1e-4)


def test_image_folder_is_valid_file_empty_classes_and_errors(tmp_path):
    _tree(tmp_path)
    (tmp_path / "fox").mkdir()
    with pytest.raises(FileNotFoundError, match="no valid file for the classes fox"):
        datasets.ImageFolder(tmp_path)
    data = datasets.ImageFolder(tmp_path, allow_empty=True)
    assert data.classes == ["cat", "dog", "eel", "fox"] and len(data) == 5
    only_png = datasets.ImageFolder(
        tmp_path, is_valid_file=lambda p: p.lower().endswith(".png"), allow_empty=True
    )
    assert [os.path.basename(p) for p, _ in only_png.samples] == ["b.png", "c.PNG"]
    with pytest.raises(FileNotFoundError, match="Couldn't find any class folder"):
        datasets.ImageFolder(tmp_path / "cat" / "kittens")
    # a damaged image is one error naming the file
    (tmp_path / "dog" / "broken.png").write_bytes(b"\x89PNG not really")
    data = datasets.ImageFolder(tmp_path, allow_empty=True)
    broken = [i for i, (p, _) in enumerate(data.samples) if p.endswith("broken.png")][0]
    with pytest.raises(datasets.DatasetFileError, match="broken.png"):
        data[broken]


def test_dataset_folder_with_its_own_loader(tmp_path):
    for cls, values in {"a": [1, 2], "b": [3]}.items():
        (tmp_path / cls).mkdir()
        for v in values:
            np.save(tmp_path / cls / f"{v}.npy", np.full(2, v))
    data = datasets.DatasetFolder(tmp_path, loader=np.load, extensions=(".npy",))
    assert [int(data[i][0][0]) for i in range(len(data))] == [1, 2, 3]
    assert data.targets == [0, 0, 1]
    with pytest.raises(ValueError, match="cannot be None or not None"):
        datasets.DatasetFolder(tmp_path, loader=np.load)


def test_cifar100_reads_fine_labels(tmp_path):
    rng = np.random.default_rng(0)
    folder = tmp_path / "cifar-100-python"
    folder.mkdir()
    written = {}
    for name, n in (("train", 6), ("test", 3)):
        data = rng.integers(0, 256, (n, 3072), dtype=np.uint8)
        fine = rng.integers(0, 100, n).tolist()
        entry = {b"data": data, b"fine_labels": fine, b"coarse_labels": [f // 5 for f in fine]}
        (folder / name).write_bytes(pickle.dumps(entry, protocol=2))
        written[name] = (data, fine)
    names = [f"class{i:02d}" for i in range(100)]
    meta = {"fine_label_names": names, "coarse_label_names": [f"super{i}" for i in range(20)]}
    (folder / "meta").write_bytes(pickle.dumps(meta, protocol=2))
    train = datasets.CIFAR100(tmp_path, train=True)
    test = datasets.CIFAR100(tmp_path, train=False)
    assert len(train) == 6 and len(test) == 3 and train.classes == names
    img, label = test[2]
    np.testing.assert_array_equal(img, written["test"][0][2].reshape(3, 32, 32).transpose(1, 2, 0))
    assert label == written["test"][1][2]
