"""Indexing: ``x[i]`` and ``x[i] = v``, and the gather/scatter/index/mask methods."""

from __future__ import annotations

import numbers

from gradiente import backend as B
from gradiente.autograd.function import show_as
from gradiente.autograd.grad_mode import grad_state
from gradiente.backend import xp
from gradiente.ops import index as I
from gradiente.ops import reduce as R
from gradiente.ops import scatter as SC
from gradiente.ops import shape as S
from gradiente.ops.index_rules import (
    _check_scatter_index,
    _check_scatter_shapes,
    _convert_index,
    _index_array,
    _integers_first,
    _is_masked_fill,
    _positions_along,
    _writes_without_view,
)
from gradiente.tensor.common import (
    _CPP_OPTION_NAMES,
    _LEGACY_TYPE_NAMES,
    _arr,
    _check_broadcast,
    _dim,
    _req,
    _scalar_type_name,
)
from gradiente.tensor.factories import as_tensor, full
from gradiente.tensor.marks import function, inplace, numpy_axis

Tensor = None  # the assembled class, bound by gradiente.tensor (see its __init__)


def _check_scatter_src(t, src) -> None:
    """The scatter family writes src's values as they are: torch wants self's dtype."""
    if src._data.dtype != t._data.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")


# torch's error for a mask that is not bool, per op; {cpp} is the C++ name of the mask's
# dtype ("long int"), {type} torch's scalar type name ("Long")
_MASK_DTYPE_ERRORS = {
    "masked_fill": "masked_fill_ only supports boolean masks, but got mask with dtype {cpp}",
    "masked_scatter": "masked_scatter_ only supports boolean masks, but got mask with dtype {type}",
    "masked_select": "masked_select: expected BoolTensor for mask",
    "where": "where expected condition to be a boolean tensor, but got a tensor with dtype {type}",
}


def _as_bool_mask(mask, op):
    """``mask`` as a tensor, refused with torch's message for ``op`` unless it is bool."""
    if not isinstance(mask, Tensor):
        mask = as_tensor(mask)
    if mask._data.dtype != xp.bool_:
        name = mask.dtype.name
        raise RuntimeError(
            _MASK_DTYPE_ERRORS[op].format(
                cpp=_CPP_OPTION_NAMES.get(name, name), type=B.torch_type_name(mask._data.dtype)
            )
        )
    return mask


def _torch_index(index, ndim: int):
    """``index`` as NumPy should read it to select what torch selects: each empty list made
    an empty int64 array (torch reads ``x[[]]`` as selecting no rows; NumPy would make the
    list a float array, which cannot index), and several ``...`` spelled out
    (``_spell_ellipses``)."""
    if type(index) is list:
        return xp.zeros(0, xp.int64) if not index else index
    if type(index) is tuple:
        ellipses = empty_list = 0
        for i in index:
            if i is Ellipsis:
                ellipses += 1
            elif type(i) is list and not i:
                empty_list = 1
        if empty_list:
            index = tuple(xp.zeros(0, xp.int64) if type(i) is list and not i else i for i in index)
        if ellipses > 1:
            index = _spell_ellipses(index, ndim)
    return index


def _spell_ellipses(index: tuple, ndim: int) -> tuple:
    """An index with several ``...``, as torch reads it: each one skips the dims the first
    one stands for (those the other items leave), so that ``x[..., 0, ...]`` is ``x[..., 0]``;
    one with no dim-selecting item after it skips nothing."""
    specified = 0
    for i in index:
        if i is None or i is Ellipsis or isinstance(i, bool):
            continue
        is_mask = isinstance(i, Tensor) and i._data.dtype == xp.bool_
        specified += i._data.ndim if is_mask else 1
    skipped = (slice(None),) * max(ndim - specified, 0)
    spelled, first = [], True
    for k, i in enumerate(index):
        if i is not Ellipsis:
            spelled.append(i)
        elif first or any(j is not None and j is not Ellipsis for j in index[k + 1 :]):
            spelled.extend(skipped)
            first = False
    return tuple(spelled)


