"""Indexing: ``x[i]`` and ``x[i] = v``, and the gather/scatter/index/mask methods."""

from __future__ import annotations

import builtins
import numbers

from gradiente.autograd.grad_mode import grad_state
from gradiente.backend import xp
from gradiente.ops import index as I
from gradiente.ops import reduce as R
from gradiente.tensor.common import _arr, _dim, _req, _scalar_type_name
from gradiente.tensor.factories import as_tensor, full
from gradiente.tensor.marks import function, inplace, numpy_axis

Tensor = None  # the assembled class, bound by gradiente.tensor (see its __init__)


def _index_array(index, op):
    arr = index._data if isinstance(index, Tensor) else xp.asarray(index)
    if arr.dtype.kind not in "iu":
        raise IndexError(f"{op}(): Expected dtype int64 for index, got {arr.dtype}")
    return arr.astype(xp.intp, copy=False)


def _check_scatter_index(idx, d: int, n: int) -> None:
    """gather/scatter take indices in [0, n) only (no negatives), with PyTorch's message."""
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        bad = int(idx.min() if idx.min() < 0 else idx.max())
        raise RuntimeError(f"index {bad} is out of bounds for dimension {d} with size {n}")


def _as_bool_mask(mask, op):
    if not isinstance(mask, Tensor):
        mask = as_tensor(mask)
    if mask._data.dtype != xp.bool_:
        raise RuntimeError(
            f"{op} only supports boolean masks, but got mask with dtype {mask.dtype.name}"
        )
    return mask


def _convert_index(index, t: Tensor):
    """Translate a PyTorch index into a NumPy one; report whether it gives a view (basic)."""
    if isinstance(index, list) and _sequence_as_tuple(index):
        index = tuple(index)  # PyTorch's (deprecated) reading of x[[[0, 1], [1, 0]]]
    if not isinstance(index, tuple):
        index = (index,)
    out = []
    basic = True
    for item in index:
        if isinstance(item, Tensor):
            arr = item._data
            if arr.dtype.kind == "f":
                raise IndexError(
                    "tensors used as indices must be long, int, byte or bool "
                    f"tensors, got {item.dtype.name}"
                )
            if arr.dtype == xp.uint8:
                arr = arr.astype(bool)
            if arr.ndim == 0 and arr.dtype.kind in "iu":
                out.append(int(arr))
                continue
            out.append(arr)
            basic = False
        elif isinstance(item, bool):
            out.append(item)
            basic = False
        elif isinstance(item, numbers.Integral):
            out.append(int(item))
        elif isinstance(item, slice):
            for v in (item.start, item.stop, item.step):
                if (
                    v is not None
                    and not isinstance(v, numbers.Integral)
                    and not (isinstance(v, Tensor))
                ):
                    raise TypeError(
                        f"slice indices must be integers or None, got {type(v).__name__}"
                    )
            if item.step is not None and int(item.step) <= 0:
                raise ValueError("step must be greater than zero")
            out.append(
                slice(*(None if v is None else int(v) for v in (item.start, item.stop, item.step)))
            )
        elif item is None or item is Ellipsis:
            out.append(item)
        elif isinstance(item, (list, xp.ndarray)):
            arr = xp.asarray(item)
            if arr.dtype.kind == "f":
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            out.append(arr)
            basic = False
        elif isinstance(item, float):
            raise IndexError(
                "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables "
                f"are valid indices (got float {item})"
            )
        else:
            raise IndexError(f"unsupported index type {type(item).__name__}")
    _check_int_bounds(out, t)
    if not basic and any(i is Ellipsis for i in out):
        covered = t._data.ndim - builtins.sum(_dims_consumed(i) for i in out)
        if covered == 0:
            # a ``...`` that stands for no dim does not separate two advanced indices in
            # PyTorch (their result dims stay in place); in NumPy it would move them first
            out = [i for i in out if i is not Ellipsis]
    return tuple(out), basic


