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

from gradiente.autograd import function as _function
from gradiente.backend import device_array, get_array_module, xp
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
from gradiente.ops.window import ntuple


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
    lowest = -am.inf if a.dtype.kind == "f" else am.iinfo(a.dtype).min
    padded = am.full((N, C, *_padded_size(image, k, s, p, d, out)), lowest, dtype=a.dtype)
    padded[(slice(None), slice(None), *(slice(pi, pi + i) for pi, i in zip(p, image)))] = a
    best = arg = None
    for t, tap in enumerate(itertools.product(*(range(ki) for ki in k))):
        v = padded[(slice(None), slice(None), *_tap_slices(tap, s, d, out))]
        if best is None:
            best, arg = v.copy(), am.zeros(v.shape, dtype=am.int64)
            continue
        take = v > best  # strict: of equal values the first tap (row-major) wins
        if a.dtype.kind == "f":
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
def unpool_output_size(input, kernel_size, stride, padding, output_size, n: int) -> tuple:
    """The spatial size of max_unpool's output: (I − 1)·s − 2p + k by default, or
    ``output_size`` (spatial, or with N and C first), which must lie strictly within one
    stride of that default (PyTorch's _unpool_output_size)."""
    k, s, p = ntuple(kernel_size, n), ntuple(stride, n), ntuple(padding, n)
    default = [(input.shape[-n + i] - 1) * s[i] + k[i] - 2 * p[i] for i in range(n)]
    if output_size is None:
        return tuple(default)
    output_size = tuple(output_size)
    if len(output_size) == n + 2:
        output_size = output_size[2:]
    if len(output_size) != n:
        raise ValueError(
            f"output_size should be a sequence containing {n} or {n + 2} elements, but it has "
            f"a length of '{len(output_size)}'"
        )
    for i in range(n):
        low, high = default[i] - s[i], default[i] + s[i]
        if not low < output_size[i] < high:
            raise ValueError(
                f'invalid output_size "{output_size}" (dim {i} must be between {low} and {high})'
            )
    return output_size


def _check_unpool(input, indices, n):
    """torch's checks of max unpooling, with its messages: 1-D unpooling is torch's 2-D one
    of (N, C, L, 1), so its messages name that op and shape."""
    dims = max(n, 2)
    if indices._data.dtype != xp.int64:
        got = "" if n == 3 else f" but got: {torch_type_name(indices._data.dtype)}"
        raise RuntimeError(f"elements in indices should be type int64{got}")
    extra = 1 if n == 1 else 0  # the 1-D input's trailing axis of length 1
    if input.ndim + extra not in (dims + 1, dims + 2):
        raise RuntimeError(
            f"Input to max_unpooling{dims}d should be a {dims + 1}d or {dims + 2}d Tensor, but "
            f"got a tensor with {input.ndim + extra} dimensions."
        )
    if tuple(indices.shape) != tuple(input.shape):
        row = [1] * extra
        raise RuntimeError(
            f"Expected shape of indices to be same as that of the input tensor "
            f"({list(input.shape) + row}) but got indices tensor with shape: "
            f"{list(indices.shape) + row}"
        )


def _max_unpool(op, input, indices, kernel_size, stride, padding, output_size, n):
    stride = kernel_size if stride is None else stride
    size = unpool_output_size(input, kernel_size, stride, padding, output_size, n)
    _check_unpool(input, indices, n)
    x, unbatched = _batched(op, input, n)
    idx = indices.unsqueeze(0) if unbatched else indices
    N, C = x.shape[:2]
    volume = math.prod(size)
    flat = idx._data.reshape(N, C, math.prod(idx.shape[2:]))
    invalid = (flat < 0) | (flat >= volume)
    if invalid.any():  # torch names the first one it meets
        bad = int(flat.ravel()[int(invalid.ravel().argmax())])
        shown = (*size, 1) if n == 1 else size
        raise RuntimeError(
            f"Found an invalid max index: {bad} (output volumes are of size "
            f"{'x'.join(map(str, shown))})"
        )
    zeros = x.new_zeros((N, C, volume))
    y = zeros.scatter(2, _wrap(flat), x.reshape(N, C, flat.shape[2])).reshape(N, C, *size)
    return y.squeeze(0) if unbatched else y


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Partial inverse of max_pool1d: each value put back at its index, zeros elsewhere."""
    args = (input, indices, kernel_size, stride, padding, output_size, 1)
    return _max_unpool("max_unpool1d", *args)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Partial inverse of max_pool2d: each value of ``input`` written at its flat index
    (h·W + w, from ``max_pool2d(..., return_indices=True)``) of a zero (N, C, H, W) output."""
    args = (input, indices, kernel_size, stride, padding, output_size, 2)
    return _max_unpool("max_unpool2d", *args)


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Partial inverse of max_pool3d: each value put back at its index, zeros elsewhere."""
    args = (input, indices, kernel_size, stride, padding, output_size, 3)
    return _max_unpool("max_unpool3d", *args)


__all__ = ["max_pool3d", "avg_pool3d", "max_unpool1d", "max_unpool2d", "max_unpool3d"]
