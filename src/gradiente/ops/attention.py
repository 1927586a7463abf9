"""Scaled dot-product attention as one fused op: scores, mask, softmax, dropout and the weighted
sum of values in one forward, with a memory-lean backward beside it.

For queries Q (..., L, E), keys K (..., S, E) and values V (..., S, Ev):

    S = Q Kᵀ · scale + M          scores (..., L, S); M is the mask (0 or −∞, or any float)
    P = softmax_rows(S)           attention weights; a row masked everywhere gives zeros
    P̃ = P ⊙ D                     dropout: D = keep / (1 − p), keep ~ Bernoulli(1 − p)
    O = P̃ V                       output (..., L, Ev)

Composed from separate ops, autograd would keep S, P, P̃ and the dropout noise as full float
arrays. Here backward keeps only Q, K, V, P and the keep pattern (one byte per score) and
derives everything else (g = dL/dO):

    dV = P̃ᵀ g
    dP̃ = g Vᵀ,   dP = dP̃ ⊙ D
    dS = P ⊙ (dP − rowsum(dP ⊙ P))        the softmax's vector-Jacobian product
    dQ = dS K · scale,   dK = dSᵀ Q · scale,   dM = dS (for a float mask that requires grad)

The dropout draw is the one ``F.dropout`` makes on a (..., L, S) tensor, as PyTorch's CPU math
path does: with the same seed both keep the same weights.
"""

from __future__ import annotations

import math

from gradiente import backend as B
from gradiente import random as _random
from gradiente.autograd import function as _function
from gradiente.autograd.grad_mode import grad_state
from gradiente.backend import broadcast_error, get_array_module, xp
from gradiente.ops.array_function import ArrayFunction
from gradiente.ops.linear import cpp_type_name


def _tensor(array):
    return _function._Tensor._make(array, False, None)


def _scores(q, k, scale, mask, causal):
    """S = Q Kᵀ · scale with the mask applied (bool: keep where True; float: added)."""
    s = q @ xp.swapaxes(k, -1, -2)  # (..., L, S)
    s *= scale
    # Masks are added, as torch adds them (a bool mask becomes 0 / −∞ first): a masked-out
    # +∞ or NaN score still makes its row NaN (∞ − ∞), as in torch
    if mask is not None:
        s = s + (_additive(mask, s.dtype) if mask.dtype == bool else mask)
    if causal:
        s += _additive(_causal_mask(s, s.shape[-2], s.shape[-1]), s.dtype)
    return s


def _additive(keep, dtype):
    """A bool mask (True: keep) as the float mask torch adds: 0 where kept, −∞ elsewhere."""
    m = get_array_module(keep)
    return m.where(keep, m.zeros((), dtype=dtype), m.asarray(-m.inf, dtype=dtype))


def _causal_mask(like, L, S):
    """Query i sees keys 0..i (lower triangle, aligned top-left as torch's ``is_causal``),
    built by the array module of ``like`` (on its device)."""
    m = get_array_module(like)
    return m.tril(m.ones((L, S), dtype=bool))


def _safe_softmax(s):
    """Row softmax; a row that is −∞ everywhere (fully masked) gives zeros, not NaN; a NaN
    score makes its row NaN. (torch's CPU flash kernel sometimes gives zeros for a row of NaN
    scores instead: tests/fuzz/known_differences.py.)"""
    if s.shape[-1] == 0:  # no keys: empty rows, so the output P V is all zeros
        return s.copy()
    m = s.max(axis=-1, keepdims=True)
    m[m == -xp.inf] = 0.0  # a dead row: exp(−∞ − 0) = 0 everywhere (a +∞ score gives NaN)
    e = xp.exp(s - m)
    den = e.sum(axis=-1, keepdims=True)
    den[den == 0] = 1.0
    e /= den
    return e


