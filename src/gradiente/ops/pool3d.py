"""Volumetric pooling (max_pool3d, avg_pool3d) and max unpooling (max_unpool1d/2d/3d).

All three are composed from differentiable Tensor ops, so their gradients (and gradients of
gradients) come from ops that already have them — no new backward to write:

- **max pooling** = a *gather*. Which element of each window wins is decided on arrays, with
  no gradient: the windows are read tap by tap (tap (i, j, l) of every window is one strided
  slice of the padded input) and a running "greater, or NaN" comparison keeps PyTorch's rule
  (the first maximum wins a tie, a NaN always wins). The winners' flat positions in their
  (D, H, W) volume are ``return_indices``; the output is ``x.flatten(2).gather(2, indices)``,
  whose gradient scatters g back to the winners (adding where windows overlap).
- **average pooling** = the sum of the kd·kh·kw tap slices of the zero-padded input, times
  1 / (elements per window): torch's divisor, which can differ window by window at the
  border (``count_include_pad``, ``ceil_mode``) or be ``divisor_override``.
- **max unpooling** = a *scatter*: zeros of the output size with each input value written at
  its index, ``zeros.scatter(2, indices, x)``; its gradient gathers at the same indices.

The window geometry comes from ``ops/window.py``; argument checks give PyTorch's messages.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable

from gradiente.autograd import function as _function
from gradiente.backend import BF16, device_array, get_array_module, xp
from gradiente.ops.adaptive_pool import _PlaneGather
from gradiente.ops.arguments import require_tensor
from gradiente.ops.array_function import renamed
from gradiente.ops.geometry import follows_channels_last
from gradiente.ops.pool_args import (
    bool_arg,
    expand,
    int_list,
    optional_int,
    pool3d_shape_check,
    pooling_output_shape,
    tensor_arg,
)
from gradiente.ops.reduce import torch_type_name
from gradiente.ops.shape import ConstantPad


def _wrap(array):
    """An array as a Tensor that needs no gradient (indices, divisors)."""
    return _function._Tensor._make(array, False, None)


# ------------------------------------------------------------------------------ geometry
_MAX_SIZES = (
    "max_pool3d: kernel_size must either be a single int, or a tuple of three ints",
    "max_pool3d: stride must either be omitted, a single int, or a tuple of three ints",
    "max_pool3d: padding must either be a single int, or a tuple of three ints",
)
_AVG_SIZES = (
    "avg_pool3d: kernel_size must be a single int, or a tuple of three ints",
    "avg_pool3d: stride must be omitted, a single int, or a tuple of three ints",
    "avg_pool3d: padding must be a single int, or a tuple of three ints",
)


def _parse(op, input, kernel_size, stride, padding):
    """The parser's checks: (input, k, s, p) as int lists (s empty when omitted). Average
    pooling's messages name positions only for these four (see ``ops/pool.py``)."""
    x = tensor_arg(op, input)
    k = int_list(op, "kernel_size", kernel_size, 2)
    s = () if stride is None else int_list(op, "stride", stride, 3)
    return x, k, s, int_list(op, "padding", padding, 4)


def _pool_geometry(x, k, s, p, d, ceil_mode, is_max, divisor_override=None):
    """ATen's checks of a 3-D pooling, in its order: (kernel, stride, padding, dilation, image,
    out), each a (t, h, w) triple."""
    sizes = _MAX_SIZES if is_max else _AVG_SIZES
    k = expand(k, 3, sizes[0])
    s = expand(s if s else k, 3, sizes[1])
    p = expand(p, 3, sizes[2])
    d = expand(d, 3, "max_pool3d: dilation must be either a single int, or a tuple of three ints")
    shape = tuple(x.shape)
    if len(shape) not in (4, 5):
        raise RuntimeError("non-empty 4D or 5D (batch mode) tensor expected for input")
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    image = shape[-3:]
    out = tuple(
        pooling_output_shape(i, ki, pi, si, di, ceil_mode)
        for i, ki, si, pi, di in zip(image, k, s, p, d, strict=True)
    )
    name = "max_pool3d_with_indices_out_cpu_template()" if is_max else "avg_pool3d()"
    pool3d_shape_check(shape, k, s, p, d, out, name, not is_max)
    return k, s, p, d, image, out