def _sequence_as_tuple(index: list) -> bool:
    """PyTorch reads a short list holding sequences, tensors, slices, None or ... as a tuple."""
    return len(index) < 32 and any(
        isinstance(i, (list, tuple, Tensor, slice)) or i is None or i is Ellipsis for i in index
    )


def _is_masked_fill(index: tuple, value: Tensor) -> bool:
    """PyTorch writes ``x[mask] = v`` with one bool mask (and no other tensor index) and a
    one-element ``v`` as ``masked_fill_``, which converts v's dtype; other advanced writes are
    ``index_put_``, which requires equal dtypes."""
    arrays = [i for i in index if isinstance(i, xp.ndarray)]
    return value._data.size == 1 and len(arrays) == 1 and arrays[0].dtype == bool


def _integers_first(index: tuple, ndim: int):
    """PyTorch applies integer indices before advanced ones (as ``select``), NumPy together
    with them (an integer is then an advanced index too, which moves the result's dims when a
    slice separates them: ``x[0, :, [1, 2]]``). For an index with both, return the two steps
    PyTorch takes: ``(basic, advanced)`` with ``x[index] == x[basic][advanced]``; else None.
    """
    has_int = any(isinstance(i, int) and not isinstance(i, bool) for i in index)
    if not has_int or not any(isinstance(i, xp.ndarray) for i in index):
        return None
    basic, advanced = [], []
    for item in index:
        if isinstance(item, int) and not isinstance(item, bool):
            basic.append(item)  # the dim is gone: nothing for the second step
        elif isinstance(item, xp.ndarray):
            basic.extend([slice(None)] * _dims_consumed(item))
            advanced.append(item)
        elif item is Ellipsis:
            basic.append(Ellipsis)
            kept = ndim - builtins.sum(_dims_consumed(i) for i in index)
            advanced.extend([slice(None)] * kept)
        else:  # a slice, None or a Python bool: one dim in the first step's result
            basic.append(item)
            advanced.append(slice(None))
    return tuple(basic), tuple(advanced)


def _dims_consumed(item) -> int:
    """How many dims of the indexed tensor one index item consumes."""
    if item is None or item is Ellipsis:
        return 0
    if isinstance(item, xp.ndarray) and item.dtype == bool:
        return max(item.ndim, 1)
    return 1


def _check_int_bounds(index, t: Tensor):
    """Integer indices out of range: PyTorch's IndexError wording."""
    dim = 0
    shape = t._data.shape
    # the shapes the advanced indices broadcast: a bool mask indexes with its nonzero count
    arrays = [
        (int(i.sum()),) if i.dtype == bool else i.shape
        for i in index
        if isinstance(i, xp.ndarray) and i.dtype.kind in "iub"
    ]
    try:
        # indices that broadcast to nothing select nothing: PyTorch checks no bounds then
        selects_nothing = bool(arrays) and 0 in xp.broadcast_shapes(*arrays)
    except ValueError:
        selects_nothing = False  # shapes that do not broadcast: NumPy's error names them
    for item in index:
        if item is None:
            continue
        if item is Ellipsis:
            # the items after ``...`` index the last dims: count the dims they consume
            after = index[next(i for i, it in enumerate(index) if it is Ellipsis) + 1 :]
            dim = len(shape) - builtins.sum(_dims_consumed(i) for i in after)
            continue
        if isinstance(item, int) and not isinstance(item, bool):
            if dim >= len(shape):
                raise IndexError(f"too many indices for tensor of dimension {len(shape)}")
            n = shape[dim]
            if not -n <= item < n:
                raise IndexError(f"index {item} is out of bounds for dimension {dim} with size {n}")
        elif isinstance(item, xp.ndarray) and item.dtype.kind in "iu" and not selects_nothing:
            if dim < len(shape):
                n = shape[dim]
                if item.max() >= n or item.min() < -n:
                    bad = int(item.max() if item.max() >= n else item.min())
                    raise IndexError(
                        f"index {bad} is out of bounds for dimension {dim} with size {n}"
                    )
        if isinstance(item, xp.ndarray) and item.dtype == bool:
            covered = shape[dim : dim + item.ndim]
            if item.ndim and item.shape != covered:
                raise IndexError(
                    f"The shape of the mask {list(item.shape)} at index 0 does not match the "
                    f"shape of the indexed tensor {list(covered)} at index {dim}"
                )
            dim += max(item.ndim, 1)
        else:
            dim += 1


