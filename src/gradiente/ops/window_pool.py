"""Max and average pooling on window views: one array operation per kernel tap.

A k×k pooling window with stride s is read as k·k strided slices of the (padded) input, one
per tap (i, j): ``x[..., i·d : : s, j·d : : s]``. Max pooling is then k·k ``maximum`` calls and
average pooling k·k additions over whole tensors — the Python loop runs over the taps only,
never over the batch, the channels or the pixels. Backward writes (max) or adds (average) the
gradient back through the same slices; for max pooling a small per-output "which tap won"
array (uint8) decides where each gradient goes, with PyTorch's tie rule: the first maximum in
the window, in row-major order, gets it.

Results keep the memory layout of the input (channels-last stays channels-last, see
``ops/conv.py``). Gradients of gradients work: the backward of each pooling is itself a
Function whose backward is the pooling again (max: scatter ↔ gather through the winning taps).

Everything here works on (N, C, H, W); 1-D pooling is 2-D pooling of (N, C, 1, L), and
``ops/pool.py`` (the public functions) checks the arguments and builds the geometry.
"""

from __future__ import annotations

from dataclasses import dataclass

from gradiente.autograd import function as _function
from gradiente.autograd.grad_mode import grad_state
from gradiente.backend import ascontiguous, xp
from gradiente.ops import pool2x2
from gradiente.ops.array_function import ArrayFunction
from gradiente.ops.device_pool import DeviceMaxPool2d
from gradiente.ops.reduce import torch_type_name
from gradiente.parallel import over_count


# ------------------------------------------------------------------------------ geometry
@dataclass(slots=True, eq=False)
class PoolGeometry:
    """Kernel, stride, padding, dilation; input (H, W) and output (OH, OW) sizes."""

    kernel: tuple  # (kh, kw)
    stride: tuple  # (sh, sw)
    padding: tuple  # (ph, pw)
    dilation: tuple  # (dh, dw)
    image: tuple  # (H, W)
    out: tuple  # (OH, OW)

    def padded(self) -> tuple:
        """(Hp, Wp): padded input big enough for every window (ceil_mode may need more)."""
        (kh, kw), (sh, sw), (ph, pw), (dh, dw) = (
            self.kernel,
            self.stride,
            self.padding,
            self.dilation,
        )
        H, W = self.image
        OH, OW = self.out
        return (
            max(H + 2 * ph, (OH - 1) * sh + dh * (kh - 1) + 1),
            max(W + 2 * pw, (OW - 1) * sw + dw * (kw - 1) + 1),
        )

    def needs_padding(self) -> bool:
        return self.padding != (0, 0) or self.padded() != self.image

    def disjoint(self) -> bool:
        """True when no input element belongs to two windows (stride ≥ dilated kernel)."""
        (kh, kw), (sh, sw), (dh, dw) = self.kernel, self.stride, self.dilation
        return sh >= dh * (kh - 1) + 1 and sw >= dw * (kw - 1) + 1

    def tiles(self) -> bool:
        """True when the windows partition the input exactly (kernel == stride, no padding)."""
        return (
            self.kernel == self.stride
            and self.dilation == (1, 1)
            and self.padding == (0, 0)
            and (self.out[0] * self.kernel[0], self.out[1] * self.kernel[1]) == self.image
        )


# ------------------------------------------------------------------------------ inputs
# What the public functions (ops/pool.py, ops/adaptive_pool.py) share: dtype checks, and every
# input seen as a batched (N, C, H, W) tensor, 1-D pooling being 2-D pooling of (N, C, 1, L).
def check_dtype(kernel: str, x, allowed: str) -> None:
    """Raise PyTorch's error for a dtype its CPU kernel does not cover (``kernel`` is the
    name PyTorch's message gives): ``allowed`` is "float" (floating only), "float_long"
    (floating or int64: average pooling) or "not_bool" (every dtype but bool: max pooling).
    bfloat16 counts as floating: its rule (``ops/bfloat16.py``) decides how the op runs."""
    kind, name = x.dtype.kind, x.dtype.name
    if name == "bfloat16":
        kind = "f"
    ok = {
        "float": kind == "f",
        "float_long": kind == "f" or name == "int64",
        "not_bool": kind != "b",
    }[allowed]
    if not ok:
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{torch_type_name(x.dtype)}'")