def _check_leaf_view_write(index) -> None:
    """``leaf[index] = value`` on a leaf that requires grad: torch writes through the view
    ``leaf[index]`` and names it, unless the index selects all of the leaf (``:``, ``...``)."""
    for item in index:
        full = item is Ellipsis or (
            isinstance(item, slice)
            and item.start in (None, 0)
            and item.stop is None
            and item.step in (None, 1)
        )
        if not full:
            raise RuntimeError(
                "a view of a leaf Variable that requires grad is being used in an in-place "
                "operation."
            )


class Indexing:
    """Tensor methods: indexing, gather/scatter, index and mask methods."""

    __slots__ = ()

    def __getitem__(self, index):
        index, basic = _convert_index(_torch_index(index, self._data.ndim), self)
        if basic:
            return I.BasicIndex.apply(self, index)
        split = _integers_first(index, self._data.ndim)
        if split is not None:
            return I.Index.apply(I.BasicIndex.apply(self, split[0]), split[1])
        return I.Index.apply(self, index)

    def __setitem__(self, index, value):
        index, basic = _convert_index(_torch_index(index, self._data.ndim), self)
        if not isinstance(value, Tensor) or (not basic and _is_masked_fill(index, value)):
            # a number is filled in, and so is a one-element tensor through a mask
            # (masked_fill): it must fit; other tensors are copied, wrapping as torch's copy_
            _check_scalar_fits(self, value)
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
        try:
            if grad_state.enabled and (self._requires_grad or _req(value)):
                if basic and self.grad_fn is None and self._requires_grad:
                    _check_leaf_view_write(index)
                node = I.CopySlices
                if not basic and _writes_without_view(index, self._data.shape):
                    node = I.IndexPut  # torch's index_put_ on self: IndexPutBackward0
                self._inplace(lambda s, v: node.apply(s, index, v), value)
                return
            self._check_inplace(overlap_allowed=True)  # only the written region matters
            self._data[index] = _arr(value)
        except (ValueError, RuntimeError):
            try:
                _check_value_shape(self, index, basic, xp.shape(_arr(value)))
            except RuntimeError as shape_error:
                raise shape_error from None  # torch's message alone, not NumPy's before it
            raise
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
        if idx.ndim > 1:
            raise IndexError("index_select(): Index is supposed to be a vector")
        idx = idx.reshape(-1)  # a 0-d index selects one slice, kept as a dim of size 1
        n = self.shape[d]
        if idx.size and n == 0 and self.ndim > 1:
            raise RuntimeError("index_select(): self indexing axis dim should be positive")
        if idx.size and (idx.min() < 0 or idx.max() >= n):  # no negative indices, as torch
            if d != 1:
                raise IndexError("index out of range in self")
            # torch's kernel for dim 1 of a matrix (or batch of them) says which index
            bad = B.host(idx)[(B.host(idx) < 0) | (B.host(idx) >= n)][0]
            raise RuntimeError(f"INDICES element is out of DATA bounds, id={bad} axis_dim={n}")
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
        _check_scatter_shapes("gather", self.shape, d, idx)
        _check_scatter_index(idx, d, self.shape[d])
        return R.GatherAlongDim.apply(self, idx, d)

    @function
    @numpy_axis
    def scatter_add(self, dim, index, src):
        """Out-of-place ``scatter_add_``."""
        d = _dim(dim, self.ndim, "scatter_add")
        idx = _index_array(index, "scatter_add")
        _check_scatter_src(self, src)
        _check_scatter_shapes("scatter_add", self.shape, d, idx, src._data)
        _check_scatter_index(idx, d, self.shape[d])
        return R.ScatterAdd.apply(self, idx, d, src)

    def scatter_add_(self, dim, index, src):
        """Add ``src`` into self at ``index`` along ``dim``, in place."""
        return self._inplace(lambda s, v: s.scatter_add(dim, index, v), src)

    @function
    @numpy_axis
    def scatter(self, dim, index, src=None, value=None, reduce=None):
        """self with ``src`` (or ``value``) written at ``index`` along dim."""
        d = _dim(dim, self.ndim, "scatter")
        idx = _index_array(index, "scatter")
        if src is None:
            src = value
        if isinstance(src, Tensor):
            _check_scatter_src(self, src)
        _check_scatter_shapes("scatter", self.shape, d, idx, getattr(src, "_data", None))
        _check_scatter_index(idx, d, self.shape[d])
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
        if mask.shape == self.shape:
            return show_as(self[mask], "MaskedSelectBackward0")
        shape = B.xp.broadcast_shapes(tuple(self.shape), tuple(mask.shape))  # both broadcast
        return show_as(self.expand(shape)[mask.expand(shape)], "MaskedSelectBackward0")

    @function
    def take(self, index):
        """A new tensor with the elements of self at the given indices."""
        if isinstance(index, Tensor):
            idx = _index_array(index, "take")  # torch's take wants int64 indices
            n = self._data.size
            if idx.size and n == 0:
                raise IndexError("take(): tried to take from an empty tensor")
            if idx.size and (idx.min() < -n or idx.max() >= n):
                bad = int(idx.max() if idx.max() >= n else idx.min())
                raise IndexError(
                    f"out of range: tried to access index {bad} on a tensor of {n} elements."
                )
        return self.reshape(-1)[index]

    @function
    def take_along_dim(self, indices, dim=None):
        """The values of self at ``indices`` along ``dim``."""
        if dim is None:
            return self.reshape(-1).gather(0, indices.reshape(-1))
        d = _dim(dim, self.ndim, "take_along_dim")
        if indices.ndim != self.ndim:
            raise RuntimeError(
                "torch.take_along_dim(): input and indices should have the same number of "
                f"dimensions, but got {self.ndim} dimensions for input, and {indices.ndim} "
                "dimensions for indices"
            )
        # the other dims broadcast (sizes along dim set aside); an index of −n..−1 counts
        # from the end of dim
        shape = [1 if k == d else n for k, n in enumerate(self.shape)]
        other = [1 if k == d else n for k, n in enumerate(indices.shape)]
        _check_broadcast(shape, other)
        shape = list(xp.broadcast_shapes(tuple(shape), tuple(other)))
        shape_self, shape_idx = list(shape), list(shape)
        shape_self[d], shape_idx[d] = self.shape[d], indices.shape[d]
        idx = _index_array(indices, "take_along_dim")
        n = self.shape[d]
        if idx.size and idx.min() < 0:
            idx = idx + ((idx < 0) & (idx >= -n)) * n  # (any array module's arithmetic)
        return self.expand(shape_self).gather(d, Tensor._make(idx).expand(shape_idx))

    def _index_along(self, dim, index, op):
        """``dim`` checked, and ``index`` as non-negative positions along it (index_add, ...)."""
        d = _dim(dim, self.ndim, op)
        idx = _index_array(index, op).reshape(-1)
        return d, _positions_along(idx, d, self.shape[d], op, self.ndim)

    @function
    @inplace
    @numpy_axis
    def index_add(self, dim, index, source, alpha=1):
        """self with ``alpha · source[i]`` added at position ``index[i]`` along dim."""
        _check_index_add_shapes(self, dim, index, source)
        if self.ndim == 0:  # the one value, at index 0
            return self.reshape(1).index_add(0, index, source.reshape(1), alpha=alpha).reshape(())
        d, idx = self._index_along(dim, index, "index_add")
        src = source if alpha == 1 else source * alpha
        src = src if src.ndim else src.reshape(1)
        shape = [1] * src.ndim
        shape[d] = -1
        full = xp.broadcast_to(idx.reshape(shape), src.shape)
        # the sums start from -0.0, so that self's untouched elements stay as they are (-0.0)
        added = R.ScatterAddAlongDim.apply(src.to(self.dtype), full, d, self.shape, start=-0.0)
        return self + added

    @function
    @inplace
    @numpy_axis
    def index_fill(self, dim, index, value):
        """Out-of-place ``index_fill_``."""
        if self.ndim == 0:  # the one value, at index 0
            return self.reshape(1).index_fill(dim, index, value).reshape(())
        d, idx = self._index_along(dim, index, "index_fill")
        mask = B.get_array_module(idx).zeros(self.shape[d], dtype=bool)  # on idx's device
        mask[idx] = True
        shape = [1] * self.ndim
        shape[d] = -1
        return self.masked_fill(Tensor._make(mask.reshape(shape)), value)

    @function
    @inplace
    @numpy_axis
    def index_copy(self, dim, index, source):
        """Out-of-place ``index_copy_``."""
        _check_index_copy_shapes(self, dim, index, source)
        if self.ndim == 0:  # the one value, at index 0
            return self.reshape(1).index_copy(0, index, source.reshape(1)).reshape(())
        d, _ = self._index_along(dim, index, "index_copy")
        source = source.reshape(1) if source.ndim == 0 else source  # one value of a 1-D self
        if index.ndim == 0:
            index = index.reshape(1)
        # a copy (not fill-with-0-then-add): -0.0 and duplicates (the last one wins) as torch
        return I.IndexCopy.apply(self, (slice(None),) * d + (index._data,), source)

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

    @function
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
        _check_scatter_src(self, src)
        _check_scatter_shapes("scatter_reduce", self.shape, d, idx, src._data)
        _check_scatter_index(idx, d, self.shape[d])
        if reduce in ("sum", "mean"):
            if include_self:
                out = R.ScatterReduceSum.apply(self, idx, d, src)
            else:
                added = R.ScatterAddAlongDim.apply(src, idx, d, self.shape)
                out = self.scatter(d, index, 0.0) + added
            if reduce == "mean":
                count = SC.scatter_count(idx, d, self._data.shape, self._data.dtype, include_self)
                if B.is_float(self._data.dtype):
                    out = out / Tensor._make(count)
                else:
                    out = out.floor_divide(Tensor._make(count.astype(self._data.dtype)))
            return out
        SC.check_reduction(reduce)
        if tuple(src.shape) != idx.shape:  # src may be larger than index: only its corner counts
            src = src[tuple(slice(0, n) for n in idx.shape)]
        return SC.ScatterReduce.apply(self, idx, d, src, reduce, include_self)

    @function
    @inplace
    def index_reduce(self, dim, index, source, reduce, *, include_self=True):
        """Fold the slices of ``source`` along dim into self's slices ``index`` (one index per
        source slice) with 'prod', 'mean', 'amax' or 'amin': a ``scatter_reduce`` whose index
        repeats each entry of ``index`` across its slice."""
        if reduce not in ("prod", "mean", "amax", "amin"):
            raise RuntimeError(
                "index_reduce(): Expected reduce to be one of prod, mean, amax or amin but got "
                f"{reduce}."
            )
        d = _dim(dim, self.ndim, "index_reduce")
        idx = _index_array(index, "index_reduce").reshape(-1)
        count = source.shape[d] if source.ndim else 1
        if idx.size != count:
            raise RuntimeError(
                f"index_reduce_(): Number of indices ({idx.size}) should be equal to "
                f"source.size(dim): ({count}), for dim: {d}"
            )
        n = self.shape[d] if self.ndim else 1
        if idx.size and bool(((idx >= n) | (idx < -n)).any()):
            raise IndexError("index out of range in self")
        if self.ndim == 0:
            return (
                self.reshape(1)
                .index_reduce(0, index, source.reshape(1), reduce, include_self=include_self)
                .reshape(())
            )
        along = [1] * source.ndim
        along[d] = -1
        spread = xp.broadcast_to((idx % n).reshape(along), tuple(source.shape)).copy()
        spread = Tensor._make(B.device_array(self._data, spread))
        return self.scatter_reduce(d, spread, source, reduce, include_self=include_self)

    @function
    @inplace
    def masked_scatter(self, mask, source):
        """Copy ``source``'s leading elements, in order, to where ``mask`` is True."""
        mask = _as_bool_mask(mask, "masked_scatter").expand(self.shape)
        n = int(mask._data.sum())
        if n > source.numel():
            raise RuntimeError("masked_scatter: expected source to have at least as many elements")
        return I.IndexPut.apply(self, mask._data, source.reshape(-1)[:n].to(self.dtype))

    @function
    def put(self, index, source, accumulate=False):
        """Out-of-place ``put_``: self with the elements at the flat positions ``index`` (of
        self read as 1-D; negative ones count from the end) set to — or, with
        ``accumulate``, increased by — ``source``'s, differentiably."""
        idx = _index_array(index, "put").reshape(-1)
        n = self.numel()
        bad = idx[(idx >= n) | (idx < -n)]
        if bad.size:
            raise IndexError(
                f"out of range: tried to access index {int(bad[0])} on a tensor of {n} elements."
            )
        flat = self.reshape(-1).index_put(
            (Tensor._make(idx),), source.reshape(-1).to(self.dtype), accumulate
        )
        return flat.reshape(self.shape)

    @function
    def select_scatter(self, src, dim, index):
        """self with ``self.select(dim, index)`` replaced by ``src`` (a new tensor)."""
        d = _dim(dim, self.ndim, "select_scatter")
        self.select(d, index)  # torch's index check
        return _scatter_into_view(self, src, lambda t: t.select(d, index), S.SelectScatter)

    @function
    def slice_scatter(self, src, dim=0, start=None, end=None, step=1):
        """self with the slice ``start:end:step`` along ``dim`` replaced by ``src``."""
        d = _dim(dim, self.ndim, "slice_scatter")
        region = (slice(None),) * d + (slice(start, end, step),)
        return _scatter_into_view(self, src, lambda t: t[region], S.SliceScatter)

    @function
    def diagonal_scatter(self, src, offset=0, dim1=0, dim2=1):
        """self with ``self.diagonal(offset, dim1, dim2)`` replaced by ``src``."""
        return _scatter_into_view(
            self, src, lambda t: t.diagonal(offset, dim1, dim2), S.DiagonalScatter
        )

    def put_(self, index, source, accumulate=False):
        """Copies the elements from ``source`` into the positions specified by ``index``."""
        self._check_inplace()
        idx = _index_array(index, "put_").reshape(-1)
        self._data[...] = SC.put(self._data, idx, source._data, accumulate)
        self._bump()
        return self


