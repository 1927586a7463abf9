"""The loss functions of ``torch.nn.functional``.

``cross_entropy`` and ``nll_loss`` check their inputs here (shapes, dtypes, class range, in
PyTorch's order and words) and run one fused op of ``ops/loss.py``; the others are written with
Tensor ops. ``reduction`` ('none' | 'mean' | 'sum') and the legacy ``size_average``/``reduce``
flags are read by the helpers at the top.
"""

from __future__ import annotations

import math
import warnings

from gradiente.autograd.grad_mode import is_grad_enabled, no_grad
from gradiente.backend import bool_, broadcast_error, torch_type_name, xp
from gradiente.nn.functional.activation import logsigmoid
from gradiente.nn.functional.distance import pairwise_distance
from gradiente.ops import activation as A
from gradiente.ops import loss as L
from gradiente.tensor import Tensor, as_tensor, zeros


def _legacy_reduction(size_average, reduce) -> str:
    """The old size_average/reduce flags as a reduction string (PyTorch's rule)."""
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    ret = "mean" if size_average and reduce else "sum" if reduce else "none"
    warnings.warn(
        f"size_average and reduce args will be deprecated, please use reduction='{ret}' instead.",
        stacklevel=3,
    )
    return ret


def _resolve_reduction(
    size_average, reduce, reduction: str, invalid: str = "is not a valid value for reduction"
) -> str:
    """The reduction to apply: the legacy flags' when given, else ``reduction``, which must be
    'none', 'mean' or 'sum' (else ValueError "<reduction> <invalid>", torch's words)."""
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} {invalid}")
    return reduction


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _warn_size(input: Tensor, target: Tensor) -> None:
    """torch's warning for a target that broadcasts against the input. ``size()`` as torch
    calls it: a list target fails there as in torch."""
    if target.size() != input.size():
        warnings.warn(
            f"Using a target size ({target.shape}) that is different to the input size "
            f"({input.shape}). This will likely lead to incorrect results due to broadcasting. "
            "Please ensure they have the same size.",
            stacklevel=3,
        )


def _weighted(loss: Tensor, weight: Tensor | None, input: Tensor, reduction: str, mean_by_weight):
    if weight is None:
        return _reduce(loss, reduction)
    if weight.shape != input.shape:
        raise ValueError("Weights and input must have the same size.")
    loss = loss * weight
    if reduction == "mean" and mean_by_weight:
        return loss.sum() / weight.sum()
    return _reduce(loss, reduction)


def _fused(loss: Tensor, node_name: str, *saved: Tensor) -> Tensor:
    """``loss`` recorded as PyTorch's fused node (see ``ops.loss.FusedAs``), when recorded."""
    if not loss.requires_grad:
        return loss
    return L.FusedAs.apply(loss, node_name, *saved)


def mse_loss(
    input: Tensor,
    target: Tensor,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
    weight: Tensor | None = None,
) -> Tensor:
    """(x − y)², averaged or summed."""
    _warn_size(input, target)
    reduction = _resolve_reduction(size_average, reduce, reduction)
    diff = input - target
    if not diff.dtype.is_floating_point:
        name = torch_type_name(diff._data.dtype)
        raise NotImplementedError(f"\"mse_cpu\" not implemented for '{name}'")
    loss = _weighted(diff * diff, weight, input, reduction, mean_by_weight=True)
    return _fused(loss, "MseLossBackward0", input, target)


def l1_loss(
    input: Tensor,
    target: Tensor,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
    weight: Tensor | None = None,
) -> Tensor:
    """|x − y|, averaged or summed."""
    _warn_size(input, target)
    reduction = _resolve_reduction(size_average, reduce, reduction)
    return _weighted((input - target).abs(), weight, input, reduction, mean_by_weight=True)


