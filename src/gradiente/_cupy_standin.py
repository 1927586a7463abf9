"""A strict CuPy stand-in for CPU-only tests: the rules of CuPy that break NumPy code, enforced.

Test infrastructure, not a backend. ``GRADIENTE_FAKE_CUDA=1`` (or
``backend.set_stand_in_cuda(n)``) makes ``backend._cupy`` this module, so that
gradiente takes the very code path it takes on a GPU with CuPy, while the arithmetic is
NumPy's on the host. Its ``ndarray`` *wraps* (does not subclass) a NumPy array, so NumPy code
that would fail on CuPy fails here too:

- ``numpy.asarray(a)`` / ``numpy.array(a)`` / anything calling ``a.__array__()`` raises CuPy's
  ``TypeError("Implicit conversion to a NumPy array is not allowed. ...")``;
  ``a.get()`` and ``asnumpy(a)`` are the explicit ways to the host;
- an operation mixing a device array with a host ``numpy.ndarray`` (also a 0-d one: CuPy's
  kernels take arrays of their own or scalars, nothing else) raises ``TypeError``; Python
  and NumPy scalars (``numpy.generic``) mix freely, as in CuPy;
- results are always arrays: a reduction gives a 0-d array, never a NumPy scalar;
- NumPy functions and ufuncs called on device arrays dispatch here (NEP 13 and NEP 18, as
  CuPy's ``__array_ufunc__`` and ``__array_function__`` do); ``ufunc.at`` is refused (use
  ``cupyx.scatter_add``, as ``backend.add_at`` does), and so is ``ufunc.reduceat``/``outer``;
- ``numpy.lib.stride_tricks.as_strided`` of a device array fails (it converts to NumPy);
  ``lib.stride_tricks.as_strided`` here is CuPy's.

Every array records its device index (``a.device.id``); constructors use the current device
(``cuda.Device(i)`` as a context manager or ``.use()``). Only what gradiente needs is here.
"""

from __future__ import annotations

import contextlib
import time
import types

import numpy

IMPLICIT_CONVERSION = (
    "Implicit conversion to a NumPy array is not allowed. "
    "Please use `.get()` to construct a NumPy array explicitly."
)

_current = [0]  # the current device's index
_device_count = [1]
_memory_limit = [None]  # the largest array (bytes) the stand-in device holds; None: any


class OutOfMemoryError(MemoryError):
    """``cupy.cuda.memory.OutOfMemoryError``, with CuPy's words."""

    def __init__(self, size: int, total: int):
        super().__init__(
            f"Out of memory allocating {size:,} bytes (allocated so far: {total:,} bytes)."
        )


def set_memory_limit(nbytes: int | None) -> None:
    """Make the stand-in device refuse arrays larger than ``nbytes`` (None: no limit), as a GPU
    that runs out of memory does: for tests of what gradiente does then."""
    _memory_limit[0] = nbytes


def set_device_count(count: int) -> None:
    """How many stand-in GPUs ``cuda.runtime.getDeviceCount()`` reports."""
    _device_count[0] = int(count)
    _current[0] = 0


# ---------------------------------------------------------------------------------------------
# Unwrapping arguments and wrapping results
# ---------------------------------------------------------------------------------------------


def _unwrap(value):
    """The NumPy value behind ``value``: device arrays unwrapped (also inside lists, tuples and
    dicts), scalars and other objects unchanged, host arrays refused as CuPy refuses them."""
    if isinstance(value, ndarray):
        return value._a
    if isinstance(value, numpy.ndarray):
        raise TypeError(f"Unsupported type {type(value)}")
    if isinstance(value, (list, tuple)):
        return type(value)(_unwrap(v) for v in value)
    if isinstance(value, dict):
        return {k: _unwrap(v) for k, v in value.items()}
    return value


def _device_of(values, default=None):
    """The device index of the first device array among ``values`` (nested)."""
    for v in values:
        if isinstance(v, ndarray):
            return v._device
        if isinstance(v, (list, tuple)):
            found = _device_of(v)
            if found is not None:
                return found
    return _current[0] if default is None else default


