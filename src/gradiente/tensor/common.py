"""The tensor layer's common ground: ``Size``, ``device``, named return tuples, dim and
shape argument checks, and turning Python data into arrays."""

from __future__ import annotations

import collections
import numbers
import operator

from gradiente import backend as B
from gradiente.autograd.grad_mode import grad_state
from gradiente.backend import broadcast_error as _broadcast_error
from gradiente.backend import xp
from gradiente.random import generator as _generator
from gradiente.tensor.nested import _first_sizes, _ragged

Tensor = None  # the assembled class, bound by gradiente.tensor (see its __init__)


_RETURN_TYPE_CLASSES: dict = {}  # name → class: one class per torch.return_types name


def _return_type(name: str, fields: tuple):
    """A named tuple printed like PyTorch's ``torch.return_types.max(values=..., indices=...)``;
    one class per name (``gradiente.return_types`` lists them all), which, like torch's, can
    also be made from one sequence of its fields: ``max((values, indices))``."""
    known = _RETURN_TYPE_CLASSES.get(name)
    if known is not None:
        if known._fields != tuple(fields):
            raise ValueError(f"return type {name} has the fields {known._fields}, not {fields}")
        return known

    def __repr__(self):
        items = ",\n".join(f"{f}={v!r}" for f, v in zip(self._fields, self))
        return f"torch.return_types.{name}(\n{items})"

    base = collections.namedtuple(name, fields)

    def __new__(cls, *args, **kwargs):
        if len(args) == 1 and not kwargs:  # torch's structseq form: one sequence of the fields
            args = tuple(args[0])
        return base.__new__(cls, *args, **kwargs)

    namespace = {
        "__slots__": (),
        "__new__": __new__,
        "__repr__": __repr__,
        "__module__": "gradiente.return_types",
    }
    _RETURN_TYPE_CLASSES[name] = cls = type(name, (base,), namespace)
    return cls


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


_return_types["histogram"] = _return_type("histogram", ("hist", "bin_edges"))


_return_types["frexp"] = _return_type("frexp", ("mantissa", "exponent"))


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
        # as torch's: a device equals devices only (``t.device == "cpu"`` is False there)
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self):
        return hash((self.type, self.index))

    def __reduce__(self):
        return (device, (self.type, self.index))

    def __enter__(self):
        """``with torch.device("cuda"):``: the factories in the block that are given no
        ``device=`` make their tensors on this device (as ``set_default_device`` does until the
        block ends; blocks nest). gradiente has no "meta" device (tensors without memory), so
        that raises instead of silently allocating."""
        _check_default_device(self)
        _DEFAULT_DEVICE_STACK.append(_DEFAULT_DEVICE[0])
        _DEFAULT_DEVICE[0] = None if self.type == "cpu" else self
        return self

    def __exit__(self, *exc) -> None:
        _DEFAULT_DEVICE[0] = _DEFAULT_DEVICE_STACK.pop()


# The device that factories given no ``device=`` use (None: the CPU), as torch's default
# device: set by ``set_default_device`` and, for a block, by ``with device(...)``.
_DEFAULT_DEVICE: list = [None]
_DEFAULT_DEVICE_STACK: list = []


def _check_default_device(d) -> None:
    """Raise unless ``d`` can be the default device: the CPU or an existing CUDA device."""
    if d.type == "meta":
        raise RuntimeError(
            'gradiente has no "meta" device: tensors there would have no memory; build '
            "modules on the CPU (or on CUDA) instead"
        )
    _device_index(d)


_DEVICE_TYPES = ("cpu", "cuda", "meta")
_CPU = device("cpu")
_CUDA = {}  # index -> device("cuda", index), made once each
_generator.DEVICE_TYPE[0] = device  # a Generator's .device is a device object, as torch's


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
    or None and the default device is the CPU. Factories build on the CPU, so a seeded model
    has torch's CPU values on any device."""
    index = _device_index(_DEFAULT_DEVICE[0] if d is None else d)
    if index is None:
        return t
    t._data = B.to_device(t._data, index)
    return t


class layout:
    """How a tensor's elements are stored (``torch.layout``). gradiente has one: ``strided``,
    a dense array with a stride per dimension, which every tensor's ``layout`` is."""

    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name

    def __repr__(self):
        return f"torch.{self.name}"

    def __reduce__(self):
        return self.name  # the module-level instance of that name: unpickled as itself


strided = layout("strided")


# ---------------------------------------------------------------------------------------------
# What every factory takes: a shape, a dtype, torch's keyword options and ``out=``
# ---------------------------------------------------------------------------------------------


