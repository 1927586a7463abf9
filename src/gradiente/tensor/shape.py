"""Shape ops: views (``view``, ``reshape``, ``permute``, ...), joins and splits, diagonals,
triangles and rearranging (``flip``, ``roll``, ``tile``, ...)."""

from __future__ import annotations

import builtins
import numbers
import warnings

from gradiente import backend as B
from gradiente.autograd.function import show_as, torch_strides_known
from gradiente.autograd.grad_mode import grad_state
from gradiente.backend import xp
from gradiente.ops import shape as S
from gradiente.tensor.common import _arr, _dim, _dims, _required, _shape_arg
from gradiente.tensor.marks import function, inplace, numpy_axis
from gradiente.tensor.promotion import _infer_shape

Tensor = None  # the assembled class, bound by gradiente.tensor (see its __init__)


_VIEW_MESSAGE = (
    "view size is not compatible with input tensor's size and stride (at least one dimension "
    "spans across two contiguous subspaces). Use .reshape(...) instead."
)


def _torch_strides_known(t) -> bool:
    """Whether ``t``'s strides are the ones PyTorch would give it (``autograd.function``'s
    ``torch_strides_known``: views of row-major tensors, in-place restrides of them)."""
    return torch_strides_known(t)


def _viewable(arr, shape) -> bool:
    """Whether ``arr`` can be viewed as ``shape`` without copying: PyTorch's rule
    (``computeStride``). Runs of dims that are contiguous with each other ("chunks") may
    be split and merged freely; a new dim may not span two chunks."""
    old_shape = arr.shape
    if arr.size == 0 or not old_shape:
        return True
    old_strides = [s // arr.itemsize for s in arr.strides]
    view_d = len(shape) - 1
    chunk_stride = old_strides[-1]
    tensor_numel = view_numel = 1
    for d in range(len(old_shape) - 1, -1, -1):
        tensor_numel *= old_shape[d]
        chunk_ends = d == 0 or (
            old_shape[d - 1] != 1 and old_strides[d - 1] != tensor_numel * chunk_stride
        )
        if not chunk_ends:
            continue
        while view_d >= 0 and (view_numel < tensor_numel or shape[view_d] == 1):
            view_numel *= shape[view_d]
            view_d -= 1
        if view_numel != tensor_numel:
            return False
        if d > 0:
            chunk_stride = old_strides[d - 1]
            tensor_numel = view_numel = 1
    return view_d == -1


def _at_least_1d(t, message: str) -> None:
    """split, chunk and tensor_split refuse a 0-d tensor before any other check (torch)."""
    if t.ndim == 0:
        raise RuntimeError(message)


class Shape:
    """Tensor methods: views, joins and splits, diagonals, triangles, rearranging."""

    __slots__ = ()

    @function
    def reshape(self, *shape, **kwargs):
        """The same elements in a new shape (a view when possible)."""
        shape = shape or _required(kwargs, "reshape", "shape")
        shape = _infer_shape(_shape_arg(shape), self._data.size, "reshape", self.shape)
        if shape == self._data.shape:
            return self if not self._requires_grad else S.Reshape.apply(self, shape)
        return S.Reshape.apply(self, shape)

    def view(self, *shape, **kwargs):
        """A view with the same elements in a new shape (``view(2, 3)``, ``view((2, 3))``,
        ``view(size=(2, 3))``), or the same bytes read as another dtype (``view(dtype)``)."""
        if not shape and len(kwargs) == 1 and ("size" in kwargs or "dtype" in kwargs):
            shape = tuple(kwargs.values())
        elif kwargs:
            raise TypeError(f"view() got an unexpected keyword argument '{next(iter(kwargs))}'")
        if not shape:
            raise TypeError("view() received an invalid combination of arguments - got ()")
        if len(shape) == 1 and isinstance(shape[0], (B.dtype, str)):
            # the same bytes read as another dtype (not differentiable)
            return Tensor._make(self._data.view(B.to_dtype(shape[0]).np), False, None)
        shape = _infer_shape(_shape_arg(shape), self._data.size, "view", self.shape)
        if _torch_strides_known(self) and not _viewable(self._data, shape):
            raise RuntimeError(_VIEW_MESSAGE)
        # Where gradiente's memory layout may differ from PyTorch's (a convolution output,
        # kept channels-last, and what is computed from it), a view that the strides cannot
        # express is a copy, not an error: conv -> relu -> x.view(N, -1) must work as in torch.
        return S.Reshape.apply(self, shape)

    def view_as(self, other):
        """View this tensor as the same size as ``other``."""
        return self.view(other.shape)

    def reshape_as(self, other):
        """Returns this tensor as the same shape as ``other``."""
        return self.reshape(other.shape)

    @function
    def flatten(self, start_dim=0, end_dim=-1):
        """Flattens self by reshaping it into a one-dimensional tensor."""
        if self.ndim == 0:
            _dim(start_dim, 0, "flatten"), _dim(end_dim, 0, "flatten")  # only 0 and -1 exist
            return self.reshape(1)
        s = _dim(start_dim, self.ndim, "flatten")
        e = _dim(end_dim, self.ndim, "flatten")
        if s > e:
            raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
        if s == e:  # nothing to flatten: torch returns self itself (no view, no graph node)
            return self
        shape = self.shape
        n = 1
        for k in shape[s : e + 1]:
            n *= k
        return self.reshape(shape[:s] + (n,) + shape[e + 1 :])

    @function
    @numpy_axis
    def unflatten(self, dim, sizes):
        """Expands a dimension of the input tensor over multiple dimensions."""
        d = _dim(dim, self.ndim, "unflatten")
        if self.ndim == 0:  # torch wraps its dim check's error so
            raise RuntimeError(
                "unflatten got an unexpected error:\n"
                f"Dimension specified as {dim} but tensor has no dimensions"
            )
        sizes = _infer_shape(tuple(sizes), self.shape[d], "unflatten", self.shape)
        return self.reshape(self.shape[:d] + sizes + self.shape[d + 1 :])

    @function
    @numpy_axis
    def squeeze(self, dim=None, *dims):
        """Returns a tensor with all specified dimensions of self of size `1` removed: every
        one by default, else ``dim`` (an int, a tuple, or several ints: ``squeeze(0, 1)``)."""
        if dims:
            dim = (dim, *dims)
        if dim is None:
            return S.SqueezeAll.apply(self, tuple(s for s in self.shape if s != 1))
        dims = _dims(dim, self.ndim, "squeeze") or ()
        if len(set(dims)) != len(dims):
            repeated = next(d for d in dims if dims.count(d) > 1)
            raise RuntimeError(f"dim {repeated} appears multiple times in the list of dims")
        shape = tuple(s for i, s in enumerate(self.shape) if not (i in dims and s == 1))
        return S.Squeeze.apply(self, shape)

    @function
    @numpy_axis
    def unsqueeze(self, dim):
        """A view with a new dimension of size one at ``dim``."""
        d = _dim(dim, self.ndim + 1, "unsqueeze")
        shape = self.shape
        return S.Unsqueeze.apply(self, shape[:d] + (1,) + shape[d:])

    @function
    def permute(self, *dims, **kwargs):
        """Returns a view of the original tensor self with its dimensions permuted."""
        dims = dims or _required(kwargs, "permute", "dims")
        dims = (
            _shape_arg(dims) if dims and not isinstance(dims[0], (list, tuple)) else tuple(dims[0])
        )
        if len(dims) != self.ndim:
            raise RuntimeError(
                f"permute(sparse_coo): number of dimensions in the tensor input does not match "
                f"the length of the desired ordering of dimensions i.e. input.dim() = "
                f"{self.ndim} is not equal to len(dims) = {len(dims)}"
            )
        return S.Permute.apply(self, tuple(_dim(d, self.ndim, "permute") for d in dims))

    @function
    def transpose(self, dim0, dim1):
        """Returns a tensor that is a transposed version of self."""
        d0, d1 = _dim(dim0, self.ndim, "transpose"), _dim(dim1, self.ndim, "transpose")
        if self.ndim < 2:  # torch: a view of it (a new graph node when it requires grad)
            return self.expand(self.shape) if grad_state.enabled and self._requires_grad else self
        return S.Transpose.apply(self, d0, d1)

    swapaxes = swapdims = transpose

    @function
    def t(self):
        """Expects self to be <= 2-D tensor and transposes dimensions 0 and 1."""
        if self.ndim > 2:
            raise RuntimeError(
                f"t() expects a tensor with <= 2 dimensions, but self is {self.ndim}D"
            )
        if self.ndim == 0:  # torch: a view of it (a new graph node when it requires grad)
            return self.expand(()) if grad_state.enabled and self._requires_grad else self
        # a vector's t() is still a view (and a TBackward0 node), as in torch
        return S.T.apply(self, 0, self.ndim - 1)

    @function
    def movedim(self, source, destination):
        """Move the dimension(s) ``source`` to the position(s) ``destination``."""
        src = _dims(source, self.ndim, "movedim")
        dst = _dims(destination, self.ndim, "movedim")
        if len(src) != len(dst):
            raise RuntimeError(
                f"movedim: Invalid source or destination dims: source ({list(src)} dims) should "
                f"contain the same number of dims as destination ({list(dst)} dims)"
            )
        if self.ndim == 0:
            return self[...]  # dims 0 and -1 of a 0-d tensor: nothing moves
        order = [d for d in range(self.ndim) if d not in src]
        for d, s in sorted(zip(dst, src)):
            order.insert(d, s)
        return self.permute(*order)

    def expand(self, *sizes, **kwargs):
        """A view with size-one dimensions broadcast to a larger size."""
        sizes = _shape_arg(sizes or _required(kwargs, "expand", "size"))
        if len(sizes) < self.ndim:
            raise RuntimeError(
                f"expand: the number of sizes provided ({len(sizes)}) must be greater or equal "
                f"to the number of dimensions in the tensor ({self.ndim})"
            )
        lead = len(sizes) - self.ndim
        shape = []
        for i, s in enumerate(sizes):
            old = self.shape[i - lead] if i >= lead else None
            if s == -1:
                if old is None:
                    raise RuntimeError("expand: -1 is not allowed in a leading, new dimension")
                s = old
            elif old is not None and old != 1 and old != s:
                raise RuntimeError(
                    f"The expanded size of the tensor ({s}) must match the existing size "
                    f"({old}) at non-singleton dimension {i}.  Target sizes: {list(sizes)}.  "
                    f"Tensor sizes: {list(self.shape)}"
                )
            shape.append(s)
        shape = tuple(shape)
        if shape == self._data.shape and not (grad_state.enabled and self._requires_grad):
            return self  # torch returns a new view; without a graph nothing tells them apart
        return S.Expand.apply(self, shape)

    def expand_as(self, other):
        """Expand this tensor to the same size as ``other``."""
        return self.expand(other.shape)

    @function
    def broadcast_to(self, shape):
        """Broadcast self to ``shape`` (``expand``)."""
        return self.expand(shape)

    def repeat(self, *repeats, **kwargs):
        """Repeats this tensor along the specified dimensions."""
        repeats = _shape_arg(repeats or _required(kwargs, "repeat", "repeats"))
        if len(repeats) < self.ndim:
            raise RuntimeError(
                "Number of dimensions of repeat dims can not be smaller than "
                "number of dimensions of tensor"
            )
        return S.Repeat.apply(self, repeats)

    @function
    def flip(self, *dims, **kwargs):
        """Reverse the order of an n-D tensor along given axis in dims."""
        dims = _shape_arg(dims or (kwargs["dims"],))
        dims = tuple(_dim(d, self.ndim, "flip") for d in dims)
        if self.ndim == 0:
            return S.Flip.apply(self, ())  # dim 0 of one value: a copy
        return S.Flip.apply(self, dims)

    @function
    @numpy_axis
    def narrow(self, dim, start, length):
        """The ``length`` entries from ``start`` along dim (a view); a negative start counts
        from the end."""
        if self.ndim == 0:
            raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
        d = _dim(dim, self.ndim, "narrow")
        n = self.shape[d]
        start, length = int(start), int(length)
        if not -n <= start <= n:
            raise IndexError(
                f"start out of range (expected to be in range of [{-n}, {n}], but got {start})"
            )
        start = start + n if start < 0 else start
        if length < 0 or start + length > n:
            raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({n}).")
        index = (slice(None),) * d + (slice(start, start + length),)
        return self[index]

    @function
    def narrow_copy(self, dim, start, length):
        """``narrow``'s entries as a new tensor (a copy, not a view)."""
        return self.narrow(dim, start, length).clone()

    def resize(self, *sizes):
        """torch's deprecated out-of-place resize: self in another shape of as many
        elements (a reshape), with torch's warning."""
        warnings.warn("non-inplace resize is deprecated", stacklevel=2)
        shape = _shape_arg(sizes)
        n = 1
        for size in shape:
            n *= size
        if n != self.numel():
            have = "x".join(str(size) for size in self.shape)
            raise RuntimeError(
                f"requested resize to {'x'.join(str(size) for size in shape)} ({n} elements in "
                f"total), but the given tensor has a size of {have} ({self.numel()} elements). "
                "autograd's resize can only change the shape of a given tensor, while "
                "preserving the number of elements. "
            )
        return self.reshape(shape)

    @function
    @numpy_axis
    def split(self, split_size_or_sections, dim=0):
        """Splits the tensor into chunks."""
        _at_least_1d(self, "split expects at least a 1-dimensional tensor")
        d = _dim(dim, self.ndim, "split")
        n = self.shape[d]
        if isinstance(split_size_or_sections, numbers.Integral):
            step = int(split_size_or_sections)
            if step < 0:
                raise RuntimeError(
                    f"split expects split_size be non-negative, but got split_size={step}"
                )
            if step == 0 and n:
                raise RuntimeError(
                    "split_size can only be 0 if dimension size is 0, but got dimension size "
                    f"of {n}"
                )
            sizes = [min(step, n - i) for i in range(0, n, step)] if n else [0]
        else:
            sizes = list(split_size_or_sections)
            if builtins.sum(sizes) != n:
                raise RuntimeError(
                    f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's "
                    f"size at dimension {d}), but got split_sizes={sizes}"
                )
        by_sizes = not isinstance(split_size_or_sections, numbers.Integral)
        if not sizes:  # split_with_sizes of an empty dim into no pieces: no tensors
            return ()
        return S.Split.apply(self, sizes, d, by_sizes)

    @function
    @numpy_axis
    def chunk(self, chunks, dim=0):
        """Attempts to split a tensor into the specified number of chunks."""
        _at_least_1d(self, "chunk expects at least a 1-dimensional tensor")
        d = _dim(dim, self.ndim, "chunk")
        if chunks <= 0:
            raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
        n = self.shape[d]
        step = -(-n // chunks)
        return self.split(step, d) if n else self.split([0] * chunks, d)  # chunks empty pieces

    @function
    @numpy_axis
    def unbind(self, dim=0):
        """Removes a tensor dimension."""
        d = _dim(dim, self.ndim, "unbind")
        if self.ndim == 0:  # dim 0 or -1 passed the check above: torch's IndexError
            raise IndexError("Dimension specified as 0 but tensor has no dimensions")
        return S.Unbind.apply(self, d)

    @function
    @numpy_axis
    def tensor_split(self, indices_or_sections, dim=0):
        """n nearly equal parts (the first ones one larger), or the pieces between indices."""
        _at_least_1d(
            self,
            "tensor_split expected at least a 1-dimensional tensor, but got a tensor with 0 dims",
        )
        d = _dim(dim, self.ndim, "tensor_split")
        n = self.shape[d]
        if isinstance(indices_or_sections, Tensor):
            indices_or_sections = indices_or_sections.tolist()
        if isinstance(indices_or_sections, numbers.Integral):
            if indices_or_sections <= 0:
                raise RuntimeError(
                    f"number of sections must be larger than 0, got {indices_or_sections}"
                )
            q, r = divmod(n, int(indices_or_sections))
            sizes = [q + 1] * r + [q] * (int(indices_or_sections) - r)
            bounds = [0, *(sum(sizes[: k + 1]) for k in range(len(sizes)))]
        else:
            bounds = [builtins.min(builtins.max(int(i), 0), n) for i in indices_or_sections]
            bounds = [0, *bounds, n]
        # one slice per piece, as torch (not one multi-output split: each piece is a view that
        # may be changed in place)
        return tuple(
            self.narrow(d, a, builtins.max(b - a, 0)) for a, b in zip(bounds[:-1], bounds[1:])
        )

    @function
    def diagonal(self, offset=0, dim1=0, dim2=1):
        """A view of the diagonal over ``dim1``, ``dim2`` (as the last dimension)."""
        d1, d2 = _dim(dim1, self.ndim, "diagonal"), _dim(dim2, self.ndim, "diagonal")
        if d1 == d2:
            raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
        return S.Diagonal.apply(self, int(offset), d1, d2)

    @function
    def diag_embed(self, offset=0, dim1=-2, dim2=-1):
        """Put the last dim on the ``offset``-th diagonal of new square matrices."""
        n = self.shape[-1] + abs(offset)
        ndim = self.ndim + 1
        d1, d2 = _dim(dim1, ndim, "diag_embed"), _dim(dim2, ndim, "diag_embed")
        rest = list(self.shape[:-1])
        shape = [0] * ndim
        for k in range(ndim):
            shape[k] = n if k in (d1, d2) else rest.pop(0)
        out = S.DiagonalBackward.apply(self, int(offset), d1, d2, tuple(shape))
        return show_as(out, "DiagEmbedBackward0")

    @function
    def diag(self, diagonal=0):
        """A 1-D tensor's diagonal matrix, or a 2-D tensor's diagonal."""
        if self.ndim == 1:
            return self.diag_embed(diagonal, 0, 1)
        if self.ndim == 2:
            return show_as(self.diagonal(diagonal).clone(), "DiagonalBackward0_copy")
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {self.ndim}D")

    @function
    def diagflat(self, offset=0):
        """A 2-D tensor with the flattened self on the diagonal ``offset``."""
        return self.flatten().diag(offset)

    @function
    def trace(self):
        """Returns the sum of the elements of the diagonal of the input 2-D matrix."""
        if self.ndim != 2:
            raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {self.ndim}")
        return show_as(self.diagonal().sum(), "TraceBackward0")

    def fill_diagonal_(self, fill_value, wrap=False):
        """Fill the main diagonal of a tensor that has at least 2-dimensions."""
        self._check_inplace()
        x = self._data
        if x.ndim > 2 and len(set(x.shape)) != 1:
            raise RuntimeError("all dimensions of input must be of equal length")
        if x.ndim == 2 and wrap:
            xp.fill_diagonal(x, fill_value, wrap=True)
        else:
            n = min(x.shape)
            x[(xp.arange(n),) * x.ndim] = fill_value
        self._bump()
        return self

    @function
    @inplace
    def tril(self, diagonal=0):
        """The lower triangle (below diagonal ``diagonal``); other entries zero."""
        if self.ndim < 2:
            raise RuntimeError("tril: input tensor must have at least 2 dimensions")
        return S.TrilTriu.apply(self, True, int(diagonal))

    @function
    @inplace
    def triu(self, diagonal=0):
        """The upper triangle (above diagonal ``diagonal``); other entries zero."""
        if self.ndim < 2:
            raise RuntimeError("triu: input tensor must have at least 2 dimensions")
        return S.TrilTriu.apply(self, False, int(diagonal))

    @function
    @numpy_axis
    def roll(self, shifts, dims=None):
        """Shift along ``dims`` with wrap-around; without dims, along the flattened tensor."""
        shifts = tuple(int(s) for s in shifts) if isinstance(shifts, (list, tuple)) else (shifts,)
        dims = () if dims is None else tuple(dims) if isinstance(dims, (list, tuple)) else (dims,)
        if not shifts:
            raise RuntimeError("`shifts` required")
        if not dims and len(shifts) == 1:
            return S.Roll.apply(self, int(shifts[0]), None)
        if len(shifts) != len(dims):
            raise RuntimeError(
                f"shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(dims)}"
            )
        if self._data.size == 0:  # PyTorch returns a copy before looking at the dims
            return self.clone()
        if self.ndim == 0:
            raise IndexError(f"Dimension specified as {dims[0]} but tensor has no dimensions")
        return S.Roll.apply(self, shifts, tuple(_dim(d, self.ndim, "roll") for d in dims))

    @function
    def rot90(self, k=1, dims=(0, 1)):
        """Rotate by 90° k times in the plane of ``dims`` (from the first towards the second)."""
        if len(dims) != 2:
            raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
        if self.ndim < 2:
            raise RuntimeError(f"expected total dims >= 2, but got total dims = {self.ndim}")
        d0, d1 = (_dim(d, self.ndim, "rot90") for d in dims)
        if d0 == d1:
            raise RuntimeError(
                f"expected rotation dims to be different, but got dim0 = {dims[0]} and "
                f"dim1 = {dims[1]}"
            )
        k %= 4
        if k == 1:
            return self.flip(d1).transpose(d0, d1)
        if k == 2:
            return self.flip(d0, d1)
        if k == 3:
            return self.flip(d0).transpose(d0, d1)
        return self.clone()

    @function
    def fliplr(self):
        """Flip tensor in the left/right direction, returning a new tensor."""
        return self.flip(1)

    @function
    def flipud(self):
        """Flip tensor in the up/down direction, returning a new tensor."""
        return self.flip(0)

    @function
    def tile(self, *dims, **kwargs):
        """Constructs a tensor by repeating the elements of self."""
        dims = _shape_arg(dims or _required(kwargs, "tile", "dims"))
        return self.repeat((1,) * (self.ndim - len(dims)) + dims)

    @numpy_axis
    def repeat_interleave(self, repeats, dim=None, output_size=None):
        """Repeat each element ``repeats`` times (an int, or one count per element)."""
        x = self.flatten() if dim is None else self
        d = 0 if dim is None else _dim(dim, self.ndim, "repeat_interleave")
        counts = B.host(_arr(repeats))  # the output's length depends on them: read once
        if xp.ndim(counts) > 1:
            raise RuntimeError("repeats must be 0-dim or 1-dim tensor")
        if xp.ndim(counts) == 1 and counts.size not in (1, x.shape[d]):
            raise RuntimeError(
                "repeats must have the same size as input along dim, but got repeats.size(0) = "
                f"{counts.size} and input.size({d}) = {x.shape[d]}"
            )
        if (xp.asarray(counts) < 0).any():
            raise RuntimeError(
                "repeats can not be negative"
                if isinstance(repeats, Tensor)
                else "Repeats must be non-negative"
            )
        index = xp.repeat(xp.arange(x.shape[d]), counts)
        return x.index_select(d, Tensor._make(index))

    @function
    def moveaxis(self, source, destination):
        """Alias of ``movedim``."""
        return self.movedim(source, destination)

    @function
    @numpy_axis
    def select(self, dim, index):
        """Slices the self tensor along the selected dimension at the given index."""
        d = _dim(dim, self.ndim, "select")
        n = self.shape[d]
        if isinstance(index, numbers.Integral) and not -n <= index < n:
            raise IndexError(
                f"select(): index {index} out of range for tensor of size {list(self.shape)} at "
                f"dimension {d}"
            )
        return self[(slice(None),) * d + (index,)]

    def unfold(self, dimension, size, step):
        """All windows of length ``size`` every ``step`` along ``dimension``, as a new last dim."""
        if self.ndim == 0:  # torch treats a scalar as one element: (size,) back
            return self.reshape(1).unfold(0, size, step).reshape(size)
        d = _dim(dimension, self.ndim, "unfold")
        if step <= 0:
            raise RuntimeError(f"step is {step} but must be > 0")
        if size < 0:
            raise RuntimeError(f"size is {size} but must be >= 0")
        if size > self.shape[d]:
            raise RuntimeError(
                f"maximum size for tensor at dimension {d} is {self.shape[d]} but size is {size}"
            )
        return S.Unfold.apply(self, d, int(size), int(step))  # a view, as in torch

    @function
    def ravel(self):
        """Return a contiguous flattened tensor."""
        return self.reshape(-1)
