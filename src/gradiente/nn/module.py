"""Module: the base class of every layer and model, with PyTorch's registration and state dict.

Assigning a ``Parameter``, a ``Module`` or a registered buffer as an attribute files it in one
of three ordered dicts (``_parameters``, ``_modules``, ``_buffers``), exactly like PyTorch.
Everything else — ``parameters()``, ``state_dict()``, ``to()``, ``train()``, the nested
``repr`` — is a walk over those dicts, so names and their order equal PyTorch's. The hook
machinery (handles, full backward hooks) is in ``nn/hooks.py``.
"""

from __future__ import annotations

import collections
import itertools
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping

from gradiente import backend as B
from gradiente.autograd.grad_mode import no_grad
from gradiente.nn.hooks import RemovableHandle, _add_hook, _BackwardHookState  # noqa: F401 (re-export)
from gradiente.nn.parameter import Parameter
from gradiente.tensor import Tensor, _check_device


class _IncompatibleKeys(
    collections.namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])
):
    """What ``load_state_dict`` returns: the keys it missed and the keys it did not expect."""

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


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
        setattr_(self, "_forward_hooks", OrderedDict())
        setattr_(self, "_forward_pre_hooks", OrderedDict())
        setattr_(self, "_backward_hooks", OrderedDict())

    def forward(self, *input):
        """The computation; every subclass overrides it. Call the module, not ``forward``."""
        raise NotImplementedError(
            f'Module [{type(self).__name__}] is missing the required "forward" function'
        )

    # ------------------------------------------------------------------------------ calling
    def __call__(self, *args, **kwargs):
        if not (self._forward_pre_hooks or self._forward_hooks or self._backward_hooks):
            return self.forward(*args, **kwargs)
        return self._call_with_hooks(args, kwargs)

    def _call_with_hooks(self, args: tuple, kwargs: dict):
        for hook in list(self._forward_pre_hooks.values()):
            result = hook(self, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
        backward_state = None
        if self._backward_hooks:
            backward_state = _BackwardHookState(self, list(self._backward_hooks.values()))
            args = backward_state.wrap_inputs(args)
        output = self.forward(*args, **kwargs)
        for hook in list(self._forward_hooks.values()):
            result = hook(self, args, output)
            if result is not None:
                output = result
        if backward_state is not None:
            output = backward_state.wrap_outputs(output)
        return output

    def register_forward_pre_hook(self, hook: Callable, *, prepend: bool = False):
        """Call ``hook(module, args)`` before ``forward``; it may return replacement args."""
        return _add_hook(self._forward_pre_hooks, hook, prepend)

    def register_forward_hook(self, hook: Callable, *, prepend: bool = False):
        """Call ``hook(module, args, output)`` after ``forward``; it may return a new output."""
        return _add_hook(self._forward_hooks, hook, prepend)

    def register_full_backward_hook(self, hook: Callable, prepend: bool = False):
        """Call ``hook(module, grad_input, grad_output)`` during backward.

        ``grad_input`` holds dL/d(input) for each positional argument of ``forward`` (None
        for non-tensors and inputs that need no gradient), ``grad_output`` dL/d(output). The
        hook may return a tuple that replaces ``grad_input``.
        """
        return _add_hook(self._backward_hooks, hook, prepend)

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
                if buffers is not None and name in buffers:
                    if value is not None and not isinstance(value, Tensor):
                        raise TypeError(
                            f"cannot assign '{_typename(value)}' as buffer '{name}' "
                            "(torch.Tensor or None expected)"
                        )
                    buffers[name] = value
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
                if param.grad is not None:
                    grad = fn(param.grad)
                    if grad is not param.grad:
                        param.grad = grad
        for name, buf in self._buffers.items():
            if buf is not None:
                self._buffers[name] = fn(buf)
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
        if dtype is None and target is None:
            return self
        return self._apply(
            lambda t: t.to(device=target, dtype=dtype if t.is_floating_point() else None)
        )

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
        the dict carries ``_metadata`` with each module's version.
        """
        if args:  # the old positional form state_dict(destination, prefix, keep_vars)
            names = ("destination", "prefix", "keep_vars")
            values = dict(zip(names, args, strict=False))
            destination = values.get("destination", destination)
            prefix = values.get("prefix", prefix)
            keep_vars = values.get("keep_vars", keep_vars)
        if destination is None:
            destination = OrderedDict()
            destination._metadata = OrderedDict()
        metadata = getattr(destination, "_metadata", None)
        if metadata is not None:
            metadata[prefix[:-1]] = {"version": self._version}
        for name, param in self._parameters.items():
            if param is not None:
                destination[prefix + name] = param if keep_vars else param.detach()
        for name, buf in self._buffers.items():
            if buf is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = buf if keep_vars else buf.detach()
        for name, module in self._modules.items():
            if module is not None:
                module.state_dict(
                    destination=destination, prefix=prefix + name + ".", keep_vars=keep_vars
                )
        return destination

    def _may_be_missing(self, name: str, version: int | None) -> bool:
        """Whether an entry absent from a loaded state dict is fine (older format versions)."""
        return False

    def load_state_dict(self, state_dict: Mapping, strict: bool = True, assign: bool = False):
        """Copy parameters and buffers from ``state_dict`` into this module.

        Everything is checked before anything is copied: with ``strict=True`` a missing or
        unexpected key raises RuntimeError, and a shape mismatch always does; then the module
        is left unchanged. Returns ``(missing_keys, unexpected_keys)``.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        metadata = getattr(state_dict, "_metadata", None)
        own, missing = {}, []
        for prefix, module in self.named_modules(remove_duplicate=False):
            local = {n: p for n, p in module._parameters.items() if p is not None}
            local.update(
                (n, b)
                for n, b in module._buffers.items()
                if b is not None and n not in module._non_persistent_buffers_set
            )
            version = None
            if metadata is not None:
                version = metadata.get(prefix, {}).get("version")
            dotted = prefix + "." if prefix else ""
            for name, tensor in local.items():
                key = dotted + name
                own[key] = tensor
                if key not in state_dict and not module._may_be_missing(name, version):
                    missing.append(key)
        unexpected = [k for k in state_dict if k not in own]
        errors = []
        if strict and missing:
            keys = ", ".join(f'"{k}"' for k in missing)
            errors.append(f"Missing key(s) in state_dict: {keys}. ")
        if strict and unexpected:
            keys = ", ".join(f'"{k}"' for k in unexpected)
            errors.append(f"Unexpected key(s) in state_dict: {keys}. ")
        for key, value in state_dict.items():
            if key not in own:
                continue
            if not isinstance(value, Tensor):
                errors.append(
                    f'While copying the parameter named "{key}", expected torch.Tensor or '
                    f"Tensor-like object from checkpoint but received {type(value)}"
                )
            elif value.shape != own[key].shape:
                errors.append(
                    f"size mismatch for {key}: copying a param with shape {value.shape} from "
                    f"checkpoint, the shape in current model is {own[key].shape}."
                )
        if errors:
            raise RuntimeError(
                f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                + "\n\t".join(errors)
            )
        with no_grad():
            for key, value in state_dict.items():
                if key not in own:
                    continue
                if assign:
                    self._assign(key, value, own[key])
                else:
                    own[key].copy_(value)
        return _IncompatibleKeys(missing, unexpected)

    def _assign(self, key: str, value: Tensor, current: Tensor) -> None:
        module_path, _, name = key.rpartition(".")
        mod = self.get_submodule(module_path)
        if isinstance(current, Parameter):
            mod._parameters[name] = Parameter(value.detach(), current.requires_grad)
        else:
            mod._buffers[name] = value.detach()

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
        for name in ("_forward_hooks", "_forward_pre_hooks", "_backward_hooks"):
            self.__dict__.setdefault(name, OrderedDict())
        self.__dict__.setdefault("_non_persistent_buffers_set", set())


# ---------------------------------------------------------------------------------- helpers


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
