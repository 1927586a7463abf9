"""Pooling, the public functions: max_pool1d/2d and avg_pool1d/2d as torch.nn.functional.

Here the arguments are checked with PyTorch's messages and turned into a window geometry; the
work is done on window views by ``ops/window_pool.py`` (read it for the algorithm). Adaptive
pooling lives in ``ops/adaptive_pool.py`` and is re-exported here, so that every pooling
function can be imported from ``gradiente.ops.pool``.
"""

from __future__ import annotations

from gradiente.autograd import function as _function
from gradiente.ops.adaptive_pool import (
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    adaptive_max_pool1d,
    adaptive_max_pool2d,
)
from gradiente.ops.device_conv import on_device
from gradiente.ops.device_pool import DeviceAvgPool2d
from gradiente.ops.window import POOL_TUPLE_ERROR, int_tuple, pool_out_size
from gradiente.ops.window_pool import (
    AvgPool2d,
    PoolGeometry,
    as_2d,
    avg_count,
    avg_divisor,
    avg_integer,
    batched,
    check_dtype,
    from_2d,
    max_pool,
)


# ------------------------------------------------------------------------------ geometry
def _pool_geometry(
    op, x, kernel_size, stride, padding, dilation, ceil_mode, spatial, max_pool
) -> PoolGeometry:
    """Check pooling arguments like PyTorch and compute the geometry ((1, k) kernels for 1-D)."""
    n = spatial
    k = int_tuple(kernel_size, n, "kernel_size", op, POOL_TUPLE_ERROR)
    s = k if stride is None or (not isinstance(stride, int) and len(stride) == 0) else None
    s = s if s is not None else int_tuple(stride, n, "stride", op, POOL_TUPLE_ERROR)
    p = int_tuple(padding, n, "padding", op, POOL_TUPLE_ERROR)
    d = int_tuple(dilation, n, "dilation", op, POOL_TUPLE_ERROR)
    if n == 1:
        k, s, p, d = (1,) + k, (1,) + s, (0,) + p, (1,) + d
    if min(k) < 1 or min(s) < 1 or min(d) < 1:
        raise RuntimeError(
            f"{op}: kernel_size, stride and dilation must be greater than zero, but got "
            f"kernel_size={k[2 - n :]}, stride={s[2 - n :]}, dilation={d[2 - n :]}"
        )
    for pi, ki, di in zip(p, k, d, strict=True):
        if max_pool and pi > ((ki - 1) * di + 1) // 2:
            raise RuntimeError(
                f"{op}: pad should be at most half of effective kernel size, but got pad={pi}, "
                f"kernel_size={ki} and dilation={di}"
            )
        if not max_pool and pi > ki // 2:
            raise RuntimeError(
                f"{op}: pad should be at most half of kernel size, but got pad={pi} and "
                f"kernel_size={ki}"
            )
    image = tuple(x._data.shape[2:]) if n == 2 else (1, x._data.shape[2])
    out = tuple(pool_out_size(image[a], k[a], s[a], p[a], d[a], ceil_mode) for a in range(2))
    if min(out) < 1:
        C = x._data.shape[1]
        shape_in = "x".join(str(v) for v in (C,) + image[2 - n :])
        shape_out = "x".join(str(v) for v in (C,) + out[2 - n :])
        raise RuntimeError(
            f"{op}: given input size: ({shape_in}). Calculated output size: ({shape_out}). "
            "Output size is too small"
        )
    return PoolGeometry(k, s, p, d, image, out)


# ------------------------------------------------------------------------------ public API
def _max_pool(op, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, n):
    x, unbatched = batched(op, input, n)
    geom = _pool_geometry(op, x, kernel_size, stride, padding, dilation, ceil_mode, n, True)
    if n == 1 and not (return_indices or x._requires_grad):
        # PyTorch's plain 1-D kernel takes floating input only; the one with indices any
        check_dtype("max_pool1d_impl", x._data, "float")
    check_dtype("max_pool2d", x._data, "not_bool")
    return max_pool(as_2d(x, n), geom, return_indices, n, unbatched)


def max_pool2d(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
):
    """2-D max pooling over (N, C, H, W) (or (C, H, W)) input, as torch.nn.functional.

    ``stride`` defaults to ``kernel_size``; padding counts as -inf. With ``return_indices``
    also returns each maximum's flat position h·W + w in its input plane (int64).
    """
    return _max_pool(
        "max_pool2d", input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 2
    )


def max_pool1d(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
):
    """1-D max pooling over (N, C, L) (or (C, L)) input, as torch.nn.functional."""
    return _max_pool(
        "max_pool1d", input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 1
    )


def _avg_pool(op, input, kernel_size, stride, padding, ceil_mode, count_include_pad, div, n):
    x, unbatched = batched(op, input, n)
    geom = _pool_geometry(op, x, kernel_size, stride, padding, 1, ceil_mode, n, False)
    if div is not None and div == 0:
        raise RuntimeError(f"{op}: divisor must be not zero")
    check_dtype("avg_pool2d", x._data, "float_long")
    if x._data.dtype.kind != "f":  # int64: no gradient, integer arithmetic
        y = avg_integer(as_2d(x, n)._data, geom, avg_count(geom, count_include_pad, div))
        return from_2d(_function._Tensor._make(y, False, None), n, unbatched)
    scale = avg_divisor(geom, count_include_pad, div, x._data.dtype)
    if on_device(x):  # on CUDA: ops/device_pool.py
        return from_2d(DeviceAvgPool2d.apply(as_2d(x, n), geom, scale), n, unbatched)
    return from_2d(AvgPool2d.apply(as_2d(x, n), geom, scale), n, unbatched)


def avg_pool2d(
    input,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode=False,
    count_include_pad=True,
    divisor_override=None,
):
    """2-D average pooling, as torch.nn.functional.avg_pool2d.

    Padding counts as zeros; ``count_include_pad=False`` divides by the number of real input
    elements in each window instead; ``divisor_override`` replaces the divisor.
    """
    return _avg_pool(
        "avg_pool2d",
        input,
        kernel_size,
        stride,
        padding,
        ceil_mode,
        count_include_pad,
        divisor_override,
        2,
    )


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """1-D average pooling over (N, C, L) (or (C, L)) input, as torch.nn.functional."""
    return _avg_pool(
        "avg_pool1d", input, kernel_size, stride, padding, ceil_mode, count_include_pad, None, 1
    )


__all__ = [
    "max_pool1d",
    "max_pool2d",
    "avg_pool1d",
    "avg_pool2d",
    "adaptive_avg_pool1d",
    "adaptive_avg_pool2d",
    "adaptive_max_pool1d",
    "adaptive_max_pool2d",
]
