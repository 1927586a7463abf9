"""``Variable``: the pre-0.4 PyTorch wrapper, kept so that old scripts run."""

from __future__ import annotations

from gradiente.autograd import function as _function
from gradiente.backend import as_array


class _VariableType(type):
    def __instancecheck__(cls, obj) -> bool:
        return isinstance(obj, _function._Tensor)


class Variable(metaclass=_VariableType):
    """The pre-0.4 wrapper, kept for old scripts: ``Variable(t, requires_grad=True)`` is a
    tensor sharing t's memory (every tensor is a Variable: ``isinstance`` says True)."""

    def __new__(cls, data, requires_grad: bool = False, volatile: bool = False):
        Tensor = _function._Tensor
        array = data._data if isinstance(data, Tensor) else as_array(data)
        out = Tensor._make(array, False, None)
        return out.requires_grad_(True) if requires_grad else out