def _factory_dtype(dtype, default=None):
    if dtype is None:
        return default or B.get_default_dtype()
    return B.to_dtype(dtype)


def _size(sizes: tuple, size, op: str | None = None) -> tuple:
    """A factory's shape, given positionally (``zeros(2, 3)``, ``zeros((2, 3))``) or as
    ``size=`` (``zeros(size=(2, 3))``); with ``op`` named, a missing size is torch's
    TypeError (``zeros()``; a 0-d tensor is ``zeros(())``)."""
    if size is None:
        if not sizes and op is not None:
            raise TypeError(f'{op}() missing 1 required positional arguments: "size"')
        shape = _shape_arg(sizes)
    elif sizes:
        raise TypeError("got multiple values for argument 'size'")
    else:
        shape = _shape_arg((size,))
    _check_no_negative(shape, op)
    return shape


def _check_no_negative(shape: tuple, op: str | None = None) -> None:
    """torch's RuntimeError for a negative size given to a factory."""
    for n in shape:
        if n < 0:
            if op == "zeros":
                raise RuntimeError("zeros: Dimension size must be non-negative.")
            raise RuntimeError(
                f"Trying to create tensor with negative dimension {n}: {list(shape)}"
            )


def _result_dtype(dtype, out, default=None) -> B.dtype:
    """The dtype of a factory's result: ``dtype`` (else ``default``, else the default float);
    with ``out=``, out's own, which a given ``dtype`` must match (torch's check)."""
    if out is None:
        return _factory_dtype(dtype, default)
    if dtype is not None and B.to_dtype(dtype) is not out.dtype:
        raise RuntimeError(
            f"dtype {B.torch_type_name(B.to_dtype(dtype).np)} does not match dtype of out "
            f"parameter ({B.torch_type_name(out._data.dtype)})"
        )
    return out.dtype


def _finish(
    t: Tensor, op: str, device=None, requires_grad=False, layout=None, pin_memory=False, out=None
) -> Tensor:
    """A factory's new CPU tensor ``t`` as the caller asked: on ``device``, requiring grad,
    pinned, or written into ``out=`` (which is returned; resized, with new memory, when its
    shape differs, as torch resizes it). The layout can only be strided."""
    _check_layout(layout)
    if out is not None:
        if grad_state.enabled and out._requires_grad:
            raise RuntimeError(
                f"{op}(): functions with out=... arguments don't support automatic "
                "differentiation, but one of the arguments requires grad."
            )
        data = B.to_device(t._data, B.array_device_index(out._data))
        if out._data.shape == data.shape:
            out._data[...] = data
        else:
            out._data = data
        out._bump()
        return out
    t = _place(t, device)
    if requires_grad:
        require_grad_at_creation(t)
    return t.pin_memory() if pin_memory else t


def require_grad_at_creation(t: Tensor) -> None:
    """A factory's ``requires_grad=True``: only floating tensors can require grad (torch's
    factories word the error differently from ``requires_grad_()``)."""
    if not B.is_float(t._data.dtype):
        raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
    t.requires_grad = True


def _check_layout(layout) -> None:
    """gradiente's tensors are dense (strided); torch's sparse layouts do not exist here."""
    if layout is not None and layout is not strided:
        raise RuntimeError(f"gradiente supports only the strided layout, got {layout!r}")


def _like(t, dtype, device) -> tuple:
    """(dtype, device) of a ``*_like`` factory: ``t``'s unless given."""
    return (t.dtype if dtype is None else dtype), (t.device if device is None else device)


def _dims(dim, ndim: int, op: str):
    """Normalise an int or a tuple of ints to non-negative axes, with a clear error."""
    if dim is None:
        return None
    if isinstance(dim, (list, tuple)):
        return tuple(_dim(d, ndim, op) for d in dim)
    return (_dim(dim, ndim, op),)


def _dim(d, ndim: int, op: str) -> int:
    if not isinstance(d, numbers.Integral) or isinstance(d, bool):
        if isinstance(d, Tensor) and d._data.dtype.kind in "iu" and d._data.size == 1:
            d = int(d)  # an integer tensor of one element counts as its number, as in torch
        else:
            raise TypeError(f"{op}(): dim must be an int, got {type(d).__name__}")
    n = max(ndim, 1)
    if not -n <= d < n:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {d})"
        )
    return int(d) % n


