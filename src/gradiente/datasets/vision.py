"""``VisionDataset``: what the image datasets share (root, transforms, a readable ``repr``);
``SplitDataset``: what the ones with a train and a test split share (torchvision's signature)."""

from __future__ import annotations

import os
from collections.abc import Callable

from gradiente.data.dataset import Dataset

__all__ = ["SplitDataset", "StandardTransform", "VisionDataset"]


class StandardTransform:
    """``transform`` on the image and ``target_transform`` on the label, as one callable of
    both (torchvision's: a dataset's ``transforms`` attribute when given the two separately)."""

    def __init__(self, transform: Callable | None = None, target_transform: Callable | None = None):
        self.transform = transform
        self.target_transform = target_transform

    def __call__(self, input, target):
        if self.transform is not None:
            input = self.transform(input)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return input, target

    @staticmethod
    def _lines(transform, head: str) -> list[str]:
        """``head`` before the transform's repr, its later lines indented under the first."""
        lines = repr(transform).splitlines()
        return [head + lines[0]] + [" " * len(head) + line for line in lines[1:]]

    def __repr__(self) -> str:
        body = [type(self).__name__]
        if self.transform is not None:
            body += self._lines(self.transform, "Transform: ")
        if self.target_transform is not None:
            body += self._lines(self.target_transform, "Target transform: ")
        return "\n".join(body)


class VisionDataset(Dataset):
    """Base of the image datasets, as torchvision's: ``root``, ``transform``, ``target_transform``.

    ``transform`` is applied to the image and ``target_transform`` to the label of every item;
    ``transforms`` is the two as one ``StandardTransform`` (None when neither is given).
    """

    def __init__(
        self,
        root: str | os.PathLike | None,
        transform: Callable | None = None,
        target_transform: Callable | None = None,
    ) -> None:
        self.root = os.path.expanduser(os.fspath(root)) if root is not None else None
        self.transform = transform
        self.target_transform = target_transform

    @property
    def transforms(self) -> StandardTransform | None:
        """The image and label transforms as one callable (torchvision's attribute)."""
        if self.transform is None and self.target_transform is None:
            return None
        return StandardTransform(self.transform, self.target_transform)

    def _apply_transforms(self, img, target):
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    @property
    def class_to_idx(self) -> dict[str, int]:
        """Class name → label."""
        return {name: i for i, name in enumerate(self.classes)}

    def extra_repr(self) -> str:
        """Extra lines for ``repr`` (the split, for instance)."""
        return ""

    def __repr__(self) -> str:
        lines = [f"Number of datapoints: {len(self)}"]
        if self.root is not None:
            lines.append(f"Root location: {self.root}")
        lines += self.extra_repr().splitlines()
        if self.transforms is not None:
            # torchvision indents only the first line of the transforms' repr
            lines.append(repr(self.transforms))
        return "\n".join([f"Dataset {type(self).__name__}"] + ["    " + line for line in lines])


class SplitDataset(VisionDataset):
    """An image dataset in a training and a test split, built as torchvision's MNIST and CIFAR:
    ``Dataset(root, train=True, transform=None, target_transform=None, download=False)``.

    The subclass's ``_load(download)`` fills ``data`` (the uint8 images, a tensor indexed by
    sample) and ``targets`` (the labels: an int64 tensor, or as in torchvision's CIFAR a list
    of ints), fetching the files first if asked. An item is ``(image, label)``: a copy of the
    image array and the label as an int, each through its transform.
    """

    def __init__(
        self,
        root: str | os.PathLike,
        train: bool = True,
        transform: Callable | None = None,
        target_transform: Callable | None = None,
        download: bool = False,
    ) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        self._load(download)

    def _load(self, download: bool) -> None:
        raise NotImplementedError(f"{type(self).__name__} must define _load(download)")

    def __getitem__(self, index: int):
        img = self.data._data[index].copy()
        return self._apply_transforms(img, int(self.targets._data[index]))

    def __len__(self) -> int:
        return len(self.data._data)

    def extra_repr(self) -> str:
        return f"Split: {'Train' if self.train else 'Test'}"