def batched(op: str, input, spatial: int):
    """(input as batched, whether a batch axis was added): unbatched inputs get one."""
    nd = input._data.ndim
    if nd == spatial + 1:
        return input.unsqueeze(0), True
    if nd != spatial + 2:
        raise RuntimeError(
            f"{op}: expected {spatial + 1}D (unbatched) or {spatial + 2}D (batched) input, but "
            f"got input of size: {tuple(input._data.shape)}"
        )
    return input, False


def as_2d(x, spatial: int):
    """(N, C, L) → (N, C, 1, L) for 1-D pooling; 2-D input unchanged."""
    return x.unsqueeze(2) if spatial == 1 else x


def from_2d(y, spatial: int, unbatched: bool):
    """Undo ``as_2d`` and ``batched`` on a result."""
    if spatial == 1:
        y = y.squeeze(2)
    return y.squeeze(0) if unbatched else y


def wrap_indices(idx, spatial: int, unbatched: bool):
    """return_indices' int64 array as a Tensor shaped like the output."""
    t = _function._Tensor._make(idx, False, None)
    return from_2d(t, spatial, unbatched)


# ------------------------------------------------------------------------------ arrays
def _channels_last(a) -> bool:
    """Whether a 4-D (N, C, H, W) array is stored channels-last (as conv outputs are)."""
    return a.shape[1] > 1 and a.strides[1] == a.itemsize


def _layout(a) -> tuple:
    """(shape, channels_last) of an input, saved so that its gradient is built alike."""
    return a.shape, _channels_last(a)


