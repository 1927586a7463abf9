"""What ``torch.compile(module)`` returns: an ``OptimizedModule`` wrapping the module.

gradiente compiles nothing (every op runs eagerly), but the wrapper is visible to programs, so
it is kept as torch has it: the original module is the child ``_orig_mod``, so the compiled
model's ``state_dict`` keys start with ``_orig_mod.`` (nanoGPT strips that prefix when it loads
a checkpoint), ``print(model)`` shows the wrapper, and ``isinstance(model, GPT)`` is False.
Attribute reads and writes the wrapper does not own go to the original module, and
``training`` is the original's, so ``model.config`` or ``model.train()`` work as before.
"""

from __future__ import annotations

from gradiente.functions import settings
from gradiente.nn.module import Module


class OptimizedModule(Module):
    """``torch._dynamo.eval_frame.OptimizedModule``: calls ``_orig_mod`` (its hooks included)."""

    # names the wrapper keeps for itself; every other attribute is the original module's
    _own_attributes = frozenset({"_orig_mod", "forward", "_super_module_initialized"})

    def __init__(self, mod: Module) -> None:
        object.__setattr__(self, "_super_module_initialized", False)
        super().__init__()
        self._super_module_initialized = True
        self._orig_mod = mod  # a child module: parameters, buffers and keys under _orig_mod.

    def forward(self, *args, **kwargs):
        return self._orig_mod(*args, **kwargs)

    @property
    def training(self) -> bool:
        return self._orig_mod.training

    @training.setter
    def training(self, value: bool) -> None:
        # Module.__init__ sets the default before there is an original module to mirror
        if self._super_module_initialized:
            self._orig_mod.training = value

    def __getattr__(self, name: str):
        modules = self.__dict__.get("_modules")
        if modules is None or "_orig_mod" not in modules:  # being built, copied or unpickled
            raise AttributeError(f"'OptimizedModule' object has no attribute '{name}'")
        if name == "_orig_mod":
            return modules["_orig_mod"]
        return getattr(modules["_orig_mod"], name)

    def __setattr__(self, name: str, value) -> None:
        if hasattr(type(self), name) or name in self._own_attributes:
            super().__setattr__(name, value)
        else:
            setattr(self._orig_mod, name, value)

    def __delattr__(self, name: str) -> None:
        if hasattr(type(self), name) or name in self._own_attributes:
            super().__delattr__(name)
        else:
            delattr(self._orig_mod, name)

    def __len__(self) -> int:
        return len(self._orig_mod)


def _wrap(model):
    """``torch.compile``'s result for ``model``: a module wrapped, anything else as is."""
    return OptimizedModule(model) if isinstance(model, Module) else model


# gradiente.compile lives a layer below nn; it wraps modules through this hook.
settings.MODULE_COMPILER[0] = _wrap
