"""Random factories (``rand``, ``randn``, ``randint``, ``randperm``, ``normal``, their
``*_like`` forms), the draws made from a tensor (``bernoulli``, ``multinomial``, ``poisson``)
and the in-place fills with other distributions (``RandomFills``: ``cauchy_``, ``log_normal_``,
``geometric_``): the same numbers as torch's for the same seed (``gradiente.random`` reproduces
its generator)."""

from __future__ import annotations

from gradiente import backend as B
from gradiente import random as _random
from gradiente.backend import xp
from gradiente.ops import geometry
from gradiente.tensor.common import (
    _arr,
    _check_device,
    _factory_dtype,
    _finish,
    _iteration_order,
    _like,
    _result_dtype,
    _shape_arg,
    _size,
)

Tensor = None  # the assembled class, bound by gradiente.tensor (see its __init__)

# ``Generator.get_state()`` returns a uint8 tensor, as torch's (the generator sits below us)
_random.generator._register_state_wrapper(lambda array: Tensor._make(array, False, None))


def _samples(sample, shape, generator, dtype, out) -> Tensor:
    """rand/randn: ``sample(shape, np_dtype, 0.0, 1.0, generator)`` (uniform on [0, 1), or
    normal with mean 0 and std 1) as a CPU tensor of ``dtype`` (default: the default float;
    with ``out=``, out's dtype)."""
    d = _result_dtype(dtype, out)
    if not d.is_floating_point:
        kernel = "check_uniform_bounds" if sample is _random.uniform else "normal_kernel_cpu"
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{B.torch_type_name(d.np)}'")
    # (float16 and bfloat16 too: the samplers draw them as torch does, see gradiente.random)
    return Tensor._make(sample(shape, d.np, 0.0, 1.0, generator), False, None)


_OPTIONS = (
    "Tensor out = None, torch.dtype dtype = None, torch.layout layout = None, torch.device "
    "device = None, bool pin_memory = False, bool requires_grad = False)"
)


def _missing_size(op: str, got: str, leading: tuple, options_given: bool) -> TypeError:
    """torch's TypeError for a sampler called without a size: with none of the options given,
    its argument parser's list of signatures (``leading``: the arguments before ``size``,
    e.g. ``("int high",)``), else the plain "missing size" message (as ``zeros()``'s)."""
    if options_given:
        return TypeError(f'{op}() missing 1 required positional arguments: "size"')
    lines = [
        f"{op}() received an invalid combination of arguments - got ({got}), but expected one of:"
    ]
    for first in leading:
        for generator in ("torch.Generator generator, ", ""):
            lines.append(f" * ({first}tuple of ints size, *, {generator}{_OPTIONS}")
    return TypeError("\n".join(lines) + "\n")


def _check_size_given(op, sizes, size, generator, out, dtype, layout, device, grad, pin):
    """rand/randn need a size (``rand(())`` is a 0-d sample; ``rand()`` is an error)."""
    if not sizes and size is None:
        given = (generator, out, dtype, layout, device) != (None,) * 5 or grad or pin
        raise _missing_size(op, "", ("",), given)


def rand(
    *sizes,
    size=None,
    generator=None,
    out=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad=False,
    pin_memory=False,
) -> Tensor:
    """Uniform samples in [0, 1), the same numbers as ``torch.rand`` for the same seed."""
    _check_size_given(
        "rand", sizes, size, generator, out, dtype, layout, device, requires_grad, pin_memory
    )
    _check_device(device)
    t = _samples(_random.uniform, _size(sizes, size), generator, dtype, out)
    return _finish(t, "rand", device, requires_grad, layout, pin_memory, out)


def randn(
    *sizes,
    size=None,
    generator=None,
    out=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad=False,
    pin_memory=False,
) -> Tensor:
    """Standard normal samples, the same numbers as ``torch.randn`` for the same seed."""
    _check_size_given(
        "randn", sizes, size, generator, out, dtype, layout, device, requires_grad, pin_memory
    )
    _check_device(device)
    t = _samples(_random.normal, _size(sizes, size), generator, dtype, out)
    return _finish(t, "randn", device, requires_grad, layout, pin_memory, out)


def randint(
    low=None,
    high=None,
    size=None,
    generator=None,
    dtype=None,
    device=None,
    requires_grad=False,
    *,
    out=None,
    layout=None,
    pin_memory=False,
) -> Tensor:
    """Integers in [low, high), the same numbers as ``torch.randint``.

    Called as torch's overloads are: ``randint(high, size)``, ``randint(low, high, size)``
    or with keywords (``randint(high=10, size=(3,))``, low then being 0).
    """
    _check_device(device)
    numbers_given = [v for v in (low, high, size) if v is not None]
    if size is None:  # randint(high, size): the last number given is the size
        size = high if high is not None else None
        low, high = (None, low) if high is not None else (None, None)
    if high is None:
        low, high = None, low
    if size is None:
        options = (generator, out, dtype, layout, device) != (None,) * 5 or requires_grad
        got = ", ".join(type(v).__name__ for v in numbers_given)
        raise _missing_size("randint", got, ("int high, ", "int low, int high, "), options)
    if isinstance(size, int) and len(numbers_given) == 3:
        got = ", ".join(type(v).__name__ for v in numbers_given)
        raise _missing_size("randint", got, ("int high, ", "int low, int high, "), False)
    if isinstance(size, int):
        raise TypeError(
            f"randint(): argument 'size' (position {len(numbers_given)}) must be tuple of "
            "ints, not int"
        )
    low = 0 if low is None else low
    if low >= high:
        raise RuntimeError(
            f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}"
        )
    d = _result_dtype(dtype, out, B.int64)
    t = Tensor._make(_random.randint(low, high, _shape_arg((size,)), d.np, generator))
    return _finish(t, "randint", device, requires_grad, layout, pin_memory, out)


