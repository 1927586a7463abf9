"""The affine map of a Linear layer, y = x Wᵀ + b, as one op (one GEMM each way); and the
embedding lookup y = W[i], the same map for one-hot inputs.

Composing it from ``matmul``, a transpose and an add would record three graph nodes and, in
backward, run each node's generic gradient; for small models that per-op overhead dominates.
Here the forward is one matrix product (Wᵀ is a view: no copy) plus an in-place bias add, and
the backward is three direct products: dL/dx = g W, dL/dW = gᵀ x, dL/db = Σ_rows g.
"""

from __future__ import annotations

from gradiente.autograd import function as _function
from gradiente.autograd.grad_mode import grad_state
from gradiente.backend import add_at, get_array_module, xp
from gradiente.ops import gemm
from gradiente.ops.array_function import ArrayFunction
from gradiente.ops.index import kept

# The C++ names PyTorch's kernels print for dtypes in their mismatch errors ("float != double")
_CPP_TYPE_NAMES = {
    "float32": "float",
    "float64": "double",
    "float16": "c10::Half",
    "bfloat16": "c10::BFloat16",
    "int64": "long int",
    "int32": "int",
    "int16": "short int",
    "int8": "signed char",
    "uint8": "unsigned char",
    "bool": "bool",
    "complex64": "c10::complex<float>",
    "complex128": "c10::complex<double>",
}


def cpp_type_name(dtype) -> str:
    """The C++ name torch's kernels print for a dtype (``float``, ``c10::BFloat16``, ...)."""
    return _CPP_TYPE_NAMES.get(dtype.name, dtype.name)


