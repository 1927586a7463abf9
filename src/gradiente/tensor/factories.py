"""Factories (``tensor``, ``zeros``, ``arange``, ...; the random ones live in ``sampling`` and
are public from here too) and the methods that make new tensors (``new_zeros``,
``bernoulli``, ...)."""

from __future__ import annotations

import math
import numbers
import warnings

from gradiente import backend as B
from gradiente.backend import xp
from gradiente.ops import geometry
from gradiente.random import _fma32, _fma64  # exact fused multiply-add, as torch's kernels use
from gradiente.tensor import creation_warnings as CW
from gradiente.tensor.common import (
    _arr,
    _check_device,
    _check_no_negative,
    _factory_dtype,
    _finish,
    _legacy_array,
    _like,
    _place,
    _result_dtype,
    _shape_arg,
    _size,
    _to_array,
    require_grad_at_creation,
)
from gradiente.tensor.sampling import (  # the random factories, public from here too
    _like_layout,
    bernoulli,
    multinomial,
    normal,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    randperm,
)

Tensor = None  # the assembled class, bound by gradiente.tensor (see its __init__)

# The public factories: ``gradiente.tensor`` and the package root import exactly these.
__all__ = [
    "arange",
    "as_tensor",
    "asarray",
    "bernoulli",
    "empty",
    "empty_like",
    "eye",
    "from_numpy",
    "frombuffer",
    "full",
    "full_like",
    "linspace",
    "logspace",
    "multinomial",
    "normal",
    "ones",
    "ones_like",
    "rand",
    "rand_like",
    "randint",
    "randint_like",
    "randn",
    "randn_like",
    "randperm",
    "scalar_tensor",
    "tensor",
    "zeros",
    "zeros_like",
]


def tensor(data, dtype=None, device=None, requires_grad=False, pin_memory=False) -> Tensor:
    """A new tensor that copies ``data`` (lists, scalars, arrays); floats become float32."""
    CW.warn_copy_construct(data)
    return _copy(data, dtype, device, requires_grad)


def _copy(data, dtype, device, requires_grad) -> Tensor:
    CW.warn_list_of_arrays(data)
    _check_device(device)
    if isinstance(data, Tensor) and data._data.__class__ is not B.ndarray:
        data = B.host(data._data)  # a CUDA tensor's values, copied through the host
    arr = _to_array(data, B.to_dtype(dtype) if dtype is not None else None)
    B.from_numpy_dtype(arr.dtype)  # refuses complex numbers (no complex dtypes in gradiente)
    t = _place(Tensor._make(arr, False, None), device)
    if requires_grad:
        require_grad_at_creation(t)
    return t


