"""The in-place machinery: ``_inplace`` (write a result into self's memory and graph),
``_inplace_on_view`` (the base's graph for views), ``_store``, and the ``x.op_()`` methods."""

from __future__ import annotations

from gradiente import backend as B
from gradiente import random as _random
from gradiente.autograd import function as _function
from gradiente.autograd.grad_mode import grad_state
from gradiente.backend import xp
from gradiente.ops import geometry
from gradiente.ops import index as I
from gradiente.tensor.common import (
    _LEGACY_TYPE_NAMES,
    _arr,
    _check_broadcast,
    _iteration_order,
    _req,
    _scalar_type_name,
    _shape_arg,
)
from gradiente.tensor.factories import zeros
from gradiente.tensor.marks import function
from gradiente.tensor.math import Math
from gradiente.tensor.promotion import _check_bool_subtraction
from gradiente.tensor.toplevel import where

Tensor = None  # the assembled class, bound by gradiente.tensor (see its __init__)


def _overwrite(s: Tensor, value) -> Tensor:
    """``value`` everywhere, recorded as a function of ``s`` with a zero gradient to it.

    ``where(False, s, value)`` rather than ``s * 0 + value``: that would give NaN where s is
    inf or NaN, and -0.0 where s is negative.
    """
    return where(zeros((), dtype=B.bool_), s, value)


def _check_inplace_cast(t: Tensor, result: B.dtype) -> None:
    """An in-place op may not cast its result to a lower category (float -> int -> bool)."""
    order = {"b": 0, "i": 1, "f": 2}
    if order[result._kind] > order[t.dtype._kind]:
        raise RuntimeError(
            f"result type {_LEGACY_TYPE_NAMES[result.name].removesuffix('Tensor')} can't be "
            f"cast to the desired output type {_scalar_type_name(t)}"
        )


def _cast_checked(t: Tensor, out: Tensor) -> Tensor:
    """``out``, the result of an in-place op on ``t``, if torch may cast it back to t's dtype."""
    if out._data.dtype != t._data.dtype:
        _check_inplace_cast(t, out.dtype)
    return out


def _fitted(t: Tensor, values):
    """``values`` broadcast to t's shape; torch's error when an in-place result is larger."""
    if values.shape == t._data.shape:
        return values
    try:
        return xp.broadcast_to(values, t._data.shape)
    except ValueError:
        raise RuntimeError(
            f"output with shape {list(t.shape)} doesn't match the broadcast shape "
            f"{list(values.shape)}"
        ) from None


def _store(t: Tensor, values) -> None:
    """Write ``values`` into t's existing memory (so views of t see the change)."""
    if values is t._data:
        return
    values = _fitted(t, values)
    if t._data.dtype.kind in "iub" and values.dtype.kind == "f":
        raise RuntimeError(
            f"result type Float can't be cast to the desired output type {_scalar_type_name(t)}"
        )
    xp.copyto(t._data, values, casting="unsafe")


def _inplace_ufunc(ufunc, t: Tensor, other) -> None:
    """self = ufunc(self, other) in self's memory, following PyTorch's casting rule."""
    data = t._data
    _check_no_partial_overlap(data, other)
    if data.dtype.kind in "iub" and (
        isinstance(other, float) or (hasattr(other, "dtype") and other.dtype.kind == "f")
    ):
        raise RuntimeError(
            f"result type Float can't be cast to the desired output type {_scalar_type_name(t)}"
        )
    try:
        ufunc(data, other, out=data, casting="unsafe")
    except ValueError:
        _check_broadcast(data.shape, xp.shape(other))  # no common shape at all
        raise RuntimeError(
            f"output with shape {list(t.shape)} doesn't match the broadcast shape "
            f"{list(xp.broadcast_shapes(data.shape, xp.shape(other)))}"
        ) from None
    t._bump()


