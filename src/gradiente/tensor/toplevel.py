"""Functions on tensors that are not methods: ``matmul``, ``maximum``/``minimum``, ``where``,
``cat``/``stack``, and ``write_out`` (PyTorch's ``out=`` argument)."""

from __future__ import annotations

import numbers

from gradiente import backend as B
from gradiente.autograd.grad_mode import grad_state
from gradiente.backend import xp
from gradiente.ops import elementwise as E
from gradiente.ops import geometry
from gradiente.ops import linalg as L
from gradiente.ops import shape as S
from gradiente.ops.arguments import type_name as _arg_type_name
from gradiente.tensor import product_errors as PE
from gradiente.tensor.common import _dim, _scalar_type_name
from gradiente.tensor.factories import as_tensor
from gradiente.tensor.indexing import _as_bool_mask
from gradiente.tensor.marks import numpy_axis
from gradiente.tensor.promotion import _promote

Tensor = None  # the assembled class, bound by gradiente.tensor (see its __init__)


def matmul(input: Tensor, other: Tensor, out=None) -> Tensor:
    """Matrix product with NumPy/PyTorch broadcasting of batch axes."""
    a, b = input, other
    if not isinstance(a, Tensor):
        a = as_tensor(a)
    if not isinstance(b, Tensor):
        b = as_tensor(b)
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(
            f"both arguments to matmul need to be at least 1D, but they are {a.ndim}D and {b.ndim}D"
        )
    ka = a.shape[-1]
    kb = b.shape[-2] if b.ndim > 1 else b.shape[0]
    batched = a.ndim > 2 and b.ndim > 2
    if ka != kb or (batched and PE.batch_error(a.shape, b.shape)):
        raise _matmul_error(a, b)  # in the words of the kernel torch would pick
    if a._data.dtype != b._data.dtype and batched and _empty_product(a, b):
        # PyTorch's batched kernel (bmm) checks dtypes only when there is something to add
        return write_out(out, _mixed_empty_product(L.MatMul, a, b), "matmul")
    if a._data.dtype != b._data.dtype:
        # PyTorch does not promote in matmul: both operands must have one dtype
        raise _matmul_error(a, b)
    return write_out(out, L.MatMul.apply(a, b), "matmul")


def _matmul_error(a: Tensor, b: Tensor) -> RuntimeError:
    """The error torch's matmul gives for ``a @ b`` (see ``product_errors``)."""
    return PE.matmul_error(a.shape, a._data.dtype, b.shape, b._data.dtype)


def _empty_product(a: Tensor, b: Tensor) -> bool:
    """Whether a batched product of (..., n, k) and (..., k, m) has no term to add: k = 0 or
    an empty result (its dtype is then b's, with no check, as PyTorch's bmm)."""
    return a.shape[-1] == 0 or 0 in a.shape[:-1] or 0 in b.shape[:-2] or b.shape[-1] == 0


def _mixed_empty_product(op, a: Tensor, b: Tensor) -> Tensor:
    """The empty product of mixed dtypes, in b's dtype (PyTorch's bmm); an integer result of
    an operand that requires grad is PyTorch's autograd error."""
    needs_grad = grad_state.enabled and (a.requires_grad or b.requires_grad)
    if needs_grad and not b.dtype.is_floating_point:
        raise RuntimeError(f"Autograd not support dtype: {_scalar_type_name(b)}")
    return op.apply(a.to(b.dtype), b)


def maximum(a, b) -> Tensor:
    a, b = _promote(as_tensor(a), as_tensor(b))
    return E.Maximum.apply(a, b)


def minimum(a, b) -> Tensor:
    a, b = _promote(as_tensor(a), as_tensor(b))
    return E.Minimum.apply(a, b)


def where(condition, input=None, other=None, out=None):
    """where(cond, a, b): a where cond is true, else b; where(cond) gives indices."""
    if input is None and other is None and isinstance(condition, Tensor):
        return condition.nonzero(as_tuple=True)  # any dtype: the places that are not 0
    condition = _as_bool_mask(condition, "where")
    if input is None and other is None:
        return condition.nonzero(as_tuple=True)
    if isinstance(input, Tensor) and isinstance(other, Tensor):
        input, other = _promote(input, other)
    elif isinstance(input, Tensor):
        input, other = _promote(input, other)
    elif isinstance(other, Tensor):
        other, input = _promote(other, input)
    else:
        input = as_tensor(input)
        input, other = _promote(input, other)
    return write_out(out, E.Where.apply(condition, input, other), "where")


def _check_sequence(tensors, op: str) -> None:
    """torch's TypeError for tensors given as a one-pass iterable (a generator, ``map``, a
    dict's values), as one tensor or a NumPy array, where it wants a sequence of tensors; and
    for a sequence that holds something else (a number, a list, an array)."""
    if isinstance(tensors, (list, tuple)):
        for i, t in enumerate(tensors):
            if not isinstance(t, Tensor):
                raise TypeError(
                    f"expected Tensor as element {i} in argument 0, but got {_arg_type_name(t)}"
                )
        return
    refused = (Tensor, range, type({}.values()), B.ndarray)
    if isinstance(tensors, refused) or iter(tensors) is tensors:
        raise TypeError(
            f"{op}(): argument 'tensors' (position 1) must be tuple of Tensors, not "
            f"{_arg_type_name(tensors)}"
        )


