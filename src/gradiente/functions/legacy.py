"""torch's older and lower-level top-level functions: ``histogramdd``, ``empty_permuted``,
``fill``, ``nonzero_static``, ``resize_as_``, ``lu_solve`` (deprecated), the norms kept for
TorchScript (``frobenius_norm``, ``nuclear_norm``, which warn as torch does, and
``norm_except_dim``, weight normalization's), and the functions removed in PyTorch 1.9
(``solve``, ``lstsq``, ``eig``, ``symeig``, ``matrix_rank``), which raise torch's message
saying what replaces them.
"""

from __future__ import annotations

import builtins

from gradiente import backend as B
from gradiente import linalg
from gradiente.autograd.function import show_as
from gradiente.backend import xp
from gradiente.functions.torch_aliases import warn_once
from gradiente.return_types import histogramdd as _histogramdd_result
from gradiente.tensor import Tensor, linspace, write_out
from gradiente.tensor.extras import (
    EIG_REMOVED,
    LSTSQ_REMOVED,
    MATRIX_RANK_REMOVED,
    SOLVE_REMOVED,
    SYMEIG_REMOVED,
)
from gradiente.tensor.factories import empty_strided_tensor

__all__ = [
    "eig",
    "empty_permuted",
    "fill",
    "frobenius_norm",
    "histogramdd",
    "lstsq",
    "lu_solve",
    "matrix_rank",
    "nonzero_static",
    "norm_except_dim",
    "nuclear_norm",
    "resize_as_",
    "solve",
    "symeig",
]


def empty_permuted(size, physical_layout, *, dtype=None, layout=None, device=None,
                   requires_grad=False, pin_memory=False):  # fmt: skip
    """An uninitialised tensor of ``size`` whose memory holds its dims in the order
    ``physical_layout`` (outermost first): ``empty_permuted((N, C, H, W), (0, 2, 3, 1))`` is
    channels-last."""
    size, order = list(size), list(physical_layout)
    if len(size) != len(order):
        raise RuntimeError(
            "Number of dimensions in size does not match the length of the physical_layout; "
            f"i.e. len(size) = {len(size)} is not equal to len(physical_layout) = {len(order)}"
        )
    if sorted(order) != list(range(len(size))):
        raise RuntimeError("Duplicate dim not allowed")
    stride, step = [0] * len(size), 1
    for d in reversed(order):  # the innermost dim steps by 1
        stride[d], step = step, step * max(size[d], 1)
    out = empty_strided_tensor(size, stride, dtype, device, requires_grad)
    out.__dict__["_torch_layout"] = True  # its strides are torch's: report them as they are
    return out


def histogramdd(input, bins, *, range=None, weight=None, density=False, out=None):
    """(hist, bin_edges) of the points in the rows of ``input`` (..., D): a D-dimensional
    histogram. ``bins``: one count for every dim, a count per dim, or a tensor of increasing
    edges per dim; ``range``: (min₀, max₀, min₁, max₁, ...) (default: the points' extent).
    A bin holds edges[i] ≤ x < edges[i+1] in each dim (the last one its right edge too);
    ``density`` divides by the total and the bins' volumes."""
    if input.ndim < 2:
        raise RuntimeError("torch.histogramdd: input tensor should have at least 2 dimensions")
    if not input.is_floating_point():
        raise NotImplementedError(
            f"\"histogramdd\" not implemented for '{B.torch_type_name(input._data.dtype)}'"
        )
    points = input.detach().reshape(-1, input.shape[-1])
    D = points.shape[1]
    counts = [bins] * D if isinstance(bins, int) else list(bins)
    edges = [_edges(points.select(1, d), counts[d], range, d) for d in builtins.range(D)]
    data = points._data
    w = None if weight is None else weight.detach()._data.reshape(-1)
    hist, _ = xp.histogramdd(data, bins=[e._data for e in edges], weights=w)
    hist = hist.astype(data.dtype)
    if density:  # as torch: by the total, then by each dim's bin lengths in turn
        hist = hist / hist.sum()
        for d, e in enumerate(edges):
            hist = hist / xp.diff(e._data).reshape([-1 if k == d else 1 for k in builtins.range(D)])
    return _histogramdd_result(Tensor._make(hist), tuple(edges))


def _edges(values, bins, range, d: int):
    """The bin edges of dim ``d``: ``bins`` itself (a tensor of edges), or ``bins`` + 1
    equally spaced edges over ``range``'s pair for d or the values' extent (an empty extent
    widened by ½ each way, as torch and NumPy do)."""
    if isinstance(bins, Tensor):
        return bins.detach()
    if range is not None:
        low, high = float(range[2 * d]), float(range[2 * d + 1])
    elif values.numel():
        low, high = float(values.min()), float(values.max())
    else:
        low, high = 0.0, 0.0
    if low == high:
        low, high = low - 0.5, high + 0.5
    return linspace(low, high, int(bins) + 1, dtype=values.dtype)