def _scatter_into_view(t, src, view, op):
    """``t`` with ``view(t)`` replaced by ``src`` (cast to t's dtype), recorded as ``op``
    (a WriteView); src must have the view's shape, as torch checks."""
    region = view(t.detach())
    if tuple(src.shape) != tuple(region.shape):
        raise RuntimeError(
            "expected src to have a size equal to the slice of self. src size = "
            f"{list(src.shape)}, slice size = {list(region.shape)}"
        )
    return op.apply(t, src.to(t.dtype), view)


def _check_index_add_shapes(t, dim, index, source) -> None:
    """torch's checks of index_add's arguments: a vector of indices, one per slice of
    ``source`` along ``dim``, and slices of self's shape."""
    idx = _index_array(index, "index_add")
    if idx.ndim > 1:
        raise IndexError(
            "index_add_(): Index is supposed to be a vector, but got dim: "
            f"{idx.ndim} with type: {B.torch_type_name(_arr(index).dtype)} and size: "
            f"{list(idx.shape)}"
        )
    d = _dim(dim, t.ndim, "index_add")
    count = source.shape[_dim(d, source.ndim, "index_add")] if source.ndim else 1
    if idx.size != count:
        raise RuntimeError(
            f"index_add_(): Number of indices ({idx.size}) should be equal to source.size(dim): "
            f"({count}), for dim: {d}"
        )
    self_rest, source_rest = list(t.shape), list(source.shape)
    if t.ndim and source.ndim:
        del self_rest[d], source_rest[d]
    if self_rest != source_rest:
        raise RuntimeError(
            "source tensor shape must match self tensor shape, excluding the specified "
            f"dimension. Got self.shape = {list(t.shape)} source.shape = {list(source.shape)}"
        )


