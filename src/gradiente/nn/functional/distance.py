"""Distances and similarities between vectors: ``normalize``, ``cosine_similarity``,
``pairwise_distance``, ``pdist``, written with Tensor ops (autograd derives their backward)."""

from __future__ import annotations

from gradiente.autograd.grad_mode import no_grad
from gradiente.backend import result_type as _result_type
from gradiente.functions.products import pdist  # noqa: F401 - F.pdist is torch.pdist
from gradiente.ops import reduce as R
from gradiente.tensor import Tensor


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out=None) -> Tensor:
    """x / max(‖x‖_p, eps) along ``dim`` (any p of ``vector_norm``: 0, ±inf, fractional)."""
    denom = input.norm(p, dim, keepdim=True).clamp_min(eps).expand_as(input)
    return input / denom


def _broadcast_shape(a: tuple, b: tuple) -> tuple:
    """The broadcast of shapes a and b, or PyTorch's error naming the first clash."""
    n = max(len(a), len(b))
    a, b = (1,) * (n - len(a)) + tuple(a), (1,) * (n - len(b)) + tuple(b)
    for d, (i, j) in enumerate(zip(a, b, strict=True)):
        if i != j and 1 not in (i, j):
            raise RuntimeError(
                f"The size of tensor a ({i}) must match the size of tensor b ({j}) at "
                f"non-singleton dimension {d}"
            )
    return tuple(j if i == 1 else i for i, j in zip(a, b, strict=True))


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """Σ (x1/‖x1‖)(x2/‖x2‖) along ``dim`` after broadcasting x1 with x2, each norm clamped
    below at eps, as PyTorch does.

    Normalising each vector first (not dividing Σ x1·x2 by the product of the norms) keeps the
    result in [−1, 1]; the clamp is applied to the values only, so the gradient flows as if
    unclamped (PyTorch clamps under no_grad).
    """
    common = _result_type(x1, x2)
    if not common.is_floating_point:
        raise RuntimeError(
            f"expected common dtype to be floating point, yet common dtype is "
            f"{R.TORCH_TYPE_NAMES[common.name]}"
        )
    x1, x2 = x1.to(common), x2.to(common)
    if x1.shape != x2.shape:
        shape = _broadcast_shape(x1.shape, x2.shape)
        x1, x2 = x1.expand(shape), x2.expand(shape)
    n1 = x1.vector_norm(2, dim, keepdim=True)
    n2 = x2.vector_norm(2, dim, keepdim=True)
    with no_grad():
        c1, c2 = n1.clamp_min(eps) - n1, n2.clamp_min(eps) - n2
    return ((x1 / (n1 + c1)) * (x2 / (n2 + c2))).sum(dim)


def pairwise_distance(
    x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False
) -> Tensor:
    """‖x1 − x2 + eps‖_p along the last axis."""
    return (x1 - x2 + eps).norm(p, dim=-1, keepdim=keepdim)