def _batched(op, input, n: int):
    """(input with a batch axis, whether one was added); n + 1 or n + 2 dims accepted."""
    if input.ndim == n + 1:
        return input.unsqueeze(0), True
    if input.ndim != n + 2:
        raise RuntimeError(
            f"{op}: Expected {n + 1}D or {n + 2}D (batch mode) tensor for input, but got input "
            f"of size: {tuple(input.shape)}"
        )
    return input, False


def _padded_size(image, k, s, p, d, out) -> tuple:
    """Padded extent that holds every window (ceil_mode's last window may pass the padding)."""
    return tuple(
        max(i + 2 * pi, (o - 1) * si + di * (ki - 1) + 1)
        for i, ki, si, pi, di, o in zip(image, k, s, p, d, out, strict=True)
    )


def _tap_slices(tap, s, d, out) -> tuple:
    """The strided slice of the padded input that kernel tap ``tap`` reads for all windows."""
    return tuple(
        slice(t * di, t * di + si * (o - 1) + 1, si)
        for t, si, di, o in zip(tap, s, d, out, strict=True)
    )


# ------------------------------------------------------------------------------ max pooling
def _max_indices(a, k, s, p, d, image, out):
    """Flat (D·H·W) position of each window's maximum in an (N, C, D, H, W) array (int64)."""
    N, C = a.shape[:2]
    am = xp if type(a) is xp.ndarray else get_array_module(a)  # CuPy's for CUDA inputs
    floating = a.dtype.kind == "f" or a.dtype == BF16
    lowest = -am.inf if floating else am.iinfo(a.dtype).min
    padded = am.full((N, C, *_padded_size(image, k, s, p, d, out)), lowest, dtype=a.dtype)
    padded[(slice(None), slice(None), *(slice(pi, pi + i) for pi, i in zip(p, image)))] = a
    best = arg = None
    for t, tap in enumerate(itertools.product(*(range(ki) for ki in k))):
        v = padded[(slice(None), slice(None), *_tap_slices(tap, s, d, out))]
        if best is None:
            best, arg = v.copy(), am.zeros(v.shape, dtype=am.int64)
            continue
        take = v > best  # strict: of equal values the first tap (row-major) wins
        if floating:
            take |= am.isnan(v)  # PyTorch takes a NaN whenever it meets one
        am.copyto(best, v, where=take)
        arg[take] = t
    # tap number -> offsets (i, j, l) -> position o·s − p + i·d along each axis, then flat
    offsets = am.unravel_index(arg, k)
    flat = am.zeros_like(arg)
    for axis in range(3):
        shape = [1] * 5
        shape[2 + axis] = out[axis]
        starts = (am.arange(out[axis]) * s[axis] - p[axis]).reshape(shape)
        flat = flat * image[axis] + starts + offsets[axis] * d[axis]
    return flat


# max_pool3d as a gather from each flattened volume, torch's node (16-bit inputs only)
_MaxVolumeGather = renamed(_PlaneGather, "_MaxVolumeGather", "MaxPool3DWithIndicesBackward0")