def _wrap(value, device: int):
    """NumPy results as device arrays on ``device``; NumPy scalars become 0-d arrays (CuPy's
    functions always return arrays). Python values pass through."""
    if isinstance(value, numpy.ndarray):
        return ndarray._from(value, device)
    if isinstance(value, numpy.generic):
        return ndarray._from(numpy.asarray(value), device)
    if isinstance(value, tuple):
        return tuple(_wrap(v, device) for v in value)
    if isinstance(value, list):
        return [_wrap(v, device) for v in value]
    return value


def _forward(fn):
    """``fn`` (a NumPy function) made a device function: unwrap, call, wrap."""

    def call(*args, **kwargs):
        device = _device_of(list(args) + list(kwargs.values()))
        return _wrap(fn(*_unwrap(args), **_unwrap(kwargs)), device)

    call.__name__ = getattr(fn, "__name__", "function")
    call.__doc__ = f"Device version of NumPy's ``{call.__name__}``."
    return call


# ---------------------------------------------------------------------------------------------
# The array
# ---------------------------------------------------------------------------------------------


class Device:
    """A stand-in GPU (``cupy.cuda.Device``): ``with Device(i):`` makes it current."""

    def __init__(self, device=None):
        self.id = _current[0] if device is None else int(device)
        self._previous = []

    def use(self) -> None:
        """Make this device current."""
        _current[0] = self.id

    def synchronize(self) -> None:
        """Nothing to wait for: NumPy has finished when it returns."""

    def __enter__(self):
        self._previous.append(_current[0])
        _current[0] = self.id
        return self

    def __exit__(self, *exc) -> None:
        _current[0] = self._previous.pop()

    def __eq__(self, other) -> bool:
        return isinstance(other, Device) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)

    def __repr__(self) -> str:
        return f"<CUDA Device {self.id}>"


_UNARY = {
    "__neg__": numpy.negative,
    "__pos__": numpy.positive,
    "__abs__": numpy.absolute,
    "__invert__": numpy.invert,
}
_BINARY = {
    "add": numpy.add,
    "sub": numpy.subtract,
    "mul": numpy.multiply,
    "truediv": numpy.true_divide,
    "floordiv": numpy.floor_divide,
    "mod": numpy.remainder,
    "pow": numpy.power,
    "matmul": numpy.matmul,
    "and": numpy.bitwise_and,
    "or": numpy.bitwise_or,
    "xor": numpy.bitwise_xor,
    "lshift": numpy.left_shift,
    "rshift": numpy.right_shift,
}
_COMPARE = {
    "__eq__": numpy.equal,
    "__ne__": numpy.not_equal,
    "__lt__": numpy.less,
    "__le__": numpy.less_equal,
    "__gt__": numpy.greater,
    "__ge__": numpy.greater_equal,
}
# Methods that return arrays computed from the array (forwarded to NumPy's method).
_ARRAY_METHODS = (
    "sum mean max min prod std var argmax argmin all any cumsum cumprod clip round "
    "reshape view ravel flatten transpose swapaxes squeeze repeat take nonzero "
    "astype copy dot conj argsort sort diagonal trace"
).split()


