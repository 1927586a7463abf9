"""``F.linear``, ``F.bilinear``, ``F.embedding``, the dropouts (alpha dropout too) and
``F.one_hot``.

The functions behind the dense layers: a fused x Wᵀ + b, a table lookup, and random masking.
(The module is called ``dense``, not ``linear``, so that ``F.linear`` stays the function.)
"""

from __future__ import annotations

import warnings

from gradiente import backend as B
from gradiente import random as _random
from gradiente.backend import torch_type_name, xp
from gradiente.ops.arguments import require_tensor
from gradiente.ops.linear import Embedding as _Embedding
from gradiente.ops.linear import Linear as _Linear
from gradiente.ops.linear import cpp_type_name
from gradiente.tensor import Tensor
from gradiente.tensor.sampling import _like_layout


def _legacy_type_name(t: Tensor) -> str:
    """torch's legacy name of a tensor's type in its argument checks (``torch.FloatTensor``)."""
    return f"torch.{torch_type_name(t._data.dtype)}Tensor"


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = x Wᵀ + b, x of shape (*, in_features), W (out_features, in_features)."""
    require_tensor("linear", input)
    x_shape, w_shape = input._data.shape, weight._data.shape
    if len(w_shape) == 1 and x_shape:
        # torch's matmul route: a vector weight gives one output, without the feature axis
        if bias is not None and len(x_shape) == 2:
            raise RuntimeError("mat2 must be a matrix, got 1-D tensor")
        out = input.matmul(weight)
        return out if bias is None else out + bias
    if not x_shape or not w_shape:
        raise RuntimeError(
            "both arguments to linear need to be at least 1D, but they are "
            f"{len(x_shape)}D and {len(w_shape)}D"
        )
    if len(w_shape) != 2 or x_shape[-1] != w_shape[1]:
        cols = x_shape[-1]
        rows = input.numel() // max(cols, 1)  # torch folds the leading axes into rows
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({rows}x{cols} and "
            f"{'x'.join(str(s) for s in reversed(w_shape))})"
        )
    _check_linear_dtypes(input, weight, bias)
    return _Linear.apply(input, weight, bias)


def _check_linear_dtypes(input: Tensor, weight: Tensor, bias: Tensor | None) -> None:
    """Refuse mixed dtypes in torch's words: addmm's (bias, then input, against the weight)
    when there is a bias, mm's otherwise."""
    x, w = input._data.dtype, weight._data.dtype
    if bias is not None:
        if bias._data.dtype != w:
            raise RuntimeError(
                f"self and mat2 must have the same dtype, but got "
                f"{torch_type_name(bias._data.dtype)} and {torch_type_name(w)}"
            )
        if x != w:
            raise RuntimeError(
                f"mat1 and mat2 must have the same dtype, but got {torch_type_name(x)} and "
                f"{torch_type_name(w)}"
            )
    elif x != w:
        raise RuntimeError(
            f"expected m1 and m2 to have the same dtype, but got: {cpp_type_name(input.dtype)} "
            f"!= {cpp_type_name(weight.dtype)}"
        )


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None):
    """y_k = x1ᵀ W_k x2 + b_k for W of shape (out, in1, in2)."""
    _check_bilinear(input1, input2, weight, bias)
    # (*, in1) (out, in1, in2) (*, in2) -> (*, out), as a contraction through two products
    out = ((input1.unsqueeze(-2).unsqueeze(-2) @ weight).squeeze(-2) * input2.unsqueeze(-2)).sum(-1)
    return out if bias is None else out + bias


def _check_bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias) -> None:
    """torch's checks of ``bilinear``'s shapes, in its words: the inputs share their leading
    (batch) axes, and their last axes match the weight's in1 and in2."""
    if input1.ndim != input2.ndim:
        raise RuntimeError(
            f"bilinear(): input dimensions do not match: got {input1.ndim} and {input2.ndim}"
        )
    for d in range(input1.ndim - 1):
        if input1.shape[d] != input2.shape[d]:
            raise RuntimeError(
                f"bilinear(): input batch dimensions do not match at dim {d}: got "
                f"{input1.shape[d]} and {input2.shape[d]}"
            )
    for k, x in ((1, input1), (2, input2)):
        if x.ndim and x.shape[-1] != weight.shape[k]:
            raise RuntimeError(
                f"bilinear(): input{k} size does not match weight size: got {x.shape[-1]} but "
                f"expected {weight.shape[k]}"
            )
    if bias is not None and bias.shape[-1:] != weight.shape[:1]:
        raise RuntimeError(
            f"bilinear(): bias size does not match weight size: got {bias.shape[-1]} but "
            f"expected {weight.shape[0]}"
        )