class Linear(ArrayFunction):
    """y = x Wᵀ + b for x of shape (*, in_features), W (out_features, in_features), b (out,)."""

    backward_name = "AddmmBackward0"

    def name(self) -> str:
        """torch's node for this call, which depends on the input's rank and the bias:
        addmm / mm for a matrix, then a view (unsafe_view, squeeze) for other ranks."""
        meta = getattr(self, "_input_meta", None)
        if meta is None:  # not recorded yet
            return self.backward_name
        x_meta, bias_meta = meta[0], meta[2]
        ndim = len(x_meta[0])
        if ndim == 2:
            return "AddmmBackward0" if bias_meta is not None else "MmBackward0"
        if bias_meta is not None:
            return "ViewBackward0"
        return "SqueezeBackward4" if ndim == 1 else "UnsafeViewBackward0"

    @staticmethod
    def forward(ctx, input, weight, bias):
        x, w = input._data, weight._data
        # Each factor is kept only for the other's gradient (dL/dW needs x, dL/dx needs W), as
        # torch does: a weight changed in place after a forward whose input needs no gradient
        # (an optimizer step, a clamp_) leaves that backward valid.
        ctx.save_for_backward(*factors_to_keep(input, weight))
        if x.dtype == xp.float16:  # torch's addmm: summed in float32 (bias too), rounded once
            x, w = x.astype(xp.float32), w.astype(xp.float32)
        if x.ndim == 2:
            y = gemm.matmul(x, w.T)
        else:  # (*, in) -> (rows, in) -> (rows, out) -> (*, out)
            y = gemm.matmul(x.reshape(-1, x.shape[-1]), w.T)
            y = y.reshape(x.shape[:-1] + (w.shape[0],))
        if bias is not None:
            y += bias._data
        return y.astype(input._data.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        need_x, need_w, need_b = ctx.needs_input_grad
        x, w = kept_factors(ctx, need_x, need_w)
        if grad_state.enabled:  # create_graph=True: the same products as Tensor ops
            g2 = grad.reshape(-1, grad.shape[-1])
            grad_x = (grad @ w) if need_x else None
            grad_w = (g2.mT @ x.reshape(-1, x.shape[-1])) if need_w else None
            grad_b = g2.sum(0) if need_b else None
            return grad_x, grad_w, grad_b
        g = grad._data
        g2 = g.reshape(-1, g.shape[-1]) if g.ndim != 2 else g
        grad_x = grad_w = grad_b = None
        if need_x:  # (*, out)(out, in) = (*, in)
            grad_x = gemm.matmul(g2, w._data).reshape(g.shape[:-1] + (w._data.shape[1],))
        if need_w:
            x2 = x._data.reshape(-1, x._data.shape[-1])
            grad_w = gemm.matmul_tn(g2, x2)  # (out, rows)(rows, in) = (out, in)
        if need_b:
            grad_b = g2.sum(axis=0)
        return grad_x, grad_w, grad_b


def factors_to_keep(a, b) -> tuple:
    """What a product of ``a`` and ``b`` saves for backward: ``a`` only if ``b`` needs a
    gradient (dL/db is built from a) and ``b`` only if ``a`` does, as torch does."""
    return tuple(t for t, other in ((a, b), (b, a)) if other._requires_grad)


def kept_factors(ctx, need_a: bool, need_b: bool) -> tuple:
    """The factors (a, b) that ``factors_to_keep`` saved, None for one not kept."""
    saved = list(ctx.saved_tensors)
    a = saved.pop(0) if need_b else None
    b = saved.pop(0) if need_a else None
    return a, b


class Embedding(ArrayFunction):
    """y = W[i]: rows of the table W (num_embeddings, embedding_dim) for integer indices i.

    The lookup is a product with one-hot rows, so dL/dW[k] = Σ_{positions p with i_p = k} g_p
    (a scatter-add). The row ``padding_idx`` gets no gradient; with ``scale_grad_by_freq``
    each row's gradient is divided by how often its index occurs in the batch.
    """

    backward_name = "EmbeddingBackward0"

    @staticmethod
    def forward(ctx, weight, indices, padding_idx, scale_grad_by_freq):
        ctx.indices, ctx.num_weights = kept(indices._data), weight._data.shape[0]
        ctx.padding_idx, ctx.scale_grad_by_freq = padding_idx, scale_grad_by_freq
        return weight._data.take(indices._data, axis=0)  # (*, embedding_dim)

    @staticmethod
    def backward(ctx, grad):
        if grad_state.enabled:  # create_graph=True: the scatter-add as a differentiable op
            grad_w = EmbeddingDenseBackward.apply(
                grad, ctx.indices, ctx.num_weights, ctx.padding_idx, ctx.scale_grad_by_freq
            )
            return grad_w, None, None, None
        grad_w = _embedding_dense_backward(
            grad._data, ctx.indices, ctx.num_weights, ctx.padding_idx, ctx.scale_grad_by_freq
        )
        return grad_w, None, None, None


def _row_weights(idx, num_weights: int, padding_idx, scale_grad_by_freq: bool, dtype):
    """Each position's factor in the embedding gradient, shape (positions, 1): 1/count of its
    index with ``scale_grad_by_freq``, 0 where it is ``padding_idx``; None when all are 1."""
    if not scale_grad_by_freq and padding_idx is None:
        return None
    w = xp.ones_like(idx, dtype=dtype)  # on the indices' device
    if scale_grad_by_freq:
        w = w / xp.bincount(idx, minlength=num_weights)[idx].astype(dtype)
    if padding_idx is not None:
        w[idx == padding_idx] = 0
    return w[:, None]


def _embedding_dense_backward(g, indices, num_weights: int, padding_idx, scale_grad_by_freq):
    """dL/dW from dL/dy = g: each position's gradient row added to the row of its index
    (times its ``_row_weights`` factor) — torch's ``embedding_dense_backward``."""
    idx = indices.reshape(-1)
    g2 = g.reshape(idx.size, g.shape[-1])
    weights = _row_weights(idx, num_weights, padding_idx, scale_grad_by_freq, g.dtype)
    if weights is not None:
        g2 = g2 * weights
    grad_w = get_array_module(g).zeros((num_weights, g.shape[-1]), dtype=g.dtype)
    add_at(grad_w, idx, g2)
    return grad_w


class EmbeddingDenseBackward(ArrayFunction):
    """The embedding's backward as an op of its own, so that it can be differentiated again
    (create_graph=True: Hessian-vector products, gradient penalties on embedding tables).

    G = scatter-add of the rows of g (times each position's factor c_p) is linear in g, so
    dL/dg_p = c_p · dL/dG[i_p]: the gradient of a scatter-add is a gather — an embedding
    lookup of dL/dG, itself differentiable by this op again. Like torch's
    ``embedding_dense_double_backward``, the factor keeps only the ``padding_idx`` zeros and
    leaves out ``scale_grad_by_freq``'s 1/count (torch's choice, kept for equal numbers).
    """

    backward_name = "EmbeddingDenseBackwardBackward0"

    @staticmethod
    def forward(ctx, grad, indices, num_weights, padding_idx, scale_grad_by_freq):
        ctx.indices, ctx.grad_shape = indices, grad._data.shape
        ctx.weights = _row_weights(
            indices.reshape(-1), num_weights, padding_idx, False, grad._data.dtype
        )
        return _embedding_dense_backward(
            grad._data, indices, num_weights, padding_idx, scale_grad_by_freq
        )

    @staticmethod
    def backward(ctx, grad_grad):
        Tensor = _function._Tensor
        flat = Tensor._make(ctx.indices.reshape(-1), False, None)
        rows = Embedding.apply(grad_grad, flat, None, False)  # dL/dG[i_p], one row per p
        if ctx.weights is not None:
            rows = rows * Tensor._make(ctx.weights.astype(grad_grad._data.dtype), False, None)
        return rows.reshape(ctx.grad_shape), None, None, None, None
