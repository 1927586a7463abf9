"""How a PyTorch index is read: the rules ``x[i]``, ``x[i] = v`` and the gather/scatter family
follow, turned into NumPy indices and checked with PyTorch's errors.

``_convert_index`` translates an index (ints, slices, ``None``, ``...``, bools, integer and bool
tensors, nested lists) into a NumPy one and says whether it is basic (a view);
``_check_int_bounds`` gives PyTorch's IndexError for an out-of-range integer;
``_integers_first`` finds where advanced-index result dims go. ``Tensor`` is bound by
``gradiente.tensor`` once the class is assembled (ops sit below the tensor layer).
"""

from __future__ import annotations

import builtins
import numbers

from gradiente.backend import array_device_index, torch_type_name, xp

Tensor = None  # the Tensor class, bound by gradiente.tensor (see its __init__)


def _is_array(item) -> bool:
    """An index array: a NumPy array or a CUDA device array (CuPy's, or the stand-in's)."""
    return isinstance(item, xp.ndarray) or array_device_index(item) is not None


_INT32_64 = ("int32", "int64")
_SCATTER_RULE = (_INT32_64, RuntimeError, "scatter(): Expected dtype int32/int64 for index")
_LONG_RULE = "Expected a long tensor for index, but got {type}"

# op: (the index dtypes torch accepts, its exception and message for the others, where {type}
# is torch's name of the index's dtype, "Float"); each kernel words its own check
_INDEX_DTYPE_RULES = {
    "index_select": (
        _INT32_64,
        RuntimeError,
        "index_select(): Expected dtype int32 or int64 for index",
    ),
    "gather": (_INT32_64, RuntimeError, "gather(): Expected dtype int32/int64 for index"),
    "scatter": _SCATTER_RULE,
    "scatter_add": _SCATTER_RULE,
    "scatter_reduce": _SCATTER_RULE,
    "index_add": (
        _INT32_64,
        RuntimeError,
        "index_add_(): Expected dtype int32/int64 for index but got: {type}",
    ),
    "index_reduce": (
        _INT32_64,
        RuntimeError,
        "index_reduce_(): Expected dtype int32/int64 for index but got: {type}",
    ),
    "index_fill": (("int64",), IndexError, "index_fill_(): Expected dtype int64 for index."),
    "index_copy": (("int64",), RuntimeError, "index_copy_(): " + _LONG_RULE),
    "put": (("int64",), RuntimeError, "put_(): " + _LONG_RULE),
    "put_": (("int64",), RuntimeError, "put_(): " + _LONG_RULE),
    "take": (("int64",), RuntimeError, "take(): " + _LONG_RULE),
    "take_along_dim": (
        ("int64",),
        RuntimeError,
        "torch.take_along_dim(): dtype of indices should be Long but got {type}",
    ),
}


def _index_array(index, op):
    """``index``'s array as positions (intp), refused with torch's error for ``op`` when its
    dtype is not one that op's kernel takes."""
    arr = index._data if isinstance(index, Tensor) else xp.asarray(index)
    generic = (_INT32_64, RuntimeError, f"{op}(): Expected dtype int32/int64 for index")
    accepted, error, message = _INDEX_DTYPE_RULES.get(op, generic)
    if arr.dtype.name not in accepted:
        raise error(message.format(type=torch_type_name(arr.dtype)))
    return arr.astype(xp.intp, copy=False)


