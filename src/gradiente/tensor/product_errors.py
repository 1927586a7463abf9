"""The errors of the matrix products (``mm``, ``mv``, ``dot``, ``bmm``, ``matmul``) in torch's
words, which learners search for ("mat1 and mat2 shapes cannot be multiplied").

torch's ``matmul`` dispatches on the operands' dims to one of the other four kernels, and each
kernel checks its operands in its own words; so ``matmul_error`` takes the same route:

- 1-D @ 1-D is ``dot``;  2-D @ 1-D is ``mv``;  1-D @ 2-D is ``mm`` of the row vector;
- N-D @ 1-D or 2-D (N ≥ 3) folds the batch into the rows, then ``mv`` or ``mm``;
- anything else broadcasts the batch dims, then ``bmm`` on the flattened batch.

Each function returns the error (the caller raises it) or None when its kernel would accept
the operands. Shapes are tuples, dtypes NumPy dtypes. Where torch's words do not show the
operands' shapes (a batch error), they follow in parentheses: gradiente's errors name both.
"""

from __future__ import annotations

import math

from gradiente.backend import torch_type_name
from gradiente.tensor.common import _CPP_TYPE_NAMES, _broadcast_error


def _cpp(dtype) -> str:
    """The C++ name torch's mm prints for a dtype ("float", "long int")."""
    return _CPP_TYPE_NAMES.get(dtype.name, dtype.name)


def mm_error(a_shape, a_dtype, b_shape, b_dtype) -> RuntimeError | None:
    """``mm`` of two matrices: the shapes must chain, then the dtypes agree."""
    if len(a_shape) != 2:
        return RuntimeError("self must be a matrix")
    if len(b_shape) != 2:
        return RuntimeError("mat2 must be a matrix")
    if a_shape[1] != b_shape[0]:
        return RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({a_shape[0]}x{a_shape[1]} and "
            f"{b_shape[0]}x{b_shape[1]})"
        )
    if a_dtype != b_dtype:
        return RuntimeError(
            f"expected m1 and m2 to have the same dtype, but got: {_cpp(a_dtype)} != "
            f"{_cpp(b_dtype)}"
        )
    return None


def addmm_dtype_error(self_dtype, m1_dtype, m2_dtype) -> RuntimeError | None:
    """``addmm``'s dtype checks, in torch's order: self against mat2, then mat1 against mat2
    (``mm`` alone words it differently, see ``mm_error``)."""
    for name, dtype in (("self", self_dtype), ("mat1", m1_dtype)):
        if dtype != m2_dtype:
            return RuntimeError(
                f"{name} and mat2 must have the same dtype, but got {torch_type_name(dtype)} "
                f"and {torch_type_name(m2_dtype)}"
            )
    return None


def mv_error(m_shape, m_dtype, v_shape, v_dtype) -> RuntimeError | None:
    """``mv`` of a matrix and a vector (torch's ``addmv`` kernel, whose result is 1-D)."""
    if len(m_shape) != 2 or len(v_shape) != 1:
        return RuntimeError(
            f"vector + matrix @ vector expected, got 1, {len(m_shape)}, {len(v_shape)}"
        )
    if m_shape[1] != v_shape[0]:
        n, k = m_shape
        return RuntimeError(f"size mismatch, got input ({n}), mat ({n}x{k}), vec ({v_shape[0]})")
    if m_dtype != v_dtype:
        v, m = torch_type_name(v_dtype), torch_type_name(m_dtype)
        return RuntimeError(
            f"addmv input tensors must have the same dtype, but got {v}, {m}, and {v}"
        )
    return None


