"""Helpers shared by the distributions: broadcasting parameters, probabilities ↔ logits, the
standard normal draw behind every ``rsample``, and ``lazy_property``."""

from __future__ import annotations

from functools import update_wrapper

from gradiente.autograd import enable_grad
from gradiente.backend import get_default_dtype
from gradiente.functions import broadcast_tensors, finfo
from gradiente.nn import functional as F
from gradiente.tensor import Tensor, arange, empty, tensor

__all__ = [
    "broadcast_all",
    "clamp_probs",
    "euler_constant",
    "lazy_property",
    "logits_to_probs",
    "probs_to_logits",
    "tril_matrix_to_vec",
    "vec_to_tril_matrix",
]

euler_constant = 0.5772156649015329  # γ, Euler–Mascheroni

_Number = (int, float, bool)


def broadcast_all(*values) -> tuple[Tensor, ...]:
    """The arguments broadcast to one shape, numbers made tensors of the first tensor's dtype
    (the default dtype when all are numbers)."""
    if not all(isinstance(v, (Tensor, *_Number)) for v in values):
        raise ValueError(
            "Input arguments must all be instances of Number, torch.Tensor or objects "
            "implementing __torch_function__."
        )
    like = next((v for v in values if isinstance(v, Tensor)), None)
    dtype = like.dtype if like is not None else get_default_dtype()
    device = like.device if like is not None else None
    tensors = [
        v if isinstance(v, Tensor) else tensor(v, dtype=dtype, device=device) for v in values
    ]
    return tuple(broadcast_tensors(*tensors))


def _standard_normal(shape, dtype, device) -> Tensor:
    """N(0, 1) samples of ``shape``: ``empty(shape).normal_()``, the draw torch makes (so the
    same seed gives the same numbers)."""
    return empty(shape, dtype=dtype, device=device).normal_()


def _sum_rightmost(value: Tensor, dim: int) -> Tensor:
    """``value`` summed over its rightmost ``dim`` dimensions."""
    if dim == 0:
        return value
    return value.reshape(tuple(value.shape[:-dim]) + (-1,)).sum(-1)


def logits_to_probs(logits: Tensor, is_binary: bool = False) -> Tensor:
    """Probabilities from logits: σ(logits) for a binary variable, softmax over the last
    dimension otherwise."""
    if is_binary:
        return logits.sigmoid()
    return F.softmax(logits, dim=-1)


def clamp_probs(probs: Tensor) -> Tensor:
    """``probs`` clamped into [eps, 1 − eps], so that their logarithms stay finite."""
    eps = finfo(probs.dtype).eps
    return probs.clamp(min=eps, max=1 - eps)


def probs_to_logits(probs: Tensor, is_binary: bool = False) -> Tensor:
    """Logits from probabilities: log p − log(1 − p) for a binary variable, log p otherwise
    (the probabilities clamped away from 0 and 1 first)."""
    clamped = clamp_probs(probs)
    if is_binary:
        return clamped.log() - (-clamped).log1p()
    return clamped.log()


class lazy_property:
    """A property computed on first use and then stored on the instance (as an ordinary
    attribute, so later reads are plain lookups). ``Categorical`` built from ``probs`` computes
    ``logits`` only if asked. The value is computed with gradients on, so that it stays
    differentiable even when first read under ``no_grad``."""

    def __init__(self, wrapped) -> None:
        self.wrapped = wrapped
        update_wrapper(self, wrapped)

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        with enable_grad():
            value = self.wrapped(instance)
        setattr(instance, self.wrapped.__name__, value)
        return value


def _tril_mask(n: int, diag: int, device) -> Tensor:
    """The n × n boolean mask of the elements on and below diagonal ``diag``."""
    index = arange(n, device=device)
    return index < index.view(-1, 1) + (diag + 1)


def tril_matrix_to_vec(mat: Tensor, diag: int = 0) -> Tensor:
    """The elements on and below diagonal ``diag`` of a (batch of) D × D matrix, as a
    (batch of) vector in row order."""
    n = mat.shape[-1]
    if diag < -n or diag >= n:
        raise ValueError(f"diag ({diag}) provided is outside [{-n}, {n - 1}].")
    return mat[..., _tril_mask(n, diag, mat.device)]


def vec_to_tril_matrix(vec: Tensor, diag: int = 0) -> Tensor:
    """The inverse of ``tril_matrix_to_vec``: a (batch of) D × D matrix, zero above diagonal
    ``diag``, whose lower part is ``vec`` in row order."""
    # D is the positive root of D² + (1 + 2 diag) D − |diag| (diag + 1) − 2 len(vec) = 0
    b = 1 + 2 * diag
    n = (-b + (b**2 + 8 * vec.shape[-1] + 4 * abs(diag) * (diag + 1)) ** 0.5) / 2
    if round(n) - n > finfo(vec.dtype).eps:
        raise ValueError(
            f"The size of last dimension is {vec.shape[-1]} which cannot be expressed as "
            "the lower triangular part of a square D x D matrix."
        )
    n = round(n)
    mat = vec.new_zeros(tuple(vec.shape[:-1]) + (n, n))
    mat[..., _tril_mask(n, diag, vec.device)] = vec
    return mat
