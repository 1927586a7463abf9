"""Factories (``tensor``, ``zeros``, ``arange``, ``rand``, ...) and the methods that make new
tensors (``new_zeros``, ``bernoulli``, ...)."""

from __future__ import annotations

import math
import numbers

from gradiente import backend as B
from gradiente import random as _random
from gradiente.backend import xp
from gradiente.random import _fma32, _fma64  # exact fused multiply-add, as torch's kernels use
from gradiente.tensor.common import _arr, _check_device, _place, _shape_arg, _to_array

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
    "tensor",
    "zeros",
    "zeros_like",
]


def _factory_dtype(dtype, default=None):
    if dtype is None:
        return default or B.get_default_dtype()
    return B.to_dtype(dtype)


def tensor(data, dtype=None, device=None, requires_grad=False, pin_memory=False) -> Tensor:
    """A new tensor that copies ``data`` (lists, scalars, arrays); floats become float32."""
    _check_device(device)
    if isinstance(data, Tensor) and data._data.__class__ is not B.ndarray:
        data = B.host(data._data)  # a CUDA tensor's values, copied through the host
    arr = _to_array(data, B.to_dtype(dtype) if dtype is not None else None)
    t = _place(Tensor._make(arr, False, None), device)
    if requires_grad:
        t.requires_grad = True
    return t


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
    return Tensor._make(array, False, None)


def _new(fill, size, dtype, requires_grad, default=None, device=None):
    d = _factory_dtype(dtype, default)
    t = _place(Tensor._make(fill(_shape_arg(size), d.np), False, None), device)
    if requires_grad:
        t.requires_grad = True
    return t


def zeros(*size, dtype=None, device=None, requires_grad=False, out=None) -> Tensor:
    _check_device(device)
    return _new(lambda s, d: xp.zeros(s, d), size, dtype, requires_grad, device=device)


def ones(*size, dtype=None, device=None, requires_grad=False, out=None) -> Tensor:
    _check_device(device)
    return _new(lambda s, d: xp.ones(s, d), size, dtype, requires_grad, device=device)


def empty(*size, dtype=None, device=None, requires_grad=False, memory_format=None) -> Tensor:
    _check_device(device)
    return _new(lambda s, d: xp.empty(s, d), size, dtype, requires_grad, device=device)


def full(size, fill_value, dtype=None, device=None, requires_grad=False) -> Tensor:
    _check_device(device)
    if dtype is None:
        if isinstance(fill_value, bool):
            dtype = B.bool_
        elif isinstance(fill_value, numbers.Integral):
            dtype = B.int64
    fill = _arr(fill_value)
    if not isinstance(fill, (numbers.Number, xp.ndarray, xp.generic)):
        fill = B.host(fill)  # a 0-d CUDA tensor as the fill value
    return _new(lambda s, d: xp.full(s, fill, d), (size,), dtype, requires_grad, device=device)


