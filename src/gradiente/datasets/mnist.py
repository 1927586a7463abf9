"""MNIST, Fashion-MNIST and Kuzushiji-MNIST: 28×28 grey images in LeCun's IDX format.

The files (``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte``,
``t10k-labels-idx1-ubyte``, each plain or gzip-compressed) are looked for in torchvision's place,
``root/<ClassName>/raw/``, then in ``root/<ClassName>/``, ``root/<classname>/`` and ``root``
itself. ``download=True`` fetches the missing ones from the official mirrors into
``root/<ClassName>/raw/``, verifying the published MD5s.

``train=False`` is always the whole test split (the 10,000 ``t10k-*`` images), as in torchvision.
A folder holding only the test split (as ``shared/data/mnist``) still gives a training set:
``train=True`` then takes the first 80 % of it (8,000 images), with a warning, and the test
set's ``held_out`` names the last 20 % that this training set never saw.
"""

from __future__ import annotations

import gzip
import math
import os
import struct
import warnings
import zlib

from gradiente.backend import xp
from gradiente.datasets.download import download_from_mirrors
from gradiente.datasets.errors import DatasetFileError
from gradiente.datasets.vision import SplitDataset
from gradiente.tensor import Tensor

__all__ = ["MNIST", "FashionMNIST", "KMNIST", "read_idx", "read_image_file", "read_label_file"]

# IDX type codes → big-endian NumPy dtypes (the third byte of the magic number)
_IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_TRAIN_FRACTION = (4, 5)  # a test-only folder: the first 4/5 train, the last 1/5 test
_MAX_IDX_BYTES = 2**30  # 1 GiB of values per file (MNIST's largest file has 47 MB)

# The four gzipped IDX files of every MNIST-format dataset (torchvision's ``resources`` order).
_IDX_FILES = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)


def _idx_resources(*md5s: str) -> list[tuple[str, str]]:
    """A dataset's ``resources``: (file name, published MD5) for each of the four IDX files."""
    return list(zip(_IDX_FILES, md5s, strict=True))


def _read_idx_stream(stream, path: str):
    """The IDX array in ``stream`` (a plain or a gzip file), read with bounded work.

    Layout: two zero bytes, a type code, the number of dimensions ``d``; then ``d`` big-endian
    uint32 sizes; then the values, big-endian, in C order. The sizes are checked before the
    values are read: at most ``_MAX_IDX_BYTES``, and exactly that many bytes must follow (a
    gzip file is decompressed only as far as the header says, so a "gzip bomb" stops there).
    """
    magic = stream.read(4)
    if len(magic) < 4 or magic[0] != 0 or magic[1] != 0 or magic[2] not in _IDX_DTYPES:
        raise DatasetFileError(f"{path}: not an IDX file (first bytes {magic.hex() or 'none'})")
    ndim = magic[3]
    sizes = stream.read(4 * ndim)
    if len(sizes) < 4 * ndim:
        raise DatasetFileError(f"{path}: truncated IDX header")
    dims = struct.unpack(f">{ndim}I", sizes)
    dtype = xp.dtype(_IDX_DTYPES[magic[2]])
    nbytes = math.prod(dims) * dtype.itemsize
    if nbytes > _MAX_IDX_BYTES:
        raise DatasetFileError(
            f"{path}: the IDX header announces shape {dims} of {dtype.name} ({nbytes} bytes), "
            f"more than the {_MAX_IDX_BYTES} bytes this reader accepts"
        )
    values = stream.read(nbytes + 1)  # one byte more than announced, to detect extra data
    if len(values) != nbytes:
        follow = f"{len(values)}" if len(values) < nbytes else "more"
        raise DatasetFileError(
            f"{path}: damaged IDX file: the header announces shape {dims} of {dtype.name} "
            f"({nbytes} bytes) but {follow} bytes follow"
        )
    array = xp.frombuffer(values, dtype=dtype).reshape(dims)
    return array.astype(dtype.newbyteorder("="))  # native byte order, and a writable copy


