"""Shape ops: views (reshape, permute, expand, ...) and joins (cat, stack, pad, repeat)."""

from __future__ import annotations

import itertools

from gradiente.autograd.function import torch_strides_known
from gradiente.backend import add_at, as_strided, get_array_module, xp
from gradiente.ops import geometry
from gradiente.ops.array_function import ArrayFunction, PassGrad, renamed
from gradiente.ops.index import IndexBackward, WriteView


class Reshape(ArrayFunction):
    """x.reshape(shape), a view when the strides allow; the gradient is reshaped back."""

    backward_name = "ViewBackward0"
    _is_view = True
    _may_copy = True  # NumPy copies when the strides cannot express the new shape

    @staticmethod
    def forward(ctx, a, shape):
        ctx.shape = a._data.shape
        return a._data.reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        return grad.reshape(ctx.shape), None


# reshapes under the names torch gives them
Squeeze = renamed(
    Reshape, "Squeeze", "SqueezeBackward1", "x.squeeze(dim): a reshape, named as torch names it."
)
SqueezeAll = renamed(
    Reshape,
    "SqueezeAll",
    "SqueezeBackward0",
    "x.squeeze(): every size-1 dim dropped; a reshape, named as torch names it.",
)
Unsqueeze = renamed(
    Reshape,
    "Unsqueeze",
    "UnsqueezeBackward0",
    "x.unsqueeze(dim): a reshape, named as torch names it.",
)


class Permute(ArrayFunction):
    """x.permute(dims), a view; the gradient is permuted back by the inverse permutation."""

    backward_name = "PermuteBackward0"
    _is_view = True

    @staticmethod
    def forward(ctx, a, dims):
        ctx.dims = dims
        return a._data.transpose(dims)

    @staticmethod
    def backward(ctx, grad):
        inverse = [0] * len(ctx.dims)
        for i, d in enumerate(ctx.dims):
            inverse[d] = i
        return grad.permute(tuple(inverse)), None  # a tuple: permute(()) of a 0-d tensor


class Transpose(ArrayFunction):
    """x.transpose(d0, d1), a view; a transposition is its own inverse."""

    backward_name = "TransposeBackward0"
    _is_view = True

    @staticmethod
    def forward(ctx, a, d0, d1):
        ctx.d0, ctx.d1 = d0, d1
        return xp.swapaxes(a._data, d0, d1)

    @staticmethod
    def backward(ctx, grad):
        return grad.transpose(ctx.d0, ctx.d1), None, None


T = renamed(
    Transpose, "T", "TBackward0", "x.t() of a matrix: a transpose, named as torch names it."
)


class Expand(PassGrad):
    """x.expand(shape), a broadcast view; dL/dx sums the gradient over the copies (the engine
    does, see PassGrad)."""

    backward_name = "ExpandBackward0"
    _is_view = True

    @staticmethod
    def forward(ctx, a, shape):
        if a._data.shape == tuple(shape):  # a writable view, as torch's (no element repeats)
            return a._data[...]
        return xp.broadcast_to(a._data, shape)


class Flip(ArrayFunction):
    """x.flip(dims); its own inverse, so the gradient is flipped back."""

    backward_name = "FlipBackward0"

    @staticmethod
    def forward(ctx, a, dims):
        ctx.dims = dims
        return xp.flip(a._data, axis=dims).copy()

    @staticmethod
    def backward(ctx, grad):
        return grad.flip(ctx.dims), None


