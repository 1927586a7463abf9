"""Joining and splitting: atleast_Nd, hstack/vstack/dstack/column_stack, hsplit/vsplit/dsplit,
repeat_interleave."""

from __future__ import annotations

import numbers

from gradiente.tensor import (
    Tensor,
    arange,
    cat,
)


def atleast_1d(*tensors):
    out = tuple(t.reshape(1) if t.ndim == 0 else t for t in _tensors(tensors))
    return out[0] if len(out) == 1 else out


def atleast_2d(*tensors):
    out = tuple(t.reshape(1, -1) if t.ndim < 2 else t for t in _tensors(tensors))
    return out[0] if len(out) == 1 else out


def atleast_3d(*tensors):
    def lift(t):
        if t.ndim == 0:
            return t.reshape(1, 1, 1)
        if t.ndim == 1:
            return t.reshape(1, -1, 1)
        if t.ndim == 2:
            return t.unsqueeze(-1)
        return t

    out = tuple(lift(t) for t in _tensors(tensors))
    return out[0] if len(out) == 1 else out


def _tensors(tensors):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        return tuple(tensors[0])
    return tensors


def _non_empty(tensors, name: str) -> None:
    """The stacking functions refuse an empty list, each under its own name, as torch's do."""
    if not len(tensors):
        raise RuntimeError(f"{name} expects a non-empty TensorList")


def hstack(tensors, out=None) -> Tensor:
    """Concatenate column-wise (along dim 1; dim 0 for 1-D tensors)."""
    _non_empty(tensors, "hstack")
    tensors = atleast_1d(*tensors)
    tensors = tensors if isinstance(tensors, tuple) else (tensors,)
    return cat(tensors, 0 if tensors[0].ndim == 1 else 1, out=out)


def vstack(tensors, out=None) -> Tensor:
    """Concatenate row-wise (1-D tensors become rows)."""
    _non_empty(tensors, "vstack")
    tensors = atleast_2d(*tensors)
    tensors = tensors if isinstance(tensors, tuple) else (tensors,)
    return cat(tensors, 0, out=out)


row_stack = vstack


def dstack(tensors, out=None) -> Tensor:
    """Concatenate depth-wise (along dim 2)."""
    _non_empty(tensors, "dstack")
    tensors = atleast_3d(*tensors)
    tensors = tensors if isinstance(tensors, tuple) else (tensors,)
    return cat(tensors, 2, out=out)


def column_stack(tensors, out=None) -> Tensor:
    """1-D tensors become columns, then everything is concatenated along dim 1."""
    _non_empty(tensors, "column_stack")
    cols = [t.reshape(-1, 1) if t.ndim <= 1 else t for t in tensors]
    return cat(cols, 1, out=out)


def _split_by(input, indices_or_sections, dim, name):
    if isinstance(indices_or_sections, numbers.Integral):
        n = input.shape[dim]
        if n % indices_or_sections:
            raise RuntimeError(
                f"torch.{name} attempted to split along dimension {dim}, but the size of the "
                f"dimension {n} is not divisible by the split_size {indices_or_sections}!"
            )
    return input.tensor_split(indices_or_sections, dim)


def hsplit(input, indices_or_sections):
    return _split_by(input, indices_or_sections, 0 if input.ndim == 1 else 1, "hsplit")


def vsplit(input, indices_or_sections):
    return _split_by(input, indices_or_sections, 0, "vsplit")


def dsplit(input, indices_or_sections):
    return _split_by(input, indices_or_sections, 2, "dsplit")


def repeat_interleave(input, repeats=None, dim=None, output_size=None):
    """``repeat_interleave(counts)`` alone repeats each index i counts[i] times."""
    if repeats is None:
        return arange(input.shape[0]).repeat_interleave(input)
    return input.repeat_interleave(repeats, dim, output_size)
