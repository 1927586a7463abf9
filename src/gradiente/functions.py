"""The function forms of Tensor methods: ``gradiente.exp(x)`` is ``x.exp()``, and so on."""

from __future__ import annotations

from gradiente.tensor import Tensor, as_tensor

_METHOD_NAMES = (
    "abs absolute exp log log1p log2 log10 expm1 sqrt rsqrt sin cos tanh sigmoid relu clamp "
    "clip clamp_min clamp_max sign floor ceil round trunc square reciprocal neg negative add sub "
    "subtract mul multiply div divide true_divide floor_divide remainder fmod sum nansum mean "
    "prod var std max min amax amin argmax argmin logsumexp softmax log_softmax cumsum norm sort "
    "argsort topk reshape flatten unflatten squeeze unsqueeze permute transpose swapaxes "
    "swapdims t flip narrow split chunk unbind tensor_split movedim mm bmm dot outer ger mv "
    "index_select gather scatter scatter_add masked_fill masked_select eq ne lt le gt ge "
    "greater greater_equal less less_equal not_equal equal allclose isclose logical_and "
    "logical_or logical_xor logical_not bitwise_and bitwise_or bitwise_xor bitwise_not isnan "
    "isinf isfinite all any count_nonzero nonzero clone detach numel lerp broadcast_to erf erfc "
    "erfinv"
).split()


def _forward_to_method(name: str):
    def function(input, *args, **kwargs):
        if not isinstance(input, Tensor):
            input = as_tensor(input)
        return getattr(input, name)(*args, **kwargs)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"``gradiente.{name}(input, ...)`` is ``input.{name}(...)``."
    return function


_namespace = globals()
for _name in _METHOD_NAMES:
    _namespace[_name] = _forward_to_method(_name)


def pow(input, exponent):  # noqa: A001 (PyTorch's name)
    """input ** exponent; ``input`` may be a Python number when ``exponent`` is a tensor."""
    if not isinstance(input, Tensor):
        return exponent.__rpow__(input)
    return input.pow(exponent)


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


def broadcast_shapes(*shapes):
    """The shape that broadcasting ``shapes`` together gives."""
    from gradiente.backend import xp
    from gradiente.tensor import Size

    return Size(xp.broadcast_shapes(*shapes))


def broadcast_tensors(*tensors):
    shape = broadcast_shapes(*(t.shape for t in tensors))
    return tuple(t.expand(shape) for t in tensors)


def flatten(input, start_dim=0, end_dim=-1):
    return input.flatten(start_dim, end_dim)


def numel(input) -> int:
    return input.numel()


__all__ = sorted(
    set(_METHOD_NAMES)
    | {
        "pow",
        "var_mean",
        "std_mean",
        "is_tensor",
        "is_floating_point",
        "result_type",
        "broadcast_shapes",
        "broadcast_tensors",
    }
)


def get_rng_state():
    """The default generator's state as a uint8 tensor (PyTorch's 5056-byte layout)."""
    from gradiente import random as _random

    return Tensor._make(_random.get_rng_state(), False, None)


def set_rng_state(new_state) -> None:
    """Restore the default generator from ``get_rng_state()``'s tensor."""
    from gradiente import random as _random

    state = new_state._data if isinstance(new_state, Tensor) else new_state
    _random.set_rng_state(state)


__all__ += ["get_rng_state", "set_rng_state"]
