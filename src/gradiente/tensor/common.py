"""The tensor layer's common ground: ``Size``, ``device``, named return tuples, dim and
shape argument checks, and turning Python data into arrays."""

from __future__ import annotations

import collections
import numbers

from gradiente import backend as B
from gradiente.backend import xp

Tensor = None  # the assembled class, bound by gradiente.tensor (see its __init__)


def _return_type(name: str, fields: tuple):
    """A named tuple printed like PyTorch's ``torch.return_types.max(values=..., indices=...)``."""

    def __repr__(self):
        items = ",\n".join(f"{f}={v!r}" for f, v in zip(self._fields, self))
        return f"torch.return_types.{name}(\n{items})"

    base = collections.namedtuple(name, fields)
    return type(name, (base,), {"__slots__": (), "__repr__": __repr__, "__module__": __name__})


_return_types = {
    name: _return_type(name, ("values", "indices"))
    for name in (
        "max",
        "min",
        "sort",
        "topk",
        "kthvalue",
        "median",
        "nanmedian",
        "mode",
        "cummax",
        "cummin",
    )
}


_return_types["aminmax"] = _return_type("aminmax", ("min", "max"))


_return_types["slogdet"] = _return_type("slogdet", ("sign", "logabsdet"))


class device:
    """Where a tensor lives: ``device("cpu")``, ``device("cuda")``, ``device("cuda:1")``,
    ``device("cuda", 1)`` or ``device(1)`` (a bare index means CUDA), as ``torch.device``.

    A CUDA tensor's array is a CuPy array (or, on CPU-only CI, the stand-in array of
    ``_cupy_standin.ndarray``); a CPU tensor's array is a plain ``numpy.ndarray``.
    """

    __slots__ = ("type", "index")

    def __init__(self, type="cpu", index=None):
        if isinstance(type, device):
            type, index = type.type, type.index
        elif isinstance(type, numbers.Integral) and not isinstance(type, bool):
            type, index = "cuda", int(type)
        text = str(type)
        if ":" in text:
            text, idx = text.split(":", 1)
            if not idx.isdigit():
                raise RuntimeError(f"Invalid device string: '{type}'")
            index = int(idx)
        if text not in _DEVICE_TYPES:
            raise RuntimeError(
                "Expected one of cpu, cuda, meta device type at start of device string: " + text
            )
        if index is not None and text == "cpu" and index != 0:
            raise RuntimeError(f"CPU device index must be -1 or zero, got {index}")
        self.type = text
        self.index = index

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other):
        if isinstance(other, str):
            try:
                other = device(other)
            except RuntimeError:
                return False
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self):
        return hash((self.type, self.index))

    def __reduce__(self):
        return (device, (self.type, self.index))


_DEVICE_TYPES = ("cpu", "cuda", "meta")
_CPU = device("cpu")
_CUDA = {}  # index -> device("cuda", index), made once each


def _cuda_device(index: int) -> device:
    d = _CUDA.get(index)
    if d is None:
        d = _CUDA[index] = device("cuda", index)
    return d


def _array_device(array) -> device:
    """The device of an array: the CPU for a plain NumPy array, else its CUDA device."""
    if type(array) is B.ndarray:
        return _CPU
    index = B.array_device_index(array)
    return _CPU if index is None else _cuda_device(index)


def _device_index(d):
    """The CUDA index that ``d`` (a device, a name, an int or None) asks for; None for the CPU
    (and for None). A bare "cuda" is the current device; a missing or absent CUDA device
    raises torch's error."""
    if d is None:
        return None
    if not isinstance(d, device):
        d = device(d)
    if d.type != "cuda":
        return None
    index = B.current_cuda_device() if d.index is None else d.index
    B.check_cuda_index(index)
    return index


def _check_device(d) -> None:
    """Raise unless ``d`` names a device that exists here (None means the default, the CPU)."""
    _device_index(d)


def _place(t, d):
    """Tensor ``t`` (made on the CPU) moved to device ``d``; ``t`` itself when ``d`` is the CPU
    or None. Factories build on the CPU, so a seeded model has torch's CPU values on any device."""
    index = _device_index(d)
    if index is None:
        return t
    t._data = B.to_device(t._data, index)
    return t


def _dims(dim, ndim: int, op: str):
    """Normalise an int or a tuple of ints to non-negative axes, with a clear error."""
    if dim is None:
        return None
    if isinstance(dim, (list, tuple)):
        return tuple(_dim(d, ndim, op) for d in dim)
    return (_dim(dim, ndim, op),)


def _dim(d, ndim: int, op: str) -> int:
    if not isinstance(d, numbers.Integral) or isinstance(d, bool):
        raise TypeError(f"{op}(): dim must be an int, got {type(d).__name__}")
    n = max(ndim, 1)
    if not -n <= d < n:
        raise IndexError(
            f"{op}(): Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
            f"but got {d})"
        )
    return int(d) % n


