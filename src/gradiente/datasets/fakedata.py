"""``FakeData``: random images with random labels, the same ones as torchvision's for an index.

torchvision's ``FakeData`` makes item i from torch's generator seeded with i + random_offset::

    torch.manual_seed(index + random_offset)
    img = torch.randn(*image_size)                       # (C, H, W) standard normal
    target = torch.randint(0, num_classes, size=(1,))[0]
    img = transforms.ToPILImage()(img)                   # bytes: ⌊255 x⌋ wrapped modulo 256

and restores the generator's state afterwards, so reading the dataset does not disturb the
script's random numbers. gradiente's generator draws the same numbers as torch's, so the images
and labels here are torchvision's, pixel for pixel.
"""

from __future__ import annotations

from collections.abc import Callable

from gradiente import random as _random
from gradiente.backend import xp
from gradiente.datasets.vision import VisionDataset
from gradiente.tensor import randint, randn

__all__ = ["FakeData"]


def _to_pil_image(img):
    """A float (C, H, W) tensor as a PIL image, as torchvision's ``ToPILImage``.

    torchvision does ``pic.mul(255).byte()``: the float → uint8 cast truncates toward zero and
    wraps modulo 256 (a value of −0.2 becomes −51 → 205), so that is done here explicitly.
    """
    from PIL import Image  # Pillow: a runtime dependency

    scaled = (img * 255).numpy()
    pixels = scaled.astype(xp.int64).astype(xp.uint8).transpose(1, 2, 0)  # (H, W, C)
    channels = pixels.shape[2]
    if channels > 4:
        raise ValueError(f"pic should not have > 4 channels. Got {channels} channels.")
    if channels == 1:
        pixels = pixels[:, :, 0]
    # Pillow picks torchvision's mode from the shape: L, LA, RGB or RGBA
    return Image.fromarray(xp.ascontiguousarray(pixels))


class FakeData(VisionDataset):
    """A dataset of ``size`` random images (PIL images, as torchvision's) and integer labels.

    Args:
        size: the number of items.
        image_size: (C, H, W) of each image (C of 1, 2, 3 or 4).
        num_classes: labels are drawn from 0 .. num_classes − 1.
        transform: applied to the PIL image (``transforms.ToTensor()`` for a tensor).
        target_transform: applied to the label.
        random_offset: item i is drawn with seed i + random_offset.
    """

    def __init__(
        self,
        size: int = 1000,
        image_size: tuple[int, int, int] = (3, 224, 224),
        num_classes: int = 10,
        transform: Callable | None = None,
        target_transform: Callable | None = None,
        random_offset: int = 0,
    ) -> None:
        super().__init__(None, transform=transform, target_transform=target_transform)
        self.size = size
        self.num_classes = num_classes
        self.image_size = image_size
        self.random_offset = random_offset

    def __getitem__(self, index: int):
        if index >= len(self):
            raise IndexError(f"{self.__class__.__name__} index out of range")
        rng_state = _random.get_rng_state()
        _random.manual_seed(index + self.random_offset)
        img = randn(*self.image_size)
        target = randint(0, self.num_classes, size=(1,))[0]
        _random.set_rng_state(rng_state)

        img = _to_pil_image(img)
        img, target = self._apply_transforms(img, target)
        return img, target.item()

    def __len__(self) -> int:
        return self.size
