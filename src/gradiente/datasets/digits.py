"""``Digits``: the 1,797 8×8 handwritten digits (UCI), bundled with gradiente — no download.

The data ships inside the package as ``digits.npz`` (46 kB; licence and citation in
``digits-LICENSE.txt``: CC BY 4.0, Alpaydin & Kaynak, UCI). Each pixel is a count of "on" pixels
in a 4×4 block of a 32×32 bitmap, 0..16; they are stored unchanged.

Decisions:

- pixels are rescaled to uint8 0..255 at load time (``round(v * 255 / 16)``, so 16 → 255, and
  the 17 levels stay distinct), so that the dataset looks like MNIST: ``.data`` is uint8 and
  ``ToTensor()`` gives floats in [0, 1];
- the split is fixed and stratified, with no randomness: within each class, in file order,
  every fifth sample (ranks 4, 9, 14, ...) is in the test set. That gives 1,442 training and
  355 test images, each class 19-20 % test.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from gradiente.backend import xp
from gradiente.datasets.vision import SplitDataset
from gradiente.tensor import Tensor

__all__ = ["Digits", "load_digits_arrays"]

_FILE = os.path.join(os.path.dirname(__file__), "digits.npz")
_TEST_EVERY = 5  # within each class, every fifth sample goes to the test split


def load_digits_arrays():
    """The bundled arrays unchanged: images (1797, 8, 8) uint8 in 0..16, targets (1797,) uint8."""
    with xp.load(_FILE, allow_pickle=False) as archive:
        return archive["images"], archive["targets"]


def _test_mask(targets):
    """True for the test samples: rank within its class (in file order) ≡ 4 (mod 5)."""
    mask = xp.zeros(len(targets), dtype=bool)
    for label in xp.unique(targets):
        members = xp.flatnonzero(targets == label)
        mask[members[_TEST_EVERY - 1 :: _TEST_EVERY]] = True
    return mask


class Digits(SplitDataset):
    """The UCI handwritten digits, 8×8 grey images of 0..9 (torchvision-style dataset).

    Items are ``(image, label)``: the image a uint8 NumPy array 8×8 in 0..255 (``ToTensor()``
    makes it float32 1×8×8 in [0, 1]), the label an int. ``.data`` is the uint8 tensor N×8×8,
    ``.targets`` the int64 labels. ``train=True`` gives 1,442 images, ``train=False`` 355.

    Args:
        root: ignored (the data is bundled); kept for torchvision's signature.
        train: the training split if True, else the test split.
        transform: applied to each image; target_transform: applied to each label.
        download: ignored (nothing to download).
    """

    classes = [str(d) for d in range(10)]

    def __init__(
        self,
        root: str | os.PathLike | None = None,
        train: bool = True,
        transform: Callable | None = None,
        target_transform: Callable | None = None,
        download: bool = False,
    ) -> None:
        super().__init__(root, train, transform, target_transform, download)  # root may be None

    def _load(self, download: bool) -> None:
        """Take the split from the bundled file (nothing to download)."""
        images, targets = load_digits_arrays()
        keep = ~_test_mask(targets) if self.train else _test_mask(targets)
        # v in 0..16 → round(v · 255 / 16), exact in integers: (v · 255 + 8) // 16
        pixels = (images[keep].astype(xp.int64) * 255 + 8) // 16
        self.data = Tensor._make(pixels.astype(xp.uint8))
        self.targets = Tensor._make(targets[keep].astype(xp.int64))
