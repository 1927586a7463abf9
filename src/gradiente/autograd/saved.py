"""What a graph node saved for backward, as torch shows it: ``grad_fn._saved_self``,
``_saved_other``, ``_saved_result``, ``_saved_exponent``, ... and ``_raw_saved_*`` (whose
``register_hooks`` installs pack/unpack hooks), and the ``saved_tensors_hooks`` context.

A node keeps what its ``backward`` needs in ``_saved`` (from ``save_for_backward``): the
input tensors themselves, and its own outputs as ``_SavedOutput`` placeholders (a node that
held its output tensor would keep itself alive). torch names each saved value after the
argument of the op it is (``self``, ``other``, ``exponent``) or ``result``; here those names
are read from the order of ``_saved``: inputs first (``self``, then ``other``), then outputs
(``result``), unless ``SAVED_NAMES`` lists an op's own names. The op's other saved values
(the dims of a sum, the exponent of ``x ** 2``) are attributes on the node; ``ATTRIBUTES``
maps torch's name to gradiente's.

Pack/unpack hooks (the "Hooks for saved tensors" tutorial): while a ``saved_tensors_hooks``
block is open, each tensor an op saves is replaced by ``pack_hook(tensor)``; backward reads it
back through ``unpack_hook`` (``Packed``). gradiente's ops keep some values as arrays on the
node instead (shapes, masks): hooks see the tensors of ``save_for_backward`` only.
"""

from __future__ import annotations

from gradiente.backend import xp

# torch's names of an op's saved values, where they are not (self, other, ..., result).
SAVED_NAMES = {
    "PowBackward1": ("self", "exponent", "result"),
    "PowBackward2": ("self", "exponent", "result"),
}

# The order in which torch saves (so packs, and unpacks) an op's tensors, where it is not the
# order of ``_saved``: its generated code saves them formula by formula, and mul's gradient
# for ``self`` needs ``other`` first.
PACK_ORDER = {"MulBackward0": (1, 0), "DivBackward0": (1, 0)}

# torch's name of a saved non-tensor value -> the node attribute that holds it, per node name.
_REDUCTION = {"dim": "dims", "keepdim": "keepdim", "self_sym_sizes": "shape"}
ATTRIBUTES = {
    "PowBackward0": {"exponent": "p"},
    "SumBackward1": _REDUCTION,
    "SumBackward0": {"self_sym_sizes": "shape"},
    "MeanBackward1": _REDUCTION,
    "MeanBackward0": {"self_sym_sizes": "shape"},
}

# The (pack_hook, unpack_hook) pairs of the open ``saved_tensors_hooks`` blocks, innermost last.
hooks_stack: list = []


def _function():
    from gradiente.autograd import function  # the module that imports this one

    return function


def names_of(node) -> tuple:
    """torch's name of each entry of ``node._saved``, in order."""
    names = SAVED_NAMES.get(node.name())
    if names is not None:
        return names
    SavedOutput = _function()._SavedOutput
    inputs, outputs = ("self", "other", "tensor1", "tensor2"), []
    named, n_inputs = [], 0
    for item in node._saved:
        if isinstance(item, SavedOutput) or (isinstance(item, Packed) and item.is_output):
            outputs.append(item)
            named.append("result")
        else:
            named.append(inputs[n_inputs] if n_inputs < len(inputs) else f"input{n_inputs}")
            n_inputs += 1
    if len(outputs) > 1:  # several outputs saved: result0, result1, ... as torch
        k = 0
        for i, name in enumerate(named):
            if name == "result":
                named[i], k = f"result{k}", k + 1
    return tuple(named)


def lookup(node, attribute: str):
    """``node._saved_<name>`` (the value) or ``node._raw_saved_<name>`` (a ``SavedTensor``)."""
    raw = attribute.startswith("_raw_saved_")
    name = attribute.removeprefix("_raw_saved_" if raw else "_saved_")
    alias = ATTRIBUTES.get(node.name(), {}).get(name)
    if alias is not None and not raw and alias in node.__dict__:
        value = node.__dict__[alias]
        return tuple(value) if isinstance(value, (tuple, list)) else value
    names = names_of(node) if node._saved or node._freed else ()
    if name not in names and not (node._freed and name in ("self", "other", "result")):
        raise AttributeError(f"'{type(node).__name__}' object has no attribute '{attribute}'")
    if node._freed:
        raise RuntimeError(_function().FREED_MESSAGE)
    index = names.index(name)
    if raw:
        return SavedTensor(node, index)
    return _value(node, node._saved[index], index)


def _value(node, item, index: int):
    """One saved entry as torch hands it out: the tensor (None when the op saved nothing
    there), a Python number as a tensor (torch wraps it when the op is called)."""
    function = _function()
    if item is None:
        return None
    if isinstance(item, function._Tensor):
        counter = item._version_counter
        if counter is not None and index < len(node._saved_versions):
            version = node._saved_versions[index]
            function._check_version(
                counter, version, item._data, node, item.grad_fn, item._output_nr
            )
        return item
    if isinstance(item, (function._SavedOutput, Packed)):
        return function.unpack_saved(node, item)
    return function._Tensor._make(xp.asarray(item), False, None)