def max_pool3d(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
):
    """3-D max pooling over (N, C, D, H, W) (or (C, D, H, W)) input, as torch.nn.functional.

    ``stride`` defaults to ``kernel_size``; padding counts as -inf. With ``return_indices``
    also returns each maximum's flat position d·H·W + h·W + w in its volume (int64).
    """
    op = "max_pool3d_with_indices" if return_indices else "max_pool3d"
    x, k, s, p = _parse(op, input, kernel_size, stride, padding)
    d = int_list(op, "dilation", dilation, 5)
    ceil_mode = bool_arg(op, "ceil_mode", ceil_mode, 6)
    k, s, p, d, image, out = _pool_geometry(x, k, s, p, d, ceil_mode, True)
    x, unbatched = _batched(op, x, 3)
    if x._data.dtype.kind == "b":
        raise NotImplementedError("\"max_pool3d\" not implemented for 'Bool'")
    flat = _wrap(_max_indices(x._data, k, s, p, d, image, out))
    N, C = x.shape[:2]
    if (x._data.dtype == BF16 or x._data.dtype == xp.float16) and x.requires_grad:
        # torch's 16-bit backward adds each output's gradient at its winner in the 16-bit type,
        # output after output (gather's adds in float32): ops/bfloat16.py's variant of this op
        volume = x.reshape(N, C, -1, 1)
        y = _MaxVolumeGather.apply(volume, flat.reshape(N, C, -1)._data, (N, C, *out))
    else:
        y = x.flatten(2).gather(2, flat.reshape(N, C, math.prod(out))).reshape(N, C, *out)
    if unbatched:
        y, flat = y.squeeze(0), flat.squeeze(0)
    return (y, flat) if return_indices else y


# ------------------------------------------------------------------------------ avg pooling
def _window_counts(k, s, p, image, out, count_include_pad: bool):
    """Elements per window, as PyTorch counts them: an (OD, OH, OW) int array.

    A window may run past the input into the padding (counted unless ``count_include_pad``
    is False) but never past the padding (hend = min(hstart + k, H + p)).
    """
    count = xp.ones((1, 1, 1), dtype=xp.int64)
    for axis in range(3):
        start = xp.arange(out[axis]) * s[axis] - p[axis]
        end = xp.minimum(start + k[axis], image[axis] + p[axis])
        if not count_include_pad:
            start, end = xp.maximum(start, 0), xp.minimum(end, image[axis])
        shape = [1, 1, 1]
        shape[axis] = out[axis]
        count = count * (end - start).reshape(shape)
    return count


def avg_pool3d(
    input,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode=False,
    count_include_pad=True,
    divisor_override=None,
):
    """3-D average pooling, as torch.nn.functional.avg_pool3d.

    Padding counts as zeros; ``count_include_pad=False`` divides by the number of real input
    elements in each window; ``divisor_override`` replaces the divisor.
    """
    op = "avg_pool3d"
    x, k, s, p = _parse(op, input, kernel_size, stride, padding)
    bool_arg(op, "ceil_mode", ceil_mode, None)
    bool_arg(op, "count_include_pad", count_include_pad, None)
    divisor_override = optional_int(op, "divisor_override", divisor_override, None)
    k, s, p, d, image, out = _pool_geometry(x, k, s, p, (1,), ceil_mode, False, divisor_override)
    x, unbatched = _batched(op, x, 3)
    if x._data.dtype.name not in ("float32", "float64", "int64"):  # torch's CPU kernel's
        name = torch_type_name(x._data.dtype)
        raise NotImplementedError(f"\"avg_pool3d_out_frame\" not implemented for '{name}'")
    # zero padding: p before, and after up to the extent the last window needs
    extent = _padded_size(image, k, s, p, d, out)
    pads = [(0, 0), (0, 0)] + [(pi, e - i - pi) for pi, e, i in zip(p, extent, image)]
    padded = ConstantPad.apply(x, pads, 0.0) if any(map(any, pads)) else x
    total = None
    for tap in itertools.product(*(range(ki) for ki in k)):
        v = padded[(slice(None), slice(None), *_tap_slices(tap, s, d, out))]
        total = v if total is None else total + v
    if divisor_override:
        divisor = int(divisor_override)
    else:
        count = _window_counts(k, s, p, image, out, count_include_pad)
        same = (count == count.flat[0]).all()
        # the counts are host arithmetic on the geometry; a varying divisor goes to x's device
        divisor = int(count.flat[0]) if same else _wrap(device_array(x._data, count, x._data.dtype))
    # int64 input: C's integer division, which truncates toward zero
    y = total / divisor if x._data.dtype.kind == "f" else total.div(divisor, rounding_mode="trunc")
    return y.squeeze(0) if unbatched else y


