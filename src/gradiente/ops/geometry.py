"""Torch's strides for gradiente's tensors, and torch's memory formats (``channels_last``).

A tensor's memory layout is mostly gradiente's own business: NumPy decides it, and values do
not depend on it. But a program can see it — ``x.stride()``, ``x.is_contiguous()``,
``x.storage_offset()``, ``x.as_strided(...)`` (which reads the memory itself) — and torch's
answers are part of its documented semantics. Two cases:

* the memory is laid out as torch's would be (a row-major result, a view of one, a tensor
  made ``channels_last`` on purpose: ``autograd.function.torch_strides_known``): the NumPy
  strides are torch's;
* the layout is gradiente's choice (a convolution keeps its result channels-last, where
  torch's is row-major): torch's strides are those of the row-major tensor torch has, and a
  view's are found by reading each of its strides as a step along the root's axes.

``channels_last`` is torch's NHWC order of a 4-d NCHW tensor (``channels_last_3d``: NDHWC of
a 5-d one); the rules for it below are torch's (``c10/core/MemoryFormat.h``).
"""

from __future__ import annotations

import functools

from gradiente.autograd.function import torch_strides_known
from gradiente.backend import get_array_module

# memory format name -> the axes, fastest first, of its dense layout (torch's loop order)
_CHANNELS_LAST_ORDER = {"channels_last": (1, 3, 2, 0), "channels_last_3d": (1, 4, 3, 2, 0)}
_RANK = {"channels_last": 4, "channels_last_3d": 5}


def format_name(memory_format) -> str:
    """The name of a ``gradiente.memory_format`` (None: ``contiguous_format``), or the name
    itself."""
    if isinstance(memory_format, str):
        return memory_format
    return getattr(memory_format, "_name", "contiguous_format")


def _root(t):
    return t if t._base is None else t._base


def _row_major(shape) -> list[int]:
    strides, step = [], 1
    for n in reversed(shape):
        strides.append(step)
        step *= max(n, 1)
    return strides[::-1]


def _dense_axes(shape, strides) -> list[int] | None:
    """The axes of size > 1, slowest first, if the memory they span is dense (a permutation
    of a row-major layout); None otherwise."""
    axes = sorted((a for a, n in enumerate(shape) if n > 1), key=lambda a: -strides[a])
    step = 1
    for a in reversed(axes):
        if strides[a] != step:
            return None
        step *= shape[a]
    return axes


def _unsqueezed(shape, strides) -> tuple[int, ...]:
    """``strides`` with torch's for the size-1 dims NumPy gives stride 0 (``x[None]``):
    unsqueeze's, the size times the stride of the next dim (1 for the last)."""
    if 0 not in strides:
        return tuple(strides)
    strides = list(strides)
    for d in reversed(range(len(shape))):
        if shape[d] == 1 and strides[d] == 0:
            strides[d] = shape[d + 1] * strides[d + 1] if d + 1 < len(shape) else 1
    return tuple(strides)


