"""``embedding_bag``: the sum, mean or max of the embedding rows of each "bag" of indices, as
one op (``torch.nn.functional.embedding_bag``; the text classifier of torch's AG_NEWS
tutorial averages its words' embeddings this way).

The indices are one flat list; bag b is the slice ``input[offsets[b]:offsets[b+1]]`` (or each
row of a 2-D ``input``). With the rows r_i = W[input_i] and the bag s(i) of position i,

    sum:   y_b = Σ_{i in b} w_i r_i          (w_i = per_sample_weights, else 1)
    mean:  y_b = (1 / |b|) Σ_{i in b} r_i
    max:   y_bd = max_{i in b} r_id          (per feature d)

where positions holding ``padding_idx`` are left out (and not counted in |b|), and an empty
bag gives zeros. The gradients are scatter-adds back to the looked-up rows:

    sum:   dL/dW[k] = Σ_{i: input_i = k} w_i g_{s(i)},   dL/dw_i = ⟨r_i, g_{s(i)}⟩
    mean:  dL/dW[k] = Σ_{i: input_i = k} g_{s(i)} / |s(i)|
    max:   dL/dW[k]_d = Σ_{b: the max of feature d in bag b is at a position holding k} g_bd

Computing it in one op (rather than an embedding lookup and a reduction per bag) keeps the
(n, D) rows out of the graph. Like the plain embedding, its double backward is not supported.
"""

from __future__ import annotations

from gradiente.autograd.grad_mode import grad_state
from gradiente.backend import add_at, device_array, get_array_module, host, xp
from gradiente.ops.array_function import ArrayFunction

_MODES = ("sum", "mean", "max")


class EmbeddingBag(ArrayFunction):
    """y = the per-bag sum, mean or max of W[input] (see the module docstring).

    ``bags``: the bag of each position (n,); ``positions``: its place in its bag; ``keep``:
    False at ``padding_idx`` positions.
    """

    backward_name = "EmbeddingBagBackward0"

    @staticmethod
    def forward(
        ctx, weight, per_sample_weights, indices, bags, positions, keep, num_bags, mode, scale
    ):
        W = weight._data
        m = get_array_module(W)
        rows = W.take(indices, axis=0)  # (n, D)
        D = W.shape[1]
        counts = m.bincount(bags[keep], minlength=num_bags)  # |b|, padding left out
        ctx.indices, ctx.bags, ctx.keep, ctx.counts = indices, bags, keep, counts
        ctx.mode, ctx.scale, ctx.num_weights = mode, scale, W.shape[0]
        if mode == "max":
            # the bags side by side, (B, longest bag, D), -inf where a bag has no row there
            longest = int(positions.max()) + 1 if positions.size else 1
            grid = m.full((num_bags, longest, D), -m.inf, dtype=W.dtype)
            grid[bags[keep], positions[keep]] = rows[keep]
            # the first position of each bag's max, per feature; n ("none") for an empty bag
            n = indices.size
            first = m.searchsorted(bags, m.arange(num_bags))  # where each bag starts
            ctx.argmax = m.where(counts[:, None] > 0, first[:, None] + grid.argmax(axis=1), n)
            return m.where(counts[:, None] > 0, grid.max(axis=1), 0).astype(W.dtype)
        weights = keep.astype(W.dtype)  # (n,): 0 at padding
        if per_sample_weights is not None:
            weights = weights * per_sample_weights._data
            ctx.rows = rows
        ctx.weights = weights
        out = m.zeros((num_bags, D), dtype=W.dtype)
        add_at(out, bags, rows * weights[:, None])
        if mode == "mean":
            out /= m.maximum(counts, 1)[:, None].astype(W.dtype)
        return out

    @staticmethod
    def backward(ctx, grad):
        if grad_state.enabled:
            raise RuntimeError(
                "embedding_bag: double backward (create_graph=True) is not supported by gradiente"
            )
        g = grad._data  # (B, D)
        m = get_array_module(g)
        grad_w = m.zeros((ctx.num_weights, g.shape[1]), dtype=g.dtype)
        grad_psw = None
        if ctx.mode == "max":
            n = ctx.indices.size
            bag, feature = m.nonzero(ctx.argmax < n)  # the features of non-empty bags
            rows = ctx.indices[ctx.argmax[bag, feature]]
            add_at(grad_w, (rows, feature), g[bag, feature])
            return grad_w, None, None, None, None, None, None, None, None
        g_rows = g[ctx.bags]  # (n, D): each position's bag gradient
        if ctx.mode == "mean":
            g_rows = g_rows / m.maximum(ctx.counts, 1)[ctx.bags, None].astype(g.dtype)
        if ctx.needs_input_grad[1]:
            grad_psw = (ctx.rows * g_rows).sum(axis=1) * ctx.keep
        g_rows = g_rows * ctx.weights[:, None]
        if ctx.scale:
            g_rows = g_rows / _frequency(ctx.indices, ctx.num_weights)[ctx.indices, None]
        add_at(grad_w, ctx.indices, g_rows)
        return grad_w, grad_psw, None, None, None, None, None, None, None