def _required(kwargs: dict, op: str, name: str) -> tuple:
    """The one argument ``name`` of ``op`` given by keyword, as a 1-tuple; PyTorch's TypeError
    when it is missing (``x.expand()`` is an error, ``x.expand(())`` a 0-d shape)."""
    if name not in kwargs:
        raise TypeError(f'{op}() missing 1 required positional arguments: "{name}"')
    return (kwargs[name],)


def _shape_arg(args) -> tuple:
    """Accept ``f(2, 3)``, ``f((2, 3))``, ``f([2, 3])`` and ``f(torch.Size)``."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = args[0]
    out = []
    for s in args:
        if type(s) is int:  # the common case, without the slower Integral (ABC) check
            out.append(s)
            continue
        if isinstance(s, Tensor):
            s = s.item()
        if not isinstance(s, numbers.Integral):
            raise TypeError(f"size must contain ints, got {type(s).__name__}: {s!r}")
        out.append(int(s))
    return tuple(out)


class Size(tuple):
    """A tensor's shape: a tuple, printed like ``torch.Size([2, 3])``."""

    def __repr__(self):
        return f"torch.Size({list(self)})"

    def numel(self) -> int:
        """The number of elements: the product of the sizes."""
        n = 1
        for s in self:
            n *= s
        return n


_LEGACY_TYPE_NAMES = {
    "float32": "FloatTensor",
    "float64": "DoubleTensor",
    "int64": "LongTensor",
    "int32": "IntTensor",
    "bool": "BoolTensor",
    "uint8": "ByteTensor",
    "float16": "HalfTensor",
    "bfloat16": "BFloat16Tensor",
    "int16": "ShortTensor",
    "int8": "CharTensor",
}


def _sort_indices(x, d: int, descending: bool):
    """Stable sorting order along axis d; nan counts as the largest value."""
    if not descending:
        return xp.argsort(x, axis=d, kind="stable")
    if x.ndim == 0:
        return xp.zeros((), xp.intp)
    if x.dtype.kind == "f":
        # primary key: nan first; then −x ascending (stable for ties)
        return xp.lexsort((-x, ~xp.isnan(x)), axis=d)
    return xp.argsort(-x.astype(xp.int64), axis=d, kind="stable")


def _scalar_type_name(t: Tensor) -> str:
    """PyTorch's name of a tensor's element type in messages (Float, Long, ...)."""
    return _LEGACY_TYPE_NAMES[t.dtype.name].removesuffix("Tensor")


def _rebuild(data, requires_grad):
    return Tensor._make(data, requires_grad, None)


def _req(x) -> bool:
    return isinstance(x, Tensor) and x._requires_grad


def _arr(x):
    return x._data if isinstance(x, Tensor) else x


def _detach(x):
    return x.detach() if isinstance(x, Tensor) else x


def _to_array(data, dtype=None):
    """Build an array from nested lists / scalars / arrays / tensors, with PyTorch's dtypes."""
    if isinstance(data, Tensor):
        arr = data._data
        return B.cast(arr, dtype.np) if dtype is not None else arr.copy()
    data = xp.asarray(data) if isinstance(data, xp.generic) else data  # keeps a NumPy dtype
    if isinstance(data, xp.ndarray):
        arr = B.cast(data, dtype.np) if dtype is not None else data.copy()
        if dtype is None:
            B.from_numpy_dtype(arr.dtype)
        return arr
    if isinstance(data, (list, tuple)) and data and any(isinstance(d, Tensor) for d in data):
        data = [d._data if isinstance(d, Tensor) else d for d in data]
    if dtype is B.bfloat16:  # Python floats are doubles: rounded to float32 first, as torch
        return B.cast(xp.array(data, dtype=xp.float32), dtype.np)
    if dtype is not None:
        return xp.array(data, dtype=dtype.np)
    if isinstance(_first_leaf(data), xp.generic):
        # NumPy scalars inside lists keep their dtypes, promoted with the other elements
        return xp.array(data, dtype=_leaf_dtype(data).np)
    arr = xp.array(data)
    kind = arr.dtype.kind
    if kind == "f":
        return arr.astype(B.get_default_dtype().np)
    if kind in "iu":
        return arr.astype(xp.int64)
    if kind == "b":
        return arr
    if kind == "O" or kind in "US":
        raise TypeError(f"could not build a tensor from {type(data).__name__} data: {data!r}")
    return arr


def _first_leaf(data):
    while isinstance(data, (list, tuple)) and data:
        data = data[0]
    return data


def _leaf_dtype(data):
    """The dtype PyTorch infers for nested data: Python ints are int64, floats the default
    dtype, NumPy scalars their own dtype; all of them promoted together."""
    if isinstance(data, (list, tuple)):
        result = None
        for item in data:
            d = _leaf_dtype(item)
            result = d if result is None else B.promote_types(result, d)
        return result or B.get_default_dtype()
    if isinstance(data, xp.generic):
        return B.from_numpy_dtype(data.dtype)
    if isinstance(data, bool):
        return B.bool_
    if isinstance(data, numbers.Integral):
        return B.int64
    return B.get_default_dtype()


# C++ names PyTorch prints for dtypes in matmul's message
_CPP_TYPE_NAMES = {"int64": "long int", "int32": "int", "float32": "float", "float64": "double"}
