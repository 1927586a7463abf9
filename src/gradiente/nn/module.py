"""Module: the base class of every layer and model, with PyTorch's registration and state dict.

Assigning a ``Parameter``, a ``Module`` or a registered buffer as an attribute files it in one
of three ordered dicts (``_parameters``, ``_modules``, ``_buffers``), exactly like PyTorch.
Everything else — ``parameters()``, ``state_dict()``, ``to()``, ``train()``, the nested
``repr`` — is a walk over those dicts, so names and their order equal PyTorch's. The hook
machinery (handles, full backward hooks, the global hooks) is in ``nn/hooks.py``; this file
says when each hook runs (``_call_with_hooks``, ``state_dict``, ``load_state_dict``).
"""

from __future__ import annotations

import collections
import itertools
import warnings
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping

from gradiente import backend as B
from gradiente.autograd.grad_mode import no_grad
from gradiente.nn import hooks as _hooks
from gradiente.nn.buffer import Buffer
from gradiente.nn.hooks import (  # noqa: F401 (torch.nn.modules.module's names)
    RemovableHandle,
    _add_hook,
    _BackwardHookState,
    _global_backward_hooks,
    _global_backward_pre_hooks,
    _global_forward_hooks,
    _global_forward_pre_hooks,
    _WrappedHook,
    register_module_backward_hook,
    register_module_forward_hook,
    register_module_forward_pre_hook,
    register_module_full_backward_hook,
    register_module_full_backward_pre_hook,
)
from gradiente.nn.parameter import Parameter
from gradiente.tensor import Tensor, _check_device
from gradiente.tensor.factories import empty_like


class _IncompatibleKeys(
    collections.namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])
):
    """What ``load_state_dict`` returns: the keys it missed and the keys it did not expect."""

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


def consume_prefix_in_state_dict_if_present(state_dict: dict, prefix: str) -> None:
    """Strip ``prefix`` from the keys of ``state_dict`` that start with it, in place
    (``torch.nn.modules.utils.consume_prefix_in_state_dict_if_present``).

    A model wrapped in ``DataParallel`` or ``DistributedDataParallel`` saves its entries
    under ``"module."``; stripping it lets the plain model load that checkpoint. The
    per-module versions in ``state_dict._metadata`` are renamed the same way.
    """
    for key in list(state_dict.keys()):
        if key.startswith(prefix):
            state_dict[key[len(prefix) :]] = state_dict.pop(key)
    metadata = getattr(state_dict, "_metadata", None)
    if metadata is None:
        return
    for key in list(metadata.keys()):
        # "" is the wrapper itself, "module" the wrapped model, "module.fc" one of its children
        if key and (key == prefix.replace(".", "") or key.startswith(prefix)):
            metadata[key[len(prefix) :]] = metadata.pop(key)


def _addindent(text: str, spaces: int) -> str:
    """Indent every line but the first (PyTorch's helper for nested reprs)."""
    lines = text.split("\n")
    if len(lines) == 1:
        return text
    first = lines.pop(0)
    return first + "\n" + "\n".join(spaces * " " + line for line in lines)


def _zero_grads(params: Iterable[Tensor], set_to_none: bool = True) -> None:
    """Reset the gradients of ``params``: to ``None``, or to zeros detached from any graph.

    The one body of ``Module.zero_grad`` and ``Optimizer.zero_grad``.
    """
    for p in params:
        if p.grad is None:
            continue
        if set_to_none:
            p.grad = None
        else:
            if p.grad.grad_fn is not None:
                p.grad.detach_()
            else:
                p.grad.requires_grad_(False)
            p.grad.zero_()


# The ordered dicts of hooks (and of their flags, by hook id) every module carries.
_HOOK_DICTS = (
    "_forward_hooks",
    "_forward_hooks_with_kwargs",
    "_forward_hooks_always_called",
    "_forward_pre_hooks",
    "_forward_pre_hooks_with_kwargs",
    "_backward_hooks",
    "_backward_pre_hooks",
    "_state_dict_hooks",
    "_state_dict_pre_hooks",
    "_load_state_dict_pre_hooks",
    "_load_state_dict_post_hooks",
)

# state_dict's key of what ``get_extra_state`` returns (a module's non-tensor state)
_EXTRA_STATE_KEY_SUFFIX = "_extra_state"


