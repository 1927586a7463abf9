"""A tensor's storage: the memory it is a window of (``t.untyped_storage()``, ``t.storage()``).

In torch every tensor looks into a flat block of memory, its storage; views look into their
base's. gradiente's storage of a tensor is the memory of its root tensor (the tensor it is a
view of, or itself): what ``storage_offset()`` and ``as_strided`` count from. These classes are
a read-only window on it, enough for the teaching idiom "do these two tensors share memory?"
(``a.untyped_storage().data_ptr() == b.untyped_storage().data_ptr()``) and for looking at the
bytes or elements behind a tensor.
"""

from __future__ import annotations

import warnings

from gradiente import backend as B
from gradiente.backend import xp


def _root_array(t):
    """The array of the tensor whose memory ``t`` lives in."""
    return (t if t._base is None else t._base)._data


def _storage_bytes(array):
    """The bytes an array spans, from its first element, as a 1-D uint8 array (a copy when
    the array is not contiguous)."""
    host = B.host(array) if type(array) is not B.ndarray else array
    if not host.flags["C_CONTIGUOUS"]:
        host = xp.ascontiguousarray(host)
    return host.reshape(-1).view(xp.uint8)


class UntypedStorage:
    """The bytes of a tensor's storage (``t.untyped_storage()``)."""

    def __init__(self, tensor):
        self._array = _root_array(tensor)
        self._device = tensor.device

    def data_ptr(self) -> int:
        """The address of the storage's first byte (equal for tensors sharing memory)."""
        a = self._array
        if hasattr(a, "__array_interface__"):
            return a.__array_interface__["data"][0]
        return a.data.ptr

    def nbytes(self) -> int:
        """The storage's size in bytes."""
        return int(_storage_bytes(self._array).size)

    def size(self) -> int:
        """The number of bytes (an untyped storage's elements are bytes)."""
        return self.nbytes()

    __len__ = size

    def element_size(self) -> int:
        """1: the elements of an untyped storage are bytes."""
        return 1

    @property
    def device(self):
        """The device the memory is on."""
        return self._device

    def tolist(self) -> list:
        """The bytes as a list of ints."""
        return _storage_bytes(self._array).tolist()

    def __getitem__(self, index):
        return _storage_bytes(self._array)[index].tolist()

    def __repr__(self):
        lines = [f" {v}" for v in self.tolist()]
        lines.append(f"[torch.storage.UntypedStorage(device={self._device}) of size {len(self)}]")
        return "\n".join(lines)


class TypedStorage(UntypedStorage):
    """The elements of a tensor's storage (``t.storage()``, deprecated in torch)."""

    def __init__(self, tensor):
        super().__init__(tensor)
        self.dtype = tensor.dtype

    def _elements(self):
        return _storage_bytes(self._array).view(self._array.dtype)

    def size(self) -> int:
        """The number of elements."""
        return int(self._elements().size)

    __len__ = size

    def element_size(self) -> int:
        """The size of one element in bytes."""
        return self._array.itemsize

    def tolist(self) -> list:
        """The elements as a list of Python numbers."""
        return self._elements().tolist()

    def __getitem__(self, index):
        return self._elements()[index].tolist()

    def __repr__(self):
        lines = [f" {v}" for v in self.tolist()]
        lines.append(
            f"[torch.storage.TypedStorage(dtype={self.dtype}, device={self._device}) of size "
            f"{len(self)}]"
        )
        return "\n".join(lines)


def typed_storage(tensor) -> TypedStorage:
    """``t.storage()``, with torch's deprecation warning."""
    warnings.warn(
        "TypedStorage is deprecated. It will be removed in the future and UntypedStorage will "
        "be the only storage class. This should only matter to you if you are using storages "
        "directly.  To access UntypedStorage directly, use tensor.untyped_storage() instead "
        "of tensor.storage()",
        stacklevel=3,
    )
    return TypedStorage(tensor)