def scalar_tensor(
    s, *, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False
) -> Tensor:
    """The number ``s`` as a 0-d tensor of ``dtype`` (the default float dtype unless given,
    even for an int or a bool)."""
    _check_device(device)
    t = Tensor._make(xp.asarray(s, dtype=_factory_dtype(dtype).np), False, None)
    return _finish(t, "scalar_tensor", device, requires_grad, layout, pin_memory)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like ``tensor`` but shares memory with a NumPy array or tensor when the dtype allows."""
    if isinstance(data, Tensor):
        return data.to(device=device, dtype=dtype)
    if isinstance(data, xp.ndarray) and (dtype is None or B.to_dtype(dtype).np == data.dtype):
        B.from_numpy_dtype(data.dtype)
        return _place(Tensor._make(data, False, None), device)
    return tensor(data, dtype=dtype, device=device)


asarray = as_tensor


def from_numpy(array) -> Tensor:
    """A tensor sharing memory with the NumPy array (dtype kept, float64 stays float64)."""
    if not isinstance(array, xp.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    B.from_numpy_dtype(array.dtype)
    CW.warn_not_writable(array)
    if any(stride < 0 for stride in array.strides):
        raise ValueError(
            "At least one stride in the given numpy array is negative, and tensors with "
            "negative strides are not currently supported. (You can probably work around this "
            "by making a copy of your array  with array.copy().) "
        )
    return Tensor._make(array, False, None)


def frombuffer(buffer, *, dtype=None, count=-1, offset=0, requires_grad=False) -> Tensor:
    """A 1-D tensor sharing memory with a Python buffer (``bytearray``, ``array.array``, ...):
    ``count`` elements of ``dtype`` from byte ``offset`` on (all of them for -1)."""
    if dtype is None:
        raise TypeError('frombuffer() missing 1 required positional arguments: "dtype"')
    d = B.to_dtype(dtype)
    view = memoryview(buffer)
    length, item = view.nbytes, xp.dtype(d.np).itemsize
    if length == 0 or count == 0:
        raise ValueError(f"both buffer length ({length}) and count ({count}) must not be 0")
    if not 0 <= offset < length:
        raise ValueError(
            f"offset ({offset} bytes) must be non-negative and no greater than buffer length "
            f"({length} bytes) minus 1"
        )
    if count < 0:
        if (length - offset) % item:
            raise ValueError(
                f"buffer length ({length - offset} bytes) after offset ({offset} bytes) must be "
                f"a multiple of element size ({item})"
            )
        count = (length - offset) // item
    elif count * item > length - offset:
        raise ValueError(
            f"requested buffer length ({count} * {item} bytes) after offset ({offset} bytes) "
            f"must not be greater than actual buffer length ({length} bytes)"
        )
    if view.readonly:
        warnings.warn(
            "The given buffer is not writable, and PyTorch does not support non-writable "
            "tensors. This means you can write to the underlying (supposedly non-writable) "
            "buffer using the tensor. You may want to copy the buffer to protect its data or "
            "make it writable before converting it to a tensor. This type of warning will be "
            "suppressed for the rest of this program.",
            stacklevel=2,
        )
    array = xp.frombuffer(buffer, dtype=d.np, count=count, offset=offset)
    t = Tensor._make(array, False, None)
    if requires_grad:
        require_grad_at_creation(t)
    return t


def zeros(
    *sizes,
    size=None,
    out=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad=False,
    pin_memory=False,
) -> Tensor:
    """A tensor of ``size`` filled with 0."""
    _check_device(device)
    d = _result_dtype(dtype, out)
    t = Tensor._make(xp.zeros(_size(sizes, size, "zeros"), d.np), False, None)
    return _finish(t, "zeros", device, requires_grad, layout, pin_memory, out)


def ones(
    *sizes,
    size=None,
    out=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad=False,
    pin_memory=False,
) -> Tensor:
    """A tensor of ``size`` filled with 1."""
    _check_device(device)
    d = _result_dtype(dtype, out)
    t = Tensor._make(xp.ones(_size(sizes, size, "ones"), d.np), False, None)
    return _finish(t, "ones", device, requires_grad, layout, pin_memory, out)


def empty(
    *sizes,
    size=None,
    out=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad=False,
    pin_memory=False,
    memory_format=None,
) -> Tensor:
    """A tensor of ``size`` whose values are not initialised."""
    _check_device(device)
    d = _result_dtype(dtype, out)
    t = Tensor._make(xp.empty(_size(sizes, size, "empty"), d.np), False, None)
    if geometry.format_name(memory_format) in ("channels_last", "channels_last_3d"):
        geometry.lay_out(t, geometry.format_name(memory_format), check=True)
    return _finish(t, "empty", device, requires_grad, layout, pin_memory, out)


def full(
    size,
    fill_value,
    dtype=None,
    device=None,
    requires_grad=False,
    *,
    out=None,
    layout=None,
    pin_memory=False,
) -> Tensor:
    """A tensor of ``size`` filled with ``fill_value`` (bool or int64 for a bool or int
    value, unless ``dtype`` says otherwise)."""
    _check_device(device)
    if dtype is None and out is None:
        if isinstance(fill_value, bool):
            dtype = B.bool_
        elif isinstance(fill_value, numbers.Integral):
            dtype = B.int64
    d = _result_dtype(dtype, out)
    _check_fits(fill_value, d.np)
    fill = _arr(fill_value)
    if d.np.kind == "u" and isinstance(fill, numbers.Integral) and fill < 0:
        fill = xp.asarray(fill).astype(d.np)  # wraps, as in torch (−1 → 255)
    if not isinstance(fill, (numbers.Number, xp.ndarray, xp.generic)):
        fill = B.host(fill)  # a 0-d CUDA tensor as the fill value
    shape = _shape_arg((size,))
    _check_no_negative(shape)
    t = Tensor._make(xp.full(shape, fill, d.np), False, None)
    return _finish(t, "full", device, requires_grad, layout, pin_memory, out)


def eye(
    n,
    m=None,
    dtype=None,
    device=None,
    requires_grad=False,
    *,
    out=None,
    layout=None,
    pin_memory=False,
) -> Tensor:
    """The n × m identity matrix (ones on the diagonal)."""
    _check_device(device)
    d = _result_dtype(dtype, out)
    t = Tensor._make(xp.eye(n, n if m is None else m, dtype=d.np), False, None)
    return _finish(t, "eye", device, requires_grad, layout, pin_memory, out)


def arange(
    start=None,
    end=None,
    step=1,
    dtype=None,
    device=None,
    requires_grad=False,
    *,
    out=None,
    layout=None,
    pin_memory=False,
) -> Tensor:
    """Values start, start+step, ... below end; int64 unless an argument is a float."""
    _check_device(device)
    if start is None and end is None:
        raise TypeError(
            "arange() received an invalid combination of arguments - got (), but expected one "
            "of:\n * (Number end, *, Tensor out = None, torch.dtype dtype = None, torch.layout "
            "layout = None, torch.device device = None, bool pin_memory = False, bool "
            "requires_grad = False)\n * (Number start, Number end, *, torch.dtype dtype = None, "
            "torch.layout layout = None, torch.device device = None, bool pin_memory = False, "
            "bool requires_grad = False)\n * (Number start, Number end, Number step = 1, *, "
            "Tensor out = None, torch.dtype dtype = None, torch.layout layout = None, "
            "torch.device device = None, bool pin_memory = False, bool requires_grad = False)\n"
        )
    if start is None:  # arange(end=n)
        start = 0
    if end is None:
        start, end = 0, start
    start, end, step = (v.item() if isinstance(v, Tensor) else v for v in (start, end, step))
    _check_arange_bounds(start, end, step)
    if dtype is None and out is None:
        is_float = any(isinstance(v, float) for v in (start, end, step))
        dtype = B.get_default_dtype() if is_float else B.int64
    d = _result_dtype(dtype, out)
    if d is B.bool_:
        raise NotImplementedError("\"arange_cpu\" not implemented for 'Bool'")
    # Size as PyTorch computes it: ceil((end - start) / step) in double precision.
    n = int(xp.ceil((end - start) / step))
    if d.is_floating_point:
        arr = _float_arange(float(start), float(step), n, d.np)
    else:  # integer types work in int64: the bounds and the step are truncated first
        start, end, step = int(start), int(end), int(step)
        if d is B.int64:  # its size, too, is computed in integers
            if step == 0:
                raise ValueError("step must be nonzero")
            n = (end - start + step - (1 if step > 0 else -1)) // step
        arr = (start + xp.arange(n, dtype=xp.int64) * step).astype(d.np)
    return _finish(
        Tensor._make(arr, False, None), "arange", device, requires_grad, layout, pin_memory, out
    )


def _check_arange_bounds(start, end, step) -> None:
    """torch's checks of an ``arange``, in double precision."""
    start, end, step = float(start), float(end), float(step)
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if not (math.isfinite(start) and math.isfinite(end)):
        raise RuntimeError(f"unsupported range: {start:g} -> {end:g}")
    if not ((step > 0 and end >= start) or (step < 0 and end <= start)):
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")