# torch's errors for continuous distributions drawn into integer or bool tensors (its kernels
# name the dtype by its ScalarType, Cauchy's check by the C type)
_CONTINUOUS_FILLS = {
    "uniform_": (NotImplementedError, "\"check_uniform_bounds\" not implemented for '{name}'"),
    "normal_": (NotImplementedError, "\"normal_kernel_cpu\" not implemented for '{name}'"),
    "log_normal_": (NotImplementedError, "\"log_normal_cpu\" not implemented for '{name}'"),
    "exponential_": (
        RuntimeError,
        "Exponential distribution is a continuous probability distribution. dtype must be a "
        "floating point but you specified {name}",
    ),
    "cauchy_": (
        RuntimeError,
        "Cauchy distribution is a continuous probability distribution. dtype must be a "
        "floating point but you specified {c_name}",
    ),
}
_C_NAMES = {
    "bool": "bool",
    "uint8": "unsigned char",
    "int8": "signed char",
    "int16": "short int",
    "int32": "int",
    "int64": "long int",
}


def _like_layout(t, memory_format) -> list | None:
    """The axes, slowest first, of a ``*_like`` result's memory, or None for row-major.

    torch's default ``preserve_format`` lays the new tensor out as ``t`` is: a transposed or
    permuted ``t`` gives a transposed or permuted result (its strides, if ``t`` is dense; the
    same order of axes otherwise, e.g. for a sliced ``t[:, ::2]``). A random fill then draws in
    that memory order, so the layout decides which element gets which number.
    """
    data = t._data
    name = getattr(memory_format, "_name", "preserve_format")
    if name in ("channels_last", "channels_last_3d"):
        geometry.check_rank(t, name)
        return [0, *range(2, data.ndim), 1]  # N, the spatial axes, then C fastest
    if name != "preserve_format":
        return None  # contiguous_format
    if data.flags.c_contiguous:
        return None
    # torch's strides (ops/geometry): an op's output that gradiente keeps channels-last is
    # row-major in torch, and so are the views of it
    axes = _iteration_order(geometry.torch_geometry(t)[0], data.shape)
    return None if axes == sorted(axes) else axes


def _drawn_like(t, dtype, device, memory_format, requires_grad, layout, pin_memory, op, fill):
    """A ``*_like`` sample: a new tensor of ``t``'s shape and layout (``_like_layout``), on the
    host, filled in place by ``fill(tensor)`` (as torch: ``empty_like(t).uniform_()``), then
    moved and marked as asked."""
    dtype, device = _like(t, dtype, device)
    _check_device(device)
    d = B.to_dtype(dtype)
    shape, axes = t._data.shape, _like_layout(t, memory_format)
    if axes is None:
        out = fill(Tensor._make(xp.empty(shape, d.np), False, None))
    else:  # memory in ``axes`` order, filled through a view in t's axis order (as torch's
        # empty_like(t) is laid out: the fill walks memory), then kept as a tensor of its own
        memory = Tensor._make(xp.empty([shape[a] for a in axes], d.np), False, None)
        view = fill(memory.permute(sorted(range(len(axes)), key=axes.__getitem__)))
        out = Tensor._make(view._data, False, None)
        out.__dict__["_torch_layout"] = True
    return _finish(out, op, device, requires_grad, layout, pin_memory)


def _check_float_sample(dtype, kernel: str) -> None:
    """rand/randn draw floating-point numbers only (torch's error names its kernel)."""
    if not B.to_dtype(dtype).is_floating_point:
        raise NotImplementedError(
            f"\"{kernel}\" not implemented for '{B.torch_type_name(B.to_dtype(dtype).np)}'"
        )


def rand_like(
    t,
    dtype=None,
    generator=None,
    device=None,
    requires_grad=False,
    memory_format=None,
    *,
    layout=None,
    pin_memory=False,
) -> Tensor:
    """``rand`` of ``t``'s shape (and dtype and device unless given), laid out as ``t``."""
    _check_float_sample(t.dtype if dtype is None else dtype, "check_uniform_bounds")
    return _drawn_like(
        t,
        dtype,
        device,
        memory_format,
        requires_grad,
        layout,
        pin_memory,
        "rand_like",
        lambda out: out.uniform_(0.0, 1.0, generator),
    )


