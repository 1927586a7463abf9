"""Fused, numerically stable loss kernels: cross-entropy, negative log-likelihood, binary CE.

Cross-entropy is one op: the forward computes log-softmax with the log-sum-exp shift and picks
the target entries; the backward is (softmax − target) · scale computed directly on arrays,
with no graph of small ops in between. Under ``create_graph=True`` the same gradient is built
from Tensor operations instead, so double backward works.

Shapes: input (N, C, d1, ...) or (C,); the class axis is 1 (0 for unbatched input). Class-index
targets have the input's shape without the class axis; probability targets the input's shape.
"""

from __future__ import annotations

from gradiente.autograd import function as _function
from gradiente.autograd.grad_mode import grad_state
from gradiente.backend import as_array, get_array_module, open_grid, xp
from gradiente.ops.array_function import ArrayFunction


def _tensor(array):
    return _function._Tensor._make(array, False, None)


def _log_softmax(x, axis):
    # log softmax(x) = x − m − log Σ e^(x − m),  m = max x  (nothing overflows)
    shifted = x - xp.amax(x, axis=axis, keepdims=True)
    return shifted - xp.log(xp.sum(xp.exp(shifted), axis=axis, keepdims=True))


def _target_index(t, axis):
    """The fancy index of the target entries: ``x[index]`` has t's shape and holds
    x[i, t_i] (x[i, t_i, j, k] for spatial inputs, x[t] for an unbatched one)."""
    if t.ndim == 1 and axis == 1:
        return (get_array_module(t).arange(t.shape[0]), t)
    grids = open_grid(t, t.shape)
    grids.insert(axis, t)
    return tuple(grids)


def _unsqueeze(a, axis):
    """``a`` with a new axis of length 1 at ``axis`` (a cheap view; np.expand_dims is slower)."""
    return as_array(a)[(slice(None),) * axis + (None,)]