# ------------------------------------------------------------------------------ unpooling
# torch's max_unpool{1,2,3}d are Python functions that compute the output size (the checks
# of ``unpool_output_size``) and call the C++ op (``_unpool``'s checks, in its order). 1-D
# unpooling is the 2-D op of (N, C, L, 1), so its messages name that op and shape.
def _ntuple(value, n: int) -> tuple:
    """torch's ``_ntuple``: an iterable as a tuple, anything else repeated n times."""
    return tuple(value) if isinstance(value, Iterable) else (value,) * n


def unpool_output_size(input, kernel_size, stride, padding, output_size) -> list:
    """torch's ``_unpool_output_size``: (I − 1)·s − 2p + k along each of the
    len(kernel_size) last axes, or ``output_size`` (spatial, or with N and C first), which
    must lie strictly within one stride of that; no size may be negative."""
    input_size = input.size()
    n = len(kernel_size)
    default = [
        (input_size[-n + d] - 1) * stride[d] + kernel_size[d] - 2 * padding[d] for d in range(n)
    ]
    if output_size is None:
        size = default
    else:
        if len(output_size) == n + 2:
            output_size = output_size[2:]
        if len(output_size) != n:
            raise ValueError(
                f"output_size should be a sequence containing {n} or {n + 2} elements, but it "
                f"has a length of '{len(output_size)}'"
            )
        for d in range(n):
            low, high = default[d] - stride[d], default[d] + stride[d]
            if not low < output_size[d] < high:
                raise ValueError(
                    f'invalid output_size "{output_size}" (dim {d} must be between {low} and '
                    f"{high})"
                )
        size = output_size
    for d in range(n):
        if size[d] < 0:
            raise ValueError(
                "max_unpooling: output_size must contain non-negative spatial dimensions, but "
                f"got output_size[{d}]={size[d]}"
            )
    return size


def _ints(op: str, name: str, value, position: int) -> tuple:
    """An ``int[]`` argument as the parser reads it (a 1-D integer tensor too)."""
    if isinstance(value, _function._Tensor) and value.ndim == 1:
        value = value.tolist()
    return int_list(op, name, value, position)


def _lengths_3d(size, stride, padding) -> None:
    for name, values in (("output_size", size), ("stride", stride), ("padding", padding)):
        if len(values) != 3:
            got = "" if name == "output_size" else ":"
            raise RuntimeError(
                "There should be exactly three elements (depth, height, width) in "
                f"{name}, but got{got} {len(values)} elements."
            )


