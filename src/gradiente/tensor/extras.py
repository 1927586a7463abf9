"""Tensor methods torch keeps for older or lower-level code: the *unsafe* splits (pieces that
share memory without being views for autograd), ``as_strided_``/``as_strided_scatter``,
``as_subclass``, the legacy solvers' method forms (``b.cholesky_solve(L)``,
``b.triangular_solve(A)``, ``L.cholesky_inverse()``) and the removed ones (``solve``,
``lstsq``, ``eig``, ``symeig``), which raise torch's message pointing to ``torch.linalg``.
Also the in-place inverse hyperbolic functions (``x.acosh_()``), which torch computes but
cannot differentiate: a backward through them raises, as torch's does."""

from __future__ import annotations

from gradiente.autograd.function import show_as
from gradiente.autograd.grad_mode import no_grad
from gradiente.backend import xp
from gradiente.ops import shape as S
from gradiente.ops.array_function import ArrayFunction
from gradiente.tensor.inplace import _cast_checked
from gradiente.tensor.marks import function

Tensor = None  # the assembled class, bound by gradiente.tensor (see its __init__)

# The pieces of ``Split``, but not views for autograd (torch's ``unsafe_split``): writing into
# one neither bumps the input's version nor rebases the input's graph.
_UnsafeSplit = type(
    "UnsafeSplit",
    (S.Split,),
    {
        "_is_view": False,
        "name": lambda self: (
            "UnsafeSplitWithSizesBackward0" if self.by_sizes else "UnsafeSplitBackward0"
        ),
        "__doc__": "``unsafe_split``: ``Split``'s pieces, not tracked as views.",
        "__module__": __name__,
    },
)


class _NoInplaceDerivative(ArrayFunction):
    """The identity, whose backward raises torch's NotImplementedError for an in-place op that
    has no derivative formula (``acosh_``, ``asinh_``, ``atanh_``)."""

    backward_name = "NotImplemented"

    @staticmethod
    def forward(ctx, a, name):
        ctx.op_name = name
        return a._data.copy()

    @staticmethod
    def backward(ctx, grad):
        raise NotImplementedError(
            f"the derivative for 'inplace version of {ctx.op_name}' is not implemented."
        )


def _inplace_without_derivative(name: str):
    """The in-place method ``x.<name>_()``: the values of ``x.<name>()``, and a graph node
    (torch's ``<Name>Backward1``) whose backward raises."""

    def compute(s):
        out = _cast_checked(s, getattr(s, name)())
        if not out.requires_grad:
            return out
        return show_as(_NoInplaceDerivative.apply(out, name), f"{name.capitalize()}Backward1")

    def method(self):
        return self._inplace(compute)

    method.__name__ = method.__qualname__ = name + "_"
    method.__doc__ = f"In-place ``{name}`` (torch has no derivative for it: backward raises)."
    return method


def _removed(message: str):
    """A method that raises torch's RuntimeError for a function removed in PyTorch 1.9."""

    def method(self, *args, **kwargs):
        raise RuntimeError(message)

    method.__doc__ = "Removed in PyTorch 1.9: raises torch's RuntimeError, which says what to use."
    return method


_REMOVED = "This function was deprecated since version 1.9 and is now removed. "