class Module:
    """Base class for all neural network modules (``torch.nn.Module``).

    Subclasses call ``super().__init__()`` first, assign their parameters and sub-modules as
    attributes, and implement ``forward``; calling the module runs the hooks and ``forward``.
    """

    training: bool
    _version = 1

    def __init__(self, *args, **kwargs) -> None:
        if args or kwargs:
            raise TypeError(
                f"{type(self).__name__}.__init__() got unexpected arguments; Module.__init__ "
                "takes none"
            )
        # object.__setattr__: our own __setattr__ reads these dicts.
        setattr_ = object.__setattr__
        setattr_(self, "training", True)
        setattr_(self, "_parameters", {})
        setattr_(self, "_buffers", {})
        setattr_(self, "_non_persistent_buffers_set", set())
        setattr_(self, "_modules", {})
        for name in _HOOK_DICTS:
            setattr_(self, name, OrderedDict())
        setattr_(self, "_is_full_backward_hook", None)

    def forward(self, *input):
        """The computation; every subclass overrides it. Call the module, not ``forward``."""
        raise NotImplementedError(
            f'Module [{type(self).__name__}] is missing the required "forward" function'
        )

    # ------------------------------------------------------------------------------ calling
    def __call__(self, *args, **kwargs):
        if not (
            self._forward_pre_hooks
            or self._forward_hooks
            or self._backward_hooks
            or self._backward_pre_hooks
            or _global_forward_pre_hooks
            or _global_forward_hooks
            or _global_backward_pre_hooks
            or _global_backward_hooks
        ):
            return self.forward(*args, **kwargs)
        return self._call_with_hooks(args, kwargs)

    def _call_with_hooks(self, args: tuple, kwargs: dict):
        """``forward`` with the hooks around it, in torch's order: global then own forward
        pre-hooks, the full backward hooks' wrapping of the inputs, ``forward``, global then own
        forward hooks, the wrapping of the outputs, the legacy backward hooks. If ``forward``
        (or a hook) raises, the forward hooks registered with ``always_call`` that have not run
        yet still run, and the error propagates."""
        result = None
        called = set()  # the always_call hooks that ran
        try:
            for hook_id, hook in (
                *_hooks._global_forward_pre_hooks.items(),
                *self._forward_pre_hooks.items(),
            ):
                if hook_id in self._forward_pre_hooks_with_kwargs:
                    new = hook(self, args, kwargs)
                    if new is not None:
                        if not (isinstance(new, tuple) and len(new) == 2):
                            raise RuntimeError(
                                "forward pre-hook must return None or a tuple of "
                                f"(new_args, new_kwargs), but got {new}."
                            )
                        args, kwargs = new
                else:
                    new = hook(self, args)
                    if new is not None:
                        args = new if isinstance(new, tuple) else (new,)
            full_hooks, legacy_hooks = self._get_backward_hooks()
            pre_hooks = [*_hooks._global_backward_pre_hooks.values()]
            pre_hooks += self._backward_pre_hooks.values()
            backward_state = None
            if full_hooks or pre_hooks:
                backward_state = _BackwardHookState(self, full_hooks, pre_hooks)
                args = backward_state.wrap_inputs(args)
            result = self.forward(*args, **kwargs)
            for hook_id, hook in (
                *_hooks._global_forward_hooks.items(),
                *self._forward_hooks.items(),
            ):
                if self._always_called(hook_id):
                    called.add(hook_id)
                new = self._run_forward_hook(hook_id, hook, args, kwargs, result)
                if new is not None:
                    result = new
            if backward_state is not None:
                result = backward_state.wrap_outputs(result)
            if legacy_hooks:
                _hooks.attach_legacy_backward_hooks(self, legacy_hooks, args, result)
            return result
        except Exception:
            for hook_id, hook in (
                *_hooks._global_forward_hooks.items(),
                *self._forward_hooks.items(),
            ):
                if not self._always_called(hook_id) or hook_id in called:
                    continue
                try:
                    new = self._run_forward_hook(hook_id, hook, args, kwargs, result)
                    if new is not None:
                        result = new
                except Exception as error:
                    scope = "global module" if hook_id in _hooks._global_forward_hooks else "module"
                    warnings.warn(
                        f"{scope} forward hook with ``always_call=True`` raised an exception "
                        f"that was silenced as another error was raised in forward: {error}",
                        stacklevel=2,
                    )
            raise

    def _always_called(self, hook_id: int) -> bool:
        return (
            hook_id in self._forward_hooks_always_called
            or hook_id in _hooks._global_forward_hooks_always_called
        )

    def _run_forward_hook(self, hook_id: int, hook: Callable, args, kwargs, result):
        if (
            hook_id in self._forward_hooks_with_kwargs
            or hook_id in _hooks._global_forward_hooks_with_kwargs
        ):
            return hook(self, args, kwargs, result)
        return hook(self, args, result)

    def _get_backward_hooks(self) -> tuple[list, list]:
        """(full backward hooks, legacy backward hooks), the global ones first."""
        full, legacy = [], []
        for is_full, hooks in (
            (_hooks._global_is_full_backward_hook, _hooks._global_backward_hooks),
            (self._is_full_backward_hook, self._backward_hooks),
        ):
            if is_full is True:
                full += hooks.values()
            elif is_full is False:
                legacy += hooks.values()
        return full, legacy

    def register_forward_pre_hook(
        self, hook: Callable, *, prepend: bool = False, with_kwargs: bool = False
    ) -> RemovableHandle:
        """Call ``hook(module, args)`` before ``forward``; it may return replacement args.

        With ``with_kwargs=True`` it is ``hook(module, args, kwargs)`` and may return a new
        ``(args, kwargs)`` pair. ``prepend=True`` runs it before the hooks already there.
        """
        flags = ((self._forward_pre_hooks_with_kwargs, with_kwargs),)
        return _add_hook(self._forward_pre_hooks, hook, prepend, flags)

    def register_forward_hook(
        self,
        hook: Callable,
        *,
        prepend: bool = False,
        with_kwargs: bool = False,
        always_call: bool = False,
    ) -> RemovableHandle:
        """Call ``hook(module, args, output)`` after ``forward``; it may return a new output.

        With ``with_kwargs=True`` it is ``hook(module, args, kwargs, output)``; with
        ``always_call=True`` it also runs when ``forward`` raises (with ``output`` None).
        """
        flags = (
            (self._forward_hooks_with_kwargs, with_kwargs),
            (self._forward_hooks_always_called, always_call),
        )
        return _add_hook(self._forward_hooks, hook, prepend, flags)

    def register_full_backward_pre_hook(
        self, hook: Callable, prepend: bool = False
    ) -> RemovableHandle:
        """Call ``hook(module, grad_output)`` when backward reaches the module's outputs; it
        may return a tuple that replaces ``grad_output``."""
        return _add_hook(self._backward_pre_hooks, hook, prepend)

    def register_full_backward_hook(self, hook: Callable, prepend: bool = False):
        """Call ``hook(module, grad_input, grad_output)`` during backward.

        ``grad_input`` holds dL/d(input) for each positional argument of ``forward`` (None
        for non-tensors, zeros for tensors that need no gradient), ``grad_output``
        dL/d(output). The hook may return a tuple that replaces ``grad_input``.
        """
        if self._is_full_backward_hook is False:
            raise RuntimeError(
                "Cannot use both regular backward hooks and full backward hooks on a single "
                "Module. Please use only one of them."
            )
        self._is_full_backward_hook = True
        return _add_hook(self._backward_hooks, hook, prepend)

    def register_backward_hook(self, hook: Callable) -> RemovableHandle:
        """The deprecated backward hook: ``hook(module, grad_input, grad_output)`` with the
        gradients of the last operation of ``forward`` (its output's ``grad_fn``), which are the
        module's only for a one-operation ``forward``; prefer
        ``register_full_backward_hook``. Its return value is not used here."""
        if self._is_full_backward_hook is True:
            raise RuntimeError(
                "Cannot use both regular backward hooks and full backward hooks on a single "
                "Module. Please use only one of them."
            )
        self._is_full_backward_hook = False
        return _add_hook(self._backward_hooks, hook)

    # ------------------------------------------------------------------------------ attributes
    def __getattr__(self, name: str):
        # Only called when normal lookup fails: look in the three registries.
        d = self.__dict__
        if "_parameters" in d and name in d["_parameters"]:
            return d["_parameters"][name]
        if "_buffers" in d and name in d["_buffers"]:
            return d["_buffers"][name]
        if "_modules" in d and name in d["_modules"]:
            return d["_modules"][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __setattr__(self, name: str, value) -> None:
        d = self.__dict__
        params = d.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            _remove_from(name, d, d["_buffers"], d["_modules"], d["_non_persistent_buffers_set"])
            self.register_parameter(name, value)
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{_typename(value)}' as parameter '{name}' "
                    "(torch.nn.Parameter or None expected)"
                )
            self.register_parameter(name, value)
        else:
            modules = d.get("_modules")
            if isinstance(value, Module):
                if modules is None:
                    raise AttributeError("cannot assign module before Module.__init__() call")
                _remove_from(name, d, params, d["_buffers"], d["_non_persistent_buffers_set"])
                modules[name] = value
            elif modules is not None and name in modules:
                if value is not None:
                    raise TypeError(
                        f"cannot assign '{_typename(value)}' as child module '{name}' "
                        "(torch.nn.Module or None expected)"
                    )
                modules[name] = value
            else:
                buffers = d.get("_buffers")
                if isinstance(value, Buffer) or (buffers is not None and name in buffers):
                    if value is not None and not isinstance(value, Tensor):
                        raise TypeError(
                            f"cannot assign '{_typename(value)}' as buffer '{name}' "
                            "(torch.nn.Buffer, torch.Tensor or None expected)"
                        )
                    if isinstance(value, Buffer):
                        persistent = value.persistent
                    else:
                        persistent = name not in d["_non_persistent_buffers_set"]
                    self.register_buffer(name, value, persistent)
                else:
                    object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        d = self.__dict__
        if name in d.get("_parameters", ()):
            del d["_parameters"][name]
        elif name in d.get("_buffers", ()):
            del d["_buffers"][name]
            d["_non_persistent_buffers_set"].discard(name)
        elif name in d.get("_modules", ()):
            del d["_modules"][name]
        else:
            object.__delattr__(self, name)

    def __dir__(self):
        keys = list(super().__dir__())
        keys += list(self._parameters) + list(self._modules) + list(self._buffers)
        return sorted(k for k in set(keys) if not k[0].isdigit())

    # ------------------------------------------------------------------------------ registration
    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Add a tensor that is state but not a parameter (BatchNorm's ``running_mean``).

        Persistent buffers are saved in ``state_dict``; non-persistent ones are not.
        """
        _check_registration(self, "buffer", "_buffers", name, tensor, Tensor, "torch Tensor")
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add a parameter under ``name`` (``None`` declares an absent one, like a bias)."""
        _check_registration(
            self, "parameter", "_parameters", name, param, Parameter, "torch.nn.Parameter"
        )
        if param is not None and param.grad_fn is not None:
            raise ValueError(
                f"Cannot assign non-leaf Tensor to parameter '{name}'. Model parameters must be "
                f"created explicitly. To express '{name}' as a function of another Tensor, "
                "compute the value in the forward() method."
            )
        self._parameters[name] = param

    def add_module(self, name: str, module: Module | None) -> None:
        """Add a child module under ``name`` (also reachable as an attribute)."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{_typename(module)} is not a Module subclass")
        _check_name(self, name, "module", self._modules)
        self._modules[name] = module

    register_module = add_module

    def get_submodule(self, target: str) -> Module:
        """The sub-module at a dotted path such as ``"features.0"`` (``""`` is self)."""
        if target == "":
            return self
        mod = self
        for item in target.split("."):
            mod = _attribute_of_type(mod, item, Module)
        return mod

    def get_parameter(self, target: str) -> Parameter:
        """The parameter at a dotted path such as ``"0.weight"``."""
        module_path, _, name = target.rpartition(".")
        return _attribute_of_type(self.get_submodule(module_path), name, Parameter)

    def get_buffer(self, target: str) -> Tensor:
        """The buffer at a dotted path such as ``"bn.running_mean"``."""
        module_path, _, name = target.rpartition(".")
        mod = self.get_submodule(module_path)
        if name not in mod._buffers:
            raise AttributeError(f"`{name}` is not a buffer")
        return mod._buffers[name]

    def set_submodule(self, target: str, module: Module, strict: bool = False) -> None:
        """Put ``module`` at a dotted path such as ``"features.0"`` (model surgery). The parent
        must exist; ``strict=True`` also requires a submodule to be there already, to replace."""
        if target == "":
            raise ValueError("Cannot set the submodule without a target name!")
        if not isinstance(module, Module):
            raise ValueError(f"`module` is not an nn.Module, found {type(module)}")
        parent_path, _, name = target.rpartition(".")
        parent = self.get_submodule(parent_path)
        if strict and not hasattr(parent, name):
            raise AttributeError(f"{parent._get_name()} has no attribute `{name}`")
        if hasattr(parent, name) and not isinstance(getattr(parent, name), Module):
            raise AttributeError(f"`{name}` is not an nn.Module")
        setattr(parent, name, module)

    # ------------------------------------------------------------------------------ iteration
    def _named_members(self, get_members, prefix="", recurse=True, remove_duplicate=True):
        memo = set()
        modules = (
            self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
            if recurse
            else [(prefix, self)]
        )
        for module_prefix, module in modules:
            for k, v in get_members(module):
                if v is None or v in memo:
                    continue
                if remove_duplicate:
                    memo.add(v)
                yield (module_prefix + ("." if module_prefix else "") + k, v)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """The parameters of this module (and, with ``recurse``, of all sub-modules)."""
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_parameters(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Parameter]]:
        """(dotted name, parameter) pairs, e.g. ``("0.weight", ...)``; shared ones once."""
        yield from self._named_members(
            lambda m: m._parameters.items(), prefix, recurse, remove_duplicate
        )

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        """The buffers of this module (and, with ``recurse``, of all sub-modules)."""
        for _, buf in self.named_buffers(recurse=recurse):
            yield buf

    def named_buffers(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Tensor]]:
        """(dotted name, buffer) pairs, e.g. ``("1.running_mean", ...)``."""
        yield from self._named_members(
            lambda m: m._buffers.items(), prefix, recurse, remove_duplicate
        )

    def children(self) -> Iterator[Module]:
        """The immediate sub-modules."""
        for _, module in self.named_children():
            yield module

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """(name, module) for the immediate sub-modules, each module once."""
        memo = set()
        for name, module in self._modules.items():
            if module is not None and module not in memo:
                memo.add(module)
                yield name, module

    def modules(self) -> Iterator[Module]:
        """This module and all sub-modules, depth first (each once)."""
        for _, module in self.named_modules():
            yield module

    def named_modules(
        self, memo: set | None = None, prefix: str = "", remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Module]]:
        """(dotted name, module) for this module (name ``""``) and all sub-modules."""
        if memo is None:
            memo = set()
        if self in memo:
            return
        if remove_duplicate:
            memo.add(self)
        yield prefix, self
        for name, module in self._modules.items():
            if module is None:
                continue
            sub_prefix = prefix + ("." if prefix else "") + name
            yield from module.named_modules(memo, sub_prefix, remove_duplicate)

    # Modules hash and compare by identity (the memo sets above rely on it).
    __hash__ = object.__hash__

    # ------------------------------------------------------------------------------ modes
    def train(self, mode: bool = True) -> Module:
        """Set training mode (Dropout drops, BatchNorm uses batch statistics); returns self."""
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        self.training = mode
        for module in self.children():
            module.train(mode)
        return self

    def eval(self) -> Module:
        """Set evaluation mode: ``train(False)``."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Set ``requires_grad`` of every parameter (freeze with ``False``); returns self."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all parameters: to ``None`` (default) or to zeros."""
        _zero_grads(self.parameters(), set_to_none)

    # ------------------------------------------------------------------------------ conversion
    def _apply(self, fn: Callable[[Tensor], Tensor]) -> Module:
        """Apply ``fn`` to every parameter, gradient and buffer, keeping Parameter objects."""
        for module in self.children():
            module._apply(fn)
        with no_grad():
            for param in self._parameters.values():
                if param is None:
                    continue
                new = fn(param)
                if new is not param:
                    # Keep the same Parameter object, so references (optimizers) stay valid.
                    param._data = new._data
                    param.__dict__["_torch_layout"] = new.__dict__.get("_torch_layout", False)
                if param.grad is not None:
                    grad = fn(param.grad)
                    if grad is not param.grad:
                        param.grad = grad
        for name, buf in self._buffers.items():
            if buf is not None:
                self._buffers[name] = fn(buf)
        return self

    def to_empty(self, *, device, recurse: bool = True) -> Module:
        """Give every parameter and buffer (of the submodules too, with ``recurse``) new,
        uninitialised storage of the same shape and dtype on ``device``, to be filled by
        ``reset_parameters()`` or ``load_state_dict``. (torch uses it to materialise a module
        built on its "meta" device, which gradiente does not have.)"""
        _check_device(device)

        def empty(t: Tensor) -> Tensor:
            return empty_like(t, device=device)

        for module in self.modules() if recurse else (self,):
            with no_grad():
                for param in module._parameters.values():
                    if param is not None:
                        param._data = empty(param)._data  # the same Parameter object
                        if param.grad is not None:
                            param.grad = empty(param.grad)
            for name, buf in module._buffers.items():
                if buf is not None:
                    module._buffers[name] = empty(buf)
        return self

    def apply(self, fn: Callable[[Module], None]) -> Module:
        """Call ``fn`` on every sub-module (children first) and then on self; returns self.

        Typical use: custom initialisation, ``model.apply(init_weights)``.
        """
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    def to(self, *args, **kwargs) -> Module:
        """``to(dtype)``, ``to(device)``, ``to(tensor)``, ``to(device, dtype)``: in place.

        Only floating-point parameters and buffers change dtype (integer buffers such as
        ``num_batches_tracked`` stay int64). Parameters stay the same objects (their arrays
        move), so an optimizer built before ``model.to("cuda")`` keeps working; gradients and
        buffers move with them.
        """
        dtype, target = kwargs.get("dtype"), kwargs.get("device")
        for a in args:
            if isinstance(a, Tensor):
                dtype, target = a.dtype, a.device
            elif isinstance(a, B.dtype) or a in (float, int, bool):
                dtype = B.to_dtype(a)
            elif isinstance(a, str) and a.removeprefix("torch.") in B._BY_NAME:
                dtype = B.to_dtype(a)
            else:
                target = a
        _check_device(target)
        if dtype is not None:
            dtype = B.to_dtype(dtype)
            if not dtype.is_floating_point:
                raise TypeError(
                    f"nn.Module.to only accepts floating point or complex dtypes, but got "
                    f"desired dtype={dtype}"
                )
        layout = kwargs.get("memory_format")
        if dtype is None and target is None and layout is None:
            return self

        def convert(t: Tensor) -> Tensor:
            cast = dtype if t.is_floating_point() else None
            if layout is not None and t.ndim in (4, 5):  # torch converts 4-d and 5-d tensors
                return t.to(device=target, dtype=cast, memory_format=layout)
            return t.to(device=target, dtype=cast)

        return self._apply(convert)

    def float(self) -> Module:
        """Cast floating-point parameters and buffers to float32."""
        return self.to(B.float32)

    def double(self) -> Module:
        """Cast floating-point parameters and buffers to float64."""
        return self.to(B.float64)

    def half(self) -> Module:
        """Cast floating-point parameters and buffers to float16."""
        return self.to(B.float16)

    def bfloat16(self):
        """Cast floating-point parameters and buffers to bfloat16."""
        return self.to(B.bfloat16)

    def type(self, dst_type) -> Module:
        """Cast all parameters and buffers to ``dst_type``."""
        dst = B.to_dtype(dst_type)
        return self._apply(lambda t: t.to(dst))

    def cpu(self) -> Module:
        """Move parameters, gradients and buffers to host memory."""
        return self.to("cpu")

    def cuda(self, device=None) -> Module:
        """Move parameters, gradients and buffers to CUDA device ``device`` (default: current)."""
        if device is None:
            device = "cuda"
        elif isinstance(device, int):
            device = f"cuda:{device}"
        return self.to(device)

    def share_memory(self) -> Module:
        """Move every parameter and buffer to shared memory (``Tensor.share_memory_``)."""
        for t in itertools.chain(self.parameters(), self.buffers()):
            t.share_memory_()
        return self

    # ------------------------------------------------------------------------------ state dict
    def state_dict(self, *args, destination=None, prefix: str = "", keep_vars: bool = False):
        """An OrderedDict of parameters and persistent buffers by dotted name.

        Values are detached tensors sharing memory with the module (``keep_vars=True`` keeps
        the Parameters themselves). The keys and their order equal PyTorch's; like PyTorch,
        the dict carries ``_metadata`` with each module's version. A module that overrides
        ``get_extra_state`` adds its value under ``<prefix>_extra_state``. Each module's
        ``state_dict`` pre-hooks run before it saves, its post-hooks after its children.
        """
        if args:  # the old positional form state_dict(destination, prefix, keep_vars)
            warnings.warn(
                "Positional args are being deprecated, use kwargs instead. Refer to "
                "https://pytorch.org/docs/main/generated/torch.nn.Module.html"
                "#torch.nn.Module.state_dict for details.",
                FutureWarning,
                stacklevel=2,
            )
            names = ("destination", "prefix", "keep_vars")
            values = dict(zip(names, args, strict=False))
            destination = values.get("destination", destination)
            prefix = values.get("prefix", prefix)
            keep_vars = values.get("keep_vars", keep_vars)
        if destination is None:
            destination = OrderedDict()
            destination._metadata = OrderedDict()
        local_metadata = {"version": self._version}
        metadata = getattr(destination, "_metadata", None)
        if metadata is not None:
            metadata[prefix[:-1]] = local_metadata
        for hook in self._state_dict_pre_hooks.values():
            hook(self, prefix, keep_vars)
        self._save_to_state_dict(destination, prefix, keep_vars)
        for name, module in self._modules.items():
            if module is not None:
                module.state_dict(
                    destination=destination, prefix=prefix + name + ".", keep_vars=keep_vars
                )
        for hook in self._state_dict_hooks.values():
            result = hook(self, destination, prefix, local_metadata)
            if getattr(hook, "_from_public_api", False):
                if result is not None:
                    raise RuntimeError("state_dict post-hook must return None")
            elif result is not None:  # the private, older API may replace the dict
                destination = result
        return destination

    def _save_to_state_dict(self, destination, prefix: str, keep_vars: bool) -> None:
        """Put this module's own state (not its children's) into ``destination``."""
        for name, param in self._parameters.items():
            if param is not None:
                destination[prefix + name] = param if keep_vars else param.detach()
        for name, buf in self._buffers.items():
            if buf is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = buf if keep_vars else buf.detach()
        if _has_extra_state(self):
            destination[prefix + _EXTRA_STATE_KEY_SUFFIX] = self.get_extra_state()

    def get_extra_state(self):
        """Non-tensor state to save in ``state_dict`` (override together with
        ``set_extra_state``; the value should be picklable)."""
        raise RuntimeError(
            "Reached a code path in Module.get_extra_state() that should never be called. "
            "Please file an issue at https://github.com/pytorch/pytorch/issues/new?template="
            "bug-report.yml to report this bug."
        )

    def set_extra_state(self, state) -> None:
        """Restore what ``get_extra_state`` returned, from a loaded state dict."""
        raise RuntimeError(
            "Reached a code path in Module.set_extra_state() that should never be called. "
            "Please file an issue at https://github.com/pytorch/pytorch/issues/new?template="
            "bug-report.yml to report this bug."
        )

    def register_state_dict_pre_hook(self, hook: Callable) -> RemovableHandle:
        """Call ``hook(module, prefix, keep_vars)`` before ``module`` saves its state."""
        return _add_hook(self._state_dict_pre_hooks, hook)

    def register_state_dict_post_hook(self, hook: Callable) -> RemovableHandle:
        """Call ``hook(module, state_dict, prefix, local_metadata)`` after ``module`` (and its
        children) saved their state; it may change ``state_dict`` in place, and must return
        None."""
        hook._from_public_api = True
        return _add_hook(self._state_dict_hooks, hook)

    def _register_state_dict_hook(self, hook: Callable) -> RemovableHandle:
        """The older post-hook: like ``register_state_dict_post_hook``, but a returned dict
        replaces the state dict (respected at the root module only, as in torch)."""
        if getattr(hook, "_from_public_api", False):
            raise RuntimeError(
                "Cannot register the same function as the state dict post hook that was "
                "previously registered via register_state_dict_post_hook"
            )
        return _add_hook(self._state_dict_hooks, hook)

    def register_load_state_dict_pre_hook(self, hook: Callable) -> RemovableHandle:
        """Call ``hook(module, state_dict, prefix, local_metadata, strict, missing_keys,
        unexpected_keys, error_msgs)`` before ``module`` loads; it may edit ``state_dict`` in
        place (rename old keys, say)."""
        return self._register_load_state_dict_pre_hook(hook, with_module=True)

    def _register_load_state_dict_pre_hook(
        self, hook: Callable, with_module: bool = False
    ) -> RemovableHandle:
        """The same hook, called without ``module`` unless ``with_module``."""
        return _add_hook(
            self._load_state_dict_pre_hooks, _WrappedHook(hook, self if with_module else None)
        )

    def register_load_state_dict_post_hook(self, hook: Callable) -> RemovableHandle:
        """Call ``hook(module, incompatible_keys)`` after ``module`` and its children loaded;
        it may edit ``incompatible_keys.missing_keys``/``unexpected_keys`` in place (what
        ``strict`` then checks), and must return None."""
        return _add_hook(self._load_state_dict_post_hooks, hook)

    def _may_be_missing(self, name: str, version: int | None) -> bool:
        """Whether an entry absent from a loaded state dict is fine (older format versions)."""
        return False

    def _load_from_state_dict(
        self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs
    ) -> None:
        """Load this module's own parameters and buffers from ``state_dict`` (keys under
        ``prefix``), as torch's: ``load_state_dict`` calls it once per module, and a layer may
        override it — adjust ``state_dict`` (old key names, ``local_metadata["version"]``), then
        call ``super()._load_from_state_dict(...)``. Within ``load_state_dict`` the values are
        only planned here and copied once every module's part is known to be loadable."""
        if _active_plans:
            _active_plans[-1].plan_own(self, state_dict, prefix, local_metadata)
            return
        plan = _LoadPlan(None, local_metadata.get("assign_to_params_buffers", False))
        plan.missing, plan.unexpected, plan.errors = missing_keys, unexpected_keys, error_msgs
        plan.plan_own(self, state_dict, prefix, local_metadata)
        plan.copy()

    def load_state_dict(self, state_dict: Mapping, strict: bool = True, assign: bool = False):
        """Copy parameters and buffers from ``state_dict`` into this module.

        Modules are visited as torch visits them (a module, then its children with the keys
        under their prefix): each module's load pre-hooks may edit its part of the dict before
        it is read. Everything is checked before anything is copied: a shape mismatch raises
        RuntimeError and leaves the module unchanged, and so does, with ``strict=True``, a
        missing or unexpected key — unless some module has load post-hooks, which may clear
        those lists: then, as in torch, the module is loaded, the post-hooks run (children
        first), and ``strict`` checks what they left. Returns ``(missing_keys,
        unexpected_keys)``.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        metadata = getattr(state_dict, "_metadata", None)
        state_dict = OrderedDict(state_dict)  # the pre-hooks may edit it, not the caller's
        plan = _LoadPlan(metadata, assign)
        plan.visit(self, state_dict, "")
        if plan.errors:
            raise RuntimeError(plan.message(self, strict))
        has_post_hooks = any(m._load_state_dict_post_hooks for m in plan.post_order)
        if strict and not has_post_hooks and (plan.missing or plan.unexpected):
            raise RuntimeError(plan.message(self, strict))
        plan.copy()
        incompatible = _IncompatibleKeys(plan.missing, plan.unexpected)
        for module in plan.post_order:
            for hook in module._load_state_dict_post_hooks.values():
                if hook(module, incompatible) is not None:
                    raise AssertionError(
                        "Hooks registered with ``register_load_state_dict_post_hook`` are not "
                        "expected to return new values, if incompatible_keys need to be "
                        "modified, it should be done inplace."
                    )
        if strict and (plan.missing or plan.unexpected):
            raise RuntimeError(plan.message(self, strict))
        return incompatible

    # ------------------------------------------------------------------------------ repr
    def extra_repr(self) -> str:
        """The text inside this module's parentheses in ``repr`` (layers override it)."""
        return ""

    def _get_name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [
            f"({key}): " + _addindent(repr(module), 2) for key, module in self._modules.items()
        ]
        lines = extra_lines + child_lines
        main = self._get_name() + "("
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                main += extra_lines[0]
            else:
                main += "\n  " + "\n  ".join(lines) + "\n"
        return main + ")"

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        for name in _HOOK_DICTS:
            self.__dict__.setdefault(name, OrderedDict())
        self.__dict__.setdefault("_is_full_backward_hook", None)
        self.__dict__.setdefault("_non_persistent_buffers_set", set())


