"""``torch.nn.utils.skip_init``: build a module without its default initialisation."""

from __future__ import annotations

import inspect

from gradiente.nn.module import Module


def skip_init(module_cls, *args, **kwargs):
    """``module_cls(*args, **kwargs)`` whose parameters are to be set by the caller.

    torch builds the module on the "meta" device and then allocates its tensors uninitialised
    (``to_empty``), to skip a slow default initialisation. gradiente has no meta device, so it
    builds the module normally: its values are the default initialisation, which is one of
    the values "uninitialised" allows. The checks are torch's: a Module class that takes a
    ``device`` argument.
    """
    if not (isinstance(module_cls, type) and issubclass(module_cls, Module)):
        raise RuntimeError(f"Expected a Module; got {module_cls}")
    if "device" not in inspect.signature(module_cls).parameters:
        raise RuntimeError("Module must support a 'device' arg to skip initialization")
    kwargs.setdefault("device", "cpu")
    return module_cls(*args, **kwargs)
