"""Where a tensor's elements lie: strides, storage offset, contiguity and memory formats.

torch's answers to these questions are part of its semantics (``x.stride()``,
``x.is_contiguous(memory_format=torch.channels_last)``, ``x.view`` refusing a layout it cannot
express). gradiente's NumPy memory sometimes differs from torch's on purpose (a convolution
keeps its result channels-last); ``ops/geometry`` translates, so these methods give torch's
answers either way.
"""

from __future__ import annotations

from gradiente.ops import elementwise as E
from gradiente.ops import geometry
from gradiente.tensor.common import _dim

Tensor = None  # the assembled class, bound by gradiente.tensor (see its __init__)


class MemoryLayout:
    """Strides, storage offset, ``is_contiguous`` and ``contiguous`` with memory formats."""

    __slots__ = ()

    def stride(self, dim=None):
        """The step in memory, in elements, from one index to the next along each dim."""
        strides = geometry.torch_geometry(self)[0]
        return strides if dim is None else strides[_dim(dim, self.ndim, "stride")]

    def storage_offset(self) -> int:
        """The offset of the first element in the underlying storage, in elements."""
        return geometry.torch_geometry(self)[1]

    def is_contiguous(self, memory_format=None) -> bool:
        """True if the elements are laid out without gaps in ``memory_format``'s order
        (row-major by default; ``channels_last``: NHWC)."""
        strides = geometry.torch_geometry(self)[0]
        return geometry.is_contiguous_as(self._data.shape, strides, memory_format)

    def contiguous(self, memory_format=None) -> Tensor:
        """``self`` if it is contiguous in ``memory_format`` (row-major by default), else a
        copy that is (differentiable: the gradient passes through)."""
        geometry.check_rank(self, memory_format)
        if self.is_contiguous(memory_format):
            return self
        if geometry.format_name(memory_format) == "preserve_format":
            raise RuntimeError("preserve memory format is unsupported by the contiguous operator")
        return in_format(self, memory_format, E.CloneInFormat)


def in_format(t, memory_format, op=E.CloneInFormat) -> Tensor:
    """A copy of ``t`` laid out in ``memory_format`` by the copy op ``op`` (clone, or ``to``'s
    copy), marked as torch's layout so that strides and later ops follow it."""
    geometry.check_rank(t, memory_format)
    out = op.apply(t, memory_format)
    out.__dict__["_torch_layout"] = True
    return out


def needs_copy(t, memory_format, copy: bool) -> bool:
    """Whether ``t.to(memory_format=...)`` copies: torch's ``to`` returns ``t`` itself when
    ``t``'s strides already suggest that format (``geometry.suggested_format``) and no copy
    is asked for."""
    name = geometry.format_name(memory_format) if memory_format is not None else None
    if name in (None, "preserve_format"):
        return False
    return copy or geometry.suggested_format(t) != name