def _check_unpool(n: int, input, indices, size, stride, padding) -> tuple:
    """torch's checks of ``max_unpool2d(input, indices, size)`` (n = 2) or ``max_unpool3d(
    input, indices, size, stride, padding)`` (n = 3), in its order; the size as a tuple."""
    op = f"max_unpool{n}d"
    x = tensor_arg(op, input, 1)
    require_tensor(op, indices, "indices", 2)
    size = _ints(op, "output_size", size, 3)
    if n == 3:
        stride, padding = _ints(op, "stride", stride, 4), _ints(op, "padding", padding, 5)
    if indices._data.dtype != xp.int64:
        got = f" but got: {torch_type_name(indices._data.dtype)}" if n == 2 else ""
        raise RuntimeError(f"elements in indices should be type int64{got}")
    if n == 2 and len(size) != 2:
        raise RuntimeError(
            "There should be exactly two elements (height, width) in output_size, but got "
            f"{len(size)} elements."
        )
    if x.ndim not in (n + 1, n + 2):
        raise RuntimeError(
            f"Input to max_unpooling{n}d should be a {n + 1}d or {n + 2}d Tensor, but got a "
            f"tensor with {x.ndim} dimensions."
        )
    if n == 3:
        _lengths_3d(size, stride, padding)
    if tuple(indices.shape) != tuple(x.shape):
        raise RuntimeError(
            f"Expected shape of indices to be same as that of the input tensor "
            f"({list(x.shape)}) but got indices tensor with shape: {list(indices.shape)}"
        )
    for dim in range(1, x.ndim):
        if x.shape[dim] == 0:
            raise RuntimeError(
                f"max_unpooling{n}d_forward_out_cpu(): Expected input to have non-zero size for "
                f"non-batch dimensions, but got {list(x.shape)} with dimension {dim} being empty."
            )
    if n == 3 and min(stride) <= 0:
        raise RuntimeError(f"strides should be greater than zero, but got stride: {list(stride)}")
    if x._data.dtype.kind != "f" and x._data.dtype != BF16:
        name = torch_type_name(x._data.dtype)
        raise NotImplementedError(f"\"{op}\" not implemented for '{name}'")
    return size


def _unpool(n: int, input, indices, size, stride, padding):
    """The C++ op: each value of ``input`` written at its index of a zero output of spatial
    size ``size``. Of several invalid indices torch names the last one it meets: the last in
    memory order when one thread runs its loop (with several, the last one written)."""
    size = _check_unpool(n, input, indices, size, stride, padding)
    if input._data.dtype == BF16:  # moves values only: exact through float32
        return _unpool(n, input.float(), indices, size, stride, padding).bfloat16()
    unbatched = input.ndim == n + 1
    x = input.unsqueeze(0) if unbatched else input
    idx = indices.unsqueeze(0) if unbatched else indices
    N, C = x.shape[:2]
    volume = math.prod(size)
    flat = idx._data.reshape(N, C, math.prod(idx.shape[2:]))
    invalid = (flat < 0) | (flat >= volume)
    if volume and invalid.any():
        bad = int(flat.ravel()[invalid.size - 1 - int(invalid.ravel()[::-1].argmax())])
        raise RuntimeError(
            f"Found an invalid max index: {bad} (output volumes are of size "
            f"{'x'.join(map(str, size))})"
        )
    zeros = x.new_zeros((N, C, volume))
    if volume:
        zeros = zeros.scatter(2, _wrap(flat), x.reshape(N, C, flat.shape[2]))
    y = zeros.reshape(N, C, *size)
    return y.squeeze(0) if unbatched else y


def _max_unpool(input, indices, kernel_size, stride, padding, output_size, n: int):
    """torch's Python part of max_unpool{n}d: the sizes as n-tuples, the output size, and
    for 1-D the 2-D op on (…, L, 1)."""
    kernel_size = _ntuple(kernel_size, n)
    stride = kernel_size if stride is None else _ntuple(stride, n)
    padding = _ntuple(padding, n)
    size = unpool_output_size(input, kernel_size, stride, padding, output_size)
    if n == 1:
        size = size + [1] if isinstance(size, list) else (*size, 1)
        return _unpool(2, input.unsqueeze(-1), indices.unsqueeze(-1), size, None, None).squeeze(-1)
    return _unpool(n, input, indices, size, stride, padding)


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Partial inverse of max_pool1d: each value put back at its index, zeros elsewhere."""
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 1)


@follows_channels_last
def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Partial inverse of max_pool2d: each value of ``input`` written at its flat index
    (h·W + w, from ``max_pool2d(..., return_indices=True)``) of a zero (N, C, H, W) output."""
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 2)


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Partial inverse of max_pool3d: each value put back at its index, zeros elsewhere."""
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 3)


__all__ = ["max_pool3d", "avg_pool3d", "max_unpool1d", "max_unpool2d", "max_unpool3d"]