# ---------------------------------------------------------------------------------- helpers


def _has_extra_state(module: Module) -> bool:
    """Whether ``module``'s class overrides ``get_extra_state`` (only then is it saved)."""
    return type(module).get_extra_state is not Module.get_extra_state


_active_plans: list = []  # the load_state_dict plans now visiting modules (innermost last)


class _LoadPlan:
    """What ``load_state_dict`` will do, found before it does anything: the tensors to copy,
    the extra states to set, the missing and unexpected keys and the errors, in torch's order
    (``Module._load_from_state_dict`` over the tree)."""

    def __init__(self, metadata, assign: bool) -> None:
        self.metadata, self.assign = metadata, assign
        self.missing: list[str] = []
        self.unexpected: list[str] = []
        self.errors: list[str] = []
        self.copies: list[tuple[Module, str, Tensor, Tensor]] = []
        self.extra_states: list[tuple[Module, object]] = []
        self.post_order: list[Module] = []  # modules as their post-hooks run: children first

    def visit(self, module: Module, local: dict, prefix: str) -> None:
        """Plan ``module``'s part — its ``_load_from_state_dict``, which a layer may override
        (to rename old keys, say) and which plans through ``plan_own`` — then its children's."""
        local_metadata = {} if self.metadata is None else self.metadata.get(prefix[:-1], {})
        if self.assign:
            local_metadata["assign_to_params_buffers"] = self.assign
        _active_plans.append(self)
        try:
            module._load_from_state_dict(
                local, prefix, local_metadata, True, self.missing, self.unexpected, self.errors
            )
        finally:
            _active_plans.pop()
        for name, child in module._modules.items():
            if child is not None:
                child_prefix = prefix + name + "."
                child_local = {k: v for k, v in local.items() if k.startswith(child_prefix)}
                self.visit(child, child_local, child_prefix)
        self.post_order.append(module)

    def plan_own(self, module: Module, local: dict, prefix: str, local_metadata: dict) -> None:
        """Plan ``module``'s own parameters, buffers and extra state (after its pre-hooks
        edited ``local``) and note its unexpected keys."""
        for hook in module._load_state_dict_pre_hooks.values():
            hook(local, prefix, local_metadata, True, self.missing, self.unexpected, self.errors)
        own = {n: p for n, p in module._parameters.items() if p is not None}
        own.update(
            (n, b)
            for n, b in module._buffers.items()
            if b is not None and n not in module._non_persistent_buffers_set
        )
        version = local_metadata.get("version")
        for name, current in own.items():
            key = prefix + name
            if key not in local:
                if not module._may_be_missing(name, version):
                    self.missing.append(key)
                continue
            value = local[key]
            if not isinstance(value, Tensor):
                self.errors.append(
                    f'While copying the parameter named "{key}", expected torch.Tensor or '
                    f"Tensor-like object from checkpoint but received {type(value)}"
                )
            elif value.shape != current.shape:
                self.errors.append(
                    f"size mismatch for {key}: copying a param with shape {value.shape} from "
                    f"checkpoint, the shape in current model is {current.shape}."
                )
            else:
                self.copies.append((module, name, value, current))
        extra_key = prefix + _EXTRA_STATE_KEY_SUFFIX
        if type(module).set_extra_state is not Module.set_extra_state:
            if extra_key in local:
                self.extra_states.append((module, local[extra_key]))
            else:
                self.missing.append(extra_key)
        elif extra_key in local:
            self.unexpected.append(extra_key)
        for key in local:
            if not key.startswith(prefix) or key == extra_key:
                continue
            head, *rest = key[len(prefix) :].split(".", 1)
            if (rest and head not in module._modules) or (not rest and head not in own):
                self.unexpected.append(key)

    def message(self, module: Module, strict: bool) -> str:
        """torch's error text: missing, then unexpected keys (when strict), then the errors."""
        errors = list(self.errors)
        if strict and self.unexpected:
            keys = ", ".join(f'"{k}"' for k in self.unexpected)
            errors.insert(0, f"Unexpected key(s) in state_dict: {keys}. ")
        if strict and self.missing:
            keys = ", ".join(f'"{k}"' for k in self.missing)
            errors.insert(0, f"Missing key(s) in state_dict: {keys}. ")
        joined = "\n\t".join(errors)
        return f"Error(s) in loading state_dict for {type(module).__name__}:\n\t{joined}"

    def copy(self) -> None:
        """Copy (or, with ``assign``, put) the values in place; set the extra states."""
        with no_grad():
            for module, name, value, current in self.copies:
                if not self.assign:
                    current.copy_(value)
                elif isinstance(current, Parameter):
                    module._parameters[name] = Parameter(value.detach(), current.requires_grad)
                else:
                    module._buffers[name] = value.detach()
        for module, state in self.extra_states:
            module.set_extra_state(state)