SOLVE_REMOVED = (
    _REMOVED + "`torch.solve` is deprecated in favor of `torch.linalg.solve`. "
    "`torch.linalg.solve` has its arguments reversed and does not return the LU factorization.\n\n"
    "To get the LU factorization see `torch.lu`, which can be used with `torch.lu_solve` or "
    "`torch.lu_unpack`.\n"
    "X = torch.solve(B, A).solution should be replaced with:\n"
    "X = torch.linalg.solve(A, B)"
)
LSTSQ_REMOVED = (
    _REMOVED + "`torch.lstsq` is deprecated in favor of `torch.linalg.lstsq`.\n"
    "`torch.linalg.lstsq` has reversed arguments and does not return the QR decomposition in "
    "the returned tuple (although it returns other information about the problem).\n\n"
    "To get the QR decomposition consider using `torch.linalg.qr`.\n\n"
    "The returned solution in `torch.lstsq` stored the residuals of the solution in the "
    "last m - n columns of the returned value whenever m > n. In torch.linalg.lstsq, "
    "the residuals are in the field 'residuals' of the returned named tuple.\n\n"
    "The unpacking of the solution, as in\n"
    "X, _ = torch.lstsq(B, A).solution[:A.size(1)]\n"
    "should be replaced with:\n"
    "X = torch.linalg.lstsq(A, B).solution"
)
EIG_REMOVED = (
    _REMOVED + "`torch.linalg.eig` returns complex tensors of dtype `cfloat` or `cdouble` "
    "rather than real tensors mimicking complex tensors.\n\n"
    "L, _ = torch.eig(A) should be replaced with:\n"
    "L_complex = torch.linalg.eigvals(A)\n\n"
    "and\n\n"
    "L, V = torch.eig(A, eigenvectors=True) should be replaced with:\n"
    "L_complex, V_complex = torch.linalg.eig(A)"
)
SYMEIG_REMOVED = (
    _REMOVED + "The default behavior has changed from using the upper triangular portion of "
    "the matrix by default to using the lower triangular portion.\n\n"
    "L, _ = torch.symeig(A, upper=upper) should be replaced with:\n"
    "L = torch.linalg.eigvalsh(A, UPLO='U' if upper else 'L')\n\n"
    "and\n\n"
    "L, V = torch.symeig(A, eigenvectors=True) should be replaced with:\n"
    "L, V = torch.linalg.eigh(A, UPLO='U' if upper else 'L')"
)
MATRIX_RANK_REMOVED = (
    "This function was deprecated since version 1.9 and is now removed.\n"
    "Please use the `torch.linalg.matrix_rank` function instead. "
    "The parameter 'symmetric' was renamed in `torch.linalg.matrix_rank()` to 'hermitian'."
)


