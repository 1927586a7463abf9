"""The hook machinery of ``Module``: handles, forward hooks' registration, full backward hooks.

``register_forward_pre_hook``/``register_forward_hook``/``register_full_backward_hook`` (methods
of ``Module``) file a hook in an ordered dict under a fresh id; the ``RemovableHandle`` they
return deletes it again. A full backward hook needs both sides of the module during backward:
the call wraps the module's inputs and outputs in an identity ``Function`` each
(``_BackwardHookIdentity``), whose backward sees dL/d(output) and dL/d(input) and hands them to
``_BackwardHookState``, which calls ``hook(module, grad_input, grad_output)``.
"""

from __future__ import annotations

import itertools
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING

from gradiente.autograd.function import Function
from gradiente.tensor import Tensor

if TYPE_CHECKING:
    from gradiente.nn.module import Module


class RemovableHandle:
    """Returned by the ``register_*_hook`` methods: ``handle.remove()`` unregisters the hook."""

    _next_id = itertools.count()

    def __init__(self, hooks_dict: dict):
        self.hooks_dict = hooks_dict
        self.id = next(RemovableHandle._next_id)

    def remove(self) -> None:
        self.hooks_dict.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


def _add_hook(hooks: OrderedDict, hook: Callable, prepend: bool) -> RemovableHandle:
    handle = RemovableHandle(hooks)
    hooks[handle.id] = hook
    if prepend:
        hooks.move_to_end(handle.id, last=False)
    return handle


class _BackwardHookIdentity(Function):
    """Identity on a group of tensors whose backward calls the module's full backward hooks.

    One node wraps the module's outputs (its backward sees dL/d(output)); another wraps the
    inputs (its backward sees dL/d(input)): together they give ``hook(module, grad_input,
    grad_output)`` the two sides of the module, whatever its forward did in between.
    """

    backward_name = "BackwardHookFunctionBackward"

    @staticmethod
    def forward(ctx, state, side, *tensors):
        ctx.state, ctx.side = state, side
        return tensors

    @staticmethod
    def backward(ctx, *grads):
        if ctx.side == "output":
            grads = ctx.state.outputs_done(grads)
        else:
            grads = ctx.state.inputs_done(grads)
        return (None, None, *grads)


class _BackwardHookState:
    """What one call of a module with full backward hooks remembers until backward reaches it."""

    def __init__(self, module: Module, hooks: list):
        self.module = module
        self.hooks = hooks
        self.n_inputs = 0
        self.input_positions: list[int] = []
        self.grad_output = None

    def wrap_inputs(self, args: tuple) -> tuple:
        self.n_inputs = len(args)
        self.input_positions = [
            i for i, a in enumerate(args) if isinstance(a, Tensor) and a.requires_grad
        ]
        if not self.input_positions:
            return args
        return tuple(self._wrap_at("input", args, self.input_positions))

    def wrap_outputs(self, output):
        single = isinstance(output, Tensor)
        outputs = (output,) if single else output
        if not isinstance(outputs, tuple):
            return output
        positions = [i for i, o in enumerate(outputs) if isinstance(o, Tensor) and o.requires_grad]
        if not positions:
            return output
        self.output_positions, self.n_outputs = positions, len(outputs)
        outputs = self._wrap_at("output", outputs, positions)
        return outputs[0] if single else tuple(outputs)

    def _wrap_at(self, side: str, values, positions: list[int]) -> list:
        """``values`` with the tensors at ``positions`` replaced by one identity node's outputs."""
        wrapped = _BackwardHookIdentity.apply(self, side, *(values[i] for i in positions))
        values = list(values)
        for i, t in zip(positions, wrapped, strict=True):
            values[i] = t
        return values

    def outputs_done(self, grads: tuple) -> tuple:
        full = [None] * self.n_outputs
        for i, g in zip(self.output_positions, grads, strict=True):
            full[i] = g
        self.grad_output = tuple(full)
        if not self.input_positions:
            # No input needs a gradient: the hooks run now, with grad_input all None.
            self._call_hooks((None,) * self.n_inputs)
        return grads

    def inputs_done(self, grads: tuple) -> tuple:
        full = [None] * self.n_inputs
        for i, g in zip(self.input_positions, grads, strict=True):
            full[i] = g
        full = self._call_hooks(tuple(full))
        return tuple(full[i] for i in self.input_positions)

    def _call_hooks(self, grad_input: tuple) -> tuple:
        for hook in self.hooks:
            result = hook(self.module, grad_input, self.grad_output)
            if result is not None:
                result = tuple(result) if isinstance(result, (tuple, list)) else (result,)
                if len(result) != len(grad_input):
                    raise RuntimeError(
                        f"Backward hook returned an invalid number of grad_input, got "
                        f"{len(result)}, but expected {len(grad_input)}"
                    )
                grad_input = result
        return grad_input
