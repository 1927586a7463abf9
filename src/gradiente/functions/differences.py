"""``torch.gradient``: derivatives of sampled values by finite differences, written with Tensor
ops (so the result is differentiable).

Along one dim with samples f_0 … f_{n−1} spaced h apart, the interior points take the
second-order central difference (f_{i+1} − f_{i−1}) / 2h; the two ends take a one-sided
difference, first order (f_1 − f_0) / h or, with ``edge_order=2``, second order
(−3/2 f_0 + 2 f_1 − 1/2 f_2) / h. With sample coordinates x instead of a spacing, the
differences are the same Taylor-series weights for uneven steps (as NumPy's ``gradient``).
"""

from __future__ import annotations

import numbers

from gradiente import backend as B
from gradiente.tensor import Tensor, _dim, cat


def _along(t, d: int, start, stop=None):
    """``t``'s entries ``start:stop`` along dim d."""
    index = (slice(None),) * d + (slice(start, stop),)
    return t[index]


def _on_dim(c, d: int, ndim: int):
    """A 1-D tensor of coefficients shaped to broadcast along dim d of an ndim-D tensor."""
    return c.reshape((1,) * d + (-1,) + (1,) * (ndim - d - 1))


def _uniform(f, d: int, h, edge_order: int):
    """The derivative along d of samples h apart."""
    interior = (_along(f, d, 2) - _along(f, d, 0, -2)) / (2 * h)
    f0, f1, f2 = (_along(f, d, k, k + 1) for k in range(3))
    g1, g2, g3 = (_along(f, d, k - 1, k or None) for k in (0, -1, -2))  # f_{n−1}, f_{n−2}, f_{n−3}
    if edge_order == 1:
        first, last = (f1 - f0) / h, (g1 - g2) / h
    else:
        first = (-1.5 * f0 + 2 * f1 - 0.5 * f2) / h
        last = (0.5 * g3 - 2 * g2 + 1.5 * g1) / h
    return cat([first, interior, last], d)


def _coordinates(f, d: int, x, edge_order: int):
    """The derivative along d of samples at the coordinates x (a 1-D tensor)."""
    x = x.to(f.dtype)
    dx = x[1:] - x[:-1]
    a, b = dx[:-1], dx[1:]  # the steps before and after each interior point
    weights = (-b / (a * (a + b)), (b - a) / (a * b), a / (b * (a + b)))
    interior = sum(
        _on_dim(w, d, f.ndim) * _along(f, d, k, f.shape[d] - 2 + k) for k, w in enumerate(weights)
    )
    f0, f1, f2 = (_along(f, d, k, k + 1) for k in range(3))
    g1, g2, g3 = (_along(f, d, k - 1, k or None) for k in (0, -1, -2))
    if edge_order == 1:
        first, last = (f1 - f0) / dx[0], (g1 - g2) / dx[-1]
    else:
        a, b = dx[0], dx[1]
        first = -(2 * a + b) / (a * (a + b)) * f0 + (a + b) / (a * b) * f1 - a / (b * (a + b)) * f2
        a, b = dx[-2], dx[-1]
        last = b / (a * (a + b)) * g3 - (a + b) / (a * b) * g2 + (2 * b + a) / (b * (a + b)) * g1
    return cat([first, interior, last], d)


def gradient(input, *, spacing=1, dim=None, edge_order=1):
    """The derivative of the samples ``input`` along each dim in ``dim`` (all by default), as
    a tuple of tensors of input's shape. ``spacing`` is the distance between samples (a
    number for every dim, or one per dim), or the samples' coordinates (one 1-D tensor per
    dim)."""
    if edge_order not in (1, 2):
        raise RuntimeError("torch.gradient only supports edge_order=1 and edge_order=2.")
    if dim is None:
        dims = list(range(input.ndim))
    elif isinstance(dim, numbers.Integral):
        dims = [_dim(dim, input.ndim, "gradient")]
    else:
        dims = [_dim(d, input.ndim, "gradient") for d in dim]
    if isinstance(spacing, (list, tuple)):
        if len(spacing) != len(dims):
            if dim is None:
                raise RuntimeError(
                    "torch.gradient expected spacing to be unspecified, a scalar, or a list of "
                    f"length equal to 'self.dim() = {input.ndim}', since dim argument was not "
                    f"given, but got a list of length {len(spacing)}"
                )
            raise RuntimeError(
                "torch.gradient expected spacing to be unspecified, a scalar or it's spacing "
                "and dim arguments to have the same length, but got a spacing argument of "
                f"length {len(spacing)} and a dim argument of length {len(dims)}."
            )
        spacings = list(spacing)
    else:
        spacings = [spacing] * len(dims)
    for d in dims:
        if input.shape[d] < edge_order + 1:
            raise RuntimeError(
                "torch.gradient expected each dimension size to be at least edge_order+1"
            )
    f = input if B.is_float(input._data.dtype) else input.to(B.get_default_dtype())
    results = []
    for d, h in zip(dims, spacings):
        if isinstance(h, Tensor) and h.ndim == 1:
            results.append(_coordinates(f, d, h, edge_order))
        else:
            results.append(_uniform(f, d, h.item() if isinstance(h, Tensor) else h, edge_order))
    return tuple(results)
