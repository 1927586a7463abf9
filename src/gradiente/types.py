"""``torch.types``: the type aliases PyTorch code writes in its annotations (``Number``,
``_size``, ``Device``, ...), as the plain ``typing`` aliases they are in torch.

They only describe arguments; nothing in gradiente checks them at run time.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import IO, Union

from gradiente.backend import dtype
from gradiente.tensor import Size, Tensor, device
from gradiente.tensor.common import layout

_int = int
_float = float
_bool = bool
_complex = complex
_str = str
_dtype = dtype
_device = device
_layout = layout

Number = int | float | bool
_Number = (int, float, bool)  # the tuple for isinstance, as in torch
_size = Size | list[int] | tuple[int, ...]
_symsize = Size | Sequence[int]
Device = device | str | int | None
_TensorOrTensors = Tensor | Sequence[Tensor]
_TensorOrOptionalTensors = Tensor | Sequence[Tensor | None]
FileLike = Union[str, os.PathLike[str], IO[bytes]]  # noqa: UP007 - torch spells it so
# gradiente has no symbolic shapes: the "like" types are the plain Python ones
IntLikeType = int
FloatLikeType = float
BoolLikeType = bool

__all__ = [
    "BoolLikeType",
    "Device",
    "FileLike",
    "FloatLikeType",
    "IntLikeType",
    "Number",
    "Size",
    "Tensor",
]