class ndarray:  # noqa: N801 - CuPy's name
    """A device array: a NumPy array held privately (``_a``), its device index (``_device``).

    Arithmetic, indexing and NumPy's functions work as on CuPy arrays; the host is reached
    only through ``get()``, ``tolist()``, ``item()`` and Python's scalar conversions.
    """

    __slots__ = ("_a", "_device", "__weakref__")
    __array_priority__ = 100.0

    def __init__(self, shape, dtype=float, memptr=None, strides=None, order="C"):
        self._a = numpy.ndarray(shape, dtype, order=order)
        self._device = _current[0]

    @classmethod
    def _from(cls, array: numpy.ndarray, device: int) -> ndarray:
        limit = _memory_limit[0]
        if limit is not None:
            owner = array  # the array owning the memory (a result may be a view of it)
            while isinstance(owner.base, numpy.ndarray):
                owner = owner.base
            if owner.nbytes > limit:
                raise OutOfMemoryError(owner.nbytes, 0)
        out = object.__new__(cls)
        out._a = array
        out._device = device
        return out

    # --- what the array is ----------------------------------------------------------------
    shape = property(lambda self: self._a.shape)
    dtype = property(lambda self: self._a.dtype)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    strides = property(lambda self: self._a.strides)
    itemsize = property(lambda self: self._a.itemsize)
    nbytes = property(lambda self: self._a.nbytes)
    flags = property(lambda self: self._a.flags)
    # CuPy's ``data`` is a MemoryPointer whose ``ptr`` is the device address: here the host's
    data = property(lambda self: types.SimpleNamespace(ptr=self._a.__array_interface__["data"][0]))
    device = property(lambda self: Device(self._device))
    T = property(lambda self: ndarray._from(self._a.T, self._device))
    mT = property(lambda self: ndarray._from(numpy.swapaxes(self._a, -1, -2), self._device))

    @property
    def base(self):
        """The array owning the memory, as a device array (None if this one owns it)."""
        return None if self._a.base is None else ndarray._from(self._a.base, self._device)

    @shape.setter
    def shape(self, value):
        self._a.shape = value

    # --- to the host, explicitly ------------------------------------------------------------
    def get(self, stream=None, order="C", out=None) -> numpy.ndarray:
        """A NumPy copy of the array in host memory (CuPy's ``get``)."""
        return numpy.array(self._a, order=order)

    def tolist(self):
        return self._a.tolist()

    def item(self, *args):
        return self._a.item(*args)

    def __array__(self, dtype=None, copy=None):
        raise TypeError(IMPLICIT_CONVERSION)

    def __bool__(self) -> bool:
        return bool(self._a)

    def __float__(self) -> float:
        return float(self._a)

    def __int__(self) -> int:
        return int(self._a)

    def __index__(self) -> int:
        return self._a.__index__()

    def __len__(self) -> int:
        return len(self._a)

    def __iter__(self):
        for row in self._a:
            yield _wrap(row, self._device)

    def __repr__(self) -> str:
        return repr(self._a).replace("array(", "array(", 1)

    def __str__(self) -> str:
        return str(self._a)

    def __reduce__(self):
        raise TypeError("a stand-in device array is not pickled: copy it to the host first")

    # --- NumPy's protocols (NEP 13, NEP 18) --------------------------------------------------
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if method not in ("__call__", "reduce", "accumulate"):
            raise TypeError(
                f"ufunc method {method!r} of {ufunc.__name__} is not used on device arrays "
                "here (CuPy: use cupyx.scatter_add for add.at)"
            )
        device = _device_of(list(inputs) + list(kwargs.get("out", ()) or ()), self._device)
        result = getattr(ufunc, method)(*_unwrap(inputs), **_unwrap(kwargs))
        return _wrap(result, device)

    def __array_function__(self, func, types_, args, kwargs):
        if func.__name__ in _REFUSED_FUNCTIONS:
            raise TypeError(
                f"no implementation found for 'numpy.{func.__name__}' on types that implement "
                "__array_function__: [<class 'cupy.ndarray'>]"
            )
        device = _device_of(list(args) + list(kwargs.values()), self._device)
        return _wrap(func(*_unwrap(args), **_unwrap(kwargs)), device)

    # --- indexing -----------------------------------------------------------------------------
    def __getitem__(self, key):
        key = _unwrap(key)
        result = self._a[key]
        if isinstance(result, numpy.generic):
            # an integer for every axis: NumPy gives a scalar copy, CuPy a 0-d view of the
            # element (a trailing ``...`` makes NumPy give that view too)
            items = key if isinstance(key, tuple) else (key,)
            result = self._a[tuple(i for i in items if i is not Ellipsis) + (Ellipsis,)]
        return _wrap(result, self._device)

    def __setitem__(self, key, value):
        self._a[_unwrap(key)] = _unwrap(value)

    # --- methods ------------------------------------------------------------------------------
    def fill(self, value) -> None:
        self._a.fill(_unwrap(value))

    def copy(self, order="C"):
        """A copy on the current device (CuPy copies across devices this way)."""
        return ndarray._from(self._a.copy(order=order), _current[0])

    def reshape(self, *shape, order="C"):
        return ndarray._from(self._a.reshape(*shape, order=order), self._device)

    def __copy__(self):
        return ndarray._from(self._a.copy(), self._device)

    def __deepcopy__(self, memo):
        return self.__copy__()


def _method(name):
    def method(self, *args, **kwargs):
        result = getattr(self._a, name)(*_unwrap(args), **_unwrap(kwargs))
        return _wrap(result, self._device)

    method.__name__ = name
    return method


