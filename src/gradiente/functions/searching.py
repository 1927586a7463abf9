"""Searching: isin, searchsorted, bucketize."""

from __future__ import annotations

from gradiente.backend import device_array, get_array_module, xp
from gradiente.tensor import (
    Tensor,
)


def isin(elements, test_elements, *, assume_unique=False, invert=False):
    """Whether each element of ``elements`` is in ``test_elements``."""
    a = elements._data if isinstance(elements, Tensor) else None
    b = test_elements._data if isinstance(test_elements, Tensor) else None
    like = a if a is not None else b  # numbers go to the tensor's device
    a = device_array(like, elements) if a is None else a
    b = device_array(like, test_elements) if b is None else b
    return Tensor._make(get_array_module(a, b).isin(a, b, invert=invert), False, None)


def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None, sorter=None):
    """Indices where ``input`` would be inserted into each sorted (last-dim) sequence."""
    side = side or ("right" if right else "left")
    seq = sorted_sequence._data
    m = get_array_module(seq)  # CuPy for a CUDA sequence (cupy.searchsorted)
    values = input._data if isinstance(input, Tensor) else device_array(seq, input)
    if sorter is not None:
        seq = m.take_along_axis(seq, sorter._data, -1)
    if seq.ndim == 1:
        idx = m.searchsorted(seq, values, side=side)
    else:
        rows = seq.reshape(-1, seq.shape[-1])
        vals = values.reshape(rows.shape[0], -1)
        idx = m.stack([m.searchsorted(r, v, side=side) for r, v in zip(rows, vals)])
        idx = idx.reshape(values.shape)
    dtype = xp.int32 if out_int32 else xp.int64
    return Tensor._make(m.asarray(idx).astype(dtype, copy=False), False, None)


def bucketize(input, boundaries, *, out_int32=False, right=False):
    """The bucket of each value: i with boundaries[i-1] < x <= boundaries[i] (``right``: <, <=)."""
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)