class CrossEntropy(ArrayFunction):
    """loss_i = −Σ_c q_ic log softmax(x_i)_c for a target distribution q (one op).

    With class indices y, weights w and label smoothing ε, PyTorch's loss is this form with
    q_ic = (1 − ε) w_y δ(c, y_i) + (ε / C) w_c (zero rows for ignored targets), and 'mean'
    divides by Σ_i w_(y_i) over the kept targets. With probability targets p,
    q = ((1 − ε) p + ε / C) · w and 'mean' divides by the number of rows.
    dL/dx_ic = s_i (softmax(x_i)_c Σ_c' q_ic' − q_ic), s_i the upstream gradient of loss_i.
    """

    backward_name = "CrossEntropyLossBackward0"

    def name(self) -> str:
        return self.node_name

    @staticmethod
    def _torch_node_name(ndim: int, probabilities: bool, eps: float, reduction: str) -> str:
        """The node torch's composed cross-entropy ends in, which a printed loss shows: the
        NLL node for class indices (its 2-D form past 2 dims), the sum of the smoothed terms
        with label smoothing, the batch division (or negation) for probability targets."""
        if probabilities:
            return "DivBackward1" if reduction == "mean" else "NegBackward0"
        if eps > 0:
            return "AddBackward0"
        return "NllLoss2DBackward0" if ndim > 2 else "NllLossBackward0"

    @staticmethod
    def forward(ctx, input, target, weight, ignore_index, reduction, label_smoothing):
        x = input._data
        axis = 0 if x.ndim == 1 else 1
        C = x.shape[axis]
        logp = _log_softmax(x, axis)
        w = None if weight is None else weight._data
        w_b = None  # the class weights, shaped to broadcast along the class axis
        if w is not None:
            w_b = w.reshape((C,) + (1,) * (x.ndim - axis - 1))
        ctx.axis, ctx.reduction, ctx.eps, ctx.C = axis, reduction, label_smoothing, C
        ctx.logp, ctx.w_b = logp, w_b
        ctx.node_name = CrossEntropy._torch_node_name(
            x.ndim, target._data.dtype.kind == "f", label_smoothing, reduction
        )
        eps = label_smoothing
        probabilities = target._data.dtype.kind == "f"
        # What torch's composition nll_loss(log_softmax(x)) keeps: log_softmax's output (here
        # ctx.logp), not x, so changing x in place before backward is allowed; the target where
        # a node keeps it (not with smoothed probabilities: those are a new tensor), the weight.
        kept_target = None if probabilities and eps > 0 else target
        ctx.save_for_backward(kept_target, weight)
        ctx.target, ctx.target_version = target, target._get_version_counter().value
        ctx.input, ctx.input_version = input, input._get_version_counter().value
        if probabilities:
            # Probability targets: q = ((1 − ε) p + ε/C) · w
            q = target._data
            if eps > 0:
                q = q * (1 - eps) + eps / C
                ctx.smoothed = q  # backward's q: the target may change in place meanwhile
            if w_b is not None:
                q = q * w_b
            # PyTorch negates after summing: −Σ over everything for 'sum'/'mean' (so an
            # all-zero loss is −0.0), −Σ over the classes for 'none'
            terms = logp * q
            losses = -terms.sum(axis=axis) if reduction == "none" else -terms.sum()
            ctx.prob = True
            ctx.denom = x.size / C if x.size else xp.nan
        else:
            t = target._data
            valid = t != ignore_index
            t_safe = xp.where(valid, t, 0)
            idx = _target_index(t_safe, axis)
            picked = logp[idx]
            w_t = valid.astype(x.dtype) if w is None else w[t_safe] * valid
            a = (1 - eps) * w_t  # weight of the target class in q
            losses = -a * picked
            b = None
            if eps > 0:
                b = (eps / C) * valid.astype(x.dtype)  # weight of the uniform part of q
                sum_wlogp = logp.sum(axis=axis) if w_b is None else (logp * w_b).sum(axis=axis)
                losses = losses - b * sum_wlogp
            # an ignored target's loss is exactly 0, even where its row holds NaN or inf
            losses = xp.where(valid, losses, 0.0)
            ctx.prob = False
            ctx.idx, ctx.a, ctx.b, ctx.valid = idx, a, b, valid
            ctx.denom = w_t.sum()
        if reduction == "none":
            if x.ndim == 1 and not ctx.prob:  # one sample: PyTorch's 0 − loss (+0.0 if zero)
                losses = losses + 0.0
            return losses.astype(x.dtype, copy=False)
        total = losses if ctx.prob else losses.sum()  # (NumPy's sum of a 0-d -0.0 is +0.0)
        if reduction == "mean":
            total = total / ctx.denom if ctx.denom else as_array(xp.nan, dtype=x.dtype)
        return as_array(total, dtype=x.dtype)

    @staticmethod
    def backward(ctx, grad):
        _ = ctx.saved_tensors  # refuses a target or weight changed in place since the forward
        input, target = ctx.input, ctx.target
        need_input, need_target = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        if grad_state.enabled:
            return _cross_entropy_backward_tensors(ctx, grad, input, target)
        axis = ctx.axis
        s = grad._data  # dL/d(loss_i): per element for 'none', one number otherwise
        if ctx.reduction == "mean":
            s = s / ctx.denom
        s_b = _unsqueeze(s, axis) if ctx.reduction == "none" else s  # along the classes
        grad_input = grad_target = grad_weight = None
        logp = ctx.logp
        if ctx.prob:
            q = ctx.smoothed if ctx.eps > 0 else target._data
            if ctx.needs_input_grad[2]:
                # dL/dw_c = −Σ_i s_i q_ic log softmax(x_i)_c (q before the weights)
                grad_weight = _sum_to_classes(-(q * logp) * s_b, axis)
            if need_input:
                # PyTorch composes this loss, −Σ_c log softmax(x)_c q_c w_c, and its gradient
                # follows the composition: g = (−s w) q through the products, then log-softmax's
                # backward g − softmax · Σ_c g. In exact arithmetic that is
                # s (softmax Σ_c q_c w_c − q w); computed in this order an infinite s or weight
                # gives PyTorch's NaNs and infinities.
                g = -s_b * q if ctx.w_b is None else (-s_b * ctx.w_b) * q
                grad_input = g - xp.exp(logp) * g.sum(axis=axis, keepdims=True)
            if need_target:
                # dL/dp = −(1 − ε) w log softmax(x) · s
                factor = -(1 - ctx.eps) * s_b
                grad_target = logp * factor if ctx.w_b is None else logp * ctx.w_b * factor
        elif need_input:
            # An ignored target's row gets exactly 0, as in PyTorch, even where the mean's
            # 1/Σw is 1/0 (every target ignored): 0 · ∞ would be NaN.
            s = xp.where(ctx.valid, s, 0)
            a, b = ctx.a, ctx.b
            coef = a if b is None else a + b * (ctx.C if ctx.w_b is None else ctx.w_b.sum())
            coef, a_s = coef * s, a * s
            grad_input = xp.exp(logp) * _unsqueeze(coef, axis)
            if b is not None:
                w = 1.0 if ctx.w_b is None else ctx.w_b
                grad_input -= _unsqueeze(b * s, axis) * w
            # subtract a_i s_i at the target class: (softmax − one_hot) scaled
            grad_input[ctx.idx] -= a_s
        return grad_input, grad_target, grad_weight, None, None, None