def _frequency(indices, num_weights):
    """How often each row is looked up, for ``scale_grad_by_freq`` (as a float divisor)."""
    m = get_array_module(indices)
    return m.maximum(m.bincount(indices, minlength=num_weights), 1).astype(m.float64)


def _renorm_(weight, indices, max_norm: float, norm_type: float) -> None:
    """Rescale, in place, each looked-up row whose norm exceeds ``max_norm`` to norm
    max_norm / (‖w‖ + 1e-7) · ‖w‖ (PyTorch's ``embedding_renorm_``)."""
    rows = device_array(weight._data, xp.unique(indices))
    w = weight._data[rows]
    norms = (abs(w) ** norm_type).sum(axis=1) ** (1.0 / norm_type)
    big = norms > max_norm
    weight._data[rows[big]] = w[big] * (max_norm / (norms[big] + 1e-7)).astype(w.dtype)[:, None]
    weight._bump()


def _dtype_word(t) -> str:
    """torch's tensor-type word in messages (torch.FloatTensor, ...)."""
    words = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long"}
    return f"torch.{words.get(str(t._data.dtype), str(t._data.dtype))}Tensor"


def _check_layout(input, offsets) -> None:
    """torch's checks of the input's rank against the offsets."""
    if input.ndim == 2:
        if offsets is not None:
            raise ValueError(
                "if input is 2D, then offsets has to be None, as input is treated is a "
                "mini-batch of fixed length sequences. However, found offsets of type "
                f"{type(offsets)}"
            )
    elif input.ndim == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.ndim != 1:
            raise ValueError("offsets has to be a 1D Tensor")
    else:
        raise ValueError(
            f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.ndim}"
        )


def _bags(input, offsets, include_last_offset: bool):
    """(flat indices, bag of each position, place in its bag, number of bags), with torch's
    checks of the indices' type and of the offsets."""
    if input._data.dtype.kind not in "iu":
        raise RuntimeError(
            "Expected tensor for argument #1 'indices' to have one of the following scalar "
            f"types: Long, Int; but got {_dtype_word(input)} instead (while checking arguments "
            "for embedding_bag)"
        )
    indices = host(input._data).reshape(-1).astype(xp.int64)  # the bookkeeping on the host
    if input.ndim == 2:  # B bags of N indices
        B, N = input.shape
        return indices, xp.repeat(xp.arange(B), N), xp.tile(xp.arange(N), B), B
    starts = host(offsets._data).astype(xp.int64)
    n = indices.size
    if starts.size and starts[0] != 0:
        # torch's message ends with its print of an empty tensor of the indices' type: int32
        # when input and offsets both are, else int64 (the type they are promoted to)
        both_int32 = input._data.dtype == xp.int32 and offsets._data.dtype == xp.int32
        raise RuntimeError(
            "offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start "
            f"from position 0. However, got {int(starts[0])}\n"
            f"[ torch.{'Int' if both_int32 else 'Long'}Tensor{{}} ]"
        )
    if starts.size and starts[-1] > n:
        raise RuntimeError(
            f"offsets[-1] can not be greater than input's length {n} but got offsets[-1] of "
            f"{int(starts[-1])}"
        )
    if (starts[1:] < starts[:-1]).any():
        raise RuntimeError("embedding_bag: offsets must be non-decreasing")
    num_bags = max(starts.size - 1 if include_last_offset else starts.size, 0)
    # position i belongs to the last bag that starts at or before it
    bags = xp.searchsorted(starts[:num_bags], xp.arange(n), side="right") - 1
    return indices, bags, xp.arange(n) - starts[bags], num_bags


