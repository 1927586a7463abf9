"""``VisionDataset``: what the image datasets share (root, transforms, a readable ``repr``)."""

from __future__ import annotations

import os
from collections.abc import Callable

from gradiente.data.dataset import Dataset

__all__ = ["VisionDataset"]


class VisionDataset(Dataset):
    """Base of the image datasets, as torchvision's: ``root``, ``transform``, ``target_transform``.

    ``transform`` is applied to the image and ``target_transform`` to the label of every item.
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
        lines += [line for line in self.extra_repr().splitlines() if line]
        if self.transform is not None:
            lines.append(f"Transform: {self.transform!r}".replace("\n", "\n    "))
        if self.target_transform is not None:
            lines.append(f"Target transform: {self.target_transform!r}".replace("\n", "\n    "))
        return "\n".join([f"Dataset {type(self).__name__}"] + ["    " + line for line in lines])