def _sum_to_classes(a, axis):
    """Σ of ``a`` over every axis but the class axis: shape (C,)."""
    return a.sum(axis=tuple(d for d in range(a.ndim) if d != axis))


def _cross_entropy_backward_tensors(ctx, grad, input, target):
    """The cross-entropy gradient built from Tensor ops (used with create_graph=True).

    The graph of this gradient runs through log_softmax(x), recomputed from x (and smoothed
    targets, recomputed from the target): an x or target changed in place since the forward is
    refused here (torch would differentiate the outputs it saved).
    """
    for tensor, version in ((input, ctx.input_version), (target, ctx.target_version)):
        counter = tensor._get_version_counter()
        _function._check_version(counter, version, tensor._data, ctx)
    axis, eps, C = ctx.axis, ctx.eps, ctx.C
    s = grad if ctx.reduction == "none" else grad.reshape(())
    if ctx.reduction == "mean":
        s = s / float(ctx.denom)
    s_b = s.unsqueeze(axis) if ctx.reduction == "none" else s
    logp = input.log_softmax(axis)
    w_b = None if ctx.w_b is None else _tensor(ctx.w_b)
    grad_input = grad_target = grad_weight = None
    if ctx.prob:
        q = target
        if eps > 0:
            q = q * (1 - eps) + eps / C
        if ctx.needs_input_grad[2]:
            grad_weight = _sum_to_classes(-(q * logp) * s_b, axis)
        if w_b is not None:
            q = q * w_b
        if ctx.needs_input_grad[0]:
            grad_input = (logp.exp() * q.sum(axis, keepdim=True) - q) * s_b
        if ctx.needs_input_grad[1]:
            factor = s_b * -(1 - eps)
            grad_target = logp * factor if w_b is None else logp * w_b * factor
        return grad_input, grad_target, grad_weight, None, None, None
    # ignored rows get exactly 0 (see CrossEntropy.backward)
    valid = _tensor(ctx.valid)
    s_b = s.expand(tuple(valid.shape)).masked_fill(~valid, 0.0).unsqueeze(axis)
    # Dense q for class indices: a_i at the target class plus b_i w_c everywhere.
    x = input._data
    q = xp.zeros_like(x)
    q[ctx.idx] = ctx.a
    if ctx.b is not None:
        q = q + _unsqueeze(ctx.b, axis) * (1.0 if ctx.w_b is None else ctx.w_b)
    q_t = _tensor(q)
    sum_q = _tensor(q.sum(axis=axis, keepdims=True))
    grad_input = (logp.exp() * sum_q - q_t) * s_b
    if ctx.reduction == "mean" and not ctx.denom:
        # kept targets whose weights sum to 0: PyTorch's 0 · (1/0) makes their rows NaN
        grad_input = grad_input.masked_fill(_tensor(_unsqueeze(ctx.valid, axis)), float("nan"))
    return grad_input, None, None, None, None, None


class NllLoss(ArrayFunction):
    """loss_i = −w_(y_i) · input[i, y_i] (input holds log-probabilities); 'mean' divides by
    Σ_i w_(y_i) over kept targets. dL/dinput is −w_y s_i at the target class, 0 elsewhere."""

    backward_name = "NllLossBackward0"

    def name(self) -> str:
        # torch runs its 2-D kernel (nll_loss2d) on inputs with spatial dims
        return "NllLoss2DBackward0" if self.ndim > 2 else "NllLossBackward0"

    @staticmethod
    def forward(ctx, input, target, weight, ignore_index, reduction):
        x = input._data
        ctx.ndim = x.ndim
        axis = 0 if x.ndim == 1 else 1
        t = target._data
        valid = t != ignore_index
        t_safe = xp.where(valid, t, 0)
        idx = _target_index(t_safe, axis)
        picked = x[idx]
        w_t = valid.astype(x.dtype) if weight is None else weight._data[t_safe] * valid
        # an ignored target's loss is exactly 0, even where its input row holds NaN or inf
        losses = xp.where(valid, -w_t * picked, 0.0)
        ctx.axis, ctx.idx, ctx.w_t, ctx.reduction = axis, idx, w_t, reduction
        ctx.valid = valid
        ctx.shape, ctx.dtype = x.shape, x.dtype
        ctx.denom = w_t.sum()
        ctx.save_for_backward(input, target, weight)  # as torch: backward refuses in-place edits
        if reduction == "none":
            if x.ndim == 1:  # one sample: PyTorch's 0 − loss, so a zero loss is +0.0
                losses = losses + 0.0
            return losses.astype(x.dtype, copy=False)
        total = losses.sum()
        if reduction == "mean":
            with xp.errstate(divide="ignore", invalid="ignore"):
                total = total / ctx.denom  # every target ignored: 0 / 0 = NaN, as torch
        return as_array(total, dtype=x.dtype)

    @staticmethod
    def backward(ctx, grad):
        _ = ctx.saved_tensors  # refuses an input, target or weight changed in place since
        axis = ctx.axis
        # −w_(y_i) s_i at each kept target (i, y_i) and exactly 0 everywhere else, as in
        # PyTorch, which writes only those entries: a plain pattern · s would put 0 · ∞ = NaN
        # everywhere when the mean's 1/Σw is 1/0 (every target ignored or weighted 0).
        m = get_array_module(ctx.valid)  # built where the target lives (CPU or CUDA)
        pattern = m.zeros(ctx.shape, dtype=ctx.dtype)
        pattern[ctx.idx] = -ctx.w_t
        written = m.zeros(ctx.shape, dtype=bool)
        written[ctx.idx] = ctx.valid
        valid = _tensor(_unsqueeze(ctx.valid, axis))
        if ctx.reduction == "none":
            s = grad.unsqueeze(axis)
        else:
            s = grad.reshape(())
            if ctx.reduction == "mean":
                s = s / float(ctx.denom)
        s = s.expand(tuple(valid.shape)).masked_fill(~valid, 0.0)
        out = (_tensor(pattern) * s).masked_fill(_tensor(~written), 0.0)
        return (out if grad_state.enabled else out._data), None, None, None, None