def _check_index_copy_shapes(t, dim, index, source) -> None:
    """torch's checks of index_copy's arguments, in its order and words."""
    if isinstance(index, Tensor) and index._data.dtype.kind not in "iu":
        name = B.torch_type_name(index._data.dtype)
        raise RuntimeError(f"index_copy_(): Expected a long tensor for index, but got {name}")
    idx = _index_array(index, "index_copy")
    if idx.ndim > 1:
        raise IndexError(f"index_copy_(): Index should have dimension 1 or 0 (got {idx.ndim})")
    if source.dtype != t.dtype:
        raise RuntimeError(
            "index_copy_(): self and source expected to have the same dtype, but got (self) "
            f"{B.torch_type_name(t._data.dtype)} and (source) "
            f"{B.torch_type_name(source._data.dtype)}"
        )
    if source.ndim == 0 and idx.size != 1:
        raise IndexError(
            f"index_copy_(): When source is scalar, index should have one element (got {idx.size})"
        )
    if source.ndim != t.ndim and source.ndim and t.ndim:
        raise IndexError(
            "index_copy_(): When source and destination are not scalars, their dimensionality "
            f"must match. Source dimensionality ({source.ndim}), destination dimensionality "
            f"({t.ndim})"
        )
    d = _dim(dim, t.ndim, "index_copy")
    self_rest = [n for i, n in enumerate(t.shape) if i != d]
    source_rest = [n for i, n in enumerate(source.shape) if i != d]
    if self_rest != source_rest:
        raise RuntimeError(
            "index_copy_(): Source/destination tensor must have same slice shapes. Destination "
            f"slice shape: {' '.join(map(str, self_rest))} at dimension {d} and source slice "
            f"shape: {' '.join(map(str, source_rest))} at dimension 0."
        )
    if source.ndim and idx.size != source.shape[d]:
        raise IndexError(
            f"index_copy_(): Number of indices ({idx.size}) should be equal to source.size(dim) "
            f"({source.shape[d]})"
        )