def _check_broadcast(a_shape, b_shape) -> None:
    """Raise torch's error (``_broadcast_error``) when the two shapes do not broadcast; called
    where NumPy's ValueError was caught, so that a failure of another kind is re-raised."""
    err = _broadcast_error(a_shape, b_shape)
    if err is not None:
        raise err from None


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
    """A tensor's shape: a tuple, printed like ``torch.Size([2, 3])``. Slicing, ``+`` and ``*``
    give a ``Size`` again, as in torch (``x.shape[1:].numel()``). Made from any iterable of
    ints, integer tensors of one element included (``torch.Size(torch.tensor([2, 3]))``)."""

    def __new__(cls, sizes=()):
        if type(sizes) is tuple and all(type(n) is int for n in sizes):
            return tuple.__new__(cls, sizes)
        items = []
        for i, n in enumerate(sizes):
            try:
                items.append(operator.index(n))
            except TypeError:
                raise TypeError(
                    f"torch.Size() takes an iterable of 'int' (item {i} is '{type(n).__name__}')"
                ) from None
        return tuple.__new__(cls, items)

    def __repr__(self):
        return f"torch.Size({list(self)})"

    def __getitem__(self, index):
        out = tuple.__getitem__(self, index)
        return Size(out) if isinstance(index, slice) else out

    def __add__(self, other):
        if not isinstance(other, tuple):
            raise TypeError(
                f"can only concatenate tuple (not {type(other).__name__}) to torch.Size"
            )
        return Size(tuple.__add__(self, other))

    def __radd__(self, other):
        if not isinstance(other, tuple):
            return NotImplemented
        return Size(tuple.__add__(other, self))

    def __mul__(self, times):
        out = tuple.__mul__(self, times)
        return out if out is NotImplemented else Size(out)

    __rmul__ = __mul__

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


def _iteration_order(strides, shape) -> list:
    """The axes of a tensor, slowest first, in the order torch's element-wise loops visit its
    elements (``backend.torch_axis_order`` of its one stride tuple): memory order, so a
    transposed or permuted tensor is walked as stored. Random fills draw in this order."""
    return B.torch_axis_order(shape, [strides])


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
    try:
        return _nested_to_array(data, dtype)
    except ValueError as error:
        if not isinstance(data, (list, tuple)):
            raise
        sizes, _ = _first_sizes(data)
        if 0 in sizes:  # torch stores no element, so checks none: [[], [1]] is empty (2, 0)
            return xp.zeros(sizes, dtype=(dtype or B.get_default_dtype()).np)
        problem = _ragged(data)
        if problem:
            raise problem from None
        raise error


def _nested_to_array(data, dtype=None):
    """``_to_array`` for well-formed data."""
    if isinstance(data, Tensor):
        arr = data._data
        return B.cast(arr, dtype.np) if dtype is not None else arr.copy()
    data = xp.asarray(data) if isinstance(data, xp.generic) else data  # keeps a NumPy dtype
    if isinstance(data, xp.ndarray):
        arr = B.cast(data, dtype.np) if dtype is not None else data.copy()
        if dtype is None:
            B.from_numpy_dtype(arr.dtype)
        return arr
    nested = _nested_kinds(data) if isinstance(data, (list, tuple)) else None
    if nested and "tensor" in nested:
        data = _tensors_as_scalars(data)
    if dtype is B.bfloat16:  # Python floats are doubles: rounded to float32 first, as torch
        return B.cast(xp.array(data, dtype=xp.float32), dtype.np)
    if dtype is not None:
        try:
            return xp.array(data, dtype=dtype.np)
        except OverflowError:  # a Python int that the integer dtype cannot hold
            if _leaf_dtype(data) is B.int64 and xp.array(data).dtype.kind in "uO":
                raise _long_overflow() from None
            raise RuntimeError(
                f"value cannot be converted to type {dtype.name} without overflow"
            ) from None
    if nested:
        # NumPy arrays and scalars and tensors inside lists keep their dtypes, promoted with
        # the other elements (torch's inference: Python floats count as the default dtype)
        return xp.array(data, dtype=_leaf_dtype(data).np)
    arr = xp.array(data)
    kind = arr.dtype.kind
    # Python ints beyond int64: NumPy makes them uint64, floats (beside negative ints) or
    # objects, torch refuses them; beside a float they are floats
    if kind in "uO" or (kind == "f" and arr.size and xp.abs(arr).max() >= 2.0**63):
        leaves = list(_leaves(data))
        if all(isinstance(v, numbers.Integral) for v in leaves):
            raise _long_overflow()
        if kind == "O" and all(isinstance(v, numbers.Real) for v in leaves):
            arr, kind = xp.array(data, dtype=xp.float64), "f"
    if kind == "f":
        return arr.astype(B.get_default_dtype().np)
    if kind == "i":
        return arr.astype(xp.int64)
    if kind == "b":
        return arr
    if kind == "O" or kind in "US":
        raise TypeError(f"could not build a tensor from {type(data).__name__} data: {data!r}")
    return arr