@numpy_axis
def cat(tensors, dim=0, out=None) -> Tensor:
    """Concatenate along an existing axis; all other axes must agree."""
    _check_sequence(tensors, "cat")
    tensors = [t for t in tensors]
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")  # as torch's
    for i, t in enumerate(tensors):
        if t.ndim == 0:  # checked before the dim, as torch
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be concatenated")
    # PyTorch's legacy rule: a 1-d empty tensor fits any shape. It still takes part in the
    # result's dtype and requires_grad (S.Cat leaves it out of the concatenation).
    sized = [t for t in tensors if not (t.ndim == 1 and t.shape[0] == 0)]
    if not sized:  # only 1-d empty tensors: the dim is not looked at
        dim = 0
    ref = sized[0] if sized else tensors[0]
    d = _dim(dim, ref.ndim, "cat")
    for i, t in enumerate(sized):
        if t.ndim != ref.ndim or any(
            s != r for k, (s, r) in enumerate(zip(t.shape, ref.shape)) if k != d
        ):
            raise RuntimeError(
                f"torch.cat(): Sizes of tensors must match except in dimension {d}. Expected "
                f"shape {tuple(ref.shape)} (up to dim {d}) but got {tuple(t.shape)} for tensor "
                f"number {i} in the list."
            )
    target = tensors[0].dtype
    for t in tensors[1:]:
        target = B.promote_types(target, t.dtype)
    tensors = [t if t.dtype is target else t.to(target) for t in tensors]
    result = S.Cat.apply(d, *tensors)
    layout = geometry.common_format(sized)
    if layout != "contiguous_format":  # torch's result follows its inputs' memory format
        geometry.lay_out(result, layout)
    return write_out(out, result, "cat")


concat = concatenate = cat


@numpy_axis
def stack(tensors, dim=0, out=None) -> Tensor:
    """Join same-shaped tensors along a new axis."""
    _check_sequence(tensors, "stack")
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    ref = tensors[0]
    for i, t in enumerate(tensors):
        if t.shape != ref.shape:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got "
                f"{list(ref.shape)} at entry 0 and {list(t.shape)} at entry {i}"
            )
    d = _dim(dim, ref.ndim + 1, "stack")
    target = ref.dtype
    for t in tensors[1:]:
        target = B.promote_types(target, t.dtype)
    tensors = [t if t.dtype is target else t.to(target) for t in tensors]
    return write_out(out, S.Stack.apply(d, *tensors), "stack")


def write_out(out, result: Tensor, op: str) -> Tensor:
    """Store ``result`` in the caller's ``out=`` tensor and return it (or ``result`` if None).

    As in PyTorch, ``out`` is resized when its shape differs, ops with ``out=`` are not
    recorded by autograd, and a floating result cannot be written into an integer tensor.
    """
    if out is None:
        return result
    if grad_state.enabled and (result._requires_grad or out._requires_grad):
        raise RuntimeError(
            f"{op}(): functions with out=... arguments don't support automatic differentiation, "
            "but one of the arguments requires grad."
        )
    data = result._data
    if out._data.dtype.kind in "iub" and data.dtype.kind == "f":
        raise RuntimeError(
            f"result type Float can't be cast to the desired output type {_scalar_type_name(out)}"
        )
    if out._data.shape != data.shape:
        out._data = data.astype(out._data.dtype)  # resized: new memory
    else:
        xp.copyto(out._data, data, casting="unsafe")
    out._bump()
    return out


def _not_a_tensor(op: str, value) -> TypeError:
    """torch's argument-parser error for a list, a NumPy array or None given as the tensor
    (``sum(): argument 'input' (position 1) must be Tensor, not list``): torch converts none
    of them, so neither does gradiente, and a script that works here works there."""
    return TypeError(
        f"{op}(): argument 'input' (position 1) must be Tensor, not {_arg_type_name(value)}"
    )


def method_function(name: str):
    """The function form ``gradiente.<name>(input, ...)`` of the method ``input.<name>(...)``
    (made for each method marked ``@function``, see ``gradiente/_generated_functions.py``)."""

    def function(input, *args, out=None, **kwargs):
        if not isinstance(input, Tensor):
            if not isinstance(input, numbers.Number):  # (a number is, for some ops)
                raise _not_a_tensor(name, input)
            input = as_tensor(input)
        return write_out(out, getattr(input, name)(*args, **kwargs), name)

    function.__name__ = function.__qualname__ = name
    method_doc = (getattr(getattr(Tensor, name, None), "__doc__", None) or "").strip().splitlines()
    function.__doc__ = f"``gradiente.{name}(input, ...)`` is ``input.{name}(...)``." + (
        f" {method_doc[0]}" if method_doc else ""
    )
    return function


def inplace_function(name: str):
    """The function form ``gradiente.<name>_(input, ...)`` of the in-place method."""

    def function(input, *args, **kwargs):
        if not isinstance(input, Tensor):  # torch changes only a tensor in place
            raise _not_a_tensor(name + "_", input)
        return getattr(input, name + "_")(*args, **kwargs)

    function.__name__ = function.__qualname__ = name + "_"
    function.__doc__ = f"``gradiente.{name}_(input, ...)`` is ``input.{name}_(...)``, in place."
    return function