class Indexing:
    """Tensor methods: indexing, gather/scatter, index and mask methods."""

    __slots__ = ()

    def __getitem__(self, index):
        index, basic = _convert_index(index, self)
        if basic:
            return I.BasicIndex.apply(self, index)
        split = _integers_first(index, self._data.ndim)
        if split is not None:
            return I.Index.apply(I.BasicIndex.apply(self, split[0]), split[1])
        return I.Index.apply(self, index)

    def __setitem__(self, index, value):
        index, basic = _convert_index(index, self)
        if isinstance(value, Tensor) and value._data.dtype != self._data.dtype:
            if not basic and not _is_masked_fill(index, value):
                # index_put does not convert, unlike copy_ and masked_fill
                raise RuntimeError(
                    "Index put requires the source and destination dtypes match, got "
                    f"{_scalar_type_name(self)} for the destination and "
                    f"{_scalar_type_name(value)} for the source."
                )
            value = value.to(self.dtype)
        if basic and not any(i is Ellipsis for i in index):
            # an element (x[1, 2]) as a 0-d view, so that a (1,)-shaped value fits as in torch
            index = index + (Ellipsis,)
        split = None if basic else _integers_first(index, self._data.ndim)
        if split is not None:
            # the integers select a view, the advanced indices write into it
            view = I.BasicIndex.apply(self, split[0])
            view[split[1]] = value
            return
        if grad_state.enabled and (self._requires_grad or _req(value)):
            self._inplace(lambda s, v: I.CopySlices.apply(s, index, v), value)
            return
        self._check_inplace()
        self._data[index] = _arr(value)
        self._bump()

    @function
    @numpy_axis
    def index_select(self, dim, index):
        """The entries of self at ``index`` along ``dim``."""
        d = _dim(dim, self.ndim, "index_select")
        idx = _index_array(index, "index_select")
        if self.ndim == 0:
            if idx.size != 1:
                raise RuntimeError(
                    f"index_select(): Index to scalar can have only 1 value, got {idx.size} "
                    "value(s)"
                )
            return self.reshape(1).index_select(0, index).reshape(())
        if idx.size and (idx.min() < 0 or idx.max() >= self.shape[d]):
            raise IndexError("index out of range in self")  # no negative indices, as torch
        return I.IndexSelect.apply(self, d, idx)

    @function
    @numpy_axis
    def gather(self, dim, index):
        """Gathers values along an axis specified by `dim`."""
        d = _dim(dim, self.ndim, "gather")
        idx = _index_array(index, "gather")
        if idx.ndim != self.ndim:
            raise RuntimeError(
                "Index tensor must have the same number of dimensions as input "
                f"tensor (index {idx.ndim}-D, input {self.ndim}-D)"
            )
        if self.ndim == 0:  # index 0 of the one value
            return self.reshape(1).gather(0, Tensor._make(idx.reshape(1))).reshape(())
        _check_scatter_index(idx, d, self.shape[d])
        return R.GatherAlongDim.apply(self, idx, d)

    @function
    @numpy_axis
    def scatter_add(self, dim, index, src):
        """Out-of-place ``scatter_add_``."""
        d = _dim(dim, self.ndim, "scatter_add")
        idx = _index_array(index, "scatter_add")
        _check_scatter_index(idx, d, self.shape[d])
        return R.ScatterAdd.apply(self, idx, d, src.to(self.dtype))

    def scatter_add_(self, dim, index, src):
        """Add ``src`` into self at ``index`` along ``dim``, in place."""
        return self._inplace(lambda s, v: s.scatter_add(dim, index, v), src)

    @function
    @numpy_axis
    def scatter(self, dim, index, src=None, value=None, reduce=None):
        """self with ``src`` (or ``value``) written at ``index`` along dim."""
        d = _dim(dim, self.ndim, "scatter")
        idx = _index_array(index, "scatter")
        _check_scatter_index(idx, d, self.shape[d])
        if src is None:
            src = value
        if reduce is not None:
            reductions = {"add": "sum", "multiply": "prod"}
            if not isinstance(src, Tensor):
                src = full(idx.shape, src, dtype=self.dtype)
            return self.scatter_reduce(d, index, src, reductions[reduce])
        if isinstance(src, Tensor):
            src = src.to(self.dtype)
        elif isinstance(src, numbers.Number):
            src = xp.asarray(src).astype(self._data.dtype).item()
        return R.Scatter.apply(self, idx, d, src)

    def scatter_(self, dim, index, src=None, value=None, reduce=None):
        """Write ``src`` (or ``value``) into self at ``index`` along ``dim``, in place."""
        return self._inplace(
            lambda s, v: s.scatter(dim, index, v, reduce=reduce), src if src is not None else value
        )

    @function
    def masked_select(self, mask):
        """The elements of self where ``mask`` is True, as a 1-D tensor."""
        mask = _as_bool_mask(mask, "masked_select")
        return self[mask.expand(self.shape) if mask.shape != self.shape else mask]

    @function
    def take(self, index):
        """A new tensor with the elements of self at the given indices."""
        return self.reshape(-1)[index]

    @function
    def take_along_dim(self, indices, dim=None):
        """The values of self at ``indices`` along ``dim``."""
        if dim is None:
            return self.reshape(-1).gather(0, indices.reshape(-1))
        d = _dim(dim, self.ndim, "take_along_dim")
        shape = list(xp.broadcast_shapes(self.shape, indices.shape))
        shape_self, shape_idx = list(shape), list(shape)
        shape_self[d], shape_idx[d] = self.shape[d], indices.shape[d]
        return self.expand(shape_self).gather(d, indices.expand(shape_idx))

    def _index_along(self, dim, index, op):
        """The index broadcast over the other dims of a (dim, index) pair, as for scatter.

        As in PyTorch, only ``index_fill`` counts negative indices from the end; index_add and
        index_copy refuse them.
        """
        d = _dim(dim, self.ndim, op)
        idx = _index_array(index, op).reshape(-1)
        n = self.shape[d]
        low = -n if op == "index_fill" else 0
        if idx.size and (idx.min() < low or idx.max() >= n):
            bad = int(idx.min() if idx.min() < low else idx.max())
            raise IndexError(
                f"{op}(): index {bad} is out of bounds for dimension {d} with size {n}"
            )
        return d, idx % max(n, 1)

    @function
    @inplace
    @numpy_axis
    def index_add(self, dim, index, source, alpha=1):
        """self with ``alpha · source[i]`` added at position ``index[i]`` along dim."""
        d, idx = self._index_along(dim, index, "index_add")
        src = source if alpha == 1 else source * alpha
        src = src if src.ndim else src.reshape(1)
        shape = [1] * src.ndim
        shape[d] = -1
        full = xp.broadcast_to(idx.reshape(shape), src.shape)
        return self + R.ScatterAddAlongDim.apply(src.to(self.dtype), full, d, self.shape)

    @function
    @inplace
    @numpy_axis
    def index_fill(self, dim, index, value):
        """Out-of-place ``index_fill_``."""
        d, idx = self._index_along(dim, index, "index_fill")
        mask = xp.zeros(self.shape[d], dtype=bool)
        mask[idx] = True
        shape = [1] * self.ndim
        shape[d] = -1
        return self.masked_fill(Tensor._make(mask.reshape(shape)), value)

    @function
    @inplace
    @numpy_axis
    def index_copy(self, dim, index, source):
        """Out-of-place ``index_copy_``."""
        d, _ = self._index_along(dim, index, "index_copy")
        return self.index_fill(d, index, 0).index_add(d, index, source)

    @function
    def index_put(self, indices, values, accumulate=False):
        """Out-of-place ``index_put_``."""
        index = tuple(indices)
        if not accumulate:
            out = self.clone()
            out[index] = values
            return out
        index, _ = _convert_index(index, self)
        values = values if isinstance(values, Tensor) else as_tensor(values, dtype=self.dtype)
        shape = self._data[index].shape
        return self + I.IndexBackward.apply(values.expand(shape), index, self.shape)

    def index_put_(self, indices, values, accumulate=False):
        """Write ``values`` into self at the tuple of index tensors ``indices``, in place."""
        return self._inplace(lambda s, v: s.index_put(indices, v, accumulate), values)

    @function
    @inplace
    @numpy_axis
    def scatter_reduce(self, dim, index, src, reduce, include_self=True):
        """Reduce ``src`` into self at ``index`` along dim: sum, prod, mean, amax or amin."""
        d = _dim(dim, self.ndim, "scatter_reduce")
        idx = _index_array(index, "scatter_reduce")
        _check_scatter_index(idx, d, self.shape[d])
        if reduce in ("sum", "mean"):
            added = R.ScatterAddAlongDim.apply(src, idx, d, self.shape)
            base = self if include_self else self.scatter(d, index, 0.0)
            out = base + added
            if reduce == "mean":
                ones = xp.ones(idx.shape, dtype=self._data.dtype)
                count = xp.zeros(self._data.shape, dtype=self._data.dtype)
                R._scatter_add(count, idx, ones, d)
                count = count + (1 if include_self else 0)
                count = xp.maximum(count, 1)
                if self._data.dtype.kind == "f":
                    out = out / Tensor._make(count)
                else:
                    out = out.floor_divide(Tensor._make(count.astype(self._data.dtype)))
            return out
        ufuncs = {"prod": xp.multiply, "amax": xp.maximum, "amin": xp.minimum}
        if reduce not in ufuncs:
            raise RuntimeError(
                f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}"
            )
        if grad_state.enabled and (self._requires_grad or _req(src)):
            raise RuntimeError(
                f"gradiente does not implement the gradient of scatter_reduce(reduce='{reduce}') "
                "yet"
            )
        out = self._data.copy()
        full = list(xp.indices(idx.shape, sparse=True))
        full[d] = idx
        values = src._data[tuple(slice(0, n) for n in idx.shape)]
        if not include_self:
            identity = {"prod": 1, "amax": -xp.inf, "amin": xp.inf}[reduce]
            touched = xp.zeros(out.shape, dtype=bool)
            touched[tuple(full)] = True
            out[touched] = identity if out.dtype.kind == "f" else 0
            if out.dtype.kind != "f" and reduce != "prod":
                extreme = xp.iinfo(out.dtype).min if reduce == "amax" else xp.iinfo(out.dtype).max
                out[touched] = extreme
        ufuncs[reduce].at(out, tuple(full), values)
        return Tensor._make(out, False, None)

    @function
    @inplace
    def masked_scatter(self, mask, source):
        """Copy ``source``'s leading elements, in order, to where ``mask`` is True."""
        mask = _as_bool_mask(mask, "masked_scatter").expand(self.shape)
        n = int(mask._data.sum())
        if n > source.numel():
            raise RuntimeError("masked_scatter: expected source to have at least as many elements")
        return I.IndexPut.apply(self, mask._data, source.reshape(-1)[:n].to(self.dtype))

    def put_(self, index, source, accumulate=False):
        """Copies the elements from ``source`` into the positions specified by ``index``."""
        self._check_inplace()
        flat = self._data.reshape(-1).copy()
        idx = _index_array(index, "put_").reshape(-1)
        if accumulate:
            xp.add.at(flat, idx, source._data.reshape(-1))
        else:
            flat[idx] = source._data.reshape(-1)
        self._data[...] = flat.reshape(self._data.shape)
        self._bump()
        return self