class ScaledDotProductAttention(ArrayFunction):
    """O = dropout(softmax(Q Kᵀ · scale + M)) V as one graph node (see the module docstring).

    ``mask`` is None, a bool tensor (keep where True) or a float tensor (added to the scores);
    ``causal`` applies the lower-triangular mask; ``dropout_p`` > 0 draws the dropout pattern.
    """

    backward_name = "ScaledDotProductFlashAttentionForCpuBackward0"
    _released_attrs = ("probs", "keep")

    def name(self) -> str:
        """torch's node: its flash kernel's where that runs, else the last op of its math path
        (``attn @ v``: a matrix product of 2-D inputs, a reshaped batched one otherwise)."""
        if self.fused:
            return self.backward_name
        return "MmBackward0" if self.ndim == 2 else "UnsafeViewBackward0"

    @staticmethod
    def forward(ctx, query, key, value, mask, dropout_p, causal, scale, fused=False):
        q, k, v = query._data, key._data, value._data
        ctx.fused, ctx.ndim = fused, q.ndim
        m = None if mask is None else mask._data
        p = _safe_softmax(_scores(q, k, scale, m, causal))  # (..., L, S)
        keep, inv = None, None
        if dropout_p > 0.0:
            # F.dropout's draw: noise ~ Bernoulli(1 − p) of P's shape, scaled by 1/(1 − p).
            # (drawn on the CPU, as torch's CPU generator draws, then moved to P's device)
            keep = _random.bernoulli(1 - dropout_p, p.shape, p.dtype).astype(bool)
            keep = B.to_device(keep, B.array_device_index(p))
            # 1 / (1 − p) rounded in P's dtype (a NumPy scalar: it mixes with device arrays)
            inv = p.dtype.type(1) / p.dtype.type(1 - dropout_p) if dropout_p < 1 else 0.0
            out = (p * keep * inv) @ v
        else:
            out = p @ v  # (..., L, Ev)
        # torch's flash kernel saves its output too: changing it in place refuses backward
        ctx.save_for_backward(query, key, value, mask, *((out,) if fused else ()))
        ctx.probs, ctx.keep, ctx.inv = p, keep, inv
        ctx.scale, ctx.causal = scale, causal
        return out

    @staticmethod
    def backward(ctx, grad):
        query, key, value, mask = ctx.saved_tensors[:4]
        need_q, need_k, need_v, need_m = ctx.needs_input_grad[:4]
        if grad_state.enabled:
            grads = _backward_tensors(ctx, grad, query, key, value, mask)
            return grads + (None, None, None, None)
        g = grad._data
        q, k, v = query._data, key._data, value._data
        p, keep, inv, scale = ctx.probs, ctx.keep, ctx.inv, ctx.scale
        grad_q = grad_k = grad_v = grad_m = None
        p_drop = p if keep is None else p * keep * inv  # P̃ = P ⊙ D
        if need_v:
            grad_v = xp.swapaxes(p_drop, -1, -2) @ g  # dV = P̃ᵀ g   (..., S, Ev)
        if need_q or need_k or need_m:
            dp = g @ xp.swapaxes(v, -1, -2)  # dP̃ = g Vᵀ   (..., L, S)
            if keep is not None:
                dp *= keep
                dp *= inv  # dP = dP̃ ⊙ D
            # dS = P ⊙ (dP − rowsum(dP ⊙ P))
            ds = p * (dp - (dp * p).sum(axis=-1, keepdims=True))
            if need_m:
                grad_m = ds
            if need_q:
                grad_q = (ds @ k) * scale  # dQ = dS K · scale
            if need_k:
                grad_k = (xp.swapaxes(ds, -1, -2) @ q) * scale  # dK = dSᵀ Q · scale
        return grad_q, grad_k, grad_v, grad_m, None, None, None, None


