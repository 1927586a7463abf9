"""Batch and layer normalization as one op each: statistics, normalization and affine together.

Both normalise x over some axes R (BatchNorm: every axis but the channels; LayerNorm: the last
ones) and apply a per-feature affine map:

    μ = mean_R x,   σ² = mean_R (x − μ)²  (biased),   x̂ = (x − μ) / √(σ² + ε),   y = γ x̂ + β

The backward is the closed form (N = number of elements in R, g = dL/dy, ĝ = γ g):

    dL/dx = (1/√(σ² + ε)) / N · (N ĝ − Σ_R ĝ − x̂ Σ_R (ĝ x̂)),   dL/dγ = Σ g x̂,   dL/dβ = Σ g

computed on arrays; under ``create_graph=True`` the same formula is built from Tensor ops.
"""

from __future__ import annotations

import contextlib
import math
import warnings

from gradiente.autograd import function as _function
from gradiente.autograd.grad_mode import grad_state
from gradiente.backend import xp
from gradiente.ops.array_function import ArrayFunction


def _tensor(array):
    return _function._Tensor._make(array, False, None)


@contextlib.contextmanager
def _quiet_if(empty: bool):
    """Silence NumPy's "Mean of empty slice" warning for statistics over no elements. Only
    then: entering ``warnings.catch_warnings`` resets Python's record of the warnings already
    shown, so doing it on every call would repeat the "once" warnings of other code."""
    if not empty:
        yield
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


class NormalizeAffine(ArrayFunction):
    """y = γ x̂ + β with x̂ normalised over ``stat_axes``; γ, β broadcast as ``param_shape``.

    ``param_axes`` are the axes dL/dγ and dL/dβ are summed over. When ``running`` is given as
    (running_mean, running_var, momentum), those buffers are updated in place with the batch
    mean and the unbiased batch variance (BatchNorm in training mode), as PyTorch's kernel does.
    """

    backward_name = "NativeBatchNormBackward0"

    def name(self) -> str:
        """torch's node: batch norm's statistics are over the axes its parameters are summed
        over (all but the channels); layer norm's over the others (the trailing ones)."""
        return getattr(self, "node_name", self.backward_name)

    @staticmethod
    def forward(ctx, input, weight, bias, stat_axes, param_shape, param_axes, eps, running):
        x = input._data
        ctx.node_name = (
            "NativeBatchNormBackward0" if stat_axes == param_axes else "NativeLayerNormBackward0"
        )
        # elements per statistic; none (an empty axis) gives NaN statistics, as in torch
        ctx.count = math.prod(x.shape[a] for a in stat_axes)
        with xp.errstate(invalid="ignore", divide="ignore"), _quiet_if(ctx.count == 0):
            mean = x.mean(axis=stat_axes, keepdims=True)
            xhat = x - mean  # centred now, normalised in place below
            var = (xhat * xhat).mean(axis=stat_axes, keepdims=True)
            invstd = 1.0 / xp.sqrt(var + eps)
        xhat *= invstd
        if running is not None:
            running_mean, running_var, momentum = running
            n = ctx.count
            # running ← (1 − m) running + m · batch statistic (variance unbiased: × n/(n−1))
            running_mean._data[...] = momentum * mean.reshape(-1) + (1 - momentum) * (
                running_mean._data
            )
            unbiased = var.reshape(-1) * (n / (n - 1))
            running_var._data[...] = momentum * unbiased + (1 - momentum) * running_var._data
            running_mean._bump()
            running_var._bump()
        ctx.save_for_backward(input, weight)
        ctx.xhat, ctx.invstd = xhat, invstd
        ctx.bias_shape = None if bias is None else bias._data.shape
        ctx.stat_axes, ctx.param_axes = stat_axes, param_axes
        ctx.param_shape, ctx.eps = param_shape, eps
        y = xhat * weight._data.reshape(param_shape) if weight is not None else xhat.copy()
        if bias is not None:
            y += bias._data.reshape(param_shape)
        return y

    @staticmethod
    def backward(ctx, grad):
        input, weight = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        nones = (None,) * 5
        if grad_state.enabled:
            return _backward_tensors(ctx, grad, input, weight) + nones
        g = grad._data
        xhat, invstd = ctx.xhat, ctx.invstd
        R, P = ctx.stat_axes, ctx.param_axes
        w = 1.0 if weight is None else weight._data.reshape(ctx.param_shape)
        grad_x = grad_w = grad_b = None
        if R == P:
            # BatchNorm: γ is constant over each reduction group, so Σ_R ĝ = γ Σ_R g and
            # Σ_R ĝ x̂ = γ Σ_R g x̂ — the sums for dγ and dβ serve dL/dx too.
            sum_g = g.sum(axis=R, keepdims=True)
            sum_g_xhat = (g * xhat).sum(axis=R, keepdims=True)
            if need_w:
                grad_w = sum_g_xhat.reshape(weight.shape)
            if need_b:
                grad_b = sum_g.reshape(ctx.bias_shape)
            gh_scaled = g * (w * invstd) if need_x else None  # ĝ / √(σ² + ε)
            sum_gh, sum_gh_xhat = w * sum_g, w * sum_g_xhat
        else:
            if need_w:
                grad_w = (g * xhat).sum(axis=P).reshape(weight.shape)
            if need_b:
                grad_b = g.sum(axis=P).reshape(ctx.bias_shape)
            if need_x:
                gh = g * w
                sum_gh = gh.sum(axis=R, keepdims=True)
                sum_gh_xhat = (gh * xhat).sum(axis=R, keepdims=True)
                gh *= invstd
                gh_scaled = gh
        if need_x and ctx.count == 0:  # no elements (an empty axis normalised): nothing to do
            grad_x = gh_scaled
        elif need_x:
            n = ctx.count
            # dL/dx = ĝ/√(σ²+ε) − (1/√(σ²+ε))/N · (Σ ĝ + x̂ Σ ĝ x̂)
            grad_x = gh_scaled
            grad_x -= xhat * (invstd / n * sum_gh_xhat)
            grad_x -= invstd / n * sum_gh
        return (grad_x, grad_w, grad_b) + nones


