"""Searching: isin, searchsorted, bucketize, unravel_index."""

from __future__ import annotations

import numbers

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
    if seq.dtype == bool and values.dtype == bool and values.size:  # no bool kernel (torch)
        raise NotImplementedError("\"searchsorted_out_cpu\" not implemented for 'Bool'")
    if sorter is not None:
        seq = m.take_along_axis(seq, sorter._data, -1)
    if seq.dtype.kind == "f" and m.isnan(seq).any():
        idx = _torch_binary_search(m, seq, values, side == "right")
    elif seq.ndim == 1:
        idx = m.searchsorted(seq, values, side=side)
    else:
        rows = seq.reshape(-1, seq.shape[-1])
        vals = values.reshape(rows.shape[0], -1)
        idx = m.stack([m.searchsorted(r, v, side=side) for r, v in zip(rows, vals)])
        idx = idx.reshape(values.shape)
    dtype = xp.int32 if out_int32 else xp.int64
    return Tensor._make(m.asarray(idx).astype(dtype, copy=False), False, None)


def _torch_binary_search(m, seq, values, right: bool):
    """torch's search loop, all values at once: ``start`` moves past ``mid`` unless
    ``seq[mid] > value`` (``right``) or ``seq[mid] >= value``. A NaN in the sequence compares
    false, so the result is torch's where NumPy's (NaN sorted last) is not."""
    n = seq.shape[-1]
    rows = seq.reshape(-1, n)
    vals = values.reshape(rows.shape[0] if seq.ndim > 1 else 1, -1)
    start = m.zeros(vals.shape, dtype=m.int64)
    end = m.full(vals.shape, n, dtype=m.int64)
    while (start < end).any():
        active = start < end
        mid = start + ((end - start) >> 1)
        at_mid = m.take_along_axis(rows, m.minimum(mid, n - 1), -1)
        passed = ~(at_mid > vals) if right else ~(at_mid >= vals)
        start = m.where(active & passed, mid + 1, start)
        end = m.where(active & ~passed, mid, end)
    return start.reshape(values.shape)


def bucketize(input, boundaries, *, out_int32=False, right=False):
    """The bucket of each value: i with boundaries[i-1] < x <= boundaries[i] (``right``: <, <=)."""
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


def unravel_index(indices, shape):
    """The coordinates, in a tensor of ``shape``, of the flat (row-major) ``indices``: a
    tuple of int64 tensors, one per dim (``unravel_index(t.argmax(), t.shape)``). As torch,
    index i gives ``(i // stride_k) % size_k``, so negative indices wrap around."""
    if not isinstance(indices, Tensor) or indices._data.dtype.kind not in "iu":
        dtype = indices.dtype if isinstance(indices, Tensor) else type(indices).__name__
        raise TypeError(f"expected 'indices' to be integer dtype, but got {dtype}")
    shape = (shape,) if isinstance(shape, numbers.Integral) else tuple(shape)
    if any(not isinstance(n, numbers.Integral) for n in shape):
        raise TypeError(f"expected 'shape' to be int or sequence of ints, but got {shape}")
    if any(n < 0 for n in shape):
        raise ValueError(f"'shape' cannot have negative values, but got {shape}")
    flat = indices._data.astype(xp.int64)
    coordinates = []
    stride = 1
    with xp.errstate(divide="ignore"):  # a size 0 gives 0s (no index exists)
        for n in reversed(shape):
            coordinates.append(Tensor._make((flat // stride) % n if n and stride else flat * 0))
            stride *= n
    return tuple(reversed(coordinates))