def eye(n, m=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    _check_device(device)
    d = _factory_dtype(dtype)
    t = _place(Tensor._make(xp.eye(n, n if m is None else m, dtype=d.np), False, None), device)
    return t.requires_grad_(requires_grad) if requires_grad else t


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Values start, start+step, ... below end; int64 unless an argument is a float."""
    _check_device(device)
    if end is None:
        start, end = 0, start
    start, end, step = (v.item() if isinstance(v, Tensor) else v for v in (start, end, step))
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError("upper bound and larger bound inconsistent with step sign")
    if dtype is None:
        is_float = any(isinstance(v, float) for v in (start, end, step))
        dtype = B.get_default_dtype() if is_float else B.int64
    d = B.to_dtype(dtype)
    # Size as PyTorch computes it: ceil((end - start) / step) in double precision.
    n = int(xp.ceil((end - start) / step))
    if d.is_floating_point:
        arr = _float_arange(float(start), float(step), n, d.np)
    else:
        arr = (start + xp.arange(n, dtype=xp.int64) * step).astype(d.np)
    t = _place(Tensor._make(arr, False, None), device)
    return t.requires_grad_(True) if requires_grad else t


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


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False) -> Tensor:
    """``steps`` evenly spaced values from start to end, rounded as PyTorch's kernel does."""
    _check_device(device)
    d = _factory_dtype(dtype)
    _check_steps(steps)
    t = _place(Tensor._make(_linspace(start, end, int(steps), d.np), False, None), device)
    return t.requires_grad_(True) if requires_grad else t


def _check_steps(steps) -> None:
    if int(steps) < 0:
        raise RuntimeError("number of steps must be non-negative")


def _linspace(start, end, steps: int, np_dtype):
    """The first half counts up from start, the second half down from end (so the last value
    is exactly end), each value one fused multiply-add in the output dtype (float64 for
    integer outputs)."""
    if steps == 1:
        return xp.full(1, start, dtype=np_dtype)
    work = xp.dtype(np_dtype) if xp.dtype(np_dtype) in (xp.float32, xp.float64) else None
    work = work or xp.dtype(xp.float64)
    fma = _fma32 if work == xp.float32 else _fma64
    # start and end are first cast to the output dtype (−3.7 → −3 for an integer output)
    lo, hi = (work.type(xp.asarray(v).astype(np_dtype)) for v in (start, end))
    step = (hi - lo) / work.type(max(steps - 1, 1))
    idx = xp.arange(steps)
    half = steps // 2
    up = fma(step, idx.astype(work), lo)  # start + step·i
    down = fma(-step, (steps - 1 - idx).astype(work), hi)  # end − step·(steps − 1 − i)
    return xp.where(idx < half, up, down).astype(np_dtype)


def logspace(start, end, steps, base=10.0, dtype=None, device=None, requires_grad=False) -> Tensor:
    """base ** linspace(start, end, steps), the powers taken in the output dtype."""
    _check_device(device)
    d = _factory_dtype(dtype)
    _check_steps(steps)
    exponents = _linspace(start, end, int(steps), d.np if d.is_floating_point else xp.float64)
    arr = xp.power(exponents.dtype.type(base), exponents).astype(d.np)
    t = _place(Tensor._make(arr, False, None), device)
    return t.requires_grad_(True) if requires_grad else t


def zeros_like(t, dtype=None, device=None, requires_grad=False, memory_format=None) -> Tensor:
    device = t.device if device is None else device
    return zeros(t.shape, dtype=dtype or t.dtype, device=device, requires_grad=requires_grad)


def ones_like(t, dtype=None, device=None, requires_grad=False, memory_format=None) -> Tensor:
    device = t.device if device is None else device
    return ones(t.shape, dtype=dtype or t.dtype, device=device, requires_grad=requires_grad)


def empty_like(t, dtype=None, device=None, requires_grad=False, memory_format=None) -> Tensor:
    device = t.device if device is None else device
    return empty(t.shape, dtype=dtype or t.dtype, device=device, requires_grad=requires_grad)


def full_like(t, fill_value, dtype=None, device=None, requires_grad=False) -> Tensor:
    device = t.device if device is None else device
    return full(
        t.shape, fill_value, dtype=dtype or t.dtype, device=device, requires_grad=requires_grad
    )


def _samples(sample, size, generator, dtype, device, requires_grad) -> Tensor:
    """rand/randn: ``sample(shape, np_dtype, 0.0, 1.0, generator)`` (uniform on [0, 1), or
    normal with mean 0 and std 1) as a tensor of ``dtype`` (default: the default float) on
    ``device``."""
    _check_device(device)
    d = _factory_dtype(dtype)
    if d is B.bfloat16:
        t = Tensor._make(_bfloat16_samples(sample, _shape_arg(size), generator), False, None)
    else:
        t = Tensor._make(sample(_shape_arg(size), d.np, 0.0, 1.0, generator), False, None)
    t = _place(t, device)
    return t.requires_grad_(True) if requires_grad else t


def _bfloat16_samples(sample, shape, generator):
    """rand/randn in bfloat16 as torch draws them: float32 samples rounded to bfloat16; a
    uniform that rounds up to 1 becomes 0 (torch keeps [0, 1) half-open). torch's normal
    sampler for 16 or more bfloat16 elements does its Box-Muller arithmetic in bfloat16 itself,
    which gradiente does not reproduce: it refuses rather than give other numbers."""
    if sample is _random.normal and math.prod(shape) >= 16:
        raise RuntimeError(
            "\"normal_kernel_cpu\" not implemented for 'BFloat16' with 16 or more elements in "
            "gradiente (torch's bfloat16 sampler is not reproduced): draw float32 and call "
            ".bfloat16()"
        )
    values = B.cast(sample(shape, xp.float32, 0.0, 1.0, generator), B.BF16)
    if sample is _random.uniform:
        values[values >= 1] = 0
    return values


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Uniform samples in [0, 1), the same numbers as ``torch.rand`` for the same seed."""
    return _samples(_random.uniform, size, generator, dtype, device, requires_grad)


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Standard normal samples, the same numbers as ``torch.randn`` for the same seed."""
    return _samples(_random.normal, size, generator, dtype, device, requires_grad)


def randint(
    low=0, high=None, size=None, generator=None, dtype=None, device=None, requires_grad=False
) -> Tensor:
    """Integers in [low, high), the same numbers as ``torch.randint``.

    Called as torch's overloads are: ``randint(high, size)``, ``randint(low, high, size)``
    or with keywords (``randint(high=10, size=(3,))``, low then being 0).
    """
    _check_device(device)
    if size is None:
        low, high, size = 0, low, high
    elif high is None:
        low, high = 0, low
    if size is None:
        raise TypeError("randint() missing required argument 'size'")
    if low >= high:
        raise RuntimeError(
            f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}"
        )
    d = _factory_dtype(dtype, B.int64)
    arr = _random.randint(low, high, _shape_arg((size,)), d.np, generator)
    return _place(Tensor._make(arr, False, None), device)


def rand_like(t, dtype=None, generator=None, device=None) -> Tensor:
    device = t.device if device is None else device
    return rand(t.shape, dtype=dtype or t.dtype, generator=generator, device=device)


