"""The hook machinery of ``Module``: handles, global hooks, full and legacy backward hooks.

``Module.register_*_hook`` file a hook in an ordered dict under a fresh id (flags such as
``with_kwargs`` in side dicts under the same id); the ``RemovableHandle`` they return deletes
it again. The ``register_module_*_hook`` functions here file hooks that every module runs
(torch.nn.modules.module's global hooks). A full backward hook needs both sides of the module
during backward: the call wraps the module's inputs and outputs in an identity ``Function`` each
(``_BackwardHookIdentity``), whose backward sees dL/d(output) and dL/d(input) and hands them to
``_BackwardHookState``, which calls the backward pre-hooks ``hook(module, grad_output)`` and
then ``hook(module, grad_input, grad_output)``. A legacy (``register_backward_hook``) hook is
instead a hook on the ``grad_fn`` of the module's output, as in torch.
"""

from __future__ import annotations

import functools
import warnings
import weakref
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING

from gradiente.autograd.function import Function
from gradiente.autograd.grad_mode import is_grad_enabled
from gradiente.tensor import Tensor, as_tensor, zeros_like

if TYPE_CHECKING:
    from gradiente.nn.module import Module


class RemovableHandle:
    """Returned by the ``register_*_hook`` methods: ``handle.remove()`` unregisters the hook
    (torch's ``torch.utils.hooks.RemovableHandle``).

    ``id`` is the hook's key in ``hooks_dict``, unique over the program; ``extra_dict`` (a dict
    or a list of dicts) holds flags filed under the same id (``with_kwargs``, ``always_call``),
    removed with the hook. The dicts are held weakly, so a handle does not keep a deleted
    module's hooks alive. ``with handle:`` removes the hook at the end of the block.
    """

    next_id: int = 0

    def __init__(self, hooks_dict: dict, *, extra_dict=None) -> None:
        self.hooks_dict_ref = weakref.ref(hooks_dict)
        self.id = RemovableHandle.next_id
        RemovableHandle.next_id += 1
        if isinstance(extra_dict, dict):
            extra_dict = [extra_dict]
        self.extra_dict_ref = tuple(weakref.ref(d) for d in extra_dict or ())

    def remove(self) -> None:
        for ref in (self.hooks_dict_ref, *self.extra_dict_ref):
            d = ref()
            if d is not None:
                d.pop(self.id, None)

    def __getstate__(self):
        return (self.hooks_dict_ref(), self.id, tuple(ref() for ref in self.extra_dict_ref))

    def __setstate__(self, state) -> None:
        hooks_dict = state[0] if state[0] is not None else OrderedDict()  # dead: nothing to remove
        self.hooks_dict_ref = weakref.ref(hooks_dict)
        self.id = state[1]
        RemovableHandle.next_id = max(RemovableHandle.next_id, self.id + 1)
        extra = state[2] if len(state) > 2 and state[2] is not None else ()
        self.extra_dict_ref = tuple(weakref.ref(d) for d in extra)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


def _add_hook(
    hooks: OrderedDict, hook: Callable, prepend: bool = False, flags: tuple = ()
) -> RemovableHandle:
    """File ``hook`` in ``hooks`` under a fresh id (first with ``prepend``); ``flags`` holds
    (flag dict, on) pairs: the dicts, such as ``_forward_hooks_with_kwargs``, in which the id
    is marked when ``on``, and from which the handle removes it."""
    handle = RemovableHandle(hooks, extra_dict=[flag_dict for flag_dict, _ in flags])
    hooks[handle.id] = hook
    for flag_dict, on in flags:
        if on:
            flag_dict[handle.id] = True
    if prepend:
        hooks.move_to_end(handle.id, last=False)
    return handle


class _WrappedHook:
    """A hook bound to a module held weakly: ``wrapped(*args)`` is ``hook(module, *args)``
    (torch's helper for ``register_load_state_dict_pre_hook`` and legacy backward hooks)."""

    def __init__(self, hook: Callable, module: Module | None = None) -> None:
        self.hook = hook
        functools.update_wrapper(self, hook)
        self.module = None if module is None else weakref.ref(module)

    def __call__(self, *args, **kwargs):
        if self.module is None:
            return self.hook(*args, **kwargs)
        module = self.module()
        if module is None:
            raise RuntimeError("You are trying to call the hook of a dead Module!")
        return self.hook(module, *args, **kwargs)


