"""The one place that imports NumPy for compute: the array module, dtypes and their promotion,
and the devices an array can live on.

Every op asks this module for its array namespace (``xp``) instead of importing NumPy itself.
A tensor's device is the type of its array: a plain ``numpy.ndarray`` lives on the CPU; a CuPy
array on a CUDA GPU (CuPy is imported only when a CUDA device is first asked for, never on a
CPU install).

For CPU-only CI a stand-in plays the GPU when ``GRADIENTE_FAKE_CUDA=1`` (or ``=2`` for two
devices; ``strict`` and ``strict:N`` are the same) is set or ``set_stand_in_cuda(1)`` is
called: it makes ``_cupy`` the module ``_cupy_standin``, whose arrays wrap NumPy arrays and
refuse what CuPy refuses (implicit conversion to NumPy, host arrays mixed into device
operations). So every op, and every path of the device model (moving, mixing errors, modules,
optimizers, checkpoints), takes CuPy's code path on the CPU; only CUDA's own kernels are left
for a real device. The helpers at the end of this module (``add_at``, ``as_strided``,
``sliding_windows``) are the device-neutral forms of the NumPy calls CuPy spells differently.
"""

from __future__ import annotations

import mmap
import os
import sys
import tempfile
import weakref

import ml_dtypes
import numpy

from gradiente import _malloc

xp = numpy
ndarray = numpy.ndarray  # the CPU's array type: ``type(a) is ndarray`` is the hot-path check

malloc_tuned = _malloc.tune()  # freed arrays stay in the heap for the next step (see _malloc)

# Tensor math follows IEEE arithmetic silently, as PyTorch does: log(0) is -inf and 0/0 is nan
# without a RuntimeWarning per op.
numpy.seterr(divide="ignore", invalid="ignore", over="ignore", under="ignore")


def get_array_module(*arrays):
    """The array namespace of ``arrays`` (Chainer's idiom): ``cupy`` when one of them is a
    CuPy array, else ``numpy`` (the stand-in device computes with NumPy)."""
    if _cupy is not None:
        for a in arrays:
            if isinstance(a, _cupy.ndarray):
                return _cupy
    return numpy


# ---------------------------------------------------------------------------------------------
# Devices
# ---------------------------------------------------------------------------------------------


def _stand_in_setting() -> int:
    """How many stand-in devices ``GRADIENTE_FAKE_CUDA`` asks for: ``N``, or ``strict`` /
    ``strict:N`` (the older spelling: 1 or N devices); anything else: none."""
    value = os.environ.get("GRADIENTE_FAKE_CUDA", "")
    if value.isdigit():
        return int(value)
    kind, _, count = value.partition(":")
    if kind == "strict":
        return int(count) if count.isdigit() else 1
    return 0


_stand_in = [0]  # how many stand-in CUDA devices (0: none)
_cupy = None  # the CuPy module (or the stand-in) once a CUDA device has been asked for
_cupyx = None  # cupyx (scatter_add): the stand-in's, or CuPy's once add_at first needs it
_real_cupy = [None]  # CuPy itself, kept while the stand-in replaces it
_cupy_tried = [False]
_current_device = [0]


def set_stand_in_cuda(count: int, strict: bool = True) -> None:
    """Provide ``count`` stand-in CUDA devices backed by NumPy (0 turns them off); tests use
    this instead of the ``GRADIENTE_FAKE_CUDA`` environment variable. The stand-in is
    ``_cupy_standin`` (CuPy's rules, CuPy's code path); ``strict`` is accepted for older
    callers and must be True (the lenient NumPy-subclass stand-in is gone)."""
    global _cupy, _cupyx
    if not strict:
        raise ValueError("the lenient stand-in was removed: the stand-in is always strict")
    if _cupy is not None and _cupy is not _standin_module():
        _real_cupy[0] = (_cupy, _cupyx)
    _stand_in[0] = int(count)
    _current_device[0] = 0
    if count:
        _cupy = _standin_module()
        _cupy.set_device_count(count)
        _cupyx = _cupy.cupyx
    elif _cupy is _standin_module():
        _cupy, _cupyx = _real_cupy[0] or (None, None)


def _standin_module():
    from gradiente import _cupy_standin  # noqa: PLC0415 - test infrastructure, on demand

    return _cupy_standin