class SavedTensor:
    """``grad_fn._raw_saved_self``: one saved tensor, on which ``register_hooks(pack_hook,
    unpack_hook)`` packs it now and unpacks it when backward reads it."""

    def __init__(self, node, index: int):
        self._node = node
        self._index = index

    def register_hooks(self, pack_hook, unpack_hook) -> None:
        node = self._node
        saved = list(node._saved)
        item = saved[self._index]
        if item is None:
            raise RuntimeError(
                "None is forbidden as a saved tensor: cannot register hooks on an undefined "
                "SavedVariable"
            )
        if isinstance(item, Packed):
            raise RuntimeError(
                "Calling register_hooks on a saved tensor whose hooks have already been set. "
                "Hint: only one pair of hooks is allowed at a time."
            )
        if not callable(pack_hook) or not callable(unpack_hook):
            raise TypeError("Expected both pack_hook and unpack_hook to be callable")
        # torch hands these hooks the saved values alone, outside the graph
        detached = _function()._Tensor._make(_array_of(item), False, None)
        packed = Packed(pack_hook(detached), unpack_hook, False, detached)
        packed.restore_from(item, node)
        saved[self._index] = packed
        node._saved = tuple(saved)


def _array_of(item):
    return item.array if isinstance(item, _function()._SavedOutput) else item._data


class Packed:
    """A saved tensor replaced by what ``pack_hook`` returned, with what is needed to give
    back a tensor of the same graph: its ``grad_fn`` (or leaf accumulator) and output slot."""

    __slots__ = ("packed", "unpack_hook", "is_output", "grad_fn", "output_nr", "requires_grad")

    def __init__(self, packed, unpack_hook, is_output: bool, tensor):
        self.packed = packed
        self.unpack_hook = unpack_hook
        self.is_output = is_output
        self.grad_fn = tensor if tensor.grad_fn is None else tensor.grad_fn
        self.output_nr = tensor._output_nr
        self.requires_grad = tensor._requires_grad

    def restore_from(self, item, node) -> None:
        """Give the unpacked tensor the graph place of saved entry ``item`` of ``node``."""
        if isinstance(item, _function()._SavedOutput):
            self.is_output, self.output_nr = True, item.output_nr
        else:
            self.grad_fn = item if item.grad_fn is None else item.grad_fn
            self.output_nr, self.requires_grad = item._output_nr, item._requires_grad

    def unpack(self, node):
        """``unpack_hook(packed)`` as a tensor with the saved tensor's place in the graph."""
        from gradiente.autograd.grad_mode import grad_state

        tensor = self.unpack_hook(self.packed)
        Tensor = _function()._Tensor
        if not isinstance(tensor, Tensor):
            raise TypeError(
                "Output of saved tensor unpack_hook expected to be a Tensor but got result of "
                f"type {type(tensor).__name__}"
            )
        if self.is_output:
            out = Tensor._make(tensor._data, grad_state.enabled, node)
        elif isinstance(self.grad_fn, Tensor):  # a leaf: the leaf's own accumulator
            out = Tensor._make(tensor._data, self.requires_grad, None)
            out._accumulator = self.grad_fn._accumulator
        else:
            out = Tensor._make(tensor._data, self.requires_grad, self.grad_fn)
        out._output_nr = self.output_nr
        return out


def pack(node, item, pack_hook, unpack_hook):
    """Saved entry ``item`` of ``node`` as ``pack_hook`` packs it (an output as a tensor of
    the node, as torch passes it)."""
    function = _function()
    if isinstance(item, function._SavedOutput):
        tensor = function._Tensor._make(item.array, True, node)
        tensor._output_nr = item.output_nr
        return Packed(pack_hook(tensor), unpack_hook, True, tensor)
    if isinstance(item, function._Tensor):
        return Packed(pack_hook(item), unpack_hook, False, item)
    return item


def pack_saved(node) -> None:
    """Pack every tensor ``node`` saved with the innermost ``saved_tensors_hooks`` pair, in
    torch's order (``PACK_ORDER``)."""
    pack_hook, unpack_hook = hooks_stack[-1]
    saved = list(node._saved)
    order = PACK_ORDER.get(node.name(), range(len(saved)))
    for i in order:
        saved[i] = pack(node, saved[i], pack_hook, unpack_hook)
    for i in range(len(order), len(saved)):  # past the order's end (not a 2-tensor save)
        saved[i] = pack(node, saved[i], pack_hook, unpack_hook)
    node._saved = tuple(saved)


def unpack_all(node) -> tuple:
    """``node.saved_tensors`` when hooks packed some: unpacked in the order they were packed
    (as torch), handed out in the order they were saved."""
    function = _function()
    saved = node._saved
    order = PACK_ORDER.get(node.name(), ())
    order = [i for i in order if i < len(saved)] + [i for i in range(len(saved)) if i not in order]
    out = [None] * len(saved)
    versions = node._saved_versions
    for i in order:
        item = saved[i]
        if isinstance(item, function._Tensor):
            if i < len(versions) and item._version_counter is not None:
                function._check_version(
                    item._version_counter,
                    versions[i],
                    item._data,
                    node,
                    item.grad_fn,
                    item._output_nr,
                )
            out[i] = item
        else:
            out[i] = function.unpack_saved(node, item)
    return tuple(out)