# ---------------------------------------------------------------------------------------------
# Global hooks: called for every module (torch.nn.modules.module.register_module_*_hook)
# ---------------------------------------------------------------------------------------------

_global_forward_pre_hooks: OrderedDict = OrderedDict()
_global_forward_hooks: OrderedDict = OrderedDict()
_global_forward_hooks_with_kwargs: OrderedDict = OrderedDict()
_global_forward_hooks_always_called: OrderedDict = OrderedDict()
_global_backward_pre_hooks: OrderedDict = OrderedDict()
_global_backward_hooks: OrderedDict = OrderedDict()
_global_is_full_backward_hook: bool | None = None


def register_module_forward_pre_hook(hook: Callable) -> RemovableHandle:
    """Call ``hook(module, args)`` before every module's ``forward`` (before its own
    pre-hooks); it may return replacement args. A debugging and profiling aid."""
    return _add_hook(_global_forward_pre_hooks, hook)


def register_module_forward_hook(
    hook: Callable, *, with_kwargs: bool = False, always_call: bool = False
) -> RemovableHandle:
    """Call ``hook(module, args, output)`` (with ``with_kwargs``:
    ``hook(module, args, kwargs, output)``) after every module's ``forward``, before its own
    forward hooks; it may return a new output. ``always_call`` runs it even when ``forward``
    raises."""
    flags = (
        (_global_forward_hooks_with_kwargs, with_kwargs),
        (_global_forward_hooks_always_called, always_call),
    )
    return _add_hook(_global_forward_hooks, hook, flags=flags)


def register_module_full_backward_pre_hook(hook: Callable) -> RemovableHandle:
    """Call ``hook(module, grad_output)`` for every module when backward reaches its outputs."""
    return _add_hook(_global_backward_pre_hooks, hook)


def register_module_full_backward_hook(hook: Callable) -> RemovableHandle:
    """Call ``hook(module, grad_input, grad_output)`` for every module during backward."""
    global _global_is_full_backward_hook
    if _global_is_full_backward_hook is False:
        raise RuntimeError(
            "Cannot use both regular backward hooks and full backward hooks as a global Module "
            "hook. Please use only one of them."
        )
    _global_is_full_backward_hook = True
    return _add_hook(_global_backward_hooks, hook)


