"""What every zoo model shares: the mismatch error and the input-shape checks."""

from __future__ import annotations

import math
from collections.abc import Sequence


class ModelMismatchError(ValueError):
    """A model that cannot take the dataset's input shape (e.g. vgg-small on 8×8 digits)."""


def image_problem(in_shape: Sequence[int], min_size: int, multiple: int = 1) -> str | None:
    """Why ``in_shape`` is not a ``(C, H, W)`` image of at least ``min_size`` pixels a side
    (divisible by ``multiple``), or ``None`` when it is."""
    if len(in_shape) != 3:
        return f"it expects images (C, H, W), got samples of shape {tuple(in_shape)}"
    _, h, w = in_shape
    if h < min_size or w < min_size:
        return f"it needs images of at least {min_size}x{min_size} pixels, got {h}x{w}"
    if h % multiple or w % multiple:
        return f"it needs image sides divisible by {multiple}, got {h}x{w}"
    return None


def check(cls, in_shape: Sequence[int]) -> tuple[int, ...]:
    """``in_shape`` as a tuple of ints, or ``ModelMismatchError`` if ``cls`` cannot take it."""
    in_shape = tuple(int(s) for s in in_shape)
    problem = cls.check_input(in_shape)
    if problem:
        raise ModelMismatchError(
            f"{cls.__name__} does not fit inputs of shape {in_shape}: {problem}"
        )
    return in_shape


def numel(shape: Sequence[int]) -> int:
    """The number of features in one sample of ``shape``."""
    return math.prod(shape)