# torch's C name for each type in its overflow message (the others: "<name>_t", as int64_t)
_C_TYPE_NAMES = {"int32": "int", "float32": "float"}


def _check_fits(value, np_dtype) -> None:
    """Refuse a Python number that ``np_dtype`` cannot hold, as torch's checked conversion of a
    scalar does (instead of wrapping to -2**63): an integer type refuses inf, NaN and values
    beyond its range, float32 a finite value beyond its range (inf and NaN it holds)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return
    np_dtype = xp.dtype(np_dtype)
    if np_dtype.kind in "iu":
        info = xp.iinfo(np_dtype)
        # an unsigned type takes a negative integer down to -max (it wraps), not a float
        low = -info.max if np_dtype.kind == "u" and isinstance(value, numbers.Integral) else 0
        fits = min(info.min, low) <= value <= info.max  # False for NaN
    elif np_dtype == xp.float32:
        fits = not (abs(value) > float(xp.finfo(xp.float32).max)) or math.isinf(value)
    else:
        return
    if not fits:
        name = _C_TYPE_NAMES.get(np_dtype.name, np_dtype.name + "_t")
        raise RuntimeError(f"value cannot be converted to type {name} without overflow")


# PyTorch's CPU kernels run on 256-bit vectors (AVX2): 8 float32 or 4 float64 per vector.
_VECTOR_BYTES = 32


def _float_arange(start: float, step: float, n: int, np_dtype):
    """start + i·step the way PyTorch's CPU kernel rounds it, bit for bit.

    The kernel works in float64 with fused multiply-adds. Its vector loop handles pairs of
    vectors (V elements each) and, per vector, rounds the first value to the output dtype, then
    adds k·step to it; the leftover tail is computed element by element.
    """
    idx = xp.arange(n, dtype=xp.float64)
    size = xp.dtype(np_dtype).itemsize
    vec = _VECTOR_BYTES // size if np_dtype in (xp.float32, xp.float64) else 1
    out = _fma64(step, idx, start)  # the scalar path, for every element
    n_vec = (n // (2 * vec)) * (2 * vec)
    if n_vec:
        k = idx[:n_vec] % vec
        base = _fma64(step, idx[:n_vec] - k, start).astype(np_dtype).astype(xp.float64)
        out[:n_vec] = _fma64(k, step, base)
    return out.astype(np_dtype)


def linspace(
    start,
    end,
    steps,
    dtype=None,
    device=None,
    requires_grad=False,
    *,
    out=None,
    layout=None,
    pin_memory=False,
) -> Tensor:
    """``steps`` evenly spaced values from start to end, rounded as PyTorch's kernel does."""
    _check_device(device)
    d = _result_dtype(dtype, out)
    _check_steps(steps)
    t = Tensor._make(_linspace(start, end, int(steps), d.np), False, None)
    return _finish(t, "linspace", device, requires_grad, layout, pin_memory, out)