def _no_grad_view_error() -> RuntimeError:
    """torch's error for an in-place change, with grad mode on, of a view made without it."""
    return RuntimeError(
        "A view was created in no_grad mode and is being modified inplace with grad mode "
        "enabled. Given that this use case is ambiguous and error-prone, it is forbidden. You "
        "can clarify your code by moving both the view and the inplace either both inside the "
        "no_grad block (if you don't want the inplace to be tracked) or both outside (if you "
        "want the inplace to be tracked)."
    )


def _check_no_overlap(t: Tensor) -> None:
    """torch's error for writing into a tensor whose elements share memory (an expanded one:
    a stride of 0 over more than one element)."""
    data = t._data
    if (
        0 in data.strides
        and data.size > 1
        and any(s == 0 and n > 1 for s, n in zip(data.strides, data.shape, strict=True))
    ):
        raise RuntimeError(
            "unsupported operation: more than one element of the written-to tensor refers to a "
            "single memory location. Please clone() the tensor before performing the operation."
        )


def _address(a) -> int:
    """The address of an array's first element (a NumPy or CuPy array)."""
    if hasattr(a, "__array_interface__"):
        return a.__array_interface__["data"][0]
    return a.data.ptr


def _dense(a) -> bool:
    """Whether ``a`` fills its span of memory exactly once (torch's non-overlapping and dense:
    row-major after some permutation of its dims)."""
    expected = a.itemsize
    for stride, n in sorted((s, n) for s, n in zip(a.strides, a.shape, strict=True) if n > 1):
        if stride != expected:
            return False
        expected *= n
    return True


def _check_no_partial_overlap(out, operand) -> None:
    """torch's error when an in-place op reads an operand that partly overlaps the memory it
    writes (``x[1:].add_(x[:3])``). As torch, only dense arrays are compared (others are "too
    hard" and pass), and the same elements in the same layout (``x.mul_(x)``) are allowed."""
    if not hasattr(operand, "strides") or out.size == 0 or operand.size == 0:
        return
    if not (_dense(out) and _dense(operand)):
        return
    a, b = _address(out), _address(operand)
    if a == b and out.shape == operand.shape and out.strides == operand.strides:
        return
    if a < b + operand.size * operand.itemsize and b < a + out.size * out.itemsize:
        raise RuntimeError(
            "unsupported operation: some elements of the input tensor and the written-to tensor "
            "refer to a single memory location. Please clone() the tensor before performing "
            "the operation."
        )


def _check_operands(t: Tensor, *operands) -> None:
    """``_check_no_partial_overlap`` for each tensor operand an in-place op on t reads."""
    for o in operands:
        if isinstance(o, Tensor):
            _check_no_partial_overlap(t._data, o._data)


def _unary_inplace(out_of_place):
    """The method ``x.f_()`` (and, by its ``@function`` mark, ``gradiente.f_``) of the unary
    Tensor method ``f``: ``x.f()`` computed and written into x's memory and graph by
    ``Tensor._inplace``. ``out_of_place`` is called directly: no per-call lookup or wrapper."""
    name = out_of_place.__name__ + "_"

    def method(self):
        return self._inplace(out_of_place)

    method.__name__ = name
    method.__qualname__ = f"InPlace.{name}"
    method.__doc__ = f"In-place ``{out_of_place.__name__}``."
    return function(method)