class BinaryCrossEntropy(ArrayFunction):
    """loss = −w (t log x + (1 − t) log(1 − x)), each log clamped at −100 (PyTorch's rule, so
    x = 0 or 1 gives a finite loss). dL/dx = w (x − t) / max(x (1 − x), 1e-12);
    dL/dt = w (log(1 − x) − log x). The backward is in Tensor ops (double backward works)."""

    backward_name = "BinaryCrossEntropyBackward0"

    @staticmethod
    def forward(ctx, input, target, weight):
        x, t = input._data, target._data
        with xp.errstate(divide="ignore"):
            log_x = xp.maximum(xp.log(x), -100.0)
            log_1mx = xp.maximum(xp.log1p(-x), -100.0)
        loss = -(t * log_x + (1 - t) * log_1mx)
        if weight is not None:
            loss = loss * weight._data
        ctx.save_for_backward(input, target, weight)
        return loss.astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        x, t, w = ctx.saved_tensors
        g = grad if w is None else grad * w
        grad_x = grad_t = None
        if ctx.needs_input_grad[0]:
            grad_x = g * (x - t) / ((1 - x) * x).clamp(min=1e-12)
        if ctx.needs_input_grad[1]:
            grad_t = g * ((-x).log1p() - x.log())
        return grad_x, grad_t, None


class FusedAs(ArrayFunction):
    """A loss composed of Tensor ops, recorded as PyTorch's fused loss node.

    ``value`` passes through unchanged (its own graph gives the gradients); the node keeps
    ``saved`` as PyTorch's fused kernel keeps them (input and target), so that an in-place
    change of one of them before backward is refused as in PyTorch, and it bears PyTorch's
    name (``MseLossBackward0``, ...), so a printed loss shows the same ``grad_fn``.
    """

    @staticmethod
    def forward(ctx, value, node_name, *saved):
        ctx.node_name = node_name
        ctx.save_for_backward(*saved)
        return value._data

    @staticmethod
    def backward(ctx, grad):
        saved = ctx.saved_tensors  # refuses if one was changed in place since
        return (grad, None, *(None,) * len(saved))

    def name(self) -> str:
        return self.node_name

    @property
    def next_functions(self) -> tuple:
        """The fused node's inputs, as torch shows them (input, then target): graph-walking
        code sees torch's graph; the engine follows the composed one below (``_edges[0]``)."""
        return tuple(
            edge
            for edge, meta in zip(self._edges[2:], self._input_meta[2:], strict=True)
            if meta[1].kind in "fc"
        )


class ShownAs(FusedAs):
    """A result composed of Tensor ops, recorded as PyTorch's single node for it, which keeps
    no tensor (an upsampling kernel saves only sizes): like ``FusedAs``, but ``shown`` (the
    inputs torch's node points to) are only shown in ``next_functions``, not saved, so changing
    them in place afterwards stays allowed, as in PyTorch."""

    @staticmethod
    def forward(ctx, value, node_name, *shown):
        ctx.node_name, ctx.num_shown = node_name, len(shown)
        return value._data

    @staticmethod
    def backward(ctx, grad):
        return (grad, None, *(None,) * ctx.num_shown)