class Cat(ArrayFunction):
    """cat(tensors, dim); the gradient is split back into the pieces' sizes."""

    backward_name = "CatBackward0"

    @staticmethod
    def forward(ctx, dim, *tensors):
        arrays = [t._data for t in tensors]
        # A 1-d empty tensor beside tensors of another rank is left out (PyTorch's legacy rule).
        ctx.kept = [a.ndim != 1 or a.shape[0] != 0 for a in arrays]
        if not any(ctx.kept) or all(a.ndim == 1 for a in arrays):
            ctx.kept = [True] * len(arrays)
        arrays = [a for a, k in zip(arrays, ctx.kept) if k]
        ctx.dim = dim
        ctx.sizes = [a.shape[dim] for a in arrays]
        return xp.concatenate(arrays, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        pieces = iter(grad.split(ctx.sizes, ctx.dim))
        return (None, *(next(pieces) if k else grad.new_zeros(0) for k in ctx.kept))


class Stack(ArrayFunction):
    """stack(tensors, dim); the gradient is unbound along ``dim``, one slice per input."""

    backward_name = "StackBackward0"

    @staticmethod
    def forward(ctx, dim, *tensors):
        ctx.dim = dim
        return xp.stack([t._data for t in tensors], axis=dim)

    @staticmethod
    def backward(ctx, grad):
        return (None, *grad.unbind(ctx.dim))


class Repeat(ArrayFunction):
    """x.repeat(*repeats), tiled copies; dL/dx sums the gradient over the copies."""

    backward_name = "RepeatBackward0"

    @staticmethod
    def forward(ctx, a, repeats):
        x = a._data
        ctx.in_shape = (1,) * (len(repeats) - x.ndim) + x.shape
        ctx.repeats = repeats
        return xp.tile(x.reshape(ctx.in_shape), repeats)

    @staticmethod
    def backward(ctx, grad):
        # View the gradient as (r0, s0, r1, s1, ...) and sum the copies r_i away.
        split = []
        for r, s in zip(ctx.repeats, ctx.in_shape, strict=True):
            split += [r, s]
        g = grad.reshape(tuple(split)).sum(dim=tuple(range(0, len(split), 2)))
        return g, None


class ConstantPad(ArrayFunction):
    """F.pad(x, pad, value=v); negative pads crop. dL/dx: the unpadded part of the gradient."""

    backward_name = "ConstantPadNdBackward0"

    @staticmethod
    def forward(ctx, a, pad_width, value):
        x = a._data
        # Negative padding crops: apply the crop first, then pad what is positive.
        crop = tuple(
            slice(max(-lo, 0), x.shape[i] - max(-hi, 0)) for i, (lo, hi) in enumerate(pad_width)
        )
        ctx.crop, ctx.in_shape = crop, x.shape
        x = x[crop]
        positive = [(max(lo, 0), max(hi, 0)) for lo, hi in pad_width]
        ctx.inner = tuple(slice(lo, lo + n) for (lo, _), n in zip(positive, x.shape, strict=True))
        return xp.pad(x, positive, mode="constant", constant_values=value)

    @staticmethod
    def backward(ctx, grad):
        g = grad[ctx.inner]
        if any(s.start or s.stop != n for s, n in zip(ctx.crop, ctx.in_shape, strict=True)):
            g = PadBack.apply(g, ctx.crop, ctx.in_shape)
        return g, None, None


class PadBack(IndexBackward):
    """Embed a cropped gradient back into zeros of the original shape: ``apply(g, region,
    shape)`` with ``region`` a tuple of slices (the index scatter, named as torch names it)."""

    backward_name = "SliceBackward0"


class Diagonal(ArrayFunction):
    """The ``offset``-th diagonal over two dims, as a new last dim (a view in PyTorch)."""

    backward_name = "DiagonalBackward0"
    _is_view = True

    @staticmethod
    def forward(ctx, a, offset, dim1, dim2):
        x = a._data
        ctx.args, ctx.shape = (offset, dim1, dim2), x.shape
        diagonal = xp.diagonal(x, offset, dim1, dim2)  # read-only in NumPy
        # The same elements as a writable view: start at the diagonal's first element and step
        # with its strides, so ``x.diagonal().fill_(v)`` writes into x as in PyTorch.
        start = [slice(None)] * x.ndim
        start[dim2 if offset >= 0 else dim1] = slice(abs(offset), None)
        return as_strided(x[tuple(start)], diagonal.shape, diagonal.strides)

    @staticmethod
    def backward(ctx, grad):
        return DiagonalBackward.apply(grad, *ctx.args, ctx.shape), None, None, None


class DiagonalBackward(ArrayFunction):
    """Write a diagonal's gradient into zeros of the input's shape (diag_embed's core)."""

    backward_name = "DiagonalBackwardBackward0"

    @staticmethod
    def forward(ctx, g, offset, dim1, dim2, shape):
        ctx.args = (offset, dim1, dim2)
        m = get_array_module(g._data)
        out = m.zeros(shape, dtype=g._data.dtype)
        n = g._data.shape[-1]
        rows = m.arange(n) + max(-offset, 0)
        cols = m.arange(n) + max(offset, 0)
        # moveaxis gives a view, so the assignment writes the diagonal of ``out``
        xp.moveaxis(out, (dim1, dim2), (-2, -1))[..., rows, cols] = g._data
        return out

    @staticmethod
    def backward(ctx, grad):
        return Diagonal.apply(grad, *ctx.args), None, None, None, None


class Unfold(ArrayFunction):
    """x.unfold(dim, size, step): the windows of ``size`` elements every ``step`` along
    ``dim``, as a new last dim — a view, with ``dim``'s stride times ``step`` and the window's
    stride ``dim``'s own. The gradient adds each window's gradient back where it was read."""

    backward_name = "UnfoldBackward0"
    _is_view = True

    @staticmethod
    def forward(ctx, a, dim, size, step):
        x = a._data
        ctx.args, ctx.shape = (dim, size, step), x.shape
        shape = list(x.shape)
        shape[dim] = (shape[dim] - size) // step + 1
        strides = list(x.strides)
        strides[dim] *= step
        return as_strided(x, (*shape, size), (*strides, x.strides[dim]))

    @staticmethod
    def backward(ctx, grad):
        return UnfoldBackward.apply(grad, *ctx.args, ctx.shape), None, None, None


class UnfoldBackward(ArrayFunction):
    """The windows' gradient (``unfold``'s output shape) summed into zeros of the input's
    shape: window element ``k`` of window ``i`` came from position ``i·step + k`` (a 1-D
    fold). Its own gradient is ``unfold`` again."""

    backward_name = "UnfoldBackwardBackward0"

    @staticmethod
    def forward(ctx, g, dim, size, step, shape):
        ctx.args = (dim, size, step)
        windows = g._data
        out = get_array_module(windows).zeros(shape, dtype=windows.dtype)
        n = windows.shape[dim]
        target = xp.moveaxis(out, dim, -1)  # a view: writes land in out
        source = xp.moveaxis(windows, dim, -2)  # (..., n, size)
        for k in range(size):  # one strided slice per window position: n elements each
            target[..., k : k + step * (n - 1) + 1 : step] += source[..., k]
        return out

    @staticmethod
    def backward(ctx, grad):
        return Unfold.apply(grad, *ctx.args), None, None, None, None


def _storage_positions(geometry, m):
    """The storage positions (in elements) of a strided view's elements, in its shape;
    ``geometry`` is ``(shape, strides, storage_offset)``, all in elements."""
    shape, strides, offset = geometry
    positions = m.full(tuple(shape), offset, dtype=m.int64)
    for k, (n, step) in enumerate(zip(shape, strides)):
        axis_shape = [1] * len(shape)
        axis_shape[k] = n
        positions = positions + (m.arange(n, dtype=m.int64) * step).reshape(axis_shape)
    return positions


class AsStrided(ArrayFunction):
    """x.as_strided(size, stride, storage_offset): a view of the memory x lives in (its root
    tensor's, its *storage*), the element at index i at storage position
    ``storage_offset + Σ i_k·stride_k`` — sizes, strides and offset in elements, as torch's.
    The gradient is moved between the two geometries through a zero storage (``Restride``)."""

    backward_name = "AsStridedBackward0"
    _is_view = True

    @staticmethod
    def forward(ctx, a, size, stride, storage_offset):
        root = a if a._base is None else a._base
        x = a._data
        item = x.itemsize
        own_strides, own_offset = geometry.torch_geometry(a)
        ctx.geometries = (x.shape, own_strides, own_offset), (size, stride, storage_offset)
        storage = root._data
        if not torch_strides_known(a) and not storage.flags.c_contiguous:
            # gradiente's own layout (a convolution's channels-last result): torch's storage
            # holds the elements row-major, so read a row-major copy (which a write through
            # the result does not reach)
            storage = get_array_module(storage).ascontiguousarray(storage)
        # a 1-D view of the storage from position storage_offset on, then the asked strides
        start = as_strided(storage, (storage_offset + 1,), (item,))[storage_offset:]
        return as_strided(start, size, tuple(s * item for s in stride))

    @staticmethod
    def backward(ctx, grad):
        own, strided = ctx.geometries
        return Restride.apply(grad, strided, own), None, None, None


class Restride(ArrayFunction):
    """``apply(g, source, target)``: g (laid out as the strided geometry ``source``) written
    into a zero storage — elements at the same position add up — and read back as the
    geometry ``target``: as_strided's gradient, and (with the geometries swapped) its
    gradient's gradient."""

    backward_name = "AsStridedBackwardBackward0"

    @staticmethod
    def forward(ctx, g, source, target):
        ctx.geometries = source, target
        m = get_array_module(g._data)
        read = _storage_positions(source, m)
        write = _storage_positions(target, m)
        ends = [p.max() + 1 for p in (read, write) if p.size]
        storage = m.zeros(int(max(ends, default=0)), dtype=g._data.dtype)
        add_at(storage, read, g._data)
        return storage[write]

    @staticmethod
    def backward(ctx, grad):
        source, target = ctx.geometries
        return Restride.apply(grad, target, source), None, None


class Split(ArrayFunction):
    """Pieces of ``sizes`` along ``dim`` (views of the input); the gradient concatenates the
    pieces' gradients (zeros for pieces that were not used)."""

    backward_name = "SplitBackward0"
    _is_view = True

    def name(self) -> str:
        return "SplitWithSizesBackward0" if self.by_sizes else "SplitBackward0"

    @staticmethod
    def forward(ctx, a, sizes, dim, by_sizes):
        ctx.dim, ctx.by_sizes = dim, by_sizes
        bounds = list(itertools.accumulate(sizes))[:-1]  # Python ints: valid on any device
        return tuple(xp.split(a._data, bounds, axis=dim))

    @staticmethod
    def backward(ctx, *grads):
        return Cat.apply(ctx.dim, *grads), None, None, None


class Unbind(ArrayFunction):
    """The slices along ``dim`` (views); the gradient stacks the slices' gradients."""

    backward_name = "UnbindBackward0"
    _is_view = True

    @staticmethod
    def forward(ctx, a, dim):
        ctx.dim = dim
        x = a._data
        lead = (slice(None),) * dim
        return tuple(x[lead + (i, Ellipsis)] for i in range(x.shape[dim]))

    @staticmethod
    def backward(ctx, *grads):
        return Stack.apply(ctx.dim, *grads), None


class Roll(ArrayFunction):
    """Shift elements along dims, wrapping around: out[(i + s) mod n] = x[i]."""

    backward_name = "RollBackward0"

    @staticmethod
    def forward(ctx, a, shifts, dims):
        ctx.shifts, ctx.dims = shifts, dims
        if dims is None:
            return xp.roll(a._data.reshape(-1), shifts).reshape(a._data.shape)
        return xp.roll(a._data, shifts, axis=dims)

    @staticmethod
    def backward(ctx, grad):
        # Rolling back by the same amounts is the adjoint of a roll.
        back = tuple(-s for s in ctx.shifts) if isinstance(ctx.shifts, tuple) else -ctx.shifts
        return Roll.apply(grad, back, ctx.dims), None, None


class TrilTriu(ArrayFunction):
    """tril / triu: keep the entries on and below (above) the ``diagonal``-th diagonal."""

    backward_name = "TrilBackward0"

    def name(self) -> str:
        return "TrilBackward0" if self.lower else "TriuBackward0"

    @staticmethod
    def forward(ctx, a, lower, diagonal):
        ctx.lower, ctx.diagonal = lower, diagonal
        return (xp.tril if lower else xp.triu)(a._data, diagonal)

    @staticmethod
    def backward(ctx, grad):
        # A mask is its own adjoint: the gradient keeps the same triangle.
        return TrilTriu.apply(grad, ctx.lower, ctx.diagonal), None, None


# x with one view of it replaced by src (``view`` a function of a tensor, replayed on the
# gradient): WriteView under the names torch gives its scatters
SelectScatter = renamed(
    WriteView, "SelectScatter", "SelectScatterBackward0", "torch.select_scatter: a WriteView."
)
SliceScatter = renamed(
    WriteView, "SliceScatter", "SliceScatterBackward0", "torch.slice_scatter: a WriteView."
)
DiagonalScatter = renamed(
    WriteView, "DiagonalScatter", "DiagonalScatterBackward0", "torch.diagonal_scatter: a WriteView."
)