def _check_steps(steps) -> None:
    if int(steps) < 0:
        raise RuntimeError("number of steps must be non-negative")


def _linspace(start, end, steps: int, np_dtype):
    """The first half counts up from start, the second half down from end (so the last value
    is exactly end), each value one fused multiply-add in the output dtype (float64 for
    integer outputs)."""
    if steps == 1:
        _check_fits(start, np_dtype)
        return xp.full(1, start, dtype=np_dtype)
    work = xp.dtype(np_dtype) if xp.dtype(np_dtype) in (xp.float32, xp.float64) else None
    work = work or xp.dtype(xp.float64)
    fma = _fma32 if work == xp.float32 else _fma64
    lo, hi = (work.type(v) for v in _cast_bounds(start, end, steps, np_dtype))
    step = (hi - lo) / work.type(max(steps - 1, 1))
    idx = xp.arange(steps)
    half = steps // 2
    up = _fma_ieee(fma, step, idx.astype(work), lo)  # start + step·i
    down = _fma_ieee(fma, -step, (steps - 1 - idx).astype(work), hi)  # end − step·(steps−1−i)
    return xp.where(idx < half, up, down).astype(np_dtype)


def _cast_bounds(start, end, steps: int, np_dtype):
    """start and end cast to the output dtype (−3.7 → −3 for an integer output), refusing
    what it cannot hold as torch does (no values to compute: nothing to check)."""
    if steps:
        _check_fits(start, np_dtype)
        _check_fits(end, np_dtype)
    return (xp.asarray(v).astype(np_dtype) for v in (start, end))


def _fma_ieee(fma, a, b, c):
    """``fma(a, b, c)`` with IEEE's results where the exact helpers lose them: the sign of an
    exact zero (−0 only when a·b and c are both −0) and infinite operands (inf·i + 4 = inf)."""
    out = fma(a, b, c)
    with xp.errstate(invalid="ignore"):
        return xp.where((out == 0) | ~xp.isfinite(out), a * b + c, out)