def randn_like(t, dtype=None, generator=None, device=None) -> Tensor:
    device = t.device if device is None else device
    return randn(t.shape, dtype=dtype or t.dtype, generator=generator, device=device)


def randint_like(t, low, high=None, dtype=None, device=None) -> Tensor:
    device = t.device if device is None else device
    if high is None:
        low, high = 0, low
    return randint(low, high, t.shape, dtype=dtype or t.dtype, device=device)


def randperm(n, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A random permutation of 0..n-1, the same as ``torch.randperm``."""
    _check_device(device)
    d = _factory_dtype(dtype, B.int64)
    return _place(Tensor._make(_random.randperm(int(n), d.np, generator), False, None), device)


def normal(mean, std=1.0, size=None, generator=None, dtype=None) -> Tensor:
    """Normal samples: scalar mean/std with ``size``, or element-wise tensor mean/std."""
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        m = _arr(mean)
        s = _arr(std)
        ref = mean if isinstance(mean, Tensor) else std
        # drawn on the host (torch's CPU numbers, as normal_ of a CUDA tensor), then moved
        dt = ref._data.dtype
        arr = _random.normal_tensor(
            xp.asarray(B.host(m), dtype=dt), xp.asarray(B.host(s), dtype=dt), generator
        )
        return Tensor._make(B.to_device(arr, B.array_device_index(ref._data)), False, None)
    if size is None:
        raise TypeError("normal(): with scalar mean and std, size is required")
    d = _factory_dtype(dtype)
    return Tensor._make(
        _random.normal(_shape_arg((size,)), d.np, mean, std, generator), False, None
    )


def bernoulli(input, p=None, generator=None) -> Tensor:
    if type(input._data) is not B.ndarray:  # CUDA: torch's CPU draws, copied to the device
        return bernoulli(input.cpu(), p, generator).to(input.device)
    probs = input._data if p is None else p
    return Tensor._make(
        _random.bernoulli(probs, input._data.shape, input._data.dtype, generator), False, None
    )


def multinomial(input, num_samples, replacement=False, generator=None) -> Tensor:
    """Draw category indices with probabilities proportional to each row of ``input``.

    The same numbers as ``torch.multinomial`` for the same seed. Without replacement (or for
    one sample) PyTorch uses the exponential race: q ~ Exp(1), the winners are the largest
    p / q. With replacement it inverts the normalised cumulative distribution with 53-bit
    uniforms, one per sample, row after row.
    """
    p = input._data
    if type(p) is not B.ndarray:  # CUDA: torch's CPU draws (one read of p), copied back
        return multinomial(input.cpu(), num_samples, replacement, generator).to(input.device)
    if p.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if p.dtype.kind != "f":
        raise RuntimeError(
            f"multinomial only supports floating-point dtypes for input, got: {input.dtype}"
        )
    n_categories = p.shape[-1]
    if not replacement and num_samples > n_categories:
        raise RuntimeError(
            "cannot sample n_sample > prob_dist.size(-1) samples without replacement"
        )
    if (p < 0).any() or not xp.isfinite(p).all():
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    if (p.sum(-1) <= 0).any():
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    rows = p.reshape(-1, n_categories)
    if not replacement or num_samples == 1:
        q = _random.exponential(rows.shape, rows.dtype, 1.0, generator)
        race = Tensor._make(rows / q)
        out = race.topk(num_samples, dim=-1).indices._data
    else:
        cum = xp.cumsum(rows, axis=-1, dtype=rows.dtype)  # sequential sums, in the input dtype
        cum = cum / cum[:, -1:]
        cum[:, -1] = 1
        u = _random.uniform((rows.shape[0], num_samples), xp.float64, 0.0, 1.0, generator)
        out = xp.stack(
            [xp.searchsorted(c.astype(xp.float64), ui, side="left") for c, ui in zip(cum, u)]
        )
    out = out.astype(xp.int64)
    return Tensor._make(out.reshape(p.shape[:-1] + (num_samples,)), False, None)


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
        """Legacy: ``x.new(2, 3)`` is empty, ``x.new(data)`` a copy of data, in x's dtype."""
        if len(args) == 1 and not isinstance(args[0], numbers.Integral):
            return tensor(args[0], dtype=self.dtype, device=self.device)
        return empty(*args, dtype=self.dtype, device=self.device)

    def is_inference(self) -> bool:
        """Returns True if self is an inference tensor."""
        return False

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
        """Returns a Tensor of size ``size`` filled with ``0``."""
        device = self.device if device is None else device
        return zeros(*size, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
        """Returns a Tensor of size ``size`` filled with ``1``."""
        device = self.device if device is None else device
        return ones(*size, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad)

    def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False):
        """Returns a Tensor of size ``size`` filled with ``fill_value``."""
        device = self.device if device is None else device
        dtype = dtype or self.dtype
        return full(size, fill_value, dtype=dtype, device=device, requires_grad=requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
        """Returns a Tensor of size ``size`` filled with uninitialized data."""
        device = self.device if device is None else device
        return empty(*size, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad)

    def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
        """Returns a new Tensor with ``data`` as the tensor data."""
        device = self.device if device is None else device
        return tensor(data, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad)