def _check_value_shape(t, index, basic: bool, value_shape) -> None:
    """Raise torch's error when a value of ``value_shape`` cannot be written to ``t[index]``:
    a slice is written by ``copy_`` (the value expanded to the slice, after dropping its leading
    ones), an advanced index by ``index_put_``."""
    try:
        target = t._data[index].shape
    except (IndexError, ValueError):  # the index itself is at fault: its own error stands
        return
    shape = tuple(value_shape)
    while len(shape) > len(target) and shape[0] == 1:
        shape = shape[1:]
    lead = len(target) - len(shape)
    mismatch = [
        i for i in range(len(target)) if i >= lead and shape[i - lead] not in (1, target[i])
    ]
    if lead >= 0 and not mismatch:
        return
    if not basic:
        raise RuntimeError(
            f"shape mismatch: value tensor of shape {list(value_shape)} cannot be broadcast to "
            f"indexing result of shape {list(target)}"
        )
    if lead < 0:
        raise RuntimeError(
            f"expand(torch.{_LEGACY_TYPE_NAMES[t.dtype.name]}{{{list(shape)}}}, "
            f"size={list(target)}): the number of sizes provided ({len(target)}) must be greater "
            f"or equal to the number of dimensions in the tensor ({len(shape)})"
        )
    i = mismatch[-1]  # torch checks from the last dimension
    raise RuntimeError(
        f"The expanded size of the tensor ({target[i]}) must match the existing size "
        f"({shape[i - lead]}) at non-singleton dimension {i}.  Target sizes: {list(target)}.  "
        f"Tensor sizes: {list(shape)}"
    )


# torch's name for each integer type in its overflow message
_C_TYPE_NAMES = {"int32": "int"}  # the others: "<name>_t" (int64_t, int16_t, uint8_t, ...)


def _check_scalar_fits(target, value) -> None:
    """A floating number filled into an integer tensor (``x[i] = v``, or ``x[mask] = v`` with
    a one-element tensor ``v``) must fit its type, as in torch: inf, NaN or out-of-range values
    raise instead of wrapping."""
    kind = target._data.dtype.kind
    if kind not in "iu":
        return
    if isinstance(value, Tensor):
        if value._data.size != 1 or not B.is_float(value._data.dtype):
            return
        number = float(value._data.reshape(-1)[0])
    elif isinstance(value, float):
        number = value
    else:
        return
    info = xp.iinfo(target._data.dtype)
    if not (float(info.min) <= number <= float(info.max)):  # also False for NaN
        name = target._data.dtype.name
        raise RuntimeError(
            f"value cannot be converted to type {_C_TYPE_NAMES.get(name, name + '_t')} "
            "without overflow"
        )