def randn_like(
    t,
    dtype=None,
    generator=None,
    device=None,
    requires_grad=False,
    memory_format=None,
    *,
    layout=None,
    pin_memory=False,
) -> Tensor:
    """``randn`` of ``t``'s shape (and dtype and device unless given), laid out as ``t``."""
    _check_float_sample(t.dtype if dtype is None else dtype, "normal_kernel_cpu")
    return _drawn_like(
        t,
        dtype,
        device,
        memory_format,
        requires_grad,
        layout,
        pin_memory,
        "randn_like",
        lambda out: out.normal_(0.0, 1.0, generator),
    )


def randint_like(
    t,
    low,
    high=None,
    dtype=None,
    device=None,
    requires_grad=False,
    memory_format=None,
    *,
    generator=None,
    layout=None,
    pin_memory=False,
) -> Tensor:
    """``randint`` of ``t``'s shape (and dtype and device unless given), laid out as ``t``."""
    if high is None:
        low, high = 0, low
    if low >= high:
        raise RuntimeError(
            f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}"
        )
    out = _drawn_like(
        t,
        dtype,
        device,
        memory_format,
        False,
        layout,
        pin_memory,
        "randint_like",
        lambda out: out.random_(low, high, generator),
    )
    return out.requires_grad_(True) if requires_grad else out


def randperm(
    n,
    generator=None,
    dtype=None,
    device=None,
    requires_grad=False,
    *,
    out=None,
    layout=None,
    pin_memory=False,
) -> Tensor:
    """A random permutation of 0..n-1, the same as ``torch.randperm``."""
    _check_device(device)
    d = _result_dtype(dtype, out, B.int64)
    t = Tensor._make(_random.randperm(int(n), d.np, generator), False, None)
    return _finish(t, "randperm", device, False, layout, pin_memory, out)


def normal(
    mean,
    std=1.0,
    size=None,
    generator=None,
    dtype=None,
    out=None,
    layout=None,
    device=None,
    pin_memory=False,
    requires_grad=False,
) -> Tensor:
    """Normal samples: scalar mean/std with ``size`` (and a factory's options, as
    ``torch.normal(0, 0.01, size=(20, 3), requires_grad=True)``), or element-wise tensor
    mean/std."""
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
    _check_device(device)
    d = _factory_dtype(dtype)
    t = Tensor._make(_random.normal(_shape_arg((size,)), d.np, mean, std, generator), False, None)
    return _finish(t, "normal", device, requires_grad, layout, pin_memory, out)


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


def poisson(input, generator=None) -> Tensor:
    """One Poisson count per element of the rates ``input`` (floats of its dtype): the same
    numbers as ``torch.poisson`` for the same seed (its CPU sampler, one element at a time)."""
    rates = input.detach()
    if not rates.dtype.is_floating_point:
        raise NotImplementedError(
            f"\"poisson_cpu\" not implemented for '{B.torch_type_name(rates._data.dtype)}'"
        )
    counts = _random.poisson(B.host(rates.contiguous()._data), generator)
    return Tensor._make(B.to_device(counts, B.array_device_index(rates._data)), False, None)


class RandomFills:
    """Tensor methods that fill self, in place, with draws from a distribution beyond
    ``uniform_``/``normal_``/``exponential_`` (which live with the other in-place methods);
    torch's CPU numbers, drawn on the host."""

    __slots__ = ()

    def _refuse_integer_fill(self, op: str) -> None:
        """torch's error for a continuous distribution drawn into an integer or bool tensor."""
        np_dtype = self._data.dtype
        if np_dtype.kind not in "biu":
            return
        exc, text = _CONTINUOUS_FILLS[op]
        raise exc(text.format(name=B.torch_type_name(np_dtype), c_name=_C_NAMES[np_dtype.name]))

    def cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
        """Fill self with Cauchy samples: median + sigma · tan(π (u − ½))."""
        self._refuse_integer_fill("cauchy_")
        shape, axes = self._fill_layout()  # drawn in self's memory order, as torch
        dtype = self._data.dtype
        return self._fill_random(_random.cauchy(shape, dtype, median, sigma, generator), axes)

    def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
        """Fill self with log-normal samples: exp of N(mean, std²) (``mean``, ``std`` are the
        underlying normal's)."""
        self._refuse_integer_fill("log_normal_")
        shape, axes = self._fill_layout()
        dtype = self._data.dtype
        return self._fill_random(_random.log_normal(shape, dtype, mean, std, generator), axes)

    def geometric_(self, p, *, generator=None):
        """Fill self with geometric samples: the number of Bernoulli(p) trials up to and
        including the first success (1, 2, ...)."""
        if self._data.dtype == xp.bool_:
            raise NotImplementedError("\"geometric_cpu\" not implemented for 'Bool'")
        shape, axes = self._fill_layout()
        return self._fill_random(_random.geometric(shape, self._data.dtype, p, generator), axes)
