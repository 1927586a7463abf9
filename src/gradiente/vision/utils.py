"""``make_grid`` and ``save_image``: a batch of images as one picture, as ``torchvision.utils``.

A training script saves its samples (a GAN's fakes, a VAE's reconstructions) as one image:
the batch (B, C, H, W) is tiled ``nrow`` images per row with ``padding`` pixels between them
and around the border, in torchvision's exact layout::

    xmaps = min(nrow, B) columns, ymaps = ceil(B / xmaps) rows
    grid: (C, ymaps·(H + padding) + padding, xmaps·(W + padding) + padding), filled with
          pad_value; image k at row y = k // xmaps, column x = k % xmaps, its top-left pixel at
          (y·(H + padding) + padding, x·(W + padding) + padding)

Here the grid is built from tensor operations (pad each image on its top and left, tile by
reshaping, pad the bottom and right edge), so it is one vectorised computation and
differentiable, instead of torchvision's loop of copies into the grid.

This module is ``torchvision.utils`` under ``gradiente run``, so it also re-exports the drawing
functions of ``gradiente.vision.draw`` (``draw_bounding_boxes``, ``draw_segmentation_masks``,
``draw_keypoints``, ``flow_to_image``).
"""

from __future__ import annotations

import math
import os

from gradiente.autograd import no_grad
from gradiente.backend import xp
from gradiente.nn import functional as F
from gradiente.tensor import Tensor, cat, stack
from gradiente.vision.draw import (
    draw_bounding_boxes,
    draw_keypoints,
    draw_segmentation_masks,
    flow_to_image,
)

__all__ = [
    "make_grid",
    "save_image",
    "draw_bounding_boxes",
    "draw_segmentation_masks",
    "draw_keypoints",
    "flow_to_image",
]


def _normalized(t: Tensor, value_range) -> Tensor:
    """Clamp to [low, high] and map to [0, 1]: (clamp(t, low, high) − low) / max(high − low, 1e-5).

    Without ``value_range``, low and high are t's own minimum and maximum.
    """
    if value_range is not None:
        low, high = value_range
    else:
        low, high = float(t.min()), float(t.max())
    return (t.clamp(min=low, max=high) - low) / max(high - low, 1e-5)


def make_grid(
    tensor: Tensor | list[Tensor],
    nrow: int = 8,
    padding: int = 2,
    normalize: bool = False,
    value_range: tuple[float, float] | None = None,
    scale_each: bool = False,
    pad_value: float = 0.0,
) -> Tensor:
    """Tile a batch of images (B, C, H, W), or a list of (C, H, W) images, into one (C, H', W').

    Args:
        tensor: a 4-D batch, a list of equally sized 3-D images, or one image (2-D or 3-D).
        nrow: images per row of the grid.
        padding: pixels between the images and around the border.
        normalize: map the values to [0, 1] (by ``value_range``, else by their min and max).
        value_range: (low, high) for ``normalize``; values outside are clamped first.
        scale_each: with ``normalize``, scale every image by its own range.
        pad_value: the value of the padding pixels.

    One-channel images become three-channel (grey as RGB), as in torchvision; a batch of one
    image is returned as that image (no padding).
    """
    if not isinstance(tensor, Tensor):
        if isinstance(tensor, list):
            for t in tensor:
                if not isinstance(t, Tensor):
                    raise TypeError(
                        f"tensor or list of tensors expected, got a list containing {type(t)}"
                    )
        else:
            raise TypeError(f"tensor or list of tensors expected, got {type(tensor)}")
    if isinstance(tensor, list):
        tensor = stack(tensor, dim=0)

    if tensor.dim() == 2:  # one image H × W
        tensor = tensor.unsqueeze(0)
    if tensor.dim() == 3:  # one image C × H × W
        if tensor.size(0) == 1:  # grey → RGB
            tensor = cat((tensor, tensor, tensor), 0)
        tensor = tensor.unsqueeze(0)
    if tensor.dim() == 4 and tensor.size(1) == 1:  # grey images → RGB
        tensor = cat((tensor, tensor, tensor), 1)

    if normalize is True:
        if value_range is not None and not isinstance(value_range, tuple):
            raise TypeError(
                "value_range has to be a tuple (min, max) if specified. min and max are numbers"
            )
        if scale_each is True:
            tensor = stack([_normalized(t, value_range) for t in tensor], dim=0)
        else:
            tensor = _normalized(tensor, value_range)

    if tensor.size(0) == 1:
        return tensor.squeeze(0)

    B, C, H, W = tensor.shape
    xmaps = min(nrow, B)
    ymaps = int(math.ceil(float(B) / xmaps))
    if ymaps * xmaps > B:  # fill the last row with blank (pad_value) images
        blank = tensor.new_full((ymaps * xmaps - B, C, H, W), pad_value)
        tensor = cat((tensor, blank), 0)
    # every image gets `padding` pixels on its top and left: (B', C, H + p, W + p)
    cells = F.pad(tensor, (padding, 0, padding, 0), value=pad_value)
    height, width = H + padding, W + padding
    # (ymaps, xmaps, C, h, w) → (C, ymaps, h, xmaps, w) → (C, ymaps·h, xmaps·w)
    grid = cells.reshape(ymaps, xmaps, C, height, width).permute(2, 0, 3, 1, 4)
    grid = grid.reshape(C, ymaps * height, xmaps * width)
    # and the bottom and right border
    return F.pad(grid, (0, padding, 0, padding), value=pad_value)


def save_image(tensor: Tensor | list[Tensor], fp, format: str | None = None, **kwargs) -> None:
    """Save a tensor (or a batch, tiled by ``make_grid(tensor, **kwargs)``) as an image file.

    Values are taken to be in [0, 1]; each becomes the byte ⌊255 x + 0.5⌋ clamped to
    [0, 255] (rounding to the nearest, as torchvision). ``fp`` is a path or a binary file
    object; ``format`` overrides the format chosen from the file name (Pillow's names: "PNG",
    "JPEG", ...).
    """
    from PIL import Image  # Pillow: a runtime dependency, loaded only when saving

    with no_grad():
        grid = make_grid(tensor, **kwargs)
        # torchvision: grid.mul(255).add_(0.5).clamp_(0, 255).permute(1, 2, 0).to(uint8)
        scaled = (grid * 255 + 0.5).clamp(0, 255).permute(1, 2, 0)
        ndarr = xp.ascontiguousarray(scaled.numpy().astype(xp.uint8))  # truncation: ⌊·⌋
    if isinstance(fp, (str, os.PathLike)):
        fp = os.fspath(fp)
    Image.fromarray(ndarr).save(fp, format=format)
