"""Parameter: a tensor that a Module registers as learnable when assigned as an attribute."""

from __future__ import annotations

from multiprocessing.reduction import ForkingPickler

from gradiente import _printing
from gradiente.backend import get_default_dtype, xp
from gradiente.multiprocessing import reduce_tensor
from gradiente.tensor import Tensor


class Parameter(Tensor):
    """A leaf tensor that is a module's learnable weight (``torch.nn.Parameter``).

    ``self.weight = Parameter(torch.empty(3, 2))`` inside a ``Module`` registers it, so it shows
    up in ``parameters()``, ``state_dict()`` and the optimizer. It shares memory with ``data``
    and requires grad by default. Results of operations on a Parameter are plain tensors.
    """

    def __init__(self, data: Tensor | None = None, requires_grad: bool = True):
        if data is None:
            array = xp.empty((0,), dtype=get_default_dtype().np)
            counter = None
        else:
            if not isinstance(data, Tensor):
                raise TypeError(
                    f"Parameter(data): data must be a Tensor, got {type(data).__name__}"
                )
            array = data._data
            counter = data._get_version_counter()
        self._init(array, False, None)
        self._version_counter = counter
        if requires_grad:
            self.requires_grad = True

    def __repr__(self) -> str:
        return "Parameter containing:\n" + _printing.tensor_repr(self)

    def __deepcopy__(self, memo):
        """A new Parameter holding a copy of the data, as torch's: the copy has no ``.grad``
        (``copy.deepcopy(model)`` starts with clean gradients), where a plain tensor's
        deepcopy keeps its gradient."""
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(Tensor._make(self._data.copy(), False, None), self._requires_grad)
        memo[id(self)] = result
        return result

    def __reduce_ex__(self, protocol):
        return (_rebuild_parameter, (self._data.copy(), self._requires_grad))


def _rebuild_parameter(data, requires_grad: bool) -> Parameter:
    return Parameter(Tensor._make(data, False, None), requires_grad)


# sent to another process (spawn, Queue): a shared parameter as its shared memory, not a copy
ForkingPickler.register(Parameter, reduce_tensor)


def __getattr__(name: str):
    """``torch.nn.parameter.UninitializedParameter`` (and ``UninitializedBuffer``): defined
    with the lazy layers (``nn/layers/lazy.py``, which builds on Parameter), found here under
    torch's path."""
    if name in ("UninitializedParameter", "UninitializedBuffer", "UninitializedTensorMixin"):
        from gradiente.nn.layers import lazy  # noqa: PLC0415 - lazy.py imports this module

        return getattr(lazy, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
