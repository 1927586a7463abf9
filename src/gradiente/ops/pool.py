"""Pooling, the public functions: max_pool1d/2d and avg_pool1d/2d as torch.nn.functional.

Here the arguments are checked with PyTorch's messages and turned into a window geometry; the
work is done on window views by ``ops/window_pool.py`` (read it for the algorithm). Adaptive
pooling lives in ``ops/adaptive_pool.py`` and is re-exported here, so that every pooling
function can be imported from ``gradiente.ops.pool``.
"""

from __future__ import annotations

from gradiente.autograd import function as _function
from gradiente.autograd.grad_mode import grad_state
from gradiente.backend import BF16, xp
from gradiente.ops.adaptive_pool import (
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    adaptive_max_pool1d,
    adaptive_max_pool2d,
)
from gradiente.ops.device_conv import on_device
from gradiente.ops.device_pool import DeviceAvgPool2d
from gradiente.ops.geometry import follows_channels_last
from gradiente.ops.pool_args import (
    bool_arg,
    check1d,
    check_dim_range,
    expand,
    int_list,
    optional_int,
    pool2d_shape_check,
    pooling_output_shape,
    size_at,
    tensor_arg,
)
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
def max_pool2d_geometry(shape, k, s, p, d, ceil_mode) -> PoolGeometry:
    """ATen's checks of a 2-D max pooling (``max_pool2d_with_indices``), in its order, and the
    window geometry; k, s, p, d are the parsed int lists (s may be empty: the kernel)."""
    k = expand(k, 2, "max_pool2d: kernel_size must either be a single int, or a tuple of two ints")
    s = k if not s else s
    s = expand(
        s, 2, "max_pool2d: stride must either be omitted, a single int, or a tuple of two ints"
    )
    p = expand(p, 2, "max_pool2d: padding must either be a single int, or a tuple of two ints")
    d = expand(d, 2, "max_pool2d: dilation must be either a single int, or a tuple of two ints")
    if len(shape) not in (3, 4):
        raise RuntimeError("non-empty 3D or 4D (batch mode) tensor expected for input")
    image = tuple(shape[-2:])
    out = tuple(pooling_output_shape(image[a], k[a], p[a], s[a], d[a], ceil_mode) for a in (0, 1))
    pool2d_shape_check(shape, k, s, p, d, out)
    return PoolGeometry(k, s, p, d, image, out)


def avg_pool2d_geometry(shape, k, s, p, ceil_mode, divisor_override) -> PoolGeometry:
    """ATen's checks of a 2-D average pooling, in its order, and the window geometry."""
    k = expand(k, 2, "avg_pool2d: kernel_size must either be a single int, or a tuple of two ints")
    s = k if not s else s
    s = expand(
        s, 2, "avg_pool2d: stride must either be omitted, a single int, or a tuple of two ints"
    )
    p = expand(p, 2, "avg_pool2d: padding must either be a single int, or a tuple of two ints")
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    size_at(shape, -3)  # torch reads the channel count first (an IndexError for 1-D input)
    image = (size_at(shape, -2), size_at(shape, -1))
    out = tuple(pooling_output_shape(image[a], k[a], p[a], s[a], 1, ceil_mode) for a in (0, 1))
    pool2d_shape_check(shape, k, s, p, (1, 1), out)
    return PoolGeometry(k, s, p, (1, 1), image, out)


def _as_row(shape) -> tuple:
    """(N, C, L) → (N, C, 1, L): the shape a 1-D pooling hands to the 2-D one."""
    return (*shape[:-1], 1, shape[-1])


def _parse_max(op, input, kernel_size, stride, padding, dilation, ceil_mode):
    """The parser's checks of max pooling's arguments: (input, k, s, p, d, ceil_mode)."""
    x = tensor_arg(op, input)
    k = int_list(op, "kernel_size", kernel_size, 2)
    s = () if stride is None else int_list(op, "stride", stride, 3)
    p = int_list(op, "padding", padding, 4)
    d = int_list(op, "dilation", dilation, 5)
    return x, k, s, p, d, bool_arg(op, "ceil_mode", ceil_mode, 6)


def _parse_avg(op, input, kernel_size, stride, padding, ceil_mode, count_include_pad, div):
    """The parser's checks of average pooling's arguments (the last three are usually passed
    by keyword, which torch's messages show without a position)."""
    x = tensor_arg(op, input)
    k = int_list(op, "kernel_size", kernel_size, 2)
    s = () if stride is None else int_list(op, "stride", stride, 3)
    p = int_list(op, "padding", padding, 4)
    bool_arg(op, "ceil_mode", ceil_mode, None)
    bool_arg(op, "count_include_pad", count_include_pad, None)
    return x, k, s, p, optional_int(op, "divisor_override", div, None)