def read_idx(path: str | os.PathLike):
    """Read an IDX file (plain or gzip-compressed, whatever its name) into a NumPy array of its
    dtype and shape. A damaged, truncated or foreign file raises ``DatasetFileError``."""
    path = os.fspath(path)
    with open(path, "rb") as f:
        if f.read(2) != b"\x1f\x8b":  # gzip's magic number
            f.seek(0)
            return _read_idx_stream(f, path)
        f.seek(0)
        try:
            with gzip.GzipFile(fileobj=f) as stream:
                return _read_idx_stream(stream, path)
        except (OSError, EOFError, zlib.error) as error:  # gzip.BadGzipFile is an OSError
            raise DatasetFileError(f"{path}: damaged or truncated gzip file ({error})") from error


def read_image_file(path: str | os.PathLike) -> Tensor:
    """An IDX file of images (N, H, W) as a uint8 tensor."""
    array = read_idx(path)
    if array.dtype != xp.uint8 or array.ndim != 3:
        raise DatasetFileError(
            f"{path}: expected uint8 images (N, H, W), got {array.dtype} {array.shape}"
        )
    return Tensor._make(array)


def read_label_file(path: str | os.PathLike) -> Tensor:
    """An IDX file of labels (N,) as an int64 tensor."""
    array = read_idx(path)
    if array.dtype != xp.uint8 or array.ndim != 1:
        raise DatasetFileError(
            f"{path}: expected uint8 labels (N,), got {array.dtype} {array.shape}"
        )
    return Tensor._make(array.astype(xp.int64))


