"""Datasets (torchvision's ``datasets`` and a few toy generators).

- ``Digits``: 1,797 8×8 handwritten digits, bundled (no download);
- ``MNIST``, ``FashionMNIST``, ``KMNIST``: IDX files, downloaded with checksum verification;
- ``CIFAR10``, ``CIFAR100``: the "python version" batches, read without unsafe unpickling;
- ``FakeData``: random images and labels, torchvision's for the same index (no files);
- ``ImageFolder``, ``DatasetFolder``: images in one folder per class (torchvision's layout);
- ``make_moons``, ``make_circles``, ``make_spirals``, ``make_xor``, ``make_blobs``,
  ``make_line``: small synthetic problems for the lecture.
"""

from gradiente.datasets.cifar import CIFAR10, CIFAR100
from gradiente.datasets.digits import Digits
from gradiente.datasets.download import check_integrity, download_url
from gradiente.datasets.errors import DatasetFileError
from gradiente.datasets.fakedata import FakeData
from gradiente.datasets.folder import DatasetFolder, ImageFolder
from gradiente.datasets.mnist import KMNIST, MNIST, FashionMNIST
from gradiente.datasets.toy import (
    make_blobs,
    make_circles,
    make_line,
    make_moons,
    make_spirals,
    make_xor,
)
from gradiente.datasets.vision import VisionDataset

__all__ = [
    "CIFAR10",
    "CIFAR100",
    "DatasetFileError",
    "DatasetFolder",
    "Digits",
    "FakeData",
    "FashionMNIST",
    "ImageFolder",
    "KMNIST",
    "MNIST",
    "VisionDataset",
    "check_integrity",
    "download_url",
    "make_blobs",
    "make_circles",
    "make_line",
    "make_moons",
    "make_spirals",
    "make_xor",
]