def _backward_tensors(ctx, grad, q, k, v, mask):
    """The same gradients as Tensor ops of Q, K, V, M and g (``create_graph=True``): P is
    recomputed from Q and K so that the gradients are themselves differentiable."""
    s = (q @ k.mT) * ctx.scale
    if mask is not None:
        bool_mask = mask._data.dtype == bool
        s = s + (_tensor(_additive(mask._data, s._data.dtype)) if bool_mask else mask)
    if ctx.causal:
        s = s + _tensor(_additive(_causal_mask(s._data, s.shape[-2], s.shape[-1]), s._data.dtype))
    if s.shape[-1] == 0:  # no keys: the row max below has nothing to reduce
        dead = _tensor(xp.zeros(s.shape[:-1] + (1,), dtype=bool))
    else:  # fully masked rows
        dead = _tensor(s._data.max(axis=-1, keepdims=True) == -xp.inf)
    p = s.masked_fill(dead, 0.0).softmax(-1).masked_fill(dead, 0.0)
    d = None if ctx.keep is None else _tensor(ctx.keep * ctx.inv)
    p_drop = p if d is None else p * d
    need_q, need_k, need_v, need_m = ctx.needs_input_grad[:4]
    grad_q = grad_k = grad_m = None
    grad_v = p_drop.mT @ grad if need_v else None
    if need_q or need_k or need_m:
        dp = grad @ v.mT
        if d is not None:
            dp = dp * d
        ds = p * (dp - (dp * p).sum(-1, keepdim=True))
        grad_m = ds if need_m else None
        grad_q = (ds @ k) * ctx.scale if need_q else None
        grad_k = (ds.mT @ q) * ctx.scale if need_k else None
    return grad_q, grad_k, grad_v, grad_m


def _fused_kernel_applies(query, key, value, attn_mask, dropout_p: float) -> bool:
    """Whether torch's CPU flash-attention kernel would run this call: torch 2.13's CPU backend
    choice, its checks in its order. That kernel accepts ``attn_mask`` together with
    ``is_causal`` (both masks apply); the math fallback taken otherwise refuses the pair.
    (Grouped-query keys and values are already repeated to the query's heads here.)"""
    if dropout_p > 0.0 or not query.ndim == key.ndim == value.ndim == 4:
        return False
    if not query.shape[0] == key.shape[0] == value.shape[0]:  # batch sizes
        return False
    if not query.shape[1] == key.shape[1] == value.shape[1]:  # heads
        return False
    if attn_mask is not None and not _mask_fits_fused_kernel(attn_mask, query, key):
        return False
    if not query.shape[-1] == key.shape[-1] == value.shape[-1]:  # head sizes
        return False
    return all(t.stride(-1) == 1 for t in (query, key, value))


def _mask_fits_fused_kernel(mask, query, key) -> bool:
    """torch's check of the mask for that kernel: (L or 1, S or 1), optionally led by
    (N or 1, H or 1); a mask that requires grad goes to the math path."""
    if mask.requires_grad:
        return False
    if mask.ndim < 2:  # torch reads its size(−2) first
        raise IndexError("Dimension out of range (expected to be in range of [-1, 0], but got -2)")
    if mask.shape[-2] not in (query.shape[2], 1) or mask.shape[-1] not in (key.shape[2], 1):
        return False
    if mask.ndim == 2:
        return True
    leading_fit = mask.shape[0] in (1, query.shape[0]) and mask.shape[1] in (1, query.shape[1])
    return mask.ndim == 4 and leading_fit