def _binary(ufunc, reflected: bool):
    def op(self, other):
        if isinstance(other, numpy.ndarray):
            raise TypeError(f"Unsupported type {type(other)}")
        a, b = (_unwrap(other), self._a) if reflected else (self._a, _unwrap(other))
        return _wrap(ufunc(a, b), self._device)

    return op


def _inplace(ufunc):
    def op(self, other):
        ufunc(self._a, _unwrap(other), out=self._a)
        return self

    return op


for _name in _ARRAY_METHODS:
    if _name not in ndarray.__dict__:
        setattr(ndarray, _name, _method(_name))
for _name, _ufunc in _UNARY.items():
    setattr(ndarray, _name, lambda self, _u=_ufunc: _wrap(_u(self._a), self._device))
for _name, _ufunc in _BINARY.items():
    setattr(ndarray, f"__{_name}__", _binary(_ufunc, False))
    setattr(ndarray, f"__r{_name}__", _binary(_ufunc, True))
    setattr(ndarray, f"__i{_name}__", _inplace(_ufunc))
for _name, _ufunc in _COMPARE.items():
    setattr(ndarray, _name, _binary(_ufunc, False))
ndarray.__hash__ = None

# NumPy functions that CuPy does not have (a device array reaching one fails on a GPU).
_REFUSED_FUNCTIONS = frozenset(
    {"lexsort_object", "frompyfunc", "vectorize", "piecewise", "apply_along_axis"}
)


# ---------------------------------------------------------------------------------------------
# The module's functions
# ---------------------------------------------------------------------------------------------


def asarray(a, dtype=None, order=None):
    """``a`` on the current device: device arrays as they are (or cast), host data copied."""
    if isinstance(a, ndarray):
        if a._device == _current[0] and (dtype is None or a.dtype == dtype):
            return a
        return ndarray._from(numpy.array(a._a, dtype=dtype), _current[0])
    return ndarray._from(numpy.array(_unwrap_host(a), dtype=dtype, order=order), _current[0])


def array(obj, dtype=None, copy=True, order="K", ndmin=0):
    """A new device array from ``obj`` (host data is copied to the current device)."""
    source = obj._a if isinstance(obj, ndarray) else _unwrap_host(obj)
    return ndarray._from(numpy.array(source, dtype=dtype, order=order, ndmin=ndmin), _current[0])


def _unwrap_host(obj):
    """Host data for ``asarray``/``array``: lists may hold device arrays (CuPy concatenates)."""
    if isinstance(obj, (list, tuple)):
        return [_unwrap_host(o) for o in obj]
    return obj._a if isinstance(obj, ndarray) else obj


def asnumpy(a, stream=None, order="C", out=None):
    """A NumPy array from a device array (copied to the host) or from host data."""
    if isinstance(a, ndarray):
        return a.get()
    return numpy.asarray(a, order=order)


def get_array_module(*args):
    """This module when an argument is a device array, else NumPy."""
    for a in args:
        if isinstance(a, ndarray):
            return _module
    return numpy


class _Ufunc:
    """A device ufunc: called, ``reduce``d or ``accumulate``d like NumPy's."""

    def __init__(self, ufunc):
        self._ufunc = ufunc
        self.__name__ = ufunc.__name__
        self.nin, self.nout = ufunc.nin, ufunc.nout

    def __call__(self, *args, **kwargs):
        return _forward(self._ufunc)(*args, **kwargs)

    def reduce(self, *args, **kwargs):
        return _forward(self._ufunc.reduce)(*args, **kwargs)

    def accumulate(self, *args, **kwargs):
        return _forward(self._ufunc.accumulate)(*args, **kwargs)


_cache: dict = {}


def __getattr__(name):
    """Any other name: NumPy's dtype and constant as they are, its functions on device arrays
    (``zeros``, ``exp``, ``concatenate``, ...: unwrap, compute, wrap on the current device)."""
    if name in _cache:
        return _cache[name]
    if name.startswith("__"):
        raise AttributeError(name)
    value = getattr(numpy, name)
    if isinstance(value, numpy.ufunc):
        value = _Ufunc(value)
    elif callable(value) and not isinstance(value, type):
        value = _forward(value)
    _cache[name] = value
    return value


def scatter_add(a, slices, value) -> None:
    """``cupyx.scatter_add``: ``a[slices] += value`` with repeated indices added up."""
    numpy.add.at(a._a, _unwrap(slices), _unwrap(value))


