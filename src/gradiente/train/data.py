"""The named datasets of ``gradiente train``, prepared as tensors: load, scale, normalise, split.

Each dataset becomes ``TensorDataset``s of float32 inputs and int64 labels, preprocessed once
for all epochs: images are scaled to [0, 1] (``pixels / pixel_max``) and standardised per
channel with the training set's mean and standard deviation (what ``transforms.Normalize``
does per image); 2-D toy points are used as they are. ``Prepared.info`` records everything
needed to preprocess a new input the same way (``gradiente predict``) and to rebuild the
model (input shape, classes); it is saved in the run's ``config.json``.
"""

from __future__ import annotations

import math
import os
import pathlib
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

from gradiente import datasets
from gradiente.backend import xp
from gradiente.data import TensorDataset, random_split
from gradiente.random import Generator
from gradiente.tensor import Tensor

IMAGE_DATASETS = ("digits", "mnist", "fashion-mnist", "kmnist", "cifar10")
TOY_DATASETS = ("moons", "circles", "spirals")
DATASET_NAMES = IMAGE_DATASETS + TOY_DATASETS

# Toy sets: fixed sizes and data seeds (the data stay the same whatever the training seed).
TOY_TRAIN, TOY_TEST = 1000, 500


class DatasetNotFound(Exception):
    """A dataset that is not on disk (and was not, or could not be, downloaded)."""


@dataclass
class Prepared:
    """A dataset ready for training: train/val/test ``TensorDataset``s and their description."""

    train: TensorDataset
    val: TensorDataset | None
    test: TensorDataset
    info: dict
    notes: list[str] = field(default_factory=list)


def default_data_dir() -> pathlib.Path:
    """Where datasets are looked for (and downloaded) without ``--data-dir``:
    ``$GRADIENTE_DATA``, else ``~/.cache/gradiente/datasets``."""
    env = os.environ.get("GRADIENTE_DATA")
    if env:
        return pathlib.Path(env).expanduser()
    return pathlib.Path("~/.cache/gradiente/datasets").expanduser()


def _array(values):
    if isinstance(values, Tensor):
        return values.numpy()
    return xp.asarray(values)


def _vision(cls_name: str, display: str) -> Callable:
    """A loader for a torchvision-style dataset class (``cls(root, train, download)``)."""

    def load(root, train: bool, download: bool):
        cls = getattr(datasets, cls_name)
        try:
            ds = cls(root, train=train, download=download)
        except RuntimeError as error:
            raw = os.path.join(root, cls_name, "raw")
            where = f"{raw} and {root}" if cls_name != "CIFAR10" else str(root)
            if download:
                detail = f"the download failed ({error})"
            else:
                detail = "add --download to fetch it (this needs a network connection)"
            raise DatasetNotFound(
                f"{display} was not found: looked in {where}; {detail}, or point --data-dir at "
                "a folder that holds its files"
            ) from None
        images, targets = _array(ds.data), _array(ds.targets)
        held_out = getattr(ds, "held_out", None)
        if held_out is not None:  # a test-only folder: test on what training did not see
            images, targets = images[held_out], targets[held_out]
        if len(images) == 0:
            split = "training" if train else "test"
            raise datasets.DatasetFileError(f"{root}: the {display} {split} files hold no images")
        if images.ndim == 4 and images.shape[-1] in (1, 3):  # (N, H, W, C) → (N, C, H, W)
            images = images.transpose(0, 3, 1, 2)
        elif images.ndim == 3:  # (N, H, W) → (N, 1, H, W)
            images = images[:, None]
        return images, targets, [str(c) for c in ds.classes]

    return load


def _toy(maker_name: str, **kwargs) -> Callable:
    def load(root, train: bool, download: bool):
        maker = getattr(datasets, maker_name)
        n, seed = (TOY_TRAIN, 0) if train else (TOY_TEST, 1)
        x, y = maker(n_samples=n, generator=Generator().manual_seed(seed), **kwargs)
        y = _array(y).astype(xp.int64)
        classes = [str(c) for c in range(int(y.max()) + 1)]
        return _array(x).astype(xp.float32), y, classes

    return load