def _typename(obj) -> str:
    if isinstance(obj, Tensor):
        return "torch.FloatTensor" if obj.dtype is B.float32 else obj.type()
    return type(obj).__name__


def _check_name(module: Module, name, kind: str, members: dict) -> None:
    """torch's checks of a ``kind`` name about to enter ``members``: a non-empty string
    without ".", and not already the name of another attribute."""
    if not isinstance(name, str):
        raise TypeError(f"{kind} name should be a string. Got {type(name).__name__}")
    if "." in name:
        raise KeyError(f'{kind} name can\'t contain "."')
    if name == "":
        raise KeyError(f'{kind} name can\'t be empty string ""')
    if hasattr(module, name) and name not in members:
        raise KeyError(f"attribute '{name}' already exists")


def _check_registration(
    module: Module, kind: str, table: str, name, value, cls: type, cls_name: str
) -> None:
    """What register_buffer and register_parameter check, in torch's order and words:
    ``Module.__init__`` has run (it creates ``table``), the name is free, and ``value`` is
    a ``cls`` or None."""
    if table not in module.__dict__:
        raise AttributeError(f"cannot assign {kind} before Module.__init__() call")
    _check_name(module, name, kind, module.__dict__[table])
    if value is not None and not isinstance(value, cls):
        raise TypeError(
            f"cannot assign '{_typename(value)}' object to {kind} '{name}' "
            f"({cls_name} or None required)"
        )


def _attribute_of_type(module: Module, name: str, cls: type):
    """``module.name``, which must exist and be an instance of ``cls`` (torch's messages)."""
    if not hasattr(module, name):
        raise AttributeError(f"{module._get_name()} has no attribute `{name}`")
    value = getattr(module, name)
    if not isinstance(value, cls):
        raise AttributeError(f"`{name}` is not an nn.{cls.__name__}")
    return value


def _remove_from(name: str, *dicts_or_sets) -> None:
    for d in dicts_or_sets:
        if d is None or name not in d:
            continue
        if isinstance(d, dict):
            del d[name]
        else:
            d.discard(name)
