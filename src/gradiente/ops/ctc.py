"""Connectionist Temporal Classification loss (Graves et al., 2006) as one op, ``CtcLoss``.

CTC scores every alignment of a target sequence l (length L) to T input frames: the extended
sequence l' = (blank, l_1, blank, l_2, ..., l_L, blank) has S = 2L + 1 positions, and a path
moves at each frame to the same position, the next one, or skips a blank between two
different labels. With log-probabilities y_t(c) (the input), the forward variables are

    α_0(0) = y_0(blank),  α_0(1) = y_0(l'_1)
    α_t(s) = y_t(l'_s) + logsumexp(α_{t−1}(s), α_{t−1}(s−1), α_{t−1}(s−2) if l'_s ≠ l'_{s−2})

and −log p(l | x) = −logsumexp(α_{T−1}(S−1), α_{T−1}(S−2)). The backward variables β run the
same recursion from the end (β includes y_t(l'_s) too), and the gradient is

    ∂loss/∂y_t(c) = exp(y_t(c)) − exp(logsumexp_{s: l'_s = c}(α_t(s) + β_t(s)) + nll − y_t(c)),

PyTorch's form: the exp(y) term makes it the gradient of the loss with respect to the logits
that produced y through log_softmax (the two forms agree after log_softmax's backward, whose
input gradient sums to zero over c). Frames past a sample's input length get zero gradient.
All batch samples run together: the loops are over frames only, on (N, S) arrays.
"""

from __future__ import annotations

from gradiente.autograd import function as _function
from gradiente.autograd.grad_mode import grad_state
from gradiente.backend import xp
from gradiente.ops.array_function import ArrayFunction


def _logsumexp3(a, b, c):
    """log(e^a + e^b + e^c) element-wise, shifted by the max; all −∞ gives −∞ (torch's rule:
    a max of −∞ is replaced by 0 so no ∞ − ∞ appears)."""
    m = xp.maximum(xp.maximum(a, b), c)
    m = xp.where(m == -xp.inf, 0, m)
    with xp.errstate(divide="ignore"):
        return xp.log(xp.exp(a - m) + xp.exp(b - m) + xp.exp(c - m)) + m


def _shift(a, k):
    """``a`` moved k places right along the last axis, −∞ shifted in: out[..., s] = a[..., s−k]."""
    out = xp.full_like(a, -xp.inf)
    out[..., k:] = a[..., :-k]
    return out


def _unshift(a, k):
    """``a`` moved k places left along the last axis: out[..., s] = a[..., s+k]."""
    out = xp.full_like(a, -xp.inf)
    out[..., :-k] = a[..., k:]
    return out


def extended_targets(targets, target_lengths, blank: int):
    """(labels, can_skip, valid): l' per sample as an (N, S) int array (S = 2·max L + 1),
    whether position s may be reached from s − 2 (l'_s ≠ l'_{s−2}), and which positions exist
    (s ≤ 2 L_n)."""
    N = len(target_lengths)
    S = 2 * (int(target_lengths.max()) if N else 0) + 1
    labels = xp.full((N, S), blank, dtype=xp.int64)
    for n in range(N):
        labels[n, 1 : 2 * int(target_lengths[n]) : 2] = targets[n][: int(target_lengths[n])]
    can_skip = xp.zeros((N, S), dtype=bool)
    can_skip[:, 2:] = labels[:, 2:] != labels[:, :-2]
    valid = xp.arange(S)[None, :] <= 2 * target_lengths[:, None]
    return labels, can_skip, valid