LOADERS: dict[str, Callable] = {
    "digits": _vision("Digits", "digits"),
    "mnist": _vision("MNIST", "MNIST"),
    "fashion-mnist": _vision("FashionMNIST", "Fashion-MNIST"),
    "kmnist": _vision("KMNIST", "KMNIST"),
    "cifar10": _vision("CIFAR10", "CIFAR-10"),
    "moons": _toy("make_moons", noise=0.2),
    "circles": _toy("make_circles", noise=0.1, factor=0.5),
    "spirals": _toy("make_spirals", noise=0.2),
}


def _load(name: str, root, train: bool, download: bool, notes: list[str]):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = LOADERS[name](root, train, download)
    for w in caught:
        text = str(w.message)
        if text not in notes:
            notes.append(text)
    return result


def prepare_inputs(x, info: dict):
    """Raw inputs (pixels, or toy points) → the float32 array the model was trained on."""
    x = xp.asarray(x, dtype=xp.float32)
    if info["kind"] != "image":
        return x
    mean = xp.asarray(info["mean"], dtype=xp.float32).reshape(-1, 1, 1)
    std = xp.asarray(info["std"], dtype=xp.float32).reshape(-1, 1, 1)
    # x̂ = (x / pixel_max − μ_c) / σ_c, per channel c
    return (x / xp.float32(info["pixel_max"]) - mean) / std


def prepare(
    name: str,
    data_dir=None,
    download: bool = False,
    val_split: float = 0.1,
    seed: int = 0,
    info: dict | None = None,
) -> Prepared:
    """Load dataset ``name`` and return its train/validation/test ``TensorDataset``s.

    ``val_split`` of the training set (drawn with a generator seeded by ``seed``) is held out
    for validation. ``info`` (from an earlier ``prepare``, e.g. a run's config) reuses its
    normalisation instead of measuring it again, so evaluation sees the training statistics.
    """
    if name not in LOADERS:
        raise ValueError(f"unknown dataset {name!r}; choose one of: {', '.join(DATASET_NAMES)}")
    root = pathlib.Path(data_dir).expanduser() if data_dir else default_data_dir()
    notes: list[str] = []
    x_train, y_train, classes = _load(name, root, True, download, notes)
    x_test, y_test, _ = _load(name, root, False, download, [])  # its notes repeat the above
    kind = "image" if name in IMAGE_DATASETS else "points"
    if info is None:
        info = {
            "dataset": name,
            "kind": kind,
            "in_shape": list(x_train.shape[1:]),
            "num_classes": len(classes),
            "classes": classes,
        }
        if kind == "image":
            pixel_max = 255.0  # every image dataset stores uint8 pixels
            scaled = x_train.astype(xp.float64) / pixel_max
            info["pixel_max"] = pixel_max
            info["mean"] = [round(float(m), 6) for m in scaled.mean(axis=(0, 2, 3))]
            # a channel of one colour has σ = 0 (or rounds to 0), and (x − μ) / 0 is NaN: divide
            # it by 1 instead (its inputs become 0), as scikit-learn's StandardScaler does
            std = [round(float(s), 6) for s in scaled.std(axis=(0, 2, 3))]
            info["std"] = [s if s > 0 else 1.0 for s in std]
    train = TensorDataset(
        Tensor._make(prepare_inputs(x_train, info)), Tensor._make(y_train.astype(xp.int64))
    )
    test = TensorDataset(
        Tensor._make(prepare_inputs(x_test, info)), Tensor._make(y_test.astype(xp.int64))
    )
    val = None
    n_val = int(round(len(train) * val_split))
    if n_val > 0:
        train, val = random_split(
            train, [len(train) - n_val, n_val], generator=Generator().manual_seed(seed)
        )
    return Prepared(train, val, test, info, notes)


def _resize(channels, height: int, width: int):
    """Resize a float array (C, h, w) to (C, height, width) with Pillow's antialiased bilinear."""
    from PIL import Image

    if channels.shape[1:] == (height, width):
        return channels
    out = [
        xp.asarray(
            Image.fromarray(c.astype(xp.float32), mode="F").resize((width, height), Image.BILINEAR)
        )
        for c in channels
    ]
    return xp.stack(out)