def _nested_kinds(data) -> set:
    """Which of "numpy" (arrays, scalars) and "tensor" occur inside nested lists/tuples
    (empty for plain Python numbers: the common case, checked without isinstance)."""
    kinds = set()
    for item in data:
        t = type(item)
        if t is float or t is int or t is bool:
            continue
        if t is list or t is tuple:
            kinds |= _nested_kinds(item)
        elif isinstance(item, Tensor):
            kinds.add("tensor")
        elif isinstance(item, (xp.ndarray, xp.generic)):
            kinds.add("numpy")
        elif isinstance(item, (list, tuple)):
            kinds |= _nested_kinds(item)
    return kinds


def _tensors_as_scalars(data):
    """Nested data with each tensor replaced by its one value as a NumPy scalar of its dtype:
    torch reads a tensor inside a list as a number, so it must have one element."""
    if isinstance(data, Tensor):
        if data._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return B.host(data._data).reshape(())[()]
    if isinstance(data, (list, tuple)):
        return [_tensors_as_scalars(item) for item in data]
    return data


def _leaves(data):
    """The scalars of nested lists and tuples, in order."""
    if isinstance(data, (list, tuple)):
        for item in data:
            yield from _leaves(item)
    else:
        yield data


def _long_overflow() -> ValueError:
    """torch's error for a Python int outside int64 in a tensor's data."""
    return ValueError("Overflow when unpacking long long")


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
    if isinstance(data, (xp.generic, xp.ndarray)):  # an array counts as its dtype
        return B.from_numpy_dtype(data.dtype)
    if isinstance(data, bool):
        return B.bool_
    if isinstance(data, numbers.Integral):
        return B.int64
    return B.get_default_dtype()


# C++ names PyTorch prints for dtypes in matmul's message
_CPP_TYPE_NAMES = {"int64": "long int", "int32": "int", "float32": "float", "float64": "double"}


# C++ names of the scalar types, as torch's TensorOptions messages print them
_CPP_OPTION_NAMES = {
    "float32": "float",
    "float64": "double",
    "float16": "c10::Half",
    "bfloat16": "c10::BFloat16",
    "int64": "long int",
    "int32": "int",
    "int16": "short int",
    "int8": "signed char",
    "uint8": "unsigned char",
    "bool": "bool",
}


def _options_text(dtype) -> str:
    name = _CPP_OPTION_NAMES.get(B.to_dtype(dtype).name, B.to_dtype(dtype).name)
    return (
        f"TensorOptions(dtype={name}, device=cpu, layout=Strided, requires_grad=false "
        "(default), pinned_memory=false (default), memory_format=(nullopt))"
    )


def _legacy_array(args, dtype, any_dtype: bool = False):
    """The array of a legacy constructor call — ``torch.Tensor(...)``, ``torch.FloatTensor(...)``,
    ``x.new(...)`` — read as torch reads its arguments: nothing is an empty 1-D tensor; ints or
    one ``torch.Size`` are sizes (uninitialised values); a tensor is aliased (its array is
    shared; of another dtype it is refused unless ``any_dtype``, as ``torch.Tensor(t)``
    accepts any); any other one argument is data (a list, a tuple, an array) and a Python
    number is refused. Returns the array (``dtype`` a gradiente dtype)."""
    from gradiente.tensor import Tensor as _Tensor

    if not args:
        return xp.empty((0,), dtype=dtype.np)
    if len(args) == 1:
        (arg,) = args
        if isinstance(arg, _Tensor):
            if not any_dtype and arg.dtype is not dtype:
                raise TypeError(f"expected {_options_text(dtype)} (got {_options_text(arg.dtype)})")
            return arg._data
        if isinstance(arg, Size):
            return xp.empty(tuple(arg), dtype=dtype.np)
        if isinstance(arg, (numbers.Number, xp.generic)) and not isinstance(arg, numbers.Integral):
            kind = type(arg).__module__ + "." if type(arg).__module__ == "numpy" else ""
            raise TypeError(f"new(): data must be a sequence (got {kind}{type(arg).__name__})")
        if not isinstance(arg, numbers.Integral):
            return _to_array(arg, dtype)
    return xp.empty(_shape_arg(args), dtype=dtype.np)