def embedding(
    input: Tensor,
    weight: Tensor,
    padding_idx: int | None = None,
    max_norm: float | None = None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
) -> Tensor:
    """Rows of the table ``weight`` (num_embeddings, embedding_dim) for the integer ``input``.

    ``padding_idx``: that row gets no gradient. ``max_norm``: first rescale, in place, each
    looked-up row whose ``norm_type``-norm exceeds it to norm ``max_norm`` (PyTorch's
    ``embedding_renorm_``). ``sparse`` gradients are not supported: the gradient is dense.
    """
    require_tensor("embedding", input, "indices", 2)
    if input._data.dtype.kind not in "iu":
        # with max_norm, torch's embedding_renorm_ (indices its 2nd argument) checks first
        position, op = (2, "embedding_renorm_") if max_norm is not None else (1, "embedding")
        raise RuntimeError(
            f"Expected tensor for argument #{position} 'indices' to have one of the following "
            f"scalar types: Long, Int; but got {_legacy_type_name(input)} instead (while "
            f"checking arguments for {op})"
        )
    if weight.ndim != 2:
        raise RuntimeError("'weight' must be 2-D")
    n = weight.shape[0]
    if padding_idx is not None:
        if not -n <= padding_idx < n:
            raise AssertionError("Padding_idx must be within num_embeddings")
        padding_idx = padding_idx % n
    if input.numel() and (input._data.min() < 0 or input._data.max() >= n):
        raise IndexError("index out of range in self")
    if max_norm is not None:
        _embedding_renorm_(weight, input, max_norm, norm_type)
    return _Embedding.apply(weight, input, padding_idx, scale_grad_by_freq)


def _embedding_renorm_(weight: Tensor, input: Tensor, max_norm: float, norm_type: float) -> None:
    rows = xp.unique(input._data.reshape(-1))
    w = weight._data[rows]
    norms = (xp.abs(w) ** norm_type).sum(axis=1) ** (1.0 / norm_type)
    # rows with ‖w‖ > max_norm are scaled by max_norm / (‖w‖ + 1e-7), as torch.embedding_renorm_
    big = norms > max_norm
    scale = (max_norm / (norms[big] + 1e-7)).astype(w.dtype)
    weight._data[rows[big]] = w[big] * scale[:, None]
    weight._bump()


# ----------------------------------------------------------------------------------- dropout


def _check_p(p: float) -> None:
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _check_floating(input: Tensor) -> None:
    """The noise is floating point: torch cannot write x · noise into an integer tensor."""
    if not input.dtype.is_floating_point:
        raise RuntimeError(
            "result type Float can't be cast to the desired output type "
            f"{torch_type_name(input._data.dtype)}"
        )


def _apply_noise(input: Tensor, noise_shape: tuple, p: float, inplace: bool) -> Tensor:
    """x · m / (1 − p), m ~ Bernoulli(1 − p) of ``noise_shape`` (drawn as PyTorch does)."""
    if p == 1.0:  # torch multiplies by zeros of the input's own type: any dtype works
        noise = xp.zeros(noise_shape, dtype=input._data.dtype)
    else:
        _check_floating(input)
        axes = _like_layout(input, None) if tuple(noise_shape) == input.shape else None
        if axes is None:
            noise = _random.bernoulli(1 - p, noise_shape, input._data.dtype)
        else:  # torch's empty_like(input).bernoulli_(): drawn in the input's memory order
            memory = _random.bernoulli(1 - p, [noise_shape[a] for a in axes], input._data.dtype)
            noise = memory.transpose(sorted(range(len(axes)), key=axes.__getitem__))
        noise /= 1 - p
    mask = Tensor._make(noise)
    if not noise.flags.c_contiguous:  # laid out as torch's empty_like(input): torch's layout
        mask.__dict__["_torch_layout"] = True
    if input.is_cuda:  # drawn on the CPU (torch's numbers), used where the input lives
        mask = mask.to(input.device)
    if inplace:
        return input.mul_(mask)
    return input * mask


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False):
    """Zero each element with probability p and scale the rest by 1/(1 − p) (training only)."""
    _check_p(p)
    require_tensor("dropout", input)
    if not training or p == 0.0 or input.numel() == 0:
        return input
    return _apply_noise(input, input.shape, p, inplace)


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False):
    """Zero whole channels of (N, C, L) or (C, L) input with probability p."""
    _check_p(p)
    if input.ndim not in (2, 3):
        raise RuntimeError(
            f"dropout1d: Expected 2D or 3D input, but received a {input.ndim}D input. Note "
            "that dropout1d exists to provide channel-wise dropout on inputs with 1 spatial "
            "dimension, a channel dimension, and an optional batch dimension (i.e. 2D or 3D "
            "inputs)."
        )
    if not training or p == 0.0 or input.numel() == 0:
        return input
    shape = input.shape[:-1] + (1,)
    return _apply_noise(input, shape, p, inplace)


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False):
    """Zero whole channels (volumes) of (N, C, D, H, W) or (C, D, H, W) input with
    probability p."""
    _check_p(p)
    if input.ndim not in (4, 5):  # torch warns, then reads it as unbatched all the same
        warnings.warn(
            f"dropout3d: Received a {input.ndim}-D input to dropout3d, which is deprecated and "
            "will result in an error in a future release. To retain the behavior and silence "
            "this warning, please use dropout instead. Note that dropout3d exists to provide "
            "channel-wise dropout on inputs with 3 spatial dimensions, a channel dimension, and "
            "an optional batch dimension (i.e. 4D or 5D inputs).",
            stacklevel=2,
        )
    if not training or p == 0.0 or input.numel() == 0:
        return input
    batched = input.ndim == 5
    x = input if batched else input.unsqueeze(0)
    out = _apply_noise(x, x.shape[:2] + (1,) * (x.ndim - 2), p, inplace)
    return out if batched else out.squeeze(0)


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False):
    """Zero whole channels (feature maps) of (N, C, H, W) input with probability p.

    A 3-D input is read as (N, C, L), like PyTorch (which warns about it).
    """
    _check_p(p)
    if input.ndim not in (3, 4):
        warnings.warn(
            f"dropout2d: Received a {input.ndim}-D input to dropout2d, which is deprecated and "
            "will result in an error in a future release. To retain the behavior and silence "
            "this warning, please use dropout instead.",
            stacklevel=2,
        )
    elif input.ndim == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D "
            "dropout behavior is desired - input is interpreted as shape (N, C, L), where C is "
            "the channel dim.",
            stacklevel=2,
        )
    if not training or p == 0.0 or input.numel() == 0:
        return input
    if input.ndim < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    shape = input.shape[:2] + (1,) * (input.ndim - 2)
    return _apply_noise(input, shape, p, inplace)