def stand_in_cuda() -> bool:
    """True when CUDA devices are NumPy stand-ins (``_cupy_standin``)."""
    return _stand_in[0] > 0


def _load_cupy():
    """CuPy, if it imports and sees a GPU; None otherwise. Imported once, on first need."""
    global _cupy, _cupyx
    if not _cupy_tried[0]:
        _cupy_tried[0] = True
        try:
            import cupy  # noqa: PLC0415 - a GPU library only when a GPU is asked for

            if cupy.cuda.runtime.getDeviceCount() > 0:
                if _cupy is None:
                    _cupy = cupy
                else:  # the stand-in is active: CuPy waits for it to be switched off
                    _real_cupy[0] = (cupy, None)
        except Exception:  # no CuPy, no driver, no device: CUDA is unavailable
            pass
    return _cupy


if _stand_in_setting():
    set_stand_in_cuda(_stand_in_setting())


def cuda_device_count() -> int:
    """The number of CUDA devices: stand-ins when enabled, else CuPy's GPUs, else 0."""
    if _stand_in[0]:
        return _stand_in[0]
    cupy = _load_cupy()
    return cupy.cuda.runtime.getDeviceCount() if cupy is not None else 0


def current_cuda_device() -> int:
    """The index that a bare "cuda" means (``torch.cuda.current_device()``)."""
    return _current_device[0]


def set_current_cuda_device(index: int) -> None:
    """Make ``index`` the device that a bare "cuda" means."""
    check_cuda_index(index)
    _current_device[0] = index
    if _cupy is not None:
        _cupy.cuda.Device(index).use()


class CudaUnavailableError(RuntimeError, AssertionError):
    """CUDA asked for where there is none: torch's CPU build raises ``AssertionError("Torch not
    compiled with CUDA enabled")``, so this is one (``except AssertionError`` fallbacks work),
    and a RuntimeError as gradiente's other device errors. It prints as torch's does."""


CudaUnavailableError.__name__ = CudaUnavailableError.__qualname__ = "AssertionError"


def check_cuda_index(index: int) -> None:
    """Raise torch's errors for CUDA without a device or for an index past the last device."""
    count = cuda_device_count()
    if count == 0:
        raise CudaUnavailableError(
            "Torch not compiled with CUDA enabled: CUDA is not available to gradiente (install "
            "CuPy with `pip install -e .[cuda]` on a machine with an NVIDIA GPU; "
            "GRADIENTE_FAKE_CUDA=1 gives a NumPy stand-in for tests)"
        )
    if not 0 <= index < count:
        raise RuntimeError(
            "CUDA error: invalid device ordinal\n"
            f"(device cuda:{index} requested, {count} CUDA device(s) available)"
        )


def module_for(index):
    """The array module that computes on device ``index`` (None: the CPU, NumPy)."""
    return numpy if index is None or _cupy is None else _cupy


def array_device_index(array):
    """The CUDA index of ``array``, or None for a CPU (plain NumPy) array."""
    if type(array) is ndarray:
        return None
    if _cupy is not None and isinstance(array, _cupy.ndarray):
        return array.device.id
    return None  # NumPy scalars and other host values


def to_device(array, index):
    """A copy of ``array`` on CUDA device ``index`` (None: on the CPU), or ``array`` itself
    when it is there already."""
    current = array_device_index(array)
    if current == index and (index is not None or isinstance(array, ndarray)):
        return array
    if index is None:
        if _cupy is not None and isinstance(array, _cupy.ndarray):
            return _cupy.asnumpy(array)
        return numpy.array(array)  # a plain ndarray copy
    check_cuda_index(index)
    if bfloat16_array(array):
        raise TypeError(BF16_ON_CUDA)
    try:
        with _cupy.cuda.Device(index):
            return array.copy() if isinstance(array, _cupy.ndarray) else _cupy.asarray(array)
    except MemoryError as err:
        if is_out_of_memory(err):
            raise out_of_memory(err) from err
        raise


class OutOfMemoryError(RuntimeError):
    """A CUDA device ran out of memory (``torch.OutOfMemoryError``). The memory of tensors
    that are let go returns to CuPy's pool: free them (and ``gradiente.cuda.empty_cache()``)
    and the program can go on."""