def torch_geometry(t) -> tuple[tuple[int, ...], int]:
    """(strides, storage offset) of ``t`` in elements, as torch's tensor has them."""
    data = t._data
    item = data.itemsize
    strides = [s // item for s in data.strides]
    root = _root(t)
    if root is t and data.size == 0 and not t.__dict__.get("_torch_layout", False):
        return tuple(_row_major(data.shape)), 0  # NumPy's strides of an empty array are 0s
    offset = 0 if root is t else (t.data_ptr() - root.data_ptr()) // item
    if torch_strides_known(t) or root._data.size == 0:
        return _unsqueezed(data.shape, strides), offset
    shape = root._data.shape
    real = [s // item for s in root._data.strides]
    axes = _dense_axes(shape, real)
    if axes is None or min(real, default=0) < 0:
        return tuple(strides), offset
    virtual = _row_major(shape)

    def translate(step: int) -> int | None:
        """A step in gradiente's memory, read as so many steps along each root axis, in
        torch's row-major memory."""
        sign, rest, total = (-1 if step < 0 else 1), abs(step), 0
        for a in axes:
            count, rest = divmod(rest, real[a])
            total += count * virtual[a]
        return None if rest else sign * total

    torch_strides = [translate(s) for s in strides]
    torch_offset = translate(offset)
    if torch_offset is None or None in torch_strides:
        return tuple(strides), offset
    # A size-1 dim made by unsqueeze has the stride "size × stride of the next dim" in both
    # libraries, which is not a step along the root's axes: take torch's for it.
    view_shape = data.shape
    for d in reversed(range(len(view_shape))):
        if view_shape[d] == 1:
            after = d + 1 < len(view_shape)
            if strides[d] == (view_shape[d + 1] * strides[d + 1] if after else 1):
                torch_strides[d] = view_shape[d + 1] * torch_strides[d + 1] if after else 1
    return tuple(torch_strides), torch_offset


def is_contiguous_as(shape, strides, memory_format) -> bool:
    """torch's ``is_contiguous(memory_format)`` for these sizes and strides: the dense layout
    of that format, ignoring the strides of size-1 dims (any numel-0 tensor is contiguous in
    the row-major sense)."""
    name = format_name(memory_format)
    if name in _CHANNELS_LAST_ORDER:
        if len(shape) != _RANK[name]:
            return False
        order = _CHANNELS_LAST_ORDER[name]
    else:
        if 0 in shape:
            return True
        order = tuple(reversed(range(len(shape))))
    expected = 1
    for d in order:
        if shape[d] != 1:
            if strides[d] != expected:
                return False
            expected *= shape[d]
    return True


def suggested_format(t) -> str:
    """torch's ``suggest_memory_format()``: ``channels_last`` (``_3d``) when a 4-d (5-d)
    tensor's strides are ordered as NHWC's (NDHWC's) (``is_channels_last_strides_2d``),
    ambiguous cases counting as row-major; ``contiguous_format`` otherwise."""
    name = {4: "channels_last", 5: "channels_last_3d"}.get(t.ndim)
    if name is None:
        return "contiguous_format"
    shape, (strides, _) = t._data.shape, torch_geometry(t)
    if strides[1] == 0:
        return "contiguous_format"
    smallest = 0
    for d in _CHANNELS_LAST_ORDER[name]:
        if shape[d] == 0 or strides[d] < smallest:
            return "contiguous_format"
        if d == 0 and smallest == strides[1]:
            return "contiguous_format"
        smallest = strides[d] * (shape[d] if shape[d] > 1 else 1)
    return name


def check_rank(t, memory_format) -> None:
    """torch refuses a channels-last format for a tensor of another rank."""
    name = format_name(memory_format)
    if name in _RANK and t.ndim != _RANK[name]:
        rank = _RANK[name]
        raise RuntimeError(f"required rank {rank} tensor to use {name} format")


def laid_out(array, memory_format):
    """A copy of ``array`` in ``memory_format``'s dense layout (NHWC memory for an NCHW array
    with ``channels_last``), seen in the array's own axis order."""
    name = format_name(memory_format)
    if name not in _CHANNELS_LAST_ORDER:
        return array.copy(order="C")
    slowest_first = tuple(reversed(_CHANNELS_LAST_ORDER[name]))
    memory = get_array_module(array).empty(
        [array.shape[a] for a in slowest_first], dtype=array.dtype
    )
    view = memory.transpose([slowest_first.index(a) for a in range(array.ndim)])
    view[...] = array
    return view


def _format_of_input(t) -> str:
    """``suggested_format(t)``, quickly: a row-major tensor, or one whose layout is gradiente's
    own choice (torch's being row-major), suggests ``contiguous_format``."""
    if not hasattr(t, "_data") or t.ndim not in (4, 5) or t._data.flags.c_contiguous:
        return "contiguous_format"
    if not torch_strides_known(t):
        return "contiguous_format"
    return suggested_format(t)


def lay_out(t, name: str, check: bool = False) -> None:
    """Give the new result ``t`` the dense layout of format ``name`` (if it has the format's
    rank; ``check``: torch's error if not), marked as torch's. A result that is a view of a
    composite op's intermediate (not of an input: torch's result is not a view) becomes a
    tensor of its own."""
    if check:
        check_rank(t, name)
    if not hasattr(t, "_data") or t.ndim != _RANK[name]:
        return
    data = t._data
    strides = [s // data.itemsize for s in data.strides]
    if not is_contiguous_as(data.shape, strides, name):
        if t._base is not None:
            t._base = t._view = t._version_counter = None
        t._data = laid_out(data, name)
    t.__dict__["_torch_layout"] = True


def common_format(tensors) -> str:
    """The layout torch's ``cat`` gives its result: the inputs' suggested format when they
    all suggest the same one, row-major otherwise."""
    names = {_format_of_input(t) for t in tensors}
    return names.pop() if len(names) == 1 else "contiguous_format"


def follows_channels_last(op=None, *, sources=1, when=None):
    """Decorator for an op whose torch CPU kernel lays its result out channels-last when its
    input's strides suggest it (convolutions, pooling, normalisation, resampling, padding):
    the result (each 4-d/5-d one, for an op returning several) is given that layout. With
    ``sources=2`` the second argument counts too (a convolution's weight); ``when(*args,
    **kwargs)`` can exclude some calls (circular padding, whose result is row-major)."""

    def wrap(fn):
        @functools.wraps(fn)
        def run(*args, **kwargs):
            out = fn(*args, **kwargs)
            if when is not None and not when(*args, **kwargs):
                return out
            name = "contiguous_format"
            for t in args[:sources]:
                name = _format_of_input(t)
                if name != "contiguous_format":
                    break
            if name != "contiguous_format":
                root = args[0]._base if args[0]._base is not None else args[0]
                for t in out if isinstance(out, tuple) else (out,):
                    if t is not root and getattr(t, "_base", None) is not root:
                        lay_out(t, name)
            return out

        return run

    return wrap(op) if op is not None else wrap
