"""Gradient clipping (``torch.nn.utils.clip_grad``): the joint norm of a set of tensors, and
gradients scaled or clamped so that an exploding step cannot wreck training."""

from __future__ import annotations

import warnings
from collections.abc import Iterable

from gradiente import backend as B
from gradiente.autograd.grad_mode import no_grad
from gradiente.backend import xp
from gradiente.tensor import Tensor, tensor


def _as_list(tensors) -> list[Tensor]:
    return [tensors] if isinstance(tensors, Tensor) else list(tensors)


def get_total_norm(
    tensors: Iterable[Tensor] | Tensor,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach=None,
) -> Tensor:
    """The norm of all ``tensors`` together, as if concatenated into one vector: the norm of
    the vector of their norms, ‖(‖t₁‖, ‖t₂‖, …)‖ (in the tensors' dtype, as torch computes
    it). An empty list has norm 0."""
    tensors = [t for t in _as_list(tensors) if t is not None]
    if not tensors:
        return tensor(0.0)
    norm_type = float(norm_type)
    with no_grad():
        norms = xp.stack([xp.linalg.norm(t._data.reshape(-1), norm_type) for t in tensors])
        total = xp.linalg.norm(norms, norm_type)
        if error_if_nonfinite and not xp.isfinite(total):
            raise RuntimeError(
                f"The total norm of order {norm_type} for gradients from `parameters` is "
                "non-finite, so it cannot be clipped. To disable this error and scale the "
                "gradients by the non-finite norm anyway, set `error_if_nonfinite=False`"
            )
        return Tensor._make(B.as_array(total, tensors[0]._data.dtype))


def clip_grads_with_norm_(
    parameters: Iterable[Tensor] | Tensor,
    max_norm: float,
    total_norm: Tensor,
    foreach=None,
) -> None:
    """Scale the parameters' gradients in place by min(1, max_norm / (total_norm + 1e-6)),
    given their joint norm (from ``get_total_norm``, say after an all-reduce)."""
    grads = [p.grad for p in _as_list(parameters) if p.grad is not None]
    if not grads:
        return
    with no_grad():
        clip_coef = max_norm / (total_norm + 1e-6)
        clip_coef_clamped = clip_coef.clamp(max=1.0)
        for g in grads:
            g.mul_(clip_coef_clamped.to(g.dtype))


def clip_grad_norm_(
    parameters: Iterable[Tensor] | Tensor,
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach=None,
) -> Tensor:
    """Scale all gradients together so that their joint norm is at most ``max_norm``
    (``get_total_norm`` of the gradients, then ``clip_grads_with_norm_``). Returns the total
    norm before clipping."""
    parameters = _as_list(parameters)
    grads = [p.grad for p in parameters if p.grad is not None]
    total_norm = get_total_norm(grads, norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(parameters, max_norm, total_norm, foreach)
    return total_norm


def clip_grad_value_(
    parameters: Iterable[Tensor] | Tensor, clip_value: float, foreach=None
) -> None:
    """Clamp every gradient element to [−clip_value, clip_value], in place."""
    clip_value = float(clip_value)
    with no_grad():
        for p in _as_list(parameters):
            if p.grad is not None:
                p.grad.clamp_(min=-clip_value, max=clip_value)


def clip_grad_norm(
    parameters,
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach=None,
) -> Tensor:
    """Deprecated: ``clip_grad_norm_`` (with torch's FutureWarning)."""
    warnings.warn(
        "`torch.nn.utils.clip_grad_norm` is now deprecated in favor of "
        "`torch.nn.utils.clip_grad_norm_`.",
        FutureWarning,
        stacklevel=2,
    )
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)
