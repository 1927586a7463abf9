"""torch's ``*_copy`` functions: a view op (``view``, ``permute``, ``select``, ``split``, ...)
whose result is a new tensor instead of a view of the input.

torch has them for code that must not alias (functionalization, export): ``view_copy(x, s)``
computes ``x.view(s)`` and copies it into fresh, row-major memory. The gradient is the view's;
the graph node is shown under torch's name for it (the view's node name plus ``_copy``:
``ViewBackward0_copy``). Also ``torch.detach_`` (a method with no function form) and the
sparse-only ``values_copy``/``indices_copy``, which refuse a dense tensor as torch does.
"""

from __future__ import annotations

from gradiente.autograd.function import show_as
from gradiente.tensor import write_out

__all__ = [
    "alias_copy",
    "as_strided_copy",
    "detach_",
    "detach_copy",
    "diagonal_copy",
    "expand_copy",
    "indices_copy",
    "permute_copy",
    "select_copy",
    "slice_copy",
    "split_copy",
    "split_with_sizes_copy",
    "squeeze_copy",
    "t_copy",
    "transpose_copy",
    "unbind_copy",
    "unfold_copy",
    "unsqueeze_copy",
    "values_copy",
    "view_copy",
]


def _fresh(view, node: str):
    """``view`` (a tensor or a tuple of them) copied into new row-major memory, its graph node
    shown as torch's ``<node>_copy``."""
    if isinstance(view, (tuple, list)):
        return tuple(_fresh(piece, node) for piece in view)
    fresh = view.clone() if view.is_contiguous() else view.contiguous()  # a row-major copy
    return show_as(fresh, node + "_copy")


def _copy_out(out, result, op: str):
    """``out=`` for one tensor or a sequence of them (the ``split``/``unbind`` copies)."""
    if out is None:
        return result
    if isinstance(result, tuple):
        return tuple(write_out(o, r, op) for o, r in zip(out, result))
    return write_out(out, result, op)


def alias_copy(input, *, out=None):
    """A copy of ``input`` (``torch.alias`` is a view of all of it)."""
    return _copy_out(out, _fresh(input.view(input.shape), "AliasBackward0"), "alias_copy")


def view_copy(input, size, *, out=None):
    """``input.view(size)`` (or ``input.view(dtype)``) as a new tensor."""
    return _copy_out(out, _fresh(input.view(size), "ViewBackward0"), "view_copy")


def permute_copy(input, dims, *, out=None):
    return _copy_out(out, _fresh(input.permute(dims), "PermuteBackward0"), "permute_copy")


def t_copy(input, *, out=None):
    return _copy_out(out, _fresh(input.t(), "TBackward0"), "t_copy")


def transpose_copy(input, dim0, dim1, *, out=None):
    result = _fresh(input.transpose(dim0, dim1), "TransposeBackward0")
    return _copy_out(out, result, "transpose_copy")


def expand_copy(input, size, *, implicit=False, out=None):
    """``input.expand(size)`` as a new tensor: the repeated elements are real copies."""
    return _copy_out(out, _fresh(input.expand(size), "ExpandBackward0"), "expand_copy")


def diagonal_copy(input, offset=0, dim1=0, dim2=1, *, out=None):
    result = _fresh(input.diagonal(offset, dim1, dim2), "DiagonalBackward0")
    return _copy_out(out, result, "diagonal_copy")


def select_copy(input, dim, index, *, out=None):
    return _copy_out(out, _fresh(input.select(dim, index), "SelectBackward0"), "select_copy")


def slice_copy(input, dim=0, start=None, end=None, step=1, *, out=None):
    """``input[..., start:end:step, ...]`` along ``dim``, as a new tensor."""
    d = dim % input.ndim if input.ndim else dim
    if step <= 0:
        raise RuntimeError("slice step must be positive")
    view = input[(slice(None),) * d + (slice(start, end, step),)]
    return _copy_out(out, _fresh(view, "SliceBackward0"), "slice_copy")


def squeeze_copy(input, dim=None, *, out=None):
    """``input.squeeze(dim)`` as a new tensor (torch's node: per overload, no dim, a dim, or a
    tuple of dims)."""
    if dim is None:
        view, node = input.squeeze(), "SqueezeBackward0"
    elif isinstance(dim, int):
        view, node = input.squeeze(dim), "SqueezeBackward1"
    else:
        view, node = input.squeeze(tuple(dim)), "SqueezeBackward2"
    return _copy_out(out, _fresh(view, node), "squeeze_copy")


def unsqueeze_copy(input, dim, *, out=None):
    return _copy_out(out, _fresh(input.unsqueeze(dim), "UnsqueezeBackward0"), "unsqueeze_copy")


def unbind_copy(input, dim=0, *, out=None):
    """The slices along ``dim``, each a new tensor."""
    return _copy_out(out, _fresh(input.unbind(dim), "UnbindBackward0"), "unbind_copy")


def split_copy(input, split_size, dim=0, *, out=None):
    """``input.split(split_size, dim)``, each piece a new tensor."""
    node = "SplitBackward0" if isinstance(split_size, int) else "SplitWithSizesBackward0"
    return _copy_out(out, _fresh(input.split(split_size, dim), node), "split_copy")


def split_with_sizes_copy(input, split_sizes, dim=0, *, out=None):
    pieces = input.split(list(split_sizes), dim)
    return _copy_out(out, _fresh(pieces, "SplitWithSizesBackward0"), "split_with_sizes_copy")


def unfold_copy(input, dimension, size, step, *, out=None):
    result = _fresh(input.unfold(dimension, size, step), "UnfoldBackward0")
    return _copy_out(out, result, "unfold_copy")


def as_strided_copy(input, size, stride, storage_offset=None, *, out=None):
    result = _fresh(input.as_strided(size, stride, storage_offset), "AsStridedBackward0")
    return _copy_out(out, result, "as_strided_copy")


def detach_copy(input, *, out=None):
    """A copy of ``input`` outside the graph. (torch 2.13's result says it requires grad, with
    a node whose backward is not implemented; here it is simply a leaf without grad.)"""
    return _copy_out(out, _fresh(input.detach(), "DetachBackward0"), "detach_copy")


def detach_(input):
    """``torch.detach_(input)`` is ``input.detach_()``: input leaves the graph, in place."""
    return input.detach_()


def values_copy(input, *, out=None):
    """Defined for sparse tensors only: gradiente's are dense, so torch's error."""
    raise RuntimeError("values expected sparse tensor layout but got Strided")


def indices_copy(input, *, out=None):
    """Defined for sparse COO tensors only: gradiente's are dense, so torch's error."""
    raise RuntimeError("indices expected sparse coordinate tensor layout but got Strided")