def smooth_l1_loss(
    input: Tensor,
    target: Tensor,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
    beta: float = 1.0,
) -> Tensor:
    """0.5 d²/β where |d| < β, |d| − β/2 elsewhere (d = x − y); β = 0 is the L1 loss."""
    _warn_size(input, target)
    reduction = _resolve_reduction(size_average, reduce, reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    d = input - target
    ad = d.abs()
    if beta == 0.0:
        return _reduce(ad, reduction)
    # The quadratic piece sees d only where it is chosen (NaN included, as torch's backward),
    # so an infinite d elsewhere gives no 0 * inf = NaN gradient through the unused branch.
    quad = ~(ad >= beta)
    q = d.where(quad, 0.0)
    loss = (q * q * (0.5 / beta)).where(quad, ad - 0.5 * beta)
    return _fused(_reduce(loss, reduction), "SmoothL1LossBackward0", input, target)


def huber_loss(
    input: Tensor,
    target: Tensor,
    reduction: str = "mean",
    delta: float = 1.0,
    weight: Tensor | None = None,
) -> Tensor:
    """0.5 d² where |d| <= δ, δ (|d| − δ/2) elsewhere (d = x − y)."""
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    _warn_size(input, target)
    reduction = _resolve_reduction(None, None, reduction)
    d = input - target
    ad = d.abs()
    quad = ~(ad > delta)  # as in smooth_l1_loss: no NaN gradient from an unused branch
    q = d.where(quad, 0.0)
    loss = (q * q * 0.5).where(quad, (ad - 0.5 * delta) * delta)
    loss = _weighted(loss, weight, input, reduction, mean_by_weight=False)
    return _fused(loss, "HuberLossBackward0", input, target)


def _check_probabilities(input: Tensor, target: Tensor, weight, ignore_index: int) -> None:
    """torch's checks of a cross_entropy target of class probabilities (the input's shape)."""
    if not target.dtype.is_floating_point:
        raise RuntimeError(
            "Expected floating point type for target with class probabilities, got "
            f"{torch_type_name(target._data.dtype)}"
        )
    if ignore_index >= 0:
        raise RuntimeError("ignore_index is not supported for floating point target")
    if input.ndim == 0:
        raise IndexError("Dimension specified as 1 but tensor has no dimensions")
    C = input.shape[0 if input.ndim == 1 else 1]
    if weight is not None and (weight.ndim != 1 or weight.shape[0] != C):
        raise RuntimeError(
            f"cross_entropy: weight tensor should be defined either for all {C} classes or no "
            f"classes but got weight tensor of shape: {list(weight.shape)}"
        )


def _check_class_indices(input: Tensor, target: Tensor, weight, ignore_index: int) -> None:
    """torch's checks of class-index targets (nll_loss, and cross_entropy through it), in its
    order and words: batch sizes, the target's rank and shape (the kernels differ: one for 1-D
    and 2-D inputs, one for 4-D, the others reshaped to 4-D), its dtype, the weight, and
    last the range of the class indices."""
    if input.ndim == 0:
        raise ValueError("Expected 1 or more dimensions (got 0)")
    batch = target.shape[0] if target.ndim else 0
    if input.ndim != 1 and input.shape[0] != batch:
        raise ValueError(
            f"Expected input batch_size ({input.shape[0]}) to match target batch_size ({batch})."
        )
    if input.ndim <= 2 and target.ndim > 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if input.ndim == 4 and target.ndim != 3:
        raise RuntimeError(
            "only batches of spatial targets supported (3D tensors) but got targets of "
            f"dimension: {target.ndim}"
        )
    spatial = input.shape[:1] + input.shape[2:]
    if input.ndim not in (1, 2, 4) and target.shape != spatial:
        raise RuntimeError(f"Expected target size {list(spatial)}, got {list(target.shape)}")
    t = target._data
    if t.dtype not in (xp.int64, xp.uint8):
        raise RuntimeError(
            f"expected target dtype to be Long or Byte, but got {torch_type_name(t.dtype)}"
        )
    if input.ndim == 1 and target.ndim == 1 and target.shape[0] != 1:
        raise ValueError(
            f"For 1D input, 1D target must have size 1, but got target size: {target.shape[0]}"
        )
    if input.ndim == 4 and target.shape != spatial:
        raise RuntimeError(
            f"size mismatch (got input: {list(input.shape)} , target: {list(target.shape)}"
        )
    C = input.shape[0 if input.ndim == 1 else 1]
    if weight is not None and (weight.ndim != 1 or weight.shape[0] != C):
        if input.ndim > 2:  # the spatial kernel words it shorter
            raise RuntimeError("weight tensor should be defined either for all or no classes")
        raise RuntimeError(
            f"weight tensor should be defined either for all {C} classes or no classes but got "
            f"weight tensor of shape: {list(weight.shape)}"
        )
    if t.size and (t.min() < 0 or t.max() >= C):
        bad = (t != ignore_index) & ((t < 0) | (t >= C))
        if bad.any():
            raise IndexError(f"Target {int(t[bad].reshape(-1)[0])} is out of bounds.")


def _unbatched_target(input: Tensor, target: Tensor) -> Tensor:
    """The class index of an unbatched (C,) input as a 0-d tensor: torch also takes it as a
    1-D target of one element (the loss is 0-d all the same)."""
    return target.reshape(()) if input.ndim == 1 and target.ndim == 1 else target


def _check_weight_not_differentiable(weight) -> None:
    """PyTorch's NLL kernel has no gradient for the class weights: it refuses a weight that
    requires one rather than silently leaving its .grad empty."""
    if weight is not None and weight.requires_grad and is_grad_enabled():
        raise RuntimeError(
            "The function 'nll_loss_forward' is not differentiable with respect to argument "
            "'weight'. This input cannot have requires_grad True."
        )


def cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average=None,
    ignore_index: int = -100,
    reduce=None,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """−Σ_c q_c log softmax(x)_c: class-index or class-probability targets, one fused op.

    input (N, C), (N, C, d1, ...) or (C,); target class indices (N), (N, d1, ...), () or
    probabilities of the input's shape. ``weight`` rescales classes, ``ignore_index`` skips
    targets, ``label_smoothing`` ε mixes the target with the uniform distribution.
    """
    reduction = _resolve_reduction(size_average, reduce, reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    for position, (name, value) in enumerate((("input", input), ("target", target)), 1):
        if not isinstance(value, Tensor):  # torch's argument parser: no implicit conversion
            raise TypeError(
                f"cross_entropy_loss(): argument '{name}' (position {position}) must be Tensor, "
                f"not {type(value).__name__}"
            )
    probabilities = input.shape == target.shape  # torch's rule: the input's shape, soft targets
    if probabilities:
        _check_probabilities(input, target, weight, ignore_index)
    else:
        _check_class_indices(input, target, weight, ignore_index)
        _check_weight_not_differentiable(weight)
        target = _unbatched_target(input, target)
    return L.CrossEntropy.apply(input, target, weight, ignore_index, reduction, label_smoothing)


def nll_loss(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average=None,
    ignore_index: int = -100,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """−w_y · input[y]: the negative log-likelihood of log-probabilities ``input``."""
    reduction = _resolve_reduction(size_average, reduce, reduction)
    _check_class_indices(input, target, weight, ignore_index)
    _check_weight_not_differentiable(weight)
    target = _unbatched_target(input, target)
    loss = L.NllLoss.apply(input, target, weight, ignore_index, reduction)
    if reduction == "none" and input.ndim in (3,) + tuple(range(5, 9)) and loss.requires_grad:
        # torch flattens 3-D and 5-D+ inputs to 4-D for its 2-D kernel and views the
        # unreduced loss back: the printed loss shows that view
        return loss.view(loss.shape)
    return loss


def binary_cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """−w (y log x + (1 − y) log(1 − x)) for probabilities x; logs clamped at −100."""
    reduction = _resolve_reduction(size_average, reduce, reduction)
    if target.shape != input.shape:
        raise ValueError(
            f"Using a target size ({target.shape}) that is different to the input size "
            f"({input.shape}) is deprecated. Please ensure they have the same size."
        )
    if target.dtype != input.dtype:  # torch's kernel takes one dtype, unlike the logits form
        raise RuntimeError(
            f"Found dtype {torch_type_name(target.dtype.np)} but expected "
            f"{torch_type_name(input.dtype.np)}"
        )
    x = input._data
    if x.size and not ((x >= 0) & (x <= 1)).all():
        raise RuntimeError("all elements of input should be between 0 and 1")
    if weight is not None and weight.shape != input.shape:
        weight = weight.expand(input.shape)
    loss = L.BinaryCrossEntropy.apply(input, target, weight)
    if reduction == "none":
        return loss
    # torch's kernel reduces too: the reduced loss is its one BinaryCrossEntropyBackward0 node
    return _fused(_reduce(loss, reduction), "BinaryCrossEntropyBackward0", input, target)


def binary_cross_entropy_with_logits(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
    pos_weight: Tensor | None = None,
) -> Tensor:
    """BCE of σ(x) computed from the logits x stably:

    (1 − y) x − l · log σ(x),  l = 1 + (pos_weight − 1) y,  log σ(x) = min(x, 0) − log1p(e^−|x|)
    """
    reduction = _resolve_reduction(size_average, reduce, reduction)
    if target.shape != input.shape:
        raise ValueError(
            f"Target size ({target.shape}) must be the same as input size ({input.shape})"
        )
    if not target.dtype.is_floating_point and input.dtype.is_floating_point:
        # torch accumulates into (1 − y): an integer target cannot hold the float loss
        raise RuntimeError(
            f"result type {torch_type_name(input._data.dtype)} can't be cast to the desired "
            f"output type {torch_type_name(target._data.dtype)}"
        )
    log_sigmoid = A.LogSigmoid.apply(input)
    if pos_weight is not None:
        log_sigmoid = log_sigmoid * ((pos_weight - 1) * target + 1)
    loss = (1 - target) * input - log_sigmoid
    if weight is not None:
        loss = loss * weight
    loss = _reduce(loss, reduction)
    if target.dtype.is_floating_point and loss.dtype != target.dtype:
        # torch accumulates the loss in place into (1 − y), so it has the target's dtype: a
        # float64 input with a float32 target gives a float32 loss. The gradient still comes
        # from the wider loss, as torch's backward formula σ(x) − y computes it.
        loss = loss.to(target.dtype)
    kept = [t for t in (input, target, weight, pos_weight) if isinstance(t, Tensor)]
    return _fused(loss, "BinaryCrossEntropyWithLogitsBackward0", *kept)


def kl_div(
    input: Tensor,
    target: Tensor,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
    log_target: bool = False,
) -> Tensor:
    """KL(target ‖ exp(input)) pointwise: y (log y − x), or e^y (y − x) with ``log_target``.

    ``input`` holds log-probabilities. 'batchmean' divides the sum by the batch size, which is
    the mathematically correct KL divergence; 'mean' averages over all elements.
    """
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    elif reduction == "mean":
        warnings.warn(
            "reduction: 'mean' divides the total loss by both the batch size and the support "
            "size.'batchmean' divides only by the batch size, and aligns with the KL div math "
            "definition.'mean' will be changed to behave the same as 'batchmean' in the next "
            "major release.",
            stacklevel=2,
        )
    if reduction not in ("none", "mean", "sum", "batchmean"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if not (input.dtype.is_floating_point and target.dtype.is_floating_point):
        raise RuntimeError("kl_div: Integral inputs not supported.")
    if log_target:
        loss = target.exp() * (target - input)
    else:
        # y log y with 0 log 0 = +0.0, as torch's xlogy(y, y); like torch's, its gradient in
        # y is log y + 1, NaN at y = 0 (the y/y of d xlogy(y, y)/dy)
        loss = target.xlogy(target) - target * input
    if reduction == "batchmean":
        return loss.sum() / input.shape[0] if input.ndim else loss.sum()
    return _reduce(loss, reduction)


# ------------------------------------------------------------- ranking and embedding losses


def margin_ranking_loss(
    input1: Tensor,
    input2: Tensor,
    target: Tensor,
    margin: float = 0.0,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """max(0, −y (x1 − x2) + margin): x1 should rank above x2 where y = 1, below where y = −1."""
    loss = (-target * (input1 - input2) + margin).clamp_min(0)
    return _reduce(loss, _resolve_reduction(size_average, reduce, reduction))


def hinge_embedding_loss(
    input: Tensor,
    target: Tensor,
    margin: float = 1.0,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """x where y = 1, max(0, margin − x) where y = −1 (x is a distance)."""
    mismatch = broadcast_error(target.shape, input.shape)  # where(target != 1, ...)'s words
    if mismatch is not None:
        raise mismatch
    zeros = input.new_zeros(())
    output_margin = (margin - input).clamp_min(0).where(target != 1, zeros)
    output_self = input.where(target != -1, zeros)
    return _reduce(output_margin + output_self, _resolve_reduction(size_average, reduce, reduction))


def soft_margin_loss(
    input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean"
) -> Tensor:
    """log(1 + e^(−y x)), the two-class logistic loss for labels y = ±1. torch's kernel has
    no gradient for the labels: it refuses a target that requires one."""
    if target.requires_grad and is_grad_enabled():
        raise RuntimeError(
            "The function 'soft_margin_loss' is not differentiable with respect to argument "
            "'target'. This input cannot have requires_grad True."
        )
    loss = (-input * target).exp().log1p()
    loss = _reduce(loss, _resolve_reduction(size_average, reduce, reduction))
    return _fused(loss, "SoftMarginLossBackward0", input, target)


def cosine_embedding_loss(
    input1: Tensor,
    input2: Tensor,
    target: Tensor,
    margin: float = 0.0,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """1 − cos(x1, x2) where y = 1, max(0, cos(x1, x2) − margin) where y = −1."""
    dim = input1.ndim - 1
    # cos = Σ x1 x2 / √((Σ x1² + ε)(Σ x2² + ε)), ε = 1e-12 as in PyTorch's kernel
    prod_sum = (input1 * input2).sum(dim)
    mag1 = (input1 * input1).sum(dim) + 1e-12
    mag2 = (input2 * input2).sum(dim) + 1e-12
    cos = prod_sum / (mag1 * mag2).sqrt()
    zeros = cos.new_zeros(())
    pos = (1 - cos).where(target == 1, zeros)
    neg = (cos - margin).clamp_min(0).where(target == -1, zeros)
    return _reduce(pos + neg, _resolve_reduction(size_average, reduce, reduction))


def triplet_margin_loss(
    anchor: Tensor,
    positive: Tensor,
    negative: Tensor,
    margin: float = 1.0,
    p: float = 2,
    eps: float = 1e-6,
    swap: bool = False,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """max(0, d(a, p) − d(a, n) + margin) with d the p-norm distance (Balntas et al., 2016);
    ``swap`` uses min(d(a, n), d(p, n)) as the negative distance."""
    dist_pos = pairwise_distance(anchor, positive, p, eps)
    dist_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        dist_neg = dist_neg.minimum(pairwise_distance(positive, negative, p, eps))
    loss = (margin + dist_pos - dist_neg).clamp_min(0)
    return _reduce(loss, _resolve_reduction(size_average, reduce, reduction))


def multilabel_soft_margin_loss(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """Per-class logistic loss −(y log σ(x) + (1 − y) log σ(−x)), averaged over the classes."""
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    class_dim = input.ndim - 1
    loss = loss.sum(class_dim) / input.shape[class_dim]
    return _reduce(loss, _resolve_reduction(size_average, reduce, reduction, "is not valid"))


def poisson_nll_loss(
    input: Tensor,
    target: Tensor,
    log_input: bool = True,
    full: bool = False,
    size_average=None,
    eps: float = 1e-8,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """Negative log-likelihood of a Poisson target: e^x − y x (``log_input``), else
    x − y log(x + eps); ``full`` adds Stirling's y log y − y + ½ log(2π y) where y > 1."""
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        safe = target.masked_fill(target <= 1, 1.0)
        stirling = safe * safe.log() - safe + 0.5 * (2 * math.pi * safe).log()
        loss = loss + stirling.masked_fill(target <= 1, 0.0)
    return _reduce(loss, _resolve_reduction(size_average, reduce, reduction))


def gaussian_nll_loss(
    input: Tensor,
    target: Tensor,
    var: Tensor | float,
    full: bool = False,
    eps: float = 1e-6,
    reduction: str = "mean",
) -> Tensor:
    """½ (log max(var, eps) + (x − y)² / max(var, eps)), plus ½ log 2π with ``full``: the
    negative log-likelihood of y under N(x, var)."""
    if not isinstance(var, Tensor):
        var = input.new_full((), float(var))
    if var.shape != input.shape:
        if input.shape[:-1] == var.shape:
            var = var.unsqueeze(-1)
        elif not (input.shape[:-1] == var.shape[:-1] and var.shape[-1] == 1):
            raise ValueError("var is of incorrect size")
    if (var._data < 0).any():
        raise ValueError("var has negative entry/entries")
    # clamp the value, not the gradient (PyTorch clamps a copy under no_grad)
    with no_grad():
        lift = var.clamp(min=eps) - var
    var = var + lift
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, _resolve_reduction(None, None, reduction, "is not valid"))


def _class_rows(input: Tensor) -> Tensor:
    """The scores as (N, C) rows: a 1-D input is one sample; torch accepts nothing else."""
    if input.ndim > 2 or (input.ndim < 2 and input.numel() == 0):
        raise RuntimeError(
            "Expected non-empty vector or matrix with optional 0-dim batch size, but got: "
            f"{list(input.shape)}"
        )
    return input.reshape(1, -1) if input.ndim < 2 else input


def multi_margin_loss(
    input: Tensor,
    target: Tensor,
    p: int = 1,
    margin: float = 1.0,
    weight: Tensor | None = None,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """Multi-class hinge loss: loss_i = Σ_(j ≠ y_i) w_(y_i) max(0, margin − x_(y_i) + x_j)^p / C
    (p = 1 or 2), the score of the true class pushed above every other by ``margin``."""
    reduction = _resolve_reduction(size_average, reduce, reduction)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.ndim != 1:
        raise ValueError("weight must be one-dimensional")
    x = _class_rows(input)
    N, C = x.shape
    if (input.ndim == 2 and (target.ndim != 1 or target.shape[0] != N)) or target.numel() != N:
        raise RuntimeError(
            "multi_margin_loss: target tensor should be 1-D with size equal to the number of "
            f"input samples (batch size). Expected target size [{N}], but got "
            f"{list(target.shape)}. Input has shape {list(input.shape)}."
        )
    if weight is not None and weight.numel() != C:
        raise RuntimeError(f"inconsistent weight size, expected {C} but got {list(weight.shape)}")
    if str(x._data.dtype) in ("float16", "bfloat16"):  # torch's CPU kernel has no 16-bit version
        kind = torch_type_name(x._data.dtype)
        raise NotImplementedError(f"\"multi_margin_loss_cpu_kernel\" not implemented for '{kind}'")
    if target._data.dtype != xp.int64:
        raise RuntimeError(
            f"expected scalar type Long but found {torch_type_name(target._data.dtype)}"
        )
    y = target.reshape(N, 1)
    if N and (int(y.min()) < 0 or int(y.max()) >= C):
        raise RuntimeError("target out of range")
    # z_ij = margin − x_(i, y_i) + x_ij; only z > 0 counts (relu: no gradient at z = 0)
    hinge = (margin - x.gather(1, y) + x).relu()
    if p == 2:
        hinge = hinge * hinge
    if weight is not None:
        hinge = hinge * weight[y]
    true_class = zeros(x.shape, dtype=bool_).scatter_(1, y, True)
    loss = (hinge.masked_fill(true_class, 0.0).sum(1) / C).reshape(target.shape)
    return _fused(_reduce(loss, reduction), "MultiMarginLossBackward0", input, target)


def multilabel_margin_loss(
    input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean"
) -> Tensor:
    """Multi-label hinge loss: each sample's targets are the class indices in ``target`` up to
    the first −1; every target class j must beat every other class k by 1:
    loss = Σ_j Σ_(k not a target) max(0, 1 − (x_j − x_k)) / C."""
    reduction = _resolve_reduction(size_average, reduce, reduction)
    x = _class_rows(input)
    N, C = x.shape
    if target.shape != input.shape:
        raise RuntimeError(
            f"inconsistent target size: {list(target.shape)} for input of size: {list(input.shape)}"
        )
    t = target._data.reshape(N, C)
    if t.size and (t.min() < -1 or t.max() >= C):
        raise RuntimeError("argument #2 'target' is out of range")
    listed = xp.cumprod(t != -1, axis=1).astype(bool)  # (N, K): the entries before the first −1
    t_safe = xp.where(listed, t, 0)
    is_target = xp.zeros((N, C), dtype=bool)
    is_target[xp.nonzero(listed)[0], t_safe[listed]] = True
    x_target = x.gather(1, as_tensor(t_safe))  # (N, K): the score of each listed target
    hinge = (1 - x_target.unsqueeze(2) + x.unsqueeze(1)).relu()  # (N, K, C)
    counted = listed[:, :, None] & ~is_target[:, None, :]
    loss = hinge.masked_fill(as_tensor(~counted), 0.0).sum((1, 2)) / C
    loss = loss.reshape(input.shape[:-1])
    return _fused(_reduce(loss, reduction), "MultilabelMarginLossBackward0", input, target)


def triplet_margin_with_distance_loss(
    anchor: Tensor,
    positive: Tensor,
    negative: Tensor,
    *,
    distance_function=None,
    margin: float = 1.0,
    swap: bool = False,
    reduction: str = "mean",
) -> Tensor:
    """max(0, margin + d(a, p) − d(a, n)) for any distance ``d`` (default: the Euclidean
    ``pairwise_distance``); ``swap`` uses min(d(a, n), d(p, n)) as the negative distance."""
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    a_dim, p_dim, n_dim = anchor.ndim, positive.ndim, negative.ndim
    if not a_dim == p_dim == n_dim:
        raise RuntimeError(
            "The anchor, positive, and negative tensors are expected to have the same number "
            f"of dimensions, but got: anchor {a_dim}D, positive {p_dim}D, and negative "
            f"{n_dim}D inputs"
        )
    distance = pairwise_distance if distance_function is None else distance_function
    dist_pos = distance(anchor, positive)
    dist_neg = distance(anchor, negative)
    if swap:
        dist_neg = dist_neg.minimum(distance(positive, negative))
    return _reduce((margin + dist_pos - dist_neg).clamp_min(0), reduction)
