"""``nn.Buffer``: marks a tensor so that assigning it to a module registers a buffer.

``self.running_mean = nn.Buffer(torch.zeros(3))`` is ``self.register_buffer("running_mean",
torch.zeros(3))`` written as an assignment (torch 2.5+). ``Buffer(t)`` returns a plain tensor
(``t`` detached) carrying two marks, ``_is_buffer`` and ``persistent``; ``isinstance(x,
nn.Buffer)`` asks for the mark, as torch's metaclass does.
"""

from __future__ import annotations

from gradiente.tensor import Tensor, empty


class _BufferMeta(type):
    """``isinstance(t, Buffer)``: a tensor marked by ``Buffer(...)``."""

    def __instancecheck__(cls, instance) -> bool:
        return isinstance(instance, Tensor) and getattr(instance, "_is_buffer", False)


class Buffer(metaclass=_BufferMeta):
    """A tensor to be registered as a buffer when assigned to a module attribute.

    Args:
        data: the buffer's tensor (detached; an empty tensor when None).
        persistent: whether ``state_dict`` saves it (``register_buffer``'s ``persistent``).
    """

    def __new__(cls, data: Tensor | None = None, *, persistent: bool = True) -> Tensor:
        if data is None:
            data = empty(0)
        t = data.detach().requires_grad_(data.requires_grad)
        t.persistent = persistent
        t._is_buffer = True
        return t
