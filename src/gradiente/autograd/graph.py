"""``torch.autograd.graph``: the names of the backward graph that scripts import.

``Node`` is the class of every ``grad_fn``. ``save_on_cpu`` moves the tensors saved for
backward to host memory in torch (to free GPU memory for long sequences); gradiente's
saved values keep their device, which changes memory use only, never a result, so it runs
the block as it is. Pack/unpack hooks (``saved_tensors_hooks``) are not supported: gradiente's
ops keep what they save for backward as arrays on their node, not as tensors that a hook
could replace, so they raise one clear error instead of silently not running.
"""

from __future__ import annotations

import contextlib

from gradiente.autograd.function import Node

__all__ = ["Node", "disable_saved_tensors_hooks", "save_on_cpu", "saved_tensors_hooks"]


class saved_tensors_hooks:
    """``torch.autograd.graph.saved_tensors_hooks(pack_hook, unpack_hook)``: refused (see the
    module's docstring)."""

    def __init__(self, pack_hook, unpack_hook) -> None:
        raise NotImplementedError(
            "torch.autograd.graph.saved_tensors_hooks is not supported by gradiente: its ops "
            "keep the values saved for backward as arrays on their node, so pack/unpack hooks "
            "cannot be applied to them"
        )


class save_on_cpu:
    """``with save_on_cpu(pin_memory=False):``: the block runs unchanged (the saved values
    stay where they are; see the module's docstring)."""

    def __init__(self, pin_memory: bool = False, device_type: str = "cuda") -> None:
        self.pin_memory = pin_memory
        self.device_type = device_type

    def __enter__(self):
        return None

    def __exit__(self, *exc) -> None:
        return None


@contextlib.contextmanager
def disable_saved_tensors_hooks(error_message: str):
    """Run the block with saved-tensor hooks forbidden; as gradiente never runs such hooks,
    there is nothing to forbid."""
    yield
