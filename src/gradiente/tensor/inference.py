"""Inference tensors: the tensors made inside ``inference_mode()`` (``Tensor.is_inference()``).

An inference tensor's version counter is an ``InferenceCounter`` (``autograd.function``),
shared with its views: that is the mark, and it makes autograd refuse to save the tensor for
backward and to change it in place outside inference mode, as torch does. Marking costs a
check of the mode at every tensor creation, so it is switched on only while some
``inference_mode()`` block is open: the mode tells ``mark_inference_tensors`` when, and it
swaps the tensors' ``_init`` then.
"""

from __future__ import annotations

from gradiente.autograd import function as _function
from gradiente.autograd import grad_mode as _grad_mode
from gradiente.autograd.grad_mode import grad_state
from gradiente.tensor.core import TensorCore

_init_plain = TensorCore._init


def _init_marking_inference(self, data, requires_grad, grad_fn) -> None:
    """``TensorCore._init`` while an ``inference_mode()`` block is open: a tensor made in
    that mode (in this thread) is an inference tensor."""
    _init_plain(self, data, requires_grad, grad_fn)
    if grad_state.inference:
        self._version_counter = _function.InferenceCounter()


def mark_inference_tensors(active: bool) -> None:
    """Make tensor creation mark inference tensors (``active``) or not: called when the first
    ``inference_mode()`` block opens and when the last one closes."""
    TensorCore._init = _init_marking_inference if active else _init_plain


_grad_mode._inference_listeners.append(mark_inference_tensors)
