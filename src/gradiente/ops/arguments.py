"""PyTorch's argument-parser errors, for functions given something that is not a tensor.

torch's C++ binding refuses a NumPy array, a list or None where a function takes a tensor,
with a TypeError that names the function, the argument and the type given
(``relu(): argument 'input' (position 1) must be Tensor, not list``). Without the check such
a value would fail later with an AttributeError deep inside, or be quietly converted, and the
script would only fail once run on PyTorch. Pooling, convolution, ``nn.functional`` and the
``torch.*`` function forms share these two helpers.
"""

from __future__ import annotations

from gradiente.autograd import function as _function

_HEAP_TYPE = 1 << 9  # Py_TPFLAGS_HEAPTYPE


def type_name(value) -> str:
    """The type name torch's parser prints (the C type's ``tp_name``): ``float``, ``NoneType``,
    ``Tensor``, ``numpy.ndarray`` — C types outside the builtins keep their module, Python
    classes do not."""
    cls = type(value)
    if cls.__flags__ & _HEAP_TYPE or cls.__module__ == "builtins":
        return cls.__name__
    return f"{cls.__module__}.{cls.__name__}"


def require_tensor(op: str, value, name: str = "input", position: int | None = 1):
    """``value`` when it is a tensor, else torch's ``TypeError: op(): argument 'name'
    (position n) must be Tensor, not list`` (no position for a keyword-only argument)."""
    if not isinstance(value, _function._Tensor):
        where = f" (position {position})" if position else ""
        raise TypeError(f"{op}(): argument '{name}'{where} must be Tensor, not {type_name(value)}")
    return value
