"""CIFAR-10 and CIFAR-100: 32×32 colour images, read from the official "python version" batches.

The batches are Python pickles. Unpickling can run arbitrary code, so they are read with a
restricted unpickler that rebuilds only what the files contain — NumPy arrays of numbers,
lists, dicts, strings, bytes, ints, floats — and refuses every other global, so a crafted file
cannot call anything. What it rebuilds is then checked (a dict with ``data``, uint8 images of
3×32×32 values, one label per image, each a class index); any problem raises
``DatasetFileError`` naming the file.
"""

from __future__ import annotations

import functools
import io
import os
import pickle

from gradiente.backend import xp
from gradiente.datasets.download import check_integrity, download_and_extract_archive
from gradiente.datasets.errors import DatasetFileError
from gradiente.datasets.vision import SplitDataset
from gradiente.tensor import Tensor

__all__ = ["CIFAR10", "CIFAR100", "restricted_load"]


class _RefusedPickle(DatasetFileError, pickle.UnpicklingError):
    """A dataset pickle that is refused: both a ``DatasetFileError`` and an ``UnpicklingError``."""


def _safe_reconstruct(cls, shape, dtype_code, *, max_bytes: int):
    """NumPy's ``_reconstruct`` for plain arrays only (no subclasses, no object dtype), and no
    larger than the file (NumPy itself asks for an empty array, then fills it from the file)."""
    if cls is not xp.ndarray:
        raise pickle.UnpicklingError(f"refusing to rebuild an array of type {cls!r}")
    dtype = _safe_dtype(dtype_code)
    if not (isinstance(shape, tuple) and all(isinstance(n, int) and n >= 0 for n in shape)):
        raise pickle.UnpicklingError(f"refusing an array of shape {shape!r:.60}")
    count = 1
    for n in shape:
        count *= n
    if count * dtype.itemsize > max_bytes:
        raise pickle.UnpicklingError(f"refusing an array of shape {shape} (larger than the file)")
    return xp.ndarray.__new__(xp.ndarray, shape, dtype)


def _safe_dtype(spec, align=False, copy=False):
    """``numpy.dtype`` restricted to booleans and numbers (no Python objects inside arrays)."""
    if isinstance(spec, bytes):
        spec = spec.decode("latin1")
    dtype = xp.dtype(spec, align=bool(align), copy=bool(copy))
    if dtype.kind not in "biuf":
        raise pickle.UnpicklingError(f"refusing NumPy dtype {dtype} in a pickle")
    return dtype


def _latin1_bytes(text, encoding="latin1"):
    """``_codecs.encode`` as protocol-2 pickles use it to store bytes (latin-1 only)."""
    if encoding not in ("latin1", "latin-1") or not isinstance(text, str):
        raise pickle.UnpicklingError(f"refusing _codecs.encode with encoding {encoding!r}")
    return text.encode("latin1")


_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"): _safe_reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _safe_reconstruct,
    ("numpy", "ndarray"): xp.ndarray,
    ("numpy", "dtype"): _safe_dtype,
    ("_codecs", "encode"): _latin1_bytes,
}


