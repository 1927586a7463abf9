"""torch's in-place activations and dropouts at the top level: ``torch.celu_(x)``,
``torch.dropout_(x, p, train)``, ...

They are ATen operators (see ``nn/functional/aten.py`` for their out-of-place forms): each
changes ``input`` in place and returns it, as ``F.<name>(..., inplace=True)`` does. Their
arguments are ATen's: the dropouts take ``p`` and ``train`` with no defaults. The random ones
draw as torch does, so a seeded run gives torch's numbers.
"""

from __future__ import annotations

from gradiente.nn.functional import activation as A
from gradiente.nn.functional import dense as D

__all__ = [
    "alpha_dropout_",
    "celu_",
    "dropout_",
    "feature_alpha_dropout_",
    "feature_dropout_",
    "rrelu_",
    "selu_",
    "threshold_",
]


def celu_(input, alpha: float = 1.0):
    """In-place ``celu``: max(0, x) + min(0, α(exp(x/α) − 1))."""
    return A.celu(input, alpha, inplace=True)


def selu_(input):
    """In-place ``selu``."""
    return A.selu(input, inplace=True)


def rrelu_(input, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False,
           generator=None):  # fmt: skip
    """In-place randomised leaky ReLU (slopes drawn from U(lower, upper) when training)."""
    return A.rrelu(input, lower, upper, training, inplace=True)


def threshold_(input, threshold: float, value: float):
    """In-place ``threshold``: ``value`` where x ≤ threshold."""
    return A.threshold(input, threshold, value, inplace=True)


def dropout_(input, p: float, train: bool):
    """In-place dropout (only when ``train``)."""
    return D.dropout(input, p, train, inplace=True)


def feature_dropout_(input, p: float, train: bool):
    """In-place dropout of whole channels: one draw per (sample, channel) of an (N, C, ...)
    input, as torch's ``feature_dropout``."""
    D._check_p(p)
    if not train or p == 0.0 or input.numel() == 0:
        return input
    if input.ndim < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    return D._apply_noise(input, input.shape[:2] + (1,) * (input.ndim - 2), p, True)


def alpha_dropout_(input, p: float, train: bool):
    """In-place ``alpha_dropout`` (for SELU networks)."""
    return D.alpha_dropout(input, p, train, inplace=True)


def feature_alpha_dropout_(input, p: float, train: bool):
    """In-place ``feature_alpha_dropout``: whole channels."""
    return D.feature_alpha_dropout(input, p, train, inplace=True)
