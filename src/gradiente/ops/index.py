"""Indexing: ``x[idx]`` and ``x[idx] = v``, index_select, gather and scatter_add."""

from __future__ import annotations

from gradiente.autograd.function import Function
from gradiente.autograd.grad_mode import grad_state
from gradiente.backend import add_at, array_device_index, device_array, get_array_module, xp
from gradiente.ops.array_function import ArrayFunction


def _index_on_device(data, index):
    """``index`` with its NumPy arrays copied to ``data``'s CUDA device (CuPy indexes a device
    array with device arrays; some callers build index arrays on the host, e.g. pad, unfold)."""
    if isinstance(index, tuple):
        return tuple(_index_on_device(data, i) for i in index)
    if isinstance(index, xp.ndarray):
        return device_array(data, index)
    return index


def kept(index):
    """``index`` with its arrays copied, for a node to keep until backward: the arrays may be
    the memory of the caller's index tensors, which the caller may change in place before
    backward (``x[idx]; idx[0] = 4``: the gradient must still go where the forward read).
    Copied only in grad mode (without it nothing is recorded)."""
    if not grad_state.enabled:
        return index
    if isinstance(index, tuple):
        return tuple(kept(i) for i in index)
    if hasattr(index, "copy") and getattr(index, "ndim", 0):
        return index.copy()
    return index


def _is_array_index(i) -> bool:
    """An integer/bool array or list in an index (a NumPy array, or a CUDA device array)."""
    return isinstance(i, (xp.ndarray, list)) or array_device_index(i) is not None


def _has_advanced(index) -> bool:
    if isinstance(index, tuple):
        return any(_is_array_index(i) for i in index)
    return _is_array_index(index)


class Index(ArrayFunction):
    """x[index] for a NumPy-style index (ints, slices, None, Ellipsis, int/bool arrays)."""

    backward_name = "IndexBackward0"

    @staticmethod
    def forward(ctx, a, index):
        if type(a._data) is not xp.ndarray:
            index = _index_on_device(a._data, index)
        ctx.index, ctx.shape = kept(index), a._data.shape
        return a._data[index]

    @staticmethod
    def backward(ctx, grad):
        return IndexBackward.apply(grad, ctx.index, ctx.shape), None


class BasicIndex(Index):
    """x[ints/slices/None/...]: a view of x."""

    backward_name = "SliceBackward0"
    _is_view = True

    @staticmethod
    def forward(ctx, a, index):
        ctx.index, ctx.shape = index, a._data.shape
        out = a._data[index]
        if isinstance(out, xp.generic):  # (a CUDA array's element is a 0-d array already)
            # NumPy returns a scalar copy for an all-integer index; with a trailing ``...`` it
            # returns the same element as a 0-d view, which in-place ops must write through.
            out = a._data[index + (Ellipsis,)]
        return out

    def name(self) -> str:
        # PyTorch applies the index item by item (select, slice, unsqueeze) and names the node
        # after the last one that did something; full slices ``:`` and ``...`` do nothing.
        name = None
        for item in self.index:
            if item is None:
                name = "UnsqueezeBackward0"
            elif isinstance(item, int):
                name = "SelectBackward0"
            elif isinstance(item, slice) and item != slice(None):
                name = "SliceBackward0"
        if name is None:
            return "AliasBackward0" if Ellipsis in self.index else "SliceBackward0"
        return name


class IndexBackward(ArrayFunction):
    """Scatter a gradient into zeros at ``index``; repeated indices accumulate (add.at)."""

    backward_name = "IndexPutBackward0"

    @staticmethod
    def forward(ctx, grad, index, shape):
        if type(grad._data) is not xp.ndarray:
            index = _index_on_device(grad._data, index)
        ctx.index = kept(index)
        out = get_array_module(grad._data).zeros(shape, dtype=grad._data.dtype)
        if _has_advanced(index):
            add_at(out, index, grad._data)
        else:
            out[index] = grad._data
        return out

    @staticmethod
    def backward(ctx, grad):
        return grad[ctx.index], None, None


class IndexPut(ArrayFunction):
    """out = x with out[index] = v (the out-of-place form of ``x[index] = v``)."""

    backward_name = "IndexPutBackward0"

    @staticmethod
    def forward(ctx, a, index, v):
        if type(a._data) is not xp.ndarray:
            index = _index_on_device(a._data, index)
        ctx.index = kept(index)
        out = a._data.copy()
        out[index] = v._data if hasattr(v, "_data") else v
        return out

    @staticmethod
    def backward(ctx, grad):
        grad_a = grad_v = None
        if ctx.needs_input_grad[0]:
            grad_a = IndexPut.apply(grad, ctx.index, 0.0)
        if ctx.needs_input_grad[2]:
            grad_v = grad[ctx.index]
        return grad_a, None, grad_v


class IndexSelect(ArrayFunction):
    backward_name = "IndexSelectBackward0"

    @staticmethod
    def forward(ctx, a, dim, index):
        if type(a._data) is not xp.ndarray:
            index = _index_on_device(a._data, index)
        ctx.dim, ctx.index, ctx.shape = dim, kept(index), a._data.shape
        return xp.take(a._data, index, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        full = (slice(None),) * ctx.dim + (ctx.index,)
        return IndexBackward.apply(grad, full, ctx.shape), None, None


class IndexCopy(IndexPut):
    """``x.index_copy(dim, index, v)``: ``IndexPut`` along one dim, under torch's node name."""

    backward_name = "IndexCopyBackward0"


class CopySlices(IndexPut):
    """``x[index] = v`` recorded in place on a tensor in the graph (PyTorch's node name)."""

    backward_name = "CopySlices"


class WriteView(Function):
    """out = x with ``view(out) = v``: an in-place write through any view of x, where ``view``
    replays the view ops from x (index, transpose, reshape, ...). Recorded as PyTorch's
    ``CopySlices``.

    Gradients: the view's region of out came from v, the rest from x, so
    dL/dx = grad with the region zeroed, dL/dv = view(grad).
    """

    backward_name = "CopySlices"

    @staticmethod
    def forward(ctx, x, v, view):
        ctx.view = view
        out = x._data.copy()
        view(x._make(out))._data[...] = v._data
        return out

    @staticmethod
    def backward(ctx, grad):
        grad_x = grad_v = None
        if ctx.needs_input_grad[0]:
            # zeros, not view(grad)·0: an infinite gradient times 0 would be NaN
            region = ctx.view(grad).detach()
            grad_x = WriteView.apply(grad, region.new_zeros(region.shape), ctx.view)
        if ctx.needs_input_grad[1]:
            grad_v = ctx.view(grad)
        return grad_x, grad_v, None