def _check_matmul_sizes(query, key, value) -> None:
    """torch's errors from its two products Q Kᵀ and P V where the sizes do not fit: the
    query's and the key's head sizes differ, or the keys and the values are not as many.
    (2-D operands fail in torch's ``mm``, batched ones in its ``bmm`` over the broadcast
    batch, or first in broadcasting the batch shapes; a mix of the two fails later here.)
    Unlike torch's CPU flash kernel, which ignores values past the keys' number, more values
    than keys is an error here too."""
    products = (
        (query.shape, key.shape[:-2] + (key.shape[-1], key.shape[-2])),  # Q (L, E) · Kᵀ (E', S)
        (query.shape[:-1] + (key.shape[-2],), value.shape),  # P (L, S) · V (S', Ev)
    )
    for (*batch_a, rows, inner_a), (*batch_b, inner_b, cols) in products:
        if batch_a and batch_b:  # torch's matmul broadcasts the batch shapes first
            error = broadcast_error(batch_a, batch_b)
            if error is not None:
                raise error
        if inner_a == inner_b:
            continue
        if not batch_a and not batch_b:
            raise RuntimeError(
                f"mat1 and mat2 shapes cannot be multiplied ({rows}x{inner_a} and {inner_b}x{cols})"
            )
        if batch_a and batch_b:
            batch = math.prod(xp.broadcast_shapes(tuple(batch_a), tuple(batch_b)))
            raise RuntimeError(
                f"Expected size for first two dimensions of batch2 tensor to be: [{batch}, "
                f"{inner_a}] but got: [{batch}, {inner_b}]."
            )
        return


def scaled_dot_product_attention(
    query,
    key,
    value,
    attn_mask=None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
    enable_gqa: bool = False,
):
    """``F.scaled_dot_product_attention``: softmax(Q Kᵀ · scale + M) V, with dropout on the
    weights. Shapes (..., L, E), (..., S, E), (..., S, Ev) → (..., L, Ev).

    ``attn_mask``: a bool mask keeps the scores where True; a float mask is added to them.
    ``is_causal``: query i attends to keys 0..i; with a mask as well, both apply (where torch's
    fused kernel would run, see ``_fused_kernel_applies``). ``scale`` defaults to 1/√E.
    ``enable_gqa``: grouped-query attention, each of the Hk key/value heads serves Hq/Hk query
    heads.
    """
    Tensor = _function._Tensor
    if not (query.dtype == key.dtype == value.dtype):
        raise RuntimeError(
            "Expected query, key, and value to have the same dtype, but got query.dtype: "
            f"{cpp_type_name(query.dtype)} key.dtype: {cpp_type_name(key.dtype)} and "
            f"value.dtype: {cpp_type_name(value.dtype)} instead."
        )
    if min(query.ndim, key.ndim, value.ndim) < 2:
        raise RuntimeError(  # torch's words, with its double space
            "Expected query, key, and value to all be  at least 2 dimensional, but got "
            f"query.dim: {query.ndim} key.dim: {key.ndim} and value.dim: {value.ndim} instead."
        )
    if not 0.0 <= dropout_p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {dropout_p}")
    if enable_gqa and query.ndim >= 3 and key.shape[-3] != query.shape[-3]:
        groups = query.shape[-3] // key.shape[-3]
        if groups * key.shape[-3] != query.shape[-3]:
            raise RuntimeError(
                "Number of heads in key and value must divide the number of heads in query"
            )
        key = key.repeat_interleave(groups, dim=-3)
        value = value.repeat_interleave(groups, dim=-3)
    _check_matmul_sizes(query, key, value)
    if attn_mask is not None:
        if not isinstance(attn_mask, Tensor):
            attn_mask = Tensor._make(xp.asarray(attn_mask), False, None)
        if attn_mask._data.dtype != bool and attn_mask.dtype != query.dtype:
            attn_mask = attn_mask.to(query.dtype)
    empty = query.shape[-2] == 0 or key.shape[-2] == 0  # torch answers zeros before choosing
    fused = _fused_kernel_applies(query, key, value, attn_mask, dropout_p)
    if is_causal and attn_mask is not None and not empty and not fused:
        raise RuntimeError(
            "_scaled_dot_product_attention: Explicit attn_mask should not be set when "
            "is_causal=True"
        )
    if scale is None:
        scale = 1.0 / float(query.shape[-1]) ** 0.5
    return ScaledDotProductAttention.apply(
        query, key, value, attn_mask, float(dropout_p), bool(is_causal), float(scale), fused
    )