def _as_strided(x, shape=None, strides=None):
    """``cupy.lib.stride_tricks.as_strided``: a view of ``x`` with other shape and strides."""
    view = numpy.lib.stride_tricks.as_strided(x._a, shape, strides)
    return ndarray._from(view, x._device)


lib = types.SimpleNamespace(
    stride_tricks=types.SimpleNamespace(
        as_strided=_as_strided,
        sliding_window_view=_forward(numpy.lib.stride_tricks.sliding_window_view),
    )
)


# --- random numbers (CuPy's generator: numbers differ from NumPy's, shapes and dtypes agree) ---
class RandomState:
    """``cupy.random.RandomState``: draws on the host with NumPy and copies to the device."""

    def __init__(self, seed=None):
        self._rs = numpy.random.RandomState(seed)

    def seed(self, seed=None) -> None:
        self._rs.seed(seed)

    def _draw(self, name, *args, dtype=None, **kwargs):
        out = getattr(self._rs, name)(*args, **kwargs)
        out = numpy.asarray(out, dtype=dtype) if dtype is not None else numpy.asarray(out)
        return ndarray._from(out, _current[0])

    def random_sample(self, size=None, dtype=float):
        return self._draw("random_sample", size, dtype=dtype)

    def rand(self, *size, dtype=float):
        return self._draw("random_sample", size, dtype=dtype)

    def standard_normal(self, size=None, dtype=float):
        return self._draw("standard_normal", size, dtype=dtype)

    def uniform(self, low=0.0, high=1.0, size=None, dtype=float):
        return self._draw("uniform", low, high, size, dtype=dtype)

    def normal(self, loc=0.0, scale=1.0, size=None, dtype=float):
        return self._draw("normal", loc, scale, size, dtype=dtype)


_random_state = RandomState(0)
random = types.SimpleNamespace(
    RandomState=RandomState,
    seed=_random_state.seed,
    random_sample=_random_state.random_sample,
    rand=_random_state.rand,
    standard_normal=_random_state.standard_normal,
    uniform=_random_state.uniform,
    normal=_random_state.normal,
)


# --- cuda: devices, events, streams, the memory pool ------------------------------------------
class Event:
    """``cupy.cuda.Event``: records the host clock (the stand-in's work is done on return)."""

    def __init__(self, block=False, disable_timing=False, interprocess=False):
        self.time = None
        self.done = True

    def record(self, stream=None) -> None:
        self.time = time.perf_counter()

    def synchronize(self) -> None:
        """Nothing to wait for."""


def get_elapsed_time(start: Event, end: Event) -> float:
    """Milliseconds between two recorded events."""
    return (end.time - start.time) * 1000.0


class Stream(contextlib.AbstractContextManager):
    """``cupy.cuda.Stream``: a queue whose work has always finished."""

    null = None

    def __init__(self, null=False, non_blocking=False, ptds=False):
        self.done = True

    def synchronize(self) -> None:
        """Nothing to wait for."""

    def wait_event(self, event) -> None:
        """Nothing to wait for."""

    def __exit__(self, *exc) -> None:
        return None


Stream.null = Stream(null=True)


class _MemoryPool:
    """``cupy.get_default_memory_pool()``: the stand-in's arrays are host memory, so 0."""

    def used_bytes(self) -> int:
        return 0

    def total_bytes(self) -> int:
        return 0

    def free_all_blocks(self) -> None:
        """Nothing to free."""


_pool = _MemoryPool()


def get_default_memory_pool() -> _MemoryPool:
    return _pool


def _device_properties(index: int) -> dict:
    return {"name": f"gradiente stand-in CUDA device {index} (NumPy)".encode()}


cuda = types.SimpleNamespace(
    Device=Device,
    Event=Event,
    Stream=Stream,
    get_elapsed_time=get_elapsed_time,
    memory=types.SimpleNamespace(OutOfMemoryError=OutOfMemoryError),
    runtime=types.SimpleNamespace(
        getDeviceCount=lambda: _device_count[0],
        getDeviceProperties=_device_properties,
        runtimeGetVersion=lambda: 0,
    ),
)

cupyx = types.SimpleNamespace(scatter_add=scatter_add)

_module = __import__(__name__, fromlist=["_"])