class TorchExtras:
    """Tensor methods: unsafe splits, strided writes, subclass views, legacy solvers."""

    __slots__ = ()

    def _unsafe_pieces(self, safe_pieces, dim, by_sizes: bool):
        """The pieces of an unsafe split, the sizes (and torch's checks) from the safe one."""
        with no_grad():
            sizes = [piece.shape[dim] for piece in safe_pieces()]
        return _UnsafeSplit.apply(self, sizes, dim % self.ndim, by_sizes) if sizes else ()

    @function
    def unsafe_split(self, split_size, dim=0):
        """``split`` into pieces of ``split_size`` (an int) that share self's memory but are not
        views for autograd: torch lets code that never writes into them skip the view checks."""
        if not isinstance(split_size, int):
            raise TypeError(
                "unsafe_split(): argument 'split_size' (position 2) must be int, not "
                f"{type(split_size).__name__}"
            )
        return self._unsafe_pieces(lambda: self.split(split_size, dim), dim, False)

    @function
    def unsafe_split_with_sizes(self, split_sizes, dim=0):
        """``split_with_sizes``, with pieces that are not views for autograd."""
        sizes = list(split_sizes)
        return self._unsafe_pieces(lambda: self.split(sizes, dim), dim, True)

    @function
    def unsafe_chunk(self, chunks, dim=0):
        """``chunk``, with pieces that are not views for autograd."""
        return self._unsafe_pieces(lambda: self.chunk(chunks, dim), dim, False)

    @function
    def as_strided_(self, size, stride, storage_offset=None):
        """In-place ``as_strided``: self becomes that view of its own storage."""
        return self._restride_(self.as_strided(size, stride, storage_offset), "AsStridedBackward1")

    @function
    def as_strided_scatter(self, src, size, stride, storage_offset=None):
        """A copy of self with ``src`` written where ``self.as_strided(size, stride,
        storage_offset)`` would look. As in torch, the positions are those of self's storage:
        the ones self's elements do not cover are not in the result."""
        with no_grad():  # torch's checks of the geometry (sizes, strides, storage bounds)
            window = self.as_strided(size, stride, storage_offset)
        if list(src.shape) != list(window.shape):
            raise RuntimeError(
                "expected src to have a size equal to the slice of self. src size = "
                f"{list(src.shape)}, slice size = {list(window.shape)}"
            )
        offset = self.storage_offset() if storage_offset is None else int(storage_offset)
        own = S._storage_positions((self.shape, self.stride(), self.storage_offset()), xp)
        wanted = S._storage_positions((window.shape, tuple(stride), offset), xp).reshape(-1)
        # storage position → index of self's element there (−1: none of self's elements)
        lookup = xp.full(int(max(own.max(initial=0), wanted.max(initial=0))) + 1, -1)
        lookup[own.reshape(-1)] = xp.arange(own.size)
        where = lookup[wanted]
        kept = xp.nonzero(where >= 0)[0]
        flat = self.reshape(-1)
        index = Tensor._make(where[kept])
        values = src.to(self.dtype).reshape(-1)[Tensor._make(kept)]
        out = flat.index_put((index,), values).reshape(self.shape)
        return show_as(out, "AsStridedScatterBackward0", self, src)

    def as_subclass(self, cls):
        """Self seen as an instance of ``cls``, a subclass of Tensor: an alias sharing self's
        memory and graph (``AliasBackward0``)."""
        if not (isinstance(cls, type) and issubclass(cls, Tensor)):
            raise TypeError(
                "Creating a Tensor subclass from a class that does not inherit from Tensor is "
                "not possible. Make sure your class inherits from Tensor."
            )
        out = show_as(self.view(self.shape), "AliasBackward0", self)
        out.__class__ = cls
        return out

    def cholesky_solve(self, input2, upper=False):
        """X with A X = self, given A's Cholesky factor ``input2`` (``torch.cholesky_solve``)."""
        from gradiente.functions import decompositions  # noqa: PLC0415 - built on linalg

        return decompositions.cholesky_solve(self, input2, upper)

    def cholesky_inverse(self, upper=False):
        """A⁻¹ from A's Cholesky factor self (``torch.cholesky_inverse``)."""
        from gradiente.functions import linalg_extra  # noqa: PLC0415 - built on linalg

        return linalg_extra.cholesky_inverse(self, upper)

    def triangular_solve(self, A, upper=True, transpose=False, unitriangular=False):
        """(X, A's copy) with A X = self for a triangular A (``torch.triangular_solve``)."""
        from gradiente.functions import decompositions  # noqa: PLC0415 - built on linalg

        return decompositions.triangular_solve(self, A, upper, transpose, unitriangular)

    acosh_ = arccosh_ = _inplace_without_derivative("acosh")
    asinh_ = arcsinh_ = _inplace_without_derivative("asinh")
    atanh_ = arctanh_ = _inplace_without_derivative("atanh")

    def lu_solve(self, LU_data, LU_pivots):
        """X with A X = self from A's ``lu_factor`` (``torch.lu_solve``, deprecated)."""
        from gradiente.functions import legacy  # noqa: PLC0415 - built on linalg

        return legacy.lu_solve(self, LU_data, LU_pivots)

    def orgqr(self, input2):
        """The Q of the Householder reflectors self and their scales ``input2``."""
        from gradiente.functions import linalg_extra  # noqa: PLC0415 - built on linalg

        return linalg_extra.orgqr(self, input2)

    def nonzero_static(self, *, size, fill_value=-1):
        """``nonzero()`` with exactly ``size`` rows (padded with ``fill_value``)."""
        from gradiente.functions import legacy  # noqa: PLC0415 - built on Tensor

        return legacy.nonzero_static(self, size=size, fill_value=fill_value)

    def dim_order(self, *, ambiguity_check=False):
        """The dims from the outermost in memory to the innermost (``(0, 1, ..., n-1)`` for a
        row-major tensor; ties keep the dims' order)."""
        strides = self.stride()
        return tuple(sorted(range(self.ndim), key=lambda d: -strides[d]))

    def to_dense(self, dtype=None, *, masked_grad=None):
        """The tensor itself (a strided tensor is dense), or a copy in ``dtype``."""
        return self if dtype is None else self.to(dtype)

    solve = _removed(SOLVE_REMOVED)
    lstsq = _removed(LSTSQ_REMOVED)
    eig = _removed(EIG_REMOVED)
    symeig = _removed(SYMEIG_REMOVED)
