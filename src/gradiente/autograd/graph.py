"""``torch.autograd.graph``: the names of the backward graph that scripts import.

``Node`` is the class of every ``grad_fn``. ``saved_tensors_hooks(pack_hook, unpack_hook)``
replaces each tensor an op saves for backward, inside the block, by ``pack_hook(tensor)``,
and backward reads it back through ``unpack_hook`` (see ``autograd.saved``); ``save_on_cpu``
is such a pair that keeps the saved tensors in host memory (to free GPU memory), and
``disable_saved_tensors_hooks`` forbids such blocks, as in torch.
"""

from __future__ import annotations

import contextlib

from gradiente.autograd import saved as _saved
from gradiente.autograd.function import GradientEdge, Node, _edge_of

__all__ = [
    "GradientEdge",
    "Node",
    "disable_saved_tensors_hooks",
    "get_gradient_edge",
    "increment_version",
    "register_multi_grad_hook",
    "save_on_cpu",
    "saved_tensors_hooks",
]


def get_gradient_edge(tensor) -> GradientEdge:
    """The edge backward follows into ``tensor``: its ``grad_fn`` and output number, or a
    leaf's gradient accumulator (``autograd.grad`` accepts it in place of the tensor)."""
    if not tensor.requires_grad:
        raise RuntimeError(
            "It is not possible to get the gradient edge for a Tensor that does not require "
            "gradients"
        )
    return GradientEdge(*_edge_of(tensor))


def increment_version(tensor) -> None:
    """Count an in-place change of ``tensor`` made behind autograd's back (its ``_version``
    goes up, so a node that saved it refuses to run backward)."""
    for t in tensor if isinstance(tensor, (list, tuple)) else (tensor,):
        t._get_version_counter().value += 1


class _MultiHandle:
    """What ``register_multi_grad_hook`` returns: ``remove()`` unregisters every hook."""

    def __init__(self, handles) -> None:
        self.handles = handles

    def remove(self) -> None:
        for handle in self.handles:
            handle.remove()


def register_multi_grad_hook(tensors, fn, *, mode: str = "all"):
    """Call ``fn(grads)`` once the gradients of all ``tensors`` (``mode="all"``; None for one
    that got none) or of the first of them (``mode="any"``) are computed, in each backward."""
    from gradiente.autograd import engine

    if mode not in ("all", "any"):
        raise ValueError(f"Expects mode to be one of ('all', 'any') but got {mode}")
    tensors = tuple(tensors)
    state = {"grads": None}

    def make_hook(i):
        def hook(grad):
            if state["grads"] is None:
                state["grads"] = [None] * len(tensors)
                if mode == "all":
                    engine.queue_callback(finish)
                elif mode == "any":
                    state["grads"][i] = grad
                    finish()
                    return
            if mode == "all":
                state["grads"][i] = grad

        return hook

    def finish():
        grads, state["grads"] = state["grads"], None
        if mode == "all":
            fn(grads)
        else:
            fn(next(g for g in grads if g is not None))

    return _MultiHandle(
        [t.register_hook(make_hook(i)) for i, t in enumerate(tensors) if t.requires_grad]
    )


# The error message of the innermost open ``disable_saved_tensors_hooks`` block (None: none).
_disabled: list = [None]


class saved_tensors_hooks:
    """``with saved_tensors_hooks(pack_hook, unpack_hook):``: the tensors saved for backward
    inside the block are kept as ``pack_hook(tensor)`` and read back as
    ``unpack_hook(packed)``, which must return a tensor of the same values."""

    def __init__(self, pack_hook, unpack_hook) -> None:
        self.pack_hook = pack_hook
        self.unpack_hook = unpack_hook

    def __enter__(self):
        if _disabled[0] is not None:
            raise RuntimeError(_disabled[0])
        _saved.hooks_stack.append((self.pack_hook, self.unpack_hook))
        return self

    def __exit__(self, *exc) -> None:
        _saved.hooks_stack.pop()


class save_on_cpu(saved_tensors_hooks):
    """``with save_on_cpu(pin_memory=False):``: the tensors saved for backward are copied to
    host memory (pinned if asked) and back to their device when backward needs them."""

    def __init__(self, pin_memory: bool = False, device_type: str = "cuda") -> None:
        def pack_to_cpu(tensor):
            host = tensor.cpu()
            if pin_memory and not tensor.is_cpu:
                host = host.pin_memory()
            return tensor.device, host

        def unpack_from_cpu(packed):
            device, tensor = packed
            return tensor.to(device, non_blocking=pin_memory)

        super().__init__(pack_to_cpu, unpack_from_cpu)


@contextlib.contextmanager
def disable_saved_tensors_hooks(error_message: str):
    """Run the block with ``saved_tensors_hooks`` forbidden: opening one raises
    ``RuntimeError(error_message)``."""
    previous = _disabled[0]
    _disabled[0] = error_message
    try:
        yield
    finally:
        _disabled[0] = previous
