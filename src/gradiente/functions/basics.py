"""Constants, memory formats and the small top-level functions whose method form differs
(``flip`` wants a tuple, ``pow`` and ``remainder`` take a number first) or that has none."""

from __future__ import annotations

import math

from gradiente.backend import xp
from gradiente.tensor import (
    Tensor,
    empty,
    write_out,
)


def flip(input, dims):
    """``gradiente.flip(input, dims)``: ``dims`` is a tuple or list; PyTorch rejects an int
    here (the method ``input.flip(0)`` takes one)."""
    if not isinstance(dims, (tuple, list)):
        raise TypeError(
            f"flip(): argument 'dims' (position 2) must be tuple of ints, not {type(dims).__name__}"
        )
    return input.flip(dims)


def remainder(input, other, *, out=None):
    """``gradiente.remainder(input, other)``: ``input % other``; a number ``input`` is PyTorch's
    remainder(Scalar, Tensor), which has no derivative (backward raises)."""
    result = other.__rmod__(input) if not isinstance(input, Tensor) else input.remainder(other)
    return write_out(out, result, "remainder")


# PyTorch's constants
pi, e, inf, nan = math.pi, math.e, math.inf, math.nan
newaxis = None


class _Named:
    """A constant printed by its PyTorch name (memory formats, layouts)."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return f"torch.{self._name}"


# Memory formats and layouts are accepted and ignored: NumPy arrays are strided, row-major.
contiguous_format = _Named("contiguous_format")
channels_last = _Named("channels_last")
channels_last_3d = _Named("channels_last_3d")
preserve_format = _Named("preserve_format")
strided = _Named("strided")


def empty_strided(size, stride, *, dtype=None, device=None, requires_grad=False):
    """An uninitialised tensor of ``size`` (gradiente's tensors are always row-major)."""
    return empty(tuple(size), dtype=dtype, device=device, requires_grad=requires_grad)


def pow(input, exponent, out=None):  # noqa: A001 (PyTorch's name)
    """input ** exponent; ``input`` may be a Python number when ``exponent`` is a tensor."""
    if not isinstance(input, Tensor):
        return write_out(out, exponent.__rpow__(input), "pow")
    return write_out(out, input.pow(exponent), "pow")


def var_mean(input, dim=None, unbiased=None, keepdim=False, correction=None):
    """(var, mean) over ``dim``."""
    return input.var(dim, unbiased, keepdim, correction), input.mean(dim, keepdim)


def std_mean(input, dim=None, unbiased=None, keepdim=False, correction=None):
    """(std, mean) over ``dim``."""
    return input.std(dim, unbiased, keepdim, correction), input.mean(dim, keepdim)


def is_tensor(obj) -> bool:
    """True for gradiente tensors."""
    return isinstance(obj, Tensor)


def is_floating_point(input) -> bool:
    return input.is_floating_point()


def result_type(a, b):
    """The dtype PyTorch's promotion gives an op on ``a`` and ``b``."""
    from gradiente.backend import result_type as _result_type

    return _result_type(a, b)


def can_cast(from_, to) -> bool:
    """Whether PyTorch's casting rules allow an in-place op to cast ``from_`` to ``to``."""
    order = {"b": 0, "i": 1, "f": 2}
    return order[from_._kind] <= order[to._kind] and not (
        from_._kind == to._kind == "i" and from_.is_signed and not to.is_signed
    )


def broadcast_shapes(*shapes):
    """The shape that broadcasting ``shapes`` together gives."""
    from gradiente.tensor import Size

    return Size(xp.broadcast_shapes(*shapes))


def broadcast_tensors(*tensors):
    shape = broadcast_shapes(*(t.shape for t in tensors))
    return tuple(t.expand(shape) for t in tensors)


def flatten(input, start_dim=0, end_dim=-1):
    return input.flatten(start_dim, end_dim)


def numel(input) -> int:
    return input.numel()


def typename(obj) -> str:
    """``torch.FloatTensor``-style name of a tensor's type (else the Python type's name)."""
    if isinstance(obj, Tensor):
        return obj.type()
    return type(obj).__qualname__