def dot_error(a_shape, a_dtype, b_shape, b_dtype) -> RuntimeError | None:
    """``dot`` of two vectors: 1-D, one dtype, one length."""
    if len(a_shape) != 1 or len(b_shape) != 1:
        return RuntimeError(
            f"1D tensors expected, but got {len(a_shape)}D and {len(b_shape)}D tensors"
        )
    if a_dtype != b_dtype:
        return RuntimeError(
            "dot : expected both vectors to have same dtype, but found "
            f"{torch_type_name(a_dtype)} and {torch_type_name(b_dtype)}"
        )
    if a_shape[0] != b_shape[0]:
        n, m = a_shape[0], b_shape[0]
        return RuntimeError(
            f"inconsistent tensor size, expected tensor [{n}] and src [{m}] to have the same "
            f"number of elements, but got {n} and {m} elements respectively"
        )
    return None


def bmm_error(a_shape, a_dtype, b_shape, b_dtype, named=None) -> RuntimeError | None:
    """``bmm`` of (b, n, k) and (b, k, m) batches; ``named``: the shapes a size error names
    (by default these)."""
    if len(a_shape) != 3:
        return RuntimeError("batch1 must be a 3D tensor")
    if len(b_shape) != 3:
        return RuntimeError("batch2 must be a 3D tensor")
    if (b_shape[0], b_shape[1]) != (a_shape[0], a_shape[2]):
        return RuntimeError(
            "Expected size for first two dimensions of batch2 tensor to be: "
            f"[{a_shape[0]}, {a_shape[2]}] but got: [{b_shape[0]}, {b_shape[1]}]."
            + _shapes(*(named or (a_shape, b_shape)))
        )
    if a_dtype != b_dtype:
        return RuntimeError(
            f"expected scalar type {torch_type_name(a_dtype)} but found {torch_type_name(b_dtype)}"
        )
    return None


def batch_error(a_shape, b_shape) -> RuntimeError | None:
    """The batch dims (all but the last two) of two N-D operands must broadcast."""
    error = _broadcast_error(a_shape[:-2], b_shape[:-2])
    return None if error is None else RuntimeError(f"{error}{_shapes(a_shape, b_shape)}")


def _shapes(a_shape, b_shape) -> str:
    return f" (shapes {tuple(a_shape)} and {tuple(b_shape)})"


def matmul_error(a_shape, a_dtype, b_shape, b_dtype) -> RuntimeError | None:
    """The error of the kernel that torch's ``matmul`` picks for these operands."""
    a_nd, b_nd = len(a_shape), len(b_shape)
    if a_nd == 1 and b_nd == 1:
        return dot_error(a_shape, a_dtype, b_shape, b_dtype)
    if a_nd == 2 and b_nd == 1:
        return mv_error(a_shape, a_dtype, b_shape, b_dtype)
    if a_nd <= 2 and b_nd == 2:
        return mm_error((1,) * (2 - a_nd) + tuple(a_shape), a_dtype, b_shape, b_dtype)
    if b_nd <= 2:  # N-D @ 1-D or 2-D: the batch folded into the rows
        rows = (math.prod(a_shape[:-1]), a_shape[-1])
        if b_nd == 1:
            return mv_error(rows, a_dtype, b_shape, b_dtype)
        return mm_error(rows, a_dtype, b_shape, b_dtype)
    a_full = (1,) * (2 - a_nd) + tuple(a_shape)  # a vector is a row
    error = batch_error(a_full, b_shape)
    if error is not None:
        return error
    batch = math.prod(_broadcast_sizes(a_full[:-2], b_shape[:-2]))
    a_batch, b_batch = (batch,) + a_full[-2:], (batch,) + tuple(b_shape[-2:])
    return bmm_error(a_batch, a_dtype, b_batch, b_dtype, named=(a_shape, b_shape))


def _broadcast_sizes(a, b) -> tuple:
    """The broadcast of two shapes that do broadcast."""
    n = max(len(a), len(b))
    a = (1,) * (n - len(a)) + tuple(a)
    b = (1,) * (n - len(b)) + tuple(b)
    return tuple(y if x == 1 else x for x, y in zip(a, b))