def _backward_tensors(ctx, grad, x, weight):
    """The same gradients as Tensor ops of x, γ and g (differentiable: double backward)."""
    R, P = ctx.stat_axes, ctx.param_axes
    mean = x.mean(R, keepdim=True)
    xc = x - mean
    invstd = ((xc * xc).mean(R, keepdim=True) + ctx.eps).rsqrt()
    xhat = xc * invstd
    need_x, need_w, need_b = ctx.needs_input_grad[:3]
    grad_x = grad_w = grad_b = None

    def param_sum(t):
        return t.sum(P) if P else t  # no leading axes: nothing to sum

    if need_w:
        grad_w = param_sum(grad * xhat).reshape(weight.shape)
    if need_b:
        grad_b = param_sum(grad).reshape(ctx.bias_shape)
    if need_x:
        gh = grad if weight is None else grad * weight.reshape(ctx.param_shape)
        n = max(ctx.count, 1)  # no elements: every sum below is empty anyway
        sum_gh = gh.sum(R, keepdim=True)
        sum_gh_xhat = (gh * xhat).sum(R, keepdim=True)
        grad_x = (invstd / n) * (gh * n - sum_gh - xhat * sum_gh_xhat)
    return grad_x, grad_w, grad_b


class BatchNormEval(ArrayFunction):
    """BatchNorm with fixed (running) statistics, eval mode's: an affine map per channel,

        y = (x − μ) · s + β,   s = γ / √(σ² + ε),

    with μ, σ² the running mean and variance — constants, as in torch (its node is
    ``NativeBatchNormBackward0`` too, and the running statistics get no gradient). Gradients:
    dL/dx = g s,   dL/dγ = Σ g (x − μ) / √(σ² + ε),   dL/dβ = Σ g  (sums over all but the
    channels), as Tensor ops of g, so they are differentiable again (double backward).
    """

    backward_name = "NativeBatchNormBackward0"

    @staticmethod
    def forward(ctx, input, weight, bias, running_mean, running_var, param_shape, eps):
        invstd = 1.0 / xp.sqrt(running_var._data + eps)
        scale = invstd if weight is None else invstd * weight._data
        mean = running_mean._data.reshape(param_shape)
        ctx.save_for_backward(input, weight)
        ctx.mean, ctx.invstd = _tensor(mean), _tensor(invstd.reshape(param_shape))
        ctx.param_shape = param_shape
        ctx.bias_shape = None if bias is None else bias._data.shape
        y = (input._data - mean) * scale.reshape(param_shape)
        if bias is not None:
            y = y + bias._data.reshape(param_shape)
        return y

    @staticmethod
    def backward(ctx, grad):
        input, weight = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        axes = (0,) + tuple(range(2, grad.ndim))
        scale = ctx.invstd if weight is None else ctx.invstd * weight.reshape(ctx.param_shape)
        grad_x = grad * scale if need_x else None
        grad_w = grad_b = None
        if need_w:
            xhat = (input - ctx.mean) * ctx.invstd
            grad_w = (grad * xhat).sum(axes).reshape(weight.shape)
        if need_b:
            grad_b = grad.sum(axes).reshape(ctx.bias_shape)
        return grad_x, grad_w, grad_b, None, None, None, None