def embedding_bag(
    input,
    weight,
    offsets=None,
    max_norm: float | None = None,
    norm_type: float = 2,
    scale_grad_by_freq: bool = False,
    mode: str = "mean",
    sparse: bool = False,
    per_sample_weights=None,
    include_last_offset: bool = False,
    padding_idx: int | None = None,
):
    """The sum, mean or max of the rows of ``weight`` for each bag of indices, as in PyTorch.

    ``input`` is 2-D (B, N): B bags of N indices each (then ``offsets`` must be None); or 1-D
    with ``offsets`` giving where each bag starts (and, with ``include_last_offset``, a last
    entry equal to len(input)). ``per_sample_weights`` (shape of ``input``, mode 'sum' only)
    weighs each looked-up row; positions holding ``padding_idx`` are left out of their bag.
    ``sparse`` gradients are not supported: the gradient is dense.
    """
    if per_sample_weights is not None and tuple(per_sample_weights.shape) != tuple(input.shape):
        raise ValueError(
            f"embedding_bag: If per_sample_weights ({per_sample_weights.shape}) is not None, "
            f"then it must have the same shape as the input ({input.shape})"
        )
    if weight.ndim != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension {weight.ndim}")
    _check_layout(input, offsets)
    if mode not in _MODES:
        raise ValueError("mode has to be one of sum, mean or max")
    if mode == "max" and scale_grad_by_freq:
        raise ValueError("max mode does not support scaling the gradient by the frequency")
    if mode == "max" and sparse:
        raise ValueError("max mode does not support sparse weights")
    if max_norm is not None:
        _renorm_(weight, host(input._data).reshape(-1).astype(xp.int64), max_norm, norm_type)
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(
            "embedding_bag: per_sample_weights was not None. per_sample_weights is only "
            f"supported for mode='sum' (got mode='{mode}'). Please open a feature request on "
            "GitHub."
        )
    indices, bags, positions, num_bags = _bags(input, offsets, include_last_offset)
    if per_sample_weights is not None and per_sample_weights.dtype != weight.dtype:
        raise RuntimeError(
            "Expected tensor for argument #1 'weight' to have the same type as tensor for "
            f"argument #1 'per_sample_weights'; but type {_dtype_word(weight)} does not equal "
            f"{_dtype_word(per_sample_weights)} (while checking arguments for embedding_bag)"
        )
    num_weights = weight.shape[0]
    if padding_idx is not None:
        if not -num_weights <= padding_idx < num_weights:
            raise RuntimeError(
                "padding_idx must be within the number of embeddings, "
                f"-{num_weights} through {num_weights - 1}, but got {padding_idx}"
            )
        padding_idx %= num_weights
    bad = (indices < 0) | (indices >= num_weights)
    if bad.any():
        i = int(xp.argmax(bad))
        raise RuntimeError(
            f"Index {i} of input takes value {int(indices[i])} which is not in the valid range "
            f"[0, {num_weights})"
        )
    keep = indices != padding_idx if padding_idx is not None else xp.ones(indices.size, bool)
    W = weight._data
    return EmbeddingBag.apply(
        weight,
        per_sample_weights.reshape(-1) if per_sample_weights is not None else None,
        device_array(W, indices),
        device_array(W, bags),
        device_array(W, positions),
        device_array(W, keep),
        num_bags,
        mode,
        scale_grad_by_freq,
    )


__all__ = ["embedding_bag"]