def _in_layout(a, channels_last: bool):
    """``a`` stored channels-last or NCHW as asked (one copy when it is not already).

    Element-wise NumPy loops over arrays of different layouts are many times slower, so a
    gradient arriving NCHW (e.g. from ``view``) is converted once to the input's layout.
    """
    if channels_last:
        return ascontiguous(a.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    return ascontiguous(a)


def _full(shape, value, dtype, channels_last: bool):
    """An (N, C, H, W) array filled with ``value`` (``None``: uninitialised), stored
    channels-last or not."""
    N, C, H, W = shape
    if value is None:
        if channels_last:
            return xp.empty((N, H, W, C), dtype=dtype).transpose(0, 3, 1, 2)
        return xp.empty(shape, dtype=dtype)
    if channels_last:
        return xp.full((N, H, W, C), value, dtype=dtype).transpose(0, 3, 1, 2)
    return xp.full(shape, value, dtype=dtype)


def _padded_input(x, geom: PoolGeometry, fill):
    """x surrounded by ``fill`` so that every window lies inside (no copy when none is needed)."""
    if not geom.needs_padding():
        return x
    N, C, H, W = x.shape
    Hp, Wp = geom.padded()
    ph, pw = geom.padding
    xp_ = _full((N, C, Hp, Wp), fill, x.dtype, _channels_last(x))
    xp_[:, :, ph : ph + H, pw : pw + W] = x
    return xp_


def _taps(a, geom: PoolGeometry):
    """The kh·kw strided slices of a padded array, each of shape (N, C, OH, OW), row-major."""
    (kh, kw), (sh, sw), (dh, dw) = geom.kernel, geom.stride, geom.dilation
    OH, OW = geom.out
    return [
        a[:, :, i * dh : i * dh + sh * (OH - 1) + 1 : sh, j * dw : j * dw + sw * (OW - 1) + 1 : sw]
        for i in range(kh)
        for j in range(kw)
    ]


def _lowest(dtype):
    return -xp.inf if dtype.kind == "f" else xp.iinfo(dtype).min


def _scatter_taps(geom: PoolGeometry, shape, dtype, channels_last, put):
    """Input-shaped gradient built tap by tap: ``put(t, tap, whole, images)`` fills the slice
    of tap t for the images ``images`` (a slice of the batch).

    When the windows tile the input (``whole``) each element is written exactly once, so the
    result needs no zero fill; otherwise it starts at zero and ``put`` assigns (disjoint
    windows) or adds (overlapping windows). A large batch is split into runs of images over
    gradiente's threads (the runs write disjoint memory).
    """
    N, C, H, W = shape
    Hp, Wp = geom.padded() if geom.needs_padding() else (H, W)
    ph, pw = geom.padding
    whole = geom.tiles()
    if whole:
        gx = _full(shape, None, dtype, channels_last)
    else:
        gx = _full((N, C, Hp, Wp), 0, dtype, channels_last)
    taps = _taps(gx, geom)

    def fill(a, b):
        for t, tap in enumerate(taps):
            put(t, tap[a:b], whole, slice(a, b))

    over_count(fill, N, gx.nbytes)
    if whole or ((Hp, Wp) == (H, W) and not ph and not pw):
        return gx
    return gx[:, :, ph : ph + H, pw : pw + W]


def backward_op(op, kernel, grad, *args):
    """A pooling's backward: the Function ``op`` under ``create_graph`` (so that it can be
    differentiated again), else its array ``kernel`` straight away, with no graph node."""
    if grad_state.enabled:
        return op.apply(grad, *args)
    return kernel(grad._data, *args)


# ------------------------------------------------------------------------------ max pooling
def _max_forward(x, geom: PoolGeometry, with_argmax: bool):
    """Window maxima (N, C, OH, OW) and, if asked, the index of the winning tap (uint8/int32).

    Only whole-array arithmetic: ``where``/masked copies are ~20x slower in NumPy than a
    multiply. Taps come in increasing order, so "tap t is strictly greater than the running
    maximum" can be recorded as arg = max(arg, better·t); a tie keeps the earlier tap, which
    is PyTorch's first-maximum rule. A large batch is split into runs of images over
    gradiente's threads.
    """
    if pool2x2.applies(x, geom):
        result = pool2x2.forward(x, _channels_last(x), with_argmax)
        if result is not None:
            return result
    taps = _taps(_padded_input(x, geom, _lowest(x.dtype)), geom)
    if len(taps) == 1:
        out = xp.copy(taps[0], order="K")
        return out, (xp.zeros_like(out, dtype=xp.uint8) if with_argmax else None)
    out = xp.empty_like(taps[0])  # the input's layout (channels-last stays channels-last)
    index = xp.uint8 if len(taps) < 256 else xp.int32
    arg = xp.empty_like(taps[0], dtype=index) if with_argmax else None

    def run(a, b):
        _max_of_taps([tap[a:b] for tap in taps], out[a:b], None if arg is None else arg[a:b])

    over_count(run, x.shape[0], x.nbytes)
    return out, arg


def _max_of_taps(taps, out, arg) -> None:
    """``out`` = the maximum over ``taps``, and ``arg`` (unless None) the winning tap."""
    # maximum(a, b) answers b on a tie: the running maximum goes second, so that of 0.0 and
    # -0.0 the earlier tap wins, as in PyTorch
    xp.maximum(taps[1], taps[0], out=out)
    if arg is None:
        for tap in taps[2:]:
            xp.maximum(tap, out, out=out)
        return
    index = arg.dtype.type
    arg[...] = taps[1] > taps[0]
    for t, tap in enumerate(taps[2:], 2):
        better = tap > out
        xp.maximum(tap, out, out=out)
        xp.maximum(arg, better * index(t), out=arg)
    if out.dtype.kind == "f" and xp.isnan(out).any():
        # PyTorch's rule takes a tap when it is greater *or NaN* (so the last NaN wins)
        best = taps[0]
        arg[...] = 0
        for t, tap in enumerate(taps[1:], 1):
            take = (tap > best) | xp.isnan(tap)
            best = xp.where(take, tap, best)
            arg[take] = t


def _max_scatter(g, arg, geom: PoolGeometry, shape, channels_last):
    """dL/dx of max pooling: each output's gradient goes to its winning tap.

    g·[arg == t] is a fast multiply; it would turn an infinite gradient into NaN at the
    losing taps (∞·0), so non-finite gradients take the exact (slower) masked copy.
    """
    g = _in_layout(g, channels_last)
    disjoint = geom.disjoint()
    exact = not xp.isfinite(g).all()

    def put(t, tap, whole, images):
        gi, won = g[images], arg[images] == t
        if exact:  # masked writes
            if whole:
                tap[...] = 0
            if whole or disjoint:
                xp.copyto(tap, gi, where=won)
            else:
                tap += xp.where(won, gi, 0)
        elif whole or disjoint:
            xp.multiply(gi, won, out=tap)
        else:
            tap += gi * won

    return _scatter_taps(geom, shape, g.dtype, channels_last, put)


def _max_gather(gx, arg, geom: PoolGeometry):
    """The adjoint of ``_max_scatter``: pick from an input-shaped array at the winning taps."""
    taps = _taps(_padded_input(gx, geom, 0), geom)
    out = xp.copy(taps[0], order="K")
    for t, tap in enumerate(taps[1:], 1):
        xp.copyto(out, tap, where=arg == t)
    return out


def _flat_indices(arg, geom: PoolGeometry):
    """PyTorch's return_indices: the winner's flat position h·W + w in its (H, W) plane."""
    kw = geom.kernel[1]
    (sh, sw), (ph, pw), (dh, dw) = geom.stride, geom.padding, geom.dilation
    OH, OW = geom.out
    W = geom.image[1]
    arg = arg.astype(xp.int64)
    rows = (xp.arange(OH, dtype=xp.int64) * sh - ph)[:, None] + (arg // kw) * dh
    cols = (xp.arange(OW, dtype=xp.int64) * sw - pw) + (arg % kw) * dw
    return ascontiguous(rows * W + cols)


class MaxPool2d(ArrayFunction):
    backward_name = "MaxPool2DWithIndicesBackward0"

    @staticmethod
    def forward(ctx, x, geom, indices_out):
        need_arg = indices_out is not None or (grad_state.enabled and x._requires_grad)
        out, arg = _max_forward(x._data, geom, need_arg)
        if indices_out is not None:
            indices_out.append(_flat_indices(arg, geom))
        ctx.geom = geom
        ctx.layout = _layout(x._data)
        ctx.save_for_backward(arg)
        return out

    @staticmethod
    def backward(ctx, grad):
        (arg,) = ctx.saved_tensors
        gx = backward_op(_MaxPool2dBackward, _max_scatter, grad, arg, ctx.geom, *ctx.layout)
        return gx, None, None


class _MaxPool2dBackward(ArrayFunction):
    """dx = scatter(g) through the winning taps; its own backward is the gather."""

    backward_name = "MaxPool2DWithIndicesBackwardBackward0"

    @staticmethod
    def forward(ctx, g, arg, geom, shape, channels_last):
        ctx.geom = geom
        ctx.save_for_backward(arg)
        return _max_scatter(g._data, arg, geom, shape, channels_last)

    @staticmethod
    def backward(ctx, grad):
        (arg,) = ctx.saved_tensors
        return _MaxGather.apply(grad, arg, ctx.geom), None, None, None, None


class _MaxGather(ArrayFunction):
    backward_name = "MaxPool2DWithIndicesBackward0"

    @staticmethod
    def forward(ctx, gx, arg, geom):
        ctx.geom = geom
        ctx.layout = _layout(gx._data)
        ctx.save_for_backward(arg)
        return _max_gather(gx._data, arg, geom)

    @staticmethod
    def backward(ctx, grad):
        (arg,) = ctx.saved_tensors
        return _MaxPool2dBackward.apply(grad, arg, ctx.geom, *ctx.layout), None, None


def max_pool(x, geom: PoolGeometry, return_indices: bool, spatial: int, unbatched: bool):
    """Max pooling of (N, C, H, W) ``x`` shaped back as the input was (plus the flat indices)."""
    holder = [] if return_indices else None
    kernel = MaxPool2d if type(x._data) is xp.ndarray else DeviceMaxPool2d  # CUDA: device_pool
    out = from_2d(kernel.apply(x, geom, holder), spatial, unbatched)
    if return_indices:
        return out, wrap_indices(holder[0], spatial, unbatched)
    return out


# ------------------------------------------------------------------------------ avg pooling
def avg_count(geom: PoolGeometry, count_include_pad: bool, divisor_override):
    """The divisor of each window: an int, or an (OH, OW) int array where windows differ.

    PyTorch counts a window clipped at the padded border (hend = min(hstart + k, H + p)); with
    count_include_pad=False only the real input elements count.
    """
    if divisor_override:
        return int(divisor_override)
    sizes = []
    for a in range(2):
        k, s, p = geom.kernel[a], geom.stride[a], geom.padding[a]
        size = geom.image[a]
        start = xp.arange(geom.out[a]) * s - p
        end = xp.minimum(start + k, size + p)
        if not count_include_pad:
            start, end = xp.maximum(start, 0), xp.minimum(end, size)
        sizes.append(end - start)
    count = sizes[0][:, None] * sizes[1][None, :]
    first = count.flat[0]
    if (count == first).all():
        return int(first)
    return count


def avg_divisor(geom: PoolGeometry, count_include_pad: bool, divisor_override, dtype):
    """The elements per window (what torch divides each window's sum by) as an int, or an
    (OH, OW) array where windows differ. Divided, not multiplied by its inverse: the product
    with 1 / count rounds differently in a tenth to a half of the outputs."""
    count = avg_count(geom, count_include_pad, divisor_override)
    if isinstance(count, int):
        return count
    return count.astype(dtype)


def avg_integer(x, geom: PoolGeometry, count):
    """Average pooling of int64 input as PyTorch's CPU kernel does it: the window sum in int64
    (wrapping on overflow), then C's integer division, which truncates toward zero."""
    taps = _taps(_padded_input(x, geom, 0), geom)
    total = xp.copy(taps[0], order="K")
    for tap in taps[1:]:
        total += tap
    # truncation from floor division: one up where the division is inexact and negative
    q = total // count
    q += (total - q * count != 0) & ((total < 0) ^ (xp.asarray(count) < 0))
    return q


def _avg_forward(x, geom: PoolGeometry, divisor):
    # PyTorch's window sum starts from +0.0, so a window of -0.0 averages to +0.0 (a plain sum
    # of -0.0 terms is -0.0): the + 0.0 costs one pass over the (small) output.
    taps = _taps(_padded_input(x, geom, 0), geom)
    if len(taps) == 1:
        out = xp.add(taps[0], 0.0, dtype=taps[0].dtype)
    else:
        out = xp.add(taps[0], taps[1])
        for tap in taps[2:]:
            out += tap
        out += 0.0
    return _divided(out, divisor)


def _divided(a, divisor, in_place=True):
    """a / divisor (in place, or as a new array); a tuple (kh, kw) divides twice, as torch's
    adaptive kernels do (sum / kh / kw rounds differently from sum / (kh·kw))."""
    first, *rest = divisor if isinstance(divisor, tuple) else (divisor,)
    a = xp.divide(a, first, out=a if in_place else None)
    for d in rest:
        a /= d
    return a


def _avg_scatter(g, geom: PoolGeometry, divisor, shape, channels_last):
    """dL/dx of average pooling: g / count spread over every element of each window."""
    gs = _divided(_in_layout(g, channels_last), divisor, in_place=False)
    disjoint = geom.disjoint()

    def put(t, tap, whole, images):
        if whole or disjoint:
            tap[...] = gs[images]
        else:
            tap += gs[images]

    return _scatter_taps(geom, shape, g.dtype, channels_last, put)


class AvgPool2d(ArrayFunction):
    backward_name = "AvgPool2DBackward0"

    @staticmethod
    def forward(ctx, x, geom, divisor):
        ctx.geom, ctx.divisor = geom, divisor
        ctx.layout = _layout(x._data)
        return _avg_forward(x._data, geom, divisor)

    @staticmethod
    def backward(ctx, grad):
        gx = backward_op(_AvgPool2dBackward, _avg_scatter, grad, ctx.geom, ctx.divisor, *ctx.layout)
        return gx, None, None


class _AvgPool2dBackward(ArrayFunction):
    """dx = spread g/count over each window; linear, so its backward is avg pooling again."""

    backward_name = "AvgPool2DBackwardBackward0"

    @staticmethod
    def forward(ctx, g, geom, divisor, shape, channels_last):
        ctx.geom, ctx.divisor = geom, divisor
        return _avg_scatter(g._data, geom, divisor, shape, channels_last)

    @staticmethod
    def backward(ctx, grad):
        return AvgPool2d.apply(grad, ctx.geom, ctx.divisor), None, None, None, None