def _max_pool1d_geometry(x, k, s, p, d, ceil_mode, return_indices) -> PoolGeometry:
    """torch's two 1-D max poolings check differently: ``max_pool1d`` (no indices) with its own
    messages, ``max_pool1d_with_indices`` as the 2-D pooling of (N, C, 1, L)."""
    shape = tuple(x.shape)
    s = k if not s else s
    if return_indices:
        check_dim_range("max_pool1d", x, 2, 4)
        for name, v in (("kernel_size", k), ("stride", s), ("padding", p), ("dilation", d)):
            check1d("max_pool1d", name, v)
        return max_pool2d_geometry(_as_row(shape), (1, *k), (1, *s), (0, *p), (1, *d), ceil_mode)
    nd = len(shape)
    if not ((nd == 2 and 0 not in shape) or (nd == 3 and 0 not in shape[1:])):
        raise RuntimeError(
            "max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size "
            f"for input, but got:{list(shape)}"
        )
    for name, v, what in (
        ("kernel_size", k, "an int, list of ints or tuple of ints"),
        ("stride", s, "None, an int, list of ints, or tuple of ints"),
        ("padding", p, "an int, list of ints, or tuple of ints"),
        ("dilation", d, "an int, list of ints or tuple of ints"),
    ):
        if len(v) != 1:
            raise RuntimeError(
                f"max_pool1d() {name} must be {what} of size 1 but got size {len(v)}"
            )
    (k,), (s,), (p,), (d,) = k, s, p, d
    for name, v in (("kernel_size", k), ("stride", s)):
        if v <= 0:
            raise RuntimeError(f"max_pool1d() {name} must be greater than zero, but got {v}")
    if p < 0:
        raise RuntimeError(f"max_pool1d() padding must be non-negative, but got {p}")
    if p > k // 2:
        raise RuntimeError(
            "max_pool1d() padding should be at most half of kernel size, but got "
            f"padding={p} and kernel_size={k}"
        )
    if d <= 0:
        raise RuntimeError(f"max_pool1d() dilation must be greater than zero, but got {d}")
    out = pooling_output_shape(shape[-1], k, p, s, d, ceil_mode)
    if out <= 0:
        raise RuntimeError(f"max_pool1d() Invalid computed output size: {out}")
    return PoolGeometry((1, k), (1, s), (0, p), (1, d), (1, shape[-1]), (1, out))


# ------------------------------------------------------------------------------ public API
@follows_channels_last
def max_pool2d(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
):
    """2-D max pooling over (N, C, H, W) (or (C, H, W)) input, as torch.nn.functional.

    ``stride`` defaults to ``kernel_size``; padding counts as -inf. With ``return_indices``
    also returns each maximum's flat position h·W + w in its input plane (int64).
    """
    op = "max_pool2d_with_indices" if return_indices else "max_pool2d"
    x, *args = _parse_max(op, input, kernel_size, stride, padding, dilation, ceil_mode)
    geom = max_pool2d_geometry(tuple(x.shape), *args)
    x, unbatched = batched("max_pool2d", x, 2)
    check_dtype("max_pool2d", x._data, "not_bool")
    return max_pool(x, geom, return_indices, 2, unbatched)


def max_pool1d(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
):
    """1-D max pooling over (N, C, L) (or (C, L)) input, as torch.nn.functional."""
    op = "max_pool1d_with_indices" if return_indices else "max_pool1d"
    x, *args = _parse_max(op, input, kernel_size, stride, padding, dilation, ceil_mode)
    geom = _max_pool1d_geometry(x, *args, return_indices)
    x, unbatched = batched("max_pool1d", x, 1)
    if not (return_indices or (x._requires_grad and grad_state.enabled)):
        # PyTorch's plain 1-D kernel takes floating input only; the one with indices any
        check_dtype("max_pool1d_impl", x._data, "float")
    check_dtype("max_pool2d", x._data, "not_bool")
    return max_pool(as_2d(x, 1), geom, return_indices, 1, unbatched)


def _avg_pool(x, geom, count_include_pad, div, n):
    """Average pooling of a checked input over a checked geometry (n spatial axes)."""
    check_dtype("avg_pool2d", x._data, "float_long")
    x, unbatched = batched(f"avg_pool{n}d", x, n)
    dtype = x._data.dtype
    if dtype.name == "int64":  # no gradient, integer arithmetic
        y = avg_integer(as_2d(x, n)._data, geom, avg_count(geom, count_include_pad, div))
        return from_2d(_function._Tensor._make(y, False, None), n, unbatched)
    # bfloat16 and float16 run the float32 kernel (ops/bfloat16.py), whose divisors are float32
    wide = dtype == BF16 or dtype == xp.float16
    divisor = avg_divisor(geom, count_include_pad, div, xp.float32 if wide else dtype)
    if on_device(x):  # on CUDA: ops/device_pool.py
        return from_2d(DeviceAvgPool2d.apply(as_2d(x, n), geom, divisor), n, unbatched)
    return from_2d(AvgPool2d.apply(as_2d(x, n), geom, divisor), n, unbatched)


@follows_channels_last
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
    args = (input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)
    x, k, s, p, div = _parse_avg("avg_pool2d", *args)
    geom = avg_pool2d_geometry(tuple(x.shape), k, s, p, ceil_mode, div)
    return _avg_pool(x, geom, count_include_pad, div, 2)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """1-D average pooling over (N, C, L) (or (C, L)) input, as torch.nn.functional: torch's
    2-D average pooling of (N, C, 1, L), after its own checks of the 1-D arguments."""
    args = (input, kernel_size, stride, padding, ceil_mode, count_include_pad, None)
    x, k, s, p, _ = _parse_avg("avg_pool1d", *args)
    s = k if not s else s
    check_dim_range("avg_pool1d", x, 2, 4)
    for name, v in (("kernel_size", k), ("stride", s), ("padding", p)):
        check1d("avg_pool1d", name, v)
    geom = avg_pool2d_geometry(_as_row(tuple(x.shape)), (1, *k), (1, *s), (0, *p), ceil_mode, None)
    return _avg_pool(x, geom, count_include_pad, None, 1)


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