class MNIST(SplitDataset):
    """The MNIST handwritten digits (LeCun, Cortes & Burges; CC BY-SA 3.0).

    Items are ``(image, label)``: the image a uint8 NumPy array 28×28 (``ToTensor()`` makes it
    a float32 1×28×28 tensor in [0, 1]), the label an int. ``.data`` is the uint8 tensor
    N×28×28 and ``.targets`` the int64 labels. 60,000 training and 10,000 test images.

    Args:
        root: the folder holding the files (see the module's docstring for where it looks).
        train: the training split if True, else the test split.
        transform: applied to each image; target_transform: applied to each label.
        download: fetch the missing files from ``mirrors`` (MD5-verified) first.

    ``held_out`` is None, except for the test split of a folder holding only the test split:
    then it is the slice of it (the last 20 %) that ``train=True`` does not use.
    """

    mirrors = [
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    ]
    resources = _idx_resources(
        "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        "d53e105ee54ea40749a09fcbcd1e9432",
        "9fb629c4189551a2d022fa330f9573f3",
        "ec29112dd5afa0611ce80d1b7f02629c",
    )
    classes = [
        "0 - zero",
        "1 - one",
        "2 - two",
        "3 - three",
        "4 - four",
        "5 - five",
        "6 - six",
        "7 - seven",
        "8 - eight",
        "9 - nine",
    ]

    def _load(self, download: bool) -> None:
        """Fetch the files if asked (when that fails, files found on disk are used, with a
        warning), then read the split."""
        self.held_out: slice | None = None
        download_error = None
        if download:
            try:
                self.download()
            except RuntimeError as error:
                download_error = error
        self.data, self.targets = self._load_data(download_error)

    # --- where the files are --------------------------------------------------------------

    @property
    def raw_folder(self) -> str:
        """torchvision's folder for the files, ``root/<ClassName>/raw``."""
        return os.path.join(self.root, type(self).__name__, "raw")

    def _folders(self) -> list[str]:
        name = type(self).__name__
        folders = [
            self.raw_folder,
            os.path.join(self.root, name),
            os.path.join(self.root, name.lower()),
            self.root,
        ]
        return list(dict.fromkeys(folders))

    @staticmethod
    def _find(folder: str, stem: str) -> str | None:
        for name in (stem, stem + ".gz"):
            path = os.path.join(folder, name)
            if os.path.isfile(path):
                return path
        return None

    def _split_files(self, folder: str, split: str) -> tuple[str, str] | None:
        images = self._find(folder, f"{split}-images-idx3-ubyte")
        labels = self._find(folder, f"{split}-labels-idx1-ubyte")
        return (images, labels) if images and labels else None

    # --- loading --------------------------------------------------------------------------

    def _read_pair(self, files: tuple[str, str]) -> tuple[Tensor, Tensor]:
        """The images and labels of one split, checked against each other."""
        images, labels = read_image_file(files[0]), read_label_file(files[1])
        if len(images) != len(labels):
            raise DatasetFileError(
                f"{files[0]} holds {len(images)} images but {files[1]} holds {len(labels)} "
                "labels: the files do not belong together"
            )
        n_classes = len(self.classes)
        if len(labels) and not 0 <= int(labels._data.max()) < n_classes:
            raise DatasetFileError(
                f"{files[1]}: label {int(labels._data.max())} is not one of the {n_classes} "
                f"classes of {type(self).__name__}"
            )
        return images, labels

    def _load_data(self, download_error: Exception | None) -> tuple[Tensor, Tensor]:
        split = "train" if self.train else "t10k"
        for folder in self._folders():
            own = self._split_files(folder, split)
            test = own if not self.train else self._split_files(folder, "t10k")
            if own is None and test is None:
                continue
            has_train = self._split_files(folder, "train") is not None
            if download_error is not None and (own or not has_train):
                warnings.warn(
                    f"{type(self).__name__}: the download failed ({download_error}); using "
                    f"the files found in {folder!r}",
                    UserWarning,
                    stacklevel=3,
                )
            if own is not None:
                images, labels = self._read_pair(own)
                if not self.train and not has_train:
                    n = len(labels)
                    self.held_out = slice(n * _TRAIN_FRACTION[0] // _TRAIN_FRACTION[1], n)
                return images, labels
            if not has_train:
                return self._first_part_of_test(folder, test)
        names = [
            f"{split}-{kind}"
            for split in ("train", "t10k")
            for kind in ("images-idx3-ubyte", "labels-idx1-ubyte")
        ]
        missing = [n for n in names if not any(self._find(f, n) for f in self._folders())]
        message = (
            f"{type(self).__name__} not found: missing {', '.join(missing)} (each plain or .gz); "
            f"looked in {', '.join(repr(f) for f in self._folders())}. Use download=True to "
            f"fetch them from {self.mirrors[0]}, or copy them into {self.raw_folder!r}."
        )
        if download_error is not None:
            message += f" The download failed: {download_error}"
        raise RuntimeError(message)

    def _first_part_of_test(self, folder: str, files: tuple[str, str]) -> tuple:
        """A training set from a test-only folder: the first 80 % of the test split."""
        images, labels = self._read_pair(files)
        n = len(images)
        n_train = n * _TRAIN_FRACTION[0] // _TRAIN_FRACTION[1]
        warnings.warn(
            f"{type(self).__name__}: only the test split (t10k-*) is in {folder!r}; using its "
            f"first {n_train} images as the training set. train=False gives the whole test split "
            f"({n} images); its held_out attribute, slice({n_train}, {n}), names the "
            f"{n - n_train} images this training set does not contain.",
            UserWarning,
            stacklevel=4,
        )
        return (
            Tensor._make(images._data[:n_train].copy()),
            Tensor._make(labels._data[:n_train].copy()),
        )

    def download(self) -> None:
        """Fetch the four files into ``raw_folder`` unless a complete set is already present.

        Each file is verified against its published MD5; a verified file already in
        ``raw_folder`` is reused.
        """
        for folder in self._folders():
            if self._split_files(folder, "train") and self._split_files(folder, "t10k"):
                return
        for filename, md5 in self.resources:
            download_from_mirrors(self.mirrors, filename, self.raw_folder, md5=md5)


class FashionMNIST(MNIST):
    """Fashion-MNIST (Xiao, Rasul & Vollgraf, Zalando; MIT): 28×28 grey images of clothing."""

    mirrors = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]
    resources = _idx_resources(
        "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        "25c81989df183df01b3e8a0aad5dffbe",
        "bef4ecab320f06d8554ea6380940ec79",
        "bb300cfdad3c16e7a12a480ee83cd310",
    )
    classes = [
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    ]


class KMNIST(MNIST):
    """Kuzushiji-MNIST (Clanuwat et al., ROIS-DS CODH; CC BY-SA 4.0): 28×28 cursive Japanese."""

    mirrors = ["http://codh.rois.ac.jp/kmnist/dataset/kmnist/"]
    resources = _idx_resources(
        "bdb82020997e1d708af4cf47b453dcf7",
        "e144d726b3acfaa3e44228e80efcd344",
        "5c965bf0a639b31b8f53240b1b52f4d7",
        "7320c461ea6c1c855c0b718fb2a4b134",
    )
    classes = ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"]