class _RestrictedUnpickler(pickle.Unpickler):
    """An unpickler whose only reachable globals are the few callables in ``_ALLOWED``."""

    def __init__(self, file, max_bytes: int, **kwargs) -> None:
        super().__init__(file, **kwargs)
        self.max_bytes = max_bytes

    def find_class(self, module: str, name: str):
        try:
            found = _ALLOWED[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(
                f"refusing to load {module}.{name}: only NumPy arrays, lists, dicts, strings, "
                f"bytes and numbers are accepted in dataset pickles"
            ) from None
        if found is _safe_reconstruct:
            return functools.partial(_safe_reconstruct, max_bytes=self.max_bytes)
        return found

    def persistent_load(self, pid):
        raise pickle.UnpicklingError("refusing persistent references in dataset pickles")


def restricted_load(path: str | os.PathLike):
    """Unpickle a CIFAR batch file safely (Python 2 strings decoded as latin-1).

    Dict keys that arrive as bytes are decoded, so ``entry["data"]`` works for files written
    by Python 2 and 3 alike. A refused or damaged file raises an error that is both a
    ``DatasetFileError`` and a ``pickle.UnpicklingError``, naming the file.
    """
    path = os.fspath(path)
    with open(path, "rb") as f:
        raw = f.read()
    try:
        obj = _RestrictedUnpickler(io.BytesIO(raw), len(raw), encoding="latin1").load()
    except Exception as error:  # a damaged pickle can fail in many ways, all the file's fault
        raise _RefusedPickle(f"{path}: cannot read this CIFAR batch: {error}") from error
    if isinstance(obj, dict):
        obj = {k.decode("latin1") if isinstance(k, bytes) else k: v for k, v in obj.items()}
    return obj


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _describe(value) -> str:
    """A short description of an unpickled value for error messages: its type and shape."""
    if isinstance(value, xp.ndarray):
        return f"an array of {value.dtype} {value.shape}"
    if isinstance(value, (list, tuple, dict)):
        return f"a {type(value).__name__} of {len(value)} items"
    return type(value).__name__


class CIFAR10(SplitDataset):
    """CIFAR-10 (Krizhevsky, 2009): 60,000 32×32 colour images in 10 classes.

    Items are ``(image, label)``: the image a uint8 NumPy array 32×32×3 (H×W×C;
    ``ToTensor()`` makes it float32 3×32×32 in [0, 1]), the label an int. ``.data`` is the
    uint8 tensor N×32×32×3 and ``.targets`` a list of ints (as torchvision). The batches live in
    ``root/cifar-10-batches-py``; ``download=True`` fetches and extracts the MD5-verified
    archive first.
    """

    base_folder = "cifar-10-batches-py"
    url = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
    filename = "cifar-10-python.tar.gz"
    tgz_md5 = "c58f30108f718f92721af3b95e74349a"
    train_list = [
        ["data_batch_1", "c99cafc152244af753f735de768cd75f"],
        ["data_batch_2", "d4bba439e000b95fd0a9bffe97cbabec"],
        ["data_batch_3", "54ebc095f3ab1f0389bbae665268c751"],
        ["data_batch_4", "634d18415352ddfa80567beed471001a"],
        ["data_batch_5", "482c414d41f54cd18b22e5b47cb7c3cb"],
    ]
    test_list = [["test_batch", "40351d587109b95175f43aff81a1287e"]]
    meta = {
        "filename": "batches.meta",
        "key": "label_names",
        "md5": "5ff9c542aee3614f3951f8cda6e48888",
    }
    labels_key = "labels"
    _num_classes = 10
    classes = [
        "airplane",
        "automobile",
        "bird",
        "cat",
        "deer",
        "dog",
        "frog",
        "horse",
        "ship",
        "truck",
    ]

    def _load(self, download: bool) -> None:
        """Fetch and extract the archive if asked, then read the split's batches."""
        if download:
            self.download()
        folder = os.path.join(self.root, self.base_folder)
        names = [name for name, _ in (self.train_list if self.train else self.test_list)]
        missing = [n for n in names if not os.path.isfile(os.path.join(folder, n))]
        if missing:
            raise RuntimeError(
                f"{type(self).__name__} not found: missing {', '.join(missing)} in {folder!r}. "
                f"Use download=True to fetch {self.url}, or extract it into {self.root!r}."
            )
        images, targets = [], []
        for name in names:
            batch_images, batch_targets = self._read_batch(os.path.join(folder, name))
            images.append(batch_images)
            targets += batch_targets
        # (N, C, H, W) → (N, H, W, C): images as H×W×C, like PIL's
        data = xp.ascontiguousarray(xp.concatenate(images).transpose(0, 2, 3, 1))
        self.data = Tensor._make(data)
        self.targets = targets
        self._load_meta(folder)

    def _read_batch(self, path: str) -> tuple:
        """One batch file's images (N, 3, 32, 32) and labels, checked."""
        entry = restricted_load(path)
        if not isinstance(entry, dict) or "data" not in entry or self.labels_key not in entry:
            raise DatasetFileError(
                f"{path}: not a CIFAR batch (expected a dict with 'data' and "
                f"'{self.labels_key}', got {_describe(entry)})"
            )
        data, labels = entry["data"], entry[self.labels_key]
        if not (isinstance(data, xp.ndarray) and data.dtype == xp.uint8 and data.ndim == 2):
            raise DatasetFileError(
                f"{path}: 'data' is {_describe(data)}, not uint8 images (N, 3072)"
            )
        if data.shape[1] != 3 * 32 * 32:
            raise DatasetFileError(
                f"{path}: 'data' has {data.shape[1]} values per image, not 3x32x32 = 3072"
            )
        if isinstance(labels, xp.ndarray) and labels.dtype.kind in "iu" and labels.ndim == 1:
            labels = labels.tolist()
        if not (isinstance(labels, list) and all(_is_int(t) for t in labels)):
            raise DatasetFileError(f"{path}: '{self.labels_key}' is {_describe(labels)}, not ints")
        if len(labels) != len(data):
            raise DatasetFileError(
                f"{path}: {len(data)} images but {len(labels)} labels in '{self.labels_key}'"
            )
        wrong = [t for t in labels if not 0 <= t < self._num_classes]
        if wrong:
            raise DatasetFileError(
                f"{path}: label {wrong[0]} is not one of the {self._num_classes} classes"
            )
        return data.reshape(-1, 3, 32, 32), [int(t) for t in labels]

    def _load_meta(self, folder: str) -> None:
        path = os.path.join(folder, self.meta["filename"])
        if not os.path.isfile(path):
            return
        entry = restricted_load(path)
        names = entry.get(self.meta["key"]) if isinstance(entry, dict) else None
        if not (
            isinstance(names, list)
            and len(names) == self._num_classes
            and all(isinstance(n, (str, bytes)) for n in names)
        ):
            raise DatasetFileError(
                f"{path}: expected '{self.meta['key']}', a list of {self._num_classes} class "
                f"names, got {_describe(names)}"
            )
        self.classes = [n.decode("latin1") if isinstance(n, bytes) else n for n in names]

    def _check_integrity(self) -> bool:
        folder = os.path.join(self.root, self.base_folder)
        return all(
            check_integrity(os.path.join(folder, name), md5)
            for name, md5 in self.train_list + self.test_list
        )

    def download(self) -> None:
        """Fetch and extract the archive unless every batch is present and verified."""
        if self._check_integrity():
            print("Files already downloaded and verified")
            return
        download_and_extract_archive(self.url, self.root, filename=self.filename, md5=self.tgz_md5)

    def __getitem__(self, index: int):
        img = self.data._data[index].copy()
        return self._apply_transforms(img, self.targets[index])  # a list of ints, as torchvision


class CIFAR100(CIFAR10):
    """CIFAR-100 (Krizhevsky, 2009): like CIFAR-10 with 100 fine classes."""

    base_folder = "cifar-100-python"
    url = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
    filename = "cifar-100-python.tar.gz"
    tgz_md5 = "eb9058c3a382ffc7106e4002c42a8d85"
    train_list = [["train", "16019d7e3df5f24257cddd939b257f8d"]]
    test_list = [["test", "f0ef6b0ae62326f3e7ffdfab6717acfc"]]
    meta = {
        "filename": "meta",
        "key": "fine_label_names",
        "md5": "7973b15100ade9c7d40fb424638fde48",
    }
    labels_key = "fine_labels"
    _num_classes = 100
    classes: list[str] = []
