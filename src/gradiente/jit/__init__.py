"""``torch.jit``, the eager stand-in: gradiente runs Python models as they are written.

TorchScript compiles a module or function into a graph that runs without Python. gradiente has
no compiler: ``script``, ``trace`` and ``trace_module`` return what they are given, unchanged,
so a script that calls them runs the same code eagerly and gets the same values (only the
speed-up and the serialized graph are missing). The decorators that steer the compiler
(``ignore``, ``unused``, ``export``, ``script_method``, ``interface``) return their function;
``is_scripting()`` and ``is_tracing()`` are False, as in eager PyTorch.

What needs a compiled graph cannot be had: ``jit.save`` and ``jit.load`` raise
``NotImplementedError`` naming the file; save the weights with ``torch.save(model.state_dict(),
path)`` and load them into the model class instead.
"""

from __future__ import annotations

import builtins
import typing

from gradiente.jit import annotations
from gradiente.nn import Module

Final = typing.Final  # a constant attribute of a module (a plain annotation here)

__all__ = [
    "Attribute",
    "Final",
    "ScriptFunction",
    "ScriptModule",
    "annotations",
    "export",
    "fork",
    "freeze",
    "ignore",
    "interface",
    "is_scripting",
    "is_tracing",
    "isinstance",
    "load",
    "optimize_for_inference",
    "save",
    "script",
    "script_method",
    "trace",
    "trace_module",
    "unused",
    "wait",
]


def script(obj, optimize=None, _frames_up=0, _rcb=None, example_inputs=None):
    """``obj`` itself (a module, function or class): it runs eagerly, as written."""
    return obj


def trace(func, example_inputs=None, optimize=None, check_trace=True, *args, **kwargs):
    """``func`` itself (a module or function): it runs eagerly, so every call follows its
    Python control flow (a traced graph would replay the example's path)."""
    return func


def trace_module(mod, inputs, optimize=None, check_trace=True, *args, **kwargs):
    """``mod`` itself: its methods run eagerly."""
    return mod


def freeze(mod, preserved_attrs=None, optimize_numerics=True):
    """``mod`` itself (freezing inlines a scripted module's attributes; nothing to inline)."""
    return mod


def optimize_for_inference(mod, other_methods=None):
    """``mod`` itself."""
    return mod


def ignore(drop=False, **kwargs):
    """Leave a function to Python (always so here); used bare (``@jit.ignore``) or called
    (``@jit.ignore(drop=True)``), it gives back the function unchanged."""
    if callable(drop):
        return drop
    return lambda fn: fn


def unused(fn):
    """Mark a method the compiler should skip: returns it unchanged."""
    return fn


def export(fn):
    """Mark a method to compile besides ``forward``: returns it unchanged."""
    return fn


def script_method(fn):
    """A ``ScriptModule`` method: returns it unchanged."""
    return fn


def interface(obj):
    """A TorchScript interface class: returns it unchanged."""
    return obj


def is_scripting() -> bool:
    """False: code never runs compiled under gradiente (as in eager PyTorch)."""
    return False


def is_tracing() -> bool:
    """False: no tracer records calls under gradiente."""
    return False


def isinstance(obj, target_type) -> bool:  # noqa: A001 (torch's name)
    """``isinstance`` that also understands ``List[int]``, ``Dict[str, Tensor]``, ... (checked
    on the container and each of its items, as TorchScript refines types)."""
    origin = typing.get_origin(target_type)
    if origin is None:
        return builtins.isinstance(obj, target_type)
    if origin is typing.Union:
        return any(isinstance(obj, option) for option in typing.get_args(target_type))
    if not builtins.isinstance(obj, origin):
        return False
    args = typing.get_args(target_type)
    if origin in (list, set, frozenset):
        return all(isinstance(item, args[0]) for item in obj)
    if origin is dict:
        return all(isinstance(k, args[0]) and isinstance(v, args[1]) for k, v in obj.items())
    if origin is tuple:
        return len(args) == len(obj) and all(map(isinstance, obj, args))
    return True


class Attribute:
    """``jit.Attribute(value, type)`` declares an attribute's type; it is ``value`` here."""

    def __new__(cls, value, type=None):  # noqa: A002 (torch's name)
        return value


class Future:
    """The result of ``fork``: the call already ran, ``wait()`` returns its value."""

    def __init__(self, value):
        self._value = value

    def wait(self):
        """The forked call's result."""
        return self._value


def fork(func, *args, **kwargs) -> Future:
    """Run ``func(*args, **kwargs)`` now (TorchScript may run it in parallel) as a Future."""
    return Future(func(*args, **kwargs))


def wait(future: Future):
    """The value of a ``fork``ed call."""
    return future.wait()


ScriptModule = Module  # a scripted module is the module itself
ScriptFunction = type(script)  # a scripted function is the plain Python function itself


def save(m, f, _extra_files=None) -> None:
    """Refused: a TorchScript archive needs a compiled graph, which gradiente does not make."""
    raise NotImplementedError(
        f"torch.jit.save({f!r}): gradiente does not compile TorchScript, so it cannot write a "
        "TorchScript archive. Save the weights with torch.save(model.state_dict(), "
        f"{f!r}) and load them into the model class with model.load_state_dict(torch.load(...))."
    )


def load(f, map_location=None, _extra_files=None, _restore_shapes=False):
    """Refused: a TorchScript archive holds a compiled graph, which gradiente cannot run."""
    raise NotImplementedError(
        f"torch.jit.load({f!r}): gradiente cannot run TorchScript archives (it runs Python "
        "models eagerly). Build the model from its Python class and load weights saved with "
        "torch.save(model.state_dict(), path) via model.load_state_dict(torch.load(path))."
    )