def frobenius_norm(input, dim, keepdim=False, *, out=None):
    """√(Σ x²) over ``dim`` (at most 2 dims): ``linalg.vector_norm(input, 2, dim, keepdim)``,
    which torch says to use instead."""
    warn_once(
        "at::frobenius_norm is deprecated and it is just left for JIT compatibility. It will "
        "be removed in a future PyTorch release. Please use `linalg.vector_norm(A, 2., dim, "
        "keepdim)` instead"
    )
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    if len(dims) > 2:
        raise RuntimeError(
            f"Expected at most 2 dimensions, but got {len(dims)} dimensions instead."
        )
    result = show_as(linalg.vector_norm(input, 2, dims, keepdim), "NormBackward1", input)
    return write_out(out, result, "frobenius_norm")


def nuclear_norm(input, dim=None, keepdim=False, *, out=None):
    """The sum of the singular values of the matrices in ``dim`` (the last two by default):
    ``linalg.matrix_norm(input, "nuc", dim, keepdim)``, which torch says to use instead.
    ``nuclear_norm(input, keepdim)`` (a bool second) is torch's other overload."""
    warn_once(
        "at::nuclear_norm is deprecated and it is just left for JIT compatibility. It will be "
        "removed in a future PyTorch release. Please use `linalg.matrix_norm(A, 'nuc', dim, "
        "keepdim)` instead"
    )
    if isinstance(dim, bool):  # nuclear_norm(input, keepdim)
        dim, keepdim = None, dim
    dims = (-2, -1) if dim is None else tuple(dim)
    if len(dims) != 2:
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {len(dims)}")
    result = linalg.matrix_norm(input, "nuc", dims, keepdim)
    return write_out(out, result, "nuclear_norm")


def norm_except_dim(v, pow=2, dim=0):
    """The ``pow``-norm of ``v`` over every dim but ``dim`` (kept as size 1), or over all of
    ``v`` when ``dim`` is −1: the norm of ``nn.utils.weight_norm``."""
    if dim == -1:
        return show_as(v.norm(pow), "NormBackward0", v)
    others = tuple(d for d in builtins.range(v.ndim) if d != dim)
    return show_as(v.norm(pow, dim=others, keepdim=True), "ViewBackward0", v)


def fill(input, value):
    """A tensor like ``input`` filled with ``value`` (a number or a 0-d tensor), out of
    place: ``input`` gets a zero gradient, a tensor ``value`` the sum of the output's."""
    if isinstance(value, Tensor) and value.ndim:
        raise RuntimeError(
            "fill_ only supports 0-dimension value tensor but got tensor with "
            f"{value.ndim} dimensions."
        )
    everywhere = Tensor._make(xp.ones(input.shape, dtype=bool))
    node = "FillBackward1" if isinstance(value, Tensor) else "FillBackward0"  # torch's overloads
    return show_as(input.masked_fill(everywhere, value), node, input)


def nonzero_static(input, *, size, fill_value=-1):
    """``nonzero(input)`` with exactly ``size`` rows: the first ``size`` indices, then rows of
    ``fill_value`` (a shape known before the values, for compiled code)."""
    found = input.nonzero()._data[:size]
    padding = xp.full((size - found.shape[0], input.ndim), fill_value, dtype=xp.int64)
    return Tensor._make(xp.concatenate([found, padding]))


def resize_as_(input, the_template, *, memory_format=None):
    """``input.resize_as_(the_template)``: input takes the template's shape, in place."""
    return input.resize_as_(the_template)


def lu_solve(b, LU_data, LU_pivots, *, out=None):
    """X with A X = b from A's ``linalg.lu_factor`` (deprecated: ``torch.linalg.lu_solve``,
    whose arguments come in the other order)."""
    warn_once(
        "torch.lu_solve is deprecated in favor of torch.linalg.lu_solveand will be removed in a "
        "future PyTorch release.\nNote that torch.linalg.lu_solve has its arguments reversed.\n"
        "X = torch.lu_solve(B, LU, pivots)\nshould be replaced with\n"
        "X = torch.linalg.lu_solve(LU, pivots, B)"
    )
    return write_out(out, linalg.lu_solve(LU_data, LU_pivots, b), "lu_solve")


def _removed(name: str, message: str):
    """A function removed in PyTorch 1.9: it raises torch's RuntimeError."""

    def function(*args, **kwargs):
        raise RuntimeError(message)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"Removed in PyTorch 1.9 (``torch.{name}`` raises, saying what to use)."
    return function


solve = _removed("solve", SOLVE_REMOVED)
lstsq = _removed("lstsq", LSTSQ_REMOVED)
eig = _removed("eig", EIG_REMOVED)
symeig = _removed("symeig", SYMEIG_REMOVED)
matrix_rank = _removed("matrix_rank", MATRIX_RANK_REMOVED)