def register_module_backward_hook(hook: Callable) -> RemovableHandle:
    """The legacy global backward hook (deprecated in torch): see
    ``Module.register_backward_hook``."""
    global _global_is_full_backward_hook
    if _global_is_full_backward_hook is True:
        raise RuntimeError(
            "Cannot use both regular backward hooks and full backward hooks as a global Module "
            "hook. Please use only one of them."
        )
    _global_is_full_backward_hook = False
    return _add_hook(_global_backward_hooks, hook)


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
    """What one call of a module with full backward (pre-)hooks remembers until backward
    reaches it (torch's ``torch.utils.hooks.BackwardHook``).

    When backward reaches the outputs, the pre-hooks see (and may replace) ``grad_output``;
    when it reaches the inputs, the hooks see ``grad_input`` — one entry per positional
    argument: None for a non-tensor, zeros for a tensor that needs no gradient — and may
    replace it. Inputs are wrapped only when one of them needs a gradient and grad mode is on;
    otherwise the hooks run as soon as ``grad_output`` is known, with ``grad_input`` all None.
    """

    def __init__(self, module: Module, hooks: list, pre_hooks: list):
        self.module = module
        self.hooks = hooks
        self.pre_hooks = pre_hooks
        self.n_inputs = 0
        self.input_tensors: list[int] | None = None  # positions of the tensor arguments
        self.input_positions: list[int] = []  # those wrapped: the ones needing a gradient
        self.zero_inputs: dict[int, Tensor] = {}
        self.grad_output = None

    def wrap_inputs(self, args: tuple) -> tuple:
        self.n_inputs = len(args)
        tensors = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        self.input_positions = [i for i in tensors if args[i].requires_grad]
        if not (self.input_positions and is_grad_enabled()):
            self.input_positions = []
            return args
        self.input_tensors = tensors
        # torch's identity node passes (zero) gradients for the tensors that need none
        self.zero_inputs = {i: args[i] for i in tensors if not args[i].requires_grad}
        return tuple(self._wrap_at("input", args, self.input_positions))

    def wrap_outputs(self, output):
        if not isinstance(output, (Tensor, tuple)):
            warnings.warn(
                "For backward hooks to be called, module output should be a Tensor or a tuple "
                f"of Tensors but received {type(output)}",
                stacklevel=4,
            )
        single = not isinstance(output, tuple)
        outputs = (output,) if single else output
        positions = [i for i, o in enumerate(outputs) if isinstance(o, Tensor) and o.requires_grad]
        if not (positions and is_grad_enabled()):
            return output
        self.output_positions, self.n_outputs = positions, len(outputs)
        outputs = self._wrap_at("output", outputs, positions)
        return outputs[0] if single else tuple(outputs)

    def _wrap_at(self, side: str, values, positions: list[int]) -> list:
        """``values`` with the tensors at ``positions`` replaced by one identity node's outputs."""
        wrapped = _BackwardHookIdentity.apply(self, side, *(values[i] for i in positions))
        values = list(values)
        for k, (i, t) in enumerate(zip(positions, wrapped, strict=True)):
            # torch's identity returns views of its inputs: writing into them in place would
            # bypass the hooks, so it is refused (``Tensor._check_inplace``), as in torch
            t._custom_function_output = f"Output {k} of BackwardHookFunction"
            values[i] = t
        return values

    def outputs_done(self, grads: tuple) -> tuple:
        full = [None] * self.n_outputs
        for i, g in zip(self.output_positions, grads, strict=True):
            full[i] = g
        self.grad_output = tuple(full)
        for hook in self.pre_hooks:
            result = hook(self.module, self.grad_output)
            if result is None:
                continue
            if len(result) != len(self.grad_output):
                raise RuntimeError(
                    "Backward pre hook returned an invalid number of grad_output, got "
                    f"{len(result)}, but expected {len(self.grad_output)}"
                )
            self.grad_output = result
        grad_output = self.grad_output
        if self.input_tensors is None:
            # No input needs a gradient: the hooks run now, with grad_input all None.
            warnings.warn(
                "Full backward hook is firing when gradients are computed with respect to "
                "module outputs since no inputs require gradients. See "
                "https://docs.pytorch.org/docs/main/generated/torch.nn.Module.html"
                "#torch.nn.Module.register_full_backward_hook for more details.",
                stacklevel=2,
            )
            for hook in self.hooks:
                result = hook(self.module, (None,) * self.n_inputs, grad_output)
                if result is not None and not (
                    isinstance(result, tuple) and all(r is None for r in result)
                ):
                    raise RuntimeError(
                        "Backward hook for Modules where no input requires gradient should "
                        "always return None or None for all gradients."
                    )
            self.grad_output = None
        return tuple(grad_output[i] for i in self.output_positions)

    def inputs_done(self, grads: tuple) -> tuple:
        if self.grad_output is None:
            # the gradient reached the inputs without passing the outputs (double backward)
            return grads
        full: list = [None] * self.n_inputs
        for i, t in self.zero_inputs.items():
            full[i] = zeros_like(t)
        for i, g in zip(self.input_positions, grads, strict=True):
            full[i] = g
        grad_input = tuple(full)
        for hook in self.hooks:
            result = hook(self.module, grad_input, self.grad_output)
            if result is None:
                continue
            if len(result) != len(grad_input):
                raise RuntimeError(
                    f"Backward hook returned an invalid number of grad_input, got "
                    f"{len(result)}, but expected {len(grad_input)}"
                )
            grad_input = tuple(result)
        self.grad_output = None
        return tuple(grad_input[i] for i in self.input_positions)