def logspace(
    start,
    end,
    steps,
    base=10.0,
    dtype=None,
    device=None,
    requires_grad=False,
    *,
    out=None,
    layout=None,
    pin_memory=False,
) -> Tensor:
    """base ** (start + step·i), as torch's kernel computes it: the bounds cast to the output
    dtype (truncated for integers), the exponents and powers in float64 (for integers, the base
    rounded to float32 first)."""
    _check_device(device)
    d = _result_dtype(dtype, out)
    _check_steps(steps)
    steps = int(steps)
    if steps == 1:  # torch fills base ** start (in float64), converted as a fill value
        arr = _logspace_one(float(start), base, d.np)
    else:
        lo, hi = (xp.float64(v) for v in _cast_bounds(start, end, steps, d.np))
        step = (hi - lo) / max(steps - 1, 1)
        idx = xp.arange(steps, dtype=xp.float64)
        exponents = xp.where(idx < steps // 2, lo + step * idx, hi - step * (steps - 1 - idx))
        b = xp.float64(base if d.is_floating_point else xp.float32(base))
        arr = xp.power(b, exponents).astype(d.np)
    t = Tensor._make(arr, False, None)
    return _finish(t, "logspace", device, requires_grad, layout, pin_memory, out)


def _logspace_one(start: float, base, np_dtype):
    with xp.errstate(over="ignore"):
        value = float(xp.power(xp.float64(base), start))
    _check_fits(value, np_dtype)
    return xp.full(1, value, dtype=np_dtype)


def zeros_like(
    t,
    dtype=None,
    device=None,
    requires_grad=False,
    memory_format=None,
    *,
    layout=None,
    pin_memory=False,
) -> Tensor:
    """A tensor of 0s of ``t``'s shape (and dtype and device unless given)."""
    return _made_like(zeros, t, dtype, device, requires_grad, memory_format, layout, pin_memory)


def ones_like(
    t,
    dtype=None,
    device=None,
    requires_grad=False,
    memory_format=None,
    *,
    layout=None,
    pin_memory=False,
) -> Tensor:
    """A tensor of 1s of ``t``'s shape (and dtype and device unless given)."""
    return _made_like(ones, t, dtype, device, requires_grad, memory_format, layout, pin_memory)


def empty_like(
    t,
    dtype=None,
    device=None,
    requires_grad=False,
    memory_format=None,
    *,
    layout=None,
    pin_memory=False,
) -> Tensor:
    """An uninitialised tensor of ``t``'s shape (and dtype and device unless given)."""
    return _made_like(empty, t, dtype, device, requires_grad, memory_format, layout, pin_memory)


def full_like(
    t,
    fill_value,
    dtype=None,
    device=None,
    requires_grad=False,
    memory_format=None,
    *,
    layout=None,
    pin_memory=False,
) -> Tensor:
    """A tensor of ``t``'s shape (and dtype and device unless given) filled with
    ``fill_value``."""
    return _made_like(
        full, t, dtype, device, requires_grad, memory_format, layout, pin_memory, fill_value
    )


def empty_strided_tensor(size, stride, dtype=None, device=None, requires_grad=False) -> Tensor:
    """An uninitialised tensor of ``size`` laid out with ``stride`` (in elements): a strided
    window on just enough new memory, as torch's ``empty_strided``."""
    _check_device(device)
    size, stride = _shape_arg((size,)), _shape_arg((stride,))
    if len(size) != len(stride):
        raise RuntimeError("mismatch in length of strides and shape")
    d = _factory_dtype(dtype)
    needed = 0 if 0 in size else 1 + sum((n - 1) * s for n, s in zip(size, stride))
    memory = xp.empty(needed, d.np)
    array = B.as_strided(memory, size, tuple(s * memory.itemsize for s in stride))
    result = Tensor._make(array, False, None)
    result.__dict__["_torch_layout"] = True  # the strides asked for are torch's
    return _finish(result, "empty_strided", device, requires_grad)


def _options(options: dict) -> dict:
    """The keyword options of ``x.new_*(...)`` that torch accepts besides dtype, device and
    requires_grad: ``layout`` and ``pin_memory``."""
    unknown = set(options) - {"layout", "pin_memory"}
    if unknown:
        raise TypeError(f"got an unexpected keyword argument '{sorted(unknown)[0]}'")
    return options


class NewTensors:
    """Tensor methods that make new tensors (``new_zeros``, ``bernoulli``, ...)."""

    __slots__ = ()

    def bernoulli(self, p=None, generator=None):
        """Draws binary random numbers (0 or 1) from a Bernoulli distribution."""
        return bernoulli(self, p, generator=generator)

    def multinomial(self, num_samples, replacement=False, generator=None):
        """Sample ``num_samples`` indices per row from the row's weights."""
        return multinomial(self, num_samples, replacement, generator=generator)

    def new(self, *args):
        """Legacy: ``x.new(2, 3)`` and ``x.new(x.size())`` are empty, ``x.new()`` is empty 1-D,
        ``x.new(data)`` a copy of data, in x's dtype and on its device."""
        data = _legacy_array(args, self.dtype)
        if len(args) == 1 and isinstance(args[0], Tensor):
            return Tensor._make(data)  # an alias, as torch's
        return Tensor._make(data).to(self.device)

    def new_zeros(self, *sizes, size=None, dtype=None, device=None, requires_grad=False, **options):
        """Returns a Tensor of size ``size`` filled with ``0`` (self's dtype and device unless
        given)."""
        dtype, device = _like(self, dtype, device)
        return zeros(
            *sizes,
            size=size,
            dtype=dtype,
            device=device,
            requires_grad=requires_grad,
            **_options(options),
        )

    def new_ones(self, *sizes, size=None, dtype=None, device=None, requires_grad=False, **options):
        """Returns a Tensor of size ``size`` filled with ``1`` (self's dtype and device unless
        given)."""
        dtype, device = _like(self, dtype, device)
        return ones(
            *sizes,
            size=size,
            dtype=dtype,
            device=device,
            requires_grad=requires_grad,
            **_options(options),
        )

    def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False, **options):
        """Returns a Tensor of size ``size`` filled with ``fill_value`` (self's dtype and
        device unless given)."""
        dtype, device = _like(self, dtype, device)
        return full(
            size,
            fill_value,
            dtype=dtype,
            device=device,
            requires_grad=requires_grad,
            **_options(options),
        )

    def new_empty(self, *sizes, size=None, dtype=None, device=None, requires_grad=False, **options):
        """Returns a Tensor of size ``size`` filled with uninitialized data (self's dtype and
        device unless given)."""
        dtype, device = _like(self, dtype, device)
        return empty(
            *sizes,
            size=size,
            dtype=dtype,
            device=device,
            requires_grad=requires_grad,
            **_options(options),
        )

    def new_empty_strided(
        self, size, stride, dtype=None, device=None, requires_grad=False, **options
    ):
        """An uninitialised tensor of ``size`` with strides ``stride`` (self's dtype and
        device unless given)."""
        _options(options)
        dtype, device = _like(self, dtype, device)
        return empty_strided_tensor(size, stride, dtype, device, requires_grad)

    def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
        """Returns a new Tensor with ``data`` as the tensor data."""
        device = self.device if device is None else device
        CW.warn_copy_construct(data, "tensor.new_tensor(sourceTensor)")
        return _copy(data, dtype or self.dtype, device, requires_grad)


def _made_like(make, t, dtype, device, requires_grad, memory_format, layout, pin_memory, *fill):
    """``make(t.shape, *fill, ...)`` with ``t``'s dtype and device unless given, laid out as
    torch's ``preserve_format`` lays it out: as ``t`` (its strides when dense, its order of
    axes otherwise), so that a random fill or dropout over it walks the memory in torch's
    order (CPU arrays)."""
    dtype, device = _like(t, dtype, device)
    options = dict(dtype=dtype, device=device, layout=layout, pin_memory=pin_memory)
    result = make(t.shape, *fill, requires_grad=requires_grad, **options)
    axes, data = _like_layout(t, memory_format), result._data
    if axes is None or type(data) is not xp.ndarray:
        return result
    memory = xp.empty([data.shape[a] for a in axes], dtype=data.dtype)
    view = memory.transpose(sorted(range(len(axes)), key=axes.__getitem__))
    view[...] = data
    result._data = view
    result.__dict__["_torch_layout"] = True
    return result