def is_out_of_memory(err: BaseException) -> bool:
    """Whether ``err`` is CuPy's out-of-memory error."""
    return _cupy is not None and isinstance(err, _cupy.cuda.memory.OutOfMemoryError)


def _size(nbytes: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if nbytes < 1024 or unit == "GiB":
            return f"{nbytes:.2f} {unit}" if unit != "bytes" else f"{int(nbytes)} bytes"
        nbytes /= 1024
    return f"{nbytes:.2f} GiB"


def out_of_memory(err: BaseException) -> OutOfMemoryError:
    """CuPy's out-of-memory error ``err`` in torch's words: what could not be allocated, on
    which device, and how much it has."""
    import re  # noqa: PLC0415 - only when memory ran out

    found = re.search(r"allocating ([\d,]+) bytes", str(err))
    wanted = f" Tried to allocate {_size(int(found.group(1).replace(',', '')))}." if found else ""
    index = current_cuda_device()
    capacity = ""
    try:
        free, total = _cupy.cuda.runtime.memGetInfo()
        capacity = (
            f" GPU {index} has a total capacity of {_size(total)} of which {_size(free)} is free."
        )
    except Exception:  # noqa: BLE001 - the numbers are a courtesy
        pass
    used = _cupy.get_default_memory_pool().used_bytes()
    return OutOfMemoryError(
        f"CUDA out of memory.{wanted}{capacity} Of the allocated memory {_size(used)} is "
        "allocated by gradiente (CuPy's memory pool). Free tensors you no longer need (and call "
        "gradiente.cuda.empty_cache()) or use a smaller batch, then try again."
    )


BF16_ON_CUDA = (
    "bfloat16 tensors are not supported on CUDA by gradiente (CuPy has no bfloat16 dtype): "
    "use float16 or float32 on the GPU"
)


def bfloat16_array(array) -> bool:
    """Whether ``array`` holds ml_dtypes' bfloat16 (a host-only dtype)."""
    return getattr(array, "dtype", None) is BF16


host_results: set = set()  # names of ops whose results were built on the host (CuPy path)


def mark_device(array, index, op: str | None = None):
    """``array`` (an op's result) on device ``index`` without a copy where possible.

    On CuPy (and the stand-in) an op's result is on the device already; one built on the host
    (a NumPy constructor, a Python number) is copied there, and the op's name is added to
    ``host_results`` so that tests can find such ops (each one costs a host-to-device copy).
    """
    if index is None:
        return array
    here = array_device_index(array)
    if here == index:
        return array
    if here is None:
        host_results.add(op or "?")
    return to_device(array, index)


class SharedBuffer(mmap.mmap):
    """A ``MAP_SHARED`` mapping of an in-memory file that keeps the file's descriptor (``fd``).

    Processes forked afterwards map the same pages; a process started otherwise (spawn) is sent
    the descriptor (``gradiente.multiprocessing`` pickles it as one) and maps the file again.
    The descriptor is closed when the mapping is garbage-collected.
    """


# mmap keeps a duplicate of the descriptor unless told not to (Python 3.13+): one open file per
# shared tensor then instead of two (each counts against the process's limit, ``ulimit -n``).
_MMAP_KEEPS_NO_DUPLICATE = {"trackfd": False} if sys.version_info >= (3, 13) else {}


def map_shared(fd: int, nbytes: int) -> SharedBuffer:
    """Map the shared-memory file ``fd`` (``nbytes`` long); the mapping owns ``fd`` from now on."""
    buffer = SharedBuffer(fd, nbytes, **_MMAP_KEEPS_NO_DUPLICATE)
    buffer.fd = fd
    weakref.finalize(buffer, os.close, fd)
    return buffer


def _shared_memory_file(nbytes: int) -> int:
    """A new file of ``nbytes`` zero bytes that lives in memory only, as a descriptor: a memfd on
    Linux, elsewhere a temporary file unlinked at once."""
    if hasattr(os, "memfd_create"):
        fd = os.memfd_create("gradiente-shared")
    else:
        fd, path = tempfile.mkstemp(prefix="gradiente-shared-")
        os.unlink(path)
    os.ftruncate(fd, nbytes)
    return fd


def shared_copy(array):
    """A copy of a CPU ``array`` in shared memory (a ``SharedBuffer``), which processes forked
    afterwards map too, so that their writes are seen by every process."""
    nbytes = max(array.nbytes, 1)  # mmap refuses a length of 0
    buffer = map_shared(_shared_memory_file(nbytes), nbytes)
    out = numpy.frombuffer(buffer, dtype=array.dtype, count=array.size).reshape(array.shape)
    out[...] = array
    return out


def _mapping(array):
    """The mapping under ``array`` (following views), or None."""
    while isinstance(array, ndarray):
        array = array.base
    if isinstance(array, memoryview):  # frombuffer's base: a view of the mapping
        array = array.obj
    return array if isinstance(array, mmap.mmap) else None


def is_shared(array) -> bool:
    """Whether ``array`` (or the array it views) lives in a ``shared_copy`` mapping."""
    return _mapping(array) is not None


def shared_layout(array) -> tuple:
    """(buffer, offset, shape, strides, dtype) of an array in a ``SharedBuffer``: what another
    process needs to view the same bytes (``from_shared_layout``)."""
    buffer = _mapping(array)
    start = numpy.frombuffer(buffer, dtype=numpy.uint8).ctypes.data
    offset = array.__array_interface__["data"][0] - start
    return buffer, offset, array.shape, array.strides, array.dtype


def from_shared_layout(buffer, offset: int, shape, strides, dtype):
    """The array that ``shared_layout`` described, viewing ``buffer``."""
    return ndarray(shape, dtype, buffer=buffer, offset=offset, strides=strides)


def host(array):
    """``array`` as a NumPy array in host memory (for printing, saving, ``tolist``)."""
    if type(array) is ndarray:
        return array
    if _cupy is not None and isinstance(array, _cupy.ndarray):
        return _cupy.asnumpy(array)
    return numpy.asarray(array)


class dtype:
    """A tensor element type, printed and compared like ``torch.dtype``."""

    __slots__ = ("name", "np", "itemsize", "is_floating_point", "is_signed", "_kind")

    def __init__(self, name: str, np_dtype, kind: str):
        self.name = name
        self.np = numpy.dtype(np_dtype)
        self.itemsize = self.np.itemsize
        self._kind = kind  # "b" bool, "i" integer, "f" floating
        self.is_floating_point = kind == "f"
        self.is_signed = name not in ("bool", "uint8")

    @property
    def is_complex(self) -> bool:
        return False

    def __repr__(self) -> str:
        # PyTorch prints dtypes as ``torch.float32``; we print the same so scripts' output matches.
        return f"torch.{self.name}"

    def __reduce__(self):
        return (_dtype_by_name, (self.name,))


bool_ = dtype("bool", numpy.bool_, "b")
uint8 = dtype("uint8", numpy.uint8, "i")
int8 = dtype("int8", numpy.int8, "i")
int16 = dtype("int16", numpy.int16, "i")
int32 = dtype("int32", numpy.int32, "i")
int64 = dtype("int64", numpy.int64, "i")
float16 = dtype("float16", numpy.float16, "f")
float32 = dtype("float32", numpy.float32, "f")
float64 = dtype("float64", numpy.float64, "f")
# bfloat16 is a storage dtype: 2 bytes (float32's sign, 8 exponent bits and top 7 mantissa bits),
# held in ml_dtypes' NumPy dtype. Ops compute on it in float32 and round once (see
# ``autograd/reduced_precision.py``). NumPy files it under kind "V", hence ``is_float``.
bfloat16 = dtype("bfloat16", ml_dtypes.bfloat16, "f")
BF16 = bfloat16.np

ALL_DTYPES = (bool_, uint8, int8, int16, int32, int64, float16, bfloat16, float32, float64)
_BY_NUMPY = {d.np: d for d in ALL_DTYPES}
_BY_NAME = {d.name: d for d in ALL_DTYPES}
_BY_NAME.update(
    {
        "half": float16,
        "float": float32,
        "double": float64,
        "short": int16,
        "int": int32,
        "long": int64,
    }
)

_default_float = [float32]


def _dtype_by_name(name: str) -> dtype:
    return _BY_NAME[name]


def get_default_dtype() -> dtype:
    """The floating dtype that factories and Python floats use (float32 unless changed)."""
    return _default_float[0]


def set_default_dtype(d: dtype) -> None:
    """Set the default floating dtype (float32 or float64), like ``torch.set_default_dtype``."""
    d = to_dtype(d)
    if not d.is_floating_point:
        raise TypeError(f"only floating-point types are supported as the default type, got {d}")
    _default_float[0] = d


def to_dtype(d) -> dtype:
    """A gradiente dtype from a gradiente or NumPy dtype, a Python type or a name.

    The Python types are C's, as in torch: ``float`` is float64 (a double, whatever the default
    dtype), ``int`` int64 and ``bool`` bool.
    """
    if isinstance(d, dtype):
        return d
    if d is float:
        return float64
    if d is int:
        return int64
    if d is bool:
        return bool_
    if isinstance(d, str):
        name = d.removeprefix("torch.")
        if name in _BY_NAME:
            return _BY_NAME[name]
        raise TypeError(f"unknown dtype {d!r}")
    try:
        npd = numpy.dtype(d)
    except TypeError:
        raise TypeError(f"unknown dtype {d!r}") from None
    if npd in _BY_NUMPY:
        return _BY_NUMPY[npd]
    raise TypeError(
        f"dtype {npd} is not supported (supported: bool, integers, float16/32/64, bfloat16)"
    )


def is_float(np_dtype) -> bool:
    """Whether a NumPy dtype is floating: kind "f", or ml_dtypes' bfloat16 (kind "V")."""
    return np_dtype.kind == "f" or np_dtype is BF16


def finfo(np_dtype):
    """NumPy's ``finfo``, extended by ml_dtypes to bfloat16."""
    return ml_dtypes.finfo(np_dtype)


def cast(array, np_dtype):
    """``array.astype(np_dtype)``, except that a cast to bfloat16 goes through float32 first,
    as torch's does (a float64 or int64 value is rounded to float32, then to bfloat16: two
    roundings, which can differ from one direct rounding in the last bit)."""
    if np_dtype is BF16 and array.dtype != numpy.float32 and array.dtype is not BF16:
        array = array.astype(numpy.float32)
    return array.astype(np_dtype)


def from_numpy_dtype(npd) -> dtype:
    """The gradiente dtype of a NumPy dtype; float64 arrays stay float64, like torch.from_numpy."""
    try:
        return _BY_NUMPY[npd]
    except KeyError:
        return to_dtype(npd)


def promote_types(a: dtype, b: dtype) -> dtype:
    """PyTorch's ``promote_types``: bool < integers < floats; within a kind the wider type wins."""
    if a is b:
        return a
    if a._kind != b._kind:
        order = {"b": 0, "i": 1, "f": 2}
        return a if order[a._kind] > order[b._kind] else b
    return _BY_NUMPY[numpy.promote_types(a.np, b.np)]


_CATEGORY = {"b": 0, "i": 1, "f": 2}


def result_type(*operands) -> dtype:
    """PyTorch's type promotion for an op's operands (tensors and Python scalars).

    Tensors with dimensions decide first; zero-dim tensors and then Python scalars only matter
    when they are of a higher category (bool < int < float). A Python float then brings the
    default dtype, a Python int brings int64 — so ``int_tensor * 2.5`` is float32, and
    ``float32_tensor * 2.5`` stays float32 (as in PyTorch).
    """
    dim_result = zero_result = wrapped_result = None
    for op in operands:
        d = getattr(op, "dtype", None)
        if isinstance(d, dtype):
            if op.ndim > 0:
                dim_result = d if dim_result is None else promote_types(dim_result, d)
            else:
                zero_result = d if zero_result is None else promote_types(zero_result, d)
        else:
            if isinstance(op, bool):
                w = bool_
            elif isinstance(op, int):
                check_int_scalar(op)
                w = int64
            elif isinstance(op, float):
                w = get_default_dtype()
            elif isinstance(op, numpy.generic):
                w = from_numpy_dtype(op.dtype)
                if w.is_floating_point:
                    w = get_default_dtype() if w is not float64 else w
            else:
                raise TypeError(f"unsupported operand type {type(op).__name__}")
            wrapped_result = w if wrapped_result is None else promote_types(wrapped_result, w)
    return _combine(dim_result, _combine(zero_result, wrapped_result))


def broadcast_error(a_shape, b_shape) -> RuntimeError | None:
    """torch's error for two shapes that do not broadcast together, naming the last dimension
    (of the broadcast result) where their sizes differ and neither is 1; None when they
    broadcast (the failure was something else). Used by the
    tensor layer and by ops that broadcast shapes themselves."""
    n = max(len(a_shape), len(b_shape))
    a = (1,) * (n - len(a_shape)) + tuple(a_shape)
    b = (1,) * (n - len(b_shape)) + tuple(b_shape)
    for i in reversed(range(n)):
        if a[i] != b[i] and a[i] != 1 and b[i] != 1:
            return RuntimeError(
                f"The size of tensor a ({a[i]}) must match the size of tensor b ({b[i]}) at "
                f"non-singleton dimension {i}"
            )
    return None


def torch_axis_order(shape, strides_list) -> list:
    """The axes, slowest first, in the order torch's element-wise loops (``TensorIterator``'s
    ``reorder_dimensions``) lay out and walk a result of ``shape`` whose operands have the
    strides in ``strides_list`` (first operand first, broadcast axes with stride 0).

    An insertion sort starting from the reversed axes: for each pair of axes the first operand
    whose strides decide orders them (the smaller stride innermost; equal strides: the larger
    size outermost); a stride of 0 leaves the decision to the next operand, and if none
    decides the pair stays as it is. One operand gives its memory order (random fills draw in
    it); several that disagree give the first deciding one's, where NumPy falls back to
    row-major."""
    nd = len(shape)

    def should_swap(d0, d1) -> int:  # 1: swap, -1: in order, 0: undecided
        for s in strides_list:
            s0, s1 = s[d0], s[d1]
            if s0 == 0 or s1 == 0:
                continue
            if s0 != s1:
                return 1 if s0 > s1 else -1
            if shape[d0] > shape[d1]:
                return 1
        return 0

    inner_first = list(range(nd - 1, -1, -1))
    for i in range(1, nd):
        later = i
        for earlier in range(i - 1, -1, -1):
            verdict = should_swap(inner_first[earlier], inner_first[later])
            if verdict > 0:
                inner_first[earlier], inner_first[later] = inner_first[later], inner_first[earlier]
                later = earlier
            elif verdict < 0:
                break
    return inner_first[::-1]


def torch_elementwise_order(shape, arrays) -> list | None:
    """The memory order (``torch_axis_order``) torch gives the result of an element-wise op on
    ``arrays`` (its operands, first first, broadcast to ``shape``), or None for row-major. So
    ``a.t() + b`` is laid out as ``a.t()`` in torch (and here) but row-major in NumPy, which
    decides the order a random fill (dropout) walks."""
    strides = [numpy.broadcast_to(a, shape).strides for a in arrays if a.ndim]
    order = torch_axis_order(shape, strides)
    return None if order == list(range(len(shape))) else order


def in_torch_elementwise_order(out, arrays):
    """``out`` (an element-wise op's result) laid out as torch lays it out
    (``torch_elementwise_order``): itself when NumPy chose the same, else a copy (CPU
    arrays of two or more axes only)."""
    if type(out) is not ndarray or out.ndim < 2:
        return out
    order = torch_elementwise_order(out.shape, [a for a in arrays if type(a) is ndarray])
    if order is None:
        return out if out.flags.c_contiguous else numpy.ascontiguousarray(out)
    memory = numpy.empty([out.shape[a] for a in order], out.dtype)
    result = memory.transpose(numpy.argsort(order))
    if result.strides != out.strides:
        result[...] = out
        return result
    return out


def check_int_scalar(value: int) -> None:
    """torch converts a Python int operand to a 64-bit integer (signed, or unsigned above
    2⁶³ − 1): one that fits neither raises its OverflowError instead of wrapping around."""
    if value >= 1 << 64:
        raise OverflowError("int too big to convert")
    if value < -(1 << 63):
        raise OverflowError("can't convert negative int to unsigned")


def _combine(higher, lower):
    """Let ``lower`` (less-priority operands) raise the type only if it is of a higher category."""
    if higher is None:
        return lower
    if lower is None:
        return higher
    if _CATEGORY[lower._kind] > _CATEGORY[higher._kind]:
        # A float scalar meeting an int tensor: the scalar's (default) float type.
        return lower
    return higher


def as_strided_windows(x, window_shape, axes):
    """Sliding windows over ``axes`` of ``x`` as a view (no copy): stride tricks of ``x``'s
    array module (NumPy's, or CuPy's ``cupy.lib.stride_tricks.sliding_window_view``)."""
    module = numpy if type(x) is ndarray else get_array_module(x)
    return module.lib.stride_tricks.sliding_window_view(x, window_shape, axis=axes)


# ---------------------------------------------------------------------------------------------
# Device-neutral forms of the NumPy calls that CuPy spells differently
# ---------------------------------------------------------------------------------------------


def as_strided(x, shape, strides, writeable: bool = True):
    """A view of ``x`` with the given shape and strides (in bytes): NumPy's
    ``lib.stride_tricks.as_strided``, or CuPy's (which has no ``writeable`` flag)."""
    if type(x) is ndarray:
        return numpy.lib.stride_tricks.as_strided(x, shape, strides, writeable=writeable)
    if _cupy is not None and isinstance(x, _cupy.ndarray):
        return _cupy.lib.stride_tricks.as_strided(x, shape, strides)
    return numpy.lib.stride_tricks.as_strided(x, shape, strides, writeable=writeable)


def _scatter_module():
    """cupyx (CuPy's extras, home of ``scatter_add``), imported on first use."""
    global _cupyx
    if _cupyx is None:
        import cupyx  # noqa: PLC0415 - with CuPy, only on a GPU

        _cupyx = cupyx
    return _cupyx


def add_at(out, index, values) -> None:
    """``out[index] += values`` where repeated indices add up: ``numpy.add.at`` on the CPU,
    ``cupyx.scatter_add`` on CUDA (CuPy arrays)."""
    if _cupy is not None and isinstance(out, _cupy.ndarray):
        _scatter_module().scatter_add(out, index, values)
    else:
        numpy.add.at(out, index, values)


def as_array(x, dtype=None):
    """``x`` as an array of its own array module: NumPy scalars and Python numbers become NumPy
    0-d arrays (NumPy's 0-d ufuncs return scalars), device arrays stay on their device; cast to
    ``dtype`` when given. ``numpy.asarray`` would refuse a CuPy array."""
    if type(x) is ndarray or (_cupy is not None and isinstance(x, _cupy.ndarray)):
        return x if dtype is None or x.dtype == dtype else x.astype(dtype)
    return numpy.asarray(x, dtype=dtype)


def ascontiguous(a):
    """``a`` in C order (a copy only when it is not): ``ascontiguousarray`` of ``a``'s own
    array module (NumPy's refuses a CuPy array: array constructors do not dispatch)."""
    if type(a) is ndarray or _cupy is None:
        return numpy.ascontiguousarray(a)
    return get_array_module(a).ascontiguousarray(a)


def open_grid(like, shape) -> list:
    """``indices(shape, sparse=True)`` (one broadcastable arange per axis) made by the array
    module of ``like``, so that it indexes ``like``'s device arrays (CuPy's ``indices`` has no
    ``sparse``)."""
    if type(like) is ndarray or _cupy is None:
        return list(numpy.indices(shape, sparse=True))
    n = len(shape)
    return [
        _cupy.arange(size).reshape((1,) * d + (size,) + (1,) * (n - d - 1))
        for d, size in enumerate(shape)
    ]


def device_array(like, data, dtype=None):
    """``data`` (host values: numbers, lists, a NumPy array) as an array on ``like``'s
    device: the array module of ``like`` builds it (a copy to the GPU for CuPy)."""
    if type(like) is ndarray or _cupy is None or not isinstance(like, _cupy.ndarray):
        return numpy.asarray(data, dtype=dtype)
    with _cupy.cuda.Device(like.device.id):
        return _cupy.asarray(data, dtype=dtype)


# PyTorch's C++ names of the scalar types, as its error messages spell them ("... for 'Long'").
TORCH_TYPE_NAMES = {
    "bool": "Bool",
    "uint8": "Byte",
    "int8": "Char",
    "int16": "Short",
    "int32": "Int",
    "int64": "Long",
    "float16": "Half",
    "bfloat16": "BFloat16",
    "float32": "Float",
    "float64": "Double",
}


def torch_type_name(np_dtype) -> str:
    """PyTorch's name ('Long', 'Byte', ...) of a NumPy dtype, for error messages."""
    return TORCH_TYPE_NAMES[numpy.dtype(np_dtype).name]
