"""Legacy constructors: the deprecated ``range`` and ``FloatTensor``-style tensor types."""

from __future__ import annotations

import math
import numbers

from gradiente import backend as B
from gradiente.backend import xp
from gradiente.tensor import (
    Tensor,
    _shape_arg,
    empty,
    tensor,
)


def range(start=0, end=None, step=1, dtype=None, device=None, requires_grad=False):  # noqa: A001
    """Deprecated in PyTorch: like arange but including ``end``, float by default."""
    if end is None:
        start, end = 0, start
    n = int(math.floor((end - start) / step)) + 1
    d = B.get_default_dtype() if dtype is None else B.to_dtype(dtype)
    values = start + xp.arange(n, dtype=xp.float64) * step
    t = Tensor._make(values.astype(d.np))
    return t.requires_grad_(True) if requires_grad else t


class _LegacyTensorType(type):
    """``torch.FloatTensor`` and friends: calling one builds a tensor of its dtype, and
    ``isinstance(t, torch.FloatTensor)`` checks the dtype."""

    def __instancecheck__(cls, obj) -> bool:
        return isinstance(obj, Tensor) and obj.dtype is cls.dtype

    def __call__(cls, *args):
        if len(args) == 1 and not isinstance(args[0], numbers.Integral):
            data = args[0]
            return data.to(cls.dtype) if isinstance(data, Tensor) else tensor(data, dtype=cls.dtype)
        return empty(_shape_arg(args), dtype=cls.dtype) if args else empty(0, dtype=cls.dtype)

    def __repr__(cls) -> str:
        return f"<class 'torch.{cls.__name__}'>"


def _legacy(name: str, dtype):
    doc = f"``torch.{name}``: the legacy constructor of {dtype!r} tensors."
    return _LegacyTensorType(name, (), {"dtype": dtype, "__doc__": doc})


FloatTensor = _legacy("FloatTensor", B.float32)
DoubleTensor = _legacy("DoubleTensor", B.float64)
HalfTensor = _legacy("HalfTensor", B.float16)
LongTensor = _legacy("LongTensor", B.int64)
IntTensor = _legacy("IntTensor", B.int32)
ShortTensor = _legacy("ShortTensor", B.int16)
CharTensor = _legacy("CharTensor", B.int8)
ByteTensor = _legacy("ByteTensor", B.uint8)
BoolTensor = _legacy("BoolTensor", B.bool_)