def _read_npy(path: pathlib.Path):
    """A ``.npy`` array of numbers, its header checked against the file's size before reading
    (so a small file cannot claim a huge array)."""
    with open(path, "rb") as f:
        try:
            version = xp.lib.format.read_magic(f)
            read_header = {
                (1, 0): xp.lib.format.read_array_header_1_0,
                (2, 0): xp.lib.format.read_array_header_2_0,
            }.get(version)
            if read_header is None:
                raise ValueError(f"unsupported .npy version {version}")
            shape, _, dtype = read_header(f)
        except ValueError as error:
            raise ValueError(f"{path}: not a readable .npy file ({error})") from None
        if dtype.kind not in "biuf":
            raise ValueError(f"{path}: holds {dtype} values, not numbers")
        nbytes = math.prod(shape) * dtype.itemsize
        left = os.fstat(f.fileno()).st_size - f.tell()
        if nbytes != left:
            raise ValueError(
                f"{path}: damaged .npy file: its header announces {shape} of {dtype} "
                f"({nbytes} bytes) but {left} bytes follow"
            )
    array = xp.load(path, allow_pickle=False)
    if dtype.kind == "f" and not xp.isfinite(array).all():
        raise ValueError(f"{path}: holds NaN or infinite values")
    return array


def _read_image(path: pathlib.Path, mode: str):
    """An image file as a float32 array (H, W) or (H, W, 3) in [0, 255].

    More pixels than ``Image.MAX_IMAGE_PIXELS`` is refused (Pillow only warns up to twice that
    many): a small compressed file can decode to gigabytes.
    """
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                if image.mode.startswith("I;16") or image.mode == "I":
                    return _sixteen_bit(image, mode)
                return xp.asarray(image.convert(mode), dtype=xp.float32)
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as error:
        raise ValueError(f"{path}: refused, a possible decompression bomb ({error})") from None


def _sixteen_bit(image, mode: str):
    """A 16-bit grey image (a 16-bit PNG opens as mode ``I;16`` or ``I``) scaled from
    [0, 65535] to [0, 255]: Pillow's ``convert("L")`` would clip every value above 255 to white,
    turning the picture into a silhouette."""
    grey = xp.clip(xp.asarray(image, dtype=xp.float32), 0, 65535) * (255 / 65535)
    return grey if mode == "L" else xp.repeat(grey[..., None], 3, axis=2)


def read_input(path, info: dict, invert: bool = False):
    """One input for ``predict``, in the dataset's raw scale (as a sample of ``dataset.data``).

    PNG/JPEG images are converted to the model's channels (grey by ITU-R 601 luminance, or
    RGB), resized to its input size and scaled to ``[0, pixel_max]``. ``.npy`` files hold a raw
    sample (uint8 pixels 0-255 as in ``dataset.data``, toy points as coordinates); images of
    another size are resized. ``invert`` flips dark and light (``pixel_max - x``), for
    dark-on-light drawings.

    A file that cannot be such an input raises ``ValueError`` (or ``OSError``) naming it: a
    damaged or foreign file, a ``.npy`` whose header does not match its size, an image with
    more pixels than Pillow's ``Image.MAX_IMAGE_PIXELS`` (a "decompression bomb").
    """
    path = pathlib.Path(path)
    in_shape = tuple(info["in_shape"])
    if path.suffix.lower() == ".npy":
        x = _read_npy(path).astype(xp.float32)
        if info["kind"] != "image":
            if x.size != math.prod(in_shape):
                raise ValueError(f"{path}: {x.size} values, but the model takes {in_shape}")
            return x.reshape(in_shape)
        if x.ndim == 2:
            x = x[None]
        elif x.ndim == 3 and x.shape[-1] in (1, 3, 4) and x.shape[0] not in (1, 3):
            x = x.transpose(2, 0, 1)  # (H, W, C) → (C, H, W)
        if x.ndim != 3 or x.shape[0] not in (1, 3, 4) or 0 in x.shape:
            raise ValueError(f"{path}: an array of shape {x.shape} is not an image")
    else:
        if info["kind"] != "image":
            raise ValueError(f"{path}: a {info['dataset']} model takes .npy points, not images")
        x = _read_image(path, "L" if in_shape[0] == 1 else "RGB") / 255 * info["pixel_max"]
        x = x[None] if x.ndim == 2 else x.transpose(2, 0, 1)
    c = in_shape[0]
    if x.shape[0] == 4:
        x = x[:3]  # drop the alpha channel
    if x.shape[0] == 3 and c == 1:
        x = (0.299 * x[0] + 0.587 * x[1] + 0.114 * x[2])[None]
    elif x.shape[0] == 1 and c == 3:
        x = xp.repeat(x, 3, axis=0)
    x = _resize(x, *in_shape[1:])
    if invert:
        x = info["pixel_max"] - x
    return x