def _check_scatter_shapes(op: str, shape, d: int, idx, src=None) -> None:
    """gather/scatter's shape rules, as PyTorch's gather_shape_check/scatter_shape_check.

    The index has self's number of dims and is no larger than self along every dim but
    ``d``; for scatter with a tensor ``src``, also no larger than src along every dim, and
    src has self's dtype (``shape`` and ``src`` come as self's shape and src's array).
    """
    what = "input" if op == "gather" else "self"
    if max(idx.ndim, 1) != max(len(shape), 1):
        raise RuntimeError(
            f"Index tensor must have the same number of dimensions as {what} tensor "
            f"(index {idx.ndim}-D, {what} {len(shape)}-D)"
        )
    too_big = [i for i, (n, m) in enumerate(zip(idx.shape, shape)) if i != d and n > m]
    if src is None:
        if too_big:
            raise RuntimeError(
                f"Size does not match at dimension {too_big[0]} expected index "
                f"{list(idx.shape)} to be "
                f"no larger than self {list(shape)} apart from dimension {d}"
            )
        return
    if max(idx.ndim, 1) != max(src.ndim, 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as src tensor")
    if too_big or any(n > m for n, m in zip(idx.shape, src.shape)):
        raise RuntimeError(
            f"Expected index {list(idx.shape)} to be no larger than self {list(shape)} apart "
            f"from dimension {d} and to be no larger size than src {list(src.shape)}"
        )


def _check_scatter_index(idx, d: int, n: int) -> None:
    """gather/scatter take indices in [0, n) only (no negatives), with PyTorch's message."""
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        bad = int(idx.min() if idx.min() < 0 else idx.max())
        raise RuntimeError(f"index {bad} is out of bounds for dimension {d} with size {n}")


def _positions_along(idx, d: int, n: int, op: str, ndim: int = 1):
    """The 1-D indices of index_add/index_copy/index_fill along dim d (size n), checked and
    made non-negative.

    As in PyTorch, only ``index_fill`` counts negative indices from the end; index_add and
    index_copy refuse them. The error's type and words are torch's, which differ by op (and
    for index_add by self's number of dims, ``ndim``).
    """
    low = -n if op == "index_fill" else 0
    if idx.size and (idx.min() < low or idx.max() >= n):
        bad = int(idx.min() if idx.min() < low else idx.max())
        message = f"index {bad} is out of bounds for dimension {d} with size {n}"
        if op == "index_add":
            if ndim <= 1:
                raise IndexError("index out of range in self")
            raise RuntimeError(message)
        raise IndexError(message if op == "index_fill" else f"{op}_(): {message}")
    return idx % max(n, 1)


def _convert_index(index, t: Tensor):
    """Translate a PyTorch index into a NumPy one; report whether it gives a view (basic)."""
    if t._data.ndim == 0 and not isinstance(index, (tuple, list, Tensor, bool)):
        if isinstance(index, numbers.Integral):  # loss.data[0], the pre-0.4 idiom
            if index != 0:
                raise IndexError(f"index {index} is out of bounds for dimension 0 with size 0")
            raise IndexError(
                "invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number"
            )
        if isinstance(index, slice):
            raise IndexError("slice() cannot be applied to a 0-dim tensor.")
    if (
        t._data.ndim == 0
        and isinstance(index, list)
        and index
        and all(isinstance(i, numbers.Integral) and not isinstance(i, bool) for i in index)
    ):
        raise IndexError("too many indices for tensor of dimension 0")
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
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
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
        elif isinstance(item, (list, range, xp.ndarray)):  # a range indexes like its list
            arr = xp.asarray(item, dtype=xp.int64) if isinstance(item, range) else xp.asarray(item)
            if arr.dtype.kind == "f":
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            out.append(arr)
            basic = False
        elif array_device_index(item) is not None:  # a CUDA tensor's index array (backward)
            out.append(item)
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
    arrays = [i for i in index if _is_array(i)]
    return value._data.size == 1 and len(arrays) == 1 and arrays[0].dtype == bool


def _integers_first(index: tuple, ndim: int):
    """PyTorch applies integer indices before advanced ones (as ``select``), NumPy together
    with them (an integer is then an advanced index too, which moves the result's dims when a
    slice separates them: ``x[0, :, [1, 2]]``). For an index with both, return the two steps
    PyTorch takes: ``(basic, advanced)`` with ``x[index] == x[basic][advanced]``; else None.
    """
    has_int = any(isinstance(i, int) and not isinstance(i, bool) for i in index)
    if not has_int or not any(_is_array(i) for i in index):
        return None
    basic, advanced = [], []
    for item in index:
        if isinstance(item, int) and not isinstance(item, bool):
            basic.append(item)  # the dim is gone: nothing for the second step
        elif _is_array(item):
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


def _writes_without_view(index: tuple, shape: tuple) -> bool:
    """Whether torch writes ``x[index] = v`` (an advanced index) by ``index_put_`` on x itself,
    recorded as ``IndexPutBackward0``: its basic part makes no view, as it has no integer,
    None or Python bool and each slice spans its whole dim (torch skips such a slice). Else
    the write goes through a view of x, recorded on x as ``CopySlices``."""
    dim = 0
    for item in index:
        if item is Ellipsis:
            dim += len(shape) - builtins.sum(_dims_consumed(i) for i in index)
        elif isinstance(item, slice):
            if item.indices(shape[dim]) != (0, shape[dim], 1):
                return False
            dim += 1
        elif _is_array(item):
            dim += _dims_consumed(item)
        else:  # an integer, None or a Python bool
            return False
    return True


def _dims_consumed(item) -> int:
    """How many dims of the indexed tensor one index item consumes."""
    if item is None or item is Ellipsis:
        return 0
    if _is_array(item) and item.dtype == bool:
        return max(item.ndim, 1)
    return 1


def _dims_indexed(item) -> int:
    """The dims of the indexed tensor one item indexes: a 0-d mask (``x[True]``) none."""
    if isinstance(item, bool) or (_is_array(item) and item.dtype == bool and item.ndim == 0):
        return 0
    return _dims_consumed(item)


def _check_int_bounds(index, t: Tensor):
    """Integer indices out of range: PyTorch's IndexError wording."""
    dim = 0
    shape = t._data.shape
    if builtins.sum(_dims_indexed(i) for i in index) > len(shape):
        raise IndexError(f"too many indices for tensor of dimension {len(shape)}")
    # the shapes the advanced indices broadcast: a bool mask indexes with its nonzero count
    arrays = [
        (int(i.sum()),) if i.dtype == bool else i.shape
        for i in index
        if _is_array(i) and i.dtype.kind in "iub"
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
        elif _is_array(item) and item.dtype.kind in "iu" and not selects_nothing:
            if dim < len(shape):
                _check_array_bounds(item, dim, shape[dim])
        if _is_array(item) and item.dtype == bool:
            if item.ndim and item.shape != shape[dim : dim + item.ndim]:
                raise _mask_mismatch(index, shape, item)
            dim += max(item.ndim, 1)
        else:
            dim += _dims_indexed(item)  # a Python bool indexes no dim


def _mask_mismatch(index: tuple, shape: tuple, mask) -> IndexError:
    """torch's IndexError for a bool ``mask`` in ``index`` whose shape differs from the dims it
    covers. torch applies the basic indices first (an integer drops a dim, None adds one, a
    slice may shorten one), then names that tensor's shape, the first mask dim that differs
    and the tensor dim it meets."""
    sliced, dim, at = [], 0, 0
    for item in index:
        if item is None or isinstance(item, bool):
            sliced.append(1)
        elif item is Ellipsis:
            kept = len(shape) - builtins.sum(_dims_indexed(i) for i in index)
            sliced.extend(shape[dim : dim + kept])
            dim += kept
        elif isinstance(item, slice):
            sliced.append(len(range(*item.indices(shape[dim]))))
            dim += 1
        elif isinstance(item, int):
            dim += 1
        else:  # an index array: its dims are kept for the advanced step
            if item is mask:
                at = len(sliced)
            n = _dims_indexed(item)
            sliced.extend(shape[dim : dim + n])
            dim += n
    sliced.extend(shape[dim:])
    j = next(j for j, n in enumerate(mask.shape) if n != sliced[at + j])
    return IndexError(
        f"The shape of the mask {list(mask.shape)} at index {j} does not match the shape of "
        f"the indexed tensor {sliced} at index {at + j}"
    )


def _check_array_bounds(item, dim: int, n: int) -> None:
    """PyTorch's IndexError for an index array with a value outside [-n, n).

    On CUDA torch checks inside the kernel (a device-side assert) and never waits for the GPU;
    here a device index array costs one host synchronisation: the one boolean ``any`` read
    back (``bool()``), then the offending value only when there is one. NumPy arrays are
    checked with their min and max, as before.
    """
    if n == 0 and item.size:  # torch names neither the value nor the dim then
        raise IndexError("index is out of bounds for dimension with size 0")
    if type(item) is xp.ndarray:
        if item.max() >= n or item.min() < -n:
            bad = int(item.max() if item.max() >= n else item.min())
            raise IndexError(f"index {bad} is out of bounds for dimension {dim} with size {n}")
        return
    outside = (item >= n) | (item < -n)
    if bool(outside.any()):  # the one device-to-host read
        high = int(item.max())
        bad = high if high >= n else int(item.min())  # the value the CPU's message names
        raise IndexError(f"index {bad} is out of bounds for dimension {dim} with size {n}")