class InPlace:
    """Tensor methods: the in-place machinery and the explicit ``x.op_()`` methods."""

    __slots__ = ()

    def _check_inplace(self, overlap_allowed: bool = False):
        """torch's checks before writing into self: not a leaf that requires grad, not a view
        made in no_grad mode of one that does, and (unless ``overlap_allowed``: a fill writes
        one value everywhere) no two elements sharing memory."""
        if grad_state.enabled:
            if self._requires_grad and self.grad_fn is None:
                raise RuntimeError(
                    "a leaf Variable that requires grad is being used in an in-place operation."
                )
            base = self._base
            if base is not None and self._view is None and base._requires_grad:
                raise _no_grad_view_error()
            made_by = getattr(self, "_custom_function_output", None)  # see nn.hooks
            if made_by is not None and self._requires_grad:
                raise RuntimeError(
                    f"{made_by} is a view and is being modified inplace. This view was created "
                    "inside a custom Function (or because an input was returned as-is) and the "
                    "autograd logic to handle view+inplace would override the custom backward "
                    "associated with the custom Function, leading to incorrect gradients. This "
                    "behavior is forbidden. You can fix this by cloning the output of the custom "
                    "Function."
                )
        if not overlap_allowed:
            _check_no_overlap(self)

    def _bump(self):
        """Count an in-place change of the memory (``_version``, shared with views)."""
        self._get_version_counter().value += 1

    def _inplace(self, compute, *others):
        """Run ``compute(self, *others) -> Tensor`` and store the result in self's memory.

        When the graph is being recorded, the result's graph node becomes self's ``grad_fn``
        (its input is a copy of the old self), as in PyTorch's in-place semantics.
        """
        self._check_inplace()
        recording = grad_state.enabled and (
            self._requires_grad or any(isinstance(o, Tensor) and o._requires_grad for o in others)
        )
        if not recording:
            with_grad = grad_state.enabled
            grad_state.enabled = False
            try:
                out = compute(self, *others)
            finally:
                grad_state.enabled = with_grad
            _store(self, out._data)
            self._bump()
            return self
        if self._base is not None:
            return self._inplace_on_view(compute, *others)
        old = Tensor._make(self._data.copy(), self._requires_grad, self.grad_fn)
        old._output_nr = self._output_nr
        if self.grad_fn is None and self._requires_grad:
            old._accumulator = self._accumulator
        out = compute(old, *others)
        if out._data.dtype != self._data.dtype:
            out = out.to(self.dtype)
        _store(self, out._data)
        self.grad_fn = out.grad_fn
        self._output_nr = out._output_nr
        self._requires_grad = out._requires_grad
        self._bump()
        if out._version_counter is not None:  # the node saved its output: now self
            _function.follow_saved_output(out.grad_fn, out._version_counter, self)
        return self

    def _inplace_on_view(self, compute, *others):
        """In-place op on a view of ``base``: the base's graph is rewritten as
        ``view(base) = op(view)`` (PyTorch's CopySlices), so gradients stay right; the view's
        own ``grad_fn`` is then rebuilt from the base's new graph."""
        base = self._base
        if base._requires_grad and base.grad_fn is None:
            raise RuntimeError(
                "a view of a leaf Variable that requires grad is being used in an in-place "
                "operation."
            )
        if self._view is None:
            raise _no_grad_view_error()
        replay, _, multi_output = self._view
        if multi_output is not None:
            raise RuntimeError(
                f"{multi_output} is a view and is being modified inplace. This view is the "
                "output of a function that returns multiple views. Such functions do not allow "
                "the output views to be modified inplace. You should replace the inplace "
                "operation by an out-of-place one."
            )
        _function.refresh_view(self)
        old = Tensor._make(self._data.copy(), self._requires_grad, self.grad_fn)
        old._output_nr = self._output_nr
        out = compute(old, *others)
        _fitted(self, out._data)  # a result larger than the view: torch's error, not NumPy's
        if out._data.dtype != self._data.dtype:
            out = out.to(self.dtype)
        base._inplace(lambda b, v: I.WriteView.apply(b, v, replay), out)
        if out._version_counter is not None:  # the node saved its output: now this view
            _function.follow_saved_output(out.grad_fn, out._version_counter, self)
        _function.refresh_view(self)
        return self

    def add_(self, other, alpha=1):
        """In-place ``add``."""
        return self._add_or_sub_(other, alpha, xp.add, "add")

    def sub_(self, other, alpha=1):
        """In-place ``sub``: a − b, not a + (−b) (they differ at signed zeros: −0.0 − 0 is
        −0.0, −0.0 + 0 is 0.0)."""
        _check_bool_subtraction(self, other)
        return self._add_or_sub_(other, alpha, xp.subtract, "sub")

    def _add_or_sub_(self, other, alpha, ufunc, method: str):
        """self ``ufunc``= alpha · other: straight into the memory when no graph is recorded."""
        _check_inplace_cast(self, B.result_type(self, other))
        if (
            not isinstance(other, Tensor)
            and not grad_state.enabled
            or (not self._requires_grad and not _req(other))
        ):
            self._check_inplace()
            o = _arr(other)
            _inplace_ufunc(ufunc, self, o if alpha == 1 else o * alpha)
            return self
        if isinstance(other, Tensor):
            _check_broadcast(self._data.shape, other._data.shape)
        _check_operands(self, other)
        return self._inplace(lambda s, o: getattr(s, method)(o, alpha=alpha), other)

    def mul_(self, other):
        """In-place ``mul``."""
        _check_inplace_cast(self, B.result_type(self, other))
        if not self._requires_grad and not _req(other):
            self._check_inplace()
            _inplace_ufunc(xp.multiply, self, _arr(other))
            return self
        if isinstance(other, Tensor):
            _check_broadcast(self._data.shape, other._data.shape)
        _check_operands(self, other)
        return self._inplace(lambda s, o: s * o, other)

    def div_(self, other, rounding_mode=None):
        """In-place ``div``."""
        if rounding_mode is None:  # true division of integers is float
            _check_inplace_cast(self, B.promote_types(B.result_type(self, other), B.float32))
        if rounding_mode is None and not self._requires_grad and not _req(other):
            self._check_inplace()
            if not B.is_float(self._data.dtype):
                raise RuntimeError(
                    f"result type Float can't be cast to the desired output type {self.dtype.name}"
                )
            _inplace_ufunc(xp.true_divide, self, _arr(other))
            return self
        _check_operands(self, other)
        return self._inplace(lambda s, o: s.div(o, rounding_mode=rounding_mode), other)

    def pow_(self, exponent):
        """In-place ``pow``."""
        _check_operands(self, exponent)
        return self._inplace(lambda s, e: _cast_checked(s, s**e), exponent)

    @function
    def neg_(self):
        """In-place ``neg``."""
        return self._inplace(lambda s: -s)

    # x.exp_(), x.log_(), ...: one row per unary op (see _unary_inplace)
    exp_ = _unary_inplace(Math.exp)
    log_ = _unary_inplace(Math.log)
    sqrt_ = _unary_inplace(Math.sqrt)
    abs_ = _unary_inplace(Math.abs)
    sigmoid_ = _unary_inplace(Math.sigmoid)
    tanh_ = _unary_inplace(Math.tanh)
    relu_ = _unary_inplace(Math.relu)

    @function
    def clamp_(self, min=None, max=None):
        """In-place ``clamp``."""
        _check_inplace_cast(self, B.result_type(self, *(v for v in (min, max) if v is not None)))
        return self._inplace(lambda s: s.clamp(min, max))

    clip_ = clamp_

    def masked_fill_(self, mask, value):
        """Fills elements of ``self`` tensor with ``value`` where ``mask`` is True."""
        return self._inplace(lambda s, v: s.masked_fill(mask, v), value)

    def addcmul_(self, tensor1, tensor2, value=1):
        """In-place ``addcmul``."""
        _check_operands(self, tensor1, tensor2)
        return self._inplace(lambda s, a, b: s.addcmul(a, b, value=value), tensor1, tensor2)

    def addcdiv_(self, tensor1, tensor2, value=1):
        """In-place ``addcdiv``."""
        _check_operands(self, tensor1, tensor2)
        return self._inplace(lambda s, a, b: s.addcdiv(a, b, value=value), tensor1, tensor2)

    def lerp_(self, end, weight):
        """In-place ``lerp``."""
        _check_operands(self, end, weight)
        return self._inplace(lambda s, e: s.lerp(e, weight), end)

    def _overwritten_in_graph(self) -> bool:
        """True when an overwrite must also cut this tensor's graph (a recorded non-leaf)."""
        return grad_state.enabled and self._requires_grad and self.grad_fn is not None

    @function
    def zero_(self):
        """Fills ``self`` tensor with zeros."""
        if self._overwritten_in_graph():
            return self._inplace(lambda s: _overwrite(s, 0))
        self._check_inplace(overlap_allowed=True)
        self._data[...] = 0
        self._bump()
        return self

    @function
    def fill_(self, value):
        """Fills ``self`` tensor with the specified value."""
        if (isinstance(value, Tensor) and value._requires_grad and grad_state.enabled) or (
            self._overwritten_in_graph()
        ):
            return self._inplace(lambda s, v: _overwrite(s, v), value)
        self._check_inplace(overlap_allowed=True)
        self._data[...] = _arr(value)
        self._bump()
        return self

    def copy_(self, src, non_blocking=False):
        """Copies the elements from ``src`` into ``self`` tensor and returns ``self``."""
        if (
            isinstance(src, Tensor)
            and grad_state.enabled
            and (src._requires_grad or self._requires_grad)
        ):
            _check_operands(self, src)
            return self._inplace(lambda s, v: s * 0 + v.to(s.device, s.dtype), src)
        self._check_inplace()
        s = _arr(src)
        _check_no_partial_overlap(self._data, s)
        if type(s) is not type(self._data) and hasattr(s, "shape"):
            # copy_ copies across devices (host to GPU, GPU to host), as torch's does
            s = B.to_device(s, B.array_device_index(self._data))
        try:
            xp.copyto(self._data, s, casting="unsafe")
        except ValueError:
            raise RuntimeError(
                f"copy_(): source of shape {tuple(xp.shape(s))} cannot be "
                f"broadcast to destination of shape {tuple(self.shape)}"
            ) from None
        self._bump()
        return self

    def set_(self, source):
        """Sets the underlying storage, size, and strides."""
        self._data = source._data
        self._bump()
        return self

    def _fill_layout(self) -> tuple:
        """(shape, axes) to draw a random fill of self in: torch draws in the order its
        element-wise loop walks self, which is memory order (``_iteration_order``), so a
        transposed view gets its numbers as the untransposed tensor would. ``axes`` is None for a
        contiguous self (C order: the shape as it is), else self's axes slowest first, to draw
        ``shape`` = the sizes in that order and hand back to ``_fill_random``.

        Checks first, as torch does before it draws: an expanded self raises, the generator
        untouched."""
        self._check_inplace()
        data = self._data
        if data.flags.c_contiguous:
            return data.shape, None
        # torch's strides (ops/geometry): gradiente's where its layout is torch's (a view, a
        # clone, a channels-last tensor), else torch's row-major layout read through the view
        # (an op's own output is contiguous in torch even where gradiente keeps it
        # channels-last, as convolutions do)
        strides = geometry.torch_geometry(self)[0]
        if geometry.is_contiguous_as(data.shape, strides, None):
            return data.shape, None
        axes = _iteration_order(strides, data.shape)
        return tuple(data.shape[a] for a in axes), axes

    def _fill_random(self, array, axes=None) -> Tensor:
        """Write the samples ``array`` into self; ``axes`` (from ``_fill_layout``) says which of
        self's axes each of the array's is."""
        if axes is not None:
            array = array.transpose(sorted(range(len(axes)), key=axes.__getitem__))
        if type(self._data) is not B.ndarray:  # drawn on the CPU (torch's numbers), copied over
            array = B.to_device(array, B.array_device_index(self._data))
        if self._overwritten_in_graph():
            return self._inplace(lambda s: s * 0 + Tensor._make(array.astype(s._data.dtype)))
        self._check_inplace()
        self._data[...] = array
        self._bump()
        return self

    def uniform_(self, a=0.0, b=1.0, generator=None):
        """Fill self with samples from the uniform distribution on [from, to)."""
        self._refuse_integer_fill("uniform_")
        shape, axes = self._fill_layout()
        return self._fill_random(_random.uniform(shape, self._data.dtype, a, b, generator), axes)

    def normal_(self, mean=0.0, std=1.0, generator=None):
        """Fill self with samples from the normal distribution N(mean, std²) (torch's fast
        vectorised sampler for a contiguous self, its one-at-a-time sampler otherwise)."""
        self._refuse_integer_fill("normal_")
        shape, axes = self._fill_layout()
        dtype = self._data.dtype
        return self._fill_random(
            _random.normal(shape, dtype, mean, std, generator, contiguous=axes is None), axes
        )

    def bernoulli_(self, p=0.5, generator=None):
        """Fill self with 0/1 samples, 1 with probability ``p``."""
        shape, axes = self._fill_layout()
        if isinstance(p, Tensor):  # drawn on the host, as above; p read in self's draw order
            p = xp.broadcast_to(B.host(p._data), self._data.shape)
            p = p if axes is None else p.transpose(axes)
        return self._fill_random(_random.bernoulli(p, shape, self._data.dtype, generator), axes)

    def random_(self, from_=None, to=None, generator=None):
        """Fill self with integers sampled uniformly from [from, to - 1]."""
        if from_ is not None and to is None:
            from_, to = 0, from_
        shape, axes = self._fill_layout()
        return self._fill_random(
            _random.random_(shape, self._data.dtype, from_, to, generator), axes
        )

    def exponential_(self, lambd=1.0, generator=None):
        """Fill self with samples from the exponential distribution of rate ``lambd``."""
        self._refuse_integer_fill("exponential_")
        shape, axes = self._fill_layout()
        return self._fill_random(
            _random.exponential(shape, self._data.dtype, lambd, generator), axes
        )

    # ``t += array``: torch's in-place operators refuse a NumPy array (NotImplemented), so
    # Python falls back to ``t = t + array``: a new tensor, the old one unchanged
    def __iadd__(self, other):
        return NotImplemented if isinstance(other, xp.ndarray) else self.add_(other)

    def __isub__(self, other):
        return NotImplemented if isinstance(other, xp.ndarray) else self.sub_(other)

    def __imul__(self, other):
        return NotImplemented if isinstance(other, xp.ndarray) else self.mul_(other)

    def __itruediv__(self, other):
        return NotImplemented if isinstance(other, xp.ndarray) else self.div_(other)

    def __ipow__(self, other):
        return NotImplemented if isinstance(other, xp.ndarray) else self.pow_(other)

    def _restride_(self, out: Tensor, node_name: str) -> Tensor:
        """Make self the (shape-changed) view ``out`` of its own memory, e.g. ``t_()``; in the
        graph the op's node replaces self's (PyTorch names the in-place variant's node)."""
        self._check_inplace()
        if self._data.flags.c_contiguous or self.__dict__.get("_torch_layout", False):
            # restrided as torch restrides it: the layout (strides) is torch's, which random
            # fills (``sampling._like_layout``) and ``view`` rely on
            self.__dict__["_torch_layout"] = True
        self._data = out._data
        if out.grad_fn is not None:
            out.grad_fn.backward_name = node_name
            self.grad_fn, self._output_nr = out.grad_fn, out._output_nr
        return self

    def t_(self):
        """In-place ``t``."""
        return self._restride_(self.t(), "TBackward1")

    def transpose_(self, dim0, dim1):
        """In-place ``transpose``."""
        return self._restride_(self.transpose(dim0, dim1), "TransposeBackward1")

    swapaxes_ = swapdims_ = transpose_

    def squeeze_(self, dim=None, *dims):
        """In-place ``squeeze``."""
        name = "SqueezeBackward3" if dim is None else "SqueezeBackward4"
        return self._restride_(self.squeeze(dim, *dims), name)

    def unsqueeze_(self, dim):
        """In-place ``unsqueeze``."""
        return self._restride_(self.unsqueeze(dim), "UnsqueezeBackward1")

    def resize_(self, *sizes):
        """Resizes ``self`` tensor to the specified size."""
        shape = _shape_arg(sizes)
        self._check_inplace()
        n = 1
        for s in shape:
            n *= s
        flat = self._data.reshape(-1)
        if flat.size < n:
            flat = xp.concatenate([flat, xp.zeros(n - flat.size, flat.dtype)])
        self._data = flat[:n].reshape(shape)
        return self

    def resize_as_(self, other):
        """Resizes the ``self`` tensor to be the same size as the specified ``tensor``."""
        return self.resize_(other.shape)