def _first_tensor(output):
    """The tensor whose ``grad_fn`` a legacy backward hook attaches to: the output itself, or
    the first tensor found going into dict values and first elements (torch's search)."""
    while not isinstance(output, Tensor):
        if isinstance(output, dict):
            output = next(v for v in output.values() if isinstance(v, Tensor))
        else:
            output = output[0]
    return output


class _LegacyHook(_WrappedHook):
    """A legacy backward hook on a node: ``hook(module, grad_input, grad_output)`` with the
    node's gradients as tensors (a node's backward may hand the engine bare arrays)."""

    def __call__(self, grad_inputs, grad_outputs):
        return super().__call__(_tensors(grad_inputs), _tensors(grad_outputs))


def _tensors(grads: tuple) -> tuple:
    return tuple(g if g is None or isinstance(g, Tensor) else as_tensor(g) for g in grads)


def attach_legacy_backward_hooks(module: Module, hooks: list, args: tuple, output) -> None:
    """``register_backward_hook``'s deprecated semantics: each hook becomes a hook of the
    ``grad_fn`` of the module's (first) output, called as ``hook(module, grad_input,
    grad_output)`` with that one node's gradients — the gradients of the *last operation* of
    ``forward``, which are the module's only when ``forward`` is one operation. torch's
    FutureWarnings say when they are not."""
    grad_fn = _first_tensor(output).grad_fn
    if grad_fn is None:
        return
    for hook in hooks:
        grad_fn.register_hook(_LegacyHook(hook, module))
    _warn_legacy_backward_hook(args, output, grad_fn)


_LEGACY_WARNINGS = {
    "output": "Using non-full backward hooks on a Module that does not return a single Tensor or "
    "a tuple of Tensors is deprecated and will be removed in future versions. This hook will "
    "be missing some of the grad_output. Please use register_full_backward_hook to get the "
    "documented behavior.",
    "input": "Using non-full backward hooks on a Module that does not take as input a single "
    "Tensor or a tuple of Tensors is deprecated and will be removed in future versions. This "
    "hook will be missing some of the grad_input. Please use register_full_backward_hook to get "
    "the documented behavior.",
    "nested": "Using a non-full backward hook when outputs are nested in python data structure "
    "is deprecated and will be removed in future versions. This hook will be missing some "
    "grad_output.",
    "nodes": "Using a non-full backward hook when outputs are generated by different autograd "
    "Nodes is deprecated and will be removed in future versions. This hook will be missing some "
    "grad_output. Please use register_full_backward_hook to get the documented behavior.",
    "inner": "Using a non-full backward hook when the forward contains multiple autograd Nodes "
    "is deprecated and will be removed in future versions. This hook will be missing some "
    "grad_input. Please use register_full_backward_hook to get the documented behavior.",
}


def _warn_legacy_backward_hook(inputs, result, grad_fn) -> None:
    """torch's FutureWarnings for a legacy backward hook that will not see the module's whole
    gradients (``Module._maybe_warn_non_full_backward_hook``)."""

    def warn(kind: str) -> None:
        warnings.warn(_LEGACY_WARNINGS[kind], FutureWarning, stacklevel=4)

    result = (result,) if isinstance(result, Tensor) else result
    if not (isinstance(result, tuple) and all(isinstance(r, Tensor) for r in result)):
        return warn("output")
    inputs = (inputs,) if isinstance(inputs, Tensor) else inputs
    if not (isinstance(inputs, tuple) and all(isinstance(i, Tensor) for i in inputs)):
        return warn("input")
    out_grad_fns = {r.grad_fn for r in result if r.grad_fn is not None}
    if not out_grad_fns or (len(out_grad_fns) == 1 and grad_fn not in out_grad_fns):
        return warn("nested")
    if len(out_grad_fns) > 1:
        return warn("nodes")
    inputs_grad_fns = {i.grad_fn for i in inputs if i.grad_fn is not None}
    if inputs_grad_fns != {node for node, _ in grad_fn.next_functions}:
        warn("inner")
