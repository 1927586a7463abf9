"""Which right-hand operands Tensor's Python operators take, as in torch.

``x + y``, ``x < y``, ``x == y``, ... take a tensor, a number (Python's or NumPy's) or a NumPy
array; for anything else (a list, a tuple, a str, None, ...) the operator returns
``NotImplemented``, and Python then does what it does for two unrelated types: ``x + [1, 2]``
raises ``TypeError: unsupported operand type(s) for +: 'Tensor' and 'list'``, ``[1, 2] + x``
"can only concatenate list", and ``x == "a"`` is ``False`` (``!=`` ``True``). Without this,
NumPy would turn a list into an array and compute, or leak its own ``UFuncTypeError``.
``@`` takes tensors and arrays only (a number is no matrix).
"""

from __future__ import annotations

import numbers

from gradiente.backend import xp

Tensor = None  # the assembled class, bound by gradiente.tensor (see its __init__)

_NUMBERS_AND_ARRAYS = (numbers.Number, xp.generic, xp.ndarray)  # (NumPy bools are no Number)
_ARRAYS = (xp.ndarray,)

# the operators, by the operands they take besides tensors
OPERATORS = {
    _NUMBERS_AND_ARRAYS: (
        "__add__ __radd__ __sub__ __rsub__ __mul__ __rmul__ __truediv__ __rtruediv__ "
        "__floordiv__ __rfloordiv__ __mod__ __rmod__ __pow__ __rpow__ __lt__ __le__ __gt__ "
        "__ge__ __eq__ __ne__ __and__ __rand__ __or__ __ror__ __xor__ __rxor__ __lshift__ "
        "__rlshift__ __rshift__ __rrshift__"
    ).split(),
    _ARRAYS: ["__matmul__", "__rmatmul__"],
}


def takes_only(operator, operands: tuple):
    """``operator`` (a Tensor method), returning ``NotImplemented`` for an operand that is
    neither a tensor nor one of ``operands``."""

    def guarded(self, other):
        if isinstance(other, Tensor) or isinstance(other, operands):
            return operator(self, other)
        return NotImplemented

    guarded.__name__ = operator.__name__
    guarded.__qualname__ = operator.__qualname__
    guarded.__doc__ = operator.__doc__
    guarded.__wrapped__ = operator
    return guarded


def guard_operators(cls) -> None:
    """Give ``cls`` (Tensor) the guarded forms of its binary operators."""
    for operands, names in OPERATORS.items():
        for name in names:
            setattr(cls, name, takes_only(getattr(cls, name), operands))