class CtcLoss(ArrayFunction):
    """The per-sample negative log-likelihood of CTC: log_probs (T, N, C) → nll (N,).

    ``targets`` is a list of N integer arrays (each already cut to its length); the lengths
    are int arrays. With ``zero_infinity`` an infinite loss (no valid alignment) and its
    gradient are 0.
    """

    backward_name = "CtcLossBackward0"

    @staticmethod
    def forward(ctx, log_probs, targets, input_lengths, target_lengths, blank, zero_infinity):
        lp = log_probs._data  # (T, N, C)
        T, N, C = lp.shape
        labels, can_skip, valid = extended_targets(targets, target_lengths, blank)
        batch = xp.arange(N)[:, None]
        emit = lp[:, batch, labels]  # (T, N, S): y_t(l'_s)
        alpha = xp.full(emit.shape, -xp.inf, dtype=lp.dtype)
        alpha[0, :, 0] = emit[0, :, 0]
        if alpha.shape[2] > 1:
            alpha[0, :, 1] = xp.where(target_lengths > 0, emit[0, :, 1], -xp.inf)
        for t in range(1, T):
            previous = alpha[t - 1]
            skip = xp.where(can_skip, _shift(previous, 2), -xp.inf)
            step = _logsumexp3(previous, _shift(previous, 1), skip) + emit[t]
            alpha[t] = xp.where(valid, step, -xp.inf)
        # −log p = −logsumexp(α_{T_n−1}(2 L_n), α_{T_n−1}(2 L_n − 1))
        last = alpha[input_lengths - 1, xp.arange(N)]  # (N, S)
        end = last[xp.arange(N), 2 * target_lengths]
        before_end = xp.where(
            target_lengths > 0, last[xp.arange(N), xp.maximum(2 * target_lengths - 1, 0)], -xp.inf
        )
        m = xp.maximum(end, before_end)
        m = xp.where(m == -xp.inf, 0, m)
        with xp.errstate(divide="ignore"):
            nll = -(xp.log(xp.exp(end - m) + xp.exp(before_end - m)) + m)
        ctx.save_for_backward(log_probs)
        ctx.alpha, ctx.emit, ctx.nll = alpha, emit, nll
        ctx.labels, ctx.can_skip, ctx.valid = labels, can_skip, valid
        ctx.input_lengths, ctx.target_lengths = input_lengths, target_lengths
        ctx.zero_infinity = zero_infinity
        if zero_infinity:
            nll = xp.where(nll == xp.inf, 0, nll)
        return nll.astype(lp.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        if grad_state.enabled:
            raise RuntimeError("derivative for aten::_ctc_loss_backward is not implemented")
        (log_probs,) = ctx.saved_tensors
        lp = log_probs._data
        T, N, C = lp.shape
        alpha, emit, labels = ctx.alpha, ctx.emit, ctx.labels
        lengths, target_lengths = ctx.input_lengths, ctx.target_lengths
        S = labels.shape[1]
        batch = xp.arange(N)
        # β, from each sample's last frame T_n − 1 backwards (−∞ at frames ≥ T_n)
        beta = xp.full(emit.shape, -xp.inf, dtype=lp.dtype)
        end = 2 * target_lengths
        for t in range(T - 1, -1, -1):
            if t < T - 1:
                following = beta[t + 1]
                skip = xp.where(_unshift(ctx.can_skip, 2), _unshift(following, 2), -xp.inf)
                step = _logsumexp3(following, _unshift(following, 1), skip) + emit[t]
                beta[t] = xp.where(ctx.valid, step, -xp.inf)
            # samples whose last frame is t start here: β(2 L) = y(blank), β(2 L − 1) = y(l_L)
            for n in xp.nonzero(lengths - 1 == t)[0]:
                beta[t, n] = -xp.inf
                beta[t, n, end[n]] = emit[t, n, end[n]]
                if target_lengths[n] > 0:
                    beta[t, n, end[n] - 1] = emit[t, n, end[n] - 1]
        # log Σ_{s: l'_s = c} e^(α + β), by a shift to the max over s and a one-hot product
        ab = alpha + beta  # (T, N, S)
        shift = ab.max(axis=2, keepdims=True)
        shift = xp.where(shift == -xp.inf, 0, shift)
        one_hot = xp.zeros((N, S, C), dtype=lp.dtype)
        one_hot[batch[:, None], xp.arange(S)[None, :], labels] = ctx.valid
        with xp.errstate(divide="ignore", invalid="ignore", over="ignore"):
            lcab = xp.log(xp.einsum("tns,nsc->tnc", xp.exp(ab - shift), one_hot)) + shift
            gradient = xp.exp(lp) - xp.exp(lcab + ctx.nll[None, :, None] - lp)
        gradient = gradient * grad._data[None, :, None]
        past_end = xp.arange(T)[:, None] >= lengths[None, :]  # (T, N)
        gradient[past_end] = 0
        if ctx.zero_infinity:
            gradient[:, ctx.nll == xp.inf] = 0
        return gradient.astype(lp.dtype, copy=False), None, None, None, None, None


# ---------------------------------------------------------------------------------- functional
def _lengths(values, name: str, batch: int):
    """Lengths as an int64 array of ``batch`` entries (a tensor, or a list of ints)."""
    data = getattr(values, "_data", None)
    if data is None:
        data = xp.asarray(values)
        if data.ndim == 0 or data.dtype.kind not in "iu":
            raise TypeError(
                f"ctc_loss(): argument '{name}' must be tuple of ints, but found element of type "
                f"{type(values).__name__}"
            )
    elif data.dtype.kind not in "iu":
        raise RuntimeError(f"{name} must be integral")
    data = xp.asarray(data, dtype=xp.int64).reshape(-1)
    if data.shape[0] != batch:
        raise RuntimeError(f"{name} must be of size batch_size")
    return data


def _check_labels(sequences, num_classes: int) -> None:
    """Every target label must be a class of the input. (torch's CPU kernel does not check
    and reads past the classes, a garbage loss; here it is an error that says so.)"""
    for labels in sequences:
        bad = labels[(labels < 0) | (labels >= num_classes)]
        if bad.size:
            raise RuntimeError(
                f"ctc_loss: target label {int(bad[0])} is out of range for log_probs with "
                f"{num_classes} classes"
            )


def ctc_loss(
    log_probs,
    targets,
    input_lengths,
    target_lengths,
    blank: int = 0,
    reduction: str = "mean",
    zero_infinity: bool = False,
):
    """The CTC loss (``torch.nn.functional.ctc_loss``).

    ``log_probs`` (T, N, C) or unbatched (T, C) holds log-probabilities (log_softmax output);
    ``targets`` is (N, S) padded or 1-D, all targets concatenated; the lengths are tensors or
    lists of ints. 'mean' divides each loss by its target length (at least 1) and averages
    over the batch, as torch does.
    """
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if log_probs._data.dtype.kind != "f":
        raise NotImplementedError(
            f"\"ctc_loss_cpu\" not implemented for '{log_probs.dtype.name.capitalize()}'"
        )
    batched = log_probs.ndim == 3
    if not batched:
        log_probs = log_probs.unsqueeze(1)
    T, N, C = log_probs.shape
    target_array = targets._data if batched or targets.ndim != 1 else targets._data[None, :]
    input_lengths = _lengths(input_lengths, "input_lengths", N)
    target_lengths = _lengths(target_lengths, "target_lengths", N)
    if blank < 0 or blank >= C:
        raise RuntimeError("blank must be in label range")
    where = "(while checking arguments for ctc_loss_allocate_outputs)"
    if target_array.ndim == 1:  # concatenated
        total = int(target_lengths.sum())
        if target_array.shape[0] != total:
            raise RuntimeError(
                f"Expected tensor to have size {total} at dimension 0, but got size "
                f"{target_array.shape[0]} for argument #2 'targets' {where}"
            )
        offsets = xp.concatenate([xp.zeros(1, dtype=xp.int64), xp.cumsum(target_lengths)])
        sequences = [target_array[offsets[n] : offsets[n + 1]] for n in range(N)]
    else:
        longest = int(target_lengths.max()) if N else 0
        if target_array.shape[1] < longest:
            raise RuntimeError(
                f"Expected tensor to have size at least {longest} at dimension 1, but got size "
                f"{target_array.shape[1]} for argument #2 'targets' {where}"
            )
        sequences = [target_array[n, : target_lengths[n]] for n in range(N)]
    _check_labels(sequences, C)
    for n in range(N):
        if input_lengths[n] > T:
            raise RuntimeError(
                f"Expected input_lengths to have value at most {T}, but got value "
                f"{int(input_lengths[n])} {where}"
            )
    nll = CtcLoss.apply(log_probs, sequences, input_lengths, target_lengths, blank, zero_infinity)
    if reduction == "mean":
        divisor = xp.maximum(target_lengths, 1).astype(nll._data.dtype)
        return (nll / _function._Tensor._make(divisor, False, None)).mean()
    if reduction == "sum":
        return nll.sum()
    return nll if batched else nll.squeeze(0)