# The value SELU saturates at, −λα, negated: alpha dropout sets dropped units to −α'.
_SELU_SATURATION = 1.7580993408473766


def _apply_alpha_noise(input: Tensor, noise_shape: tuple, p: float, inplace: bool) -> Tensor:
    """Alpha dropout (Klambauer et al., 2017): a dropped unit becomes −α' (SELU's saturation
    value), then an affine map a x + b restores zero mean and unit variance:

        a = ((α'² p + 1)(1 − p))^(−1/2),   y = x · (m a) + ((m − 1) α' a + α' a p)

    with m ~ Bernoulli(1 − p) of ``noise_shape``, computed in torch's order and precision."""
    dtype = input._data.dtype
    if p == 1.0:  # torch multiplies by 0: everything dropped, no shift
        zero = Tensor._make(xp.zeros((), dtype=dtype))
        return input.mul_(zero) if inplace else input * zero
    _check_floating(input)
    m = _random.bernoulli(1 - p, noise_shape, dtype)
    a = 1.0 / ((_SELU_SATURATION**2 * p + 1) * (1 - p)) ** 0.5
    shift = (m - 1) * dtype.type(_SELU_SATURATION * a) + dtype.type(_SELU_SATURATION * a * p)
    scale, shift = Tensor._make(m * dtype.type(a)), Tensor._make(shift)
    if input.is_cuda:
        scale, shift = scale.to(input.device), shift.to(input.device)
    if inplace:
        return input.mul_(scale).add_(shift)
    return input * scale + shift


def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False):
    """Dropout for SELU networks: dropped units take SELU's negative saturation value and the
    result is rescaled to keep the mean and variance (training only)."""
    _check_p(p)
    require_tensor("alpha_dropout", input)
    if not training or p == 0.0 or input.numel() == 0:
        return input
    return _apply_alpha_noise(input, input.shape, p, inplace)


def feature_alpha_dropout(
    input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False
):
    """``alpha_dropout`` of whole channels: one draw per (sample, channel)."""
    _check_p(p)
    require_tensor("feature_alpha_dropout", input)
    if not training or p == 0.0 or input.numel() == 0:
        return input
    if input.ndim < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    shape = input.shape[:2] + (1,) * (input.ndim - 2)
    return _apply_alpha_noise(input, shape, p, inplace)


# ------------------------------------------------------------------------------------- misc


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """(*,) class indices → (*, num_classes) int64 rows with a single 1."""
    require_tensor("one_hot", tensor)
    idx = tensor._data
    if idx.dtype != xp.int64:  # torch refuses int32 and the other integer types too
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if idx.size and idx.min() < 0:
        raise RuntimeError("Class values must be non-negative.")
    if num_classes == -1:
        if idx.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(idx.max()) + 1
    elif idx.size and idx.max() >= num_classes:
        raise RuntimeError("Class values must be smaller than num_classes.")
    classes = B.get_array_module(idx).arange(num_classes)  # on idx's device
    out = (idx[..., None] == classes).astype(xp.int64)
    return Tensor._make(out)
